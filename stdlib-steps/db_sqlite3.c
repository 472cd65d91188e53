/*
 * db_sqlite3.c - the `sqlite3` driver of the db connector kind (libsqlite3).
 *
 * Config: path, or url sqlite:///PATH (sqlite:////abs/path for an absolute
 * one), or ":memory:". Options: busy_timeout (seconds, default 5 like
 * Python's sqlite3), read_only. Values come back as Python's sqlite3 module
 * returns them: INTEGER -> int, REAL -> float, TEXT -> str, BLOB -> bytes;
 * declared column types say nothing (the reference's description has no
 * type codes), so the steps infer dtypes from values. Parameters bind
 * natively (`:name`, `?`); errors use the sqlite3 module's wording.
 */
#include "db_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sq_db {
    sqlite3 *h;
    af_arena *a;
} sq_db;

struct af_db_stmt {
    sq_db *db;
    sqlite3_stmt *st;
    af_db_column *cols;
    size_t ncols;
    af_db_cell *row;
    int state; /* 0 nothing, 1 a row is waiting, 2 step needed, 3 done */
    int is_dml;
    int64_t rowcount;
};

static int sq_fail(char *err, size_t errlen, const char *what, sqlite3 *h)
{
    snprintf(err, errlen, "sqlite3: %s%s%s", what ? what : "", what ? ": " : "",
             h ? sqlite3_errmsg(h) : "out of memory");
    return -1;
}

static const char *str_opt(const af_value *m, const char *k)
{
    af_value *v = m ? af_map_get(m, k) : NULL;
    return v && v->type == AF_STR && v->u.s.len ? v->u.s.ptr : NULL;
}

static int sq_connect(af_arena *a, const af_value *config, const af_value *options, void **out,
                      char *err, size_t errlen)
{
    const char *url = str_opt(config, "url"), *path = NULL;
    if (url && !strncmp(url, "sqlite:///", 10))
        path = url + 10;
    else if ((path = str_opt(config, "path")) != NULL)
        ;
    else if (url && (!strcmp(url, ":memory:") || !strcmp(url, "sqlite://")))
        path = ":memory:";
    else
        return snprintf(err, errlen, "SQLite connector requires config.path or config.url"), -1;
    double busy = 5.0;
    int ro = 0;
    af_value *v = options ? af_map_get(options, "busy_timeout") : NULL;
    if (v && v->type != AF_NULL && af_to_double(v, &busy) < 0)
        return snprintf(err, errlen, "options.busy_timeout must be a number of seconds"), -1;
    v = options ? af_map_get(options, "read_only") : NULL;
    if (!v && config) v = af_map_get(config, "read_only");
    if (v && af_to_bool(v, &ro) < 0)
        return snprintf(err, errlen, "read_only must be a boolean (true or false)"), -1;
    sqlite3 *h = NULL;
    int flags = (ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &h, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "sqlite3: cannot open %s: %s", path,
                 h ? sqlite3_errmsg(h) : "out of memory");
        sqlite3_close(h);
        return -1;
    }
    sqlite3_busy_timeout(h, (int)(busy * 1000));
    sqlite3_extended_result_codes(h, 1);
    sq_db *db = af_alloc(a, sizeof *db);
    db->h = h;
    db->a = a;
    *out = db;
    return 0;
}

static void sq_disconnect(void *p)
{
    sq_db *db = p;
    if (db && db->h) sqlite3_close_v2(db->h);
    if (db) db->h = NULL;
}

/* The sqlite3 module's rule: rowcount is kept for INSERT/UPDATE/DELETE/REPLACE. */
static int is_dml(const char *s)
{
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '(')
            s++;
        if (s[0] == '-' && s[1] == '-') {
            while (*s && *s != '\n')
                s++;
        } else if (s[0] == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            s = e ? e + 2 : s + strlen(s);
        } else {
            break;
        }
    }
    static const char *const kw[] = {"insert", "update", "delete", "replace", "with", NULL};
    for (int i = 0; kw[i]; i++) {
        size_t n = strlen(kw[i]);
        if (!strncasecmp(s, kw[i], n) && !((s[n] | 32) >= 'a' && (s[n] | 32) <= 'z')) return i < 4;
    }
    return 0;
}

static int only_space(const char *s)
{
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == ';')
            s++;
        if (s[0] == '-' && s[1] == '-') {
            while (*s && *s != '\n')
                s++;
        } else if (s[0] == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            if (!e) return 1;
            s = e + 2;
        } else {
            return *s == 0;
        }
    }
}

static int sq_prepare(void *p, const char *sql, af_db_stmt **out, char *err, size_t errlen)
{
    sq_db *db = p;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, &tail) != SQLITE_OK)
        return sq_fail(err, errlen, NULL, db->h);
    if (tail && !only_space(tail)) {
        sqlite3_finalize(st);
        return snprintf(err, errlen, "sqlite3: You can only execute one statement at a time."), -1;
    }
    af_db_stmt *s = calloc(1, sizeof *s);
    s->db = db;
    s->st = st;
    s->is_dml = is_dml(sql);
    s->rowcount = -1;
    if (st) {
        s->ncols = (size_t)sqlite3_column_count(st);
        s->cols = calloc(s->ncols + 1, sizeof *s->cols);
        s->row = calloc(s->ncols + 1, sizeof *s->row);
        for (size_t i = 0; i < s->ncols; i++) {
            s->cols[i].name = sqlite3_column_name(st, (int)i);
            s->cols[i].type = AF_DT_OBJECT;
            s->cols[i].db_type = sqlite3_column_decltype(st, (int)i);
        }
    }
    *out = s;
    return 0;
}

static int bind_one(sqlite3_stmt *st, int i, const af_db_cell *c)
{
    switch (c->kind) {
    case AF_DB_NULL:
        return sqlite3_bind_null(st, i);
    case AF_DB_INT:
        if (c->s) return sqlite3_bind_text(st, i, c->s, (int)c->len, SQLITE_STATIC);
        return sqlite3_bind_int64(st, i, c->i);
    case AF_DB_BOOL:
        return sqlite3_bind_int64(st, i, c->i ? 1 : 0);
    case AF_DB_FLOAT:
        return sqlite3_bind_double(st, i, c->d);
    case AF_DB_BYTES:
        return sqlite3_bind_blob64(st, i, c->s, c->len, SQLITE_STATIC);
    default:
        return sqlite3_bind_text64(st, i, c->s, c->len, SQLITE_STATIC, SQLITE_UTF8);
    }
}

static int sq_step(af_db_stmt *s, char *err, size_t errlen)
{
    int rc = sqlite3_step(s->st);
    if (rc == SQLITE_ROW) {
        s->state = 1;
        return 0;
    }
    if (rc == SQLITE_DONE) {
        s->state = 3;
        if (s->is_dml) s->rowcount = sqlite3_changes64(s->db->h);
        return 0;
    }
    s->state = 3;
    sq_fail(err, errlen, NULL, s->db->h);
    sqlite3_reset(s->st);
    return -1;
}

static int sq_execute(af_db_stmt *s, const af_db_param *p, size_t n, int64_t fetch_size, char *err,
                      size_t errlen)
{
    s->state = 0;
    s->rowcount = -1;
    if (!s->st) {
        s->state = 3;
        return 0;
    }
    sqlite3_reset(s->st);
    int count = sqlite3_bind_parameter_count(s->st);
    int named = n > 0 && p[0].name;
    if (named || (n == 0 && count > 0)) {
        for (int i = 1; i <= count; i++) {
            const char *name = sqlite3_bind_parameter_name(s->st, i);
            if (!name)
                return snprintf(err, errlen,
                                "sqlite3: Binding %d has no name, but you supplied a dictionary "
                                "(which has only names).",
                                i),
                       -1;
            size_t k;
            for (k = 0; k < n; k++)
                if (!strcmp(p[k].name, name + 1)) break;
            if (k == n)
                return snprintf(err, errlen,
                                "sqlite3: You did not supply a value for binding parameter %s.",
                                name),
                       -1;
            if (bind_one(s->st, i, &p[k].v) != SQLITE_OK)
                return sq_fail(err, errlen, "bind", s->db->h);
        }
    } else {
        if ((size_t)count != n)
            return snprintf(err, errlen,
                            "sqlite3: Incorrect number of bindings supplied. The current "
                            "statement uses %d, and there are %zu supplied.",
                            count, n),
                   -1;
        for (int i = 1; i <= count; i++)
            if (bind_one(s->st, i, &p[i - 1].v) != SQLITE_OK)
                return sq_fail(err, errlen, "bind", s->db->h);
    }
    return sq_step(s, err, errlen);
}

static void sq_columns(af_db_stmt *s, const af_db_column **cols, size_t *n)
{
    *cols = s->cols;
    *n = s->ncols;
}

static int sq_next(af_db_stmt *s, const af_db_cell **row, char *err, size_t errlen)
{
    if (s->state == 2 && sq_step(s, err, errlen) < 0) return -1;
    if (s->state != 1) return 0;
    for (size_t i = 0; i < s->ncols; i++) {
        af_db_cell *c = &s->row[i];
        int ci = (int)i;
        c->s = NULL;
        c->len = 0;
        switch (sqlite3_column_type(s->st, ci)) {
        case SQLITE_INTEGER:
            c->kind = AF_DB_INT;
            c->i = sqlite3_column_int64(s->st, ci);
            break;
        case SQLITE_FLOAT:
            c->kind = AF_DB_FLOAT;
            c->d = sqlite3_column_double(s->st, ci);
            break;
        case SQLITE_TEXT:
            c->kind = AF_DB_TEXT;
            c->s = (const char *)sqlite3_column_text(s->st, ci);
            c->len = (size_t)sqlite3_column_bytes(s->st, ci);
            break;
        case SQLITE_BLOB:
            c->kind = AF_DB_BYTES;
            c->s = sqlite3_column_blob(s->st, ci);
            c->len = (size_t)sqlite3_column_bytes(s->st, ci);
            if (!c->s) c->s = "";
            break;
        default:
            c->kind = AF_DB_NULL;
            break;
        }
    }
    s->state = 2;
    *row = s->row;
    return 1;
}

static int64_t sq_rowcount(af_db_stmt *s)
{
    return s->rowcount;
}

static void sq_finalize(af_db_stmt *s)
{
    if (!s) return;
    sqlite3_finalize(s->st);
    free(s->cols);
    free(s->row);
    free(s);
}

static int sq_exec(sq_db *db, const char *sql, char *err, size_t errlen)
{
    if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sq_fail(err, errlen, sql, db->h);
    return 0;
}

static int sq_begin(void *db, char *err, size_t errlen)
{
    return sq_exec(db, "BEGIN", err, errlen);
}

static int sq_commit(void *db, char *err, size_t errlen)
{
    return sq_exec(db, "COMMIT", err, errlen);
}

static int sq_rollback(void *p, char *err, size_t errlen)
{
    sq_db *db = p;
    if (sqlite3_get_autocommit(db->h)) return 0; /* nothing open */
    return sq_exec(db, "ROLLBACK", err, errlen);
}

static const char *sq_sql_type(void *db, int t)
{
    switch (t) {
    case AF_DT_BOOL:
    case AF_DT_INT:
        return "INTEGER";
    case AF_DT_FLOAT:
    case AF_DT_DECIMAL:
        return "REAL";
    case AF_DT_BYTES:
        return "BLOB";
    default:
        return "TEXT";
    }
}

static const af_db_ops sqlite_ops = {
    .abi = AF_DB_ABI,
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .prepare = sq_prepare,
    .execute = sq_execute,
    .columns = sq_columns,
    .next = sq_next,
    .rowcount = sq_rowcount,
    .finalize = sq_finalize,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .sql_type = sq_sql_type, /* no bulk path: prepared INSERTs are SQLite's fastest */
};

/* For db_sqlalchemy.c: the same table under a known name. */
const af_db_ops *db_sqlite_ops(void)
{
    return &sqlite_ops;
}

static const af_input sq_config[] = {
    {"path", AF_TY_STR, 0, NULL, NULL, "database file (created when missing)"},
    {"url", AF_TY_STR, 0, NULL, NULL, "sqlite:///relative.db, sqlite:////abs.db or :memory:"},
    {"read_only", AF_TY_BOOL, 0, "false", NULL, "open read-only"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_input sq_options[] = {
    {"busy_timeout", AF_TY_NUMBER, 0, "5", NULL, "seconds to wait on a locked database"},
    {"read_only", AF_TY_BOOL, 0, "false", NULL, "open read-only"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

const af_driver af_driver_db_sqlite3 = {
    .abi = AF_ABI_VERSION,
    .kind = "db",
    .name = "sqlite3",
    .aliases = "sqlite",
    .summary = "SQLite database file through libsqlite3",
    .config = sq_config,
    .options = sq_options,
    .open = af_db_driver_open,
    .close = af_db_driver_close,
    .ops = &sqlite_ops, /* af_db_ops */
    .libs = "-lsqlite3 -lcrypto", /* db_common.c hashes outputs */
};
