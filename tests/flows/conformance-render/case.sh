# Promotion of step outputs to job outputs and rendering: standalone
# tokens keep their type (lists reach check_items as lists), mixed text
# formats values as Python's str() (True, None, repr of lists and dicts,
# float repr), env values from None are empty, literal inputs are passed as
# str() of their YAML value; steps.X, job.outputs and jobs.J.outputs.
#
# Every expected exit status, state row and file below was produced by
# running the reference implementation (aetherflow-core, runner.py) on
# this flow with the same environment and arguments (stderr snippets
# are afc's wording of the same errors); lines marked 'afc:' are
# deliberate differences (afc-flow(5), DIFFERENCES FROM THE REFERENCE).
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1
expect_rc 0
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"c|SUCCESS
p|SUCCESS"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"c|echo|SUCCESS
c|items|SUCCESS
c|items2|SUCCESS
c|w|SUCCESS
p|emit|SUCCESS"
expect_file work/crender/c/r1/artifacts/env.txt $'V_ATT=1\nV_BF=False\nV_BS=back\\slash\nV_BT=True\nV_CTRL=\x01\x7f\nV_D={\'k\': 1, \'s\': \'v\', \'n\': None, \'l\': [1, 2], \'nested\': {\'x\': False}}\nV_DE={}\nV_EXIT=0\nV_F1=1.0\nV_F=2.5\nV_FBIG=1e+17\nV_FL=1e+17 0.0001 1e-05 1.0\nV_FSMALL=0.0001\nV_FTINY=1e-05\nV_I=3\nV_L=[1, \'a\', 2.0, None, True, "it\'s", \'é\', []]\nV_LE=[]\nV_LIT_BOOL=True\nV_LIT_FLOAT=5.0\nV_LIT_INT=5\nV_LIT_LIST=[1, \'a\']\nV_LIT_NULL=\nV_MIXED2=héllo ✓ 日本|it\'s "q"|a\tb|\x01\x7f|back\\slash|[]\nV_MIXED=i=3 f=2.5 n=None b=True l=[1, \'a\', 2.0, None, True, "it\'s", \'é\', []] d={\'k\': 1, \'s\': \'v\', \'n\': None, \'l\': [1, 2], \'nested\': {\'x\': False}}\nV_N=\nV_NEG=-7\nV_NESTED=False [1, 2]\nV_Q=it\'s "q"\nV_RUN=r1/crender/c\nV_S=abc\nV_TAB=a\tb\nV_U=héllo ✓ 日本'
expect_file work/crender/c/r1/artifacts/args.txt $'3\n2.5\nTrue\nNone\n[1, \'a\', 2.0, None, True, "it\'s", \'é\', []]\n{\'k\': 1, \'s\': \'v\', \'n\': None, \'l\': [1, 2], \'nested\': {\'x\': False}}\nx1e+17\nhéllo ✓ 日本'
expect_file work/crender/c/r1/artifacts/job.txt $'8\n3\nTrue {\'has_data\': True, \'count\': 3} 0'
