//! The synthetic ACLED generator: deterministic, realistic for Mali, and read back by the
//! readers with exactly the counts its summary promises.

mod common;

use std::collections::BTreeMap;

use common::{date, options, read_acled, write_file, zones};
use vigie_domain::{EventFlag, EventType};
use vigie_ingest::AcledVintage;
use vigie_ingest::synthetic::{BadRowKind, GenerateOptions, Vintage, generate_acled};
use vigie_spatial::{IndexOptions, SpatialIndex};

fn generate(options: &GenerateOptions) -> (Vec<u8>, vigie_ingest::synthetic::GenerateSummary) {
    let mut bytes = Vec::new();
    let summary = generate_acled(zones(), options, &mut bytes).unwrap();
    (bytes, summary)
}

#[test]
fn same_options_give_the_same_bytes_and_another_seed_other_bytes() {
    let mut options = GenerateOptions::new(3000, 42);
    options.bad_rows_percent = 5.0;
    let (first, first_summary) = generate(&options);
    let (second, second_summary) = generate(&options);
    assert!(first == second, "two runs differ");
    assert_eq!(first_summary, second_summary);
    options.seed = 43;
    let (other, _) = generate(&options);
    assert!(first != other);
}

#[test]
fn damage_comes_from_its_own_stream_so_undamaged_rows_do_not_change() {
    let clean = GenerateOptions::new(2000, 9);
    let damaged = GenerateOptions {
        bad_rows_percent: 10.0,
        ..clean.clone()
    };
    let (clean_bytes, _) = generate(&clean);
    let (damaged_bytes, summary) = generate(&damaged);
    let clean_text = String::from_utf8(clean_bytes).unwrap();
    let damaged_text = String::from_utf8(damaged_bytes).unwrap();
    // Bad quotes may swallow a line break, so compare by record: the clean file's lines are
    // one record each, and every one of them the damaged file did not damage is there as is.
    let damaged_lines: std::collections::HashSet<&str> = damaged_text.lines().collect();
    let kept = clean_text
        .lines()
        .filter(|line| damaged_lines.contains(line))
        .count() as u64;
    assert_eq!(
        kept,
        1 + summary.good_rows,
        "header and every undamaged row"
    );
}

#[test]
fn every_vintage_reads_back_with_the_counts_the_summary_promises() {
    for vintage in [
        Vintage::Current,
        Vintage::Export2019,
        Vintage::Pre2019,
        Vintage::Monadic,
    ] {
        let mut generate_options = GenerateOptions::new(4000, 17);
        generate_options.vintage = vintage;
        generate_options.bad_rows_percent = 8.0;
        if vintage == Vintage::Pre2019 {
            generate_options.from = date(2012, 1, 1);
            generate_options.to = date(2018, 12, 31);
        }
        let (bytes, written) = generate(&generate_options);
        assert_eq!(written.rows, 4000);
        assert_eq!(written.bad_rows(), 320);
        assert_eq!(written.good_rows + written.bad_rows(), written.rows);
        for kind in BadRowKind::ALL {
            assert!(written.bad(kind) > 0, "{vintage}: no {kind:?} rows");
        }
        let directory = tempfile::tempdir().unwrap();
        let path = write_file(&directory, "generated.csv", &bytes);
        let read = read_acled(&path, &options()).unwrap();
        assert_eq!(read.summary.rows_read, 4000, "{vintage}");
        assert_eq!(
            read.quarantined.len() as u64,
            written.unreadable_rows(),
            "{vintage}: {:#?}",
            read.quarantined.iter().take(3).collect::<Vec<_>>()
        );
        assert_eq!(
            read.events.len() as u64,
            written.readable_events,
            "{vintage}"
        );
        let expected_vintage = match vintage {
            Vintage::Current | Vintage::Monadic => AcledVintage::Current,
            Vintage::Export2019 => AcledVintage::Export2019,
            Vintage::Pre2019 => AcledVintage::Pre2019,
        };
        assert_eq!(read.summary.vintage(), Some(expected_vintage));
        assert_eq!(
            read.summary.parts[0].uppercase_headers,
            vintage == Vintage::Pre2019
        );
        match vintage {
            Vintage::Monadic => {
                assert!(written.events < written.rows);
                assert!(
                    read.events
                        .iter()
                        .any(|event| event.flags.contains(&EventFlag::MergedActors))
                );
            }
            Vintage::Pre2019 => {
                assert!(
                    read.events
                        .iter()
                        .all(|event| event.original_event_type.is_some()
                            || event.event_type == EventType::ViolenceAgainstCivilians)
                );
                assert!(
                    read.events
                        .iter()
                        .all(|event| event.source_timestamp.is_none())
                );
            }
            _ => {
                let flagged = read
                    .events
                    .iter()
                    .filter(|event| event.flags.contains(&EventFlag::SwappedCoordinates))
                    .count() as u64;
                assert_eq!(
                    flagged,
                    written.bad(BadRowKind::SwappedCoordinates),
                    "{vintage}"
                );
            }
        }
    }
}

#[test]
fn generated_events_look_like_mali() {
    let mut generate_options = GenerateOptions::new(30_000, 2024);
    generate_options.from = date(2019, 1, 1);
    generate_options.to = date(2024, 12, 31);
    let (bytes, _) = generate(&generate_options);
    let directory = tempfile::tempdir().unwrap();
    let path = write_file(&directory, "mali.csv", &bytes);
    let read = read_acled(&path, &options()).unwrap();
    let events = &read.events;
    assert_eq!(events.len(), 30_000);
    let share = |count: usize| count as f64 / events.len() as f64;

    // ACLED's types in a Sahel-like mix.
    let mut by_type: BTreeMap<EventType, usize> = BTreeMap::new();
    for event in events {
        *by_type.entry(event.event_type).or_default() += 1;
    }
    for (event_type, expected) in [
        (EventType::ViolenceAgainstCivilians, 0.35),
        (EventType::Battles, 0.25),
        (EventType::ExplosionsRemoteViolence, 0.15),
        (EventType::StrategicDevelopments, 0.15),
        (EventType::Protests, 0.07),
        (EventType::Riots, 0.03),
    ] {
        let observed = share(by_type[&event_type]);
        assert!(
            (observed - expected).abs() < 0.015,
            "{event_type}: {observed:.3}"
        );
    }
    for event in events {
        let sub = event.sub_event_type.as_deref().unwrap();
        assert_eq!(event.event_type.canonical_sub_event_type(sub), Some(sub));
    }

    // Fatalities: most events 0–2, some tens, a rare mass-casualty event, none absurd.
    let fatalities: Vec<u32> = events.iter().map(|event| event.fatalities).collect();
    assert!(share(fatalities.iter().filter(|&&count| count <= 2).count()) > 0.75);
    let tens = fatalities
        .iter()
        .filter(|&&count| (10..100).contains(&count))
        .count();
    assert!(
        share(tens) > 0.01 && share(tens) < 0.1,
        "{tens} events with tens killed"
    );
    let mass = fatalities.iter().filter(|&&count| count > 100).count();
    assert!((1..=100).contains(&mass), "{mass} events over 100 killed");
    assert!(fatalities.iter().all(|&count| count <= 600));

    // Where: the centre and the north carry most of the violence; protests are urban.
    let violent: Vec<_> = events
        .iter()
        .filter(|event| event.event_type.is_violent())
        .collect();
    let central_and_north = violent
        .iter()
        .filter(|event| {
            matches!(
                event.admin1.as_deref(),
                Some("Mopti" | "Ségou" | "Gao" | "Tombouctou")
            )
        })
        .count();
    assert!(central_and_north as f64 / violent.len() as f64 > 0.65);
    let protests: Vec<_> = events
        .iter()
        .filter(|event| event.event_type == EventType::Protests)
        .collect();
    let in_bamako = protests
        .iter()
        .filter(|event| event.admin1.as_deref() == Some("Bamako"))
        .count();
    assert!(in_bamako as f64 / protests.len() as f64 > 0.25);

    // Every place is named after the zone set, and lies in Mali's box.
    let zone_names: std::collections::HashSet<&str> = zones()
        .regions
        .iter()
        .map(|zone| zone.name.as_str())
        .collect();
    assert!(
        events
            .iter()
            .all(|event| zone_names.contains(event.admin1.as_deref().unwrap()))
    );
    assert!(events.iter().all(|event| event.flags.is_empty()));

    // Along the corridors in season: of the conflict events inside a corridor's buffer, the
    // share dated in that corridor's season beats the season's share of the year.
    let index = SpatialIndex::build(zones(), IndexOptions::default());
    let mut in_season = 0.0;
    let mut on_corridor = 0.0;
    let mut expected_in_season = 0.0;
    for event in violent.iter() {
        let location = index.locate(event.longitude, event.latitude);
        for hit in &location.corridors {
            let corridor = &zones().corridors[hit.corridor as usize];
            on_corridor += 1.0;
            if corridor.season.contains(event.event_date) {
                in_season += 1.0;
            }
            let days_in_season = (0..365)
                .filter(|day| {
                    corridor
                        .season
                        .contains(date(2021, 1, 1) + chrono::Days::new(*day))
                })
                .count();
            expected_in_season += days_in_season as f64 / 365.0;
        }
    }
    assert!(
        in_season / on_corridor > expected_in_season / on_corridor + 0.03,
        "corridor events in season {:.3}, expected by chance {:.3}",
        in_season / on_corridor,
        expected_in_season / on_corridor
    );

    // Actors under their names of the time, with their codes; edits come after the event.
    for event in events {
        if event.actor1.as_deref() == Some("Wagner Group") {
            assert!(event.event_date >= date(2021, 12, 15));
        }
        if event.actor2.as_deref() == Some("Civilians (Mali)") {
            assert_eq!(event.inter2, Some(7));
        }
        let edited = event.source_timestamp.unwrap();
        let midnight = event
            .event_date
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        assert!(edited > midnight && edited < midnight + 22 * 86_400);
        assert!(event.notes.as_deref().unwrap().starts_with("On "));
    }
    assert!(events.iter().any(
        |event| event.actor1.as_deref() == Some("JNIM: Group for Support of Islam and Muslims")
    ));
    assert!(
        events
            .iter()
            .any(|event| event.actor1.as_deref() == Some("Islamic State (Sahel)"))
    );
    assert!(
        events
            .iter()
            .any(|event| event.actor1.as_deref() == Some("Dan Na Ambassagou"))
    );
    assert!(
        events
            .iter()
            .any(|event| event.actor1.as_deref() == Some("Dozo Communal Militia (Mali)"))
    );
    assert!(
        events
            .iter()
            .all(|event| (date(2019, 1, 1)..=date(2024, 12, 31)).contains(&event.event_date))
    );
}

#[test]
fn nonsense_options_are_refused() {
    let mut options = GenerateOptions::new(10, 1);
    options.bad_rows_percent = 120.0;
    let error = generate_acled(zones(), &options, Vec::new()).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    let mut options = GenerateOptions::new(10, 1);
    options.from = date(2025, 1, 1);
    options.to = date(2024, 1, 1);
    assert!(generate_acled(zones(), &options, Vec::new()).is_err());
    assert_eq!("pre2019".parse::<Vintage>(), Ok(Vintage::Pre2019));
    assert_eq!("2019".parse::<Vintage>(), Ok(Vintage::Export2019));
    assert!("2015".parse::<Vintage>().is_err());
}
