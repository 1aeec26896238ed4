//! The analyst's web map: its page, its files and the shipped basemap.
//!
//! | route | what |
//! |---|---|
//! | `GET /` (browsers) | `web_root/index.html`, or a French page saying how to install the map |
//! | `GET /web/{*path}` | a file under `web_root` (the app, `node_modules/maplibre-gl/dist/…`) |
//! | `GET /basemap/{name}.geojson` | a shipped basemap layer (countries, borders, rivers, lakes, places) |
//!
//! `GET /` is shared with the OGC landing page: a request whose `Accept` prefers `text/html`
//! to JSON (what a browser sends) gets the page, any other the landing document (see
//! [`prefers_html`]). These routes are not in the OpenAPI document: they are not part of the
//! research API, and their answers are not JSON.
//!
//! Files are read from disk on every request (the app changes with `npm ci` without a
//! restart), on a blocking thread; they carry `Cache-Control: no-cache` and a tag made from
//! their size and modification time, so a revalidation costs a `stat`. The basemap layers are
//! embedded in the binary: `vigie serve` draws its map without anything fetched or installed
//! beyond `web/`.
//!
//! What this module must never do: answer a file outside `web_root` (a path with `..`, an
//! absolute path, a hidden file, or a symbolic link leading out), or list a directory.

use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;
use std::time::UNIX_EPOCH;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::caching::{add_vary, tag_of_parts};
use crate::error::AppError;
use crate::intake::blocking;
use crate::state::AppState;

/// The policy of the map page: everything from this server, nothing inline but styles
/// (MapLibre sets element styles), workers from `blob:` URLs (MapLibre builds its worker so).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
     font-src 'self'; worker-src blob:; child-src blob:; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The shipped basemap layers: the name in the URL, and the file's bytes.
static BASEMAP: [(&str, &[u8]); 5] = [
    (
        "countries",
        include_bytes!("../../../data/basemap/mali_clip_countries_50m.geojson"),
    ),
    (
        "borders",
        include_bytes!("../../../data/basemap/mali_clip_borders_10m.geojson"),
    ),
    (
        "rivers",
        include_bytes!("../../../data/basemap/mali_clip_rivers_10m.geojson"),
    ),
    (
        "lakes",
        include_bytes!("../../../data/basemap/mali_clip_lakes_10m.geojson"),
    ),
    (
        "places",
        include_bytes!("../../../data/basemap/mali_clip_places_10m.geojson"),
    ),
];

/// The page `/` answers browsers when the web map is not installed.
const NOT_INSTALLED_HTML: &str = "<!doctype html>\n<html lang=\"fr\">\n<head>\n\
<meta charset=\"utf-8\">\n<title>Vigie : carte non installée</title>\n</head>\n<body>\n\
<h1>Vigie</h1>\n<p>La carte web n'est pas installée sur ce serveur.</p>\n\
<p>Pour l'installer, lancez depuis le dossier du dépôt&nbsp;: <code>npm ci --prefix web</code>, \
puis rechargez cette page (le dossier servi est réglé par <code>[server] web_root</code>).</p>\n\
<p>L'API reste disponible&nbsp;: <a href=\"/collections\">/collections</a>, \
<a href=\"/api\">/api</a>.</p>\n</body>\n</html>\n";

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/web/{*path}", get(web_file))
        .route("/basemap/{file}", get(basemap))
}

/// Whether a request's `Accept` prefers an HTML page to JSON: `text/html` (or XHTML) is named
/// with a weight above that of any JSON type named. Browsers name `text/html` first; API
/// clients name JSON or nothing, and a tie goes to JSON so that they keep the landing page.
pub(crate) fn prefers_html(headers: &HeaderMap) -> bool {
    let mut html = 0.0_f64;
    let mut json = 0.0_f64;
    for value in headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
    {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .filter_map(|parameter| {
                    let (name, value) = parameter.split_once('=')?;
                    (name.trim().eq_ignore_ascii_case("q")).then(|| value.trim().parse().ok())?
                })
                .next()
                .unwrap_or(1.0_f64)
                .clamp(0.0, 1.0);
            match media.as_str() {
                "text/html" | "application/xhtml+xml" => html = html.max(weight),
                "application/json" | "application/geo+json" | "application/problem+json" => {
                    json = json.max(weight);
                }
                _ => {}
            }
        }
    }
    html > 0.0 && html > json
}

/// `GET /` for a browser: the web map's page, or how to install it.
pub(crate) async fn index_page(state: &AppState) -> Response {
    let index = state.config.web_root.join("index.html");
    let read = blocking(move || match std::fs::read(&index) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => Ok(None),
        Err(error) => Err(AppError::internal(
            "reading the web map's index.html",
            error,
        )),
    })
    .await;
    let (status, body) = match read {
        Ok(Some(bytes)) => (StatusCode::OK, bytes),
        Ok(None) => {
            tracing::warn!("the web map is not installed: no index.html under web_root");
            (StatusCode::OK, NOT_INSTALLED_HTML.as_bytes().to_vec())
        }
        Err(error) => return error.into_response(),
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    app_file_headers(headers, "text/html; charset=utf-8");
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    add_vary(headers, "accept");
    response
}

/// The headers of every file of the app, the page at `/` included: its type, revalidation
/// on each use, no sniffing, and for a page the content policy.
fn app_file_headers(headers: &mut HeaderMap, media_type: &'static str) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if media_type.starts_with("text/html") {
        // A page of the app under /web/ gets the same policy as the one at /.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// The media type of a file, by its extension.
fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("geojson") => "application/geo+json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("pbf") => "application/x-protobuf",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The path under `root` that `requested` names, if it is an acceptable one: relative, made
/// of normal components only, none of them hidden (`.bin`, `.package-lock.json`).
fn relative_path(requested: &str) -> Option<PathBuf> {
    if requested.is_empty() || requested.contains(['\\', '\0']) {
        return None;
    }
    let mut path = PathBuf::new();
    for segment in requested.split('/') {
        if segment.is_empty() || segment.starts_with('.') {
            return None;
        }
        let mut components = Path::new(segment).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(part)), None) => path.push(part),
            _ => return None,
        }
    }
    Some(path)
}

/// A file of the web app, read on a blocking thread: `None` when there is no such regular
/// file inside the root.
fn read_web_file(root: &Path, relative: &Path) -> Result<Option<(Vec<u8>, String)>, AppError> {
    let Ok(root) = root.canonicalize() else {
        return Ok(None);
    };
    // Symbolic links are followed, but only to files still inside the root.
    let Ok(path) = root.join(relative).canonicalize() else {
        return Ok(None);
    };
    if !path.starts_with(&root) {
        return Ok(None);
    }
    let Ok(metadata) = std::fs::metadata(&path) else {
        return Ok(None);
    };
    if !metadata.is_file() {
        return Ok(None);
    }
    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |duration| duration.as_nanos());
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(AppError::internal("reading a web map file", error)),
    };
    let tag = tag_of_parts(&[
        path.as_os_str().as_encoded_bytes(),
        &metadata.len().to_le_bytes(),
        &modified.to_le_bytes(),
    ]);
    Ok(Some((bytes, tag)))
}

async fn web_file(
    State(state): State<AppState>,
    UrlPath(requested): UrlPath<String>,
) -> Result<Response, AppError> {
    let relative = relative_path(&requested)
        .ok_or_else(|| AppError::not_found_because("no such file of the web map"))?;
    let media_type = content_type(&relative);
    let root = state.config.web_root.clone();
    let (bytes, tag) = blocking(move || read_web_file(&root, &relative))
        .await?
        .ok_or_else(|| AppError::not_found_because("no such file of the web map"))?;
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    app_file_headers(headers, media_type);
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}

/// The tags of the basemap layers, computed once.
fn basemap_tags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        BASEMAP
            .iter()
            .map(|(_, bytes)| tag_of_parts(&[bytes]))
            .collect()
    })
}

async fn basemap(UrlPath(file): UrlPath<String>) -> Result<Response, AppError> {
    let (position, bytes) = file
        .strip_suffix(".geojson")
        .and_then(|name| {
            BASEMAP
                .iter()
                .enumerate()
                .find(|(_, (known, _))| *known == name)
        })
        .map(|(position, (_, bytes))| (position, *bytes))
        .ok_or_else(|| {
            AppError::not_found_because(
                "no such basemap layer; there are countries, borders, rivers, lakes and places",
            )
        })?;
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    // Shipped with the release: a day in any cache.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    if let Some(tag) = basemap_tags().get(position)
        && let Ok(value) = HeaderValue::from_str(tag)
    {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn browsers_get_the_page_and_api_clients_the_landing_document() {
        assert!(prefers_html(&accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(prefers_html(&accept("application/json;q=0.5, text/html")));
        assert!(!prefers_html(&accept("application/json")));
        assert!(!prefers_html(&accept("*/*")));
        assert!(!prefers_html(&HeaderMap::new()));
        assert!(
            !prefers_html(&accept("text/html, application/json")),
            "a tie"
        );
        assert!(!prefers_html(&accept("text/html;q=0")));
        assert!(!prefers_html(&accept("text/html;q=0.4, application/json")));
    }

    #[test]
    fn only_plain_relative_paths_are_accepted() {
        assert_eq!(
            relative_path("node_modules/maplibre-gl/dist/maplibre-gl.js"),
            Some(PathBuf::from(
                "node_modules/maplibre-gl/dist/maplibre-gl.js"
            ))
        );
        for refused in [
            "",
            "../Cargo.toml",
            "a/../../b",
            "./app.js",
            "/etc/passwd",
            "a//b",
            ".hidden",
            "node_modules/.bin/x",
            "a\\..\\b",
            "app.js/",
        ] {
            assert_eq!(relative_path(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn types_follow_the_extension() {
        assert_eq!(
            content_type(Path::new("app.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("m.MJS")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x.geojson")), "application/geo+json");
        assert_eq!(content_type(Path::new("f.woff2")), "font/woff2");
        assert_eq!(
            content_type(Path::new("README")),
            "application/octet-stream"
        );
    }
}
