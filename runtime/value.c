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

/* Parses nd digits with decimal exponent exp10 (d.ddd x 10^exp10) back to a
 * double. */
static double digits_value(int neg, const char *digits, int nd, int exp10)
{
    char tmp[48];
    int n = 0;
    if (neg) tmp[n++] = '-';
    tmp[n++] = digits[0];
    tmp[n++] = '.';
    for (int i = 1; i < nd; i++)
        tmp[n++] = digits[i];
    snprintf(tmp + n, sizeof tmp - (size_t)n, "e%d", exp10);
    return strtod(tmp, NULL);
}

/* Adds delta (+1 or -1) to the nd-digit decimal in digits (one unit in the
 * last place), keeping nd digits: 999+1 becomes 100 with exp10+1, 100-1
 * becomes 999 with exp10-1. */
static void digits_step(char *digits, int nd, int *exp10, int delta)
{
    int i = nd - 1;
    if (delta > 0) {
        while (i >= 0 && digits[i] == '9')
            digits[i--] = '0';
        if (i >= 0) {
            digits[i]++;
        } else {
            digits[0] = '1';
            (*exp10)++;
        }
    } else {
        while (i >= 0 && digits[i] == '0')
            digits[i--] = '9';
        digits[i]--;
        if (digits[0] == '0') {
            memmove(digits, digits + 1, (size_t)nd - 1);
            digits[nd - 1] = '9';
            (*exp10)--;
        }
    }
}

/* The fast path of af_py_float for the common case of a value that is a
 * short decimal (12.5, 1250000.01, 1.5e-07): the fewest fractional digits
 * k for which an integer m has m / 10^k == d. With m < 2^53 and k <= 22
 * both are exact doubles, so the division is correctly rounded exactly as
 * strtod rounds the decimal m*10^-k: the test is strtod's. m's neighbours
 * are tried too, and two candidates at one k (a tie) leave it to the slow
 * path. Fills the significant digits and the decimal exponent; 0: not a
 * short decimal. */
static int short_decimal(double d, char digits[24], int *nd, int *exp10)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const double lim = 9007199254740992.0; /* 2^53 */
    if (!(d < lim)) return 0;
    for (int k = 0; k <= 22; k++) {
        double x = d * p10[k];
        if (x >= lim) return 0;
        double m0 = (double)(int64_t)(x + 0.5), found = -1;
        int hits = 0;
        for (double m = m0 - 1; m <= m0 + 1; m++)
            if (m > 0 && m < lim && m / p10[k] == d) {
                found = m;
                hits++;
            }
        if (hits > 1) return 0;
        if (hits == 1) {
            char t[24];
            int n = 0;
            for (uint64_t u = (uint64_t)found; u; u /= 10)
                t[n++] = (char)('0' + u % 10);
            for (int i = 0; i < n / 2; i++) {
                char c = t[i];
                t[i] = t[n - 1 - i];
                t[n - 1 - i] = c;
            }
            int e = n - 1 - k;
            while (n > 1 && t[n - 1] == '0')
                n--;
            memcpy(digits, t, (size_t)n);
            *nd = n;
            *exp10 = e;
            return 1;
        }
    }
    return 0;
}

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
    /* Python's repr: the fewest significant digits that read back as d, and
     * of those the closest to d. At each length the correctly rounded
     * digits are tried first; when they miss, the neighbour on the other
     * side of d can still fall inside d's rounding interval (which is not
     * symmetric at powers of two), so it is tried too. */
    int neg = signbit(d) != 0, nd = 0, exp10 = 0, found = 0;
    char digits[24];
    /* Most values met in data are short decimals: exact and fast. Otherwise
     * search; a value with a repr of 15 digits or fewer is found at 15
     * (DBL_DIG: such a decimal survives the round trip through a double),
     * except subnormals, which have fewer significant digits. */
    if (fabs(d) >= 2.2250738585072014e-308 && short_decimal(fabs(d), digits, &nd, &exp10))
        found = 1;
    int first = fabs(d) >= 2.2250738585072014e-308 ? 15 : 1;
    for (int prec = first; prec <= 17 && !found; prec++) {
        char tmp[48];
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        nd = 0;
        const char *p = tmp + neg;
        for (; *p && *p != 'e'; p++)
            if (*p >= '0' && *p <= '9') digits[nd++] = *p;
        exp10 = atoi(p + 1);
        double got = strtod(tmp, NULL);
        if (got == d) {
            found = 1;
            break;
        }
        /* the neighbour towards d, in magnitude */
        char alt[24];
        int alt_exp = exp10;
        memcpy(alt, digits, (size_t)nd);
        digits_step(alt, nd, &alt_exp, fabs(got) < fabs(d) ? 1 : -1);
        if (digits_value(neg, alt, nd, alt_exp) == d) {
            memcpy(digits, alt, (size_t)nd);
            exp10 = alt_exp;
            found = 1;
        }
    }
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
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
        for (int i = 0; i < -exp10 - 1; i++)
            af_buf_putc(b, '0');
        af_buf_put(b, digits, (size_t)nd);
        return;
    }
    /* exp10 >= 0: integer part is digits[0..exp10] (zero padded) */
    for (int i = 0; i <= exp10; i++)
        af_buf_putc(b, i < nd ? digits[i] : '0');
    af_buf_putc(b, '.');
    if (nd > exp10 + 1)
        af_buf_put(b, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
    else
        af_buf_putc(b, '0');
}

/* ---- Python str()/repr() --------------------------------------------------- */

/* Decodes one UTF-8 sequence; returns its length (1 for an invalid byte,
 * with *cp = 0xDC00 + byte, like Python's surrogateescape). An encoded
 * surrogate decodes to that surrogate (length 3). */
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
    /* A surrogate (ED A0..BF xx) is what the JSON parser stores for a lone
     * \uD800-style escape, which json.loads accepts: it decodes to itself so
     * repr() and ASCII JSON give it back as Python does. */
    if (c < min || c > 0x10ffff) {
        *cp = 0xdc00 + s[0];
        return 1;
    }
    *cp = c;
    return len;
}

/* Code points for which Python's str.isprintable() is true, as sorted
 * inclusive ranges: everything outside them (control, format, separator,
 * surrogate, private-use and unassigned code points) is escaped by repr().
 * Unicode 14.0.0, the version of Python 3.11's unicodedata; generated with
 *   [c for c in range(0x110000) if chr(c).isprintable()], merged to ranges. */
static const struct {
    unsigned lo, hi;
} printable_ranges[] = {
    {0x20, 0x7e},       {0xa1, 0xac},       {0xae, 0x377},      {0x37a, 0x37f},
    {0x384, 0x38a},     {0x38c, 0x38c},     {0x38e, 0x3a1},     {0x3a3, 0x52f},
    {0x531, 0x556},     {0x559, 0x58a},     {0x58d, 0x58f},     {0x591, 0x5c7},
    {0x5d0, 0x5ea},     {0x5ef, 0x5f4},     {0x606, 0x61b},     {0x61d, 0x6dc},
    {0x6de, 0x70d},     {0x710, 0x74a},     {0x74d, 0x7b1},     {0x7c0, 0x7fa},
    {0x7fd, 0x82d},     {0x830, 0x83e},     {0x840, 0x85b},     {0x85e, 0x85e},
    {0x860, 0x86a},     {0x870, 0x88e},     {0x898, 0x8e1},     {0x8e3, 0x983},
    {0x985, 0x98c},     {0x98f, 0x990},     {0x993, 0x9a8},     {0x9aa, 0x9b0},
    {0x9b2, 0x9b2},     {0x9b6, 0x9b9},     {0x9bc, 0x9c4},     {0x9c7, 0x9c8},
    {0x9cb, 0x9ce},     {0x9d7, 0x9d7},     {0x9dc, 0x9dd},     {0x9df, 0x9e3},
    {0x9e6, 0x9fe},     {0xa01, 0xa03},     {0xa05, 0xa0a},     {0xa0f, 0xa10},
    {0xa13, 0xa28},     {0xa2a, 0xa30},     {0xa32, 0xa33},     {0xa35, 0xa36},
    {0xa38, 0xa39},     {0xa3c, 0xa3c},     {0xa3e, 0xa42},     {0xa47, 0xa48},
    {0xa4b, 0xa4d},     {0xa51, 0xa51},     {0xa59, 0xa5c},     {0xa5e, 0xa5e},
    {0xa66, 0xa76},     {0xa81, 0xa83},     {0xa85, 0xa8d},     {0xa8f, 0xa91},
    {0xa93, 0xaa8},     {0xaaa, 0xab0},     {0xab2, 0xab3},     {0xab5, 0xab9},
    {0xabc, 0xac5},     {0xac7, 0xac9},     {0xacb, 0xacd},     {0xad0, 0xad0},
    {0xae0, 0xae3},     {0xae6, 0xaf1},     {0xaf9, 0xaff},     {0xb01, 0xb03},
    {0xb05, 0xb0c},     {0xb0f, 0xb10},     {0xb13, 0xb28},     {0xb2a, 0xb30},
    {0xb32, 0xb33},     {0xb35, 0xb39},     {0xb3c, 0xb44},     {0xb47, 0xb48},
    {0xb4b, 0xb4d},     {0xb55, 0xb57},     {0xb5c, 0xb5d},     {0xb5f, 0xb63},
    {0xb66, 0xb77},     {0xb82, 0xb83},     {0xb85, 0xb8a},     {0xb8e, 0xb90},
    {0xb92, 0xb95},     {0xb99, 0xb9a},     {0xb9c, 0xb9c},     {0xb9e, 0xb9f},
    {0xba3, 0xba4},     {0xba8, 0xbaa},     {0xbae, 0xbb9},     {0xbbe, 0xbc2},
    {0xbc6, 0xbc8},     {0xbca, 0xbcd},     {0xbd0, 0xbd0},     {0xbd7, 0xbd7},
    {0xbe6, 0xbfa},     {0xc00, 0xc0c},     {0xc0e, 0xc10},     {0xc12, 0xc28},
    {0xc2a, 0xc39},     {0xc3c, 0xc44},     {0xc46, 0xc48},     {0xc4a, 0xc4d},
    {0xc55, 0xc56},     {0xc58, 0xc5a},     {0xc5d, 0xc5d},     {0xc60, 0xc63},
    {0xc66, 0xc6f},     {0xc77, 0xc8c},     {0xc8e, 0xc90},     {0xc92, 0xca8},
    {0xcaa, 0xcb3},     {0xcb5, 0xcb9},     {0xcbc, 0xcc4},     {0xcc6, 0xcc8},
    {0xcca, 0xccd},     {0xcd5, 0xcd6},     {0xcdd, 0xcde},     {0xce0, 0xce3},
    {0xce6, 0xcef},     {0xcf1, 0xcf2},     {0xd00, 0xd0c},     {0xd0e, 0xd10},
    {0xd12, 0xd44},     {0xd46, 0xd48},     {0xd4a, 0xd4f},     {0xd54, 0xd63},
    {0xd66, 0xd7f},     {0xd81, 0xd83},     {0xd85, 0xd96},     {0xd9a, 0xdb1},
    {0xdb3, 0xdbb},     {0xdbd, 0xdbd},     {0xdc0, 0xdc6},     {0xdca, 0xdca},
    {0xdcf, 0xdd4},     {0xdd6, 0xdd6},     {0xdd8, 0xddf},     {0xde6, 0xdef},
    {0xdf2, 0xdf4},     {0xe01, 0xe3a},     {0xe3f, 0xe5b},     {0xe81, 0xe82},
    {0xe84, 0xe84},     {0xe86, 0xe8a},     {0xe8c, 0xea3},     {0xea5, 0xea5},
    {0xea7, 0xebd},     {0xec0, 0xec4},     {0xec6, 0xec6},     {0xec8, 0xecd},
    {0xed0, 0xed9},     {0xedc, 0xedf},     {0xf00, 0xf47},     {0xf49, 0xf6c},
    {0xf71, 0xf97},     {0xf99, 0xfbc},     {0xfbe, 0xfcc},     {0xfce, 0xfda},
    {0x1000, 0x10c5},   {0x10c7, 0x10c7},   {0x10cd, 0x10cd},   {0x10d0, 0x1248},
    {0x124a, 0x124d},   {0x1250, 0x1256},   {0x1258, 0x1258},   {0x125a, 0x125d},
    {0x1260, 0x1288},   {0x128a, 0x128d},   {0x1290, 0x12b0},   {0x12b2, 0x12b5},
    {0x12b8, 0x12be},   {0x12c0, 0x12c0},   {0x12c2, 0x12c5},   {0x12c8, 0x12d6},
    {0x12d8, 0x1310},   {0x1312, 0x1315},   {0x1318, 0x135a},   {0x135d, 0x137c},
    {0x1380, 0x1399},   {0x13a0, 0x13f5},   {0x13f8, 0x13fd},   {0x1400, 0x167f},
    {0x1681, 0x169c},   {0x16a0, 0x16f8},   {0x1700, 0x1715},   {0x171f, 0x1736},
    {0x1740, 0x1753},   {0x1760, 0x176c},   {0x176e, 0x1770},   {0x1772, 0x1773},
    {0x1780, 0x17dd},   {0x17e0, 0x17e9},   {0x17f0, 0x17f9},   {0x1800, 0x180d},
    {0x180f, 0x1819},   {0x1820, 0x1878},   {0x1880, 0x18aa},   {0x18b0, 0x18f5},
    {0x1900, 0x191e},   {0x1920, 0x192b},   {0x1930, 0x193b},   {0x1940, 0x1940},
    {0x1944, 0x196d},   {0x1970, 0x1974},   {0x1980, 0x19ab},   {0x19b0, 0x19c9},
    {0x19d0, 0x19da},   {0x19de, 0x1a1b},   {0x1a1e, 0x1a5e},   {0x1a60, 0x1a7c},
    {0x1a7f, 0x1a89},   {0x1a90, 0x1a99},   {0x1aa0, 0x1aad},   {0x1ab0, 0x1ace},
    {0x1b00, 0x1b4c},   {0x1b50, 0x1b7e},   {0x1b80, 0x1bf3},   {0x1bfc, 0x1c37},
    {0x1c3b, 0x1c49},   {0x1c4d, 0x1c88},   {0x1c90, 0x1cba},   {0x1cbd, 0x1cc7},
    {0x1cd0, 0x1cfa},   {0x1d00, 0x1f15},   {0x1f18, 0x1f1d},   {0x1f20, 0x1f45},
    {0x1f48, 0x1f4d},   {0x1f50, 0x1f57},   {0x1f59, 0x1f59},   {0x1f5b, 0x1f5b},
    {0x1f5d, 0x1f5d},   {0x1f5f, 0x1f7d},   {0x1f80, 0x1fb4},   {0x1fb6, 0x1fc4},
    {0x1fc6, 0x1fd3},   {0x1fd6, 0x1fdb},   {0x1fdd, 0x1fef},   {0x1ff2, 0x1ff4},
    {0x1ff6, 0x1ffe},   {0x2010, 0x2027},   {0x2030, 0x205e},   {0x2070, 0x2071},
    {0x2074, 0x208e},   {0x2090, 0x209c},   {0x20a0, 0x20c0},   {0x20d0, 0x20f0},
    {0x2100, 0x218b},   {0x2190, 0x2426},   {0x2440, 0x244a},   {0x2460, 0x2b73},
    {0x2b76, 0x2b95},   {0x2b97, 0x2cf3},   {0x2cf9, 0x2d25},   {0x2d27, 0x2d27},
    {0x2d2d, 0x2d2d},   {0x2d30, 0x2d67},   {0x2d6f, 0x2d70},   {0x2d7f, 0x2d96},
    {0x2da0, 0x2da6},   {0x2da8, 0x2dae},   {0x2db0, 0x2db6},   {0x2db8, 0x2dbe},
    {0x2dc0, 0x2dc6},   {0x2dc8, 0x2dce},   {0x2dd0, 0x2dd6},   {0x2dd8, 0x2dde},
    {0x2de0, 0x2e5d},   {0x2e80, 0x2e99},   {0x2e9b, 0x2ef3},   {0x2f00, 0x2fd5},
    {0x2ff0, 0x2ffb},   {0x3001, 0x303f},   {0x3041, 0x3096},   {0x3099, 0x30ff},
    {0x3105, 0x312f},   {0x3131, 0x318e},   {0x3190, 0x31e3},   {0x31f0, 0x321e},
    {0x3220, 0xa48c},   {0xa490, 0xa4c6},   {0xa4d0, 0xa62b},   {0xa640, 0xa6f7},
    {0xa700, 0xa7ca},   {0xa7d0, 0xa7d1},   {0xa7d3, 0xa7d3},   {0xa7d5, 0xa7d9},
    {0xa7f2, 0xa82c},   {0xa830, 0xa839},   {0xa840, 0xa877},   {0xa880, 0xa8c5},
    {0xa8ce, 0xa8d9},   {0xa8e0, 0xa953},   {0xa95f, 0xa97c},   {0xa980, 0xa9cd},
    {0xa9cf, 0xa9d9},   {0xa9de, 0xa9fe},   {0xaa00, 0xaa36},   {0xaa40, 0xaa4d},
    {0xaa50, 0xaa59},   {0xaa5c, 0xaac2},   {0xaadb, 0xaaf6},   {0xab01, 0xab06},
    {0xab09, 0xab0e},   {0xab11, 0xab16},   {0xab20, 0xab26},   {0xab28, 0xab2e},
    {0xab30, 0xab6b},   {0xab70, 0xabed},   {0xabf0, 0xabf9},   {0xac00, 0xd7a3},
    {0xd7b0, 0xd7c6},   {0xd7cb, 0xd7fb},   {0xf900, 0xfa6d},   {0xfa70, 0xfad9},
    {0xfb00, 0xfb06},   {0xfb13, 0xfb17},   {0xfb1d, 0xfb36},   {0xfb38, 0xfb3c},
    {0xfb3e, 0xfb3e},   {0xfb40, 0xfb41},   {0xfb43, 0xfb44},   {0xfb46, 0xfbc2},
    {0xfbd3, 0xfd8f},   {0xfd92, 0xfdc7},   {0xfdcf, 0xfdcf},   {0xfdf0, 0xfe19},
    {0xfe20, 0xfe52},   {0xfe54, 0xfe66},   {0xfe68, 0xfe6b},   {0xfe70, 0xfe74},
    {0xfe76, 0xfefc},   {0xff01, 0xffbe},   {0xffc2, 0xffc7},   {0xffca, 0xffcf},
    {0xffd2, 0xffd7},   {0xffda, 0xffdc},   {0xffe0, 0xffe6},   {0xffe8, 0xffee},
    {0xfffc, 0xfffd},   {0x10000, 0x1000b}, {0x1000d, 0x10026}, {0x10028, 0x1003a},
    {0x1003c, 0x1003d}, {0x1003f, 0x1004d}, {0x10050, 0x1005d}, {0x10080, 0x100fa},
    {0x10100, 0x10102}, {0x10107, 0x10133}, {0x10137, 0x1018e}, {0x10190, 0x1019c},
    {0x101a0, 0x101a0}, {0x101d0, 0x101fd}, {0x10280, 0x1029c}, {0x102a0, 0x102d0},
    {0x102e0, 0x102fb}, {0x10300, 0x10323}, {0x1032d, 0x1034a}, {0x10350, 0x1037a},
    {0x10380, 0x1039d}, {0x1039f, 0x103c3}, {0x103c8, 0x103d5}, {0x10400, 0x1049d},
    {0x104a0, 0x104a9}, {0x104b0, 0x104d3}, {0x104d8, 0x104fb}, {0x10500, 0x10527},
    {0x10530, 0x10563}, {0x1056f, 0x1057a}, {0x1057c, 0x1058a}, {0x1058c, 0x10592},
    {0x10594, 0x10595}, {0x10597, 0x105a1}, {0x105a3, 0x105b1}, {0x105b3, 0x105b9},
    {0x105bb, 0x105bc}, {0x10600, 0x10736}, {0x10740, 0x10755}, {0x10760, 0x10767},
    {0x10780, 0x10785}, {0x10787, 0x107b0}, {0x107b2, 0x107ba}, {0x10800, 0x10805},
    {0x10808, 0x10808}, {0x1080a, 0x10835}, {0x10837, 0x10838}, {0x1083c, 0x1083c},
    {0x1083f, 0x10855}, {0x10857, 0x1089e}, {0x108a7, 0x108af}, {0x108e0, 0x108f2},
    {0x108f4, 0x108f5}, {0x108fb, 0x1091b}, {0x1091f, 0x10939}, {0x1093f, 0x1093f},
    {0x10980, 0x109b7}, {0x109bc, 0x109cf}, {0x109d2, 0x10a03}, {0x10a05, 0x10a06},
    {0x10a0c, 0x10a13}, {0x10a15, 0x10a17}, {0x10a19, 0x10a35}, {0x10a38, 0x10a3a},
    {0x10a3f, 0x10a48}, {0x10a50, 0x10a58}, {0x10a60, 0x10a9f}, {0x10ac0, 0x10ae6},
    {0x10aeb, 0x10af6}, {0x10b00, 0x10b35}, {0x10b39, 0x10b55}, {0x10b58, 0x10b72},
    {0x10b78, 0x10b91}, {0x10b99, 0x10b9c}, {0x10ba9, 0x10baf}, {0x10c00, 0x10c48},
    {0x10c80, 0x10cb2}, {0x10cc0, 0x10cf2}, {0x10cfa, 0x10d27}, {0x10d30, 0x10d39},
    {0x10e60, 0x10e7e}, {0x10e80, 0x10ea9}, {0x10eab, 0x10ead}, {0x10eb0, 0x10eb1},
    {0x10f00, 0x10f27}, {0x10f30, 0x10f59}, {0x10f70, 0x10f89}, {0x10fb0, 0x10fcb},
    {0x10fe0, 0x10ff6}, {0x11000, 0x1104d}, {0x11052, 0x11075}, {0x1107f, 0x110bc},
    {0x110be, 0x110c2}, {0x110d0, 0x110e8}, {0x110f0, 0x110f9}, {0x11100, 0x11134},
    {0x11136, 0x11147}, {0x11150, 0x11176}, {0x11180, 0x111df}, {0x111e1, 0x111f4},
    {0x11200, 0x11211}, {0x11213, 0x1123e}, {0x11280, 0x11286}, {0x11288, 0x11288},
    {0x1128a, 0x1128d}, {0x1128f, 0x1129d}, {0x1129f, 0x112a9}, {0x112b0, 0x112ea},
    {0x112f0, 0x112f9}, {0x11300, 0x11303}, {0x11305, 0x1130c}, {0x1130f, 0x11310},
    {0x11313, 0x11328}, {0x1132a, 0x11330}, {0x11332, 0x11333}, {0x11335, 0x11339},
    {0x1133b, 0x11344}, {0x11347, 0x11348}, {0x1134b, 0x1134d}, {0x11350, 0x11350},
    {0x11357, 0x11357}, {0x1135d, 0x11363}, {0x11366, 0x1136c}, {0x11370, 0x11374},
    {0x11400, 0x1145b}, {0x1145d, 0x11461}, {0x11480, 0x114c7}, {0x114d0, 0x114d9},
    {0x11580, 0x115b5}, {0x115b8, 0x115dd}, {0x11600, 0x11644}, {0x11650, 0x11659},
    {0x11660, 0x1166c}, {0x11680, 0x116b9}, {0x116c0, 0x116c9}, {0x11700, 0x1171a},
    {0x1171d, 0x1172b}, {0x11730, 0x11746}, {0x11800, 0x1183b}, {0x118a0, 0x118f2},
    {0x118ff, 0x11906}, {0x11909, 0x11909}, {0x1190c, 0x11913}, {0x11915, 0x11916},
    {0x11918, 0x11935}, {0x11937, 0x11938}, {0x1193b, 0x11946}, {0x11950, 0x11959},
    {0x119a0, 0x119a7}, {0x119aa, 0x119d7}, {0x119da, 0x119e4}, {0x11a00, 0x11a47},
    {0x11a50, 0x11aa2}, {0x11ab0, 0x11af8}, {0x11c00, 0x11c08}, {0x11c0a, 0x11c36},
    {0x11c38, 0x11c45}, {0x11c50, 0x11c6c}, {0x11c70, 0x11c8f}, {0x11c92, 0x11ca7},
    {0x11ca9, 0x11cb6}, {0x11d00, 0x11d06}, {0x11d08, 0x11d09}, {0x11d0b, 0x11d36},
    {0x11d3a, 0x11d3a}, {0x11d3c, 0x11d3d}, {0x11d3f, 0x11d47}, {0x11d50, 0x11d59},
    {0x11d60, 0x11d65}, {0x11d67, 0x11d68}, {0x11d6a, 0x11d8e}, {0x11d90, 0x11d91},
    {0x11d93, 0x11d98}, {0x11da0, 0x11da9}, {0x11ee0, 0x11ef8}, {0x11fb0, 0x11fb0},
    {0x11fc0, 0x11ff1}, {0x11fff, 0x12399}, {0x12400, 0x1246e}, {0x12470, 0x12474},
    {0x12480, 0x12543}, {0x12f90, 0x12ff2}, {0x13000, 0x1342e}, {0x14400, 0x14646},
    {0x16800, 0x16a38}, {0x16a40, 0x16a5e}, {0x16a60, 0x16a69}, {0x16a6e, 0x16abe},
    {0x16ac0, 0x16ac9}, {0x16ad0, 0x16aed}, {0x16af0, 0x16af5}, {0x16b00, 0x16b45},
    {0x16b50, 0x16b59}, {0x16b5b, 0x16b61}, {0x16b63, 0x16b77}, {0x16b7d, 0x16b8f},
    {0x16e40, 0x16e9a}, {0x16f00, 0x16f4a}, {0x16f4f, 0x16f87}, {0x16f8f, 0x16f9f},
    {0x16fe0, 0x16fe4}, {0x16ff0, 0x16ff1}, {0x17000, 0x187f7}, {0x18800, 0x18cd5},
    {0x18d00, 0x18d08}, {0x1aff0, 0x1aff3}, {0x1aff5, 0x1affb}, {0x1affd, 0x1affe},
    {0x1b000, 0x1b122}, {0x1b150, 0x1b152}, {0x1b164, 0x1b167}, {0x1b170, 0x1b2fb},
    {0x1bc00, 0x1bc6a}, {0x1bc70, 0x1bc7c}, {0x1bc80, 0x1bc88}, {0x1bc90, 0x1bc99},
    {0x1bc9c, 0x1bc9f}, {0x1cf00, 0x1cf2d}, {0x1cf30, 0x1cf46}, {0x1cf50, 0x1cfc3},
    {0x1d000, 0x1d0f5}, {0x1d100, 0x1d126}, {0x1d129, 0x1d172}, {0x1d17b, 0x1d1ea},
    {0x1d200, 0x1d245}, {0x1d2e0, 0x1d2f3}, {0x1d300, 0x1d356}, {0x1d360, 0x1d378},
    {0x1d400, 0x1d454}, {0x1d456, 0x1d49c}, {0x1d49e, 0x1d49f}, {0x1d4a2, 0x1d4a2},
    {0x1d4a5, 0x1d4a6}, {0x1d4a9, 0x1d4ac}, {0x1d4ae, 0x1d4b9}, {0x1d4bb, 0x1d4bb},
    {0x1d4bd, 0x1d4c3}, {0x1d4c5, 0x1d505}, {0x1d507, 0x1d50a}, {0x1d50d, 0x1d514},
    {0x1d516, 0x1d51c}, {0x1d51e, 0x1d539}, {0x1d53b, 0x1d53e}, {0x1d540, 0x1d544},
    {0x1d546, 0x1d546}, {0x1d54a, 0x1d550}, {0x1d552, 0x1d6a5}, {0x1d6a8, 0x1d7cb},
    {0x1d7ce, 0x1da8b}, {0x1da9b, 0x1da9f}, {0x1daa1, 0x1daaf}, {0x1df00, 0x1df1e},
    {0x1e000, 0x1e006}, {0x1e008, 0x1e018}, {0x1e01b, 0x1e021}, {0x1e023, 0x1e024},
    {0x1e026, 0x1e02a}, {0x1e100, 0x1e12c}, {0x1e130, 0x1e13d}, {0x1e140, 0x1e149},
    {0x1e14e, 0x1e14f}, {0x1e290, 0x1e2ae}, {0x1e2c0, 0x1e2f9}, {0x1e2ff, 0x1e2ff},
    {0x1e7e0, 0x1e7e6}, {0x1e7e8, 0x1e7eb}, {0x1e7ed, 0x1e7ee}, {0x1e7f0, 0x1e7fe},
    {0x1e800, 0x1e8c4}, {0x1e8c7, 0x1e8d6}, {0x1e900, 0x1e94b}, {0x1e950, 0x1e959},
    {0x1e95e, 0x1e95f}, {0x1ec71, 0x1ecb4}, {0x1ed01, 0x1ed3d}, {0x1ee00, 0x1ee03},
    {0x1ee05, 0x1ee1f}, {0x1ee21, 0x1ee22}, {0x1ee24, 0x1ee24}, {0x1ee27, 0x1ee27},
    {0x1ee29, 0x1ee32}, {0x1ee34, 0x1ee37}, {0x1ee39, 0x1ee39}, {0x1ee3b, 0x1ee3b},
    {0x1ee42, 0x1ee42}, {0x1ee47, 0x1ee47}, {0x1ee49, 0x1ee49}, {0x1ee4b, 0x1ee4b},
    {0x1ee4d, 0x1ee4f}, {0x1ee51, 0x1ee52}, {0x1ee54, 0x1ee54}, {0x1ee57, 0x1ee57},
    {0x1ee59, 0x1ee59}, {0x1ee5b, 0x1ee5b}, {0x1ee5d, 0x1ee5d}, {0x1ee5f, 0x1ee5f},
    {0x1ee61, 0x1ee62}, {0x1ee64, 0x1ee64}, {0x1ee67, 0x1ee6a}, {0x1ee6c, 0x1ee72},
    {0x1ee74, 0x1ee77}, {0x1ee79, 0x1ee7c}, {0x1ee7e, 0x1ee7e}, {0x1ee80, 0x1ee89},
    {0x1ee8b, 0x1ee9b}, {0x1eea1, 0x1eea3}, {0x1eea5, 0x1eea9}, {0x1eeab, 0x1eebb},
    {0x1eef0, 0x1eef1}, {0x1f000, 0x1f02b}, {0x1f030, 0x1f093}, {0x1f0a0, 0x1f0ae},
    {0x1f0b1, 0x1f0bf}, {0x1f0c1, 0x1f0cf}, {0x1f0d1, 0x1f0f5}, {0x1f100, 0x1f1ad},
    {0x1f1e6, 0x1f202}, {0x1f210, 0x1f23b}, {0x1f240, 0x1f248}, {0x1f250, 0x1f251},
    {0x1f260, 0x1f265}, {0x1f300, 0x1f6d7}, {0x1f6dd, 0x1f6ec}, {0x1f6f0, 0x1f6fc},
    {0x1f700, 0x1f773}, {0x1f780, 0x1f7d8}, {0x1f7e0, 0x1f7eb}, {0x1f7f0, 0x1f7f0},
    {0x1f800, 0x1f80b}, {0x1f810, 0x1f847}, {0x1f850, 0x1f859}, {0x1f860, 0x1f887},
    {0x1f890, 0x1f8ad}, {0x1f8b0, 0x1f8b1}, {0x1f900, 0x1fa53}, {0x1fa60, 0x1fa6d},
    {0x1fa70, 0x1fa74}, {0x1fa78, 0x1fa7c}, {0x1fa80, 0x1fa86}, {0x1fa90, 0x1faac},
    {0x1fab0, 0x1faba}, {0x1fac0, 0x1fac5}, {0x1fad0, 0x1fad9}, {0x1fae0, 0x1fae7},
    {0x1faf0, 0x1faf6}, {0x1fb00, 0x1fb92}, {0x1fb94, 0x1fbca}, {0x1fbf0, 0x1fbf9},
    {0x20000, 0x2a6df}, {0x2a700, 0x2b738}, {0x2b740, 0x2b81d}, {0x2b820, 0x2cea1},
    {0x2ceb0, 0x2ebe0}, {0x2f800, 0x2fa1d}, {0x30000, 0x3134a}, {0xe0100, 0xe01ef},
};

/* Python's str.isprintable() for one code point. */
static int py_printable(unsigned c)
{
    size_t lo = 0, hi = sizeof printable_ranges / sizeof printable_ranges[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < printable_ranges[mid].lo)
            hi = mid;
        else if (c > printable_ranges[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
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
