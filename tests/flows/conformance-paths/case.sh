# Path sandboxing as the reference's _resolve_path does it: with
# AETHERFLOW_STRICT_SANDBOX on (the default) a path must lie under the work
# root or the job's artifacts; AETHERFLOW_MODE_ENTERPRISE (read from the
# environment when there is no bundle) confines it to the artifacts; off
# means anywhere.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/flow.yaml"
mkdir -p res
run ./flow --run-id r1
expect_rc 1
expect_err_has "Path not under allowed roots"
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"dotdot|SUCCESS
inroot|SUCCESS
outside|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"dotdot|s|SUCCESS
inroot|s|SUCCESS"
expect_file res/inroot.r1 $''"$WORK"$'/work'
expect_file res/dotdot.r1 $''"$WORK"$'/work/cpaths/dotdot/r1/scratch'
expect_no_file res/outside.r1
AETHERFLOW_MODE_ENTERPRISE=true run ./flow --run-id r2
expect_rc 1
expect_err_has "Path escapes job artifacts dir in enterprise mode"
expect_rows "select job_id, status from job_runs where run_id='r2' order by job_id" \
"inroot|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r2' order by job_id, step_id" \
""
expect_no_file res/inroot.r2
AETHERFLOW_MODE_ENTERPRISE=yes AETHERFLOW_STRICT_SANDBOX=false run ./flow --run-id r3
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r3' order by job_id" \
"dotdot|SUCCESS
inroot|SUCCESS
outside|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r3' order by job_id, step_id" \
"dotdot|s|SUCCESS
inroot|s|SUCCESS
outside|s|SUCCESS"
expect_file res/inroot.r3 $''"$WORK"$'/work'
expect_file res/dotdot.r3 $''"$WORK"$'/work/cpaths/dotdot/r3/scratch'
expect_file res/outside.r3 $''"$WORK"$'/res'
AETHERFLOW_STRICT_SANDBOX=0 run ./flow --run-id r4
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r4' order by job_id" \
"dotdot|SUCCESS
inroot|SUCCESS
outside|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r4' order by job_id, step_id" \
"dotdot|s|SUCCESS
inroot|s|SUCCESS
outside|s|SUCCESS"
expect_file res/outside.r4 $''"$WORK"$'/res'
# AETHERFLOW_MODE alone does not confine paths
AETHERFLOW_MODE=enterprise run ./flow --run-id r5
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='r5' order by job_id" \
"dotdot|SUCCESS
inroot|SUCCESS
outside|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r5' order by job_id, step_id" \
"dotdot|s|SUCCESS
inroot|s|SUCCESS"
expect_file res/inroot.r5 $''"$WORK"$'/work'
expect_no_file res/outside.r5
