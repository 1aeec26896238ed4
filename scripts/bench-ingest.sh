#!/usr/bin/env bash
# Ingestion benchmark: Vigie against its peers, on the same generated ACLED file, in one run.
#
#   scripts/bench-ingest.sh [--rows N] [--seed S] [--skip-postgis] [--skip-python] [--no-build]
#
# Generates an N-row ACLED file (default 1,000,000, seed 7) with `vigie gen acled`, then
# times, each on one core (taskset -c 0 when available):
#   - Vigie:      `vigie bench ingest --file ...`: parse only (best of 3), then
#                 parse + validate + locate + store into a fresh SQLite file, then the same
#                 file again (every event unchanged)
#   - GeoPandas:  pandas.read_csv + points_from_xy + sjoin with the communes
#   - PostGIS:    COPY + ST_MakePoint + GiST index (+ the communes join, reported apart)
# and prints a comparison table, saved to .bench/ingest-report.txt and
# .bench/ingest-report.json. --no-build uses the release binary already built.
#
# Needs what scripts/bench-locate.sh needs (Debian 12, root to install PostgreSQL/PostGIS
# or python3-venv when missing, python3 + pip, the Rust toolchain); the Python venv and the
# PostgreSQL cluster under .bench/ are shared with it.
set -euo pipefail

usage() { sed -n '2,17s/^# \{0,1\}//p' "$0"; }

ROWS=1000000
SEED=7
SKIP_POSTGIS=0
SKIP_PYTHON=0
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) ROWS="${2:?--rows needs a value}"; shift 2 ;;
        --seed) SEED="${2:?--seed needs a value}"; shift 2 ;;
        --skip-postgis) SKIP_POSTGIS=1; shift ;;
        --skip-python) SKIP_PYTHON=1; shift ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BENCH=$ROOT/.bench
HELPERS=$ROOT/scripts/bench
COMMUNES=$ROOT/data/source/mli_adm3_communes_ocha2015.geojson
EVENTS_CSV=$BENCH/acled-$ROWS-$SEED.csv

# shellcheck source=scripts/bench/lib.sh
source "$HELPERS/lib.sh"
# shellcheck source=scripts/bench/ingest_postgis.sh
source "$HELPERS/ingest_postgis.sh"

rm -f "$BENCH"/ingest-vigie.json "$BENCH"/ingest-geopandas.json "$BENCH"/ingest-postgis.json
LOAD_AT_START=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')

if [ "$BUILD" -eq 1 ]; then
    log "Building vigie (release)"
    cargo build --release -p vigie
fi
VIGIE=${CARGO_TARGET_DIR:-$ROOT/target}/release/vigie
[ -x "$VIGIE" ] || die "no binary at $VIGIE"

if [ ! -s "$EVENTS_CSV" ]; then
    log "Generating $ROWS ACLED rows (seed $SEED) into ${EVENTS_CSV#"$ROOT"/}"
    "$VIGIE" gen acled --rows "$ROWS" --seed "$SEED" --out "$EVENTS_CSV"
fi

if [ "$SKIP_PYTHON" -eq 0 ]; then ensure_venv; fi
if [ "$SKIP_POSTGIS" -eq 0 ]; then ensure_postgis; fi

log "Vigie: bench ingest (pinned: $PINNED)"
rm -rf "$BENCH/ingest-work"
mkdir -p "$BENCH/ingest-work"
"${PIN[@]}" "$VIGIE" bench ingest --file "$EVENTS_CSV" --work-dir "$BENCH/ingest-work" --json \
    > "$BENCH/ingest-vigie.json"
rm -rf "$BENCH/ingest-work"

if [ "$SKIP_PYTHON" -eq 0 ]; then
    log "GeoPandas: read_csv + points_from_xy + sjoin (pinned: $PINNED)"
    "${PIN[@]}" "$VENV_PY" "$HELPERS/ingest_geopandas.py" --communes "$COMMUNES" \
        --events "$EVENTS_CSV" --runs 1 > "$BENCH/ingest-geopandas.json"
fi

if [ "$SKIP_POSTGIS" -eq 0 ]; then
    start_cluster
    "${PSQL[@]}" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS postgis'
    python3 "$HELPERS/communes_tsv.py" "$COMMUNES" admin3Pcod \
        | "${PSQL[@]}" -f "$HELPERS/postgis-communes.sql"
    log "PostGIS: COPY + ST_MakePoint + GiST (pinned: $PINNED)"
    postgis_ingest "$EVENTS_CSV" "$BENCH/ingest-postgis.json"
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    PG_STARTED=0
fi

log "Report"
python3 "$HELPERS/ingest_report.py" --bench "$BENCH" --load-at-start "$LOAD_AT_START" \
    --pinned "$PINNED" --out-txt "$BENCH/ingest-report.txt" --out-json "$BENCH/ingest-report.json"
echo
echo "Saved .bench/ingest-report.txt and .bench/ingest-report.json"
