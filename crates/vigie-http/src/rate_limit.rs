//! Per-client rate limits: a token bucket per API key, and one per client address for
//! requests without a live key.
//!
//! Who is limited: every route but the gateways' webhooks (`/webhooks/…`: inbound SMS and
//! delivery receipts) and `/healthz`. The webhooks are authenticated by their own secrets,
//! arrive from a handful of gateway addresses that relay many monitors at once, and a
//! community report or a delivery receipt must never wait behind anonymous API traffic; they
//! take nothing from any bucket. A load balancer's health check must not be refused either.
//! Nor are the web map's static files (`/web/…`, `/basemap/…`): cheap to serve, they would
//! otherwise spend a browser's burst on one page load, leaving none for the map's API calls.
//! The web report form (`/api/reports`) is public and is limited like the API.
//!
//! Which bucket: a request carrying a live key (`Authorization: Bearer …`, resolved by the
//! same [`ApiKeys`] backend as the handlers) draws on its key's bucket, wherever it comes
//! from: researchers behind a shared NAT are not starved by the public on the same address.
//! Any other request (no key, or a key that is not live: it gets its 401 from the handler
//! once it passes) draws on its client address's bucket. IPv6 clients are bucketed by /64,
//! the block one subscriber gets.
//!
//! The client address is the connection's peer ([`axum::extract::ConnectInfo`], which
//! [`crate::serve`] provides). `X-Forwarded-For` is read only when the peer is one of the
//! configured trusted proxies, and then only as far back as the hops are trusted proxies too:
//! the first untrusted hop from the right is the client. Without trusted proxies, a server
//! behind a reverse proxy sees every client as the proxy's address and they share one
//! bucket; the proxy's address must be listed. A router served without connection
//! information (a test's `oneshot`) has no client address: keyed requests are still
//! limited, anonymous ones are not.
//!
//! Memory: at most [`RateLimitConfig::max_clients`] buckets (and two overflow ones). A
//! bucket that has refilled is the same as no bucket, so full buckets are dropped every
//! minute, and when the table is full (at most once a second); when it is still full, new
//! clients share one overflow bucket of their class until buckets free up (an attack from more addresses than that is beyond a per-address
//! limit anyway).

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::error::AppError;
use crate::features::{ApiKeys, bearer_token};

/// A sustained rate and the burst a client may send above it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests per second, sustained (the bucket's refill rate).
    pub per_second: f64,
    /// Requests a client may send at once after being idle (the bucket's size).
    pub burst: u32,
}

/// The rate limits of the API (see the module documentation for who is limited).
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitConfig {
    /// Whether requests are limited at all (default true).
    pub enabled: bool,
    /// Requests without a live key, per client address (default 10 per second, bursts of 40).
    pub anonymous: Rate,
    /// Requests with a live key, per key (default 50 per second, bursts of 200).
    pub keyed: Rate,
    /// Peers whose `X-Forwarded-For` is believed: the reverse proxies in front of the server
    /// (default none: the header is ignored).
    pub trusted_proxies: Vec<IpNetwork>,
    /// The most clients tracked at once (default 65,536, a few MB).
    pub max_clients: usize,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            anonymous: Rate {
                per_second: 10.0,
                burst: 40,
            },
            keyed: Rate {
                per_second: 50.0,
                burst: 200,
            },
            trusted_proxies: Vec::new(),
            max_clients: 65_536,
        }
    }
}

/// An address or a block of addresses (`127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    network: IpAddr,
    prefix: u8,
}

/// An address block that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not an IP address or block (like 127.0.0.1, 10.0.0.0/8 or ::1)")]
pub struct IpNetworkError(String);

impl FromStr for IpNetwork {
    type Err = IpNetworkError;

    fn from_str(text: &str) -> Result<IpNetwork, IpNetworkError> {
        let error = || IpNetworkError(text.to_owned());
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address = canonical(address.parse::<IpAddr>().map_err(|_| error())?);
        let width = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|&prefix| prefix <= width)
                .ok_or_else(error)?,
            None => width,
        };
        Ok(IpNetwork {
            network: mask(address, prefix),
            prefix,
        })
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.network, self.prefix)
    }
}

impl IpNetwork {
    /// Whether `address` is in the block (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        address.is_ipv4() == self.network.is_ipv4() && mask(address, self.prefix) == self.network
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, what a dual-stack socket reports) as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    address.to_canonical()
}

/// The first `prefix` bits of `address`, the rest zero.
fn mask(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let kept = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((bits & kept).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let kept = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((bits & kept).into())
        }
    }
}

impl RateLimitConfig {
    /// Checks the settings once, at start-up: `Err` names the setting.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        for (setting, rate) in [
            ("rate_limit anonymous", self.anonymous),
            ("rate_limit keyed", self.keyed),
        ] {
            if !(rate.per_second.is_finite() && rate.per_second > 0.0 && rate.per_second <= 1e6) {
                return Err((setting, "per_second must be above 0 and at most 1000000"));
            }
            if !(1..=1_000_000).contains(&rate.burst) {
                return Err((setting, "burst must be between 1 and 1000000"));
            }
        }
        if !(16..=10_000_000).contains(&self.max_clients) {
            return Err(("rate_limit max_clients", "expected between 16 and 10000000"));
        }
        Ok(())
    }
}

/// Who a bucket belongs to. Keys are kept as a truncated hash, never as the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    Key([u8; 16]),
    Address(IpAddr),
    /// New clients while the table is full.
    Overflow(Class),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    Keyed,
    Anonymous,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    /// The tokens it holds at `now`.
    fn level(&self, rate: Rate, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        (self.tokens + elapsed * rate.per_second).min(f64::from(rate.burst))
    }
}

/// The buckets, and when idle ones were last dropped.
struct Table {
    buckets: HashMap<Client, Bucket>,
    last_sweep: Instant,
}

/// How often full buckets are dropped even when the table is not full.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// The least time between two sweeps of a full table.
const MIN_SWEEP_GAP: Duration = Duration::from_secs(1);

/// A refused request: how long until the client may send one again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused {
    pub retry_after_seconds: u64,
}

/// The buckets of one server.
pub(crate) struct RateLimiter {
    config: RateLimitConfig,
    keys: Option<Arc<dyn ApiKeys>>,
    /// std Mutex: held for a look-up and some arithmetic (a sweep of idle buckets at most
    /// once a minute, or when the table is full), never across an await.
    table: Mutex<Table>,
}

impl RateLimiter {
    /// A limiter resolving keys with `keys` (the handlers' backend).
    pub(crate) fn new(config: RateLimitConfig, keys: Option<Arc<dyn ApiKeys>>) -> RateLimiter {
        RateLimiter {
            config,
            keys,
            table: Mutex::new(Table {
                buckets: HashMap::new(),
                last_sweep: Instant::now(),
            }),
        }
    }

    fn rate(&self, class: Class) -> Rate {
        match class {
            Class::Keyed => self.config.keyed,
            Class::Anonymous => self.config.anonymous,
        }
    }

    /// Takes a token from `client`'s bucket at `now`, or says how long to wait for one.
    fn take(&self, client: Client, class: Class, now: Instant) -> Result<(), Refused> {
        let rate = self.rate(class);
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let since_sweep = now.saturating_duration_since(table.last_sweep);
        let full =
            table.buckets.len() >= self.config.max_clients && !table.buckets.contains_key(&client);
        // A full table is swept at most once a second: newcomers arriving while it is full
        // of busy clients must not each pay for a pass over it.
        if since_sweep >= SWEEP_INTERVAL || (full && since_sweep >= MIN_SWEEP_GAP) {
            self.sweep(&mut table, now);
        }
        let client = if table.buckets.len() >= self.config.max_clients
            && !table.buckets.contains_key(&client)
        {
            Client::Overflow(class)
        } else {
            client
        };
        let bucket = table.buckets.entry(client).or_insert(Bucket {
            tokens: f64::from(rate.burst),
            updated: now,
        });
        let tokens = bucket.level(rate, now);
        bucket.updated = now;
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            Ok(())
        } else {
            bucket.tokens = tokens;
            let seconds = ((1.0 - tokens) / rate.per_second).ceil();
            Err(Refused {
                retry_after_seconds: (seconds as u64).max(1),
            })
        }
    }

    /// Drops the buckets that have refilled: they are the same as no bucket.
    fn sweep(&self, table: &mut Table, now: Instant) {
        table.last_sweep = now;
        table.buckets.retain(|client, bucket| {
            let class = match client {
                Client::Key(_) | Client::Overflow(Class::Keyed) => Class::Keyed,
                Client::Address(_) | Client::Overflow(Class::Anonymous) => Class::Anonymous,
            };
            let rate = self.rate(class);
            bucket.level(rate, now) < f64::from(rate.burst)
        });
    }

    /// Buckets held (for tests).
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .buckets
            .len()
    }

    /// The bucket a request draws on, or `None` when it cannot be told apart (no key and no
    /// client address).
    fn client_of(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<(Client, Class)> {
        if let Some(token) = bearer_token(headers)
            && self
                .keys
                .as_ref()
                .is_some_and(|keys| keys.role_of(token).is_some())
        {
            let digest = Sha256::digest(token.as_bytes());
            let mut id = [0u8; 16];
            id.copy_from_slice(&digest[..16]);
            return Some((Client::Key(id), Class::Keyed));
        }
        let address = client_address(peer?.ip(), headers, &self.config.trusted_proxies);
        Some((Client::Address(bucket_address(address)), Class::Anonymous))
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the nearest hop of
/// `X-Forwarded-For` (read from the right) that is not a trusted proxy. A hop that cannot be
/// read ends the walk at the last hop that could be trusted to have written it.
pub(crate) fn client_address(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted_proxies: &[IpNetwork],
) -> IpAddr {
    let trusted = |address: IpAddr| trusted_proxies.iter().any(|net| net.contains(address));
    let mut client = canonical(peer);
    if !trusted(client) {
        return client;
    }
    // Several headers are one list, in order (RFC 9110 §5.3).
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for hop in hops.iter().rev() {
        let Some(address) = parse_hop(hop.trim()) else {
            break;
        };
        client = address;
        if !trusted(client) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .map(canonical)
}

/// IPv6 clients are bucketed by their /64 (one subscriber's block), IPv4 by address.
fn bucket_address(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
    }
}

/// Whether requests to `path` are limited (see the module documentation).
pub(crate) fn is_limited(path: &str) -> bool {
    !(path.starts_with("/webhooks/")
        || path == "/healthz"
        || path.starts_with("/web/")
        || path.starts_with("/basemap/"))
}

/// The middleware: a token from the request's bucket, or 429 with `Retry-After`.
pub(crate) async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    if !limiter.config.enabled || !is_limited(request.uri().path()) {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| *address);
    let Some((client, class)) = limiter.client_of(request.headers(), peer) else {
        return next.run(request).await;
    };
    match limiter.take(client, class, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(refused) => too_many_requests(limiter.rate(class), refused),
    }
}

fn too_many_requests(rate: Rate, refused: Refused) -> Response {
    let seconds = refused.retry_after_seconds;
    let mut response = AppError::too_many_requests(format!(
        "this client sent more requests than its limit ({} per second, bursts of {}); \
         retry after {seconds} s",
        rate.per_second, rate.burst
    ))
    .with_extra(json!({ "retryAfter": seconds }))
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rate: Rate, max_clients: usize) -> RateLimiter {
        RateLimiter::new(
            RateLimitConfig {
                anonymous: rate,
                keyed: rate,
                max_clients,
                ..RateLimitConfig::default()
            },
            None,
        )
    }

    fn address(text: &str) -> Client {
        Client::Address(text.parse().unwrap())
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let rate = Rate {
            per_second: 2.0,
            burst: 3,
        };
        let limiter = limiter(rate, 16);
        let start = Instant::now();
        let client = address("192.0.2.1");
        for _ in 0..3 {
            assert_eq!(limiter.take(client, Class::Anonymous, start), Ok(()));
        }
        assert_eq!(
            limiter.take(client, Class::Anonymous, start),
            Err(Refused {
                retry_after_seconds: 1
            })
        );
        // Another client has its own bucket.
        assert_eq!(
            limiter.take(address("192.0.2.2"), Class::Anonymous, start),
            Ok(())
        );
        // Half a second later one token (2 per second) has come back, and only one.
        let later = start + Duration::from_millis(500);
        assert_eq!(limiter.take(client, Class::Anonymous, later), Ok(()));
        assert!(limiter.take(client, Class::Anonymous, later).is_err());
    }

    #[test]
    fn retry_after_is_the_time_to_the_next_token() {
        let limiter = limiter(
            Rate {
                per_second: 0.1,
                burst: 1,
            },
            16,
        );
        let now = Instant::now();
        let client = address("192.0.2.1");
        assert!(limiter.take(client, Class::Anonymous, now).is_ok());
        assert_eq!(
            limiter.take(client, Class::Anonymous, now),
            Err(Refused {
                retry_after_seconds: 10
            })
        );
        assert_eq!(
            limiter.take(client, Class::Anonymous, now + Duration::from_secs(4)),
            Err(Refused {
                retry_after_seconds: 6
            })
        );
    }

    #[test]
    fn memory_is_bounded_and_idle_buckets_are_dropped() {
        let rate = Rate {
            per_second: 1.0,
            burst: 2,
        };
        let limiter = limiter(rate, 16);
        let now = Instant::now();
        for n in 0..16u8 {
            let client = address(&format!("198.51.100.{n}"));
            assert!(limiter.take(client, Class::Anonymous, now).is_ok());
        }
        assert_eq!(limiter.tracked(), 16);
        // The table is full of busy clients: newcomers share the overflow bucket, and the
        // table grows by that one bucket only.
        for n in 100..102u8 {
            let newcomer = address(&format!("198.51.100.{n}"));
            assert!(limiter.take(newcomer, Class::Anonymous, now).is_ok());
        }
        let third = address("198.51.100.102");
        assert!(
            limiter.take(third, Class::Anonymous, now).is_err(),
            "the overflow bucket (burst 2) is shared"
        );
        assert_eq!(limiter.tracked(), 17);
        // Two seconds on, every bucket has refilled: they are dropped to make room.
        let later = now + Duration::from_secs(2);
        assert!(limiter.take(third, Class::Anonymous, later).is_ok());
        assert_eq!(limiter.tracked(), 1);
        // And a minute on, a sweep happens even when the table is not full.
        let much_later = later + SWEEP_INTERVAL;
        assert!(
            limiter
                .take(address("203.0.113.9"), Class::Anonymous, much_later)
                .is_ok()
        );
        assert_eq!(limiter.tracked(), 1);
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let proxies: Vec<IpNetwork> = ["127.0.0.1", "10.0.0.0/8"]
            .iter()
            .map(|text| text.parse().unwrap())
            .collect();
        let headers = forwarded("203.0.113.7, 10.1.2.3");
        // From an untrusted peer the header is ignored.
        assert_eq!(
            client_address(ip("198.51.100.4"), &headers, &proxies),
            ip("198.51.100.4")
        );
        // Without trusted proxies too.
        assert_eq!(
            client_address(ip("127.0.0.1"), &headers, &[]),
            ip("127.0.0.1")
        );
        // From a trusted proxy: the first untrusted hop from the right.
        assert_eq!(
            client_address(ip("127.0.0.1"), &headers, &proxies),
            ip("203.0.113.7")
        );
        // A client cannot push an address in front of the one the proxy appended.
        assert_eq!(
            client_address(
                ip("127.0.0.1"),
                &forwarded("1.1.1.1, 203.0.113.7"),
                &proxies
            ),
            ip("203.0.113.7")
        );
        // Dual-stack sockets report IPv4 peers as mapped IPv6 addresses.
        assert_eq!(
            client_address(ip("::ffff:127.0.0.1"), &headers, &proxies),
            ip("203.0.113.7")
        );
        // Garbage stops the walk at the proxy that wrote it; ports are allowed.
        assert_eq!(
            client_address(ip("127.0.0.1"), &forwarded("nonsense"), &proxies),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &forwarded("[2001:db8::1]:443"), &proxies),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn networks_parse_and_match() {
        let net: IpNetwork = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains("10.200.3.4".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.0.0.1".parse().unwrap()));
        let host: IpNetwork = "::1".parse().unwrap();
        assert!(host.contains("::1".parse().unwrap()));
        assert!(!host.contains("127.0.0.1".parse().unwrap()));
        let loose: IpNetwork = "192.168.1.77/24".parse().unwrap();
        assert_eq!(loose.to_string(), "192.168.1.0/24");
        for bad in ["10.0.0.0/33", "fd00::/129", "example.org", "10.0.0/8", ""] {
            assert!(bad.parse::<IpNetwork>().is_err(), "{bad}");
        }
        assert_eq!(
            bucket_address("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn only_webhooks_the_health_check_and_static_files_are_exempt() {
        assert!(!is_limited("/webhooks/sms/twilio"));
        assert!(!is_limited("/web/app.js"));
        assert!(!is_limited("/basemap/rivers.geojson"));
        assert!(!is_limited("/webhooks/receipts/twilio"));
        assert!(!is_limited("/healthz"));
        for path in [
            "/collections/communes/items",
            "/api/reports",
            "/api/stream",
            "/cap/feed.atom",
            "/metrics",
            "/",
        ] {
            assert!(is_limited(path), "{path}");
        }
    }
}
