//! `vigie hotspots` as a user runs it: events generated, placed by hand, ingested into a
//! fresh SQLite file, then clustered (ST-DBSCAN) and scored (Gi*).

mod support;

use std::path::{Path, PathBuf};

use support::{Database, json, succeed, vigie};

/// In central Mali (Bandiagara cercle): five events within 3 km and five days of each other.
const BURST: [(f64, f64, &str); 5] = [
    (-3.560, 14.230, "2019-03-20"),
    (-3.570, 14.240, "2019-03-21"),
    (-3.550, 14.225, "2019-03-22"),
    (-3.565, 14.215, "2019-03-23"),
    (-3.545, 14.235, "2019-03-24"),
];

/// Fifteen events inside the window but a degree or more apart: noise.
fn scattered(index: usize) -> (f64, f64, String) {
    let column = index % 5;
    let row = index / 5;
    (
        -9.0 + 1.5 * column as f64,
        11.5 + 1.2 * row as f64,
        format!("2019-03-{:02}", 3 + index),
    )
}

/// A generated ACLED file of 60 rows, rewritten so that rows 0–4 are the burst, rows 5–19
/// the scattered events, and the rest fall in 2018, outside the window.
fn prepared_file(directory: &Path) -> PathBuf {
    let generated = directory.join("generated.csv");
    succeed(&[
        "gen",
        "acled",
        "--rows",
        "60",
        "--seed",
        "11",
        "--from",
        "2019-01-01",
        "--to",
        "2019-12-31",
        "--out",
        generated.to_str().unwrap(),
    ]);
    let mut reader = csv::Reader::from_path(&generated).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|header| header == name).unwrap();
    let (date, year, latitude, longitude, fatalities) = (
        column("event_date"),
        column("year"),
        column("latitude"),
        column("longitude"),
        column("fatalities"),
    );
    let path = directory.join("events.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&headers).unwrap();
    for (index, record) in reader.records().enumerate() {
        let mut fields: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
        let (lon, lat, day) = match index {
            0..5 => {
                let (lon, lat, day) = BURST[index];
                (lon, lat, day.to_owned())
            }
            5..20 => scattered(index - 5),
            _ => (-3.56, 14.23, format!("2018-06-{:02}", 1 + index % 28)),
        };
        fields[date] = day.clone();
        fields[year] = day[..4].to_owned();
        fields[longitude] = format!("{lon:.4}");
        fields[latitude] = format!("{lat:.4}");
        fields[fatalities] = if index < 5 { "10" } else { "1" }.to_owned();
        writer.write_record(&fields).unwrap();
    }
    writer.flush().unwrap();
    path
}

fn ingested() -> (Database, tempfile::TempDir) {
    let directory = tempfile::tempdir().unwrap();
    let file = prepared_file(directory.path());
    let database = Database::sqlite();
    let totals = json(&[
        "ingest",
        "acled",
        file.to_str().unwrap(),
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(totals["inserted"], 60, "{totals}");
    (database, directory)
}

#[test]
fn hotspots_finds_the_burst_as_one_cluster_and_the_scattered_events_as_noise() {
    let (database, _directory) = ingested();
    let arguments = [
        "hotspots",
        "--at",
        "2019-03-31",
        "--window-days",
        "30",
        "--json",
        "--database",
        database.url(),
    ];
    let text = succeed(&arguments);
    assert_eq!(text, succeed(&arguments), "the same bytes on every run");
    let collection: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(collection["type"], "FeatureCollection");
    let metadata = &collection["vigie"];
    assert_eq!(metadata["from"], "2019-03-02");
    assert_eq!(
        metadata["events"], 20,
        "only the window's events: {metadata}"
    );
    assert_eq!(metadata["clusters"], 1);
    assert_eq!(metadata["noise"], 15);
    assert_eq!(
        (
            metadata["eps_km"].as_f64(),
            &metadata["eps_days"],
            &metadata["min_points"]
        ),
        (Some(10.0), &serde_json::json!(7), &serde_json::json!(4)),
        "documented defaults"
    );

    let features = collection["features"].as_array().unwrap();
    assert_eq!(features.len(), 1);
    let hotspot = &features[0];
    assert_eq!(hotspot["id"], "cluster-0");
    assert_eq!(hotspot["geometry"]["type"], "Polygon");
    let properties = &hotspot["properties"];
    assert_eq!(properties["events"], 5);
    assert_eq!(properties["fatalities"], 50);
    assert_eq!(properties["first_date"], "2019-03-20");
    assert_eq!(properties["last_date"], "2019-03-24");
    assert_eq!(properties["event_ids"].as_array().unwrap().len(), 5);
    let centroid = properties["centroid"].as_array().unwrap();
    assert!(
        (centroid[0].as_f64().unwrap() + 3.558).abs() < 0.01,
        "{centroid:?}"
    );
    assert!(
        (centroid[1].as_f64().unwrap() - 14.229).abs() < 0.01,
        "{centroid:?}"
    );
    let communes = properties["communes"].as_array().unwrap();
    assert!(!communes.is_empty());
    let located = json(&["locate", "--lon", "-3.56", "--lat", "14.23", "--json"]);
    assert_eq!(communes[0]["id"], located["commune"]["id"]);
    // The burst straddles a commune border: most events in one commune, all counted.
    let in_communes: u64 = communes.iter().map(|c| c["events"].as_u64().unwrap()).sum();
    assert_eq!(in_communes, 5, "{communes:?}");
    assert!(communes[0]["name"].is_string());
    let dominant = properties["dominant_event_types"].as_array().unwrap();
    assert!(!dominant.is_empty());

    let ring = hotspot["geometry"]["coordinates"][0].as_array().unwrap();
    assert_eq!(ring.first(), ring.last());

    // Demanding six events per core event leaves only noise: the burst has five.
    let strict = json(&[
        "hotspots",
        "--at",
        "2019-03-31",
        "--min-points",
        "6",
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(strict["features"].as_array().unwrap().len(), 0);
    assert_eq!(strict["vigie"]["noise"], 20);

    // A window that ends before the burst sees none of it.
    let before = json(&[
        "hotspots",
        "--at",
        "2019-03-19",
        "--window-days",
        "10",
        "--json",
        "--database",
        database.url(),
    ]);
    assert_eq!(before["features"].as_array().unwrap().len(), 0);
    assert_eq!(
        before["vigie"]["events"], 8,
        "scattered events of 10 to 17 March"
    );
}

#[test]
fn hotspots_gi_scores_every_commune_and_flags_the_burst_commune_hot() {
    let (database, _directory) = ingested();
    let arguments = [
        "hotspots",
        "--gi",
        "--at",
        "2019-03-31",
        "--json",
        "--database",
        database.url(),
    ];
    let text = succeed(&arguments);
    assert_eq!(text, succeed(&arguments), "the same bytes on every run");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["alpha"], 0.05);
    let communes = answer["communes"].as_array().unwrap();
    assert_eq!(communes.len(), 701);
    let counted: u64 = communes
        .iter()
        .map(|commune| commune["events"].as_u64().unwrap())
        .sum();
    assert_eq!(
        counted + answer["events_outside_communes"].as_u64().unwrap(),
        20
    );
    let busiest = communes
        .iter()
        .max_by_key(|commune| commune["events"].as_u64().unwrap())
        .unwrap();
    assert!(busiest["events"].as_u64().unwrap() >= 3, "{busiest}");
    assert_eq!(busiest["spot"], "hot", "{busiest}");
    assert!(busiest["p"].as_f64().unwrap() < 0.05);
    assert!(busiest["neighbours"].as_u64().unwrap() > 0);
    assert_eq!(
        answer["hot"].as_u64().unwrap(),
        communes.iter().filter(|c| c["spot"] == "hot").count() as u64
    );
    // A quiet commune far from every event is not a spot at all.
    let kidal = communes
        .iter()
        .find(|commune| commune["id"].as_str().unwrap().starts_with("ML08"))
        .unwrap();
    assert_eq!(kidal["spot"], "none", "{kidal}");
}

#[test]
fn hotspots_refuses_bad_parameters_naming_them() {
    let database = Database::sqlite();
    let output = vigie(&[
        "hotspots",
        "--at",
        "2019-03-31",
        "--eps-km",
        "0",
        "--database",
        database.url(),
    ]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("eps_km"), "{message}");

    let output = vigie(&[
        "hotspots",
        "--gi",
        "--at",
        "2019-03-31",
        "--alpha",
        "2",
        "--database",
        database.url(),
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("alpha"));
}
