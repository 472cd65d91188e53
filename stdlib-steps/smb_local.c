/*
 * smb_local.c - driver `local` of kind `smb`: a local directory
 * (config.base_dir) stands in for the SMB server, so demo flows run
 * without one. Paths take the SMB forms (af_smb.h); a file of share S at
 * dir/f is base_dir/S/dir/f. The primitives are in xfer_local.c.
 */
#include "af_smb.h"
#include "xfer.h"

static int d_open(af_conn *conn, char *err, size_t errlen)
{
    void *h;
    if (af__local_open(af_conn_config(conn), 1, &h, err, errlen) < 0) return -1;
    af_conn_set_impl(conn, h);
    return 0;
}

static void d_close(af_conn *conn)
{
    af__local_close(af_conn_impl(conn));
    af_conn_set_impl(conn, NULL);
}

/* The libsmbclient driver's keys are accepted (and ignored) so a flow can
 * switch between the two by changing only `driver:`. */
static const af_input config_schema[] = {
    {"base_dir", AF_TY_STR, 1, NULL, NULL, "directory holding one subdirectory per share"},
    {"share", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "default share"},
    {"server", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"username", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"user", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"password", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"domain", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"port", AF_TY_INT | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"server_name", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"client_name", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {"timeout", AF_TY_NUMBER | AF_TY_NULL, 0, NULL, NULL, "ignored"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

const af_driver af_driver_smb_local = {
    .abi = AF_ABI_VERSION,
    .kind = "smb",
    .name = "local",
    .aliases = NULL,
    .summary = "a local directory standing in for an SMB server (demos)",
    .config = config_schema,
    .options = NULL,
    .open = d_open,
    .close = d_close,
    .ops = &af__local_ops,
    .libs = NULL,
};
