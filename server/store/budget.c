/* Fixed-window budgets in Redis (budget.h): INCR a counter named for the window, which
 * expires two windows later; the INCR's reply says how many came before. */
#include <stdio.h>
#include <stdlib.h>
#include "gigcx/keys.h"
#include "gigcx/budget.h"
#include "gigcx/util.h"

typedef struct {
    int limit;
    void (*cb)(bool ok, void *priv);
    void *priv;
} gx_budget;

static void on_count(redisReply *r, void *priv)
{
    gx_budget *b = priv;
    bool ok = !r || r->type != REDIS_REPLY_INTEGER || r->integer <= b->limit;
    b->cb(ok, b->priv);
    free(b);
}

int gx_budget_take(gx_redis *redis, const char *name, int limit, int window_s,
                   void (*cb)(bool ok, void *priv), void *priv)
{
    if (limit <= 0 || window_s <= 0) {
        cb(true, priv);
        return 0;
    }
    gx_budget *b = malloc(sizeof(*b));
    if (!b)
        return -1;
    *b = (gx_budget){limit, cb, priv};
    long long w = (long long)(gx_now_ms() / 1000) / window_s;
    if (gx_redis_cmd(redis, on_count, b, "INCR " GX_KEY_BUDGET, name, w)) {
        free(b);
        cb(true, priv);
        return 0;
    }
    gx_redis_cmd(redis, NULL, NULL, "EXPIRE " GX_KEY_BUDGET " %d", name, w, 2 * window_s);
    return 0;
}
