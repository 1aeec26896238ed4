//! Each SMS gateway against a local HTTP server (axum, port 0) that speaks the provider's API,
//! checks the request's shape and credentials, and can answer 4xx, 5xx, 429 or too slowly.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use vigie_notify::sms::*;
use vigie_notify::{Channel, DeliveryError, IdempotencyKey, SmsMessage};

/// What the fake provider does with the next requests.
#[derive(Clone)]
enum Behaviour {
    /// Speaks the provider's API.
    Normal,
    /// Answers this status, `Retry-After` and body, whatever the request.
    Fail {
        status: u16,
        retry_after: Option<&'static str>,
        body: &'static str,
    },
    /// Waits this long, then answers normally.
    Slow(Duration),
    /// Africa's Talking only: 201, with this recipient status code and name.
    RecipientStatus(u16, &'static str),
}

#[derive(Default)]
struct Shared {
    behaviour: Mutex<Option<Behaviour>>,
    received: Mutex<Vec<HashMap<String, String>>>,
}

/// A provider's fake, served on its own runtime thread for the whole test.
struct FakeProvider {
    address: SocketAddr,
    shared: Arc<Shared>,
}

impl FakeProvider {
    fn start(router: fn(Arc<Shared>) -> Router) -> Self {
        let shared = Arc::new(Shared::default());
        let (sender, receiver) = std::sync::mpsc::channel();
        let state = shared.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                sender.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, router(state)).await.unwrap();
            });
        });
        let address = receiver.recv().expect("the server's address");
        FakeProvider { address, shared }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn behave(&self, behaviour: Behaviour) {
        *self.shared.behaviour.lock().unwrap() = Some(behaviour);
    }

    fn received(&self) -> Vec<HashMap<String, String>> {
        self.shared.received.lock().unwrap().clone()
    }
}

/// Applies a scripted failure or delay; `Some` is the answer to give instead of the normal one.
async fn scripted(shared: &Shared) -> Option<Response> {
    let behaviour = shared.behaviour.lock().unwrap().clone();
    match behaviour {
        Some(Behaviour::Fail {
            status,
            retry_after,
            body,
        }) => {
            let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
            if let Some(retry_after) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", retry_after.parse().unwrap());
            }
            Some(response)
        }
        Some(Behaviour::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            None
        }
        _ => None,
    }
}

fn sms(to: &str, text: &str) -> SmsMessage {
    SmsMessage {
        to: to.to_owned(),
        text: text.to_owned(),
        idempotency_key: IdempotencyKey::new("episode-42:opened:member-7:sms").unwrap(),
    }
}

const TEXT: &str =
    "VIGIE ALERTE Bankass: 5 incidents, 12 morts en 7 j. Détails: https://v.ml/w/ab12";

fn assert_retryable(error: &DeliveryError, retry_after: Option<Duration>) {
    assert!(error.is_retryable(), "{error}");
    assert_eq!(error.retry_after(), retry_after, "{error}");
}

fn assert_permanent(error: &DeliveryError) {
    assert!(!error.is_retryable(), "{error}");
}

/// A port nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

// --- Africa's Talking --------------------------------------------------------------------------

fn africas_talking_router(shared: Arc<Shared>) -> Router {
    async fn messaging(
        State(shared): State<Arc<Shared>>,
        headers: HeaderMap,
        Form(form): Form<HashMap<String, String>>,
    ) -> Response {
        if let Some(response) = scripted(&shared).await {
            return response;
        }
        if headers.get("apikey").and_then(|v| v.to_str().ok()) != Some("at-secret-key") {
            return (
                StatusCode::UNAUTHORIZED,
                "The supplied authentication is invalid",
            )
                .into_response();
        }
        if headers.get("accept").and_then(|v| v.to_str().ok()) != Some("application/json") {
            return (StatusCode::NOT_ACCEPTABLE, "<xml/>").into_response();
        }
        for field in ["username", "to", "message"] {
            if form.get(field).is_none_or(|value| value.is_empty()) {
                return (StatusCode::BAD_REQUEST, format!("missing {field}")).into_response();
            }
        }
        shared.received.lock().unwrap().push(form.clone());
        let (code, status) = match shared.behaviour.lock().unwrap().clone() {
            Some(Behaviour::RecipientStatus(code, status)) => (code, status),
            _ => (101, "Success"),
        };
        let message_id = if code <= 102 { "ATXid_0f3a9c" } else { "None" };
        let body = serde_json::json!({
            "SMSMessageData": {
                "Message": "Sent to 1/1 Total Cost: XOF 25",
                "Recipients": [{
                    "statusCode": code,
                    "number": form["to"],
                    "status": status,
                    "cost": "XOF 25",
                    "messageId": message_id,
                }],
            }
        });
        (StatusCode::CREATED, Json(body)).into_response()
    }
    Router::new()
        .route("/version1/messaging", post(messaging))
        .with_state(shared)
}

fn africas_talking(base_url: String, api_key: &str, timeout: Duration) -> AfricasTalkingGateway {
    AfricasTalkingGateway::new(AfricasTalkingConfig {
        base_url,
        username: "vigie".to_owned(),
        api_key: api_key.to_owned(),
        sender_id: Some("VIGIE".to_owned()),
        timeout,
    })
    .unwrap()
}

#[test]
fn africas_talking_sends_the_form_with_the_api_key_and_returns_the_message_id() {
    let provider = FakeProvider::start(africas_talking_router);
    let gateway = africas_talking(provider.base_url(), "at-secret-key", DEFAULT_TIMEOUT);
    assert_eq!(gateway.name(), "sms:africastalking");
    let id = gateway.send(&sms("+22376123456", TEXT)).unwrap();
    assert_eq!(id.0, "ATXid_0f3a9c");
    let received = provider.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["username"], "vigie");
    assert_eq!(received[0]["to"], "+22376123456");
    assert_eq!(received[0]["message"], TEXT);
    assert_eq!(received[0]["from"], "VIGIE");
}

#[test]
fn africas_talking_failures_are_classified() {
    let provider = FakeProvider::start(africas_talking_router);
    let gateway = africas_talking(
        provider.base_url(),
        "at-secret-key",
        Duration::from_millis(500),
    );
    let message = sms("+22376123456", TEXT);

    let wrong_key = africas_talking(provider.base_url(), "wrong", DEFAULT_TIMEOUT);
    assert_permanent(&wrong_key.send(&message).unwrap_err());

    provider.behave(Behaviour::RecipientStatus(403, "InvalidPhoneNumber"));
    let error = gateway.send(&message).unwrap_err();
    assert_permanent(&error);
    assert!(error.to_string().contains("InvalidPhoneNumber"), "{error}");

    provider.behave(Behaviour::RecipientStatus(405, "InsufficientBalance"));
    assert_retryable(&gateway.send(&message).unwrap_err(), None);

    provider.behave(Behaviour::Fail {
        status: 429,
        retry_after: Some("7"),
        body: "slow down",
    });
    assert_retryable(
        &gateway.send(&message).unwrap_err(),
        Some(Duration::from_secs(7)),
    );

    provider.behave(Behaviour::Fail {
        status: 502,
        retry_after: None,
        body: "bad gateway",
    });
    assert_retryable(&gateway.send(&message).unwrap_err(), None);

    provider.behave(Behaviour::Fail {
        status: 400,
        retry_after: None,
        body: "bad request",
    });
    assert_permanent(&gateway.send(&message).unwrap_err());

    provider.behave(Behaviour::Slow(Duration::from_secs(3)));
    let started = Instant::now();
    let error = gateway.send(&message).unwrap_err();
    assert_retryable(&error, None);
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the timeout bounds the wait"
    );

    provider.behave(Behaviour::Normal);
    assert!(gateway.send(&message).is_ok(), "back to normal");
}

// --- Twilio ------------------------------------------------------------------------------------

const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";

fn twilio_router(shared: Arc<Shared>) -> Router {
    async fn messages(
        State(shared): State<Arc<Shared>>,
        Path(account): Path<String>,
        headers: HeaderMap,
        Form(form): Form<HashMap<String, String>>,
    ) -> Response {
        if let Some(response) = scripted(&shared).await {
            return response;
        }
        use base64::Engine as _;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{TWILIO_SID}:twilio-token"))
        );
        let authorized =
            headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&expected);
        if account != TWILIO_SID || !authorized {
            let body = serde_json::json!({"code": 20003, "message": "Authenticate", "status": 401});
            return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
        }
        if !form.get("To").is_some_and(|to| to.starts_with('+')) {
            let body = serde_json::json!({"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400});
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
        shared.received.lock().unwrap().push(form.clone());
        let body = serde_json::json!({
            "sid": "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0",
            "status": "queued",
            "to": form["To"],
            "from": form.get("From"),
            "body": form.get("Body"),
        });
        (StatusCode::CREATED, Json(body)).into_response()
    }
    Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            post(messages),
        )
        .with_state(shared)
}

fn twilio(base_url: String, token: &str, timeout: Duration) -> TwilioGateway {
    TwilioGateway::new(TwilioConfig {
        base_url,
        account_sid: TWILIO_SID.to_owned(),
        auth_token: token.to_owned(),
        from: "+22320000000".to_owned(),
        status_callback: None,
        timeout,
    })
    .unwrap()
}

#[test]
fn twilio_posts_to_the_account_messages_resource_with_basic_auth_and_returns_the_sid() {
    let provider = FakeProvider::start(twilio_router);
    let gateway = twilio(provider.base_url(), "twilio-token", DEFAULT_TIMEOUT);
    let id = gateway.send(&sms("+22376123456", TEXT)).unwrap();
    assert_eq!(id.0, "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0");
    let received = provider.received();
    assert_eq!(received[0]["To"], "+22376123456");
    assert_eq!(received[0]["From"], "+22320000000");
    assert_eq!(received[0]["Body"], TEXT);
    assert!(!received[0].contains_key("StatusCallback"));

    // With a status callback, Twilio is told where to report delivery.
    let callback = "https://vigie.example.org/webhooks/receipts/twilio";
    let reporting = TwilioGateway::new(TwilioConfig {
        base_url: provider.base_url(),
        account_sid: TWILIO_SID.to_owned(),
        auth_token: "twilio-token".to_owned(),
        from: "+22320000000".to_owned(),
        status_callback: Some(callback.to_owned()),
        timeout: DEFAULT_TIMEOUT,
    })
    .unwrap();
    reporting.send(&sms("+22376123456", TEXT)).unwrap();
    assert_eq!(provider.received()[1]["StatusCallback"], callback);
}

#[test]
fn twilio_failures_are_classified() {
    let provider = FakeProvider::start(twilio_router);
    let gateway = twilio(
        provider.base_url(),
        "twilio-token",
        Duration::from_millis(500),
    );

    let wrong_token = twilio(provider.base_url(), "wrong", DEFAULT_TIMEOUT);
    let error = wrong_token.send(&sms("+22376123456", TEXT)).unwrap_err();
    assert_permanent(&error);
    assert!(error.to_string().contains("20003"), "{error}");

    let error = gateway.send(&sms("76123456", TEXT)).unwrap_err();
    assert_permanent(&error);
    assert!(error.to_string().contains("21211"), "{error}");

    let message = sms("+22376123456", TEXT);
    provider.behave(Behaviour::Fail {
        status: 429,
        retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT"),
        body: "{\"code\": 20429}",
    });
    // A date in the past: retry now.
    assert_retryable(&gateway.send(&message).unwrap_err(), Some(Duration::ZERO));

    provider.behave(Behaviour::Fail {
        status: 503,
        retry_after: Some("30"),
        body: "",
    });
    assert_retryable(
        &gateway.send(&message).unwrap_err(),
        Some(Duration::from_secs(30)),
    );

    provider.behave(Behaviour::Slow(Duration::from_secs(3)));
    assert_retryable(&gateway.send(&message).unwrap_err(), None);
}

// --- JSON webhook ------------------------------------------------------------------------------

fn webhook_router(shared: Arc<Shared>) -> Router {
    async fn send(
        State(shared): State<Arc<Shared>>,
        headers: HeaderMap,
        Json(body): Json<serde_json::Value>,
    ) -> Response {
        if let Some(response) = scripted(&shared).await {
            return response;
        }
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer hook-token") {
            return (StatusCode::FORBIDDEN, "forbidden").into_response();
        }
        let field = |name: &str| body.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        let (Some(to), Some(message), Some(key)) =
            (field("to"), field("message"), field("idempotency_key"))
        else {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                "to, message, idempotency_key",
            )
                .into_response();
        };
        if headers.get("idempotency-key").and_then(|v| v.to_str().ok()) != Some(key.as_str()) {
            return (StatusCode::BAD_REQUEST, "header and body keys differ").into_response();
        }
        let mut received = shared.received.lock().unwrap();
        // A gateway that honours the key answers a repeat with the first message's id.
        let position = match received
            .iter()
            .position(|row| row["idempotency_key"] == key)
        {
            Some(position) => position,
            None => {
                received.push(HashMap::from([
                    ("to".to_owned(), to),
                    ("message".to_owned(), message),
                    ("idempotency_key".to_owned(), key),
                ]));
                received.len() - 1
            }
        };
        Json(serde_json::json!({"id": format!("hook-{position}")})).into_response()
    }
    Router::new().route("/sms", post(send)).with_state(shared)
}

fn webhook(url: String, timeout: Duration) -> WebhookGateway {
    WebhookGateway::new(WebhookConfig {
        url,
        bearer_token: Some("hook-token".to_owned()),
        timeout,
    })
    .unwrap()
}

#[test]
fn the_webhook_posts_json_with_the_idempotency_key_and_returns_the_id() {
    let provider = FakeProvider::start(webhook_router);
    let gateway = webhook(format!("{}/sms", provider.base_url()), DEFAULT_TIMEOUT);
    let message = sms("+22376123456", TEXT);
    assert_eq!(gateway.send(&message).unwrap().0, "hook-0");
    // The same notification again: the gateway recognises it by its key.
    assert_eq!(gateway.send(&message).unwrap().0, "hook-0");
    let mut other = sms("+22376000000", TEXT);
    other.idempotency_key = IdempotencyKey::new("episode-42:opened:member-8:sms").unwrap();
    assert_eq!(gateway.send(&other).unwrap().0, "hook-1");
    let received = provider.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0]["message"], TEXT);
    assert_eq!(
        received[0]["idempotency_key"],
        "episode-42:opened:member-7:sms"
    );
}

#[test]
fn webhook_failures_are_classified() {
    let provider = FakeProvider::start(webhook_router);
    let gateway = webhook(
        format!("{}/sms", provider.base_url()),
        Duration::from_millis(500),
    );
    let message = sms("+22376123456", TEXT);

    let unauthenticated = WebhookGateway::new(WebhookConfig {
        url: format!("{}/sms", provider.base_url()),
        bearer_token: None,
        timeout: DEFAULT_TIMEOUT,
    })
    .unwrap();
    assert_permanent(&unauthenticated.send(&message).unwrap_err());

    let wrong_path = webhook(format!("{}/nowhere", provider.base_url()), DEFAULT_TIMEOUT);
    assert_permanent(&wrong_path.send(&message).unwrap_err());

    provider.behave(Behaviour::Fail {
        status: 429,
        retry_after: Some("2"),
        body: "",
    });
    assert_retryable(
        &gateway.send(&message).unwrap_err(),
        Some(Duration::from_secs(2)),
    );
    provider.behave(Behaviour::Fail {
        status: 500,
        retry_after: None,
        body: "oops",
    });
    assert_retryable(&gateway.send(&message).unwrap_err(), None);
    provider.behave(Behaviour::Fail {
        status: 200,
        retry_after: None,
        body: "not json",
    });
    assert_retryable(&gateway.send(&message).unwrap_err(), None);
    provider.behave(Behaviour::Slow(Duration::from_secs(3)));
    assert_retryable(&gateway.send(&message).unwrap_err(), None);
}

#[test]
fn a_refused_connection_is_retryable_for_every_gateway() {
    let message = sms("+22376123456", TEXT);
    let timeout = Duration::from_secs(2);
    let gateways: Vec<Box<SmsGateway>> = vec![
        Box::new(africas_talking(closed_port_url(), "at-secret-key", timeout)),
        Box::new(twilio(closed_port_url(), "twilio-token", timeout)),
        Box::new(webhook(format!("{}/sms", closed_port_url()), timeout)),
    ];
    for gateway in &gateways {
        let error = gateway.send(&message).unwrap_err();
        assert_retryable(&error, None);
        assert!(error.to_string().starts_with(gateway.name()), "{error}");
    }
}

#[test]
fn bad_settings_are_refused_when_the_gateway_is_built() {
    let config = TwilioConfig {
        base_url: "api.twilio.com".to_owned(),
        account_sid: TWILIO_SID.to_owned(),
        auth_token: "t".to_owned(),
        from: "+22320000000".to_owned(),
        status_callback: None,
        timeout: DEFAULT_TIMEOUT,
    };
    assert!(TwilioGateway::new(config.clone()).is_err());
    let mut traversal = config.clone();
    traversal.base_url = "https://api.twilio.com".to_owned();
    traversal.account_sid = "../../x".to_owned();
    assert!(TwilioGateway::new(traversal).is_err());
    assert!(
        AfricasTalkingGateway::new(AfricasTalkingConfig {
            base_url: "https://api.africastalking.com".to_owned(),
            username: "vigie".to_owned(),
            api_key: " ".to_owned(),
            sender_id: None,
            timeout: DEFAULT_TIMEOUT,
        })
        .is_err()
    );
}
