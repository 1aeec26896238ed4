//! The `reports` collection: community reports for researchers, coarsened to their commune.
//!
//! A report's point is its commune's representative point, never the coordinates a form gave;
//! its properties never carry the reporter, the text, the channel's message id or anything
//! else that could lead back to a monitor. Rejected reports are left out.

use std::sync::Arc;

use serde_json::{Map, Value};
use vigie_domain::sms::CommuneDirectory;
use vigie_domain::store::ReportQuery;
use vigie_domain::{Report, ReportStatus, ZoneId};

use super::catalog::{
    Collection, CollectionMeta, Feature, FeatureId, Page, Property, PropertyKind, integer_cursor,
};
use super::geometry::point_json;
use super::params::{ItemsQuery, Parameter};
use crate::error::AppError;
use crate::state::AppState;

static PROPERTIES: [Property; 10] = [
    Property::required(
        "status",
        PropertyKind::Text,
        "#status",
        "verified or unverified.",
    ),
    Property::required(
        "date",
        PropertyKind::Date,
        "#date+occurred",
        "Day of the incident (the day received when the report names none).",
    ),
    Property::optional(
        "event_type",
        PropertyKind::Text,
        "#event+type",
        "ACLED event type the report was read as.",
    ),
    Property::optional(
        "sub_event_type",
        PropertyKind::Text,
        "#event+type+sub",
        "ACLED sub-event type.",
    ),
    Property::optional(
        "fatalities",
        PropertyKind::Integer,
        "#affected+killed",
        "Deaths reported.",
    ),
    Property::optional(
        "injured",
        PropertyKind::Integer,
        "#affected+injured",
        "Injured reported.",
    ),
    Property::optional(
        "commune",
        PropertyKind::Text,
        "#adm3+code",
        "Commune P-code.",
    ),
    Property::optional("cercle", PropertyKind::Text, "#adm2+code", "Cercle P-code."),
    Property::optional("region", PropertyKind::Text, "#adm1+code", "Region P-code."),
    Property::required(
        "location_precision",
        PropertyKind::Text,
        "#geo+precision",
        "Always `commune`: the point is the commune's representative point.",
    ),
];

/// The `reports` collection's table entry.
pub static REPORTS: CollectionMeta = CollectionMeta {
    id: "reports",
    title: "Community reports (coarsened)",
    description: "Reports from community monitors, placed at their commune's representative \
                  point, with their verification status. Never the reporter, the text or exact \
                  coordinates. Needs a researcher key.",
    requires_key: true,
    geometry_types: &["Point"],
    dated: true,
    parameters: &[
        Parameter::EventType,
        Parameter::Commune,
        Parameter::Cercle,
        Parameter::Region,
        Parameter::Status,
    ],
    properties: &PROPERTIES,
    point_columns: true,
    integer_ids: true,
};

/// Reads reports from the store and coarsens them.
#[derive(Debug)]
pub struct ReportsCollection {
    directory: Arc<CommuneDirectory>,
}

/// A report reduced to what may be published.
struct Coarsened {
    id: i64,
    status: ReportStatus,
    date: chrono::NaiveDate,
    commune: Option<ZoneId>,
    cercle: Option<ZoneId>,
    region: Option<ZoneId>,
    point: Option<(f64, f64)>,
    report: Report,
}

impl ReportsCollection {
    /// The collection, placing reports with `directory`'s representative points.
    pub fn new(directory: Arc<CommuneDirectory>) -> ReportsCollection {
        ReportsCollection { directory }
    }

    fn coarsen(&self, report: Report) -> Coarsened {
        let commune = report
            .location
            .as_ref()
            .and_then(|location| location.commune.clone())
            .or_else(|| {
                report
                    .incident
                    .as_ref()
                    .map(|incident| incident.commune.clone())
            });
        let entry = commune.as_ref().and_then(|id| self.directory.commune(id));
        Coarsened {
            id: report.id,
            status: report.status,
            date: report
                .incident
                .as_ref()
                .map_or(report.received_at.date_naive(), |incident| {
                    incident.occurred_on
                }),
            cercle: entry.and_then(|entry| entry.cercle.as_ref().map(|zone| zone.id.clone())),
            region: entry.and_then(|entry| entry.region.as_ref().map(|zone| zone.id.clone())),
            point: entry.and_then(|entry| entry.representative_point),
            commune,
            report,
        }
    }

    fn feature(coarsened: &Coarsened) -> Feature {
        let incident = coarsened.report.incident.as_ref();
        let zone = |id: &Option<ZoneId>| {
            id.as_ref()
                .map_or(Value::Null, |id| Value::from(id.as_str()))
        };
        let mut properties = Map::new();
        properties.insert("status".into(), coarsened.status.as_str().into());
        properties.insert("date".into(), coarsened.date.to_string().into());
        properties.insert(
            "event_type".into(),
            incident.map_or(Value::Null, |incident| incident.event_type.label().into()),
        );
        properties.insert(
            "sub_event_type".into(),
            incident
                .and_then(|incident| incident.sub_event_type.clone())
                .map_or(Value::Null, Value::from),
        );
        properties.insert(
            "fatalities".into(),
            incident.map_or(Value::Null, |incident| incident.fatalities.into()),
        );
        properties.insert(
            "injured".into(),
            incident
                .and_then(|incident| incident.injured)
                .map_or(Value::Null, Value::from),
        );
        properties.insert("commune".into(), zone(&coarsened.commune));
        properties.insert("cercle".into(), zone(&coarsened.cercle));
        properties.insert("region".into(), zone(&coarsened.region));
        properties.insert("location_precision".into(), "commune".into());
        let geometry = coarsened.point.and_then(|(lon, lat)| point_json(lon, lat));
        Feature {
            id: FeatureId::Integer(coarsened.id),
            point: geometry.as_ref().and(coarsened.point),
            geometry: geometry.map(Arc::from),
            properties,
        }
    }

    /// `report` as this collection shows it, whatever its status (a rejected report is
    /// shown only to the analyst who just rejected it).
    pub(crate) fn public_feature(&self, report: Report) -> Feature {
        ReportsCollection::feature(&self.coarsen(report))
    }

    /// Every publishable report, by increasing id.
    fn publishable(&self, state: &AppState) -> Result<Vec<Coarsened>, AppError> {
        // The port reads reports newest first without a cursor; community reports are few
        // (hundreds a month), so they are read whole and paged here.
        let mut reports: Vec<Coarsened> = state
            .store
            .reports(&ReportQuery::default())?
            .into_iter()
            .filter(|report| report.status != ReportStatus::Rejected)
            .map(|report| self.coarsen(report))
            .collect();
        reports.sort_by_key(|report| report.id);
        Ok(reports)
    }
}

impl Collection for ReportsCollection {
    fn meta(&self) -> &'static CollectionMeta {
        &REPORTS
    }

    fn items(&self, state: &AppState, query: &ItemsQuery) -> Result<Page, AppError> {
        let after = integer_cursor(query.next.as_deref())?;
        let filters = &query.filters;
        let matching: Vec<Coarsened> = self
            .publishable(state)?
            .into_iter()
            .filter(|report| {
                query.bbox.is_none_or(|bbox| {
                    report
                        .point
                        .is_some_and(|(lon, lat)| bbox.contains(lon, lat))
                }) && query.days.is_none_or(|days| days.contains(report.date))
                    && filters.status.is_none_or(|status| report.status == status)
                    && filters.event_type.is_none_or(|wanted| {
                        report
                            .report
                            .incident
                            .as_ref()
                            .is_some_and(|incident| incident.event_type == wanted)
                    })
                    && filters
                        .commune
                        .as_ref()
                        .is_none_or(|wanted| report.commune.as_ref() == Some(wanted))
                    && filters
                        .cercle
                        .as_ref()
                        .is_none_or(|wanted| report.cercle.as_ref() == Some(wanted))
                    && filters
                        .region
                        .as_ref()
                        .is_none_or(|wanted| report.region.as_ref() == Some(wanted))
            })
            .collect();
        let number_matched = matching.len() as u64;
        let mut page: Vec<&Coarsened> = matching
            .iter()
            .filter(|report| after.is_none_or(|after| report.id > after))
            .take(query.limit + 1)
            .collect();
        let next = if page.len() > query.limit {
            page.truncate(query.limit);
            page.last().map(|report| report.id.to_string())
        } else {
            None
        };
        Ok(Page {
            features: page.into_iter().map(ReportsCollection::feature).collect(),
            number_matched: Some(number_matched),
            next,
            as_of: None,
        })
    }

    fn item(&self, state: &AppState, id: &str) -> Result<Option<Feature>, AppError> {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let report = match state.store.report(id) {
            Ok(report) => report,
            Err(vigie_domain::store::StoreError::NotFound(_)) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        if report.status == ReportStatus::Rejected {
            return Ok(None);
        }
        Ok(Some(ReportsCollection::feature(&self.coarsen(report))))
    }
}
