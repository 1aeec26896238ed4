//! `POST /webhooks/sms/twilio`: Twilio's inbound SMS webhook.
//!
//! Twilio posts a form (`MessageSid`, `From`, `To`, `Body`…) signed in `X-Twilio-Signature`:
//! base64 of HMAC-SHA1, keyed with the account's auth token, over the full URL Twilio called
//! followed by every POST parameter's name and value, sorted by name. An unsigned or wrongly
//! signed request is refused (403) before any field is read. The answer is TwiML: a
//! `<Message>` replies to the sender.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use vigie_domain::ReportChannel;

use super::fields::FormFields;
use super::{MAX_ID_CHARS, MAX_TEXT_CHARS, receive_sms};
use crate::config::{Secret, TwilioConfig};
use crate::error::AppError;
use crate::state::AppState;

pub(crate) const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// Receives one SMS from Twilio.
pub(crate) async fn receive(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, AppError> {
    let Some(twilio) = state.config.twilio.clone() else {
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
            channel = "twilio",
            "request refused: bad or missing signature"
        );
        return Err(AppError::forbidden(
            "the X-Twilio-Signature header is missing or wrong",
        ));
    }
    let message_sid = fields.required("MessageSid", MAX_ID_CHARS)?;
    let from = fields.optional("From", MAX_ID_CHARS)?;
    let body = fields.optional("Body", MAX_TEXT_CHARS)?.unwrap_or_default();
    let outcome = receive_sms(&state, ReportChannel::Twilio, message_sid, from, body).await?;
    Ok(twiml_reply(&outcome.reply))
}

/// The URL Twilio signed: the configured public base and the path and query it called.
pub(crate) fn signed_url(twilio: &TwilioConfig, path_and_query: &str) -> String {
    format!(
        "{}{}",
        twilio.public_base_url.trim_end_matches('/'),
        path_and_query
    )
}

/// Twilio's signature over `url` and the form parameters.
pub(crate) fn signature(auth_token: &str, url: &str, parameters: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = parameters.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC-SHA1 accepts keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

pub(crate) fn signature_matches(
    auth_token: &Secret,
    url: &str,
    parameters: &[(String, String)],
    received: &[u8],
) -> bool {
    let expected = signature(auth_token.expose(), url, parameters);
    // Constant-time, so the signature cannot be guessed byte by byte.
    Secret::new(expected).matches(received)
}

/// `<Response><Message>…</Message></Response>`, the reply escaped for XML.
fn twiml_reply(reply: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{}</Message></Response>",
        escape_xml(reply)
    );
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

fn escape_xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_twilios_documented_example() {
        // The example of Twilio's security documentation.
        let parameters = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .map(|(name, value)| (name.to_owned(), value.to_owned()));
        assert_eq!(
            signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &parameters
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }

    #[test]
    fn replies_are_escaped() {
        assert_eq!(
            escape_xml("<Vigie> \"R1\" & 'ok'"),
            "&lt;Vigie&gt; &quot;R1&quot; &amp; &apos;ok&apos;"
        );
    }
}
