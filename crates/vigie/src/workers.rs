//! The background work of `vigie serve`: the warning engine, run every few seconds over the
//! stored events (and after it the hotspots, published on the live stream when they change),
//! and the outbox dispatcher. Both are synchronous (the store is), so they run on their own
//! threads beside the async HTTP server, and stop when asked. Both work only while this
//! replica leads (see [`crate::leadership`]); a follower's threads wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::Duration;

use chrono::Utc;
use vigie_domain::store::Store;
use vigie_http::HotspotPublisher;

use crate::channels::Channels;
use crate::config::DeliveryConfig;
use crate::delivery::{CommitteesFile, Dispatcher, Pipeline, evaluate};
use crate::leadership::{Leadership, pause};

/// How often a follower's workers look whether it leads now.
const FOLLOWER_POLL: Duration = Duration::from_millis(100);

/// When the workers work: while `leadership` says this replica leads, until `stop` is set.
#[derive(Clone, Copy)]
pub struct Control<'scope> {
    pub leadership: &'scope Leadership,
    pub stop: &'scope AtomicBool,
}

/// Starts the engine and (when committees are configured) the dispatcher on `scope`, and on
/// PostgreSQL the thread that keeps or seeks the leader lock. Both pick up changes to the
/// committees file (`committees_file`) as they come. After each evaluation the engine thread
/// also checks the hotspots (`hotspots`, see [`HotspotPublisher`]).
// Each argument is one piece of the service the threads share or own; a struct gathering
// them would only be built here.
#[allow(clippy::too_many_arguments)]
pub fn start<'scope>(
    scope: &'scope Scope<'scope, '_>,
    store: Arc<dyn Store>,
    pipeline: &'scope Pipeline,
    committees_file: impl Fn() -> Option<CommitteesFile>,
    channels: Channels,
    config: &'scope DeliveryConfig,
    mut hotspots: HotspotPublisher,
    control: Control<'scope>,
) -> Vec<ScopedJoinHandle<'scope, ()>> {
    let Control { leadership, stop } = control;
    let mut handles = Vec::new();
    if leadership.is_contended() {
        handles.push(scope.spawn(move || leadership.keep(stop)));
    }
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
            if !leadership.is_leader() {
                pause(FOLLOWER_POLL, stop);
                continue;
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
            // The live map redraws its hotspots when told they changed.
            match hotspots.check(engine_store.as_ref()) {
                Ok(Some(entry)) => tracing::info!(entry, "hotspots changed"),
                Ok(None) => {}
                Err(error) => tracing::error!("hotspots: {error}"),
            }
            pause(Duration::from_secs(config.engine_interval_seconds), stop);
        }
    }));
    if let Some(committees) = &pipeline.committees {
        let committees = committees.clone();
        let mut dispatcher_watch = committees_file();
        handles.push(scope.spawn(move || {
            let mut dispatcher = Dispatcher::new(store.as_ref(), committees, channels, config)
                .fenced_by(Box::new(move || leadership.confirm()));
            let mut leading = false;
            let poll = Duration::from_millis(config.poll_interval_ms);
            while !stop.load(Ordering::Relaxed) {
                if let Some(committees) =
                    dispatcher_watch.as_mut().and_then(CommitteesFile::changed)
                {
                    dispatcher.replace_committees(committees);
                }
                if !leadership.is_leader() {
                    if leading {
                        // What it remembered of groups and storm guards is the past of
                        // another leader's sends by the time it leads again.
                        dispatcher.forget_groups();
                        leading = false;
                    }
                    pause(FOLLOWER_POLL, stop);
                    continue;
                }
                if !leading && leadership.is_contended() {
                    // A new leader: the last one's claims are due now, not when their leases
                    // run out (on SQLite there is no other leader whose claims to take).
                    match dispatcher.take_over(Utc::now()) {
                        Ok(0) => {}
                        Ok(rows) => tracing::info!(rows, "took over the last leader's claims"),
                        Err(error) => tracing::error!("dispatcher: {error:#}"),
                    }
                }
                leading = true;
                match dispatcher.round(Utc::now()) {
                    Ok(round) if round.fenced => tracing::warn!(
                        messages = round.messages,
                        released = round.released,
                        "outbox round cut short: no longer the leader"
                    ),
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
