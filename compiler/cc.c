/*
 * cc.c - stage 7: generated C -> executable.
 *
 * Default back end: libtcc in memory (tens of milliseconds). `--cc gcc`
 * runs the system compiler for an optimised build. Either way the result
 * is written to a temporary file beside the target and renamed, so a failed
 * build never leaves a half-written executable (tcc also deletes its output
 * path before writing, which must never be the real target).
 */
#include "afc.h"
#include "af_int.h"

#include <errno.h>
#include <libtcc.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define TCC_LIB_DIR "/usr/lib/x86_64-linux-gnu/tcc"

const char *afc_home(af_arena *a)
{
    const char *env = getenv("AFC_HOME");
    if (env && *env) return af_strdup(a, env);
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return af_strdup(a, ".");
    buf[n] = 0;
    char *slash = strrchr(buf, '/'); /* .../bin/afc -> .../bin */
    if (slash) *slash = 0;
    slash = strrchr(buf, '/'); /* .../bin -> ... */
    if (slash) *slash = 0;
    return af_strdup(a, buf);
}

static char *read_line_file(af_arena *a, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char buf[PATH_MAX];
    char *r = fgets(buf, sizeof buf, f) ? buf : NULL;
    fclose(f);
    if (!r) return NULL;
    buf[strcspn(buf, "\r\n")] = 0;
    return af_strdup(a, buf);
}

/* The libgcc.a that every tcc link needs: recorded at build time, else ask gcc. */
static const char *libgcc_path(af_arena *a, const char *home)
{
    char *p = read_line_file(a, af_sprintf(a, "%s/lib/afc/libgcc.path", home));
    if (p && access(p, R_OK) == 0) return p;
    FILE *f = popen("gcc -print-libgcc-file-name 2>/dev/null", "r");
    if (!f) return NULL;
    char buf[PATH_MAX];
    char *r = fgets(buf, sizeof buf, f);
    pclose(f);
    if (!r) return NULL;
    buf[strcspn(buf, "\r\n")] = 0;
    return access(buf, R_OK) == 0 ? af_strdup(a, buf) : NULL;
}

/* A temp path in the target's directory. */
static char *temp_beside(af_arena *a, const char *out)
{
    const char *slash = strrchr(out, '/');
    const char *base = slash ? slash + 1 : out;
    size_t dirlen = slash ? (size_t)(slash - out + 1) : 0;
    return af_sprintf(a, "%.*s.%s.tmp.%d", (int)dirlen, out, base, (int)getpid());
}

typedef struct tcc_ctx {
    afc_diags *d;
    int errors;
    const char *code;
} tcc_ctx;

/* tcc reports "file:line: error: msg" (or "<string>:line: ..." for the
 * generated code). A problem in generated code is afc's bug: say so. */
static void tcc_error_cb(void *opaque, const char *msg)
{
    tcc_ctx *c = opaque;
    afc_pos nopos = {0};
    int is_warning = strstr(msg, ": warning: ") != NULL;
    if (is_warning) return; /* plugin warnings are the plugin author's, not fatal */
    c->errors++;
    if (!strncmp(msg, "<string>", 8))
        afc_error(c->d, nopos, "internal error compiling the generated code: %s (rerun with "
                               "--emit-c DIR and report it)",
                  msg);
    else
        afc_error(c->d, nopos, "%s", msg);
}

static int each_lib(const char *libs, int (*fn)(void *ud, char kind, const char *arg), void *ud)
{
    for (const char *p = libs; p && *p;) {
        while (*p == ' ') p++;
        const char *e = p;
        while (*e && *e != ' ') e++;
        if (e - p > 2 && p[0] == '-' && (p[1] == 'l' || p[1] == 'L')) {
            char buf[PATH_MAX];
            snprintf(buf, sizeof buf, "%.*s", (int)(e - p - 2), p + 2);
            if (fn(ud, p[1], buf) < 0) return -1;
        }
        p = e;
    }
    return 0;
}

static int tcc_lib(void *ud, char kind, const char *arg)
{
    TCCState *s = ud;
    if (kind == 'L') return tcc_add_library_path(s, arg) < 0 ? -1 : 0;
    return tcc_add_library(s, arg) < 0 ? -1 : 0;
}

static int build_tcc(af_arena *a, afc_diags *d, const char *code, const char *tmp,
                     const afc_cc_opts *o)
{
    tcc_ctx ctx = {d, 0, code};
    TCCState *s = tcc_new();
    if (!s) {
        afc_error(d, (afc_pos){0}, "cannot initialise libtcc");
        return -1;
    }
    tcc_set_error_func(s, &ctx, tcc_error_cb);
    tcc_set_lib_path(s, TCC_LIB_DIR);
    tcc_set_output_type(s, TCC_OUTPUT_EXE);
    tcc_add_include_path(s, af_sprintf(a, "%s/include/afc", o->home));
    if (o->plugin_include) tcc_add_include_path(s, o->plugin_include);
    for (const char *const *inc = o->plugin_includes; inc && *inc; inc++)
        tcc_add_include_path(s, *inc);
    int rc = tcc_compile_string(s, code);
    for (const char *const *src = o->extra_sources; rc == 0 && src && *src; src++)
        rc = tcc_add_file(s, *src);
    if (rc == 0) rc = tcc_add_file(s, af_sprintf(a, "%s/lib/afc/libafrt.a", o->home));
    const char *gcc = libgcc_path(a, o->home);
    if (rc == 0 && gcc) rc = tcc_add_file(s, gcc);
    if (rc == 0) rc = each_lib(o->libs, tcc_lib, s);
    if (rc == 0) rc = tcc_output_file(s, tmp);
    tcc_delete(s);
    if (rc < 0 && !ctx.errors) afc_error(d, (afc_pos){0}, "libtcc failed to build the executable");
    return rc < 0 || ctx.errors ? -1 : 0;
}

static int run_argv(afc_diags *d, char **argv)
{
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        afc_error(d, (afc_pos){0}, "cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        afc_error(d, (afc_pos){0}, "%s failed (status %d)", argv[0],
                  WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return -1;
    }
    return 0;
}

static int build_gcc(af_arena *a, afc_diags *d, const char *code, size_t len, const char *tmp,
                     const afc_cc_opts *o)
{
    char *csrc = af_sprintf(a, "%s.c", tmp);
    FILE *f = fopen(csrc, "w");
    if (!f || fwrite(code, 1, len, f) != len || fclose(f) != 0) {
        afc_error(d, (afc_pos){0}, "cannot write %s: %s", csrc, strerror(errno));
        if (f) unlink(csrc);
        return -1;
    }
    const char *argv[256];
    int n = 0;
    argv[n++] = "gcc";
    argv[n++] = "-O2";
    argv[n++] = "-w";
    argv[n++] = "-o";
    argv[n++] = tmp;
    argv[n++] = af_sprintf(a, "-I%s/include/afc", o->home);
    if (o->plugin_include) argv[n++] = af_sprintf(a, "-I%s", o->plugin_include);
    for (const char *const *inc = o->plugin_includes; inc && *inc && n < 100; inc++)
        argv[n++] = af_sprintf(a, "-I%s", *inc);
    argv[n++] = csrc;
    for (const char *const *src = o->extra_sources; src && *src && n < 200; src++) argv[n++] = *src;
    argv[n++] = af_sprintf(a, "%s/lib/afc/libafrt.a", o->home);
    for (const char *p = o->libs; p && *p && n < 250;) {
        while (*p == ' ') p++;
        const char *e = p;
        while (*e && *e != ' ') e++;
        if (e > p) argv[n++] = af_strndup(a, p, (size_t)(e - p));
        p = e;
    }
    argv[n] = NULL;
    int rc = run_argv(d, (char **)argv);
    unlink(csrc);
    return rc;
}

int afc_cc(afc_diags *d, const char *code, size_t len, const char *out, const afc_cc_opts *o)
{
    af_arena *a = af_arena_new();
    char *tmp = temp_beside(a, out);
    const char *backend = o->backend ? o->backend : "tcc";
    int rc;
    if (!strcmp(backend, "tcc"))
        rc = build_tcc(a, d, code, tmp, o);
    else if (!strcmp(backend, "gcc") || !strcmp(backend, "cc"))
        rc = build_gcc(a, d, code, len, tmp, o);
    else {
        afc_error(d, (afc_pos){0}, "unknown compiler back end '%s' (use tcc or gcc)", backend);
        rc = -1;
    }
    if (rc == 0 && chmod(tmp, 0755) < 0) rc = -1;
    if (rc == 0 && rename(tmp, out) < 0) {
        afc_error(d, (afc_pos){0}, "cannot write %s: %s", out, strerror(errno));
        rc = -1;
    }
    if (rc < 0) unlink(tmp);
    af_arena_free(a);
    return rc;
}
