#!/usr/bin/env bash
# Checks the research API of a live `vigie serve` with three outside tools, and fails when any
# of them fails:
#
# 1. ogctests (PyPI), the `features/core` suite of OGC API – Features Part 1, anonymously.
#    One test is deselected: `test_crs.py::test_ast2` asserts that /conformance lists Part 2's
#    CRS class (ogcapi-features-2/1.0/conf/crs). Part 1 Core requires CRS84 only, which every
#    geometry here is; Part 2 would require the `crs` and `bbox-crs` parameters, `storageCrs`
#    and the Content-Crs header, none of which Vigie implements, so claiming the class to
#    please the tool would be a false declaration.
# 2. scripts/check-geojson.py: every collection's items (public ones anonymously, every one
#    with a researcher key), a few pages each by their `next` links, validated as RFC 7946
#    GeoJSON with geojson-pydantic plus the producer rules those models leave out.
# 3. schemathesis against the OpenAPI document at /api, a bounded number of examples per
#    operation, with the researcher key and without: no 5xx (`not_a_server_error`), answers
#    that match the document (status codes, media types, headers, response schemas), invalid
#    requests refused, keyed operations refused without a key. `/api/stream` is left out:
#    without `poll=true` it is a Server-Sent Events stream that never ends by design (the
#    stream tests in crates/vigie-http/tests/stream.rs cover it). One worker: with two,
#    Python 3.11's `ast` module (which hypothesis calls from both threads) fails with
#    "AST constructor recursion depth mismatch", its recursion counter being shared.
#
# The server: the debug `vigie` binary (VIGIE_BINARY, or else `cargo build -p vigie`) on a
# demo store (`vigie demo --prepare-only`: synthetic events, warnings, hotspots; three sample
# reports are then sent through the web form), served on a free loopback port and stopped on
# exit; a researcher key from `vigie keys create`. The tools come from PyPI into a virtual
# environment under target/api-conformance-venv/ (created on first use; python3 and
# python3-venv are installed with apt-get when missing, as in scripts/smtp-for-tests.sh).
#
# With VIGIE_CONFORMANCE_POSTGRES_URL (a server's administrative URL), the server runs on a
# fresh PostgreSQL database holding the demo's events instead of the demo's SQLite file.
#
# Knobs: VIGIE_CONFORMANCE_EVENTS (synthetic events, default 1500) and
# VIGIE_CONFORMANCE_EXAMPLES (schemathesis examples per operation with the key, default 100;
# a third of that without). VIGIE_CONFORMANCE_HOLD=1 starts the server and waits, for
# exploring by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
repository="$(pwd)"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

log() { printf 'api-conformance: %s\n' "$*" >&2; }

# The versions these checks were written against: a new release of a tool changes what is
# checked, so it comes in by changing this line.
requirements=(ogctests==0.1.15 schemathesis==4.32.5 geojson-pydantic==2.2.0)

# --- the tools -----------------------------------------------------------------------------
venv="$repository/target/api-conformance-venv"
python="$venv/bin/python"
installed_marker="$venv/vigie-requirements.txt"
has_tools() {
    [[ -x "$python" ]] &&
        [[ "$(cat "$installed_marker" 2>/dev/null)" == "${requirements[*]}" ]] &&
        "$python" -c 'import ogctests.main, schemathesis, geojson_pydantic' >/dev/null 2>&1
}
if has_tools; then
    log "reusing $venv"
else
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
    log "creating $venv with ${requirements[*]}"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$python" -m pip install --quiet --disable-pip-version-check "${requirements[@]}" >&2
    printf '%s' "${requirements[*]}" >"$installed_marker"
    has_tools || { log "the tools did not install into $venv"; exit 1; }
fi

# --- the server ----------------------------------------------------------------------------
# shellcheck source=scripts/lib/serve-demo.sh
source scripts/lib/serve-demo.sh
find_vigie

work="$repository/target/api-conformance"
rm -rf "$work"
mkdir -p "$work"
prepare_demo "$work" "${VIGIE_CONFORMANCE_EVENTS:-1500}"
if [[ -n "${VIGIE_CONFORMANCE_POSTGRES_URL:-}" ]]; then
    # The same checks over PostgreSQL: a fresh database on that server (its URL names an
    # administrative database), filled with the demo's synthetic events and run through the
    # engine like the demo's own store.
    psql_bin="$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)"
    [[ -x "$psql_bin" ]] || { log "psql not found (scripts/postgres-for-tests.sh installs it)"; exit 1; }
    pg_database="vigie_conformance_$$"
    "$psql_bin" -q -v ON_ERROR_STOP=1 "$VIGIE_CONFORMANCE_POSTGRES_URL" \
        -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" -c "CREATE DATABASE $pg_database" >&2
    database="$("$python" - "$VIGIE_CONFORMANCE_POSTGRES_URL" "$pg_database" <<'PYTHON'
import sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(url._replace(path="/" + sys.argv[2])))
PYTHON
)"
    log "PostgreSQL: ingesting the demo's events into $pg_database"
    "$vigie" --database "$database" ingest acled "$demo/SYNTHETIC-acled-events.csv" >"$work/ingest.log" 2>&1 ||
        { cat "$work/ingest.log" >&2; exit 1; }
    "$vigie" --database "$database" warn >"$work/warn.log" 2>&1 || { cat "$work/warn.log" >&2; exit 1; }
fi
key="$("$vigie" --database "$database" keys create --role researcher --name api-conformance 2>/dev/null)"

lifted_rate_limits >"$work/vigie.toml"
start_server "$work/vigie.toml" "$work/serve.log"
"$python" - "$base/healthz" <<'PYTHON' || { log "no healthy server at $base"; cat "$work/serve.log" >&2; exit 1; }
import sys, time, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=5) as response:
            if response.status == 200:
                sys.exit(0)
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.2)
PYTHON
log "server healthy at $base"

# The demo has no community reports: three through the web form, so that the reports
# collection has features to check.
"$python" - "$base/api/reports" <<'PYTHON' || { log "the web form refused the sample reports"; exit 1; }
import json, sys, urllib.request
reports = [
    {"commune": "Bankass", "event_type": "attaque", "fatalities": 2, "text": "attaque au marché"},
    {"latitude": 14.07, "longitude": -3.51, "event_type": "IED"},
    {"text": "ALERTE Douentza enlèvement 3 personnes"},
]
for number, report in enumerate(reports):
    report["client_id"] = f"api-conformance-{number}"
    request = urllib.request.Request(
        sys.argv[1], data=json.dumps(report).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201), response.status
PYTHON

if [[ -n "${VIGIE_CONFORMANCE_HOLD:-}" ]]; then
    # For exploring by hand: the server stays up until this script is interrupted.
    log "holding: VIGIE_CONFORMANCE_BASE=$base VIGIE_CONFORMANCE_KEY=$key"
    wait "$server_pid"
fi

# --- the checks ----------------------------------------------------------------------------
failed=()
summary=()
run_check() {
    local name="$1"
    shift
    local started=$SECONDS
    echo "== $name"
    if (cd "$work" && "$@"); then
        summary+=("$name: passed in $((SECONDS - started)) s")
    else
        summary+=("$name: FAILED in $((SECONDS - started)) s")
        failed+=("$name")
    fi
}

ogctests_dir="$("$python" -c 'import ogctests, os; print(os.path.dirname(ogctests.__file__))')"
run_check "ogctests features/core" env INSTANCE_URL="$base" \
    "$python" -m pytest "$ogctests_dir/features/core" --rootdir "$ogctests_dir" \
    --deselect features/core/test_crs.py::test_ast2 \
    -p no:cacheprovider -q -rfE --tb=short

run_check "GeoJSON (RFC 7946) over every collection" \
    "$python" "$repository/scripts/check-geojson.py" "$base" --key "$key"

# Every check but `positive_data_acceptance`, which wants every schema-valid request
# accepted: JSON Schema cannot say what the server rightly refuses (a `datetime` with a 13th
# month, a report whose coordinates lie in no commune), so it reports documentation limits,
# not faults. Once with the researcher key (keyed collections answer), once without (the
# public view, and `ignored_auth`: keyed operations must refuse an anonymous caller).
schemathesis_run() {
    "$venv/bin/schemathesis" run "$base/api" \
        --checks all --exclude-checks positive_data_acceptance \
        --exclude-path /api/stream \
        --request-timeout 30 \
        --seed 20260101 \
        --generation-database none \
        --workers 1 \
        --no-color \
        --output-truncate true \
        "$@"
}
run_check "schemathesis /api (researcher key)" schemathesis_run \
    --max-examples "${VIGIE_CONFORMANCE_EXAMPLES:-100}" \
    --header "Authorization: Bearer $key"
run_check "schemathesis /api (anonymous)" schemathesis_run \
    --max-examples "$(( (${VIGIE_CONFORMANCE_EXAMPLES:-100} + 2) / 3 ))"

if grep -q 'request failed' "$work/serve.log"; then
    log "the server logged internal errors:"
    grep 'request failed' "$work/serve.log" >&2
    failed+=("server log")
fi

echo "== API conformance"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]})); then
    log "failed: ${failed[*]} (server log: $work/serve.log)"
    exit 1
fi
echo "== API conformance: every check passed"
