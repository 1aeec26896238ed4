//! Running the built `vigie` binary, and the databases the tests run it against.

#![allow(dead_code)] // each test file uses a different part

pub mod mali;
pub mod serve;
pub mod sinks;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn vigie(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(arguments)
        .current_dir(repository())
        .output()
        .expect("the vigie binary runs")
}

pub fn succeed(arguments: &[&str]) -> String {
    let output = vigie(arguments);
    assert!(
        output.status.success(),
        "vigie {arguments:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

pub fn json(arguments: &[&str]) -> serde_json::Value {
    serde_json::from_str(&succeed(arguments)).expect("JSON output")
}

/// A fresh, empty database for one test: a SQLite file in a temporary directory, or a new
/// database on the PostgreSQL server of `VIGIE_TEST_POSTGRES_URL`, dropped afterwards.
pub struct Database {
    url: String,
    _directory: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl Database {
    pub fn sqlite() -> Database {
        let directory = tempfile::tempdir().unwrap();
        Database {
            url: directory.path().join("vigie.sqlite3").display().to_string(),
            _directory: Some(directory),
            postgres: None,
        }
    }

    pub fn postgres() -> Database {
        let server = std::env::var("VIGIE_TEST_POSTGRES_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .expect(
                "VIGIE_TEST_POSTGRES_URL is not set: run the tests with scripts/test.sh, which \
                 starts a local PostgreSQL server",
            );
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "vigie_cli_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = postgres::Client::connect(&server, postgres::NoTls)
            .expect("the test PostgreSQL server answers");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (base, _) = server.rsplit_once('/').expect("a URL with a database name");
        Database {
            url: format!("{base}/{name}"),
            _directory: None,
            postgres: Some((server, name)),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres
            && let Ok(mut client) = postgres::Client::connect(server, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}
