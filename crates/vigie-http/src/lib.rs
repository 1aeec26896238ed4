//! Vigie's HTTP server: where community reports come in.
//!
//! Routes (see each module for its contract):
//!
//! | route | what |
//! |---|---|
//! | `POST /webhooks/sms/twilio` | Twilio inbound SMS, signature checked; answers TwiML |
//! | `POST /webhooks/sms/africastalking/{token}` | Africa's Talking inbound SMS, secret URL token |
//! | `POST /webhooks/sms/smssync` | SMSSync Android gateway, shared secret; answers a `send` task |
//! | `POST /api/reports` | the web report form (JSON) |
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

mod config;
mod error;
mod intake;
mod state;

use std::future::Future;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::routing::post;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::{
    AfricasTalkingConfig, ConfigError, IntakeConfig, Secret, SmsSyncConfig, TwilioConfig,
};
pub use error::AppError;
pub use state::{AppState, Clock};

/// Every route, with the limits: body size (413 beyond `body_limit_bytes`), request timeout
/// (503 beyond `request_timeout`), and a tracing span per request.
pub fn router(state: AppState) -> Router {
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
    Router::new()
        .route("/webhooks/sms/twilio", post(intake::twilio::receive))
        .route(
            "/webhooks/sms/africastalking/{token}",
            post(intake::africastalking::receive),
        )
        .route("/webhooks/sms/smssync", post(intake::smssync::receive))
        .route("/api/reports", post(intake::web_form::receive))
        .fallback(|| async { AppError::not_found() })
        .layer(layers)
        .with_state(state)
}

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
/// finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
