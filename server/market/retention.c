/* The retention sweep (retention.h): one task_purge.lua call at a time from this node. Every
 * node may run it; the script is atomic and deletes only what is due, so two nodes at once
 * only share the work. */
#include "gigcx/retention.h"
#include <stdio.h>
#include <libwebsockets.h>
#include "gigcx/request.h"
#include "gigcx/scripts.h"
#include "gigcx/util.h"

static bool purging;    /* a call is in flight */
static uint64_t idle_t; /* the tick the last call came back with less than a batch */

static void on_purged(redisReply *r, void *priv)
{
    gx_server *srv = priv;
    purging = false;
    long long deleted = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                                r->element[0]->type == REDIS_REPLY_INTEGER
                            ? r->element[0]->integer
                            : 0;
    srv->m.tasks_purged += (uint64_t)deleted;
    if (deleted)
        lwsl_user("retention: %lld finished tasks deleted\n", deleted);
    if (deleted < GX_PURGE_BATCH) /* else: a backlog, the next tick goes on with it */
        idle_t = srv->ticks;
}

void gx_retention_sweep(gx_server *srv)
{
    if (!srv->cfg->task_retention_s || purging ||
        (idle_t && srv->ticks - idle_t < GX_PURGE_IDLE_TICKS))
        return;
    char cutoff[24], batch[12], look[12];
    snprintf(cutoff, sizeof(cutoff), "%lld",
             (long long)(gx_now_ms() - (int64_t)srv->cfg->task_retention_s * 1000));
    snprintf(batch, sizeof(batch), "%d", GX_PURGE_BATCH);
    snprintf(look, sizeof(look), "%d", GX_PURGE_LOOK);
    const char *argv[] = {cutoff, batch, look};
    if (gx_redis_script(srv->redis, GX_SCRIPT_TASK_PURGE, on_purged, srv, 0, 3, argv, NULL) == 0)
        purging = true;
}
