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
    /// Data rows (or records) read for this batch, valid or not.
    pub rows_read: u64,
    /// Normalised events, in file order. Rows of one event (monadic exports) may appear as
    /// several events with the same id: the store merges them.
    pub events: Vec<Event>,
    /// Refused rows.
    pub quarantined: Vec<QuarantineRecord>,
}
