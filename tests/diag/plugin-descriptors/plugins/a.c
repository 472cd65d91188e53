#include <af.h>

static af_status run(af_step *s) { return AF_SUCCESS; }

const af_step_desc af_step_norun = {.abi = AF_ABI_VERSION, .name = "norun"};
const af_step_desc af_step_mine = {.abi = AF_ABI_VERSION, .name = "check_items", .run = run};
const af_step_desc af_step_old = {.abi = 0, .name = "old", .run = run};
const af_step_desc af_step_twin1 = {.abi = AF_ABI_VERSION, .name = "twin", .run = run};
const af_driver af_driver_nokind = {.abi = AF_ABI_VERSION, .name = "x"};

