/* Growable arrays of session pointers (server.h). */
#include <stdlib.h>
#include <string.h>
#include "gigcx/assert.h"
#include "gigcx/server.h"

int gx_svec_push(gx_svec *v, struct gx_session *s)
{
    if (v->n == v->cap) {
        int ncap = v->cap ? v->cap * 2 : 4;
        struct gx_session **nv = realloc(v->v, sizeof(*nv) * (size_t)ncap);
        if (!nv)
            return -1;
        v->v = nv;
        v->cap = ncap;
    }
    v->v[v->n++] = s;
    return 0;
}

void gx_svec_del(gx_svec *v, int i)
{
    gx_debug_assert(i >= 0 && i < v->n);
    v->v[i] = v->v[--v->n];
}

void gx_svec_free(gx_svec *v)
{
    free(v->v);
    memset(v, 0, sizeof(*v));
}
