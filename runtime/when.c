/*
 * when.c - the helpers compiled `when` functions call: read a job's result
 * and compare values with Python's rules (the reference evaluates `when`
 * with Python's eval over SimpleNamespace objects).
 */
#include "af_int.h"
#include "af_when.h"

#include <math.h>
#include <string.h>

static const af_value *werr(af_when *w, af_loc loc, const char *fmt, ...) AF_PRINTF(3, 4);

static const af_value *werr(af_when *w, af_loc loc, const char *fmt, ...)
{
    if (w->error.len) return NULL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = af_vsprintf(w->run->arena, fmt, ap);
    va_end(ap);
    if (loc.file)
        af_buf_printf(&w->error, "%s:%d:%d: %s", loc.file, loc.line, loc.col, msg);
    else
        af_buf_puts(&w->error, msg);
    return NULL;
}

const af_value *af_when_job(af_when *w, const char *job_id, const char *const *attrs,
                            unsigned nattrs, af_loc loc)
{
    const af_value *cur = af_map_get(w->run->jobs, job_id);
    if (!cur)
        return werr(w, loc, "job '%s' has no result in this run (it did not run before job '%s')",
                    job_id, w->job_id);
    af_buf path = {0};
    af_buf_printf(&path, "jobs.%s", job_id);
    for (unsigned i = 0; i < nattrs; i++) {
        af_buf_printf(&path, ".%s", attrs[i]);
        const af_value *next = cur->type == AF_MAP ? af_map_get(cur, attrs[i]) : NULL;
        if (!next) {
            const af_value *st = af_map_get(af_map_get(w->run->jobs, job_id), "status");
            werr(w, loc, "%s does not exist (job '%s' ended %s%s)", af_buf_cstr(&path), job_id,
                 st ? st->u.s.ptr : "?",
                 i == 1 && !strcmp(attrs[0], "outputs") ? " without that output" : "");
            af_buf_free(&path);
            return NULL;
        }
        cur = next;
    }
    af_buf_free(&path);
    return cur;
}

int af_when_truthy(const af_value *v)
{
    /* the reference wraps every mapping in SimpleNamespace before eval, and a
     * SimpleNamespace has no __bool__ or __len__ */
    return v->type == AF_MAP ? 1 : af_truthy(v);
}

const af_value *af_when_const(af_when *w, const af_cval *cv)
{
    return af_cval_literal(w->run->arena, cv);
}

static const char *py_type(const af_value *v)
{
    switch (v->type) {
    case AF_NULL: return "NoneType";
    case AF_BOOL: return "bool";
    case AF_INT: return "int";
    case AF_DOUBLE: return "float";
    case AF_STR: return "str";
    case AF_LIST: return "list";
    case AF_MAP: return "types.SimpleNamespace";
    }
    return "?";
}

static int is_num(const af_value *v)
{
    return v->type == AF_BOOL || v->type == AF_INT || v->type == AF_DOUBLE;
}

/* Python ordering: returns 1/0 for op, or -1 when the types do not order. */
static int order(int op, const af_value *x, const af_value *y)
{
    if (is_num(x) && is_num(y)) {
        int c = af__num_cmp(x, y);
        if (c == 2) return 0; /* NaN: every ordering is false */
        switch (op) {
        case AF_CMP_LT: return c < 0;
        case AF_CMP_LE: return c <= 0;
        case AF_CMP_GT: return c > 0;
        default: return c >= 0;
        }
    }
    if (x->type == AF_STR && y->type == AF_STR) {
        size_t n = x->u.s.len < y->u.s.len ? x->u.s.len : y->u.s.len;
        int c = memcmp(x->u.s.ptr, y->u.s.ptr, n); /* UTF-8 byte order is code point order */
        if (c == 0) c = x->u.s.len < y->u.s.len ? -1 : x->u.s.len > y->u.s.len;
        switch (op) {
        case AF_CMP_LT: return c < 0;
        case AF_CMP_LE: return c <= 0;
        case AF_CMP_GT: return c > 0;
        default: return c >= 0;
        }
    }
    if (x->type == AF_LIST && y->type == AF_LIST) {
        size_t n = x->u.list.n < y->u.list.n ? x->u.list.n : y->u.list.n;
        for (size_t i = 0; i < n; i++) {
            const af_value *a = x->u.list.items[i], *b = y->u.list.items[i];
            if (!af_value_equal(a, b)) return order(op, a, b);
        }
        size_t a = x->u.list.n, b = y->u.list.n;
        switch (op) {
        case AF_CMP_LT: return a < b;
        case AF_CMP_LE: return a <= b;
        case AF_CMP_GT: return a > b;
        default: return a >= b;
        }
    }
    return -1;
}

const af_value *af_when_cmp(af_when *w, int op, const af_value *x, const af_value *y, af_loc loc)
{
    static const char *const names[] = {"==", "!=", "<", "<=", ">", ">="};
    if (op == AF_CMP_EQ) return af_bool(af_value_equal(x, y));
    if (op == AF_CMP_NE) return af_bool(!af_value_equal(x, y));
    int r = order(op, x, y);
    if (r < 0)
        return werr(w, loc, "'%s' not supported between instances of '%s' and '%s'", names[op],
                    py_type(x), py_type(y));
    return af_bool(r);
}
