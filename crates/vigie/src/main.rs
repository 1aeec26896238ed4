//! `vigie`: the command-line entry point. It owns configuration and wires the concrete parts
//! (reference geography, spatial index, files) together; the decisions live in the library
//! crates.

/// Prints a line on standard output, returning an error instead of panicking when the reader
/// has gone away (`vigie zones list | head`), so that `main` can exit quietly.
macro_rules! say {
    ($($argument:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($argument)*)?
    }};
}

mod channels;
mod commands;
mod config;
mod context;
mod delivery;
mod geography;
mod leadership;
mod secrets;
mod workers;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Ingestion allocates and frees millions of small strings per batch; glibc's allocator spent a
// fifth of an import consolidating its free lists, mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Early warning of conflict events at commune and transhumance-corridor level.
#[derive(Debug, Parser)]
#[command(name = "vigie", version, about, long_about = None)]
struct Cli {
    /// Configuration file (TOML). Without it, built-in defaults apply.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Zone set file (as written by `vigie zones import`) to use instead of the embedded
    /// Mali 2015 geography.
    #[arg(long, global = true, value_name = "FILE")]
    zones: Option<PathBuf>,
    /// Database: a SQLite file path or a postgres:// URL (default: `[store] database` of the
    /// configuration, `vigie.sqlite3`).
    #[arg(long, global = true, value_name = "PATH|URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List, import and rebuild zones (communes, cercles, regions, corridors).
    #[command(subcommand)]
    Zones(commands::zones::ZonesCommand),
    /// Locate a point, or every row of a CSV file, in communes and corridors.
    Locate(commands::locate::LocateArgs),
    /// Generate synthetic data for tests, demos and benchmarks.
    #[command(subcommand)]
    Gen(commands::generate::GenerateCommand),
    /// Measure the speed of the spatial index and of ingestion.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Import event records: ACLED files and API, UCDP GED, ACLED deletions.
    #[command(subcommand)]
    Ingest(commands::ingest::IngestCommand),
    /// Query stored events.
    #[command(subcommand)]
    Events(commands::ingest::EventsCommand),
    /// Records refused on import, with the reasons.
    #[command(subcommand)]
    Quarantine(commands::ingest::QuarantineCommand),
    /// Run the service: the SMS webhooks and the report form (the full API comes later).
    Serve(commands::serve::ServeArgs),
    /// List community reports; verify or reject them.
    #[command(subcommand)]
    Reports(commands::reports::ReportsCommand),
    /// Register community monitors (their reports count as verified).
    #[command(subcommand)]
    Monitors(commands::reports::MonitorsCommand),
    /// Space–time clusters of the events of a window, or Getis-Ord Gi* hot and cold spots.
    Hotspots(commands::hotspots::HotspotsArgs),
    /// Replay stored events through the warning rules: the transitions they would have
    /// produced, deterministic to the byte.
    Replay(commands::replay::ReplayArgs),
    /// The whole service on a SYNTHETIC dataset, nothing to install: prepares a SQLite file
    /// with the Mali geography and generated events, runs the engine, serves, prints the URL.
    Demo(commands::demo::DemoArgs),
    /// Run the warning engine over the stored events and record new warnings with the
    /// notifications they cause (one transaction; running it again changes nothing).
    Warn(commands::delivery::WarnArgs),
    /// Send the outbox to committees: grouped, retried, each notification at least once.
    Dispatch(commands::delivery::DispatchArgs),
    /// The notifications outbox.
    #[command(subcommand)]
    Outbox(commands::delivery::OutboxCommand),
    /// Mute warnings of a zone or rule for a while (audited).
    #[command(subcommand)]
    Silences(commands::delivery::SilencesCommand),
    /// Check and list the committees file.
    #[command(subcommand)]
    Committees(commands::delivery::CommitteesCommand),
    /// Test a committee's channels.
    #[command(subcommand)]
    Notify(commands::delivery::NotifyCommand),
    /// API keys: create (shown once), list, revoke.
    #[command(subcommand)]
    Keys(commands::keys::KeysCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// True when the error is a write to a closed pipe: the reader stopped reading, which is not a
/// failure of the command.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = config::Config::load(cli.config.as_deref())?;
    let geography = geography::GeographySource::new(cli.zones, &config);
    let context = context::Context {
        database: cli
            .database
            .unwrap_or_else(|| config.store.database.clone()),
        geography,
        config,
    };
    match cli.command {
        Command::Zones(command) => commands::zones::run(command, &context),
        Command::Locate(args) => commands::locate::run(args, &context.geography),
        Command::Gen(command) => commands::generate::run(command, &context),
        Command::Bench(command) => commands::bench::run(command, &context),
        Command::Ingest(command) => commands::ingest::run(command, &context),
        Command::Events(command) => commands::ingest::run_events(command, &context),
        Command::Quarantine(command) => commands::ingest::run_quarantine(command, &context),
        Command::Serve(args) => commands::serve::run(args, &context),
        Command::Reports(command) => commands::reports::run(command, &context),
        Command::Monitors(command) => commands::reports::run_monitors(command, &context),
        Command::Hotspots(args) => commands::hotspots::run(args, &context),
        Command::Replay(args) => commands::replay::run(args, &context),
        Command::Demo(args) => commands::demo::run(args, &context),
        Command::Warn(args) => commands::delivery::warn(args, &context),
        Command::Dispatch(args) => commands::delivery::dispatch(args, &context),
        Command::Outbox(command) => commands::delivery::outbox(command, &context),
        Command::Silences(command) => commands::delivery::silences(command, &context),
        Command::Notify(command) => commands::delivery::notify(command, &context),
        Command::Committees(command) => commands::delivery::committees(command, &context),
        Command::Keys(command) => commands::keys::run(command, &context),
    }
}
