/*
 * db_extract_stream.c - step `db_extract_stream`: stream a query to a csv
 * or tsv file with Python csv module semantics for every file option
 * (encoding, delimiter, quotechar, escapechar, doublequote, quoting,
 * linefeed; top-level or under `file:`), computing the SHA-256 while
 * writing. Memory stays flat: rows go from the driver's cursor to the file.
 */
#include "db_int.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "db resource to query"},
    {"sql", AF_TY_STR, 1, NULL, NULL, "the query"},
    {"output", AF_TY_STR, 1, NULL, NULL, "file to write (relative: under the job's artifacts)"},
    {"params", AF_TY_MAP | AF_TY_LIST | AF_TY_NULL | AF_TY_STR, 0, "null", NULL,
     "bound parameters: a mapping for :name, a list for ?"},
    {"format", AF_TY_STR, 0, "\"tsv\"", NULL, "tsv or csv"},
    {"fetch_size", AF_TY_INT, 0, "5000", NULL, "rows per fetch (driver hint)"},
    {"include_header", AF_TY_BOOL, 0, "true", NULL, "write the column names first"},
    {"emit_dtypes", AF_TY_BOOL, 0, "false", NULL, "add dtypes / dtypes_json to the outputs"},
    {"dtypes", AF_TY_MAP | AF_TY_STR | AF_TY_NULL, 0, "null", NULL,
     "column -> dtype to emit instead of the inferred ones"},
    {"dtypes_json", AF_TY_MAP | AF_TY_STR | AF_TY_NULL, 0, "null", NULL, "dtypes as JSON text"},
    {"file", AF_TY_MAP | AF_TY_NULL, 0, "null", NULL, "file options (same keys as below)"},
    {"encoding", AF_TY_STR, 0, "\"utf-8\"", NULL, "Python codec name"},
    {"delimiter", AF_TY_STR, 0, NULL, NULL, "one character; tab for tsv, comma for csv"},
    {"quotechar", AF_TY_STR, 0, "\"\\\"\"", NULL, "one character"},
    {"escapechar", AF_TY_STR | AF_TY_NULL, 0, "null", NULL, "one character, or none"},
    {"doublequote", AF_TY_BOOL, 0, "true", NULL, "a quotechar in a field is doubled"},
    {"quoting", AF_TY_STR, 0, "\"minimal\"", NULL, "minimal, all, nonnumeric or none"},
    {"linefeed", AF_TY_STR, 0, "\"\\n\"", NULL, "record terminator"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"artifact_path", "string", "absolute path of the file written"},
    {"format", "string", "tsv or csv"},
    {"columns", "list[string]", "column names"},
    {"row_count", "int", "rows written (the header not counted)"},
    {"sha256", "string", "SHA-256 of the file, hex"},
    {"dtypes", "map", "with emit_dtypes: column -> bool|int|float|date|datetime|string"},
    {"dtypes_json", "string", "with emit_dtypes: dtypes as JSON"},
    {NULL, NULL, NULL},
};

/* The reference's _parse_jsonish: JSON text of an object or a list becomes
 * that value; anything else stays as it is. */
static const af_value *jsonish(af_arena *a, const af_value *v)
{
    if (!v || v->type != AF_STR) return v;
    const char *p = v->u.s.ptr;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    if (n >= 2 && ((p[0] == '[' && p[n - 1] == ']') || (p[0] == '{' && p[n - 1] == '}'))) {
        af_value *out;
        char e[64];
        if (af_json_parse(a, p, n, &out, e, sizeof e) == 0) return out;
    }
    return v;
}

static af_status run(af_step *s)
{
    af_arena *a = af_arena_of(s);
    db_stream_opts o = {0};
    const char *output;
    o.format = db_lower_in(s, "format", "tsv");
    if (!o.format || af_in_str(s, "sql", NULL, &o.sql) < 0 ||
        af_in_str(s, "output", NULL, &output) < 0 ||
        af_in_int(s, "fetch_size", 5000, &o.fetch_size) < 0)
        return AF_FAILED;
    if (db_in_bool(s, "include_header", 1, &o.include_header) < 0 ||
        db_in_bool(s, "emit_dtypes", 0, &o.emit_dtypes) < 0)
        return AF_FAILED;
    /* `dtypes or dtypes_json`: an empty mapping falls through, as in Python */
    const af_value *dt = jsonish(a, af_in(s, "dtypes"));
    if (!dt || !af_truthy(dt)) dt = jsonish(a, af_in(s, "dtypes_json"));
    if (dt && dt->type != AF_NULL && dt->type != AF_MAP && af_truthy(dt))
        return af_fail(s, "dtypes must be a dict (mapping column -> type)");
    o.dtypes = dt && dt->type == AF_MAP && dt->u.map.n ? (af_value *)dt : NULL;
    if (!strcmp(o.format, "tsv") || !strcmp(o.format, "csv")) {
        if (db_step_dialect(s, o.format, &o.dialect, &o.encoding) < 0) return AF_FAILED;
    } else {
        af_csv_dialect_init(&o.dialect); /* db_extract_stream reports the format */
    }
    db_ctx x;
    if (db_step_ctx(s, &x) < 0 || af_path(s, "output", output, &o.path) < 0) return AF_FAILED;
    char err[2048];
    af_db_param *p;
    size_t np;
    db_stream_res r;
    if (db_params(a, af_in(s, "params"), &p, &np, err, sizeof err) < 0)
        return af_fail(s, "%s", err);
    o.params = p;
    o.nparams = np;
    if (db_extract_stream(&x, &o, &r, err, sizeof err) < 0) return af_fail(s, "%s", err);
    af_out_set(s, "artifact_path", af_str(a, o.path));
    af_out_set(s, "format", af_str(a, o.format));
    af_out_set(s, "columns", r.columns);
    af_out_set(s, "row_count", af_int(a, r.rows));
    af_out_set(s, "sha256", af_str(a, r.sha256));
    if (o.emit_dtypes && r.dtypes && r.dtypes->u.map.n) {
        af_out_set(s, "dtypes", af_value_copy(a, r.dtypes));
        af_out_set(s, "dtypes_json", af_str(a, af_json_str(a, r.dtypes, 0)));
    }
    const af_kv f[] = {
        AF_KS("artifact_path", o.path), AF_KI("row_count", r.rows), AF_KS("sha256", r.sha256), {0}};
    af_log(s, AF_INFO, "db_extract_stream_written", f);
    return AF_SUCCESS;
}

static void check(af_check *c, const af_value *in)
{
    const af_value *f = af_map_get(in, "format");
    if (f && f->type == AF_STR && !af_check_is_template(c, f) && strcasecmp(f->u.s.ptr, "tsv") &&
        strcasecmp(f->u.s.ptr, "csv"))
        af_check_error(c, "format", "db_extract_stream unsupported format: %s (use csv or tsv)",
                       f->u.s.ptr);
    static const char *const chars[] = {"delimiter", "quotechar", "escapechar", NULL};
    const af_value *file = af_map_get(in, "file");
    for (int i = 0; chars[i]; i++) {
        const af_value *v = af_map_get(in, chars[i]);
        if (!v && file && file->type == AF_MAP) v = af_map_get(file, chars[i]);
        uint32_t cp;
        char err[128];
        if (v && v->type == AF_STR && !af_check_is_template(c, v) &&
            af_csv_char(chars[i], v->u.s.ptr, 0, &cp, err, sizeof err) < 0)
            af_check_error(c, chars[i], "%s", err);
    }
    const af_value *q = af_map_get(in, "quoting");
    if (!q && file && file->type == AF_MAP) q = af_map_get(file, "quoting");
    if (q && q->type == AF_STR && !af_check_is_template(c, q) &&
        af_csv_quoting_parse(q->u.s.ptr) < 0)
        af_check_warning(c, "quoting",
                         "unknown quoting '%s' means minimal (use minimal, all, nonnumeric, none)",
                         q->u.s.ptr);
}

const af_step_desc af_step_db_extract_stream = {
    .abi = AF_ABI_VERSION,
    .name = "db_extract_stream",
    .summary = "stream a query to a csv/tsv file with Python csv semantics and its sha256",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "db",
    .flags = 0,
    .run = run,
    .check = check,
    .libs = "-lcrypto",
    .help =
        "Values are written as Python's str() of the driver's value, NULL as an empty field.\n"
        "With linefeed \"\\n\" a value holding a lone \"\\r\" is written unquoted, as Python 3.11\n"
        "does; readers then split the record there. Use linefeed \"\\r\\n\" to quote it.",
};
