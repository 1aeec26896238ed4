//! The SQLite backend: one file, write-ahead log, one writer and a few readers.
//!
//! Writes go through a single connection behind a `std::sync::Mutex` (SQLite has one writer
//! at a time anyway; nothing awaits while the lock is held, so a std mutex is right) and
//! start with `BEGIN IMMEDIATE`, so another process writing the same file makes us wait on
//! `busy_timeout` instead of failing half-way. Reads use separate connections, which the
//! write-ahead log lets run while a write is in progress.

mod access;
mod delivery;
mod geography;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{
    CachedStatement, Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params,
    params_from_iter,
};
use vigie_domain::store::{
    EventQuery, ImportBatch, ImportRun, ImportStatus, ReportQuery, Store, StoreError, StoredEvent,
    StoredQuarantine,
};
use vigie_domain::{
    Deletion, EventSource, ImportCounts, LocatedEvent, NewReport, NewReporter, QuarantineRecord,
    RecordedReport, Report, ReportChannel, ReportReview, ReportStatus, Reporter, StoredVersion,
    ZoneId,
};

use crate::codec::{
    EVENT_READ_COLUMNS, EventRow, EventWrite, IMPORT_RUN_READ_COLUMNS, ImportRunRow,
    QUARANTINE_READ_COLUMNS, QuarantineRow, REPORT_FROM, REPORT_READ_COLUMNS,
    REPORTER_READ_COLUMNS, ReportRow, ReporterRow, count_column, fingerprint_from_column,
    import_count_columns, import_status_name, push_date, to_microseconds, unix_seconds,
};
use crate::error::{ResultExt, corrupt_json};
use crate::json;
use crate::layout::{ReadLayouts, WriteLayouts, names_json};
use crate::logic::{self, ReportWrite, RunTallies, StoredEventVersion, WriteTransaction};
use crate::migration::newer_schema_error;
use crate::payload::{self, FieldHints};
use crate::query::{EventFilter, FilterValue, Placeholders, insert_event_sql, replace_event_sql};

/// How long a statement waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Read connections kept open between calls; more are opened when threads read at once.
/// A server answering a few dozen API requests at once reads on as many threads: each
/// connection opened and closed again costs a schema parse and a cold page cache.
const MAX_IDLE_READERS: usize = 16;

/// How much of the file readers map into memory. Mapped pages are read in place from the
/// operating system's cache instead of being copied into each connection's page cache
/// (`pread` of a 32 KiB page per b-tree step): an API query that looks up tens of thousands
/// of rows spent a fifth of its time in those copies. Address space only; the memory is
/// the file cache the kernel keeps anyway. Beyond the first GiB (about 1.5 million events),
/// reads are as before.
const READER_MMAP_BYTES: i64 = 1 << 30;

/// The writer's page cache (KiB). Bulk imports touch the event indexes all over; 32 MiB keeps
/// them in memory for a few hundred thousand events instead of re-reading pages.
const WRITER_CACHE_KIB: i64 = 32 * 1024;

/// The page size of new database files. SQLite writes a page per system call, to the
/// write-ahead log and again at checkpoints: a 1-million-event import with 4 KiB pages
/// spends a fifth of its time in those calls, with 32 KiB pages an eighth as many. Reads of
/// a few events cost a larger page each, which the API's date windows hardly notice.
const PAGE_SIZE_BYTES: i64 = 32 * 1024;

/// Statements kept prepared per connection: every statement of this module fits.
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// Times as stored: fixed-width UTC text, so that text order is time order.
const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// Vigie's store in a SQLite file.
///
/// Durability: commits are flushed to disk (`synchronous=FULL`) for reports, reporters,
/// reviews and run bookkeeping, where a lost commit is a lost monitor report or audit entry.
/// Batches of imported events and deletion lists commit with `synchronous=NORMAL`: in WAL
/// mode a power cut can then lose the last commits but never corrupts the file, and imports
/// are idempotent and re-runnable, so the loss is repaired by running the import again. The
/// commit then returns without waiting for the disk (the write-ahead log is synced at
/// checkpoints only), which keeps many small batches, such as API syncs, cheap.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    tallies: RunTallies,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// What a write transaction is, which decides its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteKind {
    /// `synchronous=FULL`: survives a power cut once committed.
    Regular,
    /// An import batch or deletion list: see [`ImportSettings`] (survives a crash of the
    /// process once committed, maybe not a power cut).
    Import,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path` and brings its schema up to
    /// date. The parent directory must exist.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        if path.as_os_str() == ":memory:" || path.as_os_str().is_empty() {
            return Err(StoreError::Backend(format!(
                "{:?} is not a database file path: Vigie keeps SQLite data in a file (its \
                 readers and writer are separate connections)",
                path.display().to_string()
            )));
        }
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.is_dir()
        {
            return Err(StoreError::Backend(format!(
                "cannot create SQLite database {}: directory {} does not exist",
                path.display(),
                parent.display()
            )));
        }
        let mut writer = open_connection(&path, Role::Writer)?;
        migrate(&mut writer, &path)?;
        Ok(SqliteStore {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            tallies: RunTallies::default(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`), committing if it succeeds.
    fn write<T>(
        &self,
        kind: WriteKind,
        what: &str,
        body: impl FnOnce(&mut SqliteTransaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A panic while holding the lock leaves no half-done transaction behind (the
        // transaction rolls back as it unwinds), so a poisoned lock is safe to take over.
        let connection = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let _settings = match kind {
            WriteKind::Import => Some(ImportSettings::enter(&connection)?),
            WriteKind::Regular => None,
        };
        let transaction = Transaction::new_unchecked(&connection, TransactionBehavior::Immediate)
            .with_context(|| format!("{what}: cannot begin a write transaction"))?;
        let mut writer = SqliteTransaction::new(&transaction);
        let value = body(&mut writer)?;
        // Its statements go back to the connection's cache before the commit.
        drop(writer);
        transaction
            .commit()
            .with_context(|| format!("{what}: commit failed"))?;
        Ok(value)
    }

    /// Runs `body` on a read connection.
    fn read<T>(
        &self,
        body: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => open_connection(&self.path, Role::Reader)?,
        };
        let result = body(&connection);
        let mut readers = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        if readers.len() < MAX_IDLE_READERS {
            readers.push(connection);
        }
        result
    }
}

/// Ids the first step of a dated listing reads at least (see `events_in_days`).
const DATED_IDS_MIN: usize = 256;

impl SqliteStore {
    /// [`Store::events`] for a query with a day range, in two steps: the ids of the range
    /// after the cursor, from the date index alone (its entries hold the row id, so no row
    /// is read), sorted here; then the rows of the first of those ids, where the other
    /// conditions (deletion, source, commune, box) are checked. Asked for the rows in one
    /// statement, SQLite reads every row of the range to check `deleted_at` and sorts them
    /// all by id, for each page: a three-month window of a million events is 36,000 row
    /// look-ups for a page of 2,000, four times the cost of the two steps (and asking it for
    /// the first ids by id still sorts the range, three times the cost of reading it). When
    /// the other conditions refuse rows, further ids are taken (see `next_round`).
    fn events_in_days(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        const WHAT: &str = "cannot list events";
        let wanted = query
            .limit
            .map(|limit| usize::try_from(limit).unwrap_or(usize::MAX));
        if wanted == Some(0) {
            return Ok(Vec::new());
        }
        let mut range = Vec::new();
        let mut range_values = Vec::new();
        for (day, comparison) in [(query.from, ">="), (query.to, "<=")] {
            if let Some(day) = day {
                range_values.push(rusqlite::types::Value::Text(day.to_string()));
                range.push(format!("event_date {comparison} ?{}", range_values.len()));
            }
        }
        range_values.push(query.after_id.unwrap_or(i64::MIN).into());
        let ids_sql = format!(
            "SELECT id FROM events INDEXED BY events_by_date WHERE {} AND id > ?{}",
            range.join(" AND "),
            range_values.len()
        );
        let rest = EventFilter::new(
            &EventQuery {
                from: None,
                to: None,
                after_id: None,
                limit: None,
                ..query.clone()
            },
            Placeholders::Sqlite,
        );
        let rows_sql = format!(
            "SELECT {EVENT_READ_COLUMNS} FROM events \
             WHERE id IN (SELECT value FROM json_each(?{})) {} ORDER BY id",
            rest.values.len() + 1,
            rest.where_clause.replacen("WHERE", "AND", 1)
        );
        self.read(|connection| {
            // One snapshot for both statements: a write committed between them must not
            // show in half the answer.
            let snapshot = connection.unchecked_transaction().context(WHAT)?;
            let mut ids = snapshot
                .prepare_cached(&ids_sql)
                .and_then(|mut statement| {
                    statement
                        .query_map(params_from_iter(range_values), |row| row.get::<_, i64>(0))
                        .and_then(|ids| ids.collect::<Result<Vec<i64>, _>>())
                })
                .context(WHAT)?;
            ids.sort_unstable();
            let mut rows_statement = snapshot.prepare_cached(&rows_sql).context(WHAT)?;
            let mut events = Vec::new();
            let mut taken = 0;
            let mut round = wanted.map_or(ids.len(), |wanted| wanted.max(DATED_IDS_MIN));
            while taken < ids.len() {
                let batch = &ids[taken..ids.len().min(taken.saturating_add(round))];
                taken += batch.len();
                let mut values = filter_values(&rest);
                values.push(rusqlite::types::Value::Text(id_list_json(batch)));
                events.extend(read_events(
                    &snapshot,
                    &mut rows_statement,
                    params_from_iter(values),
                    WHAT,
                )?);
                if let Some(wanted) = wanted {
                    if events.len() >= wanted {
                        events.truncate(wanted);
                        break;
                    }
                    round = next_round(wanted - events.len(), events.len(), taken);
                }
            }
            Ok(events)
        })
    }
}

/// The ids the next round of a dated listing takes, when `missing` rows are still wanted and
/// `kept` rows passed the other conditions out of `taken` ids so far: what that share says
/// the missing rows need, and a quarter more (four times as many when none passed yet).
/// Rows that pass beyond the page are decoded for nothing, so the estimate is not doubled.
fn next_round(missing: usize, kept: usize, taken: usize) -> usize {
    let estimate = missing
        .saturating_mul(taken)
        .checked_div(kept)
        .unwrap_or(taken.saturating_mul(4));
    estimate.saturating_add(estimate / 4).max(DATED_IDS_MIN)
}

/// Ids as a JSON array, for `json_each`.
fn id_list_json(ids: &[i64]) -> String {
    let mut json = String::with_capacity(ids.len() * 8 + 2);
    json.push('[');
    for (position, id) in ids.iter().enumerate() {
        if position > 0 {
            json.push(',');
        }
        json.push_str(&id.to_string());
    }
    json.push(']');
    json
}

/// What a connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Writer,
    Reader,
}

fn open_connection(path: &Path, role: Role) -> Result<Connection, StoreError> {
    let context = || format!("cannot open SQLite database {}", path.display());
    let connection = Connection::open(path).with_context(context)?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .with_context(context)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    connection
        .pragma_update(None, "foreign_keys", "ON")
        .with_context(context)?;
    // Statement journals (SQLite writes one for every UPDATE … RETURNING inside a
    // transaction) and sort spills stay in memory: on a file they were most of the cost of
    // claiming the outbox (measured with `vigie bench deliver`).
    connection
        .pragma_update(None, "temp_store", "MEMORY")
        .with_context(context)?;
    match role {
        Role::Writer => {
            connection
                .pragma_update(None, "page_size", PAGE_SIZE_BYTES)
                .with_context(context)?;
            let mode: String = connection
                .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
                .with_context(context)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Backend(format!(
                    "{}: the file system refused write-ahead logging (journal mode {mode})",
                    context()
                )));
            }
            connection
                .pragma_update(None, "synchronous", "FULL")
                .with_context(context)?;
            connection
                .pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
                .with_context(context)?;
        }
        Role::Reader => {
            connection
                .pragma_update(None, "query_only", "ON")
                .with_context(context)?;
            connection
                .pragma_update(None, "mmap_size", READER_MMAP_BYTES)
                .with_context(context)?;
        }
    }
    Ok(connection)
}

fn migrate(connection: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let context = || format!("cannot migrate SQLite database {}", path.display());
    // IMMEDIATE: two processes opening a new file at once migrate one after the other.
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .with_context(context)?;
    transaction
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY,
                 applied_at TEXT NOT NULL
             )",
        )
        .with_context(context)?;
    let current: i64 = transaction
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |row| row.get(0),
        )
        .with_context(context)?;
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
        transaction.execute_batch(migration.sql).with_context(|| {
            format!(
                "{}: migration {} ({})",
                context(),
                migration.version,
                migration.name
            )
        })?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                params![migration.version, timestamp_text(Utc::now())],
            )
            .with_context(context)?;
    }
    transaction.commit().with_context(context)
}

/// The settings of an import transaction (a batch or a deletion list), in place until
/// dropped, even when the transaction fails or panics: `synchronous=NORMAL` (see
/// [`SqliteStore`] on durability).
struct ImportSettings<'c>(&'c Connection);

impl<'c> ImportSettings<'c> {
    fn enter(connection: &'c Connection) -> Result<ImportSettings<'c>, StoreError> {
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .context("cannot relax synchronous mode for an import")?;
        Ok(ImportSettings(connection))
    }
}

impl Drop for ImportSettings<'_> {
    fn drop(&mut self) {
        // Outside a transaction this pragma cannot fail short of a broken connection, which
        // the next statement reports anyway.
        let _ = self.0.pragma_update(None, "synchronous", "FULL");
    }
}

/// A UTC time as stored.
fn timestamp_text(time: DateTime<Utc>) -> String {
    time.format(TIMESTAMP_FORMAT).to_string()
}

fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|error| StoreError::Corrupt(format!("invalid timestamp {text:?}: {error}")))
}

fn parse_optional_timestamp(text: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.as_deref().map(parse_timestamp).transpose()
}

fn parse_date(text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|error| StoreError::Corrupt(format!("invalid date {text:?}: {error}")))
}

fn parse_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|error| corrupt_json(what, error))
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|error| StoreError::Backend(format!("cannot encode a value as JSON: {error}")))
}

/// Reads an event row selected with [`EVENT_READ_COLUMNS`].
fn event_row(row: &Row<'_>) -> Result<EventRow, StoreError> {
    let column = |error: rusqlite::Error| StoreError::Corrupt(format!("event row: {error}"));
    let text = |index: usize| row.get::<_, String>(index).map_err(column);
    let optional_text = |index: usize| row.get::<_, Option<String>>(index).map_err(column);
    let integer = |index: usize| row.get::<_, i64>(index).map_err(column);
    let optional_integer = |index: usize| row.get::<_, Option<i64>>(index).map_err(column);
    let real = |index: usize| row.get::<_, f64>(index).map_err(column);
    Ok(EventRow {
        id: integer(0)?,
        source: text(1)?,
        source_event_id: text(2)?,
        event_date: parse_date(&text(3)?)?,
        event_type: text(4)?,
        sub_event_type: optional_text(5)?,
        fatalities: integer(6)?,
        longitude: real(7)?,
        latitude: real(8)?,
        source_timestamp: optional_integer(9)?,
        commune_id: optional_text(10)?,
        cercle_id: optional_text(11)?,
        region_id: optional_text(12)?,
        corridor_ids: parse_json("corridor ids", &text(13)?)?,
        verification: optional_text(14)?,
        import_run: optional_integer(15)?,
        inserted_at: parse_timestamp(&text(16)?)?,
        updated_at: parse_timestamp(&text(17)?)?,
        deleted_at: parse_optional_timestamp(optional_text(18)?)?,
        field_layout: optional_integer(19)?,
        payload: row.get::<_, Vec<u8>>(20).map_err(column)?,
    })
}

/// Reads the events a query selects with [`EVENT_READ_COLUMNS`], their field layouts with
/// them.
fn read_events(
    connection: &Connection,
    statement: &mut rusqlite::Statement<'_>,
    parameters: impl rusqlite::Params,
    what: &str,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = statement.query(parameters).context(what)?;
    let rows = collect_rows(rows, what, event_row)?;
    let mut layouts = ReadLayouts::default();
    rows.into_iter()
        .map(|row| {
            let names = layouts.names(row.field_layout, |id| {
                connection
                    .prepare_cached("SELECT names FROM field_layouts WHERE id = ?1")
                    .and_then(|mut statement| {
                        statement.query_row([id], |row| row.get(0)).optional()
                    })
                    .context("cannot read a field layout")
            })?;
            row.into_stored_event(names)
        })
        .collect()
}

/// Reads a report row selected with [`REPORT_READ_COLUMNS`].
fn report_row(row: &Row<'_>) -> Result<Report, StoreError> {
    let column = |error: rusqlite::Error| StoreError::Corrupt(format!("report row: {error}"));
    let incident: Option<String> = row.get(7).map_err(column)?;
    let location: Option<String> = row.get(11).map_err(column)?;
    ReportRow {
        id: row.get(0).map_err(column)?,
        channel: row.get(1).map_err(column)?,
        reporter: row.get(2).map_err(column)?,
        status: row.get(3).map_err(column)?,
        received_at: parse_timestamp(&row.get::<_, String>(4).map_err(column)?)?,
        text: row.get(5).map_err(column)?,
        language: row.get(6).map_err(column)?,
        incident: incident
            .as_deref()
            .map(|json| parse_json("report incident", json))
            .transpose()?,
        clarification: row.get(8).map_err(column)?,
        longitude: row.get(9).map_err(column)?,
        latitude: row.get(10).map_err(column)?,
        location: location
            .as_deref()
            .map(|json| parse_json("report location", json))
            .transpose()?,
    }
    .into_report()
}

/// Reads a reporter row selected with [`REPORTER_READ_COLUMNS`].
fn reporter_row(row: &Row<'_>) -> Result<Reporter, StoreError> {
    let column = |error: rusqlite::Error| StoreError::Corrupt(format!("reporter row: {error}"));
    ReporterRow {
        id: row.get(0).map_err(column)?,
        pseudonym: row.get(1).map_err(column)?,
        trusted: row.get(2).map_err(column)?,
        role: row.get(3).map_err(column)?,
        group: row.get(4).map_err(column)?,
        commune: row.get(5).map_err(column)?,
        created_at: parse_timestamp(&row.get::<_, String>(6).map_err(column)?)?,
    }
    .into_reporter()
}

/// Collects the rows of a query through a fallible row reader.
fn collect_rows<T>(
    mut rows: rusqlite::Rows<'_>,
    what: &str,
    mut read: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut values = Vec::new();
    while let Some(row) = rows.next().context(what)? {
        values.push(read(row)?);
    }
    Ok(values)
}

fn filter_values(filter: &EventFilter) -> Vec<rusqlite::types::Value> {
    filter
        .values
        .iter()
        .map(|value| match value {
            FilterValue::Text(text) => rusqlite::types::Value::Text(text.clone()),
            FilterValue::Integer(integer) => rusqlite::types::Value::Integer(*integer),
            FilterValue::Date(date) => rusqlite::types::Value::Text(date.to_string()),
            FilterValue::Real(real) => rusqlite::types::Value::Real(*real),
        })
        .collect()
}

/// The SQL of the statements an import runs once per event.
static INSERT_EVENT: LazyLock<String> = LazyLock::new(|| insert_event_sql(Placeholders::Sqlite));
static REPLACE_EVENT: LazyLock<String> = LazyLock::new(|| replace_event_sql(Placeholders::Sqlite));
const FIND_EVENT: &str = "SELECT id, source_timestamp, content_fingerprint, core_fingerprint, \
    deleted_at FROM events WHERE source = ?1 AND source_event_id = ?2";

/// Buffers reused from one event to the next: a batch encodes tens of thousands of events,
/// and allocating for each costs more than writing it.
#[derive(Default)]
struct EventBuffers {
    now: String,
    now_value: Option<DateTime<Utc>>,
    event_date: String,
    corridor_ids: String,
    payload: Vec<u8>,
    value_ranges: Vec<(usize, usize)>,
}

impl EventBuffers {
    fn now_text(&mut self, now: DateTime<Utc>) -> &str {
        if self.now_value != Some(now) {
            self.now = timestamp_text(now);
            self.now_value = Some(now);
        }
        &self.now
    }
}

/// One open write transaction, with the elementary operations the shared logic sequences.
///
/// The per-event statements are taken from the connection's cache once per transaction and
/// kept here, rather than looked up by their SQL text for every event.
struct SqliteTransaction<'t> {
    transaction: &'t Transaction<'t>,
    buffers: EventBuffers,
    layouts: WriteLayouts,
    find_event: Option<CachedStatement<'t>>,
    insert_event: Option<CachedStatement<'t>>,
    replace_event: Option<CachedStatement<'t>>,
}

impl<'t> SqliteTransaction<'t> {
    fn new(transaction: &'t Transaction<'t>) -> SqliteTransaction<'t> {
        SqliteTransaction {
            transaction,
            buffers: EventBuffers::default(),
            layouts: WriteLayouts::default(),
            find_event: None,
            insert_event: None,
            replace_event: None,
        }
    }

    fn now_text(&mut self, now: DateTime<Utc>) -> String {
        self.buffers.now_text(now).to_owned()
    }

    /// The field layout of these names (none for no names), stored if new.
    fn layout(&mut self, names: &Arc<[String]>) -> Result<Option<(i64, FieldHints)>, StoreError> {
        if names.is_empty() {
            return Ok(None);
        }
        if let Some(known) = self.layouts.get(names) {
            return Ok(Some((known.id, known.hints)));
        }
        let text = names_json(names);
        let select = |transaction: &Transaction<'_>| {
            transaction
                .prepare_cached("SELECT id FROM field_layouts WHERE names = ?1")
                .and_then(|mut statement| statement.query_row([&text], |row| row.get(0)).optional())
                .context("cannot look up a field layout")
        };
        let id = match select(self.transaction)? {
            Some(id) => id,
            None => {
                self.transaction
                    .prepare_cached("INSERT INTO field_layouts (names) VALUES (?1)")
                    .and_then(|mut statement| statement.execute([&text]))
                    .context("cannot store a field layout")?;
                self.transaction.last_insert_rowid()
            }
        };
        let known = self.layouts.insert(names, id);
        Ok(Some((known.id, known.hints)))
    }

    /// Encodes `write` and binds parameters 1 to 17 (see
    /// [`crate::query::EVENT_CONTENT_COLUMNS`]) of `statement`.
    fn bind_content(
        statement: &mut CachedStatement<'_>,
        buffers: &mut EventBuffers,
        layout: Option<(i64, FieldHints)>,
        write: &EventWrite<'_>,
    ) -> rusqlite::Result<()> {
        let event = &write.located.event;
        let location = &write.located.location;
        let hints = layout.map(|(_, hints)| hints).unwrap_or_default();
        payload::encode(
            &mut buffers.payload,
            &mut buffers.value_ranges,
            write.located,
            &hints,
        );
        buffers.event_date.clear();
        push_date(&mut buffers.event_date, event.event_date);
        json::write_string_array(
            &mut buffers.corridor_ids,
            location.corridors.iter().map(ZoneId::as_str),
        );
        statement.raw_bind_parameter(1, buffers.event_date.as_str())?;
        statement.raw_bind_parameter(2, event.event_type.label())?;
        statement.raw_bind_parameter(3, event.sub_event_type.as_deref())?;
        statement.raw_bind_parameter(4, i64::from(event.fatalities))?;
        statement.raw_bind_parameter(5, event.longitude)?;
        statement.raw_bind_parameter(6, event.latitude)?;
        statement.raw_bind_parameter(7, event.source_timestamp)?;
        statement.raw_bind_parameter(8, location.commune.as_ref().map(ZoneId::as_str))?;
        statement.raw_bind_parameter(9, location.cercle.as_ref().map(ZoneId::as_str))?;
        statement.raw_bind_parameter(10, location.region.as_ref().map(ZoneId::as_str))?;
        statement.raw_bind_parameter(11, buffers.corridor_ids.as_str())?;
        statement.raw_bind_parameter(12, write.content_fingerprint)?;
        statement.raw_bind_parameter(13, write.core_fingerprint)?;
        statement.raw_bind_parameter(14, layout.map(|(id, _)| id))?;
        statement.raw_bind_parameter(15, buffers.payload.as_slice())?;
        statement.raw_bind_parameter(16, write.import_run)?;
        statement.raw_bind_parameter(17, buffers.now_text(write.now))?;
        Ok(())
    }
}

/// The cached statement in `slot`, taken from the connection's cache on first use.
fn statement<'s, 't>(
    slot: &'s mut Option<CachedStatement<'t>>,
    transaction: &'t Transaction<'t>,
    sql: &str,
) -> rusqlite::Result<&'s mut CachedStatement<'t>> {
    if slot.is_none() {
        *slot = Some(transaction.prepare_cached(sql)?);
    }
    Ok(slot.as_mut().expect("just filled"))
}

impl WriteTransaction for SqliteTransaction<'_> {
    fn import_run_origin(&mut self, run: i64) -> Result<Option<String>, StoreError> {
        self.transaction
            .prepare_cached("SELECT origin FROM import_runs WHERE id = ?1")
            .and_then(|mut statement| statement.query_row([run], |row| row.get(0)).optional())
            .with_context(|| format!("cannot read import run {run}"))
    }

    fn find_events(
        &mut self,
        keys: &[(EventSource, &str)],
    ) -> Result<Vec<Option<StoredEventVersion>>, StoreError> {
        let statement = statement(&mut self.find_event, self.transaction, FIND_EVENT)
            .context("cannot look up events")?;
        let mut versions = Vec::with_capacity(keys.len());
        for &(source, source_event_id) in keys {
            let context = || format!("cannot look up event {source_event_id}");
            statement
                .raw_bind_parameter(1, source.as_str())
                .and_then(|()| statement.raw_bind_parameter(2, source_event_id))
                .with_context(context)?;
            let mut rows = statement.raw_query();
            let Some(row) = rows.next().with_context(context)? else {
                versions.push(None);
                continue;
            };
            let read = (|| {
                Ok::<_, rusqlite::Error>((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Option<i64>>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            })();
            let (row_id, source_timestamp, content, core, deleted_at) =
                read.with_context(context)?;
            versions.push(Some(StoredEventVersion {
                row_id,
                version: StoredVersion {
                    source_timestamp,
                    content_fingerprint: fingerprint_from_column(content),
                    core_fingerprint: fingerprint_from_column(core),
                    deleted_at: parse_optional_timestamp(deleted_at)?.map(|time| time.timestamp()),
                },
            }));
        }
        Ok(versions)
    }

    fn prefers_batched_lookups(&self) -> bool {
        false
    }

    fn insert_event(&mut self, write: &EventWrite<'_>) -> Result<i64, StoreError> {
        self.insert_event_if_absent(write)?.ok_or_else(|| {
            StoreError::Conflict(format!(
                "event {} is already stored",
                write.located.event.source_event_id
            ))
        })
    }

    fn insert_event_if_absent(
        &mut self,
        write: &EventWrite<'_>,
    ) -> Result<Option<i64>, StoreError> {
        let layout = self.layout(write.located.event.fields.names())?;
        let event = &write.located.event;
        let statement = statement(&mut self.insert_event, self.transaction, &INSERT_EVENT)
            .context("cannot insert events")?;
        let inserted = Self::bind_content(statement, &mut self.buffers, layout, write)
            .and_then(|()| statement.raw_bind_parameter(18, event.source.as_str()))
            .and_then(|()| statement.raw_bind_parameter(19, event.source_event_id.as_str()))
            .and_then(|()| {
                statement.raw_bind_parameter(20, write.verification.map(ReportStatus::as_str))
            })
            .and_then(|()| statement.raw_execute())
            .with_context(|| format!("cannot insert event {}", event.source_event_id))?;
        Ok((inserted > 0).then(|| self.transaction.last_insert_rowid()))
    }

    fn replace_event(&mut self, row_id: i64, write: &EventWrite<'_>) -> Result<(), StoreError> {
        let layout = self.layout(write.located.event.fields.names())?;
        let statement = statement(&mut self.replace_event, self.transaction, &REPLACE_EVENT)
            .context("cannot update events")?;
        Self::bind_content(statement, &mut self.buffers, layout, write)
            .and_then(|()| statement.raw_bind_parameter(18, row_id))
            .and_then(|()| statement.raw_execute())
            .with_context(|| {
                format!(
                    "cannot update event {}",
                    write.located.event.source_event_id
                )
            })?;
        Ok(())
    }

    fn load_event(&mut self, row_id: i64) -> Result<LocatedEvent, StoreError> {
        let sql = format!("SELECT {EVENT_READ_COLUMNS} FROM events WHERE id = ?1");
        let mut statement = self
            .transaction
            .prepare_cached(&sql)
            .context("cannot read an event")?;
        read_events(
            self.transaction,
            &mut statement,
            [row_id],
            "cannot read an event",
        )?
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
        let now = self.now_text(now);
        self.transaction
            .prepare_cached(
                "INSERT INTO quarantine (import_run, source, origin, line, field, reason, raw, \
                 created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    run,
                    record.source.as_str(),
                    record.origin,
                    count_column(record.line),
                    record.field,
                    record.reason,
                    record.raw,
                    now
                ])
            })
            .with_context(|| {
                format!(
                    "cannot quarantine line {} of {}",
                    record.line, record.origin
                )
            })?;
        Ok(())
    }

    fn mark_event_deleted(
        &mut self,
        run: i64,
        source: EventSource,
        deletion: &Deletion,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = self.now_text(now);
        let deleted_at = unix_seconds(deletion.deleted_at);
        let changed = self
            .transaction
            .prepare_cached(
                "UPDATE events SET deleted_at = ?1, import_run = ?2, updated_at = ?3 \
                 WHERE source = ?4 AND source_event_id = ?5 AND deleted_at IS NULL \
                 AND (source_timestamp IS NULL OR source_timestamp <= ?6)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    timestamp_text(deleted_at),
                    run,
                    now,
                    source.as_str(),
                    deletion.source_event_id,
                    deleted_at.timestamp()
                ])
            })
            .with_context(|| format!("cannot delete event {}", deletion.source_event_id))?;
        Ok(changed > 0)
    }

    fn find_report_by_message(
        &mut self,
        channel: ReportChannel,
        provider_message_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        self.transaction
            .prepare_cached(
                "SELECT id FROM reports WHERE channel = ?1 AND provider_message_id = ?2",
            )
            .and_then(|mut statement| {
                statement
                    .query_row(params![channel.as_str(), provider_message_id], |row| {
                        row.get(0)
                    })
                    .optional()
            })
            .context("cannot look up a report by its provider message id")
    }

    fn find_or_create_reporter(
        &mut self,
        reporter: &NewReporter,
        pseudonym: &str,
        now: DateTime<Utc>,
    ) -> Result<(i64, bool), StoreError> {
        let now = self.now_text(now);
        let select = |transaction: &Transaction<'_>| {
            transaction
                .prepare_cached("SELECT id, trusted FROM reporters WHERE phone_hmac = ?1")
                .and_then(|mut statement| {
                    statement
                        .query_row([&reporter.phone_hmac], |row| Ok((row.get(0)?, row.get(1)?)))
                        .optional()
                })
                .context("cannot look up a reporter")
        };
        if let Some(known) = select(self.transaction)? {
            return Ok(known);
        }
        self.transaction
            .prepare_cached(
                "INSERT INTO reporters (phone_hmac, phone_sealed, pseudonym, trusted, role, \
                 monitoring_group, commune_id, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (phone_hmac) DO NOTHING",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    reporter.phone_hmac,
                    reporter.phone_sealed,
                    pseudonym,
                    reporter.role.map(|role| role.as_str()),
                    reporter.group,
                    reporter.commune.as_ref().map(|zone| zone.as_str()),
                    now
                ])
            })
            .context("cannot record a new reporter")?;
        select(self.transaction)?
            .ok_or_else(|| StoreError::Backend("a new reporter cannot be read back".to_owned()))
    }

    fn insert_report(&mut self, report: &ReportWrite<'_>) -> Result<Option<i64>, StoreError> {
        let incident = report.incident.map(to_json).transpose()?;
        let location = report.location.map(to_json).transpose()?;
        self.transaction
            .prepare_cached(
                "INSERT INTO reports (channel, provider_message_id, reporter_id, status, \
                 received_at, text, language, incident, clarification, longitude, latitude, \
                 location) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                 ON CONFLICT (channel, provider_message_id) DO NOTHING RETURNING id",
            )
            .and_then(|mut statement| {
                statement
                    .query_row(
                        params![
                            report.channel.as_str(),
                            report.provider_message_id,
                            report.reporter_id,
                            report.status.as_str(),
                            timestamp_text(report.received_at),
                            report.text,
                            report.language,
                            incident,
                            report.clarification,
                            report.coordinates.map(|(longitude, _)| longitude),
                            report.coordinates.map(|(_, latitude)| latitude),
                            location
                        ],
                        |row| row.get(0),
                    )
                    .optional()
            })
            .context("cannot record a report")
    }

    fn load_report(&mut self, id: i64) -> Result<Option<Report>, StoreError> {
        load_report(self.transaction, id)
    }

    fn set_report_status(&mut self, id: i64, status: ReportStatus) -> Result<(), StoreError> {
        self.transaction
            .prepare_cached("UPDATE reports SET status = ?2 WHERE id = ?1")
            .and_then(|mut statement| statement.execute(params![id, status.as_str()]))
            .with_context(|| format!("cannot set the status of report {id}"))?;
        Ok(())
    }

    fn insert_review(&mut self, review: &ReportReview) -> Result<(), StoreError> {
        self.transaction
            .prepare_cached(
                "INSERT INTO report_reviews (report_id, status, analyst, reason, reviewed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    review.report,
                    review.status.as_str(),
                    review.analyst,
                    review.reason,
                    timestamp_text(review.at)
                ])
            })
            .with_context(|| format!("cannot record the review of report {}", review.report))?;
        Ok(())
    }

    fn set_event_verification(
        &mut self,
        source_event_id: &str,
        status: ReportStatus,
        withdrawn_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = self.now_text(now);
        let result = match withdrawn_at {
            Some(withdrawn_at) => self
                .transaction
                .prepare_cached(
                    "UPDATE events SET verification = ?1, updated_at = ?2, \
                     deleted_at = COALESCE(deleted_at, ?3) \
                     WHERE source = 'community' AND source_event_id = ?4",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        status.as_str(),
                        now,
                        timestamp_text(withdrawn_at),
                        source_event_id
                    ])
                }),
            None => self
                .transaction
                .prepare_cached(
                    "UPDATE events SET verification = ?1, updated_at = ?2, deleted_at = NULL \
                     WHERE source = 'community' AND source_event_id = ?3",
                )
                .and_then(|mut statement| {
                    statement.execute(params![status.as_str(), now, source_event_id])
                }),
        };
        result.with_context(|| {
            format!("cannot update the verification of event {source_event_id}")
        })?;
        Ok(())
    }

    fn append_stream(
        &mut self,
        kind: vigie_domain::StreamKind,
        ref_id: i64,
        payload: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        access::append_stream(self.transaction, kind, ref_id, payload, now)
    }
}

fn load_report(connection: &Connection, id: i64) -> Result<Option<Report>, StoreError> {
    let sql = format!("SELECT {REPORT_READ_COLUMNS} FROM {REPORT_FROM} WHERE reports.id = ?1");
    let context = || format!("cannot read report {id}");
    let mut statement = connection.prepare_cached(&sql).with_context(context)?;
    let rows = statement.query([id]).with_context(context)?;
    Ok(collect_rows(rows, "cannot read a report", report_row)?.pop())
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn start_import(
        &self,
        source: EventSource,
        origin: &str,
        content_sha256: Option<&str>,
    ) -> Result<i64, StoreError> {
        let now = timestamp_text(Utc::now());
        self.write(WriteKind::Regular, "cannot start an import", |writer| {
            let transaction = writer.transaction;
            transaction
                .prepare_cached(
                    "UPDATE import_runs SET status = 'interrupted', \
                     error = 'found still running when a later import started' \
                     WHERE status = 'running'",
                )
                .and_then(|mut statement| statement.execute([]))
                .context("cannot mark abandoned import runs interrupted")?;
            transaction
                .prepare_cached(
                    "INSERT INTO import_runs (source, origin, content_sha256, started_at, status) \
                     VALUES (?1, ?2, ?3, ?4, 'running') RETURNING id",
                )
                .and_then(|mut statement| {
                    statement.query_row(
                        params![source.as_str(), origin, content_sha256, now],
                        |row| row.get(0),
                    )
                })
                .context("cannot record a new import run")
        })
    }

    fn apply_batch(&self, run: i64, batch: &ImportBatch) -> Result<ImportCounts, StoreError> {
        let tally = self.tallies.for_run(run);
        let mut tally = tally.lock().unwrap_or_else(PoisonError::into_inner);
        let now = to_microseconds(Utc::now());
        let outcome = self.write(
            WriteKind::Import,
            "cannot apply an import batch",
            |writer| logic::apply_batch(writer, run, batch, &tally, now),
        )?;
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
        self.write(WriteKind::Import, "cannot apply deletions", |writer| {
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
        let now = timestamp_text(Utc::now());
        let [
            read,
            events,
            inserted,
            updated,
            unchanged,
            quarantined,
            deleted,
        ] = import_count_columns(counts);
        let changed = self.write(WriteKind::Regular, "cannot finish an import", |writer| {
            writer
                .transaction
                .prepare_cached(
                    "UPDATE import_runs SET finished_at = ?2, status = ?3, rows_read = ?4, \
                     events = ?5, inserted = ?6, updated = ?7, unchanged = ?8, \
                     quarantined = ?9, deleted = ?10, error = ?11, \
                     content_sha256 = COALESCE(?12, content_sha256) WHERE id = ?1",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        run,
                        now,
                        import_status_name(status),
                        read,
                        events,
                        inserted,
                        updated,
                        unchanged,
                        quarantined,
                        deleted,
                        error,
                        content_sha256
                    ])
                })
                .with_context(|| format!("cannot finish import run {run}"))
        })?;
        self.tallies.forget(run);
        if changed == 0 {
            return Err(StoreError::NotFound(format!("import run {run}")));
        }
        Ok(())
    }

    fn import_runs(&self, limit: u64) -> Result<Vec<ImportRun>, StoreError> {
        self.read(|connection| {
            let sql = format!(
                "SELECT {IMPORT_RUN_READ_COLUMNS} FROM import_runs ORDER BY id DESC LIMIT ?1"
            );
            let mut statement = connection
                .prepare_cached(&sql)
                .context("cannot list import runs")?;
            let rows = statement
                .query([count_column(limit)])
                .context("cannot list import runs")?;
            collect_rows(rows, "cannot list import runs", |row| {
                let column =
                    |error: rusqlite::Error| StoreError::Corrupt(format!("import run: {error}"));
                let mut counts = [0_i64; 7];
                for (offset, count) in counts.iter_mut().enumerate() {
                    *count = row.get(7 + offset).map_err(column)?;
                }
                ImportRunRow {
                    id: row.get(0).map_err(column)?,
                    source: row.get(1).map_err(column)?,
                    origin: row.get(2).map_err(column)?,
                    content_sha256: row.get(3).map_err(column)?,
                    started_at: parse_timestamp(&row.get::<_, String>(4).map_err(column)?)?,
                    finished_at: parse_optional_timestamp(row.get(5).map_err(column)?)?,
                    status: row.get(6).map_err(column)?,
                    counts,
                    error: row.get(14).map_err(column)?,
                }
                .into_import_run()
            })
        })
    }

    fn count_events(&self, query: &EventQuery) -> Result<u64, StoreError> {
        let filter = EventFilter::new(query, Placeholders::Sqlite);
        let sql = format!("SELECT COUNT(*) FROM events {}", filter.where_clause);
        self.read(|connection| {
            let count: i64 = connection
                .prepare_cached(&sql)
                .and_then(|mut statement| {
                    statement.query_row(params_from_iter(filter_values(&filter)), |row| row.get(0))
                })
                .context("cannot count events")?;
            crate::codec::count_from_column(count, "event count")
        })
    }

    fn events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        // A source id finds its row through the unique index; community events have their
        // own index; a day range is read in two steps (see `events_in_days`).
        let community = query.source == Some(EventSource::Community);
        if (query.from.is_some() || query.to.is_some())
            && query.source_event_id.is_none()
            && !community
        {
            return self.events_in_days(query);
        }
        let (filter, from) = if community && query.source_event_id.is_none() {
            // The source written out: SQLite uses a partial index only for a condition it
            // sees when it prepares the statement.
            let mut filter = EventFilter::new(
                &EventQuery {
                    source: None,
                    ..query.clone()
                },
                Placeholders::Sqlite,
            );
            filter.where_clause = format!(
                "WHERE source = '{}' {}",
                EventSource::Community.as_str(),
                filter.where_clause.replacen("WHERE", "AND", 1)
            );
            (filter, "events INDEXED BY events_community")
        } else {
            (EventFilter::new(query, Placeholders::Sqlite), "events")
        };
        let mut sql = format!(
            "SELECT {EVENT_READ_COLUMNS} FROM {from} {} ORDER BY id",
            filter.where_clause
        );
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        self.read(|connection| {
            let mut statement = connection.prepare(&sql).context("cannot list events")?;
            read_events(
                connection,
                &mut statement,
                params_from_iter(filter_values(&filter)),
                "cannot list events",
            )
        })
    }

    fn quarantine(&self, limit: u64) -> Result<Vec<StoredQuarantine>, StoreError> {
        self.read(|connection| {
            let sql = format!(
                "SELECT {QUARANTINE_READ_COLUMNS} FROM quarantine ORDER BY id DESC LIMIT ?1"
            );
            let mut statement = connection
                .prepare_cached(&sql)
                .context("cannot list quarantined records")?;
            let rows = statement
                .query([count_column(limit)])
                .context("cannot list quarantined records")?;
            collect_rows(rows, "cannot list quarantined records", |row| {
                let column = |error: rusqlite::Error| {
                    StoreError::Corrupt(format!("quarantined record: {error}"))
                };
                QuarantineRow {
                    id: row.get(0).map_err(column)?,
                    import_run: row.get(1).map_err(column)?,
                    source: row.get(2).map_err(column)?,
                    origin: row.get(3).map_err(column)?,
                    line: row.get(4).map_err(column)?,
                    field: row.get(5).map_err(column)?,
                    reason: row.get(6).map_err(column)?,
                    raw: row.get(7).map_err(column)?,
                    created_at: parse_timestamp(&row.get::<_, String>(8).map_err(column)?)?,
                }
                .into_stored()
            })
        })
    }

    fn sync_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|connection| {
            connection
                .prepare_cached("SELECT value FROM sync_state WHERE key = ?1")
                .and_then(|mut statement| statement.query_row([key], |row| row.get(0)).optional())
                .with_context(|| format!("cannot read sync state {key:?}"))
        })
    }

    fn set_sync_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let now = timestamp_text(Utc::now());
        self.write(WriteKind::Regular, "cannot store sync state", |writer| {
            writer
                .transaction
                .prepare_cached(
                    "INSERT INTO sync_state (key, value, updated_at) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                     updated_at = excluded.updated_at",
                )
                .and_then(|mut statement| statement.execute(params![key, value, now]))
                .with_context(|| format!("cannot store sync state {key:?}"))?;
            Ok(())
        })
    }

    fn register_reporter(&self, reporter: &NewReporter) -> Result<Reporter, StoreError> {
        let now = timestamp_text(Utc::now());
        let pseudonym = logic::pseudonym(&reporter.phone_hmac);
        self.write(WriteKind::Regular, "cannot register a reporter", |writer| {
            let sql = format!(
                "INSERT INTO reporters (phone_hmac, phone_sealed, pseudonym, trusted, role, \
                 monitoring_group, commune_id, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) \
                 ON CONFLICT (phone_hmac) DO UPDATE SET phone_sealed = excluded.phone_sealed, \
                 trusted = excluded.trusted, role = excluded.role, \
                 monitoring_group = excluded.monitoring_group, \
                 commune_id = excluded.commune_id, updated_at = excluded.updated_at \
                 RETURNING {REPORTER_READ_COLUMNS}"
            );
            let mut statement = writer
                .transaction
                .prepare_cached(&sql)
                .context("cannot register a reporter")?;
            let rows = statement
                .query(params![
                    reporter.phone_hmac,
                    reporter.phone_sealed,
                    pseudonym,
                    reporter.trusted,
                    reporter.role.map(|role| role.as_str()),
                    reporter.group,
                    reporter.commune.as_ref().map(|zone| zone.as_str()),
                    now
                ])
                .context("cannot register a reporter")?;
            collect_rows(rows, "cannot register a reporter", reporter_row)?
                .pop()
                .ok_or_else(|| {
                    StoreError::Backend("a registered reporter cannot be read back".to_owned())
                })
        })
    }

    fn find_reporter(&self, phone_hmac: &[u8]) -> Result<Option<Reporter>, StoreError> {
        self.read(|connection| {
            let sql =
                format!("SELECT {REPORTER_READ_COLUMNS} FROM reporters WHERE phone_hmac = ?1");
            let mut statement = connection
                .prepare_cached(&sql)
                .context("cannot look up a reporter")?;
            let rows = statement
                .query([phone_hmac])
                .context("cannot look up a reporter")?;
            Ok(collect_rows(rows, "cannot look up a reporter", reporter_row)?.pop())
        })
    }

    fn sealed_phone(&self, reporter_id: i64) -> Result<Vec<u8>, StoreError> {
        self.read(|connection| {
            connection
                .prepare_cached("SELECT phone_sealed FROM reporters WHERE id = ?1")
                .and_then(|mut statement| {
                    statement
                        .query_row([reporter_id], |row| row.get(0))
                        .optional()
                })
                .with_context(|| format!("cannot read reporter {reporter_id}"))?
                .ok_or_else(|| StoreError::NotFound(format!("reporter {reporter_id}")))
        })
    }

    fn record_report(&self, report: &NewReport) -> Result<RecordedReport, StoreError> {
        let now = to_microseconds(Utc::now());
        self.write(WriteKind::Regular, "cannot record a report", |writer| {
            logic::record_report(writer, report, now)
        })
    }

    fn review_report(&self, review: &ReportReview) -> Result<Report, StoreError> {
        let now = to_microseconds(Utc::now());
        self.write(WriteKind::Regular, "cannot review a report", |writer| {
            logic::review_report(writer, review, now)
        })
    }

    fn report(&self, id: i64) -> Result<Report, StoreError> {
        self.read(|connection| {
            load_report(connection, id)?.ok_or_else(|| StoreError::NotFound(format!("report {id}")))
        })
    }

    fn reports(&self, query: &ReportQuery) -> Result<Vec<Report>, StoreError> {
        let limit = query.limit.map_or(-1, count_column);
        self.read(|connection| {
            let sql = format!(
                "SELECT {REPORT_READ_COLUMNS} FROM {REPORT_FROM} \
                 WHERE (?1 IS NULL OR reports.status = ?1) \
                 ORDER BY reports.received_at DESC, reports.id DESC LIMIT ?2"
            );
            let mut statement = connection
                .prepare_cached(&sql)
                .context("cannot list reports")?;
            let rows = statement
                .query(params![query.status.map(ReportStatus::as_str), limit])
                .context("cannot list reports")?;
            collect_rows(rows, "cannot list reports", report_row)
        })
    }

    fn report_reviews(&self, id: i64) -> Result<Vec<ReportReview>, StoreError> {
        self.read(|connection| {
            // One read transaction: the report and its trail from the same snapshot.
            let transaction = connection
                .unchecked_transaction()
                .context("cannot read a report's reviews")?;
            let exists = transaction
                .prepare_cached("SELECT 1 FROM reports WHERE id = ?1")
                .and_then(|mut statement| statement.query_row([id], |_| Ok(())).optional())
                .with_context(|| format!("cannot read report {id}"))?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("report {id}")));
            }
            let mut statement = transaction
                .prepare_cached(
                    "SELECT report_id, status, analyst, reason, reviewed_at FROM report_reviews \
                     WHERE report_id = ?1 ORDER BY id",
                )
                .context("cannot read a report's reviews")?;
            let rows = statement
                .query([id])
                .context("cannot read a report's reviews")?;
            collect_rows(rows, "cannot read a report's reviews", |row| {
                let column =
                    |error: rusqlite::Error| StoreError::Corrupt(format!("report review: {error}"));
                Ok(ReportReview {
                    report: row.get(0).map_err(column)?,
                    status: crate::codec::parse_report_status(
                        &row.get::<_, String>(1).map_err(column)?,
                    )?,
                    analyst: row.get(2).map_err(column)?,
                    reason: row.get(3).map_err(column)?,
                    at: parse_timestamp(&row.get::<_, String>(4).map_err(column)?)?,
                })
            })
        })
    }

    fn create_api_key(
        &self,
        key: &vigie_domain::NewApiKey,
    ) -> Result<vigie_domain::ApiKey, StoreError> {
        self.create_api_key_in_sqlite(key)
    }

    fn api_key_by_hash(
        &self,
        secret_sha256: &[u8],
    ) -> Result<Option<vigie_domain::ApiKey>, StoreError> {
        self.api_key_by_hash_in_sqlite(secret_sha256)
    }

    fn api_keys(&self) -> Result<Vec<vigie_domain::ApiKey>, StoreError> {
        self.api_keys_in_sqlite()
    }

    fn revoke_api_key(&self, id: i64) -> Result<vigie_domain::ApiKey, StoreError> {
        self.revoke_api_key_in_sqlite(id)
    }

    fn record_api_key_use(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.record_api_key_use_in_sqlite(id, at)
    }

    fn stream_since(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<vigie_domain::StreamEntry>, StoreError> {
        self.stream_since_in_sqlite(after_id, limit)
    }

    fn stream_head(&self) -> Result<i64, StoreError> {
        self.stream_head_in_sqlite()
    }

    fn publish_stream(
        &self,
        kind: vigie_domain::StreamKind,
        ref_id: i64,
        payload: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        self.publish_stream_in_sqlite(kind, ref_id, payload)
    }

    fn current_geography(
        &self,
    ) -> Result<Option<vigie_domain::store::StoredGeography>, StoreError> {
        self.current_geography_in_sqlite()
    }

    fn current_geography_version(
        &self,
    ) -> Result<Option<vigie_domain::store::GeographyVersion>, StoreError> {
        self.current_geography_version_in_sqlite()
    }

    fn geography_versions(&self) -> Result<Vec<vigie_domain::store::GeographyVersion>, StoreError> {
        self.geography_versions_in_sqlite()
    }

    fn publish_geography(
        &self,
        bytes: &[u8],
        label: &str,
    ) -> Result<vigie_domain::store::GeographyPublication, StoreError> {
        self.publish_geography_in_sqlite(bytes, label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_have_a_fixed_width_and_round_trip() {
        let time = DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap();
        let text = timestamp_text(time);
        assert_eq!(text, "2023-11-14T22:13:20.123456Z");
        assert_eq!(parse_timestamp(&text).unwrap(), time);
        assert_eq!(timestamp_text(DateTime::UNIX_EPOCH).len(), text.len());
    }

    #[test]
    fn a_missing_directory_is_named_in_the_error() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("absent").join("vigie.db");
        let error = SqliteStore::open(&path).unwrap_err().to_string();
        assert!(error.contains("does not exist"), "{error}");
        assert!(error.contains("absent"), "{error}");
    }

    #[test]
    fn an_in_memory_database_is_refused() {
        let error = SqliteStore::open(":memory:").unwrap_err().to_string();
        assert!(error.contains("not a database file path"), "{error}");
    }
}
