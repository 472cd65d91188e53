/*
 * db_sqlalchemy.c - the `sqlalchemy` driver of the db connector kind: picks
 * the real driver from the URL's scheme, so flows written for the
 * reference implementation compile unchanged.
 *
 *   sqlite[+driver]:///path             -> sqlite3
 *   postgresql[+driver]://..., postgres:// -> postgres (libpq)
 *   mysql[+driver]://..., mariadb://     -> mysql (ODBC, Connector/ODBC)
 *
 * Config: url (required). The reference's pool options (pool_size,
 * max_overflow, pool_recycle, pool_pre_ping, pool.*) are accepted and have
 * nothing to do: an executable holds one connection per resource for the
 * run. connect_args is passed on as the chosen driver's options.
 */
#include "db_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct sa_db {
    const af_db_ops *ops; /* the driver the url chose */
    void *db;
} sa_db;

static int sa_connect(af_arena *a, const af_value *config, const af_value *options, void **out,
                      char *err, size_t errlen)
{
    af_value *u = config ? af_map_get(config, "url") : NULL;
    if (!u || u->type != AF_STR || !u->u.s.len)
        return snprintf(err, errlen, "sqlalchemy connector requires config.url"), -1;
    const char *url = u->u.s.ptr;
    const char *colon = strstr(url, "://");
    size_t sl = colon ? (size_t)(colon - url) : 0;
    const char *plus = memchr(url, '+', sl);
    size_t base = plus ? (size_t)(plus - url) : sl;
    const af_db_ops *ops = NULL;
    af_value *cfg = af_value_copy(a, config);
    if (base == 6 && !strncasecmp(url, "sqlite", 6)) {
        ops = db_sqlite_ops();
        af_map_set(a, cfg, "url", af_str(a, af_sprintf(a, "sqlite%s", colon)));
    } else if ((base == 10 && !strncasecmp(url, "postgresql", 10)) ||
               (base == 8 && !strncasecmp(url, "postgres", 8))) {
        ops = db_postgres_ops();
    } else if ((base == 5 && !strncasecmp(url, "mysql", 5)) ||
               (base == 7 && !strncasecmp(url, "mariadb", 7))) {
        ops = db_mysql_ops();
    } else {
        return snprintf(err, errlen,
                        "sqlalchemy url scheme '%.*s' is not supported: use sqlite, postgresql "
                        "or mysql urls, or the odbc driver",
                        (int)sl, url),
               -1;
    }
    af_value *ca = options ? af_map_get(options, "connect_args") : NULL;
    sa_db *h = af_alloc(a, sizeof *h);
    h->ops = ops;
    if (ops->connect(a, cfg, ca && ca->type == AF_MAP ? ca : NULL, &h->db, err, errlen) < 0)
        return -1;
    *out = h;
    return 0;
}

static void sa_disconnect(void *p)
{
    sa_db *h = p;
    if (h && h->db) h->ops->disconnect(h->db);
    if (h) h->db = NULL;
}

static const af_db_ops *sa_delegate(void *p, void **inner)
{
    sa_db *h = p;
    *inner = h->db;
    return h->ops;
}

/* Every other slot is reached through af_db_resolve. */
static const af_db_ops sqlalchemy_ops = {
    .abi = AF_DB_ABI,
    .connect = sa_connect,
    .disconnect = sa_disconnect,
    .delegate = sa_delegate,
};

static const af_input sa_config[] = {
    {"url", AF_TY_STR, 1, NULL, NULL, "sqlite:///file.db, postgresql://..., mysql://..."},
    {NULL, 0, 0, NULL, NULL, NULL},
};

const af_driver af_driver_db_sqlalchemy = {
    .abi = AF_ABI_VERSION,
    .kind = "db",
    .name = "sqlalchemy",
    .aliases = NULL,
    .summary = "chooses sqlite3, postgres or mysql from the url",
    .config = sa_config,
    .options = NULL /* the reference pool options are ignored */,
    .open = af_db_driver_open,
    .close = af_db_driver_close,
    .ops = &sqlalchemy_ops, /* af_db_ops */
    .libs = "-lsqlite3 -lpq -lodbc -lcrypto",
};
