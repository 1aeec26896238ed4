//! The warning pipeline: the engine's transitions recorded with the notifications they cause
//! (one transaction), and the dispatcher that empties the outbox through the channels.
//!
//! The decisions live elsewhere — the engine decides warnings, `vigie-delivery` who hears of
//! them, when and in how many messages, `vigie-notify` the words — and this module only
//! sequences them against the store.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use anyhow::Context as _;
use chrono::{DateTime, Duration, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigie_delivery::{
    BucketState, Committees, GroupDecision, MessageCandidate, NotificationContent,
    PlannedNotification, RetryDecision, RetryPolicy, SilenceScope, Suppression, ZoneHierarchy,
    grouped_message, jitter_unit, plan_group, route,
};
use vigie_domain::sms::Language;
use vigie_domain::store::Store;
use vigie_domain::{
    Channel, InitialStatus, NewNotification, Notification, NotificationQuery, NotificationStatus,
    SilenceMatcher, SuppressionReason, TransitionKind, WarningRecord,
};
use vigie_engine::{Incident, RuleSet, Transition, ZoneTable, replay};
use vigie_notify::compose::{self, SmsOptions, WarningNotice, ZoneFigures};
use vigie_notify::{EmailMessage, IdempotencyKey, SmsMessage};

use crate::channels::Channels;
use crate::commands::replay::{load_rules, read_events};
use crate::config::DeliveryConfig;
use crate::context::Context;
use crate::geography::StoredZoneSet;

/// Where the engine starts evaluating, fixed on its first run so that episode ids (which
/// carry their opening day) never change between runs.
const ORIGIN_KEY: &str = "engine.origin";

/// On its first run, the engine evaluates this many days before the day asked for: enough
/// to know which warnings are open today.
const FIRST_RUN_DAYS: i64 = 365;

/// On its first run, only the transitions of the last days are news worth a message; the
/// older ones are history, stored but not sent.
const FIRST_RUN_FRESH_DAYS: i64 = 2;

/// What the pipeline needs, loaded once (the committees are reloaded by `serve` when
/// their file changes, see [`CommitteesFile`]).
#[derive(Clone)]
pub struct Pipeline {
    pub rules: RuleSet,
    pub zones: ZoneTable,
    pub hierarchy: ZoneHierarchy,
    pub committees: Option<Arc<Committees>>,
    /// When the committees file had been modified as it was read.
    pub committees_modified: Option<SystemTime>,
    /// The store's version of the zone set `zones` and `hierarchy` were built from.
    pub geography_version: Option<i64>,
    /// The geography `serve` keeps up to date; [`Pipeline::refresh_geography`] follows it.
    pub shared_geography: Option<vigie_http::SharedGeography>,
}

impl Pipeline {
    /// Rules, zones and committees from the configuration.
    pub fn load(context: &Context) -> anyhow::Result<Pipeline> {
        Pipeline::load_with(context, context.open_store()?.as_ref())
    }

    /// Rules and committees from the configuration, zones from `store`.
    pub fn load_with(context: &Context, store: &dyn Store) -> anyhow::Result<Pipeline> {
        Pipeline::from_stored(context, &context.geography.stored_zone_set(store)?)
    }

    /// Rules and committees from the configuration, zones from `stored` (already read from
    /// the store, as `serve` does once for the HTTP side and the pipeline).
    pub fn from_stored(context: &Context, stored: &StoredZoneSet) -> anyhow::Result<Pipeline> {
        let zone_set = &stored.zones;
        let delivery = &context.config.delivery;
        let rules = load_rules(delivery.rules.as_deref())?;
        let hierarchy = ZoneHierarchy::from_zone_set(zone_set);
        let committees_modified = delivery.committees.as_deref().and_then(modified_at);
        let committees = match &delivery.committees {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read committees file {}", path.display()))?;
                Some(Arc::new(
                    Committees::from_toml(&text, &hierarchy)
                        .with_context(|| format!("committees file {}", path.display()))?,
                ))
            }
            None => None,
        };
        Ok(Pipeline {
            rules,
            zones: ZoneTable::from_zone_set(zone_set),
            hierarchy,
            committees,
            committees_modified,
            geography_version: Some(stored.version.version),
            shared_geography: None,
        })
    }

    /// The same pipeline following `shared` (which `serve` replaces on each publication).
    pub fn following(self, shared: vigie_http::SharedGeography) -> Pipeline {
        Pipeline {
            shared_geography: Some(shared),
            ..self
        }
    }

    /// Takes the shared geography's zones when it moved to another version since the last
    /// call (the engine calls this before each evaluation). True when it did.
    pub fn refresh_geography(&mut self) -> bool {
        let Some(shared) = &self.shared_geography else {
            return false;
        };
        let geography = shared.current();
        if geography.version == self.geography_version {
            return false;
        }
        self.zones = ZoneTable::from_zone_set(&geography.zones);
        self.hierarchy = ZoneHierarchy::from_zone_set(&geography.zones);
        self.geography_version = geography.version;
        tracing::info!(
            version = geography.version,
            "the warning engine uses the new geography"
        );
        true
    }
}

/// Watches the committees file for `serve`: when an admin edits it (by hand or with
/// `vigie committees …`), the new committees take effect without a restart. A file that no
/// longer validates is reported once and the last good committees stay in force: a typo must
/// not silence every committee.
pub struct CommitteesFile {
    path: PathBuf,
    hierarchy: ZoneHierarchy,
    /// The geography `hierarchy` was built from, followed so that a committee naming a zone
    /// of a newly published zone set validates.
    geography: Option<vigie_http::SharedGeography>,
    geography_version: Option<i64>,
    modified: Option<SystemTime>,
    checked: Option<Instant>,
}

/// A file's modification time, if it can be read.
fn modified_at(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .ok()
}

/// How often the file's modification time is looked at.
const COMMITTEES_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

impl CommitteesFile {
    /// Watches the configured committees file (none configured: nothing to watch).
    pub fn watch(context: &Context, pipeline: &Pipeline) -> Option<CommitteesFile> {
        let path = context.config.delivery.committees.clone()?;
        Some(CommitteesFile {
            path,
            hierarchy: pipeline.hierarchy.clone(),
            geography: pipeline.shared_geography.clone(),
            geography_version: pipeline.geography_version,
            // From the pipeline's reading: a change made while serve was starting counts.
            modified: pipeline.committees_modified,
            checked: None,
        })
    }

    /// The zone hierarchy of the current geography.
    fn hierarchy(&mut self) -> &ZoneHierarchy {
        if let Some(shared) = &self.geography {
            let geography = shared.current();
            if geography.version != self.geography_version {
                self.hierarchy = ZoneHierarchy::from_zone_set(&geography.zones);
                self.geography_version = geography.version;
            }
        }
        &self.hierarchy
    }

    /// The new committees when the file changed since the last look and still validates.
    pub fn changed(&mut self) -> Option<Arc<Committees>> {
        if self
            .checked
            .is_some_and(|checked| checked.elapsed() < COMMITTEES_CHECK_INTERVAL)
        {
            return None;
        }
        self.checked = Some(Instant::now());
        let modified = modified_at(&self.path);
        if modified.is_none() || modified == self.modified {
            return None;
        }
        self.modified = modified;
        let loaded = std::fs::read_to_string(&self.path)
            .map_err(anyhow::Error::from)
            .and_then(|text| Ok(Committees::from_toml(&text, self.hierarchy())?));
        match loaded {
            Ok(committees) => {
                tracing::info!(
                    path = %self.path.display(),
                    committees = committees.committees().len(),
                    "committees file reloaded"
                );
                Some(Arc::new(committees))
            }
            Err(error) => {
                tracing::error!(
                    path = %self.path.display(),
                    "committees file changed but is not valid, the previous committees stay in force: {error:#}"
                );
                None
            }
        }
    }
}

/// What one evaluation did.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// First and last day evaluated.
    pub from: NaiveDate,
    pub until: NaiveDate,
    /// Transitions the engine produced over the period.
    pub transitions: usize,
    /// Of which new to the store.
    pub new_warnings: u64,
    /// Transitions that were news (dated on or after the last evaluated day).
    pub fresh_transitions: usize,
    /// Notifications recorded in the outbox (sent or suppressed).
    pub new_notifications: u64,
}

/// The notification payload: what the dispatcher needs to write the message again. Never
/// the recipient's address: that is read from the committees file when sending.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    content: NotificationContent,
    language: Language,
    urgent: bool,
}

/// Runs the engine over the stored events up to `until` and records its transitions, with
/// the notifications of those that are news, in one transaction. Running it again changes
/// nothing: transitions and notifications are stored once.
pub fn evaluate(
    store: &dyn Store,
    pipeline: &Pipeline,
    until: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<Evaluation> {
    let position = store.engine_position()?;
    let origin = match store.sync_state(ORIGIN_KEY)? {
        Some(text) => text
            .parse::<NaiveDate>()
            .with_context(|| format!("stored {ORIGIN_KEY} {text:?} is not a date"))?,
        None => {
            let origin = until - Duration::days(FIRST_RUN_DAYS);
            store.set_sync_state(ORIGIN_KEY, &origin.to_string())?;
            origin
        }
    };
    let from = origin.min(until);
    let history_from = from - Duration::days(i64::from(pipeline.rules.lookback_days()));
    let events = read_events(store, history_from, until)?;
    let transitions = replay(
        &pipeline.rules,
        &pipeline.zones,
        events.iter().filter_map(Incident::from_stored),
        from,
        until,
    );
    // The last evaluated day is evaluated again: events keep arriving for today. Routing a
    // transition twice is harmless, its notifications' keys are already stored.
    let is_fresh = |transition: &Transition| match position {
        Some(position) => transition.at >= position,
        None => transition.at > until - Duration::days(FIRST_RUN_FRESH_DAYS),
    };
    let records: Vec<WarningRecord> = transitions.iter().map(warning_record).collect();
    let fresh: Vec<&Transition> = transitions.iter().filter(|t| is_fresh(t)).collect();
    let notifications = match &pipeline.committees {
        Some(committees) => plan_notifications(store, pipeline, committees, &fresh, now)?,
        None => Vec::new(),
    };
    let outcome = store.record_warnings(&records, &notifications)?;
    store.set_engine_position(until)?;
    Ok(Evaluation {
        from,
        until,
        transitions: transitions.len(),
        new_warnings: outcome.warnings,
        fresh_transitions: fresh.len(),
        new_notifications: outcome.notifications,
    })
}

/// The engine's transition as the store keeps it.
pub fn warning_record(transition: &Transition) -> WarningRecord {
    WarningRecord {
        episode: transition.episode.clone(),
        rule: transition.rule.clone(),
        zone: transition.zone.id.clone(),
        zone_level: transition.zone.level,
        zone_name: transition.zone.name.clone(),
        kind: transition.transition,
        level: transition.level,
        previous_level: transition.previous_level,
        at: transition.at,
        evidence: serde_json::to_value(&transition.evidence).unwrap_or_default(),
        late: transition.late,
        inhibited_by: transition.inhibited_by.clone(),
    }
}

fn delivery_silences(
    store: &dyn Store,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<vigie_delivery::Silence>> {
    Ok(store
        .active_silences(now)?
        .into_iter()
        .map(|silence| vigie_delivery::Silence {
            id: silence.id.to_string(),
            scope: match silence.matcher {
                SilenceMatcher::Zone { zone } => SilenceScope::Zone(zone),
                SilenceMatcher::Rule { rule } => SilenceScope::Rule(rule),
                SilenceMatcher::RuleInZone { rule, zone } => {
                    SilenceScope::RuleInZone { rule, zone }
                }
            },
            committee: None,
            author: silence.author,
            reason: silence.reason,
            starts_at: silence.created_at,
            ends_at: silence.expires_at,
        })
        .collect())
}

/// Routes the fresh transitions to committee members. A row joins the group already waiting
/// for the same recipient and channel when it would have gone within that group's wait
/// anyway (Alertmanager's grouping: the first alert of a group starts the clock).
fn plan_notifications(
    store: &dyn Store,
    pipeline: &Pipeline,
    committees: &Committees,
    fresh: &[&Transition],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<NewNotification>> {
    let silences = delivery_silences(store, now)?;
    let mut group_due: HashMap<(String, Channel), DateTime<Utc>> = HashMap::new();
    for waiting in store.notifications(&NotificationQuery {
        status: Some(NotificationStatus::Pending),
        ..NotificationQuery::default()
    })? {
        if waiting.not_before > now {
            let due = group_due
                .entry((waiting.recipient.clone(), waiting.channel))
                .or_insert(waiting.not_before);
            *due = (*due).min(waiting.not_before);
        }
    }
    let mut rows = Vec::new();
    for transition in fresh {
        for planned in route(transition, committees, &pipeline.hierarchy, &silences, now) {
            let channel = planned.channel;
            let timing = committees
                .get(&planned.committee)
                .map(|committee| *committee.timing.of(planned.channel));
            let mut not_before = planned.not_before;
            if planned.suppressed.is_none() {
                let group = (planned.recipient.clone(), channel);
                match group_due.get(&group) {
                    Some(&due)
                        if timing.is_some_and(|timing| not_before - due <= timing.group_wait) =>
                    {
                        not_before = not_before.min(due);
                    }
                    Some(_) => {}
                    None => {
                        group_due.insert(group, not_before);
                    }
                }
            }
            rows.push(new_notification(planned, channel, not_before)?);
        }
    }
    // Stored in the order the dispatcher reads them back, one recipient's rows side by side:
    // marking a grouped message sent then rewrites a few pages, not one page per row.
    rows.sort_by(|a, b| {
        (&a.recipient, a.channel, &a.idempotency_key).cmp(&(
            &b.recipient,
            b.channel,
            &b.idempotency_key,
        ))
    });
    Ok(rows)
}

fn new_notification(
    planned: PlannedNotification,
    channel: Channel,
    not_before: DateTime<Utc>,
) -> anyhow::Result<NewNotification> {
    let status = match &planned.suppressed {
        None => InitialStatus::Pending,
        Some(suppression) => InitialStatus::Suppressed {
            reason: match suppression {
                Suppression::BelowMinimumLevel { .. } => SuppressionReason::BelowCommitteeLevel,
                Suppression::Inhibited { .. } => SuppressionReason::Inhibited,
                Suppression::Silenced { .. } => SuppressionReason::Silenced,
                Suppression::LateEvidenceNotBySms => SuppressionReason::NotBySms,
            },
        },
    };
    let payload = Payload {
        content: planned.content.clone(),
        language: planned.language,
        urgent: planned.urgent,
    };
    Ok(NewNotification {
        idempotency_key: planned.key,
        committee: planned.committee,
        recipient: planned.recipient,
        channel,
        zone: planned.content.zone_id.clone(),
        level: planned.content.shown_level(),
        payload: serde_json::to_value(&payload)?,
        not_before,
        status,
    })
}

/// What one dispatcher round did.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Round {
    /// Notifications claimed from the outbox.
    pub claimed: usize,
    /// Messages that left (one may cover several notifications).
    pub messages: usize,
    /// Notifications those messages covered.
    pub sent: usize,
    /// Notifications whose attempt failed (retried later or dead).
    pub failed: usize,
    /// Notifications given back to wait for their group or the storm guard.
    pub deferred: usize,
    /// Notifications given back unsent because the fence closed (no longer the leader).
    pub released: usize,
    /// Whether the fence closed during the round.
    pub fenced: bool,
}

/// How a group's turn ended.
enum Sending {
    /// Sent, failed, deferred or given back to wait: the round goes on.
    Carried,
    /// The fence closed before the message left: its rows were given back, and the round
    /// stops.
    Fenced,
}

/// Per (recipient, channel): when the last message left, and the storm guard's bucket.
#[derive(Debug, Clone, Copy)]
struct GroupState {
    last_sent: Option<DateTime<Utc>>,
    bucket: Option<BucketState>,
}

/// Sends the outbox: claims due notifications with a lease, groups them per recipient and
/// channel, writes one message per group, sends it, and records the outcome. A crash between
/// sending and recording leaves the rows leased: they are sent again once the lease expires
/// (at least once, duplicates bounded by the lease).
pub struct Dispatcher<'a> {
    store: &'a dyn Store,
    committees: Arc<Committees>,
    channels: Channels,
    owner: String,
    lease: std::time::Duration,
    retry: RetryPolicy,
    sms_options: SmsOptions,
    link_base_url: String,
    // std Mutex: the dispatcher is synchronous and nothing awaits while it is held.
    groups: Mutex<HashMap<(String, Channel), GroupState>>,
    /// Asked right before each message leaves: `false` and nothing more is sent this round
    /// (a replica that lost its leadership; see [`crate::leadership`]).
    fence: Option<Box<dyn Fn() -> bool + 'a>>,
}

/// Notifications claimed per round.
const CLAIM_LIMIT: u32 = 10_000;

impl<'a> Dispatcher<'a> {
    /// A dispatcher named after this process (its leases carry the name).
    pub fn new(
        store: &'a dyn Store,
        committees: Arc<Committees>,
        channels: Channels,
        config: &DeliveryConfig,
    ) -> Dispatcher<'a> {
        let owner = format!(
            "{}:{}:{:08x}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "vigie".to_owned()),
            std::process::id(),
            rand::random::<u32>()
        );
        Dispatcher {
            store,
            committees,
            channels,
            owner,
            lease: std::time::Duration::from_secs(config.lease_seconds),
            retry: RetryPolicy {
                base_delay: TimeDelta::milliseconds(config.backoff_initial_ms as i64),
                max_delay: TimeDelta::milliseconds(config.backoff_max_ms as i64),
                max_attempts: config.max_attempts,
            },
            sms_options: SmsOptions {
                transliterate: config.transliterate,
                max_segments: usize::from(config.max_segments),
            },
            link_base_url: config.link_base_url.trim_end_matches('/').to_owned(),
            groups: Mutex::new(HashMap::new()),
            fence: None,
        }
    }

    /// A dispatcher that asks `may_send` before each message and stops its round, giving
    /// back what it claimed, on the first `false`.
    pub fn fenced_by(mut self, may_send: Box<dyn Fn() -> bool + 'a>) -> Dispatcher<'a> {
        self.fence = Some(may_send);
        self
    }

    /// Takes over what other dispatchers had claimed and not settled, when this replica
    /// becomes the leader: the one before it is dead or fenced off (it confirms the lock
    /// before each send), and its leases would otherwise hold those messages back for up to
    /// `lease_seconds`. Returns how many rows were made due.
    pub fn take_over(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        Ok(self.store.expire_foreign_leases(&self.owner, now)?)
    }

    /// Forgets when each group last heard and its storm guard (when another replica sent in
    /// the meantime, as after a spell as a follower).
    pub fn forget_groups(&self) {
        self.groups
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }

    fn may_send(&self) -> bool {
        self.fence.as_ref().is_none_or(|may_send| may_send())
    }

    /// Sends with these committees from the next round on (the grouping and storm-guard
    /// state of the people still listed carries over).
    pub fn replace_committees(&mut self, committees: Arc<Committees>) {
        self.committees = committees;
    }

    /// One round: claim what is due, send it, record it.
    pub fn round(&self, now: DateTime<Utc>) -> anyhow::Result<Round> {
        let claimed = self
            .store
            .claim_notifications(&self.owner, now, self.lease, CLAIM_LIMIT)?;
        let mut round = Round {
            claimed: claimed.len(),
            ..Round::default()
        };
        let mut groups: BTreeMap<(String, Channel), Vec<Notification>> = BTreeMap::new();
        for row in claimed {
            groups
                .entry((row.recipient.clone(), row.channel))
                .or_default()
                .push(row);
        }
        let mut groups = groups.into_iter();
        while let Some(((recipient, channel), rows)) = groups.next() {
            if let Sending::Fenced = self.send_group(&recipient, channel, rows, now, &mut round)? {
                // Given back at once: the leader that follows claims them without waiting
                // for the leases to run out.
                let rest: Vec<i64> = groups
                    .flat_map(|(_, rows)| rows.into_iter().map(|row| row.id))
                    .collect();
                round.released += rest.len();
                round.fenced = true;
                self.store.release(&rest, &self.owner, now, now)?;
                break;
            }
        }
        Ok(round)
    }

    fn send_group(
        &self,
        recipient: &str,
        channel: Channel,
        rows: Vec<Notification>,
        now: DateTime<Utc>,
        round: &mut Round,
    ) -> anyhow::Result<Sending> {
        // Rows the committees file can no longer explain (member or committee removed, or a
        // payload from another version) cannot be sent: dead letters, visible in the outbox.
        let mut planned = Vec::with_capacity(rows.len());
        let mut orphans = Vec::new();
        for row in &rows {
            match self.plan_of(row) {
                Some(plan) => planned.push((row, plan)),
                None => orphans.push(row.id),
            }
        }
        if !orphans.is_empty() {
            round.failed += orphans.len();
            self.store.mark_failed(
                &orphans,
                &self.owner,
                "the recipient is no longer in the committees file (or the row is unreadable)",
                None,
                now,
            )?;
        }
        if planned.is_empty() {
            return Ok(Sending::Carried);
        }
        let key = (recipient.to_owned(), channel);
        let state = self
            .groups
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&key)
            .copied()
            .unwrap_or(GroupState {
                last_sent: None,
                bucket: None,
            });
        let committee = self
            .committees
            .get(&planned[0].1.committee)
            .expect("plan_of checked the committee");
        let timing = committee.timing.of(channel);
        let plans: Vec<PlannedNotification> =
            planned.iter().map(|(_, plan)| plan.clone()).collect();
        let ids_of = |positions: &[usize]| -> Vec<i64> {
            positions
                .iter()
                .map(|&position| planned[position].0.id)
                .collect()
        };
        let chosen = match plan_group(&plans, state.last_sent, timing, now) {
            GroupDecision::SendNow(positions) => positions,
            GroupDecision::WaitUntil(until) => {
                round.deferred += planned.len();
                let all: Vec<i64> = planned.iter().map(|(row, _)| row.id).collect();
                self.store.release(&all, &self.owner, until, now)?;
                return Ok(Sending::Carried);
            }
            GroupDecision::Idle => Vec::new(),
        };
        let waiting: Vec<usize> = (0..planned.len()).filter(|p| !chosen.contains(p)).collect();
        if !waiting.is_empty() {
            round.deferred += waiting.len();
            let due = now + timing.group_interval;
            self.store
                .release(&ids_of(&waiting), &self.owner, due, now)?;
        }
        if chosen.is_empty() {
            return Ok(Sending::Carried);
        }

        // The storm guard counts messages: this group is one.
        let guard = committee.storm_guard;
        let bucket = state.bucket.unwrap_or_else(|| guard.full(now));
        let urgent = chosen.iter().any(|&position| plans[position].urgent);
        let decision = guard.admit(bucket, &[MessageCandidate { urgent }], now);
        if decision.send.is_empty() && decision.summarised.is_empty() {
            round.deferred += chosen.len();
            let due = decision.retry_at.unwrap_or(now + timing.group_interval);
            self.store
                .release(&ids_of(&chosen), &self.owner, due, now)?;
            self.remember(&key, state.last_sent, Some(decision.state));
            return Ok(Sending::Carried);
        }
        let summary = decision.send.is_empty();
        let selected: Vec<&PlannedNotification> =
            chosen.iter().map(|&position| &plans[position]).collect();
        let ids = ids_of(&chosen);
        let group_key = group_key(&selected, recipient, channel)?;
        if !self.may_send() {
            round.released += ids.len();
            self.store.release(&ids, &self.owner, now, now)?;
            return Ok(Sending::Fenced);
        }
        let result = match channel {
            Channel::Sms => self.send_sms(&selected, summary, &group_key),
            Channel::Email => self.send_email(&selected, summary, &group_key),
        };
        match result {
            Ok((provider, message_id)) => {
                round.messages += 1;
                round.sent += ids.len();
                self.store.mark_sent(
                    &ids,
                    &self.owner,
                    &provider,
                    Some(&message_id),
                    Some(group_key.as_str()),
                    now,
                )?;
                self.remember(&key, Some(now), Some(decision.state));
            }
            Err(failure) => {
                // The rows failed together and are retried together, so that the message
                // that finally leaves still covers all of them.
                round.failed += ids.len();
                let attempts = chosen
                    .iter()
                    .map(|&position| planned[position].0.attempts)
                    .max()
                    .unwrap_or(1);
                let next = match self.retry.after_failure(
                    attempts,
                    jitter_unit(group_key.as_str(), attempts),
                    failure.retry_after,
                    now,
                ) {
                    RetryDecision::RetryAt(at) if failure.retryable => Some(at),
                    _ => None,
                };
                self.store
                    .mark_failed(&ids, &self.owner, &failure.reason, next, now)?;
            }
        }
        Ok(Sending::Carried)
    }

    fn remember(
        &self,
        key: &(String, Channel),
        last_sent: Option<DateTime<Utc>>,
        bucket: Option<BucketState>,
    ) {
        self.groups
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key.clone(), GroupState { last_sent, bucket });
    }

    /// The stored row as the router planned it, with the address from the committees file.
    fn plan_of(&self, row: &Notification) -> Option<PlannedNotification> {
        let payload: Payload = serde_json::from_value(row.payload.clone()).ok()?;
        let committee = self.committees.get(&row.committee)?;
        let member = committee
            .members
            .iter()
            .find(|member| member.id == row.recipient)?;
        let channel = row.channel;
        let address = member.address(channel)?.to_owned();
        Some(PlannedNotification {
            key: row.idempotency_key.clone(),
            recipient: row.recipient.clone(),
            channel,
            address,
            committee: row.committee.clone(),
            language: payload.language,
            not_before: row.not_before,
            urgent: payload.urgent,
            content: payload.content,
            suppressed: None,
        })
    }

    fn notice(&self, rows: &[&PlannedNotification], summary: bool) -> Option<WarningNotice> {
        let message = grouped_message(rows, summary)?;
        let link = match rows {
            [only] => format!("{}/w/{}", self.link_base_url, only.content.episode),
            _ => format!("{}/warnings", self.link_base_url),
        };
        Some(WarningNotice {
            level: message.level,
            transition: match message.transition {
                TransitionKind::Opened => compose::Transition::Opened,
                TransitionKind::Escalated => compose::Transition::Escalated,
                TransitionKind::DeEscalated => compose::Transition::DeEscalated,
                TransitionKind::Closed => compose::Transition::Closed,
                TransitionKind::LateEvidence => compose::Transition::LateEvidence,
            },
            zones: message
                .zones
                .into_iter()
                .map(|zone| ZoneFigures {
                    name: zone.name,
                    pcode: zone.pcode.to_string(),
                    events: zone.events,
                    fatalities: zone.fatalities,
                })
                .collect(),
            window_days: message.window_days,
            link,
            language: message.language,
        })
    }

    fn send_sms(
        &self,
        rows: &[&PlannedNotification],
        summary: bool,
        key: &IdempotencyKey,
    ) -> Result<(String, String), Failure> {
        let gateway = self
            .channels
            .sms
            .as_ref()
            .ok_or_else(|| Failure::not_configured("sms"))?;
        let notice = self.notice(rows, summary).ok_or_else(Failure::empty)?;
        let text = compose::sms_text(&notice, self.sms_options);
        let message = SmsMessage {
            to: rows[0].address.clone(),
            text: text.text,
            idempotency_key: key.clone(),
        };
        gateway
            .send(&message)
            .map(|id| (gateway.name().to_owned(), id.0))
            .map_err(Failure::from)
    }

    fn send_email(
        &self,
        rows: &[&PlannedNotification],
        summary: bool,
        key: &IdempotencyKey,
    ) -> Result<(String, String), Failure> {
        let server = self
            .channels
            .email
            .as_ref()
            .ok_or_else(|| Failure::not_configured("email"))?;
        let notice = self.notice(rows, summary).ok_or_else(Failure::empty)?;
        let message = EmailMessage {
            to: rows[0].address.clone(),
            content: compose::email_content(&notice),
            idempotency_key: key.clone(),
        };
        server
            .send(&message)
            .map(|id| (server.name().to_owned(), id.0))
            .map_err(Failure::from)
    }
}

/// One key per message: the row's own for a message about one transition, else a digest of
/// the rows' keys (the same rows always make the same key, so a message sent again after a
/// crash carries the same Message-ID and gateway idempotency key).
fn group_key(
    rows: &[&PlannedNotification],
    recipient: &str,
    channel: Channel,
) -> anyhow::Result<IdempotencyKey> {
    let key = match rows {
        [only] => only.key.clone(),
        _ => {
            let mut keys: Vec<&str> = rows.iter().map(|row| row.key.as_str()).collect();
            keys.sort_unstable();
            let digest = Sha256::digest(keys.join("\n").as_bytes());
            format!(
                "group|{}|{recipient}|{}",
                &hex::encode(digest)[..32],
                channel.as_str()
            )
        }
    };
    IdempotencyKey::new(key).context("a notification's idempotency key")
}

/// Why a send failed, as the retry policy needs it.
struct Failure {
    reason: String,
    retryable: bool,
    retry_after: Option<TimeDelta>,
}

impl Failure {
    fn not_configured(channel: &str) -> Failure {
        Failure {
            reason: format!("no {channel} gateway is configured ([delivery.{channel}])"),
            retryable: true,
            retry_after: Some(TimeDelta::minutes(10)),
        }
    }

    fn empty() -> Failure {
        Failure {
            reason: "nothing to say: the rows hold no transition".to_owned(),
            retryable: false,
            retry_after: None,
        }
    }
}

impl From<vigie_notify::DeliveryError> for Failure {
    fn from(error: vigie_notify::DeliveryError) -> Failure {
        Failure {
            retryable: error.is_retryable(),
            retry_after: error
                .retry_after()
                .and_then(|wait| TimeDelta::from_std(wait).ok()),
            reason: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use vigie_domain::{ZoneLevel, ZoneSet};
    use vigie_http::SharedGeography;
    use vigie_spatial::{IndexOptions, SpatialIndex, codec};

    use super::*;
    use crate::geography::{EMBEDDED_ZONES, build_shared};

    fn geography(zones: &ZoneSet, version: i64) -> vigie_http::Geography {
        let index = SpatialIndex::build(zones, IndexOptions::default());
        build_shared(zones.clone(), index, Some(version))
    }

    #[test]
    fn the_engine_takes_a_published_geography_at_its_next_refresh() {
        let zones = codec::decode(EMBEDDED_ZONES).unwrap();
        let shared = SharedGeography::new(geography(&zones, 1));
        let mut pipeline = Pipeline {
            rules: load_rules(None).unwrap(),
            zones: ZoneTable::from_zone_set(&zones),
            hierarchy: ZoneHierarchy::from_zone_set(&zones),
            committees: None,
            committees_modified: None,
            geography_version: Some(1),
            shared_geography: None,
        }
        .following(shared.clone());
        assert!(!pipeline.refresh_geography(), "already at version 1");

        let mut renamed = zones.clone();
        renamed.communes[0].name = "Renommée".to_owned();
        let removed = renamed.corridors.pop().unwrap();
        shared.replace(geography(&renamed, 2));
        assert!(pipeline.refresh_geography());
        assert_eq!(pipeline.geography_version, Some(2));
        let commune = &zones.communes[0].id;
        let position = pipeline
            .zones
            .position(ZoneLevel::Commune, commune)
            .unwrap();
        assert_eq!(pipeline.zones.get(position).name, "Renommée");
        assert_eq!(
            pipeline.zones.position(ZoneLevel::Corridor, &removed.id),
            None
        );
        assert_eq!(pipeline.hierarchy.level(&removed.id), None);
        assert!(!pipeline.refresh_geography(), "nothing new since");
    }

    #[test]
    fn a_committee_of_a_newly_published_commune_validates_once_the_geography_moved() {
        let zones = codec::decode(EMBEDDED_ZONES).unwrap();
        let shared = SharedGeography::new(geography(&zones, 1));
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("committees.toml");
        std::fs::write(
            &path,
            "[[committee]]\nid = \"ccs-nouvelle\"\nname = \"Nouvelle commune\"\n\
             kind = \"communal\"\nzones = [\"ML999901\"]\n\n[[committee.member]]\n\
             id = \"m1\"\nname = \"Member\"\nphone = \"+44 7700 900001\"\n\
             channels = [\"sms\"]\n",
        )
        .unwrap();
        let mut watch = CommitteesFile {
            path,
            hierarchy: ZoneHierarchy::from_zone_set(&zones),
            geography: Some(shared.clone()),
            geography_version: Some(1),
            modified: None,
            checked: None,
        };
        assert!(
            watch.changed().is_none(),
            "ML999901 is no commune of version 1"
        );

        let mut extended = zones.clone();
        let mut commune = extended.communes[0].clone();
        commune.id = vigie_domain::ZoneId::new("ML999901").unwrap();
        extended.communes.push(commune);
        shared.replace(geography(&extended, 2));
        // Looked at again as if the file had just changed.
        watch.modified = None;
        watch.checked = None;
        let committees = watch.changed().expect("valid against version 2");
        assert_eq!(committees.committees().len(), 1);
        assert_eq!(watch.geography_version, Some(2));
    }
}
