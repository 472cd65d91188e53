/*
 * archive_os.c - the `os` archive driver: Info-ZIP `zip` and `unzip` found
 * on PATH, as the reference's OsZipArchive runs them.
 *
 * create: `zip [-q] -r TMP [-P PASSWORD] [-0] -- NAMES...` in src_dir, so
 * the names inside the archive are the relative names the step chose. A
 * password means ZipCrypto (what `zip -P` writes); it is visible in the
 * process list while zip runs, as with the reference.
 * extract: the archive's entries are checked with libarchive first (names,
 * link targets), then `unzip [-q] -o [-P PASSWORD] ARCHIVE [MEMBERS...] -d
 * WORK` writes into the step's private directory, which the step checks
 * again before moving anything into place.
 *
 * Config: zip_cmd (default "zip"), unzip_cmd (default "unzip"), quiet
 * (default true). Format zip only.
 */
#include "archive_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct os_impl {
    const char *zip_cmd, *unzip_cmd;
    int quiet;
} os_impl;

static int cfg_cmd(const af_value *cfg, const char *key, const char *def, const char **out,
                   char *err, size_t errlen)
{
    const af_value *v = af_map_get(cfg, key);
    *out = def;
    if (!v || v->type == AF_NULL || (v->type == AF_STR && !v->u.s.len)) return 0;
    if (v->type != AF_STR) {
        snprintf(err, errlen, "config.%s must be a string (a command name or path)", key);
        return -1;
    }
    *out = v->u.s.ptr;
    return 0;
}

static int os_open(af_conn *c, char *err, size_t errlen)
{
    const af_value *cfg = af_conn_config(c);
    os_impl *im = af_alloc(af_conn_arena(c), sizeof *im);
    if (cfg_cmd(cfg, "zip_cmd", "zip", &im->zip_cmd, err, errlen)) return -1;
    if (cfg_cmd(cfg, "unzip_cmd", "unzip", &im->unzip_cmd, err, errlen)) return -1;
    const af_value *q = af_map_get(cfg, "quiet");
    im->quiet = 1;
    if (q && q->type != AF_NULL && af_to_bool(q, &im->quiet) < 0) {
        snprintf(err, errlen, "config.quiet must be a boolean (true or false)");
        return -1;
    }
    af_conn_set_impl(c, im);
    return 0;
}

static void os_close(af_conn *c)
{
    (void)c;
}

static int zip_only(const char *format, char *err, size_t errlen)
{
    if (af__arc_format(format) == AF__ARC_ZIP) return 0;
    snprintf(err, errlen, "driver os handles format zip only (got '%s'); use driver libarchive",
             format);
    return -1;
}

static int os_create(af_conn *c, af_arena *a, const af_archive_create_req *req, af_value **result,
                     char *err, size_t errlen)
{
    const os_impl *im = af_conn_impl(c);
    if (zip_only(req->format, err, errlen)) return -1;
    const char **argv = af_alloc(a, (req->nfiles + 10) * sizeof *argv);
    size_t n = 0;
    argv[n++] = im->zip_cmd;
    if (im->quiet) argv[n++] = "-q";
    argv[n++] = "-r";
    argv[n++] = req->tmp_output;
    if (req->password) {
        argv[n++] = "-P";
        argv[n++] = req->password;
    }
    if (req->compression && !strcasecmp(req->compression, "stored")) argv[n++] = "-0";
    argv[n++] = "--";
    for (size_t i = 0; i < req->nfiles; i++)
        argv[n++] = req->files[i].name;
    argv[n] = NULL;
    if (af__arc_run_tool("driver os", argv, req->base_dir, req->password, req->cancelled, req->ud,
                         NULL, err, errlen))
        return -1;
    af_value *r = af_map(a);
    af_map_set(a, r, "output", af_str(a, req->output));
    af_map_set(a, r, "count", af_int(a, (int64_t)req->nfiles));
    af_map_set(a, r, "password", af_bool(req->password != NULL));
    af_map_set(a, r, "driver", af_str(a, "os"));
    *result = r;
    return 0;
}

static int os_extract(af_conn *c, af_arena *a, const af_archive_extract_req *req, af_value **result,
                      char *err, size_t errlen)
{
    const os_impl *im = af_conn_impl(c);
    if (zip_only(req->format, err, errlen)) return -1;
    /* unzip quietly strips "../" and leading "/": refuse such archives instead */
    if (af__arc_check_entries(req->archive, AF__ARC_ZIP, req->password, err, errlen) == -2)
        return -1;
    const char **argv = af_alloc(a, (req->nmembers + 12) * sizeof *argv);
    size_t n = 0;
    argv[n++] = im->unzip_cmd;
    if (im->quiet) argv[n++] = "-q";
    argv[n++] = "-o"; /* the work directory is empty; overwrite applies at the commit */
    if (req->password) {
        argv[n++] = "-P";
        argv[n++] = req->password;
    }
    argv[n++] = req->archive;
    for (size_t i = 0; req->members && i < req->nmembers; i++)
        argv[n++] = req->members[i];
    argv[n++] = "-d";
    argv[n++] = req->work_dir;
    argv[n] = NULL;
    int code;
    if (af__arc_run_tool("driver os", argv, NULL, req->password, req->cancelled, req->ud, &code,
                         err, errlen)) {
        /* unzip's own status codes for the two usual mistakes */
        if (code == 82)
            snprintf(err, errlen, "wrong password for '%s' (unzip exit status 82)", req->archive);
        else if (code == 11 && req->members)
            snprintf(err, errlen, "a member was not found in '%s' (unzip exit status 11)",
                     req->archive);
        return -1;
    }
    af_value *r = af_map(a);
    af_map_set(a, r, "dest_dir", af_str(a, req->dest_dir));
    af_map_set(a, r, "password", af_bool(req->password != NULL));
    af_map_set(a, r, "driver", af_str(a, "os"));
    *result = r;
    return 0;
}

static int os_list(af_conn *c, af_arena *a, const char *archive, const char *format,
                   const char *password, af_value **names, char *err, size_t errlen)
{
    (void)c;
    if (zip_only(format, err, errlen)) return -1;
    return af__arc_list_names(a, archive, format, password, names, err, errlen);
}

static const af_archive_ops os_ops = {
    .create = os_create,
    .extract = os_extract,
    .list = os_list,
};

static const af_input os_config[] = {
    {"zip_cmd", AF_TY_STR | AF_TY_NULL, 0, "\"zip\"", NULL, "the zip program (name or path)"},
    {"unzip_cmd", AF_TY_STR | AF_TY_NULL, 0, "\"unzip\"", NULL, "the unzip program"},
    {"quiet", AF_TY_BOOL | AF_TY_NULL, 0, "true", NULL, "pass -q to both"},
    {NULL},
};

const af_driver af_driver_archive_os = {
    .abi = AF_ABI_VERSION,
    .kind = "archive",
    .name = "os",
    .aliases = NULL,
    .summary = "Info-ZIP zip and unzip from PATH (a password means ZipCrypto)",
    .config = os_config,
    .options = NULL,
    .open = os_open,
    .close = os_close,
    .ops = &os_ops,
    .libs = "-larchive",
};
