/*
 * catalog.c - the step types and connector drivers afc can link.
 *
 * Built-ins come from the generated list (tools/gen-catalog.sh scans
 * stdlib-steps/ for descriptor definitions); bundle plugins are appended by
 * the bundle stage. The catalog also knows each descriptor's C symbol, which
 * the emitted code names so the linker pulls in exactly those objects.
 */
#include "afc.h"

#include <string.h>

extern const af_step_desc *const afc_builtin_steps[];
extern const char *const afc_builtin_step_syms[];
extern const af_driver *const afc_builtin_drivers[];
extern const char *const afc_builtin_driver_syms[];

afc_catalog *afc_catalog_builtin(af_arena *a)
{
    afc_catalog *c = af_alloc(a, sizeof *c);
    size_t ns = 0, nd = 0;
    while (afc_builtin_steps[ns]) ns++;
    while (afc_builtin_drivers[nd]) nd++;
    c->steps = af_alloc(a, (ns + 1) * sizeof *c->steps);
    c->step_syms = af_alloc(a, (ns + 1) * sizeof *c->step_syms);
    c->drivers = af_alloc(a, (nd + 1) * sizeof *c->drivers);
    c->driver_syms = af_alloc(a, (nd + 1) * sizeof *c->driver_syms);
    for (size_t i = 0; i < ns; i++) {
        c->steps[i] = afc_builtin_steps[i];
        c->step_syms[i] = afc_builtin_step_syms[i];
    }
    for (size_t i = 0; i < nd; i++) {
        c->drivers[i] = afc_builtin_drivers[i];
        c->driver_syms[i] = afc_builtin_driver_syms[i];
    }
    c->nsteps = ns;
    c->ndrivers = nd;
    return c;
}

const af_step_desc *afc_catalog_step(const afc_catalog *c, const char *name, const char **sym)
{
    for (size_t i = 0; i < c->nsteps; i++)
        if (!strcmp(c->steps[i]->name, name)) {
            if (sym) *sym = c->step_syms[i];
            return c->steps[i];
        }
    return NULL;
}

/* 1 if name is one of the space-separated words of list */
static int in_words(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        while (*p == ' ') p++;
        const char *e = p;
        while (*e && *e != ' ') e++;
        if ((size_t)(e - p) == n && !strncmp(p, name, n)) return 1;
        p = e;
    }
    return 0;
}

const af_driver *afc_catalog_driver(const afc_catalog *c, const char *kind, const char *name,
                                    const char **sym)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < c->ndrivers; i++) {
            const af_driver *d = c->drivers[i];
            if (strcmp(d->kind, kind)) continue;
            if (pass == 0 ? !strcmp(d->name, name) : in_words(d->aliases, name)) {
                if (sym) *sym = c->driver_syms[i];
                return d;
            }
        }
    return NULL;
}
