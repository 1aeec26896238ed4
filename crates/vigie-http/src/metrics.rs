//! `GET /healthz` and `GET /metrics` (Prometheus text format, written by hand), and the
//! middleware that counts requests and times them.
//!
//! Series:
//!
//! | name | type | labels | from |
//! |---|---|---|---|
//! | `vigie_ingested_records_total` | counter | `source` | rows read by import runs |
//! | `vigie_quarantined_records_total` | counter | `source` | rows import runs quarantined |
//! | `vigie_open_warnings` | gauge | `level` | open warning episodes by current level |
//! | `vigie_outbox_notifications` | gauge | `status` | outbox rows by status |
//! | `vigie_outbox_oldest_due_age_seconds` | gauge | | how long the oldest due row has waited (0: none) |
//! | `vigie_stream_head` | gauge | | the stream log's latest id |
//! | `vigie_http_requests_total` | counter | `route`, `status` | answered requests |
//! | `vigie_http_request_duration_seconds` | histogram | `route` | time to the response head |
//!
//! Routes are labelled with their pattern (`/collections/{collectionId}/items`), never the
//! URL, which may hold a secret token; unmatched paths share the label `unmatched`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use vigie_domain::store::Store;
use vigie_domain::{EventSource, NotificationStatus, WarningLevel};

use crate::error::AppError;
use crate::intake::blocking;
use crate::state::AppState;

/// Upper bounds of the latency histogram's buckets, in seconds.
const LATENCY_BUCKETS_SECONDS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// How long `/healthz` waits for the store.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// The import runs `/metrics` adds up (the newest).
const MAX_RUNS_SUMMED: u64 = 1_000_000;

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Counts per bucket (not cumulative: made cumulative when written).
    buckets: [u64; LATENCY_BUCKETS_SECONDS.len()],
    sum_seconds: f64,
    count: u64,
}

/// Request counts and latencies since the server started.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    /// std Mutex: held to bump a few numbers, never across an await.
    inner: Mutex<HttpCounters>,
}

#[derive(Debug, Default)]
struct HttpCounters {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

impl HttpMetrics {
    fn record(&self, route: &str, status: StatusCode, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut counters = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        *counters
            .requests
            .entry((route.to_owned(), status.as_u16()))
            .or_default() += 1;
        let histogram = counters.latency.entry(route.to_owned()).or_default();
        if let Some(bucket) = LATENCY_BUCKETS_SECONDS
            .iter()
            .position(|bound| seconds <= *bound)
        {
            histogram.buckets[bucket] += 1;
        }
        histogram.sum_seconds += seconds;
        histogram.count += 1;
    }

    fn write(&self, out: &mut String) {
        let counters = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        header_lines(
            out,
            "vigie_http_requests_total",
            "counter",
            "HTTP requests answered, by route pattern and status.",
        );
        for ((route, status), count) in &counters.requests {
            let _ = writeln!(
                out,
                "vigie_http_requests_total{{route=\"{}\",status=\"{status}\"}} {count}",
                escape_label(route)
            );
        }
        header_lines(
            out,
            "vigie_http_request_duration_seconds",
            "histogram",
            "Time from request to response head, by route pattern.",
        );
        for (route, histogram) in &counters.latency {
            let route = escape_label(route);
            let mut cumulative = 0;
            for (bound, count) in LATENCY_BUCKETS_SECONDS.iter().zip(histogram.buckets) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "vigie_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "vigie_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "vigie_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                histogram.sum_seconds
            );
            let _ = writeln!(
                out,
                "vigie_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                histogram.count
            );
        }
    }
}

/// The middleware: counts and times every request by its route pattern.
pub(crate) async fn track(
    State(metrics): State<Arc<HttpMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record(&route, response.status(), started.elapsed());
    response
}

/// The state of the health and metrics routes.
#[derive(Clone)]
struct MetricsState {
    app: AppState,
    http: Arc<HttpMetrics>,
}

/// `/healthz` and `/metrics`.
pub(crate) fn routes<S>(app: AppState, http: Arc<HttpMetrics>) -> axum::Router<S> {
    axum::Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .with_state(MetricsState { app, http })
}

/// 200 `{"status":"ok"}` when the store answers within [`HEALTH_TIMEOUT`], else 503.
async fn health(State(state): State<MetricsState>) -> Response {
    let store = state.app.store.clone();
    let check = tokio::task::spawn_blocking(move || store.stream_head());
    let healthy = matches!(
        tokio::time::timeout(HEALTH_TIMEOUT, check).await,
        Ok(Ok(Ok(_)))
    );
    if healthy {
        let mut body = json!({ "status": "ok" });
        if let Some(leader) = &state.app.leader {
            body["leader"] = json!(leader.load(Ordering::SeqCst));
        }
        // Which zone set this replica serves: after a publication, every replica behind the
        // load balancer should soon say the same.
        if let Some(version) = state.app.geography.version() {
            body["geography_version"] = json!(version);
        }
        (StatusCode::OK, axum::Json(body)).into_response()
    } else {
        tracing::warn!("health check: the store does not answer");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "unavailable" })),
        )
            .into_response()
    }
}

async fn metrics(State(state): State<MetricsState>) -> Result<Response, AppError> {
    let store = state.app.store.clone();
    let now = state.app.clock.now();
    let mut body = blocking(move || {
        store_metrics(store.as_ref(), now)
            .map_err(|error| AppError::internal("reading metrics", error))
    })
    .await?;
    if let Some(leader) = &state.app.leader {
        header_lines(
            &mut body,
            "vigie_leader",
            "gauge",
            "1 when this replica runs the warning engine and the dispatcher, else 0.",
        );
        let _ = writeln!(
            body,
            "vigie_leader {}",
            u8::from(leader.load(Ordering::SeqCst))
        );
    }
    state.http.write(&mut body);
    if let Some(version) = state.app.geography.version() {
        header_lines(
            &mut body,
            "vigie_geography_version",
            "gauge",
            "The store's version of the zone set this process serves.",
        );
        let _ = writeln!(body, "vigie_geography_version {version}");
    }
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

fn header_lines(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value with `\`, `"` and newlines escaped, as the text format asks.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The series read from the store.
fn store_metrics(
    store: &dyn Store,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, vigie_domain::store::StoreError> {
    let mut out = String::new();
    let mut read: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut quarantined: BTreeMap<&'static str, u64> = BTreeMap::new();
    for source in [
        EventSource::Acled,
        EventSource::Ucdp,
        EventSource::Community,
    ] {
        read.insert(source.as_str(), 0);
        quarantined.insert(source.as_str(), 0);
    }
    for run in store.import_runs(MAX_RUNS_SUMMED)? {
        *read.entry(run.source.as_str()).or_default() += run.counts.read;
        *quarantined.entry(run.source.as_str()).or_default() += run.counts.quarantined;
    }
    header_lines(
        &mut out,
        "vigie_ingested_records_total",
        "counter",
        "Source rows read by import runs, by source.",
    );
    for (source, count) in &read {
        let _ = writeln!(
            out,
            "vigie_ingested_records_total{{source=\"{source}\"}} {count}"
        );
    }
    header_lines(
        &mut out,
        "vigie_quarantined_records_total",
        "counter",
        "Source rows refused by import runs (kept in quarantine), by source.",
    );
    for (source, count) in &quarantined {
        let _ = writeln!(
            out,
            "vigie_quarantined_records_total{{source=\"{source}\"}} {count}"
        );
    }

    let open = store.open_episodes()?;
    header_lines(
        &mut out,
        "vigie_open_warnings",
        "gauge",
        "Open warning episodes, by current level.",
    );
    for level in WarningLevel::ALL {
        let count = open.iter().filter(|episode| episode.level == level).count();
        let _ = writeln!(
            out,
            "vigie_open_warnings{{level=\"{}\"}} {count}",
            level.as_str()
        );
    }

    let outbox = store.outbox_stats(now)?;
    header_lines(
        &mut out,
        "vigie_outbox_notifications",
        "gauge",
        "Notifications in the outbox, by status.",
    );
    for status in NotificationStatus::ALL {
        let count = outbox.by_status.get(status).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "vigie_outbox_notifications{{status=\"{}\"}} {count}",
            status.as_str()
        );
    }
    header_lines(
        &mut out,
        "vigie_outbox_oldest_due_age_seconds",
        "gauge",
        "How long the oldest due notification has waited since it fell due (0: none due).",
    );
    let _ = writeln!(
        out,
        "vigie_outbox_oldest_due_age_seconds {}",
        outbox.oldest_due_age_seconds.unwrap_or(0.0)
    );

    header_lines(
        &mut out,
        "vigie_stream_head",
        "gauge",
        "The id of the live stream's latest entry.",
    );
    let _ = writeln!(out, "vigie_stream_head {}", store.stream_head()?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_fill_cumulative_buckets() {
        let metrics = HttpMetrics::default();
        metrics.record("/a", StatusCode::OK, Duration::from_micros(500));
        metrics.record("/a", StatusCode::OK, Duration::from_millis(30));
        metrics.record("/a", StatusCode::NOT_FOUND, Duration::from_secs(60));
        let mut out = String::new();
        metrics.write(&mut out);
        assert!(out.contains("vigie_http_requests_total{route=\"/a\",status=\"200\"} 2"));
        assert!(out.contains("vigie_http_requests_total{route=\"/a\",status=\"404\"} 1"));
        assert!(
            out.contains("_bucket{route=\"/a\",le=\"0.001\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("_bucket{route=\"/a\",le=\"0.05\"} 2\n"),
            "{out}"
        );
        assert!(out.contains("_bucket{route=\"/a\",le=\"5\"} 2\n"), "{out}");
        assert!(
            out.contains("_bucket{route=\"/a\",le=\"+Inf\"} 3\n"),
            "{out}"
        );
        assert!(out.contains("vigie_http_request_duration_seconds_count{route=\"/a\"} 3"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
