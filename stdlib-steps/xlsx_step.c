/*
 * xlsx_step.c - what the two fill steps share on the step side: resolving
 * paths, running the fill over the template, and writing the workbook
 * atomically; and the build-time check of literal targets.
 *
 * Part of the Excel steps (xlsx.h). Kept apart from xlsx_fill.c so the
 * workbook layer and the fill logic depend on no step context and can be
 * tested directly.
 */
#include "xlsx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *dir_of(af_arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return af_strdup(a, ".");
    if (slash == path) return af_strdup(a, "/");
    return af_strndup(a, path, (size_t)(slash - path));
}

/* Resolves every target's source_path with af_path (the reference resolves
 * it under the job's artifacts directory); returns a copy of targets. */
static af_value *resolve_sources(af_step *s, const af_value *targets)
{
    af_arena *a = af_arena_of(s);
    af_value *copy = af_value_copy(a, targets);
    for (size_t i = 0; copy->type == AF_LIST && i < copy->u.list.n; i++) {
        af_value *t = copy->u.list.items[i];
        af_value *sp = af_map_get(t, "source_path");
        if (!sp || sp->type != AF_STR) continue;
        const char *out;
        char what[64];
        snprintf(what, sizeof what, "targets[%zu].source_path", i);
        if (af_path(s, what, sp->u.s.ptr, &out) < 0) return NULL;
        af_map_set(a, t, "source_path", af_str(a, out));
    }
    return copy;
}

af_status xlsx_step_fill(af_step *s, const char *tpath, const char *opath, int from_file,
                         int64_t rows_threshold, int (*cancelled)(void *))
{
    af_arena *a = af_arena_of(s);
    const af_value *targets = af_in(s, "targets");
    if (from_file && targets && !(targets = resolve_sources(s, targets))) return AF_FAILED;
    const char *dir = dir_of(a, opath);
    if (af_mkdirs(dir, 0755) < 0)
        return af_fail(s, "cannot create directory %s: %s", dir, strerror(errno));

    char err[4096];
    xlsx_book *b;
    if (xlsx_open(tpath, &b, err, sizeof err) < 0) return af_fail(s, "%s", err);
    xlsx_env env = {
        .arena = a,
        .enterprise = af_enterprise(s),
        .tmpdir = af_scratch_dir(s),
        .rows_threshold = rows_threshold,
        .cancelled = cancelled,
        .ud = s,
    };
    af_value *written = NULL;
    int rc = from_file ? xlsx_fill_from_file(&env, b, targets, &written, err, sizeof err)
                       : xlsx_fill_small(&env, b, targets, &written, err, sizeof err);
    if (rc < 0) {
        xlsx_free(b);
        return af_fail(s, "%s", err);
    }
    af_atomic f;
    if (af_atomic_open(&f, opath, 0644, err, sizeof err) < 0) {
        xlsx_free(b);
        return af_fail(s, "%s", err);
    }
    rc = xlsx_save(b, f.fd, err, sizeof err);
    xlsx_free(b);
    if (rc == 0) rc = af_atomic_commit(&f, err, sizeof err);
    if (rc < 0) {
        af_atomic_abort(&f);
        return af_fail(s, "%s", err);
    }
    af_out_set(s, "output", af_str(a, opath));
    af_out_set(s, "written", written);
    return AF_SUCCESS;
}

/* ---- build-time check ---------------------------------------------------------------------- */

static int dist(const char *x, const char *y)
{
    size_t n = strlen(x), m = strlen(y);
    if (n > 40 || m > 40) return 100;
    int d[41][41];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int c = d[i - 1][j - 1] + (x[i - 1] != y[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[n][m];
}

static void check_choice(af_check *c, const af_value *t, size_t i, const char *key,
                         const char *const *ok)
{
    const af_value *v = af_map_get(t, key);
    if (!v || v->type != AF_STR || af_check_is_template(c, v) || !v->u.s.len) return;
    char low[64];
    snprintf(low, sizeof low, "%s", v->u.s.ptr);
    for (char *p = low; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    for (int k = 0; ok[k]; k++)
        if (!strcmp(low, ok[k])) return;
    char path[96];
    snprintf(path, sizeof path, "targets[%zu].%s", i, key);
    af_buf b = {0};
    for (int k = 0; ok[k]; k++)
        af_buf_printf(&b, "%s%s", k ? ", " : "", ok[k]);
    af_check_error(c, path, "invalid %s=%s (expected one of: %s)", key, v->u.s.ptr,
                   af_buf_cstr(&b));
    af_buf_free(&b);
}

void xlsx_check_targets(af_check *c, const af_value *targets, const char *const *keys,
                        int from_file)
{
    if (!targets || targets->type != AF_LIST) return;
    static const char *const ins[] = {"below", "replace", NULL};
    static const char *const hm[] = {"template", "override", "append", NULL};
    static const char *const hs[] = {"template", "style_row", NULL};
    static const char *const sm[] = {"none", "copy_row", NULL};
    static const char *const sa[] = {"data", "header", "both", NULL};
    static const char *const tc[] = {"none", "basic", "schema", NULL};
    static const char *const acm[] = {"cell", "row", NULL};
    static const char *const mode[] = {"data_sheet", "report_region", NULL};
    static const char *const cm[] = {"fast", "csv_parse", NULL};
    static const char *const sf[] = {"csv", "tsv", NULL};
    for (size_t i = 0; i < targets->u.list.n; i++) {
        const af_value *t = targets->u.list.items[i];
        char path[96];
        snprintf(path, sizeof path, "targets[%zu]", i);
        if (!t || t->type != AF_MAP) {
            if (!(t && af_check_is_template(c, t)))
                af_check_error(c, path, "a target must be a mapping");
            continue;
        }
        for (size_t k = 0; k < t->u.map.n; k++) {
            const char *key = t->u.map.pairs[k].key;
            int known = 0, best = 100;
            const char *near = NULL;
            for (int q = 0; keys[q]; q++) {
                if (!strcmp(keys[q], key)) known = 1;
                int d = dist(keys[q], key);
                if (d < best) best = d, near = keys[q];
            }
            if (known) continue;
            snprintf(path, sizeof path, "targets[%zu].%s", i, key);
            if (near && best <= 2)
                af_check_warning(c, path, "unknown target key '%s' (did you mean '%s'?)", key,
                                 near);
            else
                af_check_warning(c, path, "unknown target key '%s'", key);
        }
        check_choice(c, t, i, "insert", ins);
        check_choice(c, t, i, "header_mode", hm);
        check_choice(c, t, i, "header_style", hs);
        check_choice(c, t, i, "style_mode", sm);
        check_choice(c, t, i, "style_apply", sa);
        check_choice(c, t, i, "type_cast", tc);
        check_choice(c, t, i, "anchor_clear_mode", acm);
        if (from_file) {
            check_choice(c, t, i, "mode", mode);
            check_choice(c, t, i, "count_mode", cm);
            check_choice(c, t, i, "source_format", sf);
            if (!af_map_get(t, "source_path")) {
                snprintf(path, sizeof path, "targets[%zu]", i);
                af_check_error(c, path, "a target needs source_path");
            }
        }
        const af_value *an = af_map_get(t, "anchor"), *ce = af_map_get(t, "cell");
        int has_a = an && an->type != AF_NULL, has_c = ce && ce->type != AF_NULL;
        snprintf(path, sizeof path, "targets[%zu]", i);
        if (has_a && has_c)
            af_check_error(c, path, "must set exactly one of anchor OR cell");
        else if (!from_file && !has_a && !has_c)
            af_check_error(c, path, "must set exactly one of anchor OR cell");
    }
}
