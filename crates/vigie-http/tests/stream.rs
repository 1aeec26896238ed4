//! The live stream over a real socket: changes written through the store arrive as
//! Server-Sent Events with increasing ids, a reconnecting client gets exactly what it missed,
//! a client too far behind is told to resync, and the public sees aggregates only.

mod live_support;
mod support;

use std::time::{Duration, Instant};

use live_support::{LiveServer, REPORTER_PHONE, hotspot, ingest, report, warn};
use vigie_domain::ApiRole;
use vigie_http::StreamSettings;

fn kinds(messages: &[live_support::Message]) -> Vec<&str> {
    messages
        .iter()
        .map(|message| message.event.as_str())
        .collect()
}

fn ids(messages: &[live_support::Message]) -> Vec<i64> {
    messages
        .iter()
        .map(|message| message.id.expect("every message has an id"))
        .collect()
}

#[test]
fn changes_arrive_live_with_increasing_ids_and_a_reconnect_gets_exactly_the_missed_ones() {
    let server = LiveServer::start();
    let key = server.key(ApiRole::Researcher, 1);
    let mut client = server.stream("", Some(&key), None);
    assert_eq!(client.status, 200);
    assert!(
        client
            .headers
            .iter()
            .any(|header| header.starts_with("content-type: text/event-stream")),
        "{:?}",
        client.headers
    );

    ingest(server.store.as_ref(), &["MLI1", "MLI2", "MLI3"]);
    let report_id = report(server.store.as_ref(), 1);
    warn(server.store.as_ref(), 1);
    let live = client.take(3);
    assert_eq!(kinds(&live), ["event", "report", "warning"]);
    let live_ids = ids(&live);
    assert!(
        live_ids.windows(2).all(|pair| pair[0] < pair[1]),
        "{live_ids:?}"
    );
    assert_eq!(live[0].data["data"]["inserted"], 3);
    assert_eq!(live[1].data["ref_id"], report_id);
    assert_eq!(live[1].data["data"]["commune"], "ML050301");
    assert_eq!(live[2].data["data"]["level"], "alerte");
    let text: String = live
        .iter()
        .map(|message| message.data.to_string())
        .collect();
    for secret in [REPORTER_PHONE, "22376123456", "ALERTE", "-3.512", "14.071"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    drop(client);

    // Changes while disconnected...
    warn(server.store.as_ref(), 2);
    ingest(server.store.as_ref(), &["MLI4"]);
    hotspot(server.store.as_ref(), 1);
    // ...are replayed from storage, exactly, after the last id the client saw.
    let last_seen = *live_ids.last().unwrap();
    let mut client = server.stream("", Some(&key), Some(last_seen));
    let missed = client.take(3);
    assert_eq!(kinds(&missed), ["warning", "event", "hotspot"]);
    let missed_ids = ids(&missed);
    let stored: Vec<i64> = server
        .store
        .stream_since(last_seen, 100)
        .unwrap()
        .iter()
        .map(|entry| entry.id)
        .collect();
    assert_eq!(missed_ids, stored);
    // Nothing else was pending: the next message is the next change.
    let next_id = hotspot(server.store.as_ref(), 2);
    let next = client.next().unwrap();
    assert_eq!((next.event.as_str(), next.id), ("hotspot", Some(next_id)));

    // `?since=` resumes the same way.
    let mut client = server.stream(&format!("?since={last_seen}"), Some(&key), None);
    assert_eq!(
        ids(&client.take(4)),
        [stored.clone(), vec![next_id]].concat()
    );
}

#[test]
fn a_client_too_far_behind_is_told_to_resync_and_then_carries_on() {
    let server = LiveServer::start_with(StreamSettings {
        poll_interval: Duration::from_millis(50),
        max_replay: 3,
        ..StreamSettings::default()
    });
    let key = server.key(ApiRole::Researcher, 1);
    let mut last = 0;
    for number in 0..5 {
        last = hotspot(server.store.as_ref(), number);
    }
    let mut client = server.stream("", Some(&key), Some(0));
    let resync = client.next().unwrap();
    assert_eq!(resync.event, "resync");
    assert_eq!(
        resync.id,
        Some(last),
        "resuming after a resync starts at the head"
    );
    assert_eq!(resync.data["reason"], "too far behind");
    let next_id = hotspot(server.store.as_ref(), 9);
    let next = client.next().unwrap();
    assert_eq!((next.event.as_str(), next.id), ("hotspot", Some(next_id)));

    // Within reach: a plain replay.
    let mut client = server.stream("", Some(&key), Some(last - 1));
    assert_eq!(ids(&client.take(2)), [last, next_id]);
}

#[test]
fn the_public_stream_carries_warnings_and_hotspots_only() {
    let server = LiveServer::start();
    let key = server.key(ApiRole::Researcher, 1);
    ingest(server.store.as_ref(), &["MLI1"]);
    report(server.store.as_ref(), 1);
    warn(server.store.as_ref(), 1);
    let hotspot_id = hotspot(server.store.as_ref(), 1);

    let mut public = server.stream("?since=0", None, None);
    assert_eq!(public.status, 200);
    let replayed = public.take(2);
    assert_eq!(kinds(&replayed), ["warning", "hotspot"]);
    ingest(server.store.as_ref(), &["MLI2"]);
    report(server.store.as_ref(), 2);
    let last = hotspot(server.store.as_ref(), 2);
    let live = public.next().unwrap();
    assert_eq!((live.event.as_str(), live.id), ("hotspot", Some(last)));

    let mut researcher = server.stream("?since=0", Some(&key), None);
    assert_eq!(
        kinds(&researcher.take(7)),
        [
            "event", "report", "warning", "hotspot", "event", "report", "hotspot"
        ]
    );

    // The polling fallback follows the same rules.
    let public_page = server.get("/api/stream?since=0&poll=true", None).json();
    let public_kinds: Vec<&str> = public_page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["kind"].as_str().unwrap())
        .collect();
    assert_eq!(public_kinds, ["warning", "hotspot", "hotspot"]);
    assert_eq!(public_page["next"], last);
    let page = server
        .get("/api/stream?since=0&poll=true&limit=2", Some(&key))
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let next = page["next"].as_i64().unwrap();
    let rest = server
        .get(&format!("/api/stream?since={next}&poll=true"), Some(&key))
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 5);
    assert_eq!(rest["next"], last);
    assert!(hotspot_id < last);
    let empty = server.get("/api/stream?poll=true", None).json();
    assert_eq!(empty["items"].as_array().unwrap().len(), 0);
    assert_eq!(empty["next"], last);
}

#[test]
fn bad_keys_and_bad_parameters_are_refused_on_the_stream() {
    let server = LiveServer::start();
    let key = server.key(ApiRole::Researcher, 1);
    let wrong = vigie_domain::api_key_from_bytes(&[99; 32]);
    for bad in [wrong.as_str(), "not-a-key"] {
        let client = server.stream("", Some(bad), None);
        assert_eq!(client.status, 401);
        assert_eq!(server.get("/api/stream?poll=true", Some(bad)).status, 401);
    }
    assert_eq!(server.stream("?since=x", Some(&key), None).status, 400);
    assert_eq!(server.stream("?bbox=1", None, None).status, 400);
    assert_eq!(server.get("/api/stream?poll=maybe", None).status, 400);
}

#[test]
fn stopping_the_server_ends_open_streams() {
    let server = LiveServer::start();
    let mut client = server.stream("", None, None);
    assert_eq!(client.status, 200);
    let stopped = server.stop();
    let started = Instant::now();
    assert!(client.next_within(Duration::from_secs(5)).is_none());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the stream stayed open after shutdown"
    );
    stopped
        .recv_timeout(Duration::from_secs(5))
        .expect("the server stops while a client is connected");
}
