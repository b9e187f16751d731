/* Polling a Redis due set (offer waves, webhook events) only as often as it needs. A node
 * polls when the set's earliest entry falls due, and at least every GX_DUE_IDLE_MS for
 * what other nodes add; a node that adds an entry itself brings its poll forward. An idle
 * node used to poll several times a second, and on a virtual machine each poll's two
 * wake-ups cost more than the poll. */
#ifndef GIGCX_DUE_H
#define GIGCX_DUE_H

#include <stdbool.h>
#include <stdint.h>
#include <hiredis/hiredis.h>
#include <uv.h>

#define GX_DUE_IDLE_MS 1000

/* The earliest score of a "ZRANGE key 0 0 WITHSCORES" reply, or -1 when the set is empty
 * (or the reply is not one). */
long long gx_due_first(const redisReply *r);
/* How long to wait before the next poll: until next_ms (-1: none), within
 * [min_ms, GX_DUE_IDLE_MS]. */
uint64_t gx_due_wait_ms(long long next_ms, long long now_ms, uint64_t min_ms);
/* After a poll, from its "ZRANGE key 0 0 WITHSCORES" reply (NULL: Redis went away, nothing
 * changes): brings t forward to when the set's earliest entry falls due (gx_due_wait_ms). */
void gx_due_after_poll(uv_timer_t *t, uv_timer_cb cb, const redisReply *first, uint64_t min_ms);
/* Brings t's next firing forward to at most wait_ms from now (never later); t then repeats
 * every GX_DUE_IDLE_MS. */
void gx_due_sooner(uv_timer_t *t, uv_timer_cb cb, uint64_t wait_ms);

#endif
