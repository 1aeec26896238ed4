//! Editing a committees file: the change lands where it was meant, comments survive, and
//! anything that would make the file invalid is refused with the reason.

mod support;

use support::{COMMITTEES, hierarchy};
use vigie_delivery::{
    Channel, CommitteeEdit, CommitteeKind, EditError, NewCommittee, NewMember, edit_committees,
};
use vigie_domain::WarningLevel;

fn member(id: &str, phone: Option<&str>) -> NewMember {
    NewMember {
        id: id.to_owned(),
        name: format!("Membre {id}"),
        phone: phone.map(str::to_owned),
        email: None,
        channels: vec![Channel::Sms],
        language: None,
    }
}

fn add_member(committee: &str, new: NewMember) -> CommitteeEdit {
    CommitteeEdit::AddMember {
        committee: committee.to_owned(),
        member: new,
    }
}

fn members_of(text: &str, committee: &str) -> Vec<String> {
    let committees = vigie_delivery::Committees::from_toml(text, &hierarchy()).unwrap();
    committees
        .get(committee)
        .unwrap()
        .members
        .iter()
        .map(|known| known.id.clone())
        .collect()
}

#[test]
fn a_member_added_to_a_committee_in_the_middle_of_the_file_lands_under_it() {
    let commented = format!("# Comités de l'exemple\n{COMMITTEES}");
    for committee in ["crs-mopti", "cls-bankass", "ccs-segue", "corridor-seno"] {
        let (text, committees) = edit_committees(
            &commented,
            &add_member(committee, member("nouveau", Some("+44 7700 900099"))),
            &hierarchy(),
        )
        .unwrap();
        assert!(text.starts_with("# Comités de l'exemple\n"), "{text}");
        let holders: Vec<&str> = committees
            .committees()
            .iter()
            .filter(|known| known.members.iter().any(|m| m.id == "nouveau"))
            .map(|known| known.id.as_str())
            .collect();
        assert_eq!(holders, vec![committee], "{text}");
        // Every other member stayed where they were.
        assert_eq!(
            members_of(&text, "crs-mopti")
                .into_iter()
                .filter(|id| id != "nouveau")
                .collect::<Vec<_>>(),
            vec!["awa", "john"]
        );
        assert_eq!(committees.committees().len(), 5);
        // And the text reads back the same after a second, unrelated edit.
        let (again, _) = edit_committees(
            &text,
            &add_member("ccs-ouonkoro", member("second", Some("+44 7700 900098"))),
            &hierarchy(),
        )
        .unwrap();
        assert_eq!(
            members_of(&again, "ccs-ouonkoro"),
            vec!["fatoumata", "second"]
        );
        assert!(members_of(&again, committee).contains(&"nouveau".to_owned()));
    }
}

#[test]
fn a_committee_can_be_added_then_given_members_and_removed() {
    let (text, committees) = edit_committees(
        COMMITTEES,
        &CommitteeEdit::AddCommittee(NewCommittee {
            id: "ccs-bankass".into(),
            name: "CCS Bankass".into(),
            kind: CommitteeKind::Communal,
            zones: vec!["ML050301".into()],
            min_level: Some(WarningLevel::Alerte),
            language: None,
            quiet_hours: Some("22:00-06:00".into()),
            members: vec![member("ali", Some("+44 7700 900050"))],
        }),
        &hierarchy(),
    )
    .unwrap();
    let added = committees.get("ccs-bankass").unwrap();
    assert_eq!(added.min_level, WarningLevel::Alerte);
    assert_eq!(members_of(&text, "ccs-bankass"), vec!["ali"]);
    let (text, _) = edit_committees(
        &text,
        &add_member("ccs-bankass", member("binta", Some("+44 7700 900051"))),
        &hierarchy(),
    )
    .unwrap();
    assert_eq!(members_of(&text, "ccs-bankass"), vec!["ali", "binta"]);
    let (text, committees) = edit_committees(
        &text,
        &CommitteeEdit::RemoveCommittee {
            committee: "cls-bankass".into(),
        },
        &hierarchy(),
    )
    .unwrap();
    assert!(committees.get("cls-bankass").is_none());
    assert!(!text.contains("Moussa"), "its members go with it");
    assert_eq!(members_of(&text, "ccs-bankass"), vec!["ali", "binta"]);
    // The last member cannot leave: a committee without members is refused.
    let error = edit_committees(
        COMMITTEES,
        &CommitteeEdit::RemoveMember {
            committee: "ccs-segue".into(),
            member: "hamadoun".into(),
        },
        &hierarchy(),
    )
    .unwrap_err();
    assert!(matches!(error, EditError::Invalid(_)), "{error}");
}

#[test]
fn removing_a_member_and_changing_zones() {
    let (text, _) = edit_committees(
        COMMITTEES,
        &CommitteeEdit::RemoveMember {
            committee: "crs-mopti".into(),
            member: "awa".into(),
        },
        &hierarchy(),
    )
    .unwrap();
    assert_eq!(members_of(&text, "crs-mopti"), vec!["john"]);
    let (_, committees) = edit_committees(
        &text,
        &CommitteeEdit::SetZones {
            committee: "ccs-segue".into(),
            zones: vec!["ML050309".into(), "ML050308".into()],
        },
        &hierarchy(),
    )
    .unwrap();
    assert_eq!(committees.get("ccs-segue").unwrap().zones.len(), 2);
}

#[test]
fn edits_that_would_break_the_file_are_refused_with_the_reason() {
    let refused = |edit: CommitteeEdit| edit_committees(COMMITTEES, &edit, &hierarchy());
    assert!(matches!(
        refused(add_member("nobody", member("x", Some("+44 7700 900011")))),
        Err(EditError::UnknownCommittee(id)) if id == "nobody"
    ));
    assert!(matches!(
        refused(add_member(
            "crs-mopti",
            member("awa", Some("+44 7700 900001"))
        )),
        Err(EditError::MemberExists { .. })
    ));
    // SMS without a phone number.
    let error = refused(add_member("cls-bankass", member("sans-numero", None))).unwrap_err();
    assert!(matches!(error, EditError::Invalid(_)), "{error}");
    assert!(error.to_string().contains("sans-numero"), "{error}");
    // The same person with different details on two committees.
    let error = refused(add_member(
        "cls-bankass",
        member("awa", Some("+44 7700 900077")),
    ))
    .unwrap_err();
    assert!(matches!(error, EditError::Invalid(_)), "{error}");
    // A zone the geography does not know.
    let error = refused(CommitteeEdit::SetZones {
        committee: "ccs-segue".into(),
        zones: vec!["ML999999".into()],
    })
    .unwrap_err();
    assert!(error.to_string().contains("ML999999"), "{error}");
    assert!(matches!(
        refused(CommitteeEdit::RemoveMember {
            committee: "crs-mopti".into(),
            member: "moussa".into()
        }),
        Err(EditError::UnknownMember { .. })
    ));
    assert!(matches!(
        edit_committees(
            "not = [valid",
            &CommitteeEdit::RemoveCommittee {
                committee: "x".into()
            },
            &hierarchy()
        ),
        Err(EditError::Unreadable(_))
    ));
}
