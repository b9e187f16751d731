/* Shedding (see shed.h): a quota of sockets per role, worked off in batches by a timer.
 * Each tick closes its share of what is left, so the reconnects reach the balancer spread
 * over the window rather than at once. Sockets are never picked twice: a closing one is no
 * longer a candidate. */
#include "gigcx/shed.h"
#include <stdlib.h>
#include <libwebsockets.h>
#include "gigcx/error.h"
#include "gigcx/session.h"

#define GX_SHED_ROLES 4 /* as gx_metrics.conns: none (before hello), expert, customer, staff */

struct gx_shed {
    uv_timer_t timer;
    gx_server *srv;           /* borrowed */
    int quota[GX_SHED_ROLES]; /* sockets of each role still to close */
    int ticks_left;           /* batches left, this one included */
    gx_shed_why why;
};

static bool candidate(const gx_session *s)
{
    return gx_session_live(s) && !s->c.close_code && !s->c.close_sent;
}

static int role_of(const gx_session *s)
{
    return s->state >= GX_SS_AUTHING ? (int)s->who.role : 0;
}

/* A claim or a hello in flight: closing now would cut its answer off (the client would
 * learn the outcome only on resume), so such a socket waits for a later batch. */
static bool busy(const gx_session *s)
{
    return s->claiming > 0 || s->state == GX_SS_AUTHING;
}

static int quota_left(const struct gx_shed *sh)
{
    int n = 0;
    for (int r = 0; r < GX_SHED_ROLES; r++)
        n += sh->quota[r];
    return n;
}

int gx_shed_candidates(const gx_server *srv)
{
    int n = 0;
    for (const gx_session *s = gx_session_first(srv); s; s = gx_session_next(s))
        n += candidate(s);
    return n;
}

int gx_shed_count(const gx_server *srv, double share)
{
    int n = gx_shed_candidates(srv);
    /* the epsilon keeps 0.1 * 30 (3.0000000000000004 in doubles) at 3 */
    int k = (int)(share * n - 1e-9) + 1;
    return share <= 0 || n == 0 ? 0 : k > n ? n : k;
}

/* count over the roles in proportion to live[] (largest remainder), never more than a role
 * has; total is the sum of live[] and count is at most total. */
static void share_out(int quota[GX_SHED_ROLES], const int live[GX_SHED_ROLES], int total, int count)
{
    long long rem[GX_SHED_ROLES];
    int given = 0;
    for (int r = 0; r < GX_SHED_ROLES; r++) {
        quota[r] = (int)((long long)count * live[r] / total);
        rem[r] = (long long)count * live[r] % total;
        given += quota[r];
    }
    for (int k = 0; k < GX_SHED_ROLES && given < count; k++) {
        int best = 0;
        for (int r = 1; r < GX_SHED_ROLES; r++)
            best = rem[r] > rem[best] ? r : best;
        quota[best]++;
        rem[best] = -1;
        given++;
    }
}

static void shed_one(struct gx_shed *sh, gx_session *s)
{
    if (sh->why == GX_SHED_DRAIN) {
        gx_session_close(s, 1001, "server shutting down", true);
        return;
    }
    sh->srv->m.shed_sockets++;
    gx_session_close(s, 1001, "moving to another node; reconnect and resume", true);
}

static int role_with_quota(const struct gx_shed *sh)
{
    for (int r = 0; r < GX_SHED_ROLES; r++)
        if (sh->quota[r] > 0)
            return r;
    return -1;
}

/* Closes up to n candidates within their roles' quotas, sparing busy ones; loose (the last
 * batch) takes busy ones too, and any role once a role has no sockets left to fill its
 * quota. Returns how many it closed. */
static int close_some(struct gx_shed *sh, int n, bool loose)
{
    int done = 0;
    for (gx_session *s = gx_session_first(sh->srv); s && done < n; s = gx_session_next(s)) {
        int r = role_of(s);
        if (!candidate(s) || (!loose && (busy(s) || sh->quota[r] == 0)))
            continue;
        if (sh->quota[r] == 0) /* loose: charged to a role whose own sockets ran out */
            r = role_with_quota(sh);
        if (r < 0)
            break;
        sh->quota[r]--;
        shed_one(sh, s);
        done++;
    }
    return done;
}

static void on_tick(uv_timer_t *t)
{
    struct gx_shed *sh = t->data;
    int left = quota_left(sh);
    bool last = sh->ticks_left <= 1;
    int batch = left ? (left + sh->ticks_left - 1) / sh->ticks_left : 0;
    batch -= close_some(sh, batch, false);
    if (last && batch > 0)
        close_some(sh, batch, true);
    sh->ticks_left--;
    if (last || quota_left(sh) == 0) {
        for (int r = 0; r < GX_SHED_ROLES; r++)
            sh->quota[r] = 0; /* what could not be found is dropped, not carried over */
        uv_timer_stop(t);
    }
}

int gx_shed_start(gx_server *srv, int count, int window_ms, gx_shed_why why)
{
    struct gx_shed *sh = srv->shed;
    if (why == GX_SHED_LOAD && (srv->draining || srv->net.stopping || gx_shed_left(srv)))
        return GX_ECONFLICT;
    if (!sh) {
        sh = calloc(1, sizeof(*sh));
        if (!sh)
            return GX_EINTERNAL;
        sh->srv = srv;
        uv_timer_init(srv->loop, &sh->timer);
        sh->timer.data = sh;
        srv->shed = sh;
    }
    int live[GX_SHED_ROLES] = {0}, total = 0;
    for (const gx_session *s = gx_session_first(srv); s; s = gx_session_next(s))
        if (candidate(s)) {
            live[role_of(s)]++;
            total++;
        }
    count = count < total ? count : total;
    if (count <= 0)
        return 0;
    share_out(sh->quota, live, total, count);
    sh->why = why;
    sh->ticks_left = window_ms / GX_SHED_TICK_MS > 0 ? window_ms / GX_SHED_TICK_MS : 1;
    uv_timer_start(&sh->timer, on_tick, GX_SHED_TICK_MS, GX_SHED_TICK_MS);
    lwsl_user("%s: closing %d of %d sockets with 1001 over %d ms\n",
              why == GX_SHED_LOAD ? "shedding" : "draining", count, total, window_ms);
    return count;
}

int gx_shed_left(const gx_server *srv)
{
    return srv->shed ? quota_left(srv->shed) : 0;
}

static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

void gx_shed_free(gx_server *srv)
{
    struct gx_shed *sh = srv->shed;
    if (!sh)
        return;
    srv->shed = NULL;
    uv_close((uv_handle_t *)&sh->timer, on_closed);
}
