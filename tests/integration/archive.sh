#!/bin/bash
# tests/integration/archive.sh - the archive drivers against the real tools
# (Info-ZIP zip/unzip, 7-Zip, bsdtar, Python's zipfile) and zip64 on files
# over 4 GiB (sparse: little disk, a few minutes of CPU).
#
# The checks live in tests/unit/itest_archive.c (built by `make unit`); this
# script runs them and passes their "ok - archive/..." lines through.
# Run from the repository root with build/ built.
set -u
bin=build/tests/itest_archive
if [ ! -x "$bin" ]; then
    echo "not ok - archive/itest_archive"
    echo "# $bin is missing: run make unit first"
    exit 1
fi
missing=""
for t in zip unzip 7z bsdtar python3; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
    echo "not ok - archive/tools"
    echo "# not on PATH:$missing (tests/deps/archive.txt lists their packages)"
    exit 1
fi
rc=0
"$bin" || rc=1
"$bin" zip64 || rc=1
exit $rc
