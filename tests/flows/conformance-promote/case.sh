# Promotion order: each step's outputs: mapping is rendered after it with
# result (and steps.<itself>) bound to its outputs, and may read the job
# outputs promoted so far; a later step promoting the same key replaces it;
# a SKIPPED step promotes too.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"a|SUCCESS
b|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"a|end|SUCCESS
a|mid|SUCCESS
a|one|SUCCESS
a|two|SKIPPED
b|x|SUCCESS"
expect_file mid.txt $'2 2-True'
expect_file end.txt $'0|2|count(0) < min_count(1)|False|a'
