/*
 * check_items.c - the built-in `check_items` step: a gate that counts a
 * list and ends SKIPPED ("no data") when it holds fewer than min_count
 * items, so `on_no_data` and later `when` conditions can act on it.
 *
 * Semantics of the reference implementation's CheckItems: a string is split
 * at commas and entries that are blank after trimming (Python str.strip(),
 * Unicode whitespace included) are dropped; a list counts every element.
 */
#include "af.h"

#include <stdint.h>
#include <string.h>

/* Python's str.isspace() for one code point. */
static int py_space(unsigned cp)
{
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f)) return 1;
    if (cp < 0x80) return 0;
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Decodes one UTF-8 sequence at s (n > 0 bytes left). Stores the code
 * point (0xFFFD for an invalid byte) and returns the bytes used. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || len > n) {
        *cp = 0xfffd;
        return 1;
    }
    if (len == 1) {
        *cp = c;
        return 1;
    }
    unsigned v = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
}

/* 1 when [p, p+n) holds something other than whitespace. */
static int has_text(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    while (n) {
        unsigned cp;
        size_t k = utf8_next(s, n, &cp);
        if (!py_space(cp)) return 1;
        s += k;
        n -= k;
    }
    return 0;
}

static af_status run(af_step *s)
{
    const af_value *items = af_in(s, "items");
    int64_t count = 0;
    if (items && items->type == AF_STR) {
        const char *p = items->u.s.ptr, *end = p + items->u.s.len;
        for (;;) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *stop = comma ? comma : end;
            count += has_text(p, (size_t)(stop - p));
            if (!comma) break;
            p = comma + 1;
        }
    } else if (items && items->type == AF_LIST) {
        count = (int64_t)items->u.list.n;
    } else {
        return af_fail(s, "check_items expects 'items' to be a list or a comma-separated string");
    }

    int64_t min_count;
    if (af_in_int(s, "min_count", 1, &min_count) < 0) return AF_FAILED;

    af_arena *a = af_arena_of(s);
    af_out_set(s, "has_data", af_bool(count >= min_count));
    af_out_set(s, "count", af_int(a, count));
    if (count < min_count)
        return af_skip(s, af_sprintf(a, "count(%lld) < min_count(%lld)", (long long)count,
                                     (long long)min_count));
    return AF_SUCCESS;
}

static const af_input inputs[] = {
    {"items", AF_TY_LIST | AF_TY_STR, 1, NULL, NULL,
     "what to count: a list (every element counts) or a comma-separated string (blank entries "
     "do not)"},
    {"min_count", AF_TY_INT | AF_TY_NULL, 0, "1", NULL,
     "fewest items for SUCCESS; with fewer the step is SKIPPED"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"has_data", "bool", "true when count >= min_count"},
    {"count", "int", "number of items"},
    {"reason", "string", "when SKIPPED: \"count(N) < min_count(M)\""},
    {NULL, NULL, NULL},
};

const af_step_desc af_step_check_items = {
    .abi = AF_ABI_VERSION,
    .name = "check_items",
    .summary = "gate: SKIPPED (no data) when a list has fewer than min_count items",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = NULL, /* no connector */
    .flags = 0,
    .run = run,
    .check = NULL, /* the schema covers it */
    .libs = NULL,
    .help = "Counts `items` (a list, or a comma-separated string whose blank entries are\n"
            "ignored) and compares the count with `min_count` (default 1). At or above it\n"
            "the step succeeds with has_data: true; below it the step is SKIPPED with\n"
            "has_data: false and reason \"count(N) < min_count(M)\", which `on_no_data:\n"
            "skip_job` turns into a skipped job.",
};
