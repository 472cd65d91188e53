#!/bin/bash
# tests/servers/smtpd.sh start|stop DIR
#
# SMTP servers for the mail tests: Debian's python3-aiosmtpd (installed for
# /usr/bin/python3, so that interpreter is used whatever python3 is first on
# PATH), driven by tests/servers/smtpd.py. `start` makes a self-signed
# certificate for 127.0.0.1 with openssl, starts the servers (plain,
# STARTTLS, STARTTLS+AUTH, implicit TLS) on free loopback ports, waits until
# each answers, and writes DIR/smtpd.env and DIR/smtpd.pid. Messages land
# in DIR/mail (see smtpd.py). `stop` ends the process by its pid and waits.
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
    [ -f "$dir/smtpd.pid" ] || return 0
    pid=$(cat "$dir/smtpd.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/smtpd.pid"
}

case "$cmd" in
start)
    if ! $py -c 'import aiosmtpd' 2>/dev/null; then
        echo "smtpd: python3-aiosmtpd is not installed for $py" >&2
        exit 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    rm -f "$dir/smtpd.env"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 ||
        { echo "smtpd: openssl could not make a certificate" >&2; exit 1; }
    setsid $py "$here/smtpd.py" "$dir" >"$dir/smtpd.log" 2>&1 </dev/null &
    echo $! >"$dir/smtpd.pid"
    for _ in $(seq 1 200); do
        [ -f "$dir/smtpd.env" ] && break
        if ! kill -0 "$(cat "$dir/smtpd.pid")" 2>/dev/null; then
            echo "smtpd: server exited; log follows" >&2
            cat "$dir/smtpd.log" >&2
            rm -f "$dir/smtpd.pid"
            exit 1
        fi
        sleep 0.1
    done
    if [ ! -f "$dir/smtpd.env" ]; then
        echo "smtpd: not ready after 20s" >&2
        stop
        exit 1
    fi
    # each server must greet before we call it ready
    # shellcheck disable=SC1091
    . "$dir/smtpd.env"
    for p in "$SMTPD_PORT" "$SMTPD_TLS_PORT" "$SMTPD_AUTH_PORT"; do
        if ! $py - "$p" <<'PY'; then
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
sys.exit(0 if s.recv(100).startswith(b"220") else 1)
PY
            echo "smtpd: port $p does not greet" >&2
            stop
            exit 1
        fi
    done
    ;;
stop)
    stop
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
