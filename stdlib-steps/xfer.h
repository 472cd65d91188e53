/*
 * xfer.h - internals shared by the SFTP and SMB steps and drivers.
 *
 * Not installed. Three layers, each usable without the one above it:
 *   1. pure helpers: Python's fnmatch, the kinds' path forms and joins,
 *      safe destinations under a directory, config coercion (xfer.c);
 *   2. local files written through a temporary name (xfer.c) and the
 *      `local` drivers' primitives (xfer_local.c);
 *   3. the transfer engine: what the steps do, on any af_remote_ops table
 *      (xfer.c). Steps read their inputs, resolve local paths, call the
 *      engine and set outputs; tests call the engine and the drivers'
 *      internal entry points below directly against real servers.
 * Nothing here uses the step context (af_step), so tests link it alone.
 */
#ifndef XFER_H
#define XFER_H

#include "af_remote.h"

/* Where drivers and the engine send log events (af_log or af_conn_log in
 * production, stderr or nothing in tests). May be NULL. */
typedef void (*af__xlog_fn)(void *ud, af_level lvl, const char *event, const af_kv *fields);

/* ---- pure helpers ------------------------------------------------------ */

/* Python's fnmatch.fnmatchcase(name, pat) on UTF-8 text: * ? [seq] [!seq],
 * no escapes, '*' also matches '/'. Returns 1 on a match. */
int af__fnmatch(const char *pat, const char *name);

/* The SFTP list join: dir without trailing '/' + "/" + name. */
const char *af__sftp_join(af_arena *a, const char *dir, const char *name);
/* The SMB list join, keeping UNC and SHARE:/ forms (af_smb.h). */
const char *af__smb_join(af_arena *a, const char *dir, const char *name);
/* Last component of a path split at '/' and '\' ("" when it ends with one). */
const char *af__path_base(const char *path);

/* An SMB path split by the reference's rules (af_smb.h). */
typedef struct af__smb_path {
    const char *server; /* config.server, or the UNC's host */
    const char *share;  /* never empty */
    const char *path;   /* inside the share: '/'-separated, no leading, trailing or double
                           '/', "" for the share root */
} af__smb_path;
/* Returns 0, or -1 with err when no share is known or the path is empty of
 * meaning (a UNC without share). server may be NULL for the local driver. */
int af__smb_parse(af_arena *a, const char *server, const char *share, const char *raw,
                  af__smb_path *out, char *err, size_t errlen);

/* The reference's _safe_dest: base joined with rel (leading '/' and '\'
 * dropped), normalised; fails with "dest path escapes dest_dir: REL" when
 * the result is not strictly below base. base must be absolute. */
int af__safe_dest(af_arena *a, const char *base, const char *rel, const char **out, char *err,
                  size_t errlen);

/* Lexically normalised absolute path (collapses //, . and ..; ".." above
 * the root stays at the root). */
const char *af__norm_abs(af_arena *a, const char *path);

/* Config values (resource config/options maps): str() of any scalar, and
 * af_to_int, af_to_double and af_to_bool (af.h), the rules of the typed
 * input readers. A missing key or null gives the default; a value that does
 * not convert fails with "config.KEY: ..." in err. */
const char *af__cfg_str(af_arena *a, const af_value *m, const char *key);
int af__cfg_int(const af_value *m, const char *key, int64_t def, int64_t *out, char *err,
                size_t errlen);
int af__cfg_double(const af_value *m, const char *key, double def, double *out, char *err,
                   size_t errlen);
int af__cfg_bool(const af_value *m, const char *key, int def, int *out, char *err, size_t errlen);
/* options.timeout, else config.timeout, else def; must be > 0. */
int af__cfg_timeout(const af_value *config, const af_value *options, double def, double *out,
                    char *err, size_t errlen);

/* ---- local files through a temporary name ------------------------------ */

typedef struct af__tmpfile {
    int fd;     /* write here; -1 when closed */
    char *tmp;  /* heap: the temporary path, beside path */
    char *path; /* heap: the destination */
} af__tmpfile;

/* Creates ".NAME.afctmp-XXXXXX" (mode 0666 less the umask) beside path.
 * Returns 0, or -1 with err. */
int af__tmp_open(af__tmpfile *t, const char *path, char *err, size_t errlen);
/* fsync, close, rename over path, fsync the directory; frees t. On failure
 * the temporary file is removed. */
int af__tmp_commit(af__tmpfile *t, char *err, size_t errlen);
/* Closes and removes the temporary file; frees t; safe to call twice. */
void af__tmp_abort(af__tmpfile *t);
/* mkdir -p with mode 0777 less the umask; 0 or -1 with errno. */
int af__xfer_mkdirs(const char *path);
/* write(2) of all n bytes, retrying on EINTR; 0 or -1 with errno. */
int af__write_all(int fd, const void *p, size_t n);
/* A temporary name beside a remote file: "DIR/.NAME.afctmp-<hex>" with the
 * separator found in remote ('/' unless only '\' occurs). */
const char *af__remote_tmp_name(af_arena *a, const char *remote);

/* ---- the transfer engine ----------------------------------------------- */

typedef struct af__xfer {
    const af_remote_ops *ops; /* the connector's primitives */
    void *h;                  /* af_conn_impl() of the connector */
    int smb;                  /* path rules: 1 SMB, 0 SFTP */
    af_arena *a;              /* results and temporaries */
    af__xlog_fn log;          /* may be NULL */
    void *log_ud;
    const af_xfer_ctl *ctl; /* may be NULL */
    char err[2048];         /* the failure message when a call returns -1 */
} af__xfer;

/* sftp_list_files / smb_list_files: walks remote_dir (recursive: files of
 * every subdirectory, directories themselves left out), keeps entries whose
 * name matches pattern, computes rel_path as the reference does and sorts
 * by it. *files: list of maps {path, name, rel_path, is_dir, size, mtime}. */
int af__xfer_list(af__xfer *x, const char *remote_dir, const char *pattern, int recursive,
                  af_value **files);

/* The path and rel_path of one `files` entry: a map (as listed), or a
 * string (rel_path = its last component). Returns 0, or -1 with x->err. */
int af__xfer_file_entry(af__xfer *x, const af_value *f, size_t i, const char **path,
                        const char **rel, int *is_dir);

/* *_download_files: each entry of files (maps or strings) downloaded to
 * af__safe_dest(dest_dir, rel_path), parents created; directories skipped.
 * dest_dir must exist and be absolute. *local_files: list of strings. */
int af__xfer_download(af__xfer *x, const af_value *files, const char *dest_dir,
                      af_value **local_files);

/* *_delete_files: deletes the path of every entry. */
int af__xfer_delete(af__xfer *x, const af_value *files);

/* One item of sftp_upload_files. */
typedef struct af__upload_item {
    const char *file;        /* local path as given */
    const char *id;          /* manifest id: given, or the file's name */
    const char *remote_name; /* given, or the file's name */
    const char *local;       /* resolved absolute path (set by the caller) */
} af__upload_item;

/* Parses items (strings or maps {file, id, remote_name}). */
int af__xfer_upload_items(af__xfer *x, const af_value *items, af__upload_item **out, size_t *n);

/* sftp_upload_files: uploads every item whose id is not yet in the
 * manifest to remote_dir/remote_name; parallel (workers at once through
 * upload_many when the driver has it) when parallel and n > 1. Progress
 * goes to MANIFEST.jsonl as each upload ends, so a resumed run skips what
 * was done; on success the manifest (the reference's JSON list) is written
 * atomically and the journal removed. Returns 0 with *count = n. */
int af__xfer_upload_sftp(af__xfer *x, const af__upload_item *items, size_t n,
                         const char *remote_dir, int parallel, int workers, int fail_fast,
                         const char *manifest, int64_t *count);

/* smb_upload_files: uploads each local file (absolute) to
 * remote_dir + "/" + its name. *uploaded: list of the local paths. */
int af__xfer_upload_smb(af__xfer *x, const char *const *local, size_t n, const char *remote_dir,
                        af_value **uploaded);

/* ---- the steps' shared run functions (xfer_step.c, on the step API) ---- *
 * kind is "sftp" or "smb". Each reads the step's inputs, runs the engine on
 * the connector named by input `resource` and sets the outputs. */

af_status af__xfer_list_step(af_step *s, const char *kind);     /* *_list_files */
af_status af__xfer_download_step(af_step *s, const char *kind); /* *_download_files */
af_status af__xfer_delete_step(af_step *s, const char *kind);   /* *_delete_files */
af_status af__xfer_sftp_upload_step(af_step *s);                /* sftp_upload_files */
af_status af__xfer_smb_upload_step(af_step *s);                 /* smb_upload_files */

/* ---- drivers' internal entry points ------------------------------------ *
 * open: config and options are the resource's resolved maps; *h receives
 * the driver state. close releases it (NULL ok). Used by the drivers'
 * af_driver.open/close and directly by tests and benchmarks. */

int af__ssh2_open(const af_value *config, const af_value *options, af__xlog_fn log, void *ud,
                  void **h, char *err, size_t errlen);
void af__ssh2_close(void *h);
extern const af_remote_ops af__ssh2_ops;
/* Tuning for benchmarks: transfer buffer bytes per file (0: default). */
void af__ssh2_set_buffer(void *h, size_t bytes);

int af__smbc_open(const af_value *config, const af_value *options, af__xlog_fn log, void *ud,
                  void **h, char *err, size_t errlen);
void af__smbc_close(void *h);
extern const af_remote_ops af__smbc_ops;

/* The `local` drivers: base_dir stands in for the server. smb selects the
 * SMB path forms (base_dir/SHARE/path) instead of SFTP's (base_dir/path). */
int af__local_open(const af_value *config, int smb, void **h, char *err, size_t errlen);
void af__local_close(void *h);
extern const af_remote_ops af__local_ops;

/* Known-hosts lookup (sftp_knownhosts.c). Calls fn for every key line of
 * text that names host ("host" for port 22, "[host]:port" otherwise, as
 * OpenSSH writes them), plain, wildcard or hashed (|1|salt|hmac), skipping
 * negated matches and @cert-authority lines. revoked is 1 for @revoked.
 * type is the key type ("ssh-ed25519"), blob/bloblen the decoded key. */
typedef void (*af__kh_fn)(void *ud, int revoked, const char *type, const unsigned char *blob,
                          size_t bloblen);
void af__kh_scan(const char *text, size_t len, const char *host, int port, af__kh_fn fn, void *ud);
/* "SHA256:<base64 without padding>" of a key blob, into out (>= 60 bytes). */
void af__kh_fingerprint(const unsigned char *blob, size_t len, char *out, size_t outlen);
/* 1 if pin ("SHA256:b64", bare b64, or 64 hex digits, any case for hex)
 * names the SHA-256 digest; 0 otherwise. */
int af__kh_pin_matches(const char *pin, const unsigned char digest[32]);

#endif /* XFER_H */
