/*
 * external_process.c - the built-in `external.process` step: runs an
 * operating-system command (dbt, spark-submit, a shell script, any CLI
 * tool) with a timeout and kill escalation, bounded output capture or
 * logging to a file, retries, success checks on the files it leaves
 * behind, and two idempotency helpers (skip when a marker exists; write
 * into a temp directory that is renamed into place on success).
 *
 * Semantics are the reference implementation's ExternalProcess step
 * (inputs, defaults, outputs, log events, error messages), with the
 * deliberate differences listed in docs/external-process.md. The process
 * itself is run by af_proc_run (runtime/proc.c): its own process group,
 * one poll loop, SIGTERM then SIGKILL to the whole group on timeout.
 *
 * Nested inputs (log.*, retry.*, success.*, idempotency.*) are read with
 * the same coercions as the af_in_* readers: int("5"), float("1.5"),
 * true/false/yes/no strings.
 */
#include "af.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define STEP "external.process"

/* ---- values: coercions and text ---------------------------------------- */

/* Python str(v) in the step arena. */
static const char *pystr(af_arena *a, const af_value *v)
{
    if (v->type == AF_STR) return v->u.s.ptr;
    af_buf b = {0};
    af_py_str(&b, v);
    char *s = af_strndup(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return s;
}

static af_status bad_value(af_step *s, const char *path, const char *want, const af_value *v)
{
    af_buf b = {0};
    af_py_repr(&b, v);
    af_fail(s, STEP " input %s must be %s, not %s %.60s%s", path, want, af_type_name(v->type),
            af_buf_cstr(&b), b.len > 60 ? "..." : "");
    af_buf_free(&b);
    return AF_FAILED;
}

/* int(), float() and the boolean words through af_to_int, af_to_double and
 * af_to_bool (af.h), for values nested in the map inputs. Absent gives def;
 * null gives def for numbers and false for booleans (Python's bool(None)).
 * 0, or -1 with the failure recorded. */
static int co_int(af_step *s, const char *path, const af_value *v, int64_t def, int64_t *out)
{
    *out = def;
    if (!v || v->type == AF_NULL || af_to_int(v, out) == 0) return 0;
    bad_value(s, path, "an integer", v);
    return -1;
}

static int co_double(af_step *s, const char *path, const af_value *v, double def, double *out)
{
    *out = def;
    if (!v || v->type == AF_NULL || af_to_double(v, out) == 0) return 0;
    bad_value(s, path, "a number", v);
    return -1;
}

static int co_bool(af_step *s, const char *path, const af_value *v, int def, int *out)
{
    *out = def;
    if (!v || af_to_bool(v, out) == 0) return 0;
    bad_value(s, path, "a boolean (true or false)", v);
    return -1;
}

/* The reference's `float(x or D)`: any falsy value gives D. */
static int co_double_or(af_step *s, const char *path, const af_value *v, double d, double *out)
{
    if (!v || !af_truthy(v)) return *out = d, 0;
    return co_double(s, path, v, d, out);
}

/* The reference's _as_list: null -> [], a list as is, anything else -> [x].
 * Stores the elements in *items (step arena). */
static void as_list(af_arena *a, const af_value *v, const af_value ***items, size_t *n)
{
    *n = 0;
    *items = NULL;
    if (!v || v->type == AF_NULL) return;
    if (v->type == AF_LIST) {
        *items = (const af_value **)v->u.list.items;
        *n = v->u.list.n;
        return;
    }
    const af_value **one = af_alloc(a, sizeof *one);
    one[0] = v;
    *items = one;
    *n = 1;
}

static int int_list(af_step *s, const char *path, const af_value *v, int64_t **out, size_t *n)
{
    const af_value **items;
    as_list(af_arena_of(s), v, &items, n);
    *out = af_alloc(af_arena_of(s), (*n + 1) * sizeof **out);
    for (size_t i = 0; i < *n; i++)
        if (co_int(s, path, items[i], 0, &(*out)[i]) < 0) return -1;
    return 0;
}

static int in_list(const int64_t *l, size_t n, int64_t x)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == x) return 1;
    return 0;
}

/* `self.inputs.get(name) or {}` followed by .get(): a falsy value is an
 * empty mapping (NULL here), a truthy one must be a mapping. */
static int sub_map(af_step *s, const char *name, const af_value **out)
{
    const af_value *v = af_in(s, name);
    *out = NULL;
    if (!v || !af_truthy(v)) return 0;
    if (v->type != AF_MAP) {
        bad_value(s, name, "a mapping", v);
        return -1;
    }
    *out = v;
    return 0;
}

static const af_value *mget(const af_value *map, const char *key)
{
    return map ? af_map_get(map, key) : NULL;
}

/* Appends n bytes of child output decoded as Python's
 * bytes.decode("utf-8", errors="replace") would: every maximal invalid
 * subsequence becomes one U+FFFD. */
static void utf8_replace(af_buf *b, const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0, start = 0;
    while (i < n) {
        unsigned c = u[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need = 0;
        unsigned lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf)
            need = 1;
        else if (c == 0xe0)
            need = 2, lo = 0xa0;
        else if (c == 0xed)
            need = 2, hi = 0x9f;
        else if (c >= 0xe1 && c <= 0xef)
            need = 2;
        else if (c == 0xf0)
            need = 3, lo = 0x90;
        else if (c >= 0xf1 && c <= 0xf3)
            need = 3;
        else if (c == 0xf4)
            need = 3, hi = 0x8f;
        size_t k = 1;
        int ok = need > 0;
        for (size_t j = 0; ok && j < need; j++) {
            size_t at = i + 1 + j;
            unsigned l = j ? 0x80 : lo, h = j ? 0xbf : hi;
            if (at >= n || u[at] < l || u[at] > h)
                ok = 0;
            else
                k++;
        }
        if (ok) {
            i += 1 + need;
            continue;
        }
        af_buf_put(b, p + start, i - start);
        af_buf_put(b, "\xef\xbf\xbd", 3);
        i += k;
        start = i;
    }
    af_buf_put(b, p + start, n - start);
}

static af_value *text_value(af_arena *a, const af_buf *raw)
{
    af_buf b = {0};
    utf8_replace(&b, af_buf_cstr(raw), raw->len);
    af_value *v = af_strn(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return v;
}

/* Python's shlex.quote. */
static void sh_quote(af_buf *b, const char *s)
{
    if (!*s) {
        af_buf_puts(b, "''");
        return;
    }
    int safe = 1;
    for (const char *p = s; *p && safe; p++)
        safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               strchr("_@%+=:,./-", *p) != NULL;
    if (safe) {
        af_buf_puts(b, s);
        return;
    }
    af_buf_putc(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            af_buf_puts(b, "'\"'\"'");
        else
            af_buf_putc(b, *p);
    }
    af_buf_putc(b, '\'');
}

/* ---- files: existence, globs, removal, moves --------------------------- */

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0; /* follows links, like Path.exists() */
}

static const char *dir_part(af_arena *a, const char *p)
{
    const char *slash = strrchr(p, '/');
    if (!slash) return ".";
    if (slash == p) return "/";
    return af_strndup(a, p, (size_t)(slash - p));
}

/* Path(dir).glob(name) found something (pathlib: dot files match too). */
static int glob_any(const char *dir, const char *name)
{
    struct stat st;
    if (!strcmp(name, "**")) return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    if (!strpbrk(name, "*?[")) {
        char *full = malloc(strlen(dir) + strlen(name) + 2);
        if (!full) return 0;
        sprintf(full, "%s/%s", dir, name);
        int ok = stat(full, &st) == 0;
        free(full);
        return ok;
    }
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)))
        found = strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                fnmatch(name, e->d_name, FNM_NOESCAPE) == 0;
    closedir(d);
    return found;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    remove(p);
    return 0;
}

/* shutil.rmtree(p, ignore_errors=True). */
static void rmtree(const char *p)
{
    nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the step ----------------------------------------------------------- */

typedef struct xp {
    af_step *s;
    af_arena *a;
    af_value *cmd;           /* the command as a list of strings (logs, messages) */
    const char *popen_shown; /* what was run, for the failure message */
    const char **argv;       /* what is exec'd */
    const char **envp;
    const char *cwd;
    int has_timeout;
    double timeout;
    int64_t kill_grace;
    af_io_mode out_mode, err_mode;
    size_t max_cap;
    const char *log_file; /* resolved log.file_path, or NULL */
    af_buf line;          /* one decoded output line, reused (memory stays flat) */
} xp;

static void on_line(void *ud, int stream, const char *line, size_t len)
{
    xp *x = ud;
    af_buf_reset(&x->line);
    utf8_replace(&x->line, line, len);
    if (!x->line.len) return; /* blank lines are not logged */
    af_kv f[] = {AF_KS("message", x->line.data), {0}};
    af_log(x->s, stream == 1 ? AF_INFO : AF_WARNING,
           stream == 1 ? "external_process_stdout" : "external_process_stderr", f);
}

static int is_cancelled(void *ud)
{
    return af_cancelled(((xp *)ud)->s);
}

/* log.stdout / log.stderr: `(value or "inherit").lower()`. */
static int parse_mode(af_step *s, const af_value *v, af_io_mode *out)
{
    const char *name = "inherit";
    if (v && af_truthy(v)) {
        if (v->type != AF_STR) {
            af_buf b = {0};
            af_py_str(&b, v);
            af_fail(s, "Unsupported log mode: %s", af_buf_cstr(&b));
            af_buf_free(&b);
            return -1;
        }
        char *low = af_strdup(af_arena_of(s), v->u.s.ptr);
        for (char *p = low; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
        name = low;
    }
    static const char *const names[] = {"inherit", "capture", "file", "discard"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i])) return *out = (af_io_mode)i, 0;
    af_fail(s, "Unsupported log mode: %s", name);
    return -1;
}

/* The reference's _check_success. Returns 1 (passes), 0 (fails, *reason
 * set) or -1 (a path was refused; the failure is recorded). */
static int check_success(xp *x, const af_value *spec, const char **reason)
{
    static const struct {
        const char *key, *what;
        int kind; /* 0 must exist, 1 glob must match, 2 must not exist */
    } rules[] = {
        {"require_files", "success.require_files", 0},
        {"marker_file", "success.marker_file", 0},
        {"require_glob", "success.require_glob", 1},
        {"forbid_files", "success.forbid_files", 2},
    };
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        const af_value *v = mget(spec, rules[r].key);
        const af_value **items;
        size_t n;
        if (r == 1) { /* marker_file: one path, only when truthy */
            if (!v || !af_truthy(v)) continue;
            items = &v;
            n = 1;
        } else {
            as_list(x->a, v, &items, &n);
        }
        for (size_t i = 0; i < n; i++) {
            const char *p = pystr(x->a, items[i]), *rp;
            if (af_path(x->s, rules[r].what, p, &rp) < 0) return -1;
            if (rules[r].kind == 0 && !exists(rp)) {
                *reason = af_sprintf(x->a, "missing_required_file:%s", p);
                return 0;
            }
            if (rules[r].kind == 1) {
                const char *slash = strrchr(rp, '/');
                const char *name = slash ? slash + 1 : rp;
                if (!glob_any(dir_part(x->a, rp), name)) {
                    *reason = af_sprintf(x->a, "missing_required_glob:%s", p);
                    return 0;
                }
            }
            if (rules[r].kind == 2 && exists(rp)) {
                *reason = af_sprintf(x->a, "forbidden_file_present:%s", p);
                return 0;
            }
        }
    }
    return 1;
}

/* Moves the finished temp output directory to its final place: a rename
 * (replacing what was there), or with atomic_rename false, a move of each
 * entry into the final directory as shutil.move would. */
static int finalize_dir(xp *x, const af_value *idem)
{
    af_step *s = x->s;
    const char *tmp, *fin;
    int atomic;
    if (af_path(s, "idempotency.temp_output_dir", pystr(x->a, mget(idem, "temp_output_dir")),
                &tmp) < 0 ||
        af_path(s, "idempotency.final_output_dir", pystr(x->a, mget(idem, "final_output_dir")),
                &fin) < 0 ||
        co_bool(s, "idempotency.atomic_rename", mget(idem, "atomic_rename"), 1, &atomic) < 0)
        return -1;
    if (atomic) {
        if (exists(fin)) rmtree(fin);
        if (rename(tmp, fin) < 0) {
            af_fail(s, STEP " cannot move '%s' to '%s': %s", tmp, fin, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (af_mkdirs(fin, 0777) < 0) {
        af_fail(s, STEP " cannot create '%s': %s", fin, strerror(errno));
        return -1;
    }
    DIR *d = opendir(tmp);
    if (!d) {
        af_fail(s, STEP " cannot read '%s': %s", tmp, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        const char *src = af_sprintf(x->a, "%s/%s", tmp, e->d_name);
        const char *dst = af_sprintf(x->a, "%s/%s", fin, e->d_name);
        struct stat st;
        if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
            /* shutil.move into an existing directory moves inside it */
            dst = af_sprintf(x->a, "%s/%s", dst, e->d_name);
            if (exists(dst)) {
                af_fail(s, "Destination path '%s' already exists", dst);
                rc = -1;
                break;
            }
        }
        if (rename(src, dst) < 0) {
            af_fail(s, STEP " cannot move '%s' to '%s': %s", src, dst, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    if (rc == 0) rmtree(tmp);
    return rc;
}

/* Sleeps sec seconds unless the run is cancelled first (then -1). */
static int backoff_sleep(af_step *s, double sec)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double end = (double)now.tv_sec + now.tv_nsec / 1e9 + sec;
    for (;;) {
        if (af_cancelled(s)) return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left = end - ((double)now.tv_sec + now.tv_nsec / 1e9);
        if (left <= 0) return 0;
        if (left > 0.1) left = 0.1;
        struct timespec ts = {0, (long)(left * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* Builds "K=V" strings from the environment map. */
static int make_envp(xp *x, const af_value *env)
{
    x->envp = af_alloc(x->a, (env->u.map.n + 1) * sizeof *x->envp);
    for (size_t i = 0; i < env->u.map.n; i++) {
        const char *k = env->u.map.pairs[i].key;
        const af_value *v = env->u.map.pairs[i].val;
        if (strchr(k, '=')) {
            af_fail(x->s, "illegal environment variable name: %s", k);
            return -1;
        }
        if (v->type == AF_STR && strlen(v->u.s.ptr) != v->u.s.len) {
            af_fail(x->s, "embedded null byte in environment variable %s", k);
            return -1;
        }
        x->envp[i] = af_sprintf(x->a, "%s=%s", k, pystr(x->a, v));
    }
    x->envp[env->u.map.n] = NULL;
    return 0;
}

static af_status run_step(xp *x)
{
    af_step *s = x->s;
    af_arena *a = x->a;

    /* command and args: the argv vector, or the shell line */
    const af_value *command = af_in(s, "command");
    x->cmd = af_list(a);
    if (command && command->type == AF_LIST) {
        for (size_t i = 0; i < command->u.list.n; i++)
            af_list_push(a, x->cmd, af_str(a, pystr(a, command->u.list.items[i])));
    } else if (command && command->type == AF_STR) {
        af_list_push(a, x->cmd, af_value_copy(a, command));
    } else {
        return af_fail(s, STEP " inputs.command must be a string or list");
    }
    size_t ncmd = x->cmd->u.list.n; /* before args */
    const af_value *args = af_in(s, "args");
    if (args && args->type != AF_NULL) {
        if (args->type != AF_LIST) return af_fail(s, STEP " inputs.args must be a list");
        for (size_t i = 0; i < args->u.list.n; i++)
            af_list_push(a, x->cmd, af_str(a, pystr(a, args->u.list.items[i])));
    }
    int shell;
    if (af_in_bool(s, "shell", 0, &shell) < 0) return AF_FAILED;
    size_t n = x->cmd->u.list.n;
    if (shell) {
        /* A string command is a shell line and runs as written (the
         * reference quotes it into one word, which breaks every pipeline);
         * a list is quoted and joined as the reference does. Arguments are
         * always quoted. */
        af_buf line = {0};
        size_t first = 0;
        if (command->type == AF_STR) {
            af_buf_puts(&line, command->u.s.ptr);
            first = ncmd;
        }
        for (size_t i = first; i < n; i++) {
            if (line.len || i > first) af_buf_putc(&line, ' ');
            sh_quote(&line, x->cmd->u.list.items[i]->u.s.ptr);
        }
        const char *l = af_strndup(a, af_buf_cstr(&line), line.len);
        af_buf_free(&line);
        x->argv = af_alloc(a, 4 * sizeof *x->argv);
        x->argv[0] = "/bin/sh";
        x->argv[1] = "-c";
        x->argv[2] = l;
        x->popen_shown = l;
    } else {
        if (n == 0) return af_fail(s, STEP " inputs.command is an empty list");
        x->argv = af_alloc(a, (n + 1) * sizeof *x->argv);
        for (size_t i = 0; i < n; i++)
            x->argv[i] = x->cmd->u.list.items[i]->u.s.ptr;
        af_buf b = {0};
        af_py_repr(&b, x->cmd);
        x->popen_shown = af_strndup(a, af_buf_cstr(&b), b.len);
        af_buf_free(&b);
    }

    const af_value *cwd = af_in(s, "cwd");
    if (cwd && af_truthy(cwd) && af_path(s, "cwd", pystr(a, cwd), &x->cwd) < 0) return AF_FAILED;

    /* environment: the run's env snapshot (or nothing), ids, then inputs.env */
    int inherit;
    if (af_in_bool(s, "inherit_env", 1, &inherit) < 0) return AF_FAILED;
    af_value *env = af_map(a);
    const af_value *base = af_env_map(s);
    if (inherit && base && base->type == AF_MAP)
        for (size_t i = 0; i < base->u.map.n; i++)
            af_map_set(a, env, base->u.map.pairs[i].key,
                       af_str(a, pystr(a, base->u.map.pairs[i].val)));
    if (!af_map_get(env, "AETHERFLOW_FLOW_ID"))
        af_map_set(a, env, "AETHERFLOW_FLOW_ID", af_str(a, af_flow_id(s)));
    if (!af_map_get(env, "AETHERFLOW_RUN_ID"))
        af_map_set(a, env, "AETHERFLOW_RUN_ID", af_str(a, af_run_id(s)));
    const af_value *env_in;
    if (sub_map(s, "env", &env_in) < 0) return AF_FAILED;
    for (size_t i = 0; env_in && i < env_in->u.map.n; i++) {
        const af_value *v = env_in->u.map.pairs[i].val;
        af_map_set(a, env, env_in->u.map.pairs[i].key,
                   af_str(a, v->type == AF_NULL ? "" : pystr(a, v)));
    }

    const af_value *tv = af_in(s, "timeout_seconds");
    if (tv && tv->type != AF_NULL) {
        if (af_in_double(s, "timeout_seconds", 0, &x->timeout) < 0) return AF_FAILED;
        x->has_timeout = 1;
    }
    if (af_in_int(s, "kill_grace_seconds", 15, &x->kill_grace) < 0) return AF_FAILED;

    /* output handling */
    const af_value *log;
    int64_t cap_kb;
    if (sub_map(s, "log", &log) < 0 || parse_mode(s, mget(log, "stdout"), &x->out_mode) < 0 ||
        parse_mode(s, mget(log, "stderr"), &x->err_mode) < 0 ||
        co_int(s, "log.max_capture_kb", mget(log, "max_capture_kb"), 1024, &cap_kb) < 0)
        return AF_FAILED;
    /* negative keeps nothing, as in the reference; absurd sizes are capped */
    if (cap_kb > ((int64_t)1 << 40)) cap_kb = (int64_t)1 << 40;
    x->max_cap = cap_kb <= 0 ? 0 : (size_t)cap_kb * 1024;
    const af_value *fp = mget(log, "file_path");
    if (fp && af_truthy(fp) && af_path(s, "log.file_path", pystr(a, fp), &x->log_file) < 0)
        return AF_FAILED;
    int to_file = x->out_mode == AF_IO_FILE || x->err_mode == AF_IO_FILE;
    if (to_file && !x->log_file)
        return af_fail(s, "log.file_path is required when stdout/stderr mode is 'file'");

    /* idempotency and success criteria */
    const af_value *idem, *succ;
    if (sub_map(s, "idempotency", &idem) < 0 || sub_map(s, "success", &succ) < 0) return AF_FAILED;
    const af_value *sv = mget(idem, "strategy");
    const char *strategy = "none";
    if (sv && af_truthy(sv)) {
        if (sv->type != AF_STR) return bad_value(s, "idempotency.strategy", "a string", sv);
        char *low = af_strdup(a, sv->u.s.ptr);
        for (char *p = low; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
        strategy = low;
    }
    int64_t *exit_codes;
    size_t nexit;
    if (int_list(s, "success.exit_codes", mget(succ, "exit_codes"), &exit_codes, &nexit) < 0)
        return AF_FAILED;
    if (nexit == 0) {
        exit_codes[0] = 0;
        nexit = 1;
    }

    if (!strcmp(strategy, "marker")) {
        const af_value *mv = mget(idem, "marker_path");
        if (!mv || !af_truthy(mv)) mv = mget(succ, "marker_file");
        const char *mp;
        if (mv && af_truthy(mv)) {
            if (af_path(s, "idempotency.marker_path", pystr(a, mv), &mp) < 0) return AF_FAILED;
            if (exists(mp)) {
                const char *why;
                int ok = check_success(x, succ, &why);
                if (ok < 0) return AF_FAILED;
                if (ok) {
                    af_out_set(s, "skipped", af_bool(1));
                    af_out_set(s, "marker", af_str(a, mp));
                    return af_skip(s, "marker_present");
                }
            }
        }
    }

    int atomic_dir = !strcmp(strategy, "atomic_dir");
    if (atomic_dir) {
        const af_value *t = mget(idem, "temp_output_dir"), *f = mget(idem, "final_output_dir");
        if (!t || !af_truthy(t) || !f || !af_truthy(f))
            return af_fail(s, "atomic_dir requires temp_output_dir and final_output_dir");
        const char *tmp;
        if (af_path(s, "idempotency.temp_output_dir", pystr(a, t), &tmp) < 0) return AF_FAILED;
        if (exists(tmp)) rmtree(tmp);
        if (af_mkdirs(tmp, 0777) < 0)
            return af_fail(s, STEP " cannot create temp_output_dir '%s': %s", tmp, strerror(errno));
        if (!af_map_get(env, "AETHERFLOW_OUTPUT_DIR"))
            af_map_set(a, env, "AETHERFLOW_OUTPUT_DIR", af_str(a, tmp));
    }
    if (make_envp(x, env) < 0) return AF_FAILED;

    /* retry policy */
    const af_value *retry;
    int64_t max_attempts, *retry_codes;
    size_t nretry;
    double backoff, mult, max_backoff;
    int retry_timeout;
    if (sub_map(s, "retry", &retry) < 0 ||
        co_int(s, "retry.max_attempts", mget(retry, "max_attempts"), 1, &max_attempts) < 0 ||
        co_double_or(s, "retry.backoff_seconds", mget(retry, "backoff_seconds"), 0, &backoff) < 0 ||
        co_double_or(s, "retry.backoff_multiplier", mget(retry, "backoff_multiplier"), 1.0, &mult) <
            0 ||
        co_double_or(s, "retry.max_backoff_seconds", mget(retry, "max_backoff_seconds"), 0,
                     &max_backoff) < 0 ||
        int_list(s, "retry.retry_on_exit_codes", mget(retry, "retry_on_exit_codes"), &retry_codes,
                 &nretry) < 0 ||
        co_bool(s, "retry.retry_on_timeout", mget(retry, "retry_on_timeout"), 0, &retry_timeout) <
            0)
        return AF_FAILED;

    for (int64_t attempt = 1; attempt <= max_attempts; attempt++) {
        if (attempt > 1 && backoff > 0) {
            double nap = backoff * pow(mult, (double)(attempt - 2));
            if (max_backoff && nap > max_backoff) nap = max_backoff;
            if (backoff_sleep(s, nap) < 0)
                return af_fail(s, STEP " cancelled: the run is stopping");
        }
        if (to_file) {
            const char *dir = dir_part(a, x->log_file);
            if (af_mkdirs(dir, 0777) < 0)
                return af_fail(s, STEP " cannot create '%s' for log.file_path: %s", dir,
                               strerror(errno));
        }

        af_kv start[] = {AF_KI("attempt", attempt), AF_KVAL("command", x->cmd), {0}};
        af_log(s, AF_INFO, "external_process_start", start);

        af_proc_spec sp = {0};
        sp.argv = x->argv;
        sp.cwd = x->cwd;
        sp.envp = x->envp;
        sp.out_mode = x->out_mode;
        sp.err_mode = x->err_mode;
        sp.log_path = x->log_file;
        sp.max_capture = x->max_cap;
        /* A timeout of zero or less expires at once, as Popen.wait(0) does. */
        sp.timeout = !x->has_timeout ? 0 : x->timeout > 0 ? x->timeout : 1e-9;
        sp.kill_grace = (double)x->kill_grace;
        sp.on_line = on_line;
        sp.cancelled = is_cancelled;
        sp.ud = x;
        af_proc_result r;
        char err[1024];
        if (af_proc_run(&sp, &r, err, sizeof err) < 0) return af_fail(s, "%s", err);

        /* Python's returncode: negative signal number when killed. */
        int64_t rc = r.signaled ? -(int64_t)r.signaled : r.exit_code;
        int retry_now = 0;
        af_status st = AF_SUCCESS;
        if (r.timed_out && af_cancelled(s)) {
            st = af_fail(s, STEP " cancelled: the run is stopping");
        } else if (r.timed_out) {
            af_kv f[] = {AF_KI("attempt", attempt), {0}};
            af_log(s, AF_ERROR, "external_process_timeout", f);
            if (retry_timeout && attempt < max_attempts) {
                retry_now = 1;
            } else {
                af_buf t = {0};
                af_py_float(&t, x->timeout);
                st = af_fail(s, STEP " timed out after %ss", af_buf_cstr(&t));
                af_buf_free(&t);
            }
        } else if (!in_list(exit_codes, nexit, rc)) {
            af_kv f[] = {AF_KI("attempt", attempt), AF_KI("exit_code", rc), {0}};
            af_log(s, AF_ERROR, "external_process_exit", f);
            if (in_list(retry_codes, nretry, rc) && attempt < max_attempts) {
                retry_now = 1;
            } else {
                af_buf cmdr = {0};
                af_py_repr(&cmdr, x->cmd);
                af_value *errtext = text_value(a, &r.err);
                st = af_fail(s, STEP " failed with exit code %lld\n%s - %s\n%s", (long long)rc,
                             af_buf_cstr(&cmdr), x->popen_shown, errtext->u.s.ptr);
                af_buf_free(&cmdr);
            }
        } else if (atomic_dir && finalize_dir(x, idem) < 0) {
            st = AF_FAILED;
        } else {
            const char *why = NULL;
            int ok = check_success(x, succ, &why);
            if (ok < 0)
                st = AF_FAILED;
            else if (!ok)
                st = af_fail(s, STEP " outputs invalid: %s", why);
        }
        if (retry_now || st != AF_SUCCESS) {
            af_buf_free(&r.out);
            af_buf_free(&r.err);
            if (retry_now) continue;
            return st;
        }

        af_out_set(s, "exit_code", af_int(a, rc));
        af_out_set(s, "attempts", af_int(a, attempt));
        if (x->out_mode == AF_IO_CAPTURE) af_out_set(s, "stdout", text_value(a, &r.out));
        if (x->err_mode == AF_IO_CAPTURE) af_out_set(s, "stderr", text_value(a, &r.err));
        af_buf_free(&r.out);
        af_buf_free(&r.err);
        if (x->log_file && to_file) af_out_set(s, "log_file", af_str(a, x->log_file));
        const af_value *extra;
        if (sub_map(s, "outputs", &extra) < 0) return AF_FAILED;
        for (size_t i = 0; extra && i < extra->u.map.n; i++)
            af_out_set(s, extra->u.map.pairs[i].key, af_value_copy(a, extra->u.map.pairs[i].val));
        af_kv f[] = {AF_KI("attempt", attempt), AF_KI("exit_code", rc), {0}};
        af_log(s, AF_INFO, "external_process_success", f);
        return AF_SUCCESS;
    }
    return af_fail(s, "external_process_failed"); /* max_attempts < 1: nothing ran */
}

static af_status run(af_step *s)
{
    xp x;
    memset(&x, 0, sizeof x);
    x.s = s;
    x.a = af_arena_of(s);
    af_status st = run_step(&x);
    af_buf_free(&x.line);
    return st;
}

/* ---- build-time check: the reference's _validate_external_process ------- */

typedef struct known_keys {
    const char *section;
    const char *const *keys;
    const char *const *hints; /* pairs: wrong name, right name (names from the reference docs) */
} known_keys;

static const char *const log_keys[] = {"stdout", "stderr", "max_capture_kb", "file_path", NULL};
static const char *const retry_keys[] = {"max_attempts",
                                         "backoff_seconds",
                                         "backoff_multiplier",
                                         "max_backoff_seconds",
                                         "retry_on_exit_codes",
                                         "retry_on_timeout",
                                         NULL};
static const char *const success_keys[] = {"exit_codes",   "require_files", "require_glob",
                                           "forbid_files", "marker_file",   NULL};
static const char *const idem_keys[] = {"strategy",         "marker_path",   "temp_output_dir",
                                        "final_output_dir", "atomic_rename", NULL};
static const char *const hints[] = {"max_capture_bytes",
                                    "max_capture_kb",
                                    "sleep_seconds",
                                    "backoff_seconds",
                                    "required_files",
                                    "require_files",
                                    "required_globs",
                                    "require_glob",
                                    "required_glob",
                                    "require_glob",
                                    "forbidden_files",
                                    "forbid_files",
                                    NULL};

static const known_keys sections[] = {
    {"log", log_keys, hints},
    {"retry", retry_keys, hints},
    {"success", success_keys, hints},
    {"idempotency", idem_keys, hints},
};

/* Keys the step never reads are ignored at run time; say so, since the
 * reference documentation itself uses several such names. */
static void warn_unknown_keys(af_check *c, const af_value *in)
{
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        const af_value *m = af_map_get(in, sections[i].section);
        if (!m || m->type != AF_MAP) continue;
        for (size_t k = 0; k < m->u.map.n; k++) {
            const char *key = m->u.map.pairs[k].key;
            int known = 0;
            for (const char *const *p = sections[i].keys; *p && !known; p++)
                known = !strcmp(*p, key);
            if (known) continue;
            const char *hint = NULL;
            for (const char *const *h = sections[i].hints; *h; h += 2)
                if (!strcmp(h[0], key)) hint = h[1];
            char path[200];
            snprintf(path, sizeof path, "%s.%s", sections[i].section, key);
            int hint_here = 0;
            for (const char *const *p = sections[i].keys; hint && *p; p++)
                hint_here |= !strcmp(*p, hint);
            if (hint_here)
                af_check_warning(c, path, "unknown key '%s' in %s is ignored (did you mean '%s'?)",
                                 key, sections[i].section, hint);
            else
                af_check_warning(c, path, "unknown key '%s' in %s is ignored", key,
                                 sections[i].section);
        }
    }
}

static void check(af_check *c, const af_value *in)
{
    const af_value *cmd = af_map_get(in, "command");
    if (!cmd) return; /* the schema reports the missing required input and its type */

    const af_value *log = af_map_get(in, "log");
    if (log && log->type == AF_MAP) {
        static const char *const keys[] = {"stdout", "stderr"};
        for (int i = 0; i < 2; i++) {
            const af_value *m = af_map_get(log, keys[i]);
            /* A template is refused too: the reference's validator compares the
             * text as written, so no templated mode ever runs there. */
            if (!m || !af_truthy(m)) continue; /* inherit */
            if (m->type == AF_STR &&
                (!strcmp(m->u.s.ptr, "inherit") || !strcmp(m->u.s.ptr, "capture") ||
                 !strcmp(m->u.s.ptr, "file") || !strcmp(m->u.s.ptr, "discard")))
                continue;
            af_buf b = {0};
            af_py_str(&b, m);
            char path[32];
            snprintf(path, sizeof path, "log.%s", keys[i]);
            af_check_error(c, path, "Unknown log mode: %s", af_buf_cstr(&b));
            af_buf_free(&b);
        }
        const af_value *o = af_map_get(log, "stdout"), *e = af_map_get(log, "stderr");
        const af_value *fp = af_map_get(log, "file_path");
        int file = (o && o->type == AF_STR && !strcmp(o->u.s.ptr, "file")) ||
                   (e && e->type == AF_STR && !strcmp(e->u.s.ptr, "file"));
        if (file && (!fp || !af_truthy(fp)))
            af_check_error(c, "log.file_path",
                           "log.file_path is required when stdout/stderr mode is 'file'");
    }

    const af_value *idem = af_map_get(in, "idempotency");
    if (idem && idem->type == AF_MAP) {
        const af_value *st = af_map_get(idem, "strategy");
        if (st && st->type == AF_STR && !af_check_is_template(c, st)) {
            if (!strcmp(st->u.s.ptr, "atomic_dir")) {
                const af_value *t = af_map_get(idem, "temp_output_dir");
                const af_value *f = af_map_get(idem, "final_output_dir");
                if (!t || !af_truthy(t) || !f || !af_truthy(f))
                    af_check_error(c, "idempotency",
                                   "atomic_dir requires temp_output_dir and final_output_dir");
            } else if (st->u.s.len && strcasecmp(st->u.s.ptr, "none") &&
                       strcasecmp(st->u.s.ptr, "marker") && strcasecmp(st->u.s.ptr, "atomic_dir")) {
                af_check_warning(
                    c, "idempotency.strategy",
                    "unknown strategy '%s' is treated as none (none|marker|atomic_dir)",
                    st->u.s.ptr);
            }
        }
    }
    warn_unknown_keys(c, in);
}

/* ---- descriptor -------------------------------------------------------- */

/* Strings such as "true" or "30" are accepted for these by the schema check's
 * coercion rules (af_in_bool, af_in_double), so the types say what is meant. */
#define TY_BOOLISH (AF_TY_BOOL | AF_TY_NULL)
#define TY_NUMISH (AF_TY_NUMBER | AF_TY_NULL)

static const af_input inputs[] = {
    {"command", AF_TY_STR | AF_TY_LIST, 1, NULL, NULL,
     "program and arguments as a list (recommended), or one string: a program name, or a "
     "shell line with shell: true"},
    {"args", AF_TY_LIST | AF_TY_NULL, 0, NULL, NULL, "more arguments, appended to command"},
    {"shell", TY_BOOLISH, 0, "false", NULL,
     "run through /bin/sh -c (a string command verbatim, list items and args quoted)"},
    {"cwd", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL,
     "working directory; relative paths are under the job's artifacts directory"},
    {"timeout_seconds", TY_NUMISH, 0, NULL, NULL,
     "seconds before the process group gets SIGTERM (no timeout when absent)"},
    {"kill_grace_seconds", TY_NUMISH, 0, "15", NULL,
     "seconds between SIGTERM and SIGKILL after a timeout"},
    {"inherit_env", TY_BOOLISH, 0, "true", NULL,
     "start from the run's environment snapshot (false: an empty environment)"},
    {"env", AF_TY_MAP | AF_TY_NULL, 0, NULL, NULL,
     "variables set for the process, over the inherited ones (null becomes \"\")"},
    {"log", AF_TY_MAP | AF_TY_NULL, 0, NULL, NULL,
     "stdout, stderr: inherit|capture|file|discard (inherit); max_capture_kb (1024); "
     "file_path"},
    {"idempotency", AF_TY_MAP | AF_TY_NULL, 0, NULL, NULL,
     "strategy: none|marker|atomic_dir; marker_path; temp_output_dir, final_output_dir, "
     "atomic_rename (true)"},
    {"success", AF_TY_MAP | AF_TY_NULL, 0, NULL, NULL,
     "exit_codes ([0]), require_files, require_glob, forbid_files, marker_file"},
    {"retry", AF_TY_MAP | AF_TY_NULL, 0, NULL, NULL,
     "max_attempts (1), backoff_seconds (0), backoff_multiplier (1), max_backoff_seconds, "
     "retry_on_exit_codes, retry_on_timeout (false)"},
    {"outputs", AF_TY_MAP | AF_TY_NULL, 0, NULL, NULL,
     "extra values copied into the step's outputs on success"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"exit_code", "int", "the process's exit status (negative signal number if killed)"},
    {"attempts", "int", "attempts made, the successful one included"},
    {"stdout", "string", "captured standard output (log.stdout: capture), up to max_capture_kb"},
    {"stderr", "string", "captured standard error (log.stderr: capture), up to max_capture_kb"},
    {"log_file", "string", "absolute path of log.file_path when a stream went to it"},
    {"skipped", "bool", "true when SKIPPED because the idempotency marker exists"},
    {"marker", "string", "absolute path of the marker that caused the skip"},
    {"reason", "string", "\"marker_present\" when SKIPPED"},
    {NULL, NULL, NULL},
};

const af_step_desc af_step_external_process = {
    .abi = AF_ABI_VERSION,
    .name = "external.process",
    .summary = "run an OS command with timeout, retries, output checks and idempotency",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = NULL, /* runs locally; no connector */
    .flags = 0,
    .run = run,
    .check = check, /* command type, log modes, file_path, atomic_dir */
    .libs = NULL,
    .help = "Runs `command` (a list is the argv; a string is one program, or with shell: true a\n"
            "shell line) in its own process group, with the run's environment snapshot plus\n"
            "AETHERFLOW_FLOW_ID, AETHERFLOW_RUN_ID and `env`. stdout/stderr go to the\n"
            "terminal (inherit), memory (capture, up to max_capture_kb, each line also logged),\n"
            "log.file_path (file) or nowhere (discard). After timeout_seconds the whole group\n"
            "gets SIGTERM, then SIGKILL after kill_grace_seconds. Exit codes outside\n"
            "success.exit_codes fail the step unless retry says to try again. On success the\n"
            "success.* file checks run; idempotency.strategy marker skips the step when the\n"
            "marker exists, atomic_dir gives the command AETHERFLOW_OUTPUT_DIR and renames it\n"
            "to final_output_dir when everything passed. See docs/external-process.md.",
};
