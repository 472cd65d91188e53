/*
 * smb_libsmbclient.c - driver `libsmbclient` of kind `smb` (aliases
 * `smbclient`, `pysmb`, `smb-pysmb`): Windows shares over SMB2/SMB3 with
 * Samba's libsmbclient.
 *
 * Each connector owns an SMBCCTX and calls libsmbclient only through that
 * context's function table (smbc_getFunction*), never through the
 * process-wide smbc_* compatibility API, so connectors do not share a
 * "current context". libsmbclient still keeps process-wide state (its
 * loadparm and talloc stack frames), so one mutex serialises every call
 * of every SMB connector. The context caches the server connection: one
 * session per connector, reused by every step.
 *
 * Paths take every form of the reference (af_smb.h) and become smb:// URLs
 * on config.port. After a connection-level failure (reset, timeout) the
 * connector fails every later call instead of letting libsmbclient
 * reconnect behind the flow's back.
 */
#include "af_smb.h"
#include "xfer.h"
#include "af_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libsmbclient.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (1u << 20) /* bytes per read/write call; libsmbclient splits further */

typedef struct smbx {
    SMBCCTX *ctx;
    char *server, *share, *user, *password, *domain;
    int port;
    double timeout;
    char where[600];  /* //server:port, for messages */
    char broken[768]; /* first connection failure; connector unusable when set */
    af_arena *a;      /* scratch, reset per primitive */
    smbc_open_fn open;
    smbc_read_fn read;
    smbc_write_fn write;
    smbc_close_fn close;
    smbc_opendir_fn opendir;
    smbc_readdirplus2_fn readdirplus2;
    smbc_closedir_fn closedir;
    smbc_unlink_fn unlink;
    smbc_rmdir_fn rmdir;
    smbc_mkdir_fn mkdir;
    smbc_rename_fn rename;
    smbc_stat_fn stat;
} smbx;

/* libsmbclient's process-wide state: one caller at a time, all connectors */
static pthread_mutex_t smb_mu = PTHREAD_MUTEX_INITIALIZER;

static void auth_fn(SMBCCTX *ctx, const char *srv, const char *shr, char *wg, int wglen, char *un,
                    int unlen, char *pw, int pwlen)
{
    (void)srv, (void)shr;
    smbx *x = smbc_getOptionUserData(ctx);
    if (x->domain) snprintf(wg, (size_t)wglen, "%s", x->domain);
    snprintf(un, (size_t)unlen, "%s", x->user ? x->user : "");
    snprintf(pw, (size_t)pwlen, "%s", x->password ? x->password : "");
}

/* libsmbclient's default check sends an echo before reusing a cached
 * connection and, when it goes unanswered, quietly opens a new one. A
 * connector keeps its one session: a dead or frozen server surfaces as the
 * failure of the operation that met it. */
static int keep_server(SMBCCTX *ctx, SMBCSRV *srv)
{
    (void)ctx, (void)srv;
    return 0;
}

/* errno values that mean the connection itself is gone */
static int conn_errno(int e)
{
    return e == ECONNRESET || e == ECONNABORTED || e == ETIMEDOUT || e == EPIPE || e == ENOTCONN ||
           e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == ENETDOWN;
}

static const char *errtext(int e)
{
    switch (e) {
    case EACCES:
    case EPERM:
        return "permission denied";
    case ENOENT:
        return "no such file or directory";
    case ENOTEMPTY:
        return "directory not empty";
    case EEXIST:
        return "file exists";
    case ETIMEDOUT:
        return "timed out";
    case EINVAL:
        return "invalid name or argument (SMB names cannot hold \\ / : * ? \" < > |)";
    case 0:
        return "unknown error";
    default:
        return strerror(e);
    }
}

/* "WHAT: REASON" from errno into err; marks the connector broken on a
 * connection failure. Returns -1. */
static int fail(smbx *x, int e, char *err, size_t errlen, const char *what)
{
    if (conn_errno(e)) {
        char msg[768];
        if (e == ETIMEDOUT)
            snprintf(msg, sizeof msg, "timed out after %gs without an answer from %s", x->timeout,
                     x->where);
        else
            snprintf(msg, sizeof msg, "connection to %s lost: %s", x->where, strerror(e));
        if (!x->broken[0]) snprintf(x->broken, sizeof x->broken, "%s", msg);
        return af__err(err, errlen, "%s: %s", what, msg);
    }
    return af__err(err, errlen, "%s: %s", what, errtext(e));
}

static int enter(smbx *x, char *err, size_t errlen)
{
    pthread_mutex_lock(&smb_mu);
    af_arena_reset(x->a);
    if (x->broken[0]) {
        af__err(err, errlen, "connection to %s is unusable after an earlier failure: %s", x->where,
                x->broken);
        pthread_mutex_unlock(&smb_mu);
        return -1;
    }
    return 0;
}

static int leave(int rc)
{
    pthread_mutex_unlock(&smb_mu);
    return rc;
}

static int cancelled(const af_xfer_ctl *ctl)
{
    return ctl && ctl->cancelled && ctl->cancelled(ctl->ud);
}

/* Percent-encodes s for an smb:// URL, keeping '/'. */
static void enc(af_buf *b, const char *s, int keep_slash)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~' || (keep_slash && *p == '/'))
            af_buf_putc(b, *p);
        else
            af_buf_printf(b, "%%%02X", *p);
    }
}

/* smb://server:port/share[/path] */
static const char *url_of(smbx *x, const char *server, const char *share, const char *path)
{
    af_buf b = {0};
    af_buf_puts(&b, "smb://");
    enc(&b, server, 0);
    af_buf_printf(&b, ":%d/", x->port);
    enc(&b, share, 0);
    if (*path) {
        af_buf_putc(&b, '/');
        enc(&b, path, 1);
    }
    const char *u = af_strdup(x->a, af_buf_cstr(&b));
    af_buf_free(&b);
    return u;
}

/* The smb:// URL of a path in any of the reference's forms; NULL with err. */
static const char *url(smbx *x, const char *path, af__smb_path *sp, char *err, size_t errlen)
{
    af__smb_path tmp;
    if (!sp) sp = &tmp;
    if (af__smb_parse(x->a, x->server, x->share, path, sp, err, errlen) < 0) return NULL;
    return url_of(x, sp->server, sp->share, sp->path);
}

/* stat: 1 found, 0 missing, -1 error. */
static int stat_u(smbx *x, const char *u, struct stat *st, char *err, size_t errlen,
                  const char *path)
{
    errno = 0;
    if (x->stat(x->ctx, u, st) == 0) return 1;
    int e = errno;
    if (e == ENOENT || e == ENOTDIR) return 0;
    return fail(x, e, err, errlen, af_sprintf(x->a, "cannot stat '%s'", path));
}

/* ---- connecting ---------------------------------------------------------- */

int af__smbc_open(const af_value *config, const af_value *options, af__xlog_fn log, void *ud,
                  void **h, char *err, size_t errlen)
{
    (void)log, (void)ud;
    *h = NULL;
    smbx *x = calloc(1, sizeof *x);
    if (!x) return af__err(err, errlen, "out of memory");
    x->a = af_arena_new();
    af_arena *a = x->a;
    int64_t port;
    const char *server = af__cfg_str(a, config, "server");
    const char *share = af__cfg_str(a, config, "share");
    const char *user = af__cfg_str(a, config, "username");
    if (!user || !*user) user = af__cfg_str(a, config, "user");
    const char *password = af__cfg_str(a, config, "password");
    const char *domain = af__cfg_str(a, config, "domain");
    if (!server || !*server) {
        af__err(err, errlen, "config.server is required");
        goto fail;
    }
    if (af__cfg_int(config, "port", 445, &port, err, errlen) < 0 ||
        af__cfg_timeout(config, options, 30, &x->timeout, err, errlen) < 0)
        goto fail;
    if (port < 1 || port > 65535) {
        af__err(err, errlen, "config.port must be between 1 and 65535");
        goto fail;
    }
    x->server = strdup(server);
    x->share = share && *share ? strdup(share) : NULL;
    x->user = user && *user ? strdup(user) : NULL;
    x->password = password ? strdup(password) : NULL;
    x->domain = domain && *domain ? strdup(domain) : NULL;
    x->port = (int)port;
    snprintf(x->where, sizeof x->where, "//%s:%d", server, x->port);

    pthread_mutex_lock(&smb_mu);
    x->ctx = smbc_new_context();
    if (!x->ctx) {
        pthread_mutex_unlock(&smb_mu);
        af__err(err, errlen, "libsmbclient could not create a context: %s", strerror(errno));
        goto fail;
    }
    smbc_setDebug(x->ctx, 0);
    smbc_setOptionUserData(x->ctx, x);
    smbc_setFunctionAuthDataWithContext(x->ctx, auth_fn);
    smbc_setFunctionCheckServer(x->ctx, keep_server);
    smbc_setOptionUseKerberos(x->ctx, 0);
    smbc_setOptionFallbackAfterKerberos(x->ctx, 1);
    /* a wrong password must fail, not quietly become a guest login */
    smbc_setOptionNoAutoAnonymousLogin(x->ctx, 1);
    smbc_setTimeout(x->ctx, (int)(x->timeout * 1000));
    smbc_setPort(x->ctx, (uint16_t)x->port);
    if (x->domain) smbc_setWorkgroup(x->ctx, x->domain);
    if (x->user) smbc_setUser(x->ctx, x->user);
    if (!smbc_init_context(x->ctx)) {
        int e = errno;
        smbc_free_context(x->ctx, 1);
        x->ctx = NULL;
        pthread_mutex_unlock(&smb_mu);
        af__err(err, errlen, "libsmbclient failed to initialise: %s", strerror(e));
        goto fail;
    }
    smbc_setOptionProtocols(x->ctx, "SMB2_02", "SMB3");
    x->open = smbc_getFunctionOpen(x->ctx);
    x->read = smbc_getFunctionRead(x->ctx);
    x->write = smbc_getFunctionWrite(x->ctx);
    x->close = smbc_getFunctionClose(x->ctx);
    x->opendir = smbc_getFunctionOpendir(x->ctx);
    x->readdirplus2 = smbc_getFunctionReaddirPlus2(x->ctx);
    x->closedir = smbc_getFunctionClosedir(x->ctx);
    x->unlink = smbc_getFunctionUnlink(x->ctx);
    x->rmdir = smbc_getFunctionRmdir(x->ctx);
    x->mkdir = smbc_getFunctionMkdir(x->ctx);
    x->rename = smbc_getFunctionRename(x->ctx);
    x->stat = smbc_getFunctionStat(x->ctx);

    /* log in now, so a wrong password or share fails here, naming them */
    if (x->share) {
        const char *u = url(x, "", NULL, err, errlen);
        struct stat st;
        errno = 0;
        if (!u || x->stat(x->ctx, u, &st) < 0) {
            int e = errno;
            if (u) {
                if (e == EACCES || e == EPERM)
                    af__err(err, errlen,
                            "cannot open share '%s' on %s as '%s': access denied (wrong user name "
                            "or password?)",
                            x->share, x->where, x->user ? x->user : "(anonymous)");
                else if (e == ENOENT || e == ENODEV)
                    af__err(err, errlen, "share '%s' not found on %s", x->share, x->where);
                else
                    af__err(err, errlen, "cannot connect to %s (share '%s'): %s", x->where,
                            x->share, errtext(e));
            }
            pthread_mutex_unlock(&smb_mu);
            goto fail;
        }
    }
    af_arena_reset(a);
    pthread_mutex_unlock(&smb_mu);
    *h = x;
    return 0;
fail:
    af__smbc_close(x);
    return -1;
}

void af__smbc_close(void *h)
{
    smbx *x = h;
    if (!x) return;
    if (x->ctx) {
        pthread_mutex_lock(&smb_mu);
        smbc_free_context(x->ctx, 1); /* 1: also when files are still open */
        pthread_mutex_unlock(&smb_mu);
    }
    if (x->password) {
        explicit_bzero(x->password, strlen(x->password));
        free(x->password);
    }
    free(x->server);
    free(x->share);
    free(x->user);
    free(x->domain);
    af_arena_free(x->a);
    free(x);
}

/* ---- primitives ---------------------------------------------------------- */

static int x_list(void *h, af_arena *a, const char *dir, af_remote_entry **out, size_t *n,
                  char *err, size_t errlen)
{
    smbx *x = h;
    if (enter(x, err, errlen) < 0) return -1;
    const char *u = url(x, dir, NULL, err, errlen);
    if (!u) return leave(-1);
    errno = 0;
    SMBCFILE *d = x->opendir(x->ctx, u);
    if (!d) return leave(fail(x, errno, err, errlen, af_sprintf(x->a, "cannot list '%s'", dir)));
    size_t cap = 32, k = 0;
    af_remote_entry *e = af_alloc(a, cap * sizeof *e);
    const struct libsmb_file_info *fi;
    struct stat st;
    errno = 0;
    while ((fi = x->readdirplus2(x->ctx, d, &st))) {
        if (!fi->name || !strcmp(fi->name, ".") || !strcmp(fi->name, "..")) continue;
        if (k == cap) {
            af_remote_entry *ne = af_alloc(a, 2 * cap * sizeof *ne);
            memcpy(ne, e, k * sizeof *e);
            e = ne;
            cap *= 2;
        }
        e[k].name = af_strdup(a, fi->name);
        e[k].path = af__smb_join(a, dir, fi->name);
        e[k].is_dir = S_ISDIR(st.st_mode) || (fi->attrs & 0x10); /* FILE_ATTRIBUTE_DIRECTORY */
        e[k].size = e[k].is_dir ? -1 : (int64_t)fi->size;
        e[k].mtime = (int64_t)fi->mtime_ts.tv_sec;
        k++;
        errno = 0;
    }
    int e2 = errno;
    x->closedir(x->ctx, d);
    if (e2 && e2 != ENOENT)
        return leave(fail(x, e2, err, errlen, af_sprintf(x->a, "cannot list '%s'", dir)));
    *out = e;
    *n = k;
    return leave(0);
}

static int mkdirs_locked(smbx *x, const char *dir, char *err, size_t errlen)
{
    af__smb_path sp;
    const char *u = url(x, dir, &sp, err, errlen);
    if (!u) return -1;
    if (!*sp.path) return 0; /* the share itself */
    struct stat st;
    int r = stat_u(x, u, &st, err, errlen, dir);
    if (r < 0) return -1;
    if (r == 1) {
        if (S_ISDIR(st.st_mode)) return 0;
        return af__err(err, errlen, "cannot create directory '%s': a file is in the way", dir);
    }
    /* create each missing level from the top */
    char *p = af_strdup(x->a, sp.path);
    for (char *q = p;; q++) {
        if (*q && *q != '/') continue;
        char save = *q;
        *q = 0;
        const char *cu = url_of(x, sp.server, sp.share, p);
        errno = 0;
        if (x->mkdir(x->ctx, cu, 0777) < 0) {
            int e = errno;
            r = stat_u(x, cu, &st, err, errlen, p);
            if (r < 0) return -1;
            if (r == 0)
                return fail(
                    x, e, err, errlen,
                    af_sprintf(x->a, "cannot create directory '%s' in share '%s'", p, sp.share));
            if (!S_ISDIR(st.st_mode))
                return af__err(err, errlen, "cannot create directory '%s': '%s' is not a directory",
                               dir, p);
        }
        *q = save;
        if (!save) break;
    }
    return 0;
}

/* The directory part of a path in its own form ("" when none). */
static const char *parent_of(af_arena *a, const char *path)
{
    const char *base = af__path_base(path);
    if (base == path) return "";
    size_t n = (size_t)(base - path);
    /* keep "SHARE:/" and a UNC's "\\srv\share\" intact */
    return af_strndup(a, path, n);
}

/* Copies from fd or mem to a temporary name beside remote, then renames. */
static int put(smbx *x, int fd, const char *mem, size_t memlen, const char *remote,
               const af_xfer_ctl *ctl, char *err, size_t errlen)
{
    af__smb_path sp;
    const char *final = url(x, remote, &sp, err, errlen);
    if (!final) return -1;
    if (!*sp.path) return af__err(err, errlen, "'%s' names a share, not a file", remote);
    if (mkdirs_locked(x, parent_of(x->a, remote), err, errlen) < 0) return -1;
    const char *tmpname = af__remote_tmp_name(x->a, remote);
    const char *tmp = url(x, tmpname, NULL, err, errlen);
    if (!tmp) return -1;
    errno = 0;
    SMBCFILE *f = x->open(x->ctx, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (!f) return fail(x, errno, err, errlen, af_sprintf(x->a, "cannot create '%s'", tmpname));
    char *buf = mem ? NULL : malloc(CHUNK);
    int rc = 0;
    size_t off = 0;
    if (!mem && !buf) rc = af__err(err, errlen, "out of memory");
    while (rc == 0) {
        const char *p;
        ssize_t n;
        if (mem) {
            n = (ssize_t)(memlen - off > CHUNK ? CHUNK : memlen - off);
            p = mem + off;
            off += (size_t)n;
        } else {
            if (cancelled(ctl)) {
                rc = af__err(err, errlen, "cancelled");
                break;
            }
            do
                n = read(fd, buf, CHUNK);
            while (n < 0 && errno == EINTR);
            if (n < 0) {
                rc = af__err(err, errlen, "cannot read the local file: %s", strerror(errno));
                break;
            }
            p = buf;
        }
        if (n == 0) break;
        for (ssize_t done = 0; done < n && rc == 0;) {
            errno = 0;
            ssize_t w = x->write(x->ctx, f, p + done, (size_t)(n - done));
            if (w <= 0)
                rc = fail(x, errno, err, errlen, af_sprintf(x->a, "cannot write '%s'", tmpname));
            else
                done += w;
        }
    }
    free(buf);
    errno = 0;
    if (x->close(x->ctx, f) < 0 && rc == 0)
        rc = fail(x, errno, err, errlen, af_sprintf(x->a, "cannot write '%s'", tmpname));
    if (rc == 0) {
        errno = 0;
        if (x->rename(x->ctx, tmp, x->ctx, final) < 0)
            rc = fail(x, errno, err, errlen,
                      af_sprintf(x->a, "cannot rename '%s' to '%s'", tmpname, remote));
    }
    if (rc < 0 && !x->broken[0]) x->unlink(x->ctx, tmp);
    return rc;
}

static int x_upload(void *h, const char *local, const char *remote, const af_xfer_ctl *ctl,
                    char *err, size_t errlen)
{
    smbx *x = h;
    int fd = open(local, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return af__err(err, errlen, "cannot open '%s': %s", local, strerror(errno));
    int rc = enter(x, err, errlen);
    if (rc == 0) rc = leave(put(x, fd, NULL, 0, remote, ctl, err, errlen));
    close(fd);
    return rc;
}

static int x_write(void *h, const char *path, const void *data, size_t len, char *err,
                   size_t errlen)
{
    smbx *x = h;
    if (enter(x, err, errlen) < 0) return -1;
    return leave(put(x, -1, len ? data : "", len, path, NULL, err, errlen));
}

/* Reads remote into fd (download) or out (read). */
static int get(smbx *x, const char *remote, int fd, af_buf *out, const af_xfer_ctl *ctl, char *err,
               size_t errlen)
{
    const char *u = url(x, remote, NULL, err, errlen);
    if (!u) return -1;
    const char *what = af_sprintf(x->a, "cannot read '%s'", remote);
    errno = 0;
    SMBCFILE *f = x->open(x->ctx, u, O_RDONLY, 0);
    if (!f) return fail(x, errno, err, errlen, what);
    char *buf = malloc(CHUNK);
    int rc = buf ? 0 : af__err(err, errlen, "out of memory");
    while (rc == 0) {
        if (cancelled(ctl)) {
            rc = af__err(err, errlen, "cancelled");
            break;
        }
        errno = 0;
        ssize_t n = x->read(x->ctx, f, buf, CHUNK);
        if (n < 0) {
            rc = fail(x, errno, err, errlen, what);
            break;
        }
        if (n == 0) break;
        if (out)
            af_buf_put(out, buf, (size_t)n);
        else if (af__write_all(fd, buf, (size_t)n) < 0)
            rc = af__err(err, errlen, "cannot write the local file: %s", strerror(errno));
    }
    free(buf);
    x->close(x->ctx, f);
    return rc;
}

static int x_read(void *h, const char *path, af_buf *out, char *err, size_t errlen)
{
    smbx *x = h;
    if (enter(x, err, errlen) < 0) return -1;
    return leave(get(x, path, -1, out, NULL, err, errlen));
}

static int x_download(void *h, const char *remote, const char *local, const af_xfer_ctl *ctl,
                      char *err, size_t errlen)
{
    smbx *x = h;
    if (enter(x, err, errlen) < 0) return -1;
    af__tmpfile t;
    if (af__tmp_open(&t, local, err, errlen) < 0) return leave(-1);
    if (get(x, remote, t.fd, NULL, ctl, err, errlen) < 0) {
        af__tmp_abort(&t);
        return leave(-1);
    }
    return leave(af__tmp_commit(&t, err, errlen));
}

/* Removes a file or an empty directory. libsmbclient's unlink reports
 * success on a directory without removing it, so the type is asked first
 * and a directory's removal is checked. */
static int delete_locked(smbx *x, const char *path, char *err, size_t errlen)
{
    const char *u = url(x, path, NULL, err, errlen);
    if (!u) return -1;
    const char *what = af_sprintf(x->a, "cannot delete '%s'", path);
    struct stat st;
    int r = stat_u(x, u, &st, err, errlen, path);
    if (r < 0) return -1;
    if (r == 0) return af__err(err, errlen, "%s: no such file or directory", what);
    errno = 0;
    if (!S_ISDIR(st.st_mode)) {
        if (x->unlink(x->ctx, u) == 0) return 0;
        return fail(x, errno, err, errlen, what);
    }
    if (x->rmdir(x->ctx, u) < 0) return fail(x, errno, err, errlen, what);
    r = stat_u(x, u, &st, err, errlen, path);
    if (r < 0) return -1;
    if (r == 1) return af__err(err, errlen, "%s: directory not empty", what);
    return 0;
}

static int x_delete(void *h, const char *path, char *err, size_t errlen)
{
    smbx *x = h;
    if (enter(x, err, errlen) < 0) return -1;
    return leave(delete_locked(x, path, err, errlen));
}

static int x_mkdir(void *h, const char *dir, char *err, size_t errlen)
{
    smbx *x = h;
    if (enter(x, err, errlen) < 0) return -1;
    const char *u = url(x, dir, NULL, err, errlen);
    if (!u) return leave(-1);
    errno = 0;
    if (x->mkdir(x->ctx, u, 0777) == 0) return leave(0);
    return leave(
        fail(x, errno, err, errlen, af_sprintf(x->a, "cannot create directory '%s'", dir)));
}

static int x_mkdir_recursive(void *h, const char *dir, char *err, size_t errlen)
{
    smbx *x = h;
    if (enter(x, err, errlen) < 0) return -1;
    return leave(mkdirs_locked(x, dir, err, errlen));
}

static void rm_tree(smbx *x, const char *path, int depth, int *failed, char *err, size_t errlen)
{
    char e[1024];
    const char *u = url(x, path, NULL, e, sizeof e);
    struct stat st;
    int r = u ? stat_u(x, u, &st, e, sizeof e, path) : -1;
    if (r == 0) return;
    if (r < 0 || depth > 256) {
        if (!(*failed)++) af__err(err, errlen, "%s", r < 0 ? e : "too deep");
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        errno = 0;
        SMBCFILE *d = x->opendir(x->ctx, u);
        if (!d) {
            fail(x, errno, e, sizeof e, af_sprintf(x->a, "cannot list '%s'", path));
            if (!(*failed)++) af__err(err, errlen, "%s", e);
            return;
        }
        af_buf names = {0};
        const struct libsmb_file_info *fi;
        struct stat cst;
        while ((fi = x->readdirplus2(x->ctx, d, &cst)))
            if (fi->name && strcmp(fi->name, ".") && strcmp(fi->name, ".."))
                af_buf_put(&names, fi->name, strlen(fi->name) + 1);
        x->closedir(x->ctx, d);
        for (size_t o = 0; o < names.len && !x->broken[0]; o += strlen(names.data + o) + 1)
            rm_tree(x, af__smb_join(x->a, path, names.data + o), depth + 1, failed, err, errlen);
        af_buf_free(&names);
        errno = 0;
        if (!x->broken[0] && x->rmdir(x->ctx, u) < 0) {
            fail(x, errno, e, sizeof e, af_sprintf(x->a, "cannot delete '%s'", path));
            if (!(*failed)++) af__err(err, errlen, "%s", e);
        }
        return;
    }
    if (delete_locked(x, path, e, sizeof e) < 0 && !(*failed)++) af__err(err, errlen, "%s", e);
}

static int x_delete_recursive(void *h, const char *path, char *err, size_t errlen)
{
    smbx *x = h;
    if (enter(x, err, errlen) < 0) return -1;
    af__smb_path sp;
    if (af__smb_parse(x->a, x->server, x->share, path, &sp, err, errlen) < 0) return leave(-1);
    if (!*sp.path)
        return leave(af__err(err, errlen, "refusing to delete the root of share '%s'", sp.share));
    int failed = 0;
    rm_tree(x, path, 0, &failed, err, errlen);
    return leave(failed ? -1 : 0);
}

static int x_rename(void *h, const char *from, const char *to, char *err, size_t errlen)
{
    smbx *x = h;
    if (enter(x, err, errlen) < 0) return -1;
    af__smb_path a, b;
    const char *ua = url(x, from, &a, err, errlen);
    const char *ub = ua ? url(x, to, &b, err, errlen) : NULL;
    if (!ub) return leave(-1);
    if (strcmp(a.server, b.server) || strcmp(a.share, b.share))
        return leave(
            af__err(err, errlen, "cannot rename '%s' to '%s': not in the same share", from, to));
    errno = 0;
    if (x->rename(x->ctx, ua, x->ctx, ub) == 0) return leave(0);
    return leave(
        fail(x, errno, err, errlen, af_sprintf(x->a, "cannot rename '%s' to '%s'", from, to)));
}

static int x_stat(void *h, const char *path, af_remote_stat *st, char *err, size_t errlen)
{
    smbx *x = h;
    if (enter(x, err, errlen) < 0) return -1;
    const char *u = url(x, path, NULL, err, errlen);
    if (!u) return leave(-1);
    struct stat s;
    int r = stat_u(x, u, &s, err, errlen, path);
    if (r == 1) {
        st->is_dir = S_ISDIR(s.st_mode);
        st->size = (int64_t)s.st_size;
        st->mtime = (int64_t)s.st_mtime;
    }
    return leave(r);
}

const af_remote_ops af__smbc_ops = {
    .list = x_list,
    .read = x_read,
    .write = x_write,
    .upload = x_upload,
    .download = x_download,
    .delete = x_delete,
    .mkdir = x_mkdir,
    .mkdir_recursive = x_mkdir_recursive,
    .delete_recursive = x_delete_recursive,
    .rename = x_rename,
    .stat = x_stat,
    .upload_many = NULL,
};

/* ---- the driver descriptor ------------------------------------------------ */

static void conn_log(void *ud, af_level lvl, const char *event, const af_kv *fields)
{
    af_conn_log(ud, lvl, event, fields);
}

static int d_open(af_conn *conn, char *err, size_t errlen)
{
    void *h;
    if (af__smbc_open(af_conn_config(conn), af_conn_options(conn), conn_log, conn, &h, err,
                      errlen) < 0)
        return -1;
    af_conn_set_impl(conn, h);
    return 0;
}

static void d_close(af_conn *conn)
{
    af__smbc_close(af_conn_impl(conn));
    af_conn_set_impl(conn, NULL);
}

static const af_input config_schema[] = {
    {"server", AF_TY_STR, 1, NULL, NULL, "server name or address"},
    {"share", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL,
     "default share (paths may name another: SHARE:/dir, \\\\server\\share\\dir)"},
    {"username", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "login name"},
    {"user", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "same as username"},
    {"password", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "password"},
    {"domain", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "domain (workgroup) of the user"},
    {"port", AF_TY_INT, 0, "445", NULL, "TCP port"},
    {"server_name", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "accepted for pysmb; not needed"},
    {"client_name", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "accepted for pysmb; not needed"},
    {"timeout", AF_TY_NUMBER | AF_TY_NULL, 0, "30", NULL,
     "seconds without an answer before an operation fails"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_input options_schema[] = {
    {"timeout", AF_TY_NUMBER | AF_TY_NULL, 0, "30", NULL,
     "seconds without an answer before an operation fails (wins over config.timeout)"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

const af_driver af_driver_smb_libsmbclient = {
    .abi = AF_ABI_VERSION,
    .kind = "smb",
    .name = "libsmbclient",
    .aliases = "smbclient pysmb smb-pysmb",
    .summary = "Windows shares over SMB2/SMB3 (libsmbclient), every reference path form",
    .config = config_schema,
    .options = options_schema,
    .open = d_open,
    .close = d_close,
    .ops = &af__smbc_ops,
    /* tcc needs the private dir to resolve libsmbclient's own libraries */
    .libs = "-L/usr/lib/x86_64-linux-gnu/samba -lsmbclient",
};
