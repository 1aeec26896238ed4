//! `vigie gen`: reproducible synthetic data.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use vigie_ingest::synthetic::{GenerateOptions, Vintage, generate_acled, generate_ucdp};
use vigie_spatial::sample::benchmark_points;

use crate::context::Context;

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// Synthetic ACLED-format events, clearly labelled as such in their notes: realistic
    /// types, fatalities and places, clustered around communes and along corridors in season.
    Acled(GenerateEventsArgs),
    /// Synthetic UCDP GED events.
    Ucdp(GenerateEventsArgs),
    /// Points for the locate benchmark: half uniform over Mali's bounding box, half within
    /// 15 km of commune centres. CSV with columns id, longitude, latitude.
    Points {
        /// How many points.
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
        /// Seed: the same seed gives the same points.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct GenerateEventsArgs {
    /// Data rows to write.
    #[arg(long, default_value_t = 1000)]
    rows: u64,
    /// Seed: the same seed and options give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Percentage of realistic bad rows (impossible dates, swapped coordinates, bad quotes…).
    #[arg(long, default_value_t = 0.0)]
    bad_rows_percent: f64,
    /// ACLED layout: current, 2019, pre2019 or monadic.
    #[arg(long, default_value = "current")]
    vintage: Vintage,
    /// First event date.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Last event date.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Output file (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print what was written (rows, events, bad rows by kind) as JSON on standard error.
    #[arg(long)]
    summary: bool,
}

fn generate_events(
    args: GenerateEventsArgs,
    context: &Context,
    ucdp: bool,
) -> anyhow::Result<ExitCode> {
    let zones = context.geography.zone_set()?;
    let mut options = GenerateOptions::new(args.rows, args.seed);
    options.bad_rows_percent = args.bad_rows_percent;
    options.vintage = args.vintage;
    if let Some(from) = args.from {
        options.from = from;
    }
    if let Some(to) = args.to {
        options.to = to;
    }
    let sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let summary = if ucdp {
        generate_ucdp(&zones, &options, sink)?
    } else {
        generate_acled(&zones, &options, sink)?
    };
    if args.summary {
        eprintln!("{}", serde_json::to_string(&summary)?);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(command: GenerateCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let source = &context.geography;
    match command {
        GenerateCommand::Acled(args) => generate_events(args, context, false),
        GenerateCommand::Ucdp(args) => generate_events(args, context, true),
        GenerateCommand::Points { count, seed, out } => {
            let zones = source.zone_set()?;
            let points = benchmark_points(&zones, count, seed);
            let sink: Box<dyn Write> = match &out {
                Some(path) => Box::new(std::fs::File::create(path)?),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut writer = std::io::BufWriter::new(sink);
            writeln!(writer, "id,longitude,latitude")?;
            for (id, point) in points.iter().enumerate() {
                writeln!(writer, "{id},{:.6},{:.6}", point.x, point.y)?;
            }
            writer.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
