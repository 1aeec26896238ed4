//! `vigie serve`: the long-running service in one process: the HTTP API (OGC API Features,
//! SMS gateway webhooks, the report form), the warning engine and the outbox dispatcher.
//!
//! On PostgreSQL it may run as several replicas behind a load balancer: each answers HTTP,
//! one leads (runs the engine and dispatcher, see [`crate::leadership`]), and each listens
//! for the stream log's notifications so that its live stream shows what any of them (or
//! `vigie ingest`) stored.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Args;
use vigie_domain::PhoneProtector;
use vigie_http::{
    AfricasTalkingConfig, AppState, CapConfig, IntakeConfig, ReceiptsConfig, Secret,
    SharedGeography, SmsSyncConfig, StreamSettings, StreamWake, TwilioConfig,
    WebhookReceiptsConfig,
};
use vigie_spatial::SpatialIndex;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::channels::Channels;
use crate::context::Context;
use crate::delivery::Pipeline;
use crate::geography::GeographyWatch;
use crate::leadership::Leadership;
use crate::secrets::load_secret;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default: `[server] bind`, 127.0.0.1:8080).
    #[arg(long)]
    pub bind: Option<String>,
}

/// Gateways are switched on by setting their secret's environment variable.
fn intake_config(context: &Context) -> anyhow::Result<IntakeConfig> {
    let intake = &context.config.intake;
    let secret = |variable: &str| {
        std::env::var(variable)
            .ok()
            .filter(|value| !value.is_empty())
    };
    let config = IntakeConfig {
        twilio: secret(&intake.twilio_auth_token_env).map(|token| TwilioConfig {
            auth_token: Secret::new(token),
            public_base_url: intake.public_base_url.clone(),
        }),
        africas_talking: secret(&intake.africastalking_token_env).map(|token| {
            AfricasTalkingConfig {
                url_token: Secret::new(token),
            }
        }),
        smssync: secret(&intake.smssync_secret_env).map(|token| SmsSyncConfig {
            secret: Secret::new(token),
        }),
        body_limit_bytes: intake.body_limit_bytes,
        // Delivery receipts: Twilio's are signed with the account's token; Africa's Talking's
        // and the JSON gateway's carry their own secrets.
        receipts: ReceiptsConfig {
            twilio: secret(&intake.twilio_auth_token_env).map(|token| TwilioConfig {
                auth_token: Secret::new(token),
                public_base_url: intake.public_base_url.clone(),
            }),
            africas_talking: secret(&intake.africastalking_receipts_token_env).map(|token| {
                AfricasTalkingConfig {
                    url_token: Secret::new(token),
                }
            }),
            webhook: secret(&intake.webhook_receipts_token_env).map(|token| {
                WebhookReceiptsConfig {
                    bearer_token: Secret::new(token),
                }
            }),
        },
        cap: CapConfig {
            public_base_url: Some(intake.public_base_url.clone()),
            ..CapConfig::default()
        },
        request_timeout: std::time::Duration::from_secs(
            context.config.server.request_timeout_seconds,
        ),
        rate_limit: context.config.server.rate_limit()?,
        web_root: context.config.server.web_root.clone(),
        ..IntakeConfig::default()
    };
    config.validate().context("[intake] configuration")?;
    Ok(config)
}

pub fn run(args: ServeArgs, context: &Context) -> anyhow::Result<ExitCode> {
    let bind = args
        .bind
        .unwrap_or_else(|| context.config.server.bind.clone());
    let address: SocketAddr = bind
        .parse()
        .with_context(|| format!("--bind {bind:?} is not an address like 127.0.0.1:8080"))?;
    let store = context.open_store()?;
    // Read and decoded once, for the HTTP side and the pipeline.
    let stored = context.geography.stored_zone_set(store.as_ref())?;
    let protector = PhoneProtector::new(&load_secret(&context.config.privacy)?)
        .context("the deployment secret")?;
    let intake = intake_config(context)?;
    let gateways: Vec<&str> = [
        intake.twilio.is_some().then_some("twilio"),
        intake.africas_talking.is_some().then_some("africastalking"),
        intake.smssync.is_some().then_some("smssync"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let pipeline = Pipeline::from_stored(context, &stored)?;
    let index = SpatialIndex::build(&stored.zones, context.geography.index_options());
    let shared_geography = SharedGeography::new(crate::geography::build_shared(
        stored.zones,
        index,
        Some(stored.version.version),
    ));
    let pipeline = pipeline.following(shared_geography.clone());
    let channels = Channels::from_config(&context.config.delivery)?;
    let state = AppState::with_geography(
        store.clone(),
        shared_geography.clone(),
        Arc::new(protector),
        intake,
    )
    .with_api_keys(Arc::new(vigie_http::StoreApiKeys::new(store.clone())))
    .with_rules(Arc::new(pipeline.rules.clone()));
    let cluster = &context.config.cluster;
    let replicated = vigie_store::is_postgres_url(&context.database);
    let leadership = if replicated {
        Leadership::postgres(&context.database, cluster)
    } else {
        Leadership::always()
    };
    let state = state.with_leader(leadership.flag());
    let wake = StreamWake::new();
    let stream = if replicated {
        StreamSettings {
            poll_interval: std::time::Duration::from_millis(cluster.stream_poll_ms),
            wake: Some(wake.clone()),
            ..StreamSettings::default()
        }
    } else {
        // One process: the log is only written here, and a 100 ms poll costs nothing.
        StreamSettings::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // Built from the geography of the start: hotspot messages name clusters and communes
    // and do not follow a published zone set until the next start.
    let start_geography = state.geography();
    let hotspots = vigie_http::HotspotPublisher::new(
        &start_geography.zones,
        start_geography.directory.clone(),
    );
    let stop = AtomicBool::new(false);
    let delivery = &context.config.delivery;
    let geography_watch = GeographyWatch::new(
        store.clone(),
        &context.database,
        shared_geography,
        &context.geography,
    );
    std::thread::scope(|scope| {
        let geography_thread = scope.spawn(|| geography_watch.run(&stop));
        let mut workers = crate::workers::start(
            scope,
            store,
            &pipeline,
            || crate::delivery::CommitteesFile::watch(context, &pipeline),
            channels,
            delivery,
            hotspots,
            crate::workers::Control {
                leadership: &leadership,
                stop: &stop,
            },
        );
        if replicated {
            let url = context.database.as_str();
            let retry = std::time::Duration::from_millis(cluster.lock_retry_ms);
            let (stop, wake) = (&stop, wake.clone());
            workers.push(scope.spawn(move || {
                vigie_store::listen_stream(url, retry, stop, &|| wake.wake());
            }));
        }
        let served = runtime.block_on(serve_http(address, state, stream, gateways));
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            let _ = worker.join();
        }
        let _ = geography_thread.join();
        served
    })
}

async fn serve_http(
    address: SocketAddr,
    state: AppState,
    stream: StreamSettings,
    gateways: Vec<&str>,
) -> anyhow::Result<ExitCode> {
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => bail!("cannot listen on {address}: {error}"),
    };
    let local = listener.local_addr()?;
    eprintln!(
        "vigie serving on http://{local} (SMS gateways: {})",
        if gateways.is_empty() {
            "none configured".to_owned()
        } else {
            gateways.join(", ")
        }
    );
    vigie_http::serve(
        listener,
        vigie_http::router_with_stream(state, stream),
        shutdown_signal(),
    )
    .await?;
    eprintln!("vigie stopped");
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
