/*
 * archive_test.h - what test_archive.c and itest_archive.c share: the
 * arena A, the test's temporary root T, and helpers to write and read
 * files, run shell commands and make fresh directories under T.
 */
#ifndef ARCHIVE_TEST_H
#define ARCHIVE_TEST_H

#include "t.h"
#include "../../stdlib-steps/archive_int.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static af_arena *A;
static char T[PATH_MAX]; /* the test's temporary root */
static char err[2048];

#define P(...) af_sprintf(A, __VA_ARGS__)

/* Writes content to path, making its directory. */
static void put(const char *path, const char *content)
{
    char *dir = af_strdup(A, path);
    *strrchr(dir, '/') = 0;
    af__arc_mkdirs(dir);
    FILE *f = fopen(path, "wb");
    if (!f) {
        printf("# cannot write %s\n", path);
        return;
    }
    fputs(content, f);
    fclose(f);
}

/* The content of path (in A), or NULL. */
static const char *get(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    af_buf b = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        af_buf_put(&b, buf, n);
    fclose(f);
    const char *s = af_strdup(A, af_buf_cstr(&b));
    af_buf_free(&b);
    return s;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Runs a shell command; returns its exit status. Output goes to /dev/null
 * unless the command redirects it. */
static int sh(const char *fmt, ...) AF_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = af_vsprintf(A, fmt, ap);
    va_end(ap);
    int st = system(P("( %s ) >/dev/null 2>&1", cmd));
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Runs a shell command and returns its standard output. */
static const char *out(const char *fmt, ...) AF_PRINTF(1, 2);
static const char *out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = af_vsprintf(A, fmt, ap);
    va_end(ap);
    FILE *p = popen(P("( %s ) 2>/dev/null", cmd), "r");
    af_buf b = {0};
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0)
        af_buf_put(&b, buf, n);
    if (p) pclose(p);
    const char *s = af_strdup(A, af_buf_cstr(&b));
    af_buf_free(&b);
    return s;
}

/* A fresh empty directory under T. */
static const char *fresh(const char *name)
{
    const char *d = P("%s/%s", T, name);
    af__arc_rmtree(d);
    af__arc_mkdirs(d);
    return d;
}

static int contains(const char *s, const char *sub)
{
    return s && strstr(s, sub) != NULL;
}

static int dir_empty(const char *d)
{
    return atoi(out("ls -A %s | wc -l", d)) == 0;
}

#endif
