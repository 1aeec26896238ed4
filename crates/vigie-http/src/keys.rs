//! API keys resolved through the store ([`StoreApiKeys`]), and the admin's key list
//! (`GET /api/keys`).
//!
//! A request's key is hashed (SHA-256) and looked up by its hash; the answer is cached for a
//! few seconds so that a busy client costs one store read per key per
//! [`StoreApiKeys::DEFAULT_TTL`], not one per request. Revocation therefore takes effect
//! within that time. Tokens are never logged, stored or echoed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use subtle::ConstantTimeEq;
use vigie_domain::store::Store;
use vigie_domain::{api_key_sha256, is_api_key};

use crate::error::AppError;
use crate::features::{ApiKeys, Role, require_role_for};
use crate::intake::blocking;
use crate::state::AppState;

/// What the cache knows of one key hash.
#[derive(Clone, Copy)]
struct CachedKey {
    /// The live key's id and role; `None` for an unknown or revoked key.
    live: Option<(i64, Role)>,
    fetched: Instant,
}

/// [`ApiKeys`] over the store's `api_keys` table, with a short cache.
///
/// ```no_run
/// # fn wire(state: vigie_http::AppState) -> vigie_http::AppState {
/// use std::sync::Arc;
/// let keys = vigie_http::StoreApiKeys::new(state.store.clone());
/// state.with_api_keys(Arc::new(keys))
/// # }
/// ```
pub struct StoreApiKeys {
    store: Arc<dyn Store>,
    ttl: Duration,
    /// std Mutex: held for a map look-up or insert, never across a store call or an await.
    cache: Mutex<HashMap<[u8; 32], CachedKey>>,
    /// When each key's use was last recorded (at most once per [`USE_RECORD_INTERVAL`]).
    use_recorded: Mutex<HashMap<i64, Instant>>,
}

/// The most hashes cached; beyond it the cache starts afresh (random tokens sent by a
/// scanner must not grow it without bound).
const MAX_CACHED_KEYS: usize = 10_000;

/// How often a key's `last_used_at` is written, at most.
const USE_RECORD_INTERVAL: Duration = Duration::from_secs(60);

impl StoreApiKeys {
    /// How long an answer is trusted: a revoked key stops working within this time.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(5);

    /// Keys from `store`, cached for [`StoreApiKeys::DEFAULT_TTL`].
    pub fn new(store: Arc<dyn Store>) -> StoreApiKeys {
        StoreApiKeys::with_ttl(store, StoreApiKeys::DEFAULT_TTL)
    }

    /// Keys from `store`, cached for `ttl` (zero: every request reads the store).
    pub fn with_ttl(store: Arc<dyn Store>, ttl: Duration) -> StoreApiKeys {
        StoreApiKeys {
            store,
            ttl,
            cache: Mutex::new(HashMap::new()),
            use_recorded: Mutex::new(HashMap::new()),
        }
    }

    /// Reads the key with this hash from the store.
    fn fetch(&self, hash: &[u8; 32]) -> Option<(i64, Role)> {
        match off_the_runtime(|| self.store.api_key_by_hash(hash)) {
            // The database found the row by its hash; checking the hash again, in constant
            // time, costs nothing and keeps a lenient collation or a bug in a backend from
            // ever opening the API to a near miss.
            Ok(Some(key)) if key.is_live() && bool::from(key.secret_sha256.ct_eq(hash)) => {
                Some((key.id, key.role))
            }
            Ok(_) => None,
            Err(error) => {
                // Refuse rather than guess; the next request tries again (nothing cached).
                tracing::warn!(%error, "cannot look up an api key");
                None
            }
        }
    }

    /// Records the use of key `id` now and then, off the request's thread when a runtime
    /// is at hand.
    fn note_use(&self, id: i64, now: Instant) {
        {
            let mut recorded = self
                .use_recorded
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if recorded
                .get(&id)
                .is_some_and(|last| now.duration_since(*last) < USE_RECORD_INTERVAL)
            {
                return;
            }
            recorded.insert(id, now);
        }
        let store = self.store.clone();
        let record = move || {
            if let Err(error) = store.record_api_key_use(id, chrono::Utc::now()) {
                tracing::warn!(%error, key = id, "cannot record an api key's use");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(record)),
            Err(_) => record(),
        }
    }
}

/// Runs a store call made from synchronous code that may be on an async worker thread. The
/// PostgreSQL client blocks on a runtime of its own, which tokio refuses to start inside
/// another (it panicked on every keyed request with `--database postgres://…`): on a
/// multi-threaded runtime the worker is handed over for the duration, on a current-thread
/// runtime the call moves to a scoped thread, and outside any runtime it simply runs.
fn off_the_runtime<T: Send>(call: impl FnOnce() -> T + Send) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(call),
        Ok(_) => std::thread::scope(|scope| {
            scope
                .spawn(call)
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }),
        Err(_) => call(),
    }
}

impl ApiKeys for StoreApiKeys {
    /// Read from the store every time (reviews are rare; names are not cached).
    fn name_of(&self, token: &str) -> Option<String> {
        if !is_api_key(token) {
            return None;
        }
        let hash = api_key_sha256(token);
        match off_the_runtime(|| self.store.api_key_by_hash(&hash)) {
            Ok(Some(key)) if key.is_live() && bool::from(key.secret_sha256.ct_eq(&hash)) => {
                Some(key.name)
            }
            Ok(_) => None,
            Err(error) => {
                tracing::warn!(%error, "cannot look up an api key");
                None
            }
        }
    }

    fn role_of(&self, token: &str) -> Option<Role> {
        if !is_api_key(token) {
            return None;
        }
        let hash = api_key_sha256(token);
        let now = Instant::now();
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&hash)
            .copied()
            .filter(|cached| now.duration_since(cached.fetched) < self.ttl);
        let live = match cached {
            Some(cached) => cached.live,
            None => {
                // A miss is one indexed read (tens of microseconds on SQLite): rare enough,
                // with the cache, to be made in place rather than on a blocking task.
                let live = self.fetch(&hash);
                let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
                if cache.len() >= MAX_CACHED_KEYS {
                    cache.clear();
                }
                cache.insert(hash, CachedKey { live, fetched: now });
                live
            }
        };
        let (id, role) = live?;
        self.note_use(id, now);
        Some(role)
    }
}

impl std::fmt::Debug for StoreApiKeys {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("StoreApiKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// `GET /api/keys`: every key (id, name, role, prefix, dates; never a hash or a secret), for
/// admins.
async fn list_keys(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    require_role_for(
        state.api_keys.as_deref(),
        &headers,
        Role::Admin,
        "the key list",
    )?;
    if raw.is_some_and(|raw| !raw.is_empty()) {
        return Err(AppError::bad_request(
            "this route takes no query parameters",
        ));
    }
    let store = state.store.clone();
    let keys = blocking(move || {
        store
            .api_keys()
            .map_err(|error| AppError::internal("listing api keys", error))
    })
    .await?;
    Ok(axum::Json(json!({ "keys": keys })).into_response())
}

/// The key routes.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/api/keys", get(list_keys))
}
