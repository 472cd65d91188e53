# Resuming with the same run id: every job is considered again in order,
# steps recorded SUCCESS or SKIPPED are passed over, the others run;
# a step whose outputs: promotion failed counts as finished. afc also
# restores finished steps' outputs and promoted job outputs, and an
# on_no_data short-circuit (both deliberate differences, marked below).
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/steps.yaml" ./steps
build "$CASE_DIR/promote.yaml" ./promote
build "$CASE_DIR/skipjob.yaml" ./skipjob
build "$CASE_DIR/outputs.yaml" ./outputs
mkdir -p res
run ./steps --run-id r1
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"a|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"a|first|SUCCESS"
expect_file res/a.first $'run'
expect_file res/a.second $'run'
[ -d work/cresume/a/r1/artifacts ] || fail "missing directory work/cresume/a/r1/artifacts"
FIX=1 run ./steps --run-id r1
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"a|SUCCESS
b|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"a|first|SUCCESS
a|second|SUCCESS
a|third|SUCCESS
b|s|SUCCESS"
expect_file res/a.first $'run'
expect_file res/a.second $'run\nrun'
expect_file res/a.third $'run'
expect_file res/b.s $'run'
expect_no_file work/cresume/a/r1
expect_no_file work/cresume/b/r1
# a finished run started again: nothing runs, every job ends SUCCESS again
FIX=1 run ./steps --run-id r1
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"a|SUCCESS
b|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"a|first|SUCCESS
a|second|SUCCESS
a|third|SUCCESS
b|s|SUCCESS"
expect_file res/a.first $'run'
expect_file res/a.third $'run'
expect_file res/b.s $'run'
run ./promote --run-id p1
expect_rc 1
expect_err_has "{{result.k}}"
expect_rows "select job_id, status from job_runs where run_id='p1' order by job_id" \
"a|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='p1' order by job_id, step_id" \
"a|s|SUCCESS"
expect_file res/p.s $'run'
expect_no_file res/p.t
# s is not run again; nothing was promoted, so t renders the default
K=v run ./promote --run-id p1
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='p1' order by job_id" \
"a|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='p1' order by job_id, step_id" \
"a|s|SUCCESS
a|t|SUCCESS"
expect_file res/p.s $'run'
expect_file res/p.t $'none'
run ./skipjob --run-id s1
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='s1' order by job_id" \
"a|SKIPPED
b|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='s1' order by job_id, step_id" \
"a|probe|SKIPPED
a|work|SKIPPED"
expect_no_file res/s.a.work
expect_file res/s.b $'run'
expect_no_file res/s.c
# afc: job a stays SKIPPED (the short-circuit is restored) and c stays BLOCKED;
# the reference turns a SUCCESS on resume and runs c
FIX=1 run ./skipjob --run-id s1
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='s1' order by job_id" \
"a|SKIPPED
b|SUCCESS
c|BLOCKED"
expect_rows "select job_id, step_id, status from step_runs where run_id='s1' order by job_id, step_id" \
"a|probe|SKIPPED
a|work|SKIPPED
b|s|SUCCESS"
expect_no_file res/s.a.work
expect_file res/s.b $'run\nrun'
expect_no_file res/s.c
run ./outputs --run-id o1
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='o1' order by job_id" \
"a|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='o1' order by job_id, step_id" \
"a|probe|SUCCESS"
expect_file res/o.use $'2 True'
expect_no_file res/o.c
# afc: job.outputs.n and steps.probe come back from the state store, so use
# and the when of c see them; in the reference both are gone after a resume
FIX=1 run ./outputs --run-id o1
expect_rc 0  # afc: the reference exits 1
expect_rows "select job_id, status from job_runs where run_id='o1' order by job_id" \
"a|SUCCESS
c|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='o1' order by job_id, step_id" \
"a|probe|SUCCESS
a|use|SUCCESS
c|s|SUCCESS"
expect_file res/o.use $'2 True\n2 True'
expect_file res/o.c $'run'
