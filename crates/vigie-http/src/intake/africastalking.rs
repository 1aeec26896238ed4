//! `POST /webhooks/sms/africastalking/{token}`: Africa's Talking's inbound SMS callback.
//!
//! Africa's Talking signs nothing, so the callback URL carries a secret token; a wrong token
//! gets the same 404 as an unknown path, revealing nothing. The form carries `from`, `to`,
//! `text`, `date`, `id` and `linkId`. The reply text is the body of the 200 answer; sending it
//! back through Africa's Talking's API belongs to the outbound delivery queue.

use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use vigie_domain::ReportChannel;

use super::fields::FormFields;
use super::{MAX_ID_CHARS, MAX_TEXT_CHARS, receive_sms};
use crate::error::AppError;
use crate::state::AppState;

/// Receives one SMS from Africa's Talking.
pub(crate) async fn receive(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, AppError> {
    let Path(token) = token?;
    let expected = state
        .config
        .africas_talking
        .as_ref()
        .map(|africas_talking| &africas_talking.url_token);
    if !expected.is_some_and(|expected| expected.matches(token.as_bytes())) {
        tracing::warn!(
            channel = "africastalking",
            "request refused: wrong callback token"
        );
        return Err(AppError::not_found());
    }
    let Form(pairs) = form?;
    let fields = FormFields::new(pairs);
    let message_id = fields.required("id", MAX_ID_CHARS)?;
    let from = fields.optional("from", MAX_ID_CHARS)?;
    let text = fields.optional("text", MAX_TEXT_CHARS)?.unwrap_or_default();
    let outcome = receive_sms(
        &state,
        ReportChannel::AfricasTalking,
        message_id,
        from,
        text,
    )
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        outcome.reply,
    )
        .into_response())
}
