/*
 * fetch.c - bundles kept on an SFTP server or an SMB share.
 *
 * A manifest whose bundle.source is {type: sftp|smb, resource: R,
 * base_path: DIR} names one of its own resources; afc opens it with the
 * very driver the flow steps use (libssh2 or libsmbclient, from the
 * catalog), lists DIR recursively and downloads it into its cache. The rest
 * of the build then reads the local copy as a filesystem bundle, so the
 * fingerprint covers exactly the files that were fetched. Resource
 * templates are rendered with the process environment (env roots only, as
 * at run time); secrets decoding is a run-time matter and is not applied.
 * fetch_policy always, or strict_fingerprint (content compared, as the
 * reference does, which needs every byte), downloads on every build.
 */
#include "afc.h"
#include "af_int.h"
#include "af_remote.h"
#include "xfer.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* Where fetched bundles are kept: $AFC_BUNDLE_CACHE, else the user's cache. */
static const char *cache_root(af_arena *a)
{
    const char *e = getenv("AFC_BUNDLE_CACHE");
    if (e && *e) return af_strdup(a, e);
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) return af_sprintf(a, "%s/afc/bundles", xdg);
    if (home && *home) return af_sprintf(a, "%s/.cache/afc/bundles", home);
    return af_sprintf(a, "/tmp/afc-bundles-%d", (int)getuid());
}

/* The cache directory of one bundle location: the bundle id and source
 * type, and a digest of where it lives (host, port, share, user, base path;
 * never a secret), so that two manifests naming the same id on different
 * servers do not share a copy. */
static const char *cache_dir(af_arena *a, const afc_manifest *m, const af_value *config)
{
    static const char *const where[] = {"host", "port", "server", "share", "user",
                                        "username", "domain", "workgroup", NULL};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, m->source_type, strlen(m->source_type) + 1);
    for (const char *const *k = where; *k; k++) {
        const af_value *v = af_map_get(config, *k);
        af_buf b = {0};
        if (v) af_py_str(&b, v);
        EVP_DigestUpdate(ctx, *k, strlen(*k) + 1);
        EVP_DigestUpdate(ctx, af_buf_cstr(&b), b.len + 1);
        af_buf_free(&b);
    }
    const char *base = m->base_path ? m->base_path : ".";
    EVP_DigestUpdate(ctx, base, strlen(base) + 1);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    char hex[13];
    for (int i = 0; i < 6; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return af_sprintf(a, "%s/%s-%s-%s", cache_root(a), m->id ? m->id : "bundle", m->source_type,
                      hex);
}

/* The listing that decides whether the cache is current: one line per file,
 * rel_path, size and mtime, in the engine's (sorted) order. */
static char *listing_text(af_arena *a, const af_value *files)
{
    af_buf b = {0};
    for (size_t i = 0; i < files->u.list.n; i++) {
        const af_value *f = files->u.list.items[i];
        const af_value *rel = af_map_get(f, "rel_path"), *size = af_map_get(f, "size"),
                       *mtime = af_map_get(f, "mtime");
        af_buf_puts(&b, rel && rel->type == AF_STR ? rel->u.s.ptr : "?");
        af_buf_putc(&b, '\t');
        if (size) af_py_str(&b, size);
        af_buf_putc(&b, '\t');
        if (mtime) af_py_str(&b, mtime);
        af_buf_putc(&b, '\n');
    }
    char *s = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return s;
}

/* 1 when every listed file is in the cached copy with its listed size (a
 * copy someone trimmed by hand is fetched again). */
static int cache_intact(af_arena *a, const char *dir, const af_value *files)
{
    for (size_t i = 0; i < files->u.list.n; i++) {
        const af_value *f = files->u.list.items[i];
        const af_value *rel = af_map_get(f, "rel_path"), *size = af_map_get(f, "size");
        struct stat st;
        if (!rel || rel->type != AF_STR) return 0;
        if (stat(af_sprintf(a, "%s/%s", dir, rel->u.s.ptr), &st) < 0 || !S_ISREG(st.st_mode))
            return 0;
        if (size && size->type == AF_INT && st.st_size != (off_t)size->u.i) return 0;
    }
    return 1;
}

static void xlog(void *ud, af_level lvl, const char *event, const af_kv *fields)
{
    af_conn *c = ud;
    af_conn_log(c, lvl, event, fields);
}

const char *afc_fetch_bundle(af_arena *a, afc_diags *d, const afc_catalog *cat,
                             const afc_manifest *m)
{
    afc_pos where = m->source_type_pos;
    int smb = !strcmp(m->source_type, "smb");
    const afc_resource *res = NULL;
    for (size_t i = 0; i < m->nresources; i++)
        if (m->resources[i].name && m->source_resource &&
            !strcmp(m->resources[i].name, m->source_resource))
            res = &m->resources[i];
    if (!res) {
        afc_error(d, where, "bundle.source.resource '%s' is not one of the manifest's resources",
                  m->source_resource ? m->source_resource : "");
        const char **names = af_alloc(a, (m->nresources + 1) * sizeof *names);
        for (size_t i = 0; i < m->nresources; i++) names[i] = m->resources[i].name;
        if (m->source_resource) afc_note_suggest(d, where, m->source_resource, names);
        return NULL;
    }
    if (!res->kind || strcmp(res->kind, m->source_type)) {
        afc_error(d, res->pos, "resource '%s' is of kind '%s'; a bundle source of type '%s' needs "
                               "kind %s",
                  res->name, res->kind ? res->kind : "?", m->source_type, m->source_type);
        return NULL;
    }
    const af_driver *drv = res->driver ? afc_catalog_driver(cat, res->kind, res->driver, NULL) : NULL;
    if (!drv || !drv->open) {
        afc_error(d, res->driver_node ? res->driver_node->pos : res->pos,
                  "no %s driver '%s' to fetch the bundle with", res->kind,
                  res->driver ? res->driver : "?");
        return NULL;
    }

    /* the resource as the run would resolve it: env templates only */
    af__run run = {0};
    run.arena = a;
    run.env = af__env_snapshot(a, environ);
    run.flow_id = m->id ? m->id : "bundle";
    run.run_id = "afc-build";
    af__log_init(&run.log, run.env);
    af_value *scope = af_map(a);
    af_map_set(a, scope, "env", run.env);
    char err[2048];
    af_value *config = af_map(a), *options = af_map(a);
    if ((res->config &&
         af__render_env(a, afc_node_value(a, res->config), scope, &config, NULL, err, sizeof err) < 0) ||
        (res->options &&
         af__render_env(a, afc_node_value(a, res->options), scope, &options, NULL, err, sizeof err) < 0)) {
        char *nl = strchr(err, '\n');
        if (nl) *nl = ' ';
        afc_error(d, res->pos, "resource '%s': %s", res->name, err);
        return NULL;
    }
    af_conn c = {0};
    c.drv = drv;
    c.name = res->name;
    c.config = config;
    c.options = options;
    c.arena = a;
    c.run = &run;
    if (drv->open(&c, err, sizeof err) < 0) {
        afc_error(d, res->pos, "fetching the bundle through resource '%s' (%s/%s): %s", res->name,
                  drv->kind, drv->name, err);
        return NULL;
    }
    c.opened = 1;

    const char *local = NULL;
    af__xfer x = {0};
    x.ops = drv->ops;
    x.h = af_conn_impl(&c);
    x.smb = smb;
    x.a = a;
    x.log = xlog;
    x.log_ud = &c;
    af_value *files = NULL;
    const char *base = m->base_path ? m->base_path : ".";
    if (af__xfer_list(&x, base, "*", 1, &files) < 0) {
        afc_error(d, where, "listing the bundle at %s: %s", base, x.err);
        goto done;
    }
    if (!files->u.list.n) {
        afc_error(d, where, "the bundle at %s (resource '%s') has no files", base, res->name);
        goto done;
    }

    const char *dir = cache_dir(a, m, config);
    const char *stamp_path = af_sprintf(a, "%s/.afc-listing", dir);
    const char *listing = listing_text(a, files);
    char *cached = NULL;
    if (af__read_file(a, stamp_path, &cached, NULL) < 0) cached = NULL;
    /* strict_fingerprint compares content, which means fetching it all */
    int always = (m->fetch_policy && !strcmp(m->fetch_policy, "always")) || m->strict_fingerprint;
    if (!always && cached && !strcmp(cached, listing) && cache_intact(a, dir, files)) {
        fprintf(stderr, "afc: bundle %s: the cached copy of %s is current\n", m->id ? m->id : "",
                base);
        local = dir;
        goto done;
    }
    /* download beside the cache, then swap it in whole */
    const char *tmp = af_sprintf(a, "%s.tmp.%d", dir, (int)getpid());
    af__rmtree(tmp);
    if (af_mkdirs(tmp, 0755) < 0) {
        afc_error(d, where, "cannot create %s: %s", tmp, strerror(errno));
        goto done;
    }
    af_value *got = NULL;
    if (af__xfer_download(&x, files, tmp, &got) < 0) {
        afc_error(d, where, "downloading the bundle from %s: %s", base, x.err);
        af__rmtree(tmp);
        goto done;
    }
    FILE *f = fopen(af_sprintf(a, "%s/.afc-listing", tmp), "w");
    int wrote = f && fputs(listing, f) >= 0;
    if (f && fclose(f) != 0) wrote = 0;
    if (!wrote) {
        afc_error(d, where, "cannot write the cache listing in %s", tmp);
        af__rmtree(tmp);
        goto done;
    }
    af__rmtree(dir);
    if (rename(tmp, dir) < 0) {
        afc_error(d, where, "cannot move %s to %s: %s", tmp, dir, strerror(errno));
        af__rmtree(tmp);
        goto done;
    }
    fprintf(stderr, "afc: bundle %s: fetched %zu file%s from %s (%s) into %s\n",
            m->id ? m->id : "", got->u.list.n, got->u.list.n == 1 ? "" : "s", base,
            res->name, dir);
    local = dir;
done:
    if (drv->close) drv->close(&c);
    return local;
}
