//! The live stream's log: what changed, in commit order.
//!
//! The store appends an entry in the same transaction as the change it reports (an import
//! batch, a community report, a warning transition), so a reader that has seen entry `n` has
//! seen every change committed before it, and a change that rolled back left no entry.
//! Entries carry ids and aggregates only, never a report's text, exact position or reporter:
//! readers fetch the rows they may see through the API.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an entry reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamKind {
    /// Events inserted or updated by one import batch (`ref_id`: the import run).
    Event,
    /// A community report recorded (`ref_id`: the report).
    Report,
    /// A warning transition recorded (`ref_id`: the transition's store id).
    Warning,
    /// Hotspots recomputed (`ref_id`: chosen by the publisher).
    Hotspot,
}

impl StreamKind {
    /// Every kind.
    pub const ALL: [StreamKind; 4] = [
        StreamKind::Event,
        StreamKind::Report,
        StreamKind::Warning,
        StreamKind::Hotspot,
    ];

    /// The lowercase name used in the database and as the SSE event name.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Event => "event",
            StreamKind::Report => "report",
            StreamKind::Warning => "warning",
            StreamKind::Hotspot => "hotspot",
        }
    }

    /// Reads a kind from its name.
    pub fn parse(name: &str) -> Option<StreamKind> {
        StreamKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// Whether the public (no key) may see entries of this kind: aggregates only.
    pub fn is_public(self) -> bool {
        matches!(self, StreamKind::Warning | StreamKind::Hotspot)
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamEntry {
    /// Increasing in commit order (gaps are possible: a rolled-back transaction's id).
    pub id: i64,
    /// What changed.
    pub kind: StreamKind,
    /// The id of what changed (see [`StreamKind`]).
    pub ref_id: i64,
    /// When it was appended.
    pub created_at: DateTime<Utc>,
    /// Ids and aggregates (a small JSON object; never reporter data).
    pub payload: serde_json::Value,
}

/// Store ids as closed ranges `[first, last]`, ascending: an import batch's ids are mostly
/// consecutive, so a batch of 10,000 events usually takes a handful of ranges.
///
/// ```
/// assert_eq!(
///     vigie_domain::id_ranges(vec![7, 3, 4, 5, 9, 4]),
///     vec![[3, 5], [7, 7], [9, 9]]
/// );
/// ```
pub fn id_ranges(mut ids: Vec<i64>) -> Vec<[i64; 2]> {
    ids.sort_unstable();
    ids.dedup();
    let mut ranges: Vec<[i64; 2]> = Vec::new();
    for id in ids {
        match ranges.last_mut() {
            Some(last) if last[1].checked_add(1) == Some(id) => last[1] = id,
            _ => ranges.push([id, id]),
        }
    }
    ranges
}
