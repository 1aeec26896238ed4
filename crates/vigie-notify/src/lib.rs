//! Vigie's delivery channels: how a warning transition, once decided by the engine, leaves
//! the building.
//!
//! - [`compose`] turns a [`compose::WarningNotice`] into words: an SMS fitted to its GSM-7 or
//!   UCS-2 segment budget, and an email (subject, text part, escaped HTML part). Pure.
//! - [`sms`] sends an SMS through Africa's Talking, Twilio or a JSON webhook; [`email`] sends
//!   an email over SMTP (STARTTLS or TLS). Each is a [`Channel`]: the outbox dispatcher calls
//!   it with one rendered message and gets back the provider's message id or a
//!   [`DeliveryError`] that says whether to retry (and when) or give up. [`MemoryChannel`]
//!   records what it is given, for the dispatcher's tests; [`FileChannel`] writes messages to
//!   a local JSON-lines file instead of a gateway (the demo, a deployment without gateways).
//! - [`cap`] writes CAP 1.2 messages (valid against the OASIS schema), bounds area outlines,
//!   and writes the Atom feed of current messages.
//!
//! This crate never decides who gets what, when, or how often: routing, grouping, retries and
//! deduplication belong to the outbox. It never retries on its own, and it holds no state
//! between sends.

pub mod cap;
pub mod channel;
pub mod compose;
pub mod email;
pub mod error;
pub mod file;
pub mod sms;

pub use channel::{
    Channel, EmailMessage, IdempotencyKey, InvalidIdempotencyKey, MemoryChannel, ProviderMessageId,
    SmsMessage,
};
pub use error::{ConfigError, DeliveryError};
pub use file::FileChannel;
