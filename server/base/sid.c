/* Redis stream ids as ordered pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include "gigcx/sid.h"

static int parse_u64(const char *s, char **end, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, end, 10);
    if (errno)
        return -1;
    *out = v;
    return 0;
}

int gx_sid_parse(const char *s, gx_sid *out)
{
    char *end;
    if (!s || parse_u64(s, &end, &out->ms))
        return -1;
    out->seq = 0;
    if (*end == '\0')
        return 0;
    if (*end != '-' || parse_u64(end + 1, &end, &out->seq) || *end != '\0')
        return -1;
    return 0;
}

int gx_sid_cmp(gx_sid a, gx_sid b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    if (a.seq != b.seq)
        return a.seq < b.seq ? -1 : 1;
    return 0;
}

void gx_sid_format(gx_sid s, char *out, unsigned long cap)
{
    snprintf(out, cap, "%llu-%llu", (unsigned long long)s.ms, (unsigned long long)s.seq);
}
