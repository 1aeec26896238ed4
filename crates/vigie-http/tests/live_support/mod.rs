//! A real server on a loopback port with store-backed API keys, for the key, stream and
//! metrics tests; a minimal Server-Sent Events client over a plain socket; and builders for
//! the changes the stream reports.

#![allow(dead_code)] // Each test binary uses part of it.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use vigie_domain::store::{ImportBatch, ImportStatus, Store};
use vigie_domain::{
    ApiRole, Event, EventLocation, EventSource, EventType, LocateStatus, LocatedEvent, NewApiKey,
    NewReport, PhoneProtector, RecordedReport, ReportChannel, ReportedIncident, SourceFields,
    StreamKind, TransitionKind, WarningLevel, WarningRecord, ZoneId, ZoneLevel,
    api_key_display_prefix, api_key_from_bytes, api_key_sha256,
};
use vigie_http::{AppState, IntakeConfig, StoreApiKeys, StreamSettings};

use crate::support::{DEPLOYMENT_SECRET, GEOGRAPHY};

/// How long a key lookup is cached in these servers (short, to test revocation).
pub const KEY_TTL: Duration = Duration::from_millis(300);

/// A reporter's number: must never appear in any answer.
pub const REPORTER_PHONE: &str = "+22376123456";

pub struct LiveServer {
    pub address: SocketAddr,
    pub store: Arc<dyn Store>,
    _directory: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    agent: ureq::Agent,
}

pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("{error}: {}", self.body))
    }
}

impl LiveServer {
    pub fn start() -> LiveServer {
        LiveServer::start_with(StreamSettings {
            poll_interval: Duration::from_millis(50),
            ..StreamSettings::default()
        })
    }

    pub fn start_with(settings: StreamSettings) -> LiveServer {
        let directory = tempfile::tempdir().unwrap();
        let store = crate::support::open_test_store(directory.path());
        let protector = Arc::new(PhoneProtector::new(DEPLOYMENT_SECRET).unwrap());
        let keys = Arc::new(StoreApiKeys::with_ttl(store.clone(), KEY_TTL));
        let state = AppState::new(
            store.clone(),
            GEOGRAPHY.zones.clone(),
            GEOGRAPHY.index.clone(),
            protector,
            IntakeConfig::default(),
        )
        .with_api_keys(keys);
        let (address_sender, address_receiver) = std::sync::mpsc::channel();
        let (shutdown, shutdown_receiver) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                address_sender.send(listener.local_addr().unwrap()).unwrap();
                let router = vigie_http::router_with_stream(state, settings);
                vigie_http::serve(listener, router, async {
                    let _ = shutdown_receiver.await;
                })
                .await
                .unwrap();
            });
        });
        let address = address_receiver.recv().unwrap();
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build(),
        );
        LiveServer {
            address,
            store,
            _directory: directory,
            shutdown: Some(shutdown),
            thread: Some(thread),
            agent,
        }
    }

    /// GET `path` with an optional bearer key.
    pub fn get(&self, path: &str, key: Option<&str>) -> Reply {
        let mut request = self.agent.get(format!("http://{}{path}", self.address));
        if let Some(key) = key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        let mut response = request.call().expect("the server answers");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned();
        Reply {
            status: response.status().as_u16(),
            content_type,
            body: response.body_mut().read_to_string().unwrap(),
        }
    }

    /// Stores a key with `role`; returns its text.
    pub fn key(&self, role: ApiRole, seed: u8) -> String {
        let text = api_key_from_bytes(&[seed; 32]);
        self.store
            .create_api_key(&NewApiKey {
                name: format!("{role} {seed}"),
                role,
                secret_sha256: api_key_sha256(&text),
                prefix: api_key_display_prefix(&text).to_owned(),
            })
            .unwrap();
        text
    }

    /// Asks the server to stop; the receiver gets a message once its thread has ended.
    pub fn stop(mut self) -> std::sync::mpsc::Receiver<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let thread = self.thread.take().expect("the server runs");
        let (done, stopped) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = thread.join();
            let _ = done.send(());
        });
        stopped
    }

    /// Opens the stream.
    pub fn stream(&self, query: &str, key: Option<&str>, last_event_id: Option<i64>) -> SseClient {
        SseClient::connect(self.address, query, key, last_event_id)
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        // Open streams keep the graceful shutdown waiting: do not join, the thread ends with
        // the test process.
        drop(self.thread.take());
    }
}

/// One Server-Sent Events message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub event: String,
    pub id: Option<i64>,
    pub data: Value,
}

/// A stream read line by line from a plain socket (HTTP/1.0: the body ends with the
/// connection, no chunked framing to undo).
pub struct SseClient {
    pub status: u16,
    pub headers: Vec<String>,
    reader: BufReader<TcpStream>,
}

impl SseClient {
    pub fn connect(
        address: SocketAddr,
        query: &str,
        key: Option<&str>,
        last_event_id: Option<i64>,
    ) -> SseClient {
        let mut socket = TcpStream::connect(address).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut request = format!(
            "GET /api/stream{query} HTTP/1.0\r\nHost: {address}\r\nAccept: text/event-stream\r\n"
        );
        if let Some(key) = key {
            request.push_str(&format!("Authorization: Bearer {key}\r\n"));
        }
        if let Some(id) = last_event_id {
            request.push_str(&format!("Last-Event-ID: {id}\r\n"));
        }
        request.push_str("\r\n");
        socket.write_all(request.as_bytes()).unwrap();
        let mut reader = BufReader::new(socket);
        let mut status_line = String::new();
        reader.read_line(&mut status_line).unwrap();
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            headers.push(line.to_ascii_lowercase());
        }
        SseClient {
            status,
            headers,
            reader,
        }
    }

    /// The next message (comments and keep-alives skipped), or `None` when nothing came
    /// within the socket's timeout.
    pub fn next(&mut self) -> Option<Message> {
        let mut event = String::from("message");
        let mut id = None;
        let mut data = String::new();
        let mut seen_field = false;
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if seen_field {
                    let data = serde_json::from_str(&data)
                        .unwrap_or_else(|error| panic!("{error}: {data}"));
                    return Some(Message { event, id, data });
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            seen_field = true;
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => event = value.to_owned(),
                "id" => id = value.parse().ok(),
                "data" => data.push_str(value),
                _ => {}
            }
        }
    }

    /// The next `count` messages; panics if they do not come.
    pub fn take(&mut self, count: usize) -> Vec<Message> {
        (0..count)
            .map(|index| {
                self.next()
                    .unwrap_or_else(|| panic!("message {index} of {count} did not come"))
            })
            .collect()
    }

    /// Waits at most `wait` for another message.
    pub fn next_within(&mut self, wait: Duration) -> Option<Message> {
        self.reader.get_ref().set_read_timeout(Some(wait)).unwrap();
        let message = self.next();
        self.reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        message
    }
}

fn zone(id: &str) -> ZoneId {
    ZoneId::new(id).unwrap()
}

fn bankass() -> EventLocation {
    EventLocation {
        status: LocateStatus::Inside,
        commune: Some(zone("ML050301")),
        cercle: Some(zone("ML0503")),
        region: Some(zone("ML05")),
        corridors: Vec::new(),
    }
}

fn event(id: &str) -> LocatedEvent {
    LocatedEvent {
        event: Event {
            source: EventSource::Acled,
            source_event_id: id.to_owned(),
            event_date: NaiveDate::from_ymd_opt(2024, 3, 23).unwrap(),
            time_precision: 1,
            disorder_type: None,
            event_type: EventType::ViolenceAgainstCivilians,
            sub_event_type: Some("Attack".to_owned()),
            original_event_type: None,
            actor1: Some("Unidentified Armed Group (Mali)".to_owned()),
            actor2: None,
            associated_actors: Vec::new(),
            inter1: Some(3),
            inter2: None,
            civilian_targeting: true,
            fatalities: 4,
            fatalities_low: None,
            fatalities_high: None,
            longitude: -3.52,
            latitude: 14.08,
            geo_precision: Some(1),
            country: Some("Mali".to_owned()),
            admin1: None,
            admin2: None,
            admin3: None,
            location: None,
            notes: None,
            source_timestamp: Some(1_700_000_000),
            flags: Vec::new(),
            fields: SourceFields::default(),
        },
        location: bankass(),
    }
}

/// Imports events with these ids in one batch (one `event` stream entry).
pub fn ingest(store: &dyn Store, ids: &[&str]) {
    let run = store
        .start_import(EventSource::Acled, "test", None)
        .unwrap();
    let counts = store
        .apply_batch(
            run,
            &ImportBatch {
                rows_read: ids.len() as u64,
                events: ids.iter().map(|id| event(id)).collect(),
                quarantined: Vec::new(),
            },
        )
        .unwrap();
    store
        .finish_import(run, ImportStatus::Completed, &counts, None, None)
        .unwrap();
}

/// Records a web report with an exact point and a phone number in its text; returns its id.
pub fn report(store: &dyn Store, number: u32) -> i64 {
    let protector = PhoneProtector::new(DEPLOYMENT_SECRET).unwrap();
    let recorded = store
        .record_report(&NewReport {
            channel: ReportChannel::Web,
            provider_message_id: format!("web-{number}"),
            reporter: Some(
                protector
                    .new_reporter(REPORTER_PHONE, false, None, None, None)
                    .unwrap(),
            ),
            received_at: Utc.with_ymd_and_hms(2024, 6, 1, 8, 0, 0).unwrap(),
            text: format!("ALERTE Bankass attaque, appelez-moi au {REPORTER_PHONE}"),
            language: "fr".to_owned(),
            incident: Some(ReportedIncident {
                commune: zone("ML050301"),
                event_type: EventType::ViolenceAgainstCivilians,
                sub_event_type: None,
                fatalities: 2,
                injured: None,
                occurred_on: NaiveDate::from_ymd_opt(2024, 6, 1).unwrap(),
            }),
            clarification: None,
            coordinates: Some((-3.512_345, 14.071_234)),
            location: Some(bankass()),
        })
        .unwrap();
    match recorded {
        RecordedReport::Created { id, .. } => id,
        other => panic!("{other:?}"),
    }
}

/// Records an opening warning transition for a new episode (one `warning` entry).
pub fn warn(store: &dyn Store, day: u32) {
    let on = NaiveDate::from_ymd_opt(2024, 3, day).unwrap();
    store
        .record_warnings(
            &[WarningRecord {
                episode: format!("surge-7d/ML050301/{on}"),
                rule: "surge-7d".to_owned(),
                zone: zone("ML050301"),
                zone_level: ZoneLevel::Commune,
                zone_name: "Bankass".to_owned(),
                kind: TransitionKind::Opened,
                level: Some(WarningLevel::Alerte),
                previous_level: None,
                at: on,
                evidence: json!({"count": 7}),
                late: false,
                inhibited_by: None,
            }],
            &[],
        )
        .unwrap();
}

/// Publishes a hotspot entry; returns its id.
pub fn hotspot(store: &dyn Store, number: i64) -> i64 {
    store
        .publish_stream(StreamKind::Hotspot, number, &json!({ "clusters": number }))
        .unwrap()
}
