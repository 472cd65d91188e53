/*
 * transform_csv.c - the step type `local_transform_csv`, a plugin of the UC1
 * demo bundles: turns partner CSV exports into clean, comma separated CSV.
 *
 * Every *.csv file under src_dir (recursively, in name order) is read with
 * the runtime's CSV reader (Python csv semantics, af_csv.h) and written to
 * the same relative path under dst_dir:
 *   - header names are trimmed, upper-cased, and every run of characters
 *     other than ASCII letters and digits becomes one '_' ("Order Date " ->
 *     ORDER_DATE); UTF-8 letters are kept;
 *   - fields are trimmed of spaces and tabs; a number with a decimal comma
 *     gets a decimal point ("1234,50" -> 1234.50) and a dd.mm.yyyy date
 *     becomes ISO (03.01.2026 -> 2026-01-03);
 *   - blank records are dropped; a record whose field count differs from
 *     the header's fails the step, naming the file and line;
 *   - a column naming the source file (source_column) and constant columns
 *     (add_columns) are appended;
 *   - the output is ',' separated, minimal quoting, "\n" line ends, UTF-8.
 * Other files are copied as they are. Files stream record by record (memory
 * does not grow with file size) and each output is written to a temp file
 * renamed into place, so a failed or resumed run never leaves half a file.
 *
 *   - id: transform
 *     type: local_transform_csv
 *     inputs: {src_dir: unzipped, dst_dir: transformed, delimiter: ";"}
 */
#include <af.h>
#include <af_csv.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const af_input inputs[] = {
    {"src_dir", AF_TY_STR, 1, NULL, NULL, "directory of the CSV files (relative: under artifacts)"},
    {"dst_dir", AF_TY_STR, 1, NULL, NULL, "where the transformed files go (created)"},
    {"delimiter", AF_TY_STR, 0, "\",\"", NULL, "delimiter of the input files, one character"},
    {"encoding", AF_TY_STR, 0, "\"utf-8\"", NULL,
     "encoding of the input files (Python codec name)"},
    {"source_column", AF_TY_STR | AF_TY_NULL | AF_TY_BOOL, 0, "\"SOURCE_FILE\"", NULL,
     "name of the appended column holding each file's path below src_dir; false: none"},
    {"add_columns", AF_TY_MAP | AF_TY_NULL, 0, "null", NULL,
     "constant columns to append: {NAME: value}"},
    {NULL},
};

static const af_output outputs[] = {
    {"dst_dir", "string", "dst_dir, absolute"},
    {"csv_transformed", "int", "CSV files transformed"},
    {"rows", "int", "data rows written over all files"},
    {"files", "list[string]", "the transformed files, relative to dst_dir"},
    {"copied", "int", "other files copied as they are"},
    {NULL},
};

typedef struct xf {
    af_step *s;
    af_arena *a;
    af_csv_dialect in; /* the partner's dialect */
    const char *encoding;
    const char *source_column;    /* NULL: none */
    const char *const *add_names; /* constant columns */
    const char *const *add_vals;
    size_t nadd;
    int64_t ncsv, nrows, ncopied;
    af_value *files;
    char err[768];
} xf;

/* ---- small text helpers ------------------------------------------------------------ */

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Header name: trimmed, ASCII letters upper-cased, other ASCII runs -> '_'. */
static char *norm_header(af_arena *a, const char *s, size_t n, size_t col)
{
    char *out = af_alloc(a, n + 16);
    size_t k = 0;
    int gap = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int keep =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) || c >= 0x80;
        if (!keep) {
            gap = 1;
            continue;
        }
        if (gap && k > 0) out[k++] = '_';
        gap = 0;
        out[k++] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    if (k == 0) return af_sprintf(a, "COLUMN_%zu", col + 1);
    out[k] = 0;
    return out;
}

/* A data field: trimmed; decimal comma -> point; dd.mm.yyyy -> yyyy-mm-dd.
 * Returns a pointer into s or into buf (at least len + 1 bytes). */
static const char *norm_field(const char *s, size_t *len, char *buf)
{
    size_t n = *len;
    while (n > 0 && is_space(*s))
        s++, n--;
    while (n > 0 && is_space(s[n - 1]))
        n--;
    *len = n;
    /* dd.mm.yyyy */
    if (n == 10 && s[2] == '.' && s[5] == '.') {
        int ok = 1;
        for (size_t i = 0; i < 10; i++)
            if (i != 2 && i != 5 && !is_digit(s[i])) ok = 0;
        int day = ok ? (s[0] - '0') * 10 + (s[1] - '0') : 0;
        int mon = ok ? (s[3] - '0') * 10 + (s[4] - '0') : 0;
        if (ok && day >= 1 && day <= 31 && mon >= 1 && mon <= 12) {
            memcpy(buf, s + 6, 4);
            buf[4] = '-';
            memcpy(buf + 5, s + 3, 2);
            buf[7] = '-';
            memcpy(buf + 8, s, 2);
            buf[10] = 0;
            return buf;
        }
    }
    /* [+-]digits,digits */
    size_t i = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0, d1 = 0, d2 = 0, comma = 0;
    for (; i < n && is_digit(s[i]); i++)
        d1++;
    if (i < n && s[i] == ',') {
        comma = i++;
        for (; i < n && is_digit(s[i]); i++)
            d2++;
    }
    if (i == n && d1 && d2) {
        memcpy(buf, s, n);
        buf[comma] = '.';
        buf[n] = 0;
        return buf;
    }
    return s;
}

/* ---- files ------------------------------------------------------------------------- */

typedef struct fdsink {
    int fd;
} fdsink;

static int sink_write(void *ud, const void *data, size_t n, char *err, size_t errlen)
{
    fdsink *k = ud;
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(k->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(err, errlen, "write failed: %s", strerror(errno));
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int parent_dirs(xf *x, const char *path)
{
    char *dir = af_strdup(x->a, path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    if (af_mkdirs(dir, 0755) < 0) {
        snprintf(x->err, sizeof x->err, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int copy_file(xf *x, const char *src, const char *dst)
{
    if (parent_dirs(x, dst) < 0) return -1;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(x->err, sizeof x->err, "cannot read %s: %s", src, strerror(errno));
        return -1;
    }
    af_atomic f;
    if (af_atomic_open(&f, dst, 0644, x->err, sizeof x->err) < 0) {
        close(in);
        return -1;
    }
    fdsink k = {f.fd};
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || sink_write(&k, buf, (size_t)n, x->err, sizeof x->err) < 0) {
            if (n < 0) snprintf(x->err, sizeof x->err, "cannot read %s: %s", src, strerror(errno));
            close(in);
            af_atomic_abort(&f);
            return -1;
        }
    }
    close(in);
    x->ncopied++;
    return af_atomic_commit(&f, x->err, sizeof x->err);
}

/* Transforms one CSV file, record by record. */
static int transform(xf *x, const char *src, const char *rel, const char *dst)
{
    if (parent_dirs(x, dst) < 0) return -1;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(x->err, sizeof x->err, "cannot read %s: %s", src, strerror(errno));
        return -1;
    }
    char e[512];
    af_csv_reader *r = af_csv_reader_fd(&x->in, x->encoding, in, e, sizeof e);
    if (!r) {
        close(in);
        snprintf(x->err, sizeof x->err, "%s: %s", rel, e);
        return -1;
    }
    af_atomic f;
    if (af_atomic_open(&f, dst, 0644, x->err, sizeof x->err) < 0) {
        af_csv_reader_free(r);
        close(in);
        return -1;
    }
    af_csv_dialect od;
    af_csv_dialect_init(&od);
    od.lineterminator = "\n";
    fdsink k = {f.fd};
    af_csv_writer *w = af_csv_writer_new(&od, NULL, sink_write, &k, e, sizeof e);
    int rc = -1;
    af_csv_field *out = NULL;
    char *buf = NULL;
    size_t cap = 0, bufcap = 0, width = 0;
    int64_t rows = 0;
    if (!w) goto fail;
    size_t extra = (x->source_column ? 1 : 0) + x->nadd;
    for (;;) {
        const af_csv_field *fl;
        size_t n;
        int got = af_csv_read(r, &fl, &n, e, sizeof e);
        if (got < 0) goto fail;
        if (got == 0) break;
        int blank = 1;
        for (size_t j = 0; j < n && blank; j++)
            for (size_t i = 0; i < fl[j].len && blank; i++)
                if (!is_space(fl[j].s[i])) blank = 0;
        if (blank) continue; /* empty lines and all-empty records */
        if (width && n != width) {
            snprintf(e, sizeof e, "line %lld: %zu fields, the header has %zu",
                     (long long)af_csv_line_num(r), n, width);
            goto fail;
        }
        if (n + extra > cap) {
            cap = (n + extra) * 2;
            out = realloc(out, cap * sizeof *out);
            if (!out) abort();
        }
        size_t need = 0;
        for (size_t j = 0; j < n; j++)
            need += fl[j].len + 1;
        if (need > bufcap) {
            bufcap = need * 2;
            buf = realloc(buf, bufcap);
            if (!buf) abort();
        }
        char *p = buf;
        for (size_t j = 0; j < n; j++) {
            size_t len = fl[j].len;
            if (!width) {
                const char *h = norm_header(x->a, fl[j].s, len, j);
                out[j] = (af_csv_field){h, strlen(h), 0};
            } else {
                const char *v = norm_field(fl[j].s, &len, p);
                out[j] = (af_csv_field){v, len, 0};
                p += len + 1;
            }
        }
        size_t m = n;
        if (x->source_column) {
            const char *v = width ? rel : x->source_column;
            out[m++] = (af_csv_field){v, strlen(v), 0};
        }
        for (size_t j = 0; j < x->nadd; j++) {
            const char *v = width ? x->add_vals[j] : x->add_names[j];
            out[m++] = (af_csv_field){v, strlen(v), 0};
        }
        if (af_csv_write_row(w, out, m, e, sizeof e) < 0) goto fail;
        if (width)
            rows++;
        else
            width = n;
        if ((rows & 1023) == 0 && af_cancelled(x->s)) {
            snprintf(e, sizeof e, "cancelled");
            goto fail;
        }
    }
    if (af_csv_writer_flush(w, e, sizeof e) < 0) goto fail;
    rc = 0;
fail:
    if (rc < 0) snprintf(x->err, sizeof x->err, "%s: %s", rel, e);
    af_csv_writer_free(w);
    af_csv_reader_free(r);
    close(in);
    free(out);
    free(buf);
    if (rc < 0) {
        af_atomic_abort(&f);
        return -1;
    }
    if (af_atomic_commit(&f, x->err, sizeof x->err) < 0) return -1;
    x->ncsv++;
    x->nrows += rows;
    af_list_push(x->a, x->files, af_str(x->a, rel));
    af_log(x->s, AF_INFO, "csv_transformed",
           (af_kv[]){AF_KS("file", rel), AF_KI("rows", rows), {0}});
    return 0;
}

static int has_csv_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcasecmp(name + n - 4, ".csv") == 0;
}

/* Walks dir (src_root/rel) in name order. Hidden files (the transfer steps'
 * temporary names) are left out. */
static int walk(xf *x, const char *src_root, const char *dst_root, const char *rel)
{
    const char *dir = *rel ? af_sprintf(x->a, "%s/%s", src_root, rel) : src_root;
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) {
        snprintf(x->err, sizeof x->err, "cannot list %s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (rc == 0 && name[0] != '.') {
            const char *r2 = *rel ? af_sprintf(x->a, "%s/%s", rel, name) : af_strdup(x->a, name);
            const char *src = af_sprintf(x->a, "%s/%s", src_root, r2);
            const char *dst = af_sprintf(x->a, "%s/%s", dst_root, r2);
            struct stat st;
            if (lstat(src, &st) < 0) {
                snprintf(x->err, sizeof x->err, "cannot stat %s: %s", src, strerror(errno));
                rc = -1;
            } else if (S_ISDIR(st.st_mode)) {
                rc = walk(x, src_root, dst_root, r2);
            } else if (S_ISREG(st.st_mode)) {
                rc = has_csv_suffix(name) ? transform(x, src, r2, dst) : copy_file(x, src, dst);
            } /* symbolic links and special files are not followed */
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

/* ---- the step ---------------------------------------------------------------------- */

static af_status run(af_step *s)
{
    xf x = {.s = s, .a = af_arena_of(s)};
    const char *src_in, *dst_in, *delim, *src, *dst;
    if (af_in_str(s, "src_dir", NULL, &src_in) < 0 || af_in_str(s, "dst_dir", NULL, &dst_in) < 0 ||
        af_in_str(s, "delimiter", ",", &delim) < 0 ||
        af_in_str(s, "encoding", "utf-8", &x.encoding) < 0)
        return AF_FAILED;
    af_csv_dialect_init(&x.in);
    if (af_csv_char("delimiter", delim, 0, &x.in.delimiter, x.err, sizeof x.err) < 0)
        return af_fail(s, "%s", x.err);

    const af_value *sc = af_in(s, "source_column");
    if (!sc || (sc->type == AF_STR && sc->u.s.len > 0)) {
        x.source_column = sc ? sc->u.s.ptr : "SOURCE_FILE";
    } else if (sc->type == AF_BOOL && sc->u.b) {
        x.source_column = "SOURCE_FILE";
    } /* null, false or "": no source column */

    const af_value *add = af_in(s, "add_columns");
    if (add && add->type == AF_MAP) {
        x.nadd = add->u.map.n;
        const char **names = af_alloc(x.a, (x.nadd + 1) * sizeof *names);
        const char **vals = af_alloc(x.a, (x.nadd + 1) * sizeof *vals);
        for (size_t i = 0; i < x.nadd; i++) {
            const af_value *v = add->u.map.pairs[i].val;
            af_buf b = {0};
            if (v->type != AF_NULL) af_py_str(&b, v); /* None is an empty field */
            names[i] = add->u.map.pairs[i].key;
            vals[i] = af_strdup(x.a, af_buf_cstr(&b));
            af_buf_free(&b);
        }
        x.add_names = names;
        x.add_vals = vals;
    }

    if (af_path(s, "src_dir", src_in, &src) < 0 || af_path(s, "dst_dir", dst_in, &dst) < 0)
        return AF_FAILED;
    struct stat st;
    if (stat(src, &st) < 0 || !S_ISDIR(st.st_mode))
        return af_fail(s, "src_dir %s is not a directory", src);
    if (af_mkdirs(dst, 0755) < 0) return af_fail(s, "cannot create %s: %s", dst, strerror(errno));
    x.files = af_list(x.a);
    if (walk(&x, src, dst, "") < 0) return af_fail(s, "%s", x.err);

    af_out_set(s, "dst_dir", af_str(x.a, dst));
    af_out_set(s, "csv_transformed", af_int(x.a, x.ncsv));
    af_out_set(s, "rows", af_int(x.a, x.nrows));
    af_out_set(s, "files", x.files);
    af_out_set(s, "copied", af_int(x.a, x.ncopied));
    return AF_SUCCESS;
}

static void check(af_check *c, const af_value *in)
{
    const af_value *d = af_map_get(in, "delimiter");
    char err[128];
    uint32_t cp;
    if (d && d->type == AF_STR && !af_check_is_template(c, d) &&
        af_csv_char("delimiter", d->u.s.ptr, 0, &cp, err, sizeof err) < 0)
        af_check_error(c, "delimiter", "%s", err);
    const af_value *add = af_map_get(in, "add_columns");
    if (add && add->type == AF_MAP)
        for (size_t i = 0; i < add->u.map.n; i++)
            if (add->u.map.pairs[i].val->type == AF_LIST || add->u.map.pairs[i].val->type == AF_MAP)
                af_check_error(c, "add_columns", "add_columns.%s must be a single value",
                               add->u.map.pairs[i].key);
}

const af_step_desc af_step_local_transform_csv = {
    .abi = AF_ABI_VERSION,
    .name = "local_transform_csv",
    .summary = "Normalises partner CSV files: clean header, trimmed fields, ISO dates, "
               "decimal points, added columns",
    .inputs = inputs,
    .outputs = outputs,
    .run = run,
    .check = check,
    .help = "Each *.csv under src_dir goes to the same path under dst_dir: header names "
            "upper-cased with '_' between words, fields trimmed, decimal commas made points, "
            "dd.mm.yyyy dates made ISO, blank records dropped, then source_column (the file's "
            "path) and add_columns appended; ',' separated, \"\\n\" line ends. Other files are "
            "copied.",
};
