/*
 * excel_fill_small.c - the excel_fill_small step: fills report regions of
 * an Excel template from small in-memory tables (rows_json, typically from
 * db_fetch_small), keeping the template's formatting.
 *
 * Built on the workbook layer (xlsx.h): this file reads the step inputs,
 * resolves paths, and writes the workbook atomically; xlsx_fill_small does
 * the target work.
 */
#include "xlsx.h"

#include <string.h>

static const af_input inputs[] = {
    {"template_path", AF_TY_STR, 1, NULL, NULL, "the .xlsx template"},
    {"output", AF_TY_STR, 1, NULL, NULL, "the workbook to write (relative: under artifacts)"},
    {"targets", AF_TY_LIST, 1, NULL, NULL,
     "regions to fill: anchor or cell, rows_json, columns_json, header/insert/style options"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"output", "string", "absolute path of the written workbook"},
    {"written", "list[object]",
     "per target: name, sheet, rows, cols, insert, header_mode, header_style, type_cast, "
     "style_mode, start_cell [row, col], template_has_header"},
    {NULL, NULL, NULL},
};

static const char *const target_keys[] = {"name",
                                          "sheet",
                                          "anchor",
                                          "cell",
                                          "rows_json",
                                          "columns_json",
                                          "row_count",
                                          "insert",
                                          "anchor_is_marker",
                                          "template_has_header",
                                          "header_mode",
                                          "header_style",
                                          "header_clear",
                                          "header_clear_width",
                                          "anchor_clear",
                                          "anchor_clear_mode",
                                          "anchor_clear_width",
                                          "type_cast",
                                          "dtypes",
                                          "dtypes_json",
                                          "style_mode",
                                          "style_row_offset",
                                          "style_apply",
                                          "clear_style_row",
                                          "max_rows",
                                          "max_total_rows",
                                          "max_cols",
                                          NULL};

static int cancelled(void *ud)
{
    return af_cancelled(ud);
}

static af_status run(af_step *s)
{
    const char *tp, *op, *tpath, *opath;
    if (af_in_str(s, "template_path", NULL, &tp) < 0 || af_in_str(s, "output", NULL, &op) < 0)
        return AF_FAILED;
    if (af_path(s, "template_path", tp, &tpath) < 0 || af_path(s, "output", op, &opath) < 0)
        return AF_FAILED;
    af_kv kv[] = {AF_KS("template_path", tpath), {0}};
    af_log(s, AF_INFO, "excel_fill_small", kv);
    return xlsx_step_fill(s, tpath, opath, 0, 0, cancelled);
}

static void check(af_check *c, const af_value *in)
{
    xlsx_check_targets(c, af_map_get(in, "targets"), target_keys, 0);
}

const af_step_desc af_step_excel_fill_small = {
    .abi = AF_ABI_VERSION,
    .name = "excel_fill_small",
    .summary = "fill an Excel template's report regions from small JSON tables",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = NULL,
    .flags = 0,
    .run = run,
    .check = check,
    .libs = "-larchive -lxml2",
    .help = "Each target names its place with `anchor` (defined name, A1 reference or anchor\n"
            "text) or `cell`, and brings rows_json (a JSON list of rows). Rows can be inserted\n"
            "below the anchor (insert: below) so content under the region moves down; the\n"
            "template header row is kept (template_has_header); styles can be copied from a\n"
            "style row. The workbook is written to a temp file and renamed. See afc-excel(7).",
};
