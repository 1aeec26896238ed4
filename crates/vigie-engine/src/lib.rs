//! Vigie's warning engine: from located events to warnings a committee can trust.
//!
//! Rules ([`RuleSet`], read from `config/rules.toml`) say what counts (event types, sources
//! and their weights), where (communes, cercles, regions, corridors in season), over how
//! many days, and at which thresholds — fixed, or against the zone's own history (ACLED's
//! surge rule, Poisson exceedance, z-score). For every (rule, zone) the [`Engine`] keeps the
//! events as sorted daily buckets with running totals and a state machine with hysteresis
//! (enter and exit thresholds, `for` and `keep_for`), and returns [`Transition`]s — opened,
//! escalated, de-escalated, closed, late evidence — with their evidence, as values.
//!
//! This crate must never do IO, read a clock, spawn threads or depend on an async runtime:
//! the same incidents and rules give the same transitions, byte for byte, so that a replay
//! of history explains every warning.

mod engine;
mod error;
mod incident;
mod machine;
mod rules;
mod series;
pub mod stats;
mod zones;

pub use engine::{
    Baseline, DateRange, Engine, Evidence, Statistic, Transition, TransitionKind, ZoneSummary,
    replay,
};
pub use error::RulesError;
pub use incident::Incident;
pub use rules::{
    DEFAULT_RULES_TOML, EnterThreshold, Measure, Rule, RuleKind, RuleSet, SourceKind,
    SourceWeights, WarningLevel,
};
pub use zones::{ZoneEntry, ZoneTable};
