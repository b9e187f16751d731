/* Reputation and the wave score (see rank.h). */
#include "gigcx/rank.h"
#include <math.h>

#define PRIOR_STARS 4.0
#define PRIOR_RATINGS 5.0
#define PRIOR_RATE 0.8
#define PRIOR_TASKS 2.0
#define IDLE_EPOCH 1600000000LL /* idle time counts from here (2020-09-13), in seconds */
#define IDLE_SPAN 1000000000.0  /* and for this long (to 2052) */
#define TIE_SPAN 1000           /* tie-break values */

double gx_rank_reputation(const gx_rep *r)
{
    double n = r->rating_n > 0 ? (double)r->rating_n : 0;
    double sum = r->rating_n > 0 ? (double)r->rating_sum : 0;
    double stars = (sum + PRIOR_STARS * PRIOR_RATINGS) / (n + PRIOR_RATINGS);
    double rating = (stars - 1) / 4;
    double done = 0, taken = 0;
    for (const char *p = r->recent; p && *p && taken < GX_RANK_RECENT; p++, taken++)
        done += *p == '1';
    double rate = (done + PRIOR_RATE * PRIOR_TASKS) / (taken + PRIOR_TASKS);
    double rep = 0.7 * rating + 0.3 * rate;
    return rep < 0 ? 0 : rep > 1 ? 1 : rep;
}

/* FNV-1a: stable across nodes and runs, unlike anything seeded. */
static unsigned tie_break(const char *id)
{
    uint32_t h = 2166136261u;
    for (const char *p = id; p && *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % TIE_SPAN;
}

double gx_rank_score(const gx_rep *r)
{
    double step = round(gx_rank_reputation(r) * 1000);
    double since = r->last_end_s > IDLE_EPOCH ? (double)(r->last_end_s - IDLE_EPOCH) : 0;
    if (since > IDLE_SPAN - 1)
        since = IDLE_SPAN - 1;
    double idle = IDLE_SPAN - 1 - since;
    return (step * IDLE_SPAN + idle) * TIE_SPAN + tie_break(r->id);
}
