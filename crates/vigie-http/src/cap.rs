//! The public CAP 1.2 messages: `GET /cap/feed.atom` and `GET /cap/{identifier}.xml`.
//!
//! Every stored warning transition has one public message (see
//! [`vigie_notify::cap::transition_alert`]): `opened` an Alert, later transitions Updates
//! referencing every earlier message of the episode, `closed` a Cancel. Messages are derived
//! on request from the store and the geography, never stored, so they cannot drift from the
//! transitions they describe; the identifier is deterministic, so a message keeps its name.
//!
//! The feed lists, for each episode, its latest message: every open episode, and a closed
//! one until its Cancel is [`CapConfig::cancel_visible_days`] old (readers polling the feed
//! learn that it ended; then it drops out). Entries carry the CAP identifier as `id`, the
//! message's `sent` as `updated`, and an `application/cap+xml` link to the message.
//!
//! Public, no key: a message holds a zone, its outline, a level and counts; never an event
//! row, a report or anything a reporter sent. Links are absolute, from
//! [`CapConfig::public_base_url`] or else the Host header.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use geo_types::MultiPolygon;
use vigie_domain::store::Store;
use vigie_domain::{StoredWarning, TransitionKind, WarningQuery, ZoneLevel, ZoneSet};
use vigie_notify::cap::{
    CapAlert, CapScope, FeedEntry, FeedHeader, TransitionCapSettings, TransitionContext, atom_feed,
    store_id_of_identifier, transition_alert, transition_identifier,
};

use crate::config::CapConfig;
use crate::error::AppError;
use crate::intake::blocking;
use crate::state::AppState;

/// The media type of a CAP message.
pub const CAP_MEDIA_TYPE: &str = "application/cap+xml";

/// The CAP routes (mounted by [`crate::router`]).
pub(crate) fn routes() -> Router<AppState> {
    // `feed.atom` is a static segment, so it wins over `{file}`.
    Router::new()
        .route("/cap/feed.atom", get(feed))
        .route("/cap/{file}", get(message))
}

fn settings(config: &CapConfig) -> TransitionCapSettings {
    TransitionCapSettings {
        sender: config.sender.clone(),
        max_polygon_points: config.max_polygon_points,
    }
}

/// The configured public base, or `http://` and the Host header.
fn base_url(config: &CapConfig, headers: &HeaderMap) -> String {
    match &config.public_base_url {
        Some(base) => base.trim_end_matches('/').to_owned(),
        None => crate::features::base_url(headers),
    }
}

/// Where the public message `identifier` is served.
pub fn cap_message_url(base_url: &str, identifier: &str) -> String {
    format!("{}/cap/{identifier}.xml", base_url.trim_end_matches('/'))
}

/// The research API's page about a zone, for a message's `web`.
fn zone_page(base_url: &str, level: ZoneLevel, zone: &str) -> String {
    let collection = match level {
        ZoneLevel::Commune => "communes",
        ZoneLevel::Cercle => "cercles",
        ZoneLevel::Region => "regions",
        ZoneLevel::Corridor => "corridors",
    };
    let zone: String = zone
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect();
    format!(
        "{}/collections/{collection}/items/{zone}",
        base_url.trim_end_matches('/')
    )
}

/// The outline of a stored transition's zone: the boundary of a commune, cercle or region,
/// or a corridor's buffer polygon (the one the corridors collection serves). `None` when the
/// geography does not have the zone (boundaries replaced since).
fn outline<'a>(zones: &'a ZoneSet, warning: &StoredWarning) -> Option<&'a MultiPolygon<f64>> {
    let record = &warning.record;
    match record.zone_level {
        ZoneLevel::Corridor => zones
            .corridors
            .iter()
            .find(|corridor| corridor.id == record.zone)
            .map(|corridor| &corridor.area),
        level => zones
            .zones(level)
            .iter()
            .find(|zone| zone.id == record.zone)
            .map(|zone| &zone.geometry),
    }
}

/// The public CAP message about `warning`, `history` holding its episode's transitions.
/// `with_area` false leaves the outline out (the feed shows titles and summaries only, and
/// simplifying hundreds of boundaries per request would be wasted).
pub fn public_alert(
    state: &AppState,
    warning: &StoredWarning,
    history: &[StoredWarning],
    base_url: &str,
    with_area: bool,
) -> Result<CapAlert, AppError> {
    let web = zone_page(
        base_url,
        warning.record.zone_level,
        warning.record.zone.as_str(),
    );
    let geography = state.geography();
    let context = TransitionContext {
        episode_history: history,
        outline: if with_area {
            outline(&geography.zones, warning)
        } else {
            None
        },
        web: Some(&web),
    };
    transition_alert(
        warning,
        &context,
        CapScope::Public,
        &settings(&state.config.cap),
    )
    .map_err(|error| AppError::internal("building a CAP message", error))
}

/// `GET /cap/{identifier}.xml`: one public message; 404 for anything else.
async fn message(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let unknown = || AppError::not_found_because("no CAP message has this identifier");
    let Some(identifier) = file.strip_suffix(".xml") else {
        return Err(AppError::not_found());
    };
    let Some(store_id) = store_id_of_identifier(identifier) else {
        return Err(unknown());
    };
    let base_url = base_url(&state.config.cap, &headers);
    let identifier = identifier.to_owned();
    let xml = blocking(move || {
        let Some(warning) = stored_warning(state.store.as_ref(), store_id)? else {
            return Ok(None);
        };
        // The id only finds the row; the whole identifier must be the one Vigie gave it.
        if transition_identifier(&warning, &CapScope::Public) != identifier {
            return Ok(None);
        }
        let history = state.store.warnings(&WarningQuery {
            episode: Some(warning.record.episode.clone()),
            ..WarningQuery::default()
        })?;
        let alert = public_alert(&state, &warning, &history, &base_url, true)?;
        let xml = alert
            .to_xml()
            .map_err(|error| AppError::internal("writing a CAP message", error))?;
        Ok(Some(xml))
    })
    .await?;
    match xml {
        Some(xml) => Ok(with_type(xml, CAP_MEDIA_TYPE)),
        None => Err(unknown()),
    }
}

fn stored_warning(store: &dyn Store, id: i64) -> Result<Option<StoredWarning>, AppError> {
    if id < 1 {
        return Ok(None);
    }
    let found = store.warnings(&WarningQuery {
        after_id: Some(id - 1),
        limit: Some(1),
        ..WarningQuery::default()
    })?;
    Ok(found.into_iter().find(|warning| warning.id == id))
}

/// `GET /cap/feed.atom`.
async fn feed(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let base_url = base_url(&state.config.cap, &headers);
    let now = state.clock.now();
    let xml = blocking(move || {
        // Every transition: a few thousand a year for Mali. Closed episodes are needed too,
        // for their Cancel, and the store has no "closed since" query.
        let warnings = state.store.warnings(&WarningQuery::default())?;
        let entries = feed_entries(&state, &warnings, &base_url, now)?;
        let self_url = format!("{base_url}/cap/feed.atom");
        let header = FeedHeader {
            id: self_url.clone(),
            title: "Vigie – avertissements en cours (CAP 1.2)".to_owned(),
            self_url,
            author: "Vigie".to_owned(),
        };
        Ok(atom_feed(&header, &entries, now))
    })
    .await?;
    Ok(with_type(xml, "application/atom+xml"))
}

/// The latest message of each episode; a Cancel expires `cancel_visible_days` after it was
/// sent, and [`atom_feed`] leaves expired entries out.
fn feed_entries(
    state: &AppState,
    warnings: &[StoredWarning],
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<Vec<FeedEntry>, AppError> {
    let mut episodes: BTreeMap<&str, Vec<StoredWarning>> = BTreeMap::new();
    for warning in warnings {
        episodes
            .entry(warning.record.episode.as_str())
            .or_default()
            .push(warning.clone());
    }
    let visible = Duration::days(i64::from(state.config.cap.cancel_visible_days));
    let mut entries = Vec::new();
    for history in episodes.values() {
        // A closed episode's entry is its Cancel, even if late evidence came after it.
        let closing = history
            .iter()
            .filter(|warning| warning.record.kind == TransitionKind::Closed)
            .max_by_key(|warning| warning.id);
        let closed = closing.is_some();
        let Some(latest) = closing.or_else(|| history.iter().max_by_key(|warning| warning.id))
        else {
            continue;
        };
        if closed && latest.recorded_at + visible <= now {
            continue;
        }
        let alert = public_alert(state, latest, history, base_url, false)?;
        let mut entry = FeedEntry::for_alert(&alert, cap_message_url(base_url, &alert.identifier));
        if closed {
            entry.expires = Some(latest.recorded_at + visible);
        }
        entries.push(entry);
    }
    Ok(entries)
}

fn with_type(body: String, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
