#include "gigcx/due.h"
#include <stdlib.h>
#include "gigcx/util.h"

long long gx_due_first(const redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[1]->type != REDIS_REPLY_STRING)
        return -1;
    return atoll(r->element[1]->str);
}

uint64_t gx_due_wait_ms(long long next_ms, long long now_ms, uint64_t min_ms)
{
    if (next_ms < 0 || next_ms - now_ms >= GX_DUE_IDLE_MS)
        return GX_DUE_IDLE_MS;
    if (next_ms - now_ms <= (long long)min_ms)
        return min_ms;
    return (uint64_t)(next_ms - now_ms);
}

void gx_due_sooner(uv_timer_t *t, uv_timer_cb cb, uint64_t wait_ms)
{
    if (!t->loop || uv_is_closing((uv_handle_t *)t)) /* never started, or closed */
        return;
    if (!uv_is_active((uv_handle_t *)t) || uv_timer_get_due_in(t) > wait_ms)
        uv_timer_start(t, cb, wait_ms, GX_DUE_IDLE_MS);
}

void gx_due_after_poll(uv_timer_t *t, uv_timer_cb cb, const redisReply *first, uint64_t min_ms)
{
    if (first)
        gx_due_sooner(t, cb, gx_due_wait_ms(gx_due_first(first), (long long)gx_now_ms(), min_ms));
}
