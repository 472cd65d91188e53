/*
 * buf.c - af_buf, the growable heap byte buffer used to build text
 * (JSON, log lines, rendered templates, generated C).
 */
#include "af_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void grow(af_buf *b, size_t need)
{
    if (b->len + need + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + need + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        fprintf(stderr, "fatal: out of memory growing a buffer to %zu bytes\n", cap);
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void af_buf_put(af_buf *b, const void *p, size_t n)
{
    grow(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void af_buf_puts(af_buf *b, const char *s)
{
    af_buf_put(b, s, strlen(s));
}

void af_buf_putc(af_buf *b, int c)
{
    grow(b, 1);
    b->data[b->len++] = (char)c;
    b->data[b->len] = 0;
}

void af_buf_printf(af_buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n > 0) {
        grow(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
    }
    va_end(ap);
}

void af_buf_reset(af_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

void af_buf_free(af_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *af_buf_cstr(const af_buf *b)
{
    return b->data ? b->data : "";
}
