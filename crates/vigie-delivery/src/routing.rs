//! From one warning transition to the notifications it plans: which committees cover its
//! zone, which of their members hear about it on which channel, when at the earliest, and
//! — for the ones that must not go — why.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use vigie_domain::sms::Language;
use vigie_domain::{TransitionKind, WarningLevel, ZoneId, ZoneLevel};
use vigie_engine::Transition;

use crate::committees::{Channel, Committee, Committees};
use crate::zones::ZoneHierarchy;

/// What a notification says about its transition: everything a message needs, copied from
/// the engine's [`Transition`] so that a stored row can be turned back into a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationContent {
    /// The episode (`rule/zone/opening date`).
    pub episode: String,
    /// The rule's id.
    pub rule: String,
    /// What happened.
    pub kind: TransitionKind,
    /// The day it happened.
    pub at: NaiveDate,
    /// The zone's P-code or corridor id.
    pub zone_id: ZoneId,
    /// The zone's display name.
    pub zone_name: String,
    /// The zone's level.
    pub zone_level: ZoneLevel,
    /// The level after the transition (`None` once closed).
    pub level: Option<WarningLevel>,
    /// The level before it.
    pub previous_level: Option<WarningLevel>,
    /// Events counted in the window (unweighted).
    pub events: u32,
    /// Fatalities counted in the window.
    pub fatalities: u32,
    /// The window's length in days.
    pub window_days: u32,
}

impl NotificationContent {
    /// The content of an engine transition.
    pub fn from_transition(transition: &Transition) -> NotificationContent {
        let window = transition.evidence.window;
        let window_days = (window.to - window.from).num_days() + 1;
        NotificationContent {
            episode: transition.episode.clone(),
            rule: transition.rule.clone(),
            kind: transition.transition,
            at: transition.at,
            zone_id: transition.zone.id.clone(),
            zone_name: transition.zone.name.clone(),
            zone_level: transition.zone.level,
            level: transition.level,
            previous_level: transition.previous_level,
            events: transition.evidence.event_count,
            fatalities: u32::try_from(transition.evidence.fatalities.max(0)).unwrap_or(u32::MAX),
            window_days: u32::try_from(window_days.max(1)).unwrap_or(u32::MAX),
        }
    }

    /// The level a message about this transition shows: the level after it, or for a
    /// closing the level the warning had.
    pub fn shown_level(&self) -> WarningLevel {
        self.level
            .or(self.previous_level)
            .unwrap_or(WarningLevel::Vigilance)
    }

    /// Whether the transition is urgent: it opens or raises a warning to `urgence`. Urgent
    /// notifications ignore quiet hours and the wait between two messages of a group.
    pub fn is_urgent(&self) -> bool {
        self.level == Some(WarningLevel::Urgence)
            && matches!(
                self.kind,
                TransitionKind::Opened | TransitionKind::Escalated
            )
    }
}

/// The idempotency key of a notification: `episode|transition|at|recipient|channel`, e.g.
/// `civilians/ML050308/2019-03-23|opened|2019-03-23|amadou-diallo|sms`.
///
/// An episode has at most one transition of a kind per day (the engine steps each (rule,
/// zone) once a day and resolves late data once per run), so the key names one message to
/// one person on one channel; routing the same transition again gives the same keys, and
/// the outbox's unique index turns a repeat into a no-op. `|` cannot occur in rule, member
/// or channel ids, nor in P-codes or dates.
pub fn idempotency_key(content: &NotificationContent, recipient: &str, channel: Channel) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        content.episode,
        content.kind.as_str(),
        content.at,
        recipient,
        channel.as_str()
    )
}

/// Why a planned notification will not be sent. Routing keeps these rows (with their key)
/// so the outbox can show what was held back and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Suppression {
    /// The warning is below the committee's minimum level (and, for a fall or a closing, was
    /// already below it before).
    BelowMinimumLevel {
        /// The level the decision looked at.
        level: WarningLevel,
        /// The committee's minimum.
        minimum: WarningLevel,
    },
    /// The commune's warning is covered by an open warning of the same rule in its cercle,
    /// which this committee also receives.
    Inhibited {
        /// The cercle episode that speaks for it.
        by_episode: String,
    },
    /// A silence matches.
    Silenced {
        /// The silence's id.
        silence: String,
    },
    /// Late-evidence annotations go by email only: they change nothing a member must act on
    /// at once, and an SMS for them would teach members to ignore SMS.
    LateEvidenceNotBySms,
}

/// One message planned for one member on one channel about one transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedNotification {
    /// See [`idempotency_key`].
    pub key: String,
    /// The member's id: the recipient, across committees.
    pub recipient: String,
    /// The channel.
    pub channel: Channel,
    /// The phone number (E.164) or email address.
    pub address: String,
    /// The committee through which the member receives it.
    pub committee: String,
    /// The language to write it in.
    pub language: Language,
    /// The earliest time it may go: now + `group_wait`, then for non-urgent transitions the
    /// end of the committee's quiet hours.
    pub not_before: DateTime<Utc>,
    /// See [`NotificationContent::is_urgent`].
    pub urgent: bool,
    /// What it says.
    pub content: NotificationContent,
    /// Why it is not to be sent, if it is not.
    pub suppressed: Option<Suppression>,
}

/// A silence: an analyst's decision, with author, reason and expiry, that notifications
/// about a zone (and everything inside it), a rule, or a rule in a zone are not sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Silence {
    /// Stable id (shown in the suppression reason and the audit log).
    pub id: String,
    /// What it matches.
    pub scope: SilenceScope,
    /// Only this committee's notifications, or every committee's.
    pub committee: Option<String>,
    /// Who decided it.
    pub author: String,
    /// Why.
    pub reason: String,
    /// From when it applies (inclusive).
    pub starts_at: DateTime<Utc>,
    /// Until when it applies (exclusive): a silence always expires.
    pub ends_at: DateTime<Utc>,
}

/// What a [`Silence`] matches. There is no "everything": a silence names a zone or a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SilenceScope {
    /// Transitions in this zone or any zone inside it.
    Zone(ZoneId),
    /// Transitions of this rule.
    Rule(String),
    /// Transitions of this rule in this zone or inside it.
    RuleInZone {
        /// The rule's id.
        rule: String,
        /// The zone.
        zone: ZoneId,
    },
}

impl Silence {
    /// Whether the silence applies at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// Whether the silence, active at `now`, holds back this content for this committee.
    pub fn applies(
        &self,
        content: &NotificationContent,
        committee: &str,
        zones: &ZoneHierarchy,
        now: DateTime<Utc>,
    ) -> bool {
        if !self.is_active(now) {
            return false;
        }
        if self
            .committee
            .as_deref()
            .is_some_and(|only| only != committee)
        {
            return false;
        }
        match &self.scope {
            SilenceScope::Zone(zone) => zones.contains(zone, &content.zone_id),
            SilenceScope::Rule(rule) => *rule == content.rule,
            SilenceScope::RuleInZone { rule, zone } => {
                *rule == content.rule && zones.contains(zone, &content.zone_id)
            }
        }
    }
}

/// The level the minimum-level test compares with.
///
/// Openings, escalations: the new level. A fall, a closing or a late annotation: the higher
/// of the level before and after — a committee that heard the warning at a level it wants
/// (the level before was at or above its minimum) also hears that it fell or closed, even if
/// the new level is below its minimum; after that it hears nothing more of the episode
/// unless it rises again.
fn level_for_minimum(content: &NotificationContent) -> WarningLevel {
    match content.kind {
        TransitionKind::Opened | TransitionKind::Escalated => content.shown_level(),
        TransitionKind::DeEscalated | TransitionKind::Closed | TransitionKind::LateEvidence => {
            content
                .level
                .max(content.previous_level)
                .unwrap_or(WarningLevel::Vigilance)
        }
    }
}

/// Why this committee must not hear about the transition at all, whatever the channel.
fn committee_suppression(
    transition: &Transition,
    content: &NotificationContent,
    committee: &Committee,
    zones: &ZoneHierarchy,
    silences: &[Silence],
    now: DateTime<Utc>,
) -> Option<Suppression> {
    let level = level_for_minimum(content);
    if level < committee.min_level {
        return Some(Suppression::BelowMinimumLevel {
            level,
            minimum: committee.min_level,
        });
    }
    if let Some(by_episode) = &transition.inhibited_by {
        // The engine only inhibits a commune by the same rule's episode in its cercle: the
        // committee receives that episode exactly when it covers the cercle.
        let receives_inhibitor = content.zone_level == ZoneLevel::Commune
            && zones
                .parent(&content.zone_id)
                .is_some_and(|cercle| committee.covers(cercle, zones));
        if receives_inhibitor {
            return Some(Suppression::Inhibited {
                by_episode: by_episode.clone(),
            });
        }
    }
    silences
        .iter()
        .find(|silence| silence.applies(content, &committee.id, zones, now))
        .map(|silence| Suppression::Silenced {
            silence: silence.id.clone(),
        })
}

/// Plans the notifications of one transition.
///
/// Every committee whose zones contain the transition's zone (a regional committee hears
/// about its cercles and communes, through the zone hierarchy; corridors by their own id)
/// plans one notification per member and channel the member wants. Suppressed rows are
/// kept, with their reason, for the audit. `not_before` is `now` plus the committee's
/// `group_wait` for the channel, moved to the end of its quiet hours unless the transition
/// is urgent.
///
/// A person on several committees that cover the zone gets one notification per channel:
/// the one that may go earliest among those not suppressed (file order breaks ties), or if
/// all are suppressed, the first committee's suppression.
///
/// Rows come in committee order, then member order, then channel order (SMS, email).
pub fn route(
    transition: &Transition,
    committees: &Committees,
    zones: &ZoneHierarchy,
    silences: &[Silence],
    now: DateTime<Utc>,
) -> Vec<PlannedNotification> {
    let content = NotificationContent::from_transition(transition);
    let urgent = content.is_urgent();
    let mut planned: Vec<PlannedNotification> = Vec::new();
    let mut position_of: HashMap<(String, Channel), usize> = HashMap::new();
    for committee in committees.committees() {
        if !committee.covers(&content.zone_id, zones) {
            continue;
        }
        let for_committee =
            committee_suppression(transition, &content, committee, zones, silences, now);
        for member in &committee.members {
            for &channel in &member.channels {
                let Some(address) = member.address(channel) else {
                    continue;
                };
                let suppressed = for_committee.clone().or_else(|| {
                    (content.kind == TransitionKind::LateEvidence && channel == Channel::Sms)
                        .then_some(Suppression::LateEvidenceNotBySms)
                });
                let mut not_before = now + committee.timing.of(channel).group_wait;
                if !urgent && let Some(quiet_hours) = &committee.quiet_hours {
                    not_before = quiet_hours.defer(not_before);
                }
                let row = PlannedNotification {
                    key: idempotency_key(&content, &member.id, channel),
                    recipient: member.id.clone(),
                    channel,
                    address: address.to_owned(),
                    committee: committee.id.clone(),
                    language: committee.language_of(member),
                    not_before,
                    urgent,
                    content: content.clone(),
                    suppressed,
                };
                match position_of.get(&(member.id.clone(), channel)) {
                    None => {
                        position_of.insert((member.id.clone(), channel), planned.len());
                        planned.push(row);
                    }
                    Some(&position) => {
                        if better(&row, &planned[position]) {
                            planned[position] = row;
                        }
                    }
                }
            }
        }
    }
    planned
}

/// Whether `candidate` should replace `current` for the same person and channel: a row that
/// goes beats a suppressed one, an earlier one beats a later one.
fn better(candidate: &PlannedNotification, current: &PlannedNotification) -> bool {
    match (&candidate.suppressed, &current.suppressed) {
        (None, Some(_)) => true,
        (None, None) => candidate.not_before < current.not_before,
        _ => false,
    }
}
