#!/bin/bash
# tests/integration/demos.sh - builds and runs every demo bundle (demo/) with
# its own script, the remote ones against real servers on loopback, and
# checks what they produced: the state rows (jobs and their gating), the
# files on the share (the cleaned CSVs compared with an independent
# transformation of the partner's files), the messages written or received
# by the SMTP server with their attachments, the Excel report read back with
# openpyxl against figures computed from the bundle's data files, and that
# no password reached a log or a state store. Also: a demo writes nothing
# into the repository or outside the directory it is given.
#
# Run from the repository root with build/ built. The remote demos need
# root (the servers' users) and the packages of tests/deps/demos.txt.
set -u
cd "$(dirname "$0")/../.."
area=demos
tmp=$(mktemp -d)
chmod 755 "$tmp" # the servers' users reach their directories below it
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
check="$py tests/integration/demos_check.py"
export RUN_TAG=t # the demo scripts' run ids: t-files, t-empty, t-report, ...
export AFC=$PWD/build/bin/afc AFC_HOME=$PWD/build
ok() { echo "ok - $area/$1"; }
notok() {
    echo "not ok - $area/$1"
    shift
    for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}
skip() { echo "ok - $area/$1 # SKIP $2"; }

if [ ! -x "$AFC" ]; then
    notok build "$AFC is missing (make)"
    exit 1
fi
if ! $py -c 'import openpyxl' 2>/dev/null; then
    notok openpyxl "python3-openpyxl is not installed for $py (tests/deps/demos.txt)"
    exit 1
fi

# runs a demo script: DIR NAME SCRIPT ARGS...; ok when it exits 0
run_demo() {
    local name=$1
    shift
    if "$@" >"$tmp/$name.out" 2>&1; then
        ok "$name/run"
        return 0
    fi
    notok "$name/run" "$* failed:" "$(tail -30 "$tmp/$name.out")"
    return 1
}

# job statuses of a run: NAME DB RUN_ID EXPECTED ("job|STATUS" lines, any order)
rows() {
    local name=$1 db=$2 run=$3 want=$4 got
    got=$(sqlite3 -separator '|' "$db" "select job_id, status from job_runs where run_id='$run'" 2>&1)
    if [ "$(sort <<<"$got")" = "$(sort <<<"$want")" ]; then
        ok "$name"
    else
        notok "$name" "state rows of $run:" "$got" "want:" "$want"
    fi
}

# no password in the logs, the state stores or the workspace: NAME DIR PASSWORDS...
no_secrets() {
    local name=$1 dir=$2 p hits=""
    shift 2
    for p in "$@"; do
        if grep -rlF -- "$p" "$dir/logs" "$dir/work" >/dev/null 2>&1; then hits="$hits log/work"; fi
        for db in "$dir"/state/*.sqlite; do
            if sqlite3 "$db" .dump | grep -qF -- "$p"; then hits="$hits $(basename "$db")"; fi
        done
    done
    if [ -z "$hits" ]; then ok "$name"; else notok "$name" "a password is in:$hits"; fi
}

touch "$tmp/stamp"
sleep 1 # find -newer compares whole seconds on some file systems

# ---- singleflow ----------------------------------------------------------------------
D=$tmp/singleflow
if run_demo singleflow bash demo/singleflow/run.sh "$D"; then
    rows singleflow/gating-items "$D/state/demo_flow.sqlite" t-items "probe|SUCCESS
work|SUCCESS"
    rows singleflow/gating-none "$D/state/demo_flow.sqlite" t-none "probe|SUCCESS
work|SKIPPED"
    A=$D/work/demo_flow/work/t-items/artifacts
    if [ "$(cat "$A/data.tsv" 2>/dev/null)" = "COL
1" ] && [ "$(cat "$A/report.tsv" 2>/dev/null)" = "items	3
run	t-items" ]; then
        ok singleflow/artifacts
    else
        notok singleflow/artifacts "data.tsv: $(cat "$A/data.tsv" 2>&1)" "report.tsv: $(cat "$A/report.tsv" 2>&1)"
    fi
    [ ! -e "$D/work/demo_flow/work/t-none" ] && ok singleflow/skipped-job-did-nothing ||
        notok singleflow/skipped-job-did-nothing "the skipped job has a workspace"
fi

# ---- uc1-local ---------------------------------------------------------------------
D=$tmp/uc1-local
if run_demo uc1-local bash demo/uc1-local/run.sh "$D"; then
    db=$D/state/uc1_local.sqlite
    rows uc1-local/files-arrived "$db" t-files "partner_drop|SUCCESS
ingest|SUCCESS
publish|SUCCESS
nothing_arrived|SKIPPED"
    rows uc1-local/nothing-arrived "$db" t-empty "partner_drop|SUCCESS
ingest|SKIPPED
publish|SKIPPED
nothing_arrived|SUCCESS"
    payload=$D/smb/reports/uc1/outbox/payload_t-files.zip
    $check uc1 uc1-local/transformed-csv \
        "$D/work/uc1_local/partner_drop/t-files/artifacts/orders_t-files.zip" "$payload" t-files
    $check uc1-mail uc1-local/mails "$D/mail" t "$payload" 50
    left=$(ls -A "$D/sftp/inbox" 2>&1)
    [ -z "$left" ] && ok uc1-local/inbox-emptied || notok uc1-local/inbox-emptied "left: $left"
fi

# ---- uc2, local ------------------------------------------------------------------------
D=$tmp/uc2-local
if run_demo uc2-local bash demo/uc2/run.sh local "$D"; then
    rows uc2-local/seed "$D/state/uc2_seed_warehouse.sqlite" t-seed "load|SUCCESS"
    rows uc2-local/report-job "$D/state/uc2_sales_report.sqlite" t-report "build_report|SUCCESS"
    got=$(sqlite3 "$D/warehouse.sqlite" "select count(*) from orders; select count(*) from costs" 2>&1)
    [ "$got" = "240
18" ] && ok uc2-local/warehouse-loaded || notok uc2-local/warehouse-loaded "$got"
    xlsx=$D/smb/reports/uc2/reports/sales_report_t-report.xlsx
    $check uc2 uc2-local/workbook "$xlsx" demo/uc2/data
    $check uc2-mail uc2-local/mail "$D/mail" t "$xlsx"
    got=$(sqlite3 "$D/state/uc2_sales_report.sqlite" \
        "select outputs_json from af_step_outputs where run_id='t-report' and step_id='validate_template'")
    want='{"template_ok":true,"found_named_ranges":["COSTS_TOTAL","MARGIN","SALES_TOTAL"],"found_anchor_cells":["COSTS_ANCHOR","SALES_ANCHOR"]}'
    [ "$got" = "$want" ] && ok uc2-local/template-validated || notok uc2-local/template-validated "$got"
fi

# ---- nothing written outside the given directories -------------------------------------
new=$(find demo -newer "$tmp/stamp" 2>/dev/null; find "${HOME:-/root}/.cache/afc" -maxdepth 1 -newer "$tmp/stamp" 2>/dev/null)
[ -z "$new" ] && ok local-demos-stay-in-their-dirs || notok local-demos-stay-in-their-dirs "written:" "$new"

# ---- the remote demos: real servers ----------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    skip uc1-remote "needs root (the servers' users)"
    skip uc2-remote "needs root (the servers' users)"
    exit 0
fi
missing=""
for c in /usr/sbin/sshd smbd smbclient; do command -v "$c" >/dev/null || missing="$missing $c"; done
$py -c 'import aiosmtpd' 2>/dev/null || missing="$missing python3-aiosmtpd"
ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
if [ -n "$missing" ]; then
    # only when the Debian packages cannot be installed here (tests/deps/demos.txt)
    skip uc1-remote "not installed:$missing"
    skip uc2-remote "not installed:$missing"
    exit 0
fi

D=$tmp/uc1-remote
if run_demo uc1-remote bash demo/uc1-remote/run.sh "$D"; then
    (
        set -a
        . "$D/servers/sshd/sshd.env"; . "$D/servers/smbd/smbd.env"; . "$D/servers/smtpd/smtpd.env"
        set +a
        db=$D/state/uc1_remote.sqlite
        rows uc1-remote/files-arrived "$db" t-files "ingest|SUCCESS
publish|SUCCESS
nothing_arrived|SKIPPED"
        rows uc1-remote/nothing-arrived "$db" t-empty "ingest|SKIPPED
publish|SKIPPED
nothing_arrived|SUCCESS"
        payload=$SMBD_SHARE_DIR/uc1/outbox/payload_t-files.zip
        $check uc1 uc1-remote/transformed-csv \
            "$D/work/uc1_partner_drop/drop/t-drop/artifacts/orders_t-drop.zip" "$payload" t-files
        $check uc1-mail uc1-remote/mails-received "$SMTPD_MAILDIR" t "$payload" 50 "$SMTPD_USER"
        left=$(ls -A "$SSHD_PW_HOME/inbox" 2>&1)
        [ -z "$left" ] && ok uc1-remote/inbox-emptied || notok uc1-remote/inbox-emptied "left: $left"
        tmps=$(find "$SMBD_SHARE_DIR/uc1" -name '*afctmp*')
        [ -z "$tmps" ] && ok uc1-remote/no-temp-names-on-share || notok uc1-remote/no-temp-names-on-share "$tmps"
        no_secrets uc1-remote/no-passwords "$D" "$SSHD_PW_PASS" "$SMBD_PASS" "$SMTPD_PASSWORD"
    )
fi

D=$tmp/uc2-remote
if run_demo uc2-remote bash demo/uc2/run.sh remote "$D"; then
    (
        set -a
        . "$D/servers/postgres/postgres.env"; . "$D/servers/smbd/smbd.env"; . "$D/servers/smtpd/smtpd.env"
        set +a
        rows uc2-remote/seed "$D/state/uc2_seed_warehouse.sqlite" t-seed "load|SUCCESS"
        rows uc2-remote/report-job "$D/state/uc2_sales_report.sqlite" t-report "build_report|SUCCESS"
        grep -q "PostgreSQL $PG_DB at 127.0.0.1:$PG_PORT holds orders: 240 rows, costs: 18 rows" \
            "$tmp/uc2-remote.out" && ok uc2-remote/loaded-into-postgres ||
            notok uc2-remote/loaded-into-postgres "$(grep PostgreSQL "$tmp/uc2-remote.out")"
        [ ! -e "$D/warehouse.sqlite" ] && ok uc2-remote/no-sqlite-warehouse ||
            notok uc2-remote/no-sqlite-warehouse "the remote variant wrote an SQLite warehouse"
        xlsx=$SMBD_SHARE_DIR/uc2/reports/sales_report_t-report.xlsx
        $check uc2 uc2-remote/workbook "$xlsx" demo/uc2/data
        $check uc2-mail uc2-remote/mail-received "$SMTPD_MAILDIR" t "$xlsx" "$SMTPD_USER"
        no_secrets uc2-remote/no-passwords "$D" "$PG_PASSWORD" "$SMBD_PASS" "$SMTPD_PASSWORD"
    )
fi

for s in sshd smbd smtpd postgres; do
    for d in "$tmp"/uc*-remote/servers/$s; do
        [ -f "$d/$s.pid" ] && notok servers-stopped "$d/$s.pid is left: a server was not stopped"
    done
done
new=$(find demo -newer "$tmp/stamp" 2>/dev/null)
[ -z "$new" ] && ok remote-demos-stay-in-their-dirs || notok remote-demos-stay-in-their-dirs "written:" "$new"
exit 0
