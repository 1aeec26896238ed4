//! The PostgreSQL backend, for deployments that outgrow one machine: several replicas of the
//! server share one database.
//!
//! Connections come from a small pool ([`pool`]); every store call checks one out for the
//! length of one transaction. Migrations run on open under an advisory lock, so replicas
//! starting together migrate one after the other.

mod access;
mod batch;
pub mod cluster;
mod delivery;
mod geography;
mod pool;
mod schema;

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, PoisonError};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use postgres::config::Host;
use postgres::types::{Json, ToSql};
use postgres::{Config, Row, Statement};
use vigie_domain::store::{
    EventQuery, ImportBatch, ImportRun, ImportStatus, ReportQuery, Store, StoreError, StoredEvent,
    StoredQuarantine,
};
use vigie_domain::{
    Deletion, EventLocation, EventSource, ImportCounts, LocatedEvent, NewReport, NewReporter,
    QuarantineRecord, RecordedReport, Report, ReportChannel, ReportReview, ReportStatus,
    ReportedIncident, Reporter, StoredVersion,
};

use self::batch::{EventColumns, PendingWrites};
use self::pool::{PgConnection, Pool};
use crate::codec::{
    EVENT_READ_COLUMNS, EventRow, EventWrite, IMPORT_RUN_READ_COLUMNS, ImportRunRow,
    QUARANTINE_READ_COLUMNS, QuarantineRow, REPORT_FROM, REPORT_READ_COLUMNS,
    REPORTER_READ_COLUMNS, ReportRow, ReporterRow, count_column, count_from_column,
    fingerprint_from_column, import_count_columns, import_status_name, parse_report_status,
    to_microseconds, unix_seconds,
};
use crate::error::ResultExt;
use crate::layout::{ReadLayouts, WriteLayouts, names_json};
use crate::logic::{self, ReportWrite, RunTallies, StoredEventVersion, WriteTransaction};
use crate::migration::newer_schema_error;
use crate::payload::FieldHints;
use crate::query::{EventFilter, FilterValue, Placeholders};

/// Connections per store: enough for the HTTP server's blocking threads and an import at
/// once, few enough that several replicas stay far below PostgreSQL's default of 100.
const MAX_CONNECTIONS: usize = 8;

/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The advisory lock key that serialises migrations (the bytes of "vigie-mg").
const MIGRATION_LOCK_KEY: i64 = 0x7669_6769_652d_6d67;

/// The advisory lock key that serialises the creation of field layouts ("vigie-fl").
const LAYOUT_LOCK_KEY: i64 = 0x7669_6769_652d_666c;

/// Vigie's store in a PostgreSQL database.
///
/// Durability: commits are synchronous except for import batches and deletion lists, which
/// commit with `synchronous_commit = off` (imports are idempotent and re-runnable; a crash
/// of the server loses at most the last fraction of a second of them, never consistency).
pub struct PostgresStore {
    pool: Pool,
    tallies: RunTallies,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PostgresStore")
            .field("database", &self.pool.label())
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/database`)
    /// and brings its schema up to date. TLS is not used: run it on a trusted network or
    /// through a local socket or tunnel.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let mut config: Config = url.parse().map_err(|error: postgres::Error| {
            StoreError::Backend(format!("invalid PostgreSQL URL: {error}"))
        })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        if config.get_application_name().is_none() {
            config.application_name("vigie");
        }
        let pool = Pool::new(config.clone(), describe(&config), MAX_CONNECTIONS);
        {
            let mut connection = pool.get()?;
            migrate(&mut connection, pool.label())?;
        }
        Ok(PostgresStore {
            pool,
            tallies: RunTallies::default(),
        })
    }

    /// Runs `body` in one transaction on a pooled connection, committing if it succeeds.
    fn write<T>(
        &self,
        relaxed: bool,
        what: &str,
        body: impl FnOnce(&mut PgTransaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = self.pool.get()?;
        let PgConnection { client, statements } = &mut *connection;
        let transaction = client
            .transaction()
            .with_context(|| format!("{what}: cannot begin a transaction"))?;
        let mut writer = PgTransaction::new(transaction, statements);
        if relaxed {
            writer
                .transaction
                .batch_execute("SET LOCAL synchronous_commit = off")
                .with_context(|| format!("{what}: cannot relax the commit"))?;
        }
        let value = body(&mut writer)?;
        writer.flush()?;
        writer
            .transaction
            .commit()
            .with_context(|| format!("{what}: commit failed"))?;
        Ok(value)
    }

    /// Runs `body` in a read-only transaction (one snapshot for all its statements).
    fn read<T>(
        &self,
        what: &str,
        body: impl FnOnce(&mut PgTransaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = self.pool.get()?;
        let PgConnection { client, statements } = &mut *connection;
        let transaction = client
            .build_transaction()
            .read_only(true)
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .start()
            .with_context(|| format!("{what}: cannot begin a transaction"))?;
        let mut reader = PgTransaction::new(transaction, statements);
        let value = body(&mut reader)?;
        reader
            .transaction
            .commit()
            .with_context(|| format!("{what}: cannot end the transaction"))?;
        Ok(value)
    }
}

/// `host:port/database` of a configuration, without credentials.
fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let database = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{database}")
}

fn migrate(connection: &mut PgConnection, label: &str) -> Result<(), StoreError> {
    let context = || format!("cannot migrate PostgreSQL database {label}");
    let client = &mut connection.client;
    // Session-level lock: held until unlocked below, or until the connection drops if this
    // process dies mid-way, so a crashed replica never blocks the others.
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY])
        .with_context(context)?;
    let migrated = (|| {
        let mut transaction = client.transaction().with_context(context)?;
        transaction
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version BIGINT PRIMARY KEY,
                     applied_at TIMESTAMPTZ NOT NULL
                 )",
            )
            .with_context(context)?;
        let current: i64 = transaction
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
                &[],
            )
            .with_context(context)?
            .get(0);
        let known = schema::MIGRATIONS
            .last()
            .map_or(0, |migration| migration.version);
        if current > known {
            return Err(newer_schema_error(current, known));
        }
        for migration in schema::MIGRATIONS
            .iter()
            .filter(|migration| migration.version > current)
        {
            transaction.batch_execute(migration.sql).with_context(|| {
                format!(
                    "{}: migration {} ({})",
                    context(),
                    migration.version,
                    migration.name
                )
            })?;
            transaction
                .execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    &[&migration.version, &Utc::now()],
                )
                .with_context(context)?;
        }
        transaction.commit().with_context(context)
    })();
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY])
        .with_context(context);
    migrated.and(unlocked.map(drop))
}

/// PostgreSQL text cannot hold NUL characters (SQLite's can). Source files sometimes carry
/// them; they become U+FFFD rather than failing the whole batch.
fn without_nul(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// One open transaction, with its connection's statement cache and the event writes it has
/// gathered but not sent yet ([`batch`]).
struct PgTransaction<'c> {
    transaction: postgres::Transaction<'c>,
    statements: &'c mut HashMap<&'static str, Statement>,
    pending: PendingWrites,
    layouts: WriteLayouts,
    /// Store ids taken from the sequence and not used yet, next first.
    event_ids: VecDeque<i64>,
}

impl<'c> PgTransaction<'c> {
    fn new(
        transaction: postgres::Transaction<'c>,
        statements: &'c mut HashMap<&'static str, Statement>,
    ) -> PgTransaction<'c> {
        PgTransaction {
            transaction,
            statements,
            pending: PendingWrites::default(),
            layouts: WriteLayouts::default(),
            event_ids: VecDeque::new(),
        }
    }

    /// The prepared statement for `sql`, prepared on first use on this connection.
    fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self
            .transaction
            .prepare(sql)
            .context("cannot prepare a statement")?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    /// Sends the gathered writes. Every other statement runs after this.
    fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if self.pending.inserts.len() > 0 {
            let statement = self.statement(batch::INSERT_EVENTS)?;
            let transaction = &mut self.transaction;
            self.pending
                .inserts
                .with_insert_parameters(|parameters| transaction.execute(&statement, parameters))
                .context("cannot insert events")?;
            self.pending.inserts.clear();
        }
        if self.pending.replaces.len() > 0 {
            let statement = self.statement(batch::REPLACE_EVENTS)?;
            let transaction = &mut self.transaction;
            self.pending
                .replaces
                .with_replace_parameters(|parameters| transaction.execute(&statement, parameters))
                .context("cannot update events")?;
            self.pending.replaces.clear();
        }
        if self.pending.quarantine.len() > 0 {
            let statement = self.statement(batch::INSERT_QUARANTINE)?;
            let transaction = &mut self.transaction;
            self.pending
                .quarantine
                .with_parameters(|parameters| transaction.execute(&statement, parameters))
                .context("cannot quarantine records")?;
            self.pending.quarantine.clear();
        }
        self.pending.ids.clear();
        Ok(())
    }

    /// Flushes when the pending rows reach [`batch::MAX_PENDING_ROWS`] or already include
    /// the event about to be written again.
    fn make_room(&mut self, row_id: Option<i64>) -> Result<(), StoreError> {
        let pending_rows = self.pending.inserts.len() + self.pending.replaces.len();
        if pending_rows >= batch::MAX_PENDING_ROWS
            || row_id.is_some_and(|id| self.pending.ids.contains(&id))
        {
            self.flush()?;
        }
        Ok(())
    }

    /// The next store id taken from the sequence.
    fn take_event_id(&mut self) -> Result<i64, StoreError> {
        if self.event_ids.is_empty() {
            self.take_event_ids(1)?;
        }
        self.event_ids
            .pop_front()
            .ok_or_else(|| StoreError::Backend("the event id sequence gave no id".to_owned()))
    }

    /// Takes `count` store ids from the sequence.
    fn take_event_ids(&mut self, count: usize) -> Result<(), StoreError> {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        let rows = self.query(batch::TAKE_EVENT_IDS, &[&count], "cannot take event ids")?;
        for row in rows {
            self.event_ids.push_back(column(&row, 0, "event id")?);
        }
        Ok(())
    }

    /// The field layout of these names (none for no names), stored if new.
    fn layout(&mut self, names: &Arc<[String]>) -> Result<Option<(i64, FieldHints)>, StoreError> {
        if names.is_empty() {
            return Ok(None);
        }
        if let Some(known) = self.layouts.get(names) {
            return Ok(Some((known.id, known.hints)));
        }
        const SELECT: &str =
            "SELECT id FROM field_layouts WHERE md5(names) = md5($1) AND names = $1";
        // JSON escapes NUL characters, so the names are stored as they are.
        let text = names_json(names);
        let mut found = self.query_opt(SELECT, &[&text], "cannot look up a field layout")?;
        if found.is_none() {
            // Layouts are unique by convention, not by an index (names can outgrow a b-tree
            // entry): concurrent importers of a new layout take turns here, and the second
            // finds the first's once it commits.
            self.execute(
                "SELECT pg_advisory_xact_lock($1)",
                &[&LAYOUT_LOCK_KEY],
                "cannot lock the field layouts",
            )?;
            found = self.query_opt(SELECT, &[&text], "cannot look up a field layout")?;
        }
        let id = match found {
            Some(row) => column(&row, 0, "field layout id")?,
            None => {
                let row = self
                    .query_opt(
                        "INSERT INTO field_layouts (names) VALUES ($1) RETURNING id",
                        &[&text],
                        "cannot store a field layout",
                    )?
                    .ok_or_else(|| {
                        StoreError::Backend("a new field layout has no id".to_owned())
                    })?;
                column(&row, 0, "field layout id")?
            }
        };
        let known = self.layouts.insert(names, id);
        Ok(Some((known.id, known.hints)))
    }

    fn query(
        &mut self,
        sql: &'static str,
        parameters: &[&(dyn ToSql + Sync)],
        what: &str,
    ) -> Result<Vec<Row>, StoreError> {
        self.flush()?;
        let statement = self.statement(sql)?;
        self.transaction.query(&statement, parameters).context(what)
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        parameters: &[&(dyn ToSql + Sync)],
        what: &str,
    ) -> Result<Option<Row>, StoreError> {
        self.flush()?;
        let statement = self.statement(sql)?;
        self.transaction
            .query_opt(&statement, parameters)
            .context(what)
    }

    fn execute(
        &mut self,
        sql: &'static str,
        parameters: &[&(dyn ToSql + Sync)],
        what: &str,
    ) -> Result<u64, StoreError> {
        self.flush()?;
        let statement = self.statement(sql)?;
        self.transaction
            .execute(&statement, parameters)
            .context(what)
    }

    /// Reads the events of `rows` (selected with [`EVENT_READ_COLUMNS`]) with their field
    /// layouts.
    fn read_events(&mut self, rows: &[Row]) -> Result<Vec<StoredEvent>, StoreError> {
        let mut layouts = ReadLayouts::default();
        rows.iter()
            .map(|row| {
                let event = event_row(row)?;
                let names = layouts.names(event.field_layout, |id| {
                    self.query_opt(
                        "SELECT names FROM field_layouts WHERE id = $1",
                        &[&id],
                        "cannot read a field layout",
                    )?
                    .map(|row| column(&row, 0, "field layout"))
                    .transpose()
                })?;
                event.into_stored_event(names)
            })
            .collect()
    }
}

/// Reads a column, reporting a type mismatch as corrupt data.
fn column<'r, T: postgres::types::FromSql<'r>>(
    row: &'r Row,
    index: usize,
    what: &str,
) -> Result<T, StoreError> {
    row.try_get(index)
        .map_err(|error| StoreError::Corrupt(format!("{what}, column {index}: {error}")))
}

/// Reads an event row selected with [`EVENT_READ_COLUMNS`].
fn event_row(row: &Row) -> Result<EventRow, StoreError> {
    const WHAT: &str = "event row";
    Ok(EventRow {
        id: column(row, 0, WHAT)?,
        source: column(row, 1, WHAT)?,
        source_event_id: column(row, 2, WHAT)?,
        event_date: column::<NaiveDate>(row, 3, WHAT)?,
        event_type: column(row, 4, WHAT)?,
        sub_event_type: column(row, 5, WHAT)?,
        fatalities: column(row, 6, WHAT)?,
        longitude: column(row, 7, WHAT)?,
        latitude: column(row, 8, WHAT)?,
        source_timestamp: column(row, 9, WHAT)?,
        commune_id: column(row, 10, WHAT)?,
        cercle_id: column(row, 11, WHAT)?,
        region_id: column(row, 12, WHAT)?,
        corridor_ids: column(row, 13, WHAT)?,
        verification: column(row, 14, WHAT)?,
        import_run: column(row, 15, WHAT)?,
        inserted_at: column(row, 16, WHAT)?,
        updated_at: column(row, 17, WHAT)?,
        deleted_at: column(row, 18, WHAT)?,
        field_layout: column(row, 19, WHAT)?,
        payload: column(row, 20, WHAT)?,
    })
}

/// Reads a report row selected with [`REPORT_READ_COLUMNS`].
fn report_row(row: &Row) -> Result<Report, StoreError> {
    const WHAT: &str = "report row";
    ReportRow {
        id: column(row, 0, WHAT)?,
        channel: column(row, 1, WHAT)?,
        reporter: column(row, 2, WHAT)?,
        status: column(row, 3, WHAT)?,
        received_at: column(row, 4, WHAT)?,
        text: column(row, 5, WHAT)?,
        language: column(row, 6, WHAT)?,
        incident: column::<Option<Json<ReportedIncident>>>(row, 7, WHAT)?.map(|json| json.0),
        clarification: column(row, 8, WHAT)?,
        longitude: column(row, 9, WHAT)?,
        latitude: column(row, 10, WHAT)?,
        location: column::<Option<Json<EventLocation>>>(row, 11, WHAT)?.map(|json| json.0),
    }
    .into_report()
}

/// Reads a reporter row selected with [`REPORTER_READ_COLUMNS`].
fn reporter_row(row: &Row) -> Result<Reporter, StoreError> {
    const WHAT: &str = "reporter row";
    ReporterRow {
        id: column(row, 0, WHAT)?,
        pseudonym: column(row, 1, WHAT)?,
        trusted: column(row, 2, WHAT)?,
        role: column(row, 3, WHAT)?,
        group: column(row, 4, WHAT)?,
        commune: column(row, 5, WHAT)?,
        created_at: column(row, 6, WHAT)?,
    }
    .into_reporter()
}

impl WriteTransaction for PgTransaction<'_> {
    fn import_run_origin(&mut self, run: i64) -> Result<Option<String>, StoreError> {
        let row = self.query_opt(
            "SELECT origin FROM import_runs WHERE id = $1",
            &[&run],
            "cannot read an import run",
        )?;
        row.map(|row| column(&row, 0, "import run")).transpose()
    }

    fn find_events(
        &mut self,
        keys: &[(EventSource, &str)],
    ) -> Result<Vec<Option<StoredEventVersion>>, StoreError> {
        let mut versions: Vec<Option<StoredEventVersion>> = vec![None; keys.len()];
        let mut sources: Vec<EventSource> = keys.iter().map(|&(source, _)| source).collect();
        sources.sort_unstable();
        sources.dedup();
        for source in sources {
            // Ids as stored (NUL replaced), and where each key sits in `keys`.
            let mut position_of: HashMap<Cow<'_, str>, usize> = HashMap::new();
            for (position, &(key_source, source_event_id)) in keys.iter().enumerate() {
                if key_source == source {
                    position_of.insert(without_nul(source_event_id), position);
                }
            }
            let ids: Vec<&str> = position_of.keys().map(|id| id.as_ref()).collect();
            let rows = self.query(
                "SELECT source_event_id, id, source_timestamp, content_fingerprint, \
                 core_fingerprint, deleted_at FROM events \
                 WHERE source = $1 AND source_event_id = ANY($2)",
                &[&source.as_str(), &ids],
                "cannot look up events",
            )?;
            for row in rows {
                const WHAT: &str = "event version";
                let source_event_id: &str = column(&row, 0, WHAT)?;
                let Some(&position) = position_of.get(source_event_id) else {
                    continue;
                };
                versions[position] = Some(StoredEventVersion {
                    row_id: column(&row, 1, WHAT)?,
                    version: StoredVersion {
                        source_timestamp: column(&row, 2, WHAT)?,
                        content_fingerprint: fingerprint_from_column(column(&row, 3, WHAT)?),
                        core_fingerprint: fingerprint_from_column(column(&row, 4, WHAT)?),
                        deleted_at: column::<Option<DateTime<Utc>>>(&row, 5, WHAT)?
                            .map(|time| time.timestamp()),
                    },
                });
            }
        }
        Ok(versions)
    }

    fn expect_inserts(&mut self, count: usize) -> Result<(), StoreError> {
        let missing = count.saturating_sub(self.event_ids.len());
        if missing > 0 {
            self.take_event_ids(missing)?;
        }
        Ok(())
    }

    fn prefers_batched_lookups(&self) -> bool {
        true
    }

    fn insert_event(&mut self, write: &EventWrite<'_>) -> Result<i64, StoreError> {
        let layout = self.layout(write.located.event.fields.names())?;
        let id = self.take_event_id()?;
        self.make_room(None)?;
        self.pending.inserts.push(id, write, layout);
        self.pending.ids.insert(id);
        Ok(id)
    }

    fn insert_event_if_absent(
        &mut self,
        write: &EventWrite<'_>,
    ) -> Result<Option<i64>, StoreError> {
        // Not the import path (which looks batches up first): one statement, at once.
        let layout = self.layout(write.located.event.fields.names())?;
        let id = self.take_event_id()?;
        self.flush()?;
        let mut row = EventColumns::default();
        row.push(id, write, layout);
        let statement = self.statement(batch::INSERT_EVENT_IF_ABSENT)?;
        let transaction = &mut self.transaction;
        let inserted = row
            .with_insert_parameters(|parameters| transaction.execute(&statement, parameters))
            .with_context(|| {
                format!(
                    "cannot insert event {}",
                    write.located.event.source_event_id
                )
            })?;
        Ok((inserted > 0).then_some(id))
    }

    fn replace_event(&mut self, row_id: i64, write: &EventWrite<'_>) -> Result<(), StoreError> {
        let layout = self.layout(write.located.event.fields.names())?;
        self.make_room(Some(row_id))?;
        self.pending.replaces.push(row_id, write, layout);
        self.pending.ids.insert(row_id);
        Ok(())
    }

    fn load_event(&mut self, row_id: i64) -> Result<LocatedEvent, StoreError> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("SELECT {EVENT_READ_COLUMNS} FROM events WHERE id = $1"));
        let rows = self.query(SQL.as_str(), &[&row_id], "cannot read an event")?;
        self.read_events(&rows)?
            .pop()
            .map(|stored| stored.located)
            .ok_or_else(|| StoreError::NotFound(format!("event {row_id}")))
    }

    fn insert_quarantine(
        &mut self,
        run: i64,
        record: &QuarantineRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if self.pending.quarantine.len() >= batch::MAX_PENDING_ROWS {
            self.flush()?;
        }
        self.pending.quarantine.push(run, record, now);
        Ok(())
    }

    fn mark_event_deleted(
        &mut self,
        run: i64,
        source: EventSource,
        deletion: &Deletion,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let deleted_at = unix_seconds(deletion.deleted_at);
        let changed = self.execute(
            "UPDATE events SET deleted_at = $1, import_run = $2, updated_at = $3 \
             WHERE source = $4 AND source_event_id = $5 AND deleted_at IS NULL \
             AND (source_timestamp IS NULL OR source_timestamp <= $6)",
            &[
                &deleted_at,
                &run,
                &now,
                &source.as_str(),
                &without_nul(&deletion.source_event_id),
                &deleted_at.timestamp(),
            ],
            "cannot delete an event",
        )?;
        Ok(changed > 0)
    }

    fn find_report_by_message(
        &mut self,
        channel: ReportChannel,
        provider_message_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let row = self.query_opt(
            "SELECT id FROM reports WHERE channel = $1 AND provider_message_id = $2",
            &[&channel.as_str(), &without_nul(provider_message_id)],
            "cannot look up a report by its provider message id",
        )?;
        row.map(|row| column(&row, 0, "report id")).transpose()
    }

    fn find_or_create_reporter(
        &mut self,
        reporter: &NewReporter,
        pseudonym: &str,
        now: DateTime<Utc>,
    ) -> Result<(i64, bool), StoreError> {
        const SELECT: &str = "SELECT id, trusted FROM reporters WHERE phone_hmac = $1";
        let read = |row: Row| -> Result<(i64, bool), StoreError> {
            Ok((column(&row, 0, "reporter")?, column(&row, 1, "reporter")?))
        };
        if let Some(row) =
            self.query_opt(SELECT, &[&reporter.phone_hmac], "cannot look up a reporter")?
        {
            return read(row);
        }
        // ON CONFLICT: a concurrent report from the same new number may create it first.
        self.execute(
            "INSERT INTO reporters (phone_hmac, phone_sealed, pseudonym, trusted, role, \
             monitoring_group, commune_id, created_at, updated_at) \
             VALUES ($1, $2, $3, FALSE, $4, $5, $6, $7, $7) ON CONFLICT (phone_hmac) DO NOTHING",
            &[
                &reporter.phone_hmac,
                &reporter.phone_sealed,
                &pseudonym,
                &reporter.role.map(|role| role.as_str()),
                &reporter.group.as_deref().map(without_nul),
                &reporter.commune.as_ref().map(|zone| zone.as_str()),
                &now,
            ],
            "cannot record a new reporter",
        )?;
        let row = self
            .query_opt(SELECT, &[&reporter.phone_hmac], "cannot look up a reporter")?
            .ok_or_else(|| StoreError::Backend("a new reporter cannot be read back".to_owned()))?;
        read(row)
    }

    fn insert_report(&mut self, report: &ReportWrite<'_>) -> Result<Option<i64>, StoreError> {
        let row = self.query_opt(
            "INSERT INTO reports (channel, provider_message_id, reporter_id, status, \
             received_at, text, language, incident, clarification, longitude, latitude, \
             location) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (channel, provider_message_id) DO NOTHING RETURNING id",
            &[
                &report.channel.as_str(),
                &without_nul(report.provider_message_id),
                &report.reporter_id,
                &report.status.as_str(),
                &report.received_at,
                &without_nul(report.text),
                &without_nul(report.language),
                &report.incident.map(Json),
                &report.clarification.map(without_nul),
                &report.coordinates.map(|(longitude, _)| longitude),
                &report.coordinates.map(|(_, latitude)| latitude),
                &report.location.map(Json),
            ],
            "cannot record a report",
        )?;
        row.map(|row| column(&row, 0, "report id")).transpose()
    }

    fn load_report(&mut self, id: i64) -> Result<Option<Report>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {REPORT_READ_COLUMNS} FROM {REPORT_FROM} WHERE reports.id = $1")
        });
        self.query_opt(SQL.as_str(), &[&id], "cannot read a report")?
            .map(|row| report_row(&row))
            .transpose()
    }

    fn set_report_status(&mut self, id: i64, status: ReportStatus) -> Result<(), StoreError> {
        self.execute(
            "UPDATE reports SET status = $2 WHERE id = $1",
            &[&id, &status.as_str()],
            "cannot set a report's status",
        )?;
        Ok(())
    }

    fn insert_review(&mut self, review: &ReportReview) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO report_reviews (report_id, status, analyst, reason, reviewed_at) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &review.report,
                &review.status.as_str(),
                &without_nul(&review.analyst),
                &without_nul(&review.reason),
                &review.at,
            ],
            "cannot record a review",
        )?;
        Ok(())
    }

    fn set_event_verification(
        &mut self,
        source_event_id: &str,
        status: ReportStatus,
        withdrawn_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        match withdrawn_at {
            Some(withdrawn_at) => self.execute(
                "UPDATE events SET verification = $1, updated_at = $2, \
                 deleted_at = COALESCE(deleted_at, $3) \
                 WHERE source = 'community' AND source_event_id = $4",
                &[&status.as_str(), &now, &withdrawn_at, &source_event_id],
                "cannot update an event's verification",
            )?,
            None => self.execute(
                "UPDATE events SET verification = $1, updated_at = $2, deleted_at = NULL \
                 WHERE source = 'community' AND source_event_id = $3",
                &[&status.as_str(), &now, &source_event_id],
                "cannot update an event's verification",
            )?,
        };
        Ok(())
    }

    fn append_stream(
        &mut self,
        kind: vigie_domain::StreamKind,
        ref_id: i64,
        payload: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        access::append_stream(self, kind, ref_id, payload, now)
    }
}

/// The filter's parameters as PostgreSQL values.
fn filter_parameters(filter: &EventFilter) -> Vec<Box<dyn ToSql + Sync>> {
    filter
        .values
        .iter()
        .map(|value| -> Box<dyn ToSql + Sync> {
            match value {
                FilterValue::Text(text) => Box::new(text.clone()),
                FilterValue::Integer(integer) => Box::new(*integer),
                FilterValue::Date(date) => Box::new(*date),
                FilterValue::Real(real) => Box::new(*real),
            }
        })
        .collect()
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn start_import(
        &self,
        source: EventSource,
        origin: &str,
        content_sha256: Option<&str>,
    ) -> Result<i64, StoreError> {
        let now = to_microseconds(Utc::now());
        self.write(false, "cannot start an import", |writer| {
            writer.execute(
                "UPDATE import_runs SET status = 'interrupted', \
                 error = 'found still running when a later import started' \
                 WHERE status = 'running'",
                &[],
                "cannot mark abandoned import runs interrupted",
            )?;
            let row = writer
                .query_opt(
                    "INSERT INTO import_runs (source, origin, content_sha256, started_at, status) \
                     VALUES ($1, $2, $3, $4, 'running') RETURNING id",
                    &[
                        &source.as_str(),
                        &without_nul(origin),
                        &content_sha256,
                        &now,
                    ],
                    "cannot record a new import run",
                )?
                .ok_or_else(|| StoreError::Backend("a new import run has no id".to_owned()))?;
            column(&row, 0, "import run id")
        })
    }

    fn apply_batch(&self, run: i64, batch: &ImportBatch) -> Result<ImportCounts, StoreError> {
        let tally = self.tallies.for_run(run);
        let mut tally = tally.lock().unwrap_or_else(PoisonError::into_inner);
        let now = to_microseconds(Utc::now());
        let outcome = self.write(true, "cannot apply an import batch", |writer| {
            logic::apply_batch(writer, run, batch, &tally, now)
        })?;
        outcome.record_in(&mut tally);
        Ok(outcome.counts)
    }

    fn apply_deletions(
        &self,
        run: i64,
        source: EventSource,
        deletions: &[Deletion],
    ) -> Result<u64, StoreError> {
        let now = to_microseconds(Utc::now());
        self.write(true, "cannot apply deletions", |writer| {
            logic::apply_deletions(writer, run, source, deletions, now)
        })
    }

    fn finish_import(
        &self,
        run: i64,
        status: ImportStatus,
        counts: &ImportCounts,
        content_sha256: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        if status == ImportStatus::Running {
            return Err(StoreError::Conflict(format!(
                "import run {run} cannot finish as running"
            )));
        }
        let now = to_microseconds(Utc::now());
        let [
            read,
            events,
            inserted,
            updated,
            unchanged,
            quarantined,
            deleted,
        ] = import_count_columns(counts);
        let changed = self.write(false, "cannot finish an import", |writer| {
            writer.execute(
                "UPDATE import_runs SET finished_at = $2, status = $3, rows_read = $4, \
                 events = $5, inserted = $6, updated = $7, unchanged = $8, quarantined = $9, \
                 deleted = $10, error = $11, content_sha256 = COALESCE($12, content_sha256) \
                 WHERE id = $1",
                &[
                    &run,
                    &now,
                    &import_status_name(status),
                    &read,
                    &events,
                    &inserted,
                    &updated,
                    &unchanged,
                    &quarantined,
                    &deleted,
                    &error.map(without_nul),
                    &content_sha256,
                ],
                "cannot finish an import run",
            )
        })?;
        self.tallies.forget(run);
        if changed == 0 {
            return Err(StoreError::NotFound(format!("import run {run}")));
        }
        Ok(())
    }

    fn import_runs(&self, limit: u64) -> Result<Vec<ImportRun>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {IMPORT_RUN_READ_COLUMNS} FROM import_runs ORDER BY id DESC LIMIT $1")
        });
        self.read("cannot list import runs", |reader| {
            let rows = reader.query(
                SQL.as_str(),
                &[&count_column(limit)],
                "cannot list import runs",
            )?;
            rows.iter()
                .map(|row| {
                    const WHAT: &str = "import run";
                    let mut counts = [0_i64; 7];
                    for (offset, count) in counts.iter_mut().enumerate() {
                        *count = column(row, 7 + offset, WHAT)?;
                    }
                    ImportRunRow {
                        id: column(row, 0, WHAT)?,
                        source: column(row, 1, WHAT)?,
                        origin: column(row, 2, WHAT)?,
                        content_sha256: column(row, 3, WHAT)?,
                        started_at: column(row, 4, WHAT)?,
                        finished_at: column(row, 5, WHAT)?,
                        status: column(row, 6, WHAT)?,
                        counts,
                        error: column(row, 14, WHAT)?,
                    }
                    .into_import_run()
                })
                .collect()
        })
    }

    fn count_events(&self, query: &EventQuery) -> Result<u64, StoreError> {
        let filter = EventFilter::new(query, Placeholders::Postgres);
        let sql = format!("SELECT COUNT(*) FROM events {}", filter.where_clause);
        let parameters = filter_parameters(&filter);
        let references: Vec<&(dyn ToSql + Sync)> = parameters
            .iter()
            .map(|parameter| parameter.as_ref())
            .collect();
        self.read("cannot count events", |reader| {
            let row = reader
                .transaction
                .query_one(sql.as_str(), &references)
                .context("cannot count events")?;
            count_from_column(column(&row, 0, "event count")?, "event count")
        })
    }

    fn events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        let filter = EventFilter::new(query, Placeholders::Postgres);
        let mut sql = format!(
            "SELECT {EVENT_READ_COLUMNS} FROM events {} ORDER BY id",
            filter.where_clause
        );
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let parameters = filter_parameters(&filter);
        let references: Vec<&(dyn ToSql + Sync)> = parameters
            .iter()
            .map(|parameter| parameter.as_ref())
            .collect();
        self.read("cannot list events", |reader| {
            let rows = reader
                .transaction
                .query(sql.as_str(), &references)
                .context("cannot list events")?;
            reader.read_events(&rows)
        })
    }

    fn quarantine(&self, limit: u64) -> Result<Vec<StoredQuarantine>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {QUARANTINE_READ_COLUMNS} FROM quarantine ORDER BY id DESC LIMIT $1")
        });
        self.read("cannot list quarantined records", |reader| {
            let rows = reader.query(
                SQL.as_str(),
                &[&count_column(limit)],
                "cannot list quarantined records",
            )?;
            rows.iter()
                .map(|row| {
                    const WHAT: &str = "quarantined record";
                    QuarantineRow {
                        id: column(row, 0, WHAT)?,
                        import_run: column(row, 1, WHAT)?,
                        source: column(row, 2, WHAT)?,
                        origin: column(row, 3, WHAT)?,
                        line: column(row, 4, WHAT)?,
                        field: column(row, 5, WHAT)?,
                        reason: column(row, 6, WHAT)?,
                        raw: column(row, 7, WHAT)?,
                        created_at: column(row, 8, WHAT)?,
                    }
                    .into_stored()
                })
                .collect()
        })
    }

    fn sync_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read("cannot read sync state", |reader| {
            reader
                .query_opt(
                    "SELECT value FROM sync_state WHERE key = $1",
                    &[&key],
                    "cannot read sync state",
                )?
                .map(|row| column(&row, 0, "sync state"))
                .transpose()
        })
    }

    fn set_sync_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let now = to_microseconds(Utc::now());
        self.write(false, "cannot store sync state", |writer| {
            writer.execute(
                "INSERT INTO sync_state (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                 updated_at = excluded.updated_at",
                &[&without_nul(key), &without_nul(value), &now],
                "cannot store sync state",
            )?;
            Ok(())
        })
    }

    fn register_reporter(&self, reporter: &NewReporter) -> Result<Reporter, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "INSERT INTO reporters (phone_hmac, phone_sealed, pseudonym, trusted, role, \
                 monitoring_group, commune_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 ON CONFLICT (phone_hmac) DO UPDATE SET phone_sealed = excluded.phone_sealed, \
                 trusted = excluded.trusted, role = excluded.role, \
                 monitoring_group = excluded.monitoring_group, \
                 commune_id = excluded.commune_id, updated_at = excluded.updated_at \
                 RETURNING {REPORTER_READ_COLUMNS}"
            )
        });
        let now = to_microseconds(Utc::now());
        let pseudonym = logic::pseudonym(&reporter.phone_hmac);
        self.write(false, "cannot register a reporter", |writer| {
            let row = writer
                .query_opt(
                    SQL.as_str(),
                    &[
                        &reporter.phone_hmac,
                        &reporter.phone_sealed,
                        &pseudonym,
                        &reporter.trusted,
                        &reporter.role.map(|role| role.as_str()),
                        &reporter.group.as_deref().map(without_nul),
                        &reporter.commune.as_ref().map(|zone| zone.as_str()),
                        &now,
                    ],
                    "cannot register a reporter",
                )?
                .ok_or_else(|| {
                    StoreError::Backend("a registered reporter cannot be read back".to_owned())
                })?;
            reporter_row(&row)
        })
    }

    fn find_reporter(&self, phone_hmac: &[u8]) -> Result<Option<Reporter>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {REPORTER_READ_COLUMNS} FROM reporters WHERE phone_hmac = $1")
        });
        self.read("cannot look up a reporter", |reader| {
            reader
                .query_opt(SQL.as_str(), &[&phone_hmac], "cannot look up a reporter")?
                .map(|row| reporter_row(&row))
                .transpose()
        })
    }

    fn sealed_phone(&self, reporter_id: i64) -> Result<Vec<u8>, StoreError> {
        self.read("cannot read a reporter", |reader| {
            let row = reader
                .query_opt(
                    "SELECT phone_sealed FROM reporters WHERE id = $1",
                    &[&reporter_id],
                    "cannot read a reporter",
                )?
                .ok_or_else(|| StoreError::NotFound(format!("reporter {reporter_id}")))?;
            column(&row, 0, "sealed phone")
        })
    }

    fn record_report(&self, report: &NewReport) -> Result<RecordedReport, StoreError> {
        let now = to_microseconds(Utc::now());
        self.write(false, "cannot record a report", |writer| {
            logic::record_report(writer, report, now)
        })
    }

    fn review_report(&self, review: &ReportReview) -> Result<Report, StoreError> {
        let now = to_microseconds(Utc::now());
        self.write(false, "cannot review a report", |writer| {
            logic::review_report(writer, review, now)
        })
    }

    fn report(&self, id: i64) -> Result<Report, StoreError> {
        self.read("cannot read a report", |reader| {
            reader
                .load_report(id)?
                .ok_or_else(|| StoreError::NotFound(format!("report {id}")))
        })
    }

    fn reports(&self, query: &ReportQuery) -> Result<Vec<Report>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {REPORT_READ_COLUMNS} FROM {REPORT_FROM} \
                 WHERE ($1::TEXT IS NULL OR reports.status = $1) \
                 ORDER BY reports.received_at DESC, reports.id DESC LIMIT $2"
            )
        });
        let status = query.status.map(ReportStatus::as_str);
        let limit = query.limit.map(count_column);
        self.read("cannot list reports", |reader| {
            let rows = reader.query(SQL.as_str(), &[&status, &limit], "cannot list reports")?;
            rows.iter().map(report_row).collect()
        })
    }

    fn report_reviews(&self, id: i64) -> Result<Vec<ReportReview>, StoreError> {
        self.read("cannot read a report's reviews", |reader| {
            if reader
                .query_opt(
                    "SELECT 1 FROM reports WHERE id = $1",
                    &[&id],
                    "cannot read a report",
                )?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("report {id}")));
            }
            let rows = reader.query(
                "SELECT report_id, status, analyst, reason, reviewed_at FROM report_reviews \
                 WHERE report_id = $1 ORDER BY id",
                &[&id],
                "cannot read a report's reviews",
            )?;
            rows.iter()
                .map(|row| {
                    const WHAT: &str = "report review";
                    Ok(ReportReview {
                        report: column(row, 0, WHAT)?,
                        status: parse_report_status(&column::<String>(row, 1, WHAT)?)?,
                        analyst: column(row, 2, WHAT)?,
                        reason: column(row, 3, WHAT)?,
                        at: column(row, 4, WHAT)?,
                    })
                })
                .collect()
        })
    }

    fn create_api_key(
        &self,
        key: &vigie_domain::NewApiKey,
    ) -> Result<vigie_domain::ApiKey, StoreError> {
        self.create_api_key_in_postgres(key)
    }

    fn api_key_by_hash(
        &self,
        secret_sha256: &[u8],
    ) -> Result<Option<vigie_domain::ApiKey>, StoreError> {
        self.api_key_by_hash_in_postgres(secret_sha256)
    }

    fn api_keys(&self) -> Result<Vec<vigie_domain::ApiKey>, StoreError> {
        self.api_keys_in_postgres()
    }

    fn revoke_api_key(&self, id: i64) -> Result<vigie_domain::ApiKey, StoreError> {
        self.revoke_api_key_in_postgres(id)
    }

    fn record_api_key_use(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.record_api_key_use_in_postgres(id, at)
    }

    fn stream_since(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<vigie_domain::StreamEntry>, StoreError> {
        self.stream_since_in_postgres(after_id, limit)
    }

    fn stream_head(&self) -> Result<i64, StoreError> {
        self.stream_head_in_postgres()
    }

    fn publish_stream(
        &self,
        kind: vigie_domain::StreamKind,
        ref_id: i64,
        payload: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        self.publish_stream_in_postgres(kind, ref_id, payload)
    }

    fn current_geography(
        &self,
    ) -> Result<Option<vigie_domain::store::StoredGeography>, StoreError> {
        self.current_geography_in_postgres()
    }

    fn current_geography_version(
        &self,
    ) -> Result<Option<vigie_domain::store::GeographyVersion>, StoreError> {
        self.current_geography_version_in_postgres()
    }

    fn geography_versions(&self) -> Result<Vec<vigie_domain::store::GeographyVersion>, StoreError> {
        self.geography_versions_in_postgres()
    }

    fn publish_geography(
        &self,
        bytes: &[u8],
        label: &str,
    ) -> Result<vigie_domain::store::GeographyPublication, StoreError> {
        self.publish_geography_in_postgres(bytes, label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_never_show_credentials() {
        let config: Config = "postgres://vigie:secret@db.example:6543/events"
            .parse()
            .unwrap();
        assert_eq!(describe(&config), "db.example:6543/events");
    }

    #[test]
    fn nul_characters_are_replaced_only_when_present() {
        assert!(matches!(without_nul("plain"), Cow::Borrowed("plain")));
        assert_eq!(without_nul("a\0b"), "a\u{FFFD}b");
    }
}
