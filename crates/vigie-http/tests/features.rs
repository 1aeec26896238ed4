//! The research API (OGC API – Features) through the real router (`oneshot`, no socket) over a
//! real SQLite store filled with a few hundred generated events and some community reports.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::Value;
use support::{DEPLOYMENT_SECRET, GEOGRAPHY, check_rfc7946, located, shared_geography};
use tower::ServiceExt;
use vigie_domain::store::{EventQuery, ImportBatch, Store, StoredEvent};
use vigie_domain::{
    Event, EventSource, EventType, LocatedEvent, NewReport, PhoneProtector, ReportChannel,
    ReportedIncident, SourceFields, ZoneId,
};
use vigie_http::{ApiKeys, AppState, Clock, FeatureCatalog, IntakeConfig, Role};

const RESEARCHER_KEY: &str = "researcher-key-0001";
const EVENT_COUNT: usize = 400;
const REPORTER_PHONE: &str = "+22376123456";
const MONITOR_PHONE: &str = "+22365987654";

/// A fixed map of keys: a unit-test fake for the access decision, not a key store.
struct FixedKeys(HashMap<&'static str, Role>);

impl ApiKeys for FixedKeys {
    fn role_of(&self, token: &str) -> Option<Role> {
        self.0.get(token).copied()
    }
}

/// A small deterministic generator (SplitMix64), so every run sees the same data.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Fixture {
    router: Router,
    store: Arc<dyn Store>,
    _directory: tempfile::TempDir,
}

fn generated_event(random: &mut Random, number: usize) -> Event {
    let communes = GEOGRAPHY.directory.communes();
    let commune = &communes[random.below(communes.len() as u64) as usize];
    let (lon, lat) = commune.representative_point.unwrap();
    let first_day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let event_type = EventType::ALL[random.below(6) as usize];
    Event {
        source: if random.below(4) == 0 {
            EventSource::Ucdp
        } else {
            EventSource::Acled
        },
        source_event_id: format!("MLI{number:05}"),
        event_date: first_day + chrono::Days::new(random.below(182)),
        time_precision: 1,
        disorder_type: None,
        event_type,
        // One formula-looking value to prove CSV output defuses it.
        sub_event_type: Some(if number == 7 {
            "=HYPERLINK(\"http://evil\")".to_owned()
        } else {
            event_type.sub_event_types()[0].to_owned()
        }),
        original_event_type: None,
        actor1: Some("Unidentified Armed Group (Mali)".to_owned()),
        actor2: None,
        associated_actors: Vec::new(),
        inter1: Some(3),
        inter2: None,
        civilian_targeting: false,
        fatalities: random.below(12) as u32,
        fatalities_low: None,
        fatalities_high: None,
        longitude: lon + (random.unit() - 0.5) * 0.2,
        latitude: lat + (random.unit() - 0.5) * 0.2,
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

fn fixture() -> Fixture {
    fixture_with(GEOGRAPHY.features.clone())
}

/// The fixture with its own collections (and so its own zone activity cache: the shared
/// one is filled from whichever test's store asks first).
fn fixture_with(features: Arc<FeatureCatalog>) -> Fixture {
    let directory = tempfile::tempdir().unwrap();
    let store = support::open_test_store(directory.path());
    let mut random = Random(20240101);
    let events: Vec<LocatedEvent> = (0..EVENT_COUNT)
        .map(|number| located(generated_event(&mut random, number)))
        .collect();
    let run = store
        .start_import(EventSource::Acled, "generated", None)
        .unwrap();
    store
        .apply_batch(
            run,
            &ImportBatch {
                rows_read: EVENT_COUNT as u64,
                events,
                quarantined: Vec::new(),
            },
        )
        .unwrap();
    let protector = Arc::new(PhoneProtector::new(DEPLOYMENT_SECRET).unwrap());
    // A registered, trusted monitor: their reports are verified.
    store
        .register_reporter(
            &protector
                .new_reporter(MONITOR_PHONE, true, None, None, None)
                .unwrap(),
        )
        .unwrap();
    for number in 0..5 {
        let phone = if number % 2 == 0 {
            MONITOR_PHONE
        } else {
            REPORTER_PHONE
        };
        let commune = &GEOGRAPHY.directory.communes()[number * 100];
        let exact = exact_report_point(number);
        let location = located(Event {
            longitude: exact.0,
            latitude: exact.1,
            ..generated_event(&mut Random(0), 0)
        })
        .location;
        store
            .record_report(&NewReport {
                channel: ReportChannel::Web,
                provider_message_id: format!("web-{number}"),
                reporter: Some(
                    protector
                        .new_reporter(phone, number % 2 == 0, None, None, None)
                        .unwrap(),
                ),
                received_at: Utc.with_ymd_and_hms(2024, 6, 1, 8, 0, 0).unwrap(),
                text: format!("ALERTE {} attaque, appelez-moi au {phone}", commune.name),
                language: "fr".to_owned(),
                incident: Some(ReportedIncident {
                    commune: commune.id.clone(),
                    event_type: EventType::ViolenceAgainstCivilians,
                    sub_event_type: None,
                    fatalities: 2,
                    injured: Some(1),
                    occurred_on: NaiveDate::from_ymd_opt(2024, 6, 1).unwrap(),
                }),
                clarification: None,
                // Exact coordinates a form gave: must never be served.
                coordinates: Some(exact),
                location: Some(location),
            })
            .unwrap();
    }
    let state = AppState {
        store: store.clone(),
        geography: shared_geography(features),
        protector,
        config: IntakeConfig::default(),
        clock: Clock::fixed(Utc.with_ymd_and_hms(2024, 7, 15, 12, 0, 0).unwrap()),
        api_keys: None,
        rules: None,
        leader: None,
    }
    .with_api_keys(Arc::new(FixedKeys(HashMap::from([(
        RESEARCHER_KEY,
        Role::Researcher,
    )]))));
    Fixture {
        router: vigie_http::router(state),
        store,
        _directory: directory,
    }
}

/// Where report `number` really happened (a form's exact point, inside its commune).
fn exact_report_point(number: usize) -> (f64, f64) {
    let commune = &GEOGRAPHY.directory.communes()[number * 100];
    let (lon, lat) = commune.representative_point.unwrap();
    (lon + 0.001_234_5, lat + 0.000_543_21)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }

    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }
}

impl Fixture {
    async fn request(&self, uri: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::get(uri).header(header::HOST, "vigie.test");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn get(&self, uri: &str) -> Answer {
        self.request(uri, &[]).await
    }

    async fn get_keyed(&self, uri: &str) -> Answer {
        let authorization = format!("Bearer {RESEARCHER_KEY}");
        self.request(uri, &[("authorization", authorization.as_str())])
            .await
    }

    /// Every event id a query returns, following `next` links; panics on a repeat.
    async fn all_ids(&self, first: &str) -> Vec<i64> {
        let mut ids = Vec::new();
        let mut uri = first.to_owned();
        loop {
            let answer = self.get_keyed(&uri).await;
            assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.body);
            let page = answer.json();
            let features = page["features"].as_array().unwrap();
            assert_eq!(
                page["numberReturned"].as_u64().unwrap() as usize,
                features.len()
            );
            ids.extend(
                features
                    .iter()
                    .map(|feature| feature["id"].as_i64().unwrap()),
            );
            match next_link(&page) {
                Some(next) => uri = next,
                None => break,
            }
        }
        let unique: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "an item came twice");
        ids
    }
}

/// A query string, and the bbox (west, south, east, north) and days a brute force applies.
type FilterCase = (
    String,
    Option<(f64, f64, f64, f64)>,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

/// The path and query of a page's `next` link.
fn next_link(page: &Value) -> Option<String> {
    page["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|link| link["rel"] == "next")
        .map(|link| {
            let href = link["href"].as_str().unwrap();
            href.strip_prefix("http://vigie.test")
                .expect("absolute link on our host")
                .to_owned()
        })
}

fn all_events(store: &dyn Store) -> Vec<StoredEvent> {
    store.events(&EventQuery::default()).unwrap()
}

#[tokio::test]
async fn landing_conformance_and_collections_have_the_ogc_shapes() {
    let fixture = fixture();
    let landing = fixture.get("/").await;
    assert_eq!(landing.status, StatusCode::OK);
    assert_eq!(landing.content_type(), "application/json");
    let landing = landing.json();
    let rels: BTreeSet<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|link| link["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(rel), "landing page lacks {rel}");
    }
    let conformance = fixture.get("/conformance").await.json();
    let classes: Vec<&str> = conformance["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|class| class.as_str().unwrap())
        .collect();
    for class in ["conf/core", "conf/geojson", "conf/oas30"] {
        assert!(
            classes.iter().any(|c| c.ends_with(class)),
            "missing {class}"
        );
    }
    let collections = fixture.get_keyed("/collections").await.json();
    assert_eq!(
        listed_ids(&collections),
        [
            "events",
            "reports",
            "communes",
            "cercles",
            "regions",
            "corridors",
            "hotspots",
            "warnings"
        ]
    );
    for collection in collections["collections"].as_array().unwrap() {
        let bbox = &collection["extent"]["spatial"]["bbox"][0];
        assert_eq!(bbox.as_array().unwrap().len(), 4);
        assert!(
            collection["links"]
                .as_array()
                .unwrap()
                .iter()
                .any(|link| link["rel"] == "items")
        );
    }
    let communes = fixture.get("/collections/communes").await;
    assert_eq!(communes.status, StatusCode::OK);
    assert_eq!(communes.json()["id"], "communes");
    let events = fixture.get_keyed("/collections/events").await;
    assert_eq!(events.status, StatusCode::OK);
    assert_eq!(events.json()["requiresKey"], true);
    let missing = fixture.get("/collections/hotspotz").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.content_type(), "application/problem+json");
}

fn listed_ids(collections: &Value) -> Vec<&str> {
    collections["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|collection| collection["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_public_is_shown_only_the_collections_it_may_read() {
    let fixture = fixture();
    let public = fixture.get("/collections").await;
    assert_eq!(public.status, StatusCode::OK);
    let public = public.json();
    assert_eq!(
        listed_ids(&public),
        [
            "communes",
            "cercles",
            "regions",
            "corridors",
            "hotspots",
            "warnings"
        ]
    );
    assert!(
        !public.to_string().contains("/collections/events")
            && !public.to_string().contains("/collections/reports"),
        "no link leads the public to a keyed collection"
    );
    // Every collection the public is shown answers it, description and items.
    for id in listed_ids(&public) {
        for uri in [
            format!("/collections/{id}"),
            format!("/collections/{id}/items?limit=1"),
        ] {
            assert_eq!(fixture.get(&uri).await.status, StatusCode::OK, "{uri}");
        }
    }
    // Asked for by name, a keyed collection says a key is needed rather than "not found".
    for id in ["events", "reports"] {
        let anonymous = fixture.get(&format!("/collections/{id}")).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{id}");
        assert_eq!(anonymous.content_type(), "application/problem+json");
        assert!(anonymous.headers.contains_key(header::WWW_AUTHENTICATE));
        let keyed = fixture.get_keyed(&format!("/collections/{id}")).await;
        assert_eq!(keyed.status, StatusCode::OK, "{id}");
        assert_eq!(keyed.json()["id"], id);
    }
    // A key that does not work is refused, not silently given the public list.
    let wrong = fixture
        .request("/collections", &[("authorization", "Bearer not-a-key")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let wrong = fixture
        .request(
            "/collections/events",
            &[("authorization", "Bearer not-a-key")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bbox_and_datetime_filters_match_a_brute_force_filter() {
    let fixture = fixture();
    let events = all_events(fixture.store.as_ref());
    assert!(events.len() >= EVENT_COUNT);
    let mut random = Random(7);
    let day = |text: &str| text.parse::<NaiveDate>().unwrap();
    let cases: Vec<FilterCase> = vec![
        (
            "datetime=2024-03-01".into(),
            None,
            Some(day("2024-03-01")),
            Some(day("2024-03-01")),
        ),
        (
            "datetime=2024-02-01T10:00:00Z/2024-02-20T00:00:00Z".into(),
            None,
            Some(day("2024-02-01")),
            Some(day("2024-02-20")),
        ),
        (
            "datetime=../2024-01-15".into(),
            None,
            None,
            Some(day("2024-01-15")),
        ),
        (
            "datetime=2024-06-10/..".into(),
            None,
            Some(day("2024-06-10")),
            None,
        ),
    ];
    let mut cases = cases;
    for _ in 0..6 {
        let min_lon = -12.0 + random.unit() * 14.0;
        let min_lat = 10.0 + random.unit() * 12.0;
        let bbox = (
            min_lon,
            min_lat,
            min_lon + 1.0 + random.unit() * 4.0,
            min_lat + 1.0 + random.unit() * 4.0,
        );
        let query = format!("bbox={},{},{},{}", bbox.0, bbox.1, bbox.2, bbox.3);
        cases.push((query.clone(), Some(bbox), None, None));
        cases.push((
            format!("{query}&datetime=2024-02-01/2024-04-30"),
            Some(bbox),
            Some(day("2024-02-01")),
            Some(day("2024-04-30")),
        ));
    }
    for (query, bbox, from, to) in cases {
        let expected: Vec<i64> = events
            .iter()
            .filter(|stored| {
                let event = &stored.located.event;
                bbox.is_none_or(|(w, s, e, n)| {
                    w <= event.longitude
                        && event.longitude <= e
                        && s <= event.latitude
                        && event.latitude <= n
                }) && from.is_none_or(|from| event.event_date >= from)
                    && to.is_none_or(|to| event.event_date <= to)
            })
            .map(|stored| stored.id)
            .collect();
        let found = fixture
            .all_ids(&format!("/collections/events/items?limit=10000&{query}"))
            .await;
        assert_eq!(found, expected, "{query}");
        let paged = fixture
            .all_ids(&format!("/collections/events/items?limit=9&{query}"))
            .await;
        assert_eq!(paged, expected, "{query}, paged");
    }
}

#[tokio::test]
async fn following_next_links_returns_every_matching_item_exactly_once() {
    let fixture = fixture();
    let events = all_events(fixture.store.as_ref());
    let all = fixture.all_ids("/collections/events/items?limit=13").await;
    assert_eq!(
        all,
        events.iter().map(|stored| stored.id).collect::<Vec<_>>()
    );
    let battles: Vec<i64> = events
        .iter()
        .filter(|stored| stored.located.event.event_type == EventType::Battles)
        .map(|stored| stored.id)
        .collect();
    assert!(!battles.is_empty());
    assert_eq!(
        fixture
            .all_ids("/collections/events/items?limit=5&event_type=battles")
            .await,
        battles
    );
    let region = events[0].located.location.region.clone().unwrap();
    let in_region: Vec<i64> = events
        .iter()
        .filter(|stored| stored.located.location.region.as_ref() == Some(&region))
        .map(|stored| stored.id)
        .collect();
    assert_eq!(
        fixture
            .all_ids(&format!(
                "/collections/events/items?limit=4&region={region}"
            ))
            .await,
        in_region
    );
    let ucdp: Vec<i64> = events
        .iter()
        .filter(|stored| stored.located.event.source == EventSource::Ucdp)
        .map(|stored| stored.id)
        .collect();
    assert_eq!(
        fixture
            .all_ids("/collections/events/items?limit=50&source=ucdp")
            .await,
        ucdp
    );
    let first = fixture
        .get_keyed("/collections/events/items?source=ucdp")
        .await
        .json();
    assert_eq!(
        first["numberMatched"].as_u64().unwrap() as usize,
        ucdp.len(),
        "cheap count"
    );
    assert_eq!(first["numberReturned"], 10, "default limit");
    assert!(first["timeStamp"].as_str().unwrap().ends_with('Z'));
    // Zone collections page by offset; every commune comes once.
    let mut pcodes = BTreeSet::new();
    let mut uri = "/collections/communes/items?limit=100".to_owned();
    loop {
        let page = fixture.get(&uri).await.json();
        assert_eq!(page["numberMatched"], 701);
        for feature in page["features"].as_array().unwrap() {
            assert!(pcodes.insert(feature["id"].as_str().unwrap().to_owned()));
        }
        match next_link(&page) {
            Some(next) => uri = next,
            None => break,
        }
    }
    assert_eq!(pcodes.len(), GEOGRAPHY.zones.communes.len());
}

#[tokio::test]
async fn unknown_or_malformed_parameters_are_400_problems_naming_the_parameter() {
    let fixture = fixture();
    let cases = [
        ("/collections/communes/items?colour=red", "colour"),
        ("/collections/communes/items?limit=0", "limit"),
        ("/collections/communes/items?limit=10001", "limit"),
        ("/collections/communes/items?limit=ten", "limit"),
        ("/collections/communes/items?limit=5&limit=6", "limit"),
        ("/collections/communes/items?bbox=1,2,3", "bbox"),
        ("/collections/communes/items?bbox=-4,15,-2,13", "bbox"),
        ("/collections/communes/items?datetime=yesterday", "datetime"),
        (
            "/collections/communes/items?datetime=2024-05-01/2024-04-01",
            "datetime",
        ),
        ("/collections/communes/items?tolerance=5", "tolerance"),
        ("/collections/communes/items?next=abc", "next"),
        ("/collections/communes/items?source=acled", "source"),
        ("/collections/communes/items?f=xml", "f"),
        ("/collections/communes/items?hxl=maybe", "hxl"),
        ("/collections/events/items?event_type=picnic", "event_type"),
        ("/collections/events/items?next=abc", "next"),
        ("/collections/events/items?commune=ML%2001", "commune"),
        ("/collections?bbox=1,2,3,4", "bbox"),
        ("/conformance?x=1", "x"),
        ("/?f=xml", "f"),
        ("/collections/communes/items/ML050303?limit=1", "limit"),
    ];
    for (uri, parameter) in cases {
        let answer = fixture.get_keyed(uri).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            answer.body
        );
        assert_eq!(answer.content_type(), "application/problem+json", "{uri}");
        let problem = answer.json();
        assert_eq!(problem["status"], 400);
        assert_eq!(problem["parameter"], parameter, "{uri}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("`{parameter}`")),
            "{uri}: {problem}"
        );
        assert!(problem["type"].is_string() && problem["title"].is_string());
    }
}

#[tokio::test]
async fn event_and_report_items_need_a_researcher_key_and_aggregates_do_not() {
    let fixture = fixture();
    for uri in [
        "/collections/events/items",
        "/collections/events/items?f=csv",
        "/collections/events/items/1",
        "/collections/reports/items",
    ] {
        let anonymous = fixture.get(uri).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(anonymous.content_type(), "application/problem+json");
        assert!(anonymous.headers.contains_key(header::WWW_AUTHENTICATE));
        assert!(!anonymous.body.contains("MLI0"), "no event row leaks");
        let wrong = fixture
            .request(uri, &[("authorization", "Bearer not-a-key")])
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(fixture.get_keyed(uri).await.status, StatusCode::OK, "{uri}");
    }
    for collection in ["communes", "cercles", "regions", "corridors"] {
        let answer = fixture
            .get(&format!("/collections/{collection}/items"))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{collection}");
        assert_eq!(answer.content_type(), "application/geo+json");
    }
}

#[tokio::test]
async fn item_by_id_and_404_for_unknown_ones() {
    let fixture = fixture();
    let events = all_events(fixture.store.as_ref());
    let stored = &events[17];
    let answer = fixture
        .get_keyed(&format!("/collections/events/items/{}", stored.id))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), "application/geo+json");
    let feature = answer.json();
    assert_eq!(feature["type"], "Feature");
    assert_eq!(feature["id"], stored.id);
    assert_eq!(
        feature["properties"]["source_event_id"],
        stored.located.event.source_event_id
    );
    assert_eq!(
        feature["geometry"]["coordinates"],
        serde_json::json!([
            stored.located.event.longitude,
            stored.located.event.latitude
        ])
    );
    let commune = fixture.get("/collections/communes/items/ML050303").await;
    assert_eq!(commune.status, StatusCode::OK);
    assert_eq!(commune.json()["properties"]["pcode"], "ML050303");
    for uri in [
        "/collections/events/items/999999",
        "/collections/events/items/not-a-number",
        "/collections/communes/items/ML999999",
        "/collections/nothing/items/1",
    ] {
        let answer = fixture.get_keyed(uri).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(answer.content_type(), "application/problem+json");
    }
}

/// Twice the signed area of a ring (positive: counter-clockwise).
#[tokio::test]
async fn every_collection_is_valid_rfc7946_and_the_simplified_communes_are_small() {
    let fixture = fixture();
    for collection in [
        "events",
        "reports",
        "communes",
        "cercles",
        "regions",
        "corridors",
        "hotspots",
        "warnings",
    ] {
        let answer = fixture
            .get_keyed(&format!("/collections/{collection}/items?limit=10000"))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{collection}");
        check_rfc7946(&answer.json());
    }
    let simplified = fixture.get("/collections/communes/items?limit=1000").await;
    let full = fixture
        .get("/collections/communes/items?limit=1000&tolerance=0")
        .await;
    let coarse = fixture
        .get("/collections/communes/items?limit=1000&tolerance=0.01")
        .await;
    check_rfc7946(&full.json());
    check_rfc7946(&coarse.json());
    let kb = |answer: &Answer| answer.body.len() as f64 / 1024.0;
    eprintln!(
        "communes collection (701 features): full {:.0} KB, default (0.005°) {:.0} KB, coarse (0.01°) {:.0} KB",
        kb(&full),
        kb(&simplified),
        kb(&coarse)
    );
    assert!(simplified.body.len() * 2 < full.body.len());
    assert!(
        simplified.body.len() < 600 * 1024,
        "the default commune layer stays small"
    );
    assert!(coarse.body.len() < simplified.body.len());
}

#[tokio::test]
async fn zone_activity_counts_the_30_days_ending_at_the_newest_event() {
    let fixture = fixture();
    let events = all_events(fixture.store.as_ref());
    let newest = events
        .iter()
        .map(|stored| stored.located.event.event_date)
        .max()
        .unwrap();
    let start = newest - chrono::Days::new(29);
    let mut expected: HashMap<ZoneId, (u64, u64)> = HashMap::new();
    for stored in &events {
        let event = &stored.located.event;
        if event.event_date < start || event.event_date > newest {
            continue;
        }
        if let Some(region) = &stored.located.location.region {
            let tally = expected.entry(region.clone()).or_default();
            tally.0 += 1;
            tally.1 += u64::from(event.fatalities);
        }
    }
    let regions = fixture
        .get("/collections/regions/items?limit=100")
        .await
        .json();
    let mut seen = 0;
    for feature in regions["features"].as_array().unwrap() {
        let properties = &feature["properties"];
        let id = ZoneId::new(properties["pcode"].as_str().unwrap()).unwrap();
        let (count, fatalities) = expected.get(&id).copied().unwrap_or_default();
        assert_eq!(properties["events_30d"], count, "{id}");
        assert_eq!(properties["fatalities_30d"], fatalities, "{id}");
        assert_eq!(properties["window_end"], newest.to_string());
        assert_eq!(properties["window_start"], start.to_string());
        seen += count;
    }
    assert!(seen > 0);
}

#[tokio::test]
async fn new_events_reach_zone_activity_before_the_cache_expires() {
    let fixture = fixture_with(Arc::new(FeatureCatalog::new(
        &GEOGRAPHY.zones,
        &GEOGRAPHY.directory,
    )));
    let commune = &GEOGRAPHY.directory.communes()[0];
    let activity = |page: &Value| -> (u64, String) {
        let feature = page["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|feature| feature["id"] == commune.id.as_str())
            .expect("the commune is listed");
        (
            feature["properties"]["events_30d"].as_u64().unwrap(),
            feature["properties"]["window_end"]
                .as_str()
                .unwrap()
                .to_owned(),
        )
    };
    let before = fixture
        .get("/collections/communes/items?limit=1000")
        .await
        .json();
    let (count, newest) = activity(&before);
    // Three events on the newest day, in the commune: the window does not move.
    let (lon, lat) = commune.representative_point.unwrap();
    let events: Vec<LocatedEvent> = (0..3)
        .map(|number| {
            located(Event {
                event_date: newest.parse().unwrap(),
                longitude: lon,
                latitude: lat,
                ..generated_event(&mut Random(number), 90_000 + number as usize)
            })
        })
        .collect();
    let run = fixture
        .store
        .start_import(EventSource::Acled, "later", None)
        .unwrap();
    fixture
        .store
        .apply_batch(
            run,
            &ImportBatch {
                rows_read: 3,
                events,
                quarantined: Vec::new(),
            },
        )
        .unwrap();
    // The clock stands still: only the stream log's head can tell the cache to recompute,
    // once its tally is five seconds old.
    let mut seen = count;
    for _ in 0..400 {
        let page = fixture
            .get("/collections/communes/items?limit=1000")
            .await
            .json();
        seen = activity(&page).0;
        if seen == count + 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(seen, count + 3, "the communes page shows the new events");
    let one = fixture
        .get(&format!(
            "/collections/communes/items/{}",
            commune.id.as_str()
        ))
        .await
        .json();
    assert_eq!(one["properties"]["events_30d"], count + 3);
}

#[tokio::test]
async fn a_box_finds_a_community_event_by_its_commune_point_never_by_its_exact_one() {
    let fixture = fixture();
    for number in 0..5 {
        let commune = &GEOGRAPHY.directory.communes()[number * 100];
        let (lon, lat) = commune.representative_point.unwrap();
        let (exact_lon, exact_lat) = exact_report_point(number);
        // The exact point is 0.0012° east of the commune's: each box holds one of the two.
        let around_commune = format!(
            "bbox={},{},{},{}",
            lon - 0.001,
            lat - 0.001,
            lon + 0.001,
            lat + 0.001
        );
        let around_exact = format!(
            "bbox={},{},{},{}",
            exact_lon - 0.0001,
            exact_lat - 0.0001,
            exact_lon + 0.0001,
            exact_lat + 0.0001
        );
        for source in ["", "&source=community"] {
            let community_in = |query: String| {
                let fixture = &fixture;
                async move {
                    let page = fixture
                        .get_keyed(&format!(
                            "/collections/events/items?limit=100&{query}{source}"
                        ))
                        .await
                        .json();
                    page["features"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|feature| {
                            feature["properties"]["source"] == "community"
                                && feature["properties"]["commune"] == commune.id.as_str()
                        })
                        .count()
                }
            };
            assert_eq!(
                community_in(around_commune.clone()).await,
                1,
                "{number}{source}"
            );
            assert_eq!(
                community_in(around_exact.clone()).await,
                0,
                "{number}{source}"
            );
        }
    }
}

#[tokio::test]
async fn csv_export_has_a_header_an_hxl_row_and_defused_formulas() {
    let fixture = fixture();
    let answer = fixture
        .get_keyed("/collections/events/items?limit=10000&f=csv&hxl=true")
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.content_type().starts_with("text/csv"));
    let mut reader = csv::ReaderBuilder::new().from_reader(answer.body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let hxl = &rows[0];
    let tag = |column: &str| hxl[header.iter().position(|name| name == column).unwrap()].to_owned();
    assert_eq!(tag("event_type"), "#event+type");
    assert_eq!(tag("event_date"), "#date+occurred");
    assert_eq!(tag("commune"), "#adm3+code");
    assert_eq!(tag("cercle"), "#adm2+code");
    assert_eq!(tag("region"), "#adm1+code");
    assert_eq!(tag("latitude"), "#geo+lat");
    assert_eq!(tag("longitude"), "#geo+lon");
    assert_eq!(tag("fatalities"), "#affected+killed");
    let events = all_events(fixture.store.as_ref());
    assert_eq!(rows.len() - 1, events.len());
    let sub = header
        .iter()
        .position(|name| name == "sub_event_type")
        .unwrap();
    assert!(
        rows.iter().any(|row| row[sub].starts_with("'=HYPERLINK")),
        "formula defused"
    );
    assert!(
        !rows
            .iter()
            .any(|row| row.iter().any(|cell| cell.starts_with('=')))
    );
    let lon = header.iter().position(|name| name == "longitude").unwrap();
    assert!(
        rows[1..].iter().all(|row| row[lon].parse::<f64>().is_ok()),
        "numbers stay numbers"
    );
    // Accept: text/csv, paging by Link header, and no HXL row by default.
    let authorization = format!("Bearer {RESEARCHER_KEY}");
    let negotiated = fixture
        .request(
            "/collections/events/items?limit=5",
            &[
                ("accept", "text/csv"),
                ("authorization", authorization.as_str()),
            ],
        )
        .await;
    assert!(negotiated.content_type().starts_with("text/csv"));
    assert_eq!(negotiated.body.lines().count(), 6);
    assert!(
        negotiated.headers[header::LINK]
            .to_str()
            .unwrap()
            .contains("rel=\"next\"")
    );
    let communes = fixture
        .get("/collections/communes/items?f=csv&hxl=true&limit=1000")
        .await;
    let lines: Vec<&str> = communes.body.lines().collect();
    assert_eq!(lines.len(), 2 + 701);
    assert!(lines[1].starts_with("#meta+id,#adm3+code,#adm3+name,#adm2+code"));
}

#[tokio::test]
async fn reports_are_coarsened_to_their_commune_and_carry_no_reporter_data() {
    let fixture = fixture();
    let answer = fixture
        .get_keyed("/collections/reports/items?limit=100")
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let page = answer.json();
    let features = page["features"].as_array().unwrap();
    assert_eq!(features.len(), 5);
    for feature in features {
        let commune = ZoneId::new(feature["properties"]["commune"].as_str().unwrap()).unwrap();
        let point = GEOGRAPHY
            .directory
            .commune(&commune)
            .unwrap()
            .representative_point
            .unwrap();
        assert_eq!(
            feature["geometry"]["coordinates"],
            serde_json::json!([point.0, point.1])
        );
        assert!(
            ["verified", "unverified"].contains(&feature["properties"]["status"].as_str().unwrap())
        );
    }
    let verified = fixture
        .get_keyed("/collections/reports/items?status=verified")
        .await
        .json();
    assert_eq!(verified["numberMatched"], 3);
    let csv = fixture
        .get_keyed("/collections/reports/items?f=csv&hxl=true")
        .await
        .body;
    // The community events the reports became are coarsened the same way.
    let community = fixture
        .get_keyed("/collections/events/items?source=community&limit=100")
        .await;
    let community_page = community.json();
    assert_eq!(community_page["numberReturned"], 5);
    for feature in community_page["features"].as_array().unwrap() {
        let commune = ZoneId::new(feature["properties"]["commune"].as_str().unwrap()).unwrap();
        let point = GEOGRAPHY
            .directory
            .commune(&commune)
            .unwrap()
            .representative_point
            .unwrap();
        assert_eq!(
            feature["geometry"]["coordinates"],
            serde_json::json!([point.0, point.1])
        );
    }
    let community_csv = fixture
        .get_keyed("/collections/events/items?source=community&f=csv")
        .await
        .body;
    let protector = PhoneProtector::new(DEPLOYMENT_SECRET).unwrap();
    let pseudonyms: Vec<String> = [REPORTER_PHONE, MONITOR_PHONE]
        .into_iter()
        .map(|phone| {
            let reporter = protector
                .new_reporter(phone, false, None, None, None)
                .unwrap();
            PhoneProtector::pseudonym(&reporter.phone_hmac)
        })
        .collect();
    let exact: Vec<String> = (0..5)
        .flat_map(|number| {
            let (lon, lat) = exact_report_point(number);
            [format!("{lon}"), format!("{lat}")]
        })
        .collect();
    for body in [&answer.body, &csv, &community.body, &community_csv] {
        for secret in [
            REPORTER_PHONE,
            MONITOR_PHONE,
            "76123456",
            "65987654",
            "appelez",
        ]
        .into_iter()
        .chain(pseudonyms.iter().map(String::as_str))
        .chain(exact.iter().map(String::as_str))
        {
            assert!(!body.contains(secret), "{secret} leaked");
        }
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_parameter_and_collection() {
    let fixture = fixture();
    let answer = fixture.get("/api").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .content_type()
            .starts_with("application/vnd.oai.openapi+json")
    );
    let document = answer.json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.0"));
    let paths = document["paths"].as_object().unwrap();
    for route in &vigie_http::features::ROUTES {
        assert!(paths[route.path]["get"].is_object(), "{}", route.path);
    }
    for route in &vigie_http::INTAKE_ROUTES {
        assert!(paths[route.path]["post"].is_object(), "{}", route.path);
    }
    for collection in GEOGRAPHY.features.collection_ids() {
        let items = &paths[&format!("/collections/{collection}/items")]["get"];
        assert!(items.is_object(), "{collection}");
        assert!(paths.contains_key(&format!("/collections/{collection}/items/{{featureId}}")));
        assert!(document["components"]["schemas"][format!("{collection}Feature")].is_object());
    }
    let listed: BTreeSet<&str> = GEOGRAPHY.features.collection_ids().into_iter().collect();
    let expected: BTreeSet<&str> = [
        "events",
        "reports",
        "communes",
        "cercles",
        "regions",
        "corridors",
        "hotspots",
        "warnings",
    ]
    .into();
    assert_eq!(listed, expected, "the collections issue 6 asks for");
    let parameter_names = |path: &str| -> Vec<String> {
        paths[path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|parameter| parameter["$ref"].as_str())
            .map(|reference| reference.rsplit('/').next().unwrap().to_owned())
            .collect()
    };
    let warnings = parameter_names("/collections/warnings/items");
    for name in [
        "level",
        "zone_level",
        "commune",
        "cercle",
        "region",
        "tolerance",
    ] {
        assert!(
            warnings.iter().any(|listed| listed == name),
            "warnings lack {name}"
        );
    }
    assert!(parameter_names("/collections/hotspots/items").contains(&"min_events".to_owned()));
    assert_eq!(
        document["components"]["schemas"]["hotspotsFeature"]["properties"]["geometry"]["properties"]
            ["type"]["enum"],
        serde_json::json!(["Polygon", "LineString", "Point"])
    );
    assert!(
        paths["/collections/warnings/items"]["get"]["responses"]["401"].is_null(),
        "public"
    );
    let events = &paths["/collections/events/items"]["get"];
    assert!(events["responses"]["401"].is_object());
    let parameters: Vec<&str> = events["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|parameter| {
            parameter["$ref"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
        })
        .collect();
    for name in [
        "bbox",
        "datetime",
        "limit",
        "next",
        "f",
        "hxl",
        "event_type",
        "commune",
        "cercle",
        "region",
        "source",
    ] {
        assert!(parameters.contains(&name), "events items lack {name}");
        assert!(document["components"]["parameters"][name].is_object());
    }
    assert_eq!(
        document["components"]["parameters"]["limit"]["schema"]["maximum"],
        vigie_http::features::MAX_LIMIT
    );
}

/// Every `$ref` in `value`, as JSON pointers into the document.
fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                match (name.as_str(), member) {
                    ("$ref", Value::String(reference)) => found.push(reference),
                    _ => references(member, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn every_documented_read_answers_as_the_document_says() {
    let fixture = fixture();
    let document = fixture.get("/api").await.json();
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(!found.is_empty());
    for reference in found {
        let pointer = reference.strip_prefix('#').expect("local references only");
        assert!(document.pointer(pointer).is_some(), "{reference} resolves");
    }
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/cap/feed.atom",
        "/cap/{identifier}.xml",
        "/api/stream",
        "/api/keys",
        "/healthz",
        "/metrics",
    ] {
        assert!(paths[path]["get"].is_object(), "{path} is documented");
    }
    let mut checked = 0;
    for (path, item) in paths {
        let Some(operation) = item.get("get") else {
            continue;
        };
        let integer_ids = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|parameter| {
                parameter["name"] == "featureId" && parameter["schema"]["type"] == "integer"
            });
        let uri = path
            .replace("{collectionId}", "communes")
            .replace("{featureId}", if integer_ids { "1" } else { "ML010101" })
            .replace("{identifier}", "vigie-no-such-message");
        // The stream's documented JSON form; without `poll` it never ends.
        let uri = if path == "/api/stream" {
            format!("{uri}?poll=true&since=0")
        } else {
            uri
        };
        for keyed in [false, true] {
            let answer = if keyed {
                fixture.get_keyed(&uri).await
            } else {
                fixture.get(&uri).await
            };
            let status = answer.status.as_str().to_owned();
            let documented = &operation["responses"][&status];
            assert!(
                documented.is_object(),
                "GET {uri} (key: {keyed}) answered {status}, not documented: {}",
                answer.body
            );
            if let Some(content) = documented["content"].as_object() {
                let essence =
                    |media_type: &str| media_type.split(';').next().unwrap().trim().to_owned();
                let media_type = essence(answer.content_type());
                assert!(
                    content
                        .keys()
                        .any(|documented| essence(documented) == media_type),
                    "GET {uri} (key: {keyed}) answered {status} as {media_type}, documented {:?}",
                    content.keys().collect::<Vec<_>>()
                );
            }
            checked += 1;
        }
    }
    // 7 OGC routes, 2 per collection, 6 service routes; each anonymously and keyed.
    assert!(checked >= 2 * (7 + 2 * 8 + 6), "{checked} answers checked");
}

#[tokio::test]
async fn the_sms_intake_routes_are_still_mounted() {
    let fixture = fixture();
    let request = Request::post("/api/reports")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let response = fixture.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // SMSSync switched off answers 403 in its own format; an unmounted route would be 404.
    let request = Request::post("/webhooks/sms/smssync")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("from=%2B22376123456&message=x&secret=s"))
        .unwrap();
    let response = fixture.router.clone().oneshot(request).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "smssync route mounted"
    );
}
