//! Which communes share a border, computed once from their boundaries.
//!
//! COD-AB boundaries are topologically built: two neighbouring communes usually carry the
//! very same vertices along their common border. Not always: digitising left slivers and gaps
//! of a few metres here and there. So the rule matches vertices with a tolerance:
//!
//! > Communes A and B are neighbours when at least `min_shared_vertices` distinct boundary
//! > vertices of A each have a boundary vertex of B within `tolerance_m` metres — or the
//! > same holds from B to A.
//!
//! Two shared vertices (the default) make a shared edge: communes meeting at a single corner
//! point are not neighbours (rook contiguity, as in PySAL's `Rook` weights). Interior rings
//! count, so a commune enclosed by another is its neighbour.
//!
//! Vertices go into a hash grid with cells as wide as the tolerance, so each vertex is only
//! compared with the vertices of its 3 × 3 cells: linear in the number of vertices (Mali's
//! 701 communes have 49,000; see the `hotspots` bench for the time). On the Mali 2015 set the
//! rule finds exactly the pairs whose boundaries share a line according to a DE-9IM `relate`
//! (a test checks all 1,922), and leaves out the 97 that meet at a single point.

use std::collections::{BTreeSet, HashMap};

use geo_types::Coord;
use vigie_domain::{Zone, ZoneId};
use vigie_spatial::sphere::{KM_PER_DEGREE, distance_km};

use crate::HotspotError;

/// How vertices of two communes are matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdjacencyOptions {
    /// Two vertices closer than this (metres, on the sphere) are the same point.
    pub tolerance_m: f64,
    /// Matched vertices that make a shared border.
    pub min_shared_vertices: usize,
}

impl Default for AdjacencyOptions {
    /// 50 m and 2 vertices: wide enough for COD-AB's slivers, far narrower than any commune.
    fn default() -> Self {
        AdjacencyOptions {
            tolerance_m: 50.0,
            min_shared_vertices: 2,
        }
    }
}

/// A symmetric adjacency between zones, stored compactly (each zone's neighbours in one
/// array, increasing, never the zone itself).
///
/// ```
/// use vigie_domain::ZoneId;
/// use vigie_hotspots::CommuneAdjacency;
/// let ids = ["A", "B", "C"].map(|id| ZoneId::new(id).unwrap()).to_vec();
/// let adjacency = CommuneAdjacency::from_pairs(ids, &[(0, 1), (1, 2)]).unwrap();
/// assert_eq!(adjacency.neighbours(1), &[0, 2]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneAdjacency {
    ids: Vec<ZoneId>,
    offsets: Vec<u32>,
    neighbours: Vec<u32>,
}

impl CommuneAdjacency {
    /// Adjacency of `communes` (in their order) from their boundaries, by the rule of the
    /// module documentation.
    pub fn from_zones(communes: &[Zone], options: AdjacencyOptions) -> CommuneAdjacency {
        let tolerance_km = options.tolerance_m.max(0.0) / 1000.0;
        // Each commune's distinct vertices, all rings.
        let mut vertices: Vec<(Coord<f64>, u32)> = Vec::new();
        for (position, commune) in communes.iter().enumerate() {
            let start = vertices.len();
            for polygon in &commune.geometry {
                for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                    vertices.extend(ring.coords().map(|coord| (*coord, position as u32)));
                }
            }
            let own = &mut vertices[start..];
            own.sort_by(|a, b| a.0.x.total_cmp(&b.0.x).then(a.0.y.total_cmp(&b.0.y)));
            let mut kept = start;
            for index in start..vertices.len() {
                if kept == start || vertices[index].0 != vertices[kept - 1].0 {
                    vertices[kept] = vertices[index];
                    kept += 1;
                }
            }
            vertices.truncate(kept);
        }

        // Cells at least `tolerance` wide in both directions at the highest latitude present.
        let highest_latitude = vertices
            .iter()
            .map(|(coord, _)| coord.y.abs())
            .fold(0.0f64, f64::max)
            .min(89.0);
        let cell_degrees =
            (tolerance_km / (KM_PER_DEGREE * highest_latitude.to_radians().cos())).max(1e-9);
        let cell_of = |coord: Coord<f64>| {
            (
                (coord.x / cell_degrees).floor() as i64,
                (coord.y / cell_degrees).floor() as i64,
            )
        };
        let mut grid: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
        for (index, (coord, _)) in vertices.iter().enumerate() {
            grid.entry(cell_of(*coord)).or_default().push(index as u32);
        }

        // For each ordered pair (A, B): how many vertices of A found a vertex of B.
        let mut matched: HashMap<(u32, u32), usize> = HashMap::new();
        let mut near_communes: Vec<u32> = Vec::new();
        for (coord, owner) in &vertices {
            let (column, row) = cell_of(*coord);
            near_communes.clear();
            for neighbour_column in column - 1..=column + 1 {
                for neighbour_row in row - 1..=row + 1 {
                    let Some(cell) = grid.get(&(neighbour_column, neighbour_row)) else {
                        continue;
                    };
                    for &other in cell {
                        let (other_coord, other_owner) = vertices[other as usize];
                        if other_owner != *owner
                            && !near_communes.contains(&other_owner)
                            && (other_coord == *coord
                                || distance_km(*coord, other_coord) <= tolerance_km)
                        {
                            near_communes.push(other_owner);
                        }
                    }
                }
            }
            for &other_owner in &near_communes {
                *matched.entry((*owner, other_owner)).or_default() += 1;
            }
        }

        let needed = options.min_shared_vertices.max(1);
        let pairs: BTreeSet<(u32, u32)> = matched
            .iter()
            .filter(|&(_, &count)| count >= needed)
            .map(|(&(a, b), _)| (a.min(b), a.max(b)))
            .collect();
        let pairs: Vec<(usize, usize)> = pairs
            .into_iter()
            .map(|(a, b)| (a as usize, b as usize))
            .collect();
        let ids = communes.iter().map(|commune| commune.id.clone()).collect();
        CommuneAdjacency::from_pairs(ids, &pairs).expect("pairs index the communes")
    }

    /// An adjacency from explicit pairs of positions in `ids` (either order, repeats and
    /// self-pairs ignored).
    pub fn from_pairs(
        ids: Vec<ZoneId>,
        pairs: &[(usize, usize)],
    ) -> Result<CommuneAdjacency, HotspotError> {
        let count = ids.len();
        let mut lists: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); count];
        for &(a, b) in pairs {
            if a >= count || b >= count {
                return Err(HotspotError::InvalidParameter {
                    name: "adjacency",
                    reason: format!("pair ({a}, {b}) names a zone beyond the {count} given"),
                });
            }
            if a != b {
                lists[a].insert(b as u32);
                lists[b].insert(a as u32);
            }
        }
        let mut offsets = Vec::with_capacity(count + 1);
        let mut neighbours = Vec::new();
        offsets.push(0);
        for list in lists {
            neighbours.extend(list);
            offsets.push(neighbours.len() as u32);
        }
        Ok(CommuneAdjacency {
            ids,
            offsets,
            neighbours,
        })
    }

    /// How many zones.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no zones.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The zone ids, by position.
    pub fn ids(&self) -> &[ZoneId] {
        &self.ids
    }

    /// Positions of the neighbours of the zone at `position`, increasing.
    pub fn neighbours(&self, position: usize) -> &[u32] {
        let start = self.offsets[position] as usize;
        let end = self.offsets[position + 1] as usize;
        &self.neighbours[start..end]
    }

    /// Number of neighbour pairs.
    pub fn pair_count(&self) -> usize {
        self.neighbours.len() / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{MultiPolygon, polygon};
    use vigie_domain::ZoneLevel;

    fn square(id: &str, x: f64, y: f64, side: f64) -> Zone {
        Zone {
            id: ZoneId::new(id).unwrap(),
            name: id.to_owned(),
            level: ZoneLevel::Commune,
            parent: None,
            geometry: MultiPolygon(vec![polygon![
                (x: x, y: y),
                (x: x + side, y: y),
                (x: x + side, y: y + side),
                (x: x, y: y + side),
                (x: x, y: y),
            ]]),
        }
    }

    #[test]
    fn squares_sharing_an_edge_are_neighbours_and_corners_are_not() {
        // A 2 × 2 block: A B / C D. A–B and A–C share edges; A–D only a corner.
        let zones = [
            square("A", 0.0, 0.1, 0.1),
            square("B", 0.1, 0.1, 0.1),
            square("C", 0.0, 0.0, 0.1),
            square("D", 0.1, 0.0, 0.1),
        ];
        let adjacency = CommuneAdjacency::from_zones(&zones, AdjacencyOptions::default());
        assert_eq!(adjacency.neighbours(0), &[1, 2]);
        assert_eq!(adjacency.neighbours(3), &[1, 2]);
        assert_eq!(adjacency.pair_count(), 4);
    }

    #[test]
    fn a_sliver_narrower_than_the_tolerance_still_makes_neighbours() {
        // B starts 20 m (0.00018° at the equator) east of A's eastern edge.
        let gap = 0.020 / KM_PER_DEGREE;
        let zones = [square("A", 0.0, 0.0, 0.1), square("B", 0.1 + gap, 0.0, 0.1)];
        let loose = CommuneAdjacency::from_zones(&zones, AdjacencyOptions::default());
        assert_eq!(loose.neighbours(0), &[1]);
        let strict = CommuneAdjacency::from_zones(
            &zones,
            AdjacencyOptions {
                tolerance_m: 5.0,
                min_shared_vertices: 2,
            },
        );
        assert!(strict.neighbours(0).is_empty());
    }
}
