//! Delivery receipts: the outbound SMS gateways tell whether a message reached the handset,
//! and the outbox row sent with that provider message id becomes `delivered` or `dead`
//! ([`vigie_domain::store::DeliveryStore::apply_delivery_receipt`]).
//!
//! | route | gateway | authenticated by |
//! |---|---|---|
//! | `POST /webhooks/receipts/africastalking/{token}` | Africa's Talking delivery reports (form: `id`, `status`, `failureReason`) | secret URL token (wrong: 404, as the intake) |
//! | `POST /webhooks/receipts/twilio` | Twilio status callbacks (form: `MessageSid`, `MessageStatus`, `ErrorCode`) | `X-Twilio-Signature` (wrong: 403) |
//! | `POST /webhooks/receipts/webhook` | the JSON webhook gateway (`{"id", "status": "delivered"\|"failed", "detail"}`) | `Authorization: Bearer` (wrong: 401) |
//!
//! Final statuses change the row; intermediate ones (sent, queued, buffered…) and statuses a
//! gateway may add later change nothing. A receipt for an unknown or already settled message
//! is answered 200 all the same: gateways retry on errors, and retrying cannot help. Every
//! answer is `{"updated": n}`, the rows changed.

use axum::Json;
use axum::Router;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection};
use axum::extract::{Form, OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::routing::post;
use serde_json::{Value, json};
use vigie_domain::ReceiptStatus;

use crate::error::AppError;
use crate::intake::fields::FormFields;
use crate::intake::twilio::{SIGNATURE_HEADER, signature_matches, signed_url};
use crate::intake::{MAX_ID_CHARS, blocking};
use crate::state::AppState;

/// The provider names the SMS channels record with the rows they send (`vigie_notify::sms`).
const AFRICAS_TALKING: &str = "sms:africastalking";
const TWILIO: &str = "sms:twilio";
const WEBHOOK: &str = "sms:webhook";

/// Characters of a failure detail kept.
const MAX_DETAIL_CHARS: usize = 200;

/// The receipt routes (mounted by [`crate::router`]).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/webhooks/receipts/africastalking/{token}",
            post(africas_talking),
        )
        .route("/webhooks/receipts/twilio", post(twilio))
        .route("/webhooks/receipts/webhook", post(webhook))
}

/// What Africa's Talking's delivery-report `status` means for the outbox: `Success` is
/// delivered; `Failed`, `Rejected`, `AbsentSubscriber` and `Expired` are final failures;
/// anything else (`Sent`, `Submitted`, `Buffered`…) is on its way.
pub fn africas_talking_receipt(status: &str) -> Option<ReceiptStatus> {
    match status {
        "Success" => Some(ReceiptStatus::Delivered),
        "Failed" | "Rejected" | "AbsentSubscriber" | "Expired" => Some(ReceiptStatus::Failed),
        _ => None,
    }
}

/// What Twilio's `MessageStatus` means for the outbox: `delivered` (and `read`) is delivered;
/// `undelivered`, `failed` and `canceled` are final failures; anything else (`queued`,
/// `sending`, `sent`, `accepted`…) is on its way.
pub fn twilio_receipt(status: &str) -> Option<ReceiptStatus> {
    match status {
        "delivered" | "read" => Some(ReceiptStatus::Delivered),
        "undelivered" | "failed" | "canceled" => Some(ReceiptStatus::Failed),
        _ => None,
    }
}

/// A failure detail fit for the outbox's `last_error`: control characters dropped, bounded.
fn detail_text(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|part| !part.trim().is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(": ")
        .chars()
        .filter(|character| !character.is_control())
        .take(MAX_DETAIL_CHARS)
        .collect()
}

/// Applies a receipt (or nothing, for an intermediate status) and answers `{"updated": n}`.
async fn apply(
    state: &AppState,
    provider: &'static str,
    message_id: &str,
    status: Option<ReceiptStatus>,
    detail: Option<String>,
) -> Result<Json<Value>, AppError> {
    let Some(status) = status else {
        tracing::debug!(provider, "delivery receipt with an intermediate status");
        return Ok(Json(json!({ "updated": 0 })));
    };
    let store = state.store.clone();
    let now = state.clock.now();
    let message_id = message_id.to_owned();
    let detail = match status {
        ReceiptStatus::Delivered => None,
        ReceiptStatus::Failed => detail,
    };
    let updated = blocking(move || {
        Ok(store.apply_delivery_receipt(provider, &message_id, status, detail.as_deref(), now)?)
    })
    .await?;
    tracing::info!(provider, status = ?status, updated, "delivery receipt");
    Ok(Json(json!({ "updated": updated })))
}

/// `POST /webhooks/receipts/africastalking/{token}`.
async fn africas_talking(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Json<Value>, AppError> {
    let Path(token) = token?;
    let expected = state
        .config
        .receipts
        .africas_talking
        .as_ref()
        .map(|africas_talking| &africas_talking.url_token);
    if !expected.is_some_and(|expected| expected.matches(token.as_bytes())) {
        tracing::warn!(
            provider = AFRICAS_TALKING,
            "receipt refused: wrong callback token"
        );
        return Err(AppError::not_found());
    }
    let Form(pairs) = form?;
    let fields = FormFields::new(pairs);
    let message_id = fields.required("id", MAX_ID_CHARS)?;
    let status = fields.required("status", MAX_ID_CHARS)?;
    let reason = fields
        .optional("failureReason", MAX_ID_CHARS)?
        .unwrap_or_default();
    let detail = detail_text(&["africastalking", status, reason]);
    apply(
        &state,
        AFRICAS_TALKING,
        message_id,
        africas_talking_receipt(status),
        Some(detail),
    )
    .await
}

/// `POST /webhooks/receipts/twilio`: the signature is checked as for inbound SMS, over the
/// configured public URL and every form parameter.
async fn twilio(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Json<Value>, AppError> {
    let Some(twilio) = state.config.receipts.twilio.clone() else {
        return Err(AppError::not_found());
    };
    let Form(pairs) = form?;
    let fields = FormFields::new(pairs);
    let url = signed_url(
        &twilio,
        uri.path_and_query().map_or("/", |path| path.as_str()),
    );
    let signature = headers
        .get(SIGNATURE_HEADER)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    if !signature_matches(&twilio.auth_token, &url, fields.pairs(), signature) {
        tracing::warn!(
            provider = TWILIO,
            "receipt refused: bad or missing signature"
        );
        return Err(AppError::forbidden(
            "the X-Twilio-Signature header is missing or wrong",
        ));
    }
    let message_id = fields.required("MessageSid", MAX_ID_CHARS)?;
    let status = fields.required("MessageStatus", MAX_ID_CHARS)?;
    let error_code = fields
        .optional("ErrorCode", MAX_ID_CHARS)?
        .unwrap_or_default();
    let detail = if error_code.is_empty() {
        detail_text(&["twilio", status])
    } else {
        detail_text(&["twilio", status, &format!("error {error_code}")])
    };
    apply(
        &state,
        TWILIO,
        message_id,
        twilio_receipt(status),
        Some(detail),
    )
    .await
}

/// `POST /webhooks/receipts/webhook`: `{"id": …, "status": "delivered"|"failed", "detail": …}`
/// with `Authorization: Bearer <token>`. `sent`, `queued` and `buffered` are accepted and
/// change nothing; any other status is refused (422): this protocol is Vigie's own.
async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let Some(webhook) = state.config.receipts.webhook.clone() else {
        return Err(AppError::not_found());
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !webhook.bearer_token.matches(token.trim().as_bytes()) {
        tracing::warn!(provider = WEBHOOK, "receipt refused: wrong bearer token");
        return Err(AppError::unauthorized(
            "the Authorization bearer token is missing or wrong",
        ));
    }
    let Json(body) = body?;
    let text = |name: &str| body.get(name).and_then(Value::as_str);
    let message_id = text("id")
        .filter(|id| !id.trim().is_empty() && id.chars().count() <= MAX_ID_CHARS)
        .ok_or_else(|| {
            AppError::invalid_field(format!(
                "field id is required: a string of at most {MAX_ID_CHARS} characters"
            ))
        })?;
    let status = match text("status") {
        Some("delivered") => Some(ReceiptStatus::Delivered),
        Some("failed") => Some(ReceiptStatus::Failed),
        Some("sent" | "queued" | "buffered") => None,
        _ => {
            return Err(AppError::invalid_field(
                "field status must be delivered, failed, sent, queued or buffered",
            ));
        }
    };
    let detail = detail_text(&["webhook", text("detail").unwrap_or_default()]);
    apply(&state, WEBHOOK, message_id, status, Some(detail)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_final_statuses_map_to_a_receipt() {
        assert_eq!(
            africas_talking_receipt("Success"),
            Some(ReceiptStatus::Delivered)
        );
        assert_eq!(
            africas_talking_receipt("Rejected"),
            Some(ReceiptStatus::Failed)
        );
        for intermediate in ["Sent", "Submitted", "Buffered", "success", ""] {
            assert_eq!(africas_talking_receipt(intermediate), None);
        }
        assert_eq!(twilio_receipt("delivered"), Some(ReceiptStatus::Delivered));
        assert_eq!(twilio_receipt("undelivered"), Some(ReceiptStatus::Failed));
        for intermediate in ["queued", "sending", "sent", "accepted", "Delivered"] {
            assert_eq!(twilio_receipt(intermediate), None);
        }
    }

    #[test]
    fn weak_receipt_secrets_and_bad_cap_settings_are_refused() {
        use crate::config::{
            AfricasTalkingConfig, CapConfig, ConfigError, IntakeConfig, ReceiptsConfig, Secret,
            WebhookReceiptsConfig,
        };
        let with = |receipts: ReceiptsConfig, cap: CapConfig| IntakeConfig {
            receipts,
            cap,
            ..IntakeConfig::default()
        };
        let weak_webhook = ReceiptsConfig {
            webhook: Some(WebhookReceiptsConfig {
                bearer_token: Secret::new("short"),
            }),
            ..ReceiptsConfig::default()
        };
        assert!(matches!(
            with(weak_webhook, CapConfig::default()).validate(),
            Err(ConfigError::WeakSecret { .. })
        ));
        let weak_at = ReceiptsConfig {
            africas_talking: Some(AfricasTalkingConfig {
                url_token: Secret::new("0123456789"),
            }),
            ..ReceiptsConfig::default()
        };
        assert!(with(weak_at, CapConfig::default()).validate().is_err());
        let relative_base = CapConfig {
            public_base_url: Some("vigie.example.org".to_owned()),
            ..CapConfig::default()
        };
        assert!(matches!(
            with(ReceiptsConfig::default(), relative_base).validate(),
            Err(ConfigError::InvalidPublicUrl(_))
        ));
        let bad_sender = CapConfig {
            sender: "Vigie, Mali".to_owned(),
            ..CapConfig::default()
        };
        assert!(
            with(ReceiptsConfig::default(), bad_sender)
                .validate()
                .is_err()
        );
        let tiny_polygons = CapConfig {
            max_polygon_points: 3,
            ..CapConfig::default()
        };
        assert!(
            with(ReceiptsConfig::default(), tiny_polygons)
                .validate()
                .is_err()
        );
    }

    #[test]
    fn details_are_bounded_and_lose_control_characters() {
        assert_eq!(
            detail_text(&["twilio", "failed", "", "error\n30003"]),
            "twilio: failed: error30003"
        );
        assert_eq!(
            detail_text(&["x", &"y".repeat(500)]).chars().count(),
            MAX_DETAIL_CHARS
        );
    }
}
