//! A channel that writes messages to a local file, one JSON object per line, instead of
//! handing them to a gateway: for the demo, for a deployment that has no gateway yet, and for
//! operators who want to see what would have been sent.
//!
//! It is a real channel (the dispatcher treats it like any other): the file is opened in
//! append mode for every message and flushed before `send` returns, so a crash never loses a
//! message the outbox recorded as sent.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::json;

use crate::channel::{Channel, EmailMessage, ProviderMessageId, SmsMessage};
use crate::error::DeliveryError;

/// Appends each message to a JSON-lines file.
pub struct FileChannel {
    name: String,
    path: PathBuf,
    // One writer at a time, so that two lines never interleave (std Mutex: nothing awaits
    // while it is held).
    lock: Mutex<()>,
}

impl FileChannel {
    /// A channel named `name` (`sms:file`, `email:file`) writing to `path`, created on first use.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>) -> FileChannel {
        FileChannel {
            name: name.into(),
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    fn append(
        &self,
        record: serde_json::Value,
        key_digest: &str,
    ) -> Result<ProviderMessageId, DeliveryError> {
        let failure = |error: std::io::Error| DeliveryError::Retryable {
            channel: self.name.clone(),
            reason: format!("cannot write {}: {error}", self.path.display()),
            retry_after: None,
        };
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(failure)?;
        let mut line = record.to_string();
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(failure)?;
        file.flush().map_err(failure)?;
        Ok(ProviderMessageId(format!("file-{}", &key_digest[..16])))
    }
}

impl Channel<SmsMessage> for FileChannel {
    fn name(&self) -> &str {
        &self.name
    }

    fn send(&self, message: &SmsMessage) -> Result<ProviderMessageId, DeliveryError> {
        let digest = message.idempotency_key.sha256_hex();
        self.append(
            json!({
                "channel": "sms",
                "to": message.to,
                "text": message.text,
                "idempotency_key": message.idempotency_key.as_str(),
            }),
            &digest,
        )
    }
}

impl Channel<EmailMessage> for FileChannel {
    fn name(&self) -> &str {
        &self.name
    }

    fn send(&self, message: &EmailMessage) -> Result<ProviderMessageId, DeliveryError> {
        let digest = message.idempotency_key.sha256_hex();
        self.append(
            json!({
                "channel": "email",
                "to": message.to,
                "subject": message.content.subject,
                "text": message.content.text,
                "idempotency_key": message.idempotency_key.as_str(),
            }),
            &digest,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::IdempotencyKey;

    #[test]
    fn every_message_is_one_json_line_and_an_unwritable_file_is_retryable() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("sms.jsonl");
        let channel = FileChannel::new("sms:file", &path);
        for number in 0..3 {
            let id = Channel::<SmsMessage>::send(
                &channel,
                &SmsMessage {
                    to: "+22300000001".into(),
                    text: format!("VIGIE ALERTE Bankass \"{number}\"\nligne"),
                    idempotency_key: IdempotencyKey::new(format!("ep|opened|m{number}|sms"))
                        .unwrap(),
                },
            )
            .unwrap();
            assert!(id.0.starts_with("file-"));
        }
        let written = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = written
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2]["text"], "VIGIE ALERTE Bankass \"2\"\nligne");

        let nowhere = FileChannel::new("sms:file", directory.path().join("missing/dir/sms.jsonl"));
        let error = Channel::<SmsMessage>::send(
            &nowhere,
            &SmsMessage {
                to: "+22300000001".into(),
                text: "x".into(),
                idempotency_key: IdempotencyKey::new("k").unwrap(),
            },
        )
        .unwrap_err();
        assert!(error.is_retryable(), "{error}");
    }
}
