# with_lock: the lock row exists (owner = run id) while the inner step runs
# and is gone after it, whether the inner step succeeds, is SKIPPED (the
# with_lock step then is SKIPPED too, so on_no_data applies) or fails;
# nested locks; a lock another owner holds fails the step at once, an
# expired one is taken over.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/flow.yaml"
mkdir -p res
run ./flow --run-id r1
expect_rc 1
expect_err_has "external.process failed with exit code 5"
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"a|SKIPPED
b|SUCCESS
c|SUCCESS
d|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"a|l|SUCCESS
a|l2|SKIPPED
a|never|SKIPPED
a|pre|SUCCESS
b|nested|SUCCESS
c|held|SUCCESS"
expect_rows "select key, owner from locks order by key" ""
expect_file res/a.r1 $'from-pre\nk-cwithlock|r1'
expect_file res/b.r1 $'inner|r1\nouter|r1'
expect_file res/c.r1 $'ran'
sqlite3 state.db "insert into locks values ('held', 'other', strftime('%s','now') + 1000)"
run ./flow --run-id r2
expect_rc 1
expect_err_has "Lock not acquired: held"
expect_rows "select job_id, status from job_runs where run_id='r2' order by job_id" \
"a|SKIPPED
b|SUCCESS
c|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r2' order by job_id, step_id" \
"a|l|SUCCESS
a|l2|SKIPPED
a|never|SKIPPED
a|pre|SUCCESS
b|nested|SUCCESS"
expect_rows "select key, owner from locks order by key" "held|other"
expect_file res/a.r2 $'from-pre\nheld|other\nk-cwithlock|r2'
expect_file res/b.r2 $'held|other\ninner|r2\nouter|r2'
expect_no_file res/c.r2
sqlite3 state.db "update locks set expires_at = 1 where key = 'held'"
run ./flow --run-id r3
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='r3' order by job_id" \
"a|SKIPPED
b|SUCCESS
c|SUCCESS
d|FAILED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r3' order by job_id, step_id" \
"a|l|SUCCESS
a|l2|SKIPPED
a|never|SKIPPED
a|pre|SUCCESS
b|nested|SUCCESS
c|held|SUCCESS"
expect_rows "select key, owner from locks order by key" ""
expect_file res/a.r3 $'from-pre\nk-cwithlock|r3'
expect_file res/b.r3 $'inner|r3\nouter|r3'
expect_file res/c.r3 $'ran'
