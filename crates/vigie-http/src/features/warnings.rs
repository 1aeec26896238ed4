//! The public `warnings` collection: one feature per warning episode, drawn as its zone (the
//! commune, cercle or region boundary prepared by `zones.rs`, or the corridor's buffer).
//!
//! Without `datetime` the collection holds the open episodes ([`DeliveryStore::open_episodes`]);
//! with it, every episode, open or closed, whose span (first transition day to closing day, or
//! to today for an open one) overlaps the interval. Each episode's transitions are read back
//! from the store and summarised: the level it holds (or held when it closed), its latest
//! transition, and the event count and fatalities of that transition's evidence.
//!
//! Feature ids: an episode id is `rule/zone/opening date`, and `/` cannot stand in a path
//! segment, so the feature id is the episode id with every `/` written `~`
//! (`surge-7d~ML050301~2024-01-05`). Paging is by position in the episode-id order, like the
//! zone collections: warnings that open or close between two pages may shift it by one.
//!
//! [`DeliveryStore::open_episodes`]: vigie_domain::store::DeliveryStore::open_episodes

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDate;
use serde_json::{Map, Value};
use vigie_domain::store::Store;
use vigie_domain::{
    OpenEpisode, StoredWarning, TransitionKind, WarningLevel, WarningQuery, ZoneLevel,
};

use super::catalog::{
    Collection, CollectionMeta, Feature, FeatureId, Page, Property, PropertyKind,
};
use super::params::{DayRange, ItemsQuery, Parameter};
use super::zones::ZoneShapes;
use crate::error::AppError;
use crate::state::AppState;

/// Transitions read per store call.
const READ_CHUNK: u64 = 10_000;

static PROPERTIES: [Property; 17] = [
    Property::required(
        "episode",
        PropertyKind::Text,
        "#meta+episode",
        "Episode id (`rule/zone/opening date`); the feature id writes its `/` as `~`.",
    ),
    Property::required("rule", PropertyKind::Text, "#meta+rule", "The rule's id."),
    Property::required(
        "zone",
        PropertyKind::Text,
        "#loc+code",
        "The zone's P-code (commune, cercle, region) or corridor id.",
    ),
    Property::required(
        "zone_level",
        PropertyKind::Text,
        "#loc+type",
        "The zone's level: commune, cercle, region or corridor.",
    ),
    Property::required(
        "zone_name",
        PropertyKind::Text,
        "#loc+name",
        "The zone's name.",
    ),
    Property::required(
        "level",
        PropertyKind::Text,
        "#severity+level",
        "Warning level: vigilance, alerte or urgence (for a closed episode, the level it \
         had when it closed).",
    ),
    Property::required(
        "cap_severity",
        PropertyKind::Text,
        "#severity+cap",
        "The CAP 1.2 severity of the level: Moderate, Severe or Extreme.",
    ),
    Property::required(
        "since",
        PropertyKind::Date,
        "#date+start",
        "Day the episode opened.",
    ),
    Property::optional(
        "closed_on",
        PropertyKind::Date,
        "#date+end",
        "Day the episode closed (null while open).",
    ),
    Property::required(
        "open",
        PropertyKind::Boolean,
        "#status+open",
        "Whether the episode is still open.",
    ),
    Property::required(
        "last_transition",
        PropertyKind::Text,
        "#status+transition",
        "Kind of the latest transition: opened, escalated, de_escalated, closed or \
         late_evidence.",
    ),
    Property::required(
        "last_transition_date",
        PropertyKind::Date,
        "#date+transition",
        "Day of the latest transition.",
    ),
    Property::optional(
        "events",
        PropertyKind::Integer,
        "#event+num",
        "Events the latest transition's evidence counted.",
    ),
    Property::optional(
        "fatalities",
        PropertyKind::Integer,
        "#affected+killed",
        "Fatalities the latest transition's evidence counted.",
    ),
    Property::optional(
        "inhibited_by",
        PropertyKind::Text,
        "#meta+inhibited_by",
        "The enclosing episode whose message covers this one, if any.",
    ),
    Property::required(
        "late",
        PropertyKind::Boolean,
        "#status+late",
        "True for an episode opened because of late data.",
    ),
    Property::optional(
        "geometry_source",
        PropertyKind::Text,
        "#meta+geometry",
        "What the geometry draws: the zone boundary or the corridor buffer (null when the \
         zone is not in the loaded geography).",
    ),
];

/// The `warnings` collection's table entry.
pub static WARNINGS: CollectionMeta = CollectionMeta {
    id: "warnings",
    title: "Warnings",
    description: "Early warnings: one feature per episode, drawn as its commune, cercle or \
                  region (simplified, `tolerance`) or its corridor's buffer, with its level, \
                  CAP severity and latest transition. Open episodes by default; a `datetime` \
                  interval adds the closed episodes that overlap it. Feature ids are episode \
                  ids with `/` written `~`. The `cercle` and `region` filters include the \
                  warnings of the zones inside them. Public.",
    requires_key: false,
    geometry_types: &["MultiPolygon"],
    dated: true,
    parameters: &[
        Parameter::Level,
        Parameter::ZoneLevel,
        Parameter::Commune,
        Parameter::Cercle,
        Parameter::Region,
        Parameter::Tolerance,
    ],
    properties: &PROPERTIES,
    point_columns: false,
    integer_ids: false,
};

/// The feature id of an episode: URL-safe, `/` written `~`.
fn feature_id(episode: &str) -> String {
    episode.replace('/', "~")
}

/// An episode summarised from its transitions.
#[derive(Debug)]
struct Episode {
    id: String,
    level: WarningLevel,
    since: NaiveDate,
    /// `None` while open.
    closed_on: Option<NaiveDate>,
    open: bool,
    /// Its latest transition (by day, then store id; for an open episode, the one the store
    /// names as latest).
    last: StoredWarning,
    /// Its first transition (zone, rule, name and lateness come from it).
    first: StoredWarning,
}

impl Episode {
    /// Summarises one episode's transitions (in store-id order), `open` as the store sees it.
    fn from_transitions(
        transitions: Vec<StoredWarning>,
        open: Option<&OpenEpisode>,
    ) -> Option<Episode> {
        let by_day = |warning: &&StoredWarning| (warning.record.at, warning.id);
        let latest = transitions.iter().max_by_key(by_day)?.clone();
        let first = transitions.iter().min_by_key(by_day)?.clone();
        let last = open
            .and_then(|open| {
                transitions
                    .iter()
                    .find(|warning| warning.id == open.last_transition_id)
            })
            .cloned()
            .unwrap_or(latest);
        let held_level = transitions
            .iter()
            .filter(|warning| {
                matches!(
                    warning.record.kind,
                    TransitionKind::Opened
                        | TransitionKind::Escalated
                        | TransitionKind::DeEscalated
                )
            })
            .max_by_key(by_day)
            .and_then(|warning| warning.record.level)
            .or_else(|| {
                transitions
                    .iter()
                    .rev()
                    .find_map(|warning| warning.record.level.or(warning.record.previous_level))
            });
        let level = open.map(|open| open.level).or(held_level)?;
        let closed_on = match open {
            Some(_) => None,
            None => transitions
                .iter()
                .filter(|warning| warning.record.kind == TransitionKind::Closed)
                .map(|warning| warning.record.at)
                .max(),
        };
        Some(Episode {
            id: first.record.episode.clone(),
            level,
            since: open.map_or(first.record.at, |open| open.since),
            closed_on,
            open: open.is_some(),
            last,
            first,
        })
    }

    /// Whether its span, from opening to closing (an open one has not ended), meets `days`.
    fn overlaps(&self, days: &DayRange) -> bool {
        days.to.is_none_or(|to| self.since <= to)
            && self
                .closed_on
                .is_none_or(|closed_on| days.from.is_none_or(|from| from <= closed_on))
    }
}

/// Reads the stored transitions (all, or only those of open episodes) by episode.
fn transitions_by_episode(
    store: &dyn Store,
    open_only: bool,
) -> Result<BTreeMap<String, Vec<StoredWarning>>, AppError> {
    let mut by_episode: BTreeMap<String, Vec<StoredWarning>> = BTreeMap::new();
    let mut after_id = None;
    loop {
        let chunk = store.warnings(&WarningQuery {
            open_only,
            after_id,
            limit: Some(READ_CHUNK),
            ..WarningQuery::default()
        })?;
        let exhausted = (chunk.len() as u64) < READ_CHUNK;
        after_id = chunk.last().map(|warning| warning.id).or(after_id);
        for warning in chunk {
            by_episode
                .entry(warning.record.episode.clone())
                .or_default()
                .push(warning);
        }
        if exhausted {
            break;
        }
    }
    Ok(by_episode)
}

/// The episodes, by episode id: open ones, or with `all` every episode.
fn episodes(store: &dyn Store, all: bool) -> Result<Vec<Episode>, AppError> {
    let open: HashMap<String, OpenEpisode> = store
        .open_episodes()?
        .into_iter()
        .map(|episode| (episode.episode.clone(), episode))
        .collect();
    Ok(transitions_by_episode(store, !all)?
        .into_iter()
        .filter(|(id, _)| all || open.contains_key(id))
        .filter_map(|(id, transitions)| Episode::from_transitions(transitions, open.get(&id)))
        .collect())
}

/// Episodes read at one head of the stream log.
struct KeptEpisodes {
    /// The log's head when they were read: every new transition is logged in the transaction
    /// that records it, so an unchanged head means unchanged episodes.
    head: i64,
    /// Every episode (`true`) or the open ones.
    all: bool,
    episodes: Arc<Vec<Episode>>,
}

/// Reads warning episodes and draws them with the prepared zone geometry.
pub struct WarningsCollection {
    shapes: ZoneShapes,
    /// The episodes last read, open ones and all (reading and summarising every transition
    /// for each answer cost tens of milliseconds on PostgreSQL, and the map asks often).
    kept: Mutex<Vec<KeptEpisodes>>,
}

impl WarningsCollection {
    /// The collection, drawing zones from `shapes`.
    pub(super) fn new(shapes: ZoneShapes) -> WarningsCollection {
        WarningsCollection {
            shapes,
            kept: Mutex::new(Vec::new()),
        }
    }

    /// The episodes (open ones, or with `all` every one), read again only when the stream
    /// log has moved since they were last read.
    fn episodes(&self, store: &dyn Store, all: bool) -> Result<Arc<Vec<Episode>>, AppError> {
        // Read before the episodes: a transition recorded in between makes the next head
        // differ, and the episodes are read again then.
        let head = store.stream_head()?;
        let kept = |this: &Self| {
            this.kept
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .find(|kept| kept.all == all && kept.head == head)
                .map(|kept| kept.episodes.clone())
        };
        if let Some(episodes) = kept(self) {
            return Ok(episodes);
        }
        let episodes = Arc::new(episodes(store, all)?);
        let mut slots = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        slots.retain(|kept| kept.all != all);
        slots.push(KeptEpisodes {
            head,
            all,
            episodes: episodes.clone(),
        });
        Ok(episodes)
    }

    fn matches(&self, episode: &Episode, query: &ItemsQuery) -> bool {
        let filters = &query.filters;
        let record = &episode.first.record;
        let zone_level = record.zone_level;
        let shape = self.shapes.get(zone_level, &record.zone);
        let is = |level: ZoneLevel, wanted: &vigie_domain::ZoneId| {
            zone_level == level && &record.zone == wanted
        };
        filters.level.is_none_or(|wanted| episode.level == wanted)
            && filters.zone_level.is_none_or(|wanted| zone_level == wanted)
            && filters
                .commune
                .as_ref()
                .is_none_or(|wanted| is(ZoneLevel::Commune, wanted))
            && filters.cercle.as_ref().is_none_or(|wanted| {
                is(ZoneLevel::Cercle, wanted)
                    || (zone_level == ZoneLevel::Commune
                        && shape.and_then(|shape| shape.cercle()) == Some(wanted))
            })
            && filters.region.as_ref().is_none_or(|wanted| {
                is(ZoneLevel::Region, wanted)
                    || (matches!(zone_level, ZoneLevel::Commune | ZoneLevel::Cercle)
                        && shape.and_then(|shape| shape.region()) == Some(wanted))
            })
            && query
                .bbox
                .is_none_or(|bbox| shape.is_some_and(|shape| shape.intersects(&bbox)))
            && query.days.is_none_or(|days| episode.overlaps(&days))
    }

    fn feature(&self, episode: &Episode, tolerance: Option<f64>) -> Feature {
        let record = &episode.first.record;
        let last = &episode.last.record;
        let shape = self.shapes.get(record.zone_level, &record.zone);
        let date = |day: NaiveDate| Value::from(day.to_string());
        let evidence_count = |name: &str| {
            last.evidence
                .get(name)
                .and_then(Value::as_u64)
                .map_or(Value::Null, Value::from)
        };
        let mut properties = Map::new();
        properties.insert("episode".into(), episode.id.clone().into());
        properties.insert("rule".into(), record.rule.clone().into());
        properties.insert("zone".into(), record.zone.as_str().into());
        properties.insert("zone_level".into(), record.zone_level.as_str().into());
        properties.insert("zone_name".into(), record.zone_name.clone().into());
        properties.insert("level".into(), episode.level.as_str().into());
        properties.insert("cap_severity".into(), episode.level.cap_severity().into());
        properties.insert("since".into(), date(episode.since));
        properties.insert(
            "closed_on".into(),
            episode.closed_on.map_or(Value::Null, date),
        );
        properties.insert("open".into(), episode.open.into());
        properties.insert("last_transition".into(), last.kind.as_str().into());
        properties.insert("last_transition_date".into(), date(last.at));
        properties.insert("events".into(), evidence_count("event_count"));
        properties.insert("fatalities".into(), evidence_count("fatalities"));
        properties.insert(
            "inhibited_by".into(),
            last.inhibited_by.clone().map_or(Value::Null, Value::from),
        );
        properties.insert("late".into(), record.late.into());
        properties.insert(
            "geometry_source".into(),
            match (shape, record.zone_level) {
                (None, _) => Value::Null,
                (Some(_), ZoneLevel::Corridor) => "corridor_buffer".into(),
                (Some(_), _) => "zone_boundary".into(),
            },
        );
        Feature {
            id: FeatureId::Text(feature_id(&episode.id)),
            geometry: shape.map(|shape| shape.geometry_json(tolerance)),
            properties,
            point: None,
        }
    }
}

impl Collection for WarningsCollection {
    fn meta(&self) -> &'static CollectionMeta {
        &WARNINGS
    }

    fn items(&self, state: &AppState, query: &ItemsQuery) -> Result<Page, AppError> {
        let offset = match query.next.as_deref() {
            None => 0,
            Some(cursor) => cursor.parse::<usize>().map_err(|_| {
                AppError::bad_parameter(
                    "next",
                    "query parameter `next` is not a cursor from a `next` link",
                )
            })?,
        };
        let episodes = self.episodes(state.store.as_ref(), query.days.is_some())?;
        let matching: Vec<&Episode> = episodes
            .iter()
            .filter(|episode| self.matches(episode, query))
            .collect();
        let features = matching
            .iter()
            .skip(offset)
            .take(query.limit)
            .map(|episode| self.feature(episode, query.tolerance))
            .collect();
        let end = offset.saturating_add(query.limit);
        Ok(Page {
            features,
            number_matched: Some(matching.len() as u64),
            next: (end < matching.len()).then(|| end.to_string()),
            as_of: None,
        })
    }

    fn item(&self, state: &AppState, id: &str) -> Result<Option<Feature>, AppError> {
        let store = state.store.as_ref();
        let transitions = store.warnings(&WarningQuery {
            episode: Some(id.replace('~', "/")),
            ..WarningQuery::default()
        })?;
        let open = store.open_episodes()?;
        let found = match transitions.first() {
            Some(first) => {
                let open = open
                    .iter()
                    .find(|episode| episode.episode == first.record.episode);
                Episode::from_transitions(transitions, open)
            }
            // An episode id that holds `~` itself does not map back: look for it by its
            // feature id among every episode.
            None if id.contains('~') => episodes(store, true)?
                .into_iter()
                .find(|episode| feature_id(&episode.id) == id),
            None => None,
        };
        Ok(found
            .filter(|episode| feature_id(&episode.id) == id)
            .map(|episode| self.feature(&episode, None)))
    }
}
