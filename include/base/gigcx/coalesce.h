/* Coalescing the loop's waits under load.
 *
 * Each time the loop wakes up for network events it pays a fixed price: the wait itself,
 * a batched write to the sockets it queued frames for, a write to Redis, and the wake-ups
 * of the processes it writes to. At a few thousand frames a second that price, paid per
 * frame or two, is most of gigcxd's CPU. While busy, gigcxd therefore lets each wait start
 * at least a window after the previous one began, so one iteration handles everything that
 * came in meanwhile and writes each socket, and Redis, once.
 *
 * The window only applies while the events of the last period (client frames and messages
 * from Redis channels) came at two or more per window: a quiet server, or a lone chain of
 * steps such as one task's fan-out, never waits for it. Pure logic; main.c runs it from a
 * uv_prepare handle, after the iteration's writes. */
#ifndef GIGCX_COALESCE_H
#define GIGCX_COALESCE_H

#include <stdbool.h>
#include <stdint.h>

#define GX_COALESCE_PERIOD_NS 100000000ull /* how often the event rate is judged */

typedef struct {
    uint64_t window_ns;    /* 0: never wait */
    uint64_t last_wait;    /* when the previous wait began */
    uint64_t period_start; /* the current period, and the event count at its start */
    uint64_t period_events;
    bool busy; /* the last full period reached the rate */
} gx_coalesce;

void gx_coalesce_init(gx_coalesce *c, unsigned window_us);

/* Called right before the loop waits, with the monotonic time and the number of events
 * handled so far; returns how long to sleep before waiting (0 most of the time). urgent:
 * someone waits on a reply that is due any moment (a claim in Redis): no pause. */
uint64_t gx_coalesce_pause(gx_coalesce *c, uint64_t now_ns, uint64_t events, bool urgent);

/* Called once the pause is over, right before the wait begins. */
void gx_coalesce_waiting(gx_coalesce *c, uint64_t now_ns);

#endif
