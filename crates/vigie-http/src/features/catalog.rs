//! The collection table: what each collection is (id, title, key requirement, parameters,
//! properties with their HXL hashtags) and the [`Collection`] trait that reads its items.
//!
//! Adding a collection is: a `static` [`CollectionMeta`] with its
//! property table, an implementation of [`Collection`], and one line in
//! [`FeatureCatalog::new`]. The router, the collections list, the OpenAPI document and the CSV
//! writer all read the table, so nothing else changes.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use geo::BoundingRect;
use serde_json::{Map, Value};
use vigie_domain::ZoneSet;
use vigie_domain::sms::CommuneDirectory;

use super::auth::Role;
use super::events::EventsCollection;
use super::hotspots::HotspotsCollection;
use super::params::{ItemsQuery, Parameter};
use super::reports::ReportsCollection;
use super::stats::StatsCache;
use super::warnings::WarningsCollection;
use super::zones::{CorridorsCollection, ZoneCollection, ZoneShapes};
use crate::error::AppError;
use crate::state::AppState;

/// The JSON type of a property, for the OpenAPI schema and the CSV writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyKind {
    /// Text.
    Text,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// true or false.
    Boolean,
    /// An ISO 8601 date (`2024-01-05`).
    Date,
    /// A list of texts (joined with `;` in CSV).
    TextList,
}

/// One property of a collection's features.
#[derive(Debug, Clone, Copy)]
pub struct Property {
    /// Name in `properties` and CSV header.
    pub name: &'static str,
    /// JSON type.
    pub kind: PropertyKind,
    /// Whether it may be null.
    pub nullable: bool,
    /// What it is.
    pub description: &'static str,
    /// Its HXL hashtag and attributes (`#adm3+code`).
    pub hxl: &'static str,
}

impl Property {
    /// A property that is always present.
    pub const fn required(
        name: &'static str,
        kind: PropertyKind,
        hxl: &'static str,
        description: &'static str,
    ) -> Property {
        Property {
            name,
            kind,
            nullable: false,
            description,
            hxl,
        }
    }

    /// A property that may be null.
    pub const fn optional(
        name: &'static str,
        kind: PropertyKind,
        hxl: &'static str,
        description: &'static str,
    ) -> Property {
        Property {
            name,
            kind,
            nullable: true,
            description,
            hxl,
        }
    }
}

/// What a collection is, independent of its data.
#[derive(Debug)]
pub struct CollectionMeta {
    /// Path segment and id (`communes`).
    pub id: &'static str,
    /// Human title.
    pub title: &'static str,
    /// What it holds and its caveats.
    pub description: &'static str,
    /// Whether it needs an API key (researcher role or above): its items, its description,
    /// and its place in the collections list (see [`CollectionMeta::readable_by`]).
    pub requires_key: bool,
    /// The GeoJSON geometry types its features may have.
    pub geometry_types: &'static [&'static str],
    /// Whether its features are dated (`datetime` filters them); undated collections accept
    /// and ignore `datetime`.
    pub dated: bool,
    /// The parameters its items route accepts beyond the common ones.
    pub parameters: &'static [Parameter],
    /// The properties of its features, in CSV column order.
    pub properties: &'static [Property],
    /// Whether CSV output ends with `latitude` and `longitude` columns (point collections).
    pub point_columns: bool,
    /// Whether feature ids are integers (`true`) or texts.
    pub integer_ids: bool,
}

impl CollectionMeta {
    /// Whether a caller with `role` (`None`: the public) may read the collection. A keyed
    /// collection is invisible to the public: absent from `/collections`, 401 when asked for
    /// by name, so that an anonymous client (and a conformance tester) only ever sees
    /// collections it can actually read.
    pub fn readable_by(&self, role: Option<Role>) -> bool {
        !self.requires_key || role.is_some_and(|role| role >= Role::Researcher)
    }
}

/// A feature's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureId {
    /// A store id.
    Integer(i64),
    /// A P-code or corridor id.
    Text(String),
}

impl FeatureId {
    /// As JSON.
    pub fn to_json(&self) -> Value {
        match self {
            FeatureId::Integer(id) => Value::from(*id),
            FeatureId::Text(id) => Value::from(id.as_str()),
        }
    }

    /// As text (CSV, URLs).
    pub fn to_text(&self) -> String {
        match self {
            FeatureId::Integer(id) => id.to_string(),
            FeatureId::Text(id) => id.clone(),
        }
    }
}

/// One feature, ready to be written as GeoJSON or CSV.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Its id.
    pub id: FeatureId,
    /// Its geometry, already serialised as RFC 7946 GeoJSON (`None`: `null`).
    pub geometry: Option<Arc<str>>,
    /// Its properties, in the order of the collection's property table.
    pub properties: Map<String, Value>,
    /// Its position (lon, lat), for CSV's coordinate columns.
    pub point: Option<(f64, f64)>,
}

/// One page of items.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The features, in the collection's stable order.
    pub features: Vec<Feature>,
    /// How many features match in all, when that is cheap to know.
    pub number_matched: Option<u64>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
    /// Since when the figures the page shows have held, when they come from a cache (the
    /// zone layers' activity): part of the page's weak entity tag, so that caches can
    /// revalidate a layer whose figures have not changed. (`timeStamp` is always the time of
    /// the answer.)
    pub as_of: Option<DateTime<Utc>>,
}

/// A page's features already written as GeoJSON, by a collection that keeps its answers
/// ready (see [`Collection::rendered_items`]).
#[derive(Debug, Clone)]
pub struct RenderedFeatures {
    /// The inside of the `features` array, exactly as writing the features gives it
    /// (shared, not copied, by every answer that sends it).
    pub json: axum::body::Bytes,
    /// How many features it holds.
    pub count: usize,
    /// SHA-256 of `json`, computed once when it is written: an answer's entity tag is made
    /// from it and the answer's other bytes, without hashing half a megabyte per request.
    pub digest: [u8; 32],
}

impl RenderedFeatures {
    /// Kept features, with their digest.
    pub fn new(json: axum::body::Bytes, count: usize) -> RenderedFeatures {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(&json).into();
        RenderedFeatures {
            json,
            count,
            digest,
        }
    }
}

/// A collection's data. Implementations run on a blocking thread (they call the store).
pub trait Collection: Send + Sync {
    /// What the collection is.
    fn meta(&self) -> &'static CollectionMeta;

    /// A page of the items matching `query`. A cursor that is not one of this collection's
    /// is a 400 problem on `next`.
    fn items(&self, state: &AppState, query: &ItemsQuery) -> Result<Page, AppError>;

    /// The feature with `id`, or `None`.
    fn item(&self, state: &AppState, id: &str) -> Result<Option<Feature>, AppError>;

    /// For GeoJSON: the page [`Collection::items`] would give, its features already written
    /// (the page's `features` left empty), when the collection keeps them ready; `None`, the
    /// default, to have `items` read and written.
    fn rendered_items(
        &self,
        _state: &AppState,
        _query: &ItemsQuery,
    ) -> Result<Option<(Page, RenderedFeatures)>, AppError> {
        Ok(None)
    }
}

/// Every collection the API serves, built once at start-up from the geography.
pub struct FeatureCatalog {
    collections: Vec<Box<dyn Collection>>,
    /// The bounding box of the geography, `[minLon, minLat, maxLon, maxLat]`.
    spatial_extent: [f64; 4],
    attribution: String,
}

impl FeatureCatalog {
    /// Prepares the collections: simplifies and serialises every zone's geometry (a few
    /// hundred milliseconds for Mali: once, at start-up).
    pub fn new(zones: &ZoneSet, directory: &Arc<CommuneDirectory>) -> FeatureCatalog {
        let stats = Arc::new(StatsCache::default());
        let communes = ZoneCollection::communes(zones, stats.clone());
        let cercles = ZoneCollection::cercles(zones, stats.clone());
        let regions = ZoneCollection::regions(zones, stats.clone());
        let corridors = CorridorsCollection::new(zones, stats);
        let shapes = ZoneShapes::new(vec![
            communes.shapes(),
            cercles.shapes(),
            regions.shapes(),
            corridors.shapes(),
        ]);
        let collections: Vec<Box<dyn Collection>> = vec![
            Box::new(EventsCollection::new(directory.clone())),
            Box::new(ReportsCollection::new(directory.clone())),
            Box::new(communes),
            Box::new(cercles),
            Box::new(regions),
            Box::new(corridors),
            Box::new(HotspotsCollection::new(zones, directory.clone())),
            Box::new(WarningsCollection::new(shapes)),
        ];
        let spatial_extent = zones
            .regions
            .iter()
            .chain(&zones.communes)
            .filter_map(|zone| zone.geometry.bounding_rect())
            .reduce(|a, b| {
                geo_types::Rect::new(
                    geo_types::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                    geo_types::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
                )
            })
            .map_or([-180.0, -90.0, 180.0, 90.0], |rect| {
                [rect.min().x, rect.min().y, rect.max().x, rect.max().y]
            });
        FeatureCatalog {
            collections,
            spatial_extent,
            attribution: zones.attribution.clone(),
        }
    }

    /// The collections, in listing order.
    pub(crate) fn collections(&self) -> impl Iterator<Item = &dyn Collection> {
        self.collections
            .iter()
            .map(|collection| collection.as_ref())
    }

    /// The collection with `id`.
    pub(crate) fn find(&self, id: &str) -> Option<&dyn Collection> {
        self.collections()
            .find(|collection| collection.meta().id == id)
    }

    /// The geography's bounding box.
    pub(crate) fn spatial_extent(&self) -> [f64; 4] {
        self.spatial_extent
    }

    /// The boundaries' credit line.
    pub(crate) fn attribution(&self) -> &str {
        &self.attribution
    }

    /// The ids of the collections, in listing order.
    pub fn collection_ids(&self) -> Vec<&'static str> {
        self.collections()
            .map(|collection| collection.meta().id)
            .collect()
    }
}

impl std::fmt::Debug for FeatureCatalog {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("FeatureCatalog")
            .field("collections", &self.collection_ids())
            .finish_non_exhaustive()
    }
}

/// Parses a numeric cursor, or answers the 400 problem for `next`.
pub(crate) fn integer_cursor(next: Option<&str>) -> Result<Option<i64>, AppError> {
    next.map(|cursor| {
        cursor.parse::<i64>().map_err(|_| {
            AppError::bad_parameter(
                "next",
                "query parameter `next` is not a cursor from a `next` link",
            )
        })
    })
    .transpose()
}
