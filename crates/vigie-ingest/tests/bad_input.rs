//! Bad rows go to quarantine with their line, column and reason, and never take good rows
//! with them; only faults of the whole file are errors.

mod common;

use std::io::Write;

use common::{options, read_acled, write_file};
use vigie_domain::EventFlag;
use vigie_ingest::ReadError;
use vigie_ingest::synthetic::{BadRowKind, GenerateOptions, generate_acled};

const HEADER: &str = "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp";

/// A sound current-format row, with some columns replaced (by name).
fn row(id: &str, changes: &[(&str, &str)]) -> String {
    let mut values: Vec<String> = [
        id,
        "2021-06-05",
        "2021",
        "1",
        "Political violence",
        "Violence against civilians",
        "Attack",
        "Unidentified Armed Group (Mali)",
        "",
        "3",
        "Civilians (Mali)",
        "",
        "7",
        "37",
        "Civilian targeting",
        "466",
        "Western Africa",
        "Mali",
        "Mopti",
        "Bankass",
        "Segue",
        "Segue",
        "14.1000",
        "-3.6000",
        "1",
        "Studio Tamani",
        "National",
        "\"Gunmen attacked the village, killing 2.\"",
        "2",
        "",
        "1623000000",
    ]
    .iter()
    .map(|value| value.to_string())
    .collect();
    let columns: Vec<&str> = HEADER.split(',').collect();
    for (column, value) in changes {
        let position = columns.iter().position(|name| name == column).unwrap();
        values[position] = value.to_string();
    }
    values.join(",")
}

#[test]
fn every_kind_of_bad_row_is_quarantined_with_line_column_and_reason() {
    let long_notes = format!("\"{}\"", "x".repeat(5000));
    let mut without_a_column: Vec<String> =
        row("MLI17", &[]).split(',').map(String::from).collect();
    without_a_column.remove(2);
    let lines: Vec<String> = vec![
        HEADER.to_owned(),                            // 1
        row("MLI1", &[]),                             // 2 good
        row("MLI2", &[("event_date", "2019-02-30")]), // 3
        row("MLI3", &[("event_date", "2099-01-01")]), // 4
        row("MLI4", &[("event_date", "1950-01-01")]), // 5
        row("MLI5", &[("fatalities", "-3")]),         // 6
        row("MLI6", &[("fatalities", "many")]),       // 7
        row("MLI7", &[("latitude", "\"14,23\"")]),    // 8
        row("MLI8", &[("longitude", "")]),            // 9
        row("MLI9", &[("latitude", "95.5")]),         // 10
        row("", &[]),                                 // 11
        row("MLI11", &[("event_type", "")]),          // 12
        row("MLI12", &[("event_type", "Picnic")]),    // 13
        row(
            "MLI13",
            &[("event_type", "Battles"), ("sub_event_type", "Attack")],
        ), // 14
        row("MLI14", &[("time_precision", "4")]),     // 15
        row("MLI15", &[("timestamp", "yesterday")]),  // 16
        row("MLI16", &[("sub_event_type", "Picnic")]), // 17
        without_a_column.join(","),                   // 18
        format!("{},extra", row("MLI18", &[])),       // 19
        row(
            "MLI19",
            &[("notes", "\"Gunmen of \"Katiba Macina\" attacked\"")],
        ), // 20
        row("MLI20", &[("notes", "\"Gunmen attacked, no closing quote")]), // 21
        row("MLI21", &[]),                            // 22 good, recovered
        row(
            "MLI22",
            &[("notes", "\"First line\nsecond line, of the notes\"")],
        ), // 23-24 good
        row("MLI23", &[("notes", &long_notes)]),      // 25
        row(
            "MLI24",
            &[("latitude", "-3.6000"), ("longitude", "14.1000")],
        ), // 26 good, swapped
        row("MLI25", &[("admin3", "S\u{e9}gu\u{e9}")]), // 27 good, Latin-1 below
        row("MLI26", &[("fatalities", "")]),          // 28 good, no count
    ];
    let mut bytes = lines.join("\r\n").into_bytes();
    bytes.extend_from_slice(b"\r\n");
    // Line 27 in Windows-1252: its é is one byte, not valid UTF-8.
    let utf8_accented = "S\u{e9}gu\u{e9}".as_bytes().to_vec();
    let position = bytes
        .windows(utf8_accented.len())
        .position(|window| window == utf8_accented)
        .unwrap();
    bytes.splice(
        position..position + utf8_accented.len(),
        b"S\xE9gu\xE9".iter().copied(),
    );

    let directory = tempfile::tempdir().unwrap();
    let path = write_file(&directory, "bad.csv", &bytes);
    let mut options = options();
    options.max_record_bytes = 4096;
    let read = read_acled(&path, &options).unwrap();

    let expect = |line: u64, field: Option<&str>, reason: &str| {
        let record = read.quarantined_at(line);
        assert_eq!(record.field.as_deref(), field, "line {line}: {record:#?}");
        assert!(
            record.reason.contains(reason),
            "line {line}: {:?} should contain {reason:?}",
            record.reason
        );
        assert_eq!(record.origin, path.display().to_string());
    };
    expect(
        3,
        Some("event_date"),
        "event_date \"2019-02-30\" is not a valid date",
    );
    expect(
        4,
        Some("event_date"),
        "event_date 2099-01-01 is in the future (today is 2025-06-30)",
    );
    expect(
        5,
        Some("event_date"),
        "is before the earliest accepted date, 1989-01-01",
    );
    expect(6, Some("fatalities"), "fatalities -3 is negative");
    expect(
        7,
        Some("fatalities"),
        "fatalities \"many\" is not a whole number",
    );
    expect(
        8,
        Some("latitude"),
        "latitude \"14,23\" is not a number in decimal degrees",
    );
    expect(9, Some("longitude"), "longitude is empty");
    expect(
        10,
        Some("latitude"),
        "latitude 95.5 is out of range (-90 to 90)",
    );
    expect(11, Some("event_id_cnty"), "event_id_cnty is empty");
    expect(12, Some("event_type"), "event_type is empty");
    expect(
        13,
        Some("event_type"),
        "event_type \"Picnic\" is neither a current nor a pre-2019 ACLED event type",
    );
    expect(
        14,
        Some("sub_event_type"),
        "sub_event_type \"Attack\" is not a sub-event type of Battles",
    );
    expect(
        15,
        Some("time_precision"),
        "time_precision \"4\" is not one of 1–3",
    );
    expect(
        16,
        Some("timestamp"),
        "timestamp \"yesterday\" is not a Unix time in seconds",
    );
    expect(
        17,
        Some("sub_event_type"),
        "sub_event_type \"Picnic\" is not a sub-event type of Violence against civilians",
    );
    expect(
        18,
        None,
        "wrong number of fields: 30 where the header has 31",
    );
    expect(
        19,
        None,
        "wrong number of fields: 32 where the header has 31",
    );
    expect(
        20,
        Some("notes"),
        "malformed quoting in column \"notes\": text follows a closing quote",
    );
    expect(
        21,
        Some("notes"),
        "malformed quoting in column \"notes\": the quoted value runs on over the following lines",
    );
    expect(
        25,
        None,
        "record longer than the 4096-byte limit; skipped unread",
    );

    // The raw text is kept, without its line terminator.
    assert_eq!(read.quarantined_at(6).raw, lines[5]);
    assert!(
        read.quarantined_at(21)
            .raw
            .ends_with("no closing quote,2,,1623000000")
    );

    let quarantined_lines: Vec<u64> = read.quarantined.iter().map(|record| record.line).collect();
    assert_eq!(
        quarantined_lines,
        vec![
            3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 25
        ],
        "each bad row once, in file order"
    );
    let mut ids: Vec<&str> = read
        .events
        .iter()
        .map(|event| event.source_event_id.as_str())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        vec!["MLI1", "MLI21", "MLI22", "MLI24", "MLI25", "MLI26"],
        "every good row comes through"
    );
    assert_eq!(read.summary.rows_read, 26);
    assert_eq!(read.summary.quarantined, 20);

    assert_eq!(
        read.event("MLI22").notes.as_deref(),
        Some("First line\nsecond line, of the notes")
    );
    assert_eq!(
        read.event("MLI24").flags,
        vec![EventFlag::SwappedCoordinates]
    );
    assert_eq!(read.event("MLI25").admin3.as_deref(), Some("Ségué"));
    assert_eq!(
        read.event("MLI26").flags,
        vec![EventFlag::MissingFatalities]
    );
    assert_eq!(
        read.summary.encoding(),
        vigie_ingest::TextEncoding::Windows1252
    );
}

#[test]
fn a_file_with_ten_percent_bad_rows_imports_the_other_ninety() {
    let mut generate = GenerateOptions::new(5000, 11);
    generate.bad_rows_percent = 10.0;
    let mut csv = Vec::new();
    let written = generate_acled(common::zones(), &generate, &mut csv).unwrap();
    assert_eq!(written.bad_rows(), 500);
    assert_eq!(written.good_rows, 4500);
    let directory = tempfile::tempdir().unwrap();
    let path = write_file(&directory, "ten-percent.csv", &csv);
    let read = read_acled(&path, &options()).unwrap();
    let swapped = written.bad(BadRowKind::SwappedCoordinates);
    assert!(swapped > 0);
    assert_eq!(read.summary.rows_read, 5000);
    assert_eq!(read.quarantined.len() as u64, 500 - swapped);
    assert_eq!(
        read.events.len() as u64,
        4500 + swapped,
        "the 90 % and the recoverable rows"
    );
    let flagged = read
        .events
        .iter()
        .filter(|event| event.flags.contains(&EventFlag::SwappedCoordinates))
        .count() as u64;
    assert_eq!(flagged, swapped);
}

#[test]
fn a_json_element_that_is_not_an_object_is_quarantined_alone() {
    let directory = tempfile::tempdir().unwrap();
    let path = write_file(
        &directory,
        "mixed.json",
        r#"[{"event_id_cnty":"MLI1","event_date":"2021-01-01","event_type":"Riots","latitude":"12.6","longitude":"-8.0"},
            "MLI2,2021-01-02",
            {"event_id_cnty":"MLI3","event_date":"2021-01-03","event_type":"Riots","sub_event_type":"Kermesse","latitude":"12.6","longitude":"-8.0"}]"#,
    );
    let read = read_acled(&path, &options()).unwrap();
    assert_eq!(read.events.len(), 1);
    let not_an_object = read.quarantined_at(2);
    assert_eq!(not_an_object.reason, "record 2 is not a JSON object");
    assert_eq!(not_an_object.raw, "\"MLI2,2021-01-02\"");
    let bad_sub_type = read.quarantined_at(3);
    assert_eq!(bad_sub_type.field.as_deref(), Some("sub_event_type"));
    assert!(bad_sub_type.raw.contains("\"sub_event_type\":\"Kermesse\""));
}

#[test]
fn faults_of_the_whole_file_are_errors_that_name_it() {
    let directory = tempfile::tempdir().unwrap();
    let read = |name: &str, bytes: &[u8]| {
        let path = write_file(&directory, name, bytes);
        let error = read_acled(&path, &options())
            .err()
            .unwrap_or_else(|| panic!("{name} was read"));
        assert!(
            error.to_string().contains(name),
            "{error} does not name {name}"
        );
        error
    };
    let missing = read_acled(&directory.path().join("absent.csv"), &options())
        .err()
        .unwrap();
    assert!(matches!(missing, ReadError::Io { .. }), "{missing}");
    assert!(missing.to_string().contains("absent.csv"));

    assert!(matches!(read("empty.csv", b""), ReadError::NoHeader { .. }));
    assert!(matches!(
        read("blank.csv", b"\n\r\n\n"),
        ReadError::NoHeader { .. }
    ));
    let no_coordinates = read(
        "no-coordinates.csv",
        b"event_id_cnty,event_date,fatalities\nMLI1,2020-01-01,0\n",
    );
    assert_eq!(
        no_coordinates.to_string(),
        format!(
            "{} has no latitude, no longitude column",
            directory.path().join("no-coordinates.csv").display()
        )
    );
    assert!(matches!(
        read("gzip.csv.gz", b"\x1f\x8b\x08\x00rest"),
        ReadError::UnsupportedFormat { .. }
    ));
    assert!(matches!(
        read("binary.dat", b"\x00\x01\x02\x03 not text"),
        ReadError::UnsupportedFormat { .. }
    ));
    assert!(matches!(
        read(
            "refusal.json",
            br#"{"status":403,"success":false,"error":{"message":"Access denied"}}"#
        ),
        ReadError::Json { .. }
    ));
    assert!(matches!(
        read("truncated.json", br#"[{"event_id_cnty":"MLI1","#),
        ReadError::Json { .. }
    ));
    assert!(matches!(
        read("no-columns.json", br#"[{"id":"1","date":"2020-01-01"}]"#),
        ReadError::MissingColumns { .. }
    ));

    let zip_of = |name: &str, members: &[(&str, &[u8])]| {
        let path = directory.path().join(name);
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        for (member, bytes) in members {
            zip.start_file(*member, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
        std::fs::read(&path).unwrap()
    };
    let readme_only = zip_of("readme-only.zip", &[("README.txt", b"nothing here")]);
    assert!(matches!(
        read("readme-only.zip", &readme_only),
        ReadError::NothingInZip { .. }
    ));
    let workbook = zip_of(
        "workbook.xlsx",
        &[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", b"<workbook/>"),
        ],
    );
    let error = read("workbook.xlsx", &workbook);
    assert!(error.to_string().contains("Excel workbook"), "{error}");
}

#[test]
fn batches_follow_batch_rows_and_never_split_an_event() {
    let mut generate = GenerateOptions::new(1050, 5);
    generate.vintage = vigie_ingest::synthetic::Vintage::Monadic;
    let mut csv = Vec::new();
    let written = generate_acled(common::zones(), &generate, &mut csv).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = write_file(&directory, "monadic.csv", &csv);
    let mut options = options();
    options.batch_rows = 100;
    let mut batches = Vec::new();
    let summary = vigie_ingest::acled::read_acled(&path, &options, |batch| {
        batches.push(batch);
        Ok::<(), std::convert::Infallible>(())
    })
    .unwrap();
    assert_eq!(batches.len(), 11);
    assert!(batches[..10].iter().all(|batch| batch.rows_read == 100));
    assert_eq!(batches[10].rows_read, 50);
    assert_eq!(summary.events, written.readable_events);
    for pair in batches.windows(2) {
        let last = pair[0].events.last().unwrap();
        let first = pair[1].events.first().unwrap();
        assert_ne!(
            last.source_event_id, first.source_event_id,
            "an event split across batches"
        );
    }
    let merged = batches
        .iter()
        .flat_map(|batch| &batch.events)
        .filter(|event| event.flags.contains(&EventFlag::MergedActors))
        .count();
    assert!(merged > 400, "two-actor events are merged: {merged}");
}

#[test]
fn a_failing_batch_handler_stops_the_read_and_its_error_comes_back() {
    let mut csv = Vec::new();
    generate_acled(common::zones(), &GenerateOptions::new(500, 1), &mut csv).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = write_file(&directory, "events.csv", &csv);
    let mut options = options();
    options.batch_rows = 100;
    let mut calls = 0;
    let outcome = vigie_ingest::acled::read_acled(&path, &options, |_| {
        calls += 1;
        Err("database is locked")
    });
    assert!(matches!(
        outcome,
        Err(ReadError::Handler("database is locked"))
    ));
    assert_eq!(calls, 1);
}
