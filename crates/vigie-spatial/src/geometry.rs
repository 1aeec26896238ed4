//! Geometry work on boundary data: repairing what real files get wrong, dissolving communes
//! into their parents, and buffering corridor lines on the sphere.
//!
//! Everything here can meet hostile input; the geometry libraries underneath may panic on
//! pathological rings, so the risky calls are fenced and turned into errors: a bad feature is
//! reported, never a crash.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use geo::algorithm::unary_union;
use geo::orient::Direction;
use geo::{ChamberlainDuquetteArea, MakeValid, Orient, Validation};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon};
use thiserror::Error;
use vigie_domain::{Zone, ZoneId};

use crate::sphere::{destination, distance_km, interpolate};

/// Parts of a polygon smaller than this (square metres) are slivers: dropped and reported.
pub const SLIVER_AREA_M2: f64 = 100.0;

/// Something repaired in a feature's geometry, reported to whoever imports the file.
#[derive(Debug, Clone, PartialEq)]
pub enum RepairNote {
    /// A ring whose last point differed from its first was closed.
    ClosedRing,
    /// Consecutive repeated vertices were removed.
    RemovedDuplicateVertices(usize),
    /// A ring with fewer than three distinct points or no area was dropped.
    DroppedDegenerateRing,
    /// A part smaller than [`SLIVER_AREA_M2`] was dropped.
    DroppedSliver {
        /// Its area in square metres.
        area_m2: f64,
    },
    /// An invalid polygon (self-intersection, crossing rings…) was rebuilt as a valid one.
    FixedInvalidity(String),
}

impl fmt::Display for RepairNote {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RepairNote::ClosedRing => write!(formatter, "closed an unclosed ring"),
            RepairNote::RemovedDuplicateVertices(count) => {
                write!(formatter, "removed {count} repeated vertices")
            }
            RepairNote::DroppedDegenerateRing => {
                write!(
                    formatter,
                    "dropped a ring with fewer than 3 distinct points"
                )
            }
            RepairNote::DroppedSliver { area_m2 } => {
                write!(formatter, "dropped a sliver of {area_m2:.1} m²")
            }
            RepairNote::FixedInvalidity(what) => {
                write!(formatter, "repaired invalid polygon ({what})")
            }
        }
    }
}

/// Why a feature's geometry could not be used.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GeometryError {
    /// No geometry, or a geometry without coordinates.
    #[error("the geometry is empty")]
    Empty,
    /// A point, a line, or anything that cannot bound an area.
    #[error("expected a Polygon or MultiPolygon, found a {0}")]
    NotPolygonal(&'static str),
    /// NaN or infinity.
    #[error("a coordinate is not a finite number")]
    NonFinite,
    /// Coordinates outside ±180° / ±90°: almost always a projected file.
    #[error(
        "coordinate ({x}, {y}) is outside longitude -180..180 / latitude -90..90: the geometry \
         is not in WGS84 degrees (projected coordinates?)"
    )]
    OutOfRange {
        /// The offending x.
        x: f64,
        /// The offending y.
        y: f64,
    },
    /// Every ring was degenerate.
    #[error("nothing is left once degenerate rings are removed (fewer than 3 distinct points)")]
    Degenerate,
    /// The repair itself failed.
    #[error("the polygon is invalid and could not be repaired: {0}")]
    Unrepairable(String),
}

/// A usable geometry and what was done to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired {
    /// Valid, exterior rings counter-clockwise, holes clockwise.
    pub geometry: MultiPolygon<f64>,
    /// What was repaired, in order; empty when the input was already clean.
    pub notes: Vec<RepairNote>,
}

/// A polygon as raw coordinate lists, exterior first: rings may be unclosed, repeated or
/// degenerate, as files have them.
pub type RawPolygon = Vec<Vec<Coord<f64>>>;

/// Turns any geometry from a boundary file into a valid multipolygon (see [`repair_rings`]).
///
/// `geo-types` closes rings on construction, so an unclosed ring is only reported when the
/// caller hands raw rings to [`repair_rings`].
pub fn repair_polygonal(geometry: &Geometry<f64>) -> Result<Repaired, GeometryError> {
    let mut polygons = Vec::new();
    collect_polygons(geometry, &mut polygons)?;
    let raw = polygons
        .into_iter()
        .map(|polygon| {
            let (exterior, interiors) = polygon.into_inner();
            std::iter::once(exterior)
                .chain(interiors)
                .map(|ring| ring.0)
                .collect()
        })
        .collect();
    repair_rings(raw)
}

/// Turns raw polygon rings into a valid multipolygon, repairing what is safe (unclosed rings,
/// repeated vertices, degenerate rings, slivers, self-intersections) and refusing the rest
/// with the reason.
pub fn repair_rings(polygons: Vec<RawPolygon>) -> Result<Repaired, GeometryError> {
    if polygons.iter().all(|rings| rings.iter().all(Vec::is_empty)) {
        return Err(GeometryError::Empty);
    }
    let mut notes = Vec::new();
    let mut cleaned = Vec::new();
    for rings in polygons {
        let mut rings = rings.into_iter();
        let Some(exterior) = rings.next() else {
            continue;
        };
        let Some(exterior) = clean_ring(exterior, &mut notes)? else {
            continue;
        };
        let mut holes = Vec::new();
        for hole in rings {
            if let Some(hole) = clean_ring(hole, &mut notes)? {
                holes.push(hole);
            }
        }
        cleaned.push(Polygon::new(exterior, holes));
    }
    if cleaned.is_empty() {
        return Err(GeometryError::Degenerate);
    }
    let mut geometry = MultiPolygon(cleaned);
    let problems = geometry.validation_errors();
    if !problems.is_empty() {
        let what = problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        let repaired = catch_unwind(AssertUnwindSafe(|| geometry.make_valid()))
            .map_err(|_| GeometryError::Unrepairable("the repair algorithm failed".into()))?
            .map_err(|error| GeometryError::Unrepairable(error.to_string()))?;
        geometry = repaired;
        notes.push(RepairNote::FixedInvalidity(what));
    }
    let mut kept = Vec::new();
    for polygon in geometry.0 {
        let area_m2 = polygon.chamberlain_duquette_unsigned_area();
        if area_m2 < SLIVER_AREA_M2 {
            notes.push(RepairNote::DroppedSliver { area_m2 });
        } else {
            kept.push(polygon);
        }
    }
    if kept.is_empty() {
        return Err(GeometryError::Degenerate);
    }
    Ok(Repaired {
        geometry: MultiPolygon(kept).orient(Direction::Default),
        notes,
    })
}

fn collect_polygons(
    geometry: &Geometry<f64>,
    polygons: &mut Vec<Polygon<f64>>,
) -> Result<(), GeometryError> {
    match geometry {
        Geometry::Polygon(polygon) => polygons.push(polygon.clone()),
        Geometry::MultiPolygon(multi) => polygons.extend(multi.0.iter().cloned()),
        Geometry::GeometryCollection(collection) => {
            for member in &collection.0 {
                collect_polygons(member, polygons)?;
            }
        }
        Geometry::Rect(rect) => polygons.push(rect.to_polygon()),
        Geometry::Triangle(triangle) => polygons.push(triangle.to_polygon()),
        Geometry::Point(_) => return Err(GeometryError::NotPolygonal("Point")),
        Geometry::MultiPoint(_) => return Err(GeometryError::NotPolygonal("MultiPoint")),
        Geometry::Line(_) => return Err(GeometryError::NotPolygonal("Line")),
        Geometry::LineString(_) => return Err(GeometryError::NotPolygonal("LineString")),
        Geometry::MultiLineString(_) => {
            return Err(GeometryError::NotPolygonal("MultiLineString"));
        }
    }
    Ok(())
}

/// Checks coordinates, removes repeated vertices and closes the ring; `None` when fewer than
/// three distinct points remain.
fn clean_ring(
    ring: Vec<Coord<f64>>,
    notes: &mut Vec<RepairNote>,
) -> Result<Option<LineString<f64>>, GeometryError> {
    let mut coords: Vec<Coord<f64>> = Vec::with_capacity(ring.len() + 1);
    let mut repeated = 0;
    for coord in ring {
        if !(coord.x.is_finite() && coord.y.is_finite()) {
            return Err(GeometryError::NonFinite);
        }
        if !(-180.0..=180.0).contains(&coord.x) || !(-90.0..=90.0).contains(&coord.y) {
            return Err(GeometryError::OutOfRange {
                x: coord.x,
                y: coord.y,
            });
        }
        if coords.last() == Some(&coord) {
            repeated += 1;
        } else {
            coords.push(coord);
        }
    }
    if repeated > 0 {
        notes.push(RepairNote::RemovedDuplicateVertices(repeated));
    }
    if coords.is_empty() {
        return Ok(None);
    }
    if coords.first() != coords.last() {
        coords.push(coords[0]);
        if coords.len() > 2 {
            notes.push(RepairNote::ClosedRing);
        }
    }
    // Closed ring: first = last, so three distinct points need four coordinates; and they
    // must not all lie on one line (a bowtie has zero signed area but is not degenerate).
    if coords.len() < 4 || all_collinear(&coords) {
        notes.push(RepairNote::DroppedDegenerateRing);
        return Ok(None);
    }
    Ok(Some(LineString(coords)))
}

fn all_collinear(coords: &[Coord<f64>]) -> bool {
    let first = coords[0];
    let Some(&second) = coords.iter().find(|&&coord| coord != first) else {
        return true;
    };
    coords
        .iter()
        .all(|&coord| crate::segment::orientation(first, second, coord) == 0.0)
}

/// Dissolves zones into their parents: the geometric union of every child naming the same
/// parent, in parent-id order. Children without a parent are left out.
///
/// Holes smaller than `min_hole_km2` (slivers between children whose shared borders do not
/// quite match) are filled.
pub fn dissolve_by_parent(
    children: &[Zone],
    min_hole_km2: f64,
) -> Vec<(ZoneId, MultiPolygon<f64>)> {
    let mut groups: BTreeMap<&ZoneId, Vec<&MultiPolygon<f64>>> = BTreeMap::new();
    for child in children {
        if let Some(parent) = &child.parent {
            groups.entry(parent).or_default().push(&child.geometry);
        }
    }
    groups
        .into_iter()
        .map(|(parent, members)| {
            let union = unary_union(members);
            (parent.clone(), fill_small_holes(union, min_hole_km2))
        })
        .collect()
}

fn fill_small_holes(geometry: MultiPolygon<f64>, min_hole_km2: f64) -> MultiPolygon<f64> {
    let polygons = geometry
        .0
        .into_iter()
        .map(|polygon| {
            let (exterior, interiors) = polygon.into_inner();
            let kept = interiors
                .into_iter()
                .filter(|hole| {
                    Polygon::new(hole.clone(), vec![]).chamberlain_duquette_unsigned_area() / 1e6
                        >= min_hole_km2
                })
                .collect();
            Polygon::new(exterior, kept)
        })
        .collect();
    MultiPolygon(polygons).orient(Direction::Default)
}

/// The polygon of every point within `buffer_km` (great-circle) of `centerline`, approximated
/// by the union of 72-sided circles along the line every 2 km at most. The chords make it at
/// most about 30 m smaller than the exact buffer, which is decided on distances anyway.
pub fn corridor_area(centerline: &LineString<f64>, buffer_km: f64) -> MultiPolygon<f64> {
    const STEP_KM: f64 = 2.0;
    const SIDES: usize = 72;
    let mut centres = Vec::new();
    let coords = &centerline.0;
    if let Some(&first) = coords.first() {
        centres.push(first);
    }
    for pair in coords.windows(2) {
        let length = distance_km(pair[0], pair[1]);
        let steps = (length / STEP_KM).ceil().max(1.0) as usize;
        for step in 1..=steps {
            centres.push(interpolate(pair[0], pair[1], step as f64 / steps as f64));
        }
    }
    let circles: Vec<Polygon<f64>> = centres
        .iter()
        .map(|&centre| {
            let mut ring: Vec<Coord<f64>> = (0..SIDES)
                .map(|side| destination(centre, 360.0 * side as f64 / SIDES as f64, buffer_km))
                .collect();
            ring.push(ring[0]);
            Polygon::new(LineString(ring), vec![])
        })
        .collect();
    unary_union(&circles).orient(Direction::Default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Contains};
    use geo_types::{Point, coord, polygon};

    fn repaired(geometry: Geometry<f64>) -> Result<Repaired, GeometryError> {
        repair_polygonal(&geometry)
    }

    #[test]
    fn clean_polygon_passes_untouched_but_oriented() {
        let clockwise = polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0), (x: 0.0, y: 0.0)];
        let result = repaired(Geometry::Polygon(clockwise)).unwrap();
        assert!(result.notes.is_empty());
        assert!(
            result.geometry.signed_area() > 0.0,
            "exterior made counter-clockwise"
        );
    }

    #[test]
    fn unclosed_ring_and_repeated_vertices_are_repaired_and_reported() {
        let ring = vec![
            coord! { x: 0.0, y: 0.0 },
            coord! { x: 1.0, y: 0.0 },
            coord! { x: 1.0, y: 0.0 },
            coord! { x: 1.0, y: 1.0 },
            coord! { x: 0.0, y: 1.0 },
        ];
        let result = repair_rings(vec![vec![ring]]).unwrap();
        assert!(result.notes.contains(&RepairNote::ClosedRing));
        assert!(
            result
                .notes
                .contains(&RepairNote::RemovedDuplicateVertices(1))
        );
        assert!(result.geometry.contains(&Point::new(0.5, 0.5)));
    }

    #[test]
    fn bowtie_is_split_into_two_valid_triangles() {
        let bowtie = polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 1.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)];
        let result = repaired(Geometry::Polygon(bowtie)).unwrap();
        assert_eq!(result.geometry.0.len(), 2);
        assert!(result.geometry.is_valid());
        assert!(
            matches!(result.notes[0], RepairNote::FixedInvalidity(ref what) if what.contains("self-intersection"))
        );
    }

    #[test]
    fn hostile_geometries_are_refused_with_reasons() {
        assert_eq!(
            repaired(Geometry::Point(Point::new(1.0, 1.0))),
            Err(GeometryError::NotPolygonal("Point"))
        );
        assert_eq!(
            repaired(Geometry::MultiPolygon(MultiPolygon(vec![]))),
            Err(GeometryError::Empty)
        );
        let projected = polygon![(x: 500000.0, y: 1500000.0), (x: 510000.0, y: 1500000.0), (x: 510000.0, y: 1510000.0)];
        assert!(matches!(
            repaired(Geometry::Polygon(projected)),
            Err(GeometryError::OutOfRange { .. })
        ));
        let line_like = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)];
        assert_eq!(
            repaired(Geometry::Polygon(line_like)),
            Err(GeometryError::Degenerate)
        );
        let nan = polygon![(x: 0.0, y: 0.0), (x: f64::NAN, y: 1.0), (x: 1.0, y: 1.0)];
        assert_eq!(
            repaired(Geometry::Polygon(nan)),
            Err(GeometryError::NonFinite)
        );
    }

    #[test]
    fn sliver_parts_are_dropped() {
        let real = polygon![(x: 0.0, y: 0.0), (x: 0.1, y: 0.0), (x: 0.1, y: 0.1), (x: 0.0, y: 0.1), (x: 0.0, y: 0.0)];
        let sliver = polygon![(x: 1.0, y: 1.0), (x: 1.00001, y: 1.0), (x: 1.00001, y: 1.00001), (x: 1.0, y: 1.0)];
        let result = repaired(Geometry::MultiPolygon(MultiPolygon(vec![real, sliver]))).unwrap();
        assert_eq!(result.geometry.0.len(), 1);
        assert!(matches!(result.notes[0], RepairNote::DroppedSliver { .. }));
    }

    #[test]
    fn dissolve_unions_children_by_parent() {
        let zone = |id: &str, parent: &str, x: f64| Zone {
            id: ZoneId::new(id).unwrap(),
            name: id.into(),
            level: vigie_domain::ZoneLevel::Commune,
            parent: Some(ZoneId::new(parent).unwrap()),
            geometry: MultiPolygon(vec![
                polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0), (x: x, y: 1.0), (x: x, y: 0.0)],
            ]),
        };
        let children = vec![
            zone("A1", "A", 0.0),
            zone("A2", "A", 1.0),
            zone("B1", "B", 5.0),
        ];
        let parents = dissolve_by_parent(&children, 0.0);
        assert_eq!(parents.len(), 2);
        assert_eq!(parents[0].0.as_str(), "A");
        assert_eq!(
            parents[0].1.0.len(),
            1,
            "adjacent squares merge into one polygon"
        );
        assert!((parents[0].1.unsigned_area() - 2.0).abs() < 1e-9);
    }

    #[test]
    fn corridor_area_holds_points_within_the_buffer_and_not_beyond() {
        let line = LineString::from(vec![(-4.19, 14.49), (-3.51, 14.07)]);
        let area = corridor_area(&line, 20.0);
        let middle = interpolate(
            coord! { x: -4.19, y: 14.49 },
            coord! { x: -3.51, y: 14.07 },
            0.5,
        );
        let near = destination(middle, 30.0, 19.5);
        let far = destination(middle, 30.0, 20.5);
        assert!(area.contains(&Point(near)));
        assert!(!area.contains(&Point(far)));
        let beyond_end = destination(coord! { x: -3.51, y: 14.07 }, 120.0, 19.9);
        assert!(area.contains(&Point(beyond_end)), "round caps at the ends");
    }
}
