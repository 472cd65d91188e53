/*
 * test_workspace.c - job directory removal and path sandboxing
 * (runtime/workspace.c): symlink attacks, "..", absolute paths, allowed
 * roots, enterprise mode, symlink loops, and af__rmtree never leaving the
 * tree.
 *
 * Each case has its expected outcome written here. Where python3 and the
 * reference checkout are present, the reference's own _resolve_path is run
 * on the same tree and every case is compared with it as well; the one
 * deliberate difference (enterprise mode refuses symlinks inside the
 * artifacts dir) is checked to be exactly that.
 */
#include "af_int.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define T_SUITE "workspace"

static char T[512];   /* the temp dir, resolved */
static char W[600];   /* work root */
static char ART[700]; /* the job's artifacts dir */

static const char *tp(const char *fmt, const char *rest)
{
    static char buf[8][1024];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], fmt, rest);
    return buf[i];
}

static void mk(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    if (system(cmd) != 0) printf("#   mkdir failed: %s\n", path);
}

static void touch(const char *path, const char *data)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(data, f);
        fclose(f);
    }
}

static void link_(const char *target, const char *at)
{
    if (symlink(target, at) < 0) printf("#   symlink %s: %s\n", at, strerror(errno));
}

static void make_tree(void)
{
    snprintf(W, sizeof W, "%s/work", T);
    snprintf(ART, sizeof ART, "%s/flow/job/run/artifacts", W);
    mk(ART);
    mk(tp("%s/sub", ART));
    touch(tp("%s/sub/file.txt", ART), "f");
    mk(tp("%s/shared", W));
    touch(tp("%s/shared/data.csv", W), "d");
    mk(tp("%s/outside", T));
    touch(tp("%s/outside/secret", T), "s");
    link_("sub", tp("%s/link_in", ART));
    link_(tp("%s/sub", ART), tp("%s/link_abs_in", ART));
    link_(tp("%s/outside", T), tp("%s/link_out", ART));
    link_("/etc", tp("%s/link_etc", ART));
    link_("loop", tp("%s/loop", ART));
    link_("loopb", tp("%s/loopa", ART));
    link_("loopa", tp("%s/loopb", ART));
    link_("nonexistent", tp("%s/dangling", ART));
    link_("link_in", tp("%s/chain", ART));
    link_("..", tp("%s/up", ART));
    link_(ART, tp("%s/link_to_art", W));
    link_(ART, tp("%s/artlink", T)); /* an artifacts path that is itself a link */
    link_("../../../../../shared", tp("%s/sub/to_shared", ART));
}

/* ---- literal expectations ------------------------------------------------- */

typedef struct mode {
    int sandbox, enterprise, with_root;
} mode;

static const char *resolve(af_arena *a, mode m, const char *art, const char *p, int *rc, char *err,
                           size_t errlen)
{
    const char *roots[] = {W, NULL};
    const char *out = NULL;
    err[0] = 0;
    *rc = af__path_resolve(a, art, m.with_root ? roots : NULL, m.sandbox, m.enterprise, p, &out,
                           err, errlen);
    return out;
}

/* want: "=PATH" (PATH with %s for T) for a result, or an error text with
 * %s for T. */
static void expect(mode m, const char *p, const char *want)
{
    af_arena *a = af_arena_new();
    char err[2048], w[2048];
    int rc;
    const char *got = resolve(a, m, ART, p, &rc, err, sizeof err);
    if (want[0] == '=') {
        snprintf(w, sizeof w, want + 1, T);
        if (rc != 0 || !got || strcmp(got, w) != 0) {
            printf("#   [%d%d%d] %s\n#     got:  %s\n#     want: %s\n", m.sandbox, m.enterprise,
                   m.with_root, p, rc ? err : got, w);
            t_failed_checks++;
        }
    } else {
        snprintf(w, sizeof w, want, T, T, T);
        if (rc != -1 || strcmp(err, w) != 0) {
            printf("#   [%d%d%d] %s\n#     got:  %s\n#     want error: %s\n", m.sandbox,
                   m.enterprise, m.with_root, p, rc ? err : got, w);
            t_failed_checks++;
        }
    }
    af_arena_free(a);
}

#define A_ "%s/work/flow/job/run/artifacts"

static void test_relative_paths(void)
{
    mode m = {1, 0, 1};
    expect(m, "out.csv", "=" A_ "/out.csv");
    expect(m, "", "=" A_);
    expect(m, ".", "=" A_);
    expect(m, "sub/file.txt", "=" A_ "/sub/file.txt");
    expect(m, "./sub/./file.txt", "=" A_ "/sub/file.txt");
    expect(m, "sub//file.txt", "=" A_ "/sub/file.txt");
    expect(m, "sub/../sub/file.txt", "=" A_ "/sub/file.txt");
    expect(m, "new/dir/file", "=" A_ "/new/dir/file");
    expect(m, "a b/c d", "=" A_ "/a b/c d");
    expect(m, "ünï.txt", "=" A_ "/ünï.txt");
    expect(m, "sub/", "=" A_ "/sub");
    /* .. out of artifacts but inside the work root: allowed by that root */
    expect(m, "../x", "=%s/work/flow/job/run/x");
    expect(m, "../../../../shared/data.csv", "=%s/work/shared/data.csv");
    /* nonexistent components then ..: lexical, as realpath does */
    expect(m, "nope/../x", "=" A_ "/x");
    /* above the work root */
    expect(m, "../../../../../outside/secret",
           "Path not under allowed roots: ../../../../../outside/secret. Allowed roots: "
           "['%s/work', '" A_ "']");
    expect(m, "../../../../../../../../../../etc/passwd",
           "Path not under allowed roots: ../../../../../../../../../../etc/passwd. Allowed "
           "roots: ['%s/work', '" A_ "']");
    /* without a work root only the artifacts dir is allowed */
    mode m2 = {1, 0, 0};
    expect(m2, "../x", "Path not under allowed roots: ../x. Allowed roots: ['" A_ "']");
    expect(m2, "sub/file.txt", "=" A_ "/sub/file.txt");
}

static void test_absolute_paths(void)
{
    mode m = {1, 0, 1};
    expect(m, "/etc/passwd",
           "Path not under allowed roots: /etc/passwd. Allowed roots: ['%s/work', '" A_ "']");
    expect(m, tp("%s/work/shared/data.csv", T), "=%s/work/shared/data.csv");
    expect(m, tp(A_ "/x", T), "=" A_ "/x");
    expect(m, tp("%s/work", T), "=%s/work");
    expect(m, tp("%s/work/../outside/secret", T),
           "Path not under allowed roots: %s/work/../outside/secret. Allowed roots: ['%s/work', "
           "'" A_ "']");
    /* a prefix that is not a path component does not count */
    expect(m, tp("%s/workshop", T),
           "Path not under allowed roots: %s/workshop. Allowed roots: ['%s/work', '" A_ "']");
    expect(m, "/", "Path not under allowed roots: /. Allowed roots: ['%s/work', '" A_ "']");
    expect(m, "//etc", "Path not under allowed roots: //etc. Allowed roots: ['%s/work', '" A_ "']");
}

static void test_symlinks_sandbox(void)
{
    mode m = {1, 0, 1};
    /* links are followed like Path.resolve(); the target decides */
    expect(m, "link_in/file.txt", "=" A_ "/sub/file.txt");
    expect(m, "link_abs_in/file.txt", "=" A_ "/sub/file.txt");
    expect(m, "chain/file.txt", "=" A_ "/sub/file.txt");
    expect(m, "link_out/secret",
           "Path not under allowed roots: link_out/secret. Allowed roots: ['%s/work', '" A_ "']");
    expect(m, "link_etc/passwd",
           "Path not under allowed roots: link_etc/passwd. Allowed roots: ['%s/work', '" A_ "']");
    /* .. after a link applies to the link's target */
    expect(m, "link_out/../work/x", "=%s/work/x");
    expect(m, "link_in/../x", "=" A_ "/x");
    expect(m, "up/x", "=%s/work/flow/job/run/x");
    expect(m, "sub/to_shared/data.csv", "=%s/work/shared/data.csv");
    expect(m, "dangling", "=" A_ "/nonexistent");
    expect(m, "dangling/x", "=" A_ "/nonexistent/x");
    expect(m, tp("%s/work/link_to_art/x", T), "=" A_ "/x");
    /* loops: Python 3.11 raises RuntimeError from Path.resolve() */
    expect(m, "loop", "Symlink loop from '" A_ "/loop'");
    expect(m, "loop/x", "Symlink loop from '" A_ "/loop/x'");
    expect(m, "loopa/x", "Symlink loop from '" A_ "/loopa/x'");
    expect(m, "loop/..", "=" A_); /* normalised away before the stat */
}

static void test_enterprise(void)
{
    mode m = {1, 1, 1};
    expect(m, "out.csv", "=" A_ "/out.csv");
    expect(m, "sub/file.txt", "=" A_ "/sub/file.txt");
    expect(m, "", "=" A_);
    expect(m, tp(A_ "/sub/file.txt", T), "=" A_ "/sub/file.txt");
    /* only the artifacts dir, never the work root */
    expect(m, "../x", "Path escapes job artifacts dir in enterprise mode: ../x");
    expect(m, tp("%s/work/shared/data.csv", T),
           "Path escapes job artifacts dir in enterprise mode: %s/work/shared/data.csv");
    expect(m, "/etc/passwd", "Path escapes job artifacts dir in enterprise mode: /etc/passwd");
    expect(m, "link_out/secret",
           "Path escapes job artifacts dir in enterprise mode: link_out/secret");
    expect(m, "link_etc/passwd",
           "Path escapes job artifacts dir in enterprise mode: link_etc/passwd");
    expect(m, "up/artifacts/x", "Path contains symlink (sandbox blocked): " A_ "/up");
    /* no symlink anywhere in the chain, even one pointing inside */
    expect(m, "link_in/file.txt", "Path contains symlink (sandbox blocked): " A_ "/link_in");
    expect(m, "link_abs_in/x", "Path contains symlink (sandbox blocked): " A_ "/link_abs_in");
    expect(m, "sub/../link_in", "Path contains symlink (sandbox blocked): " A_ "/link_in");
    expect(m, "dangling", "Path contains symlink (sandbox blocked): " A_ "/dangling");
    expect(m, "loop/x", "Symlink loop from '" A_ "/loop/x'");
    /* reaching the artifacts dir through a link outside it is fine */
    expect(m, tp("%s/work/link_to_art/x", T), "=" A_ "/x");
    /* sandbox off: no checks at all, even in enterprise mode */
    mode off = {0, 1, 1};
    expect(off, "/etc/passwd", "=/etc/passwd");
    expect(off, "link_in/file.txt", "=" A_ "/sub/file.txt");
    mode off2 = {0, 0, 0};
    expect(off2, "../../../../../outside/secret", "=%s/outside/secret");
    expect(off2, "link_out/secret", "=%s/outside/secret");
}

/* The artifacts dir given through a symlink: it is resolved first. */
static void test_artifacts_via_link(void)
{
    af_arena *a = af_arena_new();
    char err[1024], art_link[700];
    snprintf(art_link, sizeof art_link, "%s/artlink", T);
    int rc;
    const char *got = resolve(a, (mode){1, 1, 0}, art_link, "x", &rc, err, sizeof err);
    T_INTEQ(rc, 0);
    T_STREQ(got, tp(A_ "/x", T));
    got = resolve(a, (mode){1, 0, 0}, art_link, tp("%s/artlink/y", T), &rc, err, sizeof err);
    T_INTEQ(rc, 0);
    T_STREQ(got, tp(A_ "/y", T));
    /* a relative artifacts dir (a relative workspace root) starts from the
     * cwd, as Path.resolve() does */
    char cwd[1024];
    T_CHECK(getcwd(cwd, sizeof cwd) != NULL);
    got = resolve(a, (mode){0, 0, 0}, "rel/./artifacts", "x", &rc, err, sizeof err);
    T_INTEQ(rc, 0);
    T_STREQ(got, tp("%s/rel/artifacts/x", cwd));
    /* roots that do not exist are left out; duplicates appear once */
    const char *roots[] = {"/nonexistent/root", ART, W, W, NULL};
    const char *out;
    rc = af__path_resolve(a, ART, roots, 1, 0, "/etc/x", &out, err, sizeof err);
    T_INTEQ(rc, -1);
    char want[2048];
    snprintf(want, sizeof want,
             "Path not under allowed roots: /etc/x. Allowed roots: ['" A_ "', '%s/work']", T, T);
    T_STREQ(err, want);
    af_arena_free(a);
}

/* ---- the reference, live -------------------------------------------------- */

static const char *ref_src(void)
{
    const char *s = getenv("AF_REF_SRC");
    return s ? s : "/work/ref/packages/aetherflow-core/src";
}

static int ref_available(void)
{
    char probe[600];
    snprintf(probe, sizeof probe, "%s/aetherflow/core/builtins/steps.py", ref_src());
    return access(probe, R_OK) == 0 && system("python3 -c 'import pydantic' >/dev/null 2>&1") == 0;
}

static const char *const live_paths[] = {"",
                                         ".",
                                         "out.csv",
                                         "sub/file.txt",
                                         "sub/../sub/file.txt",
                                         "./sub/./file.txt",
                                         "sub//file.txt",
                                         "new/dir/file",
                                         "a b/c d",
                                         "../x",
                                         "../artifacts/x",
                                         "../../../../shared",
                                         "../../../../../outside/secret",
                                         "../../../../../../../../../etc/passwd",
                                         "/etc/passwd",
                                         "/",
                                         "//etc",
                                         "link_in/file.txt",
                                         "link_abs_in/file.txt",
                                         "chain/file.txt",
                                         "link_out/secret",
                                         "link_etc/passwd",
                                         "link_out/../work/x",
                                         "link_in/../x",
                                         "up/x",
                                         "up/artifacts/x",
                                         "sub/to_shared/data.csv",
                                         "dangling",
                                         "dangling/x",
                                         "loop",
                                         "loop/x",
                                         "loopa/x",
                                         "loop/..",
                                         "nope/../x",
                                         "@ART/x",
                                         "@W/shared/data.csv",
                                         "@W/link_to_art/x",
                                         "@T/outside/secret",
                                         "@W/../outside/secret",
                                         "@Tartlink/z",
                                         NULL};

static void test_live_reference(void)
{
    char py[1200], cases[1200];
    snprintf(py, sizeof py, "%s/ref.py", T);
    snprintf(cases, sizeof cases, "%s/cases.txt", T);
    FILE *f = fopen(cases, "w");
    for (int i = 0; live_paths[i]; i++) {
        const char *lp = live_paths[i];
        if (strncmp(lp, "@ART", 4) == 0)
            fprintf(f, "%s%s\n", ART, lp + 4);
        else if (strncmp(lp, "@W", 2) == 0)
            fprintf(f, "%s%s\n", W, lp + 2);
        else if (strncmp(lp, "@T", 2) == 0)
            fprintf(f, "%s/%s\n", T, lp + 2);
        else
            fprintf(f, "%s\n", lp);
    }
    fclose(f);
    f = fopen(py, "w");
    fprintf(f,
            "import sys\n"
            "from pathlib import Path\n"
            "from aetherflow.core.builtins.steps import _resolve_path\n"
            "class S: pass\n"
            "class C:\n"
            "    def __init__(s, sb, ent, wr):\n"
            "        s.env = {'AETHERFLOW_STRICT_SANDBOX': sb, 'AETHERFLOW_MODE_ENTERPRISE': ent}\n"
            "        s.settings = S()\n"
            "        s.settings.work_root = wr\n"
            "    def artifacts_dir(s, j): return Path(sys.argv[2])\n"
            "ctx = C(sys.argv[3], sys.argv[4], sys.argv[5] or None)\n"
            "for line in open(sys.argv[1]).read().split('\\n')[:-1]:\n"
            "    try: print('=' + str(_resolve_path(ctx, 'j', line)))\n"
            "    except Exception as e: print('!' + str(e).split('. Allowed roots')[0])\n");
    fclose(f);
    mode modes[] = {{1, 0, 1}, {1, 0, 0}, {1, 1, 1}, {0, 0, 0}, {0, 1, 1}};
    int deliberate = 0;
    for (size_t mi = 0; mi < sizeof modes / sizeof modes[0]; mi++) {
        mode m = modes[mi];
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "PYTHONPATH='%s' python3 '%s' '%s' '%s' %s %s '%s' 2>&1",
                 ref_src(), py, cases, ART, m.sandbox ? "true" : "false",
                 m.enterprise ? "true" : "false", m.with_root ? W : "");
        FILE *pp = popen(cmd, "r");
        FILE *cf = fopen(cases, "r");
        char want[4096], path[2048];
        while (fgets(path, sizeof path, cf)) {
            path[strcspn(path, "\n")] = 0;
            if (!fgets(want, sizeof want, pp)) {
                printf("#   reference printed nothing for %s\n", path);
                t_failed_checks++;
                break;
            }
            want[strcspn(want, "\n")] = 0;
            af_arena *a = af_arena_new();
            char err[4096];
            int rc;
            const char *got = resolve(a, m, ART, path, &rc, err, sizeof err);
            char mine[4200];
            if (rc == 0)
                snprintf(mine, sizeof mine, "=%s", got);
            else
                snprintf(mine, sizeof mine, "!%s", err);
            char *cut = strstr(mine, ". Allowed roots");
            if (cut) *cut = 0;
            if (strcmp(mine, want) != 0) {
                /* the deliberate difference: enterprise mode refuses a path
                 * through a symlink inside artifacts that the reference lets
                 * through because it resolves before looking */
                int ok = m.sandbox && m.enterprise && want[0] == '=' &&
                         strncmp(mine, "!Path contains symlink (sandbox blocked): ", 42) == 0 &&
                         strncmp(want + 1, ART, strlen(ART)) == 0;
                if (ok) {
                    deliberate++;
                } else {
                    printf("#   [%d%d%d] '%s'\n#     ours:      %s\n#     reference: %s\n",
                           m.sandbox, m.enterprise, m.with_root, path, mine, want);
                    t_failed_checks++;
                }
            }
            af_arena_free(a);
        }
        fclose(cf);
        pclose(pp);
    }
    /* link_in/file.txt, link_abs_in/file.txt, chain/file.txt, link_in/../x,
     * up/artifacts/x, dangling, dangling/x and loop/.. (each crosses a link
     * inside artifacts and ends inside it): the deliberate refusals */
    T_INTEQ(deliberate, 8);
}

/* ---- af__rmtree ----------------------------------------------------------- */

static int exists(const char *p)
{
    struct stat sb;
    return lstat(p, &sb) == 0;
}

static void test_rmtree(void)
{
    char root[700], victim[700];
    snprintf(root, sizeof root, "%s/rm/job", T);
    snprintf(victim, sizeof victim, "%s/rm/victim", T);
    mk(tp("%s/a/b/c", root));
    mk(victim);
    mk(tp("%s/keepdir", victim));
    touch(tp("%s/keep.txt", victim), "k");
    touch(tp("%s/keepdir/inner.txt", victim), "k");
    touch(tp("%s/a/b/c/f", root), "x");
    touch(tp("%s/top", root), "x");
    /* links out of the tree: to a dir, to a file, dangling, and a dir link
     * deep inside */
    link_(victim, tp("%s/to_victim_dir", root));
    link_(tp("%s/keep.txt", victim), tp("%s/to_victim_file", root));
    link_("nowhere", tp("%s/a/dangling", root));
    link_(victim, tp("%s/a/b/deep_link", root));
    link_("/", tp("%s/a/rootlink", root));
    mkfifo(tp("%s/a/fifo", root), 0644);
    /* deep nesting */
    char deep[8192];
    snprintf(deep, sizeof deep, "%s/deep", root);
    for (int i = 0; i < 60; i++)
        strcat(deep, "/d");
    mk(deep);
    touch(tp("%s/leaf", deep), "x");

    T_INTEQ(af__rmtree(root), 0);
    T_CHECK(!exists(root));
    T_CHECK(exists(tp("%s/keep.txt", victim)));
    T_CHECK(exists(tp("%s/keepdir/inner.txt", victim)));

    /* missing: nothing to do */
    T_INTEQ(af__rmtree(root), 0);
    /* the path itself a symlink: refused, target untouched (shutil does too) */
    char l[700];
    snprintf(l, sizeof l, "%s/rm/link_as_root", T);
    link_(victim, l);
    T_INTEQ(af__rmtree(l), -1);
    T_CHECK(exists(l));
    T_CHECK(exists(tp("%s/keep.txt", victim)));
    /* a file is not a tree */
    T_INTEQ(af__rmtree(tp("%s/keep.txt", victim)), -1);
    T_CHECK(exists(tp("%s/keep.txt", victim)));
    /* an empty dir */
    mk(tp("%s/rm/empty", T));
    T_INTEQ(af__rmtree(tp("%s/rm/empty", T)), 0);
    T_CHECK(!exists(tp("%s/rm/empty", T)));
}

int main(void)
{
    char tmpl[] = "/tmp/afc-test-ws-XXXXXX";
    if (!mkdtemp(tmpl) || !realpath(tmpl, T)) return 1;
    make_tree();
    T_RUN(test_relative_paths);
    T_RUN(test_absolute_paths);
    T_RUN(test_symlinks_sandbox);
    T_RUN(test_enterprise);
    T_RUN(test_artifacts_via_link);
    if (ref_available())
        T_RUN(test_live_reference);
    else
        printf("ok - workspace/test_live_reference # SKIP python3 or reference missing\n");
    T_RUN(test_rmtree);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", T);
    if (system(cmd) != 0) return 1;
    T_END();
}
