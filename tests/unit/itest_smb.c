/*
 * itest_smb.c - the libsmbclient SMB driver and the transfer engine against
 * a real Samba smbd (tests/servers/smbd.sh, run by
 * tests/integration/smb.sh, which exports the SMBD_* variables).
 *
 * Covers login failures, every path form of the reference (relative,
 * /dir, \dir, UNC, SHARE:/ and SHARE:\ overrides, drive letters), every
 * primitive, the step logic below the step API, and failures: missing
 * paths, permission denied, the server killed or frozen mid-transfer.
 * Server-side effects are checked on the shares' directories.
 */
#include "xfer_test.h"
#include "../../stdlib-steps/xfer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define T_SUITE "itest_smb"

static af_arena *A;
static char err[2048];

static const char *E(const char *k)
{
    const char *v = getenv(k);
    if (!v) {
        fprintf(stderr, "itest_smb: %s is not set (run tests/integration/smb.sh)\n", k);
        exit(2);
    }
    return v;
}

static af_value *cfg(void)
{
    af_value *m = af_map(A);
    af_map_set(A, m, "server", af_str(A, E("SMBD_HOST")));
    af_map_set(A, m, "port", af_str(A, E("SMBD_PORT")));
    af_map_set(A, m, "share", af_str(A, E("SMBD_SHARE")));
    af_map_set(A, m, "username", af_str(A, E("SMBD_USER")));
    af_map_set(A, m, "password", af_str(A, E("SMBD_PASS")));
    af_map_set(A, m, "domain", af_str(A, E("SMBD_DOMAIN")));
    af_map_set(A, m, "timeout", af_int(A, 10));
    return m;
}

static void *open_cfg(const af_value *c)
{
    void *h = NULL;
    err[0] = 0;
    if (af__smbc_open(c, af_map(A), NULL, NULL, &h, err, sizeof err) < 0) return NULL;
    return h;
}

static const char *tmpdir(void)
{
    static char d[512];
    if (!d[0]) {
        snprintf(d, sizeof d, "%s/client", E("SMBD_DIR"));
        mkdir(d, 0755);
    }
    return d;
}

static const char *share_file(const char *rel)
{
    return af_sprintf(A, "%s/%s", E("SMBD_SHARE_DIR"), rel);
}

static char *file_text(const char *p)
{
    size_t n;
    char *s = get_file(p, &n);
    return s;
}

/* smbd's children: its helpers, plus one per client connection. */
static int children(int *out, int max)
{
    int pid = atoi(E("SMBD_PID"));
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && n < max && fscanf(f, "%d", &out[n]) == 1)
        n++;
    if (f) fclose(f);
    return n;
}

static int helpers[16], nhelpers;

/* Signals the processes serving client connections (children that are
 * not the helpers smbd had before any client came). */
static void signal_sessions(int sig)
{
    int c[64], n = children(c, 64);
    for (int i = 0; i < n; i++) {
        int helper = 0;
        for (int j = 0; j < nhelpers; j++)
            helper |= c[i] == helpers[j];
        if (!helper) kill(c[i], sig);
    }
}

/* ---- connecting ---------------------------------------------------------- */

static void t_login(void)
{
    void *h = open_cfg(cfg());
    T_CHECK(h != NULL);
    if (!h) printf("#   %s\n", err);
    af_remote_stat st;
    if (h) T_INTEQ(af__smbc_ops.stat(h, "/", &st, err, sizeof err), 1);
    af__smbc_close(h);
    /* `user` is accepted for `username`, and a numeric port */
    af_value *c = cfg();
    af_map_del(c, "username");
    af_map_set(A, c, "user", af_str(A, E("SMBD_USER")));
    af_map_set(A, c, "port", af_int(A, atoi(E("SMBD_PORT"))));
    h = open_cfg(c);
    T_CHECK(h != NULL);
    af__smbc_close(h);
}

static void t_wrong_password(void)
{
    af_value *c = cfg();
    af_map_set(A, c, "password", af_str(A, "wrong-secret-123"));
    void *h = open_cfg(c);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "access denied"));
    T_CHECK(contains(err, "afc_smb"));
    T_CHECK(strstr(err, "wrong-secret-123") == NULL);
    af__smbc_close(h);
}

static void t_unknown_share_and_refused(void)
{
    af_value *c = cfg();
    af_map_set(A, c, "share", af_str(A, "nosuchshare"));
    void *h = open_cfg(c);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "nosuchshare"));
    af__smbc_close(h);

    c = cfg();
    af_map_set(A, c, "port", af_int(A, unused_port()));
    h = open_cfg(c);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "cannot connect to //127.0.0.1:"));
    af__smbc_close(h);
}

/* ---- primitives --------------------------------------------------------- */

static void *H;

static void t_path_forms(void)
{
    const af_remote_ops *o = &af__smbc_ops;
    struct {
        const char *path, *local;
    } cases[] = {
        {"forms/rel.txt", "%s/forms/rel.txt"},
        {"/forms/slash.txt", "%s/forms/slash.txt"},
        {"\\forms\\back.txt", "%s/forms/back.txt"},
        {"C:\\forms\\drive.txt", "%s/forms/drive.txt"},
        {"d:/forms/drive2.txt", "%s/forms/drive2.txt"},
        {"\\\\127.0.0.1\\data\\forms\\unc.txt", "%s/forms/unc.txt"},
        {"  forms/spaced.txt  ", "%s/forms/spaced.txt"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        T_INTEQ(o->write(H, cases[i].path, "v", 1, err, sizeof err), 0);
        const char *lp = af_sprintf(A, cases[i].local, E("SMBD_SHARE_DIR"));
        if (!exists(lp)) printf("#   %s -> %s missing (%s)\n", cases[i].path, lp, err);
        T_CHECK(exists(lp));
    }
    /* share overrides land in the other share */
    T_INTEQ(o->write(H, "other:/ov/a.txt", "a", 1, err, sizeof err), 0);
    T_INTEQ(o->write(H, "other:\\ov\\b.txt", "b", 1, err, sizeof err), 0);
    T_INTEQ(o->write(H, "\\\\127.0.0.1\\other\\ov\\c.txt", "c", 1, err, sizeof err), 0);
    T_CHECK(exists(af_sprintf(A, "%s/ov/a.txt", E("SMBD_OTHER_DIR"))));
    T_CHECK(exists(af_sprintf(A, "%s/ov/b.txt", E("SMBD_OTHER_DIR"))));
    T_CHECK(exists(af_sprintf(A, "%s/ov/c.txt", E("SMBD_OTHER_DIR"))));
    /* names needing URL encoding */
    const char *odd = "forms/we ird #1 %20 &;é+.txt";
    T_INTEQ(o->write(H, odd, "odd", 3, err, sizeof err), 0);
    T_CHECK(exists(share_file(odd)));
    af_buf b = {0};
    T_INTEQ(o->read(H, odd, &b, err, sizeof err), 0);
    T_STREQ(af_buf_cstr(&b), "odd");
    af_buf_free(&b);
    T_INTEQ(o->write(H, "forms/what?.txt", "q", 1, err, sizeof err), -1);
    T_CHECK(contains(err, "invalid name"));
}

static void t_no_share(void)
{
    af_value *c = cfg();
    af_map_del(c, "share");
    void *h = open_cfg(c);
    T_CHECK(h != NULL);
    if (!h) return;
    T_INTEQ(af__smbc_ops.write(h, "dir/x.txt", "x", 1, err, sizeof err), -1);
    T_CHECK(contains(err, "SMB path requires a share"));
    T_INTEQ(af__smbc_ops.write(h, "data:/noshare/x.txt", "x", 1, err, sizeof err), 0);
    T_CHECK(exists(share_file("noshare/x.txt")));
    af__smbc_close(h);
}

static void t_write_read_stat_rename_list(void)
{
    const af_remote_ops *o = &af__smbc_ops;
    T_INTEQ(o->write(H, "prim/a/b/hello.txt", "hello", 5, err, sizeof err), 0);
    af_buf b = {0};
    T_INTEQ(o->read(H, "/prim/a/b/hello.txt", &b, err, sizeof err), 0);
    T_STREQ(af_buf_cstr(&b), "hello");
    af_buf_free(&b);
    af_remote_stat st;
    T_INTEQ(o->stat(H, "prim/a/b/hello.txt", &st, err, sizeof err), 1);
    T_INTEQ(st.size, 5);
    T_CHECK(!st.is_dir && st.mtime > 0);
    T_INTEQ(o->stat(H, "prim/a", &st, err, sizeof err), 1);
    T_CHECK(st.is_dir);
    T_INTEQ(o->stat(H, "prim/missing", &st, err, sizeof err), 0);
    T_INTEQ(o->write(H, "prim/a/b/other.txt", "old", 3, err, sizeof err), 0);
    T_INTEQ(o->rename(H, "prim/a/b/hello.txt", "prim\\a\\b\\other.txt", err, sizeof err), 0);
    char *s = file_text(share_file("prim/a/b/other.txt"));
    T_STREQ(s, "hello");
    free(s);
    T_CHECK(!exists(share_file("prim/a/b/hello.txt")));
    T_INTEQ(o->rename(H, "prim/a/b/other.txt", "other:/moved.txt", err, sizeof err), -1);
    T_CHECK(contains(err, "not in the same share"));
    af_remote_entry *e = NULL;
    size_t n = 0;
    T_INTEQ(o->list(H, A, "data:/prim/a", &e, &n, err, sizeof err), 0);
    T_INTEQ(n, 1);
    if (n == 1) {
        T_STREQ(e[0].name, "b");
        T_STREQ(e[0].path, "data:/prim/a/b");
        T_CHECK(e[0].is_dir);
    }
    T_INTEQ(o->list(H, A, "prim\\a\\b", &e, &n, err, sizeof err), 0);
    T_INTEQ(n, 1);
    if (n == 1) {
        T_STREQ(e[0].path, "prim/a/b/other.txt");
        T_INTEQ(e[0].size, 5);
        T_CHECK(e[0].mtime > 0);
    }
    T_INTEQ(o->list(H, A, "\\\\127.0.0.1\\data\\prim\\a\\b", &e, &n, err, sizeof err), 0);
    if (n == 1) T_STREQ(e[0].path, "\\\\127.0.0.1\\data\\prim\\a\\b\\other.txt");
    T_INTEQ(o->list(H, A, "no/such/dir", &e, &n, err, sizeof err), -1);
    T_CHECK(contains(err, "cannot list 'no/such/dir'"));
    T_CHECK(contains(err, "no such file"));
}

static void t_upload_download(void)
{
    const af_remote_ops *o = &af__smbc_ops;
    size_t sizes[] = {0, 1, 65536, (5u << 20) + 3};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        const char *src = af_sprintf(A, "%s/src%zu", tmpdir(), i);
        const char *back = af_sprintf(A, "%s/back%zu", tmpdir(), i);
        const char *remote = af_sprintf(A, "rt/n%zu/file.bin", i);
        random_file(src, sizes[i], (unsigned)i + 3);
        T_INTEQ(o->upload(H, src, remote, NULL, err, sizeof err), 0);
        T_CHECK(same_file(src, share_file(remote)));
        T_INTEQ(o->download(H, remote, back, NULL, err, sizeof err), 0);
        T_CHECK(same_file(src, back));
    }
    /* replacing an existing file keeps no temporary behind */
    const char *src = af_sprintf(A, "%s/src1", tmpdir());
    T_INTEQ(o->upload(H, src, "rt/n0/file.bin", NULL, err, sizeof err), 0);
    T_CHECK(same_file(src, share_file("rt/n0/file.bin")));
    T_INTEQ(count_names(share_file("rt/n0"), "afctmp"), 0);
    T_INTEQ(count_names(tmpdir(), "afctmp"), 0);
    /* missing remote file: error, and nothing local */
    const char *local = af_sprintf(A, "%s/never", tmpdir());
    T_INTEQ(o->download(H, "rt/nope.bin", local, NULL, err, sizeof err), -1);
    T_CHECK(contains(err, "cannot read 'rt/nope.bin'"));
    T_CHECK(contains(err, "no such file"));
    T_CHECK(!exists(local));
    T_INTEQ(count_names(tmpdir(), "afctmp"), 0);
    /* missing local file */
    T_INTEQ(o->upload(H, "/nonexistent/x", "rt/x", NULL, err, sizeof err), -1);
    T_CHECK(contains(err, "/nonexistent/x"));
}

static void t_permission_denied(void)
{
    const af_remote_ops *o = &af__smbc_ops;
    const char *src = af_sprintf(A, "%s/src1", tmpdir());
    T_INTEQ(o->upload(H, src, "locked/new.bin", NULL, err, sizeof err), -1);
    T_CHECK(contains(err, "permission denied"));
    T_CHECK(!exists(share_file("locked/new.bin")));
    T_INTEQ(count_names(share_file("locked"), "afctmp"), 0);
    T_INTEQ(o->delete (H, "locked/keep.txt", err, sizeof err), -1);
    T_CHECK(contains(err, "cannot delete 'locked/keep.txt'"));
    T_CHECK(exists(share_file("locked/keep.txt")));
    T_INTEQ(o->upload(H, src, "readonly:/new.bin", NULL, err, sizeof err), -1);
    T_CHECK(contains(err, "permission denied") || contains(err, "write"));
    T_CHECK(!exists(af_sprintf(A, "%s/new.bin", E("SMBD_RO_DIR"))));
    af_buf b = {0};
    T_INTEQ(o->read(H, "readonly:/readme.txt", &b, err, sizeof err), 0);
    T_STREQ(af_buf_cstr(&b), "shared read-only\n");
    af_buf_free(&b);
}

static void t_delete_mkdir(void)
{
    const af_remote_ops *o = &af__smbc_ops;
    T_INTEQ(o->mkdir(H, "del", err, sizeof err), 0);
    T_INTEQ(o->mkdir(H, "del", err, sizeof err), -1);
    T_INTEQ(o->mkdir_recursive(H, "del", err, sizeof err), 0);
    T_INTEQ(o->mkdir_recursive(H, "del/x/y/z", err, sizeof err), 0);
    T_CHECK(exists(share_file("del/x/y/z")));
    T_INTEQ(o->write(H, "del/f", "x", 1, err, sizeof err), 0);
    T_INTEQ(o->mkdir_recursive(H, "del/f/g", err, sizeof err), -1);
    T_CHECK(contains(err, "not a directory"));
    T_INTEQ(o->delete (H, "del/x", err, sizeof err), -1);
    T_CHECK(contains(err, "not empty"));
    T_CHECK(exists(share_file("del/x/y/z")));
    T_INTEQ(o->delete (H, "del/x/y/z", err, sizeof err), 0); /* empty dir */
    T_CHECK(!exists(share_file("del/x/y/z")));
    T_INTEQ(o->delete (H, "del/f", err, sizeof err), 0);
    T_INTEQ(o->delete (H, "del/f", err, sizeof err), -1);
    T_CHECK(contains(err, "no such file"));
    T_INTEQ(o->write(H, "del/x/y/deep.txt", "d", 1, err, sizeof err), 0);
    T_INTEQ(o->delete_recursive(H, "\\del", err, sizeof err), 0);
    T_CHECK(!exists(share_file("del")));
    T_INTEQ(o->delete_recursive(H, "del", err, sizeof err), 0);
    T_INTEQ(o->delete_recursive(H, "/", err, sizeof err), -1);
    T_CHECK(contains(err, "refusing"));
}

/* ---- engine ------------------------------------------------------------- */

static af__xfer engine(void *h)
{
    af__xfer x = {.ops = &af__smbc_ops, .h = h, .smb = 1, .a = A};
    return x;
}

static const char *str_at(const af_value *list, size_t i, const char *key)
{
    const af_value *v = af_map_get(list->u.list.items[i], key);
    return v && v->type == AF_STR ? v->u.s.ptr : NULL;
}

static void t_engine(void)
{
    const af_remote_ops *o = &af__smbc_ops;
    const char *names[] = {"in/b.zip", "in/a.zip", "in/n.txt", "in/sub/c.zip", "in/sub/d/e.zip"};
    for (size_t i = 0; i < 5; i++)
        T_INTEQ(o->write(H, names[i], "z", 1, err, sizeof err), 0);
    af__xfer x = engine(H);
    af_value *files = af_list(A), *local = af_list(A);
    T_INTEQ(af__xfer_list(&x, "data:/in/", "*.zip", 1, &files), 0);
    T_INTEQ(files->u.list.n, 4);
    if (files->u.list.n == 4) {
        T_STREQ(str_at(files, 0, "rel_path"), "a.zip");
        T_STREQ(str_at(files, 0, "path"), "data:/in/a.zip");
        T_STREQ(str_at(files, 3, "rel_path"), "sub/d/e.zip");
        T_STREQ(str_at(files, 3, "path"), "data:/in/sub/d/e.zip");
    }
    /* recursion through a UNC base keeps the UNC form */
    T_INTEQ(af__xfer_list(&x, "\\\\127.0.0.1\\data\\in\\", "e.*", 1, &files), 0);
    T_INTEQ(files->u.list.n, 1);
    if (files->u.list.n == 1) {
        T_STREQ(str_at(files, 0, "path"), "\\\\127.0.0.1\\data\\in\\sub\\d\\e.zip");
        T_STREQ(str_at(files, 0, "rel_path"), "sub/d/e.zip");
    }
    /* a drive-letter base */
    T_INTEQ(af__xfer_list(&x, "C:\\in", "*.txt", 0, &files), 0);
    T_INTEQ(files->u.list.n, 1);
    if (files->u.list.n == 1) T_STREQ(str_at(files, 0, "path"), "C:/in/n.txt");
    T_INTEQ(af__xfer_list(&x, "in", "*", 1, &files), 0);
    const char *dest = af_sprintf(A, "%s/dl", tmpdir());
    mkdir(dest, 0755);
    T_INTEQ(af__xfer_download(&x, files, dest, &local), 0);
    T_INTEQ(local->u.list.n, 5);
    T_CHECK(exists(af_sprintf(A, "%s/sub/d/e.zip", dest)));
    T_INTEQ(af__xfer_delete(&x, files), 0);
    T_CHECK(!exists(share_file("in/a.zip")) && !exists(share_file("in/sub/d/e.zip")));
    T_CHECK(exists(share_file("in/sub/d")));
    T_INTEQ(af__xfer_list(&x, "in/missing", "*", 0, &files), -1);
    T_CHECK(contains(x.err, "cannot list 'in/missing'"));

    /* uploads: remote_dir + "/" + the file's name, in any form */
    const char *up[2] = {af_sprintf(A, "%s/src1", tmpdir()), af_sprintf(A, "%s/src2", tmpdir())};
    af_value *uploaded = af_list(A);
    T_INTEQ(af__xfer_upload_smb(&x, up, 2, "other:/DIAS/upload", &uploaded), 0);
    T_INTEQ(uploaded->u.list.n, 2);
    T_CHECK(same_file(up[1], af_sprintf(A, "%s/DIAS/upload/src2", E("SMBD_OTHER_DIR"))));
    T_INTEQ(af__xfer_upload_smb(&x, up, 2, "locked", &uploaded), -1);
    T_CHECK(contains(x.err, "cannot upload"));
    T_CHECK(contains(x.err, "permission denied"));
}

/* ---- server failures ---------------------------------------------------- */

static void t_server_killed_mid_download(void)
{
    void *h = open_cfg(cfg());
    T_CHECK(h != NULL);
    if (!h) return;
    random_file(share_file("big.bin"), 48u << 20, 5);
    const char *local = af_sprintf(A, "%s/big.local", tmpdir());
    int polls = 0;
    af_xfer_ctl ctl = {kill_after_first, &polls};
    T_INTEQ(af__smbc_ops.download(h, "big.bin", local, &ctl, err, sizeof err), -1);
    T_CHECK(contains(err, "cannot read 'big.bin'"));
    T_CHECK(!exists(local));
    T_INTEQ(count_names(tmpdir(), "afctmp"), 0);
    af_remote_stat st;
    T_INTEQ(af__smbc_ops.stat(h, "big.bin", &st, err, sizeof err), -1);
    T_CHECK(contains(err, "unusable after an earlier failure"));
    af__smbc_close(h);
}

static void t_server_killed_mid_upload(void)
{
    void *h = open_cfg(cfg());
    T_CHECK(h != NULL);
    if (!h) return;
    const char *src = af_sprintf(A, "%s/big.up", tmpdir());
    random_file(src, 48u << 20, 6);
    int polls = 0;
    af_xfer_ctl ctl = {kill_after_first, &polls};
    T_INTEQ(af__smbc_ops.upload(h, src, "up/big.bin", &ctl, err, sizeof err), -1);
    T_CHECK(contains(err, "lost") || contains(err, "cannot"));
    T_CHECK(!exists(share_file("up/big.bin")));
    af__smbc_close(h);
}

static void t_frozen_server_times_out(void)
{
    af_value *c = cfg();
    af_map_set(A, c, "timeout", af_str(A, "2"));
    void *h = open_cfg(c);
    T_CHECK(h != NULL);
    if (!h) return;
    signal_sessions(SIGSTOP);
    af_remote_entry *e = NULL;
    size_t n = 0;
    T_INTEQ(af__smbc_ops.list(h, A, "/", &e, &n, err, sizeof err), -1);
    T_CHECK(contains(err, "timed out") || contains(err, "lost"));
    signal_sessions(SIGKILL);
    signal_sessions(SIGCONT);
    af__smbc_close(h);
}

int main(void)
{
    A = af_arena_new();
    signal(SIGPIPE, SIG_IGN);
    nhelpers = children(helpers, 16);
    T_RUN(t_login);
    T_RUN(t_wrong_password);
    T_RUN(t_unknown_share_and_refused);
    H = open_cfg(cfg());
    if (!H) {
        printf("not ok - %s/session # cannot open: %s\n", T_SUITE, err);
        return 1;
    }
    T_RUN(t_path_forms);
    T_RUN(t_no_share);
    T_RUN(t_write_read_stat_rename_list);
    T_RUN(t_upload_download);
    T_RUN(t_permission_denied);
    T_RUN(t_delete_mkdir);
    T_RUN(t_engine);
    af__smbc_close(H);
    T_RUN(t_server_killed_mid_download);
    T_RUN(t_server_killed_mid_upload);
    T_RUN(t_frozen_server_times_out);
    af_arena_free(A);
    T_END();
}
