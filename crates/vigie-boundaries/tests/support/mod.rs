//! Fixtures for the import tests: small boundary files written into a temporary directory.
//!
//! Well-formed shapefiles are written with the `shapefile` and `dbase` writers; the writers
//! refuse what a damaged file holds (a null shape among polygons), so those `.shp`/`.shx`
//! bytes are written by hand here.

use std::path::{Path, PathBuf};

use shapefile::dbase::encoding::EncodingRs;
use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use shapefile::{Point, Polygon, PolygonRing};

/// The `.prj` ArcGIS writes for geographic WGS84.
pub const WGS84_PRJ: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

/// The `.prj` ArcGIS writes for UTM zone 30N, the projection most Malian survey data uses.
pub const UTM_30N_PRJ: &str = r#"PROJCS["WGS_1984_UTM_Zone_30N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-3.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

/// A file shipped in the repository's `data/` directory.
pub fn data_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(relative)
}

/// A closed square ring with its south-west corner at (`west`, `south`), counter-clockwise.
pub fn square(west: f64, south: f64, size_degrees: f64) -> Vec<(f64, f64)> {
    vec![
        (west, south),
        (west + size_degrees, south),
        (west + size_degrees, south + size_degrees),
        (west, south + size_degrees),
        (west, south),
    ]
}

/// One feature of a commune shapefile: `PCODE`, `NAME`, `PARENT` and its shape.
pub struct CommuneRow<'a> {
    /// The P-code, e.g. `ML040101`.
    pub pcode: &'a str,
    /// The display name.
    pub name: &'a str,
    /// The shape; `None` writes a null shape.
    pub ring: Option<Vec<(f64, f64)>>,
}

/// A row with a square of 0.1° whose south-west corner is (`west`, `south`).
pub fn commune<'a>(pcode: &'a str, name: &'a str, west: f64, south: f64) -> CommuneRow<'a> {
    CommuneRow {
        pcode,
        name,
        ring: Some(square(west, south, 0.1)),
    }
}

/// Writes `<stem>.shp`, `.shx`, `.dbf` (text in `encoding`) and a WGS84 `.prj`, and returns
/// the `.shp` path. Rows without a ring make the `.shp` be written by hand, as the
/// `shapefile` writer will not mix null shapes with polygons.
pub fn write_commune_shapefile(
    directory: &Path,
    stem: &str,
    rows: &[CommuneRow<'_>],
    encoding: &'static encoding_rs::Encoding,
) -> PathBuf {
    let shp_path = directory.join(format!("{stem}.shp"));
    if rows.iter().all(|row| row.ring.is_some()) {
        let mut writer = shapefile::ShapeWriter::from_path(&shp_path).unwrap();
        for row in rows {
            let points = row
                .ring
                .iter()
                .flatten()
                .map(|&(x, y)| Point::new(x, y))
                .collect();
            // The writer orders the ring clockwise, as shapefiles want outer rings.
            writer
                .write_shape(&Polygon::new(PolygonRing::Outer(points)))
                .unwrap();
        }
        writer.finalize().unwrap();
    } else {
        // Outer rings go clockwise in a shapefile.
        let rings: Vec<Option<Vec<(f64, f64)>>> = rows
            .iter()
            .map(|row| {
                row.ring.clone().map(|mut ring| {
                    ring.reverse();
                    ring
                })
            })
            .collect();
        write_polygon_shp_by_hand(&shp_path, &rings);
    }
    let names: Vec<(&str, &str)> = rows.iter().map(|row| (row.pcode, row.name)).collect();
    write_commune_dbf(&shp_path.with_extension("dbf"), &names, encoding);
    std::fs::write(shp_path.with_extension("prj"), WGS84_PRJ).unwrap();
    shp_path
}

/// Writes a `.dbf` with `PCODE`, `NAME` and `PARENT` (`ML0401` for every row) in `encoding`.
pub fn write_commune_dbf(
    path: &Path,
    rows: &[(&str, &str)],
    encoding: &'static encoding_rs::Encoding,
) {
    let field = |name: &str| FieldName::try_from(name).unwrap();
    let mut table = TableWriterBuilder::with_encoding(EncodingRs::from(encoding))
        .add_character_field(field("PCODE"), 10)
        .add_character_field(field("NAME"), 40)
        .add_character_field(field("PARENT"), 10)
        .build_with_file_dest(path)
        .unwrap();
    for (pcode, name) in rows {
        let mut record = Record::default();
        let text = |value: &str| FieldValue::Character(Some(value.to_owned()));
        record.insert("PCODE".into(), text(pcode));
        record.insert("NAME".into(), text(name));
        record.insert("PARENT".into(), text("ML0401"));
        table.write_record(&record).unwrap();
    }
    table.finalize().unwrap();
}

/// Writes a polygon `.shp` and its `.shx` byte by byte (ESRI white paper, July 1998); `None`
/// is a null shape. Rings are written as given, so the caller chooses their orientation.
pub fn write_polygon_shp_by_hand(shp_path: &Path, rings: &[Option<Vec<(f64, f64)>>]) {
    const POLYGON: i32 = 5;
    const NULL_SHAPE: i32 = 0;
    let mut contents = Vec::new();
    for ring in rings {
        let mut content = Vec::new();
        match ring {
            None => content.extend_from_slice(&NULL_SHAPE.to_le_bytes()),
            Some(points) => {
                content.extend_from_slice(&POLYGON.to_le_bytes());
                let (xs, ys): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
                for bound in [
                    xs.iter().copied().fold(f64::INFINITY, f64::min),
                    ys.iter().copied().fold(f64::INFINITY, f64::min),
                    xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                ] {
                    content.extend_from_slice(&bound.to_le_bytes());
                }
                content.extend_from_slice(&1i32.to_le_bytes());
                content.extend_from_slice(&(points.len() as i32).to_le_bytes());
                content.extend_from_slice(&0i32.to_le_bytes());
                for (x, y) in points {
                    content.extend_from_slice(&x.to_le_bytes());
                    content.extend_from_slice(&y.to_le_bytes());
                }
            }
        }
        contents.push(content);
    }
    let header = |file_length_bytes: usize| {
        let mut header = Vec::with_capacity(100);
        header.extend_from_slice(&9994i32.to_be_bytes());
        header.extend_from_slice(&[0u8; 20]);
        header.extend_from_slice(&((file_length_bytes / 2) as i32).to_be_bytes());
        header.extend_from_slice(&1000i32.to_le_bytes());
        header.extend_from_slice(&POLYGON.to_le_bytes());
        header.extend_from_slice(&[0u8; 64]);
        header
    };
    let shp_length = 100
        + contents
            .iter()
            .map(|content| 8 + content.len())
            .sum::<usize>();
    let mut shp = header(shp_length);
    let mut shx = header(100 + 8 * contents.len());
    for (position, content) in contents.iter().enumerate() {
        let offset_words = (shp.len() / 2) as i32;
        let length_words = (content.len() / 2) as i32;
        shx.extend_from_slice(&offset_words.to_be_bytes());
        shx.extend_from_slice(&length_words.to_be_bytes());
        shp.extend_from_slice(&(position as i32 + 1).to_be_bytes());
        shp.extend_from_slice(&length_words.to_be_bytes());
        shp.extend_from_slice(content);
    }
    std::fs::write(shp_path, shp).unwrap();
    std::fs::write(shp_path.with_extension("shx"), shx).unwrap();
}

/// Writes a GeoJSON FeatureCollection of the given feature objects and returns its path.
pub fn write_geojson(directory: &Path, name: &str, features: &[serde_json::Value]) -> PathBuf {
    let path = directory.join(name);
    let collection = serde_json::json!({ "type": "FeatureCollection", "features": features });
    std::fs::write(&path, serde_json::to_vec_pretty(&collection).unwrap()).unwrap();
    path
}

/// A GeoJSON feature with `PCODE`, `NAME` and `PARENT` properties and the given geometry.
pub fn geojson_commune(pcode: &str, name: &str, geometry: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "type": "Feature",
        "properties": { "PCODE": pcode, "NAME": name, "PARENT": "ML0401" },
        "geometry": geometry,
    })
}

/// A GeoJSON Polygon from one ring of (longitude, latitude) pairs.
pub fn geojson_polygon(ring: &[(f64, f64)]) -> serde_json::Value {
    let positions: Vec<[f64; 2]> = ring.iter().map(|&(x, y)| [x, y]).collect();
    serde_json::json!({ "type": "Polygon", "coordinates": [positions] })
}
