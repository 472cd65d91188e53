/*
 * af_int.h - runtime internals shared by the modules of libafrt.a.
 *
 * Not installed; steps and plugins use af.h only. One section per module,
 * in pipeline order of a run: env snapshot -> settings -> state store ->
 * log -> workspace -> connectors -> executor -> command line.
 */
#ifndef AF_INT_H
#define AF_INT_H

#include "af.h"
#include <stdio.h>

/* ---- util.c: small helpers ---------------------------------------------- */

int64_t af__now_ms(void);                     /* wall clock, ms since epoch */
double af__mono(void);                        /* monotonic seconds */
void af__iso8601(int64_t ms, char out[32]);   /* 2026-11-22T01:02:03.456Z */
/* snprintf into err if err is non-NULL; always returns -1 for `return af__err(...)` */
int af__err(char *err, size_t errlen, const char *fmt, ...) AF_PRINTF(3, 4);
/* Levenshtein distance, capped at 100 */
int af__edit_distance(const char *a, const char *b);

/* ---- fileio.c ------------------------------------------------------------ */

/* Reads the whole file at path into a (NUL-terminated, its length in *len
 * when len is not NULL). Returns 0, or -1 with errno set. */
int af__read_file(af_arena *a, const char *path, char **out, size_t *len);

/* ---- value.c: shared by json.c, tmpl.c and the `when` helpers ----------- */

/* Numeric three-way compare (bool counts as int): -1, 0, 1, or 2 when NaN. */
int af__num_cmp(const af_value *x, const af_value *y);
/* One UTF-8 sequence: returns its length; invalid bytes give 1 and
 * *cp = 0xDC00 + byte. An encoded surrogate (ED A0..BF xx, what the JSON
 * parser stores for a lone \uD800 escape) gives 3 and the surrogate. */
int af__utf8_decode(const unsigned char *s, size_t n, unsigned *cp);

/* ---- env.c: the env snapshot and env files ------------------------------ */

/* Map of strings built from a "K=V" array (the process environ). */
af_value *af__env_snapshot(af_arena *a, char **environ);
/* Loads one env file into `env` (later files override earlier keys).
 * type: dotenv | json | dir (also directory, dir-of-files). path relative to
 * base_dir when not absolute (base_dir may be NULL). A missing optional file
 * is not an error. Values are strings; JSON objects/lists are stored as their
 * JSON text, null values are skipped. Returns 0, or -1 with err. */
int af__envfile_load(af_arena *a, af_value *env, const char *type, const char *path,
                     int optional, const char *prefix, const char *base_dir, char *err,
                     size_t errlen);
/* Parses AETHERFLOW_ENV_FILES_JSON ([{type,path,optional,prefix}, ...]) and
 * loads each file. Returns 0, or -1 with err. */
int af__envfiles_json(af_arena *a, af_value *env, const char *json, char *err, size_t errlen);
/* Loads a list of env files (the manifest's env_files, relative to base_dir)
 * all or nothing: env is updated only when every file loaded. */
int af__envfiles_load_list(af_arena *a, af_value *env, const af_envfile_def *defs, unsigned n,
                           const char *base_dir, char *err, size_t errlen);

/* ---- state.c: the state store (SQLite) ---------------------------------- *
 * Schema documented in docs/state.md. The reference's tables job_runs,
 * step_runs and locks have identical columns; ours are prefixed af_. Every
 * function is one transaction. Returns 0 / -1 with err unless stated. */

typedef struct af_state af_state;

typedef struct af__run_row {
    const char *run_id, *flow_id, *fingerprint, *afc_version, *status, *host;
    int64_t started_ms, ended_ms, pid;
} af__run_row;

typedef struct af__step_row {
    const char *job_id, *step_id, *step_type, *status, *error;
    const char *outputs_json;  /* step output map as JSON, or NULL */
    const char *promoted_json; /* job outputs this step promoted, as JSON map, or NULL */
    int64_t started_ms, ended_ms;
    int attempt;
} af__step_row;

int af__state_open(af_state **out, const char *path, char *err, size_t errlen); /* creates dirs + schema */
/* Open options. sync_full: PRAGMA synchronous=FULL (AETHERFLOW_STATE_SYNC=full:
 * commits survive power loss, not only kill -9); busy_timeout_ms: 0 means the
 * reference's 30 s. */
typedef struct af__state_opts {
    int sync_full;
    int busy_timeout_ms;
} af__state_opts;
void af__state_opts_from_env(af__state_opts *o, const af_value *env); /* zeroes, then reads env */
int af__state_open_ex(af_state **out, const char *path, const af__state_opts *opts, char *err,
                      size_t errlen);
void af__state_close(af_state *st);
const char *af__state_path(af_state *st);
/* af_runs: insert or update (resume keeps started_ms of the first attempt). */
int af__state_run_begin(af_state *st, const af__run_row *r, char *err, size_t errlen);
int af__state_run_end(af_state *st, const char *run_id, const char *status, int64_t ended_ms,
                      char *err, size_t errlen);
/* job_runs (reference semantics: INSERT OR REPLACE with updated_at seconds). */
int af__state_job_set(af_state *st, const char *job_id, const char *run_id, const char *status,
                      char *err, size_t errlen);
/* Like af__state_job_set, also recording an error text (NULL: none) and the
 * job's start/end times in af_job_runs. */
int af__state_job_set_ex(af_state *st, const char *job_id, const char *run_id, const char *status,
                         const char *error, char *err, size_t errlen);
/* 1 found (strings are arena copies), 0 absent, -1 error. */
int af__state_run_get(af_state *st, af_arena *a, const char *run_id, af__run_row *out, char *err,
                      size_t errlen);
/* 1 found (status copied), 0 absent, -1 error. */
int af__state_job_get(af_state *st, const char *job_id, const char *run_id, char status[16]);
/* A step starts: af_step_attempts row with status RUNNING. */
int af__state_step_start(af_state *st, const char *run_id, const af__step_row *r, char *err,
                         size_t errlen);
/* A step ends, in one transaction: step_runs row (only SUCCESS or SKIPPED, as
 * the reference writes), af_step_outputs row, af_step_attempts row updated. */
int af__state_step_end(af_state *st, const char *run_id, const af__step_row *r, char *err,
                       size_t errlen);
/* For resume: 1 when step_runs has SUCCESS/SKIPPED for it, with status and
 * the saved JSON (arena copies, may be NULL); 0 when not done; -1 error. */
int af__state_step_done(af_state *st, af_arena *a, const char *job_id, const char *run_id,
                        const char *step_id, char status[16], const char **outputs_json,
                        const char **promoted_json);
/* locks: 1 acquired, 0 held by another owner, -1 error. Expired rows are
 * removed first, as the reference does. */
int af__state_lock_acquire(af_state *st, const char *key, const char *owner, int64_t ttl_s,
                           char *err, size_t errlen);
int af__state_lock_release(af_state *st, const char *key, const char *owner);
/* For `status`: prints runs (run_id NULL: the latest 20 runs of flow_id, or
 * of every flow when flow_id is NULL too) or one run's jobs and steps, to
 * out, as a table or (json) one JSON document. Returns 0; 1 when the run is
 * unknown (nothing printed); -1 on a database error (message on stderr). */
int af__state_print(af_state *st, FILE *out, const char *flow_id, const char *run_id, int json);

/* ---- log.c: structured logging ------------------------------------------ */

typedef struct af__log {
    int json;      /* AETHERFLOW_LOG_FORMAT=json */
    int level;     /* minimum level (AETHERFLOW_LOG_LEVEL) */
    FILE *out;     /* stderr */
} af__log;

void af__log_init(af__log *lg, const af_value *env); /* reads the settings from the env snapshot */
/* One line: text "TS LEVEL event k=v k=v" (values quoted when they contain
 * spaces or quotes) or a JSON object {"ts_ms":..,"level":..,"event":..,...}.
 * ctx fields come first, then fields; either may be NULL. */
void af__log_event(af__log *lg, af_level lvl, const char *event, const af_kv *ctx,
                   const af_kv *fields);

/* ---- workspace.c: job directories and path sandboxing ------------------- */

int af__rmtree(const char *path); /* 0, or -1 (best effort, continues) */
/* str(PurePosixPath(p)): repeated slashes and "." components dropped, no
 * trailing slash, ".." kept, "" is "."; the reference's work root and job
 * directories are such paths. Arena copy. */
const char *af__path_pure(af_arena *a, const char *p);
/* str(PurePosixPath(dir) / name): an absolute name replaces dir. */
const char *af__path_join(af_arena *a, const char *dir, const char *name);
/* The reference's _resolve_path. artifacts: the job's artifacts dir (exists).
 * roots: NULL-terminated allowed roots for non-enterprise sandboxing (the
 * reference allows settings.work_root, which its runner sets to the flow's
 * workspace root); the artifacts dir is always allowed after them.
 * Result is absolute and normalised (no . or .. components, symlinks of
 * existing components resolved like Path.resolve()). Errors are the
 * reference's messages ("Path escapes job artifacts dir in enterprise mode:
 * P", "Path not under allowed roots: P. Allowed roots: [...]", "Symlink
 * loop from '...'", "Path contains symlink (sandbox blocked): ..."). */
int af__path_resolve(af_arena *a, const char *artifacts, const char *const *roots, int sandbox,
                     int enterprise, const char *p, const char **out, char *err, size_t errlen);

/* ---- connector.c: resources -> connectors ------------------------------- */

typedef struct af__resource {
    const af_resource_def *def;
    const char *name;
    const af_driver *driver;
    af_value *config, *options; /* rendered + decoded (run arena) */
    af_value *decode;           /* profile + resource decode marks, merged (for redaction) */
    af_conn *conn;              /* opened lazily */
} af__resource;

/* Resolves every resource before the first job (profile overlay, env
 * templates, decode). Returns 0, or -1 with err (and *missing for a missing
 * env variable). */
struct af__run;
int af__resources_resolve(struct af__run *r, char *err, size_t errlen, const char **missing);
/* Closes opened connectors in reverse order of opening. */
void af__connectors_close(struct af__run *r);
/* Renders every template string of a value tree with env as the only root
 * (scope holds "env"), as resources are rendered; afc uses it for the
 * resource a bundle is fetched through. Returns 0, or -1 with err (and
 * *missing, when not NULL, for a missing variable). */
int af__render_env(af_arena *a, const af_value *v, const af_value *scope, af_value **out,
                   const char **missing, char *err, size_t errlen);

/* ---- exec.c: the run ---------------------------------------------------- */

typedef struct af__run af__run;
struct af__run {
    const af_flow_def *flow;
    af_arena *arena;          /* run arena */
    af_value *env;            /* env snapshot (map) */
    af__log log;
    af_state *state;
    const char *flow_id, *run_id;
    const char *work_root;    /* workspace.root rendered */
    const char *active_dir;   /* unpacked bundle files (AETHERFLOW_ACTIVE_DIR), or NULL */
    const char *layout_artifacts, *layout_scratch, *layout_manifests;
    const char *cleanup_policy;
    int sandbox, enterprise;
    af_value *meta;           /* rendered flow meta */
    af__resource *resources;  /* nresources entries */
    unsigned nresources;
    af_conn **open_conns;     /* in opening order; closed in reverse */
    unsigned nopen, capopen;
    af_value *jobs;           /* template root `jobs`: job_id -> {status, outputs, ...} */
    volatile int *cancel;     /* set by the signal handler */
};

/* Runs the jobs (all, or only_job) and returns the exit status: 0, 1 when a
 * job failed, 130 when a signal stopped the run. */
int af__run_jobs(af__run *r, const char *only_job, int keep_going);

struct af_conn {
    const af_driver *drv;
    const char *name;
    const af_value *config, *options;
    af_arena *arena;
    void *impl;
    af__run *run;
    int opened;
};

struct af_step {
    af__run *run;
    const af_step_def *def;     /* NULL for nested steps */
    const af_step_desc *desc;
    const char *id, *type, *job_id;
    af_loc loc;
    af_arena *arena;
    const af_value *inputs;
    af_value *out;
    const char *job_dir, *artifacts, *scratch, *manifests;
    af_buf error;               /* af_fail message */
    int failed;
};

/* The build-time check context of step descriptors: afc embeds this as the
 * first member of its own context and implements the two operations. */
typedef struct af__check_ops {
    void (*report)(af_check *c, int is_error, const char *input_path, const char *msg);
    int (*is_template)(af_check *c, const af_value *v);
} af__check_ops;
struct af_check {
    const af__check_ops *ops;
};


/* Validates rendered inputs against desc's schema (required present, types,
 * choices). Returns 0, or -1 with the failure recorded on s. */
int af__validate_inputs(af_step *s, const af_step_desc *desc, const af_value *inputs);

#endif /* AF_INT_H */
