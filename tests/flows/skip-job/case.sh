build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"after|BLOCKED
pipeline|SKIPPED"
expect_rows "select step_id, status from step_runs where run_id='r1' order by step_id" \
"gate|SKIPPED
work|SKIPPED"
expect_no_file work/skipjob/pipeline/r1/artifacts/ran
# the skipped step's outputs carry the reason, as the reference's
expect_rows "select outputs_json from af_step_outputs where run_id='r1' and step_id='work'" \
'{"skipped":true,"reason":"count(0) < min_count(1)"}'
