//! `vigie demo`: the README's main job prepares a synthetic deployment with open warnings at
//! every level and serves it, with nothing else installed.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{json, repository};

fn get(address: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn the_demo_has_open_warnings_at_every_level_and_serves_them() {
    let directory = tempfile::tempdir().unwrap();
    let dir = directory.path().join("demo");
    let prepared = json(&[
        "demo",
        "--prepare-only",
        "--dir",
        dir.to_str().unwrap(),
        "--events",
        "4000",
    ]);
    for level in ["vigilance", "alerte", "urgence"] {
        assert!(prepared["open"][level].as_u64().unwrap() > 0, "{prepared}");
    }
    assert!(
        dir.join("SYNTHETIC-acled-events.csv").exists(),
        "the data says it is synthetic"
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args([
            "demo",
            "--dir",
            dir.to_str().unwrap(),
            "--events",
            "4000",
            "--bind",
            "127.0.0.1:0",
        ])
        .current_dir(repository())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let started = Instant::now();
    let address = loop {
        let line = lines.next().expect("the demo prints its URL").unwrap();
        if let Some(rest) = line.split("serving on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the demo did not start"
        );
    };
    std::thread::spawn(move || for _ in lines {});
    let (status, body) = get(&address, "/healthz");
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(&address, "/collections/communes/items?limit=5");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"FeatureCollection\""), "{body}");
    let (status, feed) = get(&address, "/cap/feed.atom");
    assert_eq!(status, 200);
    assert!(
        feed.matches("<entry>").count() > 3,
        "the CAP feed has open warnings"
    );
    // Raw ACLED rows are not public.
    let (status, _) = get(&address, "/collections/events/items");
    assert_eq!(status, 401);

    // SIGTERM: a graceful stop.
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(
        dir.join("vigie.secret").exists(),
        "the demo keeps its secret in its directory"
    );
}
