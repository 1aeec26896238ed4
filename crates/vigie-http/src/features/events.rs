//! The `events` collection: every stored event as a point, ACLED's taxonomy and the zones it
//! was placed in.
//!
//! ACLED's terms forbid republishing its raw rows: the collection's items need a researcher
//! key (`requires_key`). Aggregates (the zone collections) are what the public sees.
//!
//! Community events (source `community`) are placed at their commune's representative point,
//! whatever point the store holds: a web report's exact coordinates are for analysts only.

use std::sync::Arc;

use serde_json::{Map, Value};
use vigie_domain::EventSource;
use vigie_domain::sms::CommuneDirectory;
use vigie_domain::store::{EventQuery, StoredEvent};

use super::catalog::{
    Collection, CollectionMeta, Feature, FeatureId, Page, Property, PropertyKind, integer_cursor,
};
use super::geometry::point_json;
use super::params::{ItemsQuery, Parameter};
use crate::error::AppError;
use crate::state::AppState;

/// Rows read per store call when filters the store cannot apply (bbox, type, cercle, region)
/// are sifted here: the first read, and the least of the following ones.
const SCAN_CHUNK: usize = 2_000;

/// The most rows one sifted read asks for.
const MAX_SCAN_CHUNK: usize = 50_000;

/// The size of the next sifted read, when `missing` features are still wanted and `kept` of
/// the `scanned` rows so far passed the filters. Every read runs the store query again
/// (on SQLite: the date range looked up and sorted by id once more), so the next read asks
/// for what the filters' share so far says is needed, with a quarter more to spare, rather
/// than a fixed number: a filter keeping one row in twenty takes two or three reads, not
/// ten.
fn next_chunk(missing: usize, kept: usize, scanned: usize) -> usize {
    let estimate = missing
        .saturating_mul(scanned)
        .checked_div(kept)
        .unwrap_or(scanned.saturating_mul(4));
    estimate
        .saturating_add(estimate / 4)
        .clamp(SCAN_CHUNK, MAX_SCAN_CHUNK)
}

static PROPERTIES: [Property; 13] = [
    Property::required(
        "source_event_id",
        PropertyKind::Text,
        "#event+id",
        "The source's id (ACLED `event_id_cnty`, UCDP `id`, `R<report>` for community reports).",
    ),
    Property::required(
        "source",
        PropertyKind::Text,
        "#meta+source",
        "Source kind: acled, ucdp or community.",
    ),
    Property::required(
        "event_date",
        PropertyKind::Date,
        "#date+occurred",
        "Day of the event.",
    ),
    Property::required(
        "time_precision",
        PropertyKind::Integer,
        "#date+precision",
        "ACLED time precision: 1 day, 2 week, 3 month.",
    ),
    Property::required(
        "event_type",
        PropertyKind::Text,
        "#event+type",
        "ACLED event type.",
    ),
    Property::optional(
        "sub_event_type",
        PropertyKind::Text,
        "#event+type+sub",
        "ACLED sub-event type.",
    ),
    Property::required(
        "fatalities",
        PropertyKind::Integer,
        "#affected+killed",
        "Reported fatalities (best estimate).",
    ),
    Property::optional(
        "geo_precision",
        PropertyKind::Integer,
        "#geo+precision",
        "ACLED geo precision: 1 town, 2 area, 3 region.",
    ),
    Property::required(
        "location_status",
        PropertyKind::Text,
        "#geo+status",
        "How the point was placed: inside, snapped or outside.",
    ),
    Property::optional(
        "commune",
        PropertyKind::Text,
        "#adm3+code",
        "Commune P-code.",
    ),
    Property::optional("cercle", PropertyKind::Text, "#adm2+code", "Cercle P-code."),
    Property::optional("region", PropertyKind::Text, "#adm1+code", "Region P-code."),
    Property::required(
        "corridors",
        PropertyKind::TextList,
        "#loc+corridor+code",
        "Transhumance corridors whose buffer holds the event.",
    ),
];

/// The first `wanted` events of `query` after `cursor` that `keep` keeps, in id order.
/// `sifting`: whether `keep` may refuse many rows (then reads start larger and grow with
/// how few it keeps; see [`next_chunk`]).
fn scan(
    state: &AppState,
    query: &EventQuery,
    mut cursor: Option<i64>,
    wanted: usize,
    sifting: bool,
    keep: impl Fn(&StoredEvent) -> bool,
) -> Result<Vec<StoredEvent>, AppError> {
    let mut chunk = if sifting {
        wanted.max(SCAN_CHUNK)
    } else {
        wanted
    };
    let mut found: Vec<StoredEvent> = Vec::with_capacity(wanted.min(SCAN_CHUNK));
    let mut scanned = 0;
    loop {
        let batch = state.store.events(&EventQuery {
            after_id: cursor,
            limit: Some(chunk as u64),
            ..query.clone()
        })?;
        let exhausted = batch.len() < chunk;
        scanned += batch.len();
        for stored in batch {
            cursor = Some(stored.id);
            if keep(&stored) {
                found.push(stored);
                if found.len() == wanted {
                    return Ok(found);
                }
            }
        }
        if exhausted {
            return Ok(found);
        }
        chunk = next_chunk(wanted - found.len(), found.len(), scanned);
    }
}

/// The `events` collection's table entry.
pub static EVENTS: CollectionMeta = CollectionMeta {
    id: "events",
    title: "Conflict events",
    description: "Conflict events from ACLED, UCDP and verified community reports, as points with \
                  ACLED's taxonomy and their commune, cercle, region and corridors. Needs a \
                  researcher key: ACLED's terms forbid republishing raw rows.",
    requires_key: true,
    geometry_types: &["Point"],
    dated: true,
    parameters: &[
        Parameter::EventType,
        Parameter::Commune,
        Parameter::Cercle,
        Parameter::Region,
        Parameter::Source,
    ],
    properties: &PROPERTIES,
    point_columns: true,
    integer_ids: true,
};

/// Reads events from the store, page by page on the store id.
#[derive(Debug)]
pub struct EventsCollection {
    directory: Arc<CommuneDirectory>,
}

impl EventsCollection {
    /// The collection, coarsening community events with `directory`'s representative points.
    pub fn new(directory: Arc<CommuneDirectory>) -> EventsCollection {
        EventsCollection { directory }
    }

    /// The point an event is published at: its own, or for a community event its commune's
    /// representative point (none when the commune is unknown).
    fn published_point(&self, stored: &StoredEvent) -> Option<(f64, f64)> {
        let event = &stored.located.event;
        if event.source != EventSource::Community {
            return Some((event.longitude, event.latitude));
        }
        let commune = stored.located.location.commune.as_ref()?;
        self.directory.commune(commune)?.representative_point
    }

    fn feature(&self, stored: &StoredEvent) -> Feature {
        let event = &stored.located.event;
        let location = &stored.located.location;
        let zone = |id: &Option<vigie_domain::ZoneId>| {
            id.as_ref()
                .map_or(Value::Null, |id| Value::from(id.as_str()))
        };
        let mut properties = Map::with_capacity(PROPERTIES.len());
        properties.insert(
            "source_event_id".into(),
            event.source_event_id.clone().into(),
        );
        properties.insert("source".into(), event.source.as_str().into());
        properties.insert("event_date".into(), event.event_date.to_string().into());
        properties.insert("time_precision".into(), event.time_precision.into());
        properties.insert("event_type".into(), event.event_type.label().into());
        properties.insert(
            "sub_event_type".into(),
            event
                .sub_event_type
                .clone()
                .map_or(Value::Null, Value::from),
        );
        properties.insert("fatalities".into(), event.fatalities.into());
        properties.insert(
            "geo_precision".into(),
            event.geo_precision.map_or(Value::Null, Value::from),
        );
        properties.insert("location_status".into(), location.status.as_str().into());
        properties.insert("commune".into(), zone(&location.commune));
        properties.insert("cercle".into(), zone(&location.cercle));
        properties.insert("region".into(), zone(&location.region));
        properties.insert(
            "corridors".into(),
            location
                .corridors
                .iter()
                .map(|id| Value::from(id.as_str()))
                .collect::<Vec<_>>()
                .into(),
        );
        let point = self.published_point(stored);
        let geometry = point.and_then(|(lon, lat)| point_json(lon, lat));
        Feature {
            id: FeatureId::Integer(stored.id),
            point: geometry.as_ref().and(point),
            geometry: geometry.map(Arc::from),
            properties,
        }
    }
}

impl Collection for EventsCollection {
    fn meta(&self) -> &'static CollectionMeta {
        &EVENTS
    }

    fn items(&self, state: &AppState, query: &ItemsQuery) -> Result<Page, AppError> {
        let filters = &query.filters;
        // What the store filters itself; the rest is sifted below.
        let store_query = EventQuery {
            source: filters.source,
            from: query.days.and_then(|days| days.from),
            to: query.days.and_then(|days| days.to),
            commune: filters.commune.clone(),
            ..EventQuery::default()
        };
        let sift = |stored: &StoredEvent| {
            let event = &stored.located.event;
            let location = &stored.located.location;
            query.bbox.is_none_or(|bbox| {
                self.published_point(stored)
                    .is_some_and(|(lon, lat)| bbox.contains(lon, lat))
            }) && filters
                .event_type
                .is_none_or(|wanted| event.event_type == wanted)
                && filters
                    .cercle
                    .as_ref()
                    .is_none_or(|wanted| location.cercle.as_ref() == Some(wanted))
                && filters
                    .region
                    .as_ref()
                    .is_none_or(|wanted| location.region.as_ref() == Some(wanted))
        };
        let sifting = query.bbox.is_some()
            || filters.event_type.is_some()
            || filters.cercle.is_some()
            || filters.region.is_some();
        // One more than a page tells whether a next page exists.
        let wanted = query.limit + 1;
        let cursor = integer_cursor(query.next.as_deref())?;
        let mut found = match query.bbox.filter(|bbox| bbox.min_lon <= bbox.max_lon) {
            // The store keeps the events whose point is in the box. Community events are
            // published at their commune's point, not the one stored: they are read apart
            // and sifted here, and the two lists merged in id order (the first `wanted`
            // of the union are among the first `wanted` of each).
            Some(bbox) => {
                let community = EventSource::Community;
                let others_too = filters.event_type.is_some()
                    || filters.cercle.is_some()
                    || filters.region.is_some();
                let mut found = if filters.source == Some(community) {
                    Vec::new()
                } else {
                    let within = EventQuery {
                        within: Some([bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat]),
                        ..store_query.clone()
                    };
                    scan(state, &within, cursor, wanted, others_too, |stored| {
                        stored.located.event.source != community && sift(stored)
                    })?
                };
                if filters.source.is_none_or(|source| source == community) {
                    let reports = EventQuery {
                        source: Some(community),
                        ..store_query.clone()
                    };
                    found.extend(scan(state, &reports, cursor, wanted, true, sift)?);
                    found.sort_unstable_by_key(|stored| stored.id);
                    found.truncate(wanted);
                }
                found
            }
            None => scan(state, &store_query, cursor, wanted, sifting, sift)?,
        };
        let next = if found.len() > query.limit {
            found.truncate(query.limit);
            found.last().map(|stored| stored.id.to_string())
        } else {
            None
        };
        let number_matched = if sifting {
            None
        } else {
            Some(state.store.count_events(&store_query)?)
        };
        Ok(Page {
            features: found.iter().map(|stored| self.feature(stored)).collect(),
            number_matched,
            next,
            as_of: None,
        })
    }

    fn item(&self, state: &AppState, id: &str) -> Result<Option<Feature>, AppError> {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let found = state.store.events(&EventQuery {
            after_id: Some(id.saturating_sub(1)),
            limit: Some(1),
            ..EventQuery::default()
        })?;
        Ok(found
            .first()
            .filter(|stored| stored.id == id)
            .map(|stored| self.feature(stored)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sifted_reads_grow_with_how_few_rows_pass() {
        // Half the rows pass: 100 more features need about 200 rows; the least read is kept.
        assert_eq!(next_chunk(100, 1000, 2000), SCAN_CHUNK);
        // One row in twenty passes: 900 missing features need about 18,000 rows.
        assert_eq!(next_chunk(900, 100, 2000), 22_500);
        // Nothing passed yet: four times as far.
        assert_eq!(next_chunk(1001, 0, 2000), 10_000);
        assert_eq!(next_chunk(1001, 0, 40_000), MAX_SCAN_CHUNK);
    }
}
