/*
 * test_proc.c - af_proc_run against real children (/bin/sh and coreutils):
 * capture and line callbacks over large outputs on both streams, caps, file
 * and discard modes, exit codes and signals, exec failures, timeouts that
 * need SIGKILL, grandchildren, zombies, environment, cwd, descriptors,
 * signal dispositions and cancellation.
 */
#define T_SUITE "proc"
#include "t.h"

#include "af.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

static void write_file(const char *path, const char *text, int mode)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, (mode_t)mode);
}

static char *read_file(const char *path)
{
    static char buf[8192];
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Every process whose parent is us (a zombie counts). */
static int count_children(void)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char p[300], st[1024];
        snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(p, "r");
        if (!f) continue;
        size_t k = fread(st, 1, sizeof st - 1, f);
        fclose(f);
        st[k] = 0;
        char *rp = strrchr(st, ')');
        int ppid = 0;
        char state = 0;
        if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == (int)getpid()) n++;
    }
    closedir(d);
    return n;
}

/* 1 when pid is gone or a zombie (dead, waiting for whoever adopted it). */
static int is_dead(int pid)
{
    char p[64], st[512];
    snprintf(p, sizeof p, "/proc/%d/stat", pid);
    FILE *f = fopen(p, "r");
    if (!f) return 1;
    size_t k = fread(st, 1, sizeof st - 1, f);
    fclose(f);
    st[k] = 0;
    char *rp = strrchr(st, ')');
    return rp && (rp[2] == 'Z' || rp[2] == 'X');
}

/* Waits (bounded, not timed) for a killed process to finish dying. */
static int wait_dead(int pid)
{
    for (int i = 0; i < 500; i++) {
        if (is_dead(pid)) return 1;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void rfree(af_proc_result *r)
{
    af_buf_free(&r->out);
    af_buf_free(&r->err);
}

static const char *sh_env[] = {"PATH=/usr/bin:/bin", NULL};

static af_proc_spec sh_spec(const char *const *argv)
{
    af_proc_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.argv = argv;
    sp.envp = sh_env;
    sp.out_mode = AF_IO_CAPTURE;
    sp.err_mode = AF_IO_CAPTURE;
    sp.max_capture = 1 << 20;
    sp.kill_grace = 5;
    return sp;
}

/* ---- line collection --------------------------------------------------- */

typedef struct lines {
    long n[3];     /* lines per stream */
    long bytes[3]; /* bytes per stream, newlines excluded */
    long bad[3];   /* lines that were not the expected text */
    const char *want[3];
    char last[3][128];
    int saw_ready;
} lines;

static void on_line(void *ud, int stream, const char *line, size_t len)
{
    lines *l = ud;
    l->n[stream]++;
    l->bytes[stream] += (long)len;
    if (l->want[stream] && (len != strlen(l->want[stream]) || memcmp(line, l->want[stream], len)))
        l->bad[stream]++;
    size_t k = len < 127 ? len : 127;
    memcpy(l->last[stream], line, k);
    l->last[stream][k] = 0;
    if (len == 5 && memcmp(line, "ready", 5) == 0) l->saw_ready = 1;
}

/* ---- tests ------------------------------------------------------------- */

static void huge_output_both_streams(void)
{
    /* 400k lines on each stream at once (about 5 MB each): far beyond a pipe
     * buffer, so a reader that blocks on one stream would deadlock. */
    const char *argv[] = {"sh", "-c",
                          "yes out-line-0123 | head -n 400000 & "
                          "yes err-line-456 | head -n 400000 >&2; wait",
                          NULL};
    af_proc_spec sp = sh_spec(argv);
    lines l = {0};
    l.want[1] = "out-line-0123";
    l.want[2] = "err-line-456";
    sp.on_line = on_line;
    sp.ud = &l;
    sp.max_capture = 1000;
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.exit_code, 0);
    T_INTEQ(r.timed_out, 0);
    T_INTEQ(l.n[1], 400000);
    T_INTEQ(l.n[2], 400000);
    T_INTEQ(l.bad[1], 0);
    T_INTEQ(l.bad[2], 0);
    /* The capture keeps exactly the first max_capture bytes. */
    T_INTEQ(r.out.len, 1000);
    T_INTEQ(r.err.len, 1000);
    T_CHECK(r.out.len == 1000 && memcmp(r.out.data, "out-line-0123\nout-line-0123\n", 28) == 0);
    T_CHECK(r.err.len == 1000 && memcmp(r.err.data, "err-line-456\n", 13) == 0);
    rfree(&r);
}

static void capture_whole_output(void)
{
    const char *argv[] = {"sh", "-c", "printf 'a\\nbb\\n\\nlast'; printf 'e1\\ne2\\n' >&2", NULL};
    af_proc_spec sp = sh_spec(argv);
    lines l = {0};
    sp.on_line = on_line;
    sp.ud = &l;
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_STREQ(af_buf_cstr(&r.out), "a\nbb\n\nlast");
    T_STREQ(af_buf_cstr(&r.err), "e1\ne2\n");
    /* The unterminated last line is delivered at end of stream; the empty
     * line is a line too. */
    T_INTEQ(l.n[1], 4);
    T_STREQ(l.last[1], "last");
    T_INTEQ(l.n[2], 2);
    T_STREQ(l.last[2], "e2");
    rfree(&r);
}

static void long_line_in_pieces(void)
{
    /* One 1,000,000-byte line: delivered in bounded pieces, nothing lost. */
    const char *argv[] = {"sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x", NULL};
    af_proc_spec sp = sh_spec(argv);
    lines l = {0};
    sp.on_line = on_line;
    sp.ud = &l;
    sp.max_capture = 10;
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(l.bytes[1], 1000000);
    T_CHECK(l.n[1] > 1);
    T_STREQ(af_buf_cstr(&r.out), "xxxxxxxxxx");
    rfree(&r);
}

static void file_mode_appends(void)
{
    const char *log = tpath("proc.log");
    write_file(log, "before\n", 0600);
    const char *argv[] = {"sh", "-c", "echo to-out; echo to-err >&2", NULL};
    af_proc_spec sp = sh_spec(argv);
    sp.out_mode = AF_IO_FILE;
    sp.err_mode = AF_IO_FILE;
    sp.log_path = log;
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_STREQ(read_file(log), "before\nto-out\nto-err\n");
    T_INTEQ(r.out.len, 0);

    /* A new log file is created 0644 (before the umask). */
    const char *fresh = tpath("fresh.log");
    mode_t old = umask(022);
    sp.log_path = fresh;
    sp.err_mode = AF_IO_DISCARD;
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    umask(old);
    struct stat st;
    T_INTEQ(stat(fresh, &st), 0);
    T_INTEQ(st.st_mode & 0777, 0644);
    T_STREQ(read_file(fresh), "to-out\n");

    /* Unwritable log path: an error before anything runs. */
    sp.log_path = "/nonexistent-dir/x.log";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), -1);
    T_CHECK(strstr(err, "/nonexistent-dir/x.log") != NULL);
}

static void discard_mode(void)
{
    const char *where = tpath("where");
    const char *argv[] = {"sh", "-c",
                          "o=$(readlink /proc/$$/fd/1); e=$(readlink /proc/$$/fd/2); "
                          "echo \"$o $e\" > \"$0\"; "
                          "echo lost; echo lost >&2",
                          where, NULL};
    af_proc_spec sp = sh_spec(argv);
    sp.out_mode = AF_IO_DISCARD;
    sp.err_mode = AF_IO_DISCARD;
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.exit_code, 0);
    T_STREQ(read_file(where), "/dev/null /dev/null\n");
}

static void exit_codes_and_signals(void)
{
    af_proc_result r;
    char err[256] = "";
    const char *a1[] = {"sh", "-c", "exit 3", NULL};
    af_proc_spec sp = sh_spec(a1);
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.exit_code, 3);
    T_INTEQ(r.signaled, 0);

    const char *a2[] = {"sh", "-c", "kill -USR1 $$", NULL};
    sp = sh_spec(a2);
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.exit_code, 128 + SIGUSR1);
    T_INTEQ(r.signaled, SIGUSR1);
    T_INTEQ(r.timed_out, 0);

    const char *a3[] = {"true", NULL};
    sp = sh_spec(a3);
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.exit_code, 0);
}

static void exec_failures(void)
{
    af_proc_result r;
    char err[256] = "";
    const char *a1[] = {"no-such-program-afc", "x", NULL};
    af_proc_spec sp = sh_spec(a1);
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), -1);
    T_STREQ(err, "No such file or directory: 'no-such-program-afc'");

    const char *noexec = tpath("noexec.sh");
    write_file(noexec, "#!/bin/sh\necho hi\n", 0644);
    const char *a2[] = {noexec, NULL};
    sp = sh_spec(a2);
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), -1);
    char want[600];
    snprintf(want, sizeof want, "Permission denied: '%s'", noexec);
    T_STREQ(err, want);

    const char *garbage = tpath("garbage");
    write_file(garbage, "\x01\x02\x03 not a program\n", 0755);
    const char *a3[] = {garbage, NULL};
    sp = sh_spec(a3);
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), -1);
    snprintf(want, sizeof want, "Exec format error: '%s'", garbage);
    T_STREQ(err, want);

    const char *a4[] = {"sh", "-c", "true", NULL};
    sp = sh_spec(a4);
    sp.cwd = "/nonexistent-cwd-afc";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), -1);
    T_STREQ(err, "No such file or directory: '/nonexistent-cwd-afc'");

    const char *a5[] = {"", NULL};
    sp = sh_spec(a5);
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), -1);
    T_CHECK(strstr(err, "empty command") != NULL);
    T_INTEQ(count_children(), 0);
}

static void path_from_child_env(void)
{
    af_proc_result r;
    char err[256] = "";
    /* A program found only through the PATH given to the child. */
    const char *bindir = tpath("bin");
    mkdir(bindir, 0755);
    char prog[600];
    snprintf(prog, sizeof prog, "%s/afc-hello", bindir);
    write_file(prog, "#!/bin/sh\necho hello from path\n", 0755);
    char pathvar[700];
    snprintf(pathvar, sizeof pathvar, "PATH=/nonexistent:%s:/bin", bindir);
    const char *env[] = {pathvar, NULL};
    const char *a1[] = {"afc-hello", NULL};
    af_proc_spec sp = sh_spec(a1);
    sp.envp = env;
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_STREQ(af_buf_cstr(&r.out), "hello from path\n");
    rfree(&r);

    /* Our own PATH does not count when the child has its own. */
    const char *env2[] = {"PATH=/nonexistent", NULL};
    const char *a2[] = {"sh", "-c", "true", NULL};
    sp = sh_spec(a2);
    sp.envp = env2;
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), -1);
    T_STREQ(err, "No such file or directory: 'sh'");

    /* No PATH at all: /bin:/usr/bin, as Python does. */
    const char *env3[] = {"X=1", NULL};
    sp.envp = env3;
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.exit_code, 0);
}

static void env_and_cwd(void)
{
    setenv("AFC_TEST_PARENT_ONLY", "leak", 1);
    const char *env[] = {"PATH=/usr/bin:/bin", "FOO=bar baz", NULL};
    const char *argv[] = {"sh", "-c", "echo \"$FOO\"; pwd; echo \"${AFC_TEST_PARENT_ONLY-unset}\"",
                          NULL};
    af_proc_spec sp = sh_spec(argv);
    sp.envp = env;
    sp.cwd = tmpdir;
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    char want[600];
    char real[400];
    T_CHECK(realpath(tmpdir, real) != NULL);
    snprintf(want, sizeof want, "bar baz\n%s\nunset\n", real);
    T_STREQ(af_buf_cstr(&r.out), want);
    rfree(&r);

    /* envp NULL: an empty environment (program found through our PATH). */
    const char *a2[] = {"env", NULL};
    sp = sh_spec(a2);
    sp.envp = NULL;
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_STREQ(af_buf_cstr(&r.out), "");
    rfree(&r);
    unsetenv("AFC_TEST_PARENT_ONLY");
}

static void descriptors_and_signals(void)
{
    /* A descriptor we leave inheritable must not reach the child. */
    int leak = open("/dev/null", O_RDONLY);
    T_CHECK(leak > 2);
    /* Dispositions and the blocked mask must not reach it either. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    sigset_t blk, old;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR2);
    sigprocmask(SIG_BLOCK, &blk, &old);

    const char *argv[] = {"sh", "-c",
                          "ls /proc/$$/fd; "
                          "grep -E '^(SigIgn|SigBlk)' /proc/self/status",
                          NULL};
    af_proc_spec sp = sh_spec(argv);
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_STREQ(af_buf_cstr(&r.out), "0\n1\n2\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
    rfree(&r);

    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    close(leak);

    /* stdin is ours; the program is in its own process group, led by the
     * guardian that af_proc_run leaves between us and it. */
    char mine[256] = "";
    ssize_t k = readlink("/proc/self/fd/0", mine, sizeof mine - 1);
    mine[k > 0 ? k : 0] = 0;
    const char *a2[] = {"sh", "-c", "readlink /proc/$$/fd/0; echo $PPID; ps -o pgid= -p $$", NULL};
    sp = sh_spec(a2);
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    char *out = r.out.data;
    T_CHECK(out != NULL);
    if (out) {
        char *nl = strchr(out, '\n');
        T_CHECK(nl && (size_t)(nl - out) == strlen(mine) && !memcmp(out, mine, strlen(mine)));
        long ppid = 0, pgid = 0;
        T_CHECK(nl && sscanf(nl + 1, "%ld %ld", &ppid, &pgid) == 2);
        T_CHECK(ppid > 0 && ppid == pgid && pgid != (long)getpgrp());
    }
    rfree(&r);
}

/* The flow executable killed with SIGKILL mid-step: its program and the
 * program's own children must not run on as orphans. */
static void parent_killed(void)
{
    char pidfile[512];
    snprintf(pidfile, sizeof pidfile, "%s/grandchild.pid", tmpdir);
    unlink(pidfile);
    pid_t flow = fork();
    if (flow == 0) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "sleep 300 & echo $! > %s; wait", pidfile);
        const char *argv[] = {"sh", "-c", cmd, NULL};
        af_proc_spec sp = sh_spec(argv);
        af_proc_result r;
        char err[256];
        af_proc_run(&sp, &r, err, sizeof err);
        _exit(0);
    }
    long gc = 0;
    for (int i = 0; i < 200 && !gc; i++) {
        FILE *f = fopen(pidfile, "r");
        if (f) {
            if (fscanf(f, "%ld", &gc) != 1) gc = 0;
            fclose(f);
        }
        if (!gc) usleep(20000);
    }
    T_CHECK(gc > 0);
    kill(flow, SIGKILL);
    waitpid(flow, NULL, 0);
    int gone = 0;
    for (int i = 0; i < 200 && !gone; i++) {
        /* gone, or a zombie waiting for init to reap it */
        char path[64], state = 0;
        snprintf(path, sizeof path, "/proc/%ld/stat", gc);
        FILE *f = fopen(path, "r");
        if (!f) {
            gone = 1;
            break;
        }
        if (fscanf(f, "%*d %*s %c", &state) == 1 && state == 'Z') gone = 1;
        fclose(f);
        if (!gone) usleep(20000);
    }
    T_CHECK(gone);
    if (!gone && gc > 0) kill((pid_t)gc, SIGKILL);
    /* af_proc_run made this test process a subreaper: the killed group's
     * processes come to it; reap them so later tests count no children */
    for (int i = 0; i < 100; i++) {
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD) break;
        usleep(10000);
    }
}

static void timeout_needs_sigkill(void)
{
    /* The child ignores SIGTERM, so only the SIGKILL after the grace period
     * ends it. */
    const char *argv[] = {"sh", "-c", "trap '' TERM; echo started; while :; do sleep 0.05; done",
                          NULL};
    af_proc_spec sp = sh_spec(argv);
    sp.timeout = 0.3;
    sp.kill_grace = 0.3;
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.timed_out, 1);
    T_INTEQ(r.signaled, SIGKILL);
    T_INTEQ(r.exit_code, 128 + SIGKILL);
    T_STREQ(af_buf_cstr(&r.out), "started\n");
    rfree(&r);
    T_INTEQ(count_children(), 0);
}

static void timeout_graceful(void)
{
    /* A child that exits on SIGTERM: its own status is reported. */
    const char *argv[] = {"sh", "-c", "trap 'echo bye; exit 7' TERM; while :; do sleep 0.05; done",
                          NULL};
    af_proc_spec sp = sh_spec(argv);
    sp.timeout = 0.2;
    sp.kill_grace = 30;
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.timed_out, 1);
    T_INTEQ(r.signaled, 0);
    T_INTEQ(r.exit_code, 7);
    T_STREQ(af_buf_cstr(&r.out), "bye\n");
    rfree(&r);
}

static void timeout_kills_grandchildren(void)
{
    /* The child dies on SIGTERM but leaves a grandchild that ignores it and
     * holds the output pipe: the group's SIGKILL must end it too. */
    const char *pidfile = tpath("grandchild.pid");
    unlink(pidfile);
    const char *argv[] = {"sh", "-c",
                          "(trap '' TERM; exec sleep 1000) & echo $! > \"$0\"; "
                          "while :; do sleep 0.05; done",
                          pidfile, NULL};
    af_proc_spec sp = sh_spec(argv);
    sp.timeout = 0.3;
    sp.kill_grace = 0.5;
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.timed_out, 1);
    T_INTEQ(r.signaled, SIGTERM);
    const char *txt = read_file(pidfile);
    int gpid = txt ? atoi(txt) : 0;
    T_CHECK(gpid > 0);
    if (gpid > 0) T_CHECK(wait_dead(gpid));
    T_INTEQ(count_children(), 0);
}

static void timeout_terms_whole_group(void)
{
    /* SIGTERM goes to the group: a grandchild that shuts down cleanly on
     * SIGTERM gets the chance to, and no SIGKILL is needed. */
    const char *marker = tpath("grandchild.term");
    unlink(marker);
    const char *argv[] = {"sh", "-c",
                          "(trap 'echo term > \"$0\"; exit 0' TERM; "
                          "while :; do sleep 0.05; done) & wait",
                          marker, NULL};
    af_proc_spec sp = sh_spec(argv);
    sp.timeout = 0.3;
    sp.kill_grace = 3;
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.timed_out, 1);
    T_INTEQ(r.signaled, SIGTERM);
    const char *txt = read_file(marker);
    T_STREQ(txt, "term\n");
    rfree(&r);
    T_INTEQ(count_children(), 0);
}

typedef struct cancel_ud {
    lines l;
    int polls;
} cancel_ud;

static void cancel_line(void *ud, int stream, const char *line, size_t len)
{
    on_line(&((cancel_ud *)ud)->l, stream, line, len);
}

static int cancel_when_ready(void *ud)
{
    cancel_ud *c = ud;
    c->polls++;
    return c->l.saw_ready;
}

static void cancellation(void)
{
    const char *argv[] = {"sh", "-c", "echo ready; exec sleep 1000", NULL};
    af_proc_spec sp = sh_spec(argv);
    cancel_ud c = {0};
    sp.on_line = cancel_line;
    sp.cancelled = cancel_when_ready;
    sp.ud = &c;
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.timed_out, 1);
    T_INTEQ(r.signaled, SIGTERM);
    T_CHECK(c.polls > 0);
    rfree(&r);
    T_INTEQ(count_children(), 0);
}

static void inherit_mode(void)
{
    /* Inherited stdout: the child writes straight into our stdout, here a
     * file we redirect it to for the duration. */
    const char *outf = tpath("inherit.out");
    fflush(stdout);
    int saved = dup(1);
    int fd = open(outf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    close(fd);
    const char *argv[] = {"sh", "-c", "echo inherited", NULL};
    af_proc_spec sp = sh_spec(argv);
    sp.out_mode = AF_IO_INHERIT;
    sp.err_mode = AF_IO_INHERIT;
    af_proc_result r;
    char err[256] = "";
    int rc = af_proc_run(&sp, &r, err, sizeof err);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    T_INTEQ(rc, 0);
    T_STREQ(read_file(outf), "inherited\n");
    T_INTEQ(r.out.len, 0);
}

static void sigchld_ignored(void)
{
    /* A caller that ignores SIGCHLD still gets the real exit status. */
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGCHLD, &ign, &old);
    const char *argv[] = {"sh", "-c", "exit 5", NULL};
    af_proc_spec sp = sh_spec(argv);
    af_proc_result r;
    char err[256] = "";
    T_INTEQ(af_proc_run(&sp, &r, err, sizeof err), 0);
    T_INTEQ(r.exit_code, 5);
    struct sigaction now;
    sigaction(SIGCHLD, NULL, &now);
    T_CHECK(now.sa_handler == SIG_IGN);
    sigaction(SIGCHLD, &old, NULL);
}

static void no_zombies_after_many(void)
{
    af_proc_result r;
    char err[256] = "";
    const char *bad[] = {"no-such-program-afc", NULL};
    for (int i = 0; i < 50; i++) {
        const char *argv[] = {"sh", "-c", i % 2 ? "exit 1" : "echo x", NULL};
        af_proc_spec sp = sh_spec(argv);
        if (i % 5 == 0) sp.argv = bad;
        af_proc_run(&sp, &r, err, sizeof err);
        rfree(&r);
    }
    T_INTEQ(count_children(), 0);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/afc-test-proc-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(huge_output_both_streams);
    T_RUN(capture_whole_output);
    T_RUN(long_line_in_pieces);
    T_RUN(file_mode_appends);
    T_RUN(discard_mode);
    T_RUN(exit_codes_and_signals);
    T_RUN(exec_failures);
    T_RUN(path_from_child_env);
    T_RUN(env_and_cwd);
    T_RUN(descriptors_and_signals);
    T_RUN(parent_killed);
    T_RUN(timeout_needs_sigkill);
    T_RUN(timeout_graceful);
    T_RUN(timeout_kills_grandchildren);
    T_RUN(timeout_terms_whole_group);
    T_RUN(cancellation);
    T_RUN(inherit_mode);
    T_RUN(sigchld_ignored);
    T_RUN(no_zombies_after_many);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("# could not remove %s\n", tmpdir);
    T_END();
}
