//! `vigie replay` as a user runs it: generated ACLED events ingested into SQLite, replayed
//! through the default rules and through a rules file.

mod support;

use support::{Database, succeed, vigie};

/// A database holding two years of generated events.
fn database_with_events() -> (Database, tempfile::TempDir) {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("events.csv");
    succeed(&[
        "gen",
        "acled",
        "--rows",
        "20000",
        "--seed",
        "11",
        "--from",
        "2018-01-01",
        "--to",
        "2019-12-31",
        "--out",
        file.to_str().unwrap(),
    ]);
    let database = Database::sqlite();
    succeed(&[
        "ingest",
        "acled",
        file.to_str().unwrap(),
        "--database",
        database.url(),
    ]);
    (database, directory)
}

fn replay_json(database: &Database, extra: &[&str]) -> String {
    let mut arguments = vec![
        "replay",
        "--from",
        "2019-01-01",
        "--to",
        "2019-12-31",
        "--json",
        "--database",
        database.url(),
    ];
    arguments.extend_from_slice(extra);
    succeed(&arguments)
}

#[test]
fn replay_prints_one_transition_per_line_and_the_same_bytes_every_run() {
    let (database, _directory) = database_with_events();
    let first = replay_json(&database, &[]);
    let second = replay_json(&database, &[]);
    assert_eq!(first, second, "two replays differ");
    let lines: Vec<&str> = first.lines().collect();
    assert!(lines.len() >= 10, "only {} transitions", lines.len());
    let mut previous_at = String::new();
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys[..7],
            [
                "episode",
                "rule",
                "zone",
                "transition",
                "level",
                "at",
                "evidence"
            ],
            "{line}"
        );
        let zone = value["zone"].as_object().unwrap();
        assert_eq!(
            zone.keys().map(String::as_str).collect::<Vec<_>>(),
            ["id", "level", "name"]
        );
        let at = value["at"].as_str().unwrap().to_owned();
        assert!(("2019-01-01"..="2019-12-31").contains(&at.as_str()), "{at}");
        assert!(at >= previous_at, "transitions out of date order");
        previous_at = at;
        assert!(value["evidence"]["event_ids"].is_array());
        let kind = value["transition"].as_str().unwrap();
        assert!(
            [
                "opened",
                "escalated",
                "de_escalated",
                "closed",
                "late_evidence"
            ]
            .contains(&kind),
            "{kind}"
        );
    }
    assert!(first.contains("\"transition\":\"opened\""));
    assert!(first.contains("\"level\":\"commune\"") || first.contains("\"level\":\"cercle\""));
}

#[test]
fn replay_reads_a_rules_file_and_names_the_faulty_rule_and_key() {
    let (database, directory) = database_with_events();
    let rules = directory.path().join("rules.toml");
    std::fs::write(
        &rules,
        r#"
[[rule]]
id = "tout"
rationale = "every violent event counts, to check the file is used"
kind = "threshold"
zone_level = "region"
window_days = 7
vigilance = { enter = { events = 1 } }
"#,
    )
    .unwrap();
    let output = replay_json(&database, &["--rules", rules.to_str().unwrap()]);
    assert!(!output.is_empty());
    assert!(
        output
            .lines()
            .all(|line| line.contains("\"rule\":\"tout\""))
    );

    std::fs::write(
        &rules,
        "[[rule]]\nid = \"tout\"\nrationale = \"x\"\nkind = \"threshold\"\nzone_level = \"region\"\n\
         window_days = 7\nvigilance = { enter = { events = 1 }, exit = { events = 2 } }\n",
    )
    .unwrap();
    let failed = vigie(&[
        "replay",
        "--from",
        "2019-01-01",
        "--to",
        "2019-01-31",
        "--database",
        database.url(),
        "--rules",
        rules.to_str().unwrap(),
    ]);
    assert!(!failed.status.success());
    let message = String::from_utf8_lossy(&failed.stderr);
    assert!(message.contains("rules.toml"), "{message}");
    assert!(message.contains("tout"), "{message}");
    assert!(message.contains("vigilance.exit.events"), "{message}");
}

#[test]
fn replay_without_json_prints_a_summary() {
    let (database, _directory) = database_with_events();
    let summary = succeed(&[
        "replay",
        "--from",
        "2019-01-01",
        "--to",
        "2019-06-30",
        "--database",
        database.url(),
    ]);
    assert!(summary.contains("events read"), "{summary}");
    assert!(summary.contains("civils"), "{summary}");
}
