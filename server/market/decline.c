/* offer.decline (see decline.h). */
#include "gigcx/keys.h"
#include "gigcx/decline.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/error.h"
#include "gigcx/held.h"
#include "gigcx/offer.h"
#include "gigcx/ranking.h"
#include "gigcx/request.h"
#include "gigcx/util.h"
#include "gigcx/waves.h"

#define GX_DECLINES_TTL_S 86400 /* longer than any queue time-out */

bool gx_decline_has(const gx_session *s, const char *task, long long expires)
{
    int64_t now = 0;
    for (int i = 0; i < s->ndeclined; i++) {
        const gx_declined *d = &s->declined[i];
        /* -1: any expiry (a reassignment whose new expiry is not read yet) */
        if ((d->expires != expires && d->expires != -1) || strcmp(d->task, task) != 0)
            continue;
        if (!d->until_ms || d->until_ms > (now ? now : (now = gx_now_ms())))
            return true;
    }
    return false;
}

/* Keeps the decline in the session's ring (the oldest goes when it is full). */
static void remember(gx_session *s, const char *task, long long expires, int64_t until_ms)
{
    if (!s->declined && !(s->declined = calloc(GX_DECLINED_MAX, sizeof(*s->declined))))
        return;
    gx_declined *d = &s->declined[s->declined_next];
    gx_str_copy(d->task, task, sizeof(d->task));
    d->expires = expires;
    d->until_ms = until_ms;
    s->declined_next = (s->declined_next + 1) % GX_DECLINED_MAX;
    if (s->ndeclined < GX_DECLINED_MAX)
        s->ndeclined++;
}

void gx_decline_hold_back(gx_session *s, const char *task, long long expires)
{
    remember(s, task, expires, gx_now_ms() + GX_RELEASE_HOLD_MS);
}

void gx_decline_reassigned(gx_session *s, const char *task)
{
    remember(s, task, -1, gx_now_ms() + GX_RELEASE_HOLD_MS);
    gx_decline_load(s);
}

void gx_decline_on_request(gx_session *s, json_t *msg, const char *ref)
{
    const char *task = gx_request_field_id(s, msg, "task", ref);
    if (!task)
        return;
    int i = gx_held_find(s, task);
    if (i < 0) {
        gx_session_error(s, GX_ENOTFOUND, ref, "no open offer of task %s", task);
        return;
    }
    gx_server *srv = s->srv;
    long long expires = s->offers[i].expires;
    remember(s, task, expires, 0);
    gx_redis_cmd(srv->redis, NULL, NULL, "HSET " GX_KEY_USER_DECLINED " %s %lld", s->who.uid, task,
                 expires);
    gx_redis_cmd(srv->redis, NULL, NULL, "EXPIRE " GX_KEY_USER_DECLINED " %d", s->who.uid,
                 GX_DECLINES_TTL_S);
    gx_held_withdraw(s, i, "declined", ref);
    srv->m.offers_declined++;
    gx_waiting *w = gx_waiting_get(srv, task);
    if (w) /* nobody else reached may be left: the next wave, then */
        gx_waves_declined(srv, w, s->who.uid);
    gx_ranking_sync(s);
    gx_pull_room(s);
}

static void on_declines(redisReply *r, void *priv)
{
    gx_session *s = priv;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && gx_id_valid(r->element[i]->str))
            remember(s, r->element[i]->str, atoll(r->element[i + 1]->str), 0);
    s->declines_loaded = true; /* without Redis, none: the claim script still decides */
    gx_pull_room(s);
    gx_session_unref(s);
}

void gx_decline_load(gx_session *s)
{
    if (gx_redis_cmd(s->srv->redis, on_declines, gx_session_ref(s), "HGETALL " GX_KEY_USER_DECLINED,
                     s->who.uid)) {
        s->declines_loaded = true;
        gx_session_unref(s);
    }
}
