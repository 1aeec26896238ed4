//! The query parameters of the API: one table ([`Parameter`]) that both the parser and the
//! OpenAPI document read, so what is documented is what is accepted.
//!
//! Every parameter is checked: an unknown name, a repeated name or a value that cannot be used
//! is a 400 problem naming the parameter. Values are never echoed back (see `error.rs`).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use vigie_domain::{EventSource, EventType, ReportStatus, WarningLevel, ZoneId, ZoneLevel};

use crate::error::AppError;

/// Items per page when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 10;
/// The largest `limit` accepted.
pub const MAX_LIMIT: usize = 10_000;
/// The default simplification tolerance of zone geometry, in degrees (about 550 m): the
/// commune layer's size on a 2G link is what decides it (see the crate's tests for figures).
pub const DEFAULT_TOLERANCE_DEGREES: f64 = 0.005;
/// The coarsest tolerance accepted, in degrees (about 11 km).
pub const MAX_TOLERANCE_DEGREES: f64 = 0.1;
/// The largest `min_events` accepted.
pub const MAX_MIN_EVENTS: usize = 1_000_000;

/// A query parameter the API understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parameter {
    /// `bbox=minLon,minLat,maxLon,maxLat` (CRS84).
    Bbox,
    /// `datetime=` an RFC 3339 instant, a date, or an interval with open ends.
    Datetime,
    /// Page size.
    Limit,
    /// The opaque cursor of a `next` link.
    Next,
    /// Output format.
    Format,
    /// Adds the HXL hashtag row to CSV output.
    Hxl,
    /// Geometry simplification tolerance, in degrees.
    Tolerance,
    /// ACLED event type.
    EventType,
    /// Commune P-code.
    Commune,
    /// Cercle P-code.
    Cercle,
    /// Region P-code.
    Region,
    /// Event source kind.
    Source,
    /// Report verification status.
    Status,
    /// Warning level.
    Level,
    /// The level of a warning's zone.
    ZoneLevel,
    /// The fewest events a hotspot must hold.
    MinEvents,
}

/// The parameters every items route accepts.
pub const ITEMS_PARAMETERS: [Parameter; 6] = [
    Parameter::Bbox,
    Parameter::Datetime,
    Parameter::Limit,
    Parameter::Next,
    Parameter::Format,
    Parameter::Hxl,
];

impl Parameter {
    /// Every parameter, in documentation order.
    pub const ALL: [Parameter; 16] = [
        Parameter::Bbox,
        Parameter::Datetime,
        Parameter::Limit,
        Parameter::Next,
        Parameter::Format,
        Parameter::Hxl,
        Parameter::Tolerance,
        Parameter::EventType,
        Parameter::Commune,
        Parameter::Cercle,
        Parameter::Region,
        Parameter::Source,
        Parameter::Status,
        Parameter::Level,
        Parameter::ZoneLevel,
        Parameter::MinEvents,
    ];

    /// Its name in the query string.
    pub fn name(self) -> &'static str {
        match self {
            Parameter::Bbox => "bbox",
            Parameter::Datetime => "datetime",
            Parameter::Limit => "limit",
            Parameter::Next => "next",
            Parameter::Format => "f",
            Parameter::Hxl => "hxl",
            Parameter::Tolerance => "tolerance",
            Parameter::EventType => "event_type",
            Parameter::Commune => "commune",
            Parameter::Cercle => "cercle",
            Parameter::Region => "region",
            Parameter::Source => "source",
            Parameter::Status => "status",
            Parameter::Level => "level",
            Parameter::ZoneLevel => "zone_level",
            Parameter::MinEvents => "min_events",
        }
    }

    /// What it does, for the OpenAPI document.
    pub fn description(self) -> &'static str {
        match self {
            Parameter::Bbox => {
                "Only features whose geometry intersects the box minLon,minLat,maxLon,maxLat \
                 (WGS84 longitude/latitude, CRS84). A box crossing the antimeridian has \
                 minLon > maxLon. Six numbers (with heights) are accepted; heights are ignored."
            }
            Parameter::Datetime => {
                "Only features whose date intersects an RFC 3339 instant \
                 (2024-01-05T12:00:00Z), a date (2024-01-05) or a closed interval a/b with \
                 open ends written `..` (../b, a/..). Events are dated by UTC day. Collections \
                 without dates accept and ignore it."
            }
            Parameter::Limit => "Items per page: 1 to 10000, default 10.",
            Parameter::Next => "The cursor of a `next` link; opaque, taken from the link.",
            Parameter::Format => {
                "Output format: `json` (GeoJSON, the default) or `csv`. `Accept: text/csv` \
                 also selects CSV."
            }
            Parameter::Hxl => {
                "With CSV output, `true` adds a row of HXL hashtags under the header."
            }
            Parameter::Tolerance => {
                "Geometry simplification tolerance in degrees (Douglas-Peucker), 0 for the \
                 full geometry; at most 0.1, default 0.005 (about 550 m). Coordinates are \
                 rounded to 4 decimals (about 11 m) from 0.001 up, 5 below, 6 for the full \
                 geometry."
            }
            Parameter::EventType => {
                "Only this ACLED event type, by its label (e.g. `Battles`, \
                 `Violence against civilians`), case-insensitive."
            }
            Parameter::Commune => "Only features in the commune with this P-code.",
            Parameter::Cercle => "Only features in the cercle with this P-code.",
            Parameter::Region => "Only features in the region with this P-code.",
            Parameter::Source => "Only events from this source: `acled`, `ucdp` or `community`.",
            Parameter::Status => "Only reports with this status: `verified` or `unverified`.",
            Parameter::Level => {
                "Only warnings at this level: `vigilance`, `alerte` or `urgence` (a closed \
                 warning is at the level it had when it closed)."
            }
            Parameter::ZoneLevel => {
                "Only warnings about zones of this level: `commune`, `cercle`, `region` or \
                 `corridor`."
            }
            Parameter::MinEvents => "Only hotspots of at least this many events (1 to 1000000).",
        }
    }

    /// Its JSON schema, for the OpenAPI document.
    pub fn schema(self) -> Value {
        match self {
            Parameter::Bbox => json!({
                "type": "array", "minItems": 4, "maxItems": 6,
                "items": { "type": "number" }
            }),
            Parameter::Datetime | Parameter::Next => json!({ "type": "string" }),
            Parameter::Limit => json!({
                "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT
            }),
            Parameter::Format => json!({ "type": "string", "enum": ["json", "csv"] }),
            Parameter::Hxl => json!({ "type": "boolean", "default": false }),
            Parameter::Tolerance => json!({
                "type": "number", "minimum": 0, "maximum": MAX_TOLERANCE_DEGREES,
                "default": DEFAULT_TOLERANCE_DEGREES
            }),
            Parameter::EventType => json!({
                "type": "string",
                "enum": EventType::ALL.iter().map(|event_type| event_type.label()).collect::<Vec<_>>()
            }),
            Parameter::Commune | Parameter::Cercle | Parameter::Region => {
                json!({ "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$" })
            }
            // Keep in step with `is_zone_code`.
            Parameter::Source => {
                json!({ "type": "string", "enum": ["acled", "ucdp", "community"] })
            }
            Parameter::Status => json!({ "type": "string", "enum": ["verified", "unverified"] }),
            Parameter::Level => json!({
                "type": "string",
                "enum": WarningLevel::ALL.iter().map(|level| level.as_str()).collect::<Vec<_>>()
            }),
            Parameter::ZoneLevel => json!({
                "type": "string",
                "enum": ZoneLevel::ALL.iter().map(|level| level.as_str()).collect::<Vec<_>>()
            }),
            Parameter::MinEvents => {
                json!({ "type": "integer", "minimum": 1, "maximum": MAX_MIN_EVENTS })
            }
        }
    }
}

/// A bounding box in WGS84 degrees. `min_lon > max_lon` means it crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    /// West edge.
    pub min_lon: f64,
    /// South edge.
    pub min_lat: f64,
    /// East edge.
    pub max_lon: f64,
    /// North edge.
    pub max_lat: f64,
}

impl Bbox {
    /// Whether the point lies in the box (edges included).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let in_lat = self.min_lat <= lat && lat <= self.max_lat;
        let in_lon = if self.min_lon <= self.max_lon {
            self.min_lon <= lon && lon <= self.max_lon
        } else {
            lon >= self.min_lon || lon <= self.max_lon
        };
        in_lat && in_lon
    }

    /// The box as one or two ordinary rectangles (two when it crosses the antimeridian).
    pub fn rectangles(&self) -> Vec<geo_types::Rect<f64>> {
        let rect = |min_lon: f64, max_lon: f64| {
            geo_types::Rect::new(
                geo_types::coord! { x: min_lon, y: self.min_lat },
                geo_types::coord! { x: max_lon, y: self.max_lat },
            )
        };
        if self.min_lon <= self.max_lon {
            vec![rect(self.min_lon, self.max_lon)]
        } else {
            vec![rect(self.min_lon, 180.0), rect(-180.0, self.max_lon)]
        }
    }
}

/// The days a `datetime` value covers, both ends inclusive; `None` is an open end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    /// First day.
    pub from: Option<NaiveDate>,
    /// Last day.
    pub to: Option<NaiveDate>,
}

impl DayRange {
    /// Whether `day` is in the range.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= day) && self.to.is_none_or(|to| day <= to)
    }
}

/// The output format of an items query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/geo+json`.
    GeoJson,
    /// `text/csv`.
    Csv,
}

/// The property filters of an items query (only those the collection accepts can be set).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// `event_type`.
    pub event_type: Option<EventType>,
    /// `commune`.
    pub commune: Option<ZoneId>,
    /// `cercle`.
    pub cercle: Option<ZoneId>,
    /// `region`.
    pub region: Option<ZoneId>,
    /// `source`.
    pub source: Option<EventSource>,
    /// `status`.
    pub status: Option<ReportStatus>,
    /// `level`.
    pub level: Option<WarningLevel>,
    /// `zone_level`.
    pub zone_level: Option<ZoneLevel>,
    /// `min_events`.
    pub min_events: Option<usize>,
}

/// A checked items query.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsQuery {
    /// `bbox`.
    pub bbox: Option<Bbox>,
    /// `datetime`, as the days it covers.
    pub days: Option<DayRange>,
    /// Page size.
    pub limit: usize,
    /// The cursor of the page asked for.
    pub next: Option<String>,
    /// Property filters.
    pub filters: Filters,
    /// GeoJSON or CSV.
    pub format: Format,
    /// Whether CSV output carries HXL hashtags.
    pub hxl: bool,
    /// Simplification tolerance in degrees (`None`: the collection's default).
    pub tolerance: Option<f64>,
    /// The parameters as sent (less `next`), to build `self` and `next` links.
    pub pairs: Vec<(String, String)>,
}

/// Splits a raw query string into pairs, refusing repeated names.
pub fn parse_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, AppError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(raw)?;
    for (position, (name, _)) in pairs.iter().enumerate() {
        if pairs[..position].iter().any(|(earlier, _)| earlier == name) {
            return Err(AppError::bad_parameter(
                name,
                format!(
                    "query parameter `{}` is given more than once",
                    printable(name)
                ),
            ));
        }
    }
    Ok(pairs)
}

/// Percent-decodes `a=b&c=d` (with `+` as space), dropping empty segments.
fn serde_urlencoded_pairs(raw: &str) -> Result<Vec<(String, String)>, AppError> {
    raw.split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            let name = percent_decode(name)
                .ok_or_else(|| AppError::bad_request("the query string is not valid UTF-8"))?;
            let value = percent_decode(value).ok_or_else(|| {
                AppError::bad_parameter(
                    &name,
                    format!("query parameter `{}` is not valid UTF-8", printable(&name)),
                )
            })?;
            Ok((name, value))
        })
        .collect()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut position = 0;
    while position < bytes.len() {
        match bytes[position] {
            b'+' => decoded.push(b' '),
            b'%' => {
                let hex = bytes.get(position + 1..position + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                position += 2;
            }
            byte => decoded.push(byte),
        }
        position += 1;
    }
    String::from_utf8(decoded).ok()
}

/// Percent-encodes a query component (RFC 3986 unreserved characters kept).
pub fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(byte as char);
        } else if byte == b',' || byte == b'/' || byte == b':' {
            // Kept readable in bbox and datetime values; both are allowed in a query.
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A parameter name fit to quote in a problem: names are ours to echo (values are not), but
/// an unknown name is cut short and stripped of anything unprintable.
pub fn printable(name: &str) -> String {
    name.chars()
        .filter(|character| !character.is_control())
        .take(40)
        .collect()
}

/// Refuses any parameter but `f`, which must ask for JSON (metadata and single-item routes).
pub fn check_metadata_query(raw: Option<&str>) -> Result<(), AppError> {
    for (name, value) in parse_pairs(raw)? {
        if name != Parameter::Format.name() {
            return Err(unknown(&name));
        }
        if !matches!(
            value.as_str(),
            "json" | "geojson" | "application/json" | "application/geo+json"
        ) {
            return Err(AppError::bad_parameter(
                &name,
                "query parameter `f` must be `json` here",
            ));
        }
    }
    Ok(())
}

fn unknown(name: &str) -> AppError {
    AppError::bad_parameter(
        name,
        format!("unknown query parameter `{}`", printable(name)),
    )
}

/// Reads the parameters of an items query, accepting the common ones and `extra`.
/// `accept` is the request's Accept header, consulted when `f` is absent.
/// Whether `value` can be a zone id in a filter: what the OpenAPI document promises
/// (`^[A-Za-z0-9_.-]{1,64}$`), so that no value outside it is quietly answered with an empty
/// page. Every P-code and corridor id of the geography has this shape.
fn is_zone_code(value: &str) -> bool {
    (1..=ZoneId::MAX_LEN).contains(&value.len())
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-'))
}

pub fn parse_items_query(
    raw: Option<&str>,
    extra: &[Parameter],
    accept: Option<&str>,
) -> Result<ItemsQuery, AppError> {
    let pairs = parse_pairs(raw)?;
    let mut query = ItemsQuery {
        bbox: None,
        days: None,
        limit: DEFAULT_LIMIT,
        next: None,
        filters: Filters::default(),
        format: if accept.is_some_and(prefers_csv) {
            Format::Csv
        } else {
            Format::GeoJson
        },
        hxl: false,
        tolerance: None,
        pairs: Vec::new(),
    };
    for (name, value) in pairs {
        let Some(parameter) = Parameter::ALL.into_iter().find(|p| p.name() == name) else {
            return Err(unknown(&name));
        };
        if !ITEMS_PARAMETERS.contains(&parameter) && !extra.contains(&parameter) {
            return Err(unknown(&name));
        }
        let bad = |why: &str| {
            AppError::bad_parameter(parameter.name(), format!("query parameter `{name}` {why}"))
        };
        let zone = |value: &str| {
            let refused = || bad("must be a P-code (ASCII letters, digits, `_`, `.` or `-`)");
            if !is_zone_code(value) {
                return Err(refused());
            }
            ZoneId::new(value).map_err(|_| refused())
        };
        match parameter {
            Parameter::Bbox => query.bbox = Some(parse_bbox(&value).map_err(&bad)?),
            Parameter::Datetime => {
                query.days = Some(parse_datetime(&value).map_err(&bad)?);
            }
            Parameter::Limit => {
                let limit: usize = value
                    .parse()
                    .map_err(|_| bad("must be a whole number from 1 to 10000"))?;
                if limit == 0 || limit > MAX_LIMIT {
                    return Err(bad("must be a whole number from 1 to 10000"));
                }
                query.limit = limit;
            }
            Parameter::Next => {
                if value.is_empty() || value.len() > 64 {
                    return Err(bad("is not a cursor from a `next` link"));
                }
                query.next = Some(value.clone());
            }
            Parameter::Format => {
                query.format = match value.as_str() {
                    "json" | "geojson" | "application/geo+json" => Format::GeoJson,
                    "csv" | "text/csv" => Format::Csv,
                    _ => return Err(bad("must be `json` or `csv`")),
                }
            }
            Parameter::Hxl => {
                query.hxl = match value.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(bad("must be `true` or `false`")),
                }
            }
            Parameter::Tolerance => {
                let tolerance: f64 = value
                    .parse()
                    .map_err(|_| bad("must be a number of degrees from 0 to 0.1"))?;
                if !(0.0..=MAX_TOLERANCE_DEGREES).contains(&tolerance) {
                    return Err(bad("must be a number of degrees from 0 to 0.1"));
                }
                query.tolerance = Some(tolerance);
            }
            Parameter::EventType => {
                query.filters.event_type = Some(
                    EventType::from_label(&value)
                        .ok_or_else(|| bad("must be one of ACLED's six event type labels"))?,
                );
            }
            Parameter::Commune => query.filters.commune = Some(zone(&value)?),
            Parameter::Cercle => query.filters.cercle = Some(zone(&value)?),
            Parameter::Region => query.filters.region = Some(zone(&value)?),
            Parameter::Source => {
                query.filters.source = Some(
                    value
                        .parse()
                        .map_err(|_| bad("must be `acled`, `ucdp` or `community`"))?,
                );
            }
            Parameter::Status => {
                query.filters.status = Some(match value.as_str() {
                    "verified" => ReportStatus::Verified,
                    "unverified" => ReportStatus::Unverified,
                    _ => return Err(bad("must be `verified` or `unverified`")),
                });
            }
            Parameter::Level => {
                query.filters.level = Some(
                    WarningLevel::parse(&value)
                        .ok_or_else(|| bad("must be `vigilance`, `alerte` or `urgence`"))?,
                );
            }
            Parameter::ZoneLevel => {
                query.filters.zone_level = Some(
                    value
                        .parse()
                        .map_err(|_| bad("must be `commune`, `cercle`, `region` or `corridor`"))?,
                );
            }
            Parameter::MinEvents => {
                let min_events: usize = value
                    .parse()
                    .map_err(|_| bad("must be a whole number from 1 to 1000000"))?;
                if min_events == 0 || min_events > MAX_MIN_EVENTS {
                    return Err(bad("must be a whole number from 1 to 1000000"));
                }
                query.filters.min_events = Some(min_events);
            }
        }
        if parameter != Parameter::Next {
            query.pairs.push((name, value));
        }
    }
    Ok(query)
}

fn prefers_csv(accept: &str) -> bool {
    accept
        .split(',')
        .map(|range| range.split(';').next().unwrap_or("").trim())
        .next()
        .is_some_and(|first| first.eq_ignore_ascii_case("text/csv"))
}

/// Parses `minLon,minLat,maxLon,maxLat` (or six numbers with heights).
pub fn parse_bbox(value: &str) -> Result<Bbox, &'static str> {
    let numbers: Vec<f64> = value
        .split(',')
        .map(|part| part.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| "must be four comma-separated numbers minLon,minLat,maxLon,maxLat")?;
    let (min_lon, min_lat, max_lon, max_lat) = match numbers.as_slice() {
        [a, b, c, d] => (*a, *b, *c, *d),
        [a, b, _, d, e, _] => (*a, *b, *d, *e),
        _ => return Err("must be four comma-separated numbers minLon,minLat,maxLon,maxLat"),
    };
    let lon_ok = |lon: f64| (-180.0..=180.0).contains(&lon);
    let lat_ok = |lat: f64| (-90.0..=90.0).contains(&lat);
    if !(lon_ok(min_lon) && lon_ok(max_lon) && lat_ok(min_lat) && lat_ok(max_lat)) {
        return Err("must have longitudes in [-180, 180] and latitudes in [-90, 90]");
    }
    if min_lat > max_lat {
        return Err("must have minLat at most maxLat");
    }
    Ok(Bbox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    })
}

/// One end of a `datetime` value: an RFC 3339 instant or a date, both read in UTC.
fn parse_instant(text: &str) -> Option<(DateTime<Utc>, NaiveDate)> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        let instant = instant.with_timezone(&Utc);
        return Some((instant, instant.date_naive()));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some((day.and_hms_opt(0, 0, 0)?.and_utc(), day))
}

/// Parses a `datetime` value into the UTC days it touches.
pub fn parse_datetime(value: &str) -> Result<DayRange, &'static str> {
    const SHAPE: &str = "must be an RFC 3339 instant or date, or an interval a/b, ../b or a/..";
    let value = value.trim();
    let Some((start, end)) = value.split_once('/') else {
        let (_, day) = parse_instant(value).ok_or(SHAPE)?;
        return Ok(DayRange {
            from: Some(day),
            to: Some(day),
        });
    };
    let open = |text: &str| text.is_empty() || text == "..";
    let start = if open(start) {
        None
    } else {
        Some(parse_instant(start).ok_or(SHAPE)?)
    };
    let end = if open(end) {
        None
    } else {
        Some(parse_instant(end).ok_or(SHAPE)?)
    };
    if start.is_none() && end.is_none() {
        return Err("must not be open at both ends");
    }
    if let (Some((start, _)), Some((end, _))) = (start, end)
        && start > end
    {
        return Err("must not end before it starts");
    }
    Ok(DayRange {
        from: start.map(|(_, day)| day),
        to: end.map(|(_, day)| day),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn datetime_accepts_instants_dates_and_open_intervals() {
        let range = |from: Option<&str>, to: Option<&str>| DayRange {
            from: from.map(day),
            to: to.map(day),
        };
        assert_eq!(
            parse_datetime("2024-01-05T12:00:00Z"),
            Ok(range(Some("2024-01-05"), Some("2024-01-05")))
        );
        assert_eq!(
            parse_datetime("2024-01-05"),
            Ok(range(Some("2024-01-05"), Some("2024-01-05")))
        );
        assert_eq!(
            parse_datetime("2024-01-05T23:30:00-01:00/.."),
            Ok(range(Some("2024-01-06"), None))
        );
        assert_eq!(
            parse_datetime("../2024-02-01"),
            Ok(range(None, Some("2024-02-01")))
        );
        assert_eq!(
            parse_datetime("/2024-02-01"),
            Ok(range(None, Some("2024-02-01")))
        );
        assert!(parse_datetime("../..").is_err());
        assert!(parse_datetime("2024-02-01/2024-01-01").is_err());
        assert!(parse_datetime("2024-13-01").is_err());
        assert!(parse_datetime("yesterday").is_err());
        assert!(parse_datetime("2024-01-05T12:00:00").is_err(), "no offset");
    }

    #[test]
    fn bbox_checks_count_ranges_and_order() {
        assert!(parse_bbox("-4,13,-2,15").is_ok());
        assert!(parse_bbox("-4,13,0,-2,15,100").is_ok());
        assert!(parse_bbox("-4,13,-2").is_err());
        assert!(parse_bbox("-4,13,-2,x").is_err());
        assert!(parse_bbox("-4,15,-2,13").is_err());
        assert!(parse_bbox("-200,13,-2,15").is_err());
        assert!(parse_bbox("-4,13,-2,NaN").is_err());
        let wrapped = parse_bbox("170,-10,-170,10").unwrap();
        assert!(wrapped.contains(175.0, 0.0) && wrapped.contains(-175.0, 0.0));
        assert!(!wrapped.contains(0.0, 0.0));
        assert_eq!(wrapped.rectangles().len(), 2);
    }

    #[test]
    fn unknown_repeated_and_malformed_parameters_are_refused_by_name() {
        let parameter_of = |raw: &str| match parse_items_query(Some(raw), &[], None) {
            Err(AppError::Problem {
                extra: Some(extra), ..
            }) => extra["parameter"].as_str().unwrap().to_owned(),
            other => panic!("{raw}: {other:?}"),
        };
        assert_eq!(parameter_of("colour=red"), "colour");
        assert_eq!(parameter_of("limit=2&limit=3"), "limit");
        assert_eq!(parameter_of("limit=0"), "limit");
        assert_eq!(parameter_of("limit=10001"), "limit");
        assert_eq!(parameter_of("commune=ML01"), "commune", "not accepted here");
        assert_eq!(parameter_of("f=xml"), "f");
        let query = parse_items_query(
            Some("limit=5&bbox=-4%2C13%2C-2%2C15&next=42"),
            &[],
            Some("text/csv"),
        )
        .unwrap();
        assert_eq!(query.limit, 5);
        assert_eq!(query.format, Format::Csv);
        assert_eq!(query.next.as_deref(), Some("42"));
        assert_eq!(query.pairs.len(), 2, "next is not kept for links");
    }

    #[test]
    fn zone_filters_take_exactly_the_documented_codes() {
        let zones = [Parameter::Commune, Parameter::Cercle, Parameter::Region];
        let pattern = Parameter::Region.schema()["pattern"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(pattern, "^[A-Za-z0-9_.-]{1,64}$");
        for accepted in ["ML050301", "TR07", "a.b_c-D", &"9".repeat(64)] {
            let raw = format!("region={accepted}");
            let query = parse_items_query(Some(&raw), &zones, None).unwrap();
            assert_eq!(query.filters.region.unwrap().as_str(), accepted);
        }
        // Each of these used to be read as a zone id that matches nothing: an empty page
        // for a value the document says is invalid.
        for refused in [
            "%C3%94",
            "ML05%2003",
            "%20ML05",
            "ML05/01",
            "",
            &"9".repeat(65),
        ] {
            let raw = format!("cercle={refused}");
            let error = parse_items_query(Some(&raw), &zones, None).unwrap_err();
            assert_eq!(error.status(), 400, "{refused:?}");
        }
    }
}
