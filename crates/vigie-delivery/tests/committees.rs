//! The committees file: the shipped example is valid against the real Mali zones, and every
//! mistake is refused with the committee, the member and the key named.

mod support;

use chrono::TimeDelta;
use support::*;
use vigie_delivery::{
    Channel, CommitteeKind, Committees, CommitteesError, DEFAULT_GROUP_TIMING,
    EXAMPLE_COMMITTEES_TOML, ZoneHierarchy,
};
use vigie_domain::WarningLevel;

#[test]
fn the_shipped_committees_file_is_valid_against_the_mali_zones() {
    let hierarchy = ZoneHierarchy::from_zone_set(&mali());
    let committees = Committees::from_toml(EXAMPLE_COMMITTEES_TOML, &hierarchy).unwrap();
    let ids: Vec<&str> = committees
        .committees()
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, ["crs-mopti", "cls-bankass", "ccs-ouonkoro"]);
    let regional = committees.get("crs-mopti").unwrap();
    assert_eq!(regional.kind, CommitteeKind::Regional);
    assert_eq!(regional.min_level, WarningLevel::Alerte);
    assert_eq!(regional.quiet_hours.unwrap().to_string(), "22:00-06:00");
    assert_eq!(regional.timing.email.group_interval, TimeDelta::minutes(2));
    assert_eq!(regional.timing.sms, DEFAULT_GROUP_TIMING);
    // The Mopti region covers the commune of Ouonkoro through the hierarchy.
    assert!(regional.covers(&id("ML050308"), &hierarchy));
    assert!(
        !committees
            .get("ccs-ouonkoro")
            .unwrap()
            .covers(&id("ML050309"), &hierarchy)
    );
    let bankass = committees.get("cls-bankass").unwrap();
    assert_eq!(bankass.timing.sms.group_wait, TimeDelta::seconds(30));
    assert_eq!(bankass.members[1].phone.as_deref(), Some("+447700900001"));
    let ouonkoro = committees.get("ccs-ouonkoro").unwrap();
    assert_eq!(ouonkoro.storm_guard.capacity, 5);
    assert_eq!(ouonkoro.members[0].channels, [Channel::Sms, Channel::Email]);
}

fn refuse(text: &str) -> CommitteesError {
    Committees::from_toml(text, &hierarchy()).expect_err("the file should be refused")
}

const ONE: &str = r#"
[[committee]]
id = "ccs-ouonkoro"
name = "CCS Ouonkoro"
kind = "communal"
zones = ["ML050308"]

[[committee.member]]
id = "fatoumata"
name = "Fatoumata"
phone = "+44 7700 900003"
channels = ["sms"]
"#;

fn invalid(member: Option<&str>, key: &str) -> impl Fn(&CommitteesError) -> bool {
    let member = member.map(str::to_owned);
    let key = key.to_owned();
    move |error| {
        matches!(error, CommitteesError::Invalid { committee, member: found, key: found_key, .. }
            if committee == "ccs-ouonkoro" && *found == member && *found_key == key)
    }
}

#[test]
fn the_minimal_committee_is_valid_with_the_built_in_defaults() {
    let committees = Committees::from_toml(ONE, &hierarchy()).unwrap();
    let committee = &committees.committees()[0];
    assert_eq!(committee.min_level, WarningLevel::Vigilance);
    assert_eq!(committee.language, vigie_domain::sms::Language::French);
    assert_eq!(committee.quiet_hours, None);
    assert_eq!(committee.timing.sms, DEFAULT_GROUP_TIMING);
}

#[test]
fn an_unknown_committee_key_names_the_committee_and_the_key() {
    let error = refuse(&ONE.replace("kind = \"communal\"", "kind = \"communal\"\nlevel = 2"));
    let text = error.to_string();
    assert!(text.starts_with("committee \"ccs-ouonkoro\": "), "{text}");
    assert!(text.contains("level"), "{text}");
}

#[test]
fn an_unknown_member_key_names_the_committee_the_member_and_the_key() {
    let error = refuse(&ONE.replace(
        "channels = [\"sms\"]",
        "channels = [\"sms\"]\nwhatsapp = \"yes\"",
    ));
    let text = error.to_string();
    assert!(
        text.starts_with("committee \"ccs-ouonkoro\", member \"fatoumata\": "),
        "{text}"
    );
    assert!(text.contains("whatsapp"), "{text}");
    // Without an id, the member is named by its position.
    let error = refuse(&ONE.replace("id = \"fatoumata\"\n", ""));
    assert!(error.to_string().contains("member \"#1\""), "{error}");
}

#[test]
fn a_bad_phone_number_is_refused_without_echoing_it() {
    let error = refuse(&ONE.replace("+44 7700 900003", "+223 00 00 00 01"));
    assert!(invalid(Some("fatoumata"), "phone")(&error), "{error:?}");
    assert!(!error.to_string().contains("00 00 00 01"), "{error}");
}

#[test]
fn a_bad_email_is_refused() {
    let error = refuse(&ONE.replace(
        "channels = [\"sms\"]",
        "email = \"fatoumata@example\"\nchannels = [\"sms\"]",
    ));
    assert!(invalid(Some("fatoumata"), "email")(&error), "{error:?}");
}

#[test]
fn a_channel_without_its_address_is_refused() {
    let error = refuse(&ONE.replace("channels = [\"sms\"]", "channels = [\"sms\", \"email\"]"));
    assert!(invalid(Some("fatoumata"), "channels")(&error), "{error:?}");
    assert!(error.to_string().contains("no email"), "{error}");
}

#[test]
fn unknown_zones_and_zones_too_large_for_the_kind_are_refused() {
    let error = refuse(&ONE.replace("[\"ML050308\"]", "[\"ML059999\"]"));
    assert!(invalid(None, "zones")(&error), "{error:?}");
    assert!(error.to_string().contains("ML059999"), "{error}");
    let error = refuse(&ONE.replace("[\"ML050308\"]", "[\"ML0503\"]"));
    assert!(invalid(None, "zones")(&error), "{error:?}");
    assert!(error.to_string().contains("too large"), "{error}");
    // A communal committee may add a corridor.
    assert!(
        Committees::from_toml(
            &ONE.replace("[\"ML050308\"]", "[\"ML050308\", \"TR07\"]"),
            &hierarchy()
        )
        .is_ok()
    );
}

#[test]
fn bad_quiet_hours_and_durations_name_their_key() {
    let error = refuse(&ONE.replace(
        "zones = [\"ML050308\"]",
        "zones = [\"ML050308\"]\nquiet_hours = \"22h-6h\"",
    ));
    assert!(invalid(None, "quiet_hours")(&error), "{error:?}");
    let error = refuse(&ONE.replace(
        "zones = [\"ML050308\"]",
        "zones = [\"ML050308\"]\ngrouping = { sms = { group_wait = \"soon\" } }",
    ));
    assert!(
        invalid(None, "grouping.sms.group_wait")(&error),
        "{error:?}"
    );
    let error = refuse(&ONE.replace(
        "zones = [\"ML050308\"]",
        "zones = [\"ML050308\"]\nstorm_guard = { capacity = 0 }",
    ));
    assert!(invalid(None, "storm_guard.capacity")(&error), "{error:?}");
    let error = refuse(&format!(
        "[defaults.grouping]\nrepeat_interval = \"forever\"\n{ONE}"
    ));
    assert!(
        matches!(&error, CommitteesError::Defaults { message } if message.contains("grouping.repeat_interval")),
        "{error:?}"
    );
}

#[test]
fn duplicates_and_one_person_under_two_faces_are_refused() {
    let error = refuse(&format!("{ONE}{ONE}"));
    assert_eq!(
        error,
        CommitteesError::DuplicateCommittee("ccs-ouonkoro".into())
    );
    let second = ONE
        .replace("ccs-ouonkoro", "ccs-segue")
        .replace("ML050308", "ML050309");
    // Same id, another phone: one id is one person.
    let error = refuse(&format!("{ONE}{}", second.replace("900003", "900009")));
    assert!(
        matches!(&error, CommitteesError::Invalid { committee, member: Some(member), key, .. }
            if committee == "ccs-segue" && member == "fatoumata" && key == "phone"),
        "{error:?}"
    );
    // Same phone under another id.
    let error = refuse(&format!("{ONE}{}", second.replace("fatoumata", "fanta")));
    assert!(
        matches!(&error, CommitteesError::Invalid { member: Some(member), key, .. }
            if member == "fanta" && key == "phone"),
        "{error:?}"
    );
    // The same person, identical, on both: fine.
    assert!(Committees::from_toml(&format!("{ONE}{second}"), &hierarchy()).is_ok());
}

#[test]
fn structural_mistakes_are_refused() {
    assert_eq!(refuse(""), CommitteesError::Empty);
    assert!(matches!(
        refuse("[[committees]]\nid = \"x\""),
        CommitteesError::Syntax(_)
    ));
    let error = refuse(&ONE.replace("kind = \"communal\"", "kind = \"village\""));
    assert!(
        matches!(&error, CommitteesError::Unreadable { committee, member: None, .. } if committee == "ccs-ouonkoro"),
        "{error:?}"
    );
    let error = refuse(&ONE.replace("id = \"ccs-ouonkoro\"", "id = \"CCS Ouonkoro\""));
    assert!(
        matches!(&error, CommitteesError::Invalid { key, .. } if key == "id"),
        "{error:?}"
    );
    let without_members = ONE.split("[[committee.member]]").next().unwrap().to_owned();
    let error = refuse(&without_members);
    assert!(invalid(None, "member")(&error), "{error:?}");
}
