/*
 * af_db.h - the `db` connector kind: what a database driver provides and
 * what the db_* steps call.
 *
 * A driver is an af_driver (af.h) whose `ops` points to an af_db_ops table
 * and whose open/close are af_db_driver_open/af_db_driver_close. Built-in
 * drivers: sqlite3 (libsqlite3), postgres (libpq), odbc (unixODBC, with the
 * exasol, oracledb and mysql names on top) and sqlalchemy (picks sqlite3,
 * postgres or mysql by the URL's scheme). A bundle plugin adds a database
 * the same way:
 *
 *     static const af_db_ops my_ops = {AF_DB_ABI, my_connect, ...};
 *     const af_driver af_driver_db_mydb = {AF_ABI_VERSION, "db", "mydb", NULL,
 *         "My database", NULL, NULL, af_db_driver_open, af_db_driver_close,
 *         &my_ops, "-lmydb"};
 *
 * Callers (the steps) take a connector's ops and connection with
 * af_conn_driver(c)->ops and af_conn_impl(c), then af_db_resolve() them:
 * a routing driver such as sqlalchemy fills only connect, disconnect and
 * delegate.
 *
 * The flow of a query: prepare -> execute (parameters bound by the driver,
 * never spliced into the SQL text) -> columns -> next ... next -> finalize.
 * Rows stream: next hands out one row at a time and a driver must not hold
 * the whole result in memory (PostgreSQL uses single-row mode, for example).
 *
 * Values cross the interface as cells: a kind plus either a number or the
 * database's text for it. The steps turn cells into the exact text Python
 * would print for the value the reference implementation's driver returns
 * (str() of int, float, Decimal, date, datetime, ...), so a driver only has
 * to say what a value is, not how to format it.
 *
 * Ownership: cells, column arrays and strings a driver returns stay valid
 * until the next call on the same statement (next, execute, finalize).
 * Everything else follows af.h. Errors: 0 on success, -1 with a message in
 * err that names what failed and never contains a password.
 */
#ifndef AF_DB_H
#define AF_DB_H

#include "af.h"

#define AF_DB_ABI 1

/* What a cell holds. Text forms are the database's own output. */
typedef enum af_db_kind {
    AF_DB_NULL = 0, /* SQL NULL (Python None) */
    AF_DB_INT,      /* i; or, when s is set, s is the decimal text (any size) */
    AF_DB_FLOAT,    /* d (a double, Python float) */
    AF_DB_TEXT,     /* s/len, UTF-8 (Python str) */
    AF_DB_BYTES,    /* s/len, raw bytes (Python bytes) */
    AF_DB_BOOL,     /* i: 0 or 1 */
    AF_DB_DECIMAL,  /* s: [-]digits[.digits], NaN, Infinity, -Infinity (Python Decimal) */
    AF_DB_DATE,     /* s: YYYY-MM-DD */
    AF_DB_DATETIME, /* s: YYYY-MM-DD[ T]HH:MM:SS[.fraction][Z|+HH[:MM[:SS]]] */
    AF_DB_TIME,     /* s: HH:MM:SS[.fraction][+HH[:MM[:SS]]] */
    AF_DB_JSON,     /* s: one JSON document (Python dict/list after json.loads) */
} af_db_kind;

typedef struct af_db_cell {
    int kind;      /* af_db_kind */
    int64_t i;     /* AF_DB_INT, AF_DB_BOOL */
    double d;      /* AF_DB_FLOAT */
    const char *s; /* text kinds; for AF_DB_INT optional */
    size_t len;    /* bytes in s */
} af_db_cell;

/* A column's type as far as the driver's metadata tells (the reference's
 * "pytype"). AF_DT_OBJECT means unknown: the steps then look at values. */
typedef enum af_db_dtype {
    AF_DT_OBJECT = 0,
    AF_DT_BOOL,
    AF_DT_INT,
    AF_DT_FLOAT,
    AF_DT_DECIMAL,
    AF_DT_DATE,
    AF_DT_DATETIME,
    AF_DT_STRING,
    AF_DT_BYTES,
} af_db_dtype;

typedef struct af_db_column {
    const char *name;    /* as the database reports it */
    int type;            /* af_db_dtype */
    const char *db_type; /* the database's type name, or NULL */
} af_db_column;

/* One bound parameter: name without the ':' for named parameters, NULL for
 * positional ones (in order). Value kinds: NULL, INT (i), FLOAT, TEXT,
 * BOOL, JSON (a list or map given in YAML, as JSON text). */
typedef struct af_db_param {
    const char *name;
    af_db_cell v;
} af_db_param;

typedef struct af_db_stmt af_db_stmt; /* defined by each driver */

typedef struct af_db_ops af_db_ops;
struct af_db_ops {
    int abi; /* AF_DB_ABI */
    /* Opens a connection from the resource's resolved config and options
     * (maps; either may be NULL). a lives as long as the connection. */
    int (*connect)(af_arena *a, const af_value *config, const af_value *options, void **db,
                   char *err, size_t errlen);
    void (*disconnect)(void *db); /* NULL is fine */
    /* Prepares one statement. Placeholders: `:name` (named) and `?`
     * (positional) in every driver; `$1` too in postgres. */
    int (*prepare)(void *db, const char *sql, af_db_stmt **st, char *err, size_t errlen);
    /* Binds params (n of them, all named or all positional) and runs the
     * statement; a previous result of st is discarded. fetch_size is a hint
     * for drivers that fetch in batches. */
    int (*execute)(af_db_stmt *st, const af_db_param *params, size_t n, int64_t fetch_size,
                   char *err, size_t errlen);
    /* The result's columns after execute (n = 0 for statements without a
     * result set). */
    void (*columns)(af_db_stmt *st, const af_db_column **cols, size_t *n);
    /* Next row: 1 with *row set (ncols cells), 0 at the end, -1 on error. */
    int (*next)(af_db_stmt *st, const af_db_cell **row, char *err, size_t errlen);
    /* Rows changed by the last execute of a DML statement, -1 otherwise. */
    int64_t (*rowcount)(af_db_stmt *st);
    void (*finalize)(af_db_stmt *st); /* NULL is fine */
    /* Transactions: the connection autocommits outside begin..commit. */
    int (*begin)(void *db, char *err, size_t errlen);
    int (*commit)(void *db, char *err, size_t errlen);
    int (*rollback)(void *db, char *err, size_t errlen);
    /* Optional bulk load into `table` (SQL text, already checked) columns
     * cols (already quoted), inside the caller's transaction. rows are given
     * as cells of kind TEXT or NULL. NULL: the steps fall back to a prepared
     * INSERT executed per row. */
    int (*load_begin)(void *db, const char *table, const char *const *cols, size_t ncols, void **ld,
                      char *err, size_t errlen);
    int (*load_row)(void *ld, const af_db_cell *row, size_t n, char *err, size_t errlen);
    /* Ends the load (ok = 0: abandon it) and frees ld; *rows loaded. */
    int (*load_end)(void *ld, int ok, int64_t *rows, char *err, size_t errlen);
    /* Column type for CREATE TABLE from a dtype label (AF_DT_*). */
    const char *(*sql_type)(void *db, int dtype);
    /* Optional: a driver that only routes to another (sqlalchemy) returns
     * the real ops and stores the real connection in *inner. NULL: none. */
    const af_db_ops *(*delegate)(void *db, void **inner);
};

/* af_driver.open / .close for every db driver: calls ops->connect with the
 * connector's config and options and stores the connection as its impl. */
int af_db_driver_open(af_conn *c, char *err, size_t errlen);
void af_db_driver_close(af_conn *c);

/* Follows af_db_ops.delegate: on return *ops and *db are the driver that
 * does the work. */
void af_db_resolve(const af_db_ops **ops, void **db);

/* ---- helpers for drivers ------------------------------------------------ */

/* Placeholder rewriting for drivers whose native syntax differs. Scans sql
 * (skipping string literals, quoted identifiers, comments, `::` casts and,
 * when dollar is set, $tag$ strings) for `:name` and `?`. style '$' writes
 * $1, $2, ...; style '?' writes ?. *order receives, per placeholder
 * written, the index into params (named: matched by name; positional: in
 * turn). With dollar set, existing $N placeholders pass through and map to
 * params[N-1]. Returns 0, or -1 with err naming a missing named parameter,
 * a mix of named and positional use, or too few positional values. The
 * result (*out, *order, *norder) lives in a. */
int af_db_rewrite(af_arena *a, const char *sql, const af_db_param *params, size_t n, char style,
                  int dollar, const char **out, size_t **order, size_t *norder, char *err,
                  size_t errlen);

/* Replaces every occurrence of secret (when non-empty) in msg with "***". */
void af_db_scrub(char *msg, const char *secret);

/* The label the reference prints for a dtype: bool, int, float (also for
 * decimal), date, datetime, string (everything else). */
const char *af_db_dtype_label(int dtype);

#endif /* AF_DB_H */
