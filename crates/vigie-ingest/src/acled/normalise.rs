//! ACLED's rules: one row (of any vintage) into a [`vigie_domain::Event`].

use vigie_domain::{Event, EventSource, EventType, SourceFields, map_legacy_event_type};

use super::columns::{AcledColumns, Column};
use crate::events::Normaliser;
use crate::input::Row;
use crate::summary::AcledVintage;
use crate::values::{self, owned, problem};
use crate::{FieldProblem, IngestOptions};

/// ACLED's normaliser, with the options it validates against.
pub(crate) struct AcledNormaliser<'o> {
    pub(crate) options: &'o IngestOptions,
}

impl Normaliser for AcledNormaliser<'_> {
    type Columns = AcledColumns;

    fn source(&self) -> EventSource {
        EventSource::Acled
    }

    fn bind(&self, names: &[String]) -> AcledColumns {
        AcledColumns::bind(names)
    }

    fn missing_columns(&self, columns: &AcledColumns) -> Vec<&'static str> {
        columns.missing()
    }

    fn vintage(&self, names: &[String]) -> Option<AcledVintage> {
        Some(vintage_of(names))
    }

    fn normalise(
        &self,
        columns: &AcledColumns,
        row: &Row<'_>,
        fields: SourceFields,
    ) -> Result<Event, FieldProblem> {
        normalise(columns, row, fields, self.options)
    }
}

/// Tells the vintage from the header: the columns added in 2023, then `sub_event_type`,
/// added in 2019.
pub(crate) fn vintage_of(names: &[String]) -> AcledVintage {
    let has = |wanted: &str| names.iter().any(|name| name == wanted);
    if has("disorder_type") || has("civilian_targeting") || has("tags") {
        AcledVintage::Current
    } else if has("sub_event_type") {
        AcledVintage::Export2019
    } else {
        AcledVintage::Pre2019
    }
}

/// The event type of a record, current or pre-2019: the type, the sub-event type the old
/// label implies, and the label as written when it had to be mapped.
fn event_type(
    text: Option<&str>,
) -> Result<(EventType, Option<&'static str>, Option<String>), FieldProblem> {
    let Some(text) = text else {
        return Err(problem("event_type", "event_type is empty".into()));
    };
    if let Some(current) = EventType::from_label(text) {
        return Ok((current, None, None));
    }
    match map_legacy_event_type(text) {
        Some((mapped, implied_sub_event_type)) => {
            Ok((mapped, implied_sub_event_type, Some(text.to_owned())))
        }
        None => Err(problem(
            "event_type",
            format!("event_type {text:?} is neither a current nor a pre-2019 ACLED event type"),
        )),
    }
}

/// ACLED's disorder type where the file predates the column.
fn derived_disorder_type(event_type: EventType) -> &'static str {
    match event_type {
        EventType::Protests | EventType::Riots => "Demonstrations",
        EventType::StrategicDevelopments => "Strategic developments",
        EventType::Battles
        | EventType::ExplosionsRemoteViolence
        | EventType::ViolenceAgainstCivilians => "Political violence",
    }
}

/// An actor type code: a digit 1–8, or the label ACLED's API has written since 2024
/// (`State forces`, `Civilians`…). Anything else (0 = no actor, unknown labels) is `None`;
/// the value stays in `fields`.
fn inter_code(text: Option<&str>) -> Option<u8> {
    const LABELS: [(&str, u8); 8] = [
        ("state forces", 1),
        ("rebel group", 2),
        ("political militia", 3),
        ("identity militia", 4),
        ("rioters", 5),
        ("protesters", 6),
        ("civilians", 7),
        ("external/other forces", 8),
    ];
    let text = text?;
    if let Ok(code) = text.strip_suffix(".0").unwrap_or(text).parse::<u8>() {
        return (1..=8).contains(&code).then_some(code);
    }
    let singular = text.strip_suffix('s').unwrap_or(text);
    LABELS
        .iter()
        .find(|(label, _)| label.eq_ignore_ascii_case(text) || label.eq_ignore_ascii_case(singular))
        .map(|(_, code)| *code)
}

fn is_civilian_targeting(text: &str) -> bool {
    ["civilian targeting", "true", "yes", "1"]
        .iter()
        .any(|marker| marker.eq_ignore_ascii_case(text))
}

/// One ACLED row into an event, or the first problem found.
pub(crate) fn normalise(
    columns: &AcledColumns,
    row: &Row<'_>,
    fields: SourceFields,
    options: &IngestOptions,
) -> Result<Event, FieldProblem> {
    let get = |column: Column| row.get(columns.position(column));
    let Some(source_event_id) = get(Column::EventIdCnty) else {
        return Err(problem("event_id_cnty", "event_id_cnty is empty".into()));
    };
    let event_date = values::event_date("event_date", get(Column::EventDate), options)?;
    let (event_type, implied_sub_event_type, original_event_type) =
        event_type(get(Column::EventType))?;
    let sub_event_type = match get(Column::SubEventType) {
        Some(text) => Some(event_type.canonical_sub_event_type(text).ok_or_else(|| {
            problem(
                "sub_event_type",
                format!("sub_event_type {text:?} is not a sub-event type of {event_type}"),
            )
        })?),
        None => implied_sub_event_type,
    };
    let mut flags = Vec::new();
    let (latitude, longitude) = values::coordinates(
        get(Column::Latitude),
        get(Column::Longitude),
        &options.region,
        &mut flags,
    )?;
    let fatalities = values::fatalities("fatalities", get(Column::Fatalities), &mut flags)?;
    let time_precision =
        values::small_code("time_precision", get(Column::TimePrecision), 1..=3)?.unwrap_or(1);
    let source_timestamp = get(Column::Timestamp)
        .map(|text| values::unix_seconds("timestamp", text))
        .transpose()?;
    let civilian_targeting = if columns.has(Column::CivilianTargeting) {
        get(Column::CivilianTargeting).is_some_and(is_civilian_targeting)
    } else {
        event_type == EventType::ViolenceAgainstCivilians
    };
    let disorder_type = get(Column::DisorderType)
        .unwrap_or_else(|| derived_disorder_type(event_type))
        .to_owned();
    let associated_actors = [Column::AssocActor1, Column::AssocActor2]
        .into_iter()
        .filter_map(get)
        .flat_map(|list| list.split(';'))
        .map(str::trim)
        .filter(|actor| !actor.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Event {
        source: EventSource::Acled,
        source_event_id: source_event_id.to_owned(),
        event_date,
        time_precision,
        disorder_type: Some(disorder_type),
        event_type,
        sub_event_type: sub_event_type.map(str::to_owned),
        original_event_type,
        actor1: owned(get(Column::Actor1)),
        actor2: owned(get(Column::Actor2)),
        associated_actors,
        inter1: inter_code(get(Column::Inter1)),
        inter2: inter_code(get(Column::Inter2)),
        civilian_targeting,
        fatalities,
        fatalities_low: None,
        fatalities_high: None,
        longitude,
        latitude,
        geo_precision: values::small_code("geo_precision", get(Column::GeoPrecision), 1..=3)
            .ok()
            .flatten(),
        country: owned(get(Column::Country)),
        admin1: owned(get(Column::Admin1)),
        admin2: owned(get(Column::Admin2)),
        admin3: owned(get(Column::Admin3)),
        location: owned(get(Column::Location)),
        notes: owned(get(Column::Notes)),
        source_timestamp,
        flags,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_type_codes_read_digits_and_the_new_labels() {
        assert_eq!(inter_code(Some("7")), Some(7));
        assert_eq!(inter_code(Some("2.0")), Some(2));
        assert_eq!(inter_code(Some("0")), None);
        assert_eq!(inter_code(Some("State forces")), Some(1));
        assert_eq!(inter_code(Some("Rebel groups")), Some(2));
        assert_eq!(inter_code(Some("Civilians")), Some(7));
        assert_eq!(inter_code(Some("Martians")), None);
    }

    #[test]
    fn vintages_are_told_by_the_columns_they_added() {
        let names = |list: &[&str]| list.iter().map(|name| name.to_string()).collect::<Vec<_>>();
        assert_eq!(
            vintage_of(&names(&[
                "event_id_cnty",
                "disorder_type",
                "sub_event_type"
            ])),
            AcledVintage::Current
        );
        assert_eq!(
            vintage_of(&names(&["event_id_cnty", "sub_event_type", "iso3"])),
            AcledVintage::Export2019
        );
        assert_eq!(
            vintage_of(&names(&["event_id_cnty", "gwno"])),
            AcledVintage::Pre2019
        );
    }
}
