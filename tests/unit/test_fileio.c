/*
 * test_fileio.c - atomic output (visible only after commit, nothing at the
 * target after abort, a crash or a failed commit), mkdir -p, and SHA-256
 * against the FIPS 180-2 test vectors.
 */
#define T_SUITE "fileio"
#include "t.h"

#include "af.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

static char *slurp(const char *path)
{
    static char buf[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* Entries of dir (without . and ..) whose name starts with prefix. */
static int count_entries(const char *dir, const char *prefix)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

static int wr(int fd, const char *s)
{
    return write(fd, s, strlen(s)) == (ssize_t)strlen(s);
}

static void visible_only_after_commit(void)
{
    const char *dir = tpath("a");
    mkdir(dir, 0755);
    char target[600];
    snprintf(target, sizeof target, "%s/out.csv", dir);
    af_atomic f;
    char err[256] = "";
    T_INTEQ(af_atomic_open(&f, target, 0640, err, sizeof err), 0);
    T_CHECK(f.fd >= 0);
    T_CHECK(fcntl(f.fd, F_GETFD) & FD_CLOEXEC);
    T_CHECK(wr(f.fd, "a,b\n1,2\n"));
    /* Before commit: no target, one hidden temp file beside it named
     * .<name>.tmp.<pid>.<random>. */
    T_CHECK(access(target, F_OK) < 0);
    char prefix[64];
    snprintf(prefix, sizeof prefix, ".out.csv.tmp.%ld.", (long)getpid());
    T_INTEQ(count_entries(dir, prefix), 1);
    T_CHECK(f.tmp_path && strncmp(f.tmp_path, dir, strlen(dir)) == 0);
    T_INTEQ(af_atomic_commit(&f, err, sizeof err), 0);
    T_STREQ(slurp(target), "a,b\n1,2\n");
    T_INTEQ(count_entries(dir, "."), 0);
    T_INTEQ(f.fd, -1);
    T_CHECK(f.tmp_path == NULL);
    struct stat st;
    mode_t um = umask(0);
    umask(um);
    T_INTEQ(stat(target, &st), 0);
    T_INTEQ(st.st_mode & 0777, 0640 & ~um);

    /* Replacing an existing file: the old content stays until commit. */
    T_INTEQ(af_atomic_open(&f, target, 0644, err, sizeof err), 0);
    T_CHECK(wr(f.fd, "new\n"));
    T_STREQ(slurp(target), "a,b\n1,2\n");
    T_INTEQ(af_atomic_commit(&f, err, sizeof err), 0);
    T_STREQ(slurp(target), "new\n");

    /* A bare file name lands in the working directory. */
    char cwd[512];
    T_CHECK(getcwd(cwd, sizeof cwd) != NULL);
    T_INTEQ(chdir(dir), 0);
    T_INTEQ(af_atomic_open(&f, "bare.txt", 0644, err, sizeof err), 0);
    T_CHECK(wr(f.fd, "bare"));
    T_INTEQ(af_atomic_commit(&f, err, sizeof err), 0);
    T_INTEQ(chdir(cwd), 0);
    char bare[600];
    snprintf(bare, sizeof bare, "%s/bare.txt", dir);
    T_STREQ(slurp(bare), "bare");
}

static void abort_leaves_nothing(void)
{
    const char *dir = tpath("b");
    mkdir(dir, 0755);
    char target[600];
    snprintf(target, sizeof target, "%s/keep.txt", dir);
    put(target, "original");
    af_atomic f;
    char err[256] = "";
    T_INTEQ(af_atomic_open(&f, target, 0644, err, sizeof err), 0);
    T_CHECK(wr(f.fd, "half-written"));
    af_atomic_abort(&f);
    af_atomic_abort(&f); /* safe twice */
    T_STREQ(slurp(target), "original");
    T_INTEQ(count_entries(dir, ""), 1);
    /* A commit after abort fails and changes nothing. */
    T_INTEQ(af_atomic_commit(&f, err, sizeof err), -1);
    T_STREQ(slurp(target), "original");

    /* Abort of a new file: nothing at all remains. */
    char fresh[600];
    snprintf(fresh, sizeof fresh, "%s/fresh.txt", dir);
    T_INTEQ(af_atomic_open(&f, fresh, 0644, err, sizeof err), 0);
    af_atomic_abort(&f);
    T_CHECK(access(fresh, F_OK) < 0);
    T_INTEQ(count_entries(dir, ""), 1);
}

static void crash_leaves_target_untouched(void)
{
    const char *dir = tpath("c");
    mkdir(dir, 0755);
    char target[600];
    snprintf(target, sizeof target, "%s/state.json", dir);
    put(target, "{\"v\": 1}");
    pid_t pid = fork();
    if (pid == 0) {
        af_atomic f;
        char err[256];
        if (af_atomic_open(&f, target, 0644, err, sizeof err) == 0) {
            wr(f.fd, "{\"v\": 2, \"trunc");
            kill(getpid(), SIGKILL); /* dies mid-write, no commit */
        }
        _exit(1);
    }
    int st;
    waitpid(pid, &st, 0);
    T_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    T_STREQ(slurp(target), "{\"v\": 1}");
    /* The only trace is the dead writer's hidden temp file. */
    char prefix[64];
    snprintf(prefix, sizeof prefix, ".state.json.tmp.%ld.", (long)pid);
    T_INTEQ(count_entries(dir, prefix), 1);
    T_INTEQ(count_entries(dir, ""), 2);
}

static void failed_commit_leaves_target(void)
{
    const char *dir = tpath("d");
    mkdir(dir, 0755);
    /* The target is a non-empty directory: the rename must fail. */
    char target[600], inner[700];
    snprintf(target, sizeof target, "%s/out", dir);
    mkdir(target, 0755);
    snprintf(inner, sizeof inner, "%s/x", target);
    put(inner, "inside");
    af_atomic f;
    char err[256] = "";
    T_INTEQ(af_atomic_open(&f, target, 0644, err, sizeof err), 0);
    T_CHECK(wr(f.fd, "data"));
    T_INTEQ(af_atomic_commit(&f, err, sizeof err), -1);
    T_CHECK(strstr(err, "out") != NULL);
    T_STREQ(slurp(inner), "inside");
    T_INTEQ(count_entries(dir, ""), 1);
    T_INTEQ(f.fd, -1);

    /* Directory missing: open fails with a message naming the path. */
    char nodir[600];
    snprintf(nodir, sizeof nodir, "%s/missing/x.txt", dir);
    T_INTEQ(af_atomic_open(&f, nodir, 0644, err, sizeof err), -1);
    T_CHECK(strstr(err, nodir) != NULL);
    T_INTEQ(errno, ENOENT);
    T_INTEQ(af_atomic_open(&f, "/tmp/", 0644, err, sizeof err), -1);
}

static void mkdirs(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s/m/n/o/p", tmpdir);
    T_INTEQ(af_mkdirs(p, 0755), 0);
    struct stat st;
    T_CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
    T_INTEQ(af_mkdirs(p, 0755), 0); /* exists: fine */
    snprintf(p, sizeof p, "%s/m/n//q/", tmpdir);
    T_INTEQ(af_mkdirs(p, 0755), 0);
    snprintf(p, sizeof p, "%s/m/n/q", tmpdir);
    T_CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));

    /* A file in the way. */
    char f[600];
    snprintf(f, sizeof f, "%s/m/file", tmpdir);
    put(f, "x");
    snprintf(p, sizeof p, "%s/m/file/sub", tmpdir);
    T_INTEQ(af_mkdirs(p, 0755), -1);
    T_INTEQ(errno, ENOTDIR);
    T_INTEQ(af_mkdirs(f, 0755), -1);
    T_INTEQ(errno, ENOTDIR);
    T_INTEQ(af_mkdirs("", 0755), -1);
    T_INTEQ(af_mkdirs("/", 0755), 0);

    /* Relative paths are relative to the working directory. */
    char cwd[512];
    T_CHECK(getcwd(cwd, sizeof cwd) != NULL);
    T_INTEQ(chdir(tmpdir), 0);
    T_INTEQ(af_mkdirs("rel/a/b", 0755), 0);
    T_CHECK(stat("rel/a/b", &st) == 0 && S_ISDIR(st.st_mode));
    T_INTEQ(chdir(cwd), 0);
}

static void sha256_vectors(void)
{
    char hex[65];
    const char *p = tpath("sha");
    put(p, "");
    T_INTEQ(af_sha256_file(p, hex), 0);
    T_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    put(p, "abc");
    T_INTEQ(af_sha256_file(p, hex), 0);
    T_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    put(p, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    T_INTEQ(af_sha256_file(p, hex), 0);
    T_STREQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* One million 'a': many read chunks. */
    FILE *f = fopen(p, "w");
    for (int i = 0; i < 1000000; i++)
        fputc('a', f);
    fclose(f);
    T_INTEQ(af_sha256_file(p, hex), 0);
    T_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    T_INTEQ(af_sha256_file(tpath("no-such-file"), hex), -1);
    T_INTEQ(errno, ENOENT);
    T_INTEQ(af_sha256_file(tmpdir, hex), -1); /* a directory cannot be read */
    T_INTEQ(errno, EISDIR);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/afc-test-fileio-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(visible_only_after_commit);
    T_RUN(abort_leaves_nothing);
    T_RUN(crash_leaves_target_untouched);
    T_RUN(failed_commit_leaves_target);
    T_RUN(mkdirs);
    T_RUN(sha256_vectors);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("# could not remove %s\n", tmpdir);
    T_END();
}
