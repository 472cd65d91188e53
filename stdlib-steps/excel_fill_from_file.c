/*
 * excel_fill_from_file.c - the excel_fill_from_file step: streams CSV/TSV
 * exports into an Excel template, either into DATA_ sheets (data_sheet
 * mode) or into formatted report regions guarded by a row threshold
 * (report_region mode).
 *
 * Built on the workbook layer (xlsx.h): this file reads the step inputs,
 * resolves paths, and writes the workbook atomically; xlsx_fill_from_file
 * does the target work, spooling rows so memory stays flat.
 */
#include "xlsx.h"

static const af_input inputs[] = {
    {"template_path", AF_TY_STR, 1, NULL, NULL, "the .xlsx template"},
    {"output", AF_TY_STR, 1, NULL, NULL, "the workbook to write (relative: under artifacts)"},
    {"targets", AF_TY_LIST, 1, NULL, NULL,
     "what to fill: source_path, mode (data_sheet|report_region), sheet, anchor or cell, ..."},
    {"rows_threshold", AF_TY_INT, 0, "50000", NULL, "default row limit of report_region targets"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"output", "string", "absolute path of the written workbook"},
    {"written", "list[object]",
     "per target: name, sheet, rows, cols, mode, insert, header_mode, header_style, style_mode, "
     "start_cell [row, col], template_has_header"},
    {NULL, NULL, NULL},
};

static const char *const target_keys[] = {"name",
                                          "mode",
                                          "sheet",
                                          "anchor",
                                          "cell",
                                          "source_path",
                                          "source_format",
                                          "insert",
                                          "anchor_is_marker",
                                          "template_has_header",
                                          "read_header",
                                          "include_header",
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
                                          "columns",
                                          "columns_json",
                                          "style_mode",
                                          "style_row_offset",
                                          "style_apply",
                                          "clear_style_row",
                                          "rows_threshold",
                                          "fail_on_threshold",
                                          "count_mode",
                                          "row_count",
                                          "data_sheet_prefix",
                                          "freeze_panes",
                                          "autofilter",
                                          "header_bold",
                                          "encoding",
                                          "delimiter",
                                          "quotechar",
                                          "escapechar",
                                          "doublequote",
                                          "quoting",
                                          "linefeed",
                                          "file",
                                          NULL};

static int cancelled(void *ud)
{
    return af_cancelled(ud);
}

static af_status run(af_step *s)
{
    const char *tp, *op, *tpath, *opath;
    int64_t threshold;
    if (af_in_str(s, "template_path", NULL, &tp) < 0 || af_in_str(s, "output", NULL, &op) < 0 ||
        af_in_int(s, "rows_threshold", 50000, &threshold) < 0)
        return AF_FAILED;
    if (af_path(s, "template_path", tp, &tpath) < 0 || af_path(s, "output", op, &opath) < 0)
        return AF_FAILED;
    af_kv kv[] = {AF_KS("template_path", tpath), {0}};
    af_log(s, AF_INFO, "excel_fill_from_file", kv);
    return xlsx_step_fill(s, tpath, opath, 1, threshold, cancelled);
}

static void check(af_check *c, const af_value *in)
{
    xlsx_check_targets(c, af_map_get(in, "targets"), target_keys, 1);
}

const af_step_desc af_step_excel_fill_from_file = {
    .abi = AF_ABI_VERSION,
    .name = "excel_fill_from_file",
    .summary = "stream CSV/TSV files into an Excel template (DATA_ sheets or report regions)",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = NULL,
    .flags = 0,
    .run = run,
    .check = check,
    .libs = "-larchive -lxml2",
    .help = "data_sheet targets write raw tables into DATA_ sheets (created when missing) with a\n"
            "frozen, filtered, bold header; report_region targets fill formatted regions of the\n"
            "template and fail with ReportTooLarge past rows_threshold. Rows are spooled, not\n"
            "held in memory. The workbook is written to a temp file and renamed. See\n"
            "afc-excel(7).",
};
