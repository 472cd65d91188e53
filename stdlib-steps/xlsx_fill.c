/*
 * xlsx_fill.c - what excel_validate_template, excel_fill_small and
 * excel_fill_from_file do to a workbook, target by target.
 *
 * Part of the OOXML workbook layer (xlsx.h); the step files read their
 * step-level inputs, resolve paths, open the template, call these, and
 * write the result atomically. Everything the reference decides per target
 * lives here: anchor resolution (defined name, A1 reference, anchor text),
 * the marker/header layout (r0, data start row, the template-header
 * hard-lock), row insertion, header clearing and writing, style-row
 * copying, type casting, guards, and the data_sheet niceties. Messages
 * follow the reference's wording so flows and their operators see the same
 * text.
 *
 * Target options are read the way the reference reads them from a Python
 * dict: `int(x)` for numbers, `str(x or default)` for choices, so a flow
 * behaves the same under both implementations. Flags are the exception:
 * they follow af_to_bool, the rule of every boolean input (the strings
 * false/no/off/0 are false; the reference's bool("false") was true).
 */
#include "xlsx_int.h"

#include "af_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SCAN 10000 /* the reference's anchor search limit, in cells */

static int fail(char *err, size_t errlen, const char *fmt, ...) AF_PRINTF(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- Python views of input values ---------------------------------------------------------- */

static const af_value *get(const af_value *t, const char *k)
{
    return af_map_get(t, k);
}

static int has(const af_value *t, const char *k)
{
    return af_map_get(t, k) != NULL;
}

static int none(const af_value *v)
{
    return !v || v->type == AF_NULL;
}

static int truthy(const af_value *v)
{
    return v && af_truthy(v);
}

/* str(v) */
static const char *pystr(af_arena *a, const af_value *v)
{
    if (v && v->type == AF_STR) return v->u.s.ptr;
    af_buf b = {0};
    af_py_str(&b, v ? v : af_null());
    const char *s = af_strndup(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return s;
}

/* repr(v) */
static const char *pyrepr(af_arena *a, const af_value *v)
{
    af_buf b = {0};
    af_py_repr(&b, v ? v : af_null());
    const char *s = af_strndup(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return s;
}

static const char *repr_str(af_arena *a, const char *s)
{
    return pyrepr(a, af_str(a, s));
}

static char *lower(af_arena *a, const char *s)
{
    char *o = af_strdup(a, s);
    for (char *p = o; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    return o;
}

/* str(v or def).lower() */
static const char *choice(af_arena *a, const af_value *v, const char *def)
{
    return lower(a, truthy(v) ? pystr(a, v) : def);
}

static const char *type_word(const af_value *v)
{
    switch (v ? v->type : AF_NULL) {
    case AF_NULL:
        return "NoneType";
    case AF_LIST:
        return "list";
    case AF_MAP:
        return "dict";
    default:
        return "object";
    }
}

/* int(v) with Python's errors */
static int pyint(af_arena *a, const af_value *v, int64_t *out, char *err, size_t errlen)
{
    switch (v ? v->type : AF_NULL) {
    case AF_BOOL:
        *out = v->u.b;
        return 0;
    case AF_INT:
        *out = v->u.i;
        return 0;
    case AF_DOUBLE:
        if (isnan(v->u.d)) return fail(err, errlen, "cannot convert float NaN to integer");
        if (isinf(v->u.d)) return fail(err, errlen, "cannot convert float infinity to integer");
        *out = (int64_t)v->u.d;
        return 0;
    case AF_STR: {
        double d;
        const char *s = v->u.s.ptr;
        if (!xlsx_py_int(s, v->u.s.len, &d) || fabs(d) > 9.2e18)
            return fail(err, errlen, "invalid literal for int() with base 10: %s", repr_str(a, s));
        *out = (int64_t)d;
        return 0;
    }
    default:
        return fail(err, errlen,
                    "int() argument must be a string, a bytes-like object or a real number, not "
                    "'%s'",
                    type_word(v));
    }
}

/* _maybe_json_load: a string that looks like a JSON array or object is
 * parsed; anything else (or invalid JSON) is returned unchanged. */
static const af_value *maybe_json(af_arena *a, const af_value *v)
{
    if (!v || v->type != AF_STR) return v;
    const char *s = v->u.s.ptr;
    size_t n = v->u.s.len, i = 0, j = n;
    while (i < j && (s[i] == ' ' || (s[i] >= 9 && s[i] <= 13)))
        i++;
    while (j > i && (s[j - 1] == ' ' || (s[j - 1] >= 9 && s[j - 1] <= 13)))
        j--;
    if (i == j) return v;
    if (!((s[i] == '[' && s[j - 1] == ']') || (s[i] == '{' && s[j - 1] == '}'))) return v;
    af_value *out;
    char e[128];
    if (af_json_parse(a, s + i, j - i, &out, e, sizeof e) < 0) return v;
    return out;
}

/* a[k] of a Python list built from a value: list items, or dict keys */
static int as_list(af_arena *a, const af_value *v, const af_value ***items, size_t *n)
{
    if (v->type == AF_LIST) {
        *items = (const af_value **)v->u.list.items;
        *n = v->u.list.n;
        return 0;
    }
    if (v->type == AF_MAP) {
        const af_value **k = af_alloc(a, (v->u.map.n + 1) * sizeof *k);
        for (size_t i = 0; i < v->u.map.n; i++)
            k[i] = af_str(a, v->u.map.pairs[i].key);
        *items = k;
        *n = v->u.map.n;
        return 0;
    }
    return -1;
}

/* ---- anchors ----------------------------------------------------------------------------- */

typedef struct loc {
    xlsx_sheet *sh;
    uint32_t row, col;
} loc;

static int is_a1(af_arena *a, const char *s, char **clean)
{
    char *n = xlsx_norm(a, s, strlen(s), 1);
    char *o = n;
    for (char *p = n; *p; p++)
        if (*p != '$') *o++ = *p;
    *o = 0;
    if (clean) *clean = n;
    size_t i = 0, l = 0, d = 0;
    while (n[i] >= 'A' && n[i] <= 'Z')
        i++, l++;
    while (n[i] >= '0' && n[i] <= '9')
        i++, d++;
    return !n[i] && l >= 1 && l <= 3 && d >= 1 && d <= 7;
}

/* "Sheet!A1" -> sheet (NULL when none) and cell */
static void split_sheet(af_arena *a, const char *s, const char **sheet, const char **cell)
{
    const char *bang = strchr(s, '!');
    if (!bang) {
        *sheet = NULL;
        *cell = xlsx_norm(a, s, strlen(s), 0);
        return;
    }
    char *sh = xlsx_norm(a, s, (size_t)(bang - s), 0);
    size_t n = strlen(sh);
    if (n >= 2 && sh[0] == '\'' && sh[n - 1] == '\'') { /* 'My Sheet'!A1 */
        char *o = sh;
        for (size_t i = 1; i + 1 < n; i++) {
            *o++ = sh[i];
            if (sh[i] == '\'' && sh[i + 1] == '\'') i++;
        }
        *o = 0;
    }
    *sheet = sh[0] ? sh : NULL;
    *cell = xlsx_norm(a, bang + 1, strlen(bang + 1), 0);
}

static int resolve_cell(xlsx_book *b, const char *sheet_name, const char *sh, const char *a1,
                        loc *out, char *err, size_t errlen)
{
    char *clean;
    if (!is_a1(b->a, a1, &clean))
        return fail(err, errlen, "Invalid Excel cell reference: %s", clean);
    uint32_t r, c;
    if (xlsx_cell_parse(clean, &r, &c) < 0)
        return fail(err, errlen, "Invalid Excel cell reference: %s (outside the sheet)", clean);
    const char *title = sh;
    if (!title) {
        if (!sheet_name || !*sheet_name)
            return fail(err, errlen,
                        "Excel target requires sheet when using cell like 'A1' (set sheet or use "
                        "'Sheet!A1')");
        title = sheet_name;
    }
    out->sh = xlsx_sheet_get(b, title, err, errlen);
    if (!out->sh) return -1;
    out->row = r, out->col = c;
    return 0;
}

/* A defined name's first destination that is a cell or range on a
 * worksheet of this workbook. 1 found, 0 not. */
typedef struct dest_ctx {
    const char *sheet;
    uint32_t r, c;
    int found;
    char buf[256];
} dest_ctx;

static int dest_cb(void *ud, xlsx_ref *r)
{
    dest_ctx *d = ud;
    if (d->found || !r->sheet || r->external || r->three_d) return 0;
    if (r->kind != XLSX_REF_CELL && r->kind != XLSX_REF_AREA) return 0;
    snprintf(d->buf, sizeof d->buf, "%s", r->sheet);
    d->sheet = d->buf;
    d->r = r->r1, d->c = r->c1;
    d->found = 1;
    return 0;
}

static int resolve_name(xlsx_book *b, const char *name, loc *out, char *err, size_t errlen)
{
    const xlsx_name *n = xlsx_name_global(b, name);
    if (!n) return 0;
    af_buf scratch = {0};
    /* every range of the name, in order: the first on an existing sheet wins */
    const char *v = n->value;
    const char *p = v;
    while (*p) {
        dest_ctx d = {0};
        af_buf_reset(&scratch);
        xlsx_formula_map(p, strlen(p), dest_cb, &d, &scratch);
        if (!d.found) break;
        for (size_t i = 0; i < xlsx_nsheets(b); i++) {
            if (strcmp(xlsx_sheet_name_at(b, i), d.sheet) || !xlsx_sheet_is_work(b, i)) continue;
            out->sh = xlsx_sheet_get(b, d.sheet, err, errlen);
            af_buf_free(&scratch);
            if (!out->sh) return -1;
            out->row = d.r, out->col = d.c;
            return 1;
        }
        /* try the next range: skip past the first '!' of this one */
        const char *bang = strchr(p, '!');
        if (!bang) break;
        p = strchr(bang, ',');
        if (!p) break;
        p++;
    }
    af_buf_free(&scratch);
    return 0;
}

/* str(value) of a cell as openpyxl holds it (formulas as "=..."). NULL: None */
static const char *cell_str(af_arena *a, const xlsx_cellview *c)
{
    switch (c->kind) {
    case XLSX_C_STR:
    case XLSX_C_ERROR:
        return c->text;
    case XLSX_C_BOOL:
        return c->text[0] == '1' ? "True" : "False";
    case XLSX_C_FORMULA:
        return af_sprintf(a, "=%s", c->text);
    case XLSX_C_NUM:
        if (strpbrk(c->text, ".eE")) {
            af_buf b = {0};
            af_py_float(&b, strtod(c->text, NULL));
            const char *s = af_strndup(a, af_buf_cstr(&b), b.len);
            af_buf_free(&b);
            return s;
        }
        return c->text;
    default:
        return NULL;
    }
}

typedef struct search {
    af_arena *a;
    const char *needle;
    uint32_t min_row, min_col, ncols;
    uint64_t base;
    int found, over;
    uint32_t row, col;
} search;

static int search_cb(void *ud, const xlsx_cellview *c)
{
    search *s = ud;
    uint64_t pos = s->base + (uint64_t)(c->row - s->min_row) * s->ncols + (c->col - s->min_col) + 1;
    if (pos > MAX_SCAN) {
        s->over = 1;
        return 1;
    }
    const char *v = cell_str(s->a, c);
    if (!v) return 0;
    if (!strcmp(xlsx_norm(s->a, v, strlen(v), 1), s->needle)) {
        s->found = 1;
        s->row = c->row, s->col = c->col;
        return 1;
    }
    return 0;
}

typedef struct sample {
    af_arena *a;
    const char *title;
    af_value *list;
    uint64_t seen;
} sample;

static int sample_cb(void *ud, const xlsx_cellview *c)
{
    sample *s = ud;
    if (++s->seen > MAX_SCAN || s->list->u.list.n >= 20) return 1;
    const char *v = cell_str(s->a, c);
    if (!v || !strstr(xlsx_norm(s->a, v, strlen(v), 1), "ANCHOR")) return 0;
    char ref[16];
    af_buf b = {0};
    af_buf_printf(&b, "%s!%s=%s", s->title, xlsx_ref_fmt(ref, c->row, c->col), repr_str(s->a, v));
    af_list_push(s->a, s->list, af_strn(s->a, af_buf_cstr(&b), b.len));
    af_buf_free(&b);
    return s->list->u.list.n >= 20;
}

static const char *sheetnames_repr(xlsx_book *b)
{
    af_value *l = af_list(b->a);
    for (size_t i = 0; i < xlsx_nsheets(b); i++)
        af_list_push(b->a, l, af_str(b->a, xlsx_sheet_name_at(b, i)));
    return pyrepr(b->a, l);
}

static int search_text(xlsx_book *b, const char *text, const char *only, int enterprise, loc *out,
                       char *err, size_t errlen)
{
    af_arena *a = b->a;
    const char *needle = xlsx_norm(a, text, strlen(text), 1);
    if (!*needle) return 0;
    if (enterprise && (!only || !*only))
        return fail(err, errlen,
                    "Excel anchor text search requires 'sheet' in enterprise mode. Use named "
                    "range or set sheet.");
    int pinned = 0;
    if (only && *only)
        for (size_t i = 0; i < xlsx_nsheets(b); i++)
            if (!strcmp(xlsx_sheet_name_at(b, i), only)) pinned = 1;
    search s = {.a = a, .needle = needle};
    for (size_t i = 0; i < xlsx_nsheets(b); i++) {
        const char *title = xlsx_sheet_name_at(b, i);
        if (pinned ? strcmp(title, only) != 0 : !xlsx_sheet_is_work(b, i)) continue;
        if (!xlsx_sheet_is_work(b, i)) continue;
        xlsx_sheet *sh = xlsx_sheet_get(b, title, err, errlen);
        if (!sh) return -1;
        uint32_t r1, c1, r2, c2;
        xlsx_sheet_bounds(sh, &r1, &c1, &r2, &c2);
        s.min_row = r1, s.min_col = c1, s.ncols = c2 - c1 + 1;
        if (xlsx_sheet_scan(sh, search_cb, &s, err, errlen) < 0) return -1;
        uint64_t grid = (uint64_t)(r2 - r1 + 1) * s.ncols;
        if (!s.found && !s.over && s.base + grid > MAX_SCAN) s.over = 1;
        if (s.over)
            return fail(err, errlen,
                        "Excel anchor search exceeded max_cells=%d. Use named range or specify "
                        "sheet.",
                        MAX_SCAN);
        if (s.found) {
            out->sh = sh, out->row = s.row, out->col = s.col;
            return 1;
        }
        s.base += grid;
    }
    return 0;
}

/* _excel_resolve_anchor */
static int resolve_anchor(xlsx_env *env, xlsx_book *b, const char *sheet_name, const char *anchor,
                          const char *cell, loc *out, char *err, size_t errlen)
{
    af_arena *a = b->a;
    if (anchor && *anchor) {
        const char *an = xlsx_norm(a, anchor, strlen(anchor), 0);
        int r = resolve_name(b, an, out, err, errlen);
        if (r) return r < 0 ? -1 : 0;
        const char *sh, *c1;
        split_sheet(a, an, &sh, &c1);
        if (is_a1(a, c1, NULL)) return resolve_cell(b, sheet_name, sh, c1, out, err, errlen);
        r = search_text(b, an, sheet_name, env->enterprise, out, err, errlen);
        if (r) return r < 0 ? -1 : 0;
        af_value *found = af_list(a);
        for (size_t i = 0; i < xlsx_nsheets(b) && found->u.list.n < 20; i++) {
            if (!xlsx_sheet_is_work(b, i)) continue;
            sample sm = {a, xlsx_sheet_name_at(b, i), found, 0};
            xlsx_sheet *ws = xlsx_sheet_get(b, sm.title, err, errlen);
            if (ws && xlsx_sheet_scan(ws, sample_cb, &sm, err, errlen) < 0) break;
        }
        return fail(err, errlen,
                    "Excel anchor not found: %s. Workbook sheets=%s. ANCHOR-like "
                    "cells(sample)=%s",
                    repr_str(a, an), sheetnames_repr(b), pyrepr(a, found));
    }
    if (!cell || !*cell)
        return fail(err, errlen,
                    "Excel target requires either anchor (named range / anchor text) or cell");
    const char *sh, *c1;
    split_sheet(a, xlsx_norm(a, cell, strlen(cell), 0), &sh, &c1);
    return resolve_cell(b, sheet_name, sh, c1, out, err, errlen);
}

/* ---- excel_validate_template --------------------------------------------------------------- */

typedef struct strset {
    af_arena *a;
    const char **v;
    size_t n, cap;
} strset;

static int strset_has(const strset *s, const char *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], x)) return 1;
    return 0;
}

static void strset_add(strset *s, const char *x)
{
    if (strset_has(s, x)) return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        const char **nv = af_alloc(s->a, cap * sizeof *nv);
        if (s->n) memcpy(nv, s->v, s->n * sizeof *nv);
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = x;
}

static int collect_cb(void *ud, const xlsx_cellview *c)
{
    strset *s = ud;
    /* the values openpyxl reads with data_only=True that are str */
    const char *t = NULL;
    if (c->kind == XLSX_C_STR || c->kind == XLSX_C_ERROR)
        t = c->text;
    else if (c->kind == XLSX_C_FORMULA && (c->ckind == XLSX_C_STR || c->ckind == XLSX_C_ERROR))
        t = c->ctext;
    if (t) strset_add(s, xlsx_norm(s->a, t, strlen(t), 0));
    return 0;
}

static int cmp_pystr(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static af_value *sorted_list(af_arena *a, const char **v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_pystr);
    af_value *l = af_list(a);
    for (size_t i = 0; i < n; i++)
        af_list_push(a, l, af_str(a, v[i]));
    return l;
}

int xlsx_validate(xlsx_env *env, xlsx_book *b, const af_value *required, const char *sheet,
                  af_value **out, char *err, size_t errlen)
{
    af_arena *a = env->arena;
    strset anchors = {.a = a};
    if (sheet && *sheet) {
        int ok = 0;
        for (size_t i = 0; i < xlsx_nsheets(b); i++)
            if (!strcmp(xlsx_sheet_name_at(b, i), sheet)) ok = 1;
        if (!ok) return fail(err, errlen, "Sheet not found: %s", sheet);
    }
    for (size_t i = 0; i < xlsx_nsheets(b); i++) {
        const char *title = xlsx_sheet_name_at(b, i);
        if (sheet && *sheet ? strcmp(title, sheet) != 0 : !xlsx_sheet_is_work(b, i)) continue;
        if (!xlsx_sheet_is_work(b, i)) continue;
        xlsx_sheet *sh = xlsx_sheet_get(b, title, err, errlen);
        if (!sh || xlsx_sheet_scan(sh, collect_cb, &anchors, err, errlen) < 0) return -1;
    }
    /* required_names: a list, a JSON text of one, or a single name */
    const af_value *req = required ? required : af_null();
    if (req->type == AF_STR) {
        af_value *parsed;
        char e[128];
        if (af_json_parse(a, req->u.s.ptr, req->u.s.len, &parsed, e, sizeof e) == 0) {
            req = parsed;
        } else {
            af_value *l = af_list(a);
            af_list_push(a, l, af_value_copy(a, req));
            req = l;
        }
    }
    if (req->type != AF_LIST)
        return fail(err, errlen, "required_names must be a list of strings %s", pystr(a, req));
    size_t n = req->u.list.n;
    const char **named = af_alloc(a, (n + 1) * sizeof *named);
    const char **anch = af_alloc(a, (n + 1) * sizeof *anch);
    size_t nn = 0, na = 0;
    af_value *missing = af_list(a);
    for (size_t i = 0; i < n; i++) {
        const af_value *x = req->u.list.items[i];
        const char *s = pystr(a, x);
        if (x->type == AF_STR && xlsx_name_global(b, s))
            named[nn++] = s;
        else if (strset_has(&anchors, xlsx_norm(a, s, strlen(s), 0)))
            anch[na++] = s;
        else
            af_list_push(a, missing, (af_value *)x);
    }
    if (missing->u.list.n)
        return fail(err, errlen, "Template missing named ranges or anchor cells: %s %s",
                    pyrepr(a, missing), pyrepr(a, req));
    af_value *o = af_map(a);
    af_map_set(a, o, "template_ok", af_bool(1));
    af_map_set(a, o, "found_named_ranges", sorted_list(a, named, nn));
    af_map_set(a, o, "found_anchor_cells", sorted_list(a, anch, na));
    *out = o;
    return 0;
}

/* ---- shared by both fills ----------------------------------------------------------------- */

typedef struct rect {
    const char *sheet;
    int64_t r1, c1, r2, c2;
} rect;

typedef struct fill {
    xlsx_env *env;
    xlsx_book *b;
    af_arena *a;
    const char *step; /* "excel_fill_small" / "excel_fill_from_file" */
    const char *name; /* current target */
    rect *rects;
    size_t nrects, caprects;
    char *err;
    size_t errlen;
} fill;

static int tfail(fill *f, const char *fmt, ...) AF_PRINTF(2, 3);
static int tfail(fill *f, const char *fmt, ...)
{
    int n = snprintf(f->err, f->errlen, "%s target=%s: ", f->step, f->name);
    if (n < 0 || (size_t)n >= f->errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->err + n, f->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* A flag of target t (anchor_clear, header_bold, ...) read with af_to_bool:
 * def when the key is absent, false for null. 0, or -1 naming the key. */
static int flag(fill *f, const af_value *t, const char *key, int def, int *out)
{
    const af_value *v = get(t, key);
    *out = def;
    if (!v || af_to_bool(v, out) == 0) return 0;
    return tfail(f, "%s must be a boolean (true or false), not %s", key, pyrepr(f->a, v));
}

/* Wraps an error from a cell write with the cell it was about. */
static int cell_fail(fill *f, uint32_t row, uint32_t col, const char *msg)
{
    char ref[16], m[512];
    snprintf(m, sizeof m, "%s", msg);
    return tfail(f, "cell %s: %s", xlsx_ref_fmt(ref, row, col), m);
}

static int set_cell(fill *f, xlsx_sheet *sh, uint32_t row, uint32_t col, const xlsx_val *v)
{
    char e[512];
    if (xlsx_cell_set(sh, row, col, v, e, sizeof e) < 0) return cell_fail(f, row, col, e);
    return 0;
}

static int clear_segment(fill *f, xlsx_sheet *sh, uint32_t row, uint32_t c0, int64_t w)
{
    xlsx_val none = {0};
    for (int64_t j = 0; j < w && c0 + j <= XLSX_MAX_COL; j++)
        if (set_cell(f, sh, row, (uint32_t)(c0 + j), &none) < 0) return -1;
    return 0;
}

/* the reference's rect tuple: ('Report', 6, 2, 10, 4) */
static const char *rect_repr(af_arena *a, const rect *r)
{
    return af_sprintf(a, "(%s, %lld, %lld, %lld, %lld)", repr_str(a, r->sheet), (long long)r->r1,
                      (long long)r->c1, (long long)r->r2, (long long)r->c2);
}

static int overlap_check(fill *f, const rect *r)
{
    for (size_t i = 0; i < f->nrects; i++) {
        const rect *p = &f->rects[i];
        if (strcmp(p->sheet, r->sheet)) continue;
        if (!(p->r2 < r->r1 || r->r2 < p->r1 || p->c2 < r->c1 || r->c2 < p->c1))
            return fail(f->err, f->errlen, "%s targets overlap: name=%s sheet=%s rect=%s prev=%s",
                        f->step, f->name, r->sheet, rect_repr(f->a, r), rect_repr(f->a, p));
    }
    if (f->nrects == f->caprects) {
        f->caprects = f->caprects ? f->caprects * 2 : 8;
        rect *nr = af_alloc(f->a, f->caprects * sizeof *nr);
        if (f->nrects) memcpy(nr, f->rects, f->nrects * sizeof *nr);
        f->rects = nr;
    }
    f->rects[f->nrects++] = *r;
    return 0;
}

typedef struct layout {
    const af_value *t;
    const char *sheet, *anchor, *cell;
    loc at;     /* resolved anchor: (ws, r_anchor, c0) */
    int named;  /* anchor is a workbook defined name */
    int marker; /* anchor_is_marker */
    uint32_t r0;
    int tmpl_header; /* template_has_header */
} layout;

/* anchor_clear: after the anchor is resolved, before anything moves */
static int anchor_clear(fill *f, layout *L)
{
    int on;
    if (flag(f, L->t, "anchor_clear", 0, &on) < 0) return -1;
    if (!on || !L->anchor || !*L->anchor) return 0;
    const char *mode = choice(f->a, get(L->t, "anchor_clear_mode"), "cell");
    if (strcmp(mode, "cell") && strcmp(mode, "row"))
        return tfail(f, "invalid anchor_clear_mode=%s", mode);
    int64_t w = 1;
    if (!strcmp(mode, "row")) {
        const af_value *raw = get(L->t, "anchor_clear_width");
        char e[128];
        if (!none(raw) && pyint(f->a, raw, &w, e, sizeof e) < 0) w = 1;
    }
    return w > 0 ? clear_segment(f, L->at.sh, L->at.row, L->at.col, w) : 0;
}

/* dtypes / dtypes_json as the reference reads them */
typedef struct schema {
    const char **keys;
    const char **vals;
    size_t n;
} schema;

static int read_schema(fill *f, const af_value *t, schema *sc)
{
    memset(sc, 0, sizeof *sc);
    const af_value *d = maybe_json(f->a, get(t, "dtypes"));
    if (!truthy(d)) d = maybe_json(f->a, get(t, "dtypes_json"));
    if (none(d)) return 0;
    if (d->type != AF_MAP) return tfail(f, "dtypes must be a dict");
    sc->n = d->u.map.n;
    sc->keys = af_alloc(f->a, (sc->n + 1) * sizeof *sc->keys);
    sc->vals = af_alloc(f->a, (sc->n + 1) * sizeof *sc->vals);
    for (size_t i = 0; i < sc->n; i++) {
        sc->keys[i] = d->u.map.pairs[i].key;
        sc->vals[i] = pystr(f->a, d->u.map.pairs[i].val);
    }
    return 0;
}

static xlsx_dtype schema_dtype(const schema *sc, const char *col)
{
    for (size_t i = sc->n; i-- > 0;) /* later keys win, as in a dict */
        if (!strcmp(sc->keys[i], col)) return xlsx_dtype_parse(sc->vals[i]);
    return XLSX_DT_STRING;
}

enum { CAST_NONE, CAST_BASIC, CAST_SCHEMA };

static int read_cast(fill *f, const af_value *t, const schema *sc, int *cast, const char **word)
{
    const af_value *tc = get(t, "type_cast");
    const char *w = lower(f->a, truthy(tc) ? pystr(f->a, tc) : sc->n ? "schema" : "none");
    if (!strcmp(w, "none"))
        *cast = CAST_NONE;
    else if (!strcmp(w, "basic"))
        *cast = CAST_BASIC;
    else if (!strcmp(w, "schema"))
        *cast = CAST_SCHEMA;
    else
        return tfail(f, "invalid type_cast=%s", w);
    *word = w;
    return 0;
}

/* layout: anchor_is_marker, r0, template_has_header, from the defaults of
 * the step and mode (report_mode: excel_fill_from_file's report_region) */
static int read_layout(fill *f, layout *L, int from_file, int report_mode)
{
    const af_value *t = L->t;
    L->named = L->anchor && *L->anchor && xlsx_name_global(f->b, L->anchor) != NULL;
    int anchored = L->anchor && *L->anchor;
    int def = from_file ? anchored && !L->named && report_mode : anchored && !L->named;
    if (flag(f, t, "anchor_is_marker", def, &L->marker) < 0) return -1;
    L->r0 = L->at.row + (L->marker ? 1 : 0);
    def = anchored && L->marker && (!from_file || report_mode);
    return flag(f, t, "template_has_header", def, &L->tmpl_header);
}

typedef struct styling {
    int copy; /* style_mode copy_row */
    const char *mode, *apply;
    int64_t offset;
    int clear;
} styling;

static int read_styling(fill *f, const af_value *t, styling *st)
{
    st->mode = choice(f->a, get(t, "style_mode"), "none");
    if (strcmp(st->mode, "none") && strcmp(st->mode, "copy_row"))
        return tfail(f, "invalid style_mode=%s", st->mode);
    st->apply = choice(f->a, get(t, "style_apply"), "data");
    if (strcmp(st->apply, "data") && strcmp(st->apply, "header") && strcmp(st->apply, "both"))
        return tfail(f, "invalid style_apply=%s", st->apply);
    st->offset = 2;
    if (has(t, "style_row_offset") &&
        pyint(f->a, get(t, "style_row_offset"), &st->offset, f->err, f->errlen) < 0)
        return -1;
    if (flag(f, t, "clear_style_row", 0, &st->clear) < 0) return -1;
    st->copy = !strcmp(st->mode, "copy_row");
    return 0;
}

/* _excel_copy_cell_style(ws.cell(srow, col), ws.cell(row, col)) */
static void copy_from(xlsx_book *b, xlsx_sheet *sh, uint32_t srow, uint32_t row, uint32_t col)
{
    uint32_t src = xlsx_cell_style(sh, srow, col);
    xlsx_cell_set_style(sh, row, col, xlsx_style_copy(b, src, xlsx_cell_style(sh, row, col)));
}

static int applies(const char *apply, const char *what)
{
    return !strcmp(apply, what) || !strcmp(apply, "both");
}

static af_value *start_cell(af_arena *a, uint32_t r0, uint32_t c0)
{
    af_value *l = af_list(a);
    af_list_push(a, l, af_int(a, r0));
    af_list_push(a, l, af_int(a, c0));
    return l;
}

static int read_target_common(fill *f, const af_value *t, layout *L)
{
    memset(L, 0, sizeof *L);
    L->t = t;
    const af_value *sv = get(t, "sheet"), *av = get(t, "anchor"), *cv = get(t, "cell");
    L->sheet = truthy(sv) ? pystr(f->a, sv) : NULL;
    L->anchor = truthy(av) ? pystr(f->a, av) : NULL;
    L->cell = truthy(cv) ? pystr(f->a, cv) : NULL;
    return 0;
}

/* ---- excel_fill_small -------------------------------------------------------------------------
 */

static int json_val(fill *f, const af_value *v, xlsx_val *out)
{
    memset(out, 0, sizeof *out);
    switch (v ? v->type : AF_NULL) {
    case AF_NULL:
        return 0;
    case AF_BOOL:
        out->kind = XLSX_V_BOOL, out->num = v->u.b;
        return 0;
    case AF_INT:
        out->kind = XLSX_V_NUM, out->num = (double)v->u.i;
        return 0;
    case AF_DOUBLE:
        out->kind = XLSX_V_NUM, out->num = v->u.d;
        return 0;
    case AF_STR:
        out->kind = XLSX_V_STR, out->s = v->u.s.ptr, out->len = v->u.s.len;
        return 0;
    default:
        return tfail(f, "Cannot convert %s to Excel", pyrepr(f->a, v));
    }
}

/* _cast_value(v, dtype) for a JSON value */
static int json_cast(fill *f, const af_value *v, int cast, xlsx_dtype dt, xlsx_val *out)
{
    if (cast == CAST_NONE) return json_val(f, v, out);
    if (cast == CAST_BASIC) {
        const char *s = none(v) ? "" : pystr(f->a, v);
        xlsx_cast_basic(s, strlen(s), out);
        return 0;
    }
    if (none(v)) {
        memset(out, 0, sizeof *out);
        return 0;
    }
    if (v->type == AF_BOOL || v->type == AF_INT || v->type == AF_DOUBLE) return json_val(f, v, out);
    const char *s = pystr(f->a, v);
    xlsx_cast_text(s, strlen(s), dt, out);
    return 0;
}

static int small_target(fill *f, const af_value *t, af_value *written)
{
    af_arena *a = f->a;
    xlsx_book *b = f->b;
    const af_value *rc = get(t, "row_count");
    const af_value *max_rows = get(t, "max_rows"), *max_total = get(t, "max_total_rows");
    int64_t x, y;
    if (!none(max_rows) && !none(rc)) {
        if (pyint(a, rc, &x, f->err, f->errlen) < 0 ||
            pyint(a, max_rows, &y, f->err, f->errlen) < 0)
            return -1;
        if (x > y)
            return tfail(f, "row_count=%s exceed max_rows=%s", pystr(a, rc), pystr(a, max_rows));
    }
    if (!none(max_total) && !none(rc)) {
        if (pyint(a, rc, &x, f->err, f->errlen) < 0 ||
            pyint(a, max_total, &y, f->err, f->errlen) < 0)
            return -1;
        if (x > y)
            return tfail(f, "row_count=%s exceed max_total_rows=%s", pystr(a, rc),
                         pystr(a, max_total));
    }
    layout L;
    read_target_common(f, t, &L);
    if ((L.anchor != NULL) == (L.cell != NULL))
        return tfail(f, "must set exactly one of anchor OR cell");

    const af_value *rows = maybe_json(a, get(t, "rows_json"));
    const af_value *cols =
        none(get(t, "columns_json")) ? NULL : maybe_json(a, get(t, "columns_json"));
    if (rows && rows->type == AF_STR) return tfail(f, "rows_json must be valid JSON");
    if (cols && cols->type == AF_STR) return tfail(f, "columns_json must be valid JSON");
    if (!none(rows) && truthy(rows) && rows->type != AF_LIST)
        return tfail(f, "rows_json must be a JSON array of rows");

    if (resolve_anchor(f->env, b, L.sheet, L.anchor, L.cell, &L.at, f->err, f->errlen) < 0)
        return -1;
    xlsx_sheet *sh = L.at.sh;
    uint32_t c0 = L.at.col;

    const char *insert = choice(a, get(t, "insert"), "replace");
    if (strcmp(insert, "below") && strcmp(insert, "replace"))
        return tfail(f, "invalid insert=%s", insert);
    const char *hmode = choice(a, get(t, "header_mode"), "template");
    if (strcmp(hmode, "template") && strcmp(hmode, "override") && strcmp(hmode, "append"))
        return tfail(f, "invalid header_mode=%s", hmode);
    const char *hstyle = choice(a, get(t, "header_style"), "template");
    if (strcmp(hstyle, "template") && strcmp(hstyle, "style_row"))
        return tfail(f, "invalid header_style=%s", hstyle);

    if (read_layout(f, &L, 0, 0) < 0 || anchor_clear(f, &L) < 0) return -1;

    /* rows and header */
    size_t nrows = truthy(rows) ? rows->u.list.n : 0;
    const af_value ***data = af_alloc(a, (nrows + 1) * sizeof *data);
    size_t *dlen = af_alloc(a, (nrows + 1) * sizeof *dlen);
    for (size_t i = 0; i < nrows; i++) {
        const af_value *r = rows->u.list.items[i];
        if (none(r) || as_list(a, r, &data[i], &dlen[i]) < 0 || r->type == AF_MAP)
            return tfail(f, "rows_json row %zu must be a JSON array, got %s", i + 1, pyrepr(a, r));
    }
    const af_value **header = NULL;
    size_t nheader = 0;
    if (truthy(cols) && as_list(a, cols, &header, &nheader) < 0)
        return tfail(f, "columns_json must be a JSON array");
    if (nheader == 0) header = NULL;

    schema sc;
    if (read_schema(f, t, &sc) < 0) return -1;
    int cast;
    const char *cast_word;
    if (read_cast(f, t, &sc, &cast, &cast_word) < 0) return -1;
    if (cast == CAST_SCHEMA && (!sc.n || !header)) cast = CAST_NONE; /* rows stay as they are */

    xlsx_val **vals = af_alloc(a, (nrows + 1) * sizeof *vals);
    for (size_t i = 0; i < nrows; i++) {
        vals[i] = af_alloc(a, (dlen[i] + 1) * sizeof **vals);
        for (size_t j = 0; j < dlen[i]; j++) {
            xlsx_dtype dt = XLSX_DT_STRING;
            if (cast == CAST_SCHEMA)
                dt = j < nheader ? schema_dtype(&sc, pystr(a, header[j])) : XLSX_DT_STRING;
            if (json_cast(f, data[i][j], cast, dt, &vals[i][j]) < 0) return -1;
        }
    }

    int write_header = (!strcmp(hmode, "override") || !strcmp(hmode, "append")) && header;
    int reserve = L.tmpl_header;
    uint32_t data_start = L.r0 + (write_header || reserve ? 1 : 0);
    size_t nwrite = nrows + (write_header ? 1 : 0);
    size_t width = write_header ? nheader : 0;
    for (size_t i = 0; i < nrows; i++)
        if (dlen[i] > width) width = dlen[i];

    if (!none(max_rows)) {
        if (pyint(a, max_rows, &y, f->err, f->errlen) < 0) return -1;
        if ((int64_t)nrows > y) return tfail(f, "data rows exceed max_rows=%s", pystr(a, max_rows));
    }
    if (!none(max_total)) {
        if (pyint(a, max_total, &y, f->err, f->errlen) < 0) return -1;
        if ((int64_t)nwrite > y)
            return tfail(f, "total rows exceed max_total_rows=%s", pystr(a, max_total));
    }
    const af_value *max_cols = get(t, "max_cols");
    if (!none(max_cols)) {
        if (pyint(a, max_cols, &y, f->err, f->errlen) < 0) return -1;
        if ((int64_t)width > y) return tfail(f, "cols exceed max_cols=%s", pystr(a, max_cols));
    }

    if (!strcmp(insert, "below")) {
        char e[512];
        int rc2 = 0;
        if (reserve) {
            if (nrows > 0) rc2 = xlsx_insert_rows(sh, data_start, (uint32_t)nrows, e, sizeof e);
        } else if (nwrite > 0) {
            rc2 = xlsx_insert_rows(sh, L.r0, (uint32_t)nwrite, e, sizeof e);
        }
        if (rc2 < 0) return tfail(f, "%s", e);
    }

    styling st;
    if (read_styling(f, t, &st) < 0) return -1;
    /* openpyxl's style cache holds the style row's cells themselves, so a
     * copy takes the source cell's style as it is at that moment (a date
     * written into the style row changes what later rows get) */
    int cache = 0;
    int64_t srow = 0;
    if (st.copy && width > 0) {
        srow = L.marker ? (int64_t)L.at.row + st.offset : (int64_t)L.r0 + st.offset;
        if (srow < 1) return fail(f->err, f->errlen, "Row or column values must be at least 1");
        cache = 1;
        for (size_t j = 0; j < width; j++)
            xlsx_cell_touch(sh, (uint32_t)srow, c0 + (uint32_t)j);
    }

    if (write_header) {
        int64_t w = (int64_t)(nheader > width ? nheader : width);
        const af_value *hcw = get(t, "header_clear_width");
        char e[128];
        if (!none(hcw) && pyint(a, hcw, &w, e, sizeof e) < 0)
            w = (int64_t)(nheader > width ? nheader : width);
        int hclear;
        if (flag(f, t, "header_clear", 1, &hclear) < 0) return -1;
        if (hclear && w > 0 && clear_segment(f, sh, L.r0, c0, w) < 0) return -1;
    }

    size_t total = (write_header || reserve ? 1 : 0) + nrows;
    rect r = {sh->title, L.r0, c0, (int64_t)L.r0 + (total ? (int64_t)total - 1 : 0),
              (int64_t)c0 + (width ? (int64_t)width - 1 : 0)};
    if (overlap_check(f, &r) < 0) return -1;

    if (write_header) {
        for (size_t j = 0; j < nheader; j++) {
            xlsx_val hv;
            if (json_val(f, header[j], &hv) < 0) return -1;
            if (set_cell(f, sh, L.r0, c0 + (uint32_t)j, &hv) < 0) return -1;
            if (cache && !strcmp(hstyle, "style_row") && applies(st.apply, "header") && j < width)
                copy_from(b, sh, (uint32_t)srow, L.r0, c0 + (uint32_t)j);
        }
    }
    for (size_t i = 0; i < nrows; i++) {
        if (f->env->cancelled && f->env->cancelled(f->env->ud)) return tfail(f, "cancelled");
        uint32_t row = data_start + (uint32_t)i;
        for (size_t j = 0; j < dlen[i]; j++) {
            uint32_t col = c0 + (uint32_t)j;
            if (set_cell(f, sh, row, col, &vals[i][j]) < 0) return -1;
            if (cache && applies(st.apply, "data") && j < width)
                copy_from(b, sh, (uint32_t)srow, row, col);
        }
    }
    if (cache && st.clear && clear_segment(f, sh, (uint32_t)srow, c0, (int64_t)width) < 0)
        return -1;

    af_value *w = af_map(a);
    af_map_set(a, w, "name", af_str(a, f->name));
    af_map_set(a, w, "sheet", af_str(a, sh->title));
    af_map_set(a, w, "rows", af_int(a, (int64_t)total));
    af_map_set(a, w, "cols", af_int(a, (int64_t)width));
    af_map_set(a, w, "insert", af_str(a, insert));
    af_map_set(a, w, "header_mode", af_str(a, hmode));
    af_map_set(a, w, "header_style", af_str(a, hstyle));
    af_map_set(a, w, "type_cast", af_str(a, cast_word));
    af_map_set(a, w, "style_mode", af_str(a, st.mode));
    af_map_set(a, w, "start_cell", start_cell(a, L.r0, c0));
    af_map_set(a, w, "template_has_header", af_bool(L.tmpl_header));
    af_list_push(a, written, w);
    return 0;
}

static int run_targets(fill *f, const af_value *targets, af_value **written,
                       int (*one)(fill *, const af_value *, af_value *))
{
    af_value *out = af_list(f->a);
    size_t n = truthy(targets) && targets->type == AF_LIST ? targets->u.list.n : 0;
    if (truthy(targets) && targets->type != AF_LIST)
        return fail(f->err, f->errlen, "%s: targets must be a list of target objects", f->step);
    for (size_t i = 0; i < n; i++) {
        const af_value *t = targets->u.list.items[i];
        if (!t || t->type != AF_MAP)
            return fail(f->err, f->errlen, "%s: targets[%zu] must be an object", f->step, i);
        const af_value *nm = get(t, "name");
        f->name = truthy(nm) ? pystr(f->a, nm) : "target";
        if (one(f, t, out) < 0) return -1;
    }
    *written = out;
    return 0;
}

int xlsx_fill_small(xlsx_env *env, xlsx_book *b, const af_value *targets, af_value **written,
                    char *err, size_t errlen)
{
    fill f = {.env = env,
              .b = b,
              .a = env->arena,
              .step = "excel_fill_small",
              .err = err,
              .errlen = errlen};
    return run_targets(&f, targets, written, small_target);
}

/* ---- excel_fill_from_file: reading the source ---------------------------------------------- */

/* _file_opt: a key at the target's top level, else in its `file:` map */
static const af_value *file_opt(const af_value *t, const char *k)
{
    const af_value *v = get(t, k);
    if (!none(v)) return v;
    const af_value *fd = get(t, "file");
    if (fd && fd->type == AF_MAP) {
        v = get(fd, k);
        if (!none(v)) return v;
    }
    return NULL;
}

typedef struct src {
    const char *path;
    const char *fmt;
    const char *encoding;
    af_csv_dialect d;
    int quoting_any; /* the raw quoting value, for counting (ints allowed there) */
    int fd;
    af_csv_reader *r;
} src;

/* One CSV field as Python's reader gives it: a str, or a float under
 * QUOTE_NONNUMERIC. */
typedef struct fld {
    const char *s;
    size_t len;
    int num;
    double d;
} fld;

static int src_errno(fill *f, const char *path)
{
    return fail(f->err, f->errlen, "[Errno %d] %s: %s", errno, strerror(errno),
                repr_str(f->a, path));
}

static int src_open(fill *f, src *s)
{
    s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) return src_errno(f, s->path);
    char e[512];
    s->r = af_csv_reader_fd(&s->d, s->encoding, s->fd, e, sizeof e);
    if (!s->r) {
        close(s->fd);
        s->fd = -1;
        return tfail(f, "%s", e);
    }
    return 0;
}

static void src_close(src *s)
{
    if (s->r) af_csv_reader_free(s->r);
    if (s->fd >= 0) close(s->fd);
    s->r = NULL;
    s->fd = -1;
}

/* Next record: 1 with fields, 0 at the end, -1 (bad CSV) */
static int src_next(fill *f, src *s, fld **out, size_t *n, size_t *cap)
{
    const af_csv_field *cf;
    size_t cn;
    char e[512];
    int rc = af_csv_read(s->r, &cf, &cn, e, sizeof e);
    if (rc < 0) return tfail(f, "%s: %s", s->path, e);
    if (rc == 0) return 0;
    if (cn > *cap) {
        *cap = cn * 2;
        *out = realloc(*out, *cap * sizeof **out);
        if (!*out) abort();
    }
    for (size_t i = 0; i < cn; i++) {
        fld *x = &(*out)[i];
        x->s = cf[i].s;
        x->len = cf[i].len;
        x->num = 0;
        if (cf[i].flags & AF_CSV_NUMERIC) {
            if (af_csv_float(cf[i].s, cf[i].len, &x->d, e, sizeof e) < 0)
                return tfail(f, "%s: line %lld: %s", s->path, (long long)af_csv_line_num(s->r), e);
            x->num = 1;
        }
    }
    *n = cn;
    return 1;
}

static const char *fld_str(af_arena *a, const fld *x)
{
    if (!x->num) return x->s;
    af_buf b = {0};
    af_py_float(&b, x->d);
    const char *s = af_strndup(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return s;
}

static void fld_val(const fld *x, xlsx_val *v)
{
    memset(v, 0, sizeof *v);
    if (x->num) {
        v->kind = XLSX_V_NUM;
        v->num = x->d;
    } else {
        v->kind = XLSX_V_STR;
        v->s = x->s;
        v->len = x->len;
    }
}

/* fast_count_rows, count_mode fast: linefeed sequences in the bytes */
static int count_fast(fill *f, src *s, const char *linefeed, int64_t *out)
{
    char enc[64];
    snprintf(enc, sizeof enc, "%s", lower(f->a, s->encoding));
    for (char *p = enc; *p; p++)
        if (*p == '_') *p = '-';
    if (!strncmp(enc, "utf-16", 6) || !strncmp(enc, "utf-32", 6))
        return fail(f->err, f->errlen,
                    "fast row counting does not support utf-16/utf-32; use count_mode=csv_parse");
    size_t nl = strlen(linefeed);
    if (nl == 0) return fail(f->err, f->errlen, "linefeed must be non-empty");
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return src_errno(f, s->path);
    int64_t n = 0;
    char buf[1 << 16];
    char tail[64];
    size_t tl = 0;
    uint64_t size = 0;
    char last[64];
    size_t lastn = 0;
    for (;;) {
        ssize_t k = read(fd, buf, sizeof buf);
        if (k < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return src_errno(f, s->path);
        }
        if (k == 0) break;
        size += (uint64_t)k;
        /* occurrences in tail + chunk, as the reference counts them */
        size_t tot = tl + (size_t)k;
        char *w = malloc(tot);
        if (!w) abort();
        memcpy(w, tail, tl);
        memcpy(w + tl, buf, (size_t)k);
        for (size_t i = 0; i + nl <= tot;) {
            if (!memcmp(w + i, linefeed, nl)) {
                n++;
                i += nl;
            } else {
                i++;
            }
        }
        tl = nl > 1 ? (tot < nl - 1 ? tot : nl - 1) : 0;
        if (nl > 1 && nl - 1 <= sizeof tail) memcpy(tail, w + tot - tl, tl);
        /* the file's last bytes */
        size_t keep = tot < sizeof last ? tot : sizeof last;
        memcpy(last, w + tot - keep, keep);
        lastn = keep;
        free(w);
    }
    close(fd);
    if (size > 0) {
        size_t tlen = nl < size ? nl : (size_t)size;
        int ends = lastn >= tlen && tlen == nl && !memcmp(last + lastn - nl, linefeed, nl);
        if (!ends) n++;
    }
    *out = n;
    return 0;
}

/* count_mode csv_parse: records as the reader sees them */
static int count_parse(fill *f, src *s, int64_t *out)
{
    src c = *s;
    c.r = NULL;
    c.fd = -1;
    if (s->quoting_any >= 0) c.d.quoting = (af_csv_quoting)s->quoting_any;
    if (src_open(f, &c) < 0) return -1;
    int64_t n = 0;
    const af_csv_field *cf;
    size_t cn;
    char e[512];
    int rc;
    while ((rc = af_csv_read(c.r, &cf, &cn, e, sizeof e)) > 0)
        n++;
    src_close(&c);
    if (rc < 0) return tfail(f, "%s: %s", s->path, e);
    *out = n;
    return 0;
}

static int read_char_opt(fill *f, const char *name, const af_value *v, const char *def,
                         int allow_unset, uint32_t *cp)
{
    char e[256];
    const char *s = v ? pystr(f->a, v) : def;
    if (af_csv_char(name, s, allow_unset, cp, e, sizeof e) < 0) return tfail(f, "%s", e);
    return 0;
}

/* ---- excel_fill_from_file: a target -----------------------------------------------------------
 */

static int file_target(fill *f, const af_value *t, af_value *written)
{
    af_arena *a = f->a;
    xlsx_book *b = f->b;
    xlsx_env *env = f->env;
    src s = {.fd = -1, .quoting_any = -1};

    const af_value *sp = get(t, "source_path");
    if (none(sp)) return tfail(f, "source_path is required");
    s.path = pystr(a, sp);
    if (env->resolve) {
        char e[1024];
        if (env->resolve(env->ud, "source_path", s.path, &s.path, e, sizeof e) < 0)
            return tfail(f, "%s", e);
    }
    const af_value *sf = get(t, "source_format");
    const char *fmt;
    if (truthy(sf)) {
        fmt = pystr(a, sf);
    } else {
        const char *base = strrchr(s.path, '/');
        base = base ? base + 1 : s.path;
        const char *dot = strrchr(base, '.');
        fmt = dot && dot != base && dot[1] ? dot + 1 : "tsv";
    }
    fmt = lower(a, fmt);
    s.fmt = fmt;
    const char *mode = choice(a, get(t, "mode"), "data_sheet");
    if (strcmp(mode, "data_sheet") && strcmp(mode, "report_region"))
        return tfail(f, "invalid mode=%s", mode);
    int report = !strcmp(mode, "report_region");

    int read_header;
    const char *hmode;
    if (has(t, "include_header")) { /* legacy spelling */
        if (flag(f, t, "include_header", 0, &read_header) < 0) return -1;
        hmode = read_header ? "append" : "template";
    } else {
        if (flag(f, t, "read_header", 1, &read_header) < 0) return -1;
        hmode = choice(a, get(t, "header_mode"), report ? "template" : "append");
    }
    /* the other flags now, before anything needs cleaning up */
    int fail_on, hclear, freeze, autofilter, bold;
    if (flag(f, t, "fail_on_threshold", 1, &fail_on) < 0 ||
        flag(f, t, "header_clear", 1, &hclear) < 0 || flag(f, t, "freeze_panes", 1, &freeze) < 0 ||
        flag(f, t, "autofilter", 1, &autofilter) < 0 || flag(f, t, "header_bold", 1, &bold) < 0)
        return -1;
    if (strcmp(hmode, "template") && strcmp(hmode, "override") && strcmp(hmode, "append"))
        return tfail(f, "invalid header_mode=%s", hmode);
    const char *hstyle = choice(a, get(t, "header_style"), "template");
    if (strcmp(hstyle, "template") && strcmp(hstyle, "style_row"))
        return tfail(f, "invalid header_style=%s", hstyle);

    /* file read options */
    const af_value *ev = file_opt(t, "encoding");
    s.encoding = ev ? pystr(a, ev) : "utf-8";
    af_csv_dialect_init(&s.d);
    const af_value *dv = file_opt(t, "delimiter");
    const char *delim = dv ? pystr(a, dv) : !strcmp(fmt, "tsv") ? "\t" : ",";
    if (read_char_opt(f, "delimiter", NULL, delim, 0, &s.d.delimiter) < 0) return -1;
    if (read_char_opt(f, "quotechar", file_opt(t, "quotechar"), "\"", 1, &s.d.quotechar) < 0)
        return -1;
    if (read_char_opt(f, "escapechar", file_opt(t, "escapechar"), NULL, 1, &s.d.escapechar) < 0)
        return -1;
    const af_value *dq = file_opt(t, "doublequote");
    s.d.doublequote = 1;
    if (dq && af_to_bool(dq, &s.d.doublequote) < 0)
        return tfail(f, "doublequote must be a boolean (true or false), not %s", pyrepr(a, dq));
    const af_value *qv = file_opt(t, "quoting");
    int q = qv ? af_csv_quoting_parse(pystr(a, qv)) : AF_CSV_QUOTE_MINIMAL;
    s.d.quoting = q < 0 ? AF_CSV_QUOTE_MINIMAL : (af_csv_quoting)q;
    if (qv && (qv->type == AF_INT || qv->type == AF_BOOL)) {
        /* counting takes csv.QUOTE_* numbers too */
        int64_t qi = qv->type == AF_INT ? qv->u.i : qv->u.b;
        if (qi >= 0 && qi <= 3) s.quoting_any = (int)qi;
    }
    const af_value *lf = file_opt(t, "linefeed");
    const char *linefeed = lf ? pystr(a, lf) : "\n";
    const af_value *cm = get(t, "count_mode");
    const char *count_mode = lower(a, cm ? pystr(a, cm) : "fast");
    char e[512];
    if (af_csv_dialect_check(&s.d, e, sizeof e) < 0) return tfail(f, "%s", e);

    const af_value *prc = get(t, "row_count");
    int64_t provided = -1;
    if (prc && prc->type == AF_STR) {
        size_t i0 = 0, i1 = prc->u.s.len;
        const char *ps = prc->u.s.ptr;
        while (i0 < i1 && (ps[i0] == ' ' || (ps[i0] >= 9 && ps[i0] <= 13)))
            i0++;
        while (i1 > i0 && (ps[i1 - 1] == ' ' || (ps[i1 - 1] >= 9 && ps[i1 - 1] <= 13)))
            i1--;
        int dig = i1 > i0;
        for (size_t i = i0; i < i1; i++)
            if (ps[i] < '0' || ps[i] > '9') dig = 0;
        if (dig) provided = strtoll(ps + i0, NULL, 10);
    } else if (prc && (prc->type == AF_INT || prc->type == AF_DOUBLE || prc->type == AF_BOOL)) {
        if (pyint(a, prc, &provided, f->err, f->errlen) < 0) return -1;
    }
    int64_t threshold = env->rows_threshold;
    if (has(t, "rows_threshold") &&
        pyint(a, get(t, "rows_threshold"), &threshold, f->err, f->errlen) < 0)
        return -1;

    schema sc;
    if (read_schema(f, t, &sc) < 0) return -1;
    int cast;
    const char *cast_word;
    if (read_cast(f, t, &sc, &cast, &cast_word) < 0) return -1;
    const af_value *pc = maybe_json(a, get(t, "columns"));
    if (!truthy(pc)) pc = maybe_json(a, get(t, "columns_json"));
    if (!none(pc) && pc->type != AF_LIST) return tfail(f, "columns must be a list");

    /* the sheet */
    layout L;
    read_target_common(f, t, &L);
    if (!report) {
        const af_value *pv = get(t, "data_sheet_prefix");
        const char *prefix = truthy(pv) ? pystr(a, pv) : "DATA_";
        if (!L.sheet) L.sheet = af_sprintf(a, "%s%s", prefix, f->name);
        int exists = 0;
        for (size_t i = 0; i < xlsx_nsheets(b); i++)
            if (!strcmp(xlsx_sheet_name_at(b, i), L.sheet)) exists = 1;
        if (!exists && !xlsx_sheet_add(b, L.sheet, f->err, f->errlen)) return -1;
        if (!L.anchor && !L.cell) L.cell = "A1";
    }
    if ((L.anchor || L.cell) && (L.anchor != NULL) == (L.cell != NULL))
        return tfail(f, "must set exactly one of anchor OR cell");
    if (strcmp(fmt, "csv") && strcmp(fmt, "tsv")) {
        if (!strcmp(fmt, "parquet"))
            return tfail(f,
                         "source_format parquet is not supported; export the data as csv or tsv");
        return fail(f->err, f->errlen, "Unsupported source_format: %s", fmt);
    }

    if (resolve_anchor(env, b, L.sheet, L.anchor, L.cell, &L.at, f->err, f->errlen) < 0) return -1;
    xlsx_sheet *sh = L.at.sh;
    uint32_t c0 = L.at.col;

    const char *insert = choice(a, get(t, "insert"), report ? "below" : "replace");
    if (strcmp(insert, "below") && strcmp(insert, "replace"))
        return tfail(f, "invalid insert=%s", insert);
    if (read_layout(f, &L, 1, report) < 0 || anchor_clear(f, &L) < 0) return -1;
    styling st;
    if (read_styling(f, t, &st) < 0) return -1;

    int rc = -1;
    fld *row = NULL;
    size_t nrow = 0, caprow = 0;
    fld *hdr = NULL;
    size_t nhdr = 0;
    int have_header = 0;
    const char **columns = NULL;
    size_t ncolumns = 0;
    xlsx_dtype *coltype = NULL;
    xlsx_val *vals = NULL;
    size_t capvals = 0;
    if (src_open(f, &s) < 0) goto done;
    if (read_header) {
        int r = src_next(f, &s, &row, &nrow, &caprow);
        if (r < 0) goto done;
        if (r > 0) {
            have_header = 1;
            nhdr = nrow;
            hdr = af_alloc(a, (nhdr + 1) * sizeof *hdr);
            for (size_t j = 0; j < nhdr; j++) {
                hdr[j] = row[j];
                hdr[j].s = af_strndup(a, row[j].s, row[j].len);
            }
            ncolumns = nhdr;
            columns = af_alloc(a, (ncolumns + 1) * sizeof *columns);
            for (size_t j = 0; j < nhdr; j++)
                columns[j] = fld_str(a, &hdr[j]);
        }
    }
    if (!have_header && truthy(pc)) {
        ncolumns = pc->u.list.n;
        columns = af_alloc(a, (ncolumns + 1) * sizeof *columns);
        for (size_t j = 0; j < ncolumns; j++)
            columns[j] = pystr(a, pc->u.list.items[j]);
    }
    if (cast == CAST_SCHEMA && sc.n && !ncolumns) cast = CAST_NONE;
    if (cast == CAST_SCHEMA && !sc.n) cast = CAST_NONE; /* nothing to cast by */
    coltype = af_alloc(a, (ncolumns + 1) * sizeof *coltype);
    for (size_t j = 0; j < ncolumns; j++)
        coltype[j] = schema_dtype(&sc, columns[j]);

    int write_header = (!strcmp(hmode, "override") || !strcmp(hmode, "append")) && have_header;
    int reserve = L.tmpl_header;
    uint32_t data_start = L.r0 + (write_header || reserve ? 1 : 0);

    int64_t nrows_data = 0;
    if (report) {
        if (provided >= 0) {
            nrows_data = provided;
        } else {
            if (!strcmp(count_mode, "fast")) {
                if (count_fast(f, &s, linefeed, &nrows_data) < 0) goto done;
            } else if (!strcmp(count_mode, "csv_parse")) {
                if (count_parse(f, &s, &nrows_data) < 0) goto done;
            } else {
                fail(f->err, f->errlen, "Unsupported count_mode for CSV/TSV: %s", count_mode);
                goto done;
            }
            if (read_header && nrows_data > 0) nrows_data--;
        }
        if (fail_on && nrows_data > threshold) {
            fail(f->err, f->errlen,
                 "excel_fill_from_file target=%s: row_count=%lld exceeds rows_threshold=%lld. Use "
                 "mode=data_sheet (DATA_*) instead of report_region, or raise rows_threshold.",
                 f->name, (long long)nrows_data, (long long)threshold);
            goto done;
        }
    }
    if (report && !strcmp(insert, "below")) {
        int r2 = 0;
        if (reserve) {
            if (nrows_data > 0)
                r2 = xlsx_insert_rows(
                    sh, data_start,
                    (uint32_t)(nrows_data > XLSX_MAX_ROW ? XLSX_MAX_ROW : nrows_data), e, sizeof e);
        } else {
            int64_t tot = nrows_data + (write_header ? 1 : 0);
            if (tot > 0)
                r2 = xlsx_insert_rows(sh, L.r0, (uint32_t)(tot > XLSX_MAX_ROW ? XLSX_MAX_ROW : tot),
                                      e, sizeof e);
        }
        if (r2 < 0) {
            tfail(f, "%s", e);
            goto done;
        }
    }
    if (write_header) {
        int64_t w = (int64_t)nhdr;
        const af_value *hcw = get(t, "header_clear_width");
        char e2[128];
        if (!none(hcw) && pyint(a, hcw, &w, e2, sizeof e2) < 0) w = (int64_t)nhdr;
        if (hclear && w > 0 && clear_segment(f, sh, L.r0, c0, w) < 0) goto done;
    }
    int64_t rows_written = 0;
    uint32_t width = 0;
    if (write_header) {
        for (size_t j = 0; j < nhdr; j++) {
            xlsx_val hv;
            fld_val(&hdr[j], &hv);
            if (set_cell(f, sh, L.r0, c0 + (uint32_t)j, &hv) < 0) goto done;
        }
        width = (uint32_t)nhdr;
        rows_written++;
    }

    /* data rows stream into a block */
    int64_t srow = 0;
    if (st.copy) srow = L.marker ? (int64_t)L.at.row + st.offset : (int64_t)L.r0 + st.offset;
    xlsx_block *bk = xlsx_block_begin(sh, data_start, c0, env->tmpdir, e, sizeof e);
    if (!bk) {
        tfail(f, "%s", e);
        goto done;
    }
    if (st.copy && srow >= data_start) xlsx_block_watch_row(bk, (uint64_t)(srow - data_start));
    int64_t ndata = 0;
    for (;;) {
        int r = src_next(f, &s, &row, &nrow, &caprow);
        if (r < 0) goto done;
        if (r == 0) break;
        if ((ndata & 1023) == 0 && env->cancelled && env->cancelled(env->ud)) {
            tfail(f, "cancelled");
            goto done;
        }
        if (nrow > capvals) {
            capvals = nrow * 2;
            vals = realloc(vals, capvals * sizeof *vals);
            if (!vals) abort();
        }
        for (size_t j = 0; j < nrow; j++) {
            const fld *x = &row[j];
            xlsx_val *v = &vals[j];
            if (cast == CAST_NONE || (cast == CAST_SCHEMA && x->num)) {
                fld_val(x, v);
            } else if (cast == CAST_BASIC && x->num) {
                /* str(float) goes back through float() unchanged, except
                 * inf and nan, whose str has no '.' or 'e': they stay text */
                fld_val(x, v);
                if (isnan(x->d) || isinf(x->d)) {
                    v->kind = XLSX_V_STR;
                    v->s = isnan(x->d) ? "nan" : x->d > 0 ? "inf" : "-inf";
                    v->len = strlen(v->s);
                }
            } else if (cast == CAST_BASIC) {
                xlsx_cast_basic(x->s, x->len, v);
            } else {
                xlsx_cast_text(x->s, x->len, j < ncolumns ? coltype[j] : XLSX_DT_STRING, v);
            }
        }
        if (xlsx_block_row(bk, vals, nrow, e, sizeof e) < 0) {
            tfail(f, "%s: data row %lld: %s", s.path, (long long)ndata + 1, e);
            goto done;
        }
        if (nrow > width) width = (uint32_t)nrow;
        ndata++;
    }
    rows_written += ndata;

    if (st.copy && width > 0) {
        if (srow < 1) {
            fail(f->err, f->errlen, "Row or column values must be at least 1");
            goto done;
        }
        uint32_t *cache = af_alloc(a, width * sizeof *cache);
        for (uint32_t j = 0; j < width; j++) {
            cache[j] = xlsx_block_style_at(bk, (uint32_t)srow, c0 + j);
            xlsx_cell_touch(sh, (uint32_t)srow, c0 + j);
        }
        if (rows_written > 0) {
            if (write_header && !strcmp(hstyle, "style_row") && applies(st.apply, "header"))
                for (uint32_t j = 0; j < width; j++)
                    xlsx_cell_set_style(
                        sh, L.r0, c0 + j,
                        xlsx_style_copy(b, cache[j], xlsx_cell_style(sh, L.r0, c0 + j)));
            if (ndata > 0 && applies(st.apply, "data")) xlsx_block_copy_styles(bk, cache, width);
            if (st.clear && clear_segment(f, sh, (uint32_t)srow, c0, width) < 0) goto done;
        }
    }

    int64_t total = (write_header || reserve ? 1 : 0) + ndata;
    if (!(!report && !strcmp(insert, "replace"))) {
        rect r = {sh->title, L.r0, c0, (int64_t)L.r0 + (total ? total - 1 : 0),
                  (int64_t)c0 + (width ? (int64_t)width - 1 : 0)};
        if (overlap_check(f, &r) < 0) goto done;
    }
    if (!report) {
        if (freeze) {
            uint32_t fr = L.r0 + (write_header ? 1 : 0);
            xlsx_cell_touch(sh, fr, c0);
            xlsx_sheet_freeze(sh, fr, c0);
        }
        if (autofilter && rows_written > 0 && width > 0 && write_header)
            xlsx_sheet_autofilter(sh, L.r0, c0, (uint32_t)(L.r0 + rows_written - 1),
                                  c0 + width - 1);
        if (bold && write_header)
            for (uint32_t j = 0; j < width; j++)
                xlsx_cell_set_style(sh, L.r0, c0 + j,
                                    xlsx_style_bold(b, xlsx_cell_style(sh, L.r0, c0 + j)));
    }

    af_value *w = af_map(a);
    af_map_set(a, w, "name", af_str(a, f->name));
    af_map_set(a, w, "sheet", af_str(a, sh->title));
    af_map_set(a, w, "rows", af_int(a, total));
    af_map_set(a, w, "cols", af_int(a, width));
    af_map_set(a, w, "mode", af_str(a, mode));
    af_map_set(a, w, "insert", af_str(a, insert));
    af_map_set(a, w, "header_mode", af_str(a, hmode));
    af_map_set(a, w, "header_style", af_str(a, hstyle));
    af_map_set(a, w, "style_mode", af_str(a, st.mode));
    af_map_set(a, w, "start_cell", start_cell(a, L.r0, c0));
    af_map_set(a, w, "template_has_header", af_bool(L.tmpl_header));
    af_list_push(a, written, w);
    rc = 0;
done:
    src_close(&s);
    free(row);
    free(vals);
    return rc;
}

int xlsx_fill_from_file(xlsx_env *env, xlsx_book *b, const af_value *targets, af_value **written,
                        char *err, size_t errlen)
{
    fill f = {.env = env,
              .b = b,
              .a = env->arena,
              .step = "excel_fill_from_file",
              .err = err,
              .errlen = errlen};
    return run_targets(&f, targets, written, file_target);
}
