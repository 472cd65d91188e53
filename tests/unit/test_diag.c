/*
 * test_diag.c - compiler/diag.c: gcc-style printing (source line, caret,
 * tabs, notes, sorting, colour on a terminal), suggestions, -Werror, JSON.
 */
#define T_SUITE "diag"
#include "t.h"

#include "afc.h"
#include "af_int.h"

#include <fcntl.h>
#include <pty.h>
#include <stdlib.h>
#include <unistd.h>

/* What afc_diags_print writes to a stream that is not a terminal. */
static char *printed(afc_diags *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    afc_diags_print(d, f);
    fclose(f);
    return buf;
}

static afc_src src_of(const char *path, const char *text)
{
    afc_src s = {path, text, strlen(text)};
    return s;
}

static afc_pos at(const afc_src *s, int line, int col)
{
    afc_pos p = {s, line, col};
    return p;
}

static void test_error_with_caret(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_src s = src_of("flows/main.yaml", "flow:\n  id: x\n  jobs:\n    - type: zipp\n");
    afc_error(d, at(&s, 4, 13), "unknown step type '%s'", "zipp");
    char *out = printed(d);
    T_STREQ(out, "flows/main.yaml:4:13: error: unknown step type 'zipp'\n"
                 "    4 |     - type: zipp\n"
                 "      |             ^\n");
    T_INTEQ(afc_error_count(d), 1);
    T_INTEQ(afc_warning_count(d), 0);
    free(out);
    af_arena_free(a);
}

static void test_no_location(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_pos none = {0};
    afc_error(d, none, "cannot read '%s': %s", "x.yaml", "No such file or directory");
    afc_note(d, none, "looked in %s", "/tmp");
    char *out = printed(d);
    T_STREQ(out, "afc: error: cannot read 'x.yaml': No such file or directory\n"
                 "afc: note: looked in /tmp\n");
    free(out);
    af_arena_free(a);
}

/* Notes follow their error wherever sorting puts it; errors sort by file,
 * line and column, ties keep their order; no-location ones come first. */
static void test_sorting_and_notes(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_src b = src_of("b.yaml", "one\ntwo\nthree\n");
    afc_src x = src_of("a.yaml", "alpha\n");
    afc_pos none = {0};
    afc_error(d, at(&b, 3, 2), "third");
    afc_note(d, at(&b, 1, 1), "see line one");
    afc_warning(d, at(&b, 2, 1), "second");
    afc_error(d, at(&b, 2, 1), "second again");
    afc_error(d, at(&x, 1, 3), "in a");
    afc_error(d, none, "global");
    char *out = printed(d);
    T_STREQ(out, "afc: error: global\n"
                 "a.yaml:1:3: error: in a\n"
                 "    1 | alpha\n"
                 "      |   ^\n"
                 "b.yaml:2:1: warning: second\n"
                 "    2 | two\n"
                 "      | ^\n"
                 "b.yaml:2:1: error: second again\n"
                 "    2 | two\n"
                 "      | ^\n"
                 "b.yaml:3:2: error: third\n"
                 "    3 | three\n"
                 "      |  ^\n"
                 "b.yaml:1:1: note: see line one\n"
                 "    1 | one\n"
                 "      | ^\n");
    T_INTEQ(afc_error_count(d), 4);
    T_INTEQ(afc_warning_count(d), 1);
    /* printing again gives the same text */
    char *again = printed(d);
    T_STREQ(again, out);
    free(out);
    free(again);
    af_arena_free(a);
}

/* The caret line repeats the source line's tabs so it lines up whatever
 * the tab stops; other characters count one column each. */
static void test_tabs_and_utf8(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_src s = src_of("t.yaml", "k:\t\tv\xc3\xa9x\tend\n");
    afc_error(d, at(&s, 1, 7), "here");
    afc_error(d, at(&s, 1, 9), "after the tab");
    char *out = printed(d);
    T_STREQ(out, "t.yaml:1:7: error: here\n"
                 "    1 | k:\t\tv\xc3\xa9x\tend\n"
                 "      |   \t\t  ^\n"
                 "t.yaml:1:9: error: after the tab\n"
                 "    1 | k:\t\tv\xc3\xa9x\tend\n"
                 "      |   \t\t   \t^\n");
    free(out);
    af_arena_free(a);
}

/* Lines as YAML counts them (CRLF, CR, NEL, LS, PS), a byte order mark
 * skipped, control characters shown as '?', a column past the end. */
static void test_line_breaks(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_src s = src_of("t.yaml", "\xef\xbb\xbf"
                                 "a: 1\r\nb: 2\rc: 3\xc2\x85"
                                 "d: 4\xe2\x80\xa8"
                                 "e: \x01\xff\n");
    afc_error(d, at(&s, 1, 1), "bom");
    afc_error(d, at(&s, 2, 4), "crlf");
    afc_error(d, at(&s, 3, 1), "cr");
    afc_error(d, at(&s, 4, 2), "nel");
    afc_error(d, at(&s, 5, 4), "ls");
    afc_error(d, at(&s, 5, 8), "past the end");
    afc_error(d, at(&s, 6, 1), "after the last newline");
    afc_error(d, at(&s, 9, 1), "no such line");
    char *out = printed(d);
    T_STREQ(out, "t.yaml:1:1: error: bom\n"
                 "    1 | a: 1\n"
                 "      | ^\n"
                 "t.yaml:2:4: error: crlf\n"
                 "    2 | b: 2\n"
                 "      |    ^\n"
                 "t.yaml:3:1: error: cr\n"
                 "    3 | c: 3\n"
                 "      | ^\n"
                 "t.yaml:4:2: error: nel\n"
                 "    4 | d: 4\n"
                 "      |  ^\n"
                 "t.yaml:5:4: error: ls\n"
                 "    5 | e: ??\n"
                 "      |    ^\n"
                 "t.yaml:5:8: error: past the end\n"
                 "    5 | e: ??\n"
                 "      |        ^\n"
                 "t.yaml:6:1: error: after the last newline\n"
                 "t.yaml:9:1: error: no such line\n");
    free(out);
    af_arena_free(a);
}

/* Long lines are printed whole; wide line numbers widen the margin. */
static void test_long_line_and_margin(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    af_buf text = {0};
    for (int i = 1; i < 12345; i++)
        af_buf_puts(&text, "x\n");
    for (int i = 0; i < 500; i++)
        af_buf_puts(&text, "abcdefghij");
    af_buf_putc(&text, '\n');
    afc_src s = {"big.yaml", af_buf_cstr(&text), text.len};
    afc_error(d, at(&s, 12345, 4999), "far right");
    afc_error(d, at(&s, 7, 1), "short");
    char *out = printed(d);
    af_buf want = {0};
    af_buf_puts(&want, "big.yaml:7:1: error: short\n    7 | x\n      | ^\n");
    af_buf_puts(&want, "big.yaml:12345:4999: error: far right\n 12345 | ");
    for (int i = 0; i < 500; i++)
        af_buf_puts(&want, "abcdefghij");
    af_buf_puts(&want, "\n       | ");
    for (int i = 1; i < 4999; i++)
        af_buf_putc(&want, ' ');
    af_buf_puts(&want, "^\n");
    T_STREQ(out, af_buf_cstr(&want));
    free(out);
    af_buf_free(&want);
    af_buf_free(&text);
    af_arena_free(a);
}

/* A location with a line but no column, or a file but no line. */
static void test_partial_locations(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_src s = src_of("m.yaml", "first\nsecond\n");
    afc_warning(d, at(&s, 2, 0), "whole line");
    afc_error(d, at(&s, 0, 0), "whole file");
    char *out = printed(d);
    T_STREQ(out, "m.yaml: error: whole file\n"
                 "m.yaml:2: warning: whole line\n"
                 "    2 | second\n");
    free(out);
    af_arena_free(a);
}

static void test_suggest(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_src s = src_of("f.yaml", "jbos: []\n");
    const char *const keys[] = {"version", "flow", "jobs", "resources", NULL};
    afc_error(d, at(&s, 1, 1), "unknown key 'jbos'");
    afc_note_suggest(d, at(&s, 1, 1), "jbos", keys); /* distance 2, limit 1: none */
    afc_error(d, at(&s, 1, 1), "unknown key 'job'");
    afc_note_suggest(d, at(&s, 1, 1), "job", keys); /* distance 1 */
    afc_error(d, at(&s, 1, 1), "unknown key 'resourcs'");
    afc_note_suggest(d, at(&s, 1, 1), "resourcs", keys); /* distance 1, limit 2 */
    afc_error(d, at(&s, 1, 1), "unknown key 'versoin'");
    afc_note_suggest(d, at(&s, 1, 1), "versoin", keys); /* distance 2, limit 2 */
    afc_error(d, at(&s, 1, 1), "unknown key 'zzzz'");
    afc_note_suggest(d, at(&s, 1, 1), "zzzz", keys);
    afc_error(d, at(&s, 1, 1), "unknown key 'flow'");
    afc_note_suggest(d, at(&s, 1, 1), "flow", keys); /* the word itself is no suggestion */
    af_buf js = {0};
    afc_diags_json(d, &js);
    T_STREQ(
        af_buf_cstr(&js),
        "[{\"file\": \"f.yaml\", \"line\": 1, \"col\": 1, \"severity\": \"error\", \"message\": "
        "\"unknown key 'jbos'\", \"notes\": []}, "
        "{\"file\": \"f.yaml\", \"line\": 1, \"col\": 1, \"severity\": \"error\", \"message\": "
        "\"unknown key 'job'\", \"notes\": [{\"file\": \"f.yaml\", \"line\": 1, \"col\": 1, "
        "\"severity\": \"note\", \"message\": \"did you mean 'jobs'?\"}]}, "
        "{\"file\": \"f.yaml\", \"line\": 1, \"col\": 1, \"severity\": \"error\", \"message\": "
        "\"unknown key 'resourcs'\", \"notes\": [{\"file\": \"f.yaml\", \"line\": 1, \"col\": 1, "
        "\"severity\": \"note\", \"message\": \"did you mean 'resources'?\"}]}, "
        "{\"file\": \"f.yaml\", \"line\": 1, \"col\": 1, \"severity\": \"error\", \"message\": "
        "\"unknown key 'versoin'\", \"notes\": [{\"file\": \"f.yaml\", \"line\": 1, \"col\": 1, "
        "\"severity\": \"note\", \"message\": \"did you mean 'version'?\"}]}, "
        "{\"file\": \"f.yaml\", \"line\": 1, \"col\": 1, \"severity\": \"error\", \"message\": "
        "\"unknown key 'zzzz'\", \"notes\": []}, "
        "{\"file\": \"f.yaml\", \"line\": 1, \"col\": 1, \"severity\": \"error\", \"message\": "
        "\"unknown key 'flow'\", \"notes\": []}]");
    af_buf_free(&js);
    af_arena_free(a);
}

/* Ties go to the first candidate; the closest one wins otherwise. */
static void test_suggest_closest(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_pos none = {0};
    const char *const c[] = {"sftp_upload", "sftp_download", "smb_upload", NULL};
    afc_error(d, none, "x");
    afc_note_suggest(d, none, "sftp_uplod", c);
    afc_error(d, none, "y");
    afc_note_suggest(d, none, "smb_uploda", c);
    afc_error(d, none, "z");
    afc_note_suggest(d, none, "x", NULL);
    char *out = printed(d);
    T_STREQ(out, "afc: error: x\nafc: note: did you mean 'sftp_upload'?\n"
                 "afc: error: y\nafc: note: did you mean 'smb_upload'?\n"
                 "afc: error: z\n");
    free(out);
    af_arena_free(a);
}

static void test_werror(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_src s = src_of("w.yaml", "a: 1\n");
    afc_warning(d, at(&s, 1, 1), "unused key 'a'");
    T_INTEQ(afc_error_count(d), 0);
    T_INTEQ(afc_warning_count(d), 1);
    afc_diags_set_werror(d, 1);
    T_INTEQ(afc_error_count(d), 1);
    T_INTEQ(afc_warning_count(d), 0);
    char *out = printed(d);
    T_STREQ(out, "w.yaml:1:1: error: unused key 'a' [-Werror]\n"
                 "    1 | a: 1\n"
                 "      | ^\n");
    af_buf js = {0};
    afc_diags_json(d, &js);
    T_STREQ(af_buf_cstr(&js), "[{\"file\": \"w.yaml\", \"line\": 1, \"col\": 1, \"severity\": "
                              "\"error\", \"message\": \"unused key 'a'\", \"notes\": []}]");
    af_buf_free(&js);
    free(out);
    af_arena_free(a);
}

static void test_json_escapes_and_nulls(void)
{
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_pos none = {0};
    afc_error(d, none, "quote \" backslash \\ tab \t caf\xc3\xa9");
    af_buf js = {0};
    afc_diags_json(d, &js);
    T_STREQ(af_buf_cstr(&js), "[{\"file\": null, \"line\": null, \"col\": null, \"severity\": "
                              "\"error\", \"message\": \"quote \\\" backslash \\\\ tab \\t "
                              "caf\xc3\xa9\", \"notes\": []}]");
    af_buf_free(&js);
    afc_diags *empty = afc_diags_new(a);
    afc_diags_json(empty, &js);
    T_STREQ(af_buf_cstr(&js), "[]");
    char *out = printed(empty);
    T_STREQ(out, "");
    free(out);
    af_buf_free(&js);
    af_arena_free(a);
}

/* Reads what the slave side of a pty received. */
static char *drain(int master)
{
    af_buf b = {0};
    char chunk[4096];
    for (;;) {
        fd_set rf;
        FD_ZERO(&rf);
        FD_SET(master, &rf);
        struct timeval tv = {0, 200000};
        if (select(master + 1, &rf, NULL, NULL, &tv) <= 0) break;
        ssize_t n = read(master, chunk, sizeof chunk);
        if (n <= 0) break;
        af_buf_put(&b, chunk, (size_t)n);
    }
    char *r = strdup(af_buf_cstr(&b));
    af_buf_free(&b);
    return r;
}

/* On a terminal the output is coloured as gcc colours it, unless NO_COLOR. */
static void test_colour_on_tty(void)
{
    int master, slave;
    struct termios raw;
    cfmakeraw(&raw);
    if (openpty(&master, &slave, NULL, &raw, NULL) != 0) {
        T_CHECK(!"openpty failed");
        return;
    }
    FILE *tty = fdopen(slave, "w");
    af_arena *a = af_arena_new();
    afc_diags *d = afc_diags_new(a);
    afc_src s = src_of("c.yaml", "key: val\n");
    afc_error(d, at(&s, 1, 6), "bad value");
    afc_note(d, at(&s, 1, 1), "for this key");
    const char *term = getenv("TERM"), *nc = getenv("NO_COLOR");
    char *saved_term = term ? strdup(term) : NULL, *saved_nc = nc ? strdup(nc) : NULL;
    setenv("TERM", "xterm", 1);
    unsetenv("NO_COLOR");
    afc_diags_print(d, tty);
    char *out = drain(master);
    T_STREQ(
        out,
        "\033[01m\033[Kc.yaml:1:6:\033[m\033[K \033[01;31m\033[Kerror:\033[m\033[K bad value\n"
        "    1 | key: val\n"
        "      |      \033[01;31m\033[K^\033[m\033[K\n"
        "\033[01m\033[Kc.yaml:1:1:\033[m\033[K \033[01;36m\033[Knote:\033[m\033[K for this key\n"
        "    1 | key: val\n"
        "      | \033[01;36m\033[K^\033[m\033[K\n");
    free(out);
    setenv("NO_COLOR", "1", 1);
    afc_diags_print(d, tty);
    out = drain(master);
    T_STREQ(out, "c.yaml:1:6: error: bad value\n"
                 "    1 | key: val\n"
                 "      |      ^\n"
                 "c.yaml:1:1: note: for this key\n"
                 "    1 | key: val\n"
                 "      | ^\n");
    free(out);
    if (saved_nc)
        setenv("NO_COLOR", saved_nc, 1);
    else
        unsetenv("NO_COLOR");
    if (saved_term)
        setenv("TERM", saved_term, 1);
    else
        unsetenv("TERM");
    free(saved_nc);
    free(saved_term);
    fclose(tty);
    close(master);
    af_arena_free(a);
}

int main(void)
{
    T_RUN(test_error_with_caret);
    T_RUN(test_no_location);
    T_RUN(test_sorting_and_notes);
    T_RUN(test_tabs_and_utf8);
    T_RUN(test_line_breaks);
    T_RUN(test_long_line_and_margin);
    T_RUN(test_partial_locations);
    T_RUN(test_suggest);
    T_RUN(test_suggest_closest);
    T_RUN(test_werror);
    T_RUN(test_json_escapes_and_nulls);
    T_RUN(test_colour_on_tty);
    T_END();
}
