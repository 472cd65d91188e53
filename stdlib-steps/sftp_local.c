/*
 * sftp_local.c - driver `local` of kind `sftp`: a local directory
 * (config.base_dir) stands in for the SFTP server, so demo flows run
 * without one. Remote path /a/b is base_dir/a/b; relative paths are
 * relative to base_dir too. The primitives are in xfer_local.c.
 */
#include "af_sftp.h"
#include "xfer.h"

static int d_open(af_conn *conn, char *err, size_t errlen)
{
    void *h;
    if (af__local_open(af_conn_config(conn), 0, &h, err, errlen) < 0) return -1;
    af_conn_set_impl(conn, h);
    return 0;
}

static void d_close(af_conn *conn)
{
    af__local_close(af_conn_impl(conn));
    af_conn_set_impl(conn, NULL);
}

/* The libssh2 driver's keys are accepted (and ignored) so a flow can switch
 * between the two by changing only `driver:`. */
static const af_input config_schema[] = {
    {"base_dir", AF_TY_STR, 1, NULL, NULL, "directory standing in for the server's root"},
    {"host", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"port", AF_TY_INT | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"user", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"password", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"pkey_path", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"passphrase", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"known_hosts", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"host_key_sha256", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"timeout", AF_TY_NUMBER | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

const af_driver af_driver_sftp_local = {
    .abi = AF_ABI_VERSION,
    .kind = "sftp",
    .name = "local",
    .aliases = NULL,
    .summary = "a local directory standing in for an SFTP server (demos)",
    .config = config_schema,
    .options = NULL,
    .open = d_open,
    .close = d_close,
    .ops = &af__local_ops,
    .libs = NULL,
};
