#!/bin/bash
# tests/integration/smb.sh - the SMB driver and transfer engine against a
# real Samba smbd: starts tests/servers/smbd.sh in a temporary dir, runs
# build/tests/itest_smb with the server's SMBD_* variables, and prints one
# `ok - smb/<test>` or `not ok - smb/<test>` line per test. Run from the
# repository root after `make unit`; needs root (the server's user).
set -u
cd "$(dirname "$0")/../.."
area=smb
bin=build/tests/itest_smb
tmp=$(mktemp -d)
chmod 755 "$tmp" # the servers' users must reach their directories below it
cleanup() {
    bash tests/servers/smbd.sh stop "$tmp/smbd" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x "$bin" ]; then
    echo "not ok - $area/build"
    echo "# $bin is missing (make unit)"
    exit 1
fi
if ! command -v smbd >/dev/null || ! command -v smbclient >/dev/null; then
    echo "ok - $area/all # SKIP samba or smbclient is not installed"
    exit 0
fi
if ! out=$(bash tests/servers/smbd.sh start "$tmp/smbd" 2>&1); then
    echo "not ok - $area/server"
    printf '%s\n' "$out" | sed 's/^/# /'
    exit 1
fi
set -a
. "$tmp/smbd/smbd.env"
set +a
timeout 900 "$bin" 2>&1 | sed -u -e "s#^ok - itest_smb/#ok - $area/#" -e "s#^not ok - itest_smb/#not ok - $area/#"
rc=${PIPESTATUS[0]}
if [ "$rc" -gt 1 ]; then
    echo "not ok - $area/run"
    echo "# $bin exited with status $rc"
fi
exit "$rc"
