# external.process failures and odd inputs, one flow each: timeouts,
# exit codes, retries that give up, success rules, missing programs and
# directories, templated values converted the reference's way, shell
# quoting of a list command.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/timeout.yaml" ./timeout
build "$CASE_DIR/exit.yaml" ./exit
build "$CASE_DIR/retry_exhaust.yaml" ./retry_exhaust
build "$CASE_DIR/retry_other.yaml" ./retry_other
build "$CASE_DIR/timeout_noretry.yaml" ./timeout_noretry
build "$CASE_DIR/reqfile.yaml" ./reqfile
build "$CASE_DIR/reqglob.yaml" ./reqglob
build "$CASE_DIR/forbid.yaml" ./forbid
build "$CASE_DIR/marker_missing.yaml" ./marker_missing
build "$CASE_DIR/cwd_missing.yaml" ./cwd_missing
build "$CASE_DIR/noprog.yaml" ./noprog
build "$CASE_DIR/noprog_list.yaml" ./noprog_list
build "$CASE_DIR/args_str.yaml" ./args_str
build "$CASE_DIR/cmd_int.yaml" ./cmd_int
build "$CASE_DIR/atomic_missing_tmpl.yaml" ./atomic_missing_tmpl
build "$CASE_DIR/exit_codes_str.yaml" ./exit_codes_str
build "$CASE_DIR/timeout_str.yaml" ./timeout_str
build "$CASE_DIR/capture_kb0.yaml" ./capture_kb0
build "$CASE_DIR/shell_list.yaml" ./shell_list
build "$CASE_DIR/shell_args.yaml" ./shell_args
build "$CASE_DIR/sandbox_abs.yaml" ./sandbox_abs
mkdir -p res
run ./timeout --run-id timeout
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='timeout' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='timeout' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.timeout
expect_no_file res/tries.timeout
run ./exit --run-id exit
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='exit' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='exit' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.exit
expect_no_file res/tries.exit
run ./retry_exhaust --run-id retry_exhaust
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='retry_exhaust' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='retry_exhaust' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.retry_exhaust
expect_file res/tries.retry_exhaust $'x\nx\nx'
run ./retry_other --run-id retry_other
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='retry_other' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='retry_other' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.retry_other
expect_file res/tries.retry_other $'x'
run ./timeout_noretry --run-id timeout_noretry
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='timeout_noretry' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='timeout_noretry' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.timeout_noretry
expect_file res/tries.timeout_noretry $'x'
run ./reqfile --run-id reqfile
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='reqfile' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='reqfile' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.reqfile
expect_no_file res/tries.reqfile
run ./reqglob --run-id reqglob
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='reqglob' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='reqglob' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.reqglob
expect_no_file res/tries.reqglob
run ./forbid --run-id forbid
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='forbid' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='forbid' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.forbid
expect_no_file res/tries.forbid
run ./marker_missing --run-id marker_missing
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='marker_missing' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='marker_missing' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.marker_missing
expect_no_file res/tries.marker_missing
run ./cwd_missing --run-id cwd_missing
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='cwd_missing' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='cwd_missing' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.cwd_missing
expect_no_file res/tries.cwd_missing
run ./noprog --run-id noprog
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='noprog' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='noprog' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.noprog
expect_no_file res/tries.noprog
run ./noprog_list --run-id noprog_list
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='noprog_list' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='noprog_list' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.noprog_list
expect_no_file res/tries.noprog_list
run ./args_str --run-id args_str
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='args_str' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='args_str' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.args_str
expect_no_file res/tries.args_str
run ./cmd_int --run-id cmd_int
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='cmd_int' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='cmd_int' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.cmd_int
expect_no_file res/tries.cmd_int
run ./atomic_missing_tmpl --run-id atomic_missing_tmpl
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='atomic_missing_tmpl' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='atomic_missing_tmpl' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.atomic_missing_tmpl
expect_no_file res/tries.atomic_missing_tmpl
run ./exit_codes_str --run-id exit_codes_str
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='exit_codes_str' order by job_id" \
"after|SUCCESS
before|SUCCESS
j|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='exit_codes_str' order by job_id, step_id" \
"after|s|SUCCESS
before|s|SUCCESS
j|s|SUCCESS
j|w|SUCCESS"
expect_file res/result.exit_codes_str $'{\'exit_code\': 2, \'attempts\': 1}'
expect_no_file res/tries.exit_codes_str
run ./timeout_str --run-id timeout_str
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='timeout_str' order by job_id" \
"after|SUCCESS
before|SUCCESS
j|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='timeout_str' order by job_id, step_id" \
"after|s|SUCCESS
before|s|SUCCESS
j|s|SUCCESS
j|w|SUCCESS"
expect_file res/result.timeout_str $'{\'exit_code\': 0, \'attempts\': 1}'
expect_no_file res/tries.timeout_str
run ./capture_kb0 --run-id capture_kb0
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='capture_kb0' order by job_id" \
"after|SUCCESS
before|SUCCESS
j|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='capture_kb0' order by job_id, step_id" \
"after|s|SUCCESS
before|s|SUCCESS
j|s|SUCCESS
j|w|SUCCESS"
expect_file res/result.capture_kb0 $'{\'exit_code\': 0, \'attempts\': 1, \'stdout\': \'\'}'
expect_no_file res/tries.capture_kb0
run ./shell_list --run-id shell_list
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='shell_list' order by job_id" \
"after|SUCCESS
before|SUCCESS
j|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='shell_list' order by job_id, step_id" \
"after|s|SUCCESS
before|s|SUCCESS
j|s|SUCCESS
j|w|SUCCESS"
expect_file res/result.shell_list $'{\'exit_code\': 0, \'attempts\': 1, \'log_file\': \''"$WORK"$'/work/shell_list/j/shell_list/artifacts/o.txt\'}'
expect_no_file res/tries.shell_list
expect_file work/shell_list/j/shell_list/artifacts/o.txt $'a b $HOME'
run ./shell_args --run-id shell_args
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='shell_args' order by job_id" \
"after|SUCCESS
before|SUCCESS
j|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='shell_args' order by job_id, step_id" \
"after|s|SUCCESS
before|s|SUCCESS
j|s|SUCCESS
j|w|SUCCESS"
expect_file res/result.shell_args $'{\'exit_code\': 0, \'attempts\': 1}'
expect_no_file res/tries.shell_args
run ./sandbox_abs --run-id sandbox_abs
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='sandbox_abs' order by job_id" \
"before|SUCCESS
j|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='sandbox_abs' order by job_id, step_id" \
"before|s|SUCCESS"
expect_no_file res/result.sandbox_abs
expect_no_file res/tries.sandbox_abs
