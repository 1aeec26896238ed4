//! Reproducible point sets for benchmarks and tests.
//!
//! The benchmark mix is half points drawn uniformly over the bounding box of the communes and
//! half points within 15 km of a commune's centre, the way conflict events cluster around
//! villages. The same seed gives the same points on every machine, so Vigie and its peers
//! (GeoPandas, PostGIS) can be measured on identical input.

use geo::{BoundingRect, InteriorPoint};
use geo_types::Coord;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigie_domain::ZoneSet;

use crate::sphere::destination;

/// Radius around commune centres for the clustered half, in kilometres.
pub const CLUSTER_RADIUS_KM: f64 = 15.0;

/// `count` points: even positions uniform over the communes' bounding box, odd positions
/// uniform in a 15 km disc around a randomly chosen commune's interior point.
pub fn benchmark_points(zones: &ZoneSet, count: usize, seed: u64) -> Vec<Coord<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Coord<f64>> = zones
        .communes
        .iter()
        .filter_map(|commune| commune.geometry.interior_point().map(|point| point.0))
        .collect();
    let bounds = zones
        .communes
        .iter()
        .filter_map(|commune| commune.geometry.bounding_rect())
        .reduce(|a, b| {
            geo_types::Rect::new(
                Coord {
                    x: a.min().x.min(b.min().x),
                    y: a.min().y.min(b.min().y),
                },
                Coord {
                    x: a.max().x.max(b.max().x),
                    y: a.max().y.max(b.max().y),
                },
            )
        });
    let Some(bounds) = bounds else {
        return Vec::new();
    };
    (0..count)
        .map(|position| {
            if position % 2 == 0 || centres.is_empty() {
                Coord {
                    x: rng.random_range(bounds.min().x..bounds.max().x),
                    y: rng.random_range(bounds.min().y..bounds.max().y),
                }
            } else {
                let centre = centres[rng.random_range(0..centres.len())];
                let distance = CLUSTER_RADIUS_KM * rng.random::<f64>().sqrt();
                destination(centre, rng.random_range(0.0..360.0), distance)
            }
        })
        .collect()
}
