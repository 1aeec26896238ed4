//! Where synthetic events happen: near commune centres, weighted toward central and northern
//! Mali, and along transhumance corridors in their season.

use std::collections::HashMap;

use chrono::NaiveDate;
use geo::InteriorPoint;
use geo_types::Coord;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use vigie_domain::{Corridor, ZoneLevel, ZoneSet};
use vigie_spatial::sphere::{destination, distance_km, interpolate};
use vigie_spatial::{CommuneMatch, IndexOptions, SpatialIndex};

use crate::RegionOfInterest;

/// Conflict events cluster within this distance of a commune centre (as in
/// `vigie_spatial::sample`).
const CLUSTER_RADIUS_KM: f64 = 15.0;

/// Demonstrations happen in town: a 15 km disc around one of Bamako's small communes would
/// put most of them in the surrounding rural cercle.
const TOWN_RADIUS_KM: f64 = 3.0;

/// Which weighting a kind of event follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Geography {
    /// Battles, explosions, violence against civilians, strategic developments: the centre
    /// (Mopti, Ségou) and the north (Gao with Ménaka, Tombouctou).
    Conflict,
    /// Protests and riots: Bamako and the regional capitals.
    Demonstrations,
}

/// A region's share of events of each geography, by the region P-code of the 2015
/// reference (other boundary sets fall back to an even spread).
fn region_weight(region_id: &str, geography: Geography) -> f64 {
    match (geography, region_id) {
        (Geography::Conflict, "ML05") => 32.0, // Mopti
        (Geography::Conflict, "ML04") => 14.0, // Ségou
        (Geography::Conflict, "ML07") => 16.0, // Gao (with Ménaka)
        (Geography::Conflict, "ML06") => 13.0, // Tombouctou
        (Geography::Conflict, "ML08") => 5.0,  // Kidal
        (Geography::Conflict, "ML02") => 7.0,  // Koulikoro
        (Geography::Conflict, "ML03") => 3.0,  // Sikasso
        (Geography::Conflict, "ML01") => 3.0,  // Kayes
        (Geography::Conflict, "ML09") => 1.0,  // Bamako
        (Geography::Demonstrations, "ML09") => 40.0,
        (Geography::Demonstrations, "ML04" | "ML05") => 11.0,
        (Geography::Demonstrations, "ML01" | "ML02" | "ML03") => 8.0,
        (Geography::Demonstrations, "ML07") => 7.0,
        (Geography::Demonstrations, "ML06") => 4.0,
        (Geography::Demonstrations, "ML08") => 3.0,
        _ => 2.0,
    }
}

/// Ménaka (a cercle of Gao in 2015, a region since) has seen a share of violence far above
/// its four communes' share of Gao.
fn cercle_boost(cercle_id: &str) -> f64 {
    match cercle_id {
        "ML0704" => 4.0,            // Ménaka
        "ML0502" | "ML0503" => 1.5, // Bandiagara, Bankass
        "ML0506" | "ML0507" => 1.5, // Douentza, Koro
        _ => 1.0,
    }
}

/// The names an event row gives for its place.
#[derive(Debug, Clone)]
pub(crate) struct PlaceNames {
    pub(crate) admin1: String,
    pub(crate) admin2: String,
    pub(crate) admin3: String,
}

/// A generated position with its names.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub(crate) longitude: f64,
    pub(crate) latitude: f64,
    pub(crate) names: usize,
}

/// Commune centres, their weights, the corridors, and an index to name any point.
pub(crate) struct Places<'z> {
    zones: &'z ZoneSet,
    /// Commune centres with the commune's position in the zone set.
    centres: Vec<(Coord<f64>, usize)>,
    /// Names of every commune, by position in the zone set.
    names: Vec<PlaceNames>,
    cumulative_conflict: Vec<f64>,
    cumulative_demonstrations: Vec<f64>,
    index: SpatialIndex,
    corridor_lengths: Vec<Vec<f64>>,
}

impl<'z> Places<'z> {
    /// Prepares the communes of `zones`; `None` when it has no commune with an area.
    pub(crate) fn new(zones: &'z ZoneSet) -> Option<Places<'z>> {
        let cercles = zones.index_by_id(ZoneLevel::Cercle);
        let regions = zones.index_by_id(ZoneLevel::Region);
        let mut centres = Vec::new();
        let mut names = Vec::new();
        let mut weights_conflict = Vec::new();
        let mut weights_demonstrations = Vec::new();
        let mut communes_per_region: HashMap<String, usize> = HashMap::new();
        let mut commune_region = Vec::new();
        for (position, commune) in zones.communes.iter().enumerate() {
            let cercle = commune
                .parent
                .as_ref()
                .and_then(|id| cercles.get(id))
                .map(|&position| &zones.cercles[position]);
            let region = cercle
                .and_then(|cercle| cercle.parent.as_ref())
                .and_then(|id| regions.get(id))
                .map(|&position| &zones.regions[position]);
            names.push(PlaceNames {
                admin1: region.map_or_else(String::new, |region| region.name.clone()),
                admin2: cercle.map_or_else(String::new, |cercle| cercle.name.clone()),
                admin3: commune.name.clone(),
            });
            let Some(centre) = commune.geometry.interior_point() else {
                continue;
            };
            let region_id = region.map_or_else(String::new, |region| region.id.to_string());
            *communes_per_region.entry(region_id.clone()).or_default() += 1;
            commune_region.push(region_id);
            weights_conflict.push(cercle.map_or(1.0, |cercle| cercle_boost(cercle.id.as_str())));
            weights_demonstrations.push(1.0);
            centres.push((centre.0, position));
        }
        if centres.is_empty() {
            return None;
        }
        // A region's weight is shared among its communes, so regions with many small communes
        // (Sikasso, Koulikoro) do not outweigh the vast northern ones.
        let share = |region_id: &str, geography| {
            region_weight(region_id, geography) / communes_per_region[region_id] as f64
        };
        let cumulative = |weights: Vec<f64>, geography| {
            let mut total = 0.0;
            weights
                .iter()
                .zip(&commune_region)
                .map(|(weight, region_id)| {
                    total += weight * share(region_id, geography);
                    total
                })
                .collect()
        };
        let corridor_lengths = zones
            .corridors
            .iter()
            .map(|corridor| {
                let mut total = 0.0;
                corridor
                    .centerline
                    .lines()
                    .map(|segment| {
                        total += distance_km(segment.start, segment.end);
                        total
                    })
                    .collect()
            })
            .collect();
        Some(Places {
            zones,
            cumulative_conflict: cumulative(weights_conflict, Geography::Conflict),
            cumulative_demonstrations: cumulative(
                weights_demonstrations,
                Geography::Demonstrations,
            ),
            centres,
            names,
            index: SpatialIndex::build(zones, IndexOptions::default()),
            corridor_lengths,
        })
    }

    /// The names of a place.
    pub(crate) fn names(&self, place: &Place) -> &PlaceNames {
        &self.names[place.names]
    }

    /// A point within 15 km of a commune centre chosen by weight, kept inside Mali's box.
    pub(crate) fn near_commune(&self, rng: &mut ChaCha8Rng, geography: Geography) -> Place {
        let cumulative = match geography {
            Geography::Conflict => &self.cumulative_conflict,
            Geography::Demonstrations => &self.cumulative_demonstrations,
        };
        let (centre, commune) = self.centres[pick_cumulative(rng, cumulative)];
        let radius_km = match geography {
            Geography::Conflict => CLUSTER_RADIUS_KM,
            Geography::Demonstrations => TOWN_RADIUS_KM,
        };
        for _ in 0..8 {
            let distance = radius_km * rng.random::<f64>().sqrt();
            let point = destination(centre, rng.random_range(0.0..360.0), distance);
            if let Some(place) = self.named(point, Some(commune)) {
                return place;
            }
        }
        self.at(centre, commune)
    }

    /// The corridors in use on `date`, by position.
    pub(crate) fn corridors_in_season(&self, date: NaiveDate) -> Vec<usize> {
        self.zones
            .corridors
            .iter()
            .enumerate()
            .filter(|(_, corridor)| corridor.season.contains(date))
            .map(|(position, _)| position)
            .collect()
    }

    /// How many corridors there are.
    pub(crate) fn corridor_count(&self) -> usize {
        self.zones.corridors.len()
    }

    /// A point on corridor `position`: along its centre line (uniform by length), within most
    /// of its buffer; `None` if no such point lies in Mali's box after a few tries.
    pub(crate) fn on_corridor(&self, rng: &mut ChaCha8Rng, position: usize) -> Option<Place> {
        let corridor: &Corridor = &self.zones.corridors[position];
        let lengths = &self.corridor_lengths[position];
        let total = *lengths.last()?;
        if total <= 0.0 {
            return None;
        }
        for _ in 0..8 {
            let along = rng.random_range(0.0..total);
            let segment = lengths.partition_point(|&end| end < along);
            let line = corridor.centerline.lines().nth(segment)?;
            let start_km = if segment == 0 {
                0.0
            } else {
                lengths[segment - 1]
            };
            let span = lengths[segment] - start_km;
            let fraction = if span > 0.0 {
                (along - start_km) / span
            } else {
                0.0
            };
            let on_line = interpolate(line.start, line.end, fraction);
            let offset = corridor.buffer_km * 0.8 * rng.random::<f64>().sqrt();
            let point = destination(on_line, rng.random_range(0.0..360.0), offset);
            if let Some(place) = self.named(point, None) {
                return Some(place);
            }
        }
        None
    }

    /// `point` with the names of the commune that holds it (or `fallback`'s), if the point
    /// is in Mali's box and in or near a commune.
    fn named(&self, point: Coord<f64>, fallback: Option<usize>) -> Option<Place> {
        if !RegionOfInterest::MALI.contains(point.x, point.y) {
            return None;
        }
        let names = match self.index.locate_commune(point.x, point.y) {
            CommuneMatch::Inside(commune) | CommuneMatch::Snapped { commune, .. } => {
                commune as usize
            }
            CommuneMatch::Outside => fallback?,
        };
        Some(Place {
            longitude: point.x,
            latitude: point.y,
            names,
        })
    }

    fn at(&self, point: Coord<f64>, commune: usize) -> Place {
        Place {
            longitude: point.x,
            latitude: point.y,
            names: commune,
        }
    }
}

/// A position drawn with probability proportional to its weight, from running totals.
pub(crate) fn pick_cumulative(rng: &mut ChaCha8Rng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let target = rng.random_range(0.0..total);
    cumulative
        .partition_point(|&running| running <= target)
        .min(cumulative.len() - 1)
}
