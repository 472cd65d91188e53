# A `when` that raises stops the run (exit 1), the later jobs never start;
# short-circuiting decides whether the failing operand is evaluated.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/flow.yaml"
# count 0: the first operand decides, nothing raises
run ./flow --run-id r1
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"after|SUCCESS
g|SUCCESS
p|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"after|x|SUCCESS
g|x|SUCCESS
p|probe|SUCCESS"
# ordering a string against a number raises
# afc: job g is recorded FAILED; the reference writes no row for it
ITEMS=a run ./flow --run-id r2
expect_rc 1
expect_err_has "'>' not supported between instances of 'str' and 'int'"
expect_rows "select job_id, status from job_runs where run_id='r2' order by job_id" \
"g|FAILED
p|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r2' order by job_id, step_id" \
"p|probe|SUCCESS"
# reading an output the job did not produce raises
# afc: job g is recorded FAILED; the reference writes no row for it
ITEMS=a,b run ./flow --run-id r3
expect_rc 1
expect_err_has "jobs.p.outputs.nope does not exist"
expect_rows "select job_id, status from job_runs where run_id='r3' order by job_id" \
"g|FAILED
p|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r3' order by job_id, step_id" \
"p|probe|SUCCESS"
