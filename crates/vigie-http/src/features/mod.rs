//! OGC API – Features, Part 1 (Core), with GeoJSON and CSV/HXL output.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | landing page: links to the API description, conformance and data |
//! | `GET /conformance` | the conformance classes implemented |
//! | `GET /api` | OpenAPI 3.0, generated from [`ROUTES`] and the collection table |
//! | `GET /collections` | the collections the caller may read (keyed ones only with a key) |
//! | `GET /collections/{collectionId}` | one collection (401 without a key for a keyed one) |
//! | `GET /collections/{collectionId}/items` | a page of features (bbox, datetime, limit, next, property filters, `f=csv`) |
//! | `GET /collections/{collectionId}/items/{featureId}` | one feature |
//!
//! A request goes: find the collection, check the key when its items need one (`auth.rs`),
//! check every query parameter against the table (`params.rs`), read a page on a blocking
//! thread (the collection's [`catalog::Collection`] implementation), write it as GeoJSON or
//! CSV (`render.rs`).
//!
//! What this module must never do: serve event rows without a key (ACLED's terms), serve a
//! report's reporter, text or exact position, or echo a query value in a problem.

mod auth;
mod catalog;
mod events;
mod geometry;
mod hotspots;
mod openapi;
mod params;
mod render;
mod reports;
mod review;
mod stats;
mod warnings;
mod weekly;
mod zones;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Value, json};

pub use auth::{ApiKeys, Role};
pub(crate) use auth::{bearer_token, optional_role, require_role_for};
pub use catalog::FeatureCatalog;
pub use hotspots::HotspotPublisher;
pub use params::{DEFAULT_LIMIT, DEFAULT_TOLERANCE_DEGREES, MAX_LIMIT};

use crate::caching::{CachePolicy, add_vary};
use crate::error::AppError;
use crate::intake::blocking;
use crate::state::AppState;
use catalog::CollectionMeta;
use params::{Format, ItemsQuery, check_metadata_query, parse_items_query, percent_encode};
use render::{CSV, GEOJSON, collection_csv, collection_json, collection_response, feature_json};

/// The conformance classes this API implements.
pub const CONFORMANCE_CLASSES: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

/// WGS84 longitude/latitude, the only CRS of Part 1 Core.
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// Media type of the OpenAPI document.
const OPENAPI_JSON: &str = "application/vnd.oai.openapi+json;version=3.0";
const JSON: &str = "application/json";

/// What a route answers, for the OpenAPI document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// The landing page.
    Landing,
    /// The conformance declaration.
    Conformance,
    /// The OpenAPI document.
    Api,
    /// The collections list.
    Collections,
    /// One collection.
    Collection,
    /// A page of items.
    Items,
    /// One item.
    Item,
}

/// One route of the API: the router mounts it, the OpenAPI document describes it.
#[derive(Debug)]
pub struct Route {
    /// Path, in the `{parameter}` syntax both axum and OpenAPI use.
    pub path: &'static str,
    /// OpenAPI operation id.
    pub operation_id: &'static str,
    /// One line.
    pub summary: &'static str,
    /// What it answers.
    pub kind: RouteKind,
    handler: fn() -> MethodRouter<AppState>,
}

/// Every route of the research API.
pub static ROUTES: [Route; 7] = [
    Route {
        path: "/",
        operation_id: "getLandingPage",
        summary: "Landing page: links to the API description, the conformance declaration and the collections",
        kind: RouteKind::Landing,
        handler: || get(landing),
    },
    Route {
        path: "/conformance",
        operation_id: "getConformance",
        summary: "The conformance classes implemented",
        kind: RouteKind::Conformance,
        handler: || get(conformance),
    },
    Route {
        path: "/api",
        operation_id: "getApi",
        summary: "This OpenAPI 3.0 document",
        kind: RouteKind::Api,
        handler: || get(api),
    },
    Route {
        path: "/collections",
        operation_id: "getCollections",
        summary: "The collections the caller may read (keyed ones only with a key)",
        kind: RouteKind::Collections,
        handler: || get(collections),
    },
    Route {
        path: "/collections/{collectionId}",
        operation_id: "describeCollection",
        summary: "One collection",
        kind: RouteKind::Collection,
        handler: || get(collection),
    },
    Route {
        path: "/collections/{collectionId}/items",
        operation_id: "getFeatures",
        summary: "A page of a collection's features",
        kind: RouteKind::Items,
        handler: || get(items),
    },
    Route {
        path: "/collections/{collectionId}/items/{featureId}",
        operation_id: "getFeature",
        summary: "One feature",
        kind: RouteKind::Item,
        handler: || get(item),
    },
];

/// The routes, ready to merge into the application router.
pub(crate) fn routes() -> axum::Router<AppState> {
    ROUTES
        .iter()
        .fold(axum::Router::new(), |router, route| {
            router.route(route.path, (route.handler)())
        })
        .route("/api/zones/{zoneId}/weekly", get(weekly::zone_weekly))
        .route(
            "/api/reports/{reportId}/review",
            axum::routing::post(review::review_report),
        )
}

/// The API's base URL as the client addressed it: `http://` and the Host header (checked to be
/// a plain host[:port]). Behind a TLS proxy, a configured public base URL should replace this.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host.len() <= 255
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// A metadata document (landing page, conformance, OpenAPI, collections): the same until
/// the next release, so cacheable for an hour.
fn json_response(body: &Value, content_type: &'static str) -> Response {
    let mut response = with_type(body.to_string(), content_type);
    CachePolicy::Metadata.apply(&mut response);
    response
}

/// How a collection's items may be cached.
fn items_policy(meta: &CollectionMeta) -> CachePolicy {
    if meta.requires_key {
        CachePolicy::Keyed
    } else if zones::is_zone_layer(meta) {
        // Fresh as long as the activity tally they show.
        CachePolicy::Public {
            seconds: u32::try_from(stats::STATS_TTL_SECONDS).unwrap_or(60),
        }
    } else {
        CachePolicy::Revalidate
    }
}

fn with_type(body: String, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn link(href: String, rel: &str, media_type: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": media_type, "title": title })
}

async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    // A browser gets the web map; its query (if any) is the app's.
    if crate::web::prefers_html(&headers) {
        return Ok(crate::web::index_page(&state).await);
    }
    check_metadata_query(raw.as_deref())?;
    let base = base_url(&headers);
    let body = json!({
        "title": "Vigie",
        "description": "Early-warning data on conflict events in Mali: OGC API – Features \
                        (GeoJSON, CSV/HXL). Zone aggregates are public; event rows and \
                        community reports need a researcher key.",
        "links": [
            link(format!("{base}/"), "self", JSON, "This document"),
            link(format!("{base}/api"), "service-desc", OPENAPI_JSON, "The API definition"),
            link(format!("{base}/conformance"), "conformance", JSON, "Conformance classes"),
            link(format!("{base}/collections"), "data", JSON, "The collections"),
        ],
    });
    let mut response = json_response(&body, JSON);
    // The same URL answers browsers the web map.
    add_vary(response.headers_mut(), "accept");
    Ok(response)
}

async fn conformance(RawQuery(raw): RawQuery) -> Result<Response, AppError> {
    check_metadata_query(raw.as_deref())?;
    Ok(json_response(
        &json!({ "conformsTo": CONFORMANCE_CLASSES }),
        JSON,
    ))
}

async fn api(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    check_metadata_query(raw.as_deref())?;
    let geography = state.geography();
    let example_zone = geography
        .zones
        .communes
        .first()
        .map(|commune| commune.id.as_str());
    let document = openapi::document(&geography.features, &base_url(&headers), example_zone);
    Ok(json_response(&document, OPENAPI_JSON))
}

fn collection_description(state: &AppState, meta: &CollectionMeta, base: &str) -> Value {
    let items = format!("{base}/collections/{}/items", meta.id);
    let mut extent = json!({
        "spatial": { "bbox": [state.geography().features.spatial_extent()], "crs": CRS84 },
    });
    if meta.dated {
        extent["temporal"] = json!({
            "interval": [[Value::Null, Value::Null]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        });
    }
    json!({
        "id": meta.id,
        "title": meta.title,
        "description": meta.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "requiresKey": meta.requires_key,
        "attribution": state.geography().features.attribution(),
        "links": [
            link(format!("{base}/collections/{}", meta.id), "self", JSON, "This collection"),
            link(items.clone(), "items", GEOJSON, "Items as GeoJSON"),
            link(format!("{items}?f=csv"), "items", "text/csv", "Items as CSV"),
        ],
    })
}

async fn collections(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let role = optional_role(state.api_keys.as_deref(), &headers, "the collections list")?;
    check_metadata_query(raw.as_deref())?;
    let base = base_url(&headers);
    // Only what the caller may read: a public client is never pointed at a 401.
    let collections: Vec<Value> = state
        .geography()
        .features
        .collections()
        .map(|collection| collection.meta())
        .filter(|meta| meta.readable_by(role))
        .map(|meta| collection_description(&state, meta, &base))
        .collect();
    let body = json!({
        "links": [link(format!("{base}/collections"), "self", JSON, "The collections")],
        "collections": collections,
    });
    Ok(json_response(&body, JSON))
}

fn find_meta(state: &AppState, id: &str) -> Result<&'static CollectionMeta, AppError> {
    state
        .geography()
        .features
        .find(id)
        .map(|collection| collection.meta())
        .ok_or_else(|| AppError::not_found_because("no such collection; see /collections"))
}

async fn collection(
    State(state): State<AppState>,
    Path(collection_id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let meta = find_meta(&state, &collection_id)?;
    check_access(
        &state,
        meta,
        &headers,
        "the description and items of collection",
    )?;
    check_metadata_query(raw.as_deref())?;
    let body = collection_description(&state, meta, &base_url(&headers));
    Ok(json_response(&body, JSON))
}

/// Refuses the request unless it may read the collection (see
/// [`CollectionMeta::readable_by`]); `what` names the resource in the problem ("the items of
/// collection").
fn check_access(
    state: &AppState,
    meta: &CollectionMeta,
    headers: &HeaderMap,
    what: &str,
) -> Result<(), AppError> {
    if meta.requires_key {
        // ACLED's terms: raw event rows (and reports) only for key holders.
        require_role_for(
            state.api_keys.as_deref(),
            headers,
            Role::Researcher,
            &format!("{what} `{}`", meta.id),
        )?;
    }
    Ok(())
}

/// The URL of an items query with `pairs` and, when given, a cursor.
fn items_url(
    base: &str,
    meta: &CollectionMeta,
    pairs: &[(String, String)],
    extra: &[(&str, &str)],
) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter(|(name, _)| !extra.iter().any(|(replaced, _)| replaced == name))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .chain(extra.iter().copied())
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect();
    let mut url = format!("{base}/collections/{}/items", meta.id);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    url
}

async fn items(
    State(state): State<AppState>,
    Path(collection_id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let meta = find_meta(&state, &collection_id)?;
    check_access(&state, meta, &headers, "the items of collection")?;
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    let query = parse_items_query(raw.as_deref(), meta.parameters, accept)?;
    let base = base_url(&headers);
    let now = state.clock.now();
    let (page, rendered) = {
        let state = state.clone();
        let query: ItemsQuery = query.clone();
        blocking(move || {
            let geography = state.geography();
            let collection = geography
                .features
                .find(meta.id)
                .ok_or_else(AppError::not_found)?;
            if query.format == Format::GeoJson
                && let Some((page, rendered)) = collection.rendered_items(&state, &query)?
            {
                return Ok((page, Some(rendered)));
            }
            Ok((collection.items(&state, &query)?, None))
        })
        .await?
    };
    let cursor_pairs: Vec<(&str, &str)> = query
        .next
        .iter()
        .map(|next| ("next", next.as_str()))
        .collect();
    let next_url = page
        .next
        .as_ref()
        .map(|next| items_url(&base, meta, &query.pairs, &[("next", next)]));
    match query.format {
        Format::GeoJson => {
            let mut links = vec![
                link(
                    items_url(&base, meta, &query.pairs, &cursor_pairs),
                    "self",
                    GEOJSON,
                    "This page",
                ),
                link(
                    items_url(
                        &base,
                        meta,
                        &query.pairs,
                        &[cursor_pairs.as_slice(), &[("f", "csv")]].concat(),
                    ),
                    "alternate",
                    "text/csv",
                    "This page as CSV",
                ),
                link(
                    format!("{base}/collections/{}", meta.id),
                    "collection",
                    JSON,
                    "The collection",
                ),
            ];
            if let Some(next_url) = next_url {
                links.push(link(next_url, "next", GEOJSON, "Next page"));
            }
            let links = Value::Array(links);
            let mut response = match rendered {
                Some(rendered) => collection_response(&page, &rendered, &links, now),
                None => with_type(collection_json(&page, None, &links, now), GEOJSON),
            };
            items_policy(meta).apply(&mut response);
            // `Accept: text/csv` selects CSV.
            add_vary(response.headers_mut(), "accept");
            Ok(response)
        }
        Format::Csv => {
            let body = collection_csv(meta, &page, query.hxl)
                .map_err(|error| AppError::internal("writing csv", error))?;
            let mut response = with_type(body, CSV);
            items_policy(meta).apply(&mut response);
            add_vary(response.headers_mut(), "accept");
            if let Some(next_url) = next_url
                && let Ok(value) = HeaderValue::from_str(&format!("<{next_url}>; rel=\"next\""))
            {
                response.headers_mut().insert(header::LINK, value);
            }
            Ok(response)
        }
    }
}

async fn item(
    State(state): State<AppState>,
    Path((collection_id, feature_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let meta = find_meta(&state, &collection_id)?;
    check_access(&state, meta, &headers, "the items of collection")?;
    check_metadata_query(raw.as_deref())?;
    let base = base_url(&headers);
    let found = {
        let state = state.clone();
        let feature_id = feature_id.clone();
        blocking(move || match state.geography().features.find(meta.id) {
            Some(collection) => collection.item(&state, &feature_id),
            None => Err(AppError::not_found()),
        })
        .await?
    };
    let feature =
        found.ok_or_else(|| AppError::not_found_because("no such feature in this collection"))?;
    let links = item_links(&base, meta.id, &feature, "This feature");
    let mut response = with_type(feature_json(&feature, Some(&links)), GEOJSON);
    items_policy(meta).apply(&mut response);
    Ok(response)
}

/// The links of one feature's answer: itself (titled `self_title`) and its collection.
pub(super) fn item_links(
    base: &str,
    collection_id: &str,
    feature: &catalog::Feature,
    self_title: &str,
) -> Value {
    json!([
        link(
            format!(
                "{base}/collections/{collection_id}/items/{}",
                percent_encode(&feature.id.to_text())
            ),
            "self",
            GEOJSON,
            self_title,
        ),
        link(
            format!("{base}/collections/{collection_id}"),
            "collection",
            JSON,
            "The collection"
        ),
    ])
}
