use serde::{Deserialize, Serialize};

/// How a point was placed in a commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocateStatus {
    /// The point lies inside (or on the boundary of) a commune polygon.
    Inside,
    /// The point lies outside every commune but within the snapping distance of one: it was
    /// given to the nearest (a village just across a border, a boat on the Niger's edge).
    Snapped,
    /// The point is farther than the snapping distance from every commune.
    Outside,
}

impl LocateStatus {
    /// The lowercase name used in CSV and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            LocateStatus::Inside => "inside",
            LocateStatus::Snapped => "snapped",
            LocateStatus::Outside => "outside",
        }
    }
}

/// A corridor whose buffer contains a point, with the point's distance to its centre line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CorridorHit {
    /// Position of the corridor in its [`crate::ZoneSet`].
    pub corridor: u32,
    /// Great-circle distance from the point to the corridor's centre line, in kilometres.
    pub distance_km: f64,
}
