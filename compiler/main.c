/*
 * main.c - afc's command line: build, validate, explain, list-steps, help,
 * new-step.
 *
 * Each command runs the pipeline as far as it needs: load -> spec -> check
 * for validate and explain; all the way through emit and cc for build.
 * FILE is a flow, or a bundle manifest (a top-level `bundle:` key), which
 * bundle.c expands into its flows, profiles, plugins and assets.
 * Diagnostics are collected and printed gcc style; any error exits 2 and
 * nothing is written.
 */
#include "afc.h"
#include "af_int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char USAGE[] =
    "usage: afc build FILE [-o OUT] [--flow FLOW] [--cc tcc|gcc] [--emit-c DIR] [--Werror]\n"
    "       afc validate FILE [--json] [--Werror]\n"
    "       afc explain FILE\n"
    "       afc list-steps [--json] [--bundle MANIFEST]\n"
    "       afc help STEP [--bundle MANIFEST]\n"
    "       afc new-step NAME [-o FILE]\n"
    "       afc --version\n"
    "\n"
    "FILE is a flow YAML file or a bundle manifest (one executable per flow, written\n"
    "to the directory OUT). See afc(1), afc-flow(5), afc-manifest(5), afc-plugins(7).\n";

typedef struct opts {
    const char *cmd, *file, *out, *cc, *emit_dir, *flow, *bundle;
    int json, werror;
} opts;

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "afc: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", USAGE);
    return 2;
}

/* ---- the front half of the pipeline -------------------------------------------- */

typedef struct unit {
    af_arena *a;
    afc_diags *d;
    afc_catalog *cat;
    afc_flow *flow;
    afc_bundle_ctx bc;
    char fingerprint[65];
} unit;

static int sha256_hex(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) EVP_DigestUpdate(ctx, buf, n);
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    fclose(f);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* Loads FILE's node tree (NULL after reporting). With --Werror, warnings
 * are printed and counted as errors from the start. */
static afc_node *load(unit *u, const char *file, const opts *o)
{
    u->a = af_arena_new();
    u->d = afc_diags_new(u->a);
    afc_diags_set_werror(u->d, o->werror);
    u->cat = afc_catalog_builtin(u->a);
    return afc_load_file(u->a, u->d, file, file);
}

/* Reads and checks the flow FILE (root loaded by load()). Returns 0 when it
 * has no errors. */
static int front(unit *u, const char *file, afc_node *root)
{
    if (!root) return -1;
    u->flow = afc_spec_flow(u->a, u->d, root, file);
    if (!u->flow) return -1;
    afc_check_flow(u->a, u->d, u->flow, u->cat, &u->bc);
    if (sha256_hex(file, u->fingerprint) < 0) u->fingerprint[0] = 0;
    return afc_error_count(u->d) ? -1 : 0;
}

static int finish_diags(unit *u, opts *o)
{
    int errors = afc_error_count(u->d); /* --Werror counts warnings in */
    if (o->json) {
        af_buf b = {0};
        afc_diags_json(u->d, &b);
        printf("%s\n", af_buf_cstr(&b));
        af_buf_free(&b);
    } else {
        afc_diags_print(u->d, stderr);
        if (errors)
            fprintf(stderr, "%d error%s generated.\n", afc_error_count(u->d),
                    afc_error_count(u->d) == 1 ? "" : "s");
    }
    return errors ? 2 : 0;
}

static int build_bundle(opts *o, unit *u, afc_node *root);
static int bundle_front(unit *u, opts *o, afc_node *root, afc_bundle **out);
static void explain_flow(const afc_flow *f, const char *file);

/* ---- build -------------------------------------------------------------------- */

static int write_file_atomic(const char *path, const char *data, size_t len)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    if (fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        unlink(tmp);
        return -1;
    }
    return rename(tmp, path);
}

static void unit_free(unit *u)
{
    af_arena_free(u->a);
    u->a = NULL;
}

static int cmd_build_unit(unit *up, opts *o);

static int cmd_build(opts *o)
{
    unit u = {0};
    int rc = cmd_build_unit(&u, o);
    unit_free(&u);
    return rc;
}

static int cmd_build_unit(unit *up, opts *o)
{
    afc_node *root = load(up, o->file, o);
    if (afc_is_manifest(root)) return build_bundle(o, up, root);
    if (o->flow) return usage_error("%s", "--flow picks a flow of a bundle: FILE must be a manifest");
    int bad = front(up, o->file, root);
    if (bad) return finish_diags(up, o);
    afc_diags_print(up->d, stderr); /* warnings */

    afc_emit_opts eo = {0};
    eo.source = o->file;
    eo.fingerprint = up->fingerprint;
    af_buf code = {0}, libs = {0};
    afc_emit_flow(&code, &libs, up->flow, up->cat, &eo);

    if (o->emit_dir) {
        if (af_mkdirs(o->emit_dir, 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "afc: error: cannot create %s: %s\n", o->emit_dir, strerror(errno));
            return 1;
        }
        char *path = af_sprintf(up->a, "%s/%s.c", o->emit_dir, up->flow->id);
        if (write_file_atomic(path, af_buf_cstr(&code), code.len) < 0) {
            fprintf(stderr, "afc: error: cannot write %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    const char *out = o->out ? o->out : af_sprintf(up->a, "./%s", up->flow->id);
    struct stat st;
    if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) out = af_sprintf(up->a, "%s/%s", out, up->flow->id);
    afc_cc_opts co = {0};
    co.backend = o->cc;
    co.home = afc_home(up->a);
    co.libs = af_buf_cstr(&libs);
    int rc = afc_cc(up->d, af_buf_cstr(&code), code.len, out, &co);
    af_buf_free(&code);
    af_buf_free(&libs);
    if (rc < 0) {
        afc_diags_print(up->d, stderr);
        return 1;
    }
    fprintf(stderr, "afc: built %s (flow %s, fingerprint %.12s)\n", out, up->flow->id, up->fingerprint);
    return 0;
}

/* ---- explain --------------------------------------------------------------------- */

static int explain_unit(unit *up, opts *o);

static int cmd_explain(opts *o)
{
    unit u = {0};
    int rc = explain_unit(&u, o);
    unit_free(&u);
    return rc;
}

static int explain_unit(unit *up, opts *o)
{
    afc_node *root = load(up, o->file, o);
    if (afc_is_manifest(root)) {
        afc_bundle *b;
        if (bundle_front(up, o, root, &b) < 0) return finish_diags(up, o);
        afc_diags_print(up->d, stderr);
        printf("bundle %s (%s mode, fingerprint %s)\n", b->m->id, b->m->mode, b->fingerprint);
        printf("  root: %s\n", b->m->root_dir);
        printf("  profiles: %zu compiled in", b->nprofiles);
        for (size_t i = 0; i < b->nprofiles; i++) printf("%s%s", i ? ", " : " (", b->profiles[i].name);
        printf("%s\n", b->nprofiles ? ")" : "");
        if (b->plugins)
            printf("  plugins: %zu step type%s, %zu driver%s%s%s\n", b->plugins->nsteps,
                   b->plugins->nsteps == 1 ? "" : "s", b->plugins->ndrivers,
                   b->plugins->ndrivers == 1 ? "" : "s",
                   b->plugins->decode_sym ? ", secrets decode hook" : "",
                   b->plugins->expand_env_sym ? ", expand_env hook" : "");
        printf("  env files:");
        for (size_t i = 0; i < b->nenv_files; i++)
            printf(" %s (%s%s)", b->env_files[i].path, b->env_files[i].type,
                   b->env_files[i].optional ? ", optional" : "");
        printf("%s\n  embedded files: %zu\n", b->nenv_files ? "" : " none", b->nassets);
        for (size_t i = 0; i < b->nflows; i++) {
            printf("\n");
            explain_flow(b->flows[i].flow, b->flows[i].label);
        }
        return 0;
    }
    if (front(up, o->file, root) < 0) return finish_diags(up, o);
    afc_diags_print(up->d, stderr);
    explain_flow(up->flow, o->file);
    return 0;
}

static void explain_flow(const afc_flow *f, const char *file)
{
    af_value *ws = af_map_get(f->meta, "workspace"), *st = af_map_get(f->meta, "state");
    printf("flow %s (%s)\n", f->id, file);
    printf("  workspace: %s (cleanup %s)\n", af_map_get(ws, "root")->u.s.ptr,
           af_map_get(ws, "cleanup_policy")->u.s.ptr);
    printf("  state:     %s\n", af_map_get(st, "path")->u.s.ptr);
    if (f->nresources) printf("resources:\n");
    for (size_t i = 0; i < f->nresources; i++) {
        const afc_resource *r = &f->resources[i];
        printf("  %s: %s/%s", r->name, r->kind, r->driver);
        if (r->drv && strcmp(r->drv->name, r->driver)) printf(" (driver %s)", r->drv->name);
        if (r->profile) printf(", profile %s", r->profile);
        printf("\n");
    }
    printf("jobs, in order:\n");
    for (size_t j = 0; j < f->njobs; j++) {
        const afc_job *job = &f->jobs[j];
        printf("  %zu. %s", j + 1, job->id);
        if (job->ndeps) {
            printf("  after ");
            for (size_t k = 0; k < job->ndeps; k++)
                printf("%s%s", k ? ", " : "", f->jobs[job->dep_idx[k]].id);
        }
        printf("\n");
        if (job->when) printf("     when: %s\n", job->when);
        for (size_t s = 0; s < job->nsteps; s++) {
            const afc_step *stp = &job->steps[s];
            printf("     - %s (%s)%s\n", stp->id, stp->type,
                   stp->skip_job ? "  on no data: skip the rest of the job" : "");
        }
    }
}

/* ---- bundles -------------------------------------------------------------------- */

/* Loads the bundle of manifest FILE; 0 when it has no errors. */
static int bundle_front(unit *u, opts *o, afc_node *root, afc_bundle **out)
{
    *out = afc_bundle_load(u->a, u->d, u->cat, o->file, root, o->flow,
                           !strcmp(o->cmd, "build") ? (o->out ? o->out : ".") : NULL,
                           afc_home(u->a));
    return !*out || afc_error_count(u->d) ? -1 : 0;
}

/* afc build MANIFEST: every flow compiled to a temp file in OUT first, then
 * all renamed into place, so a failure leaves nothing behind. */
static int build_bundle(opts *o, unit *u, afc_node *root)
{
    afc_bundle *b;
    if (bundle_front(u, o, root, &b) < 0)
        return finish_diags(u, o);
    afc_diags_print(u->d, stderr); /* warnings */
    const char *dir = o->out ? o->out : ".";
    struct stat st;
    int created = stat(dir, &st) < 0;
    if (!created && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "afc: error: %s is not a directory (a bundle builds one executable per "
                        "flow into -o DIR)\n", dir);
        return 2;
    }
    if (af_mkdirs(dir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "afc: error: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (o->emit_dir && af_mkdirs(o->emit_dir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "afc: error: cannot create %s: %s\n", o->emit_dir, strerror(errno));
        return 1;
    }
    const char **tmps = af_alloc(u->a, (b->nflows + 1) * sizeof *tmps);
    int rc = 0;
    size_t done = 0;
    for (size_t i = 0; i < b->nflows && rc == 0; i++) {
        const afc_bundle_flow *bf = &b->flows[i];
        afc_emit_opts eo;
        afc_bundle_emit_opts(b, bf, &eo);
        af_buf code = {0}, libs = {0};
        afc_emit_flow(&code, &libs, bf->flow, u->cat, &eo);
        if (b->plugins && b->plugins->libs && *b->plugins->libs) {
            if (libs.len) af_buf_putc(&libs, ' ');
            af_buf_puts(&libs, b->plugins->libs);
        }
        if (o->emit_dir) {
            char *path = af_sprintf(u->a, "%s/%s.c", o->emit_dir, bf->flow->id);
            if (write_file_atomic(path, af_buf_cstr(&code), code.len) < 0) {
                fprintf(stderr, "afc: error: cannot write %s: %s\n", path, strerror(errno));
                rc = 1;
            }
        }
        tmps[i] = af_sprintf(u->a, "%s/.%s.afc-new.%d", dir, bf->flow->id, (int)getpid());
        afc_cc_opts co = {0};
        co.backend = o->cc;
        co.home = afc_home(u->a);
        co.libs = af_buf_cstr(&libs);
        if (b->plugins) {
            co.extra_sources = b->plugins->sources;
            co.plugin_includes = b->plugins->include_dirs;
        }
        if (rc == 0 && afc_cc(u->d, af_buf_cstr(&code), code.len, tmps[i], &co) < 0) rc = 1;
        if (rc == 0) done = i + 1;
        af_buf_free(&code);
        af_buf_free(&libs);
    }
    if (rc == 0)
        for (size_t i = 0; i < b->nflows; i++) {
            const char *dest = af_sprintf(u->a, "%s/%s", dir, b->flows[i].flow->id);
            if (rename(tmps[i], dest) < 0) {
                fprintf(stderr, "afc: error: cannot write %s: %s\n", dest, strerror(errno));
                rc = 1;
            }
        }
    if (rc) {
        for (size_t i = 0; i < done; i++) unlink(tmps[i]);
        if (created) rmdir(dir); /* nothing written, not even the directory */
        afc_diags_print(u->d, stderr);
        return rc;
    }
    for (size_t i = 0; i < b->nflows; i++)
        fprintf(stderr, "afc: built %s/%s (flow %s from %s)\n", dir, b->flows[i].flow->id,
                b->flows[i].flow->id, b->flows[i].rel);
    fprintf(stderr, "afc: bundle %s (%s), fingerprint %s\n", b->m->id, b->m->mode, b->fingerprint);
    return 0;
}

/* ---- list-steps and help ------------------------------------------------------------ */

static const char *types_word(unsigned t)
{
    static char buf[96];
    buf[0] = 0;
    static const char *const names[] = {"null", "bool", "int", "number", "string", "list", "map"};
    if (!t || t == AF_TY_ANY) return "any";
    for (int i = 1; i < 7; i++) {
        if (!(t & (1u << i))) continue;
        if (i == AF_INT && (t & AF_TY_DOUBLE)) continue;
        if (buf[0]) strcat(buf, "|");
        strcat(buf, names[i]);
    }
    return buf;
}

static void json_str(af_buf *b, const char *s)
{
    af_value v = {.type = AF_STR, .u.s = {s ? s : "", s ? strlen(s) : 0}};
    if (!s)
        af_buf_puts(b, "null");
    else
        af_json_write(b, &v, 0);
}

/* The catalog list-steps and help describe: the built-in steps, plus with
 * --bundle MANIFEST the steps of the bundle's plugins (compiled in memory as
 * for a build). Returns 0, or 2 after printing why it could not. */
static int catalog_for(opts *o, unit *u)
{
    if (!o->bundle) {
        u->a = af_arena_new();
        u->cat = afc_catalog_builtin(u->a);
        return 0;
    }
    opts bo = {.cmd = "validate", .file = o->bundle, .werror = 0};
    afc_node *root = load(u, o->bundle, &bo);
    if (root && !afc_is_manifest(root)) {
        fprintf(stderr, "afc: error: %s is not a bundle manifest (it has no top-level `bundle:`)\n",
                o->bundle);
        return 2;
    }
    afc_bundle *b = NULL;
    if (!root || bundle_front(u, &bo, root, &b) < 0) {
        if (!b) {
            finish_diags(u, &bo);
            return 2;
        }
        /* describe what loaded, and say the bundle has errors */
        fprintf(stderr, "afc: note: %s has errors; `afc validate %s` shows them\n", o->bundle,
                o->bundle);
    }
    return 0;
}

static int cmd_list_steps(opts *o)
{
    unit u = {0};
    if (catalog_for(o, &u)) return 2;
    af_arena *a = u.a;
    afc_catalog *c = u.cat;
    if (!o->json) {
        size_t w = 0;
        for (size_t i = 0; i < c->nsteps; i++)
            if (strlen(c->steps[i]->name) > w) w = strlen(c->steps[i]->name);
        for (size_t i = 0; i < c->nsteps; i++)
            printf("%-*s  %s\n", (int)w, c->steps[i]->name, c->steps[i]->summary ? c->steps[i]->summary : "");
        af_arena_free(a);
        return 0;
    }
    af_buf b = {0};
    af_buf_puts(&b, "[");
    for (size_t i = 0; i < c->nsteps; i++) {
        const af_step_desc *d = c->steps[i];
        af_buf_puts(&b, i ? ", {\"name\": " : "{\"name\": ");
        json_str(&b, d->name);
        af_buf_puts(&b, ", \"summary\": ");
        json_str(&b, d->summary);
        af_buf_puts(&b, ", \"resource_kinds\": ");
        json_str(&b, d->resource_kinds);
        af_buf_puts(&b, ", \"inputs\": [");
        for (const af_input *in = d->inputs; in && in->name; in++) {
            af_buf_puts(&b, in == d->inputs ? "{\"name\": " : ", {\"name\": ");
            json_str(&b, in->name);
            af_buf_puts(&b, ", \"type\": ");
            json_str(&b, types_word(in->types));
            af_buf_printf(&b, ", \"required\": %s, \"default\": ", in->required ? "true" : "false");
            if (in->def) af_buf_puts(&b, in->def); else af_buf_puts(&b, "null");
            af_buf_puts(&b, ", \"choices\": ");
            json_str(&b, in->choices);
            af_buf_puts(&b, ", \"doc\": ");
            json_str(&b, in->doc);
            af_buf_puts(&b, "}");
        }
        af_buf_puts(&b, "], \"outputs\": [");
        for (const af_output *out = d->outputs; out && out->name; out++) {
            af_buf_puts(&b, out == d->outputs ? "{\"name\": " : ", {\"name\": ");
            json_str(&b, out->name);
            af_buf_puts(&b, ", \"type\": ");
            json_str(&b, out->type);
            af_buf_puts(&b, ", \"doc\": ");
            json_str(&b, out->doc);
            af_buf_puts(&b, "}");
        }
        af_buf_puts(&b, "]}");
    }
    af_buf_puts(&b, "]");
    printf("%s\n", af_buf_cstr(&b));
    af_buf_free(&b);
    af_arena_free(a);
    return 0;
}

static int cmd_help(opts *o, const char *name)
{
    unit u = {0};
    if (catalog_for(o, &u)) return 2;
    af_arena *a = u.a;
    afc_catalog *c = u.cat;
    const af_step_desc *d = afc_catalog_step(c, name, NULL);
    if (!d) {
        fprintf(stderr, "afc: error: unknown step type '%s'\n", name);
        const char *best = NULL;
        int bestd = 100;
        for (size_t i = 0; i < c->nsteps; i++) {
            int dist = af__edit_distance(name, c->steps[i]->name);
            if (dist < bestd) bestd = dist, best = c->steps[i]->name;
        }
        if (best && bestd <= (int)(strlen(name) / 3 + 1)) fprintf(stderr, "afc: note: did you mean '%s'?\n", best);
        if (o->bundle)
            fprintf(stderr, "afc: note: `afc list-steps --bundle %s` shows every step type\n",
                    o->bundle);
        else
            fprintf(stderr, "afc: note: `afc list-steps` shows every step type; add --bundle "
                            "MANIFEST for a bundle's plugin steps\n");
        af_arena_free(a);
        return 2;
    }
    printf("%s - %s\n\n", d->name, d->summary ? d->summary : "");
    if (d->help) printf("%s\n\n", d->help);
    if (d->resource_kinds) printf("Connector kinds for `resource`: %s\n\n", d->resource_kinds);
    printf("Inputs:\n");
    size_t w = 4, tw = 12; /* name and type columns, as wide as their widest entry */
    for (const af_input *in = d->inputs; in && in->name; in++) {
        if (strlen(in->name) > w) w = strlen(in->name);
        if (strlen(types_word(in->types)) > tw) tw = strlen(types_word(in->types));
    }
    for (const af_input *in = d->inputs; in && in->name; in++) {
        printf("  %-*s  %-*s %s", (int)w, in->name, (int)tw, types_word(in->types),
               in->required ? "required" : "optional");
        if (in->def) printf(", default %s", in->def);
        printf("\n");
        if (in->choices) printf("  %-*s  one of: %s\n", (int)w, "", in->choices);
        if (in->doc) printf("  %-*s  %s\n", (int)w, "", in->doc);
    }
    if (!d->inputs || !d->inputs->name) printf("  (none)\n");
    printf("\nOutputs:\n");
    w = 4, tw = 14;
    for (const af_output *out = d->outputs; out && out->name; out++) {
        if (strlen(out->name) > w) w = strlen(out->name);
        if (out->type && strlen(out->type) > tw) tw = strlen(out->type);
    }
    for (const af_output *out = d->outputs; out && out->name; out++)
        printf("  %-*s  %-*s %s\n", (int)w, out->name, (int)tw, out->type ? out->type : "",
               out->doc ? out->doc : "");
    if (!d->outputs || !d->outputs->name) printf("  (none)\n");
    af_arena_free(a);
    return 0;
}

/* ---- command line ----------------------------------------------------------------- */

int main(int argc, char **argv)
{
    opts o = {0};
    if (argc < 2) {
        fputs(USAGE, stderr);
        return 2;
    }
    o.cmd = argv[1];
    if (!strcmp(o.cmd, "--version") || !strcmp(o.cmd, "version")) {
        printf("afc %s\n", AFC_VERSION);
        return 0;
    }
    if (!strcmp(o.cmd, "--help") || !strcmp(o.cmd, "-h")) {
        fputs(USAGE, stdout);
        return 0;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
#define OPT(name, field)                                                                            \
    if (!strcmp(a, name) || (!strncmp(a, name "=", strlen(name) + 1) && (val = a + strlen(name) + 1))) { \
        if (!val) {                                                                                \
            if (i + 1 >= argc) return usage_error("option %s needs a value", name);              \
            val = argv[++i];                                                                       \
        }                                                                                          \
        o.field = val;                                                                             \
        continue;                                                                                  \
    }
        OPT("-o", out);
        OPT("--cc", cc);
        OPT("--emit-c", emit_dir);
        OPT("--flow", flow);
        OPT("--bundle", bundle);
        if (!strcmp(a, "--json")) {
            o.json = 1;
            continue;
        }
        if (!strcmp(a, "--Werror") || !strcmp(a, "-Werror")) {
            o.werror = 1;
            continue;
        }
        if (a[0] == '-' && a[1]) return usage_error("unknown option '%s'", a);
        if (o.file) return usage_error("unexpected argument '%s'", a);
        o.file = a;
    }
    if (!strcmp(o.cmd, "list-steps")) return cmd_list_steps(&o);
    if (!strcmp(o.cmd, "new-step")) {
        if (!o.file) return usage_error("%s", "new-step needs a NAME (the step type)");
        return afc_new_step(o.file, o.out);
    }
    if (!strcmp(o.cmd, "help")) {
        if (!o.file) return usage_error("%s", "help needs a step type");
        return cmd_help(&o, o.file);
    }
    if (strcmp(o.cmd, "build") && strcmp(o.cmd, "validate") && strcmp(o.cmd, "explain"))
        return usage_error("unknown command '%s'", o.cmd);
    if (!o.file) return usage_error("%s needs a FILE", o.cmd);
    if (access(o.file, R_OK) < 0) {
        fprintf(stderr, "afc: error: cannot read %s: %s\n", o.file, strerror(errno));
        return 2;
    }
    if (!strcmp(o.cmd, "build")) return cmd_build(&o);
    if (!strcmp(o.cmd, "explain")) return cmd_explain(&o);
    unit u = {0};
    afc_node *root = load(&u, o.file, &o);
    if (afc_is_manifest(root)) {
        afc_bundle *b;
        bundle_front(&u, &o, root, &b);
    } else if (o.flow) {
        unit_free(&u);
        return usage_error("%s", "--flow picks a flow of a bundle: FILE must be a manifest");
    } else {
        front(&u, o.file, root);
    }
    int rc = finish_diags(&u, &o);
    if (rc == 0 && !o.json) fprintf(stderr, "%s: ok\n", o.file);
    unit_free(&u);
    return rc;
}
