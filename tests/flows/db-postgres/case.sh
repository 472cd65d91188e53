ROOT_DIR=$(cd "$CASE_DIR/../../.." && pwd)
mkdir -p "$WORK/pg"
trap 'bash "$ROOT_DIR/tests/servers/postgres.sh" stop "$WORK/pg"' EXIT
bash "$ROOT_DIR/tests/servers/postgres.sh" start "$WORK/pg" >/dev/null
set -a; . "$WORK/pg/postgres.env"; set +a
export CLOSED_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
build "$CASE_DIR/flow.yaml"
start=$(date +%s)
run ./flow --run-id r1 --keep-going
expect_rc 1
[ $(( $(date +%s) - start )) -lt 30 ] || fail "connection failures did not end within their timeouts"
f=work/dbpg/stream/r1/artifacts/big.csv
[ "$(wc -l < $f)" = 100001 ] || fail "big.csv has $(wc -l < $f) lines"
head -2 $f | tail -1 | grep -qx '1,name 1,0.5,True' || fail "first row: $(head -2 $f | tail -1)"
expect_rows "select job_id, status from job_runs order by job_id" \
"badpw|FAILED
load|FAILED
noserver|FAILED
stream|SUCCESS"
# the failed COPY rolled back: the truncate did not happen
[ "$(PGPASSWORD=$PG_PASSWORD $PG_BIN/psql -h 127.0.0.1 -p $PG_PORT -U $PG_USER -d $PG_DB -Atc 'select id, label from t')" = "1|old" ] || fail "load was not rolled back"
expect_err_has "password authentication failed"
expect_err_has "Connection refused"
grep -qF "$PG_PASSWORD" err && fail "password in the log"
sqlite3 state.db .dump | grep -qF "$PG_PASSWORD" && fail "password in the state store"
true
