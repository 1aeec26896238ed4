//! The compact part of a stored event: the attributes no query filters or sorts on, and the
//! source record's values, in one byte string (`payload`, a BLOB or BYTEA column) that both
//! backends store alike.
//!
//! Why one column rather than twenty: an import writes a million rows, and every column costs
//! a binding, a record header entry and, for text, often a copy of a value the source record
//! already holds (an ACLED row's `notes`, actors and admin names are both typed attributes
//! and source columns). Here a typed text equal to the source column of the same name is
//! stored as a reference to it, and the column names live once per table in
//! `field_layouts`, not in every row.
//!
//! # Format (version 1)
//!
//! Integers are unsigned LEB128 varints; text is UTF-8.
//!
//! ```text
//! payload   := 0x01 values attributes
//! values    := count (length bytes){count}          -- the source values, in column order
//! attributes:= time_precision:u8 civilian_targeting:u8 location_status:u8
//!              inter1 inter2 geo_precision           -- each 0 for none, else value + 1
//!              fatalities_low fatalities_high        -- each 0 for none, else value + 1
//!              text{10}                              -- disorder_type, original_event_type,
//!                                                    -- actor1, actor2, country, admin1,
//!                                                    -- admin2, admin3, location, notes
//!              count text{count}                     -- associated actors
//!              count text{count}                     -- flags by their storage names
//!                                                    -- (each refers, when it can, to the
//!                                                    -- source column of the same name;
//!                                                    -- original_event_type to event_type)
//! text      := 0                                     -- none
//!            | 1 index                               -- the source value at this index
//!            | (length + 2) bytes                    -- the text itself
//! ```
//!
//! `location_status` is 0 inside, 1 snapped, 2 outside. A new format gets a new version byte;
//! readers keep decoding the old ones.

use std::sync::Arc;

use vigie_domain::store::StoreError;
use vigie_domain::{EventFlag, LocateStatus, LocatedEvent, SourceFields};

use crate::codec::parse_flag;

/// The version byte of the format above.
const VERSION: u8 = 1;

/// The typed text attributes kept in the payload, in payload order, with the source column
/// name each is most often a copy of.
const TEXT_ATTRIBUTES: [&str; TEXT_ATTRIBUTE_COUNT] = [
    "disorder_type",
    "event_type",
    "actor1",
    "actor2",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "notes",
];
const TEXT_ATTRIBUTE_COUNT: usize = 10;

/// For one column layout, the position of the source column each typed text attribute may
/// copy (see [`TEXT_ATTRIBUTES`]). Only a hint: the encoder compares the values and refers
/// to the column only when they are equal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FieldHints([Option<u32>; TEXT_ATTRIBUTE_COUNT]);

impl FieldHints {
    /// The hints of a layout with these column names.
    pub(crate) fn for_names(names: &[String]) -> FieldHints {
        let mut hints = [None; TEXT_ATTRIBUTE_COUNT];
        for (hint, attribute) in hints.iter_mut().zip(TEXT_ATTRIBUTES) {
            *hint = names
                .iter()
                .position(|name| name == attribute)
                .and_then(|position| u32::try_from(position).ok());
        }
        FieldHints(hints)
    }
}

/// The attributes of an event that live in the payload, decoded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecodedPayload {
    pub time_precision: u8,
    pub civilian_targeting: bool,
    pub location_status: LocateStatus,
    pub inter1: Option<u8>,
    pub inter2: Option<u8>,
    pub geo_precision: Option<u8>,
    pub fatalities_low: Option<u32>,
    pub fatalities_high: Option<u32>,
    pub disorder_type: Option<String>,
    pub original_event_type: Option<String>,
    pub actor1: Option<String>,
    pub actor2: Option<String>,
    pub country: Option<String>,
    pub admin1: Option<String>,
    pub admin2: Option<String>,
    pub admin3: Option<String>,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub associated_actors: Vec<String>,
    pub flags: Vec<EventFlag>,
    pub fields: SourceFields,
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    // Most lengths fit in one byte.
    if value < 0x80 {
        out.push(value as u8);
        return;
    }
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    push_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn location_status_code(status: LocateStatus) -> u8 {
    match status {
        LocateStatus::Inside => 0,
        LocateStatus::Snapped => 1,
        LocateStatus::Outside => 2,
    }
}

/// Writes the payload of `located` into `out` (cleared first). `value_ranges` is scratch
/// space kept by the caller between events.
pub(crate) fn encode(
    out: &mut Vec<u8>,
    value_ranges: &mut Vec<(usize, usize)>,
    located: &LocatedEvent,
    hints: &FieldHints,
) {
    let event = &located.event;
    out.clear();
    value_ranges.clear();
    out.push(VERSION);
    push_varint(out, event.fields.len() as u64);
    for value in event.fields.values() {
        push_varint(out, value.len() as u64);
        value_ranges.push((out.len(), value.len()));
        out.extend_from_slice(value.as_bytes());
    }
    out.push(event.time_precision);
    out.push(u8::from(event.civilian_targeting));
    out.push(location_status_code(located.location.status));
    for small in [event.inter1, event.inter2, event.geo_precision] {
        push_varint(out, small.map_or(0, |value| u64::from(value) + 1));
    }
    for count in [event.fatalities_low, event.fatalities_high] {
        push_varint(out, count.map_or(0, |value| u64::from(value) + 1));
    }
    let texts: [&Option<String>; TEXT_ATTRIBUTE_COUNT] = [
        &event.disorder_type,
        &event.original_event_type,
        &event.actor1,
        &event.actor2,
        &event.country,
        &event.admin1,
        &event.admin2,
        &event.admin3,
        &event.location,
        &event.notes,
    ];
    for (text, hint) in texts.into_iter().zip(hints.0) {
        let Some(text) = text else {
            out.push(0);
            continue;
        };
        let copied = hint.filter(|&index| {
            value_ranges
                .get(index as usize)
                .is_some_and(|&(start, length)| {
                    length == text.len() && out[start..start + length] == *text.as_bytes()
                })
        });
        match copied {
            Some(index) => {
                out.push(1);
                push_varint(out, u64::from(index));
            }
            None => {
                push_varint(out, text.len() as u64 + 2);
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    push_varint(out, event.associated_actors.len() as u64);
    for actor in &event.associated_actors {
        push_bytes(out, actor.as_bytes());
    }
    push_varint(out, event.flags.len() as u64);
    for flag in &event.flags {
        push_bytes(out, flag.as_str().as_bytes());
    }
}

/// Reads a payload back; `names` are the column names of its layout (none for an event
/// without source values).
pub(crate) fn decode(
    bytes: &[u8],
    names: Option<Arc<[String]>>,
) -> Result<DecodedPayload, StoreError> {
    let mut reader = Reader { bytes, position: 0 };
    let version = reader.byte()?;
    if version != VERSION {
        return Err(corrupt(format!("unknown payload version {version}")));
    }
    let value_count = reader.length()?;
    let names = names.unwrap_or_else(|| Arc::from(Vec::<String>::new()));
    if value_count > names.len() {
        return Err(corrupt(format!(
            "{value_count} source values for a layout of {} columns",
            names.len()
        )));
    }
    let mut fields = SourceFields::with_names(names);
    // Positions of the values in `bytes`, for the attributes that refer to them.
    let mut values: Vec<&str> = Vec::with_capacity(value_count);
    for _ in 0..value_count {
        let value = reader.text()?;
        fields.push_value(value);
        values.push(value);
    }
    let time_precision = reader.byte()?;
    let civilian_targeting = match reader.byte()? {
        0 => false,
        1 => true,
        other => return Err(corrupt(format!("civilian targeting {other}"))),
    };
    let location_status = match reader.byte()? {
        0 => LocateStatus::Inside,
        1 => LocateStatus::Snapped,
        2 => LocateStatus::Outside,
        other => return Err(corrupt(format!("locate status {other}"))),
    };
    let mut small = || -> Result<Option<u8>, StoreError> {
        match reader.varint()? {
            0 => Ok(None),
            plus_one => u8::try_from(plus_one - 1)
                .map(Some)
                .map_err(|_| corrupt(format!("small integer {}", plus_one - 1))),
        }
    };
    let (inter1, inter2, geo_precision) = (small()?, small()?, small()?);
    let mut count = || -> Result<Option<u32>, StoreError> {
        match reader.varint()? {
            0 => Ok(None),
            plus_one => u32::try_from(plus_one - 1)
                .map(Some)
                .map_err(|_| corrupt(format!("count {}", plus_one - 1))),
        }
    };
    let (fatalities_low, fatalities_high) = (count()?, count()?);
    let mut texts: [Option<String>; TEXT_ATTRIBUTE_COUNT] = Default::default();
    for text in &mut texts {
        *text = match reader.varint()? {
            0 => None,
            1 => {
                let index = reader.varint()?;
                let value = usize::try_from(index)
                    .ok()
                    .and_then(|index| values.get(index))
                    .ok_or_else(|| {
                        corrupt(format!(
                            "reference to source value {index} of {value_count}"
                        ))
                    })?;
                Some((*value).to_owned())
            }
            length_plus_two => {
                let length = usize::try_from(length_plus_two - 2)
                    .map_err(|_| corrupt("text length".to_owned()))?;
                Some(reader.text_of(length)?.to_owned())
            }
        };
    }
    let actor_count = reader.length()?;
    let mut associated_actors = Vec::with_capacity(actor_count.min(64));
    for _ in 0..actor_count {
        associated_actors.push(reader.text()?.to_owned());
    }
    let flag_count = reader.length()?;
    let mut flags = Vec::with_capacity(flag_count.min(8));
    for _ in 0..flag_count {
        flags.push(parse_flag(reader.text()?)?);
    }
    if reader.position != bytes.len() {
        return Err(corrupt(format!(
            "{} bytes after the end",
            bytes.len() - reader.position
        )));
    }
    let [
        disorder_type,
        original_event_type,
        actor1,
        actor2,
        country,
        admin1,
        admin2,
        admin3,
        location,
        notes,
    ] = texts;
    Ok(DecodedPayload {
        time_precision,
        civilian_targeting,
        location_status,
        inter1,
        inter2,
        geo_precision,
        fatalities_low,
        fatalities_high,
        disorder_type,
        original_event_type,
        actor1,
        actor2,
        country,
        admin1,
        admin2,
        admin3,
        location,
        notes,
        associated_actors,
        flags,
        fields,
    })
}

fn corrupt(what: String) -> StoreError {
    StoreError::Corrupt(format!("event payload: {what}"))
}

struct Reader<'b> {
    bytes: &'b [u8],
    position: usize,
}

impl<'b> Reader<'b> {
    fn byte(&mut self) -> Result<u8, StoreError> {
        let byte = *self
            .bytes
            .get(self.position)
            .ok_or_else(|| corrupt("truncated".to_owned()))?;
        self.position += 1;
        Ok(byte)
    }

    fn varint(&mut self) -> Result<u64, StoreError> {
        let mut value = 0_u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(corrupt("varint longer than 64 bits".to_owned()))
    }

    /// A count or length, which must fit in what is left (each counted item takes at least a
    /// byte), so corrupt input cannot make the reader allocate without bound.
    fn length(&mut self) -> Result<usize, StoreError> {
        let value = self.varint()?;
        usize::try_from(value)
            .ok()
            .filter(|&length| length <= self.bytes.len() - self.position)
            .ok_or_else(|| corrupt(format!("length {value} beyond the end")))
    }

    fn text_of(&mut self, length: usize) -> Result<&'b str, StoreError> {
        let end = self
            .position
            .checked_add(length)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| corrupt("truncated text".to_owned()))?;
        let text = std::str::from_utf8(&self.bytes[self.position..end])
            .map_err(|error| corrupt(format!("text is not UTF-8: {error}")))?;
        self.position = end;
        Ok(text)
    }

    fn text(&mut self) -> Result<&'b str, StoreError> {
        let length = self.length()?;
        self.text_of(length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use vigie_domain::{Event, EventLocation, EventSource, EventType, ZoneId};

    fn acled_row() -> LocatedEvent {
        let fields = SourceFields::from_pairs([
            ("event_id_cnty", "MLI4682"),
            ("disorder_type", "Political violence"),
            ("actor1", "Dan Na Ambassagou"),
            ("actor2", ""),
            ("admin1", "Mopti"),
            ("location", "Ogossagou-Peulh"),
            ("notes", "« Attaque » à l'aube; 157 morts.\n\"quoted\""),
            ("tags", ""),
        ]);
        LocatedEvent {
            event: Event {
                source: EventSource::Acled,
                source_event_id: "MLI4682".into(),
                event_date: NaiveDate::from_ymd_opt(2019, 3, 23).unwrap(),
                time_precision: 1,
                disorder_type: Some("Political violence".into()),
                event_type: EventType::ViolenceAgainstCivilians,
                sub_event_type: Some("Attack".into()),
                original_event_type: Some("Violence against civilians".into()),
                actor1: Some("Dan Na Ambassagou".into()),
                actor2: None,
                associated_actors: vec!["Militia (Dogon)".into(), String::new()],
                inter1: Some(4),
                inter2: None,
                civilian_targeting: true,
                fatalities: 157,
                fatalities_low: Some(0),
                fatalities_high: Some(u32::MAX),
                longitude: -3.56,
                latitude: 14.23,
                geo_precision: Some(255),
                country: Some("Mali".into()),
                // Differs from its column: stored as text, not as a reference.
                admin1: Some("Mopti region".into()),
                admin2: None,
                admin3: Some(String::new()),
                location: Some("Ogossagou-Peulh".into()),
                notes: Some("« Attaque » à l'aube; 157 morts.\n\"quoted\"".into()),
                source_timestamp: Some(1_600_000_000),
                flags: vec![EventFlag::MergedActors, EventFlag::SwappedCoordinates],
                fields,
            },
            location: EventLocation {
                status: LocateStatus::Snapped,
                commune: Some(ZoneId::new("ML050301").unwrap()),
                cercle: None,
                region: None,
                corridors: vec![],
            },
        }
    }

    fn round_trip(located: &LocatedEvent) -> (Vec<u8>, DecodedPayload) {
        let names = located.event.fields.names();
        let mut out = vec![9, 9, 9];
        let mut scratch = Vec::new();
        encode(
            &mut out,
            &mut scratch,
            located,
            &FieldHints::for_names(names),
        );
        let decoded = decode(&out, Some(Arc::clone(names))).unwrap();
        (out, decoded)
    }

    #[test]
    fn every_attribute_and_value_reads_back() {
        let located = acled_row();
        let event = &located.event;
        let (_, decoded) = round_trip(&located);
        assert_eq!(decoded.fields, event.fields);
        assert!(Arc::ptr_eq(decoded.fields.names(), event.fields.names()));
        assert_eq!(decoded.time_precision, 1);
        assert!(decoded.civilian_targeting);
        assert_eq!(decoded.location_status, LocateStatus::Snapped);
        assert_eq!(
            (decoded.inter1, decoded.inter2, decoded.geo_precision),
            (Some(4), None, Some(255))
        );
        assert_eq!(
            (decoded.fatalities_low, decoded.fatalities_high),
            (Some(0), Some(u32::MAX))
        );
        assert_eq!(decoded.disorder_type, event.disorder_type);
        assert_eq!(decoded.original_event_type, event.original_event_type);
        assert_eq!(decoded.actor1, event.actor1);
        assert_eq!(decoded.actor2, None);
        assert_eq!(decoded.country, event.country);
        assert_eq!(decoded.admin1, event.admin1);
        assert_eq!(decoded.admin2, None);
        assert_eq!(decoded.admin3, Some(String::new()));
        assert_eq!(decoded.location, event.location);
        assert_eq!(decoded.notes, event.notes);
        assert_eq!(decoded.associated_actors, event.associated_actors);
        assert_eq!(decoded.flags, event.flags);
    }

    #[test]
    fn a_text_equal_to_its_source_column_is_stored_once() {
        let located = acled_row();
        let (bytes, _) = round_trip(&located);
        let notes = located.event.notes.as_deref().unwrap().as_bytes();
        let occurrences = bytes
            .windows(notes.len())
            .filter(|window| *window == notes)
            .count();
        assert_eq!(occurrences, 1);
        let mut without_hints = Vec::new();
        encode(
            &mut without_hints,
            &mut Vec::new(),
            &located,
            &FieldHints::default(),
        );
        assert!(without_hints.len() > bytes.len() + notes.len());
        assert_eq!(
            decode(
                &without_hints,
                Some(Arc::clone(located.event.fields.names()))
            )
            .unwrap(),
            decode(&bytes, Some(Arc::clone(located.event.fields.names()))).unwrap()
        );
    }

    #[test]
    fn an_event_without_source_values_needs_no_layout() {
        let mut located = acled_row();
        located.event.fields = SourceFields::empty();
        let mut out = Vec::new();
        encode(&mut out, &mut Vec::new(), &located, &FieldHints::default());
        let decoded = decode(&out, None).unwrap();
        assert!(decoded.fields.is_empty());
        assert_eq!(decoded.notes, located.event.notes);
    }

    #[test]
    fn damaged_payloads_are_corrupt_not_panics() {
        let located = acled_row();
        let (bytes, _) = round_trip(&located);
        let names = Some(Arc::clone(located.event.fields.names()));
        for cut in 0..bytes.len() {
            assert!(matches!(
                decode(&bytes[..cut], names.clone()),
                Err(StoreError::Corrupt(_))
            ));
        }
        let mut extended = bytes.clone();
        extended.push(0);
        assert!(decode(&extended, names.clone()).is_err());
        let mut versioned = bytes.clone();
        versioned[0] = 2;
        assert!(decode(&versioned, names).is_err());
        assert!(decode(&bytes, None).is_err(), "values without names");
    }
}
