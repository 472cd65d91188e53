/*
 * smb_download_files.c - step `smb_download_files`: downloads each entry of files from an `smb`
 * connector to dest_dir/rel_path (rel_path may not climb out of dest_dir), each through a temporary
 * file renamed into place. The work is done by the transfer engine (xfer.c) through xfer_step.c.
 */
#include "af_smb.h"
#include "xfer.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "name of an `smb` resource"},
    {"files", AF_TY_LIST | AF_TY_NULL, 1, NULL, NULL,
     "entries as smb_list_files returns them (path, rel_path), or remote paths"},
    {"dest_dir", AF_TY_STR, 1, NULL, NULL, "local directory, relative to the job's artifacts"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"local_files", "list[string]", "absolute paths of the downloaded files"},
    {"dest_dir", "string", "dest_dir, absolute"},
    {NULL, NULL, NULL},
};

static af_status run(af_step *s)
{
    return af__xfer_download_step(s, "smb");
}

const af_step_desc af_step_smb_download_files = {
    .abi = AF_ABI_VERSION,
    .name = "smb_download_files",
    .summary = "download listed files from a Windows share into the job's artifacts",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "smb",
    .flags = 0,
    .run = run,
    .check = NULL,
    .libs = NULL,
    .help = "Entries marked is_dir are skipped. dest_dir is created when missing.",
};
