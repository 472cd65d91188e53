#!/usr/bin/env bash
# demo/uc1-local/run.sh [DIR] - builds the UC1 local bundle and runs it
# twice: once with a zip dropped into the inbox (published and mailed), once
# with nothing dropped (the "nothing arrived" mail). Everything goes below
# DIR (default /tmp/afc-demo/uc1-local); no server is needed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
export DEMO_DIR=${1:-/tmp/afc-demo/uc1-local}
mkdir -p "$DEMO_DIR"
DEMO_DIR=$(cd "$DEMO_DIR" && pwd)
export AETHERFLOW_CACHE_DIR=$DEMO_DIR/cache # the bundle's unpacked files

demo_say "uc1-local: build demo/uc1-local/manifest.yaml"
demo_build "$here/manifest.yaml" "$DEMO_DIR/bin"

demo_say "uc1-local: the partner drops a zip of 2 CSV files; it is cleaned, packed, uploaded and mailed"
UC1_FILES=2 demo_run "$DEMO_DIR/bin/uc1_local" "$RUN_TAG-files"

demo_say "uc1-local: the partner drops nothing; only the 'nothing arrived' mail goes out"
UC1_FILES=0 demo_run "$DEMO_DIR/bin/uc1_local" "$RUN_TAG-empty"

A=$DEMO_DIR/work/uc1_local
cat <<EOF

   state:      $DEMO_DIR/state/uc1_local.sqlite   ($DEMO_DIR/bin/uc1_local status RUN_ID)
   artifacts:  $A/<job>/<run id>/artifacts
               e.g. $A/publish/$RUN_TAG-files/artifacts/transformed/ (the cleaned CSVs)
   SFTP inbox: $DEMO_DIR/sftp/inbox (emptied by each pickup)
   SMB share:  $DEMO_DIR/smb/reports/uc1/outbox/payload_$RUN_TAG-files.zip
   mails:      $DEMO_DIR/mail/*.eml
EOF
