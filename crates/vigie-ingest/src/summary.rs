use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// How the records of a file (or zip member) were laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataFormat {
    /// Comma-separated values (or semicolon/tab-separated, detected from the header).
    Csv,
    /// A JSON array of record objects (ACLED's JSON export).
    JsonArray,
    /// A JSON object whose `data` array holds the records (the ACLED API's response shape).
    JsonApiResponse,
}

impl DataFormat {
    /// The snake_case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            DataFormat::Csv => "csv",
            DataFormat::JsonArray => "json_array",
            DataFormat::JsonApiResponse => "json_api_response",
        }
    }
}

impl fmt::Display for DataFormat {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The character encoding the records were decoded from.
///
/// Readers decide per record: a record that is valid UTF-8 is read as UTF-8, any other is read
/// as Windows-1252 (the superset of Latin-1 that spreadsheet exports on French-language
/// systems use), so a Latin-1 file is read without loss and without quarantining anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// Every record was valid UTF-8 (plain ASCII files included).
    Utf8,
    /// Every record with non-ASCII bytes had to be read as Windows-1252.
    Windows1252,
    /// Some records were UTF-8 with accents, others Windows-1252: a file assembled from
    /// several sources.
    Mixed,
}

impl TextEncoding {
    /// The snake_case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf8",
            TextEncoding::Windows1252 => "windows1252",
            TextEncoding::Mixed => "mixed",
        }
    }

    /// The encoding of a file given how many of its records were non-ASCII UTF-8 and how many
    /// needed Windows-1252.
    pub(crate) fn from_counts(utf8_non_ascii: u64, windows1252: u64) -> TextEncoding {
        match (utf8_non_ascii, windows1252) {
            (_, 0) => TextEncoding::Utf8,
            (0, _) => TextEncoding::Windows1252,
            _ => TextEncoding::Mixed,
        }
    }

    /// The encoding of two parts read together.
    pub(crate) fn combine(self, other: TextEncoding) -> TextEncoding {
        match (self, other) {
            (first, second) if first == second => first,
            (TextEncoding::Utf8, other) | (other, TextEncoding::Utf8) => other,
            _ => TextEncoding::Mixed,
        }
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Which generation of ACLED's column layout a file follows (see `docs/acled-format.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AcledVintage {
    /// Since March 2023: `disorder_type`, `civilian_targeting` and `tags` are present.
    Current,
    /// 2019–2023 exports: the current taxonomy with `sub_event_type`, but no `disorder_type`,
    /// `civilian_targeting` or `tags`.
    Export2019,
    /// Before 2019: no `sub_event_type`, the old event types.
    Pre2019,
}

impl AcledVintage {
    /// The snake_case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            AcledVintage::Current => "current",
            AcledVintage::Export2019 => "export_2019",
            AcledVintage::Pre2019 => "pre_2019",
        }
    }
}

impl fmt::Display for AcledVintage {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// What was read from one table: a plain file, or one member of a zip archive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartSummary {
    /// The file, or `archive.zip!member.csv` for a zip member: the `origin` of its quarantined
    /// records.
    pub origin: String,
    /// CSV or which JSON shape.
    pub format: DataFormat,
    /// ACLED's column layout, for ACLED files (`None` for UCDP, and for a JSON file with no
    /// records to tell from).
    pub vintage: Option<AcledVintage>,
    /// Whether the column names were written in capitals (old HDX files).
    pub uppercase_headers: bool,
    /// How the records were decoded.
    pub encoding: TextEncoding,
    /// Data rows (or JSON records) read, valid or not; blank lines are not rows.
    pub rows_read: u64,
    /// Rows refused and handed over as quarantine records.
    pub quarantined: u64,
}

/// What a reader did with one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileSummary {
    /// The file read (empty for a stream read with no path).
    pub path: PathBuf,
    /// SHA-256 of the file's bytes (of the archive for a zip), lowercase hex; `None` for a
    /// stream, which readers do not hash.
    pub sha256: Option<String>,
    /// Whether the file was a zip archive.
    pub zipped: bool,
    /// Data rows read over all parts, valid or not.
    pub rows_read: u64,
    /// Events handed over. Fewer than the valid rows when adjacent rows of one event (a
    /// monadic export) were merged.
    pub events: u64,
    /// Rows refused over all parts.
    pub quarantined: u64,
    /// One entry per table read: the file itself, or each CSV/JSON member of a zip archive.
    pub parts: Vec<PartSummary>,
}

impl FileSummary {
    /// The layout of the first part (the only one, unless the file was a zip with several).
    pub fn format(&self) -> Option<DataFormat> {
        self.parts.first().map(|part| part.format)
    }

    /// ACLED's column layout of the first part that has one.
    pub fn vintage(&self) -> Option<AcledVintage> {
        self.parts.iter().find_map(|part| part.vintage)
    }

    /// How the records were decoded, over all parts.
    pub fn encoding(&self) -> TextEncoding {
        self.parts
            .iter()
            .map(|part| part.encoding)
            .fold(TextEncoding::Utf8, TextEncoding::combine)
    }
}
