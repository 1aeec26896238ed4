//! ACLED files: CSV, zipped CSV and JSON exports of every vintage, API records, and the
//! deleted-events list.
//!
//! Every vintage in `docs/acled-format.md` is read by the same rules: columns are found by
//! name (any order, any case, pre-2019 aliases such as `ALLY_ACTOR_1`), pre-2019 event types
//! are mapped onto today's taxonomy with the original kept, and what older files lack
//! (`disorder_type`, `civilian_targeting`) is derived from the event type. Unknown columns
//! are kept in [`Event::fields`](vigie_domain::Event::fields).
//!
//! ```no_run
//! use std::path::Path;
//! use chrono::NaiveDate;
//! use vigie_ingest::{IngestOptions, acled};
//!
//! let options = IngestOptions::new(NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
//! let summary = acled::read_acled(Path::new("mali.csv"), &options, |batch| {
//!     // store batch.events, keep batch.quarantined
//!     Ok::<(), std::io::Error>(())
//! })?;
//! println!("{} rows, {} quarantined, sha256 {:?}", summary.rows_read, summary.quarantined, summary.sha256);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod columns;
mod deletions;
mod normalise;

use std::io::Read;
use std::path::Path;

use vigie_domain::{Event, EventSource, QuarantineRecord};

pub use deletions::{DeletionList, normalize_acled_deletion, read_acled_deletions};

use crate::error::ReadError;
use crate::events::{all_fields, field_layout, read_file_with, read_stream_with};
use crate::input::{RawText, Row, column_name};
use crate::summary::FileSummary;
use crate::{IngestOptions, RawRecord, ReadBatch};
use columns::AcledColumns;
use normalise::AcledNormaliser;

/// The keys under which an API response object holds its records.
const API_RECORD_KEYS: [&str; 1] = ["data"];

/// Reads an ACLED file — CSV, a zip holding CSV (or JSON) files, a JSON export array or a
/// saved API response — handing `on_batch` a [`ReadBatch`] every `options.batch_rows` rows.
///
/// Memory stays constant whatever the file's size. Rows that cannot be read are quarantined
/// with their line, column and reason; only file-level faults (unreadable, unknown format, no
/// header, no `event_id_cnty`/`event_date`/`latitude`/`longitude` column) are errors. The
/// summary carries the file's SHA-256, the row counts and the detected format, vintage and
/// encoding. When `on_batch` fails, reading stops and its error comes back as
/// [`ReadError::Handler`].
///
/// A quarantined CSV row's `line` is the 1-based line it starts on (the header is line 1); a
/// JSON record's is its 1-based position in the record array. A record whose quoted value
/// runs on over several lines and leaves it malformed (an unbalanced quote) costs that one
/// line: it is quarantined and the following lines are read again on their own.
pub fn read_acled<E>(
    path: &Path,
    options: &IngestOptions,
    mut on_batch: impl FnMut(ReadBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    read_file_with(
        AcledNormaliser { options },
        path,
        options,
        &API_RECORD_KEYS,
        &mut on_batch,
    )
}

/// Reads ACLED CSV or JSON from a stream (an HTTP response body, stdin, memory), as
/// [`read_acled`] reads a file; `origin` names it in quarantine records. Streams are not
/// hashed (`sha256` is `None`) and cannot be zip archives.
pub fn read_acled_stream<E>(
    reader: impl Read,
    origin: &str,
    options: &IngestOptions,
    mut on_batch: impl FnMut(ReadBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    read_stream_with(
        AcledNormaliser { options },
        reader,
        origin,
        options,
        &API_RECORD_KEYS,
        &mut on_batch,
    )
}

/// Normalises one ACLED record that arrived some other way than a file — typically an object
/// of an API page turned into a [`RawRecord`] — by the same rules as the file readers.
///
/// `origin` (e.g. the request URL without credentials) and `line` (the record's position in
/// the page) go into the quarantine record when the record is refused.
///
/// ```
/// use chrono::NaiveDate;
/// use vigie_domain::EventType;
/// use vigie_ingest::{IngestOptions, RawRecord, acled::normalize_acled_record};
///
/// let object = serde_json::json!({
///     "event_id_cnty": "MLI4682", "event_date": "2019-03-23", "event_type": "Violence against civilians",
///     "sub_event_type": "Attack", "latitude": "14.2300", "longitude": "-3.5600", "fatalities": "157"
/// });
/// let record = RawRecord::from_json_object(object.as_object().unwrap());
/// let options = IngestOptions::new(NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
/// let event = normalize_acled_record(&record, "api page 1", 1, &options).unwrap();
/// assert_eq!(event.event_type, EventType::ViolenceAgainstCivilians);
/// assert!(event.civilian_targeting, "derived when the column is absent");
/// assert_eq!(event.fatalities, 157);
/// ```
pub fn normalize_acled_record(
    record: &RawRecord,
    origin: &str,
    line: u64,
    options: &IngestOptions,
) -> Result<Event, QuarantineRecord> {
    let (names, text, ends) = record_table(record);
    let row = Row {
        generation: 0,
        names: &names,
        text: &text,
        ends: &ends,
        raw: RawText::Rendered,
    };
    let columns = AcledColumns::bind(&names);
    let (positions, field_names) = field_layout(&names);
    let fields = all_fields(&row, &positions, &field_names);
    normalise::normalise(&columns, &row, fields, options).map_err(|problem| QuarantineRecord {
        source: EventSource::Acled,
        origin: origin.to_owned(),
        line,
        field: problem.field,
        reason: problem.reason,
        raw: row.raw_text(),
    })
}

/// A record's names, values back to back, and value ends: the shape rows have.
pub(crate) fn record_table(record: &RawRecord) -> (Vec<String>, String, Vec<usize>) {
    let names = record
        .fields
        .iter()
        .enumerate()
        .map(|(index, (name, _))| column_name(name, index))
        .collect();
    let mut text = String::new();
    let mut ends = Vec::with_capacity(record.fields.len());
    for (_, value) in &record.fields {
        text.push_str(value);
        ends.push(text.len());
    }
    (names, text, ends)
}
