# depends_on: only dependencies that ended SUCCESS let a job run; SKIPPED
# (by `when` or by on_no_data: skip_job) and BLOCKED dependencies block it,
# and BLOCKED takes precedence over `when`. A failed job stops the run: no
# later job gets a row.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"blocked_and_when|BLOCKED
failing|FAILED
nodata_noskip|SUCCESS
ok|SUCCESS
on_blocked|BLOCKED
on_mixed|BLOCKED
on_ok|SUCCESS
on_skipd|BLOCKED
on_skipw|BLOCKED
on_two|SUCCESS
skipd|SKIPPED
skipw|SKIPPED
when_on_skipd_outputs|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"nodata_noskip|s|SKIPPED
nodata_noskip|t|SUCCESS
ok|s|SUCCESS
on_ok|s|SUCCESS
on_two|s|SUCCESS
skipd|s|SKIPPED
skipd|t|SKIPPED
when_on_skipd_outputs|s|SUCCESS"
# the same flow with `failing` succeeding runs to the end
FAIL_CODE=0 run ./flow --run-id r2
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r2' order by job_id" \
"after_fail|SUCCESS
blocked_and_when|BLOCKED
failing|SUCCESS
nodata_noskip|SUCCESS
ok|SUCCESS
on_blocked|BLOCKED
on_failing|SUCCESS
on_mixed|BLOCKED
on_ok|SUCCESS
on_skipd|BLOCKED
on_skipw|BLOCKED
on_two|SUCCESS
skipd|SKIPPED
skipw|SKIPPED
when_on_skipd_outputs|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r2' order by job_id, step_id" \
"after_fail|s|SUCCESS
failing|s|SUCCESS
nodata_noskip|s|SKIPPED
nodata_noskip|t|SUCCESS
ok|s|SUCCESS
on_failing|s|SUCCESS
on_ok|s|SUCCESS
on_two|s|SUCCESS
skipd|s|SKIPPED
skipd|t|SKIPPED
when_on_skipd_outputs|s|SUCCESS"
