/* Coalescing the loop's waits under load: when to pause and for how long (coalesce.h says
 * why). */
#include "gigcx/coalesce.h"

void gx_coalesce_init(gx_coalesce *c, unsigned window_us)
{
    *c = (gx_coalesce){.window_ns = (uint64_t)window_us * 1000};
}

/* Judges the event rate once per period: busy when the period saw two events or more per
 * window. A period that ended long ago (the loop slept) counts as quiet. */
static void judge(gx_coalesce *c, uint64_t now, uint64_t events)
{
    if (now - c->period_start < GX_COALESCE_PERIOD_NS)
        return;
    uint64_t n = events - c->period_events;
    bool fresh = now - c->period_start < 2 * GX_COALESCE_PERIOD_NS;
    c->busy = fresh && n * c->window_ns >= 2 * (now - c->period_start);
    c->period_start = now;
    c->period_events = events;
}

uint64_t gx_coalesce_pause(gx_coalesce *c, uint64_t now, uint64_t events, bool urgent)
{
    if (!c->window_ns)
        return 0;
    judge(c, now, events);
    uint64_t since = now - c->last_wait;
    if (!c->busy || urgent || since >= c->window_ns)
        return 0;
    return c->window_ns - since;
}

void gx_coalesce_waiting(gx_coalesce *c, uint64_t now)
{
    c->last_wait = now;
}
