build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1
expect_rc 1
expect_rows "select step_id, status from step_runs where run_id='r1'" "first|SUCCESS"
expect_rows "select step_id, status from af_step_attempts where run_id='r1' order by step_id" \
"first|SUCCESS
second|FAILED"
# the failed job keeps its workspace (cleanup on_success) for the resume
[ -d work/resume/j/r1/artifacts ] || fail "job dir removed after failure"
touch fixed
run ./flow --run-id r1
expect_rc 0
expect_file first.count run
expect_file second.out "from-first from-first"
expect_file later.out from-first
expect_err_has "step_resumed"
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"j|SUCCESS
later|SUCCESS"
# on_success cleanup removed the job directories
expect_no_file work/resume/j/r1
