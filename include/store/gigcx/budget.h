/* Budgets over every process: at most limit uses of a name per window, counted in Redis
 * (one counter per name and window, gx:bud:<name>:<window number>), for what anonymous or
 * brand callers may do at a rate no socket's bucket sees: widget sessions per IP and per
 * brand, tasks per brand. A window's count may run over by the requests in flight. */
#ifndef GIGCX_BUDGET_H
#define GIGCX_BUDGET_H

#include <stdbool.h>
#include <stdbool.h>
#include "gigcx/redis.h"

/* cb(ok, priv): ok false when the budget is spent (or limit is 0: no budget, always ok).
 * When Redis cannot count, ok is true: a budget never makes an outage worse. Returns 0,
 * or -1 when out of memory (cb not called). */
int gx_budget_take(gx_redis *redis, const char *name, int limit, int window_s,
                   void (*cb)(bool ok, void *priv), void *priv);

#endif
