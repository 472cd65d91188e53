#include <af.h>

static af_status run(af_step *s)
{
    const char *name;
    if (af_in_str(s, "name", "world", &name) < 0) return AF_FAILED;
    af_out_set(s, "greeting", af_sprintf(af_arena_of(s), "hello %s", name))
    return AF_SUCCESS;
}
