/* The dashboard's queue-wait histogram: finer buckets than /metrics' (a 33 s wait must not
 * read as 60 s), summed across nodes, and percentiles interpolated within a bucket. */
#ifndef GIGCX_WAITHIST_H
#define GIGCX_WAITHIST_H

#include <stdint.h>

#define GX_WAITHIST_BUCKETS 24

/* Upper bounds in seconds; the last slot of a counts array (index GX_WAITHIST_BUCKETS)
 * holds the waits beyond the last bound. */
extern const double gx_waithist_bounds[GX_WAITHIST_BUCKETS];

typedef struct {
    uint64_t counts[GX_WAITHIST_BUCKETS + 1];
} gx_waithist;

/* Adds one wait of v seconds. */
void gx_waithist_observe(gx_waithist *h, double v);
/* The p-th percentile (0..100) in seconds of counts[GX_WAITHIST_BUCKETS + 1]: the rank's
 * place within its bucket, linearly between the bucket's bounds (the last bound for waits
 * beyond it); 0 with no observations. */
double gx_waithist_pct(const uint64_t *counts, double p);

#endif
