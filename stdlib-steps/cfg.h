/*
 * cfg.h - typed reads of a connector's resolved config and options maps,
 * for the drivers in stdlib-steps/ (mail_smtp.c, mail_file.c, rest_curl.c).
 * Internal: not installed.
 *
 * Values arrive rendered from templates, so numbers and booleans are often
 * strings ("2525", "false"); these readers coerce them the way the step
 * input readers of af.h do. Each returns 0 (value or default stored) or -1
 * with a message naming the key in err. Values are never quoted in
 * messages: a config may hold secrets.
 */
#ifndef AF_CFG_H
#define AF_CFG_H

#include "af.h"

#include <stdio.h>
#include <string.h>

/* The value at a dotted path ("retry.max_attempts") in map m; NULL when
 * absent or null. */
static inline const af_value *cfg_get(const af_value *m, const char *path)
{
    char key[128];
    while (m && m->type == AF_MAP) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof key) return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        m = af_map_get(m, key);
        if (!dot) return m && m->type != AF_NULL ? m : NULL;
        path = dot + 1;
    }
    return NULL;
}

/* Strings as given; numbers and booleans as Python's str() writes them. */
static inline int cfg_str(af_arena *a, const af_value *m, const char *what, const char *key,
                          const char *def, const char **out, char *err, size_t errlen)
{
    const af_value *v = cfg_get(m, key);
    *out = def;
    if (!v) return 0;
    if (v->type == AF_STR) {
        *out = v->u.s.ptr;
        return 0;
    }
    if (v->type == AF_INT || v->type == AF_DOUBLE || v->type == AF_BOOL) {
        af_buf b = {0};
        af_py_str(&b, v);
        *out = af_strdup(a, af_buf_cstr(&b));
        af_buf_free(&b);
        return 0;
    }
    snprintf(err, errlen, "%s.%s: expected a string, got a %s", what, key, af_type_name(v->type));
    return -1;
}

/* Numbers, integers and booleans through af_to_double, af_to_int and
 * af_to_bool (af.h): the rules of the step input readers. */
static inline int cfg_double(const af_value *m, const char *what, const char *key, double def,
                             double *out, char *err, size_t errlen)
{
    const af_value *v = cfg_get(m, key);
    *out = def;
    if (!v || af_to_double(v, out) == 0) return 0;
    *out = def;
    snprintf(err, errlen, "%s.%s: expected a number", what, key);
    return -1;
}

static inline int cfg_int(const af_value *m, const char *what, const char *key, int64_t def,
                          int64_t *out, char *err, size_t errlen)
{
    const af_value *v = cfg_get(m, key);
    *out = def;
    if (!v || af_to_int(v, out) == 0) return 0;
    *out = def;
    snprintf(err, errlen, "%s.%s: expected an integer", what, key);
    return -1;
}

static inline int cfg_bool(const af_value *m, const char *what, const char *key, int def, int *out,
                           char *err, size_t errlen)
{
    const af_value *v = cfg_get(m, key);
    *out = def;
    if (!v || af_to_bool(v, out) == 0) return 0;
    *out = def;
    snprintf(err, errlen, "%s.%s: expected true or false", what, key);
    return -1;
}

/* Replaces every occurrence of secret (when it is long enough to be told
 * apart from ordinary words) in msg with "***", in place. */
static inline void cfg_redact(char *msg, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (n < 4) return;
    char *p;
    while ((p = strstr(msg, secret)) != NULL) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + n, strlen(p + n) + 1);
    }
}

#endif /* AF_CFG_H */
