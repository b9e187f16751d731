/* Log-linear latency histogram (see hist.h). Bucket i covers [low(i), low(i+1)). */
#include "hist.h"
#include <string.h>

void gxlt_hist_init(gxlt_hist *h)
{
    memset(h, 0, sizeof(*h));
}

int gxlt_hist_bucket(uint64_t us)
{
    if (us < GXLT_HIST_SUB)
        return (int)us;               /* the first 64 microseconds are exact */
    int e = 63 - __builtin_clzll(us); /* us in [2^e, 2^(e+1)) with e >= SUB_BITS */
    if (e > GXLT_HIST_TOP)
        return GXLT_HIST_BUCKETS - 1;
    int sub = (int)((us >> (e - GXLT_HIST_SUB_BITS)) & (GXLT_HIST_SUB - 1));
    int i = (e - GXLT_HIST_SUB_BITS + 1) * GXLT_HIST_SUB + sub;
    return i < GXLT_HIST_BUCKETS ? i : GXLT_HIST_BUCKETS - 1;
}

uint64_t gxlt_hist_low(int i)
{
    if (i < GXLT_HIST_SUB)
        return (uint64_t)i;
    int e = i / GXLT_HIST_SUB + GXLT_HIST_SUB_BITS - 1;
    uint64_t sub = (uint64_t)(i % GXLT_HIST_SUB);
    return (1ull << e) + (sub << (e - GXLT_HIST_SUB_BITS));
}

void gxlt_hist_add(gxlt_hist *h, uint64_t us)
{
    h->counts[gxlt_hist_bucket(us)]++;
    if (h->n == 0 || us < h->min_us)
        h->min_us = us;
    if (us > h->max_us)
        h->max_us = us;
    h->n++;
    h->sum_us += (double)us;
}

void gxlt_hist_merge(gxlt_hist *into, const gxlt_hist *from)
{
    if (!from->n)
        return;
    for (int i = 0; i < GXLT_HIST_BUCKETS; i++)
        into->counts[i] += from->counts[i];
    if (into->n == 0 || from->min_us < into->min_us)
        into->min_us = from->min_us;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
    into->n += from->n;
    into->sum_us += from->sum_us;
}

uint64_t gxlt_hist_pct(const gxlt_hist *h, double p)
{
    if (!h->n)
        return 0;
    /* the rank of the p-th value, 1-based, as in the nearest-rank method */
    uint64_t rank = (uint64_t)(p / 100.0 * (double)h->n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > h->n)
        rank = h->n;
    uint64_t seen = 0;
    for (int i = 0; i < GXLT_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t top = i + 1 < GXLT_HIST_BUCKETS ? gxlt_hist_low(i + 1) - 1 : h->max_us;
            if (top > h->max_us)
                top = h->max_us;
            return top < h->min_us ? h->min_us : top;
        }
    }
    return h->max_us;
}

double gxlt_hist_mean(const gxlt_hist *h)
{
    return h->n ? h->sum_us / (double)h->n : 0.0;
}
