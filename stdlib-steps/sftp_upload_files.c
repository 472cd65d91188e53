/*
 * sftp_upload_files.c - step `sftp_upload_files`: uploads items (paths, or
 * {file, id, remote_name}) to remote_dir on an `sftp` connector, several at
 * once on separate SFTP channels of the connector's one session. Each file
 * goes to a temporary remote name and is renamed into place. A manifest
 * under the job's manifests dir records what was uploaded, so a resumed
 * run skips it. The work is done by the transfer engine (xfer.c).
 */
#include "af_sftp.h"
#include "xfer.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "name of an `sftp` resource"},
    {"items", AF_TY_LIST, 1, NULL, NULL,
     "local paths (relative to the job's artifacts), or maps {file, id, remote_name}"},
    {"remote_dir", AF_TY_STR, 1, NULL, NULL, "destination directory, created when missing"},
    {"parallelism", AF_TY_MAP | AF_TY_NULL, 0, "{}", NULL,
     "{enabled: true, workers: 8, fail_fast: true}"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"manifest", "string",
     "MANIFESTS_DIR/STEP_ID.manifest.json: [{id, file, remote_path} or {id, skipped}]"},
    {"count", "int", "number of items, those skipped as already uploaded included"},
    {NULL, NULL, NULL},
};

static af_status run(af_step *s)
{
    return af__xfer_sftp_upload_step(s);
}

const af_step_desc af_step_sftp_upload_files = {
    .abi = AF_ABI_VERSION,
    .name = "sftp_upload_files",
    .summary = "upload files over SFTP in parallel, atomically, with a manifest for resume",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "sftp",
    .flags = 0,
    .run = run,
    .check = NULL,
    .libs = NULL,
    .help = "Each item goes to remote_dir/remote_name (default: the file's name); its id\n"
            "(default: the file's name) is what the manifest remembers. With parallelism\n"
            "enabled and more than one item, up to `workers` files are in flight at once;\n"
            "fail_fast stops starting new ones after a failure. The step fails when any\n"
            "upload failed; those that succeeded are journaled and skipped on resume.",
};
