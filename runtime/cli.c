/*
 * cli.c - the flow executable's command line (af_main).
 *
 *   FLOW [run] [--run-id ID] [--job JOB] [--keep-going]
 *   FLOW validate-env        every env variable the flow needs without a default
 *   FLOW explain             plan and resolved resources, secrets redacted
 *   FLOW status [ID] [--json]
 *   FLOW --version | --help
 *
 * Start-up builds the run's env snapshot (process env, then
 * AETHERFLOW_ENV_FILES_JSON files, then the bundle's embedded env files),
 * renders the flow settings with it, opens the state store and resolves
 * every resource. Anything wrong there exits 2 before a job runs.
 */
#include "af_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static volatile int g_cancel; /* the signal that asked us to stop (process-wide by nature) */

static void on_signal(int sig)
{
    g_cancel = sig;
}

static const char USAGE[] =
    "usage: %s [run] [--run-id ID] [--job JOB] [--keep-going]\n"
    "       %s validate-env\n"
    "       %s explain\n"
    "       %s status [RUN_ID] [--json]\n"
    "       %s --version\n"
    "\n"
    "Runs the AetherFlow flow '%s' compiled into this program by afc.\n"
    "Running again with the --run-id of an unfinished run resumes it.\n"
    "Exit status: 0 every job SUCCESS or SKIPPED (or BLOCKED behind a skip), 1 a job\n"
    "failed, 2 usage, configuration or missing-variable error before any job ran.\n"
    "See afc-run(1).\n";

typedef struct args {
    const char *cmd, *run_id, *job, *arg;
    int keep_going, json;
} args;

static int usage(const af_flow_def *f, const char *prog, const char *fmt, const char *what)
{
    if (fmt) {
        fprintf(stderr, "%s: error: ", prog);
        fprintf(stderr, fmt, what);
        fputc('\n', stderr);
    }
    fprintf(fmt ? stderr : stdout, USAGE, prog, prog, prog, prog, prog, f->flow_id);
    return fmt ? 2 : 0;
}

static int fatal(const char *prog, const char *msg)
{
    fprintf(stderr, "%s: error: %s\n", prog, msg);
    return 2;
}

static const char *env_str(af__run *r, const char *key, const char *def)
{
    const af_value *v = af_map_get(r->env, key);
    return v && v->type == AF_STR && v->u.s.len ? v->u.s.ptr : def;
}

static int env_true(af__run *r, const char *key, int def)
{
    const char *v = env_str(r, key, NULL);
    if (!v) return def;
    return !strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
           !strcasecmp(v, "y") || !strcasecmp(v, "on");
}

static const char *new_run_id(af_arena *a)
{
    unsigned char b[6];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        uint64_t x = (uint64_t)af__now_ms() ^ ((uint64_t)getpid() << 32);
        memcpy(b, &x, sizeof b);
    }
    return af_sprintf(a, "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 64 || s[0] == '.') return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

/* ---- assets: unpacked once per fingerprint -------------------------------------------- */

/* 1 when an embedded path is relative and stays below the cache dir. */
static int safe_rel(const char *p)
{
    if (!*p || p[0] == '/') return 0;
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) return 0;
        s += n + (e ? 1 : 0);
    }
    return 1;
}

static int write_asset(const char *path, const af_asset *as)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, as->mode ? as->mode : 0644);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < as->size) {
        ssize_t n = write(fd, as->data + off, as->size - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        off += (size_t)n;
    }
    return close(fd);
}

/* The bundle's files under <cache>/<fingerprint>: written to a private temp
 * directory and renamed into place, so a directory that exists is complete
 * (a concurrent run that got there first wins; the content is the same).
 * Sets *cache to the cache base used. */
static const char *unpack_assets(af__run *r, const char **cache, char *err, size_t errlen)
{
    af_arena *a = r->arena;
    const char *base = env_str(r, "AETHERFLOW_CACHE_DIR", NULL);
    if (!base) {
        const char *xdg = env_str(r, "XDG_CACHE_HOME", NULL), *home = env_str(r, "HOME", NULL);
        base = xdg ? af_sprintf(a, "%s/afc", xdg)
                   : home ? af_sprintf(a, "%s/.cache/afc", home)
                          : af_sprintf(a, "/tmp/afc-cache-%d", (int)getuid());
    }
    *cache = base;
    const char *dir = af_sprintf(a, "%s/%s", base, r->flow->fingerprint);
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return dir;
    const char *tmp = af_sprintf(a, "%s.tmp.%d", dir, (int)getpid());
    if (af_mkdirs(tmp, 0755) < 0) {
        af__err(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return NULL;
    }
    for (unsigned i = 0; i < r->flow->nassets; i++) {
        const af_asset *as = &r->flow->assets[i];
        if (!safe_rel(as->path)) {
            af__err(err, errlen, "embedded file name '%s' is not a relative path", as->path);
            af__rmtree(tmp);
            return NULL;
        }
        char *p = af_sprintf(a, "%s/%s", tmp, as->path);
        char *slash = strrchr(p, '/');
        *slash = 0;
        int mk = af_mkdirs(p, 0755);
        *slash = '/';
        if (mk < 0 || write_asset(p, as) < 0) {
            af__err(err, errlen, "cannot write %s: %s", p, strerror(errno));
            af__rmtree(tmp);
            return NULL;
        }
    }
    if (rename(tmp, dir) < 0) {
        af__rmtree(tmp); /* another run unpacked it first: fine */
        if (stat(dir, &st) < 0) {
            af__err(err, errlen, "cannot create %s: %s", dir, strerror(errno));
            return NULL;
        }
    }
    return dir;
}

/* ---- start-up: env, settings, state, resources ------------------------------------------ */

/* env0, when not NULL, receives the snapshot as it is before the run adds its
 * own keys (AETHERFLOW_ACTIVE_DIR...): what the reference's validator renders
 * step templates with (see prerun_scan). */
static int setup(af__run *r, const af_flow_def *f, const char *prog, int need_resources,
                 int open_state, af_value **env0)
{
    char err[2048];
    af_arena *a = r->arena;
    r->flow = f;
    /* the snapshot: process env < AETHERFLOW_ENV_FILES_JSON < the bundle's env files */
    r->env = af__env_snapshot(a, environ);
    const char *files_json = env_str(r, "AETHERFLOW_ENV_FILES_JSON", NULL);
    if (files_json && af__envfiles_json(a, r->env, files_json, err, sizeof err) < 0)
        return fatal(prog, af_sprintf(a, "AETHERFLOW_ENV_FILES_JSON: %s", err));
    if (env0) *env0 = af_value_copy(a, r->env);
    /* A manifest sets the mode, as the reference does when it runs a bundle;
     * a bare flow leaves AETHERFLOW_MODE* to the environment. */
    const char *mode = f->mode;
    int enterprise =
        mode ? !strcmp(mode, "enterprise") : env_true(r, "AETHERFLOW_MODE_ENTERPRISE", 0);
    const char *envfiles_failed = NULL;
    if (f->bundle_id || f->nassets || f->nenv_files) {
        if (enterprise) {
            /* as the reference: no ambient sandbox switch or plugin path */
            af_map_del(r->env, "AETHERFLOW_STRICT_SANDBOX");
            af_map_del(r->env, "AETHERFLOW_PLUGIN_PATHS");
        }
        const char *cache = NULL;
        const char *active = unpack_assets(r, &cache, err, sizeof err);
        if (!active) return fatal(prog, err);
        r->active_dir = active;
        /* all or nothing; a failure is a warning and the run goes on, as
         * the reference's runner does (bundle files were checked by afc;
         * only absolute paths, read from this host, can fail here) */
        if (af__envfiles_load_list(a, r->env, f->env_files, f->nenv_files, active, err,
                                   sizeof err) < 0)
            envfiles_failed = af_strdup(a, err);
        af_map_set(a, r->env, "AETHERFLOW_ACTIVE_DIR", af_str(a, active));
        af_map_set(a, r->env, "AETHERFLOW_LOCAL_ROOT_DIR", af_str(a, active));
        af_map_set(a, r->env, "AETHERFLOW_CACHE_DIR", af_str(a, cache));
    }
    if (mode) {
        af_map_set(a, r->env, "AETHERFLOW_MODE", af_str(a, mode));
        af_map_set(a, r->env, "AETHERFLOW_MODE_ENTERPRISE",
                   af_str(a, enterprise ? "True" : "False"));
    }
    af__log_init(&r->log, r->env);
    if (envfiles_failed) {
        af_kv fl[] = {AF_KS("message", "failed loading env_files from the manifest; continuing "
                                       "without them"),
                      AF_KS("error", envfiles_failed), {0}};
        af__log_event(&r->log, AF_WARNING, "env_files_failed", NULL, fl);
    }

    /* flow settings, rendered with env only */
    af_value *scope = af_map(a);
    af_map_set(a, scope, "env", r->env);
    const char *missing = NULL;
    if (af_cval_render(a, f->meta, scope, &r->meta, &missing, err, sizeof err) < 0)
        return fatal(prog, af_sprintf(a, "%s: flow settings: %s%s", f->source, err,
                                      missing ? " (set it in the environment or give a default)" : ""));
    r->flow_id = f->flow_id;
    const af_value *ws = af_map_get(r->meta, "workspace"), *st = af_map_get(r->meta, "state");
    const af_value *v;
    r->work_root = af__path_pure(
        a, (v = af_map_get(ws, "root")) && v->type == AF_STR ? v->u.s.ptr : "/tmp/work");
    r->cleanup_policy = (v = af_map_get(ws, "cleanup_policy")) && v->type == AF_STR ? v->u.s.ptr : "on_success";
    const af_value *layout = af_map_get(ws, "layout");
    r->layout_artifacts = (v = af_map_get(layout, "artifacts")) && v->type == AF_STR ? v->u.s.ptr : "artifacts";
    r->layout_scratch = (v = af_map_get(layout, "scratch")) && v->type == AF_STR ? v->u.s.ptr : "scratch";
    r->layout_manifests = (v = af_map_get(layout, "manifests")) && v->type == AF_STR ? v->u.s.ptr : "manifests";
    if (!r->active_dir) {
        /* without a bundle the reference points all three at the work root */
        af_map_set(a, r->env, "AETHERFLOW_ACTIVE_DIR", af_str(a, r->work_root));
        af_map_set(a, r->env, "AETHERFLOW_LOCAL_ROOT_DIR", af_str(a, r->work_root));
        af_map_set(a, r->env, "AETHERFLOW_CACHE_DIR", af_str(a, r->work_root));
    }
    /* a bundle in enterprise mode always confines paths (the ambient switch
     * was removed above; a bundle env file cannot turn the sandbox off
     * either); a bare flow follows AETHERFLOW_STRICT_SANDBOX as the
     * reference does */
    r->enterprise = enterprise;
    r->sandbox = enterprise && mode ? 1 : env_true(r, "AETHERFLOW_STRICT_SANDBOX", 1);
    r->jobs = af_map(a);
    r->cancel = &g_cancel;

    if (open_state) {
        const char *path = (v = af_map_get(st, "path")) && v->type == AF_STR ? v->u.s.ptr : "/tmp/state/aetherflow.sqlite";
        af__state_opts so;
        af__state_opts_from_env(&so, r->env);
        if (af__state_open_ex(&r->state, path, &so, err, sizeof err) < 0)
            return fatal(prog, af_sprintf(a, "state store %s: %s", path, err));
    }
    if (need_resources && af__resources_resolve(r, err, sizeof err, &missing) < 0)
        return fatal(prog, err);
    return 0;
}

/* ---- env references, for validate-env and the strict check ------------------------------ */

typedef struct envref {
    const char *name, *where;
} envref;

typedef struct envrefs {
    envref *v;
    size_t n, cap;
} envrefs;

static void add_ref(af_arena *a, envrefs *l, const char *name, const char *where)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].name, name) && !strcmp(l->v[i].where, where)) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        envref *nv = af_alloc(a, cap * sizeof *nv);
        if (l->n) memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = (envref){name, where};
}

static void tmpl_refs(af_arena *a, const af_tmpl *t, envrefs *l, const char *where)
{
    for (unsigned i = 0; i < t->nsegs; i++) {
        const af_tmpl_seg *s = &t->segs[i];
        if (s->kind == AF_SEG_REF && s->nparts >= 2 && !strcmp(s->parts[0], "env") && !s->def)
            add_ref(a, l, s->parts[1], where);
    }
}

static void cval_refs(af_arena *a, const af_cval *cv, envrefs *l, const char *where)
{
    if (!cv) return;
    if (cv->type == AF_CTMPL) tmpl_refs(a, cv->u.t, l, where);
    if (cv->type == AF_LIST)
        for (size_t i = 0; i < cv->u.list.n; i++) cval_refs(a, &cv->u.list.items[i], l, where);
    if (cv->type == AF_MAP)
        for (size_t i = 0; i < cv->u.map.n; i++) cval_refs(a, &cv->u.map.vals[i], l, where);
}

static envrefs collect_env_refs(af_arena *a, const af_flow_def *f, int steps_only)
{
    envrefs l = {0};
    if (!steps_only) {
        cval_refs(a, f->meta, &l, "flow settings");
        for (unsigned i = 0; i < f->nresources; i++) {
            const af_resource_def *r = &f->resources[i];
            const char *w = af_sprintf(a, "resource %s", r->name);
            cval_refs(a, r->config, &l, w);
            cval_refs(a, r->options, &l, w);
        }
        for (unsigned i = 0; i < f->nprofiles; i++) {
            const af_profile_def *p = &f->profiles[i];
            int used = 0;
            for (unsigned k = 0; k < f->nresources; k++)
                if (f->resources[k].profile && !strcmp(f->resources[k].profile, p->name)) used = 1;
            if (!used) continue;
            const char *w = af_sprintf(a, "profile %s", p->name);
            cval_refs(a, p->config, &l, w);
            cval_refs(a, p->options, &l, w);
        }
    }
    for (unsigned j = 0; j < f->njobs; j++)
        for (unsigned s = 0; s < f->jobs[j].nsteps; s++) {
            const af_step_def *sd = &f->jobs[j].steps[s];
            const char *w = af_sprintf(a, "step %s/%s (%s:%d:%d)", f->jobs[j].id, sd->id,
                                       sd->loc.file, sd->loc.line, sd->loc.col);
            cval_refs(a, sd->inputs, &l, w);
            cval_refs(a, sd->outputs, &l, w);
        }
    return l;
}

static int cmd_validate_env(af__run *r, const af_flow_def *f)
{
    envrefs l = collect_env_refs(r->arena, f, 0);
    int missing = 0;
    for (size_t i = 0; i < l.n; i++) {
        int dup = 0;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(l.v[k].name, l.v[i].name)) dup = 1;
        if (dup) continue;
        const char *val = env_str(r, l.v[i].name, NULL);
        printf("%-32s %s", l.v[i].name, val ? "set" : "MISSING");
        if (!val) missing++;
        printf("   used by: ");
        int first = 1;
        for (size_t k = 0; k < l.n; k++)
            if (!strcmp(l.v[k].name, l.v[i].name)) {
                printf("%s%s", first ? "" : "; ", l.v[k].where);
                first = 0;
            }
        printf("\n");
    }
    if (!l.n) printf("the flow needs no environment variables without a default\n");
    if (missing) fprintf(stderr, "%d variable%s missing\n", missing, missing == 1 ? "" : "s");
    return missing ? 2 : 0;
}

/* ---- the reference's start-of-run template scan ------------------------------------------ */

/* Before a run the reference validates the flow again, and that includes
 * rendering every step's inputs and outputs with the env it starts with and
 * empty steps/job/result (run_id and flow_id as placeholders, no jobs). Each
 * of the two subtrees is walked in order and the walk stops at its first
 * missing value, so this finds what env values alone make wrong: mixed
 * text whose rendering brings in `{}`, `${`, `{%`..., which stops the run
 * before any job; with AETHERFLOW_VALIDATE_ENV_STRICT=true, also a missing
 * env variable being that first missing value. Returns the number of errors
 * printed. */
static int prerun_scan(af__run *r, const af_flow_def *f, af_value *env0, const char *prog)
{
    af_arena *a = r->arena;
    int strict = env_true(r, "AETHERFLOW_VALIDATE_ENV_STRICT", 0);
    af_value *scope = af_map(a);
    af_map_set(a, scope, "env", env0 ? env0 : r->env);
    af_map_set(a, scope, "steps", af_map(a));
    af_map_set(a, scope, "job", af_map(a));
    af_map_set(a, scope, "run_id", af_str(a, "RUN_ID"));
    af_map_set(a, scope, "flow_id", af_str(a, "FLOW_ID"));
    af_map_set(a, scope, "result", af_map(a));
    int errors = 0;
    for (unsigned j = 0; j < f->njobs; j++)
        for (unsigned k = 0; k < f->jobs[j].nsteps; k++) {
            const af_step_def *sd = &f->jobs[j].steps[k];
            const af_cval *sections[2] = {sd->inputs, sd->outputs};
            for (int i = 0; i < 2; i++) {
                if (!sections[i]) continue;
                af_value *out;
                const char *missing = NULL;
                char err[1024];
                if (af_cval_render(a, sections[i], scope, &out, &missing, err, sizeof err) == 0)
                    continue;
                const char *where = i ? "outputs" : "inputs";
                if (!missing) {
                    fprintf(stderr, "%s:%d:%d: step '%s' (%s): error: %s: %s\n", sd->loc.file,
                            sd->loc.line, sd->loc.col, sd->id, sd->type, where, err);
                    errors++;
                } else if (strict && (!strcmp(missing, "env") || !strncmp(missing, "env.", 4))) {
                    fprintf(stderr, "%s: error: missing env %s (used by step %s/%s %s, %s:%d:%d)\n",
                            prog, missing + (missing[3] ? 4 : 3), f->jobs[j].id, sd->id, where,
                            sd->loc.file, sd->loc.line, sd->loc.col);
                    errors++;
                }
            }
        }
    return errors;
}

/* ---- explain ------------------------------------------------------------------------------ */

static int secret_key(const char *k)
{
    static const char *const words[] = {"password", "passwd", "secret", "token", "passphrase",
                                        "private", "api_key", "apikey", "credential", "auth", NULL};
    char low[128];
    size_t n = 0;
    for (; k[n] && n < sizeof low - 1; n++) low[n] = (char)(k[n] >= 'A' && k[n] <= 'Z' ? k[n] + 32 : k[n]);
    low[n] = 0;
    for (int i = 0; words[i]; i++)
        if (strstr(low, words[i])) return 1;
    return 0;
}

/* 1 when section.path is marked for decoding: true in the bool map, or
 * listed in the section's *_paths list. */
static int decoded_path(const af_value *dec, const char *section, const char *path)
{
    if (!dec) return 0;
    const af_value *paths = af_map_get(dec, !strcmp(section, "config") ? "config_paths"
                                                                       : "options_paths");
    for (size_t i = 0; paths && paths->type == AF_LIST && i < paths->u.list.n; i++) {
        const af_value *p = paths->u.list.items[i];
        if (p->type == AF_STR && !strcmp(p->u.s.ptr, path)) return 1;
    }
    const af_value *cur = af_map_get(dec, section);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *part = strtok_r(buf, ".", &save); part && cur; part = strtok_r(NULL, ".", &save))
        cur = cur->type == AF_MAP ? af_map_get(cur, part) : NULL;
    return cur && cur->type == AF_BOOL && cur->u.b;
}

/* A resource's config or options as JSON, with decoded fields and keys
 * that look secret shown as "***". */
static void print_redacted(af_arena *a, af_buf *b, const af_value *v, const af_value *decode,
                           const char *section, const char *prefix)
{
    if (v->type == AF_LIST) {
        /* decode marks never address list items; secret-looking keys inside do count */
        const char *p = af_sprintf(a, "%s[]", prefix ? prefix : "");
        af_buf_puts(b, "[");
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (i) af_buf_puts(b, ", ");
            print_redacted(a, b, v->u.list.items[i], decode, section, p);
        }
        af_buf_puts(b, "]");
        return;
    }
    if (v->type != AF_MAP) {
        af_json_write(b, v, 0);
        return;
    }
    af_buf_puts(b, "{");
    for (size_t i = 0; i < v->u.map.n; i++) {
        const char *k = v->u.map.pairs[i].key;
        const char *path = prefix ? af_sprintf(a, "%s.%s", prefix, k) : k;
        af_value kv = {.type = AF_STR, .u.s = {k, strlen(k)}};
        if (i) af_buf_puts(b, ", ");
        af_json_write(b, &kv, 0);
        af_buf_puts(b, ": ");
        if (secret_key(k) || decoded_path(decode, section, path))
            af_buf_puts(b, "\"***\"");
        else
            print_redacted(a, b, v->u.map.pairs[i].val, decode, section, path);
    }
    af_buf_puts(b, "}");
}

static int cmd_explain(af__run *r, const af_flow_def *f)
{
    printf("flow %s (built by afc %s from %s, fingerprint %.12s)\n", f->flow_id, f->afc_version,
           f->source, f->fingerprint);
    printf("  workspace: %s/%s/<job>/<run_id> (cleanup %s)\n", r->work_root, r->flow_id, r->cleanup_policy);
    const af_value *st = af_map_get(r->meta, "state");
    printf("  state:     %s\n", af_map_get(st, "path")->u.s.ptr);
    if (f->nresources) printf("resources (resolved now; secrets shown as ***):\n");
    for (unsigned i = 0; i < r->nresources; i++) {
        const af__resource *res = &r->resources[i];
        const af_resource_def *d = res->def;
        printf("  %s: %s/%s%s%s\n", d->name, d->kind, d->driver->name, d->profile ? ", profile " : "",
               d->profile ? d->profile : "");
        const af_value *dec = res->decode;
        af_buf b = {0};
        print_redacted(r->arena, &b, res->config, dec, "config", NULL);
        printf("    config:  %s\n", af_buf_cstr(&b));
        af_buf_reset(&b);
        print_redacted(r->arena, &b, res->options, dec, "options", NULL);
        printf("    options: %s\n", af_buf_cstr(&b));
        af_buf_free(&b);
    }
    printf("jobs, in order:\n");
    for (unsigned j = 0; j < f->njobs; j++) {
        const af_job_def *jd = &f->jobs[j];
        printf("  %u. %s", j + 1, jd->id);
        for (unsigned k = 0; k < jd->ndeps; k++)
            printf("%s%s", k ? ", " : "  after ", f->jobs[jd->depends_on[k]].id);
        printf("\n");
        if (jd->when_src) printf("     when: %s\n", jd->when_src);
        for (unsigned s = 0; s < jd->nsteps; s++)
            printf("     - %s (%s)%s\n", jd->steps[s].id, jd->steps[s].type,
                   jd->steps[s].skip_job_on_no_data ? "  on no data: skip the rest of the job" : "");
    }
    return 0;
}

static int cmd_version(const af_flow_def *f)
{
    printf("flow %s\n", f->flow_id);
    printf("built by afc %s on %s from %s\n", f->afc_version, f->build_time, f->source);
    if (f->bundle_id)
        printf("bundle %s (%s mode, %u embedded file%s)\n", f->bundle_id,
               f->mode ? f->mode : "internal_fast", f->nassets, f->nassets == 1 ? "" : "s");
    printf("bundle fingerprint %s\n", f->fingerprint);
    printf("steps:");
    for (unsigned i = 0; i < f->nstep_types; i++) printf(" %s", f->step_types[i]->name);
    printf("\ndrivers:");
    for (unsigned i = 0; i < f->ndrivers; i++) printf(" %s/%s", f->drivers[i]->kind, f->drivers[i]->name);
    if (!f->ndrivers) printf(" (none)");
    printf("\nlinked libraries: %s\n", f->libs ? f->libs : "");
    return 0;
}

/* ---- main ------------------------------------------------------------------------------------ */

int af_main(const af_flow_def *f, int argc, char **argv)
{
    const char *prog = argc > 0 ? argv[0] : f->flow_id;
    const char *slash = strrchr(prog, '/');
    if (slash) prog = slash + 1;
    if (f->abi != AF_ABI_VERSION) return fatal(prog, "this program was built for another runtime ABI");
    args a = {0};
    a.cmd = "run";
    int i = 1;
    if (argc > 1 && argv[1][0] != '-') a.cmd = argv[i++];
    for (; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) return usage(f, prog, NULL, NULL);
        if (!strcmp(s, "--version")) return cmd_version(f);
        if (!strcmp(s, "--keep-going")) {
            a.keep_going = 1;
        } else if (!strcmp(s, "--json")) {
            a.json = 1;
        } else if (!strcmp(s, "--run-id") || !strcmp(s, "--job")) {
            if (i + 1 >= argc) return usage(f, prog, "%s needs a value", s);
            if (!strcmp(s, "--run-id")) a.run_id = argv[++i];
            else a.job = argv[++i];
        } else if (!strncmp(s, "--run-id=", 9)) {
            a.run_id = s + 9;
        } else if (!strncmp(s, "--job=", 6)) {
            a.job = s + 6;
        } else if (s[0] == '-') {
            return usage(f, prog, "unknown option '%s'", s);
        } else if (!a.arg && !strcmp(a.cmd, "status")) {
            a.arg = s;
        } else {
            return usage(f, prog, "unexpected argument '%s'", s);
        }
    }
    if (strcmp(a.cmd, "run") && strcmp(a.cmd, "status") && strcmp(a.cmd, "explain") &&
        strcmp(a.cmd, "validate-env"))
        return usage(f, prog, "unknown command '%s'", a.cmd);
    if (a.run_id && !valid_id(a.run_id))
        return usage(f, prog, "invalid run id '%s' (letters, digits, '-', '_', '.'; at most 64)", a.run_id);
    if (a.job) {
        int found = 0;
        for (unsigned k = 0; k < f->njobs; k++)
            if (!strcmp(f->jobs[k].id, a.job)) found = 1;
        if (!found) return usage(f, prog, "no job '%s' in this flow", a.job);
    }

    af__run run = {0};
    run.arena = af_arena_new();
    int rc;
    if (!strcmp(a.cmd, "validate-env")) {
        int bad = setup(&run, f, prog, 0, 0, NULL);
        if (!run.env) {
            af_arena_free(run.arena);
            return 2;
        }
        rc = cmd_validate_env(&run, f);
        af_arena_free(run.arena);
        return bad || rc ? 2 : 0;
    }
    int is_status = !strcmp(a.cmd, "status");
    af_value *env0 = NULL;
    rc = setup(&run, f, prog, !is_status, 1, &env0);
    if (rc) {
        if (run.state) af__state_close(run.state);
        af_arena_free(run.arena);
        return rc;
    }
    if (is_status) {
        rc = af__state_print(run.state, stdout, f->flow_id, a.arg, a.json);
        if (rc == 1) fprintf(stderr, "%s: no run '%s' in %s\n", prog, a.arg, af__state_path(run.state));
        af__state_close(run.state);
        af_arena_free(run.arena);
        return rc ? 2 : 0;
    }
    if (!strcmp(a.cmd, "explain")) {
        rc = cmd_explain(&run, f);
        af__state_close(run.state);
        af_arena_free(run.arena);
        return rc;
    }

    /* run */
    if (prerun_scan(&run, f, env0, prog) > 0) {
        af__state_close(run.state);
        af_arena_free(run.arena);
        return 2;
    }
    run.run_id = a.run_id ? a.run_id : new_run_id(run.arena);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    af__run_row row = {run.run_id, f->flow_id, f->fingerprint, f->afc_version, "RUNNING", host,
                       af__now_ms(), 0, (int64_t)getpid()};
    char err[512];
    if (af__state_run_begin(run.state, &row, err, sizeof err) < 0) {
        rc = fatal(prog, af_sprintf(run.arena, "state store: %s", err));
        af__state_close(run.state);
        af_arena_free(run.arena);
        return rc;
    }
    af_kv fl[] = {AF_KS("yaml", f->source), AF_KS("fingerprint", f->fingerprint),
                  AF_KS("afc_version", f->afc_version), AF_KS("state", af__state_path(run.state)),
                  AF_KS("work_root", run.work_root), a.job ? (af_kv)AF_KS("only_job", a.job) : (af_kv){0}, {0}};
    af_kv ctx[] = {AF_KS("flow_id", run.flow_id), AF_KS("run_id", run.run_id), {0}};
    af__log_event(&run.log, AF_INFO, "run_start", ctx, fl);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = af__run_jobs(&run, a.job, a.keep_going);
    if (rc == 130) rc = 128 + (g_cancel ? g_cancel : SIGINT);
    af__state_close(run.state);
    af_arena_free(run.arena);
    return rc;
}
