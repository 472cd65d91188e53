/*
 * check.c - stage 4: semantic rules over the typed flow.
 *
 * Everything the reference validates before a run, and what it only finds
 * while running, moved to build time: unique ids; depends_on targets that
 * exist and come earlier; known step types and drivers; required inputs and
 * literal input types; every template parsed with the roots its phase
 * allows (resources and flow settings: env; step inputs and outputs: env
 * steps job jobs run_id flow_id result); `steps.X` naming an earlier step of
 * the same job and `jobs.X` an earlier job; `when` parsed; `resource:`
 * inputs naming a declared resource of the right kind; profiles defined.
 * All problems are reported; nothing stops at the first.
 */
#include "afc.h"
#include "af_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const ENV_ROOTS[] = {"env", NULL};
static const char *const STEP_ROOTS[] = {"env", "steps", "job", "run_id", "flow_id", "result",
                                         "jobs", NULL};

typedef struct ck {
    af_arena *a;
    afc_diags *d;
    afc_flow *f;
    const afc_catalog *cat;
    const afc_bundle_ctx *bc;
    /* where a template is being checked */
    size_t job;          /* index of the job */
    size_t step;         /* index of the step */
    int in_outputs;      /* checking step.outputs (result and the step itself are visible) */
} ck;

/* ---- positions inside scalars ---------------------------------------------------- */

afc_pos afc_pos_in(const afc_node *n, size_t off)
{
    afc_pos pos = n->pos;
    if (!pos.src || n->kind != AFC_SCALAR) return pos;
    /* find the node's first byte in the source */
    const char *t = pos.src->text, *end = t + pos.src->len;
    for (int line = 1; line < pos.line && t < end; t++)
        if (*t == '\n') line++;
    for (int col = 1; col < pos.col && t < end && *t != '\n'; col++) {
        t++;
        while (t < end && ((unsigned char)*t & 0xc0) == 0x80) t++;
    }
    if (t >= end) return pos;
    char q = *t;
    if (q == '|' || q == '>') return pos; /* block scalar: content starts below */
    int quoted = q == '"' || q == '\'';
    const char *s = t + quoted;
    int col = pos.col + quoted;
    size_t done = 0;
    while (done < off && s < end && *s != '\n') {
        if (quoted && *s == q && !(q == '\'' && s + 1 < end && s[1] == '\'')) break;
        if (q == '"' && *s == '\\' && s + 1 < end) {
            s += 2;
        } else if (q == '\'' && *s == '\'' && s + 1 < end && s[1] == '\'') {
            s += 2;
        } else {
            s++;
            while (s < end && ((unsigned char)*s & 0xc0) == 0x80) {
                s++;
                done++;
            }
        }
        done++;
        col++;
    }
    if (done < off) return pos; /* multi-line or unusual: the node itself */
    pos.col = col;
    return pos;
}

/* ---- templates ------------------------------------------------------------------- */

static const char *earlier_step_names(ck *c, const char ***out, size_t *n)
{
    const afc_job *j = &c->f->jobs[c->job];
    size_t lim = c->step + (c->in_outputs ? 1 : 0);
    const char **names = af_alloc(c->a, (lim + 1) * sizeof *names);
    size_t k = 0;
    for (size_t i = 0; i < lim && i < j->nsteps; i++)
        if (j->steps[i].id) names[k++] = j->steps[i].id;
    *out = names;
    *n = k;
    return NULL;
}

static void check_ref(ck *c, const afc_node *n, const af_tmpl_seg *seg, size_t off)
{
    const char *root = seg->parts[0];
    afc_pos pos = afc_pos_in(n, off);
    if (!strcmp(root, "steps")) {
        if (seg->nparts < 2) return;
        const char **names;
        size_t k;
        earlier_step_names(c, &names, &k);
        for (size_t i = 0; i < k; i++)
            if (!strcmp(names[i], seg->parts[1])) return;
        const afc_job *j = &c->f->jobs[c->job];
        int later = 0;
        for (size_t i = 0; i < j->nsteps; i++)
            if (j->steps[i].id && !strcmp(j->steps[i].id, seg->parts[1])) later = 1;
        if (later)
            afc_error(c->d, pos, "'{{%s}}' refers to step '%s', which does not run before this "
                                 "step",
                      seg->text, seg->parts[1]);
        else
            afc_error(c->d, pos, "'{{%s}}' refers to step '%s', which is not in job '%s'",
                      seg->text, seg->parts[1], j->id ? j->id : "?");
        afc_note_suggest(c->d, pos, seg->parts[1], names);
        if (!later) afc_note(c->d, pos, "steps.<id> reads outputs of earlier steps of the same "
                                        "job; use jobs.<job>.outputs.<key> across jobs");
    } else if (!strcmp(root, "jobs")) {
        if (seg->nparts < 2) return;
        const char **names = af_alloc(c->a, (c->job + 1) * sizeof *names);
        size_t k = 0;
        for (size_t i = 0; i < c->job; i++) {
            if (!c->f->jobs[i].id) continue;
            if (!strcmp(c->f->jobs[i].id, seg->parts[1])) return;
            names[k++] = c->f->jobs[i].id;
        }
        afc_error(c->d, pos, "'{{%s}}' refers to job '%s', which is not an earlier job",
                  seg->text, seg->parts[1]);
        afc_note_suggest(c->d, pos, seg->parts[1], names);
    } else if (!strcmp(root, "job")) {
        if (seg->nparts >= 2 && strcmp(seg->parts[1], "id") && strcmp(seg->parts[1], "outputs") &&
            !seg->def)
            afc_error(c->d, pos, "'job' has 'id' and 'outputs' only, not '%s'", seg->parts[1]);
    } else if (!strcmp(root, "run_id") || !strcmp(root, "flow_id")) {
        if (seg->nparts > 1 && !seg->def)
            afc_error(c->d, pos, "'%s' is a string and has no '%s'", root, seg->parts[1]);
    } else if (!strcmp(root, "result")) {
        if (!c->in_outputs && !seg->def) {
            afc_error(c->d, pos, "'{{%s}}' is always missing here: 'result' holds the step's "
                                 "outputs only under `outputs:`",
                      seg->text);
        }
    }
}

/* Parses one string of a templated phase; reports syntax errors and bad
 * references. Returns 1 if it is a template. */
static int check_string(ck *c, const afc_node *n, const char *const *roots)
{
    af_tmpl *t;
    size_t errpos = 0;
    char err[512];
    int rc = af_tmpl_parse(c->a, n->text, n->len, roots, &t, &errpos, err, sizeof err);
    if (rc < 0) {
        char *nl = strchr(err, '\n');
        afc_pos pos = afc_pos_in(n, errpos);
        if (nl) *nl = 0;
        afc_error(c->d, pos, "%s", err);
        if (nl) afc_note(c->d, pos, "%s", nl + 1);
        return 0;
    }
    if (rc == 0 || roots == ENV_ROOTS) return rc;
    /* reference offsets: find each REF's path in the text to place carets */
    size_t from = 0;
    for (unsigned i = 0; i < t->nsegs; i++) {
        if (t->segs[i].kind != AF_SEG_REF) continue;
        const char *at = strstr(n->text + from, t->segs[i].text);
        size_t off = at ? (size_t)(at - n->text) : 0;
        if (at) from = off + t->segs[i].len;
        check_ref(c, n, &t->segs[i], off);
    }
    return 1;
}

/* Walks a value subtree checking every string. */
static void check_tree(ck *c, const afc_node *n, const char *const *roots)
{
    if (!n) return;
    if (n->kind == AFC_SCALAR) {
        if (n->type == AF_STR) check_string(c, n, roots);
        return;
    }
    for (size_t i = 0; i < n->n; i++) check_tree(c, n->items[i], roots);
}

/* ---- af_check: the descriptors' build-time hooks ----------------------------------- */

typedef struct ckhook {
    af_check base; /* first: af_check_* receive &base */
    ck *c;
    const afc_node *inputs;   /* inputs mapping node */
    afc_pos fallback;
    const af_value **tmpls;   /* strings that are templates */
    size_t ntmpls, cap;
    const char *step_type;
} ckhook;

static af_value *node_to_checked_value(ckhook *k, const afc_node *n)
{
    af_arena *a = k->c->a;
    if (n->kind == AFC_SCALAR) {
        af_value *v = afc_node_value(a, n);
        if (n->type == AF_STR && (strstr(n->text, "{{") || strstr(n->text, "}}"))) {
            if (k->ntmpls == k->cap) {
                size_t cap = k->cap ? k->cap * 2 : 8;
                const af_value **t = af_alloc(a, cap * sizeof *t);
                if (k->ntmpls) memcpy(t, k->tmpls, k->ntmpls * sizeof *t);
                k->tmpls = t;
                k->cap = cap;
            }
            k->tmpls[k->ntmpls++] = v;
        }
        return v;
    }
    if (n->kind == AFC_SEQ) {
        af_value *l = af_list(a);
        for (size_t i = 0; i < n->n; i++) af_list_push(a, l, node_to_checked_value(k, n->items[i]));
        return l;
    }
    af_value *m = af_map(a);
    for (size_t i = 0; i < n->n; i++) {
        af_buf key = {0};
        af_py_str(&key, afc_node_value(a, n->keys[i]));
        af_map_set(a, m, af_buf_cstr(&key), node_to_checked_value(k, n->items[i]));
        af_buf_free(&key);
    }
    return m;
}

/* The node at dotted path under the inputs, or the nearest existing parent. */
static afc_pos path_pos(ckhook *k, const char *path)
{
    const afc_node *n = k->inputs;
    afc_pos best = k->fallback;
    if (!n || !path) return best;
    best = n->pos;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *part = strtok(buf, "."); part && n; part = strtok(NULL, ".")) {
        const afc_node *key = NULL, *val = NULL;
        if (n->kind == AFC_MAP)
            for (size_t i = 0; i < n->n; i++)
                if (n->keys[i]->kind == AFC_SCALAR && !strcmp(n->keys[i]->text, part)) {
                    key = n->keys[i];
                    val = n->items[i];
                }
        if (!val) break;
        best = (val->kind == AFC_SCALAR) ? val->pos : key->pos;
        n = val;
    }
    return best;
}

static void hook_report(af_check *base, int is_error, const char *input_path, const char *msg)
{
    ckhook *k = (ckhook *)base;
    /* messages may already name the step type, as the reference's do */
    size_t tl = strlen(k->step_type);
    const char *sep = !strncmp(msg, k->step_type, tl) && msg[tl] == ' ' ? "" : ": ";
    const char *prefix = *sep ? k->step_type : "";
    if (is_error)
        afc_error(k->c->d, path_pos(k, input_path), "%s%s%s", prefix, sep, msg);
    else
        afc_warning(k->c->d, path_pos(k, input_path), "%s%s%s", prefix, sep, msg);
}

static int hook_is_template(af_check *base, const af_value *v)
{
    ckhook *k = (ckhook *)base;
    for (size_t i = 0; i < k->ntmpls; i++)
        if (k->tmpls[i] == v) return 1;
    return 0;
}

static const af__check_ops HOOK_OPS = {hook_report, hook_is_template};

/* ---- steps ----------------------------------------------------------------------- */

static int is_template_node(const afc_node *n)
{
    return n->kind == AFC_SCALAR && n->type == AF_STR &&
           (strstr(n->text, "{{") || strstr(n->text, "}}"));
}

static af_type node_type(const afc_node *n)
{
    if (n->kind == AFC_SEQ) return AF_LIST;
    if (n->kind == AFC_MAP) return AF_MAP;
    return n->type;
}

static const char *types_text(af_arena *a, unsigned types)
{
    static const char *const names[] = {"null", "a boolean", "an integer", "a number", "a string",
                                        "a list", "a mapping"};
    af_buf b = {0};
    int first = 1;
    for (int t = 0; t < 7; t++) {
        if (!(types & (1u << t))) continue;
        if (t == AF_INT && (types & AF_TY_DOUBLE)) continue;
        if (t == AF_NULL) continue;
        af_buf_printf(&b, "%s%s", first ? "" : " or ", names[t]);
        first = 0;
    }
    char *s = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return s;
}

/* A literal value against an input's declared types, with the coercions the
 * runtime applies (str() of scalars, int("5"), true/false words). */
static void check_literal(ck *c, const af_input *in, const afc_node *v, const char *stype)
{
    if (is_template_node(v)) return; /* checked at run time, after rendering */
    af_type t = node_type(v);
    unsigned types = in->types ? in->types : AF_TY_ANY;
    int ok = (types & (1u << t)) != 0;
    if (!ok && t == AF_INT && (types & AF_TY_DOUBLE)) ok = 1;
    if (!ok && v->kind == AFC_SCALAR && t != AF_NULL) {
        af_value *val = afc_node_value(c->a, v);
        int64_t i;
        double d;
        int b;
        if ((types & AF_TY_STR) && t != AF_LIST && t != AF_MAP) ok = 1;
        else if ((types & AF_TY_INT) && af_to_int(val, &i) == 0 && t != AF_DOUBLE) ok = 1;
        else if ((types & AF_TY_DOUBLE) && af_to_double(val, &d) == 0) ok = 1;
        else if ((types & AF_TY_BOOL) && af_to_bool(val, &b) == 0) ok = 1;
    }
    if (!ok && t == AF_NULL && !in->required) ok = 1; /* null means "use the default" */
    if (!ok) {
        afc_error(c->d, v->pos, "%s: input '%s' must be %s, not %s", stype, in->name,
                  types_text(c->a, types), afc_node_what(v));
        return;
    }
    if (in->choices && v->kind == AFC_SCALAR && v->type == AF_STR) {
        const char *p = in->choices;
        size_t len = strlen(v->text);
        while (*p) {
            const char *bar = strchr(p, '|');
            size_t l = bar ? (size_t)(bar - p) : strlen(p);
            if (l == len && !strncmp(p, v->text, l)) return;
            p += l + (bar ? 1 : 0);
        }
        afc_error(c->d, v->pos, "%s: input '%s' must be one of %s, not '%s'", stype, in->name,
                  in->choices, v->text);
    }
}

static void check_resource_input(ck *c, const af_step_desc *desc, const afc_node *v)
{
    if (is_template_node(v) || v->kind != AFC_SCALAR || v->type != AF_STR) return;
    const afc_resource *r = NULL;
    for (size_t i = 0; i < c->f->nresources; i++)
        if (c->f->resources[i].name && !strcmp(c->f->resources[i].name, v->text))
            r = &c->f->resources[i];
    if (!r) {
        /* steps with a fallback (archive_default, ad-hoc) accept an absent resource only
         * when it is not named; a named one must exist */
        afc_error(c->d, v->pos, "%s: resource '%s' is not declared in `resources:`", desc->name,
                  v->text);
        const char **names = af_alloc(c->a, (c->f->nresources + 1) * sizeof *names);
        for (size_t i = 0; i < c->f->nresources; i++) names[i] = c->f->resources[i].name;
        afc_note_suggest(c->d, v->pos, v->text, names);
        return;
    }
    if (desc->resource_kinds && r->kind) {
        const char *p = desc->resource_kinds;
        size_t kl = strlen(r->kind);
        while (*p) {
            const char *bar = strchr(p, '|');
            size_t l = bar ? (size_t)(bar - p) : strlen(p);
            if (l == kl && !strncmp(p, r->kind, l)) return;
            p += l + (bar ? 1 : 0);
        }
        afc_error(c->d, v->pos, "%s: resource '%s' is of kind '%s'; this step needs kind %s",
                  desc->name, v->text, r->kind, desc->resource_kinds);
        afc_note(c->d, r->pos, "'%s' is declared here", r->name);
    }
}

static void check_step_inputs(ck *c, const af_step_desc *desc, const afc_node *inputs,
                              afc_pos where, int depth);

static const char **step_names(ck *c)
{
    const char **names = af_alloc(c->a, (c->cat->nsteps + 1) * sizeof *names);
    for (size_t i = 0; i < c->cat->nsteps; i++) names[i] = c->cat->steps[i]->name;
    return names;
}

/* with_lock and friends: the `step` input holds {id, type, inputs}. */
static void check_nested(ck *c, const afc_node *n, int depth)
{
    if (n->kind != AFC_MAP) return; /* type error already reported */
    static const char *const keys[] = {"id", "type", "inputs", NULL};
    for (size_t i = 0; i < n->n; i++) {
        const afc_node *k = n->keys[i];
        int ok = 0;
        for (const char *const *a = keys; *a; a++)
            if (k->kind == AFC_SCALAR && !strcmp(k->text, *a)) ok = 1;
        if (!ok) {
            afc_error(c->d, k->pos, "unknown key '%s' in a nested step", k->text);
            afc_note_suggest(c->d, k->pos, k->text, keys);
        }
    }
    const afc_node *type = afc_map_get(n, "type");
    if (!type) {
        afc_error(c->d, n->pos, "the nested step has no type");
        return;
    }
    if (type->kind != AFC_SCALAR || type->type != AF_STR) {
        afc_error(c->d, type->pos, "step type must be a string");
        return;
    }
    const af_step_desc *desc = afc_catalog_step(c->cat, type->text, NULL);
    if (!desc) {
        afc_error(c->d, type->pos, "unknown step type '%s'", type->text);
        afc_note_suggest(c->d, type->pos, type->text, step_names(c));
        return;
    }
    const afc_node *inputs = afc_map_get(n, "inputs");
    if (inputs && inputs->kind != AFC_MAP) {
        afc_error(c->d, inputs->pos, "nested step inputs must be a mapping");
        return;
    }
    check_step_inputs(c, desc, inputs, type->pos, depth + 1);
}

static void check_step_inputs(ck *c, const af_step_desc *desc, const afc_node *inputs,
                              afc_pos where, int depth)
{
    if (depth > 8) {
        afc_error(c->d, where, "steps nested too deeply");
        return;
    }
    /* required and typed inputs */
    for (const af_input *in = desc->inputs; in && in->name; in++) {
        const afc_node *v = inputs ? afc_map_get(inputs, in->name) : NULL;
        if (!v) {
            if (in->required) {
                afc_error(c->d, where, "%s: missing required input '%s'", desc->name, in->name);
                if (in->doc) afc_note(c->d, where, "%s: %s", in->name, in->doc);
            }
            continue;
        }
        check_literal(c, in, v, desc->name);
        /* `connector` is the archive steps' other name for the resource */
        if (!strcmp(in->name, "resource") || !strcmp(in->name, "connector"))
            check_resource_input(c, desc, v);
        if ((desc->flags & AF_STEP_NESTED_STEP) && !strcmp(in->name, "step")) check_nested(c, v, depth);
    }
    /* unknown inputs: the reference ignores them; a typo deserves a warning */
    if (inputs && !(desc->flags & AF_STEP_OPEN_INPUTS)) {
        size_t n = 0;
        for (const af_input *in = desc->inputs; in && in->name; in++) n++;
        const char **names = af_alloc(c->a, (n + 1) * sizeof *names);
        for (size_t i = 0; i < n; i++) names[i] = desc->inputs[i].name;
        for (size_t i = 0; i < inputs->n; i++) {
            const afc_node *k = inputs->keys[i];
            if (k->kind != AFC_SCALAR) continue;
            int known = 0;
            for (size_t j = 0; j < n; j++)
                if (!strcmp(names[j], k->text)) known = 1;
            if (!known) {
                afc_warning(c->d, k->pos, "%s: unknown input '%s' is ignored", desc->name, k->text);
                afc_note_suggest(c->d, k->pos, k->text, names);
            }
        }
    }
    /* the descriptor's own rules */
    if (desc->check && inputs) {
        ckhook k = {0};
        k.base.ops = &HOOK_OPS;
        k.c = c;
        k.inputs = inputs;
        k.fallback = where;
        k.step_type = desc->name;
        af_value *v = node_to_checked_value(&k, inputs);
        desc->check(&k.base, v);
    }
}


static void check_step(ck *c, afc_job *j, size_t si)
{
    afc_step *s = &j->steps[si];
    c->step = si;
    if (!s->type) return;
    s->desc = afc_catalog_step(c->cat, s->type, NULL);
    if (!s->desc) {
        afc_error(c->d, s->type_pos, "unknown step type '%s'", s->type);
        afc_note_suggest(c->d, s->type_pos, s->type, step_names(c));
        afc_note(c->d, s->type_pos, "`afc list-steps` shows the step types afc knows; a "
                                    "bundle's plugins_dir can add more (`afc list-steps "
                                    "--bundle MANIFEST`)");
    } else {
        check_step_inputs(c, s->desc, s->inputs, afc_key_pos(s->node, "inputs", s->type_pos), 0);
    }
    c->in_outputs = 0;
    check_tree(c, s->inputs, STEP_ROOTS);
    c->in_outputs = 1;
    check_tree(c, s->outputs, STEP_ROOTS);
    c->in_outputs = 0;
}

/* ---- resources ---------------------------------------------------------------------- */

/* decode: {config: {k: true}}, {options: ...}, {config_paths: [..]}, {options_paths: [..]} */
static void check_decode_map(ck *c, const afc_node *n, int top)
{
    for (size_t i = 0; i < n->n; i++) {
        const afc_node *v = n->items[i];
        if (v->kind == AFC_MAP) {
            check_decode_map(c, v, 0);
        } else if (v->kind == AFC_SCALAR && (v->type == AF_BOOL || v->type == AF_NULL)) {
            /* true marks a path to decode; false/null do nothing */
        } else if (!top) {
            afc_error(c->d, v->pos, "decode entries must be true, false or a nested mapping, "
                                    "not %s",
                      afc_node_what(v));
        }
    }
}

static const afc_node *node_at_path(const afc_node *root, const char *path)
{
    const afc_node *n = root;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *part = strtok(buf, "."); part; part = strtok(NULL, ".")) {
        if (!n || n->kind != AFC_MAP) return NULL;
        n = afc_map_get(n, part);
    }
    return n;
}

static void decode_target(ck *c, const afc_resource *r, const char *section, const char *path,
                          afc_pos where)
{
    const afc_node *root = !strcmp(section, "config") ? r->config : r->options;
    const afc_node *v = root ? node_at_path(root, path) : NULL;
    if (!v || v->kind != AFC_SCALAR || v->type != AF_STR) return;
    if (!is_template_node(v)) return;
    af_tmpl *t;
    if (af_tmpl_parse(c->a, v->text, v->len, NULL, &t, NULL, NULL, 0) == 1 && t->standalone) return;
    afc_error(c->d, v->pos, "decode target must be a standalone template token like "
                            "'{{env.TOKEN}}' (no prefix or suffix)");
    afc_note(c->d, where, "decoding of %s.%s is requested here", section, path);
}

static void walk_decode_targets(ck *c, const afc_resource *r, const afc_node *n,
                                const char *section, const char *prefix)
{
    for (size_t i = 0; i < n->n; i++) {
        const afc_node *k = n->keys[i], *v = n->items[i];
        if (k->kind != AFC_SCALAR) continue;
        char *path = prefix ? af_sprintf(c->a, "%s.%s", prefix, k->text) : af_strdup(c->a, k->text);
        if (v->kind == AFC_MAP)
            walk_decode_targets(c, r, v, section, path);
        else if (v->kind == AFC_SCALAR && v->type == AF_BOOL && v->b)
            decode_target(c, r, section, path, k->pos);
    }
}

static void check_decode(ck *c, const afc_resource *r)
{
    const afc_node *d = r->decode;
    if (!d) return;
    static const char *const keys[] = {"config", "options", "config_paths", "options_paths", NULL};
    for (size_t i = 0; i < d->n; i++) {
        const afc_node *k = d->keys[i], *v = d->items[i];
        if (k->kind != AFC_SCALAR) continue;
        if (!strcmp(k->text, "config") || !strcmp(k->text, "options")) {
            if (v->kind == AFC_MAP) {
                check_decode_map(c, v, 0);
                walk_decode_targets(c, r, v, k->text, NULL);
            } else if (!(v->kind == AFC_SCALAR && v->type == AF_NULL)) {
                afc_error(c->d, v->pos, "decode.%s must be a mapping of keys to true", k->text);
            }
        } else if (!strcmp(k->text, "config_paths") || !strcmp(k->text, "options_paths")) {
            if (v->kind != AFC_SEQ) {
                afc_error(c->d, v->pos, "decode.%s must be a list of dotted paths", k->text);
                continue;
            }
            for (size_t j = 0; j < v->n; j++) {
                const afc_node *p = v->items[j];
                if (p->kind != AFC_SCALAR || p->type != AF_STR || !p->len) {
                    afc_error(c->d, p->pos, "decode.%s entries must be non-empty strings", k->text);
                    continue;
                }
                decode_target(c, r, k->text[0] == 'c' ? "config" : "options", p->text, p->pos);
            }
        } else {
            afc_warning(c->d, k->pos, "decode key '%s' is ignored", k->text);
            afc_note_suggest(c->d, k->pos, k->text, keys);
        }
    }
}

static void check_resource(ck *c, afc_resource *r)
{
    if (r->kind && r->driver) {
        r->drv = afc_catalog_driver(c->cat, r->kind, r->driver, NULL);
        if (!r->drv) {
            const char **names = af_alloc(c->a, (c->cat->ndrivers + 1) * sizeof *names);
            size_t k = 0;
            int kind_known = 0;
            for (size_t i = 0; i < c->cat->ndrivers; i++)
                if (!strcmp(c->cat->drivers[i]->kind, r->kind)) {
                    names[k++] = c->cat->drivers[i]->name;
                    kind_known = 1;
                }
            if (kind_known) {
                afc_error(c->d, r->driver_node->pos, "unknown %s driver '%s'", r->kind, r->driver);
                afc_note_suggest(c->d, r->driver_node->pos, r->driver, names);
                af_buf b = {0};
                for (size_t i = 0; i < k; i++) af_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
                afc_note(c->d, r->driver_node->pos, "%s drivers: %s", r->kind, af_buf_cstr(&b));
                af_buf_free(&b);
            } else {
                afc_error(c->d, r->kind_node->pos, "no driver of kind '%s' is built in or in the "
                                                   "bundle's plugins",
                          r->kind);
                for (size_t i = 0; i < c->cat->ndrivers; i++) names[i] = c->cat->drivers[i]->kind;
                names[c->cat->ndrivers] = NULL;
                afc_note_suggest(c->d, r->kind_node->pos, r->kind, names);
            }
        }
        if (r->drv && c->bc && c->bc->enterprise && !strcmp(r->kind, "archive")) {
            int allowed = 0;
            for (const char *const *z = c->bc->zip_drivers; z && *z; z++)
                if (!strcmp(*z, r->driver)) allowed = 1;
            if (!allowed)
                afc_error(c->d, r->driver_node->pos, "enterprise mode allows archive drivers "
                                                     "from the manifest's zip_drivers only; '%s' "
                                                     "is not listed",
                          r->driver);
        }
    }
    if (r->profile && c->bc) {
        int found = 0;
        for (size_t i = 0; i < c->bc->nprofiles; i++)
            if (!strcmp(c->bc->profiles[i].name, r->profile)) found = 1;
        if (!found) {
            afc_warning(c->d, r->profile_node->pos, "profile '%s' is not defined in the bundle; "
                                                    "it must come from AETHERFLOW_PROFILES_JSON "
                                                    "or AETHERFLOW_PROFILES_FILE at run time",
                        r->profile);
            const char **names = af_alloc(c->a, (c->bc->nprofiles + 1) * sizeof *names);
            for (size_t i = 0; i < c->bc->nprofiles; i++) names[i] = c->bc->profiles[i].name;
            afc_note_suggest(c->d, r->profile_node->pos, r->profile, names);
        }
    }
    check_tree(c, r->config, ENV_ROOTS);
    check_tree(c, r->options, ENV_ROOTS);
    check_decode(c, r);
}

/* ---- jobs ------------------------------------------------------------------------------ */

static void check_job(ck *c, size_t ji)
{
    afc_job *j = &c->f->jobs[ji];
    c->job = ji;
    /* depends_on */
    if (j->deps) {
        j->dep_idx = af_alloc(c->a, (j->ndeps ? j->ndeps : 1) * sizeof *j->dep_idx);
        for (size_t k = 0; k < j->ndeps; k++) {
            const afc_node *dn = j->deps->items[k];
            j->dep_idx[k] = -1;
            if (dn->kind != AFC_SCALAR || dn->type != AF_STR) continue;
            size_t found = (size_t)-1;
            for (size_t i = 0; i < c->f->njobs; i++)
                if (c->f->jobs[i].id && !strcmp(c->f->jobs[i].id, dn->text) && found == (size_t)-1) found = i;
            if (found == (size_t)-1) {
                afc_error(c->d, dn->pos, "job '%s' depends on unknown job '%s'",
                          j->id ? j->id : "?", dn->text);
                const char **names = af_alloc(c->a, (c->f->njobs + 1) * sizeof *names);
                for (size_t i = 0; i < c->f->njobs; i++) names[i] = c->f->jobs[i].id;
                afc_note_suggest(c->d, dn->pos, dn->text, names);
            } else if (found == ji) {
                afc_error(c->d, dn->pos, "job '%s' depends on itself", dn->text);
            } else if (found > ji) {
                afc_error(c->d, dn->pos, "job '%s' depends on '%s', which appears after it; "
                                         "reorder jobs",
                          j->id ? j->id : "?", dn->text);
                afc_note(c->d, c->f->jobs[found].id_pos, "'%s' is defined here", dn->text);
            } else {
                j->dep_idx[k] = (int)found;
            }
        }
    }
    /* when */
    if (j->when) {
        const char **earlier = af_alloc(c->a, (ji + 1) * sizeof *earlier);
        size_t k = 0;
        for (size_t i = 0; i < ji; i++)
            if (c->f->jobs[i].id) earlier[k++] = c->f->jobs[i].id;
        j->when_ast = afc_when_parse(c->a, c->d, j->when_node, j->when, earlier, k);
    }
    /* steps: unique ids, then each */
    for (size_t i = 0; i < j->nsteps; i++) {
        afc_step *s = &j->steps[i];
        if (!s->id) continue;
        for (size_t k = 0; k < i; k++)
            if (j->steps[k].id && !strcmp(j->steps[k].id, s->id)) {
                afc_error(c->d, s->id_pos, "duplicate step id '%s' in job '%s'", s->id,
                          j->id ? j->id : "?");
                afc_note(c->d, j->steps[k].id_pos, "first used here");
                break;
            }
    }
    for (size_t i = 0; i < j->nsteps; i++) check_step(c, j, i);
}

void afc_check_flow(af_arena *a, afc_diags *d, afc_flow *f, const afc_catalog *cat,
                    const afc_bundle_ctx *bc)
{
    ck c = {a, d, f, cat, bc, 0, 0, 0};
    /* flow settings: env only */
    if (f->meta_node) {
        static const char *const sections[] = {"description", "workspace", "state", "locks", NULL};
        for (const char *const *s = sections; *s; s++) check_tree(&c, afc_map_get(f->meta_node, *s), ENV_ROOTS);
    }
    for (size_t i = 0; i < f->nresources; i++) {
        afc_resource *r = &f->resources[i];
        if (r->name && !r->shared) check_resource(&c, r);
    }
    for (size_t i = 0; i < f->njobs; i++) {
        afc_job *j = &f->jobs[i];
        if (!j->id) continue;
        for (size_t k = 0; k < i; k++)
            if (f->jobs[k].id && !strcmp(f->jobs[k].id, j->id)) {
                afc_error(d, j->id_pos, "duplicate job id '%s'", j->id);
                afc_note(d, f->jobs[k].id_pos, "first used here");
                break;
            }
    }
    for (size_t i = 0; i < f->njobs; i++) check_job(&c, i);
}

void afc_check_profiles(af_arena *a, afc_diags *d, const afc_profile *p, size_t n)
{
    afc_flow none = {0};
    ck c = {a, d, &none, NULL, NULL, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        /* a profile is checked as the resource settings it overlays */
        afc_resource r = {0};
        r.name = p[i].name;
        r.pos = p[i].pos;
        r.config = p[i].config;
        r.options = p[i].options;
        r.decode = p[i].decode;
        check_tree(&c, r.config, ENV_ROOTS);
        check_tree(&c, r.options, ENV_ROOTS);
        check_decode(&c, &r);
    }
}
