/*
 * load.c - the compiler's first stage: YAML text -> afc_node tree.
 *
 * libyaml parses; this file composes its events into raw nodes (anchors,
 * aliases, tags, marks), then constructs afc_nodes from them the way
 * PyYAML's SafeLoader constructs Python objects, so a flow file means the
 * same to afc as to the Python reference (yaml.safe_load, YAML 1.1):
 *
 *   compose    events -> rnode graph; tags resolved (implicit resolvers
 *              below mirror PyYAML's regexes); aliases point at anchors
 *   construct  rnode -> afc_node, memoised per rnode (shared anchors give a
 *              DAG); merge keys flattened as PyYAML's flatten_mapping does;
 *              duplicate keys, unhashable keys, recursion and unknown tags
 *              reported
 *
 * Every error goes to afc_diags with a location and loading goes on where
 * it can, so one run shows them all. Where afc is stricter than PyYAML
 * (duplicate keys, recursive aliases, size limits) docs/yaml.md says so.
 */
#include "afc.h"
#include "af_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* PyYAML hits Python's recursion limit at about 450 levels; we allow more
 * but not without bound: every later stage walks the tree recursively. */
#define MAX_DEPTH 1000
/* Aliases and merge keys may grow a document beyond its text, but not by
 * more than this many nodes (a "billion laughs" file stops here). */
#define MAX_EXTRA_NODES 1000000
/* Python's own limit for decimal ints is 4300 digits; for binary, octal and
 * hex literals (which Python does not limit) we stop at this many bits. */
#define MAX_INT_BITS 65536
#define PY_INT_MAX_STR_DIGITS 4300

/* ---- tags ------------------------------------------------------------------- */

typedef enum ytag {
    T_STR,
    T_NULL,
    T_BOOL,
    T_INT,
    T_FLOAT,
    T_TIMESTAMP,
    T_BINARY,
    T_SEQ,
    T_MAP,
    T_SET,
    T_OMAP,
    T_PAIRS,
    T_MERGE, /* "<<" */
    T_VALUE, /* "=" */
    T_YAML,  /* "!", "&", "*": PyYAML's documentation-only resolver */
    T_OTHER, /* anything else: no constructor */
} ytag;

#define YTAG "tag:yaml.org,2002:"

static const struct {
    const char *suffix;
    ytag tag;
} known_tags[] = {
    {"str", T_STR},       {"null", T_NULL},   {"bool", T_BOOL},
    {"int", T_INT},       {"float", T_FLOAT}, {"timestamp", T_TIMESTAMP},
    {"binary", T_BINARY}, {"seq", T_SEQ},     {"map", T_MAP},
    {"set", T_SET},       {"omap", T_OMAP},   {"pairs", T_PAIRS},
    {"merge", T_MERGE},   {"value", T_VALUE}, {"yaml", T_YAML},
};

static ytag tag_of(const char *name)
{
    if (strncmp(name, YTAG, strlen(YTAG)) != 0) return T_OTHER;
    const char *s = name + strlen(YTAG);
    for (size_t i = 0; i < sizeof known_tags / sizeof known_tags[0]; i++)
        if (strcmp(s, known_tags[i].suffix) == 0) return known_tags[i].tag;
    return T_OTHER;
}

static const char *tag_name(ytag t)
{
    for (size_t i = 0; i < sizeof known_tags / sizeof known_tags[0]; i++)
        if (known_tags[i].tag == t) return known_tags[i].suffix;
    return "?";
}

/* ---- nodes ------------------------------------------------------------------ */

typedef struct rnode rnode;
typedef struct bnode bnode;

typedef struct rpair {
    rnode *k, *v;
    int own; /* written in this mapping (not brought in by a merge key) */
} rpair;

/* A node as composed from events, before construction. */
struct rnode {
    afc_nkind kind;
    int alias;     /* an alias occurrence: target is the anchored node */
    rnode *target; /* NULL for an undefined alias */
    ytag tag;
    const char *tagname; /* as libyaml expanded it, for messages */
    const char *anchor;
    const char *text; /* scalars */
    size_t len;
    int quoted; /* not plain style */
    afc_pos pos;
    rnode **kids; /* SEQ: items; MAP: key, value, key, value, ... */
    size_t n, cap;
    /* construction */
    unsigned char state;  /* 0 new, 1 being built, 2 built */
    unsigned char fstate; /* flatten: 0 new, 1 running, 2 done */
    bnode *built;
    rpair *flat; /* flattened pairs (merges first), when fstate == 2 */
    size_t nflat;
};

/* What we hand out: an afc_node plus what the limits need. */
struct bnode {
    afc_node n;
    uint64_t size; /* nodes in the fully expanded subtree */
    int depth;     /* its depth when aliases are expanded */
};

typedef struct anchor_slot {
    const char *name;
    rnode *node;
} anchor_slot;

typedef struct loader {
    af_arena *a;
    afc_diags *d;
    afc_src *src;
    yaml_parser_t p;
    yaml_event_t ev;
    int have_ev;
    int failed; /* parsing stopped: no tree */
    int nerr;   /* errors this load reported */
    anchor_slot *anchors;
    size_t nanchors, capanchors;
    size_t nraw;          /* raw nodes composed */
    uint64_t slots;       /* key and item slots made while constructing */
    int aborted;          /* a size limit was hit: construct no further */
    afc_pos end;          /* just past the last character (line 0: not known yet) */
    size_t c_idx, c_byte; /* byte_of_char's last answer: events move forward */
    struct cursor *pc;    /* after_colon's position cursor */
    afc_pos syntax;       /* where libyaml found a syntax error (line 0: none) */
    int live_depth;       /* construct() calls under way */
} loader;

static void lerror(loader *L, afc_pos pos, const char *fmt, ...) AF_PRINTF(3, 4);
static void lerror(loader *L, afc_pos pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = af_vsprintf(L->a, fmt, ap);
    va_end(ap);
    afc_error(L->d, pos, "%s", msg);
    L->nerr++;
}

static int has_bom(const loader *L)
{
    return L->src->len >= 3 && memcmp(L->src->text, "\xef\xbb\xbf", 3) == 0;
}

/* A UTF-8 byte order mark: libyaml, told the text is UTF-8, would take it
 * for a character of the first line, so it never sees it (PyYAML skips it
 * too, without counting a column). */
static size_t bom_len(const loader *L)
{
    return has_bom(L) ? 3 : 0;
}

/* libyaml's 0-based mark as a 1-based position. */
static afc_pos mkpos(loader *L, yaml_mark_t m)
{
    afc_pos p = {L->src, m.line >= INT_MAX ? INT_MAX : (int)m.line + 1,
                 m.column >= INT_MAX ? INT_MAX : (int)m.column + 1};
    return p;
}

/* Python repr() of a string, as PyYAML's messages print it (%r). */
static const char *pyrepr(loader *L, const char *s, size_t n)
{
    af_buf b = {0};
    af_value v = {.type = AF_STR};
    v.u.s.ptr = s;
    v.u.s.len = n;
    af_py_repr(&b, &v);
    const char *r = af_strndup(L->a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return r;
}

/* The same, cut to 200 characters as CPython's "%.200R" does. */
static const char *pyrepr200(loader *L, const char *s, size_t n)
{
    const char *r = pyrepr(L, s, n);
    size_t i = 0, chars = 0, len = strlen(r);
    while (i < len && chars < 200) {
        unsigned cp;
        i += (size_t)af__utf8_decode((const unsigned char *)r + i, len - i, &cp);
        chars++;
    }
    return i < len ? af_strndup(L->a, r, i) : r;
}

static const char *node_id(const rnode *r)
{
    return r->kind == AFC_SCALAR ? "scalar" : r->kind == AFC_SEQ ? "sequence" : "mapping";
}

/* ---- syntax errors ---------------------------------------------------------- */

/* Byte offset of character index idx (libyaml counts characters). Marks
 * mostly move forward, so the walk starts from the last answer. */
static size_t byte_of_char(loader *L, size_t idx)
{
    const unsigned char *t = (const unsigned char *)L->src->text;
    size_t n = L->src->len;
    if (idx < L->c_idx || !L->c_byte) {
        L->c_idx = 0;
        L->c_byte = bom_len(L);
    }
    size_t i = L->c_byte, k = L->c_idx;
    while (k < idx && i < n) {
        unsigned cp;
        i += (size_t)af__utf8_decode(t + i, n - i, &cp);
        k++;
    }
    L->c_idx = k;
    L->c_byte = i;
    return i;
}

static size_t ybreak(const char *p, const char *end)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t left = (size_t)(end - p);
    if (u[0] == '\n') return 1;
    if (u[0] == '\r') return left > 1 && u[1] == '\n' ? 2 : 1;
    if (left >= 2 && u[0] == 0xc2 && u[1] == 0x85) return 2;
    if (left >= 3 && u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)) return 3;
    return 0;
}

/* A position moving forward through the text: line and column of a byte
 * offset, counted as libyaml counts them (and PyYAML, for the BOM). */
typedef struct cursor {
    size_t off;
    afc_pos pos;
} cursor;

static afc_pos cursor_to(loader *L, cursor *c, size_t off)
{
    const char *t = L->src->text, *end = t + L->src->len;
    if (!c->pos.src || off < c->off) {
        c->pos = (afc_pos){L->src, 1, 1};
        c->off = has_bom(L) && off >= 3 ? 3 : 0;
    }
    size_t i = c->off;
    while (i < off && t + i < end) {
        size_t b = ybreak(t + i, end);
        if (b) {
            i += b;
            c->pos.line++;
            c->pos.col = 1;
        } else {
            unsigned cp;
            i += (size_t)af__utf8_decode((const unsigned char *)t + i, (size_t)(end - t - i), &cp);
            c->pos.col++;
        }
    }
    c->off = i;
    return c->pos;
}

static afc_pos pos_of_byte(loader *L, size_t off)
{
    cursor c = {0};
    return cursor_to(L, &c, off);
}

/* libyaml puts the end of the stream on a line of its own; point at the real
 * end of the text instead, as PyYAML does. */
static afc_pos clamp_to_end(loader *L, afc_pos p)
{
    if (!L->end.line) L->end = pos_of_byte(L, L->src->len);
    afc_pos e = L->end;
    if (p.line > e.line || (p.line == e.line && p.col > e.col)) return e;
    return p;
}

/* What a PyYAML message would call the token at byte offset off. */
static const char *found_token(loader *L, size_t off)
{
    const char *t = L->src->text + off, *end = L->src->text + L->src->len;
    if (t >= end) return "'<stream end>'";
    int blank_after = t + 1 >= end || t[1] == ' ' || t[1] == '\t' || ybreak(t + 1, end);
    switch (*t) {
    case '[':
        return "'['";
    case ']':
        return "']'";
    case '{':
        return "'{'";
    case '}':
        return "'}'";
    case ',':
        return "','";
    case '&':
        return "'<anchor>'";
    case '*':
        return "'<alias>'";
    case '!':
        return "'<tag>'";
    case '?':
        return blank_after ? "'?'" : "'<scalar>'";
    case ':':
        return blank_after ? "':'" : "'<scalar>'";
    case '-':
        if (end - t >= 3 && memcmp(t, "---", 3) == 0) return "'<document start>'";
        return blank_after ? "'-'" : "'<scalar>'";
    case '.':
        if (end - t >= 3 && memcmp(t, "...", 3) == 0) return "'<document end>'";
        return "'<scalar>'";
    case '%':
        return "'<directive>'";
    default:
        return "'<scalar>'";
    }
}

/* Python repr of the character at byte offset off, or '<stream end>'. */
static const char *found_char(loader *L, size_t off)
{
    const char *t = L->src->text, *end = t + L->src->len;
    if (t + off >= end) return "'<stream end>'";
    size_t b = ybreak(t + off, end);
    unsigned cp;
    int n =
        b ? (int)b : af__utf8_decode((const unsigned char *)t + off, (size_t)(end - t - off), &cp);
    return pyrepr(L, t + off, (size_t)n);
}

static void report_yaml_error(loader *L)
{
    yaml_parser_t *p = &L->p;
    afc_pos nopos = {0};
    L->failed = 1;
    if (p->error == YAML_MEMORY_ERROR) {
        lerror(L, nopos, "%s: out of memory while parsing YAML", L->src->path);
        return;
    }
    const char *problem = p->problem ? p->problem : "unknown YAML error";
    if (p->error == YAML_READER_ERROR) {
        afc_pos pos = pos_of_byte(L, p->problem_offset + bom_len(L));
        L->syntax = pos;
        if (strstr(problem, "control characters"))
            lerror(L, pos, "unacceptable character #x%04x: special characters are not allowed",
                   (unsigned)p->problem_value);
        else if (strstr(problem, "UTF-8"))
            lerror(L, pos, "the file is not valid UTF-8 (%s, byte 0x%02x)", problem,
                   (unsigned)p->problem_value & 0xff);
        else if (strstr(problem, "Unicode character"))
            lerror(L, pos, "invalid Unicode character U+%04X", (unsigned)p->problem_value);
        else
            lerror(L, pos, "%s", problem);
        return;
    }
    afc_pos pos = clamp_to_end(L, mkpos(L, p->problem_mark));
    L->syntax = pos;
    size_t off = byte_of_char(L, p->problem_mark.index);
    const char *msg = problem;
    static const struct {
        const char *from, *to;
        char arg; /* 0 none, c: char at mark, n: char after it, t: token, h: tag handle */
    } rewrite[] = {
        {"mapping values are not allowed in this context", "mapping values are not allowed here",
         0},
        {"block sequence entries are not allowed in this context",
         "sequence entries are not allowed here", 0},
        {"found character that cannot start any token",
         "found character %s that cannot start any token", 'c'},
        {"did not find expected ',' or ']'", "expected ',' or ']', but found %s", 't'},
        {"did not find expected ',' or '}'", "expected ',' or '}', but found %s", 't'},
        {"did not find expected <document start>", "expected '<document start>', but found %s",
         't'},
        {"did not find expected node content", "expected the node content, but found %s", 't'},
        {"did not find expected alphabetic or numeric character",
         "expected alphabetic or numeric character, but found %s", 'c'},
        {"did not find the expected '>'", "expected '>', but found %s", 'c'},
        {"found unknown escape character", "found unknown escape character %s", 'n'},
        {"did not find expected hexdecimal number",
         "expected a hexadecimal digit in the escape sequence, but found %s", 'c'},
        {"found an indentation indicator equal to 0",
         "expected indentation indicator in the range 1-9, but found 0", 0},
        {"found incompatible YAML document",
         "found incompatible YAML document (version 1.* is required)", 0},
        {"found undefined tag handle", "found undefined tag handle %s", 'h'},
        {"found duplicate %YAML directive", "found duplicate YAML directive", 0},
    };
    for (size_t i = 0; i < sizeof rewrite / sizeof rewrite[0]; i++) {
        if (strcmp(problem, rewrite[i].from) != 0) continue;
        const char *arg = "";
        if (rewrite[i].arg == 'c') arg = found_char(L, off);
        if (rewrite[i].arg == 'n') {
            size_t o = off < L->src->len && L->src->text[off] == '\\' ? off + 1 : off;
            arg = found_char(L, o);
        }
        if (rewrite[i].arg == 't') arg = found_token(L, off);
        if (rewrite[i].arg == 'h') {
            const char *t = L->src->text, *end = t + L->src->len, *q = t + off;
            if (q < end && *q == '!') q++;
            while (q < end && *q != '!' && *q != ' ' && *q != '\t' && !ybreak(q, end))
                q++;
            if (q < end && *q == '!') q++;
            arg = pyrepr(L, t + off, (size_t)(q - (t + off)));
        }
        msg = af_sprintf(L->a, rewrite[i].to, arg);
        break;
    }
    lerror(L, pos, "%s", msg);
    if (p->context && strcmp(p->context, "while scanning for the next token") != 0) {
        afc_pos cpos = clamp_to_end(L, mkpos(L, p->context_mark));
        const char *ctx = p->context;
        if (strcmp(ctx, "while parsing a quoted scalar") == 0)
            ctx = "while scanning a quoted scalar";
        if (cpos.line != pos.line || cpos.col != pos.col) afc_note(L->d, cpos, "%s", ctx);
    }
}

/* An error of the second scanner pass, unless it is at or after a syntax
 * error libyaml reported: PyYAML would have stopped there too. */
static void scan_error(loader *L, afc_pos pos, const char *fmt, ...) AF_PRINTF(3, 4);
static void scan_error(loader *L, afc_pos pos, const char *fmt, ...)
{
    if (L->syntax.line &&
        (pos.line > L->syntax.line || (pos.line == L->syntax.line && pos.col >= L->syntax.col)))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = af_vsprintf(L->a, fmt, ap);
    va_end(ap);
    lerror(L, pos, "%s", msg);
}

/* Where libyaml's scanner accepts what PyYAML's rejects, a file the
 * reference cannot read should not build either. A second pass of libyaml's
 * scanner finds the cases that matter:
 *   - tabs: PyYAML accepts them only inside quoted and block scalars and
 *     comments; libyaml also as separators and inside plain scalars;
 *   - '?' inside a plain scalar in a flow collection: PyYAML ends the
 *     scalar there and then fails on the '?';
 *   - a tag followed by anything but a space or a line break.
 * One error per line for tabs and '?'. */
static void check_pyyaml_scanner(loader *L)
{
    const char *t = L->src->text, *end = t + L->src->len;
    yaml_parser_t sp;
    if (!yaml_parser_initialize(&sp)) return;
    size_t skip = bom_len(L);
    yaml_parser_set_input_string(&sp, (const unsigned char *)t + skip, L->src->len - skip);
    yaml_parser_set_encoding(&sp, YAML_UTF8_ENCODING);
    size_t cur_byte = skip, cur_char = 0; /* a cursor moving forward through the text */
    size_t prev_end = skip;               /* byte where the previous token ended */
    int last_line = 0, flow = 0;
    af_buf open = {0}; /* the closing bracket each open flow collection wants */
    cursor where = {0};
    for (;;) {
        yaml_token_t tok;
        if (!yaml_parser_scan(&sp, &tok)) break;
        yaml_token_type_t type = tok.type;
        /* the flow brackets must pair up: libyaml lets "[?]]" through */
        int unbalanced = 0;
        if (type == YAML_FLOW_SEQUENCE_START_TOKEN || type == YAML_FLOW_MAPPING_START_TOKEN) {
            af_buf_putc(&open, type == YAML_FLOW_SEQUENCE_START_TOKEN ? ']' : '}');
            flow++;
        }
        if (type == YAML_FLOW_SEQUENCE_END_TOKEN || type == YAML_FLOW_MAPPING_END_TOKEN) {
            char want = type == YAML_FLOW_SEQUENCE_END_TOKEN ? ']' : '}';
            if (!flow || open.data[flow - 1] != want) unbalanced = 1;
            if (flow) open.len = (size_t)--flow;
        }
        int style = type == YAML_SCALAR_TOKEN ? (int)tok.data.scalar.style : 0;
        size_t sidx = tok.start_mark.index, eidx = tok.end_mark.index;
        yaml_token_delete(&tok);
        /* char index -> byte offset, forward only */
        size_t sb, eb;
        while (cur_char < sidx && cur_byte < L->src->len) {
            unsigned cp;
            cur_byte += (size_t)af__utf8_decode((const unsigned char *)t + cur_byte,
                                                L->src->len - cur_byte, &cp);
            cur_char++;
        }
        sb = cur_byte;
        size_t tb = cur_byte, tc = cur_char;
        while (tc < eidx && tb < L->src->len) {
            unsigned cp;
            tb += (size_t)af__utf8_decode((const unsigned char *)t + tb, L->src->len - tb, &cp);
            tc++;
        }
        eb = tb;
        /* the gap before the token: blanks, breaks and comments */
        int comment = 0;
        for (size_t i = prev_end; i < sb && i < L->src->len; i++) {
            if (ybreak(t + i, end))
                comment = 0;
            else if (t[i] == '#')
                comment = 1;
            else if (t[i] == '\t' && !comment) {
                afc_pos pos = cursor_to(L, &where, i);
                if (pos.line != last_line) {
                    scan_error(L, pos, "found a tab character where PyYAML accepts only spaces");
                    last_line = pos.line;
                }
            }
        }
        /* inside the token: quoted scalars may hold tabs, block scalars too
         * (but not on their header line, outside its comment) */
        size_t limit = eb;
        if (type == YAML_SCALAR_TOKEN &&
            (style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE))
            limit = sb;
        if (type == YAML_SCALAR_TOKEN &&
            (style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE)) {
            /* PyYAML wants a space or a line break after "|+2" and the like */
            size_t h = sb + 1;
            for (int k = 0; k < 2 && h < eb && strchr("+-123456789", t[h]) && t[h]; k++)
                h++;
            if (h < L->src->len && t[h] != ' ' && t[h] != '\t' && !ybreak(t + h, end)) {
                afc_pos pos = cursor_to(L, &where, h);
                scan_error(L, pos, "expected chomping or indentation indicators, but found %s",
                           found_char(L, h));
            }
            limit = sb;
            while (limit < eb && !ybreak(t + limit, end) && t[limit] != '#')
                limit++;
        }
        for (size_t i = sb; i < limit; i++) {
            int plain_q = t[i] == '?' && flow && type == YAML_SCALAR_TOKEN &&
                          style == YAML_PLAIN_SCALAR_STYLE;
            if (t[i] != '\t' && !plain_q) continue;
            afc_pos pos = cursor_to(L, &where, i);
            if (pos.line == last_line) continue;
            if (plain_q)
                scan_error(L, pos,
                           "found '?' inside a plain scalar in a flow collection, where "
                           "PyYAML ends the scalar (quote the string)");
            else
                scan_error(L, pos, "found a tab character where PyYAML accepts only spaces");
            last_line = pos.line;
        }
        if (unbalanced)
            scan_error(L, cursor_to(L, &where, sb), "found unexpected %s", found_char(L, sb));
        /* PyYAML wants a space or a line break after a tag; libyaml also takes
         * a flow indicator, where PyYAML makes ',', '[' and ']' part of the
         * tag (and then knows no constructor for it) */
        if (type == YAML_TAG_TOKEN && eb < L->src->len && t[eb] != ' ' && t[eb] != '\t' &&
            !ybreak(t + eb, end)) {
            afc_pos pos = cursor_to(L, &where, sb);
            scan_error(L, pos, "expected ' ' after the tag, but found %s", found_char(L, eb));
            last_line = pos.line;
        }
        prev_end = eb > prev_end ? eb : prev_end;
        if (type == YAML_STREAM_END_TOKEN) break;
    }
    af_buf_free(&open);
    yaml_parser_delete(&sp);
}

/* ---- implicit resolution: PyYAML's Resolver regexes ------------------------ */

static int dig(char c)
{
    return c >= '0' && c <= '9';
}

/* [0-5]?[0-9] after a ':' of a sexagesimal number; returns chars used or 0 */
static size_t sexa_group(const char *s, size_t i, size_t n)
{
    if (i >= n || !dig(s[i])) return 0;
    if (i + 1 < n && dig(s[i + 1]) && s[i] <= '5') return 2;
    return 1;
}

/* (?:[eE][-+][0-9]+)?$ from i */
static int exp_tail(const char *s, size_t i, size_t n)
{
    if (i == n) return 1;
    if (s[i] != 'e' && s[i] != 'E') return 0;
    i++;
    if (i >= n || (s[i] != '-' && s[i] != '+')) return 0;
    i++;
    if (i >= n || !dig(s[i])) return 0;
    while (i < n && dig(s[i]))
        i++;
    return i == n;
}

static int m_bool(const char *s, size_t n)
{
    static const char *const words[] = {"yes",  "Yes",  "YES",  "no",    "No",    "NO",
                                        "true", "True", "TRUE", "false", "False", "FALSE",
                                        "on",   "On",   "ON",   "off",   "Off",   "OFF"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0) return 1;
    return 0;
}

static int m_null(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '~') ||
           (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static int m_float(const char *s, size_t n)
{
    size_t j = n && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (n - j == 4 && s[j] == '.' &&
        (!memcmp(s + j + 1, "inf", 3) || !memcmp(s + j + 1, "Inf", 3) ||
         !memcmp(s + j + 1, "INF", 3)))
        return 1;
    if (n == 4 && s[0] == '.' &&
        (!memcmp(s + 1, "nan", 3) || !memcmp(s + 1, "NaN", 3) || !memcmp(s + 1, "NAN", 3)))
        return 1;
    size_t i;
    if (n >= 2 && s[0] == '.' && dig(s[1])) { /* \.[0-9][0-9_]*(exp)? */
        i = 2;
        while (i < n && (dig(s[i]) || s[i] == '_'))
            i++;
        return exp_tail(s, i, n);
    }
    i = j;
    if (i >= n || !dig(s[i])) return 0;
    i++;
    while (i < n && (dig(s[i]) || s[i] == '_'))
        i++;
    if (i < n && s[i] == '.') { /* [-+]?[0-9][0-9_]*\.[0-9_]*(exp)? */
        i++;
        while (i < n && (dig(s[i]) || s[i] == '_'))
            i++;
        return exp_tail(s, i, n);
    }
    int groups = 0; /* [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* */
    while (i < n && s[i] == ':') {
        size_t g = sexa_group(s, i + 1, n);
        if (!g) return 0;
        i += 1 + g;
        groups++;
    }
    if (!groups || i >= n || s[i] != '.') return 0;
    i++;
    while (i < n && (dig(s[i]) || s[i] == '_'))
        i++;
    return i == n;
}

static int m_int(const char *s, size_t n)
{
    size_t j = n && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    const char *r = s + j;
    size_t m = n - j, i;
    if (m == 0) return 0;
    if (r[0] == '0') {
        if (m == 1) return 1;
        if (r[1] == 'b') {
            if (m == 2) return 0;
            for (i = 2; i < m; i++)
                if (r[i] != '0' && r[i] != '1' && r[i] != '_') return 0;
            return 1;
        }
        if (r[1] == 'x') {
            if (m == 2) return 0;
            for (i = 2; i < m; i++)
                if (!dig(r[i]) && !(r[i] >= 'a' && r[i] <= 'f') && !(r[i] >= 'A' && r[i] <= 'F') &&
                    r[i] != '_')
                    return 0;
            return 1;
        }
        for (i = 1; i < m; i++)
            if (!(r[i] >= '0' && r[i] <= '7') && r[i] != '_') return 0;
        return 1;
    }
    if (r[0] < '1' || r[0] > '9') return 0;
    i = 1;
    while (i < m && (dig(r[i]) || r[i] == '_'))
        i++;
    if (i == m) return 1;
    int groups = 0;
    while (i < m && r[i] == ':') {
        size_t g = sexa_group(r, i + 1, m);
        if (!g) return 0;
        i += 1 + g;
        groups++;
    }
    return groups && i == m;
}

/* The timestamp shape shared by the resolver and the constructor. */
typedef struct ts {
    int year, month, day, has_time, hour, minute, second, usec;
    int two_digit_md; /* month and day both written with two digits */
    int tz;           /* 0 none, 1 Z, 2 offset */
    int tz_minutes;   /* signed offset */
} ts;

/* Takes 1 or 2 digits (all there are: the regexes never allow a third). */
static int digits12(const char *s, size_t *i, size_t n, int *out)
{
    size_t k = *i;
    while (k < n && dig(s[k]))
        k++;
    if (k - *i < 1 || k - *i > 2) return 0;
    *out = 0;
    for (size_t q = *i; q < k; q++)
        *out = *out * 10 + (s[q] - '0');
    *i = k;
    return 1;
}

static int digits2(const char *s, size_t *i, size_t n, int *out)
{
    if (*i + 2 > n || !dig(s[*i]) || !dig(s[*i + 1])) return 0;
    *out = (s[*i] - '0') * 10 + (s[*i + 1] - '0');
    *i += 2;
    return 1;
}

/* SafeConstructor.timestamp_regexp, anchored at both ends. */
static int ts_parse(const char *s, size_t n, ts *t)
{
    memset(t, 0, sizeof *t);
    size_t i = 0;
    if (n < 4) return 0;
    for (i = 0; i < 4; i++) {
        if (!dig(s[i])) return 0;
        t->year = t->year * 10 + (s[i] - '0');
    }
    if (i >= n || s[i] != '-') return 0;
    i++;
    size_t m0 = i;
    if (!digits12(s, &i, n, &t->month)) return 0;
    int m2 = i - m0 == 2;
    if (i >= n || s[i] != '-') return 0;
    i++;
    size_t d0 = i;
    if (!digits12(s, &i, n, &t->day)) return 0;
    t->two_digit_md = m2 && i - d0 == 2;
    if (i == n) return 1;
    if (s[i] == 'T' || s[i] == 't')
        i++;
    else if (s[i] == ' ' || s[i] == '\t')
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
    else
        return 0;
    t->has_time = 1;
    if (!digits12(s, &i, n, &t->hour)) return 0;
    if (i >= n || s[i] != ':') return 0;
    i++;
    if (!digits2(s, &i, n, &t->minute)) return 0;
    if (i >= n || s[i] != ':') return 0;
    i++;
    if (!digits2(s, &i, n, &t->second)) return 0;
    if (i < n && s[i] == '.') {
        i++;
        int k = 0;
        while (i < n && dig(s[i])) {
            if (k < 6) t->usec = t->usec * 10 + (s[i] - '0');
            k++;
            i++;
        }
        for (; k < 6; k++)
            t->usec *= 10;
    }
    size_t save = i;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < n && s[i] == 'Z') {
        t->tz = 1;
        i++;
    } else if (i < n && (s[i] == '-' || s[i] == '+')) {
        int neg = s[i] == '-', h, mi = 0;
        i++;
        if (!digits12(s, &i, n, &h)) return 0;
        if (i < n && s[i] == ':') {
            i++;
            if (!digits2(s, &i, n, &mi)) return 0;
        }
        t->tz = 2;
        t->tz_minutes = (neg ? -1 : 1) * (h * 60 + mi);
    } else {
        i = save;
    }
    return i == n;
}

static int m_timestamp(const char *s, size_t n)
{
    ts t;
    return ts_parse(s, n, &t) && (t.has_time || t.two_digit_md);
}

/* Python's re `$` also matches before one final newline. */
static int full(int (*m)(const char *, size_t), const char *s, size_t n)
{
    return m(s, n) || (n > 0 && s[n - 1] == '\n' && m(s, n - 1));
}

static int m_merge(const char *s, size_t n)
{
    return n == 2 && s[0] == '<' && s[1] == '<';
}

static int m_value(const char *s, size_t n)
{
    return n == 1 && s[0] == '=';
}

static int m_yaml(const char *s, size_t n)
{
    return n == 1 && (s[0] == '!' || s[0] == '&' || s[0] == '*');
}

/* Resolver.resolve for a plain scalar: the resolvers registered for the
 * first character, in the order PyYAML registers them. */
static ytag resolve_plain(const char *s, size_t n)
{
    if (n == 0) return T_NULL;
    switch (s[0]) {
    case 'y':
    case 'Y':
    case 't':
    case 'T':
    case 'f':
    case 'F':
    case 'o':
    case 'O':
        return full(m_bool, s, n) ? T_BOOL : T_STR;
    case 'n':
    case 'N':
        if (full(m_bool, s, n)) return T_BOOL;
        return full(m_null, s, n) ? T_NULL : T_STR;
    case '~':
        return full(m_null, s, n) ? T_NULL : T_STR;
    case '-':
    case '+':
        if (full(m_float, s, n)) return T_FLOAT;
        return full(m_int, s, n) ? T_INT : T_STR;
    case '.':
        return full(m_float, s, n) ? T_FLOAT : T_STR;
    case '<':
        return full(m_merge, s, n) ? T_MERGE : T_STR;
    case '=':
        return full(m_value, s, n) ? T_VALUE : T_STR;
    case '!':
    case '&':
    case '*':
        return full(m_yaml, s, n) ? T_YAML : T_STR;
    default:
        if (dig(s[0])) {
            if (full(m_float, s, n)) return T_FLOAT;
            if (full(m_int, s, n)) return T_INT;
            return full(m_timestamp, s, n) ? T_TIMESTAMP : T_STR;
        }
        return T_STR;
    }
}

/* ---- compose: events -> rnodes ----------------------------------------------- */

static int fetch(loader *L)
{
    if (L->have_ev) yaml_event_delete(&L->ev);
    L->have_ev = 0;
    if (!yaml_parser_parse(&L->p, &L->ev)) {
        report_yaml_error(L);
        return 0;
    }
    L->have_ev = 1;
    return 1;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static anchor_slot *anchor_find(loader *L, const char *name)
{
    if (!L->capanchors) return NULL;
    size_t mask = L->capanchors - 1, i = hash_bytes(name, strlen(name)) & mask;
    while (L->anchors[i].name && strcmp(L->anchors[i].name, name) != 0)
        i = (i + 1) & mask;
    return &L->anchors[i];
}

static void anchor_set(loader *L, const char *name, rnode *r)
{
    if ((L->nanchors + 1) * 2 > L->capanchors) {
        size_t cap = L->capanchors ? L->capanchors * 2 : 64;
        anchor_slot *old = L->anchors;
        size_t oldcap = L->capanchors;
        L->anchors = af_alloc(L->a, cap * sizeof *L->anchors);
        L->capanchors = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].name) *anchor_find(L, old[i].name) = old[i];
    }
    anchor_slot *s = anchor_find(L, name);
    if (!s->name) L->nanchors++;
    s->name = name;
    s->node = r;
}

static void push_kid(loader *L, rnode *r, rnode *kid)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        rnode **v = af_alloc(L->a, cap * sizeof *v);
        if (r->n) memcpy(v, r->kids, r->n * sizeof *v);
        r->kids = v;
        r->cap = cap;
    }
    r->kids[r->n++] = kid;
}

static rnode *new_rnode(loader *L, afc_nkind kind, yaml_char_t *anchor, yaml_char_t *tag,
                        yaml_mark_t mark)
{
    rnode *r = af_alloc(L->a, sizeof *r);
    r->kind = kind;
    r->pos = clamp_to_end(L, mkpos(L, mark));
    r->tagname = tag ? af_strdup(L->a, (const char *)tag) : NULL;
    L->nraw++;
    if (anchor) {
        r->anchor = af_strdup(L->a, (const char *)anchor);
        anchor_slot *s = anchor_find(L, r->anchor);
        if (s && s->name) {
            lerror(L, r->pos, "found duplicate anchor %s", pyrepr(L, r->anchor, strlen(r->anchor)));
            afc_note(L->d, s->node->pos, "first occurrence");
        }
        anchor_set(L, r->anchor, r);
    }
    return r;
}

/* An empty value in a flow mapping ("{a: }"): libyaml puts it where the
 * next token starts, PyYAML right after the ':'. */
static afc_pos after_colon(loader *L, yaml_mark_t m, afc_pos pos)
{
    const char *t = L->src->text;
    size_t i = byte_of_char(L, m.index);
    while (i > bom_len(L) && strchr(" \t\r\n", t[i - 1]) && t[i - 1])
        i--;
    if (i > bom_len(L) && t[i - 1] == ':') {
        if (!L->pc) L->pc = af_alloc(L->a, sizeof *L->pc);
        return cursor_to(L, L->pc, i);
    }
    return pos;
}

/* Composes the node whose first event is L->ev; on return L->ev is its last
 * event. NULL when parsing failed (already reported). */
static rnode *compose(loader *L, int depth)
{
    yaml_event_t *e = &L->ev;
    if (depth > MAX_DEPTH) {
        lerror(L, mkpos(L, e->start_mark), "nesting too deep (more than %d levels)", MAX_DEPTH);
        L->failed = 1;
        return NULL;
    }
    switch (e->type) {
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)e->data.alias.anchor;
        rnode *r = af_alloc(L->a, sizeof *r);
        r->alias = 1;
        r->pos = mkpos(L, e->start_mark);
        r->anchor = af_strdup(L->a, name);
        anchor_slot *s = anchor_find(L, name);
        if (s && s->name) {
            r->target = s->node;
            r->kind = s->node->kind;
            r->tag = s->node->tag;
        } else {
            lerror(L, r->pos, "found undefined alias %s", pyrepr(L, name, strlen(name)));
            r->kind = AFC_SCALAR;
            r->tag = T_NULL;
        }
        return r;
    }
    case YAML_SCALAR_EVENT: {
        rnode *r =
            new_rnode(L, AFC_SCALAR, e->data.scalar.anchor, e->data.scalar.tag, e->start_mark);
        r->text = af_strndup(L->a, (const char *)e->data.scalar.value, e->data.scalar.length);
        r->len = e->data.scalar.length;
        r->quoted = e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        /* The non-specific tag "!" makes PyYAML resolve the scalar as if it
         * were plain, even quoted or empty (libyaml says so only sometimes). */
        if (r->tagname && strcmp(r->tagname, "!") == 0)
            r->tag = resolve_plain(r->text, r->len);
        else if (!r->tagname)
            r->tag = e->data.scalar.plain_implicit ? resolve_plain(r->text, r->len) : T_STR;
        else
            r->tag = tag_of(r->tagname);
        return r;
    }
    case YAML_SEQUENCE_START_EVENT: {
        rnode *r = new_rnode(L, AFC_SEQ, e->data.sequence_start.anchor, e->data.sequence_start.tag,
                             e->start_mark);
        r->tag = !r->tagname || strcmp(r->tagname, "!") == 0 ? T_SEQ : tag_of(r->tagname);
        for (;;) {
            if (!fetch(L)) return NULL;
            if (e->type == YAML_SEQUENCE_END_EVENT) break;
            rnode *kid = compose(L, depth + 1);
            if (!kid) return NULL;
            push_kid(L, r, kid);
        }
        return r;
    }
    case YAML_MAPPING_START_EVENT: {
        rnode *r = new_rnode(L, AFC_MAP, e->data.mapping_start.anchor, e->data.mapping_start.tag,
                             e->start_mark);
        r->tag = !r->tagname || strcmp(r->tagname, "!") == 0 ? T_MAP : tag_of(r->tagname);
        int flow = e->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
        for (;;) {
            if (!fetch(L)) return NULL;
            if (e->type == YAML_MAPPING_END_EVENT) break;
            int empty = flow && r->n % 2 == 1 && e->type == YAML_SCALAR_EVENT &&
                        e->start_mark.index == e->end_mark.index;
            rnode *kid = compose(L, depth + 1);
            if (!kid) return NULL;
            if (empty) kid->pos = after_colon(L, e->start_mark, kid->pos);
            push_kid(L, r, kid);
        }
        return r;
    }
    default:
        /* libyaml never sends anything else here */
        lerror(L, mkpos(L, e->start_mark), "unexpected YAML event");
        L->failed = 1;
        return NULL;
    }
}

/* stream ::= STREAM-START (DOCUMENT-START node DOCUMENT-END)? STREAM-END,
 * one document at most, as yaml.safe_load wants. */
static rnode *compose_stream(loader *L)
{
    if (!fetch(L)) return NULL; /* STREAM-START */
    if (!fetch(L)) return NULL;
    if (L->ev.type == YAML_STREAM_END_EVENT) {
        rnode *r = af_alloc(L->a, sizeof *r);
        r->kind = AFC_SCALAR;
        r->tag = T_NULL;
        r->text = "";
        r->pos = (afc_pos){L->src, 1, 1};
        L->nraw++;
        return r;
    }
    if (!fetch(L)) return NULL; /* past DOCUMENT-START */
    rnode *root = compose(L, 1);
    if (!root) return NULL;
    if (!fetch(L)) return NULL; /* DOCUMENT-END */
    if (!fetch(L)) return NULL;
    if (L->ev.type == YAML_DOCUMENT_START_EVENT) {
        lerror(L, mkpos(L, L->ev.start_mark),
               "expected a single document in the stream, but found another document");
        afc_note(L->d, root->pos, "the first document starts here");
        L->failed = 1;
        return NULL;
    }
    return root;
}

/* ---- integers: Python's int() on a string ---------------------------------- */

typedef struct big {
    uint32_t *d; /* little-endian 32-bit limbs, heap */
    size_t n, cap;
} big;

static void big_free(big *b)
{
    free(b->d);
    b->d = NULL;
    b->n = b->cap = 0;
}

static void big_reserve(big *b, size_t n)
{
    if (n <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4;
    while (cap < n)
        cap *= 2;
    uint32_t *d = realloc(b->d, cap * sizeof *d);
    if (!d) {
        fprintf(stderr, "fatal: out of memory\n");
        abort();
    }
    b->d = d;
    b->cap = cap;
}

static void big_trim(big *b)
{
    while (b->n && !b->d[b->n - 1])
        b->n--;
}

/* b = b * m + add */
static void big_muladd(big *b, uint32_t m, uint32_t add)
{
    uint64_t carry = add;
    for (size_t i = 0; i < b->n; i++) {
        uint64_t v = (uint64_t)b->d[i] * m + carry;
        b->d[i] = (uint32_t)v;
        carry = v >> 32;
    }
    if (carry) {
        big_reserve(b, b->n + 1);
        b->d[b->n++] = (uint32_t)carry;
    }
}

/* a += b */
static void big_add(big *a, const big *b)
{
    big_reserve(a, (a->n > b->n ? a->n : b->n) + 1);
    uint64_t carry = 0;
    size_t n = a->n > b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = (i < a->n ? a->d[i] : 0) + (uint64_t)(i < b->n ? b->d[i] : 0) + carry;
        a->d[i] = (uint32_t)v;
        carry = v >> 32;
    }
    a->n = n;
    if (carry) a->d[a->n++] = (uint32_t)carry;
}

static size_t big_bits(const big *b)
{
    if (!b->n) return 0;
    uint32_t top = b->d[b->n - 1];
    size_t bits = (b->n - 1) * 32;
    while (top) {
        bits++;
        top >>= 1;
    }
    return bits;
}

static int big_fits(const big *b, int neg, int64_t *out)
{
    if (b->n > 2) return 0;
    uint64_t v = b->n ? b->d[0] : 0;
    if (b->n == 2) v |= (uint64_t)b->d[1] << 32;
    if (!neg && v > (uint64_t)INT64_MAX) return 0;
    if (neg && v > (uint64_t)INT64_MAX + 1) return 0;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

/* Correctly rounded, through strtod of a hexadecimal literal. */
static double big_to_double(const big *b, int neg)
{
    af_buf s = {0};
    af_buf_puts(&s, neg ? "-0x" : "0x");
    if (!b->n) af_buf_putc(&s, '0');
    for (size_t i = b->n; i-- > 0;)
        af_buf_printf(&s, i == b->n - 1 ? "%x" : "%08x", b->d[i]);
    double d = strtod(af_buf_cstr(&s), NULL);
    af_buf_free(&s);
    return d;
}

static char *big_to_dec(af_arena *a, const big *b0, int neg)
{
    big b = {0};
    big_reserve(&b, b0->n + 1);
    if (b0->n) memcpy(b.d, b0->d, b0->n * sizeof *b.d);
    b.n = b0->n;
    af_buf out = {0};
    uint32_t *chunks = malloc((b.n * 10 / 9 + 2) * sizeof *chunks);
    size_t nc = 0;
    while (b.n) {
        uint64_t rem = 0;
        for (size_t i = b.n; i-- > 0;) {
            uint64_t v = (rem << 32) | b.d[i];
            b.d[i] = (uint32_t)(v / 1000000000u);
            rem = v % 1000000000u;
        }
        chunks[nc++] = (uint32_t)rem;
        big_trim(&b);
    }
    if (neg && nc) af_buf_putc(&out, '-');
    if (!nc) af_buf_putc(&out, '0');
    for (size_t i = nc; i-- > 0;)
        af_buf_printf(&out, i == nc - 1 ? "%u" : "%09u", chunks[i]);
    char *r = af_strndup(a, af_buf_cstr(&out), out.len);
    af_buf_free(&out);
    free(chunks);
    big_free(&b);
    return r;
}

static int py_space(unsigned cp)
{
    return cp == ' ' || (cp >= 9 && cp <= 13) || (cp >= 0x1c && cp <= 0x1f) || cp == 0x85 ||
           cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* str.strip() as int() and float() apply it. */
static void py_strip(const char **s, size_t *n)
{
    const unsigned char *u = (const unsigned char *)*s;
    size_t i = 0, first = *n, last = 0;
    while (i < *n) {
        unsigned cp;
        size_t k = (size_t)af__utf8_decode(u + i, *n - i, &cp);
        if (!py_space(cp)) {
            if (first == *n) first = i;
            last = i + k;
        }
        i += k;
    }
    if (first == *n) {
        *s += *n;
        *n = 0;
        return;
    }
    *s += first;
    *n = last - first;
}

static int digit_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

/* int(s, base) for base 2, 8, 10 or 16 (underscores already gone). On
 * success *b holds the magnitude and *neg the sign; otherwise returns the
 * message Python's ValueError carries (or ours past MAX_INT_BITS). */
static const char *py_int(loader *L, const char *s0, size_t n0, int base, big *b, int *neg)
{
    const char *s = s0;
    size_t n = n0;
    const char *bad =
        af_sprintf(L->a, "invalid literal for int() with base %d: %s", base, pyrepr200(L, s0, n0));
    py_strip(&s, &n);
    *neg = 0;
    b->n = 0;
    if (n && (s[0] == '+' || s[0] == '-')) {
        *neg = s[0] == '-';
        s++;
        n--;
    }
    if (n >= 2 && s[0] == '0') {
        char p = (char)(s[1] | 0x20);
        if ((base == 16 && p == 'x') || (base == 8 && p == 'o') || (base == 2 && p == 'b')) {
            s += 2;
            n -= 2;
        }
    }
    if (n == 0) return bad;
    if (base == 10) {
        size_t run = 0;
        while (run < n && dig(s[run]))
            run++;
        if (run > PY_INT_MAX_STR_DIGITS)
            return af_sprintf(L->a,
                              "Exceeds the limit (%d digits) for integer string conversion: value "
                              "has %zu digits; use sys.set_int_max_str_digits() to increase the "
                              "limit",
                              PY_INT_MAX_STR_DIGITS, run);
    }
    for (size_t i = 0; i < n; i++)
        if (digit_val(s[i]) >= base) return bad;
    while (n > 1 && s[0] == '0') { /* leading zeros add nothing */
        s++;
        n--;
    }
    if (base == 10) {
        for (size_t i = 0; i < n; i++) {
            if (!b->n) big_reserve(b, 1);
            big_muladd(b, 10, (uint32_t)(s[i] - '0'));
        }
    } else {
        int bits = base == 2 ? 1 : base == 8 ? 3 : 4;
        if ((uint64_t)n * (uint64_t)bits > MAX_INT_BITS + 4)
            return af_sprintf(L->a, "integer literal too large (more than %d bits)", MAX_INT_BITS);
        big_reserve(b, (size_t)((uint64_t)n * (uint64_t)bits / 32 + 2));
        memset(b->d, 0, b->cap * sizeof *b->d);
        size_t bit = 0;
        for (size_t i = n; i-- > 0; bit += (size_t)bits) {
            uint32_t v = (uint32_t)digit_val(s[i]);
            b->d[bit / 32] |= v << (bit % 32);
            if (bit % 32 + (size_t)bits > 32) b->d[bit / 32 + 1] |= v >> (32 - bit % 32);
        }
        b->n = b->cap;
        big_trim(b);
    }
    big_trim(b);
    if (big_bits(b) > MAX_INT_BITS)
        return af_sprintf(L->a, "integer literal too large (more than %d bits)", MAX_INT_BITS);
    return NULL;
}

/* Fills a scalar node with an integer (or a big one). */
static void set_int(bnode *out, const big *b, int neg)
{
    int64_t v;
    out->n.type = AF_INT;
    if (big_fits(b, neg, &v)) {
        out->n.i = v;
        out->n.d = (double)v;
    } else {
        out->n.big_int = 1;
        out->n.d = big_to_double(b, neg);
        out->n.i = neg ? INT64_MIN : INT64_MAX;
    }
}

/* SafeConstructor.construct_yaml_int. NULL, or the error message. If dec is
 * non-NULL it receives the value in decimal (Python's str()). */
static const char *construct_int(loader *L, const char *text, size_t len, bnode *out, char **dec)
{
    char *v = af_alloc(L->a, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] != '_') v[n++] = text[i];
    if (n == 0) return "invalid literal for int() with base 10: ''";
    int sign_neg = v[0] == '-';
    if (v[0] == '+' || v[0] == '-') {
        v++;
        n--;
    }
    big b = {0};
    int neg = 0;
    const char *err = NULL;
    if (n == 1 && v[0] == '0') {
        /* zero */
    } else if (n >= 2 && v[0] == '0' && v[1] == 'b') {
        err = py_int(L, v + 2, n - 2, 2, &b, &neg);
    } else if (n >= 2 && v[0] == '0' && v[1] == 'x') {
        err = py_int(L, v + 2, n - 2, 16, &b, &neg);
    } else if (n >= 1 && v[0] == '0') {
        err = py_int(L, v, n, 8, &b, &neg);
    } else if (n == 0) {
        err = "invalid literal for int() with base 10: ''";
    } else if (memchr(v, ':', n)) {
        /* sexagesimal: parts in base 10, most significant first */
        big acc = {0}, part = {0};
        int any_neg = 0;
        __int128 small = 0;
        int small_ok = 1;
        const char *p = v, *end = v + n;
        for (;;) {
            const char *q = memchr(p, ':', (size_t)(end - p));
            if (!q) q = end;
            int pn = 0;
            err = py_int(L, p, (size_t)(q - p), 10, &part, &pn);
            if (err) break;
            int64_t pv;
            if (pn) any_neg = 1;
            if (small_ok && big_fits(&part, pn, &pv) && small < ((__int128)1 << 100) &&
                small > -((__int128)1 << 100))
                small = small * 60 + pv;
            else
                small_ok = 0;
            big_muladd(&acc, 60, 0);
            if (!acc.n) big_reserve(&acc, 1);
            big_add(&acc, &part);
            big_trim(&acc);
            if (big_bits(&acc) > MAX_INT_BITS) {
                err =
                    af_sprintf(L->a, "integer literal too large (more than %d bits)", MAX_INT_BITS);
                break;
            }
            if (q == end) break;
            p = q + 1;
        }
        if (!err && any_neg) {
            /* a negative part (int() accepts a sign): only small values */
            if (!small_ok) {
                err =
                    af_sprintf(L->a, "integer literal too large (more than %d bits)", MAX_INT_BITS);
            } else {
                neg = small < 0;
                unsigned __int128 mag =
                    neg ? (unsigned __int128)(-small) : (unsigned __int128)small;
                acc.n = 0;
                big_reserve(&acc, 4);
                for (int k = 0; k < 4; k++)
                    acc.d[acc.n++] = (uint32_t)(mag >> (32 * k));
                big_trim(&acc);
            }
        }
        big_free(&part);
        big_free(&b);
        b = acc;
    } else {
        err = py_int(L, v, n, 10, &b, &neg);
    }
    if (!err) {
        int final_neg = neg != sign_neg && b.n; /* sign * int(...) */
        set_int(out, &b, final_neg);
        if (dec) *dec = big_to_dec(L->a, &b, final_neg);
    }
    big_free(&b);
    return err;
}

/* ---- floats: Python's float() on a string ---------------------------------- */

static int ieq(const char *s, size_t n, const char *word)
{
    if (strlen(word) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != word[i]) return 0;
    return 1;
}

/* float(s): NULL, or the ValueError message. */
static const char *py_float(loader *L, const char *s0, size_t n0, double *out)
{
    const char *s = s0;
    size_t n = n0;
    const char *bad = af_sprintf(L->a, "could not convert string to float: %s", pyrepr(L, s0, n0));
    py_strip(&s, &n);
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (ieq(s + i, n - i, "inf") || ieq(s + i, n - i, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return NULL;
    }
    if (ieq(s + i, n - i, "nan")) {
        *out = neg ? -NAN : NAN;
        return NULL;
    }
    size_t nd = 0;
    while (i < n && dig(s[i]))
        i++, nd++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && dig(s[i]))
            i++, nd++;
    }
    if (!nd) return bad;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t ne = 0;
        while (i < n && dig(s[i]))
            i++, ne++;
        if (!ne) return bad;
    }
    if (i != n) return bad;
    char *copy = af_strndup(L->a, s, n);
    *out = strtod(copy, NULL);
    return NULL;
}

/* SafeConstructor.construct_yaml_float. */
static const char *construct_float(loader *L, const char *text, size_t len, double *out)
{
    char *v = af_alloc(L->a, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] != '_')
            v[n++] = (text[i] >= 'A' && text[i] <= 'Z') ? (char)(text[i] | 0x20) : text[i];
    if (n == 0) return "could not convert string to float: ''";
    double sign = 1;
    if (v[0] == '-') sign = -1;
    if (v[0] == '+' || v[0] == '-') {
        v++;
        n--;
    }
    if (n == 4 && !memcmp(v, ".inf", 4)) {
        *out = sign * INFINITY;
        return NULL;
    }
    if (n == 4 && !memcmp(v, ".nan", 4)) {
        *out = NAN;
        return NULL;
    }
    if (memchr(v, ':', n)) {
        /* digits reversed, value += digit * base, base *= 60 (an exact int) */
        size_t nparts = 1;
        for (size_t i = 0; i < n; i++)
            nparts += v[i] == ':';
        double *parts = af_alloc(L->a, nparts * sizeof *parts);
        const char *p = v, *end = v + n;
        for (size_t k = 0; k < nparts; k++) {
            const char *q = memchr(p, ':', (size_t)(end - p));
            if (!q) q = end;
            const char *err = py_float(L, p, (size_t)(q - p), &parts[k]);
            if (err) return err;
            p = q + 1;
        }
        double value = 0;
        unsigned __int128 base = 1;
        double fbase = 1;
        int exact = 1;
        for (size_t k = nparts; k-- > 0;) {
            value += parts[k] * (exact ? (double)base : fbase);
            if (exact && base > ((unsigned __int128)1 << 120)) {
                exact = 0;
                fbase = (double)base;
            }
            if (exact)
                base *= 60;
            else
                fbase *= 60;
        }
        *out = sign * value;
        return NULL;
    }
    const char *err = py_float(L, v, n, out);
    if (!err) *out *= sign;
    return err;
}

/* ---- timestamps -------------------------------------------------------------- */

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Why Python's date()/datetime()/timezone() refuse the fields, or NULL. */
static const char *timestamp_invalid(loader *L, const ts *t)
{
    if (t->has_time && t->tz == 2 && (t->tz_minutes >= 24 * 60 || t->tz_minutes <= -24 * 60)) {
        /* datetime.timezone() refuses it before the date is even checked */
        int64_t secs = (int64_t)t->tz_minutes * 60;
        int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
        int64_t rest = secs - days * 86400;
        char td[96];
        if (rest)
            snprintf(td, sizeof td, "datetime.timedelta(days=%lld, seconds=%lld)", (long long)days,
                     (long long)rest);
        else
            snprintf(td, sizeof td, "datetime.timedelta(days=%lld)", (long long)days);
        return af_sprintf(L->a,
                          "offset must be a timedelta strictly between -timedelta(hours=24) and "
                          "timedelta(hours=24), not %s.",
                          td);
    }
    if (t->year < 1) return af_sprintf(L->a, "year %d is out of range", t->year);
    if (t->month < 1 || t->month > 12) return "month must be in 1..12";
    if (t->day < 1 || t->day > days_in_month(t->year, t->month))
        return "day is out of range for month";
    if (t->has_time && t->hour > 23) return "hour must be in 0..23";
    if (t->has_time && t->minute > 59) return "minute must be in 0..59";
    if (t->has_time && t->second > 59) return "second must be in 0..59";
    return NULL;
}

/* SafeConstructor.construct_yaml_timestamp: the Python date/datetime, kept
 * as the text str() prints for it. */
static const char *construct_timestamp(loader *L, const char *text, size_t len, bnode *out)
{
    ts t;
    if (!ts_parse(text, len, &t) && !(len && text[len - 1] == '\n' && ts_parse(text, len - 1, &t)))
        return af_sprintf(L->a, "could not convert string to timestamp: %s", pyrepr(L, text, len));
    const char *why = timestamp_invalid(L, &t);
    if (why) return af_sprintf(L->a, "invalid timestamp %s: %s", pyrepr(L, text, len), why);
    out->n.type = AF_STR;
    af_buf b = {0};
    af_buf_printf(&b, "%04d-%02d-%02d", t.year, t.month, t.day);
    out->n.ykind = AFC_Y_DATE;
    if (t.has_time) {
        out->n.ykind = AFC_Y_DATETIME;
        af_buf_printf(&b, " %02d:%02d:%02d", t.hour, t.minute, t.second);
        if (t.usec) af_buf_printf(&b, ".%06d", t.usec);
        if (t.tz) {
            int m = t.tz_minutes < 0 ? -t.tz_minutes : t.tz_minutes;
            af_buf_printf(&b, "%c%02d:%02d", t.tz_minutes < 0 ? '-' : '+', m / 60, m % 60);
        }
    }
    out->n.text = af_strndup(L->a, af_buf_cstr(&b), b.len);
    out->n.len = b.len;
    af_buf_free(&b);
    return NULL;
}

/* Python equality of datetimes: aware ones compare as instants. */
static char *timestamp_canon(af_arena *a, const afc_node *n)
{
    ts t;
    const char *s = n->text;
    size_t len = n->len;
    if (n->ykind == AFC_Y_DATE) return af_sprintf(a, "d:%s", s);
    /* our own str() form parses back with the same parser */
    if (!ts_parse(s, len, &t) || !t.tz) return af_sprintf(a, "n:%s", s);
    int64_t secs = days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 +
                   t.second - (int64_t)t.tz_minutes * 60;
    return af_sprintf(a, "a:%lld.%06d", (long long)secs, t.usec);
}

/* ---- binary ------------------------------------------------------------------ */

/* base64.decodebytes(value.encode('ascii')), i.e. binascii.a2b_base64 in
 * its forgiving mode: characters outside the alphabet are skipped, and
 * padding ends the data once it completes a quad. */
static const char *construct_binary(loader *L, const char *text, size_t len, bnode *out)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t i = 0, pos = 0;
    while (i < len) {
        unsigned cp;
        int k = af__utf8_decode(u + i, len - i, &cp);
        if (cp >= 0x80) {
            size_t first = pos, run = 0, j = i;
            unsigned first_cp = cp;
            while (j < len) {
                unsigned c2;
                int k2 = af__utf8_decode(u + j, len - j, &c2);
                if (c2 < 0x80) break;
                run++;
                j += (size_t)k2;
            }
            const char *what;
            if (run == 1) {
                char esc[16];
                if (first_cp < 0x100)
                    snprintf(esc, sizeof esc, "\\x%02x", first_cp);
                else if (first_cp < 0x10000)
                    snprintf(esc, sizeof esc, "\\u%04x", first_cp);
                else
                    snprintf(esc, sizeof esc, "\\U%08x", first_cp);
                what = af_sprintf(L->a, "character '%s' in position %zu", esc, first);
            } else {
                what = af_sprintf(L->a, "characters in position %zu-%zu", first, first + run - 1);
            }
            return af_sprintf(L->a,
                              "failed to convert base64 data into ascii: 'ascii' codec can't "
                              "encode %s: ordinal not in range(128)",
                              what);
        }
        i += (size_t)k;
        pos++;
    }
    unsigned char *bin = af_alloc(L->a, len / 4 * 3 + 4);
    size_t nb = 0;
    int quad = 0, pads = 0;
    unsigned left = 0;
    for (i = 0; i < len; i++) {
        unsigned char c = u[i];
        if (c == '=') {
            if (quad >= 2 && quad + ++pads >= 4) goto done;
            continue;
        }
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else
            continue;
        pads = 0;
        switch (quad) {
        case 0:
            quad = 1;
            left = (unsigned)v;
            break;
        case 1:
            quad = 2;
            bin[nb++] = (unsigned char)((left << 2) | ((unsigned)v >> 4));
            left = (unsigned)v & 0x0f;
            break;
        case 2:
            quad = 3;
            bin[nb++] = (unsigned char)((left << 4) | ((unsigned)v >> 2));
            left = (unsigned)v & 0x03;
            break;
        default:
            quad = 0;
            bin[nb++] = (unsigned char)((left << 6) | (unsigned)v);
            left = 0;
        }
    }
    if (quad == 1)
        return af_sprintf(L->a,
                          "failed to decode base64 data: Invalid base64-encoded string: number of "
                          "data characters (%zu) cannot be 1 more than a multiple of 4",
                          nb / 3 * 4 + 1);
    if (quad != 0) return "failed to decode base64 data: Incorrect padding";
done:
    bin[nb] = 0;
    out->n.type = AF_STR;
    out->n.ykind = AFC_Y_BINARY;
    out->n.text = (const char *)bin;
    out->n.len = nb;
    return NULL;
}

/* ---- keys: Python equality and str() --------------------------------------- */

/* Python's str() of a scalar key (the af_value map key it becomes). */
static char *key_str(af_arena *a, const afc_node *k)
{
    af_buf b = {0};
    switch (k->type) {
    case AF_NULL:
        af_buf_puts(&b, "None");
        break;
    case AF_BOOL:
        af_buf_puts(&b, k->b ? "True" : "False");
        break;
    case AF_INT:
        if (k->big_int) {
            /* the exact value, from the literal it came from */
            loader tmp = {.a = a};
            bnode scratch;
            memset(&scratch, 0, sizeof scratch);
            char *dec = NULL;
            if (k->text && !construct_int(&tmp, k->text, k->len, &scratch, &dec) && dec)
                af_buf_puts(&b, dec);
            else
                af_py_float(&b, k->d);
        } else {
            af_buf_printf(&b, "%lld", (long long)k->i);
        }
        break;
    case AF_DOUBLE:
        af_py_float(&b, k->d);
        break;
    default:
        if (k->ykind == AFC_Y_BINARY) { /* repr(bytes) */
            const unsigned char *s = (const unsigned char *)k->text;
            int sq = memchr(s, '\'', k->len) != NULL, dq = memchr(s, '"', k->len) != NULL;
            char q = sq && !dq ? '"' : '\'';
            af_buf_putc(&b, 'b');
            af_buf_putc(&b, q);
            for (size_t i = 0; i < k->len; i++) {
                unsigned char c = s[i];
                if (c == (unsigned char)q || c == '\\')
                    af_buf_printf(&b, "\\%c", c);
                else if (c == '\t')
                    af_buf_puts(&b, "\\t");
                else if (c == '\n')
                    af_buf_puts(&b, "\\n");
                else if (c == '\r')
                    af_buf_puts(&b, "\\r");
                else if (c < 0x20 || c >= 0x7f)
                    af_buf_printf(&b, "\\x%02x", c);
                else
                    af_buf_putc(&b, c);
            }
            af_buf_putc(&b, q);
        } else if (k->text) {
            af_buf_put(&b, k->text, k->len);
        }
    }
    char *r = af_strndup(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return r;
}

/* A string equal for two keys exactly when Python's == holds for them
 * (1 == 1.0 == True, dates unlike strings, aware datetimes as instants). */
static char *key_canon(af_arena *a, const afc_node *k, size_t *len)
{
    char *r;
    switch (k->type) {
    case AF_NULL:
        r = af_strdup(a, "N");
        break;
    case AF_BOOL:
        r = af_strdup(a, k->b ? "i:1" : "i:0");
        break;
    case AF_INT:
        if (k->big_int) {
            char *dec = key_str(a, k);
            r = af_sprintf(a, "i:%s", dec);
        } else {
            r = af_sprintf(a, "i:%lld", (long long)k->i);
        }
        break;
    case AF_DOUBLE:
        if (isnan(k->d))
            r = af_strdup(a, "f:nan");
        else if (isinf(k->d))
            r = af_strdup(a, k->d < 0 ? "f:-inf" : "f:inf");
        else if (k->d == floor(k->d))
            r = af_sprintf(a, "i:%.0f", k->d == 0 ? 0.0 : k->d); /* exact digits */
        else {
            af_buf b = {0};
            af_py_float(&b, k->d);
            r = af_sprintf(a, "f:%s", af_buf_cstr(&b));
            af_buf_free(&b);
        }
        break;
    default:
        if (k->ykind == AFC_Y_DATE || k->ykind == AFC_Y_DATETIME) {
            r = timestamp_canon(a, k);
        } else {
            size_t n = k->len;
            r = af_alloc(a, n + 3);
            r[0] = k->ykind == AFC_Y_BINARY ? 'b' : 's';
            r[1] = ':';
            if (n) memcpy(r + 2, k->text, n);
            *len = n + 2;
            return r;
        }
    }
    *len = strlen(r);
    return r;
}

/* A string -> index table for one mapping under construction. */
typedef struct ktab {
    struct kslot {
        const char *s;
        size_t n;
        size_t idx;
    } * v;
    size_t cap, used;
} ktab;

static void ktab_init(af_arena *a, ktab *t, size_t n)
{
    t->cap = 16;
    while (t->cap < n * 2 + 2)
        t->cap *= 2;
    t->v = af_alloc(a, t->cap * sizeof *t->v);
    t->used = 0;
}

/* Returns the index stored for s, or stores idx and returns (size_t)-1. */
static size_t ktab_put(ktab *t, const char *s, size_t n, size_t idx)
{
    size_t mask = t->cap - 1, i = hash_bytes(s, n) & mask;
    while (t->v[i].s) {
        if (t->v[i].n == n && memcmp(t->v[i].s, s, n) == 0) return t->v[i].idx;
        i = (i + 1) & mask;
    }
    t->v[i].s = s;
    t->v[i].n = n;
    t->v[i].idx = idx;
    t->used++;
    return (size_t)-1;
}

/* The key as written, for messages: strings quoted and escaped, other
 * scalars as written, long ones shortened. */
static const char *key_shown(loader *L, const afc_node *k)
{
    if (k->ykind == AFC_Y_BINARY) return key_str(L->a, k);
    if (!k->text || !k->len) return k->type == AF_STR ? "''" : "null";
    size_t n = k->len > 60 ? 60 : k->len;
    while (n < k->len && n > 0 && ((unsigned char)k->text[n] & 0xc0) == 0x80)
        n--;
    const char *r = k->type == AF_STR ? pyrepr(L, k->text, n) : af_strndup(L->a, k->text, n);
    return n < k->len ? af_sprintf(L->a, "%s...", r) : r;
}

/* ---- construct: rnodes -> afc_nodes ------------------------------------------ */

static bnode *new_bnode(loader *L, afc_nkind kind, afc_pos pos)
{
    bnode *b = af_alloc(L->a, sizeof *b);
    b->n.kind = kind;
    b->n.pos = pos;
    b->n.type = kind == AFC_SEQ ? AF_LIST : kind == AFC_MAP ? AF_MAP : AF_NULL;
    b->size = 1;
    b->depth = 1;
    return b;
}

static bnode *null_node(loader *L, afc_pos pos)
{
    bnode *b = new_bnode(L, AFC_SCALAR, pos);
    b->n.text = "";
    return b;
}

static void note_anchor(loader *L, const rnode *target)
{
    if (target && target->anchor)
        afc_note(L->d, target->pos, "anchor %s is defined here",
                 pyrepr(L, target->anchor, strlen(target->anchor)));
}

static int limits_ok(loader *L, afc_pos pos)
{
    if (L->aborted) return 0;
    if (L->slots > 4 * (uint64_t)L->nraw + MAX_EXTRA_NODES) {
        lerror(L, pos,
               "aliases and merge keys expand this document beyond %d more nodes than it has",
               MAX_EXTRA_NODES);
        L->aborted = 1;
        return 0;
    }
    return 1;
}

/* Records the expanded size and depth of a finished collection. */
static void account(loader *L, bnode *b)
{
    uint64_t size = 1;
    int depth = 0;
    for (size_t i = 0; i < b->n.n; i++) {
        const bnode *c = (const bnode *)b->n.items[i];
        size += c->size;
        if (c->depth > depth) depth = c->depth;
        if (b->n.keys) {
            const bnode *k = (const bnode *)b->n.keys[i];
            size += k->size;
            if (k->depth > depth) depth = k->depth;
        }
    }
    b->size = size;
    b->depth = depth + 1;
    if (L->aborted) return;
    if (b->depth > MAX_DEPTH) {
        lerror(L, b->n.pos, "aliases nest this node more than %d levels deep", MAX_DEPTH);
        L->aborted = 1;
    } else if (size > (uint64_t)L->nraw + MAX_EXTRA_NODES) {
        lerror(L, b->n.pos,
               "aliases and merge keys expand this document beyond %d more nodes than it has",
               MAX_EXTRA_NODES);
        L->aborted = 1;
    }
}

static bnode *construct(loader *L, rnode *r);
static bnode *construct_scalar_tag(loader *L, rnode *r, ytag tag);

/* An occurrence: aliases lead to their anchor's node, built once. */
static bnode *construct_ref(loader *L, rnode *r)
{
    if (!r->alias) return construct(L, r);
    if (!r->target) return null_node(L, r->pos); /* undefined: reported */
    if (r->target->state == 1) {
        lerror(L, r->pos, "recursive alias %s: the anchored node contains itself",
               pyrepr(L, r->anchor, strlen(r->anchor)));
        note_anchor(L, r->target);
        return null_node(L, r->pos);
    }
    return construct(L, r->target);
}

static rnode *deref(rnode *r)
{
    return r->alias && r->target ? r->target : r;
}

/* Tags whose constructor makes a scalar (so the node is hashable as a key). */
static int scalar_tag(ytag t)
{
    return t == T_STR || t == T_NULL || t == T_BOOL || t == T_INT || t == T_FLOAT ||
           t == T_TIMESTAMP || t == T_BINARY;
}

/* A mapping key: a plain "=" is the string "=" there (flatten_mapping). */
static bnode *construct_key(loader *L, rnode *k)
{
    rnode *t = deref(k);
    if (t->tag == T_VALUE) { /* retagged as a string, not built as the node */
        if (k->alias && t->state == 1) return construct_ref(L, k);
        return construct_scalar_tag(L, t, T_STR);
    }
    return construct_ref(L, k);
}

/* Duplicate, unhashable and otherwise unusable keys among the pairs written
 * in mapping m. Runs once per mapping, whether it is built or merged. */
static void check_own_keys(loader *L, rnode *m)
{
    size_t npairs = m->n / 2;
    ktab canon, str;
    ktab_init(L->a, &canon, npairs);
    ktab_init(L->a, &str, npairs);
    bnode **keys = af_alloc(L->a, (npairs + 1) * sizeof *keys);
    for (size_t i = 0; i < npairs; i++) {
        rnode *kr = m->kids[2 * i];
        rnode *kt = deref(kr);
        if (kt->tag == T_MERGE) continue;
        if (kt->kind != AFC_SCALAR && !scalar_tag(kt->tag) && kt->tag != T_VALUE) {
            /* a mapping or sequence (unless a scalar tag made it a scalar) */
            if (kt->state == 1 && kr->alias) {
                lerror(L, kr->pos, "recursive alias %s: the anchored node contains itself",
                       pyrepr(L, kr->anchor, strlen(kr->anchor)));
                note_anchor(L, kt);
            } else {
                lerror(L, kr->pos, "found unhashable key: a %s cannot be a mapping key",
                       node_id(kt));
            }
            continue;
        }
        bnode *k = construct_key(L, kr);
        keys[i] = k;
        if (k->n.kind != AFC_SCALAR) {
            lerror(L, kr->pos, "found unhashable key: a %s cannot be a mapping key",
                   k->n.kind == AFC_SEQ ? "sequence" : "mapping");
            keys[i] = NULL;
            continue;
        }
        if (k->n.type == AF_STR && k->n.ykind == AFC_Y_PLAIN && memchr(k->n.text, 0, k->n.len)) {
            lerror(L, kr->pos, "mapping key %s contains a NUL character", key_shown(L, &k->n));
            continue;
        }
        size_t cn = 0;
        char *c = key_canon(L->a, &k->n, &cn);
        size_t prev = ktab_put(&canon, c, cn, i);
        if (prev != (size_t)-1) {
            const afc_node *pk = &keys[prev]->n;
            const char *shown = key_shown(L, &k->n), *pshown = key_shown(L, pk);
            if (strcmp(shown, pshown) == 0)
                lerror(L, kr->pos, "duplicate key %s in mapping", shown);
            else
                lerror(L, kr->pos, "duplicate key %s in mapping (equal to %s in Python)", shown,
                       pshown);
            afc_note(L->d, m->kids[2 * prev]->pos, "first defined here");
            continue;
        }
        char *s = key_str(L->a, &k->n);
        prev = ktab_put(&str, s, strlen(s), i);
        if (prev != (size_t)-1) {
            lerror(L, kr->pos, "key %s (%s) and key %s (%s) both read as '%s'", key_shown(L, &k->n),
                   afc_node_what(&k->n), key_shown(L, &keys[prev]->n),
                   afc_node_what(&keys[prev]->n), s);
            afc_note(L->d, m->kids[2 * prev]->pos, "the other key is here");
        }
    }
}

static void push_pairs(loader *L, rpair **v, size_t *n, size_t *cap, const rpair *add, size_t nadd,
                       int own)
{
    if (*n + nadd > *cap) {
        size_t c = *cap ? *cap : 8;
        while (c < *n + nadd)
            c *= 2;
        rpair *nv = af_alloc(L->a, c * sizeof *nv);
        if (*n) memcpy(nv, *v, *n * sizeof *nv);
        *v = nv;
        *cap = c;
    }
    for (size_t i = 0; i < nadd; i++) {
        (*v)[*n] = add[i];
        if (own >= 0) (*v)[*n].own = own;
        (*n)++;
    }
}

static int flatten(loader *L, rnode *m);

/* The node a merge key brings in, or NULL after reporting why not. */
static rnode *merge_source(loader *L, rnode *ref, int in_list)
{
    rnode *t = deref(ref);
    if (ref->alias && (t->state == 1 || t->fstate == 1)) {
        lerror(L, ref->pos, "recursive alias %s: the anchored node contains itself",
               pyrepr(L, ref->anchor, strlen(ref->anchor)));
        note_anchor(L, t);
        return NULL;
    }
    if (t->kind != AFC_MAP) {
        if (in_list)
            lerror(L, ref->pos, "expected a mapping for merging, but found %s", node_id(t));
        else
            lerror(L, ref->pos, "expected a mapping or list of mappings for merging, but found %s",
                   node_id(t));
        return NULL;
    }
    if (t->fstate == 1) { /* an inline mapping cannot contain itself, but be safe */
        lerror(L, ref->pos, "recursive merge");
        return NULL;
    }
    return flatten(L, t) ? t : NULL;
}

/* SafeConstructor.flatten_mapping: m's pairs with the merged ones first, in
 * the order whose "last one wins" gives PyYAML's precedence. */
static int flatten(loader *L, rnode *m)
{
    if (m->fstate == 2) return 1;
    if (m->fstate == 1) return 0;
    m->fstate = 1;
    check_own_keys(L, m);
    rpair *merged = NULL, *own = NULL;
    size_t nm = 0, cm = 0, no = 0, co = 0;
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        rnode *k = m->kids[i], *v = m->kids[i + 1];
        rnode *kt = deref(k);
        if (kt->tag == T_MERGE) {
            rnode *vt = deref(v);
            if (vt->kind == AFC_SEQ && !(v->alias && vt->state == 1)) {
                /* later mappings in the list lose to earlier ones */
                rnode **srcs = af_alloc(L->a, (vt->n + 1) * sizeof *srcs);
                size_t ns = 0;
                for (size_t j = 0; j < vt->n; j++) {
                    rnode *s = merge_source(L, vt->kids[j], 1);
                    if (s) srcs[ns++] = s;
                }
                while (ns-- > 0)
                    push_pairs(L, &merged, &nm, &cm, srcs[ns]->flat, srcs[ns]->nflat, 0);
            } else {
                rnode *s = merge_source(L, v, 0);
                if (s) push_pairs(L, &merged, &nm, &cm, s->flat, s->nflat, 0);
            }
        } else {
            rpair p = {k, v, 1};
            push_pairs(L, &own, &no, &co, &p, 1, -1);
        }
    }
    push_pairs(L, &merged, &nm, &cm, own, no, -1);
    m->flat = merged;
    m->nflat = nm;
    m->fstate = 2;
    L->slots += nm;
    return 1;
}

/* SafeConstructor.construct_mapping after flattening: Python dict
 * semantics (the first key object stays, the last value wins). */
static bnode *construct_mapping(loader *L, rnode *m, bnode *out)
{
    if (!flatten(L, m) || !limits_ok(L, m->pos)) return out;
    size_t n = m->nflat;
    out->n.keys = af_alloc(L->a, (n + 1) * sizeof *out->n.keys);
    out->n.items = af_alloc(L->a, (n + 1) * sizeof *out->n.items);
    int *own = af_alloc(L->a, (n + 1) * sizeof *own);
    ktab canon, str;
    ktab_init(L->a, &canon, n);
    ktab_init(L->a, &str, n);
    L->slots += n;
    for (size_t i = 0; i < n && !L->aborted; i++) {
        rpair *p = &m->flat[i];
        rnode *kt = deref(p->k);
        if (kt->kind != AFC_SCALAR && !scalar_tag(kt->tag) && kt->tag != T_VALUE)
            continue; /* unhashable: reported by check_own_keys */
        bnode *k = construct_key(L, p->k);
        if (k->n.kind != AFC_SCALAR) continue;
        bnode *v = construct_ref(L, p->v);
        size_t cn = 0;
        char *c = key_canon(L->a, &k->n, &cn);
        size_t prev = ktab_put(&canon, c, cn, out->n.n);
        if (prev != (size_t)-1) {
            out->n.items[prev] = &v->n; /* reported already if both are own */
            own[prev] |= p->own;
            continue;
        }
        char *s = key_str(L->a, &k->n);
        prev = ktab_put(&str, s, strlen(s), out->n.n);
        if (prev != (size_t)-1 && !(own[prev] && p->own)) {
            lerror(L, p->k->pos, "key %s (%s) and key %s (%s) both read as '%s'",
                   key_shown(L, &k->n), afc_node_what(&k->n), key_shown(L, out->n.keys[prev]),
                   afc_node_what(out->n.keys[prev]), s);
            afc_note(L->d, out->n.keys[prev]->pos, "the other key is here");
        }
        own[out->n.n] = p->own;
        out->n.keys[out->n.n] = &k->n;
        out->n.items[out->n.n] = &v->n;
        out->n.n++;
    }
    return out;
}

/* SafeConstructor.construct_scalar: a scalar's text, or the value of a
 * mapping's "=" key. NULL after reporting. */
static rnode *scalar_source(loader *L, rnode *r)
{
    for (int hops = 0; hops <= MAX_DEPTH; hops++) {
        if (r->kind == AFC_SCALAR) return r;
        if (r->kind == AFC_MAP) {
            rnode *next = NULL;
            for (size_t i = 0; i + 1 < r->n; i += 2) {
                rnode *k = deref(r->kids[i]);
                if (k->kind == AFC_SCALAR && k->tag == T_VALUE) {
                    next = r->kids[i + 1];
                    break;
                }
            }
            if (next) {
                rnode *t = deref(next);
                if (next->alias && t->state == 1) {
                    lerror(L, next->pos, "recursive alias %s: the anchored node contains itself",
                           pyrepr(L, next->anchor, strlen(next->anchor)));
                    note_anchor(L, t);
                    return NULL;
                }
                r = t;
                continue;
            }
        }
        lerror(L, r->pos, "expected a scalar node, but found %s", node_id(r));
        return NULL;
    }
    lerror(L, r->pos, "recursive alias: the \"=\" keys lead back to themselves");
    return NULL;
}

static bnode *construct_scalar_tag(loader *L, rnode *r, ytag tag)
{
    bnode *b = new_bnode(L, AFC_SCALAR, r->pos);
    rnode *s = scalar_source(L, r);
    if (!s) return null_node(L, r->pos);
    b->n.text = s->text;
    b->n.len = s->len;
    b->n.quoted = s->quoted;
    const char *err = NULL;
    switch (tag) {
    case T_STR:
        b->n.type = AF_STR;
        break;
    case T_NULL:
        b->n.type = AF_NULL;
        break;
    case T_BOOL: {
        static const struct {
            const char *w;
            int v;
        } words[] = {{"yes", 1}, {"no", 0}, {"true", 1}, {"false", 0}, {"on", 1}, {"off", 0}};
        b->n.type = AF_BOOL;
        int found = 0;
        for (size_t i = 0; i < sizeof words / sizeof words[0] && !found; i++)
            if (ieq(s->text, s->len, words[i].w)) {
                b->n.b = words[i].v;
                found = 1;
            }
        if (!found)
            err = af_sprintf(L->a,
                             "could not convert string to bool: %s (expected yes/no, "
                             "true/false or on/off)",
                             pyrepr(L, s->text, s->len));
        break;
    }
    case T_INT:
        err = construct_int(L, s->text, s->len, b, NULL);
        break;
    case T_FLOAT:
        b->n.type = AF_DOUBLE;
        err = construct_float(L, s->text, s->len, &b->n.d);
        break;
    case T_TIMESTAMP:
        err = construct_timestamp(L, s->text, s->len, b);
        break;
    default: /* T_BINARY */
        err = construct_binary(L, s->text, s->len, b);
        break;
    }
    if (err) {
        lerror(L, r->pos, "%s", err);
        return null_node(L, r->pos);
    }
    return b;
}

/* !!omap and !!pairs: a sequence of one-pair mappings -> [[k, v], ...] */
static bnode *construct_pairs(loader *L, rnode *r, ytag tag, bnode *out)
{
    const char *ctx =
        tag == T_OMAP ? "while constructing an ordered map" : "while constructing pairs";
    if (r->kind != AFC_SEQ) {
        lerror(L, r->pos, "expected a sequence, but found %s (%s)", node_id(r), ctx);
        return out;
    }
    out->n.kind = AFC_SEQ;
    out->n.type = AF_LIST;
    out->n.ykind = AFC_Y_PAIRS;
    out->n.items = af_alloc(L->a, (r->n + 1) * sizeof *out->n.items);
    L->slots += r->n;
    for (size_t i = 0; i < r->n && limits_ok(L, r->pos); i++) {
        rnode *sub = deref(r->kids[i]);
        if (sub->kind != AFC_MAP) {
            lerror(L, r->kids[i]->pos, "expected a mapping of length 1, but found %s (%s)",
                   node_id(sub), ctx);
            continue;
        }
        if (sub->n != 2) {
            lerror(L, r->kids[i]->pos, "expected a single mapping item, but found %zu items (%s)",
                   sub->n / 2, ctx);
            continue;
        }
        bnode *pair = new_bnode(L, AFC_SEQ, sub->pos);
        pair->n.items = af_alloc(L->a, 2 * sizeof *pair->n.items);
        pair->n.items[0] = &construct_ref(L, sub->kids[0])->n;
        pair->n.items[1] = &construct_ref(L, sub->kids[1])->n;
        pair->n.n = 2;
        L->slots += 2;
        account(L, pair);
        out->n.items[out->n.n++] = &pair->n;
    }
    return out;
}

static bnode *construct(loader *L, rnode *r)
{
    if (r->state == 2) return r->built;
    if (r->state == 1 || L->aborted) return null_node(L, r->pos);
    /* Building a node can start building an anchored node not built yet
     * (one inside a skipped key, say), so the C stack grows with the
     * expanded depth, which account() only sees afterwards. */
    if (L->live_depth >= MAX_DEPTH) {
        lerror(L, r->pos, "aliases nest this node more than %d levels deep", MAX_DEPTH);
        L->aborted = 1;
        return null_node(L, r->pos);
    }
    L->live_depth++;
    r->state = 1;
    bnode *b = NULL;
    switch (r->tag) {
    case T_STR:
    case T_NULL:
    case T_BOOL:
    case T_INT:
    case T_FLOAT:
    case T_TIMESTAMP:
    case T_BINARY:
        b = construct_scalar_tag(L, r, r->tag);
        break;
    case T_SEQ:
        b = new_bnode(L, AFC_SEQ, r->pos);
        if (r->kind != AFC_SEQ) {
            lerror(L, r->pos, "expected a sequence node, but found %s", node_id(r));
            break;
        }
        b->n.items = af_alloc(L->a, (r->n + 1) * sizeof *b->n.items);
        L->slots += r->n;
        for (size_t i = 0; i < r->n && limits_ok(L, r->pos); i++)
            b->n.items[b->n.n++] = &construct_ref(L, r->kids[i])->n;
        break;
    case T_MAP:
    case T_SET:
        b = new_bnode(L, AFC_MAP, r->pos);
        if (r->kind != AFC_MAP) {
            lerror(L, r->pos, "expected a mapping node, but found %s", node_id(r));
            break;
        }
        construct_mapping(L, r, b);
        if (r->tag == T_SET) { /* a Python set: only the keys count */
            b->n.ykind = AFC_Y_SET;
            for (size_t i = 0; i < b->n.n; i++)
                b->n.items[i] = &null_node(L, b->n.keys[i]->pos)->n;
        }
        break;
    case T_OMAP:
    case T_PAIRS:
        b = construct_pairs(L, r, r->tag, new_bnode(L, AFC_SEQ, r->pos));
        break;
    default: {
        const char *name = r->tagname ? r->tagname : af_sprintf(L->a, YTAG "%s", tag_name(r->tag));
        lerror(L, r->pos, "could not determine a constructor for the tag %s",
               pyrepr(L, name, strlen(name)));
        if (r->tag == T_VALUE && r->kind == AFC_SCALAR && !r->tagname)
            afc_note(L->d, r->pos, "a plain '=' is YAML 1.1's value key; quote it for the string");
        if (r->tag == T_MERGE && r->kind == AFC_SCALAR && !r->tagname)
            afc_note(L->d, r->pos, "a plain '<<' is a merge key; quote it for the string");
        b = null_node(L, r->pos);
    }
    }
    if (b->n.kind != AFC_SCALAR) account(L, b);
    r->built = b;
    r->state = 2;
    L->live_depth--;
    return b;
}

/* ---- entry points ------------------------------------------------------------ */

/* Copies text into a (diagnostics show it later); everything else as afc.h
 * says. The tree comes back only when this load reported no error. */
afc_node *afc_load_string(af_arena *a, afc_diags *d, const char *text, size_t len,
                          const char *label)
{
    loader L0 = {0}, *L = &L0;
    L->a = a;
    L->d = d;
    L->src = af_alloc(a, sizeof *L->src);
    L->src->path = af_strdup(a, label ? label : "<string>");
    L->src->text = af_strndup(a, text ? text : "", text ? len : 0);
    L->src->len = text ? len : 0;
    if (!yaml_parser_initialize(&L->p)) {
        lerror(L, (afc_pos){0}, "%s: cannot initialise the YAML parser", L->src->path);
        return NULL;
    }
    yaml_parser_set_input_string(&L->p, (const unsigned char *)L->src->text + bom_len(L),
                                 L->src->len - bom_len(L));
    yaml_parser_set_encoding(&L->p, YAML_UTF8_ENCODING);
    rnode *root = compose_stream(L);
    if (L->have_ev) yaml_event_delete(&L->ev);
    yaml_parser_delete(&L->p);
    check_pyyaml_scanner(L);
    bnode *res = NULL;
    if (root && !L->failed) res = construct_ref(L, root);
    if (L->nerr || !res) return NULL;
    return &res->n;
}

/* Reads the whole file, then as afc_load_string; a file that cannot be read
 * is an error without a location. */
afc_node *afc_load_file(af_arena *a, afc_diags *d, const char *path, const char *label)
{
    const char *shown = label ? label : path;
    char *text;
    size_t len;
    if (af__read_file(a, path, &text, &len) < 0) {
        afc_error(d, (afc_pos){0}, "cannot read '%s': %s", shown, strerror(errno));
        return NULL;
    }
    return afc_load_string(a, d, text, len, shown);
}

/* Only plain string keys match: the key 1 is not "1". Linear, first match. */
afc_node *afc_map_get(const afc_node *n, const char *key)
{
    if (!n || n->kind != AFC_MAP || !key) return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < n->n; i++) {
        const afc_node *k = n->keys[i];
        if (k->kind == AFC_SCALAR && k->type == AF_STR && k->ykind == AFC_Y_PLAIN && k->len == kl &&
            memcmp(k->text, key, kl) == 0)
            return n->items[i];
    }
    return NULL;
}

/* A deep copy into a, shared nodes copied each time they appear. Big
 * integers become doubles, dates and timestamps their text, bytes a string,
 * sets maps with null values, pairs lists of [key, value] lists. */
af_value *afc_node_value(af_arena *a, const afc_node *n)
{
    if (!n) return af_null();
    switch (n->kind) {
    case AFC_SEQ: {
        af_value *l = af_list(a);
        for (size_t i = 0; i < n->n; i++)
            af_list_push(a, l, afc_node_value(a, n->items[i]));
        return l;
    }
    case AFC_MAP: {
        af_value *m = af_map(a);
        for (size_t i = 0; i < n->n; i++) {
            const afc_node *k = n->keys[i];
            const char *ks = k->kind == AFC_SCALAR ? key_str(a, k) : "";
            af_map_set(a, m, ks, afc_node_value(a, n->items[i]));
        }
        return m;
    }
    default:
        break;
    }
    switch (n->type) {
    case AF_BOOL:
        return af_bool(n->b);
    case AF_INT:
        return n->big_int ? af_double(a, n->d) : af_int(a, n->i);
    case AF_DOUBLE:
        return af_double(a, n->d);
    case AF_STR:
        return af_strn(a, n->text ? n->text : "", n->text ? n->len : 0);
    default:
        return af_null();
    }
}

/* A static string: "a string", "an integer", "a date", "a mapping", ... */
const char *afc_node_what(const afc_node *n)
{
    if (!n) return "nothing";
    if (n->kind == AFC_SEQ) return n->ykind == AFC_Y_PAIRS ? "a list of pairs" : "a sequence";
    if (n->kind == AFC_MAP) return n->ykind == AFC_Y_SET ? "a set" : "a mapping";
    switch (n->type) {
    case AF_NULL:
        return "null";
    case AF_BOOL:
        return "a boolean";
    case AF_INT:
        return "an integer";
    case AF_DOUBLE:
        return "a float";
    default:
        if (n->ykind == AFC_Y_DATE) return "a date";
        if (n->ykind == AFC_Y_DATETIME) return "a timestamp";
        if (n->ykind == AFC_Y_BINARY) return "binary data";
        return "a string";
    }
}
