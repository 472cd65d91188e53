# Templates: a missing or empty value takes the default; a standalone
# default keeps its spaces up to the braces while mixed text trims the token;
# the default is everything after the first colon and is always a string; a
# standalone value is not re-checked for forbidden syntax after rendering.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/flow.yaml"
EMPTY='' SET=val COLON=a:b SPACE=' x ' BRACE='{}' DOLLAR='${HOME}' run ./flow --run-id r1
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"a|SUCCESS
c|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"a|w|SUCCESS
c|w|SUCCESS"
expect_file work/cdefaults/a/r1/artifacts/env.txt $'D_COLON=a:b:c\nD_COLON_SET=a:b\nD_DOLLAR=${HOME}\nD_EMPTY=dflt\nD_EMPTY_NODEF=\nD_JOBID=a\nD_JOBOUT=none\nD_MULTI=val-u-e-val\nD_NODE=x\nD_NUMDEF=5\nD_RUNID=r1\nD_SET=val\nD_SP= a b \nD_SPACE=[ x ]\nD_SPACE_SA= x \nD_SP_MIXED2=<a b>\nD_SP_MIXED=< a b>\nD_TRAIL_NL=val\nD_TRUEDEF=true\nD_UNI=日本\nD_UNSET=dflt'
expect_file work/cdefaults/c/r1/artifacts/c.txt $'ran'
# without the variables, the tokens without a default fail the step
run ./flow --run-id r2
expect_rc 1
expect_err_has "{{env.COLON}}"
expect_rows "select job_id, status from job_runs where run_id='r2' order by job_id" \
"a|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r2' order by job_id, step_id" \
""
expect_no_file work/cdefaults/a/r2/artifacts/env.txt
