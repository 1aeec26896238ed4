//! The background work of `vigie serve`: the warning engine, run every few seconds over the
//! stored events, and the outbox dispatcher. Both are synchronous (the store is), so they run
//! on their own threads beside the async HTTP server, and stop when asked.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

use chrono::Utc;
use vigie_domain::store::Store;

use crate::channels::Channels;
use crate::config::DeliveryConfig;
use crate::delivery::{CommitteesFile, Dispatcher, Pipeline, evaluate};

/// Sleeps up to `total`, waking early when `stop` is set.
fn pause(total: Duration, stop: &AtomicBool) {
    let until = Instant::now() + total;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

/// Starts the engine and (when committees are configured) the dispatcher on `scope`. Both
/// pick up changes to the committees file (`committees_file`) as they come.
pub fn start<'scope>(
    scope: &'scope Scope<'scope, '_>,
    store: Arc<dyn Store>,
    pipeline: &'scope Pipeline,
    committees_file: impl Fn() -> Option<CommitteesFile>,
    channels: Channels,
    config: &'scope DeliveryConfig,
    stop: &'scope AtomicBool,
) -> Vec<ScopedJoinHandle<'scope, ()>> {
    let mut handles = Vec::new();
    let engine_store = store.clone();
    let mut engine_pipeline = pipeline.clone();
    let mut engine_watch = committees_file();
    handles.push(scope.spawn(move || {
        let pipeline = &mut engine_pipeline;
        while !stop.load(Ordering::Relaxed) {
            pipeline.refresh_geography();
            if let Some(committees) = engine_watch.as_mut().and_then(CommitteesFile::changed) {
                pipeline.committees = Some(committees);
            }
            let now = Utc::now();
            match evaluate(engine_store.as_ref(), pipeline, now.date_naive(), now) {
                Ok(evaluation) if evaluation.new_warnings > 0 => tracing::info!(
                    transitions = evaluation.new_warnings,
                    notifications = evaluation.new_notifications,
                    "warnings recorded"
                ),
                Ok(_) => {}
                Err(error) => tracing::error!("warning engine: {error:#}"),
            }
            pause(Duration::from_secs(config.engine_interval_seconds), stop);
        }
    }));
    if let Some(committees) = &pipeline.committees {
        let committees = committees.clone();
        let mut dispatcher_watch = committees_file();
        handles.push(scope.spawn(move || {
            let mut dispatcher = Dispatcher::new(store.as_ref(), committees, channels, config);
            let poll = Duration::from_millis(config.poll_interval_ms);
            while !stop.load(Ordering::Relaxed) {
                if let Some(committees) =
                    dispatcher_watch.as_mut().and_then(CommitteesFile::changed)
                {
                    dispatcher.replace_committees(committees);
                }
                match dispatcher.round(Utc::now()) {
                    Ok(round) if round.claimed > 0 => tracing::info!(
                        messages = round.messages,
                        sent = round.sent,
                        failed = round.failed,
                        "outbox round"
                    ),
                    Ok(_) => pause(poll, stop),
                    Err(error) => {
                        tracing::error!("dispatcher: {error:#}");
                        pause(poll, stop);
                    }
                }
            }
        }));
    }
    handles
}
