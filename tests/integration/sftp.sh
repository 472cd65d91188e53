#!/bin/bash
# tests/integration/sftp.sh - the SFTP driver and transfer engine against a
# real OpenSSH server: starts tests/servers/sshd.sh in a temporary dir, runs
# build/tests/itest_sftp with the server's SSHD_* variables, and prints one
# `ok - sftp/<test>` or `not ok - sftp/<test>` line per test. Run from the
# repository root after `make unit`; needs root (the server's users).
set -u
cd "$(dirname "$0")/../.."
area=sftp
bin=build/tests/itest_sftp
tmp=$(mktemp -d)
chmod 755 "$tmp" # the servers' users must reach their directories below it
cleanup() {
    bash tests/servers/sshd.sh stop "$tmp/sshd" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x "$bin" ]; then
    echo "not ok - $area/build"
    echo "# $bin is missing (make unit)"
    exit 1
fi
if [ ! -x /usr/sbin/sshd ]; then
    echo "ok - $area/all # SKIP openssh-server is not installed"
    exit 0
fi
if ! out=$(bash tests/servers/sshd.sh start "$tmp/sshd" 2>&1); then
    echo "not ok - $area/server"
    printf '%s\n' "$out" | sed 's/^/# /'
    exit 1
fi
set -a
. "$tmp/sshd/sshd.env"
set +a
timeout 900 "$bin" 2>&1 | sed -u -e "s#^ok - itest_sftp/#ok - $area/#" -e "s#^not ok - itest_sftp/#not ok - $area/#"
rc=${PIPESTATUS[0]}
if [ "$rc" -gt 1 ]; then
    echo "not ok - $area/run"
    echo "# $bin exited with status $rc"
fi
exit "$rc"
