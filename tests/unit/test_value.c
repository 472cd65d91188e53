/*
 * test_value.c - the value model (runtime/value.c) against Python: repr()
 * of floats (shortest round trip), str() and repr() of strings with every
 * kind of escape and of nested values, equality (1 == 1.0, True == 1,
 * NaN), ordering, truthiness, maps and UTF-8 decoding.
 *
 * Every expected string below was printed by Python 3.11 (repr(), str(),
 * ==, bool(), <) on the same values and pasted here as literals; the
 * floats are specials, powers of two and ten, and seeded random doubles.
 */
#include "af_int.h"
#include "t.h"
#include "value_reprs.h"

#include <math.h>
#include <stdlib.h>

#define T_SUITE "value"

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static af_value *J(af_arena *a, const char *text)
{
    af_value *v = NULL;
    char err[256];
    if (af_json_parse(a, text, strlen(text), &v, err, sizeof err) < 0) {
        printf("#   bad fixture %s: %s\n", text, err);
        t_failed_checks++;
        return af_null();
    }
    return v;
}

/* ---- float repr ---------------------------------------------------------- */

#include "float_reprs.h"


static void test_float_repr(void)
{
    af_buf b = {0};
    for (size_t i = 0; i < sizeof float_reprs / sizeof float_reprs[0]; i++) {
        af_buf_reset(&b);
        af_py_float(&b, from_bits(float_reprs[i].bits));
        T_STREQ(af_buf_cstr(&b), float_reprs[i].repr);
    }
    af_buf_reset(&b);
    af_py_float(&b, NAN);
    T_STREQ(af_buf_cstr(&b), "nan");
    af_buf_reset(&b);
    af_py_float(&b, -NAN); /* Python prints nan whatever the sign */
    T_STREQ(af_buf_cstr(&b), "nan");
    af_buf_free(&b);
}

/* ---- string repr --------------------------------------------------------- */

static const struct {
    const char *bytes;
    size_t len;
    const char *repr; /* repr(bytes.decode('utf-8', 'surrogateescape')) */
} strs[] = {
    {"", 0, "''"},
    {"a", 1, "'a'"},
    {"it's", 4, "\"it's\""},
    {"say \"hi\"", 8, "'say \"hi\"'"},
    {"it's \"x\"", 8, "'it\\'s \"x\"'"},
    {"back\\slash", 10, "'back\\\\slash'"},
    {"\x0a\x0d\x09", 3, "'\\n\\r\\t'"},
    {"\x00nul", 4, "'\\x00nul'"},
    {"\x01\x1f\x7f", 3, "'\\x01\\x1f\\x7f'"},
    {"\x80", 1, "'\\udc80'"},
    {"\xff\xfe", 2, "'\\udcff\\udcfe'"},
    {"caf\xc3\xa9", 5, "'caf\xc3\xa9'"},
    {"\xe4\xb8\xad\xe6\x96\x87", 6, "'\xe4\xb8\xad\xe6\x96\x87'"},
    {"\xf0\x9f\x98\x80", 4, "'\xf0\x9f\x98\x80'"},
    {"\xc2\xa0", 2, "'\\xa0'"},
    {"\xc2\xad", 2, "'\\xad'"},
    {"\xe2\x80\xa8", 3, "'\\u2028'"},
    {"\xe2\x80\x8b", 3, "'\\u200b'"},
    {"\xef\xbb\xbf", 3, "'\\ufeff'"},
    {"\xee\x80\x80", 3, "'\\ue000'"},
    {"\xcd\xb8", 2, "'\\u0378'"},
    {"\xf3\xa0\x80\x81", 4, "'\\U000e0001'"},
    {"\xf4\x8f\xbf\xbd", 4, "'\\U0010fffd'"},
    {"\xf0\x9f\x98\x80x\xcc\x81", 7, "'\xf0\x9f\x98\x80x\xcc\x81'"},
    {"\xed\xa0\x80", 3, "'\\ud800'"},
    {"\xc0\x80", 2, "'\\udcc0\\udc80'"},
    {"\xf4\x90\x80\x80", 4, "'\\udcf4\\udc90\\udc80\\udc80'"},
    {"\xe2\x82", 2, "'\\udce2\\udc82'"},
    {"tab\x09here", 8, "'tab\\there'"},
    {"mixed ' and \" quotes", 20, "'mixed \\' and \" quotes'"},
    {"'", 1, "\"'\""},
    {"\"", 1, "'\"'"},
    {"\\", 1, "'\\\\'"},
    {"\xc2\x85\xc2\x9f\xc2\xa0", 6, "'\\x85\\x9f\\xa0'"},
    {"\xe3\x80\x80", 3, "'\\u3000'"},
    {"\xc3\x9f\xe2\x88\x82\xc6\x92", 7, "'\xc3\x9f\xe2\x88\x82\xc6\x92'"},
};

static void test_str_repr(void)
{
    af_arena *a = af_arena_new();
    af_buf b = {0};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        af_value *v = af_strn(a, strs[i].bytes, strs[i].len);
        af_buf_reset(&b);
        af_py_repr(&b, v);
        T_STREQ(af_buf_cstr(&b), strs[i].repr);
        /* str() of a string is the string itself, bytes and all */
        af_buf_reset(&b);
        af_py_str(&b, v);
        T_INTEQ(b.len, strs[i].len);
        T_CHECK(b.len == 0 || memcmp(b.data, strs[i].bytes, b.len) == 0);
    }
    af_buf_free(&b);
    af_arena_free(a);
}

/* ---- repr and str of whole values ---------------------------------------- */

static void test_value_repr_str(void)
{
    af_arena *a = af_arena_new();
    af_buf b = {0};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        af_value *v = J(a, vals[i].json);
        af_buf_reset(&b);
        af_py_repr(&b, v);
        T_STREQ(af_buf_cstr(&b), vals[i].repr);
        af_buf_reset(&b);
        af_py_str(&b, v);
        T_STREQ(af_buf_cstr(&b), vals[i].str);
    }
    /* built directly: bools are not ints, int64 extremes, a double 1.0 */
    af_value *l = af_list(a);
    af_list_push(a, l, af_bool(1));
    af_list_push(a, l, af_int(a, INT64_MIN));
    af_list_push(a, l, af_int(a, INT64_MAX));
    af_list_push(a, l, af_double(a, 1.0));
    af_list_push(a, l, af_null());
    af_buf_reset(&b);
    af_py_str(&b, l);
    T_STREQ(af_buf_cstr(&b), "[True, -9223372036854775808, 9223372036854775807, 1.0, None]");
    af_buf_free(&b);
    af_arena_free(a);
}

/* ---- equality, truthiness, ordering --------------------------------------- */

static const struct {
    const char *a, *b;
    int equal; /* Python's a == b */
} eqs[] = {
    {"1", "1.0", 1},
    {"true", "1", 1},
    {"false", "0", 1},
    {"true", "1.0", 1},
    {"true", "2", 0},
    {"NaN", "NaN", 0},
    {"[1]", "[1.0]", 1},
    {"{\"a\": 1}", "{\"a\": true}", 1},
    {"\"1\"", "1", 0},
    {"null", "null", 1},
    {"null", "false", 0},
    {"{\"a\": 1, \"b\": 2}", "{\"b\": 2, \"a\": 1}", 1},
    {"9007199254740993", "9007199254740992.0", 0},
    {"9007199254740992", "9007199254740992.0", 1},
    {"9223372036854775807", "9223372036854775807.0", 0},
    {"-9223372036854775808", "-9223372036854775808.0", 1},
    {"0", "-0.0", 1},
    {"[]", "{}", 0},
    {"\"\"", "null", 0},
    {"[1, [2, {\"x\": null}]]", "[1, [2, {\"x\": null}]]", 1},
    {"[1, 2]", "[2, 1]", 0},
    {"{\"a\": 1}", "{\"a\": 1, \"b\": 2}", 0},
    {"\"a\"", "\"a\"", 1},
    {"\"a\"", "\"b\"", 0},
    {"Infinity", "Infinity", 1},
    {"Infinity", "9223372036854775807", 0},
    {"0.1", "0.1", 1},
    {"1e400", "Infinity", 1},
    {"2", "2.5", 0},
};

static void test_equality(void)
{
    af_arena *a = af_arena_new();
    for (size_t i = 0; i < sizeof eqs / sizeof eqs[0]; i++) {
        af_value *x = J(a, eqs[i].a), *y = J(a, eqs[i].b);
        int got = af_value_equal(x, y), back = af_value_equal(y, x);
        if (got != eqs[i].equal || back != eqs[i].equal) {
            printf("#   %s == %s: got %d/%d, Python says %d\n", eqs[i].a, eqs[i].b, got, back,
                   eqs[i].equal);
            t_failed_checks++;
        }
    }
    /* a NaN is not equal even to itself: values are compared, not objects */
    af_value *n = af_double(a, NAN);
    T_INTEQ(af_value_equal(n, n), 0);
    /* strings with NULs compare by length too */
    T_INTEQ(af_value_equal(af_strn(a, "a\0b", 3), af_strn(a, "a\0c", 3)), 0);
    T_INTEQ(af_value_equal(af_strn(a, "a\0b", 3), af_strn(a, "a\0b", 3)), 1);
    T_INTEQ(af_value_equal(af_strn(a, "a", 1), af_strn(a, "a\0", 2)), 0);
    af_arena_free(a);
}

static const struct {
    const char *json;
    int truthy; /* Python's bool() */
} truths[] = {
    {"null", 0},
    {"true", 1},
    {"false", 0},
    {"0", 0},
    {"1", 1},
    {"-1", 1},
    {"0.0", 0},
    {"-0.0", 0},
    {"NaN", 1},
    {"0.5", 1},
    {"\"\"", 0},
    {"\" \"", 1},
    {"\"0\"", 1},
    {"\"False\"", 1},
    {"[]", 0},
    {"[0]", 1},
    {"{}", 0},
    {"{\"\": null}", 1},
    {"Infinity", 1},
    {"1e-300", 1},
};

static void test_truthiness(void)
{
    af_arena *a = af_arena_new();
    for (size_t i = 0; i < sizeof truths / sizeof truths[0]; i++) {
        int got = af_truthy(J(a, truths[i].json));
        if (got != truths[i].truthy) {
            printf("#   bool(%s): got %d, Python says %d\n", truths[i].json, got, truths[i].truthy);
            t_failed_checks++;
        }
    }
    af_arena_free(a);
}

static const struct {
    const char *a, *b;
    int cmp; /* -1 a < b, 0 equal, 1 a > b, 2 unordered (NaN) */
} cmps[] = {
    {"1", "2", -1},
    {"2", "1", 1},
    {"1", "1.0", 0},
    {"true", "0.5", 1},
    {"false", "-0.0", 0},
    {"NaN", "1", 2},
    {"1", "NaN", 2},
    {"9007199254740993", "9007199254740992.0", 1},
    {"9223372036854775807", "9223372036854775807.0", -1},
    {"-9223372036854775808", "-9223372036854775808.0", 0},
    {"-9223372036854775808", "-1e19", 1},
    {"Infinity", "9223372036854775807", 1},
    {"-Infinity", "-9223372036854775808", -1},
    {"2.5", "2", 1},
    {"-2.5", "-2", -1},
    {"-3", "-2.5", -1},
    {"0.1", "0.1", 0},
    {"1e308", "1e307", 1},
};

static void test_num_cmp(void)
{
    af_arena *a = af_arena_new();
    for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++) {
        af_value *x = J(a, cmps[i].a), *y = J(a, cmps[i].b);
        int got = af__num_cmp(x, y), back = af__num_cmp(y, x);
        int want_back = cmps[i].cmp == 2 ? 2 : -cmps[i].cmp;
        if (got != cmps[i].cmp || back != want_back) {
            printf("#   cmp(%s, %s): got %d/%d, Python says %d\n", cmps[i].a, cmps[i].b, got,
                   back, cmps[i].cmp);
            t_failed_checks++;
        }
    }
    af_arena_free(a);
}

/* ---- maps, lists, copies -------------------------------------------------- */

static void test_containers(void)
{
    af_arena *a = af_arena_new();
    af_value *m = af_map(a);
    af_map_set(a, m, "b", af_int(a, 1));
    af_map_set(a, m, "a", af_int(a, 2));
    af_map_set(a, m, "b", af_str(a, "replaced")); /* keeps its place, like a dict */
    af_buf b = {0};
    af_py_repr(&b, m);
    T_STREQ(af_buf_cstr(&b), "{'b': 'replaced', 'a': 2}");
    T_CHECK(af_map_get(m, "zz") == NULL);
    T_CHECK(af_map_get(af_int(a, 1), "b") == NULL);
    T_CHECK(af_map_get(NULL, "b") == NULL);
    T_INTEQ(af_map_del(m, "b"), 1);
    T_INTEQ(af_map_del(m, "b"), 0);
    af_buf_reset(&b);
    af_py_repr(&b, m);
    T_STREQ(af_buf_cstr(&b), "{'a': 2}");
    /* many keys: growth keeps order and lookups */
    af_value *big = af_map(a), *l = af_list(a);
    for (int i = 0; i < 1000; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        af_map_set(a, big, k, af_int(a, i));
        af_list_push(a, l, af_int(a, i));
    }
    T_INTEQ(big->u.map.n, 1000);
    T_STREQ(big->u.map.pairs[999].key, "k999");
    T_INTEQ(af_map_get(big, "k500")->u.i, 500);
    T_INTEQ(l->u.list.items[999]->u.i, 999);
    /* deep copies are independent and equal */
    af_value *orig = J(a, "{\"x\": [1, {\"y\": \"z\"}], \"n\": null, \"f\": 1.5}");
    af_arena *b2 = af_arena_new();
    af_value *copy = af_value_copy(b2, orig);
    T_INTEQ(af_value_equal(orig, copy), 1);
    af_map_set(b2, af_map_get(copy, "x")->u.list.items[1], "y", af_str(b2, "changed"));
    T_STREQ(af_map_get(af_map_get(orig, "x")->u.list.items[1], "y")->u.s.ptr, "z");
    T_INTEQ(af_value_equal(orig, copy), 0);
    af_arena_free(b2);
    /* names */
    T_STREQ(af_type_name(AF_NULL), "null");
    T_STREQ(af_type_name(AF_DOUBLE), "float");
    T_STREQ(af_type_name(AF_MAP), "map");
    T_STREQ(af_type_name((af_type)42), "?");
    T_CHECK(af_bool(7) == &af_true_value && af_bool(0) == &af_false_value);
    T_STREQ(af_str(a, NULL)->u.s.ptr, "");
    af_buf_free(&b);
    af_arena_free(a);
}

/* ---- UTF-8 decoding ------------------------------------------------------- */

static void test_utf8_decode(void)
{
    struct {
        const char *s;
        size_t n;
        int len;
        unsigned cp;
    } cases[] = {
        {"a", 1, 1, 'a'},
        {"\xc3\xa9", 2, 2, 0xe9},
        {"\xe2\x82\xac", 3, 3, 0x20ac},
        {"\xf0\x9f\x98\x80", 4, 4, 0x1f600},
        {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
        {"\xed\xa0\x80", 3, 3, 0xd800},     /* an encoded surrogate decodes to itself */
        {"\xc0\x80", 2, 1, 0xdcc0},         /* overlong */
        {"\xe0\x80\xaf", 3, 1, 0xdce0},     /* overlong */
        {"\xf4\x90\x80\x80", 4, 1, 0xdcf4}, /* past U+10FFFF */
        {"\xe2\x82", 2, 1, 0xdce2},         /* truncated */
        {"\xe2\x28\xa1", 3, 1, 0xdce2},     /* bad continuation */
        {"\x80", 1, 1, 0xdc80},             /* lone continuation */
        {"\xff", 1, 1, 0xdcff},
        {"\xf8\x88\x80\x80\x80", 5, 1, 0xdcf8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned cp = 0;
        int len = af__utf8_decode((const unsigned char *)cases[i].s, cases[i].n, &cp);
        T_INTEQ(len, cases[i].len);
        T_INTEQ(cp, cases[i].cp);
    }
}

int main(void)
{
    T_RUN(test_float_repr);
    T_RUN(test_str_repr);
    T_RUN(test_value_repr_str);
    T_RUN(test_equality);
    T_RUN(test_truthiness);
    T_RUN(test_num_cmp);
    T_RUN(test_containers);
    T_RUN(test_utf8_decode);
    T_END();
}
