/*
 * xlsx_ref.c - A1 cell references, and the references inside formulas.
 *
 * Part of the OOXML workbook layer of the Excel steps (see xlsx.h). When
 * rows are inserted into a sheet, every reference to the moved rows must
 * move too: in cell formulas, defined names, conditional formats, data
 * validations, merged ranges. This file holds the one tokenizer that finds
 * those references in formula text, and the rewrites built on it (row
 * shifting, and the relative translation used to expand shared formulas).
 *
 * The tokenizer knows just enough of the formula grammar to never mistake
 * something else for a reference: string literals, quoted and unquoted sheet
 * names, external workbook indexes ([1]Sheet!A1), structured references
 * (Table[[#This Row],[Col]]), error literals, function names (LOG10( is a
 * call, not cell LOG10), numbers with exponents (1E5). Text it does not
 * rewrite is copied byte for byte.
 */
#include "xlsx.h"

#include <string.h>

/* ---- cell references ------------------------------------------------------ */

int xlsx_col_parse(const char *s, size_t n, uint32_t *col)
{
    if (n == 0 || n > 3) return -1;
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
        if (ch < 'A' || ch > 'Z') return -1;
        c = c * 26 + (uint32_t)(ch - 'A' + 1);
    }
    if (c > XLSX_MAX_COL) return -1;
    *col = c;
    return 0;
}

const char *xlsx_col_name(uint32_t col, char buf[4])
{
    char tmp[4];
    int n = 0;
    while (col > 0 && n < 3) {
        uint32_t rem = (col - 1) % 26;
        tmp[n++] = (char)('A' + rem);
        col = (col - 1) / 26;
    }
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return buf;
}

const char *xlsx_ref_fmt(char buf[16], uint32_t row, uint32_t col)
{
    char c[4];
    snprintf(buf, 16, "%s%u", xlsx_col_name(col, c), row);
    return buf;
}

/* Parses [$]LETTERS[$]DIGITS exactly (n bytes). Row and column must be inside
 * the sheet. abs flags may be NULL. */
static int parse_cell(const char *s, size_t n, uint32_t *row, uint32_t *col, unsigned char *arow,
                      unsigned char *acol)
{
    size_t i = 0;
    unsigned char ac = 0, ar = 0;
    if (i < n && s[i] == '$') ac = 1, i++;
    size_t l0 = i;
    while (i < n && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
        i++;
    if (xlsx_col_parse(s + l0, i - l0, col) < 0) return -1;
    if (i < n && s[i] == '$') ar = 1, i++;
    size_t d0 = i;
    uint64_t r = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        r = r * 10 + (uint64_t)(s[i] - '0');
        if (r > XLSX_MAX_ROW) return -1;
        i++;
    }
    if (i == d0 || i != n || r == 0) return -1;
    *row = (uint32_t)r;
    if (arow) *arow = ar;
    if (acol) *acol = ac;
    return 0;
}

int xlsx_cell_parse(const char *s, uint32_t *row, uint32_t *col)
{
    return parse_cell(s, strlen(s), row, col, NULL, NULL);
}

/* [$]DIGITS as a whole-row operand */
static int parse_rownum(const char *s, size_t n, uint32_t *row, unsigned char *abs)
{
    size_t i = 0;
    *abs = 0;
    if (i < n && s[i] == '$') *abs = 1, i++;
    if (i == n) return -1;
    uint64_t r = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        r = r * 10 + (uint64_t)(s[i] - '0');
        if (r > XLSX_MAX_ROW) return -1;
    }
    if (r == 0) return -1;
    *row = (uint32_t)r;
    return 0;
}

/* [$]LETTERS as a whole-column operand */
static int parse_colname(const char *s, size_t n, uint32_t *col, unsigned char *abs)
{
    size_t i = 0;
    *abs = 0;
    if (i < n && s[i] == '$') *abs = 1, i++;
    return xlsx_col_parse(s + i, n - i, col);
}

/* Parses one reference without sheet: A1, A1:B2, 3:5, A:C (with $). */
int xlsx_area_parse(const char *s, size_t n, xlsx_ref *r)
{
    memset(r, 0, sizeof *r);
    const char *colon = memchr(s, ':', n);
    if (!colon) {
        if (parse_cell(s, n, &r->r1, &r->c1, &r->ar1, &r->ac1) < 0) return -1;
        r->kind = XLSX_REF_CELL;
        r->r2 = r->r1, r->c2 = r->c1, r->ar2 = r->ar1, r->ac2 = r->ac1;
        return 0;
    }
    size_t n1 = (size_t)(colon - s), n2 = n - n1 - 1;
    const char *s2 = colon + 1;
    if (parse_cell(s, n1, &r->r1, &r->c1, &r->ar1, &r->ac1) == 0 &&
        parse_cell(s2, n2, &r->r2, &r->c2, &r->ar2, &r->ac2) == 0) {
        r->kind = XLSX_REF_AREA;
        return 0;
    }
    if (parse_rownum(s, n1, &r->r1, &r->ar1) == 0 && parse_rownum(s2, n2, &r->r2, &r->ar2) == 0) {
        r->kind = XLSX_REF_ROWS;
        return 0;
    }
    if (parse_colname(s, n1, &r->c1, &r->ac1) == 0 && parse_colname(s2, n2, &r->c2, &r->ac2) == 0) {
        r->kind = XLSX_REF_COLS;
        return 0;
    }
    return -1;
}

static void put_cell(af_buf *b, uint32_t row, uint32_t col, unsigned char ar, unsigned char ac)
{
    char c[4];
    af_buf_printf(b, "%s%s%s%u", ac ? "$" : "", xlsx_col_name(col, c), ar ? "$" : "", row);
}

void xlsx_area_write(af_buf *b, const xlsx_ref *r)
{
    char c[4];
    switch (r->kind) {
    case XLSX_REF_CELL:
        put_cell(b, r->r1, r->c1, r->ar1, r->ac1);
        break;
    case XLSX_REF_AREA:
        put_cell(b, r->r1, r->c1, r->ar1, r->ac1);
        af_buf_putc(b, ':');
        put_cell(b, r->r2, r->c2, r->ar2, r->ac2);
        break;
    case XLSX_REF_ROWS:
        af_buf_printf(b, "%s%u:%s%u", r->ar1 ? "$" : "", r->r1, r->ar2 ? "$" : "", r->r2);
        break;
    case XLSX_REF_COLS:
        af_buf_printf(b, "%s%s:", r->ac1 ? "$" : "", xlsx_col_name(r->c1, c));
        af_buf_printf(b, "%s%s", r->ac2 ? "$" : "", xlsx_col_name(r->c2, c));
        break;
    }
}

/* ---- the formula tokenizer -------------------------------------------------- */

static int is_word(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '$' || c == '\\' || c == '?' || c >= 0x80;
}

static size_t word_end(const char *f, size_t n, size_t i)
{
    while (i < n && is_word((unsigned char)f[i]))
        i++;
    return i;
}

typedef struct tok {
    const char *f;
    size_t n;
    xlsx_ref_fn cb;
    void *ud;
    af_buf *out;
    int changed;
    char sheet[256]; /* unquoted qualifier of the reference being parsed */
} tok;

/* Offers the reference at f[i..) (after an optional qualifier already
 * copied) to the callback. Returns the end of what was consumed, or i when
 * there is no reference there (nothing is written then). */
static size_t take_ref(tok *t, size_t i, const char *sheet, int three_d, int external)
{
    size_t e1 = word_end(t->f, t->n, i);
    if (e1 == i) return i;
    if (e1 < t->n && t->f[e1] == '(') return i; /* a function call */
    size_t end = e1;
    xlsx_ref r;
    /* area or whole rows/columns: WORD:WORD */
    if (e1 < t->n && t->f[e1] == ':') {
        size_t e2 = word_end(t->f, t->n, e1 + 1);
        if (e2 > e1 + 1 && !(e2 < t->n && (t->f[e2] == '(' || t->f[e2] == '!')) &&
            xlsx_area_parse(t->f + i, e2 - i, &r) == 0)
            end = e2;
    }
    if (end == e1) {
        if (parse_cell(t->f + i, e1 - i, &r.r1, &r.c1, &r.ar1, &r.ac1) < 0) return i;
        r.kind = XLSX_REF_CELL;
        r.r2 = r.r1, r.c2 = r.c1, r.ar2 = r.ar1, r.ac2 = r.ac1;
    }
    r.sheet = sheet;
    r.three_d = three_d;
    r.external = external;
    r.invalid = 0;
    if (t->cb(t->ud, &r)) {
        t->changed = 1;
        if (r.invalid)
            af_buf_puts(t->out, "#REF!");
        else
            xlsx_area_write(t->out, &r);
    } else {
        af_buf_put(t->out, t->f + i, end - i);
    }
    return end;
}

/* Copies a bracketed run [..] with nesting; returns the index after it. */
static size_t copy_brackets(tok *t, size_t i)
{
    int depth = 0;
    size_t s = i;
    for (; i < t->n; i++) {
        if (t->f[i] == '[')
            depth++;
        else if (t->f[i] == ']' && --depth == 0) {
            i++;
            break;
        }
    }
    af_buf_put(t->out, t->f + s, i - s);
    return i;
}

int xlsx_formula_map(const char *f, size_t n, xlsx_ref_fn cb, void *ud, af_buf *out)
{
    tok t = {.f = f, .n = n, .cb = cb, .ud = ud, .out = out};
    size_t i = 0;
    int external = 0; /* a [n] workbook index was just copied */
    while (i < n) {
        unsigned char c = (unsigned char)f[i];
        if (c == '"') { /* string literal, "" escapes a quote */
            size_t s = i++;
            while (i < n) {
                if (f[i] == '"') {
                    if (i + 1 < n && f[i + 1] == '"') {
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                i++;
            }
            af_buf_put(out, f + s, i - s);
            external = 0;
            continue;
        }
        if (c == '[') {
            i = copy_brackets(&t, i);
            external = 1;
            continue;
        }
        if (c == '#') { /* error literal: #REF! #N/A #DIV/0! #NAME? */
            size_t s = i++;
            while (i < n && (is_word((unsigned char)f[i]) || f[i] == '/') && f[i] != '?')
                i++;
            if (i < n && (f[i] == '!' || f[i] == '?')) i++;
            af_buf_put(out, f + s, i - s);
            external = 0;
            continue;
        }
        if (c == '\'') { /* quoted sheet name: 'It''s'!A1 */
            size_t s = i++;
            size_t k = 0;
            int closed = 0;
            while (i < n) {
                if (f[i] == '\'') {
                    if (i + 1 < n && f[i + 1] == '\'') {
                        if (k < sizeof t.sheet - 1) t.sheet[k++] = '\'';
                        i += 2;
                        continue;
                    }
                    i++;
                    closed = 1;
                    break;
                }
                if (k < sizeof t.sheet - 1) t.sheet[k++] = f[i];
                i++;
            }
            t.sheet[k] = 0;
            af_buf_put(out, f + s, i - s);
            if (closed && i < n && f[i] == '!') {
                af_buf_putc(out, '!');
                i++;
                int three_d = strchr(t.sheet, ':') != NULL;
                i = take_ref(&t, i, t.sheet, three_d, external);
                /* whatever follows (a sheet-scoped name) is copied by the loop */
            }
            external = 0;
            continue;
        }
        if (is_word(c)) {
            size_t e = word_end(f, n, i);
            /* Sheet!ref or Sheet1:Sheet3!ref */
            size_t q = e;
            int three_d = 0;
            if (q < n && f[q] == ':') {
                size_t e2 = word_end(f, n, q + 1);
                if (e2 > q + 1 && e2 < n && f[e2] == '!') three_d = 1, q = e2;
            }
            if (q < n && f[q] == '!') {
                size_t k = q - i < sizeof t.sheet - 1 ? q - i : sizeof t.sheet - 1;
                memcpy(t.sheet, f + i, k);
                t.sheet[k] = 0;
                af_buf_put(out, f + i, q + 1 - i);
                i = take_ref(&t, q + 1, t.sheet, three_d, external);
                external = 0;
                continue;
            }
            size_t j = take_ref(&t, i, NULL, 0, external);
            if (j == i) { /* not a reference: copy the word */
                af_buf_put(out, f + i, e - i);
                j = e;
            }
            i = j;
            external = 0;
            continue;
        }
        af_buf_putc(out, (char)c);
        i++;
        external = 0;
    }
    return t.changed;
}

/* ---- rewrites ------------------------------------------------------------------ */

/* ASCII case-insensitive comparison, as Excel compares sheet names. */
static int sheet_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'a' && x <= 'z') x = (char)(x - 32);
        if (y >= 'a' && y <= 'z') y = (char)(y - 32);
        if (x != y) return 0;
    }
    return *a == *b;
}

typedef struct shift_ctx {
    const char *home;   /* sheet the formula lives on, NULL: unqualified refs never match */
    const char *target; /* sheet rows were inserted into */
    uint32_t idx, n;
} shift_ctx;

/* Moves row r down when it is at or below the insertion point. */
static int shift_row(uint32_t *r, uint32_t idx, uint32_t n, int *overflow)
{
    if (*r < idx) return 0;
    if ((uint64_t)*r + n > XLSX_MAX_ROW) *overflow = 1;
    *r += n;
    return 1;
}

static int shift_cb(void *ud, xlsx_ref *r)
{
    shift_ctx *c = ud;
    if (r->external || r->three_d) return 0;
    const char *sheet = r->sheet ? r->sheet : c->home;
    if (!sheet || !sheet_eq(sheet, c->target)) return 0;
    return xlsx_ref_shift_rows(r, c->idx, c->n);
}

int xlsx_ref_shift_rows(xlsx_ref *r, uint32_t idx, uint32_t n)
{
    if (r->kind == XLSX_REF_COLS || n == 0) return 0;
    int ov = 0, ch = 0;
    ch |= shift_row(&r->r1, idx, n, &ov);
    int ov2 = 0;
    ch |= shift_row(&r->r2, idx, n, &ov2);
    if (ov) r->invalid = 1;               /* the whole reference left the sheet */
    if (ov2 && !ov) r->r2 = XLSX_MAX_ROW; /* a range is cut at the last row, as Excel does */
    return ch;
}

int xlsx_formula_shift_rows(const char *f, const char *home, const char *target, uint32_t idx,
                            uint32_t n, af_buf *out)
{
    shift_ctx c = {home, target, idx, n};
    return xlsx_formula_map(f, strlen(f), shift_cb, &c, out);
}

typedef struct tr_ctx {
    int64_t dr, dc;
} tr_ctx;

static int tr_one(uint32_t *v, unsigned char abs, int64_t d, uint32_t max, int *bad)
{
    if (abs || d == 0) return 0;
    int64_t x = (int64_t)*v + d;
    if (x < 1 || x > (int64_t)max)
        *bad = 1;
    else
        *v = (uint32_t)x;
    return 1;
}

static int tr_cb(void *ud, xlsx_ref *r)
{
    tr_ctx *c = ud;
    if (r->external) return 0;
    int bad = 0, ch = 0;
    if (r->kind != XLSX_REF_COLS) {
        ch |= tr_one(&r->r1, r->ar1, c->dr, XLSX_MAX_ROW, &bad);
        ch |= tr_one(&r->r2, r->ar2, c->dr, XLSX_MAX_ROW, &bad);
    }
    if (r->kind != XLSX_REF_ROWS) {
        ch |= tr_one(&r->c1, r->ac1, c->dc, XLSX_MAX_COL, &bad);
        ch |= tr_one(&r->c2, r->ac2, c->dc, XLSX_MAX_COL, &bad);
    }
    if (bad) r->invalid = 1;
    return ch;
}

int xlsx_formula_translate(const char *f, int64_t dr, int64_t dc, af_buf *out)
{
    tr_ctx c = {dr, dc};
    return xlsx_formula_map(f, strlen(f), tr_cb, &c, out);
}

int xlsx_sqref_shift_rows(const char *sq, uint32_t idx, uint32_t n, af_buf *out)
{
    int changed = 0;
    const char *p = sq;
    int first = 1;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        xlsx_ref r;
        if (!first) af_buf_putc(out, ' ');
        first = 0;
        if (xlsx_area_parse(p, (size_t)(e - p), &r) == 0 && xlsx_ref_shift_rows(&r, idx, n)) {
            changed = 1;
            if (!r.invalid)
                xlsx_area_write(out, &r);
            else
                out->len -= out->len && out->data[out->len - 1] == ' ' ? 1 : 0;
        } else {
            af_buf_put(out, p, (size_t)(e - p));
        }
        p = e;
    }
    if (!out->data) af_buf_puts(out, "");
    return changed;
}
