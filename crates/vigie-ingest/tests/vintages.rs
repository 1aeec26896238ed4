//! Every ACLED vintage and container a user may hold reads into the same events.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{date, options, read_acled, write_file};
use vigie_domain::{EventFlag, EventSource, EventType};
use vigie_ingest::{AcledVintage, DataFormat, TextEncoding};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn current_export_reads_every_typed_field_and_keeps_every_column() {
    let read = read_acled(&fixture("acled-current.csv"), &options()).unwrap();
    assert_eq!(read.summary.rows_read, 5);
    assert_eq!(read.summary.quarantined, 0, "{:#?}", read.quarantined);
    assert_eq!(read.summary.vintage(), Some(AcledVintage::Current));
    assert_eq!(read.summary.format(), Some(DataFormat::Csv));
    assert_eq!(
        read.summary.encoding(),
        TextEncoding::Utf8,
        "accents in UTF-8"
    );
    let sha = read.summary.sha256.as_deref().unwrap();
    assert_eq!(sha.len(), 64);
    assert!(sha.bytes().all(|byte| byte.is_ascii_hexdigit()));

    let ogossagou = read.event("MLI4682");
    assert_eq!(ogossagou.source, EventSource::Acled);
    assert_eq!(ogossagou.event_date, date(2019, 3, 23));
    assert_eq!(ogossagou.time_precision, 1);
    assert_eq!(
        ogossagou.disorder_type.as_deref(),
        Some("Political violence")
    );
    assert_eq!(ogossagou.event_type, EventType::ViolenceAgainstCivilians);
    assert_eq!(ogossagou.sub_event_type.as_deref(), Some("Attack"));
    assert_eq!(ogossagou.original_event_type, None);
    assert_eq!(ogossagou.actor1.as_deref(), Some("Dan Na Ambassagou"));
    assert_eq!(ogossagou.actor2.as_deref(), Some("Civilians (Mali)"));
    assert_eq!(
        ogossagou.associated_actors,
        vec!["Fulani Ethnic Group (Mali)"]
    );
    assert_eq!((ogossagou.inter1, ogossagou.inter2), (Some(4), Some(7)));
    assert!(ogossagou.civilian_targeting);
    assert_eq!(ogossagou.fatalities, 157);
    assert_eq!((ogossagou.latitude, ogossagou.longitude), (14.23, -3.56));
    assert_eq!(ogossagou.geo_precision, Some(1));
    assert_eq!(ogossagou.country.as_deref(), Some("Mali"));
    assert_eq!(ogossagou.admin1.as_deref(), Some("Mopti"));
    assert_eq!(ogossagou.admin2.as_deref(), Some("Bankass"));
    assert_eq!(ogossagou.admin3.as_deref(), Some("Ogossagou"));
    assert_eq!(ogossagou.location.as_deref(), Some("Ogossagou"));
    assert!(
        ogossagou
            .notes
            .as_deref()
            .unwrap()
            .contains("killing 157 civilians")
    );
    assert_eq!(ogossagou.source_timestamp, Some(1_618_326_541));
    assert!(ogossagou.flags.is_empty());
    assert_eq!(ogossagou.fields.len(), 31, "every column is kept");
    assert_eq!(&ogossagou.fields["iso"], "466");
    assert_eq!(&ogossagou.fields["source_scale"], "National-International");
    assert_eq!(&ogossagou.fields["tags"], "");

    let dogofry = read.event("MLI30001");
    assert_eq!(dogofry.time_precision, 2);
    assert_eq!(dogofry.admin1.as_deref(), Some("Ségou"));
    assert_eq!(dogofry.associated_actors, vec!["Wagner Group"]);
    assert!(!dogofry.civilian_targeting, "the column is empty");
    assert_eq!(dogofry.fatalities, 0);
    assert_eq!(dogofry.flags, vec![EventFlag::MissingFatalities]);

    let protest = read.event("MLI30002");
    assert_eq!(protest.event_type, EventType::Protests);
    assert_eq!(
        protest.sub_event_type.as_deref(),
        Some("Peaceful protest"),
        "sub-event types are canonicalised"
    );
    assert_eq!(
        protest.associated_actors,
        vec!["Students (Mali)", "Women (Mali)"]
    );
    assert_eq!(protest.actor2, None);
    assert_eq!(protest.disorder_type.as_deref(), Some("Demonstrations"));
    assert_eq!(&protest.fields["tags"], "crowd size=around 200");

    let strike = read.event("MLI30003");
    assert_eq!((strike.latitude, strike.longitude), (16.1, -3.9));
    assert_eq!(strike.flags, vec![EventFlag::SwappedCoordinates]);

    let kafolo = read.event("MLI30004");
    assert_eq!((kafolo.latitude, kafolo.longitude), (9.59, -4.36));
    assert_eq!(kafolo.flags, vec![EventFlag::OutsideRegion]);
}

#[test]
fn export_2019_reads_long_dates_and_derives_what_it_lacks() {
    let read = read_acled(&fixture("acled-2019-export.csv"), &options()).unwrap();
    assert_eq!(read.summary.vintage(), Some(AcledVintage::Export2019));
    assert_eq!(read.events.len(), 3, "{:#?}", read.quarantined);

    let abduction = read.event("MLI12345");
    assert_eq!(abduction.event_date, date(2020, 12, 31));
    assert_eq!(abduction.event_type, EventType::ViolenceAgainstCivilians);
    assert_eq!(
        abduction.sub_event_type.as_deref(),
        Some("Abduction/forced disappearance")
    );
    assert!(
        abduction.civilian_targeting,
        "derived: violence against civilians"
    );
    assert_eq!(
        abduction.disorder_type.as_deref(),
        Some("Political violence")
    );
    assert_eq!(
        abduction.associated_actors,
        vec!["Dogon Ethnic Group (Mali)"]
    );
    assert_eq!(&abduction.fields["data_id"], "7654321");
    assert_eq!(&abduction.fields["event_id_no_cnty"], "12345");
    assert_eq!(&abduction.fields["iso3"], "MLI");

    let looting = read.event("MLI12346");
    assert_eq!(looting.event_date, date(2021, 1, 1));
    assert!(
        !looting.civilian_targeting,
        "only violence against civilians is derived true"
    );
    assert_eq!(
        looting.disorder_type.as_deref(),
        Some("Strategic developments")
    );
    assert_eq!(looting.admin2.as_deref(), Some("Ménaka"));

    let mob = read.event("MLI12347");
    assert_eq!(mob.event_date, date(2019, 3, 5));
    assert_eq!(mob.time_precision, 3);
    assert_eq!(mob.disorder_type.as_deref(), Some("Demonstrations"));
}

#[test]
fn pre_2019_hdx_file_maps_old_event_types_and_keeps_the_original() {
    let read = read_acled(&fixture("acled-pre2019-hdx.csv"), &options()).unwrap();
    assert_eq!(read.summary.vintage(), Some(AcledVintage::Pre2019));
    assert!(read.summary.parts[0].uppercase_headers);
    assert_eq!(read.events.len(), 7, "{:#?}", read.quarantined);

    let menaka = read.event("MLI1001");
    assert_eq!(menaka.event_date, date(2012, 1, 18), "day-first 18/01/2012");
    assert_eq!(menaka.event_type, EventType::Battles);
    assert_eq!(menaka.sub_event_type.as_deref(), Some("Armed clash"));
    assert_eq!(
        menaka.original_event_type.as_deref(),
        Some("Battle-No change of territory")
    );
    assert_eq!(
        menaka.associated_actors,
        vec!["Ansar Dine", "AQIM: Al Qaeda in the Islamic Maghreb"],
        "ALLY_ACTOR_1 is the associated actors column"
    );
    assert_eq!(
        menaka.source_timestamp, None,
        "no TIMESTAMP column before 2019"
    );
    assert_eq!(
        &menaka.fields["gwno"], "432",
        "names are lowercased in fields"
    );
    assert_eq!(menaka.fields.len(), 25);

    let aguelhok = read.event("MLI1002");
    assert_eq!(aguelhok.event_date, date(2012, 1, 24), "24-January-2012");
    assert_eq!(
        aguelhok.sub_event_type.as_deref(),
        Some("Non-state actor overtakes territory")
    );

    let landmine = read.event("MLI1003");
    assert_eq!(landmine.event_date, date(2012, 2, 5), "5 Feb 2012");
    assert_eq!(landmine.event_type, EventType::ExplosionsRemoteViolence);
    assert_eq!(landmine.sub_event_type, None, "the old label implies none");
    assert_eq!(
        landmine.original_event_type.as_deref(),
        Some("Remote violence")
    );
    assert!(!landmine.civilian_targeting);

    let protest = read.event("MLI1004");
    assert_eq!(protest.event_type, EventType::Protests);
    assert_eq!(protest.disorder_type.as_deref(), Some("Demonstrations"));
    assert_eq!(
        protest.original_event_type.as_deref(),
        Some("Riots/Protests")
    );

    let gao = read.event("MLI1005");
    assert_eq!(gao.event_type, EventType::ViolenceAgainstCivilians);
    assert_eq!(gao.original_event_type, None, "the label is current too");
    assert!(gao.civilian_targeting);
    assert_eq!(gao.notes, None);
    assert_eq!(gao.flags, vec![EventFlag::MissingFatalities]);

    let base = read.event("MLI1006");
    assert_eq!(base.event_type, EventType::StrategicDevelopments);
    assert_eq!(
        base.sub_event_type.as_deref(),
        Some("Headquarters or base established")
    );
    assert_eq!(base.admin3.as_deref(), Some("Sévaré"));

    let split = read.event("MLI1007");
    assert_eq!(split.event_type, EventType::StrategicDevelopments);
    assert_eq!(
        split.original_event_type.as_deref(),
        Some("Strategic development")
    );
    assert_eq!(
        split.disorder_type.as_deref(),
        Some("Strategic developments")
    );
}

#[test]
fn monadic_rows_of_one_event_become_one_event_with_both_actors() {
    let read = read_acled(&fixture("acled-monadic.csv"), &options()).unwrap();
    assert_eq!(read.summary.rows_read, 3);
    assert_eq!(read.summary.events, 2);
    assert_eq!(read.events.len(), 2);
    let attack = read.event("MLI5001");
    assert_eq!(attack.actor1.as_deref(), Some("Islamic State (Sahel)"));
    assert_eq!(attack.actor2.as_deref(), Some("Civilians (Mali)"));
    assert_eq!((attack.inter1, attack.inter2), (Some(2), Some(7)));
    assert_eq!(attack.associated_actors, vec!["Tuareg Ethnic Group (Mali)"]);
    assert_eq!(attack.fatalities, 23, "fatalities are counted once");
    assert_eq!(attack.flags, vec![EventFlag::MergedActors]);
    assert_eq!(
        read.event("MLI5002").actor1.as_deref(),
        Some("Wagner Group")
    );
}

#[test]
fn json_export_array_takes_numbers_and_nulls() {
    let read = read_acled(&fixture("acled-export.json"), &options()).unwrap();
    assert_eq!(read.summary.format(), Some(DataFormat::JsonArray));
    assert_eq!(read.summary.vintage(), Some(AcledVintage::Current));
    assert_eq!(read.summary.rows_read, 2);
    let songho = read.event("MLI7001");
    assert_eq!(songho.fatalities, 32);
    assert_eq!((songho.latitude, songho.longitude), (14.3528, -3.6676));
    assert_eq!((songho.inter1, songho.inter2), (Some(3), Some(7)));
    assert_eq!(songho.source_timestamp, Some(1_639_000_000));
    assert!(songho.civilian_targeting);
    assert_eq!(&songho.fields["year"], "2021");
    assert_eq!(&songho.fields["tags"], "", "null becomes empty");
    assert!(songho.associated_actors.is_empty());
    // The second object has fewer keys: the columns are bound again for it.
    let clash = read.event("MLI7002");
    assert_eq!(clash.event_type, EventType::Battles);
    assert_eq!(clash.fields.len(), 12);
    assert!(
        !clash.civilian_targeting,
        "no civilian_targeting key: derived"
    );
}

#[test]
fn api_response_with_string_values_and_text_actor_types() {
    let read = read_acled(&fixture("acled-api-response.json"), &options()).unwrap();
    assert_eq!(read.summary.format(), Some(DataFormat::JsonApiResponse));
    assert_eq!(read.events.len(), 2, "{:#?}", read.quarantined);
    let tinzaouaten = read.event("MLI8001");
    assert_eq!(tinzaouaten.fatalities, 47);
    assert_eq!(tinzaouaten.inter1, Some(2), "\"Rebel group\"");
    assert_eq!(tinzaouaten.inter2, Some(1), "\"State forces\"");
    assert_eq!(tinzaouaten.associated_actors, vec!["Wagner Group"]);
    assert_eq!(tinzaouaten.source_timestamp, Some(1_722_300_000));
    assert_eq!(
        &tinzaouaten.fields["interaction"],
        "State forces-Rebel group"
    );
    let strike = read.event("MLI8002");
    assert_eq!(strike.flags, vec![EventFlag::MissingFatalities]);
    assert!(strike.civilian_targeting);
}

#[test]
fn zipped_csv_is_read_through_its_archive_and_hashed_as_an_archive() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("acled-mali.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("README.txt", options).unwrap();
    zip.write_all(b"ACLED data export. Terms of use apply.")
        .unwrap();
    zip.start_file("__MACOSX/._mali.csv", options).unwrap();
    zip.write_all(b"\0\x05\x16\x07binary resource fork")
        .unwrap();
    zip.start_file("mali.csv", options).unwrap();
    zip.write_all(&std::fs::read(fixture("acled-current.csv")).unwrap())
        .unwrap();
    zip.finish().unwrap();

    let read = read_acled(&path, &common::options()).unwrap();
    assert!(read.summary.zipped);
    assert_eq!(read.summary.parts.len(), 1, "only the CSV member is read");
    assert!(
        read.summary.parts[0]
            .origin
            .ends_with("acled-mali.zip!mali.csv")
    );
    assert_eq!(read.events.len(), 5);
    assert_eq!(read.event("MLI4682").fatalities, 157);
    let expected_sha = {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(std::fs::read(&path).unwrap());
        digest
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    };
    assert_eq!(read.summary.sha256.as_deref(), Some(expected_sha.as_str()));
}

#[test]
fn latin1_file_is_decoded_without_quarantining_anything() {
    let text = std::fs::read_to_string(fixture("acled-2019-export.csv"))
        .unwrap()
        .replace(
            "Mopti,Bandiagara,Dourou,Dourou",
            "Ségou,Macina,Ténenkou,Ténenkou",
        );
    let (latin1, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&latin1).is_err(),
        "the fixture is not UTF-8"
    );
    let directory = tempfile::tempdir().unwrap();
    let path = write_file(&directory, "latin1.csv", &latin1);
    let read = read_acled(&path, &options()).unwrap();
    assert_eq!(read.quarantined.len(), 0, "{:#?}", read.quarantined);
    assert_eq!(read.summary.encoding(), TextEncoding::Windows1252);
    let event = read.event("MLI12345");
    assert_eq!(event.admin1.as_deref(), Some("Ségou"));
    assert_eq!(event.location.as_deref(), Some("Ténenkou"));
    assert_eq!(&event.fields["admin3"], "Ténenkou");
    assert_eq!(read.event("MLI12346").admin2.as_deref(), Some("Ménaka"));
}

#[test]
fn byte_order_mark_does_not_hide_the_first_column() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(fixture("acled-current.csv")).unwrap());
    let directory = tempfile::tempdir().unwrap();
    let path = write_file(&directory, "bom.csv", bytes);
    let read = read_acled(&path, &options()).unwrap();
    assert_eq!(read.events.len(), 5);
    let event = read.event("MLI4682");
    assert!(event.fields.get("event_id_cnty").is_some());
    assert!(
        event
            .fields
            .iter()
            .all(|(name, _)| !name.starts_with('\u{feff}'))
    );
}

#[test]
fn shuffled_mixed_case_columns_and_unknown_extras_are_kept() {
    let read = read_acled(&fixture("acled-shuffled-extra.csv"), &options()).unwrap();
    assert!(!read.summary.parts[0].uppercase_headers);
    let event = read.event("MLI9001");
    assert_eq!(event.event_date, date(2023, 10, 2));
    assert_eq!(event.event_type, EventType::StrategicDevelopments);
    assert_eq!(event.sub_event_type.as_deref(), Some("Arrests"));
    assert_eq!((event.latitude, event.longitude), (14.4843, -4.197));
    assert_eq!(&event.fields["my_analyst_note"], "checked by field team");
    assert_eq!(&event.fields["population_best"], "120000");
    assert_eq!(
        &event.fields["longitude"], "-4.1970",
        "names trimmed, values as read"
    );
    assert_eq!(
        &event.fields["column_12"], "x",
        "a nameless column gets a name"
    );
    assert_eq!(event.time_precision, 1, "absent: exact day");
    assert_eq!(event.source_timestamp, None);
}

#[test]
fn a_stream_reads_like_a_file_without_a_hash() {
    let bytes = std::fs::read(fixture("acled-api-response.json")).unwrap();
    let mut events = 0;
    let summary = vigie_ingest::acled::read_acled_stream(
        &bytes[..],
        "https://acleddata.com/api/acled/read?page=1",
        &options(),
        |batch| {
            events += batch.events.len();
            Ok::<(), std::convert::Infallible>(())
        },
    )
    .unwrap();
    assert_eq!((summary.rows_read, events), (2, 2));
    assert_eq!(summary.sha256, None);
}
