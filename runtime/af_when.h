/*
 * af_when.h - the evaluation context of compiled `when` functions (runtime
 * internal; the generated code sees only the opaque af_when of af.h).
 */
#ifndef AF_WHEN_H
#define AF_WHEN_H

#include "af_int.h"

struct af_when {
    af__run *run;
    const char *job_id; /* the gated job */
    af_buf error;       /* set when evaluation failed */
};

#endif
