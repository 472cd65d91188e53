build "$CASE_DIR/flow.yaml"
run ./flow --run-id first
expect_rc 1
run ./flow status
expect_rc 0
expect_out_has first
expect_out_has FAILED
run ./flow status first
expect_rc 0
expect_out_has "exit code 2"
run ./flow status first --json
expect_rc 0
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d)' "$WORK/out" >/dev/null || fail "status --json is not JSON"
run ./flow status nosuch
expect_rc 2
