//! The store suite: every scenario written once against `&dyn Store` and run on both
//! backends, SQLite in a temporary directory and PostgreSQL in a fresh database of the server
//! named by `VIGIE_TEST_POSTGRES_URL` (`scripts/test.sh` starts one). Without that variable
//! the PostgreSQL half fails: a suite that skips half its backends would pass silently.

#[macro_use]
mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use vigie_domain::store::{EventQuery, ImportBatch, ImportStatus, ReportQuery, Store, StoreError};
use vigie_domain::{
    Deletion, EventFlag, EventSource, ImportCounts, RecordedReport, ReportChannel, ReportReview,
    ReportStatus, SourceFields,
};

use support::*;

on_both_backends! {
    stores: [
        applying_the_same_file_twice_changes_nothing_the_second_time,
        stored_events_read_back_exactly_as_written,
        a_newer_timestamp_replaces_and_an_older_one_never_overrides,
        monadic_rows_merge_into_one_event_counted_once,
        a_same_timestamp_row_with_other_content_is_quarantined,
        deletions_hide_events_until_a_newer_record_revives_them,
        counts_add_up_across_the_batches_of_one_run,
        starting_an_import_marks_a_dead_run_interrupted,
        quarantined_rows_are_listed_newest_first,
        sync_state_round_trips_and_overwrites,
        provider_retries_of_a_report_are_duplicates,
        unknown_senders_are_unverified_and_monitors_verified,
        an_understood_report_becomes_a_community_event_and_an_unclear_one_does_not,
        a_report_with_an_incident_but_no_coordinates_is_refused_whole,
        reviews_are_audited_and_a_rejected_report_withdraws_its_event,
        event_queries_filter_by_source_dates_commune_and_id,
        keyset_paging_visits_every_event_once_in_id_order,
        dated_pages_skip_refused_rows_and_follow_id_order,
        threads_share_one_store,
    ],
    databases: [
        opening_twice_applies_the_migrations_once,
        phone_numbers_never_reach_the_database,
    ],
}

fn run_counts(store: &dyn Store, batches: &[ImportBatch]) -> Vec<ImportCounts> {
    let run = store
        .start_import(EventSource::Acled, "acled-mali.csv", Some("ab12"))
        .unwrap();
    let counts: Vec<ImportCounts> = batches
        .iter()
        .map(|batch| store.apply_batch(run, batch).unwrap())
        .collect();
    let mut total = ImportCounts::default();
    for batch_counts in &counts {
        total.add(batch_counts);
    }
    store
        .finish_import(run, ImportStatus::Completed, &total, None, None)
        .unwrap();
    counts
}

fn import_once(store: &dyn Store, batch: ImportBatch) -> ImportCounts {
    run_counts(store, &[batch])[0]
}

fn acled_query(id: &str) -> EventQuery {
    EventQuery {
        source: Some(EventSource::Acled),
        source_event_id: Some(id.to_owned()),
        include_deleted: true,
        ..EventQuery::default()
    }
}

fn stored(store: &dyn Store, id: &str) -> vigie_domain::store::StoredEvent {
    let mut events = store.events(&acled_query(id)).unwrap();
    assert_eq!(events.len(), 1, "exactly one stored event {id}");
    events.remove(0)
}

fn community_event(store: &dyn Store, report_id: i64) -> Option<vigie_domain::store::StoredEvent> {
    store
        .events(&EventQuery {
            source: Some(EventSource::Community),
            source_event_id: Some(format!("R{report_id}")),
            include_deleted: true,
            ..EventQuery::default()
        })
        .unwrap()
        .pop()
}

fn created(recorded: RecordedReport) -> (i64, ReportStatus) {
    match recorded {
        RecordedReport::Created { id, status } => (id, status),
        other => panic!("expected a new report, got {other:?}"),
    }
}

mod scenarios {
    use super::*;

    pub fn applying_the_same_file_twice_changes_nothing_the_second_time(store: &dyn Store) {
        let file = batch(vec![
            acled_event("MLI1", 1_600_000_000),
            acled_event("MLI2", 1_600_000_000),
            acled_event("MLI3", 1_600_000_000),
        ]);
        let first = import_once(store, file.clone());
        assert_eq!(
            first,
            ImportCounts {
                read: 3,
                events: 3,
                inserted: 3,
                ..ImportCounts::default()
            }
        );
        let before = store.events(&EventQuery::default()).unwrap();
        let second = import_once(store, file);
        assert_eq!(
            second,
            ImportCounts {
                read: 3,
                events: 3,
                unchanged: 3,
                ..ImportCounts::default()
            }
        );
        assert_eq!(store.count_events(&EventQuery::default()).unwrap(), 3);
        assert_eq!(
            store.events(&EventQuery::default()).unwrap(),
            before,
            "an unchanged re-import writes nothing, not even the import run"
        );
    }

    pub fn stored_events_read_back_exactly_as_written(store: &dyn Store) {
        let mut event = acled_event("MLI9", 1_600_000_000);
        event.event.flags = vec![EventFlag::SwappedCoordinates, EventFlag::MissingFatalities];
        event.event.fatalities_low = Some(0);
        event.event.fatalities_high = Some(u32::MAX);
        event.event.inter2 = Some(7);
        event.event.actor2 = Some("Civilians (Mali)".into());
        event.event.fields = SourceFields::from_pairs(
            event
                .event
                .fields
                .iter()
                .chain([("tags", "crowd size=\"unknown\"\n;")]),
        );
        event.location.corridors.push(zone("TR03"));
        let counts = import_once(store, batch(vec![event.clone()]));
        assert_eq!(counts.inserted, 1);
        let read = stored(store, "MLI9");
        assert_eq!(read.located, event);
        assert_eq!(read.verification, None);
        assert_eq!(read.deleted_at, None);
        assert!(read.import_run.is_some());
        assert_eq!(read.inserted_at, read.updated_at);
    }

    pub fn a_newer_timestamp_replaces_and_an_older_one_never_overrides(store: &dyn Store) {
        let original = with_fatalities(&acled_event("MLI1", 100), 1);
        import_once(store, batch(vec![original]));
        let first = stored(store, "MLI1");

        let newer = with_fatalities(&with_timestamp(&first.located, 200), 5);
        let counts = import_once(store, batch(vec![newer.clone()]));
        assert_eq!((counts.events, counts.updated), (1, 1));
        let replaced = stored(store, "MLI1");
        assert_eq!(replaced.located, newer);
        assert_eq!(replaced.id, first.id, "the store id survives a replacement");
        assert_eq!(replaced.inserted_at, first.inserted_at);
        assert!(replaced.import_run > first.import_run);

        let older = with_fatalities(&with_timestamp(&first.located, 150), 9);
        let counts = import_once(store, batch(vec![older]));
        assert_eq!((counts.events, counts.unchanged, counts.updated), (1, 1, 0));
        assert_eq!(stored(store, "MLI1").located.event.fatalities, 5);
    }

    pub fn monadic_rows_merge_into_one_event_counted_once(store: &dyn Store) {
        let attack = acled_event("MLI1", 1_600_000_000);
        let victims = other_actor_row(&attack, "Civilians (Mali)", 7);
        let clash = acled_event("MLI2", 1_600_000_000);
        let clash_other_side = other_actor_row(&clash, "Military Forces of Mali (2016-)", 1);
        let file = ImportBatch {
            rows_read: 4,
            events: vec![attack.clone(), victims, clash, clash_other_side],
            quarantined: vec![],
        };

        let counts = import_once(store, file.clone());
        assert_eq!(
            counts,
            ImportCounts {
                read: 4,
                events: 2,
                inserted: 2,
                ..ImportCounts::default()
            }
        );
        let merged = stored(store, "MLI1").located.event;
        assert_eq!(merged.actor1.as_deref(), Some("Dan Na Ambassagou"));
        assert_eq!(merged.actor2.as_deref(), Some("Civilians (Mali)"));
        assert_eq!(merged.inter2, Some(7));
        assert_eq!(
            merged.fatalities, attack.event.fatalities,
            "fatalities once"
        );
        assert!(merged.flags.contains(&EventFlag::MergedActors));

        let again = import_once(store, file);
        assert_eq!(
            again,
            ImportCounts {
                read: 4,
                events: 2,
                unchanged: 2,
                ..ImportCounts::default()
            }
        );
        assert_eq!(store.count_events(&EventQuery::default()).unwrap(), 2);
        assert!(store.quarantine(10).unwrap().is_empty());
    }

    pub fn a_same_timestamp_row_with_other_content_is_quarantined(store: &dyn Store) {
        let original = acled_event("MLI1", 1_600_000_000);
        import_once(store, batch(vec![original.clone()]));
        let contradicting = with_fatalities(&original, 7);

        let counts = import_once(store, batch(vec![contradicting.clone()]));
        assert_eq!(
            counts,
            ImportCounts {
                read: 1,
                quarantined: 1,
                ..ImportCounts::default()
            }
        );
        assert_eq!(
            stored(store, "MLI1").located,
            original,
            "the stored event stays"
        );
        let quarantined = store.quarantine(10).unwrap();
        assert_eq!(quarantined.len(), 1);
        let record = &quarantined[0].record;
        assert_eq!(record.source, EventSource::Acled);
        assert_eq!(record.origin, "acled-mali.csv");
        assert_eq!(record.field.as_deref(), Some("event_id_cnty"));
        assert_eq!(
            record.reason,
            "duplicate of event MLI1 with the same timestamp but different content"
        );
        let raw: SourceFields = serde_json::from_str(&record.raw).unwrap();
        assert_eq!(raw, contradicting.event.fields);
        let runs = store.import_runs(1).unwrap();
        assert_eq!(quarantined[0].import_run, runs[0].id);
    }

    pub fn deletions_hide_events_until_a_newer_record_revives_them(store: &dyn Store) {
        import_once(
            store,
            batch(vec![acled_event("MLI1", 100), acled_event("MLI2", 100)]),
        );
        let run = store
            .start_import(EventSource::Acled, "deleted.csv", None)
            .unwrap();
        let deletions = [
            Deletion {
                source_event_id: "MLI1".into(),
                deleted_at: 200,
            },
            Deletion {
                source_event_id: "MLI404".into(),
                deleted_at: 200,
            },
        ];
        assert_eq!(
            store
                .apply_deletions(run, EventSource::Acled, &deletions)
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .apply_deletions(run, EventSource::Acled, &deletions)
                .unwrap(),
            0,
            "an event already deleted is not counted again"
        );
        assert_eq!(
            store
                .apply_deletions(run, EventSource::Ucdp, &deletions)
                .unwrap(),
            0,
            "deletions apply to their own source only"
        );
        store
            .finish_import(
                run,
                ImportStatus::Completed,
                &ImportCounts::default(),
                None,
                None,
            )
            .unwrap();
        assert_eq!(store.count_events(&EventQuery::default()).unwrap(), 1);
        let all = EventQuery {
            include_deleted: true,
            ..EventQuery::default()
        };
        assert_eq!(store.count_events(&all).unwrap(), 2);
        assert_eq!(stored(store, "MLI1").deleted_at, Some(at(200)));
        assert!(
            store
                .events(&EventQuery::default())
                .unwrap()
                .iter()
                .all(|event| event.located.event.source_event_id == "MLI2")
        );

        let stale = import_once(
            store,
            batch(vec![with_fatalities(&acled_event("MLI1", 150), 2)]),
        );
        assert_eq!((stale.unchanged, stale.updated), (1, 0));
        assert_eq!(
            stored(store, "MLI1").deleted_at,
            Some(at(200)),
            "still deleted"
        );

        let revived = import_once(store, batch(vec![acled_event("MLI1", 300)]));
        assert_eq!((revived.events, revived.updated), (1, 1));
        assert_eq!(stored(store, "MLI1").deleted_at, None);
        assert_eq!(store.count_events(&EventQuery::default()).unwrap(), 2);

        let run = store
            .start_import(EventSource::Acled, "deleted.csv", None)
            .unwrap();
        assert_eq!(
            store
                .apply_deletions(run, EventSource::Acled, &deletions)
                .unwrap(),
            0,
            "an old deletion list does not remove the record that came back after it"
        );
    }

    pub fn counts_add_up_across_the_batches_of_one_run(store: &dyn Store) {
        import_once(store, batch(vec![acled_event("MLI0", 100)]));

        let a = acled_event("MLI1", 100);
        let b = acled_event("MLI2", 100);
        let c = acled_event("MLI3", 100);
        let counts = run_counts(
            store,
            &[
                batch(vec![a.clone(), b.clone()]),
                batch(vec![b, c, with_timestamp(&acled_event("MLI0", 100), 200)]),
                batch(vec![other_actor_row(&a, "Civilians (Mali)", 7)]),
            ],
        );
        assert_eq!(
            counts[0],
            ImportCounts {
                read: 2,
                events: 2,
                inserted: 2,
                ..ImportCounts::default()
            }
        );
        assert_eq!(
            counts[1],
            ImportCounts {
                read: 3,
                events: 2,
                inserted: 1,
                updated: 1,
                ..ImportCounts::default()
            },
            "MLI2 was counted by the first batch"
        );
        assert_eq!(
            counts[2],
            ImportCounts {
                read: 1,
                ..ImportCounts::default()
            },
            "the merge of MLI1's second row is not a new event"
        );
        assert_eq!(
            stored(store, "MLI1").located.event.actor2.as_deref(),
            Some("Civilians (Mali)")
        );

        let runs = store.import_runs(10).unwrap();
        assert_eq!(runs.len(), 2);
        let latest = &runs[0];
        assert_eq!(latest.status, ImportStatus::Completed);
        assert_eq!(
            latest.counts,
            ImportCounts {
                read: 6,
                events: 4,
                inserted: 3,
                updated: 1,
                ..ImportCounts::default()
            }
        );
        assert_eq!(latest.origin, "acled-mali.csv");
        assert_eq!(latest.content_sha256.as_deref(), Some("ab12"));
        assert!(latest.finished_at >= Some(latest.started_at));
    }

    pub fn starting_an_import_marks_a_dead_run_interrupted(store: &dyn Store) {
        let dead = store
            .start_import(EventSource::Acled, "first.csv", None)
            .unwrap();
        store
            .apply_batch(dead, &batch(vec![acled_event("MLI1", 100)]))
            .unwrap();
        let next = store
            .start_import(EventSource::Ucdp, "ged.csv", None)
            .unwrap();
        assert!(next > dead);
        let runs = store.import_runs(10).unwrap();
        assert_eq!(
            runs.iter().map(|run| run.id).collect::<Vec<_>>(),
            vec![next, dead]
        );
        assert_eq!(runs[0].status, ImportStatus::Running);
        assert_eq!(runs[0].source, EventSource::Ucdp);
        assert_eq!(runs[1].status, ImportStatus::Interrupted);
        assert!(runs[1].error.is_some());

        store
            .finish_import(
                next,
                ImportStatus::Failed,
                &ImportCounts::default(),
                None,
                Some("ged.csv: line 3: bad header"),
            )
            .unwrap();
        let failed = &store.import_runs(1).unwrap()[0];
        assert_eq!(failed.status, ImportStatus::Failed);
        assert_eq!(failed.error.as_deref(), Some("ged.csv: line 3: bad header"));

        assert!(matches!(
            store.finish_import(
                9_999,
                ImportStatus::Completed,
                &ImportCounts::default(),
                None,
                None
            ),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.apply_batch(9_999, &batch(vec![acled_event("MLI2", 100)])),
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(
            store.count_events(&acled_query("MLI2")).unwrap(),
            0,
            "a refused batch leaves nothing behind"
        );
    }

    pub fn quarantined_rows_are_listed_newest_first(store: &dyn Store) {
        let file = ImportBatch {
            rows_read: 4,
            events: vec![acled_event("MLI1", 100)],
            quarantined: vec![
                refused(3, "latitude \"abc\" is not a number", "MLI2,2019-03-23,abc"),
                refused(4, "latitude 95 is out of range", "MLI3,Ségou,95"),
                refused(5, "the row has a NUL byte", "MLI4,\0,x"),
            ],
        };
        let counts = import_once(store, file);
        assert_eq!(
            counts,
            ImportCounts {
                read: 4,
                events: 1,
                inserted: 1,
                quarantined: 3,
                ..ImportCounts::default()
            }
        );
        let listed = store.quarantine(10).unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|stored| stored.record.line)
                .collect::<Vec<_>>(),
            vec![5, 4, 3]
        );
        assert_eq!(
            listed[1].record,
            refused(4, "latitude 95 is out of range", "MLI3,Ségou,95")
        );
        assert!(listed[0].record.raw.starts_with("MLI4,"));
        assert!(listed.windows(2).all(|pair| pair[0].id > pair[1].id));
        assert_eq!(store.quarantine(2).unwrap().len(), 2);
    }

    pub fn sync_state_round_trips_and_overwrites(store: &dyn Store) {
        assert_eq!(store.sync_state("acled.last_sync").unwrap(), None);
        store
            .set_sync_state("acled.last_sync", "1700000000")
            .unwrap();
        store
            .set_sync_state("acled.last_sync", "1700086400")
            .unwrap();
        store.set_sync_state("ucdp.version", "24.1").unwrap();
        assert_eq!(
            store.sync_state("acled.last_sync").unwrap().as_deref(),
            Some("1700086400")
        );
        assert_eq!(
            store.sync_state("ucdp.version").unwrap().as_deref(),
            Some("24.1")
        );
    }

    pub fn provider_retries_of_a_report_are_duplicates(store: &dyn Store) {
        let report = sms_report("SM0001", Some(sender("+22376123456")));
        let (id, _) = created(store.record_report(&report).unwrap());
        assert_eq!(
            store.record_report(&report).unwrap(),
            RecordedReport::Duplicate { id }
        );
        assert_eq!(store.reports(&ReportQuery::default()).unwrap().len(), 1);
        assert!(community_event(store, id).is_some());
        assert_eq!(
            store
                .count_events(&EventQuery {
                    source: Some(EventSource::Community),
                    ..EventQuery::default()
                })
                .unwrap(),
            1,
            "a retry creates no second event"
        );

        let same_id_other_channel = vigie_domain::NewReport {
            channel: ReportChannel::AfricasTalking,
            ..report
        };
        let (other, _) = created(store.record_report(&same_id_other_channel).unwrap());
        assert_ne!(other, id);
    }

    pub fn unknown_senders_are_unverified_and_monitors_verified(store: &dyn Store) {
        let registered = store.register_reporter(&monitor("+22376000001")).unwrap();
        assert!(registered.trusted);
        assert_eq!(registered.group.as_deref(), Some("Bankass-1"));
        let again = store
            .register_reporter(&vigie_domain::NewReporter {
                group: Some("Bankass-2".into()),
                ..monitor("+22376000001")
            })
            .unwrap();
        assert_eq!(
            again.id, registered.id,
            "registering again updates the monitor"
        );
        assert_eq!(again.group.as_deref(), Some("Bankass-2"));
        assert_eq!(again.pseudonym, registered.pseudonym);

        let (from_monitor, status) = created(
            store
                .record_report(&sms_report("SM1", Some(monitor("+22376000001"))))
                .unwrap(),
        );
        assert_eq!(status, ReportStatus::Verified);
        assert_eq!(
            store.report(from_monitor).unwrap().reporter,
            Some(registered.pseudonym.clone())
        );

        // An unknown number claiming to be trusted is not believed.
        let claiming = vigie_domain::NewReporter {
            trusted: true,
            ..sender("+22376999999")
        };
        let (from_stranger, status) = created(
            store
                .record_report(&sms_report("SM2", Some(claiming.clone())))
                .unwrap(),
        );
        assert_eq!(status, ReportStatus::Unverified);
        let stranger = store.find_reporter(&claiming.phone_hmac).unwrap().unwrap();
        assert!(!stranger.trusted);
        let expected_pseudonym: String = std::iter::once("R-".to_owned())
            .chain(
                claiming.phone_hmac[..4]
                    .iter()
                    .map(|byte| format!("{byte:02x}")),
            )
            .collect();
        assert_eq!(stranger.pseudonym, expected_pseudonym);
        assert_eq!(
            store.sealed_phone(stranger.id).unwrap(),
            claiming.phone_sealed
        );
        assert_eq!(
            store.report(from_stranger).unwrap().reporter,
            Some(stranger.pseudonym.clone())
        );
        assert!(matches!(
            store.sealed_phone(9_999),
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(store.find_reporter(&[0; 32]).unwrap(), None);

        let (anonymous, status) = created(
            store
                .record_report(&vigie_domain::NewReport {
                    channel: ReportChannel::Web,
                    ..sms_report("web-1", None)
                })
                .unwrap(),
        );
        assert_eq!(status, ReportStatus::Unverified);
        assert_eq!(store.report(anonymous).unwrap().reporter, None);

        let unverified = store
            .reports(&ReportQuery {
                status: Some(ReportStatus::Unverified),
                limit: None,
            })
            .unwrap();
        assert_eq!(
            unverified
                .iter()
                .map(|report| report.id)
                .collect::<BTreeSet<_>>(),
            BTreeSet::from([from_stranger, anonymous])
        );
    }

    pub fn an_understood_report_becomes_a_community_event_and_an_unclear_one_does_not(
        store: &dyn Store,
    ) {
        let sms = sms_report("SM1", Some(sender("+22376123456")));
        let (sms_id, status) = created(store.record_report(&sms).unwrap());
        let report = store.report(sms_id).unwrap();
        assert_eq!(report.status, status);
        assert_eq!(report.channel, ReportChannel::Twilio);
        assert_eq!(report.text, sms.text);
        assert_eq!(report.language, "fr");
        assert_eq!(report.received_at, sms.received_at);
        assert_eq!(report.incident, sms.incident);
        assert_eq!(report.location, sms.location);
        assert_eq!(
            report.coordinates, None,
            "an SMS carries no exact coordinates"
        );

        let event = community_event(store, sms_id).expect("the SMS became an event");
        let located = &event.located;
        assert_eq!(located.event.source, EventSource::Community);
        assert_eq!(located.event.source_event_id, format!("R{sms_id}"));
        assert_eq!(located.event.event_type, incident().event_type);
        assert_eq!(located.event.sub_event_type, incident().sub_event_type);
        assert_eq!(located.event.fatalities, 3);
        assert_eq!(located.event.event_date, incident().occurred_on);
        assert_eq!(
            (located.event.longitude, located.event.latitude),
            BANKASS_POINT
        );
        assert!(
            located
                .event
                .flags
                .contains(&EventFlag::CommuneRepresentativePoint)
        );
        assert_eq!(located.event.geo_precision, Some(3));
        assert_eq!(located.location, location_in("ML050301"));
        assert_eq!(event.verification, Some(ReportStatus::Unverified));
        assert_eq!(event.import_run, None);
        assert!(
            !located
                .event
                .fields
                .values()
                .any(|value| value.contains("ATTAQUE")),
            "the report's text stays with the report"
        );

        let exact = (-3.5201, 14.0812);
        let web = vigie_domain::NewReport {
            channel: ReportChannel::Web,
            coordinates: Some(exact),
            ..sms_report("web-7", None)
        };
        let (web_id, _) = created(store.record_report(&web).unwrap());
        assert_eq!(store.report(web_id).unwrap().coordinates, Some(exact));
        let web_event = community_event(store, web_id).unwrap().located.event;
        assert_eq!((web_event.longitude, web_event.latitude), exact);
        assert!(web_event.flags.is_empty());
        assert_eq!(web_event.geo_precision, Some(1));

        let (unclear_id, _) = created(
            store
                .record_report(&unclear_report("SM2", Some(sender("+22376123456"))))
                .unwrap(),
        );
        assert!(community_event(store, unclear_id).is_none());
        let unclear = store.report(unclear_id).unwrap();
        assert_eq!(unclear.incident, None);
        assert_eq!(unclear.clarification.as_deref(), Some("Quelle commune ?"));
        assert_eq!(
            store
                .count_events(&EventQuery {
                    source: Some(EventSource::Community),
                    ..EventQuery::default()
                })
                .unwrap(),
            2
        );
    }

    pub fn a_report_with_an_incident_but_no_coordinates_is_refused_whole(store: &dyn Store) {
        let without_point = vigie_domain::NewReport {
            coordinates: None,
            ..sms_report("SM1", Some(sender("+22376123456")))
        };
        assert!(matches!(
            store.record_report(&without_point),
            Err(StoreError::Conflict(_))
        ));
        let nowhere = vigie_domain::NewReport {
            coordinates: Some((f64::NAN, 14.0)),
            ..sms_report("SM1", Some(sender("+22376123456")))
        };
        assert!(matches!(
            store.record_report(&nowhere),
            Err(StoreError::Conflict(_))
        ));
        assert!(store.reports(&ReportQuery::default()).unwrap().is_empty());
        assert_eq!(
            store
                .find_reporter(&sender("+22376123456").phone_hmac)
                .unwrap(),
            None,
            "nothing of a refused report is kept"
        );
    }

    pub fn reviews_are_audited_and_a_rejected_report_withdraws_its_event(store: &dyn Store) {
        let (id, _) = created(
            store
                .record_report(&sms_report("SM1", Some(sender("+22376123456"))))
                .unwrap(),
        );
        let review = |status, reason: &str, seconds| ReportReview {
            report: id,
            status,
            analyst: "aminata".into(),
            reason: reason.into(),
            at: at(seconds),
        };
        let community = EventQuery {
            source: Some(EventSource::Community),
            ..EventQuery::default()
        };

        let verified = store
            .review_report(&review(
                ReportStatus::Verified,
                "confirmed by the mayor",
                1_572_800_000,
            ))
            .unwrap();
        assert_eq!(verified.status, ReportStatus::Verified);
        assert_eq!(store.report(id).unwrap().status, ReportStatus::Verified);
        assert_eq!(
            community_event(store, id).unwrap().verification,
            Some(ReportStatus::Verified)
        );

        let rejected = store
            .review_report(&review(ReportStatus::Rejected, "a rumour", 1_572_900_000))
            .unwrap();
        assert_eq!(rejected.status, ReportStatus::Rejected);
        let withdrawn = community_event(store, id).unwrap();
        assert_eq!(withdrawn.verification, Some(ReportStatus::Rejected));
        assert_eq!(withdrawn.deleted_at, Some(at(1_572_900_000)));
        assert_eq!(store.count_events(&community).unwrap(), 0);

        store
            .review_report(&review(
                ReportStatus::Verified,
                "a second source",
                1_573_000_000,
            ))
            .unwrap();
        let restored = community_event(store, id).unwrap();
        assert_eq!(restored.deleted_at, None);
        assert_eq!(store.count_events(&community).unwrap(), 1);

        let trail = store.report_reviews(id).unwrap();
        assert_eq!(
            trail,
            vec![
                review(
                    ReportStatus::Verified,
                    "confirmed by the mayor",
                    1_572_800_000
                ),
                review(ReportStatus::Rejected, "a rumour", 1_572_900_000),
                review(ReportStatus::Verified, "a second source", 1_573_000_000),
            ]
        );

        assert!(matches!(
            store.review_report(&ReportReview {
                report: 9_999,
                ..review(ReportStatus::Verified, "?", 1)
            }),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.report_reviews(9_999),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(store.report(9_999), Err(StoreError::NotFound(_))));
        assert!(matches!(
            store.review_report(&review(ReportStatus::Unverified, "undo", 2)),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(store.report_reviews(id).unwrap().len(), 3);

        let (unclear, _) = created(store.record_report(&unclear_report("SM2", None)).unwrap());
        store
            .review_report(&ReportReview {
                report: unclear,
                ..review(ReportStatus::Rejected, "spam", 3)
            })
            .unwrap();
        assert_eq!(
            store.report(unclear).unwrap().status,
            ReportStatus::Rejected
        );
    }

    fn query_fixture(store: &dyn Store) -> Vec<i64> {
        let mut ucdp = acled_event("44123", 100);
        ucdp.event.source = EventSource::Ucdp;
        ucdp.event.source_timestamp = None;
        let events = vec![
            moved(acled_event("MLI1", 100), day(1, 10), "ML050301"),
            moved(acled_event("MLI2", 100), day(2, 10), "ML050302"),
            moved(acled_event("MLI3", 100), day(3, 10), "ML050301"),
            moved(ucdp, day(2, 20), "ML050301"),
        ];
        import_once(store, batch(events));
        store
            .events(&EventQuery::default())
            .unwrap()
            .iter()
            .map(|event| event.id)
            .collect()
    }

    fn source_ids(store: &dyn Store, query: EventQuery) -> Vec<String> {
        let events = store.events(&query).unwrap();
        assert_eq!(store.count_events(&query).unwrap(), events.len() as u64);
        events
            .into_iter()
            .map(|event| event.located.event.source_event_id)
            .collect()
    }

    pub fn event_queries_filter_by_source_dates_commune_and_id(store: &dyn Store) {
        query_fixture(store);
        assert_eq!(
            source_ids(store, EventQuery::default()),
            ["MLI1", "MLI2", "MLI3", "44123"]
        );
        assert_eq!(
            source_ids(
                store,
                EventQuery {
                    source: Some(EventSource::Ucdp),
                    ..EventQuery::default()
                }
            ),
            ["44123"]
        );
        assert_eq!(
            source_ids(
                store,
                EventQuery {
                    from: Some(day(2, 10)),
                    to: Some(day(2, 20)),
                    ..EventQuery::default()
                }
            ),
            ["MLI2", "44123"],
            "both ends of the date range are included"
        );
        assert_eq!(
            source_ids(
                store,
                EventQuery {
                    commune: Some(zone("ML050301")),
                    source: Some(EventSource::Acled),
                    ..EventQuery::default()
                }
            ),
            ["MLI1", "MLI3"]
        );
        assert_eq!(
            source_ids(
                store,
                EventQuery {
                    source_event_id: Some("MLI2".into()),
                    ..EventQuery::default()
                }
            ),
            ["MLI2"]
        );
        assert!(
            source_ids(
                store,
                EventQuery {
                    commune: Some(zone("ML010101")),
                    ..EventQuery::default()
                }
            )
            .is_empty()
        );
    }

    pub fn keyset_paging_visits_every_event_once_in_id_order(store: &dyn Store) {
        let all = query_fixture(store);
        assert!(all.windows(2).all(|pair| pair[0] < pair[1]));
        let mut visited = Vec::new();
        let mut after_id = None;
        loop {
            let page = store
                .events(&EventQuery {
                    after_id,
                    limit: Some(3),
                    ..EventQuery::default()
                })
                .unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 3);
            after_id = page.last().map(|event| event.id);
            visited.extend(page.iter().map(|event| event.id));
        }
        assert_eq!(visited, all);
        assert_eq!(
            store
                .count_events(&EventQuery {
                    after_id: Some(all[0]),
                    ..EventQuery::default()
                })
                .unwrap(),
            3
        );
    }

    /// Day-range pages where the other conditions (deletion, commune, box, source) refuse
    /// most rows of the range, and dates do not follow ids: each page is what filtering
    /// every event gives.
    pub fn dated_pages_skip_refused_rows_and_follow_id_order(store: &dyn Store) {
        let communes = ["ML050301", "ML050302", "ML050303"];
        let events: Vec<_> = (0..900_u32)
            .map(|n| {
                // Days go round the year backwards while ids go up.
                let date = day(12, 31) - chrono::Days::new(u64::from(n * 7 % 365));
                let mut located = moved(
                    acled_event(&format!("MLI{n}"), 100),
                    date,
                    communes[n as usize % 3],
                );
                located.event.longitude = -5.0 + f64::from(n % 10) * 0.1;
                located.event.latitude = 14.0 + f64::from(n % 7) * 0.1;
                // Some community events, which the store finds through their own index.
                if n % 9 == 0 {
                    located.event.source = EventSource::Community;
                    located.event.source_event_id = format!("R{n}");
                    located.event.source_timestamp = None;
                }
                located
            })
            .collect();
        import_once(store, batch(events));
        let run = store
            .start_import(EventSource::Acled, "deleted.csv", None)
            .unwrap();
        let deletions: Vec<Deletion> = (0..900)
            .filter(|n| n % 4 == 0)
            .map(|n| Deletion {
                source_event_id: format!("MLI{n}"),
                deleted_at: 200,
            })
            .collect();
        store
            .apply_deletions(run, EventSource::Acled, &deletions)
            .unwrap();
        let everything = store
            .events(&EventQuery {
                include_deleted: true,
                ..EventQuery::default()
            })
            .unwrap();
        let (from, to) = (day(3, 1), day(9, 30));
        // A box holding longitudes -4.7 to -4.5 and latitudes 14.0 to 14.3 (edges included).
        let within = [-4.7, 14.0, -4.5, 14.3];
        let community = Some(EventSource::Community);
        for (commune, include_deleted, area, source) in [
            (None, false, None, None),
            (Some("ML050302"), false, None, None),
            (Some("ML050303"), true, None, None),
            (None, false, Some(within), None),
            (Some("ML050301"), true, Some(within), None),
            (None, false, None, community),
            (None, false, Some([-4.9, 14.0, -4.0, 14.6]), community),
            (Some("ML050302"), false, None, Some(EventSource::Acled)),
        ] {
            let expected: Vec<i64> = everything
                .iter()
                .filter(|stored| {
                    let date = stored.located.event.event_date;
                    date >= from
                        && date <= to
                        && (include_deleted || stored.deleted_at.is_none())
                        && commune.is_none_or(|commune| {
                            stored.located.location.commune == Some(zone(commune))
                        })
                        && source.is_none_or(|source| stored.located.event.source == source)
                        && area.is_none_or(|[west, south, east, north]| {
                            let event = &stored.located.event;
                            (west..=east).contains(&event.longitude)
                                && (south..=north).contains(&event.latitude)
                        })
                })
                .map(|stored| stored.id)
                .collect();
            assert!(expected.len() > 10, "{commune:?}: {}", expected.len());
            let query = EventQuery {
                from: Some(from),
                to: Some(to),
                commune: commune.map(zone),
                include_deleted,
                within: area,
                source,
                ..EventQuery::default()
            };
            let all: Vec<i64> = store.events(&query).unwrap().iter().map(|e| e.id).collect();
            assert_eq!(all, expected, "{commune:?} without a limit");
            assert_eq!(store.count_events(&query).unwrap(), expected.len() as u64);
            // 100 per page: a page of a commune takes more than one round of ids.
            for size in [17, 100] {
                let mut visited = Vec::new();
                let mut after_id = None;
                loop {
                    let page: Vec<i64> = store
                        .events(&EventQuery {
                            after_id,
                            limit: Some(size),
                            ..query.clone()
                        })
                        .unwrap()
                        .iter()
                        .map(|event| event.id)
                        .collect();
                    if page.is_empty() {
                        break;
                    }
                    let full = page.len() as u64 == size;
                    assert!(
                        full || visited.len() + page.len() == expected.len(),
                        "only the last page is short"
                    );
                    after_id = page.last().copied();
                    visited.extend(page);
                }
                assert_eq!(visited, expected, "{commune:?}, {size} per page");
            }
        }
    }

    pub fn threads_share_one_store(store: &dyn Store) {
        std::thread::scope(|scope| {
            for thread in 0..4 {
                scope.spawn(move || {
                    for message in 0..5 {
                        let report = sms_report(
                            &format!("SM-{thread}-{message}"),
                            Some(sender(&format!("+2237600{thread}{message}"))),
                        );
                        created(store.record_report(&report).unwrap());
                        store.reports(&ReportQuery::default()).unwrap();
                    }
                });
            }
        });
        let reports = store.reports(&ReportQuery::default()).unwrap();
        assert_eq!(reports.len(), 20);
        assert_eq!(
            reports
                .iter()
                .map(|report| report.id)
                .collect::<BTreeSet<_>>()
                .len(),
            20
        );
    }

    pub fn opening_twice_applies_the_migrations_once(mut database: TestDatabase) {
        import_once(database.store(), batch(vec![acled_event("MLI1", 100)]));
        let versions = database.migration_versions();
        assert!(!versions.is_empty());
        let reopened = database.reopen();
        assert_eq!(reopened.count_events(&EventQuery::default()).unwrap(), 1);
        database.reopen();
        assert_eq!(database.migration_versions(), versions);
    }

    pub fn phone_numbers_never_reach_the_database(mut database: TestDatabase) {
        let monitor_number = "+22376123456";
        let stranger_number = "+22365987654";
        let store = database.store();
        store.register_reporter(&monitor(monitor_number)).unwrap();
        store
            .record_report(&sms_report("SM1", Some(monitor(monitor_number))))
            .unwrap();
        store
            .record_report(&sms_report("SM2", Some(sender(stranger_number))))
            .unwrap();
        store
            .record_report(&unclear_report("SM3", Some(sender(stranger_number))))
            .unwrap();
        database.close();

        let contents = database.raw_contents();
        assert!(!contents.is_empty());
        for number in [monitor_number, stranger_number] {
            let national = &number[4..];
            for spelling in [
                number.to_owned(),
                national.to_owned(),
                format!("00{}", &number[1..]),
            ] {
                let hex: String = spelling.bytes().map(|byte| format!("{byte:02x}")).collect();
                for needle in [spelling.as_bytes(), hex.as_bytes()] {
                    assert!(
                        !contents
                            .windows(needle.len())
                            .any(|window| window == needle),
                        "a spelling of a phone number is stored in clear"
                    );
                }
            }
        }
        // The check can fail: the stored HMAC is there, in the same raw contents.
        let (phone_hmac, _) = protected_phone(monitor_number);
        let hmac_hex: String = phone_hmac
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert!(
            contents
                .windows(phone_hmac.len())
                .any(|window| window == phone_hmac)
                || contents
                    .windows(hmac_hex.len())
                    .any(|window| window == hmac_hex.as_bytes()),
            "the scan sees the stored bytes"
        );
    }
}

// --- SQLite only --------------------------------------------------------------------------------

/// Set in the child process of the durability test: the database it writes to.
const DURABILITY_CHILD_VARIABLE: &str = "VIGIE_STORE_DURABILITY_CHILD_DB";

/// A committed batch survives the death of the process that wrote it: the child writes a
/// batch and exits at once, without closing the store (no checkpoint, no destructor), and a
/// new process finds every event.
#[test]
fn sqlite_a_committed_batch_survives_the_death_of_its_process() {
    if let Ok(path) = std::env::var(DURABILITY_CHILD_VARIABLE) {
        let store = vigie_store::open(&path).unwrap();
        let events = (0..500)
            .map(|number| acled_event(&format!("MLI{number}"), 100))
            .collect();
        let run = store
            .start_import(EventSource::Acled, "acled.csv", None)
            .unwrap();
        store.apply_batch(run, &batch(events)).unwrap();
        std::process::exit(0);
    }
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("vigie.db");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sqlite_a_committed_batch_survives_the_death_of_its_process",
            "--test-threads=1",
            "--quiet",
        ])
        .env(DURABILITY_CHILD_VARIABLE, &path)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        directory.path().join("vigie.db-wal").exists(),
        "the child died before any checkpoint: the batch is only in the write-ahead log"
    );
    let store = vigie_store::open(path.to_str().unwrap()).unwrap();
    assert_eq!(store.count_events(&EventQuery::default()).unwrap(), 500);
    assert_eq!(
        store.import_runs(1).unwrap()[0].status,
        ImportStatus::Running
    );
}

/// The same, through an orderly close: what one `open` committed, the next reads.
#[test]
fn sqlite_a_committed_batch_survives_closing_and_reopening() {
    let mut database = TestDatabase::sqlite();
    import_once(database.store(), batch(vec![acled_event("MLI1", 100)]));
    database.close();
    let store = database.reopen();
    assert_eq!(stored(store, "MLI1").located, acled_event("MLI1", 100));
}

/// `open` picks the backend from the setting.
#[test]
fn open_reads_postgres_urls_and_file_paths() {
    let directory = tempfile::tempdir().unwrap();
    let missing_parent = directory.path().join("nope").join("vigie.db");
    let error = match vigie_store::open(missing_parent.to_str().unwrap()) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("a database in a missing directory opened"),
    };
    assert!(error.contains("does not exist"), "{error}");
    let error = match vigie_store::open("postgres://vigie:secret@127.0.0.1:1/vigie") {
        Err(error) => error.to_string(),
        Ok(_) => panic!("a database on a closed port opened"),
    };
    assert!(error.contains("PostgreSQL"), "{error}");
    assert!(
        !error.contains("secret"),
        "the password never appears: {error}"
    );
    let _: Arc<dyn Store> =
        vigie_store::open(directory.path().join("a.db").to_str().unwrap()).unwrap();
}
