/* Redis stream ids ("ms-seq") as ordered pairs, so message ids compare the way Redis
 * orders them rather than as strings. */
#ifndef GIGCX_SID_H
#define GIGCX_SID_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t ms, seq;
} gx_sid;

/* Parses "ms-seq" (or "ms", seq 0). Returns 0, or -1 for anything else. */
int gx_sid_parse(const char *s, gx_sid *out);
/* <0, 0, >0 as a is before, equal to or after b. */
int gx_sid_cmp(gx_sid a, gx_sid b);
/* Writes "ms-seq" into out (at least 42 bytes). */
void gx_sid_format(gx_sid s, char *out, unsigned long cap);

#endif
