/*
 * http_request.c - step `http_request`: one HTTP request through a `rest`
 * resource (or to an absolute URL without one), with the response's
 * status, headers and small JSON or text bodies as outputs, or the body
 * streamed into an artifact.
 *
 * Not in the reference (which has the rest connector but no step for it).
 * A status outside expected_status (default: any 2xx) fails the step; a
 * save_to file then never appears: the body goes to a temp file beside it
 * that is renamed only after an expected response.
 */
#include "af_rest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const af_driver af_driver_rest_curl;

static const af_input http_inputs[] = {
    {"resource", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL,
     "rest resource; without one, url must be absolute"},
    {"method", AF_TY_STR, 0, "\"GET\"", NULL, "HTTP method"},
    {"path", AF_TY_STR, 0, NULL, NULL, "path joined to the resource's base_url"},
    {"url", AF_TY_STR, 0, NULL, NULL, "absolute URL (or, with a resource, a path)"},
    {"params", AF_TY_MAP | AF_TY_NULL, 0, NULL, NULL, "query parameters; a list repeats its key"},
    {"headers", AF_TY_MAP | AF_TY_NULL, 0, NULL, NULL, "request headers"},
    {"json", AF_TY_ANY, 0, NULL, NULL, "value sent as a JSON body"},
    {"body", AF_TY_STR | AF_TY_MAP | AF_TY_NULL, 0, NULL, NULL,
     "raw body text, or a mapping of form fields"},
    {"content_type", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "Content-Type of a raw body"},
    {"file", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "file to upload (under the artifacts)"},
    {"multipart", AF_TY_BOOL, 0, "true", NULL,
     "upload file as multipart/form-data; false: as the raw body"},
    {"file_field", AF_TY_STR, 0, "\"file\"", NULL, "form field name of the uploaded file"},
    {"filename", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "file name sent for the upload"},
    {"expected_status", AF_TY_INT | AF_TY_STR | AF_TY_LIST | AF_TY_NULL, 0, "\"2xx\"", NULL,
     "accepted statuses: codes or classes like \"2xx\""},
    {"save_to", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL,
     "write the response body to this file (under the artifacts)"},
    {"timeout", AF_TY_NUMBER | AF_TY_NULL, 0, NULL, NULL,
     "seconds per connect or read (default: the resource's, 30)"},
    {"follow_redirects", AF_TY_BOOL, 0, "false", NULL, "follow 3xx responses"},
    {"max_body_bytes", AF_TY_INT, 0, "1048576", NULL,
     "bodies up to this size become the json or text output"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output http_outputs[] = {
    {"status", "int", "HTTP status code"},
    {"ok", "bool", "status is one of expected_status"},
    {"url", "string", "URL requested, without credentials and query"},
    {"headers", "map", "response headers, lower-case names"},
    {"json", "any", "parsed body when it is JSON and at most max_body_bytes, else null"},
    {"text", "string", "body when it is UTF-8 text (not JSON) and small, else null"},
    {"bytes", "int", "body size in bytes"},
    {"saved_to", "string", "absolute path of save_to, or null"},
    {NULL, NULL, NULL},
};

/* Where the body goes: the save_to temp file and/or memory (up to max). */
typedef struct sink {
    int fd;  /* -1: no file */
    int err; /* errno of a failed write */
    af_buf mem;
    size_t max;
    int over; /* more than max arrived */
} sink;

static int sink_put(void *ud, const char *p, size_t n)
{
    sink *k = ud;
    if (k->fd >= 0) {
        size_t off = 0;
        while (off < n) {
            ssize_t w = write(k->fd, p + off, n - off);
            if (w < 0) {
                if (errno == EINTR) continue;
                k->err = errno;
                return -1;
            }
            off += (size_t)w;
        }
    }
    if (!k->over) {
        if (k->mem.len + n <= k->max)
            af_buf_put(&k->mem, p, n);
        else
            k->over = 1;
    }
    return 0;
}

static void sink_reset(void *ud)
{
    sink *k = ud;
    if (k->fd >= 0 && (ftruncate(k->fd, 0) < 0 || lseek(k->fd, 0, SEEK_SET) < 0)) k->err = errno;
    af_buf_reset(&k->mem);
    k->over = 0;
}

/* 1 when status matches one entry: an int, "404", or a class "2xx". */
static int status_matches(const af_value *e, long status)
{
    if (e->type == AF_INT) return e->u.i == status;
    if (e->type != AF_STR) return 0;
    const char *s = e->u.s.ptr;
    if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && (s[1] == 'x' || s[1] == 'X') &&
        (s[2] == 'x' || s[2] == 'X'))
        return status / 100 == s[0] - '0';
    char *end;
    long v = strtol(s, &end, 10);
    return end != s && !*end && v == status;
}

static int status_ok(const af_value *exp, long status)
{
    if (!exp || exp->type == AF_NULL) return status >= 200 && status < 300;
    if (exp->type != AF_LIST) return status_matches(exp, status);
    for (size_t i = 0; i < exp->u.list.n; i++)
        if (status_matches(exp->u.list.items[i], status)) return 1;
    return 0;
}

static int valid_expected(const af_value *exp)
{
    size_t n = exp->type == AF_LIST ? exp->u.list.n : 1;
    for (size_t i = 0; i < n; i++) {
        const af_value *e = exp->type == AF_LIST ? exp->u.list.items[i] : exp;
        if (e->type == AF_INT && e->u.i >= 100 && e->u.i <= 599) continue;
        if (e->type == AF_STR) {
            const char *s = e->u.s.ptr;
            char *end;
            long v = strtol(s, &end, 10);
            if (end != s && !*end && v >= 100 && v <= 599) continue;
            if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && strchr("xX", s[1]) &&
                strchr("xX", s[2]))
                continue;
        }
        return 0;
    }
    return 1;
}

static int utf8_text(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (!len || i + len > n || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) return 0;
        for (size_t k = 1; k < len; k++)
            if (((unsigned char)s[i + k] & 0xC0) != 0x80) return 0;
        i += len;
    }
    return 1;
}

/* A printable excerpt of a body for failure messages. */
static const char *snippet(af_arena *a, const af_buf *b)
{
    size_t n = b->len < 200 ? b->len : 200;
    char *s = af_alloc(a, n + 4);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b->data[i];
        s[k++] = c >= 32 && c != 127 ? (char)c : ' ';
    }
    if (b->len > n) {
        memcpy(s + k, "...", 3);
        k += 3;
    }
    s[k] = '\0';
    return s;
}

static int opt_str(af_step *s, const char *name, const char **out)
{
    const af_value *v = af_in(s, name);
    *out = NULL;
    if (!v || v->type == AF_NULL) return 0;
    if (af_in_str(s, name, NULL, out) < 0) return -1;
    if (*out && !**out) *out = NULL;
    return 0;
}

static const af_value *opt_map(af_step *s, const char *name)
{
    const af_value *v = af_in(s, name);
    return v && v->type == AF_MAP ? v : NULL;
}

static af_status http_run(af_step *s)
{
    af_arena *a = af_arena_of(s);
    const char *res, *method, *path, *url, *ctype, *file, *field, *fname, *save_to, *timeout_s;
    int multipart, follow;
    int64_t max_body;
    if (opt_str(s, "resource", &res) < 0 || af_in_str(s, "method", "GET", &method) < 0 ||
        opt_str(s, "path", &path) < 0 || opt_str(s, "url", &url) < 0 ||
        opt_str(s, "content_type", &ctype) < 0 || opt_str(s, "file", &file) < 0 ||
        af_in_bool(s, "multipart", 1, &multipart) < 0 ||
        af_in_str(s, "file_field", "file", &field) < 0 || opt_str(s, "filename", &fname) < 0 ||
        opt_str(s, "save_to", &save_to) < 0 || opt_str(s, "timeout", &timeout_s) < 0 ||
        af_in_bool(s, "follow_redirects", 0, &follow) < 0 ||
        af_in_int(s, "max_body_bytes", 1048576, &max_body) < 0)
        return AF_FAILED;
    double timeout = 0;
    if (timeout_s && af_in_double(s, "timeout", 0, &timeout) < 0) return AF_FAILED;

    char *m = af_strdup(a, method && *method ? method : "GET");
    for (char *p = m; *p; p++)
        if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
    if (path && url) return af_fail(s, "give either path or url, not both");
    if (!path && !url) return af_fail(s, "path or url is required");
    if (path && !res)
        return af_fail(s, "path needs a resource with a base_url; use url for an absolute URL");
    if (!res && !strstr(url, "://"))
        return af_fail(s, "url '%s' is not absolute and no resource is given", url);
    if (max_body < 0) return af_fail(s, "max_body_bytes must not be negative");
    const af_value *exp = af_in(s, "expected_status");
    if (exp && exp->type != AF_NULL && !valid_expected(exp))
        return af_fail(s, "expected_status: use status codes (200) or classes (\"2xx\")");

    af_rest_request rq = {0};
    rq.method = m;
    rq.url = path ? path : url;
    rq.params = opt_map(s, "params");
    rq.headers = opt_map(s, "headers");
    rq.timeout = timeout;
    rq.follow_redirects = follow;

    const af_value *json = af_in(s, "json");
    const af_value *body = af_in(s, "body");
    if (json && json->type == AF_NULL) json = NULL; /* like an absent input, as body */
    if (body && body->type == AF_NULL) body = NULL;
    if (json && body) return af_fail(s, "give either json or body, not both");
    if (file && (json || (body && body->type == AF_STR)))
        return af_fail(s, "file cannot be sent together with json or a raw body");
    if (file && !multipart && body)
        return af_fail(s, "form fields in body need multipart: true to go with file");
    if (json) {
        rq.body = af_json_str(a, json, AF_JSON_COMPACT);
        rq.body_len = strlen(rq.body);
        rq.content_type = "application/json";
    } else if (body && body->type == AF_STR) {
        rq.body = body->u.s.ptr;
        rq.body_len = body->u.s.len;
        rq.content_type = ctype;
    } else if (body) {
        rq.form = body;
    }
    if (file) {
        const char *abs;
        if (af_path(s, "file", file, &abs) < 0) return AF_FAILED;
        if (access(abs, R_OK) < 0) return af_fail(s, "file '%s': %s", file, strerror(errno));
        if (multipart) {
            rq.upload_file = abs;
            rq.upload_field = field;
            rq.upload_name = fname;
        } else {
            rq.body_file = abs;
            rq.content_type = ctype;
        }
    }

    af_conn *c;
    if (res) {
        c = af_connector(s, res, "rest");
    } else {
        c = af_connector_adhoc(s, &af_driver_rest_curl, af_map(a), af_map(a));
    }
    if (!c) return AF_FAILED;
    const af_driver *d = af_conn_driver(c);
    const af_rest_ops *ops = d ? (const af_rest_ops *)d->ops : NULL;
    if (!ops || !ops->request)
        return af_fail(s, "resource '%s': driver '%s' does not make HTTP requests", res,
                       d ? d->name : "?");

    sink k = {.fd = -1, .max = (size_t)max_body};
    af_atomic at = {.fd = -1};
    const char *save_abs = NULL;
    char err[1024];
    if (save_to) {
        if (af_path(s, "save_to", save_to, &save_abs) < 0) return AF_FAILED;
        char *dir = af_strdup(a, save_abs);
        char *sl = strrchr(dir, '/');
        if (sl && sl != dir) {
            *sl = '\0';
            if (af_mkdirs(dir, 0755) < 0)
                return af_fail(s, "save_to: cannot create '%s': %s", dir, strerror(errno));
        }
        if (af_atomic_open(&at, save_abs, 0644, err, sizeof err) < 0)
            return af_fail(s, "save_to: %s", err);
        k.fd = at.fd;
    }
    rq.sink = sink_put;
    rq.sink_reset = sink_reset;
    rq.sink_ud = &k;

    af_rest_response rs;
    af_status st = AF_FAILED;
    int rc = ops->request(c, a, &rq, &rs, err, sizeof err);
    if (rc < 0) {
        if (k.err)
            af_fail(s, "save_to '%s': %s", save_to, strerror(k.err));
        else
            af_fail(s, "%s", err);
        goto out;
    }
    int ok = status_ok(exp, rs.status);
    if (!ok) {
        const af_value *ct = af_map_get(rs.headers, "content-type");
        int texty = k.mem.len && utf8_text(k.mem.data, k.mem.len) &&
                    (!ct || ct->type != AF_STR || !strstr(ct->u.s.ptr, "octet-stream"));
        af_fail(s, "HTTP %ld from %s %s (expected %s)%s%s", rs.status, m, rs.url,
                exp && exp->type != AF_NULL ? af_json_str(a, exp, AF_JSON_COMPACT) : "2xx",
                texty ? ": " : "", texty ? snippet(a, &k.mem) : "");
        goto out;
    }
    if (save_to) {
        if (k.err) {
            af_fail(s, "save_to '%s': %s", save_to, strerror(k.err));
            goto out;
        }
        if (af_atomic_commit(&at, err, sizeof err) < 0) {
            af_fail(s, "save_to: %s", err);
            goto out;
        }
        at.fd = -1;
    }

    af_value *jv = af_null(), *tv = af_null();
    const af_value *ct = af_map_get(rs.headers, "content-type");
    int is_json = ct && ct->type == AF_STR && strstr(ct->u.s.ptr, "json");
    if (!k.over && k.mem.len) {
        if (is_json) {
            char jerr[200];
            if (af_json_parse(a, k.mem.data, k.mem.len, &jv, jerr, sizeof jerr) < 0) {
                jv = af_null();
                af_logf(s, AF_WARNING, "response of %s %s says JSON but does not parse: %s", m,
                        rs.url, jerr);
            }
        } else if (utf8_text(k.mem.data, k.mem.len)) {
            tv = af_strn(a, k.mem.data, k.mem.len);
        }
    } else if (k.over && !save_to) {
        af_logf(s, AF_WARNING,
                "response body of %s %s is larger than max_body_bytes (%lld): not kept; use "
                "save_to for large bodies",
                m, rs.url, (long long)max_body);
    }
    af_out_set(s, "status", af_int(a, rs.status));
    af_out_set(s, "ok", af_bool(1));
    af_out_set(s, "url", af_str(a, rs.url));
    af_out_set(s, "headers", rs.headers ? rs.headers : af_map(a));
    af_out_set(s, "json", jv);
    af_out_set(s, "text", tv);
    af_out_set(s, "bytes", af_int(a, rs.bytes));
    af_out_set(s, "saved_to", save_abs ? af_str(a, save_abs) : af_null());
    st = AF_SUCCESS;
out:
    if (save_to && at.fd >= 0) af_atomic_abort(&at);
    af_buf_free(&k.mem);
    return st;
}

static void http_check(af_check *c, const af_value *in)
{
    const af_value *path = af_map_get(in, "path"), *url = af_map_get(in, "url");
    const af_value *res = af_map_get(in, "resource");
    if (path && url)
        af_check_error(c, "path", "give either path or url, not both");
    else if (!path && !url)
        af_check_error(c, "url", "path or url is required");
    if (path && !res)
        af_check_error(c, "path", "path needs a resource; use url for an absolute URL");
    if (af_map_get(in, "json") && af_map_get(in, "body"))
        af_check_error(c, "json", "give either json or body, not both");
    const af_value *exp = af_map_get(in, "expected_status");
    if (exp && exp->type != AF_NULL && !af_check_is_template(c, exp) && !valid_expected(exp))
        af_check_error(c, "expected_status", "use status codes (200) or classes (\"2xx\")");
}

const af_step_desc af_step_http_request = {
    .abi = AF_ABI_VERSION,
    .name = "http_request",
    .summary = "one HTTP request; status, headers and small JSON bodies as outputs",
    .inputs = http_inputs,
    .outputs = http_outputs,
    .resource_kinds = "rest",
    .flags = 0,
    .run = http_run,
    .check = http_check,
    .libs = "-lcurl",
    .help = "A status outside expected_status (default 2xx) fails the step. save_to streams\n"
            "the body into a temp file beside the target, renamed only after an expected\n"
            "response. Transport failures are retried as the resource's retry.max_attempts\n"
            "says; statuses never are. See afc-mail(7).",
};
