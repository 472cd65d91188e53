/*
 * afc.h - the compiler's internal interface, one section per stage.
 *
 *   load.c    YAML (libyaml events) -> node tree with file:line:col
 *   diag.c    gcc-style diagnostics, collected and printed sorted
 *   spec.c    node tree -> typed flow / manifest / profiles structs
 *   check.c   semantic rules, templates, `when`
 *   when.c    `when` expressions: parse, check, emit C
 *   emit.c    flow -> C source against af.h
 *   cc.c      C -> executable (libtcc in memory, or gcc)
 *   catalog.c built-in step and driver descriptors (generated list)
 *   bundle.c  manifests: the bundle's flows, profiles, env files, assets, fingerprint
 *   plugin.c  C plugins: compiled in memory to read their descriptors; new-step
 *   main.c    the command line
 *
 * One arena per compile (af_arena from the runtime, which afc links).
 */
#ifndef AFC_H
#define AFC_H

#include "af.h"
#include <stdio.h>

#define AFC_VERSION "0.1.0"

/* ---- diag.c ------------------------------------------------------------- */

typedef struct afc_src {
    const char *path;    /* as shown in messages */
    const char *text;    /* whole file, NUL-terminated */
    size_t len;
} afc_src;

typedef struct afc_pos {
    const afc_src *src;  /* NULL: no location */
    int line, col;       /* 1-based */
} afc_pos;

typedef enum afc_sev { AFC_NOTE, AFC_WARNING, AFC_ERROR } afc_sev;

typedef struct afc_diags afc_diags;

afc_diags *afc_diags_new(af_arena *a);
/* Records a diagnostic. Notes attach to the previous error or warning and are
 * printed right after it. */
void afc_error(afc_diags *d, afc_pos pos, const char *fmt, ...) AF_PRINTF(3, 4);
void afc_warning(afc_diags *d, afc_pos pos, const char *fmt, ...) AF_PRINTF(3, 4);
void afc_note(afc_diags *d, afc_pos pos, const char *fmt, ...) AF_PRINTF(3, 4);
/* Adds "did you mean 'X'?" when some candidate is close to word (edit
 * distance <= max(1, len/3)); candidates NULL-terminated. */
void afc_note_suggest(afc_diags *d, afc_pos pos, const char *word, const char *const *candidates);
int afc_error_count(const afc_diags *d);
int afc_warning_count(const afc_diags *d);
/* Prints gcc style, sorted by file, line, column (stable):
 *   path:L:C: error: message
 *    L | source line
 *      |       ^
 * then notes; colour when out is a tty and NO_COLOR is unset. werror makes
 * warnings count as errors. */
void afc_diags_print(afc_diags *d, FILE *out);
/* -Werror: from now on warnings print as errors and count in
 * afc_error_count (afc_warning_count then returns 0). Off by default. */
void afc_diags_set_werror(afc_diags *d, int on);
/* As a JSON array of {file,line,col,severity,message,notes:[...]} */
void afc_diags_json(afc_diags *d, af_buf *out);

/* ---- load.c ------------------------------------------------------------- */

typedef enum afc_nkind { AFC_SCALAR, AFC_SEQ, AFC_MAP } afc_nkind;

/* What PyYAML would construct where af_type alone cannot say it. */
typedef enum afc_ykind {
    AFC_Y_PLAIN = 0, /* null, bool, int, float, str, list or dict: type says it all */
    AFC_Y_DATE,      /* !!timestamp without a time: AF_STR, text "2024-01-02" (Python str()) */
    AFC_Y_DATETIME,  /* !!timestamp with a time: AF_STR, text as Python str() prints it */
    AFC_Y_BINARY,    /* !!binary: AF_STR, text/len hold the decoded bytes */
    AFC_Y_SET,       /* !!set: AFC_MAP whose values are null scalars */
    AFC_Y_PAIRS,     /* !!omap / !!pairs: AFC_SEQ of two-item AFC_SEQ [key, value] */
} afc_ykind;

typedef struct afc_node afc_node;
struct afc_node {
    afc_nkind kind;
    afc_pos pos;          /* start of the node (for maps/seqs: first token) */
    /* AFC_SCALAR: resolved as PyYAML's safe loader does (YAML 1.1). */
    af_type type;         /* AF_NULL, AF_BOOL, AF_INT, AF_DOUBLE, AF_STR */
    const char *text;     /* the scalar as written (after YAML unescaping); for AF_STR
                           * the string value (see ykind for dates and bytes) */
    size_t len;
    int quoted;           /* 1 when single/double quoted or block scalar */
    int b;                /* AF_BOOL */
    int64_t i;            /* AF_INT */
    double d;             /* AF_DOUBLE */
    int big_int;          /* AF_INT literal out of int64 range (then d holds it) */
    /* AFC_SEQ: items; AFC_MAP: keys[i] -> items[i] (keys are scalars or nodes) */
    afc_node **items;
    afc_node **keys;
    size_t n;
    afc_ykind ykind;      /* AFC_Y_PLAIN unless a tag made it a date, bytes, set... */
};

/* Reads and parses path (label: how it is shown in diagnostics). Returns the
 * root node (an empty file gives a NULL-typed scalar), or NULL after
 * reporting errors (syntax errors, duplicate keys, unknown tags, recursive
 * aliases). Merge keys (<<) and aliases are resolved; anchors may be
 * shared, so the tree is a DAG: treat nodes as read-only. The source text is
 * kept for diagnostics. */
afc_node *afc_load_file(af_arena *a, afc_diags *d, const char *path, const char *label);
afc_node *afc_load_string(af_arena *a, afc_diags *d, const char *text, size_t len,
                          const char *label);
/* Map lookup by string key (NULL when absent or n is not a map). */
afc_node *afc_map_get(const afc_node *n, const char *key);
/* A scalar's value as an af_value (strings copied); seq/map converted deeply,
 * non-string map keys turned into their Python str() form. */
af_value *afc_node_value(af_arena *a, const afc_node *n);
/* "a string", "an integer", "a mapping", ... for messages */
const char *afc_node_what(const afc_node *n);



/* ---- node.c: typed fields out of nodes, with diagnostics ---------------------- *
 * Shared by the flow reader (spec.c) and the manifest reader (bundle.c). Each
 * reports a gcc-style error at the node when the value does not fit and
 * returns failure (0 or NULL); they never stop the pipeline. */

int afc_is_str(const afc_node *n);   /* a string scalar */
int afc_is_null(const afc_node *n);  /* a null scalar */
/* Errors for keys of mapping n not in allowed (NULL-terminated), with a
 * "did you mean" note; `where` names the mapping ("a job"). */
void afc_unknown_keys(afc_diags *d, const afc_node *n, const char *const *allowed,
                      const char *where);
int afc_want_map(afc_diags *d, const afc_node *n, const char *what);
int afc_want_seq(afc_diags *d, const afc_node *n, const char *what);
/* A string field: only strings (pydantic's str takes no numbers). */
const char *afc_want_str(afc_diags *d, const afc_node *n, const char *what);
const char *afc_want_nonempty_str(afc_diags *d, const afc_node *n, const char *what);
/* As afc_want_str, but absent or null is NULL without an error. */
const char *afc_opt_str(afc_diags *d, const afc_node *n, const char *what);
/* pydantic's lax int: int, bool, integral float, or a string holding one. */
int afc_want_int(afc_diags *d, const afc_node *n, const char *what, int64_t *out);
int afc_want_bool(afc_diags *d, const afc_node *n, const char *what, int *out);
/* A string among choices (NULL-terminated), with a suggestion otherwise. */
const char *afc_want_enum(afc_diags *d, const afc_node *n, const char *what,
                          const char *const *choices);
/* A Dict[str, Any] field: a mapping with string keys. */
const afc_node *afc_want_dict(afc_diags *d, const afc_node *n, const char *what);
/* The position of key `name` in mapping n (the key itself), or fallback. */
afc_pos afc_key_pos(const afc_node *n, const char *name, afc_pos fallback);

/* ---- spec.c: nodes -> typed flow ------------------------------------------ */

typedef struct afc_when afc_when; /* when.c */

typedef struct afc_step {
    const afc_node *node;        /* the step's mapping */
    const char *id;
    afc_pos id_pos;
    const char *type;
    afc_pos type_pos;
    const afc_node *inputs;      /* mapping (NULL: none) */
    const afc_node *outputs;     /* mapping (NULL: none) */
    int skip_job;                /* on_no_data: skip_job */
    const af_step_desc *desc;    /* resolved by check */
} afc_step;

typedef struct afc_job {
    const afc_node *node;
    const char *id;
    afc_pos id_pos;
    const char *description;
    const afc_node *deps;        /* sequence of scalars (NULL: none) */
    int *dep_idx;                /* resolved by check: index of each dependency */
    size_t ndeps;
    const char *when;            /* NULL: none */
    const afc_node *when_node;
    afc_when *when_ast;          /* parsed by check */
    afc_step *steps;
    size_t nsteps;
} afc_job;

typedef struct afc_resource {
    const char *name;
    afc_pos pos;
    const char *kind, *driver, *profile;
    const afc_node *kind_node, *driver_node, *profile_node;
    const afc_node *config, *options, *decode; /* mappings or NULL */
    const af_driver *drv;        /* resolved by check */
    int shared;                  /* from the bundle manifest: checked once by bundle.c, not
                                    again with each flow */
} afc_resource;

typedef struct afc_profile {
    const char *name;
    afc_pos pos;
    const afc_node *config, *options, *decode;
} afc_profile;

typedef struct afc_flow {
    const char *path;            /* the flow file as shown in messages */
    const afc_node *root;
    const char *id;
    afc_pos id_pos;
    af_value *meta;              /* the flow: mapping with defaults filled (templates as text) */
    const afc_node *meta_node;
    afc_resource *resources;
    size_t nresources;
    afc_job *jobs;
    size_t njobs;
} afc_flow;

/* Reads the flow from its node tree: shape, types, required fields, unknown
 * keys (all reported). Returns NULL when the shape is too broken to check
 * further (errors were reported); otherwise a flow, possibly with errors. */
afc_flow *afc_spec_flow(af_arena *a, afc_diags *d, const afc_node *root, const char *path);
/* profiles.yaml: name -> {config, options, decode}. */
afc_profile *afc_spec_profiles(af_arena *a, afc_diags *d, const afc_node *root, size_t *n);
/* One `name: {kind, driver, ...}` entry of a resources mapping (a flow's or
 * a manifest's) into r, with the same rules as a flow's resources. */
void afc_spec_resource(afc_diags *d, afc_resource *r, const afc_node *name, const afc_node *n);

/* ---- catalog.c: what can be linked ---------------------------------------- */

typedef struct afc_catalog {
    const af_step_desc **steps;  /* built-ins then plugins */
    size_t nsteps;
    const af_driver **drivers;
    size_t ndrivers;
    const char **step_syms;      /* C symbol of each step descriptor */
    const char **driver_syms;
} afc_catalog;

afc_catalog *afc_catalog_builtin(af_arena *a);
const af_step_desc *afc_catalog_step(const afc_catalog *c, const char *name, const char **sym);
/* by kind and name or alias */
const af_driver *afc_catalog_driver(const afc_catalog *c, const char *kind, const char *name,
                                    const char **sym);

/* ---- check.c: semantic rules ----------------------------------------------- */

typedef struct afc_bundle_ctx {
    const afc_profile *profiles; /* compiled-in profiles (may be NULL) */
    size_t nprofiles;
    int enterprise;              /* manifest mode */
    const char *const *zip_drivers; /* allowlist or NULL */
} afc_bundle_ctx;

/* Checks everything ARCHITECTURE.md lists; reports all problems. */
void afc_check_flow(af_arena *a, afc_diags *d, afc_flow *f, const afc_catalog *cat,
                    const afc_bundle_ctx *bc);
/* Checks compiled-in profiles as resource settings: templates may name env
 * only, decode marks have the resource decode shapes, and a decoded field
 * holding a template is a standalone token. */
void afc_check_profiles(af_arena *a, afc_diags *d, const afc_profile *p, size_t n);
/* The position of byte offset off inside scalar node n (for carets inside
 * templates and `when` expressions); falls back to the node's start. */
afc_pos afc_pos_in(const afc_node *n, size_t off);

/* ---- when.c: job gating expressions ----------------------------------------- */

/* Parses and checks a `when` expression (the reference's text normalisation
 * of true/false first). Earlier jobs: names of the jobs before this one.
 * Returns NULL after reporting errors. */
afc_when *afc_when_parse(af_arena *a, afc_diags *d, const afc_node *n, const char *text,
                         const char *const *earlier_jobs, size_t nearlier);
/* Emits `static int NAME(af_when *w) {...}` to out. */
void afc_when_emit(af_buf *out, const afc_when *w, const char *name, const char *file);

/* ---- emit.c: C source ----------------------------------------------------- */

typedef struct afc_emit_opts {
    const char *source;          /* shown in the do-not-edit line and locations */
    const char *fingerprint;     /* hex sha256 of the bundle */
    const afc_profile *profiles;
    size_t nprofiles;
    const char *mode;            /* manifest mode (internal_fast | enterprise); NULL: bare flow */
    const char *const *zip_drivers;
    const af_asset *assets;      /* embedded files */
    size_t nassets;
    const af_envfile_def *env_files;
    size_t nenv_files;
    const char *decode_sym, *expand_env_sym; /* plugin secrets hooks or NULL */
    const char *bundle_id;       /* manifest bundle.id, or NULL */
    const char *manifest_source; /* the manifest as named in locations of its shared resources */
} afc_emit_opts;

/* Appends s (n bytes) to b as a C string literal: escapes, octal for
 * control bytes, no trigraphs; long texts are split after newlines. */
void afc_c_string(af_buf *b, const char *s, size_t n);

/* Writes the whole C program for flow f. libs receives the link flags the
 * used steps and drivers declare (deduplicated, space separated). */
void afc_emit_flow(af_buf *out, af_buf *libs, const afc_flow *f, const afc_catalog *cat,
                   const afc_emit_opts *o);

/* ---- cc.c: C -> executable -------------------------------------------------- */

typedef struct afc_cc_opts {
    const char *backend;         /* "tcc" (default) or "gcc" */
    const char *home;            /* AFC_HOME: has lib/afc and include/afc */
    const char *libs;            /* link flags */
    const char *const *extra_sources; /* plugin .c files compiled in (NULL-terminated) */
    const char *plugin_include;  /* include dir for plugins or NULL */
    const char *const *plugin_includes; /* more include dirs for plugins (NULL-terminated) */
} afc_cc_opts;

/* Compiles code into an executable at out (through a temp file in the same
 * directory, renamed when complete). Returns 0, or -1 after reporting. */
int afc_cc(afc_diags *d, const char *code, size_t len, const char *out, const afc_cc_opts *o);
/* Where afc's runtime lives: $AFC_HOME, else relative to /proc/self/exe. */
const char *afc_home(af_arena *a);

/* ---- plugin.c: C plugins --------------------------------------------------- */

typedef struct afc_plugin_file {
    const char *path;            /* to open */
    const char *label;           /* as shown in diagnostics */
} afc_plugin_file;

typedef struct afc_plugins {
    const char **sources;        /* .c files compiled into every executable (NULL-terminated) */
    const char **include_dirs;   /* the plugin directories (NULL-terminated) */
    const char *libs;            /* link flags of every plugin descriptor, space separated */
    const char *decode_sym;      /* "af_secrets_decode" when a plugin defines it, else NULL */
    const char *expand_env_sym;  /* "af_secrets_expand_env" likewise */
    size_t nsteps, ndrivers;     /* descriptors added to the catalog */
} afc_plugins;

/* Compiles the plugin sources (files, n of them) in memory with libtcc
 * against af.h from home, links them with the runtime, and reads every
 * `af_step_*` and `af_driver_*` descriptor they define, appending them to
 * cat (which then validates flows against them exactly as for built-ins).
 * Compile errors are reported at their own file:line:col. The compiled
 * code stays loaded until afc exits: the catalog points into it, and
 * descriptors' check hooks run from it. Returns the plugins (possibly with
 * errors reported), or NULL when nothing could be compiled. */
afc_plugins *afc_plugins_load(af_arena *a, afc_diags *d, afc_catalog *cat,
                              const afc_plugin_file *files, size_t n,
                              const char *const *include_dirs, const char *home);
/* `afc new-step NAME`: writes the commented skeleton of a plugin step to
 * out (refusing to overwrite). Returns 0, or 2 after printing why. */
int afc_new_step(const char *name, const char *out);

/* ---- bundle.c: manifests and whole bundles ----------------------------------- */

typedef struct afc_envfile {
    const char *type;            /* dotenv | json | dir */
    const char *path;            /* relative to the bundle root, or absolute (read at run time) */
    const char *prefix;          /* "" when none */
    int optional;
    afc_pos pos;
} afc_envfile;

typedef struct afc_manifest {
    const char *path;            /* the manifest as given */
    const char *root_dir;        /* the bundle root: the manifest's dir joined with base_path */
    const char *mode;            /* internal_fast | enterprise */
    int enterprise;
    const char *id;              /* bundle.id */
    const char *source_type;     /* filesystem | sftp | smb | db | rest */
    const char *source_resource; /* bundle.source.resource (remote sources) */
    const char *base_path;       /* bundle.source.base_path as written */
    const char *fetch_policy;    /* cache_check | always */
    int strict_fingerprint;      /* bundle.source.strict_fingerprint */
    const char *flows_dir, *profiles_file, *plugins_dir, *entry_flow; /* root-relative */
    afc_pos flows_dir_pos, profiles_file_pos, plugins_dir_pos, entry_flow_pos, source_pos;
    afc_pos source_type_pos;     /* the `type:` value of bundle.source (else source_pos) */
    afc_resource *resources;     /* manifest resources, merged under every flow's */
    size_t nresources;
    const char **plugin_paths;   /* paths.plugins: trusted plugin dirs (enterprise mode) */
    afc_pos *plugin_path_pos;
    size_t nplugin_paths;
    const char **zip_drivers;    /* effective allowlist, NULL-terminated */
    afc_envfile *env_files;
    size_t nenv_files;
} afc_manifest;

typedef struct afc_bundle_flow {
    const char *path;            /* to open */
    const char *label;           /* as shown in diagnostics */
    const char *rel;             /* relative to the bundle root: embedded as the source */
    afc_flow *flow;              /* NULL when it could not be read */
} afc_bundle_flow;

typedef struct afc_bundle {
    afc_manifest *m;
    afc_bundle_flow *flows;      /* the flows to build */
    size_t nflows;
    afc_profile *profiles;       /* compiled-in profiles file */
    size_t nprofiles;
    afc_plugins *plugins;        /* NULL when the bundle has none */
    af_asset *assets;            /* embedded files */
    size_t nassets;
    af_envfile_def *env_files;   /* manifest env files, in order */
    size_t nenv_files;
    afc_bundle_ctx bc;
    const char *manifest_rel;    /* the manifest relative to the root (its name when outside) */
    char fingerprint[65];        /* sha256 of every input file, hex */
} afc_bundle;

/* 1 when root is a bundle manifest: a mapping with a top-level `bundle:` key. */
int afc_is_manifest(const afc_node *root);
/* Reads the manifest's node tree (all problems reported). Returns NULL when
 * it is too broken to go on. */
afc_manifest *afc_spec_manifest(af_arena *a, afc_diags *d, const afc_node *root,
                                const char *path);

/* ---- fetch.c: remote bundle sources ---------------------------------------------- */

/* For an sftp or smb source: opens the manifest resource it names with the
 * same driver the steps use (config templates rendered with the process
 * environment), lists base_path recursively and downloads it into afc's
 * cache (fetch_policy cache_check reuses the cache while the remote listing
 * is unchanged; always downloads anew). Returns the local copy's directory,
 * or NULL after reporting. */
const char *afc_fetch_bundle(af_arena *a, afc_diags *d, const afc_catalog *cat,
                             const afc_manifest *m);

/* Reads and checks the whole bundle of the manifest at path: the manifest,
 * profiles, plugins (added to cat), env files, assets and every flow to
 * build (all of flows_dir and entry_flow; only `only_flow` when given).
 * out_dir (may be NULL) is never embedded. Everything is reported in d;
 * returns NULL when the bundle cannot be read further. */
afc_bundle *afc_bundle_load(af_arena *a, afc_diags *d, afc_catalog *cat, const char *path,
                            const afc_node *root, const char *only_flow, const char *out_dir,
                            const char *home);
/* Fills the emit options of one flow of the bundle. */
void afc_bundle_emit_opts(const afc_bundle *b, const afc_bundle_flow *bf, afc_emit_opts *eo);

#endif /* AFC_H */
