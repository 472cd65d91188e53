/*
 * xlsx_cast.c - the Python conversions the Excel steps depend on.
 *
 * Part of the OOXML workbook layer (xlsx.h). The reference implementation
 * turns CSV text into cell values with int(), float(), str.strip(),
 * date.fromisoformat() and datetime.fromisoformat() (Python 3.11), and
 * openpyxl turns dates into serial numbers and numbers into "%.16g" text.
 * Which strings become numbers or dates decides what a report shows, so
 * these follow the Python rules exactly (tests compare them with Python).
 */
#include "xlsx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- characters ------------------------------------------------------------ */

int xlsx_py_isspace(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
           c == 0x202f || c == 0x205f || c == 0x3000;
}

/* One UTF-8 sequence at s (n > 0 bytes left): its length; invalid bytes
 * count as one character that is not a space. */
static int utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    int len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (len == 0 || (size_t)len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    if (len == 1) {
        *cp = c;
        return 1;
    }
    uint32_t v = c & (0x3f >> (len - 1));
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
}

char *xlsx_norm(af_arena *a, const char *s, size_t n, int upper)
{
    char *out = af_alloc(a, n + 1);
    size_t o = 0, i = 0;
    int pending_space = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (i < n) {
        uint32_t cp;
        int k = utf8_next(u + i, n - i, &cp);
        if (xlsx_py_isspace(cp)) {
            pending_space = o > 0; /* leading whitespace is stripped */
            i += (size_t)k;
            continue;
        }
        if (pending_space) out[o++] = ' ';
        pending_space = 0;
        for (int j = 0; j < k; j++) {
            char c = s[i + (size_t)j];
            if (upper && c >= 'a' && c <= 'z') c = (char)(c - 32);
            out[o++] = c;
        }
        i += (size_t)k;
    }
    out[o] = 0;
    return out;
}

/* Python's str.strip() bounds */
static void strip(const char *s, size_t n, size_t *a, size_t *b)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int k = utf8_next(u + i, n - i, &cp);
        if (!xlsx_py_isspace(cp)) break;
        i += (size_t)k;
    }
    size_t j = n;
    while (j > i) {
        size_t st = j - 1;
        while (st > i && (u[st] & 0xc0) == 0x80)
            st--;
        uint32_t cp;
        utf8_next(u + st, j - st, &cp);
        if (!xlsx_py_isspace(cp)) break;
        j = st;
    }
    *a = i;
    *b = j;
}

int xlsx_edge_space(const char *s, size_t n)
{
    size_t a, b;
    strip(s, n, &a, &b);
    return a != 0 || b != n;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- int() and float() ------------------------------------------------------- */

/* Zeros of the Unicode decimal digit runs (category Nd, Unicode 14 as in
 * Python 3.11): int() and float() accept any of them. */
static const uint32_t nd_zero[] = {
    0x30,    0x660,   0x6F0,   0x7C0,   0x966,   0x9E6,   0xA66,   0xAE6,   0xB66,   0xBE6,
    0xC66,   0xCE6,   0xD66,   0xDE6,   0xE50,   0xED0,   0xF20,   0x1040,  0x1090,  0x17E0,
    0x1810,  0x1946,  0x19D0,  0x1A80,  0x1A90,  0x1B50,  0x1BB0,  0x1C40,  0x1C50,  0xA620,
    0xA8D0,  0xA900,  0xA9D0,  0xA9F0,  0xAA50,  0xABF0,  0xFF10,  0x104A0, 0x10D30, 0x11066,
    0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0,
    0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2,
    0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0};

static int nd_digit(uint32_t cp)
{
    for (size_t i = 0; i < sizeof nd_zero / sizeof *nd_zero; i++)
        if (cp >= nd_zero[i] && cp < nd_zero[i] + 10) return (int)(cp - nd_zero[i]);
    return -1;
}

/* Python's _PyUnicode_TransformDecimalAndSpaceToASCII over the stripped
 * text: decimal digits become ASCII, anything else non-ASCII becomes '?'.
 * Returns the ASCII length (0 when it does not fit). */
static size_t to_ascii(const char *s, size_t n, char *out, size_t cap)
{
    size_t a, b, o = 0;
    strip(s, n, &a, &b);
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = a; i < b;) {
        uint32_t cp;
        int k = utf8_next(u + i, b - i, &cp);
        int d = cp >= 0x80 ? nd_digit(cp) : -1;
        char c = cp < 0x80 ? (char)cp : d >= 0 ? (char)('0' + d) : '?';
        if (o + 1 >= cap) return 0;
        out[o++] = c;
        i += (size_t)k;
    }
    out[o] = 0;
    return o;
}

/* all code points are decimal digits (str.isdigit for the strings that matter) */
static int all_digits(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0) return 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = utf8_next(u + i, n - i, &cp);
        if (!(cp >= '0' && cp <= '9') && (cp < 0x80 || nd_digit(cp) < 0)) return 0;
        i += (size_t)k;
    }
    return 1;
}

/* Copies digit groups "1_000" without underscores into buf (cap bytes);
 * returns the index after them, or 0 when there is no digit or an
 * underscore is misplaced. */
static size_t digits_us(const char *s, size_t i, size_t n, char *buf, size_t *bl, size_t cap)
{
    if (i >= n || !is_digit(s[i])) return 0;
    while (i < n) {
        if (is_digit(s[i])) {
            if (*bl + 1 < cap) buf[(*bl)++] = s[i];
            i++;
        } else if (s[i] == '_' && i + 1 < n && is_digit(s[i + 1]) && i > 0 && is_digit(s[i - 1])) {
            i++;
        } else {
            break;
        }
    }
    return i;
}

int xlsx_py_int(const char *s0, size_t n0, double *d)
{
    char asc[400];
    size_t n = to_ascii(s0, n0, asc, sizeof asc);
    if (n == 0) return 0;
    const char *s = asc;
    size_t a = 0, b = n;
    char buf[400];
    size_t bl = 0;
    if (a < b && (s[a] == '+' || s[a] == '-')) buf[bl++] = s[a++];
    size_t e = digits_us(s, a, b, buf, &bl, sizeof buf);
    if (e == 0 || e != b || bl >= sizeof buf - 1) return 0;
    buf[bl] = 0;
    *d = strtod(buf, NULL); /* correctly rounded, as float(int(s)) */
    if (*d == 0) *d = 0;    /* ints have no negative zero */
    return 1;
}

static int ieq(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n != k) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        if (c != w[i]) return 0;
    }
    return 1;
}

int xlsx_py_float(const char *s0, size_t n0, double *d)
{
    char asc[512];
    size_t b = to_ascii(s0, n0, asc, sizeof asc), a = 0;
    const char *s = asc;
    if (a >= b) return 0;
    int neg = 0;
    size_t i = a;
    if (s[i] == '+' || s[i] == '-') neg = s[i] == '-', i++;
    if (ieq(s + i, b - i, "inf") || ieq(s + i, b - i, "infinity")) {
        *d = neg ? -INFINITY : INFINITY;
        return 1;
    }
    if (ieq(s + i, b - i, "nan")) {
        *d = NAN;
        return 1;
    }
    char buf[512];
    size_t bl = 0;
    if (neg) buf[bl++] = '-';
    size_t e = digits_us(s, i, b, buf, &bl, sizeof buf);
    int have = e != 0;
    if (!have) e = i;
    if (e < b && s[e] == '.') {
        buf[bl++] = '.';
        size_t f = digits_us(s, e + 1, b, buf, &bl, sizeof buf);
        if (f)
            have = 1, e = f;
        else
            e = e + 1;
    }
    if (!have) return 0;
    if (e < b && (s[e] == 'e' || s[e] == 'E')) {
        if (bl + 2 < sizeof buf) buf[bl++] = 'e';
        size_t k = e + 1;
        if (k < b && (s[k] == '+' || s[k] == '-')) {
            if (bl + 2 < sizeof buf) buf[bl++] = s[k];
            k++;
        }
        size_t x = digits_us(s, k, b, buf, &bl, sizeof buf);
        if (!x) return 0;
        e = x;
    }
    if (e != b || bl >= sizeof buf - 1) return 0;
    buf[bl] = 0;
    *d = strtod(buf, NULL);
    return 1;
}

/* ---- dates ------------------------------------------------------------------- */

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
    static const int t[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : t[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

/* 0 = Monday */
static int weekday(int64_t days)
{
    int64_t w = (days + 3) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

/* Exactly k ASCII digits at s[*i] (stopping at end). */
static int take_digits(const char *s, size_t n, size_t *i, int k, int *v)
{
    int x = 0;
    for (int j = 0; j < k; j++) {
        if (*i >= n || !is_digit(s[*i])) return 0;
        x = x * 10 + (s[(*i)++] - '0');
    }
    *v = x;
    return 1;
}

/* CPython 3.11 parse_isoformat_date over s[0..n) (trailing text is not
 * looked at, as in CPython); ranges are checked like date(). */
static int parse_date(const char *s, size_t n, xlsx_dt *dt)
{
    size_t i = 0;
    int y, m = 1, d = 1;
    if (!take_digits(s, n, &i, 4, &y)) return 0;
    int sep = i < n && s[i] == '-';
    if (sep) i++;
    if (i < n && s[i] == 'W') {
        i++;
        int wk, wd = 1;
        if (!take_digits(s, n, &i, 2, &wk)) return 0;
        if (i < n) {
            if (sep && s[i++] != '-') return 0;
            if (!take_digits(s, n, &i, 1, &wd)) return 0;
        }
        int64_t jan1 = days_from_civil(y, 1, 1);
        int wd1 = weekday(jan1);
        int has53 = wd1 == 3 || (wd1 == 2 && leap(y));
        if (wk < 1 || wk > 53 || (wk == 53 && !has53)) return 0;
        if (wd < 1 || wd > 7) return 0;
        int64_t jan4 = days_from_civil(y, 1, 4);
        int64_t mon1 = jan4 - weekday(jan4);
        civil_from_days(mon1 + (wk - 1) * 7 + wd - 1, &y, &m, &d);
        if (y < 1 || y > 9999) return 0;
    } else {
        if (!take_digits(s, n, &i, 2, &m)) return 0;
        if (sep && (i >= n || s[i++] != '-')) return 0;
        if (!take_digits(s, n, &i, 2, &d)) return 0;
    }
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays(y, m)) return 0;
    memset(dt, 0, sizeof *dt);
    dt->y = y, dt->mo = m, dt->d = d;
    return 1;
}

int xlsx_iso_date(const char *s, size_t n, xlsx_dt *out)
{
    if (n != 7 && n != 8 && n != 10) return 0;
    return parse_date(s, n, out);
}

/* CPython 3.11 _find_isoformat_datetime_separator */
static size_t find_sep(const char *s, size_t n)
{
    char c4 = n > 4 ? s[4] : 0, c5 = n > 5 ? s[5] : 0;
    if (n == 7) return 7;
    if (c4 == '-') {
        if (c5 == 'W') {
            if (n < 8) return (size_t)-1;
            if (n > 8 && s[8] == '-') {
                if (n == 9) return (size_t)-1;
                if (n > 10 && is_digit(s[10])) return 8;
                return 10;
            }
            return 8;
        }
        return 10;
    }
    if (c4 == 'W') {
        size_t i = 7;
        for (; i < n; i++)
            if (!is_digit(s[i])) break;
        if (i < 9) return i;
        return i % 2 == 0 ? 7 : 8;
    }
    return 8;
}

/* CPython 3.11 parse_hh_mm_ss_ff over [p, end); `next` is the character at
 * end (0 at the end of the string). Returns -1 bad, 0 ok, 1 ok but the
 * string goes on. */
static int parse_hms(const char *p, const char *end, char next, int *h, int *mi, int *sec, int *us)
{
    int *vals[3] = {h, mi, sec};
    *h = *mi = *sec = *us = 0;
    int has_sep = 1;
    for (int i = 0; i < 3; i++) {
        size_t k = 0;
        if (!take_digits(p, (size_t)(end - p), &k, 2, vals[i])) return -1;
        p += 2;
        char c = p < end ? *p : next;
        p++;
        if (i == 0) has_sep = c == ':';
        if (p >= end) return c != 0;
        if (has_sep && c == ':') continue;
        if (c == '.' || c == ',') goto frac;
        if (!has_sep) {
            p--;
            continue;
        }
        return -1;
    }
    /* three fields were read and text goes on: CPython parses it as a fraction */
frac:;
    size_t rem = (size_t)(end - p);
    size_t k = rem >= 6 ? 6 : rem, j = 0;
    if (k == 0) return -1;
    if (!take_digits(p, (size_t)(end - p), &j, (int)k, us)) return -1;
    static const int corr[] = {100000, 10000, 1000, 100, 10};
    if (k < 6) *us *= corr[k - 1];
    p += k;
    while (p < end && is_digit(*p))
        p++;
    return p < end ? 1 : (next != 0);
}

int xlsx_iso_datetime(const char *s, size_t n, xlsx_dt *out)
{
    if (n == 0) return 0;
    size_t sep = find_sep(s, n);
    if (sep == (size_t)-1 || sep > n) return 0;
    xlsx_dt dt;
    if (!parse_date(s, sep, &dt)) return 0;
    if (n > sep) {
        const char *p = s + sep + 1, *end = s + n;
        const char *tz = p;
        while (tz < end && *tz != 'Z' && *tz != '+' && *tz != '-')
            tz++;
        char next = tz < end ? *tz : 0;
        int rv = parse_hms(p, tz, next, &dt.h, &dt.mi, &dt.s, &dt.us);
        if (rv < 0) return 0;
        if (tz == end) {
            if (rv == 1) return 0;
        } else if (*tz == 'Z') {
            if (tz + 1 != end) return 0;
            dt.tz = 1;
        } else {
            int th, tm, ts, tus;
            int r2 = parse_hms(tz + 1, end, 0, &th, &tm, &ts, &tus);
            if (r2 != 0) return 0;
            if (th * 3600 + tm * 60 + ts >= 86400) return 0; /* offsets must be under a day */
            dt.tz = 1;
        }
        if (dt.h > 23 || dt.mi > 59 || dt.s > 59) return 0;
    }
    *out = dt;
    return 1;
}

double xlsx_dt_serial(const xlsx_dt *dt)
{
    int64_t days = days_from_civil(dt->y, dt->mo, dt->d) - days_from_civil(1899, 12, 30);
    if (days > 0 && days <= 60) days -= 1; /* Excel's phantom 1900-02-29 */
    double secs = (double)(dt->h * 3600 + dt->mi * 60 + dt->s) + dt->us / 1e6;
    return (double)days + secs / 86400.0;
}

/* ---- casting ----------------------------------------------------------------- */

xlsx_dtype xlsx_dtype_parse(const char *name)
{
    static const char *const names[] = {"string", "int", "float", "bool", "date", "datetime"};
    size_t n = strlen(name);
    for (int i = 0; i < 6; i++)
        if (ieq(name, n, names[i])) return (xlsx_dtype)i;
    return XLSX_DT_OTHER;
}

static void as_str(const char *s, size_t n, xlsx_val *out)
{
    out->kind = XLSX_V_STR;
    out->s = s;
    out->len = n;
}

static int parse_bool(const char *s, size_t n, int *b)
{
    size_t a, e;
    strip(s, n, &a, &e);
    static const char *const t[] = {"1", "true", "t", "yes", "y"};
    static const char *const f[] = {"0", "false", "f", "no", "n"};
    for (int i = 0; i < 5; i++) {
        if (ieq(s + a, e - a, t[i])) return *b = 1, 1;
        if (ieq(s + a, e - a, f[i])) return *b = 0, 1;
    }
    return 0;
}

/* The reference's _parse_iso_datetime: one trailing "Z" is dropped first. */
static int ref_datetime(const char *s, size_t n, xlsx_dt *dt)
{
    if (n > 0 && s[n - 1] == 'Z') n--;
    return xlsx_iso_datetime(s, n, dt);
}

void xlsx_cast_text(const char *s, size_t n, xlsx_dtype t, xlsx_val *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0) return; /* "" -> None */
    double d;
    int b;
    xlsx_dt dt;
    switch (t) {
    case XLSX_DT_INT:
        if (xlsx_py_int(s, n, &d))
            out->kind = XLSX_V_NUM, out->num = d;
        else
            as_str(s, n, out);
        return;
    case XLSX_DT_FLOAT:
        if (xlsx_py_float(s, n, &d))
            out->kind = XLSX_V_NUM, out->num = d;
        else
            as_str(s, n, out);
        return;
    case XLSX_DT_BOOL:
        if (parse_bool(s, n, &b))
            out->kind = XLSX_V_BOOL, out->num = b;
        else
            as_str(s, n, out);
        return;
    case XLSX_DT_DATE:
        if (xlsx_iso_date(s, n, &dt))
            out->kind = XLSX_V_DATE, out->num = xlsx_dt_serial(&dt);
        else
            as_str(s, n, out);
        return;
    case XLSX_DT_DATETIME:
        if (ref_datetime(s, n, &dt)) {
            out->kind = XLSX_V_DATETIME;
            out->num = xlsx_dt_serial(&dt);
            out->tz = dt.tz;
        } else {
            as_str(s, n, out);
        }
        return;
    default:
        as_str(s, n, out);
        return;
    }
}

void xlsx_cast_basic(const char *s, size_t n, xlsx_val *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0) return;
    size_t a, e;
    strip(s, n, &a, &e);
    if (ieq(s + a, e - a, "true") || ieq(s + a, e - a, "false") || ieq(s + a, e - a, "1") ||
        ieq(s + a, e - a, "0")) {
        xlsx_cast_text(s, n, XLSX_DT_BOOL, out);
        return;
    }
    if (all_digits(s, n) && ((n == 1 && s[0] == '0') || s[0] != '0')) {
        xlsx_cast_text(s, n, XLSX_DT_INT, out);
        return;
    }
    int has_e = 0;
    for (size_t i = a; i < e; i++)
        if (s[i] == 'e' || s[i] == 'E') has_e = 1;
    double d;
    if ((memchr(s, '.', n) || has_e) && xlsx_py_float(s, n, &d)) {
        out->kind = XLSX_V_NUM;
        out->num = d;
        return;
    }
    xlsx_dt dt;
    if (ref_datetime(s, n, &dt)) {
        out->kind = XLSX_V_DATETIME;
        out->num = xlsx_dt_serial(&dt);
        out->tz = dt.tz;
        return;
    }
    if (xlsx_iso_date(s, n, &dt)) {
        out->kind = XLSX_V_DATE;
        out->num = xlsx_dt_serial(&dt);
        return;
    }
    as_str(s, n, out);
}

void xlsx_num_text(double x, char buf[32])
{
    if (isnan(x) || isinf(x)) {
        buf[0] = 0;
        return;
    }
    if (x == floor(x) && fabs(x) < 1e15) { /* integers: what %.16g prints, faster */
        long long v = (long long)x;
        char d[24];
        int n = 0, neg = v < 0 || (v == 0 && signbit(x));
        unsigned long long u = v < 0 ? (unsigned long long)-v : (unsigned long long)v;
        do
            d[n++] = (char)('0' + u % 10);
        while ((u /= 10) > 0);
        int o = 0;
        if (neg) buf[o++] = '-';
        while (n > 0)
            buf[o++] = d[--n];
        buf[o] = 0;
        return;
    }
    snprintf(buf, 32, "%.16g", x);
}
