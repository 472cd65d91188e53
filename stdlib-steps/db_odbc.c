/*
 * db_odbc.c - the `odbc` driver of the db connector kind (unixODBC), and
 * the reference's `exasol`, `oracledb` and `mysql` drivers on top of it.
 *
 * A native executable reaches Exasol, SQL Server, Oracle and MySQL through
 * their vendors' ODBC drivers: install the driver, register it in
 * odbcinst.ini, and name it here. Config for `odbc`: dsn (a DSN name, or a
 * whole connection string when it contains '='), or connection_string,
 * plus user and password (added as UID/PWD). Options: login_timeout
 * (seconds, default 10), query_timeout (seconds). The named drivers build
 * the connection string from the reference's config shape:
 *   exasol:   dsn host:port[,host:port], user, password, schema
 *             -> DRIVER={EXASolution Driver};EXAHOST=dsn;UID;PWD;EXASCHEMA
 *   oracledb: dsn (host:port/service or a TNS alias), user, password
 *             -> DRIVER={Oracle};DBQ=dsn;UID;PWD
 *   mysql:    url mysql://user:pass@host:port/db (or host, port, user,
 *             password, database)
 *             -> DRIVER={MySQL ODBC 8.0 Unicode Driver};SERVER;PORT;...
 * options.odbc_driver names a differently registered driver.
 *
 * Text crosses as UTF-16 (SQL_C_WCHAR) so any Unicode driver returns UTF-8
 * to us whatever the locale; numbers, dates and timestamps come back as C
 * structures and are labelled by their SQL type (DECIMAL/NUMERIC with scale
 * 0 count as int, as the reference's metadata mapping does). `:name` and
 * `?` parameters become `?` markers bound with SQLBindParameter.
 */
#include "db_int.h"

#include <limits.h>
#include <sql.h>
#include <sqlext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct od_db {
    SQLHENV env;
    SQLHDBC dbc;
    af_arena *a;
    const char *password;
    long query_timeout;
    const char *string_type;
} od_db;

struct af_db_stmt {
    od_db *db;
    SQLHSTMT h;
    char *sql;      /* as given */
    char *prepared; /* the text last SQLPrepare'd (placeholders rewritten) */
    af_db_column *cols;
    SQLSMALLINT *sqltypes, *scales;
    af_db_cell *row;
    size_t ncols;
    int has_result;
    int64_t rowcount;
    char *names;
    af_buf data; /* the current row's text */
    size_t *off;
    /* bound parameters, alive until the next execute */
    void **pbuf;
    SQLLEN *pind;
    size_t np, npcap;
};

/* ---- UTF-8 <-> UTF-16 --------------------------------------------------- */

/* One UTF-8 sequence: its length, *cp = U+FFFD for an invalid byte. */
static int utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    int len = c < 0x80             ? 1
              : (c & 0xE0) == 0xC0 ? 2
              : (c & 0xF0) == 0xE0 ? 3
              : (c & 0xF8) == 0xF0 ? 4
                                   : 0;
    if (len == 1) {
        *cp = c;
        return 1;
    }
    if (len == 0 || (size_t)len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    c &= 0x3F >> (len - 1);
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *cp = c > 0x10FFFF ? 0xFFFD : c;
    return len;
}

static SQLWCHAR *to_utf16(const char *s, size_t len, size_t *outlen)
{
    SQLWCHAR *w = malloc((len + 1) * 2 * sizeof *w);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned c;
        i += (size_t)utf8_next((const unsigned char *)s + i, len - i, &c);
        if (c >= 0x10000) {
            c -= 0x10000;
            w[n++] = (SQLWCHAR)(0xD800 + (c >> 10));
            w[n++] = (SQLWCHAR)(0xDC00 + (c & 0x3FF));
        } else {
            w[n++] = (SQLWCHAR)c;
        }
    }
    w[n] = 0;
    *outlen = n;
    return w;
}

static void from_utf16(af_buf *b, const SQLWCHAR *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned c = w[i];
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < n && w[i + 1] >= 0xDC00 && w[i + 1] < 0xE000) {
            c = 0x10000 + ((c - 0xD800) << 10) + (w[i + 1] - 0xDC00);
            i++;
        }
        char o[4];
        int k;
        if (c < 0x80) {
            o[0] = (char)c;
            k = 1;
        } else if (c < 0x800) {
            o[0] = (char)(0xC0 | (c >> 6));
            o[1] = (char)(0x80 | (c & 0x3F));
            k = 2;
        } else if (c < 0x10000) {
            o[0] = (char)(0xE0 | (c >> 12));
            o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
            o[2] = (char)(0x80 | (c & 0x3F));
            k = 3;
        } else {
            o[0] = (char)(0xF0 | (c >> 18));
            o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
            o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
            o[3] = (char)(0x80 | (c & 0x3F));
            k = 4;
        }
        af_buf_put(b, o, (size_t)k);
    }
}

/* ---- errors ------------------------------------------------------------- */

static int od_fail(od_db *db, SQLSMALLINT type, SQLHANDLE h, const char *what, char *err,
                   size_t errlen)
{
    char m[1024] = "";
    size_t ml = 0;
    SQLCHAR state[6], msg[512];
    SQLINTEGER native;
    SQLSMALLINT len;
    for (SQLSMALLINT i = 1; i <= 3; i++) {
        if (!SQL_SUCCEEDED(SQLGetDiagRec(type, h, i, state, &native, msg, sizeof msg, &len))) break;
        ml += (size_t)snprintf(m + ml, ml < sizeof m ? sizeof m - ml : 0, "%s%s (%s)",
                               i > 1 ? "; " : "", (char *)msg, (char *)state);
        if (ml >= sizeof m) break;
    }
    if (!m[0]) snprintf(m, sizeof m, "unknown error");
    for (char *p = m; *p; p++)
        if (*p == '\n') *p = ' ';
    if (db) af_db_scrub(m, db->password);
    snprintf(err, errlen, "odbc: %s%s%s", what ? what : "", what ? ": " : "", m);
    return -1;
}

/* ---- connection --------------------------------------------------------- */

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

/* Appends KEY=value; braces the value when it holds ; { } or spaces. */
static void kv(af_buf *b, const char *key, const char *val)
{
    if (!val) return;
    if (b->len && b->data[b->len - 1] != ';') af_buf_putc(b, ';');
    af_buf_printf(b, "%s=", key);
    if (strpbrk(val, ";{} ")) {
        af_buf_putc(b, '{');
        for (const char *p = val; *p; p++) {
            if (*p == '}') af_buf_putc(b, '}');
            af_buf_putc(b, *p);
        }
        af_buf_putc(b, '}');
    } else {
        af_buf_puts(b, val);
    }
}

static int has_key(const char *cs, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = cs; *p;) {
        while (*p == ';' || *p == ' ')
            p++;
        if (!strncasecmp(p, key, kl) && p[kl] == '=') return 1;
        const char *semi = strchr(p, ';');
        if (!semi) break;
        p = semi + 1;
    }
    return 0;
}

/* A numeric option (seconds) through af_to_int; def when absent, negative or
 * not a number. */
static long num_opt(const af_value *m, const char *k, long def)
{
    af_value *v = m ? af_map_get(m, k) : NULL;
    int64_t n;
    if (!v || af_to_int(v, &n) < 0 || n < 0 || n > LONG_MAX) return def;
    return (long)n;
}

/* Connects with a complete connection string. */
static int od_open(af_arena *a, const char *cs, const char *password, const af_value *options,
                   void **out, char *err, size_t errlen)
{
    od_db *db = af_alloc(a, sizeof *db);
    db->a = a;
    db->password = password;
    db->query_timeout = num_opt(options, "query_timeout", 0);
    db->string_type = cfg_str(a, options, "string_type");
    if (!db->string_type) db->string_type = "VARCHAR(4000)";
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &db->env)))
        return snprintf(err, errlen, "odbc: cannot allocate an environment"), -1;
    SQLSetEnvAttr(db->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, db->env, &db->dbc))) {
        SQLFreeHandle(SQL_HANDLE_ENV, db->env);
        return snprintf(err, errlen, "odbc: cannot allocate a connection"), -1;
    }
    long lt = num_opt(options, "login_timeout", 10);
    SQLSetConnectAttr(db->dbc, SQL_ATTR_LOGIN_TIMEOUT, (SQLPOINTER)(intptr_t)lt, 0);
    SQLSetConnectAttr(db->dbc, SQL_ATTR_CONNECTION_TIMEOUT, (SQLPOINTER)(intptr_t)lt, 0);
    SQLCHAR outcs[1024];
    SQLSMALLINT outlen;
    SQLRETURN r = SQLDriverConnect(db->dbc, NULL, (SQLCHAR *)cs, SQL_NTS, outcs, sizeof outcs,
                                   &outlen, SQL_DRIVER_NOPROMPT);
    if (!SQL_SUCCEEDED(r)) {
        od_fail(db, SQL_HANDLE_DBC, db->dbc, "cannot connect", err, errlen);
        SQLFreeHandle(SQL_HANDLE_DBC, db->dbc);
        SQLFreeHandle(SQL_HANDLE_ENV, db->env);
        return -1;
    }
    *out = db;
    return 0;
}

static int od_connect(af_arena *a, const af_value *config, const af_value *options, void **out,
                      char *err, size_t errlen)
{
    const char *cs = cfg_str(a, config, "connection_string");
    if (!cs) cs = cfg_str(a, config, "conn_str");
    const char *dsn = cfg_str(a, config, "dsn");
    af_buf b = {0};
    if (cs) {
        af_buf_puts(&b, cs);
    } else if (dsn && strchr(dsn, '=')) {
        af_buf_puts(&b, dsn);
    } else if (dsn) {
        kv(&b, "DSN", dsn);
    } else {
        return snprintf(err, errlen,
                        "odbc connector requires config.dsn or "
                        "config.connection_string"),
               -1;
    }
    const char *user = cfg_str(a, config, "user");
    if (!user) user = cfg_str(a, config, "username");
    const char *pw = cfg_str(a, config, "password");
    if (user && !has_key(af_buf_cstr(&b), "UID")) kv(&b, "UID", user);
    if (pw && !has_key(af_buf_cstr(&b), "PWD")) kv(&b, "PWD", pw);
    const char *s = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return od_open(a, s, pw, options, out, err, errlen);
}

static const char *driver_name(af_arena *a, const af_value *config, const af_value *options,
                               const char *def)
{
    const char *d = cfg_str(a, options, "odbc_driver");
    if (!d) d = cfg_str(a, config, "odbc_driver");
    return d ? d : def;
}

static int exa_connect(af_arena *a, const af_value *config, const af_value *options, void **out,
                       char *err, size_t errlen)
{
    const char *dsn = cfg_str(a, config, "dsn");
    if (!dsn) return snprintf(err, errlen, "exasol connector requires config.dsn"), -1;
    if (strchr(dsn, '=')) return od_connect(a, config, options, out, err, errlen);
    af_buf b = {0};
    kv(&b, "DRIVER", driver_name(a, config, options, "EXASolution Driver"));
    kv(&b, "EXAHOST", dsn);
    kv(&b, "UID", cfg_str(a, config, "user"));
    const char *pw = cfg_str(a, config, "password");
    kv(&b, "PWD", pw);
    kv(&b, "EXASCHEMA", cfg_str(a, config, "schema"));
    const char *t = cfg_str(a, options, "timeout");
    kv(&b, "CONNECTTIMEOUT", t);
    const char *s = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return od_open(a, s, pw, options, out, err, errlen);
}

static int ora_connect(af_arena *a, const af_value *config, const af_value *options, void **out,
                       char *err, size_t errlen)
{
    const char *dsn = cfg_str(a, config, "dsn");
    if (!dsn) return snprintf(err, errlen, "oracledb connector requires config.dsn"), -1;
    if (strchr(dsn, '=') && !strchr(dsn, '('))
        return od_connect(a, config, options, out, err, errlen);
    af_buf b = {0};
    kv(&b, "DRIVER", driver_name(a, config, options, "Oracle"));
    kv(&b, "DBQ", dsn);
    kv(&b, "UID", cfg_str(a, config, "user"));
    const char *pw = cfg_str(a, config, "password");
    kv(&b, "PWD", pw);
    const char *s = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return od_open(a, s, pw, options, out, err, errlen);
}

static int hexd(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decoding for URL parts. */
static char *pct(af_arena *a, const char *s, size_t n)
{
    char *o = af_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexd(s[i + 1]) >= 0 && hexd(s[i + 2]) >= 0) {
            o[k++] = (char)(hexd(s[i + 1]) << 4 | hexd(s[i + 2]));
            i += 2;
        } else {
            o[k++] = s[i];
        }
    }
    o[k] = 0;
    return o;
}

static int mysql_config(af_arena *a, const char *url, const af_value *options, af_value **config,
                        char *err, size_t errlen)
{
    /* mysql[+driver]://user:password@host:port/database?... */
    const char *p = strstr(url, "://");
    if (!p) return snprintf(err, errlen, "mysql: url must look like mysql://user@host/db"), -1;
    p += 3;
    af_value *m = af_map(a);
    const char *at = strrchr(p, '@');
    const char *slash = strchr(at ? at : p, '/');
    const char *end = p + strlen(p);
    const char *q = strchr(p, '?');
    if (q) end = q;
    if (slash && slash > end) slash = NULL;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        af_map_set(a, m, "user", af_str(a, pct(a, p, (size_t)((colon ? colon : at) - p))));
        if (colon)
            af_map_set(a, m, "password", af_str(a, pct(a, colon + 1, (size_t)(at - colon - 1))));
        p = at + 1;
    }
    const char *hend = slash ? slash : end;
    const char *pc = memchr(p, ':', (size_t)(hend - p));
    af_map_set(a, m, "host", af_strn(a, p, (size_t)((pc ? pc : hend) - p)));
    if (pc) af_map_set(a, m, "port", af_strn(a, pc + 1, (size_t)(hend - pc - 1)));
    if (slash && slash + 1 < end)
        af_map_set(a, m, "database", af_str(a, pct(a, slash + 1, (size_t)(end - slash - 1))));
    *config = m;
    return 0;
}

static int my_connect(af_arena *a, const af_value *config, const af_value *options, void **out,
                      char *err, size_t errlen)
{
    const char *url = cfg_str(a, config, "url");
    af_value *cfg = (af_value *)config;
    if (url && mysql_config(a, url, options, &cfg, err, errlen) < 0) return -1;
    const char *dsn = cfg_str(a, config, "dsn");
    if (dsn || cfg_str(a, config, "connection_string"))
        return od_connect(a, config, options, out, err, errlen);
    af_buf b = {0};
    kv(&b, "DRIVER", driver_name(a, config, options, "MySQL ODBC 8.0 Unicode Driver"));
    kv(&b, "SERVER", cfg_str(a, cfg, "host"));
    kv(&b, "PORT", cfg_str(a, cfg, "port"));
    const char *db = cfg_str(a, cfg, "database");
    kv(&b, "DATABASE", db ? db : cfg_str(a, cfg, "dbname"));
    const char *user = cfg_str(a, cfg, "user");
    kv(&b, "UID", user ? user : cfg_str(a, cfg, "username"));
    const char *pw = cfg_str(a, cfg, "password");
    kv(&b, "PWD", pw);
    kv(&b, "CHARSET", "utf8mb4");
    const char *s = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return od_open(a, s, pw, options, out, err, errlen);
}

static void od_disconnect(void *p)
{
    od_db *db = p;
    if (!db || !db->dbc) return;
    SQLDisconnect(db->dbc);
    SQLFreeHandle(SQL_HANDLE_DBC, db->dbc);
    SQLFreeHandle(SQL_HANDLE_ENV, db->env);
    db->dbc = NULL;
}

/* ---- statements --------------------------------------------------------- */

static int od_prepare(void *p, const char *sql, af_db_stmt **out, char *err, size_t errlen)
{
    od_db *db = p;
    af_db_stmt *s = calloc(1, sizeof *s);
    s->db = db;
    s->sql = strdup(sql);
    s->rowcount = -1;
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, db->dbc, &s->h))) {
        od_fail(db, SQL_HANDLE_DBC, db->dbc, "cannot allocate a statement", err, errlen);
        free(s->sql);
        free(s);
        return -1;
    }
    if (db->query_timeout > 0)
        SQLSetStmtAttr(s->h, SQL_ATTR_QUERY_TIMEOUT, (SQLPOINTER)(intptr_t)db->query_timeout, 0);
    *out = s;
    return 0;
}

static void free_params(af_db_stmt *s)
{
    for (size_t i = 0; i < s->np; i++)
        free(s->pbuf[i]);
    s->np = 0;
}

static void reset_result(af_db_stmt *s)
{
    SQLFreeStmt(s->h, SQL_CLOSE);
    free(s->cols);
    free(s->sqltypes);
    free(s->scales);
    free(s->row);
    free(s->off);
    free(s->names);
    s->cols = NULL;
    s->sqltypes = s->scales = NULL;
    s->row = NULL;
    s->off = NULL;
    s->names = NULL;
    s->ncols = 0;
    s->has_result = 0;
    s->rowcount = -1;
}

static int bind_params(af_db_stmt *s, const af_db_param *p, const size_t *order, size_t n,
                       char *err, size_t errlen)
{
    free_params(s);
    if (n > s->npcap) {
        s->npcap = n;
        s->pbuf = realloc(s->pbuf, n * sizeof *s->pbuf);
        s->pind = realloc(s->pind, n * sizeof *s->pind);
    }
    for (size_t i = 0; i < n; i++) {
        const af_db_cell *c = &p[order[i]].v;
        SQLSMALLINT ctype, stype;
        SQLULEN size = 0;
        SQLLEN buflen = 0;
        void *buf = NULL;
        s->pind[i] = 0;
        switch (c->kind) {
        case AF_DB_NULL:
            ctype = SQL_C_CHAR, stype = SQL_VARCHAR, size = 1;
            buf = calloc(1, 2);
            s->pind[i] = SQL_NULL_DATA;
            break;
        case AF_DB_INT:
            if (c->s) {
                char *t = strndup(c->s, c->len);
                int64_t v = strtoll(t, NULL, 10);
                free(t);
                buf = malloc(sizeof(SQLBIGINT));
                memcpy(buf, &v, sizeof v);
            } else {
                buf = malloc(sizeof(SQLBIGINT));
                memcpy(buf, &c->i, sizeof c->i);
            }
            ctype = SQL_C_SBIGINT, stype = SQL_BIGINT, size = 19;
            break;
        case AF_DB_FLOAT:
            buf = malloc(sizeof(double));
            memcpy(buf, &c->d, sizeof(double));
            ctype = SQL_C_DOUBLE, stype = SQL_DOUBLE, size = 15;
            break;
        case AF_DB_BOOL:
            buf = malloc(1);
            *(unsigned char *)buf = c->i ? 1 : 0;
            ctype = SQL_C_BIT, stype = SQL_BIT, size = 1;
            break;
        case AF_DB_BYTES:
            buf = malloc(c->len + 1);
            memcpy(buf, c->s, c->len);
            ctype = SQL_C_BINARY, stype = SQL_VARBINARY, size = c->len ? c->len : 1;
            s->pind[i] = (SQLLEN)c->len;
            buflen = (SQLLEN)c->len;
            break;
        default: {
            size_t wl;
            buf = to_utf16(c->s ? c->s : "", c->len, &wl);
            ctype = SQL_C_WCHAR;
            stype = wl > 4000 ? SQL_WLONGVARCHAR : SQL_WVARCHAR;
            size = wl ? wl : 1;
            s->pind[i] = (SQLLEN)(wl * sizeof(SQLWCHAR));
            buflen = (SQLLEN)((wl + 1) * sizeof(SQLWCHAR));
            break;
        }
        }
        s->pbuf[i] = buf;
        s->np = i + 1;
        SQLRETURN r = SQLBindParameter(s->h, (SQLUSMALLINT)(i + 1), SQL_PARAM_INPUT, ctype, stype,
                                       size, 0, buf, buflen, &s->pind[i]);
        if (!SQL_SUCCEEDED(r)) return od_fail(s->db, SQL_HANDLE_STMT, s->h, "bind", err, errlen);
    }
    return 0;
}

static af_db_dtype sql_dtype(SQLSMALLINT t, SQLSMALLINT scale)
{
    switch (t) {
    case SQL_BIT:
        return AF_DT_BOOL;
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
    case SQL_BIGINT:
        return AF_DT_INT;
    case SQL_DECIMAL:
    case SQL_NUMERIC:
        return scale == 0 ? AF_DT_INT : AF_DT_DECIMAL;
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE:
        return AF_DT_FLOAT;
    case SQL_TYPE_DATE:
    case SQL_DATE:
        return AF_DT_DATE;
    case SQL_TYPE_TIMESTAMP:
    case SQL_TIMESTAMP:
        return AF_DT_DATETIME;
    case SQL_CHAR:
    case SQL_VARCHAR:
    case SQL_LONGVARCHAR:
    case SQL_WCHAR:
    case SQL_WVARCHAR:
    case SQL_WLONGVARCHAR:
        return AF_DT_STRING;
    case SQL_BINARY:
    case SQL_VARBINARY:
    case SQL_LONGVARBINARY:
        return AF_DT_BYTES;
    default:
        return AF_DT_OBJECT;
    }
}

static int describe(af_db_stmt *s, char *err, size_t errlen)
{
    SQLSMALLINT n = 0;
    if (!SQL_SUCCEEDED(SQLNumResultCols(s->h, &n)))
        return od_fail(s->db, SQL_HANDLE_STMT, s->h, "columns", err, errlen);
    s->ncols = (size_t)(n > 0 ? n : 0);
    s->has_result = n > 0;
    s->cols = calloc(s->ncols + 1, sizeof *s->cols);
    s->sqltypes = calloc(s->ncols + 1, sizeof *s->sqltypes);
    s->scales = calloc(s->ncols + 1, sizeof *s->scales);
    s->row = calloc(s->ncols + 1, sizeof *s->row);
    s->off = calloc(s->ncols + 1, sizeof *s->off);
    af_buf names = {0};
    size_t *noff = calloc(s->ncols + 1, sizeof *noff);
    for (size_t i = 0; i < s->ncols; i++) {
        SQLWCHAR wname[512];
        SQLSMALLINT nl = 0, type = 0, dec = 0, nullable = 0;
        SQLULEN size = 0;
        if (!SQL_SUCCEEDED(SQLDescribeColW(s->h, (SQLUSMALLINT)(i + 1), wname, 512, &nl, &type,
                                           &size, &dec, &nullable))) {
            free(noff);
            af_buf_free(&names);
            return od_fail(s->db, SQL_HANDLE_STMT, s->h, "describe", err, errlen);
        }
        noff[i] = names.len;
        from_utf16(&names, wname, (size_t)(nl < 512 ? nl : 511));
        af_buf_putc(&names, 0);
        s->sqltypes[i] = type;
        s->scales[i] = dec;
        s->cols[i].type = sql_dtype(type, dec);
    }
    s->names = names.data ? names.data : calloc(1, 1);
    for (size_t i = 0; i < s->ncols; i++)
        s->cols[i].name = s->names + noff[i];
    free(noff);
    return 0;
}

static int od_execute(af_db_stmt *s, const af_db_param *p, size_t n, int64_t fetch_size, char *err,
                      size_t errlen)
{
    reset_result(s);
    af_arena *a = af_arena_new();
    const char *sql = s->sql;
    size_t *order = NULL, norder = 0;
    if (n > 0 && af_db_rewrite(a, s->sql, p, n, '?', 0, &sql, &order, &norder, err, errlen) < 0) {
        af_arena_free(a);
        return -1;
    }
    SQLRETURN r;
    if (!s->prepared || strcmp(s->prepared, sql) != 0) {
        free(s->prepared);
        s->prepared = NULL;
        SQLFreeStmt(s->h, SQL_RESET_PARAMS);
        if (!SQL_SUCCEEDED(SQLPrepare(s->h, (SQLCHAR *)sql, SQL_NTS))) {
            af_arena_free(a);
            return od_fail(s->db, SQL_HANDLE_STMT, s->h, NULL, err, errlen);
        }
        s->prepared = strdup(sql);
    }
    int rc = bind_params(s, p, order, norder, err, errlen);
    af_arena_free(a);
    if (rc < 0) return -1;
    r = SQLExecute(s->h);
    if (r == SQL_NO_DATA) {
        s->rowcount = 0;
        return 0;
    }
    if (!SQL_SUCCEEDED(r)) return od_fail(s->db, SQL_HANDLE_STMT, s->h, NULL, err, errlen);
    if (describe(s, err, errlen) < 0) return -1;
    if (!s->has_result) {
        SQLLEN rc2 = -1;
        if (SQL_SUCCEEDED(SQLRowCount(s->h, &rc2))) s->rowcount = rc2;
    }
    return 0;
}

static void od_columns(af_db_stmt *s, const af_db_column **cols, size_t *n)
{
    *cols = s->cols;
    *n = s->ncols;
}

/* Reads a variable-length column in pieces: wide text or binary. Returns
 * 1 with the value appended to s->data, 0 for NULL, -1 on error. */
static int get_long(af_db_stmt *s, SQLUSMALLINT col, int wide, char *err, size_t errlen)
{
    SQLWCHAR wbuf[4096];
    for (;;) {
        SQLLEN ind = 0;
        SQLRETURN r =
            SQLGetData(s->h, col, wide ? SQL_C_WCHAR : SQL_C_BINARY, wbuf, sizeof wbuf, &ind);
        if (r == SQL_NO_DATA) return 1; /* all read (or an empty value) */
        if (!SQL_SUCCEEDED(r)) return od_fail(s->db, SQL_HANDLE_STMT, s->h, "read", err, errlen);
        if (ind == SQL_NULL_DATA) return 0;
        size_t got;
        if (ind == SQL_NO_TOTAL || ind >= (SQLLEN)sizeof wbuf)
            got = sizeof wbuf - (wide ? sizeof(SQLWCHAR) : 0);
        else
            got = (size_t)ind;
        if (wide)
            from_utf16(&s->data, wbuf, got / sizeof(SQLWCHAR));
        else
            af_buf_put(&s->data, wbuf, got);
        if (r == SQL_SUCCESS) return 1;
    }
}

static int od_next(af_db_stmt *s, const af_db_cell **row, char *err, size_t errlen)
{
    if (!s->has_result) return 0;
    SQLRETURN r = SQLFetch(s->h);
    if (r == SQL_NO_DATA) {
        s->has_result = 0;
        return 0;
    }
    if (!SQL_SUCCEEDED(r)) return od_fail(s->db, SQL_HANDLE_STMT, s->h, "fetch", err, errlen);
    af_buf_reset(&s->data);
    for (size_t i = 0; i < s->ncols; i++) {
        af_db_cell *c = &s->row[i];
        SQLUSMALLINT col = (SQLUSMALLINT)(i + 1);
        SQLLEN ind = 0;
        memset(c, 0, sizeof *c);
        s->off[i] = (size_t)-1;
        SQLSMALLINT t = s->sqltypes[i];
        switch (t) {
        case SQL_TINYINT:
        case SQL_SMALLINT:
        case SQL_INTEGER:
        case SQL_BIGINT: {
            SQLBIGINT v = 0;
            r = SQLGetData(s->h, col, SQL_C_SBIGINT, &v, sizeof v, &ind);
            c->kind = AF_DB_INT;
            c->i = v;
            break;
        }
        case SQL_REAL:
        case SQL_FLOAT:
        case SQL_DOUBLE: {
            double v = 0;
            r = SQLGetData(s->h, col, SQL_C_DOUBLE, &v, sizeof v, &ind);
            c->kind = AF_DB_FLOAT;
            c->d = v;
            break;
        }
        case SQL_BIT: {
            unsigned char v = 0;
            r = SQLGetData(s->h, col, SQL_C_BIT, &v, sizeof v, &ind);
            c->kind = AF_DB_BOOL;
            c->i = v != 0;
            break;
        }
        case SQL_TYPE_DATE:
        case SQL_DATE: {
            SQL_DATE_STRUCT v;
            r = SQLGetData(s->h, col, SQL_C_TYPE_DATE, &v, sizeof v, &ind);
            c->kind = AF_DB_DATE;
            s->off[i] = s->data.len;
            af_buf_printf(&s->data, "%04d-%02u-%02u", v.year, v.month, v.day);
            break;
        }
        case SQL_TYPE_TIMESTAMP:
        case SQL_TIMESTAMP: {
            SQL_TIMESTAMP_STRUCT v;
            r = SQLGetData(s->h, col, SQL_C_TYPE_TIMESTAMP, &v, sizeof v, &ind);
            c->kind = AF_DB_DATETIME;
            s->off[i] = s->data.len;
            af_buf_printf(&s->data, "%04d-%02u-%02u %02u:%02u:%02u.%06u", v.year, v.month, v.day,
                          v.hour, v.minute, v.second, (unsigned)(v.fraction / 1000));
            break;
        }
        case SQL_TYPE_TIME:
        case SQL_TIME: {
            SQL_TIME_STRUCT v;
            r = SQLGetData(s->h, col, SQL_C_TYPE_TIME, &v, sizeof v, &ind);
            c->kind = AF_DB_TIME;
            s->off[i] = s->data.len;
            af_buf_printf(&s->data, "%02u:%02u:%02u", v.hour, v.minute, v.second);
            break;
        }
        case SQL_DECIMAL:
        case SQL_NUMERIC: {
            char v[128];
            r = SQLGetData(s->h, col, SQL_C_CHAR, v, sizeof v, &ind);
            c->kind = s->scales[i] == 0 ? AF_DB_INT : AF_DB_DECIMAL;
            s->off[i] = s->data.len;
            if (SQL_SUCCEEDED(r) && ind != SQL_NULL_DATA) af_buf_puts(&s->data, v);
            break;
        }
        case SQL_BINARY:
        case SQL_VARBINARY:
        case SQL_LONGVARBINARY: {
            s->off[i] = s->data.len;
            int k = get_long(s, col, 0, err, errlen);
            if (k < 0) return -1;
            c->kind = k ? AF_DB_BYTES : AF_DB_NULL;
            continue;
        }
        default: {
            s->off[i] = s->data.len;
            int k = get_long(s, col, 1, err, errlen);
            if (k < 0) return -1;
            c->kind = k ? AF_DB_TEXT : AF_DB_NULL;
            continue;
        }
        }
        if (!SQL_SUCCEEDED(r)) return od_fail(s->db, SQL_HANDLE_STMT, s->h, "read", err, errlen);
        if (ind == SQL_NULL_DATA) {
            /* the struct held nothing: drop what was formatted from it */
            c->kind = AF_DB_NULL;
            if (s->off[i] != (size_t)-1) s->data.len = s->off[i];
            s->off[i] = (size_t)-1;
        }
    }
    /* text lives in s->data, which may have moved while it grew; each
     * value ends where the next one with text starts */
    for (size_t i = 0; i < s->ncols; i++) {
        if (s->off[i] == (size_t)-1 || s->row[i].kind == AF_DB_NULL) continue;
        size_t end = s->data.len;
        for (size_t j = i + 1; j < s->ncols; j++)
            if (s->off[j] != (size_t)-1 && s->row[j].kind != AF_DB_NULL) {
                end = s->off[j];
                break;
            }
        s->row[i].s = s->data.data ? s->data.data + s->off[i] : "";
        s->row[i].len = end - s->off[i];
    }
    *row = s->row;
    return 1;
}

static int64_t od_rowcount(af_db_stmt *s)
{
    return s->rowcount;
}

static void od_finalize(af_db_stmt *s)
{
    if (!s) return;
    reset_result(s);
    free_params(s);
    free(s->pbuf);
    free(s->pind);
    SQLFreeHandle(SQL_HANDLE_STMT, s->h);
    af_buf_free(&s->data);
    free(s->prepared);
    free(s->sql);
    free(s);
}

static int od_begin(void *p, char *err, size_t errlen)
{
    od_db *db = p;
    if (!SQL_SUCCEEDED(
            SQLSetConnectAttr(db->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0)))
        return od_fail(db, SQL_HANDLE_DBC, db->dbc, "begin", err, errlen);
    return 0;
}

static int end_tran(od_db *db, SQLSMALLINT how, char *err, size_t errlen)
{
    int rc = 0;
    if (!SQL_SUCCEEDED(SQLEndTran(SQL_HANDLE_DBC, db->dbc, how)))
        rc = od_fail(db, SQL_HANDLE_DBC, db->dbc, how == SQL_COMMIT ? "commit" : "rollback", err,
                     errlen);
    SQLSetConnectAttr(db->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_ON, 0);
    return rc;
}

static int od_commit(void *db, char *err, size_t errlen)
{
    return end_tran(db, SQL_COMMIT, err, errlen);
}

static int od_rollback(void *db, char *err, size_t errlen)
{
    return end_tran(db, SQL_ROLLBACK, err, errlen);
}

static const char *od_sql_type(void *p, int t)
{
    od_db *db = p;
    switch (t) {
    case AF_DT_BOOL:
        return "BOOLEAN";
    case AF_DT_INT:
        return "BIGINT";
    case AF_DT_FLOAT:
        return "DOUBLE PRECISION";
    case AF_DT_DECIMAL:
        return "DECIMAL(36,12)";
    case AF_DT_DATE:
        return "DATE";
    case AF_DT_DATETIME:
        return "TIMESTAMP";
    default:
        return db->string_type;
    }
}

/* ---- bulk load: parameter arrays --------------------------------------- *
 * One INSERT executed for LOAD_BATCH rows at a time (SQL_ATTR_PARAMSET_SIZE):
 * a round trip per batch instead of per row, which is what makes loading
 * into Exasol or SQL Server over a network bearable. Values are bound as
 * wide strings, column-wise, each column as wide as its longest value in
 * the batch; the database converts them to the column types. */

#define LOAD_BATCH 1000

typedef struct od_loader {
    od_db *db;
    SQLHSTMT h;
    size_t ncols;
    af_buf data;       /* the batch's values, UTF-8, back to back */
    size_t *off, *len; /* per row and column: where in data, or len (size_t)-1 for NULL */
    size_t nrows;
    int64_t done; /* rows sent before this batch */
    SQLUSMALLINT *status;
} od_loader;

static int od_load_begin(void *p, const char *table, const char *const *cols, size_t ncols,
                         void **out, char *err, size_t errlen)
{
    od_db *db = p;
    od_loader *l = calloc(1, sizeof *l);
    l->db = db;
    l->ncols = ncols;
    l->off = calloc(LOAD_BATCH * ncols, sizeof *l->off);
    l->len = calloc(LOAD_BATCH * ncols, sizeof *l->len);
    l->status = calloc(LOAD_BATCH, sizeof *l->status);
    af_buf b = {0};
    af_buf_printf(&b, "INSERT INTO %s (", table);
    for (size_t i = 0; i < ncols; i++)
        af_buf_printf(&b, "%s%s", i ? ", " : "", cols[i]);
    af_buf_puts(&b, ") VALUES (");
    for (size_t i = 0; i < ncols; i++)
        af_buf_puts(&b, i ? ", ?" : "?");
    af_buf_putc(&b, ')');
    int rc = 0;
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, db->dbc, &l->h)))
        rc = od_fail(db, SQL_HANDLE_DBC, db->dbc, "cannot allocate a statement", err, errlen);
    else if (!SQL_SUCCEEDED(SQLPrepare(l->h, (SQLCHAR *)af_buf_cstr(&b), SQL_NTS)))
        rc = od_fail(db, SQL_HANDLE_STMT, l->h, NULL, err, errlen);
    af_buf_free(&b);
    if (rc < 0) {
        if (l->h) SQLFreeHandle(SQL_HANDLE_STMT, l->h);
        free(l->off);
        free(l->len);
        free(l->status);
        free(l);
        return -1;
    }
    *out = l;
    return 0;
}

static int load_flush(od_loader *l, char *err, size_t errlen)
{
    if (l->nrows == 0) return 0;
    size_t n = l->nrows, nc = l->ncols;
    SQLWCHAR **bufs = calloc(nc, sizeof *bufs);
    SQLLEN **inds = calloc(nc, sizeof *inds);
    int rc = 0;
    SQLFreeStmt(l->h, SQL_RESET_PARAMS);
    for (size_t c = 0; c < nc && rc == 0; c++) {
        /* the column's width: its longest value in UTF-16 units */
        size_t w = 1;
        SQLWCHAR **conv = calloc(n, sizeof *conv);
        size_t *wl = calloc(n, sizeof *wl);
        for (size_t r = 0; r < n; r++) {
            size_t k = r * nc + c;
            if (l->len[k] == (size_t)-1) continue;
            conv[r] = to_utf16(l->data.data + l->off[k], l->len[k], &wl[r]);
            if (wl[r] > w) w = wl[r];
        }
        bufs[c] = calloc(n * (w + 1), sizeof(SQLWCHAR));
        inds[c] = calloc(n, sizeof(SQLLEN));
        for (size_t r = 0; r < n; r++) {
            if (!conv[r]) {
                inds[c][r] = SQL_NULL_DATA;
                continue;
            }
            memcpy(bufs[c] + r * (w + 1), conv[r], wl[r] * sizeof(SQLWCHAR));
            inds[c][r] = (SQLLEN)(wl[r] * sizeof(SQLWCHAR));
            free(conv[r]);
        }
        free(conv);
        free(wl);
        SQLRETURN sr = SQLBindParameter(l->h, (SQLUSMALLINT)(c + 1), SQL_PARAM_INPUT, SQL_C_WCHAR,
                                        w > 4000 ? SQL_WLONGVARCHAR : SQL_WVARCHAR, w, 0, bufs[c],
                                        (SQLLEN)((w + 1) * sizeof(SQLWCHAR)), inds[c]);
        if (!SQL_SUCCEEDED(sr)) rc = od_fail(l->db, SQL_HANDLE_STMT, l->h, "bind", err, errlen);
    }
    if (rc == 0) {
        SQLSetStmtAttr(l->h, SQL_ATTR_PARAM_BIND_TYPE, (SQLPOINTER)SQL_PARAM_BIND_BY_COLUMN, 0);
        SQLSetStmtAttr(l->h, SQL_ATTR_PARAMSET_SIZE, (SQLPOINTER)(uintptr_t)n, 0);
        SQLSetStmtAttr(l->h, SQL_ATTR_PARAM_STATUS_PTR, l->status, 0);
        for (size_t r = 0; r < n; r++)
            l->status[r] = SQL_PARAM_UNUSED;
        SQLRETURN sr = SQLExecute(l->h);
        if (!SQL_SUCCEEDED(sr) && sr != SQL_NO_DATA) {
            /* name the first row the driver reports as failed */
            size_t bad = 0;
            for (size_t r = 0; r < n; r++)
                if (l->status[r] == SQL_PARAM_ERROR) {
                    bad = r + 1;
                    break;
                }
            rc = od_fail(l->db, SQL_HANDLE_STMT, l->h, NULL, err, errlen);
            if (bad) {
                size_t el = strlen(err);
                snprintf(err + el, errlen > el ? errlen - el : 0, " (data row %lld)",
                         (long long)(l->done + (int64_t)bad));
            }
        }
        SQLFreeStmt(l->h, SQL_CLOSE);
    }
    for (size_t c = 0; c < nc; c++) {
        free(bufs[c]);
        free(inds[c]);
    }
    free(bufs);
    free(inds);
    if (rc == 0) l->done += (int64_t)n;
    l->nrows = 0;
    af_buf_reset(&l->data);
    return rc;
}

static int od_load_row(void *p, const af_db_cell *row, size_t n, char *err, size_t errlen)
{
    od_loader *l = p;
    size_t base = l->nrows * l->ncols;
    for (size_t c = 0; c < n && c < l->ncols; c++) {
        if (row[c].kind == AF_DB_NULL) {
            l->len[base + c] = (size_t)-1;
            continue;
        }
        l->off[base + c] = l->data.len;
        l->len[base + c] = row[c].len;
        af_buf_put(&l->data, row[c].s ? row[c].s : "", row[c].len);
    }
    if (++l->nrows == LOAD_BATCH) return load_flush(l, err, errlen);
    return 0;
}

static int od_load_end(void *p, int ok, int64_t *rows, char *err, size_t errlen)
{
    od_loader *l = p;
    int rc = ok ? load_flush(l, err, errlen) : -1;
    *rows = l->done;
    SQLFreeHandle(SQL_HANDLE_STMT, l->h);
    af_buf_free(&l->data);
    free(l->off);
    free(l->len);
    free(l->status);
    free(l);
    return rc;
}

static const af_db_ops odbc_ops = {
    .abi = AF_DB_ABI,
    .connect = od_connect,
    .disconnect = od_disconnect,
    .prepare = od_prepare,
    .execute = od_execute,
    .columns = od_columns,
    .next = od_next,
    .rowcount = od_rowcount,
    .finalize = od_finalize,
    .begin = od_begin,
    .commit = od_commit,
    .rollback = od_rollback,
    .load_begin = od_load_begin,
    .load_row = od_load_row,
    .load_end = od_load_end,
    .sql_type = od_sql_type,
};

const af_db_ops *db_odbc_ops(void)
{
    return &odbc_ops;
}

/* The named drivers differ only in how they build the connection string. */
#define NAMED_OPS(var, fn)                                                                         \
    static const af_db_ops var = {                                                                 \
        .abi = AF_DB_ABI,                                                                          \
        .connect = fn,                                                                             \
        .disconnect = od_disconnect,                                                               \
        .prepare = od_prepare,                                                                     \
        .execute = od_execute,                                                                     \
        .columns = od_columns,                                                                     \
        .next = od_next,                                                                           \
        .rowcount = od_rowcount,                                                                   \
        .finalize = od_finalize,                                                                   \
        .begin = od_begin,                                                                         \
        .commit = od_commit,                                                                       \
        .rollback = od_rollback,                                                                   \
        .load_begin = od_load_begin,                                                               \
        .load_row = od_load_row,                                                                   \
        .load_end = od_load_end,                                                                   \
        .sql_type = od_sql_type,                                                                   \
    }
NAMED_OPS(exasol_ops, exa_connect);
NAMED_OPS(oracle_ops, ora_connect);
NAMED_OPS(mysql_ops, my_connect);

const af_db_ops *db_mysql_ops(void)
{
    return &mysql_ops;
}

static const af_input od_config[] = {
    {"dsn", AF_TY_STR, 0, NULL, NULL, "DSN name from odbc.ini, or a whole connection string"},
    {"connection_string", AF_TY_STR, 0, NULL, NULL, "DRIVER={...};SERVER=...;..."},
    {"user", AF_TY_STR, 0, NULL, NULL, "added as UID"},
    {"password", AF_TY_STR, 0, NULL, NULL, "added as PWD (never logged)"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_input od_options[] = {
    {"login_timeout", AF_TY_NUMBER, 0, "10", NULL, "seconds to wait for a connection"},
    {"query_timeout", AF_TY_NUMBER, 0, NULL, NULL, "seconds per statement"},
    {"string_type", AF_TY_STR, 0, "\"VARCHAR(4000)\"", NULL,
     "column type db_load creates for text"},
    {"odbc_driver", AF_TY_STR, 0, NULL, NULL, "driver name registered in odbcinst.ini"},
    {"timeout", AF_TY_NUMBER, 0, NULL, NULL, "exasol: connect timeout in seconds"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_input exa_config[] = {
    {"dsn", AF_TY_STR, 1, NULL, NULL, "host:port[,host:port] of the Exasol cluster"},
    {"user", AF_TY_STR, 1, NULL, NULL, "user"},
    {"password", AF_TY_STR, 1, NULL, NULL, "password (never logged)"},
    {"schema", AF_TY_STR, 0, NULL, NULL, "default schema"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_input ora_config[] = {
    {"dsn", AF_TY_STR, 1, NULL, NULL, "host:port/service or a TNS alias"},
    {"user", AF_TY_STR, 1, NULL, NULL, "user"},
    {"password", AF_TY_STR, 1, NULL, NULL, "password (never logged)"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_input my_config[] = {
    {"url", AF_TY_STR, 0, NULL, NULL, "mysql://user:password@host:port/database"},
    {"host", AF_TY_STR, 0, NULL, NULL, "server host"},
    {"port", AF_TY_INT, 0, "3306", NULL, "server port"},
    {"user", AF_TY_STR, 0, NULL, NULL, "user"},
    {"password", AF_TY_STR, 0, NULL, NULL, "password (never logged)"},
    {"database", AF_TY_STR, 0, NULL, NULL, "database"},
    {"dsn", AF_TY_STR, 0, NULL, NULL, "a DSN name or connection string instead"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

const af_driver af_driver_db_odbc = {
    .abi = AF_ABI_VERSION,
    .kind = "db",
    .name = "odbc",
    .aliases = "pyodbc",
    .summary = "any database with an ODBC driver (unixODBC)",
    .config = od_config,
    .options = od_options,
    .open = af_db_driver_open,
    .close = af_db_driver_close,
    .ops = &odbc_ops, /* af_db_ops */
    .libs = "-lodbc -lcrypto",
};

const af_driver af_driver_db_exasol = {
    .abi = AF_ABI_VERSION,
    .kind = "db",
    .name = "exasol",
    .aliases = "pyexasol",
    .summary = "Exasol through its ODBC driver (EXASolution Driver)",
    .config = exa_config,
    .options = od_options,
    .open = af_db_driver_open,
    .close = af_db_driver_close,
    .ops = &exasol_ops, /* af_db_ops */
    .libs = "-lodbc -lcrypto",
};

const af_driver af_driver_db_oracledb = {
    .abi = AF_ABI_VERSION,
    .kind = "db",
    .name = "oracledb",
    .aliases = "oracle",
    .summary = "Oracle through Oracle's ODBC driver (Instant Client ODBC)",
    .config = ora_config,
    .options = od_options,
    .open = af_db_driver_open,
    .close = af_db_driver_close,
    .ops = &oracle_ops, /* af_db_ops */
    .libs = "-lodbc -lcrypto",
};

const af_driver af_driver_db_mysql = {
    .abi = AF_ABI_VERSION,
    .kind = "db",
    .name = "mysql",
    .aliases = "mariadb",
    .summary = "MySQL or MariaDB through Connector/ODBC",
    .config = my_config,
    .options = od_options,
    .open = af_db_driver_open,
    .close = af_db_driver_close,
    .ops = &mysql_ops, /* af_db_ops */
    .libs = "-lodbc -lcrypto",
};
