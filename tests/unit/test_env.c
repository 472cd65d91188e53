/*
 * test_env.c - the env snapshot and env files (runtime/env.c): dotenv, json
 * and dir files with the reference's quirks, prefixes, precedence,
 * AETHERFLOW_ENV_FILES_JSON, and broken or missing files.
 *
 * Expected values were produced by the reference's runtime/envfiles.py on
 * the same bytes; where python3 and the reference are present the test
 * also runs it again and compares everything.
 */
#include "af_int.h"
#include "t.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define T_SUITE "env"

static char dir[256];

static const char *p(const char *name)
{
    static char buf[8][512];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

static void write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

#define WRITE(path, lit) write_file(path, lit, sizeof(lit) - 1)

/* The env map as compact-free JSON with ASCII escapes, like Python's
 * json.dumps(d) (ensure_ascii=True), for comparing whole maps. */
static const char *dump(af_arena *a, const af_value *m)
{
    return af_json_str(a, m, AF_JSON_ASCII);
}

static const char *get(const af_value *m, const char *k)
{
    const af_value *v = af_map_get(m, k);
    return v && v->type == AF_STR ? v->u.s.ptr : NULL;
}

static const char dotenv_bytes[] =
    "# comment\n  SPACED = value with spaces  \nA=1\nB=\"quoted value\"\nC='single'\n"
    "D=\"mismatched'\nE=\nF=\"\nG=a=b=c\n =noKey\nnoequals\nH = \"  inner  \" \n"
    "I=x # not a comment\nJ=caf\xc3\xa9\nK=first\nK=second\r\nL=crlf\r\nM\x0bN=vt\n"
    "\xc2\xa0O=nbsp\xc2\xa0\nP=\"'\"\n#Q=commented\nR=lone\rS=cr\n\xef\xbb\xbf"
    "BOM=1\nexport T=exp\nU=\"a\"b\"\n";
/* _read_dotenv() of the bytes above, by the reference */
static const char dotenv_want[] =
    "{\"SPACED\": \"value with spaces\", \"A\": \"1\", \"B\": \"quoted value\", \"C\": "
    "\"single\", \"D\": \"\\\"mismatched'\", \"E\": \"\", \"F\": \"\", \"G\": \"a=b=c\", \"H\": "
    "\"  inner  \", \"I\": \"x # not a comment\", \"J\": \"caf\\u00e9\", \"K\": \"second\", "
    "\"L\": \"crlf\", \"N\": \"vt\", \"O\": \"nbsp\", \"P\": \"'\", \"R\": \"lone\", \"S\": "
    "\"cr\", \"\\ufeffBOM\": \"1\", \"export T\": \"exp\", \"U\": \"a\\\"b\"}";

static const char json_bytes[] =
    "{\"s\": \"str\", \"i\": 1, \"neg\": -5, \"f\": 1.5, \"f2\": 12.0, \"big\": 1e+16, "
    "\"small\": 1e-05, \"t\": true, \"fa\": false, \"n\": null, \"l\": [1, \"\\u00e9\", null, "
    "1.0], \"m\": {\"k\": \"v\", \"n\": [true]}, \"e\": \"\", \"nan\": NaN, \"inf\": "
    "-Infinity, \"z\": 0.1, \"dup\": 1, \"dup\": 2}";
static const char json_want[] =
    "{\"s\": \"str\", \"i\": \"1\", \"neg\": \"-5\", \"f\": \"1.5\", \"f2\": \"12.0\", \"big\": "
    "\"1e+16\", \"small\": \"1e-05\", \"t\": \"True\", \"fa\": \"False\", \"l\": \"[1, "
    "\\\"\\u00e9\\\", null, 1.0]\", \"m\": \"{\\\"k\\\": \\\"v\\\", \\\"n\\\": [true]}\", \"e\": "
    "\"\", \"nan\": \"nan\", \"inf\": \"-inf\", \"z\": \"0.1\", \"dup\": \"2\"}";

static const char dir_want[] = "{\".hidden\": \"h\", \"A_KEY\": \"line1\\nline2\", \"B_KEY\": "
                               "\"secret\", \"C_KEY\": \"  spaced  \", \"link\": \"secret\"}";

static void make_fixtures(void)
{
    write_file(p("a.env"), dotenv_bytes, sizeof dotenv_bytes - 1);
    write_file(p("b.json"), json_bytes, sizeof json_bytes - 1);
    mkdir(p("d"), 0755);
    WRITE(p("d/B_KEY"), "secret\n\n");
    WRITE(p("d/A_KEY"), "line1\r\nline2\r\n");
    WRITE(p("d/.hidden"), "h");
    WRITE(p("d/C_KEY"), "  spaced  \n");
    mkdir(p("d/subdir"), 0755);
    symlink("B_KEY", p("d/link"));
    symlink("nowhere", p("d/broken"));
}

/* ---- snapshot ------------------------------------------------------------- */

static void test_snapshot(void)
{
    af_arena *a = af_arena_new();
    char *environ_[] = {"HOME=/root", "EMPTY=", "EQ=a=b",          "NOEQ", "DUP=first",
                        "DUP=second", "=weird", "UTF=caf\xc3\xa9", NULL};
    af_value *m = af__env_snapshot(a, environ_);
    T_STREQ(dump(a, m), "{\"HOME\": \"/root\", \"EMPTY\": \"\", \"EQ\": \"a=b\", \"DUP\": "
                        "\"first\", \"\": \"weird\", \"UTF\": \"caf\\u00e9\"}");
    T_INTEQ(af__env_snapshot(a, NULL)->u.map.n, 0);
    /* the real environment: a copy, not a view */
    setenv("AF_TEST_SNAP", "1", 1);
    extern char **environ;
    m = af__env_snapshot(a, environ);
    T_STREQ(get(m, "AF_TEST_SNAP"), "1");
    setenv("AF_TEST_SNAP", "2", 1);
    T_STREQ(get(m, "AF_TEST_SNAP"), "1");
    af_arena_free(a);
}

/* ---- each format ---------------------------------------------------------- */

static void test_dotenv(void)
{
    af_arena *a = af_arena_new();
    af_value *env = af_map(a);
    char err[512] = "";
    T_INTEQ(af__envfile_load(a, env, "dotenv", p("a.env"), 0, NULL, NULL, err, sizeof err), 0);
    T_STREQ(err, "");
    T_STREQ(dump(a, env), dotenv_want);
    af_arena_free(a);
}

static void test_json(void)
{
    af_arena *a = af_arena_new();
    af_value *env = af_map(a);
    char err[512] = "";
    T_INTEQ(af__envfile_load(a, env, "json", p("b.json"), 0, "", NULL, err, sizeof err), 0);
    T_STREQ(err, "");
    T_STREQ(dump(a, env), json_want);
    T_STREQ(get(env, "l"), "[1, \"\xc3\xa9\", null, 1.0]"); /* ensure_ascii=False inside */
    T_CHECK(af_map_get(env, "n") == NULL);                  /* null skipped */
    af_arena_free(a);
}

static void test_dir(void)
{
    af_arena *a = af_arena_new();
    const char *types[] = {"dir", "directory", "dir-of-files", " DIR "};
    for (int i = 0; i < 4; i++) {
        af_value *env = af_map(a);
        char err[512] = "";
        T_INTEQ(af__envfile_load(a, env, types[i], p("d"), 0, NULL, NULL, err, sizeof err), 0);
        T_STREQ(err, "");
        T_STREQ(dump(a, env), dir_want);
    }
    af_arena_free(a);
}

/* ---- the reference, run live on the same files ---------------------------- */

static const char *ref_src(void)
{
    const char *s = getenv("AF_REF_SRC");
    return s ? s : "/work/ref/packages/aetherflow-core/src";
}

static int ref_available(void)
{
    char probe[600];
    snprintf(probe, sizeof probe, "%s/aetherflow/core/runtime/envfiles.py", ref_src());
    return access(probe, R_OK) == 0 && system("python3 -c 1 >/dev/null 2>&1") == 0;
}

/* Runs the reference's loader on AETHERFLOW_ENV_FILES_JSON `spec` and
 * returns json.dumps of the result (or the exception text). */
static const char *ref_load(const char *spec)
{
    static char out[16384];
    const char *py = p("ref.py");
    FILE *f = fopen(py, "w");
    fprintf(f, "import json, sys\n"
               "from aetherflow.core.runtime.envfiles import load_env_files, parse_env_files_json\n"
               "try:\n"
               "    print(json.dumps(load_env_files(parse_env_files_json(sys.argv[1]))))\n"
               "except Exception as e:\n"
               "    print('ERROR', type(e).__name__)\n");
    fclose(f);
    const char *specf = p("spec.json");
    f = fopen(specf, "w");
    fputs(spec, f);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "PYTHONPATH='%s' python3 '%s' \"$(cat '%s')\" 2>&1", ref_src(), py,
             specf);
    FILE *pp = popen(cmd, "r");
    out[0] = 0;
    if (!fgets(out, sizeof out, pp)) out[0] = 0;
    pclose(pp);
    out[strcspn(out, "\n")] = 0;
    return out;
}

static void test_live_reference(void)
{
    char spec[4096];
    const char *specs[] = {
        "[{\"type\":\"dotenv\",\"path\":\"%s\"}]",
        "[{\"type\":\"json\",\"path\":\"%s\"}]",
        "[{\"type\":\"dir\",\"path\":\"%s\"}]",
        "[{\"type\":\"dotenv\",\"path\":\"%s\",\"prefix\":\"P_\"},"
        " {\"type\":\"json\",\"path\":\"%s\",\"prefix\":\"\"},"
        " {\"type\":\"DIR\",\"path\":\"%s\",\"optional\":true},"
        " {\"type\":\"dotenv\",\"path\":\"%s\",\"optional\":1},"
        " {\"type\":\"nonsense\",\"path\":\"%s\",\"optional\":\"no\"}]",
    };
    char missing[512];
    snprintf(missing, sizeof missing, "%s", p("missing.env"));
    for (int i = 0; i < 5; i++) {
        if (i == 0) snprintf(spec, sizeof spec, specs[0], p("a.env"));
        if (i == 1) snprintf(spec, sizeof spec, specs[1], p("b.json"));
        if (i == 2) snprintf(spec, sizeof spec, specs[2], p("d"));
        if (i == 3)
            snprintf(spec, sizeof spec, specs[3], p("a.env"), p("b.json"), p("d"), missing,
                     missing);
        af_arena *a = af_arena_new();
        af_value *env = af_map(a);
        char err[512] = "";
        if (i == 4) /* an error on both sides: the type is checked once the file exists */
            snprintf(spec, sizeof spec, "[{\"type\":\"nonsense\",\"path\":\"%s\"}]", p("a.env"));
        int rc = af__envfiles_json(a, env, spec, err, sizeof err);
        const char *ref = ref_load(spec);
        if (strncmp(ref, "ERROR", 5) == 0) {
            T_INTEQ(rc, -1);
            T_CHECK(i == 4);
        } else {
            T_INTEQ(rc, 0);
            T_STREQ(err, "");
            T_STREQ(dump(a, env), ref);
        }
        af_arena_free(a);
    }
}

/* ---- precedence and prefixes ---------------------------------------------- */

static void test_precedence(void)
{
    af_arena *a = af_arena_new();
    WRITE(p("one.env"), "A=from_one\nB=from_one\nC=from_one\n");
    WRITE(p("two.json"), "{\"B\": \"from_two\", \"D\": 4}");
    mkdir(p("three"), 0755);
    WRITE(p("three/C"), "from_three\n");
    char *environ_[] = {"A=from_env", "Z=from_env", NULL};
    af_value *env = af__env_snapshot(a, environ_);
    char spec[2048], err[512] = "";
    snprintf(spec, sizeof spec,
             "[{\"type\":\"dotenv\",\"path\":\"%s\"},{\"type\":\"json\",\"path\":\"%s\"},"
             "{\"type\":\"dir\",\"path\":\"%s\"},{\"type\":\"json\",\"path\":\"%s\","
             "\"optional\":true},{\"type\":\"dotenv\",\"path\":\"%s\",\"prefix\":\"APP_\"}]",
             p("one.env"), p("two.json"), p("three"), p("nope.json"), p("one.env"));
    T_INTEQ(af__envfiles_json(a, env, spec, err, sizeof err), 0);
    T_STREQ(err, "");
    /* env keys keep their place; later files override; prefixed keys are new */
    T_STREQ(dump(a, env), "{\"A\": \"from_one\", \"Z\": \"from_env\", \"B\": \"from_two\", "
                          "\"C\": \"from_three\", \"D\": \"4\", \"APP_A\": \"from_one\", "
                          "\"APP_B\": \"from_one\", \"APP_C\": \"from_one\"}");
    /* one file at a time: the second load overrides the first */
    af_value *e2 = af_map(a);
    T_INTEQ(af__envfile_load(a, e2, "json", p("two.json"), 0, NULL, NULL, err, sizeof err), 0);
    T_INTEQ(af__envfile_load(a, e2, "dotenv", p("one.env"), 0, NULL, NULL, err, sizeof err), 0);
    T_STREQ(get(e2, "B"), "from_one");
    T_STREQ(get(e2, "D"), "4");
    af_arena_free(a);
}

static void test_base_dir(void)
{
    af_arena *a = af_arena_new();
    mkdir(p("bundle"), 0755);
    mkdir(p("bundle/env"), 0755);
    WRITE(p("bundle/env/x.env"), "X=rel\n");
    WRITE(p("abs.env"), "Y=abs\n");
    af_envfile_def defs[] = {
        {.type = NULL, .path = "env/x.env"}, /* type defaults to dotenv */
        {.type = "dotenv", .path = p("abs.env"), .prefix = "P_"},
        {.type = "json", .path = "env/missing.json", .optional = 1},
    };
    af_value *env = af_map(a);
    char err[512] = "";
    T_INTEQ(af__envfiles_load_list(a, env, defs, 3, p("bundle"), err, sizeof err), 0);
    T_STREQ(err, "");
    T_STREQ(dump(a, env), "{\"X\": \"rel\", \"P_Y\": \"abs\"}");
    /* base_dir NULL: relative to the working directory */
    char cwd[512];
    T_CHECK(getcwd(cwd, sizeof cwd) != NULL);
    T_CHECK(chdir(p("bundle")) == 0);
    af_value *e2 = af_map(a);
    T_INTEQ(af__envfile_load(a, e2, "dotenv", "env/x.env", 0, NULL, NULL, err, sizeof err), 0);
    T_STREQ(get(e2, "X"), "rel");
    T_CHECK(chdir(cwd) == 0);
    af_arena_free(a);
}

/* ---- broken and missing files --------------------------------------------- */

static void expect_fail(af_arena *a, const char *type, const char *path, int optional,
                        const char *want_in_err)
{
    af_value *env = af_map(a);
    af_map_set(a, env, "KEEP", af_str(a, "1"));
    char err[1024] = "";
    T_INTEQ(af__envfile_load(a, env, type, path, optional, NULL, NULL, err, sizeof err), -1);
    if (!strstr(err, want_in_err))
        printf("#   error was: %s\n#   expected: %s\n", err, want_in_err);
    T_CHECK(strstr(err, want_in_err) != NULL);
    T_INTEQ(env->u.map.n, 1); /* nothing half-loaded */
}

static void test_broken_files(void)
{
    af_arena *a = af_arena_new();
    char want[600];
    snprintf(want, sizeof want, "env file not found: %s", p("missing.env"));
    expect_fail(a, "dotenv", p("missing.env"), 0, want);
    /* optional: skipped, whatever the type */
    af_value *env = af_map(a);
    char err[512] = "";
    T_INTEQ(af__envfile_load(a, env, "dotenv", p("missing.env"), 1, NULL, NULL, err, sizeof err),
            0);
    T_INTEQ(af__envfile_load(a, env, "bogus", p("missing.env"), 1, NULL, NULL, err, sizeof err), 0);
    T_INTEQ(env->u.map.n, 0);
    /* a path through a file is missing too, as Path.exists() says */
    snprintf(want, sizeof want, "env file not found: %s", p("a.env/x"));
    expect_fail(a, "dotenv", p("a.env/x"), 0, want);

    expect_fail(a, "yaml", p("a.env"), 0, "Unsupported env_files type: yaml");
    expect_fail(a, "", p("a.env"), 0, "Unsupported env_files type: ");

    WRITE(p("bad.json"), "{\"a\": 1,}");
    expect_fail(a, "json", p("bad.json"), 0, "invalid JSON: line 1 column 9");
    WRITE(p("list.json"), "[1, 2]");
    expect_fail(a, "json", p("list.json"), 0, "json env file must be a JSON object, not an array");
    WRITE(p("str.json"), "\"x\"");
    expect_fail(a, "json", p("str.json"), 0, "json env file must be a JSON object, not string");
    WRITE(p("empty.json"), "");
    expect_fail(a, "json", p("empty.json"), 0, "invalid JSON");

    WRITE(p("latin1.env"), "A=caf\xe9\n");
    snprintf(want, sizeof want, "env file %s: not valid UTF-8 (byte 0xe9 at offset 5)",
             p("latin1.env"));
    expect_fail(a, "dotenv", p("latin1.env"), 0, want);
    WRITE(p("surrogate.env"), "A=\xed\xa0\x80\n");
    expect_fail(a, "dotenv", p("surrogate.env"), 0, "not valid UTF-8");
    mkdir(p("baddir"), 0755);
    WRITE(p("baddir/K"), "\xff\n");
    expect_fail(a, "dir", p("baddir"), 0, "not valid UTF-8");

    snprintf(want, sizeof want, "env file %s: Is a directory", p("d"));
    expect_fail(a, "dotenv", p("d"), 0, want);
    snprintf(want, sizeof want, "env file %s: not a directory", p("a.env"));
    expect_fail(a, "dir", p("a.env"), 0, want);

    /* an empty dotenv file and an empty directory load nothing, fine */
    WRITE(p("empty.env"), "");
    mkdir(p("emptydir"), 0755);
    T_INTEQ(af__envfile_load(a, env, "dotenv", p("empty.env"), 0, NULL, NULL, err, sizeof err), 0);
    T_INTEQ(af__envfile_load(a, env, "dir", p("emptydir"), 0, NULL, NULL, err, sizeof err), 0);
    T_INTEQ(env->u.map.n, 0);
    af_arena_free(a);
}

/* ---- AETHERFLOW_ENV_FILES_JSON -------------------------------------------- */

static void expect_json_fail(af_arena *a, const char *spec, const char *want_in_err)
{
    af_value *env = af_map(a);
    char err[1024] = "";
    T_INTEQ(af__envfiles_json(a, env, spec, err, sizeof err), -1);
    if (!strstr(err, want_in_err))
        printf("#   error was: %s\n#   expected: %s\n", err, want_in_err);
    T_CHECK(strstr(err, want_in_err) != NULL);
    T_INTEQ(env->u.map.n, 0);
}

static void test_env_files_json(void)
{
    af_arena *a = af_arena_new();
    af_value *env = af_map(a);
    char err[1024] = "", spec[2048];
    T_INTEQ(af__envfiles_json(a, env, NULL, err, sizeof err), 0);
    T_INTEQ(af__envfiles_json(a, env, "", err, sizeof err), 0);
    T_INTEQ(af__envfiles_json(a, env, "[]", err, sizeof err), 0);
    T_INTEQ(env->u.map.n, 0);

    expect_json_fail(a, "[{\"type\": \"dotenv\",}]",
                     "AETHERFLOW_ENV_FILES_JSON is not valid JSON: line 1 column 20");
    expect_json_fail(a, "{\"type\": \"dotenv\"}",
                     "AETHERFLOW_ENV_FILES_JSON must be a JSON list, not an object");
    expect_json_fail(a, "\"x\"", "AETHERFLOW_ENV_FILES_JSON must be a JSON list, not string");
    snprintf(spec, sizeof spec, "[{\"type\":\"dotenv\",\"path\":\"%s\"}, 5]", p("a.env"));
    expect_json_fail(a, spec, "AETHERFLOW_ENV_FILES_JSON[1]: env file spec must be an object");
    /* a later missing file: nothing from the earlier one lands either */
    snprintf(spec, sizeof spec,
             "[{\"type\":\"dotenv\",\"path\":\"%s\"}, {\"type\":\"json\",\"path\":\"%s\"}]",
             p("a.env"), p("gone.json"));
    char want[600];
    snprintf(want, sizeof want, "AETHERFLOW_ENV_FILES_JSON[1]: env file not found: %s",
             p("gone.json"));
    expect_json_fail(a, spec, want);
    /* a missing path is "", which is "." (a directory) */
    expect_json_fail(a, "[{\"type\":\"dotenv\"}]", "AETHERFLOW_ENV_FILES_JSON[0]: env file .:");
    expect_json_fail(a, "[{\"path\":\"/\"}]", "Unsupported env_files type: ");

    /* fields read with Python's truthiness and str() */
    snprintf(spec, sizeof spec,
             "[{\"type\":\" DotEnv \",\"path\":\"%s\",\"prefix\":7},"
             " {\"type\":\"json\",\"path\":\"%s\",\"optional\":\"false\"},"
             " {\"type\":\"json\",\"path\":\"%s\",\"optional\":[0]},"
             " {\"type\":\"json\",\"path\":\"%s\",\"optional\":null,\"prefix\":null}]",
             p("one.env"), p("gone.json"), p("gone.json"), p("two.json"));
    env = af_map(a);
    T_INTEQ(af__envfiles_json(a, env, spec, err, sizeof err), 0);
    T_STREQ(dump(a, env), "{\"7A\": \"from_one\", \"7B\": \"from_one\", \"7C\": \"from_one\", "
                          "\"B\": \"from_two\", \"D\": \"4\"}");
    snprintf(spec, sizeof spec, "[{\"type\":\"json\",\"path\":\"%s\",\"optional\":0}]",
             p("gone.json"));
    expect_json_fail(a, spec, "env file not found");
    af_arena_free(a);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/afc-test-env-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    make_fixtures();
    T_RUN(test_snapshot);
    T_RUN(test_dotenv);
    T_RUN(test_json);
    T_RUN(test_dir);
    T_RUN(test_precedence);
    T_RUN(test_base_dir);
    T_RUN(test_broken_files);
    T_RUN(test_env_files_json);
    if (ref_available())
        T_RUN(test_live_reference);
    else
        printf("ok - env/test_live_reference # SKIP python3 or reference missing\n");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
    T_END();
}
