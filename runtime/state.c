/*
 * state.c - the state store: run, job and step status, step outputs for
 * resume, attempts with timings, and locks.
 *
 * Sits between the executor (which records every transition here) and the
 * storage. The public af__state_* functions in af_int.h are a thin front:
 * they take the store's mutex and call the backend through a vtable
 * (state_backend), so a second backend (PostgreSQL, shared by many hosts)
 * is one more table of functions. The front also formats `status` output
 * from rows the backend returns, so that code is shared by all backends.
 *
 * The SQLite backend keeps one connection per run in WAL mode with a 30 s
 * busy timeout (what the reference's StateStore uses), synchronous=NORMAL
 * unless FULL is asked for, and its prepared statements on the connection.
 * Every function is one transaction (BEGIN IMMEDIATE for writers, so two
 * processes on one file queue on the busy timeout instead of failing).
 *
 * Tables job_runs, step_runs and locks are the reference's, column for
 * column, used as it uses them; the af_ tables are ours. docs/state.md
 * documents all of them.
 */
#include "af_int.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA_VERSION 1      /* af_schema_version; bump with a migration step */
#define BUSY_TIMEOUT_MS 30000 /* the reference connects with timeout=30 */
#define STATUS_RUNS 20        /* runs listed by `status` without a run id */

/* One job as `status` shows it: job_runs joined with af_job_runs. */
typedef struct job_row {
    const char *job_id, *status, *error;
    int64_t updated_at;           /* job_runs.updated_at, seconds */
    int64_t started_ms, ended_ms; /* 0 when unknown */
} job_row;

/* What a backend implements. Every function is called with the store's
 * mutex held and is one transaction. Conventions as in af_int.h. */
typedef struct state_backend {
    const char *name;
    void (*close)(af_state *st);
    int (*run_begin)(af_state *st, const af__run_row *r, char *err, size_t errlen);
    int (*run_end)(af_state *st, const char *run_id, const char *status, int64_t ended_ms,
                   char *err, size_t errlen);
    int (*run_get)(af_state *st, af_arena *a, const char *run_id, af__run_row *out, char *err,
                   size_t errlen);
    /* Latest `limit` runs, newest first; flow_id NULL: every flow. */
    int (*runs_list)(af_state *st, af_arena *a, const char *flow_id, int limit, af__run_row **rows,
                     size_t *n, char *err, size_t errlen);
    int (*job_set)(af_state *st, const char *job_id, const char *run_id, const char *status,
                   const char *error, char *err, size_t errlen);
    int (*job_get)(af_state *st, const char *job_id, const char *run_id, char status[16]);
    /* Jobs of a run in the order they started. */
    int (*jobs_list)(af_state *st, af_arena *a, const char *run_id, job_row **rows, size_t *n,
                     char *err, size_t errlen);
    int (*step_start)(af_state *st, const char *run_id, const af__step_row *r, char *err,
                      size_t errlen);
    int (*step_end)(af_state *st, const char *run_id, const af__step_row *r, char *err,
                    size_t errlen);
    int (*step_done)(af_state *st, af_arena *a, const char *job_id, const char *run_id,
                     const char *step_id, char status[16], const char **outputs_json,
                     const char **promoted_json);
    /* Every step attempt of a run (and step_runs rows with no attempt),
     * in start order. */
    int (*steps_list)(af_state *st, af_arena *a, const char *run_id, af__step_row **rows, size_t *n,
                      char *err, size_t errlen);
    int (*lock_acquire)(af_state *st, const char *key, const char *owner, int64_t ttl_s, char *err,
                        size_t errlen);
    int (*lock_release)(af_state *st, const char *key, const char *owner);
} state_backend;

struct af_state {
    const state_backend *be;
    char *path;         /* heap */
    pthread_mutex_t mu; /* one transaction at a time on the connection */
};

/* ------------------------------------------------------------------------
 * SQLite backend
 * ---------------------------------------------------------------------- */

/* The reference's tables first, exactly as it declares them (columns,
 * types, NOT NULL, primary keys), then ours. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS job_runs(\n"
    "    job_id TEXT NOT NULL,\n"
    "    run_id TEXT NOT NULL,\n"
    "    status TEXT NOT NULL,\n"
    "    updated_at INTEGER NOT NULL,\n"
    "    PRIMARY KEY(job_id, run_id)\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS step_runs(\n"
    "    job_id TEXT NOT NULL,\n"
    "    run_id TEXT NOT NULL,\n"
    "    step_id TEXT NOT NULL,\n"
    "    status TEXT NOT NULL,\n"
    "    updated_at INTEGER NOT NULL,\n"
    "    PRIMARY KEY(job_id, run_id, step_id)\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS locks(\n"
    "    key TEXT PRIMARY KEY,\n"
    "    owner TEXT NOT NULL,\n"
    "    expires_at INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS af_schema_version(\n"
    "    version INTEGER PRIMARY KEY,\n"
    "    applied_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS af_runs(\n"
    "    run_id TEXT PRIMARY KEY,\n"
    "    flow_id TEXT NOT NULL,\n"
    "    fingerprint TEXT NOT NULL,\n"
    "    afc_version TEXT NOT NULL,\n"
    "    status TEXT NOT NULL,\n"
    "    host TEXT NOT NULL,\n"
    "    pid INTEGER NOT NULL,\n"
    "    started_ms INTEGER NOT NULL,\n"
    "    ended_ms INTEGER,\n"
    "    resumes INTEGER NOT NULL DEFAULT 0,\n"
    "    updated_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX IF NOT EXISTS af_runs_by_flow ON af_runs(flow_id, started_ms);\n"
    "CREATE TABLE IF NOT EXISTS af_job_runs(\n"
    "    run_id TEXT NOT NULL,\n"
    "    job_id TEXT NOT NULL,\n"
    "    status TEXT NOT NULL,\n"
    "    started_ms INTEGER,\n"
    "    ended_ms INTEGER,\n"
    "    error TEXT,\n"
    "    updated_ms INTEGER NOT NULL,\n"
    "    PRIMARY KEY(run_id, job_id)\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS af_step_outputs(\n"
    "    run_id TEXT NOT NULL,\n"
    "    job_id TEXT NOT NULL,\n"
    "    step_id TEXT NOT NULL,\n"
    "    outputs_json TEXT,\n"
    "    promoted_json TEXT,\n"
    "    updated_ms INTEGER NOT NULL,\n"
    "    PRIMARY KEY(run_id, job_id, step_id)\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS af_step_attempts(\n"
    "    run_id TEXT NOT NULL,\n"
    "    job_id TEXT NOT NULL,\n"
    "    step_id TEXT NOT NULL,\n"
    "    attempt INTEGER NOT NULL,\n"
    "    step_type TEXT NOT NULL,\n"
    "    status TEXT NOT NULL,\n"
    "    started_ms INTEGER,\n"
    "    ended_ms INTEGER,\n"
    "    error TEXT,\n"
    "    PRIMARY KEY(run_id, job_id, step_id, attempt)\n"
    ");\n";

/* Prepared statements, made on first use and kept until close. */
enum {
    Q_BEGIN_W,
    Q_BEGIN_R,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_SCHEMA_MAX,
    Q_SCHEMA_SET,
    Q_RUN_FLOW,
    Q_RUN_UPSERT,
    Q_RUN_END,
    Q_RUN_GET,
    Q_RUNS_FLOW,
    Q_RUNS_ALL,
    Q_JOB_SET,
    Q_AFJOB_RUNNING,
    Q_AFJOB_END,
    Q_JOB_GET,
    Q_JOBS_LIST,
    Q_ATT_LAST,
    Q_ATT_START,
    Q_ATT_END,
    Q_STEP_SET,
    Q_OUT_SET,
    Q_STEP_DONE,
    Q_STEPS_LIST,
    Q_LOCK_PURGE,
    Q_LOCK_INSERT,
    Q_LOCK_RELEASE,
    Q_COUNT
};

#define RUN_COLS                                                                                   \
    "run_id, flow_id, fingerprint, afc_version, status, host, pid, started_ms, "                   \
    "coalesce(ended_ms, 0)"

static const char *const q_sql[Q_COUNT] = {
    [Q_BEGIN_W] = "BEGIN IMMEDIATE",
    [Q_BEGIN_R] = "BEGIN",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SCHEMA_MAX] = "SELECT max(version) FROM af_schema_version",
    [Q_SCHEMA_SET] = "INSERT OR IGNORE INTO af_schema_version(version, applied_ms) VALUES (?,?)",
    [Q_RUN_FLOW] = "SELECT flow_id FROM af_runs WHERE run_id=?",
    [Q_RUN_UPSERT] =
        "INSERT INTO af_runs(run_id, flow_id, fingerprint, afc_version, status, host, pid,"
        " started_ms, ended_ms, resumes, updated_ms) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,NULL,0,?9)"
        " ON CONFLICT(run_id) DO UPDATE SET fingerprint=excluded.fingerprint,"
        " afc_version=excluded.afc_version, status=excluded.status, host=excluded.host,"
        " pid=excluded.pid, ended_ms=NULL, resumes=resumes+1, updated_ms=excluded.updated_ms",
    [Q_RUN_END] = "UPDATE af_runs SET status=?1, ended_ms=?2, updated_ms=?3 WHERE run_id=?4",
    [Q_RUN_GET] = "SELECT " RUN_COLS " FROM af_runs WHERE run_id=?",
    [Q_RUNS_FLOW] = "SELECT " RUN_COLS " FROM af_runs WHERE flow_id=?1"
                    " ORDER BY started_ms DESC, rowid DESC LIMIT ?2",
    [Q_RUNS_ALL] = "SELECT " RUN_COLS " FROM af_runs ORDER BY started_ms DESC, rowid DESC LIMIT ?1",
    [Q_JOB_SET] =
        "INSERT OR REPLACE INTO job_runs(job_id, run_id, status, updated_at) VALUES (?,?,?,?)",
    [Q_AFJOB_RUNNING] =
        "INSERT INTO af_job_runs(run_id, job_id, status, started_ms, ended_ms, error, updated_ms)"
        " VALUES (?1,?2,?3,?4,NULL,NULL,?4) ON CONFLICT(run_id, job_id) DO UPDATE SET"
        " status=excluded.status, started_ms=excluded.started_ms, ended_ms=NULL, error=NULL,"
        " updated_ms=excluded.updated_ms",
    [Q_AFJOB_END] =
        "INSERT INTO af_job_runs(run_id, job_id, status, started_ms, ended_ms, error, updated_ms)"
        " VALUES (?1,?2,?3,?4,?4,?5,?4) ON CONFLICT(run_id, job_id) DO UPDATE SET"
        " status=excluded.status, started_ms=coalesce(started_ms, excluded.started_ms),"
        " ended_ms=excluded.ended_ms, error=excluded.error, updated_ms=excluded.updated_ms",
    [Q_JOB_GET] = "SELECT status FROM job_runs WHERE job_id=? AND run_id=?",
    /* the listings sort by time, then by rowid: jobs and steps that start in
     * the same millisecond keep the order they ran in */
    [Q_JOBS_LIST] = "SELECT j.job_id, j.status, j.updated_at, coalesce(a.started_ms, 0),"
                    " coalesce(a.ended_ms, 0), a.error FROM job_runs j LEFT JOIN af_job_runs a"
                    " ON a.run_id=j.run_id AND a.job_id=j.job_id WHERE j.run_id=?"
                    " ORDER BY coalesce(a.started_ms, a.ended_ms, j.updated_at*1000), a.rowid,"
                    " j.job_id",
    [Q_ATT_LAST] = "SELECT attempt, status FROM af_step_attempts"
                   " WHERE run_id=? AND job_id=? AND step_id=? ORDER BY attempt DESC LIMIT 1",
    [Q_ATT_START] = "INSERT OR REPLACE INTO af_step_attempts(run_id, job_id, step_id, attempt,"
                    " step_type, status, started_ms, ended_ms, error)"
                    " VALUES (?,?,?,?,?,'RUNNING',?,NULL,NULL)",
    [Q_ATT_END] =
        "INSERT INTO af_step_attempts(run_id, job_id, step_id, attempt, step_type, status,"
        " started_ms, ended_ms, error) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)"
        " ON CONFLICT(run_id, job_id, step_id, attempt) DO UPDATE SET"
        " step_type=excluded.step_type, status=excluded.status,"
        " started_ms=coalesce(started_ms, excluded.started_ms), ended_ms=excluded.ended_ms,"
        " error=excluded.error",
    [Q_STEP_SET] = "INSERT OR REPLACE INTO step_runs(job_id, run_id, step_id, status, updated_at)"
                   " VALUES (?,?,?,?,?)",
    [Q_OUT_SET] = "INSERT OR REPLACE INTO af_step_outputs(run_id, job_id, step_id, outputs_json,"
                  " promoted_json, updated_ms) VALUES (?,?,?,?,?,?)",
    [Q_STEP_DONE] = "SELECT s.status, o.outputs_json, o.promoted_json FROM step_runs s"
                    " LEFT JOIN af_step_outputs o ON o.run_id=s.run_id AND o.job_id=s.job_id"
                    " AND o.step_id=s.step_id WHERE s.job_id=? AND s.run_id=? AND s.step_id=?",
    [Q_STEPS_LIST] =
        "SELECT * FROM ("
        " SELECT job_id, step_id, step_type, status, attempt, started_ms, ended_ms, error,"
        " rowid AS seq FROM af_step_attempts WHERE run_id=?1"
        " UNION ALL"
        " SELECT s.job_id, s.step_id, NULL, s.status, 0, NULL, s.updated_at*1000, NULL, s.rowid"
        " FROM step_runs s WHERE s.run_id=?1 AND NOT EXISTS (SELECT 1 FROM af_step_attempts a"
        " WHERE a.run_id=s.run_id AND a.job_id=s.job_id AND a.step_id=s.step_id))"
        " ORDER BY coalesce(started_ms, ended_ms), seq, job_id, step_id, attempt",
    [Q_LOCK_PURGE] = "DELETE FROM locks WHERE expires_at <= ?",
    [Q_LOCK_INSERT] = "INSERT INTO locks(key, owner, expires_at) VALUES (?,?,?)",
    [Q_LOCK_RELEASE] = "DELETE FROM locks WHERE key=? AND owner=?",
};

typedef struct sq_state {
    af_state base; /* first: an af_state * is a sq_state * */
    sqlite3 *db;
    sqlite3_stmt *q[Q_COUNT];
} sq_state;

static sqlite3 *db_of(af_state *st)
{
    return ((sq_state *)st)->db;
}

/* The statement, reset and unbound, or NULL with err set. */
static sqlite3_stmt *stmt(af_state *st, int id, char *err, size_t errlen)
{
    sq_state *s = (sq_state *)st;
    if (!s->q[id]) {
        if (sqlite3_prepare_v3(s->db, q_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->q[id], NULL) !=
            SQLITE_OK) {
            af__err(err, errlen, "state db %s: preparing a statement: %s", st->path,
                    sqlite3_errmsg(s->db));
            return NULL;
        }
    }
    sqlite3_reset(s->q[id]);
    sqlite3_clear_bindings(s->q[id]);
    return s->q[id];
}

static int db_fail(af_state *st, const char *what, char *err, size_t errlen)
{
    return af__err(err, errlen, "state db %s: %s: %s", st->path, what, sqlite3_errmsg(db_of(st)));
}

static void bind_text(sqlite3_stmt *q, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(q, i);
}

/* Steps a statement that returns no rows. */
static int exec_q(af_state *st, sqlite3_stmt *q, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_step(q);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        db_fail(st, what, err, errlen);
        sqlite3_reset(q);
        return -1;
    }
    sqlite3_reset(q);
    return 0;
}

static int run_simple(af_state *st, int id, const char *what, char *err, size_t errlen)
{
    sqlite3_stmt *q = stmt(st, id, err, errlen);
    return q ? exec_q(st, q, what, err, errlen) : -1;
}

static int tx_begin(af_state *st, int write, char *err, size_t errlen)
{
    return run_simple(st, write ? Q_BEGIN_W : Q_BEGIN_R, "beginning a transaction", err, errlen);
}

static int tx_commit(af_state *st, char *err, size_t errlen)
{
    return run_simple(st, Q_COMMIT, "committing", err, errlen);
}

/* Ends a failed transaction; keeps the first error message. */
static int tx_fail(af_state *st)
{
    if (!sqlite3_get_autocommit(db_of(st))) run_simple(st, Q_ROLLBACK, "rolling back", NULL, 0);
    return -1;
}

static char *col_dup(af_arena *a, sqlite3_stmt *q, int i)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    return t ? af_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(q, i)) : NULL;
}

static void col_status(sqlite3_stmt *q, int i, char status[16])
{
    const unsigned char *t = sqlite3_column_text(q, i);
    snprintf(status, 16, "%s", t ? (const char *)t : "");
}

/* WAL size above which closing checkpoints it. The next open must read the
 * whole WAL to rebuild its index (about a millisecond per MiB), while a
 * checkpoint costs an fsync: past this size the fsync is the cheaper. */
#define WAL_CHECKPOINT_BYTES (1024 * 1024)

static void sq_close(af_state *st)
{
    sq_state *s = (sq_state *)st;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->q[i]);
    if (s->db && st->path) {
        char wal[4096];
        struct stat sb;
        snprintf(wal, sizeof wal, "%s-wal", st->path);
        if (stat(wal, &sb) == 0 && sb.st_size > WAL_CHECKPOINT_BYTES)
            sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    }
    sqlite3_close(s->db);
}

static int sq_run_begin(af_state *st, const af__run_row *r, char *err, size_t errlen)
{
    sqlite3_stmt *q;
    if (tx_begin(st, 1, err, errlen) < 0) return -1;
    if (!(q = stmt(st, Q_RUN_FLOW, err, errlen))) return tx_fail(st);
    bind_text(q, 1, r->run_id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const char *flow = (const char *)sqlite3_column_text(q, 0);
        if (flow && strcmp(flow, r->flow_id) != 0) {
            af__err(err, errlen, "state db %s: run id '%s' belongs to flow '%s', not '%s'",
                    st->path, r->run_id, flow, r->flow_id);
            sqlite3_reset(q);
            return tx_fail(st);
        }
    } else if (rc != SQLITE_DONE) {
        db_fail(st, "reading af_runs", err, errlen);
        sqlite3_reset(q);
        return tx_fail(st);
    }
    sqlite3_reset(q);
    if (!(q = stmt(st, Q_RUN_UPSERT, err, errlen))) return tx_fail(st);
    bind_text(q, 1, r->run_id);
    bind_text(q, 2, r->flow_id);
    bind_text(q, 3, r->fingerprint);
    bind_text(q, 4, r->afc_version);
    bind_text(q, 5, r->status);
    bind_text(q, 6, r->host);
    sqlite3_bind_int64(q, 7, r->pid);
    sqlite3_bind_int64(q, 8, r->started_ms);
    sqlite3_bind_int64(q, 9, af__now_ms());
    if (exec_q(st, q, "writing af_runs", err, errlen) < 0) return tx_fail(st);
    return tx_commit(st, err, errlen) < 0 ? tx_fail(st) : 0;
}

static int sq_run_end(af_state *st, const char *run_id, const char *status, int64_t ended_ms,
                      char *err, size_t errlen)
{
    sqlite3_stmt *q;
    if (tx_begin(st, 1, err, errlen) < 0) return -1;
    if (!(q = stmt(st, Q_RUN_END, err, errlen))) return tx_fail(st);
    bind_text(q, 1, status);
    sqlite3_bind_int64(q, 2, ended_ms);
    sqlite3_bind_int64(q, 3, af__now_ms());
    bind_text(q, 4, run_id);
    if (exec_q(st, q, "writing af_runs", err, errlen) < 0) return tx_fail(st);
    if (sqlite3_changes(db_of(st)) == 0) {
        af__err(err, errlen, "state db %s: run '%s' was never started", st->path, run_id);
        return tx_fail(st);
    }
    return tx_commit(st, err, errlen) < 0 ? tx_fail(st) : 0;
}

static void read_run(af_arena *a, sqlite3_stmt *q, af__run_row *r)
{
    r->run_id = col_dup(a, q, 0);
    r->flow_id = col_dup(a, q, 1);
    r->fingerprint = col_dup(a, q, 2);
    r->afc_version = col_dup(a, q, 3);
    r->status = col_dup(a, q, 4);
    r->host = col_dup(a, q, 5);
    r->pid = sqlite3_column_int64(q, 6);
    r->started_ms = sqlite3_column_int64(q, 7);
    r->ended_ms = sqlite3_column_int64(q, 8);
}

static int sq_run_get(af_state *st, af_arena *a, const char *run_id, af__run_row *out, char *err,
                      size_t errlen)
{
    sqlite3_stmt *q = stmt(st, Q_RUN_GET, err, errlen);
    if (!q) return -1;
    bind_text(q, 1, run_id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) read_run(a, q, out);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) db_fail(st, "reading af_runs", err, errlen);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Collects every row of q with `read` into an arena array. */
static int collect(af_state *st, af_arena *a, sqlite3_stmt *q, size_t elem,
                   void (*read)(af_arena *, sqlite3_stmt *, void *), void **rows, size_t *n,
                   const char *what, char *err, size_t errlen)
{
    size_t cap = 16, cnt = 0;
    char *arr = af_alloc(a, cap * elem);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (cnt == cap) {
            char *bigger = af_alloc(a, 2 * cap * elem);
            memcpy(bigger, arr, cap * elem);
            arr = bigger;
            cap *= 2;
        }
        read(a, q, arr + cnt * elem);
        cnt++;
    }
    if (rc != SQLITE_DONE) {
        db_fail(st, what, err, errlen);
        sqlite3_reset(q);
        return -1;
    }
    sqlite3_reset(q);
    *rows = arr;
    *n = cnt;
    return 0;
}

static void read_run_v(af_arena *a, sqlite3_stmt *q, void *out)
{
    read_run(a, q, out);
}

static int sq_runs_list(af_state *st, af_arena *a, const char *flow_id, int limit,
                        af__run_row **rows, size_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *q = stmt(st, flow_id ? Q_RUNS_FLOW : Q_RUNS_ALL, err, errlen);
    if (!q) return -1;
    if (flow_id) {
        bind_text(q, 1, flow_id);
        sqlite3_bind_int(q, 2, limit);
    } else {
        sqlite3_bind_int(q, 1, limit);
    }
    return collect(st, a, q, sizeof **rows, read_run_v, (void **)rows, n, "reading af_runs", err,
                   errlen);
}

static int sq_job_set(af_state *st, const char *job_id, const char *run_id, const char *status,
                      const char *error, char *err, size_t errlen)
{
    int64_t now = af__now_ms();
    sqlite3_stmt *q;
    if (tx_begin(st, 1, err, errlen) < 0) return -1;
    if (!(q = stmt(st, Q_JOB_SET, err, errlen))) return tx_fail(st);
    bind_text(q, 1, job_id);
    bind_text(q, 2, run_id);
    bind_text(q, 3, status);
    sqlite3_bind_int64(q, 4, now / 1000);
    if (exec_q(st, q, "writing job_runs", err, errlen) < 0) return tx_fail(st);
    int running = strcmp(status, "RUNNING") == 0;
    if (!(q = stmt(st, running ? Q_AFJOB_RUNNING : Q_AFJOB_END, err, errlen))) return tx_fail(st);
    bind_text(q, 1, run_id);
    bind_text(q, 2, job_id);
    bind_text(q, 3, status);
    sqlite3_bind_int64(q, 4, now);
    if (!running) bind_text(q, 5, error);
    if (exec_q(st, q, "writing af_job_runs", err, errlen) < 0) return tx_fail(st);
    return tx_commit(st, err, errlen) < 0 ? tx_fail(st) : 0;
}

static int sq_job_get(af_state *st, const char *job_id, const char *run_id, char status[16])
{
    sqlite3_stmt *q = stmt(st, Q_JOB_GET, NULL, 0);
    if (!q) return -1;
    bind_text(q, 1, job_id);
    bind_text(q, 2, run_id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) col_status(q, 0, status);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static void read_job(af_arena *a, sqlite3_stmt *q, void *out)
{
    job_row *j = out;
    j->job_id = col_dup(a, q, 0);
    j->status = col_dup(a, q, 1);
    j->updated_at = sqlite3_column_int64(q, 2);
    j->started_ms = sqlite3_column_int64(q, 3);
    j->ended_ms = sqlite3_column_int64(q, 4);
    j->error = col_dup(a, q, 5);
}

static int sq_jobs_list(af_state *st, af_arena *a, const char *run_id, job_row **rows, size_t *n,
                        char *err, size_t errlen)
{
    sqlite3_stmt *q = stmt(st, Q_JOBS_LIST, err, errlen);
    if (!q) return -1;
    bind_text(q, 1, run_id);
    return collect(st, a, q, sizeof **rows, read_job, (void **)rows, n, "reading job_runs", err,
                   errlen);
}

/* Latest attempt of a step in this run: 1 with *attempt and status, 0 none. */
static int last_attempt(af_state *st, const char *run_id, const char *job_id, const char *step_id,
                        int *attempt, char status[16], char *err, size_t errlen)
{
    sqlite3_stmt *q = stmt(st, Q_ATT_LAST, err, errlen);
    if (!q) return -1;
    bind_text(q, 1, run_id);
    bind_text(q, 2, job_id);
    bind_text(q, 3, step_id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *attempt = sqlite3_column_int(q, 0);
        col_status(q, 1, status);
    } else if (rc != SQLITE_DONE) {
        db_fail(st, "reading af_step_attempts", err, errlen);
    }
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int sq_step_start(af_state *st, const char *run_id, const af__step_row *r, char *err,
                         size_t errlen)
{
    int attempt = r->attempt;
    char last_status[16];
    sqlite3_stmt *q;
    if (tx_begin(st, 1, err, errlen) < 0) return -1;
    if (attempt <= 0) {
        int last = 0;
        if (last_attempt(st, run_id, r->job_id, r->step_id, &last, last_status, err, errlen) < 0)
            return tx_fail(st);
        attempt = last + 1;
    }
    if (!(q = stmt(st, Q_ATT_START, err, errlen))) return tx_fail(st);
    bind_text(q, 1, run_id);
    bind_text(q, 2, r->job_id);
    bind_text(q, 3, r->step_id);
    sqlite3_bind_int(q, 4, attempt);
    bind_text(q, 5, r->step_type ? r->step_type : "");
    sqlite3_bind_int64(q, 6, r->started_ms ? r->started_ms : af__now_ms());
    if (exec_q(st, q, "writing af_step_attempts", err, errlen) < 0) return tx_fail(st);
    return tx_commit(st, err, errlen) < 0 ? tx_fail(st) : 0;
}

static int is_done_status(const char *s)
{
    return s && (strcmp(s, "SUCCESS") == 0 || strcmp(s, "SKIPPED") == 0);
}

static int sq_step_end(af_state *st, const char *run_id, const af__step_row *r, char *err,
                       size_t errlen)
{
    int64_t now = af__now_ms(), ended = r->ended_ms ? r->ended_ms : now;
    int attempt = r->attempt;
    char last_status[16] = "";
    sqlite3_stmt *q;
    if (tx_begin(st, 1, err, errlen) < 0) return -1;
    if (attempt <= 0) {
        /* The RUNNING attempt this ends, or a new one for steps that never
         * started (skipped after an on_no_data: skip_job short-circuit). */
        int last = 0;
        int found =
            last_attempt(st, run_id, r->job_id, r->step_id, &last, last_status, err, errlen);
        if (found < 0) return tx_fail(st);
        attempt = (found && strcmp(last_status, "RUNNING") == 0) ? last : last + 1;
    }
    if (!(q = stmt(st, Q_ATT_END, err, errlen))) return tx_fail(st);
    bind_text(q, 1, run_id);
    bind_text(q, 2, r->job_id);
    bind_text(q, 3, r->step_id);
    sqlite3_bind_int(q, 4, attempt);
    bind_text(q, 5, r->step_type ? r->step_type : "");
    bind_text(q, 6, r->status);
    sqlite3_bind_int64(q, 7, r->started_ms ? r->started_ms : ended);
    sqlite3_bind_int64(q, 8, ended);
    bind_text(q, 9, r->error);
    if (exec_q(st, q, "writing af_step_attempts", err, errlen) < 0) return tx_fail(st);
    if (is_done_status(r->status)) {
        /* The reference writes step_runs only for finished steps. */
        if (!(q = stmt(st, Q_STEP_SET, err, errlen))) return tx_fail(st);
        bind_text(q, 1, r->job_id);
        bind_text(q, 2, run_id);
        bind_text(q, 3, r->step_id);
        bind_text(q, 4, r->status);
        sqlite3_bind_int64(q, 5, now / 1000);
        if (exec_q(st, q, "writing step_runs", err, errlen) < 0) return tx_fail(st);
        if (!(q = stmt(st, Q_OUT_SET, err, errlen))) return tx_fail(st);
        bind_text(q, 1, run_id);
        bind_text(q, 2, r->job_id);
        bind_text(q, 3, r->step_id);
        bind_text(q, 4, r->outputs_json);
        bind_text(q, 5, r->promoted_json);
        sqlite3_bind_int64(q, 6, now);
        if (exec_q(st, q, "writing af_step_outputs", err, errlen) < 0) return tx_fail(st);
    }
    return tx_commit(st, err, errlen) < 0 ? tx_fail(st) : 0;
}

static int sq_step_done(af_state *st, af_arena *a, const char *job_id, const char *run_id,
                        const char *step_id, char status[16], const char **outputs_json,
                        const char **promoted_json)
{
    sqlite3_stmt *q = stmt(st, Q_STEP_DONE, NULL, 0);
    if (!q) return -1;
    bind_text(q, 1, job_id);
    bind_text(q, 2, run_id);
    bind_text(q, 3, step_id);
    int rc = sqlite3_step(q), done = 0;
    if (rc == SQLITE_ROW) {
        col_status(q, 0, status);
        done = is_done_status(status);
        if (done) {
            if (outputs_json) *outputs_json = col_dup(a, q, 1);
            if (promoted_json) *promoted_json = col_dup(a, q, 2);
        }
    }
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return -1;
    return done;
}

static void read_step(af_arena *a, sqlite3_stmt *q, void *out)
{
    af__step_row *r = out;
    r->job_id = col_dup(a, q, 0);
    r->step_id = col_dup(a, q, 1);
    r->step_type = col_dup(a, q, 2);
    r->status = col_dup(a, q, 3);
    r->attempt = sqlite3_column_int(q, 4);
    r->started_ms = sqlite3_column_int64(q, 5);
    r->ended_ms = sqlite3_column_int64(q, 6);
    r->error = col_dup(a, q, 7);
}

static int sq_steps_list(af_state *st, af_arena *a, const char *run_id, af__step_row **rows,
                         size_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *q = stmt(st, Q_STEPS_LIST, err, errlen);
    if (!q) return -1;
    bind_text(q, 1, run_id);
    return collect(st, a, q, sizeof **rows, read_step, (void **)rows, n, "reading af_step_attempts",
                   err, errlen);
}

static int sq_lock_acquire(af_state *st, const char *key, const char *owner, int64_t ttl_s,
                           char *err, size_t errlen)
{
    int64_t now = af__now_ms() / 1000;
    sqlite3_stmt *q;
    if (tx_begin(st, 1, err, errlen) < 0) return -1;
    if (!(q = stmt(st, Q_LOCK_PURGE, err, errlen))) return tx_fail(st);
    sqlite3_bind_int64(q, 1, now);
    if (exec_q(st, q, "removing expired locks", err, errlen) < 0) return tx_fail(st);
    if (!(q = stmt(st, Q_LOCK_INSERT, err, errlen))) return tx_fail(st);
    bind_text(q, 1, key);
    bind_text(q, 2, owner);
    sqlite3_bind_int64(q, 3, now + ttl_s);
    int rc = sqlite3_step(q), acquired = 1;
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) { /* extended result codes are on */
        acquired = 0;                         /* someone holds it: the reference's IntegrityError */
    } else if (rc != SQLITE_DONE) {
        db_fail(st, "writing locks", err, errlen);
        sqlite3_reset(q);
        return tx_fail(st);
    }
    sqlite3_reset(q);
    /* Commit even when not acquired: the purge of expired rows stands, as
     * in the reference (whose statements autocommit one by one). */
    return tx_commit(st, err, errlen) < 0 ? tx_fail(st) : acquired;
}

static int sq_lock_release(af_state *st, const char *key, const char *owner)
{
    sqlite3_stmt *q;
    if (tx_begin(st, 1, NULL, 0) < 0) return -1;
    if (!(q = stmt(st, Q_LOCK_RELEASE, NULL, 0))) return tx_fail(st);
    bind_text(q, 1, key);
    bind_text(q, 2, owner);
    if (exec_q(st, q, "removing a lock", NULL, 0) < 0) return tx_fail(st);
    return tx_commit(st, NULL, 0) < 0 ? tx_fail(st) : 0;
}

static const state_backend sqlite_backend = {
    .name = "sqlite",
    .close = sq_close,
    .run_begin = sq_run_begin,
    .run_end = sq_run_end,
    .run_get = sq_run_get,
    .runs_list = sq_runs_list,
    .job_set = sq_job_set,
    .job_get = sq_job_get,
    .jobs_list = sq_jobs_list,
    .step_start = sq_step_start,
    .step_end = sq_step_end,
    .step_done = sq_step_done,
    .steps_list = sq_steps_list,
    .lock_acquire = sq_lock_acquire,
    .lock_release = sq_lock_release,
};

/* Creates the tables and records the schema version, in one transaction so
 * two processes opening a new file at once do not race. */
static int sq_init_schema(af_state *st, char *err, size_t errlen)
{
    sqlite3 *db = db_of(st);
    char *msg = NULL;
    /* Fast path: PRAGMA user_version mirrors af_schema_version once the
     * tables exist, so a run on an existing store neither parses the schema
     * nor takes the write lock to open it. */
    sqlite3_stmt *uv = NULL;
    int user_version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &uv, NULL) == SQLITE_OK &&
        sqlite3_step(uv) == SQLITE_ROW)
        user_version = sqlite3_column_int(uv, 0);
    sqlite3_finalize(uv);
    if (user_version == SCHEMA_VERSION) return 0;
    if (user_version > SCHEMA_VERSION)
        return af__err(err, errlen,
                       "state db %s: schema version %d is newer than this executable supports (%d)",
                       st->path, user_version, SCHEMA_VERSION);
    if (tx_begin(st, 1, err, errlen) < 0) return -1;
    if (sqlite3_exec(db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
        af__err(err, errlen, "state db %s: creating tables: %s", st->path,
                msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return tx_fail(st);
    }
    sqlite3_stmt *q = stmt(st, Q_SCHEMA_MAX, err, errlen);
    if (!q) return tx_fail(st);
    int have = 0;
    if (sqlite3_step(q) == SQLITE_ROW) have = sqlite3_column_int(q, 0);
    sqlite3_reset(q);
    if (have > SCHEMA_VERSION) {
        af__err(err, errlen,
                "state db %s: schema version %d is newer than this executable supports (%d)",
                st->path, have, SCHEMA_VERSION);
        return tx_fail(st);
    }
    if (!(q = stmt(st, Q_SCHEMA_SET, err, errlen))) return tx_fail(st);
    sqlite3_bind_int(q, 1, SCHEMA_VERSION);
    sqlite3_bind_int64(q, 2, af__now_ms());
    if (exec_q(st, q, "writing af_schema_version", err, errlen) < 0) return tx_fail(st);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", SCHEMA_VERSION);
    if (sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK) {
        af__err(err, errlen, "state db %s: %s", st->path, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return tx_fail(st);
    }
    return tx_commit(st, err, errlen) < 0 ? tx_fail(st) : 0;
}

static int sq_open(af_state **out, const char *path, const af__state_opts *o, char *err,
                   size_t errlen)
{
    sq_state *s = calloc(1, sizeof *s);
    if (!s) return af__err(err, errlen, "state db %s: out of memory", path);
    s->base.be = &sqlite_backend;
    s->base.path = strdup(path);
    pthread_mutex_init(&s->base.mu, NULL);
    af_state *st = &s->base;
    char *msg = NULL;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        af__err(err, errlen, "state db %s: cannot open: %s", path,
                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    /* A run is short and the next one reopens the database: checkpointing
     * (and fsyncing) on every close cost more than the whole run, so close
     * checkpoints only a WAL grown past WAL_CHECKPOINT_BYTES (sq_close). */
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
    sqlite3_busy_timeout(s->db, o && o->busy_timeout_ms > 0 ? o->busy_timeout_ms : BUSY_TIMEOUT_MS);
    const char *pragmas = (o && o->sync_full)
                              ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                              : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
    if (sqlite3_exec(s->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        af__err(err, errlen, "state db %s: cannot open: %s", path,
                msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        goto fail;
    }
    if (sq_init_schema(st, err, errlen) < 0) goto fail;
    *out = st;
    return 0;
fail:
    sq_close(st);
    pthread_mutex_destroy(&st->mu);
    free(st->path);
    free(s);
    return -1;
}

/* ------------------------------------------------------------------------
 * The front: locking and dispatch
 * ---------------------------------------------------------------------- */

void af__state_opts_from_env(af__state_opts *o, const af_value *env)
{
    memset(o, 0, sizeof *o);
    const af_value *v = env ? af_map_get(env, "AETHERFLOW_STATE_SYNC") : NULL;
    if (v && v->type == AF_STR && strcasecmp(v->u.s.ptr, "full") == 0) o->sync_full = 1;
}

int af__state_open_ex(af_state **out, const char *path, const af__state_opts *opts, char *err,
                      size_t errlen)
{
    if (!path || !*path) return af__err(err, errlen, "state db: no path given");
    /* The reference creates the parent directories of the file. */
    const char *slash = strrchr(path, '/');
    if (slash && slash != path && strcmp(path, ":memory:") != 0) {
        char *dir = strndup(path, (size_t)(slash - path));
        int rc = dir ? af_mkdirs(dir, 0755) : -1;
        int e = errno;
        if (rc < 0) {
            af__err(err, errlen, "state db %s: cannot create directory %s: %s", path,
                    dir ? dir : "?", strerror(e));
            free(dir);
            return -1;
        }
        free(dir);
    }
    return sq_open(out, path, opts, err, errlen);
}

int af__state_open(af_state **out, const char *path, char *err, size_t errlen)
{
    return af__state_open_ex(out, path, NULL, err, errlen);
}

void af__state_close(af_state *st)
{
    if (!st) return;
    st->be->close(st);
    pthread_mutex_destroy(&st->mu);
    free(st->path);
    free(st);
}

const char *af__state_path(af_state *st)
{
    return st->path;
}

#define LOCKED(call)                                                                               \
    do {                                                                                           \
        pthread_mutex_lock(&st->mu);                                                               \
        int rc_ = (call);                                                                          \
        pthread_mutex_unlock(&st->mu);                                                             \
        return rc_;                                                                                \
    } while (0)

int af__state_run_begin(af_state *st, const af__run_row *r, char *err, size_t errlen)
{
    if (!r->run_id || !r->flow_id) return af__err(err, errlen, "state: run without id or flow");
    af__run_row row = *r;
    char host[256] = "";
    if (!row.fingerprint) row.fingerprint = "";
    if (!row.afc_version) row.afc_version = "";
    if (!row.status) row.status = "RUNNING";
    if (!row.host) {
        gethostname(host, sizeof host - 1);
        row.host = host;
    }
    if (!row.pid) row.pid = getpid();
    if (!row.started_ms) row.started_ms = af__now_ms();
    LOCKED(st->be->run_begin(st, &row, err, errlen));
}

int af__state_run_end(af_state *st, const char *run_id, const char *status, int64_t ended_ms,
                      char *err, size_t errlen)
{
    if (!ended_ms) ended_ms = af__now_ms();
    LOCKED(st->be->run_end(st, run_id, status, ended_ms, err, errlen));
}

int af__state_run_get(af_state *st, af_arena *a, const char *run_id, af__run_row *out, char *err,
                      size_t errlen)
{
    LOCKED(st->be->run_get(st, a, run_id, out, err, errlen));
}

int af__state_job_set(af_state *st, const char *job_id, const char *run_id, const char *status,
                      char *err, size_t errlen)
{
    LOCKED(st->be->job_set(st, job_id, run_id, status, NULL, err, errlen));
}

int af__state_job_set_ex(af_state *st, const char *job_id, const char *run_id, const char *status,
                         const char *error, char *err, size_t errlen)
{
    LOCKED(st->be->job_set(st, job_id, run_id, status, error, err, errlen));
}

int af__state_job_get(af_state *st, const char *job_id, const char *run_id, char status[16])
{
    LOCKED(st->be->job_get(st, job_id, run_id, status));
}

int af__state_step_start(af_state *st, const char *run_id, const af__step_row *r, char *err,
                         size_t errlen)
{
    LOCKED(st->be->step_start(st, run_id, r, err, errlen));
}

int af__state_step_end(af_state *st, const char *run_id, const af__step_row *r, char *err,
                       size_t errlen)
{
    if (!r->status)
        return af__err(err, errlen, "state: step '%s' ended without a status",
                       r->step_id ? r->step_id : "?");
    LOCKED(st->be->step_end(st, run_id, r, err, errlen));
}

int af__state_step_done(af_state *st, af_arena *a, const char *job_id, const char *run_id,
                        const char *step_id, char status[16], const char **outputs_json,
                        const char **promoted_json)
{
    if (outputs_json) *outputs_json = NULL;
    if (promoted_json) *promoted_json = NULL;
    LOCKED(st->be->step_done(st, a, job_id, run_id, step_id, status, outputs_json, promoted_json));
}

int af__state_lock_acquire(af_state *st, const char *key, const char *owner, int64_t ttl_s,
                           char *err, size_t errlen)
{
    LOCKED(st->be->lock_acquire(st, key, owner, ttl_s, err, errlen));
}

int af__state_lock_release(af_state *st, const char *key, const char *owner)
{
    LOCKED(st->be->lock_release(st, key, owner));
}

/* ------------------------------------------------------------------------
 * `status`: runs, or one run's jobs and steps, as text or JSON
 * ---------------------------------------------------------------------- */

/* 850ms, 12.3s, 4m05s, 2h03m; "-" while unknown. */
static void fmt_duration(char out[32], int64_t start, int64_t end)
{
    if (!start || !end || end < start) {
        snprintf(out, 32, "-");
        return;
    }
    int64_t ms = end - start;
    if (ms < 1000)
        snprintf(out, 32, "%lldms", (long long)ms);
    else if (ms < 60000)
        snprintf(out, 32, "%.1fs", (double)ms / 1000.0);
    else if (ms < 3600000)
        snprintf(out, 32, "%lldm%02llds", (long long)(ms / 60000), (long long)(ms / 1000 % 60));
    else
        snprintf(out, 32, "%lldh%02lldm", (long long)(ms / 3600000), (long long)(ms / 60000 % 60));
}

static void fmt_time(char out[32], int64_t ms)
{
    if (ms)
        af__iso8601(ms, out);
    else
        snprintf(out, 32, "-");
}

/* One line of text for the table: control characters become spaces. */
static const char *one_line(af_arena *a, const char *s)
{
    if (!s) return "";
    char *c = af_strdup(a, s);
    for (char *p = c; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
    return c;
}

static af_value *str_or_null(af_arena *a, const char *s)
{
    return s ? af_str(a, s) : af_null();
}

static af_value *ms_or_null(af_arena *a, int64_t ms)
{
    return ms ? af_int(a, ms) : af_null();
}

static af_value *run_json(af_arena *a, const af__run_row *r)
{
    af_value *m = af_map(a);
    af_map_set(a, m, "run_id", af_str(a, r->run_id));
    af_map_set(a, m, "flow_id", af_str(a, r->flow_id));
    af_map_set(a, m, "status", af_str(a, r->status));
    af_map_set(a, m, "started_ms", ms_or_null(a, r->started_ms));
    af_map_set(a, m, "ended_ms", ms_or_null(a, r->ended_ms));
    af_map_set(a, m, "duration_ms",
               r->ended_ms && r->started_ms ? af_int(a, r->ended_ms - r->started_ms) : af_null());
    af_map_set(a, m, "fingerprint", af_str(a, r->fingerprint));
    af_map_set(a, m, "afc_version", af_str(a, r->afc_version));
    af_map_set(a, m, "host", af_str(a, r->host));
    af_map_set(a, m, "pid", af_int(a, r->pid));
    return m;
}

static void put_json(FILE *out, const af_value *v)
{
    af_buf b = {0};
    af_json_write(&b, v, 0);
    af_buf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, out);
    af_buf_free(&b);
}

static int print_runs(af_state *st, af_arena *a, FILE *out, const char *flow_id, int json)
{
    char err[512];
    af__run_row *rows;
    size_t n;
    if (st->be->runs_list(st, a, flow_id, STATUS_RUNS, &rows, &n, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (json) {
        af_value *list = af_list(a), *doc = af_map(a);
        for (size_t i = 0; i < n; i++)
            af_list_push(a, list, run_json(a, &rows[i]));
        af_map_set(a, doc, "runs", list);
        put_json(out, doc);
        return 0;
    }
    if (n == 0) {
        if (flow_id)
            fprintf(out, "no runs of flow '%s' recorded in %s\n", flow_id, st->path);
        else
            fprintf(out, "no runs recorded in %s\n", st->path);
        return 0;
    }
    int w = 6;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(rows[i].run_id) > w) w = (int)strlen(rows[i].run_id);
    fprintf(out, "%-*s  %-8s  %-24s  %-8s  %s\n", w, "RUN_ID", "STATUS", "STARTED", "DURATION",
            "FINGERPRINT");
    for (size_t i = 0; i < n; i++) {
        char started[32], dur[32];
        fmt_time(started, rows[i].started_ms);
        fmt_duration(dur, rows[i].started_ms, rows[i].ended_ms);
        fprintf(out, "%-*s  %-8s  %-24s  %-8s  %.12s\n", w, one_line(a, rows[i].run_id),
                rows[i].status, started, dur, rows[i].fingerprint);
    }
    return 0;
}

static af_value *step_json(af_arena *a, const af__step_row *r)
{
    af_value *m = af_map(a);
    af_map_set(a, m, "step_id", af_str(a, r->step_id));
    af_map_set(a, m, "step_type", str_or_null(a, r->step_type));
    af_map_set(a, m, "status", af_str(a, r->status));
    af_map_set(a, m, "attempt", r->attempt ? af_int(a, r->attempt) : af_null());
    af_map_set(a, m, "started_ms", ms_or_null(a, r->started_ms));
    af_map_set(a, m, "ended_ms", ms_or_null(a, r->ended_ms));
    af_map_set(a, m, "duration_ms",
               r->started_ms && r->ended_ms ? af_int(a, r->ended_ms - r->started_ms) : af_null());
    af_map_set(a, m, "error", str_or_null(a, r->error));
    return m;
}

static af_value *job_json(af_arena *a, const job_row *j)
{
    af_value *m = af_map(a);
    af_map_set(a, m, "job_id", af_str(a, j->job_id));
    af_map_set(a, m, "status", af_str(a, j->status));
    af_map_set(a, m, "started_ms", ms_or_null(a, j->started_ms));
    af_map_set(a, m, "ended_ms", ms_or_null(a, j->ended_ms));
    af_map_set(a, m, "duration_ms",
               j->started_ms && j->ended_ms ? af_int(a, j->ended_ms - j->started_ms) : af_null());
    af_map_set(a, m, "error", str_or_null(a, j->error));
    af_map_set(a, m, "updated_at", j->updated_at ? af_int(a, j->updated_at) : af_null());
    af_map_set(a, m, "steps", af_list(a));
    return m;
}

static void print_step_line(af_arena *a, FILE *out, int wn, int wt, const char *name,
                            const char *type, const char *status, int attempt, int64_t start,
                            int64_t end, const char *error)
{
    char dur[32], att[16] = "";
    fmt_duration(dur, start, end);
    if (attempt) snprintf(att, sizeof att, "%d", attempt);
    fprintf(out, "%-*s  %-*s  %-8s  %-7s  %-8s  %s\n", wn, one_line(a, name), wt, one_line(a, type),
            status, att, dur, one_line(a, error));
}

static int print_run(af_state *st, af_arena *a, FILE *out, const char *run_id, int json)
{
    char err[512] = "";
    af__run_row run = {0};
    job_row *jobs;
    af__step_row *steps;
    size_t njobs, nsteps;
    int have = st->be->run_get(st, a, run_id, &run, err, sizeof err);
    if (have < 0 || st->be->jobs_list(st, a, run_id, &jobs, &njobs, err, sizeof err) < 0 ||
        st->be->steps_list(st, a, run_id, &steps, &nsteps, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (!have && njobs == 0 && nsteps == 0) return 1;

    /* Jobs in start order; a job known only from its steps (a foreign
     * writer) is shown after them. */
    size_t cap = njobs + nsteps;
    job_row *all = af_alloc(a, (cap ? cap : 1) * sizeof *all);
    size_t nall = njobs;
    if (njobs) memcpy(all, jobs, njobs * sizeof *all);
    for (size_t i = 0; i < nsteps; i++) {
        size_t k = 0;
        while (k < nall && strcmp(all[k].job_id, steps[i].job_id) != 0)
            k++;
        if (k == nall) all[nall++] = (job_row){.job_id = steps[i].job_id, .status = "-"};
    }

    if (json) {
        af_value *doc = af_map(a), *jl = af_list(a);
        af_map_set(a, doc, "run", have ? run_json(a, &run) : af_null());
        for (size_t k = 0; k < nall; k++) {
            af_value *jm = job_json(a, &all[k]), *sl = af_map_get(jm, "steps");
            for (size_t i = 0; i < nsteps; i++)
                if (strcmp(steps[i].job_id, all[k].job_id) == 0)
                    af_list_push(a, sl, step_json(a, &steps[i]));
            af_list_push(a, jl, jm);
        }
        af_map_set(a, doc, "jobs", jl);
        put_json(out, doc);
        return 0;
    }

    char t1[32], t2[32], dur[32];
    if (have) {
        fmt_time(t1, run.started_ms);
        fmt_time(t2, run.ended_ms);
        fmt_duration(dur, run.started_ms, run.ended_ms);
        fprintf(out, "run       %s\n", one_line(a, run.run_id));
        fprintf(out, "flow      %s\n", one_line(a, run.flow_id));
        fprintf(out, "status    %s\n", run.status);
        fprintf(out, "started   %s\n", t1);
        fprintf(out, "ended     %s\n", t2);
        fprintf(out, "duration  %s\n", dur);
        fprintf(out, "host      %s (pid %lld)\n", one_line(a, run.host), (long long)run.pid);
        fprintf(out, "build     afc %s, fingerprint %s\n", one_line(a, run.afc_version),
                one_line(a, run.fingerprint));
    } else {
        fprintf(out, "run       %s (no af_runs row: written by another tool)\n",
                one_line(a, run_id));
    }
    int wn = 10, wt = 4;
    for (size_t k = 0; k < nall; k++)
        if ((int)strlen(all[k].job_id) > wn) wn = (int)strlen(all[k].job_id);
    for (size_t i = 0; i < nsteps; i++) {
        if ((int)strlen(steps[i].step_id) + 2 > wn) wn = (int)strlen(steps[i].step_id) + 2;
        if (steps[i].step_type && (int)strlen(steps[i].step_type) > wt)
            wt = (int)strlen(steps[i].step_type);
    }
    fprintf(out, "\n%-*s  %-*s  %-8s  %-7s  %-8s  %s\n", wn, "JOB / STEP", wt, "TYPE", "STATUS",
            "ATTEMPT", "DURATION", "ERROR");
    for (size_t k = 0; k < nall; k++) {
        print_step_line(a, out, wn, wt, all[k].job_id, "", all[k].status, 0, all[k].started_ms,
                        all[k].ended_ms, all[k].error);
        for (size_t i = 0; i < nsteps; i++) {
            const af__step_row *r = &steps[i];
            if (strcmp(r->job_id, all[k].job_id) != 0) continue;
            print_step_line(a, out, wn, wt, af_sprintf(a, "  %s", r->step_id), r->step_type,
                            r->status, r->attempt, r->started_ms, r->ended_ms, r->error);
        }
    }
    return 0;
}

int af__state_print(af_state *st, FILE *out, const char *flow_id, const char *run_id, int json)
{
    af_arena *a = af_arena_new();
    pthread_mutex_lock(&st->mu);
    int rc = run_id ? print_run(st, a, out, run_id, json) : print_runs(st, a, out, flow_id, json);
    pthread_mutex_unlock(&st->mu);
    af_arena_free(a);
    fflush(out);
    return rc;
}
