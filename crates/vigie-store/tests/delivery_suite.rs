//! The delivery half of the store suite: warning transitions, the notification outbox and
//! silences, every scenario run on SQLite and on PostgreSQL (`VIGIE_TEST_POSTGRES_URL`, as
//! for `tests/suite.rs`: without it the PostgreSQL half fails rather than skips).

#[macro_use]
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde_json::json;
use vigie_domain::store::{DeliveryStore, Store, StoreError};
use vigie_domain::{
    Channel, InitialStatus, NewNotification, NewSilence, Notification, NotificationQuery,
    NotificationStatus, ReceiptStatus, SilenceMatcher, SuppressionReason, TransitionKind,
    WarningLevel, WarningQuery, WarningRecord, ZoneLevel,
};

use support::*;

on_both_backends! {
    stores: [
        recording_the_same_warnings_twice_stores_nothing_new,
        warnings_read_back_exactly_as_recorded,
        a_refused_notification_leaves_neither_its_warnings_nor_the_other_notifications,
        open_episodes_drop_closed_ones_and_follow_the_latest_level,
        the_engine_position_round_trips,
        claims_take_due_rows_in_order_and_respect_not_before,
        two_owners_never_claim_the_same_row,
        an_expired_lease_is_reclaimed_and_the_stale_owner_is_refused,
        failures_are_retried_when_due_and_exhausted_rows_become_dead_letters,
        released_rows_are_due_again_without_counting_an_attempt,
        a_new_leader_takes_over_the_leases_of_other_dispatchers_at_once,
        receipts_settle_sent_rows_and_unknown_message_ids_change_nothing,
        suppressed_notifications_are_kept_but_never_claimed,
        notification_queries_filter_by_status_and_page_by_id,
        outbox_stats_count_by_status_and_age_the_oldest_due_row,
        silences_are_audited_and_never_deleted,
        threads_claiming_from_one_store_never_share_a_row,
    ],
    databases: [
        independent_stores_on_one_database_never_claim_the_same_row,
        independent_stores_recording_the_same_transitions_at_once_store_them_once,
        everything_survives_closing_and_reopening,
    ],
}

const LEASE: Duration = Duration::from_secs(60);

/// A fixed "now" for the scenarios: 2023-11-14 22:13:20 UTC.
fn t0() -> DateTime<Utc> {
    at(1_700_000_000)
}

fn seconds(count: i64) -> TimeDelta {
    TimeDelta::seconds(count)
}

fn transition(
    episode: &str,
    kind: TransitionKind,
    level: Option<WarningLevel>,
    previous_level: Option<WarningLevel>,
    on: NaiveDate,
) -> WarningRecord {
    WarningRecord {
        episode: episode.to_owned(),
        rule: "surge-7d".to_owned(),
        zone: zone("ML050301"),
        zone_level: ZoneLevel::Commune,
        zone_name: "Bankass".to_owned(),
        kind,
        level,
        previous_level,
        at: on,
        evidence: json!({"window": {"from": "2019-03-17", "to": "2019-03-23"}, "count": 7}),
        late: false,
        inhibited_by: None,
    }
}

fn opened(episode: &str, on: NaiveDate) -> WarningRecord {
    transition(
        episode,
        TransitionKind::Opened,
        Some(WarningLevel::Alerte),
        None,
        on,
    )
}

fn notification(key: &str, recipient: &str, not_before: DateTime<Utc>) -> NewNotification {
    NewNotification {
        idempotency_key: key.to_owned(),
        committee: "cr-mopti".to_owned(),
        recipient: recipient.to_owned(),
        channel: Channel::Sms,
        zone: zone("ML050301"),
        level: WarningLevel::Alerte,
        payload: json!({"episode": "surge-7d/ML050301/2019-03-23", "zone_name": "Bankass"}),
        not_before,
        status: InitialStatus::Pending,
    }
}

/// `count` pending notifications due at `t0`, recorded with one warning; their ids.
fn pending(store: &dyn DeliveryStore, count: usize) -> Vec<i64> {
    let notifications: Vec<NewNotification> = (0..count)
        .map(|index| {
            notification(
                &format!("surge-7d/ML050301/2019-03-23|opened|cr-mopti/m{index}|sms"),
                &format!("cr-mopti/m{index}"),
                t0(),
            )
        })
        .collect();
    let outcome = store
        .record_warnings(
            &[opened("surge-7d/ML050301/2019-03-23", day(3, 23))],
            &notifications,
        )
        .unwrap();
    assert_eq!(outcome.notifications, count as u64);
    ids(&all_notifications(store))
}

fn all_notifications(store: &dyn DeliveryStore) -> Vec<Notification> {
    store.notifications(&NotificationQuery::default()).unwrap()
}

fn one(store: &dyn DeliveryStore, id: i64) -> Notification {
    all_notifications(store)
        .into_iter()
        .find(|notification| notification.id == id)
        .unwrap_or_else(|| panic!("notification {id} is stored"))
}

fn ids(notifications: &[Notification]) -> Vec<i64> {
    notifications
        .iter()
        .map(|notification| notification.id)
        .collect()
}

fn claim(store: &dyn DeliveryStore, owner: &str, now: DateTime<Utc>, limit: u32) -> Vec<i64> {
    ids(&store.claim_notifications(owner, now, LEASE, limit).unwrap())
}

/// Claims until nothing is due, in batches of 3; every id claimed, in order.
fn drain(store: &dyn DeliveryStore, owner: &str, now: DateTime<Utc>) -> Vec<i64> {
    let mut claimed = Vec::new();
    loop {
        let batch = claim(store, owner, now, 3);
        if batch.is_empty() {
            return claimed;
        }
        claimed.extend(batch);
    }
}

fn assert_no_row_claimed_twice(claimed: &[Vec<i64>], expected: &[i64]) {
    let every: Vec<i64> = claimed.iter().flatten().copied().collect();
    let distinct: BTreeSet<i64> = every.iter().copied().collect();
    assert_eq!(every.len(), distinct.len(), "a row was claimed twice");
    assert_eq!(distinct, expected.iter().copied().collect::<BTreeSet<_>>());
}

mod scenarios {
    use super::*;

    pub fn recording_the_same_warnings_twice_stores_nothing_new(store: &dyn Store) {
        let store: &dyn DeliveryStore = store;
        let episode = "surge-7d/ML050301/2019-03-23";
        let warnings = vec![
            opened(episode, day(3, 23)),
            transition(
                episode,
                TransitionKind::Escalated,
                Some(WarningLevel::Urgence),
                Some(WarningLevel::Alerte),
                day(3, 24),
            ),
            // Closed transitions have no level: they must still be recognised when repeated.
            transition(
                episode,
                TransitionKind::Closed,
                None,
                Some(WarningLevel::Urgence),
                day(4, 20),
            ),
        ];
        let notifications = vec![
            notification("k1", "cr-mopti/m1", t0()),
            notification("k2", "cr-mopti/m2", t0()),
            // The same key twice in one call is stored once.
            notification("k2", "cr-mopti/m2", t0()),
        ];
        let first = store.record_warnings(&warnings, &notifications).unwrap();
        assert_eq!((first.warnings, first.notifications), (3, 2));
        let second = store.record_warnings(&warnings, &notifications).unwrap();
        assert_eq!((second.warnings, second.notifications), (0, 0));
        assert_eq!(store.warnings(&WarningQuery::default()).unwrap().len(), 3);
        assert_eq!(all_notifications(store).len(), 2);

        // Another day or another level is another transition.
        let mut late = transition(
            episode,
            TransitionKind::LateEvidence,
            Some(WarningLevel::Urgence),
            Some(WarningLevel::Urgence),
            day(3, 25),
        );
        assert_eq!(
            store
                .record_warnings(&[late.clone()], &[])
                .unwrap()
                .warnings,
            1
        );
        late.level = Some(WarningLevel::Alerte);
        assert_eq!(store.record_warnings(&[late], &[]).unwrap().warnings, 1);
    }

    pub fn warnings_read_back_exactly_as_recorded(store: &dyn Store) {
        let mut record = transition(
            "surge-7d/ML050301/2019-03-23",
            TransitionKind::DeEscalated,
            Some(WarningLevel::Vigilance),
            Some(WarningLevel::Alerte),
            day(3, 30),
        );
        record.late = true;
        record.inhibited_by = Some("surge-7d/ML0503/2019-03-22".into());
        record.zone_name = "Bankass « centre »".into();
        store
            .record_warnings(std::slice::from_ref(&record), &[])
            .unwrap();
        let stored = store.warnings(&WarningQuery::default()).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].record, record);

        let new = notification("k1", "cr-mopti/m1", t0() + seconds(30));
        store
            .record_warnings(&[], std::slice::from_ref(&new))
            .unwrap();
        let row = all_notifications(store).pop().unwrap();
        assert_eq!(row.idempotency_key, new.idempotency_key);
        assert_eq!(row.committee, new.committee);
        assert_eq!(row.recipient, new.recipient);
        assert_eq!(row.channel, new.channel);
        assert_eq!(row.zone, new.zone);
        assert_eq!(row.level, new.level);
        assert_eq!(row.payload, new.payload);
        assert_eq!(row.not_before, new.not_before);
        assert_eq!(row.next_attempt_at, new.not_before);
        assert_eq!(row.status, NotificationStatus::Pending);
        assert_eq!(row.attempts, 0);
        assert_eq!(row.lease_owner, None);
        assert_eq!(row.sent_at, None);
    }

    pub fn a_refused_notification_leaves_neither_its_warnings_nor_the_other_notifications(
        store: &dyn Store,
    ) {
        let warnings = [opened("surge-7d/ML050301/2019-03-23", day(3, 23))];
        for address in ["someone@example.org", "+22376123456", ""] {
            let notifications = [
                notification("k1", "cr-mopti/m1", t0()),
                // An address where a member key belongs: the database refuses it after the
                // warning and the first notification were written.
                notification("k2", address, t0()),
            ];
            let error = store
                .record_warnings(&warnings, &notifications)
                .unwrap_err();
            assert!(matches!(error, StoreError::Backend(_)), "{error}");
            assert!(!error.to_string().contains(address) || address.is_empty());
            assert!(store.warnings(&WarningQuery::default()).unwrap().is_empty());
            assert!(all_notifications(store).is_empty());
        }
        let outcome = store
            .record_warnings(&warnings, &[notification("k1", "cr-mopti/m1", t0())])
            .unwrap();
        assert_eq!((outcome.warnings, outcome.notifications), (1, 1));
    }

    pub fn open_episodes_drop_closed_ones_and_follow_the_latest_level(store: &dyn Store) {
        let bankass = "surge-7d/ML050301/2019-03-23";
        let closed = "surge-7d/ML050302/2019-02-01";
        let mut other_zone = opened("threshold/ML050401/2019-03-25", day(3, 25));
        other_zone.zone = zone("ML050401");
        other_zone.level = Some(WarningLevel::Vigilance);
        store
            .record_warnings(
                &[
                    opened(bankass, day(3, 23)),
                    opened(closed, day(2, 1)),
                    other_zone,
                    transition(
                        bankass,
                        TransitionKind::Escalated,
                        Some(WarningLevel::Urgence),
                        Some(WarningLevel::Alerte),
                        day(3, 24),
                    ),
                    transition(
                        closed,
                        TransitionKind::Closed,
                        None,
                        Some(WarningLevel::Alerte),
                        day(3, 1),
                    ),
                    // Late evidence recorded after the de-escalation but about an earlier
                    // day does not bring the old level back.
                    transition(
                        bankass,
                        TransitionKind::DeEscalated,
                        Some(WarningLevel::Alerte),
                        Some(WarningLevel::Urgence),
                        day(4, 5),
                    ),
                    transition(
                        bankass,
                        TransitionKind::LateEvidence,
                        Some(WarningLevel::Urgence),
                        Some(WarningLevel::Urgence),
                        day(3, 26),
                    ),
                ],
                &[],
            )
            .unwrap();
        let open = store.open_episodes().unwrap();
        let summary: Vec<(&str, WarningLevel, NaiveDate)> = open
            .iter()
            .map(|episode| (episode.episode.as_str(), episode.level, episode.since))
            .collect();
        assert_eq!(
            summary,
            vec![
                (bankass, WarningLevel::Alerte, day(3, 23)),
                (
                    "threshold/ML050401/2019-03-25",
                    WarningLevel::Vigilance,
                    day(3, 25)
                ),
            ]
        );
        let all = store.warnings(&WarningQuery::default()).unwrap();
        assert_eq!(open[0].last_transition_id, all.last().unwrap().id);

        let open_transitions = store
            .warnings(&WarningQuery {
                open_only: true,
                ..WarningQuery::default()
            })
            .unwrap();
        assert_eq!(open_transitions.len(), 5);
        assert!(
            open_transitions
                .iter()
                .all(|stored| stored.record.episode != closed)
        );
        let by_episode = store
            .warnings(&WarningQuery {
                episode: Some(closed.into()),
                ..WarningQuery::default()
            })
            .unwrap();
        assert_eq!(by_episode.len(), 2);
        let by_zone = store
            .warnings(&WarningQuery {
                zone: Some(zone("ML050401")),
                ..WarningQuery::default()
            })
            .unwrap();
        assert_eq!(by_zone.len(), 1);
        let page = store
            .warnings(&WarningQuery {
                after_id: Some(all[1].id),
                limit: Some(2),
                ..WarningQuery::default()
            })
            .unwrap();
        assert_eq!(
            page.iter().map(|stored| stored.id).collect::<Vec<_>>(),
            vec![all[2].id, all[3].id]
        );
    }

    pub fn the_engine_position_round_trips(store: &dyn Store) {
        assert_eq!(store.engine_position().unwrap(), None);
        store.set_engine_position(day(3, 23)).unwrap();
        store.set_engine_position(day(3, 24)).unwrap();
        assert_eq!(store.engine_position().unwrap(), Some(day(3, 24)));
    }

    pub fn claims_take_due_rows_in_order_and_respect_not_before(store: &dyn Store) {
        store
            .record_warnings(
                &[],
                &[
                    notification("later", "cr-mopti/m1", t0() + seconds(300)),
                    notification("second", "cr-mopti/m2", t0() - seconds(10)),
                    notification("first", "cr-mopti/m3", t0() - seconds(20)),
                    notification("third", "cr-mopti/m4", t0() - seconds(10)),
                ],
            )
            .unwrap();
        let claimed = store
            .claim_notifications("dispatcher-a", t0(), LEASE, 10)
            .unwrap();
        let keys: Vec<&str> = claimed
            .iter()
            .map(|notification| notification.idempotency_key.as_str())
            .collect();
        assert_eq!(keys, vec!["first", "second", "third"]);
        for notification in &claimed {
            assert_eq!(notification.status, NotificationStatus::Sending);
            assert_eq!(notification.lease_owner.as_deref(), Some("dispatcher-a"));
            assert_eq!(notification.lease_until, Some(t0() + seconds(60)));
            assert_eq!(notification.attempts, 1);
        }
        let sent = store
            .mark_sent(&ids(&claimed), "dispatcher-a", "smtp", None, None, t0())
            .unwrap();
        assert_eq!(sent.len(), 3);
        assert!(claim(store, "dispatcher-a", t0() + seconds(299), 10).is_empty());
        let later = store
            .claim_notifications("dispatcher-a", t0() + seconds(300), LEASE, 10)
            .unwrap();
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].idempotency_key, "later");
    }

    pub fn two_owners_never_claim_the_same_row(store: &dyn Store) {
        let all = pending(store, 5);
        let first = claim(store, "dispatcher-a", t0(), 3);
        let second = claim(store, "dispatcher-b", t0(), 3);
        assert_eq!(first.len(), 3);
        assert_eq!(second.len(), 2);
        assert!(claim(store, "dispatcher-c", t0() + seconds(59), 3).is_empty());
        assert_no_row_claimed_twice(&[first.clone(), second.clone()], &all);
        // Neither owner can settle the other's rows.
        assert!(
            store
                .mark_sent(&second, "dispatcher-a", "twilio", Some("SM1"), None, t0())
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .mark_failed(&first, "dispatcher-b", "timeout", None, t0())
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .release(&first, "dispatcher-b", t0(), t0())
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .mark_sent(
                    &first,
                    "dispatcher-a",
                    "twilio",
                    Some("SM1"),
                    Some("g1"),
                    t0()
                )
                .unwrap(),
            first
        );
    }

    pub fn an_expired_lease_is_reclaimed_and_the_stale_owner_is_refused(store: &dyn Store) {
        let all = pending(store, 2);
        assert_eq!(claim(store, "crashed", t0(), 10), all);
        // The lease runs until t0 + 60 s: nobody else gets the rows before.
        assert!(claim(store, "successor", t0() + seconds(59), 10).is_empty());
        let reclaimed = store
            .claim_notifications("successor", t0() + seconds(61), LEASE, 10)
            .unwrap();
        assert_eq!(ids(&reclaimed), all);
        assert!(reclaimed.iter().all(|row| row.attempts == 2
            && row.lease_owner.as_deref() == Some("successor")
            && row.lease_until == Some(t0() + seconds(121))));

        // The first dispatcher was only slow: its late report is refused.
        let refused = store
            .mark_sent(
                &all,
                "crashed",
                "twilio",
                Some("SM-old"),
                None,
                t0() + seconds(62),
            )
            .unwrap();
        assert!(refused.is_empty());
        let sent = store
            .mark_sent(
                &all,
                "successor",
                "twilio",
                Some("SM-new"),
                Some("group-1"),
                t0() + seconds(63),
            )
            .unwrap();
        assert_eq!(sent, all);
        for id in all {
            let row = one(store, id);
            assert_eq!(row.status, NotificationStatus::Sent);
            assert_eq!(row.provider.as_deref(), Some("twilio"));
            assert_eq!(row.provider_message_id.as_deref(), Some("SM-new"));
            assert_eq!(row.group_id.as_deref(), Some("group-1"));
            assert_eq!(row.sent_at, Some(t0() + seconds(63)));
            assert_eq!(row.lease_until, None);
        }
        // Sent rows are never claimed again, whatever the time.
        assert!(claim(store, "successor", t0() + seconds(100_000), 10).is_empty());
    }

    pub fn failures_are_retried_when_due_and_exhausted_rows_become_dead_letters(store: &dyn Store) {
        let all = pending(store, 1);
        let id = all[0];
        assert_eq!(claim(store, "a", t0(), 10), all);
        let retry_at = t0() + seconds(30);
        assert_eq!(
            store
                .mark_failed(
                    &all,
                    "a",
                    "gateway answered 503",
                    Some(retry_at),
                    t0() + seconds(1)
                )
                .unwrap(),
            all
        );
        let failed = one(store, id);
        assert_eq!(failed.status, NotificationStatus::Failed);
        assert_eq!(failed.next_attempt_at, retry_at);
        assert_eq!(failed.last_error.as_deref(), Some("gateway answered 503"));
        assert!(claim(store, "a", retry_at - seconds(1), 10).is_empty());
        assert_eq!(claim(store, "b", retry_at, 10), all);
        assert_eq!(one(store, id).attempts, 2);

        // Out of attempts: a dead letter, listed, never claimed again.
        assert_eq!(
            store
                .mark_failed(&all, "b", "gateway answered 400", None, retry_at)
                .unwrap(),
            all
        );
        let dead = store
            .notifications(&NotificationQuery {
                status: Some(NotificationStatus::Dead),
                ..NotificationQuery::default()
            })
            .unwrap();
        assert_eq!(ids(&dead), all);
        assert_eq!(dead[0].last_error.as_deref(), Some("gateway answered 400"));
        assert!(claim(store, "b", retry_at + seconds(100_000), 10).is_empty());
        // A dead letter cannot be marked sent by its last owner either.
        assert!(
            store
                .mark_sent(&all, "b", "twilio", Some("SM1"), None, retry_at)
                .unwrap()
                .is_empty()
        );
    }

    pub fn released_rows_are_due_again_without_counting_an_attempt(store: &dyn Store) {
        let all = pending(store, 2);
        assert_eq!(claim(store, "a", t0(), 10), all);
        let released_at = t0() + seconds(5);
        assert_eq!(
            store
                .release(&all[..1], "a", released_at, released_at)
                .unwrap(),
            vec![all[0]]
        );
        let released = one(store, all[0]);
        assert_eq!(released.status, NotificationStatus::Pending);
        assert_eq!(released.attempts, 0);
        assert_eq!(released.next_attempt_at, released_at);
        assert_eq!(claim(store, "b", released_at, 10), vec![all[0]]);

        // A row that failed before goes back as failed, its error kept.
        assert_eq!(
            store
                .mark_failed(&[all[1]], "a", "timeout", Some(t0() + seconds(10)), t0())
                .unwrap(),
            vec![all[1]]
        );
        assert_eq!(claim(store, "c", t0() + seconds(10), 10), vec![all[1]]);
        // Released to wait (a group interval): due only then, the attempt given back.
        let wait_until = t0() + seconds(300);
        store
            .release(&[all[1]], "c", wait_until, t0() + seconds(11))
            .unwrap();
        let again = one(store, all[1]);
        assert_eq!(again.status, NotificationStatus::Failed);
        assert_eq!(again.attempts, 1);
        assert_eq!(again.last_error.as_deref(), Some("timeout"));
        assert_eq!(again.next_attempt_at, wait_until);
        assert!(!claim(store, "d", wait_until - seconds(1), 10).contains(&all[1]));
        assert!(claim(store, "e", wait_until, 10).contains(&all[1]));
    }

    pub fn a_new_leader_takes_over_the_leases_of_other_dispatchers_at_once(store: &dyn Store) {
        let all = pending(store, 3);
        assert_eq!(claim(store, "dead leader", t0(), 2), all[..2].to_vec());
        assert_eq!(claim(store, "new leader", t0(), 10), vec![all[2]]);
        let later = t0() + seconds(1);
        // The dead leader's leases still hold: nobody may claim its rows yet.
        assert!(claim(store, "new leader", later, 10).is_empty());

        assert_eq!(store.expire_foreign_leases("new leader", later).unwrap(), 2);
        // Its rows are due at once; the taker's own lease is left alone.
        assert_eq!(claim(store, "new leader", later, 10), all[..2].to_vec());
        let taken = one(store, all[0]);
        assert_eq!(taken.attempts, 2, "the dead leader's attempt still counts");
        assert_eq!(taken.lease_owner.as_deref(), Some("new leader"));
        // The dead leader, were it to wake, can no longer mark them sent.
        assert!(
            store
                .mark_sent(&all[..2], "dead leader", "twilio", Some("SM9"), None, later)
                .unwrap()
                .is_empty()
        );
        // Nothing foreign is left, and settled rows are never touched.
        assert_eq!(store.expire_foreign_leases("new leader", later).unwrap(), 0);
        store
            .mark_sent(&all, "new leader", "twilio", Some("SM1"), None, later)
            .unwrap();
        assert_eq!(
            store.expire_foreign_leases("someone else", later).unwrap(),
            0
        );
        assert_eq!(one(store, all[1]).status, NotificationStatus::Sent);
    }

    pub fn receipts_settle_sent_rows_and_unknown_message_ids_change_nothing(store: &dyn Store) {
        let all = pending(store, 3);
        claim(store, "a", t0(), 10);
        // One message covered the first two rows; the third went alone.
        store
            .mark_sent(
                &all[..2],
                "a",
                "africastalking",
                Some("ATX-1"),
                Some("g1"),
                t0(),
            )
            .unwrap();
        store
            .mark_sent(
                &all[2..],
                "a",
                "africastalking",
                Some("ATX-2"),
                Some("g2"),
                t0(),
            )
            .unwrap();

        let later = t0() + seconds(20);
        assert_eq!(
            store
                .apply_delivery_receipt(
                    "africastalking",
                    "unknown",
                    ReceiptStatus::Delivered,
                    None,
                    later
                )
                .unwrap(),
            0
        );
        // The same message id from another provider is another message.
        assert_eq!(
            store
                .apply_delivery_receipt("twilio", "ATX-1", ReceiptStatus::Delivered, None, later)
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .apply_delivery_receipt(
                    "africastalking",
                    "ATX-1",
                    ReceiptStatus::Delivered,
                    None,
                    later
                )
                .unwrap(),
            2
        );
        // A repeated receipt changes nothing more.
        assert_eq!(
            store
                .apply_delivery_receipt(
                    "africastalking",
                    "ATX-1",
                    ReceiptStatus::Failed,
                    Some("late"),
                    later
                )
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .apply_delivery_receipt(
                    "africastalking",
                    "ATX-2",
                    ReceiptStatus::Failed,
                    Some("AbsentSubscriber"),
                    later
                )
                .unwrap(),
            1
        );
        for id in &all[..2] {
            let row = one(store, *id);
            assert_eq!(row.status, NotificationStatus::Delivered);
            assert_eq!(row.delivered_at, Some(later));
        }
        let undeliverable = one(store, all[2]);
        assert_eq!(undeliverable.status, NotificationStatus::Dead);
        assert_eq!(
            undeliverable.last_error.as_deref(),
            Some("AbsentSubscriber")
        );
        assert_eq!(undeliverable.delivered_at, None);
    }

    pub fn suppressed_notifications_are_kept_but_never_claimed(store: &dyn Store) {
        let mut inhibited = notification("k1", "cr-mopti/m1", t0());
        inhibited.status = InitialStatus::Suppressed {
            reason: SuppressionReason::Inhibited,
        };
        let mut below = notification("k2", "cr-mopti/m2", t0());
        below.status = InitialStatus::Suppressed {
            reason: SuppressionReason::BelowCommitteeLevel,
        };
        store
            .record_warnings(
                &[],
                &[inhibited, below, notification("k3", "cr-mopti/m3", t0())],
            )
            .unwrap();
        let claimed = store
            .claim_notifications("a", t0() + seconds(1_000), LEASE, 10)
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].idempotency_key, "k3");
        let suppressed = store
            .notifications(&NotificationQuery {
                status: Some(NotificationStatus::Suppressed),
                ..NotificationQuery::default()
            })
            .unwrap();
        let reasons: Vec<_> = suppressed.iter().map(|row| row.suppression).collect();
        assert_eq!(
            reasons,
            vec![
                Some(SuppressionReason::Inhibited),
                Some(SuppressionReason::BelowCommitteeLevel)
            ]
        );
    }

    pub fn notification_queries_filter_by_status_and_page_by_id(store: &dyn Store) {
        let all = pending(store, 7);
        claim(store, "a", t0(), 2);
        let mut visited = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .notifications(&NotificationQuery {
                    after_id: after,
                    limit: Some(3),
                    ..NotificationQuery::default()
                })
                .unwrap();
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            visited.extend(ids(&page));
        }
        assert_eq!(visited, all);
        let sending = store
            .notifications(&NotificationQuery {
                status: Some(NotificationStatus::Sending),
                ..NotificationQuery::default()
            })
            .unwrap();
        assert_eq!(ids(&sending), all[..2].to_vec());
    }

    pub fn outbox_stats_count_by_status_and_age_the_oldest_due_row(store: &dyn Store) {
        let empty = store.outbox_stats(t0()).unwrap();
        assert!(empty.by_status.is_empty());
        assert_eq!(empty.oldest_due_age_seconds, None);

        let all = pending(store, 4);
        claim(store, "a", t0(), 1);
        store
            .mark_sent(&all[..1], "a", "smtp", Some("m1"), None, t0())
            .unwrap();
        store
            .record_warnings(
                &[],
                &[notification("future", "cr-mopti/m9", t0() + seconds(600))],
            )
            .unwrap();
        let stats = store.outbox_stats(t0() + seconds(90)).unwrap();
        assert_eq!(stats.by_status.get(&NotificationStatus::Pending), Some(&4));
        assert_eq!(stats.by_status.get(&NotificationStatus::Sent), Some(&1));
        assert_eq!(stats.by_status.get(&NotificationStatus::Dead), None);
        assert_eq!(stats.oldest_due_age_seconds, Some(90.0));
        let json = serde_json::to_value(&stats).unwrap();
        assert_eq!(json["by_status"]["pending"], 4);
    }

    pub fn silences_are_audited_and_never_deleted(store: &dyn Store) {
        let bankass = zone("ML050301");
        let by_zone = store
            .add_silence(
                &NewSilence {
                    matcher: SilenceMatcher::Zone {
                        zone: bankass.clone(),
                    },
                    author: "analyste-1".into(),
                    reason: "exercice de simulation à Bankass".into(),
                    expires_at: t0() + seconds(3_600),
                },
                t0(),
            )
            .unwrap();
        assert_eq!(by_zone.created_at, t0());
        assert!(by_zone.matcher.matches("surge-7d", &bankass));
        let by_rule = store
            .add_silence(
                &NewSilence {
                    matcher: SilenceMatcher::RuleInZone {
                        rule: "surge-7d".into(),
                        zone: zone("ML050401"),
                    },
                    author: "analyste-2".into(),
                    reason: "règle en réglage".into(),
                    expires_at: t0() + seconds(60),
                },
                t0(),
            )
            .unwrap();
        let expired_already = NewSilence {
            matcher: SilenceMatcher::Rule {
                rule: "surge-7d".into(),
            },
            author: "analyste-2".into(),
            reason: "trop tard".into(),
            expires_at: t0(),
        };
        assert!(matches!(
            store.add_silence(&expired_already, t0()),
            Err(StoreError::Conflict(_))
        ));

        let active: Vec<i64> = store
            .active_silences(t0() + seconds(30))
            .unwrap()
            .iter()
            .map(|silence| silence.id)
            .collect();
        assert_eq!(active, vec![by_zone.id, by_rule.id]);

        let revoked = store
            .revoke_silence(
                by_zone.id,
                "chef-de-poste",
                "fin de l'exercice",
                t0() + seconds(40),
            )
            .unwrap();
        assert_eq!(revoked.revoked_by.as_deref(), Some("chef-de-poste"));
        assert_eq!(revoked.revoked_at, Some(t0() + seconds(40)));
        assert_eq!(revoked.revoke_reason.as_deref(), Some("fin de l'exercice"));
        assert_eq!(revoked.reason, by_zone.reason);
        assert!(matches!(
            store.revoke_silence(by_zone.id, "x", "again", t0() + seconds(41)),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.revoke_silence(by_zone.id + 1_000, "x", "unknown", t0()),
            Err(StoreError::NotFound(_))
        ));

        let now = t0() + seconds(90);
        assert!(store.active_silences(now).unwrap().is_empty());
        assert!(store.silences(false, now).unwrap().is_empty());
        // Expired and revoked, both still there for the audit.
        let history = store.silences(true, now).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0], revoked);
        assert_eq!(history[1], by_rule);
        assert!(!history[1].is_active(now));
    }

    pub fn threads_claiming_from_one_store_never_share_a_row(store: &dyn Store) {
        let all = pending(store, 60);
        let claimed: Vec<Vec<i64>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|worker| scope.spawn(move || drain(store, &format!("worker-{worker}"), t0())))
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().unwrap())
                .collect()
        });
        assert_no_row_claimed_twice(&claimed, &all);
    }

    pub fn independent_stores_on_one_database_never_claim_the_same_row(database: TestDatabase) {
        let all = pending(database.store(), 90);
        // One store each, as separate dispatcher processes would have: separate connections
        // (on PostgreSQL, separate pools) competing for the same rows.
        let stores: Vec<_> = (0..4)
            .map(|_| vigie_store::open(database.location()).unwrap())
            .collect();
        let claimed: Vec<Vec<i64>> = std::thread::scope(|scope| {
            let workers: Vec<_> = stores
                .iter()
                .enumerate()
                .map(|(index, store)| {
                    let store: &dyn Store = store.as_ref();
                    scope.spawn(move || drain(store, &format!("replica-{index}"), t0()))
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().unwrap())
                .collect()
        });
        assert_no_row_claimed_twice(&claimed, &all);
        assert!(
            all_notifications(database.store())
                .iter()
                .all(|row| row.status == NotificationStatus::Sending && row.attempts == 1)
        );
    }

    pub fn independent_stores_recording_the_same_transitions_at_once_store_them_once(
        database: TestDatabase,
    ) {
        // A leader that lost its lock mid-evaluation commits while its successor evaluates
        // the same events: both record the same transitions, episode ids included.
        let episode = "surge-7d/ML050301/2019-03-23";
        let warnings = vec![
            opened(episode, day(3, 23)),
            transition(
                episode,
                TransitionKind::Escalated,
                Some(WarningLevel::Urgence),
                Some(WarningLevel::Alerte),
                day(3, 24),
            ),
        ];
        let notifications: Vec<NewNotification> = (0..20)
            .map(|member| notification(&format!("k{member}"), &format!("cr-mopti/m{member}"), t0()))
            .collect();
        let stores: Vec<_> = (0..4)
            .map(|_| vigie_store::open(database.location()).unwrap())
            .collect();
        let head = database.store().stream_head().unwrap();
        let barrier = std::sync::Barrier::new(stores.len());
        let outcomes: Vec<(u64, u64)> = std::thread::scope(|scope| {
            let workers: Vec<_> = stores
                .iter()
                .map(|store| {
                    let (barrier, warnings, notifications) = (&barrier, &warnings, &notifications);
                    scope.spawn(move || {
                        let store: &dyn DeliveryStore = store.as_ref();
                        barrier.wait();
                        let outcome = store.record_warnings(warnings, notifications).unwrap();
                        (outcome.warnings, outcome.notifications)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().unwrap())
                .collect()
        });
        let recorded: u64 = outcomes.iter().map(|outcome| outcome.0).sum();
        let queued: u64 = outcomes.iter().map(|outcome| outcome.1).sum();
        assert_eq!((recorded, queued), (2, 20), "{outcomes:?}");
        let store: &dyn DeliveryStore = database.store();
        let stored = store.warnings(&WarningQuery::default()).unwrap();
        assert_eq!(
            stored
                .iter()
                .filter(|warning| warning.record.kind == TransitionKind::Opened)
                .count(),
            1,
            "the episode opened once"
        );
        assert_eq!(stored.len(), 2);
        assert_eq!(all_notifications(store).len(), 20);
        // The live stream told of each transition once.
        let entries = database.store().stream_since(head, 100).unwrap();
        assert_eq!(entries.len(), 2, "{entries:?}");
    }

    pub fn everything_survives_closing_and_reopening(mut database: TestDatabase) {
        let (all, silence, warnings) = {
            let store = database.store();
            let all = pending(store, 3);
            claim(store, "a", t0(), 2);
            store
                .mark_sent(&all[..1], "a", "twilio", Some("SM1"), Some("g1"), t0())
                .unwrap();
            store.set_engine_position(day(3, 23)).unwrap();
            let silence = store
                .add_silence(
                    &NewSilence {
                        matcher: SilenceMatcher::Rule {
                            rule: "surge-7d".into(),
                        },
                        author: "analyste-1".into(),
                        reason: "maintenance".into(),
                        expires_at: t0() + seconds(60),
                    },
                    t0(),
                )
                .unwrap();
            let warnings = store.warnings(&WarningQuery::default()).unwrap();
            (all, silence, warnings)
        };
        let before: Vec<Notification> = all_notifications(database.store());
        database.close();
        let store = database.reopen();
        assert_eq!(all_notifications(store), before);
        assert_eq!(ids(&before), all);
        assert_eq!(store.warnings(&WarningQuery::default()).unwrap(), warnings);
        assert_eq!(store.engine_position().unwrap(), Some(day(3, 23)));
        assert_eq!(store.silences(true, t0()).unwrap(), vec![silence]);
        // The lease taken before the restart still holds, and expires as it would have.
        assert_eq!(claim(store, "b", t0() + seconds(59), 10), vec![all[2]]);
        assert_eq!(claim(store, "b", t0() + seconds(61), 10), vec![all[1]]);
        // Recording the same warning again after the restart is still a no-op.
        let outcome = store
            .record_warnings(&[opened("surge-7d/ML050301/2019-03-23", day(3, 23))], &[])
            .unwrap();
        assert_eq!(outcome.warnings, 0);
    }
}
