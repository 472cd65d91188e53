/*
 * xlsx_style.c - cell formats: styles.xml (numFmts, fonts, cellXfs).
 *
 * Part of the OOXML workbook layer (xlsx.h). The fill steps never replace a
 * template's formatting; they derive new cell formats from existing ones,
 * the way openpyxl does when the reference assigns values and styles:
 *   - a date written into a cell whose number format does not show dates
 *     gets a copy of the cell's format with "yyyy-mm-dd" (datetimes:
 *     "yyyy-mm-dd h:mm:ss");
 *   - copying a style row copies font, fill, border, alignment, number
 *     format and protection, and keeps the target's named style;
 *   - header_bold copies the cell's font with bold on.
 * Derived formats are appended (existing indexes never change) and an
 * identical existing entry is reused. Results are cached per input.
 */
#include "xlsx_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- small map ------------------------------------------------------------------------ */

static size_t hash64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

uint32_t xmap_get(xmap *m, uint64_t k, int *found)
{
    *found = 0;
    if (!m->cap) return 0;
    for (size_t i = hash64(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == 0) return 0;
        if (m->keys[i] == k + 1) {
            *found = 1;
            return m->vals[i];
        }
    }
}

void xmap_put(xmap *m, uint64_t k, uint32_t v)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        uint64_t *keys = calloc(cap, sizeof *keys);
        uint32_t *vals = calloc(cap, sizeof *vals);
        if (!keys || !vals) abort();
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i]) continue;
            size_t j = hash64(m->keys[i] - 1) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = m->keys[i];
            vals[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    size_t i = hash64(k) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != k + 1)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) m->n++;
    m->keys[i] = k + 1; /* 0 marks an empty slot */
    m->vals[i] = v;
}

void xmap_free(xmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- loading -------------------------------------------------------------------------- */

static const char minimal_styles[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<styleSheet xmlns=\"" NS_MAIN "\">"
    "<fonts count=\"1\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/>"
    "<scheme val=\"minor\"/></font></fonts>"
    "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
    "<fill><patternFill patternType=\"gray125\"/></fill></fills>"
    "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/>"
    "</cellStyleXfs>"
    "<cellXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
    "</cellXfs>"
    "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
    "</styleSheet>";

static const char *const ss_order[] = {"numFmts",      "fonts",   "fills",      "borders",
                                       "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                                       "tableStyles",  "colors",  "extLst",     NULL};

static xmlNodePtr ss_child(xlsx_book *b, const char *name)
{
    xmlNodePtr root = xmlDocGetRootElement(b->styles->doc);
    xmlNodePtr c = xlsx__child(root, name);
    if (c) return c;
    c = xmlNewDocNode(b->styles->doc, root->ns, BAD_CAST name, NULL);
    return xlsx__insert_ordered(root, c, ss_order);
}

static void collect(xmlNodePtr parent, const char *name, xmlNodePtr **v, size_t *n, size_t *cap)
{
    *n = 0;
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next) {
        if (!xlsx__is(c, name)) continue;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *v = realloc(*v, *cap * sizeof **v);
            if (!*v) abort();
        }
        (*v)[(*n)++] = c;
    }
}

int xlsx__styles_load(xlsx_book *b, char *err, size_t errlen)
{
    const char *name[1];
    if (xlsx__related(b, b->wb->name, "/styles", name, 1) == 1) b->styles = xlsx__part(b, name[0]);
    if (!b->styles) {
        /* a workbook without styles: give it the default one Excel writes */
        const char *pn = af_sprintf(b->a, "%sstyles.xml", b->wb_dir);
        b->styles = xlsx__part_new(
            b, pn, "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml");
        b->styles->data = (char *)minimal_styles;
        b->styles->len = strlen(minimal_styles);
        xmlDocPtr rd = xlsx__doc(b, b->wbrels, err, errlen);
        if (!rd) return -1;
        xmlNodePtr root = xmlDocGetRootElement(rd);
        xmlNodePtr r = xmlNewDocNode(rd, root->ns, BAD_CAST "Relationship", NULL);
        xmlSetProp(r, BAD_CAST "Id", BAD_CAST "rIdAfcStyles");
        xmlSetProp(r, BAD_CAST "Type", BAD_CAST NS_REL "/styles");
        xmlSetProp(r, BAD_CAST "Target", BAD_CAST "styles.xml");
        xmlAddChild(root, r);
        b->wbrels->dirty = 1;
    }
    if (!xlsx__doc(b, b->styles, err, errlen)) return -1;
    b->numfmts = xlsx__child(xmlDocGetRootElement(b->styles->doc), "numFmts");
    b->fonts = ss_child(b, "fonts");
    b->cellxfs = ss_child(b, "cellXfs");
    collect(b->cellxfs, "xf", &b->xfs, &b->nxfs, &b->capxfs);
    collect(b->fonts, "font", &b->fontv, &b->nfonts, &b->capfonts);
    if (b->nxfs == 0) {
        /* cell format 0 must exist: cells without s refer to it */
        xmlNodePtr xf = xmlNewDocNode(b->styles->doc, b->cellxfs->ns, BAD_CAST "xf", NULL);
        xmlSetProp(xf, BAD_CAST "numFmtId", BAD_CAST "0");
        xmlAddChild(b->cellxfs, xf);
        collect(b->cellxfs, "xf", &b->xfs, &b->nxfs, &b->capxfs);
        b->styles->dirty = 1;
    }
    return 0;
}

size_t xlsx_style_count(const xlsx_book *b)
{
    return b->nxfs;
}

/* ---- number formats ------------------------------------------------------------------- */

/* ECMA-376 Part 1, 18.8.30: the built-in formats readers agree on */
static const char *builtin_fmt(unsigned id)
{
    switch (id) {
    case 0:
        return "General";
    case 1:
        return "0";
    case 2:
        return "0.00";
    case 3:
        return "#,##0";
    case 4:
        return "#,##0.00";
    case 9:
        return "0%";
    case 10:
        return "0.00%";
    case 11:
        return "0.00E+00";
    case 12:
        return "# ?/?";
    case 13:
        return "# ?"
               "?/?"
               "?"; /* split: no trigraph */
    case 14:
        return "mm-dd-yy";
    case 15:
        return "d-mmm-yy";
    case 16:
        return "d-mmm";
    case 17:
        return "mmm-yy";
    case 18:
        return "h:mm AM/PM";
    case 19:
        return "h:mm:ss AM/PM";
    case 20:
        return "h:mm";
    case 21:
        return "h:mm:ss";
    case 22:
        return "m/d/yy h:mm";
    case 37:
        return "#,##0 ;(#,##0)";
    case 38:
        return "#,##0 ;[Red](#,##0)";
    case 39:
        return "#,##0.00;(#,##0.00)";
    case 40:
        return "#,##0.00;[Red](#,##0.00)";
    case 45:
        return "mm:ss";
    case 46:
        return "[h]:mm:ss";
    case 47:
        return "mmss.0";
    case 48:
        return "##0.0E+0";
    case 49:
        return "@";
    }
    return NULL;
}

static const char *numfmt_code(xlsx_book *b, unsigned id)
{
    for (xmlNodePtr c = b->numfmts ? b->numfmts->children : NULL; c; c = c->next) {
        if (!xlsx__is(c, "numFmt")) continue;
        const char *i = xlsx__attr(b->a, c, "numFmtId");
        if (i && (unsigned)strtoul(i, NULL, 10) == id) {
            const char *code = xlsx__attr(b->a, c, "formatCode");
            return code ? code : "General";
        }
    }
    const char *bi = builtin_fmt(id);
    return bi ? bi : "General";
}

static unsigned xf_uint(xlsx_book *b, xmlNodePtr xf, const char *attr)
{
    const char *v = xlsx__attr(b->a, xf, attr);
    return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

const char *xlsx_style_numfmt(xlsx_book *b, uint32_t s)
{
    if (s >= b->nxfs) return "General";
    return numfmt_code(b, xf_uint(b, b->xfs[s], "numFmtId"));
}

int xlsx_numfmt_is_date(const char *code)
{
    char buf[512];
    size_t o = 0;
    const char *end = strchr(code, ';');
    size_t n = end ? (size_t)(end - code) : strlen(code);
    for (size_t i = 0; i < n && o < sizeof buf - 1;) {
        char c = code[i];
        if (c == '"') { /* quoted literal, when it is closed */
            const char *q = memchr(code + i + 1, '"', n - i - 1);
            if (q) {
                i = (size_t)(q - code) + 1;
                continue;
            }
        }
        if (c == '[') { /* [Red], [$-409]: ignored; [h] [mm] [ss]: kept */
            static const char *const keep[] = {"[h]", "[hh]", "[m]", "[mm]", "[s]", "[ss]"};
            int kept = 0;
            for (int k = 0; k < 6; k++)
                if (!strncmp(code + i, keep[k], strlen(keep[k]))) kept = 1;
            const char *q = memchr(code + i + 1, ']', n - i - 1);
            if (!kept && q) {
                i = (size_t)(q - code) + 1;
                continue;
            }
        }
        buf[o++] = c;
        i++;
    }
    for (size_t i = 0; i < o; i++) {
        if (!strchr("dmhysDMHYS", buf[i])) continue;
        if (i > 0 && (buf[i - 1] == '_' || buf[i - 1] == '\\')) continue;
        return 1;
    }
    return 0;
}

/* The id of a custom number format with that code, added when missing. */
static unsigned numfmt_id(xlsx_book *b, const char *code)
{
    unsigned max = 163;
    for (xmlNodePtr c = b->numfmts ? b->numfmts->children : NULL; c; c = c->next) {
        if (!xlsx__is(c, "numFmt")) continue;
        const char *fc = xlsx__attr(b->a, c, "formatCode");
        unsigned id = xf_uint(b, c, "numFmtId");
        if (fc && !strcmp(fc, code)) return id;
        if (id > max) max = id;
    }
    if (!b->numfmts) b->numfmts = ss_child(b, "numFmts");
    xmlNodePtr nf = xmlNewDocNode(b->styles->doc, b->numfmts->ns, BAD_CAST "numFmt", NULL);
    char id[16];
    snprintf(id, sizeof id, "%u", max + 1);
    xmlSetProp(nf, BAD_CAST "numFmtId", BAD_CAST id);
    xmlSetProp(nf, BAD_CAST "formatCode", BAD_CAST code);
    xmlAddChild(b->numfmts, nf);
    unsigned cnt = 0;
    for (xmlNodePtr c = b->numfmts->children; c; c = c->next)
        cnt += xlsx__is(c, "numFmt");
    snprintf(id, sizeof id, "%u", cnt);
    xmlSetProp(b->numfmts, BAD_CAST "count", BAD_CAST id);
    b->styles->dirty = 1;
    return max + 1;
}

/* ---- cell formats ------------------------------------------------------------------- */

static void set_count(xmlNodePtr parent, size_t n)
{
    char c[24];
    snprintf(c, sizeof c, "%zu", n);
    xmlSetProp(parent, BAD_CAST "count", BAD_CAST c);
}

/* Appends node (a fresh copy) to the list, or returns an identical existing
 * entry. */
static uint32_t add_unique(xlsx_book *b, xmlNodePtr parent, xmlNodePtr node, xmlNodePtr **v,
                           size_t *n, size_t *cap, const char *name)
{
    char *want = xlsx__node_xml(b->a, node);
    for (size_t i = 0; i < *n; i++) {
        char *have = xlsx__node_xml(b->a, (*v)[i]);
        if (!strcmp(have, want)) {
            xmlFreeNode(node);
            return (uint32_t)i;
        }
    }
    xmlAddChild(parent, node);
    collect(parent, name, v, n, cap);
    set_count(parent, *n);
    b->styles->dirty = 1;
    return (uint32_t)(*n - 1);
}

/* Points the namespaces of n's subtree from `from` to `to`. */
static void retarget(xmlNodePtr n, xmlNsPtr from, xmlNsPtr to)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (n->ns == from) n->ns = to;
        for (xmlAttrPtr a = n->properties; a; a = a->next)
            if (a->ns == from) a->ns = to;
        retarget(n->children, from, to);
    }
}

/* A deep copy of node meant to become a child of parent. xmlCopyNode gives
 * the copy its own namespace declarations; those the parent already has in
 * scope are dropped so the copy serialises like its siblings. */
static xmlNodePtr clone_for(xmlNodePtr node, xmlNodePtr parent)
{
    xmlNodePtr c = xmlCopyNode(node, 1);
    if (!c) abort();
    xmlNsPtr *link = &c->nsDef;
    while (*link) {
        xmlNsPtr d = *link;
        xmlNsPtr in = xmlSearchNsByHref(parent->doc, parent, d->href);
        int same = in && ((!in->prefix && !d->prefix) ||
                          (in->prefix && d->prefix && !xmlStrcmp(in->prefix, d->prefix)));
        if (!same) {
            link = &d->next;
            continue;
        }
        retarget(c, d, in);
        *link = d->next;
        d->next = NULL;
        xmlFreeNs(d);
    }
    return c;
}

static xmlNodePtr xf_clone(xlsx_book *b, uint32_t s)
{
    return clone_for(b->xfs[s < b->nxfs ? s : 0], b->cellxfs);
}

static void set_uint(xmlNodePtr n, const char *attr, unsigned v)
{
    char c[16];
    snprintf(c, sizeof c, "%u", v);
    xmlSetProp(n, BAD_CAST attr, BAD_CAST c);
}

static void copy_attr(xlsx_book *b, xmlNodePtr dst, xmlNodePtr from, const char *attr)
{
    const char *v = xlsx__attr(b->a, from, attr);
    if (v) {
        xmlSetProp(dst, BAD_CAST attr, BAD_CAST v);
    } else {
        xmlAttrPtr at = xmlHasProp(dst, BAD_CAST attr);
        if (at) xmlRemoveProp(at);
    }
}

uint32_t xlsx_style_for_date(xlsx_book *b, uint32_t s, xlsx_vkind kind)
{
    if (s >= b->nxfs) s = 0;
    int found;
    uint64_t key = ((uint64_t)s << 2) | (kind == XLSX_V_DATE ? 1u : 2u);
    uint32_t r = xmap_get(&b->date_map, key, &found);
    if (found) return r;
    if (xlsx_numfmt_is_date(xlsx_style_numfmt(b, s))) {
        xmap_put(&b->date_map, key, s);
        return s;
    }
    unsigned id = numfmt_id(b, kind == XLSX_V_DATE ? "yyyy-mm-dd" : "yyyy-mm-dd h:mm:ss");
    xmlNodePtr xf = xf_clone(b, s);
    set_uint(xf, "numFmtId", id);
    xmlSetProp(xf, BAD_CAST "applyNumberFormat", BAD_CAST "1");
    r = add_unique(b, b->cellxfs, xf, &b->xfs, &b->nxfs, &b->capxfs, "xf");
    xmap_put(&b->date_map, key, r);
    return r;
}

uint32_t xlsx_style_copy(xlsx_book *b, uint32_t src, uint32_t dst)
{
    if (src >= b->nxfs) src = 0;
    if (dst >= b->nxfs) dst = 0;
    if (src == dst) return src;
    int found;
    uint64_t key = ((uint64_t)src << 32) | dst;
    uint32_t r = xmap_get(&b->copy_map, key, &found);
    if (found) return r;
    xmlNodePtr xf = xf_clone(b, src);
    copy_attr(b, xf, b->xfs[dst], "xfId");
    copy_attr(b, xf, b->xfs[dst], "quotePrefix");
    copy_attr(b, xf, b->xfs[dst], "pivotButton");
    r = add_unique(b, b->cellxfs, xf, &b->xfs, &b->nxfs, &b->capxfs, "xf");
    xmap_put(&b->copy_map, key, r);
    return r;
}

uint32_t xlsx_style_bold(xlsx_book *b, uint32_t s)
{
    if (s >= b->nxfs) s = 0;
    int found;
    uint32_t r = xmap_get(&b->bold_map, s, &found);
    if (found) return r;
    unsigned fid = xf_uint(b, b->xfs[s], "fontId");
    xmlNodePtr font = fid < b->nfonts
                          ? clone_for(b->fontv[fid], b->fonts)
                          : xmlNewDocNode(b->styles->doc, b->fonts->ns, BAD_CAST "font", NULL);
    xmlNodePtr bn = xlsx__child(font, "b");
    if (bn) {
        xmlAttrPtr at = xmlHasProp(bn, BAD_CAST "val");
        if (at) xmlRemoveProp(at);
    } else {
        /* in the font's own document: a clone has none, and a node named
         * from the styles' dictionary would be freed with the clone when it
         * turns out to be a duplicate */
        bn = xmlNewDocNode(font->doc, font->ns, BAD_CAST "b", NULL);
        if (font->children)
            xmlAddPrevSibling(font->children, bn);
        else
            xmlAddChild(font, bn);
    }
    uint32_t nf = add_unique(b, b->fonts, font, &b->fontv, &b->nfonts, &b->capfonts, "font");
    xmlNodePtr xf = xf_clone(b, s);
    set_uint(xf, "fontId", nf);
    xmlSetProp(xf, BAD_CAST "applyFont", BAD_CAST "1");
    r = add_unique(b, b->cellxfs, xf, &b->xfs, &b->nxfs, &b->capxfs, "xf");
    xmap_put(&b->bold_map, s, r);
    return r;
}
