/*
 * plugin.c - a bundle's C plugins: their descriptors known at build time.
 *
 * Part of the bundle stage (bundle.c calls it before any flow is checked).
 * A plugin is a .c file written against af.h like the built-in steps; it
 * defines `const af_step_desc af_step_<x>` and `const af_driver
 * af_driver_<x>` descriptors, and may define the secrets hooks under their
 * fixed names (af_secrets_decode, af_secrets_expand_env). afc has to know
 * each plugin step's input schema to validate flows, so it compiles the
 * plugins in memory with libtcc first:
 *
 *   pass 1  each file on its own (TCC_OUTPUT_MEMORY): syntax and type
 *           errors, mapped to file:line:col diagnostics with the source
 *           line; tcc_list_symbols names the globals the file defines.
 *   pass 2  all files together with libafrt.a and the libraries their
 *           descriptors name in `.libs`, relocated in memory: an undefined
 *           symbol is reported where the plugin first uses it; then
 *           tcc_get_symbol gives each descriptor, which is checked and
 *           appended to the catalog.
 *
 * The relocated code stays loaded while afc runs: the catalog points into
 * it, and the descriptors' build-time check hooks run from it. The same
 * sources are compiled again into each executable by cc.c.
 */
#include "afc.h"
#include "af_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libtcc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TCC_LIB_DIR "/usr/lib/x86_64-linux-gnu/tcc"
#define DECODE_SYM "af_secrets_decode"
#define EXPAND_SYM "af_secrets_expand_env"

extern const char afc_tpl_new_step_c[];

/* One plugin source known to the diagnostics. */
typedef struct psrc {
    const char *path; /* as given to tcc */
    const char *real; /* realpath, to recognise tcc's spelling of it */
    afc_src *src;     /* text and label for messages */
} psrc;

typedef struct pctx {
    af_arena *a;
    afc_diags *d;
    psrc *srcs; /* every file messages may name (grows with headers) */
    size_t nsrcs, cap;
    int errors;
    int link_pass;      /* pass 2: compile messages were already reported */
    const char **undef; /* undefined symbols found in pass 2 */
    size_t nundef, capundef;
    size_t nbuiltin_steps, nbuiltin_drivers; /* catalog entries before the plugins */
    const char **defs;                       /* globals the current file defines (pass 1) */
    size_t ndefs, capdefs;
} pctx;

/* ---- sources and positions ------------------------------------------------------ */

static char *slurp(af_arena *a, const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    af_buf b = {0};
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        af_buf_put(&b, chunk, (size_t)n);
    close(fd);
    if (n < 0) {
        af_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    char *s = af_strndup(a, af_buf_cstr(&b), b.len);
    af_buf_free(&b);
    return s;
}

static psrc *add_src(pctx *c, const char *path, const char *label)
{
    if (c->nsrcs == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        psrc *n = af_alloc(c->a, cap * sizeof *n);
        if (c->nsrcs) memcpy(n, c->srcs, c->nsrcs * sizeof *n);
        c->srcs = n;
        c->cap = cap;
    }
    psrc *p = &c->srcs[c->nsrcs++];
    p->path = af_strdup(c->a, path);
    char rp[PATH_MAX];
    p->real = af_strdup(c->a, realpath(path, rp) ? rp : path);
    p->src = af_alloc(c->a, sizeof *p->src);
    p->src->path = af_strdup(c->a, label);
    size_t len = 0;
    char *text = slurp(c->a, path, &len);
    p->src->text = text ? text : "";
    p->src->len = text ? len : 0;
    return p;
}

/* The source a tcc message names, added on first sight (headers). */
static psrc *src_for(pctx *c, const char *file)
{
    char rp[PATH_MAX];
    const char *real = realpath(file, rp) ? rp : file;
    for (size_t i = 0; i < c->nsrcs; i++)
        if (!strcmp(c->srcs[i].real, real) || !strcmp(c->srcs[i].path, file)) return &c->srcs[i];
    /* a header beside a known source: named the way that source is */
    for (size_t i = 0; i < c->nsrcs; i++) {
        const char *rs = strrchr(c->srcs[i].real, '/'), *ls = strrchr(c->srcs[i].src->path, '/');
        size_t rn = rs ? (size_t)(rs - c->srcs[i].real) : 0;
        if (!rs || strncmp(real, c->srcs[i].real, rn) || real[rn] != '/') continue;
        const char *label = ls ? af_sprintf(c->a, "%.*s%s", (int)(ls - c->srcs[i].src->path),
                                            c->srcs[i].src->path, real + rn)
                               : real + rn + 1;
        return add_src(c, file, label);
    }
    return add_src(c, file, file);
}

/* Start of 1-based line `line` in src, or NULL. */
static const char *line_start(const afc_src *s, int line, const char **end)
{
    const char *p = s->text, *e = s->text + s->len;
    for (int l = 1; l < line && p < e; p++)
        if (*p == '\n') l++;
    if (p >= e && line > 1) return NULL;
    const char *q = p;
    while (q < e && *q != '\n')
        q++;
    *end = q;
    return p;
}

/* An identifier occurrence at p (not part of a longer identifier). */
static int word_at(const char *start, const char *p, const char *end, size_t n)
{
    if (p > start && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) return 0;
    if (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '_')) return 0;
    return 1;
}

/* Column of `tok` in [s, e) (1-based), or 0. */
static int find_col(const char *s, const char *e, const char *tok, int word)
{
    size_t n = strlen(tok);
    if (!n) return 0;
    for (const char *p = s; p + n <= e; p++)
        if (!memcmp(p, tok, n) && (!word || word_at(s, p, e, n))) return (int)(p - s) + 1;
    return 0;
}

/* tcc reports lines only: place the caret on what the message quotes
 * (`got "x"` first, then each '...' token), else on the line's first
 * non-blank character. */
static int guess_col(const afc_src *src, int line, const char *msg)
{
    const char *e, *s = line_start(src, line, &e);
    if (!s) return 0;
    const char *g = strstr(msg, "got \"");
    if (g) {
        const char *q = strchr(g + 5, '"');
        if (q) {
            char tok[128];
            snprintf(tok, sizeof tok, "%.*s", (int)(q - g - 5), g + 5);
            int col = find_col(s, e, tok, 0);
            if (col) return col;
        }
    }
    for (const char *q = strchr(msg, '\''); q; q = strchr(q + 1, '\'')) {
        const char *r = strchr(q + 1, '\'');
        if (!r) break;
        char tok[128];
        snprintf(tok, sizeof tok, "%.*s", (int)(r - q - 1), q + 1);
        int col = find_col(s, e, tok, isalpha((unsigned char)tok[0]) || tok[0] == '_');
        if (col) return col;
        q = r;
    }
    int col = 1;
    for (const char *p = s; p < e && (*p == ' ' || *p == '\t'); p++)
        col++;
    return col;
}

/* The first occurrence of text in the plugin sources (no word check). */
static afc_pos first_text(pctx *c, const char *text)
{
    afc_pos none = {0};
    for (size_t i = 0; i < c->nsrcs; i++) {
        const afc_src *s = c->srcs[i].src;
        const char *hit = strstr(s->text, text);
        if (!hit) continue;
        int line = 1;
        const char *ls = s->text;
        for (const char *p = s->text; p < hit; p++)
            if (*p == '\n') {
                line++;
                ls = p + 1;
            }
        afc_pos pos = {s, line, (int)(hit - ls) + 1};
        return pos;
    }
    return none;
}

/* The first use of identifier `name` in the plugin sources (.c first). */
static afc_pos first_use(pctx *c, const char *name)
{
    afc_pos none = {0};
    size_t n = strlen(name);
    for (size_t i = 0; i < c->nsrcs; i++) {
        const afc_src *s = c->srcs[i].src;
        const char *t = s->text, *end = t + s->len;
        int line = 1;
        const char *ls = t;
        for (const char *p = t; p + n <= end; p++) {
            if (*p == '\n') {
                line++;
                ls = p + 1;
                continue;
            }
            /* the first whole-word hit, comments included: close enough
             * to show the reader where the name comes from */
            if (!memcmp(p, name, n) && word_at(t, p, end, n)) {
                afc_pos pos = {s, line, (int)(p - ls) + 1};
                return pos;
            }
        }
    }
    return none;
}

/* ---- tcc messages -> diagnostics ------------------------------------------------------ */

static void push_name(af_arena *a, const char ***v, size_t *n, size_t *cap, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i], s)) return;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        const char **nv = af_alloc(a, nc * sizeof *nv);
        if (*n) memcpy(nv, *v, *n * sizeof *nv);
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = af_strdup(a, s);
}

/* "file:line: error: text" -> 1 with the parts; 0 otherwise. */
static int split_msg(char *line, char **file, int *lno, char **sev, char **text)
{
    char *p = line;
    for (;;) {
        p = strchr(p, ':');
        if (!p) return 0;
        char *q = p + 1;
        if (isdigit((unsigned char)*q)) {
            char *r = q;
            while (isdigit((unsigned char)*r))
                r++;
            if (r[0] == ':' && r[1] == ' ') {
                *p = 0;
                *file = line;
                *lno = atoi(q);
                char *s = r + 2;
                char *colon = strstr(s, ": ");
                if (!colon) return 0;
                *colon = 0;
                *sev = s;
                *text = colon + 2;
                return 1;
            }
        }
        p = q;
    }
}

static void tcc_msg(void *opaque, const char *msg)
{
    pctx *c = opaque;
    afc_pos nopos = {0};
    char *copy = af_strdup(c->a, msg);
    /* the last line is the message; earlier ones say where it was included from */
    char *last = strrchr(copy, '\n');
    char *body = last ? last + 1 : copy;
    if (last) *last = 0;
    int is_warning = strstr(body, ": warning: ") != NULL;
    if (!strncmp(body, "tcc: ", 5)) {
        const char *u = strstr(body, "undefined symbol '");
        if (u) {
            char name[256];
            snprintf(name, sizeof name, "%s", u + 18);
            char *q = strchr(name, '\'');
            if (q) *q = 0;
            push_name(c->a, &c->undef, &c->nundef, &c->capundef, name);
            c->errors++;
            return;
        }
        if (is_warning) return;
        c->errors++;
        afc_error(c->d, nopos, "plugins: %s", body + 5 + (strncmp(body + 5, "error: ", 7) ? 0 : 7));
        return;
    }
    if (c->link_pass) {
        if (!is_warning) c->errors++; /* reported by the first pass */
        return;
    }
    char *file, *sev, *text;
    int line;
    if (!split_msg(body, &file, &line, &sev, &text)) {
        if (!is_warning) {
            c->errors++;
            afc_error(c->d, nopos, "plugins: %s", body);
        }
        return;
    }
    psrc *ps = src_for(c, file);
    afc_pos pos = {ps->src, line, guess_col(ps->src, line, text)};
    if (!strcmp(sev, "warning")) {
        afc_warning(c->d, pos, "%s", text);
    } else {
        c->errors++;
        afc_error(c->d, pos, "%s", text);
    }
    /* "In file included from a.c:3:" lines become notes at the includer */
    for (char *l = copy; last && l && *l;) {
        char *nl = strchr(l, '\n');
        if (nl) *nl = 0;
        const char *from = strstr(l, "included from ");
        if (from) {
            char buf[PATH_MAX + 32];
            snprintf(buf, sizeof buf, "%s", from + 14);
            char *colon = strrchr(buf, ':');
            if (colon && !colon[1]) *colon = 0;
            colon = strrchr(buf, ':');
            if (colon && strncmp(buf, "<string>", 8)) {
                *colon = 0;
                psrc *inc = src_for(c, buf);
                int il = atoi(colon + 1);
                afc_pos ipos = {inc->src, il, guess_col(inc->src, il, "")};
                /* tcc also says so for an #include it could not open */
                if (inc != ps || il != line) afc_note(c->d, ipos, "included from here");
            }
        }
        l = nl ? nl + 1 : NULL;
    }
}

static void collect_def(void *ctx, const char *name, const void *val)
{
    (void)val;
    pctx *c = ctx;
    push_name(c->a, &c->defs, &c->ndefs, &c->capdefs, name);
}

/* ---- the two passes -------------------------------------------------------------------- */

static TCCState *new_state(pctx *c, const char *home, const char *const *incs)
{
    TCCState *s = tcc_new();
    if (!s) return NULL;
    tcc_set_error_func(s, c, tcc_msg);
    tcc_set_lib_path(s, TCC_LIB_DIR);
    tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
    tcc_add_include_path(s, af_sprintf(c->a, "%s/include/afc", home));
    for (const char *const *i = incs; i && *i; i++)
        tcc_add_include_path(s, *i);
    return s;
}

/* Pass 1 compiles a file after a prelude that puts one private object at
 * offset 0 of each section: tcc_list_symbols skips symbols whose value is
 * 0, which before relocation is the first definition of a section. The file
 * is #included by its real path, so messages name it and its lines as
 * usual. */
static int compile_alone(TCCState *s, const psrc *ps)
{
    if (strpbrk(ps->real, "\"\\\n")) return tcc_add_file(s, ps->path);
    char *code;
    if (asprintf(&code,
                 "static int afc__pad_text(void) { return 0; }\n"
                 "static int afc__pad_data = 1;\n"
                 "static const int afc__pad_rodata = 1;\n"
                 "static int afc__pad_bss;\n"
                 "#include \"%s\"\n",
                 ps->real) < 0)
        return -1;
    int rc = tcc_compile_string(s, code);
    free(code);
    return rc;
}

static const char *libgcc(af_arena *a, const char *home)
{
    const char *p = af_sprintf(a, "%s/lib/afc/libgcc.path", home);
    size_t n = 0;
    char *t = slurp(a, p, &n);
    if (!t) return NULL;
    t[strcspn(t, "\r\n")] = 0;
    return access(t, R_OK) == 0 ? t : NULL;
}

/* `.libs = "-lfoo -Lbar"` strings in the sources: what pass 2 must load for
 * the plugins to link, before their descriptors can be read. */
static void scan_libs(pctx *c, size_t nfiles, const char ***libs, size_t *nlibs, size_t *cap)
{
    for (size_t i = 0; i < nfiles; i++) {
        const char *t = c->srcs[i].src->text;
        for (const char *p = t; (p = strstr(p, ".libs")); p += 5) {
            const char *q = p + 5;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q++ != '=') continue;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q++ != '"') continue;
            const char *e = strchr(q, '"');
            if (!e) continue;
            for (const char *w = q; w < e;) {
                while (w < e && *w == ' ')
                    w++;
                const char *we = w;
                while (we < e && *we != ' ')
                    we++;
                if (we > w) {
                    char *word = af_strndup(c->a, w, (size_t)(we - w));
                    push_name(c->a, libs, nlibs, cap, word);
                }
                w = we;
            }
        }
    }
}

/* 1 when sym is a built-in descriptor: one of the catalog entries that were
 * there before the plugins were appended */
static int is_builtin_sym(const pctx *c, const afc_catalog *cat, const char *sym)
{
    for (size_t i = 0; i < c->nbuiltin_steps; i++)
        if (cat->step_syms[i] && !strcmp(cat->step_syms[i], sym)) return 1;
    for (size_t i = 0; i < c->nbuiltin_drivers; i++)
        if (cat->driver_syms[i] && !strcmp(cat->driver_syms[i], sym)) return 1;
    return 0;
}

/* The descriptor symbols found, with the file that defines each. */
typedef struct found {
    const char *sym;
    size_t file;
    int is_driver;
} found;

static void append_step(af_arena *a, afc_catalog *cat, const af_step_desc *d, const char *sym)
{
    const af_step_desc **s = af_alloc(a, (cat->nsteps + 2) * sizeof *s);
    const char **y = af_alloc(a, (cat->nsteps + 2) * sizeof *y);
    if (cat->nsteps) {
        memcpy(s, cat->steps, cat->nsteps * sizeof *s);
        memcpy(y, cat->step_syms, cat->nsteps * sizeof *y);
    }
    s[cat->nsteps] = d;
    y[cat->nsteps] = sym;
    cat->steps = s;
    cat->step_syms = y;
    cat->nsteps++;
}

static void append_driver(af_arena *a, afc_catalog *cat, const af_driver *d, const char *sym)
{
    const af_driver **s = af_alloc(a, (cat->ndrivers + 2) * sizeof *s);
    const char **y = af_alloc(a, (cat->ndrivers + 2) * sizeof *y);
    if (cat->ndrivers) {
        memcpy(s, cat->drivers, cat->ndrivers * sizeof *s);
        memcpy(y, cat->driver_syms, cat->ndrivers * sizeof *y);
    }
    s[cat->ndrivers] = d;
    y[cat->ndrivers] = sym;
    cat->drivers = s;
    cat->driver_syms = y;
    cat->ndrivers++;
}

/* 1 if word (n bytes) is one of the space-separated words of list */
static int has_word(const char *list, const char *word, size_t n)
{
    for (const char *q = list; *q;) {
        while (*q == ' ')
            q++;
        const char *qe = q;
        while (*qe && *qe != ' ')
            qe++;
        if ((size_t)(qe - q) == n && n && !strncmp(q, word, n)) return 1;
        q = qe;
    }
    return 0;
}

static void add_libs_words(af_buf *b, const char *libs)
{
    for (const char *p = libs; p && *p;) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if (e > p && !has_word(af_buf_cstr(b), p, (size_t)(e - p))) {
            if (b->len) af_buf_putc(b, ' ');
            af_buf_put(b, p, (size_t)(e - p));
        }
        p = e;
    }
}

/* Checks a step descriptor read from plugin memory. */
static int valid_step(pctx *c, const afc_catalog *cat, const af_step_desc *d, const char *sym,
                      afc_pos pos)
{
    if (d->abi != AF_ABI_VERSION) {
        afc_error(c->d, pos, "plugin step %s was written for step ABI %d; this afc has ABI %d", sym,
                  d->abi, AF_ABI_VERSION);
        afc_note(c->d, pos, "set .abi = AF_ABI_VERSION and rebuild against this af.h");
        return 0;
    }
    if (!d->name || !*d->name) {
        afc_error(c->d, pos, "plugin step %s has no name (.name is the type flows write)", sym);
        return 0;
    }
    if (!d->run) {
        afc_error(c->d, pos, "plugin step '%s' (%s) has no run function", d->name, sym);
        return 0;
    }
    size_t k = 0;
    for (const af_input *in = d->inputs; in && in->name; in++)
        if (++k > 1000) {
            afc_error(c->d, pos,
                      "plugin step '%s': its inputs list does not end with an entry "
                      "whose name is NULL",
                      d->name);
            return 0;
        }
    const char *other = NULL;
    if (afc_catalog_step(cat, d->name, &other)) {
        if (is_builtin_sym(c, cat, other))
            afc_error(c->d, pos, "plugin step '%s' has the name of a built-in step type", d->name);
        else
            afc_error(c->d, pos, "step type '%s' is defined twice by the plugins (%s and %s)",
                      d->name, other, sym);
        return 0;
    }
    return 1;
}

static int valid_driver(pctx *c, const afc_catalog *cat, const af_driver *d, const char *sym,
                        afc_pos pos)
{
    if (d->abi != AF_ABI_VERSION) {
        afc_error(c->d, pos, "plugin driver %s was written for ABI %d; this afc has ABI %d", sym,
                  d->abi, AF_ABI_VERSION);
        return 0;
    }
    if (!d->kind || !*d->kind || !d->name || !*d->name) {
        afc_error(c->d, pos, "plugin driver %s needs a .kind and a .name", sym);
        return 0;
    }
    const char *other = NULL;
    if (afc_catalog_driver(cat, d->kind, d->name, &other)) {
        if (is_builtin_sym(c, cat, other))
            afc_error(c->d, pos,
                      "plugin driver '%s' of kind '%s' has the name of a built-in "
                      "driver",
                      d->name, d->kind);
        else
            afc_error(c->d, pos, "%s driver '%s' is defined twice by the plugins (%s and %s)",
                      d->kind, d->name, other, sym);
        return 0;
    }
    return 1;
}

/* The plugins' relocated code: the catalog and the descriptors' check hooks
 * point into it, so it stays loaded until afc exits. */
static TCCState *g_loaded[8];
static int g_nloaded;

static void unload_plugins(void)
{
    while (g_nloaded)
        tcc_delete(g_loaded[--g_nloaded]);
}

afc_plugins *afc_plugins_load(af_arena *a, afc_diags *d, afc_catalog *cat,
                              const afc_plugin_file *files, size_t n,
                              const char *const *include_dirs, const char *home)
{
    pctx c = {0};
    c.a = a;
    c.d = d;
    c.nbuiltin_steps = cat->nsteps;
    c.nbuiltin_drivers = cat->ndrivers;
    afc_plugins *pl = af_alloc(a, sizeof *pl);
    pl->sources = af_alloc(a, (n + 1) * sizeof *pl->sources);
    size_t ninc = 0;
    while (include_dirs && include_dirs[ninc])
        ninc++;
    pl->include_dirs = af_alloc(a, (ninc + 1) * sizeof *pl->include_dirs);
    for (size_t i = 0; i < ninc; i++)
        pl->include_dirs[i] = include_dirs[i];
    for (size_t i = 0; i < n; i++) {
        add_src(&c, files[i].path, files[i].label);
        pl->sources[i] = files[i].path;
    }
    if (!n) return pl;
    if (access(af_sprintf(a, "%s/include/afc/af.h", home), R_OK) < 0) {
        afc_error(d, (afc_pos){0},
                  "cannot compile the plugins: afc's header is not in "
                  "%s/include/afc (set AFC_HOME)",
                  home);
        return NULL;
    }

    /* pass 1: each file alone */
    found *defs = NULL;
    size_t ndefs = 0, capdefs = 0;
    int have_decode = 0, have_expand = 0;
    for (size_t i = 0; i < n; i++) {
        TCCState *s = new_state(&c, home, include_dirs);
        if (!s) {
            afc_error(d, (afc_pos){0}, "cannot initialise libtcc");
            return NULL;
        }
        c.ndefs = 0;
        int before = c.errors;
        if (compile_alone(s, &c.srcs[i]) < 0 && c.errors == before) {
            c.errors++;
            afc_error(d, (afc_pos){c.srcs[i].src, 0, 0}, "cannot compile %s", files[i].label);
        }
        if (c.errors == before) tcc_list_symbols(s, &c, collect_def);
        tcc_delete(s);
        for (size_t k = 0; k < c.ndefs; k++) {
            const char *sym = c.defs[k];
            afc_pos pos = first_use(&c, sym);
            int is_step = !strncmp(sym, "af_step_", 8), is_drv = !strncmp(sym, "af_driver_", 10);
            if (!strcmp(sym, "main") || !strcmp(sym, "af_flow")) {
                afc_error(d, pos, "a plugin must not define '%s': the generated program does", sym);
                c.errors++;
                continue;
            }
            if (!strcmp(sym, DECODE_SYM)) have_decode = 1;
            if (!strcmp(sym, EXPAND_SYM)) have_expand = 1;
            for (size_t j = 0; j < ndefs; j++)
                if (!strcmp(defs[j].sym, sym)) {
                    afc_error(d, pos, "'%s' is defined by two plugin files (%s and %s)", sym,
                              c.srcs[defs[j].file].src->path, files[i].label);
                    c.errors++;
                }
            if ((is_step || is_drv) && is_builtin_sym(&c, cat, sym)) {
                afc_error(d, pos, "plugin defines '%s', which is a built-in descriptor", sym);
                c.errors++;
                continue;
            }
            if (!is_step && !is_drv) continue;
            if (ndefs == capdefs) {
                capdefs = capdefs ? capdefs * 2 : 16;
                found *nf = af_alloc(a, capdefs * sizeof *nf);
                if (ndefs) memcpy(nf, defs, ndefs * sizeof *nf);
                defs = nf;
            }
            defs[ndefs++] = (found){af_strdup(a, sym), i, is_drv};
        }
    }
    if (have_expand && !have_decode) {
        afc_error(d, first_use(&c, EXPAND_SYM), "a plugin defines %s but no plugin defines %s",
                  EXPAND_SYM, DECODE_SYM);
        afc_note(d, first_use(&c, EXPAND_SYM),
                 "the secrets hooks are decode (required) and "
                 "expand_env (optional); see afc-plugins(7)");
        c.errors++;
    }
    if (c.errors) return pl;

    /* pass 2: linked together with the runtime, in memory */
    c.link_pass = 1;
    TCCState *s = new_state(&c, home, include_dirs);
    if (!s) {
        afc_error(d, (afc_pos){0}, "cannot initialise libtcc");
        return NULL;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = tcc_add_file(s, files[i].path);
    const char **libs = NULL;
    size_t nlibs = 0, caplibs = 0;
    scan_libs(&c, n, &libs, &nlibs, &caplibs);
    if (rc == 0) rc = tcc_add_file(s, af_sprintf(a, "%s/lib/afc/libafrt.a", home));
    for (size_t i = 0; i < nlibs && rc == 0; i++) {
        const char *w = libs[i];
        if (!strncmp(w, "-L", 2) && w[2]) {
            tcc_add_library_path(s, w + 2);
        } else if (!strncmp(w, "-l", 2) && w[2]) {
            if (tcc_add_library(s, w + 2) < 0) {
                /* reported, and the link goes on to find other problems */
                afc_error(d, first_text(&c, w), "library '%s' named in .libs is not installed",
                          w + 2);
                c.errors++;
            }
        }
    }
    const char *gcc = libgcc(a, home);
    if (rc == 0 && gcc) rc = tcc_add_file(s, gcc);
    if (rc == 0) rc = tcc_relocate(s, TCC_RELOCATE_AUTO);
    for (size_t i = 0; i < c.nundef; i++) {
        afc_pos pos = first_use(&c, c.undef[i]);
        afc_error(d, pos, "undefined reference to '%s'", c.undef[i]);
        afc_note(d, pos,
                 "plugins link with the afc runtime (af.h) and the system libraries "
                 "their descriptors name in .libs");
    }
    if (rc < 0 || c.errors) {
        if (!c.errors) afc_error(d, (afc_pos){0}, "plugins: libtcc could not link the plugins");
        tcc_delete(s);
        return pl;
    }
    if (g_nloaded == (int)(sizeof g_loaded / sizeof *g_loaded)) {
        afc_error(d, (afc_pos){0}, "too many plugin sets loaded in one afc run");
        tcc_delete(s);
        return pl;
    }
    if (!g_nloaded) atexit(unload_plugins);
    g_loaded[g_nloaded++] = s;

    af_buf plibs = {0};
    for (size_t i = 0; i < ndefs; i++) {
        const void *p = tcc_get_symbol(s, defs[i].sym);
        afc_pos pos = first_use(&c, defs[i].sym);
        if (!p) continue;
        if (defs[i].is_driver) {
            const af_driver *dv = p;
            if (!valid_driver(&c, cat, dv, defs[i].sym, pos)) continue;
            append_driver(a, cat, dv, defs[i].sym);
            add_libs_words(&plibs, dv->libs);
            pl->ndrivers++;
        } else {
            const af_step_desc *st = p;
            if (!valid_step(&c, cat, st, defs[i].sym, pos)) continue;
            append_step(a, cat, st, defs[i].sym);
            add_libs_words(&plibs, st->libs);
            pl->nsteps++;
        }
    }
    pl->libs = af_strdup(a, af_buf_cstr(&plibs));
    af_buf_free(&plibs);
    if (have_decode) pl->decode_sym = DECODE_SYM;
    if (have_expand) pl->expand_env_sym = EXPAND_SYM;
    return pl;
}

/* ---- afc new-step ----------------------------------------------------------------------- */

int afc_new_step(const char *name, const char *out)
{
    size_t n = strlen(name);
    int ok = n > 0 && n <= 64 && (isalpha((unsigned char)name[0]) || name[0] == '_');
    for (size_t i = 0; ok && i < n; i++)
        if (!(isalnum((unsigned char)name[i]) || name[i] == '_' || name[i] == '.' ||
              name[i] == '-'))
            ok = 0;
    if (!ok) {
        fprintf(stderr,
                "afc: error: invalid step type '%s': use letters, digits, '_', '.' and "
                "'-', starting with a letter\n",
                name);
        return 2;
    }
    af_arena *a = af_arena_new();
    char *ident = af_strdup(a, name);
    for (char *p = ident; *p; p++)
        if (!isalnum((unsigned char)*p)) *p = '_';
    if (!out) out = af_sprintf(a, "%s.c", ident);
    const char *kv[] = {"NAME", name, "IDENT", ident, "AFC_VERSION", AFC_VERSION, NULL};
    af_buf b = {0};
    for (const char *p = afc_tpl_new_step_c; *p;) {
        if (*p == '@') {
            const char *e = strchr(p + 1, '@');
            int done = 0;
            for (const char *const *k = kv; e && *k; k += 2)
                if ((size_t)(e - p - 1) == strlen(k[0]) && !strncmp(p + 1, k[0], strlen(k[0]))) {
                    af_buf_puts(&b, k[1]);
                    p = e + 1;
                    done = 1;
                    break;
                }
            if (done) continue;
        }
        af_buf_putc(&b, *p++);
    }
    int rc = 0;
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "afc: error: cannot create %s: %s%s\n", out, strerror(errno),
                errno == EEXIST ? " (afc new-step never overwrites a file)" : "");
        rc = 2;
    } else {
        ssize_t w = write(fd, af_buf_cstr(&b), b.len);
        if (w != (ssize_t)b.len || close(fd) != 0) {
            fprintf(stderr, "afc: error: cannot write %s: %s\n", out, strerror(errno));
            unlink(out);
            rc = 2;
        } else {
            fprintf(stderr, "afc: wrote %s: step type '%s' (descriptor af_step_%s)\n", out, name,
                    ident);
        }
    }
    af_buf_free(&b);
    af_arena_free(a);
    return rc;
}
