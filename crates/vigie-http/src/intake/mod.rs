//! Inbound reports, whichever way they arrive: three SMS gateways and the web form.
//!
//! Every channel does the same thing once its gateway is authenticated: protect the sender's
//! number ([`vigie_domain::PhoneProtector`]: from here on only its HMAC and sealed copy
//! exist), read the text with the SMS grammar, place the report (the commune's
//! representative point, or the exact coordinates a form gave), record it — deduplicated on
//! (channel, provider message id), because gateways retry — and answer with an
//! acknowledgement quoting `R<id>` or a question. A report that needs a question is recorded
//! all the same, text and all: nothing a monitor sends is dropped.
//!
//! Logs name the channel, the sender's pseudonym and the report id; never a number or a text.

pub(crate) mod africastalking;
pub(crate) mod fields;
mod placement;
pub(crate) mod smssync;
pub(crate) mod twilio;
pub(crate) mod web_form;

use chrono::{DateTime, Utc};
use vigie_domain::sms::{SmsParse, parse_report_with_default, reply_for};
use vigie_domain::{
    NewReport, NewReporter, PhoneProtector, RecordedReport, ReportChannel, ReportStatus,
};

use crate::error::AppError;
use crate::state::AppState;
use placement::Place;

/// Characters of a message accepted: Twilio's limit for a concatenated SMS. Real gateways
/// never send more; anything longer is refused rather than stored.
pub(crate) const MAX_TEXT_CHARS: usize = 1600;
/// Characters of a provider message id or sender field accepted.
pub(crate) const MAX_ID_CHARS: usize = 128;

/// A sender, protected: what is stored and what may be logged.
pub(crate) struct ProtectedSender {
    reporter: NewReporter,
    pseudonym: String,
}

/// Protects a sender's number. `Err` when it is not a phone number (the caller decides
/// whether that refuses the request); the error never carries the number.
pub(crate) fn protect_sender(
    protector: &PhoneProtector,
    phone: &str,
) -> Result<ProtectedSender, vigie_domain::PhoneError> {
    let reporter = protector.new_reporter(phone, false, None, None, None)?;
    let pseudonym = PhoneProtector::pseudonym(&reporter.phone_hmac);
    Ok(ProtectedSender {
        reporter,
        pseudonym,
    })
}

/// A message to record, once its sender is protected and its text read.
pub(crate) struct Submission {
    pub channel: ReportChannel,
    pub provider_message_id: String,
    pub sender: Option<ProtectedSender>,
    pub received_at: DateTime<Utc>,
    pub text: String,
    pub parse: SmsParse,
    /// Exact coordinates (lon, lat) and where they lie, when a form gave them.
    pub exact_place: Option<Place>,
}

/// What happened to a message.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub report_id: i64,
    pub status: ReportStatus,
    pub duplicate: bool,
    pub reply: String,
}

/// Runs synchronous work (the grammar, the store) on a blocking thread, so the async workers
/// never wait on SQLite or on fuzzy matching over seven hundred names.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| AppError::internal("blocking task", error))?
}

/// The common path of the three SMS gateways.
pub(crate) async fn receive_sms(
    state: &AppState,
    channel: ReportChannel,
    provider_message_id: &str,
    sender_phone: Option<&str>,
    text: &str,
) -> Result<Outcome, AppError> {
    let received_at = state.clock.now();
    let sender = sender_phone.and_then(|phone| match protect_sender(&state.protector, phone) {
        Ok(sender) => Some(sender),
        Err(reason) => {
            // Alphanumeric senders and short codes exist; the report is kept, anonymous.
            tracing::debug!(channel = channel.as_str(), %reason, "sender is not a phone number");
            None
        }
    });
    let state = state.clone();
    let provider_message_id = provider_message_id.to_owned();
    let text = text.to_owned();
    blocking(move || {
        // Mali keeps UTC all year (no daylight saving): the UTC day is the local day.
        let parse = parse_report_with_default(
            &text,
            &state.geography().directory,
            received_at.date_naive(),
            state.config.default_language,
        );
        record(
            &state,
            Submission {
                channel,
                provider_message_id,
                sender,
                received_at,
                text,
                parse,
                exact_place: None,
            },
        )
    })
    .await
}

/// Places, records and answers one submission. Synchronous: call it inside [`blocking`].
pub(crate) fn record(state: &AppState, submission: Submission) -> Result<Outcome, AppError> {
    let Submission {
        channel,
        provider_message_id,
        sender,
        received_at,
        text,
        parse,
        exact_place,
    } = submission;
    let language = parse.language();
    let place = match exact_place {
        Some(place) => Some(place),
        None => parse
            .commune()
            .and_then(|commune| placement::commune_place(state, commune)),
    };
    let mut incident = parse.incident().cloned();
    if incident.is_some() && place.is_none() {
        // Only a zone set with an empty commune polygon gets here. The store needs a point for
        // the event; the report is kept for analysts rather than refused.
        tracing::warn!(
            channel = channel.as_str(),
            "the commune named has no representative point; report kept without its event"
        );
        incident = None;
    }
    let clarification = match &parse {
        SmsParse::Understood(_) => None,
        SmsParse::Clarification(_) => Some(reply_for(&parse, None, language)),
    };
    let (coordinates, location) = match place {
        Some((point, location)) => (Some(point), Some(location)),
        None => (None, None),
    };
    let pseudonym = sender.as_ref().map(|sender| sender.pseudonym.clone());
    let report = NewReport {
        channel,
        provider_message_id,
        reporter: sender.map(|sender| sender.reporter),
        received_at,
        text: storable_text(&text),
        language: language.code().to_owned(),
        incident,
        clarification: clarification.clone(),
        coordinates,
        location,
    };
    let (report_id, status, duplicate) = match state.store.record_report(&report)? {
        RecordedReport::Created { id, status } => (id, status, false),
        RecordedReport::Duplicate { id } => (id, state.store.report(id)?.status, true),
    };
    let reply = match clarification {
        Some(question) => question,
        None => reply_for(&parse, Some(report_id), language),
    };
    tracing::info!(
        channel = channel.as_str(),
        reporter = pseudonym.as_deref().unwrap_or("anonymous"),
        report = report_id,
        status = status.as_str(),
        duplicate,
        understood = matches!(parse, SmsParse::Understood(_)),
        "report received"
    );
    Ok(Outcome {
        report_id,
        status,
        duplicate,
        reply,
    })
}

/// The text as sent, without control characters other than line breaks and tabs: NUL bytes
/// are refused by PostgreSQL text columns and mean nothing in an SMS.
fn storable_text(text: &str) -> String {
    text.chars()
        .filter(|character| !character.is_control() || matches!(character, '\n' | '\r' | '\t'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_loses_control_characters_but_keeps_lines() {
        assert_eq!(storable_text("a\u{0}b\u{7}c\nd\te"), "abc\nd\te");
        assert_eq!(storable_text("Ségou 😀"), "Ségou 😀");
    }
}
