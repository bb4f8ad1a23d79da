#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests.
#
#   scripts/postgres.sh start   # install if needed, init, start; prints the admin URL last
#   scripts/postgres.sh stop    # stop it (the data directory stays, for the next start)
#   scripts/postgres.sh status  # exit 0 when it is running
#   scripts/postgres.sh url     # print the admin URL
#   scripts/postgres.sh clean   # stop it and delete its directory
#
# The cluster lives in ${HFR_PG_DIR:-/tmp/hfr-pg}, listens on 127.0.0.1 only,
# port ${HFR_PG_PORT:-55432}, and trusts every local connection: it is for
# tests, never for data anyone keeps. PostgreSQL refuses to run as root, so as
# root the server runs as the `postgres` user (created when missing). When no
# server binary is found, root installs Debian's `postgresql` package.
#
# Progress goes to stderr; stdout carries only the URL, so
#   HFR_TEST_POSTGRES_URL="$(scripts/postgres.sh start | tail -n 1)"
# works.
set -euo pipefail

PG_DIR="${HFR_PG_DIR:-/tmp/hfr-pg}"
PG_PORT="${HFR_PG_PORT:-55432}"
PG_HOST=127.0.0.1
DATA="$PG_DIR/data"
SOCKET_DIR="$PG_DIR/socket"
LOG="$PG_DIR/server.log"
URL="postgres://postgres@${PG_HOST}:${PG_PORT}/postgres"

say() { echo "postgres.sh: $*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# The directory holding initdb, pg_ctl and postgres, newest version first.
find_bindir() {
    local d
    local in_path=/nonexistent
    if command -v pg_ctl >/dev/null 2>&1; then
        # Follow symlinks to the real bin directory (it has pg_isready too).
        in_path="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
    fi
    for d in "$in_path" \
        $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) \
        /usr/local/pgsql/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

ensure_server_installed() {
    if BINDIR="$(find_bindir)"; then
        return
    fi
    [ "$(id -u)" -eq 0 ] || die "no PostgreSQL server found (looked in PATH and /usr/lib/postgresql/*/bin); install the 'postgresql' package"
    say "no PostgreSQL server found: installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends postgresql >&2
    BINDIR="$(find_bindir)" || die "installed postgresql, but found no initdb/pg_ctl/postgres"
}

# Runs a command as the user that owns the cluster.
as_owner() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    else
        su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
    fi
}

ensure_owner() {
    [ "$(id -u)" -eq 0 ] || return 0
    if ! id postgres >/dev/null 2>&1; then
        say "creating the system user 'postgres'"
        if command -v useradd >/dev/null 2>&1; then
            useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/sh postgres
        else
            adduser --system --group --home /var/lib/postgresql --shell /bin/sh postgres >&2
        fi
    fi
}

pg_ctl_() { as_owner "$BINDIR/pg_ctl" -D "$DATA" "$@"; }

is_running() { [ -f "$DATA/PG_VERSION" ] && pg_ctl_ status >/dev/null 2>&1; }

wait_ready() {
    local i
    for i in $(seq 1 60); do
        if [ -x "$BINDIR/pg_isready" ]; then
            if "$BINDIR/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres; then
                return 0
            fi
        elif (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null; then
            return 0
        fi
        sleep 1
    done
    return 1
}

init_cluster() {
    local version
    version="$("$BINDIR/postgres" --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')"
    if [ -f "$DATA/PG_VERSION" ] && [ "$(cat "$DATA/PG_VERSION")" != "$version" ]; then
        say "the cluster in $DATA is from PostgreSQL $(cat "$DATA/PG_VERSION"), the server is $version: starting afresh"
        rm -rf "$DATA"
    fi
    mkdir -p "$PG_DIR" "$SOCKET_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$PG_DIR" "$SOCKET_DIR"
        as_owner test -w "$PG_DIR" ||
            die "the postgres user cannot write to $PG_DIR (is a parent directory private?); set HFR_PG_DIR elsewhere"
    fi
    chmod 700 "$PG_DIR"
    if [ -f "$DATA/PG_VERSION" ]; then
        return
    fi
    say "initialising a throwaway cluster in $DATA (PostgreSQL $version)"
    as_owner "$BINDIR/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 ||
        {
            cat "$PG_DIR/initdb.log" >&2
            die "initdb failed"
        }
    # Test settings: loopback only, our own socket directory (no need for
    # /var/run/postgresql), and no durability (the data is thrown away).
    as_owner tee -a "$DATA/postgresql.conf" >/dev/null <<EOF

# --- scripts/postgres.sh ---
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

start() {
    ensure_server_installed
    ensure_owner
    init_cluster
    if is_running; then
        say "already running ($DATA)"
    else
        say "starting PostgreSQL on $PG_HOST:$PG_PORT ($BINDIR)"
        if ! pg_ctl_ -l "$LOG" -w -t 60 start >&2; then
            tail -n 30 "$LOG" >&2 || true
            die "the server did not start (is port $PG_PORT taken? set HFR_PG_PORT)"
        fi
    fi
    wait_ready || {
        tail -n 30 "$LOG" >&2 || true
        die "the server is not accepting connections on $PG_HOST:$PG_PORT"
    }
    echo "$URL"
}

stop() {
    if ! BINDIR="$(find_bindir)"; then
        say "no PostgreSQL server installed: nothing to stop"
        return 0
    fi
    if is_running; then
        pg_ctl_ -m fast -w stop >&2
    else
        say "not running"
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status)
    BINDIR="$(find_bindir)" || exit 1
    is_running
    ;;
url) echo "$URL" ;;
clean)
    stop
    rm -rf "$PG_DIR"
    ;;
*)
    echo "usage: $0 start|stop|status|url|clean" >&2
    exit 2
    ;;
esac
