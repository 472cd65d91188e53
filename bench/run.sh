#!/usr/bin/env bash
# bench/run.sh - runs every benchmark script in bench/ (make bench).
# Benchmarks print figures; they never pass or fail on timings.
#   bash bench/run.sh [NAME...]     e.g. bash bench/run.sh foundation
set -u
cd "$(dirname "$0")/.."
export AFC="$PWD/build/bin/afc" AFC_HOME="$PWD/build"
names=("$@")
[ ${#names[@]} -eq 0 ] && names=($(ls bench/*.sh | xargs -n1 basename | sed 's/\.sh$//' | grep -v '^run$'))
for n in "${names[@]}"; do
    echo "=== bench/$n"
    bash "bench/$n.sh" || echo "bench/$n failed (status $?)"
done
