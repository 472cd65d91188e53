/*
 * tmpl.c - strict templates: {{PATH}} and {{PATH:DEFAULT}}.
 *
 * afc parses every template string at build time (with the roots allowed in
 * its phase) and emits the segments; the runtime renders them, and parses
 * only what arrives at run time (profiles given as JSON). The grammar and
 * every corner case follow the reference resolver: a string that is exactly
 * one token (the standalone form) keeps the looked-up value's type; any
 * other string renders to text. See docs/templating.md.
 */
#include "af_int.h"

#include <stdio.h>
#include <string.h>

int af_tmpl_forbidden(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        char c = s[i], d = s[i + 1];
        if ((c == '$' && d == '{') || (c == '{' && (d == '%' || d == '#' || d == '}')) ||
            ((c == '%' || c == '#') && d == '}'))
            return 1;
    }
    return 0;
}

/* Python's str.isspace() for the ASCII range and the C1/latin-1 spaces that
 * appear in practice; \s in the reference's regex means the same. */
static int py_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int ascii_ident_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int ascii_ident(unsigned char c)
{
    return ascii_ident_start(c) || (c >= '0' && c <= '9');
}

static size_t find(const char *s, size_t n, size_t from, const char *pat)
{
    for (size_t i = from; i + 1 < n; i++)
        if (s[i] == pat[0] && s[i + 1] == pat[1]) return i;
    return (size_t)-1;
}

static int fail(const char *detail, size_t pos, size_t *errpos, char *err, size_t errlen)
{
    if (errpos) *errpos = pos;
    return af__err(err, errlen, "%s\n%s", AF_TMPL_UNSUPPORTED, detail);
}

/* Splits a path into parts; checks identifiers like the reference's
 * _is_identifier (letters, digits, '_'; non-ASCII bytes count as letters). */
static int split_path(af_arena *a, const char *p, size_t n, const char ***parts_out,
                      unsigned *nparts_out)
{
    unsigned np = 1;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '.') np++;
    const char **parts = af_alloc(a, np * sizeof *parts);
    size_t start = 0;
    unsigned k = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '.') continue;
        size_t len = i - start;
        if (len == 0) return -1;
        unsigned char c0 = (unsigned char)p[start];
        if (!(ascii_ident_start(c0) || c0 >= 0x80)) return -1;
        for (size_t j = start + 1; j < i; j++) {
            unsigned char c = (unsigned char)p[j];
            if (!(ascii_ident(c) || c >= 0x80)) return -1;
        }
        parts[k++] = af_strndup(a, p + start, len);
        start = i + 1;
    }
    *parts_out = parts;
    *nparts_out = np;
    return 0;
}

static int root_allowed(const char *root, const char *const *allowed)
{
    if (!allowed) return 1;
    for (; *allowed; allowed++)
        if (strcmp(*allowed, root) == 0) return 1;
    return 0;
}

static int make_ref(af_arena *a, af_tmpl_seg *seg, const char *path, size_t plen,
                    const char *def, size_t dlen, int has_def, const char *const *allowed,
                    size_t pos, size_t *errpos, char *err, size_t errlen)
{
    const char **parts;
    unsigned np;
    char detail[256];
    if (split_path(a, path, plen, &parts, &np) < 0) {
        snprintf(detail, sizeof detail, "'%.*s' is not a path of identifiers joined by '.'",
                 (int)(plen > 100 ? 100 : plen), path);
        return fail(detail, pos, errpos, err, errlen);
    }
    if (!root_allowed(parts[0], allowed)) {
        char roots[160] = "";
        for (const char *const *r = allowed; *r; r++) {
            if (roots[0]) strncat(roots, ", ", sizeof roots - strlen(roots) - 1);
            strncat(roots, *r, sizeof roots - strlen(roots) - 1);
        }
        snprintf(detail, sizeof detail, "unknown template root '%s' (allowed here: %s)",
                 parts[0], roots);
        return fail(detail, pos, errpos, err, errlen);
    }
    seg->kind = AF_SEG_REF;
    seg->text = af_strndup(a, path, plen);
    seg->len = plen;
    seg->parts = parts;
    seg->nparts = np;
    seg->def = has_def ? af_strndup(a, def, dlen) : NULL;
    return 0;
}

/* The standalone form: {{ path }} or {{ path:default }} and nothing else
 * (a single trailing newline is tolerated, as the reference's `$` does). */
static int match_standalone(const char *s, size_t n, size_t *p0, size_t *p1, size_t *d0,
                            size_t *d1, int *has_def)
{
    size_t i = 0;
    if (n < 4 || s[0] != '{' || s[1] != '{') return 0;
    i = 2;
    while (i < n && py_space((unsigned char)s[i])) i++;
    *p0 = i;
    for (;;) {
        if (i >= n || !ascii_ident_start((unsigned char)s[i])) return 0;
        i++;
        while (i < n && ascii_ident((unsigned char)s[i])) i++;
        if (i < n && s[i] == '.') {
            i++;
            continue;
        }
        break;
    }
    *p1 = i;
    *has_def = 0;
    if (i < n && s[i] == ':') {
        *has_def = 1;
        i++;
        *d0 = i;
        while (i < n && s[i] != '}') i++;
        *d1 = i;
    }
    while (i < n && py_space((unsigned char)s[i])) i++;
    if (i + 2 > n || s[i] != '}' || s[i + 1] != '}') return 0;
    i += 2;
    return i == n || (i + 1 == n && s[i] == '\n');
}

int af_tmpl_parse(af_arena *a, const char *s, size_t n, const char *const *allowed,
                  af_tmpl **out, size_t *errpos, char *err, size_t errlen)
{
    if (af_tmpl_forbidden(s, n)) {
        size_t pos = 0;
        for (size_t i = 0; i + 1 < n; i++)
            if (af_tmpl_forbidden(s + i, 2)) {
                pos = i;
                break;
            }
        char detail[64];
        snprintf(detail, sizeof detail, "'%.2s' is not allowed in a template string", s + pos);
        return fail(detail, pos, errpos, err, errlen);
    }
    if (find(s, n, 0, "{{") == (size_t)-1 && find(s, n, 0, "}}") == (size_t)-1) return 0;

    af_tmpl *t = af_alloc(a, sizeof *t);
    t->src = af_strndup(a, s, n);
    size_t p0, p1, d0 = 0, d1 = 0;
    int has_def;
    if (match_standalone(s, n, &p0, &p1, &d0, &d1, &has_def)) {
        af_tmpl_seg *seg = af_alloc(a, sizeof *seg);
        if (make_ref(a, seg, s + p0, p1 - p0, s + d0, d1 - d0, has_def, allowed, p0, errpos, err,
                     errlen) < 0)
            return -1;
        t->segs = seg;
        t->nsegs = 1;
        t->standalone = 1;
        *out = t;
        return 1;
    }

    /* Mixed text: at most one segment per token plus the text between. */
    size_t cap = 1;
    for (size_t i = 0; (i = find(s, n, i, "{{")) != (size_t)-1; i += 2) cap += 2;
    af_tmpl_seg *segs = af_alloc(a, cap * sizeof *segs);
    unsigned k = 0;
    size_t i = 0;
    while (i < n) {
        size_t start = find(s, n, i, "{{");
        if (start == (size_t)-1) {
            segs[k].kind = AF_SEG_TEXT;
            segs[k].text = af_strndup(a, s + i, n - i);
            segs[k].len = n - i;
            k++;
            break;
        }
        size_t close = find(s, n, i, "}}");
        if (close != (size_t)-1 && close < start)
            return fail("'}}' without an opening '{{'", close, errpos, err, errlen);
        if (start > i) {
            segs[k].kind = AF_SEG_TEXT;
            segs[k].text = af_strndup(a, s + i, start - i);
            segs[k].len = start - i;
            k++;
        }
        size_t end = find(s, n, start + 2, "}}");
        if (end == (size_t)-1) return fail("'{{' without a closing '}}'", start, errpos, err, errlen);
        size_t t0 = start + 2, t1 = end;
        while (t0 < t1 && py_space((unsigned char)s[t0])) t0++;
        while (t1 > t0 && py_space((unsigned char)s[t1 - 1])) t1--;
        if (t0 == t1) return fail("empty '{{ }}'", start, errpos, err, errlen);
        for (size_t j = t0; j < t1; j++)
            if (s[j] == '{' || s[j] == '}')
                return fail("braces inside '{{ }}'", j, errpos, err, errlen);
        const char *colon = memchr(s + t0, ':', t1 - t0);
        size_t pe = colon ? (size_t)(colon - s) : t1;
        size_t ps = t0;
        while (pe > ps && py_space((unsigned char)s[pe - 1])) pe--;
        if (make_ref(a, &segs[k], s + ps, pe - ps, colon ? colon + 1 : NULL,
                     colon ? (size_t)(s + t1 - colon - 1) : 0, colon != NULL, allowed, ps, errpos,
                     err, errlen) < 0)
            return -1;
        k++;
        i = end + 2;
    }
    t->segs = segs;
    t->nsegs = k;
    *out = t;
    return 1;
}

/* The reference's _lookup_path: maps all the way down. */
static const af_value *lookup(const af_value *scope, const af_tmpl_seg *seg)
{
    const af_value *cur = scope;
    for (unsigned i = 0; i < seg->nparts; i++) {
        cur = af_map_get(cur, seg->parts[i]);
        if (!cur) return NULL;
    }
    return cur;
}

static int is_missing(const af_value *v)
{
    return !v || (v->type == AF_STR && v->u.s.len == 0);
}

int af_tmpl_render(af_arena *a, const af_tmpl *t, const af_value *scope, af_value **out,
                   const char **missing, char *err, size_t errlen)
{
    if (t->standalone) {
        const af_tmpl_seg *seg = &t->segs[0];
        const af_value *v = lookup(scope, seg);
        if (!is_missing(v)) {
            *out = (af_value *)v;
            return 0;
        }
        if (seg->def) {
            *out = af_str(a, seg->def);
            return 0;
        }
        if (missing) *missing = seg->text;
        return af__err(err, errlen, "missing value for {{%s}} and no default", seg->text);
    }
    af_buf b = {0};
    for (unsigned i = 0; i < t->nsegs; i++) {
        const af_tmpl_seg *seg = &t->segs[i];
        if (seg->kind == AF_SEG_TEXT) {
            af_buf_put(&b, seg->text, seg->len);
            continue;
        }
        const af_value *v = lookup(scope, seg);
        if (!is_missing(v)) {
            af_py_str(&b, v);
        } else if (seg->def) {
            af_buf_puts(&b, seg->def);
        } else {
            af_buf_free(&b);
            if (missing) *missing = seg->text;
            return af__err(err, errlen, "missing value for {{%s}} and no default", seg->text);
        }
    }
    if (af_tmpl_forbidden(af_buf_cstr(&b), b.len)) {
        af_buf_free(&b);
        return af__err(err, errlen, "%s\nthe rendered text of '%s' contains forbidden syntax",
                       AF_TMPL_UNSUPPORTED, t->src);
    }
    *out = af_strn(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return 0;
}

int af_cval_render(af_arena *a, const af_cval *cv, const af_value *scope, af_value **out,
                   const char **missing, char *err, size_t errlen)
{
    af_value *v;
    switch (cv->type) {
    case AF_CTMPL:
        return af_tmpl_render(a, cv->u.t, scope, out, missing, err, errlen);
    case AF_LIST:
        v = af_list(a);
        for (size_t i = 0; i < cv->u.list.n; i++) {
            af_value *item;
            if (af_cval_render(a, &cv->u.list.items[i], scope, &item, missing, err, errlen) < 0)
                return -1;
            af_list_push(a, v, item);
        }
        *out = v;
        return 0;
    case AF_MAP:
        v = af_map(a);
        for (size_t i = 0; i < cv->u.map.n; i++) {
            af_value *item;
            if (af_cval_render(a, &cv->u.map.vals[i], scope, &item, missing, err, errlen) < 0)
                return -1;
            af_map_set(a, v, cv->u.map.keys[i], item);
        }
        *out = v;
        return 0;
    default:
        *out = af_cval_literal(a, cv);
        return 0;
    }
}

af_value *af_cval_literal(af_arena *a, const af_cval *cv)
{
    af_value *v;
    switch (cv->type) {
    case AF_NULL:
        return af_null();
    case AF_BOOL:
        return af_bool(cv->u.b);
    case AF_INT:
        return af_int(a, cv->u.i);
    case AF_DOUBLE:
        return af_double(a, cv->u.d);
    case AF_STR:
        /* static data: share the bytes */
        v = af_alloc(a, sizeof *v);
        v->type = AF_STR;
        v->u.s.ptr = cv->u.s.ptr;
        v->u.s.len = cv->u.s.len;
        return v;
    case AF_CTMPL:
        return af_str(a, cv->u.t->src);
    case AF_LIST:
        v = af_list(a);
        for (size_t i = 0; i < cv->u.list.n; i++)
            af_list_push(a, v, af_cval_literal(a, &cv->u.list.items[i]));
        return v;
    case AF_MAP:
        v = af_map(a);
        for (size_t i = 0; i < cv->u.map.n; i++)
            af_map_set(a, v, cv->u.map.keys[i], af_cval_literal(a, &cv->u.map.vals[i]));
        return v;
    }
    return af_null();
}
