/* Token buckets (bucket.h). */
#include "gigcx/bucket.h"

void gx_bucket_init(gx_bucket *b, double burst, int64_t now_ms)
{
    b->tokens = burst;
    b->refill_ms = now_ms;
}

bool gx_bucket_take(gx_bucket *b, double rate, double burst, int64_t now_ms)
{
    if (now_ms > b->refill_ms)
        b->tokens += (double)(now_ms - b->refill_ms) * rate / 1000.0;
    if (b->tokens > burst)
        b->tokens = burst;
    b->refill_ms = now_ms;
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}
