//! The live stream: `GET /api/stream` as Server-Sent Events, or as JSON pages with
//! `?poll=true` for networks that break long connections.
//!
//! Where messages come from: the store appends a log entry in the transaction of each change
//! (an import batch, a community report, a warning transition; see
//! [`vigie_domain::StreamEntry`]). One background task per server ([`LiveHub`]) reads the log
//! every [`StreamSettings::poll_interval`] and hands new entries to a
//! `tokio::sync::broadcast` channel that every connection listens to. The poll period bounds
//! the delivery delay: an entry committed just after a read waits a whole period (at 100 ms,
//! a read every tenth of a second of a few microseconds). Each message is written once, by
//! the first connection that sends it, and shared by the others. With several replicas on
//! PostgreSQL, every commit to the log also notifies (`NOTIFY vigie_stream`, the entry's id);
//! the server's listener rings [`StreamSettings::wake`] and the task reads the log at once,
//! whichever replica (or `vigie ingest`) wrote it; the poll stays as a slower safety net.
//! Ids come from the shared log, so `Last-Event-ID` resumes on any replica.
//!
//! A connection: subscribe to the channel first, then read the log's head, so that nothing
//! falls between the two; replay from storage what the client missed (`Last-Event-ID`
//! header, or `?since=ID`); then forward the channel, skipping ids already sent. Message ids
//! are log ids and increase. A client more than [`StreamSettings::max_replay`] entries
//! behind, or so slow that the channel overtook it, gets a `resync` message: reload what it
//! shows through the API, then carry on.
//!
//! Roles: the public gets `warning` and `hotspot` messages (aggregates) only; `event` and
//! `report` messages need a researcher key or above. A report message is the report's
//! status, its event's store id and its zones down to the commune: never its text, exact
//! position or reporter, for any role (analysts read those through the reports collection).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};
use tokio::sync::{OnceCell, broadcast};
use vigie_domain::store::Store;
use vigie_domain::{StreamEntry, StreamKind};

use crate::error::AppError;
use crate::features::{Role, optional_role};
use crate::intake::blocking;
use crate::state::AppState;

/// Rung when the log has news (a PostgreSQL notification): the background task reads it
/// without waiting for its next poll. Cheap to clone; a ring while the task is busy is kept
/// for its next wait, so none is lost.
#[derive(Debug, Clone, Default)]
pub struct StreamWake(Arc<tokio::sync::Notify>);

impl StreamWake {
    /// A bell nobody rang yet.
    pub fn new() -> StreamWake {
        StreamWake::default()
    }

    /// Wakes the reader (from any thread, async or not).
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Bells are equal when they are the same bell.
impl PartialEq for StreamWake {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for StreamWake {}

/// How the stream behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    /// How often the background task reads the log (default 100 ms).
    pub poll_interval: Duration,
    /// The most entries replayed to a reconnecting client; further behind, it gets `resync`
    /// (default 1,000).
    pub max_replay: u32,
    /// Entries the broadcast channel holds for slow connections (default 1,024).
    pub channel_capacity: usize,
    /// How often an idle connection gets a comment, so proxies keep it open (default 15 s).
    pub keep_alive: Duration,
    /// Wakes the background task between polls (default: none, polling only).
    pub wake: Option<StreamWake>,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            poll_interval: Duration::from_millis(100),
            max_replay: 1_000,
            channel_capacity: 1_024,
            keep_alive: Duration::from_secs(15),
            wake: None,
        }
    }
}

/// The most entries one polling request answers.
pub(crate) const MAX_POLL_LIMIT: u32 = 1_000;
/// Entries one polling request answers when it does not say.
pub(crate) const DEFAULT_POLL_LIMIT: u32 = 100;
/// Entries the background task reads per query.
const POLL_PAGE: u32 = 500;

/// An entry as the connections receive it.
struct Published {
    entry: StreamEntry,
    /// The message's data, written by the first connection that sends it: it is the same
    /// for every reader allowed to see it, and a thousand connections need not write it a
    /// thousand times.
    data: OnceLock<String>,
}

/// The fan-out point of one server: a broadcast channel and the task that feeds it.
pub struct LiveHub {
    settings: StreamSettings,
    sender: broadcast::Sender<Arc<Published>>,
    /// Started by the first connection: tests and servers that never stream cost nothing.
    feeder: OnceCell<()>,
}

impl LiveHub {
    /// A hub with no feeder yet.
    pub fn new(settings: StreamSettings) -> Arc<LiveHub> {
        let (sender, _) = broadcast::channel(settings.channel_capacity.max(1));
        Arc::new(LiveHub {
            settings,
            sender,
            feeder: OnceCell::new(),
        })
    }

    /// Hands an entry to every connection. Entries must come in increasing id order.
    pub fn publish(&self, entry: StreamEntry) {
        // No receiver is not an error: nobody is listening right now.
        let _ = self.sender.send(Arc::new(Published {
            entry,
            data: OnceLock::new(),
        }));
    }

    /// Starts the store poller if it is not running: reads the log's head first (so that
    /// the caller, reading the head after this returns, never misses an entry between the
    /// two), then polls from there.
    async fn ensure_feeder(self: &Arc<Self>, store: &Arc<dyn Store>) -> Result<(), AppError> {
        self.feeder
            .get_or_try_init(|| async {
                let head = read_head(store).await?;
                tokio::spawn(poll_store(
                    Arc::downgrade(self),
                    store.clone(),
                    head,
                    self.settings.poll_interval,
                    self.settings.wake.clone(),
                ));
                Ok::<(), AppError>(())
            })
            .await
            .map(|_| ())
    }
}

impl std::fmt::Debug for LiveHub {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LiveHub")
            .field("settings", &self.settings)
            .field("connections", &self.sender.receiver_count())
            .finish()
    }
}

async fn read_head(store: &Arc<dyn Store>) -> Result<i64, AppError> {
    let store = store.clone();
    blocking(move || {
        store
            .stream_head()
            .map_err(|error| AppError::internal("reading the stream head", error))
    })
    .await
}

/// Reads the log from `position` on every `interval`, or as soon as `wake` rings, and
/// publishes what it finds, until the hub is gone.
async fn poll_store(
    hub: Weak<LiveHub>,
    store: Arc<dyn Store>,
    mut position: i64,
    interval: Duration,
    wake: Option<StreamWake>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        match &wake {
            Some(StreamWake(bell)) => {
                tokio::select! {
                    _ = ticker.tick() => {}
                    () = bell.notified() => {}
                }
            }
            None => {
                ticker.tick().await;
            }
        }
        loop {
            let Some(live) = hub.upgrade() else {
                return;
            };
            drop(live);
            let reader = store.clone();
            let read =
                tokio::task::spawn_blocking(move || reader.stream_since(position, POLL_PAGE)).await;
            let entries = match read {
                Ok(Ok(entries)) => entries,
                Ok(Err(error)) => {
                    tracing::warn!(%error, "cannot read the stream log; retrying");
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "stream log reader failed; retrying");
                    break;
                }
            };
            let full_page = entries.len() == POLL_PAGE as usize;
            let Some(live) = hub.upgrade() else {
                return;
            };
            for entry in entries {
                position = position.max(entry.id);
                live.publish(entry);
            }
            if !full_page {
                break;
            }
        }
    }
}

/// Ends every live stream of a server when its shutdown begins (see [`crate::serve`]).
pub(crate) struct Closing(tokio::sync::watch::Sender<bool>);

impl Closing {
    /// Tells the streams to end.
    pub(crate) fn close(&self) {
        let _ = self.0.send(true);
    }
}

/// What a stream watches to learn that the server is stopping (a request extension).
#[derive(Clone)]
pub(crate) struct ClosingSignal(tokio::sync::watch::Receiver<bool>);

impl ClosingSignal {
    /// Completes when the server begins to stop (never, if nobody can close it).
    async fn closed(&mut self) {
        if self.0.wait_for(|closing| *closing).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// A closing switch and the signal streams watch.
pub(crate) fn closing_signal() -> (Closing, ClosingSignal) {
    let (sender, receiver) = tokio::sync::watch::channel(false);
    (Closing(sender), ClosingSignal(receiver))
}

/// The state of the stream routes.
#[derive(Clone)]
struct StreamState {
    app: AppState,
    hub: Arc<LiveHub>,
}

/// The stream routes, fed by `hub`.
pub(crate) fn routes<S>(app: AppState, hub: Arc<LiveHub>) -> axum::Router<S> {
    axum::Router::new()
        .route("/api/stream", get(stream))
        .with_state(StreamState { app, hub })
}

/// What a stream request asked for.
#[derive(Debug, Default)]
struct StreamQuery {
    since: Option<i64>,
    poll: bool,
    limit: Option<u32>,
}

fn parse_query(raw: Option<&str>) -> Result<StreamQuery, AppError> {
    let mut query = StreamQuery::default();
    for pair in raw.unwrap_or("").split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "since" => {
                query.since = Some(parse_id(value).ok_or_else(|| {
                    AppError::bad_parameter("since", "`since` must be a stream message id (≥ 0)")
                })?);
            }
            "poll" => {
                query.poll = match value {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(AppError::bad_parameter(
                            "poll",
                            "`poll` must be true or false",
                        ));
                    }
                }
            }
            "limit" => {
                query.limit = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|limit| (1..=MAX_POLL_LIMIT).contains(limit))
                        .ok_or_else(|| {
                            AppError::bad_parameter(
                                "limit",
                                format!("`limit` must be between 1 and {MAX_POLL_LIMIT}"),
                            )
                        })?,
                );
            }
            _ => {
                return Err(AppError::bad_parameter(
                    "query",
                    "unknown query parameter; the stream takes since, poll and limit",
                ));
            }
        }
    }
    if query.limit.is_some() && !query.poll {
        return Err(AppError::bad_parameter(
            "limit",
            "`limit` applies to polling (`poll=true`) only",
        ));
    }
    Ok(query)
}

fn parse_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id >= 0)
}

/// The `Last-Event-ID` a reconnecting EventSource sends.
fn last_event_id(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    headers
        .get("last-event-id")
        .map(|value| {
            value.to_str().ok().and_then(parse_id).ok_or_else(|| {
                AppError::bad_request("the Last-Event-ID header must be a stream message id")
            })
        })
        .transpose()
}

/// Whether `role` (`None`: the public) may see entries of `kind`.
fn may_see(role: Option<Role>, kind: StreamKind) -> bool {
    kind.is_public() || role.is_some_and(|role| role >= Role::Researcher)
}

/// The members of a report entry's payload any reader may see (the store writes no others;
/// this list keeps it that way should it ever write more).
const REPORT_MEMBERS: [&str; 9] = [
    "report",
    "status",
    "event",
    "commune",
    "cercle",
    "region",
    "event_type",
    "occurred_on",
    "fatalities",
];

/// A message's JSON, or `None` when `role` may not see it.
fn message_json(entry: &StreamEntry, role: Option<Role>) -> Option<Value> {
    may_see(role, entry.kind).then(|| message_body(entry))
}

/// A message's JSON for whoever may see it (the same for every role).
fn message_body(entry: &StreamEntry) -> Value {
    let payload = match entry.kind {
        StreamKind::Report => {
            let members: Map<String, Value> = REPORT_MEMBERS
                .iter()
                .filter_map(|name| {
                    entry
                        .payload
                        .get(*name)
                        .map(|value| ((*name).to_owned(), value.clone()))
                })
                .collect();
            Value::Object(members)
        }
        StreamKind::Event | StreamKind::Warning | StreamKind::Hotspot => entry.payload.clone(),
    };
    json!({
        "id": entry.id,
        "kind": entry.kind.as_str(),
        "ref_id": entry.ref_id,
        "created_at": entry.created_at,
        "data": payload,
    })
}

fn sse_message(entry: &StreamEntry, role: Option<Role>) -> Option<Event> {
    let body = message_json(entry, role)?;
    Some(sse_event(entry, &body.to_string()))
}

/// The SSE message of a published entry, its data written once for all connections.
fn published_message(published: &Published, role: Option<Role>) -> Option<Event> {
    let entry = &published.entry;
    if !may_see(role, entry.kind) {
        return None;
    }
    let data = published
        .data
        .get_or_init(|| message_body(entry).to_string());
    Some(sse_event(entry, data))
}

fn sse_event(entry: &StreamEntry, data: &str) -> Event {
    Event::default()
        .event(entry.kind.as_str())
        .id(entry.id.to_string())
        .data(data)
}

/// Why a client must reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResyncReason {
    /// More than `max_replay` entries to replay, or an id this log never gave.
    TooFarBehind,
    /// The connection read slower than the stream came in.
    Lagging,
}

fn resync_json(reason: ResyncReason, head: Option<i64>) -> Value {
    let reason = match reason {
        ResyncReason::TooFarBehind => "too far behind",
        ResyncReason::Lagging => "lagging",
    };
    json!({ "kind": "resync", "id": head, "reason": reason })
}

/// The `resync` message. With the head as its id, a client that reconnects after it resumes
/// from there rather than being sent back again.
fn resync_message(reason: ResyncReason, head: Option<i64>) -> Event {
    let event = Event::default()
        .event("resync")
        .data(resync_json(reason, head).to_string());
    match head {
        Some(head) => event.id(head.to_string()),
        None => event,
    }
}

/// One SSE connection between messages.
struct Connection {
    receiver: broadcast::Receiver<Arc<Published>>,
    /// Set when served by [`crate::serve`]: the stream ends when the server stops.
    closing: Option<ClosingSignal>,
    role: Option<Role>,
    /// Messages to send before listening again (the replay).
    pending: VecDeque<Event>,
    /// The highest log id sent or skipped: the channel may repeat what the replay sent.
    last_id: i64,
}

impl Connection {
    /// The next message, or `None` when the hub is gone.
    async fn next_message(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            let received = match &mut self.closing {
                Some(closing) => tokio::select! {
                    received = self.receiver.recv() => received,
                    () = closing.closed() => return None,
                },
                None => self.receiver.recv().await,
            };
            match received {
                Ok(published) => {
                    if published.entry.id <= self.last_id {
                        continue;
                    }
                    self.last_id = published.entry.id;
                    if let Some(event) = published_message(&published, self.role) {
                        return Some(event);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Some(resync_message(ResyncReason::Lagging, None));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

async fn stream(
    State(state): State<StreamState>,
    closing: Option<axum::Extension<ClosingSignal>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let role = optional_role(state.app.api_keys.as_deref(), &headers, "the stream")?;
    let query = parse_query(raw.as_deref())?;
    let resume = match query.since {
        Some(since) => Some(since),
        None => last_event_id(&headers)?,
    };
    if query.poll {
        return poll(&state, role, resume, query.limit).await;
    }
    let hub = &state.hub;
    let store = &state.app.store;
    // Subscribe before reading the head: whatever commits after the head read reaches this
    // receiver (the feeder's position is at or below the head read here).
    let receiver = hub.sender.subscribe();
    hub.ensure_feeder(store).await?;
    let head = read_head(store).await?;
    let mut pending = VecDeque::new();
    let mut last_id = head;
    match resume {
        None => {}
        Some(since) if since > head || head - since > i64::from(hub.settings.max_replay) => {
            pending.push_back(resync_message(ResyncReason::TooFarBehind, Some(head)));
        }
        Some(since) => {
            let reader = store.clone();
            let limit = hub.settings.max_replay;
            let missed = blocking(move || {
                reader
                    .stream_since(since, limit)
                    .map_err(|error| AppError::internal("replaying the stream", error))
            })
            .await?;
            for entry in &missed {
                last_id = last_id.max(entry.id);
                pending.extend(sse_message(entry, role));
            }
        }
    }
    let connection = Connection {
        receiver,
        closing: closing.map(|axum::Extension(signal)| signal),
        role,
        pending,
        last_id,
    };
    let messages = futures_util::stream::unfold(connection, |mut connection| async move {
        let event = connection.next_message().await?;
        Some((Ok::<Event, Infallible>(event), connection))
    });
    let mut response = Sse::new(messages)
        .keep_alive(KeepAlive::new().interval(hub.settings.keep_alive))
        .into_response();
    // Tells nginx-style proxies not to buffer the stream.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// `?poll=true`: the entries after `since` (none, and the head as `next`, without `since`).
async fn poll(
    state: &StreamState,
    role: Option<Role>,
    since: Option<i64>,
    limit: Option<u32>,
) -> Result<Response, AppError> {
    let store = state.app.store.clone();
    let limit = limit.unwrap_or(DEFAULT_POLL_LIMIT);
    let max_replay = i64::from(state.hub.settings.max_replay);
    let body = blocking(move || {
        let internal = |error| AppError::internal("polling the stream", error);
        let head = store.stream_head().map_err(internal)?;
        let Some(since) = since else {
            return Ok(json!({ "items": [], "next": head }));
        };
        if since > head || head - since > max_replay {
            return Ok(json!({
                "items": [resync_json(ResyncReason::TooFarBehind, Some(head))],
                "next": head,
            }));
        }
        let entries = store.stream_since(since, limit).map_err(internal)?;
        let next = entries.last().map_or(since, |entry| entry.id);
        let items: Vec<Value> = entries
            .iter()
            .filter_map(|entry| message_json(entry, role))
            .collect();
        Ok(json!({ "items": items, "next": next }))
    })
    .await?;
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn entry(id: i64, kind: StreamKind) -> StreamEntry {
        StreamEntry {
            id,
            kind,
            ref_id: id,
            created_at: Utc::now(),
            payload: json!({"n": id, "text": "never"}),
        }
    }

    #[tokio::test]
    async fn a_connection_overtaken_by_the_channel_is_told_to_resync() {
        let hub = LiveHub::new(StreamSettings {
            channel_capacity: 2,
            ..StreamSettings::default()
        });
        let mut connection = Connection {
            receiver: hub.sender.subscribe(),
            closing: None,
            role: None,
            pending: VecDeque::new(),
            last_id: 0,
        };
        for id in 1..=5 {
            hub.publish(entry(id, StreamKind::Warning));
        }
        let first = connection.next_message().await.unwrap();
        assert!(format!("{first:?}").contains("resync"), "{first:?}");
        // Then it carries on with what the channel still holds.
        let _entry = connection.next_message().await.unwrap();
        assert_eq!(connection.last_id, 4);
    }

    #[test]
    fn the_public_sees_aggregates_only_and_reports_keep_listed_members() {
        assert!(message_json(&entry(1, StreamKind::Event), None).is_none());
        assert!(message_json(&entry(1, StreamKind::Report), None).is_none());
        assert!(message_json(&entry(1, StreamKind::Warning), None).is_some());
        assert!(message_json(&entry(1, StreamKind::Hotspot), None).is_some());
        let mut report = entry(2, StreamKind::Report);
        report.payload = json!({"report": 2, "commune": "ML050301", "reporter": "R-1234"});
        let seen = message_json(&report, Some(Role::Researcher)).unwrap();
        assert_eq!(seen["data"], json!({"report": 2, "commune": "ML050301"}));
    }

    #[test]
    fn queries_are_checked() {
        assert_eq!(
            parse_query(Some("since=4&poll=true")).unwrap().since,
            Some(4)
        );
        assert!(parse_query(Some("since=-1")).is_err());
        assert!(parse_query(Some("since=x")).is_err());
        assert!(parse_query(Some("bbox=1")).is_err());
        assert!(parse_query(Some("limit=10")).is_err());
        assert!(parse_query(Some("poll=true&limit=5000")).is_err());
        assert_eq!(
            parse_query(Some("poll=true&limit=10")).unwrap().limit,
            Some(10)
        );
    }
}
