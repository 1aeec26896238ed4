//! Writing pages: GeoJSON FeatureCollections (geometry strings are spliced in as prepared)
//! and CSV with an optional HXL hashtag row.

use std::borrow::Cow;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::catalog::{CollectionMeta, Feature, Page, RenderedFeatures};

/// Media type of GeoJSON.
pub const GEOJSON: &str = "application/geo+json";
/// Media type of CSV.
pub const CSV: &str = "text/csv; charset=utf-8";

/// One feature as a GeoJSON Feature object, with `links` when given.
pub fn feature_json(feature: &Feature, links: Option<&Value>) -> String {
    let mut json = String::with_capacity(feature_size_hint(feature));
    write_feature(&mut json, feature, links);
    json
}

/// Room for a feature: its geometry, and for its id and properties a few hundred bytes.
fn feature_size_hint(feature: &Feature) -> usize {
    feature.geometry.as_deref().map_or(4, str::len) + 384
}

/// Appends one feature to `json`.
fn write_feature(json: &mut String, feature: &Feature, links: Option<&Value>) {
    json.push_str(r#"{"type":"Feature","id":"#);
    push_json(json, &feature.id.to_json());
    json.push_str(r#","geometry":"#);
    json.push_str(feature.geometry.as_deref().unwrap_or("null"));
    json.push_str(r#","properties":"#);
    push_json(json, &feature.properties);
    if let Some(links) = links {
        json.push_str(r#","links":"#);
        push_json(json, links);
    }
    json.push('}');
}

/// Appends `value` serialised as JSON: the same text as `Value::to_string` on a copy of it,
/// without the copy.
fn push_json(json: &mut String, value: &impl serde::Serialize) {
    // A JSON value or map with string keys always serialises.
    if let Ok(text) = serde_json::to_string(value) {
        json.push_str(&text);
    }
}

/// The features of a page, comma-separated: the inside of a FeatureCollection's
/// `features` array.
pub fn features_json(features: &[Feature]) -> String {
    let mut json = String::with_capacity(features.iter().map(feature_size_hint).sum());
    for (position, feature) in features.iter().enumerate() {
        if position > 0 {
            json.push(',');
        }
        write_feature(&mut json, feature, None);
    }
    json
}

/// A page as a GeoJSON FeatureCollection with OGC API members. `rendered`: the page's
/// features already written (see [`features_json`]), when the collection kept them ready;
/// `page.features` is then not read.
pub fn collection_json(
    page: &Page,
    rendered: Option<&RenderedFeatures>,
    links: &Value,
    now: DateTime<Utc>,
) -> String {
    let written;
    let (features, returned) = match rendered {
        // Text written by `features_json`: never lossy.
        Some(rendered) => (String::from_utf8_lossy(&rendered.json), rendered.count),
        None => {
            written = features_json(&page.features);
            (Cow::Borrowed(written.as_str()), page.features.len())
        }
    };
    let tail = collection_tail(page, returned, links, now);
    let mut json = String::with_capacity(COLLECTION_HEAD.len() + features.len() + tail.len());
    json.push_str(COLLECTION_HEAD);
    json.push_str(&features);
    json.push_str(&tail);
    json
}

/// A page whose features were kept ready, as a GeoJSON response: the same bytes as
/// [`collection_json`], the kept features sent as they are rather than copied into each
/// answer (half a megabyte for the communes, at thousands of answers a second).
pub fn collection_response(
    page: &Page,
    rendered: &RenderedFeatures,
    links: &Value,
    now: DateTime<Utc>,
) -> Response {
    let tail = collection_tail(page, rendered.count, links, now);
    let length = COLLECTION_HEAD.len() + rendered.json.len() + tail.len();
    // `timeStamp` is the time of this answer (OGC API – Features asks for the time the
    // response was generated), so the bytes change every second while the content does not.
    // The tag is therefore weak (RFC 9110 §8.8.1): it names everything but the time — the
    // features' digest kept with them, the links and counts — so that a client revalidating
    // an unchanged layer still gets a 304 (see `caching::conditional_get`, which then leaves
    // the body alone).
    let content_tail = collection_tail(
        page,
        rendered.count,
        links,
        page.as_of.unwrap_or(DateTime::UNIX_EPOCH),
    );
    let tag = format!(
        "W/{}",
        crate::caching::tag_of_parts(&[
            COLLECTION_HEAD.as_bytes(),
            &rendered.digest,
            content_tail.as_bytes(),
        ])
    );
    let pieces = [
        Bytes::from_static(COLLECTION_HEAD.as_bytes()),
        rendered.json.clone(),
        Bytes::from(tail),
    ];
    let body = Body::from_stream(futures_util::stream::iter(
        pieces.map(Ok::<Bytes, std::convert::Infallible>),
    ));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON));
    // Declared, so that the answer is sent with its length rather than in chunks, as a
    // written one is.
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, tag);
    }
    response
}

/// What a FeatureCollection starts with, up to its features.
const COLLECTION_HEAD: &str = r#"{"type":"FeatureCollection","features":["#;

/// What follows a FeatureCollection's features: the end of the array and the OGC API
/// members (`numberReturned`, `timeStamp`, `links`, `numberMatched`).
fn collection_tail(page: &Page, returned: usize, links: &Value, now: DateTime<Utc>) -> String {
    let mut members = json!({
        "numberReturned": returned,
        "timeStamp": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "links": links,
    });
    if let (Some(matched), Some(object)) = (page.number_matched, members.as_object_mut()) {
        object.insert("numberMatched".into(), matched.into());
    }
    let members = members.to_string();
    // The members object's inside, after the features array.
    format!("],{}", &members[1..])
}

/// A page as CSV: a header of property names (then `latitude`, `longitude` for point
/// collections), with `hxl` a row of hashtags, then one row per feature.
pub fn collection_csv(meta: &CollectionMeta, page: &Page, hxl: bool) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["id"];
    header.extend(meta.properties.iter().map(|property| property.name));
    if meta.point_columns {
        header.extend(["latitude", "longitude"]);
    }
    writer.write_record(&header)?;
    if hxl {
        let mut tags = vec!["#meta+id"];
        tags.extend(meta.properties.iter().map(|property| property.hxl));
        if meta.point_columns {
            tags.extend(["#geo+lat", "#geo+lon"]);
        }
        writer.write_record(&tags)?;
    }
    for feature in &page.features {
        let mut row = vec![safe_cell(&feature.id.to_text())];
        for property in meta.properties {
            row.push(cell(
                feature
                    .properties
                    .get(property.name)
                    .unwrap_or(&Value::Null),
            ));
        }
        if meta.point_columns {
            let (lat, lon) = feature
                .point
                .map_or((String::new(), String::new()), |(lon, lat)| {
                    (lat.to_string(), lon.to_string())
                });
            row.push(lat);
            row.push(lon);
        }
        writer.write_record(&row)?;
    }
    let bytes = writer.into_inner().map_err(|error| error.into_error())?;
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

/// A property value as a CSV cell. Numbers are written as they are (a negative longitude is
/// data); text is made safe for spreadsheets.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => safe_cell(text),
        Value::Array(items) => safe_cell(
            &items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_owned)
                })
                .collect::<Vec<_>>()
                .join(";"),
        ),
        other => other.to_string(),
    }
}

/// Defuses CSV injection (OWASP): a text cell a spreadsheet would read as a formula (leading
/// `=`, `+`, `-`, `@`, tab or carriage return) is prefixed with `'`.
pub fn safe_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::Map;

    use super::super::catalog::FeatureId;
    use super::*;

    fn feature(id: FeatureId, name: &str) -> Feature {
        let mut properties = Map::new();
        properties.insert("name".into(), name.into());
        properties.insert("events_30d".into(), 3.into());
        properties.insert("corridors".into(), json!(["TR01"]));
        Feature {
            id,
            geometry: Some(Arc::from(r#"{"type":"Point","coordinates":[-4.1,14.2]}"#)),
            properties,
            point: Some((-4.1, 14.2)),
        }
    }

    #[tokio::test]
    async fn pages_written_now_or_kept_ready_are_the_same_json() {
        let page = Page {
            features: vec![
                feature(FeatureId::Text("ML0101".into()), "Ségou \"centre\""),
                feature(FeatureId::Integer(42), "Mopti"),
            ],
            number_matched: Some(2),
            next: None,
            as_of: None,
        };
        let links = json!([{"href": "http://x/collections/communes/items", "rel": "self"}]);
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let written = collection_json(&page, None, &links, now);
        let ready =
            RenderedFeatures::new(features_json(&page.features).into(), page.features.len());
        let empty = Page {
            features: Vec::new(),
            ..page.clone()
        };
        assert_eq!(collection_json(&empty, Some(&ready), &links, now), written);
        let response = collection_response(&empty, &ready, &links, now);
        assert_eq!(
            response.headers()[header::CONTENT_LENGTH],
            written.len().to_string()
        );
        assert_eq!(response.headers()[header::CONTENT_TYPE], GEOJSON);
        let sent = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(sent, written.as_bytes());
        let parsed: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(parsed["numberReturned"], 2);
        assert_eq!(parsed["numberMatched"], 2);
        assert_eq!(parsed["features"][0]["id"], "ML0101");
        assert_eq!(
            parsed["features"][0]["properties"]["name"],
            "Ségou \"centre\""
        );
        assert_eq!(parsed["features"][1]["id"], 42);
        assert_eq!(parsed["features"][1]["geometry"]["coordinates"][1], 14.2);
        let one = feature_json(&page.features[1], Some(&links));
        let parsed_one: Value = serde_json::from_str(&one).unwrap();
        assert_eq!(parsed_one["links"], links);
        assert_eq!(parsed_one["properties"]["corridors"], json!(["TR01"]));
    }

    #[test]
    fn formula_like_text_cells_are_defused() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("+223"), "'+223");
        assert_eq!(safe_cell("-1"), "'-1");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("Battles"), "Battles");
        assert_eq!(cell(&json!(-3.5)), "-3.5", "numbers are data");
        assert_eq!(cell(&json!(["TR01", "=x"])), "TR01;=x");
        assert_eq!(cell(&json!(["=x", "TR01"])), "'=x;TR01");
    }
}
