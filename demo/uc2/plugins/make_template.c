/*
 * make_template.c - the step type `demo_make_template`, a plugin of the UC2
 * demo bundle: writes the Excel template the report is filled into.
 *
 * In production the template is a company workbook shipped with the bundle
 * (templates/report.xlsx, read through {{env.AETHERFLOW_ACTIVE_DIR}}). The
 * demo draws its template in code instead, so the repository holds no
 * binary it cannot rebuild: this file is the template's source. The
 * workbook is Office Open XML, a zip of XML parts, written with libarchive
 * to a temp file renamed into place.
 *
 * Sheet "Report" (columns A-E):
 *    1  title                                   defined name REPORT_TITLE
 *    2  subtitle
 *    4  SALES_ANCHOR   hidden marker row; its cells carry the data formats
 *    5  Region | Product | Orders | Amount | Last order       (header)
 *    6  (empty: the rows inserted for the data go here)
 *    7  Total  |         | =SUM(C5:C6) | =SUM(D5:D6)          SALES_TOTAL = D7
 *    9  COSTS_ANCHOR   hidden marker row
 *   10  Category | Cost                                        (header)
 *   11  (empty)
 *   12  Total  | =SUM(B10:B11)                                COSTS_TOTAL = B12
 *   14  Margin | =D7-B12                                      MARGIN = B14
 * The sums span the empty row under each header, so when excel_fill_from_file
 * inserts rows there the ranges grow over the data, and every reference
 * below (totals, margin, defined names, the print area) moves with it.
 */
#include <af.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const af_input inputs[] = {
    {"output", AF_TY_STR, 1, NULL, NULL,
     "the .xlsx to write (relative: under the job's artifacts)"},
    {"title", AF_TY_STR, 0, "\"Sales report\"", NULL, "text of the title cell (A1)"},
    {"subtitle", AF_TY_STR, 0, "\"\"", NULL, "text of A2"},
    {NULL},
};

static const af_output outputs[] = {
    {"path", "string", "the template written, absolute"},
    {"defined_names", "list[string]", "the workbook's defined names"},
    {"anchors", "list[string]", "the marker texts of the report regions"},
    {NULL},
};

/* ---- the parts --------------------------------------------------------------------- */

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG_REL "http://schemas.openxmlformats.org/package/2006/relationships"
#define CT "application/vnd.openxmlformats-officedocument."

static const char content_types[] = XML_DECL
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package."
    "relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/xl/workbook.xml\" ContentType=\"" CT "spreadsheetml.sheet.main+xml\"/>"
    "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"" CT
    "spreadsheetml.worksheet+xml\"/>"
    "<Override PartName=\"/xl/styles.xml\" ContentType=\"" CT "spreadsheetml.styles+xml\"/>"
    "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-"
    "package.core-properties+xml\"/>"
    "<Override PartName=\"/docProps/app.xml\" ContentType=\"" CT "extended-properties+xml\"/>"
    "</Types>";

static const char root_rels[] =
    XML_DECL "<Relationships xmlns=\"" NS_PKG_REL "\">"
             "<Relationship Id=\"rId1\" Type=\"" NS_REL "/officeDocument\" "
             "Target=\"xl/workbook.xml\"/>"
             "<Relationship Id=\"rId2\" Type=\"" NS_PKG_REL "/metadata/core-properties\" "
             "Target=\"docProps/core.xml\"/>"
             "<Relationship Id=\"rId3\" Type=\"" NS_REL "/extended-properties\" "
             "Target=\"docProps/app.xml\"/>"
             "</Relationships>";

static const char workbook[] =
    XML_DECL "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\">"
             "<bookViews><workbookView/></bookViews>"
             "<sheets><sheet name=\"Report\" sheetId=\"1\" r:id=\"rId1\"/></sheets>"
             "<definedNames>"
             "<definedName name=\"_xlnm.Print_Area\" localSheetId=\"0\">Report!$A$1:$E$14"
             "</definedName>"
             "<definedName name=\"COSTS_TOTAL\">Report!$B$12</definedName>"
             "<definedName name=\"MARGIN\">Report!$B$14</definedName>"
             "<definedName name=\"REPORT_TITLE\">Report!$A$1</definedName>"
             "<definedName name=\"SALES_TOTAL\">Report!$D$7</definedName>"
             "</definedNames>"
             "<calcPr calcId=\"191029\" fullCalcOnLoad=\"1\"/>"
             "</workbook>";

static const char workbook_rels[] =
    XML_DECL "<Relationships xmlns=\"" NS_PKG_REL "\">"
             "<Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" "
             "Target=\"worksheets/sheet1.xml\"/>"
             "<Relationship Id=\"rId2\" Type=\"" NS_REL "/styles\" Target=\"styles.xml\"/>"
             "</Relationships>";

/* Cell formats (cellXfs), by index:
 *   0 default          1 title            2 subtitle        3 header
 *   4 data text        5 data integer     6 data amount     7 data date
 *   8 total label      9 total amount    10 total integer */
enum { S_TITLE = 1, S_SUB, S_HEAD, S_TEXT, S_INT, S_AMOUNT, S_DATE, S_TLABEL, S_TAMOUNT, S_TINT };

static const char styles[] = XML_DECL
    "<styleSheet xmlns=\"" NS_MAIN "\">"
    "<numFmts count=\"2\"><numFmt numFmtId=\"164\" formatCode=\"#,##0.00\"/>"
    "<numFmt numFmtId=\"165\" formatCode=\"yyyy-mm-dd\"/></numFmts>"
    "<fonts count=\"5\">"
    "<font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
    "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
    "<font><b/><sz val=\"16\"/><color rgb=\"FF1F4E79\"/><name val=\"Calibri\"/>"
    "<family val=\"2\"/></font>"
    "<font><i/><sz val=\"10\"/><color rgb=\"FF595959\"/><name val=\"Calibri\"/>"
    "<family val=\"2\"/></font>"
    "<font><b/><sz val=\"11\"/><color rgb=\"FFFFFFFF\"/><name val=\"Calibri\"/>"
    "<family val=\"2\"/></font>"
    "</fonts>"
    "<fills count=\"4\">"
    "<fill><patternFill patternType=\"none\"/></fill>"
    "<fill><patternFill patternType=\"gray125\"/></fill>"
    "<fill><patternFill patternType=\"solid\"><fgColor rgb=\"FF1F4E79\"/>"
    "<bgColor indexed=\"64\"/></patternFill></fill>"
    "<fill><patternFill patternType=\"solid\"><fgColor rgb=\"FFDDEBF7\"/>"
    "<bgColor indexed=\"64\"/></patternFill></fill>"
    "</fills>"
    "<borders count=\"2\">"
    "<border><left/><right/><top/><bottom/><diagonal/></border>"
    "<border><left style=\"thin\"><color rgb=\"FFBFBFBF\"/></left>"
    "<right style=\"thin\"><color rgb=\"FFBFBFBF\"/></right>"
    "<top style=\"thin\"><color rgb=\"FFBFBFBF\"/></top>"
    "<bottom style=\"thin\"><color rgb=\"FFBFBFBF\"/></bottom><diagonal/></border>"
    "</borders>"
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/>"
    "</cellStyleXfs>"
    "<cellXfs count=\"11\">"
    "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
    "<xf numFmtId=\"0\" fontId=\"2\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>"
    "<xf numFmtId=\"0\" fontId=\"3\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>"
    "<xf numFmtId=\"0\" fontId=\"4\" fillId=\"2\" borderId=\"1\" xfId=\"0\" applyFont=\"1\" "
    "applyFill=\"1\" applyBorder=\"1\"/>"
    "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" applyBorder=\"1\"/>"
    "<xf numFmtId=\"3\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" "
    "applyNumberFormat=\"1\" applyBorder=\"1\"/>"
    "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" "
    "applyNumberFormat=\"1\" applyBorder=\"1\"/>"
    "<xf numFmtId=\"165\" fontId=\"0\" fillId=\"0\" borderId=\"1\" xfId=\"0\" "
    "applyNumberFormat=\"1\" applyBorder=\"1\"/>"
    "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"3\" borderId=\"1\" xfId=\"0\" applyFont=\"1\" "
    "applyFill=\"1\" applyBorder=\"1\"/>"
    "<xf numFmtId=\"164\" fontId=\"1\" fillId=\"3\" borderId=\"1\" xfId=\"0\" "
    "applyNumberFormat=\"1\" applyFont=\"1\" applyFill=\"1\" applyBorder=\"1\"/>"
    "<xf numFmtId=\"3\" fontId=\"1\" fillId=\"3\" borderId=\"1\" xfId=\"0\" "
    "applyNumberFormat=\"1\" applyFont=\"1\" applyFill=\"1\" applyBorder=\"1\"/>"
    "</cellXfs>"
    "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
    "</styleSheet>";

static const char app_props[] =
    XML_DECL "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/"
             "extended-properties\"><Application>afc demo_make_template</Application>"
             "</Properties>";

/* ---- the sheet --------------------------------------------------------------------- */

/* text with XML's five special characters escaped */
static void put_escaped(af_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            af_buf_puts(b, "&amp;");
            break;
        case '<':
            af_buf_puts(b, "&lt;");
            break;
        case '>':
            af_buf_puts(b, "&gt;");
            break;
        case '"':
            af_buf_puts(b, "&quot;");
            break;
        case '\'':
            af_buf_puts(b, "&apos;");
            break;
        default:
            af_buf_putc(b, *s);
        }
    }
}

static void text_cell(af_buf *b, const char *ref, int style, const char *text)
{
    af_buf_printf(b, "<c r=\"%s\" s=\"%d\" t=\"inlineStr\"><is><t xml:space=\"preserve\">", ref,
                  style);
    put_escaped(b, text);
    af_buf_puts(b, "</t></is></c>");
}

static void styled_cell(af_buf *b, const char *ref, int style)
{
    af_buf_printf(b, "<c r=\"%s\" s=\"%d\"/>", ref, style);
}

static void formula_cell(af_buf *b, const char *ref, int style, const char *formula)
{
    af_buf_printf(b, "<c r=\"%s\" s=\"%d\"><f>%s</f></c>", ref, style, formula);
}

static void sheet_xml(af_buf *b, const char *title, const char *subtitle)
{
    af_buf_puts(b, XML_DECL "<worksheet xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\">");
    af_buf_puts(b, "<dimension ref=\"A1:E14\"/>"
                   "<sheetViews><sheetView workbookViewId=\"0\" showGridLines=\"0\"/></sheetViews>"
                   "<sheetFormatPr defaultRowHeight=\"15\"/>"
                   "<cols><col min=\"1\" max=\"1\" width=\"16\" customWidth=\"1\"/>"
                   "<col min=\"2\" max=\"2\" width=\"14\" customWidth=\"1\"/>"
                   "<col min=\"3\" max=\"3\" width=\"10\" customWidth=\"1\"/>"
                   "<col min=\"4\" max=\"4\" width=\"14\" customWidth=\"1\"/>"
                   "<col min=\"5\" max=\"5\" width=\"12\" customWidth=\"1\"/></cols>"
                   "<sheetData>");
    af_buf_puts(b, "<row r=\"1\" ht=\"24\" customHeight=\"1\">");
    text_cell(b, "A1", S_TITLE, title);
    af_buf_puts(b, "</row>");
    if (*subtitle) {
        af_buf_puts(b, "<row r=\"2\">");
        text_cell(b, "A2", S_SUB, subtitle);
        af_buf_puts(b, "</row>");
    }

    /* sales: marker row (hidden, the data formats), header, gap, total */
    af_buf_puts(b, "<row r=\"4\" hidden=\"1\">");
    text_cell(b, "A4", S_TEXT, "SALES_ANCHOR");
    styled_cell(b, "B4", S_TEXT);
    styled_cell(b, "C4", S_INT);
    styled_cell(b, "D4", S_AMOUNT);
    styled_cell(b, "E4", S_DATE);
    af_buf_puts(b, "</row><row r=\"5\">");
    static const char *const sales_head[] = {"Region", "Product", "Orders", "Amount", "Last order"};
    for (int j = 0; j < 5; j++) {
        char ref[8];
        snprintf(ref, sizeof ref, "%c5", 'A' + j);
        text_cell(b, ref, S_HEAD, sales_head[j]);
    }
    af_buf_puts(b, "</row><row r=\"7\">");
    text_cell(b, "A7", S_TLABEL, "Total");
    styled_cell(b, "B7", S_TLABEL);
    formula_cell(b, "C7", S_TINT, "SUM(C5:C6)");
    formula_cell(b, "D7", S_TAMOUNT, "SUM(D5:D6)");
    styled_cell(b, "E7", S_TLABEL);
    af_buf_puts(b, "</row>");

    /* costs */
    af_buf_puts(b, "<row r=\"9\" hidden=\"1\">");
    text_cell(b, "A9", S_TEXT, "COSTS_ANCHOR");
    styled_cell(b, "B9", S_AMOUNT);
    af_buf_puts(b, "</row><row r=\"10\">");
    text_cell(b, "A10", S_HEAD, "Category");
    text_cell(b, "B10", S_HEAD, "Cost");
    af_buf_puts(b, "</row><row r=\"12\">");
    text_cell(b, "A12", S_TLABEL, "Total");
    formula_cell(b, "B12", S_TAMOUNT, "SUM(B10:B11)");
    af_buf_puts(b, "</row><row r=\"14\">");
    text_cell(b, "A14", S_TLABEL, "Margin");
    formula_cell(b, "B14", S_TAMOUNT, "D7-B12");
    af_buf_puts(b, "</row></sheetData>");
    af_buf_puts(b, "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" "
                   "header=\"0.3\" footer=\"0.3\"/>"
                   "<pageSetup orientation=\"portrait\"/></worksheet>");
}

static void core_xml(af_buf *b)
{
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    af_buf_puts(b, XML_DECL
                "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/"
                "metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
                "xmlns:dcterms=\"http://purl.org/dc/terms/\" "
                "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
                "<dc:title>UC2 report template</dc:title><dc:creator>afc demo</dc:creator>");
    af_buf_printf(b, "<dcterms:created xsi:type=\"dcterms:W3CDTF\">%s</dcterms:created>", when);
    af_buf_printf(b, "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">%s</dcterms:modified>", when);
    af_buf_puts(b, "</cp:coreProperties>");
}

/* ---- the zip ----------------------------------------------------------------------- */

static int add_part(struct archive *ar, const char *name, const char *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_mtime(e, time(NULL), 0);
    int rc = archive_write_header(ar, e) == ARCHIVE_OK &&
                     archive_write_data(ar, data, len) == (la_ssize_t)len
                 ? 0
                 : -1;
    archive_entry_free(e);
    return rc;
}

static af_status run(af_step *s)
{
    const char *output, *title, *subtitle, *path;
    if (af_in_str(s, "output", NULL, &output) < 0 ||
        af_in_str(s, "title", "Sales report", &title) < 0 ||
        af_in_str(s, "subtitle", "", &subtitle) < 0)
        return AF_FAILED;
    if (af_path(s, "output", output, &path) < 0) return AF_FAILED;

    af_buf sheet = {0}, core = {0};
    sheet_xml(&sheet, title, subtitle);
    core_xml(&core);
    struct {
        const char *name, *data;
        size_t len;
    } parts[] = {
        {"[Content_Types].xml", content_types, sizeof content_types - 1},
        {"_rels/.rels", root_rels, sizeof root_rels - 1},
        {"docProps/app.xml", app_props, sizeof app_props - 1},
        {"docProps/core.xml", af_buf_cstr(&core), core.len},
        {"xl/workbook.xml", workbook, sizeof workbook - 1},
        {"xl/_rels/workbook.xml.rels", workbook_rels, sizeof workbook_rels - 1},
        {"xl/styles.xml", styles, sizeof styles - 1},
        {"xl/worksheets/sheet1.xml", af_buf_cstr(&sheet), sheet.len},
    };

    char err[512];
    af_atomic f;
    /* af_path returns an absolute path: it has a '/' */
    const char *dir = af_strndup(af_arena_of(s), path, (size_t)(strrchr(path, '/') - path));
    if (af_mkdirs(dir, 0755) < 0) {
        af_buf_free(&sheet);
        af_buf_free(&core);
        return af_fail(s, "cannot create %s: %s", dir, strerror(errno));
    }
    if (af_atomic_open(&f, path, 0644, err, sizeof err) < 0) {
        af_buf_free(&sheet);
        af_buf_free(&core);
        return af_fail(s, "%s", err);
    }
    struct archive *ar = archive_write_new();
    int ok = archive_write_set_format_zip(ar) == ARCHIVE_OK &&
             archive_write_zip_set_compression_deflate(ar) == ARCHIVE_OK &&
             archive_write_open_fd(ar, f.fd) == ARCHIVE_OK;
    for (size_t i = 0; ok && i < sizeof parts / sizeof parts[0]; i++)
        ok = add_part(ar, parts[i].name, parts[i].data, parts[i].len) == 0;
    ok = ok && archive_write_close(ar) == ARCHIVE_OK;
    if (!ok) snprintf(err, sizeof err, "%s", archive_error_string(ar));
    archive_write_free(ar);
    af_buf_free(&sheet);
    af_buf_free(&core);
    if (!ok) {
        af_atomic_abort(&f);
        return af_fail(s, "cannot write %s: %s", path, err);
    }
    if (af_atomic_commit(&f, err, sizeof err) < 0) return af_fail(s, "%s", err);

    af_arena *a = af_arena_of(s);
    af_value *names = af_list(a), *anchors = af_list(a);
    static const char *const dn[] = {"COSTS_TOTAL", "MARGIN", "REPORT_TITLE", "SALES_TOTAL"};
    for (size_t i = 0; i < 4; i++)
        af_list_push(a, names, af_str(a, dn[i]));
    af_list_push(a, anchors, af_str(a, "SALES_ANCHOR"));
    af_list_push(a, anchors, af_str(a, "COSTS_ANCHOR"));
    af_out_set(s, "path", af_str(a, path));
    af_out_set(s, "defined_names", names);
    af_out_set(s, "anchors", anchors);
    return AF_SUCCESS;
}

const af_step_desc af_step_demo_make_template = {
    .abi = AF_ABI_VERSION,
    .name = "demo_make_template",
    .summary = "Writes the UC2 demo's Excel report template (sheet Report, two anchored regions)",
    .inputs = inputs,
    .outputs = outputs,
    .run = run,
    .libs = "-larchive",
    .help = "The template's layout is described at the top of make_template.c: a hidden "
            "marker row per region (SALES_ANCHOR, COSTS_ANCHOR) carrying the data formats, a "
            "header row, an empty row where data rows are inserted, totals whose SUM ranges "
            "grow over the data, and defined names REPORT_TITLE, SALES_TOTAL, COSTS_TOTAL, "
            "MARGIN.",
};
