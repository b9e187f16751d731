/* Work-conserving routing, the expert's side: whenever an expert gets room, this node
 * offers them the waiting tasks their wave has reached, from its copy of the queue
 * (waiting.h), before the loop waits again. The copy of a brand is seeded from Redis when
 * the first expert of the brand asks, and again after the subscriber missed events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/keys.h"
#include "gigcx/decline.h"
#include "gigcx/held.h"
#include "gigcx/offer.h"
#include "gigcx/privacy.h"
#include "gigcx/ranking.h"
#include "gigcx/request.h"
#include "gigcx/util.h"

/* A pull looks at most this many waiting tasks: an expert none of them fits waits for
 * the waves (which also reach deeper tasks) instead of costing a scan of the whole queue. */
#define GX_PULL_SCAN 4000
/* A pull passes over a task that this many of the node's experts with a free slot already
 * hold: they are about to claim it, and one more would only lose the race. Without this,
 * every expert freed at once was offered the same oldest tasks, and 1,000 experts spent
 * 96% of their slot-time losing claims (the drain scenario). */
#define GX_PULL_HERD 2
/* A brand's seed reads at most this many of its waiting tasks. */
#define GX_SEED_MAX 20000

void gx_pull_room(gx_session *s)
{
    if (s->who.role != GX_ROLE_EXPERT || !s->listed || s->pull_queued || !gx_session_live(s) ||
        gx_ranking_saturated(s))
        return;
    if (gx_svec_push(&s->srv->pull_q, s))
        return;
    gx_session_ref(s);
    s->pull_queued = true;
}

/* True when enough of the task's local holders have a free slot to take it now. */
static bool herded(gx_server *srv, const char *task)
{
    gx_tlocal *t = gx_server_task(srv, task, false);
    int ready = 0;
    for (int i = 0; t && i < t->holders.n && ready < GX_PULL_HERD; i++)
        ready += t->holders.v[i]->listed; /* available, below capacity, no claim filling it */
    return ready >= GX_PULL_HERD;
}

static bool offerable(gx_server *srv, gx_session *s, gx_waiting *w)
{
    return gx_waiting_reaches(w, s->rank) && gx_waiting_fits(srv, w, s) &&
           gx_held_find(s, w->task) < 0 && !gx_decline_has(s, w->task, w->expires) &&
           !herded(srv, w->task);
}

/* Merges s's brands' queues in queue order, offering what fits until s is at the limit. */
static void pull(gx_session *s)
{
    gx_server *srv = s->srv;
    int nb = s->prof.nbrands;
    gx_blocal **bl = calloc((size_t)(nb ? nb : 1), sizeof(*bl));
    int *at = calloc((size_t)(nb ? nb : 1), sizeof(*at));
    for (int i = 0; bl && at && i < nb; i++)
        bl[i] = gx_server_brand(srv, s->prof.brands[i], true);
    for (int scanned = 0; bl && at && scanned < GX_PULL_SCAN && !gx_ranking_saturated(s);
         scanned++) {
        int best = -1;
        for (int i = 0; i < nb; i++)
            if (bl[i] && at[i] < bl[i]->nwait &&
                (best < 0 || gx_waiting_before(bl[i]->wait[at[i]], bl[best]->wait[at[best]])))
                best = i;
        if (best < 0)
            break;
        gx_waiting *w = bl[best]->wait[at[best]++];
        if (offerable(srv, s, w))
            gx_offer_hand(s, w);
    }
    free(bl);
    free(at);
}

void gx_pull_resend_held(gx_session *s)
{
    for (int i = 0; i < s->noffers; i++) {
        gx_waiting *w = gx_waiting_get(s->srv, s->offers[i].t->id);
        if (w)
            gx_session_send(s, gx_privacy_frame(s, w->body, &w->masked, &w->tried));
    }
}

void gx_pull_run(gx_server *srv)
{
    gx_svec q = srv->pull_q;
    srv->pull_q = (gx_svec){0};
    for (int i = 0; i < q.n; i++) {
        gx_session *s = q.v[i];
        s->pull_queued = false;
        if (gx_session_live(s) && s->listed && s->declines_loaded && gx_pull_seeded(s))
            pull(s);
        gx_session_unref(s);
    }
    gx_svec_free(&q);
}

/* ---- seeding a brand's copy of the queue ---- */

typedef struct {
    char brand[65];
    unsigned gen; /* srv->seed_gen when the read was sent */
} gx_seed;

static void seed(gx_server *srv, gx_blocal *b);

/* A task read from Redis joins the copy, unless a wave event brought it in meanwhile. */
static void remember_state(gx_server *srv, const char *task, const redisReply *r)
{
    if (!r || strcmp(gx_reply_str(r, O_STATUS), "queued") != 0 || gx_reply_str(r, O_ASSIGNEE)[0] ||
        gx_waiting_get(srv, task))
        return;
    gx_offer_spec sp = gx_offer_spec_of(r);
    const char *wave = gx_reply_str(r, O_WAVE), *min = gx_reply_str(r, O_WAVE_MIN);
    json_t *o = gx_offer_json(task, &sp, wave[0] ? atoi(wave) : 0);
    gx_buf *body = gx_buf_json(o);
    json_decref(o);
    if (!body)
        return;
    gx_waiting_spec ws = {.task = task,
                          .brand = sp.brand,
                          .lang = sp.lang,
                          .topic = sp.topic,
                          .tier = atoi(sp.tier),
                          .prio = atoi(sp.priority),
                          .wave = atoi(wave),
                          .size = atol(sp.wave_k),
                          .created = atoll(sp.created_at),
                          .expires = atoll(sp.expires_at),
                          .min = min[0] && min[0] != '-' ? strtod(min, NULL) : -1};
    if (!gx_waiting_put(srv, &ws, body))
        srv->m.waiting_full++;
    gx_buf_unref(body);
}

static void on_seed(gx_server *srv, void *priv, bool failed, size_t n, const char *const *tasks,
                    redisReply *const *states)
{
    gx_seed *sd = priv;
    gx_blocal *b = gx_server_brand(srv, sd->brand, false);
    bool stale = sd->gen != srv->seed_gen; /* the copy was cleared since: read again */
    for (size_t i = 0; b && !failed && !stale && i < n; i++)
        if (states[i] && strcmp(gx_reply_str(states[i], O_BRAND), sd->brand) == 0)
            remember_state(srv, tasks[i], states[i]);
    free(sd);
    if (!b)
        return;
    b->seed = failed || stale ? GX_SEED_NONE : GX_SEED_READY;
    if (stale && !failed && b->seed_waiters.n) {
        seed(srv, b);
        return;
    }
    gx_svec w = b->seed_waiters;
    b->seed_waiters = (gx_svec){0};
    for (int i = 0; i < w.n; i++) { /* without Redis they wait for their next room */
        if (!failed)
            gx_pull_room(w.v[i]);
        gx_session_unref(w.v[i]);
    }
    gx_svec_free(&w);
}

static void seed(gx_server *srv, gx_blocal *b)
{
    gx_seed *sd = calloc(1, sizeof(*sd));
    if (!sd)
        return;
    gx_str_copy(sd->brand, b->id, sizeof(sd->brand));
    sd->gen = srv->seed_gen;
    b->seed = GX_SEED_LOADING;
    char key[96];
    snprintf(key, sizeof(key), GX_KEY_QUEUE, b->id);
    const char *keys[] = {key};
    gx_backlog_qread(srv, keys, 1, GX_SEED_MAX, on_seed, sd);
}

bool gx_pull_seeded(gx_session *s)
{
    bool all = true;
    for (int i = 0; i < s->prof.nbrands; i++) {
        gx_blocal *b = gx_server_brand(s->srv, s->prof.brands[i], true);
        if (!b || b->seed == GX_SEED_READY)
            continue;
        all = false;
        if (!gx_svec_push(&b->seed_waiters, s))
            gx_session_ref(s);
        if (b->seed == GX_SEED_NONE)
            seed(s->srv, b);
    }
    return all;
}

void gx_pull_reseed(gx_server *srv)
{
    srv->seed_gen++;
    gx_waiting_clear(srv);
    for (gx_session *s = gx_session_first(srv); s; s = gx_session_next(s))
        if (s->available)
            gx_pull_room(s);
}
