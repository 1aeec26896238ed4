//! UCDP GED onto ACLED's scales, and ACLED's deleted-events list.

mod common;

use std::path::{Path, PathBuf};

use common::{date, options, read_ucdp, write_file, zones};
use vigie_domain::{Deletion, EventSource, EventType};
use vigie_ingest::ReadError;
use vigie_ingest::acled::read_acled_deletions;
use vigie_ingest::synthetic::{GenerateOptions, generate_ucdp};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn ucdp_violence_types_precisions_and_estimates_map_onto_acled_scales() {
    let read = read_ucdp(&fixture("ucdp-ged.csv"), &options()).unwrap();
    assert_eq!(read.summary.rows_read, 6);
    assert_eq!(read.summary.vintage(), None);
    assert_eq!(read.events.len(), 4);

    let dioura = read.event("244726");
    assert_eq!(dioura.source, EventSource::Ucdp);
    assert_eq!(dioura.event_date, date(2019, 1, 27));
    assert_eq!(dioura.event_type, EventType::Battles);
    assert_eq!(dioura.sub_event_type.as_deref(), Some("Armed clash"));
    assert_eq!(
        dioura.original_event_type.as_deref(),
        Some("UCDP type_of_violence 1 (state-based)")
    );
    assert!(!dioura.civilian_targeting);
    assert_eq!(dioura.actor1.as_deref(), Some("Government of Mali"));
    assert_eq!(dioura.actor2.as_deref(), Some("JNIM"));
    assert_eq!(
        (
            dioura.fatalities,
            dioura.fatalities_low,
            dioura.fatalities_high
        ),
        (17, Some(17), Some(25))
    );
    assert_eq!(dioura.geo_precision, Some(1));
    assert_eq!(dioura.time_precision, 1);
    assert_eq!(dioura.admin1.as_deref(), Some("Mopti region"));
    assert_eq!(dioura.admin2.as_deref(), Some("Ténenkou cercle"));
    assert_eq!(dioura.admin3, None);
    assert_eq!(dioura.location.as_deref(), Some("Dioura town"));
    assert_eq!(
        dioura.notes.as_deref(),
        Some("Agence France Presse,2019-01-27,Army repels attack on Dioura")
    );
    assert_eq!(dioura.source_timestamp, None);
    assert_eq!(dioura.fields.len(), 49, "every column is kept");
    assert_eq!(&dioura.fields["conflict_name"], "Mali: Government");

    let gourma = read.event("244727");
    assert_eq!(gourma.event_type, EventType::Battles);
    assert_eq!(
        gourma.original_event_type.as_deref(),
        Some("UCDP type_of_violence 2 (non-state)")
    );
    assert_eq!(
        gourma.geo_precision,
        Some(3),
        "where_prec 4: a second-order unit"
    );
    assert_eq!(gourma.time_precision, 3, "date_prec 4: within a month");
    assert_eq!(
        gourma.event_date,
        date(2020, 4, 18),
        "the first day of the range"
    );

    let ogossagou = read.event("244728");
    assert_eq!(ogossagou.event_type, EventType::ViolenceAgainstCivilians);
    assert_eq!(ogossagou.sub_event_type.as_deref(), Some("Attack"));
    assert_eq!(
        ogossagou.original_event_type.as_deref(),
        Some("UCDP type_of_violence 3 (one-sided)")
    );
    assert!(ogossagou.civilian_targeting);
    assert_eq!(ogossagou.fatalities, 157);

    let countrywide = read.event("244729");
    assert_eq!(
        countrywide.geo_precision, None,
        "where_prec 6: only the country"
    );
    assert_eq!(&countrywide.fields["where_prec"], "6");
    assert_eq!(countrywide.time_precision, 2, "date_prec 2: within a week");
    assert_eq!(
        (countrywide.fatalities_low, countrywide.fatalities_high),
        (None, None)
    );

    let unknown_type = read.quarantined_at(6);
    assert_eq!(unknown_type.source, EventSource::Ucdp);
    assert_eq!(unknown_type.field.as_deref(), Some("type_of_violence"));
    assert_eq!(
        unknown_type.reason,
        "type_of_violence \"4\" is not 1, 2 or 3"
    );
    let negative_low = read.quarantined_at(7);
    assert_eq!(negative_low.field.as_deref(), Some("low"));
    assert_eq!(negative_low.reason, "low -1 is negative");
}

#[test]
fn generated_ucdp_reads_back_with_the_promised_counts() {
    let mut generate = GenerateOptions::new(1500, 8);
    generate.bad_rows_percent = 10.0;
    let mut csv = Vec::new();
    let written = generate_ucdp(zones(), &generate, &mut csv).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = write_file(&directory, "ged.csv", &csv);
    let read = read_ucdp(&path, &options()).unwrap();
    assert_eq!(read.summary.rows_read, 1500);
    assert_eq!(read.quarantined.len() as u64, written.unreadable_rows());
    assert_eq!(read.events.len() as u64, written.readable_events);
    assert!(read.events.iter().all(|event| event.fatalities >= 1));
    assert!(
        read.events
            .iter()
            .any(|event| event.event_type == EventType::ViolenceAgainstCivilians)
    );
}

#[test]
fn ucdp_reader_refuses_a_file_without_its_columns() {
    let read = read_ucdp(&fixture("acled-current.csv"), &options());
    let Err(ReadError::MissingColumns { columns, .. }) = read else {
        panic!("an ACLED file was read as UCDP");
    };
    assert_eq!(columns, vec!["id", "type_of_violence", "date_start"]);
}

#[test]
fn deletion_list_in_csv_any_case_with_bad_rows_reported() {
    let directory = tempfile::tempdir().unwrap();
    let path = write_file(
        &directory,
        "deleted.csv",
        "EVENT_ID_CNTY,Deleted_Timestamp\nMLI4682,1658707200\nMLI30001,2024-03-01\n,1658707300\nMLI30002,soon\n",
    );
    let list = read_acled_deletions(&path, &options()).unwrap();
    assert_eq!(
        list.deletions,
        vec![
            Deletion {
                source_event_id: "MLI4682".into(),
                deleted_at: 1_658_707_200
            },
            Deletion {
                source_event_id: "MLI30001".into(),
                deleted_at: 1_709_251_200
            },
        ]
    );
    assert_eq!(list.refused.len(), 2);
    assert_eq!(list.refused[0].line, 4);
    assert_eq!(list.refused[0].field.as_deref(), Some("event_id_cnty"));
    assert_eq!(list.refused[1].line, 5);
    assert_eq!(list.refused[1].field.as_deref(), Some("deleted_timestamp"));
    assert_eq!(
        list.refused[1].reason,
        "deleted_timestamp \"soon\" is not a Unix time in seconds"
    );
    assert_eq!(list.summary.rows_read, 4);
    assert_eq!(list.summary.quarantined, 2);
}

#[test]
fn deletion_list_from_the_api_and_without_its_columns() {
    let directory = tempfile::tempdir().unwrap();
    let path = write_file(
        &directory,
        "deleted.json",
        r#"{"status":200,"success":true,"count":2,"data":[{"event_id_cnty":"MLI1","deleted_timestamp":"1658707200"},{"event_id_cnty":"MLI2","deleted_timestamp":1658707201}]}"#,
    );
    let list = read_acled_deletions(&path, &options()).unwrap();
    assert_eq!(list.deletions.len(), 2);
    assert_eq!(list.deletions[1].deleted_at, 1_658_707_201);
    let wrong = write_file(
        &directory,
        "events.csv",
        "event_id_cnty,event_date\nMLI1,2020-01-01\n",
    );
    let error = read_acled_deletions(&wrong, &options()).unwrap_err();
    assert!(
        matches!(error, ReadError::MissingColumns { ref columns, .. } if columns == &["deleted_timestamp"])
    );
}
