build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1
expect_rc 0
expect_file inner.ran
expect_rows "select count(*) from locks" "0"
expect_rows "select outputs_json from af_step_outputs where run_id='r1' and step_id='locked'" \
'{"exit_code":0,"attempts":1}'
# a lock held by another run makes the step fail at once, naming the key
HOLD=5 ./flow --run-id holder >/dev/null 2>&1 &
holder=$!
for i in $(seq 1 100); do [ "$(sqlite3 "$STATE_DB" 'select count(*) from locks')" = 1 ] && break; sleep 0.05; done
run ./flow --run-id r2
expect_rc 1
expect_err_has "Lock not acquired: export:orders"
wait $holder
expect_rows "select count(*) from locks" "0"
