//! The SQLite schema, as ordered migrations.
//!
//! Times are UTC text in a fixed-width RFC 3339 form (`2024-03-01T12:00:00.000000Z`) so that
//! they sort as text and read well in the `sqlite3` shell; days are `YYYY-MM-DD`; lists and
//! the raw source fields are JSON text.

use crate::migration::Migration;

/// Every migration, in order.
pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "events, imports, quarantine, sync state, reporters and reports",
        sql: r#"
CREATE TABLE import_runs (
    -- AUTOINCREMENT: a run id is never reused, even after the newest run is removed by hand.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    content_sha256 TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    rows_read INTEGER NOT NULL DEFAULT 0,
    events INTEGER NOT NULL DEFAULT 0,
    inserted INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX import_runs_running ON import_runs (status) WHERE status = 'running';

-- The column names of a source table, once: events refer to them by id.
CREATE TABLE field_layouts (
    id INTEGER PRIMARY KEY,
    -- A JSON array of the names, in file order.
    names TEXT NOT NULL UNIQUE
);

-- What queries filter or sort on are columns; the rest of the event (the attributes nothing
-- queries and the source record's values) is one compact `payload` (see payload.rs), last
-- so that reading the other columns never walks over it.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    source_event_id TEXT NOT NULL,
    event_date TEXT NOT NULL,
    event_type TEXT NOT NULL,
    sub_event_type TEXT,
    fatalities INTEGER NOT NULL,
    longitude REAL NOT NULL,
    latitude REAL NOT NULL,
    source_timestamp INTEGER,
    content_fingerprint INTEGER NOT NULL,
    core_fingerprint INTEGER NOT NULL,
    deleted_at TEXT,
    commune_id TEXT,
    cercle_id TEXT,
    region_id TEXT,
    corridor_ids TEXT NOT NULL DEFAULT '[]',
    -- Equalities rather than IN (…): SQLite evaluates a constant IN list through a temporary
    -- b-tree on every row written, which costs a third of a bulk insert.
    verification TEXT CHECK (verification = 'unverified' OR verification = 'verified'
        OR verification = 'rejected'),
    -- The run that last wrote the event, and below the layout of its source values: no
    -- foreign keys. The store is the only writer of these columns and checks the run in the
    -- same transaction; runs and layouts are never removed. A checked reference costs every
    -- imported event a look-up in each parent table (on PostgreSQL a trigger call per row,
    -- two fifths of a bulk insert).
    import_run INTEGER,
    inserted_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    field_layout INTEGER,
    payload BLOB NOT NULL,
    UNIQUE (source_event_id DESC, source)
);
-- The unique index serves source filters (its first column); dates have their own. A
-- commune's events are found through the date index and a filter (queries come in date
-- windows): every further index costs every insert of an import. Keyset paging uses the
-- primary key.
CREATE INDEX events_by_date ON events (event_date DESC);

CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY,
    import_run INTEGER NOT NULL REFERENCES import_runs (id),
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    line INTEGER NOT NULL,
    field TEXT,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX quarantine_by_run ON quarantine (import_run);

CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE reporters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Keyed HMAC of the number (lookup) and its authenticated encryption (call-back): the
    -- number itself is never stored.
    phone_hmac BLOB NOT NULL UNIQUE,
    phone_sealed BLOB NOT NULL,
    pseudonym TEXT NOT NULL,
    trusted INTEGER NOT NULL DEFAULT 0,
    role TEXT CHECK (role IN ('women', 'youth', 'leader')),
    monitoring_group TEXT,
    commune_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    reporter_id INTEGER REFERENCES reporters (id),
    status TEXT NOT NULL CHECK (status IN ('unverified', 'verified', 'rejected')),
    received_at TEXT NOT NULL,
    text TEXT NOT NULL,
    language TEXT NOT NULL,
    incident TEXT,
    clarification TEXT,
    longitude REAL,
    latitude REAL,
    location TEXT,
    UNIQUE (channel, provider_message_id)
);
CREATE INDEX reports_by_received ON reports (received_at, id);
CREATE INDEX reports_by_status ON reports (status, received_at, id);

CREATE TABLE report_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id INTEGER NOT NULL REFERENCES reports (id),
    status TEXT NOT NULL CHECK (status IN ('verified', 'rejected')),
    analyst TEXT NOT NULL,
    reason TEXT NOT NULL,
    reviewed_at TEXT NOT NULL
);
CREATE INDEX report_reviews_by_report ON report_reviews (report_id, id);
"#,
    },
    Migration {
        version: 2,
        name: "warning transitions, notification outbox and silences",
        sql: r#"
CREATE TABLE warnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    episode TEXT NOT NULL,
    rule TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    zone_level TEXT NOT NULL,
    zone_name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opened', 'escalated', 'de_escalated', 'closed',
        'late_evidence')),
    level TEXT CHECK (level IN ('vigilance', 'alerte', 'urgence')),
    previous_level TEXT CHECK (previous_level IN ('vigilance', 'alerte', 'urgence')),
    transition_day TEXT NOT NULL,
    evidence TEXT NOT NULL,
    late INTEGER NOT NULL,
    inhibited_by TEXT,
    recorded_at TEXT NOT NULL
);
-- A transition is stored once; a closed one has no level, which must still compare equal.
CREATE UNIQUE INDEX warnings_once ON warnings (episode, kind, transition_day, COALESCE(level, ''));
CREATE INDEX warnings_by_zone ON warnings (zone_id, id);
CREATE INDEX warnings_closed ON warnings (episode) WHERE kind = 'closed';

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) > 0),
    committee TEXT NOT NULL,
    -- A member key, never an address: refuse what looks like an email or a phone number.
    recipient TEXT NOT NULL CHECK (length(recipient) > 0 AND instr(recipient, '@') = 0
        AND substr(recipient, 1, 1) <> '+'),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    zone_id TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('vigilance', 'alerte', 'urgence')),
    payload TEXT NOT NULL,
    not_before TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'failed',
        'dead', 'suppressed')),
    suppression TEXT CHECK (suppression IN ('inhibited', 'silenced', 'below_committee_level', 'not_by_sms')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_owner TEXT,
    lease_until TEXT,
    provider TEXT,
    provider_message_id TEXT,
    group_id TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT,
    delivered_at TEXT
);
-- The claim query: rows that may be due, in the order they are claimed. A leased row's
-- next_attempt_at is its lease's expiry, so one range covers retries and dead dispatchers.
CREATE INDEX notifications_due ON notifications (next_attempt_at, id)
    WHERE status IN ('pending', 'failed', 'sending');
CREATE INDEX notifications_by_status ON notifications (status, id);
CREATE INDEX notifications_by_provider_message ON notifications (provider, provider_message_id)
    WHERE provider_message_id IS NOT NULL;

-- Never deleted: expired and revoked silences are the audit trail of what was muted.
CREATE TABLE silences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT,
    zone_id TEXT,
    author TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_by TEXT,
    revoked_at TEXT,
    revoke_reason TEXT,
    CHECK (rule IS NOT NULL OR zone_id IS NOT NULL),
    CHECK (expires_at > created_at)
);
CREATE INDEX silences_by_expiry ON silences (expires_at);
"#,
    },
    Migration {
        version: 3,
        name: "api keys and the stream log",
        sql: r#"
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (length(name) > 0),
    role TEXT NOT NULL CHECK (role IN ('researcher', 'analyst', 'admin')),
    -- SHA-256 of the key's text, never the key. A fast hash is right for keys (not for
    -- passwords): a key is 256 random bits, so there is nothing to guess from a dictionary,
    -- and the hash is also how a request's key is looked up.
    secret_sha256 BLOB NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    -- `vk_` and the first 6 characters, to tell keys apart in a list.
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);

-- Append-only: one row per change the live stream reports, written in the transaction of
-- the change. AUTOINCREMENT: an id is never reused, so a reader resuming after id n never
-- meets an older change under a newer id.
CREATE TABLE stream_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('event', 'report', 'warning', 'hotspot')),
    ref_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    -- A small JSON object of ids and aggregates, never reporter data.
    payload TEXT NOT NULL
);
"#,
    },
    Migration {
        version: 4,
        name: "an index of community events",
        // Community events (from reports) are a few thousand rows among millions imported:
        // a partial index finds them without reading the others, and imports of other
        // sources never write to it.
        sql: r#"
CREATE INDEX events_community ON events (id) WHERE source = 'community';
"#,
    },
    Migration {
        version: 5,
        name: "versions of the zone set",
        // The geography every replica loads: append-only, the highest version is current.
        // A publication is a new row, never an update, so that an older version can be
        // published again and a replica can tell which one it holds.
        sql: r#"
CREATE TABLE geography_versions (
    version INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    label TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    -- Last, so that listing versions never walks over the megabyte or so of each.
    zone_set BLOB NOT NULL
);
"#,
    },
];

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_numbered_in_order() {
        crate::migration::assert_numbered_in_order(super::MIGRATIONS);
    }
}
