#!/usr/bin/env bash
# Locate benchmark: Vigie against its peers, on the same points, in one run.
#
#   scripts/bench-locate.sh [--points N] [--seed S] [--skip-postgis] [--skip-python]
#
# Generates N points (default 1,000,000, seed 42) with `vigie gen points`, then
# times, each on one thread pinned to core 0 (taskset) when possible:
#   - Vigie:      `vigie bench locate --points-file ... --json --baseline`
#   - GeoPandas:  gpd.sjoin(points, communes, predicate="within")
#   - shapely 2:  STRtree(communes).query(points, predicate="within")
#   - PostGIS:    SELECT count(*) ... JOIN communes ON ST_Intersects, GiST index
# and prints a comparison table, saved to .bench/locate-report.txt and
# .bench/locate-report.json (raw figures of every tool included).
#
# Needs: Debian 12 (apt, run as root to install PostgreSQL/PostGIS or
# python3-venv when missing), python3 + pip, the Rust toolchain.  Python peers
# live in a venv at .bench/venv (created once, then reused); PostgreSQL runs as
# a throwaway cluster under .bench/pg on a free local port, stopped on exit.
# Helpers are in scripts/bench/.
set -euo pipefail

usage() { sed -n '2,19s/^# \{0,1\}//p' "$0"; }

N_POINTS=1000000
SEED=42
SKIP_POSTGIS=0
SKIP_PYTHON=0
while [ $# -gt 0 ]; do
    case "$1" in
        --points) N_POINTS="${2:?--points needs a value}"; shift 2 ;;
        --seed) SEED="${2:?--seed needs a value}"; shift 2 ;;
        --skip-postgis) SKIP_POSTGIS=1; shift ;;
        --skip-python) SKIP_PYTHON=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

# Work from the repository root whatever the caller's directory.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BENCH=$ROOT/.bench
HELPERS=$ROOT/scripts/bench
COMMUNES=$ROOT/data/source/mli_adm3_communes_ocha2015.geojson
POINTS_CSV=$BENCH/points.csv
mkdir -p "$BENCH"

# Tools, Python venv, PostgreSQL/PostGIS throwaway cluster.
# shellcheck source=scripts/bench/lib.sh
source "$HELPERS/lib.sh"

# Results of this run only: a skipped step must not show an older figure.
rm -f "$BENCH"/vigie.json "$BENCH"/vigie-after.json "$BENCH"/geopandas.json "$BENCH"/shapely.json "$BENCH"/postgis.json \
    "$BENCH"/cpu-start.txt "$BENCH"/cpu-end.txt

# For the report (other work on the machine skews every figure).
LOAD_AT_START=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')

# ---------------------------------------------------------------------------
# 1. Build Vigie and generate the points.
log "Building vigie (release)"
# cargo waits by itself if another build holds the lock.
cargo build --release -p vigie
VIGIE=${CARGO_TARGET_DIR:-$ROOT/target}/release/vigie
[ -x "$VIGIE" ] || die "no binary at $VIGIE"
VIGIE_VERSION=$("$VIGIE" --version 2>/dev/null || echo vigie)

log "Generating $N_POINTS points (seed $SEED) into .bench/points.csv"
"$VIGIE" gen points --count "$N_POINTS" --seed "$SEED" --out "$POINTS_CSV"

# ---------------------------------------------------------------------------
# 2. Setup, before anything is timed: the Python venv and PostgreSQL/PostGIS.

if [ "$SKIP_PYTHON" -eq 0 ]; then ensure_venv; fi
if [ "$SKIP_POSTGIS" -eq 0 ]; then ensure_postgis; fi

# CPU counters at the start of the timed part: the report turns them into the
# average number of busy cores, about 1 when nothing else ran beside the
# benchmark (every tool is one thread), higher when other work competed.
head -n 1 /proc/stat > "$BENCH/cpu-start.txt"

# ---------------------------------------------------------------------------
# 3. Vigie.
log "Vigie: bench locate (pinned: $PINNED)"
"${PIN[@]}" "$VIGIE" bench locate --points-file "$POINTS_CSV" --json --baseline \
    > "$BENCH/vigie.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("  locate %.2f M pts/s best, %d inside" % (d["locate_mpts_best"], d["inside"]))' \
    "$BENCH/vigie.json" >&2

# ---------------------------------------------------------------------------
# 4. Python peers, one process per tool.
# (Separate processes, so that each reports its own peak RSS.)
if [ "$SKIP_PYTHON" -eq 0 ]; then
    for tool in geopandas shapely; do
        log "Python peer: $tool (pinned: $PINNED)"
        "${PIN[@]}" "$VENV_PY" "$HELPERS/peers.py" --tool "$tool" \
            --communes "$COMMUNES" --points "$POINTS_CSV" --runs 3 > "$BENCH/$tool.json"
    done
else
    log "Skipping the Python peers (--skip-python)"
fi

# ---------------------------------------------------------------------------
# 5. PostGIS.
if [ "$SKIP_POSTGIS" -eq 0 ]; then
    start_cluster
    "${PSQL[@]}" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS postgis'

    log "PostGIS: loading communes (ST_GeomFromGeoJSON) and building the GiST index"
    t0=$(now_ms)
    python3 "$HELPERS/communes_tsv.py" "$COMMUNES" admin3Pcod \
        | "${PSQL[@]}" -f "$HELPERS/postgis-communes.sql"
    communes_ms=$(( $(now_ms) - t0 ))

    log "PostGIS: COPY of the points"
    t0=$(now_ms)
    "${PSQL[@]}" -f "$HELPERS/postgis-points.sql" < "$POINTS_CSV"
    points_ms=$(( $(now_ms) - t0 ))
    echo "  communes load+GiST ${communes_ms} ms, points COPY+ANALYZE ${points_ms} ms" >&2

    log "PostGIS: timing the join (3 runs, then one untimed count of distinct points)"
    "${PSQL[@]}" -A -t -v runs=3 -v plan_file="$BENCH/postgis-plan.txt" \
        -v communes_load_ms="$communes_ms" -v points_load_ms="$points_ms" \
        -f "$HELPERS/postgis-join.sql" > "$BENCH/postgis.json"
    sed 's/^/  plan: /' "$BENCH/postgis-plan.txt" >&2

    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    PG_STARTED=0
else
    log "Skipping PostGIS (--skip-postgis)"
fi

# Vigie once more, after the peers: if the machine's speed drifted during the
# run (shared hosts do), the two Vigie figures disagree and the report says so.
log "Vigie again (drift check)"
"${PIN[@]}" "$VIGIE" bench locate --points-file "$POINTS_CSV" --json --verify 0 \
    > "$BENCH/vigie-after.json"

# ---------------------------------------------------------------------------
# 6. Report.
head -n 1 /proc/stat > "$BENCH/cpu-end.txt"
log "Report"
echo
python3 "$HELPERS/report.py" \
    --vigie "$BENCH/vigie.json" --vigie-after "$BENCH/vigie-after.json" \
    --geopandas "$BENCH/geopandas.json" \
    --shapely "$BENCH/shapely.json" \
    --postgis "$BENCH/postgis.json" \
    --seed "$SEED" --pinned "$PINNED" --vigie-version "$VIGIE_VERSION" \
    --load-at-start "$LOAD_AT_START" \
    --cpu-start "$BENCH/cpu-start.txt" --cpu-end "$BENCH/cpu-end.txt" \
    --out-txt "$BENCH/locate-report.txt" --out-json "$BENCH/locate-report.json"
echo
echo "Saved .bench/locate-report.txt and .bench/locate-report.json"
