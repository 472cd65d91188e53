/*
 * xlsx_sheet.c - the worksheet model: rows and cells, row insertion with
 * everything that refers to rows, sheet views and the autofilter, and the
 * writer that streams a worksheet back out.
 *
 * Part of the OOXML workbook layer (xlsx.h). A loaded worksheet is its XML
 * document with <sheetData> emptied (the rest - columns, merged cells,
 * conditional formats, page setup, extensions - stays as parsed nodes and
 * is edited in place) plus a sorted array of rows holding sorted cells.
 * Cells keep what the model does not interpret (rich inline text,
 * extension elements, unknown attributes) as raw XML so they survive.
 *
 * Writing merges the model with the sheet's blocks (rows spooled by the
 * fill steps, xlsx_block.c) row by row, so a sheet of any size is written
 * with memory bounded by one row.
 */
#include "xlsx_int.h"

#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#define MARKER "AFC-SHEETDATA"

static const char *const ws_order[] = {"sheetPr",
                                       "dimension",
                                       "sheetViews",
                                       "sheetFormatPr",
                                       "cols",
                                       "sheetData",
                                       "sheetCalcPr",
                                       "sheetProtection",
                                       "protectedRanges",
                                       "scenarios",
                                       "autoFilter",
                                       "sortState",
                                       "dataConsolidate",
                                       "customSheetViews",
                                       "mergeCells",
                                       "phoneticPr",
                                       "conditionalFormatting",
                                       "dataValidations",
                                       "hyperlinks",
                                       "printOptions",
                                       "pageMargins",
                                       "pageSetup",
                                       "headerFooter",
                                       "rowBreaks",
                                       "colBreaks",
                                       "customProperties",
                                       "cellWatches",
                                       "ignoredErrors",
                                       "smartTags",
                                       "drawing",
                                       "legacyDrawing",
                                       "legacyDrawingHF",
                                       "drawingHF",
                                       "picture",
                                       "oleObjects",
                                       "controls",
                                       "webPublishItems",
                                       "tableParts",
                                       "extLst",
                                       NULL};

static const char *const error_codes[] = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!",
                                          "#NAME?", "#NUM!",   "#N/A",    NULL};

/* ---- loading ------------------------------------------------------------------------------ */

/* Raw attributes of n except those named in skip, as ` a="v"` text. */
static const char *raw_attrs(af_arena *a, xmlNodePtr n, const char *const *skip)
{
    af_buf b = {0};
    for (xmlAttrPtr at = n->properties; at; at = at->next) {
        int sk = 0;
        for (int i = 0; skip[i]; i++)
            if (!at->ns && !strcmp((const char *)at->name, skip[i])) sk = 1;
        if (sk) continue;
        xmlChar *v = xmlNodeListGetString(n->doc, at->children, 1);
        af_buf_putc(&b, ' ');
        if (at->ns && at->ns->prefix) {
            af_buf_puts(&b, (const char *)at->ns->prefix);
            af_buf_putc(&b, ':');
        }
        af_buf_puts(&b, (const char *)at->name);
        af_buf_puts(&b, "=\"");
        if (v) xlsx__esc(&b, (const char *)v, strlen((const char *)v), 1);
        af_buf_putc(&b, '"');
        xmlFree(v);
    }
    const char *r = b.len ? af_strndup(a, b.data, b.len) : NULL;
    af_buf_free(&b);
    return r;
}

static xrow *row_insert_at(xlsx_sheet *sh, size_t pos, uint32_t r)
{
    if (sh->nrows == sh->caprows) {
        sh->caprows = sh->caprows ? sh->caprows * 2 : 64;
        sh->rows = realloc(sh->rows, sh->caprows * sizeof *sh->rows);
        if (!sh->rows) abort();
    }
    memmove(sh->rows + pos + 1, sh->rows + pos, (sh->nrows - pos) * sizeof *sh->rows);
    sh->nrows++;
    xrow *row = &sh->rows[pos];
    memset(row, 0, sizeof *row);
    row->r = r;
    return row;
}

static size_t row_lower(xlsx_sheet *sh, uint32_t r)
{
    size_t lo = 0, hi = sh->nrows;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sh->rows[mid].r < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static xrow *row_find(xlsx_sheet *sh, uint32_t r, int create)
{
    if (sh->nrows && sh->rows[sh->nrows - 1].r < r) { /* appending: the common case */
        return create ? row_insert_at(sh, sh->nrows, r) : NULL;
    }
    size_t i = row_lower(sh, r);
    if (i < sh->nrows && sh->rows[i].r == r) return &sh->rows[i];
    return create ? row_insert_at(sh, i, r) : NULL;
}

static xcell *cell_find(xrow *row, uint32_t c, int create)
{
    size_t lo = 0, hi = row->n;
    if (row->n && row->cells[row->n - 1].col < c) {
        lo = row->n;
    } else {
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (row->cells[mid].col < c)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < row->n && row->cells[lo].col == c) return &row->cells[lo];
    }
    if (!create) return NULL;
    if (row->n == row->cap) {
        row->cap = row->cap ? row->cap * 2 : 8;
        row->cells = realloc(row->cells, row->cap * sizeof *row->cells);
        if (!row->cells) abort();
    }
    memmove(row->cells + lo + 1, row->cells + lo, (row->n - lo) * sizeof *row->cells);
    row->n++;
    xcell *x = &row->cells[lo];
    memset(x, 0, sizeof *x);
    x->col = c;
    return x;
}

static int parse_type(const char *t)
{
    if (!t || !strcmp(t, "n")) return XT_N;
    if (!strcmp(t, "s")) return XT_S;
    if (!strcmp(t, "str")) return XT_STR;
    if (!strcmp(t, "inlineStr")) return XT_INLINE;
    if (!strcmp(t, "b")) return XT_B;
    if (!strcmp(t, "e")) return XT_E;
    if (!strcmp(t, "d")) return XT_D;
    return XT_N;
}

static int load_cell(xlsx_sheet *sh, xrow *row, xmlNodePtr c, uint32_t *prevcol, char *err,
                     size_t errlen)
{
    af_arena *a = sh->b->a;
    const char *ref = xlsx__attr(a, c, "r");
    uint32_t rr = row->r, cc = *prevcol + 1;
    if (ref && (xlsx_cell_parse(ref, &rr, &cc) < 0 || rr != row->r)) {
        snprintf(err, errlen, "not an Excel workbook: sheet %s: bad cell reference %s", sh->title,
                 ref);
        return -1;
    }
    if (cc > XLSX_MAX_COL) {
        snprintf(err, errlen, "not an Excel workbook: sheet %s: too many cells in row %u",
                 sh->title, row->r);
        return -1;
    }
    *prevcol = cc;
    xcell *x = cell_find(row, cc, 1);
    const char *s = xlsx__attr(a, c, "s");
    x->s = s ? (uint32_t)strtoul(s, NULL, 10) : 0;
    x->t = (uint8_t)parse_type(xlsx__attr(a, c, "t"));
    static const char *const skip[] = {"r", "s", "t", NULL};
    x->attrs = raw_attrs(a, c, skip);
    af_buf ext = {0};
    for (xmlNodePtr ch = c->children; ch; ch = ch->next) {
        if (xlsx__is(ch, "v")) {
            x->v = xlsx__text(a, ch);
        } else if (xlsx__is(ch, "f")) {
            x->fml = 1;
            x->f = xlsx__text(a, ch);
            static const char *const fskip[] = {NULL};
            x->fattr = raw_attrs(a, ch, fskip);
        } else if (xlsx__is(ch, "is")) {
            x->is = xlsx__node_xml(a, ch);
            af_buf t = {0};
            for (xmlNodePtr k = ch->children; k; k = k->next) {
                xmlNodePtr tn = xlsx__is(k, "t")   ? k
                                : xlsx__is(k, "r") ? xlsx__child(k, "t")
                                                   : NULL;
                if (!tn) continue;
                xmlChar *v = xmlNodeGetContent(tn);
                if (v) af_buf_puts(&t, (const char *)v);
                xmlFree(v);
            }
            x->v = af_strndup(a, af_buf_cstr(&t), t.len);
            af_buf_free(&t);
        } else if (ch->type == XML_ELEMENT_NODE) {
            char *raw = xlsx__node_xml(a, ch);
            af_buf_puts(&ext, raw);
        }
    }
    if (ext.len) x->ext = af_strndup(a, ext.data, ext.len);
    af_buf_free(&ext);
    return 0;
}

int xlsx__sheet_load(xlsx_book *b, xsheet_ent *e, char *err, size_t errlen)
{
    xpart *p = xlsx__part(b, e->part_name);
    if (!p) {
        snprintf(err, errlen, "not an Excel workbook: sheet %s has no part %s", e->name,
                 e->part_name);
        return -1;
    }
    xmlDocPtr d = xlsx__doc(b, p, err, errlen);
    if (!d) return -1;
    xlsx_sheet *sh = calloc(1, sizeof *sh);
    if (!sh) abort();
    sh->b = b;
    sh->idx = (size_t)(e - b->sheets);
    sh->title = e->name;
    sh->part = p;
    sh->doc = d;
    xmlNodePtr root = xmlDocGetRootElement(d);
    sh->sheet_data = xlsx__child(root, "sheetData");
    if (!sh->sheet_data) {
        sh->sheet_data = xmlNewDocNode(d, root->ns, BAD_CAST "sheetData", NULL);
        xlsx__insert_ordered(root, sh->sheet_data, ws_order);
    }
    sh->pfx = sh->sheet_data->ns && sh->sheet_data->ns->prefix
                  ? af_sprintf(b->a, "%s:", (const char *)sh->sheet_data->ns->prefix)
                  : "";
    uint32_t prev = 0;
    for (xmlNodePtr r = sh->sheet_data->children; r; r = r->next) {
        if (!xlsx__is(r, "row")) continue;
        const char *rs = xlsx__attr(b->a, r, "r");
        uint32_t rn = rs ? (uint32_t)strtoul(rs, NULL, 10) : prev + 1;
        if (rn == 0 || rn > XLSX_MAX_ROW) {
            snprintf(err, errlen, "not an Excel workbook: sheet %s: bad row number %s", e->name,
                     rs ? rs : "");
            xlsx__sheet_free(sh);
            return -1;
        }
        prev = rn;
        xrow *row = row_find(sh, rn, 1);
        static const char *const skip[] = {"r", "spans", NULL};
        row->attrs = raw_attrs(b->a, r, skip);
        uint32_t pc = 0;
        for (xmlNodePtr c = r->children; c; c = c->next) {
            if (!xlsx__is(c, "c")) continue;
            if (load_cell(sh, row, c, &pc, err, errlen) < 0) {
                xlsx__sheet_free(sh);
                return -1;
            }
        }
    }
    /* the rows now live in the model; a marker shows where they go back */
    xmlNodePtr kid = sh->sheet_data->children;
    while (kid) {
        xmlNodePtr next = kid->next;
        xmlUnlinkNode(kid);
        xmlFreeNode(kid);
        kid = next;
    }
    xmlAddChild(sh->sheet_data, xmlNewDocComment(d, BAD_CAST MARKER));
    p->sheet = sh;
    e->sh = sh;
    return 0;
}

void xlsx__sheet_free(xlsx_sheet *sh)
{
    if (!sh) return;
    for (size_t i = 0; i < sh->nrows; i++)
        free(sh->rows[i].cells);
    free(sh->rows);
    free(sh->blocks);
    free(sh);
}

/* ---- cells ---------------------------------------------------------------------------------- */

int xlsx__check_str(const char *s, size_t n, size_t *keep, char *err, size_t errlen)
{
    size_t i = 0, chars = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (i < n) {
        if (chars == 32767) break; /* openpyxl truncates longer strings */
        unsigned c = u[i];
        int len = c < 0x80 ? 1 : c >= 0xf5 ? 0 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        uint32_t cp = c;
        if (len == 0 || i + (size_t)len > n) goto bad_utf8;
        if (len > 1) {
            cp = c & (0x3fu >> (len - 1));
            for (int k = 1; k < len; k++) {
                if ((u[i + (size_t)k] & 0xc0) != 0x80) goto bad_utf8;
                cp = (cp << 6) | (u[i + (size_t)k] & 0x3f);
            }
            if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
                goto bad_utf8;
            if (cp >= 0xd800 && cp <= 0xdfff) {
                /* the CSV reader carries undecodable bytes as U+DC80..U+DCFF */
                snprintf(err, errlen, "'utf-8' codec can't decode byte 0x%02x",
                         cp >= 0xdc80 && cp <= 0xdcff ? cp - 0xdc00 : c);
                return -1;
            }
        }
        if ((cp < 0x20 && cp != 9 && cp != 10 && cp != 13) || cp == 0xfffe || cp == 0xffff) {
            snprintf(err, errlen, "string holds a character Excel cannot store (U+%04X)", cp);
            return -1;
        }
        i += (size_t)len;
        chars++;
    }
    *keep = i;
    return 0;
bad_utf8:
    snprintf(err, errlen, "'utf-8' codec can't decode byte 0x%02x", u[i]);
    return -1;
}

/* The value of attribute name in a raw ` a="v"` list, copied into buf. */
static const char *raw_get(const char *raw, const char *name, char *buf, size_t cap)
{
    if (!raw) return NULL;
    size_t nl = strlen(name);
    for (const char *p = raw; (p = strchr(p, ' ')) != NULL; p++) {
        if (strncmp(p + 1, name, nl) || p[1 + nl] != '=' || p[2 + nl] != '"') continue;
        const char *v = p + 3 + nl, *e = strchr(v, '"');
        if (!e) return NULL;
        size_t n = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
        memcpy(buf, v, n);
        buf[n] = 0;
        return buf;
    }
    return NULL;
}

static void mark(xlsx_sheet *sh)
{
    sh->dirty = 1;
}

void xlsx_cell_touch(xlsx_sheet *sh, uint32_t row, uint32_t col)
{
    if (row < 1 || row > XLSX_MAX_ROW || col < 1 || col > XLSX_MAX_COL) return;
    cell_find(row_find(sh, row, 1), col, 1);
}

uint32_t xlsx_cell_style(xlsx_sheet *sh, uint32_t row, uint32_t col)
{
    xrow *r = row_find(sh, row, 0);
    xcell *c = r ? cell_find(r, col, 0) : NULL;
    return c ? c->s : 0;
}

void xlsx_cell_set_style(xlsx_sheet *sh, uint32_t row, uint32_t col, uint32_t style)
{
    if (row < 1 || row > XLSX_MAX_ROW || col < 1 || col > XLSX_MAX_COL) return;
    xcell *c = cell_find(row_find(sh, row, 1), col, 1);
    if (c->s != style) {
        c->s = style;
        mark(sh);
    }
}

static void view_of(xlsx_sheet *sh, uint32_t row, const xcell *c, xlsx_cellview *v)
{
    memset(v, 0, sizeof *v);
    v->row = row;
    v->col = c->col;
    v->style = c->s;
    v->text = "";
    xlsx_ckind k = XLSX_C_BLANK;
    const char *text = c->v;
    switch (c->t) {
    case XT_S: {
        size_t n;
        const char *s = c->v ? xlsx_sst(sh->b, (uint32_t)strtoul(c->v, NULL, 10), &n) : NULL;
        if (s) k = XLSX_C_STR, text = s;
        break;
    }
    case XT_STR:
    case XT_INLINE:
    case XT_D:
        k = c->v ? XLSX_C_STR : XLSX_C_BLANK;
        break;
    case XT_B:
        k = c->v ? XLSX_C_BOOL : XLSX_C_BLANK;
        break;
    case XT_E:
        k = c->v ? XLSX_C_ERROR : XLSX_C_BLANK;
        break;
    default:
        k = c->v && c->v[0] ? XLSX_C_NUM : XLSX_C_BLANK;
        break;
    }
    if (c->fml) {
        v->kind = XLSX_C_FORMULA;
        v->text = c->f ? c->f : "";
        v->ckind = k;
        v->ctext = k != XLSX_C_BLANK ? text : NULL;
    } else {
        v->kind = k;
        if (k != XLSX_C_BLANK) v->text = text;
    }
    v->len = strlen(v->text);
}

void xlsx_cell_get(xlsx_sheet *sh, uint32_t row, uint32_t col, xlsx_cellview *out)
{
    xrow *r = row_find(sh, row, 0);
    xcell *c = r ? cell_find(r, col, 0) : NULL;
    if (!c) {
        memset(out, 0, sizeof *out);
        out->row = row, out->col = col, out->text = "";
        return;
    }
    view_of(sh, row, c, out);
}

static int is_error_code(const char *s, size_t n)
{
    for (int i = 0; error_codes[i]; i++)
        if (strlen(error_codes[i]) == n && !memcmp(error_codes[i], s, n)) return 1;
    return 0;
}

int xlsx_cell_set(xlsx_sheet *sh, uint32_t row, uint32_t col, const xlsx_val *v, char *err,
                  size_t errlen)
{
    if (row < 1 || row > XLSX_MAX_ROW || col < 1 || col > XLSX_MAX_COL) {
        char c[4];
        snprintf(err, errlen, "cell %s%u is outside the sheet (%u rows, %u columns at most)",
                 col >= 1 && col <= XLSX_MAX_COL ? xlsx_col_name(col, c) : "?", row, XLSX_MAX_ROW,
                 XLSX_MAX_COL);
        return -1;
    }
    af_arena *a = sh->b->a;
    size_t keep = 0;
    if (v->kind == XLSX_V_STR && xlsx__check_str(v->s, v->len, &keep, err, errlen) < 0) return -1;
    if (v->kind == XLSX_V_DATETIME && v->tz) {
        snprintf(err, errlen,
                 "Excel does not support timezones in datetimes. The tzinfo in the "
                 "datetime/time object must be set to None.");
        return -1;
    }
    xcell *c = cell_find(row_find(sh, row, 1), col, 1);
    c->t = XT_N;
    c->fml = 0;
    c->v = c->is = c->f = c->fattr = c->attrs = c->ext = NULL;
    c->seq = ++sh->b->seq;
    char num[32];
    switch (v->kind) {
    case XLSX_V_NONE:
        break;
    case XLSX_V_NUM:
        xlsx_num_text(v->num, num);
        if (num[0]) c->v = af_strdup(a, num);
        break;
    case XLSX_V_BOOL:
        c->t = XT_B, c->v = v->num != 0 ? "1" : "0";
        break;
    case XLSX_V_DATE:
    case XLSX_V_DATETIME:
        c->s = xlsx_style_for_date(sh->b, c->s, v->kind);
        xlsx_num_text(v->num, num);
        c->v = af_strdup(a, num);
        break;
    case XLSX_V_STR:
        if (keep > 1 && v->s[0] == '=') {
            c->fml = 1;
            c->f = af_strndup(a, v->s + 1, keep - 1);
        } else if (is_error_code(v->s, keep)) {
            c->t = XT_E;
            c->v = af_strndup(a, v->s, keep);
        } else if (keep > 0) {
            c->t = XT_INLINE;
            c->v = af_strndup(a, v->s, keep);
        }
        break;
    }
    mark(sh);
    return 0;
}

/* ---- bounds and scanning ------------------------------------------------------------------- */

static void block_extent(const xlsx_block *bk, uint32_t *r1, uint32_t *c1, uint32_t *r2,
                         uint32_t *c2, int *any)
{
    uint64_t rows = bk->ncopy ? bk->nrows : bk->last_nonempty;
    uint32_t w = bk->width > bk->ncopy ? bk->width : bk->ncopy;
    *any = rows > 0 && w > 0;
    if (!*any) return;
    *r1 = bk->row0;
    *r2 = xlsx__block_row_at(bk, rows - 1);
    *c1 = bk->col0;
    *c2 = bk->col0 + w - 1;
}

void xlsx_sheet_bounds(xlsx_sheet *sh, uint32_t *min_row, uint32_t *min_col, uint32_t *max_row,
                       uint32_t *max_col)
{
    uint32_t r1 = UINT32_MAX, c1 = UINT32_MAX, r2 = 0, c2 = 0;
    for (size_t i = 0; i < sh->nrows; i++) {
        xrow *r = &sh->rows[i];
        if (!r->n) continue;
        if (r->r < r1) r1 = r->r;
        if (r->r > r2) r2 = r->r;
        if (r->cells[0].col < c1) c1 = r->cells[0].col;
        if (r->cells[r->n - 1].col > c2) c2 = r->cells[r->n - 1].col;
    }
    for (size_t k = 0; k < sh->nblocks; k++) {
        uint32_t a, b, c, d;
        int any;
        block_extent(sh->blocks[k], &a, &b, &c, &d, &any);
        if (!any) continue;
        if (a < r1) r1 = a;
        if (c > r2) r2 = c;
        if (b < c1) c1 = b;
        if (d > c2) c2 = d;
    }
    if (r2 == 0) r1 = c1 = r2 = c2 = 1;
    *min_row = r1, *min_col = c1, *max_row = r2, *max_col = c2;
}

/* Row-by-row merge of the model and the blocks. */
typedef struct bstate {
    xlsx_block *bk;
    uint64_t next;     /* next block row index */
    uint32_t next_row; /* its sheet row, UINT32_MAX past the end */
    bcell *cells;      /* the block's cells on the current row */
    uint32_t n;
    int on_row; /* the block has a row at the current row */
    xlsx_rowbuf rb;
} bstate;

typedef struct merger {
    xlsx_sheet *sh;
    size_t mi;
    bstate *bs;
    size_t nb;
    /* the current row */
    uint32_t r;
    xrow *mrow;
    /* merged cells of the row */
    struct mcell {
        uint32_t col;
        const xcell *mc;
        const bcell *bc; /* winning block value, or NULL */
        uint32_t style;
    } * cells;
    size_t n, cap;
    uint32_t *cols;
    size_t ncols, capcols;
} merger;

static void bs_advance_pos(bstate *s)
{
    s->next_row = s->next < s->bk->nrows ? xlsx__block_row_at(s->bk, s->next) : UINT32_MAX;
}

static int merger_init(merger *m, xlsx_sheet *sh, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->sh = sh;
    m->nb = sh->nblocks;
    m->bs = calloc(m->nb ? m->nb : 1, sizeof *m->bs);
    if (!m->bs) abort();
    for (size_t k = 0; k < m->nb; k++) {
        m->bs[k].bk = sh->blocks[k];
        if (xlsx__block_rewind(sh->blocks[k], err, errlen) < 0) return -1;
        bs_advance_pos(&m->bs[k]);
    }
    return 0;
}

static void merger_free(merger *m)
{
    for (size_t k = 0; k < m->nb; k++)
        xlsx__rowbuf_free(&m->bs[k].rb);
    free(m->bs);
    free(m->cells);
    free(m->cols);
}

static void add_col(merger *m, uint32_t c)
{
    if (m->ncols == m->capcols) {
        m->capcols = m->capcols ? m->capcols * 2 : 64;
        m->cols = realloc(m->cols, m->capcols * sizeof *m->cols);
        if (!m->cols) abort();
    }
    m->cols[m->ncols++] = c;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Advances to the next row that has anything. Returns 1, 0 at the end, -1. */
static int merger_next(merger *m, char *err, size_t errlen)
{
    xlsx_sheet *sh = m->sh;
    uint32_t r = UINT32_MAX;
    if (m->mi < sh->nrows) r = sh->rows[m->mi].r;
    for (size_t k = 0; k < m->nb; k++)
        if (m->bs[k].next_row < r) r = m->bs[k].next_row;
    if (r == UINT32_MAX) return 0;
    m->r = r;
    m->mrow = NULL;
    if (m->mi < sh->nrows && sh->rows[m->mi].r == r) m->mrow = &sh->rows[m->mi++];
    m->ncols = 0;
    int blocks_here = 0;
    for (size_t k = 0; k < m->nb; k++) {
        bstate *s = &m->bs[k];
        s->n = 0;
        s->cells = NULL;
        s->on_row = 0;
        if (s->next_row != r) continue;
        int rc = xlsx__block_next(s->bk, &s->rb, err, errlen);
        if (rc < 0) return -1;
        s->cells = s->rb.cells;
        s->n = s->rb.n;
        if (rc == 0) { /* spool shorter than recorded: treat as the end */
            snprintf(err, errlen, "spooled rows of sheet %s ended early", sh->title);
            return -1;
        }
        s->next++;
        bs_advance_pos(s);
        s->on_row = 1;
        uint32_t cover = s->n > s->bk->ncopy ? s->n : s->bk->ncopy;
        for (uint32_t j = 0; j < cover; j++)
            add_col(m, s->bk->col0 + j);
        blocks_here = 1;
    }
    if (m->mrow)
        for (uint32_t i = 0; i < m->mrow->n; i++)
            add_col(m, m->mrow->cells[i].col);
    if (blocks_here && m->ncols > 1) qsort(m->cols, m->ncols, sizeof *m->cols, cmp_u32);
    /* merge */
    m->n = 0;
    uint32_t mpos = 0;
    for (size_t i = 0; i < m->ncols; i++) {
        uint32_t c = m->cols[i];
        if (i > 0 && m->cols[i - 1] == c) continue;
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 64;
            m->cells = realloc(m->cells, m->cap * sizeof *m->cells);
            if (!m->cells) abort();
        }
        struct mcell *o = &m->cells[m->n++];
        o->col = c;
        o->mc = NULL;
        o->bc = NULL;
        while (m->mrow && mpos < m->mrow->n && m->mrow->cells[mpos].col < c)
            mpos++;
        if (m->mrow && mpos < m->mrow->n && m->mrow->cells[mpos].col == c)
            o->mc = &m->mrow->cells[mpos];
        uint32_t style = o->mc ? o->mc->s : 0;
        uint32_t best = o->mc ? o->mc->seq : 0;
        for (size_t k = 0; k < m->nb; k++) { /* blocks are in write order */
            bstate *s = &m->bs[k];
            if (!s->on_row || c < s->bk->col0) continue;
            uint32_t j = c - s->bk->col0;
            if (j < s->n) {
                const bcell *bc = &s->cells[j];
                if (bc->kind == XLSX_V_DATE || bc->kind == XLSX_V_DATETIME)
                    style = xlsx_style_for_date(sh->b, style, (xlsx_vkind)bc->kind);
                if (s->bk->seq > best) {
                    best = s->bk->seq;
                    o->bc = bc;
                }
            }
            if (j < s->bk->ncopy) style = xlsx_style_copy(sh->b, s->bk->copy[j], style);
        }
        o->style = style;
    }
    return 1;
}

static void view_of_block(uint32_t row, uint32_t col, const bcell *bc, uint32_t style,
                          xlsx_cellview *v)
{
    memset(v, 0, sizeof *v);
    v->row = row;
    v->col = col;
    v->style = style;
    v->text = bc->s;
    v->len = bc->len;
    switch (bc->kind) {
    case XLSX_V_NUM:
    case XLSX_V_DATE:
    case XLSX_V_DATETIME:
        v->kind = bc->len ? XLSX_C_NUM : XLSX_C_BLANK;
        break;
    case XLSX_V_STR:
        v->kind = bc->len ? XLSX_C_STR : XLSX_C_BLANK;
        break;
    case XLSX_V_BOOL:
        v->kind = XLSX_C_BOOL;
        break;
    case XLSX_BK_FORMULA:
        v->kind = XLSX_C_FORMULA;
        break;
    case XLSX_BK_ERROR:
        v->kind = XLSX_C_ERROR;
        break;
    default:
        v->kind = XLSX_C_BLANK;
        break;
    }
    if (v->kind == XLSX_C_BLANK) v->text = "", v->len = 0;
}

int xlsx_sheet_scan(xlsx_sheet *sh, xlsx_cell_fn cb, void *ud, char *err, size_t errlen)
{
    merger m;
    int rc = merger_init(&m, sh, err, errlen);
    while (rc == 0) {
        int nx = merger_next(&m, err, errlen);
        if (nx <= 0) {
            rc = nx;
            break;
        }
        for (size_t i = 0; i < m.n && rc == 0; i++) {
            struct mcell *c = &m.cells[i];
            xlsx_cellview v;
            if (c->bc) {
                view_of_block(m.r, c->col, c->bc, c->style, &v);
            } else if (c->mc) {
                view_of(sh, m.r, c->mc, &v);
                v.style = c->style;
            } else {
                memset(&v, 0, sizeof v);
                v.row = m.r, v.col = c->col, v.style = c->style, v.text = "";
            }
            int r = cb(ud, &v);
            if (r < 0)
                rc = -1;
            else if (r > 0)
                rc = 1;
        }
        if (rc == 1) break;
    }
    merger_free(&m);
    return rc;
}

/* ---- writing -------------------------------------------------------------------------------- */

typedef struct wout {
    af_buf buf;
    xlsx_put_fn put;
    void *ud;
} wout;

static int wflush(wout *w, int force, char *err, size_t errlen)
{
    if (w->buf.len < (1u << 16) && !force) return 0;
    int rc = w->buf.len ? w->put(w->ud, w->buf.data, w->buf.len, err, errlen) : 0;
    af_buf_reset(&w->buf);
    return rc;
}

/* The writer's hot path: no printf. */
static void put_u(af_buf *b, uint32_t v)
{
    char d[12];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    char o[12];
    for (int i = 0; i < n; i++)
        o[i] = d[n - 1 - i];
    af_buf_put(b, o, (size_t)n);
}

static void put_ref(af_buf *b, uint32_t row, uint32_t col)
{
    char c[4];
    af_buf_puts(b, xlsx_col_name(col, c));
    put_u(b, row);
}

/* "<" pfx name, e.g. tag(b, "</", "x:", "c>") */
static void tag(af_buf *b, const char *open, const char *pfx, const char *name)
{
    af_buf_puts(b, open);
    af_buf_puts(b, pfx);
    af_buf_puts(b, name);
}

static void put_style(af_buf *b, uint32_t style)
{
    if (!style) return;
    af_buf_puts(b, " s=\"");
    put_u(b, style);
    af_buf_putc(b, '"');
}

static void put_istr(af_buf *b, const char *pfx, const char *s, size_t n)
{
    tag(b, "<", pfx, "is>");
    tag(b, "<", pfx, "t");
    if (xlsx_edge_space(s, n)) af_buf_puts(b, " xml:space=\"preserve\"");
    af_buf_putc(b, '>');
    xlsx__esc(b, s, n, 0);
    tag(b, "</", pfx, "t>");
    tag(b, "</", pfx, "is>");
}

static const char *type_attr(int t)
{
    switch (t) {
    case XT_S:
        return "s";
    case XT_STR:
        return "str";
    case XT_INLINE:
        return "inlineStr";
    case XT_B:
        return "b";
    case XT_E:
        return "e";
    case XT_D:
        return "d";
    }
    return NULL;
}

static void write_model_cell(xlsx_sheet *sh, af_buf *b, uint32_t row, const xcell *c,
                             uint32_t style)
{
    const char *p = sh->pfx;
    int keep_v = c->v && !(c->fml && sh->stale);
    int has_is = !c->fml && c->t == XT_INLINE && c->v;
    if (!keep_v && !c->fml && !c->ext && !c->attrs && style == 0) return;
    tag(b, "<", p, "c r=\"");
    put_ref(b, row, c->col);
    af_buf_putc(b, '"');
    put_style(b, style);
    const char *t = NULL;
    if (c->fml)
        t = keep_v && c->t != XT_N ? type_attr(c->t) : NULL;
    else if (keep_v)
        t = type_attr(c->t);
    if (t) {
        af_buf_puts(b, " t=\"");
        af_buf_puts(b, t);
        af_buf_putc(b, '"');
    }
    if (c->attrs) af_buf_puts(b, c->attrs);
    if (!c->fml && !keep_v && !c->ext) {
        af_buf_puts(b, "/>");
        return;
    }
    af_buf_putc(b, '>');
    if (c->fml) {
        tag(b, "<", p, "f");
        if (c->fattr) af_buf_puts(b, c->fattr);
        if (c->f && c->f[0]) {
            af_buf_putc(b, '>');
            xlsx__esc(b, c->f, strlen(c->f), 0);
            tag(b, "</", p, "f>");
        } else {
            af_buf_puts(b, "/>");
        }
    }
    if (has_is) {
        if (c->is)
            af_buf_puts(b, c->is);
        else
            put_istr(b, p, c->v, strlen(c->v));
    } else if (keep_v) {
        tag(b, "<", p, "v>");
        xlsx__esc(b, c->v, strlen(c->v), 0);
        tag(b, "</", p, "v>");
    }
    if (c->ext) af_buf_puts(b, c->ext);
    tag(b, "</", p, "c>");
}

static void write_block_cell(xlsx_sheet *sh, af_buf *b, uint32_t row, uint32_t col, const bcell *bc,
                             uint32_t style)
{
    const char *p = sh->pfx;
    int empty = bc->kind == XLSX_V_NONE || (bc->len == 0 && bc->kind != XLSX_V_BOOL);
    if (empty && style == 0) return;
    tag(b, "<", p, "c r=\"");
    put_ref(b, row, col);
    af_buf_putc(b, '"');
    put_style(b, style);
    if (empty) {
        af_buf_puts(b, "/>");
        return;
    }
    switch (bc->kind) {
    case XLSX_V_STR:
        af_buf_puts(b, " t=\"inlineStr\">");
        put_istr(b, p, bc->s, bc->len);
        break;
    case XLSX_BK_FORMULA:
        tag(b, "><", p, "f>");
        xlsx__esc(b, bc->s, bc->len, 0);
        tag(b, "</", p, "f>");
        break;
    case XLSX_V_BOOL:
    case XLSX_BK_ERROR:
        af_buf_puts(b, bc->kind == XLSX_V_BOOL ? " t=\"b\">" : " t=\"e\">");
        tag(b, "<", p, "v>");
        xlsx__esc(b, bc->s, bc->len, 0);
        tag(b, "</", p, "v>");
        break;
    default: /* numbers and dates */
        tag(b, "><", p, "v>");
        af_buf_put(b, bc->s, bc->len);
        tag(b, "</", p, "v>");
        break;
    }
    tag(b, "</", p, "c>");
}

static void set_dimension(xlsx_sheet *sh)
{
    uint32_t r1, c1, r2, c2;
    xlsx_sheet_bounds(sh, &r1, &c1, &r2, &c2);
    af_buf b = {0};
    put_ref(&b, r1, c1);
    if (r1 != r2 || c1 != c2) {
        af_buf_putc(&b, ':');
        put_ref(&b, r2, c2);
    }
    xmlNodePtr root = xmlDocGetRootElement(sh->doc);
    xmlNodePtr d = xlsx__child(root, "dimension");
    if (!d) {
        d = xmlNewDocNode(sh->doc, root->ns, BAD_CAST "dimension", NULL);
        xlsx__insert_ordered(root, d, ws_order);
    }
    xmlSetProp(d, BAD_CAST "ref", BAD_CAST af_buf_cstr(&b));
    af_buf_free(&b);
}

int xlsx__sheet_write(xlsx_sheet *sh, xlsx_put_fn put, void *ud, char *err, size_t errlen)
{
    set_dimension(sh);
    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpMemoryEnc(sh->doc, &mem, &len, "UTF-8");
    if (!mem) {
        snprintf(err, errlen, "cannot serialise sheet %s", sh->title);
        return -1;
    }
    const char *mk = strstr((const char *)mem, "<!--" MARKER "-->");
    if (!mk) {
        xmlFree(mem);
        snprintf(err, errlen, "cannot serialise sheet %s", sh->title);
        return -1;
    }
    size_t head = (size_t)(mk - (const char *)mem), tail = head + strlen("<!--" MARKER "-->");
    wout w = {{0}, put, ud};
    int rc = put(ud, mem, head, err, errlen);
    merger m;
    if (rc == 0)
        rc = merger_init(&m, sh, err, errlen);
    else
        memset(&m, 0, sizeof m);
    const char *p = sh->pfx;
    while (rc == 0) {
        int nx = merger_next(&m, err, errlen);
        if (nx < 0) rc = -1;
        if (nx <= 0) break;
        size_t mark_len = w.buf.len;
        tag(&w.buf, "<", p, "row r=\"");
        put_u(&w.buf, m.r);
        af_buf_putc(&w.buf, '"');
        if (m.mrow && m.mrow->attrs) af_buf_puts(&w.buf, m.mrow->attrs);
        af_buf_putc(&w.buf, '>');
        size_t body = w.buf.len;
        for (size_t i = 0; i < m.n; i++) {
            struct mcell *c = &m.cells[i];
            if (c->bc)
                write_block_cell(sh, &w.buf, m.r, c->col, c->bc, c->style);
            else if (c->mc)
                write_model_cell(sh, &w.buf, m.r, c->mc, c->style);
            else if (c->style) {
                tag(&w.buf, "<", p, "c r=\"");
                put_ref(&w.buf, m.r, c->col);
                af_buf_putc(&w.buf, '"');
                put_style(&w.buf, c->style);
                af_buf_puts(&w.buf, "/>");
            }
        }
        if (w.buf.len == body) {
            if (!(m.mrow && m.mrow->attrs)) {
                w.buf.len = mark_len; /* nothing to say about this row */
                if (w.buf.data) w.buf.data[w.buf.len] = 0;
                continue;
            }
            w.buf.len--; /* <row .../> */
            af_buf_puts(&w.buf, "/>");
        } else {
            tag(&w.buf, "</", p, "row>");
        }
        rc = wflush(&w, 0, err, errlen);
    }
    if (rc == 0) rc = wflush(&w, 1, err, errlen);
    if (rc == 0) rc = put(ud, mem + tail, (size_t)len - tail, err, errlen);
    merger_free(&m);
    af_buf_free(&w.buf);
    xmlFree(mem);
    return rc;
}

/* ---- row insertion ----------------------------------------------------------------------------
 */

/* Expands the shared formulas of sh into plain formulas: all of them
 * (all != 0), or those whose master refers to rows of `target` at or
 * below idx. A shared formula stores one text for a range of cells, which
 * cannot describe references that move for some cells and not for others. */
static int unshare(xlsx_sheet *sh, int all, const char *target, uint32_t idx, uint32_t n)
{
    typedef struct master {
        long si;
        uint32_t r, c;
        const char *f;
        int go;
    } master;
    master *ms = NULL;
    size_t nm = 0, cap = 0;
    char buf[64];
    af_buf out = {0};
    af_arena *a = sh->b->a;
    for (size_t i = 0; i < sh->nrows; i++) {
        xrow *row = &sh->rows[i];
        for (uint32_t j = 0; j < row->n; j++) {
            xcell *c = &row->cells[j];
            if (!c->fml || !c->f || !c->f[0]) continue;
            const char *t = raw_get(c->fattr, "t", buf, sizeof buf);
            if (!t || strcmp(t, "shared")) continue;
            const char *si = raw_get(c->fattr, "si", buf, sizeof buf);
            if (!si) continue;
            if (nm == cap) {
                cap = cap ? cap * 2 : 16;
                ms = realloc(ms, cap * sizeof *ms);
                if (!ms) abort();
            }
            master *m = &ms[nm++];
            m->si = strtol(si, NULL, 10);
            m->r = row->r, m->c = c->col, m->f = c->f;
            af_buf_reset(&out);
            m->go = all || xlsx_formula_shift_rows(c->f, sh->title, target, idx, n, &out);
        }
    }
    int changed = 0;
    for (size_t i = 0; i < sh->nrows && nm; i++) {
        xrow *row = &sh->rows[i];
        for (uint32_t j = 0; j < row->n; j++) {
            xcell *c = &row->cells[j];
            if (!c->fml) continue;
            const char *t = raw_get(c->fattr, "t", buf, sizeof buf);
            if (!t || strcmp(t, "shared")) continue;
            const char *si = raw_get(c->fattr, "si", buf, sizeof buf);
            long k = si ? strtol(si, NULL, 10) : -1;
            master *m = NULL;
            for (size_t q = 0; q < nm; q++)
                if (ms[q].si == k) m = &ms[q];
            if (!m || !m->go) continue;
            if (!(c->f && c->f[0])) {
                af_buf_reset(&out);
                xlsx_formula_translate(m->f, (int64_t)row->r - m->r, (int64_t)c->col - m->c, &out);
                c->f = af_strndup(a, af_buf_cstr(&out), out.len);
            }
            c->fattr = NULL;
            changed = 1;
        }
    }
    free(ms);
    af_buf_free(&out);
    return changed;
}

/* Shifts references in the formulas of sh's cells. */
int xlsx__sheet_shift_formulas(xlsx_sheet *sh, const char *target, uint32_t idx, uint32_t n,
                               char *err, size_t errlen)
{
    (void)err, (void)errlen;
    int same = !strcmp(sh->title, target);
    int changed = unshare(sh, same, target, idx, n);
    af_buf out = {0};
    char buf[64];
    for (size_t i = 0; i < sh->nrows; i++) {
        xrow *row = &sh->rows[i];
        for (uint32_t j = 0; j < row->n; j++) {
            xcell *c = &row->cells[j];
            if (!c->fml) continue;
            if (c->f && c->f[0]) {
                af_buf_reset(&out);
                if (xlsx_formula_shift_rows(c->f, sh->title, target, idx, n, &out)) {
                    c->f = af_strndup(sh->b->a, af_buf_cstr(&out), out.len);
                    c->v = NULL; /* the cached result may be stale */
                    changed = 1;
                }
            }
            const char *ref = same ? raw_get(c->fattr, "ref", buf, sizeof buf) : NULL;
            xlsx_ref r;
            if (ref && xlsx_area_parse(ref, strlen(ref), &r) == 0 &&
                xlsx_ref_shift_rows(&r, idx, n)) {
                /* an array formula's range */
                af_buf nb = {0}, ra = {0};
                xlsx_area_write(&ra, &r);
                const char *p = c->fattr;
                const char *at = strstr(p, " ref=\"");
                af_buf_put(&nb, p, (size_t)(at - p));
                af_buf_printf(&nb, " ref=\"%s\"", af_buf_cstr(&ra));
                af_buf_puts(&nb, strchr(at + 6, '"') + 1);
                c->fattr = af_strndup(sh->b->a, nb.data, nb.len);
                af_buf_free(&nb);
                af_buf_free(&ra);
                changed = 1;
            }
        }
    }
    af_buf_free(&out);
    if (changed) mark(sh);
    return 0;
}

static int text_formula_elem(const char *name)
{
    return !strcmp(name, "formula") || !strcmp(name, "formula1") || !strcmp(name, "formula2") ||
           !strcmp(name, "f");
}

static int shift_attr(xlsx_sheet *sh, xmlNodePtr n, const char *attr, int kind, const char *target,
                      uint32_t idx, uint32_t cnt)
{
    char *v = xlsx__attr(sh->b->a, n, attr);
    if (!v) return 0;
    af_buf out = {0};
    int ch = 0;
    xlsx_ref r;
    if (kind == 0) {
        ch = xlsx_sqref_shift_rows(v, idx, cnt, &out);
    } else if (kind == 1) {
        if (xlsx_area_parse(v, strlen(v), &r) == 0 && xlsx_ref_shift_rows(&r, idx, cnt)) {
            ch = 1;
            if (r.invalid)
                af_buf_puts(&out, "#REF!");
            else
                xlsx_area_write(&out, &r);
        }
    } else {
        ch = xlsx_formula_shift_rows(v, NULL, target, idx, cnt, &out);
    }
    if (ch) xmlSetProp(n, BAD_CAST attr, BAD_CAST af_buf_cstr(&out));
    af_buf_free(&out);
    return ch;
}

/* Walks the worksheet XML outside <sheetData>: ranges (sqref, ref) move on
 * the sheet rows were inserted into; formula texts move on every sheet. */
static int dom_shift(xlsx_sheet *sh, xmlNodePtr parent, const char *target, int same, uint32_t idx,
                     uint32_t cnt)
{
    int ch = 0;
    for (xmlNodePtr n = parent->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || n == sh->sheet_data) continue;
        const char *name = (const char *)n->name;
        if (same) {
            ch |= shift_attr(sh, n, "sqref", 0, target, idx, cnt);
            if (strcmp(name, "dimension")) ch |= shift_attr(sh, n, "ref", 1, target, idx, cnt);
            if (!strcmp(name, "brk")) {
                char *id = xlsx__attr(sh->b->a, n, "id");
                unsigned long v = id ? strtoul(id, NULL, 10) : 0;
                if (id && v >= idx) {
                    char nb[24];
                    snprintf(nb, sizeof nb, "%lu", v + cnt);
                    xmlSetProp(n, BAD_CAST "id", BAD_CAST nb);
                    ch = 1;
                }
            }
        }
        if (!strcmp(name, "hyperlink")) ch |= shift_attr(sh, n, "location", 2, target, idx, cnt);
        if (text_formula_elem(name) || (same && !strcmp(name, "sqref"))) {
            char *t = xlsx__text(sh->b->a, n);
            af_buf out = {0};
            int c = !strcmp(name, "sqref")
                        ? xlsx_sqref_shift_rows(t, idx, cnt, &out)
                        : xlsx_formula_shift_rows(t, sh->title, target, idx, cnt, &out);
            if (c) {
                xlsx__set_text(n, af_buf_cstr(&out));
                ch = 1;
            }
            af_buf_free(&out);
            continue;
        }
        ch |= dom_shift(sh, n, target, same, idx, cnt);
    }
    return ch;
}

/* Anchors of drawings and comment shapes count rows from 0. */
static int shift_zero_based(xlsx_book *b, xmlNodePtr parent, const char *elem, uint32_t idx,
                            uint32_t cnt)
{
    int ch = 0;
    for (xmlNodePtr n = parent->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (!strcmp((const char *)n->name, elem)) {
            char *t = xlsx__text(b->a, n);
            char *end;
            unsigned long v = strtoul(t, &end, 10);
            if (end != t && !*end && v + 1 >= idx) {
                char nb[24];
                snprintf(nb, sizeof nb, "%lu", v + cnt);
                xlsx__set_text(n, nb);
                ch = 1;
            }
            continue;
        }
        ch |= shift_zero_based(b, n, elem, idx, cnt);
    }
    return ch;
}

/* Related parts of the sheet that hold cell positions. */
static int shift_related(xlsx_sheet *sh, uint32_t idx, uint32_t cnt, char *err, size_t errlen)
{
    xlsx_book *b = sh->b;
    const char *parts[64];
    size_t n;
    /* tables: ref and the autofilter inside */
    n = xlsx__related(b, sh->part->name, "/table", parts, 64);
    for (size_t i = 0; i < n; i++) {
        xpart *p = xlsx__part(b, parts[i]);
        xmlDocPtr d = p ? xlsx__doc(b, p, err, errlen) : NULL;
        if (!d) continue;
        xmlNodePtr root = xmlDocGetRootElement(d);
        int ch = shift_attr(sh, root, "ref", 1, NULL, idx, cnt);
        for (xmlNodePtr c = root->children; c; c = c->next) {
            if (xlsx__is(c, "autoFilter") || xlsx__is(c, "sortState")) {
                ch |= shift_attr(sh, c, "ref", 1, NULL, idx, cnt);
                for (xmlNodePtr k = c->children; k; k = k->next)
                    if (xlsx__is(k, "sortCondition"))
                        ch |= shift_attr(sh, k, "ref", 1, NULL, idx, cnt);
            }
        }
        if (ch) p->dirty = 1;
    }
    /* comments */
    n = xlsx__related(b, sh->part->name, "/comments", parts, 64);
    for (size_t i = 0; i < n; i++) {
        xpart *p = xlsx__part(b, parts[i]);
        xmlDocPtr d = p ? xlsx__doc(b, p, err, errlen) : NULL;
        if (!d) continue;
        xmlNodePtr list = xlsx__child(xmlDocGetRootElement(d), "commentList");
        int ch = 0;
        for (xmlNodePtr c = list ? list->children : NULL; c; c = c->next)
            if (xlsx__is(c, "comment")) ch |= shift_attr(sh, c, "ref", 1, NULL, idx, cnt);
        if (ch) p->dirty = 1;
    }
    /* comment boxes (VML, x:Row) and drawings (xdr:row) */
    static const char *const kinds[][2] = {{"/vmlDrawing", "Row"}, {"/drawing", "row"}};
    for (int k = 0; k < 2; k++) {
        n = xlsx__related(b, sh->part->name, kinds[k][0], parts, 64);
        for (size_t i = 0; i < n; i++) {
            xpart *p = xlsx__part(b, parts[i]);
            char e2[64];
            xmlDocPtr d = p ? xlsx__doc(b, p, e2, sizeof e2) : NULL; /* VML may not parse */
            if (!d) continue;
            if (shift_zero_based(b, xmlDocGetRootElement(d), kinds[k][1], idx, cnt)) p->dirty = 1;
        }
    }
    return 0;
}

int xlsx_insert_rows(xlsx_sheet *sh, uint32_t idx, uint32_t n, char *err, size_t errlen)
{
    if (n == 0) return 0;
    if (idx < 1 || idx > XLSX_MAX_ROW) {
        snprintf(err, errlen, "cannot insert rows at row %u", idx);
        return -1;
    }
    uint32_t r1, c1, r2, c2;
    xlsx_sheet_bounds(sh, &r1, &c1, &r2, &c2);
    int has_below = 0;
    for (size_t i = row_lower(sh, idx); i < sh->nrows; i++)
        has_below = 1;
    if ((has_below || (r2 >= idx && sh->nblocks)) && (uint64_t)r2 + n > XLSX_MAX_ROW) {
        snprintf(err, errlen,
                 "cannot insert %u rows into sheet %s: cells would be pushed past row %u", n,
                 sh->title, XLSX_MAX_ROW);
        return -1;
    }
    xlsx_book *b = sh->b;
    /* every worksheet can refer to this one */
    for (size_t i = 0; i < b->nsheets; i++) {
        if (b->sheets[i].sh || !b->sheets[i].worksheet || !b->sheets[i].part_name) continue;
        if (xlsx__sheet_load(b, &b->sheets[i], err, errlen) < 0) return -1;
    }
    /* references to the rows that move (while cells are still where shared
     * formulas were written) */
    for (size_t i = 0; i < b->nsheets; i++) {
        xlsx_sheet *o = b->sheets[i].sh;
        if (!o) continue;
        if (xlsx__sheet_shift_formulas(o, sh->title, idx, n, err, errlen) < 0) return -1;
        int same = o == sh;
        if (dom_shift(o, xmlDocGetRootElement(o->doc), sh->title, same, idx, n)) mark(o);
    }
    xlsx__names_shift(b, sh->title, idx, n);
    /* cells and row attributes move */
    for (size_t i = row_lower(sh, idx); i < sh->nrows; i++)
        sh->rows[i].r += n;
    for (size_t k = 0; k < sh->nblocks; k++)
        xlsx__block_insert(sh->blocks[k], idx, n);
    mark(sh);
    return shift_related(sh, idx, n, err, errlen);
}

/* ---- views and filters ----------------------------------------------------------------------- */

static xmlNodePtr first_view(xlsx_sheet *sh)
{
    xmlNodePtr root = xmlDocGetRootElement(sh->doc);
    xmlNodePtr views = xlsx__child(root, "sheetViews");
    if (!views) {
        views = xmlNewDocNode(sh->doc, root->ns, BAD_CAST "sheetViews", NULL);
        xlsx__insert_ordered(root, views, ws_order);
    }
    xmlNodePtr v = xlsx__child(views, "sheetView");
    if (!v) {
        v = xmlNewDocNode(sh->doc, root->ns, BAD_CAST "sheetView", NULL);
        xmlSetProp(v, BAD_CAST "workbookViewId", BAD_CAST "0");
        xmlAddChild(views, v);
    }
    return v;
}

void xlsx_sheet_freeze(xlsx_sheet *sh, uint32_t row, uint32_t col)
{
    xmlNodePtr v = first_view(sh);
    xmlNodePtr pane = xlsx__child(v, "pane");
    if (pane) {
        xmlUnlinkNode(pane);
        xmlFreeNode(pane);
    }
    mark(sh);
    xmlNodePtr sel = xlsx__child(v, "selection");
    if (!sel) {
        sel = xmlNewDocNode(sh->doc, v->ns, BAD_CAST "selection", NULL);
        xmlSetProp(sel, BAD_CAST "activeCell", BAD_CAST "A1");
        xmlSetProp(sel, BAD_CAST "sqref", BAD_CAST "A1");
        xmlAddChild(v, sel);
    }
    if (row <= 1 && col <= 1) return; /* A1: no pane */
    char tl[16], num[16];
    xlsx_ref_fmt(tl, row, col);
    pane = xmlNewDocNode(sh->doc, v->ns, BAD_CAST "pane", NULL);
    if (col > 1) {
        snprintf(num, sizeof num, "%u", col - 1);
        xmlSetProp(pane, BAD_CAST "xSplit", BAD_CAST num);
    }
    if (row > 1) {
        snprintf(num, sizeof num, "%u", row - 1);
        xmlSetProp(pane, BAD_CAST "ySplit", BAD_CAST num);
    }
    xmlSetProp(pane, BAD_CAST "topLeftCell", BAD_CAST tl);
    const char *active = row > 1 && col > 1 ? "bottomRight" : row > 1 ? "bottomLeft" : "topRight";
    xmlSetProp(pane, BAD_CAST "activePane", BAD_CAST active);
    xmlSetProp(pane, BAD_CAST "state", BAD_CAST "frozen");
    xmlAddPrevSibling(v->children, pane); /* the pane comes before the selections */
    xmlSetProp(sel, BAD_CAST "pane", BAD_CAST active);
    if (row > 1 && col > 1) {
        const char *extra[] = {"topRight", "bottomLeft"};
        for (int i = 0; i < 2; i++) {
            xmlNodePtr s = xmlNewDocNode(sh->doc, v->ns, BAD_CAST "selection", NULL);
            xmlSetProp(s, BAD_CAST "pane", BAD_CAST extra[i]);
            xmlAddPrevSibling(sel, s);
        }
    }
}

void xlsx_sheet_frozen(xlsx_sheet *sh, uint32_t *row, uint32_t *col)
{
    *row = *col = 0;
    xmlNodePtr root = xmlDocGetRootElement(sh->doc);
    xmlNodePtr v = xlsx__child(xlsx__child(root, "sheetViews"), "sheetView");
    xmlNodePtr pane = xlsx__child(v, "pane");
    char *tl = pane ? xlsx__attr(sh->b->a, pane, "topLeftCell") : NULL;
    if (tl) xlsx_cell_parse(tl, row, col);
}

void xlsx_sheet_autofilter(xlsx_sheet *sh, uint32_t r1, uint32_t c1, uint32_t r2, uint32_t c2)
{
    xmlNodePtr root = xmlDocGetRootElement(sh->doc);
    xmlNodePtr af = xlsx__child(root, "autoFilter");
    if (!af) {
        af = xmlNewDocNode(sh->doc, root->ns, BAD_CAST "autoFilter", NULL);
        xlsx__insert_ordered(root, af, ws_order);
    }
    af_buf b = {0};
    put_ref(&b, r1, c1);
    af_buf_putc(&b, ':');
    put_ref(&b, r2, c2);
    xmlSetProp(af, BAD_CAST "ref", BAD_CAST af_buf_cstr(&b));
    /* the hidden name Excel keeps beside a filter: 'Sheet'!$A$1:$B$9 */
    af_buf nm = {0};
    xlsx__quote_sheet(&nm, sh->title);
    char c[4];
    af_buf_printf(&nm, "!$%s$%u:", xlsx_col_name(c1, c), r1);
    af_buf_printf(&nm, "$%s$%u", xlsx_col_name(c2, c), r2);
    xlsx__filter_name(sh->b, sh->idx, af_buf_cstr(&nm));
    af_buf_free(&nm);
    af_buf_free(&b);
    mark(sh);
}

const char *xlsx_sheet_autofilter_ref(xlsx_sheet *sh)
{
    xmlNodePtr af = xlsx__child(xmlDocGetRootElement(sh->doc), "autoFilter");
    return af ? xlsx__attr(sh->b->a, af, "ref") : NULL;
}
