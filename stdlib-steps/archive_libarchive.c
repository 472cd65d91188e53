/*
 * archive_libarchive.c - archive drivers built on libarchive, and the
 * connector resolution the zip and unzip steps share.
 *
 * One engine (archive_core.c), four names. `libarchive` is ours and takes
 * config.encryption. The other three are the reference implementation's
 * Python drivers, kept so its YAML compiles unchanged, each with the
 * encryption it had:
 *   pyzipper   AES (config.aes_strength 128 or 256) when a password is given
 *   zipfile    never encrypts; a password on create is an error
 *   pyminizip  ZipCrypto, and a password is required (config.level, default 5)
 * All four read every zip libarchive reads (plain, ZipCrypto, AES) and the
 * tar.gz / tar.zst formats.
 */
#include "archive_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

enum { PW_FORBID, PW_ALLOW, PW_REQUIRE };

typedef struct la_impl {
    const char *driver; /* reported as "driver" */
    int enc;            /* AF__ENC_* used when a password is given */
    int level;          /* -1: default */
    int password_rule;  /* PW_* on create */
    char cfg_err[200];  /* a config problem that matters only for encrypted writes */
} la_impl;

static int fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

/* config[key] as a string: NULL when absent or null; -1 on another type. */
static int cfg_str(const af_value *cfg, const char *key, const char **out)
{
    const af_value *v = af_map_get(cfg, key);
    *out = NULL;
    if (!v || v->type == AF_NULL) return 0;
    if (v->type != AF_STR) return -1;
    *out = v->u.s.ptr;
    return 0;
}

/* config[key] as an integer, converted by af_to_int (the typed readers'
 * rule): 1 found, 0 absent or null, -1 bad. */
static int cfg_int(const af_value *cfg, const char *key, long *out)
{
    const af_value *v = af_map_get(cfg, key);
    int64_t n;
    if (!v || v->type == AF_NULL) return 0;
    if (af_to_int(v, &n) < 0 || n < LONG_MIN || n > LONG_MAX) return -1;
    *out = (long)n;
    return 1;
}

static int la_open(af_conn *c, char *err, size_t errlen)
{
    const af_driver *d = af_conn_driver(c);
    const af_value *cfg = af_conn_config(c);
    la_impl *im = af_alloc(af_conn_arena(c), sizeof *im);
    const char *enc;
    long n;
    im->driver = d->name;
    im->level = -1;
    im->password_rule = PW_ALLOW;
    if (!strcmp(d->name, "zipfile")) {
        im->password_rule = PW_FORBID;
    } else if (!strcmp(d->name, "pyminizip")) {
        im->password_rule = PW_REQUIRE;
        im->enc = AF__ENC_ZIPCRYPTO;
        im->level = 5;
        int r = cfg_int(cfg, "level", &n);
        if (r < 0 || (r > 0 && (n < 0 || n > 9)))
            return fail(err, errlen, "config.level must be an integer from 0 to 9");
        if (r > 0 && n > 0) im->level = (int)n; /* 0 means the default, as in the reference */
    } else if (!strcmp(d->name, "pyzipper")) {
        im->enc = AF__ENC_AES256;
        if (cfg_str(cfg, "encryption", &enc))
            return fail(err, errlen, "config.encryption must be a string");
        if (enc && *enc && strcasecmp(enc, "aes")) {
            snprintf(im->cfg_err, sizeof im->cfg_err, "%s",
                     !strcasecmp(enc, "zipcrypto")
                         ? "driver pyzipper writes AES only; for ZipCrypto use driver pyminizip, "
                           "os, or libarchive with encryption: zipcrypto"
                         : "config.encryption of driver pyzipper must be 'aes'");
        }
        int r = cfg_int(cfg, "aes_strength", &n);
        if (r < 0 || (r > 0 && n != 128 && n != 192 && n != 256))
            snprintf(im->cfg_err, sizeof im->cfg_err, "config.aes_strength must be 128/192/256");
        else if (r > 0 && n == 192)
            snprintf(im->cfg_err, sizeof im->cfg_err,
                     "config.aes_strength 192 is not supported (libarchive writes AES-128 and "
                     "AES-256)");
        else if (r > 0 && n == 128)
            im->enc = AF__ENC_AES128;
    } else { /* libarchive */
        im->enc = AF__ENC_AES256;
        if (cfg_str(cfg, "encryption", &enc))
            return fail(err, errlen, "config.encryption must be a string");
        if (!enc || !*enc || !strcasecmp(enc, "aes256") || !strcasecmp(enc, "aes"))
            im->enc = AF__ENC_AES256;
        else if (!strcasecmp(enc, "aes128"))
            im->enc = AF__ENC_AES128;
        else if (!strcasecmp(enc, "zipcrypto"))
            im->enc = AF__ENC_ZIPCRYPTO;
        else if (!strcasecmp(enc, "none"))
            im->password_rule = PW_FORBID;
        else
            return fail(err, errlen,
                        "config.encryption must be one of aes256, aes128, zipcrypto, none");
        int r = cfg_int(cfg, "level", &n);
        if (r < 0 || (r > 0 && (n < 0 || n > 22)))
            return fail(err, errlen, "config.level must be an integer (0-9 for zip and tar.gz)");
        if (r > 0) im->level = (int)n;
    }
    af_conn_set_impl(c, im);
    return 0;
}

static void la_close(af_conn *c)
{
    (void)c; /* everything lives in the connector's arena */
}

static int la_create(af_conn *c, af_arena *a, const af_archive_create_req *req, af_value **result,
                     char *err, size_t errlen)
{
    const la_impl *im = af_conn_impl(c);
    af__arc_wopts o = {0};
    o.format = af__arc_format(req->format);
    if (o.format < 0) {
        snprintf(err, errlen, "unknown archive format '%s'", req->format);
        return -1;
    }
    o.stored = req->compression && !strcasecmp(req->compression, "stored");
    o.level = im->level;
    o.cancelled = req->cancelled;
    o.ud = req->ud;
    if (req->password) {
        if (im->password_rule == PW_FORBID)
            return fail(err, errlen,
                        !strcmp(im->driver, "zipfile")
                            ? "driver zipfile cannot write encrypted zips; use driver pyzipper "
                              "(AES), pyminizip (ZipCrypto), os, or libarchive"
                            : "a password was given but the resource's encryption is 'none'");
        if (im->cfg_err[0]) return fail(err, errlen, im->cfg_err);
        if (o.format != AF__ARC_ZIP) {
            snprintf(err, errlen, "format %s cannot carry a password; use format zip", req->format);
            return -1;
        }
        o.enc = im->enc;
        o.password = req->password;
    } else if (im->password_rule == PW_REQUIRE) {
        return fail(err, errlen,
                    "driver pyminizip writes encrypted zips only: set inputs.password");
    }
    if (af__arc_write(req->tmp_output, req->files, req->nfiles, &o, err, errlen)) return -1;
    af_value *r = af_map(a);
    af_map_set(a, r, "output", af_str(a, req->output));
    af_map_set(a, r, "count", af_int(a, (int64_t)req->nfiles));
    af_map_set(a, r, "password", af_bool(req->password != NULL));
    af_map_set(a, r, "driver", af_str(a, im->driver));
    *result = r;
    return 0;
}

typedef struct names_ud {
    af_arena *a;
    af_value *list;
} names_ud;

static void on_entry(void *ud, const char *name)
{
    names_ud *n = ud;
    af_list_push(n->a, n->list, af_str(n->a, name));
}

static int la_extract(af_conn *c, af_arena *a, const af_archive_extract_req *req, af_value **result,
                      char *err, size_t errlen)
{
    const la_impl *im = af_conn_impl(c);
    names_ud nu = {a, af_list(a)};
    af__arc_xopts o = {0};
    o.format = af__arc_format(req->format);
    if (o.format < 0) {
        snprintf(err, errlen, "unknown archive format '%s'", req->format);
        return -1;
    }
    o.password = req->password;
    o.dest_dir = req->dest_dir;
    o.overwrite = req->overwrite;
    o.members = req->members;
    o.nmembers = req->members ? req->nmembers : 0;
    o.cancelled = req->cancelled;
    o.ud = req->ud;
    o.on_entry = on_entry;
    o.entry_ud = &nu;
    if (af__arc_extract(req->archive, req->work_dir, &o, err, errlen)) return -1;
    af_value *files = nu.list;
    if (req->members && req->nmembers) {
        /* listed in the order the members were asked for, as the reference does */
        files = af_list(a);
        for (size_t i = 0; i < req->nmembers; i++) {
            for (size_t j = 0; j < nu.list->u.list.n; j++) {
                if (!strcmp(nu.list->u.list.items[j]->u.s.ptr, req->members[i])) {
                    af_list_push(a, files, af_str(a, req->members[i]));
                    break;
                }
            }
        }
    }
    af_value *r = af_map(a);
    af_map_set(a, r, "dest_dir", af_str(a, req->dest_dir));
    af_map_set(a, r, "files", files);
    af_map_set(a, r, "password", af_bool(req->password != NULL));
    af_map_set(a, r, "driver", af_str(a, im->driver));
    *result = r;
    return 0;
}

static int list_one(void *ud, const af__arc_entry *e, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    on_entry(ud, e->name);
    return 0;
}

/* Shared by every built-in driver: reading is the same whoever wrote it. */
int af__arc_list_names(af_arena *a, const char *archive, const char *format, const char *password,
                       af_value **names, char *err, size_t errlen)
{
    int fmt = af__arc_format(format);
    if (fmt < 0) {
        snprintf(err, errlen, "unknown archive format '%s'", format);
        return -1;
    }
    names_ud nu = {a, af_list(a)};
    if (af__arc_scan(archive, fmt, password, list_one, &nu, err, errlen)) return -1;
    *names = nu.list;
    return 0;
}

static int la_list(af_conn *c, af_arena *a, const char *archive, const char *format,
                   const char *password, af_value **names, char *err, size_t errlen)
{
    (void)c;
    return af__arc_list_names(a, archive, format, password, names, err, errlen);
}

static const af_archive_ops la_ops = {
    .create = la_create,
    .extract = la_extract,
    .list = la_list,
};

static const af_input libarchive_config[] = {
    {"encryption", AF_TY_STR | AF_TY_NULL, 0, "\"aes256\"", NULL,
     "aes256, aes128, zipcrypto or none: how a password encrypts (none: refuse passwords)"},
    {"level", AF_TY_INT | AF_TY_NULL, 0, NULL, NULL,
     "compression level (zip and tar.gz 0-9, tar.zst 1-22); default: the library's"},
    {NULL},
};

static const af_input pyzipper_config[] = {
    {"encryption", AF_TY_STR | AF_TY_NULL, 0, "\"aes\"", NULL, "aes (the only choice)"},
    {"aes_strength", AF_TY_INT | AF_TY_NULL, 0, "256", NULL, "128 or 256"},
    {NULL},
};

static const af_input zipfile_config[] = {
    {NULL},
};

static const af_input pyminizip_config[] = {
    {"level", AF_TY_INT | AF_TY_NULL, 0, "5", NULL, "deflate level 1-9"},
    {NULL},
};

const af_driver af_driver_archive_libarchive = {
    .abi = AF_ABI_VERSION,
    .kind = "archive",
    .name = "libarchive",
    .aliases = NULL,
    .summary = "zip (plain, AES-256, AES-128, ZipCrypto), tar.gz and tar.zst with libarchive",
    .config = libarchive_config,
    .options = NULL,
    .open = la_open,
    .close = la_close,
    .ops = &la_ops,
    .libs = "-larchive",
};

const af_driver af_driver_archive_pyzipper = {
    .abi = AF_ABI_VERSION,
    .kind = "archive",
    .name = "pyzipper",
    .aliases = NULL,
    .summary = "the reference's pyzipper on libarchive: AES when a password is given",
    .config = pyzipper_config,
    .options = NULL,
    .open = la_open,
    .close = la_close,
    .ops = &la_ops,
    .libs = "-larchive",
};

const af_driver af_driver_archive_zipfile = {
    .abi = AF_ABI_VERSION,
    .kind = "archive",
    .name = "zipfile",
    .aliases = NULL,
    .summary = "the reference's zipfile on libarchive: writes unencrypted zips, reads all",
    .config = zipfile_config,
    .options = NULL,
    .open = la_open,
    .close = la_close,
    .ops = &la_ops,
    .libs = "-larchive",
};

const af_driver af_driver_archive_pyminizip = {
    .abi = AF_ABI_VERSION,
    .kind = "archive",
    .name = "pyminizip",
    .aliases = NULL,
    .summary = "the reference's pyminizip on libarchive: ZipCrypto, password required",
    .config = pyminizip_config,
    .options = NULL,
    .open = la_open,
    .close = la_close,
    .ops = &la_ops,
    .libs = "-larchive",
};
