//! The `vigie` binary's geography commands, run as a user runs them.

mod support;

use geo::CoordsIter;
use geo_types::MultiPolygon;
use support::{json, repository, succeed, vigie};
use vigie_domain::ZoneLevel;
use vigie_spatial::codec;

#[test]
fn zones_list_gives_701_communes_with_id_name_level_parent() {
    let communes = json(&["zones", "list", "--level", "commune", "--json"]);
    let communes = communes.as_array().unwrap();
    assert_eq!(communes.len(), 701);
    for commune in communes {
        let keys: Vec<&str> = commune
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["id", "name", "level", "parent"]);
        assert_eq!(commune["level"], "commune");
    }
    let bankass = communes
        .iter()
        .find(|commune| commune["id"] == "ML050301")
        .unwrap();
    assert_eq!(bankass["name"], "Bankass");
    assert_eq!(bankass["parent"], "ML0503");
    // Accents come from the hierarchy and seat lists.
    let tenenkou = communes
        .iter()
        .find(|commune| commune["id"] == "ML050808")
        .unwrap();
    assert_eq!(tenenkou["name"], "Ténenkou Commune");
}

#[test]
fn cercles_and_regions_are_the_dissolved_hierarchy() {
    let cercles = json(&["zones", "list", "--level", "cercle", "--json"]);
    let regions = json(&["zones", "list", "--level", "region", "--json"]);
    let communes = json(&["zones", "list", "--level", "commune", "--json"]);
    let cercles = cercles.as_array().unwrap();
    let regions = regions.as_array().unwrap();
    assert_eq!(cercles.len(), 50, "49 cercles and the district of Bamako");
    assert_eq!(regions.len(), 9, "8 regions and Bamako");
    assert!(cercles.iter().any(|cercle| cercle["id"] == "ML0901"));
    let region_ids: Vec<&str> = regions
        .iter()
        .map(|region| region["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        region_ids,
        [
            "ML01", "ML02", "ML03", "ML04", "ML05", "ML06", "ML07", "ML08", "ML09"
        ]
    );
    // Every commune's parent is a cercle, every cercle's parent a region.
    for commune in communes.as_array().unwrap() {
        assert!(
            cercles
                .iter()
                .any(|cercle| cercle["id"] == commune["parent"]),
            "{commune}"
        );
    }
    for cercle in cercles {
        assert!(
            region_ids.contains(&cercle["parent"].as_str().unwrap()),
            "{cercle}"
        );
    }
    let segou = regions
        .iter()
        .find(|region| region["id"] == "ML04")
        .unwrap();
    assert_eq!(segou["name"], "Ségou");
    let koulikoro = regions
        .iter()
        .find(|region| region["id"] == "ML02")
        .unwrap();
    assert_eq!(
        koulikoro["name"], "Koulikoro",
        "the 2015 tables misspell it Koulikouro"
    );
}

#[test]
fn corridors_are_listed() {
    let corridors = json(&["zones", "list", "--level", "corridor", "--json"]);
    let ids: Vec<&str> = corridors
        .as_array()
        .unwrap()
        .iter()
        .map(|corridor| corridor["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["TR01", "TR02", "TR03", "TR04", "TR05", "TR06", "TR07"]
    );
}

#[test]
fn locate_answers_the_contract_for_bankass() {
    let answer = json(&["locate", "--lon", "-3.5149", "--lat", "14.0730", "--json"]);
    assert_eq!(answer["status"], "inside");
    assert_eq!(
        answer["commune"],
        serde_json::json!({"id": "ML050301", "name": "Bankass"})
    );
    assert_eq!(answer["cercle"]["id"], "ML0503");
    assert_eq!(answer["region"]["id"], "ML05");
    assert_eq!(answer["region"]["name"], "Mopti");
    let corridors = answer["corridors"].as_array().unwrap();
    assert_eq!(corridors.len(), 1);
    assert_eq!(corridors[0]["id"], "TR07");
    assert_eq!(corridors[0]["distance_km"], 0.0);
    assert_eq!(corridors[0]["approximate"], true);
}

#[test]
fn locate_snaps_just_across_the_border_and_refuses_far_points() {
    let snapped = json(&["locate", "--lon", "-2.88", "--lat", "13.83", "--json"]);
    assert_eq!(snapped["status"], "snapped");
    assert_eq!(snapped["commune"]["id"], "ML050711");
    let distance = snapped["snapped_km"].as_f64().unwrap();
    assert!(distance > 0.0 && distance <= 5.0, "{distance}");

    let far = json(&["locate", "--lon", "-1.5197", "--lat", "12.3714", "--json"]);
    assert_eq!(far["status"], "outside");
    assert!(far["commune"].is_null() && far["cercle"].is_null() && far["region"].is_null());

    let output = vigie(&["locate", "--lon", "200", "--lat", "14", "--json"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a WGS84 longitude/latitude"));
}

#[test]
fn snapping_distance_comes_from_the_configuration() {
    let directory = tempfile::tempdir().unwrap();
    let config = directory.path().join("vigie.toml");
    std::fs::write(&config, "[geography]\nsnap_km = 1.0\n").unwrap();
    let config = config.to_str().unwrap();
    let answer = json(&[
        "locate", "--config", config, "--lon", "-2.88", "--lat", "13.83", "--json",
    ]);
    assert_eq!(
        answer["status"], "outside",
        "1.7 km away, beyond a 1 km snapping distance"
    );

    let bad = directory.path().join("bad.toml");
    std::fs::write(&bad, "[geography]\nsnap = 1\n").unwrap();
    let output = vigie(&[
        "locate",
        "--config",
        bad.to_str().unwrap(),
        "--lon",
        "0",
        "--lat",
        "0",
    ]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("bad.toml") && message.contains("snap"),
        "{message}"
    );
}

#[test]
fn locate_csv_streams_every_row_and_appends_the_columns() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("located.csv");
    let sample = repository().join("data/samples/locate-sample.csv");
    let output = vigie(&[
        "locate",
        "--csv",
        sample.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("located 14 rows") && stderr.contains("rows/s"),
        "{stderr}"
    );

    let mut reader = csv::Reader::from_path(&out).unwrap();
    let headers = reader.headers().unwrap().clone();
    let expected = [
        "sample_id",
        "place",
        "latitude",
        "longitude",
        "note",
        "commune_id",
        "commune_name",
        "cercle_id",
        "region_id",
        "corridor_ids",
        "locate_status",
    ];
    assert_eq!(headers.iter().collect::<Vec<_>>(), expected);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 14, "no row is dropped");
    let row = |id: &str| rows.iter().find(|row| &row[0] == id).unwrap();
    assert_eq!(&row("S01")[5], "ML050301");
    assert_eq!(&row("S01")[9], "TR07");
    assert_eq!(&row("S01")[10], "inside");
    assert_eq!(&row("S04")[9], "TR03;TR07", "Mopti starts two corridors");
    assert_eq!(&row("S06")[6], "Ségou Commune");
    assert_eq!(&row("S11")[7], "ML0901");
    assert_eq!(&row("S12")[10], "snapped");
    assert_eq!(&row("S13")[10], "outside");
    assert_eq!(&row("S13")[5], "");
    assert_eq!(&row("S14")[10], "invalid");
}

#[test]
fn locate_csv_names_a_missing_column() {
    let sample = repository().join("data/samples/locate-sample.csv");
    let output = vigie(&[
        "locate",
        "--csv",
        sample.to_str().unwrap(),
        "--lon-col",
        "lng",
    ]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("no column \"lng\"") && message.contains("longitude"),
        "{message}"
    );
}

/// Every commune seat of the OCHA seats file lies in its own commune, with two documented
/// exceptions: Diokéli's seat lies about 1 km outside its polygon (inside Bamafélé's), and
/// Dogodouman has no seat.
#[test]
fn every_commune_seat_is_located_in_its_own_commune() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("seats.csv");
    let seats = repository().join("data/source/mli_communes_ocha2015_seats.csv");
    succeed(&[
        "locate",
        "--csv",
        seats.to_str().unwrap(),
        "--lon-col",
        "seat_lon",
        "--lat-col",
        "seat_lat",
        "--out",
        out.to_str().unwrap(),
    ]);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|header| header == name).unwrap();
    let (own, found, status) = (
        column("admin3Pcode"),
        column("commune_id"),
        column("locate_status"),
    );
    let mut checked = 0;
    for record in reader.records() {
        let record = record.unwrap();
        match &record[own] {
            "ML010205" => assert_eq!(
                &record[found], "ML010202",
                "Diokéli's seat lies in Bamafélé"
            ),
            "ML020511" => assert_eq!(&record[status], "invalid", "Dogodouman has no seat"),
            commune => {
                assert_eq!(&record[found], commune, "seat of {commune}");
                assert_eq!(&record[status], "inside");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 699);
}

/// The shipped zone set must be what `build-reference` makes from `data/source` today. Ids,
/// names and hierarchy must match exactly; coordinates to 1e-9 degrees, so that a different
/// libm rounding the corridor circles' last bit elsewhere does not fail the check.
#[test]
fn the_checked_in_zone_set_is_what_build_reference_produces() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("mali.vzs");
    succeed(&["zones", "build-reference", "--out", out.to_str().unwrap()]);
    let fresh = codec::decode(&std::fs::read(&out).unwrap()).unwrap();
    let shipped =
        codec::decode(&std::fs::read(repository().join("data/zones/mali-2015.vzs")).unwrap())
            .unwrap();
    let stale =
        "data/zones/mali-2015.vzs is stale: run `cargo run -p vigie -- zones build-reference`";
    assert_eq!(fresh.name, shipped.name, "{stale}");
    assert_eq!(fresh.attribution, shipped.attribution, "{stale}");
    for level in [ZoneLevel::Region, ZoneLevel::Cercle, ZoneLevel::Commune] {
        let (fresh, shipped) = (fresh.zones(level), shipped.zones(level));
        assert_eq!(fresh.len(), shipped.len(), "{stale}");
        for (made, kept) in fresh.iter().zip(shipped) {
            assert_eq!(
                (&made.id, &made.name, &made.parent),
                (&kept.id, &kept.name, &kept.parent),
                "{stale}"
            );
            assert_close(&made.geometry, &kept.geometry, stale);
        }
    }
    assert_eq!(fresh.corridors.len(), shipped.corridors.len(), "{stale}");
    for (made, kept) in fresh.corridors.iter().zip(&shipped.corridors) {
        assert_eq!(
            (
                &made.id,
                &made.name,
                made.buffer_km,
                made.season,
                made.approximate
            ),
            (
                &kept.id,
                &kept.name,
                kept.buffer_km,
                kept.season,
                kept.approximate
            ),
            "{stale}"
        );
        assert_eq!(made.centerline, kept.centerline, "{stale}");
        assert_close(&made.area, &kept.area, stale);
    }
}

fn assert_close(made: &MultiPolygon<f64>, kept: &MultiPolygon<f64>, stale: &str) {
    let made: Vec<_> = made.coords_iter().collect();
    let kept: Vec<_> = kept.coords_iter().collect();
    assert_eq!(made.len(), kept.len(), "{stale}");
    for (a, b) in made.iter().zip(&kept) {
        assert!(
            (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9,
            "{stale}: {a:?} != {b:?}"
        );
    }
}

#[test]
fn importing_the_shipped_shapefile_makes_a_usable_zone_set() {
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("imported.vzs");
    let shapefile =
        repository().join("data/source/ocha_adm3_shapefile/mli_admbnda_adm3_gov_ocha.shp");
    let output = vigie(&[
        "zones",
        "import",
        shapefile.to_str().unwrap(),
        "--level",
        "commune",
        "--id-field",
        "admin3Pcod",
        "--name-field",
        "admin3Name",
        "--parent-field",
        "admin2Pcod",
        "--dissolve-parents",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("701 imported (0 after repair), 0 rejected"),
        "{stderr}"
    );
    let zones = out.to_str().unwrap();
    let listed = json(&["--zones", zones, "zones", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 701);
    let answer = json(&[
        "--zones", zones, "locate", "--lon", "-3.5149", "--lat", "14.0730", "--json",
    ]);
    assert_eq!(answer["commune"]["id"], "ML050301");
    assert_eq!(answer["cercle"]["id"], "ML0503");
    // Cercles and regions rebuilt by the dissolve keep the names of the zones they replace.
    assert_eq!(answer["region"]["name"], "Mopti");
}

#[test]
fn importing_a_projected_file_is_refused_and_nothing_is_written() {
    let directory = tempfile::tempdir().unwrap();
    let geojson = directory.path().join("utm.geojson");
    std::fs::write(
        &geojson,
        r#"{"type":"FeatureCollection",
            "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32630"}},
            "features":[{"type":"Feature","properties":{"code":"X1","nom":"X"},
              "geometry":{"type":"Polygon","coordinates":
                [[[500000,1500000],[510000,1500000],[510000,1510000],[500000,1500000]]]}}]}"#,
    )
    .unwrap();
    let out = directory.path().join("never.vzs");
    let output = vigie(&[
        "zones",
        "import",
        geojson.to_str().unwrap(),
        "--level",
        "commune",
        "--id-field",
        "code",
        "--name-field",
        "nom",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("EPSG::32630") && message.contains("WGS84"),
        "{message}"
    );
    assert!(!out.exists());
}
