//! What the stream log says about each change: small JSON objects of ids and aggregates,
//! the same on both backends.
//!
//! Never a report's text, exact coordinates, channel message id or reporter: the log is read
//! by the live stream, which serves researchers and (for warnings) the public.

use serde_json::{Value, json};
use vigie_domain::store::StoreError;
use vigie_domain::{NewReport, ReportStatus, StreamKind, WarningRecord, id_ranges};

/// The most id ranges an event entry lists; a batch scattered wider says `truncated` and
/// readers page the run's events instead.
pub(crate) const MAX_ID_RANGES: usize = 256;

/// The entry of an import batch that inserted or updated `changed` events (store ids).
pub(crate) fn batch_payload(run: i64, inserted: u64, updated: u64, changed: Vec<i64>) -> Value {
    let mut ranges = id_ranges(changed);
    let truncated = ranges.len() > MAX_ID_RANGES;
    ranges.truncate(MAX_ID_RANGES);
    json!({
        "run": run,
        "inserted": inserted,
        "updated": updated,
        "ids": ranges,
        "truncated": truncated,
    })
}

/// The entry of a recorded report: its status, and for an understood incident its event's
/// store id, type, day, fatalities and zones (commune and above: never the exact point).
pub(crate) fn report_payload(
    report_id: i64,
    status: ReportStatus,
    report: &NewReport,
    event_id: Option<i64>,
) -> Value {
    let location = report.location.as_ref();
    let zone = |pick: fn(&vigie_domain::EventLocation) -> Option<&vigie_domain::ZoneId>| {
        location
            .and_then(pick)
            .map(|zone| Value::from(zone.as_str()))
            .unwrap_or(Value::Null)
    };
    let mut payload = json!({
        "report": report_id,
        "status": status.as_str(),
        "event": event_id,
        "commune": zone(|location| location.commune.as_ref()),
        "cercle": zone(|location| location.cercle.as_ref()),
        "region": zone(|location| location.region.as_ref()),
    });
    if let Some(incident) = &report.incident {
        if payload["commune"].is_null() {
            payload["commune"] = Value::from(incident.commune.as_str());
        }
        payload["event_type"] = Value::from(incident.event_type.label());
        payload["occurred_on"] = Value::from(incident.occurred_on.to_string());
        payload["fatalities"] = Value::from(incident.fatalities);
    }
    payload
}

/// The entry of a recorded warning transition (public: zone aggregates only; the engine's
/// evidence stays in the warnings table).
pub(crate) fn warning_payload(warning_id: i64, warning: &WarningRecord) -> Value {
    json!({
        "warning": warning_id,
        "episode": warning.episode,
        "rule": warning.rule,
        "zone": warning.zone.as_str(),
        "zone_level": warning.zone_level.as_str(),
        "zone_name": warning.zone_name,
        "kind": warning.kind.as_str(),
        "level": warning.level.map(|level| level.as_str()),
        "previous_level": warning.previous_level.map(|level| level.as_str()),
        "day": warning.at.to_string(),
        "late": warning.late,
    })
}

/// Refuses to publish a kind the store logs itself (see `Store::publish_stream`).
pub(crate) fn check_publishable(kind: StreamKind) -> Result<(), StoreError> {
    match kind {
        StreamKind::Hotspot => Ok(()),
        StreamKind::Event | StreamKind::Report | StreamKind::Warning => Err(StoreError::Conflict(
            format!("{kind} entries are logged by the store in the transaction that stores them"),
        )),
    }
}

/// Reads a stored kind.
pub(crate) fn parse_kind(text: &str) -> Result<StreamKind, StoreError> {
    StreamKind::parse(text)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown stream entry kind {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scattered_batch_lists_at_most_the_first_ranges() {
        let scattered: Vec<i64> = (0..1000).map(|index| index * 2).collect();
        let payload = batch_payload(1, 1000, 0, scattered);
        assert_eq!(payload["ids"].as_array().unwrap().len(), MAX_ID_RANGES);
        assert_eq!(payload["truncated"], true);
        let consecutive = batch_payload(1, 3, 0, vec![5, 6, 7]);
        assert_eq!(consecutive["ids"], json!([[5, 7]]));
        assert_eq!(consecutive["truncated"], false);
    }
}
