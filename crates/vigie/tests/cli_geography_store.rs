//! The zone set lives in the store: `vigie serve` seeds it, `vigie zones publish` replaces
//! it, and every running replica serves the new one within seconds, without a restart.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::mali::MALI_ZONES;
use support::serve::Server;
use support::{Database, repository};
use vigie_spatial::codec;

const SECRET: &str = "5c0f8a9d2e4b6c1a3f5e7d9b0a2c4e6f8a1b3d5f7e9c0b2d4f6a8c1e3b5d7f9a";
const RENAMED: &str = "Commune Renommée Par Le Test";

fn command(database: &str, config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vigie"));
    command
        .current_dir(repository())
        .env("VIGIE_SECRET", SECRET)
        .arg("--config")
        .arg(config)
        .args(["--database", database]);
    command
}

/// Runs a command to completion; returns its standard output and error.
fn run(database: &str, config: &Path, arguments: &[&str]) -> (String, String) {
    let output = command(database, config)
        .args(arguments)
        .output()
        .expect("the vigie binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "vigie {arguments:?}: {stderr}");
    (stdout, stderr)
}

/// A configuration whose slow geography check runs every `check_seconds`.
fn config_file(directory: &Path, check_seconds: u64) -> PathBuf {
    let path = directory.join(format!("vigie-{check_seconds}.toml"));
    std::fs::write(
        &path,
        format!("[geography]\ncheck_interval_seconds = {check_seconds}\n"),
    )
    .unwrap();
    path
}

fn serve(database: &str, config: &Path) -> Server {
    Server::start(command(database, config))
}

impl Server {
    fn get(&self, path: &str) -> serde_json::Value {
        let mut response = ureq::get(&self.url(path))
            .call()
            .unwrap_or_else(|error| panic!("GET {path}: {error}"));
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
    }

    fn commune_name(&self, id: &str) -> String {
        let item = self.get(&format!("/collections/communes/items/{id}"));
        item["properties"]["name"]
            .as_str()
            .unwrap_or_else(|| panic!("a commune item has a name: {item}"))
            .to_owned()
    }

    fn geography_version(&self) -> Option<i64> {
        self.get("/healthz")["geography_version"].as_i64()
    }

    /// Waits until the commune is served under `name`; returns how long that took.
    fn wait_for_name(&self, id: &str, name: &str, within: Duration) -> Duration {
        let started = Instant::now();
        loop {
            if self.commune_name(id) == name {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < within,
                "{} still serves {id} as {:?} after {within:?}; its log:\n{}",
                self.address,
                self.commune_name(id),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The embedded set with its first commune renamed; returns the commune's id and old name.
fn renamed_zone_set(path: &Path) -> (String, String) {
    let mut zones = codec::decode(MALI_ZONES).unwrap();
    let commune = &mut zones.communes[0];
    let id = commune.id.as_str().to_owned();
    let old = std::mem::replace(&mut commune.name, RENAMED.to_owned());
    std::fs::write(path, codec::encode(&zones)).unwrap();
    (id, old)
}

fn versions(database: &str, config: &Path) -> Vec<(i64, String)> {
    let (stdout, _) = run(database, config, &["zones", "versions", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|version| {
            (
                version["version"].as_i64().unwrap(),
                version["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Two replicas on one PostgreSQL database. The slow check is set to an hour, so only the
/// notification can explain a reload within seconds.
#[test]
fn a_published_zone_set_reaches_every_postgres_replica_without_a_restart() {
    let database = Database::postgres();
    let directory = tempfile::tempdir().unwrap();
    let config = config_file(directory.path(), 3600);
    let first = serve(database.url(), &config);
    let second = serve(database.url(), &config);
    // Both started on an empty database: one seeded it, the other found it seeded.
    assert_eq!(
        versions(database.url(), &config),
        vec![(1, "embedded mali-2015".to_owned())]
    );
    let file = directory.path().join("renamed.vzs");
    let (id, old_name) = renamed_zone_set(&file);
    for replica in [&first, &second] {
        assert_eq!(replica.commune_name(&id), old_name);
        assert_eq!(replica.geography_version(), Some(1));
    }

    let (stdout, _) = run(
        database.url(),
        &config,
        &["zones", "publish", file.to_str().unwrap()],
    );
    assert_eq!(stdout.trim(), "2");
    for replica in [&first, &second] {
        let took = replica.wait_for_name(&id, RENAMED, Duration::from_secs(15));
        eprintln!("{} served the new name after {took:?}", replica.address);
        assert_eq!(replica.geography_version(), Some(2));
        assert!(
            replica.log().contains("geography reloaded: version 2"),
            "the reload is logged"
        );
    }
    // The reload did not restart anything: the same processes answer.
    assert!(first.get("/healthz")["status"] == "ok");
    assert_eq!(
        versions(database.url(), &config),
        vec![
            (2, "renamed.vzs".to_owned()),
            (1, "embedded mali-2015".to_owned())
        ]
    );
}

/// The embedded SQLite default: the first start seeds the store with the embedded set and
/// serves as before; a publication is found by the slow check.
#[test]
fn a_fresh_sqlite_store_is_seeded_and_follows_publications() {
    let database = Database::sqlite();
    let directory = tempfile::tempdir().unwrap();
    let config = config_file(directory.path(), 1);
    let server = serve(database.url(), &config);
    let file = directory.path().join("renamed.vzs");
    let (id, old_name) = renamed_zone_set(&file);
    assert_eq!(server.commune_name(&id), old_name);
    assert_eq!(server.geography_version(), Some(1));
    assert_eq!(
        versions(database.url(), &config),
        vec![(1, "embedded mali-2015".to_owned())]
    );

    run(
        database.url(),
        &config,
        &["zones", "publish", file.to_str().unwrap()],
    );
    server.wait_for_name(&id, RENAMED, Duration::from_secs(15));
    assert_eq!(server.geography_version(), Some(2));

    // Publishing the current set again changes nothing.
    let (stdout, stderr) = run(
        database.url(),
        &config,
        &["zones", "publish", file.to_str().unwrap()],
    );
    assert_eq!(stdout.trim(), "2");
    assert!(stderr.contains("nothing published"), "{stderr}");
}

/// An explicit `--zones` file: published when the store has never seen it, ignored (with a
/// warning) when the store has moved past it since.
#[test]
fn an_explicit_zone_file_is_published_once_and_never_rolls_a_newer_version_back() {
    let database = Database::sqlite();
    let directory = tempfile::tempdir().unwrap();
    let config = config_file(directory.path(), 30);
    let renamed = directory.path().join("renamed.vzs");
    renamed_zone_set(&renamed);
    let renamed = renamed.to_str().unwrap();
    let replay = ["replay", "--from", "2024-01-01", "--to", "2024-01-02"];

    // First use with a file the store has never seen: it is published.
    let mut with_file = vec!["--zones", renamed];
    with_file.extend(replay);
    run(database.url(), &config, &with_file);
    assert_eq!(
        versions(database.url(), &config),
        vec![(1, "renamed.vzs".to_owned())]
    );
    // Used again: nothing new.
    run(database.url(), &config, &with_file);
    assert_eq!(versions(database.url(), &config).len(), 1);

    // Someone publishes the embedded set; a command still configured with the old file
    // keeps the store's newer version and says so.
    let embedded = directory.path().join("mali.vzs");
    std::fs::write(&embedded, MALI_ZONES).unwrap();
    run(
        database.url(),
        &config,
        &["zones", "publish", embedded.to_str().unwrap()],
    );
    let output = command(database.url(), &config)
        .env("RUST_LOG", "warn")
        .args(&with_file)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("older version than the store's"),
        "{stderr}"
    );
    assert_eq!(
        versions(database.url(), &config),
        vec![(2, "mali.vzs".to_owned()), (1, "renamed.vzs".to_owned())]
    );

    // A file that is not a zone set is refused, and nothing is published.
    let garbage = directory.path().join("garbage.vzs");
    std::fs::write(&garbage, b"not a zone set").unwrap();
    let output = command(database.url(), &config)
        .args(["zones", "publish", garbage.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(versions(database.url(), &config).len(), 2);
}
