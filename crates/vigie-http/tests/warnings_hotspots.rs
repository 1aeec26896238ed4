//! The `warnings` and `hotspots` collections through the real router (`oneshot`, no socket)
//! over a real SQLite store: warnings recorded with `record_warnings` as the engine's caller
//! does, hotspots clustered from ingested events.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Days, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use support::{DEPLOYMENT_SECRET, GEOGRAPHY, check_rfc7946, located, shared_geography};
use tower::ServiceExt;
use vigie_domain::store::{ImportBatch, Store};
use vigie_domain::{
    Event, EventSource, EventType, LocatedEvent, PhoneProtector, SourceFields, TransitionKind,
    WarningLevel, WarningRecord, ZoneId, ZoneLevel,
};
use vigie_http::{AppState, Clock, IntakeConfig};

const BURST_EVENTS: usize = 6;
const NOISE_EVENTS: usize = 24;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

struct Fixture {
    router: Router,
    store: Arc<dyn Store>,
    _directory: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let directory = tempfile::tempdir().unwrap();
        let store = support::open_test_store(directory.path());
        let state = AppState {
            store: store.clone(),
            geography: shared_geography(GEOGRAPHY.features.clone()),
            protector: Arc::new(PhoneProtector::new(DEPLOYMENT_SECRET).unwrap()),
            config: IntakeConfig::default(),
            clock: Clock::fixed(Utc.with_ymd_and_hms(2024, 7, 15, 12, 0, 0).unwrap()),
            api_keys: None,
            rules: None,
            leader: None,
        };
        Fixture {
            router: vigie_http::router(state),
            store,
            _directory: directory,
        }
    }

    /// A public request (no key): both collections are aggregates.
    async fn get(&self, uri: &str) -> (StatusCode, String) {
        let request = Request::get(uri)
            .header(header::HOST, "vigie.test")
            .body(Body::empty())
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn get_json(&self, uri: &str) -> Value {
        let (status, body) = self.get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// The features of an items query, checked against RFC 7946.
    async fn features(&self, uri: &str) -> Vec<Value> {
        let page = self.get_json(uri).await;
        check_rfc7946(&page);
        page["features"].as_array().unwrap().clone()
    }
}

// --- warnings ---

struct Zones {
    commune: ZoneId,
    commune_cercle: ZoneId,
    cercle: ZoneId,
    corridor: ZoneId,
}

fn zones() -> Zones {
    let zones = &GEOGRAPHY.zones;
    let commune = &zones.communes[120];
    let cercle = zones
        .cercles
        .iter()
        .find(|cercle| Some(&cercle.id) != commune.parent.as_ref())
        .unwrap();
    Zones {
        commune: commune.id.clone(),
        commune_cercle: commune.parent.clone().unwrap(),
        cercle: cercle.id.clone(),
        corridor: zones.corridors[0].id.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn transition(
    episode: &str,
    zone: &ZoneId,
    zone_level: ZoneLevel,
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
        zone_name: format!("name of {zone}"),
        kind,
        level,
        previous_level,
        at: day(at),
        evidence,
        late: false,
        inhibited_by: None,
    }
}

/// Three episodes: one opened then escalated in a commune (open), one opened and closed in a
/// cercle in March, one opened at urgence on a corridor (open). Returns their episode ids.
fn record_warnings(store: &dyn Store, zones: &Zones) -> [String; 3] {
    use TransitionKind::{Closed, Escalated, Opened};
    use WarningLevel::{Alerte, Urgence, Vigilance};
    let escalated = format!("surge-7d/{}/2024-06-01", zones.commune);
    let closed = format!("surge-7d/{}/2024-03-01", zones.cercle);
    let corridor = format!("corridor-clash/{}/2024-06-10", zones.corridor);
    let records = [
        transition(
            &escalated,
            &zones.commune,
            ZoneLevel::Commune,
            Opened,
            Some(Vigilance),
            None,
            "2024-06-01",
            json!({ "event_count": 3, "fatalities": 2 }),
        ),
        transition(
            &escalated,
            &zones.commune,
            ZoneLevel::Commune,
            Escalated,
            Some(Alerte),
            Some(Vigilance),
            "2024-06-05",
            json!({ "event_count": 7, "fatalities": 11 }),
        ),
        transition(
            &closed,
            &zones.cercle,
            ZoneLevel::Cercle,
            Opened,
            Some(Vigilance),
            None,
            "2024-03-01",
            json!({ "event_count": 4, "fatalities": 1 }),
        ),
        transition(
            &closed,
            &zones.cercle,
            ZoneLevel::Cercle,
            Closed,
            None,
            Some(Vigilance),
            "2024-03-20",
            json!({ "event_count": 0, "fatalities": 0 }),
        ),
        transition(
            &corridor,
            &zones.corridor,
            ZoneLevel::Corridor,
            Opened,
            Some(Urgence),
            None,
            "2024-06-10",
            json!({ "event_count": 12, "fatalities": 30 }),
        ),
    ];
    let outcome = store.record_warnings(&records, &[]).unwrap();
    assert_eq!(outcome.warnings, 5);
    [escalated, closed, corridor]
}

fn episodes_of(features: &[Value]) -> BTreeSet<String> {
    features
        .iter()
        .map(|feature| {
            feature["properties"]["episode"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn open_warnings_are_listed_by_default_with_their_level_zone_geometry_and_evidence() {
    let fixture = Fixture::new();
    let zones = zones();
    let [escalated, closed, corridor] = record_warnings(fixture.store.as_ref(), &zones);
    let features = fixture.features("/collections/warnings/items").await;
    assert_eq!(
        episodes_of(&features),
        BTreeSet::from([escalated.clone(), corridor.clone()]),
        "the closed episode is not listed without datetime"
    );
    assert!(!episodes_of(&features).contains(&closed));

    let commune = features
        .iter()
        .find(|feature| feature["properties"]["episode"] == escalated.as_str())
        .unwrap();
    let properties = &commune["properties"];
    assert_eq!(properties["level"], "alerte");
    assert_eq!(properties["cap_severity"], "Severe");
    assert_eq!(properties["zone"], zones.commune.as_str());
    assert_eq!(properties["zone_level"], "commune");
    assert_eq!(properties["rule"], "surge-7d");
    assert_eq!(properties["since"], "2024-06-01");
    assert_eq!(properties["open"], true);
    assert_eq!(properties["closed_on"], Value::Null);
    assert_eq!(properties["last_transition"], "escalated");
    assert_eq!(properties["last_transition_date"], "2024-06-05");
    assert_eq!(
        properties["events"], 7,
        "from the latest transition's evidence"
    );
    assert_eq!(properties["fatalities"], 11);
    assert_eq!(properties["late"], false);
    assert_eq!(properties["inhibited_by"], Value::Null);
    assert_eq!(commune["geometry"]["type"], "MultiPolygon");
    // The same simplified boundary the communes collection serves.
    let served = fixture
        .get_json(&format!("/collections/communes/items/{}", zones.commune))
        .await;
    assert_eq!(commune["geometry"], served["geometry"]);

    let buffer = features
        .iter()
        .find(|feature| feature["properties"]["episode"] == corridor.as_str())
        .unwrap();
    assert_eq!(buffer["properties"]["level"], "urgence");
    assert_eq!(buffer["properties"]["cap_severity"], "Extreme");
    assert_eq!(buffer["properties"]["zone_level"], "corridor");
    assert_eq!(buffer["properties"]["geometry_source"], "corridor_buffer");
    let served = fixture
        .get_json(&format!("/collections/corridors/items/{}", zones.corridor))
        .await;
    assert_eq!(buffer["geometry"], served["geometry"]);

    // CSV from the same table: the header, the HXL row, one row per open episode.
    let (status, csv) = fixture
        .get("/collections/warnings/items?f=csv&hxl=true")
        .await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,episode,rule,zone,zone_level,zone_name,level,cap_severity"));
    assert!(lines[1].starts_with("#meta+id,#meta+episode"));
    assert_eq!(lines.len(), 4);
}

#[tokio::test]
async fn a_datetime_interval_adds_the_closed_episodes_that_overlap_it() {
    let fixture = Fixture::new();
    let zones = zones();
    let [escalated, closed, corridor] = record_warnings(fixture.store.as_ref(), &zones);
    let march = fixture
        .features("/collections/warnings/items?datetime=2024-03-10/2024-03-31")
        .await;
    assert_eq!(episodes_of(&march), BTreeSet::from([closed.clone()]));
    let properties = &march[0]["properties"];
    assert_eq!(properties["open"], false);
    assert_eq!(properties["closed_on"], "2024-03-20");
    assert_eq!(properties["level"], "vigilance", "the level it closed at");
    assert_eq!(properties["last_transition"], "closed");
    assert_eq!(properties["zone_level"], "cercle");
    assert_eq!(march[0]["geometry"]["type"], "MultiPolygon");

    let everything = fixture
        .features("/collections/warnings/items?datetime=2024-01-01/..")
        .await;
    assert_eq!(
        episodes_of(&everything),
        BTreeSet::from([escalated.clone(), closed.clone(), corridor.clone()])
    );
    let between = fixture
        .features("/collections/warnings/items?datetime=2024-03-21/2024-05-31")
        .await;
    assert!(between.is_empty(), "closed before, opened after");
    // An open episode stays in every interval after its opening.
    let later = fixture
        .features("/collections/warnings/items?datetime=2024-12-01")
        .await;
    assert_eq!(episodes_of(&later), BTreeSet::from([escalated, corridor]));
}

#[tokio::test]
async fn warnings_filter_on_level_zone_level_and_p_codes() {
    let fixture = Fixture::new();
    let zones = zones();
    let [escalated, closed, corridor] = record_warnings(fixture.store.as_ref(), &zones);
    let episodes = |query: String| {
        let fixture = &fixture;
        async move {
            episodes_of(
                &fixture
                    .features(&format!("/collections/warnings/items?{query}"))
                    .await,
            )
        }
    };
    assert_eq!(
        episodes("level=urgence".into()).await,
        BTreeSet::from([corridor.clone()])
    );
    assert_eq!(
        episodes("level=alerte".into()).await,
        BTreeSet::from([escalated.clone()])
    );
    assert!(episodes("level=vigilance".into()).await.is_empty());
    assert_eq!(
        episodes("level=vigilance&datetime=2024-01-01/..".into()).await,
        BTreeSet::from([closed.clone()])
    );
    assert_eq!(
        episodes("zone_level=corridor".into()).await,
        BTreeSet::from([corridor.clone()])
    );
    assert_eq!(
        episodes(format!("commune={}", zones.commune)).await,
        BTreeSet::from([escalated.clone()])
    );
    assert_eq!(
        episodes(format!("cercle={}", zones.commune_cercle)).await,
        BTreeSet::from([escalated.clone()]),
        "a cercle holds its communes' warnings"
    );
    assert_eq!(
        episodes(format!("cercle={}&datetime=2024-01-01/..", zones.cercle)).await,
        BTreeSet::from([closed])
    );
    assert!(
        episodes("bbox=179,-1,179.5,1".into()).await.is_empty(),
        "far from Mali"
    );
    for bad in ["level=red", "zone_level=village", "min_events=3"] {
        let (status, body) = fixture
            .get(&format!("/collections/warnings/items?{bad}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        let name = bad.split('=').next().unwrap();
        let problem: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["parameter"], name);
    }
}

#[tokio::test]
async fn a_warning_is_found_again_by_its_url_safe_id_and_unknown_ids_are_404() {
    let fixture = Fixture::new();
    let zones = zones();
    record_warnings(fixture.store.as_ref(), &zones);
    let features = fixture
        .features("/collections/warnings/items?datetime=2024-01-01/..")
        .await;
    assert_eq!(features.len(), 3);
    for feature in &features {
        let id = feature["id"].as_str().unwrap();
        assert!(!id.contains('/'), "{id}");
        assert_eq!(
            id,
            feature["properties"]["episode"]
                .as_str()
                .unwrap()
                .replace('/', "~")
        );
        let item = fixture
            .get_json(&format!("/collections/warnings/items/{id}"))
            .await;
        assert_eq!(item["id"], feature["id"]);
        assert_eq!(item["properties"], feature["properties"]);
        assert_eq!(item["geometry"], feature["geometry"]);
    }
    for unknown in ["nope", "surge-7d~ML99~2024-01-01", "surge-7d"] {
        let (status, _) = fixture
            .get(&format!("/collections/warnings/items/{unknown}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    }
}

// --- hotspots ---

fn event(id: String, lon: f64, lat: f64, date: NaiveDate, fatalities: u32) -> Event {
    Event {
        source: EventSource::Acled,
        source_event_id: id,
        event_date: date,
        time_precision: 1,
        disorder_type: None,
        event_type: EventType::ViolenceAgainstCivilians,
        sub_event_type: Some("Attack".to_owned()),
        original_event_type: None,
        actor1: Some("Unidentified Armed Group (Mali)".to_owned()),
        actor2: None,
        associated_actors: Vec::new(),
        inter1: Some(3),
        inter2: None,
        civilian_targeting: true,
        fatalities,
        fatalities_low: None,
        fatalities_high: None,
        longitude: lon,
        latitude: lat,
        geo_precision: Some(1),
        country: Some("Mali".to_owned()),
        admin1: None,
        admin2: None,
        admin3: None,
        location: None,
        notes: None,
        source_timestamp: Some(1_700_000_000),
        flags: Vec::new(),
        fields: SourceFields::default(),
    }
}

/// Six events within about 1 km and three days (the newest stored), and noise: events each
/// far from every other in space or time.
fn ingest_burst_and_noise(store: &dyn Store) -> Vec<String> {
    let communes = GEOGRAPHY.directory.communes();
    let (lon, lat) = communes[350].representative_point.unwrap();
    let offsets = [
        (0.0, 0.0),
        (0.006, 0.001),
        (0.002, 0.007),
        (-0.005, 0.004),
        (-0.003, -0.006),
        (0.004, -0.004),
    ];
    let mut events: Vec<LocatedEvent> = offsets
        .iter()
        .enumerate()
        .map(|(number, (dx, dy))| {
            located(event(
                format!("BURST{number:04}"),
                lon + dx,
                lat + dy,
                day("2024-06-20") + Days::new(number as u64 % 3),
                number as u32,
            ))
        })
        .collect();
    assert_eq!(events.len(), BURST_EVENTS);
    for number in 0..NOISE_EVENTS {
        let (lon, lat) = communes[(number * 29) % communes.len()]
            .representative_point
            .unwrap();
        events.push(located(event(
            format!("NOISE{number:04}"),
            lon,
            lat,
            day("2024-01-01") + Days::new(number as u64 * 7),
            1,
        )));
    }
    let ids: Vec<String> = events
        .iter()
        .map(|located| located.event.source_event_id.clone())
        .collect();
    let run = store
        .start_import(EventSource::Acled, "burst and noise", None)
        .unwrap();
    store
        .apply_batch(
            run,
            &ImportBatch {
                rows_read: events.len() as u64,
                events,
                quarantined: Vec::new(),
            },
        )
        .unwrap();
    ids
}

#[tokio::test]
async fn a_tight_burst_of_events_is_one_hotspot_of_six_without_event_ids() {
    let fixture = Fixture::new();
    let source_ids = ingest_burst_and_noise(fixture.store.as_ref());
    let (status, body) = fixture.get("/collections/hotspots/items").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    check_rfc7946(&page);
    let features = page["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "{body}");
    let hotspot = &features[0];
    let properties = &hotspot["properties"];
    assert_eq!(properties["events"], BURST_EVENTS);
    assert_eq!(properties["fatalities"], 15, "0 + 1 + … + 5");
    assert_eq!(properties["first_date"], "2024-06-20");
    assert_eq!(properties["last_date"], "2024-06-22");
    assert_eq!(
        properties["window_end"], "2024-06-22",
        "the newest stored event"
    );
    assert_eq!(properties["window_start"], "2024-05-24", "30 days");
    assert_eq!(
        properties["dominant_event_types"],
        json!(["Violence against civilians"])
    );
    assert_eq!(hotspot["geometry"]["type"], "Polygon");
    assert!(hotspot["geometry"].get("bbox").is_none(), "no null members");
    let expected_keys: BTreeSet<&str> = [
        "window_start",
        "window_end",
        "events",
        "fatalities",
        "first_date",
        "last_date",
        "centroid_longitude",
        "centroid_latitude",
        "dominant_event_types",
        "event_types",
        "communes",
        "commune_names",
        "corridors",
    ]
    .into();
    let keys: BTreeSet<&str> = properties
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, expected_keys, "aggregates only");
    assert!(!body.contains("event_ids"));
    for id in &source_ids {
        assert!(!body.contains(id.as_str()), "{id} exposed");
    }

    // Item by id, the same feature.
    let id = hotspot["id"].as_str().unwrap();
    assert_eq!(id, "2024-05-24_2024-06-22_0");
    let item = fixture
        .get_json(&format!("/collections/hotspots/items/{id}"))
        .await;
    assert_eq!(item["properties"], hotspot["properties"]);
    assert_eq!(item["geometry"], hotspot["geometry"]);
    for unknown in [
        "2024-05-24_2024-06-22_9",
        "cluster-0",
        "2020-01-01_2024-01-01_0",
    ] {
        let (status, _) = fixture
            .get(&format!("/collections/hotspots/items/{unknown}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    }
}

#[tokio::test]
async fn hotspots_filter_on_min_events_bbox_and_datetime() {
    let fixture = Fixture::new();
    ingest_burst_and_noise(fixture.store.as_ref());
    let count = |query: &'static str| {
        let fixture = &fixture;
        async move {
            fixture
                .features(&format!("/collections/hotspots/items?{query}"))
                .await
                .len()
        }
    };
    assert_eq!(count("min_events=6").await, 1);
    assert_eq!(count("min_events=7").await, 0);
    assert_eq!(count("bbox=179,-1,179.5,1").await, 0);
    assert_eq!(count("bbox=-13,9,5,26").await, 1);
    assert_eq!(
        count("datetime=2024-01-01/2024-05-31").await,
        0,
        "noise only"
    );
    assert_eq!(count("datetime=2024-06-22/2024-06-30").await, 0, "2 of 6");
    let late = fixture
        .features("/collections/hotspots/items?datetime=2024-06-21/2024-06-30")
        .await;
    assert_eq!(late.len(), 1, "4 of 6 are still a cluster");
    assert_eq!(late[0]["properties"]["events"], 4);
    assert_eq!(count("datetime=2024-06-01/..").await, 1);
    let (status, body) = fixture
        .get("/collections/hotspots/items?datetime=2020-01-01/2024-06-30")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = fixture
        .get("/collections/hotspots/items?min_events=0")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_empty_store_has_no_hotspots_and_no_warnings() {
    let fixture = Fixture::new();
    for collection in ["hotspots", "warnings"] {
        let page = fixture
            .get_json(&format!("/collections/{collection}/items"))
            .await;
        check_rfc7946(&page);
        assert_eq!(page["numberReturned"], 0, "{collection}");
    }
}

#[tokio::test]
async fn the_warnings_layer_follows_every_recorded_transition_between_two_answers() {
    use TransitionKind::{Closed, Opened};
    use WarningLevel::Vigilance;
    let fixture = Fixture::new();
    let zones = zones();
    let store = fixture.store.as_ref();
    let [escalated, _closed, corridor] = record_warnings(store, &zones);
    let open = || async { episodes_of(&fixture.features("/collections/warnings/items").await) };
    let all = || async {
        episodes_of(
            &fixture
                .features("/collections/warnings/items?datetime=2024-01-01/2024-12-31")
                .await,
        )
    };
    assert_eq!(
        open().await,
        BTreeSet::from([escalated.clone(), corridor.clone()])
    );
    let all_before = all().await;
    assert_eq!(all_before.len(), 3);

    // The corridor's episode closes and a cercle opens one: the very next answers show it
    // (answers are kept between transitions, never across one).
    let cercle = format!("surge-7d/{}/2024-07-01", zones.cercle);
    let records = [
        transition(
            &corridor,
            &zones.corridor,
            ZoneLevel::Corridor,
            Closed,
            None,
            Some(WarningLevel::Urgence),
            "2024-07-01",
            json!({ "event_count": 0, "fatalities": 0 }),
        ),
        transition(
            &cercle,
            &zones.cercle,
            ZoneLevel::Cercle,
            Opened,
            Some(Vigilance),
            None,
            "2024-07-01",
            json!({ "event_count": 5, "fatalities": 0 }),
        ),
    ];
    assert_eq!(store.record_warnings(&records, &[]).unwrap().warnings, 2);
    assert_eq!(open().await, BTreeSet::from([escalated, cercle.clone()]));
    let mut expected = all_before;
    expected.insert(cercle);
    assert_eq!(all().await, expected);
}
