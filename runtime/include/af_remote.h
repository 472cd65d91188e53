/*
 * af_remote.h - the primitives of remote file system connectors.
 *
 * The `sftp` and `smb` connector kinds (af_sftp.h, af_smb.h) share one
 * primitive table, af_remote_ops: a driver fills it in and points its
 * af_driver.ops at it; the built-in transfer steps call it. A bundle plugin
 * can add a driver of either kind by providing such a table.
 *
 * Conventions, for every primitive:
 *   - `h` is the driver's state: what its open() stored with
 *     af_conn_set_impl(), so a step calls ops->list(af_conn_impl(c), ...).
 *   - Return 0 on success, -1 on failure with a message in err (never
 *     holding a secret). stat returns 1 found, 0 not found, -1 error.
 *   - Remote paths are written in the kind's own forms (see af_sftp.h and
 *     af_smb.h); local paths are absolute.
 *   - Primitives never retry on their own. A driver whose transport broke
 *     fails every later call with a message naming the first failure.
 *   - Drivers serialise calls on one connector, so two steps may share it.
 */
#ifndef AF_REMOTE_H
#define AF_REMOTE_H

#include "af.h"

/* One directory entry, as list returns it. */
typedef struct af_remote_entry {
    const char *name; /* entry name, without directory */
    const char *path; /* the listed directory joined with name, in the kind's form */
    int is_dir;       /* 1 for a directory (symbolic links are not followed) */
    int64_t size;     /* bytes; -1 for directories */
    int64_t mtime;    /* modification time, unix seconds; -1 when the server has none */
} af_remote_entry;

/* What stat reports about one path. */
typedef struct af_remote_stat {
    int is_dir;
    int64_t size;  /* bytes */
    int64_t mtime; /* unix seconds; -1 when unknown */
} af_remote_stat;

/* Cancellation for long transfers. Drivers poll cancelled() between chunks
 * and stop with an error when it returns nonzero. Either pointer may be NULL. */
typedef struct af_xfer_ctl {
    int (*cancelled)(void *ud);
    void *ud;
} af_xfer_ctl;

/* One file of a batch upload (upload_many). */
typedef struct af_upload_req {
    const char *local;  /* absolute local path */
    const char *remote; /* remote destination path */
} af_upload_req;

/* Called by upload_many as each request ends: err is NULL on success, else
 * the failure message (valid during the call only). */
typedef void (*af_upload_done_fn)(void *ud, size_t index, const char *err);

typedef struct af_remote_ops {
    /* Entries of directory dir, without "." and "..", in server order.
     * *out is an array of *n entries allocated in a. */
    int (*list)(void *h, af_arena *a, const char *dir, af_remote_entry **out, size_t *n, char *err,
                size_t errlen);
    /* The whole content of a remote file into out (appended). */
    int (*read)(void *h, const char *path, af_buf *out, char *err, size_t errlen);
    /* Replaces a remote file with len bytes of data, as upload does. */
    int (*write)(void *h, const char *path, const void *data, size_t len, char *err, size_t errlen);
    /* Copies a local file to remote: missing parent directories are created,
     * the data goes to a temporary name in the destination directory that
     * is then renamed over remote. On failure remote is unchanged and the
     * temporary file is removed when the connection still allows it. */
    int (*upload)(void *h, const char *local, const char *remote, const af_xfer_ctl *ctl, char *err,
                  size_t errlen);
    /* Copies a remote file to local through a temporary file beside local,
     * fsynced and renamed into place. On failure local is unchanged and no
     * temporary file remains. The parent directory of local must exist. */
    int (*download)(void *h, const char *remote, const char *local, const af_xfer_ctl *ctl,
                    char *err, size_t errlen);
    /* Removes a file, or else an empty directory. */
    int (*delete)(void *h, const char *path, char *err, size_t errlen);
    /* Creates one directory; its parent must exist. */
    int (*mkdir)(void *h, const char *dir, char *err, size_t errlen);
    /* Creates dir and its missing parents; existing directories are fine. */
    int (*mkdir_recursive)(void *h, const char *dir, char *err, size_t errlen);
    /* Removes path and everything under it. A missing path is not an error;
     * the walk goes on past failures and reports the first one. */
    int (*delete_recursive)(void *h, const char *path, char *err, size_t errlen);
    /* Renames from to to, replacing an existing file at to. */
    int (*rename)(void *h, const char *from, const char *to, char *err, size_t errlen);
    /* Follows symbolic links. 1 found (st filled), 0 no such path, -1 error. */
    int (*stat)(void *h, const char *path, af_remote_stat *st, char *err, size_t errlen);
    /* Optional (NULL: callers upload one file at a time): uploads n files
     * like upload, up to `workers` at once. done() is called once per
     * request, in completion order, from the calling thread. With fail_fast,
     * no request starts after the first failure (those already started
     * finish). Requests never started are reported with the error
     * "not started". Returns 0 when every request succeeded, else -1 with
     * the first failure (by index) in err. */
    int (*upload_many)(void *h, const af_upload_req *reqs, size_t n, int workers, int fail_fast,
                       const af_xfer_ctl *ctl, af_upload_done_fn done, void *ud, char *err,
                       size_t errlen);
} af_remote_ops;

#endif /* AF_REMOTE_H */
