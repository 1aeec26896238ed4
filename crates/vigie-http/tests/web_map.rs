//! The web map's side of the server, through the real router (`oneshot`): the page at `/`
//! for browsers (the landing document for everyone else), its files under `/web/`, the
//! shipped basemap, the weekly series of a zone, and the review of community reports.

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use serde_json::Value;
use support::{DEPLOYMENT_SECRET, GEOGRAPHY};
use tower::ServiceExt;
use vigie_domain::PhoneProtector;
use vigie_domain::store::Store;
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
        zones: GEOGRAPHY.zones.clone(),
        index: GEOGRAPHY.index.clone(),
        directory: GEOGRAPHY.directory.clone(),
        protector: Arc::new(PhoneProtector::new(DEPLOYMENT_SECRET).unwrap()),
        config: IntakeConfig {
            web_root,
            ..IntakeConfig::default()
        },
        clock: Clock::fixed(Utc.with_ymd_and_hms(2024, 7, 17, 12, 0, 0).unwrap()),
        features: GEOGRAPHY.features.clone(),
        api_keys: None,
        rules: None,
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
