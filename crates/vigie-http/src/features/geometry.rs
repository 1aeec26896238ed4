//! Geometry for the wire: simplify, round, re-orient and write RFC 7946 GeoJSON by hand (the
//! zone layer is written on every request, so it is serialised once, at start-up).
//!
//! Output rules (RFC 7946 §3.1): lon,lat order; rings closed with at least four positions;
//! exterior rings counter-clockwise, holes clockwise; finite numbers only.

use std::fmt::Write as _;

use geo::{Orient, Simplify, orient::Direction};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// Simplifies (Douglas-Peucker, `tolerance_degrees`; 0 keeps every vertex) and rounds to
/// `decimals` places, keeping every ring valid: a ring that simplification would collapse
/// below four positions keeps its unsimplified form, a hole that collapses anyway is dropped,
/// and so is a polygon whose exterior does. Non-finite coordinates are dropped.
pub fn wire_multipolygon(
    geometry: &MultiPolygon<f64>,
    tolerance_degrees: f64,
    decimals: i32,
) -> MultiPolygon<f64> {
    let polygons = geometry
        .iter()
        .filter_map(|polygon| {
            let exterior = wire_ring(polygon.exterior(), tolerance_degrees, decimals)?;
            let holes = polygon
                .interiors()
                .iter()
                .filter_map(|hole| wire_ring(hole, tolerance_degrees, decimals))
                .collect();
            Some(Polygon::new(exterior, holes))
        })
        .collect();
    MultiPolygon::new(polygons).orient(Direction::Default)
}

fn wire_ring(
    ring: &LineString<f64>,
    tolerance_degrees: f64,
    decimals: i32,
) -> Option<LineString<f64>> {
    let candidates = [
        (tolerance_degrees > 0.0).then(|| ring.simplify(tolerance_degrees)),
        Some(ring.clone()),
    ];
    candidates
        .into_iter()
        .flatten()
        .find_map(|candidate| round_ring(&candidate, decimals))
}

/// Rounds a ring, removes repeated positions, closes it; `None` below four positions.
fn round_ring(ring: &LineString<f64>, decimals: i32) -> Option<LineString<f64>> {
    let scale = 10f64.powi(decimals);
    let mut coords: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for coord in &ring.0 {
        if !(coord.x.is_finite() && coord.y.is_finite()) {
            continue;
        }
        let rounded = Coord {
            x: (coord.x * scale).round() / scale,
            y: (coord.y * scale).round() / scale,
        };
        if coords.last() != Some(&rounded) {
            coords.push(rounded);
        }
    }
    if coords.len() > 1 && coords.first() == coords.last() {
        coords.pop();
    }
    if coords.len() < 3 {
        return None;
    }
    coords.push(coords[0]);
    Some(LineString::new(coords))
}

/// A Point geometry, or `None` when the position is not a valid WGS84 longitude/latitude.
pub fn point_json(lon: f64, lat: f64) -> Option<String> {
    valid_position(lon, lat).then(|| format!(r#"{{"type":"Point","coordinates":[{lon},{lat}]}}"#))
}

/// Whether a position is finite and within WGS84's ranges.
pub fn valid_position(lon: f64, lat: f64) -> bool {
    lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat)
}

/// A MultiPolygon geometry, as prepared by [`wire_multipolygon`].
pub fn multipolygon_json(geometry: &MultiPolygon<f64>) -> String {
    let mut json = String::from(r#"{"type":"MultiPolygon","coordinates":["#);
    for (polygon_position, polygon) in geometry.iter().enumerate() {
        if polygon_position > 0 {
            json.push(',');
        }
        json.push('[');
        for (ring_position, ring) in std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .enumerate()
        {
            if ring_position > 0 {
                json.push(',');
            }
            write_ring(&mut json, ring);
        }
        json.push(']');
    }
    json.push_str("]}");
    json
}

fn write_ring(json: &mut String, ring: &LineString<f64>) {
    json.push('[');
    let mut first = true;
    for coord in ring
        .0
        .iter()
        .filter(|coord| valid_position(coord.x, coord.y))
    {
        if !first {
            json.push(',');
        }
        first = false;
        // Writing to a String cannot fail.
        let _ = write!(json, "[{},{}]", coord.x, coord.y);
    }
    json.push(']');
}

#[cfg(test)]
mod tests {
    use geo::Winding;
    use geo_types::polygon;

    use super::*;

    #[test]
    fn wire_geometry_is_closed_counter_clockwise_and_keeps_small_rings() {
        // A clockwise square with a needle vertex and a tiny clockwise... hole given CCW.
        let square = polygon!(
            exterior: [
                (x: 0.0, y: 0.0), (x: 0.0, y: 1.0), (x: 0.5, y: 1.0000001),
                (x: 1.0, y: 1.0), (x: 1.0, y: 0.0), (x: 0.0, y: 0.0),
            ],
            interiors: [[
                (x: 0.4, y: 0.4), (x: 0.6, y: 0.4), (x: 0.6, y: 0.6), (x: 0.4, y: 0.6),
                (x: 0.4, y: 0.4),
            ]],
        );
        let tiny = polygon![
            (x: 5.0, y: 5.0), (x: 5.00001, y: 5.0), (x: 5.00001, y: 5.00001), (x: 5.0, y: 5.0)
        ];
        let wired = wire_multipolygon(&MultiPolygon::new(vec![square, tiny]), 0.01, 5);
        assert_eq!(wired.0.len(), 2, "the tiny polygon survives unsimplified");
        for polygon in &wired {
            assert!(polygon.exterior().is_ccw());
            assert!(polygon.exterior().0.len() >= 4);
            assert_eq!(polygon.exterior().0.first(), polygon.exterior().0.last());
            for hole in polygon.interiors() {
                assert!(hole.is_cw());
            }
        }
        assert_eq!(
            wired.0[0].exterior().0.len(),
            5,
            "the needle vertex is simplified away"
        );
        let collapsed = polygon![(x: 1.0, y: 1.0), (x: 1.000001, y: 1.0), (x: 1.0, y: 1.000001)];
        assert!(
            wire_multipolygon(&MultiPolygon::new(vec![collapsed]), 0.0, 5)
                .0
                .is_empty()
        );
    }

    #[test]
    fn geometry_json_is_valid_json_without_non_finite_numbers() {
        assert!(point_json(f64::NAN, 1.0).is_none());
        assert!(point_json(-181.0, 1.0).is_none());
        let point: serde_json::Value =
            serde_json::from_str(&point_json(-3.5, 14.25).unwrap()).unwrap();
        assert_eq!(point["coordinates"], serde_json::json!([-3.5, 14.25]));
        let square =
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)];
        let json: serde_json::Value =
            serde_json::from_str(&multipolygon_json(&MultiPolygon::new(vec![square]))).unwrap();
        assert_eq!(json["coordinates"][0][0].as_array().unwrap().len(), 4);
    }
}
