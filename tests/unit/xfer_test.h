/*
 * xfer_test.h - what itest_sftp.c and itest_smb.c share: local file
 * helpers, a loopback port nobody listens on, and the transfer hook that
 * kills the server's sessions mid-transfer (each test defines
 * signal_sessions for its own server).
 */
#ifndef XFER_TEST_H
#define XFER_TEST_H

#include "t.h"
#include "../../stdlib-steps/xfer.h" /* af__write_all */

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 when s contains sub; otherwise 0, saying so in a TAP comment. */
static int contains(const char *s, const char *sub)
{
    int ok = s && strstr(s, sub) != NULL;
    if (!ok) printf("#     \"%s\" does not contain \"%s\"\n", s ? s : "(null)", sub);
    return ok;
}

static void put_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || af__write_all(fd, data, n) < 0) {
        perror(path);
        exit(2);
    }
    close(fd);
}

/* The content of path (malloc'd, NUL-terminated; its size in *n), or NULL. */
static char *get_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    af_buf b = {0};
    char chunk[65536];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
        af_buf_put(&b, chunk, r);
    fclose(f);
    char *s = malloc(b.len + 1);
    memcpy(s, b.data ? b.data : "", b.len);
    s[b.len] = 0;
    *n = b.len;
    af_buf_free(&b);
    return s;
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static int same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = get_file(a, &na), *y = get_file(b, &nb);
    int ok = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return ok;
}

/* Random content of n bytes into path. */
static void random_file(const char *path, size_t n, unsigned seed)
{
    char *d = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        d[i] = (char)(seed >> 16);
    }
    put_file(path, d, n);
    free(d);
}

/* Number of entries in dir whose name contains sub. */
static int count_names(const char *dir, const char *sub)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, sub)) n++;
    if (d) closedir(d);
    return n;
}

/* A loopback port nobody listens on (bound, then closed). */
static int unused_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t al = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    return ntohs(a.sin_port);
}

/* Sends sig to the processes serving this test's connections. */
static void signal_sessions(int sig);

/* An af_xfer_ctl hook that kills the server's sessions the first time it
 * is polled, i.e. after the first chunk of a transfer. */
static int kill_after_first(void *ud)
{
    int *polls = ud;
    if ((*polls)++ == 1) {
        signal_sessions(SIGKILL);
        usleep(100000);
    }
    return 0;
}

#endif
