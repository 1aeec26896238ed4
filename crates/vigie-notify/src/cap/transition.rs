//! One CAP message per stored warning transition: `opened` is an Alert, `escalated`,
//! `de_escalated` and `late_evidence` are Updates, `closed` is a Cancel; every Update and
//! Cancel references all the earlier messages of its episode.
//!
//! Pure: the caller reads the transitions from the store and looks the zone's outline up in
//! its geography; this module only turns them into a [`CapAlert`]. What a message says comes
//! from the transition's zone, level and the counts of its evidence (events, fatalities,
//! window): aggregates, never an event row or a report.

use chrono::NaiveDate;
use geo_types::{MultiPolygon, Polygon};
use serde_json::Value;
use vigie_domain::sms::Language;
use vigie_domain::{StoredWarning, TransitionKind, WarningLevel, ZoneLevel};

use super::alert::{
    CapAlert, CapArea, CapError, CapGeocode, CapInfo, CapMessageType, CapPolygon, CapReference,
    CapScope, CapStatus, cap_certainty, cap_severity, cap_urgency,
};
use crate::compose::level_label;

/// The sender when none is configured: a syntactically valid address under the `.invalid`
/// top-level domain, which can never be anyone's.
pub const DEFAULT_CAP_SENDER: &str = "vigie@vigie.invalid";

/// The default bound on the points of one area polygon (closing point included).
pub const DEFAULT_MAX_POLYGON_POINTS: usize = 100;

/// At most this many parts of a multi-part zone become `polygon` elements.
const MAX_POLYGON_PARTS: usize = 4;

/// Parts smaller than this fraction of the largest (river islands, slivers) are left out:
/// they would cost a polygon each for no reader's benefit.
const MIN_PART_AREA_FRACTION: f64 = 0.05;

/// How Vigie signs and bounds the CAP messages it derives from transitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionCapSettings {
    /// The `sender` of every message (no spaces, commas, `<` or `&`).
    pub sender: String,
    /// The most points an area polygon may have, closing point included (at least 4).
    pub max_polygon_points: usize,
}

impl Default for TransitionCapSettings {
    fn default() -> Self {
        TransitionCapSettings {
            sender: DEFAULT_CAP_SENDER.to_owned(),
            max_polygon_points: DEFAULT_MAX_POLYGON_POINTS,
        }
    }
}

/// The CAP message type of a transition kind.
pub fn cap_message_type(kind: TransitionKind) -> CapMessageType {
    match kind {
        TransitionKind::Opened => CapMessageType::Alert,
        TransitionKind::Escalated | TransitionKind::DeEscalated | TransitionKind::LateEvidence => {
            CapMessageType::Update
        }
        TransitionKind::Closed => CapMessageType::Cancel,
    }
}

/// The identifier of the message about `warning` in `scope`: deterministic, so every request
/// and every process names it alike, and unique per sender (the store id is part of it; public
/// and restricted copies differ).
///
/// `urn:vigie:{public|restricted}:{episode}:{kind}:{day}:{store id}`, where the episode's `/`
/// become `:` and any character outside `A-Z a-z 0-9 . _ ~ -` becomes `_`: no space, comma,
/// `<` or `&` (CAP), nothing a URL path must escape, and a valid Atom id. The store id always
/// comes last, after the final `:`.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use vigie_domain::{StoredWarning, TransitionKind, WarningLevel, WarningRecord, ZoneId, ZoneLevel};
/// use vigie_notify::cap::{CapScope, transition_identifier};
///
/// let warning = StoredWarning {
///     id: 12,
///     record: WarningRecord {
///         episode: "surge/ML0503/2026-11-16".into(),
///         rule: "surge".into(),
///         zone: ZoneId::new("ML0503").unwrap(),
///         zone_level: ZoneLevel::Commune,
///         zone_name: "Bankass".into(),
///         kind: TransitionKind::Escalated,
///         level: Some(WarningLevel::Urgence),
///         previous_level: Some(WarningLevel::Alerte),
///         at: NaiveDate::from_ymd_opt(2026, 11, 19).unwrap(),
///         evidence: serde_json::json!({}),
///         late: false,
///         inhibited_by: None,
///     },
///     recorded_at: Utc.with_ymd_and_hms(2026, 11, 19, 6, 0, 0).unwrap(),
/// };
/// assert_eq!(
///     transition_identifier(&warning, &CapScope::Public),
///     "urn:vigie:public:surge:ML0503:2026-11-16:escalated:2026-11-19:12"
/// );
/// ```
pub fn transition_identifier(warning: &StoredWarning, scope: &CapScope) -> String {
    let scope = match scope {
        CapScope::Public => "public",
        CapScope::Restricted { .. } => "restricted",
    };
    let episode: String = warning
        .record
        .episode
        .chars()
        .map(|character| match character {
            '/' => ':',
            'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '_' | '~' | '-' => character,
            _ => '_',
        })
        .collect();
    format!(
        "urn:vigie:{scope}:{episode}:{}:{}:{}",
        warning.record.kind.as_str(),
        warning.record.at,
        warning.id
    )
}

/// The store id an identifier of [`transition_identifier`] ends with; `None` when it has
/// none. The caller must still rebuild the identifier from the stored transition and compare:
/// the id alone proves nothing.
pub fn store_id_of_identifier(identifier: &str) -> Option<i64> {
    let (_, id) = identifier.rsplit_once(':')?;
    if id.is_empty() || !id.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// What the CAP message about one transition needs besides the transition itself.
#[derive(Debug, Clone, Copy)]
pub struct TransitionContext<'a> {
    /// Transitions of the episode, in any order; those before the message's (lower store
    /// id, same episode) become its `references`. Others are ignored.
    pub episode_history: &'a [StoredWarning],
    /// The zone's outline (WGS84 lon/lat): a commune, cercle or region boundary or a
    /// corridor's buffer. `None` when the geography no longer has the zone: the area then
    /// carries its code alone.
    pub outline: Option<&'a MultiPolygon<f64>>,
    /// A page about the zone, for `web`.
    pub web: Option<&'a str>,
}

/// The CAP message about `warning`, for `scope` (Public for the feed, Restricted for
/// committees), in French (`fr-ML`) and English.
///
/// `sent` is when the store recorded the transition; urgency, severity and certainty follow
/// the level (for a closure, the level the warning had). The area is the outline simplified
/// to `settings.max_polygon_points` (the largest parts of a multi-part zone, one `polygon`
/// each) with the zone's P-code (`valueName` `P-code`) or corridor id (`corridor`).
pub fn transition_alert(
    warning: &StoredWarning,
    context: &TransitionContext<'_>,
    scope: CapScope,
    settings: &TransitionCapSettings,
) -> Result<CapAlert, CapError> {
    let record = &warning.record;
    let mut earlier: Vec<&StoredWarning> = context
        .episode_history
        .iter()
        .filter(|other| other.record.episode == record.episode && other.id < warning.id)
        .collect();
    earlier.sort_by_key(|other| other.id);
    earlier.dedup_by_key(|other| other.id);
    let references = earlier
        .iter()
        .map(|other| CapReference {
            sender: settings.sender.clone(),
            identifier: transition_identifier(other, &scope),
            sent: other.recorded_at,
        })
        .collect();
    let area = area_of(warning, context.outline, settings.max_polygon_points);
    let infos = [Language::French, Language::English]
        .into_iter()
        .map(|language| info_of(warning, language, area.clone(), context.web))
        .collect();
    let alert = CapAlert {
        identifier: transition_identifier(warning, &scope),
        sender: settings.sender.clone(),
        sent: warning.recorded_at,
        status: CapStatus::Actual,
        message_type: cap_message_type(record.kind),
        scope,
        note: None,
        references,
        infos,
    };
    alert.validate()?;
    Ok(alert)
}

/// The level a message shows: after the transition, or for a closure the one it had.
fn shown_level(warning: &StoredWarning) -> WarningLevel {
    warning
        .record
        .level
        .or(warning.record.previous_level)
        .unwrap_or(WarningLevel::Vigilance)
}

/// The counts of the evidence the engine recorded; anything missing or malformed is left
/// out rather than guessed. Only numbers, dates and one known reason are read: no text of
/// the evidence reaches a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Figures {
    events: Option<u64>,
    fatalities: Option<u64>,
    window: Option<(NaiveDate, NaiveDate)>,
    out_of_season: bool,
}

impl Figures {
    fn of(evidence: &Value) -> Figures {
        let date = |value: &Value| value.as_str().and_then(|text| text.parse().ok());
        let window = evidence.get("window").and_then(|window| {
            let from: NaiveDate = date(window.get("from")?)?;
            let to: NaiveDate = date(window.get("to")?)?;
            (from <= to).then_some((from, to))
        });
        Figures {
            events: evidence.get("event_count").and_then(Value::as_u64),
            fatalities: evidence
                .get("fatalities")
                .and_then(Value::as_i64)
                .map(|fatalities| fatalities.max(0).unsigned_abs()),
            window,
            out_of_season: evidence.get("reason").and_then(Value::as_str) == Some("out_of_season"),
        }
    }

    fn window_days(&self) -> Option<i64> {
        self.window.map(|(from, to)| (to - from).num_days() + 1)
    }
}

fn plural(count: u64, singular: &str, plural: &str, language: Language) -> String {
    let one = match language {
        Language::French => count <= 1,
        Language::English => count == 1,
    };
    format!("{count} {}", if one { singular } else { plural })
}

/// `5 incidents, 12 morts en 7 jours`, or the part the evidence allows.
fn counts_phrase(figures: &Figures, language: Language) -> Option<String> {
    let events = figures.events?;
    let (incident, incidents, death, deaths, day, days, within) = match language {
        Language::French => (
            "incident",
            "incidents",
            "mort",
            "morts",
            "jour",
            "jours",
            "en",
        ),
        Language::English => (
            "incident",
            "incidents",
            "death",
            "deaths",
            "day",
            "days",
            "in",
        ),
    };
    let mut phrase = plural(events, incident, incidents, language);
    if let Some(fatalities) = figures.fatalities {
        phrase.push_str(", ");
        phrase.push_str(&plural(fatalities, death, deaths, language));
    }
    if let Some(window_days) = figures.window_days() {
        let window_days = window_days.unsigned_abs();
        phrase.push_str(&format!(
            " {within} {}",
            plural(window_days, day, days, language)
        ));
    }
    Some(phrase)
}

fn zone_phrase(level: ZoneLevel, name: &str, language: Language) -> String {
    match (language, level) {
        (Language::French, ZoneLevel::Commune) => format!("la commune de {name}"),
        (Language::French, ZoneLevel::Cercle) => format!("le cercle de {name}"),
        (Language::French, ZoneLevel::Region) => format!("la région de {name}"),
        (Language::French, ZoneLevel::Corridor) => {
            format!("le corridor de transhumance {name}")
        }
        (Language::English, ZoneLevel::Commune) => format!("the commune of {name}"),
        (Language::English, ZoneLevel::Cercle) => format!("the cercle of {name}"),
        (Language::English, ZoneLevel::Region) => format!("the region of {name}"),
        (Language::English, ZoneLevel::Corridor) => {
            format!("the transhumance corridor {name}")
        }
    }
}

fn area_description(level: ZoneLevel, name: &str) -> String {
    match level {
        ZoneLevel::Commune => format!("Commune de {name}"),
        ZoneLevel::Cercle => format!("Cercle de {name}"),
        ZoneLevel::Region => format!("Région de {name}"),
        ZoneLevel::Corridor => format!("Corridor de transhumance {name}"),
    }
}

fn format_day(day: NaiveDate, language: Language) -> String {
    match language {
        Language::French => day.format("%d/%m/%Y").to_string(),
        Language::English => day.format("%Y-%m-%d").to_string(),
    }
}

fn level_word(level: WarningLevel, language: Language) -> String {
    level_label(level, language).to_lowercase()
}

fn headline(warning: &StoredWarning, figures: &Figures, language: Language) -> String {
    let record = &warning.record;
    let label = level_label(shown_level(warning), language);
    let name = record.zone_name.trim();
    let name = if name.is_empty() {
        record.zone.as_str()
    } else {
        name
    };
    if record.kind == TransitionKind::Closed {
        return match language {
            Language::French => format!("FIN {label} {name}"),
            Language::English => format!("END OF {label} {name}"),
        };
    }
    let marker = match (record.kind, language) {
        (TransitionKind::Escalated, Language::French) => " (hausse)",
        (TransitionKind::Escalated, Language::English) => " (raised)",
        (TransitionKind::DeEscalated, Language::French) => " (baisse)",
        (TransitionKind::DeEscalated, Language::English) => " (lowered)",
        (TransitionKind::LateEvidence, Language::French) => " (données tardives)",
        (TransitionKind::LateEvidence, Language::English) => " (late data)",
        _ => "",
    };
    let separator = match language {
        Language::French => " : ",
        Language::English => ": ",
    };
    match counts_phrase(figures, language) {
        Some(counts) => format!("{label} {name}{marker}{separator}{counts}"),
        None => format!("{label} {name}{marker}"),
    }
}

fn description(warning: &StoredWarning, figures: &Figures, language: Language) -> String {
    let record = &warning.record;
    let zone = zone_phrase(record.zone_level, record.zone_name.trim(), language);
    let level = level_word(shown_level(warning), language);
    let previous = record
        .previous_level
        .map(|previous| level_word(previous, language));
    let day = format_day(record.at, language);
    let mut sentences = Vec::new();
    sentences.push(match (record.kind, language) {
        (TransitionKind::Opened, Language::French) => {
            format!("Avertissement de niveau {level} ouvert le {day} pour {zone}.")
        }
        (TransitionKind::Opened, Language::English) => {
            let article = if level.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "An"
            } else {
                "A"
            };
            format!("{article} {level} warning opened on {day} for {zone}.")
        }
        (TransitionKind::Escalated | TransitionKind::DeEscalated, Language::French) => {
            let verb = if record.kind == TransitionKind::Escalated {
                "relevé"
            } else {
                "abaissé"
            };
            match &previous {
                Some(previous) => format!(
                    "Le niveau d'avertissement pour {zone} est {verb} de {previous} à {level} le {day}."
                ),
                None => format!(
                    "Le niveau d'avertissement pour {zone} est {verb} à {level} le {day}."
                ),
            }
        }
        (TransitionKind::Escalated | TransitionKind::DeEscalated, Language::English) => {
            let verb = if record.kind == TransitionKind::Escalated {
                "raised"
            } else {
                "lowered"
            };
            match &previous {
                Some(previous) => format!(
                    "The warning for {zone} was {verb} from {previous} to {level} on {day}."
                ),
                None => format!("The warning for {zone} was {verb} to {level} on {day}."),
            }
        }
        (TransitionKind::LateEvidence, Language::French) => format!(
            "Des données arrivées en retard complètent l'avertissement de niveau {level} pour {zone} ({day})."
        ),
        (TransitionKind::LateEvidence, Language::English) => format!(
            "Late data add to the {level} warning for {zone} ({day})."
        ),
        (TransitionKind::Closed, Language::French) => {
            format!("L'avertissement de niveau {level} pour {zone} est levé le {day}.")
        }
        (TransitionKind::Closed, Language::English) => {
            format!("The {level} warning for {zone} ended on {day}.")
        }
    });
    if let Some(events) = figures.events {
        let counts = match (language, figures.fatalities) {
            (Language::French, Some(fatalities)) => format!(
                "{} et {} enregistrés",
                plural(events, "incident", "incidents", language),
                plural(fatalities, "mort", "morts", language)
            ),
            (Language::French, None) => format!(
                "{} enregistrés",
                plural(events, "incident", "incidents", language)
            ),
            (Language::English, Some(fatalities)) => format!(
                "{} and {} recorded",
                plural(events, "incident", "incidents", language),
                plural(fatalities, "death", "deaths", language)
            ),
            (Language::English, None) => format!(
                "{} recorded",
                plural(events, "incident", "incidents", language)
            ),
        };
        let sentence = match (language, figures.window) {
            (Language::French, Some((from, to))) => format!(
                "{} du {} au {}.",
                capitalise(&counts),
                format_day(from, language),
                format_day(to, language)
            ),
            (Language::English, Some((from, to))) => format!(
                "{} from {} to {}.",
                capitalise(&counts),
                format_day(from, language),
                format_day(to, language)
            ),
            (_, None) => format!("{}.", capitalise(&counts)),
        };
        sentences.push(sentence);
    }
    if figures.out_of_season {
        sentences.push(
            match language {
                Language::French => "La saison de transhumance est terminée.",
                Language::English => "The transhumance season is over.",
            }
            .to_owned(),
        );
    }
    let rule = match language {
        Language::French => format!("Règle : {}.", record.rule),
        Language::English => format!("Rule: {}.", record.rule),
    };
    sentences.push(rule);
    sentences.join(" ")
}

fn capitalise(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

fn info_of(
    warning: &StoredWarning,
    language: Language,
    area: CapArea,
    web: Option<&str>,
) -> CapInfo {
    let record = &warning.record;
    let figures = Figures::of(&record.evidence);
    let level = shown_level(warning);
    let (event, sender_name, instruction) = match language {
        Language::French => (
            "Violences armées",
            "Vigie – alerte précoce Mali",
            "Suivre les consignes des autorités et du comité de sécurité ; éviter les \
             déplacements non essentiels dans la zone.",
        ),
        Language::English => (
            "Armed violence",
            "Vigie – Mali early warning",
            "Follow the instructions of the authorities and the security committee; avoid \
             non-essential travel in the area.",
        ),
    };
    CapInfo {
        language,
        event: event.to_owned(),
        urgency: cap_urgency(level),
        severity: cap_severity(level),
        certainty: cap_certainty(level),
        effective: None,
        expires: None,
        sender_name: Some(sender_name.to_owned()),
        headline: Some(headline(warning, &figures, language)),
        description: Some(description(warning, &figures, language)),
        instruction: (record.kind != TransitionKind::Closed).then(|| instruction.to_owned()),
        web: web.map(str::to_owned),
        areas: vec![area],
    }
}

/// Twice the area of a polygon's exterior, in square degrees: it only ranks parts.
fn exterior_area(polygon: &Polygon<f64>) -> f64 {
    let points = &polygon.exterior().0;
    points
        .windows(2)
        .map(|pair| pair[0].x * pair[1].y - pair[1].x * pair[0].y)
        .sum::<f64>()
        .abs()
}

fn area_of(
    warning: &StoredWarning,
    outline: Option<&MultiPolygon<f64>>,
    max_points: usize,
) -> CapArea {
    let record = &warning.record;
    let mut parts: Vec<(f64, &Polygon<f64>)> = outline
        .map(|outline| {
            outline
                .0
                .iter()
                .map(|part| (exterior_area(part), part))
                .filter(|(area, _)| area.is_finite() && *area > 0.0)
                .collect()
        })
        .unwrap_or_default();
    parts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let largest = parts.first().map_or(0.0, |(area, _)| *area);
    let polygons = parts
        .iter()
        .filter(|(area, _)| *area >= largest * MIN_PART_AREA_FRACTION)
        .take(MAX_POLYGON_PARTS)
        // A part that cannot be bounded (degenerate) is left out; the geocode still names
        // the zone.
        .filter_map(|(_, part)| CapPolygon::simplified(part, max_points).ok())
        .collect();
    let geocode = match record.zone_level {
        ZoneLevel::Corridor => CapGeocode {
            value_name: "corridor".to_owned(),
            value: record.zone.as_str().to_owned(),
        },
        _ => CapGeocode::pcode(record.zone.as_str()),
    };
    let name = record.zone_name.trim();
    let name = if name.is_empty() {
        record.zone.as_str()
    } else {
        name
    };
    CapArea {
        area_desc: area_description(record.zone_level, name),
        polygons,
        circles: Vec::new(),
        geocodes: vec![geocode],
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use geo_types::{LineString, polygon};
    use serde_json::json;
    use vigie_domain::{WarningRecord, ZoneId};

    use super::*;

    fn stored(id: i64, kind: TransitionKind, episode: &str) -> StoredWarning {
        StoredWarning {
            id,
            record: WarningRecord {
                episode: episode.to_owned(),
                rule: "surge".to_owned(),
                zone: ZoneId::new("ML0503").unwrap(),
                zone_level: ZoneLevel::Commune,
                zone_name: "Bankass".to_owned(),
                kind,
                level: (kind != TransitionKind::Closed).then_some(WarningLevel::Alerte),
                previous_level: Some(WarningLevel::Vigilance),
                at: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                evidence: json!({
                    "window": {"from": "2026-11-14", "to": "2026-11-20"},
                    "event_count": 1, "fatalities": 0, "reason": "<b>&"
                }),
                late: false,
                inhibited_by: None,
            },
            recorded_at: Utc.with_ymd_and_hms(2026, 11, 20, 6, 0, id as u32).unwrap(),
        }
    }

    fn square(x: f64, y: f64, side: f64) -> Polygon<f64> {
        polygon![(x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side)]
    }

    #[test]
    fn identifiers_keep_only_safe_characters_and_end_with_the_store_id() {
        let warning = stored(42, TransitionKind::Opened, "règle 1,<&>/ML0503/2026-11-20");
        let identifier = transition_identifier(&warning, &CapScope::Public);
        assert_eq!(
            identifier,
            "urn:vigie:public:r_gle_1____:ML0503:2026-11-20:opened:2026-11-20:42"
        );
        assert_eq!(store_id_of_identifier(&identifier), Some(42));
        let restricted = CapScope::Restricted {
            restriction: "Comités".to_owned(),
        };
        assert_ne!(transition_identifier(&warning, &restricted), identifier);
        for bad in ["urn:vigie:x", "urn:vigie:-1", "urn:vigie:", "42", "a:4 2"] {
            assert_eq!(store_id_of_identifier(bad), None, "{bad}");
        }
    }

    #[test]
    fn later_transitions_reference_only_the_earlier_ones_of_their_episode() {
        let episode = "surge/ML0503/2026-11-14";
        let history = [
            stored(1, TransitionKind::Opened, episode),
            stored(2, TransitionKind::Opened, "other/ML0503/2026-11-14"),
            stored(3, TransitionKind::LateEvidence, episode),
            stored(4, TransitionKind::Closed, episode),
        ];
        let context = TransitionContext {
            episode_history: &history,
            outline: None,
            web: None,
        };
        let settings = TransitionCapSettings::default();
        let restricted = CapScope::Restricted {
            restriction: "Comités consultatifs de sécurité".to_owned(),
        };
        let cancel =
            transition_alert(&history[3], &context, restricted.clone(), &settings).unwrap();
        assert_eq!(cancel.message_type, CapMessageType::Cancel);
        let referenced: Vec<&str> = cancel
            .references
            .iter()
            .map(|reference| reference.identifier.as_str())
            .collect();
        assert_eq!(
            referenced,
            [
                transition_identifier(&history[0], &restricted),
                transition_identifier(&history[2], &restricted)
            ]
        );
        let update = transition_alert(&history[2], &context, CapScope::Public, &settings).unwrap();
        assert_eq!(update.message_type, CapMessageType::Update);
        assert_eq!(update.references.len(), 1);
        let alert = transition_alert(&history[0], &context, CapScope::Public, &settings).unwrap();
        assert_eq!(alert.message_type, CapMessageType::Alert);
        assert!(alert.references.is_empty());
        // Singular counts, no evidence text, no area outline without one.
        let headline = alert.infos[0].headline.as_deref().unwrap();
        assert_eq!(headline, "ALERTE Bankass : 1 incident, 0 mort en 7 jours");
        assert!(!alert.to_xml().unwrap().contains("&lt;b&gt;"));
        assert!(alert.infos[0].areas[0].polygons.is_empty());
    }

    #[test]
    fn a_multipart_zone_keeps_its_large_parts_each_bounded() {
        let mut jagged: Vec<(f64, f64)> = (0..400)
            .map(|index| {
                let angle = f64::from(index) / 400.0 * std::f64::consts::TAU;
                let radius = 0.3 + 0.02 * (angle * 13.0).sin();
                (-4.0 + radius * angle.cos(), 14.0 + radius * angle.sin())
            })
            .collect();
        jagged.push(jagged[0]);
        let outline = MultiPolygon(vec![
            square(-2.0, 13.0, 0.001),
            Polygon::new(LineString::from(jagged), vec![]),
            square(-3.0, 13.0, 0.2),
        ]);
        let warning = stored(1, TransitionKind::Opened, "surge/ML0503/2026-11-14");
        let area = area_of(&warning, Some(&outline), 20);
        assert_eq!(area.polygons.len(), 2, "the sliver is left out");
        assert!(
            area.polygons
                .iter()
                .all(|polygon| polygon.ring().0.len() <= 20)
        );
        assert_eq!(
            area.polygons[0].ring().0.len(),
            20,
            "the largest part first"
        );
        assert_eq!(area.geocodes, [CapGeocode::pcode("ML0503")]);
    }
}
