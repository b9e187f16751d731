/* The offers a session holds (see held.h). An expert holds a few (the spreading limit),
 * staff every escalated task of their brand: linear searches are enough. */
#include "gigcx/held.h"
#include <stdlib.h>
#include <string.h>

int gx_held_add(gx_session *s, gx_tlocal *t, int prio, long long created, long long expires)
{
    if (s->noffers == s->capoffers) {
        int cap = s->capoffers ? 2 * s->capoffers : 8;
        gx_held_offer *v = realloc(s->offers, sizeof(*v) * (size_t)cap);
        if (!v)
            return -1;
        s->offers = v;
        s->capoffers = cap;
    }
    s->offers[s->noffers++] = (gx_held_offer){t, prio, created, expires};
    return 0;
}

int gx_held_find(const gx_session *s, const char *task)
{
    for (int i = 0; i < s->noffers; i++)
        if (strcmp(s->offers[i].t->id, task) == 0)
            return i;
    return -1;
}

void gx_held_del(gx_session *s, int i)
{
    s->offers[i] = s->offers[--s->noffers];
}

int gx_held_lowest(const gx_session *s)
{
    int low = -1;
    for (int i = 0; i < s->noffers; i++) {
        const gx_held_offer *o = &s->offers[i], *l = low >= 0 ? &s->offers[low] : NULL;
        if (!l || o->prio < l->prio || (o->prio == l->prio && o->created > l->created))
            low = i;
    }
    return low;
}

void gx_held_withdraw(gx_session *s, int i, const char *reason, const char *ref)
{
    gx_tlocal *t = s->offers[i].t;
    json_t *w =
        json_pack("{s:s, s:s, s:s}", "type", "offer.withdrawn", "task", t->id, "reason", reason);
    gx_session_send_json(s, w, ref);
    json_decref(w);
    gx_held_del(s, i);
    for (int k = 0; k < t->holders.n; k++)
        if (t->holders.v[k] == s) {
            gx_svec_del(&t->holders, k);
            gx_server_task_gc(s->srv, t);
            gx_session_unref(s); /* the holder's reference: s is live, a socket holds one */
            break;
        }
}
