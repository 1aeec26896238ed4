//! GeoJSON boundary files (RFC 7946: WGS84 longitude/latitude).
//!
//! Read with `serde_json` directly rather than through a GeoJSON object model, so that rings
//! reach the repair step exactly as the file wrote them (unclosed, repeated, short).

use std::collections::BTreeMap;
use std::path::Path;

use geo_types::Coord;
use serde_json::Value;

use crate::BoundaryError;
use crate::features::{RawFeature, RawGeometry};

/// Reads every feature of a GeoJSON FeatureCollection (or a lone Feature).
pub(crate) fn read(path: &Path) -> Result<(Vec<RawFeature>, String), BoundaryError> {
    let invalid = |reason: String| BoundaryError::InvalidGeoJson {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|source| BoundaryError::Io {
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|error| {
        invalid(format!(
            "not UTF-8 text (invalid byte at offset {})",
            error.utf8_error().valid_up_to()
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let json: Value = serde_json::from_str(text).map_err(|error| invalid(error.to_string()))?;
    check_crs(path, &json)?;
    let features: Vec<&Value> = match json.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => json
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("the FeatureCollection has no \"features\" array".into()))?
            .iter()
            .collect(),
        Some("Feature") => vec![&json],
        Some(other) => {
            return Err(invalid(format!(
                "the top-level object is a {other}; a FeatureCollection carries the ids and names"
            )));
        }
        None => return Err(invalid("the top-level object has no \"type\"".into())),
    };
    let raw = features
        .into_iter()
        .enumerate()
        .map(|(position, feature)| {
            let mut properties = BTreeMap::new();
            if let Some(object) = feature.get("properties").and_then(Value::as_object) {
                for (key, value) in object {
                    properties.insert(key.clone(), property_text(value));
                }
            }
            // The feature's own `id` member stands in for a property named "id" when the
            // properties have none.
            if let Some(id) = feature.get("id").and_then(property_text) {
                properties.entry("id".to_owned()).or_insert(Some(id));
            }
            RawFeature {
                number: position + 1,
                properties,
                geometry: feature
                    .get("geometry")
                    .filter(|geometry| !geometry.is_null())
                    .map_or(RawGeometry::Missing, raw_geometry),
            }
        })
        .collect();
    Ok((raw, "UTF-8".to_owned()))
}

/// RFC 7946 removed `crs`; older files may still carry one. Anything but WGS84 is refused.
fn check_crs(path: &Path, json: &Value) -> Result<(), BoundaryError> {
    let Some(crs) = json.get("crs") else {
        return Ok(());
    };
    let name = crs
        .pointer("/properties/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let accepted = ["CRS84", "EPSG::4326", "EPSG:4326", "WGS84", "WGS 84"];
    if accepted.iter().any(|suffix| name.ends_with(suffix)) {
        Ok(())
    } else {
        Err(BoundaryError::NotWgs84 {
            path: path.to_owned(),
            reason: format!("the GeoJSON declares the coordinate system {name:?}"),
        })
    }
}

fn property_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(match number.as_f64() {
            Some(float) if float.fract() == 0.0 && float.abs() < 1e15 => {
                format!("{}", float as i64)
            }
            _ => number.to_string(),
        }),
        Value::Bool(flag) => Some(flag.to_string()),
        other => Some(other.to_string()),
    }
}

/// A position array as a coordinate; anything that is not two numbers becomes NaN, which the
/// repair step rejects with a clear reason.
fn coord(position: &Value) -> Coord<f64> {
    let number = |index: usize| {
        position
            .get(index)
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN)
    };
    Coord {
        x: number(0),
        y: number(1),
    }
}

fn coords(positions: &Value) -> Vec<Coord<f64>> {
    positions
        .as_array()
        .map(|positions| positions.iter().map(coord).collect())
        .unwrap_or_default()
}

fn rings(rings: &Value) -> Vec<Vec<Coord<f64>>> {
    rings
        .as_array()
        .map(|rings| rings.iter().map(coords).collect())
        .unwrap_or_default()
}

fn raw_geometry(geometry: &Value) -> RawGeometry {
    let coordinates = geometry.get("coordinates").unwrap_or(&Value::Null);
    match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon") => RawGeometry::Polygons(vec![rings(coordinates)]),
        Some("MultiPolygon") => RawGeometry::Polygons(
            coordinates
                .as_array()
                .map(|polygons| polygons.iter().map(rings).collect())
                .unwrap_or_default(),
        ),
        Some("LineString") => RawGeometry::Lines(vec![coords(coordinates)]),
        Some("MultiLineString") => RawGeometry::Lines(rings(coordinates)),
        Some("GeometryCollection") => {
            let mut polygons = Vec::new();
            let members = geometry.get("geometries").and_then(Value::as_array);
            for member in members.into_iter().flatten() {
                match raw_geometry(member) {
                    RawGeometry::Polygons(parts) => polygons.extend(parts),
                    other => return other,
                }
            }
            RawGeometry::Polygons(polygons)
        }
        Some("Point") => RawGeometry::Other("Point"),
        Some("MultiPoint") => RawGeometry::Other("MultiPoint"),
        _ => RawGeometry::Other("unknown geometry type"),
    }
}
