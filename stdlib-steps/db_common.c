/*
 * db_common.c - the shared half of the db connector kind: driver glue
 * (af_db.h helpers), value formatting with the reference implementation's
 * Python semantics, the dtype-inferring cursor, atomic SHA-256 output, and
 * the work of db_extract, db_fetch_small, db_extract_stream, db_load and
 * db_exec (db_int.h). Steps call in here; drivers are called from here.
 */
#include "db_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define OUT_BUF (256 * 1024)

static int fail(char *err, size_t errlen, const char *fmt, ...) AF_PRINTF(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- driver glue -------------------------------------------------------- */

int af_db_driver_open(af_conn *c, char *err, size_t errlen)
{
    const af_db_ops *ops = af_conn_driver(c)->ops;
    void *db = NULL;
    if (ops->connect(af_conn_arena(c), af_conn_config(c), af_conn_options(c), &db, err, errlen) < 0)
        return -1;
    af_conn_set_impl(c, db);
    return 0;
}

void af_db_driver_close(af_conn *c)
{
    const af_db_ops *ops = af_conn_driver(c)->ops;
    void *db = af_conn_impl(c);
    if (db && ops->disconnect) ops->disconnect(db);
    af_conn_set_impl(c, NULL);
}

void af_db_resolve(const af_db_ops **ops, void **db)
{
    for (int i = 0; i < 4 && (*ops)->delegate; i++) {
        void *inner = NULL;
        const af_db_ops *o = (*ops)->delegate(*db, &inner);
        if (!o) break;
        *ops = o;
        *db = inner;
    }
}

void af_db_scrub(char *msg, const char *secret)
{
    if (!msg || !secret || !*secret) return;
    size_t sl = strlen(secret);
    char *p;
    while ((p = strstr(msg, secret)) != NULL) {
        memmove(p + 3, p + sl, strlen(p + sl) + 1);
        memcpy(p, "***", 3);
    }
}

const char *af_db_dtype_label(int t)
{
    switch (t) {
    case AF_DT_BOOL:
        return "bool";
    case AF_DT_INT:
        return "int";
    case AF_DT_FLOAT:
    case AF_DT_DECIMAL:
        return "float";
    case AF_DT_DATE:
        return "date";
    case AF_DT_DATETIME:
        return "datetime";
    default:
        return "string";
    }
}

static int ident_start(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int ident_char(int c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

int af_db_rewrite(af_arena *a, const char *sql, const af_db_param *params, size_t n, char style,
                  int dollar, const char **out, size_t **order, size_t *norder, char *err,
                  size_t errlen)
{
    af_buf b = {0};
    size_t len = strlen(sql);
    size_t *ord = af_alloc(a, (len + 1) * sizeof *ord);
    size_t no = 0, npos = 0, nslots = 0;
    int named = n > 0 && params[0].name != NULL;
    /* '$' style gives each distinct name one slot */
    size_t *slot_of = named ? af_alloc(a, n * sizeof *slot_of) : NULL;
    for (size_t k = 0; named && k < n; k++)
        slot_of[k] = (size_t)-1;
    int native = 0, marks = 0;
    size_t i = 0;
    while (i < len) {
        char c = sql[i];
        if (c == '-' && sql[i + 1] == '-') {
            size_t j = i;
            while (j < len && sql[j] != '\n')
                j++;
            af_buf_put(&b, sql + i, j - i);
            i = j;
        } else if (c == '/' && sql[i + 1] == '*') {
            const char *e = strstr(sql + i + 2, "*/");
            size_t j = e ? (size_t)(e - sql) + 2 : len;
            af_buf_put(&b, sql + i, j - i);
            i = j;
        } else if (c == '\'' || c == '"' || c == '`') {
            int bs = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                     (i < 2 || !ident_char((unsigned char)sql[i - 2]));
            size_t j = i + 1;
            while (j < len) {
                if (bs && sql[j] == '\\' && j + 1 < len) {
                    j += 2;
                    continue;
                }
                if (sql[j] == c) {
                    if (sql[j + 1] == c) {
                        j += 2;
                        continue;
                    }
                    j++;
                    break;
                }
                j++;
            }
            if (j > len) j = len;
            af_buf_put(&b, sql + i, j - i);
            i = j;
        } else if (c == '$' && dollar && (i == 0 || !ident_char((unsigned char)sql[i - 1]))) {
            size_t j = i + 1;
            if (sql[j] >= '0' && sql[j] <= '9') {
                while (sql[j] >= '0' && sql[j] <= '9')
                    j++;
                native = 1;
                af_buf_put(&b, sql + i, j - i);
                i = j;
                continue;
            }
            while (j < len && ident_char((unsigned char)sql[j]))
                j++;
            if (sql[j] == '$') {
                size_t tl = j + 1 - i;
                char *tag = af_strndup(a, sql + i, tl);
                const char *e = strstr(sql + j + 1, tag);
                size_t k = e ? (size_t)(e - sql) + tl : len;
                af_buf_put(&b, sql + i, k - i);
                i = k;
            } else {
                af_buf_putc(&b, c);
                i++;
            }
        } else if (c == ':' && sql[i + 1] == ':') {
            af_buf_put(&b, "::", 2);
            i += 2;
        } else if (c == ':' && named && ident_start((unsigned char)sql[i + 1])) {
            size_t j = i + 1;
            while (j < len && ident_char((unsigned char)sql[j]))
                j++;
            size_t k;
            for (k = 0; k < n; k++)
                if (params[k].name && strlen(params[k].name) == j - i - 1 &&
                    !memcmp(params[k].name, sql + i + 1, j - i - 1))
                    break;
            if (k == n) {
                af_buf_free(&b);
                return fail(err, errlen, "You did not supply a value for binding parameter :%.*s.",
                            (int)(j - i - 1), sql + i + 1);
            }
            marks++;
            if (style == '$') {
                if (slot_of[k] == (size_t)-1) {
                    slot_of[k] = nslots++;
                    ord[no++] = k;
                }
                af_buf_printf(&b, "$%zu", slot_of[k] + 1);
            } else {
                ord[no++] = k;
                af_buf_putc(&b, '?');
            }
            i = j;
        } else if (c == '?' && !named && n > 0) {
            marks++;
            if (npos >= n) {
                /* count them all for the message */
                size_t total = npos + 1;
                for (size_t j = i + 1; j < len; j++)
                    total += sql[j] == '?';
                af_buf_free(&b);
                return fail(err, errlen,
                            "Incorrect number of bindings supplied. The current statement uses "
                            "%zu, and there are %zu supplied.",
                            total, n);
            }
            ord[no++] = npos++;
            if (style == '$')
                af_buf_printf(&b, "$%zu", npos);
            else
                af_buf_putc(&b, '?');
            i++;
        } else {
            af_buf_putc(&b, c);
            i++;
        }
    }
    if (native && marks) {
        af_buf_free(&b);
        return fail(err, errlen, "do not mix $N placeholders with :name or ? in one statement");
    }
    if (!named && n > 0 && !native && npos != n) {
        af_buf_free(&b);
        return fail(err, errlen,
                    "Incorrect number of bindings supplied. The current statement uses %zu, and "
                    "there are %zu supplied.",
                    npos, n);
    }
    if (native) {
        for (size_t k = 0; k < n; k++)
            ord[k] = k;
        no = n;
    }
    *out = af_strndup(a, b.data ? b.data : "", b.len);
    af_buf_free(&b);
    *order = ord;
    *norder = no;
    return 0;
}

/* ---- Python formatting -------------------------------------------------- */


static void put_int(af_buf *b, int64_t v)
{
    char tmp[24];
    int k = 23;
    tmp[k] = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) tmp[--k] = '-';
    af_buf_put(b, tmp + k, (size_t)(23 - k));
}

/* str(Decimal(text)) */
static void py_decimal(af_buf *b, const char *s, size_t len)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    if (len - i >= 3 && (s[i] == 'n' || s[i] == 'N' || s[i] == 'i' || s[i] == 'I') &&
        (!strncasecmp(s + i, "nan", 3) || !strncasecmp(s + i, "inf", 3))) {
        if (neg) af_buf_putc(b, '-');
        af_buf_puts(b, (s[i] == 'n' || s[i] == 'N') ? "NaN" : "Infinity");
        return;
    }
    /* coefficient digits and exponent */
    char small[64];
    char *coef = len + 2 <= sizeof small ? small : malloc(len + 2);
    size_t nc = 0;
    long exp = 0;
    int seen_dot = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            coef[nc++] = c;
            if (seen_dot) exp--;
        } else if (c == '.') {
            seen_dot = 1;
        } else if (c == 'e' || c == 'E') {
            exp += strtol(s + i + 1, NULL, 10);
            break;
        }
    }
    size_t z = 0;
    while (z + 1 < nc && coef[z] == '0')
        z++;
    const char *cd = coef + z;
    long n = (long)(nc - z);
    if (n <= 0) {
        cd = "0";
        n = 1;
    }
    long left = exp + n, dot;
    if (exp <= 0 && left > -6)
        dot = left;
    else
        dot = 1;
    if (neg) af_buf_putc(b, '-');
    if (dot <= 0) {
        af_buf_puts(b, "0.");
        for (long k = 0; k < -dot; k++)
            af_buf_putc(b, '0');
        af_buf_put(b, cd, (size_t)n);
    } else if (dot >= n) {
        af_buf_put(b, cd, (size_t)n);
        for (long k = 0; k < dot - n; k++)
            af_buf_putc(b, '0');
    } else {
        af_buf_put(b, cd, (size_t)dot);
        af_buf_putc(b, '.');
        af_buf_put(b, cd + dot, (size_t)(n - dot));
    }
    if (left != dot) af_buf_printf(b, "E%+ld", left - dot);
    if (coef != small) free(coef);
}

/* A time of day "HH:MM:SS[.frac][zone]" as Python's time/datetime print it:
 * the fraction as 6 digits unless zero, the zone as +HH:MM[:SS]. Returns
 * the bytes consumed. */
static void py_clock(af_buf *b, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == ':'))
        i++;
    af_buf_put(b, s, i);
    if (i == 5) af_buf_puts(b, ":00"); /* HH:MM */
    if (i < len && (s[i] == '.' || s[i] == ',')) {
        char us[7] = "000000";
        size_t j = i + 1, k = 0;
        while (j < len && s[j] >= '0' && s[j] <= '9') {
            if (k < 6) us[k++] = s[j];
            j++;
        }
        if (strcmp(us, "000000") != 0) {
            af_buf_putc(b, '.');
            af_buf_put(b, us, 6);
        }
        i = j;
    }
    while (i < len && s[i] == ' ')
        i++;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        af_buf_puts(b, "+00:00");
        return;
    }
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        char sign = s[i++];
        int part[3] = {0, 0, 0}, np = 0;
        while (i < len && np < 3) {
            int v = 0, nd = 0;
            while (i < len && s[i] >= '0' && s[i] <= '9' && nd < 2) {
                v = v * 10 + (s[i++] - '0');
                nd++;
            }
            if (!nd) break;
            part[np++] = v;
            if (i < len && s[i] == ':') i++;
        }
        af_buf_printf(b, "%c%02d:%02d", sign, part[0], part[1]);
        if (part[2]) af_buf_printf(b, ":%02d", part[2]);
    }
}

/* A datetime text with sep between date and time. */
static void py_datetime(af_buf *b, const char *s, size_t len, char sep)
{
    size_t i = 0;
    while (i < len && s[i] != ' ' && s[i] != 'T' && s[i] != 't')
        i++;
    af_buf_put(b, s, i);
    if (i >= len) {
        af_buf_putc(b, sep);
        af_buf_puts(b, "00:00:00");
        return;
    }
    af_buf_putc(b, sep);
    py_clock(b, s + i + 1, len - i - 1);
}

/* repr(bytes) */
static void py_bytes(af_buf *b, const char *s, size_t len)
{
    int sq = memchr(s, '\'', len) != NULL, dq = memchr(s, '"', len) != NULL;
    char q = sq && !dq ? '"' : '\'';
    af_buf_putc(b, 'b');
    af_buf_putc(b, q);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == (unsigned char)q || c == '\\') {
            af_buf_putc(b, '\\');
            af_buf_putc(b, (char)c);
        } else if (c == '\t') {
            af_buf_puts(b, "\\t");
        } else if (c == '\n') {
            af_buf_puts(b, "\\n");
        } else if (c == '\r') {
            af_buf_puts(b, "\\r");
        } else if (c < 32 || c >= 127) {
            af_buf_printf(b, "\\x%02x", c);
        } else {
            af_buf_putc(b, (char)c);
        }
    }
    af_buf_putc(b, q);
}

static af_value *parse_json_cell(af_arena *a, const af_db_cell *c)
{
    af_value *v = NULL;
    char e[64];
    if (af_json_parse(a, c->s, c->len, &v, e, sizeof e) < 0) return NULL;
    return v;
}

void db_pystr(af_buf *b, const af_db_cell *c)
{
    switch (c->kind) {
    case AF_DB_NULL:
        break;
    case AF_DB_INT:
        if (c->s)
            af_buf_put(b, c->s, c->len);
        else
            put_int(b, c->i);
        break;
    case AF_DB_FLOAT:
        af_py_float(b, c->d);
        break;
    case AF_DB_TEXT:
        af_buf_put(b, c->s, c->len);
        break;
    case AF_DB_BYTES:
        py_bytes(b, c->s, c->len);
        break;
    case AF_DB_BOOL:
        af_buf_puts(b, c->i ? "True" : "False");
        break;
    case AF_DB_DECIMAL:
        py_decimal(b, c->s, c->len);
        break;
    case AF_DB_DATE:
        af_buf_put(b, c->s, c->len);
        break;
    case AF_DB_DATETIME:
        py_datetime(b, c->s, c->len, ' ');
        break;
    case AF_DB_TIME:
        py_clock(b, c->s, c->len);
        break;
    case AF_DB_JSON: {
        af_arena *a = af_arena_new();
        af_value *v = parse_json_cell(a, c);
        if (v && v->type == AF_NULL)
            ; /* JSON null is None to psycopg2: printed as nothing */
        else if (v)
            af_py_str(b, v);
        else
            af_buf_put(b, c->s, c->len);
        af_arena_free(a);
        break;
    }
    default:
        af_buf_put(b, c->s, c->len);
        break;
    }
}

static void json_string(af_buf *b, const char *s, size_t len)
{
    af_value v = {.type = AF_STR};
    v.u.s.ptr = s;
    v.u.s.len = len;
    af_json_write(b, &v, 0);
}

static void json_float(af_buf *b, double d)
{
    if (isnan(d))
        af_buf_puts(b, "NaN");
    else if (isinf(d))
        af_buf_puts(b, d < 0 ? "-Infinity" : "Infinity");
    else
        af_py_float(b, d);
}

void db_json(af_buf *b, const af_db_cell *c)
{
    switch (c->kind) {
    case AF_DB_NULL:
        af_buf_puts(b, "null");
        break;
    case AF_DB_INT:
        if (c->s)
            af_buf_put(b, c->s, c->len);
        else
            put_int(b, c->i);
        break;
    case AF_DB_FLOAT:
        json_float(b, c->d);
        break;
    case AF_DB_TEXT:
        json_string(b, c->s, c->len);
        break;
    case AF_DB_BOOL:
        af_buf_puts(b, c->i ? "true" : "false");
        break;
    case AF_DB_DECIMAL: {
        char *t = strndup(c->s, c->len);
        json_float(b, strtod(t, NULL));
        free(t);
        break;
    }
    case AF_DB_DATE:
        json_string(b, c->s, c->len);
        break;
    case AF_DB_DATETIME:
    case AF_DB_TIME:
    case AF_DB_BYTES: {
        af_buf t = {0};
        if (c->kind == AF_DB_DATETIME)
            py_datetime(&t, c->s, c->len, 'T');
        else if (c->kind == AF_DB_TIME)
            py_clock(&t, c->s, c->len);
        else
            py_bytes(&t, c->s, c->len);
        json_string(b, af_buf_cstr(&t), t.len);
        af_buf_free(&t);
        break;
    }
    case AF_DB_JSON: {
        af_arena *a = af_arena_new();
        af_value *v = parse_json_cell(a, c);
        if (v)
            af_json_write(b, v, 0);
        else
            json_string(b, c->s, c->len);
        af_arena_free(a);
        break;
    }
    default:
        json_string(b, c->s ? c->s : "", c->len);
        break;
    }
}

af_value *db_value(af_arena *a, const af_db_cell *c)
{
    switch (c->kind) {
    case AF_DB_NULL:
        return af_null();
    case AF_DB_INT:
        if (c->s) {
            char *t = af_strndup(a, c->s, c->len), *end;
            errno = 0;
            long long v = strtoll(t, &end, 10);
            if (!errno && !*end) return af_int(a, v);
            return af_double(a, strtod(t, NULL));
        }
        return af_int(a, c->i);
    case AF_DB_FLOAT:
        return af_double(a, c->d);
    case AF_DB_TEXT:
        return af_strn(a, c->s, c->len);
    case AF_DB_BOOL:
        return af_bool((int)c->i);
    case AF_DB_DECIMAL:
        return af_double(a, strtod(af_strndup(a, c->s, c->len), NULL));
    case AF_DB_DATE:
        return af_strn(a, c->s, c->len);
    case AF_DB_JSON: {
        af_value *v = parse_json_cell(a, c);
        return v ? v : af_strn(a, c->s, c->len);
    }
    default: {
        af_buf t = {0};
        if (c->kind == AF_DB_DATETIME)
            py_datetime(&t, c->s, c->len, 'T');
        else if (c->kind == AF_DB_TIME)
            py_clock(&t, c->s, c->len);
        else if (c->kind == AF_DB_BYTES)
            py_bytes(&t, c->s, c->len);
        else
            af_buf_put(&t, c->s, c->len);
        af_value *v = af_strn(a, af_buf_cstr(&t), t.len);
        af_buf_free(&t);
        return v;
    }
    }
}

int db_kind_dtype(int kind)
{
    switch (kind) {
    case AF_DB_INT:
        return AF_DT_INT;
    case AF_DB_FLOAT:
        return AF_DT_FLOAT;
    case AF_DB_TEXT:
        return AF_DT_STRING;
    case AF_DB_BYTES:
        return AF_DT_BYTES;
    case AF_DB_BOOL:
        return AF_DT_BOOL;
    case AF_DB_DECIMAL:
        return AF_DT_DECIMAL;
    case AF_DB_DATE:
        return AF_DT_DATE;
    case AF_DB_DATETIME:
        return AF_DT_DATETIME;
    default:
        return AF_DT_OBJECT;
    }
}

/* ---- parameters --------------------------------------------------------- */

static int value_cell(af_arena *a, const af_value *v, af_db_cell *c)
{
    memset(c, 0, sizeof *c);
    switch (v->type) {
    case AF_NULL:
        c->kind = AF_DB_NULL;
        break;
    case AF_BOOL:
        c->kind = AF_DB_BOOL;
        c->i = v->u.b;
        break;
    case AF_INT:
        c->kind = AF_DB_INT;
        c->i = v->u.i;
        break;
    case AF_DOUBLE:
        c->kind = AF_DB_FLOAT;
        c->d = v->u.d;
        break;
    case AF_STR:
        c->kind = AF_DB_TEXT;
        c->s = v->u.s.ptr;
        c->len = v->u.s.len;
        break;
    default:
        c->kind = AF_DB_JSON;
        c->s = af_json_str(a, v, AF_JSON_COMPACT);
        c->len = strlen(c->s);
        break;
    }
    return 0;
}

int db_params(af_arena *a, const af_value *params, af_db_param **out, size_t *n, char *err,
              size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (!params || params->type == AF_NULL) return 0;
    if (params->type == AF_STR) {
        /* a rendered template: JSON text of a mapping or a list */
        const char *s = params->u.s.ptr;
        while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
            s++;
        af_value *v = NULL;
        char e[128];
        if (!*s) return 0;
        if ((*s != '{' && *s != '[') ||
            af_json_parse(a, params->u.s.ptr, params->u.s.len, &v, e, sizeof e) < 0)
            return fail(err, errlen, "params must be a mapping or a list (got a string)");
        params = v;
    }
    if (params->type == AF_MAP) {
        *n = params->u.map.n;
        *out = af_alloc(a, (*n + 1) * sizeof **out);
        for (size_t i = 0; i < *n; i++) {
            (*out)[i].name = params->u.map.pairs[i].key;
            value_cell(a, params->u.map.pairs[i].val, &(*out)[i].v);
        }
        return 0;
    }
    if (params->type == AF_LIST) {
        *n = params->u.list.n;
        *out = af_alloc(a, (*n + 1) * sizeof **out);
        for (size_t i = 0; i < *n; i++)
            value_cell(a, params->u.list.items[i], &(*out)[i].v);
        return 0;
    }
    return fail(err, errlen, "params must be a mapping or a list (got %s)",
                af_type_name(params->type));
}

/* ---- cursor ------------------------------------------------------------- */

int db_cursor_open(db_cursor *c, const af_db_ops *ops, void *db, const char *sql,
                   const af_db_param *p, size_t np, int64_t fetch_size, int infer, char *err,
                   size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->ops = ops;
    if (ops->prepare(db, sql, &c->st, err, errlen) < 0) return -1;
    if (ops->execute(c->st, p, np, fetch_size, err, errlen) < 0) {
        db_cursor_close(c);
        return -1;
    }
    ops->columns(c->st, &c->cols, &c->ncols);
    if (!infer) return 0;
    c->types = calloc(c->ncols + 1, sizeof *c->types);
    int weak = 1;
    for (size_t i = 0; i < c->ncols; i++) {
        c->types[i] = c->cols[i].type;
        if (c->types[i] != AF_DT_OBJECT && c->types[i] != AF_DT_STRING) weak = 0;
    }
    if (!weak) return 0;
    /* metadata says nothing useful: look at the first non-null values */
    c->sa = af_arena_new();
    c->sample = af_alloc(c->sa, DB_SAMPLE_ROWS * sizeof *c->sample);
    for (size_t i = 0; i < c->ncols; i++)
        c->types[i] = AF_DT_OBJECT;
    while (c->nsample < DB_SAMPLE_ROWS) {
        const af_db_cell *row;
        int r = ops->next(c->st, &row, err, errlen);
        if (r < 0) {
            db_cursor_close(c);
            return -1;
        }
        if (r == 0) {
            c->ended = 1;
            break;
        }
        af_db_cell *cp = af_alloc(c->sa, (c->ncols + 1) * sizeof *cp);
        for (size_t i = 0; i < c->ncols; i++) {
            cp[i] = row[i];
            if (row[i].s) cp[i].s = af_strndup(c->sa, row[i].s, row[i].len);
            if (c->types[i] == AF_DT_OBJECT && row[i].kind != AF_DB_NULL)
                c->types[i] = db_kind_dtype(row[i].kind);
        }
        c->sample[c->nsample++] = cp;
    }
    return 0;
}

int db_cursor_next(db_cursor *c, const af_db_cell **row, char *err, size_t errlen)
{
    if (c->spos < c->nsample) {
        *row = c->sample[c->spos++];
        return 1;
    }
    if (c->ended) return 0;
    int r = c->ops->next(c->st, row, err, errlen);
    if (r == 0) c->ended = 1;
    return r;
}

void db_cursor_close(db_cursor *c)
{
    if (c->st && c->ops->finalize) c->ops->finalize(c->st);
    c->st = NULL;
    free(c->types);
    c->types = NULL;
    if (c->sa) af_arena_free(c->sa);
    c->sa = NULL;
}

/* ---- output ------------------------------------------------------------- */

int db_out_open(db_out *o, const char *path, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->f.fd = -1;
    char *dir = strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        if (af_mkdirs(dir, 0755) < 0) {
            int e = errno;
            free(dir);
            return fail(err, errlen, "cannot create directory for %s: %s", path, strerror(e));
        }
    }
    free(dir);
    if (af_atomic_open(&o->f, path, 0644, err, errlen) < 0) return -1;
    o->md = EVP_MD_CTX_new();
    if (!o->md || EVP_DigestInit_ex(o->md, EVP_sha256(), NULL) != 1) {
        af_atomic_abort(&o->f);
        EVP_MD_CTX_free(o->md);
        o->md = NULL;
        return fail(err, errlen, "sha256: cannot initialise OpenSSL digest");
    }
    o->buf = malloc(OUT_BUF);
    o->open = 1;
    return 0;
}

static int out_drain(db_out *o, char *err, size_t errlen)
{
    size_t off = 0;
    while (off < o->n) {
        ssize_t w = write(o->f.fd, o->buf + off, o->n - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return fail(err, errlen, "write %s: %s", o->f.path, strerror(errno));
        }
        off += (size_t)w;
    }
    EVP_DigestUpdate(o->md, o->buf, o->n);
    o->bytes += o->n;
    o->n = 0;
    return 0;
}

int db_out_write(db_out *o, const void *p, size_t n, char *err, size_t errlen)
{
    const char *s = p;
    while (n > 0) {
        size_t k = OUT_BUF - o->n;
        if (k > n) k = n;
        memcpy(o->buf + o->n, s, k);
        o->n += k;
        s += k;
        n -= k;
        if (o->n == OUT_BUF && out_drain(o, err, errlen) < 0) return -1;
    }
    return 0;
}

int db_out_commit(db_out *o, char hex[65], char *err, size_t errlen)
{
    if (out_drain(o, err, errlen) < 0) return -1;
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(o->md, md, &mdlen);
    if (hex) {
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        hex[64] = 0;
    }
    if (af_atomic_commit(&o->f, err, errlen) < 0) return -1;
    EVP_MD_CTX_free(o->md);
    o->md = NULL;
    free(o->buf);
    o->buf = NULL;
    o->open = 0;
    return 0;
}

void db_out_abort(db_out *o)
{
    if (!o->open) return;
    af_atomic_abort(&o->f);
    EVP_MD_CTX_free(o->md);
    o->md = NULL;
    free(o->buf);
    o->buf = NULL;
    o->open = 0;
}

/* ---- shared step pieces ------------------------------------------------- */

#define CANCEL_EVERY 4096 /* rows between cancellation checks */

static int cancelled(db_ctx *x, int64_t rows, char *err, size_t errlen)
{
    if (x->cancelled && (rows % CANCEL_EVERY) == 1 && x->cancelled(x->cancel_ud))
        return fail(err, errlen, "cancelled");
    return 0;
}

static af_value *column_list(af_arena *a, const db_cursor *c)
{
    af_value *l = af_list(a);
    for (size_t i = 0; i < c->ncols; i++)
        af_list_push(a, l, af_str(a, c->cols[i].name));
    return l;
}

static af_value *dtype_map(af_arena *a, const db_cursor *c)
{
    af_value *m = af_map(a);
    for (size_t i = 0; i < c->ncols; i++)
        af_map_set(a, m, c->cols[i].name, af_str(a, af_db_dtype_label(c->types[i])));
    return m;
}

/* ---- db_extract --------------------------------------------------------- */

int db_extract(db_ctx *x, const char *sql, const af_db_param *p, size_t np, const char *format,
               const char *path, int64_t *rows, char *err, size_t errlen)
{
    int jsonl;
    if (!strcmp(format, "tsv"))
        jsonl = 0;
    else if (!strcmp(format, "jsonl"))
        jsonl = 1;
    else
        return fail(err, errlen, "Unsupported format: %s", format);
    db_cursor c;
    if (db_cursor_open(&c, x->ops, x->db, sql, p, np, 5000, 0, err, errlen) < 0) return -1;
    db_out o;
    if (db_out_open(&o, path, err, errlen) < 0) {
        db_cursor_close(&c);
        return -1;
    }
    af_buf b = {0};
    /* jsonl: a dict keeps the first position and the last value of a name */
    size_t *last = calloc(c.ncols + 1, sizeof *last);
    int *dup = calloc(c.ncols + 1, sizeof *dup);
    for (size_t i = 0; i < c.ncols; i++) {
        last[i] = i;
        for (size_t j = 0; j < i; j++)
            if (!dup[j] && !strcmp(c.cols[i].name, c.cols[j].name)) {
                dup[i] = 1;
                last[j] = i;
                break;
            }
    }
    if (!jsonl && c.ncols) {
        for (size_t i = 0; i < c.ncols; i++) {
            if (i) af_buf_putc(&b, '\t');
            af_buf_puts(&b, c.cols[i].name);
        }
        af_buf_putc(&b, '\n');
    }
    int64_t n = 0;
    int rc = 0;
    const af_db_cell *row;
    while (rc == 0 && (rc = db_cursor_next(&c, &row, err, errlen)) == 1) {
        rc = 0;
        if (jsonl) {
            af_buf_putc(&b, '{');
            int first = 1;
            for (size_t i = 0; i < c.ncols; i++) {
                if (dup[i]) continue;
                if (!first) af_buf_puts(&b, ", ");
                first = 0;
                json_string(&b, c.cols[i].name, strlen(c.cols[i].name));
                af_buf_puts(&b, ": ");
                db_json(&b, &row[last[i]]);
            }
            af_buf_puts(&b, "}\n");
        } else {
            for (size_t i = 0; i < c.ncols; i++) {
                if (i) af_buf_putc(&b, '\t');
                db_pystr(&b, &row[i]);
            }
            af_buf_putc(&b, '\n');
        }
        n++;
        if (b.len >= 64 * 1024) {
            rc = db_out_write(&o, b.data, b.len, err, errlen);
            af_buf_reset(&b);
        }
        if (rc == 0) rc = cancelled(x, n, err, errlen);
    }
    if (rc == 0 && b.len) rc = db_out_write(&o, b.data, b.len, err, errlen);
    if (rc == 0) rc = db_out_commit(&o, NULL, err, errlen);
    if (rc < 0) db_out_abort(&o);
    free(last);
    free(dup);
    af_buf_free(&b);
    db_cursor_close(&c);
    if (rc < 0) return -1;
    *rows = n;
    return 0;
}

/* ---- db_fetch_small ----------------------------------------------------- */

int db_fetch_small(db_ctx *x, const char *sql, const af_db_param *p, size_t np, int64_t max_rows,
                   int64_t fetch_size, db_small *out, char *err, size_t errlen)
{
    db_cursor c;
    if (db_cursor_open(&c, x->ops, x->db, sql, p, np, fetch_size, 1, err, errlen) < 0) return -1;
    out->columns = column_list(x->a, &c);
    out->dtypes = dtype_map(x->a, &c);
    out->rows = af_list(x->a);
    out->count = 0;
    const af_db_cell *row;
    int r;
    while ((r = db_cursor_next(&c, &row, err, errlen)) == 1) {
        af_value *l = af_list(x->a);
        for (size_t i = 0; i < c.ncols; i++)
            af_list_push(x->a, l, db_value(x->a, &row[i]));
        af_list_push(x->a, out->rows, l);
        out->count++;
        if (out->count > max_rows) {
            db_cursor_close(&c);
            return fail(err, errlen,
                        "db_fetch_small exceeded max_rows=%lld. Use db_extract_stream for large "
                        "results.",
                        (long long)max_rows);
        }
        if (cancelled(x, out->count, err, errlen) < 0) {
            r = -1;
            break;
        }
    }
    db_cursor_close(&c);
    return r < 0 ? -1 : 0;
}

/* ---- db_extract_stream -------------------------------------------------- */

static int out_sink(void *ud, const void *data, size_t n, char *err, size_t errlen)
{
    return db_out_write(ud, data, n, err, errlen);
}

int db_extract_stream(db_ctx *x, const db_stream_opts *o, db_stream_res *r, char *err,
                      size_t errlen)
{
    if (strcmp(o->format, "tsv") && strcmp(o->format, "csv")) {
        if (!strcmp(o->format, "parquet"))
            return fail(err, errlen,
                        "parquet format is not available in afc executables; use csv or tsv");
        return fail(err, errlen, "db_extract_stream unsupported format: %s", o->format);
    }
    db_cursor c;
    int infer = o->emit_dtypes && !o->dtypes;
    if (db_cursor_open(&c, x->ops, x->db, o->sql, o->params, o->nparams, o->fetch_size, infer, err,
                       errlen) < 0)
        return -1;
    r->columns = column_list(x->a, &c);
    r->dtypes = NULL;
    if (o->emit_dtypes) r->dtypes = o->dtypes ? o->dtypes : dtype_map(x->a, &c);
    db_out out;
    if (db_out_open(&out, o->path, err, errlen) < 0) {
        db_cursor_close(&c);
        return -1;
    }
    af_csv_writer *w = af_csv_writer_new(&o->dialect, o->encoding, out_sink, &out, err, errlen);
    if (!w) {
        db_out_abort(&out);
        db_cursor_close(&c);
        return -1;
    }
    af_csv_field *f = calloc(c.ncols + 1, sizeof *f);
    size_t *offs = calloc(c.ncols + 1, sizeof *offs);
    af_buf scratch = {0};
    int rc = 0;
    if (o->include_header && c.ncols) {
        for (size_t i = 0; i < c.ncols; i++) {
            f[i].s = c.cols[i].name;
            f[i].len = strlen(c.cols[i].name);
        }
        rc = af_csv_write_row(w, f, c.ncols, err, errlen);
    }
    int64_t n = 0;
    const af_db_cell *row;
    while (rc == 0 && (rc = db_cursor_next(&c, &row, err, errlen)) == 1) {
        af_buf_reset(&scratch);
        /* text cells are passed as they are; the rest are formatted into
         * scratch first (its data may move while it grows) */
        for (size_t i = 0; i < c.ncols; i++) {
            const af_db_cell *cell = &row[i];
            if (cell->kind == AF_DB_TEXT || cell->kind == AF_DB_DATE ||
                (cell->kind == AF_DB_INT && cell->s)) {
                offs[i] = (size_t)-1;
            } else {
                offs[i] = scratch.len;
                db_pystr(&scratch, cell);
                f[i].len = scratch.len - offs[i];
            }
        }
        for (size_t i = 0; i < c.ncols; i++) {
            if (offs[i] == (size_t)-1) {
                f[i].s = row[i].s;
                f[i].len = row[i].len;
            } else {
                f[i].s = scratch.data ? scratch.data + offs[i] : "";
            }
        }
        rc = af_csv_write_row(w, f, c.ncols, err, errlen);
        n++;
        if (rc == 0) rc = cancelled(x, n, err, errlen);
    }
    if (rc == 0) rc = af_csv_writer_flush(w, err, errlen);
    if (rc == 0) rc = db_out_commit(&out, r->sha256, err, errlen);
    if (rc < 0) db_out_abort(&out);
    af_csv_writer_free(w);
    free(f);
    free(offs);
    af_buf_free(&scratch);
    db_cursor_close(&c);
    if (rc < 0) return -1;
    r->rows = n;
    return 0;
}

/* ---- db_exec ------------------------------------------------------------ */

int db_exec(db_ctx *x, const char *const *sqls, size_t n, const af_db_param *p, size_t np,
            int transaction, af_value **rowcounts, int64_t *total, char *err, size_t errlen)
{
    const af_db_ops *ops = x->ops;
    *rowcounts = af_list(x->a);
    *total = 0;
    if (transaction && ops->begin(x->db, err, errlen) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        af_db_stmt *st = NULL;
        int rc = ops->prepare(x->db, sqls[i], &st, err, errlen);
        if (rc == 0) rc = ops->execute(st, p, np, 0, err, errlen);
        if (rc == 0) {
            /* drain a result set so the statement completes */
            const af_db_cell *row;
            int k;
            while ((k = ops->next(st, &row, err, errlen)) == 1)
                ;
            if (k < 0) rc = -1;
        }
        int64_t rcnt = rc == 0 ? ops->rowcount(st) : -1;
        if (st && ops->finalize) ops->finalize(st);
        if (rc < 0) {
            if (n > 1) {
                size_t l = strlen(err);
                char tmp[64];
                snprintf(tmp, sizeof tmp, " (statement %zu of %zu)", i + 1, n);
                if (l + strlen(tmp) < errlen) strcat(err, tmp);
            }
            if (transaction) {
                char e2[256];
                ops->rollback(x->db, e2, sizeof e2);
            }
            return -1;
        }
        af_list_push(x->a, *rowcounts, af_int(x->a, rcnt));
        if (rcnt > 0) *total += rcnt;
    }
    if (transaction && ops->commit(x->db, err, errlen) < 0) {
        char e2[256];
        ops->rollback(x->db, e2, sizeof e2);
        return -1;
    }
    return 0;
}

/* ---- db_load ------------------------------------------------------------ */

int db_check_table(const char *t, char *err, size_t errlen)
{
    const char *p = t;
    if (!*p) return fail(err, errlen, "table must not be empty");
    for (;;) {
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p) return fail(err, errlen, "table %s: unterminated quoted name", t);
                if (*p == '"' && p[1] == '"') {
                    p += 2;
                    continue;
                }
                if (*p == '"') break;
                p++;
            }
            p++;
        } else {
            if (!ident_start((unsigned char)*p))
                return fail(err, errlen,
                            "table %s: not a table name (letters, digits and _ , optionally "
                            "\"quoted\", parts joined by dots)",
                            t);
            while (ident_char((unsigned char)*p) || *p == '$')
                p++;
        }
        if (!*p) return 0;
        if (*p != '.')
            return fail(err, errlen,
                        "table %s: not a table name (letters, digits and _ , optionally "
                        "\"quoted\", parts joined by dots)",
                        t);
        p++;
    }
}

static const char *quote_ident(af_arena *a, const char *name)
{
    af_buf b = {0};
    af_buf_putc(&b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') af_buf_putc(&b, '"');
        af_buf_putc(&b, *p);
    }
    af_buf_putc(&b, '"');
    const char *s = af_strndup(a, b.data, b.len);
    af_buf_free(&b);
    return s;
}

static int label_dtype(const char *s)
{
    static const struct {
        const char *name;
        int t;
    } m[] = {{"bool", AF_DT_BOOL},       {"int", AF_DT_INT},      {"float", AF_DT_FLOAT},
             {"decimal", AF_DT_DECIMAL}, {"date", AF_DT_DATE},    {"datetime", AF_DT_DATETIME},
             {"string", AF_DT_STRING},   {"str", AF_DT_STRING},   {"bytes", AF_DT_BYTES},
             {"integer", AF_DT_INT},     {"boolean", AF_DT_BOOL}, {"timestamp", AF_DT_DATETIME},
             {"text", AF_DT_STRING}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (!strcasecmp(s, m[i].name)) return m[i].t;
    return -1;
}

static int exec_sql(db_ctx *x, const char *sql, char *err, size_t errlen)
{
    af_db_stmt *st = NULL;
    int rc = x->ops->prepare(x->db, sql, &st, err, errlen);
    if (rc == 0) rc = x->ops->execute(st, NULL, 0, 0, err, errlen);
    if (st && x->ops->finalize) x->ops->finalize(st);
    return rc;
}

/* 1 when `SELECT * FROM table WHERE 1=0` prepares and runs. */
static int table_exists(db_ctx *x, const char *table)
{
    char e[256];
    char *sql = af_sprintf(x->a, "SELECT * FROM %s WHERE 1=0", table);
    return exec_sql(x, sql, e, sizeof e) == 0;
}

typedef struct loader {
    db_ctx *x;
    void *ld;        /* driver bulk loader */
    af_db_stmt *ins; /* or a prepared INSERT */
    af_db_param *p;
    size_t ncols;
} loader;

static int load_one(loader *l, const af_db_cell *cells, char *err, size_t errlen)
{
    if (l->ld) return l->x->ops->load_row(l->ld, cells, l->ncols, err, errlen);
    for (size_t i = 0; i < l->ncols; i++)
        l->p[i].v = cells[i];
    if (l->x->ops->execute(l->ins, l->p, l->ncols, 0, err, errlen) < 0) return -1;
    return 0;
}

int db_load(db_ctx *x, const db_load_opts *o, db_load_res *res, char *err, size_t errlen)
{
    const af_db_ops *ops = x->ops;
    memset(res, 0, sizeof *res);
    if (db_check_table(o->table, err, errlen) < 0) return -1;
    int fd = open(o->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, errlen, "cannot open %s: %s", o->path, strerror(errno));
    af_csv_reader *rd = af_csv_reader_fd(&o->dialect, o->encoding, fd, err, errlen);
    if (!rd) {
        close(fd);
        return -1;
    }
    int rc = 0;
    const af_csv_field *f;
    size_t nf = 0;
    /* file columns and where each goes (-1: skipped) */
    size_t nfile = 0;
    const char **fnames = NULL;
    if (o->header) {
        int k = af_csv_read(rd, &f, &nf, err, errlen);
        if (k < 0) {
            rc = -1;
            goto out;
        }
        if (k == 0 && !o->columns) {
            rc = fail(err, errlen, "%s is empty: no header row", o->path);
            goto out;
        }
        nfile = nf;
        fnames = af_alloc(x->a, (nf + 1) * sizeof *fnames);
        for (size_t i = 0; i < nf; i++)
            fnames[i] = af_strndup(x->a, f[i].s, f[i].len);
    }
    if (o->columns) {
        if (o->header && nfile != o->ncolumns) {
            rc = fail(err, errlen, "columns lists %zu names but %s has %zu columns", o->ncolumns,
                      o->path, nfile);
            goto out;
        }
        nfile = o->ncolumns;
        fnames = (const char **)o->columns;
    } else if (!o->header) {
        /* no names at all: the first record fixes the width, names are the table's */
        rc = fail(err, errlen, "db_load needs header: true or a columns list");
        goto out;
    }
    if (nfile == 0) {
        rc = fail(err, errlen, "%s: no columns", o->path);
        goto out;
    }
    int *dest = af_alloc(x->a, nfile * sizeof *dest);
    const char **tcols = af_alloc(x->a, (nfile + 1) * sizeof *tcols);
    const char **qcols = af_alloc(x->a, (nfile + 1) * sizeof *qcols);
    size_t ncols = 0;
    res->columns = af_list(x->a);
    for (size_t i = 0; i < nfile; i++) {
        const char *name = fnames[i];
        if (o->column_map && o->column_map->type == AF_MAP) {
            af_value *m = af_map_get(o->column_map, name);
            if (!m || m->type != AF_STR) {
                dest[i] = -1;
                continue;
            }
            name = m->u.s.ptr;
        }
        if (!*name) {
            rc = fail(err, errlen, "column %zu of %s has an empty name", i + 1, o->path);
            goto out;
        }
        for (size_t j = 0; j < ncols; j++)
            if (!strcmp(tcols[j], name)) {
                rc = fail(err, errlen, "column %s appears twice", name);
                goto out;
            }
        dest[i] = (int)ncols;
        tcols[ncols] = name;
        qcols[ncols] = quote_ident(x->a, name);
        af_list_push(x->a, res->columns, af_str(x->a, name));
        ncols++;
    }
    if (ncols == 0) {
        rc = fail(err, errlen, "no column of %s is mapped to the table", o->path);
        goto out;
    }

    int exists = o->mode == DB_REPLACE ? 0 : table_exists(x, o->table);
    int was_there = o->mode == DB_REPLACE ? table_exists(x, o->table) : exists;
    if (!exists && !o->create) {
        rc = fail(err, errlen, "table %s does not exist (and create is false)", o->table);
        goto out;
    }
    if (ops->begin(x->db, err, errlen) < 0) {
        rc = -1;
        goto out;
    }
    int in_tx = 1;
    if (o->mode == DB_REPLACE && was_there) {
        rc = exec_sql(x, af_sprintf(x->a, "DROP TABLE %s", o->table), err, errlen);
        if (rc < 0) goto tx;
    }
    if (!exists) {
        af_buf b = {0};
        af_buf_printf(&b, "CREATE TABLE %s (", o->table);
        for (size_t i = 0; i < ncols; i++) {
            const char *ty = NULL;
            af_value *d =
                o->dtypes && o->dtypes->type == AF_MAP ? af_map_get(o->dtypes, tcols[i]) : NULL;
            if (d && d->type == AF_STR) {
                int t = label_dtype(d->u.s.ptr);
                ty = t >= 0 ? ops->sql_type(x->db, t) : d->u.s.ptr;
            } else {
                ty = ops->sql_type(x->db, AF_DT_STRING);
            }
            af_buf_printf(&b, "%s%s %s", i ? ", " : "", qcols[i], ty);
        }
        af_buf_putc(&b, ')');
        rc = exec_sql(x, af_buf_cstr(&b), err, errlen);
        af_buf_free(&b);
        if (rc < 0) goto tx;
        res->created = 1;
    } else if (o->mode == DB_TRUNCATE) {
        rc = exec_sql(x, af_sprintf(x->a, "DELETE FROM %s", o->table), err, errlen);
        if (rc < 0) goto tx;
    }

    loader l = {x, NULL, NULL, NULL, ncols};
    if (ops->load_begin) {
        rc = ops->load_begin(x->db, o->table, qcols, ncols, &l.ld, err, errlen);
    } else {
        af_buf b = {0};
        af_buf_printf(&b, "INSERT INTO %s (", o->table);
        for (size_t i = 0; i < ncols; i++)
            af_buf_printf(&b, "%s%s", i ? ", " : "", qcols[i]);
        af_buf_puts(&b, ") VALUES (");
        for (size_t i = 0; i < ncols; i++)
            af_buf_puts(&b, i ? ", ?" : "?");
        af_buf_putc(&b, ')');
        rc = ops->prepare(x->db, af_buf_cstr(&b), &l.ins, err, errlen);
        af_buf_free(&b);
        l.p = af_alloc(x->a, (ncols + 1) * sizeof *l.p);
    }
    if (rc < 0) goto tx;
    af_db_cell *cells = af_alloc(x->a, (ncols + 1) * sizeof *cells);
    int64_t n = 0;
    int64_t batch = o->batch_size > 0 ? o->batch_size : 5000;
    for (;;) {
        int k = af_csv_read(rd, &f, &nf, err, errlen);
        if (k < 0) {
            rc = -1;
            break;
        }
        if (k == 0) break;
        if (nf == 0) continue; /* an empty line */
        if (nf != nfile) {
            rc = fail(err, errlen, "%s line %lld: %zu fields, expected %zu", o->path,
                      (long long)af_csv_line_num(rd), nf, nfile);
            break;
        }
        for (size_t i = 0; i < nfile; i++) {
            if (dest[i] < 0) continue;
            af_db_cell *c = &cells[dest[i]];
            memset(c, 0, sizeof *c);
            if (f[i].len == 0 && o->empty_as_null) {
                c->kind = AF_DB_NULL;
            } else {
                c->kind = AF_DB_TEXT;
                c->s = f[i].s;
                c->len = f[i].len;
            }
        }
        if (load_one(&l, cells, err, errlen) < 0) {
            /* a bulk loader names its own row; a per-row INSERT is this line */
            size_t el = strlen(err);
            if (!l.ld)
                snprintf(err + el, errlen > el ? errlen - el : 0, " (%s line %lld)", o->path,
                         (long long)af_csv_line_num(rd));
            rc = -1;
            break;
        }
        n++;
        if (n % batch == 0 && x->cancelled && x->cancelled(x->cancel_ud)) {
            rc = fail(err, errlen, "cancelled");
            break;
        }
    }
    if (l.ld) {
        int64_t got = n;
        char e2[512] = "";
        if (ops->load_end(l.ld, rc == 0, &got, rc == 0 ? err : e2, rc == 0 ? errlen : sizeof e2) <
            0)
            rc = -1;
        if (rc == 0) n = got;
    }
    if (l.ins && ops->finalize) ops->finalize(l.ins);
    res->rows = n;
tx:
    if (rc == 0) {
        rc = ops->commit(x->db, err, errlen);
        in_tx = rc < 0;
    }
    if (in_tx) {
        char e2[256];
        ops->rollback(x->db, e2, sizeof e2);
        res->created = 0;
    }
out:
    af_csv_reader_free(rd);
    close(fd);
    return rc < 0 ? -1 : 0;
}
