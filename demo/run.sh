#!/usr/bin/env bash
# demo/run.sh - make demo: compiles the demo flows with afc and runs them on
# the embedded defaults (SQLite state, local files), then says where the
# state and the artifacts are.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
export AFC_HOME="$ROOT/build"
AFC="$ROOT/build/bin/afc"
OUT=${DEMO_OUT:-/tmp/afc-demo}
mkdir -p "$OUT/bin"
export AETHERFLOW_WORK_ROOT="$OUT/work" AETHERFLOW_STATE_PATH="$OUT/state/demo.sqlite"

echo "== singleflow: probe job, gated work job"
"$AFC" build demo/singleflow/flows/demo_flow.yaml -o "$OUT/bin/demo_flow"
"$OUT/bin/demo_flow" --run-id demo-with-data
DEMO_ITEMS= "$OUT/bin/demo_flow" --run-id demo-no-data
"$OUT/bin/demo_flow" status

echo
echo "Executables: $OUT/bin/"
echo "State:       $AETHERFLOW_STATE_PATH   (sqlite3 it, or run: $OUT/bin/demo_flow status RUN_ID)"
echo "Artifacts:   $AETHERFLOW_WORK_ROOT/demo_flow/<job>/<run_id>/artifacts"
echo "             e.g. $(ls "$AETHERFLOW_WORK_ROOT"/demo_flow/work/demo-with-data/artifacts/report.tsv)"
