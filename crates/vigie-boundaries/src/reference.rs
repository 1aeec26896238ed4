//! The shipped Mali geography, built from its sources in `data/source/`.
//!
//! Communes come from the OCHA COD-AB 2015 polygons; cercles and regions are their dissolve by
//! parent P-code, so the hierarchy is consistent by construction; display names take their
//! accents from the hierarchy and seat lists where those spell the same name; corridors are
//! lines through the published waypoints, buffered on the sphere and flagged approximate.
//! `vigie zones build-reference` runs this and writes the binary zone set the program embeds.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use geo_types::{Coord, LineString};
use serde::Deserialize;
use thiserror::Error;
use vigie_domain::{Corridor, Season, Zone, ZoneId, ZoneLevel, ZoneSet, fold_name};
use vigie_spatial::geometry::{corridor_area, dissolve_by_parent};

use crate::{BoundaryError, ImportOptions, ImportedZones, read_boundaries};

/// The files the reference set is built from, relative to the source folder.
pub const COMMUNES_FILE: &str = "mli_adm3_communes_ocha2015.geojson";
/// One row per commune with its seat and parents' names.
pub const SEATS_FILE: &str = "mli_communes_ocha2015_seats.csv";
/// Region > cercle > commune names with accents.
pub const HIERARCHY_FILE: &str = "communes_hierarchy_accented_names.json";
/// Transhumance routes as ordered waypoints.
pub const CORRIDORS_FILE: &str = "transhumance_routes_waypoints.csv";

/// Credit line carried by the zone set.
pub const ATTRIBUTION: &str = "Boundaries: OCHA, DNCT Mali, ITOS — COD-AB Mali (HDX), 2015, \
CC BY-IGO. Names: OCHA COD populated places 2015 (CC BY-IGO) and andaletech geo-api-mali (MIT). \
Transhumance corridors: approximate, derived by Vigie from OCHA commune seats.";

/// Corridor buffer when the waypoint file gives none, in kilometres from the centre line.
pub const DEFAULT_CORRIDOR_BUFFER_KM: f64 = 20.0;

/// Holes smaller than this in a dissolved cercle or region are slivers between communes whose
/// borders do not quite meet; they are filled.
pub const DISSOLVE_SLIVER_KM2: f64 = 1.0;

/// Spelling corrections to parent names in the 2015 tables, by P-code.
const NAME_CORRECTIONS: &[(&str, &str)] = &[("ML02", "Koulikoro")];

/// Why the reference set could not be built.
#[derive(Debug, Error)]
pub enum ReferenceError {
    /// The commune polygons could not be read.
    #[error(transparent)]
    Boundaries(#[from] BoundaryError),
    /// A source table could not be read.
    #[error("{path}: {reason}")]
    Source {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A commune polygon was rejected: the shipped set must be complete.
    #[error("commune feature {feature} ({id}) was rejected: {reason}")]
    CommuneRejected {
        /// 1-based feature number.
        feature: usize,
        /// Its id, or `-`.
        id: String,
        /// The reason.
        reason: String,
    },
}

/// What the build did, for the person regenerating the data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReferenceSummary {
    /// Communes whose polygon needed a repair, with the repairs.
    pub repaired_communes: Vec<String>,
    /// Communes whose display name gained accents.
    pub accented_names: usize,
}

#[derive(Debug, Deserialize)]
struct SeatRow {
    #[serde(rename = "admin3Pcode")]
    commune_id: String,
    #[serde(rename = "admin2Pcode")]
    cercle_id: String,
    #[serde(rename = "admin2Name")]
    cercle_name: String,
    #[serde(rename = "admin1Pcode")]
    region_id: String,
    #[serde(rename = "admin1Name")]
    region_name: String,
    seat_name: String,
}

#[derive(Debug, Deserialize)]
struct HierarchyEntry {
    cercle: String,
    commune: String,
}

#[derive(Debug, Deserialize)]
struct WaypointRow {
    route_id: String,
    route_name: String,
    seq: u32,
    lon: f64,
    lat: f64,
}

/// Builds the reference zone set from the files in `source`.
pub fn build_reference(source: &Path) -> Result<(ZoneSet, ReferenceSummary), ReferenceError> {
    let mut options = ImportOptions::new(ZoneLevel::Commune, "admin3Pcod", "admin3Name");
    options.parent_field = Some("admin2Pcod".into());
    let (imported, report) = read_boundaries(&source.join(COMMUNES_FILE), &options)?;
    let mut summary = ReferenceSummary::default();
    for line in &report.features {
        match &line.outcome {
            crate::FeatureOutcome::Rejected { reason } => {
                return Err(ReferenceError::CommuneRejected {
                    feature: line.feature,
                    id: line.id.clone().unwrap_or_else(|| "-".into()),
                    reason: reason.clone(),
                });
            }
            crate::FeatureOutcome::Imported { repairs } if !repairs.is_empty() => {
                summary.repaired_communes.push(format!(
                    "{}: {}",
                    line.id.as_deref().unwrap_or("-"),
                    repairs.join("; ")
                ));
            }
            crate::FeatureOutcome::Imported { .. } => {}
        }
    }
    let ImportedZones::Administrative(mut communes) = imported else {
        unreachable!("a commune import yields administrative zones");
    };

    let seats: Vec<SeatRow> = read_csv(&source.join(SEATS_FILE))?;
    let hierarchy: Vec<HierarchyEntry> = read_json(&source.join(HIERARCHY_FILE))?;
    let mut namer = AccentedNames::new(&seats, &hierarchy);
    for commune in &mut communes {
        let accented = namer.commune(commune.id.as_str(), &commune.name);
        if accented != commune.name {
            summary.accented_names += 1;
            commune.name = accented;
        }
    }
    namer.learn_parent_spellings(&communes);

    let mut cercle_names = BTreeMap::new();
    let mut region_names = BTreeMap::new();
    let mut cercle_region = BTreeMap::new();
    for seat in &seats {
        cercle_names.insert(seat.cercle_id.clone(), seat.cercle_name.clone());
        region_names.insert(seat.region_id.clone(), seat.region_name.clone());
        cercle_region.insert(seat.cercle_id.clone(), seat.region_id.clone());
    }
    let display = |id: &str, names: &BTreeMap<String, String>| -> String {
        if let Some((_, corrected)) = NAME_CORRECTIONS.iter().find(|(code, _)| *code == id) {
            return (*corrected).to_owned();
        }
        let name = names.get(id).cloned().unwrap_or_else(|| id.to_owned());
        namer.parent(&name)
    };

    let cercles: Vec<Zone> = dissolve_by_parent(&communes, DISSOLVE_SLIVER_KM2)
        .into_iter()
        .map(|(id, geometry)| Zone {
            name: display(id.as_str(), &cercle_names),
            parent: cercle_region
                .get(id.as_str())
                .and_then(|region| ZoneId::new(region).ok()),
            level: ZoneLevel::Cercle,
            id,
            geometry,
        })
        .collect();
    let regions: Vec<Zone> = dissolve_by_parent(&cercles, DISSOLVE_SLIVER_KM2)
        .into_iter()
        .map(|(id, geometry)| Zone {
            name: display(id.as_str(), &region_names),
            parent: None,
            level: ZoneLevel::Region,
            id,
            geometry,
        })
        .collect();

    let corridors = build_corridors(&source.join(CORRIDORS_FILE))?;
    Ok((
        ZoneSet {
            name: "mali-cod-ab-2015".into(),
            attribution: ATTRIBUTION.into(),
            regions,
            cercles,
            communes,
            corridors,
        },
        summary,
    ))
}

/// Looks up accented spellings of names that the polygons carry in plain ASCII.
struct AccentedNames<'a> {
    /// Folded commune name → hierarchy entries with that name.
    hierarchy: HashMap<String, Vec<&'a HierarchyEntry>>,
    /// Commune P-code → its seat row.
    seats: HashMap<&'a str, &'a SeatRow>,
    /// Folded name → accented spelling, for cercles and regions.
    parents: HashMap<String, String>,
}

/// Urban communes carry their town's name plus this word in the 2015 polygons
/// ("Segou Commune"); the town's name is what the other lists spell.
const URBAN_SUFFIX: &str = " Commune";

impl<'a> AccentedNames<'a> {
    fn new(seats: &'a [SeatRow], hierarchy: &'a [HierarchyEntry]) -> AccentedNames<'a> {
        let mut by_name: HashMap<String, Vec<&HierarchyEntry>> = HashMap::new();
        for entry in hierarchy {
            by_name
                .entry(fold_name(&entry.commune))
                .or_default()
                .push(entry);
        }
        let mut parents = HashMap::new();
        for entry in hierarchy {
            if !entry.cercle.is_ascii() {
                parents.insert(fold_name(&entry.cercle), entry.cercle.clone());
            }
        }
        AccentedNames {
            hierarchy: by_name,
            seats: seats
                .iter()
                .map(|seat| (seat.commune_id.as_str(), seat))
                .collect(),
            parents,
        }
    }

    /// Towns give their spelling to the cercle or region named after them, where the
    /// hierarchy list has none.
    fn learn_parent_spellings(&mut self, communes: &[Zone]) {
        for commune in communes {
            let town = commune
                .name
                .strip_suffix(URBAN_SUFFIX)
                .unwrap_or(&commune.name);
            if !town.is_ascii() {
                self.parents
                    .entry(fold_name(town))
                    .or_insert_with(|| town.to_owned());
            }
        }
    }

    /// The accented spelling of a commune's name: from the hierarchy list when one entry
    /// (or one in the same cercle) spells the same letters, else from the seat when the seat
    /// bears the commune's name, else the name as given.
    fn commune(&self, id: &str, name: &str) -> String {
        if let Some(town) = name.strip_suffix(URBAN_SUFFIX) {
            return format!("{}{URBAN_SUFFIX}", self.commune(id, town));
        }
        let folded = fold_name(name);
        let seat = self.seats.get(id);
        if let Some(entries) = self.hierarchy.get(&folded) {
            let chosen = match entries.as_slice() {
                [only] => Some(*only),
                several => seat.and_then(|seat| {
                    let cercle = fold_name(&seat.cercle_name);
                    let mut same_cercle = several
                        .iter()
                        .filter(|entry| fold_name(&entry.cercle) == cercle);
                    match (same_cercle.next(), same_cercle.next()) {
                        (Some(entry), None) => Some(*entry),
                        _ => None,
                    }
                }),
            };
            if let Some(entry) = chosen
                && !entry.commune.is_ascii()
            {
                return entry.commune.clone();
            }
        }
        if let Some(seat) = seat
            && !seat.seat_name.is_ascii()
            && fold_name(&seat.seat_name) == folded
        {
            return seat.seat_name.clone();
        }
        name.to_owned()
    }

    /// The accented spelling of a cercle or region name: the hierarchy's cercle spelling, or
    /// the spelling of the town it is named after.
    fn parent(&self, name: &str) -> String {
        self.parents
            .get(&fold_name(name))
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    }
}

fn build_corridors(path: &Path) -> Result<Vec<Corridor>, ReferenceError> {
    let rows: Vec<WaypointRow> = read_csv(path)?;
    /// A route's name and its waypoints with their sequence numbers.
    type Route = (String, Vec<(u32, Coord<f64>)>);
    let mut routes: BTreeMap<String, Route> = BTreeMap::new();
    for row in rows {
        routes
            .entry(row.route_id.clone())
            .or_insert_with(|| (row.route_name.clone(), Vec::new()))
            .1
            .push((
                row.seq,
                Coord {
                    x: row.lon,
                    y: row.lat,
                },
            ));
    }
    routes
        .into_iter()
        .map(|(id, (name, mut waypoints))| {
            waypoints.sort_by_key(|(sequence, _)| *sequence);
            let centerline = LineString(waypoints.into_iter().map(|(_, coord)| coord).collect());
            let id = ZoneId::new(&id).map_err(|error| ReferenceError::Source {
                path: path.to_owned(),
                reason: error.to_string(),
            })?;
            Ok(Corridor {
                id,
                name,
                area: corridor_area(&centerline, DEFAULT_CORRIDOR_BUFFER_KM),
                centerline,
                buffer_km: DEFAULT_CORRIDOR_BUFFER_KM,
                season: Season::default(),
                approximate: true,
            })
        })
        .collect()
}

fn read_csv<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, ReferenceError> {
    let source_error = |reason: String| ReferenceError::Source {
        path: path.to_owned(),
        reason,
    };
    let mut reader =
        csv::Reader::from_path(path).map_err(|error| source_error(error.to_string()))?;
    reader
        .deserialize()
        .enumerate()
        .map(|(row, record)| {
            record.map_err(|error| source_error(format!("row {}: {error}", row + 2)))
        })
        .collect()
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ReferenceError> {
    let source_error = |reason: String| ReferenceError::Source {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|error| source_error(error.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|error| source_error(error.to_string()))
}
