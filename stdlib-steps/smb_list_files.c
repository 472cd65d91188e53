/*
 * smb_list_files.c - step `smb_list_files`: lists remote_dir (any SMB path form) on an `smb`
 * connector, keeps entries whose name matches pattern (recursive: the files
 * of every subdirectory), sorted by rel_path; fewer than min_count is
 * SKIPPED with has_data false, as the reference does.
 * The work is done by the transfer engine (xfer.c) through xfer_step.c.
 */
#include "af_smb.h"
#include "xfer.h"

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "name of an `smb` resource"},
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
    return af__xfer_list_step(s, "smb");
}

const af_step_desc af_step_smb_list_files = {
    .abi = AF_ABI_VERSION,
    .name = "smb_list_files",
    .summary = "list a directory of a Windows share, filtered by a glob; SKIPPED below min_count",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "smb",
    .flags = 0,
    .run = run,
    .check = NULL,
    .libs = NULL,
    .help = "remote_dir may be dir, /dir, \\\\server\\share\\dir, SHARE:/dir or C:\\dir;\npaths in "
            "files keep that form. rel_path always uses '/'.",
};
