/* A token bucket: rate tokens a second, holding at most burst. The flood limits of a
 * socket, of a user over all its sockets, and of an IP or brand use it. Pure arithmetic. */
#ifndef GIGCX_BUCKET_H
#define GIGCX_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    double tokens;
    int64_t refill_ms; /* when tokens was last brought up to date */
} gx_bucket;

/* A full bucket at now_ms. */
void gx_bucket_init(gx_bucket *b, double burst, int64_t now_ms);
/* Refills for the time since the last call, then takes one token: false when none is left. */
bool gx_bucket_take(gx_bucket *b, double rate, double burst, int64_t now_ms);

#endif
