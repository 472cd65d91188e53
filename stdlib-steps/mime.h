/*
 * mime.h - encoders behind af_mail_write (stdlib-steps/mime.c), shared with
 * the HTTP step (content types) and the unit tests. Internal: not installed.
 */
#ifndef AF_MIME_H
#define AF_MIME_H

#include "af.h"

/* One parsed address: display name (UTF-8, unquoted) or NULL, bare address. */
typedef struct af__mail_addr {
    const char *name;
    const char *addr;
} af__mail_addr;

/* Splits s at top-level commas and parses each entry as "addr",
 * "<addr>", "Name <addr>" or "\"Quoted, Name\" <addr>". Appends to *v
 * (grown in arena a; *n entries). Empty entries are skipped. Returns 0, or
 * -1 with err naming the bad entry (no line breaks, no spaces or non-ASCII
 * in the bare address). */
int af__mail_parse_addrs(af_arena *a, const char *s, af__mail_addr **v, size_t *n, size_t *cap,
                         char *err, size_t errlen);

/* Standard base64 of n bytes into out (4*ceil(n/3) chars, no NUL). Returns
 * the number of chars written. */
size_t af__b64_encode(char *out, const unsigned char *in, size_t n);

/* Appends s (len bytes) as quoted-printable with CRLF line ends: lines of
 * at most 76 chars, input line ends (LF, CRLF, CR) become hard breaks. */
void af__qp_encode(af_buf *b, const char *s, size_t len);

/* 1 when s can go as 7bit text: ASCII without NUL, lines <= 998 bytes. */
int af__is_7bit(const char *s, size_t len);

/* Header writer that folds at whitespace to keep lines short (RFC 5322). */
typedef struct af__hdr {
    af_buf *b;
    size_t col; /* chars on the current line */
    int fresh;  /* nothing but the indent on this line yet */
} af__hdr;

void af__hdr_begin(af__hdr *h, af_buf *b, const char *name); /* "Name: " */
/* Appends a token that must not be split; space: put one space before it
 * (the place a fold may go). */
void af__hdr_token(af__hdr *h, const char *tok, size_t n, int space);
/* Appends UTF-8 text as RFC 2047 "B" encoded words, each at most 75 chars
 * and no longer than the line allows, cut only between characters. */
void af__hdr_words(af__hdr *h, const char *s, size_t n, int space);
/* Appends free text (a subject, a display name): plain words folded at
 * spaces when it is printable ASCII, encoded words otherwise. */
void af__hdr_text(af__hdr *h, const char *s, size_t n, int space);
void af__hdr_end(af__hdr *h); /* CRLF */

/* MIME type for a file name by its extension; "application/octet-stream"
 * when unknown. Static string. */
const char *af__mime_type(const char *filename);

#endif /* AF_MIME_H */
