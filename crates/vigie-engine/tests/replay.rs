//! Replay: deterministic, equal to a day-by-day run, honest about late data, and grouped by
//! inhibition.

mod support;

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use support::{Event, History, attack, date, views, world};
use vigie_engine::{Engine, RuleSet, Transition, TransitionKind, WarningLevel, replay};

fn to_json(transitions: &[Transition]) -> String {
    transitions
        .iter()
        .map(|transition| serde_json::to_string(transition).unwrap() + "\n")
        .collect()
}

/// Feeds each event on its own date (or on `arrival` when given) and advances day by day.
fn day_by_day(
    rules: &RuleSet,
    events: &[(Event, NaiveDate)],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Transition> {
    let world = world(3, 5);
    let mut engine = Engine::new(rules.clone(), world.table.clone(), from);
    let mut by_arrival: Vec<&(Event, NaiveDate)> = events.iter().collect();
    by_arrival.sort_by_key(|(event, arrival)| (*arrival, event.id));
    let mut pending = by_arrival.into_iter().peekable();
    let mut transitions = Vec::new();
    let mut day = from;
    while day <= to {
        while let Some((event, _)) = pending.next_if(|(_, arrival)| *arrival <= day) {
            engine.insert(&event.view());
        }
        transitions.extend(engine.advance_to(day));
        day += Duration::days(1);
    }
    transitions
}

fn random_history(seed: u64, count: usize) -> Vec<Event> {
    let world = world(3, 5);
    let mut history = History::new(seed);
    history.random(&world, count, date(2018, 1, 1), 730);
    history.events
}

#[test]
fn replay_is_deterministic_and_ignores_input_order() {
    let rules = RuleSet::defaults();
    let world = world(3, 5);
    let events = random_history(3, 3_000);
    let (from, to) = (date(2018, 6, 1), date(2019, 12, 31));
    let first = to_json(&replay(&rules, &world.table, views(&events), from, to));
    let second = to_json(&replay(&rules, &world.table, views(&events), from, to));
    assert!(
        first.lines().count() > 20,
        "too few transitions to prove anything"
    );
    assert_eq!(first, second);
    let mut shuffled = events.clone();
    shuffled.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(9));
    let third = to_json(&replay(&rules, &world.table, views(&shuffled), from, to));
    assert_eq!(first, third);
    // Every rule kind took part.
    for rule in rules.rules() {
        if rule.zone_levels() != [vigie_domain::ZoneLevel::Corridor] {
            assert!(
                first.contains(&format!("\"rule\":\"{}\"", rule.id())),
                "{}",
                rule.id()
            );
        }
    }
}

#[test]
fn episode_ids_come_from_rule_zone_and_opening_day() {
    let rules = RuleSet::defaults();
    let world = world(3, 5);
    let events = random_history(4, 2_000);
    let transitions = replay(
        &rules,
        &world.table,
        views(&events),
        date(2018, 3, 1),
        date(2019, 12, 31),
    );
    for transition in &transitions {
        if transition.transition == TransitionKind::Opened {
            assert_eq!(
                transition.episode,
                format!(
                    "{}/{}/{}",
                    transition.rule, transition.zone.id, transition.at
                )
            );
        }
    }
    // Every later transition refers to an episode opened earlier, for the same zone.
    for (position, transition) in transitions.iter().enumerate() {
        let opening = transitions[..=position]
            .iter()
            .find(|t| t.episode == transition.episode && t.transition == TransitionKind::Opened)
            .expect("an opening before");
        assert_eq!(opening.zone, transition.zone);
    }
}

#[test]
fn day_by_day_equals_batch_on_a_large_history() {
    let rules = RuleSet::defaults();
    let world = world(3, 5);
    let events = random_history(5, 2_500);
    let (from, to) = (date(2018, 3, 1), date(2019, 12, 31));
    let batch = replay(&rules, &world.table, views(&events), from, to);
    let on_time: Vec<(Event, NaiveDate)> = events.iter().map(|e| (e.clone(), e.date)).collect();
    let incremental = day_by_day(&rules, &on_time, from, to);
    assert!(batch.len() > 20);
    assert_eq!(to_json(&batch), to_json(&incremental));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn day_by_day_equals_batch_on_random_streams(seed in 0u64..10_000, count in 0usize..600) {
        let rules = RuleSet::defaults();
        let world = world(3, 5);
        let events = random_history(seed, count);
        let (from, to) = (date(2018, 2, 1), date(2019, 12, 31));
        let batch = replay(&rules, &world.table, views(&events), from, to);
        let on_time: Vec<(Event, NaiveDate)> = events.iter().map(|e| (e.clone(), e.date)).collect();
        let incremental = day_by_day(&rules, &on_time, from, to);
        prop_assert_eq!(batch, incremental);
    }
}

const SIMPLE: &str = r#"
[[rule]]
id = "civils"
rationale = "test"
kind = "threshold"
zone_level = ["commune", "cercle"]
window_days = 14
keep_for_days = 7
vigilance = { enter = { events = 3, days = 3 }, exit = { events = 1 } }
alerte = { enter = { events = 6, days = 4 }, exit = { events = 3 } }
"#;

fn three_attacks(first_id: i64, first: NaiveDate, commune: usize) -> Vec<Event> {
    (0..3)
        .map(|n| attack(first_id + n, first + Duration::days(n), 1, commune, 1))
        .collect()
}

#[test]
fn late_data_annotates_a_closed_episode_without_rewriting_it() {
    let rules = RuleSet::from_toml(SIMPLE).unwrap();
    let mut events: Vec<(Event, NaiveDate)> = three_attacks(1, date(2019, 3, 1), 1)
        .into_iter()
        .map(|e| {
            let arrival = e.date;
            (e, arrival)
        })
        .collect();
    let on_time = day_by_day(&rules, &events, date(2019, 2, 1), date(2019, 5, 31));
    // A fourth attack, dated during the episode, arrives on 20 April, after it closed.
    events.push((attack(10, date(2019, 3, 4), 1, 1, 3), date(2019, 4, 20)));
    let with_late = day_by_day(&rules, &events, date(2019, 2, 1), date(2019, 5, 31));
    let commune: Vec<_> = with_late
        .iter()
        .filter(|t| t.zone.id.as_str() == "ML0101")
        .collect();
    let kinds: Vec<_> = commune.iter().map(|t| (t.transition, t.at)).collect();
    let closed_on = on_time
        .iter()
        .find(|t| t.zone.id.as_str() == "ML0101" && t.transition == TransitionKind::Closed)
        .unwrap()
        .at;
    assert_eq!(
        kinds,
        [
            (TransitionKind::Opened, date(2019, 3, 3)),
            (TransitionKind::Closed, closed_on),
            (TransitionKind::LateEvidence, date(2019, 4, 20)),
        ]
    );
    let annotation = commune[2];
    assert_eq!(annotation.episode, "civils/ML0101/2019-03-03");
    assert_eq!(annotation.evidence.late_event_ids, vec![10]);
    assert!(annotation.late);
    // Evaluated at its event date: the window ending 4 March holds all four attacks.
    assert_eq!(annotation.evidence.window.to, date(2019, 3, 4));
    assert_eq!(annotation.evidence.event_ids, vec![1, 2, 3, 10]);
    // Everything before the arrival is exactly what was said at the time.
    let before: Vec<_> = with_late
        .iter()
        .filter(|t| t.at < date(2019, 4, 20))
        .cloned()
        .collect();
    assert_eq!(before, on_time);
}

#[test]
fn late_data_that_would_have_opened_a_warning_open_it_now_flagged_late() {
    let rules = RuleSet::from_toml(SIMPLE).unwrap();
    let arrival = date(2019, 3, 10);
    let events: Vec<(Event, NaiveDate)> = three_attacks(1, date(2019, 3, 1), 2)
        .into_iter()
        .map(|e| (e, arrival))
        .collect();
    let transitions = day_by_day(&rules, &events, date(2019, 2, 1), date(2019, 4, 30));
    let commune: Vec<_> = transitions
        .iter()
        .filter(|t| t.zone.id.as_str() == "ML0102")
        .collect();
    assert_eq!(commune[0].transition, TransitionKind::Opened);
    assert!(commune[0].late);
    assert_eq!(commune[0].at, arrival);
    assert_eq!(commune[0].episode, "civils/ML0102/2019-03-10");
    assert_eq!(commune[0].level, Some(WarningLevel::Vigilance));
    assert_eq!(commune[0].evidence.late_event_ids, vec![1, 2, 3]);
    // It then lives like any other: closes once the window is empty and the hold is over.
    assert_eq!(commune.last().unwrap().transition, TransitionKind::Closed);
    // On time, the same events open it on 3 March, not late.
    let on_time: Vec<(Event, NaiveDate)> =
        events.iter().map(|(e, _)| (e.clone(), e.date)).collect();
    let transitions = day_by_day(&rules, &on_time, date(2019, 2, 1), date(2019, 4, 30));
    let first = transitions
        .iter()
        .find(|t| t.zone.id.as_str() == "ML0102")
        .unwrap();
    assert_eq!((first.at, first.late), (date(2019, 3, 3), false));
}

#[test]
fn a_cercle_warning_inhibits_the_same_rules_commune_warnings_inside_it() {
    let rules = RuleSet::from_toml(&format!(
        "{SIMPLE}\n[rule.by_zone_level.cercle]\n\
         vigilance = {{ enter = {{ events = 6, days = 4 }}, exit = {{ events = 2 }} }}\n\
         alerte = {{ enter = {{ events = 9, days = 5 }}, exit = {{ events = 4 }} }}\n"
    ))
    .unwrap();
    let world = world(2, 4);
    // Commune 1 alone first: its warning opens uninhibited (the cercle sees only 3).
    let mut events = three_attacks(1, date(2019, 3, 1), 1);
    // Then communes 2 and 3 as well: the cercle reaches alerte, the communes vigilance.
    events.extend(three_attacks(10, date(2019, 3, 10), 2));
    events.extend(three_attacks(20, date(2019, 3, 10), 3));
    // Cercle 2 quiet: its commune's warning is never inhibited.
    events.extend((0..3).map(|n| attack(30 + n, date(2019, 3, 10) + Duration::days(n), 2, 1, 0)));
    let transitions = replay(
        &rules,
        &world.table,
        views(&events),
        date(2019, 2, 1),
        date(2019, 5, 1),
    );
    let find = |zone: &str, kind: TransitionKind| {
        transitions
            .iter()
            .find(|t| t.zone.id.as_str() == zone && t.transition == kind)
            .unwrap_or_else(|| panic!("no {kind:?} for {zone}: {transitions:#?}"))
    };
    let cercle_opened = find("ML01", TransitionKind::Opened);
    assert_eq!(find("ML0101", TransitionKind::Opened).inhibited_by, None);
    let second = find("ML0102", TransitionKind::Opened);
    assert_eq!(
        second.inhibited_by.as_deref(),
        Some(cercle_opened.episode.as_str())
    );
    assert_eq!(
        find("ML0103", TransitionKind::Opened)
            .inhibited_by
            .as_deref(),
        Some(cercle_opened.episode.as_str())
    );
    assert_eq!(find("ML0201", TransitionKind::Opened).inhibited_by, None);
    assert!(
        transitions
            .iter()
            .all(|t| t.zone.level != vigie_domain::ZoneLevel::Cercle || t.inhibited_by.is_none())
    );
}
