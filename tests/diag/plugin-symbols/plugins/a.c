#include <af.h>

int af_secrets_expand_env(af_arena *a, af_value *env, char *err, size_t errlen) { return 0; }
