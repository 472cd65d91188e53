#!/bin/sh
# Installs the Debian packages named in the given lists (one per line, '#'
# comments) that are not installed yet. Needs root; does nothing when all
# are present, so it is cheap to run before every build.
set -eu
missing=""
for list in "$@"; do
    for p in $(sed -e 's/#.*//' "$list"); do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing="$missing $p"
        fi
    done
done
[ -z "$missing" ] && exit 0
echo "setup-deps: installing$missing" >&2
if [ "$(id -u)" != 0 ]; then
    echo "setup-deps: not root; install these packages first:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || apt-get update
apt-get install -y -qq --no-install-recommends $missing >/dev/null
