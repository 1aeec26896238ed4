//! API keys from the store through the real server: 401 without a key, with a wrong one or a
//! revoked one; 403 when the role is too low; the public sees aggregates only. And the
//! health and metrics routes.

mod live_support;
mod support;

use std::time::{Duration, Instant};

use live_support::{KEY_TTL, LiveServer, ingest, report, warn};
use vigie_domain::{ApiRole, api_key_from_bytes};

#[test]
fn each_role_reads_exactly_what_it_may() {
    let server = LiveServer::start();
    ingest(server.store.as_ref(), &["MLI1", "MLI2"]);
    report(server.store.as_ref(), 1);
    let researcher = server.key(ApiRole::Researcher, 1);
    let analyst = server.key(ApiRole::Analyst, 2);
    let admin = server.key(ApiRole::Admin, 3);
    let wrong = api_key_from_bytes(&[200; 32]);

    for keyed in ["/collections/events/items", "/collections/reports/items"] {
        assert_eq!(server.get(keyed, None).status, 401, "{keyed}");
        assert_eq!(server.get(keyed, Some(&wrong)).status, 401, "{keyed}");
        assert_eq!(server.get(keyed, Some("vk_short")).status, 401, "{keyed}");
        for key in [&researcher, &analyst, &admin] {
            assert_eq!(server.get(keyed, Some(key)).status, 200, "{keyed}");
        }
    }
    let events = server
        .get("/collections/events/items", Some(&researcher))
        .json();
    // Two imported events and the report's community event.
    assert_eq!(events["features"].as_array().unwrap().len(), 3);

    // The public: aggregates only.
    for public in [
        "/collections/communes/items?limit=1",
        "/collections/regions/items?limit=1",
        "/collections",
    ] {
        assert_eq!(server.get(public, None).status, 200, "{public}");
    }

    // The key list: admins only.
    assert_eq!(server.get("/api/keys", None).status, 401);
    assert_eq!(server.get("/api/keys", Some(&wrong)).status, 401);
    let refused = server.get("/api/keys", Some(&researcher));
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("admin role"), "{}", refused.body);
    assert_eq!(server.get("/api/keys", Some(&analyst)).status, 403);
    let listed = server.get("/api/keys", Some(&admin));
    assert_eq!(listed.status, 200);
    let keys = listed.json();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 3);
    for secret in [&researcher, &analyst, &admin] {
        assert!(
            !listed.body.contains(&secret[3..]),
            "a key's secret is listed"
        );
    }
    assert!(!listed.body.contains("sha256"));
}

#[test]
fn a_revoked_key_stops_working_within_seconds() {
    let server = LiveServer::start();
    let key = server.key(ApiRole::Researcher, 1);
    assert_eq!(
        server.get("/collections/events/items", Some(&key)).status,
        200
    );
    let id = server.store.api_keys().unwrap()[0].id;
    server.store.revoke_api_key(id).unwrap();
    let revoked_at = Instant::now();
    loop {
        let status = server.get("/collections/events/items", Some(&key)).status;
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            revoked_at.elapsed() < KEY_TTL + Duration::from_secs(2),
            "the revoked key still works after {:?}",
            revoked_at.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.stream("", Some(&key), None).status, 401);
    // Its use was recorded while it worked.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.store.api_keys().unwrap()[0].last_used_at.is_none() {
        assert!(
            Instant::now() < deadline,
            "the key's use was never recorded"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn health_and_metrics_expose_the_named_series() {
    let server = LiveServer::start();
    let health = server.get("/healthz", None);
    assert_eq!(health.status, 200);
    assert_eq!(health.json(), serde_json::json!({"status": "ok"}));
    ingest(server.store.as_ref(), &["MLI1", "MLI2"]);
    warn(server.store.as_ref(), 1);
    server.get("/collections/events/items", None);
    server.get("/no/such/path", None);

    let metrics = server.get("/metrics", None);
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.content_type.starts_with("text/plain"),
        "{}",
        metrics.content_type
    );
    let body = metrics.body;
    for line in [
        "vigie_ingested_records_total{source=\"acled\"} 2",
        "vigie_quarantined_records_total{source=\"acled\"} 0",
        "vigie_open_warnings{level=\"alerte\"} 1",
        "vigie_open_warnings{level=\"urgence\"} 0",
        "vigie_outbox_notifications{status=\"pending\"} 0",
        "vigie_outbox_oldest_due_age_seconds 0",
        "vigie_http_requests_total{route=\"/healthz\",status=\"200\"} 1",
        "vigie_http_requests_total{route=\"/collections/{collectionId}/items\",status=\"401\"} 1",
        "vigie_http_requests_total{route=\"unmatched\",status=\"404\"} 1",
        "vigie_http_request_duration_seconds_count{route=\"/healthz\"} 1",
        "vigie_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 1",
        "# TYPE vigie_http_request_duration_seconds histogram",
        "# TYPE vigie_ingested_records_total counter",
    ] {
        assert!(body.contains(line), "missing {line:?} in\n{body}");
    }
    assert!(body.contains("vigie_stream_head "), "{body}");
    // Every sample line is `name{labels} value` or `name value`.
    for line in body.lines().filter(|line| !line.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
}
