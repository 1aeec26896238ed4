//! SMS gateways behind [`Channel<SmsMessage>`]: Africa's Talking, Twilio and a generic JSON
//! webhook. Each is one blocking HTTPS request (ureq, already the workspace's HTTP client,
//! with rustls) bounded by a timeout, its answer classified for the outbox:
//!
//! - 2xx with the provider's message id → `Ok`;
//! - 429 (with its `Retry-After`), 408, 5xx, timeouts, refused or reset connections, DNS and
//!   TLS failures → [`DeliveryError::Retryable`];
//! - any other 4xx, or a provider status that rejects the number or the text →
//!   [`DeliveryError::Permanent`].
//!
//! A request that timed out may still have been delivered: a retry can then duplicate the
//! SMS. The outbox accepts that (at least once); where the provider takes an idempotency key
//! it is sent so the provider can drop the duplicate: the webhook gateway gets it in the body
//! and in an `Idempotency-Key` header. Twilio's Messages API has no idempotency key, and
//! Africa's Talking's messaging API documents none either: for them, duplicates are bounded
//! by the outbox's lease, not by the provider.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::channel::{Channel, ProviderMessageId, SmsMessage};
use crate::error::{ConfigError, DeliveryError};

/// Any SMS gateway, as the dispatcher holds it.
pub type SmsGateway = dyn Channel<SmsMessage>;

/// The default time a gateway has to answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The most of a response body read (providers answer a few hundred bytes).
const RESPONSE_LIMIT_BYTES: u64 = 64 * 1024;

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        // Statuses are classified here, so they come back as responses, not errors.
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

fn checked_base_url(channel: &str, url: &str) -> Result<String, ConfigError> {
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) || url.len() < 9 {
        return Err(ConfigError::BadBaseUrl {
            channel: channel.to_owned(),
            url: url.to_owned(),
        });
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn non_empty(channel: &str, setting: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        return Err(ConfigError::Empty {
            channel: channel.to_owned(),
            setting,
        });
    }
    Ok(())
}

/// A response read in full: status, `Retry-After`, body.
struct HttpAnswer {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

fn read_answer(
    channel: &str,
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<HttpAnswer, DeliveryError> {
    let mut response = result.map_err(|error| transport_error(channel, error))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, Utc::now()));
    let body = response
        .body_mut()
        .with_config()
        .limit(RESPONSE_LIMIT_BYTES)
        .read_to_string()
        .map_err(|error| transport_error(channel, error))?;
    Ok(HttpAnswer {
        status,
        retry_after,
        body,
    })
}

/// A request that got no answer: retryable, except for a URL that can never work.
fn transport_error(channel: &str, error: ureq::Error) -> DeliveryError {
    match error {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RequireHttpsOnly(_) => {
            DeliveryError::permanent(channel, format!("request cannot be built: {error}"))
        }
        ureq::Error::Timeout(_) => DeliveryError::retryable(channel, format!("timed out: {error}")),
        other => DeliveryError::retryable(channel, format!("no answer: {other}")),
    }
}

/// The wait in a `Retry-After` header: delay-seconds, or an HTTP date (a date already past
/// means no wait).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use std::time::Duration;
/// use vigie_notify::sms::parse_retry_after;
///
/// let now = Utc.with_ymd_and_hms(2026, 11, 22, 4, 0, 0).unwrap();
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Sun, 22 Nov 2026 04:00:30 GMT", now), Some(Duration::from_secs(30)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// The classification of a non-2xx status.
fn status_error(channel: &str, answer: &HttpAnswer) -> DeliveryError {
    let excerpt: String = answer.body.chars().take(300).collect();
    let reason = format!("http status {}: {}", answer.status, excerpt.trim());
    match answer.status {
        408 | 429 | 500..=599 => DeliveryError::Retryable {
            channel: channel.to_owned(),
            reason,
            retry_after: answer.retry_after,
        },
        _ => DeliveryError::permanent(channel, reason),
    }
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

// --- Africa's Talking ----------------------------------------------------------------------

/// Settings for Africa's Talking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfricasTalkingConfig {
    /// `https://api.africastalking.com` (the sandbox: `https://api.sandbox.africastalking.com`).
    pub base_url: String,
    /// The application's username.
    pub username: String,
    /// The API key, sent in the `apiKey` header.
    pub api_key: String,
    /// The sender id or short code (`from`); the account's default when `None`.
    pub sender_id: Option<String>,
    /// How long the gateway has to answer.
    pub timeout: Duration,
}

/// Africa's Talking: a form POST to `/version1/messaging`.
pub struct AfricasTalkingGateway {
    config: AfricasTalkingConfig,
    endpoint: String,
    agent: ureq::Agent,
}

const AFRICAS_TALKING: &str = "sms:africastalking";

impl AfricasTalkingGateway {
    /// A gateway with `config`, checked.
    pub fn new(config: AfricasTalkingConfig) -> Result<Self, ConfigError> {
        let base_url = checked_base_url(AFRICAS_TALKING, &config.base_url)?;
        non_empty(AFRICAS_TALKING, "username", &config.username)?;
        non_empty(AFRICAS_TALKING, "api_key", &config.api_key)?;
        Ok(AfricasTalkingGateway {
            endpoint: format!("{base_url}/version1/messaging"),
            agent: agent(config.timeout),
            config,
        })
    }
}

#[derive(Deserialize)]
struct AfricasTalkingAnswer {
    #[serde(rename = "SMSMessageData")]
    data: AfricasTalkingData,
}

#[derive(Deserialize)]
struct AfricasTalkingData {
    #[serde(rename = "Message", default)]
    message: String,
    #[serde(rename = "Recipients", default)]
    recipients: Vec<AfricasTalkingRecipient>,
}

#[derive(Deserialize)]
struct AfricasTalkingRecipient {
    #[serde(rename = "statusCode")]
    status_code: u16,
    #[serde(default)]
    status: String,
    #[serde(rename = "messageId", default)]
    message_id: String,
}

impl Channel<SmsMessage> for AfricasTalkingGateway {
    fn name(&self) -> &str {
        AFRICAS_TALKING
    }

    fn send(&self, message: &SmsMessage) -> Result<ProviderMessageId, DeliveryError> {
        let mut form = vec![
            ("username", self.config.username.as_str()),
            ("to", message.to.as_str()),
            ("message", message.text.as_str()),
        ];
        if let Some(sender_id) = &self.config.sender_id {
            form.push(("from", sender_id));
        }
        let result = self
            .agent
            .post(&self.endpoint)
            .header("apiKey", &self.config.api_key)
            .header("Accept", "application/json")
            .send_form(form);
        let answer = read_answer(AFRICAS_TALKING, result)?;
        if !is_success(answer.status) {
            return Err(status_error(AFRICAS_TALKING, &answer));
        }
        let parsed: AfricasTalkingAnswer = serde_json::from_str(&answer.body).map_err(|error| {
            // Accepted or not, we cannot tell: retrying risks a duplicate, not a loss.
            DeliveryError::retryable(AFRICAS_TALKING, format!("unreadable answer: {error}"))
        })?;
        let Some(recipient) = parsed.data.recipients.first() else {
            return Err(DeliveryError::permanent(
                AFRICAS_TALKING,
                format!("no recipient accepted: {}", parsed.data.message),
            ));
        };
        match recipient.status_code {
            // Processed, Sent, Queued.
            100..=102 if !recipient.message_id.is_empty() => {
                Ok(ProviderMessageId(recipient.message_id.clone()))
            }
            // InsufficientBalance, InternalServerError, GatewayError: may pass later.
            405 | 500 | 501 => Err(DeliveryError::retryable(
                AFRICAS_TALKING,
                format!("status {} {}", recipient.status_code, recipient.status),
            )),
            _ => Err(DeliveryError::permanent(
                AFRICAS_TALKING,
                format!("status {} {}", recipient.status_code, recipient.status),
            )),
        }
    }
}

// --- Twilio ------------------------------------------------------------------------------------

/// Settings for Twilio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioConfig {
    /// `https://api.twilio.com`.
    pub base_url: String,
    /// The account SID (`AC…`), user of the basic authentication.
    pub account_sid: String,
    /// The auth token, its password.
    pub auth_token: String,
    /// The sending number (E.164) or alphanumeric sender id.
    pub from: String,
    /// Where Twilio posts the message's delivery status (`StatusCallback`), usually
    /// `{public base URL}/webhooks/receipts/twilio`; none when `None`.
    pub status_callback: Option<String>,
    /// How long Twilio has to answer.
    pub timeout: Duration,
}

/// Twilio: a form POST to `/2010-04-01/Accounts/{sid}/Messages.json` with basic
/// authentication. Twilio takes no idempotency key.
pub struct TwilioGateway {
    config: TwilioConfig,
    endpoint: String,
    authorization: String,
    agent: ureq::Agent,
}

const TWILIO: &str = "sms:twilio";

impl TwilioGateway {
    /// A gateway with `config`, checked.
    pub fn new(config: TwilioConfig) -> Result<Self, ConfigError> {
        let base_url = checked_base_url(TWILIO, &config.base_url)?;
        non_empty(TWILIO, "account_sid", &config.account_sid)?;
        non_empty(TWILIO, "auth_token", &config.auth_token)?;
        non_empty(TWILIO, "from", &config.from)?;
        if !config
            .account_sid
            .chars()
            .all(|character| character.is_ascii_alphanumeric())
        {
            return Err(ConfigError::Invalid {
                channel: TWILIO.to_owned(),
                setting: "account_sid",
                reason: "letters and digits only".to_owned(),
            });
        }
        let credentials = format!("{}:{}", config.account_sid, config.auth_token);
        Ok(TwilioGateway {
            endpoint: format!(
                "{base_url}/2010-04-01/Accounts/{}/Messages.json",
                config.account_sid
            ),
            authorization: format!("Basic {}", BASE64.encode(credentials)),
            agent: agent(config.timeout),
            config,
        })
    }
}

#[derive(Deserialize)]
struct TwilioAnswer {
    sid: String,
}

impl Channel<SmsMessage> for TwilioGateway {
    fn name(&self) -> &str {
        TWILIO
    }

    fn send(&self, message: &SmsMessage) -> Result<ProviderMessageId, DeliveryError> {
        let result = self
            .agent
            .post(&self.endpoint)
            .header("Authorization", &self.authorization)
            .header("Accept", "application/json")
            .send_form(
                [
                    ("To", message.to.as_str()),
                    ("From", self.config.from.as_str()),
                    ("Body", message.text.as_str()),
                ]
                .into_iter()
                .chain(
                    self.config
                        .status_callback
                        .as_deref()
                        .map(|url| ("StatusCallback", url)),
                ),
            );
        let answer = read_answer(TWILIO, result)?;
        if !is_success(answer.status) {
            return Err(status_error(TWILIO, &answer));
        }
        let parsed: TwilioAnswer = serde_json::from_str(&answer.body).map_err(|error| {
            DeliveryError::retryable(TWILIO, format!("unreadable answer: {error}"))
        })?;
        Ok(ProviderMessageId(parsed.sid))
    }
}

// --- Generic JSON webhook ----------------------------------------------------------------------

/// Settings for a JSON webhook gateway (an SMS box of one's own, an aggregator's bridge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The URL the JSON is posted to.
    pub url: String,
    /// A bearer token for the `Authorization` header, if the gateway wants one.
    pub bearer_token: Option<String>,
    /// How long the gateway has to answer.
    pub timeout: Duration,
}

/// A gateway that takes `POST {to, message, idempotency_key}` as JSON (the key also in the
/// `Idempotency-Key` header) and answers `{"id": …}`.
pub struct WebhookGateway {
    config: WebhookConfig,
    agent: ureq::Agent,
}

const WEBHOOK: &str = "sms:webhook";

impl WebhookGateway {
    /// A gateway with `config`, checked.
    pub fn new(mut config: WebhookConfig) -> Result<Self, ConfigError> {
        checked_base_url(WEBHOOK, &config.url)?;
        if let Some(token) = &config.bearer_token {
            non_empty(WEBHOOK, "bearer_token", token)?;
        }
        config.url = config.url.trim().to_owned();
        Ok(WebhookGateway {
            agent: agent(config.timeout),
            config,
        })
    }
}

#[derive(Deserialize)]
struct WebhookAnswer {
    id: serde_json::Value,
}

impl Channel<SmsMessage> for WebhookGateway {
    fn name(&self) -> &str {
        WEBHOOK
    }

    fn send(&self, message: &SmsMessage) -> Result<ProviderMessageId, DeliveryError> {
        let mut request = self
            .agent
            .post(&self.config.url)
            .header("Accept", "application/json")
            .header("Idempotency-Key", message.idempotency_key.as_str());
        if let Some(token) = &self.config.bearer_token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let result = request.send_json(serde_json::json!({
            "to": message.to,
            "message": message.text,
            "idempotency_key": message.idempotency_key.as_str(),
        }));
        let answer = read_answer(WEBHOOK, result)?;
        if !is_success(answer.status) {
            return Err(status_error(WEBHOOK, &answer));
        }
        let parsed: WebhookAnswer = serde_json::from_str(&answer.body).map_err(|error| {
            DeliveryError::retryable(WEBHOOK, format!("unreadable answer: {error}"))
        })?;
        let id = match parsed.id {
            serde_json::Value::String(id) if !id.is_empty() => id,
            serde_json::Value::Number(number) => number.to_string(),
            other => {
                return Err(DeliveryError::retryable(
                    WEBHOOK,
                    format!("answer without a usable id: {other}"),
                ));
            }
        };
        Ok(ProviderMessageId(id))
    }
}
