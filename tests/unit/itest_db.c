/*
 * itest_db.c - the db drivers against real servers: PostgreSQL through
 * libpq, and ODBC (unixODBC with Debian's odbc-postgresql and
 * libsqliteodbc drivers) against the same PostgreSQL and a SQLite file.
 *
 * Run by tests/integration/db.sh, which starts tests/servers/postgres.sh
 * and passes PG_HOST, PG_PORT, PG_USER, PG_PASSWORD, PG_DB and PG_URL. The
 * ODBC configuration (odbcinst.ini, odbc.ini) is written here into a temp
 * directory named by ODBCSYSINI / ODBCINI.
 *
 * pg_expect.h (tests/unit/data/gen_pg_expect.py) holds what the reference
 * prints for the awkward-value table; ODBC results are compared with the
 * libpq and sqlite3 drivers' output for the same query.
 */
#include "db_test.h"
#include "t.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define T_SUITE "db"
#include "db_expect.h"
#include "pg_expect.h"

extern const af_driver af_driver_db_postgres, af_driver_db_sqlite3, af_driver_db_odbc,
    af_driver_db_sqlalchemy, af_driver_db_exasol, af_driver_db_oracledb, af_driver_db_mysql;

static char dir[] = "/tmp/itest_db_XXXXXX";
static char err[2048];
static const char *pg_host, *pg_port, *pg_user, *pg_pw, *pg_db, *pg_url;

static const char *path_in(af_arena *a, const char *name)
{
    return af_sprintf(a, "%s/%s", dir, name);
}

static const char *pg_config(af_arena *a)
{
    return af_sprintf(a,
                      "{\"host\": \"%s\", \"port\": %s, \"user\": \"%s\", \"password\": \"%s\", "
                      "\"dbname\": \"%s\"}",
                      pg_host, pg_port, pg_user, pg_pw, pg_db);
}

static int open_pg(af_arena *a, db_ctx *x, const char *options)
{
    af_conn *c = test_conn(a, &af_driver_db_postgres, pg_config(a), options, err, sizeof err);
    if (!c) {
        printf("#   connect: %s\n", err);
        return -1;
    }
    *x = test_ctx(a, c);
    return 0;
}

static const char *tsv_of(db_ctx *x, af_arena *a, const char *sql, const char *name)
{
    int64_t rows;
    const char *out = path_in(a, name);
    if (db_extract(x, sql, NULL, 0, "tsv", out, &rows, err, sizeof err) < 0) {
        printf("#   extract %s: %s\n", sql, err);
        return "";
    }
    char *s = slurp(out, NULL);
    const char *r = af_strdup(a, s);
    free(s);
    return r;
}

static void test_pg_extract(void)
{
    af_arena *a = af_arena_new();
    db_ctx x;
    if (open_pg(a, &x, NULL) < 0) {
        T_CHECK(0);
        return;
    }
    T_INTEQ(run_sql(&x, pg_setup, err, sizeof err), 0);
    int64_t rows;
    const char *out = path_in(a, "pg.tsv");
    T_INTEQ(db_extract(&x, PG_SELECT, NULL, 0, "tsv", out, &rows, err, sizeof err), 0);
    T_INTEQ(rows, 6);
    T_CHECK(file_is(out, PG_EXTRACT_TSV, sizeof PG_EXTRACT_TSV - 1));
    out = path_in(a, "pg.jsonl");
    T_INTEQ(db_extract(&x, PG_SELECT, NULL, 0, "jsonl", out, &rows, err, sizeof err), 0);
    T_CHECK(file_is(out, PG_EXTRACT_JSONL, sizeof PG_EXTRACT_JSONL - 1));
    /* bytea as Python's bytes repr (psycopg2's memoryview prints an address) */
    T_STREQ(tsv_of(&x, a, "SELECT '\\x00ff27'::bytea AS b, ''::bytea AS e", "b.tsv"),
            "b\te\nb\"\\x00\\xff'\"\tb''\n");
    x.ops->disconnect(x.db);
    af_arena_free(a);
}

static void test_pg_fetch_small(void)
{
    af_arena *a = af_arena_new();
    db_ctx x;
    if (open_pg(a, &x, NULL) < 0) {
        T_CHECK(0);
        return;
    }
    db_small s;
    T_INTEQ(db_fetch_small(&x, PG_SELECT, NULL, 0, 100, 2, &s, err, sizeof err), 0);
    T_INTEQ(s.count, 6);
    T_STREQ(af_json_str(a, s.columns, 0), PG_COLUMNS_JSON);
    T_STREQ(af_json_str(a, s.rows, 0), PG_ROWS_JSON);
    T_STREQ(af_json_str(a, s.dtypes, 0),
            "{\"id\": \"int\", \"i8\": \"int\", \"num\": \"float\", \"f8\": \"float\", \"f4\": "
            "\"float\", \"b\": \"bool\", \"t\": \"string\", \"vc\": \"string\", \"d\": \"date\", "
            "\"ts\": \"datetime\", \"tstz\": \"datetime\", \"tm\": \"string\", \"j\": \"string\", "
            "\"u\": \"string\"}");
    /* stopping early cancels the query; the connection stays usable */
    T_INTEQ(db_fetch_small(&x, "SELECT g FROM generate_series(1, 5000000) g", NULL, 0, 10, 5000, &s,
                           err, sizeof err),
            -1);
    T_STREQ(err, "db_fetch_small exceeded max_rows=10. Use db_extract_stream for large results.");
    T_INTEQ(db_fetch_small(&x, "SELECT 1 AS one", NULL, 0, 10, 10, &s, err, sizeof err), 0);
    T_STREQ(af_json_str(a, s.rows, 0), "[[1]]");
    /* errors carry the server's message */
    T_INTEQ(db_fetch_small(&x, "SELECT nosuch FROM awk", NULL, 0, 10, 10, &s, err, sizeof err), -1);
    T_STREQ(err, "postgres: column \"nosuch\" does not exist");
    x.ops->disconnect(x.db);
    af_arena_free(a);
}

static char *sha_of(const char *path, char hex[65])
{
    size_t len;
    char *data = slurp(path, &len);
    unsigned char md[32];
    unsigned int ml;
    EVP_Digest(data, len, md, &ml, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    free(data);
    return hex;
}

static int stream(db_ctx *x, af_arena *a, const char *sql, const char *path, uint32_t delim,
                  af_csv_quoting q, const char *lt, db_stream_res *r)
{
    db_stream_opts o = {0};
    o.sql = sql;
    o.format = delim == '\t' ? "tsv" : "csv";
    o.path = path;
    o.fetch_size = 1000;
    o.include_header = 1;
    o.emit_dtypes = 1;
    af_csv_dialect_init(&o.dialect);
    o.dialect.delimiter = delim;
    o.dialect.quoting = q;
    o.dialect.lineterminator = lt;
    int rc = db_extract_stream(x, &o, r, err, sizeof err);
    if (rc < 0) printf("#   stream: %s\n", err);
    return rc;
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_pg_stream(void)
{
    af_arena *a = af_arena_new();
    db_ctx x;
    if (open_pg(a, &x, NULL) < 0) {
        T_CHECK(0);
        return;
    }
    db_stream_res r;
    char hex[65];
    const char *p = path_in(a, "s.csv");
    T_INTEQ(stream(&x, a, PG_SELECT, p, ',', AF_CSV_QUOTE_MINIMAL, "\n", &r), 0);
    T_CHECK(file_is(p, PG_STREAM_CSV, sizeof PG_STREAM_CSV - 1));
    T_STREQ(r.sha256, sha_of(p, hex));
    T_INTEQ(r.rows, 6);
    p = path_in(a, "s.tsv");
    T_INTEQ(stream(&x, a, PG_SELECT, p, '\t', AF_CSV_QUOTE_MINIMAL, "\n", &r), 0);
    T_CHECK(file_is(p, PG_STREAM_TSV, sizeof PG_STREAM_TSV - 1));
    p = path_in(a, "s2.csv");
    T_INTEQ(stream(&x, a, PG_SELECT, p, ',', AF_CSV_QUOTE_ALL, "\r\n", &r), 0);
    T_CHECK(file_is(p, PG_STREAM_ALLCRLF, sizeof PG_STREAM_ALLCRLF - 1));
    /* flat memory: 400k rows (about 45 MB of CSV) through single-row mode */
    long before = maxrss_kb();
    (void)before;
    p = path_in(a, "big.csv");
    T_INTEQ(stream(&x, a,
                   "SELECT g AS id, md5(g::text) AS h, g * 1.5 AS f, now() AS ts FROM "
                   "generate_series(1, 400000) g",
                   p, ',', AF_CSV_QUOTE_MINIMAL, "\n", &r),
            0);
    T_INTEQ(r.rows, 400000);
#if !defined(__SANITIZE_ADDRESS__) /* ASan's quarantine keeps freed memory */
    long grew = maxrss_kb() - before;
    if (grew > 16 * 1024) printf("#   max RSS grew by %ld kB\n", grew);
    T_CHECK(grew <= 16 * 1024);
#endif
    unlink(p);
    x.ops->disconnect(x.db);
    af_arena_free(a);
}

static void test_pg_params(void)
{
    af_arena *a = af_arena_new();
    db_ctx x;
    if (open_pg(a, &x, NULL) < 0) {
        T_CHECK(0);
        return;
    }
    const char *json = "{\"t\": \"it's \\\"q\\\"\\t\\n\xe2\x82\xac;-- ':x'\", \"i\": "
                       "9223372036854775807, \"f\": 0.1, \"b\": true, \"n\": null, \"j\": [1, "
                       "\"x\"]}";
    af_value *m;
    char e[200];
    T_INTEQ(af_json_parse(a, json, strlen(json), &m, e, sizeof e), 0);
    af_db_param *p;
    size_t np;
    T_INTEQ(db_params(a, m, &p, &np, err, sizeof err), 0);
    db_small s;
    const char *want = "[[\"it's \\\"q\\\"\\t\\n\xe2\x82\xac;-- ':x'\", 9223372036854775807, 0.1, "
                       "true, null, [1, \"x\"], \":t\", 3]]";
    T_INTEQ(db_fetch_small(&x,
                           "SELECT :t AS t, :i AS i, :f AS f, :b AS b, :n AS n, :j::jsonb AS j, "
                           "':t' AS lit, 3::int AS cast -- :nope",
                           p, np, 10, 10, &s, err, sizeof err),
            0);
    T_STREQ(af_json_str(a, s.rows, 0), want);
    /* positional ? and native $N take a list */
    af_value *l = af_list(a);
    for (size_t i = 0; i < m->u.map.n; i++)
        af_list_push(a, l, m->u.map.pairs[i].val);
    T_INTEQ(db_params(a, l, &p, &np, err, sizeof err), 0);
    T_INTEQ(db_fetch_small(&x,
                           "SELECT ? AS t, ? AS i, ? AS f, ? AS b, ? AS n, ?::jsonb AS j, "
                           "':t' AS lit, 3::int AS cast",
                           p, np, 10, 10, &s, err, sizeof err),
            0);
    T_STREQ(af_json_str(a, s.rows, 0), want);
    T_INTEQ(db_fetch_small(&x,
                           "SELECT $1 AS t, $2 AS i, $3 AS f, $4 AS b, $5 AS n, $6::jsonb AS j, "
                           "':t' AS lit, 3::int AS cast",
                           p, np, 10, 10, &s, err, sizeof err),
            0);
    T_STREQ(af_json_str(a, s.rows, 0), want);
    /* an injection attempt is a value */
    T_INTEQ(db_params(a, af_str(a, "{\"v\": \"1; DROP TABLE awk\"}"), &p, &np, err, sizeof err), 0);
    T_INTEQ(db_fetch_small(&x, "SELECT count(*) AS n FROM awk WHERE t = :v", p, np, 10, 10, &s, err,
                           sizeof err),
            0);
    T_STREQ(af_json_str(a, s.rows, 0), "[[0]]");
    T_INTEQ(db_fetch_small(&x, "SELECT :missing", p, np, 10, 10, &s, err, sizeof err), -1);
    T_STREQ(err, "You did not supply a value for binding parameter :missing.");
    x.ops->disconnect(x.db);
    af_arena_free(a);
}

static void load_opts(db_load_opts *o, const char *path, const char *table, int mode)
{
    memset(o, 0, sizeof *o);
    o->path = path;
    o->table = table;
    o->header = 1;
    o->mode = mode;
    o->create = 1;
    o->batch_size = 1000;
    o->empty_as_null = 1;
    af_csv_dialect_init(&o->dialect);
}

static int64_t count(db_ctx *x, const char *table)
{
    af_arena *a = af_arena_new();
    db_ctx y = *x;
    y.a = a;
    db_small s;
    int64_t n = -1;
    if (db_fetch_small(&y, af_sprintf(a, "SELECT count(*) AS n FROM %s", table), NULL, 0, 10, 10,
                       &s, err, sizeof err) == 0)
        n = s.rows->u.list.items[0]->u.list.items[0]->u.i;
    af_arena_free(a);
    return n;
}

#define PG_NOJSON "SELECT id, i8, num, f8, f4, b, t, vc, d, ts, tstz, tm, u FROM %s ORDER BY id"

static void test_pg_load(void)
{
    af_arena *a = af_arena_new();
    db_ctx x;
    if (open_pg(a, &x, NULL) < 0) {
        T_CHECK(0);
        return;
    }
    const char *setup[] = {"DROP TABLE IF EXISTS awk2", "DROP TABLE IF EXISTS awk3",
                           "CREATE TABLE awk2 (LIKE awk)", NULL};
    T_INTEQ(run_sql(&x, setup, err, sizeof err), 0);
    db_stream_res r1, r2;
    const char *f1 = path_in(a, "l1.csv"), *f2 = path_in(a, "l2.csv");
    T_INTEQ(
        stream(&x, a, af_sprintf(a, PG_NOJSON, "awk"), f1, ',', AF_CSV_QUOTE_MINIMAL, "\r\n", &r1),
        0);
    db_load_opts o;
    db_load_res lr;
    load_opts(&o, f1, "awk2", DB_TRUNCATE);
    T_INTEQ(db_load(&x, &o, &lr, err, sizeof err), 0);
    T_INTEQ(lr.rows, 6);
    T_INTEQ(lr.created, 0);
    T_INTEQ(
        stream(&x, a, af_sprintf(a, PG_NOJSON, "awk2"), f2, ',', AF_CSV_QUOTE_MINIMAL, "\r\n", &r2),
        0);
    T_STREQ(r2.sha256, r1.sha256);
    /* create from the stream's dtypes, then append and replace */
    load_opts(&o, f1, "awk3", DB_APPEND);
    o.dtypes = r1.dtypes;
    T_INTEQ(db_load(&x, &o, &lr, err, sizeof err), 0);
    T_INTEQ(lr.created, 1);
    T_INTEQ(db_load(&x, &o, &lr, err, sizeof err), 0);
    T_INTEQ(count(&x, "awk3"), 12);
    o.mode = DB_REPLACE;
    T_INTEQ(db_load(&x, &o, &lr, err, sizeof err), 0);
    T_INTEQ(count(&x, "awk3"), 6);
    db_small s;
    T_INTEQ(
        db_fetch_small(&x, "SELECT * FROM awk3 WHERE id = 2", NULL, 0, 10, 10, &s, err, sizeof err),
        0);
    T_STREQ(af_json_str(a, s.dtypes, 0),
            "{\"id\": \"int\", \"i8\": \"int\", \"num\": \"float\", \"f8\": \"float\", \"f4\": "
            "\"float\", \"b\": \"bool\", \"t\": \"string\", \"vc\": \"string\", \"d\": \"date\", "
            "\"ts\": \"datetime\", \"tstz\": \"datetime\", \"tm\": \"string\", \"u\": \"string\"}");
    /* a bad value fails the COPY; truncate and all roll back */
    FILE *fp = fopen(f2, "w");
    fputs("id,i8\n1,2\n2,notanumber\n", fp);
    fclose(fp);
    load_opts(&o, f2, "awk2", DB_TRUNCATE);
    T_INTEQ(db_load(&x, &o, &lr, err, sizeof err), -1);
    T_CHECK(strstr(err, "invalid input syntax for type bigint: \"notanumber\"") != NULL);
    T_CHECK(strstr(err, "line 2") != NULL);
    T_INTEQ(count(&x, "awk2"), 6);
    /* big load through COPY */
    const char *big = path_in(a, "big.csv");
    T_INTEQ(stream(&x, a,
                   "SELECT g AS id, md5(g::text) AS h, (g % 7 = 0) AS flag, NULLIF(g % 5, 0) AS m "
                   "FROM generate_series(1, 100000) g",
                   big, ',', AF_CSV_QUOTE_MINIMAL, "\n", &r1),
            0);
    load_opts(&o, big, "big_load", DB_REPLACE);
    o.dtypes = r1.dtypes;
    T_INTEQ(db_load(&x, &o, &lr, err, sizeof err), 0);
    T_INTEQ(lr.rows, 100000);
    T_INTEQ(db_fetch_small(&x,
                           "SELECT count(*) AS n, count(m) AS m, sum(id) AS s, "
                           "count(*) FILTER (WHERE flag) AS f FROM big_load",
                           NULL, 0, 10, 10, &s, err, sizeof err),
            0);
    T_STREQ(af_json_str(a, s.rows, 0), "[[100000, 80000, 5000050000.0, 14285]]");
    x.ops->disconnect(x.db);
    af_arena_free(a);
}

static void test_pg_exec(void)
{
    af_arena *a = af_arena_new();
    db_ctx x;
    if (open_pg(a, &x, NULL) < 0) {
        T_CHECK(0);
        return;
    }
    const char *sqls[] = {"DROP TABLE IF EXISTS ex", "CREATE TABLE ex (k text, v int)",
                          "INSERT INTO ex VALUES (:k, 1), (:k, 2)", "UPDATE ex SET v = v + 10",
                          "SELECT * FROM nosuch"};
    af_db_param *p;
    size_t np;
    T_INTEQ(db_params(a, af_str(a, "{\"k\": \"x\"}"), &p, &np, err, sizeof err), 0);
    af_value *rc;
    int64_t total;
    T_INTEQ(db_exec(&x, sqls, 2, NULL, 0, 1, &rc, &total, err, sizeof err), 0);
    T_INTEQ(db_exec(&x, sqls + 2, 2, p, np, 1, &rc, &total, err, sizeof err), 0);
    T_STREQ(af_json_str(a, rc, 0), "[2, 2]");
    T_INTEQ(total, 4);
    T_INTEQ(db_exec(&x, sqls + 2, 3, p, np, 1, &rc, &total, err, sizeof err), -1);
    T_STREQ(err, "postgres: relation \"nosuch\" does not exist (statement 3 of 3)");
    T_INTEQ(count(&x, "ex"), 2);
    x.ops->disconnect(x.db);
    af_arena_free(a);
}

static void alarm_fired(int sig)
{
    (void)sig;
    printf("not ok - db/connection attempt hung\n");
    _exit(1);
}

static void test_pg_connect_failures(void)
{
    af_arena *a = af_arena_new();
    signal(SIGALRM, alarm_fired);
    alarm(60); /* a hang is a failure, never a timing figure */
    /* wrong password: the server's message, not the password */
    const char *cfg = af_sprintf(a,
                                 "{\"host\": \"%s\", \"port\": %s, \"user\": \"%s\", "
                                 "\"password\": \"Wr0ngSecret\", \"dbname\": \"%s\"}",
                                 pg_host, pg_port, pg_user, pg_db);
    T_CHECK(test_conn(a, &af_driver_db_postgres, cfg, NULL, err, sizeof err) == NULL);
    T_CHECK(strstr(err, "password authentication failed") != NULL);
    T_CHECK(strstr(err, "Wr0ngSecret") == NULL);
    cfg = af_sprintf(a, "{\"url\": \"postgresql://%s:Wr0ngSecret@%s:%s/%s\"}", pg_user, pg_host,
                     pg_port, pg_db);
    T_CHECK(test_conn(a, &af_driver_db_postgres, cfg, NULL, err, sizeof err) == NULL);
    T_CHECK(strstr(err, "password authentication failed") != NULL);
    T_CHECK(strstr(err, "Wr0ngSecret") == NULL);
    /* no server: a port nobody listens on */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    int free_port = ntohs(sa.sin_port);
    close(fd);
    cfg = af_sprintf(a,
                     "{\"host\": \"127.0.0.1\", \"port\": %d, \"user\": \"u\", \"password\": "
                     "\"S3cret\", \"dbname\": \"d\"}",
                     free_port);
    T_CHECK(test_conn(a, &af_driver_db_postgres, cfg, NULL, err, sizeof err) == NULL);
    T_CHECK(strstr(err, "postgres: cannot connect") && strstr(err, "Connection refused"));
    /* a server that accepts TCP but never answers: connect_timeout ends it */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_port = 0;
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    listen(fd, 8);
    sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    cfg = af_sprintf(a,
                     "{\"host\": \"127.0.0.1\", \"port\": %d, \"user\": \"u\", \"password\": "
                     "\"S3cret\", \"dbname\": \"d\"}",
                     ntohs(sa.sin_port));
    T_CHECK(test_conn(a, &af_driver_db_postgres, cfg, "{\"connect_timeout\": 2}", err,
                      sizeof err) == NULL);
    T_CHECK(strstr(err, "timeout") != NULL);
    T_CHECK(strstr(err, "S3cret") == NULL);
    close(fd);
    alarm(0);
    /* statement_timeout */
    db_ctx x;
    if (open_pg(a, &x, "{\"statement_timeout\": 1}") == 0) {
        db_small s;
        T_INTEQ(db_fetch_small(&x, "SELECT pg_sleep(5)", NULL, 0, 10, 10, &s, err, sizeof err), -1);
        T_STREQ(err, "postgres: canceling statement due to statement timeout");
        x.ops->disconnect(x.db);
    }
    af_arena_free(a);
}

static void test_sqlalchemy_routes(void)
{
    af_arena *a = af_arena_new();
    const char *url = pg_url;
    const char *cfg =
        af_sprintf(a, "{\"url\": \"postgresql+psycopg2://%s\"}", strstr(url, "://") + 3);
    af_conn *c = test_conn(a, &af_driver_db_sqlalchemy, cfg,
                           "{\"pool_size\": 10, \"max_overflow\": 20, \"pool_pre_ping\": true}",
                           err, sizeof err);
    T_CHECK(c != NULL);
    if (c) {
        db_ctx x = test_ctx(a, c);
        T_STREQ(tsv_of(&x, a, "SELECT 1 AS \"COL\"", "sa.tsv"), "COL\n1\n");
        c->drv->close(c);
    }
    cfg = af_sprintf(a, "{\"url\": \"sqlite+pysqlite:///%s/sa.db\"}", dir);
    c = test_conn(a, &af_driver_db_sqlalchemy, cfg, NULL, err, sizeof err);
    T_CHECK(c != NULL);
    if (c) {
        db_ctx x = test_ctx(a, c);
        T_STREQ(tsv_of(&x, a, "select 1 as COL", "sa2.tsv"), "COL\n1\n");
        c->drv->close(c);
    }
    T_CHECK(test_conn(a, &af_driver_db_sqlalchemy, "{\"url\": \"oracle://u:p@h/x\"}", NULL, err,
                      sizeof err) == NULL);
    T_STREQ(err, "sqlalchemy url scheme 'oracle' is not supported: use sqlite, postgresql or "
                 "mysql urls, or the odbc driver");
    af_arena_free(a);
}

/* ---- ODBC ---------------------------------------------------------------- */

static int odbc_ready;

static void setup_odbc(af_arena *a)
{
    const char *inst = path_in(a, "odbcinst.ini"), *ini = path_in(a, "odbc.ini");
    FILE *f = fopen(inst, "w");
    fprintf(f,
            "[PostgreSQL Unicode]\nDriver=psqlodbcw.so\n\n[SQLite3]\nDriver=libsqlite3odbc.so\n");
    fclose(f);
    f = fopen(ini, "w");
    fprintf(f,
            "[afc_pg]\nDriver=PostgreSQL Unicode\nServername=%s\nPort=%s\nDatabase=%s\n"
            "BoolsAsChar=0\nUseDeclareFetch=1\nFetch=1000\n\n"
            "[afc_sqlite]\nDriver=SQLite3\nDatabase=%s/odbc.db\n",
            pg_host, pg_port, pg_db, dir);
    fclose(f);
    setenv("ODBCSYSINI", dir, 1);
    setenv("ODBCINI", ini, 1);
    odbc_ready = access("/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so", F_OK) == 0 ||
                 access("/usr/lib/odbc/psqlodbcw.so", F_OK) == 0;
}

static int open_odbc(af_arena *a, db_ctx *x, const char *cfg)
{
    af_conn *c = test_conn(a, &af_driver_db_odbc, cfg, NULL, err, sizeof err);
    if (!c) {
        printf("#   odbc connect: %s\n", err);
        return -1;
    }
    *x = test_ctx(a, c);
    return 0;
}

/* uuid is left out: psqlODBC hands GUIDs out in upper case */
#define ODBC_COLS "SELECT id, i8, num, f8, f4, b, t, vc, d, ts FROM awk ORDER BY id"

static void test_odbc_postgres(void)
{
    af_arena *a = af_arena_new();
    db_ctx pg, od;
    T_CHECK(odbc_ready);
    if (open_pg(a, &pg, NULL) < 0 ||
        open_odbc(a, &od,
                  af_sprintf(a, "{\"dsn\": \"afc_pg\", \"user\": \"%s\", \"password\": \"%s\"}",
                             pg_user, pg_pw)) < 0) {
        T_CHECK(0);
        af_arena_free(a);
        return;
    }
    /* the same text as libpq for the common types */
    const char *want = tsv_of(&pg, a, ODBC_COLS, "o1.tsv");
    T_STREQ(tsv_of(&od, a, ODBC_COLS, "o2.tsv"), want);
    db_small s1, s2;
    T_INTEQ(db_fetch_small(&pg, ODBC_COLS, NULL, 0, 100, 10, &s1, err, sizeof err), 0);
    T_INTEQ(db_fetch_small(&od, ODBC_COLS, NULL, 0, 100, 10, &s2, err, sizeof err), 0);
    T_STREQ(af_json_str(a, s2.rows, 0), af_json_str(a, s1.rows, 0));
    T_STREQ(af_json_str(a, s2.dtypes, 0), af_json_str(a, s1.dtypes, 0));
    /* parameters become ? markers */
    af_db_param *p;
    size_t np;
    T_INTEQ(db_params(a, af_str(a, "{\"lo\": 2, \"t\": \"tab\\there\"}"), &p, &np, err, sizeof err),
            0);
    T_STREQ(tsv_of(&od, a, "SELECT 1 AS one", "o3.tsv"), "one\n1\n");
    int64_t rows;
    T_INTEQ(db_extract(&od, "SELECT id FROM awk WHERE id >= :lo AND t = :t AND t <> ':t'", p, np,
                       "tsv", path_in(a, "o4.tsv"), &rows, err, sizeof err),
            0);
    T_INTEQ(rows, 1);
    /* load through prepared INSERTs, in one transaction */
    const char *setup[] = {"DROP TABLE IF EXISTS awk_odbc",
                           "CREATE TABLE awk_odbc AS SELECT id, i8, num, f8, b, t, vc, d, ts FROM "
                           "awk WHERE false",
                           NULL};
    T_INTEQ(run_sql(&pg, setup, err, sizeof err), 0);
    db_stream_res r1, r2;
    const char *sel = "SELECT id, i8, num, f8, b, t, vc, d, ts FROM %s ORDER BY id";
    T_INTEQ(stream(&pg, a, af_sprintf(a, sel, "awk"), path_in(a, "o.csv"), ',',
                   AF_CSV_QUOTE_MINIMAL, "\r\n", &r1),
            0);
    db_load_opts o;
    db_load_res lr;
    load_opts(&o, path_in(a, "o.csv"), "awk_odbc", DB_APPEND);
    T_INTEQ(db_load(&od, &o, &lr, err, sizeof err), 0);
    T_INTEQ(lr.rows, 6);
    T_INTEQ(stream(&pg, a, af_sprintf(a, sel, "awk_odbc"), path_in(a, "o2.csv"), ',',
                   AF_CSV_QUOTE_MINIMAL, "\r\n", &r2),
            0);
    T_STREQ(r2.sha256, r1.sha256);
    FILE *fp = fopen(path_in(a, "bad.csv"), "w");
    fputs("id,i8\n1,2\n2,x\n", fp);
    fclose(fp);
    load_opts(&o, path_in(a, "bad.csv"), "awk_odbc", DB_TRUNCATE);
    T_INTEQ(db_load(&od, &o, &lr, err, sizeof err), -1);
    T_CHECK(strstr(err, "odbc:") && strstr(err, "invalid input syntax"));
    /* a load bigger than one parameter-array batch */
    T_INTEQ(stream(&pg, a,
                   "SELECT g AS id, g * 2 AS i8, 'r' || g AS t FROM generate_series(1, 2500) g",
                   path_in(a, "many.csv"), ',', AF_CSV_QUOTE_MINIMAL, "\n", &r1),
            0);
    load_opts(&o, path_in(a, "many.csv"), "odbc_many", DB_REPLACE);
    o.dtypes = r1.dtypes;
    T_INTEQ(db_load(&od, &o, &lr, err, sizeof err), 0);
    T_INTEQ(lr.rows, 2500);
    db_small sm;
    T_INTEQ(db_fetch_small(&pg, "SELECT count(*), sum(i8), max(t) FROM odbc_many", NULL, 0, 10, 10,
                           &sm, err, sizeof err),
            0);
    T_STREQ(af_json_str(a, sm.rows, 0), "[[2500, 6252500.0, \"r999\"]]");
    T_INTEQ(count(&pg, "awk_odbc"), 6);
    od.ops->disconnect(od.db);
    pg.ops->disconnect(pg.db);
    af_arena_free(a);
}

static void test_odbc_sqlite(void)
{
    af_arena *a = af_arena_new();
    T_CHECK(odbc_ready);
    /* the awkward SQLite database, written by the sqlite3 driver */
    const char *cfg = af_sprintf(a, "{\"path\": \"%s/odbc.db\"}", dir);
    unlink(path_in(a, "odbc.db"));
    af_conn *c = test_conn(a, &af_driver_db_sqlite3, cfg, NULL, err, sizeof err);
    db_ctx sq = test_ctx(a, c), od;
    T_INTEQ(run_sql(&sq, setup_sql, err, sizeof err), 0);
    if (open_odbc(a, &od, "{\"dsn\": \"afc_sqlite\"}") < 0) {
        T_CHECK(0);
        af_arena_free(a);
        return;
    }
    /* id 8 is left out: the SQLite ODBC driver reads REALs through 15-digit text */
    const char *q = "SELECT id, name, amount, note, d FROM t WHERE id <> 8 ORDER BY id";
    T_STREQ(tsv_of(&od, a, q, "q1.tsv"), tsv_of(&sq, a, q, "q2.tsv"));
    /* a load through ODBC parameter arrays, read back by the sqlite3 driver */
    db_stream_res r1, r2;
    const char *sel = "SELECT id, name, note, d FROM %s ORDER BY id";
    T_INTEQ(stream(&sq, a, af_sprintf(a, sel, "t"), path_in(a, "sq.csv"), ',',
                   AF_CSV_QUOTE_MINIMAL, "\r\n", &r1),
            0);
    db_load_opts o;
    db_load_res lr;
    load_opts(&o, path_in(a, "sq.csv"), "t_odbc", DB_REPLACE);
    o.empty_as_null = 0;
    T_INTEQ(db_load(&od, &o, &lr, err, sizeof err), 0);
    T_INTEQ(lr.rows, 8);
    T_INTEQ(stream(&sq, a, af_sprintf(a, sel, "t_odbc"), path_in(a, "sq2.csv"), ',',
                   AF_CSV_QUOTE_MINIMAL, "\r\n", &r2),
            0);
    T_STREQ(r2.sha256, r1.sha256);
    od.ops->disconnect(od.db);
    sq.ops->disconnect(sq.db);
    af_arena_free(a);
}

static void test_odbc_failures(void)
{
    af_arena *a = af_arena_new();
    T_CHECK(test_conn(a, &af_driver_db_odbc, "{\"dsn\": \"no_such_dsn\"}", NULL, err, sizeof err) ==
            NULL);
    T_CHECK(strstr(err, "odbc: cannot connect") && strstr(err, "Data source name not found"));
    const char *cfg = af_sprintf(
        a, "{\"dsn\": \"afc_pg\", \"user\": \"%s\", \"password\": \"Wr0ngSecret\"}", pg_user);
    T_CHECK(test_conn(a, &af_driver_db_odbc, cfg, NULL, err, sizeof err) == NULL);
    T_CHECK(strstr(err, "password authentication failed") != NULL);
    T_CHECK(strstr(err, "Wr0ngSecret") == NULL);
    /* the reference's driver names build their vendor's connection string */
    T_CHECK(test_conn(a, &af_driver_db_exasol,
                      "{\"dsn\": \"exa1:8563\", \"user\": \"sys\", \"password\": \"Exa$ecret\"}",
                      NULL, err, sizeof err) == NULL);
    T_CHECK(strstr(err, "EXASolution Driver") != NULL);
    T_CHECK(strstr(err, "Exa$ecret") == NULL);
    T_CHECK(test_conn(a, &af_driver_db_oracledb,
                      "{\"dsn\": \"db:1521/svc\", \"user\": \"u\", \"password\": \"p\"}",
                      "{\"odbc_driver\": \"Oracle 21 ODBC driver\"}", err, sizeof err) == NULL);
    T_CHECK(strstr(err, "Oracle 21 ODBC driver") != NULL);
    T_CHECK(test_conn(a, &af_driver_db_mysql,
                      "{\"url\": \"mysql+pymysql://u:p%40ss@db:3306/shop\"}", NULL, err,
                      sizeof err) == NULL);
    T_CHECK(strstr(err, "MySQL ODBC 8.0 Unicode Driver") != NULL);
    T_CHECK(strstr(err, "p@ss") == NULL);
    af_arena_free(a);
}

int main(void)
{
    pg_host = getenv("PG_HOST");
    pg_port = getenv("PG_PORT");
    pg_user = getenv("PG_USER");
    pg_pw = getenv("PG_PASSWORD");
    pg_db = getenv("PG_DB");
    pg_url = getenv("PG_URL");
    if (!pg_host || !pg_port || !pg_user || !pg_pw || !pg_db || !pg_url) {
        printf("not ok - db/environment # PG_HOST ... PG_URL not set; run "
               "tests/integration/db.sh\n");
        return 1;
    }
    if (!mkdtemp(dir)) return 1;
    chmod(dir, 0755);
    af_arena *a = af_arena_new();
    setup_odbc(a);
    T_RUN(test_pg_extract);
    T_RUN(test_pg_fetch_small);
    T_RUN(test_pg_stream);
    T_RUN(test_pg_params);
    T_RUN(test_pg_load);
    T_RUN(test_pg_exec);
    T_RUN(test_pg_connect_failures);
    T_RUN(test_sqlalchemy_routes);
    T_RUN(test_odbc_postgres);
    T_RUN(test_odbc_sqlite);
    T_RUN(test_odbc_failures);
    af_arena_free(a);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    T_END();
}
