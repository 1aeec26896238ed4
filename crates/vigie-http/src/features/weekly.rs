//! `GET /api/zones/{zoneId}/weekly?weeks=52`: a zone's weekly events and fatalities, the
//! thresholds of the rules that watch it, and its warning episodes, for the commune panel's
//! chart.
//!
//! ```json
//! {"zone": {"id": "ML…", "name": "…", "level": "commune"},
//!  "weeks": [{"start": "2024-07-15", "events": 3, "fatalities": 1}, …],
//!  "thresholds": [{"rule": "civils", "kind": "threshold", "metric": "events",
//!                  "window_days": 28, "level": "vigilance", "value": 3.0}, …],
//!  "episodes": [{"id": "…", "rule": "civils", "level": "alerte", "max_level": "alerte",
//!                "opened": "2024-07-02", "closed": null, "status": "open"}, …]}
//! ```
//!
//! Public: counts are aggregates (every source, ACLED included, like the zone layers' tallies).
//! Weeks start on Monday (UTC, which is Bamako's time), oldest first, the last one the week of
//! today. Thresholds are the enter thresholds of each rule evaluated at the zone's level; a
//! surge rule compares the window with the zone's own past, so it has no fixed count:
//! `"kind": "surge"`, `"value": null`, and its statistic in `statistic` / `statistic_value`.
//! Episodes are the zone's stored warning episodes, newest opening first.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use chrono::{Datelike, Days, NaiveDate};
use geo::BoundingRect;
use serde_json::{Value, json};
use vigie_domain::store::EventQuery;
use vigie_domain::{StoredWarning, TransitionKind, WarningLevel, WarningQuery, ZoneId, ZoneLevel};

use super::params::parse_pairs;
use super::{JSON, with_type};
use crate::caching::CachePolicy;
use crate::error::AppError;
use crate::intake::blocking;
use crate::state::AppState;

/// Weeks answered when the query names none.
pub const DEFAULT_WEEKS: u32 = 52;
/// The most weeks one request may ask for (two years).
pub const MAX_WEEKS: u32 = 104;
/// How long the answer may be cached, seconds.
const TTL_SECONDS: u32 = 60;
/// Degrees added around a zone's box when reading its events: events snapped into a commune
/// from up to a few kilometres outside it (`snap_km`) are stored with their own point.
const SNAP_MARGIN_DEGREES: f64 = 0.2;

/// The zone a request names.
struct ZoneInfo {
    id: ZoneId,
    name: String,
    level: ZoneLevel,
    /// `[west, south, east, north]`, widened by [`SNAP_MARGIN_DEGREES`].
    bbox: Option<[f64; 4]>,
}

fn find_zone(state: &AppState, id: &str) -> Option<ZoneInfo> {
    let zone_id = ZoneId::new(id).ok()?;
    let widen = |rect: geo::Rect<f64>| {
        [
            rect.min().x - SNAP_MARGIN_DEGREES,
            rect.min().y - SNAP_MARGIN_DEGREES,
            rect.max().x + SNAP_MARGIN_DEGREES,
            rect.max().y + SNAP_MARGIN_DEGREES,
        ]
    };
    let geography = state.geography();
    for level in [ZoneLevel::Commune, ZoneLevel::Cercle, ZoneLevel::Region] {
        if let Some(zone) = geography.zones.find(level, &zone_id) {
            return Some(ZoneInfo {
                id: zone.id.clone(),
                name: zone.name.clone(),
                level,
                bbox: zone.geometry.bounding_rect().map(widen),
            });
        }
    }
    geography
        .zones
        .corridors
        .iter()
        .find(|corridor| corridor.id == zone_id)
        .map(|corridor| ZoneInfo {
            id: corridor.id.clone(),
            name: corridor.name.clone(),
            level: ZoneLevel::Corridor,
            bbox: corridor.area.bounding_rect().map(widen),
        })
}

/// The `weeks` parameter (the only one taken).
fn parse_weeks(raw: Option<&str>) -> Result<u32, AppError> {
    let mut weeks = DEFAULT_WEEKS;
    let mut seen = false;
    for (name, value) in parse_pairs(raw)? {
        if name != "weeks" {
            return Err(AppError::bad_parameter(
                &name,
                "unknown query parameter; this route takes `weeks` only",
            ));
        }
        if seen {
            return Err(AppError::bad_parameter(
                "weeks",
                "query parameter `weeks` is given twice",
            ));
        }
        seen = true;
        weeks = value
            .parse::<u32>()
            .ok()
            .filter(|weeks| (1..=MAX_WEEKS).contains(weeks))
            .ok_or_else(|| {
                AppError::bad_parameter(
                    "weeks",
                    format!("query parameter `weeks` must be an integer from 1 to {MAX_WEEKS}"),
                )
            })?;
    }
    Ok(weeks)
}

/// The Monday of `day`'s week.
fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Days::new(u64::from(day.weekday().num_days_from_monday()))
}

pub(crate) async fn zone_weekly(
    State(state): State<AppState>,
    Path(zone_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let zone = find_zone(&state, &zone_id)
        .ok_or_else(|| AppError::not_found_because("no such zone; see the zone collections"))?;
    let weeks = parse_weeks(raw.as_deref())?;
    let today = state.clock.now().date_naive();
    let body = blocking(move || weekly_document(&state, &zone, weeks, today)).await?;
    let mut response = with_type(body.to_string(), JSON);
    CachePolicy::Public {
        seconds: TTL_SECONDS,
    }
    .apply(&mut response);
    Ok(response)
}

fn weekly_document(
    state: &AppState,
    zone: &ZoneInfo,
    weeks: u32,
    today: NaiveDate,
) -> Result<Value, AppError> {
    let last_monday = monday_of(today);
    let first_monday = last_monday - Days::new(7 * u64::from(weeks - 1));
    let last_day = last_monday + Days::new(6);
    let events = state.store.events(&EventQuery {
        from: Some(first_monday),
        to: Some(last_day),
        commune: (zone.level == ZoneLevel::Commune).then(|| zone.id.clone()),
        within: zone.bbox,
        ..EventQuery::default()
    })?;
    let mut tallies = vec![(0_u64, 0_u64); weeks as usize];
    for stored in &events {
        let location = &stored.located.location;
        let inside = match zone.level {
            ZoneLevel::Commune => location.commune.as_ref() == Some(&zone.id),
            ZoneLevel::Cercle => location.cercle.as_ref() == Some(&zone.id),
            ZoneLevel::Region => location.region.as_ref() == Some(&zone.id),
            ZoneLevel::Corridor => location.corridors.contains(&zone.id),
        };
        let date = stored.located.event.event_date;
        if !inside || date < first_monday || date > last_day {
            continue;
        }
        let week = ((date - first_monday).num_days() / 7) as usize;
        if let Some(tally) = tallies.get_mut(week) {
            tally.0 += 1;
            tally.1 += u64::from(stored.located.event.fatalities);
        }
    }
    let weeks_json: Vec<Value> = tallies
        .iter()
        .enumerate()
        .map(|(week, (events, fatalities))| {
            let start = first_monday + Days::new(7 * week as u64);
            json!({ "start": start.to_string(), "events": events, "fatalities": fatalities })
        })
        .collect();
    let warnings = state.store.warnings(&WarningQuery {
        zone: Some(zone.id.clone()),
        ..WarningQuery::default()
    })?;
    Ok(json!({
        "zone": { "id": zone.id.as_str(), "name": zone.name, "level": zone.level.as_str() },
        "weeks": weeks_json,
        "thresholds": thresholds(state, zone.level),
        "episodes": episodes(&warnings, zone.level),
    }))
}

/// The enter thresholds of the rules evaluated at `level`.
fn thresholds(state: &AppState, level: ZoneLevel) -> Vec<Value> {
    let Some(rules) = state.rules.as_deref() else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    for rule in rules.rules() {
        if !rule.zone_levels().contains(&level) {
            continue;
        }
        for threshold in rule.enter_thresholds(level) {
            let entry = if threshold.measure.is_statistic() {
                json!({
                    "rule": rule.id(),
                    "kind": "surge",
                    "metric": "events",
                    "window_days": rule.window_days(),
                    "level": threshold.level.as_str(),
                    "value": Value::Null,
                    "statistic": threshold.measure.as_str(),
                    "statistic_value": threshold.value,
                })
            } else {
                json!({
                    "rule": rule.id(),
                    "kind": "threshold",
                    "metric": threshold.measure.as_str(),
                    "window_days": rule.window_days(),
                    "level": threshold.level.as_str(),
                    "value": threshold.value,
                })
            };
            entries.push(entry);
        }
    }
    entries
}

/// The zone's episodes from its stored transitions (in store order), newest opening first.
fn episodes(warnings: &[StoredWarning], level: ZoneLevel) -> Vec<Value> {
    struct Episode<'a> {
        rule: &'a str,
        opened: NaiveDate,
        closed: Option<NaiveDate>,
        level: Option<WarningLevel>,
        max_level: Option<WarningLevel>,
    }
    let mut episodes: BTreeMap<&str, Episode<'_>> = BTreeMap::new();
    for warning in warnings {
        let record = &warning.record;
        if record.zone_level != level {
            continue;
        }
        let episode = episodes
            .entry(record.episode.as_str())
            .or_insert_with(|| Episode {
                rule: record.rule.as_str(),
                opened: record.at,
                closed: None,
                level: None,
                max_level: None,
            });
        episode.opened = episode.opened.min(record.at);
        if record.kind == TransitionKind::Closed {
            episode.closed = Some(record.at);
        } else if let Some(now) = record.level {
            episode.level = Some(now);
            episode.max_level = episode.max_level.max(Some(now));
        }
    }
    let mut ordered: Vec<(&str, Episode<'_>)> = episodes.into_iter().collect();
    ordered.sort_by(|a, b| b.1.opened.cmp(&a.1.opened).then(a.0.cmp(b.0)));
    ordered
        .into_iter()
        .map(|(id, episode)| {
            json!({
                "id": id,
                "rule": episode.rule,
                "level": episode.level.map(WarningLevel::as_str),
                "max_level": episode.max_level.map(WarningLevel::as_str),
                "opened": episode.opened.to_string(),
                "closed": episode.closed.map(|day| day.to_string()),
                "status": if episode.closed.is_some() { "closed" } else { "open" },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        let sunday = NaiveDate::from_ymd_opt(2024, 7, 21).unwrap();
        let monday = NaiveDate::from_ymd_opt(2024, 7, 15).unwrap();
        assert_eq!(monday_of(sunday), monday);
        assert_eq!(monday_of(monday), monday);
    }

    #[test]
    fn weeks_are_checked() {
        assert_eq!(parse_weeks(None).unwrap(), 52);
        assert_eq!(parse_weeks(Some("weeks=104")).unwrap(), 104);
        assert_eq!(parse_weeks(Some("weeks=1")).unwrap(), 1);
        for refused in [
            "weeks=0",
            "weeks=105",
            "weeks=-1",
            "weeks=x",
            "week=3",
            "weeks=2&weeks=3",
        ] {
            assert_eq!(
                parse_weeks(Some(refused)).unwrap_err().status(),
                400,
                "{refused}"
            );
        }
    }
}
