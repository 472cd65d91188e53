/*
 * unzip.c - the `unzip` step: extracts one or more archives under dest_dir
 * through an archive connector, in the reference's folder layout.
 *
 * Per archive (the reference's ZipExtract): skipped when it does not exist
 * or is a directory; under src_dir it lands in dest_dir/<its parent
 * relative to src_dir>, or with private_zip_folder in dest_dir/<its path
 * relative to src_dir without the suffix>; elsewhere in
 * dest_dir/<its file name>.
 *
 * Safety: the driver writes into a fresh private directory inside that
 * folder; the tree is then checked as a whole (symlinks must stay inside,
 * no special files, nothing written through a symlink already in the
 * destination) and only then moved into place. A refused or failed archive
 * (zip-slip entry, wrong password, missing member, cancellation) leaves no
 * file of it behind.
 */
#include "archive_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cancelled(void *ud)
{
    return af_cancelled(ud);
}

static const char *py_str(af_arena *a, const af_value *v)
{
    if (v->type == AF_STR) return v->u.s.ptr;
    af_buf b = {0};
    af_py_str(&b, v);
    const char *s = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return s;
}

static af_status unzip_run(af_step *s)
{
    af_arena *a = af_arena_of(s);
    const af_value *av = af_in(s, "archives");
    const char **archives;
    size_t narch = 0;
    char err[1024];

    /* no archives: success with no outputs, as the reference returns {} */
    if (!av || av->type == AF_NULL) return AF_SUCCESS;
    if (av->type == AF_STR) {
        archives = af_alloc(a, sizeof *archives);
        archives[narch++] = av->u.s.ptr;
    } else if (av->type == AF_LIST) {
        archives = af_alloc(a, (av->u.list.n + 1) * sizeof *archives);
        for (size_t i = 0; i < av->u.list.n; i++)
            archives[narch++] = py_str(a, av->u.list.items[i]);
    } else {
        return af_fail(s, "unzip inputs.archives must be a path or a list of paths");
    }
    if (narch == 0) return AF_SUCCESS;

    const char *src_in = NULL, *src_dir, *dest_in, *dest_dir, *password, *format;
    const af_value *sv = af_in(s, "src_dir");
    if (sv && af_truthy(sv) && af_in_str(s, "src_dir", NULL, &src_in)) return AF_FAILED;
    const char *src_path = src_in && *src_in ? NULL : af_artifacts_dir(s);
    if (src_in && *src_in && af_path(s, "src_dir", src_in, &src_path)) return AF_FAILED;
    /* compared with resolved archive paths, so resolved too (when it exists) */
    char *rp = realpath(src_path, NULL);
    src_dir = rp ? af_strdup(a, rp) : src_path;
    free(rp);
    if (af_in_str(s, "dest_dir", NULL, &dest_in)) return AF_FAILED;
    if (!dest_in) return af_fail(s, "unzip inputs.dest_dir is required");
    if (af_path(s, "dest_dir", dest_in, &dest_dir)) return AF_FAILED;
    if (af__arc_mkdirs(dest_dir))
        return af_fail(s, "cannot create dest_dir '%s': %s", dest_dir, strerror(errno));

    int overwrite, private_folder;
    if (af_in_bool(s, "overwrite", 1, &overwrite) ||
        af_in_bool(s, "private_zip_folder", 0, &private_folder) || af__arc_password(s, &password) ||
        af_in_str(s, "format", "zip", &format))
        return AF_FAILED;
    int fmt = af__arc_format(format);
    if (fmt < 0) return af_fail(s, "format must be zip, tar.gz or tar.zst, not '%s'", format);

    const char **members = NULL;
    size_t nmembers = 0;
    const af_value *mv = af_in(s, "members");
    if (mv && mv->type != AF_NULL) {
        if (mv->type != AF_LIST)
            return af_fail(s, "unzip inputs.members must be a list when provided");
        members = af_alloc(a, (mv->u.list.n + 1) * sizeof *members);
        for (size_t i = 0; i < mv->u.list.n; i++)
            members[nmembers++] = py_str(a, mv->u.list.items[i]);
        if (!nmembers) members = NULL; /* an empty list means every entry */
    }

    af_conn *c = af__arc_resolve(s, password != NULL);
    if (!c) return AF_FAILED;
    const af_archive_ops *ops = af_conn_driver(c)->ops;
    if (!ops->extract)
        return af_fail(s, "archive driver '%s' cannot extract archives", af_conn_driver(c)->name);

    af_value *unzipped = af_list(a);
    for (size_t i = 0; i < narch; i++) {
        const char *ap;
        struct stat st;
        if (af_cancelled(s)) return af_fail(s, "cancelled");
        if (af_path(s, "archives", archives[i], &ap)) return AF_FAILED;
        if (stat(ap, &st) || S_ISDIR(st.st_mode)) {
            af_kv kv[] = {AF_KS("archive", ap), {0}};
            af_log(s, AF_DEBUG, "archive_not_found", kv);
            continue;
        }
        const char *out_dir = af__arc_out_dir(a, ap, src_dir, dest_dir, private_folder, fmt);
        if (af__arc_mkdirs(out_dir))
            return af_fail(s, "cannot create '%s': %s", out_dir, strerror(errno));
        char work[PATH_MAX];
        if (af__arc_tmpdir(out_dir, work, sizeof work, err, sizeof err))
            return af_fail(s, "%s", err);

        af_archive_extract_req req = {0};
        req.archive = ap;
        req.dest_dir = out_dir;
        req.work_dir = work;
        req.format = format;
        req.password = password;
        req.overwrite = overwrite;
        req.members = members;
        req.nmembers = nmembers;
        req.cancelled = cancelled;
        req.ud = s;
        af_value *res = NULL;
        int rc = ops->extract(c, a, &req, &res, err, sizeof err);
        if (rc == 0) rc = af__arc_commit_tree(work, out_dir, overwrite, err, sizeof err);
        af__arc_rmtree(work);
        if (rc) return af_fail(s, "%s", err);
        af_list_push(a, unzipped, res ? res : af_map(a));
        af_kv kv[] = {AF_KS("archive", ap),
                      AF_KS("dest_dir", out_dir),
                      AF_KS("driver", af_conn_driver(c)->name),
                      {0}};
        af_log(s, AF_INFO, "archive_extracted", kv);
    }
    af_out_set(s, "unzipped", unzipped);
    af_out_set(s, "dest_dir", af_str(a, dest_dir));
    return AF_SUCCESS;
}

static void unzip_check(af_check *c, const af_value *in)
{
    const af_value *v = af_map_get(in, "members");
    if (v && v->type != AF_NULL && v->type != AF_LIST && !af_check_is_template(c, v))
        af_check_error(c, "members", "members must be a list of entry names");
}

static const af_input unzip_inputs[] = {
    {"archives", AF_TY_STR | AF_TY_LIST | AF_TY_NULL, 1, NULL, NULL,
     "archive path or list of paths (relative: under the job's artifacts)"},
    {"dest_dir", AF_TY_STR, 1, NULL, NULL,
     "where to extract (relative: under the job's artifacts)"},
    {"src_dir", AF_TY_STR | AF_TY_NULL, 0, "null", NULL,
     "base for each archive's folder under dest_dir (default: the job's artifacts)"},
    {"members", AF_TY_LIST | AF_TY_NULL, 0, "null", NULL, "extract only these entry names"},
    {"private_zip_folder", AF_TY_BOOL, 0, "false", NULL,
     "one folder per archive, named after it without its suffix"},
    {"password", AF_TY_STR | AF_TY_NULL, 0, "null", NULL,
     "password of encrypted archives (ZipCrypto or AES)"},
    {"overwrite", AF_TY_BOOL, 0, "true", NULL,
     "replace existing files (false: keep them and skip those entries)"},
    {"format", AF_TY_STR, 0, "\"zip\"", "zip|tar.gz|tar.zst", "archive format"},
    {"resource", AF_TY_STR | AF_TY_NULL, 0, "null", NULL, "archive resource (kind archive)"},
    {"connector", AF_TY_STR | AF_TY_NULL, 0, "null", NULL, "same as resource"},
    {NULL},
};

static const af_output unzip_outputs[] = {
    {"unzipped", "list[map]",
     "per archive extracted: dest_dir, files (libarchive-based drivers), password, driver"},
    {"dest_dir", "string", "dest_dir (absolute)"},
    {NULL},
};

const af_step_desc af_step_unzip = {
    .abi = AF_ABI_VERSION,
    .name = "unzip",
    .summary = "extract zip (or tar.gz, tar.zst) archives safely under a directory",
    .inputs = unzip_inputs,
    .outputs = unzip_outputs,
    .resource_kinds = "archive",
    .flags = 0,
    .run = unzip_run,
    .check = unzip_check,
    .libs = "-larchive",
    .help = "Entries with absolute paths, '..' components or symlinks leading outside are\n"
            "refused; a refused archive leaves nothing behind. See afc-archive(7).",
};
