//! A real server for the integration tests: the router from `vigie_http::router`, served on a
//! port of 127.0.0.1 by `vigie_http::serve` in its own runtime thread, over a real store (a
//! SQLite file in a temporary directory, or with `VIGIE_TEST_API_BACKEND=postgres` a fresh
//! database on the PostgreSQL server named by `VIGIE_TEST_POSTGRES_URL`: the test command runs
//! these tests on both) and the shipped Mali geography. Requests go through ureq, a real
//! HTTP client; every answer body is kept for the privacy scan.

#![allow(dead_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::thread::JoinHandle;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha1::Sha1;
use tempfile::TempDir;
use vigie_domain::sms::CommuneDirectory;
use vigie_domain::store::{ReportQuery, Store};
use vigie_domain::{Event, EventLocation, LocatedEvent, PhoneProtector, Report, ZoneSet};
use vigie_http::{
    AfricasTalkingConfig, AppState, Clock, FeatureCatalog, IntakeConfig, Secret, SmsSyncConfig,
    TwilioConfig,
};
use vigie_spatial::{IndexOptions, SpatialIndex, codec};

/// Where a test's store lives: a SQLite file in `directory`, or a new PostgreSQL database
/// when `VIGIE_TEST_API_BACKEND=postgres`. Databases of earlier test processes that have
/// ended are dropped on the way, so the test server does not fill up.
pub fn test_database(directory: &std::path::Path) -> String {
    match std::env::var("VIGIE_TEST_API_BACKEND").as_deref() {
        Err(_) | Ok("") | Ok("sqlite") => directory.join("vigie.db").display().to_string(),
        Ok("postgres") => postgres_database(),
        Ok(other) => panic!("VIGIE_TEST_API_BACKEND={other:?}: expected sqlite or postgres"),
    }
}

/// Opens the test store in `directory` (see [`test_database`]). On a thread of its own: the
/// PostgreSQL client blocks on its own runtime, which cannot start inside a test's runtime.
pub fn open_test_store(directory: &std::path::Path) -> Arc<dyn Store> {
    let directory = directory.to_owned();
    std::thread::spawn(move || {
        vigie_store::open(&test_database(&directory)).expect("the store opens")
    })
    .join()
    .expect("the store opens")
}

fn postgres_database() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    static CLEANED: std::sync::Once = std::sync::Once::new();
    let admin_url = std::env::var("VIGIE_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .expect(
            "VIGIE_TEST_API_BACKEND=postgres needs VIGIE_TEST_POSTGRES_URL (scripts/test.sh \
             starts a server with scripts/postgres-for-tests.sh)",
        );
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
        .expect("cannot connect to VIGIE_TEST_POSTGRES_URL: is the server running?");
    CLEANED.call_once(|| {
        let rows = admin
            .query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'vigie_api_test_%'",
                &[],
            )
            .expect("list the test databases");
        for row in rows {
            let name: String = row.get(0);
            let process = name
                .split('_')
                .nth(3)
                .and_then(|pid| pid.parse::<u32>().ok());
            let ended = process.is_some_and(|pid| {
                pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            });
            if ended {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    });
    let database = format!(
        "vigie_api_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    admin
        .batch_execute(&format!("CREATE DATABASE {database}"))
        .expect("create a test database");
    let (head, query) = match admin_url.find('?') {
        Some(index) => admin_url.split_at(index),
        None => (admin_url.as_str(), ""),
    };
    let authority = head.find("://").map_or(0, |index| index + 3);
    let base = match head[authority..].find('/') {
        Some(index) => &head[..authority + index],
        None => head,
    };
    format!("{base}/{database}{query}")
}

pub const TWILIO_AUTH_TOKEN: &str = "twilio-auth-token-for-tests-0001";
pub const AFRICASTALKING_TOKEN: &str = "at-callback-token-0123456789";
pub const SMSSYNC_SECRET: &str = "smssync-secret-for-tests";
pub const DEPLOYMENT_SECRET: &[u8] = b"the deployment secret used by the http tests";

/// The shipped geography, its index and its commune directory, built once per test binary.
pub struct Geography {
    pub zones: Arc<ZoneSet>,
    pub index: Arc<SpatialIndex>,
    pub directory: Arc<CommuneDirectory>,
    pub features: Arc<FeatureCatalog>,
}

pub static GEOGRAPHY: LazyLock<Geography> = LazyLock::new(|| {
    let bytes = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/zones/mali-2015.vzs"
    ));
    let zones = codec::decode(bytes).expect("the shipped zone set decodes");
    let index = SpatialIndex::build(&zones, IndexOptions::default());
    let directory = Arc::new(CommuneDirectory::new(&zones));
    let features = Arc::new(FeatureCatalog::new(&zones, &directory));
    Geography {
        zones: Arc::new(zones),
        index: Arc::new(index),
        directory,
        features,
    }
});

/// The shipped geography as a server holds it (no stored version), serving `features`: the
/// shipped catalogue (`GEOGRAPHY.features`) or one a test built with other limits.
pub fn shared_geography(features: Arc<FeatureCatalog>) -> vigie_http::SharedGeography {
    vigie_http::SharedGeography::new(vigie_http::Geography {
        version: None,
        zones: GEOGRAPHY.zones.clone(),
        index: GEOGRAPHY.index.clone(),
        directory: GEOGRAPHY.directory.clone(),
        features,
    })
}

/// Every response body any test of this binary received.
pub static RESPONSE_BODIES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Everything traced by this test binary, at TRACE level.
static TRACE_OUTPUT: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once) a subscriber that writes every event and span of every level, with their
/// fields, to a buffer.
pub fn capture_traces() {
    TRACE_OUTPUT.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer_buffer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_writer(move || SharedBuffer(writer_buffer.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other subscriber is installed");
        buffer
    });
}

/// The traces captured so far.
pub fn captured_traces() -> String {
    let buffer = TRACE_OUTPUT.get().expect("capture_traces was called");
    String::from_utf8_lossy(&buffer.lock().unwrap()).into_owned()
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }
}

/// A running server and its store.
pub struct TestServer {
    pub base_url: String,
    pub store: Arc<dyn Store>,
    pub protector: Arc<PhoneProtector>,
    pub directory: TempDir,
    /// The store's location: a SQLite path or a PostgreSQL URL.
    pub database: String,
    agent: ureq::Agent,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// A server with every gateway configured.
    pub fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    /// A server whose configuration `adjust` changes first.
    pub fn start_with(adjust: impl FnOnce(&mut IntakeConfig) + Send + 'static) -> TestServer {
        capture_traces();
        let directory = tempfile::tempdir().unwrap();
        let database = test_database(directory.path());
        let store = vigie_store::open(&database).expect("the store opens");
        let protector = Arc::new(PhoneProtector::new(DEPLOYMENT_SECRET).unwrap());
        let (address_sender, address_receiver) = std::sync::mpsc::channel::<SocketAddr>();
        let (shutdown, shutdown_receiver) = tokio::sync::oneshot::channel::<()>();
        let server_store = store.clone();
        let server_protector = protector.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let address = listener.local_addr().unwrap();
                let mut config = IntakeConfig {
                    twilio: Some(TwilioConfig {
                        auth_token: Secret::new(TWILIO_AUTH_TOKEN),
                        public_base_url: format!("http://{address}"),
                    }),
                    africas_talking: Some(AfricasTalkingConfig {
                        url_token: Secret::new(AFRICASTALKING_TOKEN),
                    }),
                    smssync: Some(SmsSyncConfig {
                        secret: Secret::new(SMSSYNC_SECRET),
                    }),
                    ..IntakeConfig::default()
                };
                adjust(&mut config);
                config.validate().expect("the test configuration is valid");
                let state = AppState {
                    store: server_store,
                    geography: shared_geography(GEOGRAPHY.features.clone()),
                    protector: server_protector,
                    config,
                    clock: Clock::system(),
                    api_keys: None,
                    rules: None,
                    leader: None,
                };
                address_sender.send(address).unwrap();
                let shutdown = async {
                    let _ = shutdown_receiver.await;
                };
                vigie_http::serve(listener, vigie_http::router(state), shutdown)
                    .await
                    .unwrap();
            });
        });
        let address = address_receiver.recv().expect("the server starts");
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build(),
        );
        TestServer {
            base_url: format!("http://{address}"),
            store,
            protector,
            directory,
            database,
            agent,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    fn keep(&self, response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut response = response.expect("the server answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        RESPONSE_BODIES.lock().unwrap().push(body.clone());
        Answer {
            status,
            content_type,
            body,
        }
    }

    /// Twilio's signature, computed here independently of the server's code: base64 of
    /// HMAC-SHA1 over the URL and the parameters sorted by name, names and values concatenated.
    pub fn twilio_signature(&self, path: &str, parameters: &[(&str, &str)]) -> String {
        let mut sorted = parameters.to_vec();
        sorted.sort();
        let mut signed = format!("{}{path}", self.base_url);
        for (name, value) in sorted {
            signed.push_str(name);
            signed.push_str(value);
        }
        let mut mac = Hmac::<Sha1>::new_from_slice(TWILIO_AUTH_TOKEN.as_bytes()).unwrap();
        mac.update(signed.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }

    /// A correctly signed Twilio webhook.
    pub fn twilio(&self, parameters: &[(&str, &str)]) -> Answer {
        let signature = self.twilio_signature("/webhooks/sms/twilio", parameters);
        self.twilio_with_signature(parameters, Some(&signature))
    }

    /// A Twilio webhook with the given signature header (or none).
    pub fn twilio_with_signature(
        &self,
        parameters: &[(&str, &str)],
        signature: Option<&str>,
    ) -> Answer {
        let mut request = self
            .agent
            .post(format!("{}/webhooks/sms/twilio", self.base_url));
        if let Some(signature) = signature {
            request = request.header("X-Twilio-Signature", signature);
        }
        self.keep(request.send_form(parameters.iter().copied()))
    }

    /// An Africa's Talking callback with `token` in the URL.
    pub fn africastalking(&self, token: &str, parameters: &[(&str, &str)]) -> Answer {
        let request = self.agent.post(format!(
            "{}/webhooks/sms/africastalking/{token}",
            self.base_url
        ));
        self.keep(request.send_form(parameters.iter().copied()))
    }

    /// An SMSSync post.
    pub fn smssync(&self, parameters: &[(&str, &str)]) -> Answer {
        let request = self
            .agent
            .post(format!("{}/webhooks/sms/smssync", self.base_url));
        self.keep(request.send_form(parameters.iter().copied()))
    }

    /// A web form post.
    pub fn web(&self, body: &Value) -> Answer {
        let request = self.agent.post(format!("{}/api/reports", self.base_url));
        self.keep(request.send_json(body))
    }

    /// Any bytes to any path.
    pub fn post_raw(&self, path: &str, content_type: &str, body: &[u8]) -> Answer {
        let request = self
            .agent
            .post(format!("{}{path}", self.base_url))
            .header("Content-Type", content_type);
        self.keep(request.send(body))
    }

    /// Every stored report, newest first.
    pub fn reports(&self) -> Vec<Report> {
        self.store.reports(&ReportQuery::default()).unwrap()
    }
}

impl TestServer {
    /// Shuts the server down gracefully and waits for it; the store stays open.
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The report id a reply quotes (`Réf R12` / `Ref R12`).
pub fn quoted_report_id(reply: &str) -> Option<i64> {
    let start = reply.find("f R")? + 3;
    let digits: String = reply[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

pub fn signed_area(ring: &[Value]) -> f64 {
    ring.windows(2)
        .map(|pair| {
            let (a, b) = (&pair[0], &pair[1]);
            a[0].as_f64().unwrap() * b[1].as_f64().unwrap()
                - b[0].as_f64().unwrap() * a[1].as_f64().unwrap()
        })
        .sum()
}

pub fn check_position(position: &Value) {
    let position = position.as_array().unwrap();
    assert_eq!(position.len(), 2);
    let (lon, lat) = (position[0].as_f64().unwrap(), position[1].as_f64().unwrap());
    assert!((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat));
    // Mali and its neighbourhood: catches swapped lat,lon.
    assert!(
        (-13.0..=5.0).contains(&lon) && (9.0..=26.0).contains(&lat),
        "{lon},{lat}"
    );
}

/// Checks a feature collection against RFC 7946's rules for what Vigie serves (Point,
/// LineString, Polygon and MultiPolygon geometries; a null geometry is refused).
pub fn check_rfc7946(collection: &Value) {
    assert_eq!(collection["type"], "FeatureCollection");
    assert!(collection.get("crs").is_none());
    for feature in collection["features"].as_array().unwrap() {
        assert_eq!(feature["type"], "Feature");
        assert!(feature.get("crs").is_none());
        assert!(feature["properties"].is_object());
        let geometry = &feature["geometry"];
        match geometry["type"].as_str().unwrap() {
            "Point" => check_position(&geometry["coordinates"]),
            "LineString" => {
                let line = geometry["coordinates"].as_array().unwrap();
                assert!(
                    line.len() >= 2,
                    "{}: a line of {}",
                    feature["id"],
                    line.len()
                );
                line.iter().for_each(check_position);
            }
            "Polygon" | "MultiPolygon" => {
                let polygons = if geometry["type"] == "Polygon" {
                    vec![geometry["coordinates"].clone()]
                } else {
                    geometry["coordinates"].as_array().unwrap().clone()
                };
                assert!(!polygons.is_empty(), "{}", feature["id"]);
                for polygon in &polygons {
                    for (position, ring) in polygon.as_array().unwrap().iter().enumerate() {
                        let ring = ring.as_array().unwrap();
                        assert!(
                            ring.len() >= 4,
                            "{}: a ring of {}",
                            feature["id"],
                            ring.len()
                        );
                        assert_eq!(ring.first(), ring.last(), "closed");
                        ring.iter().for_each(check_position);
                        let area = signed_area(ring);
                        if position == 0 {
                            assert!(
                                area > 0.0,
                                "{}: exterior must be counter-clockwise",
                                feature["id"]
                            );
                        } else {
                            assert!(area < 0.0, "{}: holes must be clockwise", feature["id"]);
                        }
                    }
                }
            }
            other => panic!("unexpected geometry {other}"),
        }
    }
}

/// An event located with the shipped geography's index, as ingestion would.
pub fn located(event: Event) -> LocatedEvent {
    let zones = &GEOGRAPHY.zones;
    let location = GEOGRAPHY.index.locate(event.longitude, event.latitude);
    LocatedEvent {
        location: EventLocation {
            status: location.status,
            commune: location
                .commune
                .map(|p| zones.communes[p as usize].id.clone()),
            cercle: location
                .cercle
                .map(|p| zones.cercles[p as usize].id.clone()),
            region: location
                .region
                .map(|p| zones.regions[p as usize].id.clone()),
            corridors: location
                .corridors
                .iter()
                .map(|hit| zones.corridors[hit.corridor as usize].id.clone())
                .collect(),
        },
        event,
    }
}
