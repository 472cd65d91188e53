/*
 * rest_curl.c - the `rest` kind's `curl` driver (alias `httpx`, the
 * reference's name): HTTP requests with libcurl.
 *
 * Config: base_url (trailing '/' dropped), headers (sent with every
 * request), bearer_token (Authorization: Bearer, unless a request or the
 * config already sets Authorization). Options: timeout (seconds per
 * connect or read, 30; alias timeouts.total), verify_ssl (true), ca_file,
 * retry.max_attempts (retries after the first try, 0; alias retries) as
 * the reference counts them.
 *
 * One libcurl handle per connector, so connections are kept alive and
 * reused across the steps of a run. Request bodies from files and
 * response bodies are streamed; nothing is held whole in memory.
 */
#include "af_rest.h"
#include "cfg.h"
#include "mime.h"

#include <errno.h>
#include <ctype.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct rest {
    CURL *curl;
    const char *base_url;    /* "" when none */
    const af_value *headers; /* config.headers map, or NULL */
    const char *bearer;      /* NULL when none */
    double timeout;
    int verify;
    const char *ca_file;
    int64_t retries;
    char errbuf[CURL_ERROR_SIZE];
} rest;

static const af_input rest_config[] = {
    {"base_url", AF_TY_STR, 0, NULL, NULL, "URL that request paths are joined to"},
    {"headers", AF_TY_MAP, 0, NULL, NULL, "headers sent with every request"},
    {"bearer_token", AF_TY_STR, 0, NULL, NULL, "sends Authorization: Bearer <token>"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_input rest_options[] = {
    {"timeout", AF_TY_NUMBER, 0, "30", NULL, "seconds per connect or read"},
    {"timeouts", AF_TY_MAP, 0, NULL, NULL, "total: alias of timeout"},
    {"verify_ssl", AF_TY_BOOL, 0, "true", NULL, "verify the server's certificate"},
    {"ca_file", AF_TY_STR, 0, NULL, NULL, "PEM bundle of trusted CAs"},
    {"retry", AF_TY_MAP, 0, NULL, NULL, "max_attempts: retries of a transport failure (0)"},
    {"retries", AF_TY_INT, 0, NULL, NULL, "alias of retry.max_attempts"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static int rest_open(af_conn *c, char *err, size_t errlen)
{
    af_arena *a = af_conn_arena(c);
    const af_value *cfg = af_conn_config(c), *opt = af_conn_options(c);
    rest *r = af_alloc(a, sizeof *r);
    const char *base;
    double total;
    int64_t retries_alias;
    if (cfg_str(a, cfg, "config", "base_url", "", &base, err, errlen) < 0 ||
        cfg_str(a, cfg, "config", "bearer_token", NULL, &r->bearer, err, errlen) < 0 ||
        cfg_double(opt, "options", "timeouts.total", 30, &total, err, errlen) < 0 ||
        cfg_double(opt, "options", "timeout", total, &r->timeout, err, errlen) < 0 ||
        cfg_bool(opt, "options", "verify_ssl", 1, &r->verify, err, errlen) < 0 ||
        cfg_str(a, opt, "options", "ca_file", NULL, &r->ca_file, err, errlen) < 0 ||
        cfg_int(opt, "options", "retries", 0, &retries_alias, err, errlen) < 0 ||
        cfg_int(opt, "options", "retry.max_attempts", retries_alias, &r->retries, err, errlen) < 0)
        return -1;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    r->base_url = af_strndup(a, base, bl);
    const af_value *h = cfg_get(cfg, "headers");
    if (h && h->type != AF_MAP) {
        snprintf(err, errlen, "config.headers: expected a mapping");
        return -1;
    }
    r->headers = h;
    if (r->bearer && !*r->bearer) r->bearer = NULL;
    if (!(r->timeout > 0) || r->timeout > 86400)
        r->timeout = 30; /* the reference reads 0 and empty as the default */
    if (r->retries < 0) r->retries = 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return -1;
    }
    af_conn_set_impl(c, r);
    return 0;
}

static void rest_close(af_conn *c)
{
    rest *r = af_conn_impl(c);
    if (!r) return;
    if (r->curl) curl_easy_cleanup(r->curl);
    r->curl = NULL;
    curl_global_cleanup();
}

/* ---- request building --------------------------------------------------- */

/* scheme://host[:port]/path without userinfo, query or fragment. */
static const char *safe_url(af_arena *a, const char *url)
{
    const char *p = strstr(url, "://");
    if (!p) return af_strndup(a, url, strcspn(url, "?#"));
    p += 3;
    size_t auth = strcspn(p, "/?#");
    const char *at = memchr(p, '@', auth);
    const char *host = at ? at + 1 : p;
    size_t rest = strcspn(p + auth, "?#");
    return af_sprintf(a, "%.*s%.*s%.*s", (int)(p - url), url, (int)(p + auth - host), host,
                      (int)rest, p + auth);
}

/* Python-ish text of a scalar for query strings and headers (booleans as
 * httpx writes them: true/false). NULL for lists and maps. */
static const char *scalar_text(af_arena *a, const af_value *v)
{
    switch (v->type) {
    case AF_NULL:
        return "";
    case AF_BOOL:
        return v->u.b ? "true" : "false";
    case AF_STR:
        return v->u.s.ptr;
    case AF_INT:
    case AF_DOUBLE: {
        af_buf b = {0};
        af_py_str(&b, v);
        const char *s = af_strdup(a, af_buf_cstr(&b));
        af_buf_free(&b);
        return s;
    }
    default:
        return NULL;
    }
}

/* Appends k=v pairs of map m to b, URL-encoded, '&' between them. */
static int put_urlencoded(CURL *h, af_arena *a, af_buf *b, const af_value *m, const char *what,
                          char *err, size_t errlen)
{
    for (size_t i = 0; i < m->u.map.n; i++) {
        const af_value *v = m->u.map.pairs[i].val;
        size_t nv = v->type == AF_LIST ? v->u.list.n : 1;
        for (size_t k = 0; k < nv; k++) {
            const af_value *e = v->type == AF_LIST ? v->u.list.items[k] : v;
            const char *t = scalar_text(a, e);
            if (!t) {
                snprintf(err, errlen, "%s.%s: values must be scalars or lists of scalars", what,
                         m->u.map.pairs[i].key);
                return -1;
            }
            char *ek = curl_easy_escape(h, m->u.map.pairs[i].key, 0);
            char *ev = curl_easy_escape(h, t, (int)strlen(t));
            if (!ek || !ev) {
                curl_free(ek);
                curl_free(ev);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            if (b->len) af_buf_putc(b, '&');
            af_buf_printf(b, "%s=%s", ek, ev);
            curl_free(ek);
            curl_free(ev);
        }
    }
    return 0;
}

static int has_header(const af_value *m, const char *name)
{
    if (!m || m->type != AF_MAP) return 0;
    for (size_t i = 0; i < m->u.map.n; i++)
        if (strcasecmp(m->u.map.pairs[i].key, name) == 0) return 1;
    return 0;
}

static int add_header(struct curl_slist **l, af_arena *a, const char *name, const char *value,
                      char *err, size_t errlen)
{
    if (!*name || strpbrk(name, "\r\n: \t") || strpbrk(value, "\r\n")) {
        snprintf(err, errlen, "header '%s': bad name, or a line break in its value", name);
        return -1;
    }
    /* "Name;" is libcurl's way to send a header with an empty value */
    const char *line = *value ? af_sprintf(a, "%s: %s", name, value) : af_sprintf(a, "%s;", name);
    struct curl_slist *n = curl_slist_append(*l, line);
    if (!n) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *l = n;
    return 0;
}

static int add_header_map(struct curl_slist **l, af_arena *a, const af_value *m,
                          const af_value *over, const char *what, char *err, size_t errlen)
{
    for (size_t i = 0; m && i < m->u.map.n; i++) {
        const char *k = m->u.map.pairs[i].key;
        if (has_header(over, k)) continue;
        const char *v = scalar_text(a, m->u.map.pairs[i].val);
        if (!v) {
            snprintf(err, errlen, "%s.%s: header values must be scalars", what, k);
            return -1;
        }
        if (add_header(l, a, k, v, err, errlen) < 0) return -1;
    }
    return 0;
}

/* ---- transfer callbacks ------------------------------------------------- */

typedef struct xfer {
    const af_rest_request *rq;
    af_arena *a;
    af_value *headers; /* of the latest response block */
    int64_t bytes;
    int sink_failed;
    int fd; /* body_file, or -1 */
} xfer;

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        x->headers = af_map(x->a); /* a new response (redirect, 100 Continue): start over */
        return len;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon || !x->headers) return len;
    size_t kl = (size_t)(colon - p);
    char *key = af_strndup(x->a, p, kl);
    for (char *q = key; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    const char *v = colon + 1, *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    af_value *old = af_map_get(x->headers, key);
    if (old && old->type == AF_STR)
        af_map_set(x->a, x->headers, key,
                   af_str(x->a, af_sprintf(x->a, "%s, %.*s", old->u.s.ptr, (int)(end - v), v)));
    else
        af_map_set(x->a, x->headers, key, af_strn(x->a, v, (size_t)(end - v)));
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    if (x->rq->sink && x->rq->sink(x->rq->sink_ud, p, len) < 0) {
        x->sink_failed = 1;
        return 0; /* CURLE_WRITE_ERROR */
    }
    x->bytes += (int64_t)len;
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    ssize_t got = read(x->fd, buf, size * n);
    return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

static int on_seek(void *ud, curl_off_t off, int origin)
{
    xfer *x = ud;
    return lseek(x->fd, (off_t)off, origin) < 0 ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK;
}

/* ---- the request -------------------------------------------------------- */

static void describe(rest *r, CURLcode rc, double timeout, char *out, size_t outlen)
{
    const char *detail = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(out, outlen, "no response within %gs (%s)", timeout, detail);
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        snprintf(out, outlen,
                 "TLS certificate not trusted: %s (set options.ca_file, or options.verify_ssl: "
                 "false)",
                 detail);
        break;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        snprintf(out, outlen, "connection lost before the response was complete: %s", detail);
        break;
    default:
        snprintf(out, outlen, "%s", detail);
        break;
    }
    cfg_redact(out, r->bearer);
}

static int rest_request(af_conn *c, af_arena *a, const af_rest_request *rq, af_rest_response *rs,
                        char *err, size_t errlen)
{
    rest *r = af_conn_impl(c);
    const char *url = rq->url ? rq->url : "";
    memset(rs, 0, sizeof *rs);
    char *method = af_strdup(a, rq->method && *rq->method ? rq->method : "GET");
    for (char *p = method; *p; p++) {
        if (!isalpha((unsigned char)*p) && *p != '-' && *p != '_') {
            snprintf(err, errlen, "bad HTTP method '%s'", rq->method);
            return -1;
        }
        *p = (char)toupper((unsigned char)*p);
    }
    if (!strstr(url, "://")) {
        if (!*r->base_url) {
            snprintf(err, errlen, "'%s' is not an absolute URL and the resource has no base_url",
                     url);
            return -1;
        }
        while (*url == '/')
            url++;
        url = af_sprintf(a, "%s/%s", r->base_url, url);
    }
    if (strpbrk(url, " \r\n\t")) {
        snprintf(err, errlen, "bad URL '%s': spaces and line breaks must be encoded",
                 safe_url(a, url));
        return -1;
    }
    rs->url = safe_url(a, url);
    if (!r->curl && !(r->curl = curl_easy_init())) {
        snprintf(err, errlen, "cannot create a libcurl handle");
        return -1;
    }
    CURL *h = r->curl;
    int nbody = (rq->body != NULL) + (rq->body_file != NULL) +
                (rq->form != NULL || rq->upload_file != NULL);
    if (nbody > 1) {
        snprintf(err, errlen, "give one request body: raw bytes, a file, or form fields");
        return -1;
    }
    if (rq->form && rq->form->type != AF_MAP) {
        snprintf(err, errlen, "form fields must be a mapping");
        return -1;
    }

    /* a POST, PUT or PATCH without a body still says Content-Length: 0 */
    const char *body = rq->body;
    size_t body_len = rq->body_len;
    if (nbody == 0 &&
        (!strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH"))) {
        body = "";
        body_len = 0;
    }
    af_buf full = {0}, form = {0};
    struct curl_slist *hdrs = NULL, *ne;
    curl_mime *mime = NULL;
    xfer x = {.rq = rq, .a = a, .fd = -1};
    off_t fsize = 0;
    int rc = -1;
    af_buf_puts(&full, url);
    if (rq->params && rq->params->type == AF_MAP && rq->params->u.map.n) {
        af_buf q = {0};
        if (put_urlencoded(h, a, &q, rq->params, "params", err, errlen) < 0) {
            af_buf_free(&q);
            goto done;
        }
        char last = full.data[full.len - 1];
        af_buf_puts(&full, strchr(url, '?') ? (last == '?' || last == '&' ? "" : "&") : "?");
        af_buf_put(&full, q.data, q.len);
        af_buf_free(&q);
    }

    /* headers: config's unless the request names them, then the request's */
    if (add_header_map(&hdrs, a, r->headers, rq->headers, "config.headers", err, errlen) < 0 ||
        add_header_map(&hdrs, a, rq->headers, NULL, "headers", err, errlen) < 0)
        goto done;
    if (r->bearer && !has_header(rq->headers, "Authorization") &&
        !has_header(r->headers, "Authorization") &&
        add_header(&hdrs, a, "Authorization", af_sprintf(a, "Bearer %s", r->bearer), err, errlen) <
            0)
        goto done;
    int own_ct = has_header(rq->headers, "Content-Type") || has_header(r->headers, "Content-Type");
    if ((body || rq->body_file) && !own_ct && rq->content_type &&
        add_header(&hdrs, a, "Content-Type", rq->content_type, err, errlen) < 0)
        goto done;
    if (!has_header(rq->headers, "User-Agent") && !has_header(r->headers, "User-Agent") &&
        add_header(&hdrs, a, "User-Agent", "afc", err, errlen) < 0)
        goto done;
    /* no 100-continue round trip: servers that ignore it would stall us */
    ne = curl_slist_append(hdrs, "Expect:");
    if (!ne) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    hdrs = ne;
    if ((body || rq->body_file) && !own_ct && !rq->content_type) {
        /* no Content-Type at all for raw bytes, as httpx sends them */
        ne = curl_slist_append(hdrs, "Content-Type:");
        if (ne) hdrs = ne;
    }

    if (rq->body_file) {
        struct stat st;
        x.fd = open(rq->body_file, O_RDONLY | O_CLOEXEC);
        if (x.fd < 0 || fstat(x.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "cannot read '%s': %s", rq->body_file,
                     x.fd < 0 ? strerror(errno) : "not a regular file");
            goto done;
        }
        fsize = st.st_size;
    }
    if (rq->upload_file) {
        if (access(rq->upload_file, R_OK) < 0) {
            snprintf(err, errlen, "cannot read '%s': %s", rq->upload_file, strerror(errno));
            goto done;
        }
        mime = curl_mime_init(h);
        for (size_t i = 0; rq->form && i < rq->form->u.map.n; i++) {
            const char *v = scalar_text(a, rq->form->u.map.pairs[i].val);
            if (!v) {
                snprintf(err, errlen, "form.%s: values must be scalars",
                         rq->form->u.map.pairs[i].key);
                goto done;
            }
            curl_mimepart *part = curl_mime_addpart(mime);
            curl_mime_name(part, rq->form->u.map.pairs[i].key);
            curl_mime_data(part, v, CURL_ZERO_TERMINATED);
        }
        const char *fname = rq->upload_name;
        if (!fname || !*fname) {
            const char *sl = strrchr(rq->upload_file, '/');
            fname = sl ? sl + 1 : rq->upload_file;
        }
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, rq->upload_field && *rq->upload_field ? rq->upload_field : "file");
        if (curl_mime_filedata(part, rq->upload_file) != CURLE_OK) {
            snprintf(err, errlen, "cannot read '%s'", rq->upload_file);
            goto done;
        }
        curl_mime_filename(part, fname);
        curl_mime_type(part, af__mime_type(fname));
    } else if (rq->form) {
        if (put_urlencoded(h, a, &form, rq->form, "form", err, errlen) < 0) goto done;
    }

    /* the method libcurl picks by itself for this kind of body */
    const char *natural = rq->body_file ? "PUT" : (body || mime || rq->form) ? "POST" : "GET";
    int64_t attempts = 1 + r->retries;
    double timeout = rq->timeout > 0 ? rq->timeout : r->timeout;
    long secs = (long)timeout + (timeout > (double)(long)timeout);
    char last[768] = "";
    CURLcode cc = CURLE_OK;
    int64_t attempt;
    for (attempt = 1; attempt <= attempts; attempt++) {
        curl_easy_reset(h); /* keeps live connections */
        r->errbuf[0] = '\0';
        x.headers = af_map(a);
        x.bytes = 0;
        x.sink_failed = 0;
        if (x.fd >= 0) lseek(x.fd, 0, SEEK_SET);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_URL, full.data);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, (long)r->verify);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, r->verify ? 2L : 0L);
        if (r->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, r->ca_file);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout * 1000));
        /* a read that stalls for `timeout` fails, as httpx's read timeout does */
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, secs > 0 ? secs : 1L);
        if (rq->follow_redirects) {
            curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
            curl_easy_setopt(h, CURLOPT_MAXREDIRS, 20L);
        }
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, attempt > 1 ? 1L : 0L);
        if (body) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        } else if (rq->body_file) {
            curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)fsize);
            curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(h, CURLOPT_READDATA, &x);
            curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
            curl_easy_setopt(h, CURLOPT_SEEKDATA, &x);
        } else if (mime) {
            curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
        } else if (rq->form) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)form.len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.len ? form.data : "");
        }
        if (strcmp(method, "HEAD") == 0)
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        else if (strcmp(method, natural) != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        else if (!strcmp(natural, "GET"))
            curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);

        cc = curl_easy_perform(h);
        if (cc == CURLE_OK) break;
        if (x.sink_failed) {
            snprintf(last, sizeof last, "the response body could not be stored");
            break; /* a local failure: trying again would not help */
        }
        describe(r, cc, timeout, last, sizeof last);
        if (attempt < attempts) {
            af_kv f[] = {AF_KS("method", method),
                         AF_KS("url", rs->url),
                         AF_KI("attempt", attempt),
                         AF_KS("error", last),
                         {0}};
            af_conn_log(c, AF_WARNING, "http_retry", f);
            if (rq->sink_reset) rq->sink_reset(rq->sink_ud);
            sleep(attempt - 1 < 3 ? 1u << (attempt - 1) : 5u);
        }
    }
    if (cc != CURLE_OK) {
        if (attempt > attempts) attempt = attempts;
        snprintf(err, errlen, "REST request failed after %lld attempt(s): %s %s: %s",
                 (long long)attempt, method, rs->url, last);
        goto done;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
    rs->headers = x.headers;
    rs->bytes = x.bytes;
    rs->attempts = (int)attempt;
    {
        af_kv f[] = {AF_KS("method", method),
                     AF_KS("url", rs->url),
                     AF_KI("status", rs->status),
                     AF_KI("bytes", rs->bytes),
                     {0}};
        af_conn_log(c, AF_INFO, "http_response", f);
    }
    rc = 0;
done:
    if (x.fd >= 0) close(x.fd);
    curl_mime_free(mime);
    curl_slist_free_all(hdrs);
    af_buf_free(&form);
    af_buf_free(&full);
    return rc;
}

static const af_rest_ops rest_ops = {
    .request = rest_request,
};

const af_driver af_driver_rest_curl = {
    .abi = AF_ABI_VERSION,
    .kind = "rest",
    .name = "curl",
    .aliases = "httpx",
    .summary = "HTTP and HTTPS requests (libcurl), connections kept alive across steps",
    .config = rest_config,
    .options = rest_options,
    .open = rest_open,
    .close = rest_close,
    .ops = &rest_ops,
    .libs = "-lcurl",
};
