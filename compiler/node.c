/*
 * node.c - reading typed values out of the node tree, with diagnostics:
 * the pydantic-like field rules (a string field takes only strings, an
 * integer field also "10" and 10.0, enums with suggestions, unknown keys
 * reported with "did you mean") that the flow reader (spec.c) and the
 * manifest reader (bundle.c) share.
 */
#include "afc.h"
#include "af_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int afc_is_str(const afc_node *n)
{
    return n && n->kind == AFC_SCALAR && n->type == AF_STR;
}

int afc_is_null(const afc_node *n)
{
    return n && n->kind == AFC_SCALAR && n->type == AF_NULL;
}

/* Reports keys of map n that are not in allowed, with a suggestion. */
void afc_unknown_keys(afc_diags *d, const afc_node *n, const char *const *allowed,
                         const char *where)
{
    for (size_t i = 0; i < n->n; i++) {
        const afc_node *k = n->keys[i];
        if (!afc_is_str(k)) {
            afc_error(d, k->pos, "%s keys must be strings, not %s", where, afc_node_what(k));
            continue;
        }
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, k->text) == 0) ok = 1;
        if (!ok) {
            afc_error(d, k->pos, "unknown key '%s' in %s", k->text, where);
            afc_note_suggest(d, k->pos, k->text, allowed);
        }
    }
}

int afc_want_map(afc_diags *d, const afc_node *n, const char *what)
{
    if (n->kind == AFC_MAP) return 1;
    afc_error(d, n->pos, "%s must be a mapping, not %s", what, afc_node_what(n));
    return 0;
}

int afc_want_seq(afc_diags *d, const afc_node *n, const char *what)
{
    if (n->kind == AFC_SEQ) return 1;
    afc_error(d, n->pos, "%s must be a list, not %s", what, afc_node_what(n));
    return 0;
}

/* A string field (pydantic str: no coercion from numbers or booleans). */
const char *afc_want_str(afc_diags *d, const afc_node *n, const char *what)
{
    if (afc_is_str(n)) return n->text;
    afc_error(d, n->pos, "%s must be a string, not %s", what, afc_node_what(n));
    if (n->kind == AFC_SCALAR && n->type != AF_NULL && !n->quoted)
        afc_note(d, n->pos, "quote it to make it a string: \"%s\"", n->text);
    return NULL;
}

/* An optional string field: null is "absent". */
const char *afc_opt_str(afc_diags *d, const afc_node *n, const char *what)
{
    if (!n || afc_is_null(n)) return NULL;
    return afc_want_str(d, n, what);
}

/* pydantic's lax int: int, bool, integral float, or a string holding one. */
int afc_want_int(afc_diags *d, const afc_node *n, const char *what, int64_t *out)
{
    if (n->kind == AFC_SCALAR) {
        if (n->type == AF_INT && !n->big_int) {
            *out = n->i;
            return 1;
        }
        if (n->type == AF_BOOL) {
            *out = n->b;
            return 1;
        }
        if (n->type == AF_DOUBLE && isfinite(n->d) && n->d == floor(n->d) && fabs(n->d) < 9e18) {
            *out = (int64_t)n->d;
            return 1;
        }
        if (n->type == AF_STR) {
            char *end;
            errno = 0;
            long long v = strtoll(n->text, &end, 10);
            while (*end == ' ' || *end == '\t' || *end == '\n') end++;
            if (n->len && !*end && errno == 0) {
                *out = v;
                return 1;
            }
        }
    }
    afc_error(d, n->pos, "%s must be an integer, not %s", what, afc_node_what(n));
    return 0;
}

const char *afc_want_enum(afc_diags *d, const afc_node *n, const char *what,
                             const char *const *choices)
{
    const char *s = afc_want_str(d, n, what);
    if (!s) return NULL;
    for (const char *const *c = choices; *c; c++)
        if (strcmp(*c, s) == 0) return s;
    af_buf b = {0};
    for (const char *const *c = choices; *c; c++)
        af_buf_printf(&b, "%s'%s'", c == choices ? "" : c[1] ? ", " : " or ", *c);
    afc_error(d, n->pos, "%s must be %s, not '%s'", what, af_buf_cstr(&b), s);
    afc_note_suggest(d, n->pos, s, choices);
    af_buf_free(&b);
    return NULL;
}

/* A Dict[str, Any] field: a mapping with string keys. */
const afc_node *afc_want_dict(afc_diags *d, const afc_node *n, const char *what)
{
    if (!afc_want_map(d, n, what)) return NULL;
    for (size_t i = 0; i < n->n; i++)
        if (!afc_is_str(n->keys[i]))
            afc_error(d, n->keys[i]->pos, "%s keys must be strings, not %s", what,
                      afc_node_what(n->keys[i]));
    return n;
}

int afc_want_bool(afc_diags *d, const afc_node *n, const char *what, int *out)
{
    if (n->kind == AFC_SCALAR && n->type == AF_BOOL) {
        *out = n->b;
        return 1;
    }
    afc_error(d, n->pos, "%s must be true or false, not %s", what, afc_node_what(n));
    return 0;
}

const char *afc_want_nonempty_str(afc_diags *d, const afc_node *n, const char *what)
{
    const char *s = afc_want_str(d, n, what);
    if (s && !*s) {
        afc_error(d, n->pos, "%s must not be empty", what);
        return NULL;
    }
    return s;
}

afc_pos afc_key_pos(const afc_node *n, const char *name, afc_pos fallback)
{
    if (n && n->kind == AFC_MAP)
        for (size_t i = 0; i < n->n; i++)
            if (afc_is_str(n->keys[i]) && !strcmp(n->keys[i]->text, name)) return n->keys[i]->pos;
    return fallback;
}
