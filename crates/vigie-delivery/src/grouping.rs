//! When the pending notifications of one recipient on one channel go out, and together
//! with which others — Alertmanager's grouping, per (recipient, channel).
//!
//! * `group_wait`: a first notification waits this long (its `not_before`) so that the
//!   others of the same burst join it.
//! * `group_interval`: after a message, the next one waits at least this long; whatever
//!   arrives meanwhile goes together then.
//! * `repeat_interval`: a warning still open is recalled this long after it was last told.
//!
//! Urgent notifications do not wait for `group_interval` (nor quiet hours, see routing):
//! an `urgence` goes as soon as its own `group_wait` is over, taking along whatever else of
//! the group is due.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::committees::Channel;
use crate::routing::PlannedNotification;
use crate::time::QuietHours;

/// The grouping timings of one committee on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupTiming {
    /// How long a first notification waits for others of the same burst.
    pub group_wait: TimeDelta,
    /// The least time between two messages to the same recipient on the same channel.
    pub group_interval: TimeDelta,
    /// How long after it was last told a still-open warning is recalled.
    pub repeat_interval: TimeDelta,
}

/// What to do now with one group's pending notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupDecision {
    /// Send these rows (positions in the slice given) together as one message now.
    SendNow(Vec<usize>),
    /// Nothing can go yet; look again at this time.
    WaitUntil(DateTime<Utc>),
    /// Nothing is pending.
    Idle,
}

/// Decides, for the pending rows of one (recipient, channel), what goes now.
///
/// `pending` holds the rows not yet sent (suppressed rows are ignored); `last_sent` is when
/// the last message went to this group, if ever. A row is ready at its `not_before`, or for
/// a non-urgent row at `last_sent + group_interval` if that is later. When a row is ready,
/// one message takes every row whose `not_before` is at most `now + group_wait`: rows
/// still in their own group wait (they arrived with the burst) join, rows held by quiet
/// hours do not.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use vigie_delivery::{GroupDecision, GroupTiming, plan_group};
/// let timing = GroupTiming { group_wait: TimeDelta::seconds(30),
///     group_interval: TimeDelta::minutes(5), repeat_interval: TimeDelta::hours(24) };
/// let now = Utc.with_ymd_and_hms(2019, 3, 23, 10, 0, 0).unwrap();
/// assert_eq!(plan_group(&[], None, &timing, now), GroupDecision::Idle);
/// ```
pub fn plan_group(
    pending: &[PlannedNotification],
    last_sent: Option<DateTime<Utc>>,
    timing: &GroupTiming,
    now: DateTime<Utc>,
) -> GroupDecision {
    let interval_open_at = last_sent.map(|sent| sent + timing.group_interval);
    let ready_at = |row: &PlannedNotification| match interval_open_at {
        Some(open_at) if !row.urgent => row.not_before.max(open_at),
        _ => row.not_before,
    };
    let live = || {
        pending
            .iter()
            .enumerate()
            .filter(|(_, row)| row.suppressed.is_none())
    };
    let Some(earliest) = live().map(|(_, row)| ready_at(row)).min() else {
        return GroupDecision::Idle;
    };
    if earliest > now {
        return GroupDecision::WaitUntil(earliest);
    }
    let horizon = now + timing.group_wait;
    GroupDecision::SendNow(
        live()
            .filter(|(_, row)| row.not_before <= horizon)
            .map(|(position, _)| position)
            .collect(),
    )
}

/// Splits pending rows into their groups, `(recipient, channel)` → positions, in a stable
/// order.
pub fn groups_of(pending: &[PlannedNotification]) -> BTreeMap<(String, Channel), Vec<usize>> {
    let mut groups: BTreeMap<(String, Channel), Vec<usize>> = BTreeMap::new();
    for (position, row) in pending.iter().enumerate() {
        groups
            .entry((row.recipient.clone(), row.channel))
            .or_default()
            .push(position);
    }
    groups
}

/// A warning still open that a recipient was told about on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenWarning {
    /// The episode.
    pub episode: String,
    /// When the recipient was last told about it on this channel (a transition or a
    /// reminder).
    pub last_notified: DateTime<Utc>,
}

/// Which open warnings to recall now, in one reminder message, and when to look again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderPlan {
    /// Positions of the warnings to recall now (empty: no reminder now).
    pub due: Vec<usize>,
    /// When the next reminder may fall due, if any warning is open.
    pub next_check: Option<DateTime<Utc>>,
}

/// Plans reminders for the open warnings of one (recipient, channel): a warning is recalled
/// `repeat_interval` after it was last told. Reminders are never urgent: inside quiet hours
/// they wait for the end. All warnings due go in one message.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use vigie_delivery::{OpenWarning, plan_reminders};
/// let told = Utc.with_ymd_and_hms(2019, 3, 23, 10, 0, 0).unwrap();
/// let open = [OpenWarning { episode: "civilians/ML050308/2019-03-23".into(), last_notified: told }];
/// let plan = plan_reminders(&open, TimeDelta::hours(24), None, told + TimeDelta::hours(25));
/// assert_eq!(plan.due, vec![0]);
/// ```
pub fn plan_reminders(
    open: &[OpenWarning],
    repeat_interval: TimeDelta,
    quiet_hours: Option<&QuietHours>,
    now: DateTime<Utc>,
) -> ReminderPlan {
    let defer = |at: DateTime<Utc>| quiet_hours.map_or(at, |quiet| quiet.defer(at));
    let quiet_now = quiet_hours.is_some_and(|quiet| quiet.contains(now));
    let mut due = Vec::new();
    let mut next_check: Option<DateTime<Utc>> = None;
    for (position, warning) in open.iter().enumerate() {
        let due_at = warning.last_notified + repeat_interval;
        if due_at <= now && !quiet_now {
            due.push(position);
            continue;
        }
        let check = defer(due_at.max(now));
        next_check = Some(next_check.map_or(check, |known| known.min(check)));
    }
    if !due.is_empty() {
        // The warnings recalled now are next due a full interval from now.
        let after = defer(now + repeat_interval);
        next_check = Some(next_check.map_or(after, |known| known.min(after)));
    }
    ReminderPlan { due, next_check }
}
