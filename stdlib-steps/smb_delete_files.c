/*
 * smb_delete_files.c - step `smb_delete_files`: deletes the path of each entry of files on an `smb`
 * connector (a file, or else an empty directory).
 * The work is done by the transfer engine (xfer.c) through xfer_step.c.
 */
#include "af_smb.h"
#include "xfer.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "name of an `smb` resource"},
    {"files", AF_TY_LIST | AF_TY_NULL, 1, NULL, NULL,
     "entries as smb_list_files returns them (path), or remote paths"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"is_deleted", "bool", "true"},
    {NULL, NULL, NULL},
};

static af_status run(af_step *s)
{
    return af__xfer_delete_step(s, "smb");
}

const af_step_desc af_step_smb_delete_files = {
    .abi = AF_ABI_VERSION,
    .name = "smb_delete_files",
    .summary = "delete listed files (or empty directories) on a Windows share",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "smb",
    .flags = 0,
    .run = run,
    .check = NULL,
    .libs = NULL,
    .help = "Stops at the first path that cannot be deleted, naming it.",
};
