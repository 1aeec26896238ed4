#!/usr/bin/env bash
# Makes a PostgreSQL server available to the test suite and prints its URL on stdout (and
# nothing else: every message goes to stderr), for:
#
#     export VIGIE_TEST_POSTGRES_URL="$(scripts/postgres-for-tests.sh)"
#
# 1. If VIGIE_TEST_POSTGRES_URL is set and answers, it is reused as is.
# 2. Otherwise a private cluster is used, created on first use under target/postgres-test/
#    (or /var/tmp/vigie-postgres-test-$UID when the postgres user cannot reach the checkout),
#    listening on 127.0.0.1 only, on the first free port from 54329, with trust
#    authentication. A cluster already running there is reused.
# 3. The server binaries come from /usr/lib/postgresql/*/bin; when there are none, Debian's
#    `postgresql` package is installed with apt-get (root needed).
#
# The cluster is for tests only: fsync is off, so its data does not survive a power cut.
# Stop it with: pg_ctl -D <cluster>/data stop (its directory is printed to stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
repository="$(pwd)"

log() { printf 'postgres-for-tests: %s\n' "$*" >&2; }

find_bin_dir() {
    local candidate best=""
    for candidate in /usr/lib/postgresql/*/bin; do
        if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" && -x "$candidate/pg_isready" ]]; then
            # Keep the highest major version.
            if [[ -z "$best" ]] || [[ "$(basename "$(dirname "$candidate")")" -gt "$(basename "$(dirname "$best")")" ]]; then
                best="$candidate"
            fi
        fi
    done
    printf '%s' "$best"
}

# Whether something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# --- 1. an URL given by the caller ------------------------------------------------------------
bin_dir="$(find_bin_dir)"
if [[ -n "${VIGIE_TEST_POSTGRES_URL:-}" ]]; then
    reachable=no
    if [[ -n "$bin_dir" ]]; then
        "$bin_dir/pg_isready" -q -d "$VIGIE_TEST_POSTGRES_URL" -t 5 && reachable=yes
    elif command -v psql >/dev/null; then
        psql "$VIGIE_TEST_POSTGRES_URL" -Atqc 'SELECT 1' >/dev/null 2>&1 && reachable=yes
    fi
    if [[ "$reachable" == yes ]]; then
        log "reusing VIGIE_TEST_POSTGRES_URL"
        printf '%s\n' "$VIGIE_TEST_POSTGRES_URL"
        exit 0
    fi
    log "VIGIE_TEST_POSTGRES_URL is set but does not answer: starting a private server instead"
fi

# --- 2. server binaries -------------------------------------------------------------------------
if [[ -z "$bin_dir" ]]; then
    if [[ "$(id -u)" -ne 0 ]]; then
        log "no PostgreSQL server in /usr/lib/postgresql/*/bin and not root: install the Debian package 'postgresql' (apt-get install postgresql) and run again"
        exit 1
    fi
    log "installing PostgreSQL (Debian package postgresql)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # Do not let the package start its own cluster service: ours is private and on another port.
    policy_created=no
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        policy_created=yes
    fi
    apt-get install -y -qq postgresql >&2
    if [[ "$policy_created" == yes ]]; then rm -f /usr/sbin/policy-rc.d; fi
    bin_dir="$(find_bin_dir)"
    if [[ -z "$bin_dir" ]]; then
        log "the postgresql package installed no server under /usr/lib/postgresql/*/bin"
        exit 1
    fi
fi
log "server binaries: $bin_dir"

# --- 3. where the cluster lives, and as whom it runs --------------------------------------------
# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
if [[ "$(id -u)" -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
        log "creating the postgres system user"
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    # From /: the postgres user may not be allowed into the current directory.
    as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
    as_owner() { "$@"; }
fi

base="$repository/target/postgres-test"
mkdir -p "$base"
if [[ "$(id -u)" -eq 0 ]]; then
    chown postgres: "$base"
    # /root, for one, is closed to other users: the postgres user must reach the directory.
    if ! as_owner test -w "$base" -a -x "$base"; then
        base="/var/tmp/vigie-postgres-test-$(id -u)"
        mkdir -p "$base"
        chown postgres: "$base"
        chmod 700 "$base"
        log "the postgres user cannot reach $repository/target: using $base"
    fi
fi
data="$base/data"
port_file="$base/port"
log "cluster: $base"

# --- 4. reuse a running cluster -----------------------------------------------------------------
if [[ -f "$data/PG_VERSION" && -f "$port_file" ]] && as_owner "$bin_dir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    port="$(cat "$port_file")"
    if "$bin_dir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 10; then
        log "reusing the running server on port $port"
        printf 'postgres://postgres@127.0.0.1:%s/postgres\n' "$port"
        exit 0
    fi
    log "the cluster runs but does not answer on port $port: restarting it"
    as_owner "$bin_dir/pg_ctl" -D "$data" -m fast -w stop >&2 || true
fi

# --- 5. create the cluster once -----------------------------------------------------------------
if [[ ! -f "$data/PG_VERSION" ]]; then
    log "creating the cluster"
    rm -rf "$data"
    as_owner "$bin_dir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C >&2
fi

# --- 6. start it on a free port -----------------------------------------------------------------
port=54329
started=no
while [[ "$port" -lt 54429 ]]; do
    if port_in_use "$port"; then
        port=$((port + 1))
        continue
    fi
    # No Unix socket: its path would be too long under some checkouts, and tests use TCP.
    if as_owner "$bin_dir/pg_ctl" -D "$data" -l "$base/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='' -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >&2; then
        started=yes
        break
    fi
    log "the server did not start on port $port (see $base/server.log): trying the next port"
    port=$((port + 1))
done
if [[ "$started" != yes ]]; then
    log "could not start PostgreSQL on any port from 54329 to 54428; last log lines:"
    tail -n 20 "$base/server.log" >&2 || true
    exit 1
fi
printf '%s\n' "$port" >"$port_file"
if ! "$bin_dir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30; then
    log "the server started but does not answer on port $port"
    exit 1
fi
log "server ready on port $port"
printf 'postgres://postgres@127.0.0.1:%s/postgres\n' "$port"
