/* The dashboard's queue-wait histogram (waithist.h). */
#include "gigcx/waithist.h"

const double gx_waithist_bounds[GX_WAITHIST_BUCKETS] = {0.25, 0.5, 1,   2,   3,   4,   5,   7.5,
                                                        10,   15,  20,  25,  30,  40,  50,  60,
                                                        90,   120, 180, 240, 300, 600, 900, 1800};

void gx_waithist_observe(gx_waithist *h, double v)
{
    int i = 0;
    while (i < GX_WAITHIST_BUCKETS && v > gx_waithist_bounds[i])
        i++;
    h->counts[i]++;
}

double gx_waithist_pct(const uint64_t *counts, double p)
{
    uint64_t n = 0, seen = 0;
    for (int i = 0; i <= GX_WAITHIST_BUCKETS; i++)
        n += counts[i];
    if (!n)
        return 0;
    double rank = p / 100.0 * (double)n;
    for (int i = 0; i < GX_WAITHIST_BUCKETS; i++) {
        if (counts[i] && (double)(seen + counts[i]) >= rank) {
            double lo = i ? gx_waithist_bounds[i - 1] : 0, hi = gx_waithist_bounds[i];
            double at = (rank - (double)seen) / (double)counts[i];
            return lo + (hi - lo) * (at < 0 ? 0 : at);
        }
        seen += counts[i];
    }
    return gx_waithist_bounds[GX_WAITHIST_BUCKETS - 1];
}
