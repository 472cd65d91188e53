/*
 * xlsx_block.c - streamed data blocks: rows the fill steps write into a
 * sheet without holding them in memory.
 *
 * Part of the OOXML workbook layer (xlsx.h). excel_fill_from_file reads a
 * CSV once; each row is converted to cell values and appended to a spool
 * file (unlinked at creation, so nothing is left behind). When the sheet is
 * written (or searched), xlsx_sheet.c merges the spool with the cell model
 * row by row. A block remembers where its rows sit: later row insertions
 * move it, or split it when they fall inside it.
 *
 * Spool record, per row: u32 cell count, then per cell u8 kind, u32 byte
 * length, the bytes (numbers as the text written into <v>).
 */
#include "xlsx_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

xlsx_block *xlsx_block_begin(xlsx_sheet *sh, uint32_t row0, uint32_t col0, const char *tmpdir,
                             char *err, size_t errlen)
{
    if (row0 < 1 || row0 > XLSX_MAX_ROW || col0 < 1 || col0 > XLSX_MAX_COL) {
        snprintf(err, errlen, "rows cannot start at row %u, column %u", row0, col0);
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/.afc-xlsx-spool-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a spool file in %s: %s", tmpdir ? tmpdir : "/tmp",
                 strerror(errno));
        return NULL;
    }
    unlink(path); /* gone when closed, even after a crash */
    FILE *fp = fdopen(fd, "w+b");
    if (!fp) {
        close(fd);
        snprintf(err, errlen, "cannot open a spool file: %s", strerror(errno));
        return NULL;
    }
    setvbuf(fp, NULL, _IOFBF, 1 << 18);
    xlsx_book *b = sh->b;
    xlsx_block *bk = calloc(1, sizeof *bk);
    if (!bk) abort();
    bk->sh = sh;
    bk->seq = ++b->seq;
    bk->row0 = row0;
    bk->col0 = col0;
    bk->fp = fp;
    bk->watch = UINT64_MAX;
    sh->blocks = realloc(sh->blocks, (sh->nblocks + 1) * sizeof *sh->blocks);
    if (!sh->blocks) abort();
    sh->blocks[sh->nblocks++] = bk;
    if (b->nblocks == b->capblocks) {
        b->capblocks = b->capblocks ? b->capblocks * 2 : 8;
        b->blocks = realloc(b->blocks, b->capblocks * sizeof *b->blocks);
        if (!b->blocks) abort();
    }
    b->blocks[b->nblocks++] = bk;
    sh->dirty = 1;
    return bk;
}

void xlsx__block_free(xlsx_block *bk)
{
    if (!bk) return;
    if (bk->fp) fclose(bk->fp);
    free(bk->splits);
    free(bk->copy);
    free(bk->watch_kind);
    free(bk);
}

uint32_t xlsx__block_row_at(const xlsx_block *bk, uint64_t i)
{
    uint64_t r = bk->row0 + i;
    for (size_t k = 0; k < bk->nsplits && bk->splits[k].at <= i; k++)
        r += bk->splits[k].add;
    return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

void xlsx__block_insert(xlsx_block *bk, uint32_t idx, uint32_t n)
{
    if (bk->row0 >= idx) {
        bk->row0 += n;
        return;
    }
    /* first block row at or below idx */
    uint64_t lo = 0, hi = bk->nrows;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (xlsx__block_row_at(bk, mid) < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= bk->nrows) return;
    size_t k = 0;
    while (k < bk->nsplits && bk->splits[k].at < lo)
        k++;
    if (k < bk->nsplits && bk->splits[k].at == lo) {
        bk->splits[k].add += n;
        return;
    }
    bk->splits = realloc(bk->splits, (bk->nsplits + 1) * sizeof *bk->splits);
    if (!bk->splits) abort();
    memmove(bk->splits + k + 1, bk->splits + k, (bk->nsplits - k) * sizeof *bk->splits);
    bk->splits[k].at = lo;
    bk->splits[k].add = n;
    bk->nsplits++;
}

static int wr(xlsx_block *bk, const void *p, size_t n, char *err, size_t errlen)
{
    if (n && fwrite(p, 1, n, bk->fp) != n) {
        snprintf(err, errlen, "cannot write the spool file: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void xlsx_block_watch_row(xlsx_block *bk, uint64_t i)
{
    bk->watch = i;
}

int xlsx_block_row(xlsx_block *bk, const xlsx_val *v, size_t n, char *err, size_t errlen)
{
    uint32_t row = xlsx__block_row_at(bk, bk->nrows);
    if (row > XLSX_MAX_ROW) {
        snprintf(err, errlen, "too many rows: Excel sheets end at row %u", XLSX_MAX_ROW);
        return -1;
    }
    if (n && (uint64_t)bk->col0 + n - 1 > XLSX_MAX_COL) {
        snprintf(err, errlen, "too many columns: Excel sheets end at column %u (XFD)",
                 XLSX_MAX_COL);
        return -1;
    }
    if (bk->watch == bk->nrows) {
        free(bk->watch_kind);
        bk->watch_kind = calloc(n ? n : 1, 1);
        if (!bk->watch_kind) abort();
        bk->watch_n = (uint32_t)n;
        for (size_t j = 0; j < n; j++)
            bk->watch_kind[j] = (uint8_t)v[j].kind;
    }
    uint32_t cnt = (uint32_t)n;
    if (wr(bk, &cnt, 4, err, errlen) < 0) return -1;
    for (size_t j = 0; j < n; j++) {
        const xlsx_val *x = &v[j];
        uint8_t kind = (uint8_t)x->kind;
        const char *s = "";
        size_t len = 0;
        char num[32];
        switch (x->kind) {
        case XLSX_V_NONE:
            break;
        case XLSX_V_NUM:
        case XLSX_V_DATE:
        case XLSX_V_DATETIME:
            if (x->kind == XLSX_V_DATETIME && x->tz) {
                snprintf(err, errlen,
                         "Excel does not support timezones in datetimes. The tzinfo in the "
                         "datetime/time object must be set to None.");
                return -1;
            }
            xlsx_num_text(x->num, num);
            s = num, len = strlen(num);
            break;
        case XLSX_V_BOOL:
            s = x->num != 0 ? "1" : "0", len = 1;
            break;
        case XLSX_V_STR:
            if (xlsx__check_str(x->s, x->len, &len, err, errlen) < 0) {
                size_t l = strlen(err);
                snprintf(err + l, errlen - l, " (column %zu)", j + 1);
                return -1;
            }
            s = x->s;
            if (len > 1 && s[0] == '=') {
                kind = XLSX_BK_FORMULA;
                s++, len--;
            } else {
                static const char *const codes[] = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!",
                                                    "#NAME?", "#NUM!",   "#N/A",    NULL};
                for (int k = 0; codes[k]; k++)
                    if (strlen(codes[k]) == len && !memcmp(codes[k], s, len)) kind = XLSX_BK_ERROR;
            }
            break;
        }
        uint32_t l32 = (uint32_t)len;
        if (wr(bk, &kind, 1, err, errlen) < 0 || wr(bk, &l32, 4, err, errlen) < 0 ||
            wr(bk, s, len, err, errlen) < 0)
            return -1;
    }
    if (n > bk->width) bk->width = (uint32_t)n;
    bk->nrows++;
    if (n) bk->last_nonempty = bk->nrows;
    return 0;
}

uint64_t xlsx_block_rows(const xlsx_block *bk)
{
    return bk->nrows;
}

uint32_t xlsx_block_width(const xlsx_block *bk)
{
    return bk->width;
}

uint32_t xlsx_block_style_at(xlsx_block *bk, uint32_t row, uint32_t col)
{
    uint32_t s = xlsx_cell_style(bk->sh, row, col);
    if (bk->watch == UINT64_MAX || bk->watch >= bk->nrows || col < bk->col0) return s;
    if (xlsx__block_row_at(bk, bk->watch) != row) return s;
    uint32_t j = col - bk->col0;
    if (j < bk->watch_n &&
        (bk->watch_kind[j] == XLSX_V_DATE || bk->watch_kind[j] == XLSX_V_DATETIME))
        s = xlsx_style_for_date(bk->sh->b, s, (xlsx_vkind)bk->watch_kind[j]);
    return s;
}

void xlsx_block_copy_styles(xlsx_block *bk, const uint32_t *src, uint32_t n)
{
    free(bk->copy);
    bk->copy = NULL;
    bk->ncopy = 0;
    if (!n) return;
    bk->copy = malloc(n * sizeof *bk->copy);
    if (!bk->copy) abort();
    memcpy(bk->copy, src, n * sizeof *src);
    bk->ncopy = n;
}

int xlsx__block_rewind(xlsx_block *bk, char *err, size_t errlen)
{
    if (fflush(bk->fp) != 0 || fseek(bk->fp, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "cannot read the spool file: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int rd(xlsx_block *bk, void *p, size_t n, char *err, size_t errlen)
{
    if (n && fread(p, 1, n, bk->fp) != n) {
        snprintf(err, errlen, "cannot read the spool file: %s",
                 ferror(bk->fp) ? strerror(errno) : "truncated");
        return -1;
    }
    return 0;
}

int xlsx__block_next(xlsx_block *bk, xlsx_rowbuf *rb, char *err, size_t errlen)
{
    uint32_t cnt;
    size_t got = fread(&cnt, 1, 4, bk->fp);
    if (got == 0 && feof(bk->fp)) return 0;
    if (got != 4) {
        snprintf(err, errlen, "cannot read the spool file: %s",
                 ferror(bk->fp) ? strerror(errno) : "truncated");
        return -1;
    }
    if (cnt > rb->cap) {
        rb->cap = cnt;
        rb->cells = realloc(rb->cells, cnt * sizeof *rb->cells);
        rb->offs = realloc(rb->offs, cnt * sizeof *rb->offs);
        if (!rb->cells || !rb->offs) abort();
    }
    af_buf_reset(&rb->bytes);
    for (uint32_t j = 0; j < cnt; j++) {
        uint8_t kind;
        uint32_t len;
        if (rd(bk, &kind, 1, err, errlen) < 0 || rd(bk, &len, 4, err, errlen) < 0) return -1;
        rb->cells[j].kind = kind;
        rb->cells[j].len = len;
        rb->offs[j] = rb->bytes.len;
        char chunk[8192];
        while (len > 0) {
            size_t k = len < sizeof chunk ? len : sizeof chunk;
            if (rd(bk, chunk, k, err, errlen) < 0) return -1;
            af_buf_put(&rb->bytes, chunk, k);
            len -= (uint32_t)k;
        }
        af_buf_putc(&rb->bytes, 0);
    }
    for (uint32_t j = 0; j < cnt; j++)
        rb->cells[j].s = af_buf_cstr(&rb->bytes) + rb->offs[j];
    rb->n = cnt;
    return 1;
}

void xlsx__rowbuf_free(xlsx_rowbuf *rb)
{
    free(rb->cells);
    free(rb->offs);
    af_buf_free(&rb->bytes);
    memset(rb, 0, sizeof *rb);
}
