/*
 * db_extract.c - step `db_extract`: run a query and write every row to a
 * file, as tsv (a header of column names, then str() of each value joined
 * by tabs, NULL as empty, nothing escaped: the reference's format) or
 * jsonl (one {"column": value} object per row, json.dumps style).
 *
 * Rows stream to a temp file beside the output, which is renamed into place
 * at the end; a failure leaves any previous file untouched.
 */
#include "db_int.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "db resource to query"},
    {"sql", AF_TY_STR, 1, NULL, NULL, "the query"},
    {"output", AF_TY_STR, 1, NULL, NULL, "file to write (relative: under the job's artifacts)"},
    {"params", AF_TY_MAP | AF_TY_LIST | AF_TY_NULL | AF_TY_STR, 0, "null", NULL,
     "bound parameters: a mapping for :name, a list for ?"},
    {"format", AF_TY_STR, 0, "\"tsv\"", NULL, "tsv or jsonl"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"output", "string", "absolute path of the file written"},
    {"format", "string", "tsv or jsonl"},
    {"rows", "int", "rows written"},
    {NULL, NULL, NULL},
};

static af_status run(af_step *s)
{
    af_arena *a = af_arena_of(s);
    const char *sql, *output, *fmt = db_lower_in(s, "format", "tsv"), *path;
    if (!fmt || af_in_str(s, "sql", NULL, &sql) < 0 || af_in_str(s, "output", NULL, &output) < 0)
        return AF_FAILED;
    if (strcmp(fmt, "tsv") && strcmp(fmt, "jsonl"))
        return af_fail(s, "Unsupported format: %s", fmt);
    db_ctx x;
    if (db_step_ctx(s, &x) < 0 || af_path(s, "output", output, &path) < 0) return AF_FAILED;
    char err[2048];
    af_db_param *p;
    size_t np;
    int64_t rows;
    if (db_params(a, af_in(s, "params"), &p, &np, err, sizeof err) < 0 ||
        db_extract(&x, sql, p, np, fmt, path, &rows, err, sizeof err) < 0)
        return af_fail(s, "%s", err);
    af_out_set(s, "output", af_str(a, path));
    af_out_set(s, "format", af_str(a, fmt));
    af_out_set(s, "rows", af_int(a, rows));
    const af_kv f[] = {AF_KS("output", path), AF_KI("rows", rows), {0}};
    af_log(s, AF_INFO, "db_extract_written", f);
    return AF_SUCCESS;
}

static void check(af_check *c, const af_value *in)
{
    const af_value *f = af_map_get(in, "format");
    if (f && f->type == AF_STR && !af_check_is_template(c, f) && strcasecmp(f->u.s.ptr, "tsv") &&
        strcasecmp(f->u.s.ptr, "jsonl"))
        af_check_error(c, "format", "Unsupported format: %s (db_extract writes tsv or jsonl)",
                       f->u.s.ptr);
}

const af_step_desc af_step_db_extract = {
    .abi = AF_ABI_VERSION,
    .name = "db_extract",
    .summary = "run a query and write all rows to a tsv or jsonl file",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "db",
    .flags = 0,
    .run = run,
    .check = check,
    .libs = "-lcrypto",
    .help = "tsv: header row, then str() of each value joined by tabs (NULL empty, no escaping);\n"
            "jsonl: one JSON object per row. Written to a temp file and renamed into place.",
};
