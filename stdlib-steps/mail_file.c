/*
 * mail_file.c - the `mail` kind's `file` driver: writes each message as an
 * .eml file into a directory instead of sending it, so flows that mail
 * run anywhere (demos, tests, air-gapped dry runs).
 *
 * Config: dir (required; created when missing), from_addr (default sender,
 * "aetherflow@localhost"). The file holds exactly what the smtp driver
 * would send (same MIME, no Bcc header); each is written to a temp file
 * and renamed, so a reader never sees half a message. Names sort by time:
 * <UTC timestamp>-<random>.eml.
 */
#include "af_mail.h"
#include "cfg.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

typedef struct mailfile {
    const char *dir;
    const char *from;
} mailfile;

static const af_input file_config[] = {
    {"dir", AF_TY_STR, 1, NULL, NULL, "directory the .eml files are written to"},
    {"from_addr", AF_TY_STR, 0, "\"aetherflow@localhost\"", NULL, "default sender"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static int file_open(af_conn *c, char *err, size_t errlen)
{
    af_arena *a = af_conn_arena(c);
    const af_value *cfg = af_conn_config(c);
    mailfile *f = af_alloc(a, sizeof *f);
    if (cfg_str(a, cfg, "config", "dir", NULL, &f->dir, err, errlen) < 0 ||
        cfg_str(a, cfg, "config", "from_addr", "aetherflow@localhost", &f->from, err, errlen) < 0)
        return -1;
    if (!f->dir || !*f->dir) {
        snprintf(err, errlen, "mail.file requires config.dir");
        return -1;
    }
    if (!*f->from) f->from = "aetherflow@localhost";
    if (af_mkdirs(f->dir, 0755) < 0) {
        snprintf(err, errlen, "cannot create config.dir '%s': %s", f->dir, strerror(errno));
        return -1;
    }
    af_conn_set_impl(c, f);
    return 0;
}

static void file_close(af_conn *c)
{
    (void)c; /* nothing held between messages */
}

static int file_send(af_conn *c, const af_mail_msg *m0, char *msgid, size_t msgidlen, char *err,
                     size_t errlen)
{
    mailfile *f = af_conn_impl(c);
    af_mail_msg m = *m0;
    if (!m.from || !*m.from) m.from = f->from;

    unsigned char r[4] = {0};
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        unsigned x = (unsigned)getpid() ^ (unsigned)clock();
        memcpy(r, &x, sizeof r);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char path[4096];
    int pn = snprintf(path, sizeof path, "%s/%04d%02d%02dT%02d%02d%02d.%03ldZ-%02x%02x%02x%02x.eml",
                      f->dir, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, ts.tv_nsec / 1000000, r[0], r[1], r[2], r[3]);
    if (pn < 0 || (size_t)pn >= sizeof path) {
        snprintf(err, errlen, "config.dir is too long");
        return -1;
    }

    af_atomic at;
    if (af_atomic_open(&at, path, 0644, err, errlen) < 0) return -1;
    /* the FILE gets its own descriptor: af_atomic_commit still owns at.fd */
    int fd = dup(at.fd);
    FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!out) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        af_atomic_abort(&at);
        return -1;
    }
    af_arena *a = af_arena_new();
    af_mail_envelope env;
    int rc = af_mail_write(a, &m, out, &env, err, errlen);
    if (fclose(out) != 0 && rc == 0)
        rc = -1, snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
    if (rc == 0)
        rc = af_atomic_commit(&at, err, errlen);
    else
        af_atomic_abort(&at);
    if (rc == 0) {
        af_kv fl[] = {AF_KS("path", path),
                      AF_KS("message_id", env.message_id),
                      AF_KI("recipients", (int64_t)env.nrcpt),
                      {0}};
        af_conn_log(c, AF_INFO, "mail_written", fl);
        if (msgid) snprintf(msgid, msgidlen, "%s", env.message_id);
    }
    af_arena_free(a);
    return rc;
}

static const af_mail_ops file_ops = {
    .send = file_send,
};

const af_driver af_driver_mail_file = {
    .abi = AF_ABI_VERSION,
    .kind = "mail",
    .name = "file",
    .aliases = NULL,
    .summary = "writes each message as an .eml file into config.dir (no network)",
    .config = file_config,
    .options = NULL,
    .open = file_open,
    .close = file_close,
    .ops = &file_ops,
    .libs = NULL,
};
