build "$CASE_DIR/flow.yaml"
run ./flow --bogus
expect_rc 2
expect_err_has "unknown option '--bogus'"
run ./flow --run-id '../x'
expect_rc 2
run ./flow --help
expect_rc 0
expect_out_has "validate-env"
# a variable the flow settings need: exit 2 before any job
run ./flow
expect_rc 2
expect_err_has "STATE_DIR"
run ./flow validate-env
expect_rc 2
expect_out_has "STATE_DIR"
expect_out_has "MISSING"
STATE_DIR=$WORK DB_PATH=$WORK/x.db ITEMS=a run ./flow validate-env
expect_rc 0
# explain resolves resources and hides secrets
STATE_DIR=$WORK DB_PATH=$WORK/x.db run ./flow explain
expect_rc 0
expect_out_has '"password": "***"'
grep -q hunter2 "$WORK/out" && fail "explain printed a secret"
# a resource variable missing: exit 2, nothing ran
STATE_DIR=$WORK run ./flow --run-id r0
expect_rc 2
expect_err_has "DB_PATH"
run ./flow --version
expect_rc 0
expect_out_has "flow cliusage"
expect_out_has "bundle fingerprint"
