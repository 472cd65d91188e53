build "$CASE_DIR/flow.yaml"
# the dependent job alone, before its dependency ran: BLOCKED
run ./flow --run-id r1 --job work
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r1'" "work|BLOCKED"
run ./flow --run-id r1 --job probe
expect_rc 0
# now its dependency's status and outputs come from the state store
run ./flow --run-id r1 --job work
expect_rc 0
expect_file work.ran
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"probe|SUCCESS
work|SUCCESS"
run ./flow --job nosuch
expect_rc 2
expect_err_has "no job 'nosuch' in this flow"
