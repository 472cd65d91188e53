build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
A=work/dbsqlite/extract/r1/artifacts
expect_file $A/out/sales.tsv "$(printf 'id\tname\tamount\n1\talice\t12.0\n2\tb"ob, jr\t100.25\n3\t\t')"
expect_file $A/out/sales.jsonl "$(printf '{"id": 2, "name": "b\\"ob, jr", "amount": 100.25}\n{"id": 3, "name": null, "amount": null}')"
cmp -s $A/out/sales.csv <(printf '"id","name","amount"\r\n"1","alice","12.0"\r\n"2","b""ob, jr","100.25"\r\n"3","",""\r\n') || fail "csv differs: $(od -c $A/out/sales.csv | head)"
# the sha256 output is the file's
sum=$(sha256sum $A/out/sales.csv | cut -d' ' -f1)
expect_rows "select json_extract(outputs_json, '$.sha256') from af_step_outputs where step_id='stream'" "$sum"
expect_rows "select json_extract(outputs_json, '$.rows_json') from af_step_outputs where step_id='small'" '[[1, "alice"], [2, "b\"ob, jr"], [3, null]]'
expect_rows "select job_id, status from job_runs order by job_id" \
"extract|SUCCESS
prepare|SUCCESS
too_many|FAILED
verify|SUCCESS"
expect_rows "select json_extract(outputs_json, '$.rowcounts') from af_step_outputs where step_id='schema'" "[-1,-1,3,0]"
sqlite3 data.sqlite "select count(*), sum(amount) from sales_copy" | grep -qx "3|112.25" || fail "sales_copy not loaded"
expect_err_has "db_fetch_small exceeded max_rows=2. Use db_extract_stream for large results."
