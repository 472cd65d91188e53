/*
 * xlsx_book.c - opening and saving workbooks: the zip container, content
 * types, relationships, workbook.xml (sheets, defined names, calcPr) and
 * the shared strings.
 *
 * Part of the OOXML workbook layer (xlsx.h). The template is read with
 * libarchive; XML parts are kept as bytes and parsed with libxml2 only when
 * needed. Saving walks the template's entries again in their order and
 * copies every part the steps did not change byte for byte; changed parts
 * are re-serialised (worksheets streamed row by row), new parts follow,
 * and styles.xml comes last because writing streamed rows may still add
 * cell formats to it.
 */
#include "xlsx_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PART (1u << 30) /* an XML part bigger than this is refused */

static int fail(char *err, size_t errlen, const char *fmt, ...) AF_PRINTF(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- xml helpers ---------------------------------------------------------------- */

int xlsx__is(xmlNodePtr n, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, local);
}

xmlNodePtr xlsx__child(xmlNodePtr n, const char *local)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (xlsx__is(c, local)) return c;
    return NULL;
}

char *xlsx__attr(af_arena *a, xmlNodePtr n, const char *name)
{
    /* attributes are matched by local name: r:id is found as "id" */
    for (xmlAttrPtr at = n ? n->properties : NULL; at; at = at->next) {
        if (strcmp((const char *)at->name, name)) continue;
        xmlChar *v = xmlNodeListGetString(n->doc, at->children, 1);
        char *s = af_strdup(a, v ? (const char *)v : "");
        xmlFree(v);
        return s;
    }
    return NULL;
}

char *xlsx__text(af_arena *a, xmlNodePtr n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *s = af_strdup(a, v ? (const char *)v : "");
    xmlFree(v);
    return s;
}

void xlsx__set_text(xmlNodePtr n, const char *text)
{
    xmlChar *e = xmlEncodeSpecialChars(n->doc, (const xmlChar *)text);
    xmlNodeSetContent(n, e);
    xmlFree(e);
}

void xlsx__esc(af_buf *b, const char *s, size_t n, int attr)
{
    size_t run = 0, i = 0;
    for (; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = attr ? "&quot;" : NULL;
            break;
        case '\r':
            rep = "&#13;";
            break;
        case '\n':
            rep = attr ? "&#10;" : NULL;
            break;
        case '\t':
            rep = attr ? "&#9;" : NULL;
            break;
        }
        if (!rep) {
            run++;
            continue;
        }
        af_buf_put(b, s + i - run, run);
        run = 0;
        af_buf_puts(b, rep);
    }
    af_buf_put(b, s + i - run, run);
}

char *xlsx__node_xml(af_arena *a, xmlNodePtr n)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlNodeDump(buf, n->doc, n, 0, 0);
    char *s = af_strndup(a, (const char *)xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
    xmlBufferFree(buf);
    return s;
}

/* ---- parts -------------------------------------------------------------------------- */

xpart *xlsx__part(xlsx_book *b, const char *name)
{
    if (name[0] == '/') name++;
    for (size_t i = 0; i < b->nparts; i++)
        if (!b->parts[i]->deleted && !strcmp(b->parts[i]->name, name)) return b->parts[i];
    /* zip names are case-sensitive, OPC part names are not */
    for (size_t i = 0; i < b->nparts; i++)
        if (!b->parts[i]->deleted && !strcasecmp(b->parts[i]->name, name)) return b->parts[i];
    return NULL;
}

static xpart *part_add(xlsx_book *b, const char *name)
{
    if (b->nparts == b->capparts) {
        size_t cap = b->capparts ? b->capparts * 2 : 32;
        xpart **np = af_alloc(b->a, cap * sizeof *np);
        if (b->nparts) memcpy(np, b->parts, b->nparts * sizeof *np);
        b->parts = np;
        b->capparts = cap;
    }
    xpart *p = af_alloc(b->a, sizeof *p);
    b->parts[b->nparts++] = p;
    p->name = af_strdup(b->a, name[0] == '/' ? name + 1 : name);
    return p;
}

xmlDocPtr xlsx__doc(xlsx_book *b, xpart *p, char *err, size_t errlen)
{
    if (p->doc) return p->doc;
    if (!p->loaded) {
        fail(err, errlen, "not an Excel workbook: part %s could not be read", p->name);
        return NULL;
    }
    p->doc =
        xmlReadMemory(p->data ? p->data : "", (int)p->len, p->name, NULL,
                      XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
    if (!p->doc || !xmlDocGetRootElement(p->doc)) {
        const xmlError *e = xmlGetLastError();
        fail(err, errlen, "not an Excel workbook: %s is not well-formed XML%s%s", p->name,
             e && e->message ? ": " : "", e && e->message ? e->message : "");
        /* libxml2 messages end with a newline */
        size_t l = strlen(err);
        if (l && err[l - 1] == '\n') err[l - 1] = 0;
        if (p->doc) xmlFreeDoc(p->doc);
        p->doc = NULL;
        return NULL;
    }
    return p->doc;
}

const char *xlsx__rels_name(xlsx_book *b, const char *part)
{
    const char *slash = strrchr(part, '/');
    if (!slash) return af_sprintf(b->a, "_rels/%s.rels", part);
    return af_sprintf(b->a, "%.*s/_rels/%s.rels", (int)(slash - part), part, slash + 1);
}

const char *xlsx__rel_target(xlsx_book *b, const char *from, const char *target)
{
    char buf[1024];
    if (target[0] == '/') {
        snprintf(buf, sizeof buf, "%s", target + 1);
    } else {
        const char *slash = strrchr(from, '/');
        snprintf(buf, sizeof buf, "%.*s%s", slash ? (int)(slash - from + 1) : 0, from, target);
    }
    /* normalise "a/b/../c" and "./" */
    char *segs[128];
    int ns = 0;
    for (char *tok = strtok(buf, "/"); tok && ns < 128; tok = strtok(NULL, "/")) {
        if (!strcmp(tok, ".")) continue;
        if (!strcmp(tok, "..")) {
            if (ns > 0) ns--;
            continue;
        }
        segs[ns++] = tok;
    }
    af_buf out = {0};
    for (int i = 0; i < ns; i++) {
        if (i) af_buf_putc(&out, '/');
        af_buf_puts(&out, segs[i]);
    }
    const char *r = af_strdup(b->a, af_buf_cstr(&out));
    af_buf_free(&out);
    return r;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), c = strlen(suf);
    return a >= c && !strcmp(s + a - c, suf);
}

size_t xlsx__related(xlsx_book *b, const char *part, const char *type_suffix, const char **out,
                     size_t max)
{
    char err[256];
    xpart *rp = xlsx__part(b, xlsx__rels_name(b, part));
    if (!rp) return 0;
    xmlDocPtr d = xlsx__doc(b, rp, err, sizeof err);
    if (!d) return 0;
    size_t n = 0;
    for (xmlNodePtr r = xmlDocGetRootElement(d)->children; r && n < max; r = r->next) {
        if (!xlsx__is(r, "Relationship")) continue;
        const char *type = xlsx__attr(b->a, r, "Type");
        const char *target = xlsx__attr(b->a, r, "Target");
        const char *mode = xlsx__attr(b->a, r, "TargetMode");
        if (!type || !target || (mode && !strcmp(mode, "External"))) continue;
        if (!ends_with(type, type_suffix)) continue;
        out[n++] = xlsx__rel_target(b, part, target);
    }
    return n;
}

/* ---- content types --------------------------------------------------------------------- */

static void ct_override(xlsx_book *b, const char *name, const char *ctype)
{
    char err[256];
    xmlDocPtr d = xlsx__doc(b, b->ct, err, sizeof err);
    if (!d) return;
    xmlNodePtr root = xmlDocGetRootElement(d);
    char pn[1024];
    snprintf(pn, sizeof pn, "/%s", name);
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (!xlsx__is(c, "Override")) continue;
        const char *p = xlsx__attr(b->a, c, "PartName");
        if (p && !strcasecmp(p, pn)) {
            if (ctype) {
                xmlSetProp(c, BAD_CAST "ContentType", BAD_CAST ctype);
            } else {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
            }
            b->ct->dirty = 1;
            return;
        }
    }
    if (!ctype) return;
    xmlNodePtr o = xmlNewDocNode(d, root->ns, BAD_CAST "Override", NULL);
    xmlSetProp(o, BAD_CAST "PartName", BAD_CAST pn);
    xmlSetProp(o, BAD_CAST "ContentType", BAD_CAST ctype);
    xmlAddChild(root, o);
    b->ct->dirty = 1;
}

xpart *xlsx__part_new(xlsx_book *b, const char *name, const char *ctype)
{
    xpart *p = part_add(b, name);
    p->is_new = 1;
    p->loaded = 1;
    p->data = NULL;
    p->len = 0;
    p->mtime = time(NULL);
    ct_override(b, p->name, ctype);
    return p;
}

/* ---- relationships --------------------------------------------------------------------- */

static xmlNodePtr rel_find_type(xlsx_book *b, xmlDocPtr d, const char *suffix)
{
    for (xmlNodePtr r = xmlDocGetRootElement(d)->children; r; r = r->next) {
        if (!xlsx__is(r, "Relationship")) continue;
        const char *type = xlsx__attr(b->a, r, "Type");
        if (type && ends_with(type, suffix)) return r;
    }
    return NULL;
}

/* Adds a relationship from the workbook; returns its new id. */
static const char *wbrel_add(xlsx_book *b, const char *type, const char *target)
{
    char err[256];
    xmlDocPtr d = xlsx__doc(b, b->wbrels, err, sizeof err);
    xmlNodePtr root = xmlDocGetRootElement(d);
    const char *id = NULL;
    for (unsigned k = 1;; k++) {
        id = af_sprintf(b->a, "rId%u", k);
        int used = 0;
        for (xmlNodePtr r = root->children; r; r = r->next) {
            const char *x = xlsx__is(r, "Relationship") ? xlsx__attr(b->a, r, "Id") : NULL;
            if (x && !strcmp(x, id)) used = 1;
        }
        if (!used) break;
    }
    xmlNodePtr r = xmlNewDocNode(d, root->ns, BAD_CAST "Relationship", NULL);
    xmlSetProp(r, BAD_CAST "Id", BAD_CAST id);
    xmlSetProp(r, BAD_CAST "Type", BAD_CAST type);
    xmlSetProp(r, BAD_CAST "Target", BAD_CAST target);
    xmlAddChild(root, r);
    b->wbrels->dirty = 1;
    return id;
}

/* ---- workbook ----------------------------------------------------------------------------- */

/* Children of <workbook> in schema order: a new child goes before the first
 * existing sibling that must follow it. */
static const char *const wb_order[] = {"fileVersion",    "fileSharing",
                                       "workbookPr",     "workbookProtection",
                                       "bookViews",      "sheets",
                                       "functionGroups", "externalReferences",
                                       "definedNames",   "calcPr",
                                       "oleSize",        "customWorkbookViews",
                                       "pivotCaches",    "smartTagPr",
                                       "smartTagTypes",  "webPublishing",
                                       "fileRecoveryPr", "webPublishObjects",
                                       "extLst",         NULL};

static int order_of(const char *const *order, const char *name)
{
    for (int i = 0; order[i]; i++)
        if (!strcmp(order[i], name)) return i;
    return 1000;
}

xmlNodePtr xlsx__insert_ordered(xmlNodePtr parent, xmlNodePtr node, const char *const *order)
{
    int mine = order_of(order, (const char *)node->name);
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        if (order_of(order, (const char *)c->name) > mine) return xmlAddPrevSibling(c, node);
    }
    return xmlAddChild(parent, node);
}

static xmlNodePtr wb_root(xlsx_book *b)
{
    return xmlDocGetRootElement(b->wb->doc);
}

static xmlNodePtr wb_child(xlsx_book *b, const char *name, int create)
{
    xmlNodePtr root = wb_root(b);
    xmlNodePtr c = xlsx__child(root, name);
    if (c || !create) return c;
    c = xmlNewDocNode(b->wb->doc, root->ns, BAD_CAST name, NULL);
    return xlsx__insert_ordered(root, c, wb_order);
}

static int load_names(xlsx_book *b)
{
    xmlNodePtr dn = wb_child(b, "definedNames", 0);
    b->nnames = 0;
    for (xmlNodePtr c = dn ? dn->children : NULL; c; c = c->next) {
        if (!xlsx__is(c, "definedName")) continue;
        if (b->nnames == b->capnames) {
            size_t cap = b->capnames ? b->capnames * 2 : 16;
            xname_ent *nn = af_alloc(b->a, cap * sizeof *nn);
            if (b->nnames) memcpy(nn, b->names, b->nnames * sizeof *nn);
            b->names = nn;
            b->capnames = cap;
        }
        xname_ent *e = &b->names[b->nnames++];
        e->node = c;
        e->pub.name = xlsx__attr(b->a, c, "name");
        if (!e->pub.name) e->pub.name = "";
        e->pub.value = xlsx__text(b->a, c);
        const char *ls = xlsx__attr(b->a, c, "localSheetId");
        e->pub.local = ls != NULL;
        e->pub.local_id = ls ? (uint32_t)strtoul(ls, NULL, 10) : 0;
    }
    return 0;
}

static int load_workbook(xlsx_book *b, char *err, size_t errlen)
{
    /* the package's main part, from the root relationships */
    xpart *root_rels = xlsx__part(b, "_rels/.rels");
    const char *wbname = "xl/workbook.xml";
    if (root_rels) {
        xmlDocPtr d = xlsx__doc(b, root_rels, err, errlen);
        if (!d) return -1;
        xmlNodePtr r = rel_find_type(b, d, "/officeDocument");
        const char *t = r ? xlsx__attr(b->a, r, "Target") : NULL;
        if (t) wbname = xlsx__rel_target(b, "", t);
    }
    b->wb = xlsx__part(b, wbname);
    b->ct = xlsx__part(b, "[Content_Types].xml");
    if (!b->wb || !b->ct)
        return fail(err, errlen, "not an Excel workbook: %s has no %s", b->path,
                    b->wb ? "[Content_Types].xml" : "workbook part");
    if (!xlsx__doc(b, b->ct, err, errlen) || !xlsx__doc(b, b->wb, err, errlen)) return -1;
    xmlNodePtr root = wb_root(b);
    if (!xlsx__is(root, "workbook"))
        return fail(err, errlen, "not an Excel workbook: %s is not a workbook", wbname);
    if (root->ns && root->ns->href && strcmp((const char *)root->ns->href, NS_MAIN))
        return fail(err, errlen,
                    "unsupported workbook format (%s): save the template as a regular Excel "
                    "Workbook (.xlsx), not Strict Open XML",
                    (const char *)root->ns->href);
    const char *slash = strrchr(wbname, '/');
    b->wb_dir = slash ? af_strndup(b->a, wbname, (size_t)(slash - wbname + 1)) : "";

    b->wbrels = xlsx__part(b, xlsx__rels_name(b, wbname));
    if (!b->wbrels)
        return fail(err, errlen, "not an Excel workbook: the workbook has no relationships");
    xmlDocPtr rd = xlsx__doc(b, b->wbrels, err, errlen);
    if (!rd) return -1;

    xmlNodePtr sheets = xlsx__child(root, "sheets");
    for (xmlNodePtr s = sheets ? sheets->children : NULL; s; s = s->next) {
        if (!xlsx__is(s, "sheet")) continue;
        if (b->nsheets == b->capsheets) {
            size_t cap = b->capsheets ? b->capsheets * 2 : 8;
            xsheet_ent *ns = af_alloc(b->a, cap * sizeof *ns);
            if (b->nsheets) memcpy(ns, b->sheets, b->nsheets * sizeof *ns);
            b->sheets = ns;
            b->capsheets = cap;
        }
        xsheet_ent *e = &b->sheets[b->nsheets++];
        memset(e, 0, sizeof *e);
        e->node = s;
        e->name = xlsx__attr(b->a, s, "name");
        e->rid = xlsx__attr(b->a, s, "id");
        if (!e->name) e->name = "";
        for (xmlNodePtr r = xmlDocGetRootElement(rd)->children; r && e->rid; r = r->next) {
            const char *id = xlsx__is(r, "Relationship") ? xlsx__attr(b->a, r, "Id") : NULL;
            if (!id || strcmp(id, e->rid)) continue;
            const char *type = xlsx__attr(b->a, r, "Type");
            const char *target = xlsx__attr(b->a, r, "Target");
            if (target) e->part_name = xlsx__rel_target(b, wbname, target);
            e->worksheet = type && ends_with(type, "/worksheet");
        }
    }
    load_names(b);

    /* shared strings */
    const char *sst[1];
    if (xlsx__related(b, wbname, "/sharedStrings", sst, 1) == 1) b->sst = xlsx__part(b, sst[0]);
    if (b->sst) {
        xmlDocPtr d = xlsx__doc(b, b->sst, err, errlen);
        if (!d) return -1;
        xmlNodePtr r = xmlDocGetRootElement(d);
        uint32_t n = 0;
        for (xmlNodePtr si = r->children; si; si = si->next)
            if (xlsx__is(si, "si")) n++;
        b->sst_text = af_alloc(b->a, (n + 1) * sizeof *b->sst_text);
        b->sst_len = af_alloc(b->a, (n + 1) * sizeof *b->sst_len);
        af_buf t = {0};
        for (xmlNodePtr si = r->children; si; si = si->next) {
            if (!xlsx__is(si, "si")) continue;
            af_buf_reset(&t);
            for (xmlNodePtr c = si->children; c; c = c->next) {
                xmlNodePtr tn = xlsx__is(c, "t")   ? c
                                : xlsx__is(c, "r") ? xlsx__child(c, "t")
                                                   : NULL;
                if (!tn) continue;
                xmlChar *v = xmlNodeGetContent(tn);
                if (v) af_buf_puts(&t, (const char *)v);
                xmlFree(v);
            }
            b->sst_text[b->nsst] = af_strndup(b->a, af_buf_cstr(&t), t.len);
            b->sst_len[b->nsst] = (uint32_t)t.len;
            b->nsst++;
        }
        af_buf_free(&t);
        /* not needed any more: new strings are written inline */
        xmlFreeDoc(b->sst->doc);
        b->sst->doc = NULL;
    }
    return 0;
}

void xlsx__calc_dirty(xlsx_book *b)
{
    /* full recalculation on open, as openpyxl writes it; calcChain lists
     * formula cells by position and would be stale, so it goes */
    xmlNodePtr calc = wb_child(b, "calcPr", 1);
    xmlSetProp(calc, BAD_CAST "fullCalcOnLoad", BAD_CAST "1");
    b->wb->dirty = 1;
    char err[256];
    xmlDocPtr rd = xlsx__doc(b, b->wbrels, err, sizeof err);
    xmlNodePtr r = rd ? rel_find_type(b, rd, "/calcChain") : NULL;
    if (r) {
        const char *target = xlsx__attr(b->a, r, "Target");
        xpart *p = target ? xlsx__part(b, xlsx__rel_target(b, b->wb->name, target)) : NULL;
        if (p) {
            ct_override(b, p->name, NULL);
            p->deleted = 1;
        }
        xmlUnlinkNode(r);
        xmlFreeNode(r);
        b->wbrels->dirty = 1;
    }
}

/* ---- public: sheets and names -------------------------------------------------------------- */

size_t xlsx_nsheets(const xlsx_book *b)
{
    return b->nsheets;
}

const char *xlsx_sheet_name_at(const xlsx_book *b, size_t i)
{
    return i < b->nsheets ? b->sheets[i].name : NULL;
}

int xlsx_sheet_is_work(const xlsx_book *b, size_t i)
{
    return i < b->nsheets && b->sheets[i].worksheet;
}

xlsx_sheet *xlsx_sheet_get(xlsx_book *b, const char *name, char *err, size_t errlen)
{
    for (size_t i = 0; i < b->nsheets; i++) {
        xsheet_ent *e = &b->sheets[i];
        if (strcmp(e->name, name)) continue;
        if (e->sh) return e->sh;
        if (!e->worksheet || !e->part_name) {
            fail(err, errlen, "Sheet %s is not a worksheet (a chart sheet cannot hold cells)",
                 name);
            return NULL;
        }
        if (xlsx__sheet_load(b, e, err, errlen) < 0) return NULL;
        return e->sh;
    }
    fail(err, errlen, "Worksheet %s does not exist.", name);
    return NULL;
}

const char *xlsx_sheet_title(const xlsx_sheet *sh)
{
    return sh->title;
}

size_t xlsx_nnames(const xlsx_book *b)
{
    return b->nnames;
}

const xlsx_name *xlsx_name_at(const xlsx_book *b, size_t i)
{
    return i < b->nnames ? &b->names[i].pub : NULL;
}

const xlsx_name *xlsx_name_global(const xlsx_book *b, const char *name)
{
    for (size_t i = 0; i < b->nnames; i++) {
        const xlsx_name *n = &b->names[i].pub;
        if (n->local || strcmp(n->name, name)) continue;
        if (!strcmp(name, "_xlnm.Print_Titles") || !strcmp(name, "_xlnm.Print_Area") ||
            !strcmp(name, "_xlnm._FilterDatabase"))
            return NULL;
        return n;
    }
    return NULL;
}

const char *xlsx_sst(const xlsx_book *b, uint32_t i, size_t *len)
{
    if (i >= b->nsst) return NULL;
    if (len) *len = b->sst_len[i];
    return b->sst_text[i];
}

af_arena *xlsx_arena(xlsx_book *b)
{
    return b->a;
}

/* Rewrites the defined names that refer to `target` after an insertion. */
int xlsx__names_shift(xlsx_book *b, const char *target, uint32_t idx, uint32_t n)
{
    af_buf out = {0};
    for (size_t i = 0; i < b->nnames; i++) {
        xname_ent *e = &b->names[i];
        af_buf_reset(&out);
        if (!xlsx_formula_shift_rows(e->pub.value, NULL, target, idx, n, &out)) continue;
        e->pub.value = af_strndup(b->a, af_buf_cstr(&out), out.len);
        xlsx__set_text(e->node, e->pub.value);
        b->wb->dirty = 1;
    }
    af_buf_free(&out);
    return 0;
}

/* Sets (or adds) the hidden local name _xlnm._FilterDatabase of sheet idx. */
void xlsx__filter_name(xlsx_book *b, size_t sheet_idx, const char *value)
{
    for (size_t i = 0; i < b->nnames; i++) {
        xname_ent *e = &b->names[i];
        if (e->pub.local && e->pub.local_id == sheet_idx &&
            !strcmp(e->pub.name, "_xlnm._FilterDatabase")) {
            e->pub.value = af_strdup(b->a, value);
            xlsx__set_text(e->node, value);
            b->wb->dirty = 1;
            return;
        }
    }
    xmlNodePtr dn = wb_child(b, "definedNames", 1);
    xmlNodePtr c = xmlNewDocNode(b->wb->doc, wb_root(b)->ns, BAD_CAST "definedName", NULL);
    xmlSetProp(c, BAD_CAST "name", BAD_CAST "_xlnm._FilterDatabase");
    char id[16];
    snprintf(id, sizeof id, "%zu", sheet_idx);
    xmlSetProp(c, BAD_CAST "localSheetId", BAD_CAST id);
    xmlSetProp(c, BAD_CAST "hidden", BAD_CAST "1");
    xlsx__set_text(c, value);
    xmlAddChild(dn, c);
    b->wb->dirty = 1;
    load_names(b);
}

/* Sheet names in formulas: quoted unless plain letters, digits, '_' and '.'
 * (and not starting with a digit). */
void xlsx__quote_sheet(af_buf *o, const char *name)
{
    int plain = name[0] && !(name[0] >= '0' && name[0] <= '9');
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.'))
            plain = 0;
    }
    uint32_t r, cc;
    if (xlsx_cell_parse(name, &r, &cc) == 0) plain = 0; /* "A1" as a sheet name */
    if (plain) {
        af_buf_puts(o, name);
        return;
    }
    af_buf_putc(o, '\'');
    for (const char *p = name; *p; p++) {
        if (*p == '\'') af_buf_putc(o, '\'');
        af_buf_putc(o, *p);
    }
    af_buf_putc(o, '\'');
}

static int title_taken(xlsx_book *b, const char *t)
{
    for (size_t i = 0; i < b->nsheets; i++)
        if (!strcasecmp(b->sheets[i].name, t)) return 1;
    return 0;
}

extern const char xlsx__new_sheet_xml[];

xlsx_sheet *xlsx_sheet_add(xlsx_book *b, const char *name, char *err, size_t errlen)
{
    if (!name[0]) {
        fail(err, errlen, "Title must have at least one character");
        return NULL;
    }
    const char *bad = strpbrk(name, "\\*?:/[]");
    if (bad) {
        fail(err, errlen, "Invalid character %c found in sheet title", *bad);
        return NULL;
    }
    size_t chars = 0;
    for (const char *p = name; *p; p++)
        if (((unsigned char)*p & 0xc0) != 0x80) chars++;
    if (chars > 31) {
        fail(err, errlen, "Sheet title '%s' is longer than 31 characters, which Excel refuses",
             name);
        return NULL;
    }
    const char *title = name;
    if (title_taken(b, name)) {
        /* openpyxl's avoid_duplicate_name: the next number after the highest */
        size_t nl = strlen(name);
        unsigned long hi = 0;
        for (size_t i = 0; i < b->nsheets; i++) {
            const char *s = b->sheets[i].name;
            if (strncasecmp(s, name, nl)) continue;
            const char *d = s + nl;
            if (*d && strspn(d, "0123456789") != strlen(d)) continue;
            unsigned long v = *d ? strtoul(d, NULL, 10) : 0;
            if (v > hi) hi = v;
        }
        title = af_sprintf(b->a, "%s%lu", name, hi + 1);
    }
    /* part name and sheetId */
    const char *pname = NULL;
    for (unsigned k = (unsigned)b->nsheets + 1;; k++) {
        pname = af_sprintf(b->a, "%sworksheets/sheet%u.xml", b->wb_dir, k);
        if (!xlsx__part(b, pname)) break;
    }
    unsigned long maxid = 0;
    for (size_t i = 0; i < b->nsheets; i++) {
        const char *id = xlsx__attr(b->a, b->sheets[i].node, "sheetId");
        unsigned long v = id ? strtoul(id, NULL, 10) : 0;
        if (v > maxid) maxid = v;
    }
    xpart *p = xlsx__part_new(b, pname, CT_WORKSHEET);
    p->data = (char *)xlsx__new_sheet_xml;
    p->len = strlen(xlsx__new_sheet_xml);
    const char *rid = wbrel_add(b, REL_WORKSHEET, pname + strlen(b->wb_dir));

    xmlNodePtr sheets = wb_child(b, "sheets", 1);
    xmlNodePtr s = xmlNewDocNode(b->wb->doc, wb_root(b)->ns, BAD_CAST "sheet", NULL);
    xmlSetProp(s, BAD_CAST "name", BAD_CAST title);
    char idb[24];
    snprintf(idb, sizeof idb, "%lu", maxid + 1);
    xmlSetProp(s, BAD_CAST "sheetId", BAD_CAST idb);
    xmlNsPtr rns = xmlSearchNsByHref(b->wb->doc, wb_root(b), BAD_CAST NS_REL);
    if (!rns) rns = xmlNewNs(wb_root(b), BAD_CAST NS_REL, BAD_CAST "r");
    xmlSetNsProp(s, rns, BAD_CAST "id", BAD_CAST rid);
    xmlAddChild(sheets, s);
    b->wb->dirty = 1;

    if (b->nsheets == b->capsheets) {
        size_t cap = b->capsheets ? b->capsheets * 2 : 8;
        xsheet_ent *ns = af_alloc(b->a, cap * sizeof *ns);
        if (b->nsheets) memcpy(ns, b->sheets, b->nsheets * sizeof *ns);
        b->sheets = ns;
        b->capsheets = cap;
    }
    xsheet_ent *e = &b->sheets[b->nsheets++];
    memset(e, 0, sizeof *e);
    e->node = s;
    e->name = af_strdup(b->a, title);
    e->rid = rid;
    e->part_name = p->name;
    e->worksheet = 1;
    if (xlsx__sheet_load(b, e, err, errlen) < 0) return NULL;
    e->sh->dirty = 1;
    return e->sh;
}

/* ---- open ------------------------------------------------------------------------------- */

static int want_bytes(const char *name)
{
    return ends_with(name, ".xml") || ends_with(name, ".rels") || ends_with(name, ".vml") ||
           !strcmp(name, "[Content_Types].xml");
}

int xlsx_open(const char *path, xlsx_book **out, char *err, size_t errlen)
{
    *out = NULL;
    xlsx_book *b = calloc(1, sizeof *b);
    if (!b) return fail(err, errlen, "out of memory");
    b->a = af_arena_new();
    b->path = af_strdup(b->a, path);
    int probe = open(path, O_RDONLY | O_CLOEXEC);
    if (probe < 0) { /* the message Python's open() gives */
        af_value *pv = af_str(b->a, path);
        af_buf q = {0};
        af_py_repr(&q, pv);
        fail(err, errlen, "[Errno %d] %s: %s", errno, strerror(errno), af_buf_cstr(&q));
        af_buf_free(&q);
        xlsx_free(b);
        return -1;
    }
    close(probe);
    struct archive *ar = archive_read_new();
    archive_read_support_format_zip_seekable(ar);
    if (archive_read_open_filename(ar, path, 65536) != ARCHIVE_OK) {
        fail(err, errlen, "not an Excel workbook: %s: %s", path,
             archive_error_string(ar) ? archive_error_string(ar) : strerror(errno));
        goto bad;
    }
    struct archive_entry *ent;
    int rc;
    while ((rc = archive_read_next_header(ar, &ent)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(ent);
        if (!name) continue;
        xpart *p = part_add(b, name);
        p->mtime = archive_entry_mtime(ent);
        p->is_dir = archive_entry_filetype(ent) == AE_IFDIR;
        if (p->is_dir || !want_bytes(p->name)) continue;
        af_buf data = {0};
        char chunk[65536];
        for (;;) {
            la_ssize_t n = archive_read_data(ar, chunk, sizeof chunk);
            if (n < 0) {
                fail(err, errlen, "not an Excel workbook: %s: %s: %s", path, p->name,
                     archive_error_string(ar));
                af_buf_free(&data);
                goto bad;
            }
            if (n == 0) break;
            if (data.len + (size_t)n > MAX_PART) {
                fail(err, errlen, "Excel template %s: part %s is larger than 1 GiB", path, p->name);
                af_buf_free(&data);
                goto bad;
            }
            af_buf_put(&data, chunk, (size_t)n);
        }
        p->data = af_alloc(b->a, data.len + 1);
        if (data.len) memcpy(p->data, data.data, data.len);
        p->len = data.len;
        p->loaded = 1;
        af_buf_free(&data);
    }
    if (rc != ARCHIVE_EOF) {
        fail(err, errlen, "not an Excel workbook: %s: %s", path,
             archive_error_string(ar) ? archive_error_string(ar) : "bad zip");
        goto bad;
    }
    archive_read_free(ar);
    ar = NULL;
    if (load_workbook(b, err, errlen) < 0) goto bad;
    if (xlsx__styles_load(b, err, errlen) < 0) goto bad;
    *out = b;
    return 0;
bad:
    if (ar) archive_read_free(ar);
    xlsx_free(b);
    return -1;
}

void xlsx_free(xlsx_book *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->nblocks; i++)
        xlsx__block_free(b->blocks[i]);
    free(b->blocks);
    for (size_t i = 0; i < b->nsheets; i++)
        if (b->sheets[i].sh) xlsx__sheet_free(b->sheets[i].sh);
    for (size_t i = 0; i < b->nparts; i++)
        if (b->parts[i]->doc) xmlFreeDoc(b->parts[i]->doc);
    xmap_free(&b->date_map);
    xmap_free(&b->copy_map);
    xmap_free(&b->bold_map);
    free(b->xfs);
    free(b->fontv);
    af_arena_free(b->a);
    free(b);
}

/* ---- save --------------------------------------------------------------------------------- */

typedef struct zw {
    struct archive *a;
    const char *name;
} zw;

static int zput(void *ud, const void *p, size_t n, char *err, size_t errlen)
{
    zw *z = ud;
    const char *c = p;
    while (n > 0) {
        la_ssize_t w = archive_write_data(z->a, c, n);
        if (w <= 0)
            return fail(err, errlen, "writing %s: %s", z->name,
                        archive_error_string(z->a) ? archive_error_string(z->a) : "write error");
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int zbegin(struct archive *a, const char *name, time_t mtime, int64_t size, int dir,
                  char *err, size_t errlen)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    archive_entry_set_mtime(e, mtime, 0);
    if (size >= 0)
        archive_entry_set_size(e, size);
    else
        archive_entry_unset_size(e);
    int rc = archive_write_header(a, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK)
        return fail(err, errlen, "writing %s: %s", name,
                    archive_error_string(a) ? archive_error_string(a) : "write error");
    return 0;
}

static int write_doc(struct archive *a, xpart *p, char *err, size_t errlen)
{
    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpMemoryEnc(p->doc, &mem, &len, "UTF-8");
    if (!mem) return fail(err, errlen, "cannot serialise %s", p->name);
    /* a part written without an XML declaration (VML) stays without one */
    const char *body = (const char *)mem;
    size_t blen = (size_t)len;
    const char *orig = p->data ? p->data : "";
    while (*orig == ' ' || *orig == '\n' || *orig == '\r' || *orig == '\t')
        orig++;
    if (!p->is_new && strncmp(orig, "<?xml", 5) != 0 &&
        strncmp(orig, "\xEF\xBB\xBF<?xml", 8) != 0 && !strncmp(body, "<?xml", 5)) {
        const char *e = strstr(body, "?>");
        if (e) {
            e += 2;
            if (*e == '\n') e++;
            blen -= (size_t)(e - body);
            body = e;
        }
    }
    int rc = zbegin(a, p->name, p->is_new ? time(NULL) : p->mtime, (int64_t)blen, 0, err, errlen);
    zw z = {a, p->name};
    if (rc == 0) rc = zput(&z, body, blen, err, errlen);
    xmlFree(mem);
    return rc;
}

static int write_part(struct archive *a, xpart *p, char *err, size_t errlen)
{
    if (p->sheet && p->sheet->dirty) {
        /* size unknown until written: the entry gets a data descriptor */
        if (zbegin(a, p->name, p->is_new ? time(NULL) : p->mtime, -1, 0, err, errlen) < 0)
            return -1;
        zw z = {a, p->name};
        return xlsx__sheet_write(p->sheet, zput, &z, err, errlen);
    }
    if (p->doc && p->dirty) return write_doc(a, p, err, errlen);
    if (zbegin(a, p->name, p->mtime, (int64_t)p->len, 0, err, errlen) < 0) return -1;
    zw z = {a, p->name};
    return zput(&z, p->data ? p->data : "", p->len, err, errlen);
}

static int changed(xpart *p)
{
    return p->is_new || (p->sheet && p->sheet->dirty) || (p->doc && p->dirty);
}

/* A part that holds formulas (<f> or a prefixed <x:f>). */
static int has_formulas(const xpart *p)
{
    if (!p->data) return 0;
    return memmem(p->data, p->len, "<f>", 3) || memmem(p->data, p->len, "<f ", 3) ||
           memmem(p->data, p->len, ":f>", 3) || memmem(p->data, p->len, ":f ", 3);
}

int xlsx_save(xlsx_book *b, int fd, char *err, size_t errlen)
{
    int any = 0;
    for (size_t i = 0; i < b->nsheets; i++)
        if (b->sheets[i].sh && b->sheets[i].sh->dirty) any = 1;
    if (any) {
        /* Cached formula results may now be wrong anywhere (a summary sheet
         * adding up a filled DATA_ sheet). Readers that do not recalculate
         * (LibreOffice when converting, data_only readers) would show them,
         * so, like openpyxl, every worksheet with formulas is written
         * without them; Excel also recalculates on load. */
        xlsx__calc_dirty(b);
        for (size_t i = 0; i < b->nsheets; i++) {
            xsheet_ent *e = &b->sheets[i];
            if (!e->worksheet || !e->part_name) continue;
            if (!e->sh) {
                xpart *p = xlsx__part(b, e->part_name);
                if (!p || !has_formulas(p)) continue;
                if (xlsx__sheet_load(b, e, err, errlen) < 0) return -1;
            }
            e->sh->stale = 1;
            e->sh->dirty = 1;
        }
    }

    struct archive *in = archive_read_new();
    archive_read_support_format_zip_seekable(in);
    struct archive *out = archive_write_new();
    archive_write_set_format_zip(out);
    archive_write_set_options(out, "zip:compression=deflate,zip:!zip64");
    int rc = -1;
    if (archive_read_open_filename(in, b->path, 65536) != ARCHIVE_OK) {
        fail(err, errlen, "cannot reopen Excel template %s: %s", b->path,
             archive_error_string(in) ? archive_error_string(in) : strerror(errno));
        goto done;
    }
    if (archive_write_open_fd(out, fd) != ARCHIVE_OK) {
        fail(err, errlen, "cannot write workbook: %s", archive_error_string(out));
        goto done;
    }
    /* template entries in their order */
    struct archive_entry *ent;
    size_t idx = 0;
    int r;
    while ((r = archive_read_next_header(in, &ent)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(ent);
        /* parts were recorded in the same order at open */
        while (idx < b->nparts && b->parts[idx]->is_new)
            idx++;
        xpart *p = idx < b->nparts ? b->parts[idx] : NULL;
        idx++;
        if (!p || !name || strcmp(p->name, name[0] == '/' ? name + 1 : name)) {
            fail(err, errlen, "Excel template %s changed while it was being filled", b->path);
            goto done;
        }
        if (p->deleted || p == b->styles) continue;
        if (p->is_dir) {
            if (zbegin(out, p->name, p->mtime, 0, 1, err, errlen) < 0) goto done;
            continue;
        }
        if (changed(p) || p->loaded) {
            if (write_part(out, p, err, errlen) < 0) goto done;
            continue;
        }
        /* a binary part: copied from the template as it streams by */
        if (zbegin(out, p->name, p->mtime,
                   archive_entry_size_is_set(ent) ? archive_entry_size(ent) : -1, 0, err,
                   errlen) < 0)
            goto done;
        zw z = {out, p->name};
        char chunk[65536];
        for (;;) {
            la_ssize_t n = archive_read_data(in, chunk, sizeof chunk);
            if (n < 0) {
                fail(err, errlen, "reading %s from %s: %s", p->name, b->path,
                     archive_error_string(in));
                goto done;
            }
            if (n == 0) break;
            if (zput(&z, chunk, (size_t)n, err, errlen) < 0) goto done;
        }
    }
    if (r != ARCHIVE_EOF) {
        fail(err, errlen, "reading %s: %s", b->path, archive_error_string(in));
        goto done;
    }
    for (size_t i = 0; i < b->nparts; i++) {
        xpart *p = b->parts[i];
        if (p->is_new && !p->deleted && p != b->styles && write_part(out, p, err, errlen) < 0)
            goto done;
    }
    if (b->styles && !b->styles->deleted && write_part(out, b->styles, err, errlen) < 0) goto done;
    if (archive_write_close(out) != ARCHIVE_OK) {
        fail(err, errlen, "cannot write workbook: %s", archive_error_string(out));
        goto done;
    }
    rc = 0;
done:
    archive_read_free(in);
    archive_write_free(out);
    return rc;
}

const char xlsx__new_sheet_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<worksheet xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\">"
    "<sheetPr><outlinePr summaryBelow=\"1\" summaryRight=\"1\"/><pageSetUpPr/></sheetPr>"
    "<dimension ref=\"A1\"/>"
    "<sheetViews><sheetView workbookViewId=\"0\"><selection activeCell=\"A1\" sqref=\"A1\"/>"
    "</sheetView></sheetViews>"
    "<sheetFormatPr baseColWidth=\"8\" defaultRowHeight=\"15\"/>"
    "<sheetData/>"
    "<pageMargins left=\"0.75\" right=\"0.75\" top=\"1\" bottom=\"1\" header=\"0.5\" "
    "footer=\"0.5\"/>"
    "</worksheet>";
