# AETHERFLOW_ENV_FILES_JSON: env files loaded over the process environment,
# later files winning: dotenv (comments, trimming, quotes stripped, the last
# duplicate wins, lines without '=' or a key skipped), json (str() of
# scalars, JSON text of lists and maps, null skipped), dir (one variable per
# file, trailing newlines dropped), prefix, optional (as Python's bool());
# a missing file, an unknown type or a spec that is not a list stop the run.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/flow.yaml"
mkdir -p res && cp -r "$CASE_DIR/ef" .
AETHERFLOW_ENV_FILES_JSON='[{"type": "dotenv", "path": "ef/a.env"}, {"type": "JSON", "path": "ef/b.json", "prefix": "P_"}, {"type": "dir", "path": "ef/dir"}, {"type": "dotenv", "path": "ef/missing.env", "optional": "false"}]' A=env run ./flow --run-id r1
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"a|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"a|s|SUCCESS"
expect_file res/env.r1 $'A=1\nB=two words\nD1=v1\nD2=v2\nDUP=second\nEMPTY=\nEQ=a=b\nMIX="a\'\nP_A=from-json\nP_J1=1\nP_J2=True\nP_J4=[1, "x"]\nP_J5={"k": "é"}\nP_J6=1.5\nQ=quoted\nS=single'
AETHERFLOW_ENV_FILES_JSON='[{"type": "dotenv", "path": "ef/missing.env"}]' run ./flow --run-id r2
expect_rc 2  # afc: the reference exits 1
expect_err_has "ef/missing.env"
expect_rows "select job_id, status from job_runs where run_id='r2' order by job_id" \
""
expect_rows "select job_id, step_id, status from step_runs where run_id='r2' order by job_id, step_id" \
""
AETHERFLOW_ENV_FILES_JSON='[{"type": "yaml", "path": "ef/a.env"}]' run ./flow --run-id r3
expect_rc 2  # afc: the reference exits 1
expect_err_has "yaml"
expect_rows "select job_id, status from job_runs where run_id='r3' order by job_id" \
""
expect_rows "select job_id, step_id, status from step_runs where run_id='r3' order by job_id, step_id" \
""
AETHERFLOW_ENV_FILES_JSON='{"type": "dotenv"}' run ./flow --run-id r4
expect_rc 2  # afc: the reference exits 1
expect_rows "select job_id, status from job_runs where run_id='r4' order by job_id" \
""
expect_rows "select job_id, step_id, status from step_runs where run_id='r4' order by job_id, step_id" \
""
