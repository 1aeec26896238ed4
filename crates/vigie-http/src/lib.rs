//! Vigie's HTTP server: where community reports come in, and the research API
//! (OGC API – Features, see [`features`]) goes out.
//!
//! Routes (see each module for its contract; "limited": draws on the client's rate-limit
//! bucket, see `rate_limit.rs`):
//!
//! | route | what | limited |
//! |---|---|---|
//! | `GET /`, `/conformance`, `/api`, `/collections…` | OGC API – Features (see [`features`]) | yes |
//! | `POST /webhooks/sms/twilio` | Twilio inbound SMS, signature checked; answers TwiML | no |
//! | `POST /webhooks/sms/africastalking/{token}` | Africa's Talking inbound SMS, secret URL token | no |
//! | `POST /webhooks/sms/smssync` | SMSSync Android gateway, shared secret; answers a `send` task | no |
//! | `POST /api/reports` | the web report form (JSON) | yes |
//! | `GET /cap/feed.atom`, `GET /cap/{identifier}.xml` | public CAP 1.2 messages and their Atom feed (see [`cap`]) | yes |
//! | `POST /webhooks/receipts/{africastalking/{token},twilio,webhook}` | delivery receipts from the SMS gateways (see [`receipts`]) | no |
//! | `GET /api/stream` | the live stream: Server-Sent Events, or JSON pages with `poll=true` (see `live.rs`) | yes |
//! | `GET /api/keys` | the API keys (never their secrets), admin role (see [`StoreApiKeys`]) | yes |
//! | `GET /` (browsers), `GET /web/{*path}`, `GET /basemap/{name}.geojson` | the analyst's web map, its files and basemap (see `web.rs`) | `/` only |
//! | `GET /healthz` | store reachable | no |
//! | `GET /metrics` | Prometheus text format (see `metrics.rs`) | yes |
//!
//! Limits on every route: request bodies of at most `body_limit_bytes` (413), requests of
//! at most `request_timeout` (503), pages of at most [`features::MAX_LIMIT`] items. Limited
//! routes: a token bucket per live API key, and one per client address for the rest
//! ([`RateLimitConfig`]; 429 with `Retry-After`). Answers of 1 KiB and more are compressed
//! (gzip or brotli, as `Accept-Encoding` asks), except the event stream. Feature routes say
//! how they may be cached (`Cache-Control`: an hour for metadata, a minute for the zone
//! layers, revalidation for warnings and hotspots, `private, no-store` for keyed
//! collections) and storable answers carry a strong `ETag` (`304` on `If-None-Match`); see
//! `caching.rs`.
//!
//! Build an [`AppState`] once (store, geography, [`vigie_domain::PhoneProtector`], config),
//! hand it to [`router`], and run the router with [`serve`] on a listener.
//!
//! What this crate must never do: log, store or answer with a reporter's phone number or a
//! message's text. Numbers are turned into their keyed HMAC and sealed copy the moment a
//! request is read; logs carry the channel, the reporter's pseudonym and the report id only;
//! request spans record the method and the route pattern, never the URL (a secret token
//! lives in one) or a body. The one exception is SMSSync's reply task, which must name the
//! number the gateway phone answers.

mod caching;
pub mod cap;
mod config;
mod error;
pub mod features;
mod intake;
mod keys;
mod live;
mod metrics;
mod rate_limit;
pub mod receipts;
mod state;
mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::routing::{MethodRouter, post};
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::{
    AfricasTalkingConfig, CapConfig, ConfigError, IntakeConfig, ReceiptsConfig, Secret,
    SmsSyncConfig, TwilioConfig, WebhookReceiptsConfig,
};
pub use error::AppError;
pub use features::{ApiKeys, FeatureCatalog, HotspotPublisher, Role};
pub use keys::StoreApiKeys;
pub use live::{LiveHub, StreamSettings, StreamWake};
pub use metrics::HttpMetrics;
pub use rate_limit::{IpNetwork, IpNetworkError, Rate, RateLimitConfig};
pub use state::{AppState, Clock, Geography, SharedGeography};

/// Every route, with the limits: body size (413 beyond `body_limit_bytes`), request timeout
/// (503 beyond `request_timeout`), rate limits (429, see [`RateLimitConfig`]), compression,
/// caching headers, a tracing span per request, and request metrics; the live stream with
/// [`StreamSettings::default`].
pub fn router(state: AppState) -> Router {
    router_with_stream(state, StreamSettings::default())
}

/// [`router`] with other live-stream settings. Each call makes its own stream hub and
/// request metrics: call it once per server.
pub fn router_with_stream(state: AppState, stream: StreamSettings) -> Router {
    let http_metrics = Arc::new(HttpMetrics::default());
    let limiter = Arc::new(rate_limit::RateLimiter::new(
        state.config.rate_limit.clone(),
        state.api_keys.clone(),
    ));
    let hub = LiveHub::new(stream);
    let body_limit = state.config.body_limit_bytes;
    let timeout = state.config.request_timeout;
    let layers = ServiceBuilder::new()
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        // Refuses a declared oversized body before reading it; DefaultBodyLimit makes the
        // extractors stop at the same size when the length is not declared.
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(DefaultBodyLimit::max(body_limit));
    INTAKE_ROUTES
        .iter()
        .fold(
            features::routes().layer(axum::middleware::from_fn(caching::conditional_get)),
            |router, route| router.route(route.path, (route.handler)()),
        )
        .merge(cap::routes())
        .merge(receipts::routes())
        .merge(keys::routes())
        .merge(live::routes(state.clone(), hub))
        .merge(metrics::routes(state.clone(), http_metrics.clone()))
        .merge(web::routes().layer(axum::middleware::from_fn(caching::conditional_get)))
        .fallback(|| async { AppError::not_found() })
        .layer(caching::compression())
        // Outside the compression, so that it sees which coding was applied.
        .layer(axum::middleware::map_response(caching::tag_coding))
        .layer(layers)
        // Outside the limits, so that their refusals (413, 503) become problems too.
        .layer(axum::middleware::map_response(
            error::problem_for_bare_errors,
        ))
        // Before the work, after the metrics: refused requests are counted, not traced.
        .layer(axum::middleware::from_fn_with_state(
            limiter,
            rate_limit::limit,
        ))
        // Outermost, so that answers the inner layers make (timeouts) are counted too.
        .layer(axum::middleware::from_fn_with_state(
            http_metrics,
            metrics::track,
        ))
        .with_state(state)
}

/// One intake route: mounted by [`router`], described in the OpenAPI document.
#[derive(Debug)]
pub struct IntakeRoute {
    /// Path, `{parameter}` syntax.
    pub path: &'static str,
    /// OpenAPI operation id.
    pub operation_id: &'static str,
    /// One line.
    pub summary: &'static str,
    /// The body's media type.
    pub body_type: &'static str,
    handler: fn() -> MethodRouter<AppState>,
}

/// The intake routes (all POST).
pub static INTAKE_ROUTES: [IntakeRoute; 4] = [
    IntakeRoute {
        path: "/webhooks/sms/twilio",
        operation_id: "receiveTwilioSms",
        summary: "Twilio inbound SMS (signature checked); answers TwiML",
        body_type: "application/x-www-form-urlencoded",
        handler: || post(intake::twilio::receive),
    },
    IntakeRoute {
        path: "/webhooks/sms/africastalking/{token}",
        operation_id: "receiveAfricasTalkingSms",
        summary: "Africa's Talking inbound SMS (secret URL token)",
        body_type: "application/x-www-form-urlencoded",
        handler: || post(intake::africastalking::receive),
    },
    IntakeRoute {
        path: "/webhooks/sms/smssync",
        operation_id: "receiveSmsSync",
        summary: "SMSSync Android gateway (shared secret); answers a send task",
        body_type: "application/x-www-form-urlencoded",
        handler: || post(intake::smssync::receive),
    },
    IntakeRoute {
        path: "/api/reports",
        operation_id: "submitReport",
        summary: "The web report form",
        body_type: "application/json",
        handler: || post(intake::web_form::receive),
    },
];

/// The span of one request: its method and route pattern. Not the URL, which for Africa's
/// Talking holds the secret token; not headers or bodies, which hold numbers and reports.
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route)
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight
/// finish. Live streams never finish by themselves: they are told to end when `shutdown`
/// completes, so that the server can stop. Each request knows its connection's peer address
/// (the rate limits' client address).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (closing, signal) = live::closing_signal();
    let shutdown = async move {
        shutdown.await;
        closing.close();
    };
    let service = router
        .layer(axum::Extension(signal))
        .into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}
