# external.process as the reference runs it: captured stdout/stderr (and
# max_capture_kb truncation), env and inherit_env (AETHERFLOW_RUN_ID kept when
# already set), exit_codes, retries on exit codes and on timeouts, outputs
# passed through over the step's own, success rules, the marker and
# atomic_dir idempotency strategies, file and discard log modes. Commands
# that print and exit at once sleep a moment: the reference reads its pipes
# in threads that can lose output of a process that is already gone.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/flow.yaml"
AETHERFLOW_RUN_ID=ambient AETHERFLOW_FLOW_ID=ambflow AMB=1 run ./flow --run-id r1
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"cap|SUCCESS
codes|SUCCESS
envs|SUCCESS
files|SUCCESS
markerjob|SKIPPED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"cap|s|SUCCESS
cap|trunc|SUCCESS
cap|w|SUCCESS
codes|pass|SUCCESS
codes|retry|SUCCESS
codes|timeout_retry|SUCCESS
codes|two|SUCCESS
codes|w|SUCCESS
envs|inherit|SUCCESS
envs|noinherit|SUCCESS
envs|override|SUCCESS
envs|w|SUCCESS
files|atomic|SUCCESS
files|atomic2|SUCCESS
files|disc|SUCCESS
files|logf|SUCCESS
files|make|SUCCESS
files|marker|SKIPPED
files|w|SUCCESS
markerjob|m|SKIPPED
markerjob|never|SKIPPED
markerjob|pre|SUCCESS"
expect_file work/cextproc/cap/r1/artifacts/a.txt $'line1\nline2\nnoeol'
expect_file work/cextproc/cap/r1/artifacts/b.txt $'err'
expect_file work/cextproc/cap/r1/artifacts/c.txt $'{\'exit_code\': 0, \'attempts\': 1, \'stdout\': \'line1\\nline2\\nnoeol\\n\', \'stderr\': \'err\\n\'}'
expect_file work/cextproc/cap/r1/artifacts/d.txt $'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
expect_file work/cextproc/envs/r1/artifacts/envs.txt $'AETHERFLOW_FLOW_ID=cextproc\nAETHERFLOW_RUN_ID=r1\nL=[1, 2]\nM={\'a\': 1}\nPWD='"$WORK"$'\nW=True\nX=1\nY=\nZ=2.5\n|ambient ambflow 1 x\n|mine cextproc'
expect_file work/cextproc/codes/r1/artifacts/codes.txt $'2 3 2 99 [1]'
expect_file work/cextproc/codes/r1/artifacts/cnt $'3'
expect_file work/cextproc/codes/r1/artifacts/tcnt $'2'
expect_file work/cextproc/files/r1/artifacts/files.txt $'True|marker_present|W/work/cextproc/files/r1/artifacts/logs/p.log|{\'exit_code\': 0, \'attempts\': 1}'
expect_file work/cextproc/files/r1/artifacts/od.txt $'W/work/cextproc/files/r1/artifacts/tmp_out'
expect_file work/cextproc/files/r1/artifacts/final/o.txt $'out'
expect_file work/cextproc/files/r1/artifacts/final/p.txt $'two'
expect_file work/cextproc/files/r1/artifacts/logs/p.log $'to-stdout\nto-stderr'
expect_no_file work/cextproc/files/r1/artifacts/ran.txt
expect_no_file work/cextproc/files/r1/artifacts/tmp_out
expect_no_file work/cextproc/files/r1/artifacts/tmp2
expect_no_file work/cextproc/markerjob/r1/artifacts/ran.txt
