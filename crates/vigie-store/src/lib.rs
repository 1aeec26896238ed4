//! Vigie's storage: the [`Store`] port on SQLite (the embedded default, one file) and on
//! PostgreSQL (several replicas sharing one database).
//!
//! [`open`] picks the backend from the database setting and brings the schema up to date.
//! Both backends run the same decision code ([`vigie_domain::decide_upsert`] and the counting,
//! deletion, report and review rules in one shared module) over their own SQL, and pass the
//! same integration suite (`tests/suite.rs`).
//!
//! This crate must never hold a phone number in clear (the domain hands it only the keyed
//! HMAC and the sealed bytes), never log record contents, and never know about HTTP, files
//! to import or configuration: it stores and reads back.
//!
//! # Opening
//!
//! ```
//! # fn main() -> Result<(), vigie_domain::store::StoreError> {
//! let directory = tempfile::tempdir().unwrap();
//! let path = directory.path().join("vigie.db");
//! let store = vigie_store::open(path.to_str().unwrap())?;
//! assert_eq!(store.backend(), "sqlite");
//! # Ok(()) }
//! ```
//!
//! `postgres://…` or `postgresql://…` opens PostgreSQL; anything else is a SQLite file path
//! (created if missing; its directory must exist). The returned store is `Send + Sync` and
//! meant to be shared (`Arc`) by every thread of the process: SQLite serialises writes on one
//! connection and reads on a few others; PostgreSQL uses a pool of up to 8 connections. Every
//! method is synchronous and short; async callers run it on a blocking thread.
//!
//! # Schema
//!
//! The same tables on both backends (SQLite stores times as fixed-width UTC RFC 3339 text,
//! days as `YYYY-MM-DD`, lists and documents as JSON text; PostgreSQL uses `TIMESTAMPTZ`,
//! `DATE`, `TEXT[]` and `JSONB`):
//!
//! - `schema_migrations (version, applied_at)`: the migrations applied, embedded in this crate
//!   and run on open in one transaction (under an advisory lock on PostgreSQL).
//! - `events`: one row per (`source`, `source_event_id`) (unique), store `id` increasing in
//!   insertion order; every typed field of [`vigie_domain::Event`]; the source record's raw
//!   `fields` as a JSON object; `flags`; `source_timestamp`; `content_fingerprint` and
//!   `core_fingerprint` (the unsigned hashes' bit patterns in signed 64-bit columns); the
//!   location (`location_status`, `commune_id`, `cercle_id`, `region_id`, `corridor_ids`);
//!   `verification` (community events); `import_run` (the run that last wrote it);
//!   `inserted_at`, `updated_at`, `deleted_at` (soft deletion: a deleted event stays stored,
//!   out of queries that do not ask for it). Indexed by date, by (commune, date), and by the
//!   unique (source, source id), which also serves source filters; community events also by
//!   id alone (a partial index, migration 4: they are few among millions imported).
//! - `quarantine (import_run, source, origin, line, field, reason, raw, created_at)`: records
//!   refused by readers, and rows conflicting with a stored event (line 0: the store does not
//!   know the line).
//! - `import_runs (source, origin, content_sha256, started_at, finished_at, status, counts…,
//!   error)`.
//! - `sync_state (key, value, updated_at)`.
//! - `reporters (id, phone_hmac unique, phone_sealed, pseudonym, trusted, role,
//!   monitoring_group, commune_id, created_at, updated_at)`.
//! - `reports (id, channel, provider_message_id, reporter_id, status, received_at, text,
//!   language, incident JSON, clarification, longitude, latitude, location JSON)`, unique on
//!   (channel, provider message id).
//! - `report_reviews (report_id, status, analyst, reason, reviewed_at)`: the audit trail.
//! - `warnings`: warning transitions ([`vigie_domain::WarningRecord`]), unique on (episode,
//!   kind, day, level), the engine's evidence as JSON.
//! - `notifications`: the outbox ([`vigie_domain::Notification`]), unique on the idempotency
//!   key; a partial index on (`next_attempt_at`, id) over pending, failed and sending rows
//!   serves the claim (a leased row's `next_attempt_at` is its lease's expiry), another on
//!   (provider, provider message id) serves delivery receipts. Recipients are member keys:
//!   a CHECK refuses text that looks like an email address or a phone number.
//! - `silences`: never deleted; revocation records who, when and why.
//! - `api_keys (id, name, role, secret_sha256 unique, prefix, created_at, revoked_at,
//!   last_used_at)`: the SHA-256 of each key, never the key (migration 3).
//! - `stream_log (id, kind, ref_id, created_at, payload)`: append-only, one entry per import
//!   batch that changed events, per recorded report and per new warning transition, written
//!   in the transaction of the change; ids increase in commit order (on PostgreSQL appends
//!   take an advisory lock held until commit). Payloads hold ids and aggregates only.
//! - `geography_versions (version, sha256, size_bytes, label, created_at, zone_set)`: the
//!   encoded zone sets every process locates events with, append-only, the highest version
//!   current (migration 5). Publishing the bytes of the current version writes nothing;
//!   publications take a lock (the writer's on SQLite, an advisory lock on PostgreSQL) and on
//!   PostgreSQL notify [`GEOGRAPHY_CHANNEL`] with the new version at commit.
//!
//! # Delivery
//!
//! [`DeliveryStore::record_warnings`] writes transitions and their notifications in one
//! transaction, both idempotent (`ON CONFLICT DO NOTHING`). Dispatchers lease due rows with
//! [`DeliveryStore::claim_notifications`]: on SQLite inside one `BEGIN IMMEDIATE`
//! transaction, on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so concurrent claims never take
//! the same row; a row whose lease expired comes back. Settling a row (sent, failed,
//! released) requires still holding its lease. The engine's position is the `sync_state`
//! key `engine.position`.
//!
//! # Import batches
//!
//! [`Store::apply_batch`] applies a batch in one transaction. For each event, in order, it
//! looks the stored version up by (source, source id) and follows
//! [`vigie_domain::decide_upsert`]: insert; replace (which also revives a deleted event);
//! keep; merge the actors of another row of a monadic export into the stored event; or, for
//! a row with the stored timestamp but other content, quarantine it. Counts: `events` is the
//! number of distinct events of the batch that no earlier batch of the same run counted, and
//! each is counted once as inserted (this run inserted it), updated (this run replaced or
//! merged it) or unchanged. An event met again in a later batch of the same run is not
//! counted again, even if that batch changes it. Batches of one run must go to the same
//! store value (the per-run tally is kept in memory; a run does not outlive its process).
//!
//! [`Store::apply_deletions`] marks deleted the events of the source not already deleted and
//! not edited after the deletion (a record whose source timestamp is newer than the deletion
//! came back: re-running an old deletion list must not remove it again).
//!
//! # Reports: the coordinates contract
//!
//! [`Store::record_report`] deduplicates on (channel, provider message id), finds or creates
//! the sender by phone HMAC (unknown senders become untrusted reporters named `R-` and the
//! first 8 hex digits of the HMAC; their `trusted` flag is never taken from the report),
//! and marks the report verified when the sender is trusted, unverified otherwise. A report
//! whose `incident` is understood also becomes an event of source `community` with id
//! `R<report id>`, in the same transaction, and for that the caller must give both
//! `location` and `coordinates`, or the call fails with [`StoreError::Conflict`] and nothing
//! is stored:
//!
//! - on the web channel, `coordinates` is the exact point the form gave: it is kept on the
//!   report and the event sits there (`geo_precision` 1);
//! - on the SMS channels (Twilio, Africa's Talking, SMSSync), which carry no coordinates,
//!   `coordinates` must be the representative point of the commune the text names: the event
//!   sits there, flagged [`vigie_domain::EventFlag::CommuneRepresentativePoint`] with
//!   `geo_precision` 3, and the report itself keeps no coordinates.
//!
//! [`Store::review_report`] records the decision in the audit trail and updates the event's
//! verification; a rejected report's event is withdrawn (deleted at the review time), and
//! verifying it again restores it.

mod codec;
mod delivery;
mod error;
mod geography;
mod json;
mod layout;
mod logic;
mod migration;
mod payload;
mod postgres;
mod query;
mod sqlite;
mod stream;

use std::sync::Arc;

pub use vigie_domain::store::{DeliveryStore, Store, StoreError};

pub use crate::geography::{GEOGRAPHY_CHANNEL, sha256_hex as geography_digest};
pub use crate::postgres::PostgresStore;
pub use crate::postgres::cluster::{
    GEOGRAPHY_LISTEN_APPLICATION, LEADER_LOCK_APPLICATION, LEADER_LOCK_KEY, LeaderLock,
    ListenOutcome, Listener, STREAM_CHANNEL, STREAM_LISTEN_APPLICATION, listen_stream,
};
pub use crate::sqlite::SqliteStore;

/// Opens the store named by `database`: a `postgres://` or `postgresql://` URL, or else the
/// path of a SQLite file (created if missing; its directory must exist). Migrations are
/// applied before it returns.
pub fn open(database: &str) -> Result<Arc<dyn Store>, StoreError> {
    if is_postgres_url(database) {
        Ok(Arc::new(PostgresStore::open(database)?))
    } else {
        Ok(Arc::new(SqliteStore::open(database)?))
    }
}

/// Whether `database` names a PostgreSQL database (else a SQLite file).
pub fn is_postgres_url(database: &str) -> bool {
    let lowercase = database.trim_start().to_ascii_lowercase();
    lowercase.starts_with("postgres://") || lowercase.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_postgres_and_anything_else_is_a_file() {
        assert!(is_postgres_url("postgres://localhost/vigie"));
        assert!(is_postgres_url("postgresql://vigie@db:5432/vigie"));
        assert!(is_postgres_url("PostgreSQL://db/vigie"));
        assert!(!is_postgres_url("data/vigie.db"));
        assert!(!is_postgres_url("/var/lib/postgres://odd-but-a-path"));
    }
}
