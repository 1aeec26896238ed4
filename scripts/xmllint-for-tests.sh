#!/usr/bin/env bash
# Makes xmllint available to the test suite (vigie-notify validates every CAP message it
# writes against the OASIS CAP 1.2 schema with it) and prints its path on stdout (and nothing
# else: every message goes to stderr), for:
#
#     export VIGIE_TEST_XMLLINT="$(scripts/xmllint-for-tests.sh)"
#
# 1. If VIGIE_TEST_XMLLINT is set and runs, it is reused as is.
# 2. Otherwise the xmllint on the PATH; when there is none, Debian's `libxml2-utils` package
#    is installed with apt-get (root needed).
set -euo pipefail

log() { printf 'xmllint-for-tests: %s\n' "$*" >&2; }

if [[ -n "${VIGIE_TEST_XMLLINT:-}" ]]; then
    if "$VIGIE_TEST_XMLLINT" --version >/dev/null 2>&1; then
        log "reusing VIGIE_TEST_XMLLINT"
        printf '%s\n' "$VIGIE_TEST_XMLLINT"
        exit 0
    fi
    log "VIGIE_TEST_XMLLINT is set but does not run: looking for xmllint instead"
fi

if ! command -v xmllint >/dev/null; then
    if [[ "$(id -u)" -ne 0 ]]; then
        log "no xmllint on the PATH and not root: install the Debian package 'libxml2-utils' (apt-get install libxml2-utils) and run again"
        exit 1
    fi
    log "installing xmllint (Debian package libxml2-utils)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq libxml2-utils >&2
fi
xmllint_path="$(command -v xmllint)"
log "using $xmllint_path"
printf '%s\n' "$xmllint_path"
