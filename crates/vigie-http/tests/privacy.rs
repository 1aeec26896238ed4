//! An informant's number must never leave the edge: not in logs (at TRACE level, spans and
//! all), not in the database file, not in any HTTP answer.
//!
//! One test drives every channel — successes, retries, refusals, hostile input — with two
//! phone numbers written every way people write them, then scans everything this process
//! traced, every byte of the SQLite files, and every response body for those numbers.

mod support;

use serde_json::{Value, json};
use support::{AFRICASTALKING_TOKEN, RESPONSE_BODIES, SMSSYNC_SECRET, TestServer, captured_traces};
use vigie_domain::{MonitorRole, ZoneId};

/// A registered monitor and an unknown sender.
const MONITOR: [&str; 6] = [
    "+22376123456",
    "76123456",
    "76 12 34 56",
    "0022376123456",
    "+223 76-12-34-56",
    "22376123456",
];
const STRANGER: [&str; 4] = ["+22365432109", "65432109", "65 43 21 09", "0022365432109"];

/// What must never be found: the digits in the forms they could leak in.
const NEEDLES: [&str; 10] = [
    "+22376123456",
    "22376123456",
    "76123456",
    "76 12 34 56",
    "76-12-34-56",
    "0022376123456",
    "+22365432109",
    "65432109",
    "65 43 21 09",
    "0022365432109",
];

fn assert_clean(what: &str, haystack: &[u8]) {
    for needle in NEEDLES {
        let found = haystack
            .windows(needle.len())
            .position(|window| window == needle.as_bytes());
        if let Some(position) = found {
            let start = position.saturating_sub(80);
            let end = (position + needle.len() + 80).min(haystack.len());
            panic!(
                "{needle} found in {what}: …{}…",
                String::from_utf8_lossy(&haystack[start..end])
            );
        }
    }
}

/// An SMSSync success must name the number its reply goes to: that one field, and only when it
/// is exactly the sender as the gateway sent it, is taken out before scanning.
fn without_smssync_recipients(body: &str, senders: &[&str]) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(body) else {
        return body.to_owned();
    };
    if let Some(messages) = value
        .pointer_mut("/payload/messages")
        .and_then(Value::as_array_mut)
    {
        for message in messages {
            if let Some(object) = message.as_object_mut()
                && let Some(Value::String(to)) = object.remove("to")
            {
                assert!(senders.contains(&to.as_str()), "unexpected recipient {to}");
            }
        }
    }
    value.to_string()
}

#[test]
fn phone_numbers_never_reach_logs_the_database_or_responses() {
    let server = TestServer::start();
    server
        .store
        .register_reporter(
            &server
                .protector
                .new_reporter(
                    MONITOR[2],
                    true,
                    Some(MonitorRole::Youth),
                    Some("Diallassagou 1".into()),
                    Some(ZoneId::new("ML050303").unwrap()),
                )
                .unwrap(),
        )
        .unwrap();
    let texts = [
        "ALERTE Dialassagou attaque 3 morts hommes armés à moto",
        "ALERTE Dialasagu attaque",
        "ALERTE Benkadi enlèvement",
        "ALERT Hombori cattle theft",
        "bonjour",
        "<script>alert(1)</script> '; DROP TABLE reporters; --",
    ];
    let mut count = 0;
    for (sender_number, sender) in MONITOR.iter().chain(STRANGER.iter()).enumerate() {
        for text in texts {
            count += 1;
            let id = format!("privacy-{count}");
            // Each message goes twice: the retry must leave no more trace than the first.
            for _ in 0..2 {
                match sender_number % 4 {
                    0 => {
                        let parameters = [
                            ("MessageSid", id.as_str()),
                            ("From", sender),
                            ("To", "+22320000000"),
                            ("Body", text),
                        ];
                        assert_eq!(server.twilio(&parameters).status, 200);
                    }
                    1 => {
                        let parameters = [
                            ("from", *sender),
                            ("to", "36000"),
                            ("text", text),
                            ("date", "2026-11-22 04:00:00"),
                            ("id", id.as_str()),
                            ("linkId", "link"),
                        ];
                        assert_eq!(
                            server
                                .africastalking(AFRICASTALKING_TOKEN, &parameters)
                                .status,
                            200
                        );
                    }
                    2 => {
                        let parameters = [
                            ("from", *sender),
                            ("message", text),
                            ("message_id", id.as_str()),
                            ("sent_to", "+22320000000"),
                            ("secret", SMSSYNC_SECRET),
                            ("sent_timestamp", "1795320000000"),
                        ];
                        assert_eq!(server.smssync(&parameters).status, 200);
                    }
                    _ => {
                        let answer =
                            server.web(&json!({"text": text, "phone": sender, "client_id": id}));
                        assert!(
                            answer.status == 201 || answer.status == 200,
                            "{}",
                            answer.body
                        );
                    }
                }
            }
        }
        // Refusals carry the number too: they must not echo it.
        let refused_twilio = server.twilio_with_signature(
            &[
                ("MessageSid", "refused"),
                ("From", sender),
                ("Body", "ALERTE Bankass attaque"),
            ],
            Some("d3Jvbmc="),
        );
        assert_eq!(refused_twilio.status, 403);
        let refused_at = server.africastalking(
            "wrong-token-wrong-token",
            &[
                ("from", sender),
                ("text", "ALERTE Bankass attaque"),
                ("id", "refused"),
            ],
        );
        assert_eq!(refused_at.status, 404);
        let refused_smssync = server.smssync(&[
            ("from", sender),
            ("message", "ALERTE Bankass attaque"),
            ("message_id", "refused"),
            ("secret", "wrong"),
        ]);
        assert_eq!(refused_smssync.status, 403);
    }
    // Malformed numbers and numbers in the wrong JSON type must not be echoed either.
    for body in [
        json!({"text": "ALERTE Bankass attaque", "phone": "+22376123456x"}),
        json!({"text": "ALERTE Bankass attaque", "phone": 22376123456u64}),
        json!({"text": "ALERTE Bankass attaque", "phone": "+223 76 12 34 56 +"}),
        json!({"text": "ALERTE Bankass attaque", "+22376123456": "x"}),
        json!({"commune": "76123456", "event_type": "attaque"}),
    ] {
        let answer = server.web(&body);
        assert_eq!(answer.status, 422, "{}", answer.body);
    }
    let reports = server.reports();
    assert_eq!(reports.len(), count, "each message recorded once");
    assert!(
        reports
            .iter()
            .any(|report| report.status.as_str() == "verified"),
        "the monitor was recognised"
    );

    // Stop the server so no request is in flight, then scan.
    let mut server = server;
    server.stop();
    let database_directory = server.directory.path().to_owned();

    let traces = captured_traces();
    assert!(traces.contains("report received"), "traces were captured");
    assert!(traces.contains("R-"), "traces name reporters by pseudonym");
    assert_clean("the traces", traces.as_bytes());

    if server.database.starts_with("postgres") {
        // Every row of every table, as PostgreSQL writes it out.
        let mut client = postgres::Client::connect(&server.database, postgres::NoTls).unwrap();
        let tables: Vec<String> = client
            .query(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
                &[],
            )
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert!(tables.len() >= 5, "{tables:?}");
        for table in tables {
            let rows = client
                .query(&format!("SELECT t::text FROM \"{table}\" AS t"), &[])
                .unwrap();
            let text: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
            assert_clean(&format!("table {table}"), text.join("\n").as_bytes());
        }
    } else {
        let mut scanned_files = 0;
        for entry in std::fs::read_dir(&database_directory).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            assert_clean(&path.display().to_string(), &bytes);
            scanned_files += 1;
        }
        assert!(scanned_files >= 1);
    }

    let senders: Vec<&str> = MONITOR.iter().chain(STRANGER.iter()).copied().collect();
    let bodies = RESPONSE_BODIES.lock().unwrap().clone();
    assert!(bodies.len() > count);
    for body in bodies {
        let scanned = without_smssync_recipients(&body, &senders);
        assert_clean("a response body", scanned.as_bytes());
    }
}
