use std::convert::Infallible;
use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// Why a whole file (or stream) could not be read. Problems with single records never end up
/// here: they are quarantined and reading goes on.
///
/// `E` is the error of the caller's batch handler, handed back unchanged in
/// [`ReadError::Handler`]; readers that take no handler use the default, [`Infallible`].
#[derive(Debug, Error)]
pub enum ReadError<E = Infallible> {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The content is none of the formats a reader accepts.
    #[error("{path} is not event data: {reason}")]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// What it looks like instead (e.g. `it is a gzip file`).
        reason: String,
    },
    /// A CSV file with nothing in it, not even a header line.
    #[error("{path} has no header line")]
    NoHeader {
        /// The file (for a zip member, `archive.zip!member.csv`).
        path: PathBuf,
    },
    /// The header (or the first JSON record) lacks columns every record needs.
    #[error("{path} has no {} column", .columns.join(", no "))]
    MissingColumns {
        /// The file (for a zip member, `archive.zip!member.csv`).
        path: PathBuf,
        /// The required columns that are absent.
        columns: Vec<&'static str>,
    },
    /// The zip archive is damaged or uses a feature the reader does not support.
    #[error("cannot read zip archive {path}: {source}")]
    Zip {
        /// The archive.
        path: PathBuf,
        /// What the zip reader said.
        source: zip::result::ZipError,
    },
    /// A zip archive with no CSV or JSON file inside.
    #[error("zip archive {path} holds no CSV or JSON file")]
    NothingInZip {
        /// The archive.
        path: PathBuf,
    },
    /// The JSON is malformed, or is not an array of records nor an object with a `data`
    /// array. Records read before the fault have already been handed over.
    #[error("{path} is not valid event JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said (with line and column).
        source: serde_json::Error,
    },
    /// The caller's batch handler failed; reading stopped there.
    #[error("batch handler failed: {0}")]
    Handler(E),
}

impl<E> ReadError<E> {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> ReadError<E> {
        ReadError::Io {
            path: path.into(),
            source,
        }
    }
}
