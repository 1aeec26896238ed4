//! The corridor locator: for a point, every corridor whose buffer holds it and the distance
//! to its centre line.
//!
//! Corridors are few and long, so a coarse grid lists, for each cell, the centre-line arcs that
//! could come within a buffer's reach of it; a query measures the great-circle distance to those
//! arcs only.

use geo_types::Coord;

use crate::grid::Grid;
use crate::sphere::{Arc, KM_PER_DEGREE, Reach, UnitVector, distance_km, longitude_degrees_for_km};
use vigie_domain::{Corridor, CorridorHit};

/// Cell size of the corridor grid, in degrees (about 11 km).
const CELL_DEGREES: f64 = 0.1;

#[derive(Debug, Clone, Copy)]
struct CorridorArc {
    corridor: u32,
    arc: Arc,
    /// The arc's bounding box grown by the buffer's reach (min x, min y, max x, max y): a
    /// point outside it is out of the buffer without any trigonometry.
    reach: [f64; 4],
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct CorridorIndex {
    grid: Grid,
    /// Compressed rows: the arcs of cell `c` are `cell_arcs[cell_offsets[c]..cell_offsets[c+1]]`.
    cell_offsets: Vec<u32>,
    cell_arcs: Vec<u32>,
    arcs: Vec<CorridorArc>,
    buffers: Vec<Reach>,
}

impl CorridorIndex {
    pub fn build(corridors: &[Corridor]) -> CorridorIndex {
        let mut arcs = Vec::new();
        let mut ends = Vec::new();
        let mut min = Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        };
        let mut max = Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        };
        for (position, corridor) in corridors.iter().enumerate() {
            let reach_lat = corridor.buffer_km / KM_PER_DEGREE;
            let coords = &corridor.centerline.0;
            let pairs: Vec<(Coord<f64>, Coord<f64>)> = if coords.len() == 1 {
                vec![(coords[0], coords[0])]
            } else {
                coords.windows(2).map(|pair| (pair[0], pair[1])).collect()
            };
            for (start, end) in pairs {
                let reach_lon = longitude_degrees_for_km(
                    corridor.buffer_km,
                    (start.y.abs().max(end.y.abs()) + reach_lat).min(89.0),
                );
                min.x = min.x.min(start.x.min(end.x) - reach_lon);
                min.y = min.y.min(start.y.min(end.y) - reach_lat);
                max.x = max.x.max(start.x.max(end.x) + reach_lon);
                max.y = max.y.max(start.y.max(end.y) + reach_lat);
                // A great-circle arc can bulge poleward of its end points: widen by its length's
                // worth of a degree fraction, far more than the bulge over Sahelian distances.
                let bulge = distance_km(start, end) / KM_PER_DEGREE * 0.01;
                arcs.push(CorridorArc {
                    corridor: position as u32,
                    arc: Arc::new(start, end),
                    reach: [
                        start.x.min(end.x) - reach_lon - bulge,
                        start.y.min(end.y) - reach_lat - bulge,
                        start.x.max(end.x) + reach_lon + bulge,
                        start.y.max(end.y) + reach_lat + bulge,
                    ],
                });
                ends.push((start, end, reach_lon, reach_lat, corridor.buffer_km));
            }
        }
        if arcs.is_empty() {
            min = Coord { x: 0.0, y: 0.0 };
            max = min;
        }
        let grid = Grid::covering(min, max, CELL_DEGREES);

        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (arc_position, &(start, end, reach_lon, reach_lat, buffer_km)) in
            ends.iter().enumerate()
        {
            let first_column = grid.column_clamped(start.x.min(end.x) - reach_lon);
            let last_column = grid.column_clamped(start.x.max(end.x) + reach_lon);
            let first_row = grid.row_clamped(start.y.min(end.y) - reach_lat);
            let last_row = grid.row_clamped(start.y.max(end.y) + reach_lat);
            for row in first_row..=last_row {
                for column in first_column..=last_column {
                    let cell = row * grid.columns + column;
                    let centre = grid.cell_centre(cell);
                    let half = grid.cell_degrees / 2.0;
                    // Any point of the cell is within half a diagonal of its centre; the
                    // corner nearer the equator is the farther one.
                    let half_diagonal_km = [-half, half]
                        .into_iter()
                        .map(|dy| {
                            distance_km(
                                centre,
                                Coord {
                                    x: centre.x + half,
                                    y: centre.y + dy,
                                },
                            )
                        })
                        .fold(0.0, f64::max)
                        * 1.01
                        + 0.01;
                    let distance = arcs[arc_position]
                        .arc
                        .distance_km(UnitVector::from_lon_lat(centre.x, centre.y));
                    if distance <= buffer_km + half_diagonal_km {
                        pairs.push((cell as u32, arc_position as u32));
                    }
                }
            }
        }
        pairs.sort_unstable();
        let mut cell_offsets = vec![0u32; grid.cell_count() + 1];
        for &(cell, _) in &pairs {
            cell_offsets[cell as usize + 1] += 1;
        }
        for cell in 0..grid.cell_count() {
            cell_offsets[cell + 1] += cell_offsets[cell];
        }
        let cell_arcs = pairs.into_iter().map(|(_, arc)| arc).collect();
        CorridorIndex {
            grid,
            cell_offsets,
            cell_arcs,
            arcs,
            buffers: corridors
                .iter()
                .map(|corridor| Reach::new(corridor.buffer_km))
                .collect(),
        }
    }

    /// Appends to `hits` every corridor whose buffer holds `point`, in corridor order.
    #[inline]
    pub fn locate(&self, point: Coord<f64>, hits: &mut crate::CorridorHits) {
        let Some(cell) = self.grid.cell_of(point) else {
            return;
        };
        let (start, end) = (self.cell_offsets[cell], self.cell_offsets[cell + 1]);
        if start == end {
            return;
        }
        let mut unit: Option<UnitVector> = None;
        let first_hit = hits.len();
        for &arc_position in &self.cell_arcs[start as usize..end as usize] {
            let arc = &self.arcs[arc_position as usize];
            let [min_x, min_y, max_x, max_y] = arc.reach;
            if point.x < min_x || point.x > max_x || point.y < min_y || point.y > max_y {
                continue;
            }
            let unit = *unit.get_or_insert_with(|| UnitVector::from_lon_lat(point.x, point.y));
            let Some(distance_km) = arc
                .arc
                .distance_within_km(unit, &self.buffers[arc.corridor as usize])
            else {
                continue;
            };
            match hits[first_hit..]
                .iter_mut()
                .find(|hit| hit.corridor == arc.corridor)
            {
                Some(hit) => hit.distance_km = hit.distance_km.min(distance_km),
                None => hits.push(CorridorHit {
                    corridor: arc.corridor,
                    distance_km,
                }),
            }
        }
        if hits.len() - first_hit > 1 {
            hits[first_hit..].sort_by_key(|hit| hit.corridor);
        }
    }

    /// The reference answer by a scan over every arc. For tests.
    pub fn locate_brute_force(&self, point: Coord<f64>) -> Vec<CorridorHit> {
        let unit = UnitVector::from_lon_lat(point.x, point.y);
        let mut nearest: Vec<Option<f64>> = vec![None; self.buffers.len()];
        for arc in &self.arcs {
            let distance = arc.arc.distance_km(unit);
            let slot = &mut nearest[arc.corridor as usize];
            *slot = Some(slot.map_or(distance, |current: f64| current.min(distance)));
        }
        nearest
            .into_iter()
            .enumerate()
            .filter_map(|(corridor, distance)| {
                let distance_km = distance?;
                (distance_km <= self.buffers[corridor].km()).then_some(CorridorHit {
                    corridor: corridor as u32,
                    distance_km,
                })
            })
            .collect()
    }

    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.cell_offsets.capacity() * size_of::<u32>()
            + self.cell_arcs.capacity() * size_of::<u32>()
            + self.arcs.capacity() * size_of::<CorridorArc>()
            + self.buffers.capacity() * size_of::<Reach>()
    }
}
