/*
 * arena.c - bump allocator behind every af_value, string and table.
 *
 * A run owns one arena, each step call another that the executor resets
 * after the step. Chunks grow geometrically; a large request gets a chunk
 * of its own so resetting never keeps more than the first chunk.
 */
#include "af_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    /* data follows, 16-byte aligned */
} chunk;

struct af_arena {
    chunk *head;   /* current chunk (most recent) */
    size_t next_size;
};

#define HDR ((sizeof(chunk) + 15) & ~(size_t)15)
#define FIRST_CHUNK (16 * 1024)
#define MAX_CHUNK (4 * 1024 * 1024)

static void oom(size_t n)
{
    fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
    abort();
}

static chunk *chunk_new(size_t size)
{
    chunk *c = malloc(HDR + size);
    if (!c) oom(size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

af_arena *af_arena_new(void)
{
    af_arena *a = calloc(1, sizeof *a);
    if (!a) oom(sizeof *a);
    a->next_size = FIRST_CHUNK;
    return a;
}

void af_arena_free(af_arena *a)
{
    if (!a) return;
    chunk *c = a->head;
    while (c) {
        chunk *n = c->next;
        free(c);
        c = n;
    }
    free(a);
}

void af_arena_reset(af_arena *a)
{
    if (!a->head) return;
    /* keep the oldest chunk (the smallest), free the rest */
    chunk *c = a->head, *last = NULL;
    while (c->next) {
        chunk *n = c->next;
        free(c);
        c = n;
    }
    last = c;
    last->used = 0;
    a->head = last;
    a->next_size = FIRST_CHUNK;
}

void *af_alloc(af_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = a->next_size;
        if (size < n) size = n;
        chunk *nc = chunk_new(size);
        if (a->next_size < MAX_CHUNK) a->next_size *= 2;
        if (c && n > c->size / 2 && c->size - c->used >= 256) {
            /* big request: slot the new chunk behind the current one so the
             * current chunk's free space stays usable */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            a->head = nc;
        }
        c = nc;
    }
    void *p = (char *)c + HDR + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *af_strndup(af_arena *a, const char *s, size_t n)
{
    char *p = af_alloc(a, n + 1);
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *af_strdup(af_arena *a, const char *s)
{
    return s ? af_strndup(a, s, strlen(s)) : NULL;
}

char *af_vsprintf(af_arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) n = 0;
    char *p = af_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *af_sprintf(af_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = af_vsprintf(a, fmt, ap);
    va_end(ap);
    return p;
}
