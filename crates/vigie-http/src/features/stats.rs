//! Current activity per zone: event counts and fatalities over the last 30 days ending at the
//! newest stored event date (not "today": an archive that stops in 2023 still shows its last
//! month rather than zeros).
//!
//! The `Store` port has no aggregate query yet, so this reads the window's events and tallies
//! them here; the newest date is found by a search on `count_events(from = day)` starting
//! at the last answer. Both would be one SQL statement each with a dedicated store method.
//! Results are cached (see [`StatsCache`]): every zone collection shares one tally. A
//! recomputation that finds the same figures keeps the time they were first seen, which goes
//! into the pages' weak entity tag: unchanged figures keep the tag, which HTTP caches
//! revalidate with a 304 (see `caching.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// How old a tally may get before a request triggers its recomputation in the background,
/// so that requests keep being served from memory and the [`STATS_TTL_SECONDS`] limit is
/// normally never reached.
pub const REFRESH_AHEAD_SECONDS: i64 = 45;

/// How often, at most, the background check reads the stream log's head to learn whether
/// events were imported or reported since the tally.
const HEAD_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// How old a tally must be before new events make it recomputed: a computation reads a
/// month of events (a few hundred milliseconds of a core over a million stored), and a
/// large import or a busy reporting day changes the log every second.
const NEW_DATA_MIN_AGE: Duration = Duration::from_secs(5);

/// One computed tally.
#[derive(Debug)]
struct Cached {
    computed_at: DateTime<Utc>,
    /// When the figures last changed: recomputing the same figures keeps it, so pages
    /// showing them keep their entity tag and caches can revalidate them.
    since: DateTime<Utc>,
    /// The same moment in real time (test clocks stand still).
    computed: Instant,
    /// The stream log's head when the computation began (`None`: unknown).
    head: Option<i64>,
    stats: Arc<ZoneStats>,
}

#[derive(Debug, Default)]
struct CacheState {
    cached: Option<Cached>,
    /// When a request last started the background check (real time: test clocks stand
    /// still).
    checked_at: Option<Instant>,
    /// Whether a background check or recomputation is running.
    refreshing: bool,
}

/// The shared cache of [`ZoneStats`].
///
/// A tally is served for at most [`STATS_TTL_SECONDS`]. Requests never wait for a
/// recomputation except the first one (or after the limit passed): from
/// [`REFRESH_AHEAD_SECONDS`] on, or when the stream log shows new events (checked once a
/// second, once the tally is five seconds old), one background thread recomputes while
/// requests get the current tally.
/// When a request must compute, concurrent ones wait for its result instead of computing
/// too (with a 1-million-event store, a computation takes a few hundred milliseconds).
#[derive(Debug, Default)]
pub struct StatsCache {
    // std Mutexes: held to read or swap an Arc, or (`computing`) by a blocking thread while
    // it computes; never across an await.
    state: Mutex<CacheState>,
    computing: Mutex<()>,
}

impl StatsCache {
    /// The current tally and since when its figures have held, recomputed when older than
    /// the TTL.
    pub fn current(
        self: &Arc<Self>,
        store: &Arc<dyn Store>,
        now: DateTime<Utc>,
    ) -> Result<(Arc<ZoneStats>, DateTime<Utc>), StoreError> {
        if let Some(stats) = self.fresh(store, now) {
            return Ok(stats);
        }
        let _computing = self.computing.lock().unwrap_or_else(|e| e.into_inner());
        // Whoever held the lock before may have just computed it.
        if let Some(stats) = self.fresh(store, now) {
            return Ok(stats);
        }
        let hint = self.newest_known();
        let head = store.stream_head().ok();
        let fresh = compute(store.as_ref(), hint.unwrap_or(now.date_naive()))?;
        let mut state = self.lock();
        let (stats, since) = kept_or_new(state.cached.as_ref(), fresh, now);
        state.cached = Some(Cached {
            computed_at: now,
            since,
            computed: Instant::now(),
            head,
            stats: stats.clone(),
        });
        Ok((stats, since))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached tally if it is within the TTL, starting a background check when one is
    /// due.
    fn fresh(
        self: &Arc<Self>,
        store: &Arc<dyn Store>,
        now: DateTime<Utc>,
    ) -> Option<(Arc<ZoneStats>, DateTime<Utc>)> {
        let mut state = self.lock();
        let cached = state.cached.as_ref()?;
        let age = (now - cached.computed_at).num_seconds();
        if age >= STATS_TTL_SECONDS || cached.computed_at > now {
            return None;
        }
        let stats = (cached.stats.clone(), cached.since);
        let old = age >= REFRESH_AHEAD_SECONDS;
        let check_due = cached.computed.elapsed() >= NEW_DATA_MIN_AGE
            && state
                .checked_at
                .is_none_or(|checked| checked.elapsed() >= HEAD_CHECK_INTERVAL);
        if !state.refreshing && (old || check_due) {
            state.refreshing = true;
            state.checked_at = Some(Instant::now());
            drop(state);
            self.start_refresh(store.clone(), now, old);
        }
        Some(stats)
    }

    /// The window end of the current tally: where the next search for the newest day starts.
    fn newest_known(&self) -> Option<NaiveDate> {
        self.lock()
            .cached
            .as_ref()
            .and_then(|cached| cached.stats.window.map(|(_, end)| end))
    }

    /// Recomputes on a thread of its own when `old`, or when the log's head moved.
    fn start_refresh(self: &Arc<Self>, store: Arc<dyn Store>, now: DateTime<Utc>, old: bool) {
        let cache = self.clone();
        let work = move || {
            if let Err(error) = cache.refresh(store.as_ref(), now, old) {
                tracing::warn!(%error, "cannot recompute zone activity; serving the last tally");
            }
            cache.lock().refreshing = false;
        };
        let spawned = std::thread::Builder::new()
            .name("zone-stats".into())
            .spawn(work);
        if spawned.is_err() {
            self.lock().refreshing = false;
        }
    }

    fn refresh(&self, store: &dyn Store, now: DateTime<Utc>, old: bool) -> Result<(), StoreError> {
        let head = store.stream_head()?;
        let known_head = self.lock().cached.as_ref().and_then(|cached| cached.head);
        if !old && known_head == Some(head) {
            return Ok(());
        }
        let _computing = self.computing.lock().unwrap_or_else(|e| e.into_inner());
        let hint = self.newest_known().unwrap_or(now.date_naive());
        let fresh = compute(store, hint)?;
        let mut state = self.lock();
        // A request may have computed a newer one meanwhile (it found the old one expired).
        if state
            .cached
            .as_ref()
            .is_none_or(|cached| cached.computed_at <= now)
        {
            let (stats, since) = kept_or_new(state.cached.as_ref(), fresh, now);
            state.cached = Some(Cached {
                computed_at: now,
                since,
                computed: Instant::now(),
                head: Some(head),
                stats,
            });
        }
        Ok(())
    }
}

/// The previous tally and its time when the figures are the same, else the new ones from
/// `now`.
fn kept_or_new(
    previous: Option<&Cached>,
    fresh: ZoneStats,
    now: DateTime<Utc>,
) -> (Arc<ZoneStats>, DateTime<Utc>) {
    match previous {
        Some(previous) if *previous.stats == fresh && previous.since <= now => {
            (previous.stats.clone(), previous.since)
        }
        _ => (Arc::new(fresh), now),
    }
}

/// Tallies the window's events by commune, cercle, region and corridor. `hint` is a day the
/// newest event is probably on or near (the last tally's, or today).
pub fn compute(store: &dyn Store, hint: NaiveDate) -> Result<ZoneStats, StoreError> {
    let Some(newest) = newest_event_day_from(store, hint)? else {
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

/// The date of the newest stored event (see [`newest_event_day_from`]), searched from today.
pub fn newest_event_day(store: &dyn Store) -> Result<Option<NaiveDate>, StoreError> {
    newest_event_day_from(store, Utc::now().date_naive())
}

/// The date of the newest stored event (none before 1900 counts; 2200 stands for any day
/// from then on), searched from `hint` by counts of the events on or after a day.
///
/// Each count reads the events from its day on, so the search never counts from a day far
/// before the answer: it gallops from `hint` (up or down, doubling the step) until it
/// brackets the answer, then bisects. From the right hint that is two counts of a day's
/// events; counting from 1900 would read every stored event.
pub fn newest_event_day_from(
    store: &dyn Store,
    hint: NaiveDate,
) -> Result<Option<NaiveDate>, StoreError> {
    let any_from = |day: NaiveDate| -> Result<bool, StoreError> {
        Ok(store.count_events(&EventQuery {
            from: Some(day),
            limit: Some(1),
            ..EventQuery::default()
        })? > 0)
    };
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(1900, 1, 1),
        NaiveDate::from_ymd_opt(2200, 1, 1),
    ) else {
        return Ok(None);
    };
    let hint = hint.clamp(first, last);
    // Find `low` with an event on or after it and `high` with none on or after it.
    let (mut low, mut high);
    if any_from(hint)? {
        low = hint;
        let mut step = 1;
        loop {
            if low == last {
                return Ok(Some(last));
            }
            let probe = low
                .checked_add_days(Days::new(step))
                .unwrap_or(last)
                .min(last);
            if any_from(probe)? {
                low = probe;
                step *= 2;
            } else {
                high = probe;
                break;
            }
        }
    } else {
        high = hint;
        let mut step = 1;
        loop {
            if high == first {
                return Ok(None);
            }
            let probe = high
                .checked_sub_days(Days::new(step))
                .unwrap_or(first)
                .max(first);
            if any_from(probe)? {
                low = probe;
                break;
            }
            high = probe;
            step *= 2;
        }
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
