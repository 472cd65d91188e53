/*
 * archive_external.c - the `external` archive driver: command templates
 * from the resource's config, as the reference's ExternalArchive.
 *
 * config.zip_cmd and config.unzip_cmd are lists of strings. Each element is
 * formatted like Python's str.format with the names {archive} {dest}
 * {password} {base_dir} {files} ({{ and }} are literal braces); an element
 * that is exactly "{files}" becomes one argument per file. zip_cmd runs in
 * src_dir with {archive} = the temporary archive path; unzip_cmd runs with
 * {dest} = the step's private directory, whose content is checked before it
 * is moved into place. Entries of archives libarchive can read are checked
 * before the command runs too. members are not supported (as in the
 * reference).
 *
 * Example (7-Zip):
 *   zip_cmd:   ["7z", "a", "-tzip", "-p{password}", "{archive}", "{files}"]
 *   unzip_cmd: ["7z", "x", "-y", "-p{password}", "-o{dest}", "{archive}"]
 */
#include "archive_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct ext_impl {
    const af_value *zip_cmd, *unzip_cmd; /* lists of strings, or NULL */
} ext_impl;

static int cfg_argv(const af_value *cfg, const char *key, const af_value **out, char *err,
                    size_t errlen)
{
    const af_value *v = af_map_get(cfg, key);
    *out = NULL;
    if (!v || v->type == AF_NULL) return 0;
    if (v->type != AF_LIST || !v->u.list.n) goto bad;
    for (size_t i = 0; i < v->u.list.n; i++)
        if (v->u.list.items[i]->type != AF_STR) goto bad;
    *out = v;
    return 0;
bad:
    snprintf(err, errlen, "config.%s must be a non-empty list of strings", key);
    return -1;
}

static int ext_open(af_conn *c, char *err, size_t errlen)
{
    const af_value *cfg = af_conn_config(c);
    ext_impl *im = af_alloc(af_conn_arena(c), sizeof *im);
    if (cfg_argv(cfg, "zip_cmd", &im->zip_cmd, err, errlen)) return -1;
    if (cfg_argv(cfg, "unzip_cmd", &im->unzip_cmd, err, errlen)) return -1;
    af_conn_set_impl(c, im);
    return 0;
}

static void ext_close(af_conn *c)
{
    (void)c;
}

typedef struct subst {
    const char *archive, *dest, *password, *base_dir, *files;
} subst;

/* Formats one template element (Python str.format with named fields only). */
static int format_arg(af_arena *a, const char *key, const char *t, const subst *m, const char **out,
                      char *err, size_t errlen)
{
    af_buf b = {0};
    for (const char *p = t; *p;) {
        if (p[0] == '{' && p[1] == '{') {
            af_buf_putc(&b, '{');
            p += 2;
        } else if (p[0] == '}' && p[1] == '}') {
            af_buf_putc(&b, '}');
            p += 2;
        } else if (p[0] == '{') {
            const char *end = strchr(p, '}');
            size_t len = end ? (size_t)(end - p - 1) : 0;
            const char *v = NULL;
            if (end) {
                if (len == 7 && !strncmp(p + 1, "archive", 7))
                    v = m->archive;
                else if (len == 4 && !strncmp(p + 1, "dest", 4))
                    v = m->dest;
                else if (len == 8 && !strncmp(p + 1, "password", 8))
                    v = m->password;
                else if (len == 8 && !strncmp(p + 1, "base_dir", 8))
                    v = m->base_dir;
                else if (len == 5 && !strncmp(p + 1, "files", 5))
                    v = m->files;
            }
            if (!v) {
                snprintf(err, errlen,
                         "config.%s: unknown placeholder in '%s' (use {archive} {dest} "
                         "{password} {base_dir} {files}, and {{ }} for braces)",
                         key, t);
                af_buf_free(&b);
                return -1;
            }
            af_buf_puts(&b, v);
            p = end + 1;
        } else if (p[0] == '}') {
            snprintf(err, errlen, "config.%s: single '}' in '%s' (write }} for a brace)", key, t);
            af_buf_free(&b);
            return -1;
        } else {
            af_buf_putc(&b, *p++);
        }
    }
    *out = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return 0;
}

/* Builds argv from a template list; "{files}" alone expands to files. */
static int build_argv(af_arena *a, const char *key, const af_value *tmpl, const subst *m,
                      const af_archive_file *files, size_t nfiles, const char ***out, char *err,
                      size_t errlen)
{
    size_t n = 0, cap = tmpl->u.list.n + nfiles + 1;
    const char **argv = af_alloc(a, cap * sizeof *argv);
    for (size_t i = 0; i < tmpl->u.list.n; i++) {
        const char *t = tmpl->u.list.items[i]->u.s.ptr;
        if (files && !strcmp(t, "{files}")) {
            for (size_t j = 0; j < nfiles; j++)
                argv[n++] = files[j].name;
            continue;
        }
        if (format_arg(a, key, t, m, &argv[n++], err, errlen)) return -1;
    }
    argv[n] = NULL;
    if (!argv[0] || !argv[0][0]) {
        snprintf(err, errlen, "config.%s: the command is empty", key);
        return -1;
    }
    *out = argv;
    return 0;
}

static int ext_create(af_conn *c, af_arena *a, const af_archive_create_req *req, af_value **result,
                      char *err, size_t errlen)
{
    const ext_impl *im = af_conn_impl(c);
    if (!im->zip_cmd) {
        snprintf(err, errlen, "driver external needs config.zip_cmd (a list of strings)");
        return -1;
    }
    af_buf joined = {0};
    for (size_t i = 0; i < req->nfiles; i++) {
        if (i) af_buf_putc(&joined, ' ');
        af_buf_puts(&joined, req->files[i].name);
    }
    subst m = {req->tmp_output, "", req->password ? req->password : "", req->base_dir,
               af_strdup(a, af_buf_cstr(&joined))};
    af_buf_free(&joined);
    const char **argv;
    if (build_argv(a, "zip_cmd", im->zip_cmd, &m, req->files, req->nfiles, &argv, err, errlen))
        return -1;
    if (af__arc_run_tool("driver external", argv, req->base_dir, req->password, req->cancelled,
                         req->ud, NULL, err, errlen))
        return -1;
    struct stat st;
    if (stat(req->tmp_output, &st) || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen,
                 "driver external: the zip_cmd did not write the archive at {archive}");
        return -1;
    }
    af_value *r = af_map(a);
    af_map_set(a, r, "output", af_str(a, req->output));
    af_map_set(a, r, "count", af_int(a, (int64_t)req->nfiles));
    af_map_set(a, r, "password", af_bool(req->password != NULL));
    af_map_set(a, r, "driver", af_str(a, "external"));
    *result = r;
    return 0;
}

static int ext_extract(af_conn *c, af_arena *a, const af_archive_extract_req *req,
                       af_value **result, char *err, size_t errlen)
{
    const ext_impl *im = af_conn_impl(c);
    if (req->members && req->nmembers) {
        snprintf(err, errlen, "driver external cannot extract selected members");
        return -1;
    }
    if (!im->unzip_cmd) {
        snprintf(err, errlen, "driver external needs config.unzip_cmd (a list of strings)");
        return -1;
    }
    /* a format libarchive reads is checked first; others only at the commit */
    if (af__arc_check_entries(req->archive, -1, req->password, err, errlen) == -2) return -1;
    subst m = {req->archive, req->work_dir, req->password ? req->password : "", "", ""};
    const char **argv;
    if (build_argv(a, "unzip_cmd", im->unzip_cmd, &m, NULL, 0, &argv, err, errlen)) return -1;
    if (af__arc_run_tool("driver external", argv, NULL, req->password, req->cancelled, req->ud,
                         NULL, err, errlen))
        return -1;
    af_value *r = af_map(a);
    af_map_set(a, r, "dest_dir", af_str(a, req->dest_dir));
    af_map_set(a, r, "password", af_bool(req->password != NULL));
    af_map_set(a, r, "driver", af_str(a, "external"));
    *result = r;
    return 0;
}

static const af_archive_ops ext_ops = {
    .create = ext_create,
    .extract = ext_extract,
    .list = NULL, /* the commands say how to create and extract, not how to list */
};

static const af_input ext_config[] = {
    {"zip_cmd", AF_TY_LIST | AF_TY_NULL, 0, NULL, NULL,
     "argv template to create: {archive} {password} {base_dir} {files}"},
    {"unzip_cmd", AF_TY_LIST | AF_TY_NULL, 0, NULL, NULL,
     "argv template to extract: {archive} {dest} {password}"},
    {NULL},
};

const af_driver af_driver_archive_external = {
    .abi = AF_ABI_VERSION,
    .kind = "archive",
    .name = "external",
    .aliases = NULL,
    .summary = "any archiver through command templates (7z, bsdtar, ...)",
    .config = ext_config,
    .options = NULL,
    .open = ext_open,
    .close = ext_close,
    .ops = &ext_ops,
    .libs = "-larchive",
};
