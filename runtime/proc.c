/*
 * proc.c - child processes: af_proc_run, used by the external.process step
 * and by drivers that call command-line tools.
 *
 * One call forks one child, waits for it, and returns its exit status with
 * whatever of its output the caller asked to capture. The child runs in a
 * process group of its own, so a timeout or a cancellation can end the whole
 * tree it started (SIGTERM to the group, then SIGKILL to the group after the
 * grace period), and the child is always reaped before we return.
 *
 * No threads: one poll() loop reads both capture pipes, so a child that
 * fills one pipe while we wait on the other cannot deadlock us, and memory
 * stays flat however much it writes (captures are capped, lines are handed
 * to the caller as they complete). The child's exit is noticed through a
 * pidfd where the kernel has one (Linux 5.3+), else by polling waitpid on a
 * short tick.
 *
 * Program lookup happens in the parent (malloc is not safe between fork and
 * exec): argv[0] without a slash is searched in the PATH of the child's
 * environment, as Python's subprocess does when it is given env. Any failure
 * in the child before exec (chdir, exec itself) travels back to the parent
 * through a close-on-exec pipe, so "program not found" is an error with a
 * message, never a silent exit status 127.
 *
 * Output a background grandchild writes after the child itself has exited
 * is not waited for: once the child is reaped we read what is already in
 * the pipes and stop, as the reference implementation does.
 */
#include "af_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Python's os.defpath: the search path when the environment has no PATH. */
#define DEFAULT_PATH "/bin:/usr/bin"
/* A line longer than this is handed to on_line in pieces, so one endless
 * line cannot grow memory without bound. */
#define LINE_MAX_BYTES (64 * 1024)
/* Poll tick when the child's exit must be noticed without a pidfd, and
 * while waiting for a cancellation request. */
#define TICK_NO_PIDFD_MS 20
#define TICK_CANCEL_MS 100
/* After a timeout the group is checked this often to see whether everyone
 * in it has gone before the grace period is over. */
#define TICK_GROUP_MS 50

/* What the child reports through the error pipe when it cannot exec. */
enum { STAGE_SETUP = 1, STAGE_CWD = 2, STAGE_EXEC = 3 };
typedef struct child_report {
    int stage;
    int err; /* errno */
} child_report;

/* Everything the child needs, prepared by the parent before fork. */
typedef struct child_plan {
    char *const *argv;
    char *const *envp;
    char **cands; /* programs to try, in order (NULL-terminated) */
    const char *cwd;
    int out_fd;    /* becomes fd 1, or -1 to inherit */
    int err_fd;    /* becomes fd 2, or -1 to inherit */
    int report_fd; /* write end of the error pipe (close-on-exec) */
    int max_fd;    /* highest fd to close when close_range is unavailable */
    pid_t parent;  /* our pid, to notice a parent that died before prctl */
} child_plan;

/* One captured stream on the parent side. */
typedef struct stream {
    int fd;      /* read end of the pipe, -1 when done */
    int which;   /* 1 stdout, 2 stderr */
    af_buf *cap; /* captured bytes (the caller's result buffer) */
    size_t max;  /* capture cap */
    af_buf line; /* incomplete line carried between reads */
    const af_proc_spec *spec;
} stream;

/* ---- parent-side preparation -------------------------------------------- */

/* Moves fd above 2 so dup2 onto 1 and 2 in the child can never clobber a
 * descriptor we still need (happens when our own stdio is closed). */
static int above_stdio(int fd)
{
    if (fd < 0 || fd > 2) return fd;
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int e = errno;
    close(fd);
    errno = e;
    return nfd;
}

static void free_cands(char **c)
{
    if (!c) return;
    for (char **p = c; *p; p++)
        free(*p);
    free(c);
}

static const char *env_lookup(const char *const *envp, const char *key)
{
    size_t kl = strlen(key);
    for (; envp && *envp; envp++)
        if (strncmp(*envp, key, kl) == 0 && (*envp)[kl] == '=') return *envp + kl + 1;
    return NULL;
}

/* The exec candidates for prog: itself when it holds a slash, else each
 * PATH entry joined with it (an empty entry means the working directory).
 * Returns a malloc'd NULL-terminated list, or NULL when out of memory. */
static char **exec_candidates(const char *prog, const char *const *envp, int use_ours)
{
    if (strchr(prog, '/')) {
        char **c = calloc(2, sizeof *c);
        if (!c || !(c[0] = strdup(prog))) {
            free(c);
            return NULL;
        }
        return c;
    }
    const char *path = use_ours ? getenv("PATH") : env_lookup(envp, "PATH");
    if (!path) path = DEFAULT_PATH;
    size_t n = 1;
    for (const char *p = path; *p; p++)
        n += *p == ':';
    char **c = calloc(n + 1, sizeof *c);
    if (!c) return NULL;
    size_t i = 0, pl = strlen(prog);
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t dl = end ? (size_t)(end - p) : strlen(p);
        char *s = malloc(dl + pl + 2);
        if (!s) {
            free_cands(c);
            return NULL;
        }
        if (dl) {
            memcpy(s, p, dl);
            s[dl] = '/';
            memcpy(s + dl + 1, prog, pl + 1);
        } else {
            memcpy(s, prog, pl + 1);
        }
        c[i++] = s;
        if (!end) break;
        p = end;
    }
    return c;
}

/* ---- the child, between fork and exec: async-signal-safe calls only ----- */

static void child_fail(int fd, int stage, int err)
{
    child_report r = {stage, err};
    ssize_t w;
    do
        w = write(fd, &r, sizeof r);
    while (w < 0 && errno == EINTR);
    _exit(127);
}

static void close_from(int lo, int max_fd)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)lo, ~0U, 0) == 0) return;
#endif
    for (int fd = lo; fd <= max_fd; fd++)
        close(fd);
}

/* The signal the kernel sends the guardian when the flow executable dies
 * (PR_SET_PDEATHSIG): a real-time one, which no program sends its group by
 * accident. */
#define GUARD_SIGNAL (SIGRTMIN + 3)

static void guard_parent_died(int sig)
{
    (void)sig;
    kill(0, SIGKILL); /* the whole group, the guardian included */
    _exit(137);
}

/* The process af_proc_run forks stays behind as the leader of the new
 * process group and waits for the program, which it forked and which runs
 * in the group. Its one job: when the flow executable dies without the
 * chance to stop its children (SIGKILL), the kernel signals the guardian,
 * which kills the whole group, so no program or grandchild outlives a killed
 * run (the resumed run starts the step again). It ignores the SIGTERM of a
 * timeout, which is for the program, and ends as the program ended: the same
 * exit code, or killed by the same signal. Never returns. */
static void guardian(pid_t prog, int rfd)
{
    close(rfd); /* the program's copy closes on exec: the parent then sees EOF */
    int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3 && null >= 0; fd++)
        if (null != fd) dup2(null, fd);
    if (null > 2) close(null);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = guard_parent_died;
    sigaction(GUARD_SIGNAL, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    sigset_t death;
    sigemptyset(&death);
    sigaddset(&death, GUARD_SIGNAL);
    sigprocmask(SIG_UNBLOCK, &death, NULL); /* a death already signalled lands here */
    int st;
    while (waitpid(prog, &st, 0) < 0)
        if (errno != EINTR) _exit(127);
    if (WIFEXITED(st)) _exit(WEXITSTATUS(st));
    int sig = WTERMSIG(st);
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    kill(getpid(), sig);
    _exit(128 + sig);
}

static void child_main(const child_plan *p)
{
    int rfd = p->report_fd;

    /* Handlers do not survive exec, but ignored signals and the blocked mask
     * do: give the program the dispositions it would get from a shell. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        if (sigaction(sig, &sa, NULL) == 0) continue;
        /* glibc refuses its reserved signals (32, 33); a parent such as GNU
         * make may still leave them ignored, so reset them with the kernel
         * call directly */
        struct {
            void (*handler)(int);
            unsigned long flags;
            void (*restorer)(void);
            unsigned long mask;
        } k = {SIG_DFL, 0, NULL, 0};
        syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof k.mask);
    }

    if (setpgid(0, 0) < 0) child_fail(rfd, STAGE_SETUP, errno);
    /* This process becomes the group's guardian (see guardian()); it asks to
     * be told when the flow executable dies, with the signal blocked until
     * its handler is in place. */
    sigset_t death;
    sigemptyset(&death);
    sigaddset(&death, GUARD_SIGNAL);
    sigprocmask(SIG_BLOCK, &death, NULL);
    prctl(PR_SET_PDEATHSIG, GUARD_SIGNAL);
    if (getppid() != p->parent) _exit(127); /* it died before prctl */
    if (p->out_fd >= 0 && dup2(p->out_fd, 1) < 0) child_fail(rfd, STAGE_SETUP, errno);
    if (p->err_fd >= 0 && dup2(p->err_fd, 2) < 0) child_fail(rfd, STAGE_SETUP, errno);

    /* Park the report pipe on fd 3, then close everything above it. */
    if (rfd != 3) {
        if (dup2(rfd, 3) < 0) child_fail(rfd, STAGE_SETUP, errno);
        rfd = 3;
    }
    fcntl(rfd, F_SETFD, FD_CLOEXEC);
    close_from(4, p->max_fd);

    if (p->cwd && chdir(p->cwd) < 0) child_fail(rfd, STAGE_CWD, errno);

    pid_t prog = fork();
    if (prog < 0) child_fail(rfd, STAGE_SETUP, errno);
    if (prog > 0) guardian(prog, rfd);

    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* Like execvp, but with the candidate list made before fork: the first
     * error that is not "not there" wins (a PATH entry holding a program we
     * may not run says so instead of "not found"). */
    int saved = 0;
    for (char **c = p->cands; *c; c++) {
        execve(*c, p->argv, p->envp);
        if (errno != ENOENT && errno != ENOTDIR && !saved) saved = errno;
    }
    child_fail(rfd, STAGE_EXEC, saved ? saved : errno);
}

/* ---- parent: reading the pipes ------------------------------------------ */

static void emit_line(stream *st, const char *p, size_t n)
{
    st->spec->on_line(st->spec->ud, st->which, p, n);
}

static void feed(stream *st, const char *data, size_t n)
{
    if (st->cap->len < st->max) {
        size_t room = st->max - st->cap->len;
        af_buf_put(st->cap, data, n < room ? n : room);
    }
    if (!st->spec->on_line) return;
    while (n) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        if (nl && st->line.len == 0) {
            emit_line(st, data, take); /* whole line in this chunk: no copy */
        } else {
            /* Grow the carried line, handing out full pieces of a very long
             * one as they fill up. */
            size_t left = take;
            const char *q = data;
            while (left) {
                size_t room = LINE_MAX_BYTES - st->line.len;
                size_t k = left < room ? left : room;
                af_buf_put(&st->line, q, k);
                q += k;
                left -= k;
                if (st->line.len == LINE_MAX_BYTES) {
                    emit_line(st, st->line.data, st->line.len);
                    af_buf_reset(&st->line);
                }
            }
            if (nl) {
                emit_line(st, af_buf_cstr(&st->line), st->line.len);
                af_buf_reset(&st->line);
            }
        }
        if (!nl) break;
        data = nl + 1;
        n -= take + 1;
    }
}

static void stream_close(stream *st)
{
    if (st->fd < 0) return;
    close(st->fd);
    st->fd = -1;
    /* The last line of a stream that does not end in a newline. */
    if (st->spec->on_line && st->line.len) emit_line(st, st->line.data, st->line.len);
    af_buf_reset(&st->line);
}

/* Reads what is available. until_empty: keep reading until the pipe has
 * nothing more right now (used once the child is gone). Closes the stream
 * at end of file or on a read error. */
static void stream_read(stream *st, int until_empty)
{
    char buf[65536];
    while (st->fd >= 0) {
        ssize_t r = read(st->fd, buf, sizeof buf);
        if (r > 0) {
            feed(st, buf, (size_t)r);
            if (!until_empty && (size_t)r < sizeof buf) return;
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        stream_close(st);
    }
}

/* ---- parent: waiting ----------------------------------------------------- */

static int pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
#else
    (void)pid;
    return -1;
#endif
}

static int ms_until(double t, double now)
{
    double ms = (t - now) * 1000.0;
    if (ms <= 0) return 0;
    if (ms > 1e9) return 1000000000;
    return (int)ms + 1; /* round up: waking early would spin */
}

static int min_wait(int a, int b)
{
    if (a < 0) return b;
    if (b < 0) return a;
    return a < b ? a : b;
}

/* 1 while any process is left in group pgid (zombies included). */
static int group_alive(pid_t pgid)
{
    return kill(-pgid, 0) == 0 || errno != ESRCH;
}

static int open_sink(const af_proc_spec *spec, af_io_mode mode, int *file_fd, int *null_fd,
                     char *err, size_t errlen)
{
    if (mode == AF_IO_FILE) {
        if (*file_fd < 0) {
            if (!spec->log_path) return af__err(err, errlen, "log file mode needs a log path");
            *file_fd =
                above_stdio(open(spec->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
            if (*file_fd < 0)
                return af__err(err, errlen, "cannot open log file '%s': %s", spec->log_path,
                               strerror(errno));
        }
        return *file_fd;
    }
    if (mode == AF_IO_DISCARD) {
        if (*null_fd < 0) {
            *null_fd = above_stdio(open("/dev/null", O_WRONLY | O_CLOEXEC));
            if (*null_fd < 0)
                return af__err(err, errlen, "cannot open /dev/null: %s", strerror(errno));
        }
        return *null_fd;
    }
    return -1;
}

/* Creates the capture pipe of one stream: *rd for us (non-blocking), *wr for
 * the child. Both close-on-exec (dup2 in the child clears it on 1 and 2). */
static int make_pipe(int *rd, int *wr, char *err, size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return af__err(err, errlen, "pipe: %s", strerror(errno));
    *rd = above_stdio(p[0]);
    *wr = above_stdio(p[1]);
    if (*rd < 0 || *wr < 0) return af__err(err, errlen, "pipe: %s", strerror(errno));
    fcntl(*rd, F_SETFL, fcntl(*rd, F_GETFL) | O_NONBLOCK);
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

int af_proc_run(const af_proc_spec *spec, af_proc_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    if (!spec->argv || !spec->argv[0] || !spec->argv[0][0])
        return af__err(err, errlen, "no program to run (empty command)");

    static char *const empty_env[] = {NULL};
    char *const *envp = spec->envp ? (char *const *)spec->envp : empty_env;
    const char *prog = spec->argv[0];

    int rc = -1;
    /* With SIGCHLD ignored the kernel reaps children itself and waitpid
     * cannot report an exit status: restore the default for the call. */
    struct sigaction chld_old, chld_dfl;
    memset(&chld_dfl, 0, sizeof chld_dfl);
    chld_dfl.sa_handler = SIG_DFL;
    int chld_restore = sigaction(SIGCHLD, NULL, &chld_old) == 0 &&
                       (chld_old.sa_handler == SIG_IGN || (chld_old.sa_flags & SA_NOCLDWAIT));
    if (chld_restore) sigaction(SIGCHLD, &chld_dfl, NULL);
    int out_rd = -1, out_wr = -1, err_rd = -1, err_wr = -1, file_fd = -1, null_fd = -1;
    int rep_rd = -1, rep_wr = -1, pidfd = -1;
    stream so = {-1, 1, &res->out, spec->max_capture, {0}, spec};
    stream se = {-1, 2, &res->err, spec->max_capture, {0}, spec};
    char **cands = exec_candidates(prog, spec->envp, spec->envp == NULL);
    if (!cands) {
        af__err(err, errlen, "out of memory preparing '%s'", prog);
        goto done;
    }

    child_plan plan = {(char *const *)spec->argv, envp, cands, spec->cwd, -1, -1, -1, 0};
    if (spec->out_mode == AF_IO_CAPTURE) {
        if (make_pipe(&out_rd, &out_wr, err, errlen) < 0) goto done;
        plan.out_fd = out_wr;
    } else if (spec->out_mode != AF_IO_INHERIT) {
        if ((plan.out_fd = open_sink(spec, spec->out_mode, &file_fd, &null_fd, err, errlen)) < 0)
            goto done;
    }
    if (spec->err_mode == AF_IO_CAPTURE) {
        if (make_pipe(&err_rd, &err_wr, err, errlen) < 0) goto done;
        plan.err_fd = err_wr;
    } else if (spec->err_mode != AF_IO_INHERIT) {
        if ((plan.err_fd = open_sink(spec, spec->err_mode, &file_fd, &null_fd, err, errlen)) < 0)
            goto done;
    }
    if (make_pipe(&rep_rd, &rep_wr, err, errlen) < 0) goto done;
    fcntl(rep_rd, F_SETFL, fcntl(rep_rd, F_GETFL) & ~O_NONBLOCK);
    plan.report_fd = rep_wr;
    struct rlimit rl;
    plan.max_fd = 65535;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        plan.max_fd = rl.rlim_cur > (1u << 20) ? (1 << 20) : (int)rl.rlim_cur;

    /* What we printed so far must come before what the child prints. */
    fflush(stdout);
    fflush(stderr);

    /* Block signals across fork so no handler of ours runs in the child
     * before its dispositions are reset. */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    plan.parent = getpid();
    /* Orphans of the program's group come to us rather than to init, so we
     * can reap what a timeout kills (init in a container may not). */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t pid = fork();
    if (pid == 0) child_main(&plan);
    int fork_errno = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        af__err(err, errlen, "cannot start '%s': fork: %s", prog, strerror(fork_errno));
        goto done;
    }
    setpgid(pid, pid); /* also done by the child; whichever runs first wins */

    close_fd(&out_wr);
    close_fd(&err_wr);
    close_fd(&file_fd);
    close_fd(&null_fd);
    close_fd(&rep_wr);

    child_report rep;
    ssize_t got;
    do
        got = read(rep_rd, &rep, sizeof rep);
    while (got < 0 && errno == EINTR);
    close_fd(&rep_rd);
    if (got == (ssize_t)sizeof rep) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        if (rep.stage == STAGE_CWD)
            af__err(err, errlen, "%s: '%s'", strerror(rep.err), spec->cwd);
        else if (rep.stage == STAGE_EXEC)
            af__err(err, errlen, "%s: '%s'", strerror(rep.err), prog);
        else
            af__err(err, errlen, "cannot start '%s': %s", prog, strerror(rep.err));
        goto done;
    }

    so.fd = out_rd;
    se.fd = err_rd;
    out_rd = err_rd = -1;
    pidfd = pidfd_for(pid);

    enum { RUNNING, TERMINATING, KILLED } phase = RUNNING;
    double now = af__mono();
    double deadline = spec->timeout > 0 ? now + spec->timeout : 0, kill_at = 0;
    int reaped = 0, status = 0;

    for (;;) {
        if (!reaped) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) {
                reaped = 1;
                close_fd(&pidfd);
            } else if (w < 0 && errno != EINTR) {
                /* Cannot happen unless someone else reaped our child. */
                reaped = 1;
                status = 0;
                close_fd(&pidfd);
            }
        }
        if (reaped && phase == RUNNING) break;

        now = af__mono();
        if (phase == RUNNING &&
            ((deadline && now >= deadline) || (spec->cancelled && spec->cancelled(spec->ud)))) {
            res->timed_out = 1;
            kill(-pid, SIGTERM);
            phase = TERMINATING;
            kill_at = now + (spec->kill_grace > 0 ? spec->kill_grace : 0);
        }
        if (phase == TERMINATING && reaped && !group_alive(pid)) break;
        if (phase == TERMINATING && now >= kill_at) {
            kill(-pid, SIGKILL);
            phase = KILLED;
        }
        if (phase == KILLED) {
            /* SIGKILL cannot be ignored: the wait is short. */
            while (!reaped) {
                if (waitpid(pid, &status, 0) == pid || errno != EINTR) reaped = 1;
            }
            break;
        }

        struct pollfd pf[3];
        int nf = 0, wait = -1;
        if (so.fd >= 0) pf[nf++] = (struct pollfd){so.fd, POLLIN, 0};
        if (se.fd >= 0) pf[nf++] = (struct pollfd){se.fd, POLLIN, 0};
        if (pidfd >= 0) pf[nf++] = (struct pollfd){pidfd, POLLIN, 0};
        if (phase == RUNNING && deadline) wait = min_wait(wait, ms_until(deadline, now));
        if (phase == RUNNING && spec->cancelled) wait = min_wait(wait, TICK_CANCEL_MS);
        if (phase == TERMINATING) {
            wait = min_wait(wait, ms_until(kill_at, now));
            if (reaped) wait = min_wait(wait, TICK_GROUP_MS);
        }
        if (!reaped && pidfd < 0) wait = min_wait(wait, TICK_NO_PIDFD_MS);

        int n = poll(pf, (nfds_t)nf, wait);
        if (n < 0 && errno != EINTR) {
            /* poll itself failing leaves no way to wait politely. */
            wait = TICK_NO_PIDFD_MS;
            poll(NULL, 0, wait);
            continue;
        }
        if (n > 0) {
            for (int i = 0; i < nf; i++) {
                if (!pf[i].revents) continue;
                if (pf[i].fd == so.fd)
                    stream_read(&so, 0);
                else if (pf[i].fd == se.fd)
                    stream_read(&se, 0);
            }
        }
    }

    /* The guardian has been reaped. When the group was killed, the program
     * and its children died with it and were handed to us (we are their
     * subreaper): wait for them, so nothing is left as a zombie. */
    if (phase != RUNNING) {
        double until = af__mono() + 5;
        while (group_alive(pid) && af__mono() < until) {
            while (waitpid(-pid, NULL, WNOHANG) > 0) {
            }
            if (group_alive(pid)) usleep(2000);
        }
    }
    while (waitpid(-pid, NULL, WNOHANG) > 0) {
    }

    /* Whatever the child wrote before it ended is in the pipes now. */
    stream_read(&so, 1);
    stream_read(&se, 1);

    if (WIFSIGNALED(status)) {
        res->signaled = WTERMSIG(status);
        res->exit_code = 128 + res->signaled;
    } else {
        res->exit_code = WEXITSTATUS(status);
    }
    rc = 0;

done:
    if (chld_restore) sigaction(SIGCHLD, &chld_old, NULL);
    stream_close(&so);
    stream_close(&se);
    af_buf_free(&so.line);
    af_buf_free(&se.line);
    close_fd(&out_rd);
    close_fd(&out_wr);
    close_fd(&err_rd);
    close_fd(&err_wr);
    close_fd(&file_fd);
    close_fd(&null_fd);
    close_fd(&rep_rd);
    close_fd(&rep_wr);
    close_fd(&pidfd);
    free_cands(cands);
    if (rc < 0) {
        af_buf_free(&res->out);
        af_buf_free(&res->err);
    }
    return rc;
}
