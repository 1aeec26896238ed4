//! Polygon simplification for CAP areas: bounded, closed, simple, made of the input's points,
//! on randomized outlines from fixed seeds.

use geo_types::{Coord, LineString};
use vigie_notify::cap::{SimplifyError, ring_is_simple, simplify_ring};

/// A small deterministic generator (SplitMix64): the same outlines on every run.
struct Seeded(u64);

impl Seeded {
    fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A star-shaped outline (simple by construction): `count` vertices at increasing angles,
/// random radii, some deep notches.
fn random_outline(random: &mut Seeded, count: usize) -> LineString<f64> {
    let mut points: Vec<Coord<f64>> = (0..count)
        .map(|index| {
            let angle =
                (index as f64 + 0.5 * random.next_unit()) / count as f64 * std::f64::consts::TAU;
            let notch = if random.next_unit() < 0.1 { 0.3 } else { 1.0 };
            let radius = (0.2 + random.next_unit()) * notch;
            Coord {
                x: -4.0 + radius * angle.cos(),
                y: 14.0 + radius * angle.sin(),
            }
        })
        .collect();
    points.push(points[0]);
    LineString(points)
}

#[test]
fn random_outlines_simplify_to_bounded_closed_simple_rings_of_their_own_points() {
    let mut random = Seeded(20_261_122);
    for case in 0..200 {
        let count = 4 + (random.next_unit() * 400.0) as usize;
        let outline = random_outline(&mut random, count);
        let corners = &outline.0[..outline.0.len() - 1];
        assert!(
            ring_is_simple(corners),
            "case {case}: generator made a bad outline"
        );
        for max_points in [4, 5, 8, 16, 64] {
            let simplified = simplify_ring(&outline, max_points)
                .unwrap_or_else(|error| panic!("case {case}, bound {max_points}: {error}"));
            let points = &simplified.0;
            assert!(points.len() >= 4, "case {case}: {} points", points.len());
            assert!(
                points.len() <= max_points,
                "case {case}: {} > {max_points}",
                points.len()
            );
            assert_eq!(points.first(), points.last(), "case {case}: not closed");
            assert!(
                ring_is_simple(&points[..points.len() - 1]),
                "case {case}, bound {max_points}: crosses itself"
            );
            for point in points {
                assert!(
                    outline.0.contains(point),
                    "case {case}: invented point {point:?}"
                );
            }
            if count < max_points {
                assert_eq!(
                    points.len(),
                    count + 1,
                    "case {case}: small outlines stay whole"
                );
            }
        }
    }
}

#[test]
fn a_self_crossing_outline_falls_back_to_its_hull() {
    // A bow tie with extra points: no simple sub-ring exists by removal alone.
    let bow_tie = LineString::from(vec![
        (0.0, 0.0),
        (1.0, 1.0),
        (2.0, 2.0),
        (2.0, 0.0),
        (1.0, 1.5),
        (0.0, 2.0),
        (0.0, 0.0),
    ]);
    let simplified = simplify_ring(&bow_tie, 6).unwrap();
    let points = &simplified.0;
    assert!(points.len() <= 6);
    assert!(ring_is_simple(&points[..points.len() - 1]));
}

#[test]
fn an_outline_without_area_is_refused() {
    let flat = LineString::from(vec![(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (0.0, 0.0)]);
    assert_eq!(simplify_ring(&flat, 8), Err(SimplifyError::Degenerate));
}
