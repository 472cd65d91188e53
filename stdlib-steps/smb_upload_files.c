/*
 * smb_upload_files.c - step `smb_upload_files`: uploads local files to
 * remote_dir (any SMB path form) on an `smb` connector, each to a
 * temporary name then renamed into place, as remote_dir/<file name>.
 * The work is done by the transfer engine (xfer.c).
 */
#include "af_smb.h"
#include "xfer.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "name of an `smb` resource"},
    {"local_files", AF_TY_LIST | AF_TY_STR | AF_TY_NULL, 1, NULL, NULL,
     "local paths, relative to the job's artifacts"},
    {"remote_dir", AF_TY_STR, 1, NULL, NULL,
     "destination directory (dir, /dir, \\\\server\\share\\dir, SHARE:/dir), created when missing"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"uploaded", "list[string]", "absolute local paths of the uploaded files"},
    {"remote_dir", "string", "remote_dir as given"},
    {NULL, NULL, NULL},
};

static af_status run(af_step *s)
{
    return af__xfer_smb_upload_step(s);
}

const af_step_desc af_step_smb_upload_files = {
    .abi = AF_ABI_VERSION,
    .name = "smb_upload_files",
    .summary = "upload files to a Windows share, each through a temporary name",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "smb",
    .flags = 0,
    .run = run,
    .check = NULL,
    .libs = NULL,
    .help = "Files go one after another; the first failure stops the step, naming the file.",
};
