//! Email through a real SMTP server: aiosmtpd, started by the test on a free loopback port,
//! stores what it receives in a Maildir; Python's own email parser reads it back.

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vigie_domain::sms::Language;
use vigie_notify::compose::*;
use vigie_notify::email::{SmtpChannel, SmtpConfig, SmtpSecurity, message_id};
use vigie_notify::{Channel, EmailMessage, IdempotencyKey};

/// aiosmtpd running for one test; stopped when dropped.
struct SmtpServer {
    child: Child,
    address: SocketAddr,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    fn start() -> Self {
        let python = common::required_tool("VIGIE_TEST_PYTHON", "a Python with aiosmtpd (PyPI)");
        let maildir = tempfile::tempdir().expect("a temporary directory");
        // A free port: bind to 0, note it, release it for the server.
        let address = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(address.to_string())
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // A path that does not exist yet: Python's Maildir creates cur/new/tmp only then.
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", python.display()));
        let mut server = SmtpServer {
            child,
            address,
            maildir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(address).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "aiosmtpd exited early ({status}): is aiosmtpd installed? run scripts/test.sh"
                );
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on {address}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server.address = address;
        server
    }

    fn delivered(&self) -> Vec<PathBuf> {
        let new = self.maildir.path().join("mail/new");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
            .map(|entries| entries.map(|entry| entry.unwrap().path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The message parsed by Python's `email` package (policy.default decodes RFC 2047).
fn parse_with_python(path: &Path) -> serde_json::Value {
    let python = common::required_tool("VIGIE_TEST_PYTHON", "a Python with aiosmtpd (PyPI)");
    let script = r#"
import email, json, sys
from email import policy
with open(sys.argv[1], 'rb') as file:
    message = email.message_from_binary_file(file, policy=policy.default)
print(json.dumps({
    'subject': str(message['subject']),
    'message_id': str(message['message-id']),
    'from': str(message['from']),
    'to': str(message['to']),
    'content_type': message.get_content_type(),
    'parts': [part.get_content_type() for part in message.iter_parts()],
    'text': message.get_body(('plain',)).get_content(),
    'html': message.get_body(('html',)).get_content(),
}))
"#;
    let output = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json from python")
}

fn channel(port: u16) -> SmtpChannel {
    SmtpChannel::new(SmtpConfig {
        host: "127.0.0.1".to_owned(),
        port,
        security: SmtpSecurity::PlainLoopbackOnly,
        credentials: None,
        from: "Vigie Mali <alertes@vigie.example.org>".to_owned(),
        message_id_domain: "vigie.example.org".to_owned(),
        timeout: Duration::from_secs(10),
    })
    .unwrap()
}

fn email(key: &str) -> EmailMessage {
    let notice = WarningNotice {
        level: WarningLevel::Urgence,
        transition: Transition::Escalated,
        zones: vec![ZoneFigures {
            name: "Ségou <Pélengana> & Fançon".to_owned(),
            pcode: "ML0401".to_owned(),
            events: 4,
            fatalities: 9,
        }],
        window_days: 7,
        link: "https://v.ml/w/ef56".to_owned(),
        language: Language::French,
    };
    EmailMessage {
        to: "Comité de Ségou <comite.segou@example.org>".to_owned(),
        content: email_content(&notice),
        idempotency_key: IdempotencyKey::new(key).unwrap(),
    }
}

#[test]
fn an_email_reaches_a_real_smtp_server_with_both_parts_accents_and_its_message_id() {
    let server = SmtpServer::start();
    let channel = channel(server.address.port());
    assert_eq!(channel.name(), "email:smtp");
    let message = email("episode-9:escalated:member-3:email");
    let id = channel.send(&message).unwrap();
    let expected_id = message_id(&message.idempotency_key, "vigie.example.org");
    assert_eq!(id.0, expected_id);

    let delivered = server.delivered();
    assert_eq!(delivered.len(), 1, "one message in the Maildir");
    let raw = std::fs::read_to_string(&delivered[0]).unwrap();
    // Headers travel in ASCII: the accented subject is encoded, not raw 8-bit.
    let subject_line = raw
        .lines()
        .find(|line| line.to_ascii_lowercase().starts_with("subject:"))
        .expect("a subject");
    assert!(subject_line.is_ascii(), "{subject_line}");
    assert!(subject_line.contains("=?utf-8?"), "{subject_line}");

    let parsed = parse_with_python(&delivered[0]);
    assert_eq!(
        parsed["subject"],
        "[Vigie] URGENCE (hausse du niveau) – Ségou <Pélengana> & Fançon"
    );
    assert_eq!(parsed["message_id"], expected_id.as_str());
    assert_eq!(parsed["content_type"], "multipart/alternative");
    assert_eq!(
        parsed["parts"],
        serde_json::json!(["text/plain", "text/html"])
    );
    assert!(
        parsed["to"]
            .as_str()
            .unwrap()
            .contains("comite.segou@example.org")
    );
    assert!(
        parsed["from"]
            .as_str()
            .unwrap()
            .contains("alertes@vigie.example.org")
    );
    let text = parsed["text"].as_str().unwrap();
    assert!(
        text.contains("- Ségou <Pélengana> & Fançon (P-code ML0401): 4 incidents, 9 morts"),
        "{text}"
    );
    assert!(text.contains("Détails: https://v.ml/w/ef56"), "{text}");
    let html = parsed["html"].as_str().unwrap();
    assert!(
        html.contains("Ségou &lt;Pélengana&gt; &amp; Fançon"),
        "{html}"
    );
    assert!(!html.contains("<Pélengana>"), "{html}");
}

#[test]
fn the_same_notification_sent_twice_carries_the_same_message_id() {
    let server = SmtpServer::start();
    let channel = channel(server.address.port());
    let first = channel
        .send(&email("episode-9:opened:member-3:email"))
        .unwrap();
    let again = channel
        .send(&email("episode-9:opened:member-3:email"))
        .unwrap();
    let other = channel
        .send(&email("episode-9:opened:member-4:email"))
        .unwrap();
    assert_eq!(first, again);
    assert_ne!(first, other);
    let ids: Vec<String> = server
        .delivered()
        .iter()
        .map(|path| {
            parse_with_python(path)["message_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        ids.iter().filter(|id| **id == first.0).count(),
        2,
        "{ids:?}"
    );
}

#[test]
fn an_unreachable_server_is_retryable_and_a_bad_recipient_permanent() {
    let closed_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = channel(closed_port)
        .send(&email("episode-9:opened:member-3:email"))
        .unwrap_err();
    assert!(error.is_retryable(), "{error}");

    let mut bad = email("episode-9:opened:member-5:email");
    bad.to = "no address here".to_owned();
    let error = channel(closed_port).send(&bad).unwrap_err();
    assert!(!error.is_retryable(), "{error}");
}
