//! Synthetic ACLED-format data for tests, demos and benchmarks.
//!
//! [`generate_acled`] writes a CSV file in any of ACLED's layouts (current, 2019–2023
//! exports, pre-2019 with capitalised headers and the old event types, monadic) whose events
//! look like Mali's: ACLED's event types in a Sahel-like mix, heavy-tailed fatalities, places
//! clustered around commune centres of the centre and the north and along transhumance
//! corridors in their season, the actors of the conflict under the names ACLED used at the
//! time, a sentence of notes. A chosen share of rows is damaged the ways real files are
//! damaged, and the summary counts each kind, so a test knows exactly what a reader must
//! quarantine. [`generate_ucdp`] writes a small UCDP GED file the same way.
//!
//! Output is deterministic: the same zones and options give the same bytes on every machine
//! (ChaCha8 streams from the seed; nothing depends on hash-map order). The events and the
//! damage come from separate streams, so changing `bad_rows_percent` damages other rows of
//! the same events.
//!
//! ```
//! use chrono::NaiveDate;
//! use vigie_ingest::synthetic::{GenerateOptions, Vintage, generate_acled};
//! # let zones = vigie_spatial::codec::decode(include_bytes!("../../../../data/zones/mali-2015.vzs")).unwrap();
//! let mut options = GenerateOptions::new(100, 7);
//! options.bad_rows_percent = 10.0;
//! let mut csv = Vec::new();
//! let summary = generate_acled(&zones, &options, &mut csv)?;
//! assert_eq!(summary.rows, 100);
//! assert_eq!(summary.bad_rows(), 10);
//! # Ok::<(), std::io::Error>(())
//! ```

mod catalogue;
mod places;

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveTime};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use vigie_domain::{EventType, ZoneSet};

use catalogue::{
    Actor, Party, SUB_EVENTS, SubEvent, TYPE_SHARES, UNKNOWN_EVENT_TYPES, associated, legacy_label,
    sources,
};
use places::{Geography, Place, Places, pick_cumulative};

/// Which of ACLED's layouts to write (see `docs/acled-format.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Vintage {
    /// Today's columns, ISO dates.
    Current,
    /// A 2019–2023 export: `data_id`, `event_id_no_cnty`, `iso3`; no `disorder_type`,
    /// `civilian_targeting` or `tags`; dates like `31 December 2020`.
    Export2019,
    /// A pre-2019 export: capitalised headers, `GWNO`, `ALLY_ACTOR_1`, no
    /// `sub_event_type` or `TIMESTAMP`, the old event types, dates like `31/12/2020`.
    Pre2019,
    /// Today's columns, one row per actor: an event with two actors has two rows with the
    /// same `event_id_cnty`.
    Monadic,
}

impl Vintage {
    /// The name used on the command line (`current`, `2019`, `pre2019`, `monadic`).
    pub fn as_str(self) -> &'static str {
        match self {
            Vintage::Current => "current",
            Vintage::Export2019 => "2019",
            Vintage::Pre2019 => "pre2019",
            Vintage::Monadic => "monadic",
        }
    }
}

impl fmt::Display for Vintage {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Vintage {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "current" => Ok(Vintage::Current),
            "2019" | "export2019" | "export-2019" => Ok(Vintage::Export2019),
            "pre2019" | "pre-2019" => Ok(Vintage::Pre2019),
            "monadic" => Ok(Vintage::Monadic),
            other => Err(format!(
                "unknown ACLED vintage {other:?} (expected current, 2019, pre2019 or monadic)"
            )),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Data rows to write (for [`Vintage::Monadic`], rows, not events).
    pub rows: u64,
    /// The seed: the same seed and options give the same bytes.
    pub seed: u64,
    /// Share of rows to damage, 0 to 100; exactly `round(rows × percent / 100)` rows are.
    pub bad_rows_percent: f64,
    /// Which layout.
    pub vintage: Vintage,
    /// First event date (inclusive).
    pub from: NaiveDate,
    /// Last event date (inclusive). Events are written newest first, as ACLED exports them.
    pub to: NaiveDate,
}

impl GenerateOptions {
    /// `rows` clean rows of the current layout from `seed`, dated 2018 to 2024.
    pub fn new(rows: u64, seed: u64) -> GenerateOptions {
        GenerateOptions {
            rows,
            seed,
            bad_rows_percent: 0.0,
            vintage: Vintage::Current,
            from: NaiveDate::from_ymd_opt(2018, 1, 1).expect("a valid date"),
            to: NaiveDate::from_ymd_opt(2024, 12, 31).expect("a valid date"),
        }
    }

    fn validate(&self) -> io::Result<()> {
        let invalid = |message: String| Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        if !(0.0..=100.0).contains(&self.bad_rows_percent) {
            return invalid(format!(
                "bad_rows_percent {} is not between 0 and 100",
                self.bad_rows_percent
            ));
        }
        if self.from > self.to {
            return invalid(format!("from {} is after to {}", self.from, self.to));
        }
        Ok(())
    }
}

/// The ways the generator damages rows: what real ACLED files passed around by hand contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BadRowKind {
    /// A day that does not exist (`2021-02-30`).
    ImpossibleDate,
    /// A date a century ahead (a typed `2121` for `2021`).
    FutureDate,
    /// A negative fatality count.
    NegativeFatalities,
    /// Latitude and longitude exchanged: readers swap them back and flag the event, so the
    /// row is not lost.
    SwappedCoordinates,
    /// A coordinate with a decimal comma (`14,2301`).
    UnparseableCoordinate,
    /// An empty `event_id_cnty`.
    EmptyEventId,
    /// An event type that is neither current nor pre-2019.
    UnknownEventType,
    /// A row with one column fewer than the header.
    MissingColumn,
    /// Notes with a quote that is not doubled, or never closed.
    BadQuote,
}

impl BadRowKind {
    /// Every kind, in the order above.
    pub const ALL: [BadRowKind; 9] = [
        BadRowKind::ImpossibleDate,
        BadRowKind::FutureDate,
        BadRowKind::NegativeFatalities,
        BadRowKind::SwappedCoordinates,
        BadRowKind::UnparseableCoordinate,
        BadRowKind::EmptyEventId,
        BadRowKind::UnknownEventType,
        BadRowKind::MissingColumn,
        BadRowKind::BadQuote,
    ];

    /// Whether a reader recovers the row (it is flagged, not quarantined).
    pub fn is_recoverable(self) -> bool {
        self == BadRowKind::SwappedCoordinates
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GenerateSummary {
    /// Data rows written.
    pub rows: u64,
    /// Distinct events (ids) written.
    pub events: u64,
    /// Rows written undamaged.
    pub good_rows: u64,
    /// Damaged rows of each kind.
    pub bad_rows_by_kind: BTreeMap<BadRowKind, u64>,
    /// Events with at least one row a reader keeps: what a reader that merges the rows of
    /// each event yields.
    pub readable_events: u64,
}

impl GenerateSummary {
    /// Damaged rows of one kind.
    pub fn bad(&self, kind: BadRowKind) -> u64 {
        self.bad_rows_by_kind.get(&kind).copied().unwrap_or(0)
    }

    /// Damaged rows of every kind.
    pub fn bad_rows(&self) -> u64 {
        self.bad_rows_by_kind.values().sum()
    }

    /// Rows a reader must quarantine: the damaged rows it cannot recover.
    pub fn unreadable_rows(&self) -> u64 {
        self.bad_rows_by_kind
            .iter()
            .filter(|(kind, _)| !kind.is_recoverable())
            .map(|(_, count)| count)
            .sum()
    }

    fn count_bad(&mut self, kind: BadRowKind) {
        *self.bad_rows_by_kind.entry(kind).or_default() += 1;
    }
}

/// A column the generator can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    DataId,
    Gwno,
    Iso,
    EventIdCnty,
    EventIdNoCnty,
    EventDate,
    Year,
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
    Interaction,
    CivilianTargeting,
    Region,
    Country,
    Admin1,
    Admin2,
    Admin3,
    Location,
    Latitude,
    Longitude,
    GeoPrecision,
    Source,
    SourceScale,
    Notes,
    Fatalities,
    Tags,
    Timestamp,
    Iso3,
}

impl Column {
    fn name(self, vintage: Vintage) -> &'static str {
        let (lower, upper) = match self {
            Column::DataId => ("data_id", "DATA_ID"),
            Column::Gwno => ("gwno", "GWNO"),
            Column::Iso => ("iso", "ISO"),
            Column::EventIdCnty => ("event_id_cnty", "EVENT_ID_CNTY"),
            Column::EventIdNoCnty => ("event_id_no_cnty", "EVENT_ID_NO_CNTY"),
            Column::EventDate => ("event_date", "EVENT_DATE"),
            Column::Year => ("year", "YEAR"),
            Column::TimePrecision => ("time_precision", "TIME_PRECISION"),
            Column::DisorderType => ("disorder_type", "DISORDER_TYPE"),
            Column::EventType => ("event_type", "EVENT_TYPE"),
            Column::SubEventType => ("sub_event_type", "SUB_EVENT_TYPE"),
            Column::Actor1 => ("actor1", "ACTOR1"),
            Column::AssocActor1 => ("assoc_actor_1", "ALLY_ACTOR_1"),
            Column::Inter1 => ("inter1", "INTER1"),
            Column::Actor2 => ("actor2", "ACTOR2"),
            Column::AssocActor2 => ("assoc_actor_2", "ALLY_ACTOR_2"),
            Column::Inter2 => ("inter2", "INTER2"),
            Column::Interaction => ("interaction", "INTERACTION"),
            Column::CivilianTargeting => ("civilian_targeting", "CIVILIAN_TARGETING"),
            Column::Region => ("region", "REGION"),
            Column::Country => ("country", "COUNTRY"),
            Column::Admin1 => ("admin1", "ADMIN1"),
            Column::Admin2 => ("admin2", "ADMIN2"),
            Column::Admin3 => ("admin3", "ADMIN3"),
            Column::Location => ("location", "LOCATION"),
            Column::Latitude => ("latitude", "LATITUDE"),
            Column::Longitude => ("longitude", "LONGITUDE"),
            Column::GeoPrecision => ("geo_precision", "GEO_PRECISION"),
            Column::Source => ("source", "SOURCE"),
            Column::SourceScale => ("source_scale", "SOURCE_SCALE"),
            Column::Notes => ("notes", "NOTES"),
            Column::Fatalities => ("fatalities", "FATALITIES"),
            Column::Tags => ("tags", "TAGS"),
            Column::Timestamp => ("timestamp", "TIMESTAMP"),
            Column::Iso3 => ("iso3", "ISO3"),
        };
        if vintage == Vintage::Pre2019 {
            upper
        } else {
            lower
        }
    }
}

/// The columns of each layout, in ACLED's order.
fn layout(vintage: Vintage) -> &'static [Column] {
    use Column::*;
    match vintage {
        Vintage::Current | Vintage::Monadic => &[
            EventIdCnty,
            EventDate,
            Year,
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
            Interaction,
            CivilianTargeting,
            Iso,
            Region,
            Country,
            Admin1,
            Admin2,
            Admin3,
            Location,
            Latitude,
            Longitude,
            GeoPrecision,
            Source,
            SourceScale,
            Notes,
            Fatalities,
            Tags,
            Timestamp,
        ],
        Vintage::Export2019 => &[
            DataId,
            Iso,
            EventIdCnty,
            EventIdNoCnty,
            EventDate,
            Year,
            TimePrecision,
            EventType,
            SubEventType,
            Actor1,
            AssocActor1,
            Inter1,
            Actor2,
            AssocActor2,
            Inter2,
            Interaction,
            Region,
            Country,
            Admin1,
            Admin2,
            Admin3,
            Location,
            Latitude,
            Longitude,
            GeoPrecision,
            Source,
            SourceScale,
            Notes,
            Fatalities,
            Timestamp,
            Iso3,
        ],
        Vintage::Pre2019 => &[
            Gwno,
            EventIdCnty,
            EventIdNoCnty,
            EventDate,
            Year,
            TimePrecision,
            EventType,
            Actor1,
            AssocActor1,
            Inter1,
            Actor2,
            AssocActor2,
            Inter2,
            Interaction,
            Country,
            Admin1,
            Admin2,
            Admin3,
            Location,
            Latitude,
            Longitude,
            GeoPrecision,
            Source,
            Notes,
            Fatalities,
        ],
    }
}

/// One synthetic event, before it is written in a layout.
struct Draft {
    number: u64,
    date: NaiveDate,
    time_precision: u8,
    sub_event: &'static SubEvent,
    /// One or two actors with their associated actors.
    actors: Vec<(Actor, &'static str)>,
    place: Place,
    geo_precision: u8,
    source: String,
    source_scale: &'static str,
    fatalities: u32,
    tags: String,
    timestamp: i64,
    notes: String,
}

impl Draft {
    fn civilian_targeting(&self) -> bool {
        matches!(
            self.sub_event.event_type,
            EventType::ViolenceAgainstCivilians | EventType::ExplosionsRemoteViolence
        ) && self
            .actors
            .iter()
            .skip(1)
            .any(|(actor, _)| actor.inter == 7)
    }

    fn interaction(&self) -> u8 {
        match self.actors.as_slice() {
            [(first, _)] => first.inter * 10,
            [(first, _), (second, _), ..] => {
                let (low, high) = if first.inter <= second.inter {
                    (first.inter, second.inter)
                } else {
                    (second.inter, first.inter)
                };
                low * 10 + high
            }
            [] => 0,
        }
    }

    fn disorder_type(&self) -> &'static str {
        match (self.sub_event.event_type, self.sub_event.name) {
            (_, "Excessive force against protesters") => "Political violence; Demonstrations",
            (EventType::Protests | EventType::Riots, _) => "Demonstrations",
            (EventType::StrategicDevelopments, _) => "Strategic developments",
            _ => "Political violence",
        }
    }
}

/// Draws events: types, actors, places, dates, fatalities, notes.
struct EventMaker<'z> {
    rng: ChaCha8Rng,
    places: Places<'z>,
    type_totals: Vec<f64>,
    sub_events_by_type: Vec<(Vec<&'static SubEvent>, Vec<f64>)>,
}

impl<'z> EventMaker<'z> {
    fn new(zones: &'z ZoneSet, seed: u64) -> io::Result<EventMaker<'z>> {
        let places = Places::new(zones).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the zone set has no commune to place events in",
            )
        })?;
        let mut total = 0.0;
        let type_totals = TYPE_SHARES
            .iter()
            .map(|(_, share)| {
                total += share;
                total
            })
            .collect();
        let sub_events_by_type = TYPE_SHARES
            .iter()
            .map(|(event_type, _)| {
                let subs: Vec<&'static SubEvent> = SUB_EVENTS
                    .iter()
                    .filter(|sub| sub.event_type == *event_type)
                    .collect();
                let mut total = 0.0;
                let totals = subs
                    .iter()
                    .map(|sub| {
                        total += sub.weight;
                        total
                    })
                    .collect();
                (subs, totals)
            })
            .collect();
        Ok(EventMaker {
            rng: ChaCha8Rng::seed_from_u64(seed),
            places,
            type_totals,
            sub_events_by_type,
        })
    }

    fn draw(&mut self, number: u64, date: NaiveDate) -> Draft {
        let rng = &mut self.rng;
        let (sub_event, parties) = loop {
            let (subs, totals) = &self.sub_events_by_type[pick_cumulative(rng, &self.type_totals)];
            let sub_event = subs[pick_cumulative(rng, totals)];
            // Only parties that existed on the date (no Wagner Group in 2015).
            let available: Vec<&(Party, Option<Party>, f64)> = sub_event
                .parties
                .iter()
                .filter(|(first, second, _)| {
                    first.actor(date).is_some()
                        && second.is_none_or(|second| second.actor(date).is_some())
                })
                .collect();
            if available.is_empty() {
                continue;
            }
            let mut total = 0.0;
            let totals: Vec<f64> = available
                .iter()
                .map(|(_, _, weight)| {
                    total += weight;
                    total
                })
                .collect();
            let (first, second, _) = *available[pick_cumulative(rng, &totals)];
            break (sub_event, (first, second));
        };
        let mut actors = Vec::with_capacity(2);
        for party in [Some(parties.0), parties.1].into_iter().flatten() {
            let actor = party.actor(date).expect("checked above");
            actors.push((actor, associated(party, rng)));
        }
        let geography = match sub_event.event_type {
            EventType::Protests | EventType::Riots => Geography::Demonstrations,
            _ => Geography::Conflict,
        };
        let mut on_corridor = None;
        if geography == Geography::Conflict && self.places.corridor_count() > 0 {
            // Herders and farmers meet, and armed groups tax the herds, along the corridors
            // while the herds are on them.
            let in_season = self.places.corridors_in_season(date);
            if !in_season.is_empty() && rng.random_bool(0.2) {
                let corridor = in_season[rng.random_range(0..in_season.len())];
                on_corridor = self.places.on_corridor(rng, corridor);
            } else if rng.random_bool(0.02) {
                let corridor = rng.random_range(0..self.places.corridor_count());
                on_corridor = self.places.on_corridor(rng, corridor);
            }
        }
        let geo_precision;
        let place = match on_corridor {
            Some(place) => {
                geo_precision = 2;
                place
            }
            None => {
                geo_precision = match rng.random::<f64>() {
                    draw if draw < 0.65 => 1,
                    draw if draw < 0.93 => 2,
                    _ => 3,
                };
                self.places.near_commune(rng, geography)
            }
        };
        let time_precision = match rng.random::<f64>() {
            draw if draw < 0.85 => 1,
            draw if draw < 0.97 => 2,
            _ => 3,
        };
        let fatalities = sub_event.fatalities.draw(rng);
        let (source, source_scale) = sources(rng);
        let tags = match sub_event.event_type {
            EventType::Protests | EventType::Riots if rng.random_bool(0.6) => {
                "crowd size=no report".to_owned()
            }
            EventType::Protests | EventType::Riots => {
                let sizes = [50, 100, 200, 500, 1000];
                format!(
                    "crowd size=around {}",
                    sizes[rng.random_range(0..sizes.len())]
                )
            }
            _ if sub_event.name == "Sexual violence" => "women targeted: girls".to_owned(),
            _ => String::new(),
        };
        let edited_after_seconds =
            rng.random_range(1..=21_i64) * 86_400 + rng.random_range(0..86_400_i64);
        let timestamp = date.and_time(NaiveTime::MIN).and_utc().timestamp() + edited_after_seconds;
        let notes = notes(
            date,
            sub_event,
            &actors,
            self.places.names(&place),
            fatalities,
        );
        Draft {
            number,
            date,
            time_precision,
            sub_event,
            actors,
            place,
            geo_precision,
            source,
            source_scale,
            fatalities,
            tags,
            timestamp,
            notes,
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A sentence of notes in ACLED's manner: date, what happened, where, the toll.
fn notes(
    date: NaiveDate,
    sub_event: &SubEvent,
    actors: &[(Actor, &str)],
    names: &places::PlaceNames,
    fatalities: u32,
) -> String {
    let first = actors
        .first()
        .map_or("unidentified actors", |(actor, _)| actor.in_notes);
    let second = actors
        .get(1)
        .map_or("residents", |(actor, _)| actor.in_notes);
    let what = sub_event
        .sentence
        .replace("{1}", first)
        .replace("{2}", second);
    let toll = match (sub_event.fatalities.always_zero(), fatalities) {
        (true, _) => String::new(),
        (false, 0) => " No fatalities were reported.".to_owned(),
        (false, 1) => " One person was killed.".to_owned(),
        (false, count) => format!(" {count} people were killed."),
    };
    format!(
        "On {} {} {}, {what} in {} ({}, {}).{toll}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year(),
        names.admin3,
        names.admin2,
        names.admin1
    )
}

/// A date as a layout writes it. Takes parts, not a `NaiveDate`, so impossible days can be
/// written too.
fn write_date(year: i32, month: u32, day: u32, vintage: Vintage) -> String {
    match vintage {
        Vintage::Current | Vintage::Monadic => format!("{year:04}-{month:02}-{day:02}"),
        Vintage::Export2019 => format!("{day} {} {year}", MONTHS[month as usize - 1]),
        Vintage::Pre2019 => format!("{day:02}/{month:02}/{year:04}"),
    }
}

/// The cells of one row of `draft` in `vintage`; `actor` picks the actor of a monadic row.
fn cells(
    draft: &Draft,
    vintage: Vintage,
    actor: Option<usize>,
    places: &Places<'_>,
) -> Vec<String> {
    let names = places.names(&draft.place);
    let (first, second) = match actor {
        Some(position) => (draft.actors.get(position), None),
        None => (draft.actors.first(), draft.actors.get(1)),
    };
    let event_type = match vintage {
        Vintage::Pre2019 => legacy_label(draft.sub_event.event_type, draft.sub_event.name),
        _ => draft.sub_event.event_type.label(),
    };
    layout(vintage)
        .iter()
        .map(|column| match column {
            Column::DataId => (7_000_000 + draft.number).to_string(),
            Column::Gwno => "432".to_owned(),
            Column::Iso => "466".to_owned(),
            Column::EventIdCnty => format!("MLI{}", draft.number),
            Column::EventIdNoCnty => draft.number.to_string(),
            Column::EventDate => write_date(
                draft.date.year(),
                draft.date.month(),
                draft.date.day(),
                vintage,
            ),
            Column::Year => draft.date.year().to_string(),
            Column::TimePrecision => draft.time_precision.to_string(),
            Column::DisorderType => draft.disorder_type().to_owned(),
            Column::EventType => event_type.to_owned(),
            Column::SubEventType => draft.sub_event.name.to_owned(),
            Column::Actor1 => first.map_or_else(String::new, |(actor, _)| actor.name.to_owned()),
            Column::AssocActor1 => first.map_or_else(String::new, |(_, assoc)| (*assoc).to_owned()),
            Column::Inter1 => first.map_or_else(String::new, |(actor, _)| actor.inter.to_string()),
            Column::Actor2 => second.map_or_else(String::new, |(actor, _)| actor.name.to_owned()),
            Column::AssocActor2 => {
                second.map_or_else(String::new, |(_, assoc)| (*assoc).to_owned())
            }
            Column::Inter2 => second.map_or_else(String::new, |(actor, _)| actor.inter.to_string()),
            Column::Interaction => draft.interaction().to_string(),
            Column::CivilianTargeting => match draft.civilian_targeting() {
                true => "Civilian targeting".to_owned(),
                false => String::new(),
            },
            Column::Region => "Western Africa".to_owned(),
            Column::Country => "Mali".to_owned(),
            Column::Admin1 => names.admin1.clone(),
            Column::Admin2 => names.admin2.clone(),
            Column::Admin3 => names.admin3.clone(),
            Column::Location => names.admin3.clone(),
            Column::Latitude => format!("{:.4}", draft.place.latitude),
            Column::Longitude => format!("{:.4}", draft.place.longitude),
            Column::GeoPrecision => draft.geo_precision.to_string(),
            Column::Source => draft.source.clone(),
            Column::SourceScale => draft.source_scale.to_owned(),
            Column::Notes => draft.notes.clone(),
            Column::Fatalities => draft.fatalities.to_string(),
            Column::Tags => draft.tags.clone(),
            Column::Timestamp => draft.timestamp.to_string(),
            Column::Iso3 => "MLI".to_owned(),
        })
        .collect()
}

/// Where the damageable values sit in a row.
#[derive(Debug, Clone, Copy)]
struct Roles {
    event_id: usize,
    event_date: usize,
    event_type: usize,
    latitude: usize,
    longitude: usize,
    fatalities: usize,
    notes: usize,
}

/// A row ready to write: cells, and a cell to write as it is, unquoted (a bad quote).
struct OutputRow {
    cells: Vec<String>,
    verbatim: Option<usize>,
}

/// Damages a row in the way `kind` says. `date` is the event's date; `write` formats a date
/// for the layout.
fn damage(
    row: &mut OutputRow,
    kind: BadRowKind,
    roles: Roles,
    date: NaiveDate,
    write: impl Fn(i32, u32, u32) -> String,
    rng: &mut ChaCha8Rng,
) {
    let cells = &mut row.cells;
    match kind {
        BadRowKind::ImpossibleDate => {
            const NO_SUCH_DAYS: [(u32, u32); 6] =
                [(2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31)];
            let (month, day) = NO_SUCH_DAYS[rng.random_range(0..NO_SUCH_DAYS.len())];
            cells[roles.event_date] = write(date.year(), month, day);
        }
        BadRowKind::FutureDate => {
            cells[roles.event_date] = write(date.year() + 100, date.month(), date.day().min(28));
        }
        BadRowKind::NegativeFatalities => {
            let count = cells[roles.fatalities].parse::<u32>().unwrap_or(0).max(1);
            cells[roles.fatalities] = format!("-{count}");
        }
        BadRowKind::SwappedCoordinates => cells.swap(roles.latitude, roles.longitude),
        BadRowKind::UnparseableCoordinate => {
            let column = if rng.random_bool(0.5) {
                roles.latitude
            } else {
                roles.longitude
            };
            cells[column] = cells[column].replace('.', ",");
        }
        BadRowKind::EmptyEventId => cells[roles.event_id].clear(),
        BadRowKind::UnknownEventType => {
            cells[roles.event_type] =
                UNKNOWN_EVENT_TYPES[rng.random_range(0..UNKNOWN_EVENT_TYPES.len())].to_owned();
        }
        BadRowKind::MissingColumn => {
            let column = rng.random_range(0..cells.len());
            cells.remove(column);
        }
        BadRowKind::BadQuote => {
            let notes = &cells[roles.notes];
            cells[roles.notes] = if rng.random_bool(0.5) {
                // An inner quote that was not doubled.
                format!("\"According to \"local sources\", {notes}\"")
            } else {
                // A quote opened and never closed.
                format!("\"{notes}")
            };
            row.verbatim = Some(roles.notes);
        }
    }
}

/// Picks exactly `round(rows × percent / 100)` rows to damage, one row at a time (selection
/// sampling: each row is chosen with probability still-needed / still-to-come), and the kind
/// of damage.
struct DamagePlan {
    rng: ChaCha8Rng,
    remaining_rows: u64,
    remaining_bad: u64,
}

impl DamagePlan {
    fn new(options: &GenerateOptions) -> DamagePlan {
        // A separate stream: the events do not depend on how many rows are damaged.
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        rng.set_stream(1);
        DamagePlan {
            rng,
            remaining_rows: options.rows,
            remaining_bad: (options.rows as f64 * options.bad_rows_percent / 100.0).round() as u64,
        }
    }

    fn next(&mut self) -> Option<BadRowKind> {
        if self.remaining_rows == 0 {
            return None;
        }
        let chosen = self.remaining_bad > 0
            && self.rng.random_range(0..self.remaining_rows) < self.remaining_bad;
        self.remaining_rows -= 1;
        if !chosen {
            return None;
        }
        self.remaining_bad -= 1;
        Some(BadRowKind::ALL[self.rng.random_range(0..BadRowKind::ALL.len())])
    }
}

/// Writes a CSV row, quoting what needs quoting; the `verbatim` cell goes out as it is.
fn write_row(out: &mut impl Write, row: &OutputRow) -> io::Result<()> {
    let mut line = String::with_capacity(512);
    for (position, cell) in row.cells.iter().enumerate() {
        if position > 0 {
            line.push(',');
        }
        let needs_quotes =
            cell.contains([',', '"', '\n', '\r']) || cell.starts_with(' ') || cell.ends_with(' ');
        if row.verbatim == Some(position) || !needs_quotes {
            line.push_str(cell);
        } else {
            line.push('"');
            line.push_str(&cell.replace('"', "\"\""));
            line.push('"');
        }
    }
    line.push('\n');
    out.write_all(line.as_bytes())
}

/// The event date of the `row`-th of `rows` rows: from `to` back to `from`, evenly, so the
/// file is newest first as ACLED's exports are.
fn date_of_row(options: &GenerateOptions, row: u64) -> NaiveDate {
    let span_days = (options.to - options.from).num_days().max(0) as u64;
    let back = if options.rows == 0 {
        0
    } else {
        (u128::from(span_days) * u128::from(row) / u128::from(options.rows)) as u64
    };
    options.to - chrono::Days::new(back)
}

/// Writes `options.rows` rows of synthetic ACLED data in `options.vintage`'s layout.
///
/// Fails with `InvalidInput` when the options make no sense (a percentage outside 0–100,
/// `from` after `to`) or `zones` has no commune; otherwise only on write errors.
pub fn generate_acled(
    zones: &ZoneSet,
    options: &GenerateOptions,
    out: impl Write,
) -> io::Result<GenerateSummary> {
    options.validate()?;
    let mut out = io::BufWriter::with_capacity(256 * 1024, out);
    let vintage = options.vintage;
    let columns = layout(vintage);
    let header = OutputRow {
        cells: columns
            .iter()
            .map(|column| column.name(vintage).to_owned())
            .collect(),
        verbatim: None,
    };
    write_row(&mut out, &header)?;
    let role = |wanted: Column| {
        columns
            .iter()
            .position(|column| *column == wanted)
            .expect("every layout has the damageable columns")
    };
    let roles = Roles {
        event_id: role(Column::EventIdCnty),
        event_date: role(Column::EventDate),
        event_type: role(Column::EventType),
        latitude: role(Column::Latitude),
        longitude: role(Column::Longitude),
        fatalities: role(Column::Fatalities),
        notes: role(Column::Notes),
    };
    let mut maker = EventMaker::new(zones, options.seed)?;
    let mut plan = DamagePlan::new(options);
    let mut summary = GenerateSummary::default();
    // Newest events get the highest ids, as in ACLED's numbering.
    let first_number = 10_000 + options.rows;
    while summary.rows < options.rows {
        let date = date_of_row(options, summary.rows);
        let draft = maker.draw(first_number - summary.events, date);
        summary.events += 1;
        let row_actors: Vec<Option<usize>> = match vintage {
            Vintage::Monadic => (0..draft.actors.len()).map(Some).collect(),
            _ => vec![None],
        };
        let mut readable = false;
        for actor in row_actors {
            if summary.rows == options.rows {
                break;
            }
            let mut row = OutputRow {
                cells: cells(&draft, vintage, actor, &maker.places),
                verbatim: None,
            };
            match plan.next() {
                Some(kind) => {
                    damage(
                        &mut row,
                        kind,
                        roles,
                        draft.date,
                        |year, month, day| write_date(year, month, day, vintage),
                        &mut plan.rng,
                    );
                    summary.count_bad(kind);
                    readable |= kind.is_recoverable();
                }
                None => {
                    summary.good_rows += 1;
                    readable = true;
                }
            }
            write_row(&mut out, &row)?;
            summary.rows += 1;
        }
        summary.readable_events += u64::from(readable);
    }
    out.flush()?;
    Ok(summary)
}

/// Writes `options.rows` rows of a UCDP GED CSV (only `rows`, `seed`, `bad_rows_percent`,
/// `from` and `to` are used): state-based, non-state and one-sided violence in Mali with
/// fatality estimates, damaged the same ways as [`generate_acled`]'s rows.
pub fn generate_ucdp(
    zones: &ZoneSet,
    options: &GenerateOptions,
    out: impl Write,
) -> io::Result<GenerateSummary> {
    options.validate()?;
    const HEADER: [&str; 24] = [
        "id",
        "relid",
        "year",
        "active_year",
        "type_of_violence",
        "conflict_name",
        "dyad_name",
        "side_a",
        "side_b",
        "source_article",
        "where_prec",
        "where_coordinates",
        "adm_1",
        "adm_2",
        "latitude",
        "longitude",
        "country",
        "region",
        "date_prec",
        "date_start",
        "date_end",
        "best",
        "high",
        "low",
    ];
    let mut out = io::BufWriter::new(out);
    write_row(
        &mut out,
        &OutputRow {
            cells: HEADER.iter().map(|name| (*name).to_owned()).collect(),
            verbatim: None,
        },
    )?;
    let roles = Roles {
        event_id: 0,
        event_date: 19,
        event_type: 4,
        latitude: 14,
        longitude: 15,
        fatalities: 21,
        notes: 9,
    };
    let mut maker = EventMaker::new(zones, options.seed)?;
    let mut plan = DamagePlan::new(options);
    let mut summary = GenerateSummary::default();
    while summary.rows < options.rows {
        let date = date_of_row(options, summary.rows);
        let draft = maker.draw(0, date);
        let rng = &mut maker.rng;
        // GED holds only events that killed someone, of three kinds.
        let (violence, side_a, side_b) = match draft.sub_event.event_type {
            EventType::ViolenceAgainstCivilians => (3, "JNIM", "Civilians"),
            EventType::Battles if rng.random_bool(0.3) => (2, "JNIM", "IS Sahel"),
            EventType::Battles | EventType::ExplosionsRemoteViolence => {
                (1, "Government of Mali", "JNIM")
            }
            _ => continue,
        };
        let best = draft.fatalities.max(1);
        let names = maker.places.names(&draft.place);
        let id = 300_000 + summary.rows;
        let where_prec = [1, 1, 2, 3, 4, 6][rng.random_range(0..6)];
        let date_prec = [1, 1, 1, 2, 3, 4][rng.random_range(0..6)];
        let date_text = format!("{} 00:00:00.000", draft.date);
        let row_cells = vec![
            id.to_string(),
            format!("MLI-{}-{}", draft.date.year(), summary.rows + 1),
            draft.date.year().to_string(),
            "TRUE".to_owned(),
            violence.to_string(),
            format!("Mali: {side_b}"),
            format!("{side_a} - {side_b}"),
            side_a.to_owned(),
            side_b.to_owned(),
            format!("Reuters,{},Attack near {}", draft.date, names.admin3),
            where_prec.to_string(),
            format!("{} village", names.admin3),
            format!("{} region", names.admin1),
            format!("{} cercle", names.admin2),
            format!("{:.6}", draft.place.latitude),
            format!("{:.6}", draft.place.longitude),
            "Mali".to_owned(),
            "Africa".to_owned(),
            date_prec.to_string(),
            date_text.clone(),
            date_text,
            best.to_string(),
            (best + best / 2 + 1).to_string(),
            best.saturating_sub(best / 3).to_string(),
        ];
        let mut row = OutputRow {
            cells: row_cells,
            verbatim: None,
        };
        match plan.next() {
            Some(kind) => {
                let write = |year: i32, month: u32, day: u32| {
                    format!("{year:04}-{month:02}-{day:02} 00:00:00.000")
                };
                damage(&mut row, kind, roles, draft.date, write, &mut plan.rng);
                summary.count_bad(kind);
                summary.readable_events += u64::from(kind.is_recoverable());
            }
            None => {
                summary.good_rows += 1;
                summary.readable_events += 1;
            }
        }
        write_row(&mut out, &row)?;
        summary.rows += 1;
        summary.events += 1;
    }
    out.flush()?;
    Ok(summary)
}
