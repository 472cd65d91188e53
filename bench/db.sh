#!/usr/bin/env bash
# bench/db.sh - the db steps' figures (make bench; never pass/fail):
#   - 1,000,000 rows x 6 columns from SQLite to CSV: a flow executable's
#     db_extract_stream next to `sqlite3 -csv`, and next to the reference
#     implementation running the same YAML when it is available
#     (AETHERFLOW_REF_SRC: its packages/aetherflow-core/src);
#   - the same rows from PostgreSQL to CSV, with peak RSS;
#   - db_load of that CSV into PostgreSQL next to psql's \copy.
# Wall time and peak RSS come from GNU time, best of BENCH_RUNS (default 3).
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
AFC=${AFC:-$ROOT/build/bin/afc}
ROWS=${BENCH_DB_ROWS:-1000000}
RUNS=${BENCH_RUNS:-3}
REF=${AETHERFLOW_REF_SRC:-/work/ref/packages/aetherflow-core/src}
T=$(mktemp -d /tmp/afc-bench-db.XXXXXX)
chmod 755 "$T"
cleanup() {
    bash "$ROOT/tests/servers/postgres.sh" stop "$T/pg" >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT
export WORK=$T

# best "seconds KB" of $RUNS runs of a command (stdout to /dev/null)
measure() {
    local best="" line
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %M" -o "$T/time.out" "$@" >/dev/null 2>"$T/cmd.err" ||
            { echo "failed: $*" >&2; cat "$T/cmd.err" >&2; return 1; }
        line=$(tail -1 "$T/time.out")
        if [ -z "$best" ] || awk -v a="${line% *}" -v b="${best% *}" 'BEGIN{exit !(a<b)}'; then
            best=$line
        fi
    done
    echo "$best"
}
fmt() { # "seconds KB" -> "1.23 s, peak RSS 4.5 MB"
    awk '{printf "%.2f s, peak RSS %.1f MB", $1, $2 / 1024}' <<<"$1"
}
ratio() { awk -v a="${1% *}" -v b="${2% *}" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "-- data: $ROWS rows x 6 columns (id, name, amount, qty, note, created)"
sqlite3 "$T/data.db" <<SQL
CREATE TABLE t (id INTEGER, name TEXT, amount REAL, qty INTEGER, note TEXT, created TEXT);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $ROWS)
INSERT INTO t SELECT i, 'name ' || i, i * 1.25 + 0.01, i % 1000,
  CASE WHEN i % 10 = 0 THEN 'has, comma "and" quotes' WHEN i % 7 = 0 THEN NULL ELSE 'plain note' END,
  date('2024-01-01', '+' || (i % 365) || ' days') FROM s;
SQL
echo "sqlite file: $(du -m "$T/data.db" | cut -f1) MB"

cat >"$T/sqlite.yaml" <<'YAML'
version: 1
flow:
  id: bench_sqlite
  workspace: {root: "{{env.WORK}}/work", cleanup_policy: never}
  state: {backend: sqlite, path: "{{env.WORK}}/state-sqlite.db"}
resources:
  db:
    kind: db
    driver: sqlite3
    config: {path: "{{env.WORK}}/data.db"}
jobs:
  - id: export
    steps:
      - id: csv
        type: db_extract_stream
        inputs:
          resource: db
          sql: "SELECT * FROM t"
          output: "{{env.WORK}}/work/out/sqlite.csv"
          format: csv
          include_header: true
YAML
"$AFC" build "$T/sqlite.yaml" -o "$T/bench_sqlite" --cc gcc >/dev/null 2>&1 ||
    "$AFC" build "$T/sqlite.yaml" -o "$T/bench_sqlite" >/dev/null

echo "-- SQLite -> CSV"
cli=$(measure sqlite3 -csv -header "$T/data.db" "SELECT * FROM t")
echo "sqlite3 -csv:                  $(fmt "$cli")"
afc=$(measure "$T/bench_sqlite")
echo "afc db_extract_stream:         $(fmt "$afc")  ($(ratio "$afc" "$cli")x sqlite3 -csv)"
echo "csv size: $(du -m "$T/work/out/sqlite.csv" | cut -f1) MB"
if [ -d "$REF/aetherflow/core" ] && PYTHONPATH="$REF" python3 -c 'import aetherflow.core' 2>/dev/null; then
    ref=$(RUNS=1 PYTHONPATH="$REF" measure python3 -c 'import sys; from aetherflow.core.cli import main; sys.exit(main(sys.argv[1:]))' run --flow-yaml "$T/sqlite.yaml")
    echo "reference (python):            $(fmt "$ref")  (afc is $(ratio "$ref" "$afc")x faster)"
else
    echo "reference: not available (set AETHERFLOW_REF_SRC to its packages/aetherflow-core/src)"
fi

echo "-- PostgreSQL"
mkdir -p "$T/pg"
if ! bash "$ROOT/tests/servers/postgres.sh" start "$T/pg" >"$T/pg.log" 2>&1; then
    echo "PostgreSQL could not start (see tests/servers/postgres.sh); skipping"
    cat "$T/pg.log"
    exit 0
fi
set -a
. "$T/pg/postgres.env"
set +a
export PGPASSWORD=$PG_PASSWORD
PSQL=(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -v ON_ERROR_STOP=1 -q)
ddl="CREATE TABLE %s (id bigint, name text, amount double precision, qty bigint, note text, created date)"
"${PSQL[@]}" -c "$(printf "$ddl" t)"
"${PSQL[@]}" -c "\\copy t FROM '$T/work/out/sqlite.csv' WITH (FORMAT csv, HEADER true)"
"${PSQL[@]}" -c "VACUUM ANALYZE t"

cat >"$T/pg.yaml" <<'YAML'
version: 1
flow:
  id: bench_pg
  workspace: {root: "{{env.WORK}}/work", cleanup_policy: never}
  state: {backend: sqlite, path: "{{env.WORK}}/state-pg.db"}
resources:
  pg:
    kind: db
    driver: postgres
    config: {url: "{{env.PG_URL}}"}
jobs:
  - id: export
    steps:
      - id: csv
        type: db_extract_stream
        inputs:
          resource: pg
          sql: "SELECT * FROM t"
          output: "{{env.WORK}}/work/out/pg.csv"
          format: csv
YAML
cat >"$T/load.yaml" <<'YAML'
version: 1
flow:
  id: bench_load
  workspace: {root: "{{env.WORK}}/work", cleanup_policy: never}
  state: {backend: sqlite, path: "{{env.WORK}}/state-load.db"}
resources:
  pg:
    kind: db
    driver: postgres
    config: {url: "{{env.PG_URL}}"}
jobs:
  - id: load
    steps:
      - id: copy
        type: db_load
        inputs:
          resource: pg
          input: "{{env.WORK}}/work/out/sqlite.csv"
          table: t_load
          mode: truncate
YAML
for f in pg load; do
    "$AFC" build "$T/$f.yaml" -o "$T/bench_$f" --cc gcc >/dev/null 2>&1 ||
        "$AFC" build "$T/$f.yaml" -o "$T/bench_$f" >/dev/null
done
echo "PostgreSQL -> CSV"
cli=$(measure "${PSQL[@]}" -c "\\copy t TO STDOUT WITH (FORMAT csv, HEADER true)")
echo "psql \\copy TO (csv):           $(fmt "$cli")"
afc=$(measure "$T/bench_pg")
echo "afc db_extract_stream:         $(fmt "$afc")  ($(ratio "$afc" "$cli")x psql)"
echo "CSV -> PostgreSQL"
"${PSQL[@]}" -c "$(printf "$ddl" t_copy)" -c "$(printf "$ddl" t_load)"
cli=$(measure "${PSQL[@]}" -c "TRUNCATE t_copy" -c "\\copy t_copy FROM '$T/work/out/sqlite.csv' WITH (FORMAT csv, HEADER true)")
echo "psql \\copy FROM (csv):         $(fmt "$cli")"
afc=$(measure "$T/bench_load")
echo "afc db_load (COPY FROM STDIN): $(fmt "$afc")  ($(ratio "$afc" "$cli")x psql)"
echo "rows loaded: $("${PSQL[@]}" -Atc "SELECT count(*) FROM t_load")"
