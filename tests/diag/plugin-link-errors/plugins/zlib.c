#include <af.h>

static af_status run(af_step *s) { return AF_SUCCESS; }

const af_step_desc af_step_packer = {
    .abi = AF_ABI_VERSION, .name = "packer", .run = run, .libs = "-lafc_no_such_lib"};
