/*
 * sftp_delete_files.c - step `sftp_delete_files`: deletes the path of each entry of files on an
 * `sftp` connector (a file, or else an empty directory), as the reference does. The work is done by
 * the transfer engine (xfer.c) through xfer_step.c.
 */
#include "af_sftp.h"
#include "xfer.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "name of an `sftp` resource"},
    {"files", AF_TY_LIST | AF_TY_NULL, 1, NULL, NULL,
     "entries as sftp_list_files returns them (path), or remote paths"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"is_deleted", "bool", "true"},
    {NULL, NULL, NULL},
};

static af_status run(af_step *s)
{
    return af__xfer_delete_step(s, "sftp");
}

const af_step_desc af_step_sftp_delete_files = {
    .abi = AF_ABI_VERSION,
    .name = "sftp_delete_files",
    .summary = "delete listed files (or empty directories) over SFTP",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "sftp",
    .flags = 0,
    .run = run,
    .check = NULL,
    .libs = NULL,
    .help = "Stops at the first path that cannot be deleted, naming it.",
};
