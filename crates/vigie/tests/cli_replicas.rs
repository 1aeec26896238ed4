//! Several `vigie serve` replicas on one PostgreSQL database (the server of
//! `VIGIE_TEST_POSTGRES_URL`, which `scripts/test.sh` starts): live updates reach every
//! replica's stream, one replica leads and another takes over when it dies or loses its
//! database connection, and nothing is lost or opened twice on the way.
//!
//! Each replica sends SMS to its own JSON gateway (written here), so that the tests know who
//! sent what; email goes to one real SMTP server (aiosmtpd, from `VIGIE_TEST_PYTHON`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::mali::{acled_file, committees_file, mopti_communes, rules_file};
use support::serve::Server;
use support::sinks::{SmsGateway, SmtpServer};
use support::{Database, repository};

const SECRET: &str = "5c0f8a9d2e4b6c1a3f5e7d9b0a2c4e6f8a1b3d5f7e9c0b2d4f6a8c1e3b5d7f9a";
const SMSSYNC_SECRET: &str = "replicas-gateway-secret";

// --- a deployment of replicas ------------------------------------------------------------

struct Deployment {
    directory: tempfile::TempDir,
    database: Database,
}

impl Deployment {
    /// A committee of `members` for Mopti, each by SMS and email.
    fn new(members: usize) -> Deployment {
        let directory = tempfile::tempdir().unwrap();
        committees_file(directory.path(), members, "0s", 1000);
        rules_file(directory.path());
        Deployment {
            directory,
            database: Database::postgres(),
        }
    }

    /// A replica's configuration: its own SMS gateway, the shared SMTP server, short periods
    /// — but a long lease: a new leader must take a dead one's claims over, not wait them out
    /// (the tests wait less than a lease for the outbox to empty).
    fn config(&self, name: &str, gateway: &SmsGateway, smtp: &SmtpServer) -> PathBuf {
        let path = self.directory.path().join(format!("{name}.toml"));
        std::fs::write(
            &path,
            format!(
                "[delivery]\ncommittees = \"committees.toml\"\nrules = \"rules.toml\"\n\
                 lease_seconds = 120\nbackoff_initial_ms = 100\nbackoff_max_ms = 500\n\
                 max_attempts = 200\npoll_interval_ms = 50\nengine_interval_seconds = 1\n\n\
                 [cluster]\nlock_retry_ms = 300\nlock_check_ms = 200\nstream_poll_ms = 60000\n\n\
                 [delivery.sms]\nprovider = \"webhook\"\nurl = \"http://{}/send\"\n\
                 timeout_seconds = 5\n\n\
                 [delivery.email]\nprovider = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\n\
                 security = \"plain\"\nfrom = \"Vigie <vigie@example.org>\"\n",
                gateway.address,
                smtp.address.port()
            ),
        )
        .unwrap();
        path
    }

    fn command(&self, config: Option<&Path>) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vigie"));
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        command
            .args(["--database", self.database.url()])
            .env("VIGIE_SECRET", SECRET)
            .env("VIGIE_SMSSYNC_SECRET", SMSSYNC_SECRET)
            .env("RUST_LOG", "info")
            .current_dir(repository());
        command
    }

    fn start(&self, config: &Path) -> Replica {
        Server::start(self.command(Some(config)))
    }

    /// Imports one ACLED attack on civilians in each commune, dated today, through the CLI.
    fn ingest(&self, name: &str, first_id: usize, communes: &[(String, f64, f64)]) {
        let today = chrono::Utc::now().date_naive().to_string();
        let path = acled_file(self.directory.path(), name, first_id, communes, &today);
        let output = self
            .command(None)
            .args(["ingest", "acled", path.to_str().unwrap(), "--json"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "ingest: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn sql(&self) -> postgres::Client {
        postgres::Client::connect(self.database.url(), postgres::NoTls).unwrap()
    }

    /// The outbox rows: (idempotency key, recipient, channel, status, group key).
    fn outbox(&self) -> Vec<(String, String, String, String, Option<String>)> {
        self.sql()
            .query(
                "SELECT idempotency_key, recipient, channel, status, group_id \
                 FROM notifications ORDER BY id",
                &[],
            )
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
            .collect()
    }

    /// Episodes opened more than once (must be none).
    fn episodes_opened_twice(&self) -> Vec<String> {
        self.sql()
            .query(
                "SELECT episode FROM warnings WHERE kind = 'opened' \
                 GROUP BY episode HAVING count(*) > 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    /// Opened episodes per zone.
    fn openings_per_zone(&self) -> BTreeMap<String, i64> {
        self.sql()
            .query(
                "SELECT zone_id, count(*) FROM warnings WHERE kind = 'opened' GROUP BY zone_id",
                &[],
            )
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    }

    fn count(&self, table: &str) -> i64 {
        self.sql()
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .unwrap()
            .get(0)
    }
}

/// A running `vigie serve` of the deployment, killed when dropped.
type Replica = Server;

impl Replica {
    fn is_leader(&self) -> bool {
        let mut response = ureq::get(&self.url("/healthz")).call().unwrap();
        let health: Value = response.body_mut().read_json().unwrap();
        health["leader"]
            .as_bool()
            .unwrap_or_else(|| panic!("/healthz says whether it leads: {health}"))
    }

    fn metrics(&self) -> String {
        ureq::get(&self.url("/metrics"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    }

    /// A community report by SMS, through the SMSSync webhook.
    fn smssync(&self, from: &str, message: &str, message_id: &str) -> Value {
        let sent = chrono::Utc::now().timestamp_millis().to_string();
        let mut response = ureq::post(&self.url("/webhooks/sms/smssync"))
            .send_form([
                ("from", from),
                ("message", message),
                ("message_id", message_id),
                ("sent_to", "+22320000000"),
                ("secret", SMSSYNC_SECRET),
                ("sent_timestamp", sent.as_str()),
            ])
            .unwrap();
        response.body_mut().read_json().unwrap()
    }

    /// Opens the live stream (from `last_event_id` when given) and hands its messages, as
    /// (event, id, data), to the receiver.
    fn stream(&self, last_event_id: Option<i64>) -> Receiver<(String, Option<i64>, Value)> {
        let mut request = ureq::get(&self.url("/api/stream"));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", &id.to_string());
        }
        let response = request.call().unwrap();
        let (sender, receiver) = channel();
        std::thread::spawn(move || {
            let reader = BufReader::new(response.into_body().into_reader());
            let (mut event, mut id, mut data) = (String::new(), None, String::new());
            for line in reader.lines() {
                let Ok(line) = line else { return };
                if line.is_empty() {
                    if !data.is_empty() {
                        let parsed = serde_json::from_str(&data).unwrap_or(Value::Null);
                        if sender.send((event.clone(), id, parsed)).is_err() {
                            return;
                        }
                    }
                    (event, id, data) = (String::new(), None, String::new());
                } else if let Some(value) = line.strip_prefix("event:") {
                    event = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("id:") {
                    id = value.trim().parse().ok();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim_start());
                }
            }
        });
        receiver
    }
}

/// Waits for `condition`, up to `limit`, saying `what` on failure.
fn wait_for(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `a` first and waits until it leads, then `b`.
fn leader_and_follower(
    deployment: &Deployment,
    config_a: &Path,
    config_b: &Path,
) -> (Replica, Replica) {
    let a = deployment.start(config_a);
    wait_for(Duration::from_secs(20), "replica a leads", || a.is_leader());
    let b = deployment.start(config_b);
    // b is up and tried the lock at least once.
    std::thread::sleep(Duration::from_millis(500));
    assert!(!b.is_leader(), "only one replica leads");
    assert!(
        a.metrics().contains("\nvigie_leader 1\n"),
        "{}",
        a.metrics()
    );
    assert!(
        b.metrics().contains("\nvigie_leader 0\n"),
        "{}",
        b.metrics()
    );
    (a, b)
}

/// Every SMS row sent was received by a gateway under its group's key, and every member
/// with an email row got at least one email.
fn assert_everything_delivered(
    deployment: &Deployment,
    gateways: &[&SmsGateway],
    smtp: &SmtpServer,
) {
    let rows = deployment.outbox();
    let received: BTreeSet<String> = gateways.iter().flat_map(|gateway| gateway.keys()).collect();
    let emails = smtp.per_recipient();
    for (key, recipient, channel, status, group) in &rows {
        assert_eq!(status, "sent", "row {key} for {recipient} by {channel}");
        let group = group.as_ref().expect("a sent row names its message");
        match channel.as_str() {
            "sms" => assert!(
                received.contains(group),
                "the SMS of row {key} ({group}) never reached a gateway"
            ),
            _ => {
                let address = format!("{recipient}@example.org");
                assert!(
                    emails.contains_key(&address),
                    "no email reached {address}: {emails:?}"
                );
            }
        }
    }
}

#[test]
fn a_warning_caused_through_one_replica_reaches_the_stream_of_the_other() {
    let deployment = Deployment::new(2);
    let (gateway_a, gateway_b) = (
        SmsGateway::start(Duration::ZERO, None),
        SmsGateway::start(Duration::ZERO, None),
    );
    let smtp = SmtpServer::start();
    let config_a = deployment.config("a", &gateway_a, &smtp);
    let config_b = deployment.config("b", &gateway_b, &smtp);
    let (a, b) = leader_and_follower(&deployment, &config_a, &config_b);

    let stream_b = b.stream(None);
    // Two monitors report the same attack in Koro to replica a (an unverified report weighs
    // half an event: two make the rule's one).
    for (phone, id) in [("+22376000001", "koro-1"), ("+22376000002", "koro-2")] {
        let answer = a.smssync(phone, "ALERTE Koro attaque 2 morts", id);
        assert_eq!(answer["payload"]["success"], true, "{answer}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let (warning_id, warning) = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (event, id, data) = stream_b.recv_timeout(left).unwrap_or_else(|_| {
            panic!(
                "no warning on replica b's stream\n--- a:\n{}\n--- b:\n{}",
                a.log(),
                b.log()
            )
        });
        if event == "warning" {
            break (id.expect("a warning message has an id"), data);
        }
    };
    assert_eq!(warning["data"]["kind"], "opened", "{warning}");
    assert_eq!(warning["data"]["rule"], "un-incident", "{warning}");
    // Replica a logs its evaluation after the commit that b's stream already shows.
    wait_for(
        Duration::from_secs(10),
        "the leader, replica a, evaluated",
        || a.log().contains("warnings recorded"),
    );
    assert!(
        !b.log().contains("warnings recorded"),
        "the follower did not evaluate"
    );

    // A client that saw the message before it on b resumes on a from the shared log.
    let resumed = a.stream(Some(warning_id - 1));
    let (event, id, _) = resumed
        .recv_timeout(Duration::from_secs(10))
        .expect("replica a replays what the client missed");
    assert_eq!((event.as_str(), id), ("warning", Some(warning_id)));
    // The notifications go out, from the leader only.
    wait_for(Duration::from_secs(30), "both members get an SMS", || {
        gateway_a.received().len() >= 2
    });
    assert!(gateway_b.received().is_empty(), "the follower sent nothing");
}

#[test]
fn the_same_sms_landing_on_two_replicas_at_once_makes_one_report() {
    let deployment = Deployment::new(1);
    let (gateway_a, gateway_b) = (
        SmsGateway::start(Duration::ZERO, None),
        SmsGateway::start(Duration::ZERO, None),
    );
    let smtp = SmtpServer::start();
    let config_a = deployment.config("a", &gateway_a, &smtp);
    let config_b = deployment.config("b", &gateway_b, &smtp);
    let (a, b) = leader_and_follower(&deployment, &config_a, &config_b);
    let (a, b) = (Arc::new(a), Arc::new(b));
    // Gateways retry: each message arrives several times, at both replicas at once.
    for round in 0..10 {
        let message_id = format!("dup-{round}");
        let barrier = Arc::new(std::sync::Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let replica = if thread % 2 == 0 {
                    a.clone()
                } else {
                    b.clone()
                };
                let (barrier, message_id) = (barrier.clone(), message_id.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    replica.smssync("+22376000009", "ALERTE Koro attaque 1 mort", &message_id)
                })
            })
            .collect();
        for thread in threads {
            let answer = thread.join().unwrap();
            assert_eq!(answer["payload"]["success"], true, "{answer}");
        }
    }
    assert_eq!(deployment.count("reports"), 10, "one report per message");
    assert_eq!(
        deployment.count("events WHERE source = 'community'"),
        10,
        "one event per message"
    );
    assert_eq!(deployment.count("reporters"), 1);
}

#[test]
fn killing_the_leader_mid_burst_hands_over_without_loss_or_duplicate_episodes() {
    let members = 12;
    let deployment = Deployment::new(members);
    // A slow gateway, so that the kill lands in the middle of the sends.
    let (gateway_a, gateway_b) = (
        SmsGateway::start(Duration::from_millis(150), None),
        SmsGateway::start(Duration::from_millis(150), None),
    );
    let smtp = SmtpServer::start();
    let config_a = deployment.config("a", &gateway_a, &smtp);
    let config_b = deployment.config("b", &gateway_b, &smtp);
    let (mut a, b) = leader_and_follower(&deployment, &config_a, &config_b);

    let communes = mopti_communes(12);
    deployment.ingest("first.csv", 1, &communes[..4]);
    wait_for(Duration::from_secs(30), "the leader sends", || {
        gateway_a.received().len() >= 3
    });
    // Events keep coming as the leader dies.
    deployment.ingest("second.csv", 101, &communes[4..8]);
    a.kill();
    let killed_at = Instant::now();
    deployment.ingest("third.csv", 201, &communes[8..]);

    wait_for(Duration::from_secs(20), "replica b takes over", || {
        b.is_leader()
    });
    wait_for(Duration::from_secs(40), "the outbox empties", || {
        let rows = deployment.outbox();
        // Twelve communes, each to every member by two channels.
        rows.len() == 12 * members * 2 && rows.iter().all(|row| row.3 == "sent")
    });
    assert!(
        gateway_b
            .received()
            .iter()
            .any(|message| message.at > killed_at),
        "the new leader sent"
    );
    assert_everything_delivered(&deployment, &[&gateway_a, &gateway_b], &smtp);
    assert_eq!(deployment.episodes_opened_twice(), Vec::<String>::new());
    let openings = deployment.openings_per_zone();
    assert_eq!(openings.len(), 12, "{openings:?}");
    assert!(openings.values().all(|count| *count == 1), "{openings:?}");
    assert_eq!(deployment.count("events"), 12, "no event lost");
    // Every member heard of the burst by SMS and by email.
    let phones: BTreeSet<String> = gateway_a
        .received()
        .iter()
        .chain(gateway_b.received().iter())
        .map(|message| message.body["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(phones.len(), members);
    assert_eq!(smtp.per_recipient().len(), members);
}

#[test]
fn a_leader_cut_from_the_database_steps_down_and_sends_nothing_more() {
    let members = 30;
    let deployment = Deployment::new(members);
    let (gateway_a, gateway_b) = (
        SmsGateway::start(Duration::from_millis(150), None),
        SmsGateway::start(Duration::from_millis(150), None),
    );
    let smtp = SmtpServer::start();
    let config_a = deployment.config("a", &gateway_a, &smtp);
    let config_b = deployment.config("b", &gateway_b, &smtp);
    let (a, b) = leader_and_follower(&deployment, &config_a, &config_b);

    deployment.ingest("burst.csv", 1, &mopti_communes(3));
    wait_for(Duration::from_secs(30), "the leader sends", || {
        gateway_a.received().len() >= 3
    });
    // Cut the session holding the leader lock, as a network fault would.
    let terminated: i64 = deployment
        .sql()
        .query_one(
            "SELECT count(pg_terminate_backend(activity.pid)) FROM pg_stat_activity AS activity \
             JOIN pg_locks AS locks ON locks.pid = activity.pid \
             WHERE activity.application_name = 'vigie-leader-lock' \
             AND activity.datname = current_database() \
             AND locks.locktype = 'advisory' AND locks.granted",
            &[],
        )
        .unwrap()
        .get(0);
    let cut_at = Instant::now();
    assert_eq!(terminated, 1, "one session holds the leader lock");

    wait_for(Duration::from_secs(20), "replica b takes over", || {
        b.is_leader()
    });
    // The server frees the lock at once; replica a learns it at its next check (every
    // 200 ms here, later on a loaded machine). Its dispatcher is fenced meanwhile.
    wait_for(Duration::from_secs(10), "replica a steps down", || {
        !a.is_leader()
    });
    wait_for(Duration::from_secs(40), "the outbox empties", || {
        let rows = deployment.outbox();
        !rows.is_empty() && rows.iter().all(|row| row.3 == "sent")
    });
    // A message already on its way at the cut may land just after it (the gateway takes
    // 150 ms); none leaves later. Had replica a kept dispatching, its thirty members' SMS
    // would have gone on landing for seconds.
    let late: Vec<Value> = gateway_a
        .received()
        .iter()
        .filter(|message| message.at > cut_at + Duration::from_secs(1))
        .map(|message| message.body.clone())
        .collect();
    assert!(
        late.is_empty(),
        "replica a sent after losing its lock: {late:?}"
    );
    assert!(!gateway_b.received().is_empty(), "replica b sent the rest");
    assert!(
        a.log().contains("leadership lost"),
        "replica a says it stepped down:\n{}",
        a.log()
    );
    assert!(a.metrics().contains("\nvigie_leader 0\n"));
    assert!(b.metrics().contains("\nvigie_leader 1\n"));
    assert_everything_delivered(&deployment, &[&gateway_a, &gateway_b], &smtp);
    assert_eq!(deployment.episodes_opened_twice(), Vec::<String>::new());
}
