#!/usr/bin/env bash
# The web map's browser tests: Debian's Chromium, driven headless by playwright-core under
# Node's test runner, against a real `vigie serve` on a demo store.
#
# 1. scripts/web-for-tests.sh installs what is missing (chromium, node, `npm ci --prefix web`).
# 2. A demo store (`vigie demo --prepare-only`: synthetic events, warnings, hotspots) under
#    target/web-tests/, an analyst key, and a server on a free loopback port serving this
#    checkout's web/ (rate limits raised: the tests load the page many times).
# 3. `node --test tests/web/` with the server's address, the key and the browser in the
#    environment. The screenshot and the page weight go to target/web-artifacts/.
#
# VIGIE_BINARY: the vigie binary to run (default: `cargo build -p vigie`, debug).
set -euo pipefail
cd "$(dirname "$0")/../.."
repository="$(pwd)"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

log() { printf 'web-tests: %s\n' "$*" >&2; }

chromium="$(scripts/web-for-tests.sh)"

# shellcheck source=scripts/lib/serve-demo.sh
source scripts/lib/serve-demo.sh
find_vigie

work="$repository/target/web-tests"
artifacts="$repository/target/web-artifacts"
rm -rf "$work"
mkdir -p "$work" "$artifacts"
prepare_demo "$work" 1500
analyst_key="$("$vigie" --database "$database" keys create --role analyst --name web-tests 2>/dev/null)"

{
    printf '[server]\nweb_root = "%s"\n\n' "$repository/web"
    lifted_rate_limits
} >"$work/vigie.toml"
start_server "$work/vigie.toml" "$work/serve.log"
log "server at $base"

VIGIE_WEB_BASE="$base" \
    VIGIE_WEB_ANALYST_KEY="$analyst_key" \
    VIGIE_WEB_VIGIE="$vigie" \
    VIGIE_WEB_DATABASE="$database" \
    VIGIE_WEB_WORK="$work" \
    VIGIE_WEB_ARTIFACTS="$artifacts" \
    VIGIE_TEST_CHROMIUM="$chromium" \
    node --test tests/web/*.test.mjs

if grep -q 'request failed' "$work/serve.log"; then
    log "the server logged internal errors:"
    grep 'request failed' "$work/serve.log" >&2
    exit 1
fi
log "browser tests passed; screenshot and page weight in $artifacts"
