//! How domain values become columns and back, the same for both backends.
//!
//! Each backend reads a row into an [`EventRow`] (plain column values) and writes from an
//! [`EventWrite`]; everything that interprets those values lives here and in
//! [`crate::payload`], so SQLite and PostgreSQL cannot drift apart on what a column means.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use vigie_domain::store::{ImportRun, ImportStatus, StoreError, StoredEvent, StoredQuarantine};
use vigie_domain::{
    Event, EventFlag, EventLocation, EventSource, EventType, ImportCounts, LocatedEvent,
    MonitorRole, QuarantineRecord, Report, ReportChannel, ReportStatus, ReportedIncident, Reporter,
    StoredVersion, ZoneId,
};

use crate::payload;

/// The event columns every read selects, in the order [`EventRow`] is filled from.
pub(crate) const EVENT_READ_COLUMNS: &str = "id, source, source_event_id, event_date, \
    event_type, sub_event_type, fatalities, longitude, latitude, source_timestamp, commune_id, \
    cercle_id, region_id, corridor_ids, verification, import_run, inserted_at, updated_at, \
    deleted_at, field_layout, payload";

/// An event about to be written, with what the store adds to it.
pub(crate) struct EventWrite<'a> {
    /// The event and its zones.
    pub located: &'a LocatedEvent,
    /// [`Event::content_fingerprint`], as stored (the bit pattern as a signed integer).
    pub content_fingerprint: i64,
    /// [`Event::core_fingerprint`], as stored.
    pub core_fingerprint: i64,
    /// The import run writing it (none for community reports).
    pub import_run: Option<i64>,
    /// The verification state, for community events (only written on insert).
    pub verification: Option<ReportStatus>,
    /// The time of the write.
    pub now: DateTime<Utc>,
}

impl<'a> EventWrite<'a> {
    /// A write of `located` by `import_run`, its fingerprints computed now.
    pub(crate) fn new(
        located: &'a LocatedEvent,
        import_run: Option<i64>,
        verification: Option<ReportStatus>,
        now: DateTime<Utc>,
    ) -> EventWrite<'a> {
        EventWrite::with_fingerprints(
            located,
            located.event.fingerprints(),
            import_run,
            verification,
            now,
        )
    }

    /// A write of `located` whose fingerprints `(content, core)` are already known.
    pub(crate) fn with_fingerprints(
        located: &'a LocatedEvent,
        (content, core): (u64, u64),
        import_run: Option<i64>,
        verification: Option<ReportStatus>,
        now: DateTime<Utc>,
    ) -> EventWrite<'a> {
        EventWrite {
            located,
            content_fingerprint: fingerprint_column(content),
            core_fingerprint: fingerprint_column(core),
            import_run,
            verification,
            now,
        }
    }

    /// What the stored row will say about this version, for later rows of the same batch.
    pub(crate) fn version(&self) -> StoredVersion {
        StoredVersion {
            source_timestamp: self.located.event.source_timestamp,
            content_fingerprint: fingerprint_from_column(self.content_fingerprint),
            core_fingerprint: fingerprint_from_column(self.core_fingerprint),
            deleted_at: None,
        }
    }
}

/// Fingerprints are unsigned 64-bit hashes; both databases store signed 64-bit integers, so
/// the bit pattern is kept as is (no information is lost, only the sign reads oddly).
pub(crate) fn fingerprint_column(fingerprint: u64) -> i64 {
    fingerprint as i64
}

/// The inverse of [`fingerprint_column`].
pub(crate) fn fingerprint_from_column(column: i64) -> u64 {
    column as u64
}

/// A count for a signed 64-bit integer column.
pub(crate) fn count_column(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// A count read back from a signed 64-bit integer column.
pub(crate) fn count_from_column(column: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(column).map_err(|_| StoreError::Corrupt(format!("negative {what}: {column}")))
}

/// Appends a day as `YYYY-MM-DD` (what `NaiveDate`'s `Display` writes for years 0 to 9999),
/// without the formatting machinery: an import writes one per event.
pub(crate) fn push_date(out: &mut String, date: NaiveDate) {
    let year = date.year();
    if !(0..=9999).contains(&year) {
        use std::fmt::Write as _;
        // Writing into a String cannot fail.
        let _ = write!(out, "{date}");
        return;
    }
    let mut digits = [0_u8; 10];
    let mut put = |at: usize, value: u32, width: usize| {
        let mut value = value;
        for position in (at..at + width).rev() {
            digits[position] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, year as u32, 4);
    put(5, date.month(), 2);
    put(8, date.day(), 2);
    digits[4] = b'-';
    digits[7] = b'-';
    out.push_str(std::str::from_utf8(&digits).expect("ASCII digits"));
}

/// An event's column values as read, before interpretation.
pub(crate) struct EventRow {
    pub id: i64,
    pub source: String,
    pub source_event_id: String,
    pub event_date: NaiveDate,
    pub event_type: String,
    pub sub_event_type: Option<String>,
    pub fatalities: i64,
    pub longitude: f64,
    pub latitude: f64,
    pub source_timestamp: Option<i64>,
    pub commune_id: Option<String>,
    pub cercle_id: Option<String>,
    pub region_id: Option<String>,
    pub corridor_ids: Vec<String>,
    pub verification: Option<String>,
    pub import_run: Option<i64>,
    pub inserted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub field_layout: Option<i64>,
    pub payload: Vec<u8>,
}

impl EventRow {
    /// The stored event these columns describe; `names` are the column names of its field
    /// layout.
    pub(crate) fn into_stored_event(
        self,
        names: Option<Arc<[String]>>,
    ) -> Result<StoredEvent, StoreError> {
        let row_id = self.id;
        let in_event = |error: StoreError| StoreError::Corrupt(format!("event {row_id}: {error}"));
        let fatalities = u32::try_from(self.fatalities).map_err(|_| {
            StoreError::Corrupt(format!(
                "event {row_id}: invalid fatalities {}",
                self.fatalities
            ))
        })?;
        let payload = payload::decode(&self.payload, names).map_err(in_event)?;
        let event = Event {
            source: parse_source(&self.source)?,
            source_event_id: self.source_event_id,
            event_date: self.event_date,
            time_precision: payload.time_precision,
            disorder_type: payload.disorder_type,
            event_type: parse_event_type(&self.event_type)?,
            sub_event_type: self.sub_event_type,
            original_event_type: payload.original_event_type,
            actor1: payload.actor1,
            actor2: payload.actor2,
            associated_actors: payload.associated_actors,
            inter1: payload.inter1,
            inter2: payload.inter2,
            civilian_targeting: payload.civilian_targeting,
            fatalities,
            fatalities_low: payload.fatalities_low,
            fatalities_high: payload.fatalities_high,
            longitude: self.longitude,
            latitude: self.latitude,
            geo_precision: payload.geo_precision,
            country: payload.country,
            admin1: payload.admin1,
            admin2: payload.admin2,
            admin3: payload.admin3,
            location: payload.location,
            notes: payload.notes,
            source_timestamp: self.source_timestamp,
            flags: payload.flags,
            fields: payload.fields,
        };
        let location = EventLocation {
            status: payload.location_status,
            commune: self.commune_id.as_deref().map(parse_zone_id).transpose()?,
            cercle: self.cercle_id.as_deref().map(parse_zone_id).transpose()?,
            region: self.region_id.as_deref().map(parse_zone_id).transpose()?,
            corridors: self
                .corridor_ids
                .iter()
                .map(|id| parse_zone_id(id))
                .collect::<Result<_, _>>()?,
        };
        Ok(StoredEvent {
            id: row_id,
            located: LocatedEvent { event, location },
            verification: self
                .verification
                .as_deref()
                .map(parse_report_status)
                .transpose()?,
            import_run: self.import_run,
            inserted_at: self.inserted_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
        })
    }
}

/// The report columns every read selects (from [`REPORT_FROM`]), in [`ReportRow`] order.
pub(crate) const REPORT_READ_COLUMNS: &str = "reports.id, reports.channel, \
    reporters.pseudonym, reports.status, reports.received_at, reports.text, reports.language, \
    reports.incident, reports.clarification, reports.longitude, reports.latitude, \
    reports.location";

/// Reports with their reporter's pseudonym.
pub(crate) const REPORT_FROM: &str =
    "reports LEFT JOIN reporters ON reporters.id = reports.reporter_id";

/// A report's column values as read (JSON columns already parsed by the backend).
pub(crate) struct ReportRow {
    pub id: i64,
    pub channel: String,
    pub reporter: Option<String>,
    pub status: String,
    pub received_at: DateTime<Utc>,
    pub text: String,
    pub language: String,
    pub incident: Option<ReportedIncident>,
    pub clarification: Option<String>,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub location: Option<EventLocation>,
}

impl ReportRow {
    /// The report these columns describe.
    pub(crate) fn into_report(self) -> Result<Report, StoreError> {
        Ok(Report {
            id: self.id,
            channel: parse_channel(&self.channel)?,
            reporter: self.reporter,
            status: parse_report_status(&self.status)?,
            received_at: self.received_at,
            text: self.text,
            language: self.language,
            incident: self.incident,
            clarification: self.clarification,
            coordinates: self.longitude.zip(self.latitude),
            location: self.location,
        })
    }
}

/// The reporter columns every read selects, in [`ReporterRow`] order.
pub(crate) const REPORTER_READ_COLUMNS: &str =
    "id, pseudonym, trusted, role, monitoring_group, commune_id, created_at";

/// A reporter's column values as read. The phone columns are never read with it.
pub(crate) struct ReporterRow {
    pub id: i64,
    pub pseudonym: String,
    pub trusted: bool,
    pub role: Option<String>,
    pub group: Option<String>,
    pub commune: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl ReporterRow {
    /// The reporter these columns describe.
    pub(crate) fn into_reporter(self) -> Result<Reporter, StoreError> {
        Ok(Reporter {
            id: self.id,
            pseudonym: self.pseudonym,
            trusted: self.trusted,
            role: self.role.as_deref().map(parse_role).transpose()?,
            group: self.group,
            commune: self.commune.as_deref().map(parse_zone_id).transpose()?,
            created_at: self.created_at,
        })
    }
}

/// The import run columns every read selects, in [`ImportRunRow`] order.
pub(crate) const IMPORT_RUN_READ_COLUMNS: &str = "id, source, origin, content_sha256, \
    started_at, finished_at, status, rows_read, events, inserted, updated, unchanged, \
    quarantined, deleted, error";

/// An import run's column values as read.
pub(crate) struct ImportRunRow {
    pub id: i64,
    pub source: String,
    pub origin: String,
    pub content_sha256: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: String,
    /// read, events, inserted, updated, unchanged, quarantined, deleted.
    pub counts: [i64; 7],
    pub error: Option<String>,
}

impl ImportRunRow {
    /// The run these columns describe.
    pub(crate) fn into_import_run(self) -> Result<ImportRun, StoreError> {
        let [
            read,
            events,
            inserted,
            updated,
            unchanged,
            quarantined,
            deleted,
        ] = self.counts;
        Ok(ImportRun {
            id: self.id,
            source: parse_source(&self.source)?,
            origin: self.origin,
            content_sha256: self.content_sha256,
            started_at: self.started_at,
            finished_at: self.finished_at,
            status: parse_import_status(&self.status)?,
            counts: ImportCounts {
                read: count_from_column(read, "rows read")?,
                events: count_from_column(events, "event count")?,
                inserted: count_from_column(inserted, "inserted count")?,
                updated: count_from_column(updated, "updated count")?,
                unchanged: count_from_column(unchanged, "unchanged count")?,
                quarantined: count_from_column(quarantined, "quarantined count")?,
                deleted: count_from_column(deleted, "deleted count")?,
            },
            error: self.error,
        })
    }
}

/// The counts of an import run in column order (see [`ImportRunRow::counts`]).
pub(crate) fn import_count_columns(counts: &ImportCounts) -> [i64; 7] {
    [
        counts.read,
        counts.events,
        counts.inserted,
        counts.updated,
        counts.unchanged,
        counts.quarantined,
        counts.deleted,
    ]
    .map(count_column)
}

/// The quarantine columns every read selects, in [`QuarantineRow`] order.
pub(crate) const QUARANTINE_READ_COLUMNS: &str =
    "id, import_run, source, origin, line, field, reason, raw, created_at";

/// A quarantined record's column values as read.
pub(crate) struct QuarantineRow {
    pub id: i64,
    pub import_run: i64,
    pub source: String,
    pub origin: String,
    pub line: i64,
    pub field: Option<String>,
    pub reason: String,
    pub raw: String,
    pub created_at: DateTime<Utc>,
}

impl QuarantineRow {
    /// The quarantined record these columns describe.
    pub(crate) fn into_stored(self) -> Result<StoredQuarantine, StoreError> {
        Ok(StoredQuarantine {
            id: self.id,
            import_run: self.import_run,
            record: QuarantineRecord {
                source: parse_source(&self.source)?,
                origin: self.origin,
                line: count_from_column(self.line, "quarantine line")?,
                field: self.field,
                reason: self.reason,
                raw: self.raw,
            },
            created_at: self.created_at,
        })
    }
}

fn parse_stored<T: FromStr>(what: &str, text: &str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown {what} {text:?}")))
}

/// An event source by its storage name.
pub(crate) fn parse_source(text: &str) -> Result<EventSource, StoreError> {
    parse_stored("event source", text)
}

/// An event type by its ACLED label.
pub(crate) fn parse_event_type(label: &str) -> Result<EventType, StoreError> {
    EventType::from_label(label)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown event type {label:?}")))
}

/// An event flag by its storage name.
pub(crate) fn parse_flag(name: &str) -> Result<EventFlag, StoreError> {
    const ALL: [EventFlag; 5] = [
        EventFlag::SwappedCoordinates,
        EventFlag::OutsideRegion,
        EventFlag::MissingFatalities,
        EventFlag::MergedActors,
        EventFlag::CommuneRepresentativePoint,
    ];
    ALL.into_iter()
        .find(|flag| flag.as_str() == name)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown event flag {name:?}")))
}

/// A zone id as stored.
pub(crate) fn parse_zone_id(text: &str) -> Result<ZoneId, StoreError> {
    ZoneId::new(text).map_err(|error| StoreError::Corrupt(error.to_string()))
}

/// A report status by its storage name.
pub(crate) fn parse_report_status(text: &str) -> Result<ReportStatus, StoreError> {
    parse_stored("report status", text)
}

/// A report channel by its storage name.
pub(crate) fn parse_channel(text: &str) -> Result<ReportChannel, StoreError> {
    parse_stored("report channel", text)
}

/// A monitor role by its storage name.
pub(crate) fn parse_role(text: &str) -> Result<MonitorRole, StoreError> {
    parse_stored("monitor role", text)
}

/// The storage name of an import status.
pub(crate) fn import_status_name(status: ImportStatus) -> &'static str {
    match status {
        ImportStatus::Running => "running",
        ImportStatus::Completed => "completed",
        ImportStatus::Failed => "failed",
        ImportStatus::Interrupted => "interrupted",
    }
}

/// An import status by its storage name.
pub(crate) fn parse_import_status(text: &str) -> Result<ImportStatus, StoreError> {
    match text {
        "running" => Ok(ImportStatus::Running),
        "completed" => Ok(ImportStatus::Completed),
        "failed" => Ok(ImportStatus::Failed),
        "interrupted" => Ok(ImportStatus::Interrupted),
        other => Err(StoreError::Corrupt(format!(
            "unknown import status {other:?}"
        ))),
    }
}

/// The last second both databases store as text or TIMESTAMPTZ alike: 9999-12-31T23:59:59Z.
const LAST_STORABLE_SECOND: i64 = 253_402_300_799;

/// Unix seconds as a UTC time. Values before 1970 or after 9999 are clamped: they come from
/// source files (deletion lists) and must neither abort an import nor break the fixed-width
/// text timestamps SQLite sorts by.
pub(crate) fn unix_seconds(seconds: i64) -> DateTime<Utc> {
    let clamped = seconds.clamp(0, LAST_STORABLE_SECOND);
    DateTime::from_timestamp(clamped, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// A time rounded down to the microsecond, the precision both databases keep, so that what
/// is written reads back equal.
pub(crate) fn to_microseconds(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_display_writes_them() {
        for (year, month, day) in [(2019, 3, 23), (1997, 1, 1), (9999, 12, 31), (5, 6, 7)] {
            let date = NaiveDate::from_ymd_opt(year, month, day).unwrap();
            let mut text = String::from(">");
            push_date(&mut text, date);
            assert_eq!(text, format!(">{date}"));
        }
        let far = NaiveDate::from_ymd_opt(-44, 3, 15).unwrap();
        let mut text = String::new();
        push_date(&mut text, far);
        assert_eq!(text, far.to_string());
    }

    #[test]
    fn fingerprints_survive_the_signed_column() {
        for fingerprint in [0, 1, u64::MAX, 1 << 63, 0xcbf2_9ce4_8422_2325] {
            assert_eq!(
                fingerprint_from_column(fingerprint_column(fingerprint)),
                fingerprint
            );
        }
    }

    #[test]
    fn every_flag_and_status_round_trips_through_its_name() {
        for flag in [
            EventFlag::SwappedCoordinates,
            EventFlag::OutsideRegion,
            EventFlag::MissingFatalities,
            EventFlag::MergedActors,
            EventFlag::CommuneRepresentativePoint,
        ] {
            assert_eq!(parse_flag(flag.as_str()).unwrap(), flag);
        }
        for status in [
            ImportStatus::Running,
            ImportStatus::Completed,
            ImportStatus::Failed,
            ImportStatus::Interrupted,
        ] {
            assert_eq!(
                parse_import_status(import_status_name(status)).unwrap(),
                status
            );
        }
        assert!(matches!(
            parse_flag("teleported"),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn out_of_range_unix_seconds_clamp_instead_of_failing() {
        assert_eq!(unix_seconds(i64::MAX).timestamp(), LAST_STORABLE_SECOND);
        assert_eq!(unix_seconds(-5).timestamp(), 0);
        assert_eq!(unix_seconds(1_700_000_000).timestamp(), 1_700_000_000);
    }
}
