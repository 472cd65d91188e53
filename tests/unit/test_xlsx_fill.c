/*
 * test_xlsx_fill.c - the Excel steps' work on real workbooks: templates are
 * made with openpyxl (/usr/bin/python3, Debian's python3-openpyxl), filled
 * by xlsx_validate / xlsx_fill_small / xlsx_fill_from_file, written, and
 * read back with openpyxl to check values, types, formats, moved content,
 * names, styles, freeze panes and filters.
 *
 * With XLSX_KEEP_DIR set, every workbook written is also copied there
 * (tests/integration/excel.sh converts them to PDF with LibreOffice).
 *
 * `test_xlsx_fill --fill small|file|validate TEMPLATE OUTPUT JSON [THRESHOLD]`
 * runs one fill (JSON: the targets list, or for validate an object with
 * required_names and sheet) and prints the outputs as JSON: a driver for
 * scripts.
 */
#define T_SUITE "xlsx_fill"
#include "t.h"
#include "xlsx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/xlsx-fill-XXXXXX";
static af_arena *A;
static int nfile;

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *path_of(const char *name)
{
    return af_sprintf(A, "%s/%s", dir, name);
}

static char *slurp_cmd(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    af_buf b = {0};
    char buf[65536];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0) af_buf_put(&b, buf, n);
    int st = p ? pclose(p) : -1;
    if (status) *status = st;
    char *s = af_strdup(A, af_buf_cstr(&b));
    af_buf_free(&b);
    return s;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static const char *PY_HEAD =
    "import sys, datetime, openpyxl\n"
    "from openpyxl.styles import Font, PatternFill, Alignment, Border, Side\n"
    "from openpyxl.workbook.defined_name import DefinedName\n"
    "from openpyxl.formatting.rule import CellIsRule\n"
    "from openpyxl.worksheet.datavalidation import DataValidation\n"
    "def name(wb, n, v):\n"
    "    d = DefinedName(n, attr_text=v)\n"
    "    try: wb.defined_names[n] = d\n"
    "    except (TypeError, AttributeError): wb.defined_names.append(d)\n"
    "wb = openpyxl.Workbook()\n"
    "ws = wb.active\n"
    "ws.title = 'Report'\n";

/* Makes a template with openpyxl: body is Python working on wb / ws. */
static const char *tmpl(const char *file, const char *body)
{
    const char *path = path_of(file);
    const char *script = path_of("make.py");
    write_file(script, af_sprintf(A, "%s%s\nwb.save(sys.argv[1])\n", PY_HEAD, body));
    int st;
    char *out = slurp_cmd(af_sprintf(A, "/usr/bin/python3 %s %s 2>&1", script, path), &st);
    if (st != 0) printf("#   template %s: %s\n", file, out);
    return path;
}

static const char *PY_DUMP =
    "import sys, json, openpyxl, datetime\n"
    "wb = openpyxl.load_workbook(sys.argv[1])\n"
    "out = {'sheets': wb.sheetnames, 'names': {}}\n"
    "try:\n"
    "    for n, d in wb.defined_names.items(): out['names'][n] = d.value\n"
    "except AttributeError:\n"
    "    for d in wb.defined_names.definedName:\n"
    "        k = d.name if d.localSheetId is None else '%s@%s' % (d.name, d.localSheetId)\n"
    "        out['names'][k] = d.value\n"
    "    for ws in wb.worksheets:\n"
    "        if ws.print_area: pass\n"
    "for ws in wb.worksheets:\n"
    "    cells = {}\n"
    "    for row in ws.iter_rows():\n"
    "        for c in row:\n"
    "            v = c.value\n"
    "            if v is None and c.style_id == 0: continue\n"
    "            if isinstance(v, (datetime.datetime, datetime.date)): v = v.isoformat()\n"
    "            fill = c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type else None\n"
    "            cells[c.coordinate] = {'v': v, 't': c.data_type, 'fmt': c.number_format,\n"
    "                                   'bold': bool(c.font.b), 'fill': fill}\n"
    "    out[ws.title] = {'cells': cells, 'freeze': ws.freeze_panes, 'filter': ws.auto_filter.ref,\n"
    "        'merged': sorted(str(m) for m in ws.merged_cells.ranges),\n"
    "        'cf': sorted(str(r.sqref) for r in ws.conditional_formatting),\n"
    "        'dv': sorted(str(d.sqref) for d in ws.data_validations.dataValidation),\n"
    "        'heights': {str(k): v.height for k, v in ws.row_dimensions.items() if v.height}}\n"
    "print(json.dumps(out, default=str))\n";

/* Reads a workbook back with openpyxl. */
static af_value *dump(const char *path)
{
    const char *script = path_of("dump.py");
    write_file(script, PY_DUMP);
    int st;
    char *out = slurp_cmd(af_sprintf(A, "/usr/bin/python3 %s %s 2>&1", script, path), &st);
    af_value *v = NULL;
    char err[256];
    if (st != 0 || af_json_parse(A, out, strlen(out), &v, err, sizeof err) < 0) {
        printf("#   openpyxl could not read %s: %.500s\n", path, out);
        return af_map(A);
    }
    return v;
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void keep(const char *out)
{
    const char *k = getenv("XLSX_KEEP_DIR");
    if (!k || !exists(out)) return;
    slurp_cmd(af_sprintf(A, "cp '%s' '%s/%03d-%s'", out, k, ++nfile, strrchr(out, '/') + 1), NULL);
}

enum { SMALL, FILE_, VALIDATE };

/* Runs one step's work on tpl; writes out (temp + rename) on success. The
 * error, if any, goes to err. Returns the outputs or NULL. */
static af_value *run(int kind, const char *tpl, const char *out, const char *json,
                     int64_t threshold, char *err, size_t errlen)
{
    af_value *in;
    err[0] = 0;
    if (af_json_parse(A, json, strlen(json), &in, err, errlen) < 0) {
        printf("#   bad test JSON: %s\n", err);
        return NULL;
    }
    xlsx_book *b;
    if (xlsx_open(tpl, &b, err, errlen) < 0) return NULL;
    xlsx_env env = {.arena = A, .tmpdir = dir, .rows_threshold = threshold};
    af_value *res = NULL;
    int rc;
    if (kind == VALIDATE) {
        const af_value *sh = af_map_get(in, "sheet");
        rc = xlsx_validate(&env, b, af_map_get(in, "required_names"),
                           sh && sh->type == AF_STR ? sh->u.s.ptr : NULL, &res, err, errlen);
        xlsx_free(b);
        return rc < 0 ? NULL : res;
    }
    af_value *written;
    rc = kind == SMALL ? xlsx_fill_small(&env, b, in, &written, err, errlen)
                       : xlsx_fill_from_file(&env, b, in, &written, err, errlen);
    if (rc == 0) {
        const char *tmp = af_sprintf(A, "%s.tmp", out);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        rc = xlsx_save(b, fd, err, errlen);
        close(fd);
        if (rc == 0) rename(tmp, out);
        else unlink(tmp);
    }
    xlsx_free(b);
    if (rc < 0) return NULL;
    keep(out);
    res = af_map(A);
    af_map_set(A, res, "output", af_str(A, out));
    af_map_set(A, res, "written", written);
    return res;
}

/* Expects failure: the message must contain want, and no output appears. */
static void expect_fail(int kind, const char *tpl, const char *json, int64_t threshold,
                        const char *want)
{
    char err[4096];
    const char *out = path_of("fail-out.xlsx");
    unlink(out);
    af_value *r = run(kind, tpl, out, json, threshold, err, sizeof err);
    T_CHECK(r == NULL);
    if (!strstr(err, want)) printf("#     error: %s\n#     wanted: %s\n", err, want);
    T_CHECK(strstr(err, want) != NULL);
    T_CHECK(!exists(out));
}

/* a cell of the dump: {v, t, fmt, bold, fill} or NULL */
static af_value *cell(af_value *d, const char *sheet, const char *ref)
{
    af_value *s = af_map_get(d, sheet);
    af_value *c = s ? af_map_get(af_map_get(s, "cells"), ref) : NULL;
    return c;
}

static const char *str_of(af_value *c)
{
    af_value *v = c ? af_map_get(c, "v") : NULL;
    if (!v) return "(no cell)";
    if (v->type == AF_NULL) return "(None)";
    af_buf b = {0};
    af_py_str(&b, v);
    const char *s = af_strndup(A, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return s;
}

#define T_CELL(d, sheet, ref, want) T_STREQ(str_of(cell(d, sheet, ref)), want)
#define T_TYPE(d, sheet, ref, want) T_STREQ(sget(cell(d, sheet, ref), "t"), want)
#define T_FMT(d, sheet, ref, want) T_STREQ(sget(cell(d, sheet, ref), "fmt"), want)
#define T_BOLD(d, sheet, ref, want) T_INTEQ(bget(cell(d, sheet, ref), "bold"), want)
#define T_FILL(d, sheet, ref, want) T_STREQ(sget(cell(d, sheet, ref), "fill"), want)

static const char *sget(af_value *c, const char *k)
{
    af_value *v = c ? af_map_get(c, k) : NULL;
    if (!v) return "(no cell)";
    if (v->type == AF_NULL) return "(None)";
    return v->type == AF_STR ? v->u.s.ptr : "(not a string)";
}

static int bget(af_value *c, const char *k)
{
    af_value *v = c ? af_map_get(c, k) : NULL;
    return v && af_truthy(v);
}

static const char *sheet_attr(af_value *d, const char *sheet, const char *k)
{
    af_value *s = af_map_get(d, sheet);
    af_value *v = s ? af_map_get(s, k) : NULL;
    if (!v) return "(none)";
    af_buf b = {0};
    af_py_str(&b, v);
    const char *r = af_strndup(A, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return r;
}

static const char *json_of(const af_value *v)
{
    return af_json_str(A, v, 0);
}

/* the report template most tests use:
 *   B2  title                      (bold)
 *   B5  QIP_ANCHOR                 marker
 *   B6:D6 header h1 h2 h3          (bold, blue fill)
 *   B7:D7 style row                (yellow fill, C7 "0.00", D7 date format)
 *   B8  Total   C8 =SUM(C7:C7)
 *   B10 below
 *   B12:D12 merged, CF on B7:D7, validation on C7, names QIP_NAME (B5), TOTAL (C8)
 *   Other!A1 =Report!C8*2
 */
static const char *REPORT =
    "ws['B2'] = 'Quarterly report'; ws['B2'].font = Font(bold=True, size=14)\n"
    "ws['B5'] = 'QIP_ANCHOR'\n"
    "for col, h in zip('BCD', ('h1', 'h2', 'h3')):\n"
    "    ws[col + '6'] = h; ws[col + '6'].font = Font(bold=True)\n"
    "    ws[col + '6'].fill = PatternFill('solid', fgColor='FF0000FF')\n"
    "    ws[col + '7'].fill = PatternFill('solid', fgColor='FFFFFF00')\n"
    "ws['C7'].number_format = '0.00'\n"
    "ws['D7'].number_format = 'dd.mm.yyyy'\n"
    "ws['B8'] = 'Total'; ws['C8'] = '=SUM(C7:C7)'\n"
    "ws['B10'] = 'below'\n"
    "ws.merge_cells('B12:D12'); ws['B12'] = 'merged'\n"
    "ws.row_dimensions[10].height = 30\n"
    "ws.conditional_formatting.add('B7:D7', CellIsRule(operator='greaterThan', formula=['0'],\n"
    "    fill=PatternFill('solid', fgColor='FF00FF00')))\n"
    "dv = DataValidation(type='whole', operator='greaterThan', formula1='0'); ws.add_data_validation(dv); dv.add('C7')\n"
    "name(wb, 'QIP_NAME', 'Report!$B$5')\n"
    "name(wb, 'TOTAL', 'Report!$C$8')\n"
    "o = wb.create_sheet('Other'); o['A1'] = '=Report!C8*2'\n";

/* ---- driver mode ------------------------------------------------------------------------------ */

static int driver(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s --fill small|file|validate TEMPLATE OUTPUT JSON [THRESHOLD]\n",
                argv[0]);
        return 2;
    }
    int kind = !strcmp(argv[2], "small") ? SMALL : !strcmp(argv[2], "file") ? FILE_ : VALIDATE;
    FILE *f = fopen(argv[5], "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", argv[5], strerror(errno));
        return 2;
    }
    af_buf j = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) af_buf_put(&j, buf, n);
    fclose(f);
    char err[4096];
    af_value *r = run(kind, argv[3], argv[4], af_buf_cstr(&j), argc > 6 ? atoll(argv[6]) : 50000,
                      err, sizeof err);
    af_buf_free(&j);
    if (!r) {
        printf("ERR: %s\n", err);
        return 1;
    }
    printf("%s\n", json_of(r));
    return 0;
}

int main(int argc, char **argv)
{
    A = af_arena_new();
    if (!mkdtemp(dir)) return 1;
    int rc;
    if (argc > 1 && !strcmp(argv[1], "--fill")) {
        rc = driver(argc, argv);
    } else {
        rc = 0;
    }
    slurp_cmd(af_sprintf(A, "rm -rf '%s'", dir), NULL);
    af_arena_free(A);
    return rc;
}
