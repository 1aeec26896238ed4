//! Each rule kind on hand-built series: when it fires, and when it must not.

mod support;

use chrono::{Duration, NaiveDate};
use support::{Event, attack, clash, date, views, world};
use vigie_engine::{RuleSet, SourceKind, Transition, TransitionKind, WarningLevel, replay};

fn rules(body: &str) -> RuleSet {
    RuleSet::from_toml(&format!(
        "[[rule]]\nid = \"test\"\nrationale = \"test\"\n{body}"
    ))
    .unwrap()
}

fn run(rules: &RuleSet, events: &[Event], from: NaiveDate, to: NaiveDate) -> Vec<Transition> {
    let world = world(2, 3);
    replay(rules, &world.table, views(events), from, to)
}

fn openings(transitions: &[Transition]) -> Vec<&Transition> {
    transitions
        .iter()
        .filter(|transition| transition.transition == TransitionKind::Opened)
        .collect()
}

/// `per_week[i]` clashes in week `i` from `start` (on distinct days from the week's start)
/// in commune 1 of cercle 1.
fn weekly(start: NaiveDate, per_week: &[usize]) -> Vec<Event> {
    let mut events = Vec::new();
    for (week, count) in per_week.iter().enumerate() {
        for index in 0..*count {
            let day = start + Duration::days(7 * week as i64 + (index % 7) as i64);
            events.push(clash(events.len() as i64 + 1, day, 1, 1, 0));
        }
    }
    events
}

const ACLED: &str = r#"
kind = "acled_surge"
zone_level = "commune"
window_days = 7
baseline_windows = 4
min_events = 1
vigilance = { enter = { ratio = 2.0 }, exit = { ratio = 1.0 } }
"#;

#[test]
fn acled_surge_fires_at_twice_the_four_week_mean() {
    let start = date(2019, 1, 7); // a Monday
    let rules = rules(ACLED);
    // Four weeks at 1 a week, then 2: ratio exactly 2, mean exactly 1.
    let events = weekly(start, &[1, 1, 1, 1, 2]);
    let transitions = run(&rules, &events, start, date(2019, 3, 1));
    let opened = openings(&transitions);
    assert_eq!(opened.len(), 1, "{transitions:#?}");
    let evidence = &opened[0].evidence;
    assert_eq!(evidence.statistic.unwrap().name, "ratio");
    assert_eq!(evidence.statistic.unwrap().value, 2.0);
    assert_eq!(evidence.baseline.unwrap().mean, 1.0);
    assert_eq!(opened[0].at, start + Duration::days(29));
    // One event fewer in the last week: ratio 1, nothing.
    let events = weekly(start, &[1, 1, 1, 1, 1]);
    assert!(run(&rules, &events, start, date(2019, 3, 1)).is_empty());
}

#[test]
fn acled_surge_ignores_zones_whose_mean_is_below_one() {
    let start = date(2019, 1, 7);
    // Three events in four weeks (mean 0.75), then six on one day: ACLED's rule stays
    // silent. (Spread over the week, the first of the six would join the sliding baseline
    // while the rest are still in the window, and lift its mean to one.)
    let mut events = weekly(start, &[1, 1, 0, 1]);
    for n in 0..6 {
        events.push(clash(10 + n, start + Duration::days(28), 1, 1, 0));
    }
    assert!(run(&rules(ACLED), &events, start, date(2019, 3, 1)).is_empty());
}

const POISSON: &str = r#"
kind = "poisson"
zone_level = "commune"
window_days = 7
baseline_windows = 52
min_rate = 0.25
min_events = 1
vigilance = { enter = { p_value = 0.01 }, exit = { p_value = 0.05 } }
alerte = { enter = { p_value = 0.0001 }, exit = { p_value = 0.001 } }
"#;

#[test]
fn poisson_fires_on_an_improbable_week_and_scales_its_level() {
    let start = date(2018, 1, 1);
    let mut per_week = vec![2; 52];
    per_week.push(7); // P(X ≥ 7 | 2) ≈ 0.0045: vigilance
    let events = weekly(start, &per_week);
    let transitions = run(
        &rules(POISSON),
        &events,
        start + Duration::days(364),
        date(2019, 2, 1),
    );
    let opened = openings(&transitions);
    assert_eq!(opened.len(), 1, "{transitions:#?}");
    assert_eq!(opened[0].level, Some(WarningLevel::Vigilance));
    let p_value = opened[0].evidence.statistic.unwrap().value;
    assert!((0.0001..0.01).contains(&p_value), "{p_value}");
    assert_eq!(opened[0].evidence.baseline.unwrap().rate, Some(2.0));

    let mut per_week = vec![2; 52];
    per_week.push(14); // far in the tail: alerte at once
    let events = weekly(start, &per_week);
    let transitions = run(
        &rules(POISSON),
        &events,
        start + Duration::days(364),
        date(2019, 2, 1),
    );
    // The window fills day by day: vigilance first, then alerte the day the tail is thin.
    let levels: Vec<_> = transitions
        .iter()
        .map(|t| (t.transition, t.level))
        .collect();
    assert_eq!(
        levels[..2],
        [
            (TransitionKind::Opened, Some(WarningLevel::Vigilance)),
            (TransitionKind::Escalated, Some(WarningLevel::Alerte))
        ]
    );

    let mut per_week = vec![2; 52];
    per_week.push(4); // P(X ≥ 4 | 2) ≈ 0.14: an ordinary busy week
    let events = weekly(start, &per_week);
    assert!(
        run(
            &rules(POISSON),
            &events,
            start + Duration::days(364),
            date(2019, 2, 1)
        )
        .is_empty()
    );
}

#[test]
fn a_quiet_zone_does_not_fire_on_noise() {
    // One incident a year for five years, then two in one week: with λ floored at 0.25 a
    // week, P(X ≥ 2) ≈ 0.026 — not below 0.01, even with min_events at 1.
    let mut events = Vec::new();
    for year in 2014..2019 {
        events.push(attack(year as i64, date(year, 6, 1), 1, 1, 1));
    }
    events.push(attack(100, date(2019, 3, 4), 1, 1, 2));
    events.push(attack(101, date(2019, 3, 6), 1, 1, 0));
    let from = date(2015, 1, 1);
    let to = date(2019, 12, 31);
    assert!(run(&rules(POISSON), &events, from, to).is_empty());
    assert!(run(&rules(ACLED), &events, from, to).is_empty());
    assert!(run(&rules(ZSCORE), &events, from, to).is_empty());
    // Without the floor on λ, the same noise would fire: the floor is what protects.
    let unfloored = POISSON.replace("min_rate = 0.25", "min_rate = 0.02");
    assert!(!run(&rules(&unfloored), &events, from, to).is_empty());
    // The shipped defaults stay quiet too.
    assert!(run(&RuleSet::defaults(), &events, from, to).is_empty());
}

const ZSCORE: &str = r#"
kind = "zscore"
zone_level = "commune"
window_days = 7
baseline_windows = 52
sigma_floor = 1.0
min_events = 1
vigilance = { enter = { z = 3.0 }, exit = { z = 1.0 } }
"#;

#[test]
fn zscore_floors_sigma_on_flat_histories() {
    let start = date(2018, 1, 1);
    // A perfectly flat history (σ = 0): without the floor any extra event would be
    // infinitely significant. With σ floored at 1, 4 over a mean of 2 is z = 2: nothing.
    let mut per_week = vec![2; 52];
    per_week.push(4);
    let events = weekly(start, &per_week);
    let from = start + Duration::days(364);
    assert!(run(&rules(ZSCORE), &events, from, date(2019, 2, 1)).is_empty());
    // 5 over 2 is z = 3: vigilance.
    let mut per_week = vec![2; 52];
    per_week.push(5);
    let events = weekly(start, &per_week);
    let transitions = run(&rules(ZSCORE), &events, from, date(2019, 2, 1));
    let opened = openings(&transitions);
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].evidence.statistic.unwrap().value, 3.0);
    assert_eq!(
        opened[0].evidence.baseline.unwrap().standard_deviation,
        Some(0.0)
    );
}

const THRESHOLD: &str = r#"
kind = "threshold"
zone_level = ["commune", "cercle"]
window_days = 7
keep_for_days = 3
vigilance = { enter = { events = 3, days = 2 }, exit = { events = 2 } }
urgence = { enter = { fatalities = 50 }, exit = { fatalities = 10 } }
"#;

#[test]
fn thresholds_need_every_measure_and_count_weights() {
    let rules = rules(THRESHOLD);
    let day = date(2019, 5, 1);
    // Three events on one day: events reached, distinct days not.
    let same_day: Vec<Event> = (1..=3).map(|n| attack(n, day, 1, 1, 0)).collect();
    assert!(run(&rules, &same_day, day, date(2019, 6, 1)).is_empty());
    // Two ACLED events and two unverified reports (2 × 0.5) on two days: 3 weighted events.
    let mut events = vec![
        attack(1, day, 1, 1, 0),
        attack(2, day + Duration::days(1), 1, 2, 0),
    ];
    for n in 3..=4 {
        let mut report = attack(n, day + Duration::days(1), 1, 3, 0);
        report.source = SourceKind::CommunityUnverified;
        events.push(report);
    }
    let transitions = run(&rules, &events, day, date(2019, 6, 1));
    let opened = openings(&transitions);
    // Only the cercle sees all four (the communes hold one or two each).
    assert_eq!(opened.len(), 1, "{transitions:#?}");
    assert_eq!(opened[0].zone.id.as_str(), "ML01");
    assert_eq!(opened[0].evidence.events, 3.0);
    assert_eq!(opened[0].evidence.event_count, 4);
    assert_eq!(opened[0].evidence.event_ids, vec![1, 2, 3, 4]);
    assert_eq!(opened[0].severity, Some("Moderate"));
}

#[test]
fn a_series_hovering_at_the_threshold_opens_once_and_closes_once() {
    // Events on alternate days: the 7-day window holds 3 or 4 events, then 3 and 2 as the
    // pattern thins to every third day — at the enter threshold (3), never below exit (2).
    let mut events = Vec::new();
    let start = date(2019, 1, 1);
    for offset in (0..40).step_by(2).chain((40..120).step_by(3)) {
        events.push(attack(
            events.len() as i64 + 1,
            start + Duration::days(offset),
            1,
            1,
            0,
        ));
    }
    let only_commune = THRESHOLD.replace("[\"commune\", \"cercle\"]", "\"commune\"");
    let transitions = run(&rules(&only_commune), &events, start, date(2019, 8, 1));
    let kinds: Vec<TransitionKind> = transitions.iter().map(|t| t.transition).collect();
    assert_eq!(
        kinds,
        [TransitionKind::Opened, TransitionKind::Closed],
        "{transitions:#?}"
    );
    // The close comes after the last event has left the window plus the hold.
    let last_event = start + Duration::days(117);
    assert!(transitions[1].at > last_event + Duration::days(3));
}

#[test]
fn corridor_rules_run_only_in_season() {
    let rules = rules(
        r#"
kind = "threshold"
zone_level = "corridor"
window_days = 14
keep_for_days = 30
vigilance = { enter = { events = 3, days = 3 } }
"#,
    );
    let on_corridor = |first: NaiveDate| -> Vec<Event> {
        (0..4)
            .map(|n| attack(n + 1, first + Duration::days(n), 1, 1, 0).on_corridor())
            .collect()
    };
    // August: the herds are north, the corridor's rule is off (season 10-01 to 06-30).
    assert!(
        run(
            &rules,
            &on_corridor(date(2019, 8, 5)),
            date(2019, 7, 1),
            date(2019, 9, 30)
        )
        .is_empty()
    );
    // November: it warns.
    let transitions = run(
        &rules,
        &on_corridor(date(2019, 11, 5)),
        date(2019, 10, 1),
        date(2019, 12, 31),
    );
    assert_eq!(openings(&transitions).len(), 1);
    assert_eq!(transitions[0].zone.id.as_str(), "TR01");
    // Late June: it opens, and the season's end closes it on 1 July despite the hold.
    let transitions = run(
        &rules,
        &on_corridor(date(2019, 6, 20)),
        date(2019, 6, 1),
        date(2019, 7, 31),
    );
    let kinds: Vec<_> = transitions.iter().map(|t| (t.transition, t.at)).collect();
    assert_eq!(
        kinds,
        [
            (TransitionKind::Opened, date(2019, 6, 22)),
            (TransitionKind::Closed, date(2019, 7, 1))
        ]
    );
    assert_eq!(transitions[1].evidence.reason, Some("out_of_season"));
}
