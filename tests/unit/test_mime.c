/*
 * test_mime.c - the MIME writer behind the mail drivers (stdlib-steps/mime.c):
 * encoders checked against known vectors and their own limits, addresses,
 * and whole messages read back by Python's email parser (tests/unit/mailcheck.h).
 */
#define T_SUITE "mime"
#include "t.h"
#include "af.h"
#include "af_mail.h"
#include "../../stdlib-steps/mime.h"
#include "mailcheck.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static af_arena *A;
static char tmpdir[] = "/tmp/test_mime_XXXXXX";

/* ---- helpers ------------------------------------------------------------ */

static int b64val(int c)
{
    const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(t, c) : NULL;
    return p ? (int)(p - t) : -1;
}

/* Decodes base64 (no whitespace); returns length or -1. */
static long b64dec(const char *s, size_t n, unsigned char *out)
{
    long o = 0;
    if (n % 4) return -1;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++)
            v[k] = s[i + k] == '=' ? 0 : b64val(s[i + k]);
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0) return -1;
        unsigned x = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        out[o++] = (unsigned char)(x >> 16);
        if (s[i + 2] != '=') out[o++] = (unsigned char)(x >> 8);
        if (s[i + 3] != '=') out[o++] = (unsigned char)x;
    }
    return o;
}

static int valid_utf8(const unsigned char *s, long n)
{
    long i = 0;
    while (i < n) {
        int len = s[i] < 0x80             ? 1
                  : (s[i] & 0xE0) == 0xC0 ? 2
                  : (s[i] & 0xF0) == 0xE0 ? 3
                  : (s[i] & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (!len || i + len > n) return 0;
        for (int k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80) return 0;
        i += len;
    }
    return 1;
}

static size_t longest_line(const char *s)
{
    size_t best = 0, cur = 0;
    for (; *s; s++) {
        if (*s == '\r' || *s == '\n') {
            cur = 0;
        } else if (++cur > best) {
            best = cur;
        }
    }
    return best;
}

static const char *write_file(const char *name, const void *data, size_t n)
{
    const char *path = af_sprintf(A, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (n) fwrite(data, 1, n, f);
    fclose(f);
    return path;
}

/* Writes m to a file; returns its path, or NULL with the error in err. */
static const char *write_msg(const af_mail_msg *m, af_mail_envelope *env, char *err, size_t el)
{
    static int seq;
    const char *path = af_sprintf(A, "%s/msg%d.eml", tmpdir, ++seq);
    FILE *f = fopen(path, "wb");
    int rc = af_mail_write(A, m, f, env, err, el);
    fclose(f);
    return rc == 0 ? path : NULL;
}

static const af_value *part(const af_value *sum, size_t i)
{
    const af_value *p = sum ? af_map_get(sum, "parts") : NULL;
    return p && p->type == AF_LIST && i < p->u.list.n ? p->u.list.items[i] : NULL;
}

static int has_header(const af_value *sum, const char *name)
{
    const af_value *h = sum ? af_map_get(sum, "header_names") : NULL;
    for (size_t i = 0; h && i < h->u.list.n; i++)
        if (strcmp(h->u.list.items[i]->u.s.ptr, name) == 0) return 1;
    return 0;
}

/* ---- encoders ----------------------------------------------------------- */

static void test_base64_vectors(void)
{
    /* RFC 4648 section 10 */
    static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char out[16];
        size_t n = af__b64_encode(out, (const unsigned char *)in[i], strlen(in[i]));
        out[n] = '\0';
        T_STREQ(out, want[i]);
    }
    unsigned char all[256], back[256];
    char enc[400];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    size_t n = af__b64_encode(enc, all, 256);
    T_INTEQ(n, 344);
    T_INTEQ(b64dec(enc, n, back), 256);
    T_CHECK(memcmp(all, back, 256) == 0);
}

static void test_quoted_printable(void)
{
    af_buf b = {0};
    const char *in = "caf\xc3\xa9 = ok \nend\t\r\nlast";
    af__qp_encode(&b, in, strlen(in));
    T_STREQ(af_buf_cstr(&b), "caf=C3=A9 =3D ok=20\r\nend=09\r\nlast\r\n");
    af_buf_reset(&b);
    /* a lone CR is a line end too; an empty text stays empty */
    af__qp_encode(&b, "a\rb", 3);
    T_STREQ(af_buf_cstr(&b), "a\r\nb\r\n");
    af_buf_reset(&b);
    af__qp_encode(&b, "", 0);
    T_INTEQ(b.len, 0);
    /* long lines: soft breaks keep every line within 76 chars, escapes whole */
    char longline[1000];
    for (int i = 0; i < 999; i++)
        longline[i] = i % 7 == 0 ? '=' : 'x';
    longline[999] = '\0';
    af_buf_reset(&b);
    af__qp_encode(&b, longline, 999);
    T_CHECK(longest_line(af_buf_cstr(&b)) <= 76);
    /* undo the soft breaks and escapes: the input comes back */
    af_buf d = {0};
    const char *s = af_buf_cstr(&b);
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '=' && s[i + 1] == '\r') {
            i += 2;
        } else if (s[i] == '=') {
            unsigned v;
            sscanf(s + i + 1, "%2x", &v);
            af_buf_putc(&d, (int)v);
            i += 2;
        } else if (s[i] != '\r' && s[i] != '\n') {
            af_buf_putc(&d, s[i]);
        }
    }
    T_STREQ(af_buf_cstr(&d), longline);
    af_buf_free(&d);
    af_buf_free(&b);
}

static void test_is_7bit(void)
{
    T_CHECK(af__is_7bit("plain text\nline two\r\n", 21));
    T_CHECK(!af__is_7bit("caf\xc3\xa9", 5));
    T_CHECK(!af__is_7bit("a\0b", 3));
    char big[1200];
    memset(big, 'a', sizeof big);
    T_CHECK(!af__is_7bit(big, sizeof big));
    big[600] = '\n';
    T_CHECK(af__is_7bit(big, sizeof big));
}

static void test_encoded_words(void)
{
    /* 4-byte characters, 3-byte and ASCII mixed: words must split between characters */
    af_buf in = {0};
    for (int i = 0; i < 40; i++)
        af_buf_puts(&in, i % 3 == 0 ? "\xf0\x9f\x93\x88" : i % 3 == 1 ? "\xe2\x82\xac" : "ab ");
    af_buf b = {0};
    af__hdr h;
    af__hdr_begin(&h, &b, "Subject");
    af__hdr_words(&h, in.data, in.len, 0);
    af__hdr_end(&h);
    const char *s = af_buf_cstr(&b);
    T_CHECK(longest_line(s) <= 76);
    af_buf joined = {0};
    int words = 0, bad = 0;
    for (const char *p = strstr(s, "=?UTF-8?B?"); p; p = strstr(p, "=?UTF-8?B?")) {
        const char *e = strstr(p + 10, "?=");
        if (!e) break;
        if (e + 2 - p > 75) bad++;
        unsigned char dec[80];
        long n = b64dec(p + 10, (size_t)(e - p - 10), dec);
        if (n < 0 || !valid_utf8(dec, n))
            bad++;
        else
            af_buf_put(&joined, dec, (size_t)n);
        words++;
        p = e + 2;
    }
    T_CHECK(words > 3);
    T_INTEQ(bad, 0);
    T_INTEQ(joined.len, in.len);
    T_CHECK(joined.len == in.len && memcmp(joined.data, in.data, in.len) == 0);
    af_buf_free(&joined);
    af_buf_free(&in);
    af_buf_free(&b);
}

static void test_plain_text_folds(void)
{
    af_buf b = {0};
    af__hdr h;
    af__hdr_begin(&h, &b, "Subject");
    const char *subj = "Daily report for the operations team: twelve files processed, "
                       "two skipped, zero failed, see attachment";
    af__hdr_text(&h, subj, strlen(subj), 0);
    af__hdr_end(&h);
    const char *s = af_buf_cstr(&b);
    T_CHECK(longest_line(s) <= 78);
    T_CHECK(strstr(s, "=?") == NULL);
    /* unfolding (dropping CRLF) gives the subject back */
    af_buf u = {0};
    for (const char *p = s + 9; *p; p++)
        if (*p != '\r' && *p != '\n') af_buf_putc(&u, *p);
    T_STREQ(af_buf_cstr(&u), subj);
    /* "=?" in plain ASCII would read as an encoded word: it gets encoded */
    af_buf_reset(&b);
    af__hdr_begin(&h, &b, "Subject");
    af__hdr_text(&h, "a =?x?= b", 9, 0);
    af__hdr_end(&h);
    T_CHECK(strncmp(af_buf_cstr(&b), "Subject: =?UTF-8?B?", 19) == 0);
    af_buf_free(&u);
    af_buf_free(&b);
}

static void test_addresses(void)
{
    af__mail_addr *v = NULL;
    size_t n = 0, cap = 0;
    char err[300];
    T_INTEQ(af__mail_parse_addrs(A,
                                 "a@x.org, \"Doe, John\" <john@x.org>,Zoë Ä <zoe@x.org> ,<b@y>, , ",
                                 &v, &n, &cap, err, sizeof err),
            0);
    T_INTEQ(n, 4);
    if (n == 4) {
        T_CHECK(v[0].name == NULL);
        T_STREQ(v[0].addr, "a@x.org");
        T_STREQ(v[1].name, "Doe, John");
        T_STREQ(v[1].addr, "john@x.org");
        T_STREQ(v[2].name, "Zo\xc3\xab \xc3\x84");
        T_STREQ(v[2].addr, "zoe@x.org");
        T_CHECK(v[3].name == NULL);
        T_STREQ(v[3].addr, "b@y");
    }
    static const char *bad[] = {
        "a b@x.org",         "Name <a@x.org",          "<>", "x\r\nBcc: evil@x.org",
        "caf\xc3\xa9@x.org", "Name <a@x.org> trailing"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = 0;
        err[0] = '\0';
        T_INTEQ(af__mail_parse_addrs(A, bad[i], &v, &n, &cap, err, sizeof err), -1);
        T_CHECK(strstr(err, "address") != NULL);
    }
    T_STREQ(af_mail_bare_addr(A, "Ops <ops@x.org>, b@y"), "ops@x.org");
    T_CHECK(af_mail_bare_addr(A, "") == NULL);
}

static void test_mime_types(void)
{
    T_STREQ(af__mime_type("report.PDF"), "application/pdf");
    T_STREQ(af__mime_type("/a/b.c/data.csv"), "text/csv");
    T_STREQ(af__mime_type("book.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    T_STREQ(af__mime_type("noext"), "application/octet-stream");
    T_STREQ(af__mime_type(".hidden"), "application/octet-stream");
    T_STREQ(af__mime_type("dir.d/noext"), "application/octet-stream");
}

/* ---- whole messages ----------------------------------------------------- */

static void test_plain_message(void)
{
    const char *to[] = {"a@x.org"};
    af_mail_msg m = {.from = "sender@x.org",
                     .to = to,
                     .nto = 1,
                     .subject = "Hello",
                     .text = "line one\n.\nline three\n"};
    af_mail_envelope env;
    char err[300];
    const char *p = write_msg(&m, &env, err, sizeof err);
    T_CHECK(p != NULL);
    if (!p) return;
    af_value *s = t_mail_summary(A, p);
    T_CHECK(s != NULL);
    T_STREQ(t_get_str(s, "structure"), "text/plain");
    T_STREQ(t_get_str(s, "subject"), "Hello");
    T_STREQ(t_get_str(part(s, 0), "text"), "line one\n.\nline three\n");
    T_STREQ(t_get_str(part(s, 0), "cte"), "7bit");
    T_INTEQ(t_get_int(s, "date_ok"), 1);
    T_INTEQ(t_get_int(s, "defects"), 0);
    T_STREQ(t_get_str(s, "message_id"), env.message_id);
    T_CHECK(strstr(env.message_id, "@x.org>") != NULL);
    T_CHECK(has_header(s, "mime-version"));
    T_STREQ(env.from, "sender@x.org");
    T_INTEQ(env.nrcpt, 1);
}

static void test_html_only_and_alternative(void)
{
    const char *to[] = {"a@x.org"};
    af_mail_msg m = {
        .from = "s@x.org", .to = to, .nto = 1, .subject = "H", .html = "<p>caf\xc3\xa9</p>"};
    char err[300];
    const char *p = write_msg(&m, NULL, err, sizeof err);
    af_value *s = p ? t_mail_summary(A, p) : NULL;
    T_STREQ(t_get_str(s, "structure"), "text/html");
    T_STREQ(t_get_str(part(s, 0), "text"), "<p>caf\xc3\xa9</p>\n");
    T_STREQ(t_get_str(part(s, 0), "cte"), "quoted-printable");

    m.text = "caf\xc3\xa9";
    p = write_msg(&m, NULL, err, sizeof err);
    s = p ? t_mail_summary(A, p) : NULL;
    T_STREQ(t_get_str(s, "structure"), "multipart/alternative(text/plain,text/html)");
    T_STREQ(t_get_str(part(s, 0), "text"), "caf\xc3\xa9\n");
    T_INTEQ(t_get_int(s, "defects"), 0);
}

static void test_full_message(void)
{
    unsigned char bin[70000];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 31 + 7);
    const char *binp = write_file("data.bin", bin, sizeof bin);
    const char *emptyp = write_file("empty.txt", "", 0);
    const char *csvp = write_file("r.csv", "a,b\n1,2\n", 8);
    char h_bin[65], h_empty[65], h_csv[65];
    t_sha256_file(binp, h_bin);
    t_sha256_file(emptyp, h_empty);
    t_sha256_file(csvp, h_csv);
    const char *long_name =
        "rapport \xc3\xa9t\xc3\xa9 2026 \xe2\x80\x94 version finale tr\xc3\xa8s "
        "longue pour tester le pliage des noms de fichiers.bin";
    af_mail_attachment at[] = {
        {binp, long_name, NULL},
        {emptyp, NULL, NULL},
        {csvp, "plain name.csv", "text/csv"},
    };
    const char *to[] = {"\xc3\x89lodie Dupont <elodie@x.org>, \"Doe, John\" <john@x.org>",
                        "plain@x.org"};
    const char *cc[] = {"Team \"Ops\" <ops@x.org>"};
    const char *bcc[] = {"hidden@x.org", "plain@x.org"};
    char longtext[3000];
    memset(longtext, 'w', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    const char *text = af_sprintf(A, "Bonjour \xc3\xa0 tous,\n.\n..\nFrom here\n%s\n", longtext);
    const char *subject = "Rapport quotidien \xe2\x80\x94 donn\xc3\xa9"
                          "es de l'\xc3\xa9t\xc3\xa9 : 12 fichiers trait\xc3\xa9s, "
                          "\xf0\x9f\x93\x88 et bien d'autres choses encore";
    af_mail_msg m = {.from = "Ops \xc3\x89quipe <ops@x.org>",
                     .to = to,
                     .nto = 2,
                     .cc = cc,
                     .ncc = 1,
                     .bcc = bcc,
                     .nbcc = 2,
                     .subject = subject,
                     .text = text,
                     .html = "<p>Bonjour <b>\xc3\xa9t\xc3\xa9</b></p>",
                     .attachments = at,
                     .nattachments = 3,
                     .message_id = "<fixed.1@x.org>",
                     .date = 1700000000};
    af_mail_envelope env;
    char err[300];
    const char *p = write_msg(&m, &env, err, sizeof err);
    T_CHECK(p != NULL);
    if (!p) {
        printf("#   %s\n", err);
        return;
    }
    af_value *s = t_mail_summary(A, p);
    T_CHECK(s != NULL);
    T_STREQ(t_get_str(s, "structure"),
            "multipart/mixed(multipart/alternative(text/plain,text/html),"
            "application/octet-stream,text/plain,text/csv)");
    T_STREQ(t_get_str(s, "subject"), subject);
    T_STREQ(t_get_str(s, "to"), "\xc3\x89lodie Dupont <elodie@x.org>, \"Doe, John\" "
                                "<john@x.org>, plain@x.org");
    T_STREQ(t_get_str(s, "cc"), "\"Team \\\"Ops\\\"\" <ops@x.org>");
    T_STREQ(t_get_str(s, "from"), "Ops \xc3\x89quipe <ops@x.org>");
    T_CHECK(!has_header(s, "bcc"));
    T_STREQ(t_get_str(s, "message_id"), "<fixed.1@x.org>");
    T_INTEQ(t_get_int(s, "date_ok"), 1);
    T_INTEQ(t_get_int(s, "defects"), 0);
    T_CHECK(t_get_int(s, "max_line") <= 78);
    T_STREQ(t_get_str(part(s, 0), "text"), text);
    T_STREQ(t_get_str(part(s, 0), "cte"), "quoted-printable");
    T_STREQ(t_get_str(part(s, 2), "filename"), long_name);
    T_STREQ(t_get_str(part(s, 2), "sha256"), h_bin);
    T_STREQ(t_get_str(part(s, 2), "cte"), "base64");
    T_STREQ(t_get_str(part(s, 3), "filename"), "empty.txt");
    T_STREQ(t_get_str(part(s, 3), "sha256"), h_empty);
    T_INTEQ(t_get_int(part(s, 3), "size"), 0);
    T_STREQ(t_get_str(part(s, 4), "filename"), "plain name.csv");
    T_STREQ(t_get_str(part(s, 4), "sha256"), h_csv);
    /* envelope: to, cc, bcc, once each */
    T_STREQ(env.from, "ops@x.org");
    T_INTEQ(env.nrcpt, 5);
    if (env.nrcpt == 5) {
        T_STREQ(env.rcpt[0], "elodie@x.org");
        T_STREQ(env.rcpt[2], "plain@x.org");
        T_STREQ(env.rcpt[3], "ops@x.org");
        T_STREQ(env.rcpt[4], "hidden@x.org");
    }
    /* the raw bytes never name a Bcc recipient */
    FILE *f = fopen(p, "rb");
    af_buf raw = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        af_buf_put(&raw, buf, n);
    fclose(f);
    T_CHECK(strstr(af_buf_cstr(&raw), "hidden@x.org") == NULL);
    T_CHECK(strstr(af_buf_cstr(&raw), "Date: ") != NULL);
    af_buf_free(&raw);
}

static void test_rejected_messages(void)
{
    const char *to[] = {"a@x.org"};
    const char *badto[] = {"a@x.org, b c@x.org"};
    const char *path = af_sprintf(A, "%s/never.eml", tmpdir);
    struct {
        af_mail_msg m;
        const char *want;
    } cases[] = {
        {{.from = "s@x.org", .subject = "x", .text = "y"}, "no recipients"},
        {{.to = to, .nto = 1, .subject = "x"}, "no sender"},
        {{.from = "s@x.org", .to = badto, .nto = 1}, "to: bad address 'b c@x.org'"},
        {{.from = "s@x.org", .to = to, .nto = 1, .subject = "a\r\nBcc: evil@x.org"}, "subject"},
        {{.from = "a@x.org, b@x.org", .to = to, .nto = 1}, "exactly one sender"},
        {{.from = "s@x.org",
          .to = to,
          .nto = 1,
          .attachments = (af_mail_attachment[]){{"/nonexistent/file.pdf", NULL, NULL}},
          .nattachments = 1},
         "/nonexistent/file.pdf"},
        {{.from = "s@x.org",
          .to = to,
          .nto = 1,
          .attachments = (af_mail_attachment[]){{tmpdir, NULL, NULL}},
          .nattachments = 1},
         "not a regular file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = fopen(path, "wb");
        char err[300] = "";
        T_INTEQ(af_mail_write(A, &cases[i].m, f, NULL, err, sizeof err), -1);
        long size = ftell(f);
        fclose(f);
        if (!strstr(err, cases[i].want))
            printf("#   case %zu: got \"%s\", want \"%s\"\n", i, err, cases[i].want);
        T_CHECK(strstr(err, cases[i].want) != NULL);
        T_INTEQ(size, 0); /* checked before the first byte */
    }
}

int main(void)
{
    A = af_arena_new();
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(test_base64_vectors);
    T_RUN(test_quoted_printable);
    T_RUN(test_is_7bit);
    T_RUN(test_encoded_words);
    T_RUN(test_plain_text_folds);
    T_RUN(test_addresses);
    T_RUN(test_mime_types);
    T_RUN(test_plain_message);
    T_RUN(test_html_only_and_alternative);
    T_RUN(test_full_message);
    T_RUN(test_rejected_messages);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (getenv("T_KEEP"))
        printf("# kept %s\n", tmpdir);
    else if (system(cmd) != 0)
        printf("# could not remove %s\n", tmpdir);
    af_arena_free(A);
    T_END();
}
