/*
 * archive_bench.c - drives the archive library layer (what the zip and
 * unzip steps run) from the command line, for bench/archive.sh to time next
 * to Info-ZIP and tar.
 *
 *   archive_bench zip FORMAT LEVEL OUTPUT SRC_DIR    all files under SRC_DIR
 *   archive_bench unzip FORMAT ARCHIVE DEST_DIR      extract + checked commit
 *
 * FORMAT is zip, tar.gz or tar.zst. The steps' file collection, temporary
 * directory and atomic commit are the same calls the steps make.
 */
#include "../stdlib-steps/archive_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    char err[2048], tmp[PATH_MAX];
    if (argc == 6 && !strcmp(argv[1], "zip")) {
        int fmt = af__arc_format(argv[2]);
        char *src = realpath(argv[5], NULL);
        if (fmt < 0 || !src) {
            fprintf(stderr, "archive_bench: bad format or source\n");
            return 2;
        }
        af_arena *a = af_arena_new();
        af__arc_paths ps = {.a = a};
        af_archive_file *files;
        size_t n;
        if (af__arc_add_path(&ps, src, 1, err, sizeof err) ||
            af__arc_finish(&ps, src, NULL, &files, &n, err, sizeof err)) {
            fprintf(stderr, "archive_bench: %s\n", err);
            return 1;
        }
        char *out = af_strdup(a, argv[4]), *slash = strrchr(out, '/');
        const char *dir = slash ? af_strndup(a, out, (size_t)(slash - out)) : ".";
        if (af__arc_tmpdir(dir, tmp, sizeof tmp, err, sizeof err)) {
            fprintf(stderr, "archive_bench: %s\n", err);
            return 1;
        }
        af__arc_wopts o = {.format = fmt, .level = atoi(argv[3])};
        const char *t = af_sprintf(a, "%s/archive%s", tmp, af__arc_suffix(fmt));
        int rc = af__arc_write(t, files, n, &o, err, sizeof err);
        if (rc == 0) rc = af__arc_commit_file(t, out, 1, err, sizeof err);
        af__arc_rmtree(tmp);
        if (rc) fprintf(stderr, "archive_bench: %s\n", err);
        free(src);
        af_arena_free(a);
        return rc ? 1 : 0;
    }
    if (argc == 5 && !strcmp(argv[1], "unzip")) {
        int fmt = af__arc_format(argv[2]);
        if (fmt < 0 || af__arc_mkdirs(argv[4])) {
            fprintf(stderr, "archive_bench: bad format or destination\n");
            return 2;
        }
        if (af__arc_tmpdir(argv[4], tmp, sizeof tmp, err, sizeof err)) {
            fprintf(stderr, "archive_bench: %s\n", err);
            return 1;
        }
        af__arc_xopts o = {.format = fmt, .overwrite = 1};
        int rc = af__arc_extract(argv[3], tmp, &o, err, sizeof err);
        if (rc == 0) rc = af__arc_commit_tree(tmp, argv[4], 1, err, sizeof err);
        af__arc_rmtree(tmp);
        if (rc) fprintf(stderr, "archive_bench: %s\n", err);
        return rc ? 1 : 0;
    }
    fprintf(stderr, "usage: archive_bench zip FORMAT LEVEL OUTPUT SRC_DIR\n"
                    "       archive_bench unzip FORMAT ARCHIVE DEST_DIR\n");
    return 2;
}
