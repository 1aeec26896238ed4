//! The rules file: what counts, where, over how many days, and when it becomes a warning.
//!
//! The file is read into loose `Raw*` structures (serde, unknown keys refused) and then
//! validated into [`RuleSet`], whose rules cannot be built in an inconsistent state: exit
//! thresholds never above enter thresholds, surge parameters only on surge rules, weights in
//! thousandths.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
pub use vigie_domain::WarningLevel;
use vigie_domain::{EventType, ZoneLevel};

use crate::error::RulesError;

/// The default rules shipped in `config/rules.toml`, embedded at build time.
pub const DEFAULT_RULES_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../config/rules.toml"
));

/// What a rule measures its window against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Fixed thresholds on weighted events, fatalities and distinct days in the window.
    Threshold,
    /// ACLED's surge rule: the window's count against the mean of the previous windows
    /// (`ratio`), only where that mean reaches `min_baseline_mean`.
    AcledSurge,
    /// Poisson exceedance: P(X ≥ x | λ), λ the mean of the zone's previous windows
    /// (`p_value`).
    Poisson,
    /// Standard score of the window's count against the previous windows, σ floored
    /// (`z`).
    Zscore,
}

impl RuleKind {
    /// The snake_case name used in the rules file.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Threshold => "threshold",
            RuleKind::AcledSurge => "acled_surge",
            RuleKind::Poisson => "poisson",
            RuleKind::Zscore => "zscore",
        }
    }

    fn statistic_key(self) -> Option<&'static str> {
        match self {
            RuleKind::Threshold => None,
            RuleKind::AcledSurge => Some("ratio"),
            RuleKind::Poisson => Some("p_value"),
            RuleKind::Zscore => Some("z"),
        }
    }
}

/// Where an event's record came from, as far as rules weigh it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// ACLED.
    Acled,
    /// UCDP GED.
    Ucdp,
    /// A community report from a registered monitor or confirmed by an analyst.
    CommunityVerified,
    /// A community report nobody has checked yet.
    CommunityUnverified,
}

/// How much one event of each source kind counts, in thousandths of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceWeights {
    milli: [u32; 4],
}

impl SourceWeights {
    /// The weight of `source` in thousandths (1000 = one full event, 0 = ignored).
    pub fn milli(&self, source: SourceKind) -> u32 {
        self.milli[source as usize]
    }
}

impl Default for SourceWeights {
    /// Full weight for ACLED, UCDP and verified reports; half for unverified reports.
    fn default() -> Self {
        SourceWeights {
            milli: [1000, 1000, 1000, 500],
        }
    }
}

/// Which events a rule counts. An empty list means "any".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// Bit `i` set: `EventType::ALL[i]` counts. Zero: every type.
    event_types: u8,
    /// Bit `8 * type + position` set: that sub-event type counts. Zero: every sub-type.
    sub_event_types: u64,
    /// Lowercased disorder types that count. Empty: any (including none).
    disorder_types: Vec<String>,
    /// `Some(true)`: only events targeting civilians; `Some(false)`: only the others.
    civilian_targeting: Option<bool>,
}

/// The code of a sub-event type in ACLED's taxonomy, `8 × type + position`, if known.
pub(crate) fn sub_event_code(event_type: EventType, sub_event_type: &str) -> Option<u8> {
    let type_position = EventType::ALL
        .iter()
        .position(|known| *known == event_type)?;
    let wanted = sub_event_type.trim();
    let position = event_type
        .sub_event_types()
        .iter()
        .position(|known| known.eq_ignore_ascii_case(wanted))?;
    Some((type_position * 8 + position) as u8)
}

pub(crate) fn event_type_bit(event_type: EventType) -> u8 {
    let position = EventType::ALL
        .iter()
        .position(|known| *known == event_type)
        .unwrap_or(0);
    1 << position
}

impl Filter {
    /// Whether an event with these attributes counts.
    pub(crate) fn accepts(
        &self,
        event_type: EventType,
        sub_event_code: Option<u8>,
        disorder_type: Option<&str>,
        civilian_targeting: bool,
    ) -> bool {
        if self.event_types != 0 && self.event_types & event_type_bit(event_type) == 0 {
            return false;
        }
        if self.sub_event_types != 0 {
            match sub_event_code {
                Some(code) if self.sub_event_types & (1u64 << code) != 0 => {}
                _ => return false,
            }
        }
        if let Some(wanted) = self.civilian_targeting
            && wanted != civilian_targeting
        {
            return false;
        }
        if !self.disorder_types.is_empty() {
            let Some(disorder) = disorder_type else {
                return false;
            };
            let disorder = disorder.trim();
            if !self
                .disorder_types
                .iter()
                .any(|wanted| wanted.eq_ignore_ascii_case(disorder))
            {
                return false;
            }
        }
        true
    }
}

/// One side of a level: the measures that must all be reached.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Condition {
    /// Weighted events, in thousandths, at least.
    pub(crate) min_weight_milli: Option<i64>,
    /// Fatalities, at least.
    pub(crate) min_fatalities: Option<i64>,
    /// Distinct days with an event, at least.
    pub(crate) min_days: Option<u32>,
    /// Surge ratio, at least.
    pub(crate) min_ratio: Option<f64>,
    /// Natural log of the Poisson p-value, at most.
    pub(crate) max_log_p: Option<f64>,
    /// z-score, at least.
    pub(crate) min_z: Option<f64>,
}

/// The enter and exit conditions of one warning level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LevelThresholds {
    pub(crate) enter: Condition,
    pub(crate) exit: Condition,
}

/// The thresholds of each warning level (a rule need not use all three).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Thresholds {
    pub(crate) levels: [Option<LevelThresholds>; 3],
}

impl Thresholds {
    pub(crate) fn level(&self, level: WarningLevel) -> Option<&LevelThresholds> {
        self.levels[level.rank()].as_ref()
    }
}

/// Parameters of the surge kinds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SurgeParameters {
    /// How many windows before the current one form the baseline.
    pub(crate) baseline_windows: u32,
    /// Weighted events (thousandths) the current window needs before any test is made.
    pub(crate) min_events_milli: i64,
    /// ACLED's rule: the baseline mean must reach this.
    pub(crate) min_baseline_mean: f64,
    /// Poisson: λ is never taken below this (events per window).
    pub(crate) min_rate: f64,
    /// z-score: σ is never taken below this.
    pub(crate) sigma_floor: f64,
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    id: String,
    rationale: String,
    kind: RuleKind,
    zone_levels: Vec<ZoneLevel>,
    window_days: u32,
    for_days: u32,
    keep_for_days: u32,
    pub(crate) filter: Filter,
    pub(crate) weights: SourceWeights,
    thresholds: Thresholds,
    by_zone_level: BTreeMap<ZoneLevel, Thresholds>,
    pub(crate) surge: SurgeParameters,
}

impl Rule {
    /// The rule's id, unique in its file.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Why the rule exists, in one line.
    pub fn rationale(&self) -> &str {
        &self.rationale
    }

    /// What the window is compared with.
    pub fn kind(&self) -> RuleKind {
        self.kind
    }

    /// The zone levels the rule is evaluated at (one state machine per zone of each).
    pub fn zone_levels(&self) -> &[ZoneLevel] {
        &self.zone_levels
    }

    /// Length of the counting window, in days, ending on the evaluated day.
    pub fn window_days(&self) -> u32 {
        self.window_days
    }

    /// Days the enter condition must hold before a warning opens (`for`); 0 opens at once.
    pub fn for_days(&self) -> u32 {
        self.for_days
    }

    /// Days a warning holds after its measures fall before it de-escalates or closes
    /// (`keep_for`).
    pub fn keep_for_days(&self) -> u32 {
        self.keep_for_days
    }

    /// How much each source kind counts.
    pub fn weights(&self) -> SourceWeights {
        self.weights
    }

    /// Days of history before the window the rule looks at (0 for threshold rules).
    pub fn baseline_days(&self) -> u32 {
        match self.kind {
            RuleKind::Threshold => 0,
            _ => self.surge.baseline_windows * self.window_days,
        }
    }

    /// What each warning level needs to open in a zone of `zone_level` (its `by_zone_level`
    /// thresholds when it has some), lowest level first, one entry per measure. For
    /// display: a chart draws them over the zone's series. Exit thresholds are left out.
    pub fn enter_thresholds(&self, zone_level: ZoneLevel) -> Vec<EnterThreshold> {
        let thresholds = self.thresholds_for(zone_level);
        let mut entries = Vec::new();
        for level in WarningLevel::ALL {
            let Some(level_thresholds) = thresholds.level(level) else {
                continue;
            };
            let enter = &level_thresholds.enter;
            let measures = [
                (
                    Measure::Events,
                    enter.min_weight_milli.map(|milli| milli as f64 / 1000.0),
                ),
                (Measure::Fatalities, enter.min_fatalities.map(|n| n as f64)),
                (Measure::Days, enter.min_days.map(f64::from)),
                (Measure::Ratio, enter.min_ratio),
                (Measure::PValue, enter.max_log_p.map(f64::exp)),
                (Measure::Z, enter.min_z),
            ];
            entries.extend(measures.into_iter().filter_map(|(measure, value)| {
                value.map(|value| EnterThreshold {
                    level,
                    measure,
                    value,
                })
            }));
        }
        entries
    }

    pub(crate) fn thresholds_for(&self, zone_level: ZoneLevel) -> &Thresholds {
        self.by_zone_level
            .get(&zone_level)
            .unwrap_or(&self.thresholds)
    }
}

/// A measure a rule's condition compares with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Weighted events in the window.
    Events,
    /// Fatalities in the window.
    Fatalities,
    /// Distinct days with an event in the window.
    Days,
    /// Surge ratio (`acled_surge`), at least.
    Ratio,
    /// Poisson p-value, at most.
    PValue,
    /// z-score, at least.
    Z,
}

impl Measure {
    /// The name the rules file uses (`events`, `fatalities`, `days`, `ratio`, `p_value`, `z`).
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Events => "events",
            Measure::Fatalities => "fatalities",
            Measure::Days => "days",
            Measure::Ratio => "ratio",
            Measure::PValue => "p_value",
            Measure::Z => "z",
        }
    }

    /// Whether the measure is a statistic of the window against the zone's own past (the
    /// surge kinds) rather than a count of the window.
    pub fn is_statistic(self) -> bool {
        matches!(self, Measure::Ratio | Measure::PValue | Measure::Z)
    }
}

/// One threshold a level needs to open (see [`Rule::enter_thresholds`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnterThreshold {
    /// The level it opens.
    pub level: WarningLevel,
    /// What is measured.
    pub measure: Measure,
    /// The threshold: at least this, or for [`Measure::PValue`] at most this.
    pub value: f64,
}

/// A validated set of rules, in file order (which is also the order of their output).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Reads and validates a rules file's text.
    ///
    /// ```
    /// let rules = vigie_engine::RuleSet::from_toml(r#"
    ///     [[rule]]
    ///     id = "civilians"
    ///     rationale = "three attacks on civilians in four weeks is a pattern"
    ///     kind = "threshold"
    ///     zone_level = "commune"
    ///     window_days = 28
    ///     filter = { event_types = ["Violence against civilians"] }
    ///     vigilance = { enter = { events = 3, days = 3 }, exit = { events = 1, days = 1 } }
    /// "#).unwrap();
    /// assert_eq!(rules.rules()[0].window_days(), 28);
    /// ```
    pub fn from_toml(text: &str) -> Result<RuleSet, RulesError> {
        let file: RawFile = toml::from_str(text).map_err(|error| {
            RulesError::Syntax(error.message().to_owned() + &line_hint(text, error.span()))
        })?;
        if file.rule.is_empty() {
            return Err(RulesError::Empty);
        }
        let mut rules: Vec<Rule> = Vec::with_capacity(file.rule.len());
        for (position, value) in file.rule.into_iter().enumerate() {
            let name = value
                .get("id")
                .and_then(toml::Value::as_str)
                .map(|id| format!("{id:?}"))
                .unwrap_or_else(|| format!("#{}", position + 1));
            let raw: RawRule =
                value
                    .try_into()
                    .map_err(|error: toml::de::Error| RulesError::Unreadable {
                        rule: name.clone(),
                        message: error.message().trim().to_owned(),
                    })?;
            let rule = raw.validate()?;
            if rules.iter().any(|known| known.id == rule.id) {
                return Err(RulesError::DuplicateId(rule.id));
            }
            rules.push(rule);
        }
        Ok(RuleSet { rules })
    }

    /// The rules shipped in `config/rules.toml`.
    pub fn defaults() -> RuleSet {
        RuleSet::from_toml(DEFAULT_RULES_TOML).expect("the shipped rules file is valid")
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The most days before a window's first day any rule looks at, plus the longest window:
    /// how far back events must be read to evaluate the first day of a replay.
    pub fn lookback_days(&self) -> u32 {
        self.rules
            .iter()
            .map(|rule| rule.window_days + rule.baseline_days())
            .max()
            .unwrap_or(0)
    }
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<toml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    #[serde(default)]
    event_types: Vec<String>,
    #[serde(default)]
    sub_event_types: Vec<String>,
    #[serde(default)]
    disorder_types: Vec<String>,
    civilian_targeting: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSources {
    acled: Option<f64>,
    ucdp: Option<f64>,
    community_verified: Option<f64>,
    community_unverified: Option<f64>,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    events: Option<f64>,
    fatalities: Option<u32>,
    days: Option<u32>,
    ratio: Option<f64>,
    p_value: Option<f64>,
    z: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    enter: RawCondition,
    exit: Option<RawCondition>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLevels {
    vigilance: Option<RawLevel>,
    alerte: Option<RawLevel>,
    urgence: Option<RawLevel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    rationale: String,
    kind: RuleKind,
    zone_level: OneOrMany<ZoneLevel>,
    window_days: u32,
    #[serde(default)]
    for_days: u32,
    #[serde(default)]
    keep_for_days: u32,
    #[serde(default)]
    filter: RawFilter,
    #[serde(default)]
    sources: RawSources,
    vigilance: Option<RawLevel>,
    alerte: Option<RawLevel>,
    urgence: Option<RawLevel>,
    #[serde(default)]
    by_zone_level: BTreeMap<String, RawLevels>,
    baseline_windows: Option<u32>,
    min_events: Option<f64>,
    min_baseline_mean: Option<f64>,
    min_rate: Option<f64>,
    sigma_floor: Option<f64>,
}

/// The longest window or hold accepted: ten years.
const MAX_DAYS: u32 = 3660;

impl RawRule {
    fn validate(self) -> Result<Rule, RulesError> {
        let id = self.id.trim().to_owned();
        let invalid = |key: &str, reason: String| RulesError::Invalid {
            rule: id.clone(),
            key: key.to_owned(),
            reason,
        };
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(invalid(
                "id",
                "must be non-empty ASCII letters, digits, '-', '_' or '.'".into(),
            ));
        }
        if self.rationale.trim().is_empty() {
            return Err(invalid(
                "rationale",
                "must say in one line why the rule exists".into(),
            ));
        }
        let mut zone_levels = match &self.zone_level {
            OneOrMany::One(level) => vec![*level],
            OneOrMany::Many(levels) => levels.clone(),
        };
        zone_levels.sort();
        zone_levels.dedup();
        if zone_levels.is_empty() {
            return Err(invalid("zone_level", "names no zone level".into()));
        }
        for (key, value, minimum) in [
            ("window_days", self.window_days, 1),
            ("for_days", self.for_days, 0),
            ("keep_for_days", self.keep_for_days, 0),
        ] {
            if value < minimum || value > MAX_DAYS {
                return Err(invalid(
                    key,
                    format!("{value} is outside {minimum}..={MAX_DAYS} days"),
                ));
            }
        }
        let filter =
            validate_filter(&self.filter).map_err(|(key, reason)| invalid(&key, reason))?;
        let weights =
            validate_weights(&self.sources).map_err(|(key, reason)| invalid(&key, reason))?;
        let kind = self.kind;
        let surge = validate_surge(&self).map_err(|(key, reason)| invalid(&key, reason))?;
        let levels = RawLevels {
            vigilance: self.vigilance,
            alerte: self.alerte,
            urgence: self.urgence,
        };
        let thresholds =
            validate_levels(kind, &levels, "").map_err(|(key, reason)| invalid(&key, reason))?;
        let mut by_zone_level = BTreeMap::new();
        for (name, levels) in &self.by_zone_level {
            let key = format!("by_zone_level.{name}");
            let zone_level: ZoneLevel = name
                .parse()
                .map_err(|_| invalid(&key, "is not a zone level".into()))?;
            if !zone_levels.contains(&zone_level) {
                return Err(invalid(
                    &key,
                    "names a zone level the rule is not evaluated at (see zone_level)".into(),
                ));
            }
            let thresholds = validate_levels(kind, levels, &format!("{key}."))
                .map_err(|(key, reason)| invalid(&key, reason))?;
            by_zone_level.insert(zone_level, thresholds);
        }
        Ok(Rule {
            id: id.clone(),
            rationale: self.rationale.trim().to_owned(),
            kind,
            zone_levels,
            window_days: self.window_days,
            for_days: self.for_days,
            keep_for_days: self.keep_for_days,
            filter,
            weights,
            thresholds,
            by_zone_level,
            surge,
        })
    }
}

type KeyError = (String, String);

fn validate_filter(raw: &RawFilter) -> Result<Filter, KeyError> {
    let mut filter = Filter {
        civilian_targeting: raw.civilian_targeting,
        ..Filter::default()
    };
    let mut types = Vec::new();
    for label in &raw.event_types {
        let event_type = EventType::from_label(label).ok_or_else(|| {
            (
                "filter.event_types".to_owned(),
                format!("{label:?} is not an ACLED event type"),
            )
        })?;
        filter.event_types |= event_type_bit(event_type);
        types.push(event_type);
    }
    let candidates: Vec<EventType> = if types.is_empty() {
        EventType::ALL.to_vec()
    } else {
        types
    };
    for label in &raw.sub_event_types {
        let code = candidates
            .iter()
            .find_map(|event_type| sub_event_code(*event_type, label))
            .ok_or_else(|| {
                (
                    "filter.sub_event_types".to_owned(),
                    format!("{label:?} is not a sub-event type of the rule's event types"),
                )
            })?;
        filter.sub_event_types |= 1u64 << code;
    }
    for disorder in &raw.disorder_types {
        let disorder = disorder.trim();
        if disorder.is_empty() {
            return Err((
                "filter.disorder_types".to_owned(),
                "contains an empty name".into(),
            ));
        }
        filter.disorder_types.push(disorder.to_ascii_lowercase());
    }
    Ok(filter)
}

fn to_milli(value: f64) -> Option<i64> {
    if !value.is_finite() || !(0.0..=1.0e9).contains(&value) {
        return None;
    }
    let milli = (value * 1000.0).round();
    ((milli - value * 1000.0).abs() < 1e-6).then_some(milli as i64)
}

fn validate_weights(raw: &RawSources) -> Result<SourceWeights, KeyError> {
    let mut weights = SourceWeights::default();
    for (kind, key, value) in [
        (SourceKind::Acled, "acled", raw.acled),
        (SourceKind::Ucdp, "ucdp", raw.ucdp),
        (
            SourceKind::CommunityVerified,
            "community_verified",
            raw.community_verified,
        ),
        (
            SourceKind::CommunityUnverified,
            "community_unverified",
            raw.community_unverified,
        ),
    ] {
        let Some(value) = value else { continue };
        match to_milli(value) {
            Some(milli) if milli <= 10_000 => weights.milli[kind as usize] = milli as u32,
            _ => {
                return Err((
                    format!("sources.{key}"),
                    format!("{value} is not a weight from 0 to 10 in steps of 0.001"),
                ));
            }
        }
    }
    Ok(weights)
}

fn validate_condition(
    kind: RuleKind,
    raw: &RawCondition,
    key: &str,
) -> Result<Condition, KeyError> {
    let at = |name: &str| format!("{key}.{name}");
    let statistic = kind.statistic_key();
    let refuse_statistic = |name: &str, present: bool| -> Result<(), KeyError> {
        if present && statistic != Some(name) {
            return Err((
                at(name),
                format!("is not a measure of a {} rule", kind.as_str()),
            ));
        }
        Ok(())
    };
    refuse_statistic("ratio", raw.ratio.is_some())?;
    refuse_statistic("p_value", raw.p_value.is_some())?;
    refuse_statistic("z", raw.z.is_some())?;
    let mut condition = Condition::default();
    if let Some(events) = raw.events {
        condition.min_weight_milli = Some(to_milli(events).ok_or_else(|| {
            (
                at("events"),
                format!("{events} is not a non-negative count in steps of 0.001"),
            )
        })?);
    }
    condition.min_fatalities = raw.fatalities.map(i64::from);
    condition.min_days = raw.days;
    if let Some(ratio) = raw.ratio {
        if !(ratio.is_finite() && ratio > 0.0) {
            return Err((at("ratio"), format!("{ratio} is not a positive ratio")));
        }
        condition.min_ratio = Some(ratio);
    }
    if let Some(p_value) = raw.p_value {
        if !(p_value > 0.0 && p_value < 1.0) {
            return Err((at("p_value"), format!("{p_value} is not between 0 and 1")));
        }
        condition.max_log_p = Some(p_value.ln());
    }
    if let Some(z) = raw.z {
        if !z.is_finite() {
            return Err((at("z"), format!("{z} is not a finite score")));
        }
        condition.min_z = Some(z);
    }
    let has_any = condition.min_weight_milli.is_some()
        || condition.min_fatalities.is_some()
        || condition.min_days.is_some();
    match statistic {
        Some(name)
            if condition.min_ratio.is_none()
                && condition.max_log_p.is_none()
                && condition.min_z.is_none() =>
        {
            Err((
                key.to_owned(),
                format!("a {} rule needs `{name}` here", kind.as_str()),
            ))
        }
        None if !has_any => Err((
            key.to_owned(),
            "names no measure (events, fatalities or days)".into(),
        )),
        _ => Ok(condition),
    }
}

/// Exit must be reachable from enter: every exit measure present in enter and no stricter.
fn check_hysteresis(enter: &Condition, exit: &Condition, key: &str) -> Result<(), KeyError> {
    let fail = |name: &str, reason: &str| Err((format!("{key}.exit.{name}"), reason.to_owned()));
    fn pair<T: PartialOrd + Copy>(enter: Option<T>, exit: Option<T>) -> Option<bool> {
        match (enter, exit) {
            (_, None) => Some(true),
            (None, Some(_)) => None,
            (Some(enter), Some(exit)) => Some(exit <= enter),
        }
    }
    let checks = [
        (
            "events",
            pair(enter.min_weight_milli, exit.min_weight_milli),
        ),
        (
            "fatalities",
            pair(enter.min_fatalities, exit.min_fatalities),
        ),
        ("days", pair(enter.min_days, exit.min_days)),
        ("ratio", pair(enter.min_ratio, exit.min_ratio)),
        ("z", pair(enter.min_z, exit.min_z)),
        // A larger p-value is the looser side.
        (
            "p_value",
            pair(enter.max_log_p.map(|p| -p), exit.max_log_p.map(|p| -p)),
        ),
    ];
    for (name, verdict) in checks {
        match verdict {
            Some(true) => {}
            Some(false) => return fail(name, "is stricter than the enter threshold"),
            None => return fail(name, "is not a measure of the enter condition"),
        }
    }
    Ok(())
}

fn validate_levels(kind: RuleKind, raw: &RawLevels, prefix: &str) -> Result<Thresholds, KeyError> {
    let mut thresholds = Thresholds::default();
    for (level, raw_level) in [
        (WarningLevel::Vigilance, &raw.vigilance),
        (WarningLevel::Alerte, &raw.alerte),
        (WarningLevel::Urgence, &raw.urgence),
    ] {
        let Some(raw_level) = raw_level else { continue };
        let key = format!("{prefix}{level}");
        let enter = validate_condition(kind, &raw_level.enter, &format!("{key}.enter"))?;
        let exit = match &raw_level.exit {
            Some(exit) => {
                let exit = validate_condition(kind, exit, &format!("{key}.exit"))?;
                check_hysteresis(&enter, &exit, &key)?;
                exit
            }
            None => enter,
        };
        thresholds.levels[level.rank()] = Some(LevelThresholds { enter, exit });
    }
    if thresholds.levels.iter().all(Option::is_none) {
        let key = if prefix.is_empty() {
            "vigilance".to_owned()
        } else {
            prefix.trim_end_matches('.').to_owned()
        };
        return Err((
            key,
            "the rule defines no warning level (vigilance, alerte or urgence)".into(),
        ));
    }
    Ok(thresholds)
}

fn validate_surge(raw: &RawRule) -> Result<SurgeParameters, KeyError> {
    let kind = raw.kind;
    let only_for = |key: &str, present: bool, kinds: &[RuleKind]| -> Result<(), KeyError> {
        if present && !kinds.contains(&kind) {
            let names: Vec<&str> = kinds.iter().map(|kind| kind.as_str()).collect();
            return Err((
                key.to_owned(),
                format!("only applies to rules of kind {}", names.join(" or ")),
            ));
        }
        Ok(())
    };
    let surges = [RuleKind::AcledSurge, RuleKind::Poisson, RuleKind::Zscore];
    only_for("baseline_windows", raw.baseline_windows.is_some(), &surges)?;
    only_for("min_events", raw.min_events.is_some(), &surges)?;
    only_for(
        "min_baseline_mean",
        raw.min_baseline_mean.is_some(),
        &[RuleKind::AcledSurge],
    )?;
    only_for("min_rate", raw.min_rate.is_some(), &[RuleKind::Poisson])?;
    only_for(
        "sigma_floor",
        raw.sigma_floor.is_some(),
        &[RuleKind::Zscore],
    )?;
    let default_windows = match kind {
        RuleKind::AcledSurge => 4,
        _ => 52,
    };
    let baseline_windows = raw.baseline_windows.unwrap_or(default_windows);
    if !(1..=520).contains(&baseline_windows) {
        return Err((
            "baseline_windows".into(),
            format!("{baseline_windows} is outside 1..=520"),
        ));
    }
    if u64::from(baseline_windows) * u64::from(raw.window_days) > u64::from(MAX_DAYS) * 2 {
        return Err((
            "baseline_windows".into(),
            "the baseline reaches back more than twenty years".into(),
        ));
    }
    let min_events = raw.min_events.unwrap_or(3.0);
    let min_events_milli = to_milli(min_events).ok_or_else(|| {
        (
            "min_events".to_owned(),
            format!("{min_events} is not a non-negative count"),
        )
    })?;
    let positive = |key: &str, value: f64| -> Result<f64, KeyError> {
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err((key.to_owned(), format!("{value} must be above zero")))
        }
    };
    Ok(SurgeParameters {
        baseline_windows,
        min_events_milli,
        min_baseline_mean: positive("min_baseline_mean", raw.min_baseline_mean.unwrap_or(1.0))?,
        min_rate: positive("min_rate", raw.min_rate.unwrap_or(0.25))?,
        sigma_floor: positive("sigma_floor", raw.sigma_floor.unwrap_or(1.0))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        [[rule]]
        id = "r1"
        rationale = "test"
        kind = "threshold"
        zone_level = "commune"
        window_days = 28
        vigilance = { enter = { events = 3 }, exit = { events = 1 } }
    "#;

    fn error_of(text: &str) -> String {
        RuleSet::from_toml(text).unwrap_err().to_string()
    }

    #[test]
    fn the_shipped_defaults_are_valid_and_documented() {
        let rules = RuleSet::defaults();
        assert!(rules.rules().len() >= 4);
        for rule in rules.rules() {
            assert!(
                !rule.rationale().is_empty(),
                "{} has no rationale",
                rule.id()
            );
        }
    }

    #[test]
    fn a_minimal_rule_reads_with_defaults() {
        let rules = RuleSet::from_toml(MINIMAL).unwrap();
        let rule = &rules.rules()[0];
        assert_eq!(rule.zone_levels(), [ZoneLevel::Commune]);
        assert_eq!(rule.weights().milli(SourceKind::CommunityUnverified), 500);
        assert_eq!(rule.for_days(), 0);
        assert_eq!(rules.lookback_days(), 28);
    }

    #[test]
    fn an_unknown_key_is_refused_naming_rule_and_key() {
        let message = error_of(&MINIMAL.replace("window_days", "windw_days"));
        assert!(message.contains("\"r1\""), "{message}");
        assert!(message.contains("windw_days"), "{message}");
        let message = error_of(&MINIMAL.replace("events = 3 }", "events = 3, deaths = 2 }"));
        assert!(message.contains("deaths"), "{message}");
        let message = error_of(&format!("{MINIMAL}\nfilter = {{ civilians = true }}"));
        assert!(message.contains("civilians"), "{message}");
    }

    #[test]
    fn an_exit_stricter_than_enter_is_refused() {
        let message = error_of(&MINIMAL.replace("exit = { events = 1 }", "exit = { events = 4 }"));
        assert!(message.contains("vigilance.exit.events"), "{message}");
        let message = error_of(&MINIMAL.replace("exit = { events = 1 }", "exit = { days = 1 }"));
        assert!(message.contains("vigilance.exit.days"), "{message}");
    }

    #[test]
    fn unknown_taxonomy_is_refused() {
        let message = error_of(&format!(
            "{MINIMAL}\nfilter = {{ event_types = [\"Massacres\"] }}"
        ));
        assert!(message.contains("filter.event_types"), "{message}");
        let message = error_of(&format!(
            "{MINIMAL}\nfilter = {{ event_types = [\"Battles\"], sub_event_types = [\"Attack\"] }}"
        ));
        assert!(message.contains("filter.sub_event_types"), "{message}");
    }

    #[test]
    fn surge_parameters_belong_to_surge_rules() {
        let message = error_of(&format!("{MINIMAL}\nsigma_floor = 2.0"));
        assert!(message.contains("sigma_floor"), "{message}");
        let poisson = MINIMAL
            .replace("\"threshold\"", "\"poisson\"")
            .replace("events = 3 }, exit = { events = 1 }", "p_value = 0.01 }");
        let message = error_of(&format!("{poisson}\nsigma_floor = 2.0"));
        assert!(
            message.contains("only applies to rules of kind zscore"),
            "{message}"
        );
        assert!(RuleSet::from_toml(&poisson).is_ok());
        let message = error_of(&MINIMAL.replace("events = 3 }", "events = 3, z = 2 }"));
        assert!(message.contains("vigilance.enter.z"), "{message}");
    }

    #[test]
    fn duplicate_ids_and_empty_files_are_refused() {
        assert_eq!(
            RuleSet::from_toml(&format!("{MINIMAL}{MINIMAL}")).unwrap_err(),
            RulesError::DuplicateId("r1".into())
        );
        assert_eq!(RuleSet::from_toml("").unwrap_err(), RulesError::Empty);
        assert!(matches!(
            RuleSet::from_toml("rules = 3").unwrap_err(),
            RulesError::Syntax(_)
        ));
    }

    #[test]
    fn weights_are_kept_in_thousandths() {
        let rules = RuleSet::from_toml(&format!(
            "{MINIMAL}\nsources = {{ community_unverified = 0.25, ucdp = 0 }}"
        ))
        .unwrap();
        let weights = rules.rules()[0].weights();
        assert_eq!(weights.milli(SourceKind::CommunityUnverified), 250);
        assert_eq!(weights.milli(SourceKind::Ucdp), 0);
        assert_eq!(weights.milli(SourceKind::Acled), 1000);
        let message = error_of(&format!("{MINIMAL}\nsources = {{ acled = 0.0001 }}"));
        assert!(message.contains("sources.acled"), "{message}");
    }

    #[test]
    fn overrides_by_zone_level_must_name_an_evaluated_level() {
        let both = MINIMAL.replace("\"commune\"", "[\"commune\", \"cercle\"]");
        let text = format!(
            "{both}\n[rule.by_zone_level.cercle]\nvigilance = {{ enter = {{ events = 6 }} }}"
        );
        let rules = RuleSet::from_toml(&text).unwrap();
        let rule = &rules.rules()[0];
        let cercle = rule.thresholds_for(ZoneLevel::Cercle);
        assert_eq!(
            cercle
                .level(WarningLevel::Vigilance)
                .unwrap()
                .enter
                .min_weight_milli,
            Some(6000)
        );
        let commune = rule.thresholds_for(ZoneLevel::Commune);
        assert_eq!(
            commune
                .level(WarningLevel::Vigilance)
                .unwrap()
                .enter
                .min_weight_milli,
            Some(3000)
        );
        let message = error_of(&format!(
            "{MINIMAL}\n[rule.by_zone_level.region]\nvigilance = {{ enter = {{ events = 6 }} }}"
        ));
        assert!(message.contains("by_zone_level.region"), "{message}");
    }

    #[test]
    fn enter_thresholds_read_per_zone_level_with_their_overrides() {
        let rules = RuleSet::defaults();
        let find = |id: &str| rules.rules().iter().find(|rule| rule.id() == id).unwrap();
        let civils = find("civils");
        let commune = civils.enter_thresholds(ZoneLevel::Commune);
        let pick = |entries: &[EnterThreshold], level, measure| {
            entries
                .iter()
                .find(|entry| entry.level == level && entry.measure == measure)
                .map(|entry| entry.value)
        };
        assert_eq!(
            pick(&commune, WarningLevel::Vigilance, Measure::Events),
            Some(3.0)
        );
        assert_eq!(
            pick(&commune, WarningLevel::Vigilance, Measure::Days),
            Some(3.0)
        );
        assert_eq!(
            pick(&commune, WarningLevel::Urgence, Measure::Events),
            Some(8.0)
        );
        assert_eq!(
            pick(&commune, WarningLevel::Vigilance, Measure::Fatalities),
            None
        );
        assert_eq!(commune.len(), 6, "three levels, two measures each");
        let cercle = civils.enter_thresholds(ZoneLevel::Cercle);
        assert_eq!(
            pick(&cercle, WarningLevel::Vigilance, Measure::Events),
            Some(6.0)
        );
        let morts = find("morts").enter_thresholds(ZoneLevel::Commune);
        assert_eq!(
            pick(&morts, WarningLevel::Alerte, Measure::Fatalities),
            Some(10.0)
        );
        assert_eq!(morts[0].level, WarningLevel::Alerte, "no vigilance level");
        let poisson = find("pic-poisson").enter_thresholds(ZoneLevel::Commune);
        let p = pick(&poisson, WarningLevel::Vigilance, Measure::PValue).unwrap();
        assert!((p - 0.01).abs() < 1e-12, "{p}");
        assert!(Measure::PValue.is_statistic() && !Measure::Events.is_statistic());
    }
}
