/*
 * af_mail.h - the `mail` connector kind: the message a step hands to a
 * driver, the primitive table a mail driver exports (af_driver.ops), and the
 * MIME writer that turns a message into RFC 5322 bytes.
 *
 * Built-in drivers: `smtp` (libcurl, stdlib-steps/mail_smtp.c) and `file`
 * (.eml files in a directory, stdlib-steps/mail_file.c). A plugin adds a
 * driver by defining an af_driver whose kind is "mail" and whose ops point
 * to an af_mail_ops; it may use af_mail_write to get the message bytes.
 *
 * Addresses are written as "addr@example.com" or "Display Name <addr>"
 * (the name may be quoted, and may be any UTF-8). One string may hold
 * several addresses separated by commas.
 */
#ifndef AF_MAIL_H
#define AF_MAIL_H

#include "af.h"
#include <stdio.h>

typedef struct af_mail_attachment {
    const char *path;         /* local file, read while the message is written */
    const char *filename;     /* name the recipient sees; NULL: the basename of path */
    const char *content_type; /* NULL: guessed from the file name's extension */
} af_mail_attachment;

typedef struct af_mail_msg {
    const char *from;      /* sender; NULL: the driver's default */
    const char *const *to; /* To header and envelope */
    size_t nto;
    const char *const *cc; /* Cc header and envelope */
    size_t ncc;
    const char *const *bcc; /* envelope only, never written as a header */
    size_t nbcc;
    const char *subject;                   /* UTF-8, no line breaks */
    const char *text;                      /* text/plain body, or NULL */
    const char *html;                      /* text/html body, or NULL (both: alternative) */
    const af_mail_attachment *attachments; /* nattachments entries, in order */
    size_t nattachments;
    const char *message_id; /* "<id@domain>"; NULL: af_mail_write makes one */
    int64_t date;           /* Date header, seconds since the epoch; 0: now */
} af_mail_msg;

/* What the SMTP envelope needs, filled by af_mail_write (arena strings). */
typedef struct af_mail_envelope {
    const char *from;  /* bare address of the sender */
    const char **rcpt; /* bare addresses of to, cc and bcc, duplicates removed */
    size_t nrcpt;
    const char *message_id; /* the Message-ID header's value, with its <> */
} af_mail_envelope;

/* Primitives of a mail driver (af_driver.ops of every kind "mail" driver). */
typedef struct af_mail_ops {
    /* Delivers m (m->from NULL: the driver's configured sender). On success
     * copies the Message-ID used into msgid (when non-NULL; truncated to
     * msgidlen) and returns 0. On failure returns -1 with a message in err
     * that names the driver's target and never holds a secret. */
    int (*send)(af_conn *c, const af_mail_msg *m, char *msgid, size_t msgidlen, char *err,
                size_t errlen);
} af_mail_ops;

/* Checks m and writes it to out as a MIME message with CRLF line ends:
 * Date, From, To, Cc (never Bcc), Subject (RFC 2047 when not plain ASCII),
 * Message-ID, MIME-Version, then a text/plain or text/html part,
 * multipart/alternative when both bodies are given, and multipart/mixed
 * with base64 attachments streamed from their files. m->from must be set.
 * Fills env (strings in arena a) when non-NULL. Every address and
 * attachment is checked before the first byte is written. Returns 0, or -1
 * with a message in err (out may then hold a partial message). */
int af_mail_write(af_arena *a, const af_mail_msg *m, FILE *out, af_mail_envelope *env, char *err,
                  size_t errlen);

/* The bare address in the first entry of `s` ("Name <a@b>, c@d" -> "a@b"),
 * in arena a; NULL when s holds no valid address. */
const char *af_mail_bare_addr(af_arena *a, const char *s);

#endif /* AF_MAIL_H */
