/* Health (see health.h). Nothing here waits on Redis: the probe runs on the housekeeping
 * tick, and a check reads its last result. */
#include "gigcx/keys.h"
#include "gigcx/health.h"
#include "gigcx/util.h"

#define GX_READY_WRITE_MS 3000 /* a write must have succeeded this recently */
#define GX_READY_FDS_MS 2000   /* and accepting must not have paused this recently */

static void on_probe(redisReply *r, void *priv)
{
    gx_server *srv = priv;
    if (r && r->type == REDIS_REPLY_STATUS)
        srv->ready_write_ms = gx_now_ms();
}

void gx_health_probe(gx_server *srv)
{
    if (srv->m.accept_pauses != srv->seen_accept_pauses) {
        srv->seen_accept_pauses = srv->m.accept_pauses;
        srv->fds_short_ms = gx_now_ms();
    }
    gx_redis_cmd(srv->redis, on_probe, srv, "SET " GX_KEY_PROBE " %lld PX 60000", srv->cfg->node_id,
                 (long long)gx_now_ms());
}

const char *gx_health_unready(const gx_server *srv)
{
    int64_t now = gx_now_ms();
    if (srv->net.stopping || srv->draining)
        return "draining";
    if (!gx_redis_up(srv->redis))
        return "redis unavailable";
    if (!gx_redis_sub_up(srv->redis))
        return "redis subscriber down";
    if (now - srv->ready_write_ms > GX_READY_WRITE_MS)
        return "redis not taking writes";
    if (srv->fds_short_ms && now - srv->fds_short_ms < GX_READY_FDS_MS)
        return "out of descriptors";
    return NULL;
}
