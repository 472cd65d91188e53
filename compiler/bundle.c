/*
 * bundle.c - stage 2: a bundle manifest and everything it names.
 *
 * `afc build manifest.yaml` compiles a whole bundle: the manifest (the
 * reference's BundleManifestSpec, read as strictly as spec.c reads flows),
 * the profiles file (compiled in), the C plugins (plugin.c: the catalog
 * grows), the env files and every other file of the bundle (embedded as
 * assets), and each flow to build, checked with the manifest's resources
 * merged under its own. Everything read is fingerprinted:
 *
 *   sha256 over the input files sorted by name, each as
 *   name NUL decimal-size NUL content
 *
 * where name is the path relative to the bundle root (the manifest and
 * trusted plugin files outside the root: their path as given). The
 * fingerprint is printed, embedded, shown by --version and stored with
 * each run.
 *
 * The bundle root is the manifest's directory joined with
 * bundle.source.base_path for filesystem sources; sftp and smb sources are
 * fetched into afc's cache first (fetch.c). Layout paths, entry_flow and relative env
 * files are relative to the root and may not leave it.
 */
#include "afc.h"
#include "af_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const TOP_KEYS[] = {"version", "mode",        "bundle",    "resources",
                                       "paths",   "zip_drivers", "env_files", NULL};
static const char *const BUNDLE_KEYS[] = {"id",         "source",       "layout",
                                          "entry_flow", "fetch_policy", NULL};
static const char *const SOURCE_KEYS[] = {
    "type",         "resource",           "base_path", "bundle",
    "list_sql",     "fetch_sql",          "list_path", "fetch_path",
    "prefix_param", "strict_fingerprint", NULL};
static const char *const LAYOUT_KEYS[] = {"flows_dir", "profiles_file", "plugins_dir", NULL};
static const char *const PATHS_KEYS[] = {"plugins", NULL};
static const char *const ENVFILE_KEYS[] = {"type", "format", "path", "optional", "prefix", NULL};
static const char *const MODES[] = {"internal_fast", "enterprise", NULL};
static const char *const SOURCE_TYPES[] = {"filesystem", "sftp", "smb", "db", "rest", NULL};
static const char *const FETCH_POLICIES[] = {"cache_check", "always", NULL};
static const char *const ENV_TYPES[] = {"dotenv", "json", "dir", "directory", "dir-of-files", NULL};
/* the reference's BundleArchiveDriverType; archive drivers of the catalog
 * (libarchive, plugins) are accepted too */
static const char *const REF_ZIP_DRIVERS[] = {"pyzipper", "zipfile", "os", "external", NULL};
static const char *const DEFAULT_ZIP_DRIVERS[] = {"pyzipper", "zipfile", NULL};

/* ---- small helpers --------------------------------------------------------------- */


/* Python's os.path.normpath for the lexical part afc needs. */
static char *normpath(af_arena *a, const char *p)
{
    int abs = p[0] == '/';
    size_t n = strlen(p);
    const char **parts = af_alloc(a, (n / 2 + 2) * sizeof *parts);
    size_t np = 0;
    char *buf = af_strdup(a, p);
    char *save = NULL;
    for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, ".")) continue;
        if (!strcmp(t, "..")) {
            if (np && strcmp(parts[np - 1], "..")) {
                np--;
                continue;
            }
            if (abs) continue;
        }
        parts[np++] = t;
    }
    af_buf b = {0};
    if (abs) af_buf_putc(&b, '/');
    for (size_t i = 0; i < np; i++) {
        if (i) af_buf_putc(&b, '/');
        af_buf_puts(&b, parts[i]);
    }
    if (!b.len) af_buf_putc(&b, '.');
    char *r = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return r;
}

/* dir joined with rel (rel kept when absolute), normalised. */
static char *join(af_arena *a, const char *dir, const char *rel)
{
    if (rel[0] == '/' || !dir || !*dir || !strcmp(dir, ".")) return normpath(a, rel);
    return normpath(a, af_sprintf(a, "%s/%s", dir, rel));
}

/* 1 when the normalised relative path stays inside the root. */
static int inside(const char *norm)
{
    return norm[0] != '/' && strcmp(norm, "..") && strncmp(norm, "../", 3);
}

static char *real(af_arena *a, const char *p)
{
    char buf[PATH_MAX];
    return realpath(p, buf) ? af_strdup(a, buf) : NULL;
}

/* 1 when path (real) is dir (real) or under it. */
static int under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (!strcmp(dir, "/")) return 1;
    return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* ---- the manifest -------------------------------------------------------------------- */

int afc_is_manifest(const afc_node *root)
{
    return root && root->kind == AFC_MAP && afc_map_get(root, "bundle") != NULL;
}

/* A root-relative path field: a non-empty string that stays in the root. */
static const char *rel_field(afc_diags *d, const afc_node *n, const char *what)
{
    const char *s = afc_want_nonempty_str(d, n, what);
    if (!s) return NULL;
    if (s[0] == '/') {
        afc_error(d, n->pos, "%s must be relative to the bundle root, not an absolute path", what);
        return NULL;
    }
    af_arena *tmp = af_arena_new();
    int ok = inside(normpath(tmp, s));
    af_arena_free(tmp);
    if (!ok) {
        afc_error(d, n->pos, "%s '%s' leaves the bundle root", what, s);
        return NULL;
    }
    return s;
}

static void spec_source(afc_diags *d, afc_manifest *m, const afc_node *n, afc_pos kpos,
                        const char **base_path)
{
    m->source_type = "filesystem";
    if (!afc_want_map(d, n, "bundle.source")) return;
    afc_unknown_keys(d, n, SOURCE_KEYS, "bundle.source");
    const afc_node *x;
    if ((x = afc_map_get(n, "type")) && !afc_is_null(x)) {
        const char *t = afc_want_enum(d, x, "bundle.source.type", SOURCE_TYPES);
        if (t) m->source_type = t;
        m->source_type_pos = x->pos;
    }
    int fs = !strcmp(m->source_type, "filesystem");
    static const char *const strs[] = {"resource",   "base_path",    "bundle",
                                       "list_sql",   "fetch_sql",    "list_path",
                                       "fetch_path", "prefix_param", NULL};
    for (const char *const *k = strs; *k; k++)
        if ((x = afc_map_get(n, *k)) && !afc_is_null(x)) {
            char what[64];
            snprintf(what, sizeof what, "bundle.source.%s", *k);
            const char *v = afc_want_nonempty_str(d, x, what);
            if (v && !strcmp(*k, "base_path")) *base_path = v;
            if (v && !strcmp(*k, "resource")) m->source_resource = v;
            if (v && fs && strcmp(*k, "base_path"))
                afc_warning(d, afc_key_pos(n, *k, n->pos),
                            "bundle.source.%s is ignored for source type "
                            "'filesystem'",
                            *k);
        }
    if ((x = afc_map_get(n, "strict_fingerprint")) && !afc_is_null(x)) {
        int b;
        if (afc_want_bool(d, x, "bundle.source.strict_fingerprint", &b)) m->strict_fingerprint = b;
    }
    /* the reference's validate_bundle_manifest_v1 rules */
    if (!fs && !((x = afc_map_get(n, "resource")) && afc_is_str(x) && x->len))
        afc_error(d, kpos, "bundle.source.resource is required for source type '%s'",
                  m->source_type);
    if ((fs || !strcmp(m->source_type, "sftp") || !strcmp(m->source_type, "smb")) &&
        !afc_map_get(n, "base_path"))
        afc_error(d, kpos, "bundle.source.base_path is required for source type '%s'",
                  m->source_type);
}

static void spec_layout(afc_diags *d, afc_manifest *m, const afc_node *n, afc_pos kpos)
{
    if (!afc_want_map(d, n, "bundle.layout")) return;
    afc_unknown_keys(d, n, LAYOUT_KEYS, "bundle.layout");
    const afc_node *x;
    if ((x = afc_map_get(n, "flows_dir")) && !afc_is_null(x)) {
        m->flows_dir = rel_field(d, x, "bundle.layout.flows_dir");
        m->flows_dir_pos = x->pos;
    }
    if ((x = afc_map_get(n, "plugins_dir")) && !afc_is_null(x)) {
        m->plugins_dir = rel_field(d, x, "bundle.layout.plugins_dir");
        m->plugins_dir_pos = x->pos;
    }
    if ((x = afc_map_get(n, "profiles_file")) && !afc_is_null(x)) {
        m->profiles_file = rel_field(d, x, "bundle.layout.profiles_file");
        m->profiles_file_pos = x->pos;
    } else {
        afc_error(d, kpos, "bundle.layout.profiles_file is required");
        afc_note(d, kpos,
                 "the profiles file is compiled into every executable; an empty "
                 "file (or `{}`) is fine");
    }
}

/* kpos: the `bundle:` key, where missing fields are reported (a key's
 * position is exact for any YAML style) */
static void spec_bundle(afc_diags *d, afc_manifest *m, const afc_node *n, afc_pos kpos,
                        const char **base_path)
{
    if (!afc_want_map(d, n, "bundle")) return;
    afc_unknown_keys(d, n, BUNDLE_KEYS, "bundle");
    const afc_node *x;
    if (!(x = afc_map_get(n, "id"))) {
        afc_error(d, kpos, "bundle.id is required");
    } else if (x->kind == AFC_SCALAR && x->type == AF_INT) {
        m->id = x->text; /* the reference accepts an integer id */
    } else {
        m->id = afc_want_nonempty_str(d, x, "bundle.id");
    }
    if (!(x = afc_map_get(n, "source"))) {
        afc_error(d, kpos, "bundle.source is required");
        afc_note(d, kpos,
                 "for a bundle in the manifest's directory: source: {type: "
                 "filesystem, base_path: .}");
        m->source_type = "filesystem";
        m->source_pos = kpos;
    } else {
        m->source_pos = afc_key_pos(n, "source", n->pos);
        spec_source(d, m, x, m->source_pos, base_path);
    }
    if (!(x = afc_map_get(n, "layout")))
        afc_error(d, kpos, "bundle.layout is required (profiles_file at least)");
    else
        spec_layout(d, m, x, afc_key_pos(n, "layout", n->pos));
    if (!(x = afc_map_get(n, "entry_flow"))) {
        afc_error(d, kpos, "bundle.entry_flow is required");
    } else {
        m->entry_flow = rel_field(d, x, "bundle.entry_flow");
        m->entry_flow_pos = x->pos;
    }
    m->fetch_policy = "cache_check";
    if ((x = afc_map_get(n, "fetch_policy")) && !afc_is_null(x)) {
        const char *f = afc_want_enum(d, x, "bundle.fetch_policy", FETCH_POLICIES);
        if (f) m->fetch_policy = f;
    }
}

static void spec_paths(af_arena *a, afc_diags *d, afc_manifest *m, const afc_node *n)
{
    if (!afc_want_map(d, n, "paths")) return;
    afc_unknown_keys(d, n, PATHS_KEYS, "paths");
    const afc_node *x = afc_map_get(n, "plugins");
    if (!x || afc_is_null(x)) return;
    /* a string or a list of strings, as the runner accepts */
    const afc_node *one[1] = {x};
    const afc_node *const *items = x->kind == AFC_SEQ ? (const afc_node *const *)x->items : one;
    size_t n_items = x->kind == AFC_SEQ ? x->n : 1;
    m->plugin_paths = af_alloc(a, (n_items + 1) * sizeof *m->plugin_paths);
    m->plugin_path_pos = af_alloc(a, (n_items + 1) * sizeof *m->plugin_path_pos);
    for (size_t i = 0; i < n_items; i++) {
        const char *s = afc_want_nonempty_str(d, items[i], "a paths.plugins entry");
        if (!s) continue;
        m->plugin_path_pos[m->nplugin_paths] = items[i]->pos;
        m->plugin_paths[m->nplugin_paths++] = s;
    }
}

static void spec_env_files(af_arena *a, afc_diags *d, afc_manifest *m, const afc_node *n)
{
    if (n->kind != AFC_SEQ) {
        afc_error(d, n->pos, "env_files must be a list, not %s", afc_node_what(n));
        return;
    }
    m->env_files = af_alloc(a, (n->n + 1) * sizeof *m->env_files);
    for (size_t i = 0; i < n->n; i++) {
        const afc_node *it = n->items[i];
        afc_envfile ef = {"dotenv", NULL, "", 0, it->pos};
        int errors = afc_error_count(d);
        if (afc_is_str(it)) {
            ef.path = afc_want_nonempty_str(d, it, "an env_files entry");
        } else if (it->kind == AFC_MAP) {
            afc_unknown_keys(d, it, ENVFILE_KEYS, "an env_files entry");
            const afc_node *x, *t = afc_map_get(it, "type"), *f = afc_map_get(it, "format");
            if (t && f) {
                afc_error(d, f->pos, "give the env file's type as `type` or `format`, not both");
            } else if ((x = t ? t : f) && !afc_is_null(x)) {
                const char *s = afc_want_enum(d, x, "env file type", ENV_TYPES);
                if (s) ef.type = strcmp(s, "dotenv") && strcmp(s, "json") ? "dir" : s;
            }
            if (!(x = afc_map_get(it, "path"))) {
                afc_error(d, it->pos, "an env_files entry needs a path");
            } else {
                ef.path = afc_want_nonempty_str(d, x, "env file path");
                ef.pos = x->pos;
            }
            if ((x = afc_map_get(it, "optional")) && !afc_is_null(x))
                afc_want_bool(d, x, "env file optional", &ef.optional);
            if ((x = afc_map_get(it, "prefix")) && !afc_is_null(x)) {
                if (afc_is_str(x))
                    ef.prefix = x->text;
                else
                    afc_error(d, x->pos, "env file prefix must be a string, not %s",
                              afc_node_what(x));
            }
        } else {
            afc_error(d, it->pos,
                      "an env_files entry must be a path or a mapping {type, path, "
                      "optional, prefix}, not %s",
                      afc_node_what(it));
            continue;
        }
        if (ef.path && ef.path[0] != '/') {
            char *np = normpath(a, ef.path);
            if (!inside(np)) {
                afc_error(d, ef.pos, "env file '%s' leaves the bundle root", ef.path);
                afc_note(d, ef.pos,
                         "an absolute path names a file of the host, read at run "
                         "time");
                continue;
            }
            ef.path = np;
        }
        if (ef.path && afc_error_count(d) == errors) m->env_files[m->nenv_files++] = ef;
    }
}

static void spec_zip_drivers(af_arena *a, afc_diags *d, afc_manifest *m, const afc_node *n)
{
    if (n->kind != AFC_SEQ) {
        afc_error(d, n->pos, "zip_drivers must be a list, not %s", afc_node_what(n));
        return;
    }
    const char **z = af_alloc(a, (n->n + 1) * sizeof *z);
    size_t k = 0;
    for (size_t i = 0; i < n->n; i++) {
        const char *s = afc_want_nonempty_str(d, n->items[i], "a zip_drivers entry");
        if (!s) continue;
        int dup = 0;
        for (size_t j = 0; j < k; j++)
            if (!strcmp(z[j], s)) dup = 1;
        if (!dup) z[k++] = s;
    }
    m->zip_drivers = z;
}

afc_manifest *afc_spec_manifest(af_arena *a, afc_diags *d, const afc_node *root, const char *path)
{
    afc_manifest *m = af_alloc(a, sizeof *m);
    m->path = path;
    m->mode = "internal_fast";
    m->zip_drivers = (const char **)DEFAULT_ZIP_DRIVERS;
    if (root->kind != AFC_MAP) {
        afc_error(d, root->pos, "a bundle manifest must be a mapping, not %s", afc_node_what(root));
        return NULL;
    }
    afc_unknown_keys(d, root, TOP_KEYS, "the manifest");
    const afc_node *x;
    if ((x = afc_map_get(root, "version")) && !afc_is_null(x)) {
        if (x->kind != AFC_SCALAR || x->type != AF_INT || x->i != 1) {
            afc_error(d, x->pos, "unsupported bundle manifest version %s", x->text ? x->text : "");
            afc_note(d, x->pos, "afc reads bundle manifest version 1");
        }
    }
    if ((x = afc_map_get(root, "mode")) && !afc_is_null(x)) {
        const char *md = afc_want_enum(d, x, "mode", MODES);
        if (md) m->mode = md;
    }
    m->enterprise = !strcmp(m->mode, "enterprise");
    const char *base_path = NULL;
    if ((x = afc_map_get(root, "bundle")))
        spec_bundle(d, m, x, afc_key_pos(root, "bundle", root->pos), &base_path);
    if (!m->source_type) m->source_type = "filesystem";
    if ((x = afc_map_get(root, "resources")) && !afc_is_null(x) && afc_want_map(d, x, "resources")) {
        m->resources = af_alloc(a, (x->n + 1) * sizeof *m->resources);
        for (size_t i = 0; i < x->n; i++) {
            if (!afc_is_str(x->keys[i])) {
                afc_error(d, x->keys[i]->pos, "resource names must be strings");
                continue;
            }
            afc_resource *r = &m->resources[m->nresources++];
            afc_spec_resource(d, r, x->keys[i], x->items[i]);
            if (r->profile) {
                afc_error(d, r->profile_node->pos, "a manifest resource cannot name a profile");
                afc_note(d, r->profile_node->pos,
                         "as in the reference, manifest resources are "
                         "read before the bundle's profiles");
                r->profile = NULL;
            }
        }
    }
    if ((x = afc_map_get(root, "paths")) && !afc_is_null(x)) spec_paths(a, d, m, x);
    if ((x = afc_map_get(root, "zip_drivers")) && !afc_is_null(x)) spec_zip_drivers(a, d, m, x);
    if ((x = afc_map_get(root, "env_files")) && !afc_is_null(x)) spec_env_files(a, d, m, x);

    /* the root: base_path relative to the manifest's directory */
    const char *slash = strrchr(path, '/');
    const char *dir = !slash          ? "."
                      : slash == path ? "/"
                                      : af_strndup(a, path, (size_t)(slash - path));
    m->base_path = base_path;
    m->root_dir = join(a, dir, base_path ? base_path : ".");
    return m;
}

/* ---- the bundle ------------------------------------------------------------------------- */

typedef struct input {
    const char *name; /* fingerprint name (root-relative, or as given) */
    const char *path; /* to open */
    int asset;        /* embedded */
} input;

typedef struct bld {
    af_arena *a;
    afc_diags *d;
    afc_bundle *b;
    afc_manifest *m;
    afc_catalog *cat;
    const char *root_real;
    const char *manifest_real;
    const char *out_real;   /* output dir, NULL when not given or absent */
    int out_inside;         /* out_real is a directory strictly inside the root */
    const char **skip_real; /* realpaths that are inputs but not assets */
    size_t nskip, capskip;
    const char **plugin_dirs_real; /* plugin dirs inside the root: not assets */
    size_t nplugin_dirs;
    input *in;
    size_t nin, capin;
} bld;

static void push_skip(bld *b, const char *real_path)
{
    if (!real_path) return;
    if (b->nskip == b->capskip) {
        size_t cap = b->capskip ? b->capskip * 2 : 16;
        const char **n = af_alloc(b->a, cap * sizeof *n);
        if (b->nskip) memcpy(n, b->skip_real, b->nskip * sizeof *n);
        b->skip_real = n;
        b->capskip = cap;
    }
    b->skip_real[b->nskip++] = real_path;
}

static void push_input(bld *b, const char *name, const char *path, int asset)
{
    for (size_t i = 0; i < b->nin; i++)
        if (!strcmp(b->in[i].name, name)) {
            b->in[i].asset |= asset;
            return;
        }
    if (b->nin == b->capin) {
        size_t cap = b->capin ? b->capin * 2 : 64;
        input *n = af_alloc(b->a, cap * sizeof *n);
        if (b->nin) memcpy(n, b->in, b->nin * sizeof *n);
        b->in = n;
        b->capin = cap;
    }
    b->in[b->nin++] = (input){af_strdup(b->a, name), af_strdup(b->a, path), asset};
}

/* The label of a root-relative path in diagnostics. */
static const char *label_of(bld *b, const char *rel)
{
    return join(b->a, b->m->root_dir, rel);
}

/* Walks the bundle root: every regular file is an input; those that are not
 * flows, the profiles file, plugin sources or the manifest are assets.
 * Hidden names and the output directory are left out. */
static void walk(bld *b, const char *rel, int depth, const char *const *flow_ids, size_t nids)
{
    const char *dir = rel ? join(b->a, b->m->root_dir, rel) : b->m->root_dir;
    if (depth > 64) {
        afc_warning(b->d, (afc_pos){0},
                    "bundle directories nested too deeply at %s: not "
                    "embedded",
                    dir);
        return;
    }
    DIR *dh = opendir(dir);
    if (!dh) {
        afc_error(b->d, (afc_pos){0}, "cannot read directory %s: %s", dir, strerror(errno));
        return;
    }
    const char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.') continue; /* ., .., .git, .env (named env files are added) */
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            const char **nn = af_alloc(b->a, cap * sizeof *nn);
            if (n) memcpy(nn, names, n * sizeof *nn);
            names = nn;
        }
        names[n++] = af_strdup(b->a, de->d_name);
    }
    closedir(dh);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        const char *r = rel ? af_sprintf(b->a, "%s/%s", rel, names[i]) : names[i];
        const char *p = join(b->a, b->m->root_dir, r);
        struct stat lst, st;
        if (lstat(p, &lst) < 0) continue;
        if (stat(p, &st) < 0) {
            afc_warning(b->d, (afc_pos){0}, "%s: %s: not embedded", p, strerror(errno));
            continue;
        }
        const char *rp = real(b->a, p);
        if (!rp) continue;
        if (b->out_inside && under(rp, b->out_real)) continue;
        if (S_ISDIR(st.st_mode)) {
            if (S_ISLNK(lst.st_mode)) {
                afc_warning(b->d, (afc_pos){0},
                            "%s is a symbolic link to a directory: not "
                            "embedded",
                            p);
                continue;
            }
            walk(b, r, depth + 1, flow_ids, nids);
            continue;
        }
        if (!S_ISREG(st.st_mode)) continue;
        /* our own outputs when -o is the bundle root */
        int own = 0;
        if (b->out_real && !strcmp(b->out_real, b->root_real) && !rel)
            for (size_t k = 0; k < nids; k++)
                if (flow_ids[k] && !strcmp(flow_ids[k], names[i])) own = 1;
        if (own) continue;
        int asset = 1;
        for (size_t k = 0; k < b->nskip; k++)
            if (!strcmp(b->skip_real[k], rp)) asset = 0;
        for (size_t k = 0; k < b->nplugin_dirs; k++)
            if (under(rp, b->plugin_dirs_real[k])) asset = 0;
        push_input(b, r, p, asset);
    }
}

static int cmp_input(const void *x, const void *y)
{
    return strcmp(((const input *)x)->name, ((const input *)y)->name);
}

/* Reads every input: fingerprint, and asset data. */
static void read_inputs(bld *b)
{
    qsort(b->in, b->nin, sizeof *b->in, cmp_input);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    size_t nassets = 0;
    for (size_t i = 0; i < b->nin; i++)
        nassets += b->in[i].asset;
    b->b->assets = af_alloc(b->a, (nassets + 1) * sizeof *b->b->assets);
    for (size_t i = 0; i < b->nin; i++) {
        const input *in = &b->in[i];
        int fd = open(in->path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            afc_error(b->d, (afc_pos){0}, "cannot read %s: %s", in->path, strerror(errno));
            if (fd >= 0) close(fd);
            continue;
        }
        af_buf data = {0};
        char chunk[65536];
        ssize_t n;
        while ((n = read(fd, chunk, sizeof chunk)) > 0)
            af_buf_put(&data, chunk, (size_t)n);
        int rerr = n < 0 ? errno : 0;
        close(fd);
        if (rerr) {
            afc_error(b->d, (afc_pos){0}, "cannot read %s: %s", in->path, strerror(rerr));
            af_buf_free(&data);
            continue;
        }
        char size[32];
        snprintf(size, sizeof size, "%zu", data.len);
        EVP_DigestUpdate(ctx, in->name, strlen(in->name) + 1);
        EVP_DigestUpdate(ctx, size, strlen(size) + 1);
        if (data.len) EVP_DigestUpdate(ctx, data.data, data.len);
        if (in->asset) {
            af_asset *as = &b->b->assets[b->b->nassets++];
            as->path = in->name;
            unsigned char *copy = af_alloc(b->a, data.len + 1);
            if (data.len) memcpy(copy, data.data, data.len);
            as->data = copy;
            as->size = data.len;
            as->mode = (unsigned)(st.st_mode & 0777);
        }
        af_buf_free(&data);
    }
    unsigned char md[32];
    unsigned mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    for (int i = 0; i < 32; i++)
        snprintf(b->b->fingerprint + 2 * i, 3, "%02x", md[i]);
}

/* ---- profiles, plugins, env files ----------------------------------------------------- */

static void load_profiles(bld *b)
{
    afc_manifest *m = b->m;
    if (!m->profiles_file) return;
    const char *p = label_of(b, m->profiles_file);
    if (!is_file(p)) {
        afc_error(b->d, m->profiles_file_pos, "profiles file %s does not exist", p);
        return;
    }
    push_skip(b, real(b->a, p));
    afc_node *root = afc_load_file(b->a, b->d, p, p);
    if (!root) return;
    b->b->profiles = afc_spec_profiles(b->a, b->d, root, &b->b->nprofiles);
    afc_check_profiles(b->a, b->d, b->b->profiles, b->b->nprofiles);
}

static void add_dir_files(bld *b, const char *dir, const char *label, const char *ext,
                          afc_plugin_file **files, size_t *n, size_t *cap, int recurse)
{
    DIR *dh = opendir(dir);
    if (!dh) return;
    const char **names = NULL;
    size_t k = 0, kc = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (de->d_name[0] == '.') continue;
        if (k == kc) {
            kc = kc ? kc * 2 : 16;
            const char **nn = af_alloc(b->a, kc * sizeof *nn);
            if (k) memcpy(nn, names, k * sizeof *nn);
            names = nn;
        }
        names[k++] = af_strdup(b->a, de->d_name);
    }
    closedir(dh);
    qsort(names, k, sizeof *names, cmp_str);
    for (size_t i = 0; i < k; i++) {
        const char *p = af_sprintf(b->a, "%s/%s", dir, names[i]);
        const char *l = af_sprintf(b->a, "%s/%s", label, names[i]);
        if (recurse && is_dir(p)) {
            add_dir_files(b, p, l, ext, files, n, cap, recurse);
            continue;
        }
        size_t nl = strlen(names[i]), el = strlen(ext);
        if (nl <= el || strcmp(names[i] + nl - el, ext) || !is_file(p)) continue;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            afc_plugin_file *nf = af_alloc(b->a, *cap * sizeof *nf);
            if (*n) memcpy(nf, *files, *n * sizeof *nf);
            *files = nf;
        }
        (*files)[(*n)++] = (afc_plugin_file){p, l};
    }
}

/* The plugin directories: layout.plugins_dir in internal_fast mode; in
 * enterprise mode only the manifest's trusted paths.plugins (the reference
 * never maps the bundle's plugins_dir there). */
static void load_plugins(bld *b, const char *home)
{
    afc_manifest *m = b->m;
    size_t cap = m->nplugin_paths + 2, nd = 0;
    const char **dirs = af_alloc(b->a, cap * sizeof *dirs);
    const char **labels = af_alloc(b->a, cap * sizeof *labels);
    afc_pos *pos = af_alloc(b->a, cap * sizeof *pos);
    if (m->enterprise) {
        if (m->plugins_dir) {
            int listed = 0;
            for (size_t i = 0; i < m->nplugin_paths; i++) {
                const char *pp = m->plugin_paths[i];
                if (pp[0] != '/' && !strcmp(normpath(b->a, pp), normpath(b->a, m->plugins_dir)))
                    listed = 1;
            }
            if (!listed) {
                afc_error(b->d, m->plugins_dir_pos,
                          "enterprise mode compiles plugins only from "
                          "the manifest's trusted paths.plugins; '%s' "
                          "is not listed there",
                          m->plugins_dir);
                afc_note(b->d, m->plugins_dir_pos,
                         "list it under paths: {plugins: [...]} to "
                         "trust it, or use mode: internal_fast");
            }
        }
        for (size_t i = 0; i < m->nplugin_paths; i++) {
            const char *pp = m->plugin_paths[i];
            if (pp[0] != '/' && !inside(normpath(b->a, pp))) {
                afc_error(b->d, m->plugin_path_pos[i],
                          "paths.plugins entry '%s' leaves the "
                          "bundle root; use an absolute path for "
                          "plugins installed on the build machine",
                          pp);
                continue;
            }
            dirs[nd] = pp[0] == '/' ? normpath(b->a, pp) : label_of(b, pp);
            labels[nd] = dirs[nd];
            pos[nd++] = m->plugin_path_pos[i];
        }
    } else {
        if (m->nplugin_paths)
            afc_warning(b->d, m->plugin_path_pos[0],
                        "paths.plugins is used in enterprise mode "
                        "only; this bundle's plugins come from "
                        "layout.plugins_dir");
        if (m->plugins_dir) {
            dirs[nd] = label_of(b, m->plugins_dir);
            labels[nd] = dirs[nd];
            pos[nd++] = m->plugins_dir_pos;
        }
    }
    afc_plugin_file *files = NULL, *headers = NULL;
    size_t nf = 0, cf = 0, nh = 0, ch = 0;
    const char **incs = af_alloc(b->a, (nd + 1) * sizeof *incs);
    size_t ni = 0;
    for (size_t i = 0; i < nd; i++) {
        if (!is_dir(dirs[i])) {
            afc_error(b->d, pos[i], "plugin directory %s does not exist", dirs[i]);
            continue;
        }
        const char *rp = real(b->a, dirs[i]);
        if (rp && under(rp, b->root_real)) {
            const char **v = af_alloc(b->a, (b->nplugin_dirs + 1) * sizeof *v);
            if (b->nplugin_dirs) memcpy(v, b->plugin_dirs_real, b->nplugin_dirs * sizeof *v);
            v[b->nplugin_dirs++] = rp;
            b->plugin_dirs_real = v;
        }
        incs[ni++] = rp ? rp : dirs[i];
        size_t before = nf;
        add_dir_files(b, dirs[i], labels[i], ".c", &files, &nf, &cf, 0);
        add_dir_files(b, dirs[i], labels[i], ".h", &headers, &nh, &ch, 1);
        if (nf == before)
            afc_warning(b->d, pos[i], "plugin directory %s holds no .c files", dirs[i]);
        /* files of trusted dirs outside the root are inputs too */
        if (!rp || !under(rp, b->root_real)) {
            for (size_t k = before; k < nf; k++)
                push_input(b, files[k].path, files[k].path, 0);
        }
    }
    for (size_t k = 0; k < nh; k++) {
        const char *rp = real(b->a, headers[k].path);
        if (rp && !under(rp, b->root_real)) push_input(b, headers[k].path, headers[k].path, 0);
    }
    if (!nf) return;
    b->b->plugins = afc_plugins_load(b->a, b->d, b->cat, files, nf, incs, home);
}

/* Checks the env files at build time: those in the bundle must exist
 * (unless optional) and parse; they are embedded even when hidden. */
static void check_env_files(bld *b)
{
    afc_manifest *m = b->m;
    b->b->env_files = af_alloc(b->a, (m->nenv_files + 1) * sizeof *b->b->env_files);
    for (size_t i = 0; i < m->nenv_files; i++) {
        const afc_envfile *ef = &m->env_files[i];
        af_envfile_def *def = &b->b->env_files[b->b->nenv_files++];
        def->type = ef->type;
        def->path = ef->path;
        def->optional = ef->optional;
        def->prefix = ef->prefix && *ef->prefix ? ef->prefix : NULL;
        if (ef->path[0] == '/') continue; /* the host's, read at run time */
        const char *p = label_of(b, ef->path);
        struct stat st;
        if (stat(p, &st) < 0) {
            if (!ef->optional) {
                afc_error(b->d, ef->pos, "env file %s does not exist", p);
                afc_note(b->d, ef->pos, "set optional: true to allow it to be missing");
            }
            continue;
        }
        af_value *scratch = af_map(b->a);
        char err[1024];
        if (af__envfile_load(b->a, scratch, ef->type, p, ef->optional, NULL, NULL, err,
                             sizeof err) < 0) {
            afc_error(b->d, ef->pos, "%s", err);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *dh = opendir(p);
            struct dirent *de;
            while (dh && (de = readdir(dh))) {
                const char *fp = af_sprintf(b->a, "%s/%s", p, de->d_name);
                if (is_file(fp))
                    push_input(b, af_sprintf(b->a, "%s/%s", ef->path, de->d_name), fp, 1);
            }
            if (dh) closedir(dh);
        } else {
            push_input(b, ef->path, p, 1);
        }
    }
}

/* zip_drivers: the reference's names, or archive drivers afc can link. */
static void check_zip_drivers(bld *b, const afc_node *root)
{
    const afc_node *zn = afc_map_get(root, "zip_drivers");
    if (!zn || zn->kind != AFC_SEQ) return;
    const char **known = af_alloc(b->a, (b->cat->ndrivers + 8) * sizeof *known);
    size_t k = 0;
    for (const char *const *r = REF_ZIP_DRIVERS; *r; r++)
        known[k++] = *r;
    for (size_t i = 0; i < b->cat->ndrivers; i++)
        if (!strcmp(b->cat->drivers[i]->kind, "archive")) known[k++] = b->cat->drivers[i]->name;
    known[k] = NULL;
    for (size_t i = 0; i < zn->n; i++) {
        const afc_node *it = zn->items[i];
        if (!afc_is_str(it)) continue;
        int ok = 0;
        for (size_t j = 0; j < k; j++)
            if (!strcmp(known[j], it->text)) ok = 1;
        if (!ok) {
            afc_error(b->d, it->pos, "unknown archive driver '%s' in zip_drivers", it->text);
            afc_note_suggest(b->d, it->pos, it->text, known);
        }
    }
}

/* ---- flows ------------------------------------------------------------------------------ */

static int yaml_name(const char *n)
{
    size_t l = strlen(n);
    return (l > 5 && !strcmp(n + l - 5, ".yaml")) || (l > 4 && !strcmp(n + l - 4, ".yml"));
}

/* The flows to build, as root-relative paths: flows_dir's YAML files and
 * entry_flow; only_flow narrows them to one. */
static const char **list_flows(bld *b, const char *only_flow, size_t *nout)
{
    afc_manifest *m = b->m;
    const char **rels = NULL;
    size_t n = 0, cap = 0;
    const char *profiles_real = m->profiles_file ? real(b->a, label_of(b, m->profiles_file)) : NULL;
    if (m->flows_dir) {
        const char *dir = label_of(b, m->flows_dir);
        DIR *dh = opendir(dir);
        if (!dh) {
            afc_error(b->d, m->flows_dir_pos, "flows directory %s: %s", dir, strerror(errno));
        } else {
            struct dirent *de;
            while ((de = readdir(dh))) {
                if (de->d_name[0] == '.' || !yaml_name(de->d_name)) continue;
                const char *rel =
                    normpath(b->a, af_sprintf(b->a, "%s/%s", m->flows_dir, de->d_name));
                const char *p = label_of(b, rel);
                if (!is_file(p)) continue;
                const char *rp = real(b->a, p);
                if (profiles_real && rp && !strcmp(rp, profiles_real)) continue;
                if (b->manifest_real && rp && !strcmp(rp, b->manifest_real)) continue;
                if (n == cap) {
                    cap = cap ? cap * 2 : 16;
                    const char **nr = af_alloc(b->a, cap * sizeof *nr);
                    if (n) memcpy(nr, rels, n * sizeof *nr);
                    rels = nr;
                }
                rels[n++] = rel;
            }
            closedir(dh);
            qsort(rels, n, sizeof *rels, cmp_str);
        }
    }
    if (m->entry_flow) {
        const char *rel = normpath(b->a, m->entry_flow);
        const char *p = label_of(b, rel);
        if (!is_file(p)) {
            afc_error(b->d, m->entry_flow_pos, "entry flow %s does not exist", p);
        } else {
            int have = 0;
            for (size_t i = 0; i < n; i++)
                if (!strcmp(rels[i], rel)) have = 1;
            if (!have && !m->flows_dir) {
                rels = af_alloc(b->a, sizeof *rels);
                rels[n++] = rel;
            } else if (!have) {
                const char **nr = af_alloc(b->a, (n + 1) * sizeof *nr);
                if (n) memcpy(nr, rels, n * sizeof *nr);
                nr[n++] = rel;
                rels = nr;
            }
        }
    }
    /* every flow file is an input but never an asset */
    for (size_t i = 0; i < n; i++)
        push_skip(b, real(b->a, label_of(b, rels[i])));
    if (only_flow) {
        const char *want = real(b->a, only_flow);
        if (!want && only_flow[0] != '/') want = real(b->a, label_of(b, only_flow));
        const char *pick = NULL;
        for (size_t i = 0; i < n && want; i++) {
            const char *rp = real(b->a, label_of(b, rels[i]));
            if (rp && !strcmp(rp, want)) pick = rels[i];
        }
        if (!pick) {
            afc_error(b->d, (afc_pos){0},
                      "--flow %s is not a flow of this bundle (the YAML files "
                      "of flows_dir and entry_flow)",
                      only_flow);
            *nout = 0;
            return NULL;
        }
        rels[0] = pick;
        n = 1;
    }
    *nout = n;
    return rels;
}

/* The manifest's resources under the flow's own (which win by name). */
static void merge_resources(bld *b, afc_flow *f)
{
    afc_manifest *m = b->m;
    if (!m->nresources) return;
    afc_resource *rs = af_alloc(b->a, (m->nresources + f->nresources + 1) * sizeof *rs);
    size_t n = 0;
    for (size_t i = 0; i < m->nresources; i++) {
        const afc_resource *r = &m->resources[i];
        int overridden = 0;
        for (size_t k = 0; k < f->nresources; k++)
            if (f->resources[k].name && r->name && !strcmp(f->resources[k].name, r->name))
                overridden = 1;
        if (!overridden && r->name) rs[n++] = *r;
    }
    for (size_t k = 0; k < f->nresources; k++)
        rs[n++] = f->resources[k];
    f->resources = rs;
    f->nresources = n;
}

/* ---- decode marks across a profile and its resource ------------------------------------- */

static const afc_node *child(const afc_node *n, const char *k)
{
    return n && n->kind == AFC_MAP ? afc_map_get(n, k) : NULL;
}

/* The value at a dotted path of the deep merge of over onto base
 * (mappings merge, anything else in over replaces): *from_over tells which
 * side it came from. */
static const afc_node *merged_at(af_arena *a, const afc_node *base, const afc_node *over,
                                 const char *path, int *from_over)
{
    char *buf = af_strdup(a, path), *save = NULL;
    for (char *part = strtok_r(buf, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
        const afc_node *o = child(over, part), *bs = child(base, part);
        if (o && !(o->kind == AFC_MAP && bs && bs->kind == AFC_MAP)) base = NULL;
        over = o;
        base = o && o->kind != AFC_MAP ? NULL : bs;
    }
    *from_over = over != NULL;
    return over ? over : base;
}

/* 1 when `path` is in a decode *_paths list of decode map dec */
static int listed(const afc_node *dec, const char *section, const char *path, afc_pos *where)
{
    const afc_node *l = child(dec, !strcmp(section, "config") ? "config_paths" : "options_paths");
    for (size_t i = 0; l && l->kind == AFC_SEQ && i < l->n; i++)
        if (afc_is_str(l->items[i]) && !strcmp(l->items[i]->text, path)) {
            if (where) *where = l->items[i]->pos;
            return 1;
        }
    return 0;
}

/* 1 when decode map dec marks section.path true in its bool map */
static int marked(af_arena *a, const afc_node *dec, const char *section, const char *path,
                  afc_pos *where)
{
    int side;
    const afc_node *v = merged_at(a, NULL, child(dec, section), path, &side);
    if (v && v->kind == AFC_SCALAR && v->type == AF_BOOL && v->b) {
        if (where) *where = v->pos;
        return 1;
    }
    return 0;
}

typedef struct dpath {
    const char *section, *path;
} dpath;

static void true_leaves(af_arena *a, const afc_node *n, const char *section, const char *prefix,
                        dpath **v, size_t *nv, size_t *cap)
{
    if (!n || n->kind != AFC_MAP) return;
    for (size_t i = 0; i < n->n; i++) {
        if (!afc_is_str(n->keys[i])) continue;
        const char *p =
            prefix ? af_sprintf(a, "%s.%s", prefix, n->keys[i]->text) : n->keys[i]->text;
        const afc_node *it = n->items[i];
        if (it->kind == AFC_MAP) {
            true_leaves(a, it, section, p, v, nv, cap);
            continue;
        }
        if (!(it->kind == AFC_SCALAR && it->type == AF_BOOL && it->b)) continue;
        if (*nv == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            dpath *nn = af_alloc(a, *cap * sizeof *nn);
            if (*nv) memcpy(nn, *v, *nv * sizeof *nn);
            *v = nn;
        }
        (*v)[(*nv)++] = (dpath){section, p};
    }
}

static void list_paths(af_arena *a, const afc_node *dec, const char *section, dpath **v, size_t *nv,
                       size_t *cap)
{
    const afc_node *l = child(dec, !strcmp(section, "config") ? "config_paths" : "options_paths");
    for (size_t i = 0; l && l->kind == AFC_SEQ && i < l->n; i++) {
        if (!afc_is_str(l->items[i]) || !l->items[i]->len) continue;
        if (*nv == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            dpath *nn = af_alloc(a, *cap * sizeof *nn);
            if (*nv) memcpy(nn, *v, *nv * sizeof *nn);
            *v = nn;
        }
        (*v)[(*nv)++] = (dpath){section, l->items[i]->text};
    }
}

/* The concatenation rule where a profile is involved (check.c covers a
 * resource on its own): every field decoded after the profile overlay (the
 * reference's merge: bool maps deep-merged with the resource winning,
 * *_paths lists joined) must be one standalone template token when it is a
 * template. */
static void check_profile_decode(bld *b, const afc_flow *f)
{
    af_arena *a = b->a;
    for (size_t i = 0; i < f->nresources; i++) {
        const afc_resource *r = &f->resources[i];
        if (!r->profile || !r->name) continue;
        const afc_profile *p = NULL;
        for (size_t k = 0; k < b->b->nprofiles; k++)
            if (!strcmp(b->b->profiles[k].name, r->profile)) p = &b->b->profiles[k];
        if (!p) continue;
        dpath *cand = NULL;
        size_t nc = 0, cap = 0;
        static const char *const secs[] = {"config", "options"};
        for (int s = 0; s < 2; s++) {
            true_leaves(a, child(p->decode, secs[s]), secs[s], NULL, &cand, &nc, &cap);
            true_leaves(a, child(r->decode, secs[s]), secs[s], NULL, &cand, &nc, &cap);
            list_paths(a, p->decode, secs[s], &cand, &nc, &cap);
            list_paths(a, r->decode, secs[s], &cand, &nc, &cap);
        }
        for (size_t k = 0; k < nc; k++) {
            const char *sec = cand[k].section, *path = cand[k].path;
            int dup = 0;
            for (size_t j = 0; j < k; j++)
                if (!strcmp(cand[j].section, sec) && !strcmp(cand[j].path, path)) dup = 1;
            if (dup) continue;
            /* requested after the merge? */
            int side;
            afc_pos where = {0};
            const afc_node *mk =
                merged_at(a, child(p->decode, sec), child(r->decode, sec), path, &side);
            int by_map = mk && mk->kind == AFC_SCALAR && mk->type == AF_BOOL && mk->b;
            if (by_map) where = mk->pos;
            int by_list = listed(r->decode, sec, path, &where) ||
                          listed(p->decode, sec, path, by_map ? NULL : &where);
            if (!by_map && !by_list) continue;
            int from_res;
            int cfg = !strcmp(sec, "config");
            const afc_node *v = merged_at(a, cfg ? p->config : p->options,
                                          cfg ? r->config : r->options, path, &from_res);
            if (!v || !afc_is_str(v) || !(strstr(v->text, "{{") || strstr(v->text, "}}"))) continue;
            /* where the request and the value come from the same side,
             * check.c (resource) or afc_check_profiles (profile) said it */
            int res_asks =
                marked(a, r->decode, sec, path, NULL) || listed(r->decode, sec, path, NULL);
            int prof_asks =
                marked(a, p->decode, sec, path, NULL) || listed(p->decode, sec, path, NULL);
            if (from_res ? res_asks : prof_asks) continue;
            af_tmpl *t;
            if (af_tmpl_parse(a, v->text, v->len, NULL, &t, NULL, NULL, 0) == 1 && t->standalone)
                continue;
            afc_error(b->d, v->pos,
                      "decode target must be a standalone template token like "
                      "'{{env.TOKEN}}' (no prefix or suffix)");
            afc_note(b->d, where,
                     "decoding of %s.%s for resource '%s' (profile '%s') is "
                     "requested here",
                     sec, path, r->name, p->name);
        }
    }
}

/* ---- the whole bundle -------------------------------------------------------------------- */

afc_bundle *afc_bundle_load(af_arena *a, afc_diags *d, afc_catalog *cat, const char *path,
                            const afc_node *root, const char *only_flow, const char *out_dir,
                            const char *home)
{
    afc_manifest *m = afc_spec_manifest(a, d, root, path);
    if (!m) return NULL;
    afc_bundle *bundle = af_alloc(a, sizeof *bundle);
    bundle->m = m;
    bld b = {0};
    b.a = a;
    b.d = d;
    b.b = bundle;
    b.m = m;
    b.cat = cat;
    if (!strcmp(m->source_type, "sftp") || !strcmp(m->source_type, "smb")) {
        /* fetched at build time through the same drivers the steps use */
        const char *local = afc_fetch_bundle(a, d, cat, m);
        if (!local) return NULL;
        m->root_dir = local;
    } else if (strcmp(m->source_type, "filesystem")) {
        afc_error(d, m->source_type_pos,
                  "bundle.source.type '%s' is not supported: afc fetches bundles from the "
                  "filesystem, sftp and smb",
                  m->source_type);
        afc_note(d, m->source_type_pos,
                 "copy the bundle to this machine and use source: {type: "
                 "filesystem, base_path: DIR}");
        return NULL;
    }
    if (!is_dir(m->root_dir)) {
        afc_error(d, m->source_pos, "bundle root %s is not a directory", m->root_dir);
        return NULL;
    }
    b.root_real = real(a, m->root_dir);
    b.manifest_real = real(a, path);
    b.out_real = out_dir ? real(a, out_dir) : NULL;
    b.out_inside = b.out_real && under(b.out_real, b.root_real) && strcmp(b.out_real, b.root_real);
    bundle->bc.enterprise = m->enterprise;
    bundle->bc.zip_drivers = m->zip_drivers;
    /* the manifest is an input, named by its place in the root when it is there */
    if (b.manifest_real && under(b.manifest_real, b.root_real)) {
        push_skip(&b, b.manifest_real);
        bundle->manifest_rel = b.manifest_real[strlen(b.root_real)] == '/'
                                   ? b.manifest_real + strlen(b.root_real) + 1
                                   : b.manifest_real;
        if (!strcmp(b.root_real, "/")) bundle->manifest_rel = b.manifest_real + 1;
    } else {
        /* named by its file name: the same wherever afc is run from */
        const char *slash = strrchr(path, '/');
        bundle->manifest_rel = slash ? slash + 1 : path;
        push_input(&b, af_sprintf(a, "manifest:%s", bundle->manifest_rel), path, 0);
    }

    load_profiles(&b);
    bundle->bc.profiles = bundle->profiles;
    bundle->bc.nprofiles = bundle->nprofiles;
    int before_plugins = afc_error_count(d);
    load_plugins(&b, home);
    check_env_files(&b);
    /* what depends on the catalog (zip_drivers, resources, flows) would
     * only add noise against broken plugins: their errors come alone */
    if (afc_error_count(d) > before_plugins) return bundle;
    check_zip_drivers(&b, root);

    /* manifest resources: checked once, then shared by every flow */
    if (m->nresources) {
        afc_flow pf = {0};
        pf.path = path;
        pf.resources = m->resources;
        pf.nresources = m->nresources;
        pf.meta = af_map(a);
        afc_check_flow(a, d, &pf, cat, &bundle->bc);
        for (size_t i = 0; i < m->nresources; i++)
            m->resources[i].shared = 1;
    }

    size_t nrel = 0;
    const char **rels = list_flows(&b, only_flow, &nrel);
    bundle->flows = af_alloc(a, (nrel + 1) * sizeof *bundle->flows);
    const char **ids = af_alloc(a, (nrel + 1) * sizeof *ids);
    for (size_t i = 0; i < nrel; i++) {
        afc_bundle_flow *bf = &bundle->flows[bundle->nflows++];
        bf->rel = rels[i];
        bf->path = label_of(&b, rels[i]);
        bf->label = bf->path;
        afc_node *froot = afc_load_file(a, d, bf->path, bf->label);
        if (!froot) continue;
        if (afc_is_manifest(froot)) {
            afc_error(d, froot->pos, "%s is a bundle manifest, not a flow", bf->label);
            continue;
        }
        bf->flow = afc_spec_flow(a, d, froot, bf->label);
        if (!bf->flow) continue;
        merge_resources(&b, bf->flow);
        afc_check_flow(a, d, bf->flow, cat, &bundle->bc);
        check_profile_decode(&b, bf->flow);
        const afc_flow *f = bf->flow;
        ids[i] = f->id;
        for (size_t k = 0; k < i && f->id; k++) {
            const afc_flow *g = bundle->flows[k].flow;
            if (g && g->id && !strcmp(g->id, f->id)) {
                afc_error(d, f->id_pos,
                          "flow id '%s' is used by two flows of the bundle; each "
                          "names its own executable",
                          f->id);
                afc_note(d, g->id_pos, "also used here");
            }
        }
    }
    walk(&b, NULL, 0, ids, nrel);
    read_inputs(&b);
    return bundle;
}

void afc_bundle_emit_opts(const afc_bundle *b, const afc_bundle_flow *bf, afc_emit_opts *eo)
{
    const afc_manifest *m = b->m;
    memset(eo, 0, sizeof *eo);
    eo->source = bf->rel;
    eo->fingerprint = b->fingerprint;
    eo->profiles = b->profiles;
    eo->nprofiles = b->nprofiles;
    eo->mode = m->mode;
    eo->zip_drivers = m->zip_drivers;
    eo->assets = b->assets;
    eo->nassets = b->nassets;
    eo->env_files = b->env_files;
    eo->nenv_files = b->nenv_files;
    if (b->plugins) {
        eo->decode_sym = b->plugins->decode_sym;
        eo->expand_env_sym = b->plugins->expand_env_sym;
    }
    eo->bundle_id = m->id;
    eo->manifest_source = b->manifest_rel;
}
