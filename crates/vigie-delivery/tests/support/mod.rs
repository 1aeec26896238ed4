//! A small synthetic geography, a committees file over it and transitions to route.

#![allow(dead_code)] // each test file uses a different part

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use geo_types::{LineString, MultiPolygon};
use vigie_delivery::{Committees, ZoneHierarchy};
use vigie_domain::{
    Corridor, Season, TransitionKind, WarningLevel, Zone, ZoneId, ZoneLevel, ZoneSet,
};
use vigie_engine::{DateRange, Evidence, Transition, ZoneSummary};

pub fn id(text: &str) -> ZoneId {
    ZoneId::new(text).unwrap()
}

pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

/// 23 March 2019, at the given hour and minute (UTC, which is Bamako time).
pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2019, 3, 23, hour, minute, 0).unwrap()
}

fn zone(id_text: &str, level: ZoneLevel, parent: Option<&str>) -> Zone {
    Zone {
        id: id(id_text),
        name: format!("Zone {id_text}"),
        level,
        parent: parent.map(id),
        geometry: MultiPolygon(vec![]),
    }
}

/// Region `ML05` with cercles `ML0503` (communes `ML050301`–`ML050312`) and `ML0506`
/// (communes `ML050601`–`ML050615`); region `ML04` with cercle `ML0401` and commune
/// `ML040101`; corridor `TR07`.
pub fn zone_set() -> ZoneSet {
    let mut communes = Vec::new();
    for number in 1..=12 {
        communes.push(zone(
            &format!("ML0503{number:02}"),
            ZoneLevel::Commune,
            Some("ML0503"),
        ));
    }
    for number in 1..=15 {
        communes.push(zone(
            &format!("ML0506{number:02}"),
            ZoneLevel::Commune,
            Some("ML0506"),
        ));
    }
    communes.push(zone("ML040101", ZoneLevel::Commune, Some("ML0401")));
    ZoneSet {
        name: "test".into(),
        attribution: String::new(),
        regions: vec![
            zone("ML05", ZoneLevel::Region, None),
            zone("ML04", ZoneLevel::Region, None),
        ],
        cercles: vec![
            zone("ML0503", ZoneLevel::Cercle, Some("ML05")),
            zone("ML0506", ZoneLevel::Cercle, Some("ML05")),
            zone("ML0401", ZoneLevel::Cercle, Some("ML04")),
        ],
        communes,
        corridors: vec![Corridor {
            id: id("TR07"),
            name: "Séno".into(),
            centerline: LineString(vec![]),
            buffer_km: 20.0,
            season: Season::default(),
            approximate: true,
            area: MultiPolygon(vec![]),
        }],
    }
}

/// The embedded reference geography (Mali, 2015 communes).
pub fn mali() -> ZoneSet {
    vigie_spatial::codec::decode(include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/zones/mali-2015.vzs"
    )))
    .expect("the reference zone set decodes")
}

pub fn hierarchy() -> ZoneHierarchy {
    ZoneHierarchy::from_zone_set(&zone_set())
}

/// A regional committee on `ML05` (alerte and above, quiet 22:00-06:00) with two members,
/// a cercle committee on `ML0503`, a communal committee on `ML050308` and one on the
/// neighbouring commune `ML050309`, and a committee for the corridor `TR07`.
pub const COMMITTEES: &str = r#"
[defaults.grouping]
group_wait = "30s"
group_interval = "5m"
repeat_interval = "24h"

[[committee]]
id = "crs-mopti"
name = "CRS Mopti"
kind = "regional"
zones = ["ML05"]
min_level = "alerte"
quiet_hours = "22:00-06:00"

[[committee.member]]
id = "awa"
name = "Awa"
phone = "+44 7700 900001"
email = "awa@example.org"
channels = ["sms", "email"]

[[committee.member]]
id = "john"
name = "John"
email = "john@example.org"
channels = ["email"]
language = "en"

[[committee]]
id = "cls-bankass"
name = "CLS Bankass"
kind = "cercle"
zones = ["ML0503"]

[[committee.member]]
id = "moussa"
name = "Moussa"
phone = "+44 7700 900002"
channels = ["sms"]

[[committee]]
id = "ccs-ouonkoro"
name = "CCS Ouonkoro"
kind = "communal"
zones = ["ML050308"]

[[committee.member]]
id = "fatoumata"
name = "Fatoumata"
phone = "+44 7700 900003"
channels = ["sms"]

[[committee]]
id = "ccs-segue"
name = "CCS Ségué"
kind = "communal"
zones = ["ML050309"]

[[committee.member]]
id = "hamadoun"
name = "Hamadoun"
phone = "+44 7700 900004"
channels = ["sms"]

[[committee]]
id = "corridor-seno"
name = "Observatoire du Séno"
kind = "regional"
zones = ["TR07"]

[[committee.member]]
id = "oumar"
name = "Oumar"
email = "oumar@example.org"
channels = ["email"]
"#;

pub fn committees() -> Committees {
    Committees::from_toml(COMMITTEES, &hierarchy()).expect("the test committees are valid")
}

/// A transition of rule `civilians` in `zone` (level from the id's length).
pub fn transition(
    zone_id: &str,
    kind: TransitionKind,
    level: Option<WarningLevel>,
    previous_level: Option<WarningLevel>,
) -> Transition {
    let zone_level = match zone_id.len() {
        4 if zone_id.starts_with("TR") => ZoneLevel::Corridor,
        4 => ZoneLevel::Region,
        6 => ZoneLevel::Cercle,
        _ => ZoneLevel::Commune,
    };
    Transition {
        episode: format!("civilians/{zone_id}/2019-03-20"),
        rule: "civilians".into(),
        zone: ZoneSummary {
            id: id(zone_id),
            level: zone_level,
            name: format!("Zone {zone_id}"),
        },
        transition: kind,
        level,
        at: date(2019, 3, 23),
        evidence: Evidence {
            window: DateRange {
                from: date(2019, 2, 24),
                to: date(2019, 3, 23),
            },
            events: 4.0,
            event_count: 4,
            fatalities: 160,
            days: 2,
            event_ids: vec![1, 2, 3, 4],
            baseline: None,
            statistic: None,
            reason: None,
            late_event_ids: Vec::new(),
        },
        previous_level,
        severity: level.map(WarningLevel::cap_severity),
        late: false,
        inhibited_by: None,
    }
}

pub fn opened(zone_id: &str, level: WarningLevel) -> Transition {
    transition(zone_id, TransitionKind::Opened, Some(level), None)
}
