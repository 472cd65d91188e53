# tests/lib.sh - helpers for flow cases (tests/flows/NAME/case.sh).
#
# A case runs in a fresh directory $WORK with $CASE_DIR pointing at its
# folder. Flows in cases keep their workspace and state under $WORK through
# env templates ({{env.WORK}}), so nothing leaks between cases.
#
#   build FLOW [OUT] [afc args...]   compile (fails the case on error)
#   run EXE [args...]                run; sets RC, writes $WORK/out and $WORK/err
#   expect_rc N                      the last run's exit status
#   expect_err_has TEXT              stderr of the last run contains TEXT
#   expect_out_has TEXT              stdout of the last run contains TEXT
#   expect_err_line LINE             stderr of the last run has exactly this line
#   expect_err_lacks TEXT            stderr of the last run does not contain TEXT
#   expect_rows SQL EXPECTED         sqlite3 rows of the state db ($WORK/state.db)
#   expect_file PATH [CONTENT]       file exists (and has exactly CONTENT)
#   expect_no_file PATH
#   fail MESSAGE
#   gone PID...                      wait up to 5 s until none of the processes
#                                    runs (a zombie counts as gone); fails if one does
set -eu
export WORK
export AETHERFLOW_WORK_ROOT="$WORK/work"
STATE_DB="$WORK/state.db"

fail() { echo "FAIL: $*" >&2; exit 1; }

build() {
    local flow=$1 out=${2:-$WORK/flow}
    shift; [ $# -gt 0 ] && shift
    "$AFC" build "$flow" -o "$out" "$@" 2>"$WORK/build.err" || { cat "$WORK/build.err" >&2; fail "afc build $flow"; }
}

run() {
    set +e
    "$@" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    set -e
    return 0
}

expect_rc() {
    [ "$RC" = "$1" ] || { echo "--- stderr:" >&2; tail -30 "$WORK/err" >&2; fail "exit status $RC, want $1"; }
}

expect_err_has() { grep -qF -- "$1" "$WORK/err" || { tail -30 "$WORK/err" >&2; fail "stderr lacks: $1"; }; }
expect_out_has() { grep -qF -- "$1" "$WORK/out" || { cat "$WORK/out" >&2; fail "stdout lacks: $1"; }; }
expect_err_line() { grep -qxF -- "$1" "$WORK/err" || { grep "error" "$WORK/err" | tail -20 >&2; fail "stderr lacks the line: $1"; }; }
expect_err_lacks() { ! grep -qF -- "$1" "$WORK/err" || fail "stderr has: $1"; }

expect_rows() {
    local got
    got=$(sqlite3 -separator '|' "$STATE_DB" "$1") || fail "query failed: $1"
    [ "$got" = "$2" ] || fail "state rows for: $1
--- got:
$got
--- want:
$2"
}

expect_file() {
    [ -f "$1" ] || fail "missing file $1"
    if [ $# -gt 1 ]; then
        [ "$(cat "$1")" = "$2" ] || fail "file $1 has: $(head -c 400 "$1"), want: $2"
    fi
}

expect_no_file() { [ ! -e "$1" ] || fail "unexpected file $1"; }

alive() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case "$st" in Z*) return 1 ;; esac
}

gone() {
    local i p left
    for i in $(seq 1 100); do
        left=
        for p in "$@"; do alive "$p" && left="$left $p"; done
        [ -z "$left" ] && return 0
        sleep 0.05
    done
    fail "still running:$left"
}
