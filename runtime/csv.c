/*
 * csv.c - CSV/TSV writer and reader matching CPython 3.11's _csv module.
 *
 * The public contract is in af_csv.h. The writer mirrors _csv.c's
 * join_append_data (a scan pass that decides quoting and finds errors, then
 * a copy pass); the reader mirrors parse_process_char's state machine, fed
 * one code point at a time with an EOL pseudo-character after each physical
 * line, which is how csv.reader sees a file opened with newline="".
 * Runs of ordinary bytes are copied in bulk when every special character is
 * ASCII (UTF-8 continuation bytes can never equal an ASCII character).
 */
#include "af.h"
#include "af_csv.h"
#include "af_int.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_FLUSH_AT (64 * 1024) /* writer: hand buffered records to the sink past this */
#define IN_CHUNK (64 * 1024)     /* reader: bytes pulled from the source per call */
#define EOL_CP 0xFFFFFFFEu       /* the reader's end-of-line pseudo character */

static int xerr(char *err, size_t errlen, const char *fmt, ...) AF_PRINTF(3, 4);
static int xerr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "afc: out of memory (%zu bytes)\n", n);
        abort();
    }
    return q;
}

/* Appends the UTF-8 encoding of cp; returns its length (1..4). */
static int utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- dialect ------------------------------------------------------------ */

void af_csv_dialect_init(af_csv_dialect *d)
{
    memset(d, 0, sizeof *d);
    d->delimiter = ',';
    d->quotechar = '"';
    d->escapechar = AF_CSV_NOT_SET;
    d->doublequote = 1;
    d->quoting = AF_CSV_QUOTE_MINIMAL;
    d->lineterminator = "\r\n";
}

int af_csv_dialect_check(const af_csv_dialect *d, char *err, size_t errlen)
{
    if ((unsigned)d->quoting > AF_CSV_QUOTE_NONE) return xerr(err, errlen, "bad \"quoting\" value");
    if (d->delimiter == AF_CSV_NOT_SET || d->delimiter > 0x10FFFF)
        return xerr(err, errlen, "\"delimiter\" must be a 1-character string");
    if (d->quotechar != AF_CSV_NOT_SET && d->quotechar > 0x10FFFF)
        return xerr(err, errlen, "\"quotechar\" must be a 1-character string");
    if (d->escapechar != AF_CSV_NOT_SET && d->escapechar > 0x10FFFF)
        return xerr(err, errlen, "\"escapechar\" must be a 1-character string");
    if (d->quoting != AF_CSV_QUOTE_NONE && d->quotechar == AF_CSV_NOT_SET)
        return xerr(err, errlen, "quotechar must be set if quoting enabled");
    if (!d->lineterminator) return xerr(err, errlen, "lineterminator must be set");
    return 0;
}

int af_csv_char(const char *name, const char *s, int allow_unset, uint32_t *cp, char *err,
                size_t errlen)
{
    if (!s) {
        if (allow_unset) {
            *cp = AF_CSV_NOT_SET;
            return 0;
        }
        return xerr(err, errlen, "\"%s\" must be a 1-character string", name);
    }
    size_t n = strlen(s);
    unsigned c = 0;
    if (n == 0 || (size_t)af__utf8_decode((const unsigned char *)s, n, &c) != n ||
        (c >= 0xDC80 && c <= 0xDCFF && n == 1))
        return xerr(err, errlen, "\"%s\" must be a 1-character string", name);
    *cp = c;
    return 0;
}

int af_csv_quoting_parse(const char *s)
{
    if (!s) return -1;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    static const char *const names[] = {"minimal", "all", "nonnumeric", "none"};
    for (int i = 0; i < 4; i++)
        if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0) return i;
    return -1;
}

/* Normalises a Python codec name: lower case, '_' and ' ' as '-'. */
static void norm_codec(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in && in[i] && i + 1 < cap; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c == '_' || c == ' ') c = '-';
        out[i] = c;
    }
    out[i] = 0;
}

enum { ENC_UTF8, ENC_UTF8_SIG, ENC_ICONV };

/* Classifies a Python codec name; for ENC_ICONV stores the iconv name. */
static int codec_kind(const char *encoding, char *iconv_name, size_t cap)
{
    char n[64];
    norm_codec(encoding ? encoding : "utf-8", n, sizeof n);
    static const char *const utf8[] = {"utf-8", "utf8", "u8", "utf", "cp65001", NULL};
    for (int i = 0; utf8[i]; i++)
        if (!strcmp(n, utf8[i])) return ENC_UTF8;
    if (!strcmp(n, "utf-8-sig") || !strcmp(n, "utf8-sig")) return ENC_UTF8_SIG;
    static const char *const latin1[] = {"latin-1",   "latin1", "l1",    "latin",      "iso-8859-1",
                                         "iso8859-1", "8859",   "cp819", "iso-ir-100", NULL};
    for (int i = 0; latin1[i]; i++)
        if (!strcmp(n, latin1[i])) {
            snprintf(iconv_name, cap, "ISO-8859-1");
            return ENC_ICONV;
        }
    if (!strcmp(n, "ascii") || !strcmp(n, "us-ascii") || !strcmp(n, "646")) {
        snprintf(iconv_name, cap, "ASCII");
        return ENC_ICONV;
    }
    size_t i = 0;
    for (; n[i] && i + 1 < cap; i++)
        iconv_name[i] = (char)((n[i] >= 'a' && n[i] <= 'z') ? n[i] - 32 : n[i]);
    iconv_name[i] = 0;
    return ENC_ICONV;
}

int af_csv_encoding_is_utf8(const char *encoding)
{
    char tmp[64];
    return codec_kind(encoding, tmp, sizeof tmp) == ENC_UTF8;
}

/* ---- writer ------------------------------------------------------------- */

struct af_csv_writer {
    af_csv_dialect d;
    char *lt; /* lineterminator copy */
    size_t ltlen;
    uint32_t *ltcp; /* its code points */
    size_t nltcp;
    unsigned char special[128]; /* ASCII characters that need attention */
    int wide_special;           /* a special character is beyond ASCII */
    char qs[4], es[4], ds[4];   /* quotechar, escapechar, delimiter as UTF-8 */
    int ql, el, dl;
    af_csv_write_fn fn;
    void *ud;
    int enc_kind;
    iconv_t cd;
    char enc_name[64]; /* as the user wrote it, for messages */
    int bom_done;
    char *rec; /* the record being built (UTF-8) */
    size_t rlen, rcap;
    char *out; /* encoded bytes waiting for the sink */
    size_t olen, ocap;
    uint64_t bytes;
};

static void wr_reserve(char **p, size_t *cap, size_t len, size_t more)
{
    if (len + more <= *cap) return;
    size_t n = *cap ? *cap : 256;
    while (n < len + more)
        n *= 2;
    *p = xrealloc(*p, n);
    *cap = n;
}

static int is_special(const af_csv_writer *w, uint32_t c)
{
    if (c < 128) return w->special[c];
    if (c == w->d.delimiter || c == w->d.quotechar || c == w->d.escapechar) return 1;
    for (size_t i = 0; i < w->nltcp; i++)
        if (w->ltcp[i] == c) return 1;
    return 0;
}

af_csv_writer *af_csv_writer_new(const af_csv_dialect *d, const char *encoding, af_csv_write_fn fn,
                                 void *ud, char *err, size_t errlen)
{
    if (af_csv_dialect_check(d, err, errlen) < 0) return NULL;
    af_csv_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->d = *d;
    w->fn = fn;
    w->ud = ud;
    w->cd = (iconv_t)-1;
    snprintf(w->enc_name, sizeof w->enc_name, "%s", encoding ? encoding : "utf-8");
    char iname[64];
    w->enc_kind = codec_kind(encoding, iname, sizeof iname);
    if (w->enc_kind == ENC_ICONV) {
        w->cd = iconv_open(iname, "UTF-8");
        if (w->cd == (iconv_t)-1) {
            xerr(err, errlen, "unknown encoding: %s", w->enc_name);
            free(w);
            return NULL;
        }
    }
    w->ltlen = strlen(d->lineterminator);
    w->lt = xrealloc(NULL, w->ltlen + 1);
    memcpy(w->lt, d->lineterminator, w->ltlen + 1);
    w->d.lineterminator = w->lt;
    w->ltcp = xrealloc(NULL, (w->ltlen + 1) * sizeof *w->ltcp);
    for (size_t i = 0; i < w->ltlen;) {
        unsigned c;
        int k = af__utf8_decode((const unsigned char *)w->lt + i, w->ltlen - i, &c);
        w->ltcp[w->nltcp++] = c;
        i += (size_t)k;
    }
    uint32_t sp[3] = {d->delimiter, d->quotechar, d->escapechar};
    for (int i = 0; i < 3; i++) {
        if (sp[i] == AF_CSV_NOT_SET) continue;
        if (sp[i] < 128)
            w->special[sp[i]] = 1;
        else
            w->wide_special = 1;
    }
    for (size_t i = 0; i < w->nltcp; i++) {
        if (w->ltcp[i] < 128)
            w->special[w->ltcp[i]] = 1;
        else
            w->wide_special = 1;
    }
    w->dl = utf8_put(w->ds, d->delimiter);
    if (d->quotechar != AF_CSV_NOT_SET) w->ql = utf8_put(w->qs, d->quotechar);
    if (d->escapechar != AF_CSV_NOT_SET) w->el = utf8_put(w->es, d->escapechar);
    return w;
}

void af_csv_writer_free(af_csv_writer *w)
{
    if (!w) return;
    if (w->cd != (iconv_t)-1) iconv_close(w->cd);
    free(w->lt);
    free(w->ltcp);
    free(w->rec);
    free(w->out);
    free(w);
}

uint64_t af_csv_writer_bytes(const af_csv_writer *w)
{
    return w->bytes;
}

static inline void rec_put(af_csv_writer *w, const void *p, size_t n)
{
    if (!n) return;
    wr_reserve(&w->rec, &w->rcap, w->rlen, n);
    memcpy(w->rec + w->rlen, p, n);
    w->rlen += n;
}

/* One field, as join_append_data: returns 0 or -1 with err. */
static int put_field(af_csv_writer *w, const char *s, size_t len, int quoted, char *err,
                     size_t errlen)
{
    const af_csv_dialect *d = &w->d;
    int plain = 1;
    if (!w->wide_special) {
        for (size_t i = 0; i < len; i++) {
            unsigned char b = (unsigned char)s[i];
            if (b < 128 && w->special[b]) {
                plain = 0;
                break;
            }
        }
    } else {
        plain = 0;
    }
    if (plain) {
        wr_reserve(&w->rec, &w->rcap, w->rlen, len + 2 * (size_t)w->ql);
        if (quoted) {
            memcpy(w->rec + w->rlen, w->qs, (size_t)w->ql);
            w->rlen += (size_t)w->ql;
        }
        memcpy(w->rec + w->rlen, s, len);
        w->rlen += len;
        if (quoted) {
            memcpy(w->rec + w->rlen, w->qs, (size_t)w->ql);
            w->rlen += (size_t)w->ql;
        }
        return 0;
    }
    /* scan pass: settle `quoted` and find the errors before writing anything */
    for (size_t i = 0; i < len;) {
        unsigned c;
        int k = af__utf8_decode((const unsigned char *)s + i, len - i, &c);
        i += (size_t)k;
        if (!is_special(w, c)) continue;
        int want_escape = 0;
        if (d->quoting == AF_CSV_QUOTE_NONE) {
            want_escape = 1;
        } else {
            if (c == d->quotechar) {
                if (!d->doublequote) want_escape = 1;
            } else if (c == d->escapechar) {
                want_escape = 1;
            }
            if (!want_escape) quoted = 1;
        }
        if (want_escape && d->escapechar == AF_CSV_NOT_SET)
            return xerr(err, errlen, "need to escape, but no escapechar set");
    }
    /* copy pass */
    if (quoted) rec_put(w, w->qs, (size_t)w->ql);
    for (size_t i = 0; i < len;) {
        unsigned c;
        int k = af__utf8_decode((const unsigned char *)s + i, len - i, &c);
        if (is_special(w, c)) {
            int want_escape = 0;
            if (d->quoting == AF_CSV_QUOTE_NONE) {
                want_escape = 1;
            } else if (c == d->quotechar) {
                if (d->doublequote)
                    rec_put(w, w->qs, (size_t)w->ql);
                else
                    want_escape = 1;
            } else if (c == d->escapechar) {
                want_escape = 1;
            }
            if (want_escape) rec_put(w, w->es, (size_t)w->el);
        }
        rec_put(w, s + i, (size_t)k);
        i += (size_t)k;
    }
    if (quoted) rec_put(w, w->qs, (size_t)w->ql);
    return 0;
}

/* Appends the finished record to the output buffer, encoding it. */
static int emit_record(af_csv_writer *w, char *err, size_t errlen)
{
    if (w->enc_kind == ENC_UTF8_SIG && !w->bom_done) {
        wr_reserve(&w->out, &w->ocap, w->olen, 3);
        memcpy(w->out + w->olen, "\xEF\xBB\xBF", 3);
        w->olen += 3;
    }
    w->bom_done = 1;
    if (w->enc_kind != ENC_ICONV) {
        if (!w->rlen) return 0;
        wr_reserve(&w->out, &w->ocap, w->olen, w->rlen);
        memcpy(w->out + w->olen, w->rec, w->rlen);
        w->olen += w->rlen;
        return 0;
    }
    size_t save = w->olen;
    char *in = w->rec;
    size_t inleft = w->rlen;
    while (inleft > 0) {
        wr_reserve(&w->out, &w->ocap, w->olen, inleft * 4 + 16);
        char *o = w->out + w->olen;
        size_t oleft = w->ocap - w->olen;
        size_t r = iconv(w->cd, &in, &inleft, &o, &oleft);
        w->olen = (size_t)(o - w->out);
        if (r == (size_t)-1 && errno != E2BIG) {
            unsigned c = 0;
            af__utf8_decode((const unsigned char *)in, inleft, &c);
            w->olen = save;
            iconv(w->cd, NULL, NULL, NULL, NULL);
            if (c >= 0x10000)
                return xerr(err, errlen, "'%s' codec can't encode character '\\U%08x'", w->enc_name,
                            c);
            return xerr(err, errlen, "'%s' codec can't encode character '\\u%04x'", w->enc_name, c);
        }
    }
    return 0;
}

int af_csv_writer_flush(af_csv_writer *w, char *err, size_t errlen)
{
    if (!w->olen) return 0;
    if (w->fn(w->ud, w->out, w->olen, err, errlen) < 0) return -1;
    w->bytes += w->olen;
    w->olen = 0;
    return 0;
}

int af_csv_write_row(af_csv_writer *w, const af_csv_field *fields, size_t n, char *err,
                     size_t errlen)
{
    const af_csv_dialect *d = &w->d;
    w->rlen = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) rec_put(w, w->ds, (size_t)w->dl);
        int quoted = d->quoting == AF_CSV_QUOTE_ALL ||
                     (d->quoting == AF_CSV_QUOTE_NONNUMERIC && !(fields[i].flags & AF_CSV_NUMERIC));
        const char *s = fields[i].s ? fields[i].s : "";
        size_t len = fields[i].s ? fields[i].len : 0;
        if (put_field(w, s, len, quoted, err, errlen) < 0) return -1;
    }
    if (n > 0 && w->rlen == 0) {
        if (d->quoting == AF_CSV_QUOTE_NONE)
            return xerr(err, errlen, "single empty field record must be quoted");
        rec_put(w, w->qs, (size_t)w->ql);
        rec_put(w, w->qs, (size_t)w->ql);
    }
    rec_put(w, w->lt, w->ltlen);
    if (emit_record(w, err, errlen) < 0) return -1;
    if (w->olen >= OUT_FLUSH_AT) return af_csv_writer_flush(w, err, errlen);
    return 0;
}

/* ---- reader ------------------------------------------------------------- */

enum rstate {
    START_RECORD,
    START_FIELD,
    ESCAPED_CHAR,
    IN_FIELD,
    IN_QUOTED_FIELD,
    ESCAPE_IN_QUOTED_FIELD,
    QUOTE_IN_QUOTED_FIELD,
    EAT_CRNL,
    AFTER_ESCAPED_CRNL,
};

struct af_csv_reader {
    af_csv_dialect d;
    size_t limit;
    af_csv_read_fn fn;
    void *ud;
    int fd;
    int enc_kind;
    iconv_t cd;
    char enc_name[64];
    char *raw; /* undecoded input (iconv) */
    size_t rawlen;
    char *in; /* UTF-8 input */
    size_t ilen, ipos;
    int eof; /* the source is exhausted */
    int bom_checked;
    int wide;                  /* a special character is beyond ASCII */
    unsigned char normal[256]; /* bytes that are plain data in IN_FIELD / IN_QUOTED_FIELD */
    enum rstate state;
    int cr_pending; /* saw "\r": the line ends unless "\n" follows */
    int mid_line;   /* characters seen since the last EOL */
    char *fbuf;     /* record text, each field NUL-terminated */
    size_t flen, fcap;
    size_t fstart;      /* where the current field begins in fbuf */
    size_t field_chars; /* characters in the current field */
    int numeric_field;
    size_t *offs; /* field start offsets */
    unsigned *flags;
    size_t nf, nfcap;
    af_csv_field *out;
    int64_t line_num;
};

static ssize_t fd_read(void *ud, void *buf, size_t n, char *err, size_t errlen)
{
    int fd = *(int *)ud;
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        return xerr(err, errlen, "read: %s", strerror(errno));
    }
}

af_csv_reader *af_csv_reader_new(const af_csv_dialect *d, const char *encoding, af_csv_read_fn fn,
                                 void *ud, char *err, size_t errlen)
{
    af_csv_dialect dd = *d;
    if (!dd.lineterminator) dd.lineterminator = "\r\n"; /* unused by the reader */
    if (af_csv_dialect_check(&dd, err, errlen) < 0) return NULL;
    af_csv_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->d = dd;
    r->limit = d->field_limit ? d->field_limit : AF_CSV_FIELD_LIMIT;
    r->fn = fn;
    r->ud = ud;
    r->cd = (iconv_t)-1;
    snprintf(r->enc_name, sizeof r->enc_name, "%s", encoding ? encoding : "utf-8");
    char iname[64];
    r->enc_kind = codec_kind(encoding, iname, sizeof iname);
    if (r->enc_kind == ENC_ICONV) {
        r->cd = iconv_open("UTF-8", iname);
        if (r->cd == (iconv_t)-1) {
            xerr(err, errlen, "unknown encoding: %s", r->enc_name);
            free(r);
            return NULL;
        }
        r->raw = xrealloc(NULL, IN_CHUNK);
    }
    r->in = xrealloc(NULL, IN_CHUNK * 4 + 16);
    uint32_t sp[3] = {dd.delimiter, dd.quotechar, dd.escapechar};
    for (int i = 0; i < 256; i++)
        r->normal[i] = 1;
    r->normal['\r'] = r->normal['\n'] = 0;
    for (int i = 0; i < 3; i++) {
        if (sp[i] == AF_CSV_NOT_SET) continue;
        if (sp[i] < 128)
            r->normal[sp[i]] = 0;
        else
            r->wide = 1;
    }
    if (r->wide)
        for (int i = 128; i < 256; i++)
            r->normal[i] = 0;
    r->state = START_RECORD;
    return r;
}

af_csv_reader *af_csv_reader_fd(const af_csv_dialect *d, const char *encoding, int fd, char *err,
                                size_t errlen)
{
    af_csv_reader *r = af_csv_reader_new(d, encoding, fd_read, NULL, err, errlen);
    if (r) {
        r->fd = fd;
        r->ud = &r->fd;
    }
    return r;
}

void af_csv_reader_free(af_csv_reader *r)
{
    if (!r) return;
    if (r->cd != (iconv_t)-1) iconv_close(r->cd);
    free(r->raw);
    free(r->in);
    free(r->fbuf);
    free(r->offs);
    free(r->flags);
    free(r->out);
    free(r);
}

int64_t af_csv_line_num(const af_csv_reader *r)
{
    return r->line_num;
}

/* Refills r->in from the source. Returns 1 with data, 0 at end, -1 error. */
static int fill(af_csv_reader *r, char *err, size_t errlen)
{
    if (r->eof) return 0;
    for (;;) {
        r->ipos = r->ilen = 0;
        if (r->cd == (iconv_t)-1) {
            ssize_t n = r->fn(r->ud, r->in, IN_CHUNK, err, errlen);
            if (n < 0) return -1;
            if (n == 0) {
                r->eof = 1;
                return 0;
            }
            r->ilen = (size_t)n;
            /* utf-8-sig: enough bytes to see a whole BOM */
            while (!r->bom_checked && r->enc_kind == ENC_UTF8_SIG && r->ilen < 3) {
                n = r->fn(r->ud, r->in + r->ilen, IN_CHUNK, err, errlen);
                if (n < 0) return -1;
                if (n == 0) break;
                r->ilen += (size_t)n;
            }
        } else {
            ssize_t n = r->fn(r->ud, r->raw + r->rawlen, IN_CHUNK - r->rawlen, err, errlen);
            if (n < 0) return -1;
            if (n == 0) {
                if (r->rawlen)
                    return xerr(err, errlen, "'%s' codec can't decode bytes at end of data",
                                r->enc_name);
                r->eof = 1;
                return 0;
            }
            r->rawlen += (size_t)n;
            char *src = r->raw;
            size_t sleft = r->rawlen;
            char *dst = r->in;
            size_t dleft = IN_CHUNK * 4 + 16;
            size_t k = iconv(r->cd, &src, &sleft, &dst, &dleft);
            if (k == (size_t)-1 && errno == EILSEQ)
                return xerr(err, errlen, "'%s' codec can't decode byte 0x%02x", r->enc_name,
                            (unsigned char)*src);
            memmove(r->raw, src, sleft); /* an incomplete sequence waits for more bytes */
            r->rawlen = sleft;
            r->ilen = (size_t)(dst - r->in);
        }
        if (!r->bom_checked && r->enc_kind == ENC_UTF8_SIG && r->ilen >= 3 &&
            !memcmp(r->in, "\xEF\xBB\xBF", 3))
            r->ipos = 3;
        r->bom_checked = 1;
        if (r->ipos < r->ilen) return 1;
    }
}

static void fb_reserve(af_csv_reader *r, size_t more)
{
    wr_reserve(&r->fbuf, &r->fcap, r->flen, more);
}

static int add_bytes(af_csv_reader *r, const char *p, size_t n, size_t chars, char *err,
                     size_t errlen)
{
    if (r->field_chars + chars > r->limit)
        return xerr(err, errlen, "line %lld: field larger than field limit (%zu)",
                    (long long)r->line_num, r->limit);
    fb_reserve(r, n + 1);
    memcpy(r->fbuf + r->flen, p, n);
    r->flen += n;
    r->field_chars += chars;
    return 0;
}

static int add_char(af_csv_reader *r, uint32_t c, char *err, size_t errlen)
{
    char tmp[4];
    int k;
    if (c >= 0xDC80 && c <= 0xDCFF) { /* an undecodable byte: kept as it was */
        tmp[0] = (char)(c - 0xDC00);
        k = 1;
    } else {
        k = utf8_put(tmp, c);
    }
    return add_bytes(r, tmp, (size_t)k, 1, err, errlen);
}

static int save_field(af_csv_reader *r, char *err, size_t errlen)
{
    fb_reserve(r, 1);
    r->fbuf[r->flen++] = 0;
    if (r->nf == r->nfcap) {
        r->nfcap = r->nfcap ? r->nfcap * 2 : 16;
        r->offs = xrealloc(r->offs, r->nfcap * sizeof *r->offs);
        r->flags = xrealloc(r->flags, r->nfcap * sizeof *r->flags);
    }
    r->offs[r->nf] = r->fstart;
    r->flags[r->nf] = 0;
    if (r->numeric_field) {
        double dv;
        r->numeric_field = 0;
        r->flags[r->nf] = AF_CSV_NUMERIC;
        char e2[200];
        if (af_csv_float(r->fbuf + r->fstart, r->flen - 1 - r->fstart, &dv, e2, sizeof e2) < 0)
            return xerr(err, errlen, "line %lld: %s", (long long)r->line_num, e2);
    }
    r->nf++;
    r->fstart = r->flen;
    r->field_chars = 0;
    return 0;
}

/* parse_process_char of CPython's _csv.c, for one code point or EOL_CP. */
static int process(af_csv_reader *r, uint32_t c, char *err, size_t errlen)
{
    const af_csv_dialect *d = &r->d;
    switch (r->state) {
    case START_RECORD:
        if (c == EOL_CP) break;
        if (c == '\n' || c == '\r') {
            r->state = EAT_CRNL;
            break;
        }
        r->state = START_FIELD;
        /* fallthrough */
    case START_FIELD:
        if (c == '\n' || c == '\r' || c == EOL_CP) {
            if (save_field(r, err, errlen) < 0) return -1;
            r->state = c == EOL_CP ? START_RECORD : EAT_CRNL;
        } else if (c == d->quotechar && d->quoting != AF_CSV_QUOTE_NONE) {
            r->state = IN_QUOTED_FIELD;
        } else if (c == d->escapechar) {
            r->state = ESCAPED_CHAR;
        } else if (c == ' ' && d->skipinitialspace) {
            ;
        } else if (c == d->delimiter) {
            if (save_field(r, err, errlen) < 0) return -1;
        } else {
            if (d->quoting == AF_CSV_QUOTE_NONNUMERIC) r->numeric_field = 1;
            if (add_char(r, c, err, errlen) < 0) return -1;
            r->state = IN_FIELD;
        }
        break;
    case ESCAPED_CHAR:
        if (c == '\n' || c == '\r') {
            if (add_char(r, c, err, errlen) < 0) return -1;
            r->state = AFTER_ESCAPED_CRNL;
            break;
        }
        if (c == EOL_CP) c = '\n';
        if (add_char(r, c, err, errlen) < 0) return -1;
        r->state = IN_FIELD;
        break;
    case AFTER_ESCAPED_CRNL:
        if (c == EOL_CP) break;
        /* fallthrough */
    case IN_FIELD:
        if (c == '\n' || c == '\r' || c == EOL_CP) {
            if (save_field(r, err, errlen) < 0) return -1;
            r->state = c == EOL_CP ? START_RECORD : EAT_CRNL;
        } else if (c == d->escapechar) {
            r->state = ESCAPED_CHAR;
        } else if (c == d->delimiter) {
            if (save_field(r, err, errlen) < 0) return -1;
            r->state = START_FIELD;
        } else {
            if (add_char(r, c, err, errlen) < 0) return -1;
            r->state = IN_FIELD;
        }
        break;
    case IN_QUOTED_FIELD:
        if (c == EOL_CP) {
            ;
        } else if (c == d->escapechar) {
            r->state = ESCAPE_IN_QUOTED_FIELD;
        } else if (c == d->quotechar && d->quoting != AF_CSV_QUOTE_NONE) {
            r->state = d->doublequote ? QUOTE_IN_QUOTED_FIELD : IN_FIELD;
        } else {
            if (add_char(r, c, err, errlen) < 0) return -1;
        }
        break;
    case ESCAPE_IN_QUOTED_FIELD:
        if (c == EOL_CP) c = '\n';
        if (add_char(r, c, err, errlen) < 0) return -1;
        r->state = IN_QUOTED_FIELD;
        break;
    case QUOTE_IN_QUOTED_FIELD:
        if (d->quoting != AF_CSV_QUOTE_NONE && c == d->quotechar) {
            if (add_char(r, c, err, errlen) < 0) return -1;
            r->state = IN_QUOTED_FIELD;
        } else if (c == d->delimiter) {
            if (save_field(r, err, errlen) < 0) return -1;
            r->state = START_FIELD;
        } else if (c == '\n' || c == '\r' || c == EOL_CP) {
            if (save_field(r, err, errlen) < 0) return -1;
            r->state = c == EOL_CP ? START_RECORD : EAT_CRNL;
        } else if (!d->strict) {
            if (add_char(r, c, err, errlen) < 0) return -1;
            r->state = IN_FIELD;
        } else {
            char a[5] = {0}, b[5] = {0};
            utf8_put(a, d->delimiter);
            utf8_put(b, d->quotechar);
            return xerr(err, errlen, "line %lld: '%s' expected after '%s'", (long long)r->line_num,
                        a, b);
        }
        break;
    case EAT_CRNL:
        if (c == '\n' || c == '\r') {
            ;
        } else if (c == EOL_CP) {
            r->state = START_RECORD;
        } else {
            return xerr(err, errlen,
                        "line %lld: new-line character seen in unquoted field - do you need to "
                        "open the file in universal-newline mode?",
                        (long long)r->line_num);
        }
        break;
    }
    return 0;
}

static void reset_record(af_csv_reader *r)
{
    r->flen = 0;
    r->fstart = 0;
    r->nf = 0;
    r->field_chars = 0;
    r->numeric_field = 0;
    r->state = START_RECORD;
}

static int finish(af_csv_reader *r, const af_csv_field **fields, size_t *n)
{
    if (r->nf > 0) {
        r->out = xrealloc(r->out, r->nf * sizeof *r->out);
        for (size_t i = 0; i < r->nf; i++) {
            r->out[i].s = r->fbuf + r->offs[i];
            size_t end = i + 1 < r->nf ? r->offs[i + 1] : r->flen;
            r->out[i].len = end - r->offs[i] - 1;
            r->out[i].flags = r->flags[i];
        }
    }
    *fields = r->out;
    *n = r->nf;
    return 1;
}

/* Feeds the EOL pseudo character: the end of one physical line. */
static int end_line(af_csv_reader *r, char *err, size_t errlen)
{
    r->mid_line = 0;
    return process(r, EOL_CP, err, errlen);
}

int af_csv_read(af_csv_reader *r, const af_csv_field **fields, size_t *n, char *err, size_t errlen)
{
    reset_record(r);
    for (;;) {
        if (r->ipos >= r->ilen) {
            int f = fill(r, err, errlen);
            if (f < 0) return -1;
            if (f == 0) {
                /* end of input: the last line may lack its terminator */
                if (r->cr_pending || r->mid_line) {
                    r->cr_pending = 0;
                    if (end_line(r, err, errlen) < 0) return -1;
                    if (r->state == START_RECORD) return finish(r, fields, n);
                }
                if (r->flen - r->fstart != 0 || r->state == IN_QUOTED_FIELD) {
                    if (r->d.strict)
                        return xerr(err, errlen, "line %lld: unexpected end of data",
                                    (long long)r->line_num);
                    if (save_field(r, err, errlen) < 0) return -1;
                    r->state = START_RECORD;
                    return finish(r, fields, n);
                }
                return 0;
            }
        }
        const unsigned char *p = (const unsigned char *)r->in;
        if (r->cr_pending) {
            r->cr_pending = 0;
            if (p[r->ipos] == '\n') {
                r->ipos++;
                if (process(r, '\n', err, errlen) < 0) return -1;
            }
            if (end_line(r, err, errlen) < 0) return -1;
            if (r->state == START_RECORD) return finish(r, fields, n);
            continue;
        }
        if (!r->mid_line) {
            r->mid_line = 1;
            r->line_num++;
        }
        /* bulk copy of plain data inside a field */
        if ((r->state == IN_FIELD || r->state == IN_QUOTED_FIELD) && r->normal[p[r->ipos]]) {
            size_t i = r->ipos, chars = 0;
            while (i < r->ilen && r->normal[p[i]]) {
                chars += (p[i] & 0xC0) != 0x80;
                i++;
            }
            if (add_bytes(r, r->in + r->ipos, i - r->ipos, chars, err, errlen) < 0) return -1;
            r->ipos = i;
            continue;
        }
        unsigned c = p[r->ipos];
        size_t k = 1;
        if (c >= 0x80) {
            size_t avail = r->ilen - r->ipos;
            /* a sequence cut by the buffer end: pull the rest first */
            int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if ((size_t)need > avail && !r->eof && r->cd == (iconv_t)-1) {
                /* iconv output holds whole sequences, so only raw input gets here */
                memmove(r->in, r->in + r->ipos, avail);
                r->ilen = avail;
                r->ipos = 0;
                while (r->ilen < (size_t)need && !r->eof) {
                    ssize_t m = r->fn(r->ud, r->in + r->ilen, IN_CHUNK, err, errlen);
                    if (m < 0) return -1;
                    if (m == 0) r->eof = 1;
                    r->ilen += (size_t)(m > 0 ? m : 0);
                }
                p = (const unsigned char *)r->in;
                avail = r->ilen;
            }
            k = (size_t)af__utf8_decode(p + r->ipos, avail, &c);
        }
        r->ipos += k;
        if (c == '\n') {
            if (process(r, c, err, errlen) < 0) return -1;
            if (end_line(r, err, errlen) < 0) return -1;
            if (r->state == START_RECORD) return finish(r, fields, n);
            continue;
        }
        if (c == '\r') {
            if (process(r, c, err, errlen) < 0) return -1;
            r->cr_pending = 1;
            continue;
        }
        if (process(r, c, err, errlen) < 0) return -1;
    }
}

/* ---- numbers ------------------------------------------------------------ */

int af_csv_float(const char *s, size_t len, double *out, char *err, size_t errlen)
{
    size_t a = 0, b = len;
    while (a < b && (s[a] == ' ' || (s[a] >= '\t' && s[a] <= '\r')))
        a++;
    while (b > a && (s[b - 1] == ' ' || (s[b - 1] >= '\t' && s[b - 1] <= '\r')))
        b--;
    char buf[128];
    size_t n = 0;
    int ok = b > a && b - a < sizeof buf;
    if (ok) {
        size_t i = a;
        if (s[i] == '+' || s[i] == '-') buf[n++] = s[i++];
        const char *words[] = {"infinity", "inf", "nan"};
        int word = 0;
        for (int w = 0; w < 3 && !word; w++) {
            size_t wl = strlen(words[w]);
            if (b - i == wl && !strncasecmp(s + i, words[w], wl)) {
                memcpy(buf + n, s + i, wl);
                n += wl;
                word = 1;
            }
        }
        if (!word) {
            int digits = 0, prev_digit = 0, seen_dot = 0, seen_e = 0, exp_digits = 0;
            for (; i < b && ok; i++) {
                char c = s[i];
                if (c >= '0' && c <= '9') {
                    buf[n++] = c;
                    prev_digit = 1;
                    if (seen_e)
                        exp_digits++;
                    else
                        digits++;
                } else if (c == '_') {
                    ok = prev_digit && i + 1 < b && s[i + 1] >= '0' && s[i + 1] <= '9';
                    prev_digit = 0;
                } else if (c == '.' && !seen_dot && !seen_e) {
                    buf[n++] = c;
                    seen_dot = 1;
                    prev_digit = 0;
                } else if ((c == 'e' || c == 'E') && !seen_e && digits) {
                    buf[n++] = c;
                    seen_e = 1;
                    prev_digit = 0;
                    if (i + 1 < b && (s[i + 1] == '+' || s[i + 1] == '-')) buf[n++] = s[++i];
                } else {
                    ok = 0;
                }
            }
            if (!digits || (seen_e && !exp_digits)) ok = 0;
        }
    }
    if (ok) {
        buf[n] = 0;
        char *end;
        *out = strtod(buf, &end);
        if (*end == 0) return 0;
    }
    /* Python shows the text as repr(str) */
    af_buf m = {0};
    af_value v = {.type = AF_STR};
    v.u.s.ptr = s;
    v.u.s.len = len;
    af_py_repr(&m, &v);
    xerr(err, errlen, "could not convert string to float: %s", af_buf_cstr(&m));
    af_buf_free(&m);
    return -1;
}
