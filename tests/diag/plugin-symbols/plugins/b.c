#include <af.h>

static af_status run(af_step *s) { return AF_SUCCESS; }

const af_step_desc af_step_twin2 = {.abi = AF_ABI_VERSION, .name = "twin", .run = run};
const af_step_desc af_step_with_lock = {.abi = AF_ABI_VERSION, .name = "locky", .run = run};

int main(void) { return 0; }
