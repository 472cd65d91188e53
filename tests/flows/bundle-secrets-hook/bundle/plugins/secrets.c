/*
 * secrets.c - the secrets hooks of a bundle (afc-plugins(7)): decode is
 * ROT13, and a value starting with "bad" cannot be decoded (its message
 * names the value, which afc must scrub); expand_env derives KV_DIR for
 * the resources from KV_ROOT.
 */
#include <af.h>
#include <stdio.h>
#include <string.h>

int af_secrets_decode(af_arena *a, const char *in, const char **out, char *err, size_t errlen)
{
    if (!strncmp(in, "bad", 3)) {
        snprintf(err, errlen, "cannot decode '%s'", in);
        return -1;
    }
    char *s = af_strdup(a, in);
    for (char *p = s; *p; p++) {
        if (*p >= 'a' && *p <= 'z') *p = (char)('a' + (*p - 'a' + 13) % 26);
        else if (*p >= 'A' && *p <= 'Z') *p = (char)('A' + (*p - 'A' + 13) % 26);
    }
    *out = s;
    return 0;
}

int af_secrets_expand_env(af_arena *a, af_value *env, char *err, size_t errlen)
{
    const af_value *work = af_map_get(env, "KV_ROOT");
    if (!work || work->type != AF_STR) {
        snprintf(err, errlen, "KV_ROOT is not set");
        return -1;
    }
    af_map_set(a, env, "KV_DIR", af_str(a, af_sprintf(a, "%s/hook-kv", work->u.s.ptr)));
    return 0;
}
