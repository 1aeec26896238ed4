//! ACLED's deleted-events list: the ids ACLED removed, and when.

use std::convert::Infallible;
use std::path::Path;

use chrono::NaiveTime;
use vigie_domain::{Deletion, EventSource, QuarantineRecord};

use crate::error::ReadError;
use crate::input::{self, RawText, Row, TableSink};
use crate::summary::{AcledVintage, FileSummary};
use crate::values::{self, parse_date, problem};
use crate::{FieldProblem, IngestOptions, RawRecord};

/// What a deletion list held: the deletions, and the rows that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct DeletionList {
    /// The file: hash, format, counts.
    pub summary: FileSummary,
    /// The deletions, in file order.
    pub deletions: Vec<Deletion>,
    /// Rows refused, with line, column and reason.
    pub refused: Vec<QuarantineRecord>,
}

/// Reads ACLED's deleted-events list: CSV (or zipped CSV) or JSON (an array, or the API's
/// object with a `data` array), with columns `event_id_cnty` and `deleted_timestamp` in any
/// case and order. `deleted_timestamp` is Unix seconds; a plain date is read as midnight UTC.
///
/// Deletion lists are small (one row per removed event), so they are returned whole.
pub fn read_acled_deletions(
    path: &Path,
    options: &IngestOptions,
) -> Result<DeletionList, ReadError> {
    let mut sink = DeletionSink::default();
    let summary = input::read_path(path, options.max_record_bytes, &["data"], &mut sink)?;
    Ok(DeletionList {
        summary: FileSummary {
            events: 0,
            ..summary
        },
        deletions: sink.deletions,
        refused: sink.refused,
    })
}

/// Reads one deletion record that arrived some other way than a file (an object of the
/// deleted-events API page).
pub fn normalize_acled_deletion(
    record: &RawRecord,
    origin: &str,
    line: u64,
) -> Result<Deletion, QuarantineRecord> {
    let (names, text, ends) = super::record_table(record);
    let row = Row {
        generation: 0,
        names: &names,
        text: &text,
        ends: &ends,
        raw: RawText::Rendered,
    };
    deletion(&DeletionColumns::bind(&names), &row).map_err(|problem| QuarantineRecord {
        source: EventSource::Acled,
        origin: origin.to_owned(),
        line,
        field: problem.field,
        reason: problem.reason,
        raw: row.raw_text(),
    })
}

#[derive(Debug, Clone, Copy, Default)]
struct DeletionColumns {
    event_id: Option<usize>,
    deleted_timestamp: Option<usize>,
}

impl DeletionColumns {
    fn bind(names: &[String]) -> DeletionColumns {
        let find = |wanted: &str| names.iter().position(|name| name == wanted);
        DeletionColumns {
            event_id: find("event_id_cnty"),
            deleted_timestamp: find("deleted_timestamp"),
        }
    }
}

fn deletion(columns: &DeletionColumns, row: &Row<'_>) -> Result<Deletion, FieldProblem> {
    let Some(source_event_id) = row.get(columns.event_id) else {
        return Err(problem("event_id_cnty", "event_id_cnty is empty".into()));
    };
    let Some(stamp) = row.get(columns.deleted_timestamp) else {
        return Err(problem(
            "deleted_timestamp",
            "deleted_timestamp is empty".into(),
        ));
    };
    let deleted_at = match values::unix_seconds("deleted_timestamp", stamp) {
        Ok(seconds) => seconds,
        Err(not_a_number) => match parse_date(stamp) {
            Ok(date) => date.and_time(NaiveTime::MIN).and_utc().timestamp(),
            Err(_) => return Err(not_a_number),
        },
    };
    Ok(Deletion {
        source_event_id: source_event_id.to_owned(),
        deleted_at,
    })
}

#[derive(Default)]
struct DeletionSink {
    columns: DeletionColumns,
    generation: Option<u64>,
    deletions: Vec<Deletion>,
    refused: Vec<QuarantineRecord>,
}

impl TableSink for DeletionSink {
    type Error = Infallible;

    fn source(&self) -> EventSource {
        EventSource::Acled
    }

    fn begin_table(&mut self, names: &[String]) -> Result<Option<AcledVintage>, Vec<&'static str>> {
        let columns = DeletionColumns::bind(names);
        let mut missing = Vec::new();
        if columns.event_id.is_none() {
            missing.push("event_id_cnty");
        }
        if columns.deleted_timestamp.is_none() {
            missing.push("deleted_timestamp");
        }
        if missing.is_empty() {
            Ok(None)
        } else {
            Err(missing)
        }
    }

    fn row(&mut self, row: &Row<'_>, origin: &str, line: u64) -> Result<(), Infallible> {
        if self.generation != Some(row.generation) {
            self.columns = DeletionColumns::bind(row.names);
            self.generation = Some(row.generation);
        }
        match deletion(&self.columns, row) {
            Ok(deletion) => self.deletions.push(deletion),
            Err(problem) => self.refused.push(QuarantineRecord {
                source: EventSource::Acled,
                origin: origin.to_owned(),
                line,
                field: problem.field,
                reason: problem.reason,
                raw: row.raw_text(),
            }),
        }
        Ok(())
    }

    fn malformed(&mut self, record: QuarantineRecord) -> Result<(), Infallible> {
        self.refused.push(record);
        Ok(())
    }

    fn quarantined(&self) -> u64 {
        self.refused.len() as u64
    }
}
