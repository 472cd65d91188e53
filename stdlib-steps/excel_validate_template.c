/*
 * excel_validate_template.c - the excel_validate_template step: checks that
 * an Excel template has the defined names or anchor text cells a report
 * needs, before anything is filled.
 *
 * Built on the workbook layer (xlsx.h); the check itself is xlsx_validate.
 */
#include "xlsx.h"

static const af_input inputs[] = {
    {"template_path", AF_TY_STR, 1, NULL, NULL, "the .xlsx template to check"},
    {"required_names", AF_TY_STR | AF_TY_LIST, 1, NULL, NULL,
     "names that must exist as defined names or anchor texts: a list, a JSON list, or one name"},
    {"sheet", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL,
     "look for anchor texts on this sheet only (default: every worksheet)"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output outputs[] = {
    {"template_ok", "bool", "true (the step fails when something is missing)"},
    {"found_named_ranges", "list[string]",
     "required names found as workbook defined names, sorted"},
    {"found_anchor_cells", "list[string]", "required names found as anchor text cells, sorted"},
    {NULL, NULL, NULL},
};

static af_status run(af_step *s)
{
    const char *tp, *path, *sheet;
    if (af_in_str(s, "template_path", NULL, &tp) < 0 || af_in_str(s, "sheet", NULL, &sheet) < 0)
        return AF_FAILED;
    if (af_path(s, "template_path", tp, &path) < 0) return AF_FAILED;
    af_kv kv[] = {AF_KS("template_path", path), {0}};
    af_log(s, AF_INFO, "excel_validate_template", kv);

    char err[4096];
    xlsx_book *b;
    if (xlsx_open(path, &b, err, sizeof err) < 0) return af_fail(s, "%s", err);
    xlsx_env env = {.arena = af_arena_of(s), .enterprise = af_enterprise(s)};
    af_value *out;
    int rc = xlsx_validate(&env, b, af_in(s, "required_names"), sheet, &out, err, sizeof err);
    xlsx_free(b);
    if (rc < 0) return af_fail(s, "%s", err);
    for (size_t i = 0; i < out->u.map.n; i++)
        af_out_set(s, out->u.map.pairs[i].key, out->u.map.pairs[i].val);
    return AF_SUCCESS;
}

const af_step_desc af_step_excel_validate_template = {
    .abi = AF_ABI_VERSION,
    .name = "excel_validate_template",
    .summary = "check that an Excel template has the named ranges or anchor cells a report needs",
    .inputs = inputs,
    .outputs = outputs,
    .resource_kinds = NULL,
    .flags = 0,
    .run = run,
    .check = NULL,
    .libs = "-larchive -lxml2",
    .help = "Each required name passes when it is a workbook-scoped defined name, or when a cell\n"
            "of the template (of `sheet`, or of any worksheet) holds that text once whitespace\n"
            "is normalised. The step fails listing the missing names. See afc-excel(7).",
};
