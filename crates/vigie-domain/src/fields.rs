//! Every column of a source record, kept as read.
//!
//! An ACLED file has some thirty columns and a million rows: a map of owned strings per row
//! costs sixty allocations a row and dominated import time. Here the column names are shared
//! by every record of a table (one `Arc`), and the values of a record live in one buffer with
//! their end offsets: two allocations per record, whatever its width.

use std::fmt;
use std::sync::Arc;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The columns of one source record, in file order, names shared with the other records of
/// its table. Serialised as a JSON object (`{"event_id_cnty": "MLI1", …}`).
///
/// ```
/// use std::sync::Arc;
/// use vigie_domain::SourceFields;
/// let names: Arc<[String]> = Arc::from(vec!["event_id_cnty".to_owned(), "notes".to_owned()]);
/// let mut fields = SourceFields::with_names(names);
/// fields.push_value("MLI4682");
/// fields.push_value("Ogossagou");
/// assert_eq!(fields.get("notes"), Some("Ogossagou"));
/// assert_eq!(fields.len(), 2);
/// ```
#[derive(Clone)]
pub struct SourceFields {
    names: Arc<[String]>,
    values: String,
    /// End offset in `values` of each value pushed so far.
    ends: Vec<u32>,
}

impl SourceFields {
    /// No columns at all.
    pub fn empty() -> SourceFields {
        SourceFields {
            names: Arc::from(Vec::<String>::new()),
            values: String::new(),
            ends: Vec::new(),
        }
    }

    /// A record of the table with these column names; push its values in the same order.
    pub fn with_names(names: Arc<[String]>) -> SourceFields {
        let width = names.len();
        SourceFields {
            names,
            values: String::new(),
            ends: Vec::with_capacity(width),
        }
    }

    /// Appends the value of the next column. Values beyond the names are ignored: a record
    /// never has more columns than its header names.
    pub fn push_value(&mut self, value: &str) {
        if self.ends.len() < self.names.len() {
            self.values.push_str(value);
            self.ends.push(self.values.len() as u32);
        }
    }

    /// Builds from `(name, value)` pairs (names not shared: for records read one by one).
    pub fn from_pairs<N: Into<String>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> SourceFields {
        let mut names = Vec::new();
        let mut values = String::new();
        let mut ends = Vec::new();
        for (name, value) in pairs {
            names.push(name.into());
            values.push_str(value.as_ref());
            ends.push(values.len() as u32);
        }
        SourceFields {
            names: Arc::from(names),
            values,
            ends,
        }
    }

    /// The value of a column, by exact name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(column, _)| *column == name)
            .map(|(_, value)| value)
    }

    /// `(name, value)` pairs in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let mut start = 0usize;
        self.names.iter().zip(&self.ends).map(move |(name, &end)| {
            let value = &self.values[start..end as usize];
            start = end as usize;
            (name.as_str(), value)
        })
    }

    /// How many columns hold a value.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no columns.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The shared column names (for a store that keeps them once per table).
    pub fn names(&self) -> &Arc<[String]> {
        &self.names
    }

    /// The values in column order.
    pub fn values(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().map(|(_, value)| value)
    }
}

impl Default for SourceFields {
    fn default() -> Self {
        SourceFields::empty()
    }
}

impl std::ops::Index<&str> for SourceFields {
    type Output = str;

    /// The value of a column.
    ///
    /// # Panics
    /// When the record has no such column, like a map's index.
    fn index(&self, name: &str) -> &str {
        self.get(name)
            .unwrap_or_else(|| panic!("no column {name:?} in the record"))
    }
}

impl PartialEq for SourceFields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for SourceFields {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for SourceFields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (name, value) in self.iter() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for SourceFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;

        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = SourceFields;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("an object of column names to text values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<SourceFields, A::Error> {
                let mut pairs: Vec<(String, String)> =
                    Vec::with_capacity(access.size_hint().unwrap_or(0));
                while let Some(pair) = access.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(SourceFields::from_pairs(pairs))
            }
        }

        deserializer.deserialize_map(FieldsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_names_and_one_buffer_round_trip_through_json() {
        let names: Arc<[String]> = Arc::from(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]);
        let mut fields = SourceFields::with_names(names.clone());
        fields.push_value("1");
        fields.push_value("");
        fields.push_value("Ségou, \"quoted\"");
        fields.push_value("ignored: more values than names");
        assert_eq!(fields.len(), 3);
        assert_eq!(fields.get("b"), Some(""));
        let json = serde_json::to_string(&fields).unwrap();
        assert_eq!(json, r#"{"a":"1","b":"","c":"Ségou, \"quoted\""}"#);
        let back: SourceFields = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fields);
        let other = SourceFields::with_names(names);
        assert!(Arc::ptr_eq(other.names(), fields.names()));
    }

    #[test]
    fn a_short_record_keeps_the_values_it_has() {
        let mut fields = SourceFields::with_names(Arc::from(vec!["a".to_owned(), "b".to_owned()]));
        fields.push_value("only");
        assert_eq!(fields.iter().collect::<Vec<_>>(), [("a", "only")]);
        assert_eq!(fields.get("b"), None);
    }
}
