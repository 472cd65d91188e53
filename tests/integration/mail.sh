#!/bin/bash
# tests/integration/mail.sh - the mail drivers (smtp over libcurl, file)
# against Debian's aiosmtpd on loopback: plain, STARTTLS, AUTH and implicit
# TLS servers that record every envelope and raw message (tests/servers/
# smtpd.sh). The checks are build/tests/itest_mail; this script starts the
# server, hands it the server's address, and always stops it.
# Run from the repository root with build/ built (make unit).
set -u
area=mail
bin=build/tests/itest_mail
tmp=$(mktemp -d)
cleanup() {
    tests/servers/smtpd.sh stop "$tmp/smtpd" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x "$bin" ]; then
    echo "not ok - $area/build"
    echo "# $bin is missing: run make unit first"
    exit 1
fi
if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
    # only when the Debian package cannot be installed here (tests/deps/mail.txt)
    echo "ok - $area/smtp # SKIP python3-aiosmtpd is not installed for /usr/bin/python3"
    exit 0
fi
if ! tests/servers/smtpd.sh start "$tmp/smtpd" 2>"$tmp/start.err"; then
    echo "not ok - $area/server"
    sed 's/^/# /' "$tmp/start.err"
    exit 1
fi
set -a
# shellcheck disable=SC1091
. "$tmp/smtpd/smtpd.env"
set +a
"$bin"
rc=$?

# the server saw no password in any message it recorded
if grep -rqF -- "$SMTPD_PASSWORD" "$SMTPD_MAILDIR" 2>/dev/null; then
    echo "not ok - $area/no_password_in_messages"
    rc=1
else
    echo "ok - $area/no_password_in_messages"
fi
exit $rc
