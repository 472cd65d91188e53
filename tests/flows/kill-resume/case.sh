build "$CASE_DIR/flow.yaml"
SLEEP=30 ./flow --run-id r1 >"$WORK/out" 2>"$WORK/err" &
pid=$!
for i in $(seq 1 200); do [ -e slow.started ] && break; sleep 0.05; done
[ -e slow.started ] || fail "the slow step never started"
kill -9 $pid
wait $pid 2>/dev/null || true
# the step's programs die with the executable: no orphan runs on
read -r shell_pid sleep_pid < slow.started
gone "$shell_pid" "$sleep_pid"
expect_rows "select step_id, status from step_runs where run_id='r1'" "one|SUCCESS"
expect_rows "select step_id, status from af_step_attempts where run_id='r1' and step_id='slow'" "slow|RUNNING"
SLEEP=0 run ./flow --run-id r1
expect_rc 0
expect_file one.count one
expect_file work/killresume/j/r1/artifacts/all "1
2"
expect_rows "select step_id, status from step_runs where run_id='r1' order by step_id" \
"one|SUCCESS
slow|SUCCESS
three|SUCCESS"
