/* Reading a brand's queue from Redis: the staff's backlog of escalated tasks, and the seed
 * of a node's copy of the expert queue (waiting.h). A task's state comes back on the
 * command connection, its withdrawal on the subscriber one: a claim made after the read
 * may be announced before the read's reply is in. So each task's local entry counts
 * withdrawals from the moment its read is sent, and a task withdrawn since is left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/keys.h"
#include "gigcx/held.h"
#include "gigcx/offer.h"
#include "gigcx/privacy.h"
#include "gigcx/request.h"
#include "gigcx/util.h"

#define GX_STAFF_BACKLOG_MAX 50

struct gx_qread_ctx;

typedef struct {
    struct gx_qread_ctx *c;
    char id[65];
    double score;
    gx_tlocal *t;  /* a reader of it */
    unsigned seen; /* its withdrawals when the read was sent */
    redisReply *state;
} gx_qtask;

typedef struct gx_qread_ctx {
    gx_server *srv;
    int refs, queues_left, max;
    bool failed;
    gx_qtask *v;
    size_t n, cap;
    gx_backlog_qread_done done;
    void *priv;
} gx_qread_ctx;

/* The read no longer needs t: the entry may go. */
static void unread(gx_server *srv, gx_tlocal *t)
{
    if (t) {
        t->readers--;
        gx_server_task_gc(srv, t);
    }
}

static void finish(gx_qread_ctx *c)
{
    const char **tasks = calloc(c->n ? c->n : 1, sizeof(*tasks));
    redisReply **states = calloc(c->n ? c->n : 1, sizeof(*states));
    for (size_t i = 0; tasks && states && i < c->n; i++) {
        gx_qtask *q = &c->v[i];
        tasks[i] = q->id;
        states[i] = q->t && q->t->withdrawals == q->seen ? q->state : NULL;
    }
    c->done(c->srv, c->priv, c->failed || !tasks || !states, tasks && states ? c->n : 0, tasks,
            states);
    free(tasks);
    free(states);
}

static void ctx_unref(gx_qread_ctx *c)
{
    if (--c->refs > 0)
        return;
    finish(c);
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i].state)
            freeReplyObject(c->v[i].state);
        unread(c->srv, c->v[i].t);
    }
    free(c->v);
    free(c);
}

static void on_state(redisReply *r, void *priv)
{
    gx_qtask *q = priv;
    if (r && r->type == REDIS_REPLY_ARRAY)
        q->state = gx_reply_steal(r);
    ctx_unref(q->c);
}

static int by_score(const void *a, const void *b)
{
    const gx_qtask *x = a, *y = b;
    return x->score < y->score ? -1 : x->score > y->score;
}

/* Every queue is in: keep the first max by score and read each task's state (each read
 * holds a reference to the context, whose last release hands the states over). */
static void read_states(gx_qread_ctx *c)
{
    if (c->n)
        qsort(c->v, c->n, sizeof(*c->v), by_score);
    if (c->n > (size_t)c->max)
        c->n = (size_t)c->max;
    for (size_t i = 0; i < c->n; i++) {
        gx_qtask *q = &c->v[i];
        q->c = c;
        if ((q->t = gx_server_task(c->srv, q->id, true))) {
            q->t->readers++;
            q->seen = q->t->withdrawals;
        }
        c->refs++;
        if (gx_offer_read(c->srv, q->id, on_state, q)) {
            c->refs--;
            c->failed = true;
            return;
        }
    }
}

static int add_task(gx_qread_ctx *c, const char *id, double score)
{
    if (!gx_id_valid(id))
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        gx_qtask *v = realloc(c->v, sizeof(*v) * cap);
        if (!v)
            return -1;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n] = (gx_qtask){.score = score};
    gx_str_copy(c->v[c->n].id, id, sizeof(c->v[c->n].id));
    c->n++;
    return 0;
}

static void on_queue(redisReply *r, void *priv)
{
    gx_qread_ctx *c = priv;
    if (!r || r->type != REDIS_REPLY_ARRAY)
        c->failed = true;
    for (size_t i = 0; !c->failed && i + 1 < r->elements; i += 2)
        if (add_task(c, r->element[i]->str, atof(r->element[i + 1]->str)))
            c->failed = true;
    if (--c->queues_left == 0 && !c->failed)
        read_states(c);
    ctx_unref(c);
}

void gx_backlog_qread(gx_server *srv, const char *const *queues, int nqueues, int max,
                      gx_backlog_qread_done done, void *priv)
{
    gx_qread_ctx *c = calloc(1, sizeof(*c));
    if (!c) {
        done(srv, priv, true, 0, NULL, NULL);
        return;
    }
    *c = (gx_qread_ctx){.srv = srv, .refs = 1, .max = max, .done = done, .priv = priv};
    for (int i = 0; i < nqueues; i++) {
        c->refs++;
        c->queues_left++;
        if (gx_redis_cmd(srv->redis, on_queue, c, "ZRANGE %s 0 %d WITHSCORES", queues[i],
                         max - 1)) {
            c->refs--;
            c->queues_left--;
            c->failed = true;
            break;
        }
    }
    ctx_unref(c);
}

/* ---- staff: the escalated tasks nobody has taken yet ---- */

static void send_staff_backlog(gx_server *srv, void *priv, bool failed, size_t n,
                               const char *const *tasks, redisReply *const *states)
{
    gx_session *s = priv;
    (void)srv;
    (void)failed;
    for (size_t i = 0; i < n && gx_session_live(s) && s->available; i++) {
        redisReply *r = states[i];
        gx_tlocal *t = gx_server_task(s->srv, tasks[i], false);
        if (!r || !t || strcmp(gx_reply_str(r, O_STATUS), "escalated") != 0 ||
            gx_reply_str(r, O_ASSIGNEE)[0] || gx_held_find(s, tasks[i]) >= 0)
            continue;
        gx_offer_spec sp = gx_offer_spec_of(r);
        json_t *o = gx_offer_json(tasks[i], &sp, -1);
        if (gx_privacy_masked(s))
            gx_privacy_mask(o);
        gx_buf *buf = gx_buf_json(o);
        gx_offer_key k = {atoi(sp.priority), atoll(sp.created_at), atoll(sp.expires_at)};
        if (buf)
            gx_offer_give(s, t, buf, &k);
        gx_buf_unref(buf);
        json_decref(o);
    }
    gx_session_unref(s);
}

void gx_backlog_staff(gx_session *s)
{
    int n = s->prof.nbrands;
    char(*keys)[96] = calloc((size_t)(n ? n : 1), sizeof(*keys));
    const char **argv = calloc((size_t)(n ? n : 1), sizeof(*argv));
    if (keys && argv) {
        for (int i = 0; i < n; i++) {
            snprintf(keys[i], sizeof(keys[i]), GX_KEY_ESC, s->prof.brands[i]);
            argv[i] = keys[i];
        }
        gx_backlog_qread(s->srv, argv, n, GX_STAFF_BACKLOG_MAX, send_staff_backlog,
                         gx_session_ref(s));
    }
    free(keys);
    free(argv);
}
