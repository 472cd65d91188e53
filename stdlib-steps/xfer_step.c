/*
 * xfer_step.c - what the eight sftp_* and smb_* steps share on top of the
 * step API: finding the connector, wiring logs and cancellation into the
 * engine (xfer.c), resolving local paths, and turning engine results into
 * outputs. Each step file holds its schema and calls one function here.
 */
#include "xfer.h"

#include <errno.h>
#include <string.h>

static void step_log(void *ud, af_level lvl, const char *event, const af_kv *fields)
{
    af_log(ud, lvl, event, fields);
}

static int step_cancelled(void *ud)
{
    return af_cancelled(ud);
}

/* Sets up x for the connector named by input `resource`, of kind. 0, or -1
 * with the failure recorded on s. */
static int begin(af_step *s, const char *kind, af__xfer *x)
{
    const char *res;
    if (af_in_str(s, "resource", NULL, &res) < 0) return -1;
    if (!res || !*res) {
        af_fail(s, "input 'resource' is required");
        return -1;
    }
    af_conn *c = af_connector(s, res, kind);
    if (!c) return -1;
    const af_driver *d = af_conn_driver(c);
    memset(x, 0, sizeof *x);
    x->ops = d ? d->ops : NULL;
    x->h = af_conn_impl(c);
    x->smb = !strcmp(kind, "smb");
    x->a = af_arena_of(s);
    x->log = step_log;
    x->log_ud = s;
    af_xfer_ctl *ctl = af_alloc(x->a, sizeof *ctl);
    ctl->cancelled = step_cancelled;
    ctl->ud = s;
    x->ctl = ctl;
    if (!x->ops) {
        af_fail(s, "driver '%s' of resource '%s' provides no %s primitives", d ? d->name : "?", res,
                kind);
        return -1;
    }
    return 0;
}

/* A local file named by the flow: relative paths are under the job's
 * artifacts dir, absolute ones are taken as given (the reference does not
 * sandbox upload sources), except in enterprise mode where af_path keeps
 * them under the artifacts dir. */
static int local_path(af_step *s, const char *what, const char *p, const char **out)
{
    af_arena *a = af_arena_of(s);
    if (af_enterprise(s)) return af_path(s, what, p, out);
    if (p[0] == '/')
        *out = af__norm_abs(a, p);
    else
        *out = af__norm_abs(a, af_sprintf(a, "%s/%s", af_artifacts_dir(s), p));
    return 0;
}

/* A boolean inside a map input (parallelism.enabled), read like af_in_bool:
 * absent or null gives def. 0, or -1 with the failure recorded. */
static int nested_bool(af_step *s, const af_value *map, const char *key, int def, int *out)
{
    const af_value *v = af_map_get(map, key);
    *out = def;
    if (!v || v->type == AF_NULL) return 0;
    if (af_to_bool(v, out) == 0) return 0;
    af_fail(s, "input 'parallelism.%s' must be a boolean (true or false)", key);
    return -1;
}

af_status af__xfer_list_step(af_step *s, const char *kind)
{
    af__xfer x;
    const char *dir, *pattern;
    int recursive;
    int64_t min_count;
    if (begin(s, kind, &x) < 0 || af_in_str(s, "remote_dir", NULL, &dir) < 0 ||
        af_in_str(s, "pattern", "*", &pattern) < 0 ||
        af_in_bool(s, "recursive", 0, &recursive) < 0 ||
        af_in_int(s, "min_count", 1, &min_count) < 0)
        return AF_FAILED;
    if (!dir) return af_fail(s, "input 'remote_dir' is required");
    af_value *files;
    if (af__xfer_list(&x, dir, pattern ? pattern : "*", recursive, &files) < 0)
        return af_fail(s, "%s", x.err);
    af_arena *a = x.a;
    int64_t count = (int64_t)files->u.list.n;
    af_out_set(s, "has_data", af_bool(count >= min_count));
    af_out_set(s, "count", af_int(a, count));
    if (count < min_count) {
        af_out_set(s, "files", af_list(a));
        return af_skip(s, af_sprintf(a, "count(%lld) < min_count(%lld)", (long long)count,
                                     (long long)min_count));
    }
    af_out_set(s, "files", files);
    return AF_SUCCESS;
}

af_status af__xfer_download_step(af_step *s, const char *kind)
{
    af__xfer x;
    const char *dest;
    if (begin(s, kind, &x) < 0 || af_in_str(s, "dest_dir", NULL, &dest) < 0) return AF_FAILED;
    if (!dest) return af_fail(s, "input 'dest_dir' is required");
    const char *dir;
    if (af_path(s, "dest_dir", dest, &dir) < 0) return AF_FAILED;
    if (af__xfer_mkdirs(dir) < 0)
        return af_fail(s, "cannot create dest_dir '%s': %s", dir, strerror(errno));
    af_value *local;
    if (af__xfer_download(&x, af_in(s, "files"), dir, &local) < 0) return af_fail(s, "%s", x.err);
    af_out_set(s, "local_files", local);
    af_out_set(s, "dest_dir", af_str(x.a, dir));
    return AF_SUCCESS;
}

af_status af__xfer_delete_step(af_step *s, const char *kind)
{
    af__xfer x;
    if (begin(s, kind, &x) < 0) return AF_FAILED;
    if (af__xfer_delete(&x, af_in(s, "files")) < 0) return af_fail(s, "%s", x.err);
    af_out_set(s, "is_deleted", af_bool(1));
    return AF_SUCCESS;
}

af_status af__xfer_sftp_upload_step(af_step *s)
{
    af__xfer x;
    const char *rdir;
    if (begin(s, "sftp", &x) < 0 || af_in_str(s, "remote_dir", NULL, &rdir) < 0) return AF_FAILED;
    if (!rdir) return af_fail(s, "input 'remote_dir' is required");
    const af_value *p = af_in(s, "parallelism");
    if (p && p->type != AF_MAP && p->type != AF_NULL)
        return af_fail(s, "input 'parallelism' must be a map, got %s", af_type_name(p->type));
    int enabled, fail_fast;
    if (nested_bool(s, p, "enabled", 1, &enabled) < 0 ||
        nested_bool(s, p, "fail_fast", 1, &fail_fast) < 0)
        return AF_FAILED;
    int64_t workers;
    char err[256];
    if (af__cfg_int(p, "workers", 8, &workers, err, sizeof err) < 0)
        return af_fail(s, "input 'parallelism.workers' must be an integer");
    if (workers < 1) workers = 1;
    if (workers > 64) workers = 64;
    af__upload_item *items;
    size_t n;
    if (af__xfer_upload_items(&x, af_in(s, "items"), &items, &n) < 0)
        return af_fail(s, "%s", x.err);
    for (size_t i = 0; i < n; i++)
        if (local_path(s, af_sprintf(x.a, "items[%zu]", i), items[i].file, &items[i].local) < 0)
            return AF_FAILED;
    const char *mdir = af_manifests_dir(s);
    if (af__xfer_mkdirs(mdir) < 0)
        return af_fail(s, "cannot create the manifests dir '%s': %s", mdir, strerror(errno));
    const char *manifest = af_sprintf(x.a, "%s/%s.manifest.json", mdir, af_step_id(s));
    int64_t count;
    if (af__xfer_upload_sftp(&x, items, n, rdir, enabled, (int)workers, fail_fast, manifest,
                             &count) < 0)
        return af_fail(s, "%s", x.err);
    af_out_set(s, "manifest", af_str(x.a, manifest));
    af_out_set(s, "count", af_int(x.a, count));
    return AF_SUCCESS;
}

af_status af__xfer_smb_upload_step(af_step *s)
{
    af__xfer x;
    const char *rdir;
    const char **files;
    size_t n;
    if (begin(s, "smb", &x) < 0 || af_in_str(s, "remote_dir", NULL, &rdir) < 0 ||
        af_in_strlist(s, "local_files", &files, &n) < 0)
        return AF_FAILED;
    if (!rdir) return af_fail(s, "input 'remote_dir' is required");
    const char **local = af_alloc(x.a, (n + 1) * sizeof *local);
    for (size_t i = 0; i < n; i++)
        if (local_path(s, af_sprintf(x.a, "local_files[%zu]", i), files[i], &local[i]) < 0)
            return AF_FAILED;
    af_value *uploaded;
    if (af__xfer_upload_smb(&x, local, n, rdir, &uploaded) < 0) return af_fail(s, "%s", x.err);
    af_out_set(s, "uploaded", uploaded);
    af_out_set(s, "remote_dir", af_str(x.a, rdir));
    return AF_SUCCESS;
}
