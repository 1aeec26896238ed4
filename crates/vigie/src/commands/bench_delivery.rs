//! `vigie bench deliver`: from events ingested to SMS requests leaving the dispatcher, on the
//! embedded default (a SQLite file), through a JSON SMS gateway served on a loopback port in
//! this process. Grouping waits are zero, as the issue's benchmark asks.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Json;
use axum::extract::State;
use axum::routing::post;
use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};
use vigie_domain::{NotificationQuery, NotificationStatus, ZoneLevel};
use vigie_engine::RuleSet;
use vigie_notify::sms::{WebhookConfig, WebhookGateway};

use crate::channels::Channels;
use crate::commands::ingest::Importer;
use crate::config::DeliveryConfig;
use crate::context::Context;
use crate::delivery::{Dispatcher, Pipeline, evaluate};

/// Every warning of the benchmark comes from one of these two rules, so `warnings / 2`
/// communes get one event each.
const RULES: &str = r#"
[[rule]]
id = "bench-civils"
rationale = "Benchmark: one attack on civilians opens a vigilance."
kind = "threshold"
zone_level = "commune"
window_days = 7
filter = { event_types = ["Violence against civilians"] }
vigilance = { enter = { events = 1 } }

[[rule]]
id = "bench-morts"
rationale = "Benchmark: one death opens a vigilance."
kind = "threshold"
zone_level = "commune"
window_days = 7
vigilance = { enter = { fatalities = 1 } }
"#;

#[derive(Debug, Serialize)]
struct DeliveryFigures {
    warnings: u64,
    recipients: usize,
    notifications: usize,
    messages: usize,
    ingest_ms: f64,
    engine_ms: f64,
    dispatch_ms: f64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    latency_max_ms: f64,
}

type Arrivals = Arc<Mutex<Vec<(String, Instant)>>>;

async fn gateway(State(arrivals): State<Arrivals>, Json(body): Json<Value>) -> Json<Value> {
    let key = body["idempotency_key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut arrivals = arrivals
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    arrivals.push((key, Instant::now()));
    Json(json!({ "id": format!("bench-{}", arrivals.len()) }))
}

fn committees_toml(recipients: usize) -> String {
    let regions = [
        "ML01", "ML02", "ML03", "ML04", "ML05", "ML06", "ML07", "ML08", "ML09",
    ];
    let mut text = String::from(
        "[defaults.grouping]\ngroup_wait = \"0s\"\ngroup_interval = \"0s\"\nrepeat_interval = \"24h\"\n\n\
         [defaults.storm_guard]\ncapacity = 1000\nrefill_per_hour = 1000\n",
    );
    for (index, region) in regions.iter().enumerate() {
        text.push_str(&format!(
            "\n[[committee]]\nid = \"crs-{index}\"\nname = \"Comité {region}\"\nkind = \"regional\"\nzones = [\"{region}\"]\n"
        ));
        for member in (0..recipients).filter(|member| member % regions.len() == index) {
            text.push_str(&format!(
                "\n[[committee.member]]\nid = \"m{member:03}\"\nname = \"Membre {member}\"\n\
                 phone = \"+44 7700 900{member:03}\"\nchannels = [\"sms\"]\n"
            ));
        }
    }
    text
}

fn events_csv(path: &Path, context: &Context, communes: usize) -> anyhow::Result<usize> {
    use geo::InteriorPoint as _;
    let zones = context.geography.zone_set()?;
    let today = Utc::now().date_naive();
    let mut text = String::from(
        "event_id_cnty,event_date,event_type,sub_event_type,actor1,latitude,longitude,\
         fatalities,timestamp,country,admin1\n",
    );
    let mut written = 0;
    for (number, zone) in zones
        .zones(ZoneLevel::Commune)
        .iter()
        .take(communes)
        .enumerate()
    {
        let Some(point) = zone.geometry.interior_point() else {
            continue;
        };
        text.push_str(&format!(
            "BENCH{number},{today},Violence against civilians,Attack,Unidentified Armed Group (Mali),{:.5},{:.5},1,{},Mali,\n",
            point.y(),
            point.x(),
            Utc::now().timestamp()
        ));
        written += 1;
    }
    std::fs::write(path, text)?;
    Ok(written)
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[position.min(sorted.len() - 1)]
}

pub fn bench_deliver(
    context: &Context,
    warnings: u64,
    recipients: usize,
    json_output: bool,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        (2..=1402).contains(&warnings) && (1..=999).contains(&recipients),
        "--warnings must be 2 to 1402 (two rules over the 701 communes), --recipients 1 to 999"
    );
    let directory = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let arrivals: Arrivals = Arc::new(Mutex::new(Vec::new()));
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let address = listener.local_addr()?;
    let router = axum::Router::new()
        .route("/send", post(gateway))
        .with_state(arrivals.clone());
    runtime.spawn(async move { axum::serve(listener, router).await });

    let committees_path = directory.path().join("committees.toml");
    std::fs::write(&committees_path, committees_toml(recipients))?;
    let mut delivery = DeliveryConfig {
        committees: Some(committees_path),
        ..DeliveryConfig::default()
    };
    delivery.poll_interval_ms = 5;
    let mut config = context.config.clone();
    config.delivery = delivery.clone();
    let bench_context = Context {
        config,
        geography: context.geography.clone(),
        database: directory.path().join("bench.sqlite3").display().to_string(),
    };
    let mut pipeline = Pipeline::load(&bench_context)?;
    pipeline.rules = RuleSet::from_toml(RULES).context("the benchmark's rules")?;
    let committees = pipeline.committees.as_ref().context("committees loaded")?;
    let channels = Channels {
        sms: Some(Arc::new(WebhookGateway::new(WebhookConfig {
            url: format!("http://{address}/send"),
            bearer_token: None,
            timeout: Duration::from_secs(5),
        })?)),
        email: None,
    };
    let events_path = directory.path().join("events.csv");
    let communes = events_csv(&events_path, &bench_context, (warnings / 2) as usize)?;
    let store = bench_context.open_store()?;
    let importer = Importer::with_store(&bench_context, store.clone())?;

    // The clock starts as the events are read.
    let started = Instant::now();
    importer.import_file(vigie_domain::EventSource::Acled, &events_path)?;
    let ingested = Instant::now();
    let now = Utc::now();
    let evaluation = evaluate(store.as_ref(), &pipeline, now.date_naive(), now)?;
    let evaluated = Instant::now();
    let dispatcher = Dispatcher::new(store.as_ref(), committees.clone(), channels, &delivery);
    loop {
        let round = dispatcher.round(Utc::now())?;
        if round.claimed == 0 {
            let stats = store.outbox_stats(Utc::now())?;
            if stats.waiting() == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "the outbox did not empty in 5 minutes"
        );
    }
    let dispatched = Instant::now();

    // Each notification's latency is its message's arrival at the gateway.
    let arrived: HashMap<String, Instant> = arrivals
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .cloned()
        .collect();
    let messages = arrived.len();
    let rows = store.notifications(&NotificationQuery {
        status: Some(NotificationStatus::Sent),
        ..NotificationQuery::default()
    })?;
    let mut latencies: Vec<f64> = rows
        .iter()
        .filter_map(|row| {
            let group = row.group_id.as_deref().unwrap_or(&row.idempotency_key);
            arrived.get(group)
        })
        .map(|arrival| arrival.duration_since(started).as_secs_f64() * 1000.0)
        .collect();
    anyhow::ensure!(
        latencies.len() == rows.len(),
        "{} sent notifications but {} matched a message at the gateway",
        rows.len(),
        latencies.len()
    );
    latencies.sort_by(f64::total_cmp);
    let milliseconds = |from: Instant, to: Instant| to.duration_since(from).as_secs_f64() * 1000.0;
    let figures = DeliveryFigures {
        warnings: evaluation.new_warnings,
        recipients,
        notifications: rows.len(),
        messages,
        ingest_ms: milliseconds(started, ingested),
        engine_ms: milliseconds(ingested, evaluated),
        dispatch_ms: milliseconds(evaluated, dispatched),
        latency_p50_ms: percentile(&latencies, 0.50),
        latency_p99_ms: percentile(&latencies, 0.99),
        latency_max_ms: latencies.last().copied().unwrap_or(f64::NAN),
    };
    if json_output {
        say!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        say!(
            "vigie delivery benchmark — {} events in {communes} communes, {} warnings, {} recipients (SQLite, grouping waits 0)",
            communes,
            figures.warnings,
            recipients
        );
        say!(
            "  ingest {:.0} ms, engine {:.0} ms, dispatch {:.0} ms: {} notifications in {} SMS",
            figures.ingest_ms,
            figures.engine_ms,
            figures.dispatch_ms,
            figures.notifications,
            figures.messages
        );
        say!(
            "  event ingested → SMS request at the gateway: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            figures.latency_p50_ms,
            figures.latency_p99_ms,
            figures.latency_max_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}
