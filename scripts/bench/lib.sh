# Shared by the benchmark scripts (scripts/bench-*.sh); sourced, never run.
# The caller sets ROOT and BENCH (the work directory, created here) before sourcing.
# shellcheck shell=bash

mkdir -p "$BENCH"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
is_root() { [ "$(id -u)" -eq 0 ]; }

# One core for every tool: the comparison is single-threaded throughput.
PIN=()
PINNED="no (taskset unavailable)"
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
    PIN=(taskset -c 0)
    PINNED="yes (taskset -c 0)"
fi
# Keep numeric libraries from starting thread pools of their own.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1

# apt-get update at most once per run, and only when something must be installed.
APT_UPDATED=0
apt_install() {
    is_root || die "need root to install Debian packages: $*"
    if [ "$APT_UPDATED" -eq 0 ]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
    echo "  apt-get install $* (log: .bench/apt.log)" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
            >>"$BENCH/apt.log" 2>&1; then
        tail -n 20 "$BENCH/apt.log" >&2
        die "apt-get install $* failed"
    fi
}

# PostgreSQL cluster state, for the exit trap.
PG_STARTED=0
cleanup() {
    if [ "$PG_STARTED" -eq 1 ]; then
        echo "Stopping the PostgreSQL benchmark cluster" >&2
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Python peers (GeoPandas, shapely 2) live in .bench/venv.
ensure_venv() {
    local venv=$BENCH/venv
    VENV_PY=$venv/bin/python
    # Debian's python3 has no ensurepip (hence no venv) without python3-venv.
    if [ ! -x "$VENV_PY" ] && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
        log "Installing python3-venv"
        apt_install python3-venv
    fi
    # A venv without a working pip (e.g. an interrupted creation) is redone.
    if [ ! -x "$VENV_PY" ] || ! "$VENV_PY" -m pip --version >/dev/null 2>&1; then
        log "Creating the venv .bench/venv"
        python3 -m venv --clear "$venv"
    fi
    if "$VENV_PY" -c 'import geopandas, pyogrio, pyproj, pandas, shapely
assert int(shapely.__version__.split(".")[0]) >= 2' >/dev/null 2>&1; then
        echo "  reusing .bench/venv (geopandas, shapely 2, pyproj, pandas present)" >&2
    else
        log "Installing geopandas, shapely, pyproj, pandas into .bench/venv"
        "$VENV_PY" -m pip install --quiet --disable-pip-version-check \
            geopandas 'shapely>=2' pyproj pandas pyogrio
    fi
}

# PostgreSQL + PostGIS from Debian's packages; the server runs later as a
# throwaway cluster (start_cluster).

# Newest PostgreSQL server installed from Debian's packages (empty if none).
find_pg_version() {
    local v
    for v in $(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V -r); do
        if [ -x "/usr/lib/postgresql/$v/bin/initdb" ] && [ -x "/usr/lib/postgresql/$v/bin/postgres" ]; then
            echo "$v"
            return
        fi
    done
}

has_postgis() { [ -f "/usr/share/postgresql/$1/extension/postgis.control" ]; }

ensure_postgis() {
    PG_VERSION=$(find_pg_version)
    if [ -n "$PG_VERSION" ] && has_postgis "$PG_VERSION"; then
        return
    fi
    if [ -z "$PG_VERSION" ]; then
        # No server yet: take the version Debian's `postgresql` metapackage
        # points at (15 on Debian 12).
        apt-get update -qq
        APT_UPDATED=1
        PG_VERSION=$(apt-cache depends postgresql 2>/dev/null \
            | sed -n 's/^ *Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1)
        [ -n "$PG_VERSION" ] || die "apt offers no postgresql server package"
        log "Installing postgresql-$PG_VERSION and postgresql-$PG_VERSION-postgis-3"
        apt_install "postgresql-$PG_VERSION" "postgresql-$PG_VERSION-postgis-3"
    else
        log "Installing postgresql-$PG_VERSION-postgis-3"
        apt_install "postgresql-$PG_VERSION-postgis-3"
    fi
    has_postgis "$PG_VERSION" || die "PostGIS still missing for PostgreSQL $PG_VERSION"
}

# initdb/postgres refuse to run as root: as root, run the server as the
# `postgres` system user (created by Debian's packages; created here if not).
PG_OS_USER=$(id -un)
as_pg() {
    if is_root; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_cluster() {
    PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
    local pg_dir=$BENCH/pg
    mkdir -p "$pg_dir"
    if is_root; then
        PG_OS_USER=postgres
        if ! id postgres >/dev/null 2>&1; then
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin postgres
        fi
        chown -R postgres: "$pg_dir"
        # A checkout under a private directory (e.g. /root) is out of the
        # postgres user's reach: keep the cluster in /var/tmp instead.
        if ! as_pg test -w "$pg_dir"; then
            pg_dir=/var/tmp/vigie-bench-pg
            echo "  user postgres cannot reach .bench/pg; using $pg_dir" >&2
            mkdir -p "$pg_dir"
            chown -R postgres: "$pg_dir"
            chmod 700 "$pg_dir"
        fi
    fi
    PGDATA=$pg_dir/data

    # A data directory of another PostgreSQL version is not reusable.
    if [ -f "$PGDATA/PG_VERSION" ] && [ "$(cat "$PGDATA/PG_VERSION")" != "$PG_VERSION" ]; then
        rm -rf "$PGDATA"
    fi
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        log "initdb $PGDATA (PostgreSQL $PG_VERSION, as $PG_OS_USER)"
        as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust \
            --encoding=UTF8 --no-locale >"$pg_dir/initdb.log"
    fi
    # A server left behind by a killed run would hold the data directory.
    if as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    fi

    PG_PORT=$(free_port)
    log "Starting PostgreSQL on 127.0.0.1:$PG_PORT (pinned: $PINNED)"
    # TCP on loopback only, no Unix socket (so no socket directory to own).
    # Durability is off: this cluster is thrown away, and that only speeds up
    # loading; the timed join reads tables that are already in memory.
    # The postmaster inherits the CPU pinning, and so does every backend.
    as_pg "${PIN[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$pg_dir/server.log" -w -t 60 \
        -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null
    PG_STARTED=1
    PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres)
}
