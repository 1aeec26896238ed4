//! Bounding a zone's outline for CAP: a commune boundary may have thousands of vertices, a
//! CAP `polygon` should have a few dozen.
//!
//! [`simplify_ring`] removes vertices by least effective area (Visvalingam–Whyatt): the
//! vertex whose triangle with its two neighbours is smallest goes first, unless removing it
//! would make the outline cross or touch itself, in which case it waits until a neighbour
//! goes. If the outline cannot come down to the bound that way, its convex hull is
//! simplified instead (removing a vertex from a convex ring keeps it convex, so that always
//! succeeds, and the hull still covers the zone). Areas are in square degrees: they only rank
//! vertices, nothing is measured. The intersection tests use exact predicates (`robust`).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use geo_types::{Coord, LineString};
use robust::{Coord as RobustCoord, orient2d};

/// Why an outline cannot become a CAP polygon.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimplifyError {
    /// A bound under 4 points: a CAP polygon needs 3 corners and the closing point.
    #[error("a polygon needs at least 4 points (3 corners and the closing one), asked for {0}")]
    BoundTooSmall(usize),
    /// A coordinate is NaN or infinite.
    #[error("the outline has a coordinate that is not a finite number")]
    NotFinite,
    /// Fewer than 3 distinct corners, or all on one line: no area to alert.
    #[error("the outline encloses no area")]
    Degenerate,
}

/// `ring` (closed or not) simplified to at most `max_points` points, closing point included:
/// closed, at least 4 points, not crossing or touching itself, each point one of the input's.
///
/// ```
/// use geo_types::line_string;
/// use vigie_notify::cap::simplify_ring;
///
/// // A square with a small notch on one side.
/// let ring = line_string![
///     (x: 0.0, y: 0.0), (x: 5.0, y: 0.0), (x: 5.0, y: 0.1), (x: 5.1, y: 0.1),
///     (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0), (x: 0.0, y: 0.0),
/// ];
/// let simplified = simplify_ring(&ring, 5).unwrap();
/// assert_eq!(simplified.0.len(), 5);
/// assert_eq!(simplified.0.first(), simplified.0.last());
/// ```
pub fn simplify_ring(
    ring: &LineString<f64>,
    max_points: usize,
) -> Result<LineString<f64>, SimplifyError> {
    if max_points < 4 {
        return Err(SimplifyError::BoundTooSmall(max_points));
    }
    let corners = distinct_corners(&ring.0)?;
    let target = max_points - 1;
    let simplified = match remove_vertices(&corners, target) {
        Some(kept) => kept,
        None => {
            let hull = convex_hull(&corners);
            if hull.len() < 3 {
                return Err(SimplifyError::Degenerate);
            }
            remove_vertices(&hull, target).ok_or(SimplifyError::Degenerate)?
        }
    };
    let mut closed = simplified;
    closed.push(closed[0]);
    Ok(LineString(closed))
}

/// The ring's corners without the closing point or repeated consecutive points.
fn distinct_corners(points: &[Coord<f64>]) -> Result<Vec<Coord<f64>>, SimplifyError> {
    if points
        .iter()
        .any(|point| !point.x.is_finite() || !point.y.is_finite())
    {
        return Err(SimplifyError::NotFinite);
    }
    let mut corners: Vec<Coord<f64>> = Vec::with_capacity(points.len());
    for point in points {
        if corners.last() != Some(point) {
            corners.push(*point);
        }
    }
    while corners.len() > 1 && corners.first() == corners.last() {
        corners.pop();
    }
    if corners.len() < 3
        || corners
            .windows(3)
            .all(|w| orientation(w[0], w[1], w[2]) == 0.0)
    {
        return Err(SimplifyError::Degenerate);
    }
    Ok(corners)
}

fn orientation(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> f64 {
    orient2d(
        RobustCoord { x: a.x, y: a.y },
        RobustCoord { x: b.x, y: b.y },
        RobustCoord { x: c.x, y: c.y },
    )
}

/// A removal candidate in the heap: smallest area first, then lowest index (deterministic).
struct Candidate {
    area: f64,
    index: usize,
    version: u32,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap pops the greatest.
        other
            .area
            .total_cmp(&self.area)
            .then(other.index.cmp(&self.index))
    }
}

/// Visvalingam–Whyatt down to `target` corners with a simplicity check on every removal;
/// `None` when the ring (itself not simple, or locked) cannot get there.
fn remove_vertices(corners: &[Coord<f64>], target: usize) -> Option<Vec<Coord<f64>>> {
    let count = corners.len();
    if count <= target {
        return ring_is_simple(corners).then(|| corners.to_vec());
    }
    let mut previous: Vec<usize> = (0..count).map(|i| (i + count - 1) % count).collect();
    let mut next: Vec<usize> = (0..count).map(|i| (i + 1) % count).collect();
    let mut alive = vec![true; count];
    let mut version = vec![0u32; count];
    let mut remaining = count;
    let triangle_area = |previous: &[usize], next: &[usize], index: usize| {
        orientation(
            corners[previous[index]],
            corners[index],
            corners[next[index]],
        )
        .abs()
    };
    let mut heap: BinaryHeap<Candidate> = (0..count)
        .map(|index| Candidate {
            area: triangle_area(&previous, &next, index),
            index,
            version: 0,
        })
        .collect();
    while remaining > target {
        let candidate = heap.pop()?;
        let index = candidate.index;
        if !alive[index] || candidate.version != version[index] {
            continue;
        }
        let (before, after) = (previous[index], next[index]);
        if !shortcut_is_clean(corners, &next, &alive, before, after) {
            // Blocked for now: it comes back when a neighbour changes (its version bumps).
            continue;
        }
        alive[index] = false;
        remaining -= 1;
        next[before] = after;
        previous[after] = before;
        for neighbour in [before, after] {
            version[neighbour] += 1;
            heap.push(Candidate {
                area: triangle_area(&previous, &next, neighbour),
                index: neighbour,
                version: version[neighbour],
            });
        }
    }
    let start = alive.iter().position(|&is_alive| is_alive)?;
    let mut kept = Vec::with_capacity(remaining);
    let mut index = start;
    loop {
        kept.push(corners[index]);
        index = next[index];
        if index == start {
            break;
        }
    }
    ring_is_simple(&kept).then_some(kept)
}

/// Whether replacing edges (before, removed) and (removed, after) with (before, after) keeps
/// the ring simple: the new edge meets no other edge (edges sharing one of its ends only
/// where they overlap along a line). There are always at least 4 corners before a removal.
fn shortcut_is_clean(
    corners: &[Coord<f64>],
    next: &[usize],
    alive: &[bool],
    before: usize,
    after: usize,
) -> bool {
    let (start, end) = (corners[before], corners[after]);
    debug_assert!(next[after] != before, "a triangle cannot lose a corner");
    // Walk the ring from `after` back round to `before`: every edge but the two replaced.
    let mut index = after;
    let mut edges_left = alive.len();
    while index != before && edges_left > 0 {
        let following = next[index];
        let (a, b) = (corners[index], corners[following]);
        let touches = if index == after {
            // Shares `end`: only a collinear overlap counts.
            point_on_segment(b, start, end) || point_on_segment(start, a, b)
        } else if following == before {
            // Shares `start`.
            point_on_segment(a, start, end) || point_on_segment(end, a, b)
        } else {
            segments_meet(start, end, a, b)
        };
        if touches {
            return false;
        }
        index = following;
        edges_left -= 1;
    }
    true
}

/// Whether `point` lies on the closed segment `a`–`b`.
fn point_on_segment(point: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> bool {
    orientation(a, b, point) == 0.0
        && point.x >= a.x.min(b.x)
        && point.x <= a.x.max(b.x)
        && point.y >= a.y.min(b.y)
        && point.y <= a.y.max(b.y)
}

/// Whether the closed segments `a`–`b` and `c`–`d` share at least one point.
fn segments_meet(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> bool {
    let (o1, o2) = (orientation(a, b, c), orientation(a, b, d));
    let (o3, o4) = (orientation(c, d, a), orientation(c, d, b));
    if o1 * o2 < 0.0 && o3 * o4 < 0.0 {
        return true;
    }
    point_on_segment(c, a, b)
        || point_on_segment(d, a, b)
        || point_on_segment(a, c, d)
        || point_on_segment(b, c, d)
}

/// Whether the ring through `corners` (closing edge implied) is simple: at least 3 corners,
/// no two edges meeting except consecutive ones at their shared corner, and no corner where
/// the ring folds back on itself. Quadratic: meant for checks and tests.
pub fn ring_is_simple(corners: &[Coord<f64>]) -> bool {
    let count = corners.len();
    if count < 3 {
        return false;
    }
    let edge = |i: usize| (corners[i], corners[(i + 1) % count]);
    for first in 0..count {
        let (a, b) = edge(first);
        if a == b {
            return false;
        }
        for second in first + 1..count {
            let (c, d) = edge(second);
            let consecutive = second == first + 1 || (first == 0 && second == count - 1);
            if consecutive {
                // They share one corner; they must not overlap beyond it.
                let (shared, other_first, other_second) = if second == first + 1 {
                    (b, a, d)
                } else {
                    (a, b, c)
                };
                let folds = orientation(other_first, shared, other_second) == 0.0
                    && (point_on_segment(other_first, shared, other_second)
                        || point_on_segment(other_second, other_first, shared));
                if folds {
                    return false;
                }
            } else if segments_meet(a, b, c, d) {
                return false;
            }
        }
    }
    true
}

/// Andrew's monotone chain: the hull's corners, counter-clockwise, without collinear points.
fn convex_hull(points: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    sorted.dedup();
    if sorted.len() < 3 {
        return sorted;
    }
    let mut hull: Vec<Coord<f64>> = Vec::with_capacity(sorted.len() * 2);
    for pass in 0..2 {
        let start = hull.len();
        let iterator: Box<dyn Iterator<Item = &Coord<f64>>> = if pass == 0 {
            Box::new(sorted.iter())
        } else {
            Box::new(sorted.iter().rev())
        };
        for point in iterator {
            while hull.len() >= start + 2
                && orientation(hull[hull.len() - 2], hull[hull.len() - 1], *point) <= 0.0
            {
                hull.pop();
            }
            hull.push(*point);
        }
        hull.pop();
    }
    hull
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coords(points: &[(f64, f64)]) -> Vec<Coord<f64>> {
        points.iter().map(|&(x, y)| Coord { x, y }).collect()
    }

    #[test]
    fn simple_and_non_simple_rings_are_told_apart() {
        assert!(ring_is_simple(&coords(&[
            (0., 0.),
            (1., 0.),
            (1., 1.),
            (0., 1.)
        ])));
        // A bow tie.
        assert!(!ring_is_simple(&coords(&[
            (0., 0.),
            (1., 1.),
            (1., 0.),
            (0., 1.)
        ])));
        // Collinear.
        assert!(!ring_is_simple(&coords(&[(0., 0.), (1., 0.), (2., 0.)])));
        // A spike folding back on its edge.
        assert!(!ring_is_simple(&coords(&[
            (0., 0.),
            (2., 0.),
            (1., 0.),
            (1., 1.)
        ])));
    }

    #[test]
    fn a_hull_keeps_only_the_outer_corners() {
        let hull = convex_hull(&coords(&[
            (0., 0.),
            (2., 0.),
            (1., 1.),
            (2., 2.),
            (0., 2.),
            (1., 0.),
        ]));
        assert_eq!(hull.len(), 4);
    }

    #[test]
    fn bounds_under_four_points_and_degenerate_rings_are_refused() {
        let square = LineString(coords(&[(0., 0.), (1., 0.), (1., 1.), (0., 1.), (0., 0.)]));
        assert_eq!(
            simplify_ring(&square, 3),
            Err(SimplifyError::BoundTooSmall(3))
        );
        let line = LineString(coords(&[(0., 0.), (1., 0.), (2., 0.), (0., 0.)]));
        assert_eq!(simplify_ring(&line, 10), Err(SimplifyError::Degenerate));
        let nan = LineString(coords(&[(0., 0.), (f64::NAN, 0.), (1., 1.), (0., 0.)]));
        assert_eq!(simplify_ring(&nan, 10), Err(SimplifyError::NotFinite));
    }
}
