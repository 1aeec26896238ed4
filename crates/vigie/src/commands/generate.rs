//! `vigie gen`: reproducible synthetic data.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use vigie_spatial::sample::benchmark_points;

use crate::geography::GeographySource;

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
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

pub fn run(command: GenerateCommand, source: &GeographySource) -> anyhow::Result<ExitCode> {
    match command {
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
