/* A user's flood limit across processes (userrate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gigcx/keys.h"
#include "gigcx/redis.h"
#include "gigcx/userlim.h"
#include "gigcx/userrate.h"
#include "gigcx/util.h"

#define GX_SHARE_MIN 0.05 /* a process keeps at least this part of a user's rate */

typedef struct {
    gx_server *srv;
    unsigned counted; /* what this process added to the second read */
    unsigned extra;   /* what to add to its total: this pass's count when it added nothing */
    char uid[];
} gx_share_read;

/* GET of the second before: the user's total over every process. */
static void on_total(redisReply *rep, void *priv)
{
    gx_share_read *q = priv;
    gx_userlim *u = rep ? gx_map_get(&q->srv->limits, q->uid) : NULL;
    if (u) {
        double rate = gx_userlim_rate(q->srv->cfg->ws_rate, q->srv->cfg->user_rate);
        long long total = (rep->type == REDIS_REPLY_STRING ? atoll(rep->str) : 0) + q->extra;
        double share = total > rate ? (double)q->counted / (double)total : 1.0;
        u->share = share < GX_SHARE_MIN ? GX_SHARE_MIN : share;
    }
    free(q);
}

typedef struct {
    gx_server *srv;
    long long now_s;
    unsigned busy; /* frames a second from which a user's count is shared */
} gx_share_pass;

static void share_one(const char *uid, void *val, void *arg)
{
    gx_userlim *u = val;
    gx_share_pass *p = arg;
    unsigned used = u->used;
    u->used = 0;
    if (used < p->busy) { /* quiet here: the whole rate again, no Redis command */
        u->share = 1.0;
        return;
    }
    char key[160];
    snprintf(key, sizeof(key), GX_KEY_USER_RATE, uid, p->now_s);
    if (gx_redis_cmd(p->srv->redis, NULL, NULL, "INCRBY %s %u", key, used) ||
        gx_redis_cmd(p->srv->redis, NULL, NULL, "EXPIRE %s 10", key))
        return;
    unsigned before = u->sec == p->now_s - 1 ? u->counted : 0;
    if (u->sec != p->now_s)
        u->counted = 0;
    u->sec = p->now_s;
    u->counted += used;
    size_t n = strlen(uid) + 1;
    gx_share_read *q = malloc(sizeof(*q) + n);
    if (!q)
        return;
    /* a pass that skipped a second (ticks drift) counts this pass's frames in its place */
    *q = (gx_share_read){
        .srv = p->srv, .counted = before ? before : used, .extra = before ? 0 : used};
    memcpy(q->uid, uid, n);
    snprintf(key, sizeof(key), GX_KEY_USER_RATE, uid, p->now_s - 1);
    if (gx_redis_cmd(p->srv->redis, on_total, q, "GET %s", key))
        free(q);
}

void gx_userrate_share(gx_server *srv)
{
    double rate = gx_userlim_rate(srv->cfg->ws_rate, srv->cfg->user_rate);
    gx_share_pass p = {srv, (long long)time(NULL), (unsigned)(rate / 4) ? (unsigned)(rate / 4) : 1};
    gx_map_each(&srv->limits, share_one, &p);
}
