/* queue.get: why an expert's console is quiet. From this node's copy of the queue
 * (waiting.h): how many waiting tasks the expert could take, how many of them the tasks'
 * waves have reached, and, for the first one that has not reached them, the wave that
 * would: their place among the ready experts of its rank set, over the wave size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/queue_info.h"
#include "gigcx/decline.h"
#include "gigcx/offer.h"
#include "gigcx/ranking.h"
#include "gigcx/request.h"
#include "gigcx/util.h"

/* A quiet console asks every few seconds: the count stops here (and says "at least"). */
#define GX_QUEUE_SCAN 20000

typedef struct {
    gx_session *s; /* a reference */
    char ref[65];
    bool has_ref;
    long waiting, reached, size;
} gx_qinfo;

static void reply(gx_qinfo *q, json_t *wave)
{
    json_t *o =
        json_pack("{s:s, s:I, s:I, s:o}", "type", "queue", "waiting", (json_int_t)q->waiting,
                  "reached", (json_int_t)q->reached, "wave", wave ? wave : json_null());
    gx_session_send_json(q->s, o, q->has_ref ? q->ref : NULL);
    json_decref(o);
    gx_session_unref(q->s);
    free(q);
}

/* ZCOUNT's reply: the ready experts scoring above s, whose waves come first. */
static void on_place(redisReply *r, void *priv)
{
    gx_qinfo *q = priv;
    long long ahead = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    reply(q, ahead >= 0 ? json_integer(q->size > 0 ? ahead / q->size : 0) : NULL);
}

void gx_queue_info_on_get(gx_session *s, json_t *msg, const char *ref)
{
    (void)msg;
    gx_server *srv = s->srv;
    gx_qinfo *q = calloc(1, sizeof(*q));
    if (!q)
        return;
    q->s = gx_session_ref(s);
    q->has_ref = ref != NULL;
    gx_str_copy(q->ref, ref ? ref : "", sizeof(q->ref));
    double rank = gx_ranking_score(s);
    gx_waiting *first = NULL;
    int scanned = 0;
    for (int i = 0; i < s->prof.nbrands; i++) {
        gx_blocal *b = gx_server_brand(srv, s->prof.brands[i], false);
        for (int k = 0; b && k < b->nwait && scanned < GX_QUEUE_SCAN; k++, scanned++) {
            gx_waiting *w = b->wait[k];
            if (!gx_waiting_fits(srv, w, s) || gx_decline_has(s, w->task, w->expires))
                continue;
            q->waiting++;
            if (gx_waiting_reaches(w, rank))
                q->reached++;
            else if (!first || gx_waiting_before(w, first))
                first = w;
        }
    }
    if (!first) {
        reply(q, NULL);
        return;
    }
    char key[300], min[40];
    q->size = first->size;
    gx_ranking_key(key, sizeof(key), first->brand, first->tier, first->topic, first->lang);
    snprintf(min, sizeof(min), "(%.0f", rank);
    if (gx_redis_cmd(srv->redis, on_place, q, "ZCOUNT %s %s +inf", key, min))
        reply(q, NULL);
}
