#include <af.h>

int checksum(const char *s);

static af_status run(af_step *s)
{
    return checksum(af_step_id(s)) ? AF_SUCCESS : af_fail(s, "bad checksum");
}

const af_step_desc af_step_verify = {.abi = AF_ABI_VERSION, .name = "verify", .run = run};
