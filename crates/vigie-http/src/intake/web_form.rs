//! `POST /api/reports`: the web report form.
//!
//! A JSON object with a free `text` (read with the SMS grammar), structured fields, or both;
//! structured fields win over what the text says:
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `text` | string ≤ 1600 | the report in the monitor's words |
//! | `commune` | string | a P-code (`ML050303`) or a name, optionally with its cercle |
//! | `event_type` | string | an incident word (`attaque`, `IED`…) or an ACLED event type |
//! | `fatalities`, `injured` | integer ≥ 0 | counts |
//! | `latitude`, `longitude` | number | WGS84, both or neither |
//! | `occurred_on` | `YYYY-MM-DD` | the day, not in the future |
//! | `client_id` | string ≤ 128 | the client's id for the report: a resubmission is a duplicate |
//! | `phone` | string | the sender's number, protected like an SMS sender's |
//! | `language` | `fr` or `en` | the reply's language |
//!
//! Coordinates are located in the geography; outside every commune they are refused (422)
//! unless a commune is named. A structured `commune` that names no commune, or several, is
//! refused with the suggestions or candidates; free text that cannot be understood is
//! recorded with a question, as for SMS. Answers `201 {id, status, reply}`, or `200` with the
//! same body for a `client_id` already recorded. Problem details never quote the values sent.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::{Map, Value, json};
use vigie_domain::sms::{
    Clarification, ClarificationRequest, CommuneEntry, CommuneLookup, IncidentKind, Language,
    PartialReport, SmsParse, UnderstoodReport, parse_report_with_default,
};
use vigie_domain::{EventType, LocateStatus, ReportChannel, ReportedIncident, ZoneRef};

use super::placement::{Place, commune_place, point_location};
use super::{MAX_ID_CHARS, MAX_TEXT_CHARS, Submission, blocking, protect_sender, record};
use crate::error::AppError;
use crate::state::{AppState, Geography};

/// The fields the form accepts; any other is refused, so a misspelt field is never ignored.
const FIELDS: [&str; 11] = [
    "text",
    "commune",
    "event_type",
    "fatalities",
    "injured",
    "latitude",
    "longitude",
    "occurred_on",
    "client_id",
    "phone",
    "language",
];
/// Largest casualty count accepted.
const MAX_COUNT: u64 = 100_000;
/// Characters of a commune or event type field.
const MAX_NAME_CHARS: usize = 80;

/// The form's JSON schema, for the OpenAPI document: the same fields and limits
/// [`WebReport::from_json`] checks (what it checks across fields, such as "a text, a commune
/// or coordinates" or a commune that exists, only the handler can say: 422).
pub(crate) fn body_schema() -> Value {
    let text = |max: usize, description: &str| json!({ "type": "string", "maxLength": max, "nullable": true, "description": description });
    let count = |description: &str| {
        json!({ "type": "integer", "minimum": 0, "maximum": MAX_COUNT, "nullable": true,
                "description": description })
    };
    let properties = json!({
        "text": text(MAX_TEXT_CHARS, "The report in the monitor's words (read with the SMS grammar)."),
        "commune": text(MAX_NAME_CHARS, "A commune P-code or name, optionally with its cercle."),
        "event_type": text(MAX_NAME_CHARS, "An incident word (attaque, IED…) or an ACLED event type."),
        "fatalities": count("Deaths."),
        "injured": count("Injured."),
        "latitude": { "type": "number", "minimum": -90, "maximum": 90, "nullable": true,
                      "description": "WGS84; with longitude, or neither." },
        "longitude": { "type": "number", "minimum": -180, "maximum": 180, "nullable": true,
                       "description": "WGS84; with latitude, or neither." },
        "occurred_on": { "type": "string", "format": "date", "nullable": true,
                         "description": "The day (YYYY-MM-DD), not in the future." },
        "client_id": { "type": "string", "maxLength": MAX_ID_CHARS, "pattern": "^[!-~]*$",
                       "nullable": true,
                       "description": "The client's id for the report: a resubmission is a duplicate." },
        "phone": text(40, "The sender's number, protected like an SMS sender's."),
        "language": { "type": "string", "enum": ["fr", "en"], "nullable": true,
                      "description": "The reply's language." },
    });
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "anyOf": [
            { "required": ["text"] },
            { "required": ["commune"] },
            { "required": ["latitude", "longitude"] },
        ],
    })
}

/// Receives one report from the web form.
pub(crate) async fn receive(
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, AppError> {
    let Json(body) = body?;
    let form = WebReport::from_json(&body)?;
    let received_at = state.clock.now();
    // Mali keeps UTC all year: the UTC day is the local day.
    let received_on = received_at.date_naive();
    if let Some(occurred_on) = form.occurred_on
        && Some(occurred_on) > received_on.checked_add_days(Days::new(1))
    {
        return Err(AppError::invalid_field("occurred_on is in the future"));
    }
    let sender = match &form.phone {
        Some(phone) => Some(
            protect_sender(&state.protector, phone)
                .map_err(|reason| AppError::invalid_field(format!("phone: {reason}")))?,
        ),
        None => None,
    };
    let provider_message_id = form
        .client_id
        .clone()
        .unwrap_or_else(|| generated_message_id(received_at));
    let outcome = blocking(move || {
        let (parse, exact_place) = interpret(&state, &form, received_on)?;
        record(
            &state,
            Submission {
                channel: ReportChannel::Web,
                provider_message_id,
                sender,
                received_at,
                text: form.text.clone().unwrap_or_default(),
                parse,
                exact_place,
            },
        )
    })
    .await?;
    let status = if outcome.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let body = json!({
        "id": outcome.report_id,
        "status": outcome.status.as_str(),
        "reply": outcome.reply,
    });
    Ok((status, Json(body)).into_response())
}

/// The form's fields, checked.
#[derive(Debug, Clone, Default)]
struct WebReport {
    text: Option<String>,
    commune: Option<String>,
    event_type: Option<String>,
    fatalities: Option<u32>,
    injured: Option<u32>,
    /// (longitude, latitude).
    coordinates: Option<(f64, f64)>,
    occurred_on: Option<NaiveDate>,
    client_id: Option<String>,
    phone: Option<String>,
    language: Option<Language>,
}

impl WebReport {
    fn from_json(body: &Value) -> Result<WebReport, AppError> {
        let Value::Object(members) = body else {
            return Err(AppError::invalid_field("the body must be a JSON object"));
        };
        if let Some(unknown) = members.keys().find(|key| !FIELDS.contains(&key.as_str())) {
            return Err(AppError::invalid_field(format!(
                "unknown field {} (expected {})",
                printable_name(unknown),
                FIELDS.join(", ")
            )));
        }
        let latitude = number(members, "latitude")?;
        let longitude = number(members, "longitude")?;
        let coordinates = match (longitude, latitude) {
            (Some(longitude), Some(latitude)) => {
                if !(-180.0..=180.0).contains(&longitude) || !(-90.0..=90.0).contains(&latitude) {
                    return Err(AppError::invalid_field(
                        "longitude must lie in [-180, 180] and latitude in [-90, 90]",
                    ));
                }
                Some((longitude, latitude))
            }
            (None, None) => None,
            _ => {
                return Err(AppError::invalid_field(
                    "give both latitude and longitude, or neither",
                ));
            }
        };
        let occurred_on = match text(members, "occurred_on", 10)? {
            Some(day) => Some(NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|_| {
                AppError::invalid_field("occurred_on must be a date written YYYY-MM-DD")
            })?),
            None => None,
        };
        let client_id = text(members, "client_id", MAX_ID_CHARS)?;
        if let Some(client_id) = &client_id
            && !client_id.bytes().all(|byte| byte.is_ascii_graphic())
        {
            return Err(AppError::invalid_field(
                "client_id may hold only printable ASCII characters without spaces",
            ));
        }
        let language = match text(members, "language", 8)? {
            Some(code) => Some(
                Language::from_code(&code)
                    .ok_or_else(|| AppError::invalid_field("language must be fr or en"))?,
            ),
            None => None,
        };
        let form = WebReport {
            text: text(members, "text", MAX_TEXT_CHARS)?,
            commune: text(members, "commune", MAX_NAME_CHARS)?,
            event_type: text(members, "event_type", MAX_NAME_CHARS)?,
            fatalities: count(members, "fatalities")?,
            injured: count(members, "injured")?,
            coordinates,
            occurred_on,
            client_id,
            phone: text(members, "phone", 40)?,
            language,
        };
        let says_something = form
            .text
            .as_deref()
            .is_some_and(|text| !text.trim().is_empty())
            || form.commune.is_some()
            || form.coordinates.is_some();
        if !says_something {
            return Err(AppError::invalid_field(
                "a report needs a text, a commune or coordinates",
            ));
        }
        Ok(form)
    }
}

/// A string field; `null` is absent. Blank strings are absent too.
fn text(
    members: &Map<String, Value>,
    name: &str,
    max_chars: usize,
) -> Result<Option<String>, AppError> {
    match members.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) if value.chars().count() > max_chars => Err(
            AppError::invalid_field(format!("{name} is longer than {max_chars} characters")),
        ),
        Some(Value::String(value)) if value.trim().is_empty() => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(AppError::invalid_field(format!("{name} must be a string"))),
    }
}

fn number(members: &Map<String, Value>, name: &str) -> Result<Option<f64>, AppError> {
    match members.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(value)) => match value.as_f64() {
            Some(value) if value.is_finite() => Ok(Some(value)),
            _ => Err(AppError::invalid_field(format!(
                "{name} must be a finite number"
            ))),
        },
        Some(_) => Err(AppError::invalid_field(format!("{name} must be a number"))),
    }
}

fn count(members: &Map<String, Value>, name: &str) -> Result<Option<u32>, AppError> {
    match members.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(value)) => match value.as_u64() {
            Some(value) if value <= MAX_COUNT => Ok(Some(value as u32)),
            _ => Err(AppError::invalid_field(format!(
                "{name} must be a whole number from 0 to {MAX_COUNT}"
            ))),
        },
        Some(_) => Err(AppError::invalid_field(format!("{name} must be a number"))),
    }
}

/// A field name safe to quote back: only letters and underscores, at most 32 (a name could
/// be anything, a phone number included).
fn printable_name(name: &str) -> &str {
    let plain = name.len() <= 32
        && !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphabetic() || byte == b'_');
    if plain { name } else { "(not shown)" }
}

/// Where the incident is and what it is, from the structured fields and the text together.
/// Returns the report as understood (or the question to ask) and the exact place, when
/// coordinates were given.
fn interpret(
    state: &AppState,
    form: &WebReport,
    received_on: NaiveDate,
) -> Result<(SmsParse, Option<Place>), AppError> {
    let geography = state.geography();
    let default_language = form.language.unwrap_or(state.config.default_language);
    let text_parse = form.text.as_deref().map(|text| {
        parse_report_with_default(text, &geography.directory, received_on, default_language)
    });
    let language = form
        .language
        .or(text_parse.as_ref().map(SmsParse::language))
        .unwrap_or(default_language);
    let named = match &form.commune {
        Some(name) => Some(named_commune(&geography, name)?),
        None => None,
    };
    let text_commune = text_parse
        .as_ref()
        .and_then(SmsParse::commune)
        .and_then(|id| geography.directory.commune(id));
    let fallback_commune = named.or(text_commune);

    let mut commune = fallback_commune.map(CommuneEntry::to_ref);
    let exact_place = match form.coordinates {
        Some((longitude, latitude)) => {
            let location = point_location(state, longitude, latitude);
            if location.status == LocateStatus::Outside {
                let Some(entry) = fallback_commune else {
                    return Err(AppError::invalid_field(
                        "the coordinates lie outside every commune; name the commune",
                    ));
                };
                let Some((_, commune_location)) = commune_place(state, &entry.id) else {
                    return Err(AppError::internal(
                        "placing a web report",
                        "the commune named has no representative point",
                    ));
                };
                Some(((longitude, latitude), commune_location))
            } else {
                // Exact coordinates say where it happened better than a name does.
                commune = location
                    .commune
                    .as_ref()
                    .and_then(|id| geography.directory.commune(id))
                    .map(CommuneEntry::to_ref);
                Some(((longitude, latitude), location))
            }
        }
        None => None,
    };
    let fuzzy_commune = match (&text_parse, &commune) {
        (Some(SmsParse::Understood(report)), Some(commune)) => {
            report.fuzzy_commune && report.commune.id == commune.id
        }
        _ => false,
    };

    let from_text = text_parse.as_ref().map(understood_parts);
    let (kind, event_type, sub_event_type) = match &form.event_type {
        Some(word) => structured_event_type(word)?,
        None => match from_text.as_ref().and_then(|parts| parts.kind) {
            Some(kind) => {
                let (event_type, sub_event_type) = kind.acled();
                (Some(kind), Some(event_type), Some(sub_event_type))
            }
            None => (None, None, None),
        },
    };
    let understood = PartialReport {
        kind,
        fatalities: form
            .fatalities
            .or(from_text.as_ref().and_then(|parts| parts.fatalities)),
        injured: form
            .injured
            .or(from_text.as_ref().and_then(|parts| parts.injured)),
        occurred_on: form
            .occurred_on
            .or(from_text.as_ref().map(|parts| parts.occurred_on))
            .unwrap_or(received_on),
    };

    let parse = match (commune, event_type) {
        (Some(commune), Some(event_type)) => SmsParse::Understood(UnderstoodReport {
            incident: ReportedIncident {
                commune: commune.id.clone(),
                event_type,
                sub_event_type: sub_event_type.map(str::to_owned),
                fatalities: understood.fatalities.unwrap_or(0),
                injured: understood.injured,
                occurred_on: understood.occurred_on,
            },
            kind,
            commune,
            language,
            fuzzy_commune,
        }),
        (Some(commune), None) => {
            clarification(Clarification::NoIncident { commune }, language, understood)
        }
        (None, has_event) => {
            let question = match text_parse {
                Some(SmsParse::Clarification(ClarificationRequest { question, .. }))
                    if matches!(
                        question,
                        Clarification::UnknownCommune { .. }
                            | Clarification::AmbiguousCommune { .. }
                            | Clarification::NoCommune
                    ) =>
                {
                    question
                }
                _ if has_event.is_some() => Clarification::NoCommune,
                _ => Clarification::NotUnderstood,
            };
            clarification(question, language, understood)
        }
    };
    Ok((parse, exact_place))
}

fn clarification(
    question: Clarification,
    language: Language,
    understood: PartialReport,
) -> SmsParse {
    SmsParse::Clarification(ClarificationRequest {
        question,
        language,
        understood,
    })
}

/// What a text parse understood, whether or not it found the commune.
fn understood_parts(parse: &SmsParse) -> PartialReport {
    match parse {
        SmsParse::Understood(report) => PartialReport {
            kind: report.kind,
            fatalities: Some(report.incident.fatalities),
            injured: report.incident.injured,
            occurred_on: report.incident.occurred_on,
        },
        SmsParse::Clarification(request) => request.understood.clone(),
    }
}

/// The commune a structured field names, or a 422 listing the candidates or suggestions.
fn named_commune<'geography>(
    geography: &'geography Geography,
    name: &str,
) -> Result<&'geography CommuneEntry, AppError> {
    let describe = |entry: &CommuneEntry| {
        json!({
            "id": entry.id.as_str(),
            "name": entry.name,
            "cercle": entry.cercle.as_ref().map(|cercle: &ZoneRef| cercle.name.clone()),
        })
    };
    match geography.directory.lookup(name) {
        CommuneLookup::Found { commune, .. } => Ok(commune),
        CommuneLookup::Ambiguous { candidates, .. } => Err(AppError::invalid_field(
            "several communes have this name; add the cercle or give the P-code",
        )
        .with_extra(
            json!({ "candidates": candidates.into_iter().map(describe).collect::<Vec<_>>() }),
        )),
        CommuneLookup::Unknown { suggestions, .. } => Err(AppError::invalid_field(
            "no commune has this name",
        )
        .with_extra(
            json!({ "suggestions": suggestions.into_iter().map(describe).collect::<Vec<_>>() }),
        )),
        CommuneLookup::Missing => Err(AppError::invalid_field("commune names no commune")),
    }
}

type StructuredEventType = (
    Option<IncidentKind>,
    Option<EventType>,
    Option<&'static str>,
);

/// An incident word (`attaque`, `IED`) or an ACLED event type (`Battles`).
fn structured_event_type(word: &str) -> Result<StructuredEventType, AppError> {
    if let Some(kind) = IncidentKind::from_word(word) {
        let (event_type, sub_event_type) = kind.acled();
        return Ok((Some(kind), Some(event_type), Some(sub_event_type)));
    }
    if let Some(event_type) = EventType::from_label(word) {
        return Ok((None, Some(event_type), None));
    }
    Err(AppError::invalid_field(
        "event_type must be an incident word (attaque, affrontement, enlèvement, vol de bétail, \
         IED, incendie, menace, déplacement, manifestation, viol…) or an ACLED event type",
    ))
}

/// A UUID-shaped id for a report sent without `client_id`: keyed hashes, under a key drawn at
/// random when the process starts, of the time and a counter, so ids never repeat in one
/// process and collide across processes with negligible probability.
fn generated_message_id(received_at: DateTime<Utc>) -> String {
    static PROCESS_KEY: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let key = PROCESS_KEY.get_or_init(RandomState::new);
    let sequence = COUNTER.fetch_add(1, Ordering::Relaxed);
    let microseconds = received_at.timestamp_micros() as u64;
    let half = |domain: u8| {
        let mut hasher = key.build_hasher();
        hasher.write_u8(domain);
        hasher.write_u64(microseconds);
        hasher.write_u64(sequence);
        hasher.finish()
    };
    let (high, low) = (half(1), half(2));
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_unique_and_uuid_shaped() {
        let now = Utc::now();
        let first = generated_message_id(now);
        let second = generated_message_id(now);
        assert_ne!(first, second);
        let groups: Vec<usize> = first.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
    }

    #[test]
    fn the_documented_schema_names_exactly_the_accepted_fields() {
        let schema = body_schema();
        let documented: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut accepted = FIELDS.to_vec();
        accepted.sort_unstable();
        let mut documented = documented;
        documented.sort_unstable();
        assert_eq!(documented, accepted);
        assert_eq!(schema["additionalProperties"], false);
    }

    #[test]
    fn fields_are_checked_without_quoting_values() {
        let refused = [
            json!([]),
            json!({"text": "ALERTE", "colour": "red"}),
            json!({"text": 22376123456u64}),
            json!({"commune": "Bankass", "latitude": 14.0}),
            json!({"commune": "Bankass", "latitude": 95.0, "longitude": 3.0}),
            json!({"commune": "Bankass", "fatalities": -1}),
            json!({"commune": "Bankass", "fatalities": 1.5}),
            json!({"commune": "Bankass", "occurred_on": "22/11/2026"}),
            json!({"commune": "Bankass", "client_id": "has space"}),
            json!({"commune": "Bankass", "language": "bm"}),
            json!({"phone": "+22376123456"}),
            json!({"text": "   "}),
        ];
        for body in refused {
            let error = WebReport::from_json(&body).unwrap_err();
            assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(!error.public_detail().contains("22376123456"), "{body}");
        }
        let accepted = WebReport::from_json(&json!({
            "text": "ALERTE Bankass attaque",
            "latitude": 14.07,
            "longitude": -3.51,
            "fatalities": 2,
            "occurred_on": "2026-11-21",
            "client_id": "form-42",
            "language": "en",
            "commune": null,
        }))
        .unwrap();
        assert_eq!(accepted.coordinates, Some((-3.51, 14.07)));
        assert_eq!(accepted.fatalities, Some(2));
        assert_eq!(accepted.language, Some(Language::English));
        assert_eq!(accepted.commune, None);
    }
}
