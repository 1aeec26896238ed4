//! `vigie zones`: list, import and rebuild the reference geography.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde::Serialize;
use vigie_boundaries::reference::build_reference;
use vigie_boundaries::{ImportOptions, ImportedZones, read_boundaries};
use vigie_domain::{Season, Zone, ZoneId, ZoneLevel, ZoneSet};
use vigie_spatial::codec;
use vigie_spatial::geometry::dissolve_by_parent;

use crate::context::Context;
use crate::geography::GeographySource;

#[derive(Debug, Subcommand)]
pub enum ZonesCommand {
    /// List the zones of one level.
    List {
        /// commune, cercle, region or corridor.
        #[arg(long, default_value = "commune")]
        level: ZoneLevel,
        /// Print a JSON array of {"id","name","level","parent"}.
        #[arg(long)]
        json: bool,
    },
    /// Import a boundary file (GeoJSON or shapefile) as one level of a new zone set.
    Import(ImportArgs),
    /// Publish a zone set to the store: every `vigie serve` on that database reloads it
    /// within seconds, without a restart (PostgreSQL notifies them; SQLite's single process
    /// finds it at its next check). Without FILE, the configured set (`--zones`,
    /// `geography.zones` or the embedded one).
    Publish {
        /// A zone set file, as written by `vigie zones import`.
        file: Option<PathBuf>,
    },
    /// The versions of the zone set the store holds, newest (current) first.
    Versions {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the embedded Mali geography from data/source (run from the repository root).
    BuildReference {
        /// Folder holding the source files listed in data/README.md.
        #[arg(long, default_value = "data/source")]
        source: PathBuf,
        /// Where to write the zone set.
        #[arg(long, default_value = "data/zones/mali-2015.vzs")]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The boundary file: .geojson/.json, or .shp with its .shx, .dbf, .prj (and .cpg).
    file: PathBuf,
    /// The level the features replace: commune, cercle, region or corridor.
    #[arg(long)]
    level: ZoneLevel,
    /// Attribute holding each zone's id (P-code).
    #[arg(long)]
    id_field: String,
    /// Attribute holding each zone's name.
    #[arg(long)]
    name_field: String,
    /// Attribute holding the parent zone's id (cercle of a commune, region of a cercle).
    #[arg(long)]
    parent_field: Option<String>,
    /// Where to write the new zone set (use it with --zones or geography.zones).
    #[arg(long)]
    out: PathBuf,
    /// After a commune import, rebuild cercles and regions by dissolving the communes by
    /// their parent ids (names and parents of existing zones with the same ids are kept).
    #[arg(long)]
    dissolve_parents: bool,
    /// Corridors: buffer in km when a feature has no buffer_km attribute.
    #[arg(long, default_value_t = 20.0)]
    buffer_km: f64,
    /// Corridors: season as MM-DD/MM-DD when a feature has no season_start/season_end.
    #[arg(long, default_value = "10-01/06-30")]
    season: String,
    /// Corridors: mark them approximate when a feature has no approximate attribute.
    #[arg(long)]
    approximate: bool,
    /// Print the per-feature report as JSON.
    #[arg(long)]
    json: bool,
    /// Also publish the new zone set to the store (`--database`), as `vigie zones publish`.
    #[arg(long)]
    publish: bool,
}

#[derive(Serialize)]
struct ListedZone<'a> {
    id: &'a str,
    name: &'a str,
    level: ZoneLevel,
    parent: Option<&'a str>,
}

pub fn run(command: ZonesCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let source = &context.geography;
    match command {
        ZonesCommand::List { level, json } => list(source, level, json),
        ZonesCommand::Import(args) => import(context, args),
        ZonesCommand::Publish { file } => {
            let (bytes, label) = match &file {
                Some(path) => (
                    std::fs::read(path)
                        .with_context(|| format!("cannot read zone set {}", path.display()))?,
                    path.file_name().map_or_else(
                        || path.display().to_string(),
                        |name| name.to_string_lossy().into_owned(),
                    ),
                ),
                None => {
                    let (bytes, label) = source.configured_bytes()?;
                    (bytes.into_owned(), label)
                }
            };
            publish(context, &bytes, &label)
        }
        ZonesCommand::Versions { json } => versions(context, json),
        ZonesCommand::BuildReference {
            source: folder,
            out,
        } => {
            let (zones, summary) = build_reference(&folder).with_context(|| {
                format!("building the reference geography from {}", folder.display())
            })?;
            std::fs::write(&out, codec::encode(&zones))
                .with_context(|| format!("cannot write {}", out.display()))?;
            for line in &summary.repaired_communes {
                eprintln!("repaired {line}");
            }
            eprintln!(
                "wrote {}: {} regions, {} cercles, {} communes ({} names accented), {} corridors",
                out.display(),
                zones.regions.len(),
                zones.cercles.len(),
                zones.communes.len(),
                summary.accented_names,
                zones.corridors.len()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn list(source: &GeographySource, level: ZoneLevel, json: bool) -> anyhow::Result<ExitCode> {
    let zones = source.zone_set()?;
    let listed: Vec<ListedZone> = if level == ZoneLevel::Corridor {
        zones
            .corridors
            .iter()
            .map(|corridor| ListedZone {
                id: corridor.id.as_str(),
                name: &corridor.name,
                level,
                parent: None,
            })
            .collect()
    } else {
        zones
            .zones(level)
            .iter()
            .map(|zone| ListedZone {
                id: zone.id.as_str(),
                name: &zone.name,
                level,
                parent: zone.parent.as_ref().map(ZoneId::as_str),
            })
            .collect()
    };
    if json {
        say!("{}", serde_json::to_string(&listed)?);
    } else {
        for zone in &listed {
            say!("{}\t{}\t{}", zone.id, zone.name, zone.parent.unwrap_or("-"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn publish(context: &Context, bytes: &[u8], label: &str) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let publication = GeographySource::publish(store.as_ref(), bytes, label)?;
    let version = &publication.version;
    if publication.published {
        eprintln!(
            "published {label} as geography version {} (sha256 {})",
            version.version, version.sha256
        );
    } else {
        eprintln!(
            "{label} is already the current geography (version {}): nothing published",
            version.version
        );
    }
    say!("{}", version.version);
    Ok(ExitCode::SUCCESS)
}

fn versions(context: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let versions = store.geography_versions()?;
    if json {
        say!("{}", serde_json::to_string(&versions)?);
    } else {
        for version in &versions {
            say!(
                "{}\t{}\t{}\t{}\t{}",
                version.version,
                version
                    .created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                version.size_bytes,
                &version.sha256[..12.min(version.sha256.len())],
                version.label
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn import(context: &Context, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let source = &context.geography;
    let (start, end) = args
        .season
        .split_once('/')
        .with_context(|| format!("--season {:?}: expected MM-DD/MM-DD", args.season))?;
    let mut options = ImportOptions::new(args.level, &args.id_field, &args.name_field);
    options.parent_field = args.parent_field.clone();
    options.default_buffer_km = args.buffer_km;
    options.default_season = Season {
        start: start
            .parse()
            .with_context(|| format!("--season {:?}", args.season))?,
        end: end
            .parse()
            .with_context(|| format!("--season {:?}", args.season))?,
    };
    options.default_approximate = args.approximate;

    let (imported, report) = read_boundaries(&args.file, &options)?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for line in &report.features {
            say!("{line}");
        }
    }
    eprintln!(
        "{}: {} imported ({} after repair), {} rejected; attributes read as {}",
        args.file.display(),
        report.imported(),
        report.repaired(),
        report.rejected(),
        report.encoding
    );
    if imported.is_empty() {
        bail!("no feature could be imported; the zone set was not written");
    }

    let mut zones = source.zone_set()?;
    match imported {
        ImportedZones::Corridors(corridors) => zones.corridors = corridors,
        ImportedZones::Administrative(imported) => {
            *zones.zones_mut(args.level) = imported;
            if args.level == ZoneLevel::Commune && args.dissolve_parents {
                rebuild_parents(&mut zones);
            }
        }
    }
    for (level, child, parent) in zones.dangling_parents() {
        eprintln!(
            "warning: {level} {child} names parent {parent}, which the zone set does not have"
        );
    }
    let encoded = codec::encode(&zones);
    std::fs::write(&args.out, &encoded)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "wrote {} ({} regions, {} cercles, {} communes, {} corridors)",
        args.out.display(),
        zones.regions.len(),
        zones.cercles.len(),
        zones.communes.len(),
        zones.corridors.len()
    );
    if args.publish {
        let label = args.out.file_name().map_or_else(
            || args.out.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
        return publish(context, &encoded, &label);
    }
    Ok(ExitCode::SUCCESS)
}

/// Cercles and regions as the dissolve of the new communes, keeping what is known of zones
/// whose ids already existed.
fn rebuild_parents(zones: &mut ZoneSet) {
    let rebuild = |children: &[Zone], existing: &[Zone], level: ZoneLevel| -> Vec<Zone> {
        let known: HashMap<&ZoneId, &Zone> = existing.iter().map(|zone| (&zone.id, zone)).collect();
        dissolve_by_parent(children, vigie_boundaries::reference::DISSOLVE_SLIVER_KM2)
            .into_iter()
            .map(|(id, geometry)| {
                let previous = known.get(&id);
                Zone {
                    name: previous.map_or_else(|| id.to_string(), |zone| zone.name.clone()),
                    parent: previous.and_then(|zone| zone.parent.clone()),
                    level,
                    id,
                    geometry,
                }
            })
            .collect()
    };
    let cercles = rebuild(&zones.communes, &zones.cercles, ZoneLevel::Cercle);
    let regions = rebuild(&cercles, &zones.regions, ZoneLevel::Region);
    zones.cercles = cercles;
    zones.regions = regions;
}
