/*
 * mime.c - writes mail messages as MIME (RFC 5322, 2045-2047, 2231) for the
 * `mail` kind's drivers: af_mail_write in af_mail.h, encoders in mime.h.
 *
 * A message is written in one pass to a FILE: header block, then the body
 * tree (text, html, or an alternative of both; inside a mixed part when
 * there are attachments). Attachments are streamed from their files in
 * fixed chunks, so memory stays flat whatever their size. Everything that
 * can be wrong with a message (an address, a missing attachment, a line
 * break in the subject) is found before the first byte is written.
 */
#include "af_mail.h"
#include "mime.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Formats into err when there is one; returns -1 for `return seterr(...)`. */
static int seterr(char *err, size_t errlen, const char *fmt, ...) AF_PRINTF(3, 4);
static int seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

#define LINE_MAX_SOFT 78 /* RFC 5322 2.1.1: lines SHOULD be at most 78 chars */
#define WORD_MAX 75      /* RFC 2047 2: an encoded word is at most 75 chars */

/* ---- base64 and quoted-printable ---------------------------------------- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t af__b64_encode(char *out, const unsigned char *in, size_t n)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = B64[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    return o;
}

void af__qp_encode(af_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;
    while (i < len) {
        /* one input line: up to LF, CR LF or a lone CR */
        size_t end = i;
        while (end < len && s[end] != '\n' && s[end] != '\r')
            end++;
        size_t col = 0;
        for (size_t k = i; k < end; k++) {
            unsigned char c = (unsigned char)s[k];
            char enc[3];
            size_t t;
            int last = k + 1 == end;
            if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
                enc[0] = (char)c;
                t = 1;
            } else {
                enc[0] = '=';
                enc[1] = hex[c >> 4];
                enc[2] = hex[c & 15];
                t = 3;
            }
            /* 75 + the soft break's '=' keeps every line within 76 */
            if (col + t > 75) {
                af_buf_put(b, "=\r\n", 3);
                col = 0;
            }
            af_buf_put(b, enc, t);
            col += t;
        }
        af_buf_put(b, "\r\n", 2);
        if (end < len && s[end] == '\r' && end + 1 < len && s[end + 1] == '\n') end++;
        i = end + 1;
        if (end >= len) break;
    }
}

int af__is_7bit(const char *s, size_t len)
{
    size_t line = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0 || c > 127) return 0;
        if (c == '\n' || c == '\r') {
            line = 0;
        } else if (++line > 998) {
            return 0;
        }
    }
    return 1;
}

/* Body text with every line end as CRLF and a final CRLF. */
static void put_crlf_text(af_buf *b, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && s[end] != '\n' && s[end] != '\r')
            end++;
        af_buf_put(b, s + i, end - i);
        af_buf_put(b, "\r\n", 2);
        if (end < len && s[end] == '\r' && end + 1 < len && s[end + 1] == '\n') end++;
        i = end + 1;
    }
}

/* ---- header folding ----------------------------------------------------- */

void af__hdr_begin(af__hdr *h, af_buf *b, const char *name)
{
    h->b = b;
    af_buf_puts(b, name);
    af_buf_put(b, ": ", 2);
    h->col = strlen(name) + 2;
    h->fresh = 1;
}

void af__hdr_token(af__hdr *h, const char *tok, size_t n, int space)
{
    if (!h->fresh && h->col + (space ? 1 : 0) + n > LINE_MAX_SOFT) {
        /* the fold replaces the space (or adds one, which unfolding keeps) */
        af_buf_put(h->b, "\r\n ", 3);
        h->col = 1;
        h->fresh = 1;
    } else if (space) {
        af_buf_putc(h->b, ' ');
        h->col++;
    }
    af_buf_put(h->b, tok, n);
    h->col += n;
    if (n) h->fresh = 0;
}

void af__hdr_words(af__hdr *h, const char *s, size_t n, int space)
{
    size_t i = 0;
    do {
        size_t avail = h->col + (space ? 1 : 0) < 76 ? 76 - h->col - (space ? 1 : 0) : 0;
        if (avail > WORD_MAX) avail = WORD_MAX;
        if (avail < 20 && !h->fresh) {
            af_buf_put(h->b, "\r\n ", 3);
            h->col = 1;
            h->fresh = 1;
            space = 0;
            avail = WORD_MAX;
        }
        if (avail < 20) avail = 20;
        /* "=?UTF-8?B?" + "?=" is 12 chars; 4 base64 chars carry 3 bytes */
        size_t take = (avail - 12) / 4 * 3;
        if (take > n - i) take = n - i;
        /* never cut inside a UTF-8 sequence: back off over continuation bytes */
        size_t cut = i + take;
        if (cut < n) {
            size_t back = 0;
            while (cut > i + 1 && back < 3 && ((unsigned char)s[cut] & 0xC0) == 0x80) {
                cut--;
                back++;
            }
        }
        char word[WORD_MAX + 1];
        memcpy(word, "=?UTF-8?B?", 10);
        size_t wl = 10 + af__b64_encode(word + 10, (const unsigned char *)s + i, cut - i);
        memcpy(word + wl, "?=", 2);
        wl += 2;
        af__hdr_token(h, word, wl, space);
        space = 1; /* whitespace between adjacent encoded words is dropped by decoders */
        i = cut;
    } while (i < n);
}

/* Printable ASCII that needs no encoding: no "=?" (it would read as an
 * encoded word) and no word too long to fold. */
static int plain_text(const char *s, size_t n)
{
    size_t word = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 32 || c > 126) return 0;
        if (c == '=' && i + 1 < n && s[i + 1] == '?') return 0;
        word = c == ' ' ? 0 : word + 1;
        if (word > 900) return 0;
    }
    return 1;
}

void af__hdr_text(af__hdr *h, const char *s, size_t n, int space)
{
    if (!plain_text(s, n)) {
        af__hdr_words(h, s, n, space);
        return;
    }
    /* split at single spaces: each piece is a token with its fold point before it */
    size_t i = 0;
    int first = 1;
    for (;;) {
        size_t j = i;
        while (j < n && s[j] != ' ')
            j++;
        af__hdr_token(h, s + i, j - i, first ? space : 1);
        first = 0;
        if (j >= n) break;
        i = j + 1;
    }
}

void af__hdr_end(af__hdr *h)
{
    af_buf_put(h->b, "\r\n", 2);
}

/* ---- addresses ---------------------------------------------------------- */

static int bad_addr_char(unsigned char c)
{
    return c <= 32 || c >= 127 || c == '<' || c == '>' || c == ',' || c == '"' || c == '(' ||
           c == ')' || c == ';' || c == '\\';
}

static const char *trim(af_arena *a, const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return af_strndup(a, s, n);
}

/* Parses one entry (no top-level comma in it). */
static int parse_one(af_arena *a, const char *s, size_t n, af__mail_addr *out, char *err,
                     size_t errlen)
{
    const char *e = trim(a, s, n);
    size_t len = strlen(e);
    const char *lt = NULL;
    int inq = 0;
    for (size_t i = 0; i < len; i++) {
        if (e[i] == '\\' && inq && i + 1 < len) {
            i++;
        } else if (e[i] == '"') {
            inq = !inq;
        } else if (e[i] == '<' && !inq) {
            lt = e + i;
            break;
        }
    }
    const char *addr;
    out->name = NULL;
    if (lt) {
        const char *gt = strchr(lt, '>');
        if (!gt || gt[1 + strspn(gt + 1, " \t")] != '\0')
            return seterr(err, errlen, "bad address '%s': expected 'Name <address>'", e);
        addr = af_strndup(a, lt + 1, (size_t)(gt - lt - 1));
        const char *name = trim(a, e, (size_t)(lt - e));
        size_t nl = strlen(name);
        if (nl >= 2 && name[0] == '"' && name[nl - 1] == '"') {
            /* unquote: \x stands for x */
            char *u = af_alloc(a, nl);
            size_t k = 0;
            for (size_t i = 1; i + 1 < nl; i++) {
                if (name[i] == '\\' && i + 2 < nl) i++;
                u[k++] = name[i];
            }
            u[k] = '\0';
            name = u;
        }
        if (*name) out->name = name;
    } else {
        addr = e;
    }
    if (!*addr) return seterr(err, errlen, "bad address '%s': empty address", e);
    for (const char *p = addr; *p; p++) {
        if (bad_addr_char((unsigned char)*p))
            return seterr(err, errlen,
                          "bad address '%s': spaces, quotes, brackets and non-ASCII "
                          "characters are not allowed in the address itself",
                          e);
    }
    if (out->name && strpbrk(out->name, "\r\n"))
        return seterr(err, errlen, "bad address: line break in the display name");
    out->addr = addr;
    return 0;
}

int af__mail_parse_addrs(af_arena *a, const char *s, af__mail_addr **v, size_t *n, size_t *cap,
                         char *err, size_t errlen)
{
    if (strpbrk(s, "\r\n"))
        return seterr(err, errlen, "bad address list: line breaks are not allowed");
    size_t len = strlen(s), start = 0;
    int inq = 0, inangle = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? s[i] : ',';
        if (c == '\\' && inq && i + 1 < len) {
            i++;
            continue;
        }
        if (c == '"' && !inangle)
            inq = !inq;
        else if (c == '<' && !inq)
            inangle = 1;
        else if (c == '>' && !inq)
            inangle = 0;
        else if (c == ',' && ((!inq && !inangle) || i == len)) {
            size_t k = start;
            while (k < i && isspace((unsigned char)s[k]))
                k++;
            if (k < i) {
                if (*n == *cap) {
                    size_t nc = *cap ? *cap * 2 : 8;
                    af__mail_addr *nv = af_alloc(a, nc * sizeof *nv);
                    if (*n) memcpy(nv, *v, *n * sizeof *nv);
                    *v = nv;
                    *cap = nc;
                }
                if (parse_one(a, s + start, i - start, &(*v)[*n], err, errlen) < 0) return -1;
                (*n)++;
            }
            start = i + 1;
        }
    }
    return 0;
}

const char *af_mail_bare_addr(af_arena *a, const char *s)
{
    af__mail_addr *v = NULL;
    size_t n = 0, cap = 0;
    if (!s || af__mail_parse_addrs(a, s, &v, &n, &cap, NULL, 0) < 0 || n == 0) return NULL;
    return v[0].addr;
}

/* An ASCII display name that can go as an atom phrase without quotes. */
static int atom_phrase(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 32 || c > 126 || strchr("()<>[]:;@\\,.\"", c)) return 0;
    }
    return 1;
}

static int ascii_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 32 || (unsigned char)*s > 126) return 0;
    return 1;
}

static void put_addr_header(af_buf *b, const char *name, const af__mail_addr *v, size_t n)
{
    af__hdr h;
    af__hdr_begin(&h, b, name);
    for (size_t i = 0; i < n; i++) {
        int space = i > 0;
        if (v[i].name) {
            const char *dn = v[i].name;
            if (atom_phrase(dn) && plain_text(dn, strlen(dn))) {
                af__hdr_text(&h, dn, strlen(dn), space);
            } else if (ascii_printable(dn) && strlen(dn) < 900) {
                af_buf q = {0};
                af_buf_putc(&q, '"');
                for (const char *p = dn; *p; p++) {
                    if (*p == '"' || *p == '\\') af_buf_putc(&q, '\\');
                    af_buf_putc(&q, *p);
                }
                af_buf_putc(&q, '"');
                af__hdr_token(&h, q.data, q.len, space);
                af_buf_free(&q);
            } else {
                af__hdr_words(&h, dn, strlen(dn), space);
            }
            af_buf t = {0};
            af_buf_printf(&t, "<%s>%s", v[i].addr, i + 1 < n ? "," : "");
            af__hdr_token(&h, t.data, t.len, 1);
            af_buf_free(&t);
        } else {
            af_buf t = {0};
            af_buf_printf(&t, "%s%s", v[i].addr, i + 1 < n ? "," : "");
            af__hdr_token(&h, t.data, t.len, space);
            af_buf_free(&t);
        }
    }
    af__hdr_end(&h);
}

/* ---- content types ------------------------------------------------------ */

static const struct {
    const char *ext, *type;
} TYPES[] = {
    {"txt", "text/plain"},
    {"log", "text/plain"},
    {"csv", "text/csv"},
    {"tsv", "text/tab-separated-values"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"xml", "application/xml"},
    {"json", "application/json"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"md", "text/markdown"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tgz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"bz2", "application/x-bzip2"},
    {"xz", "application/x-xz"},
    {"7z", "application/x-7z-compressed"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"svg", "image/svg+xml"},
    {"webp", "image/webp"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"parquet", "application/vnd.apache.parquet"},
    {"eml", "message/rfc822"},
    {"ics", "text/calendar"},
};

const char *af__mime_type(const char *filename)
{
    const char *slash = strrchr(filename, '/');
    const char *base = slash ? slash + 1 : filename;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) return "application/octet-stream";
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (strcasecmp(dot + 1, TYPES[i].ext) == 0) return TYPES[i].type;
    return "application/octet-stream";
}

/* ---- the message -------------------------------------------------------- */

static void random_hex(char *out, size_t nbytes)
{
    unsigned char r[32];
    if (nbytes > sizeof r) nbytes = sizeof r;
    size_t got = 0;
    while (got < nbytes) {
        ssize_t k = getrandom(r + got, nbytes - got, 0);
        if (k <= 0) {
            /* no entropy source: time and pid still make ids unique enough */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
            for (; got < nbytes; got++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
                r[got] = (unsigned char)(x >> 56);
            break;
        }
        got += (size_t)k;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[2 * nbytes] = '\0';
}

static void put_date(af_buf *b, int64_t when)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = when ? (time_t)when : time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    af_buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld\r\n", days[tm.tm_wday],
                  tm.tm_mday, mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  sign, off / 60, off % 60);
}

static const char *message_id(af_arena *a, const char *from_addr)
{
    const char *at = strrchr(from_addr, '@');
    const char *domain = at && at[1] ? at + 1 : NULL;
    char host[256];
    if (!domain) {
        if (gethostname(host, sizeof host) == 0 && host[0]) {
            host[sizeof host - 1] = '\0';
            domain = host;
        } else {
            domain = "localhost";
        }
    }
    char rnd[33];
    random_hex(rnd, 16);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    return af_sprintf(a, "<%04d%02d%02d%02d%02d%02d.%s@%s>", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rnd, domain);
}

/* A text part's headers, blank line and body. */
static void put_text_part(af_buf *b, const char *subtype, const char *s)
{
    size_t n = strlen(s);
    int seven = af__is_7bit(s, n);
    af_buf_printf(b, "Content-Type: text/%s; charset=\"utf-8\"\r\n", subtype);
    af_buf_printf(b, "Content-Transfer-Encoding: %s\r\n\r\n", seven ? "7bit" : "quoted-printable");
    if (seven)
        put_crlf_text(b, s, n);
    else
        af__qp_encode(b, s, n);
}

/* The body tree. A delimiter is CRLF "--boundary": the CRLF belongs to the
 * delimiter, so it is written before each one and a body keeps its own
 * final line end. Ends without a line end after a closing delimiter. */
static void put_body(af_buf *b, const af_mail_msg *m, const char *boundary)
{
    if (m->text && m->html) {
        af_buf_printf(b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
        af_buf_printf(b, "--%s\r\n", boundary);
        put_text_part(b, "plain", m->text);
        af_buf_printf(b, "\r\n--%s\r\n", boundary);
        put_text_part(b, "html", m->html);
        af_buf_printf(b, "\r\n--%s--", boundary);
    } else if (m->html) {
        put_text_part(b, "html", m->html);
    } else {
        put_text_part(b, "plain", m->text ? m->text : "");
    }
}

/* prefix"=?..?= =?..?=" with room for the first word on prefix's line, so
 * a fold never lands between the opening quote and the first word. */
static void quoted_words(af__hdr *h, const char *prefix, const char *s, size_t n)
{
    size_t pl = strlen(prefix);
    int space = 1;
    if (!h->fresh && h->col + 1 + pl + 20 > 76) {
        af_buf_put(h->b, "\r\n ", 3);
        h->col = 1;
        h->fresh = 1;
        space = 0;
    }
    af__hdr_token(h, prefix, pl, space);
    af__hdr_words(h, s, n, 0);
    af_buf_putc(h->b, '"');
    h->col++;
}

/* Content-Type name= and Content-Disposition filename: RFC 2231 filename*
 * (first, for parsers that know it) and RFC 2047 words in the quoted forms
 * that older clients read. */
static void put_attachment_headers(af_buf *b, const char *type, const char *name)
{
    size_t nl = strlen(name);
    int plain = ascii_printable(name) && !strpbrk(name, "\"\\") && plain_text(name, nl);
    af__hdr h;
    af__hdr_begin(&h, b, "Content-Type");
    af_buf q = {0};
    af_buf_printf(&q, "%s;", type);
    af__hdr_token(&h, q.data, q.len, 0);
    af_buf_reset(&q);
    if (plain) {
        af_buf_printf(&q, "name=\"%s\"", name);
        af__hdr_token(&h, q.data, q.len, 1);
    } else {
        quoted_words(&h, "name=\"", name, nl);
    }
    af__hdr_end(&h);

    af__hdr_begin(&h, b, "Content-Disposition");
    af__hdr_token(&h, "attachment;", 11, 0);
    if (plain) {
        af_buf_reset(&q);
        af_buf_printf(&q, "filename=\"%s\"", name);
        af__hdr_token(&h, q.data, q.len, 1);
    } else {
        /* RFC 2231 continuations, each short enough for its own line */
        static const char hex[] = "0123456789ABCDEF";
        size_t i = 0;
        int seg = 0;
        while (i < nl) {
            af_buf_reset(&q);
            af_buf_printf(&q, "filename*%d*=%s", seg, seg == 0 ? "UTF-8''" : "");
            size_t limit = 76 - q.len; /* a space before, the ';' after */
            size_t used = 0;
            while (i < nl) {
                unsigned char c = (unsigned char)name[i];
                /* keep a UTF-8 sequence inside one segment */
                size_t seq = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
                if (i + seq > nl) seq = nl - i;
                size_t enc = 0;
                for (size_t k = 0; k < seq; k++) {
                    unsigned char d = (unsigned char)name[i + k];
                    enc += isalnum(d) || strchr("!#$&+-.^_`|~", d) ? 1 : 3;
                }
                if (used && used + enc > limit) break;
                for (size_t k = 0; k < seq; k++, i++) {
                    unsigned char d = (unsigned char)name[i];
                    if (isalnum(d) || strchr("!#$&+-.^_`|~", d)) {
                        af_buf_putc(&q, d);
                    } else {
                        af_buf_putc(&q, '%');
                        af_buf_putc(&q, hex[d >> 4]);
                        af_buf_putc(&q, hex[d & 15]);
                    }
                }
                used += enc;
            }
            af_buf_putc(&q, ';');
            af__hdr_token(&h, q.data, q.len, 1);
            seg++;
        }
        quoted_words(&h, "filename=\"", name, nl);
    }
    af__hdr_end(&h);
    af_buf_free(&q);
    af_buf_puts(b, "Content-Transfer-Encoding: base64\r\n\r\n");
}

static int flush_buf(FILE *out, af_buf *b, char *err, size_t errlen)
{
    if (b->len && fwrite(b->data, 1, b->len, out) != b->len)
        return seterr(err, errlen, "cannot write the message: %s", strerror(errno));
    af_buf_reset(b);
    return 0;
}

/* Streams one file as base64 lines of 76 chars. */
static int put_file_b64(FILE *out, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return seterr(err, errlen, "cannot open attachment '%s': %s", path, strerror(errno));
    enum { LINES = 64, RAW = 57 * LINES };
    unsigned char in[RAW];
    char enc[LINES * 78];
    size_t got;
    int rc = 0;
    while ((got = fread(in, 1, RAW, f)) > 0) {
        size_t o = 0;
        for (size_t i = 0; i < got; i += 57) {
            o += af__b64_encode(enc + o, in + i, got - i < 57 ? got - i : 57);
            enc[o++] = '\r';
            enc[o++] = '\n';
        }
        if (fwrite(enc, 1, o, out) != o) {
            rc = seterr(err, errlen, "cannot write the message: %s", strerror(errno));
            break;
        }
    }
    if (rc == 0 && ferror(f))
        rc = seterr(err, errlen, "cannot read attachment '%s': %s", path, strerror(errno));
    fclose(f);
    return rc;
}

static int parse_list(af_arena *a, const char *what, const char *const *in, size_t n,
                      af__mail_addr **v, size_t *nv, char *err, size_t errlen)
{
    size_t cap = 0;
    *v = NULL;
    *nv = 0;
    for (size_t i = 0; i < n; i++) {
        char e[400];
        if (in[i] && af__mail_parse_addrs(a, in[i], v, nv, &cap, e, sizeof e) < 0)
            return seterr(err, errlen, "%s: %s", what, e);
    }
    return 0;
}

int af_mail_write(af_arena *a, const af_mail_msg *m, FILE *out, af_mail_envelope *env, char *err,
                  size_t errlen)
{
    af__mail_addr *from, *to, *cc, *bcc;
    size_t nfrom, nto, ncc, nbcc;
    const char *from_s = m->from;
    if (!from_s || !*from_s) return seterr(err, errlen, "no sender address");
    if (parse_list(a, "from", &from_s, 1, &from, &nfrom, err, errlen) < 0 ||
        parse_list(a, "to", m->to, m->nto, &to, &nto, err, errlen) < 0 ||
        parse_list(a, "cc", m->cc, m->ncc, &cc, &ncc, err, errlen) < 0 ||
        parse_list(a, "bcc", m->bcc, m->nbcc, &bcc, &nbcc, err, errlen) < 0)
        return -1;
    if (nfrom != 1)
        return seterr(err, errlen, "from: expected exactly one sender address, got %zu", nfrom);
    if (nto + ncc + nbcc == 0)
        return seterr(err, errlen, "no recipients: to, cc and bcc are all empty");
    const char *subject = m->subject ? m->subject : "";
    if (strpbrk(subject, "\r\n"))
        return seterr(err, errlen, "subject: line breaks are not allowed in a header");
    if (m->message_id && (strpbrk(m->message_id, "\r\n") || m->message_id[0] != '<'))
        return seterr(err, errlen, "message_id: must look like <id@domain>");
    for (size_t i = 0; i < m->nattachments; i++) {
        const af_mail_attachment *at = &m->attachments[i];
        struct stat st;
        if (!at->path || stat(at->path, &st) < 0)
            return seterr(err, errlen, "attachment '%s': %s", at->path ? at->path : "(null)",
                          at->path ? strerror(errno) : "no path");
        if (!S_ISREG(st.st_mode))
            return seterr(err, errlen, "attachment '%s': not a regular file", at->path);
        if (access(at->path, R_OK) < 0)
            return seterr(err, errlen, "attachment '%s': %s", at->path, strerror(errno));
        if ((at->filename && strpbrk(at->filename, "\r\n")) ||
            (at->content_type && strpbrk(at->content_type, "\r\n\";")))
            return seterr(err, errlen, "attachment '%s': bad file name or content type", at->path);
    }

    const char *msgid = m->message_id ? af_strdup(a, m->message_id) : message_id(a, from[0].addr);
    if (env) {
        env->from = from[0].addr;
        env->message_id = msgid;
        env->rcpt = af_alloc(a, (nto + ncc + nbcc) * sizeof *env->rcpt);
        env->nrcpt = 0;
        const af__mail_addr *lists[3] = {to, cc, bcc};
        size_t counts[3] = {nto, ncc, nbcc};
        for (int l = 0; l < 3; l++) {
            for (size_t i = 0; i < counts[l]; i++) {
                size_t k = 0;
                while (k < env->nrcpt && strcmp(env->rcpt[k], lists[l][i].addr) != 0)
                    k++;
                if (k == env->nrcpt) env->rcpt[env->nrcpt++] = lists[l][i].addr;
            }
        }
    }

    af_buf b = {0};
    put_date(&b, m->date);
    put_addr_header(&b, "From", from, 1);
    if (nto) put_addr_header(&b, "To", to, nto);
    if (ncc) put_addr_header(&b, "Cc", cc, ncc);
    af__hdr h;
    af__hdr_begin(&h, &b, "Subject");
    af__hdr_text(&h, subject, strlen(subject), 0);
    af__hdr_end(&h);
    af_buf_printf(&b, "Message-ID: %s\r\n", msgid);
    af_buf_puts(&b, "MIME-Version: 1.0\r\n");

    char mixed[48], alt[48], rnd[33];
    random_hex(rnd, 12);
    snprintf(mixed, sizeof mixed, "=_mixed_%s", rnd);
    snprintf(alt, sizeof alt, "=_alt_%s", rnd);
    int rc = 0;
    if (m->nattachments == 0) {
        put_body(&b, m, alt);
        if (m->text && m->html) af_buf_puts(&b, "\r\n");
        rc = flush_buf(out, &b, err, errlen);
    } else {
        af_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", mixed);
        af_buf_puts(&b, "This is a multi-part message in MIME format.\r\n");
        af_buf_printf(&b, "--%s\r\n", mixed);
        put_body(&b, m, alt);
        for (size_t i = 0; rc == 0 && i < m->nattachments; i++) {
            const af_mail_attachment *at = &m->attachments[i];
            const char *name = at->filename;
            if (!name || !*name) {
                const char *sl = strrchr(at->path, '/');
                name = sl ? sl + 1 : at->path;
            }
            const char *type = at->content_type ? at->content_type : af__mime_type(name);
            af_buf_printf(&b, "\r\n--%s\r\n", mixed);
            put_attachment_headers(&b, type, name);
            rc = flush_buf(out, &b, err, errlen);
            if (rc == 0) rc = put_file_b64(out, at->path, err, errlen);
        }
        if (rc == 0) {
            af_buf_printf(&b, "\r\n--%s--\r\n", mixed);
            rc = flush_buf(out, &b, err, errlen);
        }
    }
    af_buf_free(&b);
    if (rc == 0 && fflush(out) != 0)
        rc = seterr(err, errlen, "cannot write the message: %s", strerror(errno));
    return rc;
}
