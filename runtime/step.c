/*
 * step.c - the step context: what a step's run function sees (af.h "Step
 * context"). Inputs with Python-like coercion, the output map, failure and
 * skip, workspace paths, logging, locks and nested steps. The executor
 * (exec.c) creates one af_step per call and owns it.
 */
#include "af_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- coercions (shared with afc's literal checks) ------------------------------- */

static const char *skip_space(const char *s)
{
    while (*s == ' ' || (*s >= '\t' && *s <= '\r')) s++;
    return s;
}

/* Python int(str): optional sign, digits with single underscores between
 * them, surrounding whitespace. */
static int parse_py_int(const char *s, int64_t *out)
{
    s = skip_space(s);
    int neg = 0;
    if (*s == '+' || *s == '-') neg = *s++ == '-';
    if (!(*s >= '0' && *s <= '9')) return -1;
    uint64_t v = 0;
    int prev_us = 0;
    for (; *s; s++) {
        if (*s == '_') {
            if (prev_us) return -1;
            prev_us = 1;
            continue;
        }
        if (!(*s >= '0' && *s <= '9')) break;
        prev_us = 0;
        uint64_t nv = v * 10 + (uint64_t)(*s - '0');
        if (nv / 10 != v || nv > (uint64_t)INT64_MAX + (uint64_t)neg) return -1;
        v = nv;
    }
    if (prev_us) return -1;
    if (*skip_space(s)) return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int af_to_int(const af_value *v, int64_t *out)
{
    switch (v->type) {
    case AF_INT:
        *out = v->u.i;
        return 0;
    case AF_BOOL:
        *out = v->u.b;
        return 0;
    case AF_DOUBLE:
        if (!isfinite(v->u.d) || fabs(v->u.d) >= 9.2e18) return -1;
        *out = (int64_t)v->u.d; /* int() truncates toward zero */
        return 0;
    case AF_STR:
        return parse_py_int(v->u.s.ptr, out);
    default:
        return -1;
    }
}

int af_to_double(const af_value *v, double *out)
{
    switch (v->type) {
    case AF_INT:
        *out = (double)v->u.i;
        return 0;
    case AF_BOOL:
        *out = v->u.b;
        return 0;
    case AF_DOUBLE:
        *out = v->u.d;
        return 0;
    case AF_STR: {
        const char *s = skip_space(v->u.s.ptr);
        if (!*s) return -1;
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (end == s || *skip_space(end)) return -1;
        *out = d;
        return 0;
    }
    default:
        return -1;
    }
}

int af_to_bool(const af_value *v, int *out)
{
    switch (v->type) {
    case AF_BOOL:
        *out = v->u.b;
        return 0;
    case AF_INT:
        *out = v->u.i != 0;
        return 0;
    case AF_DOUBLE:
        *out = v->u.d != 0;
        return 0;
    case AF_NULL:
        *out = 0;
        return 0;
    case AF_STR: {
        static const char *const t[] = {"true", "yes", "on", "1", "y", NULL};
        static const char *const f[] = {"false", "no", "off", "0", "n", "", NULL};
        const char *s = skip_space(v->u.s.ptr);
        size_t n = strlen(s);
        while (n && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r'))) n--;
        for (int i = 0; t[i]; i++)
            if (strlen(t[i]) == n && !strncasecmp(s, t[i], n)) return *out = 1, 0;
        for (int i = 0; f[i]; i++)
            if (strlen(f[i]) == n && !strncasecmp(s, f[i], n)) return *out = 0, 0;
        return -1;
    }
    default:
        return -1;
    }
}

/* ---- inputs -------------------------------------------------------------------------- */

af_arena *af_arena_of(af_step *s)
{
    return s->arena;
}

const af_value *af_inputs(af_step *s)
{
    return s->inputs;
}

const af_value *af_in(af_step *s, const char *name)
{
    return af_map_get(s->inputs, name);
}

static void describe(af_buf *b, const af_value *v)
{
    af_buf_printf(b, "%s", af_type_name(v->type));
    if (v->type == AF_STR || v->type == AF_INT || v->type == AF_DOUBLE || v->type == AF_BOOL) {
        af_buf tmp = {0};
        af_py_repr(&tmp, v);
        af_buf_printf(b, " %.60s%s", af_buf_cstr(&tmp), tmp.len > 60 ? "..." : "");
        af_buf_free(&tmp);
    }
}

static int bad_input(af_step *s, const char *name, const char *want, const af_value *v)
{
    af_buf b = {0};
    describe(&b, v);
    af_fail(s, "input '%s' must be %s, not %s", name, want, af_buf_cstr(&b));
    af_buf_free(&b);
    return -1;
}

int af_in_str(af_step *s, const char *name, const char *def, const char **out)
{
    const af_value *v = af_in(s, name);
    if (!v || v->type == AF_NULL) {
        *out = def;
        return 0;
    }
    if (v->type == AF_STR) {
        *out = v->u.s.ptr;
        return 0;
    }
    if (v->type == AF_LIST || v->type == AF_MAP) return bad_input(s, name, "a string", v);
    af_buf b = {0};
    af_py_str(&b, v); /* str(x) of a scalar, as the reference does */
    *out = af_strndup(s->arena, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return 0;
}

int af_in_int(af_step *s, const char *name, int64_t def, int64_t *out)
{
    const af_value *v = af_in(s, name);
    if (!v || v->type == AF_NULL) {
        *out = def;
        return 0;
    }
    if (af_to_int(v, out) < 0) return bad_input(s, name, "an integer", v);
    return 0;
}

int af_in_double(af_step *s, const char *name, double def, double *out)
{
    const af_value *v = af_in(s, name);
    if (!v || v->type == AF_NULL) {
        *out = def;
        return 0;
    }
    if (af_to_double(v, out) < 0) return bad_input(s, name, "a number", v);
    return 0;
}

int af_in_bool(af_step *s, const char *name, int def, int *out)
{
    const af_value *v = af_in(s, name);
    if (!v) {
        *out = def;
        return 0;
    }
    if (af_to_bool(v, out) < 0) return bad_input(s, name, "a boolean (true or false)", v);
    return 0;
}

int af_in_strlist(af_step *s, const char *name, const char ***out, size_t *n)
{
    const af_value *v = af_in(s, name);
    *out = NULL;
    *n = 0;
    if (!v || v->type == AF_NULL) {
        *out = af_alloc(s->arena, sizeof **out);
        return 0;
    }
    if (v->type != AF_LIST) {
        if (v->type == AF_MAP) return bad_input(s, name, "a string or a list of strings", v);
        const char **l = af_alloc(s->arena, 2 * sizeof *l);
        af_buf b = {0};
        af_py_str(&b, v);
        l[0] = af_strndup(s->arena, af_buf_cstr(&b), b.len);
        af_buf_free(&b);
        *out = l;
        *n = 1;
        return 0;
    }
    const char **l = af_alloc(s->arena, (v->u.list.n + 1) * sizeof *l);
    for (size_t i = 0; i < v->u.list.n; i++) {
        const af_value *it = v->u.list.items[i];
        if (it->type == AF_LIST || it->type == AF_MAP)
            return bad_input(s, name, "a string or a list of strings", it);
        af_buf b = {0};
        af_py_str(&b, it);
        l[i] = af_strndup(s->arena, af_buf_cstr(&b), b.len);
        af_buf_free(&b);
    }
    *out = l;
    *n = v->u.list.n;
    return 0;
}

/* ---- schema validation of rendered inputs --------------------------------------------- */

static int type_ok(const af_input *in, const af_value *v)
{
    unsigned types = in->types ? in->types : AF_TY_ANY;
    if (types & (1u << v->type)) return 1;
    if (v->type == AF_INT && (types & AF_TY_DOUBLE)) return 1;
    if (v->type == AF_NULL) return !in->required;
    /* scalars coerce the way the typed readers do */
    int64_t i;
    double d;
    int b;
    if (v->type == AF_LIST || v->type == AF_MAP) return 0;
    if (types & AF_TY_STR) return 1;
    if ((types & AF_TY_INT) && af_to_int(v, &i) == 0) return 1;
    if ((types & AF_TY_DOUBLE) && af_to_double(v, &d) == 0) return 1;
    if ((types & AF_TY_BOOL) && af_to_bool(v, &b) == 0) return 1;
    return 0;
}

int af__validate_inputs(af_step *s, const af_step_desc *desc, const af_value *inputs)
{
    for (const af_input *in = desc->inputs; in && in->name; in++) {
        const af_value *v = af_map_get(inputs, in->name);
        if (!v) {
            if (in->required) {
                af_fail(s, "missing required input '%s'", in->name);
                return -1;
            }
            continue;
        }
        if (!type_ok(in, v)) {
            static const char *const names[] = {"null", "a boolean", "an integer", "a number",
                                                "a string", "a list", "a mapping"};
            af_buf want = {0};
            for (int t = 1; t < 7; t++)
                if ((in->types & (1u << t)) && !(t == AF_INT && (in->types & AF_TY_DOUBLE)))
                    af_buf_printf(&want, "%s%s", want.len ? " or " : "", names[t]);
            bad_input(s, in->name, af_buf_cstr(&want), v);
            af_buf_free(&want);
            return -1;
        }
        if (in->choices && v->type == AF_STR) {
            const char *p = in->choices;
            int ok = 0;
            while (*p && !ok) {
                const char *bar = strchr(p, '|');
                size_t l = bar ? (size_t)(bar - p) : strlen(p);
                if (l == v->u.s.len && !strncmp(p, v->u.s.ptr, l)) ok = 1;
                p += l + (bar ? 1 : 0);
            }
            if (!ok) {
                af_fail(s, "input '%s' must be one of %s, not '%s'", in->name, in->choices, v->u.s.ptr);
                return -1;
            }
        }
    }
    return 0;
}

/* ---- outputs, failure ------------------------------------------------------------------- */

af_value *af_out(af_step *s)
{
    return s->out;
}

void af_out_set(af_step *s, const char *key, af_value *v)
{
    af_map_set(s->arena, s->out, key, v);
}

af_status af_fail(af_step *s, const char *fmt, ...)
{
    if (!s->failed) { /* the first failure is the cause; keep it */
        va_list ap;
        va_start(ap, fmt);
        char *msg = af_vsprintf(s->arena, fmt, ap);
        va_end(ap);
        af_buf_reset(&s->error);
        af_buf_puts(&s->error, msg);
        s->failed = 1;
    }
    return AF_FAILED;
}

af_status af_skip(af_step *s, const char *reason)
{
    if (reason && !af_map_get(s->out, "reason")) af_out_set(s, "reason", af_str(s->arena, reason));
    return AF_SKIPPED;
}

const char *af_step_id(af_step *s) { return s->id; }
const char *af_step_type(af_step *s) { return s->type; }
const char *af_job_id(af_step *s) { return s->job_id; }
const char *af_run_id(af_step *s) { return s->run->run_id; }
const char *af_flow_id(af_step *s) { return s->run->flow_id; }
af_loc af_step_loc(af_step *s) { return s->loc; }

const char *af_env(af_step *s, const char *key)
{
    const af_value *v = af_map_get(s->run->env, key);
    return v && v->type == AF_STR ? v->u.s.ptr : NULL;
}

const af_value *af_env_map(af_step *s)
{
    return s->run->env;
}

const char *af_artifacts_dir(af_step *s) { return s->artifacts; }
const char *af_scratch_dir(af_step *s) { return s->scratch; }
const char *af_manifests_dir(af_step *s) { return s->manifests; }
const char *af_job_dir(af_step *s) { return s->job_dir; }

int af_path(af_step *s, const char *what, const char *path, const char **out)
{
    /* the bundle's unpacked files (AETHERFLOW_ACTIVE_DIR) are allowed like
     * the work root: the reference keeps its active bundle under the work
     * root. Enterprise mode still confines paths to the artifacts dir. */
    const char *roots[4] = {s->run->work_root, s->artifacts, s->run->active_dir, NULL};
    char err[1024];
    if (af__path_resolve(s->arena, s->artifacts, roots, s->run->sandbox, s->run->enterprise, path,
                         out, err, sizeof err) < 0) {
        af_fail(s, "%s: %s", what, err);
        return -1;
    }
    return 0;
}

int af_cancelled(af_step *s)
{
    return s->run->cancel && *s->run->cancel;
}

int af_enterprise(af_step *s)
{
    return s->run->enterprise;
}

const char *const *af_zip_drivers(af_step *s)
{
    return s->run->flow->zip_drivers;
}

/* ---- logging ---------------------------------------------------------------------------- */

void af_log(af_step *s, af_level lvl, const char *event, const af_kv *fields)
{
    af_kv ctx[] = {AF_KS("flow_id", s->run->flow_id), AF_KS("run_id", s->run->run_id),
                   AF_KS("job_id", s->job_id),       AF_KS("step_id", s->id),
                   AF_KS("step_type", s->type),      {0}};
    af__log_event(&s->run->log, lvl, event, ctx, fields);
}

void af_logf(af_step *s, af_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = af_vsprintf(s->arena, fmt, ap);
    va_end(ap);
    af_kv f[] = {AF_KS("message", msg), {0}};
    af_log(s, lvl, "message", f);
}

/* ---- locks -------------------------------------------------------------------------------- */

int af_lock_acquire(af_step *s, const char *key, int64_t ttl)
{
    char err[512];
    int rc = af__state_lock_acquire(s->run->state, key, s->run->run_id, ttl, err, sizeof err);
    if (rc < 0) af_fail(s, "lock '%s': %s", key, err);
    return rc;
}

void af_lock_release(af_step *s, const char *key)
{
    af__state_lock_release(s->run->state, key, s->run->run_id);
}

/* ---- nested steps ------------------------------------------------------------------------- */

af_status af_run_nested(af_step *s, const char *type, const char *id, const af_value *inputs)
{
    const af_flow_def *f = s->run->flow;
    const af_step_desc *desc = NULL;
    for (unsigned i = 0; i < f->nstep_types; i++)
        if (!strcmp(f->step_types[i]->name, type)) desc = f->step_types[i];
    if (!desc) return af_fail(s, "nested step type '%s' is not linked into this executable", type);
    af_step child = *s;
    child.def = NULL;
    child.desc = desc;
    child.id = id;
    child.type = desc->name;
    child.inputs = inputs && inputs->type == AF_MAP ? inputs : af_map(s->arena);
    child.error = (af_buf){0};
    child.failed = 0;
    af_status st;
    if (af__validate_inputs(&child, desc, child.inputs) < 0)
        st = AF_FAILED;
    else
        st = desc->run(&child);
    if (st == AF_FAILED || child.failed) {
        /* the inner step's own message, as the reference reports it */
        af_fail(s, "%s", child.error.len ? af_buf_cstr(&child.error) : "the nested step failed");
        st = AF_FAILED;
    }
    af_buf_free(&child.error);
    return st;
}
