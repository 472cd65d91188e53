#!/bin/sh
# tests/servers/postgres.sh start|stop DIR
#
# A throwaway PostgreSQL server for the db tests: initdb into DIR/pg/data,
# listening on 127.0.0.1 on a free high port (and a socket in DIR), password
# (scram-sha-256) authentication for TCP. PostgreSQL refuses to run as
# root, so when started by root the cluster belongs to the system user
# afc-pg (created here when missing).
#
# State lives in DIR/pg (data, socket, logs). Writes DIR/postgres.env (PG_BIN PG_HOST PG_PORT PG_USER PG_PASSWORD PG_DB
# PG_URL PG_SOCKDIR) and DIR/postgres.pid, and exits 0 once the server
# accepts connections; non-zero with a reason otherwise.
set -eu
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
dir=$(cd "$dir" && pwd)

bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { bindir=$d; break; }
done
[ -n "$bindir" ] || { echo "postgres.sh: no PostgreSQL server (install postgresql)" >&2; exit 1; }

pguser=""
as_pg() {
    if [ -n "$pguser" ]; then runuser -u "$pguser" -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then
    pguser=afc-pg
    if ! id "$pguser" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$pguser"
    fi
fi

case "$cmd" in
start)
    data=$dir/pg/data
    rm -rf "$dir/pg"
    mkdir -p "$data" "$dir/pg/sock"
    chmod 700 "$data"
    chmod o+x "$dir"
    [ -n "$pguser" ] && chown -R "$pguser" "$dir/pg"
    # a free port: bind to 0 and read it back
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    su_pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    pwfile=$dir/pg/pwfile
    printf '%s\n' "$su_pw" > "$pwfile"
    [ -n "$pguser" ] && chown "$pguser" "$pwfile"
    as_pg "$bindir/initdb" -D "$data" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$dir/pg/initdb.log" 2>&1 ||
        { echo "postgres.sh: initdb failed, see $dir/pg/initdb.log" >&2; exit 1; }
    rm -f "$pwfile"
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/pg/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
log_min_messages = warning
CONF
    as_pg "$bindir/pg_ctl" -D "$data" -l "$dir/pg/server.log" -w -t 60 start >/dev/null ||
        { echo "postgres.sh: server did not start, see $dir/pg/server.log" >&2; exit 1; }
    head -1 "$data/postmaster.pid" > "$dir/postgres.pid"
    as_pg "$bindir/psql" -h "$dir/pg/sock" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE afc LOGIN PASSWORD '$pw'" -c "CREATE DATABASE afc OWNER afc" >/dev/null ||
        { echo "postgres.sh: cannot create the test role" >&2; exit 1; }
    # wait until a password login over TCP answers
    i=0
    until PGPASSWORD=$pw "$bindir/psql" -h 127.0.0.1 -p "$port" -U afc -d afc -Atqc 'select 1' >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 50 ] || { echo "postgres.sh: no answer on 127.0.0.1:$port" >&2; exit 1; }
        sleep 0.2
    done
    cat >"$dir/postgres.env" <<ENV
PG_BIN=$bindir
PG_HOST=127.0.0.1
PG_PORT=$port
PG_USER=afc
PG_PASSWORD=$pw
PG_DB=afc
PG_URL=postgresql://afc:$pw@127.0.0.1:$port/afc
PG_SOCKDIR=$dir/pg/sock
PG_SUPERUSER=postgres
ENV
    ;;
stop)
    [ -f "$dir/postgres.pid" ] || exit 0
    pid=$(cat "$dir/postgres.pid")
    if [ -d "$dir/pg/data" ]; then
        as_pg "$bindir/pg_ctl" -D "$dir/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/postgres.pid"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
