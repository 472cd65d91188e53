/*
 * db_test.h - support for test_db*.c and itest_db*.c: a connector made
 * without the executor, and weak stand-ins for the runtime services the db
 * code calls (connector accessors, atomic files, mkdir -p). The stand-ins
 * are weak so the real runtime's definitions win once they are linked.
 */
#ifndef DB_TEST_H
#define DB_TEST_H

#include "af_int.h"
#include "../../stdlib-steps/db_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WEAK __attribute__((weak))

WEAK const af_driver *af_conn_driver(const af_conn *c)
{
    return c->drv;
}
WEAK af_arena *af_conn_arena(af_conn *c)
{
    return c->arena;
}
WEAK const af_value *af_conn_config(const af_conn *c)
{
    return c->config;
}
WEAK const af_value *af_conn_options(const af_conn *c)
{
    return c->options;
}
WEAK void *af_conn_impl(const af_conn *c)
{
    return c->impl;
}
WEAK void af_conn_set_impl(af_conn *c, void *impl)
{
    c->impl = impl;
}

WEAK int af_mkdirs(const char *path, int mode)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    if (mkdir(tmp, (mode_t)mode) < 0 && errno != EEXIST) return -1;
    return 0;
}

WEAK int af_atomic_open(af_atomic *f, const char *path, int mode, char *err, size_t errlen)
{
    f->path = strdup(path);
    f->tmp_path = malloc(strlen(path) + 16);
    sprintf(f->tmp_path, "%s.tmpXXXXXX", path);
    f->fd = mkstemp(f->tmp_path);
    if (f->fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", f->tmp_path, strerror(errno));
        free(f->path);
        free(f->tmp_path);
        f->path = f->tmp_path = NULL;
        return -1;
    }
    fchmod(f->fd, (mode_t)mode);
    return 0;
}

WEAK int af_atomic_commit(af_atomic *f, char *err, size_t errlen)
{
    if (fsync(f->fd) < 0 || close(f->fd) < 0 || rename(f->tmp_path, f->path) < 0) {
        snprintf(err, errlen, "commit %s: %s", f->path, strerror(errno));
        return -1;
    }
    f->fd = -1;
    free(f->tmp_path);
    free(f->path);
    f->tmp_path = f->path = NULL;
    return 0;
}

WEAK void af_atomic_abort(af_atomic *f)
{
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (f->tmp_path) unlink(f->tmp_path);
    free(f->tmp_path);
    free(f->path);
    f->tmp_path = f->path = NULL;
}

/* A connector of driver d opened on config (a JSON object) and options. */
static af_conn *test_conn(af_arena *a, const af_driver *d, const char *config_json,
                          const char *options_json, char *err, size_t errlen)
{
    af_conn *c = af_alloc(a, sizeof *c);
    af_value *cfg = NULL, *opt = NULL;
    char e[200];
    if (af_json_parse(a, config_json, strlen(config_json), &cfg, e, sizeof e) < 0 ||
        af_json_parse(a, options_json ? options_json : "{}",
                      strlen(options_json ? options_json : "{}"), &opt, e, sizeof e) < 0) {
        snprintf(err, errlen, "bad test json: %s", e);
        return NULL;
    }
    c->drv = d;
    c->name = "db";
    c->config = cfg;
    c->options = opt;
    c->arena = a;
    if (d->open(c, err, errlen) < 0) return NULL;
    c->opened = 1;
    return c;
}

/* A db_ctx over an opened connector (delegation resolved). */
static db_ctx test_ctx(af_arena *a, af_conn *c)
{
    db_ctx x = {a, c->drv->ops, c->impl, NULL, NULL};
    af_db_resolve(&x.ops, &x.db);
    return x;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    af_buf b = {0};
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        af_buf_put(&b, tmp, n);
    fclose(f);
    if (len) *len = b.len;
    if (!b.data) return strdup("");
    return b.data;
}

/* Runs statements through the driver (setup in tests). */
static int run_sql(db_ctx *x, const char *const *sqls, char *err, size_t errlen)
{
    size_t n = 0;
    while (sqls[n])
        n++;
    af_value *rc;
    int64_t total;
    return db_exec(x, sqls, n, NULL, 0, 0, &rc, &total, err, errlen);
}

static int file_is(const char *path, const char *want, size_t wantlen)
{
    size_t len;
    char *got = slurp(path, &len);
    int ok = got && len == wantlen && memcmp(got, want, len) == 0;
    if (!ok) {
        printf("#   %s differs (%zu bytes, want %zu)\n#   got:  ", path, got ? len : 0, wantlen);
        for (size_t i = 0; got && i < len && i < 400; i++)
            printf(got[i] >= 32 && got[i] < 127 ? "%c" : "\\x%02x", (unsigned char)got[i]);
        printf("\n#   want: ");
        for (size_t i = 0; i < wantlen && i < 400; i++)
            printf(want[i] >= 32 && want[i] < 127 ? "%c" : "\\x%02x", (unsigned char)want[i]);
        printf("\n");
    }
    free(got);
    return ok;
}

#endif
