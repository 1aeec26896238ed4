//! The index must answer exactly what testing every polygon answers: on the real 701
//! communes of Mali, for points of every kind (uniform, clustered, on vertices, on edges, on
//! the grid's own lines), and on synthetic tilings whose communes share their borders exactly.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigie_domain::{LocateStatus, Zone, ZoneId, ZoneLevel, ZoneSet};
use vigie_spatial::sample::benchmark_points;
use vigie_spatial::sphere::interpolate;
use vigie_spatial::{IndexOptions, SpatialIndex, codec};

static MALI: &[u8] = include_bytes!("../../../data/zones/mali-2015.vzs");

fn mali() -> ZoneSet {
    codec::decode(MALI).expect("the shipped zone set decodes")
}

fn assert_same(index: &SpatialIndex, points: &[Coord<f64>], family: &str) {
    let mut mismatches = Vec::new();
    for point in points {
        let fast = index.locate(point.x, point.y);
        let slow = index.locate_brute_force(point.x, point.y);
        if fast != slow {
            mismatches.push((point, fast, slow));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{family}: {} of {} points differ from brute force, first: {:?}",
        mismatches.len(),
        points.len(),
        mismatches.first()
    );
}

fn every_vertex(zones: &ZoneSet) -> Vec<Coord<f64>> {
    zones
        .communes
        .iter()
        .flat_map(|commune| commune.geometry.0.iter())
        .flat_map(|polygon| std::iter::once(polygon.exterior()).chain(polygon.interiors()))
        .flat_map(|ring| ring.0.iter().copied())
        .collect()
}

#[test]
fn index_equals_brute_force_on_mali_for_every_kind_of_point() {
    let zones = mali();
    let index = SpatialIndex::build(&zones, IndexOptions::default());
    let mut rng = ChaCha8Rng::seed_from_u64(20_190_323);

    // Uniform over Mali's bounding box and half a degree around it.
    let uniform: Vec<Coord<f64>> = (0..20_000)
        .map(|_| Coord {
            x: rng.random_range(-12.8..4.8),
            y: rng.random_range(9.6..25.5),
        })
        .collect();
    assert_same(&index, &uniform, "uniform");

    // Clustered around commune centres, as events are.
    assert_same(&index, &benchmark_points(&zones, 10_000, 7), "clustered");

    // Exactly on vertices, and a hair away from them.
    let vertices = every_vertex(&zones);
    let on_vertices: Vec<Coord<f64>> = (0..4_000)
        .map(|draw| {
            let vertex = vertices[rng.random_range(0..vertices.len())];
            match draw % 3 {
                0 => vertex,
                1 => Coord {
                    x: vertex.x + 1e-12,
                    y: vertex.y - 1e-12,
                },
                _ => Coord {
                    x: vertex.x - 3e-9,
                    y: vertex.y + 3e-9,
                },
            }
        })
        .collect();
    assert_same(&index, &on_vertices, "vertices");

    // Along edges (on them up to rounding, or just beside them).
    let on_edges: Vec<Coord<f64>> = (0..4_000)
        .map(|_| {
            let position = rng.random_range(0..vertices.len() - 1);
            let (start, end) = (vertices[position], vertices[position + 1]);
            let t: f64 = rng.random();
            let offset = [0.0, 1e-11, -1e-11, 1e-7][rng.random_range(0..4)];
            Coord {
                x: start.x + t * (end.x - start.x) + offset,
                y: start.y + t * (end.y - start.y),
            }
        })
        .collect();
    assert_same(&index, &on_edges, "edges");

    // The grid's own lines, corners and cell centres (the index's reference points).
    let stats = index.stats();
    let (origin_x, origin_y) = stats.grid_origin;
    let cell = stats.cell_degrees;
    let grid_points: Vec<Coord<f64>> = (0..4_000)
        .map(|draw| {
            let column = rng.random_range(0..1700) as f64;
            let row = rng.random_range(0..1600) as f64;
            let (dx, dy) = match draw % 4 {
                0 => (0.0, 0.0),
                1 => (0.5, 0.5),
                2 => (0.0, rng.random()),
                _ => (rng.random(), 0.0),
            };
            Coord {
                x: origin_x + (column + dx) * cell,
                y: origin_y + (row + dy) * cell,
            }
        })
        .collect();
    assert_same(&index, &grid_points, "grid lines");

    // Along the corridors' reach: points at 19.9–20.1 km from a waypoint-to-waypoint arc.
    let corridor_points: Vec<Coord<f64>> = zones
        .corridors
        .iter()
        .flat_map(|corridor| {
            corridor
                .centerline
                .0
                .windows(2)
                .map(|pair| (pair[0], pair[1]))
        })
        .flat_map(|(start, end)| {
            let mut local = ChaCha8Rng::seed_from_u64((start.x * 1e6) as u64);
            (0..100).map(move |_| {
                let foot = interpolate(start, end, local.random());
                let distance = local.random_range(19.9..20.1);
                vigie_spatial::sphere::destination(foot, local.random_range(0.0..360.0), distance)
            })
        })
        .collect();
    assert_same(&index, &corridor_points, "corridor edges");
}

#[test]
fn snapping_distance_is_configurable_and_exact() {
    let zones = mali();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for snap_km in [0.0, 1.0, 12.5] {
        let index = SpatialIndex::build(
            &zones,
            IndexOptions {
                snap_km,
                ..IndexOptions::default()
            },
        );
        let points: Vec<Coord<f64>> = (0..3_000)
            .map(|_| Coord {
                x: rng.random_range(-12.8..4.8),
                y: rng.random_range(9.6..25.5),
            })
            .collect();
        assert_same(&index, &points, &format!("snap {snap_km} km"));
        for point in &points {
            if let Some(distance) = index.locate(point.x, point.y).snapped_km {
                assert!(
                    distance <= snap_km,
                    "snapped at {distance} km with a {snap_km} km limit"
                );
            }
        }
    }
}

#[test]
fn other_cell_sizes_give_the_same_answers() {
    let zones = mali();
    let points = benchmark_points(&zones, 20_000, 11);
    let reference = SpatialIndex::build(&zones, IndexOptions::default());
    for cell_degrees in [0.003, 0.05, 0.5] {
        let index = SpatialIndex::build(
            &zones,
            IndexOptions {
                cell_degrees,
                ..IndexOptions::default()
            },
        );
        for point in &points {
            assert_eq!(
                index.locate(point.x, point.y),
                reference.locate(point.x, point.y),
                "cell {cell_degrees}° at {point:?}"
            );
        }
    }
}

/// A tiling of quadrilaterals whose shared corners are jittered but shared exactly, so that
/// neighbours meet without gaps and points on the shared borders exercise the tie-break.
fn jittered_tiling(columns: usize, rows: usize, jitter: &[f64]) -> ZoneSet {
    let corner = |column: usize, row: usize| {
        let index = row * (columns + 1) + column;
        let border = column == 0 || row == 0 || column == columns || row == rows;
        let (dx, dy) = if border {
            (0.0, 0.0)
        } else {
            (
                jitter[2 * index % jitter.len()],
                jitter[(2 * index + 1) % jitter.len()],
            )
        };
        Coord {
            x: column as f64 * 0.1 + dx,
            y: 14.0 + row as f64 * 0.1 + dy,
        }
    };
    let mut communes = Vec::new();
    for row in 0..rows {
        for column in 0..columns {
            let ring = vec![
                corner(column, row),
                corner(column + 1, row),
                corner(column + 1, row + 1),
                corner(column, row + 1),
                corner(column, row),
            ];
            communes.push(Zone {
                id: ZoneId::new(&format!("T{:03}", communes.len())).unwrap(),
                name: format!("tile {column},{row}"),
                level: ZoneLevel::Commune,
                parent: None,
                geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
            });
        }
    }
    // Shuffle the order of the list so that the tie-break cannot rely on it.
    communes.reverse();
    ZoneSet {
        name: "tiling".into(),
        attribution: String::new(),
        regions: vec![],
        cercles: vec![],
        communes,
        corridors: vec![],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn tilings_with_exactly_shared_borders_match_brute_force(
        jitter in prop::collection::vec(-0.04f64..0.04, 64),
        cell_degrees in prop::sample::select(vec![0.007, 0.02, 0.05, 0.13]),
        fractions in prop::collection::vec((0.0f64..1.0, 0.0f64..1.0), 200),
    ) {
        let zones = jittered_tiling(6, 5, &jitter);
        let index = SpatialIndex::build(&zones, IndexOptions { cell_degrees, snap_km: 3.0 });
        // Random points over and around the tiling, plus every tile corner and edge middle.
        let mut points: Vec<Coord<f64>> = fractions
            .iter()
            .map(|&(fx, fy)| Coord { x: -0.1 + fx * 0.8, y: 13.9 + fy * 0.7 })
            .collect();
        for commune in &zones.communes {
            let ring = &commune.geometry.0[0].exterior().0;
            for pair in ring.windows(2) {
                points.push(pair[0]);
                points.push(Coord { x: (pair[0].x + pair[1].x) / 2.0, y: (pair[0].y + pair[1].y) / 2.0 });
            }
        }
        for point in points {
            let fast = index.locate(point.x, point.y);
            let slow = index.locate_brute_force(point.x, point.y);
            prop_assert_eq!(&fast, &slow, "at {:?}", point);
            // Inside the tiling every point belongs to some tile.
            if (0.0..=0.6).contains(&point.x) && (14.0..=14.5).contains(&point.y) {
                prop_assert_eq!(fast.status, LocateStatus::Inside, "at {:?}", point);
            }
        }
    }
}

#[test]
fn shared_border_points_go_to_the_smallest_id() {
    let zones = jittered_tiling(2, 1, &[0.0]);
    let index = SpatialIndex::build(&zones, IndexOptions::default());
    // The two tiles share the edge x = 0.1; T000 is the right tile after the reversal.
    let on_border = index.locate(0.1, 14.05);
    let commune = on_border
        .commune
        .map(|position| zones.communes[position as usize].id.to_string());
    assert_eq!(on_border.status, LocateStatus::Inside);
    assert_eq!(commune.as_deref(), Some("T000"));
    let right_id = zones.communes[index.locate(0.15, 14.05).commune.unwrap() as usize]
        .id
        .to_string();
    let left_id = zones.communes[index.locate(0.05, 14.05).commune.unwrap() as usize]
        .id
        .to_string();
    assert_ne!(left_id, right_id);
    assert!(left_id == "T000" || right_id == "T000");
}
