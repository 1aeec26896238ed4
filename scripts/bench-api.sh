#!/usr/bin/env bash
# API benchmark: the research API and the live stream of `vigie serve` on loopback, over a
# SQLite store of 1,000,000 generated events.
#
#   scripts/bench-api.sh [--events N] [--seed S] [--port P] [--duration 20s]
#                        [--connections 64] [--threads 2] [--runs 2]
#                        [--sse-clients 1000] [--sse-rounds 20] [--skip-http] [--skip-sse]
#                        [--engine-interval SECONDS] [--no-build]
#
# 1. Builds `vigie` (release) and installs wrk from Debian when missing.
# 2. Prepares the store once (kept in .bench/api/ for later runs): `vigie gen acled` writes
#    N synthetic events dated over the seven years to today, `vigie ingest acled` imports
#    them, exactly as an operator would. Each benchmark run works on a copy of that file.
# 3. Starts `vigie serve` (release, 127.0.0.1:P) and creates a researcher key with
#    `vigie keys create`. The warning engine runs as in production, every 60 s
#    (--engine-interval to change it): over a million events it re-reads the last year of
#    them each time, about two seconds of one core, which the API's tail latency shows.
# 4. wrk -tT -cC -dD --latency, --runs times each, on
#      /collections/communes/items?limit=1000   (all 701 communes with their 30-day stats)
#      /collections/events/items?bbox=<central Mali>&datetime=<3 months>&limit=1000 (keyed)
#    and prints p50/p99 and requests per second (goal of the issue: p99 under 20 ms).
# 5. `vigie bench sse`, --runs times: --sse-clients SSE connections to /api/stream, then
#    --sse-rounds import batches written to the same database from another process;
#    delay from ingestion to each client, p50/p99/max (goal: p99 under 250 ms).
#
# Figures go to .bench/api-report.txt. wrk, the server and the SSE clients share the
# machine's cores: that is the benchmark the issue describes (loopback, one machine).
# Request rate limits: `vigie serve` has none configurable at the time of writing; should
# one appear, the generated configuration (.bench/api/vigie.toml) is where to lift it.
set -euo pipefail

usage() { sed -n '2,30s/^# \{0,1\}//p' "$0"; }

EVENTS=1000000
SEED=7
PORT=18480
DURATION=20s
CONNECTIONS=64
THREADS=2
RUNS=2
SSE_CLIENTS=1000
SSE_ROUNDS=20
SKIP_HTTP=0
SKIP_SSE=0
ENGINE_INTERVAL=60
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --events) EVENTS="${2:?--events needs a value}"; shift 2 ;;
        --seed) SEED="${2:?--seed needs a value}"; shift 2 ;;
        --port) PORT="${2:?--port needs a value}"; shift 2 ;;
        --duration) DURATION="${2:?--duration needs a value}"; shift 2 ;;
        --connections) CONNECTIONS="${2:?--connections needs a value}"; shift 2 ;;
        --threads) THREADS="${2:?--threads needs a value}"; shift 2 ;;
        --runs) RUNS="${2:?--runs needs a value}"; shift 2 ;;
        --sse-clients) SSE_CLIENTS="${2:?--sse-clients needs a value}"; shift 2 ;;
        --sse-rounds) SSE_ROUNDS="${2:?--sse-rounds needs a value}"; shift 2 ;;
        --skip-http) SKIP_HTTP=1; shift ;;
        --skip-sse) SKIP_SSE=1; shift ;;
        --engine-interval) ENGINE_INTERVAL="${2:?--engine-interval needs a value}"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BENCH=$ROOT/.bench
# shellcheck source=scripts/bench/lib.sh
source "$ROOT/scripts/bench/lib.sh"
WORK=$BENCH/api
mkdir -p "$WORK"

SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
# lib.sh's trap stops its PostgreSQL cluster (unused here); ours stops the server too.
trap 'stop_server; cleanup' EXIT

command -v wrk >/dev/null 2>&1 || { log "Installing wrk"; apt_install wrk; }
command -v curl >/dev/null 2>&1 || { log "Installing curl"; apt_install curl; }
command -v python3 >/dev/null 2>&1 || { log "Installing python3"; apt_install python3; }

if [ "$BUILD" -eq 1 ]; then
    log "Building vigie (release)"
    cargo build --release -p vigie
fi
VIGIE=${CARGO_TARGET_DIR:-$ROOT/target}/release/vigie
[ -x "$VIGIE" ] || die "no binary at $VIGIE"

# A thousand stream clients and the server's thousand sockets need descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

TO=$(date -u +%Y-%m-%d)
FROM=$(date -u -d "$TO - 7 years + 1 day" +%Y-%m-%d)
TAG=$EVENTS-$SEED-$FROM-$TO
CSV=$WORK/acled-$TAG.csv
PREPARED=$WORK/store-$TAG.sqlite3
DATABASE=$WORK/bench.sqlite3
CONFIG=$WORK/vigie.toml
cat >"$CONFIG" <<EOF
# Written by scripts/bench-api.sh.
[store]
database = "$DATABASE"

[privacy]
secret_file = "$WORK/bench.secret"

[server]
bind = "127.0.0.1:$PORT"

[delivery]
engine_interval_seconds = $ENGINE_INTERVAL
EOF

if [ ! -s "$PREPARED" ]; then
    rm -f "$WORK"/store-*.sqlite3* "$WORK"/acled-*.csv
    log "Generating $EVENTS ACLED rows ($FROM to $TO, seed $SEED)"
    "$VIGIE" gen acled --rows "$EVENTS" --seed "$SEED" --from "$FROM" --to "$TO" --out "$CSV"
    log "Importing them (vigie ingest acled)"
    started=$(now_ms)
    "$VIGIE" --config "$CONFIG" --database "$PREPARED.partial" ingest acled "$CSV" --json
    echo "  import took $(( ($(now_ms) - started) / 1000 )) s" >&2
    for suffix in "" -wal -shm; do
        [ -e "$PREPARED.partial$suffix" ] && mv "$PREPARED.partial$suffix" "$PREPARED$suffix"
    done
    rm -f "$CSV"
fi
STORED=$("$VIGIE" --config "$CONFIG" --database "$PREPARED" events count --json \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["events"])')
log "Store ready: $STORED events in ${PREPARED#"$ROOT"/}"

rm -f "$DATABASE" "$DATABASE-wal" "$DATABASE-shm"
for suffix in "" -wal -shm; do
    if [ -e "$PREPARED$suffix" ]; then cp "$PREPARED$suffix" "$DATABASE$suffix"; fi
done

log "Starting vigie serve on 127.0.0.1:$PORT (log: ${WORK#"$ROOT"/}/serve.log)"
"$VIGIE" --config "$CONFIG" serve >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 600); do
    curl -sf "$BASE/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; die "vigie serve stopped"; }
    sleep 0.1
done
curl -sf "$BASE/healthz" >/dev/null || die "vigie serve did not answer /healthz"

KEY=$("$VIGIE" --config "$CONFIG" keys create --role researcher --name bench-api --json \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')

# Central Mali (the Mopti region and the inner Niger delta), and the last three months.
BBOX=-5.5,13.5,-2.5,15.5
SINCE=$(date -u -d "$TO - 3 months" +%Y-%m-%d)
COMMUNES_URL="$BASE/collections/communes/items?limit=1000"
EVENTS_URL="$BASE/collections/events/items?bbox=$BBOX&datetime=${SINCE}T00:00:00Z/${TO}T23:59:59Z&limit=1000"

REPORT=$BENCH/api-report.txt
{
    echo "vigie API benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(getconf _NPROCESSORS_ONLN) cores, load at start $(cut -d' ' -f1 /proc/loadavg)"
    echo "store: $STORED events (SQLite), vigie serve release on loopback, warning engine every $ENGINE_INTERVAL s"
} >"$REPORT"

# Checks one answer and says what it holds.
describe() {
    local name=$1 url=$2 auth=$3
    local body=$WORK/answer.json
    local status
    status=$(curl -s -o "$body" -w '%{http_code}' ${auth:+-H "Authorization: Bearer $auth"} "$url")
    [ "$status" = 200 ] || { head -c 500 "$body" >&2; die "$name answered $status"; }
    python3 - "$name" "$body" <<'EOF' | tee -a "$REPORT"
import json, os, sys
name, path = sys.argv[1], sys.argv[2]
page = json.load(open(path))
print(f"{name}: {page['numberReturned']} features, {os.path.getsize(path) / 1e3:.0f} kB per answer")
EOF
}

# Runs wrk and prints one line: p50, p99, requests per second, errors. With a fourth
# argument `one`: a single connection for 5 s (the service time, without queueing).
measure() {
    local name=$1 url=$2 auth=$3 shape=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION")
    if [ "${4:-}" = one ]; then
        shape=(-t1 -c1 -d5s)
        name="$name/1"
    fi
    local out=$WORK/wrk.txt
    # A long timeout: wrk leaves timed-out requests out of its percentiles.
    wrk "${shape[@]}" --timeout 60s --latency \
        ${auth:+-H "Authorization: Bearer $auth"} "$url" >"$out"
    python3 - "$name" "$out" <<'EOF' | tee -a "$REPORT"
import re, sys
name, path = sys.argv[1], sys.argv[2]
text = open(path).read()
def ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", text, re.M))
rate = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
total = re.search(r"(\d+) requests in", text).group(1)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sockets = re.search(r"Socket errors: (.*)", text)
line = (f"  {name:<10} p50 {ms(percentiles['50']):7.2f} ms  p90 {ms(percentiles['90']):7.2f} ms  "
        f"p99 {ms(percentiles['99']):7.2f} ms  {float(rate):8.1f} req/s  ({total} requests")
line += f", {errors.group(1)} non-2xx" if errors else ""
line += f", socket errors: {sockets.group(1)}" if sockets else ""
print(line + ")")
EOF
}

if [ "$SKIP_HTTP" -eq 0 ]; then
    log "HTTP: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $RUNS runs each"
    {
        echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout 60s --latency"
        echo "communes: $COMMUNES_URL"
        echo "events:   $EVENTS_URL"
    } | tee -a "$REPORT"
    describe communes "$COMMUNES_URL" ""
    describe events "$EVENTS_URL" "$KEY"
    echo "one connection (service time, no queue):" | tee -a "$REPORT"
    measure communes "$COMMUNES_URL" "" one
    measure events "$EVENTS_URL" "$KEY" one
    for run in $(seq 1 "$RUNS"); do
        echo "run $run (load $(cut -d' ' -f1 /proc/loadavg))" | tee -a "$REPORT"
        measure communes "$COMMUNES_URL" ""
        measure events "$EVENTS_URL" "$KEY"
    done
fi

if [ "$SKIP_SSE" -eq 0 ]; then
    log "Live stream: $SSE_CLIENTS SSE clients, $SSE_ROUNDS import batches, $RUNS runs"
    echo "live stream: $SSE_CLIENTS clients, $SSE_ROUNDS batches of 10 new events imported by another process" \
        | tee -a "$REPORT"
    for run in $(seq 1 "$RUNS"); do
        echo "run $run (load $(cut -d' ' -f1 /proc/loadavg))" | tee -a "$REPORT"
        VIGIE_BENCH_KEY=$KEY "$VIGIE" --config "$CONFIG" bench sse --url "$BASE" \
            --clients "$SSE_CLIENTS" --rounds "$SSE_ROUNDS" | tee -a "$REPORT"
    done
fi

stop_server
echo
echo "Saved ${REPORT#"$ROOT"/}"
