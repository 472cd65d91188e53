/*
 * with_lock.c - the built-in `with_lock` step: runs one inner step while
 * holding a named lock in the state store, so overlapping runs (cron
 * firing twice, two hosts sharing one state database) cannot enter the
 * same critical section.
 *
 * Semantics of the reference implementation's WithLock: the lock is taken
 * first and the step fails at once with "Lock not acquired: KEY" when
 * someone else holds it (no waiting: the scheduler retries later); the
 * inner step's status and outputs become this step's; the lock is released
 * whatever the inner step does, failure included. The lock is owned by the
 * run, and its TTL bounds how long a crashed run can keep it.
 */
#include "af.h"

#include <stdint.h>

static af_status run(af_step *s)
{
    const char *key;
    int64_t ttl;
    if (af_in_str(s, "lock_key", NULL, &key) < 0) return AF_FAILED;
    if (!key) return af_fail(s, "with_lock needs inputs.lock_key");
    if (af_in_int(s, "ttl_seconds", 600, &ttl) < 0) return AF_FAILED;

    int got = af_lock_acquire(s, key, ttl);
    if (got < 0) return AF_FAILED; /* state store error, already recorded */
    if (got == 0) return af_fail(s, "Lock not acquired: %s", key);

    /* From here on every path goes through the release below. */
    af_status st;
    const af_value *inner = af_in(s, "step");
    const af_value *type = inner ? af_map_get(inner, "type") : NULL;
    const af_value *id = inner ? af_map_get(inner, "id") : NULL;
    const af_value *in = inner ? af_map_get(inner, "inputs") : NULL;
    if (!inner || inner->type != AF_MAP) {
        st = af_fail(s, "with_lock inputs.step must be a mapping with type, id and inputs");
    } else if (!type || type->type != AF_STR || !type->u.s.len) {
        st = af_fail(s, "with_lock inputs.step.type must name a step type");
    } else if (id && id->type != AF_NULL && id->type != AF_STR) {
        st = af_fail(s, "with_lock inputs.step.id must be a string");
    } else if (in && in->type != AF_NULL && in->type != AF_MAP) {
        st = af_fail(s, "with_lock inputs.step.inputs must be a mapping");
    } else {
        af_arena *a = af_arena_of(s);
        const char *inner_id =
            id && id->type == AF_STR ? id->u.s.ptr : af_sprintf(a, "%s_inner", af_step_id(s));
        const af_value *inner_in = in && in->type == AF_MAP ? in : af_map(a);
        st = af_run_nested(s, type->u.s.ptr, inner_id, inner_in);
    }
    af_lock_release(s, key);
    return st;
}

static const af_input inputs[] = {
    {"lock_key", AF_TY_STR, 1, NULL, NULL,
     "name of the lock: what is being protected (\"export:orders\"), not who runs"},
    {"ttl_seconds", AF_TY_NUMBER | AF_TY_NULL, 0, "600", NULL,
     "seconds after which a lock left by a crashed run expires; above the worst-case run time"},
    {"step", AF_TY_MAP, 1, NULL, NULL,
     "the inner step: type (required), id (default <this id>_inner), inputs"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

/* None of its own: the inner step's outputs are this step's (see help). */
static const af_output outputs[] = {
    {NULL, NULL, NULL},
};

const af_step_desc af_step_with_lock = {
    .abi = AF_ABI_VERSION,
    .name = "with_lock",
    .summary = "run one step while holding a named lock in the state store",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = NULL, /* the lock lives in the state store, not a connector */
    .flags = AF_STEP_NESTED_STEP,
    .run = run,
    .check = NULL, /* afc checks the nested step itself (AF_STEP_NESTED_STEP) */
    .libs = NULL,
    .help = "Takes the lock `lock_key` (owned by this run, expiring after `ttl_seconds`,\n"
            "default 600), runs the step given in `step`, and releases the lock whether the\n"
            "inner step succeeded, was skipped or failed. When another run holds the lock\n"
            "the step fails at once with \"Lock not acquired: KEY\": it does not wait.\n"
            "The inner step's status and outputs are this step's.",
};
