# --job JOB runs that job only; the others are left alone (no rows).
# A job with depends_on whose dependencies have no result in the run is
# BLOCKED.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/flow.yaml"
mkdir -p res
run ./flow --run-id r1 --job a
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"a|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"a|s|SUCCESS"
expect_file res/a.r1 $'run'
expect_no_file res/d.r1
# a has not run in r2: b is BLOCKED
run ./flow --run-id r2 --job b
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r2' order by job_id" \
"b|BLOCKED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r2' order by job_id, step_id" \
""
expect_no_file res/b.r2
run ./flow --run-id r3 --job d
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r3' order by job_id" \
"d|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r3' order by job_id, step_id" \
"d|s|SUCCESS"
expect_file res/d.r3 $'run'
expect_no_file res/a.r3
run ./flow --run-id r4
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='r4' order by job_id" \
"a|SUCCESS
b|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r4' order by job_id, step_id" \
"a|s|SUCCESS"
expect_file res/a.r4 $'run'
expect_file res/b.r4 $'run'
expect_no_file res/d.r4
expect_no_file res/e.r4
# afc: a ended SUCCESS earlier in run r4, so b runs; the reference knows only
# the jobs of this invocation and records b BLOCKED
FIX=1 run ./flow --run-id r4 --job b
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r4' order by job_id" \
"a|SUCCESS
b|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r4' order by job_id, step_id" \
"a|s|SUCCESS
b|s|SUCCESS"
expect_file res/b.r4 $'run\nrun'
# afc: the when reads a's outputs from the earlier invocation; in the reference
# the when of a --flow-job run cannot read other jobs and the run fails
run ./flow --run-id r4 --job e
expect_rc 0  # afc: the reference exits 1
expect_rows "select job_id, status from job_runs where run_id='r4' order by job_id" \
"a|SUCCESS
b|SUCCESS
e|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r4' order by job_id, step_id" \
"a|s|SUCCESS
b|s|SUCCESS
e|s|SUCCESS"
expect_file res/e.r4 $'run'
# afc: an unknown job is a usage error; the reference runs nothing and exits 0
run ./flow --run-id r5 --job nope
expect_rc 2  # afc: the reference exits 0
expect_err_has "no job 'nope' in this flow"
expect_rows "select job_id, status from job_runs where run_id='r5' order by job_id" \
""
expect_rows "select job_id, step_id, status from step_runs where run_id='r5' order by job_id, step_id" \
""
