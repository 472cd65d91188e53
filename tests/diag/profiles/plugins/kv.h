/* kv.h - a helper header of the test plugin: plugin headers are found
 * beside the plugin's sources. */
#include <af.h>

static const char *kv_shout(af_arena *a, const char *s, size_t n)
{
    char *out = af_strndup(a, s, n);
    for (char *p = out; *p; p++)
        if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
    return out;
}
