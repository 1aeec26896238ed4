//! The SQL of an [`EventQuery`], written once for both backends.

use chrono::NaiveDate;
use vigie_domain::store::EventQuery;

use crate::codec::count_column;

/// How a backend writes the n-th parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// `?1`, `?2`…
    Sqlite,
    /// `$1`, `$2`…
    Postgres,
}

/// A parameter of a filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FilterValue {
    Text(String),
    Integer(i64),
    Date(NaiveDate),
    Real(f64),
}

/// A `WHERE` clause and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventFilter {
    /// `WHERE …`, or empty.
    pub where_clause: String,
    /// The parameters, in placeholder order.
    pub values: Vec<FilterValue>,
    /// The row limit, if any.
    pub limit: Option<i64>,
}

impl EventFilter {
    /// The filter of `query`. `after_id` is a filter like the others (counts honour it too);
    /// `limit` is kept apart for the listing.
    pub(crate) fn new(query: &EventQuery, placeholders: Placeholders) -> EventFilter {
        let mut conditions: Vec<String> = Vec::new();
        let mut values = Vec::new();
        let mut condition = |template: &str, value: FilterValue| {
            values.push(value);
            let placeholder = match placeholders {
                Placeholders::Sqlite => format!("?{}", values.len()),
                Placeholders::Postgres => format!("${}", values.len()),
            };
            conditions.push(template.replace('?', &placeholder));
        };
        if let Some(source) = query.source {
            condition("source = ?", FilterValue::Text(source.as_str().to_owned()));
        }
        if let Some(id) = &query.source_event_id {
            condition("source_event_id = ?", FilterValue::Text(id.clone()));
        }
        if let Some(from) = query.from {
            condition("event_date >= ?", FilterValue::Date(from));
        }
        if let Some(to) = query.to {
            condition("event_date <= ?", FilterValue::Date(to));
        }
        if let Some(commune) = &query.commune {
            condition(
                "commune_id = ?",
                FilterValue::Text(commune.as_str().to_owned()),
            );
        }
        if let Some([west, south, east, north]) = query.within {
            condition("longitude >= ?", FilterValue::Real(west));
            condition("longitude <= ?", FilterValue::Real(east));
            condition("latitude >= ?", FilterValue::Real(south));
            condition("latitude <= ?", FilterValue::Real(north));
        }
        if let Some(after_id) = query.after_id {
            condition("id > ?", FilterValue::Integer(after_id));
        }
        if !query.include_deleted {
            conditions.push("deleted_at IS NULL".to_owned());
        }
        let where_clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        EventFilter {
            where_clause,
            values,
            limit: query.limit.map(count_column),
        }
    }
}

/// The columns an import rewrites, in binding order: parameters 1 to 17 of both
/// [`insert_event_sql`] and [`replace_event_sql`] (`updated_at` last).
pub(crate) const EVENT_CONTENT_COLUMNS: [&str; 17] = [
    "event_date",
    "event_type",
    "sub_event_type",
    "fatalities",
    "longitude",
    "latitude",
    "source_timestamp",
    "commune_id",
    "cercle_id",
    "region_id",
    "corridor_ids",
    "content_fingerprint",
    "core_fingerprint",
    "field_layout",
    "payload",
    "import_run",
    "updated_at",
];

fn placeholder(placeholders: Placeholders, position: usize) -> String {
    match placeholders {
        Placeholders::Sqlite => format!("?{position}"),
        Placeholders::Postgres => format!("${position}"),
    }
}

/// Inserts an event unless one with its (source, source id) is stored: the content columns,
/// then `source` (18), `source_event_id` (19) and `verification` (20); `inserted_at` is
/// `updated_at` (17).
pub(crate) fn insert_event_sql(placeholders: Placeholders) -> String {
    let columns: Vec<&str> = EVENT_CONTENT_COLUMNS
        .iter()
        .copied()
        .chain(["source", "source_event_id", "verification", "inserted_at"])
        .collect();
    let values: Vec<String> = (1..columns.len())
        .chain([EVENT_CONTENT_COLUMNS.len()])
        .map(|position| placeholder(placeholders, position))
        .collect();
    format!(
        "INSERT INTO events ({}) VALUES ({}) ON CONFLICT DO NOTHING",
        columns.join(", "),
        values.join(", ")
    )
}

/// Overwrites an event's content and clears its deletion; the id is parameter 18.
pub(crate) fn replace_event_sql(placeholders: Placeholders) -> String {
    let assignments: Vec<String> = EVENT_CONTENT_COLUMNS
        .iter()
        .enumerate()
        .map(|(index, column)| format!("{column} = {}", placeholder(placeholders, index + 1)))
        .collect();
    format!(
        "UPDATE events SET {}, deleted_at = NULL WHERE id = {}",
        assignments.join(", "),
        placeholder(placeholders, EVENT_CONTENT_COLUMNS.len() + 1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_domain::{EventSource, ZoneId};

    #[test]
    fn an_empty_query_hides_deleted_events_only() {
        let filter = EventFilter::new(&EventQuery::default(), Placeholders::Sqlite);
        assert_eq!(filter.where_clause, "WHERE deleted_at IS NULL");
        assert!(filter.values.is_empty());
    }

    #[test]
    fn placeholders_are_numbered_in_parameter_order() {
        let query = EventQuery {
            source: Some(EventSource::Acled),
            commune: Some(ZoneId::new("ML050301").unwrap()),
            after_id: Some(7),
            include_deleted: true,
            limit: Some(10),
            ..EventQuery::default()
        };
        let filter = EventFilter::new(&query, Placeholders::Postgres);
        assert_eq!(
            filter.where_clause,
            "WHERE source = $1 AND commune_id = $2 AND id > $3"
        );
        assert_eq!(filter.values.len(), 3);
        assert_eq!(filter.limit, Some(10));
    }

    #[test]
    fn event_writes_bind_every_content_column_once() {
        let insert = insert_event_sql(Placeholders::Sqlite);
        assert!(insert.ends_with("updated_at, source, source_event_id, verification, inserted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?17) ON CONFLICT DO NOTHING"), "{insert}");
        let replace = replace_event_sql(Placeholders::Sqlite);
        assert!(replace.starts_with("UPDATE events SET event_date = ?1, "));
        assert!(replace.ends_with("updated_at = ?17, deleted_at = NULL WHERE id = ?18"));
    }
}
