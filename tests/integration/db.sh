#!/bin/bash
# tests/integration/db.sh - the db connector kind against real servers.
#
# Starts a throwaway PostgreSQL (tests/servers/postgres.sh) and runs
# build/tests/itest_db against it: libpq, ODBC through Debian's psqlODBC and
# SQLite ODBC drivers, the sqlalchemy routing, COPY loads, connection
# failures. Run from the repository root after `make unit`.
set -u
tmp=$(mktemp -d)
cleanup() {
    tests/servers/postgres.sh stop "$tmp" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x build/tests/itest_db ]; then
    echo "not ok - db/itest_db"
    echo "# build/tests/itest_db is missing: run make unit first"
    exit 1
fi
if ! tests/servers/postgres.sh start "$tmp" >"$tmp/start.log" 2>&1; then
    echo "not ok - db/postgres_server"
    sed 's/^/# /' "$tmp/start.log"
    exit 1
fi
echo "ok - db/postgres_server"
set -a
. "$tmp/postgres.env"
set +a
# itest_db prints its own "ok - db/NAME" lines and exits non-zero on failure
build/tests/itest_db
rc=$?
# the server must also stop cleanly, by pid
pid=$(cat "$tmp/postgres.pid")
tests/servers/postgres.sh stop "$tmp" >/dev/null 2>&1
if kill -0 "$pid" 2>/dev/null; then
    echo "not ok - db/postgres_stop"
    echo "# postmaster $pid still running"
    rc=1
else
    echo "ok - db/postgres_stop"
fi
exit $rc
