build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1
# ordering a string against a number is an error, as in Python: the run fails
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='r1' order by rowid" \
"probe|SUCCESS
numeric|SUCCESS
chained|SKIPPED
status|SUCCESS
typeerror|FAILED"
expect_err_has "'>' not supported between instances of 'str' and 'int'"
