#!/usr/bin/env bash
# Runs every check a change must pass: formatting, lints, and the whole test suite.
# This is the README's test command and what .ci/run calls on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# A one-shot build gains nothing from incremental caches; they doubled the disk the
# build needs (see the profile notes in Cargo.toml).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

echo "== PostgreSQL for the tests (installed from Debian's packages when missing)"
VIGIE_TEST_POSTGRES_URL="$(scripts/postgres-for-tests.sh)"
export VIGIE_TEST_POSTGRES_URL

echo "== xmllint and aiosmtpd for the notification tests (installed when missing)"
VIGIE_TEST_XMLLINT="$(scripts/xmllint-for-tests.sh)"
export VIGIE_TEST_XMLLINT
VIGIE_TEST_PYTHON="$(scripts/smtp-for-tests.sh)"
export VIGIE_TEST_PYTHON

echo "== cargo test"
cargo test --workspace --all-targets
cargo test --workspace --doc

echo "== the HTTP tests again, over PostgreSQL"
# The tests that drive a real server over HTTP run again with their store on the PostgreSQL
# server: the API must answer the same on both backends. (The router tests that build their
# fixtures inside an async test call the synchronous store from the runtime, which the
# PostgreSQL client cannot do; they run on SQLite only.)
VIGIE_TEST_API_BACKEND=postgres cargo test -p vigie-http \
    --test intake --test keys --test privacy --test stream

echo "== the web map in Chromium against a live demo server (installed when missing)"
# tests/web/run.sh: Debian's chromium and `npm ci --prefix web` via scripts/web-for-tests.sh.
VIGIE_BINARY=target/debug/vigie tests/web/run.sh

echo "== API conformance against a live demo server (ogctests, GeoJSON, schemathesis)"
# The binary `cargo test` built for the command-line tests: nothing to rebuild.
VIGIE_BINARY=target/debug/vigie scripts/api-conformance.sh
echo "== API conformance again, the server on PostgreSQL"
VIGIE_BINARY=target/debug/vigie VIGIE_CONFORMANCE_POSTGRES_URL="$VIGIE_TEST_POSTGRES_URL" \
    scripts/api-conformance.sh

echo "== all checks passed"
