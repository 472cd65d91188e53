build "$CASE_DIR/flow.yaml"
FROM_SNAPSHOT=snap run ./flow --run-id r1 --keep-going
expect_rc 1
A=work/extproc/j/r1/artifacts
expect_rows "select outputs_json from af_step_outputs where run_id='r1' and step_id='capture'" \
'{"exit_code":0,"attempts":1,"stdout":"out\nextproc r1 snap extra\n","stderr":"err\n"}'
expect_file $A/clean.txt "[]"
expect_file $A/logs/proc.log
grep -q to-file-err $A/logs/proc.log || fail "stderr not in the log file"
expect_rows "select outputs_json from af_step_outputs where run_id='r1' and step_id='retry'" '{"exit_code":0,"attempts":3}'
expect_file $A/out/final/part data
expect_no_file $A/out/.tmp
expect_rows "select status from step_runs where run_id='r1' and step_id='marker'" "SKIPPED"
expect_no_file marker.ran
expect_rows "select status from step_runs where run_id='r1' and step_id='exitcodes'" "SUCCESS"
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"j|SUCCESS
timeout|FAILED"
expect_err_has "external.process timed out after 0.5s"
# the process that ignored SIGTERM was killed, with its child: nothing is left running
read -r pid child < slow.pid
gone "$pid" "$child"
