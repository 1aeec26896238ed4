//! Email over SMTP behind [`Channel<EmailMessage>`]: a `multipart/alternative` message (text
//! and HTML parts), the subject encoded for non-ASCII (RFC 2047), and a `Message-ID` derived
//! from the notification's idempotency key, so a message sent twice is recognisable as one.
//!
//! Submission is STARTTLS (port 587) or implicit TLS (port 465) with rustls; plain SMTP is only
//! accepted towards the loopback interface, for the tests' local server. Sending is blocking
//! (lettre's synchronous transport), one connection per message, bounded by a timeout.

use std::net::IpAddr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{Message, SmtpTransport, Transport};

use crate::channel::{Channel, EmailMessage, IdempotencyKey, ProviderMessageId};
pub use crate::compose::EmailContent;
use crate::error::{ConfigError, DeliveryError};

const SMTP: &str = "email:smtp";

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which is required (submission, port 587).
    StartTls,
    /// TLS from the first byte (submissions, port 465).
    ImplicitTls,
    /// No encryption: refused unless the host is the loopback interface (tests only).
    PlainLoopbackOnly,
}

/// A login for the SMTP server.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for SmtpCredentials {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SmtpCredentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// Settings for [`SmtpChannel`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// The server's host name (checked against its TLS certificate).
    pub host: String,
    /// The port (587 for STARTTLS, 465 for implicit TLS).
    pub port: u16,
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// A login, if the server wants one.
    pub credentials: Option<SmtpCredentials>,
    /// The sender (`Vigie <alertes@vigie.example.org>`).
    pub from: String,
    /// The domain after `@` in Message-IDs (`vigie.example.org`).
    pub message_id_domain: String,
    /// How long the server has for each step.
    pub timeout: Duration,
}

/// Email through an SMTP server.
pub struct SmtpChannel {
    transport: SmtpTransport,
    from: Mailbox,
    message_id_domain: String,
}

fn invalid(setting: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        channel: SMTP.to_owned(),
        setting,
        reason: reason.into(),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

impl SmtpChannel {
    /// A channel with `config`, checked (nothing is connected yet).
    pub fn new(config: SmtpConfig) -> Result<Self, ConfigError> {
        if config.host.trim().is_empty() {
            return Err(ConfigError::Empty {
                channel: SMTP.to_owned(),
                setting: "host",
            });
        }
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|error| invalid("from", format!("not a mailbox: {error}")))?;
        let domain = config.message_id_domain.trim();
        let domain_ok = !domain.is_empty()
            && domain.chars().all(|character| {
                character.is_ascii_alphanumeric() || matches!(character, '.' | '-')
            });
        if !domain_ok {
            return Err(invalid(
                "message_id_domain",
                "letters, digits, dots and hyphens only",
            ));
        }
        let builder = match config.security {
            SmtpSecurity::StartTls => SmtpTransport::starttls_relay(&config.host)
                .map_err(|error| invalid("host", error.to_string()))?,
            SmtpSecurity::ImplicitTls => SmtpTransport::relay(&config.host)
                .map_err(|error| invalid("host", error.to_string()))?,
            SmtpSecurity::PlainLoopbackOnly => {
                if !is_loopback(&config.host) {
                    return Err(invalid(
                        "security",
                        "plain SMTP is only for a server on the loopback interface",
                    ));
                }
                SmtpTransport::builder_dangerous(&config.host)
            }
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(config.timeout))
            .hello_name(ClientId::Domain(domain.to_owned()));
        if let Some(credentials) = &config.credentials {
            builder = builder.credentials(Credentials::new(
                credentials.username.clone(),
                credentials.password.clone(),
            ));
        }
        Ok(SmtpChannel {
            transport: builder.build(),
            from,
            message_id_domain: domain.to_owned(),
        })
    }

    /// The message as it would be sent to `email.to` (for previews and tests).
    pub fn build_message(&self, email: &EmailMessage) -> Result<Message, DeliveryError> {
        let to: Mailbox = email.to.parse().map_err(|error| {
            DeliveryError::permanent(SMTP, format!("bad recipient {:?}: {error}", email.to))
        })?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.content.subject.clone())
            .message_id(Some(message_id(
                &email.idempotency_key,
                &self.message_id_domain,
            )))
            .multipart(MultiPart::alternative_plain_html(
                email.content.text.clone(),
                email.content.html.clone(),
            ))
            .map_err(|error| DeliveryError::permanent(SMTP, format!("cannot build: {error}")))
    }
}

/// The `Message-ID` for a notification: the first 32 hex digits of SHA-256 of its key, at
/// `domain`.
///
/// ```
/// use vigie_notify::IdempotencyKey;
/// use vigie_notify::email::message_id;
///
/// let key = IdempotencyKey::new("ep42:opened:m7:email").unwrap();
/// let id = message_id(&key, "vigie.example.org");
/// assert_eq!(id, message_id(&key, "vigie.example.org"));
/// assert!(id.starts_with('<') && id.ends_with("@vigie.example.org>"));
/// assert_eq!(id.len(), 1 + 32 + 1 + 17 + 1);
/// ```
pub fn message_id(key: &IdempotencyKey, domain: &str) -> String {
    format!("<{}@{domain}>", &key.sha256_hex()[..32])
}

impl Channel<EmailMessage> for SmtpChannel {
    fn name(&self) -> &str {
        SMTP
    }

    fn send(&self, email: &EmailMessage) -> Result<ProviderMessageId, DeliveryError> {
        let message = self.build_message(email)?;
        let id = message_id(&email.idempotency_key, &self.message_id_domain);
        match self.transport.send(&message) {
            Ok(_) => Ok(ProviderMessageId(id)),
            // A 5xx reply: the server will refuse this message again.
            Err(error) if error.is_permanent() => {
                Err(DeliveryError::permanent(SMTP, error.to_string()))
            }
            // 4xx replies, timeouts, refused connections, TLS trouble.
            Err(error) => Err(DeliveryError::retryable(SMTP, error.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(host: &str, security: SmtpSecurity) -> SmtpConfig {
        SmtpConfig {
            host: host.to_owned(),
            port: 2525,
            security,
            credentials: None,
            from: "Vigie <alertes@vigie.example.org>".to_owned(),
            message_id_domain: "vigie.example.org".to_owned(),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn plain_smtp_is_refused_beyond_the_loopback_interface() {
        assert!(SmtpChannel::new(config("127.0.0.1", SmtpSecurity::PlainLoopbackOnly)).is_ok());
        assert!(SmtpChannel::new(config("localhost", SmtpSecurity::PlainLoopbackOnly)).is_ok());
        assert!(SmtpChannel::new(config("[::1]", SmtpSecurity::PlainLoopbackOnly)).is_ok());
        assert!(
            SmtpChannel::new(config("smtp.example.org", SmtpSecurity::PlainLoopbackOnly)).is_err()
        );
        assert!(SmtpChannel::new(config("10.0.0.1", SmtpSecurity::PlainLoopbackOnly)).is_err());
        assert!(SmtpChannel::new(config("smtp.example.org", SmtpSecurity::StartTls)).is_ok());
        assert!(SmtpChannel::new(config("smtp.example.org", SmtpSecurity::ImplicitTls)).is_ok());
    }

    #[test]
    fn a_bad_sender_or_domain_is_refused_at_start() {
        let mut bad_from = config("127.0.0.1", SmtpSecurity::PlainLoopbackOnly);
        bad_from.from = "not an address".to_owned();
        assert!(SmtpChannel::new(bad_from).is_err());
        let mut bad_domain = config("127.0.0.1", SmtpSecurity::PlainLoopbackOnly);
        bad_domain.message_id_domain = "a>b".to_owned();
        assert!(SmtpChannel::new(bad_domain).is_err());
    }
}
