//! The shipped rules lead on a build-up and stay silent on quiet communes, on seeded
//! generated histories.

mod support;

use chrono::{Duration, NaiveDate};
use rand::RngExt;
use support::{History, cercle_id, commune_id, date, views, world};
use vigie_engine::{RuleSet, Transition, TransitionKind, replay};

/// The episodes open on `day` in one of `zones`.
fn open_on<'a>(
    transitions: &'a [Transition],
    zones: &[&str],
    day: NaiveDate,
) -> Vec<&'a Transition> {
    transitions
        .iter()
        .filter(|t| t.transition == TransitionKind::Opened && t.at <= day)
        .filter(|t| zones.contains(&t.zone.id.as_str()))
        .filter(|opening| {
            !transitions.iter().any(|t| {
                t.episode == opening.episode
                    && t.transition == TransitionKind::Closed
                    && t.at <= day
            })
        })
        .collect()
}

#[test]
fn defaults_warn_before_the_massacre_day_of_a_build_up() {
    let rules = RuleSet::defaults();
    let world = world(4, 12);
    for seed in 1..=12u64 {
        let mut history = History::new(seed);
        for cercle in 1..=4 {
            for commune in 1..=12 {
                history.quiet(cercle, commune, 2010, 2019);
            }
        }
        let massacre = date(2019, 1, 1) + Duration::days(history.rng.random_range(60..330));
        let (cercle, commune) = (2, 1 + (seed as usize % 12));
        history.build_up_to_massacre(cercle, commune, massacre);
        let transitions = replay(
            &rules,
            &world.table,
            views(&history.events),
            date(2011, 1, 1),
            date(2019, 12, 31),
        );
        let commune = commune_id(cercle, commune);
        let cercle = cercle_id(cercle);
        let eve = massacre - Duration::days(1);
        let warnings = open_on(&transitions, &[commune.as_str(), cercle.as_str()], eve);
        assert!(
            !warnings.is_empty(),
            "seed {seed}: no warning open in {commune} or {cercle} on {eve}"
        );
        // Leading by weeks, not by a day.
        let earliest = warnings.iter().map(|t| t.at).min().unwrap();
        assert!(
            earliest <= massacre - Duration::days(14),
            "seed {seed}: first warning only on {earliest} for a massacre on {massacre}"
        );
    }
}

#[test]
fn defaults_stay_silent_on_communes_with_one_incident_a_year() {
    let rules = RuleSet::defaults();
    let world = world(4, 12);
    for seed in 100..110u64 {
        let mut history = History::new(seed);
        for cercle in 1..=4 {
            for commune in 1..=12 {
                history.quiet(cercle, commune, 2010, 2019);
            }
        }
        let transitions = replay(
            &rules,
            &world.table,
            views(&history.events),
            date(2011, 1, 1),
            date(2019, 12, 31),
        );
        assert!(
            transitions.is_empty(),
            "seed {seed}: {} transitions on a quiet history, first {:#?}",
            transitions.len(),
            transitions.first()
        );
    }
}
