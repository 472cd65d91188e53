# cleanup_policy: on_success removes a job's run directory when the job
# ends SUCCESS or SKIPPED (by on_no_data), always also after a failure,
# never keeps everything; jobs that never start (when false, BLOCKED) get
# no directory. The job directory above the run directory stays.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/on_success.yaml" ./on_success
build "$CASE_DIR/always.yaml" ./always
build "$CASE_DIR/never.yaml" ./never
run ./on_success --run-id rs
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='rs' order by job_id" \
"blocked|BLOCKED
fails|FAILED
nested|SUCCESS
ok|SUCCESS
skipd|SKIPPED
skipw|SKIPPED"
expect_rows "select job_id, step_id, status from step_runs where run_id='rs' order by job_id, step_id" \
"fails|w|SUCCESS
nested|s|SUCCESS
ok|s|SUCCESS
skipd|s|SKIPPED
skipd|w|SUCCESS"
[ -d work/c_on_success/ok ] || fail "missing directory work/c_on_success/ok"
expect_no_file work/c_on_success/ok/rs
expect_no_file work/c_on_success/ok/rs/artifacts/f.txt
[ -d work/c_on_success/skipd ] || fail "missing directory work/c_on_success/skipd"
expect_no_file work/c_on_success/skipd/rs
expect_no_file work/c_on_success/skipd/rs/artifacts/f.txt
expect_no_file work/c_on_success/skipw
expect_no_file work/c_on_success/skipw/rs
expect_no_file work/c_on_success/skipw/rs/artifacts/f.txt
expect_no_file work/c_on_success/blocked
expect_no_file work/c_on_success/blocked/rs
expect_no_file work/c_on_success/blocked/rs/artifacts/f.txt
[ -d work/c_on_success/nested ] || fail "missing directory work/c_on_success/nested"
expect_no_file work/c_on_success/nested/rs
expect_no_file work/c_on_success/nested/rs/artifacts/f.txt
[ -d work/c_on_success/fails ] || fail "missing directory work/c_on_success/fails"
[ -d work/c_on_success/fails/rs ] || fail "missing directory work/c_on_success/fails/rs"
expect_file work/c_on_success/fails/rs/artifacts/f.txt $'x'
expect_no_file work/c_on_success/ok/rs/scratch/sub/g
run ./always --run-id ra
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='ra' order by job_id" \
"blocked|BLOCKED
fails|FAILED
nested|SUCCESS
ok|SUCCESS
skipd|SKIPPED
skipw|SKIPPED"
expect_rows "select job_id, step_id, status from step_runs where run_id='ra' order by job_id, step_id" \
"fails|w|SUCCESS
nested|s|SUCCESS
ok|s|SUCCESS
skipd|s|SKIPPED
skipd|w|SUCCESS"
[ -d work/c_always/ok ] || fail "missing directory work/c_always/ok"
expect_no_file work/c_always/ok/ra
expect_no_file work/c_always/ok/ra/artifacts/f.txt
[ -d work/c_always/skipd ] || fail "missing directory work/c_always/skipd"
expect_no_file work/c_always/skipd/ra
expect_no_file work/c_always/skipd/ra/artifacts/f.txt
expect_no_file work/c_always/skipw
expect_no_file work/c_always/skipw/ra
expect_no_file work/c_always/skipw/ra/artifacts/f.txt
expect_no_file work/c_always/blocked
expect_no_file work/c_always/blocked/ra
expect_no_file work/c_always/blocked/ra/artifacts/f.txt
[ -d work/c_always/nested ] || fail "missing directory work/c_always/nested"
expect_no_file work/c_always/nested/ra
expect_no_file work/c_always/nested/ra/artifacts/f.txt
[ -d work/c_always/fails ] || fail "missing directory work/c_always/fails"
expect_no_file work/c_always/fails/ra
expect_no_file work/c_always/fails/ra/artifacts/f.txt
expect_no_file work/c_always/ok/ra/scratch/sub/g
run ./never --run-id rn
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='rn' order by job_id" \
"blocked|BLOCKED
fails|FAILED
nested|SUCCESS
ok|SUCCESS
skipd|SKIPPED
skipw|SKIPPED"
expect_rows "select job_id, step_id, status from step_runs where run_id='rn' order by job_id, step_id" \
"fails|w|SUCCESS
nested|s|SUCCESS
ok|s|SUCCESS
skipd|s|SKIPPED
skipd|w|SUCCESS"
[ -d work/c_never/ok ] || fail "missing directory work/c_never/ok"
[ -d work/c_never/ok/rn ] || fail "missing directory work/c_never/ok/rn"
expect_file work/c_never/ok/rn/artifacts/f.txt $'x'
[ -d work/c_never/skipd ] || fail "missing directory work/c_never/skipd"
[ -d work/c_never/skipd/rn ] || fail "missing directory work/c_never/skipd/rn"
expect_file work/c_never/skipd/rn/artifacts/f.txt $'x'
expect_no_file work/c_never/skipw
expect_no_file work/c_never/skipw/rn
expect_no_file work/c_never/skipw/rn/artifacts/f.txt
expect_no_file work/c_never/blocked
expect_no_file work/c_never/blocked/rn
expect_no_file work/c_never/blocked/rn/artifacts/f.txt
[ -d work/c_never/nested ] || fail "missing directory work/c_never/nested"
[ -d work/c_never/nested/rn ] || fail "missing directory work/c_never/nested/rn"
expect_file work/c_never/nested/rn/artifacts/f.txt $'x'
[ -d work/c_never/fails ] || fail "missing directory work/c_never/fails"
[ -d work/c_never/fails/rn ] || fail "missing directory work/c_never/fails/rn"
expect_file work/c_never/fails/rn/artifacts/f.txt $'x'
expect_file work/c_never/ok/rn/scratch/sub/g $'y'
