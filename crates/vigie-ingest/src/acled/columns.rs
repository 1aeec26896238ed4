//! ACLED's columns, under every name the vintages have given them.

/// A column the ACLED normaliser reads. Every other column is kept in `fields` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    EventIdCnty,
    EventDate,
    TimePrecision,
    DisorderType,
    EventType,
    SubEventType,
    Actor1,
    AssocActor1,
    Inter1,
    Actor2,
    AssocActor2,
    Inter2,
    CivilianTargeting,
    Country,
    Admin1,
    Admin2,
    Admin3,
    Location,
    Latitude,
    Longitude,
    GeoPrecision,
    Notes,
    Fatalities,
    Timestamp,
}

const COLUMN_COUNT: usize = Column::Timestamp as usize + 1;

/// Header names (lowercased) and the column each means. Pre-2019 files call the associated
/// actors "allies".
const NAMES: [(&str, Column); COLUMN_COUNT + 2] = [
    ("event_id_cnty", Column::EventIdCnty),
    ("event_date", Column::EventDate),
    ("time_precision", Column::TimePrecision),
    ("disorder_type", Column::DisorderType),
    ("event_type", Column::EventType),
    ("sub_event_type", Column::SubEventType),
    ("actor1", Column::Actor1),
    ("assoc_actor_1", Column::AssocActor1),
    ("ally_actor_1", Column::AssocActor1),
    ("inter1", Column::Inter1),
    ("actor2", Column::Actor2),
    ("assoc_actor_2", Column::AssocActor2),
    ("ally_actor_2", Column::AssocActor2),
    ("inter2", Column::Inter2),
    ("civilian_targeting", Column::CivilianTargeting),
    ("country", Column::Country),
    ("admin1", Column::Admin1),
    ("admin2", Column::Admin2),
    ("admin3", Column::Admin3),
    ("location", Column::Location),
    ("latitude", Column::Latitude),
    ("longitude", Column::Longitude),
    ("geo_precision", Column::GeoPrecision),
    ("notes", Column::Notes),
    ("fatalities", Column::Fatalities),
    ("timestamp", Column::Timestamp),
];

/// Columns without which no record of a file can be read.
pub(crate) const REQUIRED: [(Column, &str); 4] = [
    (Column::EventIdCnty, "event_id_cnty"),
    (Column::EventDate, "event_date"),
    (Column::Latitude, "latitude"),
    (Column::Longitude, "longitude"),
];

/// Where each ACLED column sits in one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AcledColumns {
    positions: [Option<usize>; COLUMN_COUNT],
}

impl AcledColumns {
    /// Finds the columns among lowercased header names; the first of duplicates wins.
    pub(crate) fn bind(names: &[String]) -> AcledColumns {
        let mut positions = [None; COLUMN_COUNT];
        for (position, name) in names.iter().enumerate() {
            if let Some((_, column)) = NAMES.iter().find(|(known, _)| known == name) {
                positions[*column as usize].get_or_insert(position);
            }
        }
        AcledColumns { positions }
    }

    /// The position of `column`, if the table has it.
    pub(crate) fn position(&self, column: Column) -> Option<usize> {
        self.positions[column as usize]
    }

    /// Whether the table has `column` (even if a row leaves it empty).
    pub(crate) fn has(&self, column: Column) -> bool {
        self.position(column).is_some()
    }

    /// The required columns the table lacks.
    pub(crate) fn missing(&self) -> Vec<&'static str> {
        REQUIRED
            .iter()
            .filter(|(column, _)| !self.has(*column))
            .map(|(_, name)| *name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_names_bind_to_the_current_columns() {
        let names: Vec<String> = ["gwno", "event_id_cnty", "ally_actor_1", "latitude"]
            .map(String::from)
            .to_vec();
        let columns = AcledColumns::bind(&names);
        assert_eq!(columns.position(Column::AssocActor1), Some(2));
        assert_eq!(columns.position(Column::AssocActor2), None);
        assert_eq!(columns.missing(), vec!["event_date", "longitude"]);
    }
}
