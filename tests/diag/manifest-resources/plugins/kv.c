/*
 * kv.c - a test plugin: a connector kind `kv` (driver `dir`: one file per
 * key in a directory) and the steps kv_put, kv_get and copy_file. Used by
 * the bundle flow cases (tests/flows/bundle-*); it exercises the plugin
 * ABI as a user's plugin would: descriptors, input schemas, a check hook,
 * af_path, atomic writes and resolved (decoded) connector config.
 */
#include <af.h>
#include "kv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the driver ---- */

typedef struct kv {
    const char *dir;
} kv;

static int kv_open(af_conn *c, char *err, size_t errlen)
{
    const af_value *cfg = af_conn_config(c);
    const af_value *dir = af_map_get(cfg, "dir");
    if (!dir || dir->type != AF_STR) {
        snprintf(err, errlen, "config.dir is required");
        return -1;
    }
    /* a password, when configured, must be the reverse of password_reversed:
     * proves the value reached the driver decoded */
    const af_value *pw = af_map_get(cfg, "password"), *rev = af_map_get(cfg, "password_reversed");
    if (pw && rev) {
        size_t n = pw->type == AF_STR ? pw->u.s.len : 0;
        int ok = rev->type == AF_STR && rev->u.s.len == n && n > 0;
        for (size_t i = 0; ok && i < n; i++)
            if (pw->u.s.ptr[i] != rev->u.s.ptr[n - 1 - i]) ok = 0;
        if (!ok) {
            snprintf(err, errlen, "authentication failed");
            return -1;
        }
    }
    if (mkdir(dir->u.s.ptr, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir->u.s.ptr, strerror(errno));
        return -1;
    }
    kv *k = af_alloc(af_conn_arena(c), sizeof *k);
    k->dir = dir->u.s.ptr;
    af_conn_set_impl(c, k);
    return 0;
}

static const af_input kv_config[] = {
    {"dir", AF_TY_STR, 1, NULL, NULL, "directory holding one file per key"},
    {"password", AF_TY_STR, 0, NULL, NULL, "checked against password_reversed"},
    {NULL},
};

const af_driver af_driver_kv_dir = {
    .abi = AF_ABI_VERSION,
    .kind = "kv",
    .name = "dir",
    .aliases = "directory",
    .summary = "keys as files in a directory",
    .config = kv_config,
    .open = kv_open,
};

/* ---- steps ---- */

static af_status put_run(af_step *s)
{
    const char *res, *key, *value, *path;
    if (af_in_str(s, "resource", NULL, &res) < 0 || af_in_str(s, "key", NULL, &key) < 0 ||
        af_in_str(s, "value", "", &value) < 0)
        return AF_FAILED;
    af_conn *c = af_connector(s, res, "kv");
    if (!c) return AF_FAILED;
    kv *k = af_conn_impl(c);
    path = af_sprintf(af_arena_of(s), "%s/%s", k->dir, key);
    char err[256];
    af_atomic f;
    if (af_atomic_open(&f, path, 0644, err, sizeof err) < 0) return af_fail(s, "%s", err);
    if (write(f.fd, value, strlen(value)) != (ssize_t)strlen(value)) {
        af_atomic_abort(&f);
        return af_fail(s, "write failed");
    }
    if (af_atomic_commit(&f, err, sizeof err) < 0) return af_fail(s, "%s", err);
    af_out_set(s, "path", af_str(af_arena_of(s), path));
    return AF_SUCCESS;
}

static void put_check(af_check *c, const af_value *in)
{
    const af_value *key = af_map_get(in, "key");
    if (key && key->type == AF_STR && !af_check_is_template(c, key) && strchr(key->u.s.ptr, '/'))
        af_check_error(c, "key", "a key cannot contain '/'");
}

static const af_input put_inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "a kv resource"},
    {"key", AF_TY_STR, 1, NULL, NULL, "the key"},
    {"value", AF_TY_STR | AF_TY_INT, 0, "\"\"", NULL, "the value"},
    {NULL},
};

const af_step_desc af_step_kv_put = {
    .abi = AF_ABI_VERSION,
    .name = "kv_put",
    .summary = "Stores a value under a key",
    .inputs = put_inputs,
    .resource_kinds = "kv",
    .run = put_run,
    .check = put_check,
};

static af_status get_run(af_step *s)
{
    const char *res, *key;
    if (af_in_str(s, "resource", NULL, &res) < 0 || af_in_str(s, "key", NULL, &key) < 0)
        return AF_FAILED;
    af_conn *c = af_connector(s, res, "kv");
    if (!c) return AF_FAILED;
    kv *k = af_conn_impl(c);
    char buf[4096];
    const char *path = af_sprintf(af_arena_of(s), "%s/%s", k->dir, key);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return af_skip(s, "no such key");
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0) return af_fail(s, "cannot read %s", key);
    af_out_set(s, "value", af_strn(af_arena_of(s), buf, (size_t)n));
    af_out_set(s, "shout", af_str(af_arena_of(s), kv_shout(af_arena_of(s), buf, (size_t)n)));
    return AF_SUCCESS;
}

static const af_input get_inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "a kv resource"},
    {"key", AF_TY_STR, 1, NULL, NULL, "the key"},
    {NULL},
};

const af_step_desc af_step_kv_get = {
    .abi = AF_ABI_VERSION,
    .name = "kv_get",
    .summary = "Reads the value of a key",
    .inputs = get_inputs,
    .resource_kinds = "kv",
    .run = get_run,
};

/* copy_file: both paths through af_path (sandbox, enterprise confinement) */
static af_status copy_run(af_step *s)
{
    const char *src, *dst, *from, *to;
    if (af_in_str(s, "src", NULL, &src) < 0 || af_in_str(s, "dst", NULL, &dst) < 0)
        return AF_FAILED;
    if (af_path(s, "src", src, &from) < 0 || af_path(s, "dst", dst, &to) < 0) return AF_FAILED;
    int in = open(from, O_RDONLY);
    if (in < 0) return af_fail(s, "cannot open %s: %s", src, strerror(errno));
    char *parent = af_strdup(af_arena_of(s), to);
    *strrchr(parent, '/') = 0;
    if (af_mkdirs(parent, 0755) < 0) {
        close(in);
        return af_fail(s, "cannot create %s: %s", parent, strerror(errno));
    }
    char err[256];
    af_atomic f;
    if (af_atomic_open(&f, to, 0644, err, sizeof err) < 0) {
        close(in);
        return af_fail(s, "%s", err);
    }
    char buf[8192];
    ssize_t n;
    int64_t total = 0;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (write(f.fd, buf, (size_t)n) != n) break;
        total += n;
    }
    close(in);
    if (n != 0) {
        af_atomic_abort(&f);
        return af_fail(s, "copy failed");
    }
    if (af_atomic_commit(&f, err, sizeof err) < 0) return af_fail(s, "%s", err);
    af_out_set(s, "path", af_str(af_arena_of(s), to));
    af_out_set(s, "bytes", af_int(af_arena_of(s), total));
    return AF_SUCCESS;
}

static const af_input copy_inputs[] = {
    {"src", AF_TY_STR, 1, NULL, NULL, "file to copy"},
    {"dst", AF_TY_STR, 1, NULL, NULL, "where, relative to the artifacts dir"},
    {NULL},
};

const af_step_desc af_step_copy_file = {
    .abi = AF_ABI_VERSION,
    .name = "copy_file",
    .summary = "Copies a file",
    .inputs = copy_inputs,
    .run = copy_run,
};
