/*
 * xlsx_int.h - internals shared by the xlsx_*.c files (see xlsx.h).
 *
 * The model: a book is the list of zip entries of the template (parts) plus
 * parsed views of the parts the steps read or change. Parts are loaded as
 * bytes at open (XML parts only; binary parts stay in the zip and are
 * copied at save). A part that is changed is either kept as a libxml2
 * document (workbook, styles, tables...) and re-serialised, or is a
 * worksheet written row by row from its cell model.
 *
 * A worksheet keeps its XML as a document with <sheetData> emptied; the
 * rows live in `rows` (sorted by row number, cells sorted by column), and
 * rows streamed by the fill steps live in spool files (blocks) that are
 * merged with the model when the sheet is written or scanned.
 */
#ifndef XLSX_INT_H
#define XLSX_INT_H

#include "xlsx.h"

#include <libxml/tree.h>
#include <time.h>

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKGREL "http://schemas.openxmlformats.org/package/2006/relationships"
#define NS_CT "http://schemas.openxmlformats.org/package/2006/content-types"
#define REL_WORKSHEET NS_REL "/worksheet"
#define REL_OFFICEDOC NS_REL "/officeDocument"
#define CT_WORKSHEET "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

/* ---- parts ---------------------------------------------------------------- */

typedef struct xpart {
    char *name; /* zip entry name, no leading '/' */
    char *data; /* content when loaded (XML parts), else NULL */
    size_t len;
    int loaded;
    time_t mtime;
    int is_dir;
    int deleted;       /* not written (calcChain) */
    int is_new;        /* not in the template: appended at save */
    xmlDocPtr doc;     /* parsed on demand */
    int dirty;         /* doc changed: re-serialise it */
    xlsx_sheet *sheet; /* a loaded worksheet: written from its model when dirty */
} xpart;

/* ---- cells and rows ---------------------------------------------------------- */

enum {
    XT_N = 0,  /* number (default type), or nothing */
    XT_S,      /* shared string: v is the index */
    XT_STR,    /* t="str": a string (formula result or plain) */
    XT_INLINE, /* inline string: v is its plain text; `is` its XML when from the template */
    XT_B,      /* boolean: v "0"/"1" */
    XT_E,      /* error: v "#N/A" */
    XT_D,      /* t="d": ISO 8601 text */
};

typedef struct xcell {
    uint32_t col;
    uint32_t s;        /* cell format (xf index) */
    uint32_t seq;      /* write order of the value (0: template) */
    uint8_t t;         /* XT_* */
    uint8_t fml;       /* has a formula (f may be "" for a shared child) */
    const char *v;     /* <v> text or inline plain text; NULL: no value */
    const char *is;    /* raw <is> element of a template inline string */
    const char *f;     /* formula text */
    const char *fattr; /* raw attributes of <f>, with a leading space */
    const char *attrs; /* raw other attributes of <c> (cm, vm, ph), leading space */
    const char *ext;   /* raw child elements we do not model (extLst) */
} xcell;

typedef struct xrow {
    uint32_t r;
    uint32_t n, cap;
    xcell *cells;
    const char *attrs; /* raw attributes besides r and spans, leading space */
} xrow;

/* ---- blocks --------------------------------------------------------------------- */

typedef struct xsplit {
    uint64_t at;  /* first block row moved */
    uint32_t add; /* rows inserted before it */
} xsplit;

struct xlsx_block {
    xlsx_sheet *sh;
    uint32_t seq;
    uint32_t row0, col0; /* sheet position of block row 0 (moves with insertions) */
    uint64_t nrows;
    uint64_t last_nonempty; /* 1 + index of the last row with a cell, 0 if none */
    uint32_t width;
    FILE *fp; /* spool: per row u32 n, then n x (u8 kind, u32 len, bytes) */
    xsplit *splits;
    size_t nsplits;
    uint32_t *copy; /* style copy source per column, or NULL */
    uint32_t ncopy;
    uint64_t watch;      /* watched row (UINT64_MAX: none) */
    uint8_t *watch_kind; /* value kinds of the watched row */
    uint32_t watch_n;
};

/* spool kinds beyond xlsx_vkind: strings openpyxl turns into formulas
 * ("=...") and error cells ("#N/A") */
enum { XLSX_BK_FORMULA = 10, XLSX_BK_ERROR = 11 };

/* a cell of a block row as read back from the spool */
typedef struct bcell {
    uint8_t kind; /* xlsx_vkind or XLSX_BK_* */
    const char *s;
    uint32_t len;
} bcell;

/* ---- sheets ------------------------------------------------------------------------ */

struct xlsx_sheet {
    xlsx_book *b;
    size_t idx; /* position in <sheets> */
    const char *title;
    xpart *part;
    xmlDocPtr doc; /* the worksheet, <sheetData> emptied */
    xmlNodePtr sheet_data;
    const char *pfx; /* namespace prefix of <sheetData> with ':' or "" */
    xrow *rows;
    size_t nrows, caprows;
    xlsx_block **blocks;
    size_t nblocks;
    int dirty; /* write from the model */
    int stale; /* cached formula results are dropped when written */
};

typedef struct xsheet_ent {
    const char *name;
    const char *rid;
    const char *part_name;
    xmlNodePtr node; /* <sheet> in workbook.xml */
    int worksheet;   /* not a chartsheet / dialogsheet */
    xlsx_sheet *sh;  /* loaded */
} xsheet_ent;

typedef struct xname_ent {
    xlsx_name pub;
    xmlNodePtr node;
} xname_ent;

/* small open-addressing map of 64-bit keys to 32-bit values (style caches) */
typedef struct xmap {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap, n;
} xmap;

struct xlsx_book {
    af_arena *a;
    const char *path;
    xpart **parts; /* in zip order; new parts at the end */
    size_t nparts, capparts;
    xpart *ct, *wb, *wbrels, *styles, *sst;
    const char *wb_dir; /* "xl/" */
    xsheet_ent *sheets;
    size_t nsheets, capsheets;
    xname_ent *names;
    size_t nnames, capnames;
    const char **sst_text;
    uint32_t *sst_len;
    uint32_t nsst;
    /* styles */
    xmlNodePtr cellxfs, fonts, numfmts;
    xmlNodePtr *xfs;
    size_t nxfs, capxfs;
    xmlNodePtr *fontv;
    size_t nfonts, capfonts;
    xmap date_map, copy_map, bold_map, xf_dedup_unused;
    int styles_ready;
    uint32_t seq;        /* value write sequence */
    xlsx_block **blocks; /* every block, for cleanup */
    size_t nblocks, capblocks;
};

/* ---- xlsx_book.c ---------------------------------------------------------------- */

xpart *xlsx__part(xlsx_book *b, const char *name);                     /* NULL when absent */
xmlDocPtr xlsx__doc(xlsx_book *b, xpart *p, char *err, size_t errlen); /* parse on demand */
/* new part with given content type (Override) */
xpart *xlsx__part_new(xlsx_book *b, const char *name, const char *ctype);
/* target of a relationship from part `from` resolved to a part name */
const char *xlsx__rel_target(xlsx_book *b, const char *from, const char *target);
/* The relationships part name of a part: xl/_rels/workbook.xml.rels */
const char *xlsx__rels_name(xlsx_book *b, const char *part);
/* Part names related from `part` by relationships whose type ends with suffix. */
size_t xlsx__related(xlsx_book *b, const char *part, const char *type_suffix, const char **out,
                     size_t max);
void xlsx__calc_dirty(xlsx_book *b); /* formulas must be recalculated on load */
/* Adds node under parent before the first sibling that follows it in order. */
xmlNodePtr xlsx__insert_ordered(xmlNodePtr parent, xmlNodePtr node, const char *const *order);
/* Shifts the defined names referring to `target` (a row insertion). */
int xlsx__names_shift(xlsx_book *b, const char *target, uint32_t idx, uint32_t n);
/* Sets the hidden _xlnm._FilterDatabase name of sheet sheet_idx. */
void xlsx__filter_name(xlsx_book *b, size_t sheet_idx, const char *value);
/* Appends a sheet name as formulas write it ('My Sheet' quoted). */
void xlsx__quote_sheet(af_buf *o, const char *name);

/* ---- xml helpers (xlsx_book.c) --------------------------------------------------- */

int xlsx__is(xmlNodePtr n, const char *local); /* element with that local name */
xmlNodePtr xlsx__child(xmlNodePtr n, const char *local);
char *xlsx__attr(af_arena *a, xmlNodePtr n, const char *name); /* NULL when absent */
char *xlsx__text(af_arena *a, xmlNodePtr n);                   /* concatenated text content */
void xlsx__set_text(xmlNodePtr n, const char *text);
/* XML escaping into b: attribute values (quotes too) or text. */
void xlsx__esc(af_buf *b, const char *s, size_t n, int attr);
/* Raw XML of node (with its namespace declarations as written) */
char *xlsx__node_xml(af_arena *a, xmlNodePtr n);

/* ---- xlsx_style.c ------------------------------------------------------------------- */

int xlsx__styles_load(xlsx_book *b, char *err, size_t errlen);

uint32_t xmap_get(xmap *m, uint64_t k, int *found);
void xmap_put(xmap *m, uint64_t k, uint32_t v);
void xmap_free(xmap *m);

/* ---- xlsx_sheet.c ------------------------------------------------------------------- */

int xlsx__sheet_load(xlsx_book *b, xsheet_ent *e, char *err, size_t errlen);
/* writes the worksheet XML through put (a zip entry writer) */
typedef int (*xlsx_put_fn)(void *ud, const void *p, size_t n, char *err, size_t errlen);
int xlsx__sheet_write(xlsx_sheet *sh, xlsx_put_fn put, void *ud, char *err, size_t errlen);
void xlsx__sheet_free(xlsx_sheet *sh);
/* Shifts the formula text of every cell of sh that refers to `target`. */
int xlsx__sheet_shift_formulas(xlsx_sheet *sh, const char *target, uint32_t idx, uint32_t n,
                               char *err, size_t errlen);

/* ---- xlsx_block.c ------------------------------------------------------------------- */

/* Sheet row of block row i. */
uint32_t xlsx__block_row_at(const xlsx_block *bk, uint64_t i);
/* rewinds the spool for reading */
int xlsx__block_rewind(xlsx_block *bk, char *err, size_t errlen);
/* one block row read back: cells point into bytes */
typedef struct xlsx_rowbuf {
    bcell *cells;
    size_t *offs;
    uint32_t n, cap;
    af_buf bytes;
} xlsx_rowbuf;
/* reads the next block row into rb: 1, 0 at the end, -1 error */
int xlsx__block_next(xlsx_block *bk, xlsx_rowbuf *rb, char *err, size_t errlen);
void xlsx__rowbuf_free(xlsx_rowbuf *rb);
void xlsx__block_insert(xlsx_block *bk, uint32_t idx, uint32_t n);
void xlsx__block_free(xlsx_block *bk);
/* Validates a string for a cell: UTF-8 with only characters XML allows;
 * *keep is the byte length of its first 32767 characters (openpyxl
 * truncates there). Returns 0 or -1 with err. */
int xlsx__check_str(const char *s, size_t n, size_t *keep, char *err, size_t errlen);

#endif /* XLSX_INT_H */
