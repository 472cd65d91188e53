/*
 * prepare_inbox.c - the step type `demo_prepare_inbox`, a plugin of the UC1
 * demo bundles: it plays the partner who drops a zip of CSV exports into
 * our SFTP inbox.
 *
 * The CSVs look like what such partners send: ';' separated, CRLF line
 * ends, a header with stray spaces, decimal commas, dd.mm.yyyy dates, a
 * quoted customer name holding the delimiter and quotes, and a blank last
 * line. local_transform_csv (transform_csv.c) turns them into clean CSV.
 * The data are pseudo-random from `seed`: the same inputs give the same
 * rows, so the demo's results can be checked.
 *
 * Each CSV is written to the step's scratch directory, the zip is streamed
 * with libarchive into the job's artifacts (a temp file renamed into
 * place), and the zip is uploaded through the `sftp` resource with the
 * driver's upload primitive (af_remote.h): to a temporary name, renamed on
 * the server, so the flow listing the inbox never sees half a file. The
 * same step works against the `local` driver and a real SSH server.
 *
 *   - id: drop
 *     type: demo_prepare_inbox
 *     inputs: {resource: partner_sftp, remote_dir: inbox, zip_name: "orders_{{run_id}}.zip"}
 */
#include <af.h>
#include <af_csv.h>
#include <af_sftp.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const af_input inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "the sftp resource of the inbox"},
    {"remote_dir", AF_TY_STR, 1, NULL, NULL, "directory the zip is dropped into"},
    {"zip_name", AF_TY_STR, 1, NULL, NULL, "file name of the zip"},
    {"files", AF_TY_INT, 0, "2", NULL, "CSV files in the zip; 0 drops nothing (SKIPPED)"},
    {"rows", AF_TY_INT, 0, "25", NULL, "data rows per CSV file"},
    {"seed", AF_TY_INT, 0, "1", NULL, "the same seed gives the same data"},
    {NULL},
};

static const af_output outputs[] = {
    {"remote_path", "string", "where the zip was dropped"},
    {"local_path", "string", "the zip as built, under the job's artifacts"},
    {"members", "list[string]", "the CSV files in the zip"},
    {"rows", "int", "data rows over all files"},
    {"reason", "string", "when SKIPPED: files is 0"},
    {NULL},
};

#define MAX_FILES 100
#define MAX_ROWS 10000000

/* ---- the data ---------------------------------------------------------------------- */

static const char *const regions[] = {"North", "South", "East", "West"};
static const char *const products[] = {"Widget", "Gadget", "Sprocket", "Gizmo", "Doohickey"};
static const char *const customers[] = {
    "ACME GmbH", "Müller; Söhne KG", "O'Brien \"Bricks\" Ltd", "Nordwind AG", "Zhang & Co",
};

/* A 64-bit linear congruential generator (Knuth's MMIX constants): small,
 * and the same on every machine. */
static unsigned next_rand(uint64_t *st, unsigned bound)
{
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((*st >> 33) % bound);
}

typedef struct fdsink {
    int fd;
} fdsink;

static int sink_write(void *ud, const void *data, size_t n, char *err, size_t errlen)
{
    fdsink *k = ud;
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(k->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(err, errlen, "write failed: %s", strerror(errno));
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes one partner CSV to path. Returns 0, or -1 with err. */
static int write_csv(af_step *s, const char *path, int64_t file_no, int64_t rows, uint64_t *rnd,
                     char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    af_csv_dialect d;
    af_csv_dialect_init(&d);
    d.delimiter = ';';
    d.lineterminator = "\r\n";
    fdsink k = {fd};
    af_csv_writer *w = af_csv_writer_new(&d, NULL, sink_write, &k, err, errlen);
    if (!w) {
        close(fd);
        return -1;
    }
    int rc = -1;
    af_csv_field f[6];
    static const char *const header[] = {" Order ID ", "Order Date", "Region",
                                         " Customer ", "Product",    "Amount "};
    for (int j = 0; j < 6; j++)
        f[j] = (af_csv_field){header[j], strlen(header[j]), 0};
    if (af_csv_write_row(w, f, 6, err, errlen) < 0) goto out;
    for (int64_t r = 0; r < rows; r++) {
        if ((r & 1023) == 0 && af_cancelled(s)) {
            snprintf(err, errlen, "cancelled");
            goto out;
        }
        char id[32], date[16], amount[32];
        snprintf(id, sizeof id, "%lld", (long long)(file_no * 100000 + r + 1));
        snprintf(date, sizeof date, "%02u.%02u.2026", 1 + next_rand(rnd, 28),
                 1 + next_rand(rnd, 12));
        unsigned cents = 500 + next_rand(rnd, 250000);
        snprintf(amount, sizeof amount, "%u,%02u", cents / 100, cents % 100);
        const char *region = regions[next_rand(rnd, 4)];
        const char *product = products[next_rand(rnd, 5)];
        char cust[64];
        /* some names come padded with spaces, as exports often do */
        snprintf(cust, sizeof cust, next_rand(rnd, 3) == 0 ? "  %s " : "%s",
                 customers[next_rand(rnd, 5)]);
        const char *vals[6] = {id, date, region, cust, product, amount};
        for (int j = 0; j < 6; j++)
            f[j] = (af_csv_field){vals[j], strlen(vals[j]), 0};
        if (af_csv_write_row(w, f, 6, err, errlen) < 0) goto out;
    }
    if (af_csv_writer_flush(w, err, errlen) < 0) goto out;
    if (sink_write(&k, "\r\n", 2, err, errlen) < 0) goto out; /* the blank last line */
    rc = 0;
out:
    af_csv_writer_free(w);
    if (close(fd) < 0 && rc == 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    return rc;
}

/* ---- the zip ----------------------------------------------------------------------- */

/* Appends the file at path to the archive as name, streaming it. */
static int add_file(struct archive *ar, const char *path, const char *name, char *err,
                    size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, st.st_size);
    archive_entry_set_mtime(e, st.st_mtime, 0);
    int rc = archive_write_header(ar, e) == ARCHIVE_OK ? 0 : -1;
    archive_entry_free(e);
    char buf[65536];
    ssize_t n;
    while (rc == 0 && (n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (archive_write_data(ar, buf, (size_t)n) != n) rc = -1;
    }
    close(fd);
    if (rc < 0)
        snprintf(err, errlen, "cannot add %s to the zip: %s", name, archive_error_string(ar));
    return rc;
}

static int zip_files(const char *target, const char *const *paths, const char *const *names,
                     int64_t n, char *err, size_t errlen)
{
    af_atomic f;
    if (af_atomic_open(&f, target, 0644, err, errlen) < 0) return -1;
    struct archive *ar = archive_write_new();
    int rc = -1;
    if (archive_write_set_format_zip(ar) != ARCHIVE_OK ||
        archive_write_zip_set_compression_deflate(ar) != ARCHIVE_OK ||
        archive_write_open_fd(ar, f.fd) != ARCHIVE_OK) {
        snprintf(err, errlen, "cannot start %s: %s", target, archive_error_string(ar));
        goto out;
    }
    for (int64_t i = 0; i < n; i++)
        if (add_file(ar, paths[i], names[i], err, errlen) < 0) goto out;
    if (archive_write_close(ar) != ARCHIVE_OK) {
        snprintf(err, errlen, "cannot finish %s: %s", target, archive_error_string(ar));
        goto out;
    }
    rc = 0;
out:
    archive_write_free(ar);
    if (rc < 0) {
        af_atomic_abort(&f);
        return -1;
    }
    return af_atomic_commit(&f, err, errlen);
}

/* ---- the step ---------------------------------------------------------------------- */

static int step_cancelled(void *ud)
{
    return af_cancelled(ud);
}

static af_status run(af_step *s)
{
    const char *res, *remote_dir, *zip_name, *local;
    int64_t files, rows, seed;
    if (af_in_str(s, "resource", NULL, &res) < 0 ||
        af_in_str(s, "remote_dir", NULL, &remote_dir) < 0 ||
        af_in_str(s, "zip_name", NULL, &zip_name) < 0 || af_in_int(s, "files", 2, &files) < 0 ||
        af_in_int(s, "rows", 25, &rows) < 0 || af_in_int(s, "seed", 1, &seed) < 0)
        return AF_FAILED;
    if (files < 0 || files > MAX_FILES)
        return af_fail(s, "files must be between 0 and %d, not %lld", MAX_FILES, (long long)files);
    if (rows < 0 || rows > MAX_ROWS)
        return af_fail(s, "rows must be between 0 and %d, not %lld", MAX_ROWS, (long long)rows);
    if (!*zip_name || strchr(zip_name, '/'))
        return af_fail(s, "zip_name must be a file name, not '%s'", zip_name);
    if (files == 0) return af_skip(s, "files is 0: nothing dropped");
    if (af_path(s, "zip_name", zip_name, &local) < 0) return AF_FAILED;

    af_arena *a = af_arena_of(s);
    char err[512];
    const char **paths = af_alloc(a, (size_t)files * sizeof *paths);
    const char **names = af_alloc(a, (size_t)files * sizeof *names);
    af_value *members = af_list(a);
    uint64_t rnd = (uint64_t)seed * 2654435761u + 1;
    for (int64_t i = 0; i < files; i++) {
        names[i] = af_sprintf(a, "orders_%lld_%lld.csv", (long long)seed, (long long)i + 1);
        paths[i] = af_sprintf(a, "%s/%s", af_scratch_dir(s), names[i]);
        if (write_csv(s, paths[i], i + 1, rows, &rnd, err, sizeof err) < 0)
            return af_fail(s, "%s", err);
        af_list_push(a, members, af_str(a, names[i]));
    }
    if (zip_files(local, paths, names, files, err, sizeof err) < 0) return af_fail(s, "%s", err);
    for (int64_t i = 0; i < files; i++)
        unlink(paths[i]);

    af_conn *c = af_connector(s, res, "sftp");
    if (!c) return AF_FAILED;
    const af_sftp_ops *ops = af_conn_driver(c)->ops;
    size_t dl = strlen(remote_dir);
    const char *remote = dl && remote_dir[dl - 1] == '/'
                             ? af_sprintf(a, "%s%s", remote_dir, zip_name)
                             : af_sprintf(a, "%s/%s", remote_dir, zip_name);
    af_xfer_ctl ctl = {step_cancelled, s};
    if (ops->upload(af_conn_impl(c), local, remote, &ctl, err, sizeof err) < 0)
        return af_fail(s, "cannot drop %s into '%s': %s", zip_name, remote_dir, err);

    af_out_set(s, "remote_path", af_str(a, remote));
    af_out_set(s, "local_path", af_str(a, local));
    af_out_set(s, "members", members);
    af_out_set(s, "rows", af_int(a, files * rows));
    af_kv fields[] = {
        AF_KS("remote_path", remote), AF_KI("files", files), AF_KI("rows", files * rows), {0}};
    af_log(s, AF_INFO, "inbox_prepared", fields);
    return AF_SUCCESS;
}

static void check(af_check *c, const af_value *in)
{
    const af_value *v = af_map_get(in, "files");
    if (v && v->type == AF_INT && (v->u.i < 0 || v->u.i > MAX_FILES))
        af_check_error(c, "files", "files must be between 0 and %d", MAX_FILES);
    v = af_map_get(in, "rows");
    if (v && v->type == AF_INT && (v->u.i < 0 || v->u.i > MAX_ROWS))
        af_check_error(c, "rows", "rows must be between 0 and %d", MAX_ROWS);
    v = af_map_get(in, "zip_name");
    if (v && v->type == AF_STR && !af_check_is_template(c, v) && strchr(v->u.s.ptr, '/'))
        af_check_error(c, "zip_name", "zip_name must be a file name, without '/'");
}

const af_step_desc af_step_demo_prepare_inbox = {
    .abi = AF_ABI_VERSION,
    .name = "demo_prepare_inbox",
    .summary = "Drops a zip of partner-style CSV files into an SFTP inbox (demo data)",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = "sftp",
    .run = run,
    .check = check,
    .libs = "-larchive",
    .help = "Plays the partner of the UC1 demo: builds files CSVs of rows orders each (';' "
            "separated, decimal commas, dd.mm.yyyy dates), zips them and uploads the zip to "
            "remote_dir through the resource. files: 0 is SKIPPED (nothing dropped).",
};
