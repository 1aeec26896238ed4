//! Delivery rows as columns and back, the same for both backends: warning transitions, the
//! notification outbox and silences (see [`vigie_domain::store::DeliveryStore`]).
//!
//! Each backend reads its columns into the plain `…Row` structs here (times and JSON already
//! in Rust types); what the text columns mean is decided once, in this module.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use vigie_domain::store::StoreError;
use vigie_domain::{
    Channel, InitialStatus, NewSilence, Notification, NotificationStatus, OpenEpisode,
    ReceiptStatus, Silence, SilenceMatcher, StoredWarning, SuppressionReason, TransitionKind,
    WarningLevel, WarningRecord, ZoneId, ZoneLevel,
};

/// The `sync_state` key holding the last day the engine evaluated (`YYYY-MM-DD`).
pub(crate) const ENGINE_POSITION_KEY: &str = "engine.position";

/// The warning columns every read selects, in the order [`WarningRow`] is filled from.
pub(crate) const WARNING_READ_COLUMNS: &str = "id, episode, rule, zone_id, zone_level, \
    zone_name, kind, level, previous_level, transition_day, evidence, late, inhibited_by, \
    recorded_at";

/// The notification columns every read selects, in the order [`NotificationRow`] is filled
/// from.
pub(crate) const NOTIFICATION_READ_COLUMNS: &str = "id, idempotency_key, committee, recipient, \
    channel, zone_id, level, payload, not_before, status, suppression, attempts, \
    next_attempt_at, lease_owner, lease_until, provider, provider_message_id, group_id, \
    last_error, created_at, updated_at, sent_at, delivered_at";

/// The silence columns every read selects, in the order [`SilenceRow`] is filled from.
pub(crate) const SILENCE_READ_COLUMNS: &str = "id, rule, zone_id, author, reason, created_at, \
    expires_at, revoked_by, revoked_at, revoke_reason";

/// A warning row's values.
pub(crate) struct WarningRow {
    pub id: i64,
    pub episode: String,
    pub rule: String,
    pub zone_id: String,
    pub zone_level: String,
    pub zone_name: String,
    pub kind: String,
    pub level: Option<String>,
    pub previous_level: Option<String>,
    pub day: NaiveDate,
    pub evidence: serde_json::Value,
    pub late: bool,
    pub inhibited_by: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

impl WarningRow {
    pub(crate) fn into_stored(self) -> Result<StoredWarning, StoreError> {
        Ok(StoredWarning {
            id: self.id,
            record: WarningRecord {
                episode: self.episode,
                rule: self.rule,
                zone: parse_zone(&self.zone_id)?,
                zone_level: parse_zone_level(&self.zone_level)?,
                zone_name: self.zone_name,
                kind: TransitionKind::parse(&self.kind)
                    .ok_or_else(|| corrupt("transition kind", &self.kind))?,
                level: self.level.as_deref().map(parse_level).transpose()?,
                previous_level: self
                    .previous_level
                    .as_deref()
                    .map(parse_level)
                    .transpose()?,
                at: self.day,
                evidence: self.evidence,
                late: self.late,
                inhibited_by: self.inhibited_by,
            },
            recorded_at: self.recorded_at,
        })
    }
}

/// The open episodes among stored transitions: those with no `closed` transition, at the
/// level of their latest opening, escalation or de-escalation (by day, then store id; late
/// evidence alone only gives a level when nothing else does), sorted by episode id.
pub(crate) fn open_episodes(warnings: Vec<StoredWarning>) -> Vec<OpenEpisode> {
    use std::collections::{BTreeMap, BTreeSet};

    struct Standing {
        episode: OpenEpisode,
        /// (day, store id) of the transition that set `episode.level`, if one did.
        level_set_by: Option<(NaiveDate, i64)>,
    }

    let closed: BTreeSet<String> = warnings
        .iter()
        .filter(|stored| stored.record.kind == TransitionKind::Closed)
        .map(|stored| stored.record.episode.clone())
        .collect();
    let mut open: BTreeMap<String, Standing> = BTreeMap::new();
    for stored in warnings {
        let record = stored.record;
        if closed.contains(&record.episode) {
            continue;
        }
        let standing = open
            .entry(record.episode.clone())
            .or_insert_with(|| Standing {
                episode: OpenEpisode {
                    episode: record.episode.clone(),
                    rule: record.rule.clone(),
                    zone: record.zone.clone(),
                    zone_level: record.zone_level,
                    zone_name: record.zone_name.clone(),
                    level: record.level.unwrap_or(WarningLevel::Vigilance),
                    since: record.at,
                    last_transition_id: stored.id,
                },
                level_set_by: None,
            });
        let episode = &mut standing.episode;
        episode.since = episode.since.min(record.at);
        episode.last_transition_id = episode.last_transition_id.max(stored.id);
        let Some(level) = record.level else { continue };
        let sets_level = matches!(
            record.kind,
            TransitionKind::Opened | TransitionKind::Escalated | TransitionKind::DeEscalated
        );
        let key = (record.at, stored.id);
        if sets_level && standing.level_set_by.is_none_or(|latest| key > latest) {
            episode.level = level;
            standing.level_set_by = Some(key);
        } else if standing.level_set_by.is_none() {
            episode.level = level;
        }
    }
    open.into_values()
        .map(|standing| standing.episode)
        .collect()
}

/// A notification row's values.
pub(crate) struct NotificationRow {
    pub id: i64,
    pub idempotency_key: String,
    pub committee: String,
    pub recipient: String,
    pub channel: String,
    pub zone_id: String,
    pub level: String,
    pub payload: serde_json::Value,
    pub not_before: DateTime<Utc>,
    pub status: String,
    pub suppression: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub group_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl NotificationRow {
    pub(crate) fn into_notification(self) -> Result<Notification, StoreError> {
        Ok(Notification {
            id: self.id,
            idempotency_key: self.idempotency_key,
            committee: self.committee,
            recipient: self.recipient,
            channel: Channel::parse(&self.channel)
                .ok_or_else(|| corrupt("channel", &self.channel))?,
            zone: parse_zone(&self.zone_id)?,
            level: parse_level(&self.level)?,
            payload: self.payload,
            not_before: self.not_before,
            status: NotificationStatus::parse(&self.status)
                .ok_or_else(|| corrupt("notification status", &self.status))?,
            suppression: self
                .suppression
                .as_deref()
                .map(|name| {
                    SuppressionReason::parse(name).ok_or_else(|| corrupt("suppression", name))
                })
                .transpose()?,
            attempts: u32::try_from(self.attempts)
                .map_err(|_| corrupt("attempt count", &self.attempts.to_string()))?,
            next_attempt_at: self.next_attempt_at,
            lease_owner: self.lease_owner,
            lease_until: self.lease_until,
            provider: self.provider,
            provider_message_id: self.provider_message_id,
            group_id: self.group_id,
            last_error: self.last_error,
            created_at: self.created_at,
            updated_at: self.updated_at,
            sent_at: self.sent_at,
            delivered_at: self.delivered_at,
        })
    }
}

/// The `status` and `suppression` columns a new notification is written with.
pub(crate) fn initial_status_columns(
    status: InitialStatus,
) -> (&'static str, Option<&'static str>) {
    match status {
        InitialStatus::Pending => (NotificationStatus::Pending.as_str(), None),
        InitialStatus::Suppressed { reason } => (
            NotificationStatus::Suppressed.as_str(),
            Some(reason.as_str()),
        ),
    }
}

/// The status a receipt moves a sent row to.
pub(crate) fn receipt_target(status: ReceiptStatus) -> NotificationStatus {
    match status {
        ReceiptStatus::Delivered => NotificationStatus::Delivered,
        ReceiptStatus::Failed => NotificationStatus::Dead,
    }
}

/// When a lease taken at `now` expires.
pub(crate) fn lease_expiry(
    now: DateTime<Utc>,
    lease: std::time::Duration,
) -> Result<DateTime<Utc>, StoreError> {
    TimeDelta::from_std(lease)
        .ok()
        .and_then(|lease| now.checked_add_signed(lease))
        .ok_or_else(|| StoreError::Conflict(format!("a lease of {lease:?} is out of range")))
}

/// Sorts claimed rows back into the order they were due in (`due` holds the ids in that
/// order: the update that leases them returns them in no particular order).
pub(crate) fn in_claim_order(mut claimed: Vec<Notification>, due: &[i64]) -> Vec<Notification> {
    claimed.sort_by_key(|notification| {
        due.iter()
            .position(|id| *id == notification.id)
            .unwrap_or(usize::MAX)
    });
    claimed
}

/// Checks a new silence at `now`.
pub(crate) fn check_new_silence(
    silence: &NewSilence,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if silence.expires_at <= now {
        return Err(StoreError::Conflict(format!(
            "a silence must expire after it is added ({} is not after {})",
            silence.expires_at, now
        )));
    }
    Ok(())
}

/// A silence row's values.
pub(crate) struct SilenceRow {
    pub id: i64,
    pub rule: Option<String>,
    pub zone_id: Option<String>,
    pub author: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_by: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
}

impl SilenceRow {
    pub(crate) fn into_silence(self) -> Result<Silence, StoreError> {
        let zone = self.zone_id.as_deref().map(parse_zone).transpose()?;
        let matcher = SilenceMatcher::from_parts(self.rule, zone).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "silence {} names neither a rule nor a zone",
                self.id
            ))
        })?;
        Ok(Silence {
            id: self.id,
            matcher,
            author: self.author,
            reason: self.reason,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked_by: self.revoked_by,
            revoked_at: self.revoked_at,
            revoke_reason: self.revoke_reason,
        })
    }
}

/// What revoking silence `id` finds wrong with it, if anything.
pub(crate) fn check_revocable(id: i64, found: Option<&Silence>) -> Result<(), StoreError> {
    match found {
        None => Err(StoreError::NotFound(format!("silence {id}"))),
        Some(silence) if silence.revoked_at.is_some() => Err(StoreError::Conflict(format!(
            "silence {id} was already revoked"
        ))),
        Some(_) => Ok(()),
    }
}

fn parse_zone(text: &str) -> Result<ZoneId, StoreError> {
    ZoneId::new(text).map_err(|error| StoreError::Corrupt(format!("zone id: {error}")))
}

fn parse_zone_level(text: &str) -> Result<ZoneLevel, StoreError> {
    text.parse()
        .map_err(|error| StoreError::Corrupt(format!("zone level: {error}")))
}

fn parse_level(text: &str) -> Result<WarningLevel, StoreError> {
    WarningLevel::parse(text).ok_or_else(|| corrupt("warning level", text))
}

fn corrupt(what: &str, text: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} {text:?}"))
}
