//! From planned rows to messages: grouping, reminders, the storm guard, retries and the
//! content of a grouped message.

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use support::*;
use vigie_delivery::{
    Channel, GroupDecision, GroupTiming, MessageCandidate, OpenWarning, PlannedNotification,
    QuietHours, RetryDecision, RetryPolicy, StormGuard, grouped_message, groups_of, jitter_unit,
    plan_group, plan_reminders, route,
};
use vigie_domain::{TransitionKind, WarningLevel};

fn timing() -> GroupTiming {
    GroupTiming {
        group_wait: TimeDelta::seconds(30),
        group_interval: TimeDelta::minutes(5),
        repeat_interval: TimeDelta::hours(24),
    }
}

/// The rows still to send after a decision.
fn remove_sent(pending: &mut Vec<PlannedNotification>, sent: &[usize]) {
    let mut position = 0;
    pending.retain(|_| {
        let keep = !sent.contains(&position);
        position += 1;
        keep
    });
}

/// Runs a dispatcher second by second from `start` for `seconds`, over rows that become
/// known at their routing time, and returns the messages sent per (recipient, channel).
fn simulate(
    timing: &GroupTiming,
    arrivals: Vec<(DateTime<Utc>, Vec<PlannedNotification>)>,
    start: DateTime<Utc>,
    seconds: i64,
) -> Vec<((String, Channel), DateTime<Utc>, usize)> {
    let mut pending: Vec<PlannedNotification> = Vec::new();
    let mut last_sent: std::collections::HashMap<(String, Channel), DateTime<Utc>> =
        Default::default();
    let mut messages = Vec::new();
    for second in 0..=seconds {
        let now = start + TimeDelta::seconds(second);
        for (known_at, rows) in &arrivals {
            if *known_at == now {
                pending.extend(rows.iter().filter(|row| row.suppressed.is_none()).cloned());
            }
        }
        for (group, positions) in groups_of(&pending) {
            let rows: Vec<PlannedNotification> =
                positions.iter().map(|&p| pending[p].clone()).collect();
            if let GroupDecision::SendNow(sent) =
                plan_group(&rows, last_sent.get(&group).copied(), timing, now)
            {
                messages.push((group.clone(), now, sent.len()));
                last_sent.insert(group, now);
                let sent_global: Vec<usize> = sent.iter().map(|&s| positions[s]).collect();
                remove_sent(&mut pending, &sent_global);
                break; // positions changed: look again next second
            }
        }
    }
    assert!(pending.is_empty(), "{} rows never sent", pending.len());
    messages
}

#[test]
fn twenty_communes_of_a_region_opening_within_the_group_wait_make_one_message_per_member_and_channel()
 {
    let committees = committees();
    let zones = hierarchy();
    let start = at(10, 0);
    let arrivals: Vec<_> = (1..=20)
        .map(|number| {
            let commune = if number <= 12 {
                format!("ML0503{number:02}")
            } else {
                format!("ML0506{:02}", number - 12)
            };
            // Spread over 20 seconds, inside the 30-second group wait.
            let now = start + TimeDelta::seconds(number);
            (
                now,
                route(
                    &opened(&commune, WarningLevel::Alerte),
                    &committees,
                    &zones,
                    &[],
                    now,
                ),
            )
        })
        .collect();
    let messages = simulate(&timing(), arrivals, start, 900);
    let mut groups: Vec<_> = messages.iter().map(|(group, _, _)| group.clone()).collect();
    groups.sort();
    groups.dedup();
    assert_eq!(
        groups.len(),
        messages.len(),
        "one message per group: {messages:?}"
    );
    let awa_sms = messages
        .iter()
        .find(|((who, channel), _, _)| who == "awa" && *channel == Channel::Sms)
        .unwrap();
    assert_eq!(awa_sms.2, 20);
    // Moussa's cercle committee covers 12 of the 20 communes.
    let moussa = messages
        .iter()
        .find(|((who, _), _, _)| who == "moussa")
        .unwrap();
    assert_eq!(moussa.2, 12);
    // awa sms + email, john email, moussa sms, fatoumata sms, hamadoun sms.
    assert_eq!(messages.len(), 6);
}

#[test]
fn with_the_shipped_file_twenty_mopti_communes_opening_within_a_minute_make_one_regional_message_per_member_and_channel()
 {
    let zones = vigie_delivery::ZoneHierarchy::from_zone_set(&mali());
    let committees =
        vigie_delivery::Committees::from_toml(vigie_delivery::EXAMPLE_COMMITTEES_TOML, &zones)
            .unwrap();
    let regional = committees.get("crs-mopti").unwrap();
    let communes: Vec<String> = mali()
        .communes
        .iter()
        .map(|commune| commune.id.to_string())
        .filter(|id| id.starts_with("ML05"))
        .take(20)
        .collect();
    assert_eq!(communes.len(), 20);
    let start = at(10, 0);
    let arrivals: Vec<_> = communes
        .iter()
        .enumerate()
        .map(|(position, commune)| {
            // One every three seconds: the last 57 seconds after the first.
            let now = start + TimeDelta::seconds(3 * position as i64);
            let rows = route(
                &opened(commune, WarningLevel::Alerte),
                &committees,
                &zones,
                &[],
                now,
            )
            .into_iter()
            .filter(|row| row.committee == "crs-mopti")
            .collect();
            (now, rows)
        })
        .collect();
    // The regional committee uses the built-in SMS timing (one-minute group wait); the
    // simulation groups with the same timing.
    let messages = simulate(&regional.timing.sms, arrivals, start, 900);
    let summary: Vec<_> = messages
        .iter()
        .map(|((who, channel), _, rows)| (who.as_str(), *channel, *rows))
        .collect();
    assert_eq!(
        summary,
        [
            ("aminata-traore", Channel::Sms, 20),
            ("aminata-traore", Channel::Email, 20),
            ("john-doe", Channel::Email, 20),
        ]
    );
}

#[test]
fn a_batch_of_twenty_transitions_routed_at_once_is_one_message_per_member_and_channel() {
    let committees = committees();
    let zones = hierarchy();
    let now = at(10, 0);
    let mut rows = Vec::new();
    for number in 1..=12 {
        rows.extend(route(
            &opened(&format!("ML0503{number:02}"), WarningLevel::Alerte),
            &committees,
            &zones,
            &[],
            now,
        ));
    }
    for number in 1..=8 {
        rows.extend(route(
            &opened(&format!("ML0506{number:02}"), WarningLevel::Alerte),
            &committees,
            &zones,
            &[],
            now,
        ));
    }
    for (group, positions) in groups_of(&rows) {
        let group_rows: Vec<_> = positions.iter().map(|&p| rows[p].clone()).collect();
        assert_eq!(
            plan_group(&group_rows, None, &timing(), now),
            GroupDecision::WaitUntil(now + TimeDelta::seconds(30)),
            "{group:?}"
        );
        let decision = plan_group(&group_rows, None, &timing(), now + TimeDelta::seconds(30));
        assert_eq!(
            decision,
            GroupDecision::SendNow((0..group_rows.len()).collect()),
            "{group:?}"
        );
    }
}

fn row_at(zone: &str, level: WarningLevel, now: DateTime<Utc>) -> PlannedNotification {
    route(&opened(zone, level), &committees(), &hierarchy(), &[], now)
        .into_iter()
        .find(|row| row.recipient == "moussa")
        .unwrap()
}

#[test]
fn after_a_message_the_next_waits_for_the_group_interval_unless_urgent() {
    let sent_at = at(10, 0);
    let pending = [row_at("ML050301", WarningLevel::Alerte, at(10, 1))];
    // Due at 10:01:30, but the last message went at 10:00: wait until 10:05.
    assert_eq!(
        plan_group(&pending, Some(sent_at), &timing(), at(10, 2)),
        GroupDecision::WaitUntil(at(10, 5))
    );
    assert_eq!(
        plan_group(&pending, Some(sent_at), &timing(), at(10, 5)),
        GroupDecision::SendNow(vec![0])
    );
    // An urgence does not wait for the interval, and takes what is due along.
    let pending = [
        row_at("ML050301", WarningLevel::Alerte, at(10, 1)),
        row_at("ML050302", WarningLevel::Urgence, at(10, 1)),
    ];
    assert_eq!(
        plan_group(
            &pending,
            Some(sent_at),
            &timing(),
            at(10, 1) + TimeDelta::seconds(30)
        ),
        GroupDecision::SendNow(vec![0, 1])
    );
    assert_eq!(
        plan_group(&[], Some(sent_at), &timing(), at(10, 2)),
        GroupDecision::Idle
    );
}

#[test]
fn rows_held_by_quiet_hours_do_not_join_an_urgent_message_at_night() {
    let night = at(23, 0);
    let regional = |level| {
        route(
            &opened("ML050301", level),
            &committees(),
            &hierarchy(),
            &[],
            night,
        )
        .into_iter()
        .find(|row| row.recipient == "awa" && row.channel == Channel::Sms)
        .unwrap()
    };
    let pending = [
        regional(WarningLevel::Alerte),
        regional(WarningLevel::Urgence),
    ];
    assert_eq!(
        plan_group(&pending, None, &timing(), night + TimeDelta::seconds(30)),
        GroupDecision::SendNow(vec![1])
    );
    let alone = [pending[0].clone()];
    let morning = at(6, 0) + TimeDelta::days(1);
    assert_eq!(
        plan_group(&alone, None, &timing(), night + TimeDelta::seconds(30)),
        GroupDecision::WaitUntil(morning)
    );
}

#[test]
fn open_warnings_are_recalled_after_the_repeat_interval_outside_quiet_hours() {
    let open = [
        OpenWarning {
            episode: "a".into(),
            last_notified: at(10, 0) - TimeDelta::hours(25),
        },
        OpenWarning {
            episode: "b".into(),
            last_notified: at(9, 0),
        },
    ];
    let plan = plan_reminders(&open, TimeDelta::hours(24), None, at(10, 0));
    assert_eq!(plan.due, vec![0]);
    assert_eq!(plan.next_check, Some(at(9, 0) + TimeDelta::hours(24)));
    let night = QuietHours::parse("22:00-06:00").unwrap();
    let plan = plan_reminders(&open, TimeDelta::hours(24), Some(&night), at(23, 0));
    assert!(plan.due.is_empty());
    assert_eq!(plan.next_check, Some(at(6, 0) + TimeDelta::days(1)));
}

#[test]
fn the_storm_guard_turns_overflow_into_one_summary_and_refills_over_time() {
    let guard = StormGuard {
        capacity: 3,
        refill_per_hour: 6,
    };
    let now = at(10, 0);
    let calm = [MessageCandidate { urgent: false }; 8];
    let decision = guard.admit(guard.full(now), &calm, now);
    assert_eq!(decision.send, vec![0, 1]);
    assert_eq!(decision.summarised, vec![2, 3, 4, 5, 6, 7]);
    assert!(decision.held.is_empty());
    assert_eq!(decision.state.millitokens, 0);
    // Empty: the next message waits for a token (6 an hour: 10 minutes).
    let one = [MessageCandidate { urgent: false }];
    let held = guard.admit(decision.state, &one, now + TimeDelta::minutes(1));
    assert_eq!(held.held, vec![0]);
    assert_eq!(held.retry_at, Some(now + TimeDelta::minutes(10)));
    // An urgence is never held.
    let urgent = [
        MessageCandidate { urgent: true },
        MessageCandidate { urgent: false },
    ];
    let decision2 = guard.admit(held.state, &urgent, now + TimeDelta::minutes(2));
    assert_eq!(decision2.send, vec![0]);
    assert_eq!(decision2.held, vec![1]);
    // Ten minutes later a token is there.
    let later = guard.admit(held.state, &one, now + TimeDelta::minutes(10));
    assert_eq!(later.send, vec![0]);
}

#[test]
fn the_storm_guard_refills_as_fast_with_frequent_calls_as_with_one() {
    let guard = StormGuard {
        capacity: 5,
        refill_per_hour: 7,
    };
    let start = at(10, 0);
    let empty = vigie_delivery::BucketState {
        millitokens: 0,
        updated_at: start,
    };
    let mut state = empty;
    for second in 1..=3_600 {
        state = guard.refilled(state, start + TimeDelta::seconds(second));
    }
    let once = guard.refilled(empty, start + TimeDelta::hours(1));
    assert_eq!(once.millitokens, 5_000);
    assert!(state.millitokens >= 4_999, "{}", state.millitokens);
}

#[test]
fn backoff_stays_within_its_bounds_and_is_deterministic() {
    let policy = RetryPolicy {
        base_delay: TimeDelta::seconds(10),
        max_delay: TimeDelta::minutes(15),
        max_attempts: 12,
    };
    let now = at(10, 0);
    let key = "civilians/ML050308/2019-03-20|opened|2019-03-23|awa|sms";
    for attempt in 1..12 {
        let ceiling = TimeDelta::seconds(10 * (1 << (attempt - 1))).min(TimeDelta::minutes(15));
        assert_eq!(policy.ceiling(attempt), ceiling);
        let unit = jitter_unit(key, attempt);
        assert!((0.0..1.0).contains(&unit));
        let RetryDecision::RetryAt(when) = policy.after_failure(attempt, unit, None, now) else {
            panic!("attempt {attempt} should be retried");
        };
        assert!(
            when >= now && when <= now + ceiling,
            "attempt {attempt}: {when}"
        );
        assert_eq!(
            policy.after_failure(attempt, jitter_unit(key, attempt), None, now),
            RetryDecision::RetryAt(when)
        );
        // The extremes of the random value give the bounds.
        assert_eq!(
            policy.after_failure(attempt, 0.0, None, now),
            RetryDecision::RetryAt(now)
        );
        assert_eq!(
            policy.after_failure(attempt, 0.999_999_999, None, now),
            RetryDecision::RetryAt(now + ceiling - TimeDelta::milliseconds(1))
        );
    }
    assert_eq!(
        policy.after_failure(12, 0.5, None, now),
        RetryDecision::DeadLetter
    );
    // Different rows spread out.
    let units: Vec<f64> = (0..100)
        .map(|n| jitter_unit(&format!("{key}{n}"), 3))
        .collect();
    assert!(units.iter().any(|u| *u < 0.25) && units.iter().any(|u| *u > 0.75));
}

#[test]
fn a_longer_retry_after_from_the_provider_wins() {
    let policy = RetryPolicy::default();
    let now = at(10, 0);
    assert_eq!(
        policy.after_failure(1, 0.5, Some(TimeDelta::minutes(2)), now),
        RetryDecision::RetryAt(now + TimeDelta::minutes(2))
    );
    assert_eq!(
        policy.after_failure(1, 0.5, Some(TimeDelta::seconds(1)), now),
        RetryDecision::RetryAt(now + TimeDelta::seconds(5))
    );
}

#[test]
fn a_grouped_message_leads_with_the_highest_level_and_lists_each_zone_once() {
    let now = at(10, 0);
    let mut rows = vec![
        row_at("ML050301", WarningLevel::Alerte, now),
        row_at("ML050302", WarningLevel::Urgence, now),
    ];
    let closed = transition(
        "ML050303",
        TransitionKind::Closed,
        None,
        Some(WarningLevel::Vigilance),
    );
    rows.extend(
        route(&closed, &committees(), &hierarchy(), &[], now)
            .into_iter()
            .filter(|row| row.recipient == "moussa"),
    );
    let mut second_rule = rows[0].clone();
    second_rule.content.rule = "battles".into();
    second_rule.key = "other".into();
    rows.push(second_rule);
    let references: Vec<&PlannedNotification> = rows.iter().collect();
    let message = grouped_message(&references, false).unwrap();
    assert_eq!(message.level, WarningLevel::Urgence);
    assert_eq!(message.transition, TransitionKind::Opened);
    assert_eq!(
        message.transitions,
        vec![(TransitionKind::Opened, 3), (TransitionKind::Closed, 1)]
    );
    let zones: Vec<&str> = message
        .zones
        .iter()
        .map(|zone| zone.pcode.as_str())
        .collect();
    assert_eq!(zones, ["ML050302", "ML050301", "ML050303"]);
    assert_eq!(message.zones[0].fatalities, 160);
    assert_eq!(message.window_days, 28);
    assert_eq!(message.keys.len(), 4);
    assert!(grouped_message(&[], false).is_none());
}
