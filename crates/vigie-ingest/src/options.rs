use chrono::NaiveDate;
use serde::Deserialize;

/// The box, in WGS84 degrees, outside which coordinates are flagged (never dropped).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionOfInterest {
    /// Western edge (longitude).
    pub min_lon: f64,
    /// Southern edge (latitude).
    pub min_lat: f64,
    /// Eastern edge (longitude).
    pub max_lon: f64,
    /// Northern edge (latitude).
    pub max_lat: f64,
}

impl RegionOfInterest {
    /// Mali's bounding box with a quarter-degree margin.
    pub const MALI: RegionOfInterest = RegionOfInterest {
        min_lon: -12.5,
        min_lat: 9.9,
        max_lon: 4.5,
        max_lat: 25.25,
    };

    /// Whether the point lies in the box (edges included).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }
}

/// How readers validate records.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOptions {
    /// Coordinates outside this box are flagged `outside_region`; coordinates that fall in it
    /// only once latitude and longitude are exchanged are swapped back and flagged.
    pub region: RegionOfInterest,
    /// Records longer than this (bytes) are quarantined unread.
    pub max_record_bytes: usize,
    /// Rows per batch handed to the store.
    pub batch_rows: usize,
    /// Today, for refusing events dated in the future (injectable for tests).
    pub today: NaiveDate,
    /// Events dated before this are refused as impossible (ACLED starts in 1997, UCDP in
    /// 1989).
    pub earliest_date: NaiveDate,
}

impl IngestOptions {
    /// Defaults for Mali, with `today` as given.
    pub fn new(today: NaiveDate) -> IngestOptions {
        IngestOptions {
            region: RegionOfInterest::MALI,
            max_record_bytes: 64 * 1024,
            batch_rows: 20_000,
            today,
            earliest_date: NaiveDate::from_ymd_opt(1989, 1, 1).expect("a valid date"),
        }
    }
}
