//! The web map's side of the server, through the real router (`oneshot`): the page at `/`
//! for browsers (the landing document for everyone else), its files under `/web/`, the
//! shipped basemap, the weekly series of a zone, and the review of community reports.

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use support::{DEPLOYMENT_SECRET, GEOGRAPHY, located, shared_geography};
use tower::ServiceExt;
use vigie_domain::store::{ImportBatch, Store};
use vigie_domain::{
    Event, EventSource, EventType, NewReport, PhoneProtector, RecordedReport, ReportChannel,
    ReportStatus, ReportedIncident, SourceFields, TransitionKind, WarningLevel, WarningQuery,
    WarningRecord, ZoneId, ZoneLevel,
};
use vigie_engine::RuleSet;
use vigie_http::{ApiKeys, AppState, Clock, IntakeConfig, Role};

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const ANALYST_KEY: &str = "analyst-key-0001";
const ADMIN_KEY: &str = "admin-key-0001";
const RESEARCHER_KEY: &str = "researcher-key-0001";

/// A fixed map of keys: a fake for the access decision, not a key store.
struct FixedKeys(HashMap<&'static str, (Role, &'static str)>);

impl ApiKeys for FixedKeys {
    fn role_of(&self, token: &str) -> Option<Role> {
        self.0.get(token).map(|(role, _)| *role)
    }

    fn name_of(&self, token: &str) -> Option<String> {
        self.0.get(token).map(|(_, name)| (*name).to_owned())
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    fn varies_with(&self, name: &str) -> bool {
        self.headers
            .get_all(header::VARY)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|listed| listed.trim().eq_ignore_ascii_case(name))
    }
}

struct Fixture {
    router: Router,
    store: Arc<dyn Store>,
    _directory: tempfile::TempDir,
}

fn state(store: Arc<dyn Store>, web_root: std::path::PathBuf) -> AppState {
    AppState {
        store,
        geography: shared_geography(GEOGRAPHY.features.clone()),
        protector: Arc::new(PhoneProtector::new(DEPLOYMENT_SECRET).unwrap()),
        config: IntakeConfig {
            web_root,
            ..IntakeConfig::default()
        },
        clock: Clock::fixed(Utc.with_ymd_and_hms(2024, 7, 17, 12, 0, 0).unwrap()),
        api_keys: None,
        rules: None,
        leader: None,
    }
    .with_api_keys(Arc::new(FixedKeys(HashMap::from([
        (ANALYST_KEY, (Role::Analyst, "awa-analyste")),
        (ADMIN_KEY, (Role::Admin, "admin")),
        (RESEARCHER_KEY, (Role::Researcher, "chercheur")),
    ]))))
}

/// A server whose web root is `web/` in a temporary directory, holding a page, a script, a
/// stylesheet deep under `node_modules`, and (outside the root) a secret file and a link to it
/// from inside.
fn fixture() -> Fixture {
    fixture_with(|state| state)
}

fn fixture_with(adjust: impl FnOnce(AppState) -> AppState) -> Fixture {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path().join("web");
    let dist = root.join("node_modules/maplibre-gl/dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        root.join("index.html"),
        "<!doctype html><title>Vigie carte</title><script type=module src=/web/app.js></script>",
    )
    .unwrap();
    std::fs::write(
        root.join("app.js"),
        "export const greeting = 'bonjour';\n".repeat(100),
    )
    .unwrap();
    std::fs::write(
        dist.join("maplibre-gl.css"),
        ".maplibregl-map{overflow:hidden}",
    )
    .unwrap();
    std::fs::write(
        root.join("logo.svg"),
        "<svg xmlns='http://www.w3.org/2000/svg'/>",
    )
    .unwrap();
    std::fs::write(directory.path().join("secret.txt"), "outside the root").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(directory.path().join("secret.txt"), root.join("escape.txt"))
        .unwrap();
    let store = support::open_test_store(directory.path());
    let state = adjust(state(store.clone(), root));
    Fixture {
        router: vigie_http::router(state),
        store,
        _directory: directory,
    }
}

impl Fixture {
    async fn send(&self, request: Request<Body>) -> Answer {
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

    async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::get(uri).header(header::HOST, "vigie.test");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }
}

#[tokio::test]
async fn browsers_get_the_map_page_and_api_clients_the_landing_document() {
    let fixture = fixture();
    let page = fixture.get("/", &[("accept", BROWSER_ACCEPT)]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert!(page.text().contains("<title>Vigie carte</title>"));
    assert!(page.varies_with("accept"));
    let policy = page.header("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "worker-src blob:",
        "child-src blob:",
        "img-src 'self' data: blob:",
        "style-src 'self' 'unsafe-inline'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe-eval"));
    assert!(!policy.contains("script-src 'self' 'unsafe-inline'"));
    assert_eq!(page.header("cache-control"), "no-cache");
    let tag = page.header("etag").to_owned();
    assert!(!tag.is_empty());
    let again = fixture
        .get("/", &[("accept", BROWSER_ACCEPT), ("if-none-match", &tag)])
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    for accept in [None, Some("application/json"), Some("*/*")] {
        let headers: Vec<(&str, &str)> = accept.iter().map(|value| ("accept", *value)).collect();
        let landing = fixture.get("/", &headers).await;
        assert_eq!(landing.status, StatusCode::OK, "{accept:?}");
        assert_eq!(landing.header("content-type"), "application/json");
        assert!(landing.varies_with("accept"), "{accept:?}");
        assert!(landing.header("content-security-policy").is_empty());
        let links = landing.json()["links"].as_array().unwrap().clone();
        assert!(links.iter().any(|link| link["rel"] == "service-desc"));
    }
    // The landing document keeps refusing unknown parameters; the page does not read them.
    let bad = fixture.get("/?lang=en", &[]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let page = fixture
        .get("/?lang=en", &[("accept", BROWSER_ACCEPT)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Vigie carte"));
}

#[tokio::test]
async fn without_the_map_installed_browsers_are_told_how_to_install_it() {
    let fixture = fixture_with(|state| AppState {
        config: IntakeConfig {
            web_root: std::path::PathBuf::from("/nonexistent/vigie-web"),
            ..IntakeConfig::default()
        },
        ..state
    });
    let page = fixture.get("/", &[("accept", BROWSER_ACCEPT)]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    let text = page.text();
    assert!(text.contains("lang=\"fr\""));
    assert!(text.contains("n'est pas installée"), "{text}");
    assert!(text.contains("npm ci --prefix web"), "{text}");
    assert!(!page.header("content-security-policy").is_empty());
    let file = fixture.get("/web/app.js", &[]).await;
    assert_eq!(file.status, StatusCode::NOT_FOUND);
    assert_eq!(file.header("content-type"), "application/problem+json");
}

#[tokio::test]
async fn web_files_are_served_with_their_types_tags_and_compression() {
    let fixture = fixture();
    let script = fixture.get("/web/app.js", &[]).await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(
        script.header("content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(script.header("cache-control"), "no-cache");
    assert_eq!(script.header("x-content-type-options"), "nosniff");
    assert!(script.text().starts_with("export const greeting"));
    let tag = script.header("etag").to_owned();
    assert!(tag.starts_with('"'), "{tag}");
    let revalidated = fixture.get("/web/app.js", &[("if-none-match", &tag)]).await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    assert!(revalidated.body.is_empty());

    let gzipped = fixture
        .get("/web/app.js", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.header("content-encoding"), "gzip");
    let mut decoded = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(gzipped.body.as_slice()),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, script.text());

    let style = fixture
        .get("/web/node_modules/maplibre-gl/dist/maplibre-gl.css", &[])
        .await;
    assert_eq!(style.status, StatusCode::OK);
    assert_eq!(style.header("content-type"), "text/css; charset=utf-8");
    let page = fixture.get("/web/index.html", &[]).await;
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert!(
        page.header("content-security-policy")
            .contains("default-src 'self'")
    );
    let image = fixture.get("/web/logo.svg", &[]).await;
    assert_eq!(image.header("content-type"), "image/svg+xml");
    // Static files do not draw on the client's rate-limit bucket (see rate_limit.rs), and
    // are not keyed.
    assert!(script.header("www-authenticate").is_empty());
}

#[tokio::test]
async fn nothing_outside_the_web_root_and_no_directory_listing() {
    let fixture = fixture();
    for uri in [
        "/web/../secret.txt",
        "/web/%2e%2e/secret.txt",
        "/web/%2E%2E%2Fsecret.txt",
        "/web/node_modules/../../secret.txt",
        "/web/..%5csecret.txt",
        "/web/%2Fetc%2Fpasswd",
        "/web//etc/passwd",
        "/web/escape.txt",
        "/web/node_modules",
        "/web/node_modules/",
        "/web/node_modules/maplibre-gl/dist",
        "/web/.",
        "/web/missing.js",
    ] {
        let answer = fixture.get(uri, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!answer.text().contains("outside the root"), "{uri}");
        assert!(
            !answer.text().contains("maplibre-gl.css"),
            "{uri}: a listing"
        );
    }
    let root = fixture.get("/web/", &[]).await;
    assert_eq!(root.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_basemap_layers_are_served_from_the_binary() {
    let fixture = fixture();
    for name in ["countries", "borders", "rivers", "lakes", "places"] {
        let layer = fixture.get(&format!("/basemap/{name}.geojson"), &[]).await;
        assert_eq!(layer.status, StatusCode::OK, "{name}");
        assert_eq!(layer.header("content-type"), "application/geo+json");
        assert_eq!(layer.header("cache-control"), "public, max-age=86400");
        let collection = layer.json();
        assert_eq!(collection["type"], "FeatureCollection", "{name}");
        assert!(
            !collection["features"].as_array().unwrap().is_empty(),
            "{name}"
        );
        let tag = layer.header("etag").to_owned();
        let revalidated = fixture
            .get(
                &format!("/basemap/{name}.geojson"),
                &[("if-none-match", &tag)],
            )
            .await;
        assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED, "{name}");
    }
    let brotli = fixture
        .get("/basemap/rivers.geojson", &[("accept-encoding", "br")])
        .await;
    assert_eq!(brotli.header("content-encoding"), "br");
    for missing in [
        "/basemap/oceans.geojson",
        "/basemap/rivers",
        "/basemap/rivers.json",
        "/basemap/..%2Frivers.geojson",
    ] {
        let answer = fixture.get(missing, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{missing}");
    }
    drop(fixture.store);
}

// --- the weekly series of a zone ---

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn event(id: &str, (lon, lat): (f64, f64), date: &str, fatalities: u32) -> Event {
    Event {
        source: EventSource::Acled,
        source_event_id: id.to_owned(),
        event_date: day(date),
        time_precision: 1,
        disorder_type: None,
        event_type: EventType::Battles,
        sub_event_type: Some("Armed clash".to_owned()),
        original_event_type: None,
        actor1: Some("Unidentified Armed Group (Mali)".to_owned()),
        actor2: None,
        associated_actors: Vec::new(),
        inter1: Some(3),
        inter2: None,
        civilian_targeting: false,
        fatalities,
        fatalities_low: None,
        fatalities_high: None,
        longitude: lon,
        latitude: lat,
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
    }
}

/// A commune whose representative point the index places in it, and one in another cercle.
fn two_communes() -> (Commune, Commune) {
    let communes = GEOGRAPHY.directory.communes();
    let placed = |entry: &vigie_domain::sms::CommuneEntry| {
        let point = entry.representative_point?;
        let location = located(event("probe", point, "2024-01-01", 0)).location;
        (location.commune.as_ref() == Some(&entry.id)).then(|| Commune {
            id: entry.id.clone(),
            cercle: location.cercle.clone().unwrap(),
            point,
        })
    };
    let first = communes.iter().find_map(placed).unwrap();
    let second = communes
        .iter()
        .filter_map(placed)
        .find(|other| other.cercle != first.cercle)
        .unwrap();
    (first, second)
}

/// A commune of the shipped geography, its cercle and a point the index places in it.
struct Commune {
    id: ZoneId,
    cercle: ZoneId,
    point: (f64, f64),
}

/// Runs a store call from a test's async code: the PostgreSQL client blocks on a runtime of
/// its own, which cannot start on an async worker thread unless it is handed over.
fn off_runtime<T>(call: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(call)
}

fn ingest(store: &dyn Store, events: Vec<Event>) {
    off_runtime(|| ingest_now(store, events));
}

fn ingest_now(store: &dyn Store, events: Vec<Event>) {
    let run = store
        .start_import(EventSource::Acled, "test", None)
        .unwrap();
    let events: Vec<_> = events.into_iter().map(located).collect();
    store
        .apply_batch(
            run,
            &ImportBatch {
                rows_read: events.len() as u64,
                events,
                quarantined: Vec::new(),
            },
        )
        .unwrap();
}

fn warning(
    episode: &str,
    zone: &ZoneId,
    kind: TransitionKind,
    level: Option<WarningLevel>,
    at: &str,
) -> WarningRecord {
    WarningRecord {
        episode: episode.to_owned(),
        rule: episode.split('/').next().unwrap().to_owned(),
        zone: zone.clone(),
        zone_level: ZoneLevel::Commune,
        zone_name: "a commune".to_owned(),
        kind,
        level,
        previous_level: None,
        at: day(at),
        evidence: json!({}),
        late: false,
        inhibited_by: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zones_weekly_series_counts_events_in_their_monday_weeks() {
    let (commune, other) = two_communes();
    let fixture = fixture_with(|state| state.with_rules(Arc::new(RuleSet::defaults())));
    // The clock says Wednesday 2024-07-17: the current week starts on Monday the 15th.
    ingest(
        fixture.store.as_ref(),
        vec![
            event("A1", commune.point, "2024-07-15", 2),
            event("A2", commune.point, "2024-07-17", 1),
            event("A3", commune.point, "2024-07-14", 5), // Sunday: the week before
            event("A4", commune.point, "2024-07-08", 0), // Monday of the week before
            event("A5", commune.point, "2023-01-02", 9), // before 52 weeks
            event("B1", other.point, "2024-07-16", 7),   // another commune and cercle
        ],
    );
    use TransitionKind::{Closed, Escalated, Opened};
    use WarningLevel::{Alerte, Vigilance};
    let open = format!("civils/{}/2024-07-10", commune.id);
    let closed = format!("morts/{}/2024-05-01", commune.id);
    off_runtime(|| {
        fixture
            .store
            .record_warnings(
                &[
                    warning(&closed, &commune.id, Opened, Some(Alerte), "2024-05-01"),
                    warning(&closed, &commune.id, Closed, None, "2024-05-29"),
                    warning(&open, &commune.id, Opened, Some(Vigilance), "2024-07-10"),
                    warning(&open, &commune.id, Escalated, Some(Alerte), "2024-07-12"),
                ],
                &[],
            )
            .unwrap()
    });

    let answer = fixture
        .get(&format!("/api/zones/{}/weekly", commune.id), &[])
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.header("content-type"), "application/json");
    assert_eq!(answer.header("cache-control"), "public, max-age=60");
    let body = answer.json();
    assert_eq!(body["zone"]["id"], commune.id.as_str());
    assert_eq!(body["zone"]["level"], "commune");
    assert!(
        body["zone"]["name"]
            .as_str()
            .is_some_and(|name| !name.is_empty())
    );
    let weeks = body["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 52);
    assert_eq!(
        weeks[51],
        json!({"start": "2024-07-15", "events": 2, "fatalities": 3})
    );
    assert_eq!(
        weeks[50],
        json!({"start": "2024-07-08", "events": 2, "fatalities": 5})
    );
    assert_eq!(weeks[0]["start"], "2023-07-24");
    let total: u64 = weeks
        .iter()
        .map(|week| week["events"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 4, "A5 is too old, B1 elsewhere");

    let thresholds = body["thresholds"].as_array().unwrap();
    let civils_vigilance = thresholds
        .iter()
        .find(|entry| {
            entry["rule"] == "civils"
                && entry["level"] == "vigilance"
                && entry["metric"] == "events"
        })
        .unwrap();
    assert_eq!(civils_vigilance["window_days"], 28);
    assert_eq!(civils_vigilance["value"], 3.0);
    assert_eq!(civils_vigilance["kind"], "threshold");
    let surge = thresholds
        .iter()
        .find(|entry| entry["rule"] == "pic-poisson")
        .unwrap();
    assert_eq!(surge["kind"], "surge");
    assert!(surge["value"].is_null());
    assert_eq!(surge["statistic"], "p_value");
    assert!(
        thresholds.iter().all(|entry| entry["rule"] != "pic-cercle"),
        "a cercle-only rule does not watch a commune"
    );

    let episodes = body["episodes"].as_array().unwrap();
    assert_eq!(episodes.len(), 2);
    assert_eq!(episodes[0]["id"], open.as_str());
    assert_eq!(episodes[0]["rule"], "civils");
    assert_eq!(episodes[0]["level"], "alerte");
    assert_eq!(episodes[0]["opened"], "2024-07-10");
    assert!(episodes[0]["closed"].is_null());
    assert_eq!(episodes[0]["status"], "open");
    assert_eq!(episodes[1]["id"], closed.as_str());
    assert_eq!(episodes[1]["closed"], "2024-05-29");
    assert_eq!(episodes[1]["status"], "closed");

    // The cercle holds the commune's events; weeks=4 is four weeks ending with this one.
    let cercle = fixture
        .get(
            &format!("/api/zones/{}/weekly?weeks=4", commune.cercle),
            &[],
        )
        .await
        .json();
    assert_eq!(cercle["zone"]["level"], "cercle");
    let weeks = cercle["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 4);
    assert_eq!(weeks[0]["start"], "2024-06-24");
    assert_eq!(weeks[3]["events"], 2);
    assert_eq!(cercle["episodes"], json!([]));
    let cercle_civils = cercle["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| {
            entry["rule"] == "civils"
                && entry["level"] == "vigilance"
                && entry["metric"] == "events"
        })
        .unwrap()
        .clone();
    assert_eq!(cercle_civils["value"], 6.0, "the cercle's own thresholds");
}

#[tokio::test]
async fn weekly_series_refuse_unknown_zones_and_out_of_range_weeks() {
    let (commune, _) = two_communes();
    let fixture = fixture();
    let answer = fixture
        .get(&format!("/api/zones/{}/weekly?weeks=3", commune.id), &[])
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["thresholds"], json!([]), "no rules wired in");
    for (uri, status) in [
        (
            "/api/zones/ML999999/weekly".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        ("/api/zones/nope/weekly".to_owned(), StatusCode::NOT_FOUND),
        (
            format!("/api/zones/{}/weekly?weeks=0", commune.id),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/zones/{}/weekly?weeks=105", commune.id),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/zones/{}/weekly?weeks=many", commune.id),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/zones/{}/weekly?week=4", commune.id),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let answer = fixture.get(&uri, &[]).await;
        assert_eq!(answer.status, status, "{uri}: {}", answer.text());
        assert_eq!(answer.header("content-type"), "application/problem+json");
    }
    let bad = fixture
        .get(&format!("/api/zones/{}/weekly?weeks=0", commune.id), &[])
        .await
        .json();
    assert_eq!(bad["parameter"], "weeks");
    let longest = fixture
        .get(&format!("/api/zones/{}/weekly?weeks=104", commune.id), &[])
        .await
        .json();
    assert_eq!(longest["weeks"].as_array().unwrap().len(), 104);
}

// --- reviews of community reports ---

const REPORTER_PHONE: &str = "+22376123456";
const MONITOR_PHONE: &str = "+22365987654";

/// An unverified web report in `commune`, and a verified one from a registered monitor.
fn record_reports(store: &dyn Store, commune: &Commune) -> (i64, i64) {
    off_runtime(|| record_reports_now(store, commune))
}

fn record_reports_now(store: &dyn Store, commune: &Commune) -> (i64, i64) {
    let protector = PhoneProtector::new(DEPLOYMENT_SECRET).unwrap();
    store
        .register_reporter(
            &protector
                .new_reporter(MONITOR_PHONE, true, None, None, None)
                .unwrap(),
        )
        .unwrap();
    let mut ids = Vec::new();
    for (number, phone) in [(0, REPORTER_PHONE), (1, MONITOR_PHONE)] {
        let location = located(event("probe", commune.point, "2024-07-16", 0)).location;
        let recorded = store
            .record_report(&NewReport {
                channel: ReportChannel::Web,
                provider_message_id: format!("web-{number}"),
                reporter: Some(
                    protector
                        .new_reporter(phone, number == 1, None, None, None)
                        .unwrap(),
                ),
                received_at: Utc.with_ymd_and_hms(2024, 7, 16, 8, 0, 0).unwrap(),
                text: format!("attaque au marché, rappelez-moi au {phone}"),
                language: "fr".to_owned(),
                incident: Some(ReportedIncident {
                    commune: commune.id.clone(),
                    event_type: EventType::ViolenceAgainstCivilians,
                    sub_event_type: None,
                    fatalities: 1,
                    injured: None,
                    occurred_on: day("2024-07-16"),
                }),
                clarification: None,
                coordinates: Some(commune.point),
                location: Some(location),
            })
            .unwrap();
        match recorded {
            RecordedReport::Created { id, .. } => ids.push(id),
            RecordedReport::Duplicate { .. } => panic!("a new report"),
        }
    }
    (ids[0], ids[1])
}

impl Fixture {
    async fn review(&self, id: &str, key: Option<&str>, body: &str) -> Answer {
        let mut request = Request::post(format!("/api/reports/{id}/review"))
            .header(header::HOST, "vigie.test")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(key) = key {
            request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        self.send(request.body(Body::from(body.to_owned())).unwrap())
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysts_verify_or_reject_unverified_reports_once() {
    let (commune, _) = two_communes();
    let fixture = fixture();
    let store = fixture.store.as_ref();
    let (unverified, from_monitor) = record_reports(store, &commune);
    let stream_head = off_runtime(|| store.stream_head().unwrap());
    let warnings = off_runtime(|| store.warnings(&WarningQuery::default()).unwrap()).len();

    // The queue: what an analyst's map lists.
    let queue = fixture
        .get(
            "/collections/reports/items?status=unverified",
            &[("authorization", &format!("Bearer {ANALYST_KEY}"))],
        )
        .await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.text());
    let ids: Vec<i64> = queue.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|feature| feature["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![unverified]);

    let decision = r#"{"decision":"verified","reason":"confirmé par le préfet"}"#;
    let id = unverified.to_string();
    assert_eq!(
        fixture.review(&id, None, decision).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fixture
            .review(&id, Some("not-a-key"), decision)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let researcher = fixture.review(&id, Some(RESEARCHER_KEY), decision).await;
    assert_eq!(researcher.status, StatusCode::FORBIDDEN);
    assert_eq!(
        researcher.header("content-type"),
        "application/problem+json"
    );
    for (body, field) in [
        (r#"{"decision":"maybe","reason":"x"}"#, "decision"),
        (r#"{"decision":"verified"}"#, "reason"),
        (
            &format!(
                r#"{{"decision":"verified","reason":"{}"}}"#,
                "x".repeat(501)
            ),
            "reason",
        ),
    ] {
        let answer = fixture.review(&id, Some(ANALYST_KEY), body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.json()["field"], field, "{body}");
    }
    let not_json = fixture.review(&id, Some(ANALYST_KEY), "{decision").await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        off_runtime(|| store.report(unverified).unwrap()).status,
        ReportStatus::Unverified,
        "refused requests change nothing"
    );
    assert_eq!(
        fixture
            .review("999999", Some(ANALYST_KEY), decision)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fixture
            .review("abc", Some(ANALYST_KEY), decision)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let answer = fixture.review(&id, Some(ANALYST_KEY), decision).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.header("content-type"), "application/geo+json");
    assert_eq!(answer.header("cache-control"), "private, no-store");
    let feature = answer.json();
    assert_eq!(feature["type"], "Feature");
    assert_eq!(feature["id"], unverified);
    assert_eq!(feature["properties"]["status"], "verified");
    assert_eq!(feature["properties"]["commune"], commune.id.as_str());
    assert_eq!(feature["properties"]["location_precision"], "commune");
    let text = answer.text();
    assert!(
        !text.contains("76123456") && !text.contains("65987654") && !text.contains("marché"),
        "{text}"
    );
    // The same shape as the collection's item.
    let item = fixture
        .get(
            &format!("/collections/reports/items/{unverified}"),
            &[("authorization", &format!("Bearer {ANALYST_KEY}"))],
        )
        .await
        .json();
    assert_eq!(item["properties"], feature["properties"]);
    assert_eq!(item["geometry"], feature["geometry"]);

    let stored = off_runtime(|| store.report(unverified).unwrap());
    assert_eq!(stored.status, ReportStatus::Verified);
    let reviews = off_runtime(|| store.report_reviews(unverified).unwrap());
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].analyst, "awa-analyste", "the key's name");
    assert_eq!(reviews[0].reason, "confirmé par le préfet");

    // Decided once: a second decision, or one on a monitor's verified report, is a conflict.
    let again = fixture
        .review(
            &id,
            Some(ADMIN_KEY),
            r#"{"decision":"rejected","reason":"non"}"#,
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.header("content-type"), "application/problem+json");
    assert_eq!(
        fixture
            .review(&from_monitor.to_string(), Some(ANALYST_KEY), decision)
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        off_runtime(|| store.report_reviews(unverified).unwrap()).len(),
        1
    );

    // Reviews neither publish to the stream nor touch warnings.
    assert_eq!(off_runtime(|| store.stream_head().unwrap()), stream_head);
    assert_eq!(
        off_runtime(|| store.warnings(&WarningQuery::default()).unwrap()).len(),
        warnings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_rejects_and_the_report_leaves_the_collection() {
    let (commune, _) = two_communes();
    let fixture = fixture();
    let (unverified, _) = record_reports(fixture.store.as_ref(), &commune);
    let answer = fixture
        .review(
            &unverified.to_string(),
            Some(ADMIN_KEY),
            r#"{"decision":"rejected","reason":"doublon d'un rapport précédent"}"#,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["properties"]["status"], "rejected");
    let reviews = off_runtime(|| fixture.store.report_reviews(unverified).unwrap());
    assert_eq!(reviews[0].analyst, "admin");
    assert_eq!(reviews[0].status, ReportStatus::Rejected);
    let item = fixture
        .get(
            &format!("/collections/reports/items/{unverified}"),
            &[("authorization", &format!("Bearer {ANALYST_KEY}"))],
        )
        .await;
    assert_eq!(
        item.status,
        StatusCode::NOT_FOUND,
        "rejected reports are not served"
    );
}

#[tokio::test]
async fn the_api_document_describes_the_new_routes_and_not_the_static_ones() {
    let fixture = fixture();
    let document = fixture.get("/api", &[]).await.json();
    let paths = document["paths"].as_object().unwrap();
    let weekly = &paths["/api/zones/{zoneId}/weekly"]["get"];
    for status in ["200", "400", "404"] {
        assert!(weekly["responses"].get(status).is_some(), "weekly {status}");
    }
    // A real zone as the example, so that generated requests reach one.
    let example = weekly["parameters"][0]["example"].as_str().unwrap();
    let series = fixture
        .get(&format!("/api/zones/{example}/weekly"), &[])
        .await;
    assert_eq!(series.status, StatusCode::OK);
    let review = &paths["/api/reports/{reportId}/review"]["post"];
    for status in ["200", "400", "401", "403", "404", "409"] {
        assert!(review["responses"].get(status).is_some(), "review {status}");
    }
    assert_eq!(review["security"], json!([{ "apiKey": [] }]));
    let feature = review["responses"]["200"]["content"]["application/geo+json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    let name = feature.rsplit('/').next().unwrap();
    assert!(
        document["components"]["schemas"].get(name).is_some(),
        "{feature}"
    );
    assert!(
        paths
            .keys()
            .all(|path| !path.starts_with("/web/") && !path.starts_with("/basemap/"))
    );
}

// --- hotspot messages on the live stream ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotspot_messages_are_published_when_the_clusters_change() {
    let (commune, other) = two_communes();
    let fixture = fixture();
    let store = fixture.store.as_ref();
    let mut publisher =
        vigie_http::HotspotPublisher::new(&GEOGRAPHY.zones, GEOGRAPHY.directory.clone())
            .with_min_interval(std::time::Duration::ZERO);
    let burst = |prefix: &str, (lon, lat): (f64, f64)| -> Vec<Event> {
        (0..5)
            .map(|number| {
                let offset = f64::from(number) * 0.002;
                event(
                    &format!("{prefix}{number}"),
                    (lon + offset, lat + offset),
                    &format!("2024-07-{:02}", 10 + number),
                    1,
                )
            })
            .collect()
    };
    ingest(store, burst("H", commune.point));
    let published = off_runtime(|| publisher.check(store).unwrap()).expect("first check publishes");
    let entries = off_runtime(|| store.stream_since(published - 1, 10).unwrap());
    let entry = entries.iter().find(|entry| entry.id == published).unwrap();
    assert_eq!(entry.kind, vigie_domain::StreamKind::Hotspot);
    assert_eq!(entry.payload["clusters"], 1);
    assert_eq!(entry.payload["window_end"], "2024-07-14");
    assert_eq!(entry.payload["window_start"], "2024-06-15");
    let listed = entry.payload["hotspots"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["events"], 5);
    assert_eq!(listed[0]["fatalities"], 5);
    assert!(
        listed[0]["id"]
            .as_str()
            .unwrap()
            .starts_with("2024-06-15_2024-07-14_")
    );
    let keys: Vec<&String> = listed[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "ids and aggregates only: {keys:?}");

    // Nothing new: nothing computed, nothing published.
    assert_eq!(off_runtime(|| publisher.check(store).unwrap()), None);
    // A lone event elsewhere moves the log but not the clusters.
    ingest(store, vec![event("L1", other.point, "2024-07-12", 0)]);
    assert_eq!(off_runtime(|| publisher.check(store).unwrap()), None);
    // A second burst is a second cluster.
    ingest(store, burst("K", other.point));
    let second = off_runtime(|| publisher.check(store).unwrap()).expect("a change is published");
    let entries = off_runtime(|| store.stream_since(second - 1, 10).unwrap());
    let entry = entries.iter().find(|entry| entry.id == second).unwrap();
    assert_eq!(entry.payload["clusters"], 2);
    // By default, one computation per interval at most: a new burst waits for the next.
    let mut throttled =
        vigie_http::HotspotPublisher::new(&GEOGRAPHY.zones, GEOGRAPHY.directory.clone());
    assert!(off_runtime(|| throttled.check(store).unwrap()).is_some());
    ingest(store, burst("M", (commune.point.0 + 0.5, commune.point.1)));
    assert_eq!(off_runtime(|| throttled.check(store).unwrap()), None);
    // The public stream carries it.
    let page = fixture
        .get(&format!("/api/stream?poll=true&since={}", second - 1), &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let items = page.json()["items"].as_array().unwrap().clone();
    assert!(
        items
            .iter()
            .any(|item| item["kind"] == "hotspot" && item["data"]["clusters"] == 2),
        "{items:?}"
    );
}
