/*
 * af_archive.h - the `archive` connector kind: what an archive driver does.
 *
 * The `zip` and `unzip` steps talk to archive drivers only through the
 * primitive table below (af_driver.ops of a driver whose kind is
 * "archive"). Built-in drivers live in stdlib-steps/archive_*.c; a bundle
 * plugin can add its own by defining an af_driver with kind "archive" and
 * ops pointing at a const af_archive_ops.
 *
 * Division of work, stated once:
 *   - The step chooses every path. It resolves and sandboxes user paths,
 *     collects the files to archive (only files under src_dir), creates a
 *     private temporary directory next to the final output, and calls the
 *     driver with it.
 *   - create() writes one new archive at req->tmp_output (which does not
 *     exist yet); the step then moves it over req->output atomically.
 *   - extract() writes the archive's entries under req->work_dir (an empty
 *     private directory); the step then checks the extracted tree (no
 *     symlink may point outside, no special files) and moves it into
 *     req->dest_dir. A driver that reads entry names itself must still refuse
 *     absolute names and ".." components, naming the entry.
 *   - A failed call leaves nothing behind: the step removes the temporary
 *     directory, so a refused archive produces no partial output.
 *
 * Results are maps built in the arena given to the call (the step arena);
 * their keys are the step's outputs as the reference implementation's
 * archive connectors return them (create: output, count, password, driver;
 * extract: dest_dir, files, password, driver).
 *
 * Errors: 0 on success, -1 with a message in err that names what failed
 * (the archive, the entry) and never contains the password.
 */
#ifndef AF_ARCHIVE_H
#define AF_ARCHIVE_H

#include "af.h"

/* One file to put into an archive. */
typedef struct af_archive_file {
    const char *path; /* absolute path on disk; its content is stored (symlinks followed) */
    const char *name; /* name inside the archive: relative, '/'-separated, valid UTF-8 */
} af_archive_file;

/* A create() request. Strings are borrowed for the call. */
typedef struct af_archive_create_req {
    const char *output;           /* final archive path (absolute), reported as "output" */
    const char *tmp_output;       /* where to write; absent; same directory tree as output */
    const char *base_dir;         /* src_dir (absolute, resolved): every file lies under it */
    const af_archive_file *files; /* in archive order, names unique */
    size_t nfiles;                /* >= 1 */
    const char *format;           /* "zip", "tar.gz" or "tar.zst" */
    const char *compression;      /* "deflated" or "stored" (zip only) */
    const char *password;         /* NULL when none (never ""): encrypt as the driver does */
    /* polled between blocks; nonzero stops the call with an error; may be NULL */
    int (*cancelled)(void *ud);
    void *ud; /* for cancelled */
} af_archive_create_req;

/* An extract() request. */
typedef struct af_archive_extract_req {
    const char *archive;        /* archive to read (absolute, an existing regular file) */
    const char *dest_dir;       /* final directory (exists), reported as "dest_dir" */
    const char *work_dir;       /* empty private directory to write the entries into */
    const char *format;         /* "zip", "tar.gz" or "tar.zst" */
    const char *password;       /* NULL when none (never "") */
    int overwrite;              /* 0: entries whose target already exists under dest_dir are
                                   left out (and not listed in "files") */
    const char *const *members; /* extract only these entry names (exact), or NULL: all */
    size_t nmembers;
    int (*cancelled)(void *ud); /* as in af_archive_create_req */
    void *ud;
} af_archive_extract_req;

/* The primitive table of an archive driver (af_driver.ops). */
typedef struct af_archive_ops {
    /* Writes the archive described by req to req->tmp_output and stores the
     * result map in *result (arena a). */
    int (*create)(af_conn *c, af_arena *a, const af_archive_create_req *req, af_value **result,
                  char *err, size_t errlen);
    /* Extracts req->archive into req->work_dir and stores the result map in
     * *result (arena a). */
    int (*extract)(af_conn *c, af_arena *a, const af_archive_extract_req *req, af_value **result,
                   char *err, size_t errlen);
    /* Stores the entry names of an archive, in archive order, as a list of
     * strings in *names (arena a). May be NULL when the driver cannot list. */
    int (*list)(af_conn *c, af_arena *a, const char *archive, const char *format,
                const char *password, af_value **names, char *err, size_t errlen);
} af_archive_ops;

#endif /* AF_ARCHIVE_H */
