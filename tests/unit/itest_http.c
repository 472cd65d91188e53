/*
 * itest_http.c - the rest kind's curl driver against the real HTTP server of
 * tests/servers/httpd.sh (plain and TLS listeners, echo routes).
 *
 * Run by tests/integration/http.sh with httpd.env exported. The server
 * echoes each request as JSON (method, query, headers, body digest,
 * multipart parts, client port), so the tests check what arrived.
 */
#define T_SUITE "http"
#include "t.h"
#include "af.h"
#include "af_rest.h"
#include "conn_shim.h"
#include "mailcheck.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

extern const af_driver af_driver_rest_curl;

static af_arena *A;
static char tmpdir[] = "/tmp/itest_http_XXXXXX";
static const char *url, *tls_url, *token, *ca;

static const char *env_or_die(const char *k)
{
    const char *v = getenv(k);
    if (!v || !*v) {
        printf("not ok - http/environment\n#   %s is not set: run tests/integration/http.sh\n", k);
        exit(1);
    }
    return v;
}

/* A sink that keeps small bodies and checks the server's byte pattern
 * (byte i is i % 251) on the fly, whatever the size. */
typedef struct tsink {
    af_buf keep;
    size_t max;
    int64_t off;
    int64_t mismatches;
    int resets;
    int refuse; /* return -1 on the first piece */
} tsink;

static int tsink_put(void *ud, const char *p, size_t n)
{
    tsink *k = ud;
    if (k->refuse) return -1;
    for (size_t i = 0; i < n; i++, k->off++)
        if ((unsigned char)p[i] != (unsigned char)(k->off % 251)) k->mismatches++;
    if (k->keep.len + n <= k->max) af_buf_put(&k->keep, p, n);
    return 0;
}

static void tsink_reset(void *ud)
{
    tsink *k = ud;
    af_buf_reset(&k->keep);
    k->off = 0;
    k->mismatches = 0;
    k->resets++;
}

typedef struct call {
    int rc;
    char err[1024];
    af_rest_response rs;
    af_value *json; /* parsed body, when it parses */
    tsink sink;
    const char *logs;
} call;

/* One request on connector t (sink wired in unless rq has one). */
static void run_on(t_conn *t, af_rest_request *rq, call *c)
{
    memset(c, 0, sizeof *c);
    c->sink.max = 1 << 20;
    if (!rq->sink) {
        rq->sink = tsink_put;
        rq->sink_reset = tsink_reset;
        rq->sink_ud = &c->sink;
    }
    const af_rest_ops *ops = af_driver_rest_curl.ops;
    c->rc = ops->request(&t->c, A, rq, &c->rs, c->err, sizeof c->err);
    char perr[100];
    if (c->sink.keep.len &&
        af_json_parse(A, c->sink.keep.data, c->sink.keep.len, &c->json, perr, sizeof perr) < 0)
        c->json = NULL;
    af_buf_free(&c->sink.keep);
}

/* One request on a fresh connector with config/options JSON. */
static void run1(const char *config, const char *options, af_rest_request *rq, call *c)
{
    t_conn t;
    char err[1024];
    if (t_conn_open(&t, &af_driver_rest_curl, config, options, err, sizeof err) < 0) {
        memset(c, 0, sizeof *c);
        c->rc = -2;
        snprintf(c->err, sizeof c->err, "open: %.1000s", err);
        printf("#   %s\n", c->err);
        t_conn_close(&t);
        return;
    }
    run_on(&t, rq, c);
    c->logs = t_conn_logs(&t, A);
    t_conn_close(&t);
}

static const af_value *jget(const af_value *v, const char *path)
{
    char key[100];
    while (v && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        v = v->type == AF_MAP ? af_map_get(v, key) : NULL;
        path = dot ? dot + 1 : path + n;
    }
    return v;
}

static const char *jstr(const af_value *v, const char *path)
{
    const af_value *x = jget(v, path);
    return x && x->type == AF_STR ? x->u.s.ptr : "";
}

static af_value *J(const char *json)
{
    af_value *v = NULL;
    char err[100];
    if (af_json_parse(A, json, strlen(json), &v, err, sizeof err) < 0)
        printf("#   bad test JSON: %s\n", err);
    return v;
}

static const char *base_cfg(const char *extra)
{
    return af_sprintf(A, "{\"base_url\": \"%s/\"%s%s}", url, *extra ? ", " : "", extra);
}

static const char *write_file(const char *name, size_t size)
{
    const char *path = af_sprintf(A, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    for (size_t i = 0; i < size; i++)
        fputc((int)((i * 7 + 1) % 256), f);
    fclose(f);
    return path;
}

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

/* ---- requests ----------------------------------------------------------- */

static void test_get_with_params_and_headers(void)
{
    af_rest_request rq = {
        .url = "/echo",
        .params = J("{\"a\": \"1\", \"list\": [\"x\", \"y\"], \"sp\": \"a b&c=d\", \"flag\": true, "
                    "\"n\": 3.5, \"none\": null}"),
        .headers = J("{\"X-Req\": \"from-request\", \"x-num\": 7}"),
    };
    call c;
    run1(base_cfg("\"headers\": {\"X-App\": \"afc\", \"x-req\": \"from-config\"}"), "{}", &rq, &c);
    T_INTEQ(c.rc, 0);
    T_INTEQ(c.rs.status, 200);
    T_STREQ(jstr(c.json, "method"), "GET");
    T_STREQ(jstr(c.json, "path"), "/echo");
    const af_value *args = jget(c.json, "args");
    T_STREQ(af_json_str(A, args, AF_JSON_COMPACT),
            "{\"a\":[\"1\"],\"list\":[\"x\",\"y\"],\"sp\":[\"a b&c=d\"],\"flag\":[\"true\"],"
            "\"n\":[\"3.5\"],\"none\":[\"\"]}");
    T_STREQ(jstr(c.json, "headers.x-app"), "afc");
    T_STREQ(jstr(c.json, "headers.x-req"), "from-request");
    T_STREQ(jstr(c.json, "headers.x-num"), "7");
    T_STREQ(jstr(c.json, "headers.user-agent"), "afc");
    T_CHECK(jget(c.json, "headers.authorization") == NULL);
    T_CHECK(jget(c.json, "headers.expect") == NULL);
    /* response headers: lower-case names */
    T_STREQ(jstr(c.rs.headers, "content-type"), "application/json");
    T_STREQ(c.rs.url, af_sprintf(A, "%s/echo", url));
    T_INTEQ(c.rs.attempts, 1);
}

static void test_url_joining(void)
{
    af_rest_request rq = {.url = "sub/path?x=1", .params = J("{\"y\": \"2\"}")};
    call c;
    run1(af_sprintf(A, "{\"base_url\": \"%s/echo///\"}", url), "{}", &rq, &c);
    T_STREQ(jstr(c.json, "path"), "/echo/sub/path");
    T_STREQ(jstr(c.json, "query"), "x=1&y=2");
    /* an absolute URL ignores base_url */
    af_rest_request rq2 = {.url = af_sprintf(A, "%s/echo/abs", url)};
    run1("{\"base_url\": \"http://127.0.0.1:1/nowhere\"}", "{}", &rq2, &c);
    T_INTEQ(c.rc, 0);
    T_STREQ(jstr(c.json, "path"), "/echo/abs");
    /* a relative URL without base_url is refused before any I/O */
    af_rest_request rq3 = {.url = "echo"};
    run1("{}", "{}", &rq3, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "not an absolute URL") != NULL);
}

static void test_bearer_token(void)
{
    af_rest_request rq = {.url = "auth/x"};
    call c;
    run1(base_cfg(af_sprintf(A, "\"bearer_token\": \"%s\"", token)), "{}", &rq, &c);
    T_INTEQ(c.rc, 0);
    T_INTEQ(c.rs.status, 200);
    T_STREQ(jstr(c.json, "headers.authorization"), af_sprintf(A, "Bearer %s", token));
    T_CHECK(c.logs && strstr(c.logs, token) == NULL);
    /* without the token: the 401 is a response, not a driver failure */
    af_rest_request rq2 = {.url = "auth/x"};
    run1(base_cfg(""), "{}", &rq2, &c);
    T_INTEQ(c.rc, 0);
    T_INTEQ(c.rs.status, 401);
    /* a request's own Authorization wins over bearer_token */
    af_rest_request rq3 = {.url = "echo",
                           .headers = J("{\"authorization\": \"Basic Zm9vOmJhcg==\"}")};
    run1(base_cfg("\"bearer_token\": \"abcdef\""), "{}", &rq3, &c);
    T_STREQ(jstr(c.json, "headers.authorization"), "Basic Zm9vOmJhcg==");
}

static void test_bodies(void)
{
    call c;
    af_rest_request js = {.method = "POST",
                          .url = "echo",
                          .body = "{\"k\":[1,2]}",
                          .body_len = 11,
                          .content_type = "application/json"};
    run1(base_cfg(""), "{}", &js, &c);
    T_STREQ(af_json_str(A, jget(c.json, "json"), AF_JSON_COMPACT), "{\"k\":[1,2]}");
    T_STREQ(jstr(c.json, "headers.content-type"), "application/json");
    T_STREQ(jstr(c.json, "method"), "POST");

    /* raw bytes (with a NUL) and no Content-Type at all */
    af_rest_request raw = {.method = "PUT", .url = "echo", .body = "a\0b", .body_len = 3};
    run1(base_cfg(""), "{}", &raw, &c);
    T_INTEQ(t_get_int(c.json, "body_len"), 3);
    T_CHECK(jget(c.json, "headers.content-type") == NULL);
    T_STREQ(jstr(c.json, "method"), "PUT");

    af_rest_request form = {
        .method = "POST", .url = "echo", .form = J("{\"a\": 1, \"b\": \"x y&z\"}")};
    run1(base_cfg(""), "{}", &form, &c);
    T_STREQ(jstr(c.json, "body_text"), "a=1&b=x%20y%26z");
    T_STREQ(jstr(c.json, "headers.content-type"), "application/x-www-form-urlencoded");

    /* POST without a body still says how long it is; methods are upper-cased */
    af_rest_request empty2 = {.method = "post", .url = "echo"};
    run1(base_cfg(""), "{}", &empty2, &c);
    T_STREQ(jstr(c.json, "headers.content-length"), "0");
    T_STREQ(jstr(c.json, "method"), "POST");

    af_rest_request del = {.method = "DELETE", .url = "echo"};
    run1(base_cfg(""), "{}", &del, &c);
    T_STREQ(jstr(c.json, "method"), "DELETE");

    af_rest_request both = {
        .method = "POST", .url = "echo", .body = "x", .body_len = 1, .body_file = "/etc/hostname"};
    run1(base_cfg(""), "{}", &both, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "one request body") != NULL);
}

static void test_file_uploads(void)
{
    const char *big = write_file("big.bin", 5 * 1024 * 1024 + 3);
    const char *csv = write_file("data.csv", 1234);
    char h_big[65], h_csv[65];
    t_sha256_file(big, h_big);
    t_sha256_file(csv, h_csv);
    call c;
    af_rest_request put = {.method = "PUT",
                           .url = "echo",
                           .body_file = big,
                           .content_type = "application/octet-stream"};
    run1(base_cfg(""), "{}", &put, &c);
    T_INTEQ(c.rc, 0);
    T_STREQ(jstr(c.json, "body_sha256"), h_big);
    T_INTEQ(t_get_int(c.json, "body_len"), 5 * 1024 * 1024 + 3);
    T_STREQ(jstr(c.json, "method"), "PUT");

    af_rest_request post = {.method = "POST", .url = "echo", .body_file = csv};
    run1(base_cfg(""), "{}", &post, &c);
    T_STREQ(jstr(c.json, "method"), "POST");
    T_STREQ(jstr(c.json, "body_sha256"), h_csv);

    af_rest_request mp = {.method = "POST",
                          .url = "echo",
                          .upload_file = csv,
                          .upload_field = "report",
                          .upload_name = "r\xc3\xa9sum\xc3\xa9.csv",
                          .form = J("{\"kind\": \"daily\", \"n\": 2}")};
    run1(base_cfg(""), "{}", &mp, &c);
    T_INTEQ(c.rc, 0);
    const af_value *parts = jget(c.json, "form");
    T_CHECK(parts && parts->type == AF_LIST && parts->u.list.n == 3);
    if (parts && parts->type == AF_LIST && parts->u.list.n == 3) {
        const af_value *f = parts->u.list.items[2];
        T_STREQ(jstr(parts->u.list.items[0], "name"), "kind");
        T_STREQ(jstr(parts->u.list.items[0], "text"), "daily");
        T_STREQ(jstr(parts->u.list.items[1], "text"), "2");
        T_STREQ(jstr(f, "name"), "report");
        T_STREQ(jstr(f, "filename"), "r\xc3\xa9sum\xc3\xa9.csv");
        T_STREQ(jstr(f, "content_type"), "text/csv");
        T_STREQ(jstr(f, "sha256"), h_csv);
    }
    af_rest_request missing = {
        .method = "POST", .url = "echo", .upload_file = "/nonexistent/x.bin"};
    run1(base_cfg(""), "{}", &missing, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "/nonexistent/x.bin") != NULL);
}

/* ---- responses ---------------------------------------------------------- */

static void test_statuses_are_responses(void)
{
    call c;
    af_rest_request nf = {.url = "status/404"};
    run1(base_cfg(""), "{\"retry\": {\"max_attempts\": 2}}", &nf, &c);
    T_INTEQ(c.rc, 0);
    T_INTEQ(c.rs.status, 404);
    T_INTEQ(c.rs.attempts, 1); /* statuses are never retried */
    af_rest_request nc = {.url = "status/204"};
    run1(base_cfg(""), "{}", &nc, &c);
    T_INTEQ(c.rs.status, 204);
    T_INTEQ(c.rs.bytes, 0);
    af_rest_request head = {.method = "HEAD", .url = "stream/1000"};
    run1(base_cfg(""), "{}", &head, &c);
    T_INTEQ(c.rs.status, 200);
    T_INTEQ(c.rs.bytes, 0);
    T_STREQ(jstr(c.rs.headers, "content-length"), "1000");
}

static void test_large_bodies_stream(void)
{
    call c;
    int64_t n = 64LL * 1024 * 1024 + 5;
    af_rest_request big = {.url = af_sprintf(A, "stream/%lld", (long long)n)};
    run1(base_cfg(""), "{}", &big, &c);
    T_INTEQ(c.rc, 0);
    T_INTEQ(c.rs.bytes, n);
    T_INTEQ(c.sink.off, n);
    T_INTEQ(c.sink.mismatches, 0);
    af_rest_request ch = {.url = "chunked/3000001"};
    run1(base_cfg(""), "{}", &ch, &c);
    T_INTEQ(c.rs.bytes, 3000001);
    T_INTEQ(c.sink.mismatches, 0);
    T_CHECK(jget(c.rs.headers, "content-length") == NULL);
}

static void test_gzip_is_decoded(void)
{
    call c;
    af_rest_request rq = {.url = "gzip"};
    run1(base_cfg(""), "{}", &rq, &c);
    T_STREQ(af_json_str(A, c.json, AF_JSON_COMPACT), "{\"compressed\":true}");
}

static void test_redirects(void)
{
    call c;
    af_rest_request no = {.url = "redirect/302?to=/echo/there"};
    run1(base_cfg(""), "{}", &no, &c);
    T_INTEQ(c.rs.status, 302);
    T_STREQ(jstr(c.rs.headers, "location"), "/echo/there");
    af_rest_request yes = {.url = "redirect/302?to=/echo/there", .follow_redirects = 1};
    run1(base_cfg(""), "{}", &yes, &c);
    T_INTEQ(c.rs.status, 200);
    T_STREQ(jstr(c.json, "path"), "/echo/there");
    /* headers of the final response only */
    T_CHECK(jget(c.rs.headers, "location") == NULL);
}

static void test_connection_reused(void)
{
    t_conn t;
    char err[1024];
    T_INTEQ(t_conn_open(&t, &af_driver_rest_curl, base_cfg(""), "{}", err, sizeof err), 0);
    call c1, c2;
    af_rest_request r1 = {.url = "echo"}, r2 = {.url = "echo"};
    run_on(&t, &r1, &c1);
    run_on(&t, &r2, &c2);
    t_conn_close(&t);
    T_CHECK(t_get_int(c1.json, "peer_port") > 0);
    T_INTEQ(t_get_int(c1.json, "peer_port"), t_get_int(c2.json, "peer_port"));
}

/* ---- failures ----------------------------------------------------------- */

static void test_connection_lost_mid_body(void)
{
    call c;
    af_rest_request rq = {.url = "drop/1000000"};
    run1(base_cfg(""), "{}", &rq, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "REST request failed after 1 attempt(s): GET ") != NULL);
    T_CHECK(strstr(c.err, "connection lost") != NULL);
    printf("#   message: %s\n", c.err);
}

static void test_retry_after_transport_failure(void)
{
    call c;
    af_rest_request rq = {.url = "flaky/k1"};
    run1(base_cfg(""), "{\"retry\": {\"max_attempts\": 1}}", &rq, &c);
    T_INTEQ(c.rc, 0);
    T_INTEQ(c.rs.status, 200);
    T_INTEQ(c.rs.attempts, 2);
    T_INTEQ(c.sink.resets, 1);
    T_CHECK(c.logs && strstr(c.logs, "http_retry") != NULL);
    /* the reference's default: no retry */
    af_rest_request rq2 = {.url = "flaky/k2"};
    run1(base_cfg(""), "{}", &rq2, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "after 1 attempt(s)") != NULL);
    /* `retries` is the reference's other spelling */
    af_rest_request rq3 = {.url = "flaky/k3"};
    run1(base_cfg(""), "{\"retries\": \"1\"}", &rq3, &c);
    T_INTEQ(c.rc, 0);
}

static void test_timeout(void)
{
    call c;
    af_rest_request rq = {.url = "slow/3"};
    run1(base_cfg(""), "{\"timeout\": 1}", &rq, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "no response within 1s") != NULL);
    printf("#   message: %s\n", c.err);
    /* a request's own timeout wins */
    af_rest_request rq2 = {.url = "slow/1", .timeout = 5};
    run1(base_cfg(""), "{\"timeouts\": {\"total\": 0.5}}", &rq2, &c);
    T_INTEQ(c.rc, 0);
}

static void test_server_gone(void)
{
    call c;
    int p = closed_port();
    af_rest_request rq = {
        .url = af_sprintf(A, "http://user:pw-secret@127.0.0.1:%d/x?api_key=KEY123", p)};
    run1("{}", "{}", &rq, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, af_sprintf(A, "GET http://127.0.0.1:%d/x:", p)) != NULL);
    T_CHECK(strstr(c.err, "KEY123") == NULL && strstr(c.err, "pw-secret") == NULL);
    T_CHECK(c.logs && strstr(c.logs, "KEY123") == NULL);
    printf("#   message: %s\n", c.err);
}

static void test_tls(void)
{
    call c;
    af_rest_request rq = {.url = "echo"};
    run1(af_sprintf(A, "{\"base_url\": \"%s\"}", tls_url),
         af_sprintf(A, "{\"ca_file\": \"%s\"}", ca), &rq, &c);
    T_INTEQ(c.rc, 0);
    T_INTEQ(c.rs.status, 200);
    run1(af_sprintf(A, "{\"base_url\": \"%s\"}", tls_url), "{}", &rq, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "TLS certificate not trusted") != NULL);
    T_CHECK(strstr(c.err, "options.verify_ssl: false") != NULL);
    printf("#   message: %s\n", c.err);
    run1(af_sprintf(A, "{\"base_url\": \"%s\"}", tls_url), "{\"verify_ssl\": false}", &rq, &c);
    T_INTEQ(c.rc, 0);
}

static void test_sink_refusal_is_not_retried(void)
{
    call c;
    af_rest_request rq = {.url = "stream/10000"};
    memset(&c, 0, sizeof c);
    tsink k = {.max = 100, .refuse = 1};
    rq.sink = tsink_put;
    rq.sink_ud = &k;
    run1(base_cfg(""), "{\"retry\": {\"max_attempts\": 3}}", &rq, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "after 1 attempt(s)") != NULL);
    T_CHECK(strstr(c.err, "could not be stored") != NULL);
}

static void test_bad_requests(void)
{
    call c;
    af_rest_request inj = {.url = "echo", .headers = J("{\"X-A\": \"v\\r\\nX-Evil: 1\"}")};
    run1(base_cfg(""), "{}", &inj, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "header 'X-A'") != NULL);
    af_rest_request sp = {.url = "echo/a b"};
    run1(base_cfg(""), "{}", &sp, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "bad URL") != NULL);
    af_rest_request meth = {.method = "GET /x", .url = "echo"};
    run1(base_cfg(""), "{}", &meth, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "bad HTTP method") != NULL);
    af_rest_request prm = {.url = "echo", .params = J("{\"m\": {\"x\": 1}}")};
    run1(base_cfg(""), "{}", &prm, &c);
    T_INTEQ(c.rc, -1);
    T_CHECK(strstr(c.err, "params.m") != NULL);

    t_conn t;
    char err[1024];
    T_INTEQ(t_conn_open(&t, &af_driver_rest_curl, "{\"headers\": [1]}", "{}", err, sizeof err), -1);
    T_STREQ(err, "config.headers: expected a mapping");
    t_conn_close(&t);
    T_INTEQ(t_conn_open(&t, &af_driver_rest_curl, "{}", "{\"timeout\": \"soon\"}", err, sizeof err),
            -1);
    T_STREQ(err, "options.timeout: expected a number");
    t_conn_close(&t);
}

int main(void)
{
    url = env_or_die("HTTPD_URL");
    tls_url = env_or_die("HTTPD_TLS_URL");
    token = env_or_die("HTTPD_TOKEN");
    ca = env_or_die("HTTPD_CA");
    A = af_arena_new();
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(test_get_with_params_and_headers);
    T_RUN(test_url_joining);
    T_RUN(test_bearer_token);
    T_RUN(test_bodies);
    T_RUN(test_file_uploads);
    T_RUN(test_statuses_are_responses);
    T_RUN(test_large_bodies_stream);
    T_RUN(test_gzip_is_decoded);
    T_RUN(test_redirects);
    T_RUN(test_connection_reused);
    T_RUN(test_connection_lost_mid_body);
    T_RUN(test_retry_after_transport_failure);
    T_RUN(test_timeout);
    T_RUN(test_server_gone);
    T_RUN(test_tls);
    T_RUN(test_sink_refusal_is_not_retried);
    T_RUN(test_bad_requests);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("# could not remove %s\n", tmpdir);
    af_arena_free(A);
    T_END();
}
