//! Event and quarantine writes gathered into column arrays and sent many rows at a time.
//!
//! A round trip to the server costs more than the insert itself, so an import batch does not
//! write its events one statement each: inserts, replacements and quarantined records go
//! into per-column buffers, and one `INSERT … SELECT … FROM UNNEST($1, $2, …)` (or `UPDATE
//! … FROM UNNEST(…)`) writes them all. Store ids are taken from the sequence ahead of time,
//! so the shared logic still learns an event's id as it inserts it.
//!
//! The buffers are flushed before any other statement of the transaction runs (see
//! `PgTransaction`), so nothing ever reads around a pending write.

use chrono::{DateTime, NaiveDate, Utc};
use postgres::types::ToSql;
use vigie_domain::{QuarantineRecord, ReportStatus, ZoneId};

use crate::codec::{EventWrite, count_column};
use crate::logic::RowIdSet;
use crate::payload::{self, FieldHints};

/// Rows gathered before a flush is forced: bounds the memory and the size of one statement.
pub(super) const MAX_PENDING_ROWS: usize = 10_000;

/// Separates corridor ids in the text that `string_to_array` splits back into `TEXT[]`
/// (arrays of arrays cannot be unnested row by row). Zone ids never hold control characters.
const CORRIDOR_SEPARATOR: char = '\u{1f}';

/// Takes `count` store ids from the events' sequence, in increasing order.
pub(super) const TAKE_EVENT_IDS: &str =
    "SELECT nextval('events_id_seq') FROM generate_series(1, $1::BIGINT)";

/// The SQL of [`INSERT_EVENTS`], for `concat!`.
macro_rules! insert_events_sql {
    () => {
        "INSERT INTO events (id, source, source_event_id, event_date, event_type, \
         sub_event_type, fatalities, longitude, latitude, source_timestamp, \
         content_fingerprint, core_fingerprint, commune_id, cercle_id, region_id, corridor_ids, \
         import_run, inserted_at, updated_at, field_layout, payload, verification) \
         SELECT id, source, source_event_id, event_date, event_type, sub_event_type, \
         fatalities, longitude, latitude, source_timestamp, content_fingerprint, \
         core_fingerprint, commune_id, cercle_id, region_id, \
         string_to_array(corridor_ids, chr(31)), import_run, written_at, written_at, \
         field_layout, payload, verification \
         FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::DATE[], $5::TEXT[], \
         $6::TEXT[], $7::BIGINT[], $8::FLOAT8[], $9::FLOAT8[], $10::BIGINT[], $11::BIGINT[], \
         $12::BIGINT[], $13::TEXT[], $14::TEXT[], $15::TEXT[], $16::TEXT[], $17::BIGINT[], \
         $18::TIMESTAMPTZ[], $19::BIGINT[], $20::BYTEA[], $21::TEXT[]) AS batch (id, source, \
         source_event_id, event_date, event_type, sub_event_type, fatalities, longitude, \
         latitude, source_timestamp, content_fingerprint, core_fingerprint, commune_id, \
         cercle_id, region_id, corridor_ids, import_run, written_at, field_layout, payload, \
         verification)"
    };
}

/// Inserts the rows of an [`EventColumns`] (all its arrays).
pub(super) const INSERT_EVENTS: &str = insert_events_sql!();

/// [`INSERT_EVENTS`] for events that may be stored already (those are left as they are).
pub(super) const INSERT_EVENT_IF_ABSENT: &str = concat!(
    insert_events_sql!(),
    " ON CONFLICT (source, source_event_id) DO NOTHING"
);

/// Overwrites the content of the events of an [`EventColumns`] (every column but the source,
/// the source id, the verification and the insertion time) and clears their deletion.
pub(super) const REPLACE_EVENTS: &str = "UPDATE events SET event_date = batch.event_date, \
    event_type = batch.event_type, sub_event_type = batch.sub_event_type, \
    fatalities = batch.fatalities, longitude = batch.longitude, latitude = batch.latitude, \
    source_timestamp = batch.source_timestamp, \
    content_fingerprint = batch.content_fingerprint, core_fingerprint = batch.core_fingerprint, \
    commune_id = batch.commune_id, cercle_id = batch.cercle_id, region_id = batch.region_id, \
    corridor_ids = string_to_array(batch.corridor_ids, chr(31)), import_run = batch.import_run, \
    updated_at = batch.written_at, field_layout = batch.field_layout, payload = batch.payload, \
    deleted_at = NULL \
    FROM UNNEST($1::BIGINT[], $2::DATE[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], \
    $6::FLOAT8[], $7::FLOAT8[], $8::BIGINT[], $9::BIGINT[], $10::BIGINT[], $11::TEXT[], \
    $12::TEXT[], $13::TEXT[], $14::TEXT[], $15::BIGINT[], $16::TIMESTAMPTZ[], $17::BIGINT[], \
    $18::BYTEA[]) AS batch (id, event_date, event_type, sub_event_type, fatalities, longitude, \
    latitude, source_timestamp, content_fingerprint, core_fingerprint, commune_id, cercle_id, \
    region_id, corridor_ids, import_run, written_at, field_layout, payload) \
    WHERE events.id = batch.id";

/// Inserts the rows of a [`QuarantineColumns`].
pub(super) const INSERT_QUARANTINE: &str = "INSERT INTO quarantine (import_run, source, \
    origin, line, field, reason, raw, created_at) \
    SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[], $5::TEXT[], \
    $6::TEXT[], $7::TEXT[], $8::TIMESTAMPTZ[])";

/// A text column: the values one after the other in one buffer, so that gathering a row
/// allocates nothing. NUL characters, which PostgreSQL text cannot hold, become U+FFFD.
#[derive(Default)]
struct TextColumn {
    text: String,
    spans: Vec<Option<(usize, usize)>>,
}

impl TextColumn {
    fn push(&mut self, value: Option<&str>) {
        let span = value.map(|value| {
            let start = self.text.len();
            if value.contains('\0') {
                self.text.push_str(&value.replace('\0', "\u{FFFD}"));
            } else {
                self.text.push_str(value);
            }
            (start, self.text.len())
        });
        self.spans.push(span);
    }

    /// Appends the items of a list, separated by [`CORRIDOR_SEPARATOR`], as one value.
    fn push_joined<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) {
        let start = self.text.len();
        for (index, item) in items.into_iter().enumerate() {
            if index > 0 {
                self.text.push(CORRIDOR_SEPARATOR);
            }
            self.text.push_str(item);
        }
        self.spans.push(Some((start, self.text.len())));
    }

    fn values(&self) -> Vec<Option<&str>> {
        self.spans
            .iter()
            .map(|span| span.map(|(start, end)| &self.text[start..end]))
            .collect()
    }

    fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }
}

/// A byte string column, gathered like [`TextColumn`].
#[derive(Default)]
struct BytesColumn {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl BytesColumn {
    fn values(&self) -> Vec<&[u8]> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let value = &self.bytes[start..end];
                start = end;
                value
            })
            .collect()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }
}

/// Event rows waiting to be written, one array per column.
#[derive(Default)]
pub(super) struct EventColumns {
    id: Vec<i64>,
    source: Vec<&'static str>,
    source_event_id: TextColumn,
    event_date: Vec<NaiveDate>,
    event_type: Vec<&'static str>,
    sub_event_type: TextColumn,
    fatalities: Vec<i64>,
    longitude: Vec<f64>,
    latitude: Vec<f64>,
    source_timestamp: Vec<Option<i64>>,
    content_fingerprint: Vec<i64>,
    core_fingerprint: Vec<i64>,
    commune_id: TextColumn,
    cercle_id: TextColumn,
    region_id: TextColumn,
    corridor_ids: TextColumn,
    import_run: Vec<Option<i64>>,
    written_at: Vec<DateTime<Utc>>,
    field_layout: Vec<Option<i64>>,
    payload: BytesColumn,
    verification: Vec<Option<&'static str>>,
    /// Scratch space of the payload encoder.
    value_ranges: Vec<(usize, usize)>,
    scratch: Vec<u8>,
}

impl EventColumns {
    /// Rows gathered.
    pub(super) fn len(&self) -> usize {
        self.id.len()
    }

    /// Gathers the row of `write` with store id `id` and field layout `layout`.
    pub(super) fn push(
        &mut self,
        id: i64,
        write: &EventWrite<'_>,
        layout: Option<(i64, FieldHints)>,
    ) {
        let event = &write.located.event;
        let location = &write.located.location;
        self.id.push(id);
        self.source.push(event.source.as_str());
        self.source_event_id.push(Some(&event.source_event_id));
        self.event_date.push(event.event_date);
        self.event_type.push(event.event_type.label());
        self.sub_event_type.push(event.sub_event_type.as_deref());
        self.fatalities.push(i64::from(event.fatalities));
        self.longitude.push(event.longitude);
        self.latitude.push(event.latitude);
        self.source_timestamp.push(event.source_timestamp);
        self.content_fingerprint.push(write.content_fingerprint);
        self.core_fingerprint.push(write.core_fingerprint);
        self.commune_id
            .push(location.commune.as_ref().map(ZoneId::as_str));
        self.cercle_id
            .push(location.cercle.as_ref().map(ZoneId::as_str));
        self.region_id
            .push(location.region.as_ref().map(ZoneId::as_str));
        self.corridor_ids
            .push_joined(location.corridors.iter().map(ZoneId::as_str));
        self.import_run.push(write.import_run);
        self.written_at.push(write.now);
        self.field_layout.push(layout.map(|(id, _)| id));
        let hints = layout.map(|(_, hints)| hints).unwrap_or_default();
        payload::encode(
            &mut self.scratch,
            &mut self.value_ranges,
            write.located,
            &hints,
        );
        self.payload.bytes.extend_from_slice(&self.scratch);
        self.payload.ends.push(self.payload.bytes.len());
        self.verification
            .push(write.verification.map(ReportStatus::as_str));
    }

    /// Runs `run` with the parameters of [`INSERT_EVENTS`].
    pub(super) fn with_insert_parameters<R>(
        &self,
        run: impl FnOnce(&[&(dyn ToSql + Sync)]) -> R,
    ) -> R {
        let source_event_id = self.source_event_id.values();
        let sub_event_type = self.sub_event_type.values();
        let commune_id = self.commune_id.values();
        let cercle_id = self.cercle_id.values();
        let region_id = self.region_id.values();
        let corridor_ids = self.corridor_ids.values();
        let payload = self.payload.values();
        run(&[
            &self.id,
            &self.source,
            &source_event_id,
            &self.event_date,
            &self.event_type,
            &sub_event_type,
            &self.fatalities,
            &self.longitude,
            &self.latitude,
            &self.source_timestamp,
            &self.content_fingerprint,
            &self.core_fingerprint,
            &commune_id,
            &cercle_id,
            &region_id,
            &corridor_ids,
            &self.import_run,
            &self.written_at,
            &self.field_layout,
            &payload,
            &self.verification,
        ])
    }

    /// Runs `run` with the parameters of [`REPLACE_EVENTS`].
    pub(super) fn with_replace_parameters<R>(
        &self,
        run: impl FnOnce(&[&(dyn ToSql + Sync)]) -> R,
    ) -> R {
        let sub_event_type = self.sub_event_type.values();
        let commune_id = self.commune_id.values();
        let cercle_id = self.cercle_id.values();
        let region_id = self.region_id.values();
        let corridor_ids = self.corridor_ids.values();
        let payload = self.payload.values();
        run(&[
            &self.id,
            &self.event_date,
            &self.event_type,
            &sub_event_type,
            &self.fatalities,
            &self.longitude,
            &self.latitude,
            &self.source_timestamp,
            &self.content_fingerprint,
            &self.core_fingerprint,
            &commune_id,
            &cercle_id,
            &region_id,
            &corridor_ids,
            &self.import_run,
            &self.written_at,
            &self.field_layout,
            &payload,
        ])
    }

    /// Forgets the rows (keeping the buffers' memory).
    pub(super) fn clear(&mut self) {
        self.id.clear();
        self.source.clear();
        self.source_event_id.clear();
        self.event_date.clear();
        self.event_type.clear();
        self.sub_event_type.clear();
        self.fatalities.clear();
        self.longitude.clear();
        self.latitude.clear();
        self.source_timestamp.clear();
        self.content_fingerprint.clear();
        self.core_fingerprint.clear();
        self.commune_id.clear();
        self.cercle_id.clear();
        self.region_id.clear();
        self.corridor_ids.clear();
        self.import_run.clear();
        self.written_at.clear();
        self.field_layout.clear();
        self.payload.clear();
        self.verification.clear();
    }
}

/// Quarantined records waiting to be written.
#[derive(Default)]
pub(super) struct QuarantineColumns {
    import_run: Vec<i64>,
    source: Vec<&'static str>,
    origin: TextColumn,
    line: Vec<i64>,
    field: TextColumn,
    reason: TextColumn,
    raw: TextColumn,
    created_at: Vec<DateTime<Utc>>,
}

impl QuarantineColumns {
    pub(super) fn len(&self) -> usize {
        self.import_run.len()
    }

    pub(super) fn push(&mut self, run: i64, record: &QuarantineRecord, now: DateTime<Utc>) {
        self.import_run.push(run);
        self.source.push(record.source.as_str());
        self.origin.push(Some(&record.origin));
        self.line.push(count_column(record.line));
        self.field.push(record.field.as_deref());
        self.reason.push(Some(&record.reason));
        self.raw.push(Some(&record.raw));
        self.created_at.push(now);
    }

    /// Runs `run` with the parameters of [`INSERT_QUARANTINE`].
    pub(super) fn with_parameters<R>(&self, run: impl FnOnce(&[&(dyn ToSql + Sync)]) -> R) -> R {
        let origin = self.origin.values();
        let field = self.field.values();
        let reason = self.reason.values();
        let raw = self.raw.values();
        run(&[
            &self.import_run,
            &self.source,
            &origin,
            &self.line,
            &field,
            &reason,
            &raw,
            &self.created_at,
        ])
    }

    pub(super) fn clear(&mut self) {
        self.import_run.clear();
        self.source.clear();
        self.origin.clear();
        self.line.clear();
        self.field.clear();
        self.reason.clear();
        self.raw.clear();
        self.created_at.clear();
    }
}

/// Everything a transaction has yet to write.
#[derive(Default)]
pub(super) struct PendingWrites {
    pub inserts: EventColumns,
    pub replaces: EventColumns,
    pub quarantine: QuarantineColumns,
    /// The store ids in `inserts` and `replaces`: a second write of one of them waits for a
    /// flush, so that one statement never writes a row twice.
    pub ids: RowIdSet,
}

impl PendingWrites {
    pub(super) fn is_empty(&self) -> bool {
        self.inserts.len() == 0 && self.replaces.len() == 0 && self.quarantine.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_columns_keep_nulls_and_replace_nul_characters() {
        let mut column = TextColumn::default();
        column.push(Some("MLI1"));
        column.push(None);
        column.push(Some("a\0b"));
        column.push(Some(""));
        column.push_joined(["TR07", "TR03"]);
        column.push_joined([]);
        assert_eq!(
            column.values(),
            [
                Some("MLI1"),
                None,
                Some("a\u{FFFD}b"),
                Some(""),
                Some("TR07\u{1f}TR03"),
                Some("")
            ]
        );
    }
}
