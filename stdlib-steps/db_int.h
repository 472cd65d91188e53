/*
 * db_int.h - internals shared by the db_* steps and drivers (stdlib-steps).
 *
 * db_common.c holds everything here: formatting of cells as the reference
 * implementation prints them, parameter conversion, a cursor that infers
 * column dtypes the way the reference does, atomic output with SHA-256
 * computed while writing, and the work of each step (extract, fetch_small,
 * extract_stream, load, exec) with explicit arguments so tests can run it
 * on a connection without the executor. The db_<step>.c files only read
 * inputs, call these and set outputs.
 */
#ifndef DB_INT_H
#define DB_INT_H

#include "af.h"
#include "af_csv.h"
#include "af_db.h"

#include <string.h>
#include <strings.h>

/* ---- formatting (Python semantics) -------------------------------------- */

/* repr(float): shortest round-trip digits, "12.0", "1e+16", "inf", "nan". */
/* str(v) of the Python value a reference driver returns for the cell.
 * NULL appends nothing (callers write "" for None). */
void db_pystr(af_buf *b, const af_db_cell *c);
/* json.dumps(_json_safe(v), ensure_ascii=False): Decimal as float, dates as
 * isoformat(), JSON documents re-serialised, bytes as their repr text. */
void db_json(af_buf *b, const af_db_cell *c);
/* The same JSON-safe value as an af_value in a. */
af_value *db_value(af_arena *a, const af_db_cell *c);
/* The dtype a value of this kind implies (_pytype_from_value). */
int db_kind_dtype(int kind);

/* ---- parameters --------------------------------------------------------- */

/* Turns a step's `params` (null, a map for named, a list for positional, or
 * a JSON string of either) into driver parameters. Returns 0 or -1. */
int db_params(af_arena *a, const af_value *params, af_db_param **out, size_t *n, char *err,
              size_t errlen);

/* ---- cursor ------------------------------------------------------------- */

#define DB_SAMPLE_ROWS 200 /* the reference's sample_size */

typedef struct db_cursor {
    const af_db_ops *ops;
    af_db_stmt *st;
    const af_db_column *cols;
    size_t ncols;
    int *types;          /* af_db_dtype per column, when inferred */
    af_arena *sa;        /* sampled rows */
    af_db_cell **sample; /* copies of the first rows, replayed first */
    size_t nsample, spos;
    int ended; /* the driver said 0 */
} db_cursor;

/* Prepares and executes sql. infer: also settle column dtypes as the
 * reference does (metadata, or the first non-null value of the first 200
 * rows when metadata says nothing). Returns 0 or -1 with err. */
int db_cursor_open(db_cursor *c, const af_db_ops *ops, void *db, const char *sql,
                   const af_db_param *p, size_t np, int64_t fetch_size, int infer, char *err,
                   size_t errlen);
int db_cursor_next(db_cursor *c, const af_db_cell **row, char *err, size_t errlen);
void db_cursor_close(db_cursor *c);

/* ---- output files ------------------------------------------------------- */

typedef struct db_out {
    af_atomic f;
    void *md; /* EVP_MD_CTX */
    char *buf;
    size_t n;
    uint64_t bytes;
    int open;
} db_out;

/* Creates the parent directory and an atomic temp file for path. */
int db_out_open(db_out *o, const char *path, char *err, size_t errlen);
int db_out_write(db_out *o, const void *p, size_t n, char *err, size_t errlen);
/* Flushes, fsyncs and renames into place; hex gets the SHA-256 (may be NULL). */
int db_out_commit(db_out *o, char hex[65], char *err, size_t errlen);
void db_out_abort(db_out *o); /* safe after commit and twice */

/* ---- the steps' work ---------------------------------------------------- */

typedef int (*db_cancel_fn)(void *ud); /* nonzero: stop (af_cancelled) */

typedef struct db_ctx {
    af_arena *a; /* results live here */
    const af_db_ops *ops;
    void *db;
    db_cancel_fn cancelled; /* may be NULL */
    void *cancel_ud;
} db_ctx;

/* db_extract: all rows to path as tsv (header + str() values joined by tabs,
 * nothing escaped, as the reference) or jsonl. */
int db_extract(db_ctx *x, const char *sql, const af_db_param *p, size_t np, const char *format,
               const char *path, int64_t *rows, char *err, size_t errlen);

typedef struct db_small {
    af_value *columns, *rows, *dtypes; /* list, list of lists, map */
    int64_t count;
} db_small;
int db_fetch_small(db_ctx *x, const char *sql, const af_db_param *p, size_t np, int64_t max_rows,
                   int64_t fetch_size, db_small *out, char *err, size_t errlen);

typedef struct db_stream_opts {
    const char *sql;
    const af_db_param *params;
    size_t nparams;
    const char *format; /* tsv | csv */
    const char *path;
    int64_t fetch_size;
    int include_header;
    int emit_dtypes;
    af_value *dtypes; /* given dtypes map, or NULL */
    af_csv_dialect dialect;
    const char *encoding;
} db_stream_opts;
typedef struct db_stream_res {
    af_value *columns; /* list of strings */
    int64_t rows;
    char sha256[65];
    af_value *dtypes; /* map, or NULL when not emitted */
} db_stream_res;
int db_extract_stream(db_ctx *x, const db_stream_opts *o, db_stream_res *r, char *err,
                      size_t errlen);

enum { DB_APPEND, DB_TRUNCATE, DB_REPLACE };

typedef struct db_load_opts {
    const char *path;
    const char *table;          /* as written in the flow: name or schema.name */
    int header;                 /* first record holds column names */
    const char *const *columns; /* target names for the file's columns, or NULL */
    size_t ncolumns;
    const af_value *column_map; /* map file column -> table column (others skipped), or NULL */
    const af_value *dtypes;     /* map column -> dtype label or SQL type, for CREATE */
    int mode;                   /* DB_APPEND, DB_TRUNCATE, DB_REPLACE */
    int create;                 /* create the table when missing */
    int64_t batch_size;
    int empty_as_null; /* an empty unquoted field is NULL */
    af_csv_dialect dialect;
    const char *encoding;
} db_load_opts;
typedef struct db_load_res {
    int64_t rows;
    int created;
    af_value *columns; /* target column names */
} db_load_res;
int db_load(db_ctx *x, const db_load_opts *o, db_load_res *r, char *err, size_t errlen);

/* db_exec: each statement with the same params; in one transaction when
 * transaction is set. rowcounts: list of ints (-1: not a DML statement). */
int db_exec(db_ctx *x, const char *const *sqls, size_t n, const af_db_param *p, size_t np,
            int transaction, af_value **rowcounts, int64_t *total, char *err, size_t errlen);

/* Checks a table name written in a flow: identifiers, optionally
 * double-quoted, joined by dots. Returns 0 or -1 with err. */
int db_check_table(const char *table, char *err, size_t errlen);

/* ---- step helpers (static inline: only the step files use them) --------- */

static inline int db_step_cancelled(void *ud)
{
    return af_cancelled((af_step *)ud);
}

/* The step's `resource` as an opened db connection (routing resolved). */
static inline int db_step_ctx(af_step *s, db_ctx *x)
{
    const char *res;
    if (af_in_str(s, "resource", NULL, &res) < 0) return -1;
    af_conn *c = af_connector(s, res, "db");
    if (!c) return -1;
    x->a = af_arena_of(s);
    x->ops = af_conn_driver(c)->ops;
    x->db = af_conn_impl(c);
    af_db_resolve(&x->ops, &x->db);
    x->cancelled = db_step_cancelled;
    x->cancel_ud = s;
    return 0;
}

/* A boolean input read with af_in_bool (the strings false/no/off/0 are
 * false), def when absent or null. 0, or -1 with the failure recorded. */
static inline int db_in_bool(af_step *s, const char *name, int def, int *out)
{
    const af_value *v = af_in(s, name);
    if (!v || v->type == AF_NULL) return *out = def, 0;
    return af_in_bool(s, name, def, out);
}

/* The reference's _file_opt: the top-level input when set (not null), else
 * the key in the `file` mapping, else NULL. */
static inline const af_value *db_file_opt(af_step *s, const char *key)
{
    const af_value *v = af_in(s, key);
    if (v && v->type != AF_NULL) return v;
    const af_value *f = af_in(s, "file");
    if (f && f->type == AF_MAP) {
        v = af_map_get(f, key);
        if (v && v->type != AF_NULL) return v;
    }
    return NULL;
}

/* str() of a file option, or def. */
static inline const char *db_file_str(af_step *s, const char *key, const char *def)
{
    const af_value *v = db_file_opt(s, key);
    if (!v) return def;
    if (v->type == AF_STR) return v->u.s.ptr;
    af_buf b = {0};
    af_py_str(&b, v);
    const char *r = af_strndup(af_arena_of(s), af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return r;
}

/* A boolean file option read with af_to_bool, or def. 0, or -1 with the
 * failure recorded. */
static inline int db_file_bool(af_step *s, const char *key, int def, int *out)
{
    const af_value *v = db_file_opt(s, key);
    if (!v) return *out = def, 0;
    if (af_to_bool(v, out) == 0) return 0;
    af_fail(s, "input '%s' must be a boolean (true or false)", key);
    return -1;
}

/* The csv dialect and encoding from the file options, as
 * db_extract_stream reads them (delimiter default: tab for tsv, comma
 * otherwise). Records a failure and returns -1 on a bad option. */
static inline int db_step_dialect(af_step *s, const char *fmt, af_csv_dialect *d,
                                  const char **encoding)
{
    char err[256];
    af_csv_dialect_init(d);
    *encoding = db_file_str(s, "encoding", "utf-8");
    const char *delim = db_file_str(s, "delimiter", strcmp(fmt, "tsv") ? "," : "\t");
    const char *qc = db_file_str(s, "quotechar", "\"");
    const af_value *esc = db_file_opt(s, "escapechar");
    const char *escs = esc ? db_file_str(s, "escapechar", NULL) : NULL;
    if (af_csv_char("delimiter", delim, 0, &d->delimiter, err, sizeof err) < 0 ||
        af_csv_char("quotechar", qc, 0, &d->quotechar, err, sizeof err) < 0 ||
        af_csv_char("escapechar", escs, 1, &d->escapechar, err, sizeof err) < 0)
        return af_fail(s, "%s", err), -1;
    if (db_file_bool(s, "doublequote", 1, &d->doublequote) < 0 ||
        db_file_bool(s, "skipinitialspace", 0, &d->skipinitialspace) < 0 ||
        db_file_bool(s, "strict", 0, &d->strict) < 0)
        return -1;
    int q = af_csv_quoting_parse(db_file_str(s, "quoting", "minimal"));
    d->quoting = q < 0 ? AF_CSV_QUOTE_MINIMAL : (af_csv_quoting)q; /* the reference's fallback */
    d->lineterminator = db_file_str(s, "linefeed", "\n");
    if (af_csv_dialect_check(d, err, sizeof err) < 0) return af_fail(s, "%s", err), -1;
    return 0;
}

/* A string input lowercased (the reference's `(x or default).lower()`). */
static inline const char *db_lower_in(af_step *s, const char *name, const char *def)
{
    const char *v;
    if (af_in_str(s, name, def, &v) < 0) return NULL;
    if (!v || !*v) v = def;
    char *l = af_strdup(af_arena_of(s), v);
    for (char *p = l; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    return l;
}

/* The built-in drivers' tables, for db_sqlalchemy.c's routing. */
const af_db_ops *db_sqlite_ops(void);
const af_db_ops *db_postgres_ops(void);
const af_db_ops *db_odbc_ops(void);
const af_db_ops *db_mysql_ops(void); /* odbc, configured from a mysql:// url */

#endif /* DB_INT_H */
