//! What delivery stores: warning transitions as recorded, the notification outbox and its
//! rows' life, and silences.
//!
//! The engine decides a transition; the binary turns it into a [`WarningRecord`] and, after
//! routing, into [`NewNotification`]s, and hands both to
//! [`DeliveryStore::record_warnings`](crate::store::DeliveryStore::record_warnings) in one
//! transaction. A dispatcher then claims due rows with a lease, sends them, and records what
//! happened. A row's life:
//!
//! ```text
//! pending ──claim──► sending ──mark_sent──► sent ──receipt──► delivered
//!    ▲                  │  │                  └────receipt (failed)──► dead
//!    └─────release──────┘  └──mark_failed──► failed (claimed again when due) or dead
//! suppressed: recorded for the audit, never sent
//! ```
//!
//! A lease that expires (the dispatcher died) makes a `sending` row claimable again, so every
//! notification is sent at least once; duplicates are bounded by the lease.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{TransitionKind, WarningLevel, ZoneId, ZoneLevel};

/// Generates `as_str`, `parse`, `ALL` and `Display` for a unit-only enum from its names.
macro_rules! named_enum {
    ($type:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            /// Every value.
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            /// The snake_case name used in the database and in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $name),+
                }
            }

            /// Reads a value from its snake_case name.
            pub fn parse(name: &str) -> Option<$type> {
                match name {
                    $($name => Some($type::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(self.as_str())
            }
        }
    };
}

/// How a notification reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A text message through an SMS gateway.
    Sms,
    /// An email over SMTP.
    Email,
}

named_enum!(Channel { Sms => "sms", Email => "email" });

/// A warning transition as stored: the engine's transition without the engine's types (the
/// domain cannot depend on the engine; the binary maps one onto the other).
///
/// Stored once per (episode, kind, day, level): recording the same transition again, as a
/// replay or a restarted engine does, stores nothing new.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningRecord {
    /// Stable id of the episode (`rule/zone/opening date`).
    pub episode: String,
    /// The rule's id.
    pub rule: String,
    /// The zone's P-code or corridor id.
    pub zone: ZoneId,
    /// The zone's level.
    pub zone_level: ZoneLevel,
    /// The zone's display name.
    pub zone_name: String,
    /// What happened.
    pub kind: TransitionKind,
    /// The level after the transition (`None` once closed).
    pub level: Option<WarningLevel>,
    /// The level before the transition.
    pub previous_level: Option<WarningLevel>,
    /// The day it happened.
    pub at: NaiveDate,
    /// Why, as the engine explained it (a JSON document the store keeps as it is).
    pub evidence: serde_json::Value,
    /// True for an episode opened because of late data.
    pub late: bool,
    /// The enclosing episode that makes this one's message redundant, if any.
    pub inhibited_by: Option<String>,
}

/// A warning transition read back from the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredWarning {
    /// Store id, increasing in insertion order.
    pub id: i64,
    /// The transition.
    #[serde(flatten)]
    pub record: WarningRecord,
    /// When the store first recorded it.
    pub recorded_at: DateTime<Utc>,
}

/// Which stored transitions to read (all of them by default), by increasing store id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WarningQuery {
    /// Only this episode.
    pub episode: Option<String>,
    /// Only this zone.
    pub zone: Option<ZoneId>,
    /// Only transitions of episodes not closed.
    pub open_only: bool,
    /// Only transitions with a store id above this (keyset paging, or "what is new").
    pub after_id: Option<i64>,
    /// At most this many.
    pub limit: Option<u64>,
}

/// An episode that has not closed, and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenEpisode {
    /// Its id.
    pub episode: String,
    /// The rule's id.
    pub rule: String,
    /// The zone.
    pub zone: ZoneId,
    /// The zone's level.
    pub zone_level: ZoneLevel,
    /// The zone's display name.
    pub zone_name: String,
    /// The current level: that of its latest opening, escalation or de-escalation (by day,
    /// then store id).
    pub level: WarningLevel,
    /// The day of its first transition.
    pub since: NaiveDate,
    /// The store id of its latest transition (of any kind).
    pub last_transition_id: i64,
}

/// What [`record_warnings`](crate::store::DeliveryStore::record_warnings) stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordOutcome {
    /// Transitions not stored before.
    pub warnings: u64,
    /// Notifications whose idempotency key was new.
    pub notifications: u64,
}

/// Why a notification was recorded but will not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// An enclosing warning of the same rule covers it (sent instead).
    Inhibited,
    /// A silence matched it.
    Silenced,
    /// Its level is below the lowest the committee asked for.
    BelowCommitteeLevel,
    /// It is late evidence for an open warning: worth an email, not a text message.
    NotBySms,
}

named_enum!(SuppressionReason {
    Inhibited => "inhibited",
    Silenced => "silenced",
    BelowCommitteeLevel => "below_committee_level",
    NotBySms => "not_by_sms",
});

/// The status a notification is recorded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum InitialStatus {
    /// To send once `not_before` has passed.
    Pending,
    /// Kept for the audit trail, never sent.
    Suppressed {
        /// Why.
        reason: SuppressionReason,
    },
}

/// A notification to record in the outbox with its warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewNotification {
    /// Unique per (episode, transition, recipient, channel): recording it again stores
    /// nothing. The router builds it; the store only compares it.
    pub idempotency_key: String,
    /// The committee the recipient is heard through.
    pub committee: String,
    /// The member's key, such as `cr-mopti/m2`: never a phone number or an email address
    /// (the store refuses text that looks like either). The dispatcher looks the address up
    /// in the committee configuration when sending.
    pub recipient: String,
    /// How.
    pub channel: Channel,
    /// The zone the warning is about.
    pub zone: ZoneId,
    /// The level the message speaks of (for a closure, the level the warning had).
    pub level: WarningLevel,
    /// What the dispatcher needs to compose the message (a JSON document kept as it is).
    pub payload: serde_json::Value,
    /// Not sent before this time (quiet hours, `group_wait`).
    pub not_before: DateTime<Utc>,
    /// Pending, or suppressed with a reason.
    pub status: InitialStatus,
}

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    /// Waiting for its first attempt.
    Pending,
    /// Leased by a dispatcher that is sending it.
    Sending,
    /// Accepted by the provider.
    Sent,
    /// The provider's receipt says it reached the recipient.
    Delivered,
    /// An attempt failed; it will be tried again at `next_attempt_at`.
    Failed,
    /// Given up on (attempts exhausted, refused for good, or undeliverable): the dead
    /// letters an operator looks at.
    Dead,
    /// Recorded for the audit trail, never sent (see [`SuppressionReason`]).
    Suppressed,
}

named_enum!(NotificationStatus {
    Pending => "pending",
    Sending => "sending",
    Sent => "sent",
    Delivered => "delivered",
    Failed => "failed",
    Dead => "dead",
    Suppressed => "suppressed",
});

/// A notification as stored in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Store id.
    pub id: i64,
    /// See [`NewNotification::idempotency_key`].
    pub idempotency_key: String,
    /// The committee.
    pub committee: String,
    /// The member's key (never an address).
    pub recipient: String,
    /// How.
    pub channel: Channel,
    /// The zone the warning is about.
    pub zone: ZoneId,
    /// The level the message speaks of.
    pub level: WarningLevel,
    /// What the dispatcher composes the message from.
    pub payload: serde_json::Value,
    /// Not sent before this time.
    pub not_before: DateTime<Utc>,
    /// Where it stands.
    pub status: NotificationStatus,
    /// Why it is suppressed, for suppressed rows.
    pub suppression: Option<SuppressionReason>,
    /// How many times a dispatcher claimed it.
    pub attempts: u32,
    /// When it is next due: for pending and failed rows, when it may be claimed; for a
    /// sending row, when its lease expires.
    pub next_attempt_at: DateTime<Utc>,
    /// The dispatcher that holds the lease while sending, or last held it.
    pub lease_owner: Option<String>,
    /// When the lease expires, while sending.
    pub lease_until: Option<DateTime<Utc>>,
    /// The gateway that accepted it (`twilio`, `smtp`…).
    pub provider: Option<String>,
    /// The gateway's id for the message, which its receipts quote.
    pub provider_message_id: Option<String>,
    /// Shared by the rows sent together in one message.
    pub group_id: Option<String>,
    /// The last failure, or the failing receipt's detail.
    pub last_error: Option<String>,
    /// Recorded.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Accepted by the provider.
    pub sent_at: Option<DateTime<Utc>>,
    /// Reported delivered by the provider.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Which notifications to read, by increasing store id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotificationQuery {
    /// Only this status.
    pub status: Option<NotificationStatus>,
    /// Only rows with a store id above this (keyset paging).
    pub after_id: Option<i64>,
    /// At most this many.
    pub limit: Option<u64>,
}

/// What a provider's delivery receipt says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    /// It reached the handset or the mailbox.
    Delivered,
    /// The provider gave up on it.
    Failed,
}

/// The outbox at a glance, for `vigie outbox list` and metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutboxStats {
    /// Rows per status (statuses with no row are absent).
    pub by_status: BTreeMap<NotificationStatus, u64>,
    /// How long the oldest row that is due (pending or failed, `next_attempt_at` passed) has
    /// been waiting since it fell due, in seconds; `None` when nothing is due.
    pub oldest_due_age_seconds: Option<f64>,
}

impl OutboxStats {
    /// Rows still to send: pending, failed (to retry) or being sent. Zero when the outbox
    /// is idle.
    pub fn waiting(&self) -> u64 {
        [
            NotificationStatus::Pending,
            NotificationStatus::Failed,
            NotificationStatus::Sending,
        ]
        .iter()
        .filter_map(|status| self.by_status.get(status))
        .sum()
    }
}

/// What a silence mutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "match", rename_all = "snake_case")]
pub enum SilenceMatcher {
    /// Every rule's warnings in one zone.
    Zone {
        /// The zone.
        zone: ZoneId,
    },
    /// One rule's warnings everywhere.
    Rule {
        /// The rule's id.
        rule: String,
    },
    /// One rule's warnings in one zone.
    RuleInZone {
        /// The rule's id.
        rule: String,
        /// The zone.
        zone: ZoneId,
    },
}

impl SilenceMatcher {
    /// The zone it names, if any.
    pub fn zone(&self) -> Option<&ZoneId> {
        match self {
            SilenceMatcher::Zone { zone } | SilenceMatcher::RuleInZone { zone, .. } => Some(zone),
            SilenceMatcher::Rule { .. } => None,
        }
    }

    /// The rule it names, if any.
    pub fn rule(&self) -> Option<&str> {
        match self {
            SilenceMatcher::Rule { rule } | SilenceMatcher::RuleInZone { rule, .. } => Some(rule),
            SilenceMatcher::Zone { .. } => None,
        }
    }

    /// Builds the matcher from its stored columns; `None` when both are missing.
    pub fn from_parts(rule: Option<String>, zone: Option<ZoneId>) -> Option<SilenceMatcher> {
        match (rule, zone) {
            (Some(rule), Some(zone)) => Some(SilenceMatcher::RuleInZone { rule, zone }),
            (Some(rule), None) => Some(SilenceMatcher::Rule { rule }),
            (None, Some(zone)) => Some(SilenceMatcher::Zone { zone }),
            (None, None) => None,
        }
    }

    /// Whether a warning of `rule` in `zone` is muted. Exact matches only: whether a silence
    /// on a region covers its communes is the router's question, which knows the hierarchy.
    ///
    /// ```
    /// use vigie_domain::{SilenceMatcher, ZoneId};
    /// let bankass = ZoneId::new("ML050301").unwrap();
    /// let matcher = SilenceMatcher::Zone { zone: bankass.clone() };
    /// assert!(matcher.matches("surge-7d", &bankass));
    /// assert!(!matcher.matches("surge-7d", &ZoneId::new("ML050302").unwrap()));
    /// ```
    pub fn matches(&self, rule: &str, zone: &ZoneId) -> bool {
        self.rule().is_none_or(|muted| muted == rule)
            && self.zone().is_none_or(|muted| muted == zone)
    }
}

/// A silence to add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSilence {
    /// What it mutes.
    pub matcher: SilenceMatcher,
    /// Who added it.
    pub author: String,
    /// Why (kept for the audit).
    pub reason: String,
    /// When it stops muting; must be after its creation.
    pub expires_at: DateTime<Utc>,
}

/// A silence as stored. Silences are never deleted: expired and revoked ones stay, with who
/// revoked them and why, as the audit trail of what was muted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    /// Store id.
    pub id: i64,
    /// What it mutes.
    pub matcher: SilenceMatcher,
    /// Who added it.
    pub author: String,
    /// Why.
    pub reason: String,
    /// When it was added (it mutes from then).
    pub created_at: DateTime<Utc>,
    /// When it stops muting.
    pub expires_at: DateTime<Utc>,
    /// Who lifted it before it expired.
    pub revoked_by: Option<String>,
    /// When.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why.
    pub revoke_reason: Option<String>,
}

impl Silence {
    /// Whether it mutes at `now`: added, not expired, not revoked.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.created_at <= now
            && now < self.expires_at
            && self.revoked_at.is_none_or(|revoked| now < revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for status in NotificationStatus::ALL {
            assert_eq!(NotificationStatus::parse(status.as_str()), Some(*status));
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        for reason in SuppressionReason::ALL {
            assert_eq!(SuppressionReason::parse(reason.as_str()), Some(*reason));
        }
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(*channel));
        }
        assert_eq!(Channel::parse("fax"), None);
    }

    #[test]
    fn a_silence_mutes_from_creation_until_expiry_or_revocation() {
        let start = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let hour = chrono::TimeDelta::hours(1);
        let mut silence = Silence {
            id: 1,
            matcher: SilenceMatcher::Rule {
                rule: "surge".into(),
            },
            author: "analyste".into(),
            reason: "exercice".into(),
            created_at: start,
            expires_at: start + hour * 4,
            revoked_by: None,
            revoked_at: None,
            revoke_reason: None,
        };
        assert!(!silence.is_active(start - hour));
        assert!(silence.is_active(start));
        assert!(!silence.is_active(start + hour * 4));
        silence.revoked_at = Some(start + hour);
        assert!(silence.is_active(start));
        assert!(!silence.is_active(start + hour * 2));
    }

    #[test]
    fn matchers_name_a_rule_a_zone_or_both() {
        let zone = ZoneId::new("ML050301").unwrap();
        let other = ZoneId::new("ML050302").unwrap();
        let both = SilenceMatcher::from_parts(Some("surge".into()), Some(zone.clone())).unwrap();
        assert!(both.matches("surge", &zone));
        assert!(!both.matches("surge", &other));
        assert!(!both.matches("threshold", &zone));
        let rule = SilenceMatcher::from_parts(Some("surge".into()), None).unwrap();
        assert!(rule.matches("surge", &other));
        assert_eq!(SilenceMatcher::from_parts(None, None), None);
    }
}
