//! The `.prj` beside a shapefile: a WKT coordinate system that must be geographic WGS84.
//!
//! Vigie keeps every coordinate in WGS84 longitude/latitude degrees, so a shapefile is only
//! accepted when its `.prj` says exactly that. Both WKT dialects are understood: WKT1 as written
//! by ESRI (`GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",…]]`) and by GDAL/OGC
//! (`GEOGCS["WGS 84",DATUM["WGS_1984",…]]`), and WKT2 (`GEOGCRS["WGS 84",ENSEMBLE[…]]`).
//! Anything else — a projection such as UTM or Web Mercator, another datum such as Clarke 1880
//! "Point 58", grads, a prime meridian other than Greenwich — is refused with a reason that
//! names what the file describes, so the user knows what to reproject from.

/// One `KEYWORD[argument, …]` element of a WKT string.
#[derive(Debug, Clone, PartialEq)]
struct WktNode {
    keyword: String,
    arguments: Vec<WktArgument>,
}

/// An argument inside the brackets of a [`WktNode`].
#[derive(Debug, Clone, PartialEq)]
enum WktArgument {
    /// A double-quoted string: names.
    Quoted(String),
    /// A number or an unquoted enumeration value (`NORTH`, `ellipsoidal`).
    Bare(String),
    /// A nested element.
    Node(WktNode),
}

/// Deeper nesting than this is no coordinate system; the limit keeps a hostile file from
/// exhausting the stack.
const MAXIMUM_DEPTH: usize = 32;

/// One degree in radians: the factor every accepted angular unit must carry.
const RADIANS_PER_DEGREE: f64 = std::f64::consts::PI / 180.0;

/// Checks that `wkt` (the text of a `.prj`) describes geographic WGS84 longitude/latitude.
///
/// `Err` carries the reason for the user, naming what the file describes instead, e.g.
/// `the .prj describes the projected system "WGS_1984_UTM_Zone_30N"`.
pub(crate) fn check_wgs84(wkt: &str) -> Result<(), String> {
    let text = wkt.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err("the .prj is empty, so its coordinate system is unknown".into());
    }
    let root = parse(text).map_err(|problem| {
        let start: String = text.chars().take(40).collect();
        format!("the .prj is not a WKT coordinate system this importer reads ({problem}; it starts with {start:?})")
    })?;
    check_system(&root)
}

fn check_system(node: &WktNode) -> Result<(), String> {
    let name = node.name().unwrap_or("unnamed");
    match node.keyword.to_ascii_uppercase().as_str() {
        "GEOGCS" | "GEOGCRS" | "GEOGRAPHICCRS" => check_geographic(node),
        // WKT2 uses GEODCRS for geographic and geocentric systems alike: the coordinate
        // system tells them apart.
        "GEODCRS" | "GEODETICCRS" => {
            let cartesian = node.children("CS").any(|coordinate_system| {
                coordinate_system
                    .bare_arguments()
                    .next()
                    .is_some_and(|kind| kind.eq_ignore_ascii_case("cartesian"))
            });
            if cartesian {
                Err(format!(
                    "the .prj describes the geocentric system {name:?} (x, y, z in metres)"
                ))
            } else {
                check_geographic(node)
            }
        }
        "PROJCS" | "PROJCRS" | "PROJECTEDCRS" => {
            Err(format!("the .prj describes the projected system {name:?}"))
        }
        "GEOCCS" => Err(format!(
            "the .prj describes the geocentric system {name:?} (x, y, z in metres)"
        )),
        // A horizontal system paired with heights, or one bound to a transformation: the
        // horizontal part is what the shapes' x and y are in.
        "COMPD_CS" | "COMPOUNDCRS" => match node.nodes().next() {
            Some(horizontal) => check_system(horizontal),
            None => Err(format!(
                "the .prj describes the compound system {name:?} without its parts"
            )),
        },
        "BOUNDCRS" => match node
            .children("SOURCECRS")
            .next()
            .and_then(|source| source.nodes().next())
        {
            Some(source) => check_system(source),
            None => Err("the .prj describes a bound system without its source system".into()),
        },
        _ => Err(format!(
            "the .prj describes a {} system {name:?}, not a geographic one",
            node.keyword
        )),
    }
}

fn check_geographic(node: &WktNode) -> Result<(), String> {
    let name = node.name().unwrap_or("unnamed");
    let datum = ["DATUM", "GEODETICDATUM", "TRF", "ENSEMBLE"]
        .iter()
        .find_map(|keyword| node.children(keyword).next())
        .ok_or_else(|| {
            format!("the .prj describes the geographic system {name:?} without naming its datum")
        })?;
    let datum_name = datum.name().unwrap_or("unnamed");
    if !is_wgs84_datum(datum_name) {
        return Err(format!(
            "the .prj describes the geographic system {name:?} on the datum {datum_name:?}, not WGS84"
        ));
    }
    if let Some(meridian) = node.children("PRIMEM").next() {
        let longitude = meridian
            .bare_arguments()
            .next()
            .and_then(|value| value.parse::<f64>().ok());
        if longitude != Some(0.0) {
            return Err(format!(
                "the .prj puts the prime meridian at {:?} ({}), not Greenwich",
                meridian.name().unwrap_or("unnamed"),
                meridian.bare_arguments().next().unwrap_or("no longitude")
            ));
        }
    }
    // WKT1 gives the angular unit as a direct UNIT child; WKT2 as ANGLEUNIT wherever angles
    // appear (prime meridian, axes, the system itself).
    let mut units: Vec<&WktNode> = node.children("UNIT").collect();
    node.collect_descendants("ANGLEUNIT", &mut units);
    for unit in units {
        let radians = unit
            .bare_arguments()
            .next()
            .and_then(|value| value.parse::<f64>().ok());
        let is_degree = radians.is_some_and(|radians| {
            ((radians - RADIANS_PER_DEGREE) / RADIANS_PER_DEGREE).abs() < 1e-6
        });
        if !is_degree {
            return Err(format!(
                "the .prj measures angles in {:?}, not degrees",
                unit.name().unwrap_or("an unnamed unit")
            ));
        }
    }
    Ok(())
}

/// WGS84 under the names ESRI, EPSG/OGC and WKT2 give it, including its realizations
/// (`WGS 84 (G1762)`) and the EPSG datum ensemble — but not WGS 72, nor ESRI's
/// `D_WGS_1984_Major_Auxiliary_Sphere`, which is a sphere.
fn is_wgs84_datum(name: &str) -> bool {
    let upper = name.trim().to_ascii_uppercase();
    let without_esri_prefix = upper.strip_prefix("D_").unwrap_or(&upper);
    let letters_and_digits: String = without_esri_prefix
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    ["WGS1984", "WGS84", "WORLDGEODETICSYSTEM1984"]
        .iter()
        .any(|base| match letters_and_digits.strip_prefix(base) {
            Some(rest) => {
                rest.is_empty()
                    || rest == "ENSEMBLE"
                    || rest == "TRANSIT"
                    || rest.strip_prefix('G').is_some_and(|week| {
                        !week.is_empty() && week.chars().all(|c| c.is_ascii_digit())
                    })
            }
            None => false,
        })
}

impl WktNode {
    /// The first quoted argument: the element's name.
    fn name(&self) -> Option<&str> {
        self.arguments.iter().find_map(|argument| match argument {
            WktArgument::Quoted(text) => Some(text.as_str()),
            _ => None,
        })
    }

    fn nodes(&self) -> impl Iterator<Item = &WktNode> {
        self.arguments.iter().filter_map(|argument| match argument {
            WktArgument::Node(node) => Some(node),
            _ => None,
        })
    }

    fn children<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a WktNode> {
        self.nodes()
            .filter(move |node| node.keyword.eq_ignore_ascii_case(keyword))
    }

    fn bare_arguments(&self) -> impl Iterator<Item = &str> {
        self.arguments.iter().filter_map(|argument| match argument {
            WktArgument::Bare(text) => Some(text.as_str()),
            _ => None,
        })
    }

    fn collect_descendants<'a>(&'a self, keyword: &str, found: &mut Vec<&'a WktNode>) {
        for node in self.nodes() {
            if node.keyword.eq_ignore_ascii_case(keyword) {
                found.push(node);
            }
            node.collect_descendants(keyword, found);
        }
    }
}

/// Parses the first WKT element of `text`; what follows it is ignored.
fn parse(text: &str) -> Result<WktNode, String> {
    let mut parser = Parser {
        characters: text.chars().collect(),
        position: 0,
    };
    parser.skip_whitespace();
    parser.node(0)
}

struct Parser {
    characters: Vec<char>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.characters.get(self.position).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
    }

    fn keyword(&mut self) -> String {
        let start = self.position;
        while self
            .peek()
            .is_some_and(|character| character.is_ascii_alphanumeric() || character == '_')
        {
            self.position += 1;
        }
        self.characters[start..self.position].iter().collect()
    }

    fn node(&mut self, depth: usize) -> Result<WktNode, String> {
        if depth > MAXIMUM_DEPTH {
            return Err(format!("elements nested more than {MAXIMUM_DEPTH} deep"));
        }
        let keyword = self.keyword();
        if keyword.is_empty() {
            return Err(format!(
                "expected a keyword at character {}",
                self.position + 1
            ));
        }
        self.skip_whitespace();
        let closing = match self.peek() {
            Some('[') => ']',
            Some('(') => ')',
            _ => return Err(format!("expected [ after {keyword}")),
        };
        self.position += 1;
        let mut arguments = Vec::new();
        loop {
            self.skip_whitespace();
            match self.peek() {
                None => return Err(format!("{keyword}[ is never closed")),
                Some(character) if character == closing && arguments.is_empty() => {
                    self.position += 1;
                    break;
                }
                _ => {}
            }
            arguments.push(self.argument(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(',') => self.position += 1,
                Some(character) if character == closing => {
                    self.position += 1;
                    break;
                }
                None => return Err(format!("{keyword}[ is never closed")),
                Some(other) => {
                    return Err(format!(
                        "unexpected {other:?} at character {} inside {keyword}",
                        self.position + 1
                    ));
                }
            }
        }
        Ok(WktNode { keyword, arguments })
    }

    fn argument(&mut self, depth: usize) -> Result<WktArgument, String> {
        if self.peek() == Some('"') {
            self.position += 1;
            let mut text = String::new();
            loop {
                match self.peek() {
                    None => return Err("a quoted name is never closed".into()),
                    // WKT escapes a quote inside a name by doubling it.
                    Some('"') if self.characters.get(self.position + 1) == Some(&'"') => {
                        text.push('"');
                        self.position += 2;
                    }
                    Some('"') => {
                        self.position += 1;
                        return Ok(WktArgument::Quoted(text));
                    }
                    Some(character) => {
                        text.push(character);
                        self.position += 1;
                    }
                }
            }
        }
        let start = self.position;
        let word = self.keyword();
        self.skip_whitespace();
        if !word.is_empty() && matches!(self.peek(), Some('[' | '(')) {
            self.position = start;
            return Ok(WktArgument::Node(self.node(depth + 1)?));
        }
        self.position = start;
        while self.peek().is_some_and(|character| {
            !matches!(character, ',' | ']' | ')' | '[' | '(') && !character.is_whitespace()
        }) {
            self.position += 1;
        }
        if self.position == start {
            return Err(format!(
                "expected a value at character {}",
                self.position + 1
            ));
        }
        Ok(WktArgument::Bare(
            self.characters[start..self.position].iter().collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESRI_WGS84: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

    const OGC_WGS84: &str = r#"GEOGCS["WGS 84",
    DATUM["WGS_1984",
        SPHEROID["WGS 84",6378137,298.257223563,
            AUTHORITY["EPSG","7030"]],
        AUTHORITY["EPSG","6326"]],
    PRIMEM["Greenwich",0,
        AUTHORITY["EPSG","8901"]],
    UNIT["degree",0.0174532925199433,
        AUTHORITY["EPSG","9122"]],
    AXIS["Latitude",NORTH],
    AXIS["Longitude",EAST],
    AUTHORITY["EPSG","4326"]]"#;

    const WKT2_WGS84: &str = r#"GEOGCRS["WGS 84",
    ENSEMBLE["World Geodetic System 1984 ensemble",
        MEMBER["World Geodetic System 1984 (Transit)"],
        MEMBER["World Geodetic System 1984 (G730)"],
        MEMBER["World Geodetic System 1984 (G873)"],
        MEMBER["World Geodetic System 1984 (G1150)"],
        MEMBER["World Geodetic System 1984 (G1674)"],
        MEMBER["World Geodetic System 1984 (G1762)"],
        MEMBER["World Geodetic System 1984 (G2139)"],
        ELLIPSOID["WGS 84",6378137,298.257223563,
            LENGTHUNIT["metre",1]],
        ENSEMBLEACCURACY[2.0]],
    PRIMEM["Greenwich",0,
        ANGLEUNIT["degree",0.0174532925199433]],
    CS[ellipsoidal,2],
        AXIS["geodetic latitude (Lat)",north,
            ORDER[1],
            ANGLEUNIT["degree",0.0174532925199433]],
        AXIS["geodetic longitude (Lon)",east,
            ORDER[2],
            ANGLEUNIT["degree",0.0174532925199433]],
    USAGE[
        SCOPE["Horizontal component of 3D system."],
        AREA["World."],
        BBOX[-90,-180,90,180]],
    ID["EPSG",4326]]"#;

    const WKT2_2015_WGS84: &str = r#"GEODCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,298.257223563,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],CS[ellipsoidal,2],AXIS["latitude",north,ORDER[1]],AXIS["longitude",east,ORDER[2]],ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",4326]]"#;

    const ESRI_UTM_30N: &str = r#"PROJCS["WGS_1984_UTM_Zone_30N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-3.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

    const OGC_UTM_30N: &str = r#"PROJCS["WGS 84 / UTM zone 30N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",-3],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","32630"]]"#;

    const WKT2_UTM_30N: &str = r#"PROJCRS["WGS 84 / UTM zone 30N",BASEGEOGCRS["WGS 84",ENSEMBLE["World Geodetic System 1984 ensemble",MEMBER["World Geodetic System 1984 (G2139)"],ELLIPSOID["WGS 84",6378137,298.257223563,LENGTHUNIT["metre",1]],ENSEMBLEACCURACY[2.0]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],ID["EPSG",4326]],CONVERSION["UTM zone 30N",METHOD["Transverse Mercator",ID["EPSG",9807]],PARAMETER["Longitude of natural origin",-3,ANGLEUNIT["degree",0.0174532925199433]]],CS[Cartesian,2],AXIS["(E)",east,ORDER[1],LENGTHUNIT["metre",1]],AXIS["(N)",north,ORDER[2],LENGTHUNIT["metre",1]],ID["EPSG",32630]]"#;

    const ESRI_WEB_MERCATOR: &str = r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]"#;

    const ESRI_POINT_58: &str = r#"GEOGCS["GCS_Point_58",DATUM["D_Point_58",SPHEROID["Clarke_1880_RGS",6378249.145,293.465]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

    const OGC_POINT_58: &str = r#"GEOGCS["Point 58",DATUM["Point_58",SPHEROID["Clarke 1880 (RGS)",6378249.145,293.465,AUTHORITY["EPSG","7012"]],TOWGS84[-106,-129,165,0,0,0,0],AUTHORITY["EPSG","6620"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4620"]]"#;

    const ESRI_WGS72: &str = r#"GEOGCS["GCS_WGS_1972",DATUM["D_WGS_1972",SPHEROID["WGS_1972",6378135.0,298.26]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

    const ESRI_AUXILIARY_SPHERE: &str = r#"GEOGCS["GCS_WGS_1984_Major_Auxiliary_Sphere",DATUM["D_WGS_1984_Major_Auxiliary_Sphere",SPHEROID["WGS_1984_Major_Auxiliary_Sphere",6378137.0,0.0]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

    #[test]
    fn accepts_geographic_wgs84_in_esri_ogc_and_wkt2_forms() {
        for wkt in [ESRI_WGS84, OGC_WGS84, WKT2_WGS84, WKT2_2015_WGS84] {
            assert_eq!(check_wgs84(wkt), Ok(()), "{wkt}");
        }
    }

    #[test]
    fn accepts_a_byte_order_mark_trailing_newlines_and_parentheses() {
        assert_eq!(check_wgs84(&format!("\u{feff}{ESRI_WGS84}\r\n")), Ok(()));
        let with_parentheses = ESRI_WGS84.replace('[', "(").replace(']', ")");
        assert_eq!(check_wgs84(&with_parentheses), Ok(()));
    }

    #[test]
    fn refuses_utm_zone_30n_naming_the_projected_system() {
        assert_eq!(
            check_wgs84(ESRI_UTM_30N),
            Err(r#"the .prj describes the projected system "WGS_1984_UTM_Zone_30N""#.into())
        );
        assert_eq!(
            check_wgs84(OGC_UTM_30N),
            Err(r#"the .prj describes the projected system "WGS 84 / UTM zone 30N""#.into())
        );
        assert_eq!(
            check_wgs84(WKT2_UTM_30N),
            Err(r#"the .prj describes the projected system "WGS 84 / UTM zone 30N""#.into())
        );
    }

    #[test]
    fn refuses_web_mercator() {
        assert_eq!(
            check_wgs84(ESRI_WEB_MERCATOR),
            Err(r#"the .prj describes the projected system "WGS_1984_Web_Mercator_Auxiliary_Sphere""#.into())
        );
    }

    #[test]
    fn refuses_the_point_58_datum_on_clarke_1880() {
        assert_eq!(
            check_wgs84(ESRI_POINT_58),
            Err(r#"the .prj describes the geographic system "GCS_Point_58" on the datum "D_Point_58", not WGS84"#.into())
        );
        assert_eq!(
            check_wgs84(OGC_POINT_58),
            Err(r#"the .prj describes the geographic system "Point 58" on the datum "Point_58", not WGS84"#.into())
        );
    }

    #[test]
    fn refuses_wgs72_and_the_auxiliary_sphere() {
        assert!(
            check_wgs84(ESRI_WGS72)
                .unwrap_err()
                .contains("\"D_WGS_1972\"")
        );
        assert!(
            check_wgs84(ESRI_AUXILIARY_SPHERE)
                .unwrap_err()
                .contains("D_WGS_1984_Major_Auxiliary_Sphere")
        );
    }

    #[test]
    fn refuses_grads_and_a_paris_prime_meridian() {
        let grads = ESRI_WGS84.replace(
            r#"UNIT["Degree",0.0174532925199433]"#,
            r#"UNIT["Grad",0.01570796326794897]"#,
        );
        assert_eq!(
            check_wgs84(&grads),
            Err(r#"the .prj measures angles in "Grad", not degrees"#.into())
        );
        let paris = ESRI_WGS84.replace(
            r#"PRIMEM["Greenwich",0.0]"#,
            r#"PRIMEM["Paris",2.33722917]"#,
        );
        assert_eq!(
            check_wgs84(&paris),
            Err(
                r#"the .prj puts the prime meridian at "Paris" (2.33722917), not Greenwich"#.into()
            )
        );
    }

    #[test]
    fn refuses_a_geocentric_system() {
        let geocentric = r#"GEOCCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["metre",1],AXIS["Geocentric X",OTHER]]"#;
        assert_eq!(
            check_wgs84(geocentric),
            Err(r#"the .prj describes the geocentric system "WGS 84" (x, y, z in metres)"#.into())
        );
    }

    #[test]
    fn reads_the_horizontal_part_of_a_compound_system() {
        let compound = format!(
            r#"COMPD_CS["WGS 84 + EGM96 height",{OGC_WGS84},VERT_CS["EGM96 height",VERT_DATUM["EGM96 geoid",2005],UNIT["metre",1]]]"#
        );
        assert_eq!(check_wgs84(&compound), Ok(()));
    }

    #[test]
    fn refuses_empty_truncated_and_garbage_text_without_panicking() {
        assert_eq!(
            check_wgs84(" \n"),
            Err("the .prj is empty, so its coordinate system is unknown".into())
        );
        let truncated = &ESRI_WGS84[..60];
        assert!(check_wgs84(truncated).unwrap_err().contains("never closed"));
        assert!(
            check_wgs84("EPSG:4326")
                .unwrap_err()
                .contains("not a WKT coordinate system")
        );
        let deeply_nested = "A[".repeat(100_000);
        assert!(
            check_wgs84(&deeply_nested)
                .unwrap_err()
                .contains("nested more than")
        );
        assert!(check_wgs84("GEOGCS[\"x\",,]").is_err());
        assert!(check_wgs84("\u{0}\u{1}[[[").is_err());
    }

    #[test]
    fn recognises_wgs84_datum_names_and_nothing_else() {
        for name in [
            "D_WGS_1984",
            "WGS_1984",
            "WGS 84",
            "WGS84",
            "World Geodetic System 1984",
            "World Geodetic System 1984 ensemble",
            "World Geodetic System 1984 (G1762)",
            "wgs_1984",
        ] {
            assert!(is_wgs84_datum(name), "{name}");
        }
        for name in [
            "D_WGS_1972",
            "D_Point_58",
            "Adindan",
            "WGS 84 / UTM zone 30N",
            "D_WGS_1984_Major_Auxiliary_Sphere",
            "",
        ] {
            assert!(!is_wgs84_datum(name), "{name}");
        }
    }
}
