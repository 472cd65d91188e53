build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"a|FAILED
b|BLOCKED
c|SUCCESS"
# the failure names the step, its type and its place in the YAML
expect_err_has "flow.yaml:9:13: step 'boom' (external.process): error: external.process failed with exit code 3"
