# demo/lib.sh - helpers the demo scripts source (bash): build a bundle with
# afc, run a flow executable with its log kept in a file, and show what the
# run did from the executable's own state store (FLOW status).
#
#   demo_build MANIFEST BINDIR        afc build; stops the script when it fails
#   demo_run EXE RUN_ID [WANT_RC]     runs EXE --run-id RUN_ID (WANT_RC default 0),
#                                     log in $DEMO_DIR/logs/, prints the status table
#   demo_say TEXT...                  a heading
#
# The caller exports DEMO_DIR (everything the demo writes goes below it)
# before calling these. AFC may name another afc; by default the one built
# in this tree (make), with its runtime found through AFC_HOME.

DEMO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AFC=${AFC:-$DEMO_ROOT/build/bin/afc}
export AFC_HOME=${AFC_HOME:-$DEMO_ROOT/build}
# run ids of this invocation: a new set each time, so reruns never resume
RUN_TAG=${RUN_TAG:-$(date -u +%Y%m%d-%H%M%S-%3N)}

demo_say() {
    printf '\n== %s\n' "$*"
}

demo_build() {
    local manifest=$1 bindir=$2 out
    if [ ! -x "$AFC" ]; then
        echo "demo: $AFC is missing; run make first" >&2
        exit 1
    fi
    if ! out=$("$AFC" build "$manifest" -o "$bindir" 2>&1); then
        printf '%s\n' "$out" >&2
        echo "demo: afc build $manifest failed" >&2
        exit 1
    fi
    printf '%s\n' "$out" | sed 's/^/   /'
}

demo_run() {
    local exe=$1 run_id=$2 want=${3:-0} log rc
    mkdir -p "$DEMO_DIR/logs"
    log=$DEMO_DIR/logs/$(basename "$exe")-$run_id.log
    set +e
    "$exe" --run-id "$run_id" >"$log" 2>&1
    rc=$?
    set -e
    echo "   $(basename "$exe") --run-id $run_id: exit $rc (log: $log)"
    "$exe" status "$run_id" 2>&1 | sed -n '/^JOB \/ STEP/,$p' | sed 's/^/     /'
    if [ "$rc" != "$want" ]; then
        echo "demo: $(basename "$exe") exited with $rc, expected $want; the end of its log:" >&2
        tail -20 "$log" >&2
        exit 1
    fi
}
