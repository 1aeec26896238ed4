use std::collections::HashMap;
use std::time::{Duration, Instant};

use geo_types::Coord;
use smallvec::SmallVec;
use vigie_domain::{CorridorHit, LocateStatus, ZoneSet};

use crate::commune_index::{Census, CommuneIndex, CommuneMatch};
use crate::corridor_index::CorridorIndex;

/// The corridors holding a point. Two fit without allocating; more (where routes meet)
/// spill to the heap.
pub type CorridorHits = SmallVec<[CorridorHit; 2]>;

/// How the index is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexOptions {
    /// A point outside every commune but within this many kilometres of one is given to the
    /// nearest (status `snapped`). Default 5 km.
    pub snap_km: f64,
    /// Side of a grid cell in degrees. Smaller cells answer more points with a single read
    /// and cost memory. Default 0.01° (about 1.1 km).
    pub cell_degrees: f64,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            snap_km: 5.0,
            cell_degrees: 0.01,
        }
    }
}

/// The answer for one point: positions into the [`ZoneSet`] the index was built from.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Inside, snapped or outside.
    pub status: LocateStatus,
    /// Position of the commune in [`ZoneSet::communes`], unless outside.
    pub commune: Option<u32>,
    /// Position of the commune's cercle in [`ZoneSet::cercles`], when the hierarchy names one.
    pub cercle: Option<u32>,
    /// Position of the cercle's region in [`ZoneSet::regions`].
    pub region: Option<u32>,
    /// For a snapped point, the distance to the commune it was given to, in kilometres.
    pub snapped_km: Option<f64>,
    /// Corridors whose buffer holds the point, in [`ZoneSet::corridors`] order.
    pub corridors: CorridorHits,
}

/// Sizes and timings of a built index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexStats {
    /// Time spent building.
    pub build_time: Duration,
    /// Heap bytes held by the index.
    pub heap_bytes: usize,
    /// The make-up of the two-level grid.
    pub cells: Census,
    /// The grid's cell size in degrees.
    pub cell_degrees: f64,
    /// South-west corner of the grid (lon, lat): cells start there every `cell_degrees`.
    pub grid_origin: (f64, f64),
}

/// Locates points in communes, cercles, regions and corridors. Built once, queried many times.
///
/// Every answer is exact: the same as testing the point against every polygon with exact
/// predicates (see [`SpatialIndex::locate_brute_force`]). Conventions:
///
/// - Polygons are closed sets: a point on a commune's boundary is inside it.
/// - A point inside (or on the boundary of) several communes — a shared border, or an overlap
///   in the boundary data — belongs to the one with the smallest id (P-code order), so every
///   point gets one answer, the same on every run.
/// - A point in no commune snaps to the nearest commune boundary within
///   [`IndexOptions::snap_km`] (great-circle distance), ties again to the smallest id.
/// - Corridors are tested on the great-circle distance to their centre line.
///
/// ```
/// # use vigie_spatial::{SpatialIndex, IndexOptions};
/// # use vigie_domain::{Zone, ZoneId, ZoneLevel, ZoneSet, LocateStatus};
/// # use geo_types::{MultiPolygon, polygon};
/// let square = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
/// let commune = Zone {
///     id: ZoneId::new("ML000001").unwrap(),
///     name: "Carré".into(),
///     level: ZoneLevel::Commune,
///     parent: None,
///     geometry: MultiPolygon(vec![square]),
/// };
/// let zones = ZoneSet {
///     name: "example".into(),
///     attribution: String::new(),
///     regions: vec![],
///     cercles: vec![],
///     communes: vec![commune],
///     corridors: vec![],
/// };
/// let index = SpatialIndex::build(&zones, IndexOptions::default());
/// assert_eq!(index.locate(0.5, 0.5).status, LocateStatus::Inside);
/// assert_eq!(index.locate(1.02, 0.5).status, LocateStatus::Snapped);
/// assert_eq!(index.locate(3.0, 3.0).status, LocateStatus::Outside);
/// ```
#[derive(Debug, Clone)]
pub struct SpatialIndex {
    communes: CommuneIndex,
    corridors: CorridorIndex,
    commune_cercle: Vec<Option<u32>>,
    cercle_region: Vec<Option<u32>>,
    stats: IndexStats,
}

impl SpatialIndex {
    /// Builds the index over every commune and corridor of `zones`.
    pub fn build(zones: &ZoneSet, options: IndexOptions) -> SpatialIndex {
        let started = Instant::now();
        let communes = CommuneIndex::build(&zones.communes, options.cell_degrees, options.snap_km);
        let corridors = CorridorIndex::build(&zones.corridors);
        let cercle_positions: HashMap<_, _> = zones
            .cercles
            .iter()
            .enumerate()
            .map(|(position, cercle)| (&cercle.id, position as u32))
            .collect();
        let region_positions: HashMap<_, _> = zones
            .regions
            .iter()
            .enumerate()
            .map(|(position, region)| (&region.id, position as u32))
            .collect();
        let commune_cercle = zones
            .communes
            .iter()
            .map(|commune| {
                let parent = commune.parent.as_ref()?;
                cercle_positions.get(parent).copied()
            })
            .collect();
        let cercle_region = zones
            .cercles
            .iter()
            .map(|cercle| {
                let parent = cercle.parent.as_ref()?;
                region_positions.get(parent).copied()
            })
            .collect();
        let mut index = SpatialIndex {
            stats: IndexStats {
                build_time: Duration::ZERO,
                heap_bytes: 0,
                cells: communes.census(),
                cell_degrees: communes.cell_degrees(),
                grid_origin: communes.grid_origin(),
            },
            communes,
            corridors,
            commune_cercle,
            cercle_region,
        };
        index.stats.heap_bytes = index.communes.heap_bytes()
            + index.corridors.heap_bytes()
            + (index.commune_cercle.capacity() + index.cercle_region.capacity())
                * size_of::<Option<u32>>();
        index.stats.build_time = started.elapsed();
        index
    }

    /// Where `(lon, lat)` lies: commune, cercle, region and corridors. Non-finite
    /// coordinates are outside everything.
    #[inline]
    pub fn locate(&self, lon: f64, lat: f64) -> Location {
        let point = Coord { x: lon, y: lat };
        let mut corridors = SmallVec::new();
        if !(lon.is_finite() && lat.is_finite()) {
            return self.location(CommuneMatch::Outside, corridors);
        }
        self.corridors.locate(point, &mut corridors);
        self.location(self.communes.locate(point), corridors)
    }

    /// Locates many points at once: `answers[i]` is the location of `points[i]` (lon, lat),
    /// the same as [`SpatialIndex::locate`] gives, faster on large batches because the
    /// memory reads of neighbouring points overlap.
    pub fn locate_batch(&self, points: &[(f64, f64)], answers: &mut Vec<Location>) {
        const CHUNK: usize = 256;
        answers.clear();
        answers.reserve(points.len());
        let mut coords = Vec::with_capacity(CHUNK);
        let mut matches = vec![CommuneMatch::Outside; CHUNK];
        for chunk in points.chunks(CHUNK) {
            coords.clear();
            coords.extend(chunk.iter().map(|&(lon, lat)| {
                if lon.is_finite() && lat.is_finite() {
                    Coord { x: lon, y: lat }
                } else {
                    // Non-finite coordinates fall off the grid: outside everything.
                    Coord {
                        x: f64::INFINITY,
                        y: f64::INFINITY,
                    }
                }
            }));
            self.communes
                .locate_batch(&coords, &mut matches[..chunk.len()]);
            for (point, found) in coords.iter().zip(&matches) {
                let mut corridors = SmallVec::new();
                if point.x.is_finite() {
                    self.corridors.locate(*point, &mut corridors);
                }
                answers.push(self.location(*found, corridors));
            }
        }
    }

    /// Only the commune part of [`SpatialIndex::locate`].
    #[inline]
    pub fn locate_commune(&self, lon: f64, lat: f64) -> CommuneMatch {
        if !(lon.is_finite() && lat.is_finite()) {
            return CommuneMatch::Outside;
        }
        self.communes.locate(Coord { x: lon, y: lat })
    }

    /// The same answer as [`SpatialIndex::locate`], computed by testing every polygon and
    /// every corridor arc. Orders of magnitude slower; the reference the index is tested on.
    pub fn locate_brute_force(&self, lon: f64, lat: f64) -> Location {
        let point = Coord { x: lon, y: lat };
        if !(lon.is_finite() && lat.is_finite()) {
            return self.location(CommuneMatch::Outside, SmallVec::new());
        }
        let corridors = self
            .corridors
            .locate_brute_force(point)
            .into_iter()
            .collect();
        self.location(self.communes.locate_brute_force(point), corridors)
    }

    fn location(&self, found: CommuneMatch, corridors: CorridorHits) -> Location {
        let (status, commune, snapped_km) = match found {
            CommuneMatch::Inside(commune) => (LocateStatus::Inside, Some(commune), None),
            CommuneMatch::Snapped {
                commune,
                distance_km,
            } => (LocateStatus::Snapped, Some(commune), Some(distance_km)),
            CommuneMatch::Outside => (LocateStatus::Outside, None, None),
        };
        let cercle = commune.and_then(|commune| self.commune_cercle[commune as usize]);
        let region = cercle.and_then(|cercle| self.cercle_region[cercle as usize]);
        Location {
            status,
            commune,
            cercle,
            region,
            snapped_km,
            corridors,
        }
    }

    /// Whether commune `commune` (a position in the zone set) holds the point, by the full
    /// exact test on its polygon (closed).
    pub fn commune_contains(&self, commune: u32, lon: f64, lat: f64) -> bool {
        self.communes
            .commune_contains(commune, Coord { x: lon, y: lat })
    }

    /// Build time, memory and the grid's make-up.
    pub fn stats(&self) -> IndexStats {
        self.stats
    }
}
