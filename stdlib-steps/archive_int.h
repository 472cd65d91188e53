/*
 * archive_int.h - internals shared by the zip/unzip steps and the archive
 * drivers (stdlib-steps/zip.c, unzip.c, archive_*.c). Not installed.
 *
 * archive_core.c is the library layer: it depends on libarchive and libc
 * only (no step context, no connector), so the test programs call it
 * directly. It holds
 *   - the libarchive engine: write an archive from a file list, read one
 *     entry by entry, extract safely into a private directory;
 *   - the safety rules: entry-name checks, symlink containment, and the
 *     commit that moves a checked tree (or file) into its final place;
 *   - the pure parts of the steps: collecting the files to zip with the
 *     reference's rules, and the per-archive output folder of unzip.
 * On top of it: archive_libarchive.c (drivers libarchive, pyzipper,
 * zipfile, pyminizip), archive_os.c and archive_external.c (drivers that
 * run programs, through archive_tool.c and af_proc_run), archive_step.c
 * (connector resolution and the password input, on the step API), and the
 * steps zip.c and unzip.c.
 *
 * Errors: 0 / -1 with a message in err (never containing a password).
 * Memory: functions taking an af_arena allocate their results there;
 * everything else cleans up after itself.
 */
#ifndef ARCHIVE_INT_H
#define ARCHIVE_INT_H

#include "af.h"
#include "af_archive.h"

/* ---- formats and options ------------------------------------------------ */

enum { AF__ARC_ZIP = 0, AF__ARC_TGZ = 1, AF__ARC_TZST = 2 };
enum { AF__ENC_NONE = 0, AF__ENC_AES256, AF__ENC_AES128, AF__ENC_ZIPCRYPTO };

/* "zip" | "tar.gz" | "tar.zst" -> AF__ARC_*, or -1. */
int af__arc_format(const char *s);
/* The usual file suffix of a format: ".zip", ".tar.gz", ".tar.zst". */
const char *af__arc_suffix(int format);

typedef struct af__arc_wopts {
    int format; /* AF__ARC_* */
    int stored; /* zip: store instead of deflate */
    int level;  /* compression level, -1: the library default */
    int enc;    /* AF__ENC_*; not NONE needs password (zip only) */
    const char *password;
    int (*cancelled)(void *ud); /* may be NULL */
    void *ud;
} af__arc_wopts;

/* Writes a new archive at path (which must not exist) holding files in the
 * given order. Each file is opened and streamed in fixed-size blocks, so
 * memory stays flat whatever the sizes; entries over 4 GiB get zip64
 * headers. On failure path is removed. */
int af__arc_write(const char *path, const af_archive_file *files, size_t n, const af__arc_wopts *o,
                  char *err, size_t errlen);

/* ---- reading ------------------------------------------------------------ */

enum { AF__ENT_FILE = 1, AF__ENT_DIR, AF__ENT_SYMLINK, AF__ENT_HARDLINK, AF__ENT_OTHER };

typedef struct af__arc_entry {
    const char *name; /* as stored, as UTF-8 (legacy non-UTF-8 zip names decoded as CP437) */
    int type;         /* AF__ENT_* */
    const char *link; /* SYMLINK/HARDLINK: the target as stored */
    int64_t size;     /* -1 when unknown */
    int encrypted;
} af__arc_entry;

/* Calls fn for every entry header of the archive (format AF__ARC_*, or -1
 * for any format libarchive reads), without extracting. fn returns 0 to go
 * on, -1 to stop with its message in err. */
int af__arc_scan(const char *archive, int format, const char *password,
                 int (*fn)(void *ud, const af__arc_entry *e, char *err, size_t errlen), void *ud,
                 char *err, size_t errlen);

/* Scans and checks every entry name (af__arc_norm_name) and link target: the
 * pre-flight of drivers whose extraction is done by another program.
 * Returns 0 when all pass, -2 when an entry is refused, -1 when libarchive
 * cannot read the archive (the caller decides; the commit still checks). */
int af__arc_check_entries(const char *archive, int format, const char *password, char *err,
                          size_t errlen);

typedef struct af__arc_xopts {
    int format;           /* AF__ARC_* */
    const char *password; /* NULL: none */
    const char *dest_dir; /* with overwrite 0: entries existing here are skipped */
    int overwrite;
    const char *const *members; /* NULL: all entries */
    size_t nmembers;
    int (*cancelled)(void *ud); /* may be NULL */
    void *ud;
    /* Called after each entry is written, with its name as stored. */
    void (*on_entry)(void *ud, const char *name);
    void *entry_ud;
} af__arc_xopts;

/* Extracts archive into work_dir (an existing, empty, private directory),
 * refusing absolute names, ".." components, links that leave the tree,
 * writes through symlinks, and device or fifo entries; each refusal names
 * the entry. A member that is not in the archive is an error. Nothing is
 * written outside work_dir; on failure its content is undefined (the caller
 * removes it). */
int af__arc_extract(const char *archive, const char *work_dir, const af__arc_xopts *o, char *err,
                    size_t errlen);

/* ---- safety rules ------------------------------------------------------- */

/* Checks an entry name and writes its normalised relative form to out ("."
 * and empty components dropped; "" for the archive root). Refuses an empty
 * name, absolute paths (/x, \x, C:...) and ".." components, with a message
 * naming the entry. Both '/' and '\' count as separators for the checks. */
int af__arc_norm_name(const char *name, char *out, size_t outlen, char *err, size_t errlen);
/* 1 when a symlink at relative path `at` with target `target` stays inside
 * the tree: target relative, and never climbing above the root. */
int af__arc_link_inside(const char *at, const char *target);

/* Moves the tree under work_dir into dest_dir (which exists). First checks
 * everything: symlinks must stay inside, only files, directories and
 * symlinks, no type conflict with what dest_dir holds, and no symlink in
 * dest_dir on the way; only then moves. Directories merge; files replace
 * (overwrite 1) or are left out (overwrite 0). dest_dir is walked without
 * following symlinks. work_dir is left for the caller to remove. */
int af__arc_commit_tree(const char *work_dir, const char *dest_dir, int overwrite, char *err,
                        size_t errlen);
/* Puts the finished file tmp at path: fsync, rename (overwrite 1) or
 * rename-no-replace (overwrite 0: fails when path exists), fsync of the
 * directory. */
int af__arc_commit_file(const char *tmp, const char *path, int overwrite, char *err, size_t errlen);

/* Creates a private directory "<parent>/.afc-tmp-XXXXXX" (0700) and stores
 * its path in out (outlen >= strlen(parent) + 20). */
int af__arc_tmpdir(const char *parent, char *out, size_t outlen, char *err, size_t errlen);
/* Removes a tree without following symlinks; 0, or -1 when something
 * stayed (best effort, continues). */
int af__arc_rmtree(const char *path);
/* mkdir -p with mode 0755; 0 or -1 with errno. */
int af__arc_mkdirs(const char *path);

/* ---- the pure parts of the steps ---------------------------------------- */

/* The set of candidate files of the zip step (absolute paths). */
typedef struct af__arc_paths {
    af_arena *a;
    const char **v;
    size_t n, cap;
} af__arc_paths;

/* The reference's add_path: p resolved (symlinks followed); a directory
 * adds its files recursively when recursive (children as found, not
 * resolved; symlinked directories are not entered; symlinks to files
 * count), a file adds itself, anything else nothing. */
int af__arc_add_path(af__arc_paths *ps, const char *p, int recursive, char *err, size_t errlen);
/* A glob item: pattern is an absolute path whose last component may hold
 * * ? [..] (fnmatch, '*' matching leading dots as pathlib does); every
 * match goes through af__arc_add_path. "**" alone stands for the directory
 * and all its subdirectories. */
int af__arc_add_glob(af__arc_paths *ps, const char *pattern, int recursive, char *err,
                     size_t errlen);
/* 1 if s holds a glob character (* ? [). */
int af__arc_is_glob(const char *s);
/* Sorts the candidates as Python sorts paths (component by component),
 * removes duplicates and `exclude` (the archive being written; may be
 * NULL), checks that each one lies under base_dir, lexically and once
 * symlinks are resolved, and that its name is valid UTF-8, and builds the
 * file list with archive names relative to base_dir. */
int af__arc_finish(af__arc_paths *ps, const char *base_dir, const char *exclude,
                   af_archive_file **files, size_t *n, char *err, size_t errlen);

/* The unzip step's folder for one archive (the reference's layout): under
 * src_dir -> dest_dir/<archive's parent relative to src_dir>, or with
 * private_folder dest_dir/<archive path relative to src_dir without its
 * suffix>; elsewhere dest_dir/<archive file name>. */
const char *af__arc_out_dir(af_arena *a, const char *archive, const char *src_dir,
                            const char *dest_dir, int private_folder, int format);

/* Copies src into a buffer of dst_size, replacing every occurrence of
 * secret (when non-empty) by "***": for tool output that goes into messages. */
void af__arc_redact(char *dst, size_t dst_size, const char *src, const char *secret);

/* ---- archive_libarchive.c: the libarchive drivers ---------------------- */

extern const af_driver af_driver_archive_libarchive, af_driver_archive_pyzipper,
    af_driver_archive_zipfile, af_driver_archive_pyminizip;
/* The list primitive of the built-in drivers: entry names in archive order. */
int af__arc_list_names(af_arena *a, const char *archive, const char *format, const char *password,
                       af_value **names, char *err, size_t errlen);

/* ---- archive_step.c: shared by the zip and unzip steps ------------------ */

/* The archive connector of a zip/unzip step, in the reference's order:
 * inputs.resource, else inputs.connector, else a resource named
 * archive_default; with none, enterprise mode fails, otherwise an ad-hoc
 * connector is made (driver pyzipper when a password is given, so AES-256,
 * else zipfile). In enterprise mode a declared driver must be in the
 * manifest's zip_drivers. NULL with the failure recorded on s. */
af_conn *af__arc_resolve(af_step *s, int have_password);
/* inputs.password as the reference takes it: str(password) when truthy,
 * else NULL. 0, or -1 recorded on s. */
int af__arc_password(af_step *s, const char **out);

/* ---- archive_tool.c: external programs ---------------------------------- */

/* Runs argv in cwd (NULL: ours) with our environment, output discarded and
 * standard error kept for the message. Fails when it cannot start or exits
 * non-zero: "<what>: <argv[0]> exited with status N: <stderr tail>", with
 * secret redacted. */
int af__arc_run_tool(const char *what, const char *const *argv, const char *cwd, const char *secret,
                     int (*cancelled)(void *ud), void *ud, int *exit_code, char *err,
                     size_t errlen);

#endif /* ARCHIVE_INT_H */
