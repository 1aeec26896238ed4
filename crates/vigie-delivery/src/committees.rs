//! The committees file (`config/committees.toml`): who is warned about which zones, how,
//! in which language and when. Read from text and validated once, against the reference
//! geography; the binary reads the file and adds its path to any error.

use std::collections::{BTreeSet, HashMap};

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use vigie_domain::sms::Language;
use vigie_domain::{WarningLevel, ZoneId, ZoneLevel, normalize_phone};

use crate::error::CommitteesError;
use crate::grouping::GroupTiming;
use crate::storm::StormGuard;
use crate::time::{QuietHours, parse_duration};
use crate::zones::ZoneHierarchy;

/// The example committees file shipped in `config/committees.toml` (fake numbers and
/// addresses only).
pub const EXAMPLE_COMMITTEES_TOML: &str = include_str!("../../../config/committees.toml");

/// How a message reaches a member: the domain's channel, shared with the outbox.
pub use vigie_domain::Channel;

/// The tier of a consultative security committee. It bounds the zones it may list: a
/// communal committee lists communes, a cercle committee cercles or communes, a regional
/// committee any administrative zone; each may add corridors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommitteeKind {
    /// A regional committee (CRS).
    Regional,
    /// A cercle (local) committee (CLS).
    Cercle,
    /// A communal committee (CCS).
    Communal,
}

impl CommitteeKind {
    /// The name the committees file uses: `regional`, `cercle` or `communal`.
    pub fn as_str(self) -> &'static str {
        match self {
            CommitteeKind::Regional => "regional",
            CommitteeKind::Cercle => "cercle",
            CommitteeKind::Communal => "communal",
        }
    }

    fn allows(self, level: ZoneLevel) -> bool {
        match self {
            CommitteeKind::Regional => true,
            CommitteeKind::Cercle => level != ZoneLevel::Region,
            CommitteeKind::Communal => matches!(level, ZoneLevel::Commune | ZoneLevel::Corridor),
        }
    }
}

/// Grouping timings per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelTimings {
    /// For SMS.
    pub sms: GroupTiming,
    /// For email.
    pub email: GroupTiming,
}

impl ChannelTimings {
    /// The timing of one channel.
    pub fn of(&self, channel: Channel) -> &GroupTiming {
        match channel {
            Channel::Sms => &self.sms,
            Channel::Email => &self.email,
        }
    }
}

/// A member of a committee, validated: a phone number in E.164 form, a plausible email
/// address, and an address for every channel they want.
///
/// A person who sits on several committees is listed under each with the same id and the
/// same name, phone and email; their channels and language may differ per committee. Their
/// id is their identity as a recipient: one transition reaches them once per channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Stable id (lowercase letters, digits, `-`, `_`, `.`), unique to the person.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Phone in E.164 form (`+223…`), as [`normalize_phone`] writes it.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// The channels they want, without repetition, in [`Channel::ALL`] order.
    pub channels: Vec<Channel>,
    /// Their language, when it differs from the committee's.
    pub language: Option<Language>,
}

impl Member {
    /// The address to use on `channel`, if they have one.
    pub fn address(&self, channel: Channel) -> Option<&str> {
        match channel {
            Channel::Sms => self.phone.as_deref(),
            Channel::Email => self.email.as_deref(),
        }
    }
}

/// A committee, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Committee {
    /// Stable id (lowercase letters, digits, `-`, `_`, `.`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its tier.
    pub kind: CommitteeKind,
    /// The zones it covers (P-codes of regions, cercles, communes; corridor ids), each known
    /// to the reference geography. A zone covers everything inside it.
    pub zones: BTreeSet<ZoneId>,
    /// The lowest level it wants to hear about.
    pub min_level: WarningLevel,
    /// Its language for members without their own.
    pub language: Language,
    /// When non-urgent messages wait (Bamako time, which is UTC).
    pub quiet_hours: Option<QuietHours>,
    /// Grouping timings per channel.
    pub timing: ChannelTimings,
    /// Per-recipient storm guard.
    pub storm_guard: StormGuard,
    /// Its members, in file order.
    pub members: Vec<Member>,
}

impl Committee {
    /// Whether a transition in `zone` concerns this committee: it lists the zone or a zone
    /// that contains it (corridors only by their own id).
    pub fn covers(&self, zone: &ZoneId, zones: &ZoneHierarchy) -> bool {
        zones
            .ancestry(zone)
            .into_iter()
            .any(|candidate| self.zones.contains(candidate))
    }

    /// The language a member reads.
    pub fn language_of(&self, member: &Member) -> Language {
        member.language.unwrap_or(self.language)
    }
}

/// Every committee of a committees file, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Committees {
    committees: Vec<Committee>,
}

impl Committees {
    /// Reads and validates a committees file's text against the reference geography.
    ///
    /// ```
    /// # use vigie_domain::ZoneSet;
    /// # let zones = ZoneSet { name: "none".into(), attribution: String::new(),
    /// #     regions: vec![], cercles: vec![], communes: vec![], corridors: vec![] };
    /// use vigie_delivery::{Committees, ZoneHierarchy};
    /// let error = Committees::from_toml(r#"
    ///     [[committee]]
    ///     id = "mopti"
    ///     name = "Comité régional de Mopti"
    ///     kind = "regional"
    ///     zones = ["ML05"]
    /// "#, &ZoneHierarchy::from_zone_set(&zones)).unwrap_err();
    /// assert_eq!(error.to_string(),
    ///     "committee \"mopti\": key `zones`: \"ML05\" is not a zone of the reference geography");
    /// ```
    pub fn from_toml(text: &str, zones: &ZoneHierarchy) -> Result<Committees, CommitteesError> {
        let file: RawFile = toml::from_str(text).map_err(|error| {
            CommitteesError::Syntax(
                error.message().trim().to_owned() + &line_hint(text, error.span()),
            )
        })?;
        let defaults: RawDefaults =
            match file.defaults {
                Some(value) => value.try_into().map_err(|error: toml::de::Error| {
                    CommitteesError::Defaults {
                        message: error.message().trim().to_owned(),
                    }
                })?,
                None => RawDefaults::default(),
            };
        let defaults = Defaults::from_raw(defaults)?;
        if file.committee.is_empty() {
            return Err(CommitteesError::Empty);
        }
        let mut committees: Vec<Committee> = Vec::with_capacity(file.committee.len());
        for (position, value) in file.committee.into_iter().enumerate() {
            let name = name_of(&value, position);
            let raw: RawCommittee =
                value
                    .try_into()
                    .map_err(|error: toml::de::Error| CommitteesError::Unreadable {
                        committee: name.clone(),
                        member: None,
                        message: error.message().trim().to_owned(),
                    })?;
            let committee = raw.validate(&defaults, zones)?;
            if committees.iter().any(|known| known.id == committee.id) {
                return Err(CommitteesError::DuplicateCommittee(committee.id));
            }
            committees.push(committee);
        }
        check_people(&committees)?;
        Ok(Committees { committees })
    }

    /// The committees, in file order.
    pub fn committees(&self) -> &[Committee] {
        &self.committees
    }

    /// The committee with this id.
    pub fn get(&self, id: &str) -> Option<&Committee> {
        self.committees.iter().find(|committee| committee.id == id)
    }
}

fn name_of(value: &toml::Value, position: usize) -> String {
    value
        .get("id")
        .and_then(toml::Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("#{}", position + 1))
}

fn line_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

/// One person listed twice must be the same person: same name and contacts; and one phone
/// or email must not belong to two ids (the recipient would be counted twice).
fn check_people(committees: &[Committee]) -> Result<(), CommitteesError> {
    let mut people: HashMap<&str, (&str, &Member)> = HashMap::new();
    let mut owners: HashMap<(Channel, &str), &str> = HashMap::new();
    for committee in committees {
        for member in &committee.members {
            let invalid = |key: &str, reason: String| CommitteesError::Invalid {
                committee: committee.id.clone(),
                member: Some(member.id.clone()),
                key: key.to_owned(),
                reason,
            };
            if let Some((first_committee, first)) = people.get(member.id.as_str()) {
                for (key, same) in [
                    ("name", first.name == member.name),
                    ("phone", first.phone == member.phone),
                    ("email", first.email == member.email),
                ] {
                    if !same {
                        return Err(invalid(
                            key,
                            format!(
                                "differs from the same member in committee {first_committee:?}: \
                                 one id is one person"
                            ),
                        ));
                    }
                }
            } else {
                people.insert(&member.id, (&committee.id, member));
            }
            for &channel in Channel::ALL {
                let Some(address) = member.address(channel) else {
                    continue;
                };
                let owner = *owners.entry((channel, address)).or_insert(&member.id);
                if owner != member.id {
                    let key = match channel {
                        Channel::Sms => "phone",
                        Channel::Email => "email",
                    };
                    return Err(invalid(
                        key,
                        format!(
                            "is already the {key} of member {owner:?}: list one person under one id"
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Built-in grouping timings: one minute to gather a burst (so that communes opening within a
/// minute share a message), five minutes between messages, a reminder a day.
pub const DEFAULT_GROUP_TIMING: GroupTiming = GroupTiming {
    group_wait: TimeDelta::seconds(60),
    group_interval: TimeDelta::minutes(5),
    repeat_interval: TimeDelta::hours(24),
};

/// Built-in storm guard: a burst of 10 messages, then 6 an hour.
pub const DEFAULT_STORM_GUARD: StormGuard = StormGuard {
    capacity: 10,
    refill_per_hour: 6,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    defaults: Option<toml::Value>,
    #[serde(default)]
    committee: Vec<toml::Value>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiming {
    group_wait: Option<String>,
    group_interval: Option<String>,
    repeat_interval: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrouping {
    group_wait: Option<String>,
    group_interval: Option<String>,
    repeat_interval: Option<String>,
    sms: Option<RawTiming>,
    email: Option<RawTiming>,
}

impl RawGrouping {
    /// The keys that apply to every channel.
    fn common(&self) -> RawTiming {
        RawTiming {
            group_wait: self.group_wait.clone(),
            group_interval: self.group_interval.clone(),
            repeat_interval: self.repeat_interval.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStormGuard {
    capacity: Option<u32>,
    refill_per_hour: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    #[serde(default)]
    grouping: RawGrouping,
    storm_guard: Option<RawStormGuard>,
}

struct Defaults {
    timing: ChannelTimings,
    storm_guard: StormGuard,
}

impl Defaults {
    fn from_raw(raw: RawDefaults) -> Result<Defaults, CommitteesError> {
        let base = ChannelTimings {
            sms: DEFAULT_GROUP_TIMING,
            email: DEFAULT_GROUP_TIMING,
        };
        let timing = resolve_grouping(&raw.grouping, &base).map_err(|(key, reason)| {
            CommitteesError::Defaults {
                message: format!("key `grouping.{key}`: {reason}"),
            }
        })?;
        let storm_guard = resolve_storm_guard(raw.storm_guard, DEFAULT_STORM_GUARD).map_err(
            |(key, reason)| CommitteesError::Defaults {
                message: format!("key `storm_guard.{key}`: {reason}"),
            },
        )?;
        Ok(Defaults {
            timing,
            storm_guard,
        })
    }
}

/// Channel-specific keys win over the committee's common keys, which win over `base`.
fn resolve_grouping(
    raw: &RawGrouping,
    base: &ChannelTimings,
) -> Result<ChannelTimings, (String, String)> {
    let common = raw.common();
    let one = |channel: Channel, specific: &Option<RawTiming>| {
        let mut timing = *base.of(channel);
        for (prefix, layer) in [("", Some(&common)), (channel.as_str(), specific.as_ref())] {
            let Some(layer) = layer else { continue };
            let read = |name: &str, value: &Option<String>, target: &mut TimeDelta| {
                if let Some(text) = value {
                    let key = if prefix.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{prefix}.{name}")
                    };
                    *target = parse_duration(text).map_err(|reason| (key, reason))?;
                }
                Ok::<(), (String, String)>(())
            };
            read("group_wait", &layer.group_wait, &mut timing.group_wait)?;
            read(
                "group_interval",
                &layer.group_interval,
                &mut timing.group_interval,
            )?;
            read(
                "repeat_interval",
                &layer.repeat_interval,
                &mut timing.repeat_interval,
            )?;
        }
        if timing.repeat_interval < timing.group_interval {
            let key = format!("{}.repeat_interval", channel.as_str());
            return Err((
                key,
                "is shorter than group_interval: reminders would outpace news".to_owned(),
            ));
        }
        Ok(timing)
    };
    Ok(ChannelTimings {
        sms: one(Channel::Sms, &raw.sms)?,
        email: one(Channel::Email, &raw.email)?,
    })
}

fn resolve_storm_guard(
    raw: Option<RawStormGuard>,
    base: StormGuard,
) -> Result<StormGuard, (String, String)> {
    let Some(raw) = raw else { return Ok(base) };
    let guard = StormGuard {
        capacity: raw.capacity.unwrap_or(base.capacity),
        refill_per_hour: raw.refill_per_hour.unwrap_or(base.refill_per_hour),
    };
    if guard.capacity == 0 {
        return Err((
            "capacity".to_owned(),
            "must be at least 1: a guard with no token would hold every message".to_owned(),
        ));
    }
    if guard.refill_per_hour == 0 {
        return Err((
            "refill_per_hour".to_owned(),
            "must be at least 1: an empty guard would never refill".to_owned(),
        ));
    }
    Ok(guard)
}

fn default_min_level() -> WarningLevel {
    WarningLevel::Vigilance
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommittee {
    id: String,
    name: String,
    kind: CommitteeKind,
    zones: Vec<String>,
    #[serde(default = "default_min_level")]
    min_level: WarningLevel,
    #[serde(default)]
    language: Language,
    quiet_hours: Option<String>,
    #[serde(default)]
    grouping: RawGrouping,
    storm_guard: Option<RawStormGuard>,
    #[serde(default)]
    member: Vec<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMember {
    id: String,
    name: String,
    phone: Option<String>,
    email: Option<String>,
    channels: Vec<Channel>,
    language: Option<Language>,
}

/// Ids end up in idempotency keys (`…|recipient|channel`) and URLs: keep them plain.
fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 64 {
        return Err("must be 1 to 64 characters".to_owned());
    }
    if !id.chars().all(|character| {
        character.is_ascii_lowercase() || character.is_ascii_digit() || "-_.".contains(character)
    }) {
        return Err(format!(
            "{id:?} may only use lowercase letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

/// A minimal check: one `@`, something before it, a dotted domain after it, no spaces.
fn check_email(email: &str) -> Result<(), String> {
    let refuse = || Err(format!("{email:?} is not an email address"));
    let Some((local, domain)) = email.split_once('@') else {
        return refuse();
    };
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
        || email.len() > 254
        || email
            .chars()
            .any(|character| character.is_whitespace() || character.is_control())
        || email.contains(['<', '>', ',', ';', '"'])
    {
        return refuse();
    }
    Ok(())
}

impl RawCommittee {
    fn validate(
        self,
        defaults: &Defaults,
        zones: &ZoneHierarchy,
    ) -> Result<Committee, CommitteesError> {
        let id = self.id.trim().to_owned();
        let invalid = |key: &str, reason: String| CommitteesError::Invalid {
            committee: id.clone(),
            member: None,
            key: key.to_owned(),
            reason,
        };
        check_id(&id).map_err(|reason| invalid("id", reason))?;
        if self.name.trim().is_empty() {
            return Err(invalid("name", "is empty".to_owned()));
        }
        if self.zones.is_empty() {
            return Err(invalid("zones", "lists no zone".to_owned()));
        }
        let mut covered = BTreeSet::new();
        for text in &self.zones {
            let zone = ZoneId::new(text).map_err(|error| invalid("zones", error.to_string()))?;
            let Some(level) = zones.level(&zone) else {
                return Err(invalid(
                    "zones",
                    format!("{text:?} is not a zone of the reference geography"),
                ));
            };
            if !self.kind.allows(level) {
                return Err(invalid(
                    "zones",
                    format!(
                        "{text:?} is a {level}, too large for a {} committee",
                        match self.kind {
                            CommitteeKind::Regional => "regional",
                            CommitteeKind::Cercle => "cercle",
                            CommitteeKind::Communal => "communal",
                        }
                    ),
                ));
            }
            covered.insert(zone);
        }
        let quiet_hours = self
            .quiet_hours
            .as_deref()
            .map(QuietHours::parse)
            .transpose()
            .map_err(|reason| invalid("quiet_hours", reason))?;
        let timing = resolve_grouping(&self.grouping, &defaults.timing)
            .map_err(|(key, reason)| invalid(&format!("grouping.{key}"), reason))?;
        let storm_guard = resolve_storm_guard(self.storm_guard, defaults.storm_guard)
            .map_err(|(key, reason)| invalid(&format!("storm_guard.{key}"), reason))?;
        if self.member.is_empty() {
            return Err(invalid("member", "the committee has no member".to_owned()));
        }
        let mut members: Vec<Member> = Vec::with_capacity(self.member.len());
        for (position, value) in self.member.into_iter().enumerate() {
            let member_name = name_of(&value, position);
            let raw: RawMember =
                value
                    .try_into()
                    .map_err(|error: toml::de::Error| CommitteesError::Unreadable {
                        committee: id.clone(),
                        member: Some(member_name.clone()),
                        message: error.message().trim().to_owned(),
                    })?;
            let member = raw.validate(&id)?;
            if members.iter().any(|known| known.id == member.id) {
                return Err(invalid(
                    "member",
                    format!("member {:?} is listed twice", member.id),
                ));
            }
            members.push(member);
        }
        Ok(Committee {
            name: self.name.trim().to_owned(),
            kind: self.kind,
            zones: covered,
            min_level: self.min_level,
            language: self.language,
            quiet_hours,
            timing,
            storm_guard,
            members,
            id,
        })
    }
}

impl RawMember {
    fn validate(self, committee: &str) -> Result<Member, CommitteesError> {
        let id = self.id.trim().to_owned();
        let invalid = |key: &str, reason: String| CommitteesError::Invalid {
            committee: committee.to_owned(),
            member: Some(id.clone()),
            key: key.to_owned(),
            reason,
        };
        check_id(&id).map_err(|reason| invalid("id", reason))?;
        if self.name.trim().is_empty() {
            return Err(invalid("name", "is empty".to_owned()));
        }
        // The number itself is not echoed: the error may end up in a log.
        let phone = self
            .phone
            .as_deref()
            .map(normalize_phone)
            .transpose()
            .map_err(|error| invalid("phone", error.to_string()))?;
        let email = self.email.map(|email| email.trim().to_owned());
        if let Some(email) = &email {
            check_email(email).map_err(|reason| invalid("email", reason))?;
        }
        if self.channels.is_empty() {
            return Err(invalid("channels", "lists no channel".to_owned()));
        }
        let mut channels = Vec::new();
        for &channel in Channel::ALL {
            if !self.channels.contains(&channel) {
                continue;
            }
            let (key, present) = match channel {
                Channel::Sms => ("phone", phone.is_some()),
                Channel::Email => ("email", email.is_some()),
            };
            if !present {
                return Err(invalid(
                    "channels",
                    format!("asks for {channel} but the member has no {key}"),
                ));
            }
            channels.push(channel);
        }
        Ok(Member {
            name: self.name.trim().to_owned(),
            phone,
            email,
            channels,
            language: self.language,
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_minimally() {
        for good in ["awa@example.org", "a.b+tag@mail.example.org"] {
            assert!(check_email(good).is_ok(), "{good}");
        }
        for bad in [
            "awa",
            "@example.org",
            "awa@example",
            "awa@@example.org",
            "awa@.org",
            "awa @example.org",
            "Awa <awa@example.org>",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_stay_plain() {
        assert!(check_id("cls-bankass_2.0").is_ok());
        for bad in ["", "Mopti", "a|b", "a b", "é"] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
    }
}
