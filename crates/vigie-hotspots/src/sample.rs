//! Reproducible space–time events for benchmarks: points that cluster the way conflict
//! events do, in bursts around villages, over a background of scattered incidents.

use geo::{BoundingRect, InteriorPoint};
use geo_types::Coord;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigie_domain::ZoneSet;
use vigie_spatial::sphere::destination;

use crate::SpaceTimePoint;

/// Share of points scattered uniformly over the communes' bounding box and the period.
pub const BACKGROUND_SHARE: f64 = 0.3;

/// `count` points over `days` days from day number `first_day`: 30 % scattered uniformly in
/// space and time, 70 % in episodes — one episode per 40 points on average, each a disc of
/// 2–15 km radius within 30 km of a commune's interior point, lasting 1–30 days. The same
/// seed gives the same points on every machine.
pub fn space_time_points(
    zones: &ZoneSet,
    count: usize,
    seed: u64,
    first_day: i32,
    days: i32,
) -> Vec<SpaceTimePoint> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let days = days.max(1);
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
    let (Some(bounds), false) = (bounds, centres.is_empty()) else {
        return Vec::new();
    };
    struct Episode {
        centre: Coord<f64>,
        radius_km: f64,
        start: i32,
        duration: i32,
    }
    let episodes: Vec<Episode> = (0..(count / 40).max(1))
        .map(|_| {
            let commune = centres[rng.random_range(0..centres.len())];
            Episode {
                centre: destination(
                    commune,
                    rng.random_range(0.0..360.0),
                    30.0 * rng.random::<f64>().sqrt(),
                ),
                radius_km: rng.random_range(2.0..15.0),
                start: first_day + rng.random_range(0..days),
                duration: rng.random_range(1..=30),
            }
        })
        .collect();
    (0..count)
        .map(|_| {
            if rng.random_bool(BACKGROUND_SHARE) {
                SpaceTimePoint::new(
                    rng.random_range(bounds.min().x..bounds.max().x),
                    rng.random_range(bounds.min().y..bounds.max().y),
                    first_day + rng.random_range(0..days),
                )
            } else {
                let episode = &episodes[rng.random_range(0..episodes.len())];
                let place = destination(
                    episode.centre,
                    rng.random_range(0.0..360.0),
                    episode.radius_km * rng.random::<f64>().sqrt(),
                );
                SpaceTimePoint::new(
                    place.x,
                    place.y,
                    episode.start + rng.random_range(0..episode.duration),
                )
            }
        })
        .collect()
}
