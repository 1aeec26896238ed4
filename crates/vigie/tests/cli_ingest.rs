//! `vigie ingest`, `events`, `quarantine` and `gen acled` as a user runs them, on both
//! backends: SQLite files, and the PostgreSQL server `scripts/test.sh` provides.

mod support;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Database, json, repository, succeed, vigie};

fn generate(directory: &std::path::Path, name: &str, arguments: &[&str]) -> std::path::PathBuf {
    let path = directory.join(name);
    let mut command = vec!["gen", "acled", "--out", path.to_str().unwrap()];
    command.extend_from_slice(arguments);
    succeed(&command);
    path
}

/// Distinct `event_id_cnty` values of the rows a reader can read (what the store should hold).
fn distinct_ids(path: &std::path::Path) -> HashSet<String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap();
    let headers = reader.headers().unwrap().clone();
    let id = headers
        .iter()
        .position(|name| name.eq_ignore_ascii_case("event_id_cnty"))
        .unwrap();
    reader
        .records()
        .filter_map(Result::ok)
        .filter_map(|record| record.get(id).map(str::to_owned))
        .filter(|id| !id.is_empty())
        .collect()
}

fn ingest_twice_changes_nothing_the_second_time(database: Database) {
    let directory = tempfile::tempdir().unwrap();
    let file = generate(
        directory.path(),
        "events.csv",
        &["--rows", "3000", "--seed", "5"],
    );
    let first = json(&[
        "ingest",
        "acled",
        file.to_str().unwrap(),
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(first["read"], 3000);
    assert_eq!(first["events"], 3000);
    assert_eq!(first["inserted"], 3000);
    assert_eq!(first["quarantined"], 0);
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "read",
            "events",
            "inserted",
            "updated",
            "unchanged",
            "quarantined"
        ]
    );
    let second = json(&[
        "ingest",
        "acled",
        file.to_str().unwrap(),
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(second["inserted"], 0);
    assert_eq!(second["updated"], 0);
    assert_eq!(second["unchanged"], 3000);
    let count = json(&["events", "count", "--json", "--database", database.url()]);
    assert_eq!(count, serde_json::json!({"events": 3000}));
}

fn bad_rows_are_quarantined_with_their_line_and_the_rest_imported(database: Database) {
    let directory = tempfile::tempdir().unwrap();
    let file = generate(
        directory.path(),
        "damaged.csv",
        &["--rows", "2000", "--seed", "9", "--bad-rows-percent", "10"],
    );
    let totals = json(&[
        "ingest",
        "acled",
        file.to_str().unwrap(),
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(totals["read"], 2000);
    let quarantined = totals["quarantined"].as_u64().unwrap();
    let events = totals["events"].as_u64().unwrap();
    // 10 % of rows damaged; swapped coordinates are recovered (flagged), not quarantined.
    assert!((150..=200).contains(&quarantined), "{totals}");
    assert_eq!(events + quarantined, 2000, "{totals}");
    let listed = json(&[
        "quarantine",
        "list",
        "--json",
        "--limit",
        "500",
        "--database",
        database.url(),
    ]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len() as u64, quarantined);
    for record in listed {
        assert!(
            record["origin"].as_str().unwrap().ends_with("damaged.csv"),
            "{record}"
        );
        assert!(record["line"].as_u64().unwrap() >= 2, "{record}");
        assert!(!record["reason"].as_str().unwrap().is_empty(), "{record}");
        assert!(!record["raw"].as_str().unwrap().is_empty(), "{record}");
    }
    assert!(
        listed.iter().any(|record| record["field"] == "event_date"),
        "impossible and future dates name their column"
    );
}

fn every_vintage_and_the_deletion_list_import(database: Database) {
    let directory = tempfile::tempdir().unwrap();
    // The generator numbers events from the row count, so files of the same size share ids:
    // a later vintage re-delivers events already stored, as ACLED's re-exports do.
    let mut seen = std::collections::BTreeSet::new();
    for (vintage, seed) in [
        ("current", "1"),
        ("2019", "2"),
        ("pre2019", "3"),
        ("monadic", "4"),
    ] {
        let file = generate(
            directory.path(),
            &format!("{vintage}.csv"),
            &["--rows", "400", "--seed", seed, "--vintage", vintage],
        );
        let ids = distinct_ids(&file);
        let distinct = ids.len() as u64;
        let new = ids.iter().filter(|id| !seen.contains(*id)).count() as u64;
        seen.extend(ids);
        let totals = json(&[
            "ingest",
            "acled",
            file.to_str().unwrap(),
            "--json",
            "--database",
            database.url(),
        ]);
        let count = |key: &str| totals[key].as_u64().unwrap();
        assert_eq!(count("read"), 400, "{vintage}");
        assert_eq!(count("events"), distinct, "{vintage}: {totals}");
        assert_eq!(count("inserted"), new, "{vintage}: {totals}");
        assert_eq!(
            count("inserted") + count("updated") + count("unchanged"),
            distinct,
            "{vintage}: {totals}"
        );
        if vintage == "monadic" {
            assert!(distinct < 400, "a monadic file has several rows per event");
        }
    }
    let expected = seen.len() as u64;
    assert_eq!(
        json(&["events", "count", "--json", "--database", database.url()])["events"]
            .as_u64()
            .unwrap(),
        expected,
        "one stored event per distinct id across every vintage"
    );

    // Deleting two events of the current file removes them from the count, once.
    let current = distinct_ids(&directory.path().join("current.csv"));
    let mut doomed: Vec<&String> = current.iter().collect();
    doomed.sort();
    let deletions = directory.path().join("deleted.csv");
    std::fs::write(
        &deletions,
        format!("event_id_cnty,deleted_timestamp\n{},2000000000\n{},2000000000\nMLI0000000,2000000000\n", doomed[0], doomed[1]),
    )
    .unwrap();
    let result = json(&[
        "ingest",
        "acled-deletions",
        deletions.to_str().unwrap(),
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(result["deleted"], 2);
    assert_eq!(result["already_deleted_or_unknown"], 1);
    assert_eq!(
        json(&["events", "count", "--json", "--database", database.url()])["events"]
            .as_u64()
            .unwrap(),
        expected - 2
    );
    let again = json(&[
        "ingest",
        "acled-deletions",
        deletions.to_str().unwrap(),
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(again["deleted"], 0, "deleting twice deletes nothing more");
}

fn ucdp_files_import(database: Database) {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("ged.csv");
    succeed(&[
        "gen",
        "ucdp",
        "--rows",
        "300",
        "--seed",
        "3",
        "--out",
        file.to_str().unwrap(),
    ]);
    let totals = json(&[
        "ingest",
        "ucdp",
        file.to_str().unwrap(),
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(totals["read"], 300);
    assert_eq!(totals["inserted"], totals["events"]);
    let count = json(&[
        "events",
        "count",
        "--source",
        "ucdp",
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(count["events"], totals["events"]);
}

/// A large import killed with SIGKILL half-way, then run again: every event is stored
/// exactly once.
fn an_import_killed_half_way_completes_on_a_second_run(database: Database) {
    let directory = tempfile::tempdir().unwrap();
    let file = generate(
        directory.path(),
        "big.csv",
        &["--rows", "150000", "--seed", "11"],
    );
    let expected = distinct_ids(&file).len() as u64;
    // Small batches so that several commit before the kill.
    let config = directory.path().join("vigie.toml");
    std::fs::write(&config, "[ingest]\nbatch_rows = 2000\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "ingest",
            "acled",
            file.to_str().unwrap(),
            "--database",
            database.url(),
        ])
        .current_dir(repository())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let stored_when_killed = loop {
        std::thread::sleep(Duration::from_millis(20));
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the import finished ({status}) before it could be killed: make the file bigger"
            );
        }
        let count = vigie(&["events", "count", "--json", "--database", database.url()]);
        if count.status.success() {
            let value: serde_json::Value = serde_json::from_slice(&count.stdout).unwrap();
            let stored = value["events"].as_u64().unwrap();
            if stored >= 10_000 {
                break stored;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the import made no progress"
        );
    };
    child.kill().unwrap(); // SIGKILL on Unix: no cleanup, no final commit.
    child.wait().unwrap();
    let after_kill = json(&["events", "count", "--json", "--database", database.url()])["events"]
        .as_u64()
        .unwrap();
    assert!(
        after_kill >= stored_when_killed && after_kill < expected,
        "killed half-way: {after_kill} of {expected}"
    );

    let rerun = json(&[
        "ingest",
        "acled",
        file.to_str().unwrap(),
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(rerun["events"].as_u64().unwrap(), expected);
    assert_eq!(
        rerun["inserted"].as_u64().unwrap(),
        expected - after_kill,
        "{rerun}"
    );
    assert_eq!(rerun["unchanged"].as_u64().unwrap(), after_kill, "{rerun}");
    let count = json(&["events", "count", "--json", "--database", database.url()])["events"]
        .as_u64()
        .unwrap();
    assert_eq!(count, expected, "every event exactly once");
}

macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $scenario() {
                    super::$scenario(super::Database::sqlite());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $scenario() {
                    super::$scenario(super::Database::postgres());
                }
            )*
        }
    };
}

on_both_backends!(
    ingest_twice_changes_nothing_the_second_time,
    bad_rows_are_quarantined_with_their_line_and_the_rest_imported,
    every_vintage_and_the_deletion_list_import,
    ucdp_files_import,
    an_import_killed_half_way_completes_on_a_second_run,
);

#[test]
fn generated_files_are_deterministic() {
    let directory = tempfile::tempdir().unwrap();
    let first = generate(
        directory.path(),
        "a.csv",
        &["--rows", "500", "--seed", "42", "--bad-rows-percent", "5"],
    );
    let second = generate(
        directory.path(),
        "b.csv",
        &["--rows", "500", "--seed", "42", "--bad-rows-percent", "5"],
    );
    let third = generate(
        directory.path(),
        "c.csv",
        &["--rows", "500", "--seed", "43", "--bad-rows-percent", "5"],
    );
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap()
    );
    assert_ne!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&third).unwrap()
    );
}

#[test]
fn a_missing_database_directory_is_a_clear_error() {
    let output = vigie(&[
        "events",
        "count",
        "--database",
        "/nonexistent/dir/vigie.sqlite3",
    ]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("/nonexistent/dir"), "{message}");
}
