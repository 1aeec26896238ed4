//! Changes to a committees file made by the admin commands, as text-to-text functions.
//!
//! The committees file stays the one source of truth (reviewed, versioned, commented by the
//! people who run the committees), so the admin tools edit that file rather than a shadow
//! copy in the database. An edit keeps every comment and the layout of the untouched parts,
//! and [`edit_committees`] only returns a text that reads back as a valid [`Committees`]
//! holding exactly the change asked for: a typo in a zone, a member without an address for
//! their channel, or a person whose details disagree between two committees is refused
//! before anything is written.

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};
use vigie_domain::WarningLevel;
use vigie_domain::sms::Language;

use crate::committees::{Channel, CommitteeKind, Committees};
use crate::error::CommitteesError;
use crate::zones::ZoneHierarchy;

/// A committee to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCommittee {
    /// Stable id (lowercase letters, digits, `-`, `_`, `.`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its tier.
    pub kind: CommitteeKind,
    /// P-codes or corridor ids.
    pub zones: Vec<String>,
    /// The lowest level it hears about (the file's default when absent).
    pub min_level: Option<WarningLevel>,
    /// Its language (French when absent).
    pub language: Option<Language>,
    /// `"22:00-06:00"`: non-urgent messages wait for its end.
    pub quiet_hours: Option<String>,
    /// Its first members (a committee needs at least one).
    pub members: Vec<NewMember>,
}

/// A member to add to a committee.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMember {
    /// Stable id, the same on every committee the person sits on.
    pub id: String,
    /// Display name.
    pub name: String,
    /// International number, needed for SMS.
    pub phone: Option<String>,
    /// Address, needed for email.
    pub email: Option<String>,
    /// The channels the person is reached on.
    pub channels: Vec<Channel>,
    /// Overrides the committee's language.
    pub language: Option<Language>,
}

/// One change to a committees file.
#[derive(Debug, Clone, PartialEq)]
pub enum CommitteeEdit {
    /// Appends a committee with its first members at the end of the file.
    AddCommittee(NewCommittee),
    /// Removes a committee and its members.
    RemoveCommittee {
        /// The committee's id.
        committee: String,
    },
    /// Replaces the zones a committee covers.
    SetZones {
        /// The committee's id.
        committee: String,
        /// P-codes or corridor ids.
        zones: Vec<String>,
    },
    /// Adds a member after the committee's last one.
    AddMember {
        /// The committee's id.
        committee: String,
        /// Who joins.
        member: NewMember,
    },
    /// Removes a member from one committee (their other committees keep them).
    RemoveMember {
        /// The committee's id.
        committee: String,
        /// The member's id.
        member: String,
    },
}

/// Why an edit was refused. Nothing is written when one is returned; each message names
/// the committee or member concerned.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // the messages document the variants
pub enum EditError {
    #[error("the committees file cannot be edited: {0}")]
    Unreadable(String),
    #[error("there is no committee \"{0}\" in the file")]
    UnknownCommittee(String),
    #[error("committee \"{0}\" already exists")]
    CommitteeExists(String),
    #[error("committee \"{committee}\" has no member \"{member}\"")]
    UnknownMember { committee: String, member: String },
    #[error("committee \"{committee}\" already has a member \"{member}\"")]
    MemberExists { committee: String, member: String },
    #[error("the file would no longer be valid: {0}")]
    Invalid(#[from] CommitteesError),
}

/// Applies `edit` to the text of a committees file and returns the new text with the
/// committees it defines. Comments and untouched entries are kept as they were.
///
/// ```
/// # use vigie_domain::{Zone, ZoneId, ZoneLevel, ZoneSet};
/// # use geo_types::MultiPolygon;
/// # let zone = |id: &str, parent: Option<&str>, level| Zone { id: ZoneId::new(id).unwrap(),
/// #     name: id.into(), level, parent: parent.map(|p| ZoneId::new(p).unwrap()),
/// #     geometry: MultiPolygon(vec![]) };
/// # let zones = ZoneSet { name: "t".into(), attribution: String::new(),
/// #     regions: vec![zone("ML05", None, ZoneLevel::Region)],
/// #     cercles: vec![zone("ML0503", Some("ML05"), ZoneLevel::Cercle)],
/// #     communes: vec![], corridors: vec![] };
/// use vigie_delivery::{CommitteeEdit, ZoneHierarchy, edit_committees};
/// let file = "# Mopti\n[[committee]]\nid = \"crs-mopti\"\nname = \"CRS Mopti\"\n\
///             kind = \"regional\"\nzones = [\"ML05\"]\n\n[[committee.member]]\nid = \"awa\"\n\
///             name = \"Awa\"\nemail = \"awa@example.org\"\nchannels = [\"email\"]\n";
/// let (text, committees) = edit_committees(
///     file,
///     &CommitteeEdit::SetZones { committee: "crs-mopti".into(), zones: vec!["ML0503".into()] },
///     &ZoneHierarchy::from_zone_set(&zones),
/// ).unwrap();
/// assert!(text.starts_with("# Mopti\n"));
/// assert_eq!(committees.get("crs-mopti").unwrap().zones.len(), 1);
/// ```
pub fn edit_committees(
    text: &str,
    edit: &CommitteeEdit,
    zones: &ZoneHierarchy,
) -> Result<(String, Committees), EditError> {
    let mut document: DocumentMut = text
        .parse()
        .map_err(|error: toml_edit::TomlError| EditError::Unreadable(error.to_string()))?;
    match edit {
        CommitteeEdit::AddCommittee(committee) => add_committee(&mut document, committee)?,
        CommitteeEdit::RemoveCommittee { committee } => {
            let list = committee_list(&mut document)?;
            let index = position_of(list, committee)?;
            list.remove(index);
        }
        CommitteeEdit::SetZones { committee, zones } => {
            let list = committee_list(&mut document)?;
            let index = position_of(list, committee)?;
            let table = list.get_mut(index).expect("the index was just found");
            table["zones"] = value(string_array(zones));
        }
        CommitteeEdit::AddMember { committee, member } => {
            add_member(&mut document, committee, member)?
        }
        CommitteeEdit::RemoveMember { committee, member } => {
            let list = committee_list(&mut document)?;
            let index = position_of(list, committee)?;
            let table = list.get_mut(index).expect("the index was just found");
            let members = table
                .get_mut("member")
                .and_then(Item::as_array_of_tables_mut);
            let found = members.as_ref().and_then(|members| {
                members
                    .iter()
                    .position(|table| id_of(table) == Some(member.as_str()))
            });
            match (members, found) {
                (Some(members), Some(position)) => {
                    members.remove(position);
                }
                _ => {
                    return Err(EditError::UnknownMember {
                        committee: committee.clone(),
                        member: member.clone(),
                    });
                }
            }
        }
    }
    let edited = document.to_string();
    let committees = Committees::from_toml(&edited, zones)?;
    check_outcome(edit, &committees)?;
    Ok((edited, committees))
}

/// Reads the edited file back and checks it says what the edit meant: toml_edit places new
/// tables by their position in the document, and a member table landing under the wrong
/// committee would be a silent, dangerous mistake.
fn check_outcome(edit: &CommitteeEdit, committees: &Committees) -> Result<(), EditError> {
    let misplaced = |what: String| {
        Err(EditError::Unreadable(format!(
            "the edited file does not read back as expected ({what})"
        )))
    };
    match edit {
        CommitteeEdit::AddCommittee(committee) if committees.get(&committee.id).is_none() => {
            misplaced(format!("committee {} missing", committee.id))
        }
        CommitteeEdit::RemoveCommittee { committee } if committees.get(committee).is_some() => {
            misplaced(format!("committee {committee} still present"))
        }
        CommitteeEdit::AddMember { committee, member } => {
            let holders: Vec<&str> = committees
                .committees()
                .iter()
                .filter(|candidate| candidate.members.iter().any(|known| known.id == member.id))
                .map(|candidate| candidate.id.as_str())
                .collect();
            if holders.contains(&committee.as_str()) {
                Ok(())
            } else {
                misplaced(format!("member {} not under {committee}", member.id))
            }
        }
        CommitteeEdit::RemoveMember { committee, member }
            if committees
                .get(committee)
                .is_some_and(|found| found.members.iter().any(|known| &known.id == member)) =>
        {
            misplaced(format!("member {member} still under {committee}"))
        }
        _ => Ok(()),
    }
}

fn committee_list(document: &mut DocumentMut) -> Result<&mut ArrayOfTables, EditError> {
    document
        .get_mut("committee")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or_else(|| EditError::Unreadable("it has no [[committee]] tables".to_owned()))
}

fn id_of(table: &Table) -> Option<&str> {
    table.get("id").and_then(Item::as_str)
}

fn position_of(list: &ArrayOfTables, committee: &str) -> Result<usize, EditError> {
    list.iter()
        .position(|table| id_of(table) == Some(committee))
        .ok_or_else(|| EditError::UnknownCommittee(committee.to_owned()))
}

fn string_array(items: &[String]) -> Array {
    items.iter().map(String::as_str).collect()
}

/// The largest table position used in the document, so new tables can be placed after it.
fn last_position(table: &Table) -> isize {
    let mut last = table.position().unwrap_or(0);
    for (_, item) in table.iter() {
        match item {
            Item::Table(inner) => last = last.max(last_position(inner)),
            Item::ArrayOfTables(list) => {
                for inner in list.iter() {
                    last = last.max(last_position(inner));
                }
            }
            _ => {}
        }
    }
    last
}

fn add_committee(document: &mut DocumentMut, committee: &NewCommittee) -> Result<(), EditError> {
    let after = last_position(document.as_table());
    if document.get("committee").is_none() {
        document.insert("committee", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let list = committee_list(document)?;
    if position_of(list, &committee.id).is_ok() {
        return Err(EditError::CommitteeExists(committee.id.clone()));
    }
    let mut table = Table::new();
    table.set_position(Some(after + 1));
    table["id"] = value(committee.id.as_str());
    table["name"] = value(committee.name.as_str());
    table["kind"] = value(committee.kind.as_str());
    table["zones"] = value(string_array(&committee.zones));
    if let Some(level) = committee.min_level {
        table["min_level"] = value(level.as_str());
    }
    if let Some(language) = committee.language {
        table["language"] = value(language.code());
    }
    if let Some(hours) = &committee.quiet_hours {
        table["quiet_hours"] = value(hours.as_str());
    }
    list.push(table);
    for member in &committee.members {
        add_member(document, &committee.id, member)?;
    }
    Ok(())
}

fn add_member(
    document: &mut DocumentMut,
    committee: &str,
    member: &NewMember,
) -> Result<(), EditError> {
    let list = committee_list(document)?;
    let index = position_of(list, committee)?;
    let table = list.get_mut(index).expect("the index was just found");
    // The new member goes right after the committee's last table; the tables that follow
    // (later committees and their members) move one place down so nothing is interleaved.
    let after = last_position(table);
    let members_exist = table
        .get("member")
        .and_then(Item::as_array_of_tables)
        .is_some_and(|members| members.iter().any(|known| id_of(known) == Some(&member.id)));
    if members_exist {
        return Err(EditError::MemberExists {
            committee: committee.to_owned(),
            member: member.id.clone(),
        });
    }
    shift_positions(document.as_table_mut(), after);
    let list = committee_list(document)?;
    let table = list.get_mut(index).expect("the index was just found");
    let mut entry = Table::new();
    entry.set_position(Some(after + 1));
    entry["id"] = value(member.id.as_str());
    entry["name"] = value(member.name.as_str());
    if let Some(phone) = &member.phone {
        entry["phone"] = value(phone.as_str());
    }
    if let Some(email) = &member.email {
        entry["email"] = value(email.as_str());
    }
    entry["channels"] = value(
        member
            .channels
            .iter()
            .map(|channel| channel.as_str())
            .collect::<Array>(),
    );
    if let Some(language) = member.language {
        entry["language"] = value(language.code());
    }
    match table.get_mut("member") {
        Some(Item::ArrayOfTables(members)) => members.push(entry),
        Some(_) => {
            return Err(EditError::Unreadable(format!(
                "committee \"{committee}\" has a `member` key that is not a [[committee.member]] list"
            )));
        }
        None => {
            let mut members = ArrayOfTables::new();
            members.push(entry);
            table.insert("member", Item::ArrayOfTables(members));
        }
    }
    Ok(())
}

/// Moves every table placed after `after` one position down.
fn shift_positions(table: &mut Table, after: isize) {
    if let Some(position) = table.position()
        && position > after
    {
        table.set_position(Some(position + 1));
    }
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(inner) => shift_positions(inner, after),
            Item::ArrayOfTables(list) => {
                for inner in list.iter_mut() {
                    shift_positions(inner, after);
                }
            }
            _ => {}
        }
    }
}
