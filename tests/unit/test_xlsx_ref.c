/*
 * test_xlsx_ref.c - references in formulas and ranges (xlsx_ref.c), number
 * formats (xlsx_style.c) and number text (xlsx_cast.c): the rewrites row
 * insertion relies on.
 */
#define T_SUITE "xlsx_ref"
#include "t.h"
#include "../../stdlib-steps/xlsx.h" /* the Excel layer is internal to stdlib-steps */

#include <math.h>
#include <stdlib.h>

static const char *shift(const char *f, const char *home, const char *target, uint32_t idx,
                         uint32_t n)
{
    static char out[1024];
    af_buf b = {0};
    xlsx_formula_shift_rows(f, home, target, idx, n, &b);
    snprintf(out, sizeof out, "%s", af_buf_cstr(&b));
    af_buf_free(&b);
    return out;
}

static const char *translate(const char *f, int64_t dr, int64_t dc)
{
    static char out[1024];
    af_buf b = {0};
    xlsx_formula_translate(f, dr, dc, &b);
    snprintf(out, sizeof out, "%s", af_buf_cstr(&b));
    af_buf_free(&b);
    return out;
}

static const char *sqref(const char *s, uint32_t idx, uint32_t n)
{
    static char out[1024];
    af_buf b = {0};
    xlsx_sqref_shift_rows(s, idx, n, &b);
    snprintf(out, sizeof out, "%s", af_buf_cstr(&b));
    af_buf_free(&b);
    return out;
}

static void cells(void)
{
    uint32_t r, c;
    T_INTEQ(xlsx_cell_parse("B7", &r, &c), 0);
    T_INTEQ(r, 7);
    T_INTEQ(c, 2);
    T_INTEQ(xlsx_cell_parse("$XFD$1048576", &r, &c), 0);
    T_INTEQ(c, 16384);
    T_INTEQ(r, 1048576);
    T_INTEQ(xlsx_cell_parse("XFE1", &r, &c), -1);
    T_INTEQ(xlsx_cell_parse("A1048577", &r, &c), -1);
    T_INTEQ(xlsx_cell_parse("A0", &r, &c), -1);
    T_INTEQ(xlsx_cell_parse("1A", &r, &c), -1);
    char buf[16];
    T_STREQ(xlsx_ref_fmt(buf, 12, 28), "AB12");
    T_STREQ(xlsx_ref_fmt(buf, 1, 16384), "XFD1");
    T_STREQ(xlsx_ref_fmt(buf, 3, 26), "Z3");
    T_STREQ(xlsx_ref_fmt(buf, 3, 27), "AA3");
}

static void shifts_same_sheet(void)
{
    /* insertion of 3 rows before row 5 of sheet Report */
    T_STREQ(shift("SUM(B5:B9)", "Report", "Report", 5, 3), "SUM(B8:B12)");
    T_STREQ(shift("SUM(B2:B9)", "Report", "Report", 5, 3), "SUM(B2:B12)"); /* spans: grows */
    T_STREQ(shift("SUM(B2:B4)", "Report", "Report", 5, 3), "SUM(B2:B4)");  /* above: stays */
    T_STREQ(shift("$A$5*A4+$B5", "Report", "Report", 5, 3), "$A$8*A4+$B8");
    T_STREQ(shift("SUM(5:7)", "Report", "Report", 5, 3), "SUM(8:10)");
    T_STREQ(shift("SUM(A:B)", "Report", "Report", 5, 3), "SUM(A:B)");
    T_STREQ(shift("LOG10(A5)", "Report", "Report", 5, 3), "LOG10(A8)");
    T_STREQ(shift("\"A5\"&A5", "Report", "Report", 5, 3), "\"A5\"&A8");
    T_STREQ(shift("1E5+A5", "Report", "Report", 5, 3), "1E5+A8");
    T_STREQ(shift("Table1[[#This Row],[A5]]+A5", "Report", "Report", 5, 3),
            "Table1[[#This Row],[A5]]+A8");
    T_STREQ(shift("IF(ISERROR(A9),#N/A,A9)", "Report", "Report", 5, 3),
            "IF(ISERROR(A12),#N/A,A12)");
    T_STREQ(shift("_xlfn.XLOOKUP(A5,B:B,C:C)", "Report", "Report", 5, 3),
            "_xlfn.XLOOKUP(A8,B:B,C:C)");
}

static void shifts_other_sheets(void)
{
    /* a formula on Summary: unqualified references stay on Summary */
    T_STREQ(shift("Report!B5+B5", "Summary", "Report", 5, 2), "Report!B7+B5");
    T_STREQ(shift("'Report'!B5:C9", "Summary", "Report", 5, 2), "'Report'!B7:C11");
    T_STREQ(shift("report!B5", "Summary", "Report", 5, 2), "report!B7"); /* names ignore case */
    T_STREQ(shift("'My Sheet'!A6+'It''s'!A6", "X", "It's", 5, 2), "'My Sheet'!A6+'It''s'!A8");
    T_STREQ(shift("[1]Report!A9", "X", "Report", 5, 2), "[1]Report!A9"); /* another book */
    T_STREQ(shift("SUM(Report:Other!A9)", "X", "Report", 5, 2), "SUM(Report:Other!A9)"); /* 3-D */
    /* defined names have no home sheet */
    T_STREQ(shift("Report!$B$5", NULL, "Report", 5, 1), "Report!$B$6");
    T_STREQ(shift("Report!$B$4", NULL, "Report", 5, 1), "Report!$B$4");
    T_STREQ(shift("B5", NULL, "Report", 5, 1), "B5");
    /* pushed past the last row */
    T_STREQ(shift("A1048576", "R", "R", 10, 1), "#REF!");
    T_STREQ(shift("SUM(A5:A1048576)", "R", "R", 10, 1), "SUM(A5:A1048576)");
}

static void translation(void)
{
    T_STREQ(translate("A1*$B$1+C$2", 3, 1), "B4*$B$1+D$2");
    T_STREQ(translate("SUM(A1:A3)", 1, 0), "SUM(A2:A4)");
    T_STREQ(translate("A1", -1, 0), "#REF!");
    T_STREQ(translate("Sheet2!A1+\"A1\"", 2, 0), "Sheet2!A3+\"A1\"");
}

static void sqrefs(void)
{
    T_STREQ(sqref("A5:D20 F1 G9", 6, 4), "A5:D24 F1 G13");
    T_STREQ(sqref("B2", 6, 4), "B2");
}

static void number_formats(void)
{
    T_INTEQ(xlsx_numfmt_is_date("General"), 0);
    T_INTEQ(xlsx_numfmt_is_date("0.00"), 0);
    T_INTEQ(xlsx_numfmt_is_date("yyyy-mm-dd"), 1);
    T_INTEQ(xlsx_numfmt_is_date("mm-dd-yy"), 1);
    T_INTEQ(xlsx_numfmt_is_date("[h]:mm:ss"), 1);
    T_INTEQ(xlsx_numfmt_is_date("[Red]0.00"), 0);
    T_INTEQ(xlsx_numfmt_is_date("\"days\" 0"), 0);
    T_INTEQ(xlsx_numfmt_is_date("[$-409]d-mmm-yy"), 1);
    T_INTEQ(xlsx_numfmt_is_date("0_);(0)"), 0);
    T_INTEQ(xlsx_numfmt_is_date("0;\\d"), 0);
}

static void numbers(void)
{
    char b[32];
    xlsx_num_text(1.5, b);
    T_STREQ(b, "1.5");
    xlsx_num_text(12345678901234567.0, b);
    T_STREQ(b, "1.234567890123457e+16");
    xlsx_num_text(45000, b);
    T_STREQ(b, "45000");
    xlsx_num_text(0.1 + 0.2, b);
    T_STREQ(b, "0.3");
    xlsx_num_text(NAN, b);
    T_STREQ(b, "");
}

int main(void)
{
    T_RUN(cells);
    T_RUN(shifts_same_sheet);
    T_RUN(shifts_other_sheets);
    T_RUN(translation);
    T_RUN(sqrefs);
    T_RUN(number_formats);
    T_RUN(numbers);
    T_END();
}
