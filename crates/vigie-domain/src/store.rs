//! The storage port: what Vigie asks of its database, whatever the database is.
//!
//! Two adapters implement [`Store`] (`vigie-store`): SQLite, the embedded default, and
//! PostgreSQL, for deployments that outgrow one machine. Both run the same integration suite.
//! The trait is synchronous: storage calls are short, and async callers run them on a blocking
//! thread.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{
    ApiKey, Deletion, EventSource, ImportCounts, LocatedEvent, NewApiKey, NewNotification,
    NewReport, NewReporter, NewSilence, Notification, NotificationQuery, OpenEpisode, OutboxStats,
    QuarantineRecord, ReceiptStatus, RecordOutcome, RecordedReport, Report, ReportReview,
    ReportStatus, Reporter, Silence, StoredWarning, StreamEntry, StreamKind, WarningQuery,
    WarningRecord, ZoneId,
};

/// A storage failure.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The request contradicts what is stored (e.g. verifying a rejected report twice).
    #[error("{0}")]
    Conflict(String),
    /// The database is unreachable, full, locked beyond the timeout, or refused the query.
    #[error("database error: {0}")]
    Backend(String),
    /// The stored data cannot be read back (a bug or a foreign schema).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The state of an import run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    /// Started, not finished (or the process died: see [`Store::start_import`]).
    Running,
    /// Finished.
    Completed,
    /// Stopped on an error.
    Failed,
    /// Found still running by a later import: its process died.
    Interrupted,
}

/// One run of an importer over one file or API sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRun {
    /// Store id.
    pub id: i64,
    /// Which source.
    pub source: EventSource,
    /// File name or API URL.
    pub origin: String,
    /// SHA-256 of the file, hex, when a file was read.
    pub content_sha256: Option<String>,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished, if it did.
    pub finished_at: Option<DateTime<Utc>>,
    /// State.
    pub status: ImportStatus,
    /// What it did (the totals of its batches).
    pub counts: ImportCounts,
    /// The error, for failed runs.
    pub error: Option<String>,
}

/// A batch of an import, applied in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    /// Rows read for this batch (valid and quarantined).
    pub rows_read: u64,
    /// Events to upsert (rows of one event already grouped, or not: the store merges).
    pub events: Vec<LocatedEvent>,
    /// Rows refused, with their reasons.
    pub quarantined: Vec<QuarantineRecord>,
}

/// Which events to read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventQuery {
    /// Only this source.
    pub source: Option<EventSource>,
    /// Only events on or after this day.
    pub from: Option<NaiveDate>,
    /// Only events on or before this day.
    pub to: Option<NaiveDate>,
    /// Only events in this commune.
    pub commune: Option<ZoneId>,
    /// Only events whose stored point lies in this box, `[west, south, east, north]` in
    /// degrees, edges included, west ≤ east (a box across the antimeridian is two queries).
    /// The stored point, not the published one: a community event served at its commune's
    /// point is found by its own.
    pub within: Option<[f64; 4]>,
    /// Only this source id (e.g. `MLI4682`).
    pub source_event_id: Option<String>,
    /// Include events the source deleted (off by default).
    pub include_deleted: bool,
    /// At most this many (ordered by store id).
    pub limit: Option<u64>,
    /// Only events with a store id above this (keyset paging).
    pub after_id: Option<i64>,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Store id, increasing in insertion order.
    pub id: i64,
    /// The event and its zones.
    pub located: LocatedEvent,
    /// For community events: the report's verification state.
    pub verification: Option<ReportStatus>,
    /// The import run that last wrote it.
    pub import_run: Option<i64>,
    /// First stored.
    pub inserted_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When the source deleted it, if it did.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A quarantined record as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredQuarantine {
    /// Store id.
    pub id: i64,
    /// The import run that met it.
    pub import_run: i64,
    /// The record and why.
    #[serde(flatten)]
    pub record: QuarantineRecord,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Which reports to read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportQuery {
    /// Only this status.
    pub status: Option<ReportStatus>,
    /// At most this many, newest first.
    pub limit: Option<u64>,
}

/// One published version of the zone set (communes, cercles, regions, corridors), as the
/// store keeps it: the encoded bytes are immutable once published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeographyVersion {
    /// 1, 2, 3… in publication order; the highest is the current one.
    pub version: i64,
    /// SHA-256 of the encoded bytes, lowercase hex.
    pub sha256: String,
    /// Size of the encoded bytes.
    pub size_bytes: u64,
    /// Where it came from (a file name, `embedded`), for operators.
    pub label: String,
    /// When it was published.
    pub created_at: DateTime<Utc>,
}

/// A published zone set with its encoded bytes (the `vigie-spatial` codec's format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGeography {
    /// Which version.
    pub version: GeographyVersion,
    /// The encoded zone set.
    pub bytes: Vec<u8>,
}

/// What [`Store::publish_geography`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeographyPublication {
    /// The current version after the call.
    pub version: GeographyVersion,
    /// False when the bytes were already the current version (nothing was written).
    pub published: bool,
}

/// Vigie's storage. Every method is one transaction: it happens completely or not at all.
///
/// Every store is also a [`DeliveryStore`], so the one value `vigie_store::open` returns
/// serves ingestion, the engine and the dispatcher (`&dyn Store` coerces to
/// `&dyn DeliveryStore`).
pub trait Store: DeliveryStore + Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    // --- imports ---

    /// Opens an import run. Runs still marked running from an earlier process that died are
    /// marked interrupted first.
    fn start_import(
        &self,
        source: EventSource,
        origin: &str,
        content_sha256: Option<&str>,
    ) -> Result<i64, StoreError>;

    /// Upserts a batch of events and keeps its quarantined rows, in one transaction, following
    /// [`crate::decide_upsert`]: returns what the batch did (`events` = distinct ids among the
    /// batch's events that this run had not met in an earlier batch).
    fn apply_batch(&self, run: i64, batch: &ImportBatch) -> Result<ImportCounts, StoreError>;

    /// Applies a deletion list: marks the events deleted (they stay stored, out of every
    /// query that does not ask for them). Returns how many events it removed.
    fn apply_deletions(
        &self,
        run: i64,
        source: EventSource,
        deletions: &[Deletion],
    ) -> Result<u64, StoreError>;

    /// Closes an import run with its totals; `content_sha256` (hex) records the digest of
    /// the file read when it was only known at the end of a streamed read (`None` keeps the
    /// one given at the start).
    fn finish_import(
        &self,
        run: i64,
        status: ImportStatus,
        counts: &ImportCounts,
        content_sha256: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), StoreError>;

    /// The latest import runs, newest first.
    fn import_runs(&self, limit: u64) -> Result<Vec<ImportRun>, StoreError>;

    // --- events ---

    /// How many events match (deleted ones only when asked).
    fn count_events(&self, query: &EventQuery) -> Result<u64, StoreError>;

    /// The events that match, by increasing store id.
    fn events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError>;

    /// The quarantined records, newest first.
    fn quarantine(&self, limit: u64) -> Result<Vec<StoredQuarantine>, StoreError>;

    // --- sync state (e.g. the ACLED API's last sync timestamp) ---

    /// A stored value.
    fn sync_state(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Stores a value.
    fn set_sync_state(&self, key: &str, value: &str) -> Result<(), StoreError>;

    // --- reporters and reports ---

    /// Registers a monitor, or updates the monitor with the same phone HMAC.
    fn register_reporter(&self, reporter: &NewReporter) -> Result<Reporter, StoreError>;

    /// The reporter with this phone HMAC.
    fn find_reporter(&self, phone_hmac: &[u8]) -> Result<Option<Reporter>, StoreError>;

    /// The sealed (encrypted) phone number of a reporter, for the few who may call back.
    fn sealed_phone(&self, reporter_id: i64) -> Result<Vec<u8>, StoreError>;

    /// Records a report, deduplicated on (channel, provider message id). Unknown senders are
    /// recorded as untrusted reporters. A report from a trusted reporter is verified, any
    /// other unverified. A report whose incident is understood also becomes an event of
    /// source `community` (id `R<report id>`), in the same transaction.
    fn record_report(&self, report: &NewReport) -> Result<RecordedReport, StoreError>;

    /// An analyst verifies or rejects a report; the decision joins the audit trail and the
    /// report's event follows (a rejected report's event is withdrawn).
    fn review_report(&self, review: &ReportReview) -> Result<Report, StoreError>;

    /// One report.
    fn report(&self, id: i64) -> Result<Report, StoreError>;

    /// Reports, newest first.
    fn reports(&self, query: &ReportQuery) -> Result<Vec<Report>, StoreError>;

    /// The audit trail of one report, oldest first.
    fn report_reviews(&self, id: i64) -> Result<Vec<ReportReview>, StoreError>;

    // --- API keys (see [`crate::ApiKey`]: only hashes are stored) ---

    /// Stores a new key. [`StoreError::Conflict`] if its hash is already stored.
    fn create_api_key(&self, key: &NewApiKey) -> Result<ApiKey, StoreError>;

    /// The key with this SHA-256, revoked or not.
    fn api_key_by_hash(&self, secret_sha256: &[u8]) -> Result<Option<ApiKey>, StoreError>;

    /// Every key, revoked ones included, by id.
    fn api_keys(&self) -> Result<Vec<ApiKey>, StoreError>;

    /// Revokes a key: it opens nothing from then on. [`StoreError::NotFound`] for an unknown
    /// id, [`StoreError::Conflict`] for a key already revoked.
    fn revoke_api_key(&self, id: i64) -> Result<ApiKey, StoreError>;

    /// Records that a key was used at `at` (callers throttle this: it is a write).
    fn record_api_key_use(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError>;

    // --- the live stream's log (see [`crate::StreamEntry`]) ---

    /// Up to `limit` entries with an id above `after_id`, by increasing id. Ids increase in
    /// commit order, so reading on from the last id seen never misses an entry.
    fn stream_since(&self, after_id: i64, limit: u32) -> Result<Vec<StreamEntry>, StoreError>;

    /// The id of the latest entry (0 when the log is empty).
    fn stream_head(&self) -> Result<i64, StoreError>;

    /// Appends an entry for a change the store does not log itself (hotspot
    /// recomputations); returns its id. Events, reports and warnings are logged by the
    /// methods that store them, in their transaction: publishing those kinds here is a
    /// [`StoreError::Conflict`].
    fn publish_stream(
        &self,
        kind: StreamKind,
        ref_id: i64,
        payload: &serde_json::Value,
    ) -> Result<i64, StoreError>;

    // --- the geography (see [`GeographyVersion`]) ---

    /// The current zone set with its bytes, or `None` when none was ever published.
    fn current_geography(&self) -> Result<Option<StoredGeography>, StoreError>;

    /// The current version without its bytes (a cheap look for replicas checking whether
    /// they are up to date).
    fn current_geography_version(&self) -> Result<Option<GeographyVersion>, StoreError>;

    /// Every published version, newest first, without the bytes.
    fn geography_versions(&self) -> Result<Vec<GeographyVersion>, StoreError>;

    /// Publishes `bytes` (an encoded zone set; the store does not decode it) as the new
    /// current version, unless they already are the current version, in which case nothing
    /// is written. Concurrent publications are serialised, so two replicas seeding an empty
    /// store at once make one version. On PostgreSQL a new version also sends
    /// `NOTIFY vigie_geography` with its number, delivered at commit.
    fn publish_geography(
        &self,
        bytes: &[u8],
        label: &str,
    ) -> Result<GeographyPublication, StoreError>;
}

/// The storage side of delivery: warning transitions, the notification outbox, silences, and
/// how far the engine has evaluated. Every method is one transaction.
///
/// Times are given by the caller (`now`) rather than read from a clock, so that a dispatcher
/// and its tests agree on what "due" and "expired" mean.
pub trait DeliveryStore: Send + Sync {
    // --- warnings ---

    /// Records transitions and their notifications in one transaction: all of them or, on
    /// any error, none. A transition already stored (same episode, kind, day and level) is
    /// not stored again, nor is a notification whose idempotency key is stored, so recording
    /// the same thing twice is harmless. Returns how many of each were new.
    ///
    /// The database refuses a notification whose recipient looks like an email address or a
    /// phone number (recipients are member keys), or whose idempotency key is empty.
    fn record_warnings(
        &self,
        warnings: &[WarningRecord],
        notifications: &[NewNotification],
    ) -> Result<RecordOutcome, StoreError>;

    /// Stored transitions, by increasing store id.
    fn warnings(&self, query: &WarningQuery) -> Result<Vec<StoredWarning>, StoreError>;

    /// Episodes with no `closed` transition, with their current level, by episode id.
    fn open_episodes(&self) -> Result<Vec<OpenEpisode>, StoreError>;

    /// The last day the engine evaluated, if it ever did.
    fn engine_position(&self) -> Result<Option<NaiveDate>, StoreError>;

    /// Records the last day the engine evaluated.
    fn set_engine_position(&self, day: NaiveDate) -> Result<(), StoreError>;

    // --- outbox ---

    /// Leases up to `limit` due notifications to `owner` until `now + lease` and returns
    /// them, oldest due first (by `next_attempt_at`, then id). Due: pending or failed with
    /// `next_attempt_at <= now`, or sending with a lease expired by `now` (its dispatcher
    /// died; the row is sent again). Each claim counts as an attempt. Concurrent claims,
    /// from threads or processes, never lease the same row twice.
    fn claim_notifications(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError>;

    /// Marks sent the rows of `ids` that `owner` still leases (a row another dispatcher has
    /// reclaimed after the lease expired is left alone), with the provider's message id and
    /// the group they were sent in. Returns the ids updated, in increasing order. A lease
    /// that expired but that nobody reclaimed still counts as held: the message did leave.
    fn mark_sent(
        &self,
        ids: &[i64],
        owner: &str,
        provider: &str,
        provider_message_id: Option<&str>,
        group_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError>;

    /// Records a failed attempt on the rows of `ids` that `owner` still leases: they are
    /// tried again at `next_attempt_at`, or, with `None`, become dead letters. Returns the
    /// ids updated, in increasing order.
    fn mark_failed(
        &self,
        ids: &[i64],
        owner: &str,
        error: &str,
        next_attempt_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError>;

    /// Gives back rows `owner` leases without having tried them (shutdown, a group that must
    /// wait, the storm guard): they are due again at `due_at` (`now` for at once), as pending
    /// (or failed, if an earlier attempt failed), and the claim does not count as an
    /// attempt. Returns the ids updated, in increasing order.
    fn release(
        &self,
        ids: &[i64],
        owner: &str,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError>;

    /// Makes due at `now` every row leased by a dispatcher other than `owner`, for a new
    /// leader taking over from one that died or was cut off: its claims would otherwise wait
    /// out their leases before anyone sent them. The rows stay `sending` with their attempt
    /// counted (the old leader may have sent them just before it stopped: delivery is at
    /// least once), so the next claim takes them at once. Returns how many rows changed.
    fn expire_foreign_leases(&self, owner: &str, now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Applies a provider's delivery receipt to the sent rows carrying its message id:
    /// delivered, or, for a failure, dead with `detail` as the last error (a gateway that
    /// gave up is not retried: an alert re-sent hours late misleads). Returns how many rows
    /// changed; a receipt for an unknown or already settled message changes none.
    fn apply_delivery_receipt(
        &self,
        provider: &str,
        provider_message_id: &str,
        status: ReceiptStatus,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Notifications, by increasing store id.
    fn notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>, StoreError>;

    /// Counts by status and the age of the oldest due row.
    fn outbox_stats(&self, now: DateTime<Utc>) -> Result<OutboxStats, StoreError>;

    // --- silences ---

    /// Adds a silence, muting from `now`. Refused ([`StoreError::Conflict`]) when it expires
    /// at or before `now`.
    fn add_silence(&self, silence: &NewSilence, now: DateTime<Utc>) -> Result<Silence, StoreError>;

    /// Lifts a silence before its expiry, recording who and why; the silence stays stored.
    /// [`StoreError::NotFound`] for an unknown id, [`StoreError::Conflict`] for one already
    /// revoked.
    fn revoke_silence(
        &self,
        id: i64,
        by: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Silence, StoreError>;

    /// Every silence (or only those not yet expired nor revoked at `now`), by id.
    fn silences(
        &self,
        include_expired: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Silence>, StoreError>;

    /// The silences muting at `now`, by id.
    fn active_silences(&self, now: DateTime<Utc>) -> Result<Vec<Silence>, StoreError>;
}
