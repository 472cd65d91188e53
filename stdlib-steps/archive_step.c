/*
 * archive_step.c - what the zip and unzip steps share on top of the step
 * API: finding the archive connector (the reference's resolution order,
 * enterprise rules) and reading the password input.
 */
#include "archive_int.h"

#include <string.h>

static int in_list(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (!strcmp(*list, name)) return 1;
    return 0;
}

af_conn *af__arc_resolve(af_step *s, int have_password)
{
    const char *res = NULL;
    af_conn *c;
    if (af_in_str(s, "resource", NULL, &res)) return NULL;
    if (!res || !*res) {
        if (af_in_str(s, "connector", NULL, &res)) return NULL;
    }
    if ((!res || !*res) && af_has_resource(s, "archive_default")) res = "archive_default";
    if (res && *res) {
        if (!(c = af_connector(s, res, "archive"))) return NULL;
        const af_driver *d = af_conn_driver(c);
        const char *const *allow = af_zip_drivers(s);
        if (af_enterprise(s) && allow && !in_list(allow, d->name)) {
            af_fail(s,
                    "enterprise mode: archive driver '%s' of resource '%s' is not in the "
                    "manifest's zip_drivers",
                    d->name, res);
            return NULL;
        }
        if (!d->ops) {
            af_fail(s, "resource '%s': driver '%s' has no archive primitives", res, d->name);
            return NULL;
        }
        return c;
    }
    if (af_enterprise(s)) {
        af_fail(s, "enterprise mode: zip and unzip need a declared archive resource "
                   "(inputs.resource, or a resource named archive_default)");
        return NULL;
    }
    af_arena *a = af_arena_of(s);
    return af_connector_adhoc(
        s, have_password ? &af_driver_archive_pyzipper : &af_driver_archive_zipfile, af_map(a),
        af_map(a));
}

int af__arc_password(af_step *s, const char **out)
{
    const af_value *v = af_in(s, "password");
    *out = NULL;
    if (!v || !af_truthy(v)) return 0;
    return af_in_str(s, "password", NULL, out);
}
