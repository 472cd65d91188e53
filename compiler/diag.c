/*
 * diag.c - the compiler's diagnostics: collected from every stage, then
 * printed gcc style (or as JSON) once the stage that found them is done.
 *
 *   flows/main.yaml:12:7: error: unknown step type 'zipp'
 *      12 |     type: zipp
 *         |           ^
 *   flows/main.yaml:12:7: note: did you mean 'zip'?
 *
 * Lines and columns are those libyaml reports (1-based, columns counted in
 * characters), so finding a line in the source splits it at the same line
 * breaks YAML does: LF, CR, CRLF, NEL, LS and PS.
 */
#include "afc.h"
#include "af_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct diag diag;
struct diag {
    afc_sev sev;
    afc_pos pos;
    const char *msg;
    size_t seq;         /* recording order, for a stable sort */
    diag *notes, *tail; /* notes attached to this error or warning */
    diag *next;         /* next note */
};

typedef struct line_index {
    const afc_src *src;
    size_t *start; /* byte offset where each line begins; nlines entries */
    size_t nlines;
} line_index;

struct afc_diags {
    af_arena *a;
    diag **v; /* top-level diagnostics, in recording order until printed */
    size_t n, cap;
    diag *last; /* the error or warning a note attaches to */
    int nerr, nwarn;
    int werror;
    line_index *lines; /* one per source printed so far */
    size_t nlines, caplines;
};

/* An empty collection living in arena a (see afc.h for the whole contract). */
afc_diags *afc_diags_new(af_arena *a)
{
    afc_diags *d = af_alloc(a, sizeof *d);
    d->a = a;
    return d;
}

/* Changes how warnings count and print from now on; nothing is re-recorded. */
void afc_diags_set_werror(afc_diags *d, int on)
{
    d->werror = on;
}

/* Errors so far, warnings included under -Werror. */
int afc_error_count(const afc_diags *d)
{
    return d->nerr + (d->werror ? d->nwarn : 0);
}

/* Warnings so far (0 under -Werror, where they count as errors). */
int afc_warning_count(const afc_diags *d)
{
    return d->werror ? 0 : d->nwarn;
}

static diag *record(afc_diags *d, afc_sev sev, afc_pos pos, const char *fmt, va_list ap)
{
    diag *g = af_alloc(d->a, sizeof *g);
    g->sev = sev;
    g->pos = pos;
    g->msg = af_vsprintf(d->a, fmt, ap);
    if (sev == AFC_NOTE && d->last) {
        if (d->last->tail)
            d->last->tail->next = g;
        else
            d->last->notes = g;
        d->last->tail = g;
        return g;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        diag **v = af_alloc(d->a, cap * sizeof *v);
        if (d->n) memcpy(v, d->v, d->n * sizeof *v);
        d->v = v;
        d->cap = cap;
    }
    g->seq = d->n;
    d->v[d->n++] = g;
    if (sev == AFC_ERROR) d->nerr++;
    if (sev == AFC_WARNING) d->nwarn++;
    /* a note with nothing before it stands alone; later notes do not join it */
    d->last = sev == AFC_NOTE ? NULL : g;
    return g;
}

/* The message is formatted now into d's arena; pos.src must outlive d. */
void afc_error(afc_diags *d, afc_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(d, AFC_ERROR, pos, fmt, ap);
    va_end(ap);
}

/* As afc_error, for a warning. */
void afc_warning(afc_diags *d, afc_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(d, AFC_WARNING, pos, fmt, ap);
    va_end(ap);
}

/* Attached to the last error or warning; with none before it, a note of
 * its own. */
void afc_note(afc_diags *d, afc_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(d, AFC_NOTE, pos, fmt, ap);
    va_end(ap);
}

/* The closest candidate within max(1, len/3) edits (the first on a tie, never
 * the word itself) as a note; nothing when none is close. */
void afc_note_suggest(afc_diags *d, afc_pos pos, const char *word, const char *const *candidates)
{
    if (!word || !candidates) return;
    int limit = (int)(strlen(word) / 3);
    if (limit < 1) limit = 1;
    const char *best = NULL;
    int best_dist = limit + 1;
    for (const char *const *c = candidates; *c; c++) {
        if (strcmp(*c, word) == 0) continue; /* suggesting the word itself helps nobody */
        int dist = af__edit_distance(word, *c);
        if (dist < best_dist) {
            best = *c;
            best_dist = dist;
        }
    }
    if (best) afc_note(d, pos, "did you mean '%s'?", best);
}

/* ---- source lines ---------------------------------------------------------- */

/* Length of the line break at p (0 if none), as YAML counts them. */
static size_t break_len(const char *p, const char *end)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t left = (size_t)(end - p);
    if (u[0] == '\n') return 1;
    if (u[0] == '\r') return left > 1 && u[1] == '\n' ? 2 : 1;
    if (left >= 2 && u[0] == 0xc2 && u[1] == 0x85) return 2;
    if (left >= 3 && u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)) return 3;
    return 0;
}

static const line_index *lines_of(afc_diags *d, const afc_src *src)
{
    for (size_t i = 0; i < d->nlines; i++)
        if (d->lines[i].src == src) return &d->lines[i];
    if (d->nlines == d->caplines) {
        size_t cap = d->caplines ? d->caplines * 2 : 4;
        line_index *v = af_alloc(d->a, cap * sizeof *v);
        if (d->nlines) memcpy(v, d->lines, d->nlines * sizeof *v);
        d->lines = v;
        d->caplines = cap;
    }
    line_index *li = &d->lines[d->nlines++];
    li->src = src;
    const char *text = src->text ? src->text : "";
    size_t len = src->text ? src->len : 0;
    size_t n = 1;
    for (size_t i = 0; i < len;) {
        size_t b = break_len(text + i, text + len);
        if (b) n++;
        i += b ? b : 1;
    }
    li->start = af_alloc(d->a, n * sizeof *li->start);
    li->nlines = 0;
    li->start[li->nlines++] = 0;
    for (size_t i = 0; i < len;) {
        size_t b = break_len(text + i, text + len);
        i += b ? b : 1;
        if (b) li->start[li->nlines++] = i;
    }
    return li;
}

/* ---- printing -------------------------------------------------------------- */

typedef struct style {
    const char *locus, *error, *warning, *note, *reset;
} style;

static const style plain_style = {"", "", "", "", ""};
static const style color_style = {"\033[01m\033[K", "\033[01;31m\033[K", "\033[01;35m\033[K",
                                  "\033[01;36m\033[K", "\033[m\033[K"};

static const char *sev_name(afc_sev s)
{
    return s == AFC_ERROR ? "error" : s == AFC_WARNING ? "warning" : "note";
}

static const char *sev_color(const style *st, afc_sev s)
{
    return s == AFC_ERROR ? st->error : s == AFC_WARNING ? st->warning : st->note;
}

static int digits(long v)
{
    int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* The source line under a diagnostic and a caret at its column. The line is
 * printed as it is; the caret line repeats each tab of the source line so
 * the caret lands under the right character whatever the tab stops are.
 * Control characters and bytes that are not UTF-8 print as '?', one column
 * each, which is how libyaml counted them too. */
static void show_source(afc_diags *d, FILE *out, const style *st, afc_sev sev, afc_pos pos)
{
    const afc_src *src = pos.src;
    if (!src->text || pos.line <= 0) return;
    const line_index *li = lines_of(d, src);
    if ((size_t)pos.line > li->nlines) return;
    const char *text = src->text, *end = src->text + src->len;
    const char *p = text + li->start[pos.line - 1];
    if (p == end && pos.line > 1) return; /* the empty "line" after a final newline */
    const char *e = p;
    while (e < end && !break_len(e, end))
        e++;
    int col = pos.col;
    if (pos.line == 1 && e - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3; /* a byte order mark: invisible, and not counted in columns */
    int w = digits(pos.line) < 4 ? 4 : digits(pos.line);
    af_buf line = {0}, caret = {0};
    int c = 1;
    for (const char *q = p; q < e;) {
        unsigned cp;
        int n = af__utf8_decode((const unsigned char *)q, (size_t)(e - q), &cp);
        if (cp == '\t')
            af_buf_putc(&line, '\t');
        else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
                 (cp >= 0xdc00 && cp <= 0xdcff))
            af_buf_putc(&line, '?');
        else
            af_buf_put(&line, q, (size_t)n);
        if (c < col) af_buf_putc(&caret, cp == '\t' ? '\t' : ' ');
        c++;
        q += n;
    }
    for (; c < col; c++)
        af_buf_putc(&caret, ' ');
    fprintf(out, " %*d | %s\n", w, pos.line, af_buf_cstr(&line));
    if (col > 0)
        fprintf(out, " %*s | %s%s^%s\n", w, "", af_buf_cstr(&caret), sev_color(st, sev), st->reset);
    af_buf_free(&line);
    af_buf_free(&caret);
}

/* Prints one diagnostic; the source line and caret follow unless show_src
 * is 0 (a note at the very place of the diagnostic it belongs to: the
 * reader has just seen that line). */
static void print_one(afc_diags *d, FILE *out, const style *st, const diag *g, int show_src)
{
    afc_sev sev = g->sev == AFC_WARNING && d->werror ? AFC_ERROR : g->sev;
    const char *path = g->pos.src && g->pos.src->path ? g->pos.src->path : "<input>";
    if (!g->pos.src)
        fprintf(out, "%safc:%s ", st->locus, st->reset);
    else if (g->pos.line <= 0)
        fprintf(out, "%s%s:%s ", st->locus, path, st->reset);
    else if (g->pos.col <= 0)
        fprintf(out, "%s%s:%d:%s ", st->locus, path, g->pos.line, st->reset);
    else
        fprintf(out, "%s%s:%d:%d:%s ", st->locus, path, g->pos.line, g->pos.col, st->reset);
    fprintf(out, "%s%s:%s %s%s\n", sev_color(st, sev), sev_name(sev), st->reset, g->msg,
            g->sev == AFC_WARNING && d->werror ? " [-Werror]" : "");
    if (g->pos.src && show_src) show_source(d, out, st, sev, g->pos);
}

static int same_place(afc_pos a, afc_pos b)
{
    return a.src == b.src && a.line == b.line && a.col == b.col;
}

static int cmp_diag(const void *pa, const void *pb)
{
    const diag *a = *(const diag *const *)pa, *b = *(const diag *const *)pb;
    if (!a->pos.src != !b->pos.src) return a->pos.src ? 1 : -1; /* no location first */
    if (a->pos.src && b->pos.src && a->pos.src != b->pos.src) {
        int c = strcmp(a->pos.src->path ? a->pos.src->path : "",
                       b->pos.src->path ? b->pos.src->path : "");
        if (c) return c;
    }
    if (a->pos.src) {
        if (a->pos.line != b->pos.line) return a->pos.line < b->pos.line ? -1 : 1;
        if (a->pos.col != b->pos.col) return a->pos.col < b->pos.col ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void sort_diags(afc_diags *d)
{
    if (d->n > 1) qsort(d->v, d->n, sizeof *d->v, cmp_diag);
}

static int want_color(FILE *out)
{
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc) return 0;
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0) return 0;
    return isatty(fileno(out));
}

/* Sorts the diagnostics in place (stable) and prints them all; printing
 * twice gives the same text. */
void afc_diags_print(afc_diags *d, FILE *out)
{
    const style *st = want_color(out) ? &color_style : &plain_style;
    sort_diags(d);
    for (size_t i = 0; i < d->n; i++) {
        print_one(d, out, st, d->v[i], 1);
        for (const diag *n = d->v[i]->notes; n; n = n->next)
            print_one(d, out, st, n, !same_place(n->pos, d->v[i]->pos));
    }
    fflush(out);
}

/* ---- JSON ------------------------------------------------------------------ */

static af_value *json_one(afc_diags *d, af_arena *a, const diag *g)
{
    afc_sev sev = g->sev == AFC_WARNING && d->werror ? AFC_ERROR : g->sev;
    af_value *o = af_map(a);
    int has_line = g->pos.src && g->pos.line > 0, has_col = has_line && g->pos.col > 0;
    af_map_set(a, o, "file",
               g->pos.src && g->pos.src->path ? af_str(a, g->pos.src->path) : af_null());
    af_map_set(a, o, "line", has_line ? af_int(a, g->pos.line) : af_null());
    af_map_set(a, o, "col", has_col ? af_int(a, g->pos.col) : af_null());
    af_map_set(a, o, "severity", af_str(a, sev_name(sev)));
    af_map_set(a, o, "message", af_str(a, g->msg));
    return o;
}

/* Appends the JSON array to out (sorted as printed); file, line and col are
 * null when unknown. */
void afc_diags_json(afc_diags *d, af_buf *out)
{
    af_arena *a = af_arena_new();
    sort_diags(d);
    af_value *arr = af_list(a);
    for (size_t i = 0; i < d->n; i++) {
        af_value *o = json_one(d, a, d->v[i]);
        af_value *notes = af_list(a);
        for (const diag *n = d->v[i]->notes; n; n = n->next)
            af_list_push(a, notes, json_one(d, a, n));
        af_map_set(a, o, "notes", notes);
        af_list_push(a, arr, o);
    }
    af_json_write(out, arr, 0);
    af_arena_free(a);
}
