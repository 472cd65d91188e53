/*
 * fileio.c - atomic file output and mkdir -p: the file
 * primitives every step that writes outputs (and the state store, and the
 * asset unpacker) goes through.
 *
 * Atomic output: the data goes to a hidden temp file beside the target
 * (`.<name>.tmp.<pid>.<random>`, same directory so the rename cannot cross
 * filesystems); commit fsyncs it, renames it over the target and fsyncs the
 * directory so the rename itself survives a crash. Until the rename the
 * target is untouched; a crash leaves at worst a hidden temp file.
 *
 * Also the one whole-file read the runtime and afc use (af__read_file).
 */
#include "af_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* A random 64-bit suffix for temp names; falls back to clock and pid bits
 * when the kernel has no getrandom (the O_EXCL retry loop covers clashes). */
static uint64_t rand64(void)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r) return r;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    static uint64_t counter;
    r = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);
    return r ^ (++counter * 0x9E3779B97F4A7C15ull);
}

/* Splits path into a malloc'd directory ("." when none) and a pointer to
 * the base name inside path. NULL when path names no file. */
static char *dir_of(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    if (!**base) return NULL;
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static void atomic_clear(af_atomic *f)
{
    free(f->tmp_path);
    free(f->path);
    f->tmp_path = f->path = NULL;
    f->fd = -1;
}

int af_atomic_open(af_atomic *f, const char *path, int mode, char *err, size_t errlen)
{
    f->fd = -1;
    f->tmp_path = f->path = NULL;
    const char *base;
    char *dir = dir_of(path, &base);
    if (!dir) return af__err(err, errlen, "cannot write '%s': not a file name", path);
    f->path = strdup(path);
    size_t n = strlen(dir) + strlen(base) + 64;
    f->tmp_path = malloc(n);
    if (!f->path || !f->tmp_path) {
        free(dir);
        atomic_clear(f);
        return af__err(err, errlen, "cannot write '%s': out of memory", path);
    }
    for (int tries = 0; tries < 100; tries++) {
        snprintf(f->tmp_path, n, "%s/.%s.tmp.%ld.%016llx", dir, base, (long)getpid(),
                 (unsigned long long)rand64());
        f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (f->fd >= 0 || errno != EEXIST) break;
    }
    free(dir);
    if (f->fd < 0) {
        int e = errno;
        af__err(err, errlen, "cannot create temp file for '%s': %s", path, strerror(e));
        atomic_clear(f);
        errno = e;
        return -1;
    }
    return 0;
}

int af_atomic_commit(af_atomic *f, char *err, size_t errlen)
{
    if (f->fd < 0 || !f->tmp_path || !f->path)
        return af__err(err, errlen, "atomic commit of a file that is not open");
    if (fsync(f->fd) < 0) {
        af__err(err, errlen, "cannot write '%s': fsync: %s", f->path, strerror(errno));
        af_atomic_abort(f);
        return -1;
    }
    int fd = f->fd;
    f->fd = -1;
    if (close(fd) < 0) {
        af__err(err, errlen, "cannot write '%s': close: %s", f->path, strerror(errno));
        af_atomic_abort(f);
        return -1;
    }
    if (rename(f->tmp_path, f->path) < 0) {
        af__err(err, errlen, "cannot rename '%s' to '%s': %s", f->tmp_path, f->path,
                strerror(errno));
        af_atomic_abort(f);
        return -1;
    }
    /* The file is in place; make the directory entry durable too. Some
     * filesystems cannot fsync a directory (EINVAL): nothing more to do. */
    const char *base;
    char *dir = dir_of(f->path, &base);
    int rc = 0;
    int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd >= 0) {
        if (fsync(dfd) < 0 && errno != EINVAL && errno != EROFS)
            rc = af__err(err, errlen, "'%s' written, but fsync of '%s' failed: %s", f->path, dir,
                         strerror(errno));
        close(dfd);
    }
    free(dir);
    atomic_clear(f);
    return rc;
}

void af_atomic_abort(af_atomic *f)
{
    if (f->fd >= 0) close(f->fd);
    if (f->tmp_path) unlink(f->tmp_path);
    atomic_clear(f);
}

int af_mkdirs(const char *path, int mode)
{
    if (!path || !*path) {
        errno = ENOENT;
        return -1;
    }
    char *p = strdup(path);
    if (!p) return -1;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = 0;
    /* Usually the parent exists: one mkdir (or a stat) settles it. */
    struct stat st0;
    if (mkdir(p, (mode_t)mode) == 0 || (errno == EEXIST && stat(p, &st0) == 0 && S_ISDIR(st0.st_mode))) {
        free(p);
        return 0;
    }
    /* Otherwise create each missing component from the top; an existing one
     * is fine only when it is a directory (or a link to one). */
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s) continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, (mode_t)mode) < 0) {
            int e = errno;
            struct stat st;
            if (e != EEXIST || stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
                free(p);
                errno = e == EEXIST ? ENOTDIR : e;
                return -1;
            }
        }
        *s = c;
        if (!c) break;
    }
    free(p);
    return 0;
}

int af__read_file(af_arena *a, const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    af_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) af_buf_put(&b, chunk, n);
    int e = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (e) {
        af_buf_free(&b);
        errno = e;
        return -1;
    }
    *out = af_strndup(a, af_buf_cstr(&b), b.len);
    if (len) *len = b.len;
    af_buf_free(&b);
    return 0;
}
