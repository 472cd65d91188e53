/*
 * connector.c - resources -> connectors, the reference's single resolver
 * pipeline at run time:
 *
 *   resource (compiled) + profile overlay (compiled-in profiles, or
 *   AETHERFLOW_PROFILES_JSON / AETHERFLOW_PROFILES_FILE given at run time)
 *   -> templates rendered with the env snapshot only
 *   -> decode hook on the fields marked in `decode:`
 *   -> driver instance, opened on first use, closed at run end in reverse.
 *
 * Resolution happens before any job runs, so a missing variable or a broken
 * profile stops the run with exit 2 instead of failing a job halfway.
 */
#include "af_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const ENV_ROOTS[] = {"env", NULL};

/* The reference's _deep_merge_dict: maps merge recursively, anything else
 * (lists included) is replaced by the override. Returns a new map. */
static af_value *deep_merge(af_arena *a, const af_value *base, const af_value *over)
{
    af_value *out = af_map(a);
    if (base && base->type == AF_MAP)
        for (size_t i = 0; i < base->u.map.n; i++)
            af_map_set(a, out, base->u.map.pairs[i].key, base->u.map.pairs[i].val);
    if (over && over->type == AF_MAP)
        for (size_t i = 0; i < over->u.map.n; i++) {
            const char *k = over->u.map.pairs[i].key;
            af_value *v = over->u.map.pairs[i].val, *cur = af_map_get(out, k);
            if (cur && cur->type == AF_MAP && v->type == AF_MAP)
                af_map_set(a, out, k, deep_merge(a, cur, v));
            else
                af_map_set(a, out, k, v);
        }
    return out;
}

/* The reference's _merge_decode: bool maps deep-merged, *_paths lists
 * concatenated without duplicates, anything else overridden. */
static af_value *merge_decode(af_arena *a, const af_value *prof, const af_value *res)
{
    af_value *out = af_map(a);
    if (prof && prof->type == AF_MAP)
        for (size_t i = 0; i < prof->u.map.n; i++)
            af_map_set(a, out, prof->u.map.pairs[i].key, prof->u.map.pairs[i].val);
    if (!res || res->type != AF_MAP) return out;
    for (size_t i = 0; i < res->u.map.n; i++) {
        const char *k = res->u.map.pairs[i].key;
        af_value *v = res->u.map.pairs[i].val, *cur = af_map_get(out, k);
        if ((!strcmp(k, "config_paths") || !strcmp(k, "options_paths"))) {
            af_value *l = af_list(a);
            const af_value *srcs[2] = {cur, v};
            for (int s = 0; s < 2; s++) {
                if (!srcs[s] || srcs[s]->type != AF_LIST) continue;
                for (size_t j = 0; j < srcs[s]->u.list.n; j++) {
                    af_value *it = srcs[s]->u.list.items[j];
                    int dup = 0;
                    for (size_t m = 0; m < l->u.list.n; m++)
                        if (af_value_equal(l->u.list.items[m], it)) dup = 1;
                    if (!dup) af_list_push(a, l, it);
                }
            }
            af_map_set(a, out, k, l);
        } else if (cur && cur->type == AF_MAP && v->type == AF_MAP) {
            af_map_set(a, out, k, deep_merge(a, cur, v));
        } else {
            af_map_set(a, out, k, v);
        }
    }
    return out;
}

int af__render_env(af_arena *a, const af_value *v, const af_value *scope, af_value **out,
                   const char **missing, char *err, size_t errlen)
{
    switch (v->type) {
    case AF_STR: {
        af_tmpl *t;
        int rc = af_tmpl_parse(a, v->u.s.ptr, v->u.s.len, ENV_ROOTS, &t, NULL, err, errlen);
        if (rc < 0) return -1;
        if (rc == 0) {
            *out = (af_value *)v;
            return 0;
        }
        return af_tmpl_render(a, t, scope, out, missing, err, errlen);
    }
    case AF_LIST: {
        af_value *l = af_list(a);
        for (size_t i = 0; i < v->u.list.n; i++) {
            af_value *it;
            if (af__render_env(a, v->u.list.items[i], scope, &it, missing, err, errlen) < 0) return -1;
            af_list_push(a, l, it);
        }
        *out = l;
        return 0;
    }
    case AF_MAP: {
        af_value *m = af_map(a);
        for (size_t i = 0; i < v->u.map.n; i++) {
            af_value *it;
            if (af__render_env(a, v->u.map.pairs[i].val, scope, &it, missing, err, errlen) < 0) return -1;
            af_map_set(a, m, v->u.map.pairs[i].key, it);
        }
        *out = m;
        return 0;
    }
    default:
        *out = (af_value *)v;
        return 0;
    }
}

/* Loads run-time profiles: AETHERFLOW_PROFILES_JSON or _FILE (JSON). Returns
 * a map name -> profile, NULL when none is given, or sets err. */
static int runtime_profiles(af__run *r, af_value **out, char *err, size_t errlen)
{
    const af_value *js = af_map_get(r->env, "AETHERFLOW_PROFILES_JSON");
    const af_value *file = af_map_get(r->env, "AETHERFLOW_PROFILES_FILE");
    *out = NULL;
    if (js && js->u.s.len && file && file->u.s.len)
        return af__err(err, errlen, "set only one of AETHERFLOW_PROFILES_JSON or AETHERFLOW_PROFILES_FILE");
    const char *text = NULL;
    size_t len = 0;
    const char *origin = NULL;
    if (js && js->u.s.len) {
        text = js->u.s.ptr;
        len = js->u.s.len;
        origin = "AETHERFLOW_PROFILES_JSON";
    } else if (file && file->u.s.len) {
        char *t;
        if (af__read_file(r->arena, file->u.s.ptr, &t, &len) < 0)
            return af__err(err, errlen, "AETHERFLOW_PROFILES_FILE %s: %m", file->u.s.ptr);
        text = t;
        origin = file->u.s.ptr;
    } else {
        return 0;
    }
    char perr[256];
    af_value *v;
    int rc = af_json_parse(r->arena, text, len, &v, perr, sizeof perr);
    if (rc < 0) return af__err(err, errlen, "invalid profile configuration in %s: %s (profiles "
                                            "given at run time must be JSON)",
                               origin, perr);
    if (v->type != AF_MAP)
        return af__err(err, errlen, "invalid profile configuration in %s: expected an object of "
                                    "profile name -> {config, options, decode}",
                       origin);
    for (size_t i = 0; i < v->u.map.n; i++) {
        af_value *p = v->u.map.pairs[i].val;
        if (p->type != AF_MAP)
            return af__err(err, errlen, "invalid profile configuration in %s: profile '%s' is not an object",
                           origin, v->u.map.pairs[i].key);
        for (size_t k = 0; k < p->u.map.n; k++) {
            const char *key = p->u.map.pairs[k].key;
            if (strcmp(key, "config") && strcmp(key, "options") && strcmp(key, "decode"))
                return af__err(err, errlen, "invalid profile configuration in %s: profile '%s' has "
                                            "unknown key '%s' (config, options, decode)",
                               origin, v->u.map.pairs[i].key, key);
            if (p->u.map.pairs[k].val->type != AF_MAP && p->u.map.pairs[k].val->type != AF_NULL)
                return af__err(err, errlen, "invalid profile configuration in %s: %s.%s must be an object",
                               origin, v->u.map.pairs[i].key, key);
        }
    }
    *out = v;
    return 0;
}

/* ---- decode ---------------------------------------------------------------------------- */

typedef struct dreq {
    const char *section; /* config | options */
    const char *path;    /* dotted */
} dreq;

static void collect_bool_map(af_arena *a, const af_value *n, const char *section, const char *prefix,
                             dreq **reqs, size_t *nreq, size_t *cap)
{
    if (n->type == AF_MAP) {
        for (size_t i = 0; i < n->u.map.n; i++) {
            const char *k = n->u.map.pairs[i].key;
            const char *p = prefix ? af_sprintf(a, "%s.%s", prefix, k) : k;
            collect_bool_map(a, n->u.map.pairs[i].val, section, p, reqs, nreq, cap);
        }
        return;
    }
    if (n->type == AF_BOOL && n->u.b && prefix) {
        if (*nreq == *cap) {
            size_t c = *cap ? *cap * 2 : 8;
            dreq *r = af_alloc(a, c * sizeof *r);
            if (*nreq) memcpy(r, *reqs, *nreq * sizeof *r);
            *reqs = r;
            *cap = c;
        }
        for (size_t i = 0; i < *nreq; i++)
            if (!strcmp((*reqs)[i].section, section) && !strcmp((*reqs)[i].path, prefix)) return;
        (*reqs)[(*nreq)++] = (dreq){section, prefix};
    }
}

static af_value *get_path(af_value *root, const char *path, af_value **parent, const char **leaf,
                          af_arena *a)
{
    char *buf = af_strdup(a, path);
    af_value *cur = root;
    *parent = NULL;
    char *save = NULL;
    for (char *part = strtok_r(buf, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
        if (!cur || cur->type != AF_MAP) return NULL;
        *parent = cur;
        *leaf = part;
        cur = af_map_get(cur, part);
    }
    return cur;
}

/* AETHERFLOW_SECRETS_CMD: the program gets the value on stdin and prints the
 * decoded value; one trailing newline is removed. The value travels through a
 * private (0600) temp file that is removed as soon as the command ends. */
static int decode_cmd(af__run *r, const char *cmd, const char *in, const char **out, char *err,
                      size_t errlen)
{
    const char *tmpdir = getenv("TMPDIR");
    char *path = af_sprintf(r->arena, "%s/afc-secret-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return af__err(err, errlen, "secrets command: cannot create a temp file: %m");
    size_t n = strlen(in);
    int wrote = write(fd, in, n) == (ssize_t)n;
    close(fd);
    if (!wrote) {
        unlink(path);
        return af__err(err, errlen, "secrets command: cannot write its input: %m");
    }
    char *shell = af_sprintf(r->arena, "exec %s < '%s'", cmd, path);
    const char *argv[] = {"/bin/sh", "-c", shell, NULL};
    const af_value *env = r->env; /* the command sees the run's env snapshot */
    const char **envp = af_alloc(r->arena, (env->u.map.n + 1) * sizeof *envp);
    for (size_t i = 0; i < env->u.map.n; i++)
        envp[i] = af_sprintf(r->arena, "%s=%s", env->u.map.pairs[i].key,
                             env->u.map.pairs[i].val->u.s.ptr);
    af_proc_spec spec = {0};
    spec.argv = argv;
    spec.envp = envp;
    spec.out_mode = AF_IO_CAPTURE;
    spec.err_mode = AF_IO_CAPTURE;
    spec.max_capture = 1 << 20;
    spec.timeout = 60;
    spec.kill_grace = 5;
    af_proc_result res = {0};
    char perr[256];
    int rc = af_proc_run(&spec, &res, perr, sizeof perr);
    unlink(path);
    if (rc < 0) {
        af_buf_free(&res.out);
        af_buf_free(&res.err);
        return af__err(err, errlen, "secrets command failed to start: %s", perr);
    }
    if (res.exit_code != 0 || res.timed_out) {
        af__err(err, errlen, "secrets command exited with status %d%s", res.exit_code,
                res.timed_out ? " (timed out)" : "");
        af_buf_free(&res.out);
        af_buf_free(&res.err);
        return -1;
    }
    size_t len = res.out.len;
    if (len && res.out.data[len - 1] == '\n') len--;
    *out = af_strndup(r->arena, af_buf_cstr(&res.out), len);
    af_buf_free(&res.out);
    af_buf_free(&res.err);
    return 0;
}

/* Replaces every occurrence of secret in msg with "***" (a hook's message
 * must not carry the value, but a careless one might). Values shorter than
 * four bytes are left alone: they would match ordinary words. */
static void scrub(char *msg, size_t cap, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (n < 4 || !cap) return;
    af_buf out = {0};
    const char *p = msg, *q;
    while ((q = strstr(p, secret))) {
        af_buf_put(&out, p, (size_t)(q - p));
        af_buf_puts(&out, "***");
        p = q + n;
    }
    af_buf_puts(&out, p);
    snprintf(msg, cap, "%s", af_buf_cstr(&out));
    af_buf_free(&out);
}

/* The reference's concatenation rule (resolution.py): a decoded field that
 * is a template must be one standalone token. afc checks it at build time;
 * profiles given at run time are checked here, before anything is decoded. */
static int check_standalone(const af__resource *res, const af_value *raw, const char *section,
                            const char *path, af_arena *a, char *err, size_t errlen)
{
    af_value *parent;
    const char *leaf;
    const af_value *v = get_path((af_value *)raw, path, &parent, &leaf, a);
    if (!v || v->type != AF_STR) return 0;
    af_tmpl *t;
    int rc = af_tmpl_parse(a, v->u.s.ptr, v->u.s.len, NULL, &t, NULL, NULL, 0);
    if (rc == 0 || (rc == 1 && t->standalone)) return 0;
    return af__err(err, errlen, "resource '%s': %s.%s: %s (a decoded field must be one "
                                "standalone {{...}} token)",
                   res->name, section, path, AF_TMPL_UNSUPPORTED);
}

static int apply_decode(af__run *r, af__resource *res, const af_value *decode,
                        const af_value *raw_config, const af_value *raw_options, char *err,
                        size_t errlen)
{
    if (!decode || decode->type != AF_MAP || !decode->u.map.n) return 0;
    af_arena *a = r->arena;
    dreq *reqs = NULL;
    size_t nreq = 0, cap = 0;
    for (int s = 0; s < 2; s++) {
        const char *section = s ? "options" : "config";
        const af_value *m = af_map_get(decode, section);
        if (m) collect_bool_map(a, m, section, NULL, &reqs, &nreq, &cap);
        const af_value *paths = af_map_get(decode, s ? "options_paths" : "config_paths");
        if (paths && paths->type == AF_LIST)
            for (size_t i = 0; i < paths->u.list.n; i++) {
                const af_value *p = paths->u.list.items[i];
                if (p->type != AF_STR || !p->u.s.len)
                    return af__err(err, errlen, "resource '%s': decode.%s_paths entries must be "
                                                "non-empty strings",
                                   res->name, section);
                collect_bool_map(a, af_bool(1), section, p->u.s.ptr, &reqs, &nreq, &cap);
            }
    }
    if (!nreq) return 0;
    for (size_t i = 0; i < nreq; i++)
        if (check_standalone(res, !strcmp(reqs[i].section, "config") ? raw_config : raw_options,
                             reqs[i].section, reqs[i].path, a, err, errlen) < 0)
            return -1;
    const af_value *cmd = af_map_get(r->env, "AETHERFLOW_SECRETS_CMD");
    if (!r->flow->decode && !(cmd && cmd->u.s.len)) {
        af_kv f[] = {AF_KS("resource", res->name), AF_KS("message",
                     "decode requested but no decoder is configured (plugin decode hook or "
                     "AETHERFLOW_SECRETS_CMD); leaving values as they are"), {0}};
        af__log_event(&r->log, AF_WARNING, "decode_unavailable", NULL, f);
        return 0;
    }
    for (size_t i = 0; i < nreq; i++) {
        af_value *root = !strcmp(reqs[i].section, "config") ? res->config : res->options;
        af_value *parent;
        const char *leaf = NULL;
        af_value *v = get_path(root, reqs[i].path, &parent, &leaf, a);
        if (!v || v->type != AF_STR) continue; /* only leaf strings are decoded */
        const char *decoded = NULL;
        char derr[256] = "";
        int rc = r->flow->decode ? r->flow->decode(a, v->u.s.ptr, &decoded, derr, sizeof derr)
                                 : decode_cmd(r, cmd->u.s.ptr, v->u.s.ptr, &decoded, derr, sizeof derr);
        if (rc < 0) {
            scrub(derr, sizeof derr, v->u.s.ptr);
            return af__err(err, errlen, "resource '%s': decoding %s.%s failed: %s", res->name,
                           reqs[i].section, reqs[i].path, derr[0] ? derr : "no reason given");
        }
        if (!decoded) decoded = "";
        af_map_set(a, parent, leaf, af_str(a, decoded));
    }
    return 0;
}

/* ---- resolution at run start --------------------------------------------------------- */

int af__resources_resolve(af__run *r, char *err, size_t errlen, const char **missing)
{
    const af_flow_def *f = r->flow;
    af_arena *a = r->arena;
    af_value *rt_profiles;
    if (runtime_profiles(r, &rt_profiles, err, errlen) < 0) return -1;
    af_value *scope = af_map(a);
    af_value *env = r->env;
    if (f->expand_env && f->nresources) {
        /* as the reference's resolve_resource: the hook prepares the env
         * that resource templates render with; the run's snapshot (what
         * steps see) is left as it was */
        env = af_value_copy(a, r->env);
        char xerr[512] = "";
        if (f->expand_env(a, env, xerr, sizeof xerr) < 0)
            return af__err(err, errlen, "secrets expand_env failed: %s",
                           xerr[0] ? xerr : "no reason given");
        if (env->type != AF_MAP) return af__err(err, errlen, "secrets expand_env broke the env map");
    }
    af_map_set(a, scope, "env", env);
    r->nresources = f->nresources;
    r->resources = af_alloc(a, (f->nresources ? f->nresources : 1) * sizeof *r->resources);
    for (unsigned i = 0; i < f->nresources; i++) {
        const af_resource_def *d = &f->resources[i];
        af__resource *res = &r->resources[i];
        res->def = d;
        res->name = d->name;
        res->driver = d->driver;
        af_value *pc = NULL, *po = NULL, *pd = NULL;
        if (d->profile) {
            const af_value *p = rt_profiles ? af_map_get(rt_profiles, d->profile) : NULL;
            if (p) {
                pc = af_map_get(p, "config");
                po = af_map_get(p, "options");
                pd = af_map_get(p, "decode");
            } else if (!rt_profiles) {
                for (unsigned k = 0; k < f->nprofiles; k++)
                    if (!strcmp(f->profiles[k].name, d->profile)) {
                        const af_profile_def *cp = &f->profiles[k];
                        pc = cp->config ? af_cval_literal(a, cp->config) : NULL;
                        po = cp->options ? af_cval_literal(a, cp->options) : NULL;
                        pd = cp->decode ? af_cval_literal(a, cp->decode) : NULL;
                    }
            }
        }
        af_value *cfg = deep_merge(a, pc, d->config ? af_cval_literal(a, d->config) : NULL);
        af_value *opt = deep_merge(a, po, d->options ? af_cval_literal(a, d->options) : NULL);
        af_value *dec = merge_decode(a, pd, d->decode ? af_cval_literal(a, d->decode) : NULL);
        char terr[512];
        if (af__render_env(a, cfg, scope, &res->config, missing, terr, sizeof terr) < 0 ||
            af__render_env(a, opt, scope, &res->options, missing, terr, sizeof terr) < 0) {
            if (d->loc.file)
                return af__err(err, errlen, "%s:%d:%d: resource '%s': %s", d->loc.file, d->loc.line,
                               d->loc.col, d->name, terr);
            return af__err(err, errlen, "resource '%s': %s", d->name, terr);
        }
        res->decode = dec;
        if (apply_decode(r, res, dec, cfg, opt, err, errlen) < 0) return -1;
    }
    return 0;
}

/* ---- connectors ------------------------------------------------------------------------- */

const af_driver *af_conn_driver(const af_conn *c) { return c->drv; }
const char *af_conn_name(const af_conn *c) { return c->name; }
const af_value *af_conn_config(const af_conn *c) { return c->config; }
const af_value *af_conn_options(const af_conn *c) { return c->options; }
af_arena *af_conn_arena(af_conn *c) { return c->arena; }
void *af_conn_impl(const af_conn *c) { return c->impl; }
void af_conn_set_impl(af_conn *c, void *impl) { c->impl = impl; }

void af_conn_log(af_conn *c, af_level lvl, const char *event, const af_kv *fields)
{
    af_kv ctx[] = {AF_KS("flow_id", c->run->flow_id), AF_KS("run_id", c->run->run_id),
                   AF_KS("resource", c->name), AF_KS("driver", c->drv->name), {0}};
    af__log_event(&c->run->log, lvl, event, ctx, fields);
}

static void register_open(af__run *r, af_conn *c)
{
    if (r->nopen == r->capopen) {
        unsigned cap = r->capopen ? r->capopen * 2 : 8;
        af_conn **l = af_alloc(r->arena, cap * sizeof *l);
        if (r->nopen) memcpy(l, r->open_conns, r->nopen * sizeof *l);
        r->open_conns = l;
        r->capopen = cap;
    }
    r->open_conns[r->nopen++] = c;
}

static int open_conn(af_step *s, af_conn *c)
{
    if (c->opened) return 0;
    char err[1024] = "";
    if (c->drv->open && c->drv->open(c, err, sizeof err) < 0) {
        af_fail(s, "resource '%s' (%s/%s): %s", c->name, c->drv->kind, c->drv->name,
                err[0] ? err : "cannot connect");
        return -1;
    }
    c->opened = 1;
    register_open(c->run, c);
    af_kv f[] = {AF_KS("kind", c->drv->kind), {0}};
    af_conn_log(c, AF_DEBUG, "connector_open", f);
    return 0;
}

af_conn *af_connector(af_step *s, const char *name, const char *kind)
{
    af__run *r = s->run;
    af__resource *res = NULL;
    for (unsigned i = 0; i < r->nresources; i++)
        if (!strcmp(r->resources[i].name, name)) res = &r->resources[i];
    if (!res) {
        af_fail(s, "unknown resource '%s'", name);
        return NULL;
    }
    if (kind && strcmp(res->def->kind, kind)) {
        af_fail(s, "resource '%s' is of kind %s, not %s", name, res->def->kind, kind);
        return NULL;
    }
    if (!res->conn) {
        af_conn *c = af_alloc(r->arena, sizeof *c);
        c->drv = res->driver;
        c->name = res->name;
        c->config = res->config;
        c->options = res->options;
        c->arena = r->arena;
        c->run = r;
        res->conn = c;
    }
    if (open_conn(s, res->conn) < 0) return NULL;
    return res->conn;
}

af_conn *af_connector_adhoc(af_step *s, const af_driver *d, const af_value *config,
                            const af_value *options)
{
    af__run *r = s->run;
    af_conn *c = af_alloc(r->arena, sizeof *c);
    c->drv = d;
    c->name = af_sprintf(r->arena, "%s:%s (ad hoc)", d->kind, d->name);
    c->config = config ? af_value_copy(r->arena, config) : af_map(r->arena);
    c->options = options ? af_value_copy(r->arena, options) : af_map(r->arena);
    c->arena = r->arena;
    c->run = r;
    if (open_conn(s, c) < 0) return NULL;
    return c;
}

int af_has_resource(af_step *s, const char *name)
{
    return af_resource_kind(s, name) != NULL;
}

const char *af_resource_kind(af_step *s, const char *name)
{
    for (unsigned i = 0; i < s->run->nresources; i++)
        if (!strcmp(s->run->resources[i].name, name)) return s->run->resources[i].def->kind;
    return NULL;
}

void af__connectors_close(af__run *r)
{
    while (r->nopen) {
        af_conn *c = r->open_conns[--r->nopen];
        if (c->drv->close) c->drv->close(c);
        c->opened = 0;
    }
}
