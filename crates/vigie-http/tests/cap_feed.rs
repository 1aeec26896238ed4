//! The public CAP messages and their Atom feed through the real router (`oneshot`) over a
//! real SQLite store and the shipped Mali geography: every message validated against the
//! official CAP 1.2 schema with xmllint, the feed checked for well-formedness and content.

mod support;

// The xmllint runner of vigie-notify's tests, shared rather than copied: a missing
// VIGIE_TEST_XMLLINT fails the test and says to run scripts/test.sh.
#[path = "../../vigie-notify/tests/common/mod.rs"]
mod xml_tools;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use support::{DEPLOYMENT_SECRET, GEOGRAPHY};
use tower::ServiceExt;
use vigie_domain::store::Store;
use vigie_domain::{
    PhoneProtector, StoredWarning, TransitionKind, WarningLevel, WarningQuery, WarningRecord,
    ZoneId, ZoneLevel,
};
use vigie_http::{AppState, CapConfig, Clock, IntakeConfig};
use vigie_notify::cap::{CapScope, transition_identifier};

const SENDER: &str = "vigie@vigie.invalid";

fn cap_schema() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vigie-notify/tests/fixtures/CAP-v1.2.xsd")
}

fn assert_valid_cap(xml: &str) {
    if let Err(complaint) = xml_tools::xmllint(xml, Some(&cap_schema())) {
        panic!("not valid CAP 1.2:\n{complaint}\n{xml}");
    }
}

fn assert_well_formed(xml: &str) {
    if let Err(complaint) = xml_tools::xmllint(xml, None) {
        panic!("not well-formed XML:\n{complaint}\n{xml}");
    }
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn evidence(from: &str, to: &str, events: u32, fatalities: i64) -> Value {
    json!({
        "window": { "from": from, "to": to },
        "events": f64::from(events),
        "event_count": events,
        "fatalities": fatalities,
        "days": 3,
        "event_ids": [901, 902, 903],
    })
}

struct Fixture {
    store: Arc<dyn Store>,
    _directory: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let directory = tempfile::tempdir().unwrap();
        let store = support::open_test_store(directory.path());
        Fixture {
            store,
            _directory: directory,
        }
    }

    fn router(&self, cap: CapConfig, now: DateTime<Utc>) -> Router {
        let protector = Arc::new(PhoneProtector::new(DEPLOYMENT_SECRET).unwrap());
        let config = IntakeConfig {
            cap,
            ..IntakeConfig::default()
        };
        config.validate().expect("a valid test configuration");
        let state = AppState::new(
            self.store.clone(),
            GEOGRAPHY.zones.clone(),
            GEOGRAPHY.index.clone(),
            protector,
            config,
        )
        .with_clock(Clock::fixed(now));
        vigie_http::router(state)
    }

    /// Records each transition in its own call, as the engine does day after day.
    fn record(&self, records: &[WarningRecord]) -> Vec<StoredWarning> {
        for record in records {
            self.store
                .record_warnings(std::slice::from_ref(record), &[])
                .unwrap();
        }
        let mut stored = Vec::new();
        for record in records {
            let episode = self
                .store
                .warnings(&WarningQuery {
                    episode: Some(record.episode.clone()),
                    ..WarningQuery::default()
                })
                .unwrap();
            let found = episode
                .into_iter()
                .find(|warning| {
                    warning.record.kind == record.kind && warning.record.at == record.at
                })
                .expect("the transition is stored");
            stored.push(found);
        }
        stored
    }
}

#[allow(clippy::too_many_arguments)]
fn transition(
    episode: &str,
    zone: &ZoneId,
    zone_level: ZoneLevel,
    zone_name: &str,
    kind: TransitionKind,
    level: Option<WarningLevel>,
    previous_level: Option<WarningLevel>,
    at: &str,
    evidence: Value,
) -> WarningRecord {
    WarningRecord {
        episode: episode.to_owned(),
        rule: episode.split('/').next().unwrap().to_owned(),
        zone: zone.clone(),
        zone_level,
        zone_name: zone_name.to_owned(),
        kind,
        level,
        previous_level,
        at: day(at),
        evidence,
        late: false,
        inhibited_by: None,
    }
}

/// The commune with the most boundary vertices: its outline must be simplified.
fn detailed_commune() -> &'static vigie_domain::Zone {
    GEOGRAPHY
        .zones
        .communes
        .iter()
        .max_by_key(|zone| {
            zone.geometry
                .0
                .iter()
                .map(|polygon| polygon.exterior().0.len())
                .sum::<usize>()
        })
        .unwrap()
}

/// opened (alerte) → escalated (urgence) → closed, in a commune whose name is hostile.
fn commune_episode(fixture: &Fixture, zone_name: &str) -> Vec<StoredWarning> {
    let commune = detailed_commune();
    let episode = format!("surge-7d/{}/2026-11-10", commune.id.as_str());
    let mut hostile = evidence("2026-11-10", "2026-11-16", 5, 12);
    hostile["reason"] = json!("</description><injected>&amp;");
    hostile["note"] = json!("<script>alert(1)</script>");
    fixture.record(&[
        transition(
            &episode,
            &commune.id,
            ZoneLevel::Commune,
            zone_name,
            TransitionKind::Opened,
            Some(WarningLevel::Alerte),
            None,
            "2026-11-16",
            hostile,
        ),
        transition(
            &episode,
            &commune.id,
            ZoneLevel::Commune,
            zone_name,
            TransitionKind::Escalated,
            Some(WarningLevel::Urgence),
            Some(WarningLevel::Alerte),
            "2026-11-18",
            evidence("2026-11-12", "2026-11-18", 9, 31),
        ),
        transition(
            &episode,
            &commune.id,
            ZoneLevel::Commune,
            zone_name,
            TransitionKind::Closed,
            None,
            Some(WarningLevel::Urgence),
            "2026-12-02",
            evidence("2026-11-26", "2026-12-02", 0, 0),
        ),
    ])
}

/// opened (vigilance) → escalated (alerte), still open, on the first corridor.
fn corridor_episode(fixture: &Fixture) -> Vec<StoredWarning> {
    let corridor = &GEOGRAPHY.zones.corridors[0];
    let episode = format!("corridor-surge/{}/2026-11-12", corridor.id.as_str());
    fixture.record(&[
        transition(
            &episode,
            &corridor.id,
            ZoneLevel::Corridor,
            &corridor.name,
            TransitionKind::Opened,
            Some(WarningLevel::Vigilance),
            None,
            "2026-11-12",
            evidence("2026-11-06", "2026-11-12", 3, 2),
        ),
        transition(
            &episode,
            &corridor.id,
            ZoneLevel::Corridor,
            &corridor.name,
            TransitionKind::Escalated,
            Some(WarningLevel::Alerte),
            Some(WarningLevel::Vigilance),
            "2026-11-14",
            evidence("2026-11-08", "2026-11-14", 6, 4),
        ),
    ])
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

async fn get(router: &Router, path: &str) -> Answer {
    let request = Request::get(path)
        .header(header::HOST, "vigie.test:8080")
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

fn public_id(warning: &StoredWarning) -> String {
    transition_identifier(warning, &CapScope::Public)
}

async fn fetch_message(router: &Router, warning: &StoredWarning) -> String {
    let answer = get(router, &format!("/cap/{}.xml", public_id(warning))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.content_type, "application/cap+xml");
    assert_valid_cap(&answer.body);
    answer.body
}

/// The text of every `<name>` element.
fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    xml.match_indices(&open)
        .map(|(start, _)| {
            let rest = &xml[start + open.len()..];
            &rest[..rest.find(&close).expect("a closing tag")]
        })
        .collect()
}

fn reference(warning: &StoredWarning) -> String {
    format!(
        "{SENDER},{},{}",
        public_id(warning),
        warning.recorded_at.format("%Y-%m-%dT%H:%M:%S+00:00")
    )
}

/// Checks each polygon: closed, bounded, at least 4 points, lat,lon inside Mali (latitudes
/// 10–25 °N, longitudes 12.5 °W–4.5 °E: swapped, the check fails).
fn assert_polygons_bounded_closed_lat_lon(xml: &str, max_points: usize) {
    let polygons = elements(xml, "polygon");
    assert!(!polygons.is_empty(), "an area polygon: {xml}");
    for polygon in polygons {
        let pairs: Vec<(f64, f64)> = polygon
            .split(' ')
            .map(|pair| {
                let (lat, lon) = pair.split_once(',').unwrap();
                (lat.parse().unwrap(), lon.parse().unwrap())
            })
            .collect();
        assert!(pairs.len() >= 4 && pairs.len() <= max_points, "{polygon}");
        assert_eq!(pairs.first(), pairs.last(), "closed: {polygon}");
        for (lat, lon) in pairs {
            assert!((10.0..=25.0).contains(&lat), "latitude first: {polygon}");
            assert!((-12.5..=4.5).contains(&lon), "longitude second: {polygon}");
        }
    }
}

#[tokio::test]
async fn a_commune_episode_gives_an_alert_an_update_and_a_cancel_referencing_the_earlier_ones() {
    let fixture = Fixture::new();
    let stored = commune_episode(&fixture, "Koro");
    let [opened, escalated, closed] = [&stored[0], &stored[1], &stored[2]];
    let router = fixture.router(CapConfig::default(), Utc::now());
    let commune = detailed_commune();

    let alert = fetch_message(&router, opened).await;
    assert_eq!(elements(&alert, "msgType"), ["Alert"]);
    assert_eq!(elements(&alert, "scope"), ["Public"]);
    assert_eq!(elements(&alert, "status"), ["Actual"]);
    assert_eq!(elements(&alert, "sender"), [SENDER]);
    assert_eq!(elements(&alert, "identifier"), [public_id(opened)]);
    assert!(elements(&alert, "references").is_empty());
    assert_eq!(
        elements(&alert, "sent"),
        [opened
            .recorded_at
            .format("%Y-%m-%dT%H:%M:%S+00:00")
            .to_string()]
    );
    assert_eq!(elements(&alert, "language"), ["fr-ML", "en"]);
    assert_eq!(elements(&alert, "category"), ["Security", "Security"]);
    assert_eq!(elements(&alert, "severity"), ["Severe", "Severe"]);
    assert_eq!(elements(&alert, "urgency"), ["Expected", "Expected"]);
    assert_eq!(
        elements(&alert, "headline")[0],
        "ALERTE Koro : 5 incidents, 12 morts en 7 jours"
    );
    assert!(elements(&alert, "description")[0].contains("du 10/11/2026 au 16/11/2026"));
    assert_eq!(elements(&alert, "valueName"), ["P-code", "P-code"]);
    assert_eq!(
        elements(&alert, "value"),
        [commune.id.as_str(), commune.id.as_str()]
    );
    assert_eq!(
        elements(&alert, "web")[0],
        format!(
            "http://vigie.test:8080/collections/communes/items/{}",
            commune.id.as_str()
        )
    );
    assert_polygons_bounded_closed_lat_lon(&alert, 100);
    // Counts only: never the events behind them.
    assert!(!alert.contains("901") && !alert.contains("event_ids"));

    let update = fetch_message(&router, escalated).await;
    assert_eq!(elements(&update, "msgType"), ["Update"]);
    assert_eq!(elements(&update, "references"), [reference(opened)]);
    assert_eq!(elements(&update, "severity"), ["Extreme", "Extreme"]);
    assert!(elements(&update, "headline")[0].starts_with("URGENCE Koro (hausse) : 9 incidents"));

    let cancel = fetch_message(&router, closed).await;
    assert_eq!(elements(&cancel, "msgType"), ["Cancel"]);
    assert_eq!(
        elements(&cancel, "references"),
        [format!("{} {}", reference(opened), reference(escalated))]
    );
    // A closure speaks with the level the warning had.
    assert_eq!(elements(&cancel, "severity"), ["Extreme", "Extreme"]);
    assert_eq!(elements(&cancel, "headline")[0], "FIN URGENCE Koro");
}

#[tokio::test]
async fn a_corridor_message_carries_the_buffer_polygon_and_the_corridor_code() {
    let fixture = Fixture::new();
    let stored = corridor_episode(&fixture);
    let corridor = &GEOGRAPHY.zones.corridors[0];
    let cap = CapConfig {
        sender: "alertes@vigie.example.org".to_owned(),
        public_base_url: Some("https://vigie.example.org/".to_owned()),
        max_polygon_points: 24,
        ..CapConfig::default()
    };
    let router = fixture.router(cap, Utc::now());
    let answer = get(&router, &format!("/cap/{}.xml", public_id(&stored[1]))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let update = answer.body;
    assert_valid_cap(&update);
    assert_eq!(elements(&update, "sender"), ["alertes@vigie.example.org"]);
    assert_eq!(
        elements(&update, "references"),
        [format!(
            "alertes@vigie.example.org,{},{}",
            public_id(&stored[0]),
            stored[0].recorded_at.format("%Y-%m-%dT%H:%M:%S+00:00")
        )]
    );
    assert_eq!(elements(&update, "valueName"), ["corridor", "corridor"]);
    assert_eq!(
        elements(&update, "value"),
        [corridor.id.as_str(), corridor.id.as_str()]
    );
    assert!(
        elements(&update, "areaDesc")[0].starts_with("Corridor de transhumance "),
        "{update}"
    );
    assert!(
        elements(&update, "web")[0]
            .starts_with("https://vigie.example.org/collections/corridors/items/")
    );
    assert_polygons_bounded_closed_lat_lon(&update, 24);
}

#[tokio::test]
async fn the_feed_lists_the_latest_message_of_open_episodes_and_drops_old_cancels() {
    let fixture = Fixture::new();
    let commune = commune_episode(&fixture, "Koro");
    let corridor = corridor_episode(&fixture);
    let now = Utc::now();

    // Right after the closure, the Cancel is still listed so readers learn of it.
    let router = fixture.router(CapConfig::default(), now);
    let answer = get(&router, "/cap/feed.atom").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type, "application/atom+xml");
    assert_well_formed(&answer.body);
    let feed = answer.body;
    let mut ids: Vec<&str> = elements(&feed, "id")[1..].to_vec();
    ids.sort_unstable();
    let mut expected = vec![public_id(&commune[2]), public_id(&corridor[1])];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert_eq!(
        elements(&feed, "id")[0],
        "http://vigie.test:8080/cap/feed.atom"
    );
    for identifier in &expected {
        assert!(
            feed.contains(&format!(
                "<link rel=\"alternate\" type=\"application/cap+xml\" href=\"http://vigie.test:8080/cap/{identifier}.xml\"/>"
            )),
            "{feed}"
        );
    }
    assert!(!feed.contains("<polygon>"));

    // Once the Cancel is older than cancel_visible_days, only the open episode is left.
    let later = fixture.router(CapConfig::default(), now + Duration::days(3));
    let feed = get(&later, "/cap/feed.atom").await.body;
    assert_well_formed(&feed);
    assert_eq!(elements(&feed, "entry").len(), 1, "{feed}");
    assert_eq!(elements(&feed, "id")[1..], [public_id(&corridor[1])]);
    let updated = corridor[1]
        .recorded_at
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    assert!(elements(&feed, "updated").contains(&updated.as_str()));

    // Every link of the feed leads to a valid message.
    let message = get(&later, &format!("/cap/{}.xml", public_id(&corridor[1]))).await;
    assert_valid_cap(&message.body);
}

#[tokio::test]
async fn unknown_tampered_and_restricted_identifiers_are_not_found() {
    let fixture = Fixture::new();
    let stored = commune_episode(&fixture, "Koro");
    let router = fixture.router(CapConfig::default(), Utc::now());
    let genuine = public_id(&stored[0]);
    let tampered = genuine.replace(":opened:", ":closed:");
    let restricted = transition_identifier(
        &stored[0],
        &CapScope::Restricted {
            restriction: "Comités".to_owned(),
        },
    );
    for path in [
        "/cap/urn:vigie:public:nothing:999999.xml".to_owned(),
        "/cap/nothing.xml".to_owned(),
        "/cap/urn:vigie:public:x:0.xml".to_owned(),
        format!("/cap/{tampered}.xml"),
        format!("/cap/{restricted}.xml"),
        format!("/cap/{genuine}.json"),
    ] {
        let answer = get(&router, &path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.content_type, "application/problem+json", "{path}");
        assert!(!answer.body.contains("urn:vigie"), "the id is not echoed");
    }
    assert_eq!(
        get(&router, &format!("/cap/{genuine}.xml")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn hostile_zone_names_and_evidence_text_are_escaped() {
    let fixture = Fixture::new();
    let stored = commune_episode(&fixture, "Koro</areaDesc><x a=\"1\"> & 'co'");
    let router = fixture.router(CapConfig::default(), Utc::now());
    for warning in &stored {
        let xml = fetch_message(&router, warning).await;
        assert!(
            xml.contains("Koro&lt;/areaDesc&gt;&lt;x a=\"1\"&gt; &amp; 'co'"),
            "{xml}"
        );
        assert!(!xml.contains("<x a="));
        // Free text of the evidence never reaches a message.
        assert!(
            !xml.contains("injected") && !xml.contains("alert(1)"),
            "{xml}"
        );
    }
    let feed = get(&router, "/cap/feed.atom").await.body;
    assert_well_formed(&feed);
    assert!(!feed.contains("<x a="));
}
