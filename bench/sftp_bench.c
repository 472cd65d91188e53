/*
 * sftp_bench.c - times the libssh2 SFTP driver for bench/sftp.sh (which
 * builds and runs it against tests/servers/sshd.sh). Prints one line per
 * run: "<what> <seconds> <bytes>". Figures only, never pass/fail.
 *
 *   sftp_bench download REMOTE LOCAL [BUFFER]
 *   sftp_bench upload LOCAL REMOTE [BUFFER]
 *   sftp_bench many LOCAL_DIR REMOTE_DIR WORKERS
 *
 * The connection comes from SSHD_HOST, SSHD_PORT, SSHD_KEY_USER and
 * SSHD_KEY_ED25519; connecting is not part of the timed work. With
 * BENCH_FSYNC=1 the server fsyncs each upload (config fsync: true).
 */
#include "../stdlib-steps/xfer.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *env(const char *k)
{
    const char *v = getenv(k);
    if (!v) {
        fprintf(stderr, "sftp_bench: %s is not set\n", k);
        exit(2);
    }
    return v;
}

static long long fsize(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static void fail_done(void *ud, size_t i, const char *e)
{
    (void)i;
    if (e) {
        fprintf(stderr, "sftp_bench: %s\n", e);
        *(int *)ud = 1;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: sftp_bench download|upload|many A B [N]\n");
        return 2;
    }
    af_arena *a = af_arena_new();
    af_value *c = af_map(a);
    af_map_set(a, c, "host", af_str(a, env("SSHD_HOST")));
    af_map_set(a, c, "port", af_str(a, env("SSHD_PORT")));
    af_map_set(a, c, "user", af_str(a, env("SSHD_KEY_USER")));
    af_map_set(a, c, "pkey_path", af_str(a, env("SSHD_KEY_ED25519")));
    af_map_set(a, c, "known_hosts", af_str(a, env("SSHD_KNOWN_HOSTS")));
    const char *fs = getenv("BENCH_FSYNC");
    af_map_set(a, c, "fsync", af_bool(fs && !strcmp(fs, "1")));
    char err[2048];
    void *h;
    if (af__ssh2_open(c, af_map(a), NULL, NULL, &h, err, sizeof err) < 0) {
        fprintf(stderr, "sftp_bench: %s\n", err);
        return 1;
    }
    const af_remote_ops *o = &af__ssh2_ops;
    const char *what = argv[1];
    int rc = 0;
    double t0 = now();
    long long bytes = 0;
    if (!strcmp(what, "download") || !strcmp(what, "upload")) {
        if (argc > 4) af__ssh2_set_buffer(h, (size_t)strtoull(argv[4], NULL, 10));
        if (!strcmp(what, "download")) {
            rc = o->download(h, argv[2], argv[3], NULL, err, sizeof err);
            bytes = fsize(argv[3]);
        } else {
            rc = o->upload(h, argv[2], argv[3], NULL, err, sizeof err);
            bytes = fsize(argv[2]);
        }
    } else if (!strcmp(what, "many") && argc > 4) {
        DIR *d = opendir(argv[2]);
        size_t n = 0, cap = 1024;
        af_upload_req *reqs = malloc(cap * sizeof *reqs);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            if (de->d_name[0] == '.' || n == cap) continue;
            reqs[n].local = af_sprintf(a, "%s/%s", argv[2], de->d_name);
            reqs[n].remote = af_sprintf(a, "%s/%s", argv[3], de->d_name);
            bytes += fsize(reqs[n].local);
            n++;
        }
        if (d) closedir(d);
        int bad = 0;
        t0 = now();
        rc = o->upload_many(h, reqs, n, atoi(argv[4]), 1, NULL, fail_done, &bad, err, sizeof err);
        free(reqs);
    } else {
        fprintf(stderr, "sftp_bench: unknown mode %s\n", what);
        return 2;
    }
    double dt = now() - t0;
    if (rc < 0) {
        fprintf(stderr, "sftp_bench: %s\n", err);
        return 1;
    }
    printf("%s %.3f %lld\n", what, dt, bytes);
    af__ssh2_close(h);
    af_arena_free(a);
    return 0;
}
