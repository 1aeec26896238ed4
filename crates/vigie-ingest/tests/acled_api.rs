//! The ACLED API client against a local server that speaks the API's shapes: OAuth tokens,
//! pages, filters, errors and slow answers.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use vigie_ingest::acled_api::{AcledApiClient, AcledApiConfig, AcledApiError, SyncReport};

/// What the fake server does to the next data request, in order.
#[derive(Debug, Clone)]
enum Fault {
    Status(u16, Option<u64>),
    Delay(Duration),
    ExpireTokens,
}

#[derive(Default)]
struct FakeAcled {
    events: Vec<Value>,
    deletions: Vec<Value>,
    faults: VecDeque<Fault>,
    valid_tokens: Vec<String>,
    tokens_issued: u32,
    token_requests: u32,
    data_requests: Vec<String>,
}

type Shared = Arc<Mutex<FakeAcled>>;

async fn issue_token(
    State(state): State<Shared>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let mut server = state.lock().unwrap();
    server.token_requests += 1;
    if field("username") != "analyst@example.org"
        || field("password") != "correct horse"
        || field("grant_type") != "password"
    {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_grant", "error_description": "The user credentials were incorrect."}))).into_response();
    }
    server.tokens_issued += 1;
    let token = format!("token-{}", server.tokens_issued);
    server.valid_tokens.push(token.clone());
    Json(json!({"token_type": "Bearer", "expires_in": 86400, "access_token": token, "refresh_token": "r"})).into_response()
}

fn authorised(server: &FakeAcled, headers: &HeaderMap) -> bool {
    let presented = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    server.valid_tokens.iter().any(|token| token == presented)
}

fn page_of(records: &[Value], query: &[(String, String)], stamp_field: &str) -> Value {
    let param = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let limit: usize = param("limit")
        .and_then(|text| text.parse().ok())
        .unwrap_or(5000);
    let page: usize = param("page")
        .and_then(|text| text.parse().ok())
        .unwrap_or(1);
    let since: Option<i64> = param(stamp_field).and_then(|text| text.parse().ok());
    assert!(since.is_none() || param(&format!("{stamp_field}_where")).as_deref() == Some(">="));
    let country = param("country");
    let matching: Vec<&Value> = records
        .iter()
        .filter(|record| {
            since.is_none_or(|since| {
                record[stamp_field]
                    .as_str()
                    .unwrap()
                    .parse::<i64>()
                    .unwrap()
                    >= since
            })
        })
        .filter(|record| {
            country
                .as_ref()
                .is_none_or(|country| record["country"] == country.as_str())
        })
        .collect();
    let data: Vec<&Value> = matching
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    json!({"status": 200, "success": true, "count": data.len(), "messages": [], "data": data})
}

async fn read_events(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let fault = {
        let mut server = state.lock().unwrap();
        server.data_requests.push(format!("{query:?}"));
        if !authorised(&server, &headers) {
            return (StatusCode::UNAUTHORIZED, "invalid token").into_response();
        }
        server.faults.pop_front()
    };
    match fault {
        Some(Fault::Status(code, retry_after)) => {
            let mut response =
                (StatusCode::from_u16(code).unwrap(), "try again later").into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", seconds.to_string().parse().unwrap());
            }
            return response;
        }
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::ExpireTokens) => {
            state.lock().unwrap().valid_tokens.clear();
            return (StatusCode::UNAUTHORIZED, "token expired").into_response();
        }
        None => {}
    }
    let server = state.lock().unwrap();
    Json(page_of(&server.events, &query, "timestamp")).into_response()
}

async fn read_deletions(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let server = state.lock().unwrap();
    if !authorised(&server, &headers) {
        return (StatusCode::UNAUTHORIZED, "invalid token").into_response();
    }
    Json(page_of(&server.deletions, &query, "deleted_timestamp")).into_response()
}

/// Starts the fake ACLED on a free port in a background thread; returns its address.
fn start(server: FakeAcled) -> (SocketAddr, Shared) {
    let state: Shared = Arc::new(Mutex::new(server));
    let app = Router::new()
        .route("/oauth/token", post(issue_token))
        .route("/api/acled/read", get(read_events))
        .route("/api/deleted/read", get(read_deletions))
        .with_state(state.clone());
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (receiver.recv().unwrap(), state)
}

fn event(number: u32, timestamp: i64) -> Value {
    json!({
        "event_id_cnty": format!("MLI{number}"),
        "event_date": "2024-03-01",
        "event_type": "Battles",
        "country": "Mali",
        "latitude": "14.0730",
        "longitude": "-3.5149",
        "fatalities": "2",
        "timestamp": timestamp.to_string(),
    })
}

fn config(address: SocketAddr, page_size: u32) -> AcledApiConfig {
    let mut config = AcledApiConfig::new("analyst@example.org", "correct horse", Some("Mali"));
    config.base_url = format!("http://{address}");
    config.page_size = page_size;
    config.max_attempts = 4;
    config.initial_backoff = Duration::from_millis(10);
    config.max_backoff = Duration::from_millis(200);
    config.request_timeout = Duration::from_millis(800);
    config
}

fn sync(
    client: &AcledApiClient,
    since: Option<i64>,
) -> (Vec<Vec<String>>, Result<SyncReport, AcledApiError<String>>) {
    let mut pages = Vec::new();
    let result = client.events_since(since, |_, records| {
        pages.push(
            records
                .iter()
                .map(|record| record.get("event_id_cnty").unwrap().to_owned())
                .collect(),
        );
        Ok::<(), String>(())
    });
    (pages, result)
}

#[test]
fn pages_until_a_short_page() {
    let events = (1..=12)
        .map(|number| event(number, 1_700_000_000 + i64::from(number)))
        .collect();
    let (address, state) = start(FakeAcled {
        events,
        ..FakeAcled::default()
    });
    let client = AcledApiClient::new(config(address, 5));
    let (pages, result) = sync(&client, None);
    let report = result.unwrap();
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [5, 5, 2]);
    assert_eq!(report.records, 12);
    assert_eq!(report.pages, 3);
    assert_eq!(report.newest_timestamp, Some(1_700_000_012));
    assert_eq!(
        state.lock().unwrap().token_requests,
        1,
        "one token for the whole sync"
    );
}

#[test]
fn a_full_last_page_is_followed_by_an_empty_one() {
    let events = (1..=10)
        .map(|number| event(number, 1_700_000_000))
        .collect();
    let (address, state) = start(FakeAcled {
        events,
        ..FakeAcled::default()
    });
    let client = AcledApiClient::new(config(address, 5));
    let (pages, result) = sync(&client, None);
    assert_eq!(result.unwrap().pages, 3);
    assert_eq!(pages.len(), 2, "the empty page is not handed over");
    assert_eq!(state.lock().unwrap().data_requests.len(), 3);
}

#[test]
fn incremental_sync_asks_for_timestamps_at_or_after_the_last_sync() {
    let events = (1..=6)
        .map(|number| event(number, 1_700_000_000 + i64::from(number) * 10))
        .collect();
    let (address, state) = start(FakeAcled {
        events,
        ..FakeAcled::default()
    });
    let client = AcledApiClient::new(config(address, 5));
    let (pages, result) = sync(&client, Some(1_700_000_040));
    assert_eq!(pages, [vec!["MLI4", "MLI5", "MLI6"]]);
    assert_eq!(result.unwrap().newest_timestamp, Some(1_700_000_060));
    let request = state.lock().unwrap().data_requests[0].clone();
    assert!(
        request.contains("\"timestamp\", \"1700000040\"")
            && request.contains("\"timestamp_where\", \">=\""),
        "{request}"
    );
    assert!(request.contains("\"country\", \"Mali\""), "{request}");
}

#[test]
fn rate_limits_and_server_errors_are_retried() {
    let events = (1..=3).map(|number| event(number, 1_700_000_000)).collect();
    let faults = VecDeque::from([
        Fault::Status(429, Some(0)),
        Fault::Status(502, None),
        Fault::Status(500, None),
    ]);
    let (address, state) = start(FakeAcled {
        events,
        faults,
        ..FakeAcled::default()
    });
    let client = AcledApiClient::new(config(address, 5));
    let (pages, result) = sync(&client, None);
    assert_eq!(result.unwrap().records, 3);
    assert_eq!(pages.len(), 1);
    assert_eq!(state.lock().unwrap().data_requests.len(), 4);
}

#[test]
fn a_stalled_answer_times_out_and_is_retried() {
    let events = (1..=2).map(|number| event(number, 1_700_000_000)).collect();
    let faults = VecDeque::from([Fault::Delay(Duration::from_secs(3))]);
    let (address, _state) = start(FakeAcled {
        events,
        faults,
        ..FakeAcled::default()
    });
    let client = AcledApiClient::new(config(address, 5));
    let started = std::time::Instant::now();
    let (pages, result) = sync(&client, None);
    assert_eq!(result.unwrap().records, 2);
    assert_eq!(pages.len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "did not wait for the stalled answer"
    );
}

#[test]
fn wrong_credentials_fail_at_once_with_a_clear_message() {
    let (address, state) = start(FakeAcled::default());
    let mut config = config(address, 5);
    config.password = "wrong".into();
    let client = AcledApiClient::new(config);
    let (_, result) = sync(&client, None);
    let error = result.unwrap_err();
    assert!(
        matches!(error, AcledApiError::Unauthorized { status: 401, .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("refused the credentials") && message.contains("incorrect"),
        "{message}"
    );
    assert!(
        !message.contains("wrong"),
        "the password is never echoed: {message}"
    );
    assert_eq!(
        state.lock().unwrap().token_requests,
        1,
        "no retry on refused credentials"
    );
}

#[test]
fn an_expired_token_is_renewed_once() {
    let events = (1..=7).map(|number| event(number, 1_700_000_000)).collect();
    let faults = VecDeque::from([Fault::ExpireTokens]);
    let (address, state) = start(FakeAcled {
        events,
        faults,
        ..FakeAcled::default()
    });
    let client = AcledApiClient::new(config(address, 5));
    let (pages, result) = sync(&client, None);
    assert_eq!(result.unwrap().records, 7);
    assert_eq!(pages.len(), 2);
    assert_eq!(state.lock().unwrap().token_requests, 2);
}

#[test]
fn persistent_outage_gives_up_after_the_configured_attempts() {
    let faults = VecDeque::from(vec![Fault::Status(503, None); 10]);
    let (address, state) = start(FakeAcled {
        faults,
        ..FakeAcled::default()
    });
    let client = AcledApiClient::new(config(address, 5));
    let (_, result) = sync(&client, None);
    let error = result.unwrap_err();
    assert!(
        matches!(error, AcledApiError::GaveUp { attempts: 4, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("HTTP 503"), "{error}");
    assert_eq!(state.lock().unwrap().data_requests.len(), 4);
}

#[test]
fn a_failing_consumer_stops_the_sync_before_the_next_page() {
    let events = (1..=12)
        .map(|number| event(number, 1_700_000_000))
        .collect();
    let (address, state) = start(FakeAcled {
        events,
        ..FakeAcled::default()
    });
    let client = AcledApiClient::new(config(address, 5));
    let result = client.events_since(None, |page, _| {
        if page == 2 {
            Err("disk full".to_owned())
        } else {
            Ok(())
        }
    });
    assert!(matches!(result, Err(AcledApiError::Sink(ref message)) if message == "disk full"));
    assert_eq!(
        state.lock().unwrap().data_requests.len(),
        2,
        "page 3 was never asked for"
    );
}

#[test]
fn deletions_are_paged_and_read() {
    let deletions = (1..=7)
        .map(|number| json!({"event_id_cnty": format!("MLI{number}"), "deleted_timestamp": (1_700_000_000 + number).to_string()}))
        .collect();
    let (address, _state) = start(FakeAcled {
        deletions,
        ..FakeAcled::default()
    });
    let client = AcledApiClient::new(config(address, 5));
    let all = client.deletions_since(None).unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[6].source_event_id, "MLI7");
    assert_eq!(all[6].deleted_at, 1_700_000_007);
    let recent = client.deletions_since(Some(1_700_000_006)).unwrap();
    assert_eq!(recent.len(), 2);
}

#[test]
fn api_records_normalise_like_file_records() {
    let events = vec![
        event(1, 1_700_000_001),
        json!({"event_id_cnty": "MLI2", "event_date": "2024-02-30", "event_type": "Battles", "country": "Mali", "latitude": "14", "longitude": "-3", "timestamp": "1700000002"}),
    ];
    let (address, _state) = start(FakeAcled {
        events,
        ..FakeAcled::default()
    });
    let client = AcledApiClient::new(config(address, 5));
    let options =
        vigie_ingest::IngestOptions::new(chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
    let mut normalised = Vec::new();
    client
        .events_since(None, |_, records| {
            for (position, record) in records.iter().enumerate() {
                normalised.push(vigie_ingest::acled::normalize_acled_record(
                    record,
                    "api",
                    position as u64 + 1,
                    &options,
                ));
            }
            Ok::<(), String>(())
        })
        .unwrap();
    let event = normalised[0].as_ref().unwrap();
    assert_eq!(event.source_event_id, "MLI1");
    assert_eq!(event.fatalities, 2);
    assert_eq!(event.source_timestamp, Some(1_700_000_001));
    let refused = normalised[1].as_ref().unwrap_err();
    assert_eq!(refused.field.as_deref(), Some("event_date"));
    assert_eq!(refused.line, 2);
}
