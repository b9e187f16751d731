/* Coverage rebuilds (coverage.h): one coverage.lua call at a time from this node. */
#include "gigcx/coverage.h"
#include <libwebsockets.h>
#include "gigcx/request.h"

static bool dirty;   /* experts changed here since the last rebuild was sent */
static bool running; /* a rebuild is in flight */

static void on_rebuilt(redisReply *r, void *priv)
{
    (void)priv;
    running = false;
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        dirty = true; /* try again at the next tick */
        return;
    }
    if (r->elements == 2 && r->element[1]->type == REDIS_REPLY_INTEGER && r->element[1]->integer)
        lwsl_user("coverage: %lld topics or languages no active expert covers any more\n",
                  r->element[1]->integer);
}

void gx_coverage_touch(gx_server *srv)
{
    (void)srv;
    dirty = true;
}

void gx_coverage_sweep(gx_server *srv)
{
    if (running || (!dirty && srv->ticks % GX_COVERAGE_EVERY != 7))
        return;
    if (gx_redis_script(srv->redis, GX_SCRIPT_COVERAGE, on_rebuilt, NULL, 0, 0, NULL, NULL) == 0) {
        running = true;
        dirty = false;
    }
}
