# shellcheck shell=bash
# A live `vigie serve` on a demo store, for the scripts that test a running server
# (tests/web/run.sh, scripts/api-conformance.sh). Sourced, not run: the caller defines
# `log` and `repository` (the checkout's root) first, and these functions set its variables
# `vigie`, `demo`, `database`, `server_pid` and `base`.

# The vigie binary: $VIGIE_BINARY when set (scripts/test.sh passes the one its `cargo test`
# just built: `cargo build -p vigie` unifies features differently from `cargo test
# --workspace` and would rebuild crates), or else a debug build of this checkout.
find_vigie() {
    if [[ -n "${VIGIE_BINARY:-}" ]]; then
        vigie="$(cd "$(dirname "$VIGIE_BINARY")" && pwd)/$(basename "$VIGIE_BINARY")"
        log "using $vigie"
    else
        log "building the vigie binary (debug)"
        cargo build --quiet -p vigie --bin vigie
        vigie="${repository:?the caller sets repository}/target/debug/vigie"
    fi
    [[ -x "$vigie" ]] || { log "no vigie binary at $vigie"; exit 1; }
}

# prepare_demo WORK EVENTS: a demo store in WORK/demo (`vigie demo --prepare-only`: EVENTS
# synthetic events, their warnings and hotspots), its output and log in WORK. Sets `demo`
# and `database` (the demo's SQLite file).
prepare_demo() {
    local work="$1" events="$2"
    demo="$work/demo"
    database="$demo/vigie-demo.sqlite3"
    log "preparing a demo store ($events synthetic events)"
    "$vigie" demo --dir "$demo" --events "$events" --prepare-only \
        >"$work/demo.json" 2>"$work/demo.log" || { cat "$work/demo.log" >&2; exit 1; }
}

# The [server.rate_limit] section of a configuration, with limits far above what a test
# sends: it would otherwise spend its requests on 429 answers.
lifted_rate_limits() {
    cat <<'TOML'
[server.rate_limit]
anonymous_per_second = 100000.0
anonymous_burst = 100000
keyed_per_second = 100000.0
keyed_burst = 100000
TOML
}

# start_server CONFIG LOG_FILE: `vigie serve` with the configuration file CONFIG on
# `database`, in the demo's directory (where its deployment secret, vigie.secret, lives),
# logging to LOG_FILE and stopped when the script exits. Port 0: the system picks a free
# port, and the server says which on its first line. Sets `server_pid` and `base`
# (http://host:port); exits, showing the log, when the server does not start.
start_server() {
    local config="$1" log_file="$2"
    (cd "$demo" && exec "$vigie" --config "$config" --database "$database" serve --bind 127.0.0.1:0) \
        >"$log_file" 2>&1 &
    server_pid=$!
    trap stop_server EXIT
    trap 'exit 130' INT TERM

    base=""
    for _ in $(seq 1 300); do
        base="$(sed -n 's|^vigie serving on \(http://[0-9.:]*\).*|\1|p' "$log_file" | head -n 1)"
        [[ -n "$base" ]] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.2
    done
    if [[ -z "$base" ]]; then
        log "the server did not start:"
        cat "$log_file" >&2
        exit 1
    fi
}

stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}
