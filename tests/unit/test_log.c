/*
 * test_log.c - structured logging (runtime/log.c): the text and JSON line
 * formats parsed back, quoting and escaping, level filtering and settings,
 * and lines from several processes that never interleave.
 */
#include "af_int.h"
#include "t.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#define T_SUITE "log"

/* Logs through lg into a temp file and returns everything written. */
static char out_buf[1 << 20];

static FILE *cap_open(af__log *lg)
{
    FILE *f = tmpfile();
    lg->out = f;
    return f;
}

static const char *cap_read(FILE *f)
{
    fflush(f);
    rewind(f);
    size_t n = fread(out_buf, 1, sizeof out_buf - 1, f);
    out_buf[n] = 0;
    fclose(f);
    return out_buf;
}

static af__log make_log(af_arena *a, const char *fmt, const char *level)
{
    af_value *env = af_map(a);
    if (fmt) af_map_set(a, env, "AETHERFLOW_LOG_FORMAT", af_str(a, fmt));
    if (level) af_map_set(a, env, "AETHERFLOW_LOG_LEVEL", af_str(a, level));
    af__log lg;
    af__log_init(&lg, env);
    return lg;
}

/* ---- a parser for the text format, the way a reader of our logs would
 * split a line: TS LEVEL EVENT then key=value pairs, values bare or quoted. */

typedef struct parsed {
    char ts[64], level[16], event[64];
    int n;
    char key[32][64];
    char val[32][4096];
    int bad;
} parsed;

static void parse_text(const char *line, parsed *p)
{
    memset(p, 0, sizeof *p);
    if (sscanf(line, "%63s %15s %63s", p->ts, p->level, p->event) != 3) {
        p->bad = 1;
        return;
    }
    const char *s = line;
    for (int sp = 0; sp < 3; s++)
        if (*s == ' ' || *s == '\n') sp++;
    s--; /* at the space before the first pair, or the newline */
    while (*s == ' ') {
        s++;
        const char *eq = strchr(s, '=');
        if (!eq || p->n == 32) {
            p->bad = 1;
            return;
        }
        snprintf(p->key[p->n], 64, "%.*s", (int)(eq - s), s);
        s = eq + 1;
        char *v = p->val[p->n];
        size_t k = 0;
        if (*s == '"') {
            s++;
            while (*s && *s != '"') {
                if (*s == '\\') {
                    s++;
                    if (*s == 'n')
                        v[k++] = '\n';
                    else if (*s == 'r')
                        v[k++] = '\r';
                    else if (*s == 't')
                        v[k++] = '\t';
                    else if (*s == 'x') {
                        unsigned c;
                        sscanf(s + 1, "%2x", &c);
                        v[k++] = (char)c;
                        s += 2;
                    } else
                        v[k++] = *s;
                    s++;
                } else {
                    v[k++] = *s++;
                }
            }
            if (*s != '"') p->bad = 1;
            s++;
        } else {
            while (*s && *s != ' ' && *s != '\n')
                v[k++] = *s++;
        }
        v[k] = 0;
        p->n++;
    }
    if (*s != '\n' || s[1] != 0) p->bad = 1;
}

static const char *pval(const parsed *p, const char *key)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->key[i], key) == 0) return p->val[i];
    return NULL;
}

/* ---- text ----------------------------------------------------------------- */

static void test_text_line(void)
{
    af_arena *a = af_arena_new();
    af__log lg = make_log(a, NULL, NULL);
    FILE *f = cap_open(&lg);
    af_kv ctx[] = {AF_KS("flow_id", "f"), AF_KS("run_id", "r"),    AF_KS("job_id", "j"),
                   AF_KS("step_id", "s"), AF_KS("step_type", "t"), {0}};
    af_kv fields[] = {AF_KS("status", "SUCCESS"), AF_KI("duration_ms", 3), {0}};
    int64_t before = af__now_ms();
    af__log_event(&lg, AF_INFO, "step_end", ctx, fields);
    const char *out = cap_read(f);
    /* 2026-11-22T01:02:03.456Z then the rest, exactly */
    T_CHECK(strlen(out) > 25 && out[4] == '-' && out[10] == 'T' && out[19] == '.' &&
            out[23] == 'Z' && out[24] == ' ');
    T_STREQ(out + 25, "INFO step_end flow_id=f run_id=r job_id=j step_id=s step_type=t "
                      "status=SUCCESS duration_ms=3\n");
    /* the timestamp is the wall clock: between the ones before and after */
    char ts0[32], ts1[32];
    af__iso8601(before, ts0);
    af__iso8601(af__now_ms(), ts1);
    T_CHECK(strncmp(out, ts0, 24) >= 0 && strncmp(out, ts1, 24) <= 0);
    af_arena_free(a);
}

static void test_text_quoting(void)
{
    struct {
        const char *in, *want;
    } cases[] = {
        {"plain", "plain"},
        {"", "\"\""},
        {"a b", "\"a b\""},
        {"say \"hi\"", "\"say \\\"hi\\\"\""},
        {"k=v", "\"k=v\""},
        {"line1\nline2", "\"line1\\nline2\""},
        {"cr\rlf", "\"cr\\rlf\""},
        {"tab\there", "\"tab\\there\""},
        {"bell\x07", "\"bell\\x07\""},
        {"del\x7f", "\"del\\x7f\""},
        {"C:\\dir\\file", "C:\\dir\\file"}, /* bare: no escapes outside quotes */
        {"a \\ b", "\"a \\\\ b\""},         /* quoted: backslash escaped */
        {"héllo wörld", "\"héllo wörld\""}, /* UTF-8 kept */
        {"naïve", "naïve"},
        {"/path/with spaces/x.csv", "\"/path/with spaces/x.csv\""},
    };
    af_arena *a = af_arena_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        af__log lg = make_log(a, "text", NULL);
        FILE *f = cap_open(&lg);
        af_kv fields[] = {AF_KS("v", cases[i].in), AF_KS("after", "x"), {0}};
        af__log_event(&lg, AF_WARNING, "ev", NULL, fields);
        const char *out = cap_read(f);
        char want[512];
        snprintf(want, sizeof want, "WARNING ev v=%s after=x\n", cases[i].want);
        T_STREQ(out + 25, want);
        parsed p;
        parse_text(out, &p);
        T_INTEQ(p.bad, 0);
        T_STREQ(pval(&p, "v"), cases[i].in);
        T_STREQ(pval(&p, "after"), "x");
    }
    af_arena_free(a);
}

/* Every control character, in any position, stays inside one line. */
static void test_text_control_chars(void)
{
    af_arena *a = af_arena_new();
    af__log lg = make_log(a, NULL, NULL);
    FILE *f = cap_open(&lg);
    char all[160];
    int k = 0;
    for (int c = 1; c < 0x20; c++) {
        all[k++] = (char)c;
        all[k++] = 'x';
    }
    all[k++] = 0x7f;
    all[k] = 0;
    af_kv fields[] = {AF_KS("v", all), {0}};
    af__log_event(&lg, AF_INFO, "ev", NULL, fields);
    const char *out = cap_read(f);
    size_t n = strlen(out);
    int raw = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) raw++;
    T_INTEQ(raw, 0);
    T_CHECK(out[n - 1] == '\n');
    parsed p;
    parse_text(out, &p);
    T_INTEQ(p.bad, 0);
    T_STREQ(pval(&p, "v"), all);
    af_arena_free(a);
}

static void test_text_values(void)
{
    af_arena *a = af_arena_new();
    af__log lg = make_log(a, NULL, NULL);
    FILE *f = cap_open(&lg);
    af_value *m = af_map(a), *l = af_list(a);
    af_list_push(a, l, af_bool(1));
    af_list_push(a, l, af_null());
    af_list_push(a, l, af_str(a, "it's"));
    af_map_set(a, m, "a", af_int(a, 1));
    af_map_set(a, m, "b", l);
    af_kv fields[] = {AF_KVAL("m", m),
                      AF_KVAL("s", af_str(a, "bare")),
                      AF_KVAL("d", af_double(a, 1.0)),
                      AF_KVAL("n", NULL),
                      AF_KI("neg", -42),
                      AF_KS("nul", NULL),
                      {0}};
    af__log_event(&lg, AF_ERROR, "values", NULL, fields);
    const char *out = cap_read(f);
    T_STREQ(out + 25, "ERROR values m=\"{'a': 1, 'b': [True, None, \\\"it's\\\"]}\" s=bare d=1.0 "
                      "n=None neg=-42 nul=\"\"\n");
    parsed p;
    parse_text(out, &p);
    T_INTEQ(p.bad, 0);
    T_STREQ(pval(&p, "m"), "{'a': 1, 'b': [True, None, \"it's\"]}");
    af_arena_free(a);
}

static void test_ctx_and_fields(void)
{
    af_arena *a = af_arena_new();
    af__log lg = make_log(a, NULL, NULL);
    FILE *f = cap_open(&lg);
    af_kv ctx[] = {AF_KS("job_id", "j"), AF_KS("step_id", "s"), {0}};
    af_kv fields[] = {AF_KS("step_id", "override"), {0}};
    af__log_event(&lg, AF_INFO, "e1", ctx, fields);
    af__log_event(&lg, AF_INFO, "e2", NULL, NULL);
    af__log_event(&lg, AF_INFO, "e3", ctx, NULL);
    af__log_event(&lg, AF_INFO, "bad key", NULL, (af_kv[]){AF_KS("a b=c", "v"), {0}});
    const char *out = cap_read(f);
    const char *l2 = strchr(out, '\n') + 1, *l3 = strchr(l2, '\n') + 1, *l4 = strchr(l3, '\n') + 1;
    T_CHECK(strncmp(out + 25, "INFO e1 job_id=j step_id=override\n", 34) == 0);
    T_CHECK(strncmp(l2 + 25, "INFO e2\n", 8) == 0);
    T_CHECK(strncmp(l3 + 25, "INFO e3 job_id=j step_id=s\n", 27) == 0);
    T_STREQ(l4 + 25, "INFO bad_key a_b_c=v\n");
    af_arena_free(a);
}

/* ---- JSON ----------------------------------------------------------------- */

static void test_json_line(void)
{
    af_arena *a = af_arena_new();
    af__log lg = make_log(a, " JSON ", NULL);
    T_INTEQ(lg.json, 1);
    FILE *f = cap_open(&lg);
    af_value *m = af_map(a), *l = af_list(a);
    af_list_push(a, l, af_double(a, 0.5));
    af_list_push(a, l, af_str(a, "ü\n"));
    af_map_set(a, m, "k", l);
    af_kv ctx[] = {AF_KS("flow_id", "f"), AF_KS("run_id", "r"), {0}};
    af_kv fields[] = {AF_KS("status", "SUCCESS"),
                      AF_KI("duration_ms", 3),
                      AF_KVAL("outputs", m),
                      AF_KS("msg", "a \"q\"\nb\tc\x01"),
                      AF_KS("none", NULL),
                      AF_KVAL("nv", NULL),
                      {0}};
    int64_t before = af__now_ms();
    af__log_event(&lg, AF_INFO, "step_end", ctx, fields);
    int64_t after = af__now_ms();
    const char *out = cap_read(f);
    size_t n = strlen(out);
    T_CHECK(n > 0 && out[n - 1] == '\n' && strchr(out, '\n') == out + n - 1);
    T_CHECK(strncmp(out, "{\"ts_ms\": ", 10) == 0);
    /* key order and Python's json.dumps separators */
    const char *tail = strstr(out, ", \"level\"");
    T_STREQ(tail, ", \"level\": \"INFO\", \"event\": \"step_end\", \"flow_id\": \"f\", \"run_id\": "
                  "\"r\", \"status\": \"SUCCESS\", \"duration_ms\": 3, \"outputs\": {\"k\": "
                  "[0.5, \"ü\\n\"]}, \"msg\": \"a \\\"q\\\"\\nb\\tc\\u0001\", \"none\": null, "
                  "\"nv\": null}\n");
    af_value *doc = NULL;
    char err[256];
    T_INTEQ(af_json_parse(a, out, n, &doc, err, sizeof err), 0);
    if (doc) {
        af_value *ts = af_map_get(doc, "ts_ms");
        T_CHECK(ts && ts->type == AF_INT && ts->u.i >= before && ts->u.i <= after);
        T_STREQ(af_map_get(doc, "msg")->u.s.ptr, "a \"q\"\nb\tc\x01");
        T_CHECK(af_value_equal(af_map_get(doc, "outputs"), m));
    }
    af_arena_free(a);
}

/* ---- levels and settings -------------------------------------------------- */

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static const char *emit_all(af_arena *a, const char *level)
{
    af__log lg = make_log(a, NULL, level);
    FILE *f = cap_open(&lg);
    af__log_event(&lg, AF_DEBUG, "d", NULL, NULL);
    af__log_event(&lg, AF_INFO, "i", NULL, NULL);
    af__log_event(&lg, AF_WARNING, "w", NULL, NULL);
    af__log_event(&lg, AF_ERROR, "e", NULL, NULL);
    return cap_read(f);
}

static void test_levels(void)
{
    af_arena *a = af_arena_new();
    struct {
        const char *setting;
        int lines;
        const char *first;
    } cases[] = {
        {NULL, 3, "INFO i"},     {"INFO", 3, "INFO i"},       {"DEBUG", 4, "DEBUG d"},
        {"debug", 4, "DEBUG d"}, {"WARNING", 2, "WARNING w"}, {"warn", 2, "WARNING w"},
        {"ERROR", 1, "ERROR e"}, {" error\n", 1, "ERROR e"},  {"30", 2, "WARNING w"},
        {"10", 4, "DEBUG d"},    {"CRITICAL", 0, NULL},       {"bogus", 3, "INFO i"},
        {"", 3, "INFO i"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *out = emit_all(a, cases[i].setting);
        T_INTEQ(count_lines(out), cases[i].lines);
        if (cases[i].first) {
            T_CHECK(strlen(out) > 25 &&
                    strncmp(out + 25, cases[i].first, strlen(cases[i].first)) == 0);
        }
    }
    af__log lg = make_log(a, "text", NULL);
    T_INTEQ(lg.json, 0);
    T_INTEQ(lg.level, AF_INFO);
    T_CHECK(lg.out == stderr);
    lg = make_log(a, "yaml", "WARNING");
    T_INTEQ(lg.json, 0);
    T_INTEQ(lg.level, AF_WARNING);
    af__log_init(&lg, NULL);
    T_INTEQ(lg.json, 0);
    T_INTEQ(lg.level, AF_INFO);
    af_arena_free(a);
}

/* A NULL logger writes text at INFO to stderr. */
static void test_default_logger(void)
{
    FILE *f = tmpfile();
    int saved = dup(2);
    dup2(fileno(f), 2);
    af__log_event(NULL, AF_DEBUG, "hidden", NULL, NULL);
    af__log_event(NULL, AF_INFO, "shown", NULL, (af_kv[]){AF_KI("n", 1), {0}});
    dup2(saved, 2);
    close(saved);
    const char *out = cap_read(f);
    T_INTEQ(count_lines(out), 1);
    T_STREQ(out + 25, "INFO shown n=1\n");
}

/* ---- concurrency ---------------------------------------------------------- */

/* Children log long lines at once into one pipe (lines under PIPE_BUF) and
 * one O_APPEND file (lines far over it); every line must come out whole. */
static void run_writers(int fd, size_t linelen, int json)
{
    enum { NPROC = 4, NLINES = 200 };
    pid_t pids[NPROC];
    for (int p = 0; p < NPROC; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            af_arena *a = af_arena_new();
            af__log lg = make_log(a, json ? "json" : "text", NULL);
            lg.out = fdopen(fd, "a");
            char *payload = malloc(linelen + 1);
            memset(payload, 'a' + p, linelen);
            payload[linelen / 2] = ' ';
            payload[linelen] = 0;
            for (int i = 0; i < NLINES; i++) {
                af_kv fields[] = {AF_KI("proc", p), AF_KI("i", i), AF_KS("payload", payload), {0}};
                af__log_event(&lg, AF_INFO, "load", NULL, fields);
            }
            _exit(0);
        }
    }
    for (int p = 0; p < NPROC; p++)
        waitpid(pids[p], NULL, 0);
}

static int check_lines(const char *data, size_t len, size_t linelen, int json, int want)
{
    int good = 0, bad = 0;
    af_arena *a = af_arena_new();
    const char *s = data, *end = data + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl) {
            bad++;
            break;
        }
        size_t n = (size_t)(nl - s) + 1;
        int ok = 0;
        if (json) {
            af_value *v;
            char err[128];
            if (af_json_parse(a, s, n, &v, err, sizeof err) == 0) {
                af_value *pl = af_map_get(v, "payload");
                ok = pl && pl->type == AF_STR && pl->u.s.len == linelen;
                if (ok) {
                    char c = pl->u.s.ptr[0];
                    for (size_t i = 0; i < linelen; i++)
                        if (i != linelen / 2 && pl->u.s.ptr[i] != c) ok = 0;
                }
            }
        } else {
            char *line = strndup(s, n);
            parsed *p = malloc(sizeof *p);
            if (n < 4000) { /* parser's value buffer */
                parse_text(line, p);
                const char *pl = pval(p, "payload");
                ok = !p->bad && pl && strlen(pl) == linelen;
            }
            free(p);
            free(line);
        }
        if (ok)
            good++;
        else
            bad++;
        s = nl + 1;
    }
    af_arena_free(a);
    if (bad) printf("#   %d broken lines\n", bad);
    return good == want && bad == 0;
}

static void test_no_interleaving(void)
{
    /* pipe, text, ~3.5 KB lines */
    int pfd[2];
    T_CHECK(pipe(pfd) == 0);
    pid_t reader = fork();
    if (reader == 0) {
        close(pfd[1]);
        static char buf[8 << 20];
        size_t n = 0;
        ssize_t r;
        while ((r = read(pfd[0], buf + n, sizeof buf - n)) > 0)
            n += (size_t)r;
        _exit(check_lines(buf, n, 3500, 0, 800) ? 0 : 1);
    }
    close(pfd[0]);
    run_writers(pfd[1], 3500, 0);
    close(pfd[1]);
    int status = 0;
    waitpid(reader, &status, 0);
    T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* O_APPEND file, JSON, 20 KB lines */
    char path[] = "/tmp/afc-test-log-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    fd = open(path, O_WRONLY | O_APPEND);
    run_writers(fd, 20000, 1);
    close(fd);
    FILE *f = fopen(path, "r");
    static char big[32 << 20];
    size_t n = fread(big, 1, sizeof big, f);
    fclose(f);
    unlink(path);
    T_CHECK(check_lines(big, n, 20000, 1, 800));
}

int main(void)
{
    T_RUN(test_text_line);
    T_RUN(test_text_quoting);
    T_RUN(test_text_control_chars);
    T_RUN(test_text_values);
    T_RUN(test_ctx_and_fields);
    T_RUN(test_json_line);
    T_RUN(test_levels);
    T_RUN(test_default_logger);
    T_RUN(test_no_interleaving);
    T_END();
}
