#!/bin/bash
# tests/integration/http.sh - the rest kind's curl driver against a real
# HTTP/1.1 server on loopback (tests/servers/httpd.sh: plain and TLS
# listeners that echo requests, stream bodies, drop connections, require a
# bearer token). The checks are build/tests/itest_http; this script starts
# the server, hands over its address, and always stops it.
# Run from the repository root with build/ built (make unit).
set -u
area=http
bin=build/tests/itest_http
tmp=$(mktemp -d)
cleanup() {
    tests/servers/httpd.sh stop "$tmp/httpd" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x "$bin" ]; then
    echo "not ok - $area/build"
    echo "# $bin is missing: run make unit first"
    exit 1
fi
if ! tests/servers/httpd.sh start "$tmp/httpd" 2>"$tmp/start.err"; then
    echo "not ok - $area/server"
    sed 's/^/# /' "$tmp/start.err"
    exit 1
fi
set -a
# shellcheck disable=SC1091
. "$tmp/httpd/httpd.env"
set +a
"$bin"
rc=$?

# the token reached the server only in the Authorization header of /auth
if grep -qF -- "$HTTPD_TOKEN" "$tmp/httpd/httpd.log"; then
    echo "not ok - $area/no_token_in_server_log"
    rc=1
else
    echo "ok - $area/no_token_in_server_log"
fi
exit $rc
