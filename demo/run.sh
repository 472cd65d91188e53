#!/usr/bin/env bash
# demo/run.sh [DIR] - what `make demo` runs once afc is built: compiles the
# demos that need no server (singleflow, uc1-local, uc2 local) with afc and
# runs them on their embedded defaults (SQLite state, local directories
# standing in for the SFTP server, the share and the mail server), then
# says where the state, the artifacts, the mails and the Excel report are.
#
# Everything is written below DIR (default $DEMO_OUT, else /tmp/afc-demo),
# one directory per demo. The remote variants need servers and root:
#   bash demo/uc1-remote/run.sh [DIR]      bash demo/uc2/run.sh remote [DIR]
set -euo pipefail
cd "$(dirname "$0")"
OUT=${1:-${DEMO_OUT:-/tmp/afc-demo}}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
. ./lib.sh
export RUN_TAG # one set of run ids for every demo of this invocation

echo "make demo: afc $("$AFC" --version 2>/dev/null | head -1 | sed 's/^afc //'), writing below $OUT"

bash singleflow/run.sh "$OUT/singleflow"
bash uc1-local/run.sh "$OUT/uc1-local"
bash uc2/run.sh local "$OUT/uc2-local"

report=$OUT/uc2-local/smb/reports/uc2/reports/sales_report_$RUN_TAG-report.xlsx
cat <<EOF

== make demo: done. Everything is below $OUT:
   executables   $OUT/*/bin/           (self-contained: copy one anywhere and run it)
   state stores  $OUT/*/state/*.sqlite (or: EXECUTABLE status [RUN_ID])
   artifacts     $OUT/*/work/<flow>/<job>/<run id>/artifacts/
   logs          $OUT/*/logs/
   mails (.eml)  $(ls "$OUT"/uc1-local/mail/*.eml "$OUT"/uc2-local/mail/*.eml 2>/dev/null | grep -c .) files in $OUT/uc1-local/mail/ and $OUT/uc2-local/mail/
   SMB share     $OUT/uc1-local/smb/reports/uc1/outbox/payload_$RUN_TAG-files.zip
                 (uc1: the partner's CSV files cleaned by the C plugin, zipped)
   Excel report  $report
                 (uc2: on the share too; sheets Report, DATA_sales, DATA_costs; the template
                 it was filled from: $OUT/uc2-local/work/uc2_sales_report/build_report/$RUN_TAG-report/artifacts/templates/)
EOF
