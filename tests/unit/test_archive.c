/*
 * test_archive.c - the archive library layer (stdlib-steps/archive_core.c)
 * tested directly: writing and reading zip/tar.gz/tar.zst, encryption,
 * interoperability both ways with Info-ZIP zip/unzip, 7-Zip and Python's
 * zipfile, the safety rules (zip-slip names, symlinks, special files, the
 * checked commit), the zip step's file collection and the unzip step's
 * folder layout. The drivers, zip64 and the external tools' drivers are in
 * itest_archive.c (run by tests/integration/archive.sh).
 *
 * Needs zip, unzip, 7z (p7zip-full) and python3 on PATH
 * (tests/deps/archive.txt). Everything is written under one mkdtemp
 * directory, removed at the end.
 */
#define T_SUITE "archive"
#include "archive_test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

/* Python helper: crafts archives the library must refuse or read, and reads
 * ours with zipfile. */
static const char *PY;
static const char py_src[] =
    "import sys, zipfile, tarfile, io, os, hashlib\n"
    "cmd, a = sys.argv[1], sys.argv[2:]\n"
    "def spec(s):\n"
    "    k, rest = s.split(':', 1)\n"
    "    n, _, v = rest.partition('=')\n"
    "    return k, n, v\n"
    "if cmd == 'zip':\n"
    "    with zipfile.ZipFile(a[0], 'w', zipfile.ZIP_DEFLATED) as z:\n"
    "        for s in a[1:]:\n"
    "            k, n, v = spec(s)\n"
    "            zi = zipfile.ZipInfo(n)\n"
    "            zi.create_system = 3\n"
    "            if k == 'l': zi.external_attr = 0o120777 << 16\n"
    "            elif k == 'd': zi.external_attr = (0o40755 << 16) | 0x10\n"
    "            else: zi.external_attr = 0o100644 << 16\n"
    "            z.writestr(zi, v)\n"
    "elif cmd == 'tar':\n"
    "    with tarfile.open(a[0], 'w:gz') as t:\n"
    "        for s in a[1:]:\n"
    "            k, n, v = spec(s)\n"
    "            ti = tarfile.TarInfo(n)\n"
    "            data = None\n"
    "            if k == 'f': ti.size = len(v); data = io.BytesIO(v.encode())\n"
    "            elif k == 'l': ti.type = tarfile.SYMTYPE; ti.linkname = v\n"
    "            elif k == 'h': ti.type = tarfile.LNKTYPE; ti.linkname = v\n"
    "            elif k == 'p': ti.type = tarfile.FIFOTYPE\n"
    "            elif k == 'c': ti.type = tarfile.CHRTYPE; ti.devmajor = 1; ti.devminor = 3\n"
    "            t.addfile(ti, data)\n"
    "elif cmd == 'names':\n"
    "    for i in zipfile.ZipFile(a[0]).infolist():\n"
    "        print('%s|%d|%d' % (i.filename, i.flag_bits & 0x800 and 1, i.compress_type))\n"
    "elif cmd == 'cmp':\n"
    "    z = zipfile.ZipFile(a[0])\n"
    "    if len(a) > 2: z.setpassword(a[2].encode())\n"
    "    n = 0\n"
    "    for i in z.infolist():\n"
    "        if z.read(i) != open(os.path.join(a[1], i.filename), 'rb').read(): print('DIFF', "
    "i.filename); sys.exit(1)\n"
    "        n += 1\n"
    "    print(n)\n"
    "elif cmd == 'size':\n"
    "    for i in zipfile.ZipFile(a[0]).infolist(): print(i.file_size)\n"
    "elif cmd == 'empty':\n"
    "    zipfile.ZipFile(a[0], 'w').close()\n";

/* A source tree with text, binary, empty, nested and non-ASCII files. */
static const char *make_src(const char *name)
{
    const char *d = fresh(name);
    put(P("%s/a.txt", d), "alpha\n");
    put(P("%s/empty.txt", d), "");
    put(P("%s/sub/deep/c.txt", d), "gamma\n");
    put(P("%s/caf\xc3\xa9.txt", d), "non-ascii name\n");
    sh("head -c 300000 /dev/urandom > %s/sub/b.bin", d);
    return d;
}

static af_archive_file *src_files(const char *d, size_t *n)
{
    static const char *names[] = {"a.txt", "caf\xc3\xa9.txt", "empty.txt", "sub/b.bin",
                                  "sub/deep/c.txt"};
    af_archive_file *f = af_alloc(A, sizeof names / sizeof *names * sizeof *f);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        f[i].path = P("%s/%s", d, names[i]);
        f[i].name = names[i];
    }
    *n = sizeof names / sizeof *names;
    return f;
}

static int write_zip(const char *path, const char *src, int enc, const char *pw, int stored)
{
    size_t n;
    af_archive_file *f = src_files(src, &n);
    af__arc_wopts o = {
        .format = AF__ARC_ZIP, .stored = stored, .level = -1, .enc = enc, .password = pw};
    unlink(path);
    return af__arc_write(path, f, n, &o, err, sizeof err);
}

/* Extracts with the library the way the unzip step does: into a private
 * directory inside dest, then the checked commit. */
static int extract(const char *archive, const char *dest, int format, const char *pw, int overwrite)
{
    char work[PATH_MAX];
    af__arc_mkdirs(dest);
    if (af__arc_tmpdir(dest, work, sizeof work, err, sizeof err)) return -1;
    af__arc_xopts o = {.format = format, .password = pw, .dest_dir = dest, .overwrite = overwrite};
    int rc = af__arc_extract(archive, work, &o, err, sizeof err);
    if (rc == 0) rc = af__arc_commit_tree(work, dest, overwrite, err, sizeof err);
    af__arc_rmtree(work);
    return rc;
}

/* ---- names and links -------------------------------------------------------- */

static void test_norm_name(void)
{
    char o[256];
    T_INTEQ(af__arc_norm_name("a/b.txt", o, sizeof o, err, sizeof err), 0);
    T_STREQ(o, "a/b.txt");
    T_INTEQ(af__arc_norm_name("./a//b/./c/", o, sizeof o, err, sizeof err), 0);
    T_STREQ(o, "a/b/c");
    T_INTEQ(af__arc_norm_name("./", o, sizeof o, err, sizeof err), 0);
    T_STREQ(o, "");
    T_INTEQ(af__arc_norm_name("..a/b..", o, sizeof o, err, sizeof err), 0);
    T_STREQ(o, "..a/b..");
    char exact[6]; /* just room for the name */
    T_INTEQ(af__arc_norm_name("a.txt", exact, sizeof exact, err, sizeof err), 0);
    T_STREQ(exact, "a.txt");
    T_INTEQ(af__arc_norm_name("a/b.txt", exact, sizeof exact, err, sizeof err), -1);
    const char *bad[] = {"../x", "a/../../x", "a/..",         "/etc/passwd", "\\x",
                         "C:/x", "c:x",       "a\\..\\..\\x", "..",          ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        T_INTEQ(af__arc_norm_name(bad[i], o, sizeof o, err, sizeof err), -1);
        T_CHECK(contains(err, "refused"));
        if (*bad[i]) T_CHECK(contains(err, bad[i]));
    }
}

static void test_link_inside(void)
{
    T_CHECK(af__arc_link_inside("l", "a.txt"));
    T_CHECK(af__arc_link_inside("sub/l", "../a.txt"));
    T_CHECK(af__arc_link_inside("sub/deep/l", "../../a.txt"));
    T_CHECK(af__arc_link_inside("l", "sub/../a.txt"));
    T_CHECK(!af__arc_link_inside("l", "../a.txt"));
    T_CHECK(!af__arc_link_inside("sub/l", "../../a.txt"));
    T_CHECK(!af__arc_link_inside("l", "sub/../../a.txt"));
    T_CHECK(!af__arc_link_inside("l", "/etc/passwd"));
    T_CHECK(!af__arc_link_inside("l", ""));
    T_CHECK(!af__arc_link_inside("l", "..\\x"));
}

/* ---- writing and reading zip ------------------------------------------------ */

static void test_zip_roundtrip(void)
{
    const char *src = make_src("rt-src"), *z = P("%s/rt.zip", T);
    T_INTEQ(write_zip(z, src, AF__ENC_NONE, NULL, 0), 0);
    /* entry order is the order given; the non-ASCII name carries the UTF-8 flag */
    T_STREQ(out("python3 %s names %s", PY, z),
            "a.txt|0|8\ncaf\xc3\xa9.txt|1|8\nempty.txt|0|8\nsub/b.bin|0|8\nsub/deep/c.txt|0|8\n");
    T_INTEQ(sh("unzip -tq %s", z), 0);
    T_INTEQ(sh("7z t %s", z), 0);
    T_STREQ(out("python3 %s cmp %s %s", PY, z, src), "5\n");
    const char *dest = fresh("rt-dest");
    T_INTEQ(extract(z, dest, AF__ARC_ZIP, NULL, 1), 0);
    T_INTEQ(sh("diff -r %s %s", src, dest), 0);
    /* Info-ZIP sees the same bytes */
    const char *d2 = fresh("rt-unzip");
    T_INTEQ(sh("unzip -q %s -d %s", z, d2), 0);
    T_INTEQ(sh("diff -r %s %s", src, d2), 0);
}

static void test_zip_stored(void)
{
    const char *src = make_src("st-src"), *z = P("%s/st.zip", T);
    T_INTEQ(write_zip(z, src, AF__ENC_NONE, NULL, 1), 0);
    T_STREQ(out("python3 %s names %s | cut -d'|' -f3 | sort -u", PY, z), "0\n");
    T_STREQ(out("python3 %s cmp %s %s", PY, z, src), "5\n");
}

static void test_zip_aes256(void)
{
    const char *src = make_src("aes-src"), *z = P("%s/aes.zip", T);
    T_INTEQ(write_zip(z, src, AF__ENC_AES256, "s3cret pw", 0), 0);
    T_CHECK(contains(out("7z l -slt '-ps3cret pw' %s", z), "AES-256"));
    const char *d7 = fresh("aes-7z");
    T_INTEQ(sh("7z x -y '-ps3cret pw' -o%s %s", d7, z), 0);
    T_INTEQ(sh("diff -r %s %s", src, d7), 0);
    T_CHECK(sh("7z t -pwrong %s", z) != 0);
    /* read back by the library, with the right, a wrong and no password */
    const char *dest = fresh("aes-dest");
    T_INTEQ(extract(z, dest, AF__ARC_ZIP, "s3cret pw", 1), 0);
    T_INTEQ(sh("diff -r %s %s", src, dest), 0);
    const char *bad = fresh("aes-bad");
    T_INTEQ(extract(z, bad, AF__ARC_ZIP, "wrong", 1), -1);
    T_CHECK(contains(err, "wrong password"));
    T_CHECK(!contains(err, "s3cret"));
    T_CHECK(dir_empty(bad));
    T_INTEQ(extract(z, bad, AF__ARC_ZIP, NULL, 1), -1);
    T_CHECK(contains(err, "no password"));
    T_CHECK(dir_empty(bad));
}

static void test_zip_aes128(void)
{
    const char *src = make_src("a128-src"), *z = P("%s/a128.zip", T);
    T_INTEQ(write_zip(z, src, AF__ENC_AES128, "pw128", 0), 0);
    T_CHECK(contains(out("7z l -slt -ppw128 %s", z), "AES-128"));
    T_INTEQ(sh("7z t -ppw128 %s", z), 0);
    const char *dest = fresh("a128-dest");
    T_INTEQ(extract(z, dest, AF__ARC_ZIP, "pw128", 1), 0);
    T_INTEQ(sh("diff -r %s %s", src, dest), 0);
}

static void test_zip_zipcrypto(void)
{
    const char *src = make_src("zc-src"), *z = P("%s/zc.zip", T);
    T_INTEQ(write_zip(z, src, AF__ENC_ZIPCRYPTO, "zcpw", 0), 0);
    T_CHECK(contains(out("7z l -slt -pzcpw %s", z), "ZipCrypto"));
    T_INTEQ(sh("unzip -tq -P zcpw %s", z), 0);
    T_CHECK(sh("unzip -tq -P nope %s", z) != 0);
    T_STREQ(out("python3 %s cmp %s %s zcpw", PY, z, src), "5\n");
    const char *dest = fresh("zc-dest");
    T_INTEQ(extract(z, dest, AF__ARC_ZIP, "zcpw", 1), 0);
    T_INTEQ(sh("diff -r %s %s", src, dest), 0);
    const char *bad = fresh("zc-bad");
    T_INTEQ(extract(z, bad, AF__ARC_ZIP, "nope", 1), -1);
    T_CHECK(contains(err, "wrong password"));
    T_CHECK(dir_empty(bad));
}

static void test_encrypt_needs_password(void)
{
    const char *src = make_src("np-src"), *z = P("%s/np.zip", T);
    T_INTEQ(write_zip(z, src, AF__ENC_AES256, NULL, 0), -1);
    T_CHECK(contains(err, "password"));
    T_CHECK(!exists(z));
}

/* ---- reading what other tools write ----------------------------------------- */

static void test_read_infozip(void)
{
    const char *src = make_src("iz-src");
    const char *z = P("%s/iz.zip", T), *zp = P("%s/izp.zip", T);
    unlink(z), unlink(zp);
    T_INTEQ(sh("cd %s && zip -qr %s .", src, z), 0);
    T_INTEQ(sh("cd %s && zip -qr -P 'pa ss' %s .", src, zp), 0);
    const char *d = fresh("iz-dest"), *dp = fresh("iz-destp");
    T_INTEQ(extract(z, d, AF__ARC_ZIP, NULL, 1), 0);
    T_INTEQ(sh("diff -r %s %s", src, d), 0);
    T_INTEQ(extract(zp, dp, AF__ARC_ZIP, "pa ss", 1), 0);
    T_INTEQ(sh("diff -r %s %s", src, dp), 0);
    const char *bad = fresh("iz-bad");
    T_INTEQ(extract(zp, bad, AF__ARC_ZIP, "pass", 1), -1);
    T_CHECK(contains(err, "wrong password"));
    T_CHECK(dir_empty(bad));
}

static void test_read_7z_aes(void)
{
    const char *src = make_src("7z-src"), *z = P("%s/7z.zip", T);
    unlink(z);
    T_INTEQ(sh("cd %s && 7z a -tzip -mem=AES256 -p7zpw %s .", src, z), 0);
    const char *d = fresh("7z-dest");
    T_INTEQ(extract(z, d, AF__ARC_ZIP, "7zpw", 1), 0);
    T_INTEQ(sh("diff -r %s %s", src, d), 0);
    const char *bad = fresh("7z-bad");
    T_INTEQ(extract(z, bad, AF__ARC_ZIP, "x", 1), -1);
    T_CHECK(contains(err, "wrong password"));
    T_CHECK(dir_empty(bad));
}

static void test_read_python(void)
{
    const char *z = P("%s/py.zip", T);
    T_INTEQ(sh("python3 %s zip %s f:one.txt=1 d:dir/ f:dir/two.txt=22", PY, z), 0);
    const char *d = fresh("py-dest");
    char work[PATH_MAX];
    T_INTEQ(af__arc_tmpdir(d, work, sizeof work, err, sizeof err), 0);
    af__arc_xopts o = {.format = AF__ARC_ZIP, .overwrite = 1};
    T_INTEQ(af__arc_extract(z, work, &o, err, sizeof err), 0);
    T_INTEQ(af__arc_commit_tree(work, d, 1, err, sizeof err), 0);
    af__arc_rmtree(work);
    T_STREQ(get(P("%s/one.txt", d)), "1");
    T_STREQ(get(P("%s/dir/two.txt", d)), "22");
    /* an archive with no entries extracts to nothing */
    const char *e = P("%s/empty.zip", T), *de = fresh("empty-dest");
    T_INTEQ(sh("python3 %s empty %s", PY, e), 0);
    T_INTEQ(extract(e, de, AF__ARC_ZIP, NULL, 1), 0);
    T_CHECK(dir_empty(de));
}

static void test_not_an_archive(void)
{
    const char *f = P("%s/notzip.zip", T), *d = fresh("nz-dest");
    put(f, "this is not a zip file at all, just text\n");
    T_INTEQ(extract(f, d, AF__ARC_ZIP, NULL, 1), -1);
    T_CHECK(contains(err, f));
    T_CHECK(dir_empty(d));
    T_INTEQ(extract(P("%s/missing.zip", T), d, AF__ARC_ZIP, NULL, 1), -1);
    T_CHECK(contains(err, "missing.zip"));
}

static void on_name(void *ud, const char *name)
{
    af_buf *b = ud;
    af_buf_puts(b, name);
    af_buf_putc(b, '\n');
}

static void test_legacy_names(void)
{
    /* Info-ZIP on Linux stores raw bytes without the UTF-8 flag: valid UTF-8
     * stays as is, anything else is read as CP437 as Python does */
    const char *src = fresh("leg-src"), *z = P("%s/leg.zip", T);
    put(P("%s/caf\xc3\xa9.txt", src), "utf8");
    put(P("%s/caf\xe9.txt", src), "latin1");
    unlink(z);
    T_INTEQ(sh("cd %s && LC_ALL=C zip -q %s *", src, z), 0);
    const char *d = fresh("leg-dest");
    char work[PATH_MAX];
    af_buf names = {0};
    T_INTEQ(af__arc_tmpdir(d, work, sizeof work, err, sizeof err), 0);
    af__arc_xopts o = {
        .format = AF__ARC_ZIP, .overwrite = 1, .on_entry = on_name, .entry_ud = &names};
    T_INTEQ(af__arc_extract(z, work, &o, err, sizeof err), 0);
    af__arc_rmtree(work);
    T_CHECK(contains(af_buf_cstr(&names), "caf\xc3\xa9.txt\n"));
    /* U+0398 is CP437 0xE9, what zipfile's namelist gives for the latin-1 name */
    T_CHECK(contains(af_buf_cstr(&names), "caf\xce\x98.txt\n"));
    T_CHECK(
        contains(out("python3 -c \"import zipfile; print(zipfile.ZipFile('%s').namelist())\"", z),
                 "caf\xce\x98.txt"));
    af_buf_free(&names);
}

/* ---- tar formats ------------------------------------------------------------- */

static void test_tar_formats(void)
{
    const char *src = make_src("tar-src");
    size_t n;
    af_archive_file *f = src_files(src, &n);
    struct {
        int fmt;
        const char *file, *list;
    } cases[] = {
        {AF__ARC_TGZ, "t.tar.gz", "tar -tzf"},
        {AF__ARC_TZST, "t.tar.zst", "tar --zstd -tf"},
    };
    for (size_t i = 0; i < 2; i++) {
        const char *z = P("%s/%s", T, cases[i].file);
        af__arc_wopts o = {.format = cases[i].fmt, .level = -1};
        unlink(z);
        T_INTEQ(af__arc_write(z, f, n, &o, err, sizeof err), 0);
        T_STREQ(out("%s %s", cases[i].list, z),
                "a.txt\ncaf\xc3\xa9.txt\nempty.txt\nsub/b.bin\nsub/deep/c.txt\n");
        const char *d = fresh(P("tar-dest%zu", i));
        T_INTEQ(extract(z, d, cases[i].fmt, NULL, 1), 0);
        T_INTEQ(sh("diff -r %s %s", src, d), 0);
        /* a zip is not what was asked for */
        T_INTEQ(extract(z, fresh("tar-wrong"), AF__ARC_ZIP, NULL, 1), -1);
        T_CHECK(contains(err, "not a zip archive"));
        /* tar cannot carry a password */
        af__arc_wopts pw = {.format = cases[i].fmt, .level = -1, .password = "x"};
        unlink(z);
        T_INTEQ(af__arc_write(z, f, n, &pw, err, sizeof err), -1);
        T_CHECK(contains(err, "password"));
        T_CHECK(!exists(z));
    }
}

/* ---- safety ---------------------------------------------------------------- */

static void test_zip_slip_names(void)
{
    const char *evil[] = {"../evil.txt",       "../../evil.txt", "a/../../evil.txt",
                          "/tmp/afc-evil.txt", "..\\evil.txt",   "C:/evil.txt"};
    for (size_t i = 0; i < sizeof evil / sizeof *evil; i++) {
        const char *z = P("%s/slip%zu.zip", T, i);
        T_INTEQ(sh("python3 %s zip %s f:good.txt=ok 'f:%s=pwned'", PY, z, evil[i]), 0);
        const char *root = fresh(P("slip%zu", i)), *d = P("%s/out/dest", root);
        T_INTEQ(extract(z, d, AF__ARC_ZIP, NULL, 1), -1);
        /* named in the message (libarchive turns a DOS name's '\' into '/') */
        T_CHECK(contains(err, "evil.txt"));
        T_CHECK(contains(err, "refused"));
        /* nothing anywhere: not the good entry, not the evil one */
        T_CHECK(dir_empty(d));
        T_STREQ(out("find %s -type f", root), "");
        T_CHECK(!exists("/tmp/afc-evil.txt"));
    }
}

static void test_symlink_entries(void)
{
    /* links that leave the destination */
    const char *bad[] = {"l:link=../../outside", "l:link=/etc", "l:sub/link=../../x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *z = P("%s/sl%zu.zip", T, i), *d = fresh(P("sl%zu", i));
        T_INTEQ(sh("python3 %s zip %s f:a.txt=A '%s'", PY, z, bad[i]), 0);
        T_INTEQ(extract(z, d, AF__ARC_ZIP, NULL, 1), -1);
        T_CHECK(contains(err, "link"));
        T_CHECK(contains(err, "outside"));
        T_CHECK(dir_empty(d));
    }
    /* a link inside is kept as a link */
    const char *z = P("%s/slok.zip", T), *d = fresh("slok");
    T_INTEQ(sh("python3 %s zip %s f:a.txt=A l:sub/link=../a.txt", PY, z), 0);
    T_INTEQ(extract(z, d, AF__ARC_ZIP, NULL, 1), 0);
    struct stat st;
    T_CHECK(lstat(P("%s/sub/link", d), &st) == 0 && S_ISLNK(st.st_mode));
    T_STREQ(get(P("%s/sub/link", d)), "A");
    /* writing through a link an earlier entry made, even one pointing inside */
    const char *outside = fresh("slthrough-outside");
    const char *z2 = P("%s/slthrough.zip", T), *d2 = fresh("slthrough");
    T_INTEQ(sh("python3 %s zip %s d:sub/ l:p=sub 'f:p/x.txt=X'", PY, z2), 0);
    T_INTEQ(extract(z2, d2, AF__ARC_ZIP, NULL, 1), -1);
    T_CHECK(contains(err, "p/x.txt"));
    T_CHECK(contains(err, "symlink"));
    T_CHECK(dir_empty(d2));
    /* the classic two-step: a link to '.' then a link two levels down going up twice */
    const char *z3 = P("%s/sl2step.zip", T), *d3 = fresh("sl2step/inner");
    T_INTEQ(sh("python3 %s zip %s l:p=. 'l:p/q/l=../../%s'", PY, z3, outside), 0);
    T_INTEQ(extract(z3, d3, AF__ARC_ZIP, NULL, 1), -1);
    T_CHECK(dir_empty(d3));
    T_CHECK(dir_empty(outside));
}

static void test_tar_specials(void)
{
    struct {
        const char *spec, *msg;
    } bad[] = {
        {"h:hl=../outside.txt", "refused"},
        {"p:fifo", "fifo"},
        {"c:null", "device"},
        {"l:sl=../../x", "outside"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *z = P("%s/sp%zu.tar.gz", T, i), *d = fresh(P("sp%zu", i));
        T_INTEQ(sh("python3 %s tar %s f:a.txt=A '%s'", PY, z, bad[i].spec), 0);
        T_INTEQ(extract(z, d, AF__ARC_TGZ, NULL, 1), -1);
        T_CHECK(contains(err, bad[i].msg));
        T_CHECK(dir_empty(d));
    }
    /* a hard link to an earlier entry is fine and stays a hard link */
    const char *z = P("%s/hl.tar.gz", T), *d = fresh("hl");
    T_INTEQ(sh("python3 %s tar %s f:a.txt=A h:b.txt=a.txt", PY, z), 0);
    T_INTEQ(extract(z, d, AF__ARC_TGZ, NULL, 1), 0);
    struct stat sa, sb;
    T_CHECK(stat(P("%s/a.txt", d), &sa) == 0 && stat(P("%s/b.txt", d), &sb) == 0);
    T_CHECK(sa.st_ino == sb.st_ino);
    T_STREQ(get(P("%s/b.txt", d)), "A");
}

static void test_commit_tree_rules(void)
{
    /* a symlink already in the destination is not followed */
    const char *outside = fresh("ct-outside"), *dest = fresh("ct-dest");
    T_INTEQ(symlink(outside, P("%s/d", dest)), 0);
    const char *z = P("%s/ct.zip", T);
    T_INTEQ(sh("python3 %s zip %s f:d/x.txt=X", PY, z), 0);
    T_INTEQ(extract(z, dest, AF__ARC_ZIP, NULL, 1), -1);
    T_CHECK(contains(err, "symlink"));
    T_CHECK(dir_empty(outside));
    /* overwrite: false keeps, true replaces */
    const char *d2 = fresh("ct-ow");
    put(P("%s/a.txt", d2), "old");
    const char *z2 = P("%s/ow.zip", T);
    T_INTEQ(sh("python3 %s zip %s f:a.txt=new f:b.txt=B", PY, z2), 0);
    T_INTEQ(extract(z2, d2, AF__ARC_ZIP, NULL, 0), 0);
    T_STREQ(get(P("%s/a.txt", d2)), "old");
    T_STREQ(get(P("%s/b.txt", d2)), "B");
    T_INTEQ(extract(z2, d2, AF__ARC_ZIP, NULL, 1), 0);
    T_STREQ(get(P("%s/a.txt", d2)), "new");
    /* a type clash is found before anything moves */
    const char *d3 = fresh("ct-clash");
    af__arc_mkdirs(P("%s/b.txt", d3));
    T_INTEQ(extract(z2, d3, AF__ARC_ZIP, NULL, 1), -1);
    T_CHECK(contains(err, "b.txt"));
    T_CHECK(!exists(P("%s/a.txt", d3)));
    /* a tree written by another program: its links are checked too */
    const char *w = fresh("ct-work"), *d4 = fresh("ct-dest4");
    put(P("%s/f.txt", w), "F");
    T_INTEQ(symlink("../../../etc/passwd", P("%s/evil", w)), 0);
    T_INTEQ(af__arc_commit_tree(w, d4, 1, err, sizeof err), -1);
    T_CHECK(contains(err, "evil"));
    T_CHECK(dir_empty(d4));
    T_INTEQ(mkfifo(P("%s/fifo", fresh("ct-work2")), 0600), 0);
    T_INTEQ(af__arc_commit_tree(P("%s/ct-work2", T), d4, 1, err, sizeof err), -1);
    T_CHECK(contains(err, "fifo"));
}

static void test_members(void)
{
    const char *src = make_src("mb-src"), *z = P("%s/mb.zip", T);
    T_INTEQ(write_zip(z, src, AF__ENC_NONE, NULL, 0), 0);
    const char *d = fresh("mb-dest");
    char work[PATH_MAX];
    const char *members[] = {"sub/deep/c.txt", "a.txt"};
    af_buf names = {0};
    T_INTEQ(af__arc_tmpdir(d, work, sizeof work, err, sizeof err), 0);
    af__arc_xopts o = {.format = AF__ARC_ZIP,
                       .overwrite = 1,
                       .members = members,
                       .nmembers = 2,
                       .on_entry = on_name,
                       .entry_ud = &names};
    T_INTEQ(af__arc_extract(z, work, &o, err, sizeof err), 0);
    T_INTEQ(af__arc_commit_tree(work, d, 1, err, sizeof err), 0);
    af__arc_rmtree(work);
    T_STREQ(af_buf_cstr(&names), "a.txt\nsub/deep/c.txt\n");
    T_STREQ(out("cd %s && find . -type f | sort", d), "./a.txt\n./sub/deep/c.txt\n");
    /* a missing member fails the whole archive */
    const char *d2 = fresh("mb-miss");
    const char *m2[] = {"a.txt", "nope.txt"};
    T_INTEQ(af__arc_tmpdir(d2, work, sizeof work, err, sizeof err), 0);
    af__arc_xopts o2 = {.format = AF__ARC_ZIP, .overwrite = 1, .members = m2, .nmembers = 2};
    T_INTEQ(af__arc_extract(z, work, &o2, err, sizeof err), -1);
    T_CHECK(contains(err, "nope.txt"));
    af__arc_rmtree(work);
    T_CHECK(dir_empty(d2));
    af_buf_free(&names);
}

static void test_overwrite_false_skips(void)
{
    const char *src = make_src("os-src"), *z = P("%s/os.zip", T);
    T_INTEQ(write_zip(z, src, AF__ENC_NONE, NULL, 0), 0);
    const char *d = fresh("os-dest");
    put(P("%s/a.txt", d), "mine");
    char work[PATH_MAX];
    af_buf names = {0};
    T_INTEQ(af__arc_tmpdir(d, work, sizeof work, err, sizeof err), 0);
    af__arc_xopts o = {.format = AF__ARC_ZIP,
                       .dest_dir = d,
                       .overwrite = 0,
                       .on_entry = on_name,
                       .entry_ud = &names};
    T_INTEQ(af__arc_extract(z, work, &o, err, sizeof err), 0);
    T_INTEQ(af__arc_commit_tree(work, d, 0, err, sizeof err), 0);
    af__arc_rmtree(work);
    T_CHECK(!contains(af_buf_cstr(&names), "a.txt"));
    T_CHECK(contains(af_buf_cstr(&names), "empty.txt"));
    T_STREQ(get(P("%s/a.txt", d)), "mine");
    af_buf_free(&names);
}

/* ---- atomic output ---------------------------------------------------------- */

static void test_write_failure_leaves_nothing(void)
{
    const char *src = make_src("wf-src"), *z = P("%s/wf.zip", T);
    af_archive_file f[2] = {{P("%s/a.txt", src), "a.txt"}, {P("%s/gone.txt", src), "gone.txt"}};
    af__arc_wopts o = {.format = AF__ARC_ZIP, .level = -1};
    unlink(z);
    T_INTEQ(af__arc_write(z, f, 2, &o, err, sizeof err), -1);
    T_CHECK(contains(err, "gone.txt"));
    T_CHECK(!exists(z));
    /* the temporary path must be new */
    put(z, "x");
    T_INTEQ(af__arc_write(z, f, 1, &o, err, sizeof err), -1);
    T_STREQ(get(z), "x");
}

static int calls_left;
static int cancel_after(void *ud)
{
    (void)ud;
    return --calls_left < 0;
}

static void test_cancel(void)
{
    const char *src = make_src("cn-src"), *z = P("%s/cn.zip", T);
    size_t n;
    af_archive_file *f = src_files(src, &n);
    af__arc_wopts o = {.format = AF__ARC_ZIP, .level = -1, .cancelled = cancel_after};
    calls_left = 2;
    unlink(z);
    T_INTEQ(af__arc_write(z, f, n, &o, err, sizeof err), -1);
    T_CHECK(contains(err, "cancelled"));
    T_CHECK(!exists(z));
    T_INTEQ(write_zip(z, src, AF__ENC_NONE, NULL, 0), 0);
    const char *d = fresh("cn-dest");
    char work[PATH_MAX];
    T_INTEQ(af__arc_tmpdir(d, work, sizeof work, err, sizeof err), 0);
    calls_left = 1;
    af__arc_xopts x = {.format = AF__ARC_ZIP, .overwrite = 1, .cancelled = cancel_after};
    T_INTEQ(af__arc_extract(z, work, &x, err, sizeof err), -1);
    T_CHECK(contains(err, "cancelled"));
    af__arc_rmtree(work);
    T_CHECK(dir_empty(d));
}

static void test_commit_file(void)
{
    const char *d = fresh("cf"), *tmp = P("%s/t", d), *dst = P("%s/final.zip", d);
    put(tmp, "one");
    T_INTEQ(af__arc_commit_file(tmp, dst, 0, err, sizeof err), 0);
    T_STREQ(get(dst), "one");
    T_CHECK(!exists(tmp));
    put(tmp, "two");
    T_INTEQ(af__arc_commit_file(tmp, dst, 0, err, sizeof err), -1);
    T_CHECK(contains(err, "overwrite is false"));
    T_STREQ(get(dst), "one");
    T_INTEQ(af__arc_commit_file(tmp, dst, 1, err, sizeof err), 0);
    T_STREQ(get(dst), "two");
    af__arc_mkdirs(P("%s/adir", d));
    put(tmp, "three");
    T_INTEQ(af__arc_commit_file(tmp, P("%s/adir", d), 1, err, sizeof err), -1);
    T_CHECK(contains(err, "directory"));
}

/* ---- the zip step's file collection (expectations from the reference) ------ */

static const char *collect(const char *base, const char *const *items, int recursive,
                           const char *exclude, int *rc)
{
    af__arc_paths ps = {.a = A};
    *rc = 0;
    for (size_t i = 0; items[i] && *rc == 0; i++) {
        const char *p = items[i][0] == '/' ? items[i] : P("%s/%s", base, items[i]);
        *rc = af__arc_is_glob(items[i]) ? af__arc_add_glob(&ps, p, recursive, err, sizeof err)
                                        : af__arc_add_path(&ps, p, recursive, err, sizeof err);
    }
    if (*rc) return NULL;
    af_archive_file *f;
    size_t n;
    if ((*rc = af__arc_finish(&ps, base, exclude, &f, &n, err, sizeof err))) return NULL;
    af_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        af_buf_puts(&b, f[i].name);
        af_buf_putc(&b, '\n');
    }
    const char *s = af_strdup(A, af_buf_cstr(&b));
    af_buf_free(&b);
    return s;
}

static void test_collect(void)
{
    const char *b = fresh("col");
    const char *files[] = {"in/a.txt", "in/b.txt", "in/sub/c.txt", "in/a-c/d.txt",
                           "in/.hid",  "x/y.csv",  "z.txt"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        put(P("%s/%s", b, files[i]), "x");
    char *base = realpath(b, NULL);
    int rc;
    /* order by path components ('a-c/' before 'a.txt'), duplicates gone, dot files in */
    const char *items1[] = {"in", "z.txt", "in/a.txt", "x/*.csv", "nope", "in/*.txt", NULL};
    T_STREQ(collect(base, items1, 1, NULL, &rc),
            "in/.hid\nin/a-c/d.txt\nin/a.txt\nin/b.txt\nin/sub/c.txt\nx/y.csv\nz.txt\n");
    /* no match: nothing */
    const char *items2[] = {"nope*", NULL};
    T_STREQ(collect(base, items2, 1, NULL, &rc), "");
    /* not recursive: directories matched by the glob are left out */
    const char *items3[] = {"in/*", NULL};
    T_STREQ(collect(base, items3, 0, NULL, &rc), "in/.hid\nin/a.txt\nin/b.txt\n");
    /* "**" stands for the directory and all below */
    const char *items4[] = {"in/**", NULL};
    T_STREQ(collect(base, items4, 1, NULL, &rc),
            "in/.hid\nin/a-c/d.txt\nin/a.txt\nin/b.txt\nin/sub/c.txt\n");
    /* wildcards in a directory component match nothing (pathlib: only the last) */
    const char *items5[] = {"in/*/c.txt", NULL};
    T_STREQ(collect(base, items5, 1, NULL, &rc), "");
    /* the archive being written is never part of itself */
    const char *items6[] = {"z.txt", "x", NULL};
    T_STREQ(collect(base, items6, 1, P("%s/z.txt", base), &rc), "x/y.csv\n");
    /* outside src_dir */
    const char *items7[] = {P("%s/z.txt", base), NULL};
    T_CHECK(collect(P("%s/in", base), items7, 1, NULL, &rc) == NULL);
    T_CHECK(contains(err, "outside src_dir"));
    free(base);
}

static void test_collect_symlinks(void)
{
    const char *b = fresh("cols"), *other = fresh("cols-other");
    put(P("%s/in/a.txt", b), "a");
    put(P("%s/o.txt", other), "o");
    T_INTEQ(symlink(other, P("%s/in/dirlink", b)), 0);                 /* not entered */
    T_INTEQ(symlink(P("%s/in/a.txt", b), P("%s/in/flink.txt", b)), 0); /* a file inside */
    char *base = realpath(b, NULL);
    const char *in = P("%s/in", base);
    int rc;
    const char *items[] = {"in", NULL};
    /* walked links keep their own names (the reference stored the target's
     * name, writing a.txt twice) */
    T_STREQ(collect(base, items, 1, NULL, &rc), "in/a.txt\nin/flink.txt\n");
    /* a named link is resolved first, so it is stored under the target's name */
    const char *items2[] = {"flink.txt", NULL};
    T_STREQ(collect(in, items2, 1, NULL, &rc), "a.txt\n");
    /* a link to a file outside src_dir fails the step */
    T_INTEQ(symlink("/etc/hostname", P("%s/in/evil.txt", b)), 0);
    const char *items3[] = {".", NULL};
    T_CHECK(collect(in, items3, 1, NULL, &rc) == NULL);
    T_CHECK(contains(err, "evil.txt"));
    T_CHECK(contains(err, "outside src_dir"));
    /* a name that is not UTF-8 cannot go into a zip */
    const char *c2 = fresh("cols-bad");
    put(P("%s/bad\xff.txt", c2), "x");
    char *base2 = realpath(c2, NULL);
    T_CHECK(collect(base2, items3, 1, NULL, &rc) == NULL);
    T_CHECK(contains(err, "UTF-8"));
    free(base);
    free(base2);
}

static void test_out_dir(void)
{
    /* the reference's layout, for archives under src_dir and elsewhere */
    T_STREQ(af__arc_out_dir(A, "/w/a/x.zip", "/w/a", "/w/d", 0, AF__ARC_ZIP), "/w/d");
    T_STREQ(af__arc_out_dir(A, "/w/a/cde/fgh.zip", "/w/a", "/w/d", 0, AF__ARC_ZIP), "/w/d/cde");
    T_STREQ(af__arc_out_dir(A, "/w/a/cde/fgh.zip", "/w/a", "/w/d", 1, AF__ARC_ZIP), "/w/d/cde/fgh");
    T_STREQ(af__arc_out_dir(A, "/w/a/x.y.zip", "/w/a", "/w/d", 1, AF__ARC_ZIP), "/w/d/x.y");
    T_STREQ(af__arc_out_dir(A, "/w/a/noext", "/w/a", "/w/d", 1, AF__ARC_ZIP), "/w/d/noext");
    T_STREQ(af__arc_out_dir(A, "/w/a/.zip", "/w/a", "/w/d", 1, AF__ARC_ZIP), "/w/d/.zip");
    T_STREQ(af__arc_out_dir(A, "/w/a/b.tar.gz", "/w/a", "/w/d", 1, AF__ARC_TGZ), "/w/d/b");
    T_STREQ(af__arc_out_dir(A, "/w/a/b.tar.gz", "/w/a", "/w/d", 1, AF__ARC_ZIP), "/w/d/b.tar");
    T_STREQ(af__arc_out_dir(A, "/w/other/x.zip", "/w/a", "/w/d", 0, AF__ARC_ZIP), "/w/d/x.zip");
    T_STREQ(af__arc_out_dir(A, "/w/ab/x.zip", "/w/a", "/w/d", 1, AF__ARC_ZIP), "/w/d/x.zip");
}

static void test_redact(void)
{
    char o[64];
    af__arc_redact(o, sizeof o, "bad pw hunter2 for hunter2!", "hunter2");
    T_STREQ(o, "bad pw *** for ***!");
    af__arc_redact(o, sizeof o, "nothing secret", NULL);
    T_STREQ(o, "nothing secret");
}

int main(void)
{
    A = af_arena_new();
    snprintf(T, sizeof T, "/tmp/afc-test-archive-XXXXXX");
    if (!mkdtemp(T)) {
        perror("mkdtemp");
        return 1;
    }
    PY = P("%s/helper.py", T);
    put(PY, py_src);
    T_RUN(test_norm_name);
    T_RUN(test_link_inside);
    T_RUN(test_zip_roundtrip);
    T_RUN(test_zip_stored);
    T_RUN(test_zip_aes256);
    T_RUN(test_zip_aes128);
    T_RUN(test_zip_zipcrypto);
    T_RUN(test_encrypt_needs_password);
    T_RUN(test_read_infozip);
    T_RUN(test_read_7z_aes);
    T_RUN(test_read_python);
    T_RUN(test_not_an_archive);
    T_RUN(test_legacy_names);
    T_RUN(test_tar_formats);
    T_RUN(test_zip_slip_names);
    T_RUN(test_symlink_entries);
    T_RUN(test_tar_specials);
    T_RUN(test_commit_tree_rules);
    T_RUN(test_members);
    T_RUN(test_overwrite_false_skips);
    T_RUN(test_write_failure_leaves_nothing);
    T_RUN(test_cancel);
    T_RUN(test_commit_file);
    T_RUN(test_collect);
    T_RUN(test_collect_symlinks);
    T_RUN(test_out_dir);
    T_RUN(test_redact);
    af__arc_rmtree(T);
    af_arena_free(A);
    T_END();
}
