//! `vigie bench`: figures for the spatial index, ingestion, delivery and the live stream,
//! printed, never asserted.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Subcommand;
use serde::Serialize;
use vigie_domain::LocateStatus;
use vigie_spatial::naive::NaiveIndex;
use vigie_spatial::sample::benchmark_points;
use vigie_spatial::{CommuneMatch, SpatialIndex};

use crate::context::Context;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// From events ingested to SMS requests leaving the dispatcher: p50 and p99 latency over
    /// warnings fanned out to committee members (SQLite, a local JSON SMS gateway, grouping
    /// waits at zero).
    Deliver {
        /// Warnings to cause (two rules over `warnings / 2` communes; at most 1402).
        #[arg(long, default_value_t = 1000)]
        warnings: u64,
        /// Committee members, spread over nine regional committees.
        #[arg(long, default_value_t = 200)]
        recipients: usize,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ingestion throughput: parse only, then parse + locate + store into a fresh SQLite
    /// file, then the same file again (every event unchanged).
    Ingest {
        /// Rows to generate (ignored with --file).
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Seed for the generated file.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// An ACLED file to use instead of generating one.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Where to put the generated file and the throwaway database (default: a temporary
        /// directory, removed afterwards).
        #[arg(long)]
        work_dir: Option<PathBuf>,
        /// Timed parse-only passes; the best is reported.
        #[arg(long, default_value_t = 3)]
        passes: usize,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Batch locate throughput, index build time and memory on the configured geography.
    Locate {
        /// Points to generate (ignored with --points-file).
        #[arg(long, default_value_t = 1_000_000)]
        points: usize,
        /// Seed for generated points.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Read points from a CSV (id,longitude,latitude), e.g. one made by `vigie gen points`,
        /// so that peers can be measured on the same input.
        #[arg(long)]
        points_file: Option<PathBuf>,
        /// Timed passes over the points; the best and the median are reported.
        #[arg(long, default_value_t = 5)]
        passes: usize,
        /// Also time the naive R-tree + geo baseline.
        #[arg(long)]
        baseline: bool,
        /// Points checked against the brute-force answer.
        #[arg(long, default_value_t = 20_000)]
        verify: usize,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Live-stream delivery: many SSE clients on a running `vigie serve` (same database),
    /// new events imported here, p50/p99/max delay from ingestion to each client.
    Sse(super::bench_sse::SseArgs),
}

#[derive(Debug, Serialize)]
struct LocateFigures {
    points: usize,
    communes: usize,
    corridors: usize,
    build_ms_min: f64,
    build_ms_median: f64,
    load_and_build_ms: f64,
    index_heap_mb: f64,
    max_rss_mb: Option<f64>,
    cell_degrees: f64,
    coarse_pure: usize,
    coarse_split: usize,
    coarse_near: usize,
    coarse_far: usize,
    fine_pure: usize,
    fine_mixed: usize,
    fine_near: usize,
    locate_mpts_best: f64,
    locate_mpts_median: f64,
    commune_only_mpts_best: f64,
    naive_mpts: Option<f64>,
    inside: usize,
    snapped: usize,
    outside: usize,
    with_corridor: usize,
    verified: usize,
    mismatches: usize,
}

pub fn run(command: BenchCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let source = &context.geography;
    let (points, seed, points_file, passes, baseline, verify, json) = match command {
        BenchCommand::Locate {
            points,
            seed,
            points_file,
            passes,
            baseline,
            verify,
            json,
        } => (points, seed, points_file, passes, baseline, verify, json),
        BenchCommand::Ingest {
            rows,
            seed,
            file,
            work_dir,
            passes,
            json,
        } => return bench_ingest(context, rows, seed, file, work_dir, passes, json),
        BenchCommand::Deliver {
            warnings,
            recipients,
            json,
        } => return super::bench_delivery::bench_deliver(context, warnings, recipients, json),
        BenchCommand::Sse(args) => return super::bench_sse::bench_sse(args, context),
    };
    let load_started = Instant::now();
    let geography = source.load()?;
    let load_and_build = load_started.elapsed();
    let zones = &geography.zones;

    let mut build_times: Vec<Duration> = (0..15)
        .map(|_| {
            SpatialIndex::build(zones, source.index_options())
                .stats()
                .build_time
        })
        .collect();
    build_times.sort();
    let index = SpatialIndex::build(zones, source.index_options());
    let stats = index.stats();

    let coords: Vec<(f64, f64)> = match &points_file {
        Some(path) => read_points(path)?,
        None => benchmark_points(zones, points, seed)
            .into_iter()
            // The same rounding as `vigie gen points`, so files and memory agree.
            .map(|point| (round6(point.x), round6(point.y)))
            .collect(),
    };

    let mut rates = Vec::new();
    let mut census = (0, 0, 0, 0);
    let mut locations = Vec::with_capacity(coords.len());
    for pass in 0..passes.max(1) {
        let started = Instant::now();
        let mut counts = (0usize, 0usize, 0usize, 0usize);
        index.locate_batch(&coords, &mut locations);
        for location in &locations {
            match location.status {
                LocateStatus::Inside => counts.0 += 1,
                LocateStatus::Snapped => counts.1 += 1,
                LocateStatus::Outside => counts.2 += 1,
            }
            counts.3 += usize::from(!location.corridors.is_empty());
        }
        rates.push(coords.len() as f64 / started.elapsed().as_secs_f64() / 1e6);
        if pass == 0 {
            census = counts;
        }
    }
    rates.sort_by(f64::total_cmp);

    let mut commune_rates = Vec::new();
    for _ in 0..passes.max(1) {
        let started = Instant::now();
        let mut found = 0usize;
        for &(lon, lat) in &coords {
            found += usize::from(!matches!(
                index.locate_commune(lon, lat),
                CommuneMatch::Outside
            ));
        }
        std::hint::black_box(found);
        commune_rates.push(coords.len() as f64 / started.elapsed().as_secs_f64() / 1e6);
    }
    commune_rates.sort_by(f64::total_cmp);

    let naive_rate = baseline.then(|| {
        let naive = NaiveIndex::build(zones);
        let started = Instant::now();
        let mut found = 0usize;
        for &(lon, lat) in &coords {
            found += usize::from(naive.locate(geo_types::Coord { x: lon, y: lat }).is_some());
        }
        std::hint::black_box(found);
        coords.len() as f64 / started.elapsed().as_secs_f64() / 1e6
    });

    let verified = verify.min(coords.len());
    let mismatches = coords[..verified]
        .iter()
        .filter(|&&(lon, lat)| index.locate(lon, lat) != index.locate_brute_force(lon, lat))
        .count();

    let figures = LocateFigures {
        points: coords.len(),
        communes: zones.communes.len(),
        corridors: zones.corridors.len(),
        build_ms_min: build_times[0].as_secs_f64() * 1e3,
        build_ms_median: build_times[build_times.len() / 2].as_secs_f64() * 1e3,
        load_and_build_ms: load_and_build.as_secs_f64() * 1e3,
        index_heap_mb: stats.heap_bytes as f64 / 1e6,
        max_rss_mb: max_rss_mb(),
        cell_degrees: stats.cell_degrees,
        coarse_pure: stats.cells.coarse_pure,
        coarse_split: stats.cells.coarse_split,
        coarse_near: stats.cells.coarse_near,
        coarse_far: stats.cells.coarse_far,
        fine_pure: stats.cells.fine_pure,
        fine_mixed: stats.cells.fine_mixed,
        fine_near: stats.cells.fine_near,
        locate_mpts_best: rates[rates.len() - 1],
        locate_mpts_median: rates[rates.len() / 2],
        commune_only_mpts_best: commune_rates[commune_rates.len() - 1],
        naive_mpts: naive_rate,
        inside: census.0,
        snapped: census.1,
        outside: census.2,
        with_corridor: census.3,
        verified,
        mismatches,
    };
    if json {
        say!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        print_figures(&figures)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_figures(figures: &LocateFigures) -> anyhow::Result<()> {
    say!(
        "vigie locate benchmark — {} points, one thread",
        figures.points
    );
    say!(
        "  geography        {} communes, {} corridors",
        figures.communes,
        figures.corridors
    );
    say!(
        "  index build      {:.1} ms (min), {:.1} ms (median); decode + build {:.1} ms",
        figures.build_ms_min,
        figures.build_ms_median,
        figures.load_and_build_ms
    );
    say!(
        "  memory           index {:.1} MB on the heap; process peak {}",
        figures.index_heap_mb,
        figures
            .max_rss_mb
            .map_or("unknown".to_owned(), |mb| format!("{mb:.1} MB"))
    );
    say!(
        "  grid (coarse)    {}° cells: {} pure, {} split, {} near, {} far",
        figures.cell_degrees * 8.0,
        figures.coarse_pure,
        figures.coarse_split,
        figures.coarse_near,
        figures.coarse_far
    );
    say!(
        "  grid (fine)      {}° cells in blocks: {} pure, {} boundary, {} outside",
        figures.cell_degrees,
        figures.fine_pure,
        figures.fine_mixed,
        figures.fine_near
    );
    say!(
        "  locate           {:.2} M points/s (best), {:.2} M points/s (median) — commune + corridors",
        figures.locate_mpts_best,
        figures.locate_mpts_median
    );
    say!(
        "  commune only     {:.2} M points/s (best)",
        figures.commune_only_mpts_best
    );
    if let Some(rate) = figures.naive_mpts {
        say!(
            "  naive baseline   {rate:.2} M points/s (rstar envelopes + geo Contains) → {:.1}x",
            figures.locate_mpts_best / rate
        );
    }
    say!(
        "  answers          {} inside, {} snapped, {} outside; {} on a corridor",
        figures.inside,
        figures.snapped,
        figures.outside,
        figures.with_corridor
    );
    say!(
        "  exactness        {} points checked against brute force, {} mismatches",
        figures.verified,
        figures.mismatches
    );
    Ok(())
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

fn read_points(path: &PathBuf) -> anyhow::Result<Vec<(f64, f64)>> {
    let mut reader = csv::Reader::from_path(path)
        .with_context(|| format!("cannot read points from {}", path.display()))?;
    let mut points = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{}: row {}", path.display(), row + 2))?;
        let number = |column: usize| -> anyhow::Result<f64> {
            record
                .get(column)
                .unwrap_or_default()
                .parse()
                .with_context(|| {
                    format!("{}: row {} column {}", path.display(), row + 2, column + 1)
                })
        };
        points.push((number(1)?, number(2)?));
    }
    Ok(points)
}

/// Peak resident memory of this process, from /proc (Linux only).
fn max_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kilobytes: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes / 1024.0)
}

#[derive(Debug, Serialize)]
struct IngestFigures {
    rows: u64,
    file_mb: f64,
    parse_mb_per_s: f64,
    parse_rows_per_s: f64,
    ingest_rows_per_s: f64,
    ingest_seconds: f64,
    reimport_rows_per_s: f64,
    events: u64,
    inserted: u64,
    unchanged_on_reimport: u64,
    quarantined: u64,
    database_mb: f64,
    max_rss_mb: Option<f64>,
}

fn bench_ingest(
    context: &Context,
    rows: u64,
    seed: u64,
    file: Option<PathBuf>,
    work_dir: Option<PathBuf>,
    passes: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let temporary = tempfile_directory(work_dir)?;
    let directory = temporary.path();
    let file = match file {
        Some(file) => file,
        None => {
            let path = directory.join(format!("acled-{rows}-{seed}.csv"));
            if !path.exists() {
                let zones = context.geography.zone_set()?;
                let options = vigie_ingest::synthetic::GenerateOptions::new(rows, seed);
                let out = std::fs::File::create(&path)?;
                vigie_ingest::synthetic::generate_acled(&zones, &options, out)?;
            }
            path
        }
    };
    let bytes = std::fs::metadata(&file)?.len() as f64;

    // Parse only: every row normalised into an event, nothing located or stored.
    let options = vigie_ingest::IngestOptions {
        batch_rows: context.config.ingest.batch_rows,
        ..vigie_ingest::IngestOptions::new(chrono::Utc::now().date_naive())
    };
    let mut best_parse = f64::INFINITY;
    let mut parsed_rows = 0;
    for _ in 0..passes.max(1) {
        let started = Instant::now();
        let summary = vigie_ingest::acled::read_acled(&file, &options, |batch| {
            std::hint::black_box(&batch);
            Ok::<(), std::convert::Infallible>(())
        })
        .map_err(|error| anyhow::anyhow!("{error}"))?;
        best_parse = best_parse.min(started.elapsed().as_secs_f64());
        parsed_rows = summary.rows_read;
    }

    // Parse + locate + store, into a fresh SQLite file, exactly as `vigie ingest acled` does.
    let database = directory.join("bench-ingest.sqlite3");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    let store = vigie_store::open(&database.display().to_string())?;
    let importer = super::ingest::Importer::with_store(context, store)?;
    let started = Instant::now();
    let first = importer.import_file(vigie_domain::EventSource::Acled, &file)?;
    let ingest_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let second = importer.import_file(vigie_domain::EventSource::Acled, &file)?;
    let reimport_seconds = started.elapsed().as_secs_f64();
    let database_bytes: u64 = ["", "-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", database.display())).ok())
        .map(|metadata| metadata.len())
        .sum();

    let figures = IngestFigures {
        rows: parsed_rows,
        file_mb: bytes / 1e6,
        parse_mb_per_s: bytes / 1e6 / best_parse,
        parse_rows_per_s: parsed_rows as f64 / best_parse,
        ingest_rows_per_s: first.read as f64 / ingest_seconds,
        ingest_seconds,
        reimport_rows_per_s: second.read as f64 / reimport_seconds,
        events: first.events,
        inserted: first.inserted,
        unchanged_on_reimport: second.unchanged,
        quarantined: first.quarantined,
        database_mb: database_bytes as f64 / 1e6,
        max_rss_mb: max_rss_mb(),
    };
    if json {
        say!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        say!(
            "vigie ingest benchmark — {} rows ({:.0} MB), one thread",
            figures.rows,
            figures.file_mb
        );
        say!(
            "  parse only            {:.0} MB/s, {:.0} rows/s (best of {passes})",
            figures.parse_mb_per_s,
            figures.parse_rows_per_s
        );
        say!(
            "  parse+locate+store    {:.0} rows/s into a fresh SQLite file ({:.1} s; {} events inserted, {} quarantined)",
            figures.ingest_rows_per_s,
            figures.ingest_seconds,
            figures.inserted,
            figures.quarantined
        );
        say!(
            "  same file again       {:.0} rows/s ({} events unchanged)",
            figures.reimport_rows_per_s,
            figures.unchanged_on_reimport
        );
        say!(
            "  database              {:.0} MB; process peak {}",
            figures.database_mb,
            figures
                .max_rss_mb
                .map_or("unknown".to_owned(), |mb| format!("{mb:.0} MB"))
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A working directory: the one given (kept), or a temporary one (removed on drop).
fn tempfile_directory(work_dir: Option<PathBuf>) -> anyhow::Result<WorkDirectory> {
    match work_dir {
        Some(path) => {
            std::fs::create_dir_all(&path)?;
            Ok(WorkDirectory::Kept(path))
        }
        None => Ok(WorkDirectory::Temporary(tempfile::tempdir()?)),
    }
}

enum WorkDirectory {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl WorkDirectory {
    fn path(&self) -> &std::path::Path {
        match self {
            WorkDirectory::Kept(path) => path,
            WorkDirectory::Temporary(directory) => directory.path(),
        }
    }
}
