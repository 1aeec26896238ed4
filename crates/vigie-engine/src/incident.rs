//! What the engine reads of an event: its date, what it was, who reported it and where.

use chrono::NaiveDate;
use vigie_domain::store::StoredEvent;
use vigie_domain::{EventSource, EventType, ReportStatus, ZoneId};

use crate::rules::SourceKind;

/// An event as rules see it, borrowed from wherever it is stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incident<'a> {
    /// Store id: unique, and the tie-break of every ordering (evidence lists it).
    pub id: i64,
    /// The day it happened (rules evaluate it on that day, however late it arrives).
    pub date: NaiveDate,
    /// Where the record came from.
    pub source: SourceKind,
    /// ACLED event type.
    pub event_type: EventType,
    /// ACLED sub-event type, if known.
    pub sub_event_type: Option<&'a str>,
    /// ACLED disorder type, if known.
    pub disorder_type: Option<&'a str>,
    /// Whether civilians were targeted.
    pub civilian_targeting: bool,
    /// Fatalities.
    pub fatalities: u32,
    /// Commune, if the event was located in one.
    pub commune: Option<&'a ZoneId>,
    /// Cercle.
    pub cercle: Option<&'a ZoneId>,
    /// Region.
    pub region: Option<&'a ZoneId>,
    /// Corridors whose buffer contains the event.
    pub corridors: &'a [ZoneId],
}

impl<'a> Incident<'a> {
    /// The incident of a stored event; `None` for a community report an analyst rejected
    /// (it never counts).
    pub fn from_stored(stored: &'a StoredEvent) -> Option<Incident<'a>> {
        let event = &stored.located.event;
        let location = &stored.located.location;
        let source = match (event.source, stored.verification) {
            (EventSource::Acled, _) => SourceKind::Acled,
            (EventSource::Ucdp, _) => SourceKind::Ucdp,
            (EventSource::Community, Some(ReportStatus::Verified)) => SourceKind::CommunityVerified,
            (EventSource::Community, Some(ReportStatus::Rejected)) => return None,
            (EventSource::Community, _) => SourceKind::CommunityUnverified,
        };
        Some(Incident {
            id: stored.id,
            date: event.event_date,
            source,
            event_type: event.event_type,
            sub_event_type: event.sub_event_type.as_deref(),
            disorder_type: event.disorder_type.as_deref(),
            civilian_targeting: event.civilian_targeting,
            fatalities: event.fatalities,
            commune: location.commune.as_ref(),
            cercle: location.cercle.as_ref(),
            region: location.region.as_ref(),
            corridors: &location.corridors,
        })
    }
}
