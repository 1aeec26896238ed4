//! What the suite needs around the stores: a fresh database per test on each backend, and
//! builders for events, batches, reporters and reports.

#![allow(dead_code)] // Each test binary uses part of the support module.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use vigie_domain::store::{ImportBatch, Store};
use vigie_domain::{
    Event, EventLocation, EventSource, EventType, LocateStatus, LocatedEvent, MonitorRole,
    NewReport, NewReporter, QuarantineRecord, ReportChannel, ReportedIncident, SourceFields,
    ZoneId,
};

/// The variable naming the PostgreSQL server the tests create their databases on.
pub const POSTGRES_URL_VARIABLE: &str = "VIGIE_TEST_POSTGRES_URL";

/// A fresh, empty database on one backend, removed when dropped.
pub struct TestDatabase {
    store: Option<Arc<dyn Store>>,
    /// What `vigie_store::open` was given.
    location: String,
    backend: Backend,
}

enum Backend {
    Sqlite {
        directory: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        admin_url: String,
        database: String,
    },
}

impl TestDatabase {
    /// A new SQLite file in a temporary directory.
    pub fn sqlite() -> TestDatabase {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("vigie.db");
        let location = path.to_str().expect("UTF-8 temporary path").to_owned();
        let store = vigie_store::open(&location).expect("open a new SQLite store");
        assert_eq!(store.backend(), "sqlite");
        TestDatabase {
            store: Some(store),
            location,
            backend: Backend::Sqlite { directory, path },
        }
    }

    /// A new database on the server named by `VIGIE_TEST_POSTGRES_URL`.
    pub fn postgres() -> TestDatabase {
        let admin_url = std::env::var(POSTGRES_URL_VARIABLE)
            .ok()
            .filter(|url| !url.trim().is_empty())
            .unwrap_or_else(|| {
            panic!(
                "{POSTGRES_URL_VARIABLE} is not set (or empty): the PostgreSQL half of the \
                 store suite needs a server. Run scripts/test.sh, which starts one with \
                 scripts/postgres-for-tests.sh (if it did run, that script's messages above say \
                 why it could not), or export {POSTGRES_URL_VARIABLE}=\"$(scripts/postgres-for-tests.sh)\" \
                 before cargo test"
            )
        });
        let database = unique_database_name();
        let mut admin =
            postgres::Client::connect(&admin_url, postgres::NoTls).unwrap_or_else(|error| {
                panic!(
                    "cannot connect to {POSTGRES_URL_VARIABLE} ({error}): is the server running? \
                     scripts/postgres-for-tests.sh starts one"
                )
            });
        admin
            .batch_execute(&format!("CREATE DATABASE {database}"))
            .expect("create a test database");
        let location = with_database(&admin_url, &database);
        let store = vigie_store::open(&location).expect("open a new PostgreSQL store");
        assert_eq!(store.backend(), "postgres");
        TestDatabase {
            store: Some(store),
            location,
            backend: Backend::Postgres {
                admin_url,
                database,
            },
        }
    }

    /// What `vigie_store::open` was given: open it again for a second, independent store
    /// on the same database (as another process would).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.store.as_deref().expect("the store is open")
    }

    /// Closes the store (every connection).
    pub fn close(&mut self) {
        self.store = None;
    }

    /// Opens the same database again, as a restarted process would.
    pub fn reopen(&mut self) -> &dyn Store {
        self.store = None;
        self.store = Some(vigie_store::open(&self.location).expect("reopen the store"));
        self.store()
    }

    /// The SQLite file, for SQLite databases.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Sqlite { path, .. } => Some(path),
            Backend::Postgres { .. } => None,
        }
    }

    /// The versions recorded in `schema_migrations`, read behind the store's back.
    pub fn migration_versions(&self) -> Vec<i64> {
        const SQL: &str = "SELECT version FROM schema_migrations ORDER BY version";
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let connection = rusqlite::Connection::open(path).unwrap();
                let mut statement = connection.prepare(SQL).unwrap();
                statement
                    .query_map([], |row| row.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            }
            Backend::Postgres { .. } => {
                let mut client =
                    postgres::Client::connect(&self.location, postgres::NoTls).unwrap();
                client
                    .query(SQL, &[])
                    .unwrap()
                    .iter()
                    .map(|row| row.get(0))
                    .collect()
            }
        }
    }

    /// Everything stored, as bytes to search: the SQLite files (the store must be closed
    /// first, so that the write-ahead log is checkpointed), or every row of every PostgreSQL
    /// table as JSON text (byte strings appear there in hex).
    pub fn raw_contents(&self) -> Vec<u8> {
        match &self.backend {
            Backend::Sqlite { directory, .. } => {
                let mut bytes = Vec::new();
                for entry in std::fs::read_dir(directory.path()).unwrap() {
                    bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
                }
                bytes
            }
            Backend::Postgres { .. } => {
                let mut client =
                    postgres::Client::connect(&self.location, postgres::NoTls).unwrap();
                let tables: Vec<String> = client
                    .query(
                        "SELECT tablename::TEXT FROM pg_tables WHERE schemaname = 'public'",
                        &[],
                    )
                    .unwrap()
                    .iter()
                    .map(|row| row.get(0))
                    .collect();
                let mut bytes = Vec::new();
                for table in tables {
                    for row in client
                        .query(&format!("SELECT row_to_json(t)::TEXT FROM {table} t"), &[])
                        .unwrap()
                    {
                        bytes.extend(row.get::<_, String>(0).into_bytes());
                        bytes.push(b'\n');
                    }
                }
                bytes
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        self.store = None;
        if let Backend::Postgres {
            admin_url,
            database,
        } = &self.backend
        {
            // Best effort: a database left behind only costs disk space on a test server.
            if let Ok(mut admin) = postgres::Client::connect(admin_url, postgres::NoTls) {
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
            }
        }
    }
}

fn unique_database_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = Utc::now().timestamp_subsec_nanos();
    format!(
        "vigie_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let authority_start = url.find("://").map_or(0, |index| index + 3);
    let (head, query) = match url.find('?') {
        Some(index) => (&url[..index], &url[index..]),
        None => (url, ""),
    };
    let base = match head[authority_start..].find('/') {
        Some(index) => &head[..authority_start + index],
        None => head,
    };
    format!("{base}/{database}{query}")
}

/// Runs `scenario` on a fresh SQLite store.
pub fn on_sqlite(scenario: fn(&dyn Store)) {
    let database = TestDatabase::sqlite();
    scenario(database.store());
}

/// Runs `scenario` on a fresh PostgreSQL store.
pub fn on_postgres(scenario: fn(&dyn Store)) {
    let database = TestDatabase::postgres();
    scenario(database.store());
}

// --- builders ----------------------------------------------------------------------------------

/// A commune P-code.
pub fn zone(id: &str) -> ZoneId {
    ZoneId::new(id).unwrap()
}

/// Inside `commune` (cercle and region from its P-code), on corridor TR07.
pub fn location_in(commune: &str) -> EventLocation {
    EventLocation {
        status: LocateStatus::Inside,
        commune: Some(zone(commune)),
        cercle: Some(zone(&commune[..6])),
        region: Some(zone(&commune[..4])),
        corridors: vec![zone("TR07")],
    }
}

/// An ACLED event as a reader would produce it, its raw fields consistent with the typed
/// ones.
pub fn acled_event(id: &str, timestamp: i64) -> LocatedEvent {
    let mut event = Event {
        source: EventSource::Acled,
        source_event_id: id.to_owned(),
        event_date: NaiveDate::from_ymd_opt(2019, 3, 23).unwrap(),
        time_precision: 1,
        disorder_type: Some("Political violence".into()),
        event_type: EventType::ViolenceAgainstCivilians,
        sub_event_type: Some("Attack".into()),
        original_event_type: None,
        actor1: Some("Dan Na Ambassagou".into()),
        actor2: None,
        associated_actors: vec!["Militia (Dogon)".into()],
        inter1: Some(4),
        inter2: None,
        civilian_targeting: true,
        fatalities: 157,
        fatalities_low: None,
        fatalities_high: None,
        longitude: -3.5600001,
        latitude: 14.2300007,
        geo_precision: Some(1),
        country: Some("Mali".into()),
        admin1: Some("Mopti".into()),
        admin2: Some("Bankass".into()),
        admin3: Some("Ogossagou".into()),
        location: Some("Ogossagou-Peulh".into()),
        notes: Some("« Attaque » à l'aube; 157 morts.".into()),
        source_timestamp: Some(timestamp),
        flags: vec![],
        fields: SourceFields::empty(),
    };
    refresh_fields(&mut event);
    LocatedEvent {
        event,
        location: location_in("ML050301"),
    }
}

/// Rewrites the raw fields from the typed ones (as a reader would have read them).
pub fn refresh_fields(event: &mut Event) {
    let inter1 = event
        .inter1
        .map(|code| code.to_string())
        .unwrap_or_default();
    let timestamp = event
        .source_timestamp
        .map(|stamp| stamp.to_string())
        .unwrap_or_default();
    event.fields = SourceFields::from_pairs([
        ("event_id_cnty", event.source_event_id.clone()),
        ("event_date", event.event_date.to_string()),
        ("actor1", event.actor1.clone().unwrap_or_default()),
        ("inter1", inter1),
        ("fatalities", event.fatalities.to_string()),
        ("timestamp", timestamp),
        ("notes", event.notes.clone().unwrap_or_default()),
    ]);
}

/// The same event, on another day, in another commune.
pub fn moved(mut located: LocatedEvent, day: NaiveDate, commune: &str) -> LocatedEvent {
    located.event.event_date = day;
    located.location = location_in(commune);
    refresh_fields(&mut located.event);
    located
}

/// Another row of a monadic export: the same event seen from another actor.
pub fn other_actor_row(located: &LocatedEvent, actor: &str, inter: u8) -> LocatedEvent {
    let mut row = located.clone();
    row.event.actor1 = Some(actor.to_owned());
    row.event.inter1 = Some(inter);
    row.event.associated_actors = vec![];
    refresh_fields(&mut row.event);
    row
}

/// The same event with another fatality count (same timestamp unless changed after).
pub fn with_fatalities(located: &LocatedEvent, fatalities: u32) -> LocatedEvent {
    let mut changed = located.clone();
    changed.event.fatalities = fatalities;
    refresh_fields(&mut changed.event);
    changed
}

/// The same event with another timestamp.
pub fn with_timestamp(located: &LocatedEvent, timestamp: i64) -> LocatedEvent {
    let mut changed = located.clone();
    changed.event.source_timestamp = Some(timestamp);
    refresh_fields(&mut changed.event);
    changed
}

/// A batch of events, one row each.
pub fn batch(events: Vec<LocatedEvent>) -> ImportBatch {
    ImportBatch {
        rows_read: events.len() as u64,
        events,
        quarantined: vec![],
    }
}

/// A record a reader refused.
pub fn refused(line: u64, reason: &str, raw: &str) -> QuarantineRecord {
    QuarantineRecord {
        source: EventSource::Acled,
        origin: "acled-mali.csv".into(),
        line,
        field: Some("latitude".into()),
        reason: reason.into(),
        raw: raw.into(),
    }
}

/// A day of 2019.
pub fn day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2019, month, day).unwrap()
}

/// A UTC time in whole seconds.
pub fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

// --- phone numbers --------------------------------------------------------------------------

const HMAC_KEY: &[u8] = b"test hmac key, not a real one, 32";
const SEALING_KEY: &[u8] = b"test sealing key, not a real one";

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The protected forms of a phone number, as the domain's protector would make them: the
/// keyed HMAC, and a sealed form (here a test stand-in: a random-looking nonce followed by
/// the number XORed with an HMAC keystream; the real one is an AEAD).
pub fn protected_phone(number: &str) -> (Vec<u8>, Vec<u8>) {
    let phone_hmac = hmac(HMAC_KEY, &[number.as_bytes()]);
    let nonce = hmac(SEALING_KEY, &[b"nonce", number.as_bytes()])[..12].to_vec();
    let keystream = hmac(SEALING_KEY, &[&nonce]);
    let mut sealed = nonce;
    sealed.extend(
        number
            .bytes()
            .zip(keystream.iter().cycle())
            .map(|(byte, key)| byte ^ key),
    );
    (phone_hmac, sealed)
}

/// A sender with this number.
pub fn sender(number: &str) -> NewReporter {
    let (phone_hmac, phone_sealed) = protected_phone(number);
    NewReporter {
        phone_hmac,
        phone_sealed,
        trusted: false,
        role: None,
        group: None,
        commune: None,
    }
}

/// A registered monitor with this number.
pub fn monitor(number: &str) -> NewReporter {
    NewReporter {
        trusted: true,
        role: Some(MonitorRole::Women),
        group: Some("Bankass-1".into()),
        commune: Some(zone("ML050301")),
        ..sender(number)
    }
}

/// An understood incident in Bankass.
pub fn incident() -> ReportedIncident {
    ReportedIncident {
        commune: zone("ML050301"),
        event_type: EventType::ViolenceAgainstCivilians,
        sub_event_type: Some("Attack".into()),
        fatalities: 3,
        injured: Some(2),
        occurred_on: day(11, 2),
    }
}

/// The representative point of Bankass (the point SMS reports are placed at).
pub const BANKASS_POINT: (f64, f64) = (-3.5149, 14.073);

/// An understood SMS report from `reporter`, placed at the commune's representative point.
pub fn sms_report(message_id: &str, reporter: Option<NewReporter>) -> NewReport {
    NewReport {
        channel: ReportChannel::Twilio,
        provider_message_id: message_id.into(),
        reporter,
        received_at: at(1_572_700_000),
        text: "ATTAQUE BANKASS 3 MORTS 2 BLESSES".into(),
        language: "fr".into(),
        incident: Some(incident()),
        clarification: None,
        coordinates: Some(BANKASS_POINT),
        location: Some(location_in("ML050301")),
    }
}

/// An SMS that was not understood: a question went back.
pub fn unclear_report(message_id: &str, reporter: Option<NewReporter>) -> NewReport {
    NewReport {
        incident: None,
        clarification: Some("Quelle commune ?".into()),
        coordinates: None,
        location: None,
        text: "il y a eu un probleme".into(),
        ..sms_report(message_id, reporter)
    }
}

/// Generates one `#[test]` per scenario and backend: `sqlite::name` and `postgres::name`.
macro_rules! on_both_backends {
    (
        stores: [$($scenario:ident),* $(,)?],
        databases: [$($database_scenario:ident),* $(,)?] $(,)?
    ) => {
        mod sqlite {
            $(
                #[test]
                fn $scenario() {
                    crate::support::on_sqlite(crate::scenarios::$scenario);
                }
            )*
            $(
                #[test]
                fn $database_scenario() {
                    crate::scenarios::$database_scenario(crate::support::TestDatabase::sqlite());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $scenario() {
                    crate::support::on_postgres(crate::scenarios::$scenario);
                }
            )*
            $(
                #[test]
                fn $database_scenario() {
                    crate::scenarios::$database_scenario(crate::support::TestDatabase::postgres());
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_names_replace_the_path_only() {
        assert_eq!(
            super::with_database("postgres://postgres@127.0.0.1:54329/postgres", "t1"),
            "postgres://postgres@127.0.0.1:54329/t1"
        );
        assert_eq!(
            super::with_database("postgresql://u:p@h/db?sslmode=disable", "t2"),
            "postgresql://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://h:1", "t3"),
            "postgres://h:1/t3"
        );
    }
}
