/* The client's address behind trusted proxies (xff.c): X-Forwarded-For is believed only
 * from a peer in --trusted-proxies, and then read from the right, past every trusted hop,
 * so a client cannot pick its own address for the per-address budgets. */
#ifndef GIGCX_XFF_H
#define GIGCX_XFF_H

#include <stdbool.h>
#include <stddef.h>

#define GX_CIDRS_MAX 32

typedef struct {
    unsigned char addr[16]; /* IPv4 as ::ffff:a.b.c.d */
    int bits;               /* prefix length over the 128 */
} gx_cidr;

typedef struct {
    gx_cidr v[GX_CIDRS_MAX];
    int n;
} gx_cidrs;

/* "10.0.0.0/8,127.0.0.1,::1/128": 0, or -1 on a malformed or excess entry. */
int gx_xff_cidrs_parse(gx_cidrs *c, const char *list);
bool gx_xff_cidrs_has(const gx_cidrs *c, const char *ip);
/* The client: peer, unless peer is trusted and xff (may be NULL) names a hop; then the
 * rightmost address in xff that is not trusted (or its leftmost if all are). */
void gx_xff_client(const gx_cidrs *trusted, const char *peer, const char *xff, char *out,
                   size_t cap);

#endif
