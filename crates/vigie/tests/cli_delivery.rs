//! Warnings reach committees through real channels: `vigie warn` records transitions and
//! their notifications, `vigie dispatch` sends them to a JSON SMS gateway written here (an
//! HTTP server on a loopback port that can be slow or down) and to a real SMTP server
//! (aiosmtpd, from the Python venv `scripts/test.sh` prepares).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::mali::{acled_file, committees_file, mopti_communes, rules_file};
use support::repository;
use support::sinks::{SmsGateway, SmtpServer};

impl SmtpServer {
    /// The CAP message in the text part of the first email, decoded by Python's email parser.
    fn cap_of_first_message(&self) -> String {
        let first = self.message_files().into_iter().next().expect("an email");
        let python = std::env::var_os("VIGIE_TEST_PYTHON").unwrap();
        let script = "import email, sys\nfrom email import policy\n\
            message = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)\n\
            text = message.get_body(preferencelist=('plain',)).get_content()\n\
            print(text[text.index('<?xml'):text.index('</alert>') + len('</alert>')])\n";
        let output = Command::new(python)
            .arg("-c")
            .arg(script)
            .arg(&first)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }
}

/// Runs xmllint with the CAP 1.2 schema shipped as a fixture of vigie-notify.
fn validate_cap(xml: &str, directory: &Path) {
    let xmllint = std::env::var_os("VIGIE_TEST_XMLLINT")
        .filter(|path| !path.is_empty())
        .expect("VIGIE_TEST_XMLLINT is not set: run scripts/test.sh, which installs xmllint");
    let file = directory.join("test-message.xml");
    std::fs::write(&file, xml).unwrap();
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../vigie-notify/tests/fixtures/CAP-v1.2.xsd");
    let output = Command::new(xmllint)
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the CAP test message is invalid: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// --- a deployment -------------------------------------------------------------------------

struct Deployment {
    directory: tempfile::TempDir,
    config: PathBuf,
}

impl Deployment {
    fn new(
        members: usize,
        group_wait: &str,
        gateway: &SmsGateway,
        smtp: &SmtpServer,
    ) -> Deployment {
        let directory = tempfile::tempdir().unwrap();
        committees_file(directory.path(), members, group_wait, 100);
        rules_file(directory.path());
        let config = directory.path().join("vigie.toml");
        std::fs::write(
            &config,
            format!(
                "[store]\ndatabase = \"vigie.sqlite3\"\n\n[delivery]\ncommittees = \"committees.toml\"\n\
                 rules = \"rules.toml\"\nlease_seconds = 2\nbackoff_initial_ms = 100\n\
                 backoff_max_ms = 500\nmax_attempts = 200\npoll_interval_ms = 50\n\
                 engine_interval_seconds = 1\n\n\
                 [delivery.sms]\nprovider = \"webhook\"\nurl = \"http://{}/send\"\ntimeout_seconds = 5\n\n\
                 [delivery.email]\nprovider = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\n\
                 security = \"plain\"\nfrom = \"Vigie <vigie@example.org>\"\n",
                gateway.address,
                smtp.address.port()
            ),
        )
        .unwrap();
        Deployment { directory, config }
    }

    fn command(&self, arguments: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vigie"));
        command
            .arg("--config")
            .arg(&self.config)
            .args(arguments)
            .current_dir(repository());
        command
    }

    fn run(&self, arguments: &[&str]) -> String {
        let output = self.command(arguments).output().unwrap();
        assert!(
            output.status.success(),
            "vigie {arguments:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn json(&self, arguments: &[&str]) -> Value {
        serde_json::from_str(&self.run(arguments)).unwrap()
    }

    fn ingest(&self, name: &str, first_id: usize, communes: &[(String, f64, f64)], date: &str) {
        let file = acled_file(self.directory.path(), name, first_id, communes, date);
        let totals = self.json(&["ingest", "acled", file.to_str().unwrap(), "--json"]);
        assert_eq!(totals["inserted"].as_u64().unwrap(), communes.len() as u64);
    }

    fn outbox(&self) -> Vec<Value> {
        self.json(&["outbox", "list", "--limit", "10000", "--json"])
            .as_array()
            .unwrap()
            .clone()
    }
}

fn phones(members: usize) -> Vec<String> {
    (1..=members)
        .map(|member| format!("+447700900{member:03}"))
        .collect()
}

fn emails(members: usize) -> Vec<String> {
    (1..=members)
        .map(|member| format!("m{member:02}@example.org"))
        .collect()
}

#[test]
fn twenty_communes_opening_within_the_group_wait_make_one_message_per_member_and_channel() {
    let gateway = SmsGateway::start(Duration::ZERO, None);
    let smtp = SmtpServer::start();
    let deployment = Deployment::new(3, "4s", &gateway, &smtp);
    let communes = mopti_communes(20);
    // Two bursts of ten communes, a second apart, as two engine runs see them.
    deployment.ingest("first.csv", 1, &communes[..10], "2024-03-20");
    let first = deployment.json(&["warn", "--until", "2024-03-20", "--json"]);
    assert_eq!(first["fresh_transitions"], 10, "{first}");
    std::thread::sleep(Duration::from_secs(1));
    deployment.ingest("second.csv", 101, &communes[10..], "2024-03-20");
    let second = deployment.json(&["warn", "--until", "2024-03-20", "--json"]);
    assert_eq!(second["new_warnings"], 10, "{second}");
    // Running the engine again records nothing new.
    let again = deployment.json(&["warn", "--until", "2024-03-20", "--json"]);
    assert_eq!(
        (
            again["new_warnings"].as_u64(),
            again["new_notifications"].as_u64()
        ),
        (Some(0), Some(0))
    );

    let rows = deployment.outbox();
    assert_eq!(
        rows.len(),
        20 * 3 * 2,
        "one row per transition, member and channel"
    );
    deployment.run(&["dispatch", "--until-idle", "--max-seconds", "60"]);

    assert_eq!(
        gateway.received().len(),
        3,
        "one SMS per member: {:?}",
        gateway.received()
    );
    assert_eq!(
        gateway.per_phone().keys().cloned().collect::<Vec<_>>(),
        phones(3)
    );
    assert_eq!(
        smtp.per_recipient().keys().cloned().collect::<Vec<_>>(),
        emails(3)
    );
    assert_eq!(smtp.messages().len(), 3, "one email per member");
    for sms in gateway.received() {
        let text = sms.body["message"].as_str().unwrap();
        assert!(text.starts_with("VIGIE VIGILANCE"), "{text}");
        assert!(text.chars().count() <= 2 * 153, "{text}");
    }
    let rows = deployment.outbox();
    assert!(rows.iter().all(|row| row["status"] == "sent"), "{rows:?}");
    let mut groups = std::collections::BTreeSet::new();
    for row in &rows {
        groups.insert((
            row["recipient"].clone().to_string(),
            row["channel"].to_string(),
            row["group_id"].to_string(),
        ));
        // The outbox names members, never their numbers or addresses.
        let text = row.to_string();
        assert!(
            !text.contains("+447700") && !text.contains("m01@") && !text.contains("m02@"),
            "{text}"
        );
    }
    assert_eq!(groups.len(), 6, "each member and channel had one message");
}

#[test]
fn a_dispatcher_killed_mid_burst_delivers_everything_once_restarted() {
    // A slow gateway, so that the kill lands in the middle of the burst.
    let gateway = SmsGateway::start(Duration::from_millis(150), None);
    let smtp = SmtpServer::start();
    let members = 30;
    let deployment = Deployment::new(members, "0s", &gateway, &smtp);
    deployment.ingest("burst.csv", 1, &mopti_communes(5), "2024-05-02");
    deployment.run(&["warn", "--until", "2024-05-02"]);

    let mut child = deployment
        .command(&["dispatch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while gateway.received().len() < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the dispatcher sent nothing"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the dispatcher stopped by itself: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no cleanup, leases left behind
    child.wait().unwrap();
    let before_restart = gateway.received().len();
    assert!(
        before_restart < members,
        "killed before the end of the burst"
    );

    deployment.run(&["dispatch", "--until-idle", "--max-seconds", "120"]);

    let per_phone = gateway.per_phone();
    assert_eq!(
        per_phone.keys().cloned().collect::<Vec<_>>(),
        phones(members),
        "every member got an SMS"
    );
    let per_email = smtp.per_recipient();
    assert_eq!(
        per_email.keys().cloned().collect::<Vec<_>>(),
        emails(members),
        "every member got an email"
    );
    // Only what was in flight at the kill may go twice: one message at most per channel,
    // as this dispatcher sends one message at a time.
    let sms_duplicates: usize = per_phone.values().map(|count| count - 1).sum();
    let email_duplicates: usize = per_email.values().map(|count| count - 1).sum();
    assert!(
        sms_duplicates + email_duplicates <= 1,
        "{per_phone:?} {per_email:?}"
    );
    let rows = deployment.outbox();
    assert!(rows.iter().all(|row| row["status"] == "sent"), "{rows:?}");
}

#[test]
fn a_gateway_outage_loses_nothing_and_delivers_once_it_returns() {
    // Down for four seconds (a ten-minute outage, with backoff scaled to match).
    let gateway = SmsGateway::start(Duration::ZERO, Some(Duration::from_secs(4)));
    let smtp = SmtpServer::start();
    let deployment = Deployment::new(5, "0s", &gateway, &smtp);
    deployment.ingest("outage.csv", 1, &mopti_communes(3), "2024-07-14");
    deployment.run(&["warn", "--until", "2024-07-14"]);
    let totals = deployment.json(&["dispatch", "--until-idle", "--max-seconds", "60", "--json"]);

    assert!(gateway.refused() > 0, "the gateway was down for a while");
    assert!(totals["failed"].as_u64().unwrap() > 0, "{totals}");
    assert_eq!(
        gateway.per_phone().keys().cloned().collect::<Vec<_>>(),
        phones(5)
    );
    assert!(
        gateway.per_phone().values().all(|&count| count == 1),
        "{:?}",
        gateway.per_phone()
    );
    assert_eq!(
        smtp.messages().len(),
        5,
        "email was not held up by the SMS outage"
    );
    let rows = deployment.outbox();
    assert!(rows.iter().all(|row| row["status"] == "sent"), "{rows:?}");
    assert!(
        rows.iter()
            .any(|row| row["channel"] == "sms" && row["attempts"].as_u64().unwrap() > 1),
        "SMS rows were retried"
    );
}

#[test]
fn a_committee_test_reaches_every_member_channel_and_bad_settings_name_their_key() {
    let gateway = SmsGateway::start(Duration::ZERO, None);
    let smtp = SmtpServer::start();
    let deployment = Deployment::new(2, "0s", &gateway, &smtp);
    let printed = deployment.run(&["notify", "test", "--committee", "crs-mopti"]);
    assert_eq!(printed.matches(": sent").count(), 4, "{printed}");
    assert_eq!(gateway.received().len(), 2);
    assert!(
        gateway.received()[0].body["message"]
            .as_str()
            .unwrap()
            .starts_with("VIGIE TEST")
    );
    assert_eq!(smtp.messages().len(), 2);
    // The email carries a CAP 1.2 message with status Test, valid against the OASIS schema.
    let cap = smtp.cap_of_first_message();
    assert!(cap.contains("<status>Test</status>"), "{cap}");
    assert!(cap.contains("<value>ML05</value>"), "{cap}");
    validate_cap(&cap, deployment.directory.path());

    let listed = deployment.json(&["committees", "list", "--json"]);
    assert_eq!(listed[0]["id"], "crs-mopti");
    assert_eq!(listed[0]["members"].as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains("+447700") && !listed.to_string().contains("@example"));

    let unknown = deployment
        .command(&["notify", "test", "--committee", "nobody"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nobody"));

    // A committees file with a mistake fails every delivery command, naming the key.
    std::fs::write(
        deployment.directory.path().join("committees.toml"),
        "[[committee]]\nid = \"c\"\nname = \"C\"\nkind = \"regional\"\nzones = [\"ML05\"]\ncolour = \"red\"\n",
    )
    .unwrap();
    let broken = deployment
        .command(&["warn", "--until", "2024-01-01"])
        .output()
        .unwrap();
    assert!(!broken.status.success());
    let message = String::from_utf8_lossy(&broken.stderr);
    assert!(
        message.contains("colour") && message.contains("committees.toml"),
        "{message}"
    );
}

#[test]
fn committees_are_managed_from_the_command_line_and_serve_picks_changes_up() {
    let gateway = SmsGateway::start(Duration::ZERO, None);
    let smtp = SmtpServer::start();
    let deployment = Deployment::new(1, "0s", &gateway, &smtp);
    let file = deployment.directory.path().join("committees.toml");
    let add_member = |id: &str, phone: &str| {
        deployment.run(&[
            "committees",
            "add-member",
            "--committee",
            "crs-mopti",
            "--member-id",
            id,
            "--member-name",
            "Nouveau membre",
            "--phone",
            phone,
            "--channel",
            "sms",
        ])
    };

    // A mistake is refused with its reason and the file is left as it was.
    let before = std::fs::read_to_string(&file).unwrap();
    let refused = deployment
        .command(&[
            "committees",
            "set-zones",
            "--committee",
            "crs-mopti",
            "--zone",
            "ML99",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("ML99"));
    let refused = deployment
        .command(&[
            "committees",
            "add-member",
            "--committee",
            "crs-mopti",
            "--member-id",
            "m05",
            "--member-name",
            "Sans numéro",
            "--channel",
            "sms",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);

    // A new committee, a member moved in and out: `notify test` reaches exactly the members.
    deployment.run(&[
        "committees",
        "add",
        "--id",
        "ccs-bankass",
        "--name",
        "CCS Bankass",
        "--kind",
        "communal",
        "--zone",
        "ML050301",
        "--min-level",
        "alerte",
        "--member-id",
        "m07",
        "--member-name",
        "Membre 7",
        "--phone",
        "+44 7700 900007",
        "--channel",
        "sms",
    ]);
    deployment.run(&["notify", "test", "--committee", "ccs-bankass"]);
    assert_eq!(
        gateway.per_phone().keys().cloned().collect::<Vec<_>>(),
        vec!["+447700900007"]
    );
    let listed = deployment.json(&["committees", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[1]["min_level"], "alerte");
    deployment.run(&["committees", "remove", "--committee", "ccs-bankass"]);
    let listed = deployment.json(&["committees", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // `serve` running: a member added now hears about the next warnings.
    let mut serve = deployment
        .command(&["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _stop = KillOnDrop(&mut serve);
    std::thread::sleep(Duration::from_secs(1));
    add_member("m02", "+44 7700 900002");
    // The file is checked every two seconds by each worker.
    std::thread::sleep(Duration::from_secs(5));
    let today = chrono::Utc::now().date_naive().to_string();
    deployment.ingest("today.csv", 500, &mopti_communes(2), &today);
    let started = Instant::now();
    while gateway.per_phone().len() < 3 && started.elapsed() < Duration::from_secs(90) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let reached = gateway.per_phone();
    assert!(reached.contains_key("+447700900001"), "{reached:?}");
    assert!(
        reached.contains_key("+447700900002"),
        "the member added while serve ran was warned: {reached:?}"
    );
}

/// Kills the child process when the test ends, however it ends.
struct KillOnDrop<'a>(&'a mut Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
