/* The waiting tasks each node keeps from the offer channel (see waiting.h). A brand's list
 * is a sorted array: a new task lands near the end (same priority, newest), and lookups by
 * task go through srv->waiting. */
#include "gigcx/waiting.h"
#include <stdlib.h>
#include <string.h>
#include "gigcx/session.h"
#include "gigcx/util.h"

/* Queue order: higher priority, then older, then by id (so every node agrees). */
static int order(const gx_waiting *a, const gx_waiting *b)
{
    if (a->prio != b->prio)
        return a->prio > b->prio ? -1 : 1;
    if (a->created != b->created)
        return a->created < b->created ? -1 : 1;
    return strcmp(a->task, b->task);
}

bool gx_waiting_before(const gx_waiting *a, const gx_waiting *b)
{
    return order(a, b) < 0;
}

/* Where w is, or would go, in b's list. */
static int place(const gx_blocal *b, const gx_waiting *w)
{
    int lo = 0, hi = b->nwait;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (order(b->wait[mid], w) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int insert(gx_blocal *b, gx_waiting *w)
{
    if (b->nwait == b->capwait) {
        int cap = b->capwait ? 2 * b->capwait : 64;
        gx_waiting **v = realloc(b->wait, sizeof(*v) * (size_t)cap);
        if (!v)
            return -1;
        b->wait = v;
        b->capwait = cap;
    }
    int at = place(b, w);
    memmove(b->wait + at + 1, b->wait + at, sizeof(*b->wait) * (size_t)(b->nwait - at));
    b->wait[at] = w;
    b->nwait++;
    return 0;
}

static void unlink_entry(gx_blocal *b, const gx_waiting *w)
{
    int at = place(b, w);
    if (at < b->nwait && b->wait[at] == w) {
        memmove(b->wait + at, b->wait + at + 1, sizeof(*b->wait) * (size_t)(b->nwait - at - 1));
        b->nwait--;
    }
}

static void free_entry(gx_waiting *w)
{
    gx_buf_unref(w->body);
    gx_buf_unref(w->masked);
    free(w);
}

static void set_body(gx_waiting *w, gx_buf *body)
{
    gx_buf_unref(w->body);
    gx_buf_unref(w->masked);
    w->body = gx_buf_ref(body);
    w->masked = NULL;
    w->tried = false;
}

gx_waiting *gx_waiting_get(gx_server *srv, const char *task)
{
    return gx_map_get(&srv->waiting, task);
}

gx_waiting *gx_waiting_put(gx_server *srv, const gx_waiting_spec *sp, gx_buf *body)
{
    gx_blocal *b = gx_server_brand(srv, sp->brand, true);
    gx_waiting *w = gx_waiting_get(srv, sp->task);
    if (!b)
        return NULL;
    if (w) { /* a later wave: the order stays (priority and age do not change) */
        w->wave = sp->wave;
        w->min = sp->min;
        w->expires = sp->expires;
        set_body(w, body);
        return w;
    }
    if (srv->m.waiting >= GX_WAITING_MAX || !(w = calloc(1, sizeof(*w))))
        return NULL;
    gx_str_copy(w->task, sp->task, sizeof(w->task));
    gx_str_copy(w->brand, sp->brand, sizeof(w->brand));
    gx_str_copy(w->lang, sp->lang, sizeof(w->lang));
    gx_str_copy(w->topic, sp->topic, sizeof(w->topic));
    w->tier = sp->tier;
    w->prio = sp->prio;
    w->wave = sp->wave;
    w->size = sp->size;
    w->created = sp->created;
    w->expires = sp->expires;
    w->min = sp->min;
    w->tags_n = -1;
    w->body = gx_buf_ref(body);
    if (gx_map_set(&srv->waiting, w->task, w) || insert(b, w)) {
        gx_map_del(&srv->waiting, w->task);
        free_entry(w);
        return NULL;
    }
    srv->m.waiting++;
    return w;
}

void gx_waiting_drop(gx_server *srv, const char *task)
{
    gx_waiting *w = gx_waiting_get(srv, task);
    if (!w)
        return;
    gx_blocal *b = gx_server_brand(srv, w->brand, false);
    if (b)
        unlink_entry(b, w);
    gx_map_del(&srv->waiting, task);
    srv->m.waiting--;
    free_entry(w);
}

static void clear_brand(const char *key, void *val, void *arg)
{
    gx_blocal *b = val;
    (void)key;
    (void)arg;
    b->nwait = 0;
    if (b->seed == GX_SEED_READY)
        b->seed = GX_SEED_NONE;
}

static void free_waiting(const char *key, void *val, void *arg)
{
    (void)key;
    (void)arg;
    free_entry(val);
}

void gx_waiting_clear(gx_server *srv)
{
    gx_map_each(&srv->brands, clear_brand, NULL);
    gx_map_each(&srv->waiting, free_waiting, NULL);
    gx_map_free(&srv->waiting);
    srv->m.waiting = 0;
}

bool gx_waiting_fits(gx_server *srv, gx_waiting *w, const gx_session *s)
{
    const gx_profile *p = &s->prof;
    if (p->tier < w->tier)
        return false;
    if (p->tags_spill) /* some of s's words have no bit */
        return gx_str_csv_has(p->langs_csv, w->lang) && gx_str_csv_has(p->skills_csv, w->topic);
    if (w->tags_n != srv->tags.n) { /* words numbered since: look again */
        w->lang_bit = gx_tags_bit(&srv->tags, w->lang, false);
        w->topic_bit = gx_tags_bit(&srv->tags, w->topic, false);
        w->tags_n = srv->tags.n;
    }
    return w->lang_bit >= 0 && w->topic_bit >= 0 && (p->lang_bits >> w->lang_bit & 1) &&
           (p->skill_bits >> w->topic_bit & 1);
}

void gx_waiting_free_brand(gx_blocal *b)
{
    free(b->wait); /* the entries belong to srv->waiting */
    b->wait = NULL;
    b->nwait = b->capwait = 0;
    for (int i = 0; i < b->seed_waiters.n; i++)
        gx_session_unref(b->seed_waiters.v[i]);
    gx_svec_free(&b->seed_waiters);
}
