/*
 * sftp_libssh2.c - driver `libssh2` of kind `sftp` (aliases `paramiko`,
 * `sftp-moveit`): SFTP over one SSH session per connector, on libssh2.
 *
 * The session runs in libssh2's non-blocking mode and every call goes
 * through a loop that waits on the socket in the direction libssh2 is
 * blocked on, with the connector's timeout as the longest silence allowed.
 * That one mechanism gives timeouts, and lets upload_many drive several
 * SFTP channels of the same session from one thread: each worker is a
 * small state machine (open temp, pipelined writes, fsync, close, rename)
 * advanced whenever the socket moves, so workers overlap their round
 * trips without threads touching libssh2 concurrently.
 *
 * libssh2 1.10 keeps a single partially-sent packet per session and
 * refuses a different packet until it is flushed (LIBSSH2_ERROR_BAD_USE),
 * so when a call leaves the session blocked outbound, the same call is
 * repeated until it is not, before any other worker runs.
 *
 * After a transport failure (timeout, reset, protocol error) the session
 * is unusable: every later call fails naming the first failure. The
 * driver never reconnects or retries on its own.
 */
#include "af_sftp.h"
#include "xfer.h"
#include "af_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CHANNELS 16           /* SFTP channels per session (OpenSSH allows 10 by default) */
#define DEFAULT_BUFFER (4u << 20) /* bytes in flight per single transfer */
#define MIN_WORKER_BUFFER (256u << 10)
#define ERR_WAIT (-10000) /* our code: the wait failed, message already in err */

typedef struct ssh2 {
    pthread_mutex_t mu; /* one call at a time on the session */
    int sock;
    LIBSSH2_SESSION *s;
    LIBSSH2_SFTP *chan[MAX_CHANNELS]; /* chan[0] opened at connect, the others on demand */
    int nchan;
    int chan_refused; /* the server refused another channel: use what we have */
    double timeout;   /* longest silence, seconds */
    int fsync;        /* fsync@openssh.com each upload before its rename */
    size_t bufsize;
    char where[600];  /* user@host:port, for messages */
    char broken[768]; /* first transport failure; session unusable when set */
    uint64_t rx;      /* bytes received: lets the event loop see progress */
    char *password;   /* for keyboard-interactive; wiped at close */
    af__xlog_fn log;
    void *log_ud;
    af_arena *a; /* scratch, reset per primitive under mu */
} ssh2;

/* ---- waiting and errors ----------------------------------------------- */

static ssize_t rx_cb(libssh2_socket_t sock, void *buf, size_t len, int flags, void **abstract)
{
    ssh2 *c = *abstract;
    ssize_t r = recv(sock, buf, len, flags);
    if (r < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? -EAGAIN : -errno;
    c->rx += (uint64_t)r;
    return r;
}

static int set_broken(ssh2 *c, char *err, size_t errlen, const char *fmt, ...) AF_PRINTF(4, 5);
static int set_broken(ssh2 *c, char *err, size_t errlen, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->broken[0]) {
        snprintf(c->broken, sizeof c->broken, "%s", msg);
        /* from now on every send fails at once, so libssh2 can still free
         * its handles and nothing waits on a dead or frozen peer */
        if (c->sock >= 0) shutdown(c->sock, SHUT_RDWR);
    }
    return af__err(err, errlen, "%s", msg);
}

/* Waits until the socket is ready in the direction libssh2 is blocked on.
 * 0 when ready (or interrupted: the caller retries), ERR_WAIT on timeout
 * or socket error (session marked broken, err set). */
static int wait_io(ssh2 *c, char *err, size_t errlen)
{
    int dir = libssh2_session_block_directions(c->s);
    struct pollfd p = {.fd = c->sock};
    if (dir & LIBSSH2_SESSION_BLOCK_INBOUND) p.events |= POLLIN;
    if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) p.events |= POLLOUT;
    if (!p.events) p.events = POLLIN;
    int r = poll(&p, 1, (int)(c->timeout * 1000));
    if (r > 0 || (r < 0 && errno == EINTR)) return 0;
    if (r == 0)
        set_broken(c, err, errlen, "timed out after %gs without an answer from %s", c->timeout,
                   c->where);
    else
        set_broken(c, err, errlen, "connection to %s failed: %s", c->where, strerror(errno));
    return ERR_WAIT;
}

/* Repeats an int-returning libssh2 call while it would block. */
#define CALL(c, rc, expr, err, errlen)                                                             \
    do {                                                                                           \
        for (;;) {                                                                                 \
            (rc) = (expr);                                                                         \
            if ((rc) != LIBSSH2_ERROR_EAGAIN) break;                                               \
            if (wait_io((c), (err), (errlen)) < 0) {                                               \
                (rc) = ERR_WAIT;                                                                   \
                break;                                                                             \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static const char *fx_text(unsigned long code)
{
    switch (code) {
    case LIBSSH2_FX_EOF:
        return "end of file";
    case LIBSSH2_FX_NO_SUCH_FILE:
        return "no such file or directory";
    case LIBSSH2_FX_PERMISSION_DENIED:
        return "permission denied";
    case LIBSSH2_FX_FAILURE:
        return "failure reported by the server";
    case LIBSSH2_FX_BAD_MESSAGE:
        return "bad message";
    case LIBSSH2_FX_OP_UNSUPPORTED:
        return "operation not supported by the server";
    case LIBSSH2_FX_INVALID_HANDLE:
        return "invalid handle";
    case LIBSSH2_FX_NO_SUCH_PATH:
        return "no such path";
    case LIBSSH2_FX_FILE_ALREADY_EXISTS:
        return "file already exists";
    case LIBSSH2_FX_WRITE_PROTECT:
        return "write protected";
    case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
        return "no space left on the file system";
    case LIBSSH2_FX_QUOTA_EXCEEDED:
        return "quota exceeded";
    case LIBSSH2_FX_DIR_NOT_EMPTY:
        return "directory not empty";
    case LIBSSH2_FX_NOT_A_DIRECTORY:
        return "not a directory";
    case LIBSSH2_FX_INVALID_FILENAME:
        return "invalid file name";
    default:
        return "SFTP error";
    }
}

/* The SFTP status of the last failed call on sftp, or 0 when the failure
 * was not an SFTP status. */
static unsigned long fx_code(LIBSSH2_SFTP *sftp, int rc)
{
    return rc == LIBSSH2_ERROR_SFTP_PROTOCOL ? libssh2_sftp_last_error(sftp) : 0;
}

/* Formats "WHAT: REASON" into err for a failed call. An SFTP status leaves
 * the session usable; anything else breaks it. Returns -1. */
static int fail(ssh2 *c, LIBSSH2_SFTP *sftp, int rc, char *err, size_t errlen, const char *what)
{
    if (rc == ERR_WAIT) {
        char reason[768];
        snprintf(reason, sizeof reason, "%s", err);
        return af__err(err, errlen, "%s: %s", what, reason);
    }
    if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
        unsigned long code = libssh2_sftp_last_error(sftp);
        return af__err(err, errlen, "%s: %s (SFTP status %lu)", what, fx_text(code), code);
    }
    char *msg = NULL;
    libssh2_session_last_error(c->s, &msg, NULL, 0);
    char reason[768];
    snprintf(reason, sizeof reason, "connection to %s lost: %s", c->where,
             msg && *msg ? msg : "transport error");
    set_broken(c, NULL, 0, "%s", reason);
    return af__err(err, errlen, "%s: %s", what, reason);
}

/* Takes the session for one primitive; fails when it is broken. */
static int enter(ssh2 *c, char *err, size_t errlen)
{
    pthread_mutex_lock(&c->mu);
    af_arena_reset(c->a);
    if (c->broken[0]) {
        af__err(err, errlen, "connection to %s is unusable after an earlier failure: %s", c->where,
                c->broken);
        pthread_mutex_unlock(&c->mu);
        return -1;
    }
    return 0;
}

static int leave(ssh2 *c, int rc)
{
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static int cancelled(const af_xfer_ctl *ctl)
{
    return ctl && ctl->cancelled && ctl->cancelled(ctl->ud);
}

/* libssh2_sftp_open_ex until it stops blocking. NULL on failure, with *rc. */
static LIBSSH2_SFTP_HANDLE *open_h(ssh2 *c, LIBSSH2_SFTP *sftp, const char *path,
                                   unsigned long flags, long mode, int type, int *rc, char *err,
                                   size_t errlen)
{
    for (;;) {
        LIBSSH2_SFTP_HANDLE *fh =
            libssh2_sftp_open_ex(sftp, path, (unsigned)strlen(path), flags, mode, type);
        if (fh) return fh;
        *rc = libssh2_session_last_errno(c->s);
        if (*rc != LIBSSH2_ERROR_EAGAIN) return NULL;
        if (wait_io(c, err, errlen) < 0) {
            *rc = ERR_WAIT;
            return NULL;
        }
    }
}

/* Closes a handle; on a broken session the close cannot be sent, and
 * libssh2 then just frees it. */
static void close_h(ssh2 *c, LIBSSH2_SFTP_HANDLE *fh)
{
    int rc;
    char e[256];
    if (!fh) return;
    if (c->broken[0])
        libssh2_sftp_close_handle(fh);
    else
        CALL(c, rc, libssh2_sftp_close_handle(fh), e, sizeof e);
    (void)rc;
}

/* stat or lstat: 1 found, 0 missing, -1 error. */
static int stat_p(ssh2 *c, LIBSSH2_SFTP *sftp, const char *path, int how,
                  LIBSSH2_SFTP_ATTRIBUTES *at, char *err, size_t errlen)
{
    int rc;
    CALL(c, rc, libssh2_sftp_stat_ex(sftp, path, (unsigned)strlen(path), how, at), err, errlen);
    if (rc == 0) return 1;
    unsigned long code = fx_code(sftp, rc);
    if (code == LIBSSH2_FX_NO_SUCH_FILE || code == LIBSSH2_FX_NO_SUCH_PATH) return 0;
    return fail(c, sftp, rc, err, errlen, af_sprintf(c->a, "cannot stat '%s'", path));
}

static int is_dir_attr(const LIBSSH2_SFTP_ATTRIBUTES *at)
{
    return (at->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && LIBSSH2_SFTP_S_ISDIR(at->permissions);
}

/* ---- connecting ------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;
static void lib_init(void)
{
    init_rc = libssh2_init(0);
}

static int connect_tcp(const char *host, int port, double timeout, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int g = getaddrinfo(host, ps, &hints, &res);
    if (g) return af__err(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(g));
    int last = 0, fd = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        if (errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int r;
            do
                r = poll(&p, 1, (int)(timeout * 1000));
            while (r < 0 && errno == EINTR);
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
                break;
            last = r == 0 ? ETIMEDOUT : soerr ? soerr : errno;
        } else {
            last = errno;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return af__err(err, errlen, "cannot connect to %s:%d: %s", host, port, strerror(last));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Host key algorithms libssh2 1.10 can verify, in the order we ask for them. */
static const char *const kh_types[] = {
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
    NULL};

typedef struct kh_state {
    unsigned have;            /* bit i: a key of kh_types[i] is listed */
    int n;                    /* lines naming the host */
    const unsigned char *key; /* the server's key, when checking */
    size_t keylen;
    const char *keytype;
    int match, mismatch, revoked;
} kh_state;

static void kh_collect(void *ud, int revoked, const char *type, const unsigned char *blob,
                       size_t len)
{
    kh_state *k = ud;
    k->n++;
    for (int i = 0; kh_types[i]; i++)
        if (!revoked && !strcmp(type, kh_types[i])) k->have |= 1u << i;
    if (!k->key) return;
    int same = len == k->keylen && memcmp(blob, k->key, len) == 0;
    if (revoked && same) k->revoked = 1;
    if (!revoked && !strcmp(type, k->keytype)) {
        if (same)
            k->match = 1;
        else
            k->mismatch = 1;
    }
}

static const char *hostkey_name(int t)
{
    switch (t) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
        return "ssh-rsa";
    case LIBSSH2_HOSTKEY_TYPE_DSS:
        return "ssh-dss";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
        return "ecdsa-sha2-nistp256";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
        return "ecdsa-sha2-nistp384";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
        return "ecdsa-sha2-nistp521";
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
        return "ssh-ed25519";
    default:
        return "unknown";
    }
}

static char *read_file(af_arena *a, const char *path, size_t *len, int *errnum)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *errnum = errno;
        return NULL;
    }
    af_buf b = {0};
    char chunk[16384];
    ssize_t r;
    while ((r = read(fd, chunk, sizeof chunk)) > 0)
        af_buf_put(&b, chunk, (size_t)r);
    *errnum = r < 0 ? errno : 0;
    close(fd);
    char *s = r < 0 ? NULL : af_strndup(a, af_buf_cstr(&b), b.len);
    *len = b.len;
    af_buf_free(&b);
    return s;
}

/* The key type inside a private key file, for messages: "ssh-rsa", ... or
 * NULL when it cannot be told. */
static const char *pkey_type(af_arena *a, const char *text)
{
    if (!text) return NULL;
    if (strstr(text, "BEGIN RSA PRIVATE KEY")) return "ssh-rsa";
    if (strstr(text, "BEGIN EC PRIVATE KEY")) return "ecdsa";
    const char *b = strstr(text, "BEGIN OPENSSH PRIVATE KEY-----");
    if (!b) return NULL;
    b += 30;
    /* the public key's type is in the clear: "openssh-key-v1\0", cipher,
     * kdf, kdf options, key count, then the public key blob */
    char clean[1024];
    size_t n = 0;
    for (; *b && *b != '-' && n + 1 < sizeof clean; b++)
        if (*b != '\n' && *b != '\r') clean[n++] = *b;
    unsigned char raw[800];
    const char *type = NULL;
    int rl = EVP_DecodeBlock(raw, (const unsigned char *)clean, (int)(n & ~(size_t)3));
    size_t o = 15;
    if (rl >= 15 + 4 && !memcmp(raw, "openssh-key-v1", 15)) {
        for (int i = 0; i < 3 && o + 4 <= (size_t)rl; i++) { /* cipher, kdf, kdf options */
            uint32_t l = (uint32_t)raw[o] << 24 | raw[o + 1] << 16 | raw[o + 2] << 8 | raw[o + 3];
            o += 4 + (size_t)l;
        }
        o += 4 + 4; /* key count, public blob length */
        if (o + 4 <= (size_t)rl) {
            uint32_t tl = (uint32_t)raw[o] << 24 | raw[o + 1] << 16 | raw[o + 2] << 8 | raw[o + 3];
            if (o + 4 + tl <= (size_t)rl && tl <= 64)
                type = af_strndup(a, (const char *)raw + o + 4, tl);
        }
    }
    /* an unencrypted key's private part may follow: leave nothing behind */
    explicit_bzero(clean, sizeof clean);
    explicit_bzero(raw, sizeof raw);
    return type;
}

static void kbd_cb(const char *name, int name_len, const char *instr, int instr_len,
                   int num_prompts, const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
                   LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract)
{
    (void)name, (void)name_len, (void)instr, (void)instr_len, (void)prompts;
    ssh2 *c = *abstract;
    for (int i = 0; i < num_prompts; i++) {
        /* libssh2 frees the answers with free(): we passed no allocator */
        responses[i].text = strdup(c->password ? c->password : "");
        responses[i].length = responses[i].text ? (unsigned)strlen(responses[i].text) : 0;
    }
}

static LIBSSH2_SFTP *sftp_init(ssh2 *c, int *rc, char *err, size_t errlen)
{
    for (;;) {
        LIBSSH2_SFTP *sftp = libssh2_sftp_init(c->s);
        if (sftp) return sftp;
        *rc = libssh2_session_last_errno(c->s);
        if (*rc != LIBSSH2_ERROR_EAGAIN) return NULL;
        if (wait_io(c, err, errlen) < 0) {
            *rc = ERR_WAIT;
            return NULL;
        }
    }
}

static const char *last_msg(ssh2 *c)
{
    char *msg = NULL;
    libssh2_session_last_error(c->s, &msg, NULL, 0);
    return msg && *msg ? msg : "unknown error";
}

/* Verifies the server's host key against the pin and/or known_hosts; with
 * neither, logs its fingerprint as a warning. */
static int check_host_key(ssh2 *c, const char *host, int port, const char *pin, const char *kh_text,
                          size_t kh_len, const char *kh_path, char *err, size_t errlen)
{
    size_t len;
    int type;
    const char *key = libssh2_session_hostkey(c->s, &len, &type);
    if (!key) return af__err(err, errlen, "%s sent no host key", c->where);
    char fp[80];
    af__kh_fingerprint((const unsigned char *)key, len, fp, sizeof fp);
    unsigned char digest[32];
    EVP_Digest(key, len, digest, NULL, EVP_sha256(), NULL);
    if (pin && !af__kh_pin_matches(pin, digest))
        return af__err(err, errlen,
                       "host key of %s:%d does not match host_key_sha256: the server presented "
                       "%s %s",
                       host, port, hostkey_name(type), fp);
    if (kh_text) {
        kh_state k = {
            .key = (const unsigned char *)key, .keylen = len, .keytype = hostkey_name(type)};
        af__kh_scan(kh_text, kh_len, host, port, kh_collect, &k);
        if (k.revoked)
            return af__err(err, errlen, "host key of %s:%d (%s) is marked @revoked in %s", host,
                           port, fp, kh_path);
        if (!k.match)
            return af__err(err, errlen,
                           k.mismatch ? "host key of %s:%d does not match %s: the server "
                                        "presented %s %s"
                                      : "no %4$s key for %1$s:%2$d in %3$s (the server presented "
                                        "%4$s %5$s)",
                           host, port, kh_path, hostkey_name(type), fp);
    }
    if (!pin && !kh_text) {
        af_kv f[] = {AF_KS("host", host),
                     AF_KI("port", port),
                     AF_KS("key_type", hostkey_name(type)),
                     AF_KS("fingerprint", fp),
                     AF_KS("hint", "set config.host_key_sha256 or config.known_hosts to verify it"),
                     {0}};
        if (c->log) c->log(c->log_ud, AF_WARNING, "sftp_host_key_unverified", f);
    }
    return 0;
}

/* Logs in with the key, then the password; *method says which worked. */
static int authenticate(ssh2 *c, const char *user, const char *password, const char *pkey,
                        const char *passphrase, const char **method, char *err, size_t errlen)
{
    *method = "none";
    unsigned ulen = (unsigned)strlen(user);
    const char *methods;
    for (;;) {
        methods = libssh2_userauth_list(c->s, user, ulen);
        if (methods || libssh2_session_last_errno(c->s) != LIBSSH2_ERROR_EAGAIN) break;
        if (wait_io(c, err, errlen) < 0) return -1;
    }
    if (!methods) {
        if (libssh2_userauth_authenticated(c->s)) return 0;
        return set_broken(c, err, errlen, "cannot start authentication with %s: %s", c->where,
                          last_msg(c));
    }
    char keyerr[2048] = "";
    int rc;
    if (pkey) {
        /* the head of the file is enough to name the key type in messages;
         * it is wiped at once (the rest of the key is never read by us) */
        char head[1536];
        int fd = open(pkey, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return af__err(err, errlen, "cannot read private key '%s': %s", pkey, strerror(errno));
        ssize_t hn = read(fd, head, sizeof head - 1);
        close(fd);
        head[hn > 0 ? hn : 0] = 0;
        const char *kt = pkey_type(c->a, head);
        explicit_bzero(head, sizeof head);
        CALL(c, rc,
             libssh2_userauth_publickey_fromfile_ex(c->s, user, ulen, NULL, pkey, passphrase), err,
             errlen);
        if (rc == 0) {
            *method = "publickey";
            return 0;
        }
        if (rc == ERR_WAIT) return -1;
        if (rc == LIBSSH2_ERROR_FILE)
            snprintf(keyerr, sizeof keyerr, "cannot use private key '%s': %s", pkey,
                     passphrase ? "wrong passphrase or unsupported key format"
                                : "it needs a passphrase (config.passphrase) or has an "
                                  "unsupported format");
        else if (rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED ||
                 rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED)
            snprintf(keyerr, sizeof keyerr, "%s refused private key '%s' for user '%s'%s", c->where,
                     pkey, user,
                     kt && !strcmp(kt, "ssh-rsa")
                         ? " (libssh2 1.10 signs RSA keys with SHA-1 only, which OpenSSH 8.8 "
                           "and later refuse unless PubkeyAcceptedAlgorithms includes ssh-rsa; "
                           "an ECDSA or ed25519 key avoids this)"
                         : "");
        else
            return set_broken(c, err, errlen, "authentication with %s failed: %s", c->where,
                              last_msg(c));
        if (!password) return af__err(err, errlen, "%s", keyerr);
    }
    if (password) {
        if (strstr(methods, "password")) {
            *method = "password";
            CALL(c, rc,
                 libssh2_userauth_password_ex(c->s, user, ulen, password,
                                              (unsigned)strlen(password), NULL),
                 err, errlen);
        } else if (strstr(methods, "keyboard-interactive")) {
            *method = "keyboard-interactive";
            CALL(c, rc, libssh2_userauth_keyboard_interactive_ex(c->s, user, ulen, kbd_cb), err,
                 errlen);
        } else {
            return af__err(err, errlen,
                           "%s%s%s does not accept password authentication (it "
                           "accepts: %s)",
                           keyerr, *keyerr ? "; " : "", c->where, methods);
        }
        if (rc == 0) return 0;
        if (rc == ERR_WAIT) return -1;
        if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED && rc != LIBSSH2_ERROR_PASSWORD_EXPIRED &&
            rc != LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
            return set_broken(c, err, errlen, "authentication with %s failed: %s", c->where,
                              last_msg(c));
        return af__err(err, errlen,
                       "%s%sauthentication failed for user '%s' at %s (wrong "
                       "password?)",
                       keyerr, *keyerr ? "; " : "", user, c->where);
    }
    return af__err(err, errlen, "config needs a password or a pkey_path (%s accepts: %s)", c->where,
                   methods);
}

int af__ssh2_open(const af_value *config, const af_value *options, af__xlog_fn log, void *ud,
                  void **h, char *err, size_t errlen)
{
    *h = NULL;
    ssh2 *c = calloc(1, sizeof *c);
    if (!c) return af__err(err, errlen, "out of memory");
    pthread_mutex_init(&c->mu, NULL);
    c->sock = -1;
    c->a = af_arena_new();
    c->log = log;
    c->log_ud = ud;
    c->bufsize = DEFAULT_BUFFER;
    af_arena *a = c->a;
    int64_t port;
    const char *host = af__cfg_str(a, config, "host"), *user = af__cfg_str(a, config, "user");
    const char *password = af__cfg_str(a, config, "password");
    const char *pkey = af__cfg_str(a, config, "pkey_path");
    const char *passphrase = af__cfg_str(a, config, "passphrase");
    const char *kh_path = af__cfg_str(a, config, "known_hosts");
    const char *pin = af__cfg_str(a, config, "host_key_sha256");
    if (!passphrase) passphrase = af__cfg_str(a, config, "pkey_passphrase");
    if (password && !*password) password = NULL;
    if (pkey && !*pkey) pkey = NULL;
    if (pin && !*pin) pin = NULL;
    if (kh_path && !*kh_path) kh_path = NULL;
    if (!host || !*host) {
        af__err(err, errlen, "config.host is required");
        goto fail;
    }
    if (!user || !*user) {
        af__err(err, errlen, "config.user is required");
        goto fail;
    }
    if (af__cfg_int(config, "port", 22, &port, err, errlen) < 0 ||
        af__cfg_timeout(config, options, 30, &c->timeout, err, errlen) < 0 ||
        af__cfg_bool(af_map_get(options, "fsync") ? options : config, "fsync", 0, &c->fsync, err,
                     errlen) < 0)
        goto fail;
    if (port < 1 || port > 65535) {
        af__err(err, errlen, "config.port must be between 1 and 65535");
        goto fail;
    }
    snprintf(c->where, sizeof c->where, "%s@%s:%d", user, host, (int)port);
    if (password) c->password = strdup(password);

    /* known_hosts first: it decides which host key types to ask for */
    size_t kh_len = 0;
    char *kh_text = NULL;
    char prefs[256] = "";
    if (kh_path) {
        int e;
        kh_text = read_file(a, kh_path, &kh_len, &e);
        if (!kh_text) {
            af__err(err, errlen, "cannot read known_hosts '%s': %s", kh_path, strerror(e));
            goto fail;
        }
        kh_state k = {0};
        af__kh_scan(kh_text, kh_len, host, (int)port, kh_collect, &k);
        if (!k.n) {
            af__err(err, errlen, "%s:%d is not in known_hosts '%s'", host, (int)port, kh_path);
            goto fail;
        }
        for (int i = 0; kh_types[i]; i++)
            if (k.have & (1u << i))
                snprintf(prefs + strlen(prefs), sizeof prefs - strlen(prefs), "%s%s",
                         *prefs ? "," : "", kh_types[i]);
        if (!*prefs) {
            af__err(err, errlen,
                    "known_hosts '%s' lists no key for %s:%d of a type libssh2 1.10 can verify "
                    "(ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa)",
                    kh_path, host, (int)port);
            goto fail;
        }
    }

    if (!*prefs) /* OpenSSH's order: a pinned or logged fingerprint is of that key */
        for (int i = 0; kh_types[i]; i++)
            snprintf(prefs + strlen(prefs), sizeof prefs - strlen(prefs), "%s%s", *prefs ? "," : "",
                     kh_types[i]);

    pthread_once(&init_once, lib_init);
    if (init_rc) {
        af__err(err, errlen, "libssh2 failed to initialise");
        goto fail;
    }
    c->sock = connect_tcp(host, (int)port, c->timeout, err, errlen);
    if (c->sock < 0) goto fail;
    c->s = libssh2_session_init_ex(NULL, NULL, NULL, c);
    if (!c->s) {
        af__err(err, errlen, "libssh2 could not create a session");
        goto fail;
    }
    libssh2_session_callback_set(c->s, LIBSSH2_CALLBACK_RECV, (void *)rx_cb);
    libssh2_session_set_blocking(c->s, 0);
    if (*prefs && libssh2_session_method_pref(c->s, LIBSSH2_METHOD_HOSTKEY, prefs) < 0) {
        af__err(err, errlen, "cannot restrict host key types to '%s': %s", prefs, last_msg(c));
        goto fail;
    }
    int rc;
    CALL(c, rc, libssh2_session_handshake(c->s, c->sock), err, errlen);
    if (rc == ERR_WAIT) goto fail;
    if (rc) {
        af__err(err, errlen, "SSH handshake with %s:%d failed: %s%s", host, (int)port, last_msg(c),
                rc == LIBSSH2_ERROR_KEX_FAILURE
                    ? " (no algorithm in common: libssh2 1.10 offers aes*-ctr/cbc ciphers, "
                      "hmac-sha2/sha1 MACs and ssh-ed25519, ecdsa-sha2-*, ssh-rsa host keys)"
                    : "");
        goto fail;
    }
    if (check_host_key(c, host, (int)port, pin, kh_text, kh_len, kh_path, err, errlen) < 0)
        goto fail;
    const char *method;
    if (authenticate(c, user, password, pkey, passphrase, &method, err, errlen) < 0) goto fail;
    c->chan[0] = sftp_init(c, &rc, err, errlen);
    if (!c->chan[0]) {
        if (rc != ERR_WAIT)
            af__err(err, errlen, "cannot start the SFTP subsystem on %s: %s", c->where,
                    last_msg(c));
        goto fail;
    }
    c->nchan = 1;
    if (c->log) {
        size_t klen;
        int ktype;
        const char *key = libssh2_session_hostkey(c->s, &klen, &ktype);
        char fp[80] = "";
        if (key) af__kh_fingerprint((const unsigned char *)key, klen, fp, sizeof fp);
        af_kv f[] = {AF_KS("server", c->where),
                     AF_KS("host_key_type", hostkey_name(ktype)),
                     AF_KS("fingerprint", fp),
                     AF_KS("auth", method),
                     {0}};
        c->log(c->log_ud, AF_INFO, "sftp_connected", f);
    }
    af_arena_reset(a);
    *h = c;
    return 0;
fail:
    af__ssh2_close(c);
    return -1;
}

void af__ssh2_close(void *h)
{
    ssh2 *c = h;
    if (!c) return;
    if (c->s) {
        /* a clean goodbye when the session is healthy; a dead socket fails
         * these at once */
        libssh2_session_set_blocking(c->s, 1);
        libssh2_session_set_timeout(c->s, 2000);
        for (int i = c->nchan - 1; i >= 0; i--)
            libssh2_sftp_shutdown(c->chan[i]);
        libssh2_session_disconnect(c->s, "done");
        libssh2_session_free(c->s);
    }
    if (c->sock >= 0) close(c->sock);
    if (c->password) {
        explicit_bzero(c->password, strlen(c->password));
        free(c->password);
    }
    af_arena_free(c->a);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void af__ssh2_set_buffer(void *h, size_t bytes)
{
    ssh2 *c = h;
    c->bufsize = bytes ? bytes : DEFAULT_BUFFER;
}

/* ---- uploads: the worker state machine -------------------------------- */

enum {
    P_IDLE,
    P_OPEN,  /* open the temporary remote file */
    P_WRITE, /* pipelined writes from the window [off, len) of buf */
    P_FSYNC, /* fsync@openssh.com, when asked for and the server has it */
    P_CLOSE,
    P_RENAME, /* temp -> final */
    P_UNLINK, /* final existed (SFTP v3 rename does not replace): remove it */
    P_RENAME2,
    P_ABORT,    /* failure: close the handle */
    P_ABORT_RM, /* failure: remove the temporary file */
    P_DONE,
};

typedef struct worker {
    LIBSSH2_SFTP *sftp;
    size_t req;
    int phase;
    int fd;          /* local source, or -1 with mem */
    const char *mem; /* in-memory source (write primitive) */
    size_t memlen;
    LIBSSH2_SFTP_HANDLE *fh;
    const char *tmp, *final; /* remote paths */
    char *own;               /* the worker's buffer (file sources) */
    const char *buf;         /* own, or mem */
    size_t cap, off, len;    /* unacknowledged data is buf[off, len) */
    int eof;
    int failed;
    char err[1024];
} worker;

enum { ST_BLOCKED = 0, ST_PROGRESS = 1 };

static void w_fail(ssh2 *c, worker *w, int rc, const char *what)
{
    w->failed = 1;
    fail(c, w->sftp, rc, w->err, sizeof w->err, what);
    w->phase = c->broken[0] ? P_DONE : w->fh ? P_ABORT : P_ABORT_RM;
}

/* Advances w by one libssh2 call. ST_BLOCKED when the call would block. */
static int w_step(ssh2 *c, worker *w, const af_xfer_ctl *ctl)
{
    int rc;
    switch (w->phase) {
    case P_OPEN:
        w->fh = libssh2_sftp_open_ex(w->sftp, w->tmp, (unsigned)strlen(w->tmp),
                                     LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
                                     0666, LIBSSH2_SFTP_OPENFILE);
        if (!w->fh) {
            rc = libssh2_session_last_errno(c->s);
            if (rc == LIBSSH2_ERROR_EAGAIN) return ST_BLOCKED;
            w->failed = 1;
            fail(c, w->sftp, rc, w->err, sizeof w->err,
                 af_sprintf(c->a, "cannot create '%s'", w->tmp));
            w->phase = P_DONE;
            return ST_PROGRESS;
        }
        w->phase = P_WRITE;
        return ST_PROGRESS;
    case P_WRITE:
        if (!w->mem && !w->eof && w->len - w->off < w->cap / 2) {
            /* slide the window and refill; memmove cost stays below one
             * copy of the data since at most half the buffer moves */
            if (cancelled(ctl)) {
                w->failed = 1;
                snprintf(w->err, sizeof w->err, "cancelled");
                w->phase = P_ABORT;
                return ST_PROGRESS;
            }
            memmove(w->own, w->own + w->off, w->len - w->off);
            w->len -= w->off;
            w->off = 0;
            ssize_t r;
            do
                r = read(w->fd, w->own + w->len, w->cap - w->len);
            while (r < 0 && errno == EINTR);
            if (r < 0) {
                w->failed = 1;
                snprintf(w->err, sizeof w->err, "cannot read the local file: %s", strerror(errno));
                w->phase = P_ABORT;
                return ST_PROGRESS;
            }
            if (r == 0) w->eof = 1;
            w->len += (size_t)r;
        }
        if (w->off == w->len && (w->eof || w->mem)) {
            w->phase = P_FSYNC;
            return ST_PROGRESS;
        }
        {
            ssize_t n = libssh2_sftp_write(w->fh, w->buf + w->off, w->len - w->off);
            if (n == LIBSSH2_ERROR_EAGAIN) return ST_BLOCKED;
            if (n < 0) {
                w_fail(c, w, (int)n, af_sprintf(c->a, "cannot write '%s'", w->tmp));
                return ST_PROGRESS;
            }
            w->off += (size_t)n;
        }
        return ST_PROGRESS;
    case P_FSYNC:
        if (!c->fsync) {
            w->phase = P_CLOSE;
            return ST_PROGRESS;
        }
        rc = libssh2_sftp_fsync(w->fh);
        if (rc == LIBSSH2_ERROR_EAGAIN) return ST_BLOCKED;
        if (rc < 0 && fx_code(w->sftp, rc) != LIBSSH2_FX_OP_UNSUPPORTED) {
            w_fail(c, w, rc, af_sprintf(c->a, "cannot write '%s'", w->tmp));
            return ST_PROGRESS;
        }
        w->phase = P_CLOSE;
        return ST_PROGRESS;
    case P_CLOSE:
        rc = libssh2_sftp_close_handle(w->fh);
        if (rc == LIBSSH2_ERROR_EAGAIN) return ST_BLOCKED;
        w->fh = NULL;
        if (rc < 0) {
            w_fail(c, w, rc, af_sprintf(c->a, "cannot write '%s'", w->tmp));
            return ST_PROGRESS;
        }
        w->phase = P_RENAME;
        return ST_PROGRESS;
    case P_RENAME:
    case P_RENAME2:
        rc = libssh2_sftp_rename_ex(w->sftp, w->tmp, (unsigned)strlen(w->tmp), w->final,
                                    (unsigned)strlen(w->final),
                                    LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC |
                                        LIBSSH2_SFTP_RENAME_NATIVE);
        if (rc == LIBSSH2_ERROR_EAGAIN) return ST_BLOCKED;
        if (rc == 0) {
            w->phase = P_DONE;
            return ST_PROGRESS;
        }
        if (w->phase == P_RENAME && (fx_code(w->sftp, rc) == LIBSSH2_FX_FAILURE ||
                                     fx_code(w->sftp, rc) == LIBSSH2_FX_FILE_ALREADY_EXISTS)) {
            w->phase = P_UNLINK;
            return ST_PROGRESS;
        }
        w_fail(c, w, rc, af_sprintf(c->a, "cannot rename '%s' to '%s'", w->tmp, w->final));
        return ST_PROGRESS;
    case P_UNLINK:
        rc = libssh2_sftp_unlink_ex(w->sftp, w->final, (unsigned)strlen(w->final));
        if (rc == LIBSSH2_ERROR_EAGAIN) return ST_BLOCKED;
        if (rc < 0 && fx_code(w->sftp, rc) != LIBSSH2_FX_NO_SUCH_FILE) {
            w_fail(c, w, rc, af_sprintf(c->a, "cannot replace '%s'", w->final));
            return ST_PROGRESS;
        }
        w->phase = P_RENAME2;
        return ST_PROGRESS;
    case P_ABORT:
        rc = libssh2_sftp_close_handle(w->fh);
        if (rc == LIBSSH2_ERROR_EAGAIN) return ST_BLOCKED;
        w->fh = NULL;
        w->phase = c->broken[0] ? P_DONE : P_ABORT_RM;
        return ST_PROGRESS;
    case P_ABORT_RM:
        rc = libssh2_sftp_unlink_ex(w->sftp, w->tmp, (unsigned)strlen(w->tmp));
        if (rc == LIBSSH2_ERROR_EAGAIN) return ST_BLOCKED;
        w->phase = P_DONE;
        return ST_PROGRESS;
    default:
        return ST_PROGRESS;
    }
}

static void w_reset(ssh2 *c, worker *w)
{
    if (w->fd >= 0) close(w->fd);
    w->fd = -1;
    w->phase = P_IDLE;
    close_h(c, w->fh); /* still open only when the session broke */
    w->fh = NULL;
    w->off = w->len = 0;
    w->eof = w->failed = 0;
    w->err[0] = 0;
    w->mem = NULL;
    w->buf = w->own;
}

/* Runs n upload requests on the channels in chans (one worker each).
 * Reports each through done. Returns 0 when all succeeded, else -1 with
 * the failure of the lowest index in err. Requires c->mu held. */
static int run_uploads(ssh2 *c, worker *ws, int nw, const af_upload_req *reqs,
                       const char *const *mem, const size_t *memlen, const char *const *prefail,
                       size_t n, int fail_fast, const af_xfer_ctl *ctl, af_upload_done_fn done,
                       void *ud, char *err, size_t errlen)
{
    size_t next = 0, first_fail = (size_t)-1;
    int active = 0, stop = 0;
    char first_err[1024] = "";
#define REPORT(i, e)                                                                               \
    do {                                                                                           \
        const char *e_ = (e);                                                                      \
        if (e_ && (i) < first_fail) {                                                              \
            first_fail = (i);                                                                      \
            snprintf(first_err, sizeof first_err, "%s", e_);                                       \
        }                                                                                          \
        if (e_ && fail_fast) stop = 1;                                                             \
        if (done) done(ud, (i), e_);                                                               \
    } while (0)
    for (;;) {
        /* give idle workers the next requests */
        for (int k = 0; k < nw && !stop && next < n; k++) {
            worker *w = &ws[k];
            if (w->phase != P_IDLE) continue;
            size_t i = next++;
            if (cancelled(ctl)) {
                stop = 1;
                REPORT(i, "cancelled");
                break;
            }
            if (prefail && prefail[i]) {
                REPORT(i, prefail[i]);
                k--; /* this worker is still idle */
                continue;
            }
            w->req = i;
            w->final = reqs[i].remote;
            w->tmp = af__remote_tmp_name(c->a, reqs[i].remote);
            if (mem && mem[i]) {
                w->mem = w->buf = mem[i];
                w->len = memlen[i];
                w->eof = 1;
            } else {
                w->buf = w->own;
                w->fd = open(reqs[i].local, O_RDONLY | O_CLOEXEC);
                if (w->fd < 0) {
                    char e[1024];
                    snprintf(e, sizeof e, "cannot open '%s': %s", reqs[i].local, strerror(errno));
                    w_reset(c, w);
                    REPORT(i, e);
                    k--;
                    continue;
                }
            }
            w->phase = P_OPEN;
            active++;
        }
        if (!active) break;
        int progressed = 0;
        uint64_t rx0 = c->rx;
        for (int k = 0; k < nw; k++) {
            worker *w = &ws[k];
            if (w->phase == P_IDLE) continue;
            int r = c->broken[0] ? ST_BLOCKED : w_step(c, w, ctl);
            /* a packet left half-sent belongs to this call: finish it first */
            while (r == ST_BLOCKED && !c->broken[0] &&
                   (libssh2_session_block_directions(c->s) & LIBSSH2_SESSION_BLOCK_OUTBOUND)) {
                char e[768];
                if (wait_io(c, e, sizeof e) < 0) break;
                r = w_step(c, w, ctl);
            }
            if (r == ST_PROGRESS) progressed = 1;
            if (c->broken[0] && w->phase != P_DONE) {
                if (!w->failed)
                    snprintf(w->err, sizeof w->err, "upload to '%s' failed: %s", w->final,
                             c->broken);
                w->failed = 1;
                w->phase = P_DONE;
            }
            if (w->phase == P_DONE) {
                size_t i = w->req;
                char e[1024];
                snprintf(e, sizeof e, "%s", w->err);
                int failed = w->failed;
                w_reset(c, w);
                active--;
                REPORT(i, failed ? e : NULL);
                progressed = 1;
            }
        }
        if (c->broken[0]) {
            stop = 1;
            continue;
        }
        if (!progressed && c->rx == rx0) {
            char e[768];
            if (wait_io(c, e, sizeof e) < 0) continue; /* broken: workers fail on the next pass */
        }
    }
    for (; next < n; next++)
        REPORT(next, c->broken[0] ? c->broken : cancelled(ctl) ? "cancelled" : "not started");
#undef REPORT
    if (first_fail == (size_t)-1) return 0;
    return af__err(err, errlen, "%s", first_err);
}

/* Opens SFTP channels until there are want (or the server refuses). */
static int channels(ssh2 *c, int want)
{
    if (want > MAX_CHANNELS) want = MAX_CHANNELS;
    while (c->nchan < want && !c->chan_refused) {
        int rc;
        char e[768];
        LIBSSH2_SFTP *s = sftp_init(c, &rc, e, sizeof e);
        if (!s) {
            if (rc == ERR_WAIT) break;
            /* e.g. MaxSessions reached: fewer workers, not a failure */
            c->chan_refused = 1;
            af_kv f[] = {AF_KS("server", c->where),
                         AF_KI("channels", c->nchan),
                         AF_KS("reason", last_msg(c)),
                         {0}};
            if (c->log) c->log(c->log_ud, AF_WARNING, "sftp_channel_refused", f);
            break;
        }
        c->chan[c->nchan++] = s;
    }
    return c->nchan;
}

static int mkdirs_locked(ssh2 *c, const char *dir, char *err, size_t errlen);

static const char *remote_parent(af_arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return "";
    if (slash == path) return "/";
    return af_strndup(a, path, (size_t)(slash - path));
}

static int upload_batch(ssh2 *c, const af_upload_req *reqs, const char *const *mem,
                        const size_t *memlen, size_t n, int workers, int fail_fast,
                        const af_xfer_ctl *ctl, af_upload_done_fn done, void *ud, char *err,
                        size_t errlen)
{
    /* parents first, once per distinct directory, on the main channel */
    const char **prefail = af_alloc(c->a, (n + 1) * sizeof *prefail);
    const char *last_dir = NULL, *last_err = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *d = remote_parent(c->a, reqs[i].remote);
        if (last_dir && !strcmp(d, last_dir)) {
            prefail[i] = last_err;
            continue;
        }
        char e[1024];
        last_dir = d;
        last_err = mkdirs_locked(c, d, e, sizeof e) < 0 ? af_strdup(c->a, e) : NULL;
        prefail[i] = last_err;
        if (c->broken[0]) break;
    }
    if (c->broken[0]) {
        for (size_t i = 0; i < n; i++)
            if (done) done(ud, i, c->broken);
        return af__err(err, errlen, "%s", c->broken);
    }
    if (workers > (int)n) workers = (int)n;
    if (workers < 1) workers = 1;
    int nw = channels(c, workers);
    if (nw > workers) nw = workers;
    worker *ws = af_alloc(c->a, (size_t)nw * sizeof *ws);
    size_t cap = nw == 1 ? c->bufsize : c->bufsize / (size_t)nw;
    if (cap < MIN_WORKER_BUFFER) cap = MIN_WORKER_BUFFER;
    int rc = 0;
    for (int k = 0; k < nw; k++) {
        ws[k].sftp = c->chan[k];
        ws[k].fd = -1;
        ws[k].phase = P_IDLE;
        ws[k].cap = cap;
        /* memory sources (the write primitive) need no buffer of their own */
        ws[k].own = mem ? NULL : malloc(cap);
        ws[k].buf = ws[k].own;
        if (!mem && !ws[k].own) rc = af__err(err, errlen, "out of memory");
    }
    if (rc == 0)
        rc = run_uploads(c, ws, nw, reqs, mem, memlen, prefail, n, fail_fast, ctl, done, ud, err,
                         errlen);
    for (int k = 0; k < nw; k++) {
        if (ws[k].fd >= 0) close(ws[k].fd);
        close_h(c, ws[k].fh); /* left open only when the session broke */
        free(ws[k].own);
    }
    return rc;
}

/* ---- primitives ------------------------------------------------------- */

static int s_list(void *h, af_arena *a, const char *dir, af_remote_entry **out, size_t *n,
                  char *err, size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) return -1;
    LIBSSH2_SFTP *sftp = c->chan[0];
    int rc;
    const char *what = af_sprintf(c->a, "cannot list '%s'", dir);
    LIBSSH2_SFTP_HANDLE *dh = open_h(c, sftp, dir, 0, 0, LIBSSH2_SFTP_OPENDIR, &rc, err, errlen);
    if (!dh) return leave(c, fail(c, sftp, rc, err, errlen, what));
    size_t cap = 32, k = 0;
    af_remote_entry *e = af_alloc(a, cap * sizeof *e);
    char name[4096];
    for (;;) {
        LIBSSH2_SFTP_ATTRIBUTES at;
        CALL(c, rc, libssh2_sftp_readdir_ex(dh, name, sizeof name, NULL, 0, &at), err, errlen);
        if (rc == 0) break;
        if (rc < 0) {
            fail(c, sftp, rc, err, errlen, what);
            close_h(c, dh);
            return leave(c, -1);
        }
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        if (k == cap) {
            af_remote_entry *ne = af_alloc(a, 2 * cap * sizeof *ne);
            memcpy(ne, e, k * sizeof *e);
            e = ne;
            cap *= 2;
        }
        e[k].name = af_strndup(a, name, (size_t)rc);
        e[k].path = af__sftp_join(a, dir, e[k].name);
        e[k].is_dir = is_dir_attr(&at);
        e[k].size = e[k].is_dir || !(at.flags & LIBSSH2_SFTP_ATTR_SIZE) ? -1 : (int64_t)at.filesize;
        /* the reference: `int(st_mtime) if st_mtime else None` */
        e[k].mtime = (at.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) && at.mtime ? (int64_t)at.mtime : -1;
        k++;
    }
    close_h(c, dh);
    *out = e;
    *n = k;
    return leave(c, 0);
}

static int s_read(void *h, const char *path, af_buf *out, char *err, size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) return -1;
    LIBSSH2_SFTP *sftp = c->chan[0];
    int rc;
    const char *what = af_sprintf(c->a, "cannot read '%s'", path);
    LIBSSH2_SFTP_HANDLE *fh =
        open_h(c, sftp, path, LIBSSH2_FXF_READ, 0, LIBSSH2_SFTP_OPENFILE, &rc, err, errlen);
    if (!fh) return leave(c, fail(c, sftp, rc, err, errlen, what));
    char *buf = malloc(1 << 20);
    ssize_t r = buf ? 0 : -1;
    while (buf) {
        CALL(c, r, libssh2_sftp_read(fh, buf, 1 << 20), err, errlen);
        if (r <= 0) break;
        af_buf_put(out, buf, (size_t)r);
    }
    free(buf);
    if (r < 0) fail(c, sftp, (int)r, err, errlen, what);
    close_h(c, fh);
    return leave(c, r < 0 ? -1 : 0);
}

static int s_upload(void *h, const char *local, const char *remote, const af_xfer_ctl *ctl,
                    char *err, size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) return -1;
    af_upload_req r = {local, remote};
    return leave(c, upload_batch(c, &r, NULL, NULL, 1, 1, 1, ctl, NULL, NULL, err, errlen));
}

static int s_write(void *h, const char *path, const void *data, size_t len, char *err,
                   size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) return -1;
    af_upload_req r = {"(memory)", path};
    const char *mem[1] = {len ? data : ""};
    return leave(c, upload_batch(c, &r, mem, &len, 1, 1, 1, NULL, NULL, NULL, err, errlen));
}

static int s_upload_many(void *h, const af_upload_req *reqs, size_t n, int workers, int fail_fast,
                         const af_xfer_ctl *ctl, af_upload_done_fn done, void *ud, char *err,
                         size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) {
        for (size_t i = 0; i < n; i++)
            if (done) done(ud, i, err);
        return -1;
    }
    return leave(
        c, upload_batch(c, reqs, NULL, NULL, n, workers, fail_fast, ctl, done, ud, err, errlen));
}

static int s_download(void *h, const char *remote, const char *local, const af_xfer_ctl *ctl,
                      char *err, size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) return -1;
    LIBSSH2_SFTP *sftp = c->chan[0];
    int rc;
    const char *what = af_sprintf(c->a, "cannot read '%s'", remote);
    LIBSSH2_SFTP_HANDLE *fh =
        open_h(c, sftp, remote, LIBSSH2_FXF_READ, 0, LIBSSH2_SFTP_OPENFILE, &rc, err, errlen);
    if (!fh) return leave(c, fail(c, sftp, rc, err, errlen, what));
    af__tmpfile t;
    if (af__tmp_open(&t, local, err, errlen) < 0) {
        close_h(c, fh);
        return leave(c, -1);
    }
    size_t cap = c->bufsize;
    char *buf = malloc(cap);
    ssize_t r = 0;
    if (!buf) r = -1, af__err(err, errlen, "out of memory");
    while (buf) {
        if (cancelled(ctl)) {
            r = -1;
            af__err(err, errlen, "cancelled");
            break;
        }
        CALL(c, r, libssh2_sftp_read(fh, buf, cap), err, errlen);
        if (r == 0) break;
        if (r < 0) {
            fail(c, sftp, (int)r, err, errlen, what);
            break;
        }
        if (af__write_all(t.fd, buf, (size_t)r) < 0) {
            af__err(err, errlen, "cannot write '%s': %s", local, strerror(errno));
            r = -1;
            break;
        }
    }
    free(buf);
    close_h(c, fh);
    if (r < 0) {
        af__tmp_abort(&t);
        return leave(c, -1);
    }
    return leave(c, af__tmp_commit(&t, err, errlen));
}

static int delete_locked(ssh2 *c, const char *path, char *err, size_t errlen)
{
    LIBSSH2_SFTP *sftp = c->chan[0];
    int rc, rc2;
    const char *what = af_sprintf(c->a, "cannot delete '%s'", path);
    CALL(c, rc, libssh2_sftp_unlink_ex(sftp, path, (unsigned)strlen(path)), err, errlen);
    if (rc == 0) return 0;
    if (rc != LIBSSH2_ERROR_SFTP_PROTOCOL) return fail(c, sftp, rc, err, errlen, what);
    unsigned long code = libssh2_sftp_last_error(sftp);
    if (code == LIBSSH2_FX_NO_SUCH_FILE || code == LIBSSH2_FX_NO_SUCH_PATH)
        return fail(c, sftp, rc, err, errlen, what);
    /* maybe a directory (the reference's remove-then-rmdir) */
    CALL(c, rc2, libssh2_sftp_rmdir_ex(sftp, path, (unsigned)strlen(path)), err, errlen);
    if (rc2 == 0) return 0;
    if (rc2 != LIBSSH2_ERROR_SFTP_PROTOCOL) return fail(c, sftp, rc2, err, errlen, what);
    unsigned long code2 = libssh2_sftp_last_error(sftp);
    LIBSSH2_SFTP_ATTRIBUTES at;
    char e2[256];
    if (stat_p(c, sftp, path, LIBSSH2_SFTP_LSTAT, &at, e2, sizeof e2) == 1 && is_dir_attr(&at))
        return af__err(err, errlen, "%s: %s", what,
                       code2 == LIBSSH2_FX_FAILURE ? "directory not empty or not removable"
                                                   : fx_text(code2));
    return af__err(err, errlen, "%s: %s (SFTP status %lu)", what, fx_text(code), code);
}

static int s_delete(void *h, const char *path, char *err, size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) return -1;
    return leave(c, delete_locked(c, path, err, errlen));
}

static int s_mkdir(void *h, const char *dir, char *err, size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) return -1;
    int rc;
    CALL(c, rc, libssh2_sftp_mkdir_ex(c->chan[0], dir, (unsigned)strlen(dir), 0777), err, errlen);
    if (rc)
        fail(c, c->chan[0], rc, err, errlen, af_sprintf(c->a, "cannot create directory '%s'", dir));
    return leave(c, rc ? -1 : 0);
}

static int mkdirs_locked(ssh2 *c, const char *dir, char *err, size_t errlen)
{
    LIBSSH2_SFTP *sftp = c->chan[0];
    LIBSSH2_SFTP_ATTRIBUTES at;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    char *d = af_strndup(c->a, dir, n);
    if (!*d || !strcmp(d, "/") || !strcmp(d, ".")) return 0;
    /* the common case, an existing directory, costs one round trip */
    int st = stat_p(c, sftp, d, LIBSSH2_SFTP_STAT, &at, err, errlen);
    if (st < 0) return -1;
    if (st == 1) {
        if (is_dir_attr(&at)) return 0;
        return af__err(err, errlen, "cannot create directory '%s': a file is in the way", d);
    }
    for (char *p = d + 1;; p++) {
        if (*p && *p != '/') continue;
        char save = *p;
        *p = 0;
        st = stat_p(c, sftp, d, LIBSSH2_SFTP_STAT, &at, err, errlen);
        if (st < 0) return -1;
        if (st == 1 && !is_dir_attr(&at))
            return af__err(err, errlen, "cannot create directory '%s': '%s' is not a directory",
                           dir, d);
        if (st == 0) {
            int rc;
            CALL(c, rc, libssh2_sftp_mkdir_ex(sftp, d, (unsigned)strlen(d), 0777), err, errlen);
            if (rc && rc != LIBSSH2_ERROR_SFTP_PROTOCOL)
                return fail(c, sftp, rc, err, errlen,
                            af_sprintf(c->a, "cannot create directory '%s'", d));
            if (rc) {
                unsigned long code = libssh2_sftp_last_error(sftp);
                char e2[256];
                /* created meanwhile by someone else is fine */
                if (stat_p(c, sftp, d, LIBSSH2_SFTP_STAT, &at, e2, sizeof e2) != 1 ||
                    !is_dir_attr(&at))
                    return af__err(err, errlen,
                                   "cannot create directory '%s': %s (SFTP status %lu)", d,
                                   fx_text(code), code);
            }
        }
        *p = save;
        if (!save) break;
    }
    return 0;
}

static int s_mkdir_recursive(void *h, const char *dir, char *err, size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) return -1;
    return leave(c, mkdirs_locked(c, dir, err, errlen));
}

static int rm_tree(ssh2 *c, const char *path, int depth, char *err, size_t errlen, int *failed)
{
    LIBSSH2_SFTP *sftp = c->chan[0];
    LIBSSH2_SFTP_ATTRIBUTES at;
    char e[1024];
    int st = stat_p(c, sftp, path, LIBSSH2_SFTP_LSTAT, &at, e, sizeof e);
    if (st == 0) return 0;
    if (st < 0 || depth > 256) {
        if (!(*failed)++) af__err(err, errlen, "%s", st < 0 ? e : "too deep");
        return c->broken[0] ? -1 : 0;
    }
    if (!is_dir_attr(&at)) {
        if (delete_locked(c, path, e, sizeof e) < 0 && !(*failed)++) af__err(err, errlen, "%s", e);
        return c->broken[0] ? -1 : 0;
    }
    int rc;
    LIBSSH2_SFTP_HANDLE *dh = open_h(c, sftp, path, 0, 0, LIBSSH2_SFTP_OPENDIR, &rc, e, sizeof e);
    if (!dh) {
        fail(c, sftp, rc, e, sizeof e, af_sprintf(c->a, "cannot list '%s'", path));
        if (!(*failed)++) af__err(err, errlen, "%s", e);
        return c->broken[0] ? -1 : 0;
    }
    /* names first, then recursion: one open directory handle at a time */
    af_buf names = {0};
    char name[4096];
    for (;;) {
        CALL(c, rc, libssh2_sftp_readdir_ex(dh, name, sizeof name, NULL, 0, &at), e, sizeof e);
        if (rc <= 0) break;
        if (strcmp(name, ".") && strcmp(name, "..")) af_buf_put(&names, name, (size_t)rc + 1);
    }
    if (rc < 0) {
        fail(c, sftp, rc, e, sizeof e, af_sprintf(c->a, "cannot list '%s'", path));
        if (!(*failed)++) af__err(err, errlen, "%s", e);
    }
    close_h(c, dh);
    for (size_t o = 0; o < names.len && !c->broken[0]; o += strlen(names.data + o) + 1) {
        char *child = malloc(strlen(path) + strlen(names.data + o) + 2);
        sprintf(child, "%s/%s", strcmp(path, "/") ? path : "", names.data + o);
        rm_tree(c, child, depth + 1, err, errlen, failed);
        free(child);
    }
    af_buf_free(&names);
    if (c->broken[0]) return -1;
    CALL(c, rc, libssh2_sftp_rmdir_ex(sftp, path, (unsigned)strlen(path)), e, sizeof e);
    if (rc) {
        fail(c, sftp, rc, e, sizeof e, af_sprintf(c->a, "cannot delete '%s'", path));
        if (!(*failed)++) af__err(err, errlen, "%s", e);
    }
    return 0;
}

static int s_delete_recursive(void *h, const char *path, char *err, size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) return -1;
    int failed = 0;
    rm_tree(c, path, 0, err, errlen, &failed);
    return leave(c, failed ? -1 : 0);
}

static int s_rename(void *h, const char *from, const char *to, char *err, size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) return -1;
    LIBSSH2_SFTP *sftp = c->chan[0];
    const char *what = af_sprintf(c->a, "cannot rename '%s' to '%s'", from, to);
    unsigned fl =
        LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE;
    int rc;
    CALL(c, rc,
         libssh2_sftp_rename_ex(sftp, from, (unsigned)strlen(from), to, (unsigned)strlen(to), fl),
         err, errlen);
    if (rc == 0) return leave(c, 0);
    unsigned long code = fx_code(sftp, rc);
    LIBSSH2_SFTP_ATTRIBUTES at;
    char e[256];
    /* SFTP v3 servers do not replace: remove a file in the way and retry */
    if ((code == LIBSSH2_FX_FAILURE || code == LIBSSH2_FX_FILE_ALREADY_EXISTS) &&
        stat_p(c, sftp, to, LIBSSH2_SFTP_LSTAT, &at, e, sizeof e) == 1 && !is_dir_attr(&at)) {
        CALL(c, rc, libssh2_sftp_unlink_ex(sftp, to, (unsigned)strlen(to)), err, errlen);
        if (rc == 0)
            CALL(c, rc,
                 libssh2_sftp_rename_ex(sftp, from, (unsigned)strlen(from), to,
                                        (unsigned)strlen(to), fl),
                 err, errlen);
        if (rc == 0) return leave(c, 0);
    }
    return leave(c, fail(c, sftp, rc, err, errlen, what));
}

static int s_stat(void *h, const char *path, af_remote_stat *st, char *err, size_t errlen)
{
    ssh2 *c = h;
    if (enter(c, err, errlen) < 0) return -1;
    LIBSSH2_SFTP_ATTRIBUTES at;
    int r = stat_p(c, c->chan[0], path, LIBSSH2_SFTP_STAT, &at, err, errlen);
    if (r == 1) {
        st->is_dir = is_dir_attr(&at);
        st->size = (at.flags & LIBSSH2_SFTP_ATTR_SIZE) ? (int64_t)at.filesize : -1;
        st->mtime = (at.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) ? (int64_t)at.mtime : -1;
    }
    return leave(c, r);
}

const af_remote_ops af__ssh2_ops = {
    .list = s_list,
    .read = s_read,
    .write = s_write,
    .upload = s_upload,
    .download = s_download,
    .delete = s_delete,
    .mkdir = s_mkdir,
    .mkdir_recursive = s_mkdir_recursive,
    .delete_recursive = s_delete_recursive,
    .rename = s_rename,
    .stat = s_stat,
    .upload_many = s_upload_many,
};

/* ---- the driver descriptor -------------------------------------------- */

static void conn_log(void *ud, af_level lvl, const char *event, const af_kv *fields)
{
    af_conn_log(ud, lvl, event, fields);
}

static int d_open(af_conn *conn, char *err, size_t errlen)
{
    void *h;
    if (af__ssh2_open(af_conn_config(conn), af_conn_options(conn), conn_log, conn, &h, err,
                      errlen) < 0)
        return -1;
    af_conn_set_impl(conn, h);
    return 0;
}

static void d_close(af_conn *conn)
{
    af__ssh2_close(af_conn_impl(conn));
    af_conn_set_impl(conn, NULL);
}

static const af_input config_schema[] = {
    {"host", AF_TY_STR, 1, NULL, NULL, "server name or address"},
    {"port", AF_TY_INT, 0, "22", NULL, "TCP port"},
    {"user", AF_TY_STR, 1, NULL, NULL, "login name"},
    {"password", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "password (or keyboard-interactive)"},
    {"pkey_path", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL,
     "private key file: RSA, ECDSA or ed25519, PEM or OpenSSH format"},
    {"passphrase", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "passphrase of pkey_path"},
    {"pkey_passphrase", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "same as passphrase"},
    {"known_hosts", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL,
     "OpenSSH known_hosts file the host key must be in"},
    {"host_key_sha256", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL,
     "pinned host key fingerprint, SHA256:<base64> or hex"},
    {"timeout", AF_TY_NUMBER | AF_TY_NULL, 0, "30", NULL,
     "seconds without an answer before an operation fails"},
    {"fsync", AF_TY_BOOL | AF_TY_NULL, 0, "false", NULL, "same as options.fsync"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_input options_schema[] = {
    {"timeout", AF_TY_NUMBER | AF_TY_NULL, 0, "30", NULL,
     "seconds without an answer before an operation fails (wins over config.timeout)"},
    {"fsync", AF_TY_BOOL | AF_TY_NULL, 0, "false", NULL,
     "have the server fsync each uploaded file before it is renamed into place"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

const af_driver af_driver_sftp_libssh2 = {
    .abi = AF_ABI_VERSION,
    .kind = "sftp",
    .name = "libssh2",
    .aliases = "paramiko sftp-moveit",
    .summary = "SFTP over one SSH session (libssh2): password or key, verified host keys",
    .config = config_schema,
    .options = options_schema,
    .open = d_open,
    .close = d_close,
    .ops = &af__ssh2_ops,
    .libs = "-lssh2 -lcrypto",
};
