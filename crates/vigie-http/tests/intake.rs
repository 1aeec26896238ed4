//! The intake routes end to end: a real server on a socket, a real SQLite store, a real client.

mod support;

use serde_json::json;
use support::{AFRICASTALKING_TOKEN, SMSSYNC_SECRET, TestServer, quoted_report_id};
use vigie_domain::store::EventQuery;
use vigie_domain::{EventSource, EventType, LocateStatus, MonitorRole, ReportStatus, ZoneId};

fn twilio_sms<'a>(sid: &'a str, from: &'a str, body: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("MessageSid", sid),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", from),
        ("To", "+22320000000"),
        ("Body", body),
        ("NumMedia", "0"),
    ]
}

#[test]
fn a_signed_twilio_report_is_recorded_and_acknowledged_in_twiml() {
    let server = TestServer::start();
    let answer = server.twilio(&twilio_sms(
        "SM0001",
        "+22376123456",
        "ALERTE Dialassagou attaque 3 morts hommes armés à moto",
    ));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/xml"));
    let reports = server.reports();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(
        answer.body,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>Vigie: alerte recue - \
             Diallassagou, attaque, 3 morts. Réf R{}. Merci.</Message></Response>",
            report.id
        )
    );
    let incident = report.incident.as_ref().expect("understood");
    assert_eq!(incident.commune.as_str(), "ML050303");
    assert_eq!(incident.event_type, EventType::ViolenceAgainstCivilians);
    assert_eq!(incident.fatalities, 3);
    assert_eq!(report.language, "fr");
    let location = report.location.as_ref().expect("placed");
    assert_eq!(
        location.commune.as_ref().map(ZoneId::as_str),
        Some("ML050303")
    );
    assert_eq!(location.cercle.as_ref().map(ZoneId::as_str), Some("ML0503"));
    // The report became a community event, at the commune's representative point.
    let events = server
        .store
        .events(&EventQuery {
            source: Some(EventSource::Community),
            ..EventQuery::default()
        })
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].located.event.source_event_id,
        format!("R{}", report.id)
    );
    let point = support::GEOGRAPHY
        .directory
        .commune(&ZoneId::new("ML050303").unwrap())
        .unwrap()
        .representative_point
        .unwrap();
    assert_eq!(
        (
            events[0].located.event.longitude,
            events[0].located.event.latitude
        ),
        point
    );
}

#[test]
fn twilio_requests_without_a_valid_signature_are_refused() {
    let server = TestServer::start();
    let parameters = twilio_sms("SM0002", "+22376123456", "ALERTE Bankass attaque");
    let missing = server.twilio_with_signature(&parameters, None);
    assert_eq!(missing.status, 403, "{}", missing.body);
    assert_eq!(missing.content_type, "application/problem+json");
    let signature = server.twilio_signature("/webhooks/sms/twilio", &parameters);
    let mut tampered = parameters.clone();
    tampered[4] = ("Body", "ALERTE Bankass attaque 30 morts");
    let wrong = server.twilio_with_signature(&tampered, Some(&signature));
    assert_eq!(wrong.status, 403);
    let garbage = server.twilio_with_signature(&parameters, Some("bm90IGEgc2lnbmF0dXJl"));
    assert_eq!(garbage.status, 403);
    assert!(server.reports().is_empty(), "nothing recorded");
    let signed = server.twilio_with_signature(&parameters, Some(&signature));
    assert_eq!(signed.status, 200, "{}", signed.body);
}

#[test]
fn provider_retries_are_recorded_once_and_answered_the_same() {
    let server = TestServer::start();
    let parameters = twilio_sms("SM0003", "+22376123456", "ALERT Menaka IED 4 killed");
    let first = server.twilio(&parameters);
    let retry = server.twilio(&parameters);
    assert_eq!(first.status, 200);
    assert_eq!(retry.status, 200);
    assert_eq!(first.body, retry.body);
    assert!(
        first
            .body
            .contains("Vigie: alert received - Ménaka, explosive device, 4 dead.")
    );
    assert_eq!(server.reports().len(), 1);

    let at = [
        ("from", "+22376123456"),
        ("to", "36000"),
        ("text", "ALERTE Bankass menace"),
        ("date", "2026-11-22 04:00:00"),
        ("id", "ATXid_0001"),
        ("linkId", "SampleLinkId123"),
    ];
    let first = server.africastalking(AFRICASTALKING_TOKEN, &at);
    let retry = server.africastalking(AFRICASTALKING_TOKEN, &at);
    assert_eq!((first.status, retry.status), (200, 200));
    assert_eq!(first.body, retry.body);
    assert_eq!(server.reports().len(), 2);
}

#[test]
fn africastalking_needs_the_callback_token() {
    let server = TestServer::start();
    let parameters = [
        ("from", "+22376123456"),
        ("to", "36000"),
        ("text", "ALERTE Koro EEI sur la route 1 mort"),
        ("date", "2026-11-22 04:00:00"),
        ("id", "ATXid_0002"),
        ("linkId", "SampleLinkId124"),
    ];
    let wrong = server.africastalking("not-the-token-at-all-000", &parameters);
    assert_eq!(wrong.status, 404);
    let prefix = server.africastalking(&AFRICASTALKING_TOKEN[..10], &parameters);
    assert_eq!(prefix.status, 404);
    assert!(server.reports().is_empty());
    let right = server.africastalking(AFRICASTALKING_TOKEN, &parameters);
    assert_eq!(right.status, 200, "{}", right.body);
    assert!(right.content_type.starts_with("text/plain"));
    let id = quoted_report_id(&right.body).expect("the reply quotes the report");
    assert_eq!(
        right.body,
        format!("Vigie: alerte recue - Koro, engin explosif, 1 mort. Réf R{id}. Merci.")
    );
    assert_eq!(server.reports()[0].id, id);
}

#[test]
fn smssync_needs_the_secret_and_answers_with_a_send_task() {
    let server = TestServer::start();
    let mut parameters = vec![
        ("from", "+22376123456"),
        ("message", "ALERTE Tenenkou incendie de village"),
        ("message_id", "b0a6b5b2-0001"),
        ("sent_to", "+22320000000"),
        ("secret", "wrong-secret"),
        ("sent_timestamp", "1795320000000"),
    ];
    let refused = server.smssync(&parameters);
    assert_eq!(refused.status, 403);
    let payload = refused.json();
    assert_eq!(payload["payload"]["success"], false);
    assert!(payload["payload"]["error"].is_string());
    assert!(server.reports().is_empty());

    parameters[4] = ("secret", SMSSYNC_SECRET);
    let accepted = server.smssync(&parameters);
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let payload = accepted.json();
    assert_eq!(payload["payload"]["success"], true);
    assert_eq!(payload["payload"]["task"], "send");
    let messages = payload["payload"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["to"], "+22376123456");
    let reply = messages[0]["message"].as_str().unwrap();
    assert!(
        reply.starts_with("Vigie: alerte recue - Ténenkou Commune, incendie."),
        "{reply}"
    );
    let uuid = messages[0]["uuid"].as_str().unwrap();
    assert_eq!(uuid.len(), 36);
    let retry = server.smssync(&parameters).json();
    assert_eq!(
        retry["payload"]["messages"][0]["uuid"], uuid,
        "a retry repeats the reply id"
    );
    assert_eq!(server.reports().len(), 1);
}

#[test]
fn unknown_senders_are_unverified_and_registered_monitors_verified() {
    let server = TestServer::start();
    let monitor = server
        .protector
        .new_reporter(
            "76 12 34 56",
            true,
            Some(MonitorRole::Women),
            Some("Bankass groupe 1".into()),
            Some(ZoneId::new("ML050301").unwrap()),
        )
        .unwrap();
    let registered = server.store.register_reporter(&monitor).unwrap();
    assert!(registered.trusted);

    let from_monitor = server.twilio(&twilio_sms(
        "SM0010",
        "+22376123456",
        "ALERTE Bankass attaque",
    ));
    assert_eq!(from_monitor.status, 200);
    let from_stranger = server.twilio(&twilio_sms(
        "SM0011",
        "+22365432109",
        "ALERTE Bankass attaque",
    ));
    assert_eq!(from_stranger.status, 200);

    let monitor_report = server
        .store
        .report(quoted_report_id(&from_monitor.body).unwrap())
        .unwrap();
    assert_eq!(monitor_report.status, ReportStatus::Verified);
    assert_eq!(
        monitor_report.reporter.as_deref(),
        Some(registered.pseudonym.as_str())
    );
    let stranger_report = server
        .store
        .report(quoted_report_id(&from_stranger.body).unwrap())
        .unwrap();
    assert_eq!(stranger_report.status, ReportStatus::Unverified);
    assert_ne!(stranger_report.reporter, monitor_report.reporter);

    // The web form protects a phone the same way: the monitor is recognised there too.
    let web = server.web(&json!({"text": "ALERTE Bankass menace", "phone": "0022376123456"}));
    assert_eq!(web.status, 201, "{}", web.body);
    assert_eq!(web.json()["status"], "verified");
}

#[test]
fn reports_needing_a_question_are_kept_and_the_question_is_the_reply() {
    let server = TestServer::start();
    let unknown = server.twilio(&twilio_sms(
        "SM0020",
        "+22376123456",
        "ALERTE Dialasagu attaque",
    ));
    assert_eq!(unknown.status, 200);
    assert!(
        unknown.body.contains(
            "Vigie: commune &quot;Dialasagu&quot; inconnue. Vouliez-vous dire Diallassagou ? \
             Renvoyez: ALERTE &lt;commune&gt; &lt;incident&gt;"
        ),
        "{}",
        unknown.body
    );
    let ambiguous = server.twilio(&twilio_sms(
        "SM0021",
        "+22376123456",
        "ALERTE Benkadi enlèvement",
    ));
    assert!(
        ambiguous
            .body
            .contains("Dioila, Kangaba, Kolokani, Sikasso"),
        "{}",
        ambiguous.body
    );
    let resolved = server.twilio(&twilio_sms(
        "SM0022",
        "+22376123456",
        "ALERTE Benkadi Dioila enlèvement",
    ));
    assert!(
        resolved.body.contains("Benkadi, enlèvement"),
        "{}",
        resolved.body
    );

    let reports = server.reports();
    assert_eq!(reports.len(), 3, "nothing is dropped");
    let kept: Vec<_> = reports
        .iter()
        .filter(|report| report.incident.is_none())
        .collect();
    assert_eq!(kept.len(), 2);
    for report in kept {
        assert_eq!(report.status, ReportStatus::Unverified);
        assert!(report.text.starts_with("ALERTE "));
        assert!(
            report
                .clarification
                .as_deref()
                .unwrap()
                .starts_with("Vigie: ")
        );
    }
}

#[test]
fn the_web_form_places_reports_by_coordinates_or_by_commune() {
    let server = TestServer::start();
    let two_days_ago = (chrono::Utc::now().date_naive() - chrono::Days::new(2)).to_string();
    // A point in Bankass.
    let located = server.web(&json!({
        "event_type": "attaque",
        "latitude": 14.073,
        "longitude": -3.5149,
        "fatalities": 2,
        "occurred_on": two_days_ago,
        "client_id": "form-0001",
    }));
    assert_eq!(located.status, 201, "{}", located.body);
    let body = located.json();
    assert_eq!(body["status"], "unverified");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(
        body["reply"],
        format!("Vigie: alerte recue - Bankass, attaque, 2 morts. Réf R{id}. Merci.")
    );
    let report = server.store.report(id).unwrap();
    assert_eq!(report.coordinates, Some((-3.5149, 14.073)));
    let location = report.location.unwrap();
    assert_eq!(location.status, LocateStatus::Inside);
    assert_eq!(location.commune.unwrap().as_str(), "ML050301");
    assert_eq!(
        report.incident.unwrap().occurred_on.to_string(),
        two_days_ago
    );

    let named = server.web(&json!({"commune": "Ségou", "event_type": "Battles", "language": "en"}));
    assert_eq!(named.status, 201, "{}", named.body);
    let body = named.json();
    assert!(
        body["reply"]
            .as_str()
            .unwrap()
            .starts_with("Vigie: alert received - Ségou Commune, battle."),
        "{body}"
    );
    let report = server.store.report(body["id"].as_i64().unwrap()).unwrap();
    assert_eq!(report.incident.unwrap().commune.as_str(), "ML040224");

    let texted = server.web(&json!({"text": "alerte ségou affrontement 2 tués 5 blessés"}));
    assert_eq!(texted.status, 201);
    assert!(
        texted.json()["reply"]
            .as_str()
            .unwrap()
            .contains("2 morts, 5 blessés")
    );

    // A resubmission under the same client id is a duplicate: 200, same answer, no new report.
    let again = server.web(&json!({
        "event_type": "attaque",
        "latitude": 14.073,
        "longitude": -3.5149,
        "fatalities": 2,
        "occurred_on": two_days_ago,
        "client_id": "form-0001",
    }));
    assert_eq!(again.status, 200);
    assert_eq!(again.json(), located.json());
    assert_eq!(server.reports().len(), 3);
}

#[test]
fn the_web_form_refuses_what_it_cannot_place_or_read() {
    let server = TestServer::start();
    // The Atlantic, with no commune named.
    let outside =
        server.web(&json!({"event_type": "attaque", "latitude": 10.0, "longitude": -30.0}));
    assert_eq!(outside.status, 422, "{}", outside.body);
    assert_eq!(outside.content_type, "application/problem+json");
    // The same point with a commune is accepted and placed in the commune.
    let with_commune = server.web(&json!({
        "event_type": "attaque", "latitude": 10.0, "longitude": -30.0, "commune": "ML050301"
    }));
    assert_eq!(with_commune.status, 201, "{}", with_commune.body);

    let ambiguous = server.web(&json!({"commune": "Benkadi", "event_type": "attaque"}));
    assert_eq!(ambiguous.status, 422);
    assert_eq!(ambiguous.json()["candidates"].as_array().unwrap().len(), 4);
    let unknown = server.web(&json!({"commune": "Dialasagu", "event_type": "attaque"}));
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.json()["suggestions"][0]["id"], "ML050303");

    let malformed = server.post_raw("/api/reports", "application/json", b"{\"text\": ");
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    let problem = malformed.json();
    assert_eq!(problem["status"], 400);
    assert_eq!(problem["title"], "bad request");
    let not_json = server.post_raw("/api/reports", "text/plain", b"ALERTE Bankass attaque");
    assert_eq!(not_json.status, 415);
    let wrong_type = server.web(&json!({"commune": "Bankass", "fatalities": "three"}));
    assert_eq!(wrong_type.status, 422);
    assert_eq!(wrong_type.json()["detail"], "fatalities must be a number");
    let unknown_field = server.web(&json!({"commune": "Bankass", "deaths": 3}));
    assert_eq!(unknown_field.status, 422);
    assert_eq!(server.reports().len(), 1);
}

#[test]
fn oversized_bodies_are_refused_with_413() {
    let server = TestServer::start();
    // The request declares a body over the limit and sends none of it: the server must
    // refuse on the declaration, before reading. (Sending the whole body races the server's
    // close: unread bytes make the kernel reset the connection, which can swallow the 413.)
    for (path, content_type) in [
        ("/api/reports", "application/json"),
        ("/webhooks/sms/twilio", "application/x-www-form-urlencoded"),
    ] {
        let (status, head, body) = declared_only(&server, path, content_type, 20 * 1024);
        assert_eq!(status, 413, "{path}: {head}{body}");
        // The body limit refuses before any handler runs; the refusal is still a problem
        // document, as the OpenAPI document says.
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/problem+json"),
            "{head}"
        );
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["status"], 413);
    }
    let smaller = server.web(&json!({"text": "A".repeat(2_000)}));
    assert_eq!(
        smaller.status, 422,
        "a text beyond 1600 characters is refused"
    );
    assert!(server.reports().is_empty());
}

/// Sends a POST whose headers declare `length` bytes of body, sends no body, and reads the
/// answer: status, head, body.
fn declared_only(
    server: &TestServer,
    path: &str,
    content_type: &str,
    length: usize,
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let address = server.base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

#[test]
fn a_wrong_method_is_refused_with_a_problem() {
    let server = TestServer::start();
    let refused = server.post_raw("/collections", "application/json", b"{}");
    assert_eq!(refused.status, 405);
    assert_eq!(refused.content_type, "application/problem+json");
    assert_eq!(refused.json()["status"], 405);
}

#[test]
fn hostile_texts_never_cause_a_server_error() {
    let server = TestServer::start();
    let hostile = [
        // Long, but under the body limit once form-encoded (three bytes of `%XX` per byte):
        // oversized bodies have their own test, and a client still writing when the server
        // answers 413 can see the connection reset instead of the answer.
        "😀".repeat(1_000),
        "ALERTE \u{0}\u{0}Bankass\u{0} attaque\u{7}".to_owned(),
        "<script>alert('vigie')</script>".to_owned(),
        "'; DROP TABLE reports; --".to_owned(),
        "\" OR 1=1 --".to_owned(),
        "1234567890".to_owned(),
        "\u{202e}\u{feff}\u{200b}".to_owned(),
        "%00%ff%fe".to_owned(),
        String::new(),
    ];
    for (number, text) in hostile.iter().enumerate() {
        let sid = format!("SMhostile{number}");
        let answers = [
            server.twilio(&twilio_sms(&sid, "+22376123456", text)),
            server.africastalking(
                AFRICASTALKING_TOKEN,
                &[
                    ("from", "+22376123456"),
                    ("text", text.as_str()),
                    ("id", sid.as_str()),
                ],
            ),
            server.smssync(&[
                ("from", "+22376123456"),
                ("message", text.as_str()),
                ("message_id", sid.as_str()),
                ("secret", SMSSYNC_SECRET),
            ]),
            server.web(&json!({"text": text, "client_id": sid})),
        ];
        for answer in answers {
            assert!(
                answer.status < 500,
                "{number}: {} {}",
                answer.status,
                answer.body
            );
            if answer.status == 200 || answer.status == 201 {
                assert!(
                    !answer.body.contains("alerte recue") || number == 1,
                    "{}",
                    answer.body
                );
            }
        }
    }
    // Bodies that are not forms at all.
    let binary = server.post_raw(
        "/webhooks/sms/smssync",
        "application/x-www-form-urlencoded",
        &[0xff, 0xfe, 0x00, b'=', 0x80],
    );
    assert!(binary.status < 500, "{}", binary.status);
    for report in server.reports() {
        assert!(
            !report.text.contains('\u{0}'),
            "control characters are not stored"
        );
    }
}

#[test]
fn unconfigured_gateways_and_unknown_routes_answer_404() {
    let server = TestServer::start_with(|config| {
        config.twilio = None;
        config.africas_talking = None;
    });
    let twilio =
        server.twilio_with_signature(&twilio_sms("SM0040", "+22376123456", "ALERTE"), None);
    assert_eq!(twilio.status, 404);
    let at = server.africastalking(AFRICASTALKING_TOKEN, &[("id", "x"), ("text", "ALERTE")]);
    assert_eq!(at.status, 404);
    let nowhere = server.post_raw("/webhooks/sms/other", "text/plain", b"hello");
    assert_eq!(nowhere.status, 404);
    assert_eq!(nowhere.json()["title"], "not found");
}
