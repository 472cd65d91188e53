/*
 * zip.c - the `zip` step: packs files, directories and globs into one
 * archive (zip by default; tar.gz and tar.zst too) through an archive
 * connector.
 *
 * Semantics follow the reference's ZipCreate: items resolved like every
 * step path (relative: under the job's artifacts), directories taken
 * recursively, only the last component of a glob may hold wildcards,
 * candidates sorted as Python sorts paths and de-duplicated, names inside
 * the archive relative to src_dir, and nothing outside src_dir (symlinks
 * included). No file: SKIPPED with output and count 0, reason no_files.
 *
 * The archive is written into a private directory beside dest_path and
 * renamed over it only when complete, so a failed or cancelled run leaves
 * the previous file (or none) in place.
 */
#include "archive_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static int cancelled(void *ud)
{
    return af_cancelled(ud);
}

/* str(v) as the reference applies it to items and map values. */
static const char *py_str(af_arena *a, const af_value *v)
{
    if (v->type == AF_STR) return v->u.s.ptr;
    af_buf b = {0};
    af_py_str(&b, v);
    const char *s = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return s;
}

/* A base directory with symlinks resolved, so names and containment compare
 * like for like; as given when it does not exist (then nothing is under it). */
static const char *real_dir(af_step *s, const char *p)
{
    char *rp = realpath(p, NULL);
    const char *r = rp ? af_strdup(af_arena_of(s), rp) : p;
    free(rp);
    return r;
}

static int collect(af_step *s, const af_value *items, int recursive, af__arc_paths *ps)
{
    af_arena *a = af_arena_of(s);
    char err[1024];
    for (size_t i = 0; i < items->u.list.n; i++) {
        const af_value *it = items->u.list.items[i];
        const char *raw, *p;
        int glob;
        if (it->type == AF_MAP) {
            const af_value *v;
            if ((v = af_map_get(it, "path"))) {
                raw = py_str(a, v);
                glob = 0;
            } else if ((v = af_map_get(it, "glob"))) {
                raw = py_str(a, v);
                glob = 1;
            } else {
                af_fail(s, "zip inputs item dict must have 'path' or 'glob' (items[%zu])", i);
                return -1;
            }
        } else {
            raw = py_str(a, it);
            glob = af__arc_is_glob(raw);
        }
        if (af_path(s, "items", raw, &p)) return -1;
        int r = glob ? af__arc_add_glob(ps, p, recursive, err, sizeof err)
                     : af__arc_add_path(ps, p, recursive, err, sizeof err);
        if (r) {
            af_fail(s, "%s", err);
            return -1;
        }
    }
    return 0;
}

static af_status zip_run(af_step *s)
{
    af_arena *a = af_arena_of(s);
    const char *dest, *out_path, *src_in = NULL, *base, *password, *compression, *format;
    int recursive, overwrite;
    char err[1024];

    if (af_in_str(s, "dest_path", NULL, &dest)) return AF_FAILED;
    if (!dest) return af_fail(s, "zip inputs.dest_path is required");
    if (af_path(s, "dest_path", dest, &out_path)) return AF_FAILED;
    const af_value *items = af_in(s, "items");
    if (!items || items->type != AF_LIST) return af_fail(s, "zip inputs.items must be a list");
    const af_value *sv = af_in(s, "src_dir");
    if (sv && af_truthy(sv) && af_in_str(s, "src_dir", NULL, &src_in)) return AF_FAILED;
    if (src_in && *src_in) {
        const char *p;
        if (af_path(s, "src_dir", src_in, &p)) return AF_FAILED;
        base = real_dir(s, p);
    } else {
        base = real_dir(s, af_artifacts_dir(s));
    }
    if (af_in_bool(s, "recursive", 1, &recursive) || af_in_bool(s, "overwrite", 1, &overwrite) ||
        af__arc_password(s, &password) || af_in_str(s, "compression", "deflated", &compression) ||
        af_in_str(s, "format", "zip", &format))
        return AF_FAILED;
    if (strcasecmp(compression, "deflated") && strcasecmp(compression, "stored"))
        return af_fail(s, "compression must be 'deflated' or 'stored', not '%s'", compression);
    int fmt = af__arc_format(format);
    if (fmt < 0) return af_fail(s, "format must be zip, tar.gz or tar.zst, not '%s'", format);

    af__arc_paths ps = {.a = a};
    if (collect(s, items, recursive, &ps)) return AF_FAILED;
    af_archive_file *files;
    size_t nfiles;
    if (af__arc_finish(&ps, base, out_path, &files, &nfiles, err, sizeof err))
        return af_fail(s, "%s", err);
    if (nfiles == 0) {
        af_out_set(s, "output", af_str(a, out_path));
        af_out_set(s, "count", af_int(a, 0));
        return af_skip(s, "no_files");
    }
    struct stat st;
    if (!overwrite && !lstat(out_path, &st))
        return af_fail(s, "dest_path '%s' already exists and overwrite is false", out_path);

    af_conn *c = af__arc_resolve(s, password != NULL);
    if (!c) return AF_FAILED;
    const af_archive_ops *ops = af_conn_driver(c)->ops;
    if (!ops->create)
        return af_fail(s, "archive driver '%s' cannot create archives", af_conn_driver(c)->name);

    /* the private directory beside the output: same file system, so the
     * final rename is atomic */
    char *dir = af_strdup(a, out_path), *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = 0;
    else
        *slash = 0;
    if (af__arc_mkdirs(dir))
        return af_fail(s, "cannot create directory '%s': %s", dir, strerror(errno));
    char tmp[PATH_MAX];
    if (af__arc_tmpdir(dir, tmp, sizeof tmp, err, sizeof err)) return af_fail(s, "%s", err);

    af_archive_create_req req = {0};
    req.output = out_path;
    req.tmp_output = af_sprintf(a, "%s/archive%s", tmp, af__arc_suffix(fmt));
    req.base_dir = base;
    req.files = files;
    req.nfiles = nfiles;
    req.format = format;
    req.compression = !strcasecmp(compression, "stored") ? "stored" : "deflated";
    req.password = password;
    req.cancelled = cancelled;
    req.ud = s;
    af_value *res = NULL;
    int rc = ops->create(c, a, &req, &res, err, sizeof err);
    if (rc == 0) rc = af__arc_commit_file(req.tmp_output, out_path, overwrite, err, sizeof err);
    af__arc_rmtree(tmp);
    if (rc) return af_fail(s, "%s", err);

    for (size_t i = 0; res && res->type == AF_MAP && i < res->u.map.n; i++)
        af_out_set(s, res->u.map.pairs[i].key, res->u.map.pairs[i].val);
    af_out_set(s, "src_dir", af_str(a, base));
    af_kv kv[] = {AF_KS("output", out_path),
                  AF_KI("count", (int64_t)nfiles),
                  AF_KS("driver", af_conn_driver(c)->name),
                  AF_KS("format", format),
                  {0}};
    af_log(s, AF_INFO, "archive_created", kv);
    return AF_SUCCESS;
}

/* Build-time checks of literal inputs. */
static void zip_check(af_check *c, const af_value *in)
{
    const af_value *v = af_map_get(in, "compression");
    if (v && v->type == AF_STR && !af_check_is_template(c, v) &&
        strcasecmp(v->u.s.ptr, "deflated") && strcasecmp(v->u.s.ptr, "stored"))
        af_check_error(c, "compression", "compression must be 'deflated' or 'stored', not '%s'",
                       v->u.s.ptr);
    v = af_map_get(in, "items");
    for (size_t i = 0; v && v->type == AF_LIST && i < v->u.list.n; i++) {
        const af_value *it = v->u.list.items[i];
        if (it->type == AF_MAP && !af_map_get(it, "path") && !af_map_get(it, "glob"))
            af_check_error(c, "items", "items[%zu]: a map item needs 'path' or 'glob'", i);
    }
}

static const af_input zip_inputs[] = {
    {"dest_path", AF_TY_STR, 1, NULL, NULL,
     "archive to write (relative: under the job's artifacts)"},
    {"items", AF_TY_LIST, 1, NULL, NULL,
     "files, directories, globs, or {path: ...} / {glob: ...} maps"},
    {"src_dir", AF_TY_STR | AF_TY_NULL, 0, "null", NULL,
     "names inside the archive are relative to it (default: the job's artifacts)"},
    {"recursive", AF_TY_BOOL, 0, "true", NULL, "take directories with everything below them"},
    {"overwrite", AF_TY_BOOL, 0, "true", NULL,
     "replace an existing dest_path (false: fail when it exists)"},
    {"password", AF_TY_STR | AF_TY_NULL, 0, "null", NULL,
     "encrypt as the archive driver does (default driver: AES-256)"},
    {"compression", AF_TY_STR, 0, "\"deflated\"", NULL, "deflated or stored (zip)"},
    {"format", AF_TY_STR, 0, "\"zip\"", "zip|tar.gz|tar.zst", "archive format"},
    {"resource", AF_TY_STR | AF_TY_NULL, 0, "null", NULL, "archive resource (kind archive)"},
    {"connector", AF_TY_STR | AF_TY_NULL, 0, "null", NULL, "same as resource"},
    {NULL},
};

static const af_output zip_outputs[] = {
    {"output", "string", "the archive written (absolute)"},
    {"count", "int", "files in the archive (0 when skipped)"},
    {"password", "bool", "whether a password was used"},
    {"driver", "string", "the archive driver that wrote it"},
    {"src_dir", "string", "the base directory of the names (absolute)"},
    {"reason", "string", "no_files when SKIPPED"},
    {NULL},
};

const af_step_desc af_step_zip = {
    .abi = AF_ABI_VERSION,
    .name = "zip",
    .summary = "pack files, directories and globs into a zip (or tar.gz, tar.zst) archive",
    .inputs = zip_inputs,
    .outputs = zip_outputs,
    .resource_kinds = "archive",
    .flags = 0,
    .run = zip_run,
    .check = zip_check,
    .libs = "-larchive",
    .help = "Files are taken in a fixed order (sorted paths, no duplicates) and must lie under\n"
            "src_dir, also once symlinks are followed. No matching file: SKIPPED, count 0.\n"
            "See afc-archive(7).",
};
