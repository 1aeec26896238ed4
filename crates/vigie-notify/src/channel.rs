//! The port the outbox dispatcher sends through: one [`Channel`] per way out, called with one
//! rendered message, answering the provider's message id or a classified [`DeliveryError`].

use std::fmt;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::email::EmailContent;
use crate::error::DeliveryError;

/// The key that makes a notification recognisable when it is sent twice: the outbox derives
/// it from (episode, transition, recipient, channel). Printable, non-empty, at most 256 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// An idempotency key that was empty, too long or carried control characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an idempotency key must be 1 to 256 bytes without control characters: {0:?}")]
pub struct InvalidIdempotencyKey(pub String);

impl IdempotencyKey {
    /// The longest key accepted, in bytes.
    pub const MAX_BYTES: usize = 256;

    /// `key`, checked.
    ///
    /// ```
    /// use vigie_notify::IdempotencyKey;
    /// assert!(IdempotencyKey::new("ep42:opened:member7:sms").is_ok());
    /// assert!(IdempotencyKey::new("").is_err());
    /// assert!(IdempotencyKey::new("a\nb").is_err());
    /// ```
    pub fn new(key: impl Into<String>) -> Result<Self, InvalidIdempotencyKey> {
        let key = key.into();
        if key.is_empty() || key.len() > Self::MAX_BYTES || key.chars().any(char::is_control) {
            return Err(InvalidIdempotencyKey(key));
        }
        Ok(IdempotencyKey(key))
    }

    /// The key as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the key, lowercase hex: a fixed-length, header-safe form of it.
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The identifier a provider gave a message it accepted (Twilio's `sid`, Africa's Talking's
/// `messageId`, the SMTP `Message-ID`): what delivery receipts refer to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderMessageId(pub String);

impl fmt::Display for ProviderMessageId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// One SMS ready to leave: the recipient in E.164 (`+22376123456`) and the final text, already
/// composed and fitted (see [`crate::compose::sms_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// The recipient, in E.164.
    pub to: String,
    /// The text, sent as is.
    pub text: String,
    /// The notification's idempotency key.
    pub idempotency_key: IdempotencyKey,
}

/// One email ready to leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// The recipient's address (`name@example.org`).
    pub to: String,
    /// Subject, text part and HTML part (see [`crate::compose::email_content`]).
    pub content: EmailContent,
    /// The notification's idempotency key; the `Message-ID` is derived from it.
    pub idempotency_key: IdempotencyKey,
}

/// A way out for messages of type `M` ([`SmsMessage`], [`EmailMessage`]).
///
/// Sending is synchronous and blocking, bounded by the channel's timeouts: the stores are
/// synchronous, so the dispatcher runs its sends on worker threads (an async caller wraps
/// the call in `spawn_blocking`). A channel never retries by itself: the outbox decides, from
/// the [`DeliveryError`] it gets back.
pub trait Channel<M>: Send + Sync {
    /// A short name for logs and the outbox (`sms:twilio`, `email:smtp`).
    fn name(&self) -> &str;

    /// Sends `message` once. `Ok` carries the provider's id for the message.
    fn send(&self, message: &M) -> Result<ProviderMessageId, DeliveryError>;
}

/// A channel that keeps what it is given, for tests of the code that sends (the dispatcher):
/// every message is recorded, and the answers can be scripted.
pub struct MemoryChannel<M> {
    name: String,
    state: Mutex<MemoryState<M>>,
}

struct MemoryState<M> {
    sent: Vec<M>,
    scripted_failures: Vec<DeliveryError>,
}

impl<M: Clone> MemoryChannel<M> {
    /// An empty channel named `name` that accepts everything.
    pub fn new(name: impl Into<String>) -> Self {
        MemoryChannel {
            name: name.into(),
            state: Mutex::new(MemoryState {
                sent: Vec::new(),
                scripted_failures: Vec::new(),
            }),
        }
    }

    /// Makes the next sends fail with `failures`, in order, before accepting again. A failed
    /// send is not recorded.
    pub fn fail_next(&self, failures: impl IntoIterator<Item = DeliveryError>) {
        let mut state = self.lock();
        let mut failures: Vec<_> = failures.into_iter().collect();
        failures.reverse();
        failures.append(&mut state.scripted_failures);
        state.scripted_failures = failures;
    }

    /// The messages accepted so far, oldest first.
    pub fn sent(&self) -> Vec<M> {
        self.lock().sent.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState<M>> {
        // A panic in another test thread must not hide what was sent.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<M: Clone + Send> Channel<M> for MemoryChannel<M> {
    fn name(&self) -> &str {
        &self.name
    }

    fn send(&self, message: &M) -> Result<ProviderMessageId, DeliveryError> {
        let mut state = self.lock();
        if let Some(failure) = state.scripted_failures.pop() {
            return Err(failure);
        }
        state.sent.push(message.clone());
        Ok(ProviderMessageId(format!("memory-{}", state.sent.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_channel_records_and_replays_scripted_failures_in_order() {
        let channel = MemoryChannel::<String>::new("memory");
        channel.fail_next([
            DeliveryError::retryable("memory", "first"),
            DeliveryError::permanent("memory", "second"),
        ]);
        let first = channel.send(&"a".to_owned()).unwrap_err();
        assert!(first.is_retryable());
        let second = channel.send(&"b".to_owned()).unwrap_err();
        assert!(!second.is_retryable());
        assert_eq!(channel.send(&"c".to_owned()).unwrap().0, "memory-1");
        assert_eq!(channel.sent(), vec!["c".to_owned()]);
    }

    #[test]
    fn the_key_digest_is_stable_hex() {
        let key = IdempotencyKey::new("abc").unwrap();
        assert_eq!(
            key.sha256_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(IdempotencyKey::new("x".repeat(257)).is_err());
    }
}
