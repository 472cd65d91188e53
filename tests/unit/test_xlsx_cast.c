/*
 * test_xlsx_cast.c - the Python conversions of xlsx_cast.c, compared with
 * Python itself: thousands of strings go through date.fromisoformat,
 * datetime.fromisoformat, int(), float(), the reference's bool and "basic"
 * casts and openpyxl's to_excel in /usr/bin/python3, and through the C code,
 * and the answers must agree.
 */
#define T_SUITE "xlsx_cast"
#include "t.h"
#include "../../stdlib-steps/xlsx.h" /* the Excel layer is internal to stdlib-steps */

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static const char *PY =
    "import sys, json, datetime\n"
    "from openpyxl.utils.datetime import to_excel\n"
    "def ser(x):\n"
    "    return '%.16g' % to_excel(x.replace(tzinfo=None) if isinstance(x, datetime.datetime) "
    "else x)\n"
    "def num(x):\n"
    "    return None if x is None else ('%.17g' % x)\n"
    "out = []\n"
    "for line in open(sys.argv[1], encoding='utf-8'):\n"
    "    s = json.loads(line)\n"
    "    r = {}\n"
    "    try: d = datetime.date.fromisoformat(s); r['date'] = ser(d)\n"
    "    except Exception: r['date'] = None\n"
    "    t = s[:-1] if s.endswith('Z') else s\n"
    "    try:\n"
    "        d = datetime.datetime.fromisoformat(t); r['dt'] = ser(d); r['tz'] = d.tzinfo is not "
    "None\n"
    "    except Exception: r['dt'] = None; r['tz'] = False\n"
    "    try: r['int'] = num(float(int(s)))\n"
    "    except Exception: r['int'] = None\n"
    "    try: r['float'] = num(float(s))\n"
    "    except Exception: r['float'] = None\n"
    "    sl = s.strip().lower()\n"
    "    r['bool'] = True if sl in ('1','true','t','yes','y') else False if sl in "
    "('0','false','f','no','n') else None\n"
    /* the reference's _cast_row basic branch, for one value */
    "    if s == '': b = ['none', None]\n"
    "    elif sl in ('true','false','1','0'): b = ['bool', r['bool']]\n"
    "    elif s.isdigit() and (s == '0' or not s.startswith('0')):\n"
    "        b = ['num', r['int']] if r['int'] is not None else ['str', s]\n"
    "    else:\n"
    "        b = None\n"
    "        if '.' in s or 'e' in sl:\n"
    "            try: b = ['num', num(float(s))]\n"
    "            except Exception: pass\n"
    "        if b is None and r['dt'] is not None: b = ['datetime', r['dt']]\n"
    "        if b is None and r['date'] is not None: b = ['date', r['date']]\n"
    "        if b is None: b = ['str', s]\n"
    "    r['basic'] = b\n"
    "    out.append(r)\n"
    "json.dump(out, sys.stdout)\n";

static const char *const fixed[] = {"0",
                                    "007",
                                    "-5",
                                    "+5",
                                    " 42 ",
                                    "1_000",
                                    "1__0",
                                    "_1",
                                    "1_",
                                    "1.5",
                                    "1.",
                                    ".",
                                    ".5",
                                    "1e5",
                                    "1E+5",
                                    "1e",
                                    "e5",
                                    "-inf",
                                    "Infinity",
                                    "+infinity",
                                    "nan",
                                    "NaN",
                                    "-nan",
                                    "1.5e-3",
                                    "0x10",
                                    "1,5",
                                    "1 000",
                                    "True",
                                    "false",
                                    "t",
                                    "y",
                                    "yes",
                                    "no",
                                    "N",
                                    "",
                                    " ",
                                    "\t1\n",
                                    "1.5 ",
                                    " 2",
                                    "12345678901234567890",
                                    "9007199254740993",
                                    "-0",
                                    "0.1",
                                    "1e400",
                                    "-1e-400",
                                    "1_0.5_5",
                                    "1._5",
                                    "1e1_0",
                                    "abc",
                                    "١٢",
                                    "2024",
                                    "20240",
                                    "2024-01",
                                    "2024-13-01",
                                    "2023-02-29",
                                    "2024-02-29",
                                    "1900-02-28",
                                    "1900-03-01",
                                    "1899-12-30",
                                    "1899-12-29",
                                    "0001-01-01",
                                    "9999-12-31",
                                    "2024010512",
                                    "2024-W53",
                                    "2020-W53",
                                    "2020-W53-7",
                                    "2024-W00",
                                    "2024-W01-8",
                                    "2024-001",
                                    "2024-01-05T10:00:00:5",
                                    "2024-01-05T100000X",
                                    "2024-01-05T10:00+05:99",
                                    "2024-01-05T10:00+23:59:59.9",
                                    "2024-01-05T10:00:00.",
                                    "2024-01-05T",
                                    "2024-01-05T10:00:00.1234567",
                                    "2024-01-05 00:00:00.000001",
                                    "2024-01-05ZZ",
                                    "Z",
                                    "1Z",
                                    NULL};

static const char *const dates[] = {"2024-01-05", "20240105", "2024-W01-2",
                                    "2024W012",   "2024-W01", "2024-02-30",
                                    "1900-01-01", "2024-1-5", NULL};
static const char *const seps[] = {"T", " ", "X", "", NULL};
static const char *const times[] = {
    "10",    "10:30", "1030", "10:30:15", "103015", "10:30:15.5", "10:30:15,123456789",
    "25:00", "10:61", "10:3", NULL};
static const char *const tzs[] = {"", "Z", "+05:30", "-0800", "+05", "+24:00", "Z5", NULL};

static void add(af_arena *a, af_value *l, const char *s)
{
    af_list_push(a, l, af_str(a, s));
}

static const char *num17(af_arena *a, double d)
{
    return af_sprintf(a, "%.17g", d);
}

static void differential(void)
{
    af_arena *a = af_arena_new();
    af_value *in = af_list(a);
    for (int i = 0; fixed[i]; i++)
        add(a, in, fixed[i]);
    for (int d = 0; dates[d]; d++)
        for (int s = 0; seps[s]; s++)
            for (int t = 0; times[t]; t++)
                for (int z = 0; tzs[z]; z++)
                    add(a, in, af_sprintf(a, "%s%s%s%s", dates[d], seps[s], times[t], tzs[z]));
    char path[] = "/tmp/xlsx-cast-XXXXXX";
    int fd = mkstemp(path);
    T_CHECK(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    for (size_t i = 0; i < in->u.list.n; i++) {
        char *j = af_json_str(a, in->u.list.items[i], 0);
        fprintf(fp, "%s\n", j);
    }
    fclose(fp);
    char cmd[512];
    char script[] = "/tmp/xlsx-cast-py-XXXXXX";
    int sfd = mkstemp(script);
    FILE *sp = fdopen(sfd, "w");
    fputs(PY, sp);
    fclose(sp);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s", script, path);
    FILE *p = popen(cmd, "r");
    af_buf out = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        af_buf_put(&out, buf, n);
    T_INTEQ(pclose(p), 0);
    unlink(path);
    unlink(script);
    af_value *res;
    char err[256];
    T_INTEQ(af_json_parse(a, af_buf_cstr(&out), out.len, &res, err, sizeof err), 0);
    af_buf_free(&out);
    if (!res || res->type != AF_LIST || res->u.list.n != in->u.list.n) {
        T_CHECK(!"python gave one answer per input");
        af_arena_free(a);
        return;
    }
    int bad = 0;
    for (size_t i = 0; i < in->u.list.n && bad < 20; i++) {
        const char *s = in->u.list.items[i]->u.s.ptr;
        size_t len = strlen(s);
        af_value *r = res->u.list.items[i];
        xlsx_dt dt;
        double d;
        const char *want, *got;
#define CMP(what, w, g)                                                                            \
    do {                                                                                           \
        want = (w), got = (g);                                                                     \
        if (strcmp(want, got)) {                                                                   \
            printf("#   %s(%s): python %s, C %s\n", what, s, want, got);                           \
            t_failed_checks++, bad++;                                                              \
        }                                                                                          \
    } while (0)
        af_value *v = af_map_get(r, "date");
        char sb[32];
        int ok = xlsx_iso_date(s, len, &dt);
        if (ok) xlsx_num_text(xlsx_dt_serial(&dt), sb);
        CMP("date", v->type == AF_NULL ? "-" : v->u.s.ptr, ok ? sb : "-");
        v = af_map_get(r, "dt");
        size_t l2 = len && s[len - 1] == 'Z' ? len - 1 : len;
        ok = xlsx_iso_datetime(s, l2, &dt);
        if (ok) xlsx_num_text(xlsx_dt_serial(&dt), sb);
        CMP("datetime", v->type == AF_NULL ? "-" : v->u.s.ptr, ok ? sb : "-");
        if (ok) CMP("tz", af_truthy(af_map_get(r, "tz")) ? "1" : "0", dt.tz ? "1" : "0");
        v = af_map_get(r, "int");
        ok = xlsx_py_int(s, len, &d);
        CMP("int", v->type == AF_NULL ? "-" : v->u.s.ptr, ok ? num17(a, d) : "-");
        v = af_map_get(r, "float");
        ok = xlsx_py_float(s, len, &d);
        CMP("float", v->type == AF_NULL ? "-" : v->u.s.ptr, ok ? num17(a, d) : "-");
        xlsx_val x;
        xlsx_cast_text(s, len, XLSX_DT_BOOL, &x);
        v = af_map_get(r, "bool");
        CMP("bool",
            v->type == AF_NULL ? (len ? "str" : "none")
            : v->u.b           ? "1"
                               : "0",
            x.kind == XLSX_V_BOOL   ? (x.num ? "1" : "0")
            : x.kind == XLSX_V_NONE ? "none"
                                    : "str");
        /* basic */
        xlsx_cast_basic(s, len, &x);
        af_value *bv = af_map_get(r, "basic");
        const char *kind = bv->u.list.items[0]->u.s.ptr;
        af_value *val = bv->u.list.items[1];
        const char *gk = x.kind == XLSX_V_NONE       ? "none"
                         : x.kind == XLSX_V_BOOL     ? "bool"
                         : x.kind == XLSX_V_NUM      ? "num"
                         : x.kind == XLSX_V_DATE     ? "date"
                         : x.kind == XLSX_V_DATETIME ? "datetime"
                                                     : "str";
        CMP("basic kind", kind, gk);
        if (!strcmp(kind, gk) && !strcmp(kind, "num"))
            CMP("basic num", val->u.s.ptr, num17(a, x.num));
        if (!strcmp(kind, gk) && (!strcmp(kind, "date") || !strcmp(kind, "datetime"))) {
            xlsx_num_text(x.num, sb);
            CMP("basic date", val->u.s.ptr, sb);
        }
#undef CMP
    }
    T_CHECK(in->u.list.n > 2000);
    af_arena_free(a);
}

static void norm(void)
{
    af_arena *a = af_arena_new();
    T_STREQ(xlsx_norm(a, "  QIP\xc2\xa0  ANCHOR\t\n", 17, 0), "QIP ANCHOR");
    T_STREQ(xlsx_norm(a, "\xe3\x80\x80qip_anchor\xe2\x80\x83", 16, 1), "QIP_ANCHOR");
    T_STREQ(xlsx_norm(a, "", 0, 1), "");
    af_arena_free(a);
}

int main(void)
{
    T_RUN(differential);
    T_RUN(norm);
    T_END();
}
