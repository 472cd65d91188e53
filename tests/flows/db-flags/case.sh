# db steps in a compiled flow: string booleans follow the documented rule.
export MAYBE=maybe
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
sqlite3 data.sqlite "select id, name from t order by id" | tr '\n' ' ' | grep -qx "1|a 2| 3|c " || fail "t: $(sqlite3 data.sqlite 'select * from t')"
expect_file work/dbflags/extract/r1/artifacts/out/t.csv "$(printf '1,a\n2,\n3,c')"
# empty_as_null "off": the empty name loads as '' (not NULL)
[ "$(sqlite3 data.sqlite "select id, quote(name) from t_copy order by id" | tr '\n' ' ')" = "1|'a' 2|'' 3|'c' " ] || fail "t_copy: $(sqlite3 data.sqlite 'select id, quote(name) from t_copy')"
expect_rows "select json_extract(outputs_json, '$.dtypes_json') from af_step_outputs where step_id='noheader'" ""
expect_err_line "$CASE_DIR/flow.yaml:25:13: step 'x' (db_exec): error: sqlite3: UNIQUE constraint failed: t.id (statement 2 of 2)"
expect_err_line "$CASE_DIR/flow.yaml:31:13: step 'x' (db_exec): error: sqlite3: UNIQUE constraint failed: t.id (statement 2 of 2)"
expect_err_line "$CASE_DIR/flow.yaml:44:13: step 'x' (db_extract_stream): error: input 'emit_dtypes' must be a boolean, not string 'maybe'"
expect_err_line "$CASE_DIR/flow.yaml:49:13: step 'x' (db_load): error: input 'strict' must be a boolean (true or false)"
expect_rows "select job_id, status from job_runs order by job_id" \
"atomic|FAILED
autocommit|FAILED
bad_file_option|FAILED
bad_word|FAILED
extract|SUCCESS
prepare|SUCCESS"
