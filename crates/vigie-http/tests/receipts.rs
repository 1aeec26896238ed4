//! Delivery receipts from the three SMS gateways through the real router (`oneshot`) over a
//! real SQLite outbox: rows sent with a provider message id become delivered or dead;
//! intermediate statuses, unknown ids and unauthenticated callbacks change nothing.

mod support;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha1::Sha1;
use support::{DEPLOYMENT_SECRET, GEOGRAPHY};
use tower::ServiceExt;
use vigie_domain::store::Store;
use vigie_domain::{
    Channel, InitialStatus, NewNotification, Notification, NotificationQuery, NotificationStatus,
    PhoneProtector, TransitionKind, WarningLevel, WarningRecord, ZoneId, ZoneLevel,
};
use vigie_http::{
    AfricasTalkingConfig, AppState, Clock, IntakeConfig, ReceiptsConfig, Secret, TwilioConfig,
    WebhookReceiptsConfig,
};

const AT_TOKEN: &str = "at-receipts-token-0123456789";
const TWILIO_TOKEN: &str = "twilio-auth-token-for-receipts-01";
const WEBHOOK_TOKEN: &str = "webhook-receipts-bearer-token-01";
const PUBLIC_BASE: &str = "https://vigie.example.org";
const OWNER: &str = "dispatcher-test";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap()
}

struct Outbox {
    store: Arc<dyn Store>,
    router: Router,
    _directory: tempfile::TempDir,
}

/// One warning and one SMS notification per `(provider, provider message id)`, each claimed
/// and marked sent with that id; returns the rows' ids in the same order.
fn outbox(sent: &[(&str, &str)]) -> (Outbox, Vec<i64>) {
    let directory = tempfile::tempdir().unwrap();
    let store = support::open_test_store(directory.path());
    let zone = ZoneId::new("ML050301").unwrap();
    let warning = WarningRecord {
        episode: "surge-7d/ML050301/2026-11-20".to_owned(),
        rule: "surge-7d".to_owned(),
        zone: zone.clone(),
        zone_level: ZoneLevel::Commune,
        zone_name: "Bankass".to_owned(),
        kind: TransitionKind::Opened,
        level: Some(WarningLevel::Alerte),
        previous_level: None,
        at: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
        evidence: json!({}),
        late: false,
        inhibited_by: None,
    };
    let notifications: Vec<NewNotification> = (0..sent.len())
        .map(|index| NewNotification {
            idempotency_key: format!("surge-7d/ML050301/2026-11-20:opened:m{index}:sms"),
            committee: "cr-mopti".to_owned(),
            recipient: format!("cr-mopti/m{index}"),
            channel: Channel::Sms,
            zone: zone.clone(),
            level: WarningLevel::Alerte,
            payload: json!({}),
            not_before: now() - chrono::Duration::minutes(5),
            status: InitialStatus::Pending,
        })
        .collect();
    store.record_warnings(&[warning], &notifications).unwrap();
    let claimed = store
        .claim_notifications(OWNER, now(), std::time::Duration::from_secs(60), 100)
        .unwrap();
    assert_eq!(claimed.len(), sent.len());
    let mut ids: Vec<i64> = claimed.iter().map(|row| row.id).collect();
    ids.sort_unstable();
    for (id, (provider, message_id)) in ids.iter().zip(sent) {
        let marked = store
            .mark_sent(&[*id], OWNER, provider, Some(message_id), None, now())
            .unwrap();
        assert_eq!(marked, [*id]);
    }
    let config = IntakeConfig {
        receipts: ReceiptsConfig {
            africas_talking: Some(AfricasTalkingConfig {
                url_token: Secret::new(AT_TOKEN),
            }),
            twilio: Some(TwilioConfig {
                auth_token: Secret::new(TWILIO_TOKEN),
                public_base_url: PUBLIC_BASE.to_owned(),
            }),
            webhook: Some(WebhookReceiptsConfig {
                bearer_token: Secret::new(WEBHOOK_TOKEN),
            }),
        },
        ..IntakeConfig::default()
    };
    config.validate().expect("a valid test configuration");
    let state = AppState::new(
        store.clone(),
        GEOGRAPHY.zones.clone(),
        GEOGRAPHY.index.clone(),
        Arc::new(PhoneProtector::new(DEPLOYMENT_SECRET).unwrap()),
        config,
    )
    .with_clock(Clock::fixed(now() + chrono::Duration::minutes(2)));
    let router = vigie_http::router(state);
    (
        Outbox {
            store,
            router,
            _directory: directory,
        },
        ids,
    )
}

impl Outbox {
    fn row(&self, id: i64) -> Notification {
        self.store
            .notifications(&NotificationQuery::default())
            .unwrap()
            .into_iter()
            .find(|row| row.id == id)
            .unwrap()
    }

    fn statuses(&self) -> Vec<NotificationStatus> {
        self.store
            .notifications(&NotificationQuery::default())
            .unwrap()
            .into_iter()
            .map(|row| row.status)
            .collect()
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body)
    }

    async fn form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        signature: Option<&str>,
    ) -> (StatusCode, Value) {
        let body = form_body(fields);
        let mut request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(signature) = signature {
            request = request.header("X-Twilio-Signature", signature);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    async fn africas_talking(&self, token: &str, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        self.form(
            &format!("/webhooks/receipts/africastalking/{token}"),
            fields,
            None,
        )
        .await
    }

    async fn twilio(&self, fields: &[(&str, &str)], signature: &str) -> (StatusCode, Value) {
        self.form("/webhooks/receipts/twilio", fields, Some(signature))
            .await
    }

    async fn webhook(&self, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = Request::post("/webhooks/receipts/webhook")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body.to_string())).unwrap())
            .await
    }
}

fn form_body(fields: &[(&str, &str)]) -> String {
    fn encode(text: &str) -> String {
        text.bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    char::from(byte).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{byte:02X}"),
            })
            .collect()
    }
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Twilio's signature, computed independently of the server's code: HMAC-SHA1 over the URL
/// and the parameters sorted by name, base64.
fn twilio_signature(fields: &[(&str, &str)]) -> String {
    let mut sorted = fields.to_vec();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(TWILIO_TOKEN.as_bytes()).unwrap();
    mac.update(format!("{PUBLIC_BASE}/webhooks/receipts/twilio").as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn africas_talking_reports_mark_rows_delivered_or_dead() {
    let (outbox, ids) = outbox(&[
        ("sms:africastalking", "ATXid_delivered"),
        ("sms:africastalking", "ATXid_rejected"),
    ]);
    // On its way: nothing changes.
    let (status, body) = outbox
        .africas_talking(
            AT_TOKEN,
            &[("id", "ATXid_delivered"), ("status", "Buffered")],
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 0 })));
    assert_eq!(outbox.statuses(), [NotificationStatus::Sent; 2]);

    let (status, body) = outbox
        .africas_talking(
            AT_TOKEN,
            &[
                ("id", "ATXid_delivered"),
                ("status", "Success"),
                ("phoneNumber", "+22376000000"),
                ("networkCode", "61001"),
            ],
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 1 })));
    let delivered = outbox.row(ids[0]);
    assert_eq!(delivered.status, NotificationStatus::Delivered);
    assert!(delivered.delivered_at.is_some());

    let (status, body) = outbox
        .africas_talking(
            AT_TOKEN,
            &[
                ("id", "ATXid_rejected"),
                ("status", "Rejected"),
                ("failureReason", "UserInBlackList"),
            ],
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 1 })));
    let dead = outbox.row(ids[1]);
    assert_eq!(dead.status, NotificationStatus::Dead);
    assert_eq!(
        dead.last_error.as_deref(),
        Some("africastalking: Rejected: UserInBlackList")
    );

    // A retried report changes nothing more.
    let (status, body) = outbox
        .africas_talking(
            AT_TOKEN,
            &[("id", "ATXid_delivered"), ("status", "Success")],
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 0 })));
}

#[tokio::test]
async fn twilio_status_callbacks_are_signed_and_mark_rows_delivered_or_dead() {
    let (outbox, ids) = outbox(&[
        ("sms:twilio", "SM00000000000000000000000000000001"),
        ("sms:twilio", "SM00000000000000000000000000000002"),
    ]);
    let sent = [
        ("MessageSid", "SM00000000000000000000000000000001"),
        ("MessageStatus", "sent"),
        ("AccountSid", "AC0000"),
    ];
    let (status, body) = outbox.twilio(&sent, &twilio_signature(&sent)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 0 })));

    let delivered = [
        ("MessageSid", "SM00000000000000000000000000000001"),
        ("MessageStatus", "delivered"),
        ("AccountSid", "AC0000"),
    ];
    // Signed over other parameters (or not signed): refused, nothing changes.
    let (status, _) = outbox.twilio(&delivered, &twilio_signature(&sent)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = outbox.twilio(&delivered, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(outbox.statuses(), [NotificationStatus::Sent; 2]);

    let (status, body) = outbox
        .twilio(&delivered, &twilio_signature(&delivered))
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 1 })));
    assert_eq!(outbox.row(ids[0]).status, NotificationStatus::Delivered);

    let undelivered = [
        ("MessageSid", "SM00000000000000000000000000000002"),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "30003"),
    ];
    let (status, body) = outbox
        .twilio(&undelivered, &twilio_signature(&undelivered))
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 1 })));
    let dead = outbox.row(ids[1]);
    assert_eq!(dead.status, NotificationStatus::Dead);
    assert_eq!(
        dead.last_error.as_deref(),
        Some("twilio: undelivered: error 30003")
    );
}

#[tokio::test]
async fn webhook_receipts_need_the_bearer_token_and_mark_rows_delivered_or_dead() {
    let (outbox, ids) = outbox(&[("sms:webhook", "wh-1"), ("sms:webhook", "wh-2")]);
    let delivered = json!({ "id": "wh-1", "status": "delivered" });
    let (status, _) = outbox.webhook(None, delivered.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = outbox
        .webhook(Some("webhook-receipts-bearer-token-02"), delivered.clone())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(outbox.statuses(), [NotificationStatus::Sent; 2]);

    let (status, body) = outbox
        .webhook(
            Some(WEBHOOK_TOKEN),
            json!({ "id": "wh-1", "status": "queued" }),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 0 })));
    let (status, body) = outbox.webhook(Some(WEBHOOK_TOKEN), delivered).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 1 })));
    assert_eq!(outbox.row(ids[0]).status, NotificationStatus::Delivered);

    let (status, body) = outbox
        .webhook(
            Some(WEBHOOK_TOKEN),
            json!({ "id": "wh-2", "status": "failed", "detail": "handset\u{0} unreachable" }),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 1 })));
    let dead = outbox.row(ids[1]);
    assert_eq!(dead.status, NotificationStatus::Dead);
    assert_eq!(
        dead.last_error.as_deref(),
        Some("webhook: handset unreachable")
    );

    let (status, _) = outbox
        .webhook(
            Some(WEBHOOK_TOKEN),
            json!({ "id": "wh-2", "status": "lost" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn unknown_ids_and_wrong_tokens_change_nothing() {
    let (outbox, _) = outbox(&[
        ("sms:africastalking", "ATXid_1"),
        ("sms:twilio", "SM1"),
        ("sms:webhook", "wh-1"),
    ]);
    let before = outbox
        .store
        .notifications(&NotificationQuery::default())
        .unwrap();

    // Unknown ids are answered 200 (gateways retry on errors), updating nothing.
    let (status, body) = outbox
        .africas_talking(AT_TOKEN, &[("id", "ATXid_unknown"), ("status", "Success")])
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 0 })));
    let unknown = [("MessageSid", "SM404"), ("MessageStatus", "delivered")];
    let (status, body) = outbox.twilio(&unknown, &twilio_signature(&unknown)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 0 })));
    let (status, body) = outbox
        .webhook(
            Some(WEBHOOK_TOKEN),
            json!({ "id": "wh-404", "status": "failed" }),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 0 })));

    // The same message id under another provider is not that provider's message.
    let (status, body) = outbox
        .webhook(
            Some(WEBHOOK_TOKEN),
            json!({ "id": "SM1", "status": "delivered" }),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 0 })));

    // A wrong URL token gets the 404 of an unknown path, as the intake's callback does: the
    // token is the only secret, and the answer must not confirm the route exists.
    let (status, _) = outbox
        .africas_talking(
            "at-receipts-token-wrong-0000",
            &[("id", "ATXid_1"), ("status", "Success")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(
        outbox
            .store
            .notifications(&NotificationQuery::default())
            .unwrap(),
        before
    );
}

#[tokio::test]
async fn receipt_routes_of_unconfigured_gateways_are_not_found() {
    let directory = tempfile::tempdir().unwrap();
    let store = support::open_test_store(directory.path());
    let state = AppState::new(
        store,
        GEOGRAPHY.zones.clone(),
        GEOGRAPHY.index.clone(),
        Arc::new(PhoneProtector::new(DEPLOYMENT_SECRET).unwrap()),
        IntakeConfig::default(),
    );
    let router = vigie_http::router(state);
    for (path, content_type, body) in [
        (
            "/webhooks/receipts/africastalking/anything-at-all-0000",
            "application/x-www-form-urlencoded",
            "id=1&status=Success",
        ),
        (
            "/webhooks/receipts/twilio",
            "application/x-www-form-urlencoded",
            "MessageSid=SM1&MessageStatus=delivered",
        ),
        (
            "/webhooks/receipts/webhook",
            "application/json",
            r#"{"id":"1","status":"delivered"}"#,
        ),
    ] {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::AUTHORIZATION, "Bearer anything")
            .body(Body::from(body))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
