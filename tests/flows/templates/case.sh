build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1
expect_rc 1
expect_file rendered.txt "list=[1, 'two', 3.0, None, True]
map={'k': 'v', 'n': 2}
bool=False
7
default=was empty
r1/templates/j
  spaced"
# a list passed whole: 5 items < min_count 7, so the step is SKIPPED
expect_rows "select step_id, status from step_runs where run_id='r1' order by step_id" \
"consume|SUCCESS
produce|SUCCESS
typed|SKIPPED"
expect_err_has "step 'broken' (external.process): error: inputs: missing value for {{steps.produce.nope}} and no default"
