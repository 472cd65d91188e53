#!/usr/bin/env bash
# demo/uc2/run.sh [local|remote] [DIR] - builds the UC2 bundle and runs its
# two flows: uc2_seed_warehouse (loads the bundle's data files into the
# warehouse) and uc2_sales_report (two CSV extracts, the Excel template
# checked and filled, the workbook put on the share and mailed).
#
#   local   (default) manifest_local.yaml: SQLite, a directory for the
#           share, .eml files for mail; nothing else is needed.
#   remote  manifest_remote.yaml: starts PostgreSQL, Samba's smbd and an SMTP
#           server (STARTTLS + AUTH) on 127.0.0.1 with tests/servers/, runs
#           against them, stops them. Needs root and the packages of
#           tests/deps/db.txt, transfer.txt and mail.txt.
#
# Everything goes below DIR (default /tmp/afc-demo/uc2-local or uc2-remote).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
variant=${1:-local}
case "$variant" in
local | remote) ;;
*) echo "usage: $0 [local|remote] [DIR]" >&2; exit 2 ;;
esac
export DEMO_DIR=${2:-/tmp/afc-demo/uc2-$variant}
mkdir -p "$DEMO_DIR"
DEMO_DIR=$(cd "$DEMO_DIR" && pwd)
export AETHERFLOW_CACHE_DIR=$DEMO_DIR/cache # the bundle's unpacked files (data/)

if [ "$variant" = remote ]; then
    chmod 755 "$DEMO_DIR" # the servers' users reach their directories below it
    S=$DEMO_DIR/servers
    servers=$DEMO_ROOT/tests/servers
    stop_servers() {
        bash "$servers/smtpd.sh" stop "$S/smtpd" >/dev/null 2>&1 || true
        bash "$servers/smbd.sh" stop "$S/smbd" >/dev/null 2>&1 || true
        bash "$servers/postgres.sh" stop "$S/postgres" >/dev/null 2>&1 || true
    }
    trap stop_servers EXIT
    demo_say "uc2-remote: start PostgreSQL, smbd and an SMTP server on 127.0.0.1"
    mkdir -p "$S/postgres" "$S/smbd" "$S/smtpd"
    chmod 755 "$S"
    for s in postgres smbd smtpd; do
        bash "$servers/$s.sh" start "$S/$s" >/dev/null
        set -a
        . "$S/$s/$s.env"
        set +a
    done
    echo "   postgresql://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB  smb://127.0.0.1:$SMBD_PORT/$SMBD_SHARE" \
         " smtp://127.0.0.1:$SMTPD_AUTH_PORT (STARTTLS, AUTH)"
    # what profiles_remote.yaml and manifest_remote.yaml read; passwords
    # base64-encoded, decoded by AETHERFLOW_SECRETS_CMD
    b64() { printf '%s' "$1" | base64 -w0; }
    export PG_HOST=127.0.0.1 PG_PORT PG_DB PG_USER
    export PG_PASS=$(b64 "$PG_PASSWORD")
    pg_password=$PG_PASSWORD
    unset PG_PASSWORD PG_URL # the flows must not need them
    export SMB_HOST=127.0.0.1 SMB_PORT=$SMBD_PORT SMB_SHARE=$SMBD_SHARE SMB_USER=$SMBD_USER
    export SMB_PASS=$(b64 "$SMBD_PASS") SMB_DOMAIN=$SMBD_DOMAIN
    export SMTP_HOST=127.0.0.1 SMTP_PORT=$SMTPD_AUTH_PORT SMTP_USER=$SMTPD_USER
    export SMTP_PASS=$(b64 "$SMTPD_PASSWORD") SMTP_CA_FILE=$SMTPD_CA
    export AETHERFLOW_SECRETS_CMD="base64 -d"
fi

demo_say "uc2-$variant: build demo/uc2/manifest_$variant.yaml"
demo_build "$here/manifest_$variant.yaml" "$DEMO_DIR/bin"

demo_say "uc2-$variant: load the bundle's orders and costs into the warehouse"
demo_run "$DEMO_DIR/bin/uc2_seed_warehouse" "$RUN_TAG-seed"

demo_say "uc2-$variant: extract, check and fill the template, upload, mail"
demo_run "$DEMO_DIR/bin/uc2_sales_report" "$RUN_TAG-report"

if [ "$variant" = remote ]; then
    # what the seed flow left in PostgreSQL, asked with psql before the server stops
    counts=$(PGPASSWORD=$pg_password "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" \
        -d "$PG_DB" -AtF ' ' -c "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM costs)")
    set -- $counts
    echo "   PostgreSQL $PG_DB at 127.0.0.1:$PG_PORT holds orders: $1 rows, costs: $2 rows"
fi

A=$DEMO_DIR/work/uc2_sales_report/build_report/$RUN_TAG-report/artifacts
if [ "$variant" = local ]; then
    share=$DEMO_DIR/smb/reports
    mails=$DEMO_DIR/mail/*.eml
    db="$DEMO_DIR/warehouse.sqlite (SQLite)"
else
    share=$SMBD_SHARE_DIR
    mails="$SMTPD_MAILDIR/*.eml (as the SMTP server received them)"
    db="PostgreSQL, stopped (its files: $S/postgres/pg)"
fi
cat <<EOF

   state:      $DEMO_DIR/state/uc2_sales_report.sqlite   ($DEMO_DIR/bin/uc2_sales_report status RUN_ID)
   warehouse:  $db
   extracts:   $A/data/sales.csv, costs.csv
   template:   $A/templates/report_template.xlsx (drawn by plugins/make_template.c)
   report:     $A/out/sales_report_$RUN_TAG-report.xlsx
   SMB share:  $share/uc2/reports/sales_report_$RUN_TAG-report.xlsx
   mails:      $mails
EOF
