//! `POST /webhooks/sms/smssync`: an SMSSync-style Android gateway.
//!
//! The phone posts `from`, `message`, `message_id`, `sent_to`, `secret` and `sent_timestamp`,
//! and expects every answer in SMSSync's JSON shape: `{"payload":{"success":false,"error":…}}`
//! when refused (403 for a wrong secret), and on success a `send` task carrying the reply, so
//! the phone texts the acknowledgement back itself:
//! `{"payload":{"success":true,"task":"send","messages":[{"to":…,"message":…,"uuid":…}]}}`.
//!
//! `to` is the sender's number as the phone gave it: the one place a number leaves Vigie, back
//! to the device that received it, because the device needs it to answer.

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};
use vigie_domain::ReportChannel;

use super::fields::FormFields;
use super::{MAX_ID_CHARS, MAX_TEXT_CHARS, receive_sms};
use crate::error::AppError;
use crate::state::AppState;

/// Receives one SMS from an SMSSync gateway; every answer, failures included, in its format.
pub(crate) async fn receive(
    State(state): State<AppState>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    match handle(&state, form).await {
        Ok(response) => response,
        Err(error) => {
            error.log();
            let body = json!({
                "payload": { "success": false, "error": error.public_detail() }
            });
            (error.status(), Json(body)).into_response()
        }
    }
}

async fn handle(
    state: &AppState,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(pairs) = form?;
    let fields = FormFields::new(pairs);
    let secret = fields.optional("secret", MAX_ID_CHARS)?.unwrap_or_default();
    let expected = state.config.smssync.as_ref().map(|smssync| &smssync.secret);
    if !expected.is_some_and(|expected| expected.matches(secret.as_bytes())) {
        tracing::warn!(channel = "smssync", "request refused: wrong secret");
        return Err(AppError::forbidden("the secret is wrong"));
    }
    let message_id = fields.required("message_id", MAX_ID_CHARS)?;
    let from = fields.optional("from", MAX_ID_CHARS)?;
    let text = fields
        .optional("message", MAX_TEXT_CHARS)?
        .unwrap_or_default();
    let outcome = receive_sms(state, ReportChannel::SmsSync, message_id, from, text).await?;
    let messages = match from.map(str::trim).filter(|from| !from.is_empty()) {
        Some(to) => json!([{
            "to": to,
            "message": outcome.reply,
            "uuid": reply_uuid(outcome.report_id),
        }]),
        None => json!([]),
    };
    let body = json!({
        "payload": { "success": true, "task": "send", "messages": messages }
    });
    Ok((StatusCode::OK, Json(body)).into_response())
}

/// A UUID-shaped id for the reply to report `report_id`: derived, not random, so a retried
/// message gets the same reply id and the phone can tell it already sent it.
fn reply_uuid(report_id: i64) -> String {
    let digest = Sha256::new()
        .chain_update(b"vigie smssync reply\0")
        .chain_update(report_id.to_be_bytes())
        .finalize();
    let hex: String = digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_ids_are_stable_and_uuid_shaped() {
        let id = reply_uuid(12);
        assert_eq!(id, reply_uuid(12));
        assert_ne!(id, reply_uuid(13));
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
    }
}
