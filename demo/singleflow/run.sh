#!/usr/bin/env bash
# demo/singleflow/run.sh [DIR] - builds the single-flow bundle and runs it
# twice: with items (the probe finds some, the work job runs) and without
# (the work job is SKIPPED by its `when`). Everything goes below DIR
# (default /tmp/afc-demo/singleflow). DB_URL picks the database (default:
# an in-memory SQLite database).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
export DEMO_DIR=${1:-/tmp/afc-demo/singleflow}
mkdir -p "$DEMO_DIR"
DEMO_DIR=$(cd "$DEMO_DIR" && pwd)
export AETHERFLOW_CACHE_DIR=$DEMO_DIR/cache
export AETHERFLOW_WORK_ROOT=$DEMO_DIR/work AETHERFLOW_STATE_PATH=$DEMO_DIR/state/demo_flow.sqlite

demo_say "singleflow: build demo/singleflow/manifest.yaml"
demo_build "$here/manifest.yaml" "$DEMO_DIR/bin"

demo_say "singleflow: the probe finds 3 items; the gated work job runs"
DEMO_ITEMS=alpha,beta,gamma demo_run "$DEMO_DIR/bin/demo_flow" "$RUN_TAG-items"

demo_say "singleflow: the probe finds nothing (DEMO_ITEMS=,); the work job is SKIPPED"
DEMO_ITEMS=, demo_run "$DEMO_DIR/bin/demo_flow" "$RUN_TAG-none"

cat <<EOF

   state:      $AETHERFLOW_STATE_PATH   ($DEMO_DIR/bin/demo_flow status RUN_ID)
   artifacts:  $AETHERFLOW_WORK_ROOT/demo_flow/work/$RUN_TAG-items/artifacts/ (data.tsv, report.tsv)
EOF
