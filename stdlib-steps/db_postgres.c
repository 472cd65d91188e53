/*
 * db_postgres.c - the `postgres` driver of the db connector kind (libpq).
 *
 * Config: url or dsn (postgresql://..., postgres://..., SQLAlchemy's
 * postgresql+psycopg2://..., or a "key=value" conninfo string), and/or
 * host, port, user, password, dbname, sslmode (these win over the url).
 * Options: connect_timeout (seconds, default 10), statement_timeout
 * (seconds as a number, or a PostgreSQL interval string such as "5min"),
 * application_name (default "afc").
 *
 * Results stream in single-row mode, so memory stays flat whatever the row
 * count. Values keep PostgreSQL's text form and are labelled by type OID
 * (the steps format them as psycopg2's Python values print). Parameters are
 * sent with PQsendQueryParams: `:name` and `?` are rewritten to $N
 * placeholders and never spliced into the SQL. db_load goes through
 * COPY ... FROM STDIN.
 */
#include "db_int.h"

#include <postgresql/libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COPY_BUF (256 * 1024)

typedef struct pg_db {
    PGconn *conn;
    af_arena *a;
    const char *password; /* scrubbed from messages */
} pg_db;

struct af_db_stmt {
    pg_db *db;
    char *sql;
    PGresult *res; /* the current single-row (or final) result */
    int busy;      /* results still to be read from the connection */
    int have_row;  /* res holds a row not yet handed out */
    int first;     /* res is the first result (carries the columns) */
    af_db_column *cols;
    af_db_cell *row;
    size_t ncols;
    Oid *types;
    int64_t rowcount;
    af_buf bytes; /* decoded bytea values of the current row */
    size_t *boff;
    char *names; /* column names, copied: results come and go */
};

/* Copies libpq's message into err: "postgres: WHAT: message", the last
 * newline dropped and the password never shown. */
static int pg_fail(pg_db *db, const char *what, const char *msg, char *err, size_t errlen)
{
    char m[900];
    snprintf(m, sizeof m, "%s", msg && *msg ? msg : "unknown error");
    size_t l = strlen(m);
    while (l && (m[l - 1] == '\n' || m[l - 1] == ' '))
        m[--l] = 0;
    for (char *p = m; *p; p++)
        if (*p == '\n') *p = ' ';
    if (db) af_db_scrub(m, db->password);
    snprintf(err, errlen, "postgres: %s%s%s", what ? what : "", what ? ": " : "", m);
    return -1;
}

static int res_fail(pg_db *db, PGresult *r, char *err, size_t errlen)
{
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const char *ctx = PQresultErrorField(r, PG_DIAG_CONTEXT);
    char m[900];
    if (msg)
        snprintf(m, sizeof m, "%s%s%s", msg, ctx ? " (" : "", ctx ? ctx : "");
    else
        snprintf(m, sizeof m, "%s", PQerrorMessage(db->conn));
    if (msg && ctx) strncat(m, ")", sizeof m - strlen(m) - 1);
    return pg_fail(db, NULL, m, err, errlen);
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs (e.g. "table does not exist, skipping") are not errors */
}

static const char *cfg_str(af_arena *a, const af_value *m, const char *k)
{
    af_value *v = m ? af_map_get(m, k) : NULL;
    if (!v || v->type == AF_NULL) return NULL;
    if (v->type == AF_STR) return v->u.s.len ? v->u.s.ptr : NULL;
    af_buf b = {0};
    af_py_str(&b, v);
    const char *s = af_strndup(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return s;
}

static int pg_connect(af_arena *a, const af_value *config, const af_value *options, void **out,
                      char *err, size_t errlen)
{
    const char *kw[16], *val[16];
    int n = 0;
    const char *url = cfg_str(a, config, "url");
    if (!url) url = cfg_str(a, config, "dsn");
    if (url) {
        /* SQLAlchemy names the Python driver in the scheme: postgresql+psycopg2:// */
        const char *plus = strchr(url, '+'), *colon = strstr(url, "://");
        if (plus && colon && plus < colon)
            url = af_sprintf(a, "%.*s%s", (int)(plus - url), url, colon);
        kw[n] = "dbname", val[n++] = url;
    }
    static const char *const keys[] = {"host",   "port",    "user", "password",
                                       "dbname", "sslmode", NULL};
    const char *password = NULL;
    for (int i = 0; keys[i]; i++) {
        const char *v = cfg_str(a, config, keys[i]);
        if (!v && !strcmp(keys[i], "user")) v = cfg_str(a, config, "username");
        if (!v && !strcmp(keys[i], "dbname")) v = cfg_str(a, config, "database");
        if (!v) continue;
        if (!strcmp(keys[i], "password")) password = v;
        kw[n] = keys[i], val[n++] = v;
    }
    if (!url && !cfg_str(a, config, "host") && !cfg_str(a, config, "dbname") &&
        !cfg_str(a, config, "database"))
        return snprintf(err, errlen,
                        "postgres connector requires config.url (or dsn) or "
                        "config.host/dbname"),
               -1;
    const char *ct = cfg_str(a, options, "connect_timeout");
    kw[n] = "connect_timeout", val[n++] = ct ? ct : "10";
    const char *app = cfg_str(a, options, "application_name");
    kw[n] = "application_name", val[n++] = app ? app : "afc";
    kw[n] = "client_encoding", val[n++] = "UTF8";
    /* the text forms the formatting code expects, whatever the server's defaults */
    af_buf o = {0};
    af_buf_puts(&o, "-c DateStyle=ISO,MDY -c IntervalStyle=postgres -c extra_float_digits=1");
    af_value *stv = options ? af_map_get(options, "statement_timeout") : NULL;
    if (stv && (stv->type == AF_INT || stv->type == AF_DOUBLE)) {
        double sec = stv->type == AF_INT ? (double)stv->u.i : stv->u.d;
        af_buf_printf(&o, " -c statement_timeout=%lld", (long long)(sec * 1000));
    } else if (stv && stv->type == AF_STR && stv->u.s.len) {
        af_buf_puts(&o, " -c statement_timeout=");
        for (const char *p = stv->u.s.ptr; *p; p++) {
            if (*p == ' ' || *p == '\\') af_buf_putc(&o, '\\');
            af_buf_putc(&o, *p);
        }
    }
    kw[n] = "options", val[n++] = af_strdup(a, af_buf_cstr(&o));
    af_buf_free(&o);
    kw[n] = NULL, val[n] = NULL;
    PGconn *conn = PQconnectdbParams(kw, val, 1);
    if (!conn) return snprintf(err, errlen, "postgres: cannot connect: out of memory"), -1;
    if (PQstatus(conn) != CONNECTION_OK) {
        pg_db tmp = {conn, a, password};
        /* a url may carry the password too: scrub what libpq parsed */
        char *pw = PQpass(conn);
        if (!password && pw) tmp.password = af_strdup(a, pw);
        pg_fail(&tmp, "cannot connect", PQerrorMessage(conn), err, errlen);
        if (pw && *pw && tmp.password != pw) af_db_scrub(err, pw);
        PQfinish(conn);
        return -1;
    }
    PQsetNoticeProcessor(conn, quiet, NULL);
    pg_db *db = af_alloc(a, sizeof *db);
    db->conn = conn;
    db->a = a;
    db->password = PQpass(conn) ? af_strdup(a, PQpass(conn)) : password;
    *out = db;
    return 0;
}

static void pg_disconnect(void *p)
{
    pg_db *db = p;
    if (db && db->conn) PQfinish(db->conn);
    if (db) db->conn = NULL;
}

/* Reads and drops every remaining result of the current query. */
static void drain(af_db_stmt *s)
{
    PGresult *r;
    while ((r = PQgetResult(s->db->conn)) != NULL)
        PQclear(r);
    s->busy = 0;
}

static int pg_prepare(void *p, const char *sql, af_db_stmt **out, char *err, size_t errlen)
{
    af_db_stmt *s = calloc(1, sizeof *s);
    if (!s) return snprintf(err, errlen, "postgres: out of memory"), -1;
    s->db = p;
    s->sql = strdup(sql);
    s->rowcount = -1;
    *out = s;
    return 0;
}

static void reset_stmt(af_db_stmt *s)
{
    if (s->busy) {
        /* stopping early: ask the server to stop sending rows */
        PGcancel *c = PQgetCancel(s->db->conn);
        char e[256];
        if (c) {
            PQcancel(c, e, sizeof e);
            PQfreeCancel(c);
        }
        drain(s);
    }
    PQclear(s->res);
    s->res = NULL;
    s->have_row = 0;
    free(s->cols);
    free(s->row);
    free(s->types);
    free(s->boff);
    free(s->names);
    s->names = NULL;
    s->cols = NULL;
    s->row = NULL;
    s->types = NULL;
    s->boff = NULL;
    s->ncols = 0;
    s->rowcount = -1;
}

static af_db_dtype oid_dtype(Oid t)
{
    switch (t) {
    case 16:
        return AF_DT_BOOL;
    case 20:
    case 21:
    case 23:
    case 26:
        return AF_DT_INT;
    case 700:
    case 701:
        return AF_DT_FLOAT;
    case 1700:
        return AF_DT_DECIMAL;
    case 1082:
        return AF_DT_DATE;
    case 1114:
    case 1184:
        return AF_DT_DATETIME;
    case 17:
        return AF_DT_BYTES;
    case 18:
    case 19:
    case 25:
    case 1042:
    case 1043:
        return AF_DT_STRING;
    default:
        return AF_DT_OBJECT;
    }
}

static const char *oid_name(Oid t)
{
    switch (t) {
    case 16:
        return "boolean";
    case 17:
        return "bytea";
    case 20:
        return "bigint";
    case 21:
        return "smallint";
    case 23:
        return "integer";
    case 25:
        return "text";
    case 114:
        return "json";
    case 700:
        return "real";
    case 701:
        return "double precision";
    case 1042:
        return "character";
    case 1043:
        return "character varying";
    case 1082:
        return "date";
    case 1083:
        return "time";
    case 1114:
        return "timestamp";
    case 1184:
        return "timestamptz";
    case 1266:
        return "timetz";
    case 1700:
        return "numeric";
    case 2950:
        return "uuid";
    case 3802:
        return "jsonb";
    default:
        return NULL;
    }
}

/* Takes the columns from the first result of a query. */
static void take_columns(af_db_stmt *s, PGresult *r)
{
    s->ncols = (size_t)PQnfields(r);
    s->cols = calloc(s->ncols + 1, sizeof *s->cols);
    s->row = calloc(s->ncols + 1, sizeof *s->row);
    s->types = calloc(s->ncols + 1, sizeof *s->types);
    s->boff = calloc(s->ncols + 1, sizeof *s->boff);
    size_t total = 1;
    for (size_t i = 0; i < s->ncols; i++)
        total += strlen(PQfname(r, (int)i)) + 1;
    s->names = malloc(total);
    char *np = s->names;
    for (size_t i = 0; i < s->ncols; i++) {
        size_t l = strlen(PQfname(r, (int)i)) + 1;
        memcpy(np, PQfname(r, (int)i), l);
        s->types[i] = PQftype(r, (int)i);
        s->cols[i].name = np;
        np += l;
        s->cols[i].type = oid_dtype(s->types[i]);
        s->cols[i].db_type = oid_name(s->types[i]);
    }
}

/* Reads the next result. Returns 1 row, 0 end, -1 error. */
static int pull(af_db_stmt *s, char *err, size_t errlen)
{
    PGresult *r = PQgetResult(s->db->conn);
    if (!r) {
        s->busy = 0;
        return 0;
    }
    int st = PQresultStatus(r);
    if (s->first && st != PGRES_FATAL_ERROR && st != PGRES_NONFATAL_ERROR) {
        s->first = 0;
        if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) take_columns(s, r);
    }
    if (st == PGRES_SINGLE_TUPLE) {
        PQclear(s->res);
        s->res = r;
        s->have_row = 1;
        return 1;
    }
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        const char *t = PQcmdTuples(r);
        if (t && *t && st == PGRES_COMMAND_OK) s->rowcount = strtoll(t, NULL, 10);
        PQclear(s->res);
        s->res = r; /* keeps the column names alive */
        drain(s);
        return 0;
    }
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
        PQclear(r);
        drain(s);
        return pg_fail(s->db, NULL, "COPY is not a query; db_load uses it for you", err, errlen);
    }
    res_fail(s->db, r, err, errlen);
    PQclear(r);
    drain(s);
    return -1;
}

static int pg_execute(af_db_stmt *s, const af_db_param *p, size_t n, int64_t fetch_size, char *err,
                      size_t errlen)
{
    reset_stmt(s);
    af_arena *a = af_arena_new();
    const char *sql = s->sql;
    size_t *order = NULL, norder = 0;
    if (n > 0 && af_db_rewrite(a, s->sql, p, n, '$', 1, &sql, &order, &norder, err, errlen) < 0) {
        af_arena_free(a);
        return -1;
    }
    Oid *types = af_alloc(a, (norder + 1) * sizeof *types);
    const char **vals = af_alloc(a, (norder + 1) * sizeof *vals);
    for (size_t i = 0; i < norder; i++) {
        const af_db_cell *c = &p[order[i]].v;
        af_buf b = {0};
        switch (c->kind) {
        case AF_DB_NULL:
            vals[i] = NULL;
            break;
        case AF_DB_INT:
            types[i] = 20;
            if (c->s)
                vals[i] = af_strndup(a, c->s, c->len);
            else
                vals[i] = af_sprintf(a, "%lld", (long long)c->i);
            break;
        case AF_DB_FLOAT:
            types[i] = 701;
            db_json(&b, c); /* NaN / Infinity / shortest digits */
            vals[i] = af_strdup(a, af_buf_cstr(&b));
            break;
        case AF_DB_BOOL:
            types[i] = 16;
            vals[i] = c->i ? "true" : "false";
            break;
        case AF_DB_BYTES:
            types[i] = 17;
            af_buf_puts(&b, "\\x");
            for (size_t k = 0; k < c->len; k++)
                af_buf_printf(&b, "%02x", (unsigned char)c->s[k]);
            vals[i] = af_strdup(a, af_buf_cstr(&b));
            break;
        default:
            vals[i] = af_strndup(a, c->s ? c->s : "", c->len);
            break;
        }
        af_buf_free(&b);
    }
    int ok = PQsendQueryParams(s->db->conn, sql, (int)norder, types, vals, NULL, NULL, 0);
    af_arena_free(a);
    if (!ok) return pg_fail(s->db, NULL, PQerrorMessage(s->db->conn), err, errlen);
    s->busy = 1;
    s->first = 1;
    PQsetSingleRowMode(s->db->conn);
    if (pull(s, err, errlen) < 0) return -1;
    return 0;
}

static void pg_columns(af_db_stmt *s, const af_db_column **cols, size_t *n)
{
    *cols = s->cols;
    *n = s->ncols;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
}

static int pg_next(af_db_stmt *s, const af_db_cell **row, char *err, size_t errlen)
{
    if (!s->have_row) {
        if (!s->busy) return 0;
        int r = pull(s, err, errlen);
        if (r <= 0) return r;
    }
    s->have_row = 0;
    PGresult *r = s->res;
    af_buf_reset(&s->bytes);
    for (size_t i = 0; i < s->ncols; i++) {
        af_db_cell *c = &s->row[i];
        int ci = (int)i;
        memset(c, 0, sizeof *c);
        if (PQgetisnull(r, 0, ci)) {
            c->kind = AF_DB_NULL;
            continue;
        }
        c->s = PQgetvalue(r, 0, ci);
        c->len = (size_t)PQgetlength(r, 0, ci);
        switch (s->types[i]) {
        case 16:
            c->kind = AF_DB_BOOL;
            c->i = c->s[0] == 't';
            break;
        case 20:
        case 21:
        case 23:
        case 26:
            c->kind = AF_DB_INT;
            break;
        case 700:
        case 701:
            c->kind = AF_DB_FLOAT;
            c->d = strtod(c->s, NULL);
            break;
        case 1700:
            c->kind = AF_DB_DECIMAL;
            break;
        case 1082:
            c->kind = AF_DB_DATE;
            break;
        case 1114:
        case 1184:
            c->kind = AF_DB_DATETIME;
            break;
        case 1083:
        case 1266:
            c->kind = AF_DB_TIME;
            break;
        case 114:
        case 3802:
            c->kind = AF_DB_JSON;
            break;
        case 17: {
            /* hex output: \x0a0b...; decoded into the row's byte buffer */
            c->kind = AF_DB_BYTES;
            s->boff[i] = s->bytes.len;
            size_t k = 2;
            for (; k + 1 < c->len; k += 2)
                af_buf_putc(&s->bytes, (char)(hexval(c->s[k]) << 4 | hexval(c->s[k + 1])));
            c->len = s->bytes.len - s->boff[i];
            break;
        }
        default:
            c->kind = AF_DB_TEXT;
            break;
        }
    }
    for (size_t i = 0; i < s->ncols; i++)
        if (s->row[i].kind == AF_DB_BYTES)
            s->row[i].s = s->bytes.data ? s->bytes.data + s->boff[i] : "";
    *row = s->row;
    return 1;
}

static int64_t pg_rowcount(af_db_stmt *s)
{
    return s->rowcount;
}

static void pg_finalize(af_db_stmt *s)
{
    if (!s) return;
    reset_stmt(s);
    PQclear(s->res);
    af_buf_free(&s->bytes);
    free(s->sql);
    free(s);
}

static int simple(pg_db *db, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(db->conn, sql);
    int st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) rc = res_fail(db, r, err, errlen);
    PQclear(r);
    return rc;
}

static int pg_begin(void *db, char *err, size_t errlen)
{
    return simple(db, "BEGIN", err, errlen);
}

static int pg_commit(void *db, char *err, size_t errlen)
{
    return simple(db, "COMMIT", err, errlen);
}

static int pg_rollback(void *p, char *err, size_t errlen)
{
    pg_db *db = p;
    if (PQtransactionStatus(db->conn) == PQTRANS_IDLE) return 0;
    return simple(db, "ROLLBACK", err, errlen);
}

/* ---- COPY ... FROM STDIN ------------------------------------------------ */

typedef struct pg_loader {
    pg_db *db;
    char *buf;
    size_t n;
    int64_t rows;
    const char *table;
} pg_loader;

static int copy_flush(pg_loader *l, char *err, size_t errlen)
{
    if (l->n && PQputCopyData(l->db->conn, l->buf, (int)l->n) != 1)
        return pg_fail(l->db, "COPY", PQerrorMessage(l->db->conn), err, errlen);
    l->n = 0;
    return 0;
}

static int pg_load_begin(void *p, const char *table, const char *const *cols, size_t ncols,
                         void **out, char *err, size_t errlen)
{
    pg_db *db = p;
    af_buf b = {0};
    af_buf_printf(&b, "COPY %s (", table);
    for (size_t i = 0; i < ncols; i++)
        af_buf_printf(&b, "%s%s", i ? ", " : "", cols[i]);
    af_buf_puts(&b, ") FROM STDIN");
    PGresult *r = PQexec(db->conn, af_buf_cstr(&b));
    af_buf_free(&b);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        int rc = res_fail(db, r, err, errlen);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    pg_loader *l = calloc(1, sizeof *l);
    l->db = db;
    l->buf = malloc(COPY_BUF + 64);
    l->table = table;
    *out = l;
    return 0;
}

static int pg_load_row(void *p, const af_db_cell *row, size_t n, char *err, size_t errlen)
{
    pg_loader *l = p;
    for (size_t i = 0; i < n; i++) {
        if (l->n + 2 > COPY_BUF && copy_flush(l, err, errlen) < 0) return -1;
        if (i) l->buf[l->n++] = '\t';
        if (row[i].kind == AF_DB_NULL) {
            l->buf[l->n++] = '\\';
            l->buf[l->n++] = 'N';
            continue;
        }
        const char *s = row[i].s;
        for (size_t k = 0; k < row[i].len; k++) {
            if (l->n + 2 > COPY_BUF && copy_flush(l, err, errlen) < 0) return -1;
            char c = s[k];
            switch (c) {
            case '\\':
                l->buf[l->n++] = '\\';
                l->buf[l->n++] = '\\';
                break;
            case '\t':
                l->buf[l->n++] = '\\';
                l->buf[l->n++] = 't';
                break;
            case '\n':
                l->buf[l->n++] = '\\';
                l->buf[l->n++] = 'n';
                break;
            case '\r':
                l->buf[l->n++] = '\\';
                l->buf[l->n++] = 'r';
                break;
            default:
                l->buf[l->n++] = c;
            }
        }
    }
    if (l->n + 1 > COPY_BUF && copy_flush(l, err, errlen) < 0) return -1;
    l->buf[l->n++] = '\n';
    l->rows++;
    return 0;
}

static int pg_load_end(void *p, int ok, int64_t *rows, char *err, size_t errlen)
{
    pg_loader *l = p;
    int rc = 0;
    if (ok) rc = copy_flush(l, err, errlen);
    if (PQputCopyEnd(l->db->conn, ok && rc == 0 ? NULL : "load abandoned") != 1 && rc == 0)
        rc = pg_fail(l->db, "COPY", PQerrorMessage(l->db->conn), err, errlen);
    PGresult *r;
    while ((r = PQgetResult(l->db->conn)) != NULL) {
        if (PQresultStatus(r) == PGRES_COMMAND_OK) {
            const char *t = PQcmdTuples(r);
            if (t && *t) *rows = strtoll(t, NULL, 10);
        } else if (ok && rc == 0) {
            rc = res_fail(l->db, r, err, errlen);
        }
        PQclear(r);
    }
    free(l->buf);
    free(l);
    return ok ? rc : -1;
}

static const char *pg_sql_type(void *db, int t)
{
    switch (t) {
    case AF_DT_BOOL:
        return "boolean";
    case AF_DT_INT:
        return "bigint";
    case AF_DT_FLOAT:
        return "double precision";
    case AF_DT_DECIMAL:
        return "numeric";
    case AF_DT_DATE:
        return "date";
    case AF_DT_DATETIME:
        return "timestamp";
    case AF_DT_BYTES:
        return "bytea";
    default:
        return "text";
    }
}

static const af_db_ops postgres_ops = {
    .abi = AF_DB_ABI,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .prepare = pg_prepare,
    .execute = pg_execute,
    .columns = pg_columns,
    .next = pg_next,
    .rowcount = pg_rowcount,
    .finalize = pg_finalize,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .load_begin = pg_load_begin,
    .load_row = pg_load_row,
    .load_end = pg_load_end,
    .sql_type = pg_sql_type,
};

const af_db_ops *db_postgres_ops(void)
{
    return &postgres_ops;
}

static const af_input pg_config[] = {
    {"url", AF_TY_STR, 0, NULL, NULL, "postgresql://user:password@host:port/dbname"},
    {"dsn", AF_TY_STR, 0, NULL, NULL, "a url or a libpq \"key=value\" connection string"},
    {"host", AF_TY_STR, 0, NULL, NULL, "server host"},
    {"port", AF_TY_INT, 0, "5432", NULL, "server port"},
    {"user", AF_TY_STR, 0, NULL, NULL, "role to log in as"},
    {"password", AF_TY_STR, 0, NULL, NULL, "password (never logged)"},
    {"dbname", AF_TY_STR, 0, NULL, NULL, "database"},
    {"sslmode", AF_TY_STR, 0, NULL, "disable|allow|prefer|require|verify-ca|verify-full",
     "libpq sslmode"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_input pg_options[] = {
    {"connect_timeout", AF_TY_NUMBER, 0, "10", NULL, "seconds to wait for a connection"},
    {"statement_timeout", AF_TY_NUMBER | AF_TY_STR, 0, NULL, NULL,
     "seconds (number) or a PostgreSQL interval (\"5min\") per statement"},
    {"application_name", AF_TY_STR, 0, "\"afc\"", NULL, "shown in pg_stat_activity"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

const af_driver af_driver_db_postgres = {
    .abi = AF_ABI_VERSION,
    .kind = "db",
    .name = "postgres",
    .aliases = "postgresql psycopg2",
    .summary = "PostgreSQL through libpq",
    .config = pg_config,
    .options = pg_options,
    .open = af_db_driver_open,
    .close = af_db_driver_close,
    .ops = &postgres_ops, /* af_db_ops */
    .libs = "-lpq -lcrypto",
};
