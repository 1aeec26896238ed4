//! ESRI shapefiles: `.shp` geometry, `.shx` index, `.dbf` attributes, `.prj` projection, `.cpg`
//! encoding.
//!
//! The parts are found beside the `.shp` (same stem, extension in any case), the `.prj` is
//! checked to be geographic WGS84 before anything else is read, then every record is read:
//! its shape through the `.shx` offsets, its attributes from the `.dbf` decoded with the
//! `.cpg` encoding. Rings reach the repair step exactly as stored.
//!
//! Government files are often damaged, so every length and offset is checked against the
//! bytes actually present and a bad file becomes an [`BoundaryError::InvalidShapefile`] naming
//! the file and the record, never a panic.
//!
//! The `.dbf` is read here rather than with the `dbase` crate because that crate skips deleted
//! rows (which would pair shapes with the wrong attributes), reads `F` fields as `f32`, and
//! fails the whole table on one malformed number.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use encoding_rs::Encoding;
use geo_types::Coord;
use shapefile::record::traits::HasXY;
use shapefile::{ReadableShape, Shape};
use vigie_spatial::geometry::RawPolygon;

use crate::BoundaryError;
use crate::features::{RawFeature, RawGeometry};
use crate::prj;

/// Reads every record of a shapefile, with the name of the encoding its attributes were
/// decoded with.
pub(crate) fn read(path: &Path) -> Result<(Vec<RawFeature>, String), BoundaryError> {
    let invalid = |path: &Path, reason: String| BoundaryError::InvalidShapefile {
        path: path.to_owned(),
        reason,
    };
    let shx_path = find_part(path, "shx").ok_or_else(|| {
        invalid(
            &path.with_extension("shx"),
            "the .shx index is missing: a shapefile needs its .shp, .shx and .dbf side by side"
                .into(),
        )
    })?;
    let dbf_path = find_part(path, "dbf").ok_or_else(|| {
        invalid(
            &path.with_extension("dbf"),
            "the .dbf attribute table is missing: a shapefile needs its .shp, .shx and .dbf side \
             by side"
                .into(),
        )
    })?;
    check_projection(path)?;
    let declared_encoding = match find_part(path, "cpg") {
        Some(cpg_path) => Some(encoding_from_cpg(&cpg_path)?),
        None => None,
    };
    let shp = read_bytes(path)?;
    let shx = read_bytes(&shx_path)?;
    let dbf = read_bytes(&dbf_path)?;
    let files = Files {
        shp_path: path,
        shp: &shp,
        shx_path: &shx_path,
        shx: &shx,
        dbf_path: &dbf_path,
        dbf: &dbf,
    };
    // Every length is checked before use, but the shapefile crate underneath may still meet a
    // case its authors did not; a panic there must not take the service down.
    catch_unwind(AssertUnwindSafe(|| read_records(&files, declared_encoding))).unwrap_or_else(
        |_| {
            Err(invalid(
                path,
                "the file is malformed: reading its shapes failed unexpectedly".into(),
            ))
        },
    )
}

/// The three mandatory parts, read into memory.
struct Files<'a> {
    shp_path: &'a Path,
    shp: &'a [u8],
    shx_path: &'a Path,
    shx: &'a [u8],
    dbf_path: &'a Path,
    dbf: &'a [u8],
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, BoundaryError> {
    std::fs::read(path).map_err(|source| BoundaryError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The file beside `shp_path` with the same stem and `extension` in any case (`.dbf`, `.DBF`).
fn find_part(shp_path: &Path, extension: &str) -> Option<PathBuf> {
    let lower = shp_path.with_extension(extension);
    if lower.is_file() {
        return Some(lower);
    }
    let upper = shp_path.with_extension(extension.to_ascii_uppercase());
    if upper.is_file() {
        return Some(upper);
    }
    let stem = shp_path.file_stem()?.to_str()?;
    let directory = match shp_path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut matches: Vec<PathBuf> = std::fs::read_dir(directory)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            entry.file_name().to_str().is_some_and(|name| {
                name.strip_prefix(stem)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|found| found.eq_ignore_ascii_case(extension))
            })
        })
        .map(|entry| entry.path())
        .filter(|candidate| candidate.is_file())
        .collect();
    matches.sort();
    matches.into_iter().next()
}

fn check_projection(shp_path: &Path) -> Result<(), BoundaryError> {
    let Some(prj_path) = find_part(shp_path, "prj") else {
        return Err(BoundaryError::NotWgs84 {
            path: shp_path.to_owned(),
            reason: "there is no .prj file beside the .shp, so its coordinate system is unknown"
                .into(),
        });
    };
    let bytes = read_bytes(&prj_path)?;
    prj::check_wgs84(&String::from_utf8_lossy(&bytes)).map_err(|reason| BoundaryError::NotWgs84 {
        path: prj_path,
        reason,
    })
}

fn read_records(
    files: &Files<'_>,
    declared_encoding: Option<(TextEncoding, EncodingSource)>,
) -> Result<(Vec<RawFeature>, String), BoundaryError> {
    check_file_code(files.shp_path, files.shp, ".shp")?;
    let index = read_index(files.shx_path, files.shx)?;
    let table = DbfTable::parse(files.dbf_path, files.dbf)?;
    if table.record_count != index.len() {
        return Err(BoundaryError::InvalidShapefile {
            path: files.dbf_path.to_owned(),
            reason: format!(
                "the .dbf holds {} records but the .shx indexes {} shapes; the parts do not come \
                 from the same export",
                table.record_count,
                index.len()
            ),
        });
    }
    let (encoding, source) = match declared_encoding {
        Some(declared) => declared,
        None => match table.language_driver_encoding() {
            Some(encoding) => (encoding, EncodingSource::LanguageDriver),
            None if table.text_is_utf8() => (
                TextEncoding::Standard(encoding_rs::UTF_8),
                EncodingSource::Guessed,
            ),
            None => (
                TextEncoding::Standard(encoding_rs::WINDOWS_1252),
                EncodingSource::Guessed,
            ),
        },
    };
    let field_names = table.field_names(files.dbf_path, encoding, source)?;
    let mut features = Vec::with_capacity(index.len());
    for (position, entry) in index.iter().enumerate() {
        let number = position + 1;
        let record = table.record(position);
        // A deleted row is a feature the producer removed; its shape is usually still in the
        // .shp, so both are skipped together.
        if record.first() == Some(&b'*') {
            continue;
        }
        let shape = read_shape(files.shp_path, files.shp, *entry, number)?;
        let mut properties = BTreeMap::new();
        for (field, name) in table.fields.iter().zip(&field_names) {
            let Some(name) = name else { continue };
            let raw = &record[field.offset..field.offset + field.length];
            let value = field.value(raw, encoding).ok_or_else(|| BoundaryError::InvalidShapefile {
                path: files.dbf_path.to_owned(),
                reason: format!(
                    "record {number}, field {name}: the text is not valid {} although {} says so; \
                     correct the .cpg (for example to 1252 for Windows Latin-1)",
                    encoding.name(),
                    source.describe()
                ),
            })?;
            properties.entry(name.clone()).or_insert(value);
        }
        features.push(RawFeature {
            number,
            properties,
            geometry: raw_geometry(shape),
        });
    }
    Ok((features, encoding.name().to_owned()))
}

// --- .shp and .shx ---------------------------------------------------------------------------

/// Where a record sits in the `.shp`, in bytes, as the `.shx` says.
#[derive(Debug, Clone, Copy)]
struct IndexEntry {
    offset: i64,
}

const MAIN_HEADER_BYTES: usize = 100;
const SHAPEFILE_FILE_CODE: i32 = 9994;

fn big_endian_i32(bytes: &[u8], at: usize) -> Option<i32> {
    let word: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(i32::from_be_bytes(word))
}

fn check_file_code(path: &Path, bytes: &[u8], kind: &str) -> Result<(), BoundaryError> {
    if bytes.len() < MAIN_HEADER_BYTES || big_endian_i32(bytes, 0) != Some(SHAPEFILE_FILE_CODE) {
        return Err(BoundaryError::InvalidShapefile {
            path: path.to_owned(),
            reason: format!(
                "not a {kind} file: it does not start with the 100-byte shapefile header (file \
                 code 9994){}",
                if bytes.len() < MAIN_HEADER_BYTES {
                    format!("; it holds only {} bytes", bytes.len())
                } else {
                    String::new()
                }
            ),
        });
    }
    Ok(())
}

fn read_index(path: &Path, shx: &[u8]) -> Result<Vec<IndexEntry>, BoundaryError> {
    check_file_code(path, shx, ".shx")?;
    let invalid = |reason: String| BoundaryError::InvalidShapefile {
        path: path.to_owned(),
        reason,
    };
    let declared_bytes = big_endian_i32(shx, 24)
        .and_then(|words| usize::try_from(words).ok())
        .and_then(|words| words.checked_mul(2))
        .filter(|bytes| *bytes >= MAIN_HEADER_BYTES)
        .ok_or_else(|| invalid("the header declares an impossible file length".into()))?;
    if declared_bytes > shx.len() {
        return Err(invalid(format!(
            "the header declares {declared_bytes} bytes but the file holds {} (it is truncated)",
            shx.len()
        )));
    }
    Ok(shx[MAIN_HEADER_BYTES..declared_bytes]
        .chunks_exact(8)
        .map(|entry| IndexEntry {
            offset: i64::from(i32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]])) * 2,
        })
        .collect())
}

/// Reads record `number` (1-based) at the offset the `.shx` gave, from exactly the bytes its
/// record header announces, so that a damaged record cannot make the reader wander.
fn read_shape(
    path: &Path,
    shp: &[u8],
    entry: IndexEntry,
    number: usize,
) -> Result<Shape, BoundaryError> {
    let invalid = |reason: String| BoundaryError::InvalidShapefile {
        path: path.to_owned(),
        reason: format!("record {number}: {reason}"),
    };
    let start = usize::try_from(entry.offset)
        .ok()
        .filter(|start| *start >= MAIN_HEADER_BYTES)
        .ok_or_else(|| {
            invalid(format!(
                "the .shx gives the impossible offset {}",
                entry.offset
            ))
        })?;
    let content_start = start + 8;
    let content_bytes = big_endian_i32(shp, start + 4)
        .ok_or_else(|| {
            invalid(format!(
                "the .shx points to byte {start} but the .shp holds only {} bytes (it is \
                 truncated)",
                shp.len()
            ))
        })?
        .checked_mul(2)
        .and_then(|bytes| usize::try_from(bytes).ok())
        .filter(|bytes| *bytes >= 4)
        .ok_or_else(|| invalid("its header declares an impossible length".into()))?;
    let content = content_start
        .checked_add(content_bytes)
        .and_then(|content_end| shp.get(content_start..content_end))
        .ok_or_else(|| {
            invalid(format!(
                "it runs past the end of the .shp ({} bytes; the file is truncated)",
                shp.len()
            ))
        })?;
    let record_size = i32::try_from(content_bytes)
        .map_err(|_| invalid("its header declares an impossible length".into()))?;
    check_counts(content).map_err(invalid)?;
    Shape::read_from(&mut Cursor::new(content), record_size)
        .map_err(|error| invalid(describe(&error)))
}

/// Multi-part records declare their part and point counts up front; counts the record's bytes
/// cannot hold are refused here, before the shapefile crate reserves memory for them.
fn check_counts(content: &[u8]) -> Result<(), String> {
    let little_endian_count = |at: usize| -> Option<u64> {
        let word: [u8; 4] = content.get(at..at + 4)?.try_into().ok()?;
        u64::try_from(i32::from_le_bytes(word)).ok()
    };
    let Some(shape_type) = content
        .get(0..4)
        .and_then(|word| word.try_into().ok())
        .map(i32::from_le_bytes)
    else {
        return Ok(());
    };
    // Bytes before the parts array, and bytes per part, by shape type (ESRI white paper).
    let (header_bytes, bytes_per_part) = match shape_type {
        3 | 5 | 13 | 15 | 23 | 25 => (44, 4),
        31 => (44, 8),
        8 | 18 | 28 => (40, 0),
        _ => return Ok(()),
    };
    let (parts, points) = if bytes_per_part == 0 {
        (Some(0), little_endian_count(36))
    } else {
        (little_endian_count(36), little_endian_count(40))
    };
    let (Some(parts), Some(points)) = (parts, points) else {
        return Err("its part or point count is missing or negative".into());
    };
    let needed = header_bytes + parts * bytes_per_part + points * 16;
    if needed > content.len() as u64 {
        return Err(format!(
            "it declares {parts} parts and {points} points, more than its {} bytes can hold",
            content.len()
        ));
    }
    Ok(())
}

fn describe(error: &shapefile::Error) -> String {
    match error {
        shapefile::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "its bytes end before its shape does".into()
        }
        shapefile::Error::InvalidShapeType(code) => format!("unknown shape type {code}"),
        shapefile::Error::InvalidShapeRecordSize => {
            "its point and part counts do not fit its length".into()
        }
        shapefile::Error::AllocationLimitExceeded { requested_bytes } => {
            format!("it declares {requested_bytes} bytes of points, more than can be held")
        }
        other => other.to_string(),
    }
}

fn coordinates<P: HasXY>(points: &[P]) -> Vec<Coord<f64>> {
    points
        .iter()
        .map(|point| Coord {
            x: point.x(),
            y: point.y(),
        })
        .collect()
}

fn raw_geometry(shape: Shape) -> RawGeometry {
    fn lines<P: HasXY>(parts: &[Vec<P>]) -> RawGeometry {
        RawGeometry::Lines(parts.iter().map(|part| coordinates(part)).collect())
    }
    fn polygons<P: HasXY>(rings: &[shapefile::PolygonRing<P>]) -> RawGeometry {
        RawGeometry::Polygons(group_rings(
            rings
                .iter()
                .map(|ring| coordinates(ring.points()))
                .collect(),
        ))
    }
    match shape {
        Shape::NullShape => RawGeometry::Missing,
        Shape::Point(_) | Shape::PointM(_) | Shape::PointZ(_) => RawGeometry::Other("Point"),
        Shape::Multipoint(_) | Shape::MultipointM(_) | Shape::MultipointZ(_) => {
            RawGeometry::Other("MultiPoint")
        }
        Shape::Multipatch(_) => RawGeometry::Other("MultiPatch"),
        Shape::Polyline(line) => lines(line.parts()),
        Shape::PolylineM(line) => lines(line.parts()),
        Shape::PolylineZ(line) => lines(line.parts()),
        Shape::Polygon(polygon) => polygons(polygon.rings()),
        Shape::PolygonM(polygon) => polygons(polygon.rings()),
        Shape::PolygonZ(polygon) => polygons(polygon.rings()),
    }
}

/// Groups a shapefile polygon's rings into polygons, exterior first.
///
/// Shapefiles store outer rings clockwise and holes counter-clockwise, in any order. An outer
/// ring starts a polygon; a hole joins the smallest outer ring that contains it, or else the
/// outer ring stored before it; a hole with neither becomes a polygon of its own (the repair
/// step orients it). Rings with no area count as outer rings, so that the repair step sees
/// and reports them.
fn group_rings(rings: Vec<Vec<Coord<f64>>>) -> Vec<RawPolygon> {
    struct Outer {
        rings: RawPolygon,
        area: f64,
        bounds: Bounds,
    }
    let mut outers: Vec<Outer> = Vec::new();
    let mut holes = Vec::new();
    for ring in rings {
        let area = signed_area(&ring);
        if area > 0.0 {
            holes.push((ring, outers.len().checked_sub(1)));
        } else {
            outers.push(Outer {
                bounds: Bounds::of(&ring),
                rings: vec![ring],
                area: -area,
            });
        }
    }
    let mut orphans = Vec::new();
    for (hole, previous_outer) in holes {
        let container = outers
            .iter()
            .enumerate()
            .filter(|(_, outer)| ring_contains_ring(&outer.rings[0], &outer.bounds, &hole))
            .min_by(|(_, a), (_, b)| a.area.total_cmp(&b.area))
            .map(|(position, _)| position)
            .or(previous_outer);
        match container {
            Some(position) => outers[position].rings.push(hole),
            None => orphans.push(vec![hole]),
        }
    }
    outers
        .into_iter()
        .map(|outer| outer.rings)
        .chain(orphans)
        .collect()
}

/// The shoelace area, positive for counter-clockwise rings (x east, y north).
fn signed_area(ring: &[Coord<f64>]) -> f64 {
    let Some(&origin) = ring.first() else {
        return 0.0;
    };
    // Measured from the first vertex to keep precision on rings far from (0, 0).
    let doubled: f64 = ring
        .iter()
        .zip(ring.iter().skip(1).chain(std::iter::once(&origin)))
        .map(|(a, b)| (a.x - origin.x) * (b.y - origin.y) - (b.x - origin.x) * (a.y - origin.y))
        .sum();
    doubled / 2.0
}

/// A ring's bounding box.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    min: Coord<f64>,
    max: Coord<f64>,
}

impl Bounds {
    fn of(ring: &[Coord<f64>]) -> Bounds {
        let mut bounds = Bounds {
            min: Coord {
                x: f64::INFINITY,
                y: f64::INFINITY,
            },
            max: Coord {
                x: f64::NEG_INFINITY,
                y: f64::NEG_INFINITY,
            },
        };
        for point in ring {
            bounds.min.x = bounds.min.x.min(point.x);
            bounds.min.y = bounds.min.y.min(point.y);
            bounds.max.x = bounds.max.x.max(point.x);
            bounds.max.y = bounds.max.y.max(point.y);
        }
        bounds
    }

    fn contains(&self, point: Coord<f64>) -> bool {
        (self.min.x..=self.max.x).contains(&point.x) && (self.min.y..=self.max.y).contains(&point.y)
    }
}

#[derive(Debug, PartialEq)]
enum Position {
    Inside,
    Outside,
    OnBoundary,
}

/// Whether `inner` lies inside `outer`, judged by its first vertex not on `outer`'s boundary
/// (holes often touch their outer ring at a vertex).
fn ring_contains_ring(outer: &[Coord<f64>], outer_bounds: &Bounds, inner: &[Coord<f64>]) -> bool {
    for &point in inner {
        if !outer_bounds.contains(point) {
            return false;
        }
        match locate_point(point, outer) {
            Position::Inside => return true,
            Position::Outside => return false,
            Position::OnBoundary => {}
        }
    }
    !inner.is_empty()
}

/// Even-odd ray casting, with points on an edge reported as such.
fn locate_point(point: Coord<f64>, ring: &[Coord<f64>]) -> Position {
    let Some(&last) = ring.last() else {
        return Position::Outside;
    };
    let mut inside = false;
    let mut previous = last;
    for &current in ring {
        let cross = (current.x - previous.x) * (point.y - previous.y)
            - (current.y - previous.y) * (point.x - previous.x);
        let within_segment = point.x >= previous.x.min(current.x)
            && point.x <= previous.x.max(current.x)
            && point.y >= previous.y.min(current.y)
            && point.y <= previous.y.max(current.y);
        if cross == 0.0 && within_segment {
            return Position::OnBoundary;
        }
        if (previous.y > point.y) != (current.y > point.y) {
            let crossing_x = previous.x
                + (point.y - previous.y) * (current.x - previous.x) / (current.y - previous.y);
            if point.x < crossing_x {
                inside = !inside;
            }
        }
        previous = current;
    }
    if inside {
        Position::Inside
    } else {
        Position::Outside
    }
}

// --- .dbf ------------------------------------------------------------------------------------

/// How a field's bytes become text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FieldKind {
    /// `C` and unknown types: text in the table's encoding.
    Text,
    /// `N` and `F`: a number written as ASCII text.
    Number,
    /// `L`: T/F, Y/N, or `?` for unknown.
    Logical,
    /// `D`: `YYYYMMDD`.
    Date,
    /// Visual FoxPro `I`: a little-endian 32-bit integer.
    Integer,
    /// Visual FoxPro `O` (and `B` when 8 bytes long): a little-endian 64-bit float.
    Double,
    /// Memo pointers and binary date-times: their content is not in the `.dbf`.
    Unreadable,
    /// Visual FoxPro's hidden `_NullFlags` column: not an attribute.
    System,
}

#[derive(Debug, Clone)]
struct DbfField {
    name: Vec<u8>,
    kind: FieldKind,
    /// Position in the record, after the deletion flag.
    offset: usize,
    length: usize,
}

#[derive(Debug)]
struct DbfTable<'a> {
    bytes: &'a [u8],
    fields: Vec<DbfField>,
    record_count: usize,
    header_length: usize,
    record_length: usize,
    language_driver: u8,
}

impl<'a> DbfTable<'a> {
    const HEADER_BYTES: usize = 32;
    const DESCRIPTOR_BYTES: usize = 32;
    const DESCRIPTOR_END: u8 = 0x0D;

    fn parse(path: &Path, bytes: &'a [u8]) -> Result<DbfTable<'a>, BoundaryError> {
        let invalid = |reason: String| BoundaryError::InvalidShapefile {
            path: path.to_owned(),
            reason,
        };
        if bytes.len() < Self::HEADER_BYTES {
            return Err(invalid(format!(
                "not a dBase table: it holds only {} bytes, less than a header",
                bytes.len()
            )));
        }
        // dBase 7 uses 48-byte field descriptors; no shapefile tool writes it.
        if matches!(bytes[0], 0x04 | 0x8C) {
            return Err(invalid(
                "dBase level 7 tables are not supported; save the .dbf as dBase III or IV".into(),
            ));
        }
        let record_count = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        let header_length = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        let record_length = usize::from(u16::from_le_bytes([bytes[10], bytes[11]]));
        if header_length < Self::HEADER_BYTES + 1 || header_length > bytes.len() {
            return Err(invalid(format!(
                "not a dBase table: its header length {header_length} is impossible for a file of \
                 {} bytes",
                bytes.len()
            )));
        }
        let mut fields = Vec::new();
        let mut offset = 1;
        let mut descriptor = Self::HEADER_BYTES;
        while descriptor + Self::DESCRIPTOR_BYTES <= header_length
            && bytes[descriptor] != Self::DESCRIPTOR_END
        {
            let raw = &bytes[descriptor..descriptor + Self::DESCRIPTOR_BYTES];
            let name_end = raw[..11].iter().position(|&byte| byte == 0).unwrap_or(11);
            let length = usize::from(raw[16]);
            let kind = match raw[11].to_ascii_uppercase() {
                b'N' | b'F' => FieldKind::Number,
                b'L' => FieldKind::Logical,
                b'D' => FieldKind::Date,
                b'I' if length == 4 => FieldKind::Integer,
                b'O' | b'B' if length == 8 => FieldKind::Double,
                b'M' | b'G' | b'P' | b'B' | b'T' | b'@' | b'Y' | b'+' | b'I' | b'O' => {
                    FieldKind::Unreadable
                }
                b'0' => FieldKind::System,
                _ => FieldKind::Text,
            };
            fields.push(DbfField {
                name: raw[..name_end].to_vec(),
                kind,
                offset,
                length,
            });
            offset += length;
            descriptor += Self::DESCRIPTOR_BYTES;
        }
        if offset > record_length {
            return Err(invalid(format!(
                "its fields take {offset} bytes but its records are declared {record_length} bytes \
                 long"
            )));
        }
        let available = (bytes.len() - header_length) / record_length;
        if available < record_count {
            return Err(invalid(format!(
                "the header announces {record_count} records but the file holds only {available} \
                 (it is truncated)"
            )));
        }
        Ok(DbfTable {
            bytes,
            fields,
            record_count,
            header_length,
            record_length,
            language_driver: bytes[29],
        })
    }

    /// Record `position` (0-based), deletion flag first; `parse` checked that it is present.
    fn record(&self, position: usize) -> &'a [u8] {
        let start = self.header_length + position * self.record_length;
        &self.bytes[start..start + self.record_length]
    }

    fn records(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.record_count).map(|position| self.record(position))
    }

    /// The code page named by the header's language driver id, when it is one we can decode.
    fn language_driver_encoding(&self) -> Option<TextEncoding> {
        let code_page = match self.language_driver {
            0x01 => 437,
            0x02 => 850,
            0x03 | 0x57 => 1252,
            0x13 | 0x7B => 932,
            0x26 | 0x65 => 866,
            0x4D | 0x7A => 936,
            0x4E | 0x79 => 949,
            0x4F | 0x78 => 950,
            0x50 | 0x7C => 874,
            0x7D => 1255,
            0x7E => 1256,
            0xC8 => 1250,
            0xC9 => 1251,
            0xCA => 1254,
            0xCB => 1253,
            0xCC => 1257,
            _ => return None,
        };
        encoding_for_code_page(code_page)
    }

    /// Whether every text the table holds (field names and text fields) is valid UTF-8.
    fn text_is_utf8(&self) -> bool {
        let names_are_utf8 = self
            .fields
            .iter()
            .all(|field| std::str::from_utf8(&field.name).is_ok());
        names_are_utf8
            && self.records().all(|record| {
                self.fields
                    .iter()
                    .filter(|field| field.kind == FieldKind::Text)
                    .all(|field| {
                        std::str::from_utf8(&record[field.offset..field.offset + field.length])
                            .is_ok()
                    })
            })
    }

    /// The field names as decoded; `None` for columns that are not attributes.
    fn field_names(
        &self,
        path: &Path,
        encoding: TextEncoding,
        source: EncodingSource,
    ) -> Result<Vec<Option<String>>, BoundaryError> {
        self.fields
            .iter()
            .map(|field| {
                if field.kind == FieldKind::System {
                    return Ok(None);
                }
                let name = encoding.decode(&field.name).ok_or_else(|| {
                    BoundaryError::InvalidShapefile {
                        path: path.to_owned(),
                        reason: format!(
                            "a field name is not valid {} although {} says so",
                            encoding.name(),
                            source.describe()
                        ),
                    }
                })?;
                Ok(Some(name.trim().to_owned()))
            })
            .collect()
    }
}

impl DbfField {
    /// The field's value as text: `None` for blanks and nulls; the outer `None` when the
    /// bytes are not valid in `encoding`.
    fn value(&self, raw: &[u8], encoding: TextEncoding) -> Option<Option<String>> {
        let trimmed = trim_padding(raw);
        let value = match self.kind {
            FieldKind::Text => {
                if trimmed.is_empty() {
                    None
                } else {
                    let text = encoding.decode(trimmed)?;
                    Some(text.trim().to_owned()).filter(|text| !text.is_empty())
                }
            }
            FieldKind::Number => number_text(&String::from_utf8_lossy(trimmed)),
            FieldKind::Logical => match trimmed.first() {
                Some(b'T' | b't' | b'Y' | b'y') => Some("true".to_owned()),
                Some(b'F' | b'f' | b'N' | b'n') => Some("false".to_owned()),
                _ => None,
            },
            FieldKind::Date => date_text(trimmed),
            // `parse` gave these kinds only to fields of the right width.
            FieldKind::Integer => raw
                .try_into()
                .ok()
                .map(|bytes| i32::from_le_bytes(bytes).to_string()),
            FieldKind::Double => raw
                .try_into()
                .ok()
                .map(f64::from_le_bytes)
                .filter(|value| value.is_finite())
                .map(render_number),
            FieldKind::Unreadable | FieldKind::System => None,
        };
        Some(value)
    }
}

fn trim_padding(bytes: &[u8]) -> &[u8] {
    let is_padding = |byte: &u8| *byte == 0 || byte.is_ascii_whitespace();
    let start = bytes
        .iter()
        .position(|byte| !is_padding(byte))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|byte| !is_padding(byte))
        .map_or(start, |last| last + 1);
    &bytes[start..end]
}

/// A dBase number as text: integers without a trailing `.0`, others in shortest form; text
/// that is no number is kept as written, so nothing is lost.
fn number_text(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() || text.bytes().all(|byte| byte == b'*') {
        return None;
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty()
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && let Ok(integer) = text.parse::<i128>()
    {
        return Some(integer.to_string());
    }
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Some(render_number(value)),
        _ => Some(text.to_owned()),
    }
}

fn render_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        // `as` is exact here: integral and well inside i64.
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// `YYYYMMDD` as `YYYY-MM-DD`; a blank or all-zero date is no date; anything else is kept.
fn date_text(trimmed: &[u8]) -> Option<String> {
    if trimmed.is_empty() || trimmed.iter().all(|byte| *byte == b'0') {
        return None;
    }
    let text = String::from_utf8_lossy(trimmed);
    if trimmed.len() == 8 && trimmed.iter().all(u8::is_ascii_digit) {
        Some(format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..]))
    } else {
        Some(text.into_owned())
    }
}

// --- encodings -------------------------------------------------------------------------------

/// A character encoding for `.dbf` text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TextEncoding {
    /// One of the encodings `encoding_rs` carries (UTF-8, windows-125x, ISO-8859-x, CJK…).
    Standard(&'static Encoding),
    /// A DOS code page `encoding_rs` does not carry: the characters of bytes 0x80 to 0xFF.
    Dos {
        name: &'static str,
        high_half: &'static [char; 128],
    },
}

impl TextEncoding {
    fn name(self) -> &'static str {
        match self {
            TextEncoding::Standard(encoding) => encoding.name(),
            TextEncoding::Dos { name, .. } => name,
        }
    }

    /// `None` when the bytes are malformed in this encoding (only possible for multi-byte
    /// encodings such as UTF-8).
    fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            TextEncoding::Standard(encoding) => encoding
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|text| text.into_owned()),
            TextEncoding::Dos { high_half, .. } => Some(
                bytes
                    .iter()
                    .map(|&byte| match byte {
                        0..=0x7F => char::from(byte),
                        _ => high_half[usize::from(byte - 0x80)],
                    })
                    .collect(),
            ),
        }
    }
}

/// Where the encoding came from, for error messages.
#[derive(Debug, Clone, Copy, PartialEq)]
enum EncodingSource {
    Cpg,
    LanguageDriver,
    Guessed,
}

impl EncodingSource {
    fn describe(self) -> &'static str {
        match self {
            EncodingSource::Cpg => "the .cpg",
            EncodingSource::LanguageDriver => "the .dbf header's language driver",
            EncodingSource::Guessed => "the content",
        }
    }
}

fn encoding_from_cpg(cpg_path: &Path) -> Result<(TextEncoding, EncodingSource), BoundaryError> {
    let bytes = read_bytes(cpg_path)?;
    let label = String::from_utf8_lossy(&bytes);
    let label = label.trim_start_matches('\u{feff}').trim();
    encoding_for_label(label)
        .map(|encoding| (encoding, EncodingSource::Cpg))
        .ok_or_else(|| BoundaryError::UnknownEncoding {
            path: cpg_path.to_owned(),
            label: label.to_owned(),
        })
}

/// The encoding a `.cpg` label names. There is no standard for these labels: ESRI writes code
/// page numbers (`1252`, `ANSI 1252`), GDAL and QGIS write names (`UTF-8`, `ISO-8859-1`,
/// `8859_1`), so both are understood, then whatever the WHATWG label list knows.
fn encoding_for_label(label: &str) -> Option<TextEncoding> {
    let upper = label.trim().to_ascii_uppercase();
    let compact: String = upper
        .chars()
        .filter(|character| !matches!(character, ' ' | '-' | '_'))
        .collect();
    match compact.as_str() {
        "UTF8" => return Some(TextEncoding::Standard(encoding_rs::UTF_8)),
        "LATIN1" => return encoding_for_code_page(1252),
        _ => {}
    }
    for prefix in ["ISO8859", "8859"] {
        if let Some(part) = compact.strip_prefix(prefix) {
            let part: u16 = part.parse().ok()?;
            return Encoding::for_label(format!("iso-8859-{part}").as_bytes())
                .map(TextEncoding::Standard);
        }
    }
    for prefix in ["ANSI", "WINDOWS", "CP", "IBM", "OEM", "MS", ""] {
        if let Some(number) = compact.strip_prefix(prefix)
            && let Ok(code_page) = number.parse::<u16>()
        {
            return encoding_for_code_page(code_page);
        }
    }
    // UTF-16 and WHATWG's "replacement" are labels browsers know but no .dbf is written in.
    Encoding::for_label(label.trim().as_bytes())
        .filter(|encoding| encoding.is_ascii_compatible())
        .map(TextEncoding::Standard)
}

/// The encoding of a Windows/DOS code page number.
fn encoding_for_code_page(code_page: u16) -> Option<TextEncoding> {
    let label = match code_page {
        437 => return Some(CP437),
        850 => return Some(CP850),
        65001 => "utf-8",
        866 => "ibm866",
        874 => "windows-874",
        932 => "shift_jis",
        936 => "gbk",
        949 => "euc-kr",
        950 => "big5",
        1250..=1258 => {
            return Encoding::for_label(format!("windows-{code_page}").as_bytes())
                .map(TextEncoding::Standard);
        }
        // ISO-8859-1 is mapped to windows-1252 by encoding_rs, a superset that only differs
        // in control characters no attribute holds.
        28591..=28606 => {
            return Encoding::for_label(format!("iso-8859-{}", code_page - 28590).as_bytes())
                .map(TextEncoding::Standard);
        }
        20866 => "koi8-r",
        21866 => "koi8-u",
        10000 => "macintosh",
        54936 => "gb18030",
        _ => return None,
    };
    Encoding::for_label(label.as_bytes()).map(TextEncoding::Standard)
}

/// DOS Latin-1 (Western Europe), common in French dBase files of the DOS era.
const CP850: TextEncoding = TextEncoding::Dos {
    name: "IBM850",
    high_half: &[
        '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{00E0}', '\u{00E5}',
        '\u{00E7}', '\u{00EA}', '\u{00EB}', '\u{00E8}', '\u{00EF}', '\u{00EE}', '\u{00EC}',
        '\u{00C4}', '\u{00C5}', '\u{00C9}', '\u{00E6}', '\u{00C6}', '\u{00F4}', '\u{00F6}',
        '\u{00F2}', '\u{00FB}', '\u{00F9}', '\u{00FF}', '\u{00D6}', '\u{00DC}', '\u{00F8}',
        '\u{00A3}', '\u{00D8}', '\u{00D7}', '\u{0192}', '\u{00E1}', '\u{00ED}', '\u{00F3}',
        '\u{00FA}', '\u{00F1}', '\u{00D1}', '\u{00AA}', '\u{00BA}', '\u{00BF}', '\u{00AE}',
        '\u{00AC}', '\u{00BD}', '\u{00BC}', '\u{00A1}', '\u{00AB}', '\u{00BB}', '\u{2591}',
        '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00C1}', '\u{00C2}', '\u{00C0}',
        '\u{00A9}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{00A2}', '\u{00A5}',
        '\u{2510}', '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}',
        '\u{00E3}', '\u{00C3}', '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}',
        '\u{2550}', '\u{256C}', '\u{00A4}', '\u{00F0}', '\u{00D0}', '\u{00CA}', '\u{00CB}',
        '\u{00C8}', '\u{0131}', '\u{00CD}', '\u{00CE}', '\u{00CF}', '\u{2518}', '\u{250C}',
        '\u{2588}', '\u{2584}', '\u{00A6}', '\u{00CC}', '\u{2580}', '\u{00D3}', '\u{00DF}',
        '\u{00D4}', '\u{00D2}', '\u{00F5}', '\u{00D5}', '\u{00B5}', '\u{00FE}', '\u{00DE}',
        '\u{00DA}', '\u{00DB}', '\u{00D9}', '\u{00FD}', '\u{00DD}', '\u{00AF}', '\u{00B4}',
        '\u{00AD}', '\u{00B1}', '\u{2017}', '\u{00BE}', '\u{00B6}', '\u{00A7}', '\u{00F7}',
        '\u{00B8}', '\u{00B0}', '\u{00A8}', '\u{00B7}', '\u{00B9}', '\u{00B3}', '\u{00B2}',
        '\u{25A0}', '\u{00A0}',
    ],
};

/// The original IBM PC code page (United States).
const CP437: TextEncoding = TextEncoding::Dos {
    name: "IBM437",
    high_half: &[
        '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{00E0}', '\u{00E5}',
        '\u{00E7}', '\u{00EA}', '\u{00EB}', '\u{00E8}', '\u{00EF}', '\u{00EE}', '\u{00EC}',
        '\u{00C4}', '\u{00C5}', '\u{00C9}', '\u{00E6}', '\u{00C6}', '\u{00F4}', '\u{00F6}',
        '\u{00F2}', '\u{00FB}', '\u{00F9}', '\u{00FF}', '\u{00D6}', '\u{00DC}', '\u{00A2}',
        '\u{00A3}', '\u{00A5}', '\u{20A7}', '\u{0192}', '\u{00E1}', '\u{00ED}', '\u{00F3}',
        '\u{00FA}', '\u{00F1}', '\u{00D1}', '\u{00AA}', '\u{00BA}', '\u{00BF}', '\u{2310}',
        '\u{00AC}', '\u{00BD}', '\u{00BC}', '\u{00A1}', '\u{00AB}', '\u{00BB}', '\u{2591}',
        '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{2561}', '\u{2562}', '\u{2556}',
        '\u{2555}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{255C}', '\u{255B}',
        '\u{2510}', '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}',
        '\u{255E}', '\u{255F}', '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}',
        '\u{2550}', '\u{256C}', '\u{2567}', '\u{2568}', '\u{2564}', '\u{2565}', '\u{2559}',
        '\u{2558}', '\u{2552}', '\u{2553}', '\u{256B}', '\u{256A}', '\u{2518}', '\u{250C}',
        '\u{2588}', '\u{2584}', '\u{258C}', '\u{2590}', '\u{2580}', '\u{03B1}', '\u{00DF}',
        '\u{0393}', '\u{03C0}', '\u{03A3}', '\u{03C3}', '\u{00B5}', '\u{03C4}', '\u{03A6}',
        '\u{0398}', '\u{03A9}', '\u{03B4}', '\u{221E}', '\u{03C6}', '\u{03B5}', '\u{2229}',
        '\u{2261}', '\u{00B1}', '\u{2265}', '\u{2264}', '\u{2320}', '\u{2321}', '\u{00F7}',
        '\u{2248}', '\u{00B0}', '\u{2219}', '\u{00B7}', '\u{221A}', '\u{207F}', '\u{00B2}',
        '\u{25A0}', '\u{00A0}',
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, size: f64, clockwise: bool) -> Vec<Coord<f64>> {
        let mut ring = vec![
            Coord { x, y },
            Coord { x: x + size, y },
            Coord {
                x: x + size,
                y: y + size,
            },
            Coord { x, y: y + size },
            Coord { x, y },
        ];
        if clockwise {
            ring.reverse();
        }
        ring
    }

    #[test]
    fn cpg_labels_map_to_encodings() {
        let cases = [
            ("UTF-8", "UTF-8"),
            ("utf8", "UTF-8"),
            ("65001", "UTF-8"),
            ("ISO-8859-1", "windows-1252"),
            ("ISO88591", "windows-1252"),
            ("LATIN1", "windows-1252"),
            ("8859_1", "windows-1252"),
            ("1252", "windows-1252"),
            ("CP1252", "windows-1252"),
            ("WINDOWS-1252", "windows-1252"),
            ("ANSI 1252", "windows-1252"),
            ("ISO-8859-15", "ISO-8859-15"),
            ("8859_15", "ISO-8859-15"),
            ("CP850", "IBM850"),
            ("850", "IBM850"),
            ("OEM 850", "IBM850"),
            ("437", "IBM437"),
            ("1251", "windows-1251"),
            ("GBK", "GBK"),
            ("866", "IBM866"),
        ];
        for (label, expected) in cases {
            assert_eq!(
                encoding_for_label(label).map(TextEncoding::name),
                Some(expected),
                "{label}"
            );
        }
        for unknown in ["klingon", "OEM", "UTF-16", "1234", "8859_99", ""] {
            assert_eq!(encoding_for_label(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn dos_code_pages_decode_french_accents() {
        assert_eq!(
            CP850.decode(b"S\x82gou T\x82nenkou \x90"),
            Some("Ségou Ténenkou É".into())
        );
        assert_eq!(CP437.decode(b"S\x82gou \xe1"), Some("Ségou ß".into()));
        for encoding in [CP850, CP437] {
            let TextEncoding::Dos { high_half, .. } = encoding else {
                unreachable!()
            };
            let distinct: std::collections::BTreeSet<char> = high_half.iter().copied().collect();
            assert_eq!(distinct.len(), 128);
            assert!(high_half.iter().all(|character| !character.is_ascii()));
        }
    }

    #[test]
    fn strict_utf8_refuses_latin1_bytes() {
        let utf8 = TextEncoding::Standard(encoding_rs::UTF_8);
        assert_eq!(utf8.decode(b"S\xe9gou"), None);
        assert_eq!(utf8.decode("Ségou".as_bytes()), Some("Ségou".into()));
    }

    #[test]
    fn numbers_lose_trailing_zeros_and_keep_what_is_no_number() {
        assert_eq!(number_text("  12"), Some("12".into()));
        assert_eq!(number_text("1.000"), Some("1".into()));
        assert_eq!(number_text("-0003"), Some("-3".into()));
        assert_eq!(number_text("+7"), Some("7".into()));
        assert_eq!(
            number_text("1.62925188255e-001"),
            Some("0.162925188255".into())
        );
        assert_eq!(
            number_text("12345678901234567890"),
            Some("12345678901234567890".into())
        );
        assert_eq!(number_text("1,5"), Some("1,5".into()));
        assert_eq!(number_text("**********"), None);
        assert_eq!(number_text("   "), None);
    }

    #[test]
    fn dates_become_iso_and_blank_dates_none() {
        assert_eq!(date_text(b"20130531"), Some("2013-05-31".into()));
        assert_eq!(date_text(b"00000000"), None);
        assert_eq!(date_text(b""), None);
        assert_eq!(date_text(b"2013"), Some("2013".into()));
    }

    #[test]
    fn holes_join_the_outer_ring_that_contains_them() {
        let first_outer = square(0.0, 0.0, 10.0, true);
        let first_hole = square(2.0, 2.0, 2.0, false);
        let second_outer = square(20.0, 0.0, 10.0, true);
        let second_hole = square(22.0, 2.0, 2.0, false);
        // The second hole comes first in the record, before any outer ring.
        let polygons = group_rings(vec![
            second_hole.clone(),
            first_outer.clone(),
            first_hole.clone(),
            second_outer.clone(),
        ]);
        assert_eq!(
            polygons,
            vec![
                vec![first_outer.clone(), first_hole.clone()],
                vec![second_outer, second_hole],
            ]
        );
    }

    #[test]
    fn a_hole_inside_an_island_inside_a_hole_joins_the_island() {
        let outer = square(0.0, 0.0, 10.0, true);
        let lake = square(1.0, 1.0, 8.0, false);
        let island = square(2.0, 2.0, 6.0, true);
        let pond = square(4.0, 4.0, 1.0, false);
        let polygons = group_rings(vec![
            outer.clone(),
            island.clone(),
            lake.clone(),
            pond.clone(),
        ]);
        assert_eq!(polygons, vec![vec![outer, lake], vec![island, pond]]);
    }

    #[test]
    fn a_hole_touching_its_outer_ring_at_a_vertex_still_joins_it() {
        let outer = square(0.0, 0.0, 10.0, true);
        let touching_hole = square(0.0, 0.0, 3.0, false);
        let polygons = group_rings(vec![outer.clone(), touching_hole.clone()]);
        assert_eq!(polygons, vec![vec![outer, touching_hole]]);
    }

    #[test]
    fn a_stray_hole_falls_back_to_the_previous_outer_ring_or_stands_alone() {
        let outer = square(0.0, 0.0, 10.0, true);
        let stray = square(50.0, 50.0, 1.0, false);
        assert_eq!(
            group_rings(vec![outer.clone(), stray.clone()]),
            vec![vec![outer, stray.clone()]]
        );
        // Counter-clockwise only: a writer that ignored the convention.
        assert_eq!(group_rings(vec![stray.clone()]), vec![vec![stray]]);
    }

    #[test]
    fn degenerate_rings_are_kept_for_the_repair_step_to_report() {
        let line = vec![Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 }];
        assert_eq!(group_rings(vec![line.clone()]), vec![vec![line]]);
        assert_eq!(group_rings(vec![vec![]]), vec![vec![vec![]]]);
    }

    #[test]
    fn point_counts_a_record_cannot_hold_are_refused_before_reading() {
        let mut polygon = Vec::new();
        polygon.extend_from_slice(&5i32.to_le_bytes());
        polygon.extend_from_slice(&[0u8; 32]);
        polygon.extend_from_slice(&1i32.to_le_bytes());
        polygon.extend_from_slice(&1_000_000_000i32.to_le_bytes());
        polygon.extend_from_slice(&0i32.to_le_bytes());
        assert_eq!(
            check_counts(&polygon),
            Err(
                "it declares 1 parts and 1000000000 points, more than its 48 bytes can hold".into()
            )
        );
        polygon[40..44].copy_from_slice(&(-1i32).to_le_bytes());
        assert_eq!(
            check_counts(&polygon),
            Err("its part or point count is missing or negative".into())
        );
        polygon[40..44].copy_from_slice(&0i32.to_le_bytes());
        assert_eq!(check_counts(&polygon), Ok(()));
        assert_eq!(check_counts(&0i32.to_le_bytes()), Ok(()));
    }

    fn dbf_bytes(fields: &[(&str, u8, u8)], records: &[&[u8]]) -> Vec<u8> {
        let record_length = 1 + fields
            .iter()
            .map(|field| usize::from(field.2))
            .sum::<usize>();
        let header_length = 32 + 32 * fields.len() + 1;
        let mut bytes = vec![0u8; 32];
        bytes[0] = 0x03;
        bytes[4..8].copy_from_slice(&(records.len() as u32).to_le_bytes());
        bytes[8..10].copy_from_slice(&(header_length as u16).to_le_bytes());
        bytes[10..12].copy_from_slice(&(record_length as u16).to_le_bytes());
        for (name, kind, length) in fields {
            let mut descriptor = [0u8; 32];
            descriptor[..name.len()].copy_from_slice(name.as_bytes());
            descriptor[11] = *kind;
            descriptor[16] = *length;
            bytes.extend_from_slice(&descriptor);
        }
        bytes.push(0x0D);
        for record in records {
            assert_eq!(record.len(), record_length);
            bytes.extend_from_slice(record);
        }
        bytes.push(0x1A);
        bytes
    }

    #[test]
    fn dbf_fields_of_every_common_type_become_text() {
        let bytes = dbf_bytes(
            &[
                ("NAME", b'C', 8),
                ("COUNT", b'N', 5),
                ("OK", b'L', 1),
                ("SINCE", b'D', 8),
            ],
            &[b" S\xe9gou      42T20150408", b"*          ***?        "],
        );
        let path = Path::new("table.dbf");
        let table = DbfTable::parse(path, &bytes).unwrap();
        assert_eq!(table.record_count, 2);
        assert!(!table.text_is_utf8());
        let latin = TextEncoding::Standard(encoding_rs::WINDOWS_1252);
        let values = |position: usize| -> Vec<Option<String>> {
            let record = table.record(position);
            table
                .fields
                .iter()
                .map(|field| {
                    field
                        .value(&record[field.offset..field.offset + field.length], latin)
                        .unwrap()
                })
                .collect()
        };
        assert_eq!(
            values(0),
            [
                Some("Ségou".into()),
                Some("42".into()),
                Some("true".into()),
                Some("2015-04-08".into())
            ]
        );
        assert_eq!(values(1), [None, None, None, None]);
        assert_eq!(table.record(1)[0], b'*');
    }

    #[test]
    fn a_truncated_dbf_is_refused_with_the_counts() {
        let mut bytes = dbf_bytes(&[("NAME", b'C', 4)], &[b" abcd", b" efgh"]);
        bytes.truncate(bytes.len() - 4);
        let error = DbfTable::parse(Path::new("t.dbf"), &bytes).unwrap_err();
        assert_eq!(
            error.to_string(),
            "t.dbf: the header announces 2 records but the file holds only 1 (it is truncated)"
        );
    }

    #[test]
    fn a_dbf_whose_fields_overflow_the_record_is_refused() {
        let mut bytes = dbf_bytes(&[("NAME", b'C', 4)], &[b" abcd"]);
        bytes[10] = 3;
        let error = DbfTable::parse(Path::new("t.dbf"), &bytes).unwrap_err();
        assert!(
            error.to_string().contains("its fields take 5 bytes"),
            "{error}"
        );
        for length in 0..40 {
            assert!(DbfTable::parse(Path::new("t.dbf"), &bytes[..length]).is_err());
        }
    }

    #[test]
    fn the_language_driver_names_the_code_page() {
        let mut bytes = dbf_bytes(&[("NAME", b'C', 4)], &[b" abcd"]);
        let driver = |bytes: &[u8]| {
            DbfTable::parse(Path::new("t.dbf"), bytes)
                .unwrap()
                .language_driver_encoding()
                .map(TextEncoding::name)
        };
        assert_eq!(driver(&bytes), None);
        bytes[29] = 0x02;
        assert_eq!(driver(&bytes), Some("IBM850"));
        bytes[29] = 0x57;
        assert_eq!(driver(&bytes), Some("windows-1252"));
        bytes[29] = 0xC9;
        assert_eq!(driver(&bytes), Some("windows-1251"));
    }
}
