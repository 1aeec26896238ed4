use serde_json::{Map, Value};
use vigie_domain::{Event, QuarantineRecord};

/// A source record as read: column names (lowercased, trimmed) and values, in file order.
/// CSV rows, JSON export objects and ACLED API records all become this before normalising.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawRecord {
    /// `(column, value)` pairs.
    pub fields: Vec<(String, String)>,
}

impl RawRecord {
    /// The value of a column (case-insensitive name), trimmed; `None` when absent or empty.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(column))
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// A record from a JSON object (an ACLED API record or a JSON export element), keys
    /// lowercased and trimmed, in the object's order. Strings are taken as they are, numbers
    /// and booleans as written, `null` as empty, nested arrays and objects as compact JSON.
    ///
    /// ```
    /// use vigie_ingest::RawRecord;
    /// let object = serde_json::json!({"EVENT_ID_CNTY": "MLI1", "fatalities": 3, "notes": null});
    /// let record = RawRecord::from_json_object(object.as_object().unwrap());
    /// assert_eq!(record.get("event_id_cnty"), Some("MLI1"));
    /// assert_eq!(record.get("fatalities"), Some("3"));
    /// assert_eq!(record.get("notes"), None);
    /// ```
    pub fn from_json_object(object: &Map<String, Value>) -> RawRecord {
        let fields = object
            .iter()
            .enumerate()
            .map(|(index, (name, value))| {
                let mut text = String::new();
                crate::input::push_value_text(&mut text, value);
                (crate::input::column_name(name, index), text)
            })
            .collect();
        RawRecord { fields }
    }
}

/// Why one field of a record could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The column at fault, when one is.
    pub field: Option<String>,
    /// Why, in a sentence (e.g. `event_date "2019-02-30" is not a date`).
    pub reason: String,
}

/// What a reader hands over at a time: the events of a run of rows and the rows it refused.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadBatch {
    /// Data rows (or records) read for this batch, valid or not. An event whose rows end a
    /// batch is handed over with the next one, so these rows and `events` may be off by one
    /// event between batches; over a whole read they add up.
    pub rows_read: u64,
    /// Normalised events, in file order. Adjacent rows of one event (a monadic export) that
    /// agree on everything but their actors are merged into one event (flagged
    /// `merged_actors`) and never split across batches; rows of one id that disagree, or are
    /// not adjacent, appear as several events with the same id for the store to reconcile.
    pub events: Vec<Event>,
    /// Refused rows.
    pub quarantined: Vec<QuarantineRecord>,
}
