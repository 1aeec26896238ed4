//! Format-neutral features and the turning of them into zones, with the per-feature report.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::path::Path;

use geo_types::{Coord, LineString};
use serde::Serialize;
use vigie_domain::{Corridor, MonthDay, Season, Zone, ZoneId, ZoneLevel};
use vigie_spatial::geometry::{RawPolygon, corridor_area, repair_rings};

use crate::BoundaryError;

/// A feature as read from a file, before validation.
#[derive(Debug, Clone)]
pub(crate) struct RawFeature {
    /// 1-based position in the file.
    pub number: usize,
    /// Attribute values as text; `None` for nulls.
    pub properties: BTreeMap<String, Option<String>>,
    pub geometry: RawGeometry,
}

/// A feature's geometry with rings as the file gave them (possibly unclosed or repeated).
#[derive(Debug, Clone)]
pub(crate) enum RawGeometry {
    /// Polygons: exterior ring then holes, each.
    Polygons(Vec<RawPolygon>),
    /// Lines, for corridors.
    Lines(Vec<Vec<Coord<f64>>>),
    /// Points or anything else that bounds no area, by type name.
    Other(&'static str),
    /// No geometry (JSON null, shapefile null shape).
    Missing,
}

/// What to read from each feature.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// The level the features become.
    pub level: ZoneLevel,
    /// The attribute holding the zone id (e.g. `admin3Pcod`).
    pub id_field: String,
    /// The attribute holding the display name (e.g. `admin3Name`).
    pub name_field: String,
    /// The attribute holding the parent's id (e.g. `admin2Pcod`), if any.
    pub parent_field: Option<String>,
    /// Corridors: buffer distance used when a feature has no `buffer_km` attribute.
    pub default_buffer_km: f64,
    /// Corridors: season used when a feature has no `season_start`/`season_end` attributes.
    pub default_season: Season,
    /// Corridors: the approximate flag used when a feature has no `approximate` attribute.
    pub default_approximate: bool,
}

impl ImportOptions {
    /// Options for `level` with the given id and name fields, no parent, and corridor
    /// defaults of 20 km, 1 October – 30 June, not approximate.
    pub fn new(level: ZoneLevel, id_field: &str, name_field: &str) -> ImportOptions {
        ImportOptions {
            level,
            id_field: id_field.to_owned(),
            name_field: name_field.to_owned(),
            parent_field: None,
            default_buffer_km: 20.0,
            default_season: Season::default(),
            default_approximate: false,
        }
    }
}

/// The zones a file produced.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportedZones {
    /// Communes, cercles or regions.
    Administrative(Vec<Zone>),
    /// Corridors.
    Corridors(Vec<Corridor>),
}

impl ImportedZones {
    /// How many zones were produced.
    pub fn len(&self) -> usize {
        match self {
            ImportedZones::Administrative(zones) => zones.len(),
            ImportedZones::Corridors(corridors) => corridors.len(),
        }
    }

    /// Whether no zone was produced.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What happened to one feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum FeatureOutcome {
    /// Imported, with the repairs made to its geometry (empty if none).
    Imported {
        /// Human-readable repairs.
        repairs: Vec<String>,
    },
    /// Left out, with the reason.
    Rejected {
        /// Human-readable reason.
        reason: String,
    },
}

/// The report line of one feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureReport {
    /// 1-based position of the feature in the file.
    pub feature: usize,
    /// The id read from the feature, when there was one.
    pub id: Option<String>,
    /// Imported or rejected.
    #[serde(flatten)]
    pub outcome: FeatureOutcome,
}

impl fmt::Display for FeatureReport {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.id.as_deref().unwrap_or("-");
        match &self.outcome {
            FeatureOutcome::Imported { repairs } if repairs.is_empty() => {
                write!(formatter, "feature {} ({id}): imported", self.feature)
            }
            FeatureOutcome::Imported { repairs } => write!(
                formatter,
                "feature {} ({id}): imported after repair: {}",
                self.feature,
                repairs.join("; ")
            ),
            FeatureOutcome::Rejected { reason } => {
                write!(
                    formatter,
                    "feature {} ({id}): rejected: {reason}",
                    self.feature
                )
            }
        }
    }
}

/// Every feature's fate, in file order.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ImportReport {
    /// One line per feature.
    pub features: Vec<FeatureReport>,
    /// The character encoding the attributes were decoded with.
    pub encoding: String,
}

impl ImportReport {
    /// Features imported (with or without repair).
    pub fn imported(&self) -> usize {
        self.count(|outcome| matches!(outcome, FeatureOutcome::Imported { .. }))
    }

    /// Features imported after a repair.
    pub fn repaired(&self) -> usize {
        self.count(|outcome| matches!(outcome, FeatureOutcome::Imported { repairs } if !repairs.is_empty()))
    }

    /// Features rejected.
    pub fn rejected(&self) -> usize {
        self.count(|outcome| matches!(outcome, FeatureOutcome::Rejected { .. }))
    }

    fn count(&self, predicate: impl Fn(&FeatureOutcome) -> bool) -> usize {
        self.features
            .iter()
            .filter(|line| predicate(&line.outcome))
            .count()
    }
}

/// Validates features into zones: the shared back half of every reader.
pub(crate) fn build_zones(
    path: &Path,
    (features, encoding): (Vec<RawFeature>, String),
    options: &ImportOptions,
) -> Result<(ImportedZones, ImportReport), BoundaryError> {
    if features.is_empty() {
        return Err(BoundaryError::NoFeatures {
            path: path.to_owned(),
        });
    }
    let mut fields_required = vec![&options.id_field, &options.name_field];
    fields_required.extend(options.parent_field.as_ref());
    let available: BTreeSet<&String> = features
        .iter()
        .flat_map(|feature| feature.properties.keys())
        .collect();
    for field in fields_required {
        if !available.contains(field) {
            return Err(BoundaryError::MissingField {
                path: path.to_owned(),
                field: field.clone(),
                available: available
                    .iter()
                    .map(|name| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }

    let mut report = ImportReport {
        features: Vec::with_capacity(features.len()),
        encoding,
    };
    let mut zones = Vec::new();
    let mut corridors = Vec::new();
    let mut seen = HashSet::new();
    for feature in features {
        let id_text = text_of(&feature, &options.id_field);
        let outcome = match convert(&feature, options, &mut seen) {
            Ok((Converted::Zone(zone), repairs)) => {
                zones.push(zone);
                FeatureOutcome::Imported { repairs }
            }
            Ok((Converted::Corridor(corridor), repairs)) => {
                corridors.push(corridor);
                FeatureOutcome::Imported { repairs }
            }
            Err(reason) => FeatureOutcome::Rejected { reason },
        };
        report.features.push(FeatureReport {
            feature: feature.number,
            id: id_text,
            outcome,
        });
    }
    let imported = if options.level == ZoneLevel::Corridor {
        corridors.sort_by(|a: &Corridor, b| a.id.cmp(&b.id));
        ImportedZones::Corridors(corridors)
    } else {
        zones.sort_by(|a: &Zone, b| a.id.cmp(&b.id));
        ImportedZones::Administrative(zones)
    };
    Ok((imported, report))
}

enum Converted {
    Zone(Zone),
    Corridor(Corridor),
}

fn text_of(feature: &RawFeature, field: &str) -> Option<String> {
    feature
        .properties
        .get(field)
        .cloned()
        .flatten()
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

fn convert(
    feature: &RawFeature,
    options: &ImportOptions,
    seen: &mut HashSet<ZoneId>,
) -> Result<(Converted, Vec<String>), String> {
    let id_text = text_of(feature, &options.id_field)
        .ok_or_else(|| format!("the id field {:?} is empty", options.id_field))?;
    let id = ZoneId::new(&id_text).map_err(|error| error.to_string())?;
    if seen.contains(&id) {
        return Err(format!("duplicate id {id}: an earlier feature has it"));
    }
    let name = text_of(feature, &options.name_field)
        .ok_or_else(|| format!("the name field {:?} is empty", options.name_field))?;
    let converted = if options.level == ZoneLevel::Corridor {
        convert_corridor(feature, options, id.clone(), name)?
    } else {
        let parent = match &options.parent_field {
            Some(field) => Some(
                ZoneId::new(
                    &text_of(feature, field)
                        .ok_or_else(|| format!("the parent field {field:?} is empty"))?,
                )
                .map_err(|error| error.to_string())?,
            ),
            None => None,
        };
        let rings = match &feature.geometry {
            RawGeometry::Polygons(rings) => rings.clone(),
            RawGeometry::Lines(_) => {
                return Err("expected a Polygon or MultiPolygon, found a line".into());
            }
            RawGeometry::Other(kind) => {
                return Err(format!(
                    "expected a Polygon or MultiPolygon, found a {kind}"
                ));
            }
            RawGeometry::Missing => return Err("the geometry is empty".into()),
        };
        let repaired = repair_rings(rings).map_err(|error| error.to_string())?;
        (
            Converted::Zone(Zone {
                id: id.clone(),
                name,
                level: options.level,
                parent,
                geometry: repaired.geometry,
            }),
            repaired.notes.iter().map(ToString::to_string).collect(),
        )
    };
    seen.insert(id);
    Ok(converted)
}

fn convert_corridor(
    feature: &RawFeature,
    options: &ImportOptions,
    id: ZoneId,
    name: String,
) -> Result<(Converted, Vec<String>), String> {
    let lines = match &feature.geometry {
        RawGeometry::Lines(lines) => lines,
        RawGeometry::Polygons(_) => {
            return Err(
                "a corridor must be a LineString (its centre line), found a polygon".into(),
            );
        }
        RawGeometry::Other(kind) => {
            return Err(format!("a corridor must be a LineString, found a {kind}"));
        }
        RawGeometry::Missing => return Err("the geometry is empty".into()),
    };
    let mut repairs = Vec::new();
    let mut coords: Vec<Coord<f64>> = Vec::new();
    for line in lines {
        for &coord in line {
            if !(coord.x.is_finite() && coord.y.is_finite()) {
                return Err("a coordinate is not a finite number".into());
            }
            if !(-180.0..=180.0).contains(&coord.x) || !(-90.0..=90.0).contains(&coord.y) {
                return Err(format!(
                    "coordinate ({}, {}) is outside WGS84 degree ranges (projected coordinates?)",
                    coord.x, coord.y
                ));
            }
            if coords.last() == Some(&coord) {
                continue;
            }
            coords.push(coord);
        }
    }
    if lines.len() > 1 {
        repairs.push(format!("joined {} line parts end to end", lines.len()));
    }
    if coords.is_empty() {
        return Err("the geometry is empty".into());
    }
    let buffer_km = match text_of(feature, "buffer_km") {
        Some(text) => text
            .parse::<f64>()
            .map_err(|_| format!("buffer_km {text:?} is not a number"))?,
        None => options.default_buffer_km,
    };
    let buffer_km = Corridor::validate_buffer_km(buffer_km).map_err(|error| error.to_string())?;
    // dBase field names stop at 10 characters: a shapefile can only carry `season_sta` and
    // `approximat`, so the truncated names are read too.
    let season_part = |field: &str, short: &str, default: MonthDay| -> Result<MonthDay, String> {
        match text_of(feature, field).or_else(|| text_of(feature, short)) {
            Some(text) => text
                .parse()
                .map_err(|error: vigie_domain::DomainError| format!("{field}: {error}")),
            None => Ok(default),
        }
    };
    let season = Season {
        start: season_part("season_start", "season_sta", options.default_season.start)?,
        end: season_part("season_end", "season_end", options.default_season.end)?,
    };
    let approximate = match text_of(feature, "approximate")
        .or_else(|| text_of(feature, "approximat"))
        .as_deref()
    {
        Some("true" | "1" | "yes") => true,
        Some("false" | "0" | "no") => false,
        Some(other) => return Err(format!("approximate {other:?} is not true or false")),
        None => options.default_approximate,
    };
    let centerline = LineString(coords);
    let area = corridor_area(&centerline, buffer_km);
    Ok((
        Converted::Corridor(Corridor {
            id,
            name,
            centerline,
            buffer_km,
            season,
            approximate,
            area,
        }),
        repairs,
    ))
}
