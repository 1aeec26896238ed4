//! Importing boundary files end to end: the shipped OCHA shapefile, and hostile files written
//! by the tests (projected, unlabelled, Latin-1, broken rings, empty or wrong geometries,
//! duplicate ids, truncated or garbage bytes).

mod support;

use std::path::{Path, PathBuf};

use geo_types::{LineString, MultiPolygon};
use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use shapefile::{Point, Polyline};
use support::{
    CommuneRow, UTM_30N_PRJ, WGS84_PRJ, commune, data_file, geojson_commune, geojson_polygon,
    square, write_commune_dbf, write_commune_shapefile, write_geojson,
};
use tempfile::TempDir;
use vigie_boundaries::{
    BoundaryError, FeatureOutcome, ImportOptions, ImportReport, ImportedZones, read_boundaries,
};
use vigie_domain::{Corridor, Zone, ZoneLevel};

/// The suffix every `NotWgs84` message ends with.
const REPROJECT_ADVICE: &str = "only geographic WGS84 (EPSG:4326 / CRS84) is accepted — \
                                reproject the file first, e.g. ogr2ogr -t_srs EPSG:4326";

fn commune_options() -> ImportOptions {
    let mut options = ImportOptions::new(ZoneLevel::Commune, "PCODE", "NAME");
    options.parent_field = Some("PARENT".into());
    options
}

fn ocha_options() -> ImportOptions {
    let mut options = ImportOptions::new(ZoneLevel::Commune, "admin3Pcod", "admin3Name");
    options.parent_field = Some("admin2Pcod".into());
    options
}

fn communes(zones: ImportedZones) -> Vec<Zone> {
    match zones {
        ImportedZones::Administrative(zones) => zones,
        ImportedZones::Corridors(_) => panic!("expected administrative zones"),
    }
}

fn corridors(zones: ImportedZones) -> Vec<Corridor> {
    match zones {
        ImportedZones::Corridors(corridors) => corridors,
        ImportedZones::Administrative(_) => panic!("expected corridors"),
    }
}

/// The outcome of feature `number` (1-based).
fn outcome(report: &ImportReport, number: usize) -> &FeatureOutcome {
    &report
        .features
        .iter()
        .find(|line| line.feature == number)
        .unwrap_or_else(|| panic!("no report line for feature {number}: {report:?}"))
        .outcome
}

fn rejection(report: &ImportReport, number: usize) -> &str {
    match outcome(report, number) {
        FeatureOutcome::Rejected { reason } => reason,
        other => panic!("feature {number} was not rejected: {other:?}"),
    }
}

fn repairs(report: &ImportReport, number: usize) -> &[String] {
    match outcome(report, number) {
        FeatureOutcome::Imported { repairs } => repairs,
        other => panic!("feature {number} was not imported: {other:?}"),
    }
}

/// Planar area in square degrees, holes subtracted: enough to compare two readings of the
/// same polygons.
fn area_square_degrees(geometry: &MultiPolygon<f64>) -> f64 {
    let ring_area = |ring: &LineString<f64>| {
        ring.0
            .windows(2)
            .map(|pair| pair[0].x * pair[1].y - pair[1].x * pair[0].y)
            .sum::<f64>()
            .abs()
            / 2.0
    };
    geometry
        .0
        .iter()
        .map(|polygon| {
            ring_area(polygon.exterior()) - polygon.interiors().iter().map(ring_area).sum::<f64>()
        })
        .sum()
}

fn import_error(path: &Path, options: &ImportOptions) -> BoundaryError {
    match read_boundaries(path, options) {
        Ok((zones, report)) => panic!("expected an error, imported {zones:?} with {report:?}"),
        Err(error) => error,
    }
}

fn names_of(shp_path: &Path) -> (Vec<String>, String) {
    let (zones, report) = read_boundaries(shp_path, &commune_options()).unwrap();
    let names = communes(zones).into_iter().map(|zone| zone.name).collect();
    (names, report.encoding)
}

fn two_latin_communes(directory: &Path) -> PathBuf {
    write_commune_shapefile(
        directory,
        "communes",
        &[
            commune("ML040101", "Ségou", -6.3, 13.4),
            commune("ML050701", "Ténenkou", -4.9, 14.4),
        ],
        encoding_rs::WINDOWS_1252,
    )
}

// --- the shipped OCHA file --------------------------------------------------------------------

#[test]
fn shipped_ocha_shapefile_imports_701_communes_matching_its_geojson() {
    let shapefile = data_file("source/ocha_adm3_shapefile/mli_admbnda_adm3_gov_ocha.shp");
    let (zones, report) = read_boundaries(&shapefile, &ocha_options()).unwrap();
    assert_eq!(report.imported(), 701);
    assert_eq!(report.rejected(), 0);
    assert_eq!(report.repaired(), 0);
    assert_eq!(report.encoding, "UTF-8");
    let from_shapefile = communes(zones);
    assert_eq!(from_shapefile.len(), 701);

    let bankass = from_shapefile
        .iter()
        .find(|zone| zone.id.as_str() == "ML050301")
        .unwrap();
    assert_eq!(bankass.name, "Bankass");
    assert_eq!(bankass.parent.as_ref().unwrap().as_str(), "ML0503");
    assert_eq!(bankass.level, ZoneLevel::Commune);

    // Rings grouped from their orientation: Alafia has two lakes, Tombouctou two parts.
    let by_id = |id: &str| {
        from_shapefile
            .iter()
            .find(|zone| zone.id.as_str() == id)
            .unwrap()
    };
    let alafia = by_id("ML060101");
    assert_eq!(alafia.geometry.0.len(), 1);
    assert_eq!(alafia.geometry.0[0].interiors().len(), 2);
    assert_eq!(by_id("ML060106").geometry.0.len(), 2);

    let geojson = data_file("source/mli_adm3_communes_ocha2015.geojson");
    let (zones, _) = read_boundaries(&geojson, &ocha_options()).unwrap();
    let from_geojson = communes(zones);
    assert_eq!(from_geojson.len(), 701);
    // Both lists come sorted by id.
    for (shp_zone, json_zone) in from_shapefile.iter().zip(&from_geojson) {
        assert_eq!(shp_zone.id, json_zone.id);
        assert_eq!(shp_zone.name, json_zone.name, "{}", shp_zone.id);
        assert_eq!(shp_zone.parent, json_zone.parent, "{}", shp_zone.id);
        let shp_area = area_square_degrees(&shp_zone.geometry);
        let json_area = area_square_degrees(&json_zone.geometry);
        assert!(
            ((shp_area - json_area) / json_area).abs() < 1e-6,
            "{}: {shp_area} vs {json_area}",
            shp_zone.id
        );
    }
}

// --- coordinate system ------------------------------------------------------------------------

#[test]
fn a_projected_prj_is_refused_naming_the_projection() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    let prj_path = shp_path.with_extension("prj");
    std::fs::write(&prj_path, UTM_30N_PRJ).unwrap();

    let error = import_error(&shp_path, &commune_options());
    let message = error.to_string();
    assert!(
        message.contains("projected") && message.contains("WGS84"),
        "{message}"
    );
    assert_eq!(
        message,
        format!(
            "{}: the .prj describes the projected system \"WGS_1984_UTM_Zone_30N\"; {REPROJECT_ADVICE}",
            prj_path.display()
        )
    );
    assert!(matches!(error, BoundaryError::NotWgs84 { path, .. } if path == prj_path));
}

#[test]
fn a_shapefile_without_prj_is_refused() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    std::fs::remove_file(shp_path.with_extension("prj")).unwrap();

    let error = import_error(&shp_path, &commune_options());
    assert!(matches!(&error, BoundaryError::NotWgs84 { reason, .. }
        if reason == "there is no .prj file beside the .shp, so its coordinate system is unknown"));
    assert_eq!(
        error.to_string(),
        format!(
            "{}: there is no .prj file beside the .shp, so its coordinate system is unknown; \
             {REPROJECT_ADVICE}",
            shp_path.display()
        )
    );
}

#[test]
fn a_prj_on_the_point_58_datum_is_refused() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    std::fs::write(
        shp_path.with_extension("prj"),
        r#"GEOGCS["GCS_Point_58",DATUM["D_Point_58",SPHEROID["Clarke_1880_RGS",6378249.145,293.465]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#,
    )
    .unwrap();
    let error = import_error(&shp_path, &commune_options());
    assert!(matches!(&error, BoundaryError::NotWgs84 { reason, .. }
        if reason == r#"the .prj describes the geographic system "GCS_Point_58" on the datum "D_Point_58", not WGS84"#));
}

#[test]
fn a_geojson_declaring_utm_zone_30n_is_refused() {
    let directory = TempDir::new().unwrap();
    let path = directory.path().join("utm.geojson");
    let collection = serde_json::json!({
        "type": "FeatureCollection",
        "crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::32630" } },
        "features": [geojson_commune("ML040101", "Ségou", geojson_polygon(&square(400000.0, 1500000.0, 1000.0)))],
    });
    std::fs::write(&path, collection.to_string()).unwrap();

    let error = import_error(&path, &commune_options());
    assert!(matches!(error, BoundaryError::NotWgs84 { .. }));
    assert_eq!(
        error.to_string(),
        format!(
            "{}: the GeoJSON declares the coordinate system \"urn:ogc:def:crs:EPSG::32630\"; \
             {REPROJECT_ADVICE}",
            path.display()
        )
    );
}

// --- character encoding -----------------------------------------------------------------------

#[test]
fn a_latin1_dbf_is_decoded_with_the_cpg_encoding() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    let expected = vec!["Ségou".to_owned(), "Ténenkou".to_owned()];
    for label in ["ISO-8859-1", "1252", "ANSI 1252\r\n"] {
        std::fs::write(shp_path.with_extension("cpg"), label).unwrap();
        assert_eq!(
            names_of(&shp_path),
            (expected.clone(), "windows-1252".to_owned()),
            "{label:?}"
        );
    }
}

#[test]
fn without_cpg_the_language_driver_or_the_bytes_choose_the_encoding() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    let expected = vec!["Ségou".to_owned(), "Ténenkou".to_owned()];
    // The dbase writer marks its Windows-1252 tables with language driver 0x03.
    assert_eq!(
        names_of(&shp_path),
        (expected.clone(), "windows-1252".to_owned())
    );

    // No language driver either: bytes that are not UTF-8 are read as Windows-1252.
    let dbf_path = shp_path.with_extension("dbf");
    let mut dbf = std::fs::read(&dbf_path).unwrap();
    dbf[29] = 0;
    std::fs::write(&dbf_path, &dbf).unwrap();
    assert_eq!(
        names_of(&shp_path),
        (expected.clone(), "windows-1252".to_owned())
    );

    // And bytes that are UTF-8 are read as UTF-8.
    write_commune_dbf(
        &dbf_path,
        &[("ML040101", "Ségou"), ("ML050701", "Ténenkou")],
        encoding_rs::UTF_8,
    );
    assert_eq!(names_of(&shp_path), (expected, "UTF-8".to_owned()));
}

#[test]
fn a_cpg_claiming_utf8_over_latin1_bytes_is_refused() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    std::fs::write(shp_path.with_extension("cpg"), "UTF-8").unwrap();
    let error = import_error(&shp_path, &commune_options());
    assert_eq!(
        error.to_string(),
        format!(
            "{}: record 1, field NAME: the text is not valid UTF-8 although the .cpg says so; \
             correct the .cpg (for example to 1252 for Windows Latin-1)",
            shp_path.with_extension("dbf").display()
        )
    );
}

#[test]
fn an_unknown_cpg_label_is_refused() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    let cpg_path = shp_path.with_extension("cpg");
    std::fs::write(&cpg_path, "KLINGON-1\n").unwrap();
    let error = import_error(&shp_path, &commune_options());
    assert!(matches!(&error, BoundaryError::UnknownEncoding { label, .. } if label == "KLINGON-1"));
    assert_eq!(
        error.to_string(),
        format!(
            "{}: unknown character encoding \"KLINGON-1\" in the .cpg file",
            cpg_path.display()
        )
    );
}

// --- shapefile parts --------------------------------------------------------------------------

#[test]
fn parts_with_upper_case_extensions_are_found() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    for extension in ["shx", "dbf", "prj"] {
        std::fs::rename(
            shp_path.with_extension(extension),
            shp_path.with_extension(extension.to_ascii_uppercase()),
        )
        .unwrap();
    }
    std::fs::write(shp_path.with_extension("CPG"), "1252").unwrap();
    let (names, encoding) = names_of(&shp_path);
    assert_eq!(names, ["Ségou", "Ténenkou"]);
    assert_eq!(encoding, "windows-1252");
}

#[test]
fn a_missing_dbf_or_shx_is_named() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    let dbf_path = shp_path.with_extension("dbf");
    std::fs::remove_file(&dbf_path).unwrap();
    assert_eq!(
        import_error(&shp_path, &commune_options()).to_string(),
        format!(
            "{}: the .dbf attribute table is missing: a shapefile needs its .shp, .shx and .dbf \
             side by side",
            dbf_path.display()
        )
    );
    let shx_path = shp_path.with_extension("shx");
    std::fs::remove_file(&shx_path).unwrap();
    assert_eq!(
        import_error(&shp_path, &commune_options()).to_string(),
        format!(
            "{}: the .shx index is missing: a shapefile needs its .shp, .shx and .dbf side by side",
            shx_path.display()
        )
    );
}

#[test]
fn a_dbf_with_fewer_records_than_shapes_is_refused() {
    let directory = TempDir::new().unwrap();
    let shp_path = write_commune_shapefile(
        directory.path(),
        "communes",
        &[
            commune("ML040101", "Ségou", -6.3, 13.4),
            commune("ML040102", "Cinzana", -5.9, 13.2),
            commune("ML050701", "Ténenkou", -4.9, 14.4),
        ],
        encoding_rs::UTF_8,
    );
    let dbf_path = shp_path.with_extension("dbf");
    write_commune_dbf(
        &dbf_path,
        &[("ML040101", "Ségou"), ("ML040102", "Cinzana")],
        encoding_rs::UTF_8,
    );
    let error = import_error(&shp_path, &commune_options());
    assert!(matches!(error, BoundaryError::InvalidShapefile { .. }));
    assert_eq!(
        error.to_string(),
        format!(
            "{}: the .dbf holds 2 records but the .shx indexes 3 shapes; the parts do not come \
             from the same export",
            dbf_path.display()
        )
    );
}

#[test]
fn a_deleted_dbf_row_drops_its_feature_and_keeps_the_others_numbered() {
    let directory = TempDir::new().unwrap();
    let shp_path = write_commune_shapefile(
        directory.path(),
        "communes",
        &[
            commune("ML040101", "Ségou", -6.3, 13.4),
            commune("ML040102", "Cinzana", -5.9, 13.2),
            commune("ML050701", "Ténenkou", -4.9, 14.4),
        ],
        encoding_rs::UTF_8,
    );
    let dbf_path = shp_path.with_extension("dbf");
    let mut dbf = std::fs::read(&dbf_path).unwrap();
    let header_length = usize::from(u16::from_le_bytes([dbf[8], dbf[9]]));
    let record_length = usize::from(u16::from_le_bytes([dbf[10], dbf[11]]));
    dbf[header_length + record_length] = b'*';
    std::fs::write(&dbf_path, dbf).unwrap();

    let (zones, report) = read_boundaries(&shp_path, &commune_options()).unwrap();
    let numbers: Vec<usize> = report.features.iter().map(|line| line.feature).collect();
    assert_eq!(numbers, [1, 3]);
    let ids: Vec<String> = communes(zones)
        .into_iter()
        .map(|zone| zone.id.to_string())
        .collect();
    assert_eq!(ids, ["ML040101", "ML050701"]);
}

// --- damaged bytes ----------------------------------------------------------------------------

#[test]
fn garbage_instead_of_a_shp_is_an_error() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    let garbage: Vec<u8> = (0..4096u32)
        .map(|index| (index.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&shp_path, garbage).unwrap();
    let error = import_error(&shp_path, &commune_options());
    assert_eq!(
        error.to_string(),
        format!(
            "{}: not a .shp file: it does not start with the 100-byte shapefile header (file code \
             9994)",
            shp_path.display()
        )
    );
    std::fs::write(&shp_path, b"PK\x03\x04").unwrap();
    let error = import_error(&shp_path, &commune_options());
    assert!(
        error.to_string().ends_with("; it holds only 4 bytes"),
        "{error}"
    );
}

#[test]
fn a_truncated_shp_names_the_record_that_is_cut() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    let shp = std::fs::read(&shp_path).unwrap();
    std::fs::write(&shp_path, &shp[..shp.len() - 20]).unwrap();
    let error = import_error(&shp_path, &commune_options());
    assert_eq!(
        error.to_string(),
        format!(
            "{}: record 2: it runs past the end of the .shp ({} bytes; the file is truncated)",
            shp_path.display(),
            shp.len() - 20
        )
    );
}

/// Every byte of every part overwritten in turn, and every part cut at many lengths: the
/// import may succeed or fail, but it must answer, and never through the panic fence.
#[test]
fn damaged_bytes_anywhere_never_panic() {
    let directory = TempDir::new().unwrap();
    let shp_path = write_commune_shapefile(
        directory.path(),
        "communes",
        &[
            commune("ML040101", "Ségou", -6.3, 13.4),
            commune("ML050701", "Ténenkou", -4.9, 14.4),
        ],
        encoding_rs::WINDOWS_1252,
    );
    for extension in ["shp", "shx", "dbf"] {
        let part_path = shp_path.with_extension(extension);
        let original = std::fs::read(&part_path).unwrap();
        let check = |bytes: &[u8]| {
            std::fs::write(&part_path, bytes).unwrap();
            if let Err(error) = read_boundaries(&shp_path, &commune_options()) {
                assert!(
                    !error.to_string().contains("failed unexpectedly"),
                    "{extension}: {error}"
                );
            }
        };
        for position in 0..original.len() {
            for value in [0x00, 0x7F, 0xFF] {
                let mut damaged = original.clone();
                damaged[position] = value;
                check(&damaged);
            }
        }
        for length in (0..original.len()).step_by(3) {
            check(&original[..length]);
        }
        std::fs::write(&part_path, &original).unwrap();
    }
}

// --- feature-level problems -------------------------------------------------------------------

#[test]
fn an_unclosed_ring_is_closed_and_reported() {
    let directory = TempDir::new().unwrap();
    let mut ring = square(-6.3, 13.4, 0.1);
    ring.pop();
    let path = write_geojson(
        directory.path(),
        "unclosed.geojson",
        &[geojson_commune("ML040101", "Ségou", geojson_polygon(&ring))],
    );
    let (zones, report) = read_boundaries(&path, &commune_options()).unwrap();
    assert_eq!(repairs(&report, 1), ["closed an unclosed ring"]);
    let zone = &communes(zones)[0];
    assert_eq!(zone.geometry.0[0].exterior().0.len(), 5);
}

#[test]
fn a_bowtie_is_split_into_two_parts_and_reported() {
    let directory = TempDir::new().unwrap();
    let bowtie = [
        (-6.3, 13.4),
        (-6.2, 13.5),
        (-6.2, 13.4),
        (-6.3, 13.5),
        (-6.3, 13.4),
    ];
    let path = write_geojson(
        directory.path(),
        "bowtie.geojson",
        &[geojson_commune(
            "ML040101",
            "Ségou",
            geojson_polygon(&bowtie),
        )],
    );
    let (zones, report) = read_boundaries(&path, &commune_options()).unwrap();
    let notes = repairs(&report, 1);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("self-intersection"), "{notes:?}");
    let zone = &communes(zones)[0];
    assert_eq!(zone.geometry.0.len(), 2);
}

#[test]
fn repeated_vertices_are_removed_and_counted() {
    let directory = TempDir::new().unwrap();
    let mut ring = square(-6.3, 13.4, 0.1);
    ring.insert(1, ring[0]);
    ring.insert(3, ring[2]);
    let path = write_geojson(
        directory.path(),
        "repeats.geojson",
        &[geojson_commune("ML040101", "Ségou", geojson_polygon(&ring))],
    );
    let (_, report) = read_boundaries(&path, &commune_options()).unwrap();
    assert_eq!(repairs(&report, 1), ["removed 2 repeated vertices"]);
}

#[test]
fn empty_geojson_geometries_are_rejected_and_the_rest_imported() {
    let directory = TempDir::new().unwrap();
    let path = write_geojson(
        directory.path(),
        "empty.geojson",
        &[
            geojson_commune(
                "ML040101",
                "Ségou",
                serde_json::json!({ "type": "Polygon", "coordinates": [] }),
            ),
            geojson_commune("ML040102", "Cinzana", serde_json::Value::Null),
            geojson_commune(
                "ML050701",
                "Ténenkou",
                geojson_polygon(&square(-4.9, 14.4, 0.1)),
            ),
        ],
    );
    let (zones, report) = read_boundaries(&path, &commune_options()).unwrap();
    assert_eq!(rejection(&report, 1), "the geometry is empty");
    assert_eq!(rejection(&report, 2), "the geometry is empty");
    assert_eq!(repairs(&report, 3), [] as [String; 0]);
    assert_eq!(
        report.features[0].to_string(),
        "feature 1 (ML040101): rejected: the geometry is empty"
    );
    let ids: Vec<String> = communes(zones)
        .into_iter()
        .map(|zone| zone.id.to_string())
        .collect();
    assert_eq!(ids, ["ML050701"]);
}

#[test]
fn a_null_shape_is_rejected_and_the_rest_imported() {
    let directory = TempDir::new().unwrap();
    let shp_path = write_commune_shapefile(
        directory.path(),
        "communes",
        &[
            CommuneRow {
                pcode: "ML040101",
                name: "Ségou",
                ring: None,
            },
            commune("ML050701", "Ténenkou", -4.9, 14.4),
        ],
        encoding_rs::UTF_8,
    );
    let (zones, report) = read_boundaries(&shp_path, &commune_options()).unwrap();
    assert_eq!(rejection(&report, 1), "the geometry is empty");
    assert_eq!(repairs(&report, 2), [] as [String; 0]);
    let zone = &communes(zones)[0];
    assert_eq!(zone.name, "Ténenkou");
    assert_eq!(zone.parent.as_ref().unwrap().as_str(), "ML0401");
}

#[test]
fn a_point_in_a_commune_file_is_rejected_naming_point() {
    let directory = TempDir::new().unwrap();
    let path = write_geojson(
        directory.path(),
        "points.geojson",
        &[
            geojson_commune(
                "ML040101",
                "Ségou",
                serde_json::json!({ "type": "Point", "coordinates": [-6.26, 13.45] }),
            ),
            geojson_commune(
                "ML050701",
                "Ténenkou",
                geojson_polygon(&square(-4.9, 14.4, 0.1)),
            ),
        ],
    );
    let (zones, report) = read_boundaries(&path, &commune_options()).unwrap();
    assert_eq!(
        rejection(&report, 1),
        "expected a Polygon or MultiPolygon, found a Point"
    );
    assert_eq!(zones.len(), 1);

    // The same from a point shapefile.
    let shp_path = directory.path().join("seats.shp");
    let mut writer = shapefile::ShapeWriter::from_path(&shp_path).unwrap();
    writer.write_shape(&Point::new(-6.26, 13.45)).unwrap();
    writer.finalize().unwrap();
    write_commune_dbf(
        &shp_path.with_extension("dbf"),
        &[("ML040101", "Ségou")],
        encoding_rs::UTF_8,
    );
    std::fs::write(shp_path.with_extension("prj"), WGS84_PRJ).unwrap();
    let (zones, report) = read_boundaries(&shp_path, &commune_options()).unwrap();
    assert_eq!(
        rejection(&report, 1),
        "expected a Polygon or MultiPolygon, found a Point"
    );
    assert!(zones.is_empty());
}

#[test]
fn a_duplicate_id_rejects_the_second_feature() {
    let directory = TempDir::new().unwrap();
    let shp_path = write_commune_shapefile(
        directory.path(),
        "communes",
        &[
            commune("ML040101", "Ségou", -6.3, 13.4),
            commune("ML040101", "Ségou bis", -4.9, 14.4),
        ],
        encoding_rs::UTF_8,
    );
    let (zones, report) = read_boundaries(&shp_path, &commune_options()).unwrap();
    assert_eq!(repairs(&report, 1), [] as [String; 0]);
    assert_eq!(
        rejection(&report, 2),
        "duplicate id ML040101: an earlier feature has it"
    );
    assert_eq!(report.features[1].id.as_deref(), Some("ML040101"));
    assert_eq!(communes(zones)[0].name, "Ségou");
}

#[test]
fn a_field_no_feature_has_is_refused_listing_the_fields() {
    let directory = TempDir::new().unwrap();
    let shp_path = two_latin_communes(directory.path());
    let error = import_error(&shp_path, &ocha_options());
    assert!(matches!(&error, BoundaryError::MissingField { field, .. } if field == "admin3Pcod"));
    assert_eq!(
        error.to_string(),
        format!(
            "{}: no feature has the field \"admin3Pcod\"; fields found: NAME, PARENT, PCODE",
            shp_path.display()
        )
    );
}

// --- corridors --------------------------------------------------------------------------------

fn corridor_feature(id: &str, buffer_km: f64) -> serde_json::Value {
    serde_json::json!({
        "type": "Feature",
        "properties": {
            "id": id,
            "name": "Séno - Burkina Faso",
            "buffer_km": buffer_km,
            "season_start": "07-01",
            "season_end": "09-30",
        },
        "geometry": {
            "type": "LineString",
            "coordinates": [[-4.2, 14.5], [-3.6, 14.1], [-3.1, 13.6]],
        },
    })
}

#[test]
fn a_corridor_file_carries_buffer_and_season_and_refuses_a_negative_buffer() {
    let directory = TempDir::new().unwrap();
    let path = write_geojson(
        directory.path(),
        "corridors.geojson",
        &[
            corridor_feature("TR07", 15.0),
            corridor_feature("TR08", -3.0),
        ],
    );
    let options = ImportOptions::new(ZoneLevel::Corridor, "id", "name");
    let (zones, report) = read_boundaries(&path, &options).unwrap();
    assert_eq!(repairs(&report, 1), [] as [String; 0]);
    assert_eq!(
        rejection(&report, 2),
        "invalid corridor buffer -3 km (expected a finite number above 0 and at most 500)"
    );
    let corridors = corridors(zones);
    assert_eq!(corridors.len(), 1);
    let corridor = &corridors[0];
    assert_eq!(corridor.id.as_str(), "TR07");
    assert_eq!(corridor.name, "Séno - Burkina Faso");
    assert_eq!(corridor.buffer_km, 15.0);
    assert_eq!(corridor.season.to_string(), "07-01/09-30");
    assert!(!corridor.approximate);
    assert_eq!(corridor.centerline.0.len(), 3);
    assert!(!corridor.area.0.is_empty());
}

#[test]
fn a_corridor_shapefile_reads_numbers_from_the_dbf() {
    let directory = TempDir::new().unwrap();
    let shp_path = directory.path().join("corridors.shp");
    let mut writer = shapefile::ShapeWriter::from_path(&shp_path).unwrap();
    let line = [(-4.2, 14.5), (-3.6, 14.1), (-3.1, 13.6)].map(|(x, y)| Point::new(x, y));
    writer.write_shape(&Polyline::new(line.to_vec())).unwrap();
    writer.finalize().unwrap();
    let field = |name: &str| FieldName::try_from(name).unwrap();
    let mut table = TableWriterBuilder::new()
        .add_character_field(field("id"), 8)
        .add_character_field(field("name"), 40)
        .add_numeric_field(field("buffer_km"), 8, 2)
        .add_character_field(field("season_end"), 5)
        .build_with_file_dest(shp_path.with_extension("dbf"))
        .unwrap();
    let mut record = Record::default();
    record.insert("id".into(), FieldValue::Character(Some("TR07".into())));
    record.insert("name".into(), FieldValue::Character(Some("Séno".into())));
    record.insert("buffer_km".into(), FieldValue::Numeric(Some(12.5)));
    record.insert(
        "season_end".into(),
        FieldValue::Character(Some("09-30".into())),
    );
    table.write_record(&record).unwrap();
    table.finalize().unwrap();
    std::fs::write(shp_path.with_extension("prj"), WGS84_PRJ).unwrap();

    let options = ImportOptions::new(ZoneLevel::Corridor, "id", "name");
    let (zones, report) = read_boundaries(&shp_path, &options).unwrap();
    assert_eq!(repairs(&report, 1), [] as [String; 0]);
    let corridor = &corridors(zones)[0];
    assert_eq!(corridor.buffer_km, 12.5);
    assert_eq!(corridor.name, "Séno");
    assert_eq!(corridor.centerline.0.len(), 3);
    assert_eq!(corridor.season.end.to_string(), "09-30");
}
