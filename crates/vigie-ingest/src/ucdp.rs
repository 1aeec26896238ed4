//! UCDP GED CSV (plain or zipped, as UCDP distributes it) into events on ACLED's scales.
//!
//! UCDP codes three kinds of organised violence; Vigie files state-based and non-state
//! conflict (types 1 and 2) as ACLED battles ("Armed clash") and one-sided violence (type 3)
//! as violence against civilians ("Attack"), keeping UCDP's own label in
//! `original_event_type`. Fatalities are UCDP's best estimate, with low and high kept. UCDP's
//! location precision (1 exact … 7 country) and date precision (1 day … 5 year) are mapped
//! onto ACLED's 1–3 scales; a location precise only to a country or worse has none.

use std::io::Read;
use std::path::Path;

use vigie_domain::{Event, EventSource, EventType, SourceFields};

use crate::error::ReadError;
use crate::events::{Normaliser, read_file_with, read_stream_with};
use crate::input::Row;
use crate::summary::{AcledVintage, FileSummary};
use crate::values::{self, owned, problem};
use crate::{FieldProblem, IngestOptions, ReadBatch};

/// UCDP's API wraps records in `Result`.
const API_RECORD_KEYS: [&str; 2] = ["Result", "data"];

/// Reads a UCDP GED file (CSV, zipped CSV, or JSON) in batches, exactly as
/// [`crate::acled::read_acled`] reads ACLED files.
pub fn read_ucdp<E>(
    path: &Path,
    options: &IngestOptions,
    mut on_batch: impl FnMut(ReadBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    read_file_with(
        UcdpNormaliser { options },
        path,
        options,
        &API_RECORD_KEYS,
        &mut on_batch,
    )
}

/// Reads UCDP GED CSV or JSON from a stream; see [`crate::acled::read_acled_stream`].
pub fn read_ucdp_stream<E>(
    reader: impl Read,
    origin: &str,
    options: &IngestOptions,
    mut on_batch: impl FnMut(ReadBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    read_stream_with(
        UcdpNormaliser { options },
        reader,
        origin,
        options,
        &API_RECORD_KEYS,
        &mut on_batch,
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Id,
    TypeOfViolence,
    SideA,
    SideB,
    WherePrec,
    WhereCoordinates,
    Adm1,
    Adm2,
    Latitude,
    Longitude,
    DateStart,
    DatePrec,
    Best,
    Low,
    High,
    Country,
    SourceArticle,
}

const COLUMNS: [(&str, Column); 17] = [
    ("id", Column::Id),
    ("type_of_violence", Column::TypeOfViolence),
    ("side_a", Column::SideA),
    ("side_b", Column::SideB),
    ("where_prec", Column::WherePrec),
    ("where_coordinates", Column::WhereCoordinates),
    ("adm_1", Column::Adm1),
    ("adm_2", Column::Adm2),
    ("latitude", Column::Latitude),
    ("longitude", Column::Longitude),
    ("date_start", Column::DateStart),
    ("date_prec", Column::DatePrec),
    ("best", Column::Best),
    ("low", Column::Low),
    ("high", Column::High),
    ("country", Column::Country),
    ("source_article", Column::SourceArticle),
];

const REQUIRED: [Column; 5] = [
    Column::Id,
    Column::TypeOfViolence,
    Column::DateStart,
    Column::Latitude,
    Column::Longitude,
];

/// Where each UCDP column sits in one table, by [`Column`] (whose order is that of
/// [`COLUMNS`]).
struct UcdpColumns {
    positions: [Option<usize>; COLUMNS.len()],
}

impl UcdpColumns {
    fn bind(names: &[String]) -> UcdpColumns {
        let mut positions = [None; COLUMNS.len()];
        for (position, name) in names.iter().enumerate() {
            if let Some((_, column)) = COLUMNS.iter().find(|(known, _)| known == name) {
                positions[*column as usize].get_or_insert(position);
            }
        }
        UcdpColumns { positions }
    }

    fn position(&self, column: Column) -> Option<usize> {
        self.positions[column as usize]
    }
}

fn name_of(column: Column) -> &'static str {
    COLUMNS[column as usize].0
}

struct UcdpNormaliser<'o> {
    options: &'o IngestOptions,
}

impl Normaliser for UcdpNormaliser<'_> {
    type Columns = UcdpColumns;

    fn source(&self) -> EventSource {
        EventSource::Ucdp
    }

    fn bind(&self, names: &[String]) -> UcdpColumns {
        UcdpColumns::bind(names)
    }

    fn missing_columns(&self, columns: &UcdpColumns) -> Vec<&'static str> {
        REQUIRED
            .iter()
            .filter(|column| columns.position(**column).is_none())
            .map(|column| name_of(*column))
            .collect()
    }

    fn vintage(&self, _names: &[String]) -> Option<AcledVintage> {
        None
    }

    fn normalise(
        &self,
        columns: &UcdpColumns,
        row: &Row<'_>,
        fields: SourceFields,
    ) -> Result<Event, FieldProblem> {
        normalise(columns, row, fields, self.options)
    }
}

/// UCDP's violence type onto ACLED's taxonomy: type, sub-event type, UCDP's label.
fn violence_type(
    text: Option<&str>,
) -> Result<(EventType, &'static str, &'static str), FieldProblem> {
    let Some(text) = text else {
        return Err(problem(
            "type_of_violence",
            "type_of_violence is empty".into(),
        ));
    };
    match text.strip_suffix(".0").unwrap_or(text) {
        "1" => Ok((
            EventType::Battles,
            "Armed clash",
            "UCDP type_of_violence 1 (state-based)",
        )),
        "2" => Ok((
            EventType::Battles,
            "Armed clash",
            "UCDP type_of_violence 2 (non-state)",
        )),
        "3" => Ok((
            EventType::ViolenceAgainstCivilians,
            "Attack",
            "UCDP type_of_violence 3 (one-sided)",
        )),
        _ => Err(problem(
            "type_of_violence",
            format!("type_of_violence {text:?} is not 1, 2 or 3"),
        )),
    }
}

fn normalise(
    columns: &UcdpColumns,
    row: &Row<'_>,
    fields: SourceFields,
    options: &IngestOptions,
) -> Result<Event, FieldProblem> {
    let get = |column: Column| row.get(columns.position(column));
    let Some(source_event_id) = get(Column::Id) else {
        return Err(problem("id", "id is empty".into()));
    };
    let event_date = values::event_date("date_start", get(Column::DateStart), options)?;
    let (event_type, sub_event_type, original_event_type) =
        violence_type(get(Column::TypeOfViolence))?;
    let mut flags = Vec::new();
    let (latitude, longitude) = values::coordinates(
        get(Column::Latitude),
        get(Column::Longitude),
        &options.region,
        &mut flags,
    )?;
    let fatalities = values::fatalities("best", get(Column::Best), &mut flags)?;
    let estimate = |column: Column| {
        get(column)
            .map(|text| values::count(name_of(column), text))
            .transpose()
    };
    let fatalities_low = estimate(Column::Low)?;
    let fatalities_high = estimate(Column::High)?;
    let time_precision = match values::small_code("date_prec", get(Column::DatePrec), 1..=5)? {
        None | Some(1) => 1,
        Some(2 | 3) => 2,
        Some(_) => 3,
    };
    // 6 (country) and 7 (international waters or air space) say nothing about where in
    // the country; the value stays in `fields`.
    let geo_precision = match values::small_code("where_prec", get(Column::WherePrec), 1..=7)? {
        Some(1) => Some(1),
        Some(2) => Some(2),
        Some(3..=5) => Some(3),
        _ => None,
    };
    Ok(Event {
        source: EventSource::Ucdp,
        source_event_id: source_event_id.to_owned(),
        event_date,
        time_precision,
        disorder_type: Some("Political violence".to_owned()),
        event_type,
        sub_event_type: Some(sub_event_type.to_owned()),
        original_event_type: Some(original_event_type.to_owned()),
        actor1: owned(get(Column::SideA)),
        actor2: owned(get(Column::SideB)),
        associated_actors: Vec::new(),
        inter1: None,
        inter2: None,
        civilian_targeting: event_type == EventType::ViolenceAgainstCivilians,
        fatalities,
        fatalities_low,
        fatalities_high,
        longitude,
        latitude,
        geo_precision,
        country: owned(get(Column::Country)),
        admin1: owned(get(Column::Adm1)),
        admin2: owned(get(Column::Adm2)),
        admin3: None,
        location: owned(get(Column::WhereCoordinates)),
        notes: owned(get(Column::SourceArticle)),
        source_timestamp: None,
        flags,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_table_is_in_the_order_of_the_enum() {
        for (position, (_, column)) in COLUMNS.iter().enumerate() {
            assert_eq!(*column as usize, position, "{column:?}");
        }
    }
}
