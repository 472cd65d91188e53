/*
 * mail_smtp.c - the `mail` kind's `smtp` driver: sends messages through an
 * SMTP server with libcurl (STARTTLS, implicit TLS, AUTH).
 *
 * Config: host (required), port (587), username, password, starttls
 * (default on when port is 587), ssl (implicit TLS; default on when port
 * is 465), from_addr (default: username). Options: timeout (seconds, 30),
 * retry.max_attempts (1), verify_ssl (true), ca_file.
 *
 * One libcurl handle per connector, so one SMTP session is reused by every
 * message of a run. A message is written once (af_mail_write) to an
 * unlinked temp file and streamed from there, so every attempt sends the
 * same bytes and the same Message-ID. The only retries are the configured
 * retry.max_attempts, as the reference's SMTP connector has: after a failed
 * attempt the session is dropped and the next attempt reconnects.
 */
#include "af_mail.h"
#include "cfg.h"

#include <errno.h>
#include <curl/curl.h>
#include <time.h>
#include <unistd.h>

typedef struct smtp {
    CURL *curl;       /* NULL between a failure and the next attempt */
    const char *url;  /* smtp://host:port or smtps://host:port */
    const char *host; /* for messages */
    int64_t port;
    const char *username; /* NULL: no AUTH */
    const char *password;
    int starttls, ssl, verify;
    const char *ca_file;
    const char *from; /* default sender, or NULL */
    double timeout;   /* seconds */
    int64_t attempts; /* retry.max_attempts, at least 1 */
    char errbuf[CURL_ERROR_SIZE];
    char reply[256]; /* the server's last 4xx/5xx reply line, for messages */
} smtp;

static const af_input smtp_config[] = {
    {"host", AF_TY_STR, 1, NULL, NULL, "SMTP server name or address"},
    {"port", AF_TY_INT, 0, "587", NULL, "SMTP port"},
    {"username", AF_TY_STR, 0, NULL, NULL, "login name (AUTH when password is set too)"},
    {"password", AF_TY_STR, 0, NULL, NULL, "login password"},
    {"starttls", AF_TY_BOOL, 0, NULL, NULL, "upgrade with STARTTLS (default: port 587)"},
    {"ssl", AF_TY_BOOL, 0, NULL, NULL, "implicit TLS, smtps (default: port 465)"},
    {"from_addr", AF_TY_STR, 0, NULL, NULL, "default sender (default: username)"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_input smtp_options[] = {
    {"timeout", AF_TY_NUMBER, 0, "30", NULL, "seconds per connect or server reply"},
    {"retry", AF_TY_MAP, 0, NULL, NULL, "max_attempts: sends tried before failing (1)"},
    {"verify_ssl", AF_TY_BOOL, 0, "true", NULL, "verify the server's certificate"},
    {"ca_file", AF_TY_STR, 0, NULL, NULL, "PEM bundle of trusted CAs for the server's certificate"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static int smtp_open(af_conn *c, char *err, size_t errlen)
{
    af_arena *a = af_conn_arena(c);
    const af_value *cfg = af_conn_config(c), *opt = af_conn_options(c);
    smtp *s = af_alloc(a, sizeof *s);
    int have_tls, have_ssl;
    if (cfg_str(a, cfg, "config", "host", NULL, &s->host, err, errlen) < 0 ||
        cfg_int(cfg, "config", "port", 587, &s->port, err, errlen) < 0 ||
        cfg_str(a, cfg, "config", "username", NULL, &s->username, err, errlen) < 0 ||
        cfg_str(a, cfg, "config", "password", NULL, &s->password, err, errlen) < 0 ||
        cfg_str(a, cfg, "config", "from_addr", NULL, &s->from, err, errlen) < 0 ||
        cfg_bool(cfg, "config", "ssl", s->port == 465, &s->ssl, err, errlen) < 0 ||
        cfg_bool(cfg, "config", "starttls", s->port == 587, &s->starttls, err, errlen) < 0 ||
        cfg_double(opt, "options", "timeout", 30, &s->timeout, err, errlen) < 0 ||
        cfg_int(opt, "options", "retry.max_attempts", 1, &s->attempts, err, errlen) < 0 ||
        cfg_bool(opt, "options", "verify_ssl", 1, &s->verify, err, errlen) < 0 ||
        cfg_str(a, opt, "options", "ca_file", NULL, &s->ca_file, err, errlen) < 0)
        return -1;
    have_tls = cfg_get(cfg, "starttls") != NULL;
    have_ssl = cfg_get(cfg, "ssl") != NULL;
    if (!s->host || !*s->host) {
        snprintf(err, errlen, "mail.smtp requires config.host");
        return -1;
    }
    if (s->port <= 0 || s->port > 65535) {
        snprintf(err, errlen, "config.port: %lld is not a TCP port", (long long)s->port);
        return -1;
    }
    if (s->ssl && s->starttls && have_tls && have_ssl) {
        snprintf(err, errlen, "config.ssl and config.starttls exclude each other");
        return -1;
    }
    if (s->ssl) s->starttls = 0;
    if (!(s->timeout > 0) || s->timeout > 86400)
        s->timeout = 30; /* the reference treats 0 and empty as the default */
    if (s->attempts < 1) s->attempts = 1;
    if (s->username && !*s->username) s->username = NULL;
    if (s->password && !*s->password) s->password = NULL;
    if (!s->from || !*s->from) s->from = s->username;
    s->url = af_sprintf(a, "%s://%s%s%s:%lld", s->ssl ? "smtps" : "smtp",
                        strchr(s->host, ':') ? "[" : "", s->host, strchr(s->host, ':') ? "]" : "",
                        (long long)s->port);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return -1;
    }
    af_conn_set_impl(c, s);
    return 0;
}

static void smtp_close(af_conn *c)
{
    smtp *s = af_conn_impl(c);
    if (s && s->curl) {
        curl_easy_cleanup(s->curl); /* says QUIT on a live session */
        s->curl = NULL;
    }
    if (s) curl_global_cleanup();
}

static size_t read_file(char *buf, size_t size, size_t n, void *ud)
{
    size_t got = fread(buf, 1, size * n, (FILE *)ud);
    return got == 0 && ferror((FILE *)ud) ? CURL_READFUNC_ABORT : got;
}

/* Keeps the server's last error reply (4xx, 5xx): libcurl reports only its
 * code, and the QUIT that follows a failure would hide it. Only incoming
 * lines are looked at (outgoing ones carry AUTH credentials). */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t n, void *ud)
{
    (void)h;
    smtp *s = ud;
    if (type != CURLINFO_HEADER_IN || n < 3 || (data[0] != '4' && data[0] != '5')) return 0;
    while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
        n--;
    if (n >= sizeof s->reply) n = sizeof s->reply - 1;
    for (size_t i = 0; i < n; i++)
        s->reply[i] = data[i] >= 32 && data[i] < 127 ? data[i] : ' ';
    s->reply[n] = '\0';
    return 0;
}

/* One attempt's failure, in words; the caller adds the attempt count. */
static void describe(smtp *s, CURLcode rc, char *out, size_t outlen)
{
    long code = 0;
    if (s->curl) curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
    const char *detail = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
    char said[300] = "";
    if (code >= 400 && s->reply[0]) snprintf(said, sizeof said, " (server said: %s)", s->reply);
    long long port = (long long)s->port;
    switch (rc) {
    case CURLE_LOGIN_DENIED:
        /* no user name: it may be a decoded secret too */
        snprintf(out, outlen, "SMTP login failed at %s:%lld%s", s->host, port, said);
        break;
    case CURLE_USE_SSL_FAILED:
        snprintf(out, outlen, "SMTP STARTTLS failed: %s:%lld does not offer STARTTLS", s->host,
                 port);
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        snprintf(out, outlen,
                 "TLS certificate of %s:%lld is not trusted: %s (set options.ca_file, or "
                 "options.verify_ssl: false)",
                 s->host, port, detail);
        break;
    case CURLE_SSL_CONNECT_ERROR:
        snprintf(out, outlen, "TLS handshake with %s:%lld failed: %s", s->host, port, detail);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        snprintf(out, outlen, "cannot connect to %s:%lld: %s", s->host, port, detail);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(out, outlen, "no answer from %s:%lld within %gs", s->host, port, s->timeout);
        break;
    default:
        if (said[0])
            snprintf(out, outlen, "SMTP server %s:%lld refused: %s%s", s->host, port, detail, said);
        else if (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
                 rc == CURLE_PARTIAL_FILE)
            snprintf(out, outlen, "connection to %s:%lld lost: %s", s->host, port, detail);
        else
            snprintf(out, outlen, "SMTP error with %s:%lld: %s", s->host, port, detail);
        break;
    }
    cfg_redact(out, s->password);
}

static CURLcode perform(smtp *s, FILE *msg, curl_off_t size, struct curl_slist *rcpt,
                        const char *from, int fresh)
{
    if (!s->curl && !(s->curl = curl_easy_init())) return CURLE_OUT_OF_MEMORY;
    CURL *h = s->curl;
    curl_easy_reset(h); /* keeps the live session, drops last message's options */
    s->errbuf[0] = '\0';
    s->reply[0] = '\0';
    long secs = (long)s->timeout + (s->timeout > (double)(long)s->timeout);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, s);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L); /* feeds on_debug; prints nothing */
    curl_easy_setopt(h, CURLOPT_URL, s->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)(s->starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, (long)s->verify);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, s->verify ? 2L : 0L);
    if (s->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
    if (s->username && s->password) {
        curl_easy_setopt(h, CURLOPT_USERNAME, s->username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, s->password);
    }
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(s->timeout * 1000));
    curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, secs > 0 ? secs : 1L);
    /* a stalled DATA transfer fails like a stalled socket read would */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, secs > 0 ? secs : 1L);
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, (long)fresh);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_file);
    curl_easy_setopt(h, CURLOPT_READDATA, msg);
    return curl_easy_perform(h);
}

static int smtp_send(af_conn *c, const af_mail_msg *m0, char *msgid, size_t msgidlen, char *err,
                     size_t errlen)
{
    smtp *s = af_conn_impl(c);
    af_mail_msg m = *m0;
    if (!m.from || !*m.from) m.from = s->from;
    if (!m.from || !*m.from) {
        snprintf(err, errlen,
                 "no sender: set inputs.from_addr, or config.from_addr or config.username of "
                 "the mail resource");
        return -1;
    }
    FILE *tmp = tmpfile();
    if (!tmp) {
        snprintf(err, errlen, "cannot create a temporary file for the message: %s",
                 strerror(errno));
        return -1;
    }
    af_arena *a = af_arena_new();
    af_mail_envelope env;
    struct curl_slist *rcpt = NULL;
    int rc = -1;
    if (af_mail_write(a, &m, tmp, &env, err, errlen) < 0) goto done;
    curl_off_t size = (curl_off_t)ftello(tmp);
    for (size_t i = 0; i < env.nrcpt; i++) {
        struct curl_slist *n = curl_slist_append(rcpt, af_sprintf(a, "<%s>", env.rcpt[i]));
        if (!n) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        rcpt = n;
    }
    const char *from = af_sprintf(a, "<%s>", env.from);
    char last[512] = "";
    int64_t attempt;
    for (attempt = 1; attempt <= s->attempts; attempt++) {
        rewind(tmp);
        CURLcode cc = perform(s, tmp, size, rcpt, from, attempt > 1);
        if (cc == CURLE_OK) {
            rc = 0;
            break;
        }
        describe(s, cc, last, sizeof last);
        /* reset the session between attempts, as the reference does */
        curl_easy_cleanup(s->curl);
        s->curl = NULL;
        if (attempt < s->attempts) {
            af_kv f[] = {AF_KI("attempt", attempt), AF_KS("error", last), {0}};
            af_conn_log(c, AF_WARNING, "mail_send_retry", f);
            sleep(attempt - 1 < 3 ? 1u << (attempt - 1) : 5u);
        }
    }
    if (rc == 0) {
        af_kv f[] = {AF_KS("message_id", env.message_id),
                     AF_KI("recipients", (int64_t)env.nrcpt),
                     AF_KI("bytes", (int64_t)size),
                     AF_KI("attempts", attempt),
                     {0}};
        af_conn_log(c, AF_INFO, "mail_sent", f);
        if (msgid) snprintf(msgid, msgidlen, "%s", env.message_id);
    } else {
        if (attempt > s->attempts) attempt = s->attempts;
        snprintf(err, errlen, "SMTP send failed after %lld attempt(s): %s", (long long)attempt,
                 last);
    }
done:
    curl_slist_free_all(rcpt);
    fclose(tmp);
    af_arena_free(a);
    return rc;
}

static const af_mail_ops smtp_ops = {
    .send = smtp_send,
};

const af_driver af_driver_mail_smtp = {
    .abi = AF_ABI_VERSION,
    .kind = "mail",
    .name = "smtp",
    .aliases = NULL,
    .summary = "SMTP with STARTTLS or implicit TLS and AUTH (libcurl)",
    .config = smtp_config,
    .options = smtp_options,
    .open = smtp_open,
    .close = smtp_close,
    .ops = &smtp_ops,
    .libs = "-lcurl",
};
