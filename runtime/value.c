/*
 * value.c - the value model: constructors, maps, deep copy, Python
 * equality and truthiness, and Python's str()/repr() formatting, which
 * template rendering and JSON output must reproduce byte for byte.
 */
#include "af_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

af_value af_null_value = {.type = AF_NULL};
af_value af_true_value = {.type = AF_BOOL, .u.b = 1};
af_value af_false_value = {.type = AF_BOOL, .u.b = 0};

af_value *af_null(void)
{
    return &af_null_value;
}

af_value *af_bool(int b)
{
    return b ? &af_true_value : &af_false_value;
}

af_value *af_int(af_arena *a, int64_t i)
{
    af_value *v = af_alloc(a, sizeof *v);
    v->type = AF_INT;
    v->u.i = i;
    return v;
}

af_value *af_double(af_arena *a, double d)
{
    af_value *v = af_alloc(a, sizeof *v);
    v->type = AF_DOUBLE;
    v->u.d = d;
    return v;
}

af_value *af_strn(af_arena *a, const char *s, size_t n)
{
    af_value *v = af_alloc(a, sizeof *v);
    v->type = AF_STR;
    v->u.s.ptr = af_strndup(a, s, n);
    v->u.s.len = n;
    return v;
}

af_value *af_str(af_arena *a, const char *s)
{
    return af_strn(a, s ? s : "", s ? strlen(s) : 0);
}

af_value *af_list(af_arena *a)
{
    af_value *v = af_alloc(a, sizeof *v);
    v->type = AF_LIST;
    return v;
}

void af_list_push(af_arena *a, af_value *l, af_value *item)
{
    if (l->u.list.n == l->u.list.cap) {
        size_t cap = l->u.list.cap ? l->u.list.cap * 2 : 4;
        af_value **items = af_alloc(a, cap * sizeof *items);
        if (l->u.list.n) memcpy(items, l->u.list.items, l->u.list.n * sizeof *items);
        l->u.list.items = items;
        l->u.list.cap = cap;
    }
    l->u.list.items[l->u.list.n++] = item;
}

af_value *af_map(af_arena *a)
{
    af_value *v = af_alloc(a, sizeof *v);
    v->type = AF_MAP;
    return v;
}

static af_pair *map_find(const af_value *m, const char *key)
{
    if (!m || m->type != AF_MAP) return NULL;
    for (size_t i = 0; i < m->u.map.n; i++)
        if (strcmp(m->u.map.pairs[i].key, key) == 0) return &m->u.map.pairs[i];
    return NULL;
}

void af_map_set(af_arena *a, af_value *m, const char *key, af_value *v)
{
    af_pair *p = map_find(m, key);
    if (p) {
        p->val = v;
        return;
    }
    if (m->u.map.n == m->u.map.cap) {
        size_t cap = m->u.map.cap ? m->u.map.cap * 2 : 4;
        af_pair *pairs = af_alloc(a, cap * sizeof *pairs);
        if (m->u.map.n) memcpy(pairs, m->u.map.pairs, m->u.map.n * sizeof *pairs);
        m->u.map.pairs = pairs;
        m->u.map.cap = cap;
    }
    m->u.map.pairs[m->u.map.n].key = af_strdup(a, key);
    m->u.map.pairs[m->u.map.n].val = v;
    m->u.map.n++;
}

af_value *af_map_get(const af_value *m, const char *key)
{
    af_pair *p = map_find(m, key);
    return p ? p->val : NULL;
}

int af_map_del(af_value *m, const char *key)
{
    af_pair *p = map_find(m, key);
    if (!p) return 0;
    size_t i = (size_t)(p - m->u.map.pairs);
    memmove(p, p + 1, (m->u.map.n - i - 1) * sizeof *p);
    m->u.map.n--;
    return 1;
}

af_value *af_value_copy(af_arena *a, const af_value *v)
{
    switch (v->type) {
    case AF_NULL:
        return af_null();
    case AF_BOOL:
        return af_bool(v->u.b);
    case AF_INT:
        return af_int(a, v->u.i);
    case AF_DOUBLE:
        return af_double(a, v->u.d);
    case AF_STR:
        return af_strn(a, v->u.s.ptr, v->u.s.len);
    case AF_LIST: {
        af_value *l = af_list(a);
        for (size_t i = 0; i < v->u.list.n; i++)
            af_list_push(a, l, af_value_copy(a, v->u.list.items[i]));
        return l;
    }
    case AF_MAP: {
        af_value *m = af_map(a);
        for (size_t i = 0; i < v->u.map.n; i++)
            af_map_set(a, m, v->u.map.pairs[i].key, af_value_copy(a, v->u.map.pairs[i].val));
        return m;
    }
    }
    return af_null();
}

static int is_num(const af_value *v)
{
    return v->type == AF_BOOL || v->type == AF_INT || v->type == AF_DOUBLE;
}

/* Exact comparison of int64 and double, as Python compares int and float. */
static int cmp_int_double(int64_t i, double d)
{
    if (isnan(d)) return 2; /* unordered */
    if (d >= 9223372036854775808.0) return -1;
    if (d < -9223372036854775808.0) return 1;
    double fl = floor(d);
    int64_t di = (int64_t)fl;
    if (i < di) return -1;
    if (i > di) return 1;
    return fl < d ? -1 : 0;
}

/* Numeric three-way compare of two numbers (bool counts as int): -1, 0, 1,
 * or 2 when unordered (NaN). */
int af__num_cmp(const af_value *x, const af_value *y)
{
    if (x->type != AF_DOUBLE && y->type != AF_DOUBLE) {
        int64_t a = x->type == AF_BOOL ? x->u.b : x->u.i;
        int64_t b = y->type == AF_BOOL ? y->u.b : y->u.i;
        return a < b ? -1 : a > b;
    }
    if (x->type == AF_DOUBLE && y->type == AF_DOUBLE) {
        double a = x->u.d, b = y->u.d;
        if (isnan(a) || isnan(b)) return 2;
        return a < b ? -1 : a > b;
    }
    if (x->type == AF_DOUBLE) {
        int r = cmp_int_double(y->type == AF_BOOL ? y->u.b : y->u.i, x->u.d);
        return r == 2 ? 2 : -r;
    }
    return cmp_int_double(x->type == AF_BOOL ? x->u.b : x->u.i, y->u.d);
}

int af_value_equal(const af_value *x, const af_value *y)
{
    if (is_num(x) && is_num(y)) return af__num_cmp(x, y) == 0;
    if (x->type != y->type) return 0;
    switch (x->type) {
    case AF_NULL:
        return 1;
    case AF_STR:
        return x->u.s.len == y->u.s.len && memcmp(x->u.s.ptr, y->u.s.ptr, x->u.s.len) == 0;
    case AF_LIST:
        if (x->u.list.n != y->u.list.n) return 0;
        for (size_t i = 0; i < x->u.list.n; i++)
            if (!af_value_equal(x->u.list.items[i], y->u.list.items[i])) return 0;
        return 1;
    case AF_MAP:
        if (x->u.map.n != y->u.map.n) return 0;
        for (size_t i = 0; i < x->u.map.n; i++) {
            af_value *o = af_map_get(y, x->u.map.pairs[i].key);
            if (!o || !af_value_equal(x->u.map.pairs[i].val, o)) return 0;
        }
        return 1;
    default:
        return 0;
    }
}

int af_truthy(const af_value *v)
{
    switch (v->type) {
    case AF_NULL:
        return 0;
    case AF_BOOL:
        return v->u.b;
    case AF_INT:
        return v->u.i != 0;
    case AF_DOUBLE:
        return v->u.d != 0.0; /* nan is truthy, as in Python */
    case AF_STR:
        return v->u.s.len != 0;
    case AF_LIST:
        return v->u.list.n != 0;
    case AF_MAP:
        return v->u.map.n != 0;
    }
    return 0;
}

const char *af_type_name(af_type t)
{
    static const char *names[] = {"null", "bool", "int", "float", "string", "list", "map"};
    return (unsigned)t < 7 ? names[t] : "?";
}

/* ---- Python float repr ---------------------------------------------------- */

void af_py_float(af_buf *b, double d)
{
    if (isnan(d)) {
        af_buf_puts(b, "nan");
        return;
    }
    if (isinf(d)) {
        af_buf_puts(b, d < 0 ? "-inf" : "inf");
        return;
    }
    if (d == 0) {
        af_buf_puts(b, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    /* shortest %.Ne that reads back exactly, as Python's repr does */
    char tmp[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d) break;
    }
    /* tmp: [-]D[.DDD]e[+-]XX -> digits and decimal exponent */
    char digits[20];
    int nd = 0, neg = 0;
    const char *p = tmp;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[nd++] = *p;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    if (neg) af_buf_putc(b, '-');
    if (exp10 < -4 || exp10 >= 16) {
        af_buf_putc(b, digits[0]);
        if (nd > 1) {
            af_buf_putc(b, '.');
            af_buf_put(b, digits + 1, (size_t)nd - 1);
        }
        af_buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
        return;
    }
    if (exp10 < 0) {
        af_buf_puts(b, "0.");
        for (int i = 0; i < -exp10 - 1; i++) af_buf_putc(b, '0');
        af_buf_put(b, digits, (size_t)nd);
        return;
    }
    /* exp10 >= 0: integer part is digits[0..exp10] (zero padded) */
    for (int i = 0; i <= exp10; i++) af_buf_putc(b, i < nd ? digits[i] : '0');
    af_buf_putc(b, '.');
    if (nd > exp10 + 1)
        af_buf_put(b, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
    else
        af_buf_putc(b, '0');
}

/* ---- Python str()/repr() --------------------------------------------------- */

/* Decodes one UTF-8 sequence; returns its length (1 for an invalid byte,
 * with *cp = 0xDC00 + byte, like Python's surrogateescape). */
int af__utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    int len;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, c &= 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, c &= 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, c &= 0x07, min = 0x10000;
    } else {
        *cp = 0xdc00 + s[0];
        return 1;
    }
    if ((size_t)len > n) {
        *cp = 0xdc00 + s[0];
        return 1;
    }
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = 0xdc00 + s[0];
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        *cp = 0xdc00 + s[0];
        return 1;
    }
    *cp = c;
    return len;
}

/* Python's str.isprintable() for one code point, for the ranges that matter
 * in practice (control, format, separator and private-use characters). */
static int py_printable(unsigned c)
{
    if (c < 0x20 || c == 0x7f) return 0;
    if (c >= 0x80 && c <= 0xa0) return 0;
    if (c == 0xad) return 0;
    if (c == 0x1680 || (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f)) return 0;
    if ((c >= 0x205f && c <= 0x2064) || (c >= 0x2066 && c <= 0x206f)) return 0;
    if (c == 0x3000 || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb)) return 0;
    if (c >= 0xd800 && c <= 0xf8ff) return 0; /* surrogates, private use */
    if (c >= 0xf0000) return 0;
    if (c == 0x061c || c == 0x180e || (c >= 0x0600 && c <= 0x0605) || c == 0x06dd) return 0;
    return 1;
}

static void py_repr_str(af_buf *b, const char *s, size_t n)
{
    int has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
    char q = (has_sq && !has_dq) ? '"' : '\'';
    af_buf_putc(b, q);
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c;
        int len = af__utf8_decode(u + i, n - i, &c);
        if (c == (unsigned)q || c == '\\') {
            af_buf_putc(b, '\\');
            af_buf_putc(b, (int)c);
        } else if (c == '\n') {
            af_buf_puts(b, "\\n");
        } else if (c == '\r') {
            af_buf_puts(b, "\\r");
        } else if (c == '\t') {
            af_buf_puts(b, "\\t");
        } else if (!py_printable(c)) {
            if (c < 0x100)
                af_buf_printf(b, "\\x%02x", c);
            else if (c < 0x10000)
                af_buf_printf(b, "\\u%04x", c);
            else
                af_buf_printf(b, "\\U%08x", c);
        } else {
            af_buf_put(b, u + i, (size_t)len);
        }
        i += (size_t)len;
    }
    af_buf_putc(b, q);
}

void af_py_repr(af_buf *b, const af_value *v)
{
    switch (v->type) {
    case AF_NULL:
        af_buf_puts(b, "None");
        break;
    case AF_BOOL:
        af_buf_puts(b, v->u.b ? "True" : "False");
        break;
    case AF_INT:
        af_buf_printf(b, "%lld", (long long)v->u.i);
        break;
    case AF_DOUBLE:
        af_py_float(b, v->u.d);
        break;
    case AF_STR:
        py_repr_str(b, v->u.s.ptr, v->u.s.len);
        break;
    case AF_LIST:
        af_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (i) af_buf_puts(b, ", ");
            af_py_repr(b, v->u.list.items[i]);
        }
        af_buf_putc(b, ']');
        break;
    case AF_MAP:
        af_buf_putc(b, '{');
        for (size_t i = 0; i < v->u.map.n; i++) {
            if (i) af_buf_puts(b, ", ");
            py_repr_str(b, v->u.map.pairs[i].key, strlen(v->u.map.pairs[i].key));
            af_buf_puts(b, ": ");
            af_py_repr(b, v->u.map.pairs[i].val);
        }
        af_buf_putc(b, '}');
        break;
    }
}

void af_py_str(af_buf *b, const af_value *v)
{
    if (v->type == AF_STR)
        af_buf_put(b, v->u.s.ptr, v->u.s.len);
    else
        af_py_repr(b, v);
}
