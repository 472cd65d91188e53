/*
 * db_exec.c - step `db_exec` (afc's own): run one or more statements (DDL,
 * DML, procedure calls) with bound parameters, by default in one
 * transaction, and report how many rows each changed.
 */
#include "db_int.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "db resource"},
    {"sql", AF_TY_STR | AF_TY_LIST, 1, NULL, NULL, "a statement, or a list run in order"},
    {"params", AF_TY_MAP | AF_TY_LIST | AF_TY_NULL | AF_TY_STR, 0, "null", NULL,
     "bound parameters offered to every statement"},
    {"transaction", AF_TY_BOOL, 0, "true", NULL, "all statements commit together or not at all"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"rowcounts", "list[int]", "rows changed per statement (-1: not reported, e.g. DDL)"},
    {"rowcount", "int", "sum of the known rowcounts"},
    {"statements", "int", "statements run"},
    {NULL, NULL, NULL},
};

static af_status run(af_step *s)
{
    af_arena *a = af_arena_of(s);
    const char **sqls;
    size_t n;
    if (af_in_strlist(s, "sql", &sqls, &n) < 0) return AF_FAILED;
    if (n == 0) return af_fail(s, "sql is empty");
    db_ctx x;
    if (db_step_ctx(s, &x) < 0) return AF_FAILED;
    char err[2048];
    af_db_param *p;
    size_t np;
    af_value *counts;
    int64_t total;
    int txn;
    if (db_in_bool(s, "transaction", 1, &txn) < 0) return AF_FAILED;
    if (db_params(a, af_in(s, "params"), &p, &np, err, sizeof err) < 0 ||
        db_exec(&x, sqls, n, p, np, txn, &counts, &total, err, sizeof err) < 0)
        return af_fail(s, "%s", err);
    af_out_set(s, "rowcounts", counts);
    af_out_set(s, "rowcount", af_int(a, total));
    af_out_set(s, "statements", af_int(a, (int64_t)n));
    return AF_SUCCESS;
}

const af_step_desc af_step_db_exec = {
    .abi = AF_ABI_VERSION,
    .name = "db_exec",
    .summary = "run SQL statements with bound parameters, in one transaction",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "db",
    .flags = 0,
    .run = run,
    .check = NULL,
    .libs = "-lcrypto",
    .help = "Each list item is one statement; parameters are bound, never spliced into the SQL.",
};
