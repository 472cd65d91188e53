/*
 * checkapi.c - the build-time check API of step descriptors (af.h
 * af_check_*). afc implements the reporting behind af__check_ops; the
 * functions live in the runtime so that step objects, which reference them
 * from their `check` hooks, also link into flow executables (where the
 * hooks are never called).
 */
#include "af_int.h"

#include <stdio.h>

static void report(af_check *c, int is_error, const char *path, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    c->ops->report(c, is_error, path, msg);
}

void af_check_error(af_check *c, const char *input_path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, 1, input_path, fmt, ap);
    va_end(ap);
}

void af_check_warning(af_check *c, const char *input_path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, 0, input_path, fmt, ap);
    va_end(ap);
}

int af_check_is_template(af_check *c, const af_value *v)
{
    return c->ops->is_template(c, v);
}
