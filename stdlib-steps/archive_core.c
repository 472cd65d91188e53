/*
 * archive_core.c - the archive library layer under the zip/unzip steps.
 *
 * Everything here works on plain paths and options: the libarchive engine
 * (write, scan, extract), the safety rules (entry names, symlink
 * containment, the checked commit of an extracted tree or a written file)
 * and the pure parts of the steps (file collection, output folders). See
 * archive_int.h for the contracts; the test programs call these directly.
 *
 * Names: libarchive converts entry names between the archive's charset and
 * the current locale. A flow runs under whatever locale cron gives it, so
 * every libarchive call here runs under C.UTF-8 (uselocale, for this thread
 * only): names are written as UTF-8 with the zip UTF-8 flag, and read back
 * as UTF-8. A legacy zip name that is not valid UTF-8 is decoded as CP437,
 * the zip specification's default (and what Python's zipfile does).
 *
 * Safety: extraction never follows a symlink. Parent directories are
 * opened one component at a time with O_NOFOLLOW from a descriptor of the
 * private work directory, so an entry cannot be written through a link an
 * earlier entry made; the commit walks dest_dir the same way.
 */
#include "archive_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_BLOCK (256 * 1024) /* read/write unit: memory use is this, whatever the file size */
#define MAX_DEPTH 256         /* directory nesting accepted in an extracted tree */

static int fail(char *err, size_t errlen, const char *fmt, ...) AF_PRINTF(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int af__arc_format(const char *s)
{
    if (!s || !*s || !strcmp(s, "zip")) return AF__ARC_ZIP;
    if (!strcmp(s, "tar.gz")) return AF__ARC_TGZ;
    if (!strcmp(s, "tar.zst")) return AF__ARC_TZST;
    return -1;
}

const char *af__arc_suffix(int format)
{
    return format == AF__ARC_TGZ ? ".tar.gz" : format == AF__ARC_TZST ? ".tar.zst" : ".zip";
}

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static int utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0], cp, min;
    int len;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0)
        len = 2, cp = c & 0x1f, min = 0x80;
    else if ((c & 0xf0) == 0xe0)
        len = 3, cp = c & 0x0f, min = 0x800;
    else if ((c & 0xf8) == 0xf0)
        len = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if ((size_t)len > n) return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

static int utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        int l = utf8_len(u + i, n - i);
        if (!l) return 0;
        i += l;
    }
    return 1;
}

/* Code points of CP437 bytes 0x80..0xff. */
static const unsigned short cp437_high[128] = {
    0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7, 0x00ea, 0x00eb, 0x00e8, 0x00ef,
    0x00ee, 0x00ec, 0x00c4, 0x00c5, 0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
    0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192, 0x00e1, 0x00ed, 0x00f3, 0x00fa,
    0x00f1, 0x00d1, 0x00aa, 0x00ba, 0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557,
    0x255d, 0x255c, 0x255b, 0x2510, 0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f,
    0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559,
    0x2558, 0x2552, 0x2553, 0x256b, 0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
    0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4, 0x03a6, 0x0398, 0x03a9, 0x03b4,
    0x221e, 0x03c6, 0x03b5, 0x2229, 0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248,
    0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

/* s as UTF-8 into b: unchanged when valid, else decoded as CP437. */
static void name_utf8(af_buf *b, const char *s)
{
    af_buf_reset(b);
    if (utf8_valid(s)) {
        af_buf_puts(b, s);
        return;
    }
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        unsigned c = *u < 0x80 ? *u : cp437_high[*u - 0x80];
        if (c < 0x80) {
            af_buf_putc(b, (int)c);
        } else if (c < 0x800) {
            af_buf_putc(b, (int)(0xc0 | (c >> 6)));
            af_buf_putc(b, (int)(0x80 | (c & 0x3f)));
        } else {
            af_buf_putc(b, (int)(0xe0 | (c >> 12)));
            af_buf_putc(b, (int)(0x80 | ((c >> 6) & 0x3f)));
            af_buf_putc(b, (int)(0x80 | (c & 0x3f)));
        }
    }
}

/* ---- the C.UTF-8 scope around libarchive calls -------------------------- */

typedef struct utf8_scope {
    locale_t loc, old;
} utf8_scope;

static void utf8_enter(utf8_scope *u)
{
    u->loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    u->old = u->loc ? uselocale(u->loc) : (locale_t)0;
}

static void utf8_leave(utf8_scope *u)
{
    if (!u->loc) return;
    uselocale(u->old);
    freelocale(u->loc);
}

/* ---- writing --------------------------------------------------------------- */

static int set_opt(struct archive *a, const char *opt, char *err, size_t errlen)
{
    if (archive_write_set_options(a, opt) != ARCHIVE_OK)
        return fail(err, errlen, "libarchive refused option %s: %s", opt, archive_error_string(a));
    return 0;
}

static int write_setup(struct archive *a, const af__arc_wopts *o, char *err, size_t errlen)
{
    char opt[64];
    if (o->format == AF__ARC_ZIP) {
        archive_write_set_format_zip(a);
        if (set_opt(a, "zip:hdrcharset=UTF-8", err, errlen)) return -1;
        if (set_opt(a, o->stored ? "zip:compression=store" : "zip:compression=deflate", err,
                    errlen))
            return -1;
        if (!o->stored && o->level >= 0) {
            snprintf(opt, sizeof opt, "zip:compression-level=%d", o->level);
            if (set_opt(a, opt, err, errlen)) return -1;
        }
        if (o->enc != AF__ENC_NONE) {
            const char *e = o->enc == AF__ENC_AES256   ? "zip:encryption=aes256"
                            : o->enc == AF__ENC_AES128 ? "zip:encryption=aes128"
                                                       : "zip:encryption=zipcrypt";
            if (!o->password || !*o->password)
                return fail(err, errlen, "encryption needs a password");
            if (set_opt(a, e, err, errlen)) return -1;
            if (archive_write_set_passphrase(a, o->password) != ARCHIVE_OK)
                return fail(err, errlen, "libarchive refused the password: %s",
                            archive_error_string(a));
        }
        archive_write_set_bytes_per_block(a, IO_BLOCK);
        archive_write_set_bytes_in_last_block(a, 1);
        return 0;
    }
    if (o->enc != AF__ENC_NONE || (o->password && *o->password))
        return fail(err, errlen, "format %s cannot be encrypted; use format zip for a password",
                    af__arc_suffix(o->format) + 1);
    archive_write_set_format_pax_restricted(a);
    if (o->format == AF__ARC_TGZ) {
        archive_write_add_filter_gzip(a);
        if (o->level >= 0) {
            snprintf(opt, sizeof opt, "gzip:compression-level=%d", o->level);
            if (set_opt(a, opt, err, errlen)) return -1;
        }
    } else {
        if (archive_write_add_filter_zstd(a) != ARCHIVE_OK)
            return fail(err, errlen, "zstd compression unavailable: %s", archive_error_string(a));
        if (o->level >= 0) {
            snprintf(opt, sizeof opt, "zstd:compression-level=%d", o->level);
            if (set_opt(a, opt, err, errlen)) return -1;
        }
    }
    return 0;
}

/* Streams one file into the open entry. */
static int write_data(struct archive *a, int fd, const af_archive_file *f, int64_t size, char *buf,
                      const af__arc_wopts *o, char *err, size_t errlen)
{
    int64_t total = 0;
    for (;;) {
        if (o->cancelled && o->cancelled(o->ud))
            return fail(err, errlen, "cancelled while adding '%s'", f->name);
        ssize_t got = read(fd, buf, IO_BLOCK);
        if (got < 0) {
            if (errno == EINTR) continue;
            return fail(err, errlen, "cannot read '%s': %s", f->path, strerror(errno));
        }
        if (got == 0) break;
        total += got;
        if (total > size) break;
        la_ssize_t put = archive_write_data(a, buf, (size_t)got);
        if (put < 0 || put != got)
            return fail(err, errlen, "cannot add '%s' to the archive: %s", f->name,
                        archive_error_string(a) ? archive_error_string(a) : "short write");
    }
    if (total != size) return fail(err, errlen, "'%s' changed size while being archived", f->path);
    return 0;
}

int af__arc_write(const char *path, const af_archive_file *files, size_t n, const af__arc_wopts *o,
                  char *err, size_t errlen)
{
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) return fail(err, errlen, "cannot create '%s': %s", path, strerror(errno));
    utf8_scope loc;
    utf8_enter(&loc);
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    char *buf = malloc(IO_BLOCK);
    int rc = -1;
    if (!a || !e || !buf) {
        fail(err, errlen, "out of memory");
        goto done;
    }
    if (write_setup(a, o, err, errlen)) goto done;
    if (archive_write_open_fd(a, out) != ARCHIVE_OK) {
        fail(err, errlen, "cannot start writing '%s': %s", path, archive_error_string(a));
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const af_archive_file *f = &files[i];
        if (!utf8_valid(f->name)) {
            fail(err, errlen, "file name '%s' is not valid UTF-8", f->name);
            goto done;
        }
        int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;
        if (fd < 0) {
            fail(err, errlen, "cannot open '%s': %s", f->path, strerror(errno));
            goto done;
        }
        if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
            close(fd);
            fail(err, errlen, "'%s' is not a regular file", f->path);
            goto done;
        }
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        archive_entry_clear(e);
        archive_entry_copy_pathname(e, f->name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, st.st_mode & 0777);
        archive_entry_set_size(e, st.st_size);
        archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        if (archive_write_header(a, e) != ARCHIVE_OK) {
            close(fd);
            fail(err, errlen, "cannot add '%s' to the archive: %s", f->name,
                 archive_error_string(a));
            goto done;
        }
        int r = write_data(a, fd, f, st.st_size, buf, o, err, errlen);
        close(fd);
        if (r) goto done;
        if (archive_write_finish_entry(a) != ARCHIVE_OK) {
            fail(err, errlen, "cannot finish '%s': %s", f->name, archive_error_string(a));
            goto done;
        }
    }
    if (archive_write_close(a) != ARCHIVE_OK) {
        fail(err, errlen, "cannot finish '%s': %s", path, archive_error_string(a));
        goto done;
    }
    if (fsync(out)) {
        fail(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    /* after a failure this still writes a trailer, into a file about to be
     * removed: archive_write_fail() would skip it but leaks libarchive's
     * output buffer */
    if (a) archive_write_free(a);
    archive_entry_free(e);
    free(buf);
    utf8_leave(&loc);
    if (close(out) && rc == 0)
        rc = fail(err, errlen, "cannot write '%s': %s", path, strerror(errno));
    if (rc) unlink(path);
    return rc;
}

/* ---- reading --------------------------------------------------------------- */

static struct archive *open_reader(const char *path, int format, const char *password, char *err,
                                   size_t errlen)
{
    struct archive *a = archive_read_new();
    if (!a) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    if (format == AF__ARC_ZIP) {
        archive_read_support_format_zip(a);
    } else if (format == AF__ARC_TGZ) {
        archive_read_support_format_tar(a);
        archive_read_support_filter_gzip(a);
    } else if (format == AF__ARC_TZST) {
        archive_read_support_format_tar(a);
        archive_read_support_filter_zstd(a);
    } else {
        archive_read_support_format_all(a);
        archive_read_support_filter_all(a);
    }
    if (password && *password) archive_read_add_passphrase(a, password);
    if (archive_read_open_filename(a, path, IO_BLOCK) != ARCHIVE_OK) {
        const char *m = archive_error_string(a);
        if (format >= 0 && m && strstr(m, "Unrecognized archive format"))
            fail(err, errlen, "'%s' is not a %s archive", path, af__arc_suffix(format) + 1);
        else
            fail(err, errlen, "cannot open archive '%s': %s", path, m ? m : strerror(errno));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

static void fill_entry(af__arc_entry *out, struct archive_entry *e, af_buf *name, af_buf *link)
{
    const char *raw = archive_entry_pathname(e);
    if (!raw) raw = archive_entry_pathname_utf8(e);
    name_utf8(name, raw ? raw : "");
    out->name = af_buf_cstr(name);
    out->link = NULL;
    const char *hl = archive_entry_hardlink(e);
    const char *sl = archive_entry_symlink(e);
    unsigned t = archive_entry_filetype(e);
    if (hl) {
        out->type = AF__ENT_HARDLINK;
        out->link = hl;
    } else if (t == AE_IFLNK) {
        out->type = AF__ENT_SYMLINK;
        out->link = sl ? sl : "";
    } else if (t == AE_IFDIR) {
        out->type = AF__ENT_DIR;
    } else if (t == AE_IFREG || t == 0) {
        out->type = AF__ENT_FILE;
    } else {
        out->type = AF__ENT_OTHER;
    }
    if (out->link) {
        name_utf8(link, out->link);
        out->link = af_buf_cstr(link);
    }
    out->size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
    out->encrypted = archive_entry_is_encrypted(e) != 0;
}

static int header_error(struct archive *a, const char *archive, const char *password, char *err,
                        size_t errlen)
{
    const char *m = archive_error_string(a);
    if (m && strstr(m, "assphrase"))
        return password ? fail(err, errlen, "wrong password for '%s'", archive)
                        : fail(err, errlen, "'%s' is encrypted and no password was given", archive);
    return fail(err, errlen, "cannot read archive '%s': %s", archive, m ? m : "unknown error");
}

int af__arc_scan(const char *archive, int format, const char *password,
                 int (*fn)(void *ud, const af__arc_entry *e, char *err, size_t errlen), void *ud,
                 char *err, size_t errlen)
{
    utf8_scope loc;
    utf8_enter(&loc);
    struct archive *a = open_reader(archive, format, password, err, errlen);
    af_buf name = {0}, link = {0};
    int rc = -1;
    if (!a) goto done;
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) {
            header_error(a, archive, password, err, errlen);
            goto done;
        }
        af__arc_entry ent;
        fill_entry(&ent, e, &name, &link);
        if (fn(ud, &ent, err, errlen)) goto done;
        if (archive_read_data_skip(a) < ARCHIVE_WARN) {
            fail(err, errlen, "cannot read archive '%s': %s", archive, archive_error_string(a));
            goto done;
        }
    }
    rc = 0;
done:
    if (a) archive_read_free(a);
    af_buf_free(&name);
    af_buf_free(&link);
    utf8_leave(&loc);
    return rc;
}

/* Marks a refusal, as opposed to an archive libarchive cannot read. */
typedef struct check_ud {
    int refused;
} check_ud;

static int check_one(void *ud, const af__arc_entry *e, char *err, size_t errlen)
{
    check_ud *cu = ud;
    size_t cap = strlen(e->name) + 1;
    char *n = malloc(cap), *t = NULL;
    int rc = -1;
    if (!n) return fail(err, errlen, "out of memory");
    cu->refused = 1;
    if (af__arc_norm_name(e->name, n, cap, err, errlen)) goto out;
    if (e->type == AF__ENT_OTHER) {
        fail(err, errlen, "entry '%s' is a device, fifo or socket: refused", e->name);
        goto out;
    }
    if (e->type == AF__ENT_SYMLINK && !af__arc_link_inside(n, e->link)) {
        fail(err, errlen, "entry '%s' is a symlink to '%s', outside the destination: refused",
             e->name, e->link);
        goto out;
    }
    if (e->type == AF__ENT_HARDLINK) {
        size_t tc = strlen(e->link) + 1;
        if (!(t = malloc(tc))) {
            fail(err, errlen, "out of memory");
            goto out;
        }
        if (af__arc_norm_name(e->link, t, tc, err, errlen)) goto out;
    }
    cu->refused = 0;
    rc = 0;
out:
    free(n);
    free(t);
    return rc;
}

int af__arc_check_entries(const char *archive, int format, const char *password, char *err,
                          size_t errlen)
{
    check_ud cu = {0};
    if (af__arc_scan(archive, format, password, check_one, &cu, err, errlen) == 0) return 0;
    return cu.refused ? -2 : -1;
}

/* ---- names and links ------------------------------------------------------- */

int af__arc_norm_name(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
    if (!name || !*name) return fail(err, errlen, "entry with an empty name: refused");
    if (name[0] == '/' || name[0] == '\\' ||
        (((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') && name[1] == ':'))
        return fail(err, errlen, "entry '%s' has an absolute path: refused", name);
    size_t o = 0;
    const char *p = name;
    while (*p) {
        const char *q = p;
        while (*q && *q != '/')
            q++;
        /* the component [p, q) checked for '..' between backslashes too */
        for (const char *s = p; s < q;) {
            const char *t = s;
            while (t < q && *t != '\\')
                t++;
            if (t - s == 2 && s[0] == '.' && s[1] == '.')
                return fail(err, errlen, "entry '%s' has a '..' component: refused", name);
            s = t < q ? t + 1 : t;
        }
        size_t len = (size_t)(q - p);
        if (len && !(len == 1 && p[0] == '.')) {
            if (o + (o ? 1 : 0) + len + 1 > outlen)
                return fail(err, errlen, "entry name too long: '%s'", name);
            if (o) out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p = *q ? q + 1 : q;
    }
    if (outlen) out[o] = 0;
    return 0;
}

int af__arc_link_inside(const char *at, const char *target)
{
    if (!target || !*target || target[0] == '/' || target[0] == '\\') return 0;
    if ((((target[0] | 0x20) >= 'a' && (target[0] | 0x20) <= 'z') && target[1] == ':')) return 0;
    /* depth of the directory holding the link */
    long depth = 0;
    for (const char *p = at; *p; p++)
        if (*p == '/') depth++;
    const char *p = target;
    while (*p) {
        const char *q = p;
        while (*q && *q != '/' && *q != '\\')
            q++;
        size_t len = (size_t)(q - p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0) return 0;
        } else if (len && !(len == 1 && p[0] == '.')) {
            depth++;
        }
        p = *q ? q + 1 : q;
    }
    return 1;
}

/* ---- extraction ------------------------------------------------------------ */

typedef struct xctx {
    const af__arc_xopts *o;
    const char *archive;
    struct archive *a;
    int root;         /* work_dir */
    int dest;         /* dest_dir, or -1 */
    af_buf cache_dir; /* the directory cache_fd is open on, relative */
    int cache_fd;
    unsigned char *found; /* per member */
} xctx;

/* Opens the directory `dir` (relative, normalised) of the work tree, one
 * component at a time without following symlinks, creating what is missing
 * when create. The descriptor belongs to x (valid until the next call). */
static int open_dir(xctx *x, const char *dir, int create, const char *entry, char *err,
                    size_t errlen)
{
    if (!*dir) return x->root;
    if (x->cache_fd >= 0 && !strcmp(af_buf_cstr(&x->cache_dir), dir)) return x->cache_fd;
    int fd = x->root;
    const char *p = dir;
    char comp[NAME_MAX + 1];
    while (*p) {
        const char *q = strchr(p, '/');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len > NAME_MAX) {
            if (fd != x->root) close(fd);
            return fail(err, errlen, "entry '%s': name component too long", entry);
        }
        memcpy(comp, p, len);
        comp[len] = 0;
        int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT && create) {
            if (mkdirat(fd, comp, 0755) && errno != EEXIST) {
                int e = errno;
                if (fd != x->root) close(fd);
                return fail(err, errlen, "cannot create directory for entry '%s': %s", entry,
                            strerror(e));
            }
            nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        int e = errno;
        if (fd != x->root) close(fd);
        if (nfd < 0) {
            if (e == ELOOP || e == ENOTDIR)
                return fail(err, errlen,
                            "entry '%s' goes through '%.*s', which is a symlink or a file: "
                            "refused",
                            entry, (int)(p - dir + len), dir);
            return fail(err, errlen, "cannot open directory for entry '%s': %s", entry,
                        strerror(e));
        }
        fd = nfd;
        p = q ? q + 1 : p + len;
    }
    if (x->cache_fd >= 0) close(x->cache_fd);
    x->cache_fd = fd;
    af_buf_reset(&x->cache_dir);
    af_buf_puts(&x->cache_dir, dir);
    return fd;
}

/* Splits normalised rel into its directory (into dir) and returns the leaf. */
static const char *split_leaf(const char *rel, af_buf *dir)
{
    const char *slash = strrchr(rel, '/');
    af_buf_reset(dir);
    if (!slash) {
        af_buf_puts(dir, "");
        return rel;
    }
    af_buf_put(dir, rel, (size_t)(slash - rel));
    return slash + 1;
}

/* Removes whatever non-directory is at dfd/leaf so an entry can replace it
 * (a later duplicate entry wins, as with zipfile). */
static int clear_leaf(int dfd, const char *leaf, const char *entry, char *err, size_t errlen)
{
    struct stat st;
    if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW)) return 0;
    if (S_ISDIR(st.st_mode))
        return fail(err, errlen, "entry '%s' clashes with a directory of the same name", entry);
    if (unlinkat(dfd, leaf, 0))
        return fail(err, errlen, "cannot replace entry '%s': %s", entry, strerror(errno));
    return 0;
}

static int data_error(xctx *x, struct archive_entry *e, const char *name, char *err, size_t errlen)
{
    const char *m = archive_error_string(x->a);
    if (archive_entry_is_encrypted(e)) {
        if (!x->o->password)
            return fail(err, errlen, "entry '%s' of '%s' is encrypted and no password was given",
                        name, x->archive);
        if (m && strstr(m, "assphrase"))
            return fail(err, errlen, "wrong password for '%s' (entry '%s')", x->archive, name);
        return fail(err, errlen, "wrong password for '%s', or damaged data (entry '%s': %s)",
                    x->archive, name, m ? m : "read error");
    }
    return fail(err, errlen, "cannot read entry '%s' of '%s': %s", name, x->archive,
                m ? m : "read error");
}

/* Whether a block holds only zero bytes (then it is not written, so runs
 * of zeros become holes, as cp --sparse=auto does). */
static int all_zero(const void *p, size_t n)
{
    const unsigned char *u = p;
    if (n == 0 || u[0] || u[n - 1]) return 0;
    return memcmp(u, u + 1, n - 1) == 0;
}

static int x_file(xctx *x, struct archive_entry *e, const char *name, const char *rel, char *err,
                  size_t errlen)
{
    af_buf dir = {0};
    const char *leaf = split_leaf(rel, &dir);
    int rc = -1, fd = -1;
    int dfd = open_dir(x, af_buf_cstr(&dir), 1, name, err, errlen);
    if (dfd < 0) goto out;
    if (clear_leaf(dfd, leaf, name, err, errlen)) goto out;
    mode_t perm = archive_entry_perm(e) & 0777;
    if (!perm) perm = 0644;
    fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm | 0600);
    if (fd < 0) {
        fail(err, errlen, "cannot create '%s': %s", name, strerror(errno));
        goto out;
    }
    int64_t end = 0;
    for (;;) {
        const void *buf;
        size_t size;
        la_int64_t off;
        if (x->o->cancelled && x->o->cancelled(x->o->ud)) {
            fail(err, errlen, "cancelled while extracting '%s'", name);
            goto out;
        }
        int r = archive_read_data_block(x->a, &buf, &size, &off);
        if (r == ARCHIVE_EOF) break;
        size_t got = size;
        if (r < ARCHIVE_WARN) {
            data_error(x, e, name, err, errlen);
            goto out;
        }
        if (all_zero(buf, size)) size = 0; /* left as a hole: the final size is set below */
        for (size_t done = 0; done < size;) {
            ssize_t w = pwrite(fd, (const char *)buf + done, size - done, off + (off_t)done);
            if (w < 0) {
                if (errno == EINTR) continue;
                fail(err, errlen, "cannot write '%s': %s", name, strerror(errno));
                goto out;
            }
            done += (size_t)w;
        }
        if (off + (int64_t)got > end) end = off + (int64_t)got;
    }
    /* the file may end in a hole */
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > end) end = archive_entry_size(e);
    if (ftruncate(fd, end)) {
        fail(err, errlen, "cannot write '%s': %s", name, strerror(errno));
        goto out;
    }
    if (archive_entry_mtime_is_set(e)) {
        struct timespec ts[2] = {{0, UTIME_OMIT},
                                 {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
        futimens(fd, ts);
    }
    if (perm != (perm | 0600)) fchmod(fd, perm);
    rc = 0;
out:
    if (fd >= 0 && close(fd) && rc == 0)
        rc = fail(err, errlen, "cannot write '%s': %s", name, strerror(errno));
    af_buf_free(&dir);
    return rc;
}

static int x_symlink(xctx *x, const char *name, const char *rel, const char *target, char *err,
                     size_t errlen)
{
    if (!af__arc_link_inside(rel, target))
        return fail(err, errlen,
                    "entry '%s' is a symlink to '%s', outside the destination: refused", name,
                    target);
    af_buf dir = {0};
    const char *leaf = split_leaf(rel, &dir);
    int rc = -1;
    int dfd = open_dir(x, af_buf_cstr(&dir), 1, name, err, errlen);
    if (dfd >= 0 && !clear_leaf(dfd, leaf, name, err, errlen)) {
        if (symlinkat(target, dfd, leaf))
            fail(err, errlen, "cannot create symlink '%s': %s", name, strerror(errno));
        else
            rc = 0;
    }
    af_buf_free(&dir);
    return rc;
}

static int x_hardlink(xctx *x, const char *name, const char *rel, const char *target, char *err,
                      size_t errlen)
{
    size_t cap = strlen(target) + 1;
    char *trel = malloc(cap);
    af_buf tdir = {0}, dir = {0};
    int rc = -1, tfd = -1;
    if (!trel) return fail(err, errlen, "out of memory");
    if (af__arc_norm_name(target, trel, cap, err, errlen)) goto out;
    const char *tleaf = split_leaf(trel, &tdir);
    /* open_dir's descriptor is replaced by the next call: keep our own */
    int t = open_dir(x, af_buf_cstr(&tdir), 0, name, err, errlen);
    if (t < 0) goto out;
    if ((tfd = dup(t)) < 0) {
        fail(err, errlen, "cannot link '%s': %s", name, strerror(errno));
        goto out;
    }
    const char *leaf = split_leaf(rel, &dir);
    int dfd = open_dir(x, af_buf_cstr(&dir), 1, name, err, errlen);
    if (dfd < 0 || clear_leaf(dfd, leaf, name, err, errlen)) goto out;
    if (linkat(tfd, tleaf, dfd, leaf, 0)) {
        fail(err, errlen, "entry '%s' links to '%s', which is not in the archive before it", name,
             target);
        goto out;
    }
    rc = 0;
out:
    if (tfd >= 0) close(tfd);
    free(trel);
    af_buf_free(&tdir);
    af_buf_free(&dir);
    return rc;
}

static int x_dir(xctx *x, const char *name, const char *rel, char *err, size_t errlen)
{
    if (!*rel) return 0;
    return open_dir(x, rel, 1, name, err, errlen) < 0 ? -1 : 0;
}

static long member_index(const af__arc_xopts *o, const char *name)
{
    for (size_t i = 0; i < o->nmembers; i++)
        if (!strcmp(o->members[i], name)) return (long)i;
    return -1;
}

int af__arc_extract(const char *archive, const char *work_dir, const af__arc_xopts *o, char *err,
                    size_t errlen)
{
    xctx x = {.o = o, .archive = archive, .root = -1, .dest = -1, .cache_fd = -1};
    af_buf name = {0}, link = {0};
    char *rel = NULL;
    size_t relcap = 0;
    int rc = -1;
    utf8_scope loc;
    utf8_enter(&loc);
    x.root = open(work_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (x.root < 0) {
        fail(err, errlen, "cannot open '%s': %s", work_dir, strerror(errno));
        goto done;
    }
    if (!o->overwrite && o->dest_dir)
        x.dest = open(o->dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (o->members && o->nmembers && !(x.found = calloc(o->nmembers, 1))) {
        fail(err, errlen, "out of memory");
        goto done;
    }
    if (!(x.a = open_reader(archive, o->format, o->password, err, errlen))) goto done;
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(x.a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) {
            header_error(x.a, archive, o->password, err, errlen);
            goto done;
        }
        af__arc_entry ent;
        fill_entry(&ent, e, &name, &link);
        if (x.found) {
            long mi = member_index(o, ent.name);
            if (mi < 0) continue;
            x.found[mi] = 1;
        }
        size_t need = strlen(ent.name) + 1;
        if (need > relcap) {
            free(rel);
            relcap = need * 2;
            if (!(rel = malloc(relcap))) {
                fail(err, errlen, "out of memory");
                goto done;
            }
        }
        if (af__arc_norm_name(ent.name, rel, relcap, err, errlen)) goto done;
        if (x.dest >= 0 && *rel) {
            struct stat st;
            if (!fstatat(x.dest, rel, &st, AT_SYMLINK_NOFOLLOW)) continue; /* kept as is */
        }
        if (ent.encrypted && !o->password) {
            fail(err, errlen, "entry '%s' of '%s' is encrypted and no password was given", ent.name,
                 archive);
            goto done;
        }
        switch (ent.type) {
        case AF__ENT_DIR:
            r = x_dir(&x, ent.name, rel, err, errlen);
            break;
        case AF__ENT_FILE:
            if (!*rel) {
                fail(err, errlen, "entry '%s' has no file name: refused", ent.name);
                goto done;
            }
            r = x_file(&x, e, ent.name, rel, err, errlen);
            break;
        case AF__ENT_SYMLINK:
            r = x_symlink(&x, ent.name, rel, ent.link, err, errlen);
            break;
        case AF__ENT_HARDLINK:
            r = x_hardlink(&x, ent.name, rel, ent.link, err, errlen);
            break;
        default:
            r = fail(err, errlen, "entry '%s' is a device, fifo or socket: refused", ent.name);
        }
        if (r) goto done;
        if (o->on_entry) o->on_entry(o->entry_ud, ent.name);
    }
    for (size_t i = 0; x.found && i < o->nmembers; i++) {
        if (!x.found[i]) {
            fail(err, errlen, "member '%s' not found in '%s'", o->members[i], archive);
            goto done;
        }
    }
    rc = 0;
done:
    if (x.a) archive_read_free(x.a);
    if (x.cache_fd >= 0) close(x.cache_fd);
    if (x.root >= 0) close(x.root);
    if (x.dest >= 0) close(x.dest);
    af_buf_free(&x.cache_dir);
    af_buf_free(&name);
    af_buf_free(&link);
    free(x.found);
    free(rel);
    utf8_leave(&loc);
    return rc;
}

/* ---- commit ---------------------------------------------------------------- */

typedef struct cctx {
    int overwrite;
    int move;    /* 0: check pass, 1: move pass */
    af_buf path; /* relative path of the entry being looked at */
    char *err;
    size_t errlen;
} cctx;

static int commit_dir(cctx *c, int wfd, int dfd, int depth);

static int commit_one(cctx *c, int wfd, int dfd, const char *nm, int depth)
{
    struct stat ws, ds;
    size_t mark = c->path.len;
    if (mark) af_buf_putc(&c->path, '/');
    af_buf_puts(&c->path, nm);
    const char *rel = af_buf_cstr(&c->path);
    int rc = -1;
    if (fstatat(wfd, nm, &ws, AT_SYMLINK_NOFOLLOW)) {
        fail(c->err, c->errlen, "cannot stat extracted '%s': %s", rel, strerror(errno));
        goto out;
    }
    int have = dfd >= 0 && !fstatat(dfd, nm, &ds, AT_SYMLINK_NOFOLLOW);
    if (S_ISDIR(ws.st_mode)) {
        if (have && S_ISLNK(ds.st_mode)) {
            fail(c->err, c->errlen,
                 "'%s' in the destination is a symlink: refusing to extract through it", rel);
            goto out;
        }
        if (have && !S_ISDIR(ds.st_mode)) {
            fail(c->err, c->errlen, "cannot extract directory '%s': a file of that name exists",
                 rel);
            goto out;
        }
        if (depth >= MAX_DEPTH) {
            fail(c->err, c->errlen, "'%s' is nested too deeply", rel);
            goto out;
        }
        if (c->move && !have && mkdirat(dfd, nm, 0755) && errno != EEXIST) {
            fail(c->err, c->errlen, "cannot create '%s': %s", rel, strerror(errno));
            goto out;
        }
        int sw = openat(wfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int sd = (have || c->move)
                     ? openat(dfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                     : -1;
        if (sw < 0 || ((have || c->move) && sd < 0)) {
            fail(c->err, c->errlen, "cannot open '%s': %s", rel, strerror(errno));
            if (sw >= 0) close(sw);
            if (sd >= 0) close(sd);
            goto out;
        }
        rc = commit_dir(c, sw, sd, depth + 1);
        close(sw);
        if (sd >= 0) close(sd);
        goto out;
    }
    if (S_ISLNK(ws.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(wfd, nm, target, sizeof target - 1);
        if (n < 0) {
            fail(c->err, c->errlen, "cannot read symlink '%s': %s", rel, strerror(errno));
            goto out;
        }
        target[n] = 0;
        if (!af__arc_link_inside(rel, target)) {
            fail(c->err, c->errlen, "'%s' is a symlink to '%s', outside the destination: refused",
                 rel, target);
            goto out;
        }
    } else if (!S_ISREG(ws.st_mode)) {
        fail(c->err, c->errlen, "'%s' is a device, fifo or socket: refused", rel);
        goto out;
    }
    if (have && S_ISDIR(ds.st_mode)) {
        fail(c->err, c->errlen, "cannot extract '%s': a directory of that name exists", rel);
        goto out;
    }
    if (c->move) {
        if (c->overwrite) {
            if (renameat(wfd, nm, dfd, nm)) {
                fail(c->err, c->errlen, "cannot move '%s' into place: %s", rel, strerror(errno));
                goto out;
            }
        } else if (renameat2(wfd, nm, dfd, nm, RENAME_NOREPLACE)) {
            if (errno == EEXIST) { /* kept as is */
            } else if (errno == EINVAL || errno == ENOSYS) {
                /* no RENAME_NOREPLACE on this file system: link refuses to replace */
                if (linkat(wfd, nm, dfd, nm, 0) && errno != EEXIST) {
                    fail(c->err, c->errlen, "cannot move '%s' into place: %s", rel,
                         strerror(errno));
                    goto out;
                }
            } else {
                fail(c->err, c->errlen, "cannot move '%s' into place: %s", rel, strerror(errno));
                goto out;
            }
        }
    }
    rc = 0;
out:
    c->path.len = mark;
    if (c->path.data) c->path.data[mark] = 0;
    return rc;
}

static int commit_dir(cctx *c, int wfd, int dfd, int depth)
{
    /* a new open file description: a dup() would share the read offset,
     * and the second pass would find the directory already read */
    int dup_fd = openat(wfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0) close(dup_fd);
        return fail(c->err, c->errlen, "cannot read extracted tree: %s", strerror(errno));
    }
    /* names first: moving entries while reading the directory could skip some */
    af_buf names = {0};
    size_t count = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        af_buf_put(&names, de->d_name, strlen(de->d_name) + 1);
        count++;
    }
    closedir(d);
    int rc = 0;
    const char *p = names.data;
    for (size_t i = 0; i < count && rc == 0; i++) {
        rc = commit_one(c, wfd, dfd, p, depth);
        p += strlen(p) + 1;
    }
    af_buf_free(&names);
    return rc;
}

int af__arc_commit_tree(const char *work_dir, const char *dest_dir, int overwrite, char *err,
                        size_t errlen)
{
    cctx c = {.overwrite = overwrite, .err = err, .errlen = errlen};
    int wfd = open(work_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int dfd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = -1;
    if (wfd < 0)
        fail(err, errlen, "cannot open '%s': %s", work_dir, strerror(errno));
    else if (dfd < 0)
        fail(err, errlen, "cannot open '%s': %s", dest_dir, strerror(errno));
    else if (!(rc = commit_dir(&c, wfd, dfd, 0))) {
        c.move = 1;
        rc = commit_dir(&c, wfd, dfd, 0);
        if (rc == 0) fsync(dfd);
    }
    if (wfd >= 0) close(wfd);
    if (dfd >= 0) close(dfd);
    af_buf_free(&c.path);
    return rc;
}

static void fsync_parent(const char *path)
{
    char *d = strdup(path);
    if (!d) return;
    char *slash = strrchr(d, '/');
    if (slash) {
        if (slash == d)
            slash[1] = 0;
        else
            *slash = 0;
        int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
    }
    free(d);
}

int af__arc_commit_file(const char *tmp, const char *path, int overwrite, char *err, size_t errlen)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, errlen, "cannot open '%s': %s", tmp, strerror(errno));
    int r = fsync(fd);
    close(fd);
    if (r) return fail(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
    struct stat st;
    if (!lstat(path, &st) && S_ISDIR(st.st_mode))
        return fail(err, errlen, "cannot write '%s': it is a directory", path);
    if (overwrite) {
        if (rename(tmp, path))
            return fail(err, errlen, "cannot write '%s': %s", path, strerror(errno));
    } else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE)) {
        if (errno == EEXIST)
            return fail(err, errlen, "'%s' already exists and overwrite is false", path);
        if (errno != EINVAL && errno != ENOSYS)
            return fail(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        if (link(tmp, path)) {
            if (errno == EEXIST)
                return fail(err, errlen, "'%s' already exists and overwrite is false", path);
            return fail(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        }
        unlink(tmp);
    }
    fsync_parent(path);
    return 0;
}

int af__arc_tmpdir(const char *parent, char *out, size_t outlen, char *err, size_t errlen)
{
    int n = snprintf(out, outlen, "%s/.afc-tmp-XXXXXX", parent);
    if (n < 0 || (size_t)n >= outlen) return fail(err, errlen, "path too long: '%s'", parent);
    if (!mkdtemp(out))
        return fail(err, errlen, "cannot create a temporary directory in '%s': %s", parent,
                    strerror(errno));
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    /* a directory we could not read: make it readable and let the caller retry */
    if (flag == FTW_DNR) chmod(path, 0700);
    remove(path);
    return 0;
}

int af__arc_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st)) return errno == ENOENT ? 0 : -1;
    nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
    if (!lstat(path, &st)) { /* a second pass after chmod of unreadable directories */
        nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
        if (!lstat(path, &st)) return -1;
    }
    return 0;
}

int af__arc_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0755) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) && errno != EEXIST) return -1;
    struct stat st;
    if (stat(buf, &st)) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* ---- the zip step's file collection ---------------------------------------- */

static void paths_add(af__arc_paths *ps, const char *p)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 64;
        const char **v = af_alloc(ps->a, cap * sizeof *v);
        if (ps->n) memcpy(v, ps->v, ps->n * sizeof *v);
        ps->v = v;
        ps->cap = cap;
    }
    ps->v[ps->n++] = af_strdup(ps->a, p);
}

static int walk(af__arc_paths *ps, const char *dir, int depth, char *err, size_t errlen)
{
    if (depth > 4096) return fail(err, errlen, "'%s' is nested too deeply", dir);
    DIR *d = opendir(dir);
    if (!d) return fail(err, errlen, "cannot read directory '%s': %s", dir, strerror(errno));
    af_buf child = {0};
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        af_buf_reset(&child);
        af_buf_printf(&child, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", de->d_name);
        const char *c = af_buf_cstr(&child);
        struct stat st;
        if (lstat(c, &st)) continue; /* gone meanwhile */
        if (S_ISDIR(st.st_mode)) {
            char *sub = strdup(c);
            if (!sub) {
                rc = fail(err, errlen, "out of memory");
                break;
            }
            rc = walk(ps, sub, depth + 1, err, errlen);
            free(sub);
        } else if (!stat(c, &st) && S_ISREG(st.st_mode)) {
            paths_add(ps, c);
        }
    }
    closedir(d);
    af_buf_free(&child);
    return rc;
}

int af__arc_add_path(af__arc_paths *ps, const char *p, int recursive, char *err, size_t errlen)
{
    char *rp = realpath(p, NULL);
    struct stat st;
    int rc = 0;
    if (!rp) return 0; /* nothing there: nothing to add */
    if (!stat(rp, &st)) {
        if (S_ISDIR(st.st_mode)) {
            if (recursive) rc = walk(ps, rp, 0, err, errlen);
        } else if (S_ISREG(st.st_mode)) {
            paths_add(ps, rp);
        }
    }
    free(rp);
    return rc;
}

int af__arc_is_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int af__arc_add_glob(af__arc_paths *ps, const char *pattern, int recursive, char *err,
                     size_t errlen)
{
    const char *slash = strrchr(pattern, '/');
    if (!slash) return fail(err, errlen, "glob '%s' is not an absolute path", pattern);
    const char *pat = slash + 1;
    char *parent = slash == pattern ? strdup("/") : strndup(pattern, (size_t)(slash - pattern));
    if (!parent) return fail(err, errlen, "out of memory");
    int rc = 0;
    if (!strcmp(pat, "**")) {
        /* the directory itself and every directory below it: with recursion
         * that is all the files under it, without it nothing */
        if (recursive) rc = af__arc_add_path(ps, parent, 1, err, errlen);
        free(parent);
        return rc;
    }
    DIR *d = opendir(parent);
    if (!d) {
        free(parent);
        return 0;
    }
    af_buf names = {0};
    size_t count = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (fnmatch(pat, de->d_name, FNM_NOESCAPE) == 0) {
            af_buf_put(&names, de->d_name, strlen(de->d_name) + 1);
            count++;
        }
    }
    closedir(d);
    const char **v = count ? malloc(count * sizeof *v) : NULL;
    const char *p = names.data;
    for (size_t i = 0; i < count; i++, p += strlen(p) + 1)
        v[i] = p;
    if (count) qsort(v, count, sizeof *v, cmp_str);
    af_buf full = {0};
    for (size_t i = 0; i < count && rc == 0; i++) {
        af_buf_reset(&full);
        af_buf_printf(&full, "%s%s%s", parent, strcmp(parent, "/") ? "/" : "", v[i]);
        rc = af__arc_add_path(ps, af_buf_cstr(&full), recursive, err, errlen);
    }
    free(v);
    af_buf_free(&full);
    af_buf_free(&names);
    free(parent);
    return rc;
}

/* Python orders paths by their components: '/' sorts before any character. */
static int cmp_path(const void *a, const void *b)
{
    const unsigned char *x = *(const unsigned char *const *)a;
    const unsigned char *y = *(const unsigned char *const *)b;
    for (;; x++, y++) {
        unsigned cx = *x == '/' ? 1 : *x, cy = *y == '/' ? 1 : *y;
        if (cx != cy || !cx) return (int)cx - (int)cy;
    }
}

static int under(const char *p, const char *base)
{
    size_t n = strlen(base);
    if (n == 1 && base[0] == '/') return p[0] == '/' && p[1];
    return !strncmp(p, base, n) && p[n] == '/' && p[n + 1];
}

int af__arc_finish(af__arc_paths *ps, const char *base_dir, const char *exclude,
                   af_archive_file **files, size_t *n, char *err, size_t errlen)
{
    *files = NULL;
    *n = 0;
    if (ps->n) qsort(ps->v, ps->n, sizeof *ps->v, cmp_path);
    af_archive_file *out = ps->n ? af_alloc(ps->a, ps->n * sizeof *out) : NULL;
    size_t k = 0, blen = strlen(base_dir);
    for (size_t i = 0; i < ps->n; i++) {
        const char *p = ps->v[i];
        if (i && !strcmp(p, ps->v[i - 1])) continue;
        char *rp = realpath(p, NULL);
        if (exclude && rp && !strcmp(rp, exclude)) {
            free(rp);
            continue;
        }
        if (!under(p, base_dir)) {
            free(rp);
            return fail(err, errlen, "zip input '%s' is outside src_dir '%s'", p, base_dir);
        }
        if (!rp) return fail(err, errlen, "cannot resolve '%s': %s", p, strerror(errno));
        if (!under(rp, base_dir)) {
            int r = fail(err, errlen, "zip input '%s' resolves to '%s', outside src_dir '%s'", p,
                         rp, base_dir);
            free(rp);
            return r;
        }
        free(rp);
        const char *name = p + (blen == 1 ? 1 : blen + 1);
        if (!utf8_valid(name)) return fail(err, errlen, "file name '%s' is not valid UTF-8", name);
        out[k].path = p;
        out[k].name = name;
        k++;
    }
    *files = out;
    *n = k;
    return 0;
}

/* Python's Path.with_suffix(""): drops the last ".xyz" of the last
 * component unless the dot starts the name or ends it. */
static size_t strip_suffix(const char *name, size_t len, int format)
{
    const char *s = af__arc_suffix(format);
    size_t sl = strlen(s);
    if (format != AF__ARC_ZIP && len > sl && !strcmp(name + len - sl, s)) return len - sl;
    for (size_t i = len; i-- > 1;) {
        if (name[i] == '.') return i + 1 < len ? i : len;
    }
    return len;
}

const char *af__arc_out_dir(af_arena *a, const char *archive, const char *src_dir,
                            const char *dest_dir, int private_folder, int format)
{
    if (!under(archive, src_dir)) {
        const char *base = strrchr(archive, '/');
        return af_sprintf(a, "%s/%s", dest_dir, base ? base + 1 : archive);
    }
    size_t sl = strlen(src_dir);
    const char *rel = archive + (sl == 1 ? 1 : sl + 1);
    const char *slash = strrchr(rel, '/');
    if (private_folder) {
        const char *leaf = slash ? slash + 1 : rel;
        size_t keep = (size_t)(leaf - rel) + strip_suffix(leaf, strlen(leaf), format);
        return af_sprintf(a, "%s/%.*s", dest_dir, (int)keep, rel);
    }
    if (!slash) return af_strdup(a, dest_dir);
    return af_sprintf(a, "%s/%.*s", dest_dir, (int)(slash - rel), rel);
}

void af__arc_redact(char *dst, size_t dst_size, const char *src, const char *secret)
{
    size_t sl = secret ? strlen(secret) : 0, o = 0;
    if (!dst_size) return;
    for (const char *p = src; *p && o + 1 < dst_size;) {
        if (sl && !strncmp(p, secret, sl)) {
            for (const char *r = "***"; *r && o + 1 < dst_size; r++)
                dst[o++] = *r;
            p += sl;
        } else {
            dst[o++] = *p++;
        }
    }
    dst[o] = 0;
}
