#!/usr/bin/env bash
# Hotspots benchmark: Vigie's ST-DBSCAN against scikit-learn's DBSCAN, and Gi* timing.
#
#   scripts/bench-hotspots.sh [--sizes "100000 250000 1000000"] [--eps-km 10]
#                             [--min-points 4] [--seed 42] [--skip-python]
#                             [--python-memory-gb 18]
#
# For each size N, generates N space–time points clustered like conflict events
# (70 % in bursts of 1–30 days around commune centres, 30 % scattered over ten
# years; `st_dbscan_bench generate`), then, each on one core (taskset) when
# possible:
#   - Vigie, spatial only: ST-DBSCAN with every point on one day, which is
#     DBSCAN on the sphere, the problem scikit-learn solves;
#   - scikit-learn: DBSCAN(metric="haversine", algorithm="ball_tree", same eps
#     in radians, same min_samples), checked against Vigie's labels (same core
#     points, same noise, same partition);
#   - Vigie, space–time: the real ST-DBSCAN (eps-km, 7 days) on the same points;
# and times commune adjacency and Gi* over the 701 communes.  Peak memory is each
# process's peak RSS (VmHWM / ru_maxrss).  scikit-learn keeps every neighbourhood
# in memory; its process is capped at --python-memory-gb (ulimit -v) so that a size
# it cannot handle fails instead of exhausting the machine; the report says so.
#
# Output: a table on stdout, saved with the raw figures under target/bench-hotspots/.
# Needs python3 with venv and pip (scikit-learn, numpy and pandas are installed
# into target/bench-hotspots/venv once) and the Rust toolchain.
set -euo pipefail

usage() { sed -n '2,27s/^# \{0,1\}//p' "$0"; }

SIZES="100000 250000 1000000"
EPS_KM=10
MIN_POINTS=4
SEED=42
SKIP_PYTHON=0
PYTHON_MEMORY_GB=18
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) SIZES="${2:?--sizes needs a value}"; shift 2 ;;
        --eps-km) EPS_KM="${2:?--eps-km needs a value}"; shift 2 ;;
        --min-points) MIN_POINTS="${2:?--min-points needs a value}"; shift 2 ;;
        --seed) SEED="${2:?--seed needs a value}"; shift 2 ;;
        --skip-python) SKIP_PYTHON=1; shift ;;
        --python-memory-gb) PYTHON_MEMORY_GB="${2:?--python-memory-gb needs a value}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$TARGET/bench-hotspots
HELPERS=$ROOT/scripts/bench
mkdir -p "$WORK"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

PIN=()
PINNED="no (taskset unavailable)"
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
    PIN=(taskset -c 0)
    PINNED="yes (taskset -c 0)"
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1

log "Building the st_dbscan_bench example (release)"
cargo build --release -p vigie-hotspots --example st_dbscan_bench
BENCH=$TARGET/release/examples/st_dbscan_bench
[ -x "$BENCH" ] || die "no binary at $BENCH"

if [ "$SKIP_PYTHON" -eq 0 ]; then
    VENV=$WORK/venv
    VENV_PY=$VENV/bin/python
    if [ ! -x "$VENV_PY" ] || ! "$VENV_PY" -m pip --version >/dev/null 2>&1; then
        python3 -c 'import ensurepip' >/dev/null 2>&1 \
            || die "python3 cannot create a venv: install python3-venv (apt-get install python3-venv)"
        log "Creating the venv $VENV"
        python3 -m venv --clear "$VENV"
    fi
    if "$VENV_PY" -c 'import sklearn, numpy, pandas' >/dev/null 2>&1; then
        echo "  reusing $VENV (scikit-learn, numpy, pandas present)" >&2
    else
        log "Installing scikit-learn, numpy, pandas into $VENV"
        "$VENV_PY" -m pip install --quiet --disable-pip-version-check scikit-learn numpy pandas
    fi
fi

rm -f "$WORK"/figures-*.json "$WORK"/gi.json
LOAD_AT_START=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')

log "Gi* over the 701 communes"
"${PIN[@]}" "$BENCH" gi > "$WORK/gi.json"
cat "$WORK/gi.json" >&2

for N in $SIZES; do
    POINTS=$WORK/points-$N.csv
    log "Generating $N points (seed $SEED)"
    "$BENCH" generate --count "$N" --seed "$SEED" --out "$POINTS"

    log "Vigie, spatial only, $N points ($EPS_KM km, $MIN_POINTS points; pinned: $PINNED)"
    "${PIN[@]}" "$BENCH" run --points "$POINTS" --spatial-only --eps-km "$EPS_KM" \
        --min-points "$MIN_POINTS" --labels-out "$WORK/labels-$N.txt" > "$WORK/figures-vigie-$N.json"
    cat "$WORK/figures-vigie-$N.json" >&2

    log "Vigie, space–time, $N points ($EPS_KM km, 7 days, $MIN_POINTS points)"
    "${PIN[@]}" "$BENCH" run --points "$POINTS" --eps-km "$EPS_KM" --eps-days 7 \
        --min-points "$MIN_POINTS" > "$WORK/figures-vigie-st-$N.json"
    cat "$WORK/figures-vigie-st-$N.json" >&2

    if [ "$SKIP_PYTHON" -eq 0 ]; then
        log "scikit-learn DBSCAN, $N points (memory cap ${PYTHON_MEMORY_GB} GB)"
        if ( ulimit -v $((PYTHON_MEMORY_GB * 1024 * 1024)); "${PIN[@]}" "$VENV_PY" \
                "$HELPERS/hotspots_sklearn.py" --points "$POINTS" --eps-km "$EPS_KM" \
                --min-points "$MIN_POINTS" --labels "$WORK/labels-$N.txt" \
                > "$WORK/figures-sklearn-$N.json" ); then
            cat "$WORK/figures-sklearn-$N.json" >&2
        else
            echo "{\"tool\": \"scikit-learn\", \"points\": $N, \"failed\": \"exceeded ${PYTHON_MEMORY_GB} GB or crashed\"}" \
                > "$WORK/figures-sklearn-$N.json"
            echo "  scikit-learn failed at $N points" >&2
        fi
    fi
    rm -f "$WORK/labels-$N.txt"
done

log "Report"
python3 "$HELPERS/hotspots_report.py" --work "$WORK" --sizes "$SIZES" --pinned "$PINNED" \
    --load-at-start "$LOAD_AT_START" --out-txt "$WORK/report.txt" --out-json "$WORK/report.json"
echo
echo "Saved $WORK/report.txt and $WORK/report.json"
