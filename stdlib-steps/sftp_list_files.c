/*
 * sftp_list_files.c - step `sftp_list_files`: lists remote_dir on an `sftp` connector, keeps
 * entries whose name matches pattern (recursive: the files of every subdirectory) and reports them
 * sorted by rel_path; fewer than min_count is SKIPPED with has_data false, as the reference does.
 * The work is done by the transfer engine (xfer.c) through xfer_step.c.
 */
#include "af_sftp.h"
#include "xfer.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "name of an `sftp` resource"},
    {"remote_dir", AF_TY_STR, 1, NULL, NULL, "directory to list on the server"},
    {"pattern", AF_TY_STR, 0, "\"*\"", NULL,
     "glob on the entry name (Python fnmatch: * ? [seq] [!seq])"},
    {"recursive", AF_TY_BOOL, 0, "false", NULL,
     "also list the files of every subdirectory (directories themselves are then left out)"},
    {"min_count", AF_TY_INT, 0, "1", NULL, "fewer matches than this: SKIPPED with has_data false"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"has_data", "bool", "count >= min_count"},
    {"count", "int", "number of matching entries"},
    {"files", "list[map]",
     "{path, name, rel_path, is_dir, size, mtime} per entry, sorted by rel_path; [] when SKIPPED"},
    {"reason", "string", "when SKIPPED: \"count(N) < min_count(M)\""},
    {NULL, NULL, NULL},
};

static af_status run(af_step *s)
{
    return af__xfer_list_step(s, "sftp");
}

const af_step_desc af_step_sftp_list_files = {
    .abi = AF_ABI_VERSION,
    .name = "sftp_list_files",
    .summary = "list a remote directory over SFTP, filtered by a glob; SKIPPED below min_count",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "sftp",
    .flags = 0,
    .run = run,
    .check = NULL,
    .libs = NULL,
    .help = "rel_path is the entry's path below remote_dir. Directories are entries "
            "when\nrecursive is false. size is null for directories, mtime null when the "
            "server\nreports none. Example: remote_dir /in, pattern \"*.zip\", recursive true.",
};
