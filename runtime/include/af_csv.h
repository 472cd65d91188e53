/*
 * af_csv.h - CSV/TSV reading and writing with the semantics of Python's csv
 * module (CPython 3.11): the format db_extract_stream writes, db_load reads,
 * and the Excel steps read back.
 *
 * Both directions stream: the writer flushes through a callback, the reader
 * pulls through a callback, and memory is bounded by the longest record.
 *
 * Characters are Unicode code points and text is UTF-8 inside; a dialect's
 * delimiter, quotechar and escapechar may be any single code point (a
 * multi-byte UTF-8 delimiter such as "§" works as in Python). An `encoding`
 * other than UTF-8 is applied at the edge with iconv, named as Python names
 * codecs ("latin-1", "cp1252", "utf-16", "utf-8-sig", ...).
 *
 * Writer, for each row (csv.writer.writerow over a list of str):
 *   - a field is quoted when the dialect says so (QUOTE_ALL; QUOTE_NONNUMERIC
 *     for fields not flagged AF_CSV_NUMERIC) or, under QUOTE_MINIMAL, when it
 *     holds the delimiter, the quotechar or any character of lineterminator
 *     (note: like 3.11, a lone "\r" is not a reason to quote when the
 *     lineterminator is "\n");
 *   - a quotechar inside a field is doubled (doublequote) or escaped;
 *     an escapechar inside a field is always escaped; under QUOTE_NONE every
 *     special character is escaped, and with no escapechar that is the error
 *     "need to escape, but no escapechar set";
 *   - a record made of one empty field is written as two quotechars (error
 *     "single empty field record must be quoted" under QUOTE_NONE);
 *   - each record ends with lineterminator (any string, "" allowed).
 *
 * Reader, for each record (csv.reader over a file opened with newline=""):
 *   - lines end at "\n", "\r\n" or "\r"; an empty line is a record with zero
 *     fields; quoted fields may span lines and keep their line breaks;
 *   - skipinitialspace, strict ("',' expected after '\"'" and "unexpected
 *     end of data"), escapechar and doublequote as in Python; quoting NONE
 *     turns quote processing off; under NONNUMERIC unquoted fields are
 *     flagged AF_CSV_NUMERIC (Python converts those with float();
 *     af_csv_float does the same);
 *   - a field longer than the field limit (Python's default 131072
 *     characters) is the error "field larger than field limit (131072)";
 *   - NUL characters are data, as in 3.11.
 *
 * Errors carry Python's wording, so messages read the same as the reference
 * implementation's; reader errors are prefixed with "line N: ".
 *
 * Ownership: writers and readers are heap objects freed with their _free
 * function; fields returned by af_csv_read point into the reader and stay
 * valid until the next af_csv_read or af_csv_reader_free.
 */
#ifndef AF_CSV_H
#define AF_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AF_CSV_NOT_SET 0xFFFFFFFFu /* quotechar / escapechar: none */
#define AF_CSV_FIELD_LIMIT 131072  /* Python's csv.field_size_limit() default */

typedef enum af_csv_quoting {
    AF_CSV_QUOTE_MINIMAL = 0,    /* csv.QUOTE_MINIMAL */
    AF_CSV_QUOTE_ALL = 1,        /* csv.QUOTE_ALL */
    AF_CSV_QUOTE_NONNUMERIC = 2, /* csv.QUOTE_NONNUMERIC */
    AF_CSV_QUOTE_NONE = 3,       /* csv.QUOTE_NONE */
} af_csv_quoting;

typedef struct af_csv_dialect {
    uint32_t delimiter;         /* code point; default ',' */
    uint32_t quotechar;         /* code point or AF_CSV_NOT_SET; default '"' */
    uint32_t escapechar;        /* code point or AF_CSV_NOT_SET (default) */
    int doublequote;            /* default 1 */
    int skipinitialspace;       /* reader: drop spaces after a delimiter; default 0 */
    int strict;                 /* reader: raise on bad input; default 0 */
    af_csv_quoting quoting;     /* default AF_CSV_QUOTE_MINIMAL */
    const char *lineterminator; /* writer only, UTF-8; default "\r\n" (never NULL once checked) */
    size_t field_limit;         /* reader: max characters per field; 0 = AF_CSV_FIELD_LIMIT */
} af_csv_dialect;

/* Python's "excel" dialect: ',' '"' no escapechar, doublequote, "\r\n". */
void af_csv_dialect_init(af_csv_dialect *d);

/* Validates d as csv.writer()/csv.reader() do, with their messages:
 * 'bad "quoting" value', '"delimiter" must be a 1-character string',
 * 'quotechar must be set if quoting enabled', 'lineterminator must be set'.
 * Returns 0, or -1 with the message in err. */
int af_csv_dialect_check(const af_csv_dialect *d, char *err, size_t errlen);

/* Reads one character option given as a UTF-8 string (a YAML input).
 * s NULL: *cp = AF_CSV_NOT_SET when allow_unset, else an error. Otherwise s
 * must be exactly one code point; else returns -1 with Python's message
 * '"NAME" must be a 1-character string'. */
int af_csv_char(const char *name, const char *s, int allow_unset, uint32_t *cp, char *err,
                size_t errlen);

/* Maps "minimal" / "all" / "nonnumeric" / "none" (any case, surrounding
 * spaces ignored) to the enum. Returns -1 for anything else. */
int af_csv_quoting_parse(const char *s);

/* 1 when `encoding` (a Python codec name) means plain UTF-8 with no BOM. */
int af_csv_encoding_is_utf8(const char *encoding);

/* ---- writer ------------------------------------------------------------- */

/* Sink for encoded output: returns 0, or -1 with a message in err. */
typedef int (*af_csv_write_fn)(void *ud, const void *data, size_t n, char *err, size_t errlen);

typedef struct af_csv_writer af_csv_writer;

enum {
    AF_CSV_NUMERIC = 1, /* writer: a number (not quoted under NONNUMERIC); reader: see above */
};

typedef struct af_csv_field {
    const char *s;  /* UTF-8; NULL means an empty field (Python's None) */
    size_t len;     /* bytes */
    unsigned flags; /* AF_CSV_NUMERIC */
} af_csv_field;

/* A writer over d (copied; lineterminator copied too) sending encoded bytes
 * to fn. encoding NULL means UTF-8. Returns NULL with err when the dialect
 * is invalid or the encoding unknown to iconv ("unknown encoding: X"). */
af_csv_writer *af_csv_writer_new(const af_csv_dialect *d, const char *encoding, af_csv_write_fn fn,
                                 void *ud, char *err, size_t errlen);
/* Writes one record of n fields. Returns 0, or -1 with err (a dialect
 * error, an encoding error naming the character, or the sink's error);
 * after an error nothing of the failed record has been passed to the sink
 * unless the sink itself failed. */
int af_csv_write_row(af_csv_writer *w, const af_csv_field *fields, size_t n, char *err,
                     size_t errlen);
/* Passes everything buffered to the sink. Returns 0 or -1 with err. */
int af_csv_writer_flush(af_csv_writer *w, char *err, size_t errlen);
/* Bytes handed to the sink so far (after encoding). */
uint64_t af_csv_writer_bytes(const af_csv_writer *w);
/* Frees w without flushing. NULL is fine. */
void af_csv_writer_free(af_csv_writer *w);

/* ---- reader ------------------------------------------------------------- */

/* Source: returns bytes read (0 at end of input), or -1 with err. */
typedef ssize_t (*af_csv_read_fn)(void *ud, void *buf, size_t n, char *err, size_t errlen);

typedef struct af_csv_reader af_csv_reader;

/* A reader over d (copied) pulling from fn. encoding NULL means UTF-8;
 * "utf-8-sig" drops a leading BOM; others are converted with iconv. */
af_csv_reader *af_csv_reader_new(const af_csv_dialect *d, const char *encoding, af_csv_read_fn fn,
                                 void *ud, char *err, size_t errlen);
/* A reader over an open file descriptor (not closed by the reader). */
af_csv_reader *af_csv_reader_fd(const af_csv_dialect *d, const char *encoding, int fd, char *err,
                                size_t errlen);
/* Next record: returns 1 with *fields / *n set (fields NUL-terminated, s
 * never NULL), 0 at end of input, -1 with err ("line N: message"). */
int af_csv_read(af_csv_reader *r, const af_csv_field **fields, size_t *n, char *err, size_t errlen);
/* Physical lines consumed so far (Python's reader.line_num). */
int64_t af_csv_line_num(const af_csv_reader *r);
void af_csv_reader_free(af_csv_reader *r);

/* Python's float() of a field: surrounding whitespace ignored, "_" between
 * digits, inf/nan spellings. Returns 0, or -1 with "could not convert
 * string to float: 'TEXT'". */
int af_csv_float(const char *s, size_t len, double *out, char *err, size_t errlen);

#endif /* AF_CSV_H */
