/*
 * env.c - the run's env snapshot and the env files that overlay it.
 *
 * First step of a run: the executor copies the process environment into a
 * map (the snapshot; the process env itself is never changed), then
 * applies AETHERFLOW_ENV_FILES_JSON and the manifest's env_files. Every
 * template `{{env.X}}` and every setting is read from that map.
 *
 * The file formats and their quirks are the reference's
 * (runtime/envfiles.py), because the same files must give the same values:
 *   dotenv  KEY=VALUE lines; blank lines, '#' lines and lines without '='
 *           ignored; key and value stripped of (Unicode) whitespace; one
 *           pair of matching quotes around the value removed; no escapes,
 *           no expansion, no `export`.
 *   json    one object; strings as they are, null skipped, other values as
 *           Python's str() (True, 1.5), objects and lists as JSON text.
 *   dir     (also directory, dir-of-files) one file per key, in name order;
 *           the value is the content without trailing newlines.
 * Files are UTF-8 read like Python's read_text: CRLF and CR become LF.
 * A missing file is skipped when optional, else an error; the check comes
 * before the type, so a missing optional file of an unknown type is fine.
 * The prefix, if any, is put in front of every key. Later files override.
 */
#include "af_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

af_value *af__env_snapshot(af_arena *a, char **environ)
{
    af_value *m = af_map(a);
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq) continue;
        char *key = af_strndup(a, *e, (size_t)(eq - *e));
        /* the first of duplicate entries wins, as in Python's os.environ */
        if (!af_map_get(m, key)) af_map_set(a, m, key, af_str(a, eq + 1));
    }
    return m;
}

/* ---- reading files like Python's Path.read_text(encoding="utf-8") -------- */

/* Reads path into b. Returns 0, or -1 with err naming the file. */
static int read_all(const char *path, af_buf *b, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return af__err(err, errlen, "env file %s: %s", path, strerror(errno));
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return af__err(err, errlen, "env file %s: %s", path, strerror(e));
        }
        if (n == 0) break;
        af_buf_put(b, chunk, (size_t)n);
    }
    close(fd);
    return 0;
}

/* Strict UTF-8 check (no surrogates, overlongs or bytes past U+10FFFF),
 * then universal newlines: CRLF and lone CR become LF, in place. */
static int decode_text(const char *path, af_buf *b, char *err, size_t errlen)
{
    const unsigned char *u = (const unsigned char *)af_buf_cstr(b);
    for (size_t i = 0; i < b->len;) {
        unsigned cp;
        int n = af__utf8_decode(u + i, b->len - i, &cp);
        /* strict, as Python's decoder: no encoded surrogates either */
        if ((n == 1 && u[i] >= 0x80) || (cp >= 0xd800 && cp <= 0xdfff))
            return af__err(err, errlen, "env file %s: not valid UTF-8 (byte 0x%02x at offset %zu)",
                           path, u[i], i);
        i += (size_t)n;
    }
    size_t w = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->data[i] == '\r') {
            b->data[w++] = '\n';
            if (i + 1 < b->len && b->data[i + 1] == '\n') i++;
        } else {
            b->data[w++] = b->data[i];
        }
    }
    b->len = w;
    if (b->data) b->data[w] = 0;
    return 0;
}

/* Python's str.isspace() for one code point. */
static int py_space(unsigned c)
{
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
           c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Python's str.splitlines() boundaries (after newline translation). */
static int py_linebreak(unsigned c)
{
    return c == '\n' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e) || c == 0x85 ||
           c == 0x2028 || c == 0x2029;
}

/* str.strip(): narrows [*s, *e) past leading and trailing whitespace. */
static void py_strip(const char **s, const char **e)
{
    const unsigned char *p = (const unsigned char *)*s, *end = (const unsigned char *)*e;
    const unsigned char *first = NULL, *last_end = p;
    while (p < end) {
        unsigned cp;
        int n = af__utf8_decode(p, (size_t)(end - p), &cp);
        if (!py_space(cp)) {
            if (!first) first = p;
            last_end = p + n;
        }
        p += n;
    }
    if (!first) {
        *e = *s;
        return;
    }
    *s = (const char *)first;
    *e = (const char *)last_end;
}

/* ---- the three formats ------------------------------------------------------- */

static void parse_dotenv_line(af_arena *a, af_value *out, const char *s, const char *e)
{
    py_strip(&s, &e);
    if (s == e || *s == '#') return;
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (!eq) return;
    const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
    py_strip(&ks, &ke);
    py_strip(&vs, &ve);
    /* one pair of matching quotes; a lone quote character becomes empty,
     * as Python's v[1:-1] makes it */
    if (ve > vs && (*vs == '"' || *vs == '\'') && ve[-1] == *vs) {
        if (ve - vs >= 2) {
            vs++;
            ve--;
        } else {
            ve = vs;
        }
    }
    if (ks == ke) return;
    char *key = af_strndup(a, ks, (size_t)(ke - ks));
    af_map_set(a, out, key, af_strn(a, vs, (size_t)(ve - vs)));
}

static int read_dotenv(af_arena *a, af_value *out, const char *path, char *err, size_t errlen)
{
    af_buf b = {0};
    if (read_all(path, &b, err, errlen) < 0 || decode_text(path, &b, err, errlen) < 0) {
        af_buf_free(&b);
        return -1;
    }
    const char *text = af_buf_cstr(&b), *end = text + b.len, *line = text, *p = text;
    while (p < end) {
        unsigned cp;
        int n = af__utf8_decode((const unsigned char *)p, (size_t)(end - p), &cp);
        if (py_linebreak(cp)) {
            parse_dotenv_line(a, out, line, p);
            line = p + n;
        }
        p += n;
    }
    parse_dotenv_line(a, out, line, end);
    af_buf_free(&b);
    return 0;
}

/* str(v) for a JSON value, as the reference stores it. */
static af_value *py_env_str(af_arena *a, const af_value *v)
{
    if (v->type == AF_STR) return af_strn(a, v->u.s.ptr, v->u.s.len);
    af_buf b = {0};
    if (v->type == AF_LIST || v->type == AF_MAP)
        af_json_write(&b, v, 0); /* json.dumps(v, ensure_ascii=False) */
    else
        af_py_str(&b, v);
    af_value *s = af_strn(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return s;
}

static int read_json(af_arena *a, af_value *out, const char *path, char *err, size_t errlen)
{
    af_buf b = {0};
    if (read_all(path, &b, err, errlen) < 0 || decode_text(path, &b, err, errlen) < 0) {
        af_buf_free(&b);
        return -1;
    }
    af_value *doc = NULL;
    char perr[256];
    int rc = af_json_parse(a, af_buf_cstr(&b), b.len, &doc, perr, sizeof perr);
    af_buf_free(&b);
    if (rc < 0) return af__err(err, errlen, "env file %s: invalid JSON: %s", path, perr);
    if (doc->type != AF_MAP)
        return af__err(err, errlen, "env file %s: json env file must be a JSON object, not %s",
                       path, doc->type == AF_LIST ? "an array" : af_type_name(doc->type));
    for (size_t i = 0; i < doc->u.map.n; i++) {
        const af_value *v = doc->u.map.pairs[i].val;
        if (v->type == AF_NULL) continue;
        af_map_set(a, out, doc->u.map.pairs[i].key, py_env_str(a, v));
    }
    return 0;
}

static int cmp_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int read_dir(af_arena *a, af_value *out, const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
        return af__err(err, errlen, "env file %s: not a directory (type dir)", path);
    DIR *d = opendir(path);
    if (!d) return af__err(err, errlen, "env file %s: %s", path, strerror(errno));
    size_t n = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    struct dirent *de;
    while (names && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (n == cap) {
            char **more = realloc(names, (cap *= 2) * sizeof *names);
            if (!more) break;
            names = more;
        }
        names[n++] = af_strdup(a, de->d_name);
    }
    closedir(d);
    if (!names) return af__err(err, errlen, "env file %s: out of memory", path);
    qsort(names, n, sizeof *names, cmp_names);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *fp = af_sprintf(a, "%s/%s", path, names[i]);
        /* Path.is_file(): follows symlinks; anything else is passed over */
        if (stat(fp, &sb) < 0 || !S_ISREG(sb.st_mode)) continue;
        af_buf b = {0};
        rc = read_all(fp, &b, err, errlen);
        if (rc == 0) rc = decode_text(fp, &b, err, errlen);
        if (rc == 0) {
            size_t len = b.len;
            while (len > 0 && b.data[len - 1] == '\n')
                len--;
            af_map_set(a, out, names[i], af_strn(a, af_buf_cstr(&b), len));
        }
        af_buf_free(&b);
    }
    free(names);
    return rc;
}

/* Loads one file into `out` with the prefix applied (out is not the env:
 * callers merge only after everything loaded). */
static int load_one(af_arena *a, af_value *out, const char *type, const char *path, int optional,
                    const char *prefix, const char *base_dir, char *err, size_t errlen)
{
    if (!path || !*path) path = "."; /* Path("") is "." */
    const char *full = path;
    if (base_dir && *base_dir && path[0] != '/') full = af_sprintf(a, "%s/%s", base_dir, path);

    /* Path.exists(): follows symlinks; only these errors mean "absent" */
    struct stat sb;
    if (stat(full, &sb) < 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
            if (optional) return 0;
            return af__err(err, errlen, "env file not found: %s", full);
        }
        return af__err(err, errlen, "env file %s: %s", full, strerror(errno));
    }

    /* (type or "").strip().lower() */
    const char *ts = type ? type : "", *te = ts + strlen(ts);
    py_strip(&ts, &te);
    char t[32];
    size_t tl = (size_t)(te - ts);
    if (tl >= sizeof t) tl = sizeof t - 1;
    for (size_t i = 0; i < tl; i++)
        t[i] = (ts[i] >= 'A' && ts[i] <= 'Z') ? (char)(ts[i] + 32) : ts[i];
    t[tl] = 0;

    af_value *data = af_map(a);
    int rc;
    if (strcmp(t, "dotenv") == 0)
        rc = read_dotenv(a, data, full, err, errlen);
    else if (strcmp(t, "json") == 0)
        rc = read_json(a, data, full, err, errlen);
    else if (strcmp(t, "dir") == 0 || strcmp(t, "directory") == 0 || strcmp(t, "dir-of-files") == 0)
        rc = read_dir(a, data, full, err, errlen);
    else
        return af__err(err, errlen, "Unsupported env_files type: %s (dotenv, json or dir)",
                       type ? type : "");
    if (rc < 0) return -1;
    for (size_t i = 0; i < data->u.map.n; i++) {
        const char *k = data->u.map.pairs[i].key;
        if (prefix && *prefix) k = af_sprintf(a, "%s%s", prefix, k);
        af_map_set(a, out, k, data->u.map.pairs[i].val);
    }
    return 0;
}

static void merge(af_arena *a, af_value *env, const af_value *data)
{
    for (size_t i = 0; i < data->u.map.n; i++)
        af_map_set(a, env, data->u.map.pairs[i].key, data->u.map.pairs[i].val);
}

int af__envfile_load(af_arena *a, af_value *env, const char *type, const char *path, int optional,
                     const char *prefix, const char *base_dir, char *err, size_t errlen)
{
    af_value *data = af_map(a);
    if (load_one(a, data, type, path, optional, prefix, base_dir, err, errlen) < 0) return -1;
    merge(a, env, data);
    return 0;
}

/* str(it.get(key) or ""): the reference's reading of a spec field. */
static const char *spec_str(af_arena *a, const af_value *item, const char *key)
{
    const af_value *v = af_map_get(item, key);
    if (!v || !af_truthy(v)) return "";
    if (v->type == AF_STR) return v->u.s.ptr;
    af_buf b = {0};
    af_py_str(&b, v);
    char *s = af_strndup(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return s;
}

int af__envfiles_json(af_arena *a, af_value *env, const char *json, char *err, size_t errlen)
{
    if (!json || !*json) return 0; /* unset or empty: nothing to load */
    af_value *doc = NULL;
    char perr[256];
    if (af_json_parse(a, json, strlen(json), &doc, perr, sizeof perr) < 0)
        return af__err(err, errlen, "AETHERFLOW_ENV_FILES_JSON is not valid JSON: %s", perr);
    if (doc->type != AF_LIST)
        return af__err(err, errlen, "AETHERFLOW_ENV_FILES_JSON must be a JSON list, not %s",
                       doc->type == AF_MAP ? "an object" : af_type_name(doc->type));
    /* every spec is checked before any file is read, as the reference does */
    for (size_t i = 0; i < doc->u.list.n; i++)
        if (doc->u.list.items[i]->type != AF_MAP)
            return af__err(err, errlen,
                           "AETHERFLOW_ENV_FILES_JSON[%zu]: env file spec must be an object", i);
    af_value *data = af_map(a);
    for (size_t i = 0; i < doc->u.list.n; i++) {
        const af_value *it = doc->u.list.items[i];
        const af_value *opt = af_map_get(it, "optional");
        char ferr[1024];
        if (load_one(a, data, spec_str(a, it, "type"), spec_str(a, it, "path"),
                     opt ? af_truthy(opt) : 0, spec_str(a, it, "prefix"), NULL, ferr,
                     sizeof ferr) < 0)
            return af__err(err, errlen, "AETHERFLOW_ENV_FILES_JSON[%zu]: %s", i, ferr);
    }
    merge(a, env, data);
    return 0;
}

int af__envfiles_load_list(af_arena *a, af_value *env, const af_envfile_def *defs, unsigned n,
                           const char *base_dir, char *err, size_t errlen)
{
    af_value *data = af_map(a);
    for (unsigned i = 0; i < n; i++) {
        char ferr[1024];
        const char *type = defs[i].type && *defs[i].type ? defs[i].type : "dotenv";
        if (load_one(a, data, type, defs[i].path, defs[i].optional, defs[i].prefix, base_dir, ferr,
                     sizeof ferr) < 0)
            return af__err(err, errlen, "env_files[%u]: %s", i, ferr);
    }
    merge(a, env, data);
    return 0;
}
