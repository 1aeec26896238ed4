//! Vigie's delivery decisions: who hears about a warning transition, on which channel, when,
//! together with what, and what happens when sending fails.
//!
//! The pipeline, as values: a committees file ([`Committees`], validated against the
//! reference geography) says who covers which zones; [`route`] turns one engine
//! [`vigie_engine::Transition`] into [`PlannedNotification`]s — one per member and channel,
//! with an idempotency key, a `not_before` (group wait, quiet hours) and, for the ones held
//! back, a [`Suppression`] (minimum level, inhibition, silence); [`plan_group`] decides which
//! pending rows of one recipient and channel go out together (Alertmanager's `group_wait`,
//! `group_interval`, `repeat_interval`); the [`StormGuard`] caps messages per recipient and
//! merges the overflow into one summary; [`RetryPolicy`] schedules retries with full jitter
//! and dead-letters the hopeless; [`grouped_message`] says what one message contains.
//!
//! This crate must never do IO, read a clock, draw random numbers, spawn threads or depend
//! on an async runtime: time and randomness are parameters, so every decision can be tested
//! and replayed. The outbox tables, the dispatcher and the channels live elsewhere.

mod committees;
mod editing;
mod error;
mod grouping;
mod message;
mod retry;
mod routing;
mod storm;
mod time;
mod zones;

pub use committees::{
    Channel, ChannelTimings, Committee, CommitteeKind, Committees, DEFAULT_GROUP_TIMING,
    DEFAULT_STORM_GUARD, EXAMPLE_COMMITTEES_TOML, Member,
};
pub use editing::{CommitteeEdit, EditError, NewCommittee, NewMember, edit_committees};
pub use error::CommitteesError;
pub use grouping::{
    GroupDecision, GroupTiming, OpenWarning, ReminderPlan, groups_of, plan_group, plan_reminders,
};
pub use message::{GroupedMessage, ZoneLine, grouped_message};
pub use retry::{RetryDecision, RetryPolicy, jitter_unit};
pub use routing::{
    NotificationContent, PlannedNotification, Silence, SilenceScope, Suppression, idempotency_key,
    route,
};
pub use storm::{BucketState, MessageCandidate, StormDecision, StormGuard, summary_line};
pub use time::{QuietHours, parse_duration};
pub use zones::ZoneHierarchy;
