/*
 * conn_shim.h - opens a connector driver directly, the way the run's
 * connector manager does, for driver tests against real servers
 * (itest_mail.c, itest_http.c).
 *
 * The connector accessors and atomic-file helpers of af.h are defined here
 * as weak symbols: when the test links the full runtime, its definitions
 * win; in a tree where the runtime is not complete yet, these stand in.
 * Either way the connector is a real struct af_conn on a minimal run whose
 * log goes to a temp file, so tests can read every log line a driver wrote
 * (and check that no secret is in it).
 */
#ifndef T_CONN_SHIM_H
#define T_CONN_SHIM_H

#include "af_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T_WEAK __attribute__((weak))

T_WEAK const af_driver *af_conn_driver(const af_conn *c)
{
    return c->drv;
}
T_WEAK const char *af_conn_name(const af_conn *c)
{
    return c->name;
}
T_WEAK const af_value *af_conn_config(const af_conn *c)
{
    return c->config;
}
T_WEAK const af_value *af_conn_options(const af_conn *c)
{
    return c->options;
}
T_WEAK af_arena *af_conn_arena(af_conn *c)
{
    return c->arena;
}
T_WEAK void *af_conn_impl(const af_conn *c)
{
    return c->impl;
}
T_WEAK void af_conn_set_impl(af_conn *c, void *impl)
{
    c->impl = impl;
}

T_WEAK void af_conn_log(af_conn *c, af_level lvl, const char *event, const af_kv *fields)
{
    FILE *out = c->run && c->run->log.out ? c->run->log.out : stderr;
    fprintf(out, "%d %s resource=%s driver=%s", (int)lvl, event, c->name, c->drv->name);
    for (; fields && fields->key; fields++) {
        if (fields->type == AF_KV_STR)
            fprintf(out, " %s=\"%s\"", fields->key, fields->s ? fields->s : "");
        else if (fields->type == AF_KV_INT)
            fprintf(out, " %s=%lld", fields->key, (long long)fields->i);
        else if (fields->type == AF_KV_VAL) {
            af_buf b = {0};
            af_json_write(&b, fields->v, AF_JSON_COMPACT);
            fprintf(out, " %s=%s", fields->key, af_buf_cstr(&b));
            af_buf_free(&b);
        }
    }
    fputc('\n', out);
    fflush(out);
}

T_WEAK int af_mkdirs(const char *path, int mode)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(buf, &st) < 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

T_WEAK int af_atomic_open(af_atomic *f, const char *path, int mode, char *err, size_t errlen)
{
    size_t n = strlen(path);
    f->path = strdup(path);
    f->tmp_path = malloc(n + 16);
    snprintf(f->tmp_path, n + 16, "%s.tmp.XXXXXX", path);
    f->fd = mkstemp(f->tmp_path);
    if (f->fd < 0) {
        snprintf(err, errlen, "cannot create a temp file beside '%s': %s", path, strerror(errno));
        free(f->path);
        free(f->tmp_path);
        f->path = f->tmp_path = NULL;
        return -1;
    }
    fchmod(f->fd, (mode_t)mode);
    return 0;
}

T_WEAK int af_atomic_commit(af_atomic *f, char *err, size_t errlen)
{
    int rc = 0;
    if (fsync(f->fd) < 0 || close(f->fd) < 0 || rename(f->tmp_path, f->path) < 0) {
        snprintf(err, errlen, "cannot write '%s': %s", f->path, strerror(errno));
        unlink(f->tmp_path);
        rc = -1;
    }
    f->fd = -1;
    free(f->tmp_path);
    free(f->path);
    f->tmp_path = f->path = NULL;
    return rc;
}

T_WEAK void af_atomic_abort(af_atomic *f)
{
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (f->tmp_path) unlink(f->tmp_path);
    free(f->tmp_path);
    free(f->path);
    f->tmp_path = f->path = NULL;
}

/* A connector on a minimal run of its own. */
typedef struct t_conn {
    af_conn c;
    af__run run;
    FILE *log;
} t_conn;

/* Opens driver d with config and options given as JSON text. Returns 0, or
 * -1 with the driver's message in err. Close with t_conn_close either way. */
static int t_conn_open(t_conn *t, const af_driver *d, const char *config_json,
                       const char *options_json, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->log = tmpfile();
    t->run.arena = af_arena_new();
    t->run.flow_id = "itest";
    t->run.run_id = "itest-run";
    t->run.env = af_map(t->run.arena);
    t->run.log.out = t->log;
    t->run.log.level = AF_DEBUG;
    af_value *cfg, *opt;
    char perr[200];
    if (af_json_parse(t->run.arena, config_json, strlen(config_json), &cfg, perr, sizeof perr) <
            0 ||
        af_json_parse(t->run.arena, options_json, strlen(options_json), &opt, perr, sizeof perr) <
            0) {
        snprintf(err, errlen, "test JSON: %s", perr);
        return -1;
    }
    t->c.drv = d;
    t->c.name = "res";
    t->c.config = cfg;
    t->c.options = opt;
    t->c.arena = t->run.arena;
    t->c.run = &t->run;
    if (d->open(&t->c, err, errlen) < 0) return -1;
    t->c.opened = 1;
    return 0;
}

static void t_conn_close(t_conn *t)
{
    if (t->c.opened && t->c.drv->close) t->c.drv->close(&t->c);
    t->c.opened = 0;
    if (t->log) fclose(t->log);
    t->log = NULL;
    af_arena_free(t->run.arena);
    t->run.arena = NULL;
}

/* Everything logged on the connector so far, in arena a. */
static const char *t_conn_logs(t_conn *t, af_arena *a)
{
    af_buf b = {0};
    char buf[4096];
    size_t n;
    fflush(t->log);
    rewind(t->log);
    while ((n = fread(buf, 1, sizeof buf, t->log)) > 0)
        af_buf_put(&b, buf, n);
    fseek(t->log, 0, SEEK_END);
    const char *s = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return s;
}

#endif /* T_CONN_SHIM_H */
