#!/usr/bin/env bash
# Makes what the browser tests of the web map need available, and prints the Chromium binary
# on stdout (and nothing else: every message goes to stderr), for:
#
#     export VIGIE_TEST_CHROMIUM="$(scripts/web-for-tests.sh)"
#
# 1. Chromium: /usr/bin/chromium (Debian's `chromium` package), installed with apt-get when
#    missing (root needed for that one step). VIGIE_TEST_CHROMIUM, when set to an
#    executable, is used instead.
# 2. Node.js and npm: Debian's `nodejs` and `npm` packages when `node` or `npm` is missing.
# 3. The page's npm packages (maplibre-gl, and playwright-core which drives the browser):
#    `npm ci --prefix web` when web/node_modules is missing or older than
#    web/package-lock.json. playwright-core downloads no browser: it drives Debian's.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'web-for-tests: %s\n' "$*" >&2; }

apt_install() {
    if [[ "$(id -u)" -ne 0 ]]; then
        log "missing: $* and not root: install the Debian packages ($*) with apt-get and run again"
        exit 1
    fi
    log "installing $* (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "$@" >&2
}

# --- 1. Chromium ------------------------------------------------------------------------------
chromium="${VIGIE_TEST_CHROMIUM:-}"
if [[ -n "$chromium" && ! -x "$chromium" ]]; then
    log "VIGIE_TEST_CHROMIUM=$chromium is not executable: using Debian's chromium instead"
    chromium=""
fi
if [[ -z "$chromium" ]]; then
    chromium=/usr/bin/chromium
    if [[ ! -x "$chromium" ]]; then
        # fonts-liberation: a sans-serif font for the page's text in a headless browser.
        apt_install chromium fonts-liberation
    fi
    [[ -x "$chromium" ]] || { log "the chromium package installed no $chromium"; exit 1; }
fi
log "browser: $chromium ($("$chromium" --version 2>/dev/null || echo 'version unknown'))"

# --- 2. Node.js -------------------------------------------------------------------------------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
fi
# The browser tests use the built-in test runner (`node --test`, Node 18 and later).
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" -lt 18 ]]; then
    log "Node.js $(node --version) is too old for the browser tests (18 or later needed)"
    exit 1
fi

# --- 3. the page's packages -----------------------------------------------------------------
marker=web/node_modules/.package-lock.json
if [[ ! -f "$marker" || web/package-lock.json -nt "$marker" ]]; then
    log "npm ci --prefix web"
    npm ci --prefix web --no-audit --no-fund --loglevel=error >&2
else
    log "reusing web/node_modules"
fi

printf '%s\n' "$chromium"
