build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1
expect_rc 1
# the run stops at the first failed job, as the reference's does
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" "a|FAILED"
expect_rows "select status from af_runs where run_id='r1'" "FAILED"
