//! Community reports end to end: a monitor registered with the CLI, SMS arriving at
//! `vigie serve` through a gateway webhook, analysts verifying with the CLI — and the
//! reporters' phone numbers nowhere: not in the database files, the logs or any output.

mod support;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use support::serve::Server;
use support::{json, repository};

const SECRET: &str = "5c0f8a9d2e4b6c1a3f5e7d9b0a2c4e6f8a1b3d5f7e9c0b2d4f6a8c1e3b5d7f9a";
const SMSSYNC_SECRET: &str = "gateway-shared-secret-2026";
const MONITOR: &str = "+223 76 12 34 56";
const STRANGER: &str = "65987412";
/// Every spelling under which either number could leak.
const SPELLINGS: [&str; 8] = [
    "+22376123456",
    "22376123456",
    "76123456",
    "76 12 34 56",
    "0022376123456",
    "+22365987412",
    "65987412",
    "0022365987412",
];

fn command(database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vigie"));
    command
        .current_dir(repository())
        .env("VIGIE_SECRET", SECRET)
        .env("VIGIE_SMSSYNC_SECRET", SMSSYNC_SECRET)
        .env("RUST_LOG", "trace")
        .args(["--database", database]);
    command
}

fn run(database: &str, arguments: &[&str], stdin: Option<&str>) -> (String, String) {
    let mut child = command(database)
        .args(arguments)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "vigie {arguments:?}: {stderr}");
    (stdout, stderr)
}

fn start_server(database: &str) -> Server {
    Server::start(command(database))
}

fn smssync(server: &Server, from: &str, message: &str, message_id: &str) -> serde_json::Value {
    let mut response = ureq::post(&server.url("/webhooks/sms/smssync"))
        .send_form([
            ("from", from),
            ("message", message),
            ("message_id", message_id),
            ("sent_to", "+22320000000"),
            ("secret", SMSSYNC_SECRET),
            ("sent_timestamp", "1763800000000"),
        ])
        .unwrap();
    let body = response.body_mut().read_to_string().unwrap();
    serde_json::from_str(&body).unwrap()
}

#[test]
fn reports_flow_from_sms_to_review_without_leaking_a_number() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("vigie.sqlite3");
    let database = database.to_str().unwrap();
    let mut outputs = String::new();

    // The monitor's number comes in on standard input, never on the command line.
    let (registered, log) = run(
        database,
        &[
            "monitors",
            "add",
            "--phone",
            "-",
            "--role",
            "women",
            "--group",
            "Bankass-1",
            "--commune",
            "ML050303",
        ],
        Some(MONITOR),
    );
    assert!(registered.contains("registered monitor R-"), "{registered}");
    outputs.push_str(&registered);
    outputs.push_str(&log);

    let server = start_server(database);
    let known = smssync(
        &server,
        MONITOR,
        "ALERTE Dialassagou attaque 3 morts hommes armés à moto",
        "sms-1",
    );
    let unknown = smssync(&server, STRANGER, "ALERT Hombori cattle theft", "sms-2");
    let retry = smssync(&server, STRANGER, "ALERT Hombori cattle theft", "sms-2");
    let unclear = smssync(&server, STRANGER, "ALERTE Dialasagu", "sms-3");
    for answer in [&known, &unknown, &retry, &unclear] {
        assert_eq!(answer["payload"]["success"], true, "{answer}");
        outputs.push_str(&answer.to_string());
    }
    let reply = |answer: &serde_json::Value| {
        answer["payload"]["messages"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(reply(&known).contains("Diallassagou"), "{known}");
    assert_eq!(
        reply(&retry),
        reply(&unknown),
        "a provider retry gets the same answer"
    );
    assert!(
        reply(&unclear).contains("Diallassagou"),
        "a clarification suggests the commune: {unclear}"
    );
    let log = server.stop();

    let reports = json(&["reports", "list", "--json", "--database", database]);
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 3, "the retry was not recorded twice");
    let by_text = |text: &str| {
        reports
            .iter()
            .find(|report| report["text"].as_str().unwrap().starts_with(text))
            .unwrap()
    };
    assert_eq!(
        by_text("ALERTE Dialassagou")["status"],
        "verified",
        "a registered monitor is trusted"
    );
    assert_eq!(
        by_text("ALERTE Dialassagou")["incident"]["commune"],
        "ML050303"
    );
    assert_eq!(by_text("ALERTE Dialassagou")["incident"]["fatalities"], 3);
    assert_eq!(by_text("ALERT Hombori")["status"], "unverified");
    assert!(by_text("ALERTE Dialasagu")["incident"].is_null());
    assert!(by_text("ALERTE Dialasagu")["clarification"].is_string());
    let community = json(&[
        "events",
        "count",
        "--source",
        "community",
        "--json",
        "--database",
        database,
    ]);
    assert_eq!(
        community["events"], 2,
        "understood reports become events; the unclear one does not"
    );

    let hombori = by_text("ALERT Hombori")["id"].as_i64().unwrap();
    let (reviewed, review_log) = run(
        database,
        &[
            "reports",
            "verify",
            &format!("R{hombori}"),
            "--reason",
            "confirmed by the cercle prefect",
            "--analyst",
            "aminata",
            "--json",
        ],
        None,
    );
    let reviewed: serde_json::Value = serde_json::from_str(&reviewed).unwrap();
    assert_eq!(reviewed["status"], "verified");
    let (rejected, _) = run(
        database,
        &[
            "reports",
            "reject",
            &format!("R{hombori}"),
            "--reason",
            "duplicate of R1",
        ],
        None,
    );
    assert!(rejected.contains("rejected"), "{rejected}");
    assert_eq!(
        json(&[
            "events",
            "count",
            "--source",
            "community",
            "--json",
            "--database",
            database
        ])["events"],
        1,
        "a rejected report's event is withdrawn"
    );

    // Nothing anywhere carries a number in clear.
    outputs.push_str(&log);
    outputs.push_str(&review_log);
    outputs.push_str(&serde_json::to_string(reports).unwrap());
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory.path()).unwrap() {
        let mut bytes = Vec::new();
        std::fs::File::open(entry.unwrap().path())
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        files.push(bytes);
    }
    assert!(
        log.contains("TRACE") || log.contains("DEBUG") || log.contains("INFO"),
        "the log was captured at trace level"
    );
    for spelling in SPELLINGS {
        // SMSSync's answer must address the reply to the sender: that field alone is allowed.
        let without_reply_addresses = outputs
            .replace(&format!("\"to\":\"{STRANGER}\""), "")
            .replace(&format!("\"to\":\"{MONITOR}\""), "");
        assert!(
            !without_reply_addresses.contains(spelling),
            "{spelling} leaked into an output or log"
        );
        for bytes in &files {
            assert!(
                !bytes
                    .windows(spelling.len())
                    .any(|window| window == spelling.as_bytes()),
                "{spelling} is stored in clear in the database files"
            );
        }
    }
}
