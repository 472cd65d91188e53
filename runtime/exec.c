/*
 * exec.c - the executor: the reference's run loop and statuses.
 *
 * Jobs run in file order. A dependency that did not end SUCCESS makes a job
 * BLOCKED; a false `when` makes it SKIPPED; a step that reports SKIPPED with
 * `on_no_data: skip_job` short-circuits the rest of its job, which then ends
 * SKIPPED. Declared step outputs are promoted to job outputs. The run stops
 * at the first failed job (exit 1) unless --keep-going. Every step end is one
 * state transaction (status, outputs, promoted job outputs, timing), so a run
 * killed at any point resumes with the same --run-id: finished steps are not
 * run again and their outputs come back from the state store.
 */
#include "af_int.h"
#include "af_when.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- per-job state ----------------------------------------------------------------- */

typedef struct jobrun {
    const af_job_def *def;
    af_value *steps;     /* template root `steps`: step_id -> outputs (run arena) */
    af_value *outputs;   /* job outputs (run arena) */
    af_value *job_scope; /* {id, outputs} */
    const char *dir, *artifacts, *scratch, *manifests;
    int64_t t0;
} jobrun;

static af_value *scope_for(af__run *r, jobrun *j, af_arena *a, const af_value *result)
{
    af_value *sc = af_map(a);
    af_map_set(a, sc, "env", r->env);
    af_map_set(a, sc, "steps", j->steps);
    af_map_set(a, sc, "job", j->job_scope);
    af_map_set(a, sc, "run_id", af_str(a, r->run_id));
    af_map_set(a, sc, "flow_id", af_str(a, r->flow_id));
    af_map_set(a, sc, "result", result ? (af_value *)result : af_map(a));
    af_map_set(a, sc, "jobs", r->jobs);
    return sc;
}

static void log_run(af__run *r, af_level lvl, const char *event, const af_kv *fields)
{
    af_kv ctx[] = {AF_KS("flow_id", r->flow_id), AF_KS("run_id", r->run_id), {0}};
    af__log_event(&r->log, lvl, event, ctx, fields);
}

static void log_job(af__run *r, const char *job_id, af_level lvl, const char *event,
                    const af_kv *fields)
{
    af_kv ctx[] = {AF_KS("flow_id", r->flow_id), AF_KS("run_id", r->run_id),
                   AF_KS("job_id", job_id), {0}};
    af__log_event(&r->log, lvl, event, ctx, fields);
}

static void set_job_result(af__run *r, const char *job_id, const char *status, af_value *outputs,
                           const char *skip_reason, const char *skip_trigger)
{
    af_arena *a = r->arena;
    af_value *m = af_map(a);
    af_map_set(a, m, "status", af_str(a, status));
    af_map_set(a, m, "outputs", outputs ? outputs : af_map(a));
    if (skip_reason) af_map_set(a, m, "skip_reason", af_str(a, skip_reason));
    if (skip_trigger) af_map_set(a, m, "skip_trigger", af_str(a, skip_trigger));
    af_map_set(a, r->jobs, job_id, m);
}

static int state_job(af__run *r, const char *job_id, const char *status)
{
    char err[512];
    if (af__state_job_set(r->state, job_id, r->run_id, status, err, sizeof err) < 0) {
        af_kv f[] = {AF_KS("error", err), {0}};
        log_job(r, job_id, AF_ERROR, "state_error", f);
        return -1;
    }
    return 0;
}

/* A failure line a person reads first: gcc style, naming the step and where
 * it is in the YAML. In JSON mode the step_failed event carries the same. */
static void report_failure(af__run *r, af_loc loc, const char *step_id, const char *type,
                           const char *msg)
{
    if (r->log.json) return;
    char line[8192];
    snprintf(line, sizeof line, "%s:%d:%d: step '%s' (%s): error: %s\n", loc.file ? loc.file : "?",
             loc.line, loc.col, step_id, type, msg);
    fputs(line, r->log.out);
    fflush(r->log.out);
}

/* ---- one step ------------------------------------------------------------------------- */

typedef enum { STEP_OK, STEP_SKIP, STEP_FAIL } step_end;

static int mkjobdirs(af__run *r, jobrun *j, char *err, size_t errlen)
{
    af_arena *a = r->arena;
    /* pathlib joins, as the reference builds them */
    j->dir = af__path_pure(
        a, af_sprintf(a, "%s/%s/%s/%s", r->work_root, r->flow_id, j->def->id, r->run_id));
    j->artifacts = af__path_join(a, j->dir, r->layout_artifacts);
    j->scratch = af__path_join(a, j->dir, r->layout_scratch);
    j->manifests = af__path_join(a, j->dir, r->layout_manifests);
    const char *dirs[] = {j->artifacts, j->scratch, j->manifests};
    for (int i = 0; i < 3; i++)
        if (af_mkdirs(dirs[i], 0755) < 0)
            return af__err(err, errlen, "cannot create %s: %s", dirs[i], strerror(errno));
    return 0;
}

static step_end run_step(af__run *r, jobrun *j, const af_step_def *sd, af_arena *sa,
                         const char **skip_reason)
{
    const char *job_id = j->def->id;
    af_step s = {0};
    s.run = r;
    s.def = sd;
    s.desc = sd->desc;
    s.id = sd->id;
    s.type = sd->type;
    s.job_id = job_id;
    s.loc = sd->loc;
    s.arena = sa;
    s.job_dir = j->dir;
    s.artifacts = j->artifacts;
    s.scratch = j->scratch;
    s.manifests = j->manifests;
    s.out = af_map(sa);

    af_kv ctx[] = {AF_KS("flow_id", r->flow_id), AF_KS("run_id", r->run_id), AF_KS("job_id", job_id),
                   AF_KS("step_id", sd->id), AF_KS("step_type", sd->type), {0}};
    int64_t t0 = af__now_ms();
    double m0 = af__mono();
    af__step_row row = {0};
    row.job_id = job_id;
    row.step_id = sd->id;
    row.step_type = sd->type;
    row.started_ms = t0;
    row.attempt = 1;
    char err[1024];

    /* inputs: rendered now, against what earlier steps produced */
    af_value *scope = scope_for(r, j, sa, NULL);
    af_value *inputs;
    const char *missing = NULL;
    af_status st;
    if (af_cval_render(sa, sd->inputs, scope, &inputs, &missing, err, sizeof err) < 0) {
        af_fail(&s, "inputs: %s", err);
        st = AF_FAILED;
    } else {
        s.inputs = inputs;
        af__log_event(&r->log, AF_INFO, "step_start", ctx, NULL);
        if (af__state_step_start(r->state, r->run_id, &row, err, sizeof err) < 0) {
            af_fail(&s, "state store: %s", err);
            st = AF_FAILED;
        } else if (af__validate_inputs(&s, sd->desc, inputs) < 0) {
            st = AF_FAILED;
        } else {
            st = sd->desc->run(&s);
            if (s.failed) st = AF_FAILED;
            if (st == AF_FAILED && !s.failed) af_fail(&s, "the step failed without a message");
        }
    }

    af_value *promoted = NULL;
    int promote_failed = 0;
    if (st != AF_FAILED && sd->outputs) {
        /* promote declared outputs to job outputs, with result = this step's outputs */
        af_value *sc = scope_for(r, j, sa, s.out);
        af_map_set(r->arena, j->steps, sd->id, s.out); /* steps.<self> under outputs: */
        if (af_cval_render(sa, sd->outputs, sc, &promoted, &missing, err, sizeof err) < 0) {
            /* The reference records the step finished before it promotes, so
             * the step stays done (a resume does not run it again, and has no
             * promoted outputs to restore) while the job fails. */
            af_fail(&s, "outputs: %s", err);
            promoted = NULL;
            promote_failed = 1;
        }
    }
    int64_t dur = (int64_t)((af__mono() - m0) * 1000);
    row.ended_ms = af__now_ms();

    if (st == AF_FAILED) {
        row.status = "FAILED";
        row.error = af_buf_cstr(&s.error);
        af_map_del(j->steps, sd->id);
        if (af__state_step_end(r->state, r->run_id, &row, err, sizeof err) < 0) {
            af_kv f[] = {AF_KS("error", err), {0}};
            af__log_event(&r->log, AF_ERROR, "state_error", ctx, f);
        }
        char *where = af_sprintf(sa, "%s:%d:%d", sd->loc.file, sd->loc.line, sd->loc.col);
        af_kv f[] = {AF_KS("status", "FAILED"), AF_KI("duration_ms", dur), AF_KS("location", where),
                     AF_KS("error", af_buf_cstr(&s.error)), {0}};
        af__log_event(&r->log, AF_ERROR, "step_end", ctx, f);
        report_failure(r, sd->loc, sd->id, sd->type, af_buf_cstr(&s.error));
        af_buf_free(&s.error);
        return STEP_FAIL;
    }

    /* keep the outputs beyond the step arena */
    af_value *outs = af_value_copy(r->arena, s.out);
    af_map_set(r->arena, j->steps, sd->id, outs);
    if (promoted)
        for (size_t i = 0; i < promoted->u.map.n; i++)
            af_map_set(r->arena, j->outputs, promoted->u.map.pairs[i].key,
                       af_value_copy(r->arena, promoted->u.map.pairs[i].val));
    row.status = st == AF_SKIPPED ? "SKIPPED" : "SUCCESS";
    row.outputs_json = af_json_str(sa, outs, AF_JSON_COMPACT);
    row.promoted_json = promoted ? af_json_str(sa, promoted, AF_JSON_COMPACT) : NULL;
    row.error = promote_failed ? af_buf_cstr(&s.error) : NULL;
    if (af__state_step_end(r->state, r->run_id, &row, err, sizeof err) < 0) {
        /* without the commit a resume would run the step again: fail loudly */
        af_buf_reset(&s.error);
        af_fail(&s, "state store: %s", err);
        report_failure(r, sd->loc, sd->id, sd->type, af_buf_cstr(&s.error));
        af_buf_free(&s.error);
        return STEP_FAIL;
    }
    if (promote_failed) {
        char *where = af_sprintf(sa, "%s:%d:%d", sd->loc.file, sd->loc.line, sd->loc.col);
        af_kv f[] = {AF_KS("status", row.status),
                     AF_KI("duration_ms", dur),
                     AF_KS("location", where),
                     AF_KS("error", af_buf_cstr(&s.error)),
                     {0}};
        af__log_event(&r->log, AF_ERROR, "step_end", ctx, f);
        report_failure(r, sd->loc, sd->id, sd->type, af_buf_cstr(&s.error));
        af_buf_free(&s.error);
        return STEP_FAIL;
    }
    af_kv f[] = {AF_KS("status", row.status), AF_KI("duration_ms", dur), {0}};
    af__log_event(&r->log, AF_INFO, "step_end", ctx, f);
    af_buf_free(&s.error);
    if (st == AF_SKIPPED) {
        const af_value *reason = af_map_get(outs, "reason");
        *skip_reason = reason && reason->type == AF_STR ? reason->u.s.ptr : "step requested skip_job";
        return STEP_SKIP;
    }
    return STEP_OK;
}

/* ---- one job ---------------------------------------------------------------------------- */

typedef struct summary {
    af_value *jobs;  /* list of {job_id, status, duration_ms, skip_reason, steps: [...]} */
    af_value *counts;
} summary;

static void count(af__run *r, summary *sm, const char *status)
{
    af_value *c = af_map_get(sm->counts, status);
    af_map_set(r->arena, sm->counts, status, af_int(r->arena, c ? c->u.i + 1 : 1));
}

static af_value *job_summary(af__run *r, summary *sm, const char *job_id)
{
    af_arena *a = r->arena;
    af_value *m = af_map(a);
    af_map_set(a, m, "job_id", af_str(a, job_id));
    af_map_set(a, m, "status", af_str(a, "RUNNING"));
    af_map_set(a, m, "duration_ms", af_int(a, 0));
    af_map_set(a, m, "skip_reason", af_null());
    af_map_set(a, m, "steps", af_list(a));
    af_list_push(a, sm->jobs, m);
    return m;
}

/* Returns the job's final status. */
static const char *run_job(af__run *r, const af_job_def *jd, summary *sm, af_arena *sa)
{
    af_arena *a = r->arena;
    jobrun j = {0};
    j.def = jd;
    j.steps = af_map(a);
    j.outputs = af_map(a);
    j.job_scope = af_map(a);
    af_map_set(a, j.job_scope, "id", af_str(a, jd->id));
    af_map_set(a, j.job_scope, "outputs", j.outputs);
    af_value *js = job_summary(r, sm, jd->id);
    double m0 = af__mono();
    char err[1024];

    state_job(r, jd->id, "RUNNING");
    log_job(r, jd->id, AF_INFO, "job_start", NULL);
    if (mkjobdirs(r, &j, err, sizeof err) < 0) {
        af_kv f[] = {AF_KS("error", err), {0}};
        log_job(r, jd->id, AF_ERROR, "job_error", f);
        if (!r->log.json) fprintf(r->log.out, "%s:%d:%d: job '%s': error: %s\n", jd->loc.file,
                                  jd->loc.line, jd->loc.col, jd->id, err);
        state_job(r, jd->id, "FAILED");
        set_job_result(r, jd->id, "FAILED", j.outputs, NULL, NULL);
        af_map_set(a, js, "status", af_str(a, "FAILED"));
        return "FAILED";
    }

    int skip_rest = 0, failed = 0;
    const char *skip_reason = NULL;
    for (unsigned i = 0; i < jd->nsteps && !failed; i++) {
        const af_step_def *sd = &jd->steps[i];
        af_value *ss = af_map(a);
        af_map_set(a, ss, "step_id", af_str(a, sd->id));
        af_map_set(a, ss, "step_type", af_str(a, sd->type));
        af_list_push(a, af_map_get(js, "steps"), ss);
        if (skip_rest) {
            af__step_row row = {0};
            row.job_id = jd->id;
            row.step_id = sd->id;
            row.step_type = sd->type;
            row.status = "SKIPPED";
            row.started_ms = row.ended_ms = af__now_ms();
            af_value *o = af_map(a);
            af_map_set(a, o, "skipped", af_bool(1));
            af_map_set(a, o, "reason", af_str(a, skip_reason));
            row.outputs_json = af_json_str(a, o, AF_JSON_COMPACT);
            af_map_set(a, j.steps, sd->id, o);
            if (af__state_step_end(r->state, r->run_id, &row, err, sizeof err) < 0) {
                af_kv f[] = {AF_KS("error", err), {0}};
                log_job(r, jd->id, AF_ERROR, "state_error", f);
            }
            af_kv f[] = {AF_KS("step_id", sd->id), AF_KS("reason", skip_reason), {0}};
            log_job(r, jd->id, AF_INFO, "step_skipped", f);
            af_map_set(a, ss, "status", af_str(a, "SKIPPED"));
            af_map_set(a, ss, "duration_ms", af_int(a, 0));
            continue;
        }
        /* resume: a step already SUCCESS or SKIPPED in this run is not run again */
        char prev[16];
        const char *outs_json = NULL, *prom_json = NULL;
        int done = af__state_step_done(r->state, sa, jd->id, r->run_id, sd->id, prev, &outs_json, &prom_json);
        if (done > 0) {
            af_value *o = NULL, *p = NULL;
            if (outs_json) af_json_parse(a, outs_json, strlen(outs_json), &o, NULL, 0);
            if (prom_json) af_json_parse(a, prom_json, strlen(prom_json), &p, NULL, 0);
            af_map_set(a, j.steps, sd->id, o ? o : af_map(a));
            if (p && p->type == AF_MAP)
                for (size_t k = 0; k < p->u.map.n; k++)
                    af_map_set(a, j.outputs, p->u.map.pairs[k].key, p->u.map.pairs[k].val);
            af_kv f[] = {AF_KS("step_id", sd->id), AF_KS("step_type", sd->type), AF_KS("prev", prev), {0}};
            log_job(r, jd->id, AF_INFO, "step_resumed", f);
            af_map_set(a, ss, "status", af_str(a, prev));
            af_map_set(a, ss, "duration_ms", af_int(a, 0));
            if (!strcmp(prev, "SKIPPED") && sd->skip_job_on_no_data) {
                const af_value *reason = o ? af_map_get(o, "reason") : NULL;
                skip_rest = 1;
                skip_reason = reason && reason->type == AF_STR ? reason->u.s.ptr : "step requested skip_job";
            }
            af_arena_reset(sa);
            continue;
        }
        if (done < 0) {
            af_kv f[] = {AF_KS("step_id", sd->id), AF_KS("error", "cannot read the state store"), {0}};
            log_job(r, jd->id, AF_ERROR, "state_error", f);
            failed = 1;
            break;
        }
        if (r->cancel && *r->cancel) {
            failed = 1;
            break;
        }
        double s0 = af__mono();
        const char *why = NULL;
        step_end e = run_step(r, &j, sd, sa, &why);
        af_map_set(a, ss, "duration_ms", af_int(a, (int64_t)((af__mono() - s0) * 1000)));
        af_map_set(a, ss, "status", af_str(a, e == STEP_FAIL ? "FAILED" : e == STEP_SKIP ? "SKIPPED" : "SUCCESS"));
        if (e == STEP_FAIL) failed = 1;
        if (e == STEP_SKIP && sd->skip_job_on_no_data) {
            skip_rest = 1;
            skip_reason = af_strdup(a, why);
            af_kv f[] = {AF_KS("after_step", sd->id), AF_KS("reason", skip_reason), {0}};
            log_job(r, jd->id, AF_INFO, "job_short_circuit", f);
        }
        af_arena_reset(sa);
    }

    const char *status;
    int64_t dur = (int64_t)((af__mono() - m0) * 1000);
    if (failed) {
        status = "FAILED";
        set_job_result(r, jd->id, status, j.outputs, NULL, NULL);
    } else if (skip_rest) {
        status = "SKIPPED";
        set_job_result(r, jd->id, status, j.outputs, skip_reason, "step");
        af_map_set(a, js, "skip_reason", af_str(a, skip_reason));
    } else {
        status = "SUCCESS";
        set_job_result(r, jd->id, status, j.outputs, NULL, NULL);
    }
    state_job(r, jd->id, status);
    af_map_set(a, js, "status", af_str(a, status));
    af_map_set(a, js, "duration_ms", af_int(a, dur));
    af_kv f[] = {AF_KS("status", status), AF_KI("duration_ms", dur),
                 skip_reason && skip_rest ? (af_kv)AF_KS("skip_reason", skip_reason) : (af_kv){0}, {0}};
    log_job(r, jd->id, failed ? AF_ERROR : AF_INFO, "job_end", f);

    /* cleanup_policy: the job's workspace goes after success (on_success) or
     * always; a failed job keeps it for the resume unless `always` */
    if (!strcmp(r->cleanup_policy, "always") ||
        (!failed && !strcmp(r->cleanup_policy, "on_success"))) {
        af__rmtree(j.dir);
        log_job(r, jd->id, AF_DEBUG, "job_cleanup", NULL);
    }
    return status;
}

/* ---- the run -------------------------------------------------------------------------------- */

/* An earlier invocation's job result (status and promoted outputs), for --job. */
static void restore_job(af__run *r, const af_job_def *jd, af_arena *sa)
{
    char st[16];
    if (af_map_get(r->jobs, jd->id) || af__state_job_get(r->state, jd->id, r->run_id, st) <= 0) return;
    af_value *outputs = af_map(r->arena);
    for (unsigned i = 0; i < jd->nsteps; i++) {
        char prev[16];
        const char *outs = NULL, *prom = NULL;
        if (af__state_step_done(r->state, sa, jd->id, r->run_id, jd->steps[i].id, prev, &outs, &prom) <= 0 || !prom)
            continue;
        af_value *p;
        if (af_json_parse(r->arena, prom, strlen(prom), &p, NULL, 0) == 0 && p->type == AF_MAP)
            for (size_t k = 0; k < p->u.map.n; k++)
                af_map_set(r->arena, outputs, p->u.map.pairs[k].key, p->u.map.pairs[k].val);
    }
    af_arena_reset(sa);
    set_job_result(r, jd->id, st, outputs, NULL, NULL);
}

static const char *dep_status(af__run *r, const af_job_def *dep, char buf[16])
{
    const af_value *res = af_map_get(r->jobs, dep->id);
    const af_value *st = res ? af_map_get(res, "status") : NULL;
    if (st) return st->u.s.ptr;
    /* --job: the dependency ran in an earlier invocation of this run */
    if (af__state_job_get(r->state, dep->id, r->run_id, buf) > 0) return buf;
    return NULL;
}

int af__run_jobs(af__run *r, const char *only_job, int keep_going)
{
    const af_flow_def *f = r->flow;
    af_arena *sa = af_arena_new();
    summary sm = {af_list(r->arena), af_map(r->arena)};
    double m0 = af__mono();
    int any_failed = 0, stopped = 0;

    for (unsigned ji = 0; ji < f->njobs; ji++) {
        const af_job_def *jd = &f->jobs[ji];
        if (only_job && strcmp(only_job, jd->id)) continue;
        if (r->cancel && *r->cancel) {
            stopped = 1;
            break;
        }
        /* --job of a resumed run: restore the results of the jobs it may read */
        if (only_job)
            for (unsigned k = 0; k < ji; k++) restore_job(r, &f->jobs[k], sa);
        int blocked = 0;
        for (unsigned k = 0; k < jd->ndeps; k++) {
            char buf[16];
            const char *st = dep_status(r, &f->jobs[jd->depends_on[k]], buf);
            if (!st || strcmp(st, "SUCCESS")) blocked = 1;
        }
        if (blocked) {
            af_buf deps = {0};
            for (unsigned k = 0; k < jd->ndeps; k++)
                af_buf_printf(&deps, "%s%s", k ? "," : "", f->jobs[jd->depends_on[k]].id);
            af_kv fl[] = {AF_KS("depends_on", af_buf_cstr(&deps)), {0}};
            log_job(r, jd->id, AF_WARNING, "job_blocked", fl);
            af_buf_free(&deps);
            state_job(r, jd->id, "BLOCKED");
            set_job_result(r, jd->id, "BLOCKED", NULL, NULL, NULL);
            af_value *js = job_summary(r, &sm, jd->id);
            af_map_set(r->arena, js, "status", af_str(r->arena, "BLOCKED"));
            count(r, &sm, "BLOCKED");
            continue;
        }
        if (jd->when) {
            af_when w = {r, jd->id, {0}};
            int cond = jd->when(&w);
            if (cond < 0) {
                /* the reference raises: an invalid `when` is a run error, not a skip */
                af_kv fl[] = {AF_KS("when", jd->when_src), AF_KS("error", af_buf_cstr(&w.error)), {0}};
                log_job(r, jd->id, AF_ERROR, "when_error", fl);
                if (!r->log.json)
                    fprintf(r->log.out, "%s: job '%s': error: invalid `when` at run time: %s\n",
                            f->source, jd->id, af_buf_cstr(&w.error));
                af_buf_free(&w.error);
                state_job(r, jd->id, "FAILED");
                set_job_result(r, jd->id, "FAILED", NULL, NULL, NULL);
                af_value *js = job_summary(r, &sm, jd->id);
                af_map_set(r->arena, js, "status", af_str(r->arena, "FAILED"));
                count(r, &sm, "FAILED");
                any_failed = 1;
                if (!keep_going) break;
                continue;
            }
            if (!cond) {
                af_kv fl[] = {AF_KS("when", jd->when_src), {0}};
                log_job(r, jd->id, AF_INFO, "job_skipped", fl);
                state_job(r, jd->id, "SKIPPED");
                set_job_result(r, jd->id, "SKIPPED", NULL, "condition=false", NULL);
                af_value *js = job_summary(r, &sm, jd->id);
                af_map_set(r->arena, js, "status", af_str(r->arena, "SKIPPED"));
                af_map_set(r->arena, js, "skip_reason", af_str(r->arena, "condition=false"));
                count(r, &sm, "SKIPPED");
                continue;
            }
        }
        const char *st = run_job(r, jd, &sm, sa);
        count(r, &sm, st);
        if (!strcmp(st, "FAILED")) {
            any_failed = 1;
            if (r->cancel && *r->cancel) {
                stopped = 1;
                break;
            }
            if (!keep_going) break;
        }
    }
    af_arena_free(sa);
    af__connectors_close(r);

    int64_t dur = (int64_t)((af__mono() - m0) * 1000);
    const char *run_status = stopped ? "INTERRUPTED" : any_failed ? "FAILED" : "SUCCESS";
    af_kv fl[] = {AF_KS("status", run_status), AF_KI("duration_ms", dur),
                  AF_KVAL("status_counts", sm.counts), AF_KVAL("jobs", sm.jobs), {0}};
    log_run(r, any_failed || stopped ? AF_ERROR : AF_INFO, "run_summary", fl);
    char err[512];
    af__state_run_end(r->state, r->run_id, run_status, af__now_ms(), err, sizeof err);
    if (stopped) return 130;
    return any_failed ? 1 : 0;
}
