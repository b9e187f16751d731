/* A latency histogram with log-linear buckets: each power of two of microseconds is cut
 * into 64 equal sub-buckets, so any recorded value is reported within 1/64 (1.6 %) of
 * itself, from 1 us to about 19 hours, in fixed memory and O(1) per record. */
#ifndef GXLT_HIST_H
#define GXLT_HIST_H

#include <stdint.h>

#define GXLT_HIST_SUB_BITS 6
#define GXLT_HIST_SUB (1 << GXLT_HIST_SUB_BITS)
#define GXLT_HIST_TOP 36 /* 2^36 us ~ 19 h */
#define GXLT_HIST_BUCKETS ((GXLT_HIST_TOP - GXLT_HIST_SUB_BITS + 2) * GXLT_HIST_SUB)

typedef struct {
    uint64_t counts[GXLT_HIST_BUCKETS];
    uint64_t n;
    uint64_t min_us, max_us;
    double sum_us;
} gxlt_hist;

/* Clears h. */
void gxlt_hist_init(gxlt_hist *h);
/* Records one value in microseconds (values beyond the top go in the last bucket). */
void gxlt_hist_add(gxlt_hist *h, uint64_t us);
/* Adds every count of from into into. */
void gxlt_hist_merge(gxlt_hist *into, const gxlt_hist *from);
/* The value at percentile p (0..100): the upper edge of the bucket holding the p-th ranked
 * value, never above the maximum seen. 0 when empty. */
uint64_t gxlt_hist_pct(const gxlt_hist *h, double p);
double gxlt_hist_mean(const gxlt_hist *h);
/* Bucket index of a value and the lowest value of bucket i (for charts and tests). */
int gxlt_hist_bucket(uint64_t us);
uint64_t gxlt_hist_low(int i);

#endif
