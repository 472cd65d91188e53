/*
 * test_tmpl.c - templates against the reference resolver.
 *
 * The table was produced by running the reference's resolution.py
 * (_render_string_or_typed) on each string with the scope built in
 * make_scope(): "ok" rows give the rendered value as json.dumps prints it,
 * "missing" rows the missing path, "syntax" rows a ResolverSyntaxError.
 */
#define T_SUITE "tmpl"
#include "t.h"
#include "af_int.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *tmpl, *kind, *want;
} cases[] = {
    {"plain", "ok", "\"plain\""},
    {"{{env.A}}", "ok", "\"x\""},
    {"{{ env.A }}", "ok", "\"x\""},
    {"  {{env.A}}", "ok", "\"  x\""},
    {"{{env.A}}\n", "ok", "\"x\""},
    {"{{env.A}}\n\n", "ok", "\"x\\n\\n\""},
    {"a {{env.A}} b", "ok", "\"a x b\""},
    {"{{env.A}}{{env.A}}", "ok", "\"xx\""},
    {"{{steps.s.list}}", "ok", "[1, \"two\", 3.0, null, true]"},
    {"x={{steps.s.list}}", "ok", "\"x=[1, 'two', 3.0, None, True]\""},
    {"{{steps.s.map}}", "ok", "{\"k\": \"v\", \"n\": 2}"},
    {"m={{steps.s.map}}", "ok", "\"m={'k': 'v', 'n': 2}\""},
    {"{{steps.s.b}}", "ok", "false"},
    {"b={{steps.s.b}}", "ok", "\"b=False\""},
    {"{{steps.s.i}}", "ok", "7"},
    {"{{steps.s.f}}", "ok", "1e+16"},
    {"f={{steps.s.f}}", "ok", "\"f=1e+16\""},
    {"{{steps.s.e}}", "missing", "steps.s.e"},
    {"{{steps.s.e:dflt}}", "ok", "\"dflt\""},
    {"{{steps.s.e:}}", "ok", "\"\""},
    {"e={{steps.s.e:}}", "ok", "\"e=\""},
    {"{{env.MISSING:def}}", "ok", "\"def\""},
    {"{{env.MISSING: def }}", "ok", "\" def \""},
    {"x {{env.MISSING: def }} y", "ok", "\"x  def y\""},
    {"{{env.MISSING}}", "missing", "env.MISSING"},
    {"{{ env.MISSING :d}}", "ok", "\"d\""},
    {"{{env.A:{x}}", "ok", "\"x\""},
    {"{{a b}}", "syntax", ""},
    {"{{}}", "syntax", ""},
    {"{{ }}", "syntax", ""},
    {"}} {{env.A}}", "syntax", ""},
    {"{{env.A}} }}", "ok", "\"x }}\""},
    {"{{env.A", "syntax", ""},
    {"${A}", "syntax", ""},
    {"{%x%}", "syntax", ""},
    {"{#c#}", "syntax", ""},
    {"{}", "syntax", ""},
    {"a {} b", "syntax", ""},
    {"{{1a}}", "syntax", ""},
    {"{{a..b}}", "syntax", ""},
    {"{{env.A:x:y}}", "ok", "\"x\""},
    {"{{steps.s.nested.deep.x}}", "ok", "\"y\""},
    {"{{steps.s.nested}}", "ok", "{\"deep\": {\"x\": \"y\"}}"},
    {"{{run_id}}-{{run_id}}", "ok", "\"r1-r1\""},
    {"{{env.N}}", "ok", "\"5\""},
    {"{{steps.s.list.x}}", "missing", "steps.s.list.x"},
    {"{{env.A }}}", "ok", "\"x}\""},
    {"{{{env.A}}", "syntax", ""},
    {"{{env.B}}", "ok", "\"${x}\""},
    {"a {{env.B}}", "syntax", ""},
    {"a {{env.C}}", "syntax", ""},
    {"{{env.C}} ", "syntax", ""},
    {"a {{steps.s.nested}}", "ok", "\"a {'deep': {'x': 'y'}}\""},
};

static af_value *make_scope(af_arena *a)
{
    const char *json =
        "{\"env\": {\"A\": \"x\", \"EMPTY\": \"\", \"N\": \"5\", \"B\": \"${x}\", \"C\": \"{}\"},"
        " \"steps\": {\"s\": {\"list\": [1, \"two\", 3.0, null, true], \"map\": {\"k\": \"v\", \"n\": 2},"
        " \"b\": false, \"i\": 7, \"f\": 1e16, \"e\": \"\", \"nested\": {\"deep\": {\"x\": \"y\"}}}},"
        " \"run_id\": \"r1\"}";
    af_value *v = NULL;
    char err[200];
    if (af_json_parse(a, json, strlen(json), &v, err, sizeof err) < 0) {
        printf("# scope: %s\n", err);
        exit(1);
    }
    return v;
}

static void test_reference_table(void)
{
    af_arena *a = af_arena_new();
    af_value *scope = make_scope(a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *t = cases[i].tmpl;
        af_tmpl *tp = NULL;
        char err[512];
        const char *missing = NULL;
        af_value *out = NULL;
        const char *kind;
        char got[512] = "";
        int rc = af_tmpl_parse(a, t, strlen(t), NULL, &tp, NULL, err, sizeof err);
        if (rc < 0) {
            kind = "syntax";
        } else if (rc == 0) {
            kind = "ok";
            out = af_str(a, t);
        } else if (af_tmpl_render(a, tp, scope, &out, &missing, err, sizeof err) < 0) {
            kind = missing ? "missing" : "syntax";
            if (missing) snprintf(got, sizeof got, "%s", missing);
        } else {
            kind = "ok";
        }
        if (out && !strcmp(kind, "ok")) snprintf(got, sizeof got, "%s", af_json_str(a, out, 0));
        if (strcmp(kind, cases[i].kind) || strcmp(got, cases[i].want)) {
            t_failed_checks++;
            printf("#   template %s: got %s %s, want %s %s\n", af_json_str(a, af_str(a, t), 0), kind,
                   got, cases[i].kind, cases[i].want);
        }
        if (rc < 0) T_CHECK(strncmp(err, AF_TMPL_UNSUPPORTED, strlen(AF_TMPL_UNSUPPORTED)) == 0);
    }
    af_arena_free(a);
}

static void test_allowed_roots(void)
{
    af_arena *a = af_arena_new();
    static const char *const env_only[] = {"env", NULL};
    af_tmpl *t;
    char err[512];
    size_t pos = 99;
    T_INTEQ(af_tmpl_parse(a, "x {{steps.a.b}}", 15, env_only, &t, &pos, err, sizeof err), -1);
    T_INTEQ(pos, 4);
    T_CHECK(strstr(err, "unknown template root 'steps' (allowed here: env)") != NULL);
    T_INTEQ(af_tmpl_parse(a, "{{env.X:1}}", 11, env_only, &t, &pos, err, sizeof err), 1);
    T_CHECK(t->standalone && t->nsegs == 1 && t->segs[0].nparts == 2);
    T_STREQ(t->segs[0].def, "1");
    af_arena_free(a);
}

static void test_cval_render(void)
{
    af_arena *a = af_arena_new();
    af_value *scope = make_scope(a);
    af_tmpl *t;
    af_tmpl_parse(a, "{{steps.s.i}}", 13, NULL, &t, NULL, NULL, 0);
    static const char *const keys[] = {"n", "lit"};
    af_cval vals[2];
    vals[0].type = AF_CTMPL;
    vals[0].u.t = t;
    vals[1].type = AF_STR;
    vals[1].u.s.ptr = "{{not a template here}}";
    vals[1].u.s.len = 23;
    af_cval m = {.type = AF_MAP};
    m.u.map.keys = keys;
    m.u.map.vals = vals;
    m.u.map.n = 2;
    af_value *out;
    char err[256];
    T_INTEQ(af_cval_render(a, &m, scope, &out, NULL, err, sizeof err), 0);
    T_STREQ(af_json_str(a, out, 0), "{\"n\": 7, \"lit\": \"{{not a template here}}\"}");
    T_STREQ(af_json_str(a, af_cval_literal(a, &vals[0]), 0), "\"{{steps.s.i}}\"");
    af_arena_free(a);
}

int main(void)
{
    T_RUN(test_reference_table);
    T_RUN(test_allowed_roots);
    T_RUN(test_cval_render);
    T_END();
}
