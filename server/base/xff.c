/* The client's address behind trusted proxies (see xff.h). */
#include "gigcx/xff.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/util.h"

/* ip as 16 bytes (IPv4 mapped); false when it is not an address. */
static bool to16(const char *ip, unsigned char out[16])
{
    struct in_addr v4;
    if (strncmp(ip, "::ffff:", 7) == 0 && inet_pton(AF_INET, ip + 7, &v4) == 1)
        ip += 7;
    if (inet_pton(AF_INET, ip, &v4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &v4, 4);
        return true;
    }
    return inet_pton(AF_INET6, ip, out) == 1;
}

static int parse_one(gx_cidr *c, const char *s, size_t n)
{
    char buf[64];
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *slash = strchr(buf, '/'), *end = NULL;
    long bits = -1;
    if (slash) {
        *slash = '\0';
        bits = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end)
            return -1;
    }
    if (!to16(buf, c->addr))
        return -1;
    bool v4 = strchr(buf, ':') == NULL || strncmp(buf, "::ffff:", 7) == 0;
    long max = v4 ? 32 : 128;
    if (bits < 0)
        bits = max;
    if (bits > max)
        return -1;
    c->bits = (int)(v4 ? bits + 96 : bits);
    return 0;
}

int gx_xff_cidrs_parse(gx_cidrs *c, const char *list)
{
    c->n = 0;
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (c->n == GX_CIDRS_MAX || parse_one(&c->v[c->n], p, n))
            return -1;
        c->n++;
        p = comma ? comma + 1 : p + n;
    }
    return 0;
}

static bool in(const gx_cidr *c, const unsigned char a[16])
{
    int full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr, a, (size_t)full) != 0)
        return false;
    return !rest || ((c->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

bool gx_xff_cidrs_has(const gx_cidrs *c, const char *ip)
{
    unsigned char a[16];
    if (!c || !to16(ip, a))
        return false;
    for (int i = 0; i < c->n; i++)
        if (in(&c->v[i], a))
            return true;
    return false;
}

/* The hop before end in a comma list, trimmed, into out; its start, or NULL at the start. */
static const char *prev_hop(const char *list, const char *end, char *out, size_t cap)
{
    const char *e = end;
    while (e > list && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    const char *b = e;
    while (b > list && b[-1] != ',')
        b--;
    const char *s = b;
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    snprintf(out, cap, "%.*s", (int)(e - s), s);
    return b > list ? b - 1 : NULL;
}

void gx_xff_client(const gx_cidrs *trusted, const char *peer, const char *xff, char *out,
                   size_t cap)
{
    gx_str_copy(out, peer, cap);
    if (!xff || !xff[0] || !gx_xff_cidrs_has(trusted, peer))
        return;
    unsigned char a[16];
    char hop[64];
    for (const char *end = xff + strlen(xff); end;) {
        end = prev_hop(xff, end, hop, sizeof(hop));
        if (!to16(hop, a))
            return; /* garbage from a hop we trust no further: the last good one stands */
        gx_str_copy(out, hop, cap);
        if (!gx_xff_cidrs_has(trusted, hop))
            return;
    }
}
