//! The CAP 1.2 message: its parts, checked, and written as XML in the schema's element order.

use chrono::{DateTime, Utc};
use geo_types::{Coord, LineString, Polygon};
use vigie_domain::sms::Language;

use super::simplify::{SimplifyError, ring_is_simple, simplify_ring};
use super::xml::XmlWriter;
use crate::compose::WarningLevel;

/// CAP 1.2's XML namespace.
pub const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// A CAP timestamp: seconds, and the offset written out (`+00:00`); the schema refuses `Z`
/// and fractions of a second.
pub fn cap_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// The message's handling code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapStatus {
    /// A real warning.
    Actual,
    /// An exercise.
    Exercise,
    /// A system message.
    System,
    /// A test (`vigie notify test`).
    Test,
    /// A draft, not to be acted on.
    Draft,
}

/// What the message does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapMessageType {
    /// A first message.
    Alert,
    /// Replaces the messages in `references`.
    Update,
    /// Cancels the messages in `references`.
    Cancel,
}

/// Who may see the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapScope {
    /// Anyone: the public feed.
    Public,
    /// Those the rule in `restriction` allows: committees.
    Restricted {
        /// Who may see it (`Comités consultatifs de sécurité`).
        restriction: String,
    },
}

/// An earlier message an Update or Cancel refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapReference {
    /// Its sender.
    pub sender: String,
    /// Its identifier.
    pub identifier: String,
    /// When it was sent.
    pub sent: DateTime<Utc>,
}

/// How soon to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapUrgency {
    /// Act now.
    Immediate,
    /// Within the next hour.
    Expected,
    /// In the near future.
    Future,
    /// No longer needed.
    Past,
    /// Not known.
    Unknown,
}

/// How bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapSeverity {
    /// Extraordinary threat to life.
    Extreme,
    /// Significant threat to life.
    Severe,
    /// Possible threat to life.
    Moderate,
    /// Minimal threat.
    Minor,
    /// Not known.
    Unknown,
}

/// How sure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapCertainty {
    /// Has happened or is happening.
    Observed,
    /// More than 50 %.
    Likely,
    /// Possible but not likely.
    Possible,
    /// Not expected.
    Unlikely,
    /// Not known.
    Unknown,
}

/// The CAP severity of a level: vigilance → Moderate, alerte → Severe, urgence → Extreme.
pub fn cap_severity(level: WarningLevel) -> CapSeverity {
    match level {
        WarningLevel::Vigilance => CapSeverity::Moderate,
        WarningLevel::Alerte => CapSeverity::Severe,
        WarningLevel::Urgence => CapSeverity::Extreme,
    }
}

/// The CAP urgency of a level: vigilance → Future, alerte → Expected, urgence → Immediate.
pub fn cap_urgency(level: WarningLevel) -> CapUrgency {
    match level {
        WarningLevel::Vigilance => CapUrgency::Future,
        WarningLevel::Alerte => CapUrgency::Expected,
        WarningLevel::Urgence => CapUrgency::Immediate,
    }
}

/// The CAP certainty of a level: a vigilance says violence is possible, the higher levels
/// that it is likely.
pub fn cap_certainty(level: WarningLevel) -> CapCertainty {
    match level {
        WarningLevel::Vigilance => CapCertainty::Possible,
        WarningLevel::Alerte | WarningLevel::Urgence => CapCertainty::Likely,
    }
}

/// A closed outline for CAP, in WGS84 lon/lat inside (it is written lat,lon): at least 4
/// points, first = last, not crossing itself, coordinates rounded to 5 decimals (about a
/// metre).
#[derive(Debug, Clone, PartialEq)]
pub struct CapPolygon(LineString<f64>);

/// The decimals kept in CAP coordinates.
const DEGREE_DECIMALS: i32 = 5;

fn round_degrees(value: f64) -> f64 {
    let scale = 10f64.powi(DEGREE_DECIMALS);
    let rounded = (value * scale).round() / scale;
    // No "-0" in the output.
    if rounded == 0.0 { 0.0 } else { rounded }
}

fn format_degrees(value: f64) -> String {
    let text = format!("{:.*}", DEGREE_DECIMALS as usize, round_degrees(value));
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    trimmed.to_owned()
}

impl CapPolygon {
    /// The exterior of `polygon` (holes dropped: an alert area may cover more, never less),
    /// rounded, then simplified to at most `max_points` points.
    ///
    /// ```
    /// use geo_types::polygon;
    /// use vigie_notify::cap::CapPolygon;
    ///
    /// let bankass = polygon![
    ///     (x: -3.9, y: 14.0), (x: -3.5, y: 14.0), (x: -3.5, y: 14.3), (x: -3.9, y: 14.3),
    /// ];
    /// let area = CapPolygon::simplified(&bankass, 16).unwrap();
    /// assert_eq!(area.to_cap_string(), "14,-3.9 14,-3.5 14.3,-3.5 14.3,-3.9 14,-3.9");
    /// ```
    pub fn simplified(polygon: &Polygon<f64>, max_points: usize) -> Result<Self, SimplifyError> {
        let rounded: LineString<f64> = polygon
            .exterior()
            .0
            .iter()
            .map(|point| Coord {
                x: round_degrees(point.x),
                y: round_degrees(point.y),
            })
            .collect();
        let ring = simplify_ring(&rounded, max_points)?;
        Ok(CapPolygon(ring))
    }

    /// The points, lon/lat, closing point included.
    pub fn ring(&self) -> &LineString<f64> {
        &self.0
    }

    /// The CAP text: space-separated `lat,lon` pairs.
    pub fn to_cap_string(&self) -> String {
        self.0
            .0
            .iter()
            .map(|point| format!("{},{}", format_degrees(point.y), format_degrees(point.x)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn is_valid(&self) -> bool {
        let points = &self.0.0;
        points.len() >= 4
            && points.first() == points.last()
            && ring_is_simple(&points[..points.len() - 1])
    }
}

/// A circle: centre (lon/lat inside, written lat,lon) and radius in kilometres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapCircle {
    /// The centre, WGS84 lon/lat.
    pub center: Coord<f64>,
    /// The radius, in kilometres.
    pub radius_km: f64,
}

/// A `geocode`: `valueName` and `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapGeocode {
    /// The code's name (`P-code`).
    pub value_name: String,
    /// The code.
    pub value: String,
}

impl CapGeocode {
    /// The zone's P-code, named `P-code`.
    pub fn pcode(pcode: impl Into<String>) -> Self {
        CapGeocode {
            value_name: "P-code".to_owned(),
            value: pcode.into(),
        }
    }
}

/// One area of an `info`.
#[derive(Debug, Clone, PartialEq)]
pub struct CapArea {
    /// The area in words (`Commune de Bankass, cercle de Bankass, région de Mopti`).
    pub area_desc: String,
    /// Outlines (a corridor buffer or a commune, simplified).
    pub polygons: Vec<CapPolygon>,
    /// Circles.
    pub circles: Vec<CapCircle>,
    /// Codes: the P-code at least.
    pub geocodes: Vec<CapGeocode>,
}

/// The message in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct CapInfo {
    /// The language, written `fr-ML` or `en`.
    pub language: Language,
    /// The event (`Violences armées`); the category is always `Security`.
    pub event: String,
    /// How soon.
    pub urgency: CapUrgency,
    /// How bad.
    pub severity: CapSeverity,
    /// How sure.
    pub certainty: CapCertainty,
    /// From when it applies.
    pub effective: Option<DateTime<Utc>>,
    /// Until when it applies.
    pub expires: Option<DateTime<Utc>>,
    /// The sender's name for people.
    pub sender_name: Option<String>,
    /// A headline (under 160 characters is advised).
    pub headline: Option<String>,
    /// What is happening.
    pub description: Option<String>,
    /// What to do.
    pub instruction: Option<String>,
    /// A page with more.
    pub web: Option<String>,
    /// The areas concerned.
    pub areas: Vec<CapArea>,
}

/// A CAP 1.2 `alert`.
#[derive(Debug, Clone, PartialEq)]
pub struct CapAlert {
    /// Unique per sender; no spaces, commas, `<` or `&`. Vigie's are URNs, so they also serve
    /// as Atom entry ids.
    pub identifier: String,
    /// The sender (same character rules as `identifier`).
    pub sender: String,
    /// When it was sent.
    pub sent: DateTime<Utc>,
    /// Handling code.
    pub status: CapStatus,
    /// Alert, Update or Cancel.
    pub message_type: CapMessageType,
    /// Who may see it.
    pub scope: CapScope,
    /// A note (required in practice for Test messages).
    pub note: Option<String>,
    /// Earlier messages this one updates or cancels (required for Update and Cancel).
    pub references: Vec<CapReference>,
    /// The message per language.
    pub infos: Vec<CapInfo>,
}

/// A CAP message that would be invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapError {
    /// An identifier or sender that is empty or has a space, comma, `<` or `&`.
    #[error("{field} {value:?} must be non-empty, without spaces, commas, '<' or '&'")]
    BadToken {
        /// `identifier`, `sender` or `references`.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// An Update or Cancel without references.
    #[error("an Update or Cancel must reference the messages it replaces")]
    MissingReferences,
    /// A Restricted scope with an empty restriction.
    #[error("a Restricted message needs a restriction")]
    EmptyRestriction,
    /// Two infos in the same language.
    #[error("two info blocks in language {0}")]
    DuplicateLanguage(&'static str),
    /// A required text left empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// An outline that is not a valid CAP polygon.
    #[error("an area polygon is not closed, has fewer than 4 points or crosses itself")]
    BadPolygon,
    /// A circle with a bad centre or radius.
    #[error("a circle needs a finite centre and a positive finite radius")]
    BadCircle,
}

fn check_token(field: &'static str, value: &str) -> Result<(), CapError> {
    let bad = value.is_empty()
        || value
            .chars()
            .any(|character| character.is_whitespace() || matches!(character, ',' | '<' | '&'));
    if bad {
        return Err(CapError::BadToken {
            field,
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// The `language` code of an info: Mali's French, or English.
pub fn cap_language(language: Language) -> &'static str {
    match language {
        Language::French => "fr-ML",
        Language::English => "en",
    }
}

impl CapAlert {
    /// How later messages refer to this one.
    pub fn reference(&self) -> CapReference {
        CapReference {
            sender: self.sender.clone(),
            identifier: self.identifier.clone(),
            sent: self.sent,
        }
    }

    /// The latest `expires` of its infos; `None` when one of them never expires (or there
    /// is no info).
    pub fn expires(&self) -> Option<DateTime<Utc>> {
        let mut latest = None;
        for info in &self.infos {
            let expires = info.expires?;
            latest = Some(latest.map_or(expires, |current: DateTime<Utc>| current.max(expires)));
        }
        latest
    }

    /// Checks the rules the schema cannot express (and a few it can).
    pub fn validate(&self) -> Result<(), CapError> {
        check_token("identifier", &self.identifier)?;
        check_token("sender", &self.sender)?;
        if let CapScope::Restricted { restriction } = &self.scope
            && restriction.trim().is_empty()
        {
            return Err(CapError::EmptyRestriction);
        }
        if matches!(
            self.message_type,
            CapMessageType::Update | CapMessageType::Cancel
        ) && self.references.is_empty()
        {
            return Err(CapError::MissingReferences);
        }
        for reference in &self.references {
            check_token("references", &reference.sender)?;
            check_token("references", &reference.identifier)?;
        }
        let mut languages = Vec::new();
        for info in &self.infos {
            let code = cap_language(info.language);
            if languages.contains(&code) {
                return Err(CapError::DuplicateLanguage(code));
            }
            languages.push(code);
            if info.event.trim().is_empty() {
                return Err(CapError::Empty("event"));
            }
            for area in &info.areas {
                if area.area_desc.trim().is_empty() {
                    return Err(CapError::Empty("areaDesc"));
                }
                if !area.polygons.iter().all(CapPolygon::is_valid) {
                    return Err(CapError::BadPolygon);
                }
                let circle_ok = |circle: &CapCircle| {
                    circle.center.x.is_finite()
                        && circle.center.y.is_finite()
                        && circle.radius_km.is_finite()
                        && circle.radius_km > 0.0
                };
                if !area.circles.iter().all(circle_ok) {
                    return Err(CapError::BadCircle);
                }
            }
        }
        Ok(())
    }

    /// The message as CAP 1.2 XML (UTF-8), after [`CapAlert::validate`].
    pub fn to_xml(&self) -> Result<String, CapError> {
        self.validate()?;
        let mut xml = XmlWriter::new();
        xml.open("alert", &[("xmlns", CAP_NAMESPACE)]);
        xml.text_element("identifier", &[], &self.identifier);
        xml.text_element("sender", &[], &self.sender);
        xml.text_element("sent", &[], &cap_time(self.sent));
        xml.text_element("status", &[], status_text(self.status));
        xml.text_element("msgType", &[], message_type_text(self.message_type));
        match &self.scope {
            CapScope::Public => xml.text_element("scope", &[], "Public"),
            CapScope::Restricted { restriction } => {
                xml.text_element("scope", &[], "Restricted");
                xml.text_element("restriction", &[], restriction);
            }
        }
        if let Some(note) = &self.note {
            xml.text_element("note", &[], note);
        }
        if !self.references.is_empty() {
            let references: Vec<String> = self
                .references
                .iter()
                .map(|reference| {
                    format!(
                        "{},{},{}",
                        reference.sender,
                        reference.identifier,
                        cap_time(reference.sent)
                    )
                })
                .collect();
            xml.text_element("references", &[], &references.join(" "));
        }
        for info in &self.infos {
            write_info(&mut xml, info);
        }
        Ok(xml.finish())
    }
}

fn write_info(xml: &mut XmlWriter, info: &CapInfo) {
    xml.open("info", &[]);
    xml.text_element("language", &[], cap_language(info.language));
    xml.text_element("category", &[], "Security");
    xml.text_element("event", &[], &info.event);
    xml.text_element("urgency", &[], urgency_text(info.urgency));
    xml.text_element("severity", &[], severity_text(info.severity));
    xml.text_element("certainty", &[], certainty_text(info.certainty));
    if let Some(effective) = info.effective {
        xml.text_element("effective", &[], &cap_time(effective));
    }
    if let Some(expires) = info.expires {
        xml.text_element("expires", &[], &cap_time(expires));
    }
    let optional_texts = [
        ("senderName", &info.sender_name),
        ("headline", &info.headline),
        ("description", &info.description),
        ("instruction", &info.instruction),
        ("web", &info.web),
    ];
    for (name, text) in optional_texts {
        if let Some(text) = text {
            xml.text_element(name, &[], text);
        }
    }
    for area in &info.areas {
        xml.open("area", &[]);
        xml.text_element("areaDesc", &[], &area.area_desc);
        for polygon in &area.polygons {
            xml.text_element("polygon", &[], &polygon.to_cap_string());
        }
        for circle in &area.circles {
            let text = format!(
                "{},{} {}",
                format_degrees(circle.center.y),
                format_degrees(circle.center.x),
                format_kilometres(circle.radius_km)
            );
            xml.text_element("circle", &[], &text);
        }
        for geocode in &area.geocodes {
            xml.open("geocode", &[]);
            xml.text_element("valueName", &[], &geocode.value_name);
            xml.text_element("value", &[], &geocode.value);
            xml.close();
        }
        xml.close();
    }
    xml.close();
}

fn format_kilometres(radius_km: f64) -> String {
    let text = format!("{radius_km:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn status_text(status: CapStatus) -> &'static str {
    match status {
        CapStatus::Actual => "Actual",
        CapStatus::Exercise => "Exercise",
        CapStatus::System => "System",
        CapStatus::Test => "Test",
        CapStatus::Draft => "Draft",
    }
}

fn message_type_text(message_type: CapMessageType) -> &'static str {
    match message_type {
        CapMessageType::Alert => "Alert",
        CapMessageType::Update => "Update",
        CapMessageType::Cancel => "Cancel",
    }
}

fn urgency_text(urgency: CapUrgency) -> &'static str {
    match urgency {
        CapUrgency::Immediate => "Immediate",
        CapUrgency::Expected => "Expected",
        CapUrgency::Future => "Future",
        CapUrgency::Past => "Past",
        CapUrgency::Unknown => "Unknown",
    }
}

fn severity_text(severity: CapSeverity) -> &'static str {
    match severity {
        CapSeverity::Extreme => "Extreme",
        CapSeverity::Severe => "Severe",
        CapSeverity::Moderate => "Moderate",
        CapSeverity::Minor => "Minor",
        CapSeverity::Unknown => "Unknown",
    }
}

fn certainty_text(certainty: CapCertainty) -> &'static str {
    match certainty {
        CapCertainty::Observed => "Observed",
        CapCertainty::Likely => "Likely",
        CapCertainty::Possible => "Possible",
        CapCertainty::Unlikely => "Unlikely",
        CapCertainty::Unknown => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_rounded_trimmed_and_never_negative_zero() {
        assert_eq!(format_degrees(14.083_333_3), "14.08333");
        assert_eq!(format_degrees(-3.2), "-3.2");
        assert_eq!(format_degrees(-0.000_001), "0");
        assert_eq!(format_degrees(12.0), "12");
        assert_eq!(format_kilometres(12.5), "12.5");
    }

    #[test]
    fn timestamps_carry_an_explicit_offset_and_no_fraction() {
        let time = DateTime::parse_from_rfc3339("2026-11-22T04:00:00.750Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(cap_time(time), "2026-11-22T04:00:00+00:00");
    }
}
