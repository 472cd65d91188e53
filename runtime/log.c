/*
 * log.c - structured logging: one event per line on stderr.
 *
 * Every runtime module, step and connector logs through here (af_log,
 * af_conn_log and the executor end in af__log_event). A line is either
 * text, for people:
 *
 *   2026-11-22T01:02:03.456Z INFO step_end flow_id=f run_id=r status=SUCCESS
 *
 * or, with AETHERFLOW_LOG_FORMAT=json, one JSON object for machines:
 *
 *   {"ts_ms": 1795309323456, "level": "INFO", "event": "step_end", "flow_id": "f", ...}
 *
 * Text values are written bare unless they are empty or contain a space,
 * a double quote, '=' or a control character; then they are quoted, with
 * \" \\ \n \r \t and \xNN escapes inside the quotes. So a line never
 * contains a raw newline, and `key=value` pairs split unambiguously.
 *
 * A line is built in memory and written with one write(2): lines from
 * several processes (or threads) sharing stderr never interleave (pipes
 * guarantee it up to PIPE_BUF bytes, O_APPEND files for any size).
 */
#include "af_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Trimmed copy of an env value into out (empty when unset or not a string). */
static void env_word(const af_value *env, const char *key, char *out, size_t n)
{
    const af_value *v = env ? af_map_get(env, key) : NULL;
    out[0] = 0;
    if (!v || v->type != AF_STR) return;
    const char *s = v->u.s.ptr, *e = s + v->u.s.len;
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        e--;
    size_t len = (size_t)(e - s) < n - 1 ? (size_t)(e - s) : n - 1;
    memcpy(out, s, len);
    out[len] = 0;
}

/* Python logging's level names (WARN and FATAL too), or a number. */
static int parse_level(const char *s)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {{"DEBUG", AF_DEBUG},  {"INFO", AF_INFO},   {"WARNING", AF_WARNING},
                 {"WARN", AF_WARNING}, {"ERROR", AF_ERROR}, {"CRITICAL", 50},
                 {"FATAL", 50},        {"NOTSET", 0}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(s, names[i].name) == 0) return names[i].level;
    if (*s >= '0' && *s <= '9') {
        char *end;
        long v = strtol(s, &end, 10);
        if (*end == 0 && v >= 0 && v <= 100) return (int)v;
    }
    return AF_INFO;
}

void af__log_init(af__log *lg, const af_value *env)
{
    char w[32];
    lg->out = stderr;
    env_word(env, "AETHERFLOW_LOG_FORMAT", w, sizeof w);
    lg->json = strcasecmp(w, "json") == 0;
    env_word(env, "AETHERFLOW_LOG_LEVEL", w, sizeof w);
    lg->level = w[0] ? parse_level(w) : AF_INFO;
}

static const char *level_name(int lvl)
{
    if (lvl < AF_INFO) return "DEBUG";
    if (lvl < AF_WARNING) return "INFO";
    if (lvl < AF_ERROR) return "WARNING";
    return "ERROR";
}

static int needs_quotes(const char *s, size_t n)
{
    if (n == 0) return 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == '"' || c == '=' || c == 0x7f) return 1;
    }
    return 0;
}

/* A text-format value: bare, or quoted with escapes (see the file header). */
static void put_text_value(af_buf *b, const char *s, size_t n)
{
    if (!needs_quotes(s, n)) {
        af_buf_put(b, s, n);
        return;
    }
    af_buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
            run++;
            continue;
        }
        af_buf_put(b, s + i - run, run);
        run = 0;
        switch (c) {
        case '"':
            af_buf_puts(b, "\\\"");
            break;
        case '\\':
            af_buf_puts(b, "\\\\");
            break;
        case '\n':
            af_buf_puts(b, "\\n");
            break;
        case '\r':
            af_buf_puts(b, "\\r");
            break;
        case '\t':
            af_buf_puts(b, "\\t");
            break;
        default:
            af_buf_printf(b, "\\x%02x", c);
            break;
        }
    }
    af_buf_put(b, s + n - run, run);
    af_buf_putc(b, '"');
}

/* Keys and event names come from code, but a stray control character or
 * space must still not split the line or a pair. */
static void put_text_key(af_buf *b, const char *k)
{
    for (; *k; k++) {
        unsigned char c = (unsigned char)*k;
        af_buf_putc(b, (c <= ' ' || c == '=' || c == '"' || c == 0x7f) ? '_' : c);
    }
}

static void put_json_str(af_buf *b, const char *s, size_t n)
{
    af_value v = {.type = AF_STR};
    v.u.s.ptr = s;
    v.u.s.len = n;
    af_json_write(b, &v, 0);
}

static void put_field(af_buf *b, int json, const af_kv *kv, af_buf *tmp)
{
    if (json) {
        af_buf_puts(b, ", ");
        put_json_str(b, kv->key, strlen(kv->key));
        af_buf_puts(b, ": ");
        switch (kv->type) {
        case AF_KV_STR:
            if (kv->s)
                put_json_str(b, kv->s, strlen(kv->s));
            else
                af_buf_puts(b, "null");
            break;
        case AF_KV_INT:
            af_buf_printf(b, "%lld", (long long)kv->i);
            break;
        default:
            af_json_write(b, kv->v ? kv->v : af_null(), 0);
            break;
        }
        return;
    }
    af_buf_putc(b, ' ');
    put_text_key(b, kv->key);
    af_buf_putc(b, '=');
    switch (kv->type) {
    case AF_KV_STR:
        put_text_value(b, kv->s ? kv->s : "", kv->s ? strlen(kv->s) : 0);
        break;
    case AF_KV_INT:
        af_buf_printf(b, "%lld", (long long)kv->i);
        break;
    default:
        /* Python's str() of the value, as the reference's f"{k}={v}" */
        af_buf_reset(tmp);
        af_py_str(tmp, kv->v ? kv->v : af_null());
        put_text_value(b, af_buf_cstr(tmp), tmp->len);
        break;
    }
}

static int in_list(const af_kv *list, const char *key)
{
    for (; list && list->type != AF_KV_END; list++)
        if (list->key && strcmp(list->key, key) == 0) return 1;
    return 0;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* nowhere left to report it */
        p += w;
        n -= (size_t)w;
    }
}

void af__log_event(af__log *lg, af_level lvl, const char *event, const af_kv *ctx,
                   const af_kv *fields)
{
    af__log dflt = {.json = 0, .level = AF_INFO, .out = stderr};
    if (!lg) lg = &dflt;
    if ((int)lvl < lg->level) return;
    FILE *out = lg->out ? lg->out : stderr;
    af_buf b = {0}, tmp = {0};
    int64_t now = af__now_ms();
    if (!event) event = "";
    if (lg->json) {
        af_buf_printf(&b, "{\"ts_ms\": %lld, \"level\": \"%s\", \"event\": ", (long long)now,
                      level_name(lvl));
        put_json_str(&b, event, strlen(event));
    } else {
        char ts[32];
        af__iso8601(now, ts);
        af_buf_printf(&b, "%s %s ", ts, level_name(lvl));
        put_text_key(&b, event);
    }
    /* context first; a field with the same key replaces it */
    for (const af_kv *kv = ctx; kv && kv->type != AF_KV_END; kv++)
        if (kv->key && !in_list(fields, kv->key)) put_field(&b, lg->json, kv, &tmp);
    for (const af_kv *kv = fields; kv && kv->type != AF_KV_END; kv++)
        if (kv->key) put_field(&b, lg->json, kv, &tmp);
    af_buf_puts(&b, lg->json ? "}\n" : "\n");
    fflush(out); /* anything the FILE holds goes first */
    write_all(fileno(out), b.data, b.len);
    af_buf_free(&b);
    af_buf_free(&tmp);
}
