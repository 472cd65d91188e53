/*
 * db_load.c - step `db_load` (afc's own; the reference has none): load a
 * csv or tsv artifact into a table, the "load" half of ETL.
 *
 * The file is read with Python csv semantics (the same file options as
 * db_extract_stream). Columns come from the header row, renamed by a
 * `columns` list or mapping. The table is created when missing (types from
 * `dtypes`: bool, int, float, date, datetime, string, or any SQL type
 * written as is); mode append adds rows, truncate empties the table first,
 * replace drops and recreates it. Everything happens in one transaction:
 * a bad row leaves the table as it was. PostgreSQL loads through
 * COPY FROM STDIN, ODBC through parameter arrays, SQLite through one
 * prepared INSERT per row.
 */
#include "db_int.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "db resource to load into"},
    {"input", AF_TY_STR, 1, NULL, NULL, "csv/tsv file (relative: under the job's artifacts)"},
    {"table", AF_TY_STR, 1, NULL, NULL, "table name, optionally schema.table"},
    {"format", AF_TY_STR, 0, NULL, NULL, "csv or tsv (default: tsv for *.tsv, else csv)"},
    {"header", AF_TY_BOOL, 0, "true", NULL, "the first row holds column names"},
    {"columns", AF_TY_LIST | AF_TY_MAP | AF_TY_NULL, 0, "null", NULL,
     "table column per file column (list), or file column -> table column (mapping)"},
    {"dtypes", AF_TY_MAP | AF_TY_STR | AF_TY_NULL, 0, "null", NULL,
     "column -> dtype or SQL type, for a table that is created"},
    {"mode", AF_TY_STR, 0, "\"append\"", "append|truncate|replace",
     "what happens to existing rows"},
    {"create", AF_TY_BOOL, 0, "true", NULL, "create the table when it does not exist"},
    {"batch_size", AF_TY_INT, 0, "5000", NULL, "rows between cancellation checks"},
    {"empty_as_null", AF_TY_BOOL, 0, "true", NULL, "an empty field loads as NULL"},
    {"file", AF_TY_MAP | AF_TY_NULL, 0, "null", NULL, "file options (same keys as below)"},
    {"encoding", AF_TY_STR, 0, "\"utf-8\"", NULL, "Python codec name"},
    {"delimiter", AF_TY_STR, 0, NULL, NULL, "one character; tab for tsv, comma for csv"},
    {"quotechar", AF_TY_STR, 0, "\"\\\"\"", NULL, "one character"},
    {"escapechar", AF_TY_STR | AF_TY_NULL, 0, "null", NULL, "one character, or none"},
    {"doublequote", AF_TY_BOOL, 0, "true", NULL, "a doubled quotechar is one"},
    {"quoting", AF_TY_STR, 0, "\"minimal\"", NULL, "minimal, all, nonnumeric or none"},
    {"skipinitialspace", AF_TY_BOOL, 0, "false", NULL, "ignore spaces after a delimiter"},
    {"strict", AF_TY_BOOL, 0, "false", NULL, "fail on malformed quoting"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"table", "string", "the table loaded"},
    {"rows", "int", "rows loaded"},
    {"mode", "string", "append, truncate or replace"},
    {"created", "bool", "the table was created by this step"},
    {"columns", "list[string]", "table columns loaded"},
    {NULL, NULL, NULL},
};

static af_status run(af_step *s)
{
    af_arena *a = af_arena_of(s);
    db_load_opts o = {0};
    const char *input, *mode;
    if (af_in_str(s, "input", NULL, &input) < 0 || af_in_str(s, "table", NULL, &o.table) < 0 ||
        af_in_int(s, "batch_size", 5000, &o.batch_size) < 0 ||
        !(mode = db_lower_in(s, "mode", "append")))
        return AF_FAILED;
    size_t il = strlen(input);
    const char *fmt =
        db_lower_in(s, "format", il > 4 && !strcasecmp(input + il - 4, ".tsv") ? "tsv" : "csv");
    if (!fmt) return AF_FAILED;
    if (strcmp(fmt, "csv") && strcmp(fmt, "tsv"))
        return af_fail(s, "db_load unsupported format: %s (use csv or tsv)", fmt);
    if (!strcmp(mode, "append"))
        o.mode = DB_APPEND;
    else if (!strcmp(mode, "truncate"))
        o.mode = DB_TRUNCATE;
    else if (!strcmp(mode, "replace"))
        o.mode = DB_REPLACE;
    else
        return af_fail(s, "mode must be append, truncate or replace (got %s)", mode);
    if (db_in_bool(s, "header", 1, &o.header) < 0 || db_in_bool(s, "create", 1, &o.create) < 0 ||
        db_in_bool(s, "empty_as_null", 1, &o.empty_as_null) < 0)
        return AF_FAILED;
    const af_value *cols = af_in(s, "columns");
    if (cols && cols->type == AF_LIST) {
        const char **names = af_alloc(a, (cols->u.list.n + 1) * sizeof *names);
        for (size_t i = 0; i < cols->u.list.n; i++) {
            const af_value *v = cols->u.list.items[i];
            if (v->type != AF_STR) return af_fail(s, "columns[%zu] must be a string", i);
            names[i] = v->u.s.ptr;
        }
        o.columns = names;
        o.ncolumns = cols->u.list.n;
    } else if (cols && cols->type == AF_MAP) {
        o.column_map = cols;
    }
    const af_value *dt = af_in(s, "dtypes");
    if (dt && dt->type == AF_STR && dt->u.s.len) {
        af_value *v;
        char e[128];
        if (af_json_parse(a, dt->u.s.ptr, dt->u.s.len, &v, e, sizeof e) < 0 || v->type != AF_MAP)
            return af_fail(s, "dtypes must be a dict (mapping column -> type)");
        dt = v;
    }
    o.dtypes = dt && dt->type == AF_MAP ? dt : NULL;
    if (db_step_dialect(s, fmt, &o.dialect, &o.encoding) < 0) return AF_FAILED;
    db_ctx x;
    if (db_step_ctx(s, &x) < 0 || af_path(s, "input", input, &o.path) < 0) return AF_FAILED;
    char err[2048];
    db_load_res r;
    if (db_load(&x, &o, &r, err, sizeof err) < 0) return af_fail(s, "%s", err);
    af_out_set(s, "table", af_str(a, o.table));
    af_out_set(s, "rows", af_int(a, r.rows));
    af_out_set(s, "mode", af_str(a, mode));
    af_out_set(s, "created", af_bool(r.created));
    af_out_set(s, "columns", r.columns);
    const af_kv f[] = {AF_KS("table", o.table), AF_KI("rows", r.rows), AF_KS("mode", mode), {0}};
    af_log(s, AF_INFO, "db_load_done", f);
    return AF_SUCCESS;
}

static void check(af_check *c, const af_value *in)
{
    const af_value *t = af_map_get(in, "table");
    char err[256];
    if (t && t->type == AF_STR && !af_check_is_template(c, t) &&
        db_check_table(t->u.s.ptr, err, sizeof err) < 0)
        af_check_error(c, "table", "%s", err);
    const af_value *f = af_map_get(in, "format");
    if (f && f->type == AF_STR && !af_check_is_template(c, f) && strcasecmp(f->u.s.ptr, "csv") &&
        strcasecmp(f->u.s.ptr, "tsv"))
        af_check_error(c, "format", "db_load unsupported format: %s (use csv or tsv)", f->u.s.ptr);
}

const af_step_desc af_step_db_load = {
    .abi = AF_ABI_VERSION,
    .name = "db_load",
    .summary = "load a csv/tsv artifact into a table in one transaction",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "db",
    .flags = 0,
    .run = run,
    .check = check,
    .libs = "-lcrypto",
    .help = "PostgreSQL: COPY FROM STDIN; ODBC: parameter arrays; SQLite: a prepared INSERT.\n"
            "One transaction. See afc-db(7).",
};
