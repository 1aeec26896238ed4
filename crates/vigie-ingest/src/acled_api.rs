//! The ACLED API client: an OAuth token, paging until a short page, incremental sync on
//! ACLED's edit timestamp, the deleted-events endpoint, and patient retries.
//!
//! ACLED asks clients to back off when it answers 429 and its servers sometimes answer 5xx or
//! stall; the client retries those with exponential backoff and jitter, honouring
//! `Retry-After`. A 401 is not retried beyond one fresh token: wrong credentials must fail
//! loudly, not loop.

use std::convert::Infallible;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use thiserror::Error;
use vigie_domain::Deletion;

use crate::RawRecord;

/// Where and how to reach the ACLED API.
#[derive(Clone, PartialEq)]
pub struct AcledApiConfig {
    /// Scheme and host, e.g. `https://acleddata.com` (no trailing slash needed).
    pub base_url: String,
    /// The ACLED account's email.
    pub username: String,
    /// The account's password (never logged, never printed by `Debug`).
    pub password: String,
    /// OAuth client id (`acled`).
    pub client_id: String,
    /// Only events of this country (`Mali`), when set.
    pub country: Option<String>,
    /// Records per page (ACLED's default and maximum is 5000).
    pub page_size: u32,
    /// Attempts per request before giving up (transport errors, 429, 5xx).
    pub max_attempts: u32,
    /// First backoff delay; doubled at each retry.
    pub initial_backoff: Duration,
    /// Longest backoff delay (and longest `Retry-After` honoured).
    pub max_backoff: Duration,
    /// Whole-request timeout: a stalled response counts as a failed attempt.
    pub request_timeout: Duration,
}

impl fmt::Debug for AcledApiConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("AcledApiConfig")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("country", &self.country)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl AcledApiConfig {
    /// ACLED's public API with its documented defaults, for `country`.
    pub fn new(username: &str, password: &str, country: Option<&str>) -> AcledApiConfig {
        AcledApiConfig {
            base_url: "https://acleddata.com".to_owned(),
            username: username.to_owned(),
            password: password.to_owned(),
            client_id: "acled".to_owned(),
            country: country.map(str::to_owned),
            page_size: 5000,
            max_attempts: 6,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(120),
            request_timeout: Duration::from_secs(120),
        }
    }
}

/// Why a sync stopped.
#[derive(Debug, Error)]
pub enum AcledApiError<E> {
    /// The credentials were refused.
    #[error(
        "ACLED refused the credentials (HTTP {status}): check the ACLED account's email and \
         password; ACLED said: {message}"
    )]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// ACLED's message, cut short.
        message: String,
    },
    /// A client error that retrying cannot fix.
    #[error("ACLED answered HTTP {status} to {what}: {message}")]
    Http {
        /// The request, e.g. `events page 3`.
        what: String,
        /// The status code.
        status: u16,
        /// ACLED's message, cut short.
        message: String,
    },
    /// Every attempt failed with a retryable error.
    #[error("ACLED did not answer {what} after {attempts} attempts; last error: {last_error}")]
    GaveUp {
        /// The request.
        what: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last_error: String,
    },
    /// An answer that is not what the API documents.
    #[error("ACLED's answer to {what} cannot be read: {reason}")]
    Malformed {
        /// The request.
        what: String,
        /// What was wrong.
        reason: String,
    },
    /// The consumer of a page failed (e.g. the store).
    #[error(transparent)]
    Sink(E),
}

impl AcledApiError<Infallible> {
    fn widen<E>(self) -> AcledApiError<E> {
        match self {
            AcledApiError::Unauthorized { status, message } => {
                AcledApiError::Unauthorized { status, message }
            }
            AcledApiError::Http {
                what,
                status,
                message,
            } => AcledApiError::Http {
                what,
                status,
                message,
            },
            AcledApiError::GaveUp {
                what,
                attempts,
                last_error,
            } => AcledApiError::GaveUp {
                what,
                attempts,
                last_error,
            },
            AcledApiError::Malformed { what, reason } => AcledApiError::Malformed { what, reason },
            AcledApiError::Sink(never) => match never {},
        }
    }
}

/// What a sync fetched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Pages fetched.
    pub pages: u32,
    /// Records handed to the consumer.
    pub records: u64,
    /// The newest `timestamp` among them: the next sync starts there.
    pub newest_timestamp: Option<i64>,
}

/// A client for one ACLED account. Cheap to share between threads.
pub struct AcledApiClient {
    config: AcledApiConfig,
    agent: ureq::Agent,
    token: Mutex<Option<String>>,
}

/// How one attempt at a request ended.
enum Attempt {
    Done(Value),
    Retry {
        error: String,
        wait: Option<Duration>,
    },
    TokenRejected,
    Fail(AcledApiError<Infallible>),
}

impl AcledApiClient {
    /// A client with its own connection pool and timeouts.
    pub fn new(config: AcledApiConfig) -> AcledApiClient {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.request_timeout))
            .build()
            .new_agent();
        AcledApiClient {
            config,
            agent,
            token: Mutex::new(None),
        }
    }

    /// Fetches every event edited at or after `since` (all events when `None`), page by
    /// page, handing each page's records to `on_page` before asking for the next, so that a
    /// failure after page N leaves pages 1..N stored.
    pub fn events_since<E>(
        &self,
        since: Option<i64>,
        mut on_page: impl FnMut(u32, Vec<RawRecord>) -> Result<(), E>,
    ) -> Result<SyncReport, AcledApiError<E>> {
        let mut report = SyncReport::default();
        let mut page = 1u32;
        loop {
            let mut query = self.page_query(page);
            if let Some(country) = &self.config.country {
                query.push(("country".into(), country.clone()));
            }
            if let Some(since) = since {
                query.push(("timestamp".into(), since.to_string()));
                query.push(("timestamp_where".into(), ">=".into()));
            }
            let what = format!("events page {page}");
            let body = self
                .get_json("/api/acled/read", &query, &what)
                .map_err(AcledApiError::widen)?;
            let records = data_records(&body, &what).map_err(AcledApiError::widen)?;
            let count = records.len();
            for record in &records {
                if let Some(stamp) = record.get("timestamp").and_then(|text| text.parse().ok()) {
                    report.newest_timestamp = Some(
                        report
                            .newest_timestamp
                            .map_or(stamp, |newest: i64| newest.max(stamp)),
                    );
                }
            }
            report.pages += 1;
            report.records += count as u64;
            if count > 0 {
                on_page(page, records).map_err(AcledApiError::Sink)?;
            }
            if count < self.config.page_size as usize {
                return Ok(report);
            }
            page += 1;
        }
    }

    /// Fetches ACLED's deletions at or after `since` (all when `None`).
    pub fn deletions_since(
        &self,
        since: Option<i64>,
    ) -> Result<Vec<Deletion>, AcledApiError<Infallible>> {
        let mut deletions = Vec::new();
        let mut page = 1u32;
        loop {
            let mut query = self.page_query(page);
            if let Some(since) = since {
                query.push(("deleted_timestamp".into(), since.to_string()));
                query.push(("deleted_timestamp_where".into(), ">=".into()));
            }
            let what = format!("deletions page {page}");
            let body = self.get_json("/api/deleted/read", &query, &what)?;
            let records = data_records(&body, &what)?;
            let count = records.len();
            for (position, record) in records.into_iter().enumerate() {
                let id = record.get("event_id_cnty");
                let stamp = record
                    .get("deleted_timestamp")
                    .and_then(|text| text.parse::<i64>().ok());
                match (id, stamp) {
                    (Some(id), Some(deleted_at)) => deletions.push(Deletion {
                        source_event_id: id.to_owned(),
                        deleted_at,
                    }),
                    _ => {
                        return Err(AcledApiError::Malformed {
                            what,
                            reason: format!(
                                "record {} lacks event_id_cnty or a numeric deleted_timestamp",
                                position + 1
                            ),
                        });
                    }
                }
            }
            if count < self.config.page_size as usize {
                return Ok(deletions);
            }
            page += 1;
        }
    }

    fn page_query(&self, page: u32) -> Vec<(String, String)> {
        vec![
            ("_format".into(), "json".into()),
            ("limit".into(), self.config.page_size.to_string()),
            ("page".into(), page.to_string()),
        ]
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// A GET with the bearer token, retried as the module documentation says.
    fn get_json(
        &self,
        path: &str,
        query: &[(String, String)],
        what: &str,
    ) -> Result<Value, AcledApiError<Infallible>> {
        let mut refreshed_token = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let token = self.token()?;
            let outcome = self.attempt_get(path, query, &token, what);
            let (error, wait) = match outcome {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(error) => return Err(error),
                Attempt::TokenRejected if !refreshed_token => {
                    // The token may have expired: fetch a new one, once.
                    refreshed_token = true;
                    *self.token.lock().expect("token lock") = None;
                    attempt -= 1;
                    continue;
                }
                Attempt::TokenRejected => {
                    return Err(AcledApiError::Unauthorized {
                        status: 401,
                        message: "a freshly issued token was refused".into(),
                    });
                }
                Attempt::Retry { error, wait } => (error, wait),
            };
            if attempt >= self.config.max_attempts {
                return Err(AcledApiError::GaveUp {
                    what: what.to_owned(),
                    attempts: attempt,
                    last_error: error,
                });
            }
            std::thread::sleep(
                wait.unwrap_or_else(|| self.backoff(attempt))
                    .min(self.config.max_backoff),
            );
        }
    }

    fn attempt_get(
        &self,
        path: &str,
        query: &[(String, String)],
        token: &str,
        what: &str,
    ) -> Attempt {
        let request = self
            .agent
            .get(self.url(path))
            .header("Authorization", format!("Bearer {token}"))
            .header("Accept", "application/json")
            .query_pairs(
                query
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.as_str())),
            );
        let mut response = match request.call() {
            Ok(response) => response,
            Err(error) => {
                return Attempt::Retry {
                    error: error.to_string(),
                    wait: None,
                };
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = match response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
        {
            Ok(body) => body,
            Err(error) => {
                return Attempt::Retry {
                    error: format!("reading the answer: {error}"),
                    wait: None,
                };
            }
        };
        match status {
            200..=299 => match serde_json::from_str::<Value>(&body) {
                Ok(value) => {
                    if value.get("success").and_then(Value::as_bool) == Some(false) {
                        return Attempt::Fail(AcledApiError::Http {
                            what: what.to_owned(),
                            status,
                            message: api_message(&value, &body),
                        });
                    }
                    Attempt::Done(value)
                }
                Err(error) => Attempt::Fail(AcledApiError::Malformed {
                    what: what.to_owned(),
                    reason: format!("not JSON ({error})"),
                }),
            },
            401 => Attempt::TokenRejected,
            429 | 500..=599 => Attempt::Retry {
                error: format!("HTTP {status}: {}", excerpt(&body)),
                wait: retry_after,
            },
            403 => Attempt::Fail(AcledApiError::Unauthorized {
                status,
                message: excerpt(&body),
            }),
            _ => Attempt::Fail(AcledApiError::Http {
                what: what.to_owned(),
                status,
                message: excerpt(&body),
            }),
        }
    }

    /// The cached bearer token, or a new one from `POST /oauth/token`.
    fn token(&self) -> Result<String, AcledApiError<Infallible>> {
        let mut cached = self.token.lock().expect("token lock");
        if let Some(token) = cached.as_ref() {
            return Ok(token.clone());
        }
        let what = "the OAuth token request";
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let result = self.agent.post(self.url("/oauth/token")).send_form([
                ("username", self.config.username.as_str()),
                ("password", self.config.password.as_str()),
                ("grant_type", "password"),
                ("client_id", self.config.client_id.as_str()),
            ]);
            let (error, wait) = match result {
                Err(error) => (error.to_string(), None),
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let body = response.body_mut().read_to_string().unwrap_or_default();
                    match status {
                        200..=299 => {
                            let value: Value = serde_json::from_str(&body).map_err(|error| {
                                AcledApiError::Malformed {
                                    what: what.to_owned(),
                                    reason: format!("not JSON ({error})"),
                                }
                            })?;
                            let token = value
                                .get("access_token")
                                .and_then(Value::as_str)
                                .ok_or_else(|| AcledApiError::Malformed {
                                    what: what.to_owned(),
                                    reason: "no access_token in the answer".into(),
                                })?
                                .to_owned();
                            *cached = Some(token.clone());
                            return Ok(token);
                        }
                        400 | 401 | 403 => {
                            return Err(AcledApiError::Unauthorized {
                                status,
                                message: excerpt(&body),
                            });
                        }
                        429 | 500..=599 => (format!("HTTP {status}: {}", excerpt(&body)), None),
                        _ => {
                            return Err(AcledApiError::Http {
                                what: what.to_owned(),
                                status,
                                message: excerpt(&body),
                            });
                        }
                    }
                }
            };
            if attempt >= self.config.max_attempts {
                return Err(AcledApiError::GaveUp {
                    what: what.to_owned(),
                    attempts: attempt,
                    last_error: error,
                });
            }
            std::thread::sleep(
                wait.unwrap_or_else(|| self.backoff(attempt))
                    .min(self.config.max_backoff),
            );
        }
    }

    /// Exponential backoff with "equal jitter": half the delay fixed, half random, so that
    /// several Vigie instances hitting a limit together do not retry in step.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self
            .config
            .initial_backoff
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.config.max_backoff);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let jitter = f64::from(nanos % 1000) / 1000.0;
        exponential.mul_f64(0.5 + jitter / 2.0)
    }
}

/// The `data` array of an answer, each record's values as text (the API sends strings; JSON
/// exports may send numbers).
fn data_records(body: &Value, what: &str) -> Result<Vec<RawRecord>, AcledApiError<Infallible>> {
    let Some(data) = body.get("data").and_then(Value::as_array) else {
        return Err(AcledApiError::Malformed {
            what: what.to_owned(),
            reason: "no \"data\" array".into(),
        });
    };
    data.iter()
        .enumerate()
        .map(|(position, item)| {
            let object = item.as_object().ok_or_else(|| AcledApiError::Malformed {
                what: what.to_owned(),
                reason: format!("record {} is not an object", position + 1),
            })?;
            Ok(RawRecord::from_json_object(object))
        })
        .collect()
}

fn api_message(value: &Value, body: &str) -> String {
    value
        .get("error")
        .or_else(|| value.get("message"))
        .or_else(|| value.get("messages"))
        .map(|message| excerpt(&message.to_string()))
        .unwrap_or_else(|| excerpt(body))
}

/// At most 200 characters of a body, for error messages.
fn excerpt(body: &str) -> String {
    let trimmed = body.trim();
    match trimmed.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}
