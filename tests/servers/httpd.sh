#!/bin/bash
# tests/servers/httpd.sh start|stop DIR
#
# A real HTTP/1.1 server on loopback for the http tests: Python's
# http.server under /usr/bin/python3, driven by tests/servers/httpd.py
# (routes listed there). `start` makes a self-signed certificate for
# 127.0.0.1 with openssl, starts plain and TLS listeners on free ports,
# waits until both answer, and writes DIR/httpd.env and DIR/httpd.pid.
# Files under DIR/www are served at /files/NAME. `stop` ends it by pid.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3

stop() {
    [ -f "$dir/httpd.pid" ] || return 0
    pid=$(cat "$dir/httpd.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/httpd.pid"
}

case "$cmd" in
start)
    [ -x "$py" ] || { echo "httpd: $py is missing" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    rm -f "$dir/httpd.env"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 ||
        { echo "httpd: openssl could not make a certificate" >&2; exit 1; }
    setsid $py "$here/httpd.py" "$dir" >"$dir/httpd.log" 2>&1 </dev/null &
    echo $! >"$dir/httpd.pid"
    for _ in $(seq 1 200); do
        [ -f "$dir/httpd.env" ] && break
        if ! kill -0 "$(cat "$dir/httpd.pid")" 2>/dev/null; then
            echo "httpd: server exited; log follows" >&2
            cat "$dir/httpd.log" >&2
            rm -f "$dir/httpd.pid"
            exit 1
        fi
        sleep 0.1
    done
    if [ ! -f "$dir/httpd.env" ]; then
        echo "httpd: not ready after 20s" >&2
        stop
        exit 1
    fi
    # shellcheck disable=SC1091
    . "$dir/httpd.env"
    if ! $py - "$HTTPD_URL" "$HTTPD_TLS_URL" "$HTTPD_CA" <<'PY'; then
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[3])
for url in sys.argv[1:3]:
    with urllib.request.urlopen(url + "/status/200", timeout=5, context=ctx) as r:
        assert r.status == 200
PY
        echo "httpd: does not answer" >&2
        stop
        exit 1
    fi
    ;;
stop)
    stop
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
