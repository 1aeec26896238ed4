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

if [[ -n "${VIGIE_BINARY:-}" ]]; then
    vigie="$(cd "$(dirname "$VIGIE_BINARY")" && pwd)/$(basename "$VIGIE_BINARY")"
else
    log "building the vigie binary (debug)"
    cargo build --quiet -p vigie --bin vigie
    vigie="$repository/target/debug/vigie"
fi

work="$repository/target/web-tests"
artifacts="$repository/target/web-artifacts"
rm -rf "$work"
mkdir -p "$work" "$artifacts"
demo="$work/demo"
database="$demo/vigie-demo.sqlite3"
log "preparing a demo store"
"$vigie" demo --dir "$demo" --events 1500 --prepare-only >"$work/demo.json" 2>"$work/demo.log" ||
    { cat "$work/demo.log" >&2; exit 1; }
analyst_key="$("$vigie" --database "$database" keys create --role analyst --name web-tests 2>/dev/null)"

cat >"$work/vigie.toml" <<TOML
[server]
web_root = "$repository/web"

[server.rate_limit]
anonymous_per_second = 100000.0
anonymous_burst = 100000
keyed_per_second = 100000.0
keyed_burst = 100000
TOML
(cd "$demo" && exec "$vigie" --config "$work/vigie.toml" --database "$database" serve --bind 127.0.0.1:0) \
    >"$work/serve.log" 2>&1 &
server_pid=$!
stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}
trap stop_server EXIT
trap 'exit 130' INT TERM

base=""
for _ in $(seq 1 300); do
    base="$(sed -n 's|^vigie serving on \(http://[0-9.:]*\).*|\1|p' "$work/serve.log" | head -n 1)"
    [[ -n "$base" ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
if [[ -z "$base" ]]; then
    log "the server did not start:"
    cat "$work/serve.log" >&2
    exit 1
fi
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
