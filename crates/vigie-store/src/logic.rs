//! The decisions both backends share: what a batch does to the stored events and how it is
//! counted, what a deletion list removes, how a report is recorded and reviewed.
//!
//! A backend provides the elementary reads and writes of one open transaction
//! ([`WriteTransaction`]); the functions here sequence them. Neither backend repeats this
//! logic, so the integration suite proves it once for both.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use vigie_domain::store::{ImportBatch, StoreError};
use vigie_domain::{
    Deletion, Event, EventFlag, EventLocation, EventSource, ImportCounts, LocatedEvent, NewReport,
    NewReporter, QuarantineRecord, RecordedReport, Report, ReportChannel, ReportReview,
    ReportStatus, ReportedIncident, SourceFields, StoredVersion, StreamKind, UpsertDecision,
    decide_upsert,
};

use crate::codec::EventWrite;
use crate::stream;

/// The longest quarantined record kept, in bytes (the domain's limit for `raw`).
const MAX_QUARANTINE_RAW_BYTES: usize = 64 * 1024;

/// A stored event's row id and what [`decide_upsert`] needs to know about it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredEventVersion {
    /// Store id.
    pub row_id: i64,
    /// Timestamps and fingerprints.
    pub version: StoredVersion,
}

/// A report about to be written.
pub(crate) struct ReportWrite<'a> {
    pub channel: ReportChannel,
    pub provider_message_id: &'a str,
    pub reporter_id: Option<i64>,
    pub status: ReportStatus,
    pub received_at: DateTime<Utc>,
    pub text: &'a str,
    pub language: &'a str,
    pub incident: Option<&'a ReportedIncident>,
    pub clarification: Option<&'a str>,
    /// Exact coordinates only: see [`record_report`].
    pub coordinates: Option<(f64, f64)>,
    pub location: Option<&'a EventLocation>,
}

/// The elementary operations of one open write transaction.
pub(crate) trait WriteTransaction {
    /// The origin (file or URL) of an import run, if the run exists.
    fn import_run_origin(&mut self, run: i64) -> Result<Option<String>, StoreError>;

    /// The stored versions of the events with these (source, source id) keys, deleted or
    /// not, in the order of `keys` (`None` for an event not stored). Keys are distinct.
    fn find_events(
        &mut self,
        keys: &[(EventSource, &str)],
    ) -> Result<Vec<Option<StoredEventVersion>>, StoreError>;

    /// Whether a look-up costs a round trip to a server, so that [`apply_batch`] should
    /// look the whole batch up at once rather than try inserting first.
    fn prefers_batched_lookups(&self) -> bool;

    /// Says, before the first insert, how many events the coming inserts will probably
    /// number: a backend that takes ids ahead of writing (PostgreSQL) takes them in one go.
    fn expect_inserts(&mut self, _count: usize) -> Result<(), StoreError> {
        Ok(())
    }

    /// Inserts an event (known not to be stored); returns its store id. The row may be
    /// written later in the transaction, but before anything reads it.
    fn insert_event(&mut self, write: &EventWrite<'_>) -> Result<i64, StoreError>;

    /// Inserts an event unless one with its (source, source id) is stored: its store id, or
    /// `None` when it was already there (and nothing was written).
    fn insert_event_if_absent(&mut self, write: &EventWrite<'_>)
    -> Result<Option<i64>, StoreError>;

    /// Overwrites an event's content, keeps its id, insertion time and verification, and
    /// clears its deletion. May be written later, like [`WriteTransaction::insert_event`].
    fn replace_event(&mut self, row_id: i64, write: &EventWrite<'_>) -> Result<(), StoreError>;

    /// Reads a stored event back (as this transaction wrote it).
    fn load_event(&mut self, row_id: i64) -> Result<LocatedEvent, StoreError>;

    /// Keeps a quarantined record.
    fn insert_quarantine(
        &mut self,
        run: i64,
        record: &QuarantineRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Marks an event deleted at `deleted_at` unless it already is, or unless its source
    /// timestamp is newer than the deletion (the record came back after it). Returns whether
    /// it marked one.
    fn mark_event_deleted(
        &mut self,
        run: i64,
        source: EventSource,
        deletion: &Deletion,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The report already recorded for this provider message.
    fn find_report_by_message(
        &mut self,
        channel: ReportChannel,
        provider_message_id: &str,
    ) -> Result<Option<i64>, StoreError>;

    /// The reporter with this HMAC (id, trusted), created untrusted with `pseudonym` when
    /// unknown.
    fn find_or_create_reporter(
        &mut self,
        reporter: &NewReporter,
        pseudonym: &str,
        now: DateTime<Utc>,
    ) -> Result<(i64, bool), StoreError>;

    /// Inserts a report; `None` when a report with the same (channel, provider message id)
    /// was committed meanwhile by a concurrent writer.
    fn insert_report(&mut self, report: &ReportWrite<'_>) -> Result<Option<i64>, StoreError>;

    /// One report.
    fn load_report(&mut self, id: i64) -> Result<Option<Report>, StoreError>;

    /// Sets a report's status.
    fn set_report_status(&mut self, id: i64, status: ReportStatus) -> Result<(), StoreError>;

    /// Appends to the audit trail.
    fn insert_review(&mut self, review: &ReportReview) -> Result<(), StoreError>;

    /// Sets the verification of the community event with this source id; `withdrawn_at`
    /// Some marks it deleted (keeping an earlier deletion time), None restores it.
    fn set_event_verification(
        &mut self,
        source_event_id: &str,
        status: ReportStatus,
        withdrawn_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Appends an entry to the stream log; returns its id. Called last in a transaction:
    /// a backend with concurrent writers (PostgreSQL) serialises appends until commit so
    /// that ids become visible in increasing order.
    fn append_stream(
        &mut self,
        kind: StreamKind,
        ref_id: i64,
        payload: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
}

/// A set of store ids. Ids are sequential integers chosen by the database, not by an
/// adversary, so a multiplicative hash spreads them well at a fraction of SipHash's cost (a
/// run of a million events asks it twice per event).
pub(crate) type RowIdSet = HashSet<i64, BuildHasherDefault<RowIdHasher>>;

/// The hasher of [`RowIdSet`].
#[derive(Default)]
pub(crate) struct RowIdHasher(u64);

impl Hasher for RowIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_i64(&mut self, id: i64) {
        self.0 = (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What a store remembers of an open import run between its batches.
///
/// Kept in memory rather than in the database: an unchanged event then costs no write,
/// which keeps re-imports fast and the database file unchanged. A run lives in one process
/// (a process that dies leaves its run interrupted), so nothing is lost by not persisting it.
#[derive(Default)]
pub(crate) struct RunTally {
    /// The store ids the run's batches have counted, so that an event met in several
    /// batches is counted once.
    counted: RowIdSet,
    /// Whether the last batch found most of its events new: the next one then tries to
    /// insert each event before looking it up (see [`apply_batch`]).
    mostly_new: bool,
}

/// The tallies of the open import runs.
#[derive(Default)]
pub(crate) struct RunTallies {
    runs: Mutex<HashMap<i64, Arc<Mutex<RunTally>>>>,
}

impl RunTallies {
    /// The tally of one run. Callers hold its lock for a whole batch: batches of one run are
    /// then counted one after the other even if applied from several threads.
    pub(crate) fn for_run(&self, run: i64) -> Arc<Mutex<RunTally>> {
        let mut runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        match runs.entry(run) {
            Entry::Occupied(entry) => Arc::clone(entry.get()),
            Entry::Vacant(entry) => Arc::clone(entry.insert(Arc::default())),
        }
    }

    /// Drops a finished run's tally.
    pub(crate) fn forget(&self, run: i64) {
        self.runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&run);
    }
}

/// What one batch did, and what its run's tally must remember of it once the transaction
/// has committed ([`BatchOutcome::record_in`]).
pub(crate) struct BatchOutcome {
    pub counts: ImportCounts,
    /// The store ids counted for the first time in the run.
    newly_counted: Vec<i64>,
    mostly_new: bool,
}

impl BatchOutcome {
    /// Adds the committed batch to its run's tally.
    pub(crate) fn record_in(&self, tally: &mut RunTally) {
        tally.counted.extend(&self.newly_counted);
        tally.mostly_new = self.mostly_new;
    }
}

/// What this run did to one event, strongest last: an event inserted then merged in the same
/// run counts as inserted, one left alone then merged counts as updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum EventOutcome {
    Unchanged,
    Updated,
    Inserted,
}

/// What the batch knows of one distinct event: whether it looked it up yet, its stored
/// version (as found, then as this batch left it) and what the batch did to it.
struct Tracked {
    looked_up: bool,
    stored: Option<StoredEventVersion>,
    outcome: Option<EventOutcome>,
}

/// Applies a batch inside `transaction`, following [`decide_upsert`] for every event in
/// order. `tally` is what earlier batches of the run left.
///
/// Two ways to learn what is stored, chosen per batch: look the whole batch up first (one
/// query on PostgreSQL, and the cheaper way in SQLite when most events are already stored,
/// as in a re-import), or, when the previous batch of the run was mostly new events (a first
/// import) on a backend without round trips, insert each event outright and look it up only
/// when the insert finds it stored. Rows of the batch that share an id see the version the
/// earlier ones left, without asking the database again.
pub(crate) fn apply_batch(
    transaction: &mut impl WriteTransaction,
    run: i64,
    batch: &ImportBatch,
    tally: &RunTally,
    now: DateTime<Utc>,
) -> Result<BatchOutcome, StoreError> {
    let origin = transaction
        .import_run_origin(run)?
        .ok_or_else(|| StoreError::NotFound(format!("import run {run}")))?;

    // Distinct keys in order of first sight, and each event's position among them.
    let mut keys: Vec<(EventSource, &str)> = Vec::with_capacity(batch.events.len());
    let mut key_positions: Vec<usize> = Vec::with_capacity(batch.events.len());
    let mut position_of_key: HashMap<(EventSource, &str), usize> =
        HashMap::with_capacity(batch.events.len());
    for incoming in &batch.events {
        let key = (
            incoming.event.source,
            incoming.event.source_event_id.as_str(),
        );
        let position = *position_of_key.entry(key).or_insert_with(|| {
            keys.push(key);
            keys.len() - 1
        });
        key_positions.push(position);
    }
    drop(position_of_key);

    let insert_first = tally.mostly_new && !transaction.prefers_batched_lookups();
    let mut tracked: Vec<Tracked> = if insert_first {
        keys.iter()
            .map(|_| Tracked {
                looked_up: false,
                stored: None,
                outcome: None,
            })
            .collect()
    } else {
        let found = transaction.find_events(&keys)?;
        if found.len() != keys.len() {
            return Err(StoreError::Backend(format!(
                "looked up {} events, got {} answers",
                keys.len(),
                found.len()
            )));
        }
        let tracked: Vec<Tracked> = found
            .into_iter()
            .map(|stored| Tracked {
                looked_up: true,
                stored,
                outcome: None,
            })
            .collect();
        transaction.expect_inserts(
            tracked
                .iter()
                .filter(|known| known.stored.is_none())
                .count(),
        )?;
        tracked
    };

    let mut found_stored = 0_usize;
    let mut conflicts = 0_u64;
    for (incoming, &position) in batch.events.iter().zip(&key_positions) {
        let event = &incoming.event;
        let fingerprints = event.fingerprints();
        let known = &mut tracked[position];
        let write = || EventWrite::with_fingerprints(incoming, fingerprints, Some(run), None, now);
        if !known.looked_up {
            known.looked_up = true;
            let write = write();
            if let Some(row_id) = transaction.insert_event_if_absent(&write)? {
                known.stored = Some(StoredEventVersion {
                    row_id,
                    version: write.version(),
                });
                known.outcome = Some(EventOutcome::Inserted);
                continue;
            }
            known.stored = transaction.find_events(&[keys[position]])?.pop().flatten();
            if known.stored.is_none() {
                return Err(StoreError::Backend(format!(
                    "event {} is stored but cannot be found",
                    event.source_event_id
                )));
            }
        }
        if known.outcome.is_none() && known.stored.is_some() {
            found_stored += 1;
        }
        let decision = decide_upsert(
            known.stored.as_ref().map(|stored| &stored.version),
            event.source_timestamp,
            fingerprints.0,
            fingerprints.1,
        );
        let outcome = match (decision, &mut known.stored) {
            (UpsertDecision::Insert, _) => {
                let write = write();
                let row_id = transaction.insert_event(&write)?;
                known.stored = Some(StoredEventVersion {
                    row_id,
                    version: write.version(),
                });
                EventOutcome::Inserted
            }
            (UpsertDecision::Keep, Some(_)) => EventOutcome::Unchanged,
            (UpsertDecision::Replace, Some(stored)) => {
                let write = write();
                transaction.replace_event(stored.row_id, &write)?;
                stored.version = write.version();
                EventOutcome::Updated
            }
            (UpsertDecision::MergeActors, Some(stored)) => {
                let mut merged = transaction.load_event(stored.row_id)?;
                if merged.event.merge_actors_from(event) {
                    let merged_write = EventWrite::new(&merged, Some(run), None, now);
                    transaction.replace_event(stored.row_id, &merged_write)?;
                    stored.version = merged_write.version();
                    EventOutcome::Updated
                } else {
                    EventOutcome::Unchanged
                }
            }
            (UpsertDecision::Conflict, Some(_)) => {
                transaction.insert_quarantine(run, &conflict_record(event, &origin), now)?;
                conflicts += 1;
                continue;
            }
            (decision, None) => {
                return Err(StoreError::Corrupt(format!(
                    "upsert decided {decision:?} for event {} that is not stored",
                    event.source_event_id
                )));
            }
        };
        known.outcome = Some(
            known
                .outcome
                .map_or(outcome, |earlier| earlier.max(outcome)),
        );
    }

    for record in &batch.quarantined {
        transaction.insert_quarantine(run, record, now)?;
    }

    let mut counts = ImportCounts {
        read: batch.rows_read,
        quarantined: batch.quarantined.len() as u64 + conflicts,
        ..ImportCounts::default()
    };
    let mut newly_counted = Vec::new();
    let mut inserted = 0_usize;
    let mut changed = Vec::new();
    let mut updated = 0_u64;
    for known in tracked {
        // Events whose only rows were quarantined as conflicts did nothing to the store.
        let (Some(stored), Some(outcome)) = (known.stored, known.outcome) else {
            continue;
        };
        inserted += usize::from(outcome == EventOutcome::Inserted);
        if outcome != EventOutcome::Unchanged {
            updated += u64::from(outcome == EventOutcome::Updated);
            changed.push(stored.row_id);
        }
        // An id an earlier batch of this run counted is not counted again, whatever this
        // batch did to it: the totals must add up to the distinct events of the run.
        if tally.counted.contains(&stored.row_id) {
            continue;
        }
        counts.events += 1;
        match outcome {
            EventOutcome::Inserted => counts.inserted += 1,
            EventOutcome::Updated => counts.updated += 1,
            EventOutcome::Unchanged => counts.unchanged += 1,
        }
        newly_counted.push(stored.row_id);
    }
    // One log entry per batch listing the ids, not one per event: at import speed a row per
    // event would double the writes.
    if !changed.is_empty() {
        let payload = stream::batch_payload(run, inserted as u64, updated, changed);
        transaction.append_stream(StreamKind::Event, run, &payload, now)?;
    }
    Ok(BatchOutcome {
        counts,
        newly_counted,
        mostly_new: inserted > found_stored,
    })
}

/// The quarantine record of a row that has the stored version's timestamp but other content.
fn conflict_record(event: &Event, origin: &str) -> QuarantineRecord {
    let id_field = match event.source {
        EventSource::Acled => Some("event_id_cnty".to_owned()),
        EventSource::Ucdp => Some("id".to_owned()),
        EventSource::Community => None,
    };
    let raw = serde_json::to_string(&event.fields).unwrap_or_default();
    QuarantineRecord {
        source: event.source,
        origin: origin.to_owned(),
        // The store does not know the row's line: 0 says so.
        line: 0,
        field: id_field,
        reason: format!(
            "duplicate of event {} with the same timestamp but different content",
            event.source_event_id
        ),
        raw: truncate_at_char_boundary(raw, MAX_QUARANTINE_RAW_BYTES),
    }
}

fn truncate_at_char_boundary(mut text: String, max_bytes: usize) -> String {
    if text.len() > max_bytes {
        let mut cut = max_bytes;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// Applies a deletion list; returns how many events it removed.
pub(crate) fn apply_deletions(
    transaction: &mut impl WriteTransaction,
    run: i64,
    source: EventSource,
    deletions: &[Deletion],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    if transaction.import_run_origin(run)?.is_none() {
        return Err(StoreError::NotFound(format!("import run {run}")));
    }
    let mut removed = 0;
    for deletion in deletions {
        if transaction.mark_event_deleted(run, source, deletion, now)? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// The pseudonym of a reporter: `R-` and the first 8 hex digits of the phone HMAC. Stable
/// for a number, and reveals nothing of it without the HMAC key.
pub(crate) fn pseudonym(phone_hmac: &[u8]) -> String {
    let mut pseudonym = String::from("R-");
    for byte in phone_hmac.iter().take(4) {
        pseudonym.push_str(&format!("{byte:02x}"));
    }
    pseudonym
}

/// The source id of a report's community event.
pub(crate) fn report_event_id(report_id: i64) -> String {
    format!("R{report_id}")
}

/// Whether the channel can carry exact coordinates. SMS cannot: coordinates given with an SMS
/// report are the representative point of the commune its text names.
fn carries_exact_coordinates(channel: ReportChannel) -> bool {
    match channel {
        ReportChannel::Web => true,
        ReportChannel::Twilio | ReportChannel::AfricasTalking | ReportChannel::SmsSync => false,
    }
}

/// Records a report (see the crate documentation for the coordinates contract).
pub(crate) fn record_report(
    transaction: &mut impl WriteTransaction,
    report: &NewReport,
    now: DateTime<Utc>,
) -> Result<RecordedReport, StoreError> {
    if let Some(id) =
        transaction.find_report_by_message(report.channel, &report.provider_message_id)?
    {
        return Ok(RecordedReport::Duplicate { id });
    }
    let event_place = match &report.incident {
        Some(_) => Some(event_place(report)?),
        None => None,
    };

    let reporter = match &report.reporter {
        Some(reporter) => Some(transaction.find_or_create_reporter(
            reporter,
            &pseudonym(&reporter.phone_hmac),
            now,
        )?),
        None => None,
    };
    let status = match reporter {
        Some((_, true)) => ReportStatus::Verified,
        _ => ReportStatus::Unverified,
    };
    let exact_coordinates = report
        .coordinates
        .filter(|_| carries_exact_coordinates(report.channel));
    let write = ReportWrite {
        channel: report.channel,
        provider_message_id: &report.provider_message_id,
        reporter_id: reporter.map(|(id, _)| id),
        status,
        received_at: report.received_at,
        text: &report.text,
        language: &report.language,
        incident: report.incident.as_ref(),
        clarification: report.clarification.as_deref(),
        coordinates: exact_coordinates,
        location: report.location.as_ref(),
    };
    let Some(id) = transaction.insert_report(&write)? else {
        // A concurrent retry of the same message won the race: answer as its duplicate.
        let id = transaction
            .find_report_by_message(report.channel, &report.provider_message_id)?
            .ok_or_else(|| {
                StoreError::Backend(format!(
                    "report {} on {} was refused as a duplicate but cannot be found",
                    report.provider_message_id,
                    report.channel.as_str()
                ))
            })?;
        return Ok(RecordedReport::Duplicate { id });
    };

    let mut event_id = None;
    if let (Some(incident), Some((point, location))) = (&report.incident, event_place) {
        let located = community_event(id, report, incident, point, location);
        event_id =
            Some(transaction.insert_event(&EventWrite::new(&located, None, Some(status), now))?);
    }
    let payload = stream::report_payload(id, status, report, event_id);
    transaction.append_stream(StreamKind::Report, id, &payload, now)?;
    Ok(RecordedReport::Created { id, status })
}

/// Where a report's event goes: its coordinates and location, which the caller must give
/// with every understood incident.
fn event_place(report: &NewReport) -> Result<((f64, f64), &EventLocation), StoreError> {
    let (Some((longitude, latitude)), Some(location)) = (report.coordinates, &report.location)
    else {
        return Err(StoreError::Conflict(
            "a report with an understood incident needs coordinates (the exact point, or the \
             representative point of the commune it names) and a location"
                .to_owned(),
        ));
    };
    if !longitude.is_finite()
        || !latitude.is_finite()
        || !(-180.0..=180.0).contains(&longitude)
        || !(-90.0..=90.0).contains(&latitude)
    {
        return Err(StoreError::Conflict(format!(
            "report coordinates ({longitude}, {latitude}) are not a WGS84 longitude and latitude"
        )));
    }
    Ok(((longitude, latitude), location))
}

/// The community event a report with an understood incident becomes.
fn community_event(
    report_id: i64,
    report: &NewReport,
    incident: &ReportedIncident,
    (longitude, latitude): (f64, f64),
    location: &EventLocation,
) -> LocatedEvent {
    let exact = carries_exact_coordinates(report.channel);
    let source_event_id = report_event_id(report_id);
    // Only what identifies the report: its text stays with the report, never with events.
    let fields = SourceFields::from_pairs([
        ("report", source_event_id.as_str()),
        ("channel", report.channel.as_str()),
    ]);
    let event = Event {
        source: EventSource::Community,
        source_event_id,
        event_date: incident.occurred_on,
        time_precision: 1,
        disorder_type: None,
        event_type: incident.event_type,
        sub_event_type: incident.sub_event_type.clone(),
        original_event_type: None,
        actor1: None,
        actor2: None,
        associated_actors: Vec::new(),
        inter1: None,
        inter2: None,
        civilian_targeting: incident.event_type
            == vigie_domain::EventType::ViolenceAgainstCivilians,
        fatalities: incident.fatalities,
        fatalities_low: None,
        fatalities_high: None,
        longitude,
        latitude,
        // ACLED's scale: 1 the exact place, 3 a larger area (here the commune).
        geo_precision: Some(if exact { 1 } else { 3 }),
        country: None,
        admin1: None,
        admin2: None,
        admin3: None,
        location: None,
        notes: None,
        source_timestamp: Some(report.received_at.timestamp()),
        flags: if exact {
            Vec::new()
        } else {
            vec![EventFlag::CommuneRepresentativePoint]
        },
        fields,
    };
    LocatedEvent {
        event,
        location: location.clone(),
    }
}

/// Applies an analyst's review.
pub(crate) fn review_report(
    transaction: &mut impl WriteTransaction,
    review: &ReportReview,
    now: DateTime<Utc>,
) -> Result<Report, StoreError> {
    if review.status == ReportStatus::Unverified {
        return Err(StoreError::Conflict(format!(
            "a review verifies or rejects report {}; unverified is not a decision",
            review.report
        )));
    }
    let mut report = transaction
        .load_report(review.report)?
        .ok_or_else(|| StoreError::NotFound(format!("report {}", review.report)))?;
    transaction.set_report_status(review.report, review.status)?;
    transaction.insert_review(review)?;
    let withdrawn_at = (review.status == ReportStatus::Rejected).then_some(review.at);
    transaction.set_event_verification(
        &report_event_id(review.report),
        review.status,
        withdrawn_at,
        now,
    )?;
    report.status = review.status;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_show_the_first_four_bytes_of_the_hmac() {
        assert_eq!(pseudonym(&[0x3f, 0xa9, 0xc2, 0xd1, 0xff]), "R-3fa9c2d1");
    }

    #[test]
    fn truncation_never_splits_a_character() {
        let text = "é".repeat(10);
        assert_eq!(truncate_at_char_boundary(text, 5), "éé");
    }

    #[test]
    fn row_id_sets_hold_what_they_were_given() {
        let mut set = RowIdSet::default();
        set.extend((1..=10_000).chain([i64::MIN, i64::MAX, -1]));
        assert_eq!(set.len(), 10_003);
        assert!(set.contains(&5_000) && set.contains(&i64::MIN) && !set.contains(&0));
    }

    #[test]
    fn outcomes_keep_the_strongest() {
        assert!(EventOutcome::Inserted > EventOutcome::Updated);
        assert!(EventOutcome::Updated > EventOutcome::Unchanged);
    }
}
