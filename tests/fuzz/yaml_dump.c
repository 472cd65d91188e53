/*
 * yaml_dump.c - prints afc's reading of YAML files in the canonical form
 * pyyaml_dump.py prints PyYAML's, one line per file, so the two can be
 * compared line by line (tests/fuzz/pyyaml-diff.sh).
 *
 *   yaml_dump FILE...      FILE may be @LIST: a file of paths, one a line
 *   POS=1 yaml_dump ...    node positions instead of values
 *
 * Canonical form: None, True, int:N, float:repr, str:repr, date:..,
 * datetime:.., bytes:b'hex', [..], {k: v}, set{sorted}, pairs[[k, v]];
 * ERROR when afc refuses the file (SHOWDIAG=1 prints why).
 */
#include "afc.h"
#include "af_int.h"

#include <stdlib.h>
#include <string.h>

static void dump(af_buf *b, const afc_node *n);

static char *dumped(const afc_node *n)
{
    af_buf b = {0};
    dump(&b, n);
    char *r = strdup(af_buf_cstr(&b));
    af_buf_free(&b);
    return r;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static void dump(af_buf *b, const afc_node *n)
{
    if (n->kind == AFC_SEQ) {
        af_buf_puts(b, n->ykind == AFC_Y_PAIRS && n->n ? "pairs[" : "[");
        for (size_t i = 0; i < n->n; i++) {
            if (i) af_buf_puts(b, ", ");
            dump(b, n->items[i]);
        }
        af_buf_putc(b, ']');
        return;
    }
    if (n->kind == AFC_MAP && n->ykind == AFC_Y_SET) {
        char **ks = malloc((n->n + 1) * sizeof *ks);
        for (size_t i = 0; i < n->n; i++)
            ks[i] = dumped(n->keys[i]);
        qsort(ks, n->n, sizeof *ks, cmp_str);
        af_buf_puts(b, "set{");
        for (size_t i = 0; i < n->n; i++) {
            af_buf_printf(b, "%s%s", i ? ", " : "", ks[i]);
            free(ks[i]);
        }
        af_buf_putc(b, '}');
        free(ks);
        return;
    }
    if (n->kind == AFC_MAP) {
        af_buf_putc(b, '{');
        for (size_t i = 0; i < n->n; i++) {
            if (i) af_buf_puts(b, ", ");
            dump(b, n->keys[i]);
            af_buf_puts(b, ": ");
            dump(b, n->items[i]);
        }
        af_buf_putc(b, '}');
        return;
    }
    switch (n->type) {
    case AF_NULL:
        af_buf_puts(b, "None");
        return;
    case AF_BOOL:
        af_buf_puts(b, n->b ? "True" : "False");
        return;
    case AF_INT: {
        /* a mapping key's str() form is the exact value, big or not */
        af_arena *a = af_arena_new();
        afc_node k = *n, m = {.kind = AFC_MAP, .n = 1};
        afc_node *keys[1] = {&k}, *items[1] = {&k};
        m.keys = keys;
        m.items = items;
        af_buf_printf(b, "int:%s", afc_node_value(a, &m)->u.map.pairs[0].key);
        af_arena_free(a);
        return;
    }
    case AF_DOUBLE:
        af_buf_puts(b, "float:");
        af_py_float(b, n->d);
        return;
    default:
        break;
    }
    if (n->ykind == AFC_Y_DATE || n->ykind == AFC_Y_DATETIME) {
        af_buf_puts(b, n->ykind == AFC_Y_DATE ? "date:" : "datetime:");
        af_buf_put(b, n->text, n->len);
    } else if (n->ykind == AFC_Y_BINARY) {
        af_buf_puts(b, "bytes:b'");
        for (size_t i = 0; i < n->len; i++)
            af_buf_printf(b, "%02x", (unsigned char)n->text[i]);
        af_buf_putc(b, '\'');
    } else {
        af_value v = {.type = AF_STR};
        v.u.s.ptr = n->text;
        v.u.s.len = n->len;
        af_buf_puts(b, "str:");
        af_py_repr(b, &v);
    }
}

static void positions(af_buf *b, const afc_node *n)
{
    af_buf_printf(b, "%s%c@%d:%d", b->len ? " " : "",
                  n->kind == AFC_SCALAR ? 'S'
                  : n->kind == AFC_SEQ  ? 'Q'
                                        : 'M',
                  n->pos.line, n->pos.col);
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys) positions(b, n->keys[i]);
        positions(b, n->items[i]);
    }
}

static void one(const char *path, int pos)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_node *n = afc_load_file(a, d, path, path);
    af_buf b = {0};
    if (!n)
        af_buf_puts(&b, "ERROR");
    else if (pos)
        positions(&b, n);
    else
        dump(&b, n);
    printf("%s\n", af_buf_cstr(&b));
    if (!n && getenv("SHOWDIAG")) afc_diags_print(d, stdout);
    fflush(stdout);
    af_buf_free(&b);
    af_arena_free(a);
}

int main(int argc, char **argv)
{
    int pos = getenv("POS") != NULL;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '@') {
            one(argv[i], pos);
            continue;
        }
        FILE *f = fopen(argv[i] + 1, "r");
        if (!f) {
            perror(argv[i] + 1);
            return 2;
        }
        char line[4096];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            if (*line) one(line, pos);
        }
        fclose(f);
    }
    return 0;
}
