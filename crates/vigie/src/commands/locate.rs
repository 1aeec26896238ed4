//! `vigie locate`: one point, or every row of a CSV file, placed in communes and corridors.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use vigie_domain::{LocateStatus, ZoneSet};
use vigie_spatial::{Location, SpatialIndex};

use crate::geography::GeographySource;

#[derive(Debug, Args)]
pub struct LocateArgs {
    /// Longitude of the point (WGS84 degrees).
    #[arg(
        long,
        allow_negative_numbers = true,
        requires = "lat",
        conflicts_with = "csv"
    )]
    lon: Option<f64>,
    /// Latitude of the point (WGS84 degrees).
    #[arg(long, allow_negative_numbers = true, requires = "lon")]
    lat: Option<f64>,
    /// Locate every row of this CSV file instead; the output is the same CSV with
    /// commune_id, commune_name, cercle_id, region_id, corridor_ids and locate_status appended.
    #[arg(long, value_name = "IN.csv")]
    csv: Option<PathBuf>,
    /// Column holding longitudes in the CSV.
    #[arg(long, default_value = "longitude")]
    lon_col: String,
    /// Column holding latitudes in the CSV.
    #[arg(long, default_value = "latitude")]
    lat_col: String,
    /// Output CSV (default: standard output).
    #[arg(long, value_name = "OUT.csv")]
    out: Option<PathBuf>,
    /// Print the point's location as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct NamedZone<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct CorridorAnswer<'a> {
    id: &'a str,
    name: &'a str,
    distance_km: f64,
    approximate: bool,
}

#[derive(Serialize)]
struct LocateAnswer<'a> {
    status: LocateStatus,
    commune: Option<NamedZone<'a>>,
    cercle: Option<NamedZone<'a>>,
    region: Option<NamedZone<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapped_km: Option<f64>,
    corridors: Vec<CorridorAnswer<'a>>,
}

/// Rounds to 0.1 km: corridor centre lines are approximate to within kilometres, and snapping
/// distances need no more.
fn round_km(distance_km: f64) -> f64 {
    (distance_km * 10.0).round() / 10.0
}

fn answer<'a>(zones: &'a ZoneSet, location: &Location) -> LocateAnswer<'a> {
    let named = |zone: &'a vigie_domain::Zone| NamedZone {
        id: zone.id.as_str(),
        name: &zone.name,
    };
    LocateAnswer {
        status: location.status,
        commune: location
            .commune
            .map(|position| named(&zones.communes[position as usize])),
        cercle: location
            .cercle
            .map(|position| named(&zones.cercles[position as usize])),
        region: location
            .region
            .map(|position| named(&zones.regions[position as usize])),
        snapped_km: location.snapped_km.map(round_km),
        corridors: location
            .corridors
            .iter()
            .map(|hit| {
                let corridor = &zones.corridors[hit.corridor as usize];
                CorridorAnswer {
                    id: corridor.id.as_str(),
                    name: &corridor.name,
                    distance_km: round_km(hit.distance_km),
                    approximate: corridor.approximate,
                }
            })
            .collect(),
    }
}

pub fn run(args: LocateArgs, source: &GeographySource) -> anyhow::Result<ExitCode> {
    let geography = source.load()?;
    if let Some(input) = &args.csv {
        return locate_csv(&geography.index, &geography.zones, input, &args);
    }
    let (Some(lon), Some(lat)) = (args.lon, args.lat) else {
        bail!("give --lon and --lat, or --csv FILE");
    };
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        bail!("({lon}, {lat}) is not a WGS84 longitude/latitude");
    }
    let location = geography.index.locate(lon, lat);
    let answer = answer(&geography.zones, &location);
    if args.json {
        say!("{}", serde_json::to_string(&answer)?);
    } else {
        let describe = |zone: &Option<NamedZone>| {
            zone.as_ref()
                .map_or("-".to_owned(), |zone| format!("{} {}", zone.id, zone.name))
        };
        say!("status:   {}", answer.status.as_str());
        say!("commune:  {}", describe(&answer.commune));
        say!("cercle:   {}", describe(&answer.cercle));
        say!("region:   {}", describe(&answer.region));
        if let Some(km) = answer.snapped_km {
            say!("snapped:  {km} km from the commune's boundary");
        }
        for corridor in &answer.corridors {
            say!(
                "corridor: {} {} ({} km from its centre line{})",
                corridor.id,
                corridor.name,
                corridor.distance_km,
                if corridor.approximate {
                    ", approximate route"
                } else {
                    ""
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Streams the CSV row by row (constant memory). Rows whose coordinates cannot be read are
/// kept, with `locate_status` = `invalid`: no row is ever dropped.
fn locate_csv(
    index: &SpatialIndex,
    zones: &ZoneSet,
    input: &PathBuf,
    args: &LocateArgs,
) -> anyhow::Result<ExitCode> {
    let file =
        std::fs::File::open(input).with_context(|| format!("cannot open {}", input.display()))?;
    let total_bytes = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let headers = reader
        .byte_headers()
        .with_context(|| format!("{}: cannot read the header row", input.display()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|header| header == name.as_bytes())
            .with_context(|| {
                format!(
                    "{}: no column {name:?}; columns: {}",
                    input.display(),
                    headers
                        .iter()
                        .map(String::from_utf8_lossy)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    };
    let lon_column = column(&args.lon_col)?;
    let lat_column = column(&args.lat_col)?;

    let sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(std::io::BufWriter::with_capacity(1 << 20, sink));
    let mut header_out = headers.clone();
    for added in [
        "commune_id",
        "commune_name",
        "cercle_id",
        "region_id",
        "corridor_ids",
        "locate_status",
    ] {
        header_out.push_field(added.as_bytes());
    }
    writer.write_byte_record(&header_out)?;

    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

    let started = Instant::now();
    let mut record = csv::ByteRecord::new();
    let mut rows: u64 = 0;
    let mut invalid: u64 = 0;
    let mut corridor_ids = String::new();
    let parse = |bytes: Option<&[u8]>| -> Option<f64> {
        std::str::from_utf8(bytes?)
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite())
    };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => bail!("{}: {error}", input.display()),
        }
        rows += 1;
        let lon = parse(record.get(lon_column));
        let lat = parse(record.get(lat_column));
        let location = match (lon, lat) {
            (Some(lon), Some(lat))
                if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
            {
                Some(index.locate(lon, lat))
            }
            _ => None,
        };
        match location {
            Some(location) => {
                let commune = location
                    .commune
                    .map(|position| &zones.communes[position as usize]);
                corridor_ids.clear();
                for (position, hit) in location.corridors.iter().enumerate() {
                    if position > 0 {
                        corridor_ids.push(';');
                    }
                    corridor_ids.push_str(zones.corridors[hit.corridor as usize].id.as_str());
                }
                record.push_field(commune.map_or("", |zone| zone.id.as_str()).as_bytes());
                record.push_field(commune.map_or("", |zone| zone.name.as_str()).as_bytes());
                record.push_field(
                    location
                        .cercle
                        .map_or("", |position| zones.cercles[position as usize].id.as_str())
                        .as_bytes(),
                );
                record.push_field(
                    location
                        .region
                        .map_or("", |position| zones.regions[position as usize].id.as_str())
                        .as_bytes(),
                );
                record.push_field(corridor_ids.as_bytes());
                record.push_field(location.status.as_str().as_bytes());
            }
            None => {
                invalid += 1;
                for _ in 0..5 {
                    record.push_field(b"");
                }
                record.push_field(b"invalid");
            }
        }
        writer.write_byte_record(&record)?;
        if rows.is_multiple_of(65_536) {
            progress.set_position(reader.position().byte());
        }
    }
    writer.flush()?;
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "located {rows} rows in {seconds:.2} s ({:.0} rows/s); {invalid} without valid coordinates",
        rows as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}
