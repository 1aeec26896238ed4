//! Helpers shared by the integration tests: the external tools `scripts/test.sh` provides.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tool path from the environment; missing is a failure, never a skip.
pub fn required_tool(variable: &str, what: &str) -> PathBuf {
    match std::env::var_os(variable) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => panic!(
            "{variable} is not set: these tests need {what}. Run scripts/test.sh (it installs \
             the tools and exports {variable}), or export it yourself"
        ),
    }
}

/// The CAP 1.2 schema shipped as a fixture.
pub fn cap_schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/CAP-v1.2.xsd")
}

/// Runs xmllint on `xml` (with `--schema schema` when given); `Err` holds its complaint.
pub fn xmllint(xml: &str, schema: Option<&Path>) -> Result<(), String> {
    let xmllint = required_tool(
        "VIGIE_TEST_XMLLINT",
        "xmllint (Debian package libxml2-utils)",
    );
    let directory = tempfile::tempdir().expect("a temporary directory");
    let file = directory.path().join("message.xml");
    std::fs::write(&file, xml).expect("write the message");
    let mut command = Command::new(&xmllint);
    command.arg("--noout").arg("--nonet");
    if let Some(schema) = schema {
        command.arg("--schema").arg(schema);
    }
    let output = command
        .arg(&file)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", xmllint.display()));
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}
