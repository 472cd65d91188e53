/*
 * json.c - JSON for the value model: the state store's step outputs, the
 * JSON log format, AETHERFLOW_PROFILES_JSON and friends. Output matches
 * Python's json.dumps(ensure_ascii=False) so files and logs read the same
 * as the reference's; input accepts what json.loads accepts.
 */
#include "af_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ----------------------------------------------------------------- */

static void write_str(af_buf *b, const char *s, size_t n, unsigned flags)
{
    af_buf_putc(b, '"');
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < n) {
        unsigned char c = u[i];
        /* ensure_ascii=True keeps only printable ASCII: DEL is escaped too */
        if (c >= 0x20 && c != '"' && c != '\\' && (!(flags & AF_JSON_ASCII) || c < 0x7f)) {
            i++;
            run++;
            continue;
        }
        af_buf_put(b, u + i - run, run);
        run = 0;
        if (c >= 0x7f) { /* AF_JSON_ASCII: \uXXXX escapes, surrogate pairs */
            unsigned cp;
            int len = af__utf8_decode(u + i, n - i, &cp);
            if (cp >= 0x10000) {
                cp -= 0x10000;
                af_buf_printf(b, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
            } else {
                af_buf_printf(b, "\\u%04x", cp);
            }
            i += (size_t)len;
            continue;
        }
        switch (c) {
        case '"': af_buf_puts(b, "\\\""); break;
        case '\\': af_buf_puts(b, "\\\\"); break;
        case '\n': af_buf_puts(b, "\\n"); break;
        case '\r': af_buf_puts(b, "\\r"); break;
        case '\t': af_buf_puts(b, "\\t"); break;
        case '\b': af_buf_puts(b, "\\b"); break;
        case '\f': af_buf_puts(b, "\\f"); break;
        default: af_buf_printf(b, "\\u%04x", c); break;
        }
        i++;
    }
    af_buf_put(b, u + i - run, run);
    af_buf_putc(b, '"');
}

void af_json_write(af_buf *b, const af_value *v, unsigned flags)
{
    const char *item_sep = (flags & AF_JSON_COMPACT) ? "," : ", ";
    const char *key_sep = (flags & AF_JSON_COMPACT) ? ":" : ": ";
    switch (v->type) {
    case AF_NULL:
        af_buf_puts(b, "null");
        break;
    case AF_BOOL:
        af_buf_puts(b, v->u.b ? "true" : "false");
        break;
    case AF_INT:
        af_buf_printf(b, "%lld", (long long)v->u.i);
        break;
    case AF_DOUBLE:
        if (isnan(v->u.d))
            af_buf_puts(b, "NaN");
        else if (isinf(v->u.d))
            af_buf_puts(b, v->u.d < 0 ? "-Infinity" : "Infinity");
        else
            af_py_float(b, v->u.d);
        break;
    case AF_STR:
        write_str(b, v->u.s.ptr, v->u.s.len, flags);
        break;
    case AF_LIST:
        af_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (i) af_buf_puts(b, item_sep);
            af_json_write(b, v->u.list.items[i], flags);
        }
        af_buf_putc(b, ']');
        break;
    case AF_MAP:
        af_buf_putc(b, '{');
        for (size_t i = 0; i < v->u.map.n; i++) {
            if (i) af_buf_puts(b, item_sep);
            write_str(b, v->u.map.pairs[i].key, strlen(v->u.map.pairs[i].key), flags);
            af_buf_puts(b, key_sep);
            af_json_write(b, v->u.map.pairs[i].val, flags);
        }
        af_buf_putc(b, '}');
        break;
    }
}

char *af_json_str(af_arena *a, const af_value *v, unsigned flags)
{
    af_buf b = {0};
    af_json_write(&b, v, flags);
    char *s = af_strndup(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return s;
}

/* ---- parser ----------------------------------------------------------------- */

typedef struct jp {
    af_arena *a;
    const char *s, *p, *end;
    char *err;
    size_t errlen;
    int depth;
} jp;

static int jerr(jp *j, const char *msg)
{
    int line = 1, col = 1;
    /* columns count characters, as Python's do: UTF-8 continuation bytes
     * are not counted */
    for (const char *q = j->s; q < j->p && q < j->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)*q & 0xc0) != 0x80) {
            col++;
        }
    }
    return af__err(j->err, j->errlen, "line %d column %d: %s", line, col, msg);
}

static void skip_ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int lit(jp *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) >= n && memcmp(j->p, word, n) == 0) {
        j->p += n;
        return 1;
    }
    return 0;
}

static int hex4(jp *j, unsigned *out)
{
    if (j->end - j->p < 4) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = j->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    j->p += 4;
    *out = v;
    return 0;
}

static void put_utf8(af_buf *b, unsigned cp)
{
    char t[4];
    if (cp < 0x80) {
        af_buf_putc(b, (int)cp);
    } else if (cp < 0x800) {
        t[0] = (char)(0xc0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3f));
        af_buf_put(b, t, 2);
    } else if (cp < 0x10000) {
        t[0] = (char)(0xe0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        t[2] = (char)(0x80 | (cp & 0x3f));
        af_buf_put(b, t, 3);
    } else {
        t[0] = (char)(0xf0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        t[3] = (char)(0x80 | (cp & 0x3f));
        af_buf_put(b, t, 4);
    }
}

/* Parses a string starting at the opening quote into b. */
static int parse_str(jp *j, af_buf *b)
{
    const char *open = j->p;
    j->p++; /* opening quote */
    for (;;) {
        if (j->p >= j->end) {
            j->p = open; /* Python reports where the string starts */
            return jerr(j, "unterminated string");
        }
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return 0;
        }
        if (c < 0x20) return jerr(j, "invalid control character in string");
        if (c != '\\') {
            const char *q = j->p;
            while (q < j->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20) q++;
            af_buf_put(b, j->p, (size_t)(q - j->p));
            j->p = q;
            continue;
        }
        const char *backslash = j->p;
        j->p++;
        if (j->p >= j->end) {
            j->p = open;
            return jerr(j, "unterminated string");
        }
        char e = *j->p++;
        switch (e) {
        case '"': af_buf_putc(b, '"'); break;
        case '\\': af_buf_putc(b, '\\'); break;
        case '/': af_buf_putc(b, '/'); break;
        case 'b': af_buf_putc(b, '\b'); break;
        case 'f': af_buf_putc(b, '\f'); break;
        case 'n': af_buf_putc(b, '\n'); break;
        case 'r': af_buf_putc(b, '\r'); break;
        case 't': af_buf_putc(b, '\t'); break;
        case 'u': {
            unsigned cp;
            if (hex4(j, &cp) < 0) {
                j->p--; /* at the 'u', as Python reports it */
                return jerr(j, "invalid \\u escape");
            }
            if (cp >= 0xd800 && cp <= 0xdbff && j->end - j->p >= 6 && j->p[0] == '\\' &&
                j->p[1] == 'u') {
                const char *save = j->p;
                unsigned lo;
                j->p += 2;
                if (hex4(j, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff)
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                else
                    j->p = save;
            }
            put_utf8(b, cp);
            break;
        }
        default:
            j->p = backslash;
            return jerr(j, "invalid escape");
        }
    }
}

static int parse_value(jp *j, af_value **out);

static int parse_number(jp *j, af_value **out)
{
    const char *start = j->p;
    if (*j->p == '-') j->p++;
    if (lit(j, "Infinity")) {
        *out = af_double(j->a, *start == '-' ? -INFINITY : INFINITY);
        return 0;
    }
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
        j->p = start;
        return jerr(j, "expecting value");
    }
    if (*j->p == '0') {
        j->p++;
    } else {
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    int is_float = 0;
    /* A fraction or exponent without digits is not part of the number (it
     * ends before the '.' or 'e', as Python's number pattern does), so the
     * error that follows is reported where Python reports it. */
    if (j->end - j->p >= 2 && j->p[0] == '.' && j->p[1] >= '0' && j->p[1] <= '9') {
        is_float = 1;
        j->p++;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        const char *q = j->p + 1;
        if (q < j->end && (*q == '+' || *q == '-')) q++;
        if (q < j->end && *q >= '0' && *q <= '9') {
            is_float = 1;
            while (q < j->end && *q >= '0' && *q <= '9') q++;
            j->p = q;
        }
    }
    char tmp[64];
    size_t n = (size_t)(j->p - start);
    char *num = n < sizeof tmp ? tmp : af_alloc(j->a, n + 1);
    memcpy(num, start, n);
    num[n] = 0;
    if (!is_float) {
        errno = 0;
        long long v = strtoll(num, NULL, 10);
        if (errno != ERANGE) {
            *out = af_int(j->a, v);
            return 0;
        }
    }
    *out = af_double(j->a, strtod(num, NULL));
    return 0;
}

static int parse_value(jp *j, af_value **out)
{
    skip_ws(j);
    if (j->p >= j->end) return jerr(j, "expecting value");
    if (++j->depth > 512) return jerr(j, "nesting too deep");
    int rc = 0;
    char c = *j->p;
    if (c == '{') {
        af_value *m = af_map(j->a);
        j->p++;
        skip_ws(j);
        if (j->p < j->end && *j->p == '}') {
            j->p++;
        } else {
            af_buf key = {0};
            for (;;) {
                skip_ws(j);
                if (j->p >= j->end || *j->p != '"') {
                    rc = jerr(j, "expecting property name enclosed in double quotes");
                    break;
                }
                af_buf_reset(&key);
                if ((rc = parse_str(j, &key)) < 0) break;
                skip_ws(j);
                if (j->p >= j->end || *j->p != ':') {
                    rc = jerr(j, "expecting ':' delimiter");
                    break;
                }
                j->p++;
                af_value *v;
                if ((rc = parse_value(j, &v)) < 0) break;
                af_map_set(j->a, m, af_buf_cstr(&key), v);
                skip_ws(j);
                if (j->p < j->end && *j->p == ',') {
                    j->p++;
                    continue;
                }
                if (j->p < j->end && *j->p == '}') {
                    j->p++;
                    break;
                }
                rc = jerr(j, "expecting ',' delimiter");
                break;
            }
            af_buf_free(&key);
        }
        *out = m;
    } else if (c == '[') {
        af_value *l = af_list(j->a);
        j->p++;
        skip_ws(j);
        if (j->p < j->end && *j->p == ']') {
            j->p++;
        } else {
            for (;;) {
                af_value *v;
                if ((rc = parse_value(j, &v)) < 0) break;
                af_list_push(j->a, l, v);
                skip_ws(j);
                if (j->p < j->end && *j->p == ',') {
                    j->p++;
                    continue;
                }
                if (j->p < j->end && *j->p == ']') {
                    j->p++;
                    break;
                }
                rc = jerr(j, "expecting ',' delimiter");
                break;
            }
        }
        *out = l;
    } else if (c == '"') {
        af_buf s = {0};
        rc = parse_str(j, &s);
        if (rc == 0) *out = af_strn(j->a, af_buf_cstr(&s), s.len);
        af_buf_free(&s);
    } else if (lit(j, "true")) {
        *out = af_bool(1);
    } else if (lit(j, "false")) {
        *out = af_bool(0);
    } else if (lit(j, "null")) {
        *out = af_null();
    } else if (lit(j, "NaN")) {
        *out = af_double(j->a, NAN);
    } else {
        rc = parse_number(j, out);
    }
    j->depth--;
    return rc;
}

int af_json_parse(af_arena *a, const char *text, size_t len, af_value **out, char *err,
                  size_t errlen)
{
    jp j = {a, text, text, text + len, err, errlen, 0};
    af_value *v = NULL;
    if (parse_value(&j, &v) < 0) return -1;
    skip_ws(&j);
    if (j.p != j.end) return jerr(&j, "extra data");
    *out = v;
    return 0;
}
