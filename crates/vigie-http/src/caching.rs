//! HTTP caching and compression of the research API's answers.
//!
//! Each feature route says how its answer may be cached ([`CachePolicy`], set by the handler
//! from the collection); an answer that may be stored gets a strong `ETag` (a hash of its
//! body), and a `GET` whose `If-None-Match` names it gets `304 Not Modified` with no body:
//! on a 2G link, revalidating the commune layer costs a few hundred bytes instead of the
//! layer.
//!
//! Compression (gzip and brotli, chosen by `Accept-Encoding`) applies to every route, but
//! not to bodies under [`COMPRESS_MIN_BYTES`] (the frame and header cost more than they
//! save) nor to the live stream (`text/event-stream`: a compressor buffers, and events must
//! leave as they happen). A compressed answer is another representation with its own bytes,
//! so its strong tag gets the coding as a suffix (`"…-gzip"`, `"…-br"`, as Apache does);
//! `If-None-Match` is compared with the suffix taken off, and a 304 repeats the tag the
//! client sent.

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, DefaultPredicate};

use crate::error::AppError;

/// Bodies smaller than this are sent as they are.
pub const COMPRESS_MIN_BYTES: u64 = 1024;

/// Bodies above this are hashed on a blocking thread (a few milliseconds per megabyte).
const HASH_INLINE_MAX_BYTES: usize = 256 * 1024;

/// Bodies above this get no tag: hashing would cost more than a cache could save.
const TAG_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The content codings a tag may carry as a suffix.
const CODINGS: [&str; 2] = ["gzip", "br"];

/// How an answer may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CachePolicy {
    /// Documents that change only with a new release (landing page, conformance, OpenAPI,
    /// collection descriptions): any cache, an hour.
    Metadata,
    /// Public aggregates recomputed every `seconds` (the zone collections' activity): any
    /// cache, that long, then revalidated.
    Public {
        /// Freshness lifetime.
        seconds: u32,
    },
    /// Public data that must be current when shown (warnings, hotspots): any cache may
    /// keep it but must revalidate it on every use (cheap with the tag).
    Revalidate,
    /// Needs a key (events, reports): never stored by any cache, shared or not; varies with
    /// the key.
    Keyed,
}

impl CachePolicy {
    /// The `Cache-Control` value.
    pub(crate) fn header_value(self) -> HeaderValue {
        match self {
            CachePolicy::Metadata => HeaderValue::from_static("public, max-age=3600"),
            CachePolicy::Public { seconds } => {
                HeaderValue::from_str(&format!("public, max-age={seconds}"))
                    .unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
            }
            CachePolicy::Revalidate => HeaderValue::from_static("public, no-cache"),
            CachePolicy::Keyed => HeaderValue::from_static("private, no-store"),
        }
    }

    /// Sets `Cache-Control`, and `Vary: Authorization` for keyed answers (the key decides
    /// whether there is an answer at all).
    pub(crate) fn apply(self, response: &mut Response) {
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, self.header_value());
        if self == CachePolicy::Keyed {
            add_vary(headers, "authorization");
        }
    }
}

/// Adds `name` to `Vary` unless it is there.
pub(crate) fn add_vary(headers: &mut HeaderMap, name: &'static str) {
    let present = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|listed| listed.trim().eq_ignore_ascii_case(name) || listed.trim() == "*");
    if !present {
        headers.append(header::VARY, HeaderValue::from_static(name));
    }
}

/// The compression layer: gzip and brotli (at the library's fast default levels), not under
/// [`COMPRESS_MIN_BYTES`], not for event streams or images.
pub(crate) fn compression() -> CompressionLayer<impl Predicate> {
    // The default predicate keeps event streams (`text/event-stream`) and images out; the
    // size floor is raised from its 32 bytes.
    let predicate = DefaultPredicate::new().and(SizeAbove::new(COMPRESS_MIN_BYTES));
    CompressionLayer::new()
        .gzip(true)
        .br(true)
        .compress_when(predicate)
}

/// Whether an answer's `Cache-Control` lets a cache store it.
fn storable(headers: &HeaderMap) -> bool {
    headers
        .get(header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| !value.contains("no-store"))
}

/// The strong tag of a body: 128 bits of its SHA-256, quoted.
fn tag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..16]))
}

/// A strong tag for an answer whose bytes are determined by `parts` (for a kept page: its
/// fixed head, its features' digest and its tail). Differs from [`tag_of`] of the same
/// bytes, which does not matter: a tag only has to change when the bytes do.
pub(crate) fn tag_of_parts(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..16]))
}

/// The entity tag of `If-None-Match` that matches `tag` (our tag, quoted), as the client
/// wrote it without a weak prefix; `*` matches anything. Comparison is weak, as RFC 9110
/// §13.1.2 asks, and a coding suffix is ignored.
fn matching_tag(if_none_match: &HeaderMap, tag: &str) -> Option<String> {
    let weak = tag.starts_with("W/");
    let opaque = tag.trim_start_matches("W/").trim_matches('"');
    if_none_match
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .find_map(|candidate| {
            if candidate == "*" {
                return Some(tag.to_owned());
            }
            let quoted = candidate.strip_prefix("W/").unwrap_or(candidate);
            let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
            let base = CODINGS
                .iter()
                .find_map(|coding| inner.strip_suffix(&format!("-{coding}")[..]))
                .unwrap_or(inner);
            // A 304 repeats the tag as we gave it (coding suffix included), weak when it is.
            (base == opaque).then(|| {
                if weak {
                    format!("W/{quoted}")
                } else {
                    quoted.to_owned()
                }
            })
        })
}

/// The middleware of the feature routes: tags storable `200` answers to `GET` and answers
/// `304` when the client has the tagged body already.
pub(crate) async fn conditional_get(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let mut conditions = HeaderMap::new();
    for value in request.headers().get_all(header::IF_NONE_MATCH) {
        conditions.append(header::IF_NONE_MATCH, value.clone());
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::OK
        && storable(response.headers())
        && let Some(tag) = response
            .headers()
            .get(header::ETAG)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    {
        // Tagged by its maker (a kept page): compare without reading the body.
        let (mut parts, body) = response.into_parts();
        add_vary(&mut parts.headers, "accept-encoding");
        if let Some(matched) = matching_tag(&conditions, &tag) {
            return not_modified(&parts.headers, &matched);
        }
        return Response::from_parts(parts, body);
    }
    let size = response.body().size_hint().exact();
    if response.status() != StatusCode::OK
        || !storable(response.headers())
        || size.is_none_or(|size| size > TAG_MAX_BYTES)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            return AppError::internal("reading an answer to tag it", error).into_response();
        }
    };
    let tag = if bytes.len() > HASH_INLINE_MAX_BYTES {
        let shared = bytes.clone();
        match tokio::task::spawn_blocking(move || tag_of(&shared)).await {
            Ok(tag) => tag,
            Err(error) => return AppError::internal("hashing an answer", error).into_response(),
        }
    } else {
        tag_of(&bytes)
    };
    // Every tagged answer may be compressed, and then its tag changes with the coding.
    add_vary(&mut parts.headers, "accept-encoding");
    if let Some(matched) = matching_tag(&conditions, &tag) {
        return not_modified(&parts.headers, &matched);
    }
    if let Ok(value) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, value);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// RFC 9110 §15.4.5: the headers a 200 would have had that caches need, no body.
fn not_modified(headers_of_200: &HeaderMap, matched: &str) -> Response {
    let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
    let headers = not_modified.headers_mut();
    if let Ok(value) = HeaderValue::from_str(matched) {
        headers.insert(header::ETAG, value);
    }
    for name in [header::CACHE_CONTROL, header::VARY] {
        for value in headers_of_200.get_all(&name) {
            headers.append(name.clone(), value.clone());
        }
    }
    not_modified
}

/// Runs outside the compression layer: a compressed answer's tag gets the coding as a
/// suffix, since its bytes differ from the uncompressed answer's (a weak tag keeps its `W/`).
pub(crate) async fn tag_coding(mut response: Response) -> Response {
    let coding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| CODINGS.iter().find(|coding| **coding == value.trim()));
    let (Some(coding), Some(tag)) = (
        coding,
        response
            .headers()
            .get(header::ETAG)
            .and_then(|value| value.to_str().ok()),
    ) else {
        return response;
    };
    let (weak, quoted) = match tag.strip_prefix("W/") {
        Some(quoted) => ("W/", quoted),
        None => ("", tag),
    };
    if let Some(inner) = quoted
        .strip_prefix('"')
        .and_then(|tag| tag.strip_suffix('"'))
        && let Ok(value) = HeaderValue::from_str(&format!("{weak}\"{inner}-{coding}\""))
    {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn if_none_match(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn if_none_match_is_compared_weakly_and_without_the_coding() {
        let tag = tag_of(b"the commune layer");
        assert_eq!(tag.len(), 24, "22 characters of base64 and two quotes");
        assert_eq!(tag, tag_of(b"the commune layer"));
        assert_ne!(tag, tag_of(b"the commune layer, changed"));
        let inner = tag.trim_matches('"');
        assert_eq!(matching_tag(&if_none_match(&tag), &tag), Some(tag.clone()));
        let gzip = format!("\"{inner}-gzip\"");
        assert_eq!(
            matching_tag(&if_none_match(&format!("\"other\", {gzip}")), &tag),
            Some(gzip)
        );
        assert_eq!(
            matching_tag(&if_none_match(&format!("W/{tag}")), &tag),
            Some(tag.clone())
        );
        assert_eq!(matching_tag(&if_none_match("*"), &tag), Some(tag.clone()));
        assert_eq!(matching_tag(&if_none_match("\"other\""), &tag), None);
        assert_eq!(
            matching_tag(&if_none_match(&format!("\"{inner}-zstd\"")), &tag),
            None
        );
        assert_eq!(matching_tag(&if_none_match(inner), &tag), None, "unquoted");
        assert_eq!(matching_tag(&HeaderMap::new(), &tag), None);

        // A weak tag of ours (a kept page) matches with or without the client's `W/`, and a
        // 304 repeats it weak, with the coding the client had.
        let weak = format!("W/{tag}");
        assert_eq!(
            matching_tag(&if_none_match(&tag), &weak),
            Some(weak.clone())
        );
        assert_eq!(
            matching_tag(&if_none_match(&format!("W/\"{inner}-gzip\"")), &weak),
            Some(format!("W/\"{inner}-gzip\""))
        );
        assert_eq!(matching_tag(&if_none_match("W/\"other\""), &weak), None);
    }

    #[test]
    fn policies_say_who_may_store_what() {
        assert_eq!(
            CachePolicy::Public { seconds: 60 }.header_value(),
            "public, max-age=60"
        );
        assert_eq!(CachePolicy::Keyed.header_value(), "private, no-store");
        let mut response = Response::new(Body::empty());
        CachePolicy::Keyed.apply(&mut response);
        CachePolicy::Keyed.apply(&mut response);
        assert_eq!(
            response.headers().get_all(header::VARY).iter().count(),
            1,
            "Vary: Authorization once"
        );
        assert!(!storable(response.headers()));
        let mut response = Response::new(Body::empty());
        CachePolicy::Revalidate.apply(&mut response);
        assert!(storable(response.headers()));
    }
}
