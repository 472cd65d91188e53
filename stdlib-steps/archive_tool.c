/*
 * archive_tool.c - runs the programs behind the `os` and `external` archive
 * drivers (Info-ZIP zip/unzip, 7z, bsdtar, ...).
 *
 * A thin layer over af_proc_run: our environment (the reference's
 * subprocess.run inherits the process environment too), output captured
 * for the message, the step's cancellation honoured, and the password
 * removed from anything the tool printed before it reaches a message.
 */
#include "archive_int.h"

#include <stdio.h>
#include <string.h>

extern char **environ;

#define CAPTURE 8192 /* bytes of tool output kept for the message */

/* The last non-empty lines of b, up to max bytes, newlines as "; ". */
static void tail(char *out, size_t outlen, const af_buf *b, size_t max)
{
    const char *s = af_buf_cstr(b);
    size_t n = b->len;
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    size_t start = n > max ? n - max : 0;
    size_t o = 0;
    for (size_t i = start; i < n && o + 3 < outlen; i++) {
        if (s[i] == '\r') continue;
        if (s[i] == '\n') {
            if (o && out[o - 1] != ' ') {
                out[o++] = ';';
                out[o++] = ' ';
            }
            continue;
        }
        out[o++] = s[i];
    }
    out[o] = 0;
}

int af__arc_run_tool(const char *what, const char *const *argv, const char *cwd, const char *secret,
                     int (*cancelled)(void *ud), void *ud, int *exit_code, char *err, size_t errlen)
{
    af_proc_spec sp = {0};
    af_proc_result res = {0};
    char why[512], text[600], clean[600];
    sp.argv = argv;
    sp.cwd = cwd;
    sp.envp = (const char *const *)environ;
    sp.out_mode = AF_IO_CAPTURE;
    sp.err_mode = AF_IO_CAPTURE;
    sp.max_capture = CAPTURE;
    sp.kill_grace = 5;
    sp.cancelled = cancelled;
    sp.ud = ud;
    if (exit_code) *exit_code = -1;
    if (af_proc_run(&sp, &res, why, sizeof why)) {
        af__arc_redact(clean, sizeof clean, why, secret);
        snprintf(err, errlen, "%s: cannot run '%s': %s", what, argv[0], clean);
        af_buf_free(&res.out);
        af_buf_free(&res.err);
        return -1;
    }
    int rc = 0;
    if (exit_code) *exit_code = res.exit_code;
    if (res.timed_out) {
        snprintf(err, errlen, "%s: '%s' was stopped (cancelled)", what, argv[0]);
        rc = -1;
    } else if (res.exit_code != 0) {
        tail(text, sizeof text, res.err.len ? &res.err : &res.out, 400);
        af__arc_redact(clean, sizeof clean, text, secret);
        snprintf(err, errlen, "%s: '%s' exited with status %d%s%s", what, argv[0], res.exit_code,
                 clean[0] ? ": " : "", clean);
        rc = -1;
    }
    af_buf_free(&res.out);
    af_buf_free(&res.err);
    return rc;
}
