/*
 * afc.h - the compiler's internal interface, one section per stage.
 *
 *   load.c    YAML (libyaml events) -> node tree with file:line:col
 *   diag.c    gcc-style diagnostics, collected and printed sorted
 *   spec.c    node tree -> typed flow / manifest / profiles structs
 *   check.c   semantic rules, templates, `when`
 *   when.c    `when` expressions: parse, check, emit C
 *   emit.c    flow -> C source against af.h
 *   cc.c      C -> executable (libtcc in memory, or gcc)
 *   catalog.c built-in step and driver descriptors (generated list)
 *   main.c    the command line
 *
 * One arena per compile (af_arena from the runtime, which afc links).
 */
#ifndef AFC_H
#define AFC_H

#include "af.h"
#include <stdio.h>

#define AFC_VERSION "0.1.0"

/* ---- diag.c ------------------------------------------------------------- */

typedef struct afc_src {
    const char *path;    /* as shown in messages */
    const char *text;    /* whole file, NUL-terminated */
    size_t len;
} afc_src;

typedef struct afc_pos {
    const afc_src *src;  /* NULL: no location */
    int line, col;       /* 1-based */
} afc_pos;

typedef enum afc_sev { AFC_NOTE, AFC_WARNING, AFC_ERROR } afc_sev;

typedef struct afc_diags afc_diags;

afc_diags *afc_diags_new(af_arena *a);
/* Records a diagnostic. Notes attach to the previous error or warning and are
 * printed right after it. */
void afc_error(afc_diags *d, afc_pos pos, const char *fmt, ...) AF_PRINTF(3, 4);
void afc_warning(afc_diags *d, afc_pos pos, const char *fmt, ...) AF_PRINTF(3, 4);
void afc_note(afc_diags *d, afc_pos pos, const char *fmt, ...) AF_PRINTF(3, 4);
/* Adds "did you mean 'X'?" when some candidate is close to word (edit
 * distance <= max(1, len/3)); candidates NULL-terminated. */
void afc_note_suggest(afc_diags *d, afc_pos pos, const char *word, const char *const *candidates);
int afc_error_count(const afc_diags *d);
int afc_warning_count(const afc_diags *d);
/* Prints gcc style, sorted by file, line, column (stable):
 *   path:L:C: error: message
 *    L | source line
 *      |       ^
 * then notes; colour when out is a tty and NO_COLOR is unset. werror makes
 * warnings count as errors. */
void afc_diags_print(afc_diags *d, FILE *out);
/* -Werror: from now on warnings print as errors and count in
 * afc_error_count (afc_warning_count then returns 0). Off by default. */
void afc_diags_set_werror(afc_diags *d, int on);
/* As a JSON array of {file,line,col,severity,message,notes:[...]} */
void afc_diags_json(afc_diags *d, af_buf *out);

/* ---- load.c ------------------------------------------------------------- */

typedef enum afc_nkind { AFC_SCALAR, AFC_SEQ, AFC_MAP } afc_nkind;

/* What PyYAML would construct where af_type alone cannot say it. */
typedef enum afc_ykind {
    AFC_Y_PLAIN = 0, /* null, bool, int, float, str, list or dict: type says it all */
    AFC_Y_DATE,      /* !!timestamp without a time: AF_STR, text "2024-01-02" (Python str()) */
    AFC_Y_DATETIME,  /* !!timestamp with a time: AF_STR, text as Python str() prints it */
    AFC_Y_BINARY,    /* !!binary: AF_STR, text/len hold the decoded bytes */
    AFC_Y_SET,       /* !!set: AFC_MAP whose values are null scalars */
    AFC_Y_PAIRS,     /* !!omap / !!pairs: AFC_SEQ of two-item AFC_SEQ [key, value] */
} afc_ykind;

typedef struct afc_node afc_node;
struct afc_node {
    afc_nkind kind;
    afc_pos pos;          /* start of the node (for maps/seqs: first token) */
    /* AFC_SCALAR: resolved as PyYAML's safe loader does (YAML 1.1). */
    af_type type;         /* AF_NULL, AF_BOOL, AF_INT, AF_DOUBLE, AF_STR */
    const char *text;     /* the scalar as written (after YAML unescaping); for AF_STR
                           * the string value (see ykind for dates and bytes) */
    size_t len;
    int quoted;           /* 1 when single/double quoted or block scalar */
    int b;                /* AF_BOOL */
    int64_t i;            /* AF_INT */
    double d;             /* AF_DOUBLE */
    int big_int;          /* AF_INT literal out of int64 range (then d holds it) */
    /* AFC_SEQ: items; AFC_MAP: keys[i] -> items[i] (keys are scalars or nodes) */
    afc_node **items;
    afc_node **keys;
    size_t n;
    afc_ykind ykind;      /* AFC_Y_PLAIN unless a tag made it a date, bytes, set... */
};

/* Reads and parses path (label: how it is shown in diagnostics). Returns the
 * root node (an empty file gives a NULL-typed scalar), or NULL after
 * reporting errors (syntax errors, duplicate keys, unknown tags, recursive
 * aliases). Merge keys (<<) and aliases are resolved; anchors may be
 * shared, so the tree is a DAG: treat nodes as read-only. The source text is
 * kept for diagnostics. */
afc_node *afc_load_file(af_arena *a, afc_diags *d, const char *path, const char *label);
afc_node *afc_load_string(af_arena *a, afc_diags *d, const char *text, size_t len,
                          const char *label);
/* Map lookup by string key (NULL when absent or n is not a map). */
afc_node *afc_map_get(const afc_node *n, const char *key);
/* A scalar's value as an af_value (strings copied); seq/map converted deeply,
 * non-string map keys turned into their Python str() form. */
af_value *afc_node_value(af_arena *a, const afc_node *n);
/* "a string", "an integer", "a mapping", ... for messages */
const char *afc_node_what(const afc_node *n);

#endif /* AFC_H */
