//! Current activity per zone: event counts and fatalities over the last 30 days ending at the
//! newest stored event date (not "today": an archive that stops in 2023 still shows its last
//! month rather than zeros).
//!
//! The `Store` port has no aggregate query yet, so this reads the window's events and tallies
//! them here; the newest date is found by bisecting on `count_events(from = day)`, about
//! seventeen counts. Both would be one SQL statement each with a dedicated store method.
//! Results are cached for [`STATS_TTL_SECONDS`]: every zone collection shares one tally. A
//! recomputation that finds the same figures keeps the time they were first seen, which the
//! pages show as their `timeStamp`: unchanged figures give byte-identical pages, which HTTP
//! caches revalidate with a 304 (see `caching.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::{Map, Value};
use vigie_domain::store::{EventQuery, Store, StoreError};
use vigie_domain::{ZoneId, ZoneLevel};

/// Days in the activity window, the newest stored event date included.
pub const WINDOW_DAYS: u64 = 30;
/// How long a tally is served before it is recomputed.
pub const STATS_TTL_SECONDS: i64 = 60;

/// Events and fatalities in one zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Events.
    pub events: u64,
    /// Sum of the events' fatalities.
    pub fatalities: u64,
}

/// The tally of every zone over one window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneStats {
    /// First and last day of the window; `None` when no event is stored.
    pub window: Option<(NaiveDate, NaiveDate)>,
    /// Per level and zone id; zones without events are absent.
    pub tallies: HashMap<(ZoneLevel, ZoneId), Tally>,
}

impl ZoneStats {
    /// The properties a zone feature carries: `events_30d`, `fatalities_30d`, `window_start`,
    /// `window_end`.
    pub fn write_properties(
        &self,
        level: ZoneLevel,
        id: &ZoneId,
        properties: &mut Map<String, Value>,
    ) {
        let tally = self
            .tallies
            .get(&(level, id.clone()))
            .copied()
            .unwrap_or_default();
        properties.insert("events_30d".into(), tally.events.into());
        properties.insert("fatalities_30d".into(), tally.fatalities.into());
        let (start, end) = match self.window {
            Some((start, end)) => (Value::from(start.to_string()), Value::from(end.to_string())),
            None => (Value::Null, Value::Null),
        };
        properties.insert("window_start".into(), start);
        properties.insert("window_end".into(), end);
    }
}

/// The shared, time-limited cache of [`ZoneStats`].
#[derive(Debug, Default)]
pub struct StatsCache {
    // std Mutex: held only to swap an Arc, on a blocking thread, never across an await.
    cached: Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    /// When the tally was last computed.
    computed_at: DateTime<Utc>,
    /// When the tally last changed: recomputing the same figures keeps it, so that pages
    /// showing them stay byte-identical (their `timeStamp`) and caches can revalidate them.
    since: DateTime<Utc>,
    stats: Arc<ZoneStats>,
}

impl StatsCache {
    /// The current tally and since when it has held, recomputed when older than the TTL.
    pub fn current(
        &self,
        store: &dyn Store,
        now: DateTime<Utc>,
    ) -> Result<(Arc<ZoneStats>, DateTime<Utc>), StoreError> {
        let previous = {
            let cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
            match cached.as_ref() {
                Some(cached)
                    if (now - cached.computed_at).num_seconds() < STATS_TTL_SECONDS
                        && cached.computed_at <= now =>
                {
                    return Ok((cached.stats.clone(), cached.since));
                }
                Some(cached) => Some((cached.stats.clone(), cached.since)),
                None => None,
            }
        };
        let fresh = compute(store)?;
        let (stats, since) = match previous {
            Some((stats, since)) if *stats == fresh && since <= now => (stats, since),
            _ => (Arc::new(fresh), now),
        };
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some(Cached {
            computed_at: now,
            since,
            stats: stats.clone(),
        });
        Ok((stats, since))
    }
}

/// Tallies the window's events by commune, cercle, region and corridor.
pub fn compute(store: &dyn Store) -> Result<ZoneStats, StoreError> {
    let Some(newest) = newest_event_day(store)? else {
        return Ok(ZoneStats::default());
    };
    let start = newest
        .checked_sub_days(Days::new(WINDOW_DAYS - 1))
        .unwrap_or(NaiveDate::MIN);
    let events = store.events(&EventQuery {
        from: Some(start),
        to: Some(newest),
        ..EventQuery::default()
    })?;
    let mut tallies: HashMap<(ZoneLevel, ZoneId), Tally> = HashMap::new();
    for stored in &events {
        let location = &stored.located.location;
        let fatalities = u64::from(stored.located.event.fatalities);
        let zones = [
            (ZoneLevel::Commune, location.commune.as_ref()),
            (ZoneLevel::Cercle, location.cercle.as_ref()),
            (ZoneLevel::Region, location.region.as_ref()),
        ]
        .into_iter()
        .filter_map(|(level, id)| id.map(|id| (level, id)))
        .chain(
            location
                .corridors
                .iter()
                .map(|id| (ZoneLevel::Corridor, id)),
        );
        for (level, id) in zones {
            let tally = tallies.entry((level, id.clone())).or_default();
            tally.events += 1;
            tally.fatalities += fatalities;
        }
    }
    Ok(ZoneStats {
        window: Some((start, newest)),
        tallies,
    })
}

/// The date of the newest stored event, by bisection on counts.
pub fn newest_event_day(store: &dyn Store) -> Result<Option<NaiveDate>, StoreError> {
    let any_from = |day: NaiveDate| -> Result<bool, StoreError> {
        Ok(store.count_events(&EventQuery {
            from: Some(day),
            limit: Some(1),
            ..EventQuery::default()
        })? > 0)
    };
    let (Some(mut low), Some(mut high)) = (
        NaiveDate::from_ymd_opt(1900, 1, 1),
        NaiveDate::from_ymd_opt(2200, 1, 1),
    ) else {
        return Ok(None);
    };
    if !any_from(low)? {
        return Ok(None);
    }
    if any_from(high)? {
        return Ok(Some(high));
    }
    // Invariant: an event is dated on or after `low`, none on or after `high`.
    while (high - low).num_days() > 1 {
        let middle = low + (high - low) / 2;
        if any_from(middle)? {
            low = middle;
        } else {
            high = middle;
        }
    }
    Ok(Some(low))
}
