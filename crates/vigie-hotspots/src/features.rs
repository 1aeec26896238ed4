//! Hotspots: what a cluster of events looks like on a map and in a briefing.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use geo::{ConvexHull, Coord, LineString, MultiPoint, Point, Polygon};
use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject};
use serde::Serialize;
use serde_json::{Value, json};
use vigie_domain::{EventType, LocatedEvent, ZoneId};

use crate::{Clustering, SpaceTimePoint};

/// An event as the hotspot summary needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotEvent {
    /// The caller's id for the event (the store id), listed as evidence.
    pub id: i64,
    /// Longitude, degrees WGS84.
    pub longitude: f64,
    /// Latitude, degrees WGS84.
    pub latitude: f64,
    /// Event date.
    pub date: NaiveDate,
    /// ACLED event type.
    pub event_type: EventType,
    /// Reported fatalities.
    pub fatalities: u32,
    /// Commune P-code, if located inside or snapped to one.
    pub commune: Option<ZoneId>,
    /// Corridors whose buffer holds the event.
    pub corridors: Vec<ZoneId>,
}

impl HotspotEvent {
    /// The summary of a stored event, under the caller's id.
    pub fn from_located(id: i64, located: &LocatedEvent) -> HotspotEvent {
        HotspotEvent {
            id,
            longitude: located.event.longitude,
            latitude: located.event.latitude,
            date: located.event.event_date,
            event_type: located.event.event_type,
            fatalities: located.event.fatalities,
            commune: located.location.commune.clone(),
            corridors: located.location.corridors.clone(),
        }
    }

    /// The point ST-DBSCAN clusters.
    pub fn point(&self) -> SpaceTimePoint {
        SpaceTimePoint::on_date(self.longitude, self.latitude, self.date)
    }
}

/// How many events of one type a hotspot holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeCount {
    /// ACLED's label of the type.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// Events of that type.
    pub events: usize,
}

/// How many events of a hotspot fall in one zone (commune or corridor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneCount {
    /// The zone's id.
    pub id: ZoneId,
    /// The zone's display name, when the caller filled it in ([`Hotspot::name_zones`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Events of the hotspot in that zone.
    pub events: usize,
}

/// The outline of a hotspot.
///
/// Planar convex hull in lon/lat degrees (clusters span kilometres, where the difference with
/// a spherical hull is far below the precision of event coordinates; Mali is nowhere near the
/// antimeridian). When the events do not span an area the outline says so instead of
/// inventing one: a [`HotspotShape::Point`] when they all share one location (frequent:
/// ACLED geocodes to village centres), a [`HotspotShape::Line`] between the two extreme
/// locations when they are collinear. All three are valid RFC 7946 geometries.
#[derive(Debug, Clone, PartialEq)]
pub enum HotspotShape {
    /// Every event at one location.
    Point(Point<f64>),
    /// Collinear locations: the segment between the extreme two.
    Line(LineString<f64>),
    /// The convex hull, exterior ring counter-clockwise and closed.
    Hull(Polygon<f64>),
}

/// One cluster, summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct Hotspot {
    /// The cluster number from ST-DBSCAN (0 is the cluster whose first core event comes first).
    pub cluster: u32,
    /// The outline.
    pub shape: HotspotShape,
    /// Spherical centroid of the events (mean of their unit vectors), lon/lat degrees.
    pub centroid: Coord<f64>,
    /// Events in the cluster.
    pub events: usize,
    /// Sum of their reported fatalities.
    pub fatalities: u64,
    /// Date of the earliest event.
    pub first_date: NaiveDate,
    /// Date of the latest event.
    pub last_date: NaiveDate,
    /// Event types, most frequent first (ties in ACLED's order).
    pub event_types: Vec<TypeCount>,
    /// Communes touched, most events first (ties by id).
    pub communes: Vec<ZoneCount>,
    /// Corridors touched, most events first (ties by id).
    pub corridors: Vec<ZoneCount>,
    /// Caller ids of the events, increasing.
    pub event_ids: Vec<i64>,
}

impl Hotspot {
    /// Fills in the names of the communes and corridors touched, from `name_of` (zones it
    /// does not know keep no name).
    pub fn name_zones(&mut self, name_of: impl Fn(&ZoneId) -> Option<String>) {
        for zone in self.communes.iter_mut().chain(self.corridors.iter_mut()) {
            zone.name = name_of(&zone.id);
        }
    }

    /// The types that share the highest count (usually one).
    pub fn dominant_event_types(&self) -> Vec<EventType> {
        let top = self.event_types.first().map_or(0, |count| count.events);
        self.event_types
            .iter()
            .take_while(|count| count.events == top)
            .map(|count| count.event_type)
            .collect()
    }
}

/// Summarises each cluster of `clustering` (computed over `events`, in the same order) as a
/// hotspot, in cluster order.
///
/// # Panics
/// If `clustering` does not have one role per event.
pub fn hotspots(events: &[HotspotEvent], clustering: &Clustering) -> Vec<Hotspot> {
    assert_eq!(
        events.len(),
        clustering.roles.len(),
        "the clustering must be computed over these events"
    );
    clustering
        .members()
        .into_iter()
        .enumerate()
        .map(|(cluster, members)| summarise(cluster as u32, events, &members))
        .collect()
}

fn summarise(cluster: u32, events: &[HotspotEvent], members: &[usize]) -> Hotspot {
    let members: Vec<&HotspotEvent> = members.iter().map(|&position| &events[position]).collect();
    let mut type_counts: BTreeMap<EventType, usize> = BTreeMap::new();
    let mut commune_counts: BTreeMap<&ZoneId, usize> = BTreeMap::new();
    let mut corridor_counts: BTreeMap<&ZoneId, usize> = BTreeMap::new();
    let mut sum = [0.0f64; 3];
    for event in &members {
        *type_counts.entry(event.event_type).or_default() += 1;
        if let Some(commune) = &event.commune {
            *commune_counts.entry(commune).or_default() += 1;
        }
        for corridor in &event.corridors {
            *corridor_counts.entry(corridor).or_default() += 1;
        }
        let unit = event.point().unit();
        for axis in 0..3 {
            sum[axis] += unit[axis];
        }
    }
    let mut event_types: Vec<TypeCount> = type_counts
        .into_iter()
        .map(|(event_type, events)| TypeCount { event_type, events })
        .collect();
    // Stable sort: equal counts keep the BTreeMap's (ACLED) order.
    event_types.sort_by_key(|count| std::cmp::Reverse(count.events));
    let mut event_ids: Vec<i64> = members.iter().map(|event| event.id).collect();
    event_ids.sort_unstable();
    Hotspot {
        cluster,
        shape: outline(&members),
        centroid: unit_to_lon_lat(sum),
        events: members.len(),
        fatalities: members
            .iter()
            .map(|event| u64::from(event.fatalities))
            .sum(),
        first_date: members
            .iter()
            .map(|event| event.date)
            .min()
            .unwrap_or_default(),
        last_date: members
            .iter()
            .map(|event| event.date)
            .max()
            .unwrap_or_default(),
        event_types,
        communes: ranked(commune_counts),
        corridors: ranked(corridor_counts),
        event_ids,
    }
}

fn ranked(counts: BTreeMap<&ZoneId, usize>) -> Vec<ZoneCount> {
    let mut ranked: Vec<ZoneCount> = counts
        .into_iter()
        .map(|(id, events)| ZoneCount {
            id: id.clone(),
            name: None,
            events,
        })
        .collect();
    ranked.sort_by_key(|count| std::cmp::Reverse(count.events));
    ranked
}

fn unit_to_lon_lat(sum: [f64; 3]) -> Coord<f64> {
    let [x, y, z] = sum;
    Coord {
        x: y.atan2(x).to_degrees(),
        y: z.atan2(x.hypot(y)).to_degrees(),
    }
}

fn outline(members: &[&HotspotEvent]) -> HotspotShape {
    let mut locations: Vec<Coord<f64>> = members
        .iter()
        .map(|event| Coord {
            x: event.longitude,
            y: event.latitude,
        })
        .collect();
    locations.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    locations.dedup();
    match locations.as_slice() {
        [] => HotspotShape::Point(Point::new(0.0, 0.0)),
        [only] => HotspotShape::Point(Point::from(*only)),
        [first, .., last] => {
            let hull = MultiPoint::from(locations.clone()).convex_hull();
            // A hull of collinear points has fewer than three distinct corners (four
            // positions with the closing one).
            if hull.exterior().0.len() < 4 || hull_area_is_zero(&hull) {
                HotspotShape::Line(LineString::from(vec![*first, *last]))
            } else {
                HotspotShape::Hull(hull)
            }
        }
    }
}

fn hull_area_is_zero(hull: &Polygon<f64>) -> bool {
    use geo::Area;
    hull.unsigned_area() == 0.0
}

/// Rounds a coordinate to 6 decimals (about 0.1 m): more would only be noise in the output.
fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

fn rounded(coord: Coord<f64>) -> Coord<f64> {
    Coord {
        x: round6(coord.x),
        y: round6(coord.y),
    }
}

impl Hotspot {
    /// The hotspot as a GeoJSON feature: the outline as geometry, the summary as properties,
    /// and `cluster-N` as id.
    pub fn to_feature(&self) -> Feature {
        let geometry = match &self.shape {
            HotspotShape::Point(point) => GeometryValue::from(&Point::from(rounded(point.0))),
            HotspotShape::Line(line) => {
                GeometryValue::from(&line.coords().map(|c| rounded(*c)).collect::<LineString>())
            }
            HotspotShape::Hull(hull) => GeometryValue::from(&Polygon::new(
                hull.exterior().coords().map(|c| rounded(*c)).collect(),
                vec![],
            )),
        };
        let mut properties = JsonObject::new();
        properties.insert("cluster".into(), json!(self.cluster));
        properties.insert("events".into(), json!(self.events));
        properties.insert("fatalities".into(), json!(self.fatalities));
        properties.insert("first_date".into(), json!(self.first_date));
        properties.insert("last_date".into(), json!(self.last_date));
        properties.insert(
            "centroid".into(),
            json!([round6(self.centroid.x), round6(self.centroid.y)]),
        );
        properties.insert(
            "dominant_event_types".into(),
            json!(self.dominant_event_types()),
        );
        properties.insert("event_types".into(), json!(self.event_types));
        properties.insert("communes".into(), json!(self.communes));
        properties.insert("corridors".into(), json!(self.corridors));
        properties.insert("event_ids".into(), json!(self.event_ids));
        Feature {
            bbox: None,
            geometry: Some(Geometry::new(geometry)),
            id: Some(geojson::feature::Id::String(format!(
                "cluster-{}",
                self.cluster
            ))),
            properties: Some(properties),
            foreign_members: None,
        }
    }
}

/// The hotspots as a GeoJSON FeatureCollection, with `metadata` (if an object) as a foreign
/// member named `vigie` (RFC 7946 § 6.1).
pub fn feature_collection(hotspots: &[Hotspot], metadata: Value) -> FeatureCollection {
    let foreign_members = match metadata {
        Value::Object(_) => {
            let mut members = JsonObject::new();
            members.insert("vigie".into(), metadata);
            Some(members)
        }
        _ => None,
    };
    FeatureCollection {
        bbox: None,
        features: hotspots.iter().map(Hotspot::to_feature).collect(),
        foreign_members,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{StDbscanParameters, st_dbscan};

    fn event(id: i64, lon: f64, lat: f64, day: u32, event_type: EventType) -> HotspotEvent {
        HotspotEvent {
            id,
            longitude: lon,
            latitude: lat,
            date: NaiveDate::from_ymd_opt(2019, 3, day).unwrap(),
            event_type,
            fatalities: id as u32,
            commune: Some(ZoneId::new(if lon < -3.55 { "ML0001" } else { "ML0002" }).unwrap()),
            corridors: if id % 2 == 0 {
                vec![ZoneId::new("TR01").unwrap()]
            } else {
                vec![]
            },
        }
    }

    fn summarise_all(events: &[HotspotEvent], min_points: usize) -> Vec<Hotspot> {
        let points: Vec<SpaceTimePoint> = events.iter().map(HotspotEvent::point).collect();
        let clustering = st_dbscan(
            &points,
            &StDbscanParameters::new(5.0, 7, min_points).unwrap(),
        );
        hotspots(events, &clustering)
    }

    #[test]
    fn a_cluster_becomes_a_hull_with_its_counts_dates_types_and_zones() {
        use EventType::*;
        let events = vec![
            event(1, -3.56, 14.23, 20, ViolenceAgainstCivilians),
            event(2, -3.54, 14.23, 21, ViolenceAgainstCivilians),
            event(3, -3.55, 14.25, 22, Battles),
            event(4, -3.55, 14.24, 23, ViolenceAgainstCivilians),
            event(9, -8.0, 12.6, 23, Protests),
        ];
        let found = summarise_all(&events, 3);
        assert_eq!(found.len(), 1);
        let hotspot = &found[0];
        assert_eq!(hotspot.events, 4);
        assert_eq!(hotspot.fatalities, 1 + 2 + 3 + 4);
        assert_eq!(hotspot.first_date.to_string(), "2019-03-20");
        assert_eq!(hotspot.last_date.to_string(), "2019-03-23");
        assert_eq!(
            hotspot.dominant_event_types(),
            [ViolenceAgainstCivilians],
            "3 attacks against 1 battle"
        );
        assert_eq!(hotspot.event_ids, [1, 2, 3, 4]);
        let communes: Vec<(&str, usize)> = hotspot
            .communes
            .iter()
            .map(|count| (count.id.as_str(), count.events))
            .collect();
        assert_eq!(communes, [("ML0002", 3), ("ML0001", 1)]);
        assert_eq!(hotspot.corridors.len(), 1);
        assert_eq!(hotspot.corridors[0].events, 2);
        let HotspotShape::Hull(hull) = &hotspot.shape else {
            panic!(
                "four spread locations make a polygon, got {:?}",
                hotspot.shape
            );
        };
        // Three corners: (−3.55, 14.24) lies inside the triangle of the other three.
        assert_eq!(hull.exterior().0.len(), 4);
        assert!((hotspot.centroid.x - (-3.55)).abs() < 1e-3);
        assert!((hotspot.centroid.y - 14.2375).abs() < 1e-3);
    }

    #[test]
    fn events_at_one_place_make_a_point_and_collinear_ones_a_line() {
        use EventType::Battles;
        let same_place: Vec<HotspotEvent> = (1..=4)
            .map(|id| event(id, -3.56, 14.23, 20, Battles))
            .collect();
        let found = summarise_all(&same_place, 4);
        assert!(matches!(found[0].shape, HotspotShape::Point(_)));

        let on_a_meridian: Vec<HotspotEvent> = (1..=4)
            .map(|id| event(id, -3.56, 14.20 + 0.01 * id as f64, 20, Battles))
            .collect();
        let found = summarise_all(&on_a_meridian, 4);
        let HotspotShape::Line(line) = &found[0].shape else {
            panic!("collinear events make a line, got {:?}", found[0].shape);
        };
        assert_eq!(line.0.len(), 2);
        assert!((line.0[0].y - 14.21).abs() < 1e-9 && (line.0[1].y - 14.24).abs() < 1e-9);
    }

    #[test]
    fn the_feature_is_valid_geojson_with_a_closed_counter_clockwise_ring() {
        use EventType::*;
        let events = vec![
            event(1, -3.56, 14.23, 20, Battles),
            event(2, -3.54, 14.23, 21, Battles),
            event(3, -3.55, 14.25, 22, Riots),
        ];
        let found = summarise_all(&events, 3);
        let collection = feature_collection(&found, json!({"window_days": 30}));
        let text = serde_json::to_string(&collection).unwrap();
        let parsed: geojson::GeoJson = text.parse().unwrap();
        let geojson::GeoJson::FeatureCollection(parsed) = parsed else {
            panic!("a FeatureCollection");
        };
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["vigie"]["window_days"], 30);
        assert_eq!(value["features"][0]["id"], "cluster-0");
        assert_eq!(
            value["features"][0]["properties"]["dominant_event_types"],
            json!(["Battles"])
        );
        let ring = &value["features"][0]["geometry"]["coordinates"][0];
        let ring: Vec<(f64, f64)> = ring
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        assert_eq!(ring.first(), ring.last(), "closed ring");
        let twice_area: f64 = ring
            .windows(2)
            .map(|pair| pair[0].0 * pair[1].1 - pair[1].0 * pair[0].1)
            .sum();
        assert!(
            twice_area > 0.0,
            "RFC 7946: exterior rings counter-clockwise"
        );
        assert_eq!(parsed.features.len(), 1);
    }
}
