# Before any job, the reference validates the flow again, rendering each
# step's inputs and outputs with the environment (steps, job and result
# empty), each walk stopping at its first missing value: mixed text that an
# env value turns into forbidden syntax stops the run there, and with
# AETHERFLOW_VALIDATE_ENV_STRICT=true so does a missing env variable that is
# the first missing value of a walk. Anything the walk does not reach fails
# only its step, when it runs.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/flow.yaml"
# a.t reads job.outputs.k first, so the check stops there: the step fails when it runs
BRACE='{}' K=1 run ./flow --run-id r1
expect_rc 1
expect_err_has "Unsupported templating syntax"
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"a|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"a|s|SUCCESS"
expect_no_file work/cprerun/a/r1/artifacts/t.txt
# d.s renders to '{}' with the environment alone: no job runs
BRACE=ok BRACE2='{}' run ./flow --run-id r2
expect_rc 2  # afc: the reference exits 1
expect_err_has "step 's' (external.process): error: inputs: Unsupported templating syntax"
expect_rows "select job_id, status from job_runs where run_id='r2' order by job_id" \
""
expect_rows "select job_id, step_id, status from step_runs where run_id='r2' order by job_id, step_id" \
""
# without the strict check a missing variable fails its step
BRACE=ok run ./flow --run-id r3
expect_rc 1
expect_err_has "{{env.NEED}}"
expect_rows "select job_id, status from job_runs where run_id='r3' order by job_id" \
"a|SUCCESS
b|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r3' order by job_id, step_id" \
"a|s|SUCCESS
a|t|SUCCESS"
BRACE=ok AETHERFLOW_VALIDATE_ENV_STRICT=true run ./flow --run-id r4
expect_rc 2  # afc: the reference exits 1
expect_err_has "missing env NEED"
expect_rows "select job_id, status from job_runs where run_id='r4' order by job_id" \
""
expect_rows "select job_id, step_id, status from step_runs where run_id='r4' order by job_id, step_id" \
""
# c.s: {{job.outputs.none:d}} has a default, so LATER is the first missing value
BRACE=ok AETHERFLOW_VALIDATE_ENV_STRICT=true NEED=x run ./flow --run-id r5
expect_rc 2  # afc: the reference exits 1
expect_err_has "missing env LATER"
expect_rows "select job_id, status from job_runs where run_id='r5' order by job_id" \
""
expect_rows "select job_id, step_id, status from step_runs where run_id='r5' order by job_id, step_id" \
""
BRACE=ok AETHERFLOW_VALIDATE_ENV_STRICT=true NEED=x LATER=y run ./flow --run-id r6
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r6' order by job_id" \
"a|SUCCESS
b|SUCCESS
c|SUCCESS
d|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r6' order by job_id, step_id" \
"a|s|SUCCESS
a|t|SUCCESS
b|s|SUCCESS
c|s|SUCCESS
d|s|SUCCESS"
expect_file work/cprerun/a/r6/artifacts/t.txt $'pre ok post'
expect_file work/cprerun/b/r6/artifacts/b.txt $'pre ok post x'
expect_file work/cprerun/c/r6/artifacts/c.txt $''
expect_file work/cprerun/d/r6/artifacts/d.txt $'pre ok post'
