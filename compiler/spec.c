/*
 * spec.c - stage 3: node tree -> typed flow.
 *
 * Mirrors the reference's pydantic models (FlowSpec, FlowMetaSpec,
 * WorkspaceSpec, StateSpec, LocksSpec, ResourceSpec, JobSpec, StepSpec,
 * ProfileSpec) with their defaults and their lax coercions (an integer field
 * takes "10" and 10.0; a string field takes only strings). Unlike the
 * reference, unknown keys are errors everywhere, with a suggestion: a typo
 * such as `depend_on` would otherwise silently change what a flow does.
 * Every problem is reported; the result is usable by check.c whenever the
 * skeleton (mappings and lists where they belong) is intact.
 */
#include "afc.h"
#include "af_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* flow:          id description workspace state locks
 * workspace:     root cleanup_policy layout
 * state:         backend path
 * locks:         scope ttl_seconds */
static const char *const TOP_KEYS[] = {"version", "flow", "resources", "jobs", NULL};
static const char *const FLOW_KEYS[] = {"id", "description", "workspace", "state", "locks", NULL};
static const char *const WS_KEYS[] = {"root", "cleanup_policy", "layout", NULL};
static const char *const STATE_KEYS[] = {"backend", "path", NULL};
static const char *const LOCKS_KEYS[] = {"scope", "ttl_seconds", NULL};
static const char *const RES_KEYS[] = {"kind", "driver", "profile", "config", "options", "decode",
                                       NULL};
static const char *const JOB_KEYS[] = {"id", "description", "depends_on", "when", "steps", NULL};
static const char *const STEP_KEYS[] = {"id", "type", "inputs", "on_no_data", "outputs", NULL};
static const char *const PROFILE_KEYS[] = {"config", "options", "decode", NULL};

static const char *const CLEANUP[] = {"on_success", "always", "never", NULL};
static const char *const BACKENDS[] = {"sqlite", "file", NULL};
static const char *const SCOPES[] = {"none", "job", "flow", NULL};


/* ---- flow: ------------------------------------------------------------------ */

static af_value *meta_section(af_arena *a, afc_diags *d, const afc_node *n, const char *what,
                              const char *const *keys)
{
    af_value *m = af_map(a);
    if (!n || afc_is_null(n)) return m;
    if (!afc_want_map(d, n, what)) return m;
    afc_unknown_keys(d, n, keys, what);
    return m;
}

static void spec_meta(af_arena *a, afc_diags *d, afc_flow *f, const afc_node *n)
{
    af_value *meta = af_map(a);
    f->meta = meta;
    f->meta_node = n;
    afc_unknown_keys(d, n, FLOW_KEYS, "flow");

    const afc_node *id = afc_map_get(n, "id");
    if (!id) {
        afc_error(d, n->pos, "flow.id is required");
    } else if ((f->id = afc_want_str(d, id, "flow.id"))) {
        f->id_pos = id->pos;
        if (strstr(f->id, "{{") || strstr(f->id, "}}")) {
            afc_error(d, id->pos, "flow.id must be a literal: it names the executable, the "
                                  "workspace and the state rows");
            f->id = NULL;
        } else if (!*f->id) {
            afc_error(d, id->pos, "flow.id must not be empty");
            f->id = NULL;
        }
    }
    af_map_set(a, meta, "id", af_str(a, f->id ? f->id : ""));
    const afc_node *desc = afc_map_get(n, "description");
    const char *ds = afc_opt_str(d, desc, "flow.description");
    af_map_set(a, meta, "description", ds ? af_str(a, ds) : af_null());

    /* workspace */
    const afc_node *wn = afc_map_get(n, "workspace");
    af_value *ws = meta_section(a, d, wn, "flow.workspace", WS_KEYS);
    const afc_node *x;
    const char *s = NULL;
    if (wn && wn->kind == AFC_MAP && (x = afc_map_get(wn, "root"))) s = afc_want_str(d, x, "flow.workspace.root");
    af_map_set(a, ws, "root", af_str(a, s ? s : "/tmp/work"));
    s = NULL;
    if (wn && wn->kind == AFC_MAP && (x = afc_map_get(wn, "cleanup_policy")))
        s = afc_want_enum(d, x, "flow.workspace.cleanup_policy", CLEANUP);
    af_map_set(a, ws, "cleanup_policy", af_str(a, s ? s : "on_success"));
    af_value *layout = af_map(a);
    af_map_set(a, layout, "artifacts", af_str(a, "artifacts"));
    af_map_set(a, layout, "scratch", af_str(a, "scratch"));
    af_map_set(a, layout, "manifests", af_str(a, "manifests"));
    if (wn && wn->kind == AFC_MAP && (x = afc_map_get(wn, "layout")) && !afc_is_null(x) &&
        afc_want_dict(d, x, "flow.workspace.layout")) {
        for (size_t i = 0; i < x->n; i++) {
            if (!afc_is_str(x->keys[i])) continue;
            const char *v = afc_want_str(d, x->items[i], "a workspace.layout entry");
            if (v) af_map_set(a, layout, x->keys[i]->text, af_str(a, v));
        }
    }
    af_map_set(a, ws, "layout", layout);
    af_map_set(a, meta, "workspace", ws);

    /* state */
    const afc_node *sn = afc_map_get(n, "state");
    af_value *st = meta_section(a, d, sn, "flow.state", STATE_KEYS);
    s = NULL;
    if (sn && sn->kind == AFC_MAP && (x = afc_map_get(sn, "backend")))
        s = afc_want_enum(d, x, "flow.state.backend", BACKENDS);
    if (s && strcmp(s, "file") == 0)
        afc_error(d, x->pos, "state backend 'file' is not implemented by the reference either; "
                             "use 'sqlite'");
    af_map_set(a, st, "backend", af_str(a, "sqlite"));
    s = NULL;
    if (sn && sn->kind == AFC_MAP && (x = afc_map_get(sn, "path"))) s = afc_want_str(d, x, "flow.state.path");
    af_map_set(a, st, "path", af_str(a, s ? s : "/tmp/state/aetherflow.sqlite"));
    af_map_set(a, meta, "state", st);

    /* locks */
    const afc_node *ln = afc_map_get(n, "locks");
    af_value *lk = meta_section(a, d, ln, "flow.locks", LOCKS_KEYS);
    s = NULL;
    if (ln && ln->kind == AFC_MAP && (x = afc_map_get(ln, "scope")))
        s = afc_want_enum(d, x, "flow.locks.scope", SCOPES);
    af_map_set(a, lk, "scope", af_str(a, s ? s : "job"));
    int64_t ttl = 3600;
    if (ln && ln->kind == AFC_MAP && (x = afc_map_get(ln, "ttl_seconds")))
        afc_want_int(d, x, "flow.locks.ttl_seconds", &ttl);
    af_map_set(a, lk, "ttl_seconds", af_int(a, ttl));
    af_map_set(a, meta, "locks", lk);
}

/* ---- resources: ------------------------------------------------------------- */

static void spec_resource(afc_diags *d, afc_resource *r, const afc_node *name, const afc_node *n)
{
    r->name = name->text;
    r->pos = name->pos;
    if (!afc_want_map(d, n, "a resource")) return;
    afc_unknown_keys(d, n, RES_KEYS, "a resource");
    const afc_node *x;
    if (!(x = afc_map_get(n, "kind")))
        afc_error(d, name->pos, "resource '%s' has no kind", r->name);
    else
        r->kind = afc_want_str(d, x, "resource kind"), r->kind_node = x;
    if (!(x = afc_map_get(n, "driver")))
        afc_error(d, name->pos, "resource '%s' has no driver", r->name);
    else
        r->driver = afc_want_str(d, x, "resource driver"), r->driver_node = x;
    if ((x = afc_map_get(n, "profile"))) r->profile = afc_opt_str(d, x, "resource profile"), r->profile_node = x;
    if ((x = afc_map_get(n, "config"))) r->config = afc_want_dict(d, x, "resource config");
    if ((x = afc_map_get(n, "options"))) r->options = afc_want_dict(d, x, "resource options");
    if ((x = afc_map_get(n, "decode"))) r->decode = afc_want_dict(d, x, "resource decode");
}

void afc_spec_resource(afc_diags *d, afc_resource *r, const afc_node *name, const afc_node *n)
{
    spec_resource(d, r, name, n);
}

/* ---- jobs: ------------------------------------------------------------------ */

static void spec_step(afc_diags *d, afc_step *s, const afc_node *n)
{
    s->node = n;
    if (!afc_want_map(d, n, "a step")) return;
    afc_unknown_keys(d, n, STEP_KEYS, "a step");
    const afc_node *x;
    if (!(x = afc_map_get(n, "id")))
        afc_error(d, n->pos, "step has no id");
    else if ((s->id = afc_want_str(d, x, "step id")))
        s->id_pos = x->pos;
    if (!(x = afc_map_get(n, "type")))
        afc_error(d, n->pos, "step '%s' has no type", s->id ? s->id : "?");
    else if ((s->type = afc_want_str(d, x, "step type")))
        s->type_pos = x->pos;
    if ((x = afc_map_get(n, "inputs"))) s->inputs = afc_want_dict(d, x, "step inputs");
    if ((x = afc_map_get(n, "outputs"))) s->outputs = afc_want_dict(d, x, "step outputs");
    if ((x = afc_map_get(n, "on_no_data")) && !afc_is_null(x)) {
        static const char *const ond[] = {"skip_job", NULL};
        s->skip_job = afc_want_enum(d, x, "on_no_data", ond) != NULL;
    }
}

static void spec_job(af_arena *a, afc_diags *d, afc_job *j, const afc_node *n)
{
    j->node = n;
    if (!afc_want_map(d, n, "a job")) return;
    afc_unknown_keys(d, n, JOB_KEYS, "a job");
    const afc_node *x;
    if (!(x = afc_map_get(n, "id")))
        afc_error(d, n->pos, "job has no id");
    else if ((j->id = afc_want_str(d, x, "job id")))
        j->id_pos = x->pos;
    if ((x = afc_map_get(n, "description"))) j->description = afc_opt_str(d, x, "job description");
    if ((x = afc_map_get(n, "depends_on")) && afc_want_seq(d, x, "depends_on")) {
        j->deps = x;
        j->ndeps = x->n;
        for (size_t i = 0; i < x->n; i++) afc_want_str(d, x->items[i], "a depends_on entry");
    }
    if ((x = afc_map_get(n, "when")) && !afc_is_null(x)) {
        if ((j->when = afc_want_str(d, x, "when"))) j->when_node = x;
    }
    if (!(x = afc_map_get(n, "steps"))) {
        afc_error(d, n->pos, "job '%s' has no steps", j->id ? j->id : "?");
    } else if (afc_want_seq(d, x, "steps")) {
        j->nsteps = x->n;
        j->steps = af_alloc(a, (x->n ? x->n : 1) * sizeof *j->steps);
        for (size_t i = 0; i < x->n; i++) spec_step(d, &j->steps[i], x->items[i]);
    }
}

afc_flow *afc_spec_flow(af_arena *a, afc_diags *d, const afc_node *root, const char *path)
{
    afc_flow *f = af_alloc(a, sizeof *f);
    f->path = path;
    f->root = root;
    if (root->kind != AFC_MAP) {
        afc_error(d, root->pos, "a flow file must be a mapping with version, flow, resources "
                                "and jobs, not %s",
                  afc_node_what(root));
        return NULL;
    }
    afc_unknown_keys(d, root, TOP_KEYS, "the flow file");
    const afc_node *x;
    if ((x = afc_map_get(root, "version"))) {
        int64_t v;
        if (afc_want_int(d, x, "version", &v) && v != 1) {
            afc_error(d, x->pos, "unsupported flow spec version %lld", (long long)v);
            afc_note(d, x->pos, "afc compiles AetherFlow flow spec version 1");
        }
    }
    if (!(x = afc_map_get(root, "flow"))) {
        afc_error(d, root->pos, "the flow file has no 'flow' section (flow.id is required)");
        f->meta = af_map(a);
    } else if (afc_want_map(d, x, "flow")) {
        spec_meta(a, d, f, x);
    } else {
        f->meta = af_map(a);
    }
    if ((x = afc_map_get(root, "resources")) && afc_want_dict(d, x, "resources")) {
        f->nresources = x->n;
        f->resources = af_alloc(a, (x->n ? x->n : 1) * sizeof *f->resources);
        for (size_t i = 0; i < x->n; i++)
            if (afc_is_str(x->keys[i])) spec_resource(d, &f->resources[i], x->keys[i], x->items[i]);
    }
    if (!(x = afc_map_get(root, "jobs"))) {
        afc_error(d, root->pos, "the flow file has no 'jobs' list");
    } else if (afc_want_seq(d, x, "jobs")) {
        f->njobs = x->n;
        f->jobs = af_alloc(a, (x->n ? x->n : 1) * sizeof *f->jobs);
        for (size_t i = 0; i < x->n; i++) spec_job(a, d, &f->jobs[i], x->items[i]);
    }
    return f;
}

afc_profile *afc_spec_profiles(af_arena *a, afc_diags *d, const afc_node *root, size_t *np)
{
    *np = 0;
    if (afc_is_null(root)) return NULL;
    if (!afc_want_map(d, root, "a profiles file")) return NULL;
    afc_profile *ps = af_alloc(a, (root->n ? root->n : 1) * sizeof *ps);
    size_t k = 0;
    for (size_t i = 0; i < root->n; i++) {
        const afc_node *key = root->keys[i], *n = root->items[i];
        if (!afc_is_str(key)) {
            afc_error(d, key->pos, "profile names must be strings, not %s", afc_node_what(key));
            continue;
        }
        afc_profile *p = &ps[k++];
        p->name = key->text;
        p->pos = key->pos;
        if (!afc_want_map(d, n, "a profile")) continue;
        afc_unknown_keys(d, n, PROFILE_KEYS, "a profile");
        const afc_node *x;
        if ((x = afc_map_get(n, "config"))) p->config = afc_want_dict(d, x, "profile config");
        if ((x = afc_map_get(n, "options"))) p->options = afc_want_dict(d, x, "profile options");
        if ((x = afc_map_get(n, "decode"))) p->decode = afc_want_dict(d, x, "profile decode");
    }
    *np = k;
    return ps;
}
