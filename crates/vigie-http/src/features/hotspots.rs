//! The public `hotspots` collection: ST-DBSCAN clusters of the events of a window
//! (`vigie_hotspots`, default parameters: 10 km, 7 days, 4 events), each drawn as its hull,
//! or as a point or line when its events do not span an area.
//!
//! The window is the 30 days ending at the newest stored event date, or the `datetime`
//! interval (an open start means 30 days before the end, an open end the newest event date;
//! at most [`MAX_WINDOW_DAYS`] days). Clustering reads every event of the window, so results
//! are cached per window for [`HOTSPOTS_TTL_SECONDS`].
//!
//! Public, so aggregates only: counts, fatalities, dates, types, communes and corridors. No
//! event id is published, and community events are clustered at their commune's
//! representative point (as the events collection publishes them), never at the reporter's
//! exact position, since a hull's corners are event positions.
//!
//! Feature ids name the window and the cluster: `2024-05-03_2024-06-01_0`, so an item can be
//! recomputed (or read from the cache) from its id alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Days, NaiveDate, Utc};
use geo::Intersects;
use serde_json::{Map, Value};
use vigie_domain::sms::CommuneDirectory;
use vigie_domain::store::{EventQuery, Store, StoreError, StoredEvent};
use vigie_domain::{EventSource, StreamKind, ZoneId, ZoneSet};
use vigie_hotspots::{
    Hotspot, HotspotEvent, HotspotShape, SpaceTimePoint, StDbscanParameters, hotspots, st_dbscan,
};

use super::catalog::{
    Collection, CollectionMeta, Feature, FeatureId, Page, Property, PropertyKind,
};
use super::params::{Bbox, ItemsQuery, Parameter};
use super::stats::newest_event_day;
use crate::error::AppError;
use crate::state::AppState;

/// Days in the default window, the newest stored event date included.
pub const DEFAULT_WINDOW_DAYS: u64 = 30;
/// The longest window a `datetime` interval may ask for, in days.
pub const MAX_WINDOW_DAYS: u64 = 366;
/// How long a window's clusters are served before they are recomputed.
pub const HOTSPOTS_TTL_SECONDS: i64 = 60;
/// Windows kept in the cache at most.
const CACHED_WINDOWS: usize = 16;
/// Events read per store call.
const READ_CHUNK: u64 = 10_000;

static PROPERTIES: [Property; 13] = [
    Property::required(
        "window_start",
        PropertyKind::Date,
        "#date+start+window",
        "First day of the window the clusters were computed over.",
    ),
    Property::required(
        "window_end",
        PropertyKind::Date,
        "#date+end+window",
        "Last day of the window.",
    ),
    Property::required(
        "events",
        PropertyKind::Integer,
        "#event+num",
        "Events in the cluster.",
    ),
    Property::required(
        "fatalities",
        PropertyKind::Integer,
        "#affected+killed",
        "Sum of their reported fatalities.",
    ),
    Property::required(
        "first_date",
        PropertyKind::Date,
        "#date+start",
        "Date of the earliest event.",
    ),
    Property::required(
        "last_date",
        PropertyKind::Date,
        "#date+end",
        "Date of the latest event.",
    ),
    Property::required(
        "centroid_longitude",
        PropertyKind::Number,
        "#geo+lon+centroid",
        "Longitude of the events' spherical centroid.",
    ),
    Property::required(
        "centroid_latitude",
        PropertyKind::Number,
        "#geo+lat+centroid",
        "Latitude of the events' spherical centroid.",
    ),
    Property::required(
        "dominant_event_types",
        PropertyKind::TextList,
        "#event+type+dominant",
        "The ACLED event types sharing the highest count (usually one).",
    ),
    Property::required(
        "event_types",
        PropertyKind::TextList,
        "#event+type",
        "Every event type of the cluster, most frequent first.",
    ),
    Property::required(
        "communes",
        PropertyKind::TextList,
        "#adm3+code",
        "P-codes of the communes touched, most events first.",
    ),
    Property::required(
        "commune_names",
        PropertyKind::TextList,
        "#adm3+name",
        "Their names, in the same order.",
    ),
    Property::required(
        "corridors",
        PropertyKind::TextList,
        "#loc+corridor+code",
        "Transhumance corridors touched, most events first.",
    ),
];

/// The `hotspots` collection's table entry.
pub static HOTSPOTS: CollectionMeta = CollectionMeta {
    id: "hotspots",
    title: "Hotspots",
    description: "Space–time clusters of events (ST-DBSCAN: 10 km, 7 days, at least 4 events) \
                  over the 30 days ending at the newest stored event, or over the `datetime` \
                  interval (at most 366 days). Geometry: the convex hull of the events, or a \
                  point or line when they do not span an area. Aggregates only, no event ids; \
                  community reports count at their commune's representative point. Public.",
    requires_key: false,
    geometry_types: &["Polygon", "LineString", "Point"],
    dated: true,
    parameters: &[Parameter::MinEvents],
    properties: &PROPERTIES,
    point_columns: false,
    integer_ids: false,
};

/// First and last day of a window, both included.
type Window = (NaiveDate, NaiveDate);

/// One cluster ready for the wire: its public properties and geometry, and its outline for
/// `bbox`.
struct PublicHotspot {
    cluster: u32,
    events: usize,
    shape: HotspotShape,
    geometry: Option<Arc<str>>,
    properties: Map<String, Value>,
}

impl PublicHotspot {
    fn new(window: Window, hotspot: &Hotspot) -> PublicHotspot {
        let date = |day: NaiveDate| Value::from(day.to_string());
        let zone_ids = |zones: &[vigie_hotspots::ZoneCount]| {
            Value::from(
                zones
                    .iter()
                    .map(|zone| Value::from(zone.id.as_str()))
                    .collect::<Vec<_>>(),
            )
        };
        let number = |value: f64| {
            serde_json::Number::from_f64((value * 1e6).round() / 1e6)
                .map_or(Value::Null, Value::Number)
        };
        // An allow-list: `Hotspot` also carries the events' ids, which stay out.
        let mut properties = Map::new();
        properties.insert("window_start".into(), date(window.0));
        properties.insert("window_end".into(), date(window.1));
        properties.insert("events".into(), hotspot.events.into());
        properties.insert("fatalities".into(), hotspot.fatalities.into());
        properties.insert("first_date".into(), date(hotspot.first_date));
        properties.insert("last_date".into(), date(hotspot.last_date));
        properties.insert("centroid_longitude".into(), number(hotspot.centroid.x));
        properties.insert("centroid_latitude".into(), number(hotspot.centroid.y));
        properties.insert(
            "dominant_event_types".into(),
            hotspot
                .dominant_event_types()
                .iter()
                .map(|event_type| Value::from(event_type.label()))
                .collect::<Vec<_>>()
                .into(),
        );
        properties.insert(
            "event_types".into(),
            hotspot
                .event_types
                .iter()
                .map(|count| Value::from(count.event_type.label()))
                .collect::<Vec<_>>()
                .into(),
        );
        properties.insert("communes".into(), zone_ids(&hotspot.communes));
        properties.insert(
            "commune_names".into(),
            hotspot
                .communes
                .iter()
                .map(|zone| Value::from(zone.name.as_deref().unwrap_or(zone.id.as_str())))
                .collect::<Vec<_>>()
                .into(),
        );
        properties.insert("corridors".into(), zone_ids(&hotspot.corridors));
        // The crate's own GeoJSON writer (coordinates rounded to 6 decimals, hull
        // counter-clockwise); only its geometry is taken.
        let geometry = hotspot
            .to_feature()
            .geometry
            .and_then(|geometry| serde_json::to_string(&geometry).ok())
            .map(Arc::from);
        PublicHotspot {
            cluster: hotspot.cluster,
            events: hotspot.events,
            shape: hotspot.shape.clone(),
            geometry,
            properties,
        }
    }

    fn intersects(&self, bbox: &Bbox) -> bool {
        bbox.rectangles().iter().any(|rect| match &self.shape {
            HotspotShape::Point(point) => point.intersects(rect),
            HotspotShape::Line(line) => line.intersects(rect),
            HotspotShape::Hull(hull) => hull.intersects(rect),
        })
    }

    fn feature(&self, window: Window) -> Feature {
        Feature {
            id: FeatureId::Text(format!("{}_{}_{}", window.0, window.1, self.cluster)),
            geometry: self.geometry.clone(),
            properties: self.properties.clone(),
            point: None,
        }
    }
}

/// Clusters ST-DBSCAN found over one window.
type Clusters = Arc<Vec<PublicHotspot>>;

/// Computes hotspots from the store and keeps them for a minute per window.
pub struct HotspotsCollection {
    directory: Arc<CommuneDirectory>,
    /// Commune and corridor names, by id.
    names: HashMap<ZoneId, String>,
    // std Mutex: held only to look up or swap an Arc, on a blocking thread, never across an
    // await; the computation itself runs unlocked (two requests may both compute a window).
    cache: Mutex<HashMap<Window, (DateTime<Utc>, Clusters)>>,
}

impl HotspotsCollection {
    /// The collection, naming zones from `zones` and coarsening community events with
    /// `directory`'s representative points.
    pub fn new(zones: &ZoneSet, directory: Arc<CommuneDirectory>) -> HotspotsCollection {
        let names = zones
            .communes
            .iter()
            .map(|commune| (commune.id.clone(), commune.name.clone()))
            .chain(
                zones
                    .corridors
                    .iter()
                    .map(|corridor| (corridor.id.clone(), corridor.name.clone())),
            )
            .collect();
        HotspotsCollection {
            directory,
            names,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The window an items query asks for; `None` when it asks for the default and no event
    /// is stored.
    fn window(&self, store: &dyn Store, query: &ItemsQuery) -> Result<Option<Window>, AppError> {
        let days = query.days.unwrap_or(super::params::DayRange {
            from: None,
            to: None,
        });
        let end = match days.to {
            Some(to) => to,
            None => match newest_event_day(store)? {
                Some(newest) => newest,
                None => return Ok(None),
            },
        };
        let start = match days.from {
            Some(from) => from,
            None => end
                .checked_sub_days(Days::new(DEFAULT_WINDOW_DAYS - 1))
                .unwrap_or(NaiveDate::MIN),
        };
        if start > end {
            // An open-ended interval starting after the newest event: nothing to cluster.
            return Ok(None);
        }
        check_window_length((start, end)).map_err(|why| {
            AppError::bad_parameter("datetime", format!("query parameter `datetime` {why}"))
        })?;
        Ok(Some((start, end)))
    }

    /// The clusters of `window`, from the cache when fresh.
    fn clusters(&self, state: &AppState, window: Window) -> Result<Clusters, AppError> {
        let now = state.clock.now();
        let fresh = |computed_at: DateTime<Utc>| {
            computed_at <= now && (now - computed_at).num_seconds() < HOTSPOTS_TTL_SECONDS
        };
        if let Some((computed_at, clusters)) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&window)
            && fresh(*computed_at)
        {
            return Ok(clusters.clone());
        }
        let clusters = Arc::new(self.compute(state.store.as_ref(), window)?);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.retain(|_, (computed_at, _)| fresh(*computed_at));
        if cache.len() >= CACHED_WINDOWS
            && let Some(oldest) = cache
                .iter()
                .min_by_key(|(_, (computed_at, _))| *computed_at)
                .map(|(window, _)| *window)
        {
            cache.remove(&oldest);
        }
        cache.insert(window, (now, clusters.clone()));
        Ok(clusters)
    }

    fn compute(&self, store: &dyn Store, window: Window) -> Result<Vec<PublicHotspot>, StoreError> {
        let events = self.window_events(store, window)?;
        let points: Vec<SpaceTimePoint> = events.iter().map(HotspotEvent::point).collect();
        let clustering = st_dbscan(&points, &StDbscanParameters::default());
        Ok(hotspots(&events, &clustering)
            .iter_mut()
            .map(|hotspot| {
                hotspot.name_zones(|id| self.names.get(id).cloned());
                PublicHotspot::new(window, hotspot)
            })
            .collect())
    }

    /// Every stored event of the window, by store id, community events at their commune's
    /// representative point (dropped when it has none).
    fn window_events(
        &self,
        store: &dyn Store,
        (from, to): Window,
    ) -> Result<Vec<HotspotEvent>, StoreError> {
        let mut events = Vec::new();
        let mut after_id = None;
        loop {
            let chunk = store.events(&EventQuery {
                from: Some(from),
                to: Some(to),
                after_id,
                limit: Some(READ_CHUNK),
                ..EventQuery::default()
            })?;
            let exhausted = (chunk.len() as u64) < READ_CHUNK;
            after_id = chunk.last().map(|stored| stored.id).or(after_id);
            events.extend(chunk.iter().filter_map(|stored| self.hotspot_event(stored)));
            if exhausted {
                break;
            }
        }
        Ok(events)
    }

    fn hotspot_event(&self, stored: &StoredEvent) -> Option<HotspotEvent> {
        let mut event = HotspotEvent::from_located(stored.id, &stored.located);
        if stored.located.event.source == EventSource::Community {
            let commune = stored.located.location.commune.as_ref()?;
            let (longitude, latitude) = self.directory.commune(commune)?.representative_point?;
            event.longitude = longitude;
            event.latitude = latitude;
        }
        Some(event)
    }
}

/// The most clusters a `hotspot` stream message lists (the count is always complete).
const PUBLISHED_CLUSTERS_MAX: usize = 100;

/// Publishes a `hotspot` message on the live stream when the default window's hotspots (the
/// `hotspots` collection without `datetime`) change: run by `vigie serve`'s engine thread
/// after each evaluation. The computation is done only when the stream log moved since the
/// last one (new events, reports or warnings), so a quiet service clusters nothing, and at
/// most every [`HotspotPublisher::DEFAULT_MIN_INTERVAL`] (an import moves the log every
/// second, and clustering a month of a large store takes a while of the engine's thread).
///
/// The message is public, so ids and aggregates only:
/// `{"window_start", "window_end", "clusters": n, "hotspots": [{"id", "events",
/// "fatalities"}, …]}` (at most [`PUBLISHED_CLUSTERS_MAX`] listed, the largest first); its
/// `ref_id` is the log's head the computation saw. Clients fetch the hulls from
/// `/collections/hotspots/items`.
pub struct HotspotPublisher {
    collection: HotspotsCollection,
    /// The last payload published (or found unchanged).
    last: Option<Value>,
    /// The log's head when the hotspots were last computed, after any entry published then.
    checked_head: Option<i64>,
    /// When they were last computed.
    computed: Option<std::time::Instant>,
    min_interval: std::time::Duration,
}

impl HotspotPublisher {
    /// The least time between two computations, by default.
    pub const DEFAULT_MIN_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

    /// A publisher over `zones` (names) and `directory` (community events' points).
    pub fn new(zones: &ZoneSet, directory: Arc<CommuneDirectory>) -> HotspotPublisher {
        HotspotPublisher {
            collection: HotspotsCollection::new(zones, directory),
            last: None,
            checked_head: None,
            computed: None,
            min_interval: HotspotPublisher::DEFAULT_MIN_INTERVAL,
        }
    }

    /// The same publisher computing at most every `min_interval`.
    pub fn with_min_interval(self, min_interval: std::time::Duration) -> HotspotPublisher {
        HotspotPublisher {
            min_interval,
            ..self
        }
    }

    /// Recomputes the hotspots when the log moved, and publishes them when they changed;
    /// returns the id of the entry published, if one was. The first check after start
    /// publishes what it finds, so that a restarted service announces its hotspots.
    pub fn check(&mut self, store: &dyn Store) -> Result<Option<i64>, StoreError> {
        if self
            .computed
            .is_some_and(|computed| computed.elapsed() < self.min_interval)
        {
            return Ok(None);
        }
        let head = store.stream_head()?;
        if self.checked_head == Some(head) {
            return Ok(None);
        }
        self.computed = Some(std::time::Instant::now());
        let payload = match newest_event_day(store)? {
            None => serde_json::json!({
                "window_start": null, "window_end": null, "clusters": 0, "hotspots": [],
            }),
            Some(end) => {
                let start = end
                    .checked_sub_days(Days::new(DEFAULT_WINDOW_DAYS - 1))
                    .unwrap_or(NaiveDate::MIN);
                let window = (start, end);
                let mut clusters = self.collection.compute(store, window)?;
                clusters.sort_by(|a, b| b.events.cmp(&a.events).then(a.cluster.cmp(&b.cluster)));
                let listed: Vec<Value> = clusters
                    .iter()
                    .take(PUBLISHED_CLUSTERS_MAX)
                    .map(|cluster| {
                        let feature = cluster.feature(window);
                        serde_json::json!({
                            "id": feature.id.to_text(),
                            "events": cluster.events,
                            "fatalities": cluster.properties.get("fatalities").cloned()
                                .unwrap_or(Value::Null),
                        })
                    })
                    .collect();
                serde_json::json!({
                    "window_start": start.to_string(),
                    "window_end": end.to_string(),
                    "clusters": clusters.len(),
                    "hotspots": listed,
                })
            }
        };
        if self.last.as_ref() == Some(&payload) {
            self.checked_head = Some(head);
            return Ok(None);
        }
        let id = store.publish_stream(StreamKind::Hotspot, head, &payload)?;
        self.last = Some(payload);
        // Our own entry moved the head: it must not count as news next time, unless other
        // entries came between (then the next check computes once more and finds out).
        self.checked_head = Some(if id == head + 1 { id } else { head });
        Ok(Some(id))
    }
}

/// Refuses a window longer than [`MAX_WINDOW_DAYS`].
fn check_window_length((start, end): Window) -> Result<(), &'static str> {
    let days = (end - start).num_days() + 1;
    if days > MAX_WINDOW_DAYS as i64 {
        return Err("must not span more than 366 days for hotspots");
    }
    Ok(())
}

/// Reads a feature id `start_end_cluster`.
fn parse_feature_id(id: &str) -> Option<(Window, u32)> {
    let mut parts = id.splitn(3, '_');
    let start: NaiveDate = parts.next()?.parse().ok()?;
    let end: NaiveDate = parts.next()?.parse().ok()?;
    let cluster: u32 = parts.next()?.parse().ok()?;
    (start <= end && check_window_length((start, end)).is_ok()).then_some(((start, end), cluster))
}

impl Collection for HotspotsCollection {
    fn meta(&self) -> &'static CollectionMeta {
        &HOTSPOTS
    }

    fn items(&self, state: &AppState, query: &ItemsQuery) -> Result<Page, AppError> {
        let offset = match query.next.as_deref() {
            None => 0,
            Some(cursor) => cursor.parse::<usize>().map_err(|_| {
                AppError::bad_parameter(
                    "next",
                    "query parameter `next` is not a cursor from a `next` link",
                )
            })?,
        };
        let Some(window) = self.window(state.store.as_ref(), query)? else {
            return Ok(Page {
                number_matched: Some(0),
                ..Page::default()
            });
        };
        let clusters = self.clusters(state, window)?;
        let matching: Vec<&PublicHotspot> = clusters
            .iter()
            .filter(|hotspot| {
                query
                    .filters
                    .min_events
                    .is_none_or(|min_events| hotspot.events >= min_events)
                    && query.bbox.is_none_or(|bbox| hotspot.intersects(&bbox))
            })
            .collect();
        let features = matching
            .iter()
            .skip(offset)
            .take(query.limit)
            .map(|hotspot| hotspot.feature(window))
            .collect();
        let end = offset.saturating_add(query.limit);
        Ok(Page {
            features,
            number_matched: Some(matching.len() as u64),
            next: (end < matching.len()).then(|| end.to_string()),
            as_of: None,
        })
    }

    fn item(&self, state: &AppState, id: &str) -> Result<Option<Feature>, AppError> {
        let Some((window, cluster)) = parse_feature_id(id) else {
            return Ok(None);
        };
        Ok(self
            .clusters(state, window)?
            .iter()
            .find(|hotspot| hotspot.cluster == cluster)
            .map(|hotspot| hotspot.feature(window)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_ids_name_a_bounded_window_and_a_cluster() {
        let day = |text: &str| text.parse::<NaiveDate>().unwrap();
        assert_eq!(
            parse_feature_id("2024-05-03_2024-06-01_2"),
            Some(((day("2024-05-03"), day("2024-06-01")), 2))
        );
        assert_eq!(
            parse_feature_id("2024-06-01_2024-05-03_2"),
            None,
            "reversed"
        );
        assert_eq!(
            parse_feature_id("2020-01-01_2024-01-01_0"),
            None,
            "too long"
        );
        assert_eq!(parse_feature_id("cluster-0"), None);
        assert_eq!(parse_feature_id("2024-05-03_2024-06-01_x"), None);
    }
}
