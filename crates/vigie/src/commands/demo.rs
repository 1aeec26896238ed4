//! `vigie demo`: the whole service on the embedded default, with nothing to install. It
//! prepares a SQLite file with the shipped Mali geography and a generated, clearly labelled
//! SYNTHETIC dataset (months of ACLED-format events), runs the warning engine over it, and
//! starts `vigie serve` with SMS and email written to local files instead of gateways.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{Duration, Utc};
use clap::Args;
use serde_json::json;
use vigie_domain::{EventSource, WarningLevel};
use vigie_ingest::synthetic::{GenerateOptions, generate_acled};

use crate::commands::ingest::Importer;
use crate::commands::serve::{self, ServeArgs};
use crate::config::{EmailServerConfig, SmsGatewayConfig, is_postgres_url};
use crate::context::Context;
use crate::delivery::{Pipeline, evaluate};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on (default: `[server] bind`, 127.0.0.1:8080).
    #[arg(long)]
    bind: Option<String>,
    /// Where the demo keeps its database, generated data and message logs.
    #[arg(long, default_value = "vigie-demo")]
    dir: PathBuf,
    /// Synthetic events to generate (spread over the last six months).
    #[arg(long, default_value_t = 8_000)]
    events: u64,
    /// Seed of the synthetic data: the same seed, the same demo.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Prepare the data, print what is open, and stop without serving.
    #[arg(long)]
    prepare_only: bool,
}

pub fn run(args: DemoArgs, context: &Context) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let directory = args.dir.canonicalize()?;
    // A PostgreSQL URL given on the command line is used as is; otherwise the demo has its
    // own SQLite file, rebuilt on every start so that the demo is always the same.
    let database = if is_postgres_url(&context.database) {
        context.database.clone()
    } else {
        let path = directory.join("vigie-demo.sqlite3");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        path.display().to_string()
    };
    let committees = directory.join("committees.toml");
    std::fs::write(&committees, vigie_delivery::EXAMPLE_COMMITTEES_TOML)?;
    let mut config = context.config.clone();
    config.store.database = database.clone();
    config.delivery.committees = Some(committees);
    config.delivery.sms = SmsGatewayConfig::File {
        path: directory.join("sms-sent.jsonl"),
    };
    if config.privacy.secret_file.is_relative() {
        config.privacy.secret_file = directory.join(&config.privacy.secret_file);
    }
    config.delivery.email = EmailServerConfig::File {
        path: directory.join("email-sent.jsonl"),
    };
    let demo = Context {
        config,
        geography: context.geography.clone(),
        database,
    };

    let today = Utc::now().date_naive();
    let events_file = directory.join("SYNTHETIC-acled-events.csv");
    let zones = demo.geography.zone_set()?;
    let options = GenerateOptions {
        from: today - Duration::days(182),
        to: today,
        ..GenerateOptions::new(args.events, args.seed)
    };
    generate_acled(&zones, &options, std::fs::File::create(&events_file)?)
        .context("generating the synthetic events")?;
    let store = demo.open_store()?;
    let importer = Importer::with_store(&demo, store.clone())?;
    let counts = importer.import_file(EventSource::Acled, &events_file)?;
    let pipeline = Pipeline::load(&demo)?;
    let now = Utc::now();
    let evaluation = evaluate(store.as_ref(), &pipeline, today, now)?;
    let open = store.open_episodes()?;
    let by_level: Vec<(WarningLevel, usize)> = WarningLevel::ALL
        .into_iter()
        .map(|level| {
            (
                level,
                open.iter().filter(|episode| episode.level == level).count(),
            )
        })
        .collect();

    eprintln!(
        "vigie demo: {} SYNTHETIC events (generated, not real incidents) in {}",
        counts.events,
        events_file.display()
    );
    eprintln!(
        "  {} warning transitions over {} → {}; open now: {}",
        evaluation.transitions,
        evaluation.from,
        evaluation.until,
        by_level
            .iter()
            .map(|(level, count)| format!("{count} {level}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    eprintln!(
        "  messages to the example committees go to {} and {}",
        directory.join("sms-sent.jsonl").display(),
        directory.join("email-sent.jsonl").display()
    );
    // The map's one dependency comes from the npm registry: the demo says how to get it
    // rather than fetching from the internet itself (the server's page says so too).
    let web_root = &demo.config.server.web_root;
    if web_root.join("index.html").is_file()
        && !web_root
            .join("node_modules/maplibre-gl/dist/maplibre-gl.js")
            .is_file()
    {
        eprintln!(
            "  the web map needs MapLibre GL JS: run `npm ci --prefix {}` once (Node.js and npm)",
            web_root.display()
        );
    }
    if args.prepare_only {
        say!(
            "{}",
            json!({
                "events": counts.events,
                "transitions": evaluation.transitions,
                "open": by_level.iter().map(|(level, count)| (level.as_str(), count)).collect::<std::collections::BTreeMap<_, _>>(),
                "database": demo.database,
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    serve::run(ServeArgs { bind: args.bind }, &demo)
}
