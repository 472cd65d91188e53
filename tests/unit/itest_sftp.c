/*
 * itest_sftp.c - the libssh2 SFTP driver and the transfer engine against a
 * real OpenSSH server (tests/servers/sshd.sh, run by
 * tests/integration/sftp.sh, which exports the SSHD_* variables).
 *
 * Covers authentication (password, RSA/ECDSA/ed25519 keys with and without
 * passphrases), host key verification (known_hosts, pinned fingerprints,
 * warnings), every primitive, parallel uploads, the step logic below the
 * step API (list walk, downloads, deletes, the upload manifest and resume),
 * and failures: wrong password, missing remote paths, permission denied,
 * the server killed or frozen mid-transfer. Server-side effects are checked
 * on the server's own file system (the homes live under the test dir).
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
#include <sys/wait.h>
#include <unistd.h>

#define T_SUITE "itest_sftp"

static af_arena *A;
static const char *E(const char *k)
{
    const char *v = getenv(k);
    if (!v) {
        fprintf(stderr, "itest_sftp: %s is not set (run tests/integration/sftp.sh)\n", k);
        exit(2);
    }
    return v;
}

/* config map from "key", "value" pairs, NULL-terminated */
static af_value *cfg(const char *k, ...)
{
    af_value *m = af_map(A);
    va_list ap;
    va_start(ap, k);
    for (; k; k = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        af_map_set(A, m, k, af_str(A, v));
    }
    va_end(ap);
    return m;
}

static af_value *pw_cfg(void)
{
    return cfg("host", E("SSHD_HOST"), "port", E("SSHD_PORT"), "user", E("SSHD_PW_USER"),
               "password", E("SSHD_PW_PASS"), "timeout", "10", NULL);
}

static af_value *key_cfg(const char *key, const char *pass)
{
    af_value *m = cfg("host", E("SSHD_HOST"), "port", E("SSHD_PORT"), "user", E("SSHD_KEY_USER"),
                      "pkey_path", key, "timeout", "10", NULL);
    if (pass) af_map_set(A, m, "passphrase", af_str(A, pass));
    return m;
}

typedef struct logcap {
    int warnings;
    char warning[128];     /* the last warning's event */
    char fingerprint[128]; /* as the warning gave it */
    char connected[256];   /* "auth fingerprint" of sftp_connected */
} logcap;

static void capture_log(void *ud, af_level lvl, const char *event, const af_kv *f)
{
    logcap *lc = ud;
    const char *fp = "", *auth = "";
    for (; f && f->key; f++) {
        if (!strcmp(f->key, "fingerprint") && f->s) fp = f->s;
        if (!strcmp(f->key, "auth") && f->s) auth = f->s;
    }
    if (lvl == AF_WARNING) {
        lc->warnings++;
        snprintf(lc->warning, sizeof lc->warning, "%s", event);
        snprintf(lc->fingerprint, sizeof lc->fingerprint, "%s", fp);
    }
    if (!strcmp(event, "sftp_connected"))
        snprintf(lc->connected, sizeof lc->connected, "%s %s", auth, fp);
}

static char err[2048];

static void *open_cfg(const af_value *config, logcap *lc)
{
    void *h = NULL;
    err[0] = 0;
    if (af__ssh2_open(config, af_map(A), lc ? capture_log : NULL, lc, &h, err, sizeof err) < 0)
        return NULL;
    return h;
}

/* ---- local helpers ------------------------------------------------------ */

static const char *tmpdir(void)
{
    static char d[512];
    if (!d[0]) {
        snprintf(d, sizeof d, "%s/client", E("SSHD_DIR"));
        mkdir(d, 0755);
    }
    return d;
}

/* The server's session processes (descendants of the listener, which
 * this test's integration script started). */
static int descendants(int pid, int *out, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
    FILE *f = fopen(path, "r");
    int n = 0, c;
    while (f && n < max && fscanf(f, "%d", &c) == 1) {
        out[n++] = c;
        n += descendants(c, out + n, max - n);
    }
    if (f) fclose(f);
    return n;
}

static void signal_sessions(int sig)
{
    int pids[64];
    int n = descendants(atoi(E("SSHD_PID")), pids, 64);
    for (int i = 0; i < n; i++)
        kill(pids[i], sig);
}

/* ---- connecting ---------------------------------------------------------- */

static void t_password_login(void)
{
    logcap lc = {0};
    void *h = open_cfg(pw_cfg(), &lc);
    T_CHECK(h != NULL);
    if (!h) {
        printf("#   %s\n", err);
        return;
    }
    /* no known_hosts and no pin: accepted, with the fingerprint as a warning */
    T_INTEQ(lc.warnings, 1);
    T_STREQ(lc.warning, "sftp_host_key_unverified");
    T_STREQ(lc.fingerprint, E("SSHD_FP_ED25519"));
    T_STREQ(lc.connected, af_sprintf(A, "password %s", E("SSHD_FP_ED25519")));
    af_remote_stat st;
    T_INTEQ(af__ssh2_ops.stat(h, E("SSHD_PW_HOME"), &st, err, sizeof err), 1);
    T_CHECK(st.is_dir);
    af__ssh2_close(h);
}

static void t_wrong_password(void)
{
    af_value *c = pw_cfg();
    af_map_set(A, c, "password", af_str(A, "not-the-password-xyz"));
    void *h = open_cfg(c, NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "authentication failed for user 'afc_sftp_pw'"));
    T_CHECK(strstr(err, "not-the-password-xyz") == NULL);
    T_CHECK(strstr(err, E("SSHD_PW_PASS")) == NULL);
    af__ssh2_close(h);
}

static void key_login(const char *key, const char *pass)
{
    void *h = open_cfg(key_cfg(key, pass), NULL);
    T_CHECK(h != NULL);
    if (!h) printf("#   %s: %s\n", key, err);
    af_remote_entry *e = NULL;
    size_t n = 0;
    if (h) T_INTEQ(af__ssh2_ops.list(h, A, ".", &e, &n, err, sizeof err), 0);
    af__ssh2_close(h);
}

static void t_key_ed25519(void)
{
    key_login(E("SSHD_KEY_ED25519"), NULL);
}

static void t_key_ed25519_passphrase(void)
{
    key_login(E("SSHD_KEY_ED25519_PP"), E("SSHD_KEY_ED25519_PP_PASS"));
}

static void t_key_ecdsa_passphrase(void)
{
    key_login(E("SSHD_KEY_ECDSA"), E("SSHD_KEY_ECDSA_PASS"));
}

static void t_key_rsa_pem_passphrase(void)
{
    key_login(E("SSHD_KEY_RSA"), E("SSHD_KEY_RSA_PASS"));
}

static void t_key_wrong_passphrase(void)
{
    void *h = open_cfg(key_cfg(E("SSHD_KEY_ECDSA"), "wrong-pass"), NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "wrong passphrase"));
    T_CHECK(contains(err, E("SSHD_KEY_ECDSA")));
    T_CHECK(strstr(err, "wrong-pass") == NULL);
    af__ssh2_close(h);
    h = open_cfg(key_cfg(E("SSHD_KEY_ED25519_PP"), NULL), NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "needs a passphrase"));
    af__ssh2_close(h);
}

static void t_key_refused(void)
{
    void *h = open_cfg(key_cfg(E("SSHD_KEY_UNAUTHORISED"), NULL), NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "refused private key"));
    af__ssh2_close(h);
    /* an RSA key (OpenSSH format) the server does not know: the hint about
     * libssh2's SHA-1 RSA signatures comes with the refusal */
    const char *rsa = af_sprintf(A, "%s/rsa_other", tmpdir());
    T_INTEQ(system(af_sprintf(A, "rm -f '%s'* && ssh-keygen -q -t rsa -b 2048 -N '' -f '%s'", rsa,
                              rsa)),
            0);
    h = open_cfg(key_cfg(rsa, NULL), NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "signs RSA keys with SHA-1"));
    af__ssh2_close(h);
    h = open_cfg(key_cfg("/nonexistent/key", NULL), NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "cannot read private key '/nonexistent/key'"));
    af__ssh2_close(h);
}

static void t_known_hosts(void)
{
    af_value *c = pw_cfg();
    af_map_set(A, c, "known_hosts", af_str(A, E("SSHD_KNOWN_HOSTS")));
    logcap lc = {0};
    void *h = open_cfg(c, &lc);
    T_CHECK(h != NULL);
    if (!h) printf("#   %s\n", err);
    T_INTEQ(lc.warnings, 0);
    af__ssh2_close(h);

    /* only the ECDSA key listed: that is the one asked for and checked */
    const char *kh = af_sprintf(A, "%s/kh_ecdsa", tmpdir());
    T_INTEQ(system(af_sprintf(A, "grep ecdsa '%s' > '%s'", E("SSHD_KNOWN_HOSTS"), kh)), 0);
    af_map_set(A, c, "known_hosts", af_str(A, kh));
    h = open_cfg(c, NULL);
    T_CHECK(h != NULL);
    if (!h) printf("#   %s\n", err);
    af__ssh2_close(h);

    /* hashed entries, as HashKnownHosts writes them */
    kh = af_sprintf(A, "%s/kh_hashed", tmpdir());
    T_INTEQ(system(af_sprintf(A, "cp '%s' '%s' && ssh-keygen -q -H -f '%s' >/dev/null 2>&1",
                              E("SSHD_KNOWN_HOSTS"), kh, kh)),
            0);
    af_map_set(A, c, "known_hosts", af_str(A, kh));
    h = open_cfg(c, NULL);
    T_CHECK(h != NULL);
    if (!h) printf("#   %s\n", err);
    af__ssh2_close(h);
}

static void t_known_hosts_mismatch(void)
{
    /* the host listed with someone else's ed25519 key */
    const char *kh = af_sprintf(A, "%s/kh_wrong", tmpdir());
    T_INTEQ(system(af_sprintf(A, "echo \"[127.0.0.1]:%s $(cut -d' ' -f1,2 '%s.pub')\" > '%s'",
                              E("SSHD_PORT"), E("SSHD_KEY_UNAUTHORISED"), kh)),
            0);
    af_value *c = pw_cfg();
    af_map_set(A, c, "known_hosts", af_str(A, kh));
    void *h = open_cfg(c, NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "does not match"));
    T_CHECK(contains(err, E("SSHD_FP_ED25519")));
    af__ssh2_close(h);

    /* a known_hosts without this host */
    T_INTEQ(system(af_sprintf(A, "sed 's/^\\[127.0.0.1\\]:[0-9]*/[127.0.0.1]:1/' '%s' > '%s'",
                              E("SSHD_KNOWN_HOSTS"), kh)),
            0);
    h = open_cfg(c, NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "is not in known_hosts"));
    af__ssh2_close(h);

    /* @revoked wins over a matching line */
    T_INTEQ(system(af_sprintf(A,
                              "cp '%s' '%s' && echo \"@revoked [127.0.0.1]:%s $(cut -d' ' -f1,2 "
                              "'%s/etc/host_ed25519.pub')\" >> '%s'",
                              E("SSHD_KNOWN_HOSTS"), kh, E("SSHD_PORT"), E("SSHD_DIR"), kh)),
            0);
    h = open_cfg(c, NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "@revoked"));
    af__ssh2_close(h);
}

static void t_pinned_host_key(void)
{
    af_value *c = pw_cfg();
    af_map_set(A, c, "host_key_sha256", af_str(A, E("SSHD_FP_ED25519")));
    logcap lc = {0};
    void *h = open_cfg(c, &lc);
    T_CHECK(h != NULL);
    T_INTEQ(lc.warnings, 0);
    af__ssh2_close(h);

    /* a pin of another key: refused, naming what the server presented */
    af_map_set(A, c, "host_key_sha256", af_str(A, E("SSHD_FP_ECDSA")));
    h = open_cfg(c, NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "does not match host_key_sha256"));
    T_CHECK(contains(err, E("SSHD_FP_ED25519")));
    af__ssh2_close(h);

    /* the same digest written in hex */
    char cmd[1024], hex[128] = "";
    snprintf(cmd, sizeof cmd,
             "cut -d' ' -f2 '%s/etc/host_ed25519.pub' | base64 -d | sha256sum | cut -c1-64",
             E("SSHD_DIR"));
    FILE *p = popen(cmd, "r");
    T_CHECK(p && fgets(hex, sizeof hex, p));
    if (p) pclose(p);
    hex[strcspn(hex, "\n")] = 0;
    af_map_set(A, c, "host_key_sha256", af_str(A, hex));
    h = open_cfg(c, NULL);
    T_CHECK(h != NULL);
    if (!h) printf("#   hex pin %s: %s\n", hex, err);
    af__ssh2_close(h);
}

static void t_connect_refused(void)
{
    char port[16];
    snprintf(port, sizeof port, "%d", unused_port());
    af_value *c = pw_cfg();
    af_map_set(A, c, "port", af_str(A, port));
    void *h = open_cfg(c, NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "cannot connect to 127.0.0.1"));
    T_CHECK(contains(err, "refused"));
}

static void t_silent_server_times_out(void)
{
    /* accepts the connection and never says a word */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t al = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    listen(s, 1);
    getsockname(s, (struct sockaddr *)&a, &al);
    char port[16];
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    af_value *c = pw_cfg();
    af_map_set(A, c, "port", af_str(A, port));
    af_map_set(A, c, "timeout", af_str(A, "1"));
    void *h = open_cfg(c, NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "timed out after 1s"));
    close(s);
}

static void t_config_errors(void)
{
    void *h = open_cfg(cfg("host", "127.0.0.1", NULL), NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "config.user is required"));
    h = open_cfg(cfg("host", "127.0.0.1", "user", "u", "port", "22x", NULL), NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "config.port"));
    af_value *c = pw_cfg();
    af_map_set(A, c, "known_hosts", af_str(A, "/nonexistent/known_hosts"));
    h = open_cfg(c, NULL);
    T_CHECK(h == NULL);
    T_CHECK(contains(err, "cannot read known_hosts"));
}

/* ---- primitives --------------------------------------------------------- */

static void *H; /* the password user's session for the primitive tests */

static const char *home(const char *rel)
{
    return af_sprintf(A, "%s/%s", E("SSHD_PW_HOME"), rel);
}

static void t_write_read_stat_rename(void)
{
    const af_remote_ops *o = &af__ssh2_ops;
    const char *p = home("prim/a/b/hello.txt");
    T_INTEQ(o->write(H, p, "hello", 5, err, sizeof err), 0); /* parents created */
    af_buf b = {0};
    T_INTEQ(o->read(H, p, &b, err, sizeof err), 0);
    T_STREQ(af_buf_cstr(&b), "hello");
    af_buf_free(&b);
    af_remote_stat st;
    T_INTEQ(o->stat(H, p, &st, err, sizeof err), 1);
    T_INTEQ(st.size, 5);
    T_CHECK(!st.is_dir && st.mtime > 0);
    T_INTEQ(o->stat(H, home("prim/missing"), &st, err, sizeof err), 0);
    /* rename replaces an existing file */
    const char *q = home("prim/a/b/other.txt");
    T_INTEQ(o->write(H, q, "old", 3, err, sizeof err), 0);
    T_INTEQ(o->rename(H, p, q, err, sizeof err), 0);
    size_t n;
    char *s = get_file(q, &n);
    T_STREQ(s, "hello");
    free(s);
    T_CHECK(!exists(p));
    /* write replaces too, through a temporary name */
    T_INTEQ(o->write(H, q, "new!", 4, err, sizeof err), 0);
    s = get_file(q, &n);
    T_STREQ(s, "new!");
    free(s);
    T_INTEQ(count_names(home("prim/a/b"), "afctmp"), 0);
    /* an empty file */
    T_INTEQ(o->write(H, home("prim/empty"), "", 0, err, sizeof err), 0);
    T_INTEQ(o->stat(H, home("prim/empty"), &st, err, sizeof err), 1);
    T_INTEQ(st.size, 0);
}

static void t_list(void)
{
    const af_remote_ops *o = &af__ssh2_ops;
    const char *d = home("listing");
    T_INTEQ(o->mkdir_recursive(H, af_sprintf(A, "%s/sub/deeper", d), err, sizeof err), 0);
    T_INTEQ(o->write(H, af_sprintf(A, "%s/x.csv", d), "12345", 5, err, sizeof err), 0);
    af_remote_entry *e = NULL;
    size_t n = 0;
    T_INTEQ(o->list(H, A, af_sprintf(A, "%s/", d), &e, &n, err, sizeof err), 0);
    T_INTEQ(n, 2);
    int saw_file = 0, saw_dir = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(e[i].name, "x.csv")) {
            saw_file = 1;
            T_STREQ(e[i].path, af_sprintf(A, "%s/x.csv", d));
            T_INTEQ(e[i].size, 5);
            T_CHECK(!e[i].is_dir && e[i].mtime > 0);
        } else if (!strcmp(e[i].name, "sub")) {
            saw_dir = 1;
            T_CHECK(e[i].is_dir);
            T_INTEQ(e[i].size, -1);
        }
    }
    T_CHECK(saw_file && saw_dir);
    T_INTEQ(o->list(H, A, home("no/such/dir"), &e, &n, err, sizeof err), -1);
    T_CHECK(contains(err, "cannot list"));
    T_CHECK(contains(err, "no such file"));
}

static void t_upload_download_roundtrip(void)
{
    const af_remote_ops *o = &af__ssh2_ops;
    size_t sizes[] = {0, 1, 30000, 30001, 5u << 20, (9u << 20) + 7};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        const char *src = af_sprintf(A, "%s/src%zu", tmpdir(), i);
        const char *back = af_sprintf(A, "%s/back%zu", tmpdir(), i);
        const char *remote = home(af_sprintf(A, "rt/n%zu/file.bin", i));
        random_file(src, sizes[i], (unsigned)i + 1);
        T_INTEQ(o->upload(H, src, remote, NULL, err, sizeof err), 0);
        T_CHECK(same_file(src, remote));
        T_INTEQ(o->download(H, remote, back, NULL, err, sizeof err), 0);
        T_CHECK(same_file(src, back));
        T_INTEQ(count_names(tmpdir(), "afctmp"), 0);
    }
    /* with fsync asked for (fsync@openssh.com before the rename) */
    af_value *c = pw_cfg();
    af_map_set(A, c, "fsync", af_bool(1));
    void *hf = open_cfg(c, NULL);
    T_CHECK(hf != NULL);
    if (hf) {
        const char *src5 = af_sprintf(A, "%s/src4", tmpdir());
        T_INTEQ(o->upload(hf, src5, home("rt/fsynced.bin"), NULL, err, sizeof err), 0);
        T_CHECK(same_file(src5, home("rt/fsynced.bin")));
        af__ssh2_close(hf);
    }
    /* overwriting keeps no temporary behind */
    const char *src = af_sprintf(A, "%s/src1", tmpdir());
    T_INTEQ(o->upload(H, src, home("rt/n0/file.bin"), NULL, err, sizeof err), 0);
    T_CHECK(same_file(src, home("rt/n0/file.bin")));
    T_INTEQ(count_names(home("rt/n0"), "afctmp"), 0);
}

static void t_download_missing(void)
{
    const char *local = af_sprintf(A, "%s/never", tmpdir());
    T_INTEQ(af__ssh2_ops.download(H, home("nope.bin"), local, NULL, err, sizeof err), -1);
    T_CHECK(contains(err, "nope.bin"));
    T_CHECK(contains(err, "no such file"));
    T_CHECK(!exists(local));
    T_INTEQ(count_names(tmpdir(), "afctmp"), 0);
}

static void t_permission_denied(void)
{
    const af_remote_ops *o = &af__ssh2_ops;
    const char *ro = E("SSHD_RO_DIR");
    const char *src = af_sprintf(A, "%s/src2", tmpdir());
    T_INTEQ(o->upload(H, src, af_sprintf(A, "%s/new.bin", ro), NULL, err, sizeof err), -1);
    T_CHECK(contains(err, "permission denied"));
    T_CHECK(!exists(af_sprintf(A, "%s/new.bin", ro)));
    T_INTEQ(count_names(ro, "afctmp"), 0);
    T_INTEQ(o->mkdir_recursive(H, af_sprintf(A, "%s/d1/d2", ro), err, sizeof err), -1);
    T_CHECK(contains(err, "cannot create directory"));
    T_CHECK(contains(err, "permission denied"));
    T_INTEQ(o->delete (H, af_sprintf(A, "%s/locked.txt", ro), err, sizeof err), -1);
    T_CHECK(contains(err, "cannot delete"));
    T_CHECK(exists(af_sprintf(A, "%s/locked.txt", ro)));
    /* the session is still usable after SFTP-level errors */
    af_remote_stat st;
    T_INTEQ(o->stat(H, ro, &st, err, sizeof err), 1);
}

static void t_delete_and_mkdir(void)
{
    const af_remote_ops *o = &af__ssh2_ops;
    const char *d = home("del");
    T_INTEQ(o->mkdir(H, d, err, sizeof err), 0);
    T_INTEQ(o->mkdir(H, d, err, sizeof err), -1); /* exists */
    T_INTEQ(o->mkdir_recursive(H, d, err, sizeof err), 0);
    T_INTEQ(o->write(H, af_sprintf(A, "%s/f", d), "x", 1, err, sizeof err), 0);
    T_INTEQ(o->mkdir_recursive(H, af_sprintf(A, "%s/f/g", d), err, sizeof err), -1);
    T_CHECK(contains(err, "not a directory"));
    T_INTEQ(o->delete (H, d, err, sizeof err), -1); /* not empty */
    T_CHECK(contains(err, "not empty"));
    T_INTEQ(o->delete (H, af_sprintf(A, "%s/f", d), err, sizeof err), 0);
    T_INTEQ(o->delete (H, d, err, sizeof err), 0); /* empty dir: rmdir */
    T_CHECK(!exists(d));
    T_INTEQ(o->delete (H, d, err, sizeof err), -1);
    T_CHECK(contains(err, "no such file"));
    /* recursive */
    T_INTEQ(o->write(H, home("tree/a/b/c.txt"), "c", 1, err, sizeof err), 0);
    T_INTEQ(o->write(H, home("tree/a/d.txt"), "d", 1, err, sizeof err), 0);
    T_INTEQ(o->write(H, home("tree/e.txt"), "e", 1, err, sizeof err), 0);
    T_INTEQ(o->delete_recursive(H, home("tree"), err, sizeof err), 0);
    T_CHECK(!exists(home("tree")));
    T_INTEQ(o->delete_recursive(H, home("tree"), err, sizeof err), 0); /* gone: fine */
}

static void t_relative_paths(void)
{
    /* relative paths are relative to the login directory */
    const af_remote_ops *o = &af__ssh2_ops;
    T_INTEQ(o->write(H, "rel/r.txt", "rel", 3, err, sizeof err), 0);
    T_CHECK(exists(home("rel/r.txt")));
    af_remote_entry *e = NULL;
    size_t n = 0;
    T_INTEQ(o->list(H, A, "rel", &e, &n, err, sizeof err), 0);
    T_INTEQ(n, 1);
    if (n) T_STREQ(e[0].path, "rel/r.txt");
}

typedef struct donecap {
    int calls, ok;
    char first_err[512];
} donecap;

static void on_done(void *ud, size_t i, const char *e)
{
    donecap *d = ud;
    d->calls++;
    if (!e)
        d->ok++;
    else if (!d->first_err[0])
        snprintf(d->first_err, sizeof d->first_err, "%zu: %s", i, e);
}

static void t_upload_many(void)
{
    enum { N = 60 };
    af_upload_req reqs[N];
    for (int i = 0; i < N; i++) {
        const char *src = af_sprintf(A, "%s/many%d", tmpdir(), i);
        random_file(src, (size_t)(i * 997) % 70000, (unsigned)i + 100);
        reqs[i].local = src;
        reqs[i].remote = home(af_sprintf(A, "many/%s/f%d.bin", i % 2 ? "odd" : "even", i));
    }
    donecap d = {0};
    T_INTEQ(af__ssh2_ops.upload_many(H, reqs, N, 8, 1, NULL, on_done, &d, err, sizeof err), 0);
    T_INTEQ(d.calls, N);
    T_INTEQ(d.ok, N);
    int same = 0;
    for (int i = 0; i < N; i++)
        same += same_file(reqs[i].local, reqs[i].remote);
    T_INTEQ(same, N);
    T_INTEQ(count_names(home("many/odd"), "afctmp") + count_names(home("many/even"), "afctmp"), 0);

    /* one missing source: with fail_fast the rest may stop, without it all run */
    reqs[5].local = "/nonexistent/source.bin";
    donecap d2 = {0};
    T_INTEQ(af__ssh2_ops.upload_many(H, reqs, N, 8, 0, NULL, on_done, &d2, err, sizeof err), -1);
    T_INTEQ(d2.calls, N);
    T_INTEQ(d2.ok, N - 1);
    T_CHECK(contains(err, "/nonexistent/source.bin"));
    donecap d3 = {0};
    T_INTEQ(af__ssh2_ops.upload_many(H, reqs, N, 8, 1, NULL, on_done, &d3, err, sizeof err), -1);
    T_INTEQ(d3.calls, N);
    T_CHECK(d3.ok < N);
}

/* ---- failures of the server -------------------------------------------- */

static void t_server_killed_mid_download(void)
{
    void *h = open_cfg(pw_cfg(), NULL);
    T_CHECK(h != NULL);
    if (!h) return;
    af__ssh2_set_buffer(h, 256 << 10);
    const char *big = home("big.bin");
    random_file(big, 64u << 20, 7);
    const char *local = af_sprintf(A, "%s/big.local", tmpdir());
    int polls = 0;
    af_xfer_ctl ctl = {kill_after_first, &polls};
    T_INTEQ(af__ssh2_ops.download(h, big, local, &ctl, err, sizeof err), -1);
    T_CHECK(contains(err, "big.bin"));
    T_CHECK(contains(err, "lost") || contains(err, "failed"));
    T_CHECK(!exists(local));
    T_INTEQ(count_names(tmpdir(), "afctmp"), 0);
    /* the connector does not reconnect: later calls say why */
    af_remote_stat st;
    T_INTEQ(af__ssh2_ops.stat(h, big, &st, err, sizeof err), -1);
    T_CHECK(contains(err, "unusable after an earlier failure"));
    af__ssh2_close(h);
}

static void t_server_killed_mid_upload(void)
{
    void *h = open_cfg(pw_cfg(), NULL);
    T_CHECK(h != NULL);
    if (!h) return;
    af__ssh2_set_buffer(h, 256 << 10);
    const char *src = af_sprintf(A, "%s/big.up", tmpdir());
    random_file(src, 64u << 20, 8);
    const char *remote = home("up/big.bin");
    int polls = 0;
    af_xfer_ctl ctl = {kill_after_first, &polls};
    T_INTEQ(af__ssh2_ops.upload(h, src, remote, &ctl, err, sizeof err), -1);
    T_CHECK(contains(err, "lost") || contains(err, "failed"));
    T_CHECK(!exists(remote)); /* only the temporary name was ever written */
    af__ssh2_close(h);
}

static void t_server_killed_mid_upload_many(void)
{
    void *h = open_cfg(pw_cfg(), NULL);
    T_CHECK(h != NULL);
    if (!h) return;
    af__ssh2_set_buffer(h, 2u << 20);
    enum { N = 12 };
    af_upload_req reqs[N];
    for (int i = 0; i < N; i++) {
        const char *src = af_sprintf(A, "%s/par%d", tmpdir(), i);
        random_file(src, 6u << 20, (unsigned)i + 40);
        reqs[i].local = src;
        reqs[i].remote = home(af_sprintf(A, "par/f%d.bin", i));
    }
    int polls = 0;
    af_xfer_ctl ctl = {kill_after_first, &polls};
    donecap d = {0};
    T_INTEQ(af__ssh2_ops.upload_many(h, reqs, N, 6, 1, &ctl, on_done, &d, err, sizeof err), -1);
    T_INTEQ(d.calls, N); /* every request is reported, started or not */
    T_CHECK(d.ok < N);
    int finals = 0;
    for (int i = 0; i < N; i++)
        finals += exists(reqs[i].remote) && !same_file(reqs[i].local, reqs[i].remote);
    T_INTEQ(finals, 0); /* a final name holds a whole file or nothing */
    af__ssh2_close(h);
}

static void t_frozen_server_times_out(void)
{
    af_value *c = pw_cfg();
    af_map_set(A, c, "timeout", af_str(A, "1"));
    void *h = open_cfg(c, NULL);
    T_CHECK(h != NULL);
    if (!h) return;
    signal_sessions(SIGSTOP);
    af_remote_entry *e = NULL;
    size_t n = 0;
    T_INTEQ(af__ssh2_ops.list(h, A, E("SSHD_PW_HOME"), &e, &n, err, sizeof err), -1);
    T_CHECK(contains(err, "timed out after 1s"));
    signal_sessions(SIGKILL);
    signal_sessions(SIGCONT);
    af__ssh2_close(h);
}

/* ---- the engine (step logic) --------------------------------------------- */

static af__xfer engine(void *h)
{
    af__xfer x = {.ops = &af__ssh2_ops, .h = h, .smb = 0, .a = A};
    return x;
}

static const char *str_at(const af_value *list, size_t i, const char *key)
{
    const af_value *m = list->u.list.items[i];
    const af_value *v = key ? af_map_get(m, key) : m;
    return v && v->type == AF_STR ? v->u.s.ptr : NULL;
}

static void t_engine_list(void)
{
    const af_remote_ops *o = &af__ssh2_ops;
    const char *in = home("inbox");
    const char *names[] = {"b.zip",     "a.zip",          "notes.txt",
                           "sub/c.zip", "sub/deep/d.zip", "sub/e.csv"};
    for (size_t i = 0; i < 6; i++)
        T_INTEQ(o->write(H, af_sprintf(A, "%s/%s", in, names[i]), "z", 1, err, sizeof err), 0);
    af__xfer x = engine(H);
    af_value *files = af_list(A);
    T_INTEQ(af__xfer_list(&x, af_sprintf(A, "%s/", in), "*.zip", 0, &files), 0);
    T_INTEQ(files->u.list.n, 2);
    if (files->u.list.n == 2) {
        T_STREQ(str_at(files, 0, "rel_path"), "a.zip");
        T_STREQ(str_at(files, 1, "rel_path"), "b.zip");
        T_STREQ(str_at(files, 0, "path"), af_sprintf(A, "%s/a.zip", in));
        T_INTEQ(af_map_get(files->u.list.items[0], "size")->u.i, 1);
    }
    /* non-recursive with "*": the subdirectory is an entry too */
    T_INTEQ(af__xfer_list(&x, in, "*", 0, &files), 0);
    T_INTEQ(files->u.list.n, 4);
    T_INTEQ(af__xfer_list(&x, in, "*.zip", 1, &files), 0);
    T_INTEQ(files->u.list.n, 4);
    if (files->u.list.n == 4) {
        T_STREQ(str_at(files, 2, "rel_path"), "sub/c.zip");
        T_STREQ(str_at(files, 3, "rel_path"), "sub/deep/d.zip");
        T_STREQ(str_at(files, 3, "name"), "d.zip");
    }
    T_INTEQ(af__xfer_list(&x, home("no_such"), "*", 0, &files), -1);
    T_CHECK(contains(x.err, "cannot list"));
    T_CHECK(contains(x.err, "no_such"));
}

static void t_engine_download_delete(void)
{
    af__xfer x = engine(H);
    af_value *files = af_list(A), *local = af_list(A);
    T_INTEQ(af__xfer_list(&x, home("inbox"), "*", 1, &files), 0);
    const char *dest = af_sprintf(A, "%s/dl", tmpdir());
    mkdir(dest, 0755);
    T_INTEQ(af__xfer_download(&x, files, dest, &local), 0);
    T_INTEQ(local->u.list.n, files->u.list.n);
    T_CHECK(exists(af_sprintf(A, "%s/sub/deep/d.zip", dest)));
    T_CHECK(same_file(af_sprintf(A, "%s/sub/e.csv", dest), home("inbox/sub/e.csv")));
    T_INTEQ(count_names(dest, "afctmp"), 0);

    /* a rel_path that climbs out of dest_dir is refused */
    af_value *evil = af_list(A), *m = af_map(A);
    af_map_set(A, m, "path", af_str(A, home("inbox/a.zip")));
    af_map_set(A, m, "rel_path", af_str(A, "../../escaped.zip"));
    af_list_push(A, evil, m);
    T_INTEQ(af__xfer_download(&x, evil, dest, &local), -1);
    T_CHECK(contains(x.err, "dest path escapes dest_dir: ../../escaped.zip"));
    T_CHECK(!exists(af_sprintf(A, "%s/../escaped.zip", dest)));

    /* a missing remote file fails naming it, and leaves nothing */
    af_map_set(A, m, "path", af_str(A, home("inbox/gone.zip")));
    af_map_set(A, m, "rel_path", af_str(A, "gone.zip"));
    T_INTEQ(af__xfer_download(&x, evil, dest, &local), -1);
    T_CHECK(contains(x.err, "gone.zip"));
    T_CHECK(!exists(af_sprintf(A, "%s/gone.zip", dest)));

    /* delete what was listed (files only) */
    af_value *only_files = af_list(A);
    T_INTEQ(af__xfer_list(&x, home("inbox"), "*.zip", 1, &only_files), 0);
    T_INTEQ(af__xfer_delete(&x, only_files), 0);
    T_CHECK(!exists(home("inbox/a.zip")) && !exists(home("inbox/sub/deep/d.zip")));
    T_CHECK(exists(home("inbox/notes.txt")));
    T_INTEQ(af__xfer_delete(&x, only_files), -1);
    T_CHECK(contains(x.err, "cannot delete"));
}

static void t_engine_upload_manifest_resume(void)
{
    af__xfer x = engine(H);
    const char *ldir = af_sprintf(A, "%s/outbox", tmpdir());
    mkdir(ldir, 0755);
    af_value *items = af_list(A);
    for (int i = 0; i < 12; i++) {
        const char *p = af_sprintf(A, "%s/r%02d.csv", ldir, i);
        random_file(p, 1000 + (size_t)i, (unsigned)i);
        if (i % 3 == 0) {
            af_value *m = af_map(A);
            af_map_set(A, m, "file", af_str(A, p));
            af_map_set(A, m, "id", af_str(A, af_sprintf(A, "id-%d", i)));
            af_map_set(A, m, "remote_name", af_str(A, af_sprintf(A, "renamed-%d.csv", i)));
            af_list_push(A, items, m);
        } else {
            af_list_push(A, items, af_str(A, p));
        }
    }
    af__upload_item *it;
    size_t n;
    T_INTEQ(af__xfer_upload_items(&x, items, &it, &n), 0);
    for (size_t i = 0; i < n; i++)
        it[i].local = it[i].file;
    const char *manifest = af_sprintf(A, "%s/upload.manifest.json", tmpdir());
    const char *rdir = home("outbox/");
    /* first run: one source missing makes it fail; the rest are journaled */
    const char *missing = af_sprintf(A, "%s/r05.csv", ldir);
    rename(missing, af_sprintf(A, "%s.hidden", missing));
    int64_t count = 0;
    T_INTEQ(af__xfer_upload_sftp(&x, it, n, rdir, 1, 4, 0, manifest, &count), -1);
    T_CHECK(contains(x.err, "1 of 12 uploads failed"));
    T_CHECK(contains(x.err, "r05.csv"));
    T_CHECK(!exists(manifest));
    T_CHECK(exists(af_sprintf(A, "%sl", manifest)));
    T_CHECK(exists(home("outbox/renamed-0.csv")));
    T_CHECK(exists(home("outbox/r01.csv")));
    /* resumed: only the missing one is uploaded now */
    rename(af_sprintf(A, "%s.hidden", missing), missing);
    unlink(home("outbox/r01.csv")); /* proves r01 is skipped, not re-sent */
    T_INTEQ(af__xfer_upload_sftp(&x, it, n, rdir, 1, 4, 1, manifest, &count), 0);
    T_INTEQ(count, 12);
    T_CHECK(exists(home("outbox/r05.csv")));
    T_CHECK(!exists(home("outbox/r01.csv")));
    T_CHECK(!exists(af_sprintf(A, "%sl", manifest)));
    size_t ml;
    char *text = get_file(manifest, &ml);
    af_value *mv = NULL;
    char perr[256];
    T_INTEQ(af_json_parse(A, text ? text : "", text ? ml : 0, &mv, perr, sizeof perr), 0);
    if (mv && mv->type == AF_LIST && mv->u.list.n == 12) {
        T_STREQ(str_at(mv, 0, "id"), "id-0");
        T_CHECK(af_map_get(mv->u.list.items[0], "skipped") != NULL);
        T_STREQ(str_at(mv, 5, "id"), "r05.csv");
        T_STREQ(str_at(mv, 5, "remote_path"),
                af_sprintf(A, "%s/outbox/r05.csv", E("SSHD_PW_HOME")));
        T_STREQ(str_at(mv, 5, "file"), missing);
    } else {
        T_CHECK(!"manifest is a list of 12");
    }
    T_CHECK(text &&
            !strncmp(text, "[\n  {\n    \"id\": \"id-0\",\n    \"skipped\": true\n  },", 47));
    free(text);
    /* a third run skips everything */
    T_INTEQ(af__xfer_upload_sftp(&x, it, n, rdir, 0, 1, 1, manifest, &count), 0);
    T_INTEQ(count, 12);
}

int main(void)
{
    A = af_arena_new();
    signal(SIGPIPE, SIG_IGN);
    T_RUN(t_password_login);
    T_RUN(t_wrong_password);
    T_RUN(t_key_ed25519);
    T_RUN(t_key_ed25519_passphrase);
    T_RUN(t_key_ecdsa_passphrase);
    T_RUN(t_key_rsa_pem_passphrase);
    T_RUN(t_key_wrong_passphrase);
    T_RUN(t_key_refused);
    T_RUN(t_known_hosts);
    T_RUN(t_known_hosts_mismatch);
    T_RUN(t_pinned_host_key);
    T_RUN(t_connect_refused);
    T_RUN(t_silent_server_times_out);
    T_RUN(t_config_errors);
    H = open_cfg(pw_cfg(), NULL);
    if (!H) {
        printf("not ok - %s/session # cannot open: %s\n", T_SUITE, err);
        return 1;
    }
    T_RUN(t_write_read_stat_rename);
    T_RUN(t_list);
    T_RUN(t_upload_download_roundtrip);
    T_RUN(t_download_missing);
    T_RUN(t_permission_denied);
    T_RUN(t_delete_and_mkdir);
    T_RUN(t_relative_paths);
    T_RUN(t_upload_many);
    T_RUN(t_engine_list);
    T_RUN(t_engine_download_delete);
    T_RUN(t_engine_upload_manifest_resume);
    af__ssh2_close(H);
    /* these kill or freeze the server's sessions: last */
    T_RUN(t_server_killed_mid_download);
    T_RUN(t_server_killed_mid_upload);
    T_RUN(t_server_killed_mid_upload_many);
    T_RUN(t_frozen_server_times_out);
    af_arena_free(A);
    T_END();
}
