/*
 * xfer_local.c - the remote primitives of the `sftp:local` and `smb:local`
 * drivers: a local directory (config.base_dir) stands in for the server so
 * demo flows run without one.
 *
 * SFTP paths map to base_dir/PATH; SMB paths are parsed with the SMB rules
 * (af_smb.h) and map to base_dir/SHARE/PATH. No path may climb out of
 * base_dir. This is a stand-in, not a security boundary: symbolic links
 * inside base_dir are followed like any local file.
 */
#include "xfer.h"
#include "af_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct localfs {
    char *base;  /* absolute, normalised */
    char *share; /* SMB: config.share or NULL */
    int smb;
    af_arena *a; /* path scratch, reset per call under mu */
    pthread_mutex_t mu;
} localfs;

int af__local_open(const af_value *config, int smb, void **h, char *err, size_t errlen)
{
    af_arena *a = af_arena_new();
    const char *base = af__cfg_str(a, config, "base_dir");
    if (!base || !*base) {
        af_arena_free(a);
        return af__err(err, errlen, "config.base_dir is required by the local driver");
    }
    char cwd[4096];
    if (base[0] != '/') {
        if (!getcwd(cwd, sizeof cwd)) {
            af_arena_free(a);
            return af__err(err, errlen, "cannot resolve base_dir '%s': %s", base, strerror(errno));
        }
        base = af_sprintf(a, "%s/%s", cwd, base);
    }
    base = af__norm_abs(a, base);
    if (af__xfer_mkdirs(base) < 0) {
        int e = errno;
        af_arena_free(a);
        return af__err(err, errlen, "cannot create base_dir: %s", strerror(e));
    }
    localfs *l = calloc(1, sizeof *l);
    const char *share = smb ? af__cfg_str(a, config, "share") : NULL;
    l->base = strdup(base);
    l->share = share && *share ? strdup(share) : NULL;
    l->smb = smb;
    l->a = a;
    pthread_mutex_init(&l->mu, NULL);
    *h = l;
    return 0;
}

void af__local_close(void *h)
{
    localfs *l = h;
    if (!l) return;
    af_arena_free(l->a);
    pthread_mutex_destroy(&l->mu);
    free(l->base);
    free(l->share);
    free(l);
}

/* rel normalised below a root: "/a/b", or "" for the root itself; NULL
 * (err set) when ".." would climb above the root. */
static char *below(localfs *l, const char *rel, const char *remote, char *err, size_t errlen)
{
    size_t o = 0;
    char *v = af_alloc(l->a, strlen(rel) + 2);
    for (const char *q = rel; *q;) {
        while (*q == '/')
            q++;
        const char *e = q;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - q);
        if (!len || (len == 1 && q[0] == '.')) {
            /* nothing */
        } else if (len == 2 && q[0] == '.' && q[1] == '.') {
            if (!o) {
                af__err(err, errlen, "path escapes %s: '%s'", l->smb ? "its share" : "base_dir",
                        remote);
                return NULL;
            }
            while (o && v[o - 1] != '/')
                o--;
            o--;
        } else {
            v[o++] = '/';
            memcpy(v + o, q, len);
            o += len;
        }
        q = e;
    }
    v[o] = 0;
    return v;
}

/* Maps a remote path to a local one under base; NULL with err on escape.
 * *root (when given) tells whether it is base_dir or a share's root. */
static const char *map_r(localfs *l, const char *remote, int *root, char *err, size_t errlen)
{
    const char *rel = remote, *share = "";
    if (l->smb) {
        af__smb_path sp;
        if (af__smb_parse(l->a, NULL, l->share, remote, &sp, err, errlen) < 0) return NULL;
        if (strchr(sp.share, '/') || !strcmp(sp.share, "..") || !strcmp(sp.share, ".")) {
            af__err(err, errlen, "invalid share name '%s'", sp.share);
            return NULL;
        }
        share = af_sprintf(l->a, "/%s", sp.share);
        rel = sp.path;
    }
    const char *v = below(l, rel, remote, err, errlen);
    if (!v) return NULL;
    if (root) *root = !*v;
    const char *base = strcmp(l->base, "/") ? l->base : "";
    if (!*share && !*v) return l->base;
    return af_sprintf(l->a, "%s%s%s", base, share, v);
}

static const char *map(localfs *l, const char *remote, char *err, size_t errlen)
{
    return map_r(l, remote, NULL, err, errlen);
}

#define LOCK(l)                                                                                    \
    pthread_mutex_lock(&(l)->mu);                                                                  \
    af_arena_reset((l)->a)
#define UNLOCK(l) pthread_mutex_unlock(&(l)->mu)

static int fail_errno(char *err, size_t errlen, const char *what, const char *path)
{
    return af__err(err, errlen, "cannot %s '%s': %s", what, path, strerror(errno));
}

static int l_list(void *h, af_arena *a, const char *dir, af_remote_entry **out, size_t *n,
                  char *err, size_t errlen)
{
    localfs *l = h;
    LOCK(l);
    int rc = -1;
    const char *p = map(l, dir, err, errlen);
    DIR *d = p ? opendir(p) : NULL;
    if (p && !d) fail_errno(err, errlen, "list", dir);
    if (d) {
        size_t cap = 16, k = 0;
        af_remote_entry *e = af_alloc(a, cap * sizeof *e);
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            struct stat st;
            if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
            if (k == cap) {
                af_remote_entry *ne = af_alloc(a, 2 * cap * sizeof *ne);
                memcpy(ne, e, k * sizeof *e);
                e = ne;
                cap *= 2;
            }
            e[k].name = af_strdup(a, de->d_name);
            e[k].path =
                l->smb ? af__smb_join(a, dir, de->d_name) : af__sftp_join(a, dir, de->d_name);
            e[k].is_dir = S_ISDIR(st.st_mode);
            e[k].size = e[k].is_dir ? -1 : (int64_t)st.st_size;
            e[k].mtime = (int64_t)st.st_mtime;
            k++;
        }
        closedir(d);
        *out = e;
        *n = k;
        rc = 0;
    }
    UNLOCK(l);
    return rc;
}

static int l_read(void *h, const char *path, af_buf *out, char *err, size_t errlen)
{
    localfs *l = h;
    LOCK(l);
    int rc = -1;
    const char *p = map(l, path, err, errlen);
    int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
    if (p && fd < 0) fail_errno(err, errlen, "open", path);
    if (fd >= 0) {
        char buf[65536];
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0)
            af_buf_put(out, buf, (size_t)r);
        if (r < 0)
            fail_errno(err, errlen, "read", path);
        else
            rc = 0;
        close(fd);
    }
    UNLOCK(l);
    return rc;
}

/* mkdir -p of the parent of local path p. */
static int parent_dirs(const char *p, char *err, size_t errlen, const char *remote)
{
    char *d = strdup(p);
    char *slash = d ? strrchr(d, '/') : NULL;
    int rc = 0;
    if (slash && slash != d) {
        *slash = 0;
        if (af__xfer_mkdirs(d) < 0)
            rc = af__err(err, errlen, "cannot create the parent of '%s': %s", remote,
                         strerror(errno));
    }
    free(d);
    return rc;
}

/* Copies src_fd to a temporary beside dst, then renames it into place. */
static int copy_in(int src, const char *dst, const af_xfer_ctl *ctl, char *err, size_t errlen,
                   const char *what)
{
    af__tmpfile t;
    if (af__tmp_open(&t, dst, err, errlen) < 0) return -1;
    char *buf = malloc(1 << 20);
    ssize_t r = 0;
    while (buf && (r = read(src, buf, 1 << 20)) > 0) {
        if (ctl && ctl->cancelled && ctl->cancelled(ctl->ud)) {
            free(buf);
            af__tmp_abort(&t);
            return af__err(err, errlen, "cancelled");
        }
        if (af__write_all(t.fd, buf, (size_t)r) < 0) {
            r = -2;
            break;
        }
    }
    int e = errno;
    free(buf);
    if (!buf || r < 0) {
        af__tmp_abort(&t);
        return af__err(err, errlen, "cannot %s '%s': %s", r == -2 ? "write" : "read", what,
                       strerror(buf ? e : ENOMEM));
    }
    return af__tmp_commit(&t, err, errlen);
}

static int l_write(void *h, const char *path, const void *data, size_t len, char *err,
                   size_t errlen)
{
    localfs *l = h;
    LOCK(l);
    int rc = -1;
    const char *p = map(l, path, err, errlen);
    af__tmpfile t;
    if (p && parent_dirs(p, err, errlen, path) == 0 && af__tmp_open(&t, p, err, errlen) == 0) {
        if (af__write_all(t.fd, data, len) < 0) {
            fail_errno(err, errlen, "write", path);
            af__tmp_abort(&t);
        } else {
            rc = af__tmp_commit(&t, err, errlen);
        }
    }
    UNLOCK(l);
    return rc;
}

static int l_upload(void *h, const char *local, const char *remote, const af_xfer_ctl *ctl,
                    char *err, size_t errlen)
{
    localfs *l = h;
    LOCK(l);
    int rc = -1;
    const char *p = map(l, remote, err, errlen);
    int fd = p ? open(local, O_RDONLY | O_CLOEXEC) : -1;
    if (p && fd < 0) fail_errno(err, errlen, "open", local);
    if (fd >= 0) {
        if (parent_dirs(p, err, errlen, remote) == 0) rc = copy_in(fd, p, ctl, err, errlen, local);
        close(fd);
    }
    UNLOCK(l);
    return rc;
}

static int l_download(void *h, const char *remote, const char *local, const af_xfer_ctl *ctl,
                      char *err, size_t errlen)
{
    localfs *l = h;
    LOCK(l);
    int rc = -1;
    const char *p = map(l, remote, err, errlen);
    int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
    if (p && fd < 0) fail_errno(err, errlen, "open", remote);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
            af__err(err, errlen, "'%s' is a directory", remote);
        else
            rc = copy_in(fd, local, ctl, err, errlen, remote);
        close(fd);
    }
    UNLOCK(l);
    return rc;
}

static int l_delete(void *h, const char *path, char *err, size_t errlen)
{
    localfs *l = h;
    LOCK(l);
    int rc = -1, root;
    const char *p = map_r(l, path, &root, err, errlen);
    if (p) {
        if (root)
            af__err(err, errlen, "refusing to delete the root of '%s'", path);
        else if (unlink(p) == 0)
            rc = 0;
        else if ((errno == EISDIR || errno == EPERM) && rmdir(p) == 0)
            rc = 0;
        else
            fail_errno(err, errlen, "delete", path);
    }
    UNLOCK(l);
    return rc;
}

static int l_mkdir(void *h, const char *dir, char *err, size_t errlen)
{
    localfs *l = h;
    LOCK(l);
    const char *p = map(l, dir, err, errlen);
    int rc = p ? mkdir(p, 0777) : -1;
    if (p && rc < 0) fail_errno(err, errlen, "create directory", dir);
    UNLOCK(l);
    return rc;
}

static int l_mkdir_recursive(void *h, const char *dir, char *err, size_t errlen)
{
    localfs *l = h;
    LOCK(l);
    const char *p = map(l, dir, err, errlen);
    int rc = p ? af__xfer_mkdirs(p) : -1;
    if (p && rc < 0) fail_errno(err, errlen, "create directory", dir);
    UNLOCK(l);
    return rc;
}

/* rm -r below dirfd-relative name; records the first error. */
static void rm_tree(int parent, const char *name, const char *shown, int *failed, char *err,
                    size_t errlen)
{
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT && !(*failed)++) fail_errno(err, errlen, "delete", shown);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
            if (fd >= 0) close(fd);
            if (!(*failed)++) fail_errno(err, errlen, "list", shown);
            return;
        }
        struct dirent *de;
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                rm_tree(dirfd(d), de->d_name, shown, failed, err, errlen);
        closedir(d);
        if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && !(*failed)++)
            fail_errno(err, errlen, "delete", shown);
    } else if (unlinkat(parent, name, 0) < 0 && !(*failed)++) {
        fail_errno(err, errlen, "delete", shown);
    }
}

static int l_delete_recursive(void *h, const char *path, char *err, size_t errlen)
{
    localfs *l = h;
    LOCK(l);
    int failed = 0, root;
    const char *p = map_r(l, path, &root, err, errlen);
    if (!p)
        failed = 1;
    else if (root) {
        af__err(err, errlen, "refusing to delete the root of '%s'", path);
        failed = 1;
    } else
        rm_tree(AT_FDCWD, p, path, &failed, err, errlen);
    UNLOCK(l);
    return failed ? -1 : 0;
}

static int l_rename(void *h, const char *from, const char *to, char *err, size_t errlen)
{
    localfs *l = h;
    LOCK(l);
    int rc = -1;
    const char *a = map(l, from, err, errlen);
    const char *b = a ? map(l, to, err, errlen) : NULL;
    if (b) {
        rc = rename(a, b);
        if (rc < 0)
            af__err(err, errlen, "cannot rename '%s' to '%s': %s", from, to, strerror(errno));
    }
    UNLOCK(l);
    return rc;
}

static int l_stat(void *h, const char *path, af_remote_stat *st, char *err, size_t errlen)
{
    localfs *l = h;
    LOCK(l);
    int rc = -1;
    const char *p = map(l, path, err, errlen);
    struct stat s;
    if (p) {
        if (stat(p, &s) == 0) {
            st->is_dir = S_ISDIR(s.st_mode);
            st->size = (int64_t)s.st_size;
            st->mtime = (int64_t)s.st_mtime;
            rc = 1;
        } else if (errno == ENOENT || errno == ENOTDIR) {
            rc = 0;
        } else {
            fail_errno(err, errlen, "stat", path);
        }
    }
    UNLOCK(l);
    return rc;
}

const af_remote_ops af__local_ops = {
    .list = l_list,
    .read = l_read,
    .write = l_write,
    .upload = l_upload,
    .download = l_download,
    .delete = l_delete,
    .mkdir = l_mkdir,
    .mkdir_recursive = l_mkdir_recursive,
    .delete_recursive = l_delete_recursive,
    .rename = l_rename,
    .stat = l_stat,
    .upload_many = NULL,
};
