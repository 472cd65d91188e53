/*
 * test_state.c - the state store (runtime/state.c) on real SQLite files:
 * the reference's tables column for column, every transition the executor
 * records, resume lookups, locks with expiry and two owners, two processes
 * on one database, kill -9 durability, and the `status` output.
 *
 * Where python3 and the reference checkout are present (AF_REF_SRC, default
 * /work/ref/packages/aetherflow-core/src), the reference's StateStore is run
 * to create its schema and to read and lock our database; elsewhere those
 * two tests report SKIP and the reference's DDL, kept below as generated
 * from it, is still compared.
 */
#include "af_int.h"
#include "t.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T_SUITE "state"

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

static af_state *open_new(const char *name)
{
    char err[512] = "";
    af_state *st = NULL;
    unlink(tpath(name));
    if (af__state_open(&st, tpath(name), err, sizeof err) < 0) {
        printf("#   open %s: %s\n", name, err);
        return NULL;
    }
    return st;
}

/* First column of the first row of sql on db file path, as text ("" none). */
static const char *q1(const char *path, const char *sql)
{
    static char out[8][1024];
    static int k;
    k = (k + 1) % 8;
    out[k][0] = 0;
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) return out[k];
    sqlite3_busy_timeout(db, 30000);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
            snprintf(out[k], sizeof out[k], "%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
    } else {
        snprintf(out[k], sizeof out[k], "SQL ERROR: %s", sqlite3_errmsg(db));
    }
    sqlite3_close(db);
    return out[k];
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    char *msg = NULL;
    sqlite3_open(path, &db);
    sqlite3_busy_timeout(db, 30000);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) printf("#   sql error: %s\n", msg);
    sqlite3_free(msg);
    sqlite3_close(db);
}

/* CREATE statement text with whitespace runs collapsed, as `.schema` shows
 * it modulo layout. */
static const char *norm_ddl(const char *path, const char *table)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT sql FROM sqlite_master WHERE type='table' AND name='%s'",
             table);
    const char *s = q1(path, sql);
    static char out[4][1024];
    static int k;
    k = (k + 1) % 4;
    char *o = out[k];
    size_t n = 0;
    int sp = 0;
    for (const char *p = s; *p && n < sizeof out[k] - 2; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            sp = 1;
            continue;
        }
        if (sp && n > 0 && o[n - 1] != '(' && *p != ')' && *p != ',') o[n++] = ' ';
        sp = 0;
        o[n++] = *p;
    }
    o[n] = 0;
    return o;
}

/* Column list as "name type notnull pk;..." from PRAGMA table_info. */
static const char *cols(const char *path, const char *table)
{
    static char out[4][1024];
    static int k;
    k = (k + 1) % 4;
    out[k][0] = 0;
    sqlite3 *db;
    sqlite3_open(path, &db);
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", table);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, sql, -1, &q, NULL);
    size_t n = 0;
    while (sqlite3_step(q) == SQLITE_ROW)
        n += (size_t)snprintf(out[k] + n, sizeof out[k] - n, "%s %s %d %d;",
                              sqlite3_column_text(q, 1), sqlite3_column_text(q, 2),
                              sqlite3_column_int(q, 3), sqlite3_column_int(q, 5));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return out[k];
}

static const char *ref_src(void)
{
    const char *s = getenv("AF_REF_SRC");
    return s ? s : "/work/ref/packages/aetherflow-core/src";
}

/* Runs python code with the reference on PYTHONPATH; returns its stdout's
 * first line, or NULL when python3 or the reference is not there. */
static int ref_available(void)
{
    char probe[600];
    snprintf(probe, sizeof probe, "%s/aetherflow/core/state.py", ref_src());
    return access(probe, R_OK) == 0 && system("python3 -c 1 >/dev/null 2>&1") == 0;
}

static const char *ref_python(const char *code)
{
    static char line[1024];
    const char *py = tpath("ref.py");
    FILE *f = fopen(py, "w");
    fputs(code, f);
    fclose(f);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "PYTHONPATH='%s' python3 '%s' 2>&1", ref_src(), py);
    FILE *p = popen(cmd, "r");
    line[0] = 0;
    if (!fgets(line, sizeof line, p)) line[0] = 0;
    pclose(p);
    line[strcspn(line, "\n")] = 0;
    return line;
}

/* ---- schema --------------------------------------------------------------- */

/* Generated from the reference's StateStore (sqlite_master.sql, whitespace
 * collapsed); test_schema_live_reference re-derives them when it can. */
static const char *const ref_ddl[][2] = {
    {"job_runs", "CREATE TABLE job_runs(job_id TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT "
                 "NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY(job_id, run_id))"},
    {"step_runs",
     "CREATE TABLE step_runs(job_id TEXT NOT NULL, run_id TEXT NOT NULL, step_id TEXT NOT NULL, "
     "status TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY(job_id, run_id, step_id))"},
    {"locks", "CREATE TABLE locks(key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER "
              "NOT NULL)"},
};

static void test_schema_reference_tables(void)
{
    af_state *st = open_new("schema.db");
    T_CHECK(st != NULL);
    if (!st) return;
    af__state_close(st);
    const char *db = tpath("schema.db");
    for (size_t i = 0; i < sizeof ref_ddl / sizeof ref_ddl[0]; i++)
        T_STREQ(norm_ddl(db, ref_ddl[i][0]), ref_ddl[i][1]);
    T_STREQ(cols(db, "job_runs"),
            "job_id TEXT 1 1;run_id TEXT 1 2;status TEXT 1 0;updated_at INTEGER 1 0;");
    T_STREQ(cols(db, "step_runs"), "job_id TEXT 1 1;run_id TEXT 1 2;step_id TEXT 1 3;status TEXT "
                                   "1 0;updated_at INTEGER 1 0;");
    T_STREQ(cols(db, "locks"), "key TEXT 0 1;owner TEXT 1 0;expires_at INTEGER 1 0;");
    T_STREQ(q1(db, "PRAGMA journal_mode"), "wal");
    T_STREQ(q1(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE "
                   "type='table' ORDER BY name)"),
            "af_job_runs,af_runs,af_schema_version,af_step_attempts,af_step_outputs,job_runs,"
            "locks,step_runs");
    T_STREQ(q1(db, "SELECT max(version) FROM af_schema_version"), "1");
    /* Only the reference's own implicit indexes on its tables. */
    T_STREQ(q1(db, "SELECT count(*) FROM sqlite_master WHERE type='index' AND tbl_name IN "
                   "('job_runs','step_runs','locks')"),
            "3");
}

static void test_schema_live_reference(void)
{
    char code[1024];
    unlink(tpath("ref.db"));
    snprintf(code, sizeof code,
             "from aetherflow.core.state import StateStore\nStateStore('%s')\nprint('made')\n",
             tpath("ref.db"));
    const char *out = ref_python(code);
    T_STREQ(out, "made");
    af_state *st = open_new("ours.db");
    af__state_close(st);
    const char *tables[] = {"job_runs", "step_runs", "locks"};
    for (int i = 0; i < 3; i++) {
        T_STREQ(norm_ddl(tpath("ours.db"), tables[i]), norm_ddl(tpath("ref.db"), tables[i]));
        T_STREQ(cols(tpath("ours.db"), tables[i]), cols(tpath("ref.db"), tables[i]));
    }
    T_STREQ(q1(tpath("ref.db"), "PRAGMA journal_mode"),
            q1(tpath("ours.db"), "PRAGMA journal_mode"));
    /* A database the reference made opens as ours (our tables are added). */
    char err[512] = "";
    st = NULL;
    T_INTEQ(af__state_open(&st, tpath("ref.db"), err, sizeof err), 0);
    T_STREQ(err, "");
    if (st) {
        T_INTEQ(af__state_job_set(st, "j", "r", "SUCCESS", err, sizeof err), 0);
        af__state_close(st);
    }
    T_STREQ(q1(tpath("ref.db"), "SELECT status FROM job_runs WHERE job_id='j'"), "SUCCESS");
}

/* The reference's own code reads what we wrote and honours our locks. */
static void test_reference_reads_our_rows(void)
{
    af_state *st = open_new("interop.db");
    if (!st) {
        T_CHECK(0);
        return;
    }
    char err[256];
    af__step_row r = {.job_id = "j1", .step_id = "s1", .step_type = "t", .status = "SUCCESS"};
    T_INTEQ(af__state_step_end(st, "run1", &r, err, sizeof err), 0);
    T_INTEQ(af__state_lock_acquire(st, "L", "run1", 600, err, sizeof err), 1);
    char code[1024];
    snprintf(code, sizeof code,
             "from aetherflow.core.state import StateStore\n"
             "s = StateStore('%s')\n"
             "print(s.get_step_status('j1','run1','s1'), s.get_step_status('j1','run1','s2'),"
             " s.acquire_lock('L','other'), s.acquire_lock('M','other'))\n"
             "s.set_step_status('j1','run1','s2','SKIPPED')\n",
             tpath("interop.db"));
    const char *out = ref_python(code);
    T_STREQ(out, "SUCCESS None False True");
    /* and we read what the reference wrote */
    char status[16] = "";
    const char *oj = "x";
    af_arena *a = af_arena_new();
    T_INTEQ(af__state_step_done(st, a, "j1", "run1", "s2", status, &oj, NULL), 1);
    T_STREQ(status, "SKIPPED");
    T_CHECK(oj == NULL);
    T_INTEQ(af__state_lock_acquire(st, "M", "run1", 600, err, sizeof err), 0);
    af_arena_free(a);
    af__state_close(st);
}

/* ---- runs ----------------------------------------------------------------- */

static void test_run_rows(void)
{
    af_state *st = open_new("runs.db");
    if (!st) {
        T_CHECK(0);
        return;
    }
    char err[512] = "";
    af__run_row r = {.run_id = "r1",
                     .flow_id = "flow_a",
                     .fingerprint = "abc123",
                     .afc_version = "0.1.0",
                     .status = "RUNNING",
                     .host = "hostA",
                     .pid = 42,
                     .started_ms = 1000};
    T_INTEQ(af__state_run_begin(st, &r, err, sizeof err), 0);
    af_arena *a = af_arena_new();
    af__run_row got = {0};
    T_INTEQ(af__state_run_get(st, a, "r1", &got, err, sizeof err), 1);
    T_STREQ(got.flow_id, "flow_a");
    T_STREQ(got.fingerprint, "abc123");
    T_STREQ(got.afc_version, "0.1.0");
    T_STREQ(got.status, "RUNNING");
    T_STREQ(got.host, "hostA");
    T_INTEQ(got.pid, 42);
    T_INTEQ(got.started_ms, 1000);
    T_INTEQ(got.ended_ms, 0);
    T_INTEQ(af__state_run_end(st, "r1", "FAILED", 5000, err, sizeof err), 0);
    T_INTEQ(af__state_run_get(st, a, "r1", &got, err, sizeof err), 1);
    T_STREQ(got.status, "FAILED");
    T_INTEQ(got.ended_ms, 5000);

    /* resume: a new process, same run id; the first start time stays */
    af__run_row again = r;
    again.pid = 43;
    again.started_ms = 9000;
    again.fingerprint = "def456";
    T_INTEQ(af__state_run_begin(st, &again, err, sizeof err), 0);
    T_INTEQ(af__state_run_get(st, a, "r1", &got, err, sizeof err), 1);
    T_INTEQ(got.started_ms, 1000);
    T_INTEQ(got.pid, 43);
    T_INTEQ(got.ended_ms, 0);
    T_STREQ(got.status, "RUNNING");
    T_STREQ(got.fingerprint, "def456");
    T_STREQ(q1(tpath("runs.db"), "SELECT resumes FROM af_runs WHERE run_id='r1'"), "1");

    /* the same run id in another flow is refused, not mixed */
    af__run_row other = r;
    other.flow_id = "flow_b";
    T_INTEQ(af__state_run_begin(st, &other, err, sizeof err), -1);
    T_CHECK(strstr(err, "run id 'r1' belongs to flow 'flow_a', not 'flow_b'") != NULL);

    /* defaults: host, pid and start time filled in */
    af__run_row bare = {.run_id = "r2", .flow_id = "flow_a"};
    T_INTEQ(af__state_run_begin(st, &bare, err, sizeof err), 0);
    T_INTEQ(af__state_run_get(st, a, "r2", &got, err, sizeof err), 1);
    T_INTEQ(got.pid, getpid());
    T_STREQ(got.status, "RUNNING");
    T_CHECK(got.started_ms > 1600000000000LL);
    T_CHECK(got.host && got.host[0]);
    T_INTEQ(af__state_run_end(st, "r2", "SUCCESS", 0, err, sizeof err), 0);
    T_INTEQ(af__state_run_get(st, a, "r2", &got, err, sizeof err), 1);
    T_CHECK(got.ended_ms >= got.started_ms);

    T_INTEQ(af__state_run_get(st, a, "nope", &got, err, sizeof err), 0);
    T_INTEQ(af__state_run_end(st, "nope", "SUCCESS", 1, err, sizeof err), -1);
    T_CHECK(strstr(err, "run 'nope' was never started") != NULL);
    af_arena_free(a);
    af__state_close(st);
}

/* ---- jobs ----------------------------------------------------------------- */

static void test_job_transitions(void)
{
    af_state *st = open_new("jobs.db");
    if (!st) {
        T_CHECK(0);
        return;
    }
    const char *db = tpath("jobs.db");
    char err[512] = "", status[16] = "";
    int64_t before = af__now_ms() / 1000;
    T_INTEQ(af__state_job_get(st, "j1", "r1", status), 0);
    T_INTEQ(af__state_job_set(st, "j1", "r1", "RUNNING", err, sizeof err), 0);
    T_INTEQ(af__state_job_get(st, "j1", "r1", status), 1);
    T_STREQ(status, "RUNNING");
    T_STREQ(q1(db, "SELECT status IS NULL FROM af_job_runs WHERE job_id='j1'"), "0");
    T_STREQ(q1(db, "SELECT ended_ms IS NULL AND started_ms > 0 FROM af_job_runs"), "1");
    T_INTEQ(
        af__state_job_set_ex(st, "j1", "r1", "FAILED", "step 'x' failed: boom", err, sizeof err),
        0);
    T_INTEQ(af__state_job_get(st, "j1", "r1", status), 1);
    T_STREQ(status, "FAILED");
    /* one row per (job, run): INSERT OR REPLACE, updated_at in epoch seconds */
    T_STREQ(q1(db, "SELECT count(*) FROM job_runs"), "1");
    int64_t upd = atoll(q1(db, "SELECT updated_at FROM job_runs"));
    T_CHECK(upd >= before && upd <= af__now_ms() / 1000);
    T_STREQ(q1(db, "SELECT typeof(updated_at) FROM job_runs"), "integer");
    T_STREQ(q1(db, "SELECT error FROM af_job_runs WHERE job_id='j1'"), "step 'x' failed: boom");
    T_STREQ(q1(db, "SELECT ended_ms >= started_ms FROM af_job_runs WHERE job_id='j1'"), "1");
    /* resume: RUNNING again clears the end and the error */
    T_INTEQ(af__state_job_set(st, "j1", "r1", "RUNNING", err, sizeof err), 0);
    T_STREQ(q1(db, "SELECT ended_ms IS NULL AND error IS NULL FROM af_job_runs"), "1");
    T_INTEQ(af__state_job_set(st, "j1", "r1", "SUCCESS", err, sizeof err), 0);
    T_STREQ(q1(db, "SELECT status FROM job_runs"), "SUCCESS");
    /* a job that never started (BLOCKED) still gets times */
    T_INTEQ(af__state_job_set(st, "j2", "r1", "BLOCKED", err, sizeof err), 0);
    T_STREQ(q1(db, "SELECT started_ms = ended_ms FROM af_job_runs WHERE job_id='j2'"), "1");
    /* same job id, another run: separate rows */
    T_INTEQ(af__state_job_set(st, "j1", "r2", "SKIPPED", err, sizeof err), 0);
    T_INTEQ(af__state_job_get(st, "j1", "r1", status), 1);
    T_STREQ(status, "SUCCESS");
    T_INTEQ(af__state_job_get(st, "j1", "r2", status), 1);
    T_STREQ(status, "SKIPPED");
    T_STREQ(q1(db, "SELECT count(*) FROM job_runs"), "3");
    af__state_close(st);
}

/* ---- steps ---------------------------------------------------------------- */

static void test_step_lifecycle(void)
{
    af_state *st = open_new("steps.db");
    if (!st) {
        T_CHECK(0);
        return;
    }
    const char *db = tpath("steps.db");
    char err[512] = "", status[16] = "";
    af_arena *a = af_arena_new();
    const char *oj = NULL, *pj = NULL;

    af__step_row r = {.job_id = "j", .step_id = "s1", .step_type = "sftp_download"};
    T_INTEQ(af__state_step_start(st, "r", &r, err, sizeof err), 0);
    T_STREQ(q1(db, "SELECT status || ' ' || attempt || ' ' || step_type FROM af_step_attempts"),
            "RUNNING 1 sftp_download");
    T_STREQ(q1(db, "SELECT count(*) FROM step_runs"), "0");
    T_INTEQ(af__state_step_done(st, a, "j", "r", "s1", status, &oj, &pj), 0);

    /* it fails: the attempt records the error; step_runs stays empty, as the
     * reference never writes FAILED there */
    r.status = "FAILED";
    r.error = "connection refused";
    T_INTEQ(af__state_step_end(st, "r", &r, err, sizeof err), 0);
    T_STREQ(q1(db, "SELECT status || ' ' || error FROM af_step_attempts WHERE attempt=1"),
            "FAILED connection refused");
    T_STREQ(q1(db, "SELECT ended_ms >= started_ms FROM af_step_attempts WHERE attempt=1"), "1");
    T_STREQ(q1(db, "SELECT count(*) FROM step_runs"), "0");
    T_STREQ(q1(db, "SELECT count(*) FROM af_step_outputs"), "0");
    T_INTEQ(af__state_step_done(st, a, "j", "r", "s1", status, &oj, &pj), 0);

    /* resumed: attempt 2 succeeds with outputs */
    af__step_row r2 = {.job_id = "j", .step_id = "s1", .step_type = "sftp_download"};
    T_INTEQ(af__state_step_start(st, "r", &r2, err, sizeof err), 0);
    T_STREQ(q1(db, "SELECT max(attempt) FROM af_step_attempts"), "2");
    r2.status = "SUCCESS";
    r2.outputs_json = "{\"files\": [\"a.csv\"], \"count\": 1}";
    r2.promoted_json = "{\"n\": 1}";
    T_INTEQ(af__state_step_end(st, "r", &r2, err, sizeof err), 0);
    T_STREQ(q1(db, "SELECT status FROM af_step_attempts WHERE attempt=2"), "SUCCESS");
    T_STREQ(q1(db, "SELECT error IS NULL FROM af_step_attempts WHERE attempt=2"), "1");
    T_STREQ(q1(db, "SELECT status FROM af_step_attempts WHERE attempt=1"), "FAILED");
    T_STREQ(q1(db, "SELECT status FROM step_runs WHERE job_id='j' AND run_id='r' AND step_id='s1'"),
            "SUCCESS");
    T_STREQ(q1(db, "SELECT typeof(updated_at) FROM step_runs"), "integer");
    T_INTEQ(af__state_step_done(st, a, "j", "r", "s1", status, &oj, &pj), 1);
    T_STREQ(status, "SUCCESS");
    T_STREQ(oj, "{\"files\": [\"a.csv\"], \"count\": 1}");
    T_STREQ(pj, "{\"n\": 1}");
    /* other run, other job: not done */
    T_INTEQ(af__state_step_done(st, a, "j", "r-other", "s1", status, &oj, &pj), 0);
    T_INTEQ(af__state_step_done(st, a, "j2", "r", "s1", status, &oj, &pj), 0);

    /* skipped after a skip_job short-circuit: never started */
    af__step_row r3 = {.job_id = "j",
                       .step_id = "s2",
                       .step_type = "noop",
                       .status = "SKIPPED",
                       .outputs_json = "{\"skipped\": true, \"reason\": \"no files\"}"};
    T_INTEQ(af__state_step_end(st, "r", &r3, err, sizeof err), 0);
    T_STREQ(q1(db, "SELECT attempt || ' ' || status FROM af_step_attempts WHERE step_id='s2'"),
            "1 SKIPPED");
    T_INTEQ(af__state_step_done(st, a, "j", "r", "s2", status, &oj, &pj), 1);
    T_STREQ(status, "SKIPPED");
    T_STREQ(oj, "{\"skipped\": true, \"reason\": \"no files\"}");
    T_CHECK(pj == NULL);

    /* explicit attempt numbers are used as given */
    af__step_row r4 = {.job_id = "j", .step_id = "s3", .step_type = "t", .attempt = 7};
    T_INTEQ(af__state_step_start(st, "r", &r4, err, sizeof err), 0);
    r4.status = "SUCCESS";
    T_INTEQ(af__state_step_end(st, "r", &r4, err, sizeof err), 0);
    T_STREQ(q1(db, "SELECT group_concat(attempt) FROM af_step_attempts WHERE step_id='s3'"), "7");
    T_INTEQ(af__state_step_done(st, a, "j", "r", "s3", status, &oj, &pj), 1);
    T_CHECK(oj == NULL); /* no outputs given */

    /* only SUCCESS or SKIPPED count as done, whatever wrote the row */
    exec_sql(db, "INSERT INTO step_runs VALUES ('j','r','s9','RUNNING',1)");
    T_INTEQ(af__state_step_done(st, a, "j", "r", "s9", status, &oj, &pj), 0);
    T_STREQ(status, "RUNNING");

    T_INTEQ(af__state_step_end(st, "r", &(af__step_row){.job_id = "j", .step_id = "x"}, err,
                               sizeof err),
            -1);
    T_CHECK(strstr(err, "without a status") != NULL);
    af_arena_free(a);
    af__state_close(st);
}

/* ---- locks ---------------------------------------------------------------- */

static void test_locks(void)
{
    af_state *st = open_new("locks.db");
    if (!st) {
        T_CHECK(0);
        return;
    }
    const char *db = tpath("locks.db");
    char err[512] = "";
    int64_t now = af__now_ms() / 1000;
    T_INTEQ(af__state_lock_acquire(st, "k", "runA", 600, err, sizeof err), 1);
    int64_t exp = atoll(q1(db, "SELECT expires_at FROM locks WHERE key='k'"));
    T_CHECK(exp >= now + 600 && exp <= now + 601);
    T_STREQ(q1(db, "SELECT owner FROM locks WHERE key='k'"), "runA");
    /* held: another owner and the same owner are both refused (a primary
     * key conflict, as in the reference) */
    T_INTEQ(af__state_lock_acquire(st, "k", "runB", 600, err, sizeof err), 0);
    T_INTEQ(af__state_lock_acquire(st, "k", "runA", 600, err, sizeof err), 0);
    /* release needs the owner */
    T_INTEQ(af__state_lock_release(st, "k", "runB"), 0);
    T_STREQ(q1(db, "SELECT owner FROM locks WHERE key='k'"), "runA");
    T_INTEQ(af__state_lock_release(st, "k", "runA"), 0);
    T_STREQ(q1(db, "SELECT count(*) FROM locks"), "0");
    T_INTEQ(af__state_lock_acquire(st, "k", "runB", 600, err, sizeof err), 1);
    T_STREQ(q1(db, "SELECT owner FROM locks WHERE key='k'"), "runB");

    /* expiry: rows with expires_at <= now are deleted before inserting */
    exec_sql(db, "UPDATE locks SET expires_at = strftime('%s','now') - 5 WHERE key='k'");
    exec_sql(db, "INSERT INTO locks VALUES ('old1','x', 1), ('future','y', 9999999999)");
    T_INTEQ(af__state_lock_acquire(st, "k", "runC", 60, err, sizeof err), 1);
    T_STREQ(q1(db, "SELECT owner FROM locks WHERE key='k'"), "runC");
    T_STREQ(q1(db, "SELECT count(*) FROM locks WHERE key='old1'"), "0");
    T_STREQ(q1(db, "SELECT count(*) FROM locks WHERE key='future'"), "1");
    /* purging happens even when the lock is not acquired */
    exec_sql(db, "INSERT INTO locks VALUES ('old2','x', 1)");
    T_INTEQ(af__state_lock_acquire(st, "future", "runC", 60, err, sizeof err), 0);
    T_STREQ(q1(db, "SELECT count(*) FROM locks WHERE key='old2'"), "0");
    /* ttl 0 expires at once: the next acquirer takes it */
    T_INTEQ(af__state_lock_acquire(st, "z", "runA", 0, err, sizeof err), 1);
    T_INTEQ(af__state_lock_acquire(st, "z", "runB", 0, err, sizeof err), 1);
    T_STREQ(q1(db, "SELECT owner FROM locks WHERE key='z'"), "runB");
    af__state_close(st);
}

/* Two owners in two processes: a lock held by a live process stays held
 * until it releases, across connections. */
static void test_lock_two_processes(void)
{
    af_state *st = open_new("lock2.db");
    if (!st) {
        T_CHECK(0);
        return;
    }
    af__state_close(st);
    int to_child[2], to_parent[2];
    T_CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        char err[256], c;
        af_state *cs = NULL;
        if (af__state_open(&cs, tpath("lock2.db"), err, sizeof err) < 0) _exit(10);
        int got = af__state_lock_acquire(cs, "shared", "child", 600, err, sizeof err);
        c = (char)('0' + got);
        if (write(to_parent[1], &c, 1) != 1) _exit(11);
        if (read(to_child[0], &c, 1) != 1) _exit(12); /* wait for the parent's try */
        af__state_lock_release(cs, "shared", "child");
        c = 'r';
        if (write(to_parent[1], &c, 1) != 1) _exit(13);
        af__state_close(cs);
        _exit(0);
    }
    char c = 0, err[256];
    T_CHECK(read(to_parent[0], &c, 1) == 1);
    T_INTEQ(c, '1');
    af_state *ps = NULL;
    T_INTEQ(af__state_open(&ps, tpath("lock2.db"), err, sizeof err), 0);
    T_INTEQ(af__state_lock_acquire(ps, "shared", "parent", 600, err, sizeof err), 0);
    c = 'g';
    T_CHECK(write(to_child[1], &c, 1) == 1);
    T_CHECK(read(to_parent[0], &c, 1) == 1);
    T_INTEQ(c, 'r');
    T_INTEQ(af__state_lock_acquire(ps, "shared", "parent", 600, err, sizeof err), 1);
    int status = 0;
    waitpid(pid, &status, 0);
    T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    af__state_close(ps);
}

/* Four processes write to one database at once (each its own connection):
 * no write is lost, none fails on a busy database, and the lock gives
 * mutual exclusion over a read-modify-write of a file. */
static void test_concurrent_processes(void)
{
    af_state *st = open_new("conc.db");
    if (!st) {
        T_CHECK(0);
        return;
    }
    af__state_close(st);
    char counter[512];
    snprintf(counter, sizeof counter, "%s", tpath("counter"));
    FILE *f = fopen(counter, "w");
    fputs("0\n", f);
    fclose(f);
    enum { NPROC = 4, NSTEPS = 60, NLOCKED = 15 };
    pid_t pids[NPROC];
    for (int p = 0; p < NPROC; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            char err[512], owner[32], job[32], step[32];
            af_state *cs = NULL;
            if (af__state_open(&cs, tpath("conc.db"), err, sizeof err) < 0) _exit(10);
            snprintf(owner, sizeof owner, "owner%d", p);
            snprintf(job, sizeof job, "job%d", p);
            for (int i = 0; i < NSTEPS; i++) {
                snprintf(step, sizeof step, "s%d", i);
                af__step_row r = {.job_id = job, .step_id = step, .step_type = "t"};
                if (af__state_step_start(cs, "run", &r, err, sizeof err) < 0) _exit(11);
                r.status = "SUCCESS";
                r.outputs_json = "{\"i\": 1}";
                if (af__state_step_end(cs, "run", &r, err, sizeof err) < 0) _exit(12);
                if (af__state_job_set(cs, job, "run", "RUNNING", err, sizeof err) < 0) _exit(13);
            }
            for (int done = 0; done < NLOCKED;) {
                int got = af__state_lock_acquire(cs, "counter", owner, 60, err, sizeof err);
                if (got < 0) _exit(14);
                if (!got) {
                    usleep(1000);
                    continue;
                }
                FILE *cf = fopen(counter, "r+");
                int n = 0;
                if (fscanf(cf, "%d", &n) != 1) _exit(15);
                usleep(500); /* widen the window a missing lock would show */
                rewind(cf);
                fprintf(cf, "%d\n", n + 1);
                fclose(cf);
                af__state_lock_release(cs, "counter", owner);
                done++;
            }
            af__state_close(cs);
            _exit(0);
        }
    }
    int ok = 1;
    for (int p = 0; p < NPROC; p++) {
        int status = 0;
        waitpid(pids[p], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("#   child %d exit status %d\n", p, WEXITSTATUS(status));
            ok = 0;
        }
    }
    T_CHECK(ok);
    char want[32];
    snprintf(want, sizeof want, "%d", NPROC * NSTEPS);
    T_STREQ(q1(tpath("conc.db"), "SELECT count(*) FROM step_runs WHERE status='SUCCESS'"), want);
    T_STREQ(q1(tpath("conc.db"), "SELECT count(*) FROM af_step_attempts WHERE status='SUCCESS'"),
            want);
    T_STREQ(q1(tpath("conc.db"), "SELECT count(*) FROM af_step_outputs"), want);
    T_STREQ(q1(tpath("conc.db"), "SELECT count(*) FROM job_runs"), "4");
    f = fopen(counter, "r");
    int n = -1;
    T_CHECK(fscanf(f, "%d", &n) == 1);
    fclose(f);
    T_INTEQ(n, NPROC * NLOCKED);
}

/* A step that ended is in the database even if the process is killed
 * right after, without closing (synchronous=NORMAL in WAL mode). */
static void test_survives_kill9(void)
{
    unlink(tpath("kill.db"));
    pid_t pid = fork();
    if (pid == 0) {
        char err[256];
        af_state *cs = NULL;
        if (af__state_open(&cs, tpath("kill.db"), err, sizeof err) < 0) _exit(10);
        af__step_row r = {.job_id = "j",
                          .step_id = "s",
                          .step_type = "t",
                          .status = "SUCCESS",
                          .outputs_json = "{\"k\": \"v\"}"};
        if (af__state_step_end(cs, "r", &r, err, sizeof err) < 0) _exit(11);
        raise(SIGKILL);
        _exit(12);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    T_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    af_state *st = NULL;
    char err[256], s[16];
    T_INTEQ(af__state_open(&st, tpath("kill.db"), err, sizeof err), 0);
    if (!st) return;
    af_arena *a = af_arena_new();
    const char *oj = NULL;
    T_INTEQ(af__state_step_done(st, a, "j", "r", "s", s, &oj, NULL), 1);
    T_STREQ(oj, "{\"k\": \"v\"}");
    af_arena_free(a);
    af__state_close(st);
}

/* ---- open, options, schema version --------------------------------------- */

static void test_open(void)
{
    char err[512] = "";
    af_state *st = NULL;
    /* parent directories are created */
    const char *deep = tpath("a/b/c/state.db");
    T_INTEQ(af__state_open(&st, deep, err, sizeof err), 0);
    T_STREQ(af__state_path(st), deep);
    af__state_close(st);
    struct stat sb;
    T_INTEQ(stat(deep, &sb), 0);

    /* a directory where the file should be */
    mkdir(tpath("isdir"), 0755);
    st = NULL;
    T_INTEQ(af__state_open(&st, tpath("isdir"), err, sizeof err), -1);
    T_CHECK(st == NULL);
    T_CHECK(strstr(err, "state db ") != NULL && strstr(err, "isdir") != NULL);

    /* a parent that is a file */
    FILE *f = fopen(tpath("afile"), "w");
    fclose(f);
    T_INTEQ(af__state_open(&st, tpath("afile/x.db"), err, sizeof err), -1);
    T_CHECK(strstr(err, "cannot create directory") != NULL);

    /* not a database */
    f = fopen(tpath("garbage.db"), "w");
    fputs("this is not an sqlite database, just some text that is long enough............", f);
    fclose(f);
    T_INTEQ(af__state_open(&st, tpath("garbage.db"), err, sizeof err), -1);
    T_CHECK(strstr(err, "garbage.db") != NULL);

    /* a newer schema than ours is refused, not clobbered */
    st = open_new("newer.db");
    af__state_close(st);
    /* as a newer executable leaves it: the version row and user_version */
    exec_sql(tpath("newer.db"), "INSERT INTO af_schema_version VALUES (99, 0); PRAGMA user_version = 99");
    T_INTEQ(af__state_open(&st, tpath("newer.db"), err, sizeof err), -1);
    T_CHECK(strstr(err, "schema version 99 is newer") != NULL);

    /* reopening keeps rows and one version row */
    st = open_new("reopen.db");
    T_INTEQ(af__state_job_set(st, "j", "r", "SUCCESS", err, sizeof err), 0);
    af__state_close(st);
    T_INTEQ(af__state_open(&st, tpath("reopen.db"), err, sizeof err), 0);
    char s[16];
    T_INTEQ(af__state_job_get(st, "j", "r", s), 1);
    af__state_close(st);
    T_STREQ(q1(tpath("reopen.db"), "SELECT count(*) FROM af_schema_version"), "1");

    T_INTEQ(af__state_open(&st, "", err, sizeof err), -1);
}

static void test_open_options(void)
{
    af_arena *a = af_arena_new();
    af_value *env = af_map(a);
    af__state_opts o;
    af__state_opts_from_env(&o, env);
    T_INTEQ(o.sync_full, 0);
    af_map_set(a, env, "AETHERFLOW_STATE_SYNC", af_str(a, "FULL"));
    af__state_opts_from_env(&o, env);
    T_INTEQ(o.sync_full, 1);
    af_map_set(a, env, "AETHERFLOW_STATE_SYNC", af_str(a, "normal"));
    af__state_opts_from_env(&o, env);
    T_INTEQ(o.sync_full, 0);
    af__state_opts_from_env(&o, NULL);
    T_INTEQ(o.sync_full, 0);
    /* a FULL connection works like any other */
    char err[256];
    af_state *st = NULL;
    o.sync_full = 1;
    o.busy_timeout_ms = 1000;
    unlink(tpath("full.db"));
    T_INTEQ(af__state_open_ex(&st, tpath("full.db"), &o, err, sizeof err), 0);
    T_INTEQ(af__state_job_set(st, "j", "r", "SUCCESS", err, sizeof err), 0);
    af__state_close(st);
    T_STREQ(q1(tpath("full.db"), "SELECT status FROM job_runs"), "SUCCESS");
    af_arena_free(a);
}

/* A writer blocked by another connection's open write transaction waits
 * (busy timeout) and then succeeds instead of failing at once. */
static void test_busy_wait(void)
{
    af_state *st = open_new("busy.db");
    if (!st) {
        T_CHECK(0);
        return;
    }
    int go[2];
    T_CHECK(pipe(go) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        sqlite3 *db;
        sqlite3_open(tpath("busy.db"), &db);
        sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO locks VALUES('held','c',9999999999);", NULL,
                     NULL, NULL);
        char c = 'x';
        if (write(go[1], &c, 1) != 1) _exit(1);
        usleep(300 * 1000);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(db);
        _exit(0);
    }
    char c, err[512] = "";
    T_CHECK(read(go[0], &c, 1) == 1);
    T_INTEQ(af__state_job_set(st, "j", "r", "RUNNING", err, sizeof err), 0);
    T_STREQ(err, "");
    T_INTEQ(af__state_lock_acquire(st, "held", "me", 60, err, sizeof err), 0);
    waitpid(pid, NULL, 0);
    af__state_close(st);
}

/* ---- status output -------------------------------------------------------- */

static char *capture(af_state *st, const char *flow, const char *run, int json, int *rc)
{
    static char buf[65536];
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    *rc = af__state_print(st, f, flow, run, json);
    long n = ftell(f);
    fclose(f);
    buf[n < 0 ? 0 : n] = 0;
    return buf;
}

static void fill_run(af_state *st)
{
    char err[256];
    af__run_row r = {.run_id = "run-1",
                     .flow_id = "demo",
                     .fingerprint = "0123456789abcdef0123",
                     .afc_version = "0.1.0",
                     .host = "h1",
                     .pid = 7,
                     .started_ms = 1700000000000LL};
    af__state_run_begin(st, &r, err, sizeof err);
    af__state_job_set(st, "extract", "run-1", "RUNNING", err, sizeof err);
    af__step_row s1 = {.job_id = "extract",
                       .step_id = "fetch",
                       .step_type = "sftp_download",
                       .started_ms = 1700000000100LL,
                       .ended_ms = 1700000000600LL,
                       .status = "SUCCESS",
                       .outputs_json = "{}"};
    af__state_step_start(st, "run-1", &s1, err, sizeof err);
    af__state_step_end(st, "run-1", &s1, err, sizeof err);
    af__step_row s2 = {.job_id = "extract",
                       .step_id = "load",
                       .step_type = "db_load",
                       .started_ms = 1700000000700LL,
                       .ended_ms = 1700000002700LL,
                       .status = "FAILED",
                       .error = "table \"t\" missing\nsecond line"};
    af__state_step_start(st, "run-1", &s2, err, sizeof err);
    af__state_step_end(st, "run-1", &s2, err, sizeof err);
    af__state_job_set_ex(st, "extract", "run-1", "FAILED", "step 'load' failed", err, sizeof err);
    af__state_job_set(st, "report", "run-1", "BLOCKED", err, sizeof err);
    af__state_run_end(st, "run-1", "FAILED", 1700000003000LL, err, sizeof err);
}

static void test_status_one_run(void)
{
    af_state *st = open_new("status.db");
    if (!st) {
        T_CHECK(0);
        return;
    }
    fill_run(st);
    int rc;
    char *out = capture(st, "demo", "run-1", 0, &rc);
    T_INTEQ(rc, 0);
    T_CHECK(strstr(out, "run       run-1\n") != NULL);
    T_CHECK(strstr(out, "status    FAILED\n") != NULL);
    T_CHECK(strstr(out, "started   2023-11-14T22:13:20.000Z\n") != NULL);
    T_CHECK(strstr(out, "duration  3.0s\n") != NULL);
    T_CHECK(strstr(out, "fingerprint 0123456789abcdef0123") != NULL);
    /* the step lines: name, type, status, attempt, duration, error on one line */
    T_CHECK(strstr(out, "  fetch") != NULL);
    T_CHECK(strstr(out, "sftp_download  SUCCESS   1        500ms") != NULL);
    T_CHECK(
        strstr(out,
               "db_load        FAILED    1        2.0s      table \"t\" missing second line\n") !=
        NULL);
    T_CHECK(strstr(out, "step 'load' failed") != NULL);
    T_CHECK(strstr(out, "report") != NULL && strstr(out, "BLOCKED") != NULL);
    /* extract is listed before its steps, before report */
    T_CHECK(strstr(out, "extract") < strstr(out, "  fetch"));
    T_CHECK(strstr(out, "  load") < strstr(out, "report "));
    if (t_failed_checks) printf("#   output:\n%s", out);

    out = capture(st, "demo", "run-1", 1, &rc);
    T_INTEQ(rc, 0);
    af_arena *a = af_arena_new();
    af_value *doc = NULL;
    char err[256];
    T_INTEQ(af_json_parse(a, out, strlen(out), &doc, err, sizeof err), 0);
    if (doc) {
        af_value *run = af_map_get(doc, "run");
        T_STREQ(af_map_get(run, "status")->u.s.ptr, "FAILED");
        T_INTEQ(af_map_get(run, "duration_ms")->u.i, 3000);
        T_INTEQ(af_map_get(run, "pid")->u.i, 7);
        af_value *jobs = af_map_get(doc, "jobs");
        T_INTEQ(jobs->u.list.n, 2);
        af_value *j0 = jobs->u.list.items[0];
        T_STREQ(af_map_get(j0, "job_id")->u.s.ptr, "extract");
        T_STREQ(af_map_get(j0, "error")->u.s.ptr, "step 'load' failed");
        af_value *steps = af_map_get(j0, "steps");
        T_INTEQ(steps->u.list.n, 2);
        af_value *s1 = steps->u.list.items[1];
        T_STREQ(af_map_get(s1, "step_id")->u.s.ptr, "load");
        T_STREQ(af_map_get(s1, "error")->u.s.ptr, "table \"t\" missing\nsecond line");
        T_INTEQ(af_map_get(s1, "duration_ms")->u.i, 2000);
        T_INTEQ(af_map_get(s1, "attempt")->u.i, 1);
        T_STREQ(af_map_get(jobs->u.list.items[1], "status")->u.s.ptr, "BLOCKED");
    }
    /* unknown run: 1, nothing printed */
    out = capture(st, "demo", "nope", 0, &rc);
    T_INTEQ(rc, 1);
    T_STREQ(out, "");
    /* a run only the reference wrote (no af_ rows) still shows */
    exec_sql(tpath("status.db"), "INSERT INTO job_runs VALUES ('jx','foreign','SUCCESS',1);"
                                 "INSERT INTO step_runs VALUES ('jx','foreign','sx','SKIPPED',1);");
    out = capture(st, NULL, "foreign", 0, &rc);
    T_INTEQ(rc, 0);
    T_CHECK(strstr(out, "no af_runs row") != NULL);
    T_CHECK(strstr(out, "  sx") != NULL && strstr(out, "SKIPPED") != NULL);
    af_arena_free(a);
    af__state_close(st);
}

static void test_status_runs(void)
{
    af_state *st = open_new("status2.db");
    if (!st) {
        T_CHECK(0);
        return;
    }
    char err[256];
    int rc;
    char *out = capture(st, "demo", NULL, 0, &rc);
    T_INTEQ(rc, 0);
    T_CHECK(strstr(out, "no runs of flow 'demo'") != NULL);
    for (int i = 0; i < 25; i++) {
        char id[32];
        snprintf(id, sizeof id, "run-%02d", i);
        af__run_row r = {.run_id = id,
                         .flow_id = "demo",
                         .fingerprint = "feedfacecafebeef00",
                         .afc_version = "0.1.0",
                         .started_ms = 1700000000000LL + i * 1000};
        af__state_run_begin(st, &r, err, sizeof err);
        if (i % 2) af__state_run_end(st, id, "SUCCESS", r.started_ms + 61000, err, sizeof err);
    }
    af__run_row o = {.run_id = "other-run", .flow_id = "other", .started_ms = 1800000000000LL};
    af__state_run_begin(st, &o, err, sizeof err);
    out = capture(st, "demo", NULL, 0, &rc);
    T_INTEQ(rc, 0);
    T_CHECK(strstr(out, "RUN_ID") == out);
    T_CHECK(strstr(out, "run-24") != NULL && strstr(out, "run-05") != NULL);
    T_CHECK(strstr(out, "run-04") == NULL); /* only the latest 20 */
    T_CHECK(strstr(out, "other-run") == NULL);
    T_CHECK(strstr(out, "run-24") < strstr(out, "run-23")); /* newest first */
    T_CHECK(strstr(out, "run-23  SUCCESS   2023-11-14T22:13:43.000Z  1m01s     feedfacecafe\n") !=
            NULL);
    T_CHECK(strstr(out, "feedfacecafeb") == NULL); /* a 12-character prefix */
    int lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    T_INTEQ(lines, 21);
    if (t_failed_checks) printf("#   output:\n%s", out);

    out = capture(st, "demo", NULL, 1, &rc);
    af_arena *a = af_arena_new();
    af_value *doc = NULL;
    T_INTEQ(af_json_parse(a, out, strlen(out), &doc, err, sizeof err), 0);
    if (doc) {
        af_value *runs = af_map_get(doc, "runs");
        T_INTEQ(runs->u.list.n, 20);
        T_STREQ(af_map_get(runs->u.list.items[0], "run_id")->u.s.ptr, "run-24");
        T_CHECK(af_map_get(runs->u.list.items[0], "ended_ms")->type == AF_NULL);
        T_INTEQ(af_map_get(runs->u.list.items[1], "duration_ms")->u.i, 61000);
    }
    /* no flow: every flow */
    out = capture(st, NULL, NULL, 0, &rc);
    T_CHECK(strstr(out, "other-run") != NULL);
    af_arena_free(a);
    af__state_close(st);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/afc-test-state-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    T_RUN(test_schema_reference_tables);
    if (ref_available()) {
        T_RUN(test_schema_live_reference);
        T_RUN(test_reference_reads_our_rows);
    } else {
        printf("ok - state/test_schema_live_reference # SKIP python3 or reference missing\n");
        printf("ok - state/test_reference_reads_our_rows # SKIP python3 or reference missing\n");
    }
    T_RUN(test_run_rows);
    T_RUN(test_job_transitions);
    T_RUN(test_step_lifecycle);
    T_RUN(test_locks);
    T_RUN(test_lock_two_processes);
    T_RUN(test_concurrent_processes);
    T_RUN(test_survives_kill9);
    T_RUN(test_open);
    T_RUN(test_open_options);
    T_RUN(test_busy_wait);
    T_RUN(test_status_one_run);
    T_RUN(test_status_runs);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) return 1;
    T_END();
}
