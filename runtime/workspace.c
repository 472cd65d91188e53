/*
 * workspace.c - job directories on disk: removing them safely, and the
 * sandbox that decides where a step's user-given paths may point.
 *
 * The executor lays out <root>/<flow_id>/<job_id>/<run_id>/{artifacts,...}
 * and removes job directories by cleanup policy with af__rmtree, which
 * works through directory file descriptors and never follows a symlink,
 * so a link planted in a job directory cannot make it delete outside.
 *
 * af__path_resolve is the reference's _resolve_path (builtins/steps.py)
 * with its helpers _allowed_roots and _reject_symlink_chain, run on the
 * same Python semantics: Path.resolve() as in Python 3.11 (realpath
 * without strict, then a stat that turns a symlink loop into "Symlink loop
 * from '...'"), PurePath.relative_to for containment. Summary:
 *   - relative paths are taken under the job's artifacts dir;
 *   - sandbox off: the resolved path, wherever it is;
 *   - enterprise mode: it must resolve under the artifacts dir, and no
 *     symlink may be crossed on the way from there (see below);
 *   - otherwise: it must resolve under one of the allowed roots (the roots
 *     given, then the artifacts dir, each resolved, those that exist).
 *
 * One deliberate difference: the reference checks its chain for symlinks
 * only after resolving the path, when none can be left, so its enterprise
 * check never fires. In enterprise mode we apply what that check is meant
 * to do: a symlink met while resolving, located inside the artifacts dir,
 * refuses the path with the reference's message.
 */
#include "af_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- af__rmtree ------------------------------------------------------------- */

/* Removes everything inside the directory open as dfd (consumed). */
static int rm_contents(int dfd)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0) continue;
        struct stat sb;
        if (fstatat(dirfd(d), n, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT) rc = -1;
            continue;
        }
        if (S_ISDIR(sb.st_mode)) {
            /* O_NOFOLLOW: a directory swapped for a symlink since the
             * fstatat is refused, not followed */
            int sub = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0 || rm_contents(sub) < 0) rc = -1;
            if (unlinkat(dirfd(d), n, AT_REMOVEDIR) < 0 && errno != ENOENT) rc = -1;
        } else if (unlinkat(dirfd(d), n, 0) < 0 && errno != ENOENT) {
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

int af__rmtree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) < 0) return errno == ENOENT ? 0 : -1;
    /* like shutil.rmtree: a symlink or a file is not a tree to remove */
    if (S_ISLNK(sb.st_mode)) return (errno = ELOOP, -1);
    if (!S_ISDIR(sb.st_mode)) return (errno = ENOTDIR, -1);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = rm_contents(fd);
    if (rmdir(path) < 0 && errno != ENOENT) rc = -1;
    return rc;
}

/* ---- Python's path semantics --------------------------------------------- */

/* Resolution state: the symlinks already met (posixpath's `seen`) and, for
 * enterprise mode, the first symlink met inside `watch`. */
typedef struct seen_link {
    char *link;     /* absolute path of the symlink */
    char *resolved; /* NULL while being resolved: met again means a loop */
} seen_link;

typedef struct resolver {
    af_arena *a;
    seen_link *seen;
    size_t nseen, capseen;
    const char *watch; /* directory whose inner symlinks are recorded, or NULL */
    const char *hit;   /* first such symlink */
    int depth;
} resolver;

/* PurePath.relative_to, for absolute normalised paths: 1 if p is root or
 * below it. */
static int under(const char *p, const char *root)
{
    size_t n = strlen(root);
    if (strcmp(root, "/") == 0) return p[0] == '/';
    return strncmp(p, root, n) == 0 && (p[n] == 0 || p[n] == '/');
}

static char *join(af_arena *a, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    if (n && dir[n - 1] == '/') return af_sprintf(a, "%s%s", dir, name);
    return af_sprintf(a, "%s/%s", dir, name);
}

/* posixpath.split(p)[0] for an absolute path without trailing slashes */
static char *dirname_of(af_arena *a, const char *p)
{
    const char *s = strrchr(p, '/');
    if (!s || s == p) return af_strdup(a, "/");
    return af_strndup(a, p, (size_t)(s - p));
}

/* posixpath.normpath of an absolute path: drops "", "." and folds "..". */
static char *normpath(af_arena *a, const char *p)
{
    af_buf b = {0};
    const char *s = p;
    while (*s) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t n = (size_t)(e - s);
        if (n == 0 || (n == 1 && s[0] == '.')) {
            /* nothing */
        } else if (n == 2 && s[0] == '.' && s[1] == '.') {
            while (b.len > 0 && b.data[b.len - 1] != '/')
                b.len--;
            if (b.len > 0) b.len--; /* the slash */
            if (b.data) b.data[b.len] = 0;
        } else {
            af_buf_putc(&b, '/');
            af_buf_put(&b, s, n);
        }
        s = e;
    }
    char *out = af_strdup(a, b.len ? af_buf_cstr(&b) : "/");
    af_buf_free(&b);
    return out;
}

const char *af__path_pure(af_arena *a, const char *p)
{
    af_buf b = {0};
    const char *s = p;
    /* POSIX keeps exactly two leading slashes; one or three and more are "/" */
    if (s[0] == '/') af_buf_puts(&b, s[1] == '/' && s[2] != '/' ? "//" : "/");
    size_t root = b.len;
    while (*s) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t n = (size_t)(e - s);
        if (n && !(n == 1 && s[0] == '.')) {
            if (b.len > root) af_buf_putc(&b, '/');
            af_buf_put(&b, s, n);
        }
        s = e;
    }
    char *out = af_strdup(a, b.len ? af_buf_cstr(&b) : ".");
    af_buf_free(&b);
    return out;
}

const char *af__path_join(af_arena *a, const char *dir, const char *name)
{
    if (name[0] == '/') return af__path_pure(a, name);
    return af__path_pure(a, af_sprintf(a, "%s/%s", dir, name));
}

static char *read_link(af_arena *a, const char *path, size_t hint)
{
    size_t cap = hint + 1 > 256 ? hint + 1 : 256;
    for (;;) {
        char *buf = af_alloc(a, cap);
        ssize_t n = readlink(path, buf, cap);
        if (n < 0) return NULL;
        if ((size_t)n < cap) {
            buf[n] = 0;
            return buf;
        }
        cap *= 2;
    }
}

/* posixpath._joinrealpath(path, rest, strict=False, seen), for absolute
 * paths. Stores the result in *out; returns 1 when fully resolved, 0 when
 * a symlink loop stopped it (the rest is appended unresolved), -1 when the
 * links nest too deep to follow. */
static int joinrealpath(resolver *r, const char *path, const char *rest, char **out)
{
    af_arena *a = r->a;
    char *cur = af_strdup(a, path);
    if (rest[0] == '/') cur = af_strdup(a, "/");
    if (++r->depth > 200) return -1;
    const char *s = rest;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char *name = af_strndup(a, s, n);
        const char *after = e ? e + 1 : s + n;
        s = after;
        if (n == 0 || strcmp(name, ".") == 0) continue;
        if (strcmp(name, "..") == 0) {
            cur = dirname_of(a, cur);
            continue;
        }
        char *newpath = join(a, cur, name);
        struct stat sb;
        if (lstat(newpath, &sb) < 0 || !S_ISLNK(sb.st_mode)) {
            cur = newpath;
            continue;
        }
        if (r->watch && !r->hit && under(newpath, r->watch) && strcmp(newpath, r->watch) != 0)
            r->hit = newpath;
        size_t k;
        for (k = 0; k < r->nseen; k++)
            if (strcmp(r->seen[k].link, newpath) == 0) break;
        if (k < r->nseen) {
            if (r->seen[k].resolved) {
                cur = r->seen[k].resolved;
                continue;
            }
            *out = *s ? join(a, newpath, s) : newpath; /* a loop: stop here */
            r->depth--;
            return 0;
        }
        if (r->nseen == r->capseen) {
            size_t cap = r->capseen ? r->capseen * 2 : 8;
            seen_link *more = af_alloc(a, cap * sizeof *more);
            if (r->nseen) memcpy(more, r->seen, r->nseen * sizeof *more);
            r->seen = more;
            r->capseen = cap;
        }
        r->seen[r->nseen].link = newpath;
        r->seen[r->nseen].resolved = NULL;
        size_t slot = r->nseen++;
        char *target = read_link(a, newpath, (size_t)sb.st_size);
        if (!target) { /* vanished or unreadable: treat as a plain component */
            cur = newpath;
            continue;
        }
        char *res;
        int ok = joinrealpath(r, cur, target, &res);
        if (ok < 0) return -1;
        if (!ok) {
            *out = *s ? join(a, res, s) : res;
            r->depth--;
            return 0;
        }
        r->seen[slot].resolved = res;
        cur = res;
    }
    *out = cur;
    r->depth--;
    return 1;
}

/* Path(p).resolve() on Python 3.11 for an absolute p: 0 with *out, or -1
 * with err ("Symlink loop from '...'", the RuntimeError it raises). */
static int py_resolve(resolver *r, const char *p, char **out, char *err, size_t errlen)
{
    char *res;
    r->depth = 0;
    r->nseen = 0; /* realpath starts each call with an empty `seen` */
    int ok = joinrealpath(r, "/", p, &res);
    if (ok < 0) return af__err(err, errlen, "Too many levels of symbolic links: %s", p);
    res = normpath(r->a, res);
    struct stat sb;
    if (stat(res, &sb) < 0 && errno == ELOOP) {
        af_buf b = {0};
        af_value v = {.type = AF_STR};
        v.u.s.ptr = res;
        v.u.s.len = strlen(res);
        af_py_repr(&b, &v);
        af__err(err, errlen, "Symlink loop from %s", af_buf_cstr(&b));
        af_buf_free(&b);
        return -1;
    }
    *out = res;
    return 0;
}

/* Python's Path.exists(): errors other than "absent" ones are raised. */
static int py_exists(const char *p, int *exists)
{
    struct stat sb;
    if (stat(p, &sb) == 0) return (*exists = 1, 0);
    if (errno == ENOENT || errno == ENOTDIR || errno == EBADF || errno == ELOOP)
        return (*exists = 0, 0);
    return -1;
}

/* The reference's _reject_symlink_chain(root, cand) on already resolved
 * paths: each component below root that exists and is a symlink refuses. */
static int reject_symlink_chain(af_arena *a, const char *root, const char *cand, char *err,
                                size_t errlen)
{
    if (!under(cand, root)) return af__err(err, errlen, "Path escapes artifacts_dir: %s", cand);
    size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
    const char *s = cand + rl;
    while (*s) {
        while (*s == '/')
            s++;
        if (!*s) break;
        const char *e = strchr(s, '/');
        if (!e) e = s + strlen(s);
        char *cur = af_strndup(a, cand, (size_t)(e - cand));
        int exists, is_link = 0;
        struct stat sb;
        if (py_exists(cur, &exists) < 0)
            return af__err(err, errlen, "Unable to validate path segment for symlink: %s", cur);
        if (exists) {
            if (lstat(cur, &sb) == 0)
                is_link = S_ISLNK(sb.st_mode);
            else if (errno != ENOENT && errno != ENOTDIR && errno != EBADF && errno != ELOOP)
                return af__err(err, errlen, "Unable to validate path segment for symlink: %s", cur);
        }
        if (is_link)
            return af__err(err, errlen, "Path contains symlink (sandbox blocked): %s", cur);
        s = e;
    }
    return 0;
}

int af__path_resolve(af_arena *a, const char *artifacts, const char *const *roots, int sandbox,
                     int enterprise, const char *p, const char **out, char *err, size_t errlen)
{
    resolver r = {.a = a};
    char *root, *cand;
    if (!artifacts || !*artifacts) return af__err(err, errlen, "no job artifacts dir");
    if (artifacts[0] != '/') {
        /* a relative work root: Path.resolve() starts from the cwd */
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd))
            return af__err(err, errlen, "cannot resolve %s: %s", artifacts, strerror(errno));
        artifacts = af_sprintf(a, "%s/%s", cwd, artifacts);
    }
    if (py_resolve(&r, artifacts, &root, err, errlen) < 0) return -1;
    if (!p) p = "";
    /* Path(raw) is absolute, or joined under the artifacts root */
    const char *joined = p[0] == '/' ? p : af_sprintf(a, "%s/%s", root, p);
    if (enterprise && sandbox) r.watch = root;
    if (py_resolve(&r, joined, &cand, err, errlen) < 0) return -1;
    if (!sandbox) {
        *out = cand;
        return 0;
    }
    if (enterprise) {
        if (!under(cand, root))
            return af__err(err, errlen, "Path escapes job artifacts dir in enterprise mode: %s", p);
        if (r.hit)
            return af__err(err, errlen, "Path contains symlink (sandbox blocked): %s", r.hit);
        if (reject_symlink_chain(a, root, cand, err, errlen) < 0) return -1;
        *out = cand;
        return 0;
    }
    /* _allowed_roots: the given roots, then the artifacts dir; resolved,
     * existing, each once */
    size_t nr = 0;
    for (const char *const *q = roots; q && *q; q++)
        nr++;
    const char **allowed = af_alloc(a, (nr + 1) * sizeof *allowed);
    size_t na = 0;
    for (size_t i = 0; i <= nr; i++) {
        char *rr = root;
        if (i < nr) {
            const char *given = roots[i];
            if (!given || !*given) continue;
            if (given[0] != '/') {
                char cwd[4096];
                if (!getcwd(cwd, sizeof cwd)) continue;
                given = af_sprintf(a, "%s/%s", cwd, given);
            }
            resolver rr_res = {.a = a};
            if (py_resolve(&rr_res, given, &rr, err, errlen) < 0) return -1;
        }
        int exists = 0;
        if (py_exists(rr, &exists) < 0 || !exists) continue;
        size_t k;
        for (k = 0; k < na; k++)
            if (strcmp(allowed[k], rr) == 0) break;
        if (k == na) allowed[na++] = rr;
    }
    char scratch[512];
    for (size_t k = 0; k < na; k++) {
        if (!under(cand, allowed[k])) continue;
        if (reject_symlink_chain(a, allowed[k], cand, scratch, sizeof scratch) < 0) continue;
        *out = cand;
        return 0;
    }
    af_buf b = {0};
    af_buf_putc(&b, '[');
    for (size_t k = 0; k < na; k++) {
        af_value v = {.type = AF_STR};
        v.u.s.ptr = allowed[k];
        v.u.s.len = strlen(allowed[k]);
        if (k) af_buf_puts(&b, ", ");
        af_py_repr(&b, &v);
    }
    af_buf_putc(&b, ']');
    af__err(err, errlen, "Path not under allowed roots: %s. Allowed roots: %s", p, af_buf_cstr(&b));
    af_buf_free(&b);
    return -1;
}
