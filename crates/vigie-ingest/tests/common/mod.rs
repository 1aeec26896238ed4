//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;
use vigie_domain::{Event, QuarantineRecord, ZoneSet};
use vigie_ingest::{FileSummary, IngestOptions, ReadError};

static MALI: &[u8] = include_bytes!("../../../../data/zones/mali-2015.vzs");

/// The reference geography, decoded once per test binary.
pub fn zones() -> &'static ZoneSet {
    static ZONES: OnceLock<ZoneSet> = OnceLock::new();
    ZONES.get_or_init(|| vigie_spatial::codec::decode(MALI).expect("the embedded zone set decodes"))
}

pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

/// Options with a fixed "today", so tests do not age.
pub fn options() -> IngestOptions {
    IngestOptions::new(date(2025, 6, 30))
}

/// Everything a read produced.
pub struct Read {
    pub summary: FileSummary,
    pub events: Vec<Event>,
    pub quarantined: Vec<QuarantineRecord>,
    pub batches: usize,
}

impl Read {
    pub fn event(&self, id: &str) -> &Event {
        self.events
            .iter()
            .find(|event| event.source_event_id == id)
            .unwrap_or_else(|| panic!("no event {id}; quarantined: {:#?}", self.quarantined))
    }

    pub fn quarantined_at(&self, line: u64) -> &QuarantineRecord {
        self.quarantined
            .iter()
            .find(|record| record.line == line)
            .unwrap_or_else(|| {
                panic!(
                    "nothing quarantined at line {line}: {:#?}",
                    self.quarantined
                )
            })
    }
}

pub fn read_acled(path: &Path, options: &IngestOptions) -> Result<Read, ReadError> {
    collect(|handler| vigie_ingest::acled::read_acled(path, options, handler))
}

pub fn read_ucdp(path: &Path, options: &IngestOptions) -> Result<Read, ReadError> {
    collect(|handler| vigie_ingest::ucdp::read_ucdp(path, options, handler))
}

fn collect(
    read: impl FnOnce(
        &mut dyn FnMut(vigie_ingest::ReadBatch) -> Result<(), Infallible>,
    ) -> Result<FileSummary, ReadError>,
) -> Result<Read, ReadError> {
    let mut events = Vec::new();
    let mut quarantined = Vec::new();
    let mut batches = 0;
    let summary = read(&mut |batch| {
        batches += 1;
        events.extend(batch.events);
        quarantined.extend(batch.quarantined);
        Ok(())
    })?;
    Ok(Read {
        summary,
        events,
        quarantined,
        batches,
    })
}

/// Writes `bytes` to `name` in a fresh temporary directory.
pub fn write_file(directory: &tempfile::TempDir, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = directory.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
