//! Where the tests' notifications land: a JSON SMS gateway written here (an HTTP server on a
//! loopback port, which can answer slowly or be down for a while) and a real SMTP server
//! (aiosmtpd, from the Python of `VIGIE_TEST_PYTHON`, which `scripts/test.sh` prepares).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};

/// A loopback address nothing listens on yet.
pub fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

// --- the SMS gateway ---------------------------------------------------------------------

/// A message the gateway accepted, and when it arrived (before the gateway's delay).
#[derive(Clone, Debug)]
pub struct Received {
    pub body: Value,
    pub at: Instant,
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    refused: usize,
}

#[derive(Clone)]
struct Behaviour {
    log: Arc<Mutex<Log>>,
    delay: Duration,
    down_until: Option<Instant>,
}

/// A JSON SMS gateway (`POST /send {to, message, idempotency_key}` → `{id}`) that answers
/// after a delay, and 503 until a given instant if asked to.
pub struct SmsGateway {
    pub address: SocketAddr,
    log: Arc<Mutex<Log>>,
    _runtime: tokio::runtime::Runtime,
}

async fn send(
    State(behaviour): State<Behaviour>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let at = Instant::now();
    if behaviour.down_until.is_some_and(|until| at < until) {
        behaviour.log.lock().unwrap().refused += 1;
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "maintenance"})),
        );
    }
    tokio::time::sleep(behaviour.delay).await;
    let mut log = behaviour.log.lock().unwrap();
    log.received.push(Received { body, at });
    let id = format!("gw-{}", log.received.len());
    (StatusCode::OK, Json(json!({ "id": id })))
}

impl SmsGateway {
    /// A gateway answering after `delay`, refusing everything for `down_for` first if given.
    pub fn start(delay: Duration, down_for: Option<Duration>) -> SmsGateway {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let log = Arc::new(Mutex::new(Log::default()));
        let behaviour = Behaviour {
            log: log.clone(),
            delay,
            down_until: down_for.map(|wait| Instant::now() + wait),
        };
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let address = listener.local_addr().unwrap();
        let router = axum::Router::new()
            .route("/send", post(send))
            .with_state(behaviour);
        runtime.spawn(async move { axum::serve(listener, router).await });
        SmsGateway {
            address,
            log,
            _runtime: runtime,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().received.clone()
    }

    /// How many messages it refused while down.
    pub fn refused(&self) -> usize {
        self.log.lock().unwrap().refused
    }

    /// Messages received per phone number.
    pub fn per_phone(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for message in self.received() {
            *counts
                .entry(message.body["to"].as_str().unwrap().to_owned())
                .or_insert(0) += 1;
        }
        counts
    }

    /// The idempotency keys of the messages received.
    pub fn keys(&self) -> BTreeSet<String> {
        self.received()
            .iter()
            .map(|message| message.body["idempotency_key"].as_str().unwrap().to_owned())
            .collect()
    }
}

// --- the SMTP server ---------------------------------------------------------------------

/// aiosmtpd writing what it receives to a maildir; stopped when dropped.
pub struct SmtpServer {
    child: Child,
    pub address: SocketAddr,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let python = std::env::var_os("VIGIE_TEST_PYTHON")
            .filter(|path| !path.is_empty())
            .map(PathBuf::from)
            .expect(
                "VIGIE_TEST_PYTHON is not set: these tests need a Python with aiosmtpd. Run \
                 scripts/test.sh, which prepares it",
            );
        let maildir = tempfile::tempdir().unwrap();
        let address = free_address();
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(address.to_string())
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let mut server = SmtpServer {
            child,
            address,
            maildir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(address).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("aiosmtpd exited early ({status}): run scripts/test.sh");
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// The files of the received messages, in name order.
    pub fn message_files(&self) -> Vec<PathBuf> {
        let new = self.maildir.path().join("mail/new");
        let mut files: Vec<PathBuf> = std::fs::read_dir(new)
            .map(|entries| entries.map(|entry| entry.unwrap().path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    }

    /// Received messages, as raw text.
    pub fn messages(&self) -> Vec<String> {
        self.message_files()
            .iter()
            .map(|file| String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned())
            .collect()
    }

    /// Messages received per recipient address.
    pub fn per_recipient(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for message in self.messages() {
            let to = message
                .lines()
                .find_map(|line| line.strip_prefix("To: "))
                .expect("a To header")
                .trim()
                .to_owned();
            *counts.entry(to).or_insert(0) += 1;
        }
        counts
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
