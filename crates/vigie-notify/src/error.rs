//! What a channel answers when a message did not leave: retry later, or give up.

use std::time::Duration;

/// Why a message was not delivered, classified for the dispatcher: a [`Retryable`] failure is
/// tried again later (no sooner than `retry_after` when the provider said so), a
/// [`Permanent`] one goes straight to the dead letters.
///
/// [`Retryable`]: DeliveryError::Retryable
/// [`Permanent`]: DeliveryError::Permanent
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The provider was unreachable, slow, overloaded or rate-limiting: the same message may
    /// succeed later.
    #[error("{channel}: retryable failure: {reason}")]
    Retryable {
        /// The channel that failed (`sms:twilio`, `email:smtp`, …).
        channel: String,
        /// What happened, for the outbox's `last_error`.
        reason: String,
        /// The wait the provider asked for (HTTP `Retry-After`), if any.
        retry_after: Option<Duration>,
    },
    /// The provider refused the message for good (bad number, bad credentials, rejected
    /// content): sending it again would fail the same way.
    #[error("{channel}: permanent failure: {reason}")]
    Permanent {
        /// The channel that failed.
        channel: String,
        /// What happened, for the outbox's `last_error`.
        reason: String,
    },
}

impl DeliveryError {
    /// A retryable failure of `channel` without a provider-given wait.
    pub fn retryable(channel: &str, reason: impl Into<String>) -> Self {
        DeliveryError::Retryable {
            channel: channel.to_owned(),
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// A permanent failure of `channel`.
    pub fn permanent(channel: &str, reason: impl Into<String>) -> Self {
        DeliveryError::Permanent {
            channel: channel.to_owned(),
            reason: reason.into(),
        }
    }

    /// Whether the dispatcher should try again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, DeliveryError::Retryable { .. })
    }

    /// The wait the provider asked for before the next try, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            DeliveryError::Retryable { retry_after, .. } => *retry_after,
            DeliveryError::Permanent { .. } => None,
        }
    }
}

/// A channel's settings that cannot work, found when the channel is built (at start-up), not
/// at the first send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A base URL that is not an absolute `http://` or `https://` URL.
    #[error("{channel}: base url {url:?} must start with http:// or https://")]
    BadBaseUrl {
        /// The channel being configured.
        channel: String,
        /// The URL given.
        url: String,
    },
    /// A required setting left empty.
    #[error("{channel}: {setting} must not be empty")]
    Empty {
        /// The channel being configured.
        channel: String,
        /// The empty setting.
        setting: &'static str,
    },
    /// Any other invalid setting.
    #[error("{channel}: {setting}: {reason}")]
    Invalid {
        /// The channel being configured.
        channel: String,
        /// The setting at fault.
        setting: &'static str,
        /// Why it cannot work.
        reason: String,
    },
}
