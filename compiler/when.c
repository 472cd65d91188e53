/*
 * when.c - job gating expressions: parse, check, emit C.
 *
 * A `when` is a Python expression in the reference (evaluated with an AST
 * allowlist). afc accepts the same language, restricted to what the
 * allowlist lets through and to reading job results:
 *
 *   expr    = or
 *   or      = and { "or" and }
 *   and     = not { "and" not }
 *   not     = "not" not | compare
 *   compare = primary { ("==" | "!=" | "<" | "<=" | ">" | ">=") primary }
 *   primary = "(" expr ")" | jobs "." JOB [ "." ATTR { "." KEY } ]
 *           | NUMBER | STRING { STRING } | "True" | "False" | "None"
 *
 * ATTR is outputs (optionally followed by keys), status, skip_reason or
 * skip_trigger; `jobs.JOB` alone is the job's whole result.
 * Before parsing, the text gets the reference's normalisation (" true" ->
 * " True", "==false" -> "== False", ...), so the same words work the same
 * way. Each expression becomes one C function that calls the af_when_*
 * helpers of the runtime: nothing is interpreted from text at run time.
 */
#include "afc.h"
#include "af_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    W_OR,
    W_AND,
    W_NOT,
    W_CMP,   /* chain: kids[0] op[0] kids[1] op[1] kids[2] ... */
    W_JOB,   /* jobs.JOB.attrs... */
    W_CONST, /* literal */
} wkind;

typedef struct wnode wnode;
struct wnode {
    wkind kind;
    size_t off;        /* byte offset in the normalised text */
    wnode **kids;
    size_t nkids;
    int *ops;          /* W_CMP: nkids - 1 operators */
    const char *job;   /* W_JOB */
    const char **attrs;
    size_t nattrs;
    af_value *val;     /* W_CONST */
};

struct afc_when {
    wnode *root;
    const char *text;  /* as written */
    afc_pos pos;       /* of the expression's start */
    const afc_node *node;
    size_t shift;      /* offset of the normalised text within the scalar */
};

typedef struct wp {
    af_arena *a;
    afc_diags *d;
    const afc_node *node;
    const char *s;     /* normalised text */
    size_t n, i;
    size_t shift;      /* offset of the normalised text's start within the scalar */
    const char *const *jobs;
    size_t njobs;
    int depth;         /* open parentheses: line breaks inside are blanks */
    int failed;
} wp;

static void werr(wp *p, size_t off, const char *fmt, const char *arg)
{
    if (p->failed) return;
    p->failed = 1;
    afc_pos pos = afc_pos_in(p->node, p->shift + off);
    afc_error(p->d, pos, fmt, arg);
}

/* Blanks as Python's tokenizer sees them: spaces, tabs, form feeds, `#`
 * comments, backslash-newline continuations, and line breaks inside
 * parentheses. A line break outside them ends the expression: only blank
 * lines and comments may follow (anything else is the reference's "invalid
 * syntax"). */
static void skip_ws(wp *p)
{
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c == ' ' || c == '\t' || c == '\f') {
            p->i++;
        } else if (c == '#') {
            while (p->i < p->n && p->s[p->i] != '\n' && p->s[p->i] != '\r')
                p->i++;
        } else if (c == '\\' && p->i + 1 < p->n &&
                   (p->s[p->i + 1] == '\n' || p->s[p->i + 1] == '\r')) {
            p->i += 2;
            if (p->s[p->i - 1] == '\r' && p->i < p->n && p->s[p->i] == '\n') p->i++;
        } else if (c == '\n' || c == '\r') {
            if (p->depth > 0) {
                p->i++;
                continue;
            }
            size_t j = p->i;
            while (j < p->n) {
                char d = p->s[j];
                if (d == '#')
                    while (j < p->n && p->s[j] != '\n' && p->s[j] != '\r')
                        j++;
                else if (d == ' ' || d == '\t' || d == '\f' || d == '\n' || d == '\r')
                    j++;
                else
                    break;
            }
            if (j < p->n) {
                werr(p, p->i,
                     "a line break outside parentheses ends the `when` expression "
                     "(the reference rejects it too)%s",
                     "");
                p->i = p->n;
                return;
            }
            p->i = j;
        } else {
            break;
        }
    }
}

/* Python keywords cannot be attribute or job names in an expression. */
static int py_keyword(const char *s)
{
    static const char *const kw[] = {
        "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
        "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
        "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
        "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield",    NULL};
    for (int i = 0; kw[i]; i++)
        if (!strcmp(s, kw[i])) return 1;
    return 0;
}

static int is_id0(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (unsigned char)c >= 0x80;
}

static int is_id(char c)
{
    return is_id0(c) || (c >= '0' && c <= '9');
}

/* Peeks an identifier at i; returns its length (0 if none). */
static size_t peek_ident(wp *p)
{
    size_t j = p->i;
    if (j >= p->n || !is_id0(p->s[j])) return 0;
    while (j < p->n && is_id(p->s[j])) j++;
    return j - p->i;
}

static int accept_kw(wp *p, const char *kw)
{
    skip_ws(p);
    size_t len = peek_ident(p);
    if (len == strlen(kw) && memcmp(p->s + p->i, kw, len) == 0) {
        p->i += len;
        return 1;
    }
    return 0;
}

static wnode *node_new(wp *p, wkind k, size_t off)
{
    wnode *w = af_alloc(p->a, sizeof *w);
    w->kind = k;
    w->off = off;
    return w;
}

static void add_kid(wp *p, wnode *w, wnode *kid)
{
    wnode **k = af_alloc(p->a, (w->nkids + 1) * sizeof *k);
    if (w->nkids) memcpy(k, w->kids, w->nkids * sizeof *k);
    k[w->nkids++] = kid;
    w->kids = k;
}

static wnode *parse_expr(wp *p);

static void put_utf8(af_buf *b, unsigned cp)
{
    if (cp < 0x80) {
        af_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        af_buf_putc(b, (char)(0xc0 | (cp >> 6)));
        af_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        af_buf_putc(b, (char)(0xe0 | (cp >> 12)));
        af_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        af_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
    } else {
        af_buf_putc(b, (char)(0xf0 | (cp >> 18)));
        af_buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
        af_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        af_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* A Python string literal: optional u/r prefix, single or double quotes,
 * Python's escapes (\n \t \xhh \ooo \uXXXX \UXXXXXXXX ..., an unknown escape
 * keeps its backslash). Bytes literals are refused: `when` compares text. */
static int parse_string(wp *p, af_buf *b)
{
    int raw = 0;
    size_t at = p->i;
    while (p->i < p->n && strchr("rRuUbBfF", p->s[p->i])) {
        char c = p->s[p->i];
        if (c == 'b' || c == 'B' || c == 'f' || c == 'F') {
            werr(p, at, "%s literals are not supported in `when`",
                 c == 'b' || c == 'B' ? "bytes" : "f-string");
            return -1;
        }
        if (c == 'r' || c == 'R') raw = 1;
        p->i++;
    }
    char q = p->s[p->i];
    if (p->i + 2 < p->n && p->s[p->i + 1] == q && p->s[p->i + 2] == q) {
        werr(p, p->i, "triple-quoted strings are not supported in `when`%s", "");
        return -1;
    }
    size_t start = p->i++;
    while (p->i < p->n && p->s[p->i] != q) {
        char c = p->s[p->i];
        if (c == '\n') break;
        if (c == '\\' && p->i + 1 < p->n) {
            char e = p->s[p->i + 1];
            if (raw) {
                af_buf_putc(b, '\\');
                af_buf_putc(b, e);
                p->i += 2;
                continue;
            }
            size_t esc = p->i;
            p->i += 2;
            unsigned cp;
            int nd = 0;
            switch (e) {
            case 'n': af_buf_putc(b, '\n'); break;
            case 't': af_buf_putc(b, '\t'); break;
            case 'r': af_buf_putc(b, '\r'); break;
            case 'a':
                af_buf_putc(b, '\a');
                break;
            case 'b':
                af_buf_putc(b, '\b');
                break;
            case 'f':
                af_buf_putc(b, '\f');
                break;
            case 'v':
                af_buf_putc(b, '\v');
                break;
            case '\\': af_buf_putc(b, '\\'); break;
            case '\'': af_buf_putc(b, '\''); break;
            case '"': af_buf_putc(b, '"'); break;
            case '\n': break;
            case '0':
            case '1':
            case '2':
            case '3':
            case '4':
            case '5':
            case '6':
            case '7':
                cp = (unsigned)(e - '0');
                for (int k = 0; k < 2 && p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '7'; k++)
                    cp = cp * 8 + (unsigned)(p->s[p->i++] - '0');
                put_utf8(b, cp);
                break;
            case 'x':
                nd = 2; /* fall through */
            case 'u':
                if (!nd) nd = 4; /* fall through */
            case 'U':
                if (!nd) nd = 8;
                cp = 0;
                for (int k = 0; k < nd; k++) {
                    int h = p->i < p->n ? hexval(p->s[p->i]) : -1;
                    if (h < 0) {
                        werr(p, esc, "truncated \\%s escape in `when` string",
                             e == 'x'   ? "x"
                             : e == 'u' ? "u"
                                        : "U");
                        return -1;
                    }
                    cp = cp * 16 + (unsigned)h;
                    p->i++;
                }
                if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                    werr(p, esc, "escape in `when` string is not a Unicode scalar value%s", "");
                    return -1;
                }
                put_utf8(b, cp);
                break;
            case 'N':
                werr(p, esc, "\\N{...} escapes are not supported in `when`%s", "");
                return -1;
            default:
                af_buf_putc(b, '\\');
                af_buf_putc(b, e);
                break;
            }
            continue;
        }
        af_buf_putc(b, c);
        p->i++;
    }
    if (p->i >= p->n || p->s[p->i] != q) {
        werr(p, start, "unterminated string in `when`%s", "");
        return -1;
    }
    p->i++;
    return 0;
}

/* Is there a string literal (with its prefix letters) at i? */
static int string_start(wp *p)
{
    size_t j = p->i, k = 0;
    while (j < p->n && k < 2 && strchr("rRuUbBfF", p->s[j]))
        j++, k++;
    return j < p->n && (p->s[j] == '"' || p->s[j] == '\'');
}

/* Digits of one kind with single underscores between them (Python's
 * digitpart); appends them without underscores. Returns the count, -1 on a
 * misplaced underscore. */
static int digit_run(wp *p, int base, char *buf, size_t *k, size_t cap)
{
    int nd = 0;
    for (;;) {
        char c = p->i < p->n ? p->s[p->i] : 0;
        int ok = base == 16  ? hexval(c) >= 0
                 : base == 8 ? (c >= '0' && c <= '7')
                 : base == 2 ? (c == '0' || c == '1')
                             : (c >= '0' && c <= '9');
        if (ok) {
            if (*k < cap - 1) buf[(*k)++] = c;
            nd++;
            p->i++;
            continue;
        }
        if (c == '_' && nd > 0) {
            char d = p->i + 1 < p->n ? p->s[p->i + 1] : 0;
            int next = base == 16  ? hexval(d) >= 0
                       : base == 8 ? (d >= '0' && d <= '7')
                       : base == 2 ? (d == '0' || d == '1')
                                   : (d >= '0' && d <= '9');
            if (!next) return -1;
            p->i++;
            continue;
        }
        return nd;
    }
}

/* A Python number literal, as the tokenizer reads it: decimal integers
 * (no leading zeros), 0x/0o/0b integers, floats with a point and/or an
 * exponent, single underscores between digits. Complex literals (1j) are
 * refused: no output ever equals one. */
static wnode *parse_number(wp *p)
{
    size_t start = p->i;
    char buf[128];
    size_t k = 0;
    int is_float = 0, base = 10, bad = 0;
    if (p->s[p->i] == '0' && p->i + 1 < p->n && strchr("xXoObB", p->s[p->i + 1])) {
        char c = p->s[p->i + 1];
        base = (c == 'x' || c == 'X') ? 16 : (c == 'o' || c == 'O') ? 8 : 2;
        p->i += 2;
        if (p->i < p->n && p->s[p->i] == '_') p->i++; /* 0x_1f */
        if (digit_run(p, base, buf, &k, sizeof buf) <= 0) bad = 1;
    } else {
        int nd = p->s[p->i] == '.' ? 0 : digit_run(p, 10, buf, &k, sizeof buf);
        if (nd < 0) bad = 1;
        if (!bad && p->i < p->n && p->s[p->i] == '.') {
            is_float = 1;
            if (k < sizeof buf - 1) buf[k++] = '.';
            p->i++;
            if (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
                if (digit_run(p, 10, buf, &k, sizeof buf) < 0) bad = 1;
            } else if (nd == 0) {
                bad = 1;
            }
        }
        if (!bad && p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
            size_t save = p->i;
            size_t ksave = k;
            if (k < sizeof buf - 1) buf[k++] = 'e';
            p->i++;
            if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) {
                if (k < sizeof buf - 1) buf[k++] = p->s[p->i];
                p->i++;
            }
            int ne = digit_run(p, 10, buf, &k, sizeof buf);
            if (ne > 0) {
                is_float = 1;
            } else if (ne < 0) {
                bad = 1;
            } else { /* "1else": the e starts the next word */
                p->i = save;
                k = ksave;
            }
        }
        if (!bad && !is_float && k > 1 && buf[0] == '0') {
            for (size_t i = 0; i < k; i++)
                if (buf[i] != '0') {
                    werr(p, start,
                         "leading zeros in decimal integer literals are not permitted "
                         "in `when`; use an 0o prefix for octal integers%s",
                         "");
                    return NULL;
                }
        }
    }
    buf[k] = 0;
    if (!bad && p->i < p->n && (p->s[p->i] == 'j' || p->s[p->i] == 'J')) {
        werr(p, start, "complex number literals are not supported in `when`%s", "");
        return NULL;
    }
    /* Python lets a number run into a keyword (1if, 1and); anything else
     * glued to it is an invalid literal */
    if (!bad && p->i < p->n && is_id(p->s[p->i])) {
        static const char *const kw[] = {"and", "else", "for", "if", "in", "is", "not", "or", NULL};
        int ok = 0;
        for (int i = 0; kw[i]; i++)
            if (!strncmp(p->s + p->i, kw[i], strlen(kw[i]))) ok = 1;
        if (!ok || base == 16) bad = 1;
    }
    if (bad || (p->i < p->n && p->s[p->i] == '.')) {
        werr(p, start, "invalid number in `when`%s", "");
        return NULL;
    }
    wnode *w = node_new(p, W_CONST, start);
    char *end;
    if (is_float) {
        w->val = af_double(p->a, strtod(buf, &end));
    } else {
        errno = 0;
        long long v = strtoll(buf, &end, base);
        if (errno == ERANGE) {
            werr(p, start, "integer %s is too large (afc's integers are 64-bit)", buf);
            return NULL;
        }
        w->val = af_int(p->a, v);
    }
    if (*end) {
        werr(p, start, "invalid number '%s' in `when`", buf);
        return NULL;
    }
    return w;
}

static const char *ident(wp *p)
{
    size_t len = peek_ident(p);
    const char *s = af_strndup(p->a, p->s + p->i, len);
    p->i += len;
    return s;
}

static wnode *parse_primary(wp *p)
{
    skip_ws(p);
    if (p->i >= p->n) {
        werr(p, p->i, "`when` expression ends too early%s", "");
        return NULL;
    }
    char c = p->s[p->i];
    size_t start = p->i;
    if (c == '(') {
        p->i++;
        p->depth++;
        wnode *w = parse_expr(p);
        skip_ws(p);
        if (!w) return NULL;
        if (p->i >= p->n || p->s[p->i] != ')') {
            werr(p, p->i, "expected ')' in `when`%s", "");
            return NULL;
        }
        p->i++;
        p->depth--;
        return w;
    }
    if (string_start(p)) {
        af_buf b = {0};
        for (;;) {
            if (parse_string(p, &b) < 0) {
                af_buf_free(&b);
                return NULL;
            }
            skip_ws(p);
            if (p->i < p->n && string_start(p)) continue;
            break;
        }
        wnode *w = node_new(p, W_CONST, start);
        w->val = af_strn(p->a, af_buf_cstr(&b), b.len);
        af_buf_free(&b);
        return w;
    }
    if ((c >= '0' && c <= '9') || (c == '.' && p->i + 1 < p->n && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9'))
        return parse_number(p);
    if (c == '-' || c == '+' || c == '~') {
        werr(p, start, "unary '%s' is not allowed in `when` (the reference rejects it too)",
             c == '-' ? "-" : c == '+' ? "+" : "~");
        return NULL;
    }
    if (is_id0(c)) {
        const char *name = ident(p);
        if (!strcmp(name, "True") || !strcmp(name, "False") || !strcmp(name, "None")) {
            wnode *w = node_new(p, W_CONST, start);
            w->val = !strcmp(name, "None") ? af_null() : af_bool(name[0] == 'T');
            return w;
        }
        if (!strcmp(name, "and") || !strcmp(name, "or") || !strcmp(name, "not") ||
            !strcmp(name, "in") || !strcmp(name, "is") || !strcmp(name, "if")) {
            werr(p, start, "unexpected '%s' in `when`", name);
            return NULL;
        }
        if (strcmp(name, "jobs") != 0) {
            werr(p, start, "unknown name '%s' in `when`: only jobs.<job>.outputs.<key>, "
                           "comparisons, and/or/not and literals are allowed",
                 name);
            return NULL;
        }
        /* jobs.JOB.attr[.key...] */
        wnode *w = node_new(p, W_JOB, start);
        const char *parts[64];
        size_t np = 0;
        while (p->i < p->n && p->s[p->i] == '.') {
            p->i++;
            size_t at = p->i;
            if (!peek_ident(p)) {
                werr(p, at, "expected a name after '.' in `when`%s", "");
                return NULL;
            }
            if (np == 64) {
                werr(p, at, "attribute chain too long in `when`%s", "");
                return NULL;
            }
            parts[np] = ident(p);
            if (py_keyword(parts[np])) {
                werr(p, at,
                     "'%s' is a Python keyword and cannot be a name in `when` (the "
                     "reference rejects it too)",
                     parts[np]);
                return NULL;
            }
            np++;
        }
        if (np < 1) {
            werr(p, start, "'jobs' must be followed by .<job>.outputs.<key> or .<job>.status%s", "");
            return NULL;
        }
        w->job = parts[0];
        int known = 0;
        for (size_t i = 0; i < p->njobs; i++)
            if (!strcmp(p->jobs[i], w->job)) known = 1;
        if (!known) {
            werr(p, start + 5, "`when` refers to job '%s', which is not an earlier job", w->job);
            if (p->njobs) {
                const char **cand = af_alloc(p->a, (p->njobs + 1) * sizeof *cand);
                memcpy(cand, p->jobs, p->njobs * sizeof *cand);
                afc_note_suggest(p->d, afc_pos_in(p->node, p->shift + start + 5), w->job, cand);
            }
            return NULL;
        }
        /* the reference's job result: {status, outputs, skip_reason,
         * skip_trigger}; the job itself and its outputs mapping can be read
         * whole (a SimpleNamespace there: always true, equal field by field) */
        if (np == 1 || !strcmp(parts[1], "outputs")) {
            /* any key below outputs */
        } else if (strcmp(parts[1], "status") && strcmp(parts[1], "skip_reason") &&
                   strcmp(parts[1], "skip_trigger")) {
            werr(p, start, "jobs.<job> has outputs, status, skip_reason and skip_trigger, not '%s'",
                 parts[1]);
            return NULL;
        } else if (np > 2) {
            werr(p, start, "jobs.<job>.%s is a string and has no attributes", parts[1]);
            return NULL;
        }
        w->nattrs = np - 1;
        w->attrs = af_alloc(p->a, w->nattrs * sizeof *w->attrs);
        memcpy(w->attrs, parts + 1, w->nattrs * sizeof *w->attrs);
        return w;
    }
    char what[2] = {c, 0};
    werr(p, start, "unexpected '%s' in `when`", what);
    return NULL;
}

static int cmp_op(wp *p)
{
    skip_ws(p);
    if (p->i + 1 < p->n) {
        const char *s = p->s + p->i;
        if (!strncmp(s, "==", 2)) return p->i += 2, AF_CMP_EQ;
        if (!strncmp(s, "!=", 2)) return p->i += 2, AF_CMP_NE;
        if (!strncmp(s, "<=", 2)) return p->i += 2, AF_CMP_LE;
        if (!strncmp(s, ">=", 2)) return p->i += 2, AF_CMP_GE;
    }
    if (p->i < p->n && p->s[p->i] == '<' && (p->i + 1 >= p->n || p->s[p->i + 1] != '<')) return p->i += 1, AF_CMP_LT;
    if (p->i < p->n && p->s[p->i] == '>' && (p->i + 1 >= p->n || p->s[p->i + 1] != '>')) return p->i += 1, AF_CMP_GT;
    return -1;
}

static wnode *parse_compare(wp *p)
{
    size_t start = p->i;
    wnode *x = parse_primary(p);
    if (!x) return NULL;
    int op = cmp_op(p);
    if (op < 0) return x;
    wnode *w = node_new(p, W_CMP, start);
    add_kid(p, w, x);
    int ops[64];
    size_t nops = 0;
    while (op >= 0) {
        if (nops == 64) {
            werr(p, p->i, "comparison chain too long%s", "");
            return NULL;
        }
        ops[nops++] = op;
        wnode *y = parse_primary(p);
        if (!y) return NULL;
        add_kid(p, w, y);
        op = cmp_op(p);
    }
    w->ops = af_alloc(p->a, nops * sizeof *w->ops);
    memcpy(w->ops, ops, nops * sizeof *w->ops);
    return w;
}

static wnode *parse_not(wp *p)
{
    skip_ws(p);
    size_t start = p->i;
    if (accept_kw(p, "not")) {
        wnode *x = parse_not(p);
        if (!x) return NULL;
        wnode *w = node_new(p, W_NOT, start);
        add_kid(p, w, x);
        return w;
    }
    return parse_compare(p);
}

static wnode *parse_bool(wp *p, wkind kind)
{
    skip_ws(p);
    size_t start = p->i;
    wnode *x = kind == W_OR ? parse_bool(p, W_AND) : parse_not(p);
    if (!x) return NULL;
    const char *kw = kind == W_OR ? "or" : "and";
    if (!accept_kw(p, kw)) return x;
    wnode *w = node_new(p, kind, start);
    add_kid(p, w, x);
    do {
        wnode *y = kind == W_OR ? parse_bool(p, W_AND) : parse_not(p);
        if (!y) return NULL;
        add_kid(p, w, y);
    } while (accept_kw(p, kw));
    return w;
}

static wnode *parse_expr(wp *p)
{
    return parse_bool(p, W_OR);
}

/* The reference's normalisation, applied in the same order. */
static char *replace_all(af_arena *a, const char *s, const char *from, const char *to)
{
    af_buf b = {0};
    size_t fl = strlen(from);
    const char *q;
    while ((q = strstr(s, from))) {
        af_buf_put(&b, s, (size_t)(q - s));
        af_buf_puts(&b, to);
        s = q + fl;
    }
    af_buf_puts(&b, s);
    char *r = af_strdup(a, af_buf_cstr(&b));
    af_buf_free(&b);
    return r;
}

afc_when *afc_when_parse(af_arena *a, afc_diags *d, const afc_node *n, const char *text,
                         const char *const *earlier, size_t nearlier)
{
    /* strip (Python str.strip) */
    size_t lead = 0, len = strlen(text);
    while (lead < len && strchr(" \t\n\r\f\v", text[lead])) lead++;
    while (len > lead && strchr(" \t\n\r\f\v", text[len - 1])) len--;
    char *norm = af_strndup(a, text + lead, len - lead);
    if (!*norm) return NULL;
    int changed = 0;
    static const char *const rep[][2] = {{" true", " True"},     {" false", " False"},
                                         {"==true", "== True"},  {"==false", "== False"},
                                         {"!=true", "!= True"},  {"!=false", "!= False"}};
    for (size_t i = 0; i < sizeof rep / sizeof rep[0]; i++) {
        char *r = replace_all(a, norm, rep[i][0], rep[i][1]);
        if (strcmp(r, norm)) changed = 1;
        norm = r;
    }
    wp p = {a, d, n, norm, strlen(norm), 0, changed ? 0 : lead, earlier, nearlier, 0};
    wnode *root = parse_expr(&p);
    skip_ws(&p);
    if (root && p.i < p.n) {
        char tok[32];
        snprintf(tok, sizeof tok, "%.20s", p.s + p.i);
        werr(&p, p.i, "unexpected '%s' in `when`", tok);
        root = NULL;
    }
    if (!root || p.failed) return NULL;
    afc_when *w = af_alloc(a, sizeof *w);
    w->root = root;
    w->text = text;
    w->node = n;
    w->pos = n->pos;
    w->shift = p.shift;
    return w;
}

/* ---- emission ------------------------------------------------------------------ */

typedef struct we {
    af_buf *out;
    const afc_when *w;
    const char *file;
    int temps;   /* temporaries allocated */
    int consts;  /* constants emitted */
    af_buf decls; /* static data emitted before the code */
} we;

static void loc_of(we *e, const wnode *x, af_buf *b)
{
    afc_pos pos = afc_pos_in(e->w->node, e->w->shift + x->off);
    af_buf_printf(b, "(af_loc){");
    afc_c_string(b, e->file, strlen(e->file));
    af_buf_printf(b, ", %d, %d}", pos.line, pos.col);
}

static void indent(af_buf *b, int depth)
{
    for (int i = 0; i < depth; i++) af_buf_puts(b, "    ");
}

/* Emits code computing x into a new temporary; returns its number. */
static int emit_node(we *e, const wnode *x, int depth)
{
    af_buf *b = e->out;
    int t = e->temps++;
    switch (x->kind) {
    case W_CONST: {
        int c = e->consts++;
        af_buf_printf(&e->decls, "    static const af_cval c%d = ", c);
        switch (x->val->type) {
        case AF_NULL: af_buf_puts(&e->decls, "{.type = AF_NULL}"); break;
        case AF_BOOL: af_buf_printf(&e->decls, "{.type = AF_BOOL, .u.b = %d}", x->val->u.b); break;
        case AF_INT: af_buf_printf(&e->decls, "{.type = AF_INT, .u.i = %lldLL}", (long long)x->val->u.i); break;
        case AF_DOUBLE: {
            /* a literal beyond double range (1e400) is inf in Python; C has no
             * literal for it, so spell it as the constant expression */
            char tmp[64];
            if (isinf(x->val->u.d))
                snprintf(tmp, sizeof tmp, "%s(1.0 / 0.0)", x->val->u.d < 0 ? "-" : "");
            else {
                snprintf(tmp, sizeof tmp, "%.17g", x->val->u.d);
                if (!strpbrk(tmp, ".eE")) strcat(tmp, ".0");
            }
            af_buf_printf(&e->decls, "{.type = AF_DOUBLE, .u.d = %s}", tmp);
            break;
        }
        default:
            af_buf_puts(&e->decls, "{.type = AF_STR, .u.s = {");
            afc_c_string(&e->decls, x->val->u.s.ptr, x->val->u.s.len);
            af_buf_printf(&e->decls, ", %zu}}", x->val->u.s.len);
            break;
        }
        af_buf_puts(&e->decls, ";\n");
        indent(b, depth);
        af_buf_printf(b, "if (!(t[%d] = af_when_const(w, &c%d))) return -1;\n", t, c);
        break;
    }
    case W_JOB: {
        int c = e->consts++;
        if (x->nattrs) {
            af_buf_printf(&e->decls, "    static const char *const a%d[] = {", c);
            for (size_t i = 0; i < x->nattrs; i++) {
                if (i) af_buf_puts(&e->decls, ", ");
                afc_c_string(&e->decls, x->attrs[i], strlen(x->attrs[i]));
            }
            af_buf_puts(&e->decls, "};\n");
        }
        indent(b, depth);
        af_buf_printf(b, "if (!(t[%d] = af_when_job(w, ", t);
        afc_c_string(b, x->job, strlen(x->job));
        if (x->nattrs)
            af_buf_printf(b, ", a%d, %zu, ", c, x->nattrs);
        else
            af_buf_puts(b, ", NULL, 0, ");
        loc_of(e, x, b);
        af_buf_puts(b, "))) return -1;\n");
        break;
    }
    case W_NOT: {
        int k = emit_node(e, x->kids[0], depth);
        indent(b, depth);
        af_buf_printf(b, "t[%d] = af_bool(!af_when_truthy(t[%d]));\n", t, k);
        break;
    }
    case W_AND:
    case W_OR: {
        /* Python: the first operand that decides, else the last */
        int k = emit_node(e, x->kids[0], depth);
        indent(b, depth);
        af_buf_printf(b, "t[%d] = t[%d];\n", t, k);
        for (size_t i = 1; i < x->nkids; i++) {
            indent(b, depth + (int)i - 1);
            af_buf_printf(b, "if (%saf_when_truthy(t[%d])) {\n", x->kind == W_AND ? "" : "!", t);
            int k2 = emit_node(e, x->kids[i], depth + (int)i);
            indent(b, depth + (int)i);
            af_buf_printf(b, "t[%d] = t[%d];\n", t, k2);
        }
        for (size_t i = x->nkids - 1; i >= 1; i--) {
            indent(b, depth + (int)i - 1);
            af_buf_puts(b, "}\n");
        }
        break;
    }
    case W_CMP: {
        static const char *const opn[] = {"AF_CMP_EQ", "AF_CMP_NE", "AF_CMP_LT",
                                          "AF_CMP_LE", "AF_CMP_GT", "AF_CMP_GE"};
        int left = emit_node(e, x->kids[0], depth);
        for (size_t i = 1; i < x->nkids; i++) {
            if (i > 1) {
                indent(b, depth + (int)i - 2);
                af_buf_printf(b, "if (af_when_truthy(t[%d])) {\n", t);
            }
            int dd = depth + (int)i - 1;
            int right = emit_node(e, x->kids[i], dd);
            indent(b, dd);
            af_buf_printf(b, "if (!(t[%d] = af_when_cmp(w, %s, t[%d], t[%d], ", t, opn[x->ops[i - 1]],
                          left, right);
            loc_of(e, x->kids[i], b);
            af_buf_puts(b, "))) return -1;\n");
            left = right;
        }
        for (size_t i = x->nkids - 1; i >= 2; i--) {
            indent(b, depth + (int)i - 2);
            af_buf_puts(b, "}\n");
        }
        break;
    }
    }
    return t;
}

void afc_when_emit(af_buf *out, const afc_when *w, const char *name, const char *file)
{
    we e = {0};
    af_buf code = {0};
    e.out = &code;
    e.w = w;
    e.file = file;
    int r = emit_node(&e, w->root, 1);
    af_buf_printf(out, "/* %s:%d:%d: when: ", file, w->pos.line, w->pos.col);
    for (const char *s = w->text; *s; s++) {
        if (*s == '*' && s[1] == '/') af_buf_puts(out, "* ");
        else if (*s == '\n') af_buf_putc(out, ' ');
        else af_buf_putc(out, *s);
    }
    af_buf_printf(out, " */\nstatic int %s(af_when *w)\n{\n", name);
    af_buf_puts(out, af_buf_cstr(&e.decls));
    af_buf_printf(out, "    const af_value *t[%d];\n", e.temps);
    af_buf_puts(out, af_buf_cstr(&code));
    af_buf_printf(out, "    return af_when_truthy(t[%d]);\n}\n\n", r);
    af_buf_free(&code);
    af_buf_free(&e.decls);
}
