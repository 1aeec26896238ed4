//! The PostgreSQL schema, as ordered migrations: the same tables and meaning as SQLite's,
//! with native types (TIMESTAMPTZ, DATE, BYTEA, TEXT[] lists, JSONB documents).

use crate::migration::Migration;

/// Every migration, in order.
pub(super) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "events, imports, quarantine, sync state, reporters and reports",
    sql: r#"
CREATE TABLE import_runs (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    content_sha256 TEXT,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    rows_read BIGINT NOT NULL DEFAULT 0,
    events BIGINT NOT NULL DEFAULT 0,
    inserted BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    quarantined BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX import_runs_running ON import_runs (status) WHERE status = 'running';

-- The column names of a source table, once: events refer to them by id. Unique by
-- convention (the store looks a layout up by the hash of its names and takes an advisory
-- lock to add one), not by a unique index, which a wide table's names could outgrow.
CREATE TABLE field_layouts (
    id BIGSERIAL PRIMARY KEY,
    -- A JSON array of the names, in file order.
    names TEXT NOT NULL
);
CREATE INDEX field_layouts_by_names ON field_layouts (md5(names));

-- What queries filter or sort on are columns; the rest of the event (the attributes nothing
-- queries and the source record's values) is one compact `payload` (see payload.rs).
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    source_event_id TEXT NOT NULL,
    event_date DATE NOT NULL,
    event_type TEXT NOT NULL,
    sub_event_type TEXT,
    fatalities BIGINT NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    latitude DOUBLE PRECISION NOT NULL,
    source_timestamp BIGINT,
    content_fingerprint BIGINT NOT NULL,
    core_fingerprint BIGINT NOT NULL,
    deleted_at TIMESTAMPTZ,
    commune_id TEXT,
    cercle_id TEXT,
    region_id TEXT,
    corridor_ids TEXT[] NOT NULL DEFAULT '{}',
    verification TEXT CHECK (verification IN ('unverified', 'verified', 'rejected')),
    -- The run that last wrote the event, and below the layout of its source values: no
    -- foreign keys. The store is the only writer of these columns and checks the run in the
    -- same transaction; runs and layouts are never removed. A checked reference costs every
    -- imported event a look-up in each parent table (on PostgreSQL a trigger call per row,
    -- two fifths of a bulk insert).
    import_run BIGINT,
    inserted_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    field_layout BIGINT,
    payload BYTEA NOT NULL,
    UNIQUE (source, source_event_id)
);
CREATE INDEX events_by_date ON events (event_date);

CREATE TABLE quarantine (
    id BIGSERIAL PRIMARY KEY,
    import_run BIGINT NOT NULL REFERENCES import_runs (id),
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    line BIGINT NOT NULL,
    field TEXT,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX quarantine_by_run ON quarantine (import_run);

CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE reporters (
    id BIGSERIAL PRIMARY KEY,
    -- Keyed HMAC of the number (lookup) and its authenticated encryption (call-back): the
    -- number itself is never stored.
    phone_hmac BYTEA NOT NULL UNIQUE,
    phone_sealed BYTEA NOT NULL,
    pseudonym TEXT NOT NULL,
    trusted BOOLEAN NOT NULL DEFAULT FALSE,
    role TEXT CHECK (role IN ('women', 'youth', 'leader')),
    monitoring_group TEXT,
    commune_id TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    channel TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    reporter_id BIGINT REFERENCES reporters (id),
    status TEXT NOT NULL CHECK (status IN ('unverified', 'verified', 'rejected')),
    received_at TIMESTAMPTZ NOT NULL,
    text TEXT NOT NULL,
    language TEXT NOT NULL,
    incident JSONB,
    clarification TEXT,
    longitude DOUBLE PRECISION,
    latitude DOUBLE PRECISION,
    location JSONB,
    UNIQUE (channel, provider_message_id)
);
CREATE INDEX reports_by_received ON reports (received_at, id);
CREATE INDEX reports_by_status ON reports (status, received_at, id);

CREATE TABLE report_reviews (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES reports (id),
    status TEXT NOT NULL CHECK (status IN ('verified', 'rejected')),
    analyst TEXT NOT NULL,
    reason TEXT NOT NULL,
    reviewed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX report_reviews_by_report ON report_reviews (report_id, id);
"#,
}];

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_numbered_in_order() {
        crate::migration::assert_numbered_in_order(super::MIGRATIONS);
    }
}
