build "$CASE_DIR/flow.yaml"
# items present: both jobs run
ITEMS=a,b,c run ./flow --run-id with-data
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='with-data' order by job_id" \
"extract_only|SUCCESS
probe|SUCCESS"
expect_file work/gating/extract_only/with-data/artifacts/data.tsv 3
# no items: the probe step is SKIPPED (the job still succeeds), the gate is false
run ./flow --run-id no-data
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='no-data' order by job_id" \
"extract_only|SKIPPED
probe|SUCCESS"
expect_rows "select step_id, status from step_runs where run_id='no-data'" "check|SKIPPED"
expect_no_file work/gating/extract_only/no-data
expect_err_has "job_skipped"
