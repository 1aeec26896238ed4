//! What the intake needs to know about the deployment: the gateways' secrets and the limits.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use subtle::ConstantTimeEq;
use thiserror::Error;
use vigie_domain::sms::Language;

use crate::rate_limit::RateLimitConfig;

/// A secret shared with a gateway. Its `Debug` output never shows it, and comparisons take the
/// same time whatever the candidate holds.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Secret {
        Secret(secret.into())
    }

    /// The secret itself, for computing a signature.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is the secret, in constant time (only the length may leak).
    pub fn matches(&self, candidate: &[u8]) -> bool {
        bool::from(self.0.as_bytes().ct_eq(candidate))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secret(..)")
    }
}

/// Twilio's inbound webhook.
#[derive(Debug, Clone)]
pub struct TwilioConfig {
    /// The account's auth token: the key of `X-Twilio-Signature`.
    pub auth_token: Secret,
    /// The public base URL Twilio posts to (scheme, host, and any path prefix a reverse proxy
    /// strips, e.g. `https://vigie.example.org`): Twilio signs the full URL it called, which
    /// the server behind a proxy cannot see for itself. The request's path and query are
    /// appended to it.
    pub public_base_url: String,
}

/// Africa's Talking's inbound callback, which carries no signature: the callback URL holds a
/// secret token instead (`/webhooks/sms/africastalking/{token}`).
#[derive(Debug, Clone)]
pub struct AfricasTalkingConfig {
    /// The token in the callback URL (at least 16 characters).
    pub url_token: Secret,
}

/// An SMSSync-style Android gateway, which posts the shared secret with every message.
#[derive(Debug, Clone)]
pub struct SmsSyncConfig {
    /// The secret configured in the app.
    pub secret: Secret,
}

/// The JSON webhook gateway's delivery receipts, authenticated by a bearer token.
#[derive(Debug, Clone)]
pub struct WebhookReceiptsConfig {
    /// The token the gateway sends as `Authorization: Bearer …` (at least 16 characters).
    pub bearer_token: Secret,
}

/// Delivery-receipt callbacks from the outbound gateways (`/webhooks/receipts/…`). A gateway
/// left `None` is switched off: its route answers 404.
#[derive(Debug, Clone, Default)]
pub struct ReceiptsConfig {
    /// Africa's Talking delivery reports: the secret token in the callback URL (a different
    /// one from the inbound SMS callback's).
    pub africas_talking: Option<AfricasTalkingConfig>,
    /// Twilio status callbacks: signed with the account's auth token over the public URL,
    /// like the inbound webhook (usually the same settings).
    pub twilio: Option<TwilioConfig>,
    /// The JSON webhook gateway.
    pub webhook: Option<WebhookReceiptsConfig>,
}

/// The public CAP feed and messages (`/cap/feed.atom`, `/cap/{identifier}.xml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapConfig {
    /// The CAP `sender` (default `vigie@vigie.invalid`; no spaces, commas, `<` or `&`).
    pub sender: String,
    /// The public base URL links are made absolute with (`https://vigie.example.org`); when
    /// `None`, `http://` and the request's Host header.
    pub public_base_url: Option<String>,
    /// The most points an area polygon may have, closing point included (default 100).
    pub max_polygon_points: usize,
    /// Days a closed episode's Cancel stays in the feed after it was sent (default 2), so
    /// readers polling the feed learn of the end before the entry drops out.
    pub cancel_visible_days: u32,
}

impl Default for CapConfig {
    fn default() -> Self {
        CapConfig {
            sender: vigie_notify::cap::DEFAULT_CAP_SENDER.to_owned(),
            public_base_url: None,
            max_polygon_points: vigie_notify::cap::DEFAULT_MAX_POLYGON_POINTS,
            cancel_visible_days: 2,
        }
    }
}

/// How the intake is configured. A gateway left `None` is switched off: its route answers 404
/// (SMSSync: 403 in its own format).
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// Twilio, when used.
    pub twilio: Option<TwilioConfig>,
    /// Africa's Talking, when used.
    pub africas_talking: Option<AfricasTalkingConfig>,
    /// SMSSync, when used.
    pub smssync: Option<SmsSyncConfig>,
    /// Largest request body accepted, in bytes (default 16 KiB); larger requests get 413.
    pub body_limit_bytes: usize,
    /// Longest a request may take (default 10 s); slower ones get 503 and the gateway retries.
    pub request_timeout: Duration,
    /// The language of replies when a message's words do not tell (default French).
    pub default_language: Language,
    /// Delivery receipts from the outbound gateways (all off by default).
    pub receipts: ReceiptsConfig,
    /// The public CAP feed.
    pub cap: CapConfig,
    /// Per-key and per-address rate limits (on by default; see `rate_limit.rs` for which
    /// routes).
    pub rate_limit: RateLimitConfig,
    /// The web map's folder (default `web`, relative to the working directory): `/` answers
    /// browsers its `index.html`, `/web/{path}` its files (see `web.rs`).
    pub web_root: PathBuf,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            twilio: None,
            africas_talking: None,
            smssync: None,
            body_limit_bytes: 16 * 1024,
            request_timeout: Duration::from_secs(10),
            default_language: Language::French,
            receipts: ReceiptsConfig::default(),
            cap: CapConfig::default(),
            rate_limit: RateLimitConfig::default(),
            web_root: PathBuf::from("web"),
        }
    }
}

/// A configuration the intake cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A secret is empty or too short to resist guessing.
    #[error("{setting} must be at least {minimum} characters long")]
    WeakSecret {
        /// Which setting.
        setting: &'static str,
        /// The shortest length accepted.
        minimum: usize,
    },
    /// A public base URL (Twilio's, the CAP feed's) is not an absolute http(s) URL without a
    /// query.
    #[error("public_base_url must be like https://vigie.example.org (got {0:?})")]
    InvalidPublicUrl(String),
    /// A limit out of range.
    #[error("{setting} is out of range: {reason}")]
    InvalidLimit {
        /// Which setting.
        setting: &'static str,
        /// Why.
        reason: &'static str,
    },
}

impl IntakeConfig {
    /// Checks the configuration once, at start-up.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(twilio) = &self.twilio {
            require_length("twilio auth_token", &twilio.auth_token, 16)?;
            require_base_url(&twilio.public_base_url)?;
        }
        if let Some(africas_talking) = &self.receipts.africas_talking {
            require_length(
                "receipts africastalking url_token",
                &africas_talking.url_token,
                16,
            )?;
        }
        if let Some(twilio) = &self.receipts.twilio {
            require_length("receipts twilio auth_token", &twilio.auth_token, 16)?;
            require_base_url(&twilio.public_base_url)?;
        }
        if let Some(webhook) = &self.receipts.webhook {
            require_length("receipts webhook bearer_token", &webhook.bearer_token, 16)?;
        }
        if let Some(base_url) = &self.cap.public_base_url {
            require_base_url(base_url)?;
        }
        let sender = &self.cap.sender;
        if sender.is_empty()
            || sender
                .chars()
                .any(|character| character.is_whitespace() || matches!(character, ',' | '<' | '&'))
        {
            return Err(ConfigError::InvalidLimit {
                setting: "cap sender",
                reason: "expected a non-empty name without spaces, commas, '<' or '&'",
            });
        }
        if !(4..=10_000).contains(&self.cap.max_polygon_points) {
            return Err(ConfigError::InvalidLimit {
                setting: "cap max_polygon_points",
                reason: "expected between 4 and 10000",
            });
        }
        if let Some(africas_talking) = &self.africas_talking {
            require_length("africastalking url_token", &africas_talking.url_token, 16)?;
        }
        if let Some(smssync) = &self.smssync {
            require_length("smssync secret", &smssync.secret, 8)?;
        }
        if !(1024..=1024 * 1024).contains(&self.body_limit_bytes) {
            return Err(ConfigError::InvalidLimit {
                setting: "body_limit_bytes",
                reason: "expected between 1 KiB and 1 MiB",
            });
        }
        if self.request_timeout.is_zero() || self.request_timeout > Duration::from_secs(300) {
            return Err(ConfigError::InvalidLimit {
                setting: "request_timeout",
                reason: "expected above 0 and at most 5 minutes",
            });
        }
        self.rate_limit
            .validate()
            .map_err(|(setting, reason)| ConfigError::InvalidLimit { setting, reason })?;
        Ok(())
    }
}

/// An absolute http(s) URL with a host and no query or fragment (the configured public base).
fn require_base_url(base_url: &str) -> Result<(), ConfigError> {
    let url = base_url.trim_end_matches('/');
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let host = url.split_once("://").map_or("", |(_, rest)| rest);
    if !scheme_ok || host.is_empty() || host.starts_with('/') || url.contains(['?', '#']) {
        return Err(ConfigError::InvalidPublicUrl(base_url.to_owned()));
    }
    Ok(())
}

fn require_length(
    setting: &'static str,
    secret: &Secret,
    minimum: usize,
) -> Result<(), ConfigError> {
    if secret.expose().chars().count() < minimum {
        return Err(ConfigError::WeakSecret { setting, minimum });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_and_compare_exactly() {
        let secret = Secret::new("s3cret-token-value");
        assert_eq!(format!("{secret:?}"), "Secret(..)");
        assert!(secret.matches(b"s3cret-token-value"));
        assert!(!secret.matches(b"s3cret-token-valuE"));
        assert!(!secret.matches(b"s3cret"));
        assert!(!secret.matches(b""));
    }

    #[test]
    fn weak_or_malformed_settings_are_refused() {
        assert_eq!(IntakeConfig::default().validate(), Ok(()));
        let weak = IntakeConfig {
            africas_talking: Some(AfricasTalkingConfig {
                url_token: Secret::new("short"),
            }),
            ..IntakeConfig::default()
        };
        assert!(matches!(
            weak.validate(),
            Err(ConfigError::WeakSecret { .. })
        ));
        let with_query = IntakeConfig {
            twilio: Some(TwilioConfig {
                auth_token: Secret::new("0123456789abcdef0123"),
                public_base_url: "https://vigie.example.org/?x=1".into(),
            }),
            ..IntakeConfig::default()
        };
        assert!(matches!(
            with_query.validate(),
            Err(ConfigError::InvalidPublicUrl(_))
        ));
        let tiny = IntakeConfig {
            body_limit_bytes: 10,
            ..IntakeConfig::default()
        };
        assert!(matches!(
            tiny.validate(),
            Err(ConfigError::InvalidLimit { .. })
        ));
        let mut no_rate = IntakeConfig::default();
        no_rate.rate_limit.anonymous.per_second = 0.0;
        assert_eq!(
            no_rate.validate(),
            Err(ConfigError::InvalidLimit {
                setting: "rate_limit anonymous",
                reason: "per_second must be above 0 and at most 1000000",
            })
        );
    }
}
