/*
 * af.h - public interface of the afc runtime (libafrt.a).
 *
 * Every flow executable links this runtime. Built-in steps, connector
 * drivers and bundle plugins are written against this header only; the
 * generated flow code uses it too (see the "flow definition" section).
 *
 * Ownership, stated once for the whole header:
 *   - Memory comes from arenas. A run has a run arena; each step call has a
 *     step arena that is reset after the step. Values, strings and buffers
 *     returned by af_* functions live in the arena they were created in and
 *     are never freed one by one.
 *   - Arguments are borrowed unless the function says it consumes them.
 *   - af_buf is the one heap-owned type: release it with af_buf_free().
 *
 * Errors: functions that can fail return 0 on success and -1 on failure;
 * the step-facing ones (af_in_*, af_connector, af_path) also record the
 * failure on the step, so a step can simply `return AF_FAILED`.
 *
 * The runtime uses no thread-local storage (tcc cannot link it): every call
 * takes its context explicitly.
 */
#ifndef AF_H
#define AF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define AF_ABI_VERSION 1 /* bumped when descriptors change shape */

#if defined(__GNUC__) || defined(__TINYC__)
#define AF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define AF_PRINTF(a, b)
#endif

/* ------------------------------------------------------------------------
 * Arenas
 * ---------------------------------------------------------------------- */

typedef struct af_arena af_arena;

af_arena *af_arena_new(void);              /* empty arena; aborts on OOM */
void af_arena_free(af_arena *a);           /* releases everything; NULL ok */
void af_arena_reset(af_arena *a);          /* forgets all allocations, keeps one chunk */
void *af_alloc(af_arena *a, size_t n);     /* zeroed, 16-byte aligned; aborts on OOM */
char *af_strdup(af_arena *a, const char *s);             /* NULL -> NULL */
char *af_strndup(af_arena *a, const char *s, size_t n);  /* always NUL-terminates */
char *af_sprintf(af_arena *a, const char *fmt, ...) AF_PRINTF(2, 3);
char *af_vsprintf(af_arena *a, const char *fmt, va_list ap);

/* ------------------------------------------------------------------------
 * Growable byte buffer (heap owned; always NUL-terminated when len > 0)
 * ---------------------------------------------------------------------- */

typedef struct af_buf {
    char *data; /* NULL until first write */
    size_t len; /* bytes used, excluding the trailing NUL */
    size_t cap; /* bytes allocated */
} af_buf;

void af_buf_put(af_buf *b, const void *p, size_t n);
void af_buf_puts(af_buf *b, const char *s);
void af_buf_putc(af_buf *b, int c);
void af_buf_printf(af_buf *b, const char *fmt, ...) AF_PRINTF(2, 3);
void af_buf_reset(af_buf *b);                 /* len = 0, keeps memory */
void af_buf_free(af_buf *b);                  /* frees and zeroes */
const char *af_buf_cstr(const af_buf *b);     /* "" when empty */

/* ------------------------------------------------------------------------
 * Values: the data model of inputs, outputs, job outputs and state.
 *
 * Seven types, matching what YAML and JSON carry and what the reference
 * implementation's Python values are: null, bool, int (64-bit), double,
 * string (UTF-8, length-counted, also NUL-terminated), list, map (string
 * keys, insertion ordered like a Python dict).
 * ---------------------------------------------------------------------- */

typedef enum af_type {
    AF_NULL = 0,
    AF_BOOL,
    AF_INT,
    AF_DOUBLE,
    AF_STR,
    AF_LIST,
    AF_MAP,
} af_type;

typedef struct af_value af_value;

typedef struct af_pair {
    const char *key; /* NUL-terminated, arena owned */
    af_value *val;
} af_pair;

struct af_value {
    af_type type;
    union {
        int b;     /* AF_BOOL: 0 or 1 */
        int64_t i; /* AF_INT */
        double d;  /* AF_DOUBLE */
        struct {
            const char *ptr; /* NUL-terminated */
            size_t len;      /* bytes, may contain NULs */
        } s;                 /* AF_STR */
        struct {
            af_value **items;
            size_t n, cap;
        } list; /* AF_LIST */
        struct {
            af_pair *pairs;
            size_t n, cap;
        } map; /* AF_MAP */
    } u;
};

/* Shared immutable singletons: never modify them. */
extern af_value af_null_value, af_true_value, af_false_value;

af_value *af_null(void);                        /* &af_null_value */
af_value *af_bool(int b);                       /* a singleton */
af_value *af_int(af_arena *a, int64_t i);
af_value *af_double(af_arena *a, double d);
af_value *af_str(af_arena *a, const char *s);   /* copies s */
af_value *af_strn(af_arena *a, const char *s, size_t n);
af_value *af_list(af_arena *a);                 /* empty list */
void af_list_push(af_arena *a, af_value *list, af_value *v);     /* v is not copied */
af_value *af_map(af_arena *a);                  /* empty map */
void af_map_set(af_arena *a, af_value *map, const char *key, af_value *v); /* replaces in place */
af_value *af_map_get(const af_value *map, const char *key); /* NULL when absent or not a map */
int af_map_del(af_value *map, const char *key);             /* 1 if removed */

af_value *af_value_copy(af_arena *a, const af_value *v);    /* deep copy into a */

/* Python-like conversions, the rules af_in_* and afc's literal checks use:
 * int() of an int, bool, float (truncated) or numeric string ("1_000");
 * float() likewise; a boolean from a bool, a number, null (false) or the
 * strings true/false/yes/no/on/off/y/n/1/0 (any case). 0, or -1 when the
 * value does not convert (nothing stored). */
int af_to_int(const af_value *v, int64_t *out);
int af_to_double(const af_value *v, double *out);
int af_to_bool(const af_value *v, int *out);
int af_value_equal(const af_value *x, const af_value *y);  /* Python == (1 == 1.0, True == 1) */
int af_truthy(const af_value *v);                          /* Python bool() */
const char *af_type_name(af_type t);                       /* "null", "bool", ... */

/* Python's str() and repr() of the equivalent Python value, appended to b:
 * str(True) = "True", str(None) = "None", str(1.0) = "1.0",
 * str(['a', 1]) = "['a', 1]", str({'k': None}) = "{'k': None}".
 * Template rendering of mixed text uses af_py_str. */
void af_py_str(af_buf *b, const af_value *v);
void af_py_repr(af_buf *b, const af_value *v);
/* Shortest repr of a double as Python prints it: 12.0, 100.25, 1e+16, inf, nan. */
void af_py_float(af_buf *b, double d);

/* JSON. Encoding matches Python's json.dumps(v, ensure_ascii=False) with the
 * default separators (", " and ": ") unless AF_JSON_COMPACT is given, in
 * which case (",", ":") are used. NaN/Infinity are written as Python does. */
enum { AF_JSON_COMPACT = 1, AF_JSON_ASCII = 2 };
void af_json_write(af_buf *b, const af_value *v, unsigned flags);
char *af_json_str(af_arena *a, const af_value *v, unsigned flags);
/* Parses one JSON document (RFC 8259 plus NaN/Infinity as Python accepts).
 * Integers that fit int64 become AF_INT, others AF_DOUBLE. Returns 0, or -1
 * with a message "line L column C: ..." in err. */
int af_json_parse(af_arena *a, const char *text, size_t len, af_value **out, char *err,
                  size_t errlen);

/* ------------------------------------------------------------------------
 * Templates: {{PATH}} and {{PATH:DEFAULT}}, the strict contract of
 * AetherFlow (docs/templating.md). afc splits template strings at build
 * time into segments; the runtime can also parse (profiles given as JSON
 * at run time carry templates too).
 * ---------------------------------------------------------------------- */

typedef enum af_seg_kind {
    AF_SEG_TEXT = 0, /* literal text */
    AF_SEG_REF = 1,  /* {{path}} or {{path:default}} */
} af_seg_kind;

typedef struct af_tmpl_seg {
    unsigned char kind;        /* af_seg_kind */
    const char *text;          /* TEXT: the literal; REF: the whole path "a.b.c" */
    size_t len;                /* TEXT: byte length */
    const char *const *parts;  /* REF: path split at '.', nparts entries */
    unsigned nparts;           /* REF */
    const char *def;           /* REF: default text, NULL when none ("" is a default) */
} af_tmpl_seg;

typedef struct af_tmpl {
    const af_tmpl_seg *segs;
    unsigned nsegs;
    unsigned char standalone; /* one REF and nothing else: the result keeps its type */
    const char *src;          /* the original string, for messages */
} af_tmpl;

#define AF_TMPL_UNSUPPORTED "Unsupported templating syntax. Use {{VAR}} or {{VAR:DEFAULT}}"

/* Parses s. Returns 1 if s is a template (contains "{{" or "}}"), 0 if it is
 * plain text (*out untouched), -1 on a syntax error (message, starting with
 * AF_TMPL_UNSUPPORTED, in err; *errpos = byte offset of the problem).
 * allowed_roots: NULL for any, else a NULL-terminated list of root names. */
int af_tmpl_parse(af_arena *a, const char *s, size_t len, const char *const *allowed_roots,
                  af_tmpl **out, size_t *errpos, char *err, size_t errlen);
/* 1 if s contains "${", "{%", "%}", "{#", "#}" or "{}" anywhere. */
int af_tmpl_forbidden(const char *s, size_t len);

/* Renders t against scope (a map whose keys are the roots: env, steps, ...).
 * Standalone: the looked-up value itself (shared, not copied), or the
 * default as a string. Mixed: a new string, refs formatted with af_py_str.
 * A missing value or an empty string counts as missing. Returns 0, or -1
 * with err set: "missing: PATH" style message for a missing key (and
 * *missing = the path), or AF_TMPL_UNSUPPORTED when the rendered text holds
 * forbidden syntax. */
int af_tmpl_render(af_arena *a, const af_tmpl *t, const af_value *scope, af_value **out,
                   const char **missing, char *err, size_t errlen);

/* ------------------------------------------------------------------------
 * Compiled values: static const trees emitted by afc for inputs, outputs,
 * resource config and flow settings. Strings that are templates carry the
 * pre-split template; everything else is literal.
 * ---------------------------------------------------------------------- */

enum { AF_CTMPL = 100 }; /* af_cval.type for a template string */

typedef struct af_cval {
    unsigned char type; /* af_type, or AF_CTMPL */
    union {
        int b;
        int64_t i;
        double d;
        struct {
            const char *ptr;
            size_t len;
        } s;
        const af_tmpl *t;
        struct {
            const struct af_cval *items;
            size_t n;
        } list;
        struct {
            const char *const *keys;
            const struct af_cval *vals;
            size_t n;
        } map;
    } u;
} af_cval;

/* Renders a compiled tree against scope into arena a (templates rendered,
 * literals copied). On failure returns -1 with err and, for missing keys,
 * *missing set. */
int af_cval_render(af_arena *a, const af_cval *cv, const af_value *scope, af_value **out,
                   const char **missing, char *err, size_t errlen);
/* Converts without rendering: template strings stay as their source text. */
af_value *af_cval_literal(af_arena *a, const af_cval *cv);

/* ------------------------------------------------------------------------
 * Locations in the flow's YAML, carried into the executable for messages
 * ---------------------------------------------------------------------- */

typedef struct af_loc {
    const char *file; /* as given to afc, relative to the bundle root */
    int line;         /* 1-based */
    int col;          /* 1-based */
} af_loc;

/* ------------------------------------------------------------------------
 * Step descriptors: the step ABI
 * ---------------------------------------------------------------------- */

/* Accepted value types of an input, a bit set. */
enum {
    AF_TY_NULL = 1 << AF_NULL,
    AF_TY_BOOL = 1 << AF_BOOL,
    AF_TY_INT = 1 << AF_INT,
    AF_TY_DOUBLE = 1 << AF_DOUBLE,
    AF_TY_STR = 1 << AF_STR,
    AF_TY_LIST = 1 << AF_LIST,
    AF_TY_MAP = 1 << AF_MAP,
    AF_TY_NUMBER = AF_TY_INT | AF_TY_DOUBLE,
    AF_TY_ANY = 0x7f,
};

typedef struct af_input {
    const char *name;     /* key under `inputs:` */
    unsigned types;       /* AF_TY_* accepted; ints are accepted where doubles are */
    int required;         /* 1: must be present (after rendering, may not be missing) */
    const char *def;      /* default as JSON text, for docs and af_in_* callers; NULL: none */
    const char *choices;  /* "a|b|c": allowed string values, NULL: any */
    const char *doc;      /* one line for `afc help STEP` */
} af_input;

typedef struct af_output {
    const char *name; /* key in the step's output map */
    const char *type; /* "string", "int", "bool", "list[string]", ... for docs */
    const char *doc;  /* one line for `afc help STEP` */
} af_output;

typedef enum af_status {
    AF_FAILED = -1, /* af_fail() was called; the job fails */
    AF_SUCCESS = 0, /* outputs in af_out() */
    AF_SKIPPED = 1, /* "no data": a valid outcome; honours on_no_data */
} af_status;

typedef struct af_step af_step; /* one step call, owned by the executor */
typedef struct af_check af_check; /* build-time check context, owned by afc */

typedef struct af_step_desc {
    int abi;                     /* AF_ABI_VERSION */
    const char *name;            /* step type as written in flow YAML */
    const char *summary;         /* one line for `afc list-steps` */
    const af_input *inputs;      /* schema, terminated by an entry with name NULL */
    const af_output *outputs;    /* documented outputs, terminated by name NULL */
    const char *resource_kinds;  /* "sftp", "db|archive": kinds `resource` may name; NULL: none */
    unsigned flags;              /* AF_STEP_* */
    af_status (*run)(af_step *s); /* does the work; see "Step context" below */
    /* Optional build-time check of literal inputs (templates appear as
     * strings holding their source, marked by af_check_is_template). Report
     * problems with af_check_error. NULL: schema checks only. */
    void (*check)(af_check *c, const af_value *inputs);
    const char *libs;            /* extra link flags the step needs ("-lfoo"), or NULL */
    const char *help;            /* longer text for `afc help STEP`, or NULL */
} af_step_desc;

enum {
    AF_STEP_OPEN_INPUTS = 1, /* inputs outside the schema are expected, not warned about */
    AF_STEP_NESTED_STEP = 2, /* the `step` input holds a step (id/type/inputs): with_lock */
};

/* Build-time check helpers (called only from af_step_desc.check). */
void af_check_error(af_check *c, const char *input_path, const char *fmt, ...) AF_PRINTF(3, 4);
void af_check_warning(af_check *c, const char *input_path, const char *fmt, ...) AF_PRINTF(3, 4);
int af_check_is_template(af_check *c, const af_value *v); /* a string that is rendered at run time */

/* ------------------------------------------------------------------------
 * Step context: what a step's run function may use
 * ---------------------------------------------------------------------- */

af_arena *af_arena_of(af_step *s);         /* step arena: reset after the step */
const af_value *af_inputs(af_step *s);     /* rendered inputs (a map) */
const af_value *af_in(af_step *s, const char *name); /* NULL when absent */

/* Typed input readers. They coerce like the reference's Python calls
 * (int("5") == 5, float("1.5"), str(x)); a boolean accepts true/false,
 * numbers, and the strings true/false/yes/no/on/off/1/0. On absence they
 * store def and return 0; on a bad value they record a failure naming the
 * input and return -1. */
int af_in_str(af_step *s, const char *name, const char *def, const char **out);
int af_in_int(af_step *s, const char *name, int64_t def, int64_t *out);
int af_in_double(af_step *s, const char *name, double def, double *out);
int af_in_bool(af_step *s, const char *name, int def, int *out);
/* A string or a list of strings (None -> empty), as the reference's _as_list. */
int af_in_strlist(af_step *s, const char *name, const char ***out, size_t *n);

af_value *af_out(af_step *s);              /* the output map being built */
void af_out_set(af_step *s, const char *key, af_value *v); /* v must live in af_arena_of(s) */

/* Records the failure message (the executor adds step id, type and YAML
 * location) and returns AF_FAILED. */
af_status af_fail(af_step *s, const char *fmt, ...) AF_PRINTF(2, 3);
/* Sets outputs["reason"] (if not already set) and returns AF_SKIPPED. */
af_status af_skip(af_step *s, const char *reason);

const char *af_step_id(af_step *s);
const char *af_step_type(af_step *s);
const char *af_job_id(af_step *s);
const char *af_run_id(af_step *s);
const char *af_flow_id(af_step *s);
af_loc af_step_loc(af_step *s);

/* The run's env snapshot (never the process environment). */
const char *af_env(af_step *s, const char *key); /* NULL when unset */
const af_value *af_env_map(af_step *s);          /* map of strings */

/* Workspace of the step's job: <root>/<flow_id>/<job_id>/<run_id>/... */
const char *af_artifacts_dir(af_step *s);
const char *af_scratch_dir(af_step *s);
const char *af_manifests_dir(af_step *s);
const char *af_job_dir(af_step *s);
/* Resolves a user path as the reference's _resolve_path: relative paths
 * under the job's artifacts dir; absolute ones must stay under the allowed
 * roots when sandboxing is on (default), and under the artifacts dir with no
 * symlink in the chain in enterprise mode. Stores an absolute, normalised
 * path in *out (step arena). On refusal records a failure naming `what`
 * (e.g. the input name) and returns -1. */
int af_path(af_step *s, const char *what, const char *path, const char **out);

/* Logging: one event per line, text or JSON (AETHERFLOW_LOG_FORMAT). */
typedef enum af_level { AF_DEBUG = 10, AF_INFO = 20, AF_WARNING = 30, AF_ERROR = 40 } af_level;

typedef struct af_kv {
    const char *key;
    int type;          /* AF_KV_STR, AF_KV_INT, AF_KV_VAL; 0 ends a list */
    const char *s;
    int64_t i;
    const af_value *v;
} af_kv;
enum { AF_KV_END = 0, AF_KV_STR = 1, AF_KV_INT = 2, AF_KV_VAL = 3 };
#define AF_KS(k, x) {(k), AF_KV_STR, (x), 0, NULL}
#define AF_KI(k, x) {(k), AF_KV_INT, NULL, (x), NULL}
#define AF_KVAL(k, x) {(k), AF_KV_VAL, NULL, 0, (x)}

/* Emits `event` with the step's flow_id, run_id, job_id, step_id and
 * step_type plus the given fields (list ends with a zero entry; NULL ok). */
void af_log(af_step *s, af_level lvl, const char *event, const af_kv *fields);
/* A free-form message as event "message" with field message=... */
void af_logf(af_step *s, af_level lvl, const char *fmt, ...) AF_PRINTF(3, 4);

/* Locks in the state store (table `locks`), owned by the run. ttl in
 * seconds. Returns 1 acquired, 0 held by someone else, -1 error (recorded). */
int af_lock_acquire(af_step *s, const char *key, int64_t ttl_seconds);
void af_lock_release(af_step *s, const char *key);

/* Runs another step type inside this one (with_lock): `type` must be linked
 * into the executable. Its inputs are validated against its schema; its
 * outputs and status become this step's. */
af_status af_run_nested(af_step *s, const char *type, const char *id, const af_value *inputs);

/* Cancellation: set when the run received SIGTERM/SIGINT. Long steps poll it. */
int af_cancelled(af_step *s);

/* Bundle mode: 1 when the manifest says `mode: enterprise`. */
int af_enterprise(af_step *s);
/* The manifest's zip_drivers allowlist (NULL-terminated), or NULL when the
 * bundle has none. */
const char *const *af_zip_drivers(af_step *s);

/* ------------------------------------------------------------------------
 * Connectors: resource + profile -> config/options -> driver instance
 * ---------------------------------------------------------------------- */

typedef struct af_conn af_conn;

typedef struct af_driver {
    int abi;                    /* AF_ABI_VERSION */
    const char *kind;           /* "sftp", "smb", "mail", "db", "rest", "archive", ... */
    const char *name;           /* driver name in YAML ("libssh2") */
    const char *aliases;        /* space-separated other accepted names ("paramiko"), or NULL */
    const char *summary;        /* one line for docs */
    const af_input *config;     /* config schema (NULL: not checked) */
    const af_input *options;    /* options schema (NULL: not checked) */
    /* Opens the connection on first use. Reads af_conn_config/options,
     * stores its state with af_conn_set_impl. Returns 0, or -1 with a
     * message in err (never containing secrets). */
    int (*open)(af_conn *c, char *err, size_t errlen);
    void (*close)(af_conn *c);  /* releases what open made; called once at run end */
    const void *ops;            /* kind-specific primitives (af_sftp_ops, ...) */
    const char *libs;           /* link flags ("-lssh2"), or NULL */
} af_driver;

const af_driver *af_conn_driver(const af_conn *c);
const char *af_conn_name(const af_conn *c);            /* resource name */
const af_value *af_conn_config(const af_conn *c);      /* resolved, decoded map */
const af_value *af_conn_options(const af_conn *c);     /* resolved, decoded map */
af_arena *af_conn_arena(af_conn *c);                   /* lives until the run ends */
void *af_conn_impl(const af_conn *c);
void af_conn_set_impl(af_conn *c, void *impl);
/* Logs like af_log, with resource= and driver= fields (no step context). */
void af_conn_log(af_conn *c, af_level lvl, const char *event, const af_kv *fields);

/* The opened connector for resource `name`, which must be of `kind`. On
 * failure records it on the step (naming the resource) and returns NULL.
 * Connectors are opened once per run and closed in reverse order at run end. */
af_conn *af_connector(af_step *s, const char *name, const char *kind);
/* An ad-hoc connector of driver d with the given config/options (copied),
 * registered on the run like the others. */
af_conn *af_connector_adhoc(af_step *s, const af_driver *d, const af_value *config,
                            const af_value *options);
/* 1 if the flow declares a resource called name. */
int af_has_resource(af_step *s, const char *name);
const char *af_resource_kind(af_step *s, const char *name); /* NULL if undeclared */

/* ------------------------------------------------------------------------
 * Child processes (external.process, archive drivers that call tools)
 * ---------------------------------------------------------------------- */

typedef enum af_io_mode {
    AF_IO_INHERIT = 0, /* the child writes to our stdout/stderr */
    AF_IO_CAPTURE,     /* kept in memory up to max_capture bytes, and passed to on_line */
    AF_IO_FILE,        /* appended to log_path */
    AF_IO_DISCARD,     /* /dev/null */
} af_io_mode;

typedef struct af_proc_spec {
    const char *const *argv;  /* argv[0] searched in PATH of envp (or ours when envp NULL) */
    const char *cwd;          /* NULL: ours */
    const char *const *envp;  /* NULL-terminated "K=V" list; NULL: empty environment */
    af_io_mode out_mode, err_mode;
    const char *log_path;     /* for AF_IO_FILE (opened for append, created 0644) */
    size_t max_capture;       /* per stream, bytes kept for AF_IO_CAPTURE */
    double timeout;           /* seconds; <= 0: none */
    double kill_grace;        /* seconds between SIGTERM and SIGKILL after a timeout */
    /* Called for each complete line of a captured stream (stream 1 or 2),
     * without its newline, before the process ends. May be NULL. */
    void (*on_line)(void *ud, int stream, const char *line, size_t len);
    void *ud;
    /* Polled while waiting: nonzero ends the child as on a timeout. May be NULL. */
    int (*cancelled)(void *ud);
} af_proc_spec;

typedef struct af_proc_result {
    int exit_code;    /* exit status, or 128+signal when killed by a signal */
    int signaled;     /* killed by a signal (signal number) or 0 */
    int timed_out;    /* 1 if the timeout (or cancellation) ended it */
    af_buf out, err;  /* captured text (AF_IO_CAPTURE); free with af_buf_free */
} af_proc_result;

/* Runs a child in its own process group and waits for it, killing the whole
 * group on timeout (SIGTERM, then SIGKILL after kill_grace) so no orphans or
 * zombies remain. Returns 0 when the child ran (whatever its exit code), -1
 * when it could not be started (message in err, e.g. "cmd: not found"). */
int af_proc_run(const af_proc_spec *spec, af_proc_result *res, char *err, size_t errlen);

/* Hex SHA-256 of a file (65 bytes incl. NUL into hex), or -1 with errno set. */
int af_sha256_file(const char *path, char hex[65]);

/* Atomic file output: writes go to a temp file beside `path`; commit fsyncs
 * and renames it into place; abort (or a crash) leaves `path` untouched. */
typedef struct af_atomic {
    int fd;            /* write here */
    char *tmp_path;    /* heap owned until commit/abort */
    char *path;
} af_atomic;
int af_atomic_open(af_atomic *f, const char *path, int mode, char *err, size_t errlen);
int af_atomic_commit(af_atomic *f, char *err, size_t errlen); /* fsync + rename + fsync dir */
void af_atomic_abort(af_atomic *f);                          /* unlink temp; safe twice */
/* mkdir -p; 0 or -1 with errno. */
int af_mkdirs(const char *path, int mode);

/* ------------------------------------------------------------------------
 * Flow definition: emitted by afc as static const data, consumed by af_main
 * ---------------------------------------------------------------------- */

typedef struct af_when af_when; /* evaluation context of a compiled `when` */

/* Helpers the generated `when` functions call. Each returns NULL on error
 * (recorded in w) or a value (possibly shared). */
const af_value *af_when_job(af_when *w, const char *job_id, const char *const *attrs,
                            unsigned nattrs, af_loc loc);
const af_value *af_when_cmp(af_when *w, int op, const af_value *x, const af_value *y, af_loc loc);
enum { AF_CMP_EQ, AF_CMP_NE, AF_CMP_LT, AF_CMP_LE, AF_CMP_GT, AF_CMP_GE };
const af_value *af_when_const(af_when *w, const af_cval *cv);
/* Python truthiness as `when` sees values: a mapping is a SimpleNamespace
 * there, which is always true (even empty); everything else as af_truthy. */
int af_when_truthy(const af_value *v);

typedef struct af_step_def {
    const char *id;
    const char *type;             /* as written */
    const af_step_desc *desc;     /* the linked implementation */
    const af_cval *inputs;        /* map */
    const af_cval *outputs;       /* map of job output key -> template, or NULL */
    int skip_job_on_no_data;      /* on_no_data: skip_job */
    af_loc loc;                   /* the step's `- id:` entry */
} af_step_def;

typedef struct af_job_def {
    const char *id;
    const char *description;      /* NULL when absent */
    const int *depends_on;        /* indexes of earlier jobs */
    unsigned ndeps;
    /* Compiled `when`: 1 true, 0 false, -1 error (message in w). NULL: no when. */
    int (*when)(af_when *w);
    const char *when_src;         /* the expression as written */
    const af_step_def *steps;
    unsigned nsteps;
    af_loc loc;
} af_job_def;

typedef struct af_resource_def {
    const char *name;
    const char *kind;
    const char *driver_name;      /* as written */
    const af_driver *driver;      /* linked driver */
    const char *profile;          /* NULL when none */
    const af_cval *config;        /* map */
    const af_cval *options;       /* map */
    const af_cval *decode;        /* map */
    af_loc loc;
} af_resource_def;

typedef struct af_profile_def {
    const char *name;
    const af_cval *config, *options, *decode; /* maps */
} af_profile_def;

typedef struct af_asset {
    const char *path;             /* relative to the bundle root */
    const unsigned char *data;
    size_t size;
    unsigned mode;                /* permission bits of the bundle file (0: 0644) */
} af_asset;

typedef struct af_envfile_def {
    const char *type;             /* dotenv | json | dir */
    const char *path;             /* bundle-relative */
    int optional;
    const char *prefix;
} af_envfile_def;

typedef struct af_flow_def {
    int abi;                               /* AF_ABI_VERSION */
    const char *flow_id;                   /* literal flow.id */
    const af_cval *meta;                   /* the `flow:` mapping with defaults, rendered with env */
    const af_resource_def *resources;
    unsigned nresources;
    const af_profile_def *profiles;        /* compiled-in profiles file */
    unsigned nprofiles;
    const af_job_def *jobs;
    unsigned njobs;
    const af_step_desc *const *step_types; /* every step type linked, for af_run_nested */
    unsigned nstep_types;
    const af_driver *const *drivers;       /* every driver linked */
    unsigned ndrivers;
    const af_asset *assets;                /* embedded bundle files */
    unsigned nassets;
    const af_envfile_def *env_files;       /* embedded env files, in order */
    unsigned nenv_files;
    const char *mode;                      /* manifest mode (internal_fast...); NULL: bare flow */
    const char *const *zip_drivers;        /* manifest allowlist, NULL-terminated, or NULL */
    const char *source;                    /* flow file as given to afc */
    const char *fingerprint;               /* sha256 of the bundle, hex */
    const char *afc_version;
    const char *build_time;                /* ISO 8601 UTC */
    const char *libs;                      /* system libraries linked, for --version */
    /* Secrets hooks from a plugin, or NULL (AETHERFLOW_SECRETS_CMD otherwise). */
    int (*decode)(af_arena *a, const char *in, const char **out, char *err, size_t errlen);
    int (*expand_env)(af_arena *a, af_value *env, char *err, size_t errlen);
    const char *bundle_id;                 /* manifest bundle.id, or NULL for a lone flow file */
} af_flow_def;

/* The secrets hooks a bundle plugin may define under these fixed names
 * (afc-plugins(7)); afc wires them into af_flow_def.decode / .expand_env.
 * decode: one marked value in, the decoded value out (*out allocated in a);
 * expand_env: may add or replace keys of the env map used to render
 * resources. Both return 0, or -1 with a message in err that must not
 * contain the value. */
int af_secrets_decode(af_arena *a, const char *in, const char **out, char *err, size_t errlen);
int af_secrets_expand_env(af_arena *a, af_value *env, char *err, size_t errlen);

/* The flow executable's main: parses the command line (run, status,
 * explain, validate-env, --version, --help) and returns the exit status. */
int af_main(const af_flow_def *flow, int argc, char **argv);

#endif /* AF_H */
