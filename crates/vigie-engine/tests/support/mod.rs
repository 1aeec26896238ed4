//! A small synthetic geography and seeded histories for the engine's tests.

#![allow(dead_code)] // each test file uses a different part

use chrono::{Duration, NaiveDate};
use geo_types::{LineString, MultiPolygon};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigie_domain::{Corridor, EventType, Season, Zone, ZoneId, ZoneLevel, ZoneSet};
use vigie_engine::{Incident, SourceKind, ZoneTable};

pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

pub fn id(text: &str) -> ZoneId {
    ZoneId::new(text).unwrap()
}

/// Commune `k` of cercle `c`: `ML{c:02}{k:02}`; cercle `c`: `ML{c:02}`; all cercles in
/// region `MLR`; one corridor `TR01` (season 10-01 to 06-30).
pub fn commune_id(cercle: usize, commune: usize) -> ZoneId {
    id(&format!("ML{cercle:02}{commune:02}"))
}

pub fn cercle_id(cercle: usize) -> ZoneId {
    id(&format!("ML{cercle:02}"))
}

pub struct World {
    pub set: ZoneSet,
    pub table: ZoneTable,
}

fn zone(id: ZoneId, level: ZoneLevel, parent: Option<ZoneId>) -> Zone {
    Zone {
        name: format!("Zone {id}"),
        id,
        level,
        parent,
        geometry: MultiPolygon(vec![]),
    }
}

pub fn world(cercles: usize, communes_per_cercle: usize) -> World {
    let region = id("MLR");
    let mut set = ZoneSet {
        name: "test".into(),
        attribution: String::new(),
        regions: vec![zone(region.clone(), ZoneLevel::Region, None)],
        cercles: Vec::new(),
        communes: Vec::new(),
        corridors: vec![Corridor {
            id: id("TR01"),
            name: "Couloir test".into(),
            centerline: LineString(vec![]),
            buffer_km: 10.0,
            season: Season::default(),
            approximate: true,
            area: MultiPolygon(vec![]),
        }],
    };
    for cercle in 1..=cercles {
        set.cercles.push(zone(
            cercle_id(cercle),
            ZoneLevel::Cercle,
            Some(region.clone()),
        ));
        for commune in 1..=communes_per_cercle {
            set.communes.push(zone(
                commune_id(cercle, commune),
                ZoneLevel::Commune,
                Some(cercle_id(cercle)),
            ));
        }
    }
    let table = ZoneTable::from_zone_set(&set);
    World { set, table }
}

/// An incident owning its strings; [`Event::view`] lends it to the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub date: NaiveDate,
    pub source: SourceKind,
    pub event_type: EventType,
    pub sub_event_type: Option<String>,
    pub civilian_targeting: bool,
    pub fatalities: u32,
    pub commune: Option<ZoneId>,
    pub cercle: Option<ZoneId>,
    pub region: Option<ZoneId>,
    pub corridors: Vec<ZoneId>,
}

impl Event {
    pub fn view(&self) -> Incident<'_> {
        Incident {
            id: self.id,
            date: self.date,
            source: self.source,
            event_type: self.event_type,
            sub_event_type: self.sub_event_type.as_deref(),
            disorder_type: Some("Political violence"),
            civilian_targeting: self.civilian_targeting,
            fatalities: self.fatalities,
            commune: self.commune.as_ref(),
            cercle: self.cercle.as_ref(),
            region: self.region.as_ref(),
            corridors: &self.corridors,
        }
    }

    pub fn on_corridor(mut self) -> Event {
        self.corridors.push(id("TR01"));
        self
    }
}

/// An ACLED attack on civilians in commune `k` of cercle `c`.
pub fn attack(
    event_id: i64,
    day: NaiveDate,
    cercle: usize,
    commune: usize,
    fatalities: u32,
) -> Event {
    Event {
        id: event_id,
        date: day,
        source: SourceKind::Acled,
        event_type: EventType::ViolenceAgainstCivilians,
        sub_event_type: Some("Attack".into()),
        civilian_targeting: true,
        fatalities,
        commune: Some(commune_id(cercle, commune)),
        cercle: Some(cercle_id(cercle)),
        region: Some(id("MLR")),
        corridors: Vec::new(),
    }
}

/// An ACLED armed clash.
pub fn clash(
    event_id: i64,
    day: NaiveDate,
    cercle: usize,
    commune: usize,
    fatalities: u32,
) -> Event {
    Event {
        event_type: EventType::Battles,
        sub_event_type: Some("Armed clash".into()),
        civilian_targeting: false,
        ..attack(event_id, day, cercle, commune, fatalities)
    }
}

pub fn views(events: &[Event]) -> impl Iterator<Item = Incident<'_>> {
    events.iter().map(Event::view)
}

/// Seeded histories.
pub struct History {
    pub rng: ChaCha8Rng,
    pub events: Vec<Event>,
    next_id: i64,
}

impl History {
    pub fn new(seed: u64) -> History {
        History {
            rng: ChaCha8Rng::seed_from_u64(seed),
            events: Vec::new(),
            next_id: 1,
        }
    }

    fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id - 1
    }

    /// About one incident a year: one on a random day of each year, an attack or a clash
    /// with 0 to 3 dead.
    pub fn quiet(&mut self, cercle: usize, commune: usize, first_year: i32, last_year: i32) {
        for year in first_year..=last_year {
            let day = date(year, 1, 1) + Duration::days(self.rng.random_range(0..365));
            let fatalities = self.rng.random_range(0..=3);
            let event_id = self.next_id();
            let event = if self.rng.random_bool(0.5) {
                attack(event_id, day, cercle, commune, fatalities)
            } else {
                clash(event_id, day, cercle, commune, fatalities)
            };
            self.events.push(event);
        }
    }

    /// Attacks on villages building up over eight weeks (1, 1, 1, 2, 2, 2, 3, 3 a week on
    /// distinct days, 0 to 4 dead each), then a massacre on `day` (160 dead) — the pattern
    /// of Ogossagou, March 2019.
    pub fn build_up_to_massacre(&mut self, cercle: usize, commune: usize, day: NaiveDate) {
        for (week, attacks) in [1usize, 1, 1, 2, 2, 2, 3, 3].into_iter().enumerate() {
            let week_start = day - Duration::days(7 * (8 - week as i64));
            let mut offsets: Vec<i64> = (0..7).collect();
            for _ in 0..attacks {
                let pick = self.rng.random_range(0..offsets.len());
                let offset = offsets.swap_remove(pick);
                let fatalities = self.rng.random_range(0..=4);
                let event_id = self.next_id();
                self.events.push(attack(
                    event_id,
                    week_start + Duration::days(offset),
                    cercle,
                    commune,
                    fatalities,
                ));
            }
        }
        let event_id = self.next_id();
        self.events
            .push(attack(event_id, day, cercle, commune, 160));
    }

    /// Random events: `count` events over `days` days from `start`, in random communes,
    /// types, sources and fatalities, some on the corridor.
    pub fn random(&mut self, world: &World, count: usize, start: NaiveDate, days: i64) {
        let cercles = world.set.cercles.len();
        let communes = world.set.communes.len() / cercles.max(1);
        for _ in 0..count {
            let day = start + Duration::days(self.rng.random_range(0..days));
            let cercle = self.rng.random_range(1..=cercles);
            let commune = self.rng.random_range(1..=communes);
            let fatalities = if self.rng.random_bool(0.1) {
                self.rng.random_range(5..60)
            } else {
                self.rng.random_range(0..4)
            };
            let event_id = self.next_id();
            let mut event = if self.rng.random_bool(0.5) {
                attack(event_id, day, cercle, commune, fatalities)
            } else {
                clash(event_id, day, cercle, commune, fatalities)
            };
            event.source = [
                SourceKind::Acled,
                SourceKind::Ucdp,
                SourceKind::CommunityVerified,
                SourceKind::CommunityUnverified,
            ][self.rng.random_range(0..4)];
            if self.rng.random_bool(0.2) {
                event = event.on_corridor();
            }
            self.events.push(event);
        }
    }
}
