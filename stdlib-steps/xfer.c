/*
 * xfer.c - the transfer engine behind the sftp_* and smb_* steps, and the
 * pure helpers it and the drivers share (see xfer.h for the layering).
 *
 * The engine reproduces the reference implementation's step semantics
 * (listing walk, rel_path, sorting, safe destinations, the upload manifest)
 * on any af_remote_ops table, so the steps stay thin and the logic is
 * tested against real servers without the executor.
 */
#include "xfer.h"
#include "af_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fnmatch ----------------------------------------------------------- */

/* Next code point of s (at *i, below n); advances *i. */
static unsigned next_cp(const char *s, size_t n, size_t *i)
{
    unsigned cp;
    *i += (size_t)af__utf8_decode((const unsigned char *)s + *i, n - *i, &cp);
    return cp;
}

/* Matches one code point c against the bracket expression starting after
 * '[' at pat[*pi]. Returns 1/0 for match/no match and moves *pi past the
 * closing ']', or -1 when there is no closing ']' (then '[' is literal),
 * following Python's fnmatch.translate. */
static int match_set(const char *pat, size_t n, size_t *pi, unsigned c)
{
    size_t j = *pi;
    if (j < n && pat[j] == '!') j++;
    if (j < n && pat[j] == ']') j++;
    while (j < n && pat[j] != ']')
        j++;
    if (j >= n) return -1;
    size_t i = *pi, end = j;
    int neg = 0, hit = 0;
    if (pat[i] == '!') {
        neg = 1;
        i++;
    }
    while (i < end) {
        unsigned lo = next_cp(pat, end, &i), hi = lo;
        /* "a-b" is a range unless the '-' is the last character of the set */
        if (i + 1 < end && pat[i] == '-') {
            i++;
            hi = next_cp(pat, end, &i);
        }
        if (lo <= hi && c >= lo && c <= hi) hit = 1; /* reversed ranges match nothing */
    }
    *pi = end + 1;
    return neg ? !hit : hit;
}

int af__fnmatch(const char *pat, const char *name)
{
    size_t pn = strlen(pat), nn = strlen(name);
    size_t p = 0, s = 0;
    size_t star_p = (size_t)-1, star_s = 0; /* resume point after the last '*' */
    while (s < nn) {
        if (p < pn) {
            if (pat[p] == '*') {
                while (p < pn && pat[p] == '*')
                    p++;
                star_p = p;
                star_s = s;
                continue;
            }
            size_t s2 = s, p2 = p;
            unsigned c = next_cp(name, nn, &s2);
            int ok;
            if (pat[p] == '?') {
                ok = 1;
                p2 = p + 1;
            } else if (pat[p] == '[') {
                p2 = p + 1;
                ok = match_set(pat, pn, &p2, c);
                if (ok < 0) { /* literal '[' */
                    ok = c == '[';
                    p2 = p + 1;
                }
            } else {
                ok = next_cp(pat, pn, &p2) == c;
            }
            if (ok) {
                p = p2;
                s = s2;
                continue;
            }
        }
        if (star_p == (size_t)-1) return 0;
        /* let the last '*' absorb one more code point and retry */
        next_cp(name, nn, &star_s);
        s = star_s;
        p = star_p;
    }
    while (p < pn && pat[p] == '*')
        p++;
    return p == pn;
}

/* ---- paths ------------------------------------------------------------- */

static int is_sep(char c)
{
    return c == '/' || c == '\\';
}

/* Length of s without trailing characters from set. */
static size_t rstrip_len(const char *s, const char *set)
{
    size_t n = strlen(s);
    while (n && strchr(set, s[n - 1]))
        n--;
    return n;
}

const char *af__sftp_join(af_arena *a, const char *dir, const char *name)
{
    return af_sprintf(a, "%.*s/%s", (int)rstrip_len(dir, "/"), dir, name);
}

const char *af__smb_join(af_arena *a, const char *dir, const char *name)
{
    size_t n = rstrip_len(dir, "/\\");
    if (!n) return af_strdup(a, name);
    /* a UNC path stays a UNC path (the reference turned it into "//srv/..",
     * which its own path rules no longer read as UNC) */
    if (n >= 2 && dir[0] == '\\' && dir[1] == '\\')
        return af_sprintf(a, "%.*s\\%s", (int)n, dir, name);
    char *p = af_strndup(a, dir, n);
    char *cs = strstr(p, ":/");
    if (cs) { /* SHARE:/rest keeps its prefix */
        *cs = 0;
        const char *rest = cs + 2;
        while (is_sep(*rest))
            rest++;
        size_t rn = rstrip_len(rest, "/\\");
        if (!rn) return af_sprintf(a, "%s:/%s", p, name);
        return af_sprintf(a, "%s:/%.*s/%s", p, (int)rn, rest, name);
    }
    for (char *q = p; *q; q++)
        if (*q == '\\') *q = '/';
    return af_sprintf(a, "%s/%s", p, name);
}

const char *af__path_base(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (is_sep(*p)) b = p + 1;
    return b;
}

/* Python's str.strip() for ASCII whitespace. */
static const char *strip_ws(af_arena *a, const char *s)
{
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r')))
        n--;
    return af_strndup(a, s, n);
}

/* "path inside a share": separators to '/', no leading, trailing or
 * repeated '/'. */
static const char *share_rel(af_arena *a, const char *s)
{
    char *out = af_alloc(a, strlen(s) + 1), *o = out;
    for (; *s; s++) {
        char c = *s == '\\' ? '/' : *s;
        if (c == '/' && (o == out || o[-1] == '/')) continue;
        *o++ = c;
    }
    if (o > out && o[-1] == '/') o--;
    *o = 0;
    return out;
}

/* ^[A-Za-z]:(?:[\\/].*)?$ */
static int is_drive(const char *s)
{
    return ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) && s[1] == ':' &&
           (s[2] == 0 || is_sep(s[2]));
}

static int share_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

int af__smb_parse(af_arena *a, const char *server, const char *share, const char *raw,
                  af__smb_path *out, char *err, size_t errlen)
{
    const char *p = strip_ws(a, raw ? raw : "");
    out->server = server;
    /* 1. UNC: \\host\share[\rest] */
    if (p[0] == '\\' && p[1] == '\\') {
        const char *h = p + 2, *he = h;
        while (*he && !is_sep(*he))
            he++;
        if (he > h && *he == '\\') {
            const char *sh = he + 1, *se = sh;
            while (*se && !is_sep(*se))
                se++;
            if (se > sh) {
                out->server = af_strndup(a, h, (size_t)(he - h));
                out->share = af_strndup(a, sh, (size_t)(se - sh));
                out->path = share_rel(a, se);
                return 0;
            }
        }
    }
    /* 2. SHARE:/rest or SHARE:\rest, the share name longer than a drive letter */
    const char *q = p;
    while (share_char(*q))
        q++;
    if (q - p > 1 && q[0] == ':' && is_sep(q[1]) && !strchr(q + 2, '\n')) {
        share = af_strndup(a, p, (size_t)(q - p));
        p = q + 2;
    }
    /* 3. drive letter */
    if (is_drive(p)) p += 2;
    if (!share || !*share)
        return af__err(err, errlen,
                       "SMB path requires a share (set config.share or use 'SHARE:/path' form): "
                       "'%s'",
                       raw ? raw : "");
    out->share = share;
    out->path = share_rel(a, p);
    return 0;
}

const char *af__norm_abs(af_arena *a, const char *path)
{
    size_t n = strlen(path);
    char *out = af_alloc(a, n + 2);
    size_t o = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p) break;
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 1 && p[0] == '.') {
            /* skip */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0) o--; /* drop the '/' too */
        } else {
            out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
    }
    if (o == 0) out[o++] = '/';
    out[o] = 0;
    return out;
}

/* 1 if path is base or below it (both normalised, absolute). */
static int under(const char *path, const char *base, int strict)
{
    size_t bn = strlen(base);
    if (strcmp(base, "/") == 0) return !strict || strcmp(path, "/") != 0;
    if (strncmp(path, base, bn) != 0) return 0;
    if (path[bn] == 0) return !strict;
    return path[bn] == '/';
}

int af__safe_dest(af_arena *a, const char *base, const char *rel, const char **out, char *err,
                  size_t errlen)
{
    const char *r = rel;
    while (is_sep(*r))
        r++;
    const char *b = af__norm_abs(a, base);
    const char *cand = af__norm_abs(a, af_sprintf(a, "%s/%s", b, r));
    if (!under(cand, b, 1)) return af__err(err, errlen, "dest path escapes dest_dir: %s", rel);
    *out = cand;
    return 0;
}

/* ---- config ------------------------------------------------------------ */

const char *af__cfg_str(af_arena *a, const af_value *m, const char *key)
{
    const af_value *v = af_map_get(m, key);
    if (!v || v->type == AF_NULL) return NULL;
    if (v->type == AF_STR) return v->u.s.ptr;
    af_buf b = {0};
    af_py_str(&b, v);
    const char *s = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return s;
}

int af__cfg_int(const af_value *m, const char *key, int64_t def, int64_t *out, char *err,
                size_t errlen)
{
    const af_value *v = af_map_get(m, key);
    *out = def;
    if (!v || v->type == AF_NULL) return 0;
    if (af_to_int(v, out) == 0) return 0;
    *out = def;
    return af__err(err, errlen, "config.%s: expected an integer, got %s", key,
                   af_type_name(v->type));
}

int af__cfg_double(const af_value *m, const char *key, double def, double *out, char *err,
                   size_t errlen)
{
    const af_value *v = af_map_get(m, key);
    *out = def;
    if (!v || v->type == AF_NULL) return 0;
    if (af_to_double(v, out) == 0) return 0;
    *out = def;
    return af__err(err, errlen, "config.%s: expected a number, got %s", key, af_type_name(v->type));
}

int af__cfg_bool(const af_value *m, const char *key, int def, int *out, char *err, size_t errlen)
{
    const af_value *v = af_map_get(m, key);
    *out = def;
    if (!v || v->type == AF_NULL) return 0;
    if (af_to_bool(v, out) == 0) return 0;
    *out = def;
    return af__err(err, errlen, "config.%s: expected a boolean, got '%s'", key,
                   v->type == AF_STR ? v->u.s.ptr : af_type_name(v->type));
}

int af__cfg_timeout(const af_value *config, const af_value *options, double def, double *out,
                    char *err, size_t errlen)
{
    const af_value *m = af_map_get(options, "timeout") ? options : config;
    if (af__cfg_double(m, "timeout", def, out, err, errlen) < 0) return -1;
    /* the reference's `int(x or 30)`: 0 means the default */
    if (*out == 0) *out = def;
    if (!(*out > 0) || *out > 86400.0 * 365)
        return af__err(err, errlen, "timeout must be a positive number of seconds");
    return 0;
}

/* ---- local temporary files --------------------------------------------- */

static void rand_hex(char *out, size_t nbytes)
{
    unsigned char r[16];
    if (nbytes > sizeof r) nbytes = sizeof r;
    if (getrandom(r, nbytes, 0) != (ssize_t)nbytes) {
        /* no entropy source: pid and clock still make a collision unlikely,
         * and callers retry on EEXIST */
        uint64_t x = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)af__now_ms();
        for (size_t i = 0; i < nbytes; i++)
            r[i] = (unsigned char)(x >> (8 * (i % 8)));
    }
    for (size_t i = 0; i < nbytes; i++)
        sprintf(out + 2 * i, "%02x", r[i]);
}

int af__xfer_mkdirs(const char *path)
{
    char *d = strdup(path);
    if (!d) return -1;
    for (char *p = d + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(d, 0777) < 0 && errno != EEXIST) {
            free(d);
            return -1;
        }
        *p = '/';
    }
    int rc = mkdir(d, 0777) < 0 && errno != EEXIST ? -1 : 0;
    struct stat st;
    if (rc == 0 && (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))) {
        errno = ENOTDIR;
        rc = -1;
    }
    free(d);
    return rc;
}

int af__write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int af__tmp_open(af__tmpfile *t, const char *path, char *err, size_t errlen)
{
    t->fd = -1;
    t->tmp = t->path = NULL;
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dlen;
    int blen = (int)strlen(base);
    if (blen > 200) blen = 200; /* stay below NAME_MAX with the suffix */
    size_t cap = dlen + (size_t)blen + 32;
    t->path = strdup(path);
    t->tmp = malloc(cap);
    if (!t->path || !t->tmp) {
        af__tmp_abort(t);
        return af__err(err, errlen, "out of memory");
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        char hex[13];
        rand_hex(hex, 6);
        snprintf(t->tmp, cap, "%.*s.%.*s.afctmp-%s", (int)dlen, path, blen, base, hex);
        t->fd = open(t->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (t->fd >= 0) return 0;
        if (errno != EEXIST) break;
    }
    int e = errno;
    af__err(err, errlen, "cannot create a temporary file beside '%s': %s", path, strerror(e));
    free(t->tmp);
    t->tmp = NULL;
    af__tmp_abort(t);
    return -1;
}

int af__tmp_commit(af__tmpfile *t, char *err, size_t errlen)
{
    if (fsync(t->fd) < 0) {
        af__err(err, errlen, "cannot write '%s': %s", t->path, strerror(errno));
        af__tmp_abort(t);
        return -1;
    }
    int rc = close(t->fd);
    t->fd = -1;
    if (rc < 0 || rename(t->tmp, t->path) < 0) {
        af__err(err, errlen, "cannot write '%s': %s", t->path, strerror(errno));
        af__tmp_abort(t);
        return -1;
    }
    /* the rename is durable once the directory is */
    char *slash = strrchr(t->path, '/');
    if (slash) {
        *slash = 0;
        int dfd = open(slash == t->path ? "/" : t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    free(t->tmp);
    free(t->path);
    t->tmp = t->path = NULL;
    return 0;
}

void af__tmp_abort(af__tmpfile *t)
{
    if (t->fd >= 0) close(t->fd);
    t->fd = -1;
    if (t->tmp) unlink(t->tmp);
    free(t->tmp);
    free(t->path);
    t->tmp = t->path = NULL;
}

const char *af__remote_tmp_name(af_arena *a, const char *remote)
{
    const char *base = af__path_base(remote);
    int blen = (int)strlen(base);
    if (blen > 200) blen = 200;
    char hex[17];
    rand_hex(hex, 8);
    return af_sprintf(a, "%.*s.%.*s.afctmp-%s", (int)(base - remote), remote, blen, base, hex);
}

/* ---- engine: listing --------------------------------------------------- */

static void xlog(af__xfer *x, af_level lvl, const char *event, const af_kv *f)
{
    if (x->log) x->log(x->log_ud, lvl, event, f);
}

/* Plugin drivers may leave primitives out: say which one is missing. */
#define NEED(x, op)                                                                                \
    do {                                                                                           \
        if (!(x)->ops->op) {                                                                       \
            snprintf((x)->err, sizeof(x)->err, "the connector's driver has no '%s' primitive",     \
                     #op);                                                                         \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

static int xcancelled(af__xfer *x)
{
    return x->ctl && x->ctl->cancelled && x->ctl->cancelled(x->ctl->ud);
}

typedef struct found {
    const af_remote_entry *e;
    const char *rel;
    size_t seq; /* discovery order: ties keep it, as Python's sorted() does */
} found;

typedef struct walk {
    af__xfer *x;
    const char *base;
    const char *pattern;
    int recursive;
    found *items;
    size_t n, cap;
} walk;

static void add_found(walk *w, const af_remote_entry *e, const char *rel)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        found *nf = af_alloc(w->x->a, cap * sizeof *nf);
        if (w->n) memcpy(nf, w->items, w->n * sizeof *nf);
        w->items = nf;
        w->cap = cap;
    }
    w->items[w->n] = (found){e, rel, w->n};
    w->n++;
}

#define MAX_DEPTH 256

static int walk_dir(walk *w, const char *cur, const char *rel_prefix, int depth)
{
    af__xfer *x = w->x;
    af_remote_entry *ents;
    size_t n;
    char err[1024];
    if (depth > MAX_DEPTH) {
        snprintf(x->err, sizeof x->err, "cannot list '%s': more than %d directory levels", cur,
                 MAX_DEPTH);
        return -1;
    }
    if (xcancelled(x)) {
        snprintf(x->err, sizeof x->err, "cancelled");
        return -1;
    }
    if (x->ops->list(x->h, x->a, cur, &ents, &n, err, sizeof err) < 0) {
        /* the built-in drivers already say "cannot list 'DIR': ..."; say it once */
        const char *head = af_sprintf(x->a, "cannot list '%s'", cur);
        if (!strncmp(err, head, strlen(head)))
            snprintf(x->err, sizeof x->err, "%s", err);
        else
            snprintf(x->err, sizeof x->err, "%s: %s", head, err);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const af_remote_entry *e = &ents[i];
        if (!e->name || !*e->name || !strcmp(e->name, ".") || !strcmp(e->name, "..")) continue;
        if (x->smb) {
            const char *child = af__smb_join(x->a, cur, e->name);
            const char *rel =
                *rel_prefix ? af_sprintf(x->a, "%s/%s", rel_prefix, e->name) : e->name;
            if (e->is_dir && w->recursive) {
                if (*child && strcmp(child, cur) && walk_dir(w, child, rel, depth + 1) < 0)
                    return -1;
                continue;
            }
            if (!af__fnmatch(w->pattern, e->name)) continue;
            add_found(w, e, rel);
        } else {
            const char *p = e->path ? e->path : "";
            if (e->is_dir && w->recursive) {
                if (*p && strcmp(p, cur) && walk_dir(w, p, "", depth + 1) < 0) return -1;
                continue;
            }
            if (!af__fnmatch(w->pattern, e->name)) continue;
            /* the reference's rel_path: the part below the listed base */
            const char *base = w->base, *rel = p;
            size_t bn = strlen(base);
            if (strcmp(base, "/") != 0 && !strncmp(p, base, bn) && p[bn] == '/')
                rel = p + bn + 1;
            else if (!strcmp(base, "/") && p[0] == '/')
                rel = p + 1;
            add_found(w, e, rel);
        }
    }
    return 0;
}

static int cmp_found(const void *pa, const void *pb)
{
    const found *a = pa, *b = pb;
    int c = strcmp(a->rel, b->rel); /* UTF-8 byte order is code point order */
    if (c) return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int af__xfer_list(af__xfer *x, const char *remote_dir, const char *pattern, int recursive,
                  af_value **files)
{
    NEED(x, list);
    walk w = {.x = x, .pattern = pattern ? pattern : "*", .recursive = recursive};
    size_t bn = rstrip_len(remote_dir, x->smb ? "/\\" : "/");
    /* "SHARE:/" is a share's root: stripped to "SHARE:" it would name a
     * file (the reference has that bug) */
    if (x->smb && bn > 2 && remote_dir[bn - 1] == ':' && remote_dir[bn]) bn++;
    w.base = bn ? af_strndup(x->a, remote_dir, bn) : "/";
    if (walk_dir(&w, w.base, "", 0) < 0) return -1;
    if (w.n) qsort(w.items, w.n, sizeof *w.items, cmp_found);
    af_value *list = af_list(x->a);
    for (size_t i = 0; i < w.n; i++) {
        const af_remote_entry *e = w.items[i].e;
        af_value *m = af_map(x->a);
        af_map_set(x->a, m, "path", af_str(x->a, e->path ? e->path : ""));
        af_map_set(x->a, m, "name", af_str(x->a, e->name));
        af_map_set(x->a, m, "rel_path", af_str(x->a, w.items[i].rel));
        af_map_set(x->a, m, "is_dir", af_bool(e->is_dir));
        af_map_set(x->a, m, "size", e->is_dir || e->size < 0 ? af_null() : af_int(x->a, e->size));
        af_map_set(x->a, m, "mtime", e->mtime < 0 ? af_null() : af_int(x->a, e->mtime));
        af_list_push(x->a, list, m);
    }
    af_kv f[] = {AF_KS("remote_dir", remote_dir), AF_KI("count", (int64_t)w.n), {0}};
    xlog(x, AF_INFO, "remote_listed", f);
    *files = list;
    return 0;
}

/* ---- engine: download and delete --------------------------------------- */

static const char *as_str(af_arena *a, const af_value *v)
{
    if (!v || v->type == AF_NULL) return NULL;
    if (v->type == AF_STR) return v->u.s.ptr;
    af_buf b = {0};
    af_py_str(&b, v);
    const char *s = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return s;
}

int af__xfer_file_entry(af__xfer *x, const af_value *f, size_t i, const char **path,
                        const char **rel, int *is_dir)
{
    *is_dir = 0;
    if (f && f->type == AF_STR) {
        *path = f->u.s.ptr;
        *rel = af__path_base(*path);
        return 0;
    }
    if (!f || f->type != AF_MAP) {
        snprintf(x->err, sizeof x->err, "files[%zu]: expected a map (as listed) or a path, got %s",
                 i, af_type_name(f ? f->type : AF_NULL));
        return -1;
    }
    *path = as_str(x->a, af_map_get(f, "path"));
    if (!*path || !**path) {
        snprintf(x->err, sizeof x->err, "files[%zu]: missing 'path'", i);
        return -1;
    }
    *rel = as_str(x->a, af_map_get(f, "rel_path"));
    if (!*rel || !**rel) *rel = af__path_base(*path);
    const af_value *d = af_map_get(f, "is_dir");
    if (d && af_to_bool(d, is_dir) < 0) {
        snprintf(x->err, sizeof x->err, "files[%zu]: is_dir must be a boolean (true or false)", i);
        return -1;
    }
    return 0;
}

/* mkdir -p of the parent of path; checks it resolves under base (no
 * symbolic link leads out). */
static int make_parent(af__xfer *x, const char *base, const char *path)
{
    char *dir = af_strdup(x->a, path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return 0;
    *slash = 0;
    if (af__xfer_mkdirs(dir) < 0) goto fail;
    char rd[PATH_MAX], rb[PATH_MAX];
    if (!realpath(dir, rd) || !realpath(base, rb)) goto fail;
    if (!under(rd, rb, 0)) {
        snprintf(x->err, sizeof x->err, "dest path escapes dest_dir through a symbolic link: %s",
                 path);
        return -1;
    }
    return 0;
fail:
    snprintf(x->err, sizeof x->err, "cannot create directory '%s': %s", dir, strerror(errno));
    return -1;
}

int af__xfer_download(af__xfer *x, const af_value *files, const char *dest_dir,
                      af_value **local_files)
{
    NEED(x, download);
    af_value *out = af_list(x->a);
    size_t n = files && files->type == AF_LIST ? files->u.list.n : 0;
    if (files && files->type != AF_LIST && files->type != AF_NULL) {
        snprintf(x->err, sizeof x->err, "files: expected a list, got %s",
                 af_type_name(files->type));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *path, *rel, *dest;
        int is_dir;
        char err[1024];
        if (af__xfer_file_entry(x, files->u.list.items[i], i, &path, &rel, &is_dir) < 0) return -1;
        if (is_dir) {
            af_kv f[] = {AF_KS("remote", path), {0}};
            xlog(x, AF_INFO, "remote_dir_skipped", f);
            continue;
        }
        if (xcancelled(x)) {
            snprintf(x->err, sizeof x->err, "cancelled");
            return -1;
        }
        if (af__safe_dest(x->a, dest_dir, rel, &dest, x->err, sizeof x->err) < 0) return -1;
        if (make_parent(x, dest_dir, dest) < 0) return -1;
        if (x->ops->download(x->h, path, dest, x->ctl, err, sizeof err) < 0) {
            snprintf(x->err, sizeof x->err, "cannot download '%s' to '%s': %s", path, dest, err);
            return -1;
        }
        struct stat st;
        af_kv f[] = {AF_KS("remote", path),
                     AF_KS("local", dest),
                     AF_KI("bytes", stat(dest, &st) == 0 ? (int64_t)st.st_size : -1),
                     {0}};
        xlog(x, AF_INFO, "file_downloaded", f);
        af_list_push(x->a, out, af_str(x->a, dest));
    }
    *local_files = out;
    return 0;
}

int af__xfer_delete(af__xfer *x, const af_value *files)
{
    NEED(x, delete);
    size_t n = files && files->type == AF_LIST ? files->u.list.n : 0;
    if (files && files->type != AF_LIST && files->type != AF_NULL) {
        snprintf(x->err, sizeof x->err, "files: expected a list, got %s",
                 af_type_name(files->type));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *path, *rel;
        int is_dir;
        char err[1024];
        if (af__xfer_file_entry(x, files->u.list.items[i], i, &path, &rel, &is_dir) < 0) return -1;
        if (x->ops->delete (x->h, path, err, sizeof err) < 0) {
            snprintf(x->err, sizeof x->err, "cannot delete '%s': %s", path, err);
            return -1;
        }
        af_kv f[] = {AF_KS("remote", path), {0}};
        xlog(x, AF_INFO, "file_deleted", f);
    }
    return 0;
}

/* ---- engine: uploads --------------------------------------------------- */

/* Python's Path(p).name for a POSIX path. */
static const char *local_name(af_arena *a, const char *p)
{
    size_t n = rstrip_len(p, "/");
    const char *s = p;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '/') s = p + i + 1;
    return af_strndup(a, s, n - (size_t)(s - p));
}

int af__xfer_upload_items(af__xfer *x, const af_value *items, af__upload_item **out, size_t *n)
{
    *n = 0;
    *out = NULL;
    if (!items || items->type == AF_NULL) return 0;
    if (items->type != AF_LIST) {
        snprintf(x->err, sizeof x->err, "items: expected a list, got %s",
                 af_type_name(items->type));
        return -1;
    }
    af__upload_item *it = af_alloc(x->a, (items->u.list.n + 1) * sizeof *it);
    for (size_t i = 0; i < items->u.list.n; i++) {
        const af_value *v = items->u.list.items[i];
        af__upload_item *u = &it[i];
        if (v->type == AF_STR) {
            u->file = v->u.s.ptr;
        } else if (v->type == AF_MAP) {
            u->file = as_str(x->a, af_map_get(v, "file"));
            if (!u->file) {
                snprintf(x->err, sizeof x->err, "items[%zu]: missing 'file'", i);
                return -1;
            }
            const af_value *id = af_map_get(v, "id"), *rn = af_map_get(v, "remote_name");
            if (id && af_truthy(id)) u->id = as_str(x->a, id);
            if (rn && af_truthy(rn)) u->remote_name = as_str(x->a, rn);
        } else {
            snprintf(x->err, sizeof x->err, "items[%zu]: expected a path or a map, got %s", i,
                     af_type_name(v->type));
            return -1;
        }
        if (!*u->file) {
            snprintf(x->err, sizeof x->err, "items[%zu]: empty file path", i);
            return -1;
        }
        const char *name = local_name(x->a, u->file);
        if (!u->id) u->id = name;
        if (!u->remote_name) u->remote_name = name;
    }
    *out = it;
    *n = items->u.list.n;
    return 0;
}

/* A set of strings (manifest ids), open addressing. */
typedef struct strset {
    const char **slot;
    size_t cap, n;
} strset;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void set_add(af_arena *a, strset *s, const char *k)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        const char **slot = af_alloc(a, cap * sizeof *slot);
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slot[i]) continue;
            size_t j = hash_str(s->slot[i]) & (cap - 1);
            while (slot[j])
                j = (j + 1) & (cap - 1);
            slot[j] = s->slot[i];
        }
        s->slot = slot;
        s->cap = cap;
    }
    size_t j = hash_str(k) & (s->cap - 1);
    while (s->slot[j]) {
        if (!strcmp(s->slot[j], k)) return;
        j = (j + 1) & (s->cap - 1);
    }
    s->slot[j] = af_strdup(a, k);
    s->n++;
}

static int set_has(const strset *s, const char *k)
{
    if (!s->cap) return 0;
    size_t j = hash_str(k) & (s->cap - 1);
    while (s->slot[j]) {
        if (!strcmp(s->slot[j], k)) return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

static void add_id(af_arena *a, strset *done, const af_value *entry)
{
    const af_value *id = af_map_get(entry, "id");
    if (id && id->type == AF_STR) set_add(a, done, id->u.s.ptr);
}

/* Ids already uploaded: the reference's manifest (a JSON list; unreadable
 * means none, as there) and our journal (one JSON object per line; a torn
 * last line is ignored). */
static void load_done(af__xfer *x, const char *manifest, const char *journal, strset *done)
{
    size_t len;
    char err[256];
    char *text = NULL;
    af_value *v;
    if (af__read_file(x->a, manifest, &text, &len) == 0 && af_json_parse(x->a, text, len, &v, err, sizeof err) == 0 && v->type == AF_LIST)
        for (size_t i = 0; i < v->u.list.n; i++)
            add_id(x->a, done, v->u.list.items[i]);
    if (af__read_file(x->a, journal, &text, &len) < 0) text = NULL;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) : strlen(line);
        if (ll && af_json_parse(x->a, line, ll, &v, err, sizeof err) == 0 && v->type == AF_MAP)
            add_id(x->a, done, v);
        line = nl ? nl + 1 : line + ll;
    }
}

typedef struct upstate {
    af__xfer *x;
    const af__upload_item *items;
    const char **remote; /* per item */
    size_t *req_item;    /* request index -> item index */
    int *status;         /* per item: 0 pending, 1 uploaded, 2 skipped, -1 failed */
    int journal_fd;
    size_t failed;
    size_t first_fail; /* item index of the first failure (lowest index) */
    char first_err[1024];
} upstate;

static void journal_add(upstate *u, size_t i)
{
    if (u->journal_fd < 0) return;
    af_arena *a = u->x->a;
    af_value *m = af_map(a);
    af_map_set(a, m, "id", af_str(a, u->items[i].id));
    af_map_set(a, m, "file", af_str(a, u->items[i].local));
    af_map_set(a, m, "remote_path", af_str(a, u->remote[i]));
    af_buf b = {0};
    af_json_write(&b, m, 0);
    af_buf_putc(&b, '\n');
    /* not fsynced: after a crash the last uploads are simply done again */
    af__write_all(u->journal_fd, b.data, b.len);
    af_buf_free(&b);
}

static void up_done(void *ud, size_t req, const char *err)
{
    upstate *u = ud;
    size_t i = u->req_item[req];
    if (!err) {
        u->status[i] = 1;
        journal_add(u, i);
        af_kv f[] = {AF_KS("local", u->items[i].local), AF_KS("remote", u->remote[i]), {0}};
        xlog(u->x, AF_INFO, "file_uploaded", f);
        return;
    }
    u->status[i] = -1;
    if (!u->failed || i < u->first_fail) {
        u->first_fail = i;
        snprintf(u->first_err, sizeof u->first_err, "%s", err);
    }
    u->failed++;
}

/* The manifest as the reference writes it: json.dumps(outs, indent=2). */
static void write_manifest_json(af_buf *b, upstate *u, size_t n)
{
    af_arena *a = u->x->a;
    if (!n) {
        af_buf_puts(b, "[]");
        return;
    }
    af_buf_puts(b, "[\n");
    for (size_t i = 0; i < n; i++) {
        af_buf_puts(b, "  {\n    \"id\": ");
        af_json_write(b, af_str(a, u->items[i].id), 0);
        if (u->status[i] == 2) {
            af_buf_puts(b, ",\n    \"skipped\": true");
        } else {
            af_buf_puts(b, ",\n    \"file\": ");
            af_json_write(b, af_str(a, u->items[i].local), 0);
            af_buf_puts(b, ",\n    \"remote_path\": ");
            af_json_write(b, af_str(a, u->remote[i]), 0);
        }
        af_buf_puts(b, i + 1 < n ? "\n  },\n" : "\n  }\n");
    }
    af_buf_puts(b, "]");
}

int af__xfer_upload_sftp(af__xfer *x, const af__upload_item *items, size_t n,
                         const char *remote_dir, int parallel, int workers, int fail_fast,
                         const char *manifest, int64_t *count)
{
    NEED(x, upload);
    const char *journal = af_sprintf(x->a, "%sl", manifest); /* .json -> .jsonl */
    strset done = {0};
    load_done(x, manifest, journal, &done);
    int rdlen = (int)rstrip_len(remote_dir, "/");
    upstate u = {.x = x, .items = items, .journal_fd = -1};
    u.remote = af_alloc(x->a, (n + 1) * sizeof *u.remote);
    u.status = af_alloc(x->a, (n + 1) * sizeof *u.status);
    u.req_item = af_alloc(x->a, (n + 1) * sizeof *u.req_item);
    af_upload_req *reqs = af_alloc(x->a, (n + 1) * sizeof *reqs);
    size_t nreq = 0;
    for (size_t i = 0; i < n; i++) {
        u.remote[i] = af_sprintf(x->a, "%.*s/%s", rdlen, remote_dir, items[i].remote_name);
        if (set_has(&done, items[i].id)) {
            u.status[i] = 2;
            af_kv f[] = {AF_KS("id", items[i].id), AF_KS("remote", u.remote[i]), {0}};
            xlog(x, AF_INFO, "upload_skipped", f);
            continue;
        }
        reqs[nreq] = (af_upload_req){items[i].local, u.remote[i]};
        u.req_item[nreq++] = i;
    }
    if (nreq) {
        u.journal_fd = open(journal, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        if (u.journal_fd < 0) {
            snprintf(x->err, sizeof x->err, "cannot write the upload journal '%s': %s", journal,
                     strerror(errno));
            return -1;
        }
    }
    char err[1024];
    if (parallel && n > 1 && x->ops->upload_many && nreq) {
        x->ops->upload_many(x->h, reqs, nreq, workers < 1 ? 1 : workers, fail_fast, x->ctl, up_done,
                            &u, err, sizeof err);
    } else {
        /* one at a time; the reference's sequential path stops at the first
         * failure, its thread pool only with fail_fast */
        int stop_on_error = !(parallel && n > 1) || fail_fast;
        for (size_t r = 0; r < nreq; r++) {
            if (u.failed && stop_on_error) {
                up_done(&u, r, "not started");
                continue;
            }
            if (xcancelled(x)) {
                up_done(&u, r, "cancelled");
                continue;
            }
            if (x->ops->upload(x->h, reqs[r].local, reqs[r].remote, x->ctl, err, sizeof err) < 0)
                up_done(&u, r, err);
            else
                up_done(&u, r, NULL);
        }
    }
    if (u.journal_fd >= 0) close(u.journal_fd);
    if (u.failed) {
        size_t i = u.first_fail;
        snprintf(x->err, sizeof x->err,
                 "%zu of %zu uploads failed; first: item %zu '%s' -> '%s': %s", u.failed, nreq, i,
                 items[i].local, u.remote[i], u.first_err);
        return -1;
    }
    af_buf b = {0};
    write_manifest_json(&b, &u, n);
    af__tmpfile t;
    if (af__tmp_open(&t, manifest, err, sizeof err) < 0) goto manifest_fail;
    if (af__write_all(t.fd, b.data, b.len) < 0) {
        snprintf(err, sizeof err, "%s", strerror(errno));
        af__tmp_abort(&t);
        goto manifest_fail;
    }
    if (af__tmp_commit(&t, err, sizeof err) < 0) goto manifest_fail;
    af_buf_free(&b);
    unlink(journal);
    *count = (int64_t)n;
    return 0;
manifest_fail:
    af_buf_free(&b);
    snprintf(x->err, sizeof x->err, "cannot write the manifest '%s': %s", manifest, err);
    return -1;
}

int af__xfer_upload_smb(af__xfer *x, const char *const *local, size_t n, const char *remote_dir,
                        af_value **uploaded)
{
    NEED(x, upload);
    af_value *out = af_list(x->a);
    for (size_t i = 0; i < n; i++) {
        char err[1024];
        if (xcancelled(x)) {
            snprintf(x->err, sizeof x->err, "cancelled");
            return -1;
        }
        /* joined as listings join, so "DATA:/" gives DATA:/f and a UNC directory
         * a UNC path (the reference's plain "%s/%s" made DATA://f, \\s\d/f) */
        const char *remote = af__smb_join(x->a, remote_dir, local_name(x->a, local[i]));
        if (x->ops->upload(x->h, local[i], remote, x->ctl, err, sizeof err) < 0) {
            snprintf(x->err, sizeof x->err, "cannot upload '%s' to '%s': %s", local[i], remote,
                     err);
            return -1;
        }
        af_kv f[] = {AF_KS("local", local[i]), AF_KS("remote", remote), {0}};
        xlog(x, AF_INFO, "file_uploaded", f);
        af_list_push(x->a, out, af_str(x->a, local[i]));
    }
    *uploaded = out;
    return 0;
}
