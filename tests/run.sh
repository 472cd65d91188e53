#!/usr/bin/env bash
# tests/run.sh - runs every test of afc and ends with one line
#   N passed, N failed, N skipped
#
# Sections, in order: unit programs (build/tests/test_*), compile
# diagnostics (tests/diag/*/), flow cases (tests/flows/*/case.sh),
# integration scripts against real servers (tests/integration/*.sh), the
# unit programs and afc rebuilt with ASan/UBSan, and a short fuzzing run of
# the front end. Every check prints a line
# "ok - NAME", "not ok - NAME" or "ok - NAME # SKIP reason"; only failures,
# skips and section totals are shown unless V=1.
#
#   bash tests/run.sh [SECTION...]     sections: unit diag flows integration sanitizers fuzz
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
export AFC="$ROOT/build/bin/afc"
export AFC_HOME="$ROOT/build"
export PATH="$ROOT/build/bin:$PATH"
V=${V:-0}
SCRATCH=$(mktemp -d /tmp/afc-tests.XXXXXX)
chmod 711 "$SCRATCH" # servers that run as their own user (postgres) must reach their dirs
trap 'rm -rf "$SCRATCH"' EXIT
pass=0 fail=0 skip=0

# Counts the ok/not ok lines of a test program's output (stdin).
tally() {
    local line
    while IFS= read -r line; do
        case "$line" in
            "ok - "*"# SKIP"*) skip=$((skip + 1)); echo "$line" ;;
            "ok - "*) pass=$((pass + 1)); [ "$V" = 1 ] && echo "$line" ;;
            "not ok - "*) fail=$((fail + 1)); echo "$line" ;;
            "#"*) echo "$line" ;;
            *) [ "$V" = 1 ] && echo "  $line" ;;
        esac
    done
    return 0
}

ok()     { pass=$((pass + 1)); [ "$V" = 1 ] && echo "ok - $1"; return 0; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/#   /' <<<"$2" | head -40; return 0; }

section() { echo "== $1"; }

run_unit() {
    section unit
    local t name out rc
    for t in build/tests/test_*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        out=$(cd "$SCRATCH" && timeout 600 "$ROOT/$t" 2>&1); rc=$?
        tally <<<"$out"
        if [ $rc -ne 0 ] && ! grep -q '^not ok' <<<"$out"; then
            not_ok "unit/$name exited with status $rc" "$(tail -20 <<<"$out")"
        fi
    done
}

# A diagnostic case: tests/diag/NAME/ holds the input (flow.yaml, or the
# file named in `cmd`), `expected` (the exact stderr) and optionally `cmd`
# (afc arguments, default "validate flow.yaml") and `status` (default 2).
run_diag() {
    section diag
    local d name cmd want_status got rc
    for d in tests/diag/*/; do
        [ -d "$d" ] || continue
        name=diag/$(basename "$d")
        cmd="validate flow.yaml"
        [ -f "$d/cmd" ] && cmd=$(cat "$d/cmd")
        want_status=2
        [ -f "$d/status" ] && want_status=$(cat "$d/status")
        got=$(cd "$d" && NO_COLOR=1 $AFC $cmd 2>&1 >/dev/null); rc=$?
        if [ "$rc" != "$want_status" ]; then
            not_ok "$name (exit $rc, want $want_status)" "$got"
        elif ! diff -u "$d/expected" <(printf '%s\n' "$got") >"$SCRATCH/diff" 2>&1; then
            not_ok "$name (stderr differs)" "$(cat "$SCRATCH/diff")"
        else
            ok "$name"
        fi
    done
}

# A flow case: tests/flows/NAME/case.sh, run by bash in a fresh directory
# with tests/lib.sh's helpers; exit 0 passes.
run_flows() {
    section flows
    local c name work out rc
    for c in tests/flows/*/case.sh; do
        [ -f "$c" ] || continue
        name=flows/$(basename "$(dirname "$c")")
        work=$(mktemp -d "$SCRATCH/case.XXXXXX")
        chmod 711 "$work"
        out=$(cd "$work" && CASE_DIR="$ROOT/$(dirname "$c")" WORK="$work" timeout 600 \
              bash -c 'source "$0/tests/lib.sh"; source "$1"' "$ROOT" "$ROOT/$c" 2>&1); rc=$?
        if [ $rc -eq 0 ]; then ok "$name"; else not_ok "$name (status $rc)" "$(tail -30 <<<"$out")"; fi
        rm -rf "$work"
    done
}

run_integration() {
    section integration
    local s out rc
    for s in tests/integration/*.sh; do
        [ -f "$s" ] || continue
        out=$(timeout 1800 bash "$s" 2>&1); rc=$?
        tally <<<"$out"
        if [ $rc -ne 0 ] && ! grep -q '^not ok' <<<"$out"; then
            not_ok "integration/$(basename "$s" .sh) exited with status $rc" "$(tail -20 <<<"$out")"
        fi
    done
}

# The unit programs and afc itself (over every diagnostic case) built with
# AddressSanitizer and UndefinedBehaviorSanitizer: any report fails.
run_sanitizers() {
    section sanitizers
    local san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    if ! make -s B=build/san OPT=-O1 CFLAGS="$san" LDFLAGS="$san" all unit >"$SCRATCH/san-build.log" 2>&1; then
        not_ok "sanitizers/build" "$(tail -20 "$SCRATCH/san-build.log")"
        return 0
    fi
    local t out rc d
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
    for t in build/san/tests/test_*; do
        [ -x "$t" ] || continue
        out=$(cd "$SCRATCH" && timeout 900 "$ROOT/$t" 2>&1); rc=$?
        if [ $rc -eq 0 ] && ! grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" <<<"$out"; then
            ok "sanitizers/$(basename "$t")"
        else
            not_ok "sanitizers/$(basename "$t") (status $rc)" "$(grep -A12 "runtime error\|Sanitizer\|^not ok" <<<"$out" | head -40)"
        fi
    done
    for d in tests/diag/*/; do
        local cmd="validate flow.yaml"
        [ -f "$d/cmd" ] && cmd=$(cat "$d/cmd")
        out=$(cd "$d" && AFC_HOME="$ROOT/build/san" NO_COLOR=1 "$ROOT/build/san/bin/afc" $cmd 2>&1 >/dev/null)
        if grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" <<<"$out"; then
            not_ok "sanitizers/afc-$(basename "$d")" "$(head -40 <<<"$out")"
        else
            ok "sanitizers/afc-$(basename "$d")"
        fi
    done
}

run_fuzz() {
    section fuzz
    if [ -f tests/fuzz/run.sh ]; then
        tally < <(bash tests/fuzz/run.sh "${FUZZ_SECONDS:-20}" 2>&1)
    fi
}

sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(unit diag flows integration sanitizers fuzz)
for s in "${sections[@]}"; do "run_$s"; done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
