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
#include "../../stdlib-steps/xlsx.h" /* the Excel layer is internal to stdlib-steps */

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
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0)
        af_buf_put(&b, buf, n);
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

/* Makes a template with openpyxl: body is Python working on wb / ws; post
 * (may be NULL) runs after the save, with the path in `path`. */
static const char *tmpl_post(const char *file, const char *body, const char *post)
{
    const char *path = path_of(file);
    const char *script = path_of("make.py");
    write_file(script, af_sprintf(A, "%s%s\nwb.save(sys.argv[1])\npath = sys.argv[1]\n%s\n",
                                  PY_HEAD, body, post ? post : ""));
    int st;
    char *out = slurp_cmd(af_sprintf(A, "/usr/bin/python3 %s %s 2>&1", script, path), &st);
    if (st != 0) printf("#   template %s: %s\n", file, out);
    return path;
}

static const char *tmpl(const char *file, const char *body)
{
    return tmpl_post(file, body, NULL);
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
    "    out[ws.title] = {'cells': cells, 'freeze': ws.freeze_panes, 'filter': "
    "ws.auto_filter.ref,\n"
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

static const char *PY_PICK =
    "import sys, json, openpyxl, datetime\n"
    "wb = openpyxl.load_workbook(sys.argv[1], read_only=False)\n"
    "ws = wb[sys.argv[2]]\n"
    "cells = {}\n"
    "for ref in sys.argv[3].split():\n"
    "    c = ws[ref]; v = c.value\n"
    "    if isinstance(v, (datetime.datetime, datetime.date)): v = v.isoformat()\n"
    "    cells[ref] = {'v': v, 't': c.data_type, 'fmt': c.number_format}\n"
    "print(json.dumps({sys.argv[2]: {'cells': cells, 'freeze': ws.freeze_panes,\n"
    "    'filter': ws.auto_filter.ref}}))\n";

/* Reads a few cells of a big sheet back with openpyxl. */
static af_value *dump_pick(const char *path, const char *sheet, const char *refs)
{
    const char *script = path_of("pick.py");
    write_file(script, PY_PICK);
    int st;
    char *out = slurp_cmd(
        af_sprintf(A, "/usr/bin/python3 %s %s '%s' '%s' 2>&1", script, path, sheet, refs), &st);
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
        if (rc == 0)
            rename(tmp, out);
        else
            unlink(tmp);
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
    "dv = DataValidation(type='whole', operator='greaterThan', formula1='0'); "
    "ws.add_data_validation(dv); dv.add('C7')\n"
    "name(wb, 'QIP_NAME', 'Report!$B$5')\n"
    "name(wb, 'TOTAL', 'Report!$C$8')\n"
    "o = wb.create_sheet('Other'); o['A1'] = '=Report!C8*2'\n";

/* ---- excel_validate_template ------------------------------------------------------------- */

static void validate_names_and_anchors(void)
{
    const char *tpl = tmpl("v.xlsx", REPORT);
    char err[4096];
    af_value *r = run(VALIDATE, tpl, NULL,
                      "{\"required_names\": [\"TOTAL\", \"QIP_ANCHOR\", \" Quarterly  report \", "
                      "\"QIP_NAME\"]}",
                      0, err, sizeof err);
    T_CHECK(r != NULL);
    if (!r) return;
    T_STREQ(json_of(r), "{\"template_ok\": true, \"found_named_ranges\": [\"QIP_NAME\", "
                        "\"TOTAL\"], \"found_anchor_cells\": [\" Quarterly  report \", "
                        "\"QIP_ANCHOR\"]}");
    /* a JSON string, and a single name */
    r = run(VALIDATE, tpl, NULL, "{\"required_names\": \"[\\\"h3\\\"]\"}", 0, err, sizeof err);
    T_STREQ(r ? json_of(af_map_get(r, "found_anchor_cells")) : err, "[\"h3\"]");
    r = run(VALIDATE, tpl, NULL, "{\"required_names\": \"TOTAL\"}", 0, err, sizeof err);
    T_STREQ(r ? json_of(af_map_get(r, "found_named_ranges")) : err, "[\"TOTAL\"]");
}

static void validate_missing(void)
{
    const char *tpl = tmpl("v.xlsx", REPORT);
    expect_fail(VALIDATE, tpl, "{\"required_names\": [\"TOTAL\", \"NOPE\", \"qip_anchor\"]}", 0,
                "Template missing named ranges or anchor cells: ['NOPE', 'qip_anchor'] "
                "['TOTAL', 'NOPE', 'qip_anchor']");
    /* sheet limits the anchor search, not the names */
    expect_fail(VALIDATE, tpl, "{\"required_names\": [\"QIP_ANCHOR\"], \"sheet\": \"Other\"}", 0,
                "Template missing named ranges or anchor cells: ['QIP_ANCHOR'] ['QIP_ANCHOR']");
    expect_fail(VALIDATE, tpl, "{\"required_names\": [\"TOTAL\"], \"sheet\": \"Nope\"}", 0,
                "Sheet not found: Nope");
    expect_fail(VALIDATE, tpl, "{\"required_names\": \"{\\\"a\\\": 1}\"}", 0,
                "required_names must be a list of strings {'a': 1}");
    expect_fail(VALIDATE, path_of("missing.xlsx"), "{\"required_names\": \"X\"}", 0,
                "[Errno 2] No such file or directory:");
}

/* ---- excel_fill_small ------------------------------------------------------------------------ */

static const char *QIP_ROWS =
    "\"columns_json\": \"[\\\"x\\\", \\\"y\\\", \\\"d\\\"]\", "
    "\"rows_json\": \"[[\\\"a\\\", 1, \\\"2024-01-05\\\"], [\\\"b\\\", 2.5, \\\"2024-02-01\\\"], "
    "[\\\"c\\\", -3, \\\"bad\\\"]]\", "
    "\"dtypes_json\": \"{\\\"y\\\": \\\"float\\\", \\\"d\\\": \\\"date\\\"}\"";

static void small_insert_below_shifts(void)
{
    const char *tpl = tmpl("r.xlsx", REPORT), *out = path_of("small1.xlsx");
    char err[4096];
    af_value *r = run(SMALL, tpl, out,
                      af_sprintf(A,
                                 "[{\"name\": \"qip\", \"anchor\": \"QIP_ANCHOR\", "
                                 "\"insert\": \"below\", \"header_mode\": \"override\", %s}]",
                                 QIP_ROWS),
                      0, err, sizeof err);
    if (!r) printf("#   %s\n", err);
    T_CHECK(r != NULL);
    if (!r) return;
    T_STREQ(json_of(af_map_get(r, "written")),
            "[{\"name\": \"qip\", \"sheet\": \"Report\", \"rows\": 4, \"cols\": 3, \"insert\": "
            "\"below\", \"header_mode\": \"override\", \"header_style\": \"template\", "
            "\"type_cast\": \"schema\", \"style_mode\": \"none\", \"start_cell\": [6, 2], "
            "\"template_has_header\": true}]");
    af_value *d = dump(out);
    /* the header row stays where it was, new text, template format */
    T_CELL(d, "Report", "B6", "x");
    T_CELL(d, "Report", "D6", "d");
    T_BOLD(d, "Report", "B6", 1);
    T_FILL(d, "Report", "C6", "FF0000FF");
    /* data below it, typed */
    T_CELL(d, "Report", "B7", "a");
    T_CELL(d, "Report", "C7", "1");
    T_TYPE(d, "Report", "C7", "n");
    T_CELL(d, "Report", "C8", "2.5");
    T_CELL(d, "Report", "D7", "2024-01-05T00:00:00");
    T_FMT(d, "Report", "D7", "yyyy-mm-dd");
    T_CELL(d, "Report", "D9", "bad");
    T_TYPE(d, "Report", "D9", "s");
    /* everything under the region moved down three rows */
    T_CELL(d, "Report", "B11", "Total");
    T_CELL(d, "Report", "C11", "=SUM(C10:C10)");
    T_CELL(d, "Report", "B13", "below");
    T_CELL(d, "Report", "B10", "(None)");
    T_FILL(d, "Report", "C10", "FFFFFF00"); /* the template's style row, pushed down */
    T_STREQ(sheet_attr(d, "Report", "merged"), "['B15:D15']");
    T_STREQ(sheet_attr(d, "Report", "cf"), "['B10:D10']");
    T_STREQ(sheet_attr(d, "Report", "dv"), "['C10']");
    T_STREQ(sheet_attr(d, "Report", "heights"), "{'13': 30.0}");
    T_STREQ(json_of(af_map_get(d, "names")),
            "{\"QIP_NAME\": \"Report!$B$5\", \"TOTAL\": \"Report!$C$11\"}");
    T_CELL(d, "Other", "A1", "=Report!C11*2");
    T_CELL(d, "Report", "B2", "Quarterly report");
}

static void small_replace_copies_style(void)
{
    const char *tpl = tmpl("r.xlsx", REPORT), *out = path_of("small2.xlsx");
    char err[4096];
    af_value *r = run(SMALL, tpl, out,
                      af_sprintf(A,
                                 "[{\"anchor\": \"QIP_ANCHOR\", \"header_mode\": \"append\", "
                                 "\"style_mode\": \"copy_row\", \"anchor_clear\": true, %s}]",
                                 QIP_ROWS),
                      0, err, sizeof err);
    T_CHECK(r != NULL);
    if (!r) return;
    af_value *d = dump(out);
    T_CELL(d, "Report", "B5", "(no cell)"); /* anchor_clear */
    /* rows 7..9 replace: the style row (7) is copied onto every data row; the
     * date written into D7 makes D7 a date cell, and later rows copy that */
    T_FILL(d, "Report", "B8", "FFFFFF00");
    T_FILL(d, "Report", "D9", "FFFFFF00");
    T_FMT(d, "Report", "C8", "0.00");
    T_FMT(d, "Report", "D7", "dd.mm.yyyy"); /* already a date format: kept */
    T_FMT(d, "Report", "D8", "dd.mm.yyyy");
    T_CELL(d, "Report", "C9", "-3");
    /* replace wrote over the Total row */
    T_CELL(d, "Report", "B9", "c");
    T_CELL(d, "Report", "C8", "2.5");
    T_CELL(d, "Report", "B10", "below");
}

static void small_cell_and_basic_cast(void)
{
    const char *tpl = tmpl("r.xlsx", REPORT), *out = path_of("small3.xlsx");
    char err[4096];
    af_value *r = run(SMALL, tpl, out,
                      "[{\"sheet\": \"Other\", \"cell\": \"B3\", \"type_cast\": \"basic\", "
                      "\"header_mode\": \"append\", \"columns_json\": [\"k\", \"v\"], "
                      "\"rows_json\": [[\"true\", \"42\"], [\"0\", \"-5\"], [\"1.5e3\", "
                      "\"2024-01-05\"], [\"007\", \"2024-01-05 10:30\"], [null, \"=A1\"]]}]",
                      0, err, sizeof err);
    T_CHECK(r != NULL);
    if (!r) return;
    af_value *d = dump(out);
    T_CELL(d, "Other", "B3", "k"); /* cell targets: no template header, header at r0 */
    T_CELL(d, "Other", "B4", "True");
    T_TYPE(d, "Other", "B4", "b");
    T_CELL(d, "Other", "C4", "42");
    T_TYPE(d, "Other", "C4", "n");
    T_CELL(d, "Other", "B5", "False");
    T_CELL(d, "Other", "C5", "-5"); /* "-5" is not isdigit(): stays text */
    T_TYPE(d, "Other", "C5", "s");
    T_CELL(d, "Other", "B6", "1500"); /* 1500.0 written as %.16g reads back as 1500 */
    T_CELL(d, "Other", "C6", "2024-01-05T00:00:00"); /* datetime.fromisoformat wins */
    T_FMT(d, "Other", "C6", "yyyy-mm-dd h:mm:ss");
    T_CELL(d, "Other", "B7", "007");
    T_CELL(d, "Other", "C7", "2024-01-05T10:30:00");
    T_CELL(d, "Other", "C8", "=A1");
    T_TYPE(d, "Other", "C8", "f");
}

static void small_named_range(void)
{
    const char *tpl =
        tmpl("n.xlsx", "ws['C20'] = 'old'; name(wb, 'DATA_AT', 'Report!$C$20:$E$30')\n"
                       "ws['C25'] = 'after'\n");
    const char *out = path_of("small4.xlsx");
    char err[4096];
    af_value *r =
        run(SMALL, tpl, out,
            "[{\"anchor\": \"DATA_AT\", \"insert\": \"below\", \"header_mode\": \"override\", "
            "\"columns_json\": [\"a\", \"b\"], \"rows_json\": [[1, 2], [3, 4]]}]",
            0, err, sizeof err);
    T_CHECK(r != NULL);
    if (!r) return;
    T_STREQ(json_of(af_map_get(af_map_get(r, "written")->u.list.items[0], "start_cell")),
            "[20, 3]");
    af_value *d = dump(out);
    /* a named range is not a marker and has no template header: the block
     * (header + 2 rows) is inserted at the named cell */
    T_CELL(d, "Report", "C20", "a");
    T_CELL(d, "Report", "D22", "4");
    T_CELL(d, "Report", "C23", "old");
    T_CELL(d, "Report", "C28", "after");
    T_STREQ(json_of(af_map_get(d, "names")), "{\"DATA_AT\": \"Report!$C$23:$E$33\"}");
}

static void small_guards(void)
{
    const char *tpl = tmpl("r.xlsx", REPORT);
    expect_fail(SMALL, tpl, "[{\"anchor\": \"QIP_ANCHOR\", \"cell\": \"A1\", \"rows_json\": []}]",
                0, "excel_fill_small target=target: must set exactly one of anchor OR cell");
    expect_fail(SMALL, tpl,
                "[{\"name\": \"t\", \"anchor\": \"QIP_ANCHOR\", \"rows_json\": [[1]], "
                "\"row_count\": 5, \"max_rows\": 2}]",
                0, "excel_fill_small target=t: row_count=5 exceed max_rows=2");
    expect_fail(SMALL, tpl,
                "[{\"anchor\": \"QIP_ANCHOR\", \"rows_json\": [[1], [2], [3]], \"max_rows\": 2}]",
                0, "excel_fill_small target=target: data rows exceed max_rows=2");
    expect_fail(SMALL, tpl,
                "[{\"anchor\": \"QIP_ANCHOR\", \"rows_json\": [[1], [2]], \"columns_json\": "
                "[\"a\"], \"header_mode\": \"append\", \"max_total_rows\": 2}]",
                0, "excel_fill_small target=target: total rows exceed max_total_rows=2");
    expect_fail(SMALL, tpl,
                "[{\"anchor\": \"QIP_ANCHOR\", \"rows_json\": [[1, 2, 3]], \"max_cols\": 2}]", 0,
                "excel_fill_small target=target: cols exceed max_cols=2");
    expect_fail(SMALL, tpl, "[{\"anchor\": \"QIP_ANCHOR\", \"rows_json\": \"nope\"}]", 0,
                "excel_fill_small target=target: rows_json must be valid JSON");
    expect_fail(SMALL, tpl, "[{\"cell\": \"B3\", \"rows_json\": [[1]]}]", 0,
                "Excel target requires sheet when using cell like 'A1' (set sheet or use "
                "'Sheet!A1')");
    expect_fail(SMALL, tpl, "[{\"cell\": \"Nope!B3\", \"rows_json\": [[1]]}]", 0,
                "Worksheet Nope does not exist.");
    expect_fail(SMALL, tpl, "[{\"anchor\": \"QIP_ANCHOR\", \"rows_json\": [[[1, 2]]]}]", 0,
                "Cannot convert [1, 2] to Excel");
    expect_fail(SMALL, tpl,
                "[{\"anchor\": \"QIP_ANCHOR\", \"rows_json\": [[1]], \"insert\": \"up\"}]", 0,
                "excel_fill_small target=target: invalid insert=up");
    expect_fail(SMALL, tpl, "[{\"anchor\": \"NOPE_ANCHOR\", \"rows_json\": [[1]]}]", 0,
                "Excel anchor not found: 'NOPE_ANCHOR'. Workbook sheets=['Report', 'Other']. "
                "ANCHOR-like cells(sample)=[\"Report!B5='QIP_ANCHOR'\"]");
    expect_fail(SMALL, tpl,
                "[{\"name\": \"a\", \"sheet\": \"Report\", \"cell\": \"B20\", \"rows_json\": "
                "[[1, 2], [3, 4]]}, {\"name\": \"b\", \"sheet\": \"Report\", \"cell\": \"C21\", "
                "\"rows_json\": [[1]]}]",
                0,
                "excel_fill_small targets overlap: name=b sheet=Report rect=('Report', 21, 3, 21, "
                "3) prev=('Report', 20, 2, 21, 3)");
    expect_fail(SMALL, tpl, "[{\"anchor\": \"QIP_ANCHOR\", \"rows_json\": [[\"a\\u0001b\"]]}]", 0,
                "cell B7: string holds a character Excel cannot store (U+0001)");
}

static void enterprise_needs_sheet(void)
{
    const char *tpl = tmpl("r.xlsx", REPORT);
    af_value *in;
    char err[4096];
    const char *j = "[{\"anchor\": \"QIP_ANCHOR\", \"rows_json\": [[1]]}]";
    af_json_parse(A, j, strlen(j), &in, err, sizeof err);
    xlsx_book *b;
    T_INTEQ(xlsx_open(tpl, &b, err, sizeof err), 0);
    xlsx_env env = {.arena = A, .tmpdir = dir, .enterprise = 1};
    af_value *w;
    T_INTEQ(xlsx_fill_small(&env, b, in, &w, err, sizeof err), -1);
    T_STREQ(err, "Excel anchor text search requires 'sheet' in enterprise mode. Use named range "
                 "or set sheet.");
    xlsx_free(b);
}

static void insertion_moves_everything(void)
{
    /* shared formulas (written by hand: openpyxl cannot), a table, a comment
     * and a hyperlink all sit at or below the insertion point */
    const char *tpl = tmpl_post(
        "x.xlsx",
        "from openpyxl.worksheet.table import Table\n"
        "from openpyxl.comments import Comment\n"
        "for i in range(1, 21): ws.cell(row=i, column=1, value=i)\n"
        "ws['D1'] = 'k'; ws['E1'] = 'v'\n"
        "for i in range(2, 7): ws.cell(row=i, column=4, value='k%d' % i); ws.cell(row=i, column=5, "
        "value=i)\n"
        "ws.add_table(Table(displayName='T1', ref='D1:E6'))\n"
        "ws['A10'].comment = Comment('look here', 'afc')\n"
        "from openpyxl.worksheet.hyperlink import Hyperlink\n"
        "ws['A12'].hyperlink = Hyperlink(ref='A12', location='Report!A15')\n"
        "ws['B1'] = 'SHARED'\n"
        "ws.print_area = 'A1:E20'\n",
        "import zipfile, re\n"
        "zin = zipfile.ZipFile(path); items = [(i, zin.read(i.filename)) for i in zin.infolist()]\n"
        "zin.close(); z = zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED)\n"
        "for i, d in items:\n"
        "    if i.filename == 'xl/worksheets/sheet1.xml':\n"
        "        d = re.sub(rb'<c r=\"B1\"[^>]*>.*?</c>', b'<c r=\"B1\"><f t=\"shared\" "
        "ref=\"B1:B20\" si=\"0\">A1*2</f></c>', d)\n"
        "        for r in range(2, 21):\n"
        "            d = d.replace(b'<c r=\"A%d\" t=\"n\"><v>%d</v></c>' % (r, r),\n"
        "                b'<c r=\"A%d\" t=\"n\"><v>%d</v></c><c r=\"B%d\"><f t=\"shared\" "
        "si=\"0\"/></c>' % (r, r, r))\n"
        "    z.writestr(i, d)\n"
        "z.close()\n");
    const char *out = path_of("moves.xlsx");
    char err[4096];
    af_value *r = run(SMALL, tpl, out,
                      "[{\"sheet\": \"Report\", \"cell\": \"A5\", \"insert\": \"below\", "
                      "\"rows_json\": [[\"new1\"], [\"new2\"]]}]",
                      0, err, sizeof err);
    if (!r) printf("#   %s\n", err);
    T_CHECK(r != NULL);
    if (!r) return;
    af_value *d = dump(out);
    T_CELL(d, "Report", "A5", "new1");
    T_CELL(d, "Report", "A7", "5");
    T_CELL(d, "Report", "B3", "=A3*2");
    T_CELL(d, "Report", "B5", "(no cell)"); /* inserted rows are empty */
    T_CELL(d, "Report", "B7", "=A7*2");     /* the old B5, expanded from the shared formula */
    T_CELL(d, "Report", "B22", "=A22*2");
    T_CELL(d, "Report", "E8", "6"); /* last table row */
    int st;
    char *x = slurp_cmd(af_sprintf(A,
                                   "unzip -p '%s' xl/tables/table1.xml xl/comments/comment1.xml "
                                   "xl/worksheets/sheet1.xml xl/workbook.xml",
                                   out),
                        &st);
    T_CHECK(strstr(x, "ref=\"D1:E8\"") != NULL);        /* the table grew around the rows */
    T_CHECK(strstr(x, "<comment ref=\"A12\"") != NULL); /* the comment moved with its cell */
    T_CHECK(strstr(x, "ref=\"A14\" location=") != NULL);
    T_CHECK(strstr(x, "location=\"Report!A17\"") != NULL);
    T_CHECK(strstr(x, "'Report'!$A$1:$E$22") != NULL); /* print area */
    T_CHECK(strstr(x, "t=\"shared\"") == NULL);
}

static void bad_templates(void)
{
    /* not a zip, a zip without a workbook, a sheet that is not XML, a cell
     * outside the sheet: clear errors, no crash, no output */
    const char *notzip = path_of("notzip.xlsx");
    write_file(notzip, "this is not a workbook");
    expect_fail(SMALL, notzip, "[]", 0, "not an Excel workbook");
    const char *mk = path_of("mkbad.py");
    write_file(
        mk,
        "import sys, zipfile\n"
        "z = zipfile.ZipFile(sys.argv[1], 'w'); z.writestr('hello.txt', 'x'); z.close()\n"
        "import openpyxl\n"
        "wb = openpyxl.Workbook(); wb.active['A1'] = 'QIP_ANCHOR'; wb.save(sys.argv[2])\n"
        "def patch(src, dst, part, old, new):\n"
        "    zin = zipfile.ZipFile(src); z = zipfile.ZipFile(dst, 'w')\n"
        "    for i in zin.infolist():\n"
        "        d = zin.read(i.filename)\n"
        "        if i.filename == part: d = d.replace(old, new)\n"
        "        z.writestr(i, d)\n"
        "    z.close()\n"
        "patch(sys.argv[2], sys.argv[3], 'xl/worksheets/sheet1.xml', b'</worksheet>', b'<oops>')\n"
        "patch(sys.argv[2], sys.argv[4], 'xl/worksheets/sheet1.xml', b'r=\"A1\"', "
        "b'r=\"A99999999\"')\n");
    const char *nowb = path_of("nowb.xlsx"), *good = path_of("good.xlsx"),
               *badxml = path_of("badxml.xlsx"), *badref = path_of("badref.xlsx");
    int st;
    char *o = slurp_cmd(
        af_sprintf(A, "/usr/bin/python3 %s %s %s %s %s 2>&1", mk, nowb, good, badxml, badref), &st);
    if (st) printf("#   %s\n", o);
    T_INTEQ(st, 0);
    expect_fail(SMALL, nowb, "[]", 0, "not an Excel workbook");
    const char *t = "[{\"anchor\": \"QIP_ANCHOR\", \"rows_json\": [[1]]}]";
    expect_fail(SMALL, badxml, t, 0, "is not well-formed XML");
    expect_fail(SMALL, badref, t, 0, "bad cell reference A99999999");
    char err[4096];
    T_CHECK(run(SMALL, good, path_of("good-out.xlsx"), t, 0, err, sizeof err) != NULL);
}

/* ---- excel_fill_from_file -------------------------------------------------------------------- */

static const char *CSV = "id,amount,day,ts,flag,name\n"
                         "1,10.5,2024-01-05,2024-01-05T10:20:30,true,alpha\n"
                         "2,-3,2024-02-30,2024-01-05 10:20:30.5Z,no,=1+2\n"
                         "3,,2024-03-01,bad,1,#N/A\n";

static const char *DTYPES = "{\"id\": \"int\", \"amount\": \"float\", \"day\": \"date\", \"ts\": "
                            "\"datetime\", \"flag\": \"bool\"}";

static void file_data_sheet(void)
{
    const char *tpl = tmpl("r.xlsx", REPORT), *out = path_of("file1.xlsx");
    const char *csv = path_of("d.csv");
    write_file(csv, CSV);
    char err[4096];
    af_value *r =
        run(FILE_, tpl, out,
            af_sprintf(A, "[{\"name\": \"raw\", \"source_path\": \"%s\", \"dtypes\": %s}]", csv,
                       DTYPES),
            50000, err, sizeof err);
    if (!r) printf("#   %s\n", err);
    T_CHECK(r != NULL);
    if (!r) return;
    T_STREQ(json_of(af_map_get(r, "written")),
            "[{\"name\": \"raw\", \"sheet\": \"DATA_raw\", \"rows\": 4, \"cols\": 6, \"mode\": "
            "\"data_sheet\", \"insert\": \"replace\", \"header_mode\": \"append\", "
            "\"header_style\": \"template\", \"style_mode\": \"none\", \"start_cell\": [1, 1], "
            "\"template_has_header\": false}]");
    af_value *d = dump(out);
    T_STREQ(json_of(af_map_get(d, "sheets")), "[\"Report\", \"Other\", \"DATA_raw\"]");
    T_CELL(d, "DATA_raw", "A1", "id");
    T_BOLD(d, "DATA_raw", "F1", 1);
    T_BOLD(d, "DATA_raw", "A2", 0);
    T_STREQ(sheet_attr(d, "DATA_raw", "freeze"), "A2");
    T_STREQ(sheet_attr(d, "DATA_raw", "filter"), "A1:F4");
    T_CELL(d, "DATA_raw", "A2", "1");
    T_TYPE(d, "DATA_raw", "A2", "n");
    T_CELL(d, "DATA_raw", "B2", "10.5");
    T_CELL(d, "DATA_raw", "C2", "2024-01-05T00:00:00");
    T_FMT(d, "DATA_raw", "C2", "yyyy-mm-dd");
    T_CELL(d, "DATA_raw", "D2", "2024-01-05T10:20:30");
    T_FMT(d, "DATA_raw", "D2", "yyyy-mm-dd h:mm:ss");
    T_CELL(d, "DATA_raw", "E2", "True");
    T_TYPE(d, "DATA_raw", "E2", "b");
    T_CELL(d, "DATA_raw", "C3", "2024-02-30"); /* not a date: text */
    T_CELL(d, "DATA_raw", "D3", "2024-01-05T10:20:30.500000");
    T_CELL(d, "DATA_raw", "F3", "=1+2");
    T_TYPE(d, "DATA_raw", "F3", "f");
    T_CELL(d, "DATA_raw", "B4", "(no cell)"); /* "" is None */
    T_CELL(d, "DATA_raw", "F4", "#N/A");
    T_TYPE(d, "DATA_raw", "F4", "e");
    T_CELL(d, "Report", "B8", "Total"); /* other sheets untouched */
}

static void file_data_sheet_existing(void)
{
    const char *tpl =
        tmpl("ds.xlsx", "d = wb.create_sheet('DATA_qip'); d['A1'] = 'Extract of QIP'\n"
                        "d['A4'].font = Font(italic=True, color='FF112233')\n");
    const char *out = path_of("file2.xlsx"), *csv = path_of("q.tsv");
    write_file(csv, "a\tb\n1\t2\n3\t4\n");
    char err[4096];
    af_value *r = run(FILE_, tpl, out,
                      af_sprintf(A,
                                 "[{\"name\": \"q\", \"sheet\": \"DATA_qip\", \"cell\": \"A4\", "
                                 "\"source_path\": \"%s\", \"type_cast\": \"basic\"}]",
                                 csv),
                      50000, err, sizeof err);
    T_CHECK(r != NULL);
    if (!r) return;
    af_value *d = dump(out);
    T_CELL(d, "DATA_qip", "A1", "Extract of QIP");
    T_CELL(d, "DATA_qip", "A4", "a");
    T_BOLD(d, "DATA_qip", "A4", 1); /* bold added to the template's italic font */
    T_CELL(d, "DATA_qip", "B6", "4");
    T_STREQ(sheet_attr(d, "DATA_qip", "freeze"), "A5");
    T_STREQ(sheet_attr(d, "DATA_qip", "filter"), "A4:B6");
}

/* The bold header of a DATA_ sheet when the template already has the bold
 * version of the default font: the new font is a duplicate and is freed
 * (this freed a dictionary string and crashed). */
static void file_data_sheet_bold_font_exists(void)
{
    const char *tpl = tmpl_post(
        "bold.xlsx", "ws['A1'] = 'Report'\n",
        "import zipfile, re\n"
        "zin = zipfile.ZipFile(path); items = [(i, zin.read(i.filename)) for i in zin.infolist()]\n"
        "zin.close(); z = zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED)\n"
        "for i, d in items:\n"
        "    if i.filename == 'xl/styles.xml':\n"
        "        m = re.search(rb'<fonts count=\"1\"><font>(.*?)</font></fonts>', d)\n"
        "        d = d.replace(m.group(0), b'<fonts count=\"2\"><font>' + m.group(1) +\n"
        "            b'</font><font><b/>' + m.group(1) + b'</font></fonts>')\n"
        "    z.writestr(i, d)\n"
        "z.close()\n");
    const char *out = path_of("bold-out.xlsx"), *csv = path_of("bold.tsv");
    write_file(csv, "a\tb\n1\t2\n");
    char err[4096];
    af_value *r =
        run(FILE_, tpl, out, af_sprintf(A, "[{\"name\": \"q\", \"source_path\": \"%s\"}]", csv),
            50000, err, sizeof err);
    T_CHECK(r != NULL);
    if (!r) return;
    af_value *d = dump(out);
    T_CELL(d, "DATA_q", "A1", "a");
    T_BOLD(d, "DATA_q", "A1", 1);
    T_BOLD(d, "DATA_q", "A2", 0);
}

static void file_report_region(void)
{
    const char *tpl = tmpl("r.xlsx", REPORT), *out = path_of("file3.xlsx");
    const char *csv = path_of("d.csv");
    write_file(csv, CSV);
    char err[4096];
    af_value *r = run(FILE_, tpl, out,
                      af_sprintf(A,
                                 "[{\"name\": \"qip\", \"mode\": \"report_region\", \"anchor\": "
                                 "\"QIP_ANCHOR\", \"source_path\": \"%s\", \"header_mode\": "
                                 "\"override\", \"dtypes\": %s, \"anchor_clear\": true}]",
                                 csv, DTYPES),
                      50000, err, sizeof err);
    if (!r) printf("#   %s\n", err);
    T_CHECK(r != NULL);
    if (!r) return;
    af_value *d = dump(out);
    T_CELL(d, "Report", "B5", "(no cell)");
    T_CELL(d, "Report", "B6", "id");
    T_FILL(d, "Report", "B6", "FF0000FF");
    T_CELL(d, "Report", "G6", "name"); /* header wider than the template's */
    T_CELL(d, "Report", "B9", "3");
    T_CELL(d, "Report", "B11", "Total"); /* three rows inserted */
    T_CELL(d, "Report", "C11", "=SUM(C10:C10)");
    T_STREQ(json_of(af_map_get(d, "names")),
            "{\"QIP_NAME\": \"Report!$B$5\", \"TOTAL\": \"Report!$C$11\"}");
    T_STREQ(sheet_attr(d, "Report", "freeze"), "None"); /* report regions: no niceties */
}

static void file_threshold(void)
{
    const char *tpl = tmpl("r.xlsx", REPORT);
    const char *csv = path_of("d.csv");
    write_file(csv, CSV);
    const char *j = af_sprintf(A,
                               "[{\"name\": \"qip\", \"mode\": \"report_region\", \"anchor\": "
                               "\"QIP_ANCHOR\", \"source_path\": \"%s\"}]",
                               csv);
    expect_fail(FILE_, tpl, j, 2,
                "excel_fill_from_file target=qip: row_count=3 exceeds rows_threshold=2. Use "
                "mode=data_sheet (DATA_*) instead of report_region, or raise rows_threshold.");
    /* the target's own threshold wins over the step's */
    j = af_sprintf(A,
                   "[{\"name\": \"qip\", \"mode\": \"report_region\", \"anchor\": "
                   "\"QIP_ANCHOR\", \"source_path\": \"%s\", \"rows_threshold\": 2}]",
                   csv);
    expect_fail(FILE_, tpl, j, 50000, "row_count=3 exceeds rows_threshold=2");
    char err[4096];
    j = af_sprintf(A,
                   "[{\"name\": \"qip\", \"mode\": \"report_region\", \"anchor\": "
                   "\"QIP_ANCHOR\", \"source_path\": \"%s\", \"fail_on_threshold\": false}]",
                   csv);
    T_CHECK(run(FILE_, tpl, path_of("file4.xlsx"), j, 2, err, sizeof err) != NULL);
    /* a given row_count is believed */
    j = af_sprintf(A,
                   "[{\"name\": \"qip\", \"mode\": \"report_region\", \"anchor\": "
                   "\"QIP_ANCHOR\", \"source_path\": \"%s\", \"row_count\": \"9\"}]",
                   csv);
    expect_fail(FILE_, tpl, j, 5, "row_count=9 exceeds rows_threshold=5");
}

static void file_count_modes(void)
{
    /* a quoted field with a line break: 2 records on 3 lines */
    const char *tpl = tmpl("r.xlsx", REPORT), *csv = path_of("m.csv");
    write_file(csv, "a,b\n1,\"two\nlines\"\n3,x\n");
    char err[4096];
    for (int mode = 0; mode < 2; mode++) {
        const char *out = path_of(mode ? "file6.xlsx" : "file5.xlsx");
        af_value *r = run(FILE_, tpl, out,
                          af_sprintf(A,
                                     "[{\"mode\": \"report_region\", \"anchor\": \"QIP_ANCHOR\", "
                                     "\"source_path\": \"%s\", \"count_mode\": \"%s\"}]",
                                     csv, mode ? "csv_parse" : "fast"),
                          50000, err, sizeof err);
        T_CHECK(r != NULL);
        if (!r) continue;
        af_value *d = dump(out);
        T_CELL(d, "Report", "C7", "two\nlines");
        /* fast counts 3 data lines and inserts 3 rows; csv_parse inserts 2 */
        T_CELL(d, "Report", mode ? "B10" : "B11", "Total");
    }
    expect_fail(FILE_, tpl,
                af_sprintf(A,
                           "[{\"mode\": \"report_region\", \"anchor\": \"QIP_ANCHOR\", "
                           "\"source_path\": \"%s\", \"count_mode\": \"exact\"}]",
                           csv),
                50000, "Unsupported count_mode for CSV/TSV: exact");
}

static void file_read_options(void)
{
    const char *tpl = tmpl("r.xlsx", REPORT), *csv = path_of("semi.txt"),
               *out = path_of("file7.xlsx");
    write_file(csv, "'k';'v'\n'a;b';1.5\n'c';2\n");
    char err[4096];
    af_value *r = run(FILE_, tpl, out,
                      af_sprintf(A,
                                 "[{\"name\": \"o\", \"source_path\": \"%s\", \"source_format\": "
                                 "\"CSV\", \"file\": {\"delimiter\": \";\", \"quotechar\": "
                                 "\"'\"}, \"quoting\": \"nonnumeric\", \"read_header\": false, "
                                 "\"freeze_panes\": false}]",
                                 csv),
                      50000, err, sizeof err);
    if (!r) printf("#   %s\n", err);
    T_CHECK(r != NULL);
    if (!r) return;
    af_value *d = dump(out);
    /* no header read: no header written, no filter, data from A1 */
    T_CELL(d, "DATA_o", "A2", "a;b");
    T_CELL(d, "DATA_o", "B2", "1.5");
    T_TYPE(d, "DATA_o", "B2", "n"); /* nonnumeric: unquoted fields are floats */
    T_STREQ(sheet_attr(d, "DATA_o", "filter"), "None");
    T_STREQ(sheet_attr(d, "DATA_o", "freeze"), "None");
    expect_fail(FILE_, tpl,
                af_sprintf(A,
                           "[{\"source_path\": \"%s\", \"source_format\": \"csv\", "
                           "\"quoting\": \"nonnumeric\"}]",
                           csv),
                50000, "could not convert string to float");
}

static void file_bad_inputs(void)
{
    const char *tpl = tmpl("r.xlsx", REPORT);
    const char *bad = path_of("bad.csv");
    write_file(bad, "a,b\n1,\xff\xfe\n");
    expect_fail(FILE_, tpl, af_sprintf(A, "[{\"name\": \"t\", \"source_path\": \"%s\"}]", bad),
                50000, "'utf-8' codec can't decode byte 0xff");
    af_buf big = {0};
    af_buf_puts(&big, "a\n\"");
    for (int i = 0; i < 140000; i++)
        af_buf_putc(&big, 'x');
    af_buf_puts(&big, "\"\n");
    const char *huge = path_of("huge.csv");
    write_file(huge, af_buf_cstr(&big));
    af_buf_free(&big);
    expect_fail(FILE_, tpl, af_sprintf(A, "[{\"source_path\": \"%s\"}]", huge), 50000,
                "field larger than field limit (131072)");
    expect_fail(FILE_, tpl, af_sprintf(A, "[{\"source_path\": \"%s\"}]", path_of("none.csv")),
                50000, "[Errno 2] No such file or directory:");
    expect_fail(FILE_, tpl, af_sprintf(A, "[{\"source_path\": \"%s\"}]", path_of("x.parquet")),
                50000, "source_format parquet is not supported");
    const char *tz = path_of("tz.csv");
    write_file(tz, "ts\n2024-01-05T10:00:00+01:00\n");
    expect_fail(
        FILE_, tpl,
        af_sprintf(A, "[{\"source_path\": \"%s\", \"dtypes\": {\"ts\": \"datetime\"}}]", tz), 50000,
        "Excel does not support timezones in datetimes.");
    expect_fail(FILE_, tpl,
                af_sprintf(A, "[{\"source_path\": \"%s\", \"mode\": \"report_region\"}]", tz),
                50000, "Excel target requires either anchor (named range / anchor text) or cell");
}

static void file_style_copy_and_overlap(void)
{
    const char *tpl = tmpl("r.xlsx", REPORT), *out = path_of("file8.xlsx"), *csv = path_of("d.csv");
    write_file(csv, CSV);
    char err[4096];
    /* replace mode over the template: data lands on the style row and below */
    af_value *r = run(FILE_, tpl, out,
                      af_sprintf(A,
                                 "[{\"mode\": \"report_region\", \"anchor\": \"QIP_ANCHOR\", "
                                 "\"insert\": \"replace\", \"source_path\": \"%s\", "
                                 "\"style_mode\": \"copy_row\", \"clear_style_row\": true, "
                                 "\"dtypes\": %s}]",
                                 csv, DTYPES),
                      50000, err, sizeof err);
    if (!r) printf("#   %s\n", err);
    T_CHECK(r != NULL);
    if (r) {
        af_value *d = dump(out);
        T_FILL(d, "Report", "B9", "FFFFFF00");
        T_FILL(d, "Report", "G9", "(None)"); /* beyond the template: nothing to copy */
        T_CELL(d, "Report", "B7", "(None)"); /* clear_style_row cleared the first data row */
        T_FILL(d, "Report", "B7", "FFFFFF00");
        T_CELL(d, "Report", "B8", "2");
    }
    /* two data_sheet targets on the same sheet with replace may overlap */
    r = run(FILE_, tpl, path_of("file9.xlsx"),
            af_sprintf(A,
                       "[{\"name\": \"a\", \"sheet\": \"D\", \"source_path\": \"%s\"}, "
                       "{\"name\": \"b\", \"sheet\": \"D\", \"cell\": \"B2\", \"source_path\": "
                       "\"%s\"}]",
                       csv, csv),
            50000, err, sizeof err);
    T_CHECK(r != NULL);
    if (r) {
        af_value *d = dump(path_of("file9.xlsx"));
        T_CELL(d, "D", "A2", "1");
        T_CELL(d, "D", "B2", "id"); /* the later target wins cell by cell */
        T_CELL(d, "D", "C3", "10.5");
        T_CELL(d, "D", "A3", "2");
    }
}

static void file_many_rows(void)
{
    /* enough rows to go through the spool in many buffers */
    const char *tpl = tmpl("r.xlsx", REPORT), *csv = path_of("many.csv"),
               *out = path_of("file10.xlsx");
    FILE *f = fopen(csv, "w");
    fprintf(f, "n,s,d\n");
    for (int i = 1; i <= 30000; i++)
        fprintf(f, "%d,row %d,2024-01-%02d\n", i, i, i % 28 + 1);
    fclose(f);
    char err[4096];
    af_value *r = run(FILE_, tpl, out,
                      af_sprintf(A,
                                 "[{\"name\": \"m\", \"source_path\": \"%s\", \"dtypes\": "
                                 "{\"n\": \"int\", \"d\": \"date\"}}]",
                                 csv),
                      50000, err, sizeof err);
    T_CHECK(r != NULL);
    if (!r) return;
    af_value *d = dump_pick(out, "DATA_m", "A30001 B15001 C30001");
    T_CELL(d, "DATA_m", "A30001", "30000");
    T_CELL(d, "DATA_m", "B15001", "row 15000");
    T_CELL(d, "DATA_m", "C30001", "2024-01-13T00:00:00"); /* 30000 % 28 + 1 */
    T_STREQ(sheet_attr(d, "DATA_m", "filter"), "A1:C30001");
}

static void untouched_parts_identical(void)
{
    /* parts the fill does not change are copied byte for byte */
    const char *tpl = tmpl("r.xlsx", REPORT), *out = path_of("same.xlsx");
    char err[4096];
    T_CHECK(run(SMALL, tpl, out,
                "[{\"sheet\": \"Report\", \"cell\": \"F1\", \"rows_json\": [[1]]}]", 0, err,
                sizeof err) != NULL);
    int st;
    const char *parts[] = {"xl/theme/theme1.xml", "docProps/core.xml", "docProps/app.xml"};
    for (int i = 0; i < 3; i++) {
        const char *cmd =
            af_sprintf(A, "bash -c \"cmp -s <(unzip -p '%s' %s) <(unzip -p '%s' %s)\"", tpl,
                       parts[i], out, parts[i]);
        slurp_cmd(cmd, &st);
        if (st != 0) printf("#   %s differs\n", parts[i]);
        T_INTEQ(st, 0);
    }
}

/* ---- driver mode ------------------------------------------------------------------------------
 */

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
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        af_buf_put(&j, buf, n);
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
        T_RUN(validate_names_and_anchors);
        T_RUN(validate_missing);
        T_RUN(small_insert_below_shifts);
        T_RUN(small_replace_copies_style);
        T_RUN(small_cell_and_basic_cast);
        T_RUN(small_named_range);
        T_RUN(small_guards);
        T_RUN(enterprise_needs_sheet);
        T_RUN(insertion_moves_everything);
        T_RUN(bad_templates);
        T_RUN(file_data_sheet);
        T_RUN(file_data_sheet_existing);
        T_RUN(file_data_sheet_bold_font_exists);
        T_RUN(file_report_region);
        T_RUN(file_threshold);
        T_RUN(file_count_modes);
        T_RUN(file_read_options);
        T_RUN(file_bad_inputs);
        T_RUN(file_style_copy_and_overlap);
        T_RUN(file_many_rows);
        T_RUN(untouched_parts_identical);
        rc = t_total_failed ? 1 : 0;
    }
    slurp_cmd(af_sprintf(A, "rm -rf '%s'", dir), NULL);
    af_arena_free(A);
    return rc;
}
