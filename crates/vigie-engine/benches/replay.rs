//! Replay of ten years of one million generated events with the default rules over a
//! Mali-sized geography (9 regions, 50 cercles, 701 communes, 7 corridors).
//!
//! `cargo bench -p vigie-engine --bench replay` (release profile, one thread). The
//! generation is outside the measured time; the measure covers building every series and
//! running every state machine, as `vigie replay` does after reading the store.

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use geo_types::{LineString, MultiPolygon};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigie_domain::{Corridor, EventType, Season, Zone, ZoneId, ZoneLevel, ZoneSet};
use vigie_engine::{Incident, RuleSet, SourceKind, ZoneTable, replay};

const EVENTS: usize = 1_000_000;
const DAYS: i64 = 3653;

fn zone(id: String, level: ZoneLevel, parent: Option<ZoneId>) -> Zone {
    Zone {
        name: format!("Zone {id}"),
        id: ZoneId::new(&id).unwrap(),
        level,
        parent,
        geometry: MultiPolygon(vec![]),
    }
}

fn mali_sized() -> ZoneSet {
    let mut set = ZoneSet {
        name: "bench".into(),
        attribution: String::new(),
        regions: Vec::new(),
        cercles: Vec::new(),
        communes: Vec::new(),
        corridors: Vec::new(),
    };
    for region in 0..9 {
        set.regions
            .push(zone(format!("R{region}"), ZoneLevel::Region, None));
    }
    for cercle in 0..50 {
        let parent = set.regions[cercle % 9].id.clone();
        set.cercles.push(zone(
            format!("C{cercle:02}"),
            ZoneLevel::Cercle,
            Some(parent),
        ));
    }
    for commune in 0..701 {
        let parent = set.cercles[commune % 50].id.clone();
        set.communes.push(zone(
            format!("M{commune:03}"),
            ZoneLevel::Commune,
            Some(parent),
        ));
    }
    for corridor in 0..7 {
        set.corridors.push(Corridor {
            id: ZoneId::new(&format!("TR{corridor:02}")).unwrap(),
            name: format!("Corridor {corridor}"),
            centerline: LineString(vec![]),
            buffer_km: 10.0,
            season: Season::default(),
            approximate: true,
            area: MultiPolygon(vec![]),
        });
    }
    set
}

struct Generated {
    id: i64,
    date: NaiveDate,
    source: SourceKind,
    event_type: EventType,
    sub_event_type: &'static str,
    civilian_targeting: bool,
    fatalities: u32,
    commune: usize,
    corridor: Option<usize>,
}

/// One million events over ten years: a few hot communes take most of them (Pareto-like),
/// ACLED's type mix for the Sahel, a tenth with heavy tolls, some on corridors.
fn generate(set: &ZoneSet) -> Vec<Generated> {
    let mut rng = ChaCha8Rng::seed_from_u64(2019);
    let start = NaiveDate::from_ymd_opt(2014, 1, 1).unwrap();
    let communes = set.communes.len();
    (0..EVENTS)
        .map(|index| {
            let skew: f64 = rng.random::<f64>().powi(4);
            let commune = ((skew * communes as f64) as usize).min(communes - 1);
            let (event_type, sub_event_type, civilian_targeting) = match rng.random_range(0..100) {
                0..35 => (EventType::ViolenceAgainstCivilians, "Attack", true),
                35..65 => (EventType::Battles, "Armed clash", false),
                65..80 => (
                    EventType::ExplosionsRemoteViolence,
                    "Remote explosive/landmine/IED",
                    false,
                ),
                80..85 => (EventType::Riots, "Mob violence", false),
                85..95 => (EventType::Protests, "Peaceful protest", false),
                _ => (
                    EventType::StrategicDevelopments,
                    "Looting/property destruction",
                    false,
                ),
            };
            Generated {
                id: index as i64 + 1,
                date: start + Duration::days(rng.random_range(0..DAYS)),
                source: match rng.random_range(0..20) {
                    0..16 => SourceKind::Acled,
                    16..18 => SourceKind::Ucdp,
                    18 => SourceKind::CommunityVerified,
                    _ => SourceKind::CommunityUnverified,
                },
                event_type,
                sub_event_type,
                civilian_targeting,
                fatalities: if rng.random_bool(0.1) {
                    rng.random_range(5..80)
                } else {
                    rng.random_range(0..4)
                },
                commune,
                corridor: rng.random_bool(0.15).then(|| rng.random_range(0..7)),
            }
        })
        .collect()
}

fn incidents<'a>(
    set: &'a ZoneSet,
    events: &'a [Generated],
) -> impl Iterator<Item = Incident<'a>> + 'a {
    events.iter().map(move |event| {
        let commune = &set.communes[event.commune];
        let cercle = &set.cercles[event.commune % 50];
        Incident {
            id: event.id,
            date: event.date,
            source: event.source,
            event_type: event.event_type,
            sub_event_type: Some(event.sub_event_type),
            disorder_type: Some("Political violence"),
            civilian_targeting: event.civilian_targeting,
            fatalities: event.fatalities,
            commune: Some(&commune.id),
            cercle: Some(&cercle.id),
            region: cercle.parent.as_ref(),
            corridors: match event.corridor {
                Some(corridor) => std::slice::from_ref(&set.corridors[corridor].id),
                None => &[],
            },
        }
    })
}

fn bench_replay(criterion: &mut Criterion) {
    let set = mali_sized();
    let table = ZoneTable::from_zone_set(&set);
    let rules = RuleSet::defaults();
    let events = generate(&set);
    let from = NaiveDate::from_ymd_opt(2014, 1, 1).unwrap();
    let to = from + Duration::days(DAYS - 1);
    let started = Instant::now();
    let transitions = replay(&rules, &table, incidents(&set, &events), from, to);
    eprintln!(
        "one replay: {} events, {} zones, {} rules, {} transitions in {:.3} s",
        events.len(),
        table.len(),
        rules.rules().len(),
        transitions.len(),
        started.elapsed().as_secs_f64()
    );
    let mut group = criterion.benchmark_group("replay");
    group.sample_size(10);
    group.bench_function("1M events, 10 years, default rules", |bencher| {
        bencher.iter(|| replay(&rules, &table, incidents(&set, &events), from, to).len())
    });
    group.finish();
}

criterion_group!(benches, bench_replay);
criterion_main!(benches);
