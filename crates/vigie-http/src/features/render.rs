//! Writing pages: GeoJSON FeatureCollections (geometry strings are spliced in as prepared)
//! and CSV with an optional HXL hashtag row.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::catalog::{CollectionMeta, Feature, Page};

/// Media type of GeoJSON.
pub const GEOJSON: &str = "application/geo+json";
/// Media type of CSV.
pub const CSV: &str = "text/csv; charset=utf-8";

/// One feature as a GeoJSON Feature object, with `links` when given.
pub fn feature_json(feature: &Feature, links: Option<&Value>) -> String {
    let mut json = String::with_capacity(256);
    json.push_str(r#"{"type":"Feature","id":"#);
    json.push_str(&feature.id.to_json().to_string());
    json.push_str(r#","geometry":"#);
    json.push_str(feature.geometry.as_deref().unwrap_or("null"));
    json.push_str(r#","properties":"#);
    json.push_str(&Value::Object(feature.properties.clone()).to_string());
    if let Some(links) = links {
        json.push_str(r#","links":"#);
        json.push_str(&links.to_string());
    }
    json.push('}');
    json
}

/// A page as a GeoJSON FeatureCollection with OGC API members.
pub fn collection_json(page: &Page, links: &Value, now: DateTime<Utc>) -> String {
    let mut json = String::from(r#"{"type":"FeatureCollection","features":["#);
    for (position, feature) in page.features.iter().enumerate() {
        if position > 0 {
            json.push(',');
        }
        json.push_str(&feature_json(feature, None));
    }
    json.push_str("],");
    let mut members = json!({
        "numberReturned": page.features.len(),
        "timeStamp": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "links": links,
    });
    if let (Some(matched), Some(object)) = (page.number_matched, members.as_object_mut()) {
        object.insert("numberMatched".into(), matched.into());
    }
    let members = members.to_string();
    // Splice the members object's inside after the features array.
    json.push_str(&members[1..]);
    json
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
    use super::*;

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
