//! The sink shared by the event readers: binds a source's columns once per table, normalises
//! each row with the source's rules, and batches events and quarantined rows.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigie_domain::{Event, EventSource, QuarantineRecord, SourceFields};

use crate::batch::Batcher;
use crate::error::ReadError;
use crate::input::{self, Row, TableSink};
use crate::summary::{AcledVintage, FileSummary};
use crate::{FieldProblem, IngestOptions, ReadBatch};

/// Reads a file (CSV, zipped CSV or JSON; `record_keys` name the arrays an API response
/// wraps its records in) through a source's normaliser, handing batches to `on_batch`.
pub(crate) fn read_file_with<N: Normaliser, E>(
    normaliser: N,
    path: &Path,
    options: &IngestOptions,
    record_keys: &[&str],
    on_batch: &mut impl FnMut(ReadBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    let mut sink = EventSink::new(normaliser, on_batch, options.batch_rows);
    let mut summary = input::read_path(path, options.max_record_bytes, record_keys, &mut sink)?;
    summary.events = sink.finish().map_err(ReadError::Handler)?;
    Ok(summary)
}

/// Reads a stream (not hashed, never a zip archive) as [`read_file_with`] reads a file;
/// `origin` names it in quarantine records.
pub(crate) fn read_stream_with<N: Normaliser, E>(
    normaliser: N,
    reader: impl Read,
    origin: &str,
    options: &IngestOptions,
    record_keys: &[&str],
    on_batch: &mut impl FnMut(ReadBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    let mut sink = EventSink::new(normaliser, on_batch, options.batch_rows);
    let mut generation = 0;
    let part = input::read_stream(
        reader,
        origin,
        options.max_record_bytes,
        record_keys,
        &mut sink,
        &mut generation,
    )?;
    let events = sink.finish().map_err(ReadError::Handler)?;
    Ok(FileSummary {
        path: PathBuf::from(origin),
        sha256: None,
        zipped: false,
        rows_read: part.rows_read,
        events,
        quarantined: part.quarantined,
        parts: vec![part],
    })
}

/// A source's rules for turning a row into an event.
pub(crate) trait Normaliser {
    /// Where each column the source reads sits in a table.
    type Columns;

    /// The source events and quarantine records are filed under.
    fn source(&self) -> EventSource;

    /// Finds the source's columns among `names` (trimmed, lowercased).
    fn bind(&self, names: &[String]) -> Self::Columns;

    /// The columns without which no record of the table can be read.
    fn missing_columns(&self, columns: &Self::Columns) -> Vec<&'static str>;

    /// The source's column layout generation, if it has several.
    fn vintage(&self, names: &[String]) -> Option<AcledVintage>;

    /// One row into an event; `fields` is every column of the row, by name.
    fn normalise(
        &self,
        columns: &Self::Columns,
        row: &Row<'_>,
        fields: SourceFields,
    ) -> Result<Event, FieldProblem>;
}

/// Column positions for one set of names.
struct Binding<C> {
    generation: u64,
    columns: C,
    /// The columns kept in `fields`: positions in file order, first occurrence of each
    /// name only, and their names shared by every event of the table.
    field_positions: Vec<usize>,
    field_names: Arc<[String]>,
}

/// Normalises rows and batches the results.
pub(crate) struct EventSink<'h, N: Normaliser, H> {
    normaliser: N,
    batcher: Batcher<'h, H>,
    binding: Option<Binding<N::Columns>>,
}

impl<'h, N: Normaliser, H, E> EventSink<'h, N, H>
where
    H: FnMut(ReadBatch) -> Result<(), E>,
{
    pub(crate) fn new(normaliser: N, handler: &'h mut H, batch_rows: usize) -> Self {
        EventSink {
            normaliser,
            batcher: Batcher::new(handler, batch_rows),
            binding: None,
        }
    }

    /// Hands over the last batch; returns the number of events handed over in all.
    pub(crate) fn finish(mut self) -> Result<u64, E> {
        self.batcher.finish()?;
        Ok(self.batcher.events())
    }
}

/// Every column of a row, by name, the names shared with the rest of its table.
pub(crate) fn all_fields(
    row: &Row<'_>,
    positions: &[usize],
    names: &Arc<[String]>,
) -> SourceFields {
    let mut fields = SourceFields::with_names(names.clone());
    for &index in positions {
        fields.push_value(row.value(index));
    }
    fields
}

/// Column positions in file order, later columns repeating an earlier name dropped, and the
/// names they carry.
pub(crate) fn field_layout(names: &[String]) -> (Vec<usize>, Arc<[String]>) {
    let mut positions = Vec::with_capacity(names.len());
    let mut kept: Vec<String> = Vec::with_capacity(names.len());
    for (position, name) in names.iter().enumerate() {
        if !kept.contains(name) {
            positions.push(position);
            kept.push(name.clone());
        }
    }
    (positions, Arc::from(kept))
}

impl<N: Normaliser, H, E> TableSink for EventSink<'_, N, H>
where
    H: FnMut(ReadBatch) -> Result<(), E>,
{
    type Error = E;

    fn source(&self) -> EventSource {
        self.normaliser.source()
    }

    fn begin_table(&mut self, names: &[String]) -> Result<Option<AcledVintage>, Vec<&'static str>> {
        let columns = self.normaliser.bind(names);
        let missing = self.normaliser.missing_columns(&columns);
        if !missing.is_empty() {
            return Err(missing);
        }
        Ok(self.normaliser.vintage(names))
    }

    fn row(&mut self, row: &Row<'_>, origin: &str, line: u64) -> Result<(), E> {
        let binding = match &mut self.binding {
            Some(binding) if binding.generation == row.generation => binding,
            slot => {
                let (field_positions, field_names) = field_layout(row.names);
                slot.insert(Binding {
                    generation: row.generation,
                    columns: self.normaliser.bind(row.names),
                    field_positions,
                    field_names,
                })
            }
        };
        let fields = all_fields(row, &binding.field_positions, &binding.field_names);
        match self.normaliser.normalise(&binding.columns, row, fields) {
            Ok(event) => self.batcher.push_event(event),
            Err(problem) => self.batcher.push_quarantined(QuarantineRecord {
                source: self.normaliser.source(),
                origin: origin.to_owned(),
                line,
                field: problem.field,
                reason: problem.reason,
                raw: row.raw_text(),
            }),
        }
    }

    fn malformed(&mut self, record: QuarantineRecord) -> Result<(), E> {
        self.batcher.push_quarantined(record)
    }

    fn quarantined(&self) -> u64 {
        self.batcher.quarantined()
    }
}
