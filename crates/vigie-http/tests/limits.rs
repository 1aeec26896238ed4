//! The API's protections and its economy on slow links, through the real router: rate limits
//! per address and per key (429 with `Retry-After`, forwarded addresses believed only from
//! trusted proxies, webhooks never limited), gzip and brotli (never on the live stream or on
//! tiny bodies), caching headers with strong tags and 304s, and the commune layer's size at
//! each simplification level.
//!
//! Most tests call the router with `oneshot` and put the connection's peer address in the
//! request as `vigie_http::serve` does; one runs a real server to show that it does.

mod live_support;
mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use support::{DEPLOYMENT_SECRET, GEOGRAPHY, TestServer, shared_geography};
use tower::ServiceExt;
use vigie_domain::PhoneProtector;
use vigie_domain::store::Store;
use vigie_http::{
    ApiKeys, AppState, Clock, FeatureCatalog, IntakeConfig, IpNetwork, Rate, RateLimitConfig, Role,
};

const KEY_ONE: &str = "researcher-key-one";
const KEY_TWO: &str = "researcher-key-two";

/// A fixed map of keys: a test fake for the key backend, not a key store.
struct FixedKeys(HashMap<&'static str, Role>);

impl ApiKeys for FixedKeys {
    fn role_of(&self, token: &str) -> Option<Role> {
        self.0.get(token).copied()
    }
}

struct App {
    router: Router,
    store: Arc<dyn Store>,
    _directory: tempfile::TempDir,
}

/// A router over a fresh store holding one event at Bankass.
fn app(config: IntakeConfig, clock: Clock, features: Arc<FeatureCatalog>) -> App {
    let directory = tempfile::tempdir().unwrap();
    let store = support::open_test_store(directory.path());
    live_support::ingest(store.as_ref(), &["MLI1"]);
    let state = AppState {
        store: store.clone(),
        geography: shared_geography(features),
        protector: Arc::new(PhoneProtector::new(DEPLOYMENT_SECRET).unwrap()),
        config,
        clock,
        api_keys: None,
        rules: None,
        leader: None,
    }
    .with_api_keys(Arc::new(FixedKeys(HashMap::from([
        (KEY_ONE, Role::Researcher),
        (KEY_TWO, Role::Researcher),
    ]))));
    App {
        router: vigie_http::router(state),
        store,
        _directory: directory,
    }
}

fn limited(anonymous: Rate, keyed: Rate, trusted_proxies: &[&str]) -> IntakeConfig {
    IntakeConfig {
        rate_limit: RateLimitConfig {
            anonymous,
            keyed,
            trusted_proxies: trusted_proxies
                .iter()
                .map(|text| text.parse::<IpNetwork>().unwrap())
                .collect(),
            ..RateLimitConfig::default()
        },
        ..IntakeConfig::default()
    }
}

/// A rate slow enough that no token comes back during a test.
fn burst_of(burst: u32) -> Rate {
    Rate {
        per_second: 0.01,
        burst,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    fn vary(&self) -> Vec<String> {
        self.headers
            .get_all(header::VARY)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|name| name.trim().to_ascii_lowercase())
            .collect()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

impl App {
    /// `method uri` from `peer` (as the connection's address, `None`: no connection
    /// information), with `headers`.
    async fn send(
        &self,
        method: &str,
        uri: &str,
        peer: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "vigie.test");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::empty()).unwrap();
        if let Some(peer) = peer {
            let address = SocketAddr::new(peer.parse::<IpAddr>().unwrap(), 40_000);
            request.extensions_mut().insert(ConnectInfo(address));
        }
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str, peer: &str, headers: &[(&str, &str)]) -> Answer {
        self.send("GET", uri, Some(peer), headers).await
    }
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

#[tokio::test]
async fn the_burst_is_refused_per_address_and_per_key_with_retry_after() {
    let app = app(
        limited(burst_of(3), burst_of(5), &[]),
        Clock::system(),
        GEOGRAPHY.features.clone(),
    );
    let first = "192.0.2.1";
    for _ in 0..3 {
        assert_eq!(
            app.get("/conformance", first, &[]).await.status,
            StatusCode::OK
        );
    }
    let refused = app.get("/conformance", first, &[]).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("content-type"), "application/problem+json");
    // One token per 100 s.
    assert_eq!(refused.header("retry-after"), "100");
    let problem = refused.json();
    assert_eq!(problem["status"], 429);
    assert_eq!(problem["title"], "too many requests");
    assert_eq!(problem["retryAfter"], 100);
    // Another address has its own bucket.
    assert_eq!(
        app.get("/conformance", "192.0.2.2", &[]).await.status,
        StatusCode::OK
    );
    // IPv6 clients are bucketed by /64.
    for _ in 0..3 {
        assert_eq!(
            app.get("/conformance", "2001:db8::1", &[]).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get("/conformance", "2001:db8::2", &[]).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "same /64"
    );
    assert_eq!(
        app.get("/conformance", "2001:db8:0:1::1", &[]).await.status,
        StatusCode::OK,
        "another /64"
    );

    // A live key has its own bucket, even from an address that has used up its own.
    let one = bearer(KEY_ONE);
    let keyed = [("authorization", one.as_str())];
    for _ in 0..5 {
        let answer = app
            .get("/collections/events/items?limit=1", first, &keyed)
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    assert_eq!(
        app.get("/collections/events/items?limit=1", "192.0.2.9", &keyed)
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS,
        "the key's bucket follows the key, whatever the address"
    );
    let two = bearer(KEY_TWO);
    assert_eq!(
        app.get(
            "/collections/events/items?limit=1",
            first,
            &[("authorization", two.as_str())]
        )
        .await
        .status,
        StatusCode::OK,
        "another key has its own bucket"
    );
    // A key that is not live draws on the address's bucket (a made-up key buys nothing).
    assert_eq!(
        app.get(
            "/collections/communes/items",
            first,
            &[("authorization", "Bearer made-up")]
        )
        .await
        .status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // The gateways' webhooks and the health check are never limited.
    for _ in 0..6 {
        let webhook = app
            .send("POST", "/webhooks/sms/smssync", Some(first), &[])
            .await;
        assert_ne!(webhook.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(app.get("/healthz", first, &[]).await.status, StatusCode::OK);
    }
    // The public report form is limited like the API.
    assert_eq!(
        app.send("POST", "/api/reports", Some(first), &[])
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let behind_proxy = app(
        limited(burst_of(2), burst_of(2), &["127.0.0.1", "10.0.0.0/8"]),
        Clock::system(),
        GEOGRAPHY.features.clone(),
    );
    let forwarded = |client: &'static str| [("x-forwarded-for", client)];
    // A peer that is not a trusted proxy: its header is ignored, all three share its bucket.
    for (client, expected) in [
        ("203.0.113.1", StatusCode::OK),
        ("203.0.113.2", StatusCode::OK),
        ("203.0.113.3", StatusCode::TOO_MANY_REQUESTS),
    ] {
        let answer = behind_proxy
            .get("/conformance", "198.51.100.7", &forwarded(client))
            .await;
        assert_eq!(answer.status, expected, "{client}");
    }
    // Through the trusted proxy each forwarded client has its own bucket.
    for expected in [
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let answer = behind_proxy
            .get("/conformance", "127.0.0.1", &forwarded("203.0.113.1"))
            .await;
        assert_eq!(answer.status, expected);
    }
    let other = behind_proxy
        .get("/conformance", "127.0.0.1", &forwarded("203.0.113.2"))
        .await;
    assert_eq!(other.status, StatusCode::OK);
    // Through two trusted hops, the first untrusted one from the right is the client; what
    // the client wrote in front of it does not count.
    let spoofed = behind_proxy
        .get(
            "/conformance",
            "127.0.0.1",
            &forwarded("198.18.0.1, 203.0.113.1, 10.1.1.1"),
        )
        .await;
    assert_eq!(spoofed.status, StatusCode::TOO_MANY_REQUESTS);

    // With no trusted proxy configured, the header never counts.
    let direct = app(
        limited(burst_of(2), burst_of(2), &[]),
        Clock::system(),
        GEOGRAPHY.features.clone(),
    );
    let statuses: Vec<StatusCode> = {
        let mut statuses = Vec::new();
        for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
            statuses.push(
                direct
                    .get("/conformance", "127.0.0.1", &forwarded(client))
                    .await
                    .status,
            );
        }
        statuses
    };
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test]
async fn limits_can_be_switched_off() {
    let mut config = limited(burst_of(1), burst_of(1), &[]);
    config.rate_limit.enabled = false;
    let app = app(config, Clock::system(), GEOGRAPHY.features.clone());
    for _ in 0..5 {
        assert_eq!(
            app.get("/conformance", "192.0.2.1", &[]).await.status,
            StatusCode::OK
        );
    }
}

/// One HTTP/1.0 request over a plain socket: the status and the raw head.
fn raw_request(address: &str, request: &str) -> (u16, String) {
    let mut socket = TcpStream::connect(address).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer:?}"));
    (status, answer)
}

#[test]
fn a_real_server_limits_by_the_connection_address_and_never_the_gateways() {
    let server = TestServer::start_with(|config| {
        config.rate_limit.anonymous = burst_of(2);
    });
    let address = server.base_url.trim_start_matches("http://").to_owned();
    let get = format!("GET /conformance HTTP/1.0\r\nHost: {address}\r\n\r\n");
    let statuses: Vec<u16> = (0..3).map(|_| raw_request(&address, &get).0).collect();
    assert_eq!(statuses, [200, 200, 429]);
    let (_, refused) = raw_request(&address, &get);
    assert!(
        refused.to_ascii_lowercase().contains("retry-after: 100"),
        "{refused}"
    );
    // The same address's gateway still gets through, message after message.
    for number in 0..3 {
        let reply = server.smssync(&[
            ("secret", support::SMSSYNC_SECRET),
            ("from", "+22376123456"),
            ("message", "ALERTE Bankass attaque"),
            ("message_id", &format!("limits-{number}")),
            ("sent_timestamp", "1717228800000"),
        ]);
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut decoded)
        .unwrap();
    decoded
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::new();
    brotli_decompressor::Decompressor::new(bytes, 4096)
        .read_to_end(&mut decoded)
        .unwrap();
    decoded
}

#[tokio::test]
async fn answers_are_compressed_as_asked_but_not_tiny_ones() {
    let app = app(
        IntakeConfig::default(),
        Clock::system(),
        GEOGRAPHY.features.clone(),
    );
    let uri = "/collections/regions/items";
    let plain = app.get(uri, "192.0.2.1", &[]).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.header("content-encoding"), "");
    let gzip = app
        .get(uri, "192.0.2.1", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(gzip.header("content-encoding"), "gzip");
    assert_eq!(content(&gunzip(&gzip.body)), content(&plain.body));
    let brotli = app
        .get(uri, "192.0.2.1", &[("accept-encoding", "gzip;q=0.5, br")])
        .await;
    assert_eq!(brotli.header("content-encoding"), "br");
    assert_eq!(content(&unbrotli(&brotli.body)), content(&plain.body));
    assert!(brotli.body.len() < plain.body.len() / 2);
    for answer in [&plain, &gzip, &brotli] {
        assert!(answer.vary().contains(&"accept-encoding".to_owned()));
    }
    // Each coding is its own representation, with its own tag (weak: a kept zone page
    // differs from second to second by its `timeStamp` alone).
    let tag = plain.header("etag");
    assert!(tag.starts_with("W/\""), "{tag}");
    let inner = tag.trim_end_matches('"');
    assert_eq!(gzip.header("etag"), format!("{inner}-gzip\""));
    assert_eq!(brotli.header("etag"), format!("{inner}-br\""));

    // Under 1 KiB nothing is gained: sent as it is.
    let tiny = app
        .get(
            "/conformance",
            "192.0.2.1",
            &[("accept-encoding", "gzip, br")],
        )
        .await;
    assert!(tiny.body.len() < 1024);
    assert_eq!(tiny.header("content-encoding"), "");
}

#[test]
fn the_live_stream_is_never_compressed_and_events_arrive_at_once() {
    let server = live_support::LiveServer::start();
    let mut socket = TcpStream::connect(server.address).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        socket,
        "GET /api/stream HTTP/1.0\r\nHost: {}\r\nAccept: text/event-stream\r\n\
         Accept-Encoding: gzip, br\r\n\r\n",
        server.address
    )
    .unwrap();
    let mut reader = BufReader::new(socket);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim_end().is_empty() {
            break;
        }
        head.push(line.trim_end().to_ascii_lowercase());
    }
    assert!(head[0].contains(" 200 "), "{head:?}");
    assert!(
        head.iter()
            .any(|line| line.starts_with("content-type: text/event-stream")),
        "{head:?}"
    );
    assert!(
        !head.iter().any(|line| line.starts_with("content-encoding")),
        "{head:?}"
    );
    let published = Instant::now();
    live_support::warn(server.store.as_ref(), 1);
    let mut line = String::new();
    loop {
        line.clear();
        let read = reader.read_line(&mut line).expect("a message within 5 s");
        assert!(read > 0, "the stream ended");
        if line.starts_with("event: warning") {
            break;
        }
    }
    // Not buffered: the message came as it happened, not when a buffer filled (the stream
    // polls the log every 50 ms here; 5 s is the socket's limit).
    assert!(published.elapsed() < Duration::from_secs(5));
}

/// A clock the test moves.
/// A feature page without its `timeStamp`, which is the time of each answer (two answers a
/// second apart differ by it alone).
fn content(body: &[u8]) -> Value {
    let mut page: Value = serde_json::from_slice(body).unwrap();
    page.as_object_mut().unwrap().remove("timeStamp");
    page
}

fn movable_clock(start: DateTime<Utc>) -> (Clock, Arc<Mutex<DateTime<Utc>>>) {
    let now = Arc::new(Mutex::new(start));
    let read = now.clone();
    (Clock::from_fn(move || *read.lock().unwrap()), now)
}

fn commune_events(collection: &Value, pcode: &str) -> u64 {
    collection["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|feature| feature["id"] == pcode)
        .and_then(|feature| feature["properties"]["events_30d"].as_u64())
        .unwrap()
}

#[tokio::test]
async fn zone_layers_carry_tags_and_revalidate_to_304_until_their_figures_change() {
    // Its own catalog, so that its activity cache sees this test's store only.
    let features = Arc::new(FeatureCatalog::new(&GEOGRAPHY.zones, &GEOGRAPHY.directory));
    let (clock, now) = movable_clock(Utc.with_ymd_and_hms(2024, 7, 15, 12, 0, 0).unwrap());
    let app = app(IntakeConfig::default(), clock, features);
    let peer = "192.0.2.1";
    let uri = "/collections/communes/items?limit=1000";

    let first = app.get(uri, peer, &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("cache-control"), "public, max-age=60");
    let vary = first.vary();
    assert!(vary.contains(&"accept".to_owned()), "{vary:?}");
    assert!(vary.contains(&"accept-encoding".to_owned()), "{vary:?}");
    let tag = first.header("etag").to_owned();
    assert!(tag.starts_with("W/\"") && tag.len() > 12, "{tag}");
    assert_eq!(commune_events(&first.json(), "ML050301"), 1);

    let again = app.get(uri, peer, &[("if-none-match", &tag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), tag);
    assert_eq!(again.header("cache-control"), "public, max-age=60");
    assert_eq!(
        app.get(uri, peer, &[("if-none-match", "\"something-else\"")])
            .await
            .status,
        StatusCode::OK
    );

    // Two minutes on, the activity is recomputed: the same figures, the same tag, and the
    // page's `timeStamp` is the time of the answer (OGC API – Features), not of the figures.
    *now.lock().unwrap() += chrono::Duration::minutes(2);
    let recomputed = app.get(uri, peer, &[("if-none-match", &tag)]).await;
    assert_eq!(recomputed.status, StatusCode::NOT_MODIFIED);
    let fresh = app.get(uri, peer, &[]).await;
    assert_eq!(fresh.header("etag"), tag);
    assert_eq!(
        fresh.json()["timeStamp"],
        Value::from("2024-07-15T12:02:00Z")
    );
    assert_ne!(fresh.body, first.body);

    // A new event at Bankass: once the tally is recomputed, the layer has a new tag.
    live_support::ingest(app.store.as_ref(), &["MLI2"]);
    *now.lock().unwrap() += chrono::Duration::minutes(2);
    let changed = app.get(uri, peer, &[("if-none-match", &tag)]).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.header("etag"), tag);
    assert_eq!(commune_events(&changed.json(), "ML050301"), 2);

    // The gzip representation is revalidated with its own tag.
    let gzip = app.get(uri, peer, &[("accept-encoding", "gzip")]).await;
    let gzip_tag = gzip.header("etag").to_owned();
    assert!(gzip_tag.ends_with("-gzip\""), "{gzip_tag}");
    let revalidated = app
        .get(
            uri,
            peer,
            &[("accept-encoding", "gzip"), ("if-none-match", &gzip_tag)],
        )
        .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    assert_eq!(revalidated.header("etag"), gzip_tag);

    // One commune, and the metadata.
    let one = app
        .get("/collections/communes/items/ML050301", peer, &[])
        .await;
    assert_eq!(one.header("cache-control"), "public, max-age=60");
    assert!(!one.header("etag").is_empty());
    let collections = app.get("/collections", peer, &[]).await;
    assert_eq!(collections.header("cache-control"), "public, max-age=3600");
    assert!(!collections.header("etag").is_empty());
    // Warnings must be current when shown: stored, but revalidated on every use.
    let warnings = app.get("/collections/warnings/items", peer, &[]).await;
    assert_eq!(warnings.header("cache-control"), "public, no-cache");
}

#[tokio::test]
async fn keyed_collections_are_never_stored_by_any_cache() {
    let app = app(
        IntakeConfig::default(),
        Clock::system(),
        GEOGRAPHY.features.clone(),
    );
    let key = bearer(KEY_ONE);
    for uri in [
        "/collections/events/items",
        "/collections/events/items?f=csv",
        "/collections/reports/items",
    ] {
        let answer = app
            .get(
                uri,
                "192.0.2.1",
                &[("authorization", &key), ("if-none-match", "*")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        assert_eq!(answer.header("cache-control"), "private, no-store", "{uri}");
        assert!(answer.vary().contains(&"authorization".to_owned()), "{uri}");
        assert_eq!(
            answer.header("etag"),
            "",
            "{uri}: no tag for what nobody may store"
        );
    }
}

#[tokio::test]
async fn the_commune_layer_size_at_each_simplification_level() {
    let app = app(
        IntakeConfig::default(),
        Clock::system(),
        GEOGRAPHY.features.clone(),
    );
    let kb = |bytes: usize| bytes as f64 / 1024.0;
    let mut sizes = Vec::new();
    for (label, tolerance) in [
        ("full (0)", "&tolerance=0"),
        ("0.001°", "&tolerance=0.001"),
        ("0.0025°", "&tolerance=0.0025"),
        ("default (0.005°)", ""),
        ("0.01°", "&tolerance=0.01"),
        ("0.02°", "&tolerance=0.02"),
        ("0.05°", "&tolerance=0.05"),
        ("0.1° (coarsest)", "&tolerance=0.1"),
    ] {
        let uri = format!("/collections/communes/items?limit=1000{tolerance}");
        let raw = app.get(&uri, "192.0.2.1", &[]).await;
        assert_eq!(raw.status, StatusCode::OK, "{uri}");
        assert_eq!(raw.json()["numberReturned"], 701);
        let gzip = app
            .get(&uri, "192.0.2.2", &[("accept-encoding", "gzip")])
            .await;
        let brotli = app
            .get(&uri, "192.0.2.3", &[("accept-encoding", "br")])
            .await;
        assert_eq!(content(&gunzip(&gzip.body)), content(&raw.body), "{uri}");
        assert_eq!(
            content(&unbrotli(&brotli.body)),
            content(&raw.body),
            "{uri}"
        );
        eprintln!(
            "communes (701) at {label:>16}: raw {:5.0} KB, gzip {:4.0} KB, brotli {:4.0} KB",
            kb(raw.body.len()),
            kb(gzip.body.len()),
            kb(brotli.body.len()),
        );
        sizes.push((raw.body.len(), gzip.body.len(), brotli.body.len()));
    }
    let full = sizes[0];
    let default = sizes[3];
    assert!(
        default.0 < full.0,
        "the default layer is smaller than the full one"
    );
    assert!(
        default.1 < default.0 && default.2 < default.0,
        "compression pays"
    );
}
