//! Who hears about a transition, on which channel, when — and who does not, and why.

mod support;

use chrono::TimeDelta;
use support::*;
use vigie_delivery::{Channel, PlannedNotification, Silence, SilenceScope, Suppression, route};
use vigie_domain::{TransitionKind, WarningLevel};

fn recipients(planned: &[PlannedNotification]) -> Vec<(String, Channel)> {
    planned
        .iter()
        .filter(|row| row.suppressed.is_none())
        .map(|row| (row.recipient.clone(), row.channel))
        .collect()
}

fn pair(recipient: &str, channel: Channel) -> (String, Channel) {
    (recipient.to_owned(), channel)
}

#[test]
fn a_commune_transition_reaches_its_commune_cercle_and_region_but_not_the_neighbouring_commune() {
    let planned = route(
        &opened("ML050308", WarningLevel::Alerte),
        &committees(),
        &hierarchy(),
        &[],
        at(10, 0),
    );
    assert_eq!(
        recipients(&planned),
        vec![
            pair("awa", Channel::Sms),
            pair("awa", Channel::Email),
            pair("john", Channel::Email),
            pair("moussa", Channel::Sms),
            pair("fatoumata", Channel::Sms),
        ]
    );
    assert!(planned.iter().all(|row| row.recipient != "hamadoun"));
    assert!(planned.iter().all(|row| row.suppressed.is_none()));
}

#[test]
fn a_cercle_transition_reaches_the_cercle_and_region_committees_only() {
    let planned = route(
        &opened("ML0503", WarningLevel::Alerte),
        &committees(),
        &hierarchy(),
        &[],
        at(10, 0),
    );
    let who: Vec<_> = recipients(&planned)
        .into_iter()
        .map(|(who, _)| who)
        .collect();
    assert_eq!(who, ["awa", "awa", "john", "moussa"]);
}

#[test]
fn a_transition_elsewhere_reaches_nobody_and_corridors_are_matched_by_id() {
    let elsewhere = route(
        &opened("ML040101", WarningLevel::Urgence),
        &committees(),
        &hierarchy(),
        &[],
        at(10, 0),
    );
    assert!(elsewhere.is_empty());
    let corridor = route(
        &opened("TR07", WarningLevel::Vigilance),
        &committees(),
        &hierarchy(),
        &[],
        at(10, 0),
    );
    assert_eq!(recipients(&corridor), vec![pair("oumar", Channel::Email)]);
}

#[test]
fn rows_carry_the_documented_idempotency_key_and_the_member_language() {
    let planned = route(
        &opened("ML050308", WarningLevel::Alerte),
        &committees(),
        &hierarchy(),
        &[],
        at(10, 0),
    );
    assert_eq!(
        planned[0].key,
        "civilians/ML050308/2019-03-20|opened|2019-03-23|awa|sms"
    );
    assert_eq!(planned[0].address, "+447700900001");
    let john = planned.iter().find(|row| row.recipient == "john").unwrap();
    assert_eq!(john.language, vigie_domain::sms::Language::English);
    assert_eq!(planned[0].language, vigie_domain::sms::Language::French);
    // Routing again gives the same keys: the outbox turns a repeat into a no-op.
    let again = route(
        &opened("ML050308", WarningLevel::Alerte),
        &committees(),
        &hierarchy(),
        &[],
        at(10, 7),
    );
    let keys =
        |rows: &[PlannedNotification]| rows.iter().map(|r| r.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&planned), keys(&again));
}

#[test]
fn a_vigilance_is_below_the_regional_minimum_but_reaches_the_others() {
    let planned = route(
        &opened("ML050308", WarningLevel::Vigilance),
        &committees(),
        &hierarchy(),
        &[],
        at(10, 0),
    );
    let awa = planned.iter().find(|row| row.recipient == "awa").unwrap();
    assert_eq!(
        awa.suppressed,
        Some(Suppression::BelowMinimumLevel {
            level: WarningLevel::Vigilance,
            minimum: WarningLevel::Alerte
        })
    );
    assert_eq!(
        recipients(&planned),
        vec![
            pair("moussa", Channel::Sms),
            pair("fatoumata", Channel::Sms)
        ]
    );
}

#[test]
fn a_committee_that_heard_a_warning_hears_it_fall_below_its_minimum_and_close() {
    let fell = transition(
        "ML050308",
        TransitionKind::DeEscalated,
        Some(WarningLevel::Vigilance),
        Some(WarningLevel::Alerte),
    );
    let planned = route(&fell, &committees(), &hierarchy(), &[], at(10, 0));
    assert!(recipients(&planned).contains(&pair("awa", Channel::Sms)));
    // Closed from vigilance: the regional committee never heard it at vigilance.
    let closed = transition(
        "ML050308",
        TransitionKind::Closed,
        None,
        Some(WarningLevel::Vigilance),
    );
    let planned = route(&closed, &committees(), &hierarchy(), &[], at(10, 0));
    assert!(!recipients(&planned).iter().any(|(who, _)| who == "awa"));
    assert!(recipients(&planned).contains(&pair("moussa", Channel::Sms)));
    // Closed from alerte: it heard, it hears the end.
    let closed = transition(
        "ML050308",
        TransitionKind::Closed,
        None,
        Some(WarningLevel::Alerte),
    );
    let planned = route(&closed, &committees(), &hierarchy(), &[], at(10, 0));
    assert!(recipients(&planned).contains(&pair("awa", Channel::Sms)));
}

#[test]
fn an_inhibited_commune_is_held_back_for_committees_that_receive_its_cercle() {
    let mut commune = opened("ML050308", WarningLevel::Alerte);
    commune.inhibited_by = Some("civilians/ML0503/2019-03-19".into());
    let planned = route(&commune, &committees(), &hierarchy(), &[], at(10, 0));
    let inhibited = Some(Suppression::Inhibited {
        by_episode: "civilians/ML0503/2019-03-19".into(),
    });
    for row in &planned {
        match row.committee.as_str() {
            // They receive the cercle's episode: one message speaks for both.
            "crs-mopti" | "cls-bankass" => assert_eq!(row.suppressed, inhibited, "{}", row.key),
            // The communal committee does not receive the cercle's episode.
            "ccs-ouonkoro" => assert_eq!(row.suppressed, None),
            other => panic!("unexpected committee {other}"),
        }
    }
    assert_eq!(recipients(&planned), vec![pair("fatoumata", Channel::Sms)]);
}

fn silence(scope: SilenceScope, hours: i64) -> Silence {
    Silence {
        id: "s1".into(),
        scope,
        committee: None,
        author: "analyst@example.org".into(),
        reason: "known clash, under follow-up".into(),
        starts_at: at(8, 0),
        ends_at: at(8, 0) + TimeDelta::hours(hours),
    }
}

#[test]
fn a_silence_on_a_cercle_holds_back_its_communes_until_it_expires() {
    let transition = opened("ML050308", WarningLevel::Alerte);
    let silences = [silence(SilenceScope::Zone(id("ML0503")), 4)];
    let planned = route(
        &transition,
        &committees(),
        &hierarchy(),
        &silences,
        at(10, 0),
    );
    assert!(!planned.is_empty());
    assert!(planned.iter().all(|row| row.suppressed
        == Some(Suppression::Silenced {
            silence: "s1".into()
        })));
    // At 12:00 the silence has expired.
    let planned = route(
        &transition,
        &committees(),
        &hierarchy(),
        &silences,
        at(12, 0),
    );
    assert!(planned.iter().all(|row| row.suppressed.is_none()));
    // A silence on the neighbouring commune does not apply.
    let neighbour = [silence(SilenceScope::Zone(id("ML050309")), 4)];
    let planned = route(
        &transition,
        &committees(),
        &hierarchy(),
        &neighbour,
        at(10, 0),
    );
    assert!(planned.iter().all(|row| row.suppressed.is_none()));
}

#[test]
fn a_silence_on_a_rule_or_for_one_committee_applies_only_there() {
    let transition = opened("ML050308", WarningLevel::Alerte);
    let other_rule = [silence(SilenceScope::Rule("battles".into()), 4)];
    let planned = route(
        &transition,
        &committees(),
        &hierarchy(),
        &other_rule,
        at(10, 0),
    );
    assert!(planned.iter().all(|row| row.suppressed.is_none()));
    let mut one_committee = silence(
        SilenceScope::RuleInZone {
            rule: "civilians".into(),
            zone: id("ML05"),
        },
        4,
    );
    one_committee.committee = Some("cls-bankass".into());
    let planned = route(
        &transition,
        &committees(),
        &hierarchy(),
        &[one_committee],
        at(10, 0),
    );
    assert_eq!(
        recipients(&planned),
        vec![
            pair("awa", Channel::Sms),
            pair("awa", Channel::Email),
            pair("john", Channel::Email),
            pair("fatoumata", Channel::Sms),
        ]
    );
}

#[test]
fn quiet_hours_push_an_alerte_to_the_morning_but_not_an_urgence() {
    let night = at(23, 0);
    let alerte = route(
        &opened("ML050308", WarningLevel::Alerte),
        &committees(),
        &hierarchy(),
        &[],
        night,
    );
    let regional = alerte
        .iter()
        .find(|row| row.committee == "crs-mopti")
        .unwrap();
    let morning = at(6, 0) + TimeDelta::days(1);
    assert_eq!(regional.not_before, morning);
    assert!(!regional.urgent);
    // The communal committee has no quiet hours: group_wait only.
    let communal = alerte
        .iter()
        .find(|row| row.committee == "ccs-ouonkoro")
        .unwrap();
    assert_eq!(communal.not_before, night + TimeDelta::seconds(30));

    let urgence = route(
        &opened("ML050308", WarningLevel::Urgence),
        &committees(),
        &hierarchy(),
        &[],
        night,
    );
    let regional = urgence
        .iter()
        .find(|row| row.committee == "crs-mopti")
        .unwrap();
    assert!(regional.urgent);
    assert_eq!(regional.not_before, night + TimeDelta::seconds(30));
}

#[test]
fn late_evidence_goes_by_email_only() {
    let late = transition(
        "ML050308",
        TransitionKind::LateEvidence,
        Some(WarningLevel::Alerte),
        Some(WarningLevel::Alerte),
    );
    let planned = route(&late, &committees(), &hierarchy(), &[], at(10, 0));
    for row in &planned {
        match row.channel {
            Channel::Sms => assert_eq!(row.suppressed, Some(Suppression::LateEvidenceNotBySms)),
            Channel::Email => assert_eq!(row.suppressed, None),
        }
    }
    assert_eq!(
        recipients(&planned),
        vec![pair("awa", Channel::Email), pair("john", Channel::Email)]
    );
}

#[test]
fn a_person_on_two_committees_gets_one_notification_per_channel_the_earliest() {
    let text = COMMITTEES.replace(
        "id = \"moussa\"\nname = \"Moussa\"\nphone = \"+44 7700 900002\"",
        "id = \"awa\"\nname = \"Awa\"\nphone = \"+44 7700 900001\"\nemail = \"awa@example.org\"",
    );
    let committees = vigie_delivery::Committees::from_toml(&text, &hierarchy()).unwrap();
    let night = at(23, 0);
    let planned = route(
        &opened("ML050308", WarningLevel::Alerte),
        &committees,
        &hierarchy(),
        &[],
        night,
    );
    let awa_sms: Vec<_> = planned
        .iter()
        .filter(|row| row.recipient == "awa" && row.channel == Channel::Sms)
        .collect();
    assert_eq!(awa_sms.len(), 1);
    // The cercle committee has no quiet hours: its row goes tonight.
    assert_eq!(awa_sms[0].committee, "cls-bankass");
    assert_eq!(awa_sms[0].not_before, night + TimeDelta::seconds(30));
}
