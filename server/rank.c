/* Reputation and the wave score (see rank.h). */
#include "gigcx/rank.h"
#include <math.h>

#define PRIOR_STARS 4.0
#define PRIOR_RATINGS 5.0
#define PRIOR_RATE 0.8
#define PRIOR_TASKS 2.0
#define IDLE_SPAN 10000000000.0 /* seconds; beyond any unix time we will see */

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

double gx_rank_score(const gx_rep *r)
{
    double step = round(gx_rank_reputation(r) * 1000);
    double end = r->last_end_s > 0 ? (double)r->last_end_s : 0;
    if (end > IDLE_SPAN - 1)
        end = IDLE_SPAN - 1;
    return step * IDLE_SPAN + (IDLE_SPAN - 1 - end);
}
