//! The engine: one series and one state machine per (rule, zone), advanced day by day, and
//! the transitions they produce.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
pub use vigie_domain::TransitionKind;
use vigie_domain::{ZoneId, ZoneLevel};

use crate::incident::Incident;
use crate::machine::{Change, Machine};
use crate::rules::{Rule, RuleKind, RuleSet, Thresholds, WarningLevel, sub_event_code};
use crate::series::{
    Cursor, Day, Entry, Measures, Series, date_of, day_of, levels_reached, measure,
};
use crate::zones::{ZoneEntry, ZoneTable};

/// The zone a transition is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneSummary {
    /// P-code or corridor id.
    pub id: ZoneId,
    /// Its level.
    pub level: ZoneLevel,
    /// Display name.
    pub name: String,
}

/// A span of days, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateRange {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

/// The history a surge rule compared the window with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Baseline {
    /// The days of the baseline.
    pub window: DateRange,
    /// How many windows of the rule's length it holds.
    pub windows: u32,
    /// Mean weighted events per window.
    pub mean: f64,
    /// z-score rules: the standard deviation per window (before the floor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_deviation: Option<f64>,
    /// Poisson rules: the rate λ used (the mean, floored at `min_rate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

/// A surge rule's test statistic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Statistic {
    /// `ratio`, `p_value` or `z`.
    pub name: &'static str,
    /// Its value.
    pub value: f64,
}

/// Why a transition happened: the window's figures and the events behind them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The counting window.
    pub window: DateRange,
    /// Weighted events in the window (the figure thresholds compare).
    pub events: f64,
    /// Events in the window, unweighted.
    pub event_count: u32,
    /// Fatalities in the window.
    pub fatalities: i64,
    /// Distinct days with an event in the window.
    pub days: u32,
    /// Store ids of the window's events, by date then id.
    pub event_ids: Vec<i64>,
    /// Surge rules: what the window was compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    /// Surge rules: the test statistic (absent below `min_events`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistic: Option<Statistic>,
    /// `out_of_season` when a corridor's season ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Events that arrived after their date was evaluated and led to this transition.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub late_event_ids: Vec<i64>,
}

/// One change in the life of a warning episode: what delivery acts on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// Stable id of the episode: `rule/zone/opening date`, the same on every replay.
    pub episode: String,
    /// The rule's id.
    pub rule: String,
    /// The zone.
    pub zone: ZoneSummary,
    /// What happened.
    pub transition: TransitionKind,
    /// The level after the transition (`None` once closed).
    pub level: Option<WarningLevel>,
    /// The day it happened (the day evaluated, or the day late data arrived).
    pub at: NaiveDate,
    /// Why.
    pub evidence: Evidence,
    /// The level before the transition.
    pub previous_level: Option<WarningLevel>,
    /// CAP severity of `level`.
    pub severity: Option<&'static str>,
    /// True for an episode opened because of late data (it would have opened earlier).
    pub late: bool,
    /// The episode of the same rule in the enclosing cercle, open at the same or a higher
    /// level that day: delivery may send that one message instead.
    pub inhibited_by: Option<String>,
}

#[derive(Debug, Clone)]
struct EpisodeRecord {
    id: String,
    opened: Day,
    closed: Option<Day>,
    levels: Vec<(Day, WarningLevel)>,
}

impl EpisodeRecord {
    fn level_on(&self, day: Day) -> Option<WarningLevel> {
        if day < self.opened || self.closed.is_some_and(|closed| closed <= day) {
            return None;
        }
        self.levels
            .iter()
            .take_while(|(since, _)| *since <= day)
            .last()
            .map(|(_, level)| *level)
    }
}

#[derive(Debug)]
struct Track {
    rule: u32,
    zone: u32,
    series: Series,
    machine: Machine,
    cursor: Cursor,
    episodes: Vec<EpisodeRecord>,
    dirty: bool,
}

#[derive(Debug)]
struct LateBatch {
    first_day: Day,
    ids: Vec<i64>,
}

/// The warning engine: feed it incidents, advance it day by day, read the transitions.
///
/// Batch replay is the same engine advanced once over the whole period, so a replay and a
/// day-by-day run over on-time data give identical transitions. An incident dated on or
/// before a day already evaluated is late: it counts from its own date on, and the next
/// [`Engine::advance_to`] annotates the episodes it falls in (`late_evidence`) or opens, with
/// the `late` flag, the warning it would have opened.
///
/// ```
/// use chrono::NaiveDate;
/// use vigie_engine::{Engine, RuleSet, ZoneTable};
/// # let zones = vigie_domain::ZoneSet { name: "none".into(), attribution: String::new(),
/// #     regions: vec![], cercles: vec![], communes: vec![], corridors: vec![] };
/// let mut engine = Engine::new(RuleSet::defaults(), ZoneTable::from_zone_set(&zones),
///     NaiveDate::from_ymd_opt(2019, 1, 1).unwrap());
/// let transitions = engine.advance_to(NaiveDate::from_ymd_opt(2019, 12, 31).unwrap());
/// assert!(transitions.is_empty());
/// ```
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    zones: ZoneTable,
    tracks: Vec<Track>,
    track_of: Vec<u32>,
    start: Day,
    next: Day,
    dirty: Vec<u32>,
    late: BTreeMap<u32, LateBatch>,
}

const NO_TRACK: u32 = u32::MAX;

/// Everything one track's evaluation reads, borrowed apart from the track itself.
#[derive(Clone, Copy)]
struct Scope<'a> {
    rule: &'a Rule,
    zone: &'a ZoneEntry,
    thresholds: &'a Thresholds,
}

/// Runs `machine` over `from..=to`, calling `on_change` with each change and the measures
/// behind it. Days on which nothing can happen (idle, empty window) are skipped.
fn run_machine(
    scope: Scope<'_>,
    series: &Series,
    machine: &mut Machine,
    cursor: &mut Cursor,
    from: Day,
    to: Day,
    mut on_change: impl FnMut(Day, Change, &Measures),
) {
    let rule = scope.rule;
    let window = rule.window_days();
    let mut day = from;
    while day <= to {
        cursor.advance(series, window, day);
        if machine.is_idle() && cursor.is_empty() {
            machine.rest();
            let next_bucket = cursor.next_bucket();
            if next_bucket >= series.bucket_count() {
                return;
            }
            day = series.bucket_day(next_bucket).max(day + 1);
            continue;
        }
        let active = scope
            .zone
            .season
            .is_none_or(|season| season.contains(date_of(day)));
        let measures = measure(rule, series, cursor, day);
        let (entered, held) = levels_reached(scope.thresholds, &measures);
        if let Some(change) = machine.step(
            day,
            entered,
            held,
            active,
            rule.for_days(),
            rule.keep_for_days(),
        ) {
            on_change(day, change, &measures);
        }
        day += 1;
    }
}

fn evidence(rule: &Rule, series: &Series, measures: &Measures, day: Day) -> Evidence {
    let first = day - rule.window_days() as Day + 1;
    let sums = measures.sums;
    let statistic = match rule.kind() {
        RuleKind::Threshold => None,
        RuleKind::AcledSurge => measures.ratio.map(|value| Statistic {
            name: "ratio",
            value,
        }),
        RuleKind::Poisson => measures.ln_p_value.map(|ln_p| Statistic {
            name: "p_value",
            value: ln_p.exp(),
        }),
        RuleKind::Zscore => measures.z.map(|value| Statistic { name: "z", value }),
    };
    Evidence {
        window: DateRange {
            from: date_of(first),
            to: date_of(day),
        },
        events: sums.weight_milli as f64 / 1000.0,
        event_count: sums.events,
        fatalities: sums.fatalities,
        days: sums.days,
        event_ids: series.ids_between(first, day),
        baseline: measures.baseline.map(|baseline| Baseline {
            window: DateRange {
                from: date_of(baseline.first),
                to: date_of(baseline.last),
            },
            windows: rule.surge.baseline_windows,
            mean: baseline.mean,
            standard_deviation: baseline.standard_deviation,
            rate: baseline.rate,
        }),
        statistic,
        reason: None,
        late_event_ids: Vec::new(),
    }
}

fn episode_id(rule: &Rule, zone: &ZoneEntry, day: Day) -> String {
    format!("{}/{}/{}", rule.id(), zone.id, date_of(day))
}

/// Turns a machine change into a transition and keeps the episode record up to date.
fn record_change(
    scope: Scope<'_>,
    series: &Series,
    episodes: &mut Vec<EpisodeRecord>,
    day: Day,
    change: Change,
    measures: &Measures,
) -> Transition {
    let (kind, level, previous) = match change {
        Change::Opened(level) => {
            episodes.push(EpisodeRecord {
                id: episode_id(scope.rule, scope.zone, day),
                opened: day,
                closed: None,
                levels: vec![(day, level)],
            });
            (TransitionKind::Opened, Some(level), None)
        }
        Change::Escalated { from, to } => (TransitionKind::Escalated, Some(to), Some(from)),
        Change::DeEscalated { from, to } => (TransitionKind::DeEscalated, Some(to), Some(from)),
        Change::Closed { from, .. } => (TransitionKind::Closed, None, Some(from)),
    };
    let episode = episodes
        .last_mut()
        .expect("a change other than opening follows an opening");
    match change {
        Change::Escalated { to, .. } | Change::DeEscalated { to, .. } => {
            episode.levels.push((day, to));
        }
        Change::Closed { .. } => episode.closed = Some(day),
        Change::Opened(_) => {}
    }
    let mut evidence = evidence(scope.rule, series, measures, day);
    if let Change::Closed {
        out_of_season: true,
        ..
    } = change
    {
        evidence.reason = Some("out_of_season");
    }
    Transition {
        episode: episode.id.clone(),
        rule: scope.rule.id().to_owned(),
        zone: ZoneSummary {
            id: scope.zone.id.clone(),
            level: scope.zone.level,
            name: scope.zone.name.clone(),
        },
        transition: kind,
        level,
        at: date_of(day),
        evidence,
        previous_level: previous,
        severity: level.map(WarningLevel::cap_severity),
        late: false,
        inhibited_by: None,
    }
}

impl Engine {
    /// An engine whose first evaluated day is `start`. Incidents before `start` are history
    /// (they fill windows and baselines), not late data.
    pub fn new(rules: RuleSet, zones: ZoneTable, start: NaiveDate) -> Engine {
        let zone_count = zones.len();
        let mut tracks = Vec::new();
        let mut track_of = vec![NO_TRACK; rules.rules().len() * zone_count];
        for (rule_position, rule) in rules.rules().iter().enumerate() {
            for (zone_position, zone) in zones.zones().iter().enumerate() {
                if !rule.zone_levels().contains(&zone.level) {
                    continue;
                }
                track_of[rule_position * zone_count + zone_position] = tracks.len() as u32;
                tracks.push(Track {
                    rule: rule_position as u32,
                    zone: zone_position as u32,
                    series: Series::default(),
                    machine: Machine::default(),
                    cursor: Cursor::default(),
                    episodes: Vec::new(),
                    dirty: false,
                });
            }
        }
        let start = day_of(start);
        Engine {
            rules,
            zones,
            tracks,
            track_of,
            start,
            next: start,
            dirty: Vec::new(),
            late: BTreeMap::new(),
        }
    }

    /// The rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The zones.
    pub fn zones(&self) -> &ZoneTable {
        &self.zones
    }

    /// The first day not yet evaluated.
    pub fn next_day(&self) -> NaiveDate {
        date_of(self.next)
    }

    fn track(&self, rule: usize, zone: Option<u32>) -> Option<u32> {
        let zone = zone?;
        let track = self.track_of[rule * self.zones.len() + zone as usize];
        (track != NO_TRACK).then_some(track)
    }

    /// Adds an incident to the series of every (rule, zone) that counts it. Each store id
    /// must be inserted once.
    pub fn insert(&mut self, incident: &Incident<'_>) {
        let day = day_of(incident.date);
        let sub_code = incident
            .sub_event_type
            .and_then(|sub_type| sub_event_code(incident.event_type, sub_type));
        let commune = incident
            .commune
            .and_then(|id| self.zones.position(ZoneLevel::Commune, id));
        let cercle = incident
            .cercle
            .and_then(|id| self.zones.position(ZoneLevel::Cercle, id));
        let region = incident
            .region
            .and_then(|id| self.zones.position(ZoneLevel::Region, id));
        let is_late = self.next > self.start && day < self.next;
        for rule_position in 0..self.rules.rules().len() {
            let rule = &self.rules.rules()[rule_position];
            let weight_milli = rule.weights.milli(incident.source);
            if weight_milli == 0
                || !rule.filter.accepts(
                    incident.event_type,
                    sub_code,
                    incident.disorder_type,
                    incident.civilian_targeting,
                )
            {
                continue;
            }
            let entry = Entry {
                day,
                id: incident.id,
                weight_milli,
                fatalities: incident.fatalities,
            };
            for level_position in 0..rule.zone_levels().len() {
                let level = self.rules.rules()[rule_position].zone_levels()[level_position];
                match level {
                    ZoneLevel::Commune => self.push(rule_position, commune, entry, is_late),
                    ZoneLevel::Cercle => self.push(rule_position, cercle, entry, is_late),
                    ZoneLevel::Region => self.push(rule_position, region, entry, is_late),
                    ZoneLevel::Corridor => {
                        for corridor in incident.corridors {
                            let position = self.zones.position(ZoneLevel::Corridor, corridor);
                            self.push(rule_position, position, entry, is_late);
                        }
                    }
                }
            }
        }
    }

    fn push(&mut self, rule: usize, zone: Option<u32>, entry: Entry, is_late: bool) {
        let Some(track_position) = self.track(rule, zone) else {
            return;
        };
        let track = &mut self.tracks[track_position as usize];
        track.series.push(entry);
        if !track.dirty {
            track.dirty = true;
            self.dirty.push(track_position);
        }
        if is_late {
            let batch = self.late.entry(track_position).or_insert(LateBatch {
                first_day: entry.day,
                ids: Vec::new(),
            });
            batch.first_day = batch.first_day.min(entry.day);
            batch.ids.push(entry.id);
        }
    }

    /// Evaluates every day up to `until` (inclusive) and returns the transitions, ordered
    /// by day, then rule (file order), then zone (level, then id). Late data inserted since
    /// the last call are resolved first, dated on the first day evaluated now.
    pub fn advance_to(&mut self, until: NaiveDate) -> Vec<Transition> {
        let until = day_of(until);
        if until < self.next {
            return Vec::new();
        }
        let today = self.next;
        for track_position in std::mem::take(&mut self.dirty) {
            let track = &mut self.tracks[track_position as usize];
            let window = self.rules.rules()[track.rule as usize].window_days();
            track.series.settle();
            track.cursor = Cursor::at(&track.series, window, today - 1);
            track.dirty = false;
        }
        let mut out: Vec<(Day, u32, Transition)> = Vec::new();
        for (track_position, batch) in std::mem::take(&mut self.late) {
            self.resolve_late(track_position, batch, today, &mut out);
        }
        for track_position in 0..self.tracks.len() {
            let track = &mut self.tracks[track_position];
            if track.series.is_empty() && track.machine.is_idle() {
                continue;
            }
            let rule = &self.rules.rules()[track.rule as usize];
            let zone = self.zones.get(track.zone);
            let scope = Scope {
                rule,
                zone,
                thresholds: rule.thresholds_for(zone.level),
            };
            let Track {
                series,
                machine,
                cursor,
                episodes,
                ..
            } = track;
            run_machine(
                scope,
                series,
                machine,
                cursor,
                today,
                until,
                |day, change, measures| {
                    let transition = record_change(scope, series, episodes, day, change, measures);
                    out.push((day, track_position as u32, transition));
                },
            );
        }
        self.next = until + 1;
        // Stable: late annotations stay before the same track's changes of the same day.
        out.sort_by_key(|(day, track, _)| (*day, *track));
        out.into_iter()
            .map(|(day, track_position, mut transition)| {
                transition.inhibited_by = self.inhibitor(track_position, day, &transition);
                transition
            })
            .collect()
    }

    /// The open cercle episode of the same rule that covers this commune transition.
    fn inhibitor(&self, track_position: u32, day: Day, transition: &Transition) -> Option<String> {
        let track = &self.tracks[track_position as usize];
        let zone = self.zones.get(track.zone);
        if zone.level != ZoneLevel::Commune {
            return None;
        }
        let cercle_track = self.track(track.rule as usize, zone.parent)?;
        let level = transition.level.or(transition.previous_level)?;
        self.tracks[cercle_track as usize]
            .episodes
            .iter()
            .rev()
            .find(|episode| episode.level_on(day).is_some_and(|cercle| cercle >= level))
            .map(|episode| episode.id.clone())
    }

    /// Late data on one track: annotate the episodes they fall in, or open the warning they
    /// would have opened.
    fn resolve_late(
        &mut self,
        track_position: u32,
        mut batch: LateBatch,
        today: Day,
        out: &mut Vec<(Day, u32, Transition)>,
    ) {
        batch.ids.sort_unstable();
        batch.ids.dedup();
        let last_evaluated = today - 1;
        let track = &mut self.tracks[track_position as usize];
        let rule = &self.rules.rules()[track.rule as usize];
        let zone = self.zones.get(track.zone);
        let scope = Scope {
            rule,
            zone,
            thresholds: rule.thresholds_for(zone.level),
        };
        let window = rule.window_days();
        let at_event_date = {
            let cursor = Cursor::at(&track.series, window, batch.first_day);
            measure(rule, &track.series, &cursor, batch.first_day)
        };
        let touches = |opened: Day, closed: Option<Day>| {
            opened <= last_evaluated && closed.is_none_or(|closed| closed >= batch.first_day)
        };
        let summary = ZoneSummary {
            id: zone.id.clone(),
            level: zone.level,
            name: zone.name.clone(),
        };
        let touched: Vec<&EpisodeRecord> = track
            .episodes
            .iter()
            .filter(|episode| touches(episode.opened, episode.closed))
            .collect();
        if !touched.is_empty() {
            for episode in touched {
                let level = episode.levels.last().map(|(_, level)| *level);
                let mut evidence = evidence(rule, &track.series, &at_event_date, batch.first_day);
                evidence.late_event_ids = batch.ids.clone();
                out.push((
                    today,
                    track_position,
                    Transition {
                        episode: episode.id.clone(),
                        rule: rule.id().to_owned(),
                        zone: summary.clone(),
                        transition: TransitionKind::LateEvidence,
                        level: if episode.closed.is_some() {
                            None
                        } else {
                            level
                        },
                        at: date_of(today),
                        evidence,
                        previous_level: level,
                        severity: None,
                        late: true,
                        inhibited_by: None,
                    },
                ));
            }
            return;
        }
        if !track.machine.is_idle() {
            return;
        }
        // What a replay with every event on time would have done: its episodes, each with
        // its highest level, its opening day and the measures of that day.
        let mut hypothetical: Vec<(Day, Option<Day>, WarningLevel, Measures)> = Vec::new();
        let mut what_if = Machine::default();
        let mut cursor = Cursor::default();
        run_machine(
            scope,
            &track.series,
            &mut what_if,
            &mut cursor,
            self.start,
            last_evaluated,
            |day, change, measures| match change {
                Change::Opened(level) => hypothetical.push((day, None, level, *measures)),
                Change::Escalated { to, .. } => {
                    if let Some(last) = hypothetical.last_mut() {
                        last.2 = last.2.max(to);
                    }
                }
                Change::Closed { .. } => {
                    if let Some(last) = hypothetical.last_mut() {
                        last.1 = Some(day);
                    }
                }
                Change::DeEscalated { .. } => {}
            },
        );
        let mut would_have: Option<(WarningLevel, Day, Measures)> = None;
        for (opened, closed, level, measures) in hypothetical {
            if touches(opened, closed) && would_have.is_none_or(|(known, _, _)| level > known) {
                would_have = Some((level, opened, measures));
            }
        }
        let Some((level, day, measures)) = would_have else {
            return;
        };
        track.machine.force_open(level);
        track.episodes.push(EpisodeRecord {
            id: episode_id(rule, zone, today),
            opened: today,
            closed: None,
            levels: vec![(today, level)],
        });
        let mut evidence = evidence(rule, &track.series, &measures, day);
        evidence.late_event_ids = batch.ids;
        out.push((
            today,
            track_position,
            Transition {
                episode: episode_id(rule, zone, today),
                rule: rule.id().to_owned(),
                zone: summary,
                transition: TransitionKind::Opened,
                level: Some(level),
                at: date_of(today),
                evidence,
                previous_level: None,
                severity: Some(level.cap_severity()),
                late: true,
                inhibited_by: None,
            },
        ));
    }
}

/// Replays `incidents` over `from..=to` with fresh state machines: the batch form of the
/// engine. Incidents outside the period's windows are harmless; give the ones in the
/// [`RuleSet::lookback_days`] before `from` so the first days have their history.
pub fn replay<'a>(
    rules: &RuleSet,
    zones: &ZoneTable,
    incidents: impl IntoIterator<Item = Incident<'a>>,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Transition> {
    let mut engine = Engine::new(rules.clone(), zones.clone(), from);
    for incident in incidents {
        engine.insert(&incident);
    }
    engine.advance_to(to)
}
