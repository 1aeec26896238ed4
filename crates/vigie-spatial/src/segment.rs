//! Polygon edges as plain coordinates, and the exact predicates on them.
//!
//! Every predicate here is exact: orientations come from Shewchuk's adaptive predicates
//! (`robust`), so "on the boundary", "left of" and "crosses" never depend on rounding.

use geo_types::{Coord, LineString, MultiPolygon};
use robust::orient2d;

/// One straight edge of a ring, lon/lat degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Start of the edge.
    pub start: Coord<f64>,
    /// End of the edge.
    pub end: Coord<f64>,
}

/// Where a point lies relative to a polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointPosition {
    /// Strictly inside.
    Inside,
    /// On an edge or a vertex.
    OnBoundary,
    /// Strictly outside.
    Outside,
}

/// The sign of the turn `a → b → c`: positive when counter-clockwise, negative when
/// clockwise, zero when the three points are collinear. Exact.
#[inline]
pub fn orientation(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> f64 {
    orient2d(
        robust::Coord { x: a.x, y: a.y },
        robust::Coord { x: b.x, y: b.y },
        robust::Coord { x: c.x, y: c.y },
    )
}

impl Segment {
    /// Whether `point` lies on this closed segment. Exact.
    #[inline]
    pub fn contains_point(&self, point: Coord<f64>) -> bool {
        self.bounding_box_contains(point) && orientation(self.start, self.end, point) == 0.0
    }

    #[inline]
    fn bounding_box_contains(&self, point: Coord<f64>) -> bool {
        point.x >= self.start.x.min(self.end.x)
            && point.x <= self.start.x.max(self.end.x)
            && point.y >= self.start.y.min(self.end.y)
            && point.y <= self.start.y.max(self.end.y)
    }

    /// Whether a horizontal ray from `point` towards +x crosses this segment, counting an
    /// edge that spans `point.y` half-open (lower end included, upper end excluded) so that
    /// a ray through a vertex is counted once. Exact.
    #[inline]
    pub fn crosses_ray_east(&self, point: Coord<f64>) -> bool {
        let start_above = self.start.y > point.y;
        let end_above = self.end.y > point.y;
        if start_above == end_above {
            return false;
        }
        let turn = orientation(self.start, self.end, point);
        if end_above { turn > 0.0 } else { turn < 0.0 }
    }

    /// The squared planar distance in degrees² from `point` to the segment (used only as a
    /// numerical safety margin, never as a distance on the ground).
    pub fn planar_distance_squared(&self, point: Coord<f64>) -> f64 {
        let dx = self.end.x - self.start.x;
        let dy = self.end.y - self.start.y;
        let length_squared = dx * dx + dy * dy;
        let t = if length_squared == 0.0 {
            0.0
        } else {
            (((point.x - self.start.x) * dx + (point.y - self.start.y) * dy) / length_squared)
                .clamp(0.0, 1.0)
        };
        let nearest_x = self.start.x + t * dx;
        let nearest_y = self.start.y + t * dy;
        (point.x - nearest_x).powi(2) + (point.y - nearest_y).powi(2)
    }
}

/// How a segment from a reference point `from` to a query point `to` meets an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meeting {
    /// They do not meet.
    Apart,
    /// They cross at one interior point of both.
    Cross,
    /// `to` lies on the edge.
    ToOnEdge,
    /// They touch at a vertex or overlap: the crossing parity is ambiguous.
    Degenerate,
}

/// Classifies how the segment `from → to` meets `edge`, assuming `from` is not on the edge's
/// line within the edge (the index guarantees it by choosing reference points away from
/// every edge). Exact.
#[inline]
pub(crate) fn meet(from: Coord<f64>, to: Coord<f64>, edge: &Segment) -> Meeting {
    // Cheap rejection on bounding boxes first: most edges of a cell miss the query segment.
    if edge.start.x.max(edge.end.x) < from.x.min(to.x)
        || edge.start.x.min(edge.end.x) > from.x.max(to.x)
        || edge.start.y.max(edge.end.y) < from.y.min(to.y)
        || edge.start.y.min(edge.end.y) > from.y.max(to.y)
    {
        return Meeting::Apart;
    }
    let turn_to = orientation(edge.start, edge.end, to);
    if turn_to == 0.0 && edge.bounding_box_contains(to) {
        return Meeting::ToOnEdge;
    }
    let turn_start = orientation(from, to, edge.start);
    let turn_end = orientation(from, to, edge.end);
    let query = Segment {
        start: from,
        end: to,
    };
    if turn_start == 0.0 && query.bounding_box_contains(edge.start)
        || turn_end == 0.0 && query.bounding_box_contains(edge.end)
    {
        return Meeting::Degenerate;
    }
    if turn_start == 0.0 || turn_end == 0.0 || (turn_start > 0.0) == (turn_end > 0.0) {
        return Meeting::Apart;
    }
    let turn_from = orientation(edge.start, edge.end, from);
    if turn_from != 0.0 && turn_to != 0.0 && (turn_from > 0.0) != (turn_to > 0.0) {
        Meeting::Cross
    } else {
        Meeting::Apart
    }
}

/// Every edge of every ring of `geometry`, closing rings that are not closed and skipping
/// zero-length edges.
pub fn edges_of(geometry: &MultiPolygon<f64>) -> Vec<Segment> {
    let mut edges = Vec::new();
    for polygon in &geometry.0 {
        push_ring_edges(polygon.exterior(), &mut edges);
        for hole in polygon.interiors() {
            push_ring_edges(hole, &mut edges);
        }
    }
    edges
}

fn push_ring_edges(ring: &LineString<f64>, edges: &mut Vec<Segment>) {
    let coords = &ring.0;
    if coords.len() < 2 {
        return;
    }
    for pair in coords.windows(2) {
        if pair[0] != pair[1] {
            edges.push(Segment {
                start: pair[0],
                end: pair[1],
            });
        }
    }
    let first = coords[0];
    let last = coords[coords.len() - 1];
    if first != last {
        edges.push(Segment {
            start: last,
            end: first,
        });
    }
}

/// Where `point` lies relative to the region bounded by `edges`, under the even–odd rule
/// (a point inside an odd number of rings is inside). For valid polygons this is the usual
/// "inside the exterior and outside every hole". Exact.
pub fn position_among_edges(point: Coord<f64>, edges: &[Segment]) -> PointPosition {
    let mut inside = false;
    for edge in edges {
        if edge.contains_point(point) {
            return PointPosition::OnBoundary;
        }
        if edge.crosses_ray_east(point) {
            inside = !inside;
        }
    }
    if inside {
        PointPosition::Inside
    } else {
        PointPosition::Outside
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, Intersects};
    use geo_types::{Point, coord, polygon};

    fn square_with_hole() -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0), (x: 0.0, y: 0.0)],
            interiors: [[(x: 1.0, y: 1.0), (x: 1.0, y: 2.0), (x: 2.0, y: 2.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0)]],
        )])
    }

    #[test]
    fn positions_in_a_square_with_a_hole() {
        let edges = edges_of(&square_with_hole());
        let at = |x, y| position_among_edges(coord! { x: x, y: y }, &edges);
        assert_eq!(at(3.0, 3.0), PointPosition::Inside);
        assert_eq!(at(1.5, 1.5), PointPosition::Outside);
        assert_eq!(at(5.0, 1.0), PointPosition::Outside);
        assert_eq!(at(0.0, 2.0), PointPosition::OnBoundary);
        assert_eq!(at(4.0, 4.0), PointPosition::OnBoundary);
        assert_eq!(at(1.0, 1.5), PointPosition::OnBoundary);
        // A ray through a vertex of the hole is counted once.
        assert_eq!(at(0.5, 1.0), PointPosition::Inside);
        assert_eq!(at(0.5, 2.0), PointPosition::Inside);
    }

    #[test]
    fn agrees_with_geo_on_a_grid_of_points() {
        let geometry = square_with_hole();
        let edges = edges_of(&geometry);
        for i in 0..=50 {
            for j in 0..=50 {
                let point = coord! { x: -0.5 + i as f64 * 0.1, y: -0.5 + j as f64 * 0.1 };
                let ours = position_among_edges(point, &edges);
                let inside = geometry.contains(&Point(point));
                let touches = geometry.intersects(&Point(point));
                let expected = match (inside, touches) {
                    (true, _) => PointPosition::Inside,
                    (false, true) => PointPosition::OnBoundary,
                    (false, false) => PointPosition::Outside,
                };
                assert_eq!(ours, expected, "at {point:?}");
            }
        }
    }

    #[test]
    fn unclosed_rings_are_closed() {
        let ring = LineString::from(vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]);
        let mut edges = Vec::new();
        push_ring_edges(&ring, &mut edges);
        assert_eq!(edges.len(), 4);
        assert_eq!(
            position_among_edges(coord! { x: 0.0, y: 1.0 }, &edges),
            PointPosition::OnBoundary
        );
    }

    #[test]
    fn meeting_classifies_crossings_touches_and_misses() {
        let edge = Segment {
            start: coord! { x: 0.0, y: -1.0 },
            end: coord! { x: 0.0, y: 1.0 },
        };
        let from = coord! { x: -1.0, y: 0.1 };
        assert_eq!(meet(from, coord! { x: 1.0, y: 0.1 }, &edge), Meeting::Cross);
        assert_eq!(
            meet(from, coord! { x: -0.5, y: 0.1 }, &edge),
            Meeting::Apart
        );
        assert_eq!(
            meet(from, coord! { x: 0.0, y: 0.5 }, &edge),
            Meeting::ToOnEdge
        );
        // Through the edge's end vertex.
        assert_eq!(
            meet(coord! { x: -1.0, y: 1.0 }, coord! { x: 1.0, y: 1.0 }, &edge),
            Meeting::Degenerate
        );
    }
}
