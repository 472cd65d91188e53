# The env snapshot of a run without a bundle: AETHERFLOW_ACTIVE_DIR,
# AETHERFLOW_LOCAL_ROOT_DIR and AETHERFLOW_CACHE_DIR are the work root (as a
# pathlib path: no trailing or doubled slashes, no '.'; relative stays
# relative), AETHERFLOW_MODE is left to the environment; external.process
# sets AETHERFLOW_FLOW_ID and AETHERFLOW_RUN_ID only when they are not set
# already, and with inherit_env: false passes only its env (None as empty).
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
"e|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"e|clean|SUCCESS
e|inherit|SUCCESS
e|rendered|SUCCESS"
expect_file work/cenv/e/r1/artifacts/inherit.txt $'AETHERFLOW_ACTIVE_DIR=work\nAETHERFLOW_CACHE_DIR=work\nAETHERFLOW_EXTRA=x\nAETHERFLOW_FLOW_ID=cenv\nAETHERFLOW_LOCAL_ROOT_DIR=work\nAETHERFLOW_RUN_ID=r1'
expect_file work/cenv/e/r1/artifacts/clean.txt $'AETHERFLOW_FLOW_ID=cenv\nAETHERFLOW_RUN_ID=r1\nNONE=\nNUM=1.5\nONLY=x'
expect_file work/cenv/e/r1/artifacts/rendered.txt $'work|work|work|unset|unset'
expect_file work/cenv/e/r1/artifacts/pwd.txt $''"$WORK"$'/work/cenv/e/r1/artifacts'
ROOT=./w//x/ AETHERFLOW_RUN_ID=ambient AETHERFLOW_MODE=enterprise X=y run ./flow --run-id r2
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r2' order by job_id" \
"e|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r2' order by job_id, step_id" \
"e|clean|SUCCESS
e|inherit|SUCCESS
e|rendered|SUCCESS"
expect_file w/x/cenv/e/r2/artifacts/inherit.txt $'AETHERFLOW_ACTIVE_DIR=w/x\nAETHERFLOW_CACHE_DIR=w/x\nAETHERFLOW_EXTRA=y\nAETHERFLOW_FLOW_ID=cenv\nAETHERFLOW_LOCAL_ROOT_DIR=w/x\nAETHERFLOW_MODE=enterprise\nAETHERFLOW_RUN_ID=ambient'
expect_file w/x/cenv/e/r2/artifacts/clean.txt $'AETHERFLOW_FLOW_ID=cenv\nAETHERFLOW_RUN_ID=r2\nNONE=\nNUM=1.5\nONLY=y'
expect_file w/x/cenv/e/r2/artifacts/rendered.txt $'w/x|w/x|w/x|enterprise|unset'
expect_file w/x/cenv/e/r2/artifacts/pwd.txt $''"$WORK"$'/w/x/cenv/e/r2/artifacts'
