//! Field layouts: the column names of a source table, stored once in `field_layouts` and
//! referred to by id from every event read from that table.
//!
//! A reader shares one `Arc<[String]>` of names between all the records of a table, so a
//! write transaction resolves a layout by pointer first (one comparison), by content when
//! the pointer is new (events built one by one), and asks the database only for a layout it
//! has not met yet. Layouts are never changed or removed once stored, so an id always means
//! the same names.

use std::collections::HashMap;
use std::sync::Arc;

use vigie_domain::store::StoreError;

use crate::error::corrupt_json;
use crate::json;
use crate::payload::FieldHints;

/// A layout known to the current write transaction.
pub(crate) struct KnownLayout {
    /// Its names; holding the `Arc` keeps its address from being reused by other names.
    names: Arc<[String]>,
    /// Its row in `field_layouts`.
    pub id: i64,
    /// Where the typed attributes' source columns are.
    pub hints: FieldHints,
}

/// The layouts a write transaction has resolved. Kept for one transaction only: an id
/// inserted by a transaction that rolls back may be given to other names later.
#[derive(Default)]
pub(crate) struct WriteLayouts {
    known: Vec<KnownLayout>,
}

impl WriteLayouts {
    /// The layout with these names, if this transaction resolved it already.
    pub(crate) fn get(&self, names: &Arc<[String]>) -> Option<&KnownLayout> {
        self.known
            .iter()
            .find(|known| Arc::ptr_eq(&known.names, names))
            .or_else(|| self.known.iter().find(|known| *known.names == **names))
    }

    /// Records what the database said about `names`.
    pub(crate) fn insert(&mut self, names: &Arc<[String]>, id: i64) -> &KnownLayout {
        self.known.push(KnownLayout {
            names: Arc::clone(names),
            id,
            hints: FieldHints::for_names(names),
        });
        self.known.last().expect("just pushed")
    }
}

/// The layouts one read has met, by id.
#[derive(Default)]
pub(crate) struct ReadLayouts {
    by_id: HashMap<i64, Arc<[String]>>,
}

impl ReadLayouts {
    /// The names of layout `id`, fetched with `fetch` (which returns the stored JSON text)
    /// the first time.
    pub(crate) fn names(
        &mut self,
        id: Option<i64>,
        fetch: impl FnOnce(i64) -> Result<Option<String>, StoreError>,
    ) -> Result<Option<Arc<[String]>>, StoreError> {
        let Some(id) = id else {
            return Ok(None);
        };
        if let Some(names) = self.by_id.get(&id) {
            return Ok(Some(Arc::clone(names)));
        }
        let text = fetch(id)?
            .ok_or_else(|| StoreError::Corrupt(format!("field layout {id} does not exist")))?;
        let names = parse_names(&text)?;
        self.by_id.insert(id, Arc::clone(&names));
        Ok(Some(names))
    }
}

/// Column names as stored: a JSON array of strings, in file order.
pub(crate) fn names_json(names: &[String]) -> String {
    let mut text = String::new();
    json::write_string_array(&mut text, names.iter().map(String::as_str));
    text
}

/// The inverse of [`names_json`].
pub(crate) fn parse_names(text: &str) -> Result<Arc<[String]>, StoreError> {
    let names: Vec<String> =
        serde_json::from_str(text).map_err(|error| corrupt_json("a field layout", error))?;
    Ok(Arc::from(names))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Arc<[String]> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn layouts_are_found_by_pointer_or_by_content() {
        let mut layouts = WriteLayouts::default();
        let acled = names(&["event_id_cnty", "notes"]);
        assert!(layouts.get(&acled).is_none());
        layouts.insert(&acled, 7);
        assert_eq!(layouts.get(&acled).unwrap().id, 7);
        assert_eq!(
            layouts.get(&names(&["event_id_cnty", "notes"])).unwrap().id,
            7
        );
        assert!(layouts.get(&names(&["notes", "event_id_cnty"])).is_none());
    }

    #[test]
    fn stored_names_read_back_in_order() {
        let original = names(&["b", "a", "quoted \"name\"", ""]);
        assert_eq!(parse_names(&names_json(&original)).unwrap(), original);
        let mut reads = ReadLayouts::default();
        let mut fetched = 0;
        for _ in 0..2 {
            let read = reads
                .names(Some(3), |_| {
                    fetched += 1;
                    Ok(Some(names_json(&original)))
                })
                .unwrap();
            assert_eq!(read, Some(Arc::clone(&original)));
        }
        assert_eq!(fetched, 1);
        assert_eq!(reads.names(None, |_| unreachable!()).unwrap(), None);
    }
}
