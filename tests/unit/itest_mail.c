/*
 * itest_mail.c - the mail drivers against real servers: smtp (libcurl)
 * against the aiosmtpd servers of tests/servers/smtpd.sh, and file.
 *
 * Run by tests/integration/mail.sh with smtpd.env exported. Every message
 * the server accepts is recorded (envelope as JSON, raw bytes as .eml);
 * tests find their message by Message-ID and read it back with Python's
 * email parser (mailcheck.h), so what is checked is what a client decodes.
 */
#define T_SUITE "mail"
#include "t.h"
#include "af.h"
#include "af_mail.h"
#include "conn_shim.h"
#include "mailcheck.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

extern const af_driver af_driver_mail_smtp;
extern const af_driver af_driver_mail_file;

static af_arena *A;
static char tmpdir[] = "/tmp/itest_mail_XXXXXX";
static const char *host, *port, *tls_port, *auth_port, *ssl_port, *user, *password, *ca, *maildir;

static const char *env_or_die(const char *k)
{
    const char *v = getenv(k);
    if (!v || !*v) {
        printf("not ok - mail/environment\n#   %s is not set: run tests/integration/mail.sh\n", k);
        exit(1);
    }
    return v;
}

/* Sends m through a fresh smtp connector; returns 0 or -1 (err set). The
 * connector's log is copied into *logs when logs is non-NULL. */
static int send_with(const char *config, const char *options, const af_mail_msg *m, char *msgid,
                     char *err, size_t errlen, const char **logs)
{
    t_conn t;
    int rc = t_conn_open(&t, &af_driver_mail_smtp, config, options, err, errlen);
    if (rc == 0) {
        const af_mail_ops *ops = af_driver_mail_smtp.ops;
        rc = ops->send(&t.c, m, msgid, 512, err, errlen);
    }
    if (logs) *logs = t_conn_logs(&t, A);
    t_conn_close(&t);
    return rc;
}

/* The recorded message with this Message-ID: base path (no extension) in
 * arena A, or NULL; *count = how many records have it. */
static const char *find_record(const char *msgid, int *count)
{
    DIR *d = opendir(maildir);
    const char *found = NULL;
    *count = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".eml") != 0) continue;
        const char *path = af_sprintf(A, "%s/%s", maildir, e->d_name);
        FILE *f = fopen(path, "rb");
        char line[1024];
        while (f && fgets(line, sizeof line, f)) {
            if (strncasecmp(line, "Message-ID: ", 12) == 0) {
                if (strncmp(line + 12, msgid, strlen(msgid)) == 0) {
                    (*count)++;
                    found = af_strndup(A, path, strlen(path) - 4);
                }
                break;
            }
        }
        if (f) fclose(f);
    }
    if (d) closedir(d);
    return found;
}

/* The envelope record (JSON) of a recorded message. */
static af_value *record_meta(const char *base)
{
    const char *path = af_sprintf(A, "%s.json", base);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    af_value *v;
    char err[100];
    return af_json_parse(A, buf, n, &v, err, sizeof err) == 0 ? v : NULL;
}

static int list_has(const af_value *l, const char *s)
{
    for (size_t i = 0; l && l->type == AF_LIST && i < l->u.list.n; i++)
        if (l->u.list.items[i]->type == AF_STR && strcmp(l->u.list.items[i]->u.s.ptr, s) == 0)
            return 1;
    return 0;
}

static const char *cfg(const char *p, const char *extra)
{
    return af_sprintf(A, "{\"host\": \"%s\", \"port\": \"%s\"%s%s}", host, p, *extra ? ", " : "",
                      extra);
}

static const char *write_file(const char *name, size_t size, unsigned seed)
{
    const char *path = af_sprintf(A, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    for (size_t i = 0; i < size; i++)
        fputc((int)((i * 131 + seed) % 256), f);
    fclose(f);
    return path;
}

/* A port nothing listens on. */
static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    bind(s, (struct sockaddr *)&sa, sizeof sa);
    getsockname(s, (struct sockaddr *)&sa, &len);
    close(s);
    return ntohs(sa.sin_port);
}

static const char *TO1[] = {"alice@example.org"};

/* ---- delivery ----------------------------------------------------------- */

static void test_plain_send(void)
{
    af_mail_msg m = {.from = "ops@example.org",
                     .to = TO1,
                     .nto = 1,
                     .subject = "plain",
                     .text = "hello over plain SMTP\n"};
    char id[512] = "", err[1024] = "";
    T_INTEQ(send_with(cfg(port, "\"starttls\": false"), "{}", &m, id, err, sizeof err, NULL), 0);
    if (*err) printf("#   %s\n", err);
    int n;
    const char *rec = find_record(id, &n);
    T_INTEQ(n, 1);
    af_value *meta = rec ? record_meta(rec) : NULL;
    T_STREQ(t_get_str(meta, "server"), "plain");
    T_STREQ(t_get_str(meta, "mail_from"), "ops@example.org");
    T_CHECK(list_has(af_map_get(meta, "rcpt_tos"), "alice@example.org"));
    T_INTEQ(t_get_int(meta, "tls"), 0);
    af_value *s = rec ? t_mail_summary(A, af_sprintf(A, "%s.eml", rec)) : NULL;
    T_STREQ(t_get_str(s, "subject"), "plain");
    T_STREQ(t_get_str(af_map_get(s, "parts")->u.list.items[0], "text"), "hello over plain SMTP\n");
}

static void test_starttls_verified(void)
{
    af_mail_msg m = {
        .from = "ops@example.org", .to = TO1, .nto = 1, .subject = "tls", .text = "over STARTTLS"};
    char id[512] = "", err[1024] = "";
    const char *opts = af_sprintf(A, "{\"ca_file\": \"%s\"}", ca);
    T_INTEQ(send_with(cfg(tls_port, "\"starttls\": true"), opts, &m, id, err, sizeof err, NULL), 0);
    if (*err) printf("#   %s\n", err);
    int n;
    const char *rec = find_record(id, &n);
    T_INTEQ(n, 1);
    af_value *meta = rec ? record_meta(rec) : NULL;
    T_STREQ(t_get_str(meta, "server"), "tls");
    T_INTEQ(t_get_int(meta, "tls"), 1);
}

static void test_starttls_untrusted_certificate(void)
{
    af_mail_msg m = {.from = "ops@example.org", .to = TO1, .nto = 1, .subject = "x", .text = "x"};
    char id[512] = "", err[1024] = "";
    T_INTEQ(send_with(cfg(tls_port, "\"starttls\": \"yes\""), "{}", &m, id, err, sizeof err, NULL),
            -1);
    T_CHECK(strstr(err, "is not trusted") != NULL);
    T_CHECK(strstr(err, "options.ca_file") != NULL);
    T_CHECK(strstr(err, "after 1 attempt(s)") != NULL);
    printf("#   message: %s\n", err);
}

static void test_starttls_without_verification(void)
{
    af_mail_msg m = {
        .from = "ops@example.org", .to = TO1, .nto = 1, .subject = "noverify", .text = "x"};
    char id[512] = "", err[1024] = "";
    T_INTEQ(send_with(cfg(tls_port, "\"starttls\": true"), "{\"verify_ssl\": \"false\"}", &m, id,
                      err, sizeof err, NULL),
            0);
    int n;
    find_record(id, &n);
    T_INTEQ(n, 1);
}

static void test_server_requires_starttls(void)
{
    af_mail_msg m = {.from = "ops@example.org", .to = TO1, .nto = 1, .subject = "x", .text = "x"};
    char id[512] = "", err[1024] = "";
    T_INTEQ(send_with(cfg(tls_port, "\"starttls\": false"), "{}", &m, id, err, sizeof err, NULL),
            -1);
    T_CHECK(strstr(err, "server said: 530") != NULL);
    printf("#   message: %s\n", err);
}

static void test_starttls_not_offered(void)
{
    af_mail_msg m = {.from = "ops@example.org", .to = TO1, .nto = 1, .subject = "x", .text = "x"};
    char id[512] = "", err[1024] = "";
    T_INTEQ(send_with(cfg(port, "\"starttls\": true"), "{}", &m, id, err, sizeof err, NULL), -1);
    T_CHECK(strstr(err, "does not offer STARTTLS") != NULL);
    printf("#   message: %s\n", err);
}

static void test_auth_login(void)
{
    af_mail_msg m = {.to = TO1, .nto = 1, .subject = "auth", .text = "authenticated"};
    char id[512] = "", err[1024] = "";
    const char *c = cfg(auth_port, af_sprintf(A,
                                              "\"username\": \"%s\", \"password\": \"%s\", "
                                              "\"starttls\": true, \"from_addr\": "
                                              "\"Robot <robot@example.org>\"",
                                              user, password));
    const char *logs = NULL;
    T_INTEQ(
        send_with(c, af_sprintf(A, "{\"ca_file\": \"%s\"}", ca), &m, id, err, sizeof err, &logs),
        0);
    if (*err) printf("#   %s\n", err);
    int n;
    const char *rec = find_record(id, &n);
    T_INTEQ(n, 1);
    af_value *meta = rec ? record_meta(rec) : NULL;
    T_STREQ(t_get_str(meta, "auth_user"), user);
    T_INTEQ(t_get_int(meta, "tls"), 1);
    T_STREQ(t_get_str(meta, "mail_from"), "robot@example.org");
    T_CHECK(logs && strstr(logs, "mail_sent") != NULL);
    T_CHECK(logs && strstr(logs, password) == NULL);
}

static void test_auth_wrong_password(void)
{
    af_mail_msg m = {.from = "ops@example.org", .to = TO1, .nto = 1, .subject = "x", .text = "x"};
    char id[512] = "", err[1024] = "";
    const char *bad = "wrong-Secret-123";
    const char *c = cfg(auth_port, af_sprintf(A,
                                              "\"username\": \"%s\", \"password\": \"%s\", "
                                              "\"starttls\": true",
                                              user, bad));
    const char *logs = NULL;
    T_INTEQ(send_with(c,
                      af_sprintf(A, "{\"ca_file\": \"%s\", \"retry\": {\"max_attempts\": 2}}", ca),
                      &m, id, err, sizeof err, &logs),
            -1);
    T_CHECK(strstr(err, "SMTP login failed at 127.0.0.1:") != NULL);
    T_CHECK(strstr(err, user) == NULL);
    T_CHECK(strstr(err, "535") != NULL);
    T_CHECK(strstr(err, "after 2 attempt(s)") != NULL);
    T_CHECK(strstr(err, bad) == NULL);
    T_CHECK(logs && strstr(logs, bad) == NULL);
    T_CHECK(logs && strstr(logs, "mail_send_retry") != NULL);
    printf("#   message: %s\n", err);
}

static void test_auth_required(void)
{
    af_mail_msg m = {.from = "ops@example.org", .to = TO1, .nto = 1, .subject = "x", .text = "x"};
    char id[512] = "", err[1024] = "";
    T_INTEQ(send_with(cfg(auth_port, "\"starttls\": true"),
                      af_sprintf(A, "{\"ca_file\": \"%s\"}", ca), &m, id, err, sizeof err, NULL),
            -1);
    T_CHECK(strstr(err, "server said: 530") != NULL);
    printf("#   message: %s\n", err);
}

static void test_implicit_tls(void)
{
    af_mail_msg m = {.to = TO1, .nto = 1, .subject = "smtps", .text = "implicit TLS"};
    char id[512] = "", err[1024] = "";
    const char *c = cfg(ssl_port, af_sprintf(A,
                                             "\"ssl\": true, \"username\": \"%s\", "
                                             "\"password\": \"%s\", \"from_addr\": "
                                             "\"tls@example.org\"",
                                             user, password));
    T_INTEQ(send_with(c, af_sprintf(A, "{\"ca_file\": \"%s\"}", ca), &m, id, err, sizeof err, NULL),
            0);
    if (*err) printf("#   %s\n", err);
    int n;
    const char *rec = find_record(id, &n);
    T_INTEQ(n, 1);
    af_value *meta = rec ? record_meta(rec) : NULL;
    T_STREQ(t_get_str(meta, "server"), "ssl");
    T_INTEQ(t_get_int(meta, "tls"), 1);
    T_STREQ(t_get_str(meta, "auth_user"), user);
}

static void test_sender_defaults(void)
{
    /* from_addr falls back to username; no password means no AUTH */
    af_mail_msg m = {.to = TO1, .nto = 1, .subject = "default from", .text = "x"};
    char id[512] = "", err[1024] = "";
    T_INTEQ(send_with(cfg(port, "\"starttls\": false, \"username\": \"robot@example.org\""), "{}",
                      &m, id, err, sizeof err, NULL),
            0);
    int n;
    const char *rec = find_record(id, &n);
    af_value *meta = rec ? record_meta(rec) : NULL;
    T_STREQ(t_get_str(meta, "mail_from"), "robot@example.org");
    T_CHECK(t_get_str(meta, "auth_user")[0] == '\0');

    T_INTEQ(send_with(cfg(port, "\"starttls\": false"), "{}", &m, id, err, sizeof err, NULL), -1);
    T_CHECK(strstr(err, "no sender") != NULL);
}

static void test_rich_message(void)
{
    const char *big = write_file("big.bin", 3 * 1024 * 1024 + 17, 5);
    const char *small = write_file("small.dat", 1000, 9);
    char h_big[65], h_small[65];
    t_sha256_file(big, h_big);
    t_sha256_file(small, h_small);
    af_mail_attachment at[] = {{big,
                                "donn\xc3\xa9"
                                "es \xc3\xa9t\xc3\xa9.bin",
                                NULL},
                               {small, NULL, "application/x-test"}};
    const char *to[] = {"\xc3\x89lodie <elodie@example.org>", "bob@example.org"};
    const char *cc[] = {"Carol <carol@example.org>"};
    const char *bcc[] = {"hidden@example.org"};
    const char *text = "Line one\n.\n..\n.dot\nend\n";
    af_mail_msg m = {.from = "\xc3\x89quipe Ops <ops@example.org>",
                     .to = to,
                     .nto = 2,
                     .cc = cc,
                     .ncc = 1,
                     .bcc = bcc,
                     .nbcc = 1,
                     .subject = "R\xc3\xa9sum\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x93\x88 daily",
                     .text = text,
                     .html = "<p>R\xc3\xa9sum\xc3\xa9</p>",
                     .attachments = at,
                     .nattachments = 2};
    char id[512] = "", err[1024] = "";
    T_INTEQ(send_with(cfg(port, "\"starttls\": false"), "{}", &m, id, err, sizeof err, NULL), 0);
    if (*err) printf("#   %s\n", err);
    int n;
    const char *rec = find_record(id, &n);
    T_INTEQ(n, 1);
    if (!rec) return;
    af_value *meta = record_meta(rec);
    const af_value *rcpt = af_map_get(meta, "rcpt_tos");
    T_CHECK(rcpt && rcpt->u.list.n == 4);
    T_CHECK(list_has(rcpt, "elodie@example.org") && list_has(rcpt, "bob@example.org") &&
            list_has(rcpt, "carol@example.org") && list_has(rcpt, "hidden@example.org"));
    af_value *s = t_mail_summary(A, af_sprintf(A, "%s.eml", rec));
    T_STREQ(t_get_str(s, "structure"), "multipart/mixed(multipart/alternative(text/plain,"
                                       "text/html),application/octet-stream,application/x-test)");
    T_STREQ(t_get_str(s, "subject"), m.subject);
    T_STREQ(t_get_str(s, "from"), "\xc3\x89quipe Ops <ops@example.org>");
    T_STREQ(t_get_str(s, "to"), "\xc3\x89lodie <elodie@example.org>, bob@example.org");
    T_STREQ(t_get_str(s, "cc"), "Carol <carol@example.org>");
    T_STREQ(t_get_str(s, "message_id"), id);
    T_INTEQ(t_get_int(s, "date_ok"), 1);
    T_INTEQ(t_get_int(s, "defects"), 0);
    const af_value *parts = af_map_get(s, "parts");
    T_CHECK(parts && parts->u.list.n == 4);
    if (parts && parts->u.list.n == 4) {
        T_STREQ(t_get_str(parts->u.list.items[0], "text"), text);
        T_STREQ(t_get_str(parts->u.list.items[2], "filename"), "donn\xc3\xa9"
                                                               "es \xc3\xa9t\xc3\xa9.bin");
        T_STREQ(t_get_str(parts->u.list.items[2], "sha256"), h_big);
        T_STREQ(t_get_str(parts->u.list.items[3], "filename"), "small.dat");
        T_STREQ(t_get_str(parts->u.list.items[3], "sha256"), h_small);
    }
    /* Bcc only in the envelope */
    const af_value *names = af_map_get(s, "header_names");
    T_CHECK(names && !list_has(names, "bcc"));
    FILE *f = fopen(af_sprintf(A, "%s.eml", rec), "rb");
    int leaked = 0;
    char line[2048];
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "hidden@example.org")) leaked = 1;
    if (f) fclose(f);
    T_INTEQ(leaked, 0);
}

static void test_session_reused_for_several_messages(void)
{
    t_conn t;
    char err[1024] = "";
    T_INTEQ(t_conn_open(&t, &af_driver_mail_smtp, cfg(port, "\"starttls\": false"), "{}", err,
                        sizeof err),
            0);
    const af_mail_ops *ops = af_driver_mail_smtp.ops;
    char ids[3][512];
    for (int i = 0; i < 3; i++) {
        af_mail_msg m = {.from = "ops@example.org",
                         .to = TO1,
                         .nto = 1,
                         .subject = af_sprintf(A, "batch %d", i),
                         .text = "x"};
        T_INTEQ(ops->send(&t.c, &m, ids[i], sizeof ids[i], err, sizeof err), 0);
    }
    t_conn_close(&t);
    for (int i = 0; i < 3; i++) {
        int n;
        find_record(ids[i], &n);
        T_INTEQ(n, 1);
    }
    T_CHECK(strcmp(ids[0], ids[1]) != 0 && strcmp(ids[1], ids[2]) != 0);
}

/* ---- failures ----------------------------------------------------------- */

static void test_rejected_recipient(void)
{
    const char *to[] = {"alice@example.org", "rejected@example.org"};
    af_mail_msg m = {.from = "ops@example.org", .to = to, .nto = 2, .subject = "rej", .text = "x"};
    char id[512] = "", err[1024] = "";
    T_INTEQ(send_with(cfg(port, "\"starttls\": false"), "{}", &m, id, err, sizeof err, NULL), -1);
    T_CHECK(strstr(err, "550 5.1.1 mailbox unavailable") != NULL);
    printf("#   message: %s\n", err);
}

static void test_server_gone(void)
{
    af_mail_msg m = {.from = "ops@example.org", .to = TO1, .nto = 1, .subject = "x", .text = "x"};
    char id[512] = "", err[1024] = "";
    int p = closed_port();
    T_INTEQ(send_with(cfg(af_sprintf(A, "%d", p), "\"starttls\": false"), "{}", &m, id, err,
                      sizeof err, NULL),
            -1);
    T_CHECK(strstr(err, af_sprintf(A, "cannot connect to 127.0.0.1:%d", p)) != NULL);
    printf("#   message: %s\n", err);
}

static void test_connection_dropped_during_data(void)
{
    const char *to[] = {"drop@example.org"};
    af_mail_msg m = {.from = "ops@example.org", .to = to, .nto = 1, .subject = "drop", .text = "x"};
    char id[512] = "", err[1024] = "";
    const char *logs = NULL;
    T_INTEQ(send_with(cfg(port, "\"starttls\": false"), "{\"retry\": {\"max_attempts\": \"2\"}}",
                      &m, id, err, sizeof err, &logs),
            -1);
    T_CHECK(strstr(err, "after 2 attempt(s)") != NULL);
    T_CHECK(strstr(err, "lost") != NULL);
    T_CHECK(logs && strstr(logs, "mail_send_retry") != NULL);
    printf("#   message: %s\n", err);
}

static void test_retry_reconnects_and_succeeds(void)
{
    const char *to[] = {"flaky@example.org"};
    af_mail_msg m = {.from = "ops@example.org",
                     .to = to,
                     .nto = 1,
                     .subject = "flaky",
                     .text = "second time lucky"};
    char id[512] = "", err[1024] = "";
    const char *logs = NULL;
    T_INTEQ(send_with(cfg(port, "\"starttls\": false"), "{\"retry\": {\"max_attempts\": 3}}", &m,
                      id, err, sizeof err, &logs),
            0);
    if (*err) printf("#   %s\n", err);
    int n;
    find_record(id, &n);
    T_INTEQ(n, 1);
    T_CHECK(logs && strstr(logs, "mail_send_retry") != NULL);
    T_CHECK(logs && strstr(logs, "attempts=2") != NULL);
}

static void test_no_retry_by_default(void)
{
    const char *to[] = {"flaky@example.org"};
    af_mail_msg m = {.from = "ops@example.org", .to = to, .nto = 1, .subject = "once", .text = "x"};
    char id[512] = "", err[1024] = "";
    T_INTEQ(send_with(cfg(port, "\"starttls\": false"), "{}", &m, id, err, sizeof err, NULL), -1);
    T_CHECK(strstr(err, "after 1 attempt(s)") != NULL);
}

static void test_timeout(void)
{
    /* a listener that never greets: the connect succeeds, the reply never comes */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    bind(s, (struct sockaddr *)&sa, sizeof sa);
    listen(s, 4);
    getsockname(s, (struct sockaddr *)&sa, &len);
    af_mail_msg m = {.from = "ops@example.org", .to = TO1, .nto = 1, .subject = "x", .text = "x"};
    char id[512] = "", err[1024] = "";
    T_INTEQ(send_with(cfg(af_sprintf(A, "%d", ntohs(sa.sin_port)), "\"starttls\": false"),
                      "{\"timeout\": 1}", &m, id, err, sizeof err, NULL),
            -1);
    close(s);
    T_CHECK(strstr(err, "within 1s") != NULL);
    printf("#   message: %s\n", err);
}

static void test_config_errors(void)
{
    t_conn t;
    char err[1024] = "";
    T_INTEQ(t_conn_open(&t, &af_driver_mail_smtp, "{\"port\": 25}", "{}", err, sizeof err), -1);
    T_STREQ(err, "mail.smtp requires config.host");
    t_conn_close(&t);
    T_INTEQ(t_conn_open(&t, &af_driver_mail_smtp, "{\"host\": \"h\", \"port\": \"abc\"}", "{}", err,
                        sizeof err),
            -1);
    T_STREQ(err, "config.port: expected an integer");
    t_conn_close(&t);
    T_INTEQ(t_conn_open(&t, &af_driver_mail_smtp, "{\"host\": \"h\", \"port\": 70000}", "{}", err,
                        sizeof err),
            -1);
    T_CHECK(strstr(err, "not a TCP port") != NULL);
    t_conn_close(&t);
    T_INTEQ(t_conn_open(&t, &af_driver_mail_smtp, "{\"host\": \"h\", \"starttls\": \"maybe\"}",
                        "{}", err, sizeof err),
            -1);
    T_STREQ(err, "config.starttls: expected true or false");
    t_conn_close(&t);
    T_INTEQ(t_conn_open(&t, &af_driver_mail_smtp,
                        "{\"host\": \"h\", \"ssl\": true, \"starttls\": true}", "{}", err,
                        sizeof err),
            -1);
    T_CHECK(strstr(err, "exclude each other") != NULL);
    t_conn_close(&t);
}

/* ---- the file driver ---------------------------------------------------- */

static void test_file_driver(void)
{
    const char *dir = af_sprintf(A, "%s/outbox/nested", tmpdir);
    const char *att = write_file("report.csv", 500, 3);
    char h_att[65];
    t_sha256_file(att, h_att);
    t_conn t;
    char err[1024] = "";
    T_INTEQ(t_conn_open(&t, &af_driver_mail_file, af_sprintf(A, "{\"dir\": \"%s\"}", dir), "{}",
                        err, sizeof err),
            0);
    const af_mail_ops *ops = af_driver_mail_file.ops;
    const char *bcc[] = {"secret@example.org"};
    af_mail_attachment at[] = {{att, NULL, NULL}};
    af_mail_msg m = {.to = TO1,
                     .nto = 1,
                     .bcc = bcc,
                     .nbcc = 1,
                     .subject = "to a file",
                     .text = "written, not sent",
                     .attachments = at,
                     .nattachments = 1};
    char id1[512], id2[512];
    T_INTEQ(ops->send(&t.c, &m, id1, sizeof id1, err, sizeof err), 0);
    m.subject = "second";
    m.attachments = NULL;
    m.nattachments = 0;
    T_INTEQ(ops->send(&t.c, &m, id2, sizeof id2, err, sizeof err), 0);
    const char *logs = t_conn_logs(&t, A);
    t_conn_close(&t);
    T_CHECK(strstr(logs, "mail_written") != NULL);

    DIR *d = opendir(dir);
    int eml = 0, other = 0;
    const char *first = NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".eml") == 0) {
            eml++;
            const char *p = af_sprintf(A, "%s/%s", dir, e->d_name);
            af_value *s = t_mail_summary(A, p);
            if (strcmp(t_get_str(s, "message_id"), id1) == 0) first = p;
        } else {
            other++;
        }
    }
    if (d) closedir(d);
    T_INTEQ(eml, 2);
    T_INTEQ(other, 0); /* no temp files left behind */
    T_CHECK(first != NULL);
    af_value *s = first ? t_mail_summary(A, first) : NULL;
    T_STREQ(t_get_str(s, "subject"), "to a file");
    T_STREQ(t_get_str(s, "from"), "aetherflow@localhost");
    T_STREQ(t_get_str(s, "structure"), "multipart/mixed(text/plain,text/csv)");
    const af_value *parts = s ? af_map_get(s, "parts") : NULL;
    T_STREQ(parts && parts->u.list.n == 2 ? t_get_str(parts->u.list.items[1], "sha256") : "",
            h_att);
    T_CHECK(s && !list_has(af_map_get(s, "header_names"), "bcc"));

    /* a dir that cannot be created fails at open, naming it */
    T_INTEQ(t_conn_open(&t, &af_driver_mail_file, af_sprintf(A, "{\"dir\": \"%s/x\"}", att), "{}",
                        err, sizeof err),
            -1);
    T_CHECK(strstr(err, "cannot create config.dir") != NULL);
    t_conn_close(&t);
    T_INTEQ(t_conn_open(&t, &af_driver_mail_file, "{}", "{}", err, sizeof err), -1);
    T_STREQ(err, "mail.file requires config.dir");
    t_conn_close(&t);
}

int main(void)
{
    host = env_or_die("SMTPD_HOST");
    port = env_or_die("SMTPD_PORT");
    tls_port = env_or_die("SMTPD_TLS_PORT");
    auth_port = env_or_die("SMTPD_AUTH_PORT");
    ssl_port = env_or_die("SMTPD_SSL_PORT");
    user = env_or_die("SMTPD_USER");
    password = env_or_die("SMTPD_PASSWORD");
    ca = env_or_die("SMTPD_CA");
    maildir = env_or_die("SMTPD_MAILDIR");
    A = af_arena_new();
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(test_plain_send);
    T_RUN(test_starttls_verified);
    T_RUN(test_starttls_untrusted_certificate);
    T_RUN(test_starttls_without_verification);
    T_RUN(test_server_requires_starttls);
    T_RUN(test_starttls_not_offered);
    T_RUN(test_auth_login);
    T_RUN(test_auth_wrong_password);
    T_RUN(test_auth_required);
    T_RUN(test_implicit_tls);
    T_RUN(test_sender_defaults);
    T_RUN(test_rich_message);
    T_RUN(test_session_reused_for_several_messages);
    T_RUN(test_rejected_recipient);
    T_RUN(test_server_gone);
    T_RUN(test_connection_dropped_during_data);
    T_RUN(test_retry_reconnects_and_succeeds);
    T_RUN(test_no_retry_by_default);
    T_RUN(test_timeout);
    T_RUN(test_config_errors);
    T_RUN(test_file_driver);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("# could not remove %s\n", tmpdir);
    af_arena_free(A);
    T_END();
}
