//! API keys and the stream log, every scenario run on SQLite and on PostgreSQL
//! (`VIGIE_TEST_POSTGRES_URL`, as for `tests/suite.rs`: without it the PostgreSQL half fails
//! rather than skips).

#[macro_use]
mod support;

use serde_json::json;
use vigie_domain::store::{ImportStatus, Store, StoreError};
use vigie_domain::{
    ApiRole, EventSource, ImportCounts, NewApiKey, StreamEntry, StreamKind, TransitionKind,
    WarningLevel, WarningRecord, ZoneLevel, api_key_display_prefix, api_key_from_bytes,
    api_key_sha256,
};

use support::*;

on_both_backends! {
    stores: [
        keys_are_found_by_hash_listed_and_revoked_once,
        a_key_hash_is_stored_once,
        key_use_is_recorded_and_never_goes_back_in_time,
        an_import_batch_appends_one_entry_listing_the_events_it_changed,
        a_batch_on_an_unknown_run_appends_nothing,
        a_report_appends_an_entry_without_reporter_data,
        only_new_warning_transitions_reach_the_stream,
        the_stream_pages_by_id_and_reports_its_head,
        hotspots_may_be_published_but_stored_kinds_may_not,
    ],
    databases: [
        a_batch_whose_stream_entry_fails_leaves_no_event_behind,
        the_migrations_reach_version_5,
    ],
}

fn new_key(byte: u8, role: ApiRole, name: &str) -> (String, NewApiKey) {
    let token = api_key_from_bytes(&[byte; 32]);
    let key = NewApiKey {
        name: name.to_owned(),
        role,
        secret_sha256: api_key_sha256(&token),
        prefix: api_key_display_prefix(&token).to_owned(),
    };
    (token, key)
}

fn entries(store: &dyn Store) -> Vec<StreamEntry> {
    store.stream_since(0, 1000).unwrap()
}

fn warning(episode: &str, kind: TransitionKind, level: Option<WarningLevel>) -> WarningRecord {
    WarningRecord {
        episode: episode.to_owned(),
        rule: "surge-7d".to_owned(),
        zone: zone("ML050301"),
        zone_level: ZoneLevel::Commune,
        zone_name: "Bankass".to_owned(),
        kind,
        level,
        previous_level: None,
        at: day(3, 23),
        evidence: json!({"count": 7, "secret_evidence_marker": true}),
        late: false,
        inhibited_by: None,
    }
}

/// Runs one SQL statement on the test database behind the store's back.
fn execute_raw(database: &TestDatabase, sqlite: &str, postgres: &str) {
    match database.sqlite_path() {
        Some(path) => {
            let connection = rusqlite::Connection::open(path).unwrap();
            connection.execute_batch(sqlite).unwrap();
        }
        None => {
            let mut client =
                ::postgres::Client::connect(database.location(), ::postgres::NoTls).unwrap();
            client.batch_execute(postgres).unwrap();
        }
    }
}

mod scenarios {
    use super::*;

    pub fn keys_are_found_by_hash_listed_and_revoked_once(store: &dyn Store) {
        let (token, key) = new_key(1, ApiRole::Analyst, "mopti analysts");
        let created = store.create_api_key(&key).unwrap();
        assert_eq!(created.name, "mopti analysts");
        assert_eq!(created.role, ApiRole::Analyst);
        assert_eq!(created.prefix, &token[..9]);
        assert_eq!(created.secret_sha256, key.secret_sha256.to_vec());
        assert!(created.is_live() && created.last_used_at.is_none());

        let found = store
            .api_key_by_hash(&api_key_sha256(&token))
            .unwrap()
            .unwrap();
        assert_eq!(found, created);
        let (other, _) = new_key(2, ApiRole::Admin, "unused");
        assert!(
            store
                .api_key_by_hash(&api_key_sha256(&other))
                .unwrap()
                .is_none()
        );

        let (_, second) = new_key(3, ApiRole::Researcher, "university");
        let second = store.create_api_key(&second).unwrap();
        let listed = store.api_keys().unwrap();
        assert_eq!(
            listed.iter().map(|key| key.id).collect::<Vec<_>>(),
            vec![created.id, second.id]
        );

        let revoked = store.revoke_api_key(created.id).unwrap();
        assert!(revoked.revoked_at.is_some());
        let found = store
            .api_key_by_hash(&api_key_sha256(&token))
            .unwrap()
            .unwrap();
        assert!(!found.is_live(), "a revoked key is still found, as revoked");
        assert!(matches!(
            store.revoke_api_key(created.id),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.revoke_api_key(created.id + 100),
            Err(StoreError::NotFound(_))
        ));
        assert!(store.api_keys().unwrap()[1].is_live());
    }

    pub fn a_key_hash_is_stored_once(store: &dyn Store) {
        let (_, key) = new_key(4, ApiRole::Researcher, "first");
        store.create_api_key(&key).unwrap();
        let again = NewApiKey {
            name: "second".into(),
            ..key
        };
        assert!(matches!(
            store.create_api_key(&again),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(store.api_keys().unwrap().len(), 1);
    }

    pub fn key_use_is_recorded_and_never_goes_back_in_time(store: &dyn Store) {
        let (token, key) = new_key(5, ApiRole::Researcher, "script");
        let key = store.create_api_key(&key).unwrap();
        store.record_api_key_use(key.id, at(2_000)).unwrap();
        store.record_api_key_use(key.id, at(1_000)).unwrap();
        let found = store
            .api_key_by_hash(&api_key_sha256(&token))
            .unwrap()
            .unwrap();
        assert_eq!(found.last_used_at, Some(at(2_000)));
    }

    pub fn an_import_batch_appends_one_entry_listing_the_events_it_changed(store: &dyn Store) {
        let run = store
            .start_import(EventSource::Acled, "a.csv", None)
            .unwrap();
        let events = vec![
            acled_event("MLI1", 100),
            acled_event("MLI2", 100),
            acled_event("MLI3", 100),
        ];
        store.apply_batch(run, &batch(events.clone())).unwrap();
        let log = entries(store);
        assert_eq!(log.len(), 1, "one entry per batch, not per event");
        let entry = &log[0];
        assert_eq!((entry.kind, entry.ref_id), (StreamKind::Event, run));
        let ids: Vec<i64> = store
            .events(&Default::default())
            .unwrap()
            .iter()
            .map(|event| event.id)
            .collect();
        assert_eq!(entry.payload["ids"], json!([[ids[0], ids[2]]]));
        assert_eq!(entry.payload["inserted"], 3);
        assert_eq!(entry.payload["updated"], 0);
        assert_eq!(store.stream_head().unwrap(), entry.id);

        // The same rows again change nothing: no entry.
        store.apply_batch(run, &batch(events.clone())).unwrap();
        assert_eq!(entries(store).len(), 1);

        // A newer version of one event: an entry with that id only.
        let run2 = store
            .start_import(EventSource::Acled, "b.csv", None)
            .unwrap();
        store
            .apply_batch(
                run2,
                &batch(vec![with_fatalities(&with_timestamp(&events[1], 200), 9)]),
            )
            .unwrap();
        let log = entries(store);
        assert_eq!(log.len(), 2);
        assert!(log[1].id > log[0].id);
        assert_eq!(log[1].payload["ids"], json!([[ids[1], ids[1]]]));
        assert_eq!(log[1].payload["updated"], 1);
        assert_eq!(log[1].payload["inserted"], 0);
    }

    pub fn a_batch_on_an_unknown_run_appends_nothing(store: &dyn Store) {
        assert!(
            store
                .apply_batch(999, &batch(vec![acled_event("MLI1", 100)]))
                .is_err()
        );
        assert!(entries(store).is_empty());
        assert_eq!(store.stream_head().unwrap(), 0);
    }

    pub fn a_report_appends_an_entry_without_reporter_data(store: &dyn Store) {
        let report = sms_report("SM-1", Some(sender("+22376000001")));
        let recorded = store.record_report(&report).unwrap();
        let vigie_domain::RecordedReport::Created { id, .. } = recorded else {
            panic!("{recorded:?}");
        };
        // A duplicate is not news.
        store.record_report(&report).unwrap();
        let unclear = store
            .record_report(&unclear_report("SM-2", Some(sender("+22376000002"))))
            .unwrap();
        let log = entries(store);
        assert_eq!(log.len(), 2, "{log:?}");
        let entry = &log[0];
        assert_eq!((entry.kind, entry.ref_id), (StreamKind::Report, id));
        assert_eq!(entry.payload["commune"], "ML050301");
        assert_eq!(entry.payload["status"], "unverified");
        assert_eq!(entry.payload["fatalities"], 3);
        let event = store
            .events(&vigie_domain::store::EventQuery {
                source: Some(EventSource::Community),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(entry.payload["event"], event[0].id);
        let payloads: Vec<_> = log.iter().map(|entry| &entry.payload).collect();
        let text = serde_json::to_string(&payloads).unwrap();
        for secret in ["22376", "ATTAQUE", "SM-1", "R-", "-3.51", "14.07", "Twilio"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        let vigie_domain::RecordedReport::Created { id: unclear, .. } = unclear else {
            panic!("{unclear:?}");
        };
        assert_eq!(log[1].ref_id, unclear);
        assert!(log[1].payload["event"].is_null());
    }

    pub fn only_new_warning_transitions_reach_the_stream(store: &dyn Store) {
        let opened = warning(
            "surge-7d/ML050301/2019-03-23",
            TransitionKind::Opened,
            Some(WarningLevel::Alerte),
        );
        let outcome = store
            .record_warnings(std::slice::from_ref(&opened), &[])
            .unwrap();
        assert_eq!(outcome.warnings, 1);
        store
            .record_warnings(std::slice::from_ref(&opened), &[])
            .unwrap();
        let log = entries(store);
        assert_eq!(log.len(), 1);
        let stored = store.warnings(&Default::default()).unwrap();
        assert_eq!(
            (log[0].kind, log[0].ref_id),
            (StreamKind::Warning, stored[0].id)
        );
        assert_eq!(log[0].payload["zone"], "ML050301");
        assert_eq!(log[0].payload["level"], "alerte");
        assert_eq!(log[0].payload["kind"], "opened");
        assert!(
            !log[0]
                .payload
                .to_string()
                .contains("secret_evidence_marker"),
            "evidence stays in the warnings table"
        );
    }

    pub fn the_stream_pages_by_id_and_reports_its_head(store: &dyn Store) {
        assert_eq!(store.stream_head().unwrap(), 0);
        let ids: Vec<i64> = (0..5)
            .map(|index| {
                store
                    .publish_stream(StreamKind::Hotspot, index, &json!({"clusters": index}))
                    .unwrap()
            })
            .collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(store.stream_head().unwrap(), ids[4]);
        let first = store.stream_since(0, 2).unwrap();
        assert_eq!(
            first.iter().map(|entry| entry.id).collect::<Vec<_>>(),
            &ids[..2]
        );
        let rest = store.stream_since(first[1].id, 100).unwrap();
        assert_eq!(
            rest.iter().map(|entry| entry.id).collect::<Vec<_>>(),
            &ids[2..]
        );
        assert_eq!(rest[2].payload, json!({"clusters": 4}));
        assert!(store.stream_since(ids[4], 10).unwrap().is_empty());
    }

    pub fn hotspots_may_be_published_but_stored_kinds_may_not(store: &dyn Store) {
        for kind in [StreamKind::Event, StreamKind::Report, StreamKind::Warning] {
            assert!(matches!(
                store.publish_stream(kind, 1, &json!({})),
                Err(StoreError::Conflict(_))
            ));
        }
        assert!(entries(store).is_empty());
    }

    /// The entry and the events are one transaction: when appending the entry fails, the
    /// events the batch wrote are rolled back with it.
    pub fn a_batch_whose_stream_entry_fails_leaves_no_event_behind(database: TestDatabase) {
        execute_raw(
            &database,
            "CREATE TRIGGER refuse_stream BEFORE INSERT ON stream_log \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
            "CREATE FUNCTION refuse_stream() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; \
             CREATE TRIGGER refuse_stream BEFORE INSERT ON stream_log \
             FOR EACH ROW EXECUTE FUNCTION refuse_stream();",
        );
        let store = database.store();
        let run = store
            .start_import(EventSource::Acled, "a.csv", None)
            .unwrap();
        let events = batch(vec![acled_event("MLI1", 100), acled_event("MLI2", 100)]);
        let error = store.apply_batch(run, &events).unwrap_err();
        assert!(error.to_string().contains("stream"), "{error}");
        assert_eq!(store.count_events(&Default::default()).unwrap(), 0);
        assert!(store.record_report(&sms_report("SM-1", None)).is_err());
        assert!(store.reports(&Default::default()).unwrap().is_empty());

        execute_raw(
            &database,
            "DROP TRIGGER refuse_stream;",
            "DROP TRIGGER refuse_stream ON stream_log;",
        );
        let counts = store.apply_batch(run, &events).unwrap();
        assert_eq!(counts.inserted, 2);
        store
            .finish_import(
                run,
                ImportStatus::Completed,
                &ImportCounts::default(),
                None,
                None,
            )
            .unwrap();
        assert_eq!(entries(store).len(), 1);
    }

    pub fn the_migrations_reach_version_5(database: TestDatabase) {
        assert_eq!(database.migration_versions(), vec![1, 2, 3, 4, 5]);
    }
}
