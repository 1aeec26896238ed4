#!/usr/bin/env bash
# Makes a Python with aiosmtpd (a real SMTP server, which vigie-notify's email tests start on
# a free port) available to the test suite and prints its path on stdout (and nothing else:
# every message goes to stderr), for:
#
#     export VIGIE_TEST_PYTHON="$(scripts/smtp-for-tests.sh)"
#
# 1. If VIGIE_TEST_PYTHON is set and imports aiosmtpd, it is reused as is.
# 2. Otherwise a virtual environment under target/smtp-test-venv/, created on first use with
#    python3 -m venv and aiosmtpd installed from PyPI with its pip. When python3 or its venv
#    module is missing, Debian's `python3` and `python3-venv` packages are installed with
#    apt-get (root needed).
set -euo pipefail
cd "$(dirname "$0")/.."
repository="$(pwd)"

log() { printf 'smtp-for-tests: %s\n' "$*" >&2; }

has_aiosmtpd() { "$1" -c 'import aiosmtpd.handlers, aiosmtpd.controller' >/dev/null 2>&1; }

if [[ -n "${VIGIE_TEST_PYTHON:-}" ]]; then
    if has_aiosmtpd "$VIGIE_TEST_PYTHON"; then
        log "reusing VIGIE_TEST_PYTHON"
        printf '%s\n' "$VIGIE_TEST_PYTHON"
        exit 0
    fi
    log "VIGIE_TEST_PYTHON is set but has no aiosmtpd: using a private virtual environment"
fi

venv="$repository/target/smtp-test-venv"
python="$venv/bin/python"
if [[ -x "$python" ]] && has_aiosmtpd "$python"; then
    log "reusing $venv"
    printf '%s\n' "$python"
    exit 0
fi

# A venv needs python3 and, on Debian, ensurepip (package python3-venv).
if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [[ "$(id -u)" -ne 0 ]]; then
        log "python3 or its venv module is missing and not root: install the Debian packages 'python3' and 'python3-venv' and run again"
        exit 1
    fi
    log "installing python3 and python3-venv (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq python3 python3-venv >&2
fi

log "creating $venv with aiosmtpd"
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$python" -m pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2' >&2
if ! has_aiosmtpd "$python"; then
    log "aiosmtpd did not install into $venv"
    exit 1
fi
log "ready: $python"
printf '%s\n' "$python"
