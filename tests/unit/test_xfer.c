/*
 * test_xfer.c - the transfer code that needs no server: Python fnmatch,
 * the SMB path forms and joins, safe destinations, config coercion,
 * temporary files, and the engine (list, download, delete, uploads with
 * manifest and resume) over the `local` drivers on a scratch directory.
 * Expected values of the pure helpers come from running the reference's
 * Python (fnmatch.fnmatchcase, SMBClient._path) on the same inputs.
 */
#include "t.h"
#include "../../stdlib-steps/xfer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define T_SUITE "test_xfer"

static af_arena *A;
static char dir[256]; /* scratch, removed at the end */
static char err[1024];

static const char *P(const char *rel)
{
    return af_sprintf(A, "%s/%s", dir, rel);
}

static void put(const char *path, const char *text)
{
    char *d = af_strdup(A, path);
    *strrchr(d, '/') = 0;
    af__xfer_mkdirs(d);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || af__write_all(fd, text, strlen(text)) < 0) {
        perror(path);
        exit(2);
    }
    close(fd);
}

static const char *text_of(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return af_strdup(A, buf);
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static int count_names(const char *d, const char *sub)
{
    DIR *dd = opendir(d);
    int n = 0;
    struct dirent *de;
    while (dd && (de = readdir(dd)))
        if (strstr(de->d_name, sub)) n++;
    if (dd) closedir(dd);
    return n;
}

/* ---- pure helpers ------------------------------------------------------- */

static void t_fnmatch(void)
{
    static const struct {
        const char *pat, *name;
        int want;
    } c[] = {
        {"*.zip", "a.zip", 1},
        {"*.zip", "a.zip.tmp", 0},
        {"*", "", 1},
        {"*", ".hidden", 1},
        {"?", "é", 1},
        {"??", "é", 0},
        {"a?c", "abc", 1},
        {"a?c", "a/c", 1},
        {"*/x", "d/x", 1},
        {"[abc]x", "bx", 1},
        {"[!abc]x", "bx", 0},
        {"[!abc]x", "dx", 1},
        {"[a-c]", "b", 1},
        {"[c-a]", "b", 0},
        {"[!c-a]", "b", 1},
        {"[]]", "]", 1},
        {"[!]]", "a", 1},
        {"[", "[", 1},
        {"[a", "[a", 1},
        {"a[", "a[", 1},
        {"[^a]", "^", 1},
        {"[^a]", "b", 0},
        {"[a-]", "-", 1},
        {"[-a]", "-", 1},
        {"\\*", "\\x", 1},
        {"\\*", "*", 0},
        {"*a*b*c", "xaybzc", 1},
        {"*a*b*c", "xaybz", 0},
        {"report_*_[0-9][0-9].csv", "report_x_12.csv", 1},
        {"report_*_[0-9][0-9].csv", "report_x_1a.csv", 0},
        {"*.ZIP", "a.zip", 0},
        {"[é]", "é", 1},
        {"[à-ë]", "é", 1},
        {"**", "abc", 1},
        {"a*", "a", 1},
        {"*a", "a", 1},
        {"*?", "", 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        int got = af__fnmatch(c[i].pat, c[i].name);
        if (got != c[i].want)
            printf("#   fnmatch('%s', '%s') = %d, Python says %d\n", c[i].name, c[i].pat, got,
                   c[i].want);
        T_INTEQ(got, c[i].want);
    }
}

static void t_smb_parse(void)
{
    static const struct {
        const char *raw, *server, *share, *path;
    } c[] = {
        {"dir/file.txt", "srv", "DATA", "dir/file.txt"},
        {"/dir/file.txt", "srv", "DATA", "dir/file.txt"},
        {"\\dir\\file.txt", "srv", "DATA", "dir/file.txt"},
        {"\\\\host\\SH\\a\\b.txt", "host", "SH", "a/b.txt"},
        {"\\\\host\\SH", "host", "SH", ""},
        {"OTHER:/x/y", "srv", "OTHER", "x/y"},
        {"OTHER:\\x\\y", "srv", "OTHER", "x/y"},
        {"C:\\dir\\f", "srv", "DATA", "dir/f"},
        {"c:/dir/f", "srv", "DATA", "dir/f"},
        {"C:", "srv", "DATA", ""},
        {"D:\\", "srv", "DATA", ""},
        {"  spaced/x  ", "srv", "DATA", "spaced/x"},
        {"ab:/z", "srv", "ab", "z"},
        {"a:/z", "srv", "DATA", "z"},
        {"Sh.are-1:/q", "srv", "Sh.are-1", "q"},
        {"/", "srv", "DATA", ""},
        {"", "srv", "DATA", ""},
        {"x//y/", "srv", "DATA", "x/y"},
        {"DATA:/", "srv", "DATA", ""},
        {"//srv/share/x", "srv", "DATA", "srv/share/x"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        af__smb_path sp = {0};
        T_INTEQ(af__smb_parse(A, "srv", "DATA", c[i].raw, &sp, err, sizeof err), 0);
        T_STREQ(sp.server, c[i].server);
        T_STREQ(sp.share, c[i].share);
        T_STREQ(sp.path, c[i].path);
    }
    af__smb_path sp;
    T_INTEQ(af__smb_parse(A, "srv", NULL, "dir/f", &sp, err, sizeof err), -1);
    T_CHECK(strstr(err, "SMB path requires a share") != NULL);
    T_INTEQ(af__smb_parse(A, "srv", NULL, "C:\\x", &sp, err, sizeof err), -1);
    T_INTEQ(af__smb_parse(A, "srv", NULL, "OTHER:/x", &sp, err, sizeof err), 0);
    T_STREQ(sp.share, "OTHER");
    T_INTEQ(af__smb_parse(A, "srv", NULL, "\\\\h\\S\\x", &sp, err, sizeof err), 0);
    T_STREQ(sp.server, "h");
}

static void t_joins(void)
{
    T_STREQ(af__sftp_join(A, "/in", "a"), "/in/a");
    T_STREQ(af__sftp_join(A, "/in//", "a"), "/in/a");
    T_STREQ(af__sftp_join(A, "/", "a"), "/a");
    T_STREQ(af__sftp_join(A, "rel", "a"), "rel/a");
    T_STREQ(af__smb_join(A, "", "a"), "a");
    T_STREQ(af__smb_join(A, "/", "a"), "a");
    T_STREQ(af__smb_join(A, "in/", "a"), "in/a");
    T_STREQ(af__smb_join(A, "\\in\\sub", "a"), "/in/sub/a");
    T_STREQ(af__smb_join(A, "SH:/", "a"), "SH:/a");
    T_STREQ(af__smb_join(A, "SH:/in/", "a"), "SH:/in/a");
    T_STREQ(af__smb_join(A, "SH:\\in", "a"), "SH:/in/a");
    T_STREQ(af__smb_join(A, "C:\\in", "a"), "C:/in/a");
    T_STREQ(af__smb_join(A, "\\\\srv\\sh\\in\\", "a"), "\\\\srv\\sh\\in\\a");
    T_STREQ(af__path_base("a/b\\c.txt"), "c.txt");
    T_STREQ(af__path_base("c.txt"), "c.txt");
}

static void t_safe_dest(void)
{
    const char *out;
    T_INTEQ(af__safe_dest(A, "/w/dl", "a/b.zip", &out, err, sizeof err), 0);
    T_STREQ(out, "/w/dl/a/b.zip");
    T_INTEQ(af__safe_dest(A, "/w/dl/", "/abs/x", &out, err, sizeof err), 0);
    T_STREQ(out, "/w/dl/abs/x");
    T_INTEQ(af__safe_dest(A, "/w/dl", "\\\\x", &out, err, sizeof err), 0);
    T_STREQ(out, "/w/dl/x");
    T_INTEQ(af__safe_dest(A, "/w/dl", "a/../b", &out, err, sizeof err), 0);
    T_STREQ(out, "/w/dl/b");
    T_INTEQ(af__safe_dest(A, "/w/dl", "../x", &out, err, sizeof err), -1);
    T_STREQ(err, "dest path escapes dest_dir: ../x");
    T_INTEQ(af__safe_dest(A, "/w/dl", "a/../../dl2/x", &out, err, sizeof err), -1);
    T_INTEQ(af__safe_dest(A, "/w/dl", ".", &out, err, sizeof err), -1);
    T_STREQ(af__norm_abs(A, "/a/./b//../c/"), "/a/c");
    T_STREQ(af__norm_abs(A, "/../.."), "/");
}

static void t_config(void)
{
    af_value *m = af_map(A);
    af_map_set(A, m, "s", af_str(A, " 22 "));
    af_map_set(A, m, "i", af_int(A, 7));
    af_map_set(A, m, "d", af_double(A, 30.9));
    af_map_set(A, m, "bad", af_str(A, "22.0"));
    af_map_set(A, m, "b", af_bool(1));
    int64_t v;
    T_INTEQ(af__cfg_int(m, "s", 0, &v, err, sizeof err), 0);
    T_INTEQ(v, 22);
    T_INTEQ(af__cfg_int(m, "i", 0, &v, err, sizeof err), 0);
    T_INTEQ(v, 7);
    T_INTEQ(af__cfg_int(m, "d", 0, &v, err, sizeof err), 0);
    T_INTEQ(v, 30);
    T_INTEQ(af__cfg_int(m, "missing", 445, &v, err, sizeof err), 0);
    T_INTEQ(v, 445);
    T_INTEQ(af__cfg_int(m, "bad", 0, &v, err, sizeof err), -1); /* int("22.0") fails in Python */
    T_STREQ(err, "config.bad: expected an integer, got string");
    T_STREQ(af__cfg_str(A, m, "i"), "7");
    T_STREQ(af__cfg_str(A, m, "b"), "True");
    T_CHECK(af__cfg_str(A, m, "missing") == NULL);
    int bv;
    af_map_set(A, m, "yes", af_str(A, "Yes"));
    af_map_set(A, m, "off", af_str(A, "off"));
    T_INTEQ(af__cfg_bool(m, "yes", 0, &bv, err, sizeof err), 0);
    T_INTEQ(bv, 1);
    T_INTEQ(af__cfg_bool(m, "off", 1, &bv, err, sizeof err), 0);
    T_INTEQ(bv, 0);
    T_INTEQ(af__cfg_bool(m, "b", 0, &bv, err, sizeof err), 0);
    T_INTEQ(bv, 1);
    T_INTEQ(af__cfg_bool(m, "missing", 1, &bv, err, sizeof err), 0);
    T_INTEQ(bv, 1);
    T_INTEQ(af__cfg_bool(m, "s", 0, &bv, err, sizeof err), -1);
    T_STREQ(err, "config.s: expected a boolean, got ' 22 '");
    double t;
    af_value *opt = af_map(A);
    T_INTEQ(af__cfg_timeout(m, opt, 30, &t, err, sizeof err), 0);
    T_CHECK(t == 30);
    af_map_set(A, m, "timeout", af_str(A, "12"));
    T_INTEQ(af__cfg_timeout(m, opt, 30, &t, err, sizeof err), 0);
    T_CHECK(t == 12);
    af_map_set(A, opt, "timeout", af_double(A, 2.5));
    T_INTEQ(af__cfg_timeout(m, opt, 30, &t, err, sizeof err), 0);
    T_CHECK(t == 2.5);
    af_map_set(A, opt, "timeout", af_int(A, -1));
    T_INTEQ(af__cfg_timeout(m, opt, 30, &t, err, sizeof err), -1);
}

static void t_tmpfile(void)
{
    af__tmpfile t;
    const char *p = P("tmp/target.txt");
    af__xfer_mkdirs(P("tmp"));
    put(p, "old");
    T_INTEQ(af__tmp_open(&t, p, err, sizeof err), 0);
    T_INTEQ(count_names(P("tmp"), ".target.txt.afctmp-"), 1);
    T_INTEQ(af__write_all(t.fd, "new", 3), 0);
    T_STREQ(text_of(p), "old"); /* untouched until commit */
    T_INTEQ(af__tmp_commit(&t, err, sizeof err), 0);
    T_STREQ(text_of(p), "new");
    T_INTEQ(count_names(P("tmp"), "afctmp"), 0);
    T_INTEQ(af__tmp_open(&t, p, err, sizeof err), 0);
    af__write_all(t.fd, "partial", 7);
    af__tmp_abort(&t);
    af__tmp_abort(&t); /* twice is fine */
    T_STREQ(text_of(p), "new");
    T_INTEQ(count_names(P("tmp"), "afctmp"), 0);
    T_INTEQ(af__tmp_open(&t, "/nonexistent-dir/x", err, sizeof err), -1);
    T_CHECK(strstr(err, "/nonexistent-dir/x") != NULL);
    const char *r = af__remote_tmp_name(A, "/up/dir/report.csv");
    T_CHECK(!strncmp(r, "/up/dir/.report.csv.afctmp-", 27) && strlen(r) == 27 + 16);
    r = af__remote_tmp_name(A, "SH:\\dir\\r.csv");
    T_CHECK(!strncmp(r, "SH:\\dir\\.r.csv.afctmp-", 22));
}

/* ---- the local drivers and the engine ----------------------------------- */

static void *open_local(int smb, const char *base, const char *share)
{
    af_value *c = af_map(A);
    af_map_set(A, c, "base_dir", af_str(A, base));
    if (share) af_map_set(A, c, "share", af_str(A, share));
    void *h = NULL;
    if (af__local_open(c, smb, &h, err, sizeof err) < 0) printf("#   open: %s\n", err);
    return h;
}

static void t_local_sftp_engine(void)
{
    const char *base = P("sftp_remote");
    void *h = open_local(0, base, NULL);
    T_CHECK(h != NULL);
    if (!h) return;
    put(P("sftp_remote/in/b.zip"), "B");
    put(P("sftp_remote/in/a.zip"), "A");
    put(P("sftp_remote/in/skip.txt"), "S");
    put(P("sftp_remote/in/sub/c.zip"), "C");
    af__xfer x = {.ops = &af__local_ops, .h = h, .a = A};
    af_value *files, *local;
    T_INTEQ(af__xfer_list(&x, "/in/", "*.zip", 1, &files), 0);
    T_INTEQ(files->u.list.n, 3);
    if (files->u.list.n == 3) {
        const af_value *f0 = files->u.list.items[0], *f2 = files->u.list.items[2];
        T_STREQ(af_map_get(f0, "rel_path")->u.s.ptr, "a.zip");
        T_STREQ(af_map_get(f0, "path")->u.s.ptr, "/in/a.zip");
        T_INTEQ(af_map_get(f0, "size")->u.i, 1);
        T_CHECK(af_map_get(f0, "is_dir")->u.b == 0);
        T_STREQ(af_map_get(f2, "rel_path")->u.s.ptr, "sub/c.zip");
        /* key order of the reference's RemoteFileMeta as the issue lists it */
        T_STREQ(f0->u.map.pairs[0].key, "path");
        T_STREQ(f0->u.map.pairs[5].key, "mtime");
    }
    T_INTEQ(af__xfer_list(&x, "/", "*", 0, &files), 0);
    T_INTEQ(files->u.list.n, 1); /* the directory "in" */
    if (files->u.list.n == 1) {
        T_STREQ(af_map_get(files->u.list.items[0], "rel_path")->u.s.ptr, "in");
        T_CHECK(af_map_get(files->u.list.items[0], "size")->type == AF_NULL);
    }
    T_INTEQ(af__xfer_list(&x, "/in", "*.zip", 1, &files), 0);
    const char *dest = P("dl");
    af__xfer_mkdirs(dest);
    T_INTEQ(af__xfer_download(&x, files, dest, &local), 0);
    T_INTEQ(local->u.list.n, 3);
    T_STREQ(text_of(P("dl/sub/c.zip")), "C");
    T_INTEQ(count_names(dest, "afctmp"), 0);
    /* plain strings are remote paths saved under their name */
    af_value *strs = af_list(A);
    af_list_push(A, strs, af_str(A, "/in/skip.txt"));
    T_INTEQ(af__xfer_download(&x, strs, dest, &local), 0);
    T_STREQ(text_of(P("dl/skip.txt")), "S");
    /* a symbolic link inside dest_dir cannot lead the download out */
    T_INTEQ(symlink(P("sftp_remote"), P("dl/link")), 0);
    af_value *evil = af_list(A), *m = af_map(A);
    af_map_set(A, m, "path", af_str(A, "/in/a.zip"));
    af_map_set(A, m, "rel_path", af_str(A, "link/in/stolen.zip"));
    af_list_push(A, evil, m);
    T_INTEQ(af__xfer_download(&x, evil, dest, &local), -1);
    T_CHECK(strstr(x.err, "symbolic link") != NULL);
    T_CHECK(!exists(P("sftp_remote/in/stolen.zip")));
    /* delete */
    T_INTEQ(af__xfer_delete(&x, files), 0);
    T_CHECK(!exists(P("sftp_remote/in/a.zip")) && exists(P("sftp_remote/in/skip.txt")));
    T_INTEQ(af__xfer_delete(&x, files), -1);
    T_CHECK(strstr(x.err, "cannot delete '/in/") != NULL);
    /* the local driver keeps paths inside base_dir */
    af_remote_stat st;
    T_INTEQ(af__local_ops.stat(h, "/../../etc/passwd", &st, err, sizeof err), -1);
    T_CHECK(strstr(err, "escapes base_dir") != NULL);
    af__local_close(h);
}

static void t_local_smb_forms(void)
{
    void *h = open_local(1, P("smb_remote"), "DATA");
    T_CHECK(h != NULL);
    if (!h) return;
    const af_remote_ops *o = &af__local_ops;
    T_INTEQ(o->write(h, "dir/a.txt", "a", 1, err, sizeof err), 0);
    T_INTEQ(o->write(h, "OTHER:/x/b.txt", "b", 1, err, sizeof err), 0);
    T_INTEQ(o->write(h, "\\\\anyhost\\THIRD\\c.txt", "c", 1, err, sizeof err), 0);
    T_INTEQ(o->write(h, "C:\\dir\\d.txt", "d", 1, err, sizeof err), 0);
    T_STREQ(text_of(P("smb_remote/DATA/dir/a.txt")), "a");
    T_STREQ(text_of(P("smb_remote/OTHER/x/b.txt")), "b");
    T_STREQ(text_of(P("smb_remote/THIRD/c.txt")), "c");
    T_STREQ(text_of(P("smb_remote/DATA/dir/d.txt")), "d");
    T_INTEQ(o->write(h, "..:/x", "e", 1, err, sizeof err), -1);
    T_INTEQ(o->write(h, "dir/../../OTHER/x/b.txt", "e", 1, err, sizeof err), -1);
    T_CHECK(strstr(err, "escapes") != NULL);
    T_INTEQ(o->delete_recursive(h, "OTHER:/", err, sizeof err), -1);
    T_CHECK(strstr(err, "refusing") != NULL && exists(P("smb_remote/OTHER/x/b.txt")));
    af__xfer x = {.ops = o, .h = h, .smb = 1, .a = A};
    af_value *files = af_list(A);
    T_INTEQ(af__xfer_list(&x, "DATA:/", "*.txt", 1, &files), 0);
    T_INTEQ(files->u.list.n, 2);
    if (files->u.list.n == 2) {
        T_STREQ(af_map_get(files->u.list.items[0], "path")->u.s.ptr, "DATA:/dir/a.txt");
        T_STREQ(af_map_get(files->u.list.items[0], "rel_path")->u.s.ptr, "dir/a.txt");
    }
    const char *src = P("upload_src.csv");
    put(src, "payload");
    af_value *uploaded;
    const char *srcs[1] = {src};
    T_INTEQ(af__xfer_upload_smb(&x, srcs, 1, "Produktion:/DIAS/upload", &uploaded), 0);
    T_STREQ(text_of(P("smb_remote/Produktion/DIAS/upload/upload_src.csv")), "payload");
    T_STREQ(uploaded->u.list.items[0]->u.s.ptr, src);
    af__local_close(h);
    /* no share configured: paths must name one */
    h = open_local(1, P("smb_remote"), NULL);
    T_INTEQ(o->write(h, "dir/z.txt", "z", 1, err, sizeof err), -1);
    T_CHECK(strstr(err, "requires a share") != NULL);
    af__local_close(h);
}

static void t_upload_items(void)
{
    af__xfer x = {.ops = &af__local_ops, .a = A};
    af_value *items = af_list(A), *m = af_map(A);
    af_list_push(A, items, af_str(A, "out/a.csv"));
    af_map_set(A, m, "file", af_str(A, "/abs/b.csv/"));
    af_map_set(A, m, "id", af_int(A, 42));
    af_list_push(A, items, m);
    af_value *m2 = af_map(A);
    af_map_set(A, m2, "file", af_str(A, "c.csv"));
    af_map_set(A, m2, "remote_name", af_str(A, "renamed.csv"));
    af_map_set(A, m2, "id", af_null());
    af_list_push(A, items, m2);
    af__upload_item *it;
    size_t n;
    T_INTEQ(af__xfer_upload_items(&x, items, &it, &n), 0);
    T_INTEQ(n, 3);
    T_STREQ(it[0].id, "a.csv");
    T_STREQ(it[0].remote_name, "a.csv");
    T_STREQ(it[1].id, "42");
    T_STREQ(it[1].remote_name, "b.csv");
    T_STREQ(it[2].id, "c.csv");
    T_STREQ(it[2].remote_name, "renamed.csv");
    af_value *bad = af_list(A);
    af_list_push(A, bad, af_map(A));
    T_INTEQ(af__xfer_upload_items(&x, bad, &it, &n), -1);
    T_STREQ(x.err, "items[0]: missing 'file'");
}

static void t_upload_manifest(void)
{
    void *h = open_local(0, P("up_remote"), NULL);
    af__xfer x = {.ops = &af__local_ops, .h = h, .a = A};
    af__upload_item it[3] = {
        {.file = "a", .id = "a", .remote_name = "a.txt", .local = P("up/a")},
        {.file = "b", .id = "b", .remote_name = "b.txt", .local = P("up/b")},
        {.file = "c", .id = "c", .remote_name = "c.txt", .local = P("up/c")},
    };
    put(P("up/a"), "A");
    put(P("up/c"), "C");
    const char *manifest = P("m/step.manifest.json");
    af__xfer_mkdirs(P("m"));
    int64_t count;
    /* b is missing: without fail_fast a and c still go */
    T_INTEQ(af__xfer_upload_sftp(&x, it, 3, "/dest/", 1, 8, 0, manifest, &count), -1);
    T_CHECK(strstr(x.err, "1 of 3 uploads failed; first: item 1") != NULL);
    T_STREQ(text_of(P("up_remote/dest/c.txt")), "C");
    T_CHECK(!exists(manifest));
    const char *journal = text_of(P("m/step.manifest.jsonl"));
    T_CHECK(journal && strstr(journal, "\"id\": \"a\"") && strstr(journal, "\"id\": \"c\""));
    /* sequential mode stops at the first failure */
    unlink(P("m/step.manifest.jsonl"));
    unlink(P("up_remote/dest/c.txt"));
    T_INTEQ(af__xfer_upload_sftp(&x, it, 3, "/dest", 0, 1, 0, manifest, &count), -1);
    T_CHECK(!exists(P("up_remote/dest/c.txt")));
    T_CHECK(strstr(x.err, "item 1") != NULL);
    /* resume: a was journaled, so only b and c go now */
    put(P("up/b"), "B");
    unlink(P("up_remote/dest/a.txt"));
    T_INTEQ(af__xfer_upload_sftp(&x, it, 3, "/dest", 1, 8, 1, manifest, &count), 0);
    T_INTEQ(count, 3);
    T_CHECK(!exists(P("up_remote/dest/a.txt")));
    T_STREQ(text_of(P("up_remote/dest/b.txt")), "B");
    T_CHECK(!exists(P("m/step.manifest.jsonl")));
    const char *want = af_sprintf(A,
                                  "[\n  {\n    \"id\": \"a\",\n    \"skipped\": true\n  },\n"
                                  "  {\n    \"id\": \"b\",\n    \"file\": \"%s\",\n"
                                  "    \"remote_path\": \"/dest/b.txt\"\n  },\n"
                                  "  {\n    \"id\": \"c\",\n    \"file\": \"%s\",\n"
                                  "    \"remote_path\": \"/dest/c.txt\"\n  }\n]",
                                  P("up/b"), P("up/c"));
    T_STREQ(text_of(manifest), want);
    /* the reference's manifest alone is enough to skip */
    T_INTEQ(af__xfer_upload_sftp(&x, it, 3, "/dest", 1, 8, 1, manifest, &count), 0);
    T_CHECK(strstr(text_of(manifest), "\"skipped\": true\n  }\n]") != NULL);
    /* no items: an empty manifest */
    T_INTEQ(af__xfer_upload_sftp(&x, it, 0, "/dest", 1, 8, 1, P("m/empty.manifest.json"), &count),
            0);
    T_STREQ(text_of(P("m/empty.manifest.json")), "[]");
    T_INTEQ(count, 0);
    af__local_close(h);
}

static int cancel_now(void *ud)
{
    (void)ud;
    return 1;
}

static void t_cancel_and_missing_primitives(void)
{
    void *h = open_local(0, P("c_remote"), NULL);
    put(P("c_remote/in/x"), "x");
    af_xfer_ctl ctl = {cancel_now, NULL};
    af__xfer x = {.ops = &af__local_ops, .h = h, .a = A, .ctl = &ctl};
    af_value *files;
    T_INTEQ(af__xfer_list(&x, "/in", "*", 0, &files), -1);
    T_STREQ(x.err, "cancelled");
    af_remote_ops none = {0};
    af__xfer y = {.ops = &none, .h = h, .a = A};
    T_INTEQ(af__xfer_list(&y, "/in", "*", 0, &files), -1);
    T_STREQ(y.err, "the connector's driver has no 'list' primitive");
    af__local_close(h);
}

int main(void)
{
    A = af_arena_new();
    snprintf(dir, sizeof dir, "/tmp/test_xfer.XXXXXX");
    if (!mkdtemp(dir)) return 2;
    T_RUN(t_fnmatch);
    T_RUN(t_smb_parse);
    T_RUN(t_joins);
    T_RUN(t_safe_dest);
    T_RUN(t_config);
    T_RUN(t_tmpfile);
    T_RUN(t_local_sftp_engine);
    T_RUN(t_local_smb_forms);
    T_RUN(t_upload_items);
    T_RUN(t_upload_manifest);
    T_RUN(t_cancel_and_missing_primitives);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    af_arena_free(A);
    T_END();
}
