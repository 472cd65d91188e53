/*
 * db_fetch_small.c - step `db_fetch_small`: a bounded result set in memory,
 * for chaining into steps that take JSON strings (excel_fill_small).
 *
 * Fails with the reference's message once more than max_rows rows arrive.
 * dtypes come from the driver's column metadata or, when that says
 * nothing, from the first non-null value in the first 200 rows (bool, int,
 * float, date, datetime, string), as the reference infers them.
 */
#include "db_int.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "db resource to query"},
    {"sql", AF_TY_STR, 1, NULL, NULL, "the query"},
    {"params", AF_TY_MAP | AF_TY_LIST | AF_TY_NULL | AF_TY_STR, 0, "null", NULL,
     "bound parameters: a mapping for :name, a list for ?"},
    {"max_rows", AF_TY_INT, 0, "50000", NULL, "fail when the result has more rows"},
    {"fetch_size", AF_TY_INT, 0, "5000", NULL, "rows per fetch (driver hint)"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"columns", "list[string]", "column names"},
    {"rows", "list[list]", "rows (JSON-safe values: decimals as floats, dates as ISO text)"},
    {"row_count", "int", "number of rows"},
    {"columns_json", "string", "columns as JSON"},
    {"rows_json", "string", "rows as JSON"},
    {"dtypes", "map", "column -> bool|int|float|date|datetime|string"},
    {"dtypes_json", "string", "dtypes as JSON"},
    {NULL, NULL, NULL},
};

static af_status run(af_step *s)
{
    af_arena *a = af_arena_of(s);
    const char *sql;
    int64_t max_rows, fetch_size;
    if (af_in_str(s, "sql", NULL, &sql) < 0 || af_in_int(s, "max_rows", 50000, &max_rows) < 0 ||
        af_in_int(s, "fetch_size", 5000, &fetch_size) < 0)
        return AF_FAILED;
    db_ctx x;
    if (db_step_ctx(s, &x) < 0) return AF_FAILED;
    char err[2048];
    af_db_param *p;
    size_t np;
    db_small r;
    if (db_params(a, af_in(s, "params"), &p, &np, err, sizeof err) < 0 ||
        db_fetch_small(&x, sql, p, np, max_rows, fetch_size, &r, err, sizeof err) < 0)
        return af_fail(s, "%s", err);
    af_out_set(s, "columns", r.columns);
    af_out_set(s, "rows", r.rows);
    af_out_set(s, "row_count", af_int(a, r.count));
    af_out_set(s, "columns_json", af_str(a, af_json_str(a, r.columns, 0)));
    af_out_set(s, "rows_json", af_str(a, af_json_str(a, r.rows, 0)));
    af_out_set(s, "dtypes", r.dtypes);
    af_out_set(s, "dtypes_json", af_str(a, af_json_str(a, r.dtypes, 0)));
    return AF_SUCCESS;
}

const af_step_desc af_step_db_fetch_small = {
    .abi = AF_ABI_VERSION,
    .name = "db_fetch_small",
    .summary = "fetch a small, bounded result set into outputs (rows_json, dtypes)",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "db",
    .flags = 0,
    .run = run,
    .check = NULL,
    .libs = "-lcrypto",
    .help = "Fails with \"db_fetch_small exceeded max_rows=N. Use db_extract_stream for\n"
            "large results.\" See afc-db(7).",
};
