# `when`: comparisons, boolean operators, chains, normalisation of
# true/false, Python truthiness (a mapping output is a SimpleNamespace there,
# always true), literals (numbers, escapes, prefixes, comments) and the job
# result fields status, skip_reason, skip_trigger.
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
"and_or_prec|SUCCESS
and_value|SUCCESS
bl|BLOCKED
bool_eqtrue_nospace|SUCCESS
bool_is_int|SUCCESS
bool_nefalse|SKIPPED
bool_true_norm|SUCCESS
chain|SUCCESS
chain_false|SKIPPED
comment|SUCCESS
concat_u_prefix|SUCCESS
dict_deep|SUCCESS
empty_dict_truthy|SUCCESS
empty_list_falsy|SKIPPED
empty_when|SUCCESS
eq_int|SUCCESS
eq_int_float|SUCCESS
eq_str_num|SKIPPED
escape_octal_nl|SUCCESS
escape_u|SUCCESS
escape_unknown_kept|SUCCESS
ge|SUCCESS
gt_big|SUCCESS
inf|SUCCESS
job_whole|SUCCESS
le|SKIPPED
list_eq|SUCCESS
list_order|SUCCESS
lt|SUCCESS
ne_str_num|SUCCESS
none_eq|SUCCESS
none_falsy|SKIPPED
not_empty_dict|SKIPPED
not_prec|SUCCESS
numbers|SUCCESS
or_dict_stops|SUCCESS
or_value|SUCCESS
outputs_whole|SUCCESS
p|SUCCESS
paren_newline|SUCCESS
raw_string|SUCCESS
s|SKIPPED
skip_reason_step|SUCCESS
skip_reason_when|SUCCESS
skipped_job_outputs|SUCCESS
spaces_kept|SUCCESS
status_blocked|SUCCESS
status_skipped|SUCCESS
status_success|SUCCESS
str_order|SUCCESS
str_true_text|SUCCESS
str_true_vs_bool|SKIPPED
str_unicode_order|SUCCESS
true_in_literal|SUCCESS
unicode_eq|SUCCESS
w|SKIPPED
zero_falsy|SKIPPED"
expect_rows "select job_id, step_id, status from step_runs where run_id='r1' order by job_id, step_id" \
"and_or_prec|x|SUCCESS
and_value|x|SUCCESS
bool_eqtrue_nospace|x|SUCCESS
bool_is_int|x|SUCCESS
bool_true_norm|x|SUCCESS
chain|x|SUCCESS
comment|x|SUCCESS
concat_u_prefix|x|SUCCESS
dict_deep|x|SUCCESS
empty_dict_truthy|x|SUCCESS
empty_when|x|SUCCESS
eq_int|x|SUCCESS
eq_int_float|x|SUCCESS
escape_octal_nl|x|SUCCESS
escape_u|x|SUCCESS
escape_unknown_kept|x|SUCCESS
ge|x|SUCCESS
gt_big|x|SUCCESS
inf|x|SUCCESS
job_whole|x|SUCCESS
list_eq|x|SUCCESS
list_order|x|SUCCESS
lt|x|SUCCESS
ne_str_num|x|SUCCESS
none_eq|x|SUCCESS
not_prec|x|SUCCESS
numbers|x|SUCCESS
or_dict_stops|x|SUCCESS
or_value|x|SUCCESS
outputs_whole|x|SUCCESS
p|emit|SUCCESS
paren_newline|x|SUCCESS
raw_string|x|SUCCESS
s|probe|SKIPPED
skip_reason_step|x|SUCCESS
skip_reason_when|x|SUCCESS
skipped_job_outputs|x|SUCCESS
spaces_kept|x|SUCCESS
status_blocked|x|SUCCESS
status_skipped|x|SUCCESS
status_success|x|SUCCESS
str_order|x|SUCCESS
str_true_text|x|SUCCESS
str_unicode_order|x|SUCCESS
true_in_literal|x|SUCCESS
unicode_eq|x|SUCCESS"
