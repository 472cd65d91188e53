/*
 * fuzz_frontend.c - libFuzzer harness over the compiler's front end.
 *
 * Any byte string goes through afc_load_string; whatever comes back (a tree
 * or diagnostics) is then used the way later stages use it: converted to
 * values, looked up, printed gcc style and as JSON; then, as afc does, read
 * as a flow (spec), checked against the built-in catalog (check, which
 * parses every template and `when`), and, when nothing is wrong, emitted as
 * C. The sanitizers turn any crash, leak or undefined behaviour into a
 * finding. Built and run by tests/fuzz/run.sh.
 */
#include "afc.h"
#include "af_int.h"

#include <stdint.h>
#include <stdio.h>

/* Walks the tree as spec and check do: kinds, lookups, messages. */
static void walk(const afc_node *n, int depth)
{
    if (!n || depth > 2000) return;
    (void)afc_node_what(n);
    if (n->kind == AFC_MAP) {
        (void)afc_map_get(n, "jobs");
        for (size_t i = 0; i < n->n; i++) {
            walk(n->keys[i], depth + 1);
            walk(n->items[i], depth + 1);
        }
    } else if (n->kind == AFC_SEQ) {
        for (size_t i = 0; i < n->n; i++)
            walk(n->items[i], depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull) devnull = fopen("/dev/null", "w");
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_node *root = afc_load_string(a, d, (const char *)data, size, "fuzz.yaml");
    if (root) {
        /* a tree comes back only when nothing was wrong */
        if (afc_error_count(d)) __builtin_trap();
        walk(root, 0);
        af_value *v = afc_node_value(a, root);
        af_buf b = {0};
        af_json_write(&b, v, 0);
        af_py_repr(&b, v);
        af_buf_free(&b);
        afc_note_suggest(d, root->pos, "jbos", (const char *const[]){"jobs", "steps", NULL});
        static afc_catalog *cat;
        static af_arena *cat_arena;
        if (!cat) {
            cat_arena = af_arena_new();
            cat = afc_catalog_builtin(cat_arena);
        }
        afc_flow *f = afc_spec_flow(a, d, root, "fuzz.yaml");
        if (f) {
            afc_bundle_ctx bc = {0};
            afc_check_flow(a, d, f, cat, &bc);
            if (!afc_error_count(d) && f->id) {
                afc_emit_opts eo = {0};
                eo.source = "fuzz.yaml";
                eo.fingerprint = "0";
                af_buf code = {0}, libs = {0};
                afc_emit_flow(&code, &libs, f, cat, &eo);
                af_buf_free(&code);
                af_buf_free(&libs);
            }
        }
    } else if (!afc_error_count(d)) {
        __builtin_trap(); /* NULL without saying why */
    }
    afc_diags_print(d, devnull);
    af_buf j = {0};
    afc_diags_json(d, &j);
    af_buf_free(&j);
    af_arena_free(a);
    return 0;
}
