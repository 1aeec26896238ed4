#!/usr/bin/env bash
# Replicas benchmark: `vigie serve` as one and as two replicas on one PostgreSQL database,
# behind HAProxy, and the time a follower takes to replace a killed leader.
#
#   scripts/bench-replicas.sh [--events N] [--duration 15s] [--connections 32]
#                             [--failovers 3] [--no-build]
#
# 1. Builds `vigie` (release); installs haproxy and wrk from Debian when missing.
# 2. PostgreSQL: the server of VIGIE_TEST_POSTGRES_URL, else the private test cluster of
#    scripts/postgres-for-tests.sh. A fresh database gets the demo's synthetic events
#    (`vigie demo --prepare-only --events N`, then `vigie ingest` and `vigie warn` against
#    the database, as scripts/api-conformance.sh does).
# 3. Throughput: HAProxy (round robin) in front of one replica, then of two. The replicas,
#    HAProxy and PostgreSQL run on CPU 0; wrk runs apart on CPU 1 (taskset), one thread,
#    --connections connections, on
#      /collections/communes/items?limit=100          (public aggregates)
#      /collections/warnings/items?limit=100          (public warnings)
#    and prints requests per second and p50/p99. Two replicas on one core measure what
#    replication costs, not what it gains: scale-out needs cores (or machines) per replica.
# 4. Failover, --failovers times: two replicas (engine every second, default leader lock
#    periods), a committee whose member is reached through a JSON SMS gateway (a Python
#    sink here). The leader is SIGKILLed, an attack is imported at once (`vigie ingest`),
#    and the time from the kill to the first SMS the new leader sends is printed. The killed
#    replica is restarted as a follower before the next round.
#
# Figures go to .bench/replicas-report.txt.
set -euo pipefail

usage() { sed -n '2,27s/^# \{0,1\}//p' "$0"; }

EVENTS=20000
DURATION=15s
CONNECTIONS=32
FAILOVERS=3
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --events) EVENTS="${2:?--events needs a value}"; shift 2 ;;
        --duration) DURATION="${2:?--duration needs a value}"; shift 2 ;;
        --connections) CONNECTIONS="${2:?--connections needs a value}"; shift 2 ;;
        --failovers) FAILOVERS="${2:?--failovers needs a value}"; shift 2 ;;
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
WORK=$BENCH/replicas
rm -rf "$WORK"
mkdir -p "$WORK"
REPORT=$BENCH/replicas-report.txt

PIDS=()
HAPROXY_PID=
SINK_PID=
stop_all() {
    local pid
    for pid in "${PIDS[@]}" $HAPROXY_PID $SINK_PID; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}" $HAPROXY_PID $SINK_PID; do
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    HAPROXY_PID=
}
trap 'stop_all; cleanup' EXIT

command -v wrk >/dev/null 2>&1 || { log "Installing wrk"; apt_install wrk; }
command -v haproxy >/dev/null 2>&1 || { log "Installing haproxy"; apt_install haproxy; }
command -v python3 >/dev/null 2>&1 || { log "Installing python3"; apt_install python3; }
command -v taskset >/dev/null 2>&1 || die "taskset (util-linux) is needed to pin wrk apart"
[ "$(nproc)" -ge 2 ] || die "two cores needed: one for the servers, one for wrk"

if [ "$BUILD" -eq 1 ]; then
    log "Building vigie (release)"
    cargo build --release -p vigie
fi
VIGIE=${CARGO_TARGET_DIR:-$ROOT/target}/release/vigie
[ -x "$VIGIE" ] || die "no binary at $VIGIE"

SERVER_URL=${VIGIE_TEST_POSTGRES_URL:-}
if [ -z "$SERVER_URL" ] || ! python3 - "$SERVER_URL" <<'PY' 2>/dev/null; then
import socket, sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
socket.create_connection((url.hostname or "127.0.0.1", url.port or 5432), timeout=2).close()
PY
    SERVER_URL=$(scripts/postgres-for-tests.sh)
fi
PSQL=$(command -v psql || find /usr/lib/postgresql/*/bin -name psql 2>/dev/null | sort -V | tail -n 1)
[ -x "$PSQL" ] || die "psql not found"
DB_NAME=vigie_bench_replicas
"$PSQL" -q -v ON_ERROR_STOP=1 "$SERVER_URL" \
    -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >&2
DATABASE=$(python3 - "$SERVER_URL" "$DB_NAME" <<'PY'
import sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(url._replace(path="/" + sys.argv[2])))
PY
)

log "Demo events ($EVENTS) into PostgreSQL database $DB_NAME"
DEMO=$WORK/demo
"$VIGIE" demo --dir "$DEMO" --events "$EVENTS" --prepare-only >"$WORK/demo.json" 2>"$WORK/demo.log" ||
    { cat "$WORK/demo.log" >&2; exit 1; }
"$VIGIE" --database "$DATABASE" ingest acled "$DEMO/SYNTHETIC-acled-events.csv" >"$WORK/ingest.log" 2>&1 ||
    { cat "$WORK/ingest.log" >&2; exit 1; }
"$VIGIE" --database "$DATABASE" warn >"$WORK/warn.log" 2>&1 || { cat "$WORK/warn.log" >&2; exit 1; }

# --- replicas ---------------------------------------------------------------------------

# start_replica NAME PORT CONFIG: on CPU 0, its log in $WORK/NAME.log; sets REPLICA_PID.
start_replica() {
    local name=$1 port=$2 config=$3
    (cd "$DEMO" && exec taskset -c 0 "$VIGIE" --config "$config" --database "$DATABASE" \
        serve --bind "127.0.0.1:$port") >>"$WORK/$name.log" 2>&1 &
    REPLICA_PID=$!
    PIDS+=("$REPLICA_PID")
    local _
    for _ in $(seq 1 300); do
        curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$REPLICA_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$WORK/$name.log" >&2
    die "replica $name did not start"
}

leader_of() { curl -fsS "http://127.0.0.1:$1/healthz" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("leader"))' 2>/dev/null || echo none; }

PORT_A=$(free_port)
PORT_B=$(free_port)
PORT_LB=$(free_port)

cat >"$WORK/http.toml" <<'EOF'
# Written by scripts/bench-replicas.sh: no rate limit in the way of the load generator.
[server.rate_limit]
enabled = false

[delivery]
engine_interval_seconds = 60
EOF

# start_haproxy PORT...: round robin over the given replica ports, on CPU 0.
start_haproxy() {
    {
        printf 'global\n    maxconn 4096\n    nbthread 1\n\n'
        printf 'defaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n    option http-keep-alive\n\n'
        printf 'frontend replicas\n    bind 127.0.0.1:%s\n    default_backend vigie\n\n' "$PORT_LB"
        printf 'backend vigie\n    balance roundrobin\n'
        local port index=0
        for port in "$@"; do
            index=$((index + 1))
            printf '    server r%s 127.0.0.1:%s check inter 1s\n' "$index" "$port"
        done
    } >"$WORK/haproxy.cfg"
    taskset -c 0 haproxy -db -f "$WORK/haproxy.cfg" >>"$WORK/haproxy.log" 2>&1 &
    HAPROXY_PID=$!
    local _
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$PORT_LB/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$WORK/haproxy.log" >&2
    die "haproxy did not start"
}

stop_haproxy() {
    [ -n "$HAPROXY_PID" ] && { kill -TERM "$HAPROXY_PID" 2>/dev/null || true; wait "$HAPROXY_PID" 2>/dev/null || true; }
    HAPROXY_PID=
}

PATHS=("/collections/communes/items?limit=100" "/collections/warnings/items?limit=100")

# measure LABEL: wrk on CPU 1 against HAProxy, one line per path.
measure() {
    local label=$1 path out rps p50 p99 non2xx
    for path in "${PATHS[@]}"; do
        # Warm the caches the way a running deployment has them.
        taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d3s "http://127.0.0.1:$PORT_LB$path" >/dev/null
        out=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$PORT_LB$path")
        echo "$out" >>"$WORK/wrk.log"
        rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
        p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
        p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
        non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
        printf '%-13s %-45s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' \
            "$label" "$path" "$rps" "$p50" "$p99" "${non2xx:-0}" | tee -a "$REPORT"
    done
}

{
    echo "# scripts/bench-replicas.sh, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "# $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); servers, HAProxy on CPU 0, wrk -t1 -c$CONNECTIONS -d$DURATION on CPU 1"
    echo "# PostgreSQL $("$PSQL" -tA "$SERVER_URL" -c 'SHOW server_version'), $EVENTS demo events"
} >"$REPORT"

log "Throughput: one replica behind HAProxy"
start_replica a "$PORT_A" "$WORK/http.toml"
start_haproxy "$PORT_A"
measure "1 replica"
stop_haproxy

log "Throughput: two replicas behind HAProxy"
start_replica b "$PORT_B" "$WORK/http.toml"
start_haproxy "$PORT_A" "$PORT_B"
measure "2 replicas"
stop_haproxy
stop_all

# --- failover -----------------------------------------------------------------------------

log "Failover: leader SIGKILLed, time to the new leader's first SMS"
SINK_PORT=$(free_port)
SINK_LOG=$WORK/sink.log
: >"$SINK_LOG"
python3 - "$SINK_PORT" "$SINK_LOG" <<'PY' &
import http.server, json, sys, time
port, path = int(sys.argv[1]), sys.argv[2]
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(path, "a") as log:
            log.write("%d %s\n" % (time.time() * 1000, json.loads(body).get("idempotency_key", "")))
        answer = json.dumps({"id": "sink-%d" % time.time_ns()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), Sink).serve_forever()
PY
SINK_PID=$!

cat >"$WORK/committees.toml" <<'EOF'
[defaults.grouping]
group_wait = "0s"
group_interval = "0s"
repeat_interval = "24h"

[[committee]]
id = "crs-mopti"
name = "Comité régional de Mopti"
kind = "regional"
zones = ["ML05"]

[[committee.member]]
id = "veille"
name = "Veille"
phone = "+44 7700 900001"
channels = ["sms"]
EOF
# A toll no demo event reaches: only the benchmark's own attacks open warnings.
cat >"$WORK/rules.toml" <<'EOF'
[[rule]]
id = "bench-massacre"
rationale = "Benchmark rule: 500 deaths in a commune in a day open a vigilance."
kind = "threshold"
zone_level = "commune"
window_days = 1
keep_for_days = 0
vigilance = { enter = { fatalities = 500 } }
EOF
cat >"$WORK/failover.toml" <<EOF
# Written by scripts/bench-replicas.sh: production lock periods, the engine every second.
[delivery]
committees = "$WORK/committees.toml"
rules = "$WORK/rules.toml"
engine_interval_seconds = 1
poll_interval_ms = 100

[delivery.sms]
provider = "webhook"
url = "http://127.0.0.1:$SINK_PORT/send"
timeout_seconds = 5
EOF

# A commune of Mopti per round (a demo event's place in each): a new episode each time.
mapfile -t POINTS < <(python3 - "$DEMO/SYNTHETIC-acled-events.csv" <<'PY'
import csv, sys
seen = set()
for row in csv.DictReader(open(sys.argv[1], newline="")):
    if row["admin1"] == "Mopti" and row["admin3"] not in seen:
        seen.add(row["admin3"])
        print(row["latitude"], row["longitude"])
PY
)
[ "${#POINTS[@]}" -gt "$FAILOVERS" ] || die "not enough Mopti communes in the demo events"
attack_file() { # attack_file ROUND: an ACLED file with one massacre today
    local round=$1 today lat lon
    today=$(date -u +%Y-%m-%d)
    read -r lat lon <<<"${POINTS[$round]}"
    {
        echo "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp"
        echo "BENCHFO$round,$today,${today%%-*},1,Political violence,Violence against civilians,Attack,Unidentified Armed Group (Mali),,3,Civilians (Mali),,7,37,Civilian targeting,466,Western Africa,Mali,Mopti,,,Village,$lat,$lon,1,Bench,Local,Failover round $round.,1000,,1700000000"
    } >"$WORK/failover-$round.csv"
}

declare -A PORT_OF=([a]=$PORT_A [b]=$PORT_B)
declare -A PID_OF=()
start_replica a "$PORT_A" "$WORK/failover.toml"; PID_OF[a]=$REPLICA_PID
for _ in $(seq 1 100); do [ "$(leader_of "$PORT_A")" = True ] && break; sleep 0.1; done
start_replica b "$PORT_B" "$WORK/failover.toml"; PID_OF[b]=$REPLICA_PID
# Let the first leader send what the demo's store already warrants.
sleep 5

FIGURES=()
for round in $(seq 1 "$FAILOVERS"); do
    leader=
    for name in a b; do [ "$(leader_of "${PORT_OF[$name]}")" = True ] && leader=$name; done
    [ -n "$leader" ] || die "no leader before round $round"
    follower=$([ "$leader" = a ] && echo b || echo a)
    attack_file "$round"
    sent_before=$(wc -l <"$SINK_LOG")
    killed_ms=$(now_ms)
    kill -KILL "${PID_OF[$leader]}"
    wait "${PID_OF[$leader]}" 2>/dev/null || true
    "$VIGIE" --database "$DATABASE" ingest acled "$WORK/failover-$round.csv" >>"$WORK/ingest.log" 2>&1
    first_ms=
    for _ in $(seq 1 600); do
        if [ "$(wc -l <"$SINK_LOG")" -gt "$sent_before" ]; then
            first_ms=$(sed -n "$((sent_before + 1))p" "$SINK_LOG" | cut -d' ' -f1)
            break
        fi
        sleep 0.05
    done
    [ -n "$first_ms" ] || die "round $round: the new leader sent nothing within 30 s"
    took=$((first_ms - killed_ms))
    FIGURES+=("$took")
    printf 'failover %d: leader %s killed, first SMS from %s after %d ms (leader now: %s)\n' \
        "$round" "$leader" "$follower" "$took" "$(leader_of "${PORT_OF[$follower]}")" | tee -a "$REPORT"
    start_replica "$leader" "${PORT_OF[$leader]}" "$WORK/failover.toml"; PID_OF[$leader]=$REPLICA_PID
    sleep 2
done
printf 'failover (kill -> first SMS of the new leader), ms: %s\n' "${FIGURES[*]}" | tee -a "$REPORT"
log "Report: $REPORT"
