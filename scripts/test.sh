#!/usr/bin/env bash
# Runs every check a change must pass: formatting, lints, and the whole test suite.
# This is the README's test command and what .ci/run calls on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
cargo test --workspace --all-targets
cargo test --workspace --doc

echo "== all checks passed"
