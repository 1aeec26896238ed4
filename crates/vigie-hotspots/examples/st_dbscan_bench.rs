//! ST-DBSCAN and Gi* figures for `scripts/bench-hotspots.sh`, printed, never asserted.
//!
//! ```text
//! st_dbscan_bench generate --count N --seed S --out points.csv
//! st_dbscan_bench run --points points.csv [--eps-km K] [--eps-days D] [--min-points M]
//!                     [--spatial-only] [--labels-out FILE]
//! st_dbscan_bench gi
//! ```
//!
//! `generate` writes `longitude,latitude,day` rows from [`vigie_hotspots::sample`];
//! `run` clusters them once and prints one JSON object (time, clusters, noise, peak memory);
//! with `--spatial-only` every point is put on the same day, which makes ST-DBSCAN plain
//! DBSCAN on the sphere: the problem scikit-learn's haversine DBSCAN solves. `gi` times
//! commune adjacency and Gi* on the Mali 2015 communes.

use std::io::{BufRead, BufWriter, Write};
use std::time::Instant;

use vigie_domain::ZoneSet;
use vigie_hotspots::sample::space_time_points;
use vigie_hotspots::{
    AdjacencyOptions, CommuneAdjacency, PointRole, SpaceTimePoint, StDbscanParameters,
    getis_ord_gi_star, st_dbscan,
};

fn zones() -> ZoneSet {
    vigie_spatial::codec::decode(include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/zones/mali-2015.vzs"
    )))
    .expect("the embedded zone set decodes")
}

/// Peak resident memory of this process so far, from /proc (Linux only).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kilobytes: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes / 1024.0)
}

fn option<'a>(arguments: &'a [String], name: &str) -> Option<&'a str> {
    arguments
        .iter()
        .position(|argument| argument == name)
        .and_then(|position| arguments.get(position + 1))
        .map(String::as_str)
}

fn parsed<T: std::str::FromStr>(arguments: &[String], name: &str, default: T) -> T {
    option(arguments, name).map_or(default, |text| {
        text.parse()
            .unwrap_or_else(|_| panic!("{name}: cannot parse {text:?}"))
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match arguments.first().map(String::as_str) {
        Some("generate") => generate(&arguments),
        Some("run") => run(&arguments),
        Some("gi") => gi(),
        _ => {
            eprintln!("usage: st_dbscan_bench generate|run|gi [options] (see the source)");
            std::process::exit(2);
        }
    }
}

fn generate(arguments: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = parsed(arguments, "--count", 1_000_000);
    let seed: u64 = parsed(arguments, "--seed", 42);
    let out = option(arguments, "--out").ok_or("--out FILE is required")?;
    // Ten years of events.
    let points = space_time_points(&zones(), count, seed, 0, 3650);
    let mut writer = BufWriter::new(std::fs::File::create(out)?);
    writeln!(writer, "longitude,latitude,day")?;
    for point in &points {
        writeln!(
            writer,
            "{:.6},{:.6},{}",
            point.longitude(),
            point.latitude(),
            point.day()
        )?;
    }
    writer.flush()?;
    Ok(())
}

fn run(arguments: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let path = option(arguments, "--points").ok_or("--points FILE is required")?;
    let spatial_only = arguments
        .iter()
        .any(|argument| argument == "--spatial-only");
    let parameters = StDbscanParameters::new(
        parsed(arguments, "--eps-km", StDbscanParameters::DEFAULT_EPS_KM),
        parsed(
            arguments,
            "--eps-days",
            StDbscanParameters::DEFAULT_EPS_DAYS,
        ),
        parsed(
            arguments,
            "--min-points",
            StDbscanParameters::DEFAULT_MIN_POINTS,
        ),
    )?;

    let started = Instant::now();
    let reader = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut points = Vec::new();
    for line in reader.lines().skip(1) {
        let line = line?;
        let mut fields = line.split(',');
        let mut next = || fields.next().ok_or("short row");
        let longitude: f64 = next()?.parse()?;
        let latitude: f64 = next()?.parse()?;
        let day: i32 = next()?.parse()?;
        points.push(SpaceTimePoint::new(
            longitude,
            latitude,
            if spatial_only { 0 } else { day },
        ));
    }
    let load_seconds = started.elapsed().as_secs_f64();
    let peak_after_load = peak_rss_mb();

    let started = Instant::now();
    let clustering = st_dbscan(&points, &parameters);
    let cluster_seconds = started.elapsed().as_secs_f64();
    let peak_after_clustering = peak_rss_mb();

    let core = clustering
        .roles
        .iter()
        .filter(|role| matches!(role, PointRole::Core(_)))
        .count();
    if let Some(out) = option(arguments, "--labels-out") {
        // One line per point: cluster (−1 for noise) and 1 for core events.
        let mut writer = BufWriter::new(std::fs::File::create(out)?);
        for role in &clustering.roles {
            match role {
                PointRole::Core(cluster) => writeln!(writer, "{cluster},1")?,
                PointRole::Border(cluster) => writeln!(writer, "{cluster},0")?,
                PointRole::Noise => writeln!(writer, "-1,0")?,
            }
        }
        writer.flush()?;
    }
    let figures = serde_json::json!({
        "tool": "vigie",
        "points": points.len(),
        "spatial_only": spatial_only,
        "eps_km": parameters.eps_km(),
        "eps_days": parameters.eps_days(),
        "min_points": parameters.min_points(),
        "load_seconds": load_seconds,
        "cluster_seconds": cluster_seconds,
        "clusters": clustering.cluster_count,
        "noise": clustering.noise_count(),
        "core": core,
        "peak_rss_mb_after_load": peak_after_load,
        "peak_rss_mb": peak_after_clustering,
    });
    println!("{figures}");
    Ok(())
}

fn gi() -> Result<(), Box<dyn std::error::Error>> {
    let zones = zones();
    let mut adjacency_ms = Vec::new();
    let mut adjacency = None;
    for _ in 0..5 {
        let started = Instant::now();
        adjacency = Some(CommuneAdjacency::from_zones(
            &zones.communes,
            AdjacencyOptions::default(),
        ));
        adjacency_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let adjacency = adjacency.expect("built");
    let counts: Vec<f64> = (0..adjacency.len())
        .map(|position| ((position * 7919) % 23) as f64)
        .collect();
    let mut gi_ms = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        std::hint::black_box(getis_ord_gi_star(&counts, &adjacency, 0.05)?);
        gi_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    adjacency_ms.sort_by(f64::total_cmp);
    gi_ms.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "communes": adjacency.len(),
            "neighbour_pairs": adjacency.pair_count(),
            "adjacency_ms_median": adjacency_ms[adjacency_ms.len() / 2],
            "gi_ms_median": gi_ms[gi_ms.len() / 2],
            "gi_ms_max": gi_ms[gi_ms.len() - 1],
        })
    );
    Ok(())
}
