/*
 * itest_archive.c - the archive drivers through their primitive table, with
 * the real tools behind them, and zip64 interoperability on files over
 * 4 GiB. Run by tests/integration/archive.sh (it needs zip, unzip, 7z,
 * bsdtar and python3, and takes minutes for the large files).
 *
 * Each driver is opened on a connector built the way the runtime builds
 * one (config map, arena), then create/extract are called as the zip and
 * unzip steps call them: into a private directory, then committed.
 *
 *   itest_archive            every test but the large-file ones
 *   itest_archive zip64      only the large-file ones
 */
#define T_SUITE "archive"
#include "archive_test.h"
#include "af_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern const af_driver af_driver_archive_os, af_driver_archive_external;

/* A connector of driver d with config given as JSON, opened. NULL with the
 * open error in err. */
static af_conn *conn(const af_driver *d, const char *config_json)
{
    af_conn *c = af_alloc(A, sizeof *c);
    af_value *cfg;
    if (af_json_parse(A, config_json, strlen(config_json), &cfg, err, sizeof err)) return NULL;
    c->drv = d;
    c->name = "test";
    c->config = cfg;
    c->options = af_map(A);
    c->arena = A;
    if (d->open(c, err, sizeof err)) return NULL;
    c->opened = 1;
    return c;
}

static const char *make_src(const char *name)
{
    const char *d = fresh(name);
    put(P("%s/a.txt", d), "alpha\n");
    af_buf b = {0}; /* compressible, so deflate and store differ */
    for (int i = 0; i < 2000; i++)
        af_buf_puts(&b, "beta\n");
    put(P("%s/sub/b.txt", d), af_buf_cstr(&b));
    af_buf_free(&b);
    put(P("%s/sub/deep/c.txt", d), "gamma\n");
    sh("head -c 100000 /dev/urandom > %s/sub/r.bin", d);
    return d;
}

static const char *NAMES[] = {"a.txt", "sub/b.txt", "sub/deep/c.txt", "sub/r.bin"};

/* Creates an archive the way the zip step does. The result map, or NULL
 * with err set. */
static af_value *create_names(af_conn *c, const char *src, const char *const *names, size_t n,
                              const char *output, const char *format, const char *compression,
                              const char *password)
{
    af_archive_file *files = af_alloc(A, n * sizeof *files);
    for (size_t i = 0; i < n; i++)
        files[i] = (af_archive_file){P("%s/%s", src, names[i]), names[i]};
    char tmp[PATH_MAX];
    char *dir = af_strdup(A, output);
    *strrchr(dir, '/') = 0;
    af__arc_mkdirs(dir);
    if (af__arc_tmpdir(dir, tmp, sizeof tmp, err, sizeof err)) return NULL;
    af_archive_create_req req = {0};
    req.output = output;
    req.tmp_output = P("%s/archive%s", tmp, af__arc_suffix(af__arc_format(format)));
    req.base_dir = src;
    req.files = files;
    req.nfiles = n;
    req.format = format;
    req.compression = compression;
    req.password = password;
    af_value *res = NULL;
    const af_archive_ops *ops = c->drv->ops;
    int rc = ops->create(c, A, &req, &res, err, sizeof err);
    if (rc == 0) rc = af__arc_commit_file(req.tmp_output, output, 1, err, sizeof err);
    af__arc_rmtree(tmp);
    return rc ? NULL : res;
}

static af_value *create(af_conn *c, const char *src, const char *output, const char *format,
                        const char *compression, const char *password)
{
    return create_names(c, src, NAMES, 4, output, format, compression, password);
}

/* Extracts the way the unzip step does. */
static af_value *extract(af_conn *c, const char *archive, const char *dest, const char *format,
                         const char *password, int overwrite, const char *const *members,
                         size_t nmembers)
{
    char work[PATH_MAX];
    af__arc_mkdirs(dest);
    if (af__arc_tmpdir(dest, work, sizeof work, err, sizeof err)) return NULL;
    af_archive_extract_req req = {0};
    req.archive = archive;
    req.dest_dir = dest;
    req.work_dir = work;
    req.format = format;
    req.password = password;
    req.overwrite = overwrite;
    req.members = members;
    req.nmembers = nmembers;
    af_value *res = NULL;
    const af_archive_ops *ops = c->drv->ops;
    int rc = ops->extract(c, A, &req, &res, err, sizeof err);
    if (rc == 0) rc = af__arc_commit_tree(work, dest, overwrite, err, sizeof err);
    af__arc_rmtree(work);
    return rc ? NULL : res;
}

static const char *json(const af_value *v)
{
    return v ? af_json_str(A, v, 0) : "(null)";
}

/* ---- libarchive and the reference's Python driver names ----------------- */

static void test_drv_libarchive(void)
{
    const char *src = make_src("la-src"), *z = P("%s/la/out.zip", T);
    af_conn *c = conn(&af_driver_archive_libarchive, "{}");
    T_CHECK(c != NULL);
    if (!c) return;
    af_value *r = create(c, src, z, "zip", "deflated", "la pw");
    T_STREQ(json(r), P("{\"output\": \"%s\", \"count\": 4, \"password\": true, "
                       "\"driver\": \"libarchive\"}",
                       z));
    T_CHECK(contains(out("7z l -slt '-pla pw' %s", z), "AES-256"));
    const char *d = fresh("la-dest");
    r = extract(c, z, d, "zip", "la pw", 1, NULL, 0);
    T_STREQ(json(r), P("{\"dest_dir\": \"%s\", \"files\": [\"a.txt\", \"sub/b.txt\", "
                       "\"sub/deep/c.txt\", \"sub/r.bin\"], \"password\": true, "
                       "\"driver\": \"libarchive\"}",
                       d));
    T_INTEQ(sh("diff -r %s %s", src, d), 0);
    /* wrong password: an error that does not repeat the password, no files */
    const char *bad = fresh("la-bad");
    T_CHECK(extract(c, z, bad, "zip", "la pX", 1, NULL, 0) == NULL);
    T_CHECK(contains(err, "wrong password"));
    T_CHECK(!contains(err, "la pX"));
    T_CHECK(dir_empty(bad));
    /* encryption choices */
    struct {
        const char *cfg, *method;
    } encs[] = {{"{\"encryption\": \"aes128\"}", "AES-128"},
                {"{\"encryption\": \"zipcrypto\"}", "ZipCrypto"},
                {"{\"encryption\": \"AES256\"}", "AES-256"}};
    for (size_t i = 0; i < 3; i++) {
        af_conn *ce = conn(&af_driver_archive_libarchive, encs[i].cfg);
        const char *ze = P("%s/la/enc%zu.zip", T, i);
        T_CHECK(ce && create(ce, src, ze, "zip", "deflated", "pw") != NULL);
        T_CHECK(contains(out("7z l -slt -ppw %s", ze), encs[i].method));
    }
    af_conn *cn = conn(&af_driver_archive_libarchive, "{\"encryption\": \"none\"}");
    T_CHECK(cn && create(cn, src, P("%s/la/none.zip", T), "zip", "deflated", "pw") == NULL);
    T_CHECK(contains(err, "none"));
    T_CHECK(cn && create(cn, src, P("%s/la/none.zip", T), "zip", "stored", NULL) != NULL);
    T_CHECK(conn(&af_driver_archive_libarchive, "{\"encryption\": \"rot13\"}") == NULL);
    T_CHECK(contains(err, "encryption"));
    /* tar formats through the driver, and no password there */
    const char *t = P("%s/la/out.tar.zst", T);
    T_CHECK(create(c, src, t, "tar.zst", "deflated", NULL) != NULL);
    T_INTEQ(sh("tar --zstd -tf %s", t), 0);
    T_CHECK(create(c, src, t, "tar.gz", "deflated", "pw") == NULL);
    T_CHECK(contains(err, "zip"));
    const char *dt = fresh("la-tar");
    T_CHECK(extract(c, t, dt, "tar.zst", NULL, 1, NULL, 0) != NULL);
    T_INTEQ(sh("diff -r %s %s", src, dt), 0);
    af_value *names = NULL;
    const af_archive_ops *ops = c->drv->ops;
    T_INTEQ(ops->list(c, A, z, "zip", "la pw", &names, err, sizeof err), 0);
    T_STREQ(json(names), "[\"a.txt\", \"sub/b.txt\", \"sub/deep/c.txt\", \"sub/r.bin\"]");
}

static void test_drv_pyzipper(void)
{
    const char *src = make_src("pz-src"), *z = P("%s/pz/out.zip", T);
    af_conn *c = conn(&af_driver_archive_pyzipper, "{}");
    T_CHECK(c != NULL);
    if (!c) return;
    af_value *r = create(c, src, z, "zip", "deflated", "pz");
    T_STREQ(json(af_map_get(r, "driver")), "\"pyzipper\"");
    T_CHECK(contains(out("7z l -slt -ppz %s", z), "AES-256"));
    /* without a password: a plain zip anyone reads */
    const char *zp = P("%s/pz/plain.zip", T);
    r = create(c, src, zp, "zip", "deflated", NULL);
    T_STREQ(json(af_map_get(r, "password")), "false");
    T_INTEQ(sh("unzip -tq %s", zp), 0);
    af_conn *c128 = conn(&af_driver_archive_pyzipper, "{\"aes_strength\": 128}");
    T_CHECK(c128 && create(c128, src, z, "zip", "deflated", "pz") != NULL);
    T_CHECK(contains(out("7z l -slt -ppz %s", z), "AES-128"));
    /* AES-192 and ZipCrypto are refused when a password makes them matter */
    af_conn *c192 = conn(&af_driver_archive_pyzipper, "{\"aes_strength\": \"192\"}");
    T_CHECK(c192 && create(c192, src, z, "zip", "deflated", "pz") == NULL);
    T_CHECK(contains(err, "192"));
    af_conn *czc = conn(&af_driver_archive_pyzipper, "{\"encryption\": \"zipcrypto\"}");
    T_CHECK(czc && create(czc, src, z, "zip", "deflated", "pz") == NULL);
    T_CHECK(contains(err, "ZipCrypto"));
    T_CHECK(czc && create(czc, src, zp, "zip", "deflated", NULL) != NULL);
    /* reads ZipCrypto made by Info-ZIP */
    const char *iz = P("%s/pz/iz.zip", T), *d = fresh("pz-dest");
    T_INTEQ(sh("cd %s && zip -qr -P izpw %s .", src, iz), 0);
    r = extract(c, iz, d, "zip", "izpw", 1, NULL, 0);
    T_CHECK(r != NULL);
    T_INTEQ(sh("diff -r %s %s", src, d), 0);
}

static void test_drv_zipfile(void)
{
    const char *src = make_src("zf-src"), *z = P("%s/zf/out.zip", T);
    af_conn *c = conn(&af_driver_archive_zipfile, "{}");
    T_CHECK(c != NULL);
    if (!c) return;
    T_CHECK(create(c, src, z, "zip", "deflated", "pw") == NULL);
    T_CHECK(contains(err, "zipfile cannot write encrypted"));
    T_CHECK(!exists(z));
    af_value *r = create(c, src, z, "zip", "stored", NULL);
    T_STREQ(json(r), P("{\"output\": \"%s\", \"count\": 4, \"password\": false, "
                       "\"driver\": \"zipfile\"}",
                       z));
    T_STREQ(out("python3 -c \"import zipfile; print(sorted({i.compress_type for i in "
                "zipfile.ZipFile('%s').infolist()}))\"",
                z),
            "[0]\n");
    /* reads AES written by 7-Zip */
    const char *a7 = P("%s/zf/7z.zip", T), *d = fresh("zf-dest");
    T_INTEQ(sh("cd %s && 7z a -tzip -mem=AES256 -p7 %s .", src, a7), 0);
    T_CHECK(extract(c, a7, d, "zip", "7", 1, NULL, 0) != NULL);
    T_INTEQ(sh("diff -r %s %s", src, d), 0);
}

static void test_drv_pyminizip(void)
{
    const char *src = make_src("pm-src"), *z = P("%s/pm/out.zip", T);
    af_conn *c = conn(&af_driver_archive_pyminizip, "{\"level\": 9}");
    T_CHECK(c != NULL);
    if (!c) return;
    T_CHECK(create(c, src, z, "zip", "deflated", NULL) == NULL);
    T_CHECK(contains(err, "password"));
    af_value *r = create(c, src, z, "zip", "deflated", "minipw");
    T_STREQ(json(af_map_get(r, "driver")), "\"pyminizip\"");
    T_CHECK(contains(out("7z l -slt -pminipw %s", z), "ZipCrypto"));
    T_INTEQ(sh("unzip -tq -P minipw %s", z), 0);
    T_STREQ(out("python3 -c \"import zipfile; z = zipfile.ZipFile('%s'); "
                "z.setpassword(b'minipw'); print(z.read('a.txt').decode())\"",
                z),
            "alpha\n\n");
    T_CHECK(conn(&af_driver_archive_pyminizip, "{\"level\": 12}") == NULL);
}

static void test_drv_extract_results(void)
{
    const char *src = make_src("er-src"), *z = P("%s/er/out.zip", T);
    af_conn *c = conn(&af_driver_archive_zipfile, "{}");
    T_CHECK(c && create(c, src, z, "zip", "deflated", NULL) != NULL);
    if (!c) return;
    /* members come back in the order asked for */
    const char *d = fresh("er-dest");
    const char *m[] = {"sub/r.bin", "a.txt"};
    af_value *r = extract(c, z, d, "zip", NULL, 1, m, 2);
    T_STREQ(json(af_map_get(r, "files")), "[\"sub/r.bin\", \"a.txt\"]");
    T_STREQ(out("cd %s && find . -type f | sort", d), "./a.txt\n./sub/r.bin\n");
    /* overwrite false: what exists is kept and not listed */
    put(P("%s/a.txt", d), "mine");
    const char *m2[] = {"a.txt", "sub/b.txt"};
    r = extract(c, z, d, "zip", NULL, 0, m2, 2);
    T_STREQ(json(af_map_get(r, "files")), "[\"sub/b.txt\"]");
    T_STREQ(get(P("%s/a.txt", d)), "mine");
    /* a member not in the archive */
    T_CHECK(extract(c, z, fresh("er-miss"), "zip", NULL, 1, (const char *[]){"x"}, 1) == NULL);
    T_CHECK(contains(err, "member 'x' not found"));
}

/* ---- os: Info-ZIP --------------------------------------------------------- */

static void test_drv_os(void)
{
    const char *src = make_src("os-src"), *z = P("%s/os/out.zip", T);
    af_conn *c = conn(&af_driver_archive_os, "{}");
    T_CHECK(c != NULL);
    if (!c) return;
    af_value *r = create(c, src, z, "zip", "deflated", "ospw");
    T_STREQ(json(r), P("{\"output\": \"%s\", \"count\": 4, \"password\": true, "
                       "\"driver\": \"os\"}",
                       z));
    T_STREQ(out("unzip -Z1 %s", z), "a.txt\nsub/b.txt\nsub/deep/c.txt\nsub/r.bin\n");
    T_CHECK(contains(out("7z l -slt -pospw %s", z), "ZipCrypto"));
    const char *d = fresh("os-dest");
    r = extract(c, z, d, "zip", "ospw", 1, NULL, 0);
    T_STREQ(json(r), P("{\"dest_dir\": \"%s\", \"password\": true, \"driver\": \"os\"}", d));
    T_STREQ(get(P("%s/sub/deep/c.txt", d)), "gamma\n");
    const char *bad = fresh("os-bad");
    T_CHECK(extract(c, z, bad, "zip", "nope", 1, NULL, 0) == NULL);
    T_CHECK(contains(err, "wrong password"));
    T_CHECK(!contains(err, "nope"));
    T_CHECK(dir_empty(bad));
    /* stored, and members */
    const char *zs = P("%s/os/stored.zip", T);
    T_CHECK(create(c, src, zs, "zip", "stored", NULL) != NULL);
    T_STREQ(out("unzip -v %s | grep -c Defl:", zs), "0\n");
    T_CHECK(atoi(out("unzip -v %s | grep -c Defl:", z)) > 0);
    const char *dm = fresh("os-members");
    T_CHECK(extract(c, zs, dm, "zip", NULL, 1, (const char *[]){"sub/b.txt"}, 1) != NULL);
    T_STREQ(out("cd %s && find . -type f", dm), "./sub/b.txt\n");
    /* zip-slip: refused before unzip (which would silently strip the '../') */
    const char *slip = P("%s/os/slip.zip", T), *ds = fresh("os-slip/in");
    T_INTEQ(sh("python3 -c \"import zipfile; z = zipfile.ZipFile('%s', 'w'); "
               "z.writestr('ok.txt', 'ok'); z.writestr('../evil.txt', 'x'); z.close()\"",
               slip),
            0);
    T_CHECK(extract(c, slip, ds, "zip", NULL, 1, NULL, 0) == NULL);
    T_CHECK(contains(err, "../evil.txt"));
    T_CHECK(dir_empty(ds));
    T_CHECK(!exists(P("%s/os-slip/evil.txt", T)));
    /* a name that looks like an option stays a name */
    put(P("%s/-dash.txt", src), "dash");
    const char *dz = P("%s/os/dash.zip", T);
    T_CHECK(create_names(c, src, (const char *[]){"-dash.txt", "a.txt"}, 2, dz, "zip", "deflated",
                         NULL) != NULL);
    T_STREQ(out("unzip -Z1 %s", dz), "-dash.txt\na.txt\n");
    /* zip only; a missing program */
    T_CHECK(create(c, src, P("%s/os/x.tar.gz", T), "tar.gz", "deflated", NULL) == NULL);
    T_CHECK(contains(err, "zip only"));
    af_conn *cm = conn(&af_driver_archive_os, "{\"zip_cmd\": \"no-such-zip-program\"}");
    T_CHECK(cm && create(cm, src, P("%s/os/y.zip", T), "zip", "deflated", NULL) == NULL);
    T_CHECK(contains(err, "no-such-zip-program"));
}

/* ---- external: command templates ----------------------------------------- */

static void test_drv_external_7z(void)
{
    const char *src = make_src("ex-src"), *z = P("%s/ex/out.zip", T);
    af_conn *c = conn(&af_driver_archive_external,
                      "{\"zip_cmd\": [\"7z\", \"a\", \"-tzip\", \"-mem=AES256\", \"-p{password}\", "
                      "\"{archive}\", \"{files}\"], "
                      "\"unzip_cmd\": [\"7z\", \"x\", \"-y\", \"-p{password}\", \"-o{dest}\", "
                      "\"{archive}\"]}");
    T_CHECK(c != NULL);
    if (!c) return;
    af_value *r = create(c, src, z, "zip", "deflated", "expw");
    T_STREQ(json(af_map_get(r, "driver")), "\"external\"");
    T_CHECK(contains(out("7z l -slt -pexpw %s", z), "AES-256"));
    T_STREQ(out("7z l -ba -slt -pexpw %s | sed -n 's/^Path = //p'", z),
            "a.txt\nsub/b.txt\nsub/deep/c.txt\nsub/r.bin\n");
    /* read back by libarchive, and ours read by the external command */
    const char *d = fresh("ex-dest");
    af_conn *la = conn(&af_driver_archive_pyzipper, "{}");
    T_CHECK(extract(la, z, d, "zip", "expw", 1, NULL, 0) != NULL);
    T_INTEQ(sh("diff -r %s %s", src, d), 0);
    const char *ours = P("%s/ex/ours.zip", T), *d2 = fresh("ex-dest2");
    T_CHECK(create(la, src, ours, "zip", "deflated", "ours") != NULL);
    r = extract(c, ours, d2, "zip", "ours", 1, NULL, 0);
    T_STREQ(json(r), P("{\"dest_dir\": \"%s\", \"password\": true, \"driver\": \"external\"}", d2));
    T_INTEQ(sh("diff -r %s %s", src, d2), 0);
    T_CHECK(extract(c, ours, fresh("ex-m"), "zip", "ours", 1, (const char *[]){"a.txt"}, 1) ==
            NULL);
    T_CHECK(contains(err, "members"));
}

static void test_drv_external_rules(void)
{
    const char *src = make_src("exr-src");
    /* tar through bsdtar, {files} expanded to one argument per file */
    af_conn *bt = conn(&af_driver_archive_external,
                       "{\"zip_cmd\": [\"bsdtar\", \"-czf\", \"{archive}\", \"{files}\"], "
                       "\"unzip_cmd\": [\"bsdtar\", \"-xf\", \"{archive}\", \"-C\", \"{dest}\"]}");
    const char *t = P("%s/exr/out.tar.gz", T), *d = fresh("exr-dest");
    T_CHECK(bt && create(bt, src, t, "tar.gz", "deflated", NULL) != NULL);
    T_CHECK(bt && extract(bt, t, d, "tar.gz", NULL, 1, NULL, 0) != NULL);
    T_INTEQ(sh("diff -r %s %s", src, d), 0);
    /* placeholders: {{ }} are braces, unknown names are errors */
    af_conn *fm = conn(&af_driver_archive_external,
                       "{\"zip_cmd\": [\"sh\", \"-c\", \"echo {{x}} > {archive}\"]}");
    const char *fz = P("%s/exr/f.zip", T);
    T_CHECK(fm && create(fm, src, fz, "zip", "deflated", NULL) != NULL);
    T_STREQ(get(fz), "{x}\n");
    af_conn *un = conn(&af_driver_archive_external, "{\"zip_cmd\": [\"zip\", \"{output}\"]}");
    T_CHECK(un && create(un, src, fz, "zip", "deflated", NULL) == NULL);
    T_CHECK(contains(err, "placeholder"));
    T_CHECK(conn(&af_driver_archive_external, "{\"zip_cmd\": \"zip -r\"}") == NULL);
    T_CHECK(contains(err, "list of strings"));
    /* a failing command: its message, the password masked */
    af_conn *fl = conn(&af_driver_archive_external,
                       "{\"zip_cmd\": [\"sh\", \"-c\", \"echo wrong key $0 >&2; exit 3\", "
                       "\"{password}\"]}");
    T_CHECK(fl && create(fl, src, fz, "zip", "deflated", "topsecret") == NULL);
    T_CHECK(contains(err, "status 3"));
    T_CHECK(contains(err, "wrong key ***"));
    T_CHECK(!contains(err, "topsecret"));
    /* whatever the tool writes is checked before it is moved into place */
    const char *ok = P("%s/exr/ok.zip", T);
    T_INTEQ(sh("cd %s && zip -q %s a.txt", src, ok), 0);
    af_conn *ev = conn(&af_driver_archive_external,
                       "{\"unzip_cmd\": [\"sh\", \"-c\", \"ln -s /etc \\\"$0/evil\\\"\", "
                       "\"{dest}\"]}");
    const char *de = fresh("exr-evil");
    T_CHECK(ev && extract(ev, ok, de, "zip", NULL, 1, NULL, 0) == NULL);
    T_CHECK(contains(err, "evil"));
    T_CHECK(dir_empty(de));
}

/* ---- zip64: files over 4 GiB ----------------------------------------------- */

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A sparse file of size bytes, zeros but for a marker at the end. */
static const char *sparse(const char *dir, int64_t size)
{
    const char *p = P("%s/big.bin", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, size) || pwrite(fd, "END!", 4, size - 4) != 4)
        printf("# cannot make %s: %s\n", p, strerror(errno));
    if (fd >= 0) close(fd);
    return p;
}

static void test_zip64_ours(void)
{
    int64_t size = 4LL * 1024 * 1024 * 1024 + 1024 * 1024;
    const char *d = fresh("z64"), *big = sparse(d, size), *z = P("%s/z64/big.zip", T);
    af_conn *c = conn(&af_driver_archive_libarchive, "{\"level\": 1}");
    af_archive_file f[1] = {{big, "big.bin"}};
    char tmp[PATH_MAX];
    T_INTEQ(af__arc_tmpdir(d, tmp, sizeof tmp, err, sizeof err), 0);
    af_archive_create_req req = {.output = z,
                                 .tmp_output = P("%s/a.zip", tmp),
                                 .base_dir = d,
                                 .files = f,
                                 .nfiles = 1,
                                 .format = "zip",
                                 .compression = "deflated"};
    af_value *res;
    long before = maxrss_kb();
    const af_archive_ops *ops = c->drv->ops;
    T_INTEQ(ops->create(c, A, &req, &res, err, sizeof err), 0);
    T_CHECK(maxrss_kb() - before < 32 * 1024); /* streaming: flat memory */
    T_INTEQ(af__arc_commit_file(req.tmp_output, z, 1, err, sizeof err), 0);
    af__arc_rmtree(tmp);
    const char *sz = P("%lld", (long long)size);
    /* the size as the other readers see it, from the zip64 fields */
    T_STREQ(
        out("python3 -c \"import zipfile; print(zipfile.ZipFile('%s').infolist()[0].file_size)\"",
            z),
        P("%s\n", sz));
    T_CHECK(contains(out("unzip -Zl %s", z), sz));
    T_CHECK(contains(out("7z l -slt %s", z), P("Size = %s", sz)));
    /* read back: libarchive checks the CRC; zeros stay holes */
    const char *x = fresh("z64-x");
    before = maxrss_kb();
    T_CHECK(extract(c, z, x, "zip", NULL, 1, NULL, 0) != NULL);
    T_CHECK(maxrss_kb() - before < 32 * 1024);
    struct stat st;
    T_CHECK(stat(P("%s/big.bin", x), &st) == 0 && st.st_size == size);
    T_CHECK(st.st_blocks * 512LL < 64LL * 1024 * 1024);
    T_STREQ(out("tail -c 4 %s/big.bin", x), "END!");
    /* 7-Zip decompresses it and agrees with the CRC */
    T_INTEQ(sh("7z t %s", z), 0);
    af__arc_rmtree(d);
    af__arc_rmtree(x);
}

static void test_zip64_infozip(void)
{
    int64_t size = 4LL * 1024 * 1024 * 1024 + 512 * 1024;
    const char *d = fresh("z64iz"), *z = P("%s/iz64.zip", T);
    sparse(d, size);
    T_INTEQ(sh("cd %s && zip -q -1 %s big.bin", d, z), 0);
    af_conn *c = conn(&af_driver_archive_zipfile, "{}");
    const char *x = fresh("z64iz-x");
    T_CHECK(extract(c, z, x, "zip", NULL, 1, NULL, 0) != NULL);
    struct stat st;
    T_CHECK(stat(P("%s/big.bin", x), &st) == 0 && st.st_size == size);
    T_STREQ(out("tail -c 4 %s/big.bin", x), "END!");
    unlink(z);
    af__arc_rmtree(d);
    af__arc_rmtree(x);
}

int main(int argc, char **argv)
{
    A = af_arena_new();
    snprintf(T, sizeof T, "/tmp/afc-itest-archive-XXXXXX");
    if (!mkdtemp(T)) {
        perror("mkdtemp");
        return 1;
    }
    if (argc > 1 && !strcmp(argv[1], "zip64")) {
        T_RUN(test_zip64_ours);
        T_RUN(test_zip64_infozip);
    } else {
        T_RUN(test_drv_libarchive);
        T_RUN(test_drv_pyzipper);
        T_RUN(test_drv_zipfile);
        T_RUN(test_drv_pyminizip);
        T_RUN(test_drv_extract_results);
        T_RUN(test_drv_os);
        T_RUN(test_drv_external_7z);
        T_RUN(test_drv_external_rules);
    }
    af__arc_rmtree(T);
    af_arena_free(A);
    T_END();
}
