//! The public aggregate collections: `communes`, `cercles`, `regions` (polygons from the zone
//! set, cercles and regions already dissolved from their communes) and `corridors` (buffer
//! polygons), each with its current activity (see `stats.rs`).
//!
//! Geometry is prepared once: the full boundary (6 decimals, about 0.1 m) and a simplified one
//! (Douglas-Peucker at [`DEFAULT_TOLERANCE_DEGREES`], 4 decimals), both serialised. Another
//! `tolerance` is computed per request. Simplification is per zone: neighbours' shared edges
//! may not coincide exactly at coarse tolerances (a map at 2G zoom levels does not show it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use geo::{BoundingRect, Intersects};
use geo_types::{MultiPolygon, Rect};
use serde_json::{Map, Value};
use vigie_domain::{ZoneId, ZoneLevel, ZoneSet};

use super::catalog::{
    Collection, CollectionMeta, Feature, FeatureId, Page, Property, PropertyKind, RenderedFeatures,
};
use super::geometry::{multipolygon_json, wire_multipolygon};
use super::params::{Bbox, DEFAULT_TOLERANCE_DEGREES, ItemsQuery, Parameter};
use super::render::features_json;
use super::stats::{StatsCache, ZoneStats};
use crate::error::AppError;
use crate::state::AppState;

const FULL_DECIMALS: i32 = 6;

/// Decimals worth writing at a tolerance: rounding adds at most half a unit of the last place,
/// so four decimals (about 5 m of error) are plenty from 0.001° (about 110 m) up.
fn decimals_for(tolerance_degrees: f64) -> i32 {
    if tolerance_degrees == 0.0 {
        FULL_DECIMALS
    } else if tolerance_degrees >= 0.001 {
        4
    } else {
        5
    }
}

macro_rules! activity_properties {
    () => {
        [
            Property::required(
                "events_30d",
                PropertyKind::Integer,
                "#event+num+recent",
                "Events in the 30 days ending at the newest stored event date.",
            ),
            Property::required(
                "fatalities_30d",
                PropertyKind::Integer,
                "#affected+killed+recent",
                "Fatalities of those events.",
            ),
            Property::optional(
                "window_start",
                PropertyKind::Date,
                "#date+start",
                "First day of the window (null when no event is stored).",
            ),
            Property::optional(
                "window_end",
                PropertyKind::Date,
                "#date+end",
                "Last day of the window: the newest stored event date.",
            ),
        ]
    };
}

static COMMUNE_PROPERTIES: [Property; 9] = {
    let [a, b, c, d] = activity_properties!();
    [
        Property::required("pcode", PropertyKind::Text, "#adm3+code", "Commune P-code."),
        Property::required("name", PropertyKind::Text, "#adm3+name", "Commune name."),
        Property::optional(
            "cercle",
            PropertyKind::Text,
            "#adm2+code",
            "Parent cercle P-code.",
        ),
        Property::optional(
            "cercle_name",
            PropertyKind::Text,
            "#adm2+name",
            "Parent cercle name.",
        ),
        Property::optional("region", PropertyKind::Text, "#adm1+code", "Region P-code."),
        a,
        b,
        c,
        d,
    ]
};

static CERCLE_PROPERTIES: [Property; 8] = {
    let [a, b, c, d] = activity_properties!();
    [
        Property::required("pcode", PropertyKind::Text, "#adm2+code", "Cercle P-code."),
        Property::required("name", PropertyKind::Text, "#adm2+name", "Cercle name."),
        Property::optional(
            "region",
            PropertyKind::Text,
            "#adm1+code",
            "Parent region P-code.",
        ),
        Property::optional(
            "region_name",
            PropertyKind::Text,
            "#adm1+name",
            "Parent region name.",
        ),
        a,
        b,
        c,
        d,
    ]
};

static REGION_PROPERTIES: [Property; 6] = {
    let [a, b, c, d] = activity_properties!();
    [
        Property::required("pcode", PropertyKind::Text, "#adm1+code", "Region P-code."),
        Property::required("name", PropertyKind::Text, "#adm1+name", "Region name."),
        a,
        b,
        c,
        d,
    ]
};

static CORRIDOR_PROPERTIES: [Property; 12] = {
    let [a, b, c, d] = activity_properties!();
    [
        Property::required("code", PropertyKind::Text, "#loc+code", "Corridor id."),
        Property::required("name", PropertyKind::Text, "#loc+name", "Corridor name."),
        Property::required(
            "buffer_km",
            PropertyKind::Number,
            "#meta+buffer_km",
            "Distance from the centre line within which a point is on the corridor, km.",
        ),
        Property::required(
            "width_km",
            PropertyKind::Number,
            "#meta+width_km",
            "Corridor width (twice the buffer), km.",
        ),
        Property::required(
            "season_start",
            PropertyKind::Text,
            "#date+start+season",
            "First day of the transhumance season (MM-DD).",
        ),
        Property::required(
            "season_end",
            PropertyKind::Text,
            "#date+end+season",
            "Last day of the season (MM-DD).",
        ),
        Property::required(
            "active_today",
            PropertyKind::Boolean,
            "#status+active",
            "Whether today falls in the season.",
        ),
        Property::required(
            "approximate",
            PropertyKind::Boolean,
            "#meta+approximate",
            "True: the route is a reconstruction, not a surveyed corridor.",
        ),
        a,
        b,
        c,
        d,
    ]
};

/// The `communes` collection's table entry.
pub static COMMUNES: CollectionMeta = CollectionMeta {
    id: "communes",
    title: "Communes",
    description: "Mali's communes (admin level 3) with event counts and fatalities over the \
                  last 30 days of stored data. Public. Geometry simplified by default \
                  (`tolerance`).",
    requires_key: false,
    geometry_types: &["MultiPolygon"],
    dated: false,
    parameters: &[Parameter::Cercle, Parameter::Region, Parameter::Tolerance],
    properties: &COMMUNE_PROPERTIES,
    point_columns: false,
    integer_ids: false,
};

/// The `cercles` collection's table entry.
pub static CERCLES: CollectionMeta = CollectionMeta {
    id: "cercles",
    title: "Cercles",
    description: "Mali's cercles (admin level 2, dissolved from their communes) with their \
                  recent activity. Public.",
    requires_key: false,
    geometry_types: &["MultiPolygon"],
    dated: false,
    parameters: &[Parameter::Region, Parameter::Tolerance],
    properties: &CERCLE_PROPERTIES,
    point_columns: false,
    integer_ids: false,
};

/// The `regions` collection's table entry.
pub static REGIONS: CollectionMeta = CollectionMeta {
    id: "regions",
    title: "Regions",
    description: "Mali's regions (admin level 1, dissolved from their cercles) with their \
                  recent activity. Public.",
    requires_key: false,
    geometry_types: &["MultiPolygon"],
    dated: false,
    parameters: &[Parameter::Tolerance],
    properties: &REGION_PROPERTIES,
    point_columns: false,
    integer_ids: false,
};

/// The `corridors` collection's table entry.
pub static CORRIDORS: CollectionMeta = CollectionMeta {
    id: "corridors",
    title: "Transhumance corridors",
    description: "Transhumance corridors as buffer polygons around their route, with width, \
                  season and recent activity. Routes are approximate reconstructions. Public.",
    requires_key: false,
    geometry_types: &["MultiPolygon"],
    dated: false,
    parameters: &[Parameter::Tolerance],
    properties: &CORRIDOR_PROPERTIES,
    point_columns: false,
    integer_ids: false,
};

/// Whether `meta` is one of the zone layers, whose only changing content is the activity
/// tally cached for [`super::stats::STATS_TTL_SECONDS`] (and corridors' `active_today`).
pub(super) fn is_zone_layer(meta: &CollectionMeta) -> bool {
    [&COMMUNES, &CERCLES, &REGIONS, &CORRIDORS]
        .into_iter()
        .any(|layer| std::ptr::eq(layer, meta))
}

/// One zone ready for the wire.
pub(super) struct WireZone {
    id: ZoneId,
    /// The property values that do not change (everything but activity).
    fixed: Map<String, Value>,
    /// Ids a filter may name: (cercle, region).
    cercle: Option<ZoneId>,
    region: Option<ZoneId>,
    geometry: MultiPolygon<f64>,
    bounds: Option<Rect<f64>>,
    full: Arc<str>,
    simplified: Arc<str>,
    /// The geometry written at other tolerances clients asked for (the web map asks for
    /// one), a few at most: simplifying every zone of a layer again for each answer cost
    /// tens of milliseconds of a core per request.
    other_tolerances: Mutex<Vec<(u64, Arc<str>)>>,
}

/// How many tolerances besides the default and full geometry each zone keeps written.
const KEPT_TOLERANCES: usize = 4;

impl WireZone {
    fn new(id: ZoneId, fixed: Map<String, Value>, geometry: MultiPolygon<f64>) -> WireZone {
        let full = multipolygon_json(&wire_multipolygon(&geometry, 0.0, FULL_DECIMALS));
        let simplified = multipolygon_json(&wire_multipolygon(
            &geometry,
            DEFAULT_TOLERANCE_DEGREES,
            decimals_for(DEFAULT_TOLERANCE_DEGREES),
        ));
        WireZone {
            id,
            fixed,
            cercle: None,
            region: None,
            bounds: geometry.bounding_rect(),
            geometry,
            full: full.into(),
            simplified: simplified.into(),
            other_tolerances: Mutex::new(Vec::new()),
        }
    }

    /// Whether its boundary intersects the box.
    pub(super) fn intersects(&self, bbox: &Bbox) -> bool {
        bbox.rectangles().iter().any(|rect| {
            self.bounds.is_some_and(|bounds| bounds.intersects(rect))
                && self.geometry.intersects(rect)
        })
    }

    /// Its geometry as GeoJSON at `tolerance` (`None`: the default, prepared at start-up).
    pub(super) fn geometry_json(&self, tolerance: Option<f64>) -> Arc<str> {
        match tolerance {
            None => self.simplified.clone(),
            Some(tolerance) if tolerance == DEFAULT_TOLERANCE_DEGREES => self.simplified.clone(),
            Some(0.0) => self.full.clone(),
            Some(tolerance) => {
                let key = tolerance.to_bits();
                let kept = |other: &[(u64, Arc<str>)]| {
                    other
                        .iter()
                        .find(|(bits, _)| *bits == key)
                        .map(|(_, json)| json.clone())
                };
                if let Some(json) = kept(&self.other_tolerances()) {
                    return json;
                }
                // Written outside the lock: two answers may both write it the first time.
                let json: Arc<str> = multipolygon_json(&wire_multipolygon(
                    &self.geometry,
                    tolerance,
                    decimals_for(tolerance),
                ))
                .into();
                let mut other = self.other_tolerances();
                if kept(&other).is_none() && other.len() < KEPT_TOLERANCES {
                    other.push((key, json.clone()));
                }
                json
            }
        }
    }

    fn other_tolerances(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<str>)>> {
        self.other_tolerances
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cercle a commune lies in.
    pub(super) fn cercle(&self) -> Option<&ZoneId> {
        self.cercle.as_ref()
    }

    /// The region a commune or cercle lies in.
    pub(super) fn region(&self) -> Option<&ZoneId> {
        self.region.as_ref()
    }

    fn feature(&self, level: ZoneLevel, stats: &ZoneStats, tolerance: Option<f64>) -> Feature {
        let mut properties = self.fixed.clone();
        stats.write_properties(level, &self.id, &mut properties);
        Feature {
            id: FeatureId::Text(self.id.as_str().to_owned()),
            geometry: Some(self.geometry_json(tolerance)),
            properties,
            point: None,
        }
    }
}

fn text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, Value::from)
}

/// The position a page starts at: its cursor, the position in the filtered list (the zone
/// set does not change while the process runs).
fn offset_of(query: &ItemsQuery) -> Result<usize, AppError> {
    match query.next.as_deref() {
        None => Ok(0),
        Some(cursor) => cursor.parse::<usize>().map_err(|_| {
            AppError::bad_parameter(
                "next",
                "query parameter `next` is not a cursor from a `next` link",
            )
        }),
    }
}

/// Pages through prepared zones.
fn page_of(
    zones: &[WireZone],
    level: ZoneLevel,
    state: &AppState,
    query: &ItemsQuery,
    stats_cache: &Arc<StatsCache>,
) -> Result<Page, AppError> {
    let offset = offset_of(query)?;
    let (stats, since) = stats_cache.current(&state.store, state.clock.now())?;
    Ok(page_with(zones, level, query, offset, &stats, since))
}

/// The page at `offset` with the activity of `stats`, figures that have held since `since`.
fn page_with(
    zones: &[WireZone],
    level: ZoneLevel,
    query: &ItemsQuery,
    offset: usize,
    stats: &ZoneStats,
    since: DateTime<Utc>,
) -> Page {
    let filters = &query.filters;
    let matching: Vec<&WireZone> = zones
        .iter()
        .filter(|zone| {
            filters
                .cercle
                .as_ref()
                .is_none_or(|wanted| zone.cercle.as_ref() == Some(wanted))
                && filters
                    .region
                    .as_ref()
                    .is_none_or(|wanted| zone.region.as_ref() == Some(wanted))
                && query.bbox.is_none_or(|bbox| zone.intersects(&bbox))
        })
        .collect();
    let features = matching
        .iter()
        .skip(offset)
        .take(query.limit)
        .map(|zone| zone.feature(level, stats, query.tolerance))
        .collect();
    let end = offset.saturating_add(query.limit);
    Page {
        features,
        number_matched: Some(matching.len() as u64),
        next: (end < matching.len()).then(|| end.to_string()),
        as_of: Some(since),
    }
}

/// Pages of a zone collection already written as GeoJSON, for one tally: every client of
/// the public map asks for the same page (all communes, default tolerance), which changes
/// only when the tally does. Writing it is most of a request's work (701 features, half a
/// megabyte).
#[derive(Default)]
struct RenderedPages {
    /// The tally the pages show; a new one empties the cache.
    stats: Option<Arc<ZoneStats>>,
    /// Query (as far as it chooses features) → page without features, and its features.
    pages: Vec<(ItemsQuery, Page, RenderedFeatures)>,
}

/// Pages kept per collection (the default page and a few filtered ones).
const RENDERED_PAGES: usize = 16;

/// What of an items query chooses a zone page's features: not its links (`pairs`), its
/// format or the datetime zones ignore.
fn page_key(query: &ItemsQuery) -> ItemsQuery {
    ItemsQuery {
        days: None,
        format: super::params::Format::GeoJson,
        hxl: false,
        pairs: Vec::new(),
        ..query.clone()
    }
}

/// Communes, cercles or regions.
pub struct ZoneCollection {
    meta: &'static CollectionMeta,
    level: ZoneLevel,
    zones: Arc<[WireZone]>,
    stats: Arc<StatsCache>,
    // std Mutex: held to look a page up or store one, never while writing one.
    rendered: Mutex<RenderedPages>,
}

impl ZoneCollection {
    /// The communes, with their cercle and region.
    pub fn communes(zone_set: &ZoneSet, stats: Arc<StatsCache>) -> ZoneCollection {
        let cercles = zone_set.index_by_id(ZoneLevel::Cercle);
        let zones = zone_set
            .communes
            .iter()
            .map(|commune| {
                let cercle = commune
                    .parent
                    .as_ref()
                    .and_then(|id| cercles.get(id))
                    .map(|&position| &zone_set.cercles[position]);
                let region = cercle.and_then(|cercle| cercle.parent.clone());
                let mut fixed = Map::new();
                fixed.insert("pcode".into(), commune.id.as_str().into());
                fixed.insert("name".into(), commune.name.clone().into());
                fixed.insert(
                    "cercle".into(),
                    text(commune.parent.as_ref().map(ZoneId::as_str)),
                );
                fixed.insert(
                    "cercle_name".into(),
                    text(cercle.map(|cercle| cercle.name.as_str())),
                );
                fixed.insert("region".into(), text(region.as_ref().map(ZoneId::as_str)));
                let mut zone = WireZone::new(commune.id.clone(), fixed, commune.geometry.clone());
                zone.cercle = commune.parent.clone();
                zone.region = region;
                zone
            })
            .collect();
        ZoneCollection {
            meta: &COMMUNES,
            level: ZoneLevel::Commune,
            zones,
            stats,
            rendered: Mutex::default(),
        }
    }

    /// The cercles, with their region.
    pub fn cercles(zone_set: &ZoneSet, stats: Arc<StatsCache>) -> ZoneCollection {
        let regions = zone_set.index_by_id(ZoneLevel::Region);
        let zones = zone_set
            .cercles
            .iter()
            .map(|cercle| {
                let region = cercle
                    .parent
                    .as_ref()
                    .and_then(|id| regions.get(id))
                    .map(|&position| &zone_set.regions[position]);
                let mut fixed = Map::new();
                fixed.insert("pcode".into(), cercle.id.as_str().into());
                fixed.insert("name".into(), cercle.name.clone().into());
                fixed.insert(
                    "region".into(),
                    text(cercle.parent.as_ref().map(ZoneId::as_str)),
                );
                fixed.insert(
                    "region_name".into(),
                    text(region.map(|region| region.name.as_str())),
                );
                let mut zone = WireZone::new(cercle.id.clone(), fixed, cercle.geometry.clone());
                zone.region = cercle.parent.clone();
                zone
            })
            .collect();
        ZoneCollection {
            meta: &CERCLES,
            level: ZoneLevel::Cercle,
            zones,
            stats,
            rendered: Mutex::default(),
        }
    }

    /// The regions.
    pub fn regions(zone_set: &ZoneSet, stats: Arc<StatsCache>) -> ZoneCollection {
        let zones = zone_set
            .regions
            .iter()
            .map(|region| {
                let mut fixed = Map::new();
                fixed.insert("pcode".into(), region.id.as_str().into());
                fixed.insert("name".into(), region.name.clone().into());
                WireZone::new(region.id.clone(), fixed, region.geometry.clone())
            })
            .collect();
        ZoneCollection {
            meta: &REGIONS,
            level: ZoneLevel::Region,
            zones,
            stats,
            rendered: Mutex::default(),
        }
    }
}

impl ZoneCollection {
    /// Its prepared zones, to share with [`ZoneShapes`].
    pub(super) fn shapes(&self) -> (ZoneLevel, Arc<[WireZone]>) {
        (self.level, self.zones.clone())
    }
}

impl CorridorsCollection {
    /// Its prepared corridors, to share with [`ZoneShapes`].
    pub(super) fn shapes(&self) -> (ZoneLevel, Arc<[WireZone]>) {
        (ZoneLevel::Corridor, self.zones.clone())
    }
}

/// The prepared (simplified, serialised) geometry of every zone of every level, shared with
/// the collections whose features are about a zone (warnings), so that each boundary is
/// prepared once at start-up.
#[derive(Clone, Default)]
pub(super) struct ZoneShapes {
    levels: Vec<Arc<[WireZone]>>,
    /// (level, id) → (position in `levels`, position in that level's zones).
    index: HashMap<(ZoneLevel, ZoneId), (usize, usize)>,
}

impl ZoneShapes {
    /// Indexes the prepared zones of each level.
    pub(super) fn new(levels: Vec<(ZoneLevel, Arc<[WireZone]>)>) -> ZoneShapes {
        let mut index = HashMap::new();
        for (level_position, (level, zones)) in levels.iter().enumerate() {
            for (position, zone) in zones.iter().enumerate() {
                index.insert((*level, zone.id.clone()), (level_position, position));
            }
        }
        ZoneShapes {
            levels: levels.into_iter().map(|(_, zones)| zones).collect(),
            index,
        }
    }

    /// The zone of `level` with `id`.
    pub(super) fn get(&self, level: ZoneLevel, id: &ZoneId) -> Option<&WireZone> {
        let &(level_position, position) = self.index.get(&(level, id.clone()))?;
        self.levels.get(level_position)?.get(position)
    }
}

impl Collection for ZoneCollection {
    fn meta(&self) -> &'static CollectionMeta {
        self.meta
    }

    fn items(&self, state: &AppState, query: &ItemsQuery) -> Result<Page, AppError> {
        page_of(&self.zones, self.level, state, query, &self.stats)
    }

    fn rendered_items(
        &self,
        state: &AppState,
        query: &ItemsQuery,
    ) -> Result<Option<(Page, RenderedFeatures)>, AppError> {
        let offset = offset_of(query)?;
        let (stats, since) = self.stats.current(&state.store, state.clock.now())?;
        let key = page_key(query);
        {
            let cache = self.rendered.lock().unwrap_or_else(|e| e.into_inner());
            if cache
                .stats
                .as_ref()
                .is_some_and(|cached| Arc::ptr_eq(cached, &stats))
                && let Some((_, page, rendered)) =
                    cache.pages.iter().find(|(query, _, _)| *query == key)
            {
                return Ok(Some((page.clone(), rendered.clone())));
            }
        }
        let mut page = page_with(&self.zones, self.level, query, offset, &stats, since);
        let rendered =
            RenderedFeatures::new(features_json(&page.features).into(), page.features.len());
        page.features = Vec::new();
        let mut cache = self.rendered.lock().unwrap_or_else(|e| e.into_inner());
        if !cache
            .stats
            .as_ref()
            .is_some_and(|cached| Arc::ptr_eq(cached, &stats))
        {
            *cache = RenderedPages {
                stats: Some(stats),
                pages: Vec::new(),
            };
        }
        if cache.pages.len() >= RENDERED_PAGES {
            cache.pages.remove(0);
        }
        if !cache.pages.iter().any(|(query, _, _)| *query == key) {
            cache.pages.push((key, page.clone(), rendered.clone()));
        }
        Ok(Some((page, rendered)))
    }

    fn item(&self, state: &AppState, id: &str) -> Result<Option<Feature>, AppError> {
        let Some(zone) = self.zones.iter().find(|zone| zone.id.as_str() == id) else {
            return Ok(None);
        };
        let (stats, _) = self.stats.current(&state.store, state.clock.now())?;
        Ok(Some(zone.feature(self.level, &stats, None)))
    }
}

/// The corridors, whose `active_today` depends on the clock.
pub struct CorridorsCollection {
    zones: Arc<[WireZone]>,
    seasons: Vec<vigie_domain::Season>,
    stats: Arc<StatsCache>,
}

impl CorridorsCollection {
    /// The corridors of `zone_set`.
    pub fn new(zone_set: &ZoneSet, stats: Arc<StatsCache>) -> CorridorsCollection {
        let zones = zone_set
            .corridors
            .iter()
            .map(|corridor| {
                let mut fixed = Map::new();
                fixed.insert("code".into(), corridor.id.as_str().into());
                fixed.insert("name".into(), corridor.name.clone().into());
                fixed.insert("buffer_km".into(), number(corridor.buffer_km));
                fixed.insert("width_km".into(), number(2.0 * corridor.buffer_km));
                fixed.insert(
                    "season_start".into(),
                    corridor.season.start.to_string().into(),
                );
                fixed.insert("season_end".into(), corridor.season.end.to_string().into());
                fixed.insert("active_today".into(), false.into());
                fixed.insert("approximate".into(), corridor.approximate.into());
                WireZone::new(corridor.id.clone(), fixed, corridor.area.clone())
            })
            .collect();
        CorridorsCollection {
            zones,
            seasons: zone_set
                .corridors
                .iter()
                .map(|corridor| corridor.season)
                .collect(),
            stats,
        }
    }

    fn with_season(&self, state: &AppState, mut feature: Feature) -> Feature {
        let today = state.clock.now().date_naive();
        if let Some(position) = self
            .zones
            .iter()
            .position(|zone| zone.id.as_str() == feature.id.to_text())
        {
            feature.properties.insert(
                "active_today".into(),
                self.seasons[position].contains(today).into(),
            );
        }
        feature
    }
}

fn number(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

impl Collection for CorridorsCollection {
    fn meta(&self) -> &'static CollectionMeta {
        &CORRIDORS
    }

    fn items(&self, state: &AppState, query: &ItemsQuery) -> Result<Page, AppError> {
        let mut page = page_of(&self.zones, ZoneLevel::Corridor, state, query, &self.stats)?;
        page.features = page
            .features
            .into_iter()
            .map(|feature| self.with_season(state, feature))
            .collect();
        Ok(page)
    }

    fn item(&self, state: &AppState, id: &str) -> Result<Option<Feature>, AppError> {
        let Some(zone) = self.zones.iter().find(|zone| zone.id.as_str() == id) else {
            return Ok(None);
        };
        let (stats, _) = self.stats.current(&state.store, state.clock.now())?;
        Ok(Some(self.with_season(
            state,
            zone.feature(ZoneLevel::Corridor, &stats, None),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn zone() -> WireZone {
        // A ragged ring, so that each tolerance simplifies it differently.
        let ring = polygon![
            (x: 0.0, y: 0.0), (x: 0.5, y: 0.013), (x: 1.0, y: 0.0), (x: 1.02, y: 0.5),
            (x: 1.0, y: 1.0), (x: 0.5, y: 0.96), (x: 0.0, y: 1.0), (x: 0.0, y: 0.0)
        ];
        WireZone::new(
            ZoneId::new("ML050301").unwrap(),
            Map::new(),
            MultiPolygon::new(vec![ring]),
        )
    }

    #[test]
    fn geometry_at_other_tolerances_is_written_once_and_stays_exact() {
        let zone = zone();
        let written = |tolerance: f64| {
            Arc::<str>::from(multipolygon_json(&wire_multipolygon(
                &zone.geometry,
                tolerance,
                decimals_for(tolerance),
            )))
        };
        let first = zone.geometry_json(Some(0.01));
        assert_eq!(first, written(0.01));
        assert!(Arc::ptr_eq(&first, &zone.geometry_json(Some(0.01))), "kept");
        assert_ne!(zone.geometry_json(Some(0.05)), first);
        // Past the few it keeps, answers are still right, only written each time.
        for tolerance in [0.02, 0.03, 0.04, 0.06, 0.07] {
            assert_eq!(zone.geometry_json(Some(tolerance)), written(tolerance));
        }
        assert_eq!(zone.other_tolerances().len(), KEPT_TOLERANCES);
        assert_eq!(zone.geometry_json(None), zone.simplified);
        assert_eq!(zone.geometry_json(Some(0.0)), zone.full);
    }
}
