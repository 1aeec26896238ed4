//! ST-DBSCAN: density-based clusters in space and time.
//!
//! Two events are *neighbours* when they lie within `eps_km` of each other on the sphere
//! **and** within `eps_days` of each other in time. An event with at least `min_points`
//! neighbours (itself included, as in scikit-learn's `min_samples`) is a *core* event;
//! clusters are the connected groups of core events, each with the non-core events next to
//! them (*border* events); whatever is left is *noise*.
//!
//! The answer is fully determined by the input and its order:
//! - clusters are numbered `0, 1, 2…` in the order of their first core event in the input;
//! - a border event next to core events of several clusters joins the lowest-numbered one.
//!
//! [`reference::st_dbscan_brute_force`] computes the same answer by comparing every pair; the
//! tests hold the indexed implementation to it on random data.

use std::collections::HashMap;

use vigie_spatial::sphere::EARTH_RADIUS_KM;

use crate::HotspotError;
use crate::distance::{SpaceTimePoint, SphereThreshold};

/// The three knobs of ST-DBSCAN, validated.
///
/// ```
/// use vigie_hotspots::StDbscanParameters;
/// let parameters = StDbscanParameters::new(10.0, 7, 4).unwrap();
/// assert_eq!(parameters.eps_days(), 7);
/// assert!(StDbscanParameters::new(-1.0, 7, 4).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StDbscanParameters {
    eps_km: f64,
    eps_days: u32,
    min_points: usize,
    threshold: SphereThreshold,
}

impl StDbscanParameters {
    /// Default spatial reach: 10 km, about the spread of a village and its fields and hamlets.
    pub const DEFAULT_EPS_KM: f64 = 10.0;
    /// Default temporal reach: 7 days, one week of a campaign of attacks.
    pub const DEFAULT_EPS_DAYS: u32 = 7;
    /// Default density: 4 events (the event itself and three more) make a core event.
    pub const DEFAULT_MIN_POINTS: usize = 4;

    /// Checks and builds the parameters: `eps_km` finite, positive and under 10,000 km;
    /// `min_points` at least 1. `eps_days = 0` means "the same day".
    pub fn new(
        eps_km: f64,
        eps_days: u32,
        min_points: usize,
    ) -> Result<StDbscanParameters, HotspotError> {
        if !(eps_km.is_finite() && eps_km > 0.0 && eps_km < 10_000.0) {
            return Err(HotspotError::InvalidParameter {
                name: "eps_km",
                reason: format!("{eps_km} is not a distance between 0 and 10000 km"),
            });
        }
        if min_points == 0 {
            return Err(HotspotError::InvalidParameter {
                name: "min_points",
                reason: "it must be at least 1 (the event itself counts)".to_owned(),
            });
        }
        Ok(StDbscanParameters {
            eps_km,
            eps_days,
            min_points,
            threshold: SphereThreshold::new(eps_km),
        })
    }

    /// Spatial reach, in kilometres on the sphere.
    pub fn eps_km(&self) -> f64 {
        self.eps_km
    }

    /// Temporal reach, in days.
    pub fn eps_days(&self) -> u32 {
        self.eps_days
    }

    /// Neighbours (the event included) that make an event a core event.
    pub fn min_points(&self) -> usize {
        self.min_points
    }

    /// Whether two events are neighbours: within `eps_km` on the sphere and `eps_days` in
    /// time. The single definition both implementations use.
    #[inline]
    pub fn are_neighbours(&self, first: &SpaceTimePoint, second: &SpaceTimePoint) -> bool {
        first.day.abs_diff(second.day) <= self.eps_days
            && self.threshold.within(first.unit(), second.unit())
    }
}

impl Default for StDbscanParameters {
    fn default() -> Self {
        StDbscanParameters::new(
            Self::DEFAULT_EPS_KM,
            Self::DEFAULT_EPS_DAYS,
            Self::DEFAULT_MIN_POINTS,
        )
        .expect("the defaults are valid")
    }
}

/// What ST-DBSCAN made of each input event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PointRole {
    /// A core event of the cluster.
    Core(u32),
    /// A border event of the cluster (fewer than `min_points` neighbours, next to a core event).
    Border(u32),
    /// In no cluster.
    Noise,
}

impl PointRole {
    /// The cluster, for core and border events.
    pub fn cluster(self) -> Option<u32> {
        match self {
            PointRole::Core(cluster) | PointRole::Border(cluster) => Some(cluster),
            PointRole::Noise => None,
        }
    }
}

/// The answer of ST-DBSCAN: one role per input event, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clustering {
    /// The role of each event, in input order.
    pub roles: Vec<PointRole>,
    /// How many clusters (numbered `0..cluster_count`).
    pub cluster_count: u32,
}

impl Clustering {
    /// The input positions of each cluster's events, cluster by cluster, each list increasing.
    pub fn members(&self) -> Vec<Vec<usize>> {
        let mut members = vec![Vec::new(); self.cluster_count as usize];
        for (position, role) in self.roles.iter().enumerate() {
            if let Some(cluster) = role.cluster() {
                members[cluster as usize].push(position);
            }
        }
        members
    }

    /// How many events are noise.
    pub fn noise_count(&self) -> usize {
        self.roles
            .iter()
            .filter(|role| matches!(role, PointRole::Noise))
            .count()
    }
}

/// Role while the algorithm runs: not yet reached by a cluster, or claimed by one.
const UNCLAIMED: u32 = u32::MAX;

/// Clusters `points` with ST-DBSCAN, using a grid over the points for neighbour search
/// (cells `eps_km` wide, events sorted by day within a cell; see `NeighbourIndex`). Two passes: the first counts neighbours up to
/// `min_points` to mark core events (and stops counting there); the second grows clusters
/// from core events in input order, which numbers them and settles border events as the
/// module documentation says. No neighbour list is ever stored, so memory stays linear.
///
/// ```
/// use vigie_hotspots::{PointRole, SpaceTimePoint, StDbscanParameters, st_dbscan};
/// let day = 737_000; // any day number
/// let points = [
///     SpaceTimePoint::new(-3.56, 14.23, day),
///     SpaceTimePoint::new(-3.57, 14.24, day + 1),
///     SpaceTimePoint::new(-3.55, 14.22, day + 2),
///     SpaceTimePoint::new(-8.00, 12.64, day), // Bamako: far away
/// ];
/// let clustering = st_dbscan(&points, &StDbscanParameters::new(5.0, 7, 3).unwrap());
/// assert_eq!(clustering.cluster_count, 1);
/// assert_eq!(clustering.roles[0], PointRole::Core(0));
/// assert_eq!(clustering.roles[3], PointRole::Noise);
/// ```
pub fn st_dbscan(points: &[SpaceTimePoint], parameters: &StDbscanParameters) -> Clustering {
    let index = NeighbourIndex::build(points, parameters);
    let min_points = parameters.min_points;

    let is_core: Vec<bool> = points
        .iter()
        .map(|point| index.count_neighbours_up_to(point, min_points) >= min_points)
        .collect();

    let mut claimed = vec![UNCLAIMED; points.len()];
    let mut cluster_count = 0u32;
    let mut frontier: Vec<u32> = Vec::new();
    for seed in 0..points.len() {
        if !is_core[seed] || claimed[seed] != UNCLAIMED {
            continue;
        }
        let cluster = cluster_count;
        cluster_count += 1;
        claimed[seed] = cluster;
        frontier.push(seed as u32);
        while let Some(current) = frontier.pop() {
            index.for_each_neighbour(&points[current as usize], |neighbour| {
                if claimed[neighbour] == UNCLAIMED {
                    // Clusters grow one after the other, so the first to claim a border
                    // event is the lowest-numbered cluster next to it.
                    claimed[neighbour] = cluster;
                    if is_core[neighbour] {
                        frontier.push(neighbour as u32);
                    }
                }
            });
        }
    }

    let roles = claimed
        .iter()
        .zip(&is_core)
        .map(|(&cluster, &core)| match (cluster, core) {
            (UNCLAIMED, _) => PointRole::Noise,
            (cluster, true) => PointRole::Core(cluster),
            (cluster, false) => PointRole::Border(cluster),
        })
        .collect();
    Clustering {
        roles,
        cluster_count,
    }
}

/// The points sorted by grid cell, then by day, with each cell's slice found by its key.
///
/// Cells are `eps` wide in latitude and wide enough in longitude that two events within
/// `eps_km` of each other always sit in the same or adjacent cells (see [`CellGeometry`]);
/// within a cell, events are sorted by day, so the `eps_days` range is two binary searches.
/// A neighbour search visits 9 cells, reads one contiguous run per cell and applies the exact
/// test [`StDbscanParameters::are_neighbours`] (same-day-range and chord test) to each event.
struct NeighbourIndex<'a> {
    geometry: CellGeometry,
    cells: HashMap<u64, (u32, u32)>,
    units: Vec<[f64; 3]>,
    days: Vec<i32>,
    positions: Vec<u32>,
    parameters: &'a StDbscanParameters,
}

impl<'a> NeighbourIndex<'a> {
    fn build(points: &[SpaceTimePoint], parameters: &'a StDbscanParameters) -> Self {
        let geometry = CellGeometry::new(points, parameters.eps_km);
        let keys: Vec<u64> = points
            .iter()
            .map(|point| geometry.key(geometry.cell(point)))
            .collect();
        let mut order: Vec<u32> = (0..points.len() as u32).collect();
        order.sort_unstable_by_key(|&position| {
            let position = position as usize;
            (keys[position], points[position].day, position)
        });
        let mut cells: HashMap<u64, (u32, u32)> = HashMap::new();
        for (rank, &position) in order.iter().enumerate() {
            let entry = cells
                .entry(keys[position as usize])
                .or_insert((rank as u32, rank as u32));
            entry.1 = rank as u32 + 1;
        }
        NeighbourIndex {
            geometry,
            cells,
            units: order.iter().map(|&p| points[p as usize].unit()).collect(),
            days: order.iter().map(|&p| points[p as usize].day).collect(),
            positions: order,
            parameters,
        }
    }

    /// Calls `visit` with the sorted rank of every neighbour of `point` (itself included)
    /// until it returns `false`.
    #[inline]
    fn scan(&self, point: &SpaceTimePoint, mut visit: impl FnMut(usize) -> bool) {
        let (row, column) = self.geometry.cell(point);
        let eps_days = i64::from(self.parameters.eps_days);
        let earliest = i64::from(point.day) - eps_days;
        let latest = i64::from(point.day) + eps_days;
        let unit = point.unit();
        for neighbour_row in row.saturating_sub(1)..=(row + 1).min(self.geometry.rows - 1) {
            for neighbour_column in self.geometry.adjacent_columns(column) {
                let key = self.geometry.key((neighbour_row, neighbour_column));
                let Some(&(start, end)) = self.cells.get(&key) else {
                    continue;
                };
                let days = &self.days[start as usize..end as usize];
                let first = days.partition_point(|&day| i64::from(day) < earliest);
                let last = days.partition_point(|&day| i64::from(day) <= latest);
                for rank in start as usize + first..start as usize + last {
                    if self.parameters.threshold.within(unit, self.units[rank]) && !visit(rank) {
                        return;
                    }
                }
            }
        }
    }

    /// Neighbours of `point` (itself included), counted up to `limit`.
    fn count_neighbours_up_to(&self, point: &SpaceTimePoint, limit: usize) -> usize {
        let mut count = 0;
        self.scan(point, |_| {
            count += 1;
            count < limit
        });
        count
    }

    fn for_each_neighbour(&self, point: &SpaceTimePoint, mut visit: impl FnMut(usize)) {
        self.scan(point, |rank| {
            visit(self.positions[rank] as usize);
            true
        });
    }
}

/// The grid: rows of equal latitude height, columns of equal longitude width, wrapping
/// around the antimeridian.
///
/// Two points within angle `α = eps_km / R` of each other differ by at most `α` in latitude,
/// and (from the haversine formula, `cos φ₁·cos φ₂·sin²(Δλ/2) ≤ sin²(α/2)`) by at most
/// `2·asin(sin(α/2) / cos φ_max)` in longitude, where `φ_max` is the highest absolute
/// latitude among the points. Cells that size (plus a hair for rounding) put every neighbour
/// in the 3 × 3 block around a point's cell. Near the poles the bound exceeds the globe and
/// the grid falls back to a single column.
#[derive(Debug, Clone, Copy)]
struct CellGeometry {
    row_degrees: f64,
    column_degrees: f64,
    rows: u32,
    columns: u32,
}

impl CellGeometry {
    fn new(points: &[SpaceTimePoint], eps_km: f64) -> CellGeometry {
        const MARGIN: f64 = 1.0 + 1e-6;
        let angle = eps_km / EARTH_RADIUS_KM;
        let row_degrees = (angle.to_degrees() * MARGIN).min(180.0);
        let highest = points
            .iter()
            .map(|point| point.latitude().abs())
            .fold(0.0f64, f64::max);
        let ratio = (angle / 2.0).sin() / highest.to_radians().cos();
        let column_degrees = if highest < 89.0 && ratio < 1.0 {
            (2.0 * ratio.asin().to_degrees() * MARGIN).min(360.0)
        } else {
            360.0
        };
        CellGeometry {
            row_degrees,
            column_degrees,
            rows: (180.0 / row_degrees).ceil().max(1.0) as u32 + 1,
            columns: (360.0 / column_degrees).floor().max(1.0) as u32,
        }
    }

    fn cell(&self, point: &SpaceTimePoint) -> (u32, u32) {
        let row = ((point.latitude() + 90.0) / self.row_degrees).floor();
        let column = ((point.longitude() + 180.0).rem_euclid(360.0) / self.column_degrees).floor();
        (
            (row.max(0.0) as u32).min(self.rows - 1),
            (column.max(0.0) as u32).min(self.columns - 1),
        )
    }

    fn key(&self, (row, column): (u32, u32)) -> u64 {
        u64::from(row) * u64::from(self.columns) + u64::from(column)
    }

    /// The column and its two neighbours, wrapping, each once.
    fn adjacent_columns(&self, column: u32) -> impl Iterator<Item = u32> {
        let columns = self.columns;
        let candidates = [
            column,
            (column + 1) % columns,
            (column + columns - 1) % columns,
        ];
        let distinct = match columns {
            1 => 1,
            2 => 2,
            _ => 3,
        };
        candidates.into_iter().take(distinct)
    }
}

/// The O(n²) reference implementation the tests and benchmarks check against.
pub mod reference {
    use super::{Clustering, PointRole, StDbscanParameters, UNCLAIMED};
    use crate::SpaceTimePoint;

    /// ST-DBSCAN by comparing every pair of points: core events from full neighbour counts,
    /// clusters as connected components of core events (union–find), numbered by their
    /// lowest input position, and each border event given to the lowest-numbered cluster among
    /// its core neighbours. Independent of [`super::st_dbscan`]'s traversal, so agreement is
    /// meaningful. Quadratic: for tests on a few thousand points only.
    pub fn st_dbscan_brute_force(
        points: &[SpaceTimePoint],
        parameters: &StDbscanParameters,
    ) -> Clustering {
        let count = points.len();
        let neighbours: Vec<Vec<usize>> = (0..count)
            .map(|first| {
                (0..count)
                    .filter(|&second| parameters.are_neighbours(&points[first], &points[second]))
                    .collect()
            })
            .collect();
        let is_core: Vec<bool> = neighbours
            .iter()
            .map(|list| list.len() >= parameters.min_points())
            .collect();

        let mut parent: Vec<usize> = (0..count).collect();
        fn root(parent: &mut [usize], mut node: usize) -> usize {
            while parent[node] != node {
                parent[node] = parent[parent[node]];
                node = parent[node];
            }
            node
        }
        for first in 0..count {
            if !is_core[first] {
                continue;
            }
            for &second in &neighbours[first] {
                if is_core[second] {
                    let (a, b) = (root(&mut parent, first), root(&mut parent, second));
                    // Keep the lowest position as the root, so roots name components in order.
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
            }
        }
        let mut cluster_of_root = vec![UNCLAIMED; count];
        let mut cluster_count = 0u32;
        let mut core_cluster = vec![UNCLAIMED; count];
        for position in 0..count {
            if !is_core[position] {
                continue;
            }
            let component = root(&mut parent, position);
            if cluster_of_root[component] == UNCLAIMED {
                cluster_of_root[component] = cluster_count;
                cluster_count += 1;
            }
            core_cluster[position] = cluster_of_root[component];
        }
        let roles = (0..count)
            .map(|position| {
                if is_core[position] {
                    return PointRole::Core(core_cluster[position]);
                }
                neighbours[position]
                    .iter()
                    .filter(|&&other| is_core[other])
                    .map(|&other| core_cluster[other])
                    .min()
                    .map_or(PointRole::Noise, PointRole::Border)
            })
            .collect();
        Clustering {
            roles,
            cluster_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reference::st_dbscan_brute_force;
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Random events in a few space–time blobs over a background, around Mopti.
    fn random_points(seed: u64, count: usize) -> Vec<SpaceTimePoint> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let blobs: Vec<(f64, f64, i32)> = (0..6)
            .map(|_| {
                (
                    rng.random_range(-4.5..-3.0),
                    rng.random_range(13.5..15.0),
                    rng.random_range(0..120),
                )
            })
            .collect();
        (0..count)
            .map(|_| {
                if rng.random_bool(0.3) {
                    SpaceTimePoint::new(
                        rng.random_range(-4.5..-3.0),
                        rng.random_range(13.5..15.0),
                        rng.random_range(0..120),
                    )
                } else {
                    let (lon, lat, day) = blobs[rng.random_range(0..blobs.len())];
                    SpaceTimePoint::new(
                        lon + rng.random_range(-0.15..0.15),
                        lat + rng.random_range(-0.15..0.15),
                        day + rng.random_range(-10..=10),
                    )
                }
            })
            .collect()
    }

    #[test]
    fn indexed_clustering_equals_brute_force_on_random_seeded_data() {
        let mut clusters_seen = 0;
        let mut borders_seen = 0;
        for seed in 0..12 {
            let points = random_points(seed, 1500);
            for (eps_km, eps_days, min_points) in
                [(5.0, 3, 4), (8.0, 7, 6), (2.0, 0, 2), (15.0, 14, 12)]
            {
                let parameters = StDbscanParameters::new(eps_km, eps_days, min_points).unwrap();
                let fast = st_dbscan(&points, &parameters);
                let slow = st_dbscan_brute_force(&points, &parameters);
                assert_eq!(
                    fast, slow,
                    "seed {seed}, eps {eps_km} km {eps_days} days, min {min_points}"
                );
                clusters_seen += fast.cluster_count;
                borders_seen += fast
                    .roles
                    .iter()
                    .filter(|role| matches!(role, PointRole::Border(_)))
                    .count();
            }
        }
        // The comparison means something only if the data exercise every role.
        assert!(clusters_seen > 100, "{clusters_seen} clusters");
        assert!(borders_seen > 100, "{borders_seen} border events");
    }

    #[test]
    fn neighbours_across_the_antimeridian_and_near_the_poles_are_found() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut points: Vec<SpaceTimePoint> = (0..800)
            .map(|_| {
                SpaceTimePoint::new(
                    if rng.random_bool(0.5) {
                        rng.random_range(179.7..180.0)
                    } else {
                        rng.random_range(-180.0..-179.7)
                    },
                    rng.random_range(-30.0..-29.7),
                    rng.random_range(0..5),
                )
            })
            .collect();
        points.extend((0..400).map(|_| {
            SpaceTimePoint::new(
                rng.random_range(-180.0..180.0),
                rng.random_range(89.5..90.0),
                rng.random_range(0..5),
            )
        }));
        let parameters = StDbscanParameters::new(4.0, 2, 3).unwrap();
        let clustering = st_dbscan(&points, &parameters);
        assert_eq!(clustering, st_dbscan_brute_force(&points, &parameters));
        // The antimeridian band is one cluster only if the grid wraps around.
        let west = clustering.roles[..800]
            .iter()
            .zip(&points)
            .filter(|(_, point)| point.longitude() < 0.0)
            .filter_map(|(role, _)| role.cluster())
            .collect::<std::collections::BTreeSet<_>>();
        let east = clustering.roles[..800]
            .iter()
            .zip(&points)
            .filter(|(_, point)| point.longitude() > 0.0)
            .filter_map(|(role, _)| role.cluster())
            .collect::<std::collections::BTreeSet<_>>();
        assert!(
            west.intersection(&east).next().is_some(),
            "clusters span ±180°"
        );
    }

    #[test]
    fn a_border_event_between_two_clusters_joins_the_lower_numbered_one() {
        // On one day along the 14th parallel: a lone event in the middle, and on each side a
        // group of four events 6.0, 6.8, 7.2 and 7.6 km away from it. With a 6.5 km reach
        // each group is dense (4 events within reach of each other), and the middle event
        // reaches only the nearest event of each group: 3 neighbours, a border event.
        let day = 100;
        let middle = -4.0;
        let degrees = |km: f64| km / (111.195 * 14.0_f64.to_radians().cos());
        let mut points = vec![SpaceTimePoint::new(middle, 14.0, day)];
        for km in [6.0, 6.8, 7.2, 7.6] {
            points.push(SpaceTimePoint::new(middle + degrees(km), 14.0, day));
        }
        for km in [6.0, 6.8, 7.2, 7.6] {
            points.push(SpaceTimePoint::new(middle - degrees(km), 14.0, day));
        }
        let parameters = StDbscanParameters::new(6.5, 0, 4).unwrap();
        let clustering = st_dbscan(&points, &parameters);
        assert_eq!(clustering.cluster_count, 2);
        // The eastern group comes first in the input, so it is cluster 0.
        assert_eq!(clustering.roles[1], PointRole::Core(0));
        assert_eq!(clustering.roles[5], PointRole::Core(1));
        assert_eq!(clustering.roles[0], PointRole::Border(0));
        assert_eq!(clustering, st_dbscan_brute_force(&points, &parameters));
        // Put the western group first: the middle event follows it.
        let mut reordered = vec![points[0]];
        reordered.extend_from_slice(&points[5..]);
        reordered.extend_from_slice(&points[1..5]);
        let clustering = st_dbscan(&reordered, &parameters);
        assert_eq!(clustering.roles[1], PointRole::Core(0));
        assert_eq!(clustering.roles[0], PointRole::Border(0));
    }

    #[test]
    fn events_close_in_space_but_weeks_apart_do_not_cluster() {
        let points: Vec<SpaceTimePoint> = (0..8)
            .map(|week| SpaceTimePoint::new(-3.56, 14.23, 1000 + week * 14))
            .collect();
        let clustering = st_dbscan(&points, &StDbscanParameters::new(10.0, 7, 2).unwrap());
        assert_eq!(clustering.cluster_count, 0);
        assert_eq!(clustering.noise_count(), 8);
        let weekly = st_dbscan(&points, &StDbscanParameters::new(10.0, 14, 2).unwrap());
        assert_eq!(weekly.cluster_count, 1, "a 14-day reach links them all");
    }

    #[test]
    fn the_spatial_reach_is_measured_on_the_sphere() {
        // 0.1° of longitude is 10.8 km at 14° N but only 10.2 km at 23° N (Kidal–Taoudenni
        // latitudes): with a 10.5 km reach the pair links in the north only.
        let pair = |lat: f64| {
            [
                SpaceTimePoint::new(-2.0, lat, 5),
                SpaceTimePoint::new(-1.9, lat, 5),
            ]
        };
        let parameters = StDbscanParameters::new(10.5, 0, 2).unwrap();
        assert_eq!(st_dbscan(&pair(14.0), &parameters).cluster_count, 0);
        assert_eq!(st_dbscan(&pair(23.0), &parameters).cluster_count, 1);
    }

    #[test]
    fn cluster_numbers_follow_the_input_order_not_the_tree() {
        let points = random_points(99, 3000);
        let parameters = StDbscanParameters::new(5.0, 5, 5).unwrap();
        let clustering = st_dbscan(&points, &parameters);
        // Clusters in the order their first core event appears in the input.
        let mut order_of_appearance: Vec<u32> = Vec::new();
        for role in &clustering.roles {
            if let PointRole::Core(cluster) = role
                && !order_of_appearance.contains(cluster)
            {
                order_of_appearance.push(*cluster);
            }
        }
        let numbering: Vec<u32> = (0..clustering.cluster_count).collect();
        assert_eq!(order_of_appearance, numbering);
        assert!(clustering.cluster_count > 3);
    }

    #[test]
    fn invalid_parameters_are_refused_with_the_key() {
        for eps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let error = StDbscanParameters::new(eps, 1, 1).unwrap_err();
            assert!(error.to_string().contains("eps_km"), "{error}");
        }
        let error = StDbscanParameters::new(1.0, 1, 0).unwrap_err();
        assert!(error.to_string().contains("min_points"), "{error}");
    }
}
