/*
 * xlsx.h - the OOXML workbook layer behind the Excel steps
 * (excel_validate_template, excel_fill_small, excel_fill_from_file).
 *
 * An .xlsx file is a zip (read and written with libarchive) of XML parts
 * (parsed with libxml2). The layer opens a template, gives the steps a cell
 * model of the worksheets they touch, and writes the result back: parts it
 * did not change are copied through byte for byte; changed parts are
 * re-serialised; worksheets are written row by row so that big data blocks
 * stream from a spool file instead of memory.
 *
 * Files, in the order a fill uses them:
 *   xlsx_ref.c    A1 references and the references inside formulas
 *   xlsx_cast.c   Python-compatible text conversions (int(), float(),
 *                 fromisoformat, str.upper/strip) and value casting
 *   xlsx_book.c   open/save: zip, content types, relationships, workbook
 *                 (sheets, defined names), shared strings
 *   xlsx_style.c  styles.xml: number formats, fonts, cell formats (xfs)
 *   xlsx_sheet.c  worksheet model: rows and cells, row insertion with
 *                 shifting, freeze panes, autofilter, the row writer
 *   xlsx_block.c  streamed data blocks: rows spooled to a temp file
 *   xlsx_fill.c   the steps' logic: anchors, targets, headers, styles,
 *                 guards (everything but reading inputs and atomic output)
 *
 * Ownership, stated once: a book owns an arena; every string and structure
 * returned by an xlsx_ function lives there until xlsx_free(). Arguments are
 * borrowed. Functions that can fail return 0 / -1 (or NULL) and write a
 * message into err (never NULL, errlen > 0).
 *
 * Rows and columns are 1-based, like A1 references.
 */
#ifndef XLSX_H
#define XLSX_H

#include "af.h"

#include <stdint.h>
#include <stdio.h>

#define XLSX_MAX_ROW 1048576u
#define XLSX_MAX_COL 16384u

typedef struct xlsx_book xlsx_book;
typedef struct xlsx_sheet xlsx_sheet;
typedef struct xlsx_block xlsx_block;

/* ---- xlsx_ref.c: references --------------------------------------------- */

enum {
    XLSX_REF_CELL = 1, /* A1 */
    XLSX_REF_AREA,     /* A1:B2 */
    XLSX_REF_ROWS,     /* 3:5 */
    XLSX_REF_COLS,     /* A:C */
};

typedef struct xlsx_ref {
    int kind;                         /* XLSX_REF_* */
    uint32_t r1, c1, r2, c2;          /* rows of COLS and columns of ROWS are 0 */
    unsigned char ar1, ac1, ar2, ac2; /* $ on row / column */
    const char *sheet;                /* unquoted qualifier, NULL when unqualified */
    int three_d;                      /* Sheet1:Sheet3!A1 */
    int external;                     /* [1]Sheet!A1: another workbook */
    int invalid;                      /* set by a rewrite: the reference becomes #REF! */
} xlsx_ref;

/* Column letters (1-3 of them, any case) to a column number; -1 if not a
 * column inside the sheet. */
int xlsx_col_parse(const char *s, size_t n, uint32_t *col);
/* Column number to letters in buf; returns buf. */
const char *xlsx_col_name(uint32_t col, char buf[4]);
/* "B7" for (7, 2) in buf; returns buf. */
const char *xlsx_ref_fmt(char buf[16], uint32_t row, uint32_t col);
/* Parses a whole string as one cell ("A1", "$A$1"): 0 or -1. */
int xlsx_cell_parse(const char *s, uint32_t *row, uint32_t *col);
/* Parses n bytes as one unqualified reference of any kind: 0 or -1. */
int xlsx_area_parse(const char *s, size_t n, xlsx_ref *r);
/* Appends the reference (without qualifier) to b. */
void xlsx_area_write(af_buf *b, const xlsx_ref *r);

/* Called for each reference found in a formula. Returns 1 when it changed
 * *r (then the reference is re-written, or "#REF!" if r->invalid), 0 to
 * keep the original text. */
typedef int (*xlsx_ref_fn)(void *ud, xlsx_ref *r);
/* Appends formula f (n bytes, without the leading '=') to out with every
 * reference passed through cb. Returns 1 if anything changed. */
int xlsx_formula_map(const char *f, size_t n, xlsx_ref_fn cb, void *ud, af_buf *out);
/* Moves the rows of r that are >= idx down by n. Returns 1 if changed. */
int xlsx_ref_shift_rows(xlsx_ref *r, uint32_t idx, uint32_t n);
/* Row insertion in formula text: references to sheet `target` (qualified,
 * or unqualified when the formula lives on `home`; home NULL for defined
 * names) at rows >= idx move down by n. Returns 1 if changed. */
int xlsx_formula_shift_rows(const char *f, const char *home, const char *target, uint32_t idx,
                            uint32_t n, af_buf *out);
/* Moves the relative parts of every reference by (dr, dc): the formula of
 * a shared-formula cell from its master's. Returns 1 if changed. */
int xlsx_formula_translate(const char *f, int64_t dr, int64_t dc, af_buf *out);
/* The same for a space-separated list of ranges (sqref attributes). */
int xlsx_sqref_shift_rows(const char *sq, uint32_t idx, uint32_t n, af_buf *out);

/* ---- xlsx_cast.c: Python-compatible conversions ----------------------- */

/* A value to write into a cell. */
typedef enum xlsx_vkind {
    XLSX_V_NONE = 0, /* empty: clears the value */
    XLSX_V_NUM,      /* num */
    XLSX_V_STR,      /* s/len; "=..." (longer than 1) is a formula, as openpyxl does */
    XLSX_V_BOOL,     /* num is 0 or 1 */
    XLSX_V_DATE,     /* num is the Excel serial (days) */
    XLSX_V_DATETIME, /* num is the Excel serial (days and fraction); tz set when aware */
} xlsx_vkind;

typedef struct xlsx_val {
    xlsx_vkind kind;
    double num;
    const char *s;
    size_t len;
    int tz; /* DATETIME parsed with a UTC offset: Excel cannot store it */
} xlsx_val;

/* dtypes of the `dtypes` maps */
typedef enum xlsx_dtype {
    XLSX_DT_STRING = 0,
    XLSX_DT_INT,
    XLSX_DT_FLOAT,
    XLSX_DT_BOOL,
    XLSX_DT_DATE,
    XLSX_DT_DATETIME,
    XLSX_DT_OTHER, /* any other name: the text is kept, as the reference does */
} xlsx_dtype;

xlsx_dtype xlsx_dtype_parse(const char *name); /* case-insensitive */

/* str.isspace() for one code point. */
int xlsx_py_isspace(uint32_t cp);
/* The reference's anchor normalisation: NBSP to space, strip, runs of
 * whitespace to one space. upper: also str.upper() (ASCII letters only). */
char *xlsx_norm(af_arena *a, const char *s, size_t n, int upper);
/* 1 when s starts or ends with whitespace (value != value.strip()). */
int xlsx_edge_space(const char *s, size_t n);
/* int(s) for a string: 1 if s is a Python int literal (surrounding
 * whitespace, sign, "_" between digits), with its value in *d (exact for
 * |v| < 2^53, correctly rounded beyond, like float(int(s))). */
int xlsx_py_int(const char *s, size_t n, double *d);
/* float(s): 1 if Python accepts s, value in *d. */
int xlsx_py_float(const char *s, size_t n, double *d);

typedef struct xlsx_dt {
    int y, mo, d, h, mi, s, us;
    int tz; /* a UTC offset was given */
} xlsx_dt;

/* date.fromisoformat and datetime.fromisoformat of Python 3.11 (the
 * reference strips one trailing "Z" before the latter). 1 if accepted. */
int xlsx_iso_date(const char *s, size_t n, xlsx_dt *out);
int xlsx_iso_datetime(const char *s, size_t n, xlsx_dt *out);
/* openpyxl's to_excel: days since 1899-12-30 (with the 1900 leap-year
 * adjustment) plus the time as a fraction of a day. */
double xlsx_dt_serial(const xlsx_dt *dt);

/* _cast_value(s, dtype) for a string value: "" becomes empty; a failed
 * conversion keeps the text. */
void xlsx_cast_text(const char *s, size_t n, xlsx_dtype dt, xlsx_val *out);
/* The "basic" inference of _cast_row for one string. */
void xlsx_cast_basic(const char *s, size_t n, xlsx_val *out);

/* Appends Python's "%.16g" % x (what openpyxl writes for numbers). */
void xlsx_num_text(double x, char buf[32]);

/* ---- xlsx_book.c: workbook --------------------------------------------- */

/* Opens the template at path. Fails on anything that is not a readable
 * OOXML spreadsheet ("not an Excel workbook: ..."). */
int xlsx_open(const char *path, xlsx_book **out, char *err, size_t errlen);
void xlsx_free(xlsx_book *b); /* NULL ok; also removes spool files */
af_arena *xlsx_arena(xlsx_book *b);

/* Writes the workbook as a zip to fd (not closed). Parts not changed are
 * copied from the template byte for byte. Returns 0 or -1. */
int xlsx_save(xlsx_book *b, int fd, char *err, size_t errlen);

/* Sheets in workbook order (openpyxl's wb.sheetnames); xlsx_sheet_is_work
 * tells worksheets from chart sheets. */
size_t xlsx_nsheets(const xlsx_book *b);
const char *xlsx_sheet_name_at(const xlsx_book *b, size_t i);
int xlsx_sheet_is_work(const xlsx_book *b, size_t i);
/* The worksheet called name (exact), loading its part on first use; NULL
 * with err "Worksheet NAME does not exist." (or a parse error). */
xlsx_sheet *xlsx_sheet_get(xlsx_book *b, const char *name, char *err, size_t errlen);
/* Appends a new empty worksheet, as openpyxl's create_sheet (a name taken
 * case-insensitively gets a number appended). NULL with err on a name
 * Excel refuses. */
xlsx_sheet *xlsx_sheet_add(xlsx_book *b, const char *name, char *err, size_t errlen);
const char *xlsx_sheet_title(const xlsx_sheet *sh);

/* Defined names. */
typedef struct xlsx_name {
    const char *name;
    const char *value; /* formula text, e.g. Report!$B$5 */
    int local;         /* has localSheetId */
    uint32_t local_id; /* position in <sheets> */
} xlsx_name;
size_t xlsx_nnames(const xlsx_book *b);
const xlsx_name *xlsx_name_at(const xlsx_book *b, size_t i);
/* The workbook-scoped name called name (exact), as openpyxl 3.1's
 * wb.defined_names (which leaves out _xlnm.Print_Titles, _xlnm.Print_Area
 * and _xlnm._FilterDatabase); NULL if none. */
const xlsx_name *xlsx_name_global(const xlsx_book *b, const char *name);

/* Shared string i as plain text (runs joined), or NULL. */
const char *xlsx_sst(const xlsx_book *b, uint32_t i, size_t *len);

/* ---- xlsx_style.c: cell formats ----------------------------------------- */

/* Number format code of cell format s ("General" when unknown). */
const char *xlsx_style_numfmt(xlsx_book *b, uint32_t s);
/* openpyxl's is_date_format (3.1) of a format code. */
int xlsx_numfmt_is_date(const char *code);
/* The cell format a date (kind XLSX_V_DATE) or datetime written into a cell
 * of format s ends up with: s itself when it already shows dates, else a
 * copy with "yyyy-mm-dd" / "yyyy-mm-dd h:mm:ss". */
uint32_t xlsx_style_for_date(xlsx_book *b, uint32_t s, xlsx_vkind kind);
/* openpyxl's style copy (font, fill, border, alignment, number format,
 * protection) from src onto a cell of format dst: the resulting format. */
uint32_t xlsx_style_copy(xlsx_book *b, uint32_t src, uint32_t dst);
/* Format s with its font made bold (the font is copied, never replaced). */
uint32_t xlsx_style_bold(xlsx_book *b, uint32_t s);
size_t xlsx_style_count(const xlsx_book *b);

/* ---- xlsx_sheet.c: worksheet model ------------------------------------- */

/* A cell as seen by readers of the model (search, validate, tests). */
typedef enum xlsx_ckind {
    XLSX_C_BLANK = 0, /* no value (maybe a style) */
    XLSX_C_NUM,       /* text: the number as written in the file */
    XLSX_C_STR,       /* text: the string (shared, inline or new) */
    XLSX_C_BOOL,      /* text: "0" / "1" */
    XLSX_C_ERROR,     /* text: "#N/A" ... */
    XLSX_C_FORMULA,   /* text: the formula without '=', cached value in ctext */
} xlsx_ckind;

typedef struct xlsx_cellview {
    uint32_t row, col;
    xlsx_ckind kind;
    const char *text; /* see kinds; NUL-terminated */
    size_t len;
    xlsx_ckind ckind; /* FORMULA: kind of the cached value (BLANK when none) */
    const char *ctext;
    uint32_t style;
} xlsx_cellview;

/* Visits the cells that hold something (value or style), row by row and
 * left to right, including rows streamed into blocks. cb returns 0 to go
 * on, 1 to stop (then xlsx_sheet_scan returns 1), -1 to fail. */
typedef int (*xlsx_cell_fn)(void *ud, const xlsx_cellview *c);
int xlsx_sheet_scan(xlsx_sheet *sh, xlsx_cell_fn cb, void *ud, char *err, size_t errlen);

/* The cell bounding box as openpyxl sees it (min/max over existing cells;
 * all 1 on an empty sheet). */
void xlsx_sheet_bounds(xlsx_sheet *sh, uint32_t *min_row, uint32_t *min_col, uint32_t *max_row,
                       uint32_t *max_col);

/* Sets a cell's value as openpyxl's `cell.value = v`: the style stays,
 * except that a date or datetime into a cell whose format does not show
 * dates gets a date format. Returns 0, or -1 (a string Excel cannot hold,
 * an aware datetime, a bad reference) with err. */
int xlsx_cell_set(xlsx_sheet *sh, uint32_t row, uint32_t col, const xlsx_val *v, char *err,
                  size_t errlen);
/* Makes the cell exist without changing it (openpyxl's ws.cell()). */
void xlsx_cell_touch(xlsx_sheet *sh, uint32_t row, uint32_t col);
uint32_t xlsx_cell_style(xlsx_sheet *sh, uint32_t row, uint32_t col); /* 0 when absent */
void xlsx_cell_set_style(xlsx_sheet *sh, uint32_t row, uint32_t col, uint32_t style);
/* Reads one cell (blank view when absent). Block cells are not seen. */
void xlsx_cell_get(xlsx_sheet *sh, uint32_t row, uint32_t col, xlsx_cellview *out);

/* Inserts n empty rows before row idx, as Excel does: cells, row formats
 * and heights move down, and so do references to them in formulas of every
 * sheet, defined names, merged ranges, conditional formats, data
 * validations, hyperlinks, the autofilter, tables, comments, drawing
 * anchors and page breaks. Returns 0 or -1. */
int xlsx_insert_rows(xlsx_sheet *sh, uint32_t idx, uint32_t n, char *err, size_t errlen);

/* openpyxl's ws.freeze_panes = cell ("A1" removes the pane). */
void xlsx_sheet_freeze(xlsx_sheet *sh, uint32_t row, uint32_t col);
/* ws.auto_filter.ref = ref, with the _xlnm._FilterDatabase name Excel keeps. */
void xlsx_sheet_autofilter(xlsx_sheet *sh, uint32_t r1, uint32_t c1, uint32_t r2, uint32_t c2);

/* Read back for tests: the frozen top-left cell (0 when none), and the
 * autofilter ref (NULL when none). */
void xlsx_sheet_frozen(xlsx_sheet *sh, uint32_t *row, uint32_t *col);
const char *xlsx_sheet_autofilter_ref(xlsx_sheet *sh);

/* ---- xlsx_block.c: streamed rows ---------------------------------------- */

/* Starts a block of rows written at (row0, col0) of sh, spooled to an
 * unlinked temp file in tmpdir. Later writes win over earlier ones cell by
 * cell; a cell's style comes from the model (plus the date format rule).
 * Returns NULL with err. */
xlsx_block *xlsx_block_begin(xlsx_sheet *sh, uint32_t row0, uint32_t col0, const char *tmpdir,
                             char *err, size_t errlen);
/* Appends the next row: n values for columns col0.. (a NONE value clears
 * the cell's value, as writing None does; cells past n are left alone).
 * Returns 0 or -1 (bad string, aware datetime, past the last row or
 * column). */
int xlsx_block_row(xlsx_block *bk, const xlsx_val *v, size_t n, char *err, size_t errlen);
/* Stops recording the value kinds of block row i (0-based) for
 * xlsx_block_style_at; call before writing rows. */
void xlsx_block_watch_row(xlsx_block *bk, uint64_t i);
/* Rows written so far, and the widest row. */
uint64_t xlsx_block_rows(const xlsx_block *bk);
uint32_t xlsx_block_width(const xlsx_block *bk);
/* The style openpyxl would give the block cell at sheet (row, col): only
 * for the watched row, else the model style. */
uint32_t xlsx_block_style_at(xlsx_block *bk, uint32_t row, uint32_t col);
/* Every block row's cells in columns col0..col0+n-1 get the style
 * xlsx_style_copy(src[j], their style): excel_fill_from_file's copy of a
 * style row onto the written rows, which also reaches the missing cells
 * of short rows. */
void xlsx_block_copy_styles(xlsx_block *bk, const uint32_t *src, uint32_t n);

/* ---- xlsx_fill.c: the steps ---------------------------------------------- */

typedef struct xlsx_env {
    af_arena *arena;        /* outputs and scratch */
    int enterprise;         /* anchor text search needs a sheet */
    const char *tmpdir;     /* spool files for streamed rows */
    int64_t rows_threshold; /* step-level default for report_region targets */
    /* Resolves a user path (source_path) like af_path; NULL: used as is. */
    int (*resolve)(void *ud, const char *what, const char *path, const char **out, char *err,
                   size_t errlen);
    void *ud;
    int (*cancelled)(void *ud); /* polled between rows; NULL: never */
} xlsx_env;

/* excel_validate_template: `required` is the raw required_names input (a
 * list, a JSON string or one name). On success *out is the output map
 * {template_ok, found_named_ranges, found_anchor_cells}. */
int xlsx_validate(xlsx_env *env, xlsx_book *b, const af_value *required, const char *sheet,
                  af_value **out, char *err, size_t errlen);
/* excel_fill_small over the `targets` list; *written is the output list. */
int xlsx_fill_small(xlsx_env *env, xlsx_book *b, const af_value *targets, af_value **written,
                    char *err, size_t errlen);
/* excel_fill_from_file over the `targets` list; *written is the output list. */
int xlsx_fill_from_file(xlsx_env *env, xlsx_book *b, const af_value *targets, af_value **written,
                        char *err, size_t errlen);

/* ---- xlsx_step.c: the steps' shared glue -------------------------------------- */

/* Runs excel_fill_small (from_file 0) or excel_fill_from_file over the
 * step's `targets` input: template at tpath, workbook written atomically to
 * opath (its directory is created). Sets the outputs `output` and
 * `written`. */
af_status xlsx_step_fill(af_step *s, const char *tpath, const char *opath, int from_file,
                         int64_t rows_threshold, int (*cancelled)(void *));
/* Build-time check of literal targets: unknown keys (warnings), choices,
 * anchor XOR cell, source_path. */
void xlsx_check_targets(af_check *c, const af_value *targets, const char *const *keys,
                        int from_file);

#endif /* XLSX_H */
