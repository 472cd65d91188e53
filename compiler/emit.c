/*
 * emit.c - stage 6: the checked flow as C source against af.h.
 *
 * The program is data plus a main: every input, output, resource setting
 * and flow setting becomes a static const af_cval tree (template strings
 * pre-split into segments), every `when` a C function, and the flow an
 * af_flow_def handed to af_main. Step and driver descriptors are named
 * directly, so the linker pulls in only the objects the flow uses. The
 * output is meant to be read: comments carry the YAML locations.
 */
#include "afc.h"
#include "af_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

extern const char afc_tpl_flow_head_c[];
extern const char afc_tpl_flow_main_c[];

typedef struct em {
    af_arena *a;
    af_buf *out;           /* the program */
    af_buf *libs;
    const afc_flow *f;
    const afc_catalog *cat;
    const afc_emit_opts *o;
    int n;                 /* name counter */
    const char **syms;     /* descriptor symbols declared so far */
    size_t nsyms;
} em;

void afc_c_string(af_buf *b, const char *s, size_t n)
{
    af_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            af_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            af_buf_puts(b, i + 1 < n ? "\\n\"\n    \"" : "\\n");
        else if (c == '\t')
            af_buf_puts(b, "\\t");
        else if (c < 0x20 || c == 0x7f || (c == '?' && i + 1 < n && s[i + 1] == '?'))
            af_buf_printf(b, "\\%03o", c);
        else
            af_buf_putc(b, c); /* UTF-8 bytes pass through */
    }
    af_buf_putc(b, '"');
}

static void c_cstr(af_buf *b, const char *s)
{
    if (!s)
        af_buf_puts(b, "NULL");
    else
        afc_c_string(b, s, strlen(s));
}

/* The bytes of an embedded file as C string literals, one per source line
 * of the file (or per 64 bytes), escaped so that no character can end or
 * change the literal. An octal escape is always written with three digits,
 * so a following digit is never taken into it. */
static void asset_literal(af_buf *b, const unsigned char *p, size_t n)
{
    if (!n) {
        af_buf_puts(b, " \"\"");
        return;
    }
    size_t col = 0;
    af_buf_puts(b, "\n    \"");
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c == '"' || c == '\\')
            af_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            af_buf_puts(b, "\\n");
        else if (c < 0x20 || c >= 0x7f || (c == '?' && i + 1 < n && p[i + 1] == '?'))
            af_buf_printf(b, "\\%03o", c);
        else
            af_buf_putc(b, (int)c);
        if (++col >= 64 || c == '\n') {
            if (i + 1 < n) af_buf_puts(b, "\"\n    \"");
            col = 0;
        }
    }
    af_buf_putc(b, '"');
}

/* Substitutes @NAME@ placeholders of a code template. */
static void fill(af_buf *out, const char *tpl, const char *const *kv)
{
    for (const char *p = tpl; *p;) {
        if (*p == '@') {
            const char *e = strchr(p + 1, '@');
            int done = 0;
            for (const char *const *k = kv; e && *k; k += 2) {
                if ((size_t)(e - p - 1) == strlen(k[0]) && !strncmp(p + 1, k[0], (size_t)(e - p - 1))) {
                    af_buf_puts(out, k[1]);
                    p = e + 1;
                    done = 1;
                    break;
                }
            }
            if (done) continue;
        }
        af_buf_putc(out, *p++);
    }
}

static void add_libs(em *e, const char *libs)
{
    if (!libs) return;
    const char *p = libs;
    while (*p) {
        while (*p == ' ') p++;
        const char *q = p;
        while (*q && *q != ' ') q++;
        if (q > p) {
            char *w = af_strndup(e->a, p, (size_t)(q - p));
            af_buf cur = *e->libs;
            int have = 0;
            for (const char *s = af_buf_cstr(&cur); (s = strstr(s, w)); s += strlen(w))
                if ((s == af_buf_cstr(&cur) || s[-1] == ' ') && (s[strlen(w)] == ' ' || !s[strlen(w)])) have = 1;
            if (!have) {
                if (e->libs->len) af_buf_putc(e->libs, ' ');
                af_buf_puts(e->libs, w);
            }
        }
        p = q;
    }
}

static void declare(em *e, const char *type, const char *sym)
{
    for (size_t i = 0; i < e->nsyms; i++)
        if (!strcmp(e->syms[i], sym)) return;
    const char **s = af_alloc(e->a, (e->nsyms + 1) * sizeof *s);
    if (e->nsyms) memcpy(s, e->syms, e->nsyms * sizeof *s);
    s[e->nsyms++] = sym;
    e->syms = s;
    af_buf_printf(e->out, "extern const %s %s;\n", type, sym);
}

/* ---- values ------------------------------------------------------------------ */

static int is_tmpl_str(const af_value *v)
{
    return v->type == AF_STR && (strstr(v->u.s.ptr, "{{") || strstr(v->u.s.ptr, "}}"));
}

/* Emits the static data a value needs and appends its initializer to init. */
static void value_init(em *e, const af_value *v, af_buf *init)
{
    switch (v->type) {
    case AF_NULL:
        af_buf_puts(init, "{.type = AF_NULL}");
        return;
    case AF_BOOL:
        af_buf_printf(init, "{.type = AF_BOOL, .u.b = %d}", v->u.b);
        return;
    case AF_INT:
        if (v->u.i == INT64_MIN)
            af_buf_puts(init, "{.type = AF_INT, .u.i = (-9223372036854775807LL - 1)}");
        else
            af_buf_printf(init, "{.type = AF_INT, .u.i = %lldLL}", (long long)v->u.i);
        return;
    case AF_DOUBLE: {
        char tmp[64];
        if (isnan(v->u.d))
            snprintf(tmp, sizeof tmp, "(0.0 / 0.0)");
        else if (isinf(v->u.d))
            snprintf(tmp, sizeof tmp, "%s(1.0 / 0.0)", v->u.d < 0 ? "-" : "");
        else {
            snprintf(tmp, sizeof tmp, "%.17g", v->u.d);
            if (!strpbrk(tmp, ".eE")) strcat(tmp, ".0");
        }
        af_buf_printf(init, "{.type = AF_DOUBLE, .u.d = %s}", tmp);
        return;
    }
    case AF_STR: {
        af_tmpl *t = NULL;
        if (is_tmpl_str(v) &&
            af_tmpl_parse(e->a, v->u.s.ptr, v->u.s.len, NULL, &t, NULL, NULL, 0) == 1) {
            int id = e->n++;
            af_buf *o = e->out;
            for (unsigned i = 0; i < t->nsegs; i++) {
                const af_tmpl_seg *s = &t->segs[i];
                if (s->kind != AF_SEG_REF) continue;
                af_buf_printf(o, "static const char *const t%d_p%u[] = {", id, i);
                for (unsigned k = 0; k < s->nparts; k++) {
                    if (k) af_buf_puts(o, ", ");
                    c_cstr(o, s->parts[k]);
                }
                af_buf_puts(o, "};\n");
            }
            af_buf_printf(o, "static const af_tmpl_seg t%d_s[] = {\n", id);
            for (unsigned i = 0; i < t->nsegs; i++) {
                const af_tmpl_seg *s = &t->segs[i];
                if (s->kind == AF_SEG_TEXT) {
                    af_buf_puts(o, "    {AF_SEG_TEXT, ");
                    afc_c_string(o, s->text, s->len);
                    af_buf_printf(o, ", %zu, NULL, 0, NULL},\n", s->len);
                } else {
                    af_buf_puts(o, "    {AF_SEG_REF, ");
                    c_cstr(o, s->text);
                    af_buf_printf(o, ", %zu, t%d_p%u, %u, ", s->len, id, i, s->nparts);
                    c_cstr(o, s->def);
                    af_buf_puts(o, "},\n");
                }
            }
            af_buf_printf(o, "};\nstatic const af_tmpl t%d = {t%d_s, %u, %d, ", id, id, t->nsegs,
                          t->standalone);
            afc_c_string(o, v->u.s.ptr, v->u.s.len);
            af_buf_puts(o, "};\n");
            af_buf_printf(init, "{.type = AF_CTMPL, .u.t = &t%d}", id);
            return;
        }
        af_buf_puts(init, "{.type = AF_STR, .u.s = {");
        afc_c_string(init, v->u.s.ptr, v->u.s.len);
        af_buf_printf(init, ", %zu}}", v->u.s.len);
        return;
    }
    case AF_LIST: {
        if (!v->u.list.n) {
            af_buf_puts(init, "{.type = AF_LIST}");
            return;
        }
        int id = e->n++;
        af_buf items = {0};
        for (size_t i = 0; i < v->u.list.n; i++) {
            af_buf_puts(&items, "    ");
            value_init(e, v->u.list.items[i], &items);
            af_buf_puts(&items, ",\n");
        }
        af_buf_printf(e->out, "static const af_cval v%d[] = {\n%s};\n", id, af_buf_cstr(&items));
        af_buf_free(&items);
        af_buf_printf(init, "{.type = AF_LIST, .u.list = {v%d, %zu}}", id, v->u.list.n);
        return;
    }
    case AF_MAP: {
        if (!v->u.map.n) {
            af_buf_puts(init, "{.type = AF_MAP}");
            return;
        }
        int id = e->n++;
        af_buf vals = {0};
        for (size_t i = 0; i < v->u.map.n; i++) {
            af_buf_puts(&vals, "    ");
            value_init(e, v->u.map.pairs[i].val, &vals);
            af_buf_puts(&vals, ",\n");
        }
        af_buf_printf(e->out, "static const char *const v%d_k[] = {", id);
        for (size_t i = 0; i < v->u.map.n; i++) {
            if (i) af_buf_puts(e->out, ", ");
            c_cstr(e->out, v->u.map.pairs[i].key);
        }
        af_buf_printf(e->out, "};\nstatic const af_cval v%d_v[] = {\n%s};\n", id, af_buf_cstr(&vals));
        af_buf_free(&vals);
        af_buf_printf(init, "{.type = AF_MAP, .u.map = {v%d_k, v%d_v, %zu}}", id, id, v->u.map.n);
        return;
    }
    }
}

/* Emits a named top-level af_cval for v; returns its name ("NULL" for none). */
static const char *value_named(em *e, const af_value *v)
{
    if (!v) return "NULL";
    af_buf init = {0};
    value_init(e, v, &init);
    int id = e->n++;
    af_buf_printf(e->out, "static const af_cval v%d = %s;\n", id, af_buf_cstr(&init));
    af_buf_free(&init);
    return af_sprintf(e->a, "&v%d", id);
}

static const char *node_named(em *e, const afc_node *n)
{
    if (!n) return "NULL";
    return value_named(e, afc_node_value(e->a, n));
}

static void loc(em *e, af_buf *b, afc_pos p)
{
    af_buf_puts(b, "{");
    c_cstr(b, e->o->source);
    af_buf_printf(b, ", %d, %d}", p.line, p.col);
}

/* ---- descriptors used ------------------------------------------------------------ */

static const char *step_sym(em *e, const char *type)
{
    const char *sym = NULL;
    const af_step_desc *d = afc_catalog_step(e->cat, type, &sym);
    if (!d) return NULL;
    declare(e, "af_step_desc", sym);
    add_libs(e, d->libs);
    return sym;
}

/* with_lock: nested step types are linked too */
static void nested_types(em *e, const afc_node *inputs, af_buf *types)
{
    if (!inputs || inputs->kind != AFC_MAP) return;
    const afc_node *st = afc_map_get(inputs, "step");
    if (!st || st->kind != AFC_MAP) return;
    const afc_node *t = afc_map_get(st, "type");
    if (!t || t->kind != AFC_SCALAR) return;
    const char *sym = step_sym(e, t->text);
    const af_step_desc *d = afc_catalog_step(e->cat, t->text, NULL);
    if (sym && !strstr(af_buf_cstr(types), sym)) af_buf_printf(types, "    &%s,\n", sym);
    if (d && (d->flags & AF_STEP_NESTED_STEP)) nested_types(e, afc_map_get(st, "inputs"), types);
}

void afc_emit_flow(af_buf *out, af_buf *libs, const afc_flow *f, const afc_catalog *cat,
                   const afc_emit_opts *o)
{
    af_arena *a = af_arena_new();
    em e = {a, out, libs, f, cat, o, 0, NULL, 0};
    char ts[32];
    af__iso8601(af__now_ms(), ts);
    ts[19] = 'Z', ts[20] = 0;
    const char *kv[] = {"AFC_VERSION", AFC_VERSION, "SOURCE", o->source, NULL};
    fill(out, afc_tpl_flow_head_c, kv);

    add_libs(&e, "-lsqlite3 -lm"); /* the state store; steps add theirs */
    af_buf types = {0};
    af_buf_puts(out, "\n/* ---- step types and drivers ---- */\n");
    for (size_t j = 0; j < f->njobs; j++)
        for (size_t s = 0; s < f->jobs[j].nsteps; s++) {
            const afc_step *st = &f->jobs[j].steps[s];
            const char *sym = step_sym(&e, st->type);
            if (sym && !strstr(af_buf_cstr(&types), af_sprintf(a, "&%s,", sym)))
                af_buf_printf(&types, "    &%s,\n", sym);
            if (st->desc && (st->desc->flags & AF_STEP_NESTED_STEP)) nested_types(&e, st->inputs, &types);
        }
    af_buf drivers = {0};
    for (size_t i = 0; i < f->nresources; i++) {
        const afc_resource *r = &f->resources[i];
        const char *sym = NULL;
        const af_driver *d = afc_catalog_driver(cat, r->kind, r->driver, &sym);
        if (!d) continue;
        declare(&e, "af_driver", sym);
        add_libs(&e, d->libs);
        if (!strstr(af_buf_cstr(&drivers), af_sprintf(a, "&%s,", sym)))
            af_buf_printf(&drivers, "    &%s,\n", sym);
    }

    /* flow settings */
    af_buf_puts(out, "\n/* ---- flow settings (rendered with env at start) ---- */\n");
    const char *meta = value_named(&e, f->meta);

    /* resources */
    af_buf res = {0};
    if (f->nresources) {
        af_buf_puts(out, "\n/* ---- resources ---- */\n");
        for (size_t i = 0; i < f->nresources; i++) {
            const afc_resource *r = &f->resources[i];
            const char *sym = NULL;
            afc_catalog_driver(cat, r->kind, r->driver, &sym);
            af_buf_printf(out, "/* %s:%d:%d: resource %s */\n", o->source, r->pos.line, r->pos.col, r->name);
            const char *cfg = node_named(&e, r->config), *opt = node_named(&e, r->options),
                       *dec = node_named(&e, r->decode);
            af_buf_puts(&res, "    {");
            c_cstr(&res, r->name);
            af_buf_puts(&res, ", ");
            c_cstr(&res, r->kind);
            af_buf_puts(&res, ", ");
            c_cstr(&res, r->driver);
            af_buf_printf(&res, ", &%s, ", sym);
            c_cstr(&res, r->profile);
            af_buf_printf(&res, ", %s, %s, %s, ", cfg, opt, dec);
            if (r->shared && o->manifest_source) {
                /* a manifest resource: its location is in the manifest */
                af_buf_puts(&res, "{");
                c_cstr(&res, o->manifest_source);
                af_buf_printf(&res, ", %d, %d}", r->pos.line, r->pos.col);
            } else {
                loc(&e, &res, r->pos);
            }
            af_buf_puts(&res, "},\n");
        }
    }

    /* profiles */
    af_buf prof = {0};
    if (o->nprofiles) {
        af_buf_puts(out, "\n/* ---- profiles ---- */\n");
        for (size_t i = 0; i < o->nprofiles; i++) {
            const afc_profile *p = &o->profiles[i];
            const char *cfg = node_named(&e, p->config), *opt = node_named(&e, p->options),
                       *dec = node_named(&e, p->decode);
            af_buf_puts(&prof, "    {");
            c_cstr(&prof, p->name);
            af_buf_printf(&prof, ", %s, %s, %s},\n", cfg, opt, dec);
        }
    }

    /* jobs */
    af_buf jobs = {0};
    for (size_t j = 0; j < f->njobs; j++) {
        const afc_job *job = &f->jobs[j];
        af_buf_printf(out, "\n/* ---- job %s (%s:%d:%d) ---- */\n", job->id, o->source, job->id_pos.line,
                      job->id_pos.col);
        af_buf steps = {0};
        for (size_t s = 0; s < job->nsteps; s++) {
            const afc_step *st = &job->steps[s];
            const char *sym = NULL;
            afc_catalog_step(cat, st->type, &sym);
            af_buf_printf(out, "/* step %s: %s */\n", st->id, st->type);
            const char *in = st->inputs ? node_named(&e, st->inputs) : value_named(&e, af_map(a));
            const char *outs = node_named(&e, st->outputs);
            af_buf_puts(&steps, "    {");
            c_cstr(&steps, st->id);
            af_buf_puts(&steps, ", ");
            c_cstr(&steps, st->type);
            af_buf_printf(&steps, ", &%s, %s, %s, %d, ", sym, in, outs, st->skip_job);
            loc(&e, &steps, st->id_pos);
            af_buf_puts(&steps, "},\n");
        }
        int id = e.n++;
        if (job->nsteps)
            af_buf_printf(out, "static const af_step_def job%d_steps[] = {\n%s};\n", id, af_buf_cstr(&steps));
        af_buf_free(&steps);
        if (job->ndeps) {
            af_buf_printf(out, "static const int job%d_deps[] = {", id);
            for (size_t k = 0; k < job->ndeps; k++) af_buf_printf(out, "%s%d", k ? ", " : "", job->dep_idx[k]);
            af_buf_puts(out, "};\n");
        }
        char wname[32] = "NULL";
        if (job->when_ast) {
            snprintf(wname, sizeof wname, "job%d_when", id);
            afc_when_emit(out, job->when_ast, wname, o->source);
        }
        af_buf_puts(&jobs, "    {");
        c_cstr(&jobs, job->id);
        af_buf_puts(&jobs, ", ");
        c_cstr(&jobs, job->description);
        if (job->ndeps)
            af_buf_printf(&jobs, ", job%d_deps, %zu, ", id, job->ndeps);
        else
            af_buf_puts(&jobs, ", NULL, 0, ");
        af_buf_printf(&jobs, "%s, ", wname);
        c_cstr(&jobs, job->when);
        if (job->nsteps)
            af_buf_printf(&jobs, ", job%d_steps, %zu, ", id, job->nsteps);
        else
            af_buf_puts(&jobs, ", NULL, 0, ");
        loc(&e, &jobs, job->id_pos);
        af_buf_puts(&jobs, "},\n");
    }

    /* assets and env files */
    af_buf assets = {0};
    for (size_t i = 0; i < o->nassets; i++) {
        const af_asset *as = &o->assets[i];
        /* a string literal of exactly size bytes (no terminating NUL kept):
         * compact for text, at most four characters per byte otherwise */
        af_buf_printf(out, "\n/* asset %s (%zu bytes) */\nstatic const unsigned char asset%zu[%zu] =",
                      as->path, as->size, i, as->size ? as->size : 1);
        asset_literal(out, as->data, as->size);
        af_buf_puts(out, ";\n");
        af_buf_puts(&assets, "    {");
        c_cstr(&assets, as->path);
        af_buf_printf(&assets, ", asset%zu, %zu, 0%o},\n", i, as->size, as->mode);
    }
    af_buf envf = {0};
    for (size_t i = 0; i < o->nenv_files; i++) {
        const af_envfile_def *ef = &o->env_files[i];
        af_buf_puts(&envf, "    {");
        c_cstr(&envf, ef->type);
        af_buf_puts(&envf, ", ");
        c_cstr(&envf, ef->path);
        af_buf_printf(&envf, ", %d, ", ef->optional);
        c_cstr(&envf, ef->prefix);
        af_buf_puts(&envf, "},\n");
    }
    af_buf zipd = {0};
    for (const char *const *z = o->zip_drivers; z && *z; z++) {
        c_cstr(&zipd, *z);
        af_buf_puts(&zipd, ", ");
    }

    af_buf_puts(out, "\n/* ---- the flow ---- */\n");
#define TABLE(name, type, buf)                                                                     \
    if ((buf).len) af_buf_printf(out, "static const " type " " name "[] = {\n%s};\n", af_buf_cstr(&(buf)));
    TABLE("resources", "af_resource_def", res);
    TABLE("profiles", "af_profile_def", prof);
    TABLE("jobs", "af_job_def", jobs);
    TABLE("assets", "af_asset", assets);
    TABLE("env_files", "af_envfile_def", envf);
    af_buf_printf(out, "static const af_step_desc *const step_types[] = {\n%s    NULL};\n", af_buf_cstr(&types));
    af_buf_printf(out, "static const af_driver *const drivers[] = {\n%s    NULL};\n", af_buf_cstr(&drivers));
    if (zipd.len) af_buf_printf(out, "static const char *const zip_drivers[] = {%sNULL};\n", af_buf_cstr(&zipd));
    if (o->decode_sym)
        af_buf_printf(out, "int %s(af_arena *, const char *, const char **, char *, size_t);\n", o->decode_sym);
    if (o->expand_env_sym)
        af_buf_printf(out, "int %s(af_arena *, af_value *, char *, size_t);\n", o->expand_env_sym);

    size_t ntypes = 0, ndrv = 0;
    for (const char *p = af_buf_cstr(&types); (p = strchr(p, '&')); p++) ntypes++;
    for (const char *p = af_buf_cstr(&drivers); (p = strchr(p, '&')); p++) ndrv++;
    af_buf_puts(out, "\nconst af_flow_def af_flow = {\n    .abi = AF_ABI_VERSION,\n    .flow_id = ");
    c_cstr(out, f->id);
    af_buf_printf(out, ",\n    .meta = %s,\n", meta);
    if (res.len) af_buf_printf(out, "    .resources = resources,\n    .nresources = %zu,\n", f->nresources);
    if (prof.len) af_buf_printf(out, "    .profiles = profiles,\n    .nprofiles = %zu,\n", o->nprofiles);
    if (jobs.len) af_buf_printf(out, "    .jobs = jobs,\n    .njobs = %zu,\n", f->njobs);
    af_buf_printf(out, "    .step_types = step_types,\n    .nstep_types = %zu,\n", ntypes);
    af_buf_printf(out, "    .drivers = drivers,\n    .ndrivers = %zu,\n", ndrv);
    if (assets.len) af_buf_printf(out, "    .assets = assets,\n    .nassets = %zu,\n", o->nassets);
    if (envf.len) af_buf_printf(out, "    .env_files = env_files,\n    .nenv_files = %zu,\n", o->nenv_files);
    if (o->mode) {
        af_buf_puts(out, "    .mode = ");
        c_cstr(out, o->mode);
        af_buf_puts(out, ",\n");
    }
    if (zipd.len) af_buf_puts(out, "    .zip_drivers = zip_drivers,\n");
    af_buf_puts(out, "    .source = ");
    c_cstr(out, o->source);
    af_buf_puts(out, ",\n    .fingerprint = ");
    c_cstr(out, o->fingerprint ? o->fingerprint : "");
    af_buf_puts(out, ",\n    .afc_version = " "\"" AFC_VERSION "\"" ",\n    .build_time = ");
    c_cstr(out, ts);
    af_buf_puts(out, ",\n    .libs = ");
    c_cstr(out, af_buf_cstr(libs));
    af_buf_puts(out, ",\n");
    if (o->decode_sym) af_buf_printf(out, "    .decode = %s,\n", o->decode_sym);
    if (o->expand_env_sym) af_buf_printf(out, "    .expand_env = %s,\n", o->expand_env_sym);
    if (o->bundle_id) {
        af_buf_puts(out, "    .bundle_id = ");
        c_cstr(out, o->bundle_id);
        af_buf_puts(out, ",\n");
    }
    af_buf_puts(out, "};\n");
    fill(out, afc_tpl_flow_main_c, kv);

    af_buf_free(&types);
    af_buf_free(&drivers);
    af_buf_free(&res);
    af_buf_free(&prof);
    af_buf_free(&jobs);
    af_buf_free(&assets);
    af_buf_free(&envf);
    af_buf_free(&zipd);
    af_arena_free(a);
}
