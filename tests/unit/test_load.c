/*
 * test_load.c - compiler/load.c: YAML as PyYAML's safe loader reads it.
 *
 * The scalar table below was produced by running each case through
 * yaml.safe_load (PyYAML 6.0.3) and writing the result in the canonical
 * form dump() prints; the error table holds afc's own diagnostics, whose
 * positions agree with the marks PyYAML reports for the same problems.
 */
#define T_SUITE "load"
#include "t.h"

#include "afc.h"
#include "af_int.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

static void dump(af_buf *b, const afc_node *n);

static void repr(af_buf *b, const char *s, size_t n)
{
    af_value v = {.type = AF_STR};
    v.u.s.ptr = s;
    v.u.s.len = n;
    af_py_repr(b, &v);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The key as dump() prints it, heap copy. */
static char *dumped(const afc_node *n)
{
    af_buf b = {0};
    dump(&b, n);
    char *r = strdup(af_buf_cstr(&b));
    af_buf_free(&b);
    return r;
}

/* Canonical text of a node: what Python type and value PyYAML would give.
 * None, True, int:N, float:repr, str:repr, date:..., datetime:...,
 * bytes:b'hex', [..], {k: v}, set{sorted keys}, pairs[[k, v], ...]. */
static void dump(af_buf *b, const afc_node *n)
{
    if (n->kind == AFC_SEQ) {
        af_buf_puts(b, n->ykind == AFC_Y_PAIRS && n->n ? "pairs[" : "["); /* as Python shows [] */
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
            if (i) af_buf_puts(b, ", ");
            af_buf_puts(b, ks[i]);
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
        break;
    case AF_BOOL:
        af_buf_puts(b, n->b ? "True" : "False");
        break;
    case AF_INT:
        if (n->big_int) {
            /* the exact value: a big key's str() form */
            af_arena *a = af_arena_new();
            afc_node k = *n, m = {.kind = AFC_MAP, .n = 1};
            afc_node *keys[1] = {&k}, *items[1] = {&k};
            m.keys = keys;
            m.items = items;
            af_value *v = afc_node_value(a, &m);
            af_buf_printf(b, "int:%s", v->u.map.pairs[0].key);
            af_arena_free(a);
        } else {
            af_buf_printf(b, "int:%lld", (long long)n->i);
        }
        break;
    case AF_DOUBLE:
        af_buf_puts(b, "float:");
        af_py_float(b, n->d);
        break;
    default:
        if (n->ykind == AFC_Y_DATE || n->ykind == AFC_Y_DATETIME) {
            af_buf_puts(b, n->ykind == AFC_Y_DATE ? "date:" : "datetime:");
            af_buf_put(b, n->text, n->len);
        } else if (n->ykind == AFC_Y_BINARY) {
            af_buf_puts(b, "bytes:b'");
            for (size_t i = 0; i < n->len; i++)
                af_buf_printf(b, "%02x", (unsigned char)n->text[i]);
            af_buf_putc(b, '\'');
        } else {
            af_buf_puts(b, "str:");
            repr(b, n->text, n->len);
        }
    }
}

/* Diagnostics of a load as "L:C: severity: message" lines. */
static char *diag_lines(afc_diags *d, const char *label)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    afc_diags_print(d, f);
    fclose(f);
    af_buf out = {0};
    size_t ll = strlen(label);
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (n > ll + 1 && strncmp(line, label, ll) == 0 && line[ll] == ':') {
            af_buf_put(&out, line + ll + 1, n - ll - 1);
            af_buf_putc(&out, '\n');
        } else if (strncmp(line, "afc: ", 5) == 0) {
            af_buf_put(&out, line, n);
            af_buf_putc(&out, '\n');
        }
        line = nl ? nl + 1 : NULL;
    }
    free(buf);
    char *r = strdup(af_buf_cstr(&out));
    af_buf_free(&out);
    return r;
}

typedef struct loaded {
    af_arena *a;
    afc_diags *d;
    afc_node *root;
    char *text; /* dump of root, or NULL */
    char *diags;
} loaded;

static loaded load(const char *yaml)
{
    loaded l = {0};
    l.a = af_arena_new();
    l.d = afc_diags_new(l.a);
    l.root = afc_load_string(l.a, l.d, yaml, strlen(yaml), "t.yaml");
    if (l.root) l.text = dumped(l.root);
    l.diags = diag_lines(l.d, "t.yaml");
    return l;
}

static void unload(loaded *l)
{
    free(l->text);
    free(l->diags);
    af_arena_free(l->a);
}

/* ---- scalars, as PyYAML resolves and constructs them ---------------------- */

/* Generated from PyYAML 6.0.3 (yaml.safe_load) by running each case; NULL: PyYAML fails. */
static const struct scalar_case {
    const char *yaml, *want;
} scalar_cases[] = {
    {"~", "None"},
    {"null", "None"},
    {"Null", "None"},
    {"NULL", "None"},
    {"", "None"},
    {"nULL", "str:'nULL'"},
    {"nul", "str:'nul'"},
    {"yes", "True"},
    {"Yes", "True"},
    {"YES", "True"},
    {"no", "False"},
    {"No", "False"},
    {"NO", "False"},
    {"true", "True"},
    {"True", "True"},
    {"TRUE", "True"},
    {"false", "False"},
    {"False", "False"},
    {"FALSE", "False"},
    {"on", "True"},
    {"On", "True"},
    {"ON", "True"},
    {"off", "False"},
    {"Off", "False"},
    {"OFF", "False"},
    {"yEs", "str:'yEs'"},
    {"y", "str:'y'"},
    {"n", "str:'n'"},
    {"Y", "str:'Y'"},
    {"oN", "str:'oN'"},
    {"tRUE", "str:'tRUE'"},
    {"0", "int:0"},
    {"-0", "int:0"},
    {"+0", "int:0"},
    {"7", "int:7"},
    {"-7", "int:-7"},
    {"+7", "int:7"},
    {"1_000", "int:1000"},
    {"1__0_", "int:10"},
    {"0b1010", "int:10"},
    {"-0b1_01", "int:-5"},
    {"+0b0", "int:0"},
    {"0b", "str:'0b'"},
    {"0b2", "str:'0b2'"},
    {"017", "int:15"},
    {"0_17", "int:15"},
    {"-017", "int:-15"},
    {"08", "str:'08'"},
    {"09", "str:'09'"},
    {"0o17", "str:'0o17'"},
    {"0x1F", "int:31"},
    {"0x_1f", "int:31"},
    {"-0xff", "int:-255"},
    {"0xG", "str:'0xG'"},
    {"0x", "str:'0x'"},
    {"0X1F", "str:'0X1F'"},
    {"1:30", "int:90"},
    {"-1:30", "int:-90"},
    {"+1:30:15", "int:5415"},
    {"190:20:30", "int:685230"},
    {"1:60", "str:'1:60'"},
    {"1:5", "int:65"},
    {"1:05:09", "int:3909"},
    {"0:30", "str:'0:30'"},
    {"1_0:3_0", "str:'1_0:3_0'"},
    {"9223372036854775807", "int:9223372036854775807"},
    {"-9223372036854775808", "int:-9223372036854775808"},
    {"9223372036854775808", "int:9223372036854775808"},
    {"-9223372036854775809", "int:-9223372036854775809"},
    {"123456789012345678901234567890", "int:123456789012345678901234567890"},
    {"0x7fffffffffffffff", "int:9223372036854775807"},
    {"0x8000000000000000", "int:9223372036854775808"},
    {"-0x8000000000000000", "int:-9223372036854775808"},
    {"0b1111111111111111111111111111111111111111111111111111111111111111111111",
     "int:1180591620717411303423"},
    {"1.5", "float:1.5"},
    {"-1.5", "float:-1.5"},
    {"+1.5", "float:1.5"},
    {"1.", "float:1.0"},
    {".5", "float:0.5"},
    {"-.5", "str:'-.5'"},
    {"+.5", "str:'+.5'"},
    {"1._5", "float:1.5"},
    {"1_000.5", "float:1000.5"},
    {"1.5e+3", "float:1500.0"},
    {"1.5E-3", "float:0.0015"},
    {"1.5e3", "str:'1.5e3'"},
    {"1e3", "str:'1e3'"},
    {"1e+3", "str:'1e+3'"},
    {"6.8523015e+5", "float:685230.15"},
    {"685.230_15e+03", "float:685230.15"},
    {"685_230.15", "float:685230.15"},
    {"190:20:30.15", "float:685230.15"},
    {"-1:30.5", "float:-90.5"},
    {"1:30.", "float:90.0"},
    {".5e-2", "float:0.005"},
    {"0.", "float:0.0"},
    {"-0.0", "float:-0.0"},
    {"1.7976931348623157e+308", "float:1.7976931348623157e+308"},
    {"1.8e+308", "float:inf"},
    {"4.9e-324", "float:5e-324"},
    {"0.1", "float:0.1"},
    {"100.0", "float:100.0"},
    {".inf", "float:inf"},
    {".Inf", "float:inf"},
    {".INF", "float:inf"},
    {"+.inf", "float:inf"},
    {"-.inf", "float:-inf"},
    {"-.INF", "float:-inf"},
    {".iNf", "str:'.iNf'"},
    {".nan", "float:nan"},
    {".NaN", "float:nan"},
    {".NAN", "float:nan"},
    {"-.nan", "str:'-.nan'"},
    {".Nan", "str:'.Nan'"},
    {"1.2.3", "str:'1.2.3'"},
    {"2001-12-14", "date:2001-12-14"},
    {"2002-12-14", "date:2002-12-14"},
    {"2024-02-29", "date:2024-02-29"},
    {"2001-1-2", "str:'2001-1-2'"},
    {"2001-12-14t21:59:43.10-05:00", "datetime:2001-12-14 21:59:43.100000-05:00"},
    {"2001-12-14 21:59:43.10 -5", "datetime:2001-12-14 21:59:43.100000-05:00"},
    {"2001-12-14 21:59:43.10", "datetime:2001-12-14 21:59:43.100000"},
    {"2001-12-15T02:59:43.1Z", "datetime:2001-12-15 02:59:43.100000+00:00"},
    {"2001-12-15 2:59:43.10", "datetime:2001-12-15 02:59:43.100000"},
    {"2024-01-02 03:04:05.123456789Z", "datetime:2024-01-02 03:04:05.123456+00:00"},
    {"2024-01-02 03:04:05.000000", "datetime:2024-01-02 03:04:05"},
    {"2024-01-02 03:04:05 Z", "datetime:2024-01-02 03:04:05+00:00"},
    {"2024-01-02 03:04:05+05:30", "datetime:2024-01-02 03:04:05+05:30"},
    {"2024-01-02 03:04:05-00:30", "datetime:2024-01-02 03:04:05-00:30"},
    {"2024-01-02 03:04:05 +1", "datetime:2024-01-02 03:04:05+01:00"},
    {"2024-1-2 3:04:05", "datetime:2024-01-02 03:04:05"},
    {"2024-01-02T03:04", "str:'2024-01-02T03:04'"},
    {"2024-01-02 03:04:05 +05:3", "str:'2024-01-02 03:04:05 +05:3'"},
    {"20240-01-02", "str:'20240-01-02'"},
    {"abc", "str:'abc'"},
    {"a b", "str:'a b'"},
    {"1 2", "str:'1 2'"},
    {"0x1F is hex", "str:'0x1F is hex'"},
    {"http://x:80", "str:'http://x:80'"},
    {"a:b", "str:'a:b'"},
    {"-", "[None]"},
    {"--", "str:'--'"},
    {"-a", "str:'-a'"},
    {"1-2", "str:'1-2'"},
    {"1e", "str:'1e'"},
    {"1.0e", "str:'1.0e'"},
    {"1.0e+", "str:'1.0e+'"},
    {"+", "str:'+'"},
    {".", "str:'.'"},
    {"._", "str:'._'"},
    {"<", "str:'<'"},
    {"<<<", "str:'<<<'"},
    {"==", "str:'=='"},
    {"~~", "str:'~~'"},
    {"NaN", "str:'NaN'"},
    {"inf", "str:'inf'"},
    {"Infinity", "str:'Infinity'"},
    {"\"1\"", "str:'1'"},
    {"'yes'", "str:'yes'"},
    {"\"~\"", "str:'~'"},
    {"''", "str:''"},
    {"\"2001-12-14\"", "str:'2001-12-14'"},
    {"\"0x1F\"", "str:'0x1F'"},
    {"|\n  yes\n", "str:'yes\\n'"},
    {">-\n  12\n", "str:'12'"},
    {"\"a\\tb\"", "str:'a\\tb'"},
    {"\"\\x41\\u00e9\\U0001F600\"", "str:'A\303\251\360\237\230\200'"},
    {"'it''s'", "str:\"it's\""},
    {"\"line1\\nline2\"", "str:'line1\\nline2'"},
    {"! 12", "int:12"},
    {"! \"12\"", "int:12"},
    {"! yes", "True"},
    {"! ''", "None"},
    {"!", "None"},
    {"!!str 12", "str:'12'"},
    {"!!str yes", "str:'yes'"},
    {"!!str ~", "str:'~'"},
    {"!!str", "str:''"},
    {"!!int \"12\"", "int:12"},
    {"!!int \" 12 \"", "int:12"},
    {"!!int \"1_2\"", "int:12"},
    {"!!int \"0o17\"", "int:15"},
    {"!!int \"1:-5\"", "int:55"},
    {"!!int --5", "int:5"},
    {"!!int 0b0b1", "int:1"},
    {"!!float \"1e3\"", "float:1000.0"},
    {"!!float 12", "float:12.0"},
    {"!!float \" inf\"", "float:inf"},
    {"!!float infinity", "float:inf"},
    {"!!float \"-1:30.5\"", "float:-90.5"},
    {"!!float \"+.5\"", "float:0.5"},
    {"!!float \"1.e5\"", "float:100000.0"},
    {"!!bool \"YES\"", "True"},
    {"!!bool \"off\"", "False"},
    {"!!null x", "None"},
    {"!!null", "None"},
    {"!!timestamp \"2024-1-2\"", "date:2024-01-02"},
    {"!!timestamp \"2024-01-02\\n\"", "date:2024-01-02"},
    {"!!binary aGVsbG8=", "bytes:b'68656c6c6f'"},
    {"!!binary \"aGVs bG8=\"", "bytes:b'68656c6c6f'"},
    {"!!binary \"\"", "bytes:b''"},
    {"!!binary \"YQ===\"", "bytes:b'61'"},
    {"!<tag:yaml.org,2002:int> \"5\"", "int:5"},
    {"!!in%74 \"6\"", "int:6"},
    {"!!str {=: 5}", "str:'5'"},
    {"!!int {=: \"7\"}", "int:7"},
    {"!!null {=: x}", "None"},
    {"!!set {a, b}", "set{str:'a', str:'b'}"},
    {"!!set {}", "set{}"},
    {"!!omap [a: 1, b: 2]", "pairs[[str:'a', int:1], [str:'b', int:2]]"},
    {"!!pairs [a: 1, a: 2]", "pairs[[str:'a', int:1], [str:'a', int:2]]"},
    {"!!omap []", "[]"},
    {"!!map {a: 1}", "{str:'a': int:1}"},
    {"!!seq [1]", "[int:1]"},
    {"{7: a, 2.5: b, null: c, true: d, 2024-01-02: e, !!binary aGk=: f}",
     "{int:7: str:'a', float:2.5: str:'b', None: str:'c', True: str:'d', date:2024-01-02: str:'e', "
     "bytes:b'6869': str:'f'}"},
    {"{0x10: a, 1e3: b}", "{int:16: str:'a', str:'1e3': str:'b'}"},
    {"{=: x}", "{str:'=': str:'x'}"},
    {"{\"=\": x}", "{str:'=': str:'x'}"},
    {"{? [a]\n: 1}", NULL},
};

static void test_scalars_match_pyyaml(void)
{
    for (size_t i = 0; i < sizeof scalar_cases / sizeof scalar_cases[0]; i++) {
        const struct scalar_case *c = &scalar_cases[i];
        loaded l = load(c->yaml);
        if (c->want) {
            if (!l.text || strcmp(l.text, c->want) != 0) {
                t_failed_checks++;
                printf("#   case %zu %s\n#     got:  %s\n#     want: %s\n#     %s", i, c->yaml,
                       l.text ? l.text : "(error)", c->want, l.diags);
            }
        } else if (l.root || !afc_error_count(l.d)) {
            t_failed_checks++;
            printf("#   case %zu %s: loaded (%s), PyYAML refuses it\n", i, c->yaml, l.text);
        }
        unload(&l);
    }
}

/* ---- errors: exact message and position, all of them ------------------------ */

static const struct err_case {
    const char *yaml, *want;
} err_cases[] = {
    {"a: [1, 2", "1:9: error: expected ',' or ']', but found '<stream end>'\n1:4: note: while "
                 "parsing a flow sequence\n"},
    {"a: 1\n b: 2", "2:3: error: mapping values are not allowed here\n"},
    {"@a", "1:1: error: found character '@' that cannot start any token\n"},
    {"a: \"\\q\"",
     "1:5: error: found unknown escape character 'q'\n1:4: note: while scanning a quoted scalar\n"},
    {"a: !x!y 1", "1:4: error: found undefined tag handle '!x!'\n"},
    {"|0", "1:2: error: expected indentation indicator in the range 1-9, but found 0\n1:1: note: "
           "while scanning a block scalar\n"},
    {"%YAML 2.0\n---\na",
     "1:1: error: found incompatible YAML document (version 1.* is required)\n"},
    {"a: 1\n\001",
     "2:1: error: unacceptable character #x0001: special characters are not allowed\n"},
    {"a: \377\n",
     "1:4: error: the file is not valid UTF-8 (invalid leading UTF-8 octet, byte 0xff)\n"},
    {"a: x\ty\nb: 1\t\n",
     "1:5: error: found a tab character where PyYAML accepts only spaces\n2:5: error: found a tab "
     "character where PyYAML accepts only spaces\n"},
    {"[a?b]", "1:3: error: found '?' inside a plain scalar in a flow collection, where PyYAML ends "
              "the scalar (quote the string)\n"},
    {"a: 1\n---\nb: 2", "2:1: error: expected a single document in the stream, but found another "
                        "document\n1:1: note: the first document starts here\n"},
    {"*x", "1:1: error: found undefined alias 'x'\n"},
    {"[&a 1, &a 2]", "1:8: error: found duplicate anchor 'a'\n1:2: note: first occurrence\n"},
    {"&a [*a]", "1:5: error: recursive alias 'a': the anchored node contains itself\n1:1: note: "
                "anchor 'a' is defined here\n"},
    {"a: &a {b: {<<: *a}}", "1:16: error: recursive alias 'a': the anchored node contains "
                            "itself\n1:4: note: anchor 'a' is defined here\n"},
    {"{a: 1, a: 2}", "1:8: error: duplicate key 'a' in mapping\n1:2: note: first defined here\n"},
    {"{1: a, 1.0: b}", "1:8: error: duplicate key 1.0 in mapping (equal to 1 in Python)\n1:2: "
                       "note: first defined here\n"},
    {"{1: a, '1': b}", "1:8: error: key '1' (a string) and key 1 (an integer) both read as "
                       "'1'\n1:2: note: the other key is here\n"},
    {"{[1]: 2}", "1:2: error: found unhashable key: a sequence cannot be a mapping key\n"},
    {"- !foo 1", "1:3: error: could not determine a constructor for the tag '!foo'\n"},
    {"a: =",
     "1:4: error: could not determine a constructor for the tag 'tag:yaml.org,2002:value'\n1:4: "
     "note: a plain '=' is YAML 1.1's value key; quote it for the string\n"},
    {"a: <<",
     "1:4: error: could not determine a constructor for the tag 'tag:yaml.org,2002:merge'\n1:4: "
     "note: a plain '<<' is a merge key; quote it for the string\n"},
    {"{<<: 1}",
     "1:6: error: expected a mapping or list of mappings for merging, but found scalar\n"},
    {"{<<: [1]}", "1:7: error: expected a mapping for merging, but found scalar\n"},
    {"!!int abc", "1:1: error: invalid literal for int() with base 10: 'abc'\n"},
    {"!!float x", "1:1: error: could not convert string to float: 'x'\n"},
    {"!!bool maybe", "1:1: error: could not convert string to bool: 'maybe' (expected yes/no, "
                     "true/false or on/off)\n"},
    {"!!timestamp x", "1:1: error: could not convert string to timestamp: 'x'\n"},
    {"d: 2024-13-01", "1:4: error: invalid timestamp '2024-13-01': month must be in 1..12\n"},
    {"d: 2024-01-02 03:04:05+24:00",
     "1:4: error: invalid timestamp '2024-01-02 03:04:05+24:00': offset must be a timedelta "
     "strictly between -timedelta(hours=24) and timedelta(hours=24), not "
     "datetime.timedelta(days=1).\n"},
    {"!!binary aGVsbG", "1:1: error: failed to decode base64 data: Incorrect padding\n"},
    {"!!binary a", "1:1: error: failed to decode base64 data: Invalid base64-encoded string: "
                   "number of data characters (1) cannot be 1 more than a multiple of 4\n"},
    {"!!binary \"ab\303\251\303\250c\"",
     "1:1: error: failed to convert base64 data into ascii: 'ascii' codec can't encode characters "
     "in position 2-3: ordinal not in range(128)\n"},
    {"!!binary \303\251t\303\251",
     "1:1: error: failed to convert base64 data into ascii: 'ascii' codec can't encode character "
     "'\\xe9' in position 0: ordinal not in range(128)\n"},
    {"!!int [1]", "1:1: error: expected a scalar node, but found sequence\n"},
    {"!!seq {a: 1}", "1:1: error: expected a sequence node, but found mapping\n"},
    {"!!map [1]", "1:1: error: expected a mapping node, but found sequence\n"},
    {"!!omap {a: 1}",
     "1:1: error: expected a sequence, but found mapping (while constructing an ordered map)\n"},
    {"!!omap [a]", "1:9: error: expected a mapping of length 1, but found scalar (while "
                   "constructing an ordered map)\n"},
    {"!!omap [{a: 1, b: 2}]", "1:9: error: expected a single mapping item, but found 2 items "
                              "(while constructing an ordered map)\n"},
    {"a: 1\na: 2\nb: !foo x\nc: *nope\n",
     "2:1: error: duplicate key 'a' in mapping\n1:1: note: first defined here\n3:4: error: could "
     "not determine a constructor for the tag '!foo'\n4:4: error: found undefined alias 'nope'\n"},
    {"{\"a\\0b\": 1}", "1:2: error: mapping key 'a\\x00b' contains a NUL character\n"},
    {"key: - a", "1:6: error: sequence entries are not allowed here\n"},
    {"- a\nb: 1", "2:1: error: did not find expected '-' indicator\n1:1: note: while parsing a "
                  "block collection\n"},
    {"a: 'x",
     "1:6: error: found unexpected end of stream\n1:4: note: while scanning a quoted scalar\n"},
    {"{a: 1}}", "1:7: error: expected '<document start>', but found '}'\n"},
    {"a: &", "1:5: error: expected alphabetic or numeric character, but found '<stream end>'\n1:4: "
             "note: while scanning an anchor\n"},
    {"\ta: 1", "1:1: error: found character '\\t' that cannot start any token\n"},
    {"? a\n: 1\n? a\n: 2",
     "3:3: error: duplicate key 'a' in mapping\n1:3: note: first defined here\n"},
    {"m: &m {x: 1}\nn:\n  <<: *m\n  <<: {x: 2}\n  y: 1\n  y: 2",
     "6:3: error: duplicate key 'y' in mapping\n5:3: note: first defined here\n"},
    {"d: {<<: {a: 1, a: 2}}",
     "1:16: error: duplicate key 'a' in mapping\n1:10: note: first defined here\n"},
    /* more places where libyaml accepts what PyYAML refuses */
    {"[!, x]", "1:2: error: expected ' ' after the tag, but found ','\n"},
    {"k: >#\n  x\n", "1:5: error: expected chomping or indentation indicators, but found '#'\n"},
    {"[?]]", "1:4: error: found unexpected ']'\n"},
    /* and what both refuse */
    {"!!str,x", "1:6: error: did not find expected whitespace or line break\n1:1: note: while "
                "scanning a tag\n"},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        loaded l = load(err_cases[i].yaml);
        T_CHECK(l.root == NULL);
        if (strcmp(l.diags, err_cases[i].want) != 0) {
            t_failed_checks++;
            printf("#   case %zu %s\n#     got:\n%s#     want:\n%s", i, err_cases[i].yaml, l.diags,
                   err_cases[i].want);
        }
        unload(&l);
    }
}

/* ---- positions ---------------------------------------------------------------- */

/* Every node in document order as K@L:C (the marks PyYAML's compose gives). */
static void positions(af_buf *b, const afc_node *n)
{
    af_buf_printf(b, "%c@%d:%d ",
                  n->kind == AFC_SCALAR ? 'S'
                  : n->kind == AFC_SEQ  ? 'Q'
                                        : 'M',
                  n->pos.line, n->pos.col);
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys) positions(b, n->keys[i]);
        positions(b, n->items[i]);
    }
}

static void check_positions(const char *yaml, const char *want)
{
    loaded l = load(yaml);
    T_CHECK(l.root != NULL);
    if (!l.root) {
        printf("#     %s", l.diags);
    } else {
        af_buf b = {0};
        positions(&b, l.root);
        T_STREQ(af_buf_cstr(&b), want);
        T_STREQ(l.root->pos.src->path, "t.yaml");
        af_buf_free(&b);
    }
    unload(&l);
}

static void test_positions(void)
{
    check_positions("a: 1\nb:\n  - x\n  - y: 2\n    z: [1, {q: r}]\nc: |\n  text\n\"d\": &anc 'e'\n"
                    "f: *anc\n",
                    "M@1:1 S@1:1 S@1:4 S@2:1 Q@3:3 S@3:5 M@4:5 S@4:5 S@4:8 S@5:5 Q@5:8 S@5:9 "
                    "M@5:12 S@5:13 S@5:16 S@6:1 S@6:4 S@8:1 S@8:6 S@9:1 S@8:6 ");
    /* CRLF line ends; a byte order mark takes no column */
    check_positions("\xef\xbb\xbf"
                    "a: 1\r\nb: [x,\r\n  y]\r\n",
                    "M@1:1 S@1:1 S@1:4 S@2:1 Q@2:4 S@2:5 S@3:3 ");
    /* columns count characters, not bytes */
    check_positions("\xc3\xa9t\xc3\xa9: [\xe2\x82\xac, x]\n", "M@1:1 S@1:1 Q@1:6 S@1:7 S@1:10 ");
    /* an indentless sequence starts at its first dash; a tagged node at its tag */
    check_positions("k:\n- 1\n- !!str 2\n", "M@1:1 S@1:1 Q@2:1 S@2:3 S@3:3 ");
    /* an empty file is a null at 1:1; an empty document at the end of the text */
    check_positions("", "S@1:1 ");
    check_positions("---", "S@1:4 ");
    /* an empty value in a flow mapping is right after its ':' */
    check_positions("{a: , b: 1, c:\n}", "M@1:1 S@1:2 S@1:4 S@1:7 S@1:10 S@1:13 S@1:15 ");
    check_positions("[a: ]", "Q@1:1 M@1:2 S@1:2 S@1:4 ");
}

/* ---- merges and aliases ------------------------------------------------------------ */

static void check_dump(const char *yaml, const char *want)
{
    loaded l = load(yaml);
    T_STREQ(l.text, want);
    if (!l.text) printf("#     %s", l.diags);
    unload(&l);
}

/* Expected values from yaml.safe_load, key order included. */
static void test_merges(void)
{
    check_dump("base: &b {x: 1, y: 2}\nm: {<<: *b, x: 9}",
               "{str:'base': {str:'x': int:1, str:'y': int:2}, "
               "str:'m': {str:'x': int:9, str:'y': int:2}}");
    /* in a list, earlier mappings win */
    check_dump("a: &a {k: a, p: 1}\nb: &b {k: b, q: 2}\nm: {<<: [*a, *b]}",
               "{str:'a': {str:'k': str:'a', str:'p': int:1}, str:'b': {str:'k': str:'b', str:'q': "
               "int:2}, str:'m': {str:'k': str:'a', str:'q': int:2, str:'p': int:1}}");
    /* the mapping's own keys win wherever they are written; merged keys come first */
    check_dump("m: {z: 0, <<: {z: 1, w: 2}}", "{str:'m': {str:'z': int:0, str:'w': int:2}}");
    /* two merge keys: the later one wins (not a duplicate key) */
    check_dump("m: {<<: {a: 1}, <<: {a: 2, b: 3}}", "{str:'m': {str:'a': int:2, str:'b': int:3}}");
    check_dump("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}",
               "{str:'a': {str:'x': int:1}, str:'b': {str:'x': int:1, str:'y': int:2}, "
               "str:'c': {str:'x': int:1, str:'y': int:2, str:'z': int:3}}");
    check_dump(
        "defaults: &d\n  retries: 3\n  timeout: 10\njob:\n  <<: *d\n  timeout: 60\n  name: x\n",
        "{str:'defaults': {str:'retries': int:3, str:'timeout': int:10}, "
        "str:'job': {str:'retries': int:3, str:'timeout': int:60, str:'name': str:'x'}}");
    /* an own key equal in Python replaces the value; the first key object stays */
    check_dump("a: &a {1: one}\nb: {<<: *a, 1.0: uno}",
               "{str:'a': {int:1: str:'one'}, str:'b': {int:1: str:'uno'}}");
    check_dump("a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<:\n    - *a\n    - *b\n  x: 0\n",
               "{str:'a': {str:'x': int:1}, str:'b': {str:'y': int:2}, "
               "str:'c': {str:'y': int:2, str:'x': int:0}}");
    check_dump("a: &a {x: 1}\nm: !!set {<<: *a, y}",
               "{str:'a': {str:'x': int:1}, str:'m': set{str:'x', str:'y'}}");
    /* "=" as a key is the string "=" */
    check_dump("{=: x, b: y}", "{str:'=': str:'x', str:'b': str:'y'}");
}

/* Shared anchors are shared nodes: the tree is a DAG. */
static void test_aliases_share_nodes(void)
{
    loaded l = load("a: &x {k: [1, 2]}\nb: *x\nc: [*x, *x]\nd: &s hello\ne: *s\n"
                    "m: {<<: *x, j: 0}\n");
    T_CHECK(l.root != NULL);
    if (!l.root) {
        printf("#     %s", l.diags);
        unload(&l);
        return;
    }
    const afc_node *a = afc_map_get(l.root, "a"), *b = afc_map_get(l.root, "b");
    const afc_node *c = afc_map_get(l.root, "c"), *m = afc_map_get(l.root, "m");
    T_CHECK(a && a == b);
    T_CHECK(c && c->n == 2 && c->items[0] == a && c->items[1] == a);
    T_CHECK(afc_map_get(l.root, "d") == afc_map_get(l.root, "e"));
    T_CHECK(m && afc_map_get(m, "k") == afc_map_get(a, "k"));
    T_INTEQ(m ? m->n : 0, 2);
    /* values are deep copies, equal but not shared */
    af_value *v = afc_node_value(l.a, l.root);
    T_CHECK(af_value_equal(af_map_get(v, "a"), af_map_get(v, "b")));
    T_CHECK(af_map_get(v, "a") != af_map_get(v, "b"));
    T_STREQ(af_json_str(l.a, v, 0),
            "{\"a\": {\"k\": [1, 2]}, \"b\": {\"k\": [1, 2]}, \"c\": [{\"k\": [1, 2]}, {\"k\": [1, "
            "2]}], \"d\": \"hello\", \"e\": \"hello\", \"m\": {\"k\": [1, 2], \"j\": 0}}");
    unload(&l);
}

/* ---- values ------------------------------------------------------------------- */

static void test_node_value(void)
{
    loaded l = load("a: 1\nb: [true, null, 1.5, \"s\", -.inf]\n7: x\n2.5: y\nnull: z\nyes: w\n"
                    "2024-01-02: d\n2024-01-02 03:04:05+01:00: t\n!!binary aGk=: bin\n"
                    "0x10000000000000000: big\n-0.0: negzero\n1e3: str\n"
                    "set: !!set {p, q}\npairs: !!omap [k: 1, j: 2]\nwhen: 2001-12-14\n"
                    "huge: 123456789012345678901234567890\nbytes: !!binary \"AGE=\"\n");
    T_CHECK(l.root != NULL);
    if (!l.root) {
        printf("#     %s", l.diags);
        unload(&l);
        return;
    }
    af_value *v = afc_node_value(l.a, l.root);
    T_STREQ(af_json_str(l.a, v, 0),
            "{\"a\": 1, \"b\": [true, null, 1.5, \"s\", -Infinity], \"7\": \"x\", \"2.5\": \"y\", "
            "\"None\": \"z\", \"True\": \"w\", \"2024-01-02\": \"d\", "
            "\"2024-01-02 03:04:05+01:00\": \"t\", \"b'hi'\": \"bin\", "
            "\"18446744073709551616\": \"big\", \"-0.0\": \"negzero\", \"1e3\": \"str\", "
            "\"set\": {\"p\": null, \"q\": null}, \"pairs\": [[\"k\", 1], [\"j\", 2]], "
            "\"when\": \"2001-12-14\", \"huge\": 1.2345678901234568e+29, \"bytes\": \"\\u0000a\"}");
    const afc_node *huge = afc_map_get(l.root, "huge");
    T_CHECK(huge && huge->type == AF_INT && huge->big_int == 1);
    T_CHECK(huge && huge->d == 1.2345678901234568e+29);
    T_STREQ(huge ? huge->text : NULL, "123456789012345678901234567890");
    const afc_node *bytes = afc_map_get(l.root, "bytes");
    T_CHECK(bytes && bytes->ykind == AFC_Y_BINARY && bytes->len == 2 && bytes->text[0] == 0);
    unload(&l);
}

static void test_scalar_fields(void)
{
    loaded l = load("hex: 0x1F\nund: 1_000\nf: 6.8523015e+5\nq: \"12\"\nsq: 'x'\nlit: |\n  a\n  b\n"
                    "fold: >\n  a\n  b\nplain: a\n  b\nt: on\nn: ~\nmin: -9223372036854775808\n"
                    "over: 9223372036854775808\n");
    T_CHECK(l.root != NULL);
    if (!l.root) {
        printf("#     %s", l.diags);
        unload(&l);
        return;
    }
    const afc_node *n = afc_map_get(l.root, "hex");
    T_CHECK(n && n->type == AF_INT && n->i == 31 && !n->quoted && !n->big_int);
    T_STREQ(n ? n->text : NULL, "0x1F");
    n = afc_map_get(l.root, "und");
    T_CHECK(n && n->i == 1000);
    T_STREQ(n ? n->text : NULL, "1_000");
    n = afc_map_get(l.root, "f");
    T_CHECK(n && n->type == AF_DOUBLE && n->d == 685230.15);
    n = afc_map_get(l.root, "q");
    T_CHECK(n && n->type == AF_STR && n->quoted && n->len == 2);
    n = afc_map_get(l.root, "sq");
    T_CHECK(n && n->quoted);
    n = afc_map_get(l.root, "lit");
    T_CHECK(n && n->quoted);
    T_STREQ(n ? n->text : NULL, "a\nb\n");
    n = afc_map_get(l.root, "fold");
    T_STREQ(n ? n->text : NULL, "a b\n");
    n = afc_map_get(l.root, "plain");
    T_CHECK(n && !n->quoted);
    T_STREQ(n ? n->text : NULL, "a b");
    n = afc_map_get(l.root, "t");
    T_CHECK(n && n->type == AF_BOOL && n->b == 1);
    n = afc_map_get(l.root, "n");
    T_CHECK(n && n->type == AF_NULL);
    n = afc_map_get(l.root, "min");
    T_CHECK(n && n->type == AF_INT && n->i == INT64_MIN && !n->big_int);
    n = afc_map_get(l.root, "over");
    T_CHECK(n && n->type == AF_INT && n->big_int && n->d == 9223372036854775808.0);
    unload(&l);
}

static void test_map_get_and_what(void)
{
    loaded l = load("name: x\n1: one\n\"2\": two\nlist: [1]\nmap: {}\nd: 2024-01-02\n"
                    "ts: 2024-01-02 03:04:05\nb: !!binary aGk=\nf: 1.5\nz: null\nfalse: y\n"
                    "s: !!set {a}\np: !!pairs [a: 1]\nbig: 99999999999999999999\n");
    T_CHECK(l.root != NULL);
    if (!l.root) {
        printf("#     %s", l.diags);
        unload(&l);
        return;
    }
    T_CHECK(afc_map_get(l.root, "1") == NULL); /* the key is an integer */
    T_CHECK(afc_map_get(l.root, "2") != NULL);
    T_CHECK(afc_map_get(l.root, "True") == NULL);
    T_CHECK(afc_map_get(l.root, "nope") == NULL);
    T_CHECK(afc_map_get(NULL, "name") == NULL);
    T_CHECK(afc_map_get(afc_map_get(l.root, "list"), "0") == NULL);
    T_STREQ(afc_node_what(l.root), "a mapping");
    T_STREQ(afc_node_what(afc_map_get(l.root, "name")), "a string");
    T_STREQ(afc_node_what(afc_map_get(l.root, "list")), "a sequence");
    T_STREQ(afc_node_what(afc_map_get(l.root, "map")), "a mapping");
    T_STREQ(afc_node_what(afc_map_get(l.root, "d")), "a date");
    T_STREQ(afc_node_what(afc_map_get(l.root, "ts")), "a timestamp");
    T_STREQ(afc_node_what(afc_map_get(l.root, "b")), "binary data");
    T_STREQ(afc_node_what(afc_map_get(l.root, "f")), "a float");
    T_STREQ(afc_node_what(afc_map_get(l.root, "z")), "null");
    T_STREQ(afc_node_what(afc_map_get(l.root, "s")), "a set");
    T_STREQ(afc_node_what(afc_map_get(l.root, "p")), "a list of pairs");
    T_STREQ(afc_node_what(afc_map_get(l.root, "big")), "an integer");
    T_STREQ(afc_node_what(l.root->keys[1]), "an integer");
    T_STREQ(afc_node_what(l.root->keys[10]), "a boolean");
    unload(&l);
}

static void test_empty_documents(void)
{
    const char *const empty[] = {"", "# just a comment\n", "---\n", "--- \n...\n", "\n\n", "---"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        loaded l = load(empty[i]);
        T_CHECK(l.root && l.root->kind == AFC_SCALAR && l.root->type == AF_NULL);
        T_STREQ(l.diags, "");
        unload(&l);
    }
}

/* ---- limits ------------------------------------------------------------------ */

static void test_limits(void)
{
    af_buf b = {0};
    for (int i = 0; i < 1000; i++)
        af_buf_putc(&b, '[');
    for (int i = 0; i < 1000; i++)
        af_buf_putc(&b, ']');
    loaded l = load(af_buf_cstr(&b));
    T_CHECK(l.root != NULL); /* 1000 levels are fine */
    unload(&l);
    af_buf_reset(&b);
    for (int i = 0; i < 1001; i++)
        af_buf_putc(&b, '[');
    for (int i = 0; i < 1001; i++)
        af_buf_putc(&b, ']');
    l = load(af_buf_cstr(&b));
    T_STREQ(l.diags, "1:1001: error: nesting too deep (more than 1000 levels)\n");
    unload(&l);

    /* a billion laughs stops at a million extra nodes */
    af_buf_reset(&b);
    af_buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++) {
        af_buf_printf(&b, "a%d: &a%d [", i, i);
        for (int j = 0; j < 10; j++)
            af_buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
        af_buf_puts(&b, "]\n");
    }
    l = load(af_buf_cstr(&b));
    T_STREQ(l.diags, "6:5: error: aliases and merge keys expand this document beyond 1000000 "
                     "more nodes than it has\n");
    unload(&l);

    /* aliases that nest deeper than 1000 levels once expanded */
    af_buf_reset(&b);
    af_buf_puts(&b, "l0: &l0 x\n");
    for (int i = 1; i <= 3; i++) {
        af_buf_printf(&b, "l%d: &l%d ", i, i);
        for (int j = 0; j < 400; j++)
            af_buf_putc(&b, '[');
        af_buf_printf(&b, "*l%d", i - 1);
        for (int j = 0; j < 400; j++)
            af_buf_putc(&b, ']');
        af_buf_putc(&b, '\n');
    }
    l = load(af_buf_cstr(&b));
    /* l3's 201st bracket is the first node 1001 levels deep */
    T_STREQ(l.diags, "4:209: error: aliases nest this node more than 1000 levels deep\n");
    unload(&l);

    /* the same through anchors in keys that were skipped (unhashable), so
     * that building one node starts building the next: the C stack is
     * bounded too */
    af_buf_reset(&b);
    for (int i = 0; i < 3; i++) {
        af_buf_printf(&b, "? [&x%d ", i);
        for (int j = 0; j < 400; j++)
            af_buf_putc(&b, '[');
        if (i)
            af_buf_printf(&b, "*x%d", i - 1);
        else
            af_buf_puts(&b, "leaf");
        for (int j = 0; j < 400; j++)
            af_buf_putc(&b, ']');
        af_buf_printf(&b, "]\n: %d\n", i);
    }
    af_buf_puts(&b, "use: *x2\n");
    l = load(af_buf_cstr(&b));
    T_STREQ(l.diags, "1:3: error: found unhashable key: a sequence cannot be a mapping key\n"
                     "1:207: error: aliases nest this node more than 1000 levels deep\n"
                     "3:3: error: found unhashable key: a sequence cannot be a mapping key\n"
                     "5:3: error: found unhashable key: a sequence cannot be a mapping key\n");
    unload(&l);

    /* integers: Python's 4300-digit limit, and ours for hexadecimal */
    af_buf_reset(&b);
    af_buf_puts(&b, "n: ");
    for (int i = 0; i < 4301; i++)
        af_buf_putc(&b, '7');
    l = load(af_buf_cstr(&b));
    T_STREQ(l.diags, "1:4: error: Exceeds the limit (4300 digits) for integer string conversion: "
                     "value has 4301 digits; use sys.set_int_max_str_digits() to increase the "
                     "limit\n");
    unload(&l);
    af_buf_reset(&b);
    af_buf_puts(&b, "n: 0x");
    for (int i = 0; i < 16385; i++)
        af_buf_putc(&b, 'f');
    l = load(af_buf_cstr(&b));
    T_STREQ(l.diags, "1:4: error: integer literal too large (more than 65536 bits)\n");
    unload(&l);
    /* 4300 digits and 65536 bits are fine */
    af_buf_reset(&b);
    af_buf_puts(&b, "n: ");
    for (int i = 0; i < 4300; i++)
        af_buf_putc(&b, '7');
    af_buf_puts(&b, "\nh: 0x");
    for (int i = 0; i < 16384; i++)
        af_buf_putc(&b, 'f');
    l = load(af_buf_cstr(&b));
    T_CHECK(l.root && afc_map_get(l.root, "n")->big_int && isinf(afc_map_get(l.root, "n")->d));
    T_CHECK(l.root && afc_map_get(l.root, "h")->big_int);
    unload(&l);
    af_buf_free(&b);
}

/* ---- files -------------------------------------------------------------------- */

static void test_load_file(void)
{
    char dir[] = "/tmp/afc-test-load-XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/flow.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("flow:\n  id: demo\n  jobs: [a, b]\n", f);
    fclose(f);
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_node *root = afc_load_file(a, d, path, "flows/flow.yaml");
    T_CHECK(root != NULL);
    const afc_node *flow = afc_map_get(root, "flow");
    T_STREQ(afc_map_get(flow, "id")->text, "demo");
    T_STREQ(afc_map_get(flow, "id")->pos.src->path, "flows/flow.yaml");
    T_INTEQ(afc_map_get(flow, "jobs")->pos.line, 3);
    T_INTEQ(afc_map_get(flow, "jobs")->pos.col, 9);
    /* a missing file, a directory */
    snprintf(path, sizeof path, "%s/missing.yaml", dir);
    T_CHECK(afc_load_file(a, d, path, "missing.yaml") == NULL);
    T_CHECK(afc_load_file(a, d, dir, "somedir") == NULL);
    char *lines = diag_lines(d, "x");
    T_STREQ(lines, "afc: error: cannot read 'missing.yaml': No such file or directory\n"
                   "afc: error: cannot read 'somedir': Is a directory\n");
    free(lines);
    snprintf(path, sizeof path, "%s/flow.yaml", dir);
    unlink(path);
    rmdir(dir);
    af_arena_free(a);
}

/* Nothing is lost when the same diags collect several files. */
static void test_two_files_one_diags(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    T_CHECK(afc_load_string(a, d, "x: [", 4, "b.yaml") == NULL);
    T_CHECK(afc_load_string(a, d, "k: 1\nk: 2\n", 10, "a.yaml") == NULL);
    T_CHECK(afc_load_string(a, d, "ok: 1\n", 6, "c.yaml") != NULL);
    T_INTEQ(afc_error_count(d), 2);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    afc_diags_print(d, f);
    fclose(f);
    T_STREQ(buf, "a.yaml:2:1: error: duplicate key 'k' in mapping\n"
                 "    2 | k: 2\n"
                 "      | ^\n"
                 "a.yaml:1:1: note: first defined here\n"
                 "    1 | k: 1\n"
                 "      | ^\n"
                 "b.yaml:1:5: error: expected the node content, but found '<stream end>'\n"
                 "    1 | x: [\n"
                 "      |     ^\n");
    free(buf);
    af_arena_free(a);
}

int main(void)
{
    T_RUN(test_scalars_match_pyyaml);
    T_RUN(test_errors);
    T_RUN(test_positions);
    T_RUN(test_merges);
    T_RUN(test_aliases_share_nodes);
    T_RUN(test_node_value);
    T_RUN(test_scalar_fields);
    T_RUN(test_map_get_and_what);
    T_RUN(test_empty_documents);
    T_RUN(test_limits);
    T_RUN(test_load_file);
    T_RUN(test_two_files_one_diags);
    T_END();
}
