/* The housekeeping tick (tick.h): each module's sweep with how often it runs. Any node may run
 * any of them: they read and write Redis (userrate shares this node's counts of busy users). */
#include "gigcx/tick.h"
#include "gigcx/stats.h"
#include "gigcx/depth.h"
#include "gigcx/absent.h"
#include "gigcx/presence.h"
#include "gigcx/tasks.h"
#include "gigcx/health.h"
#include "gigcx/userrate.h"
#include "gigcx/retention.h"
#include "gigcx/coverage.h"

typedef struct {
    void (*fn)(gx_server *srv);
    unsigned every; /* ticks between runs; 0: every heartbeat (--heartbeat) */
    unsigned phase; /* the tick within the period it runs at */
} gx_sweep;

/* one sweep a line (clang-format would pack them and part them from their comments) */
// clang-format off
static const gx_sweep sweeps[] = {
    {gx_health_probe, 1, 0},
    {gx_tasks_expire_sweep, 1, 0},
    {gx_depth_refresh, 5, 1}, /* /metrics shows the last of these, never waiting on Redis */
    {gx_stats_publish, 1, 0},
    {gx_tasks_positions, 2, 0},
    {gx_presence_heartbeat, 0, 0},
    {gx_absent_sweep, 2, 1},
    {gx_userrate_share, 1, 0},  /* a busy user's frames across processes */
    {gx_retention_sweep, 1, 0}, /* paces itself: retention.c */
    {gx_coverage_sweep, 1, 0},  /* at once after a change here, else once a minute */
    {gx_stats_forget_gone, 60, 3}, /* the first 3 s after start, then once a minute */
};
// clang-format on

void gx_tick(gx_server *srv)
{
    srv->ticks++;
    if (!srv->net.stopping)
        gx_conn_sweep(&srv->net); /* liveness does not depend on Redis */
    if (!gx_redis_up(srv->redis) || srv->net.stopping)
        return;
    for (size_t i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]); i++) {
        uint64_t every = sweeps[i].every ? sweeps[i].every : (uint64_t)srv->cfg->heartbeat_s;
        if (srv->ticks % every == sweeps[i].phase % every)
            sweeps[i].fn(srv);
    }
}
