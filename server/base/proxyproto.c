/* The PROXY protocol header (proxyproto.h), as HAProxy's proxy-protocol.txt describes it. */
#include "gigcx/proxyproto.h"
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V1_MAX 107 /* "PROXY TCP6 <39> <39> 65535 65535\r\n" */

static const unsigned char v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                         0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* A port: 1-5 digits, at most 65535. */
static bool is_port(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n <= 5 && !s[n] && (s[0] != '0' || n == 1) && strtol(s, NULL, 10) <= 65535;
}

/* "PROXY TCP4 <src> <dst> <sport> <dport>\r\n", or "PROXY UNKNOWN...\r\n". */
static int parse_v1(const unsigned char *buf, size_t len, char *ip, size_t iplen)
{
    size_t have = len < sizeof("PROXY ") - 1 ? len : sizeof("PROXY ") - 1;
    if (memcmp(buf, "PROXY ", have))
        return -1;
    const unsigned char *cr = memchr(buf, '\r', len < V1_MAX ? len : V1_MAX);
    if (!cr)
        return len >= V1_MAX ? -1 : 0;
    size_t n = (size_t)(cr - buf);
    if (n + 1 >= len)
        return 0; /* the \n is still to come */
    if (cr[1] != '\n')
        return -1;
    char line[V1_MAX + 1];
    memcpy(line, buf, n);
    line[n] = '\0';
    if (strncmp(line, "PROXY UNKNOWN", 13) == 0 && (!line[13] || line[13] == ' ')) {
        ip[0] = '\0';
        return (int)n + 2;
    }
    char fam[8], src[48], dst[48], sport[8], dport[8], extra;
    if (sscanf(line, "PROXY %7s %47s %47s %7s %7s%c", fam, src, dst, sport, dport, &extra) != 5)
        return -1;
    int af = strcmp(fam, "TCP4") == 0 ? AF_INET : strcmp(fam, "TCP6") == 0 ? AF_INET6 : -1;
    unsigned char a[16];
    /* fields split by single spaces only, and each valid */
    bool spaced = !strstr(line, "  ") && line[n - 1] != ' ' && strcspn(line, "\t\v\f\n") == n;
    if (af < 0 || !spaced || inet_pton(af, src, a) != 1 || inet_pton(af, dst, a) != 1 ||
        !is_port(sport) || !is_port(dport) || strlen(src) >= iplen)
        return -1;
    snprintf(ip, iplen, "%s", src);
    return (int)n + 2;
}

/* The 12-byte signature, version 2 with LOCAL or PROXY, a family byte, a length, then the
 * addresses (and TLVs, skipped). */
static int parse_v2(const unsigned char *buf, size_t len, char *ip, size_t iplen)
{
    size_t have = len < sizeof(v2_sig) ? len : sizeof(v2_sig);
    if (memcmp(buf, v2_sig, have))
        return -1;
    if (len < 16)
        return 0;
    unsigned ver = buf[12] >> 4, cmd = buf[12] & 0x0F;
    size_t total = 16 + ((size_t)buf[14] << 8 | buf[15]);
    if (ver != 2 || cmd > 1 || total > GX_PROXYPROTO_MAX)
        return -1;
    if (len < total)
        return 0;
    ip[0] = '\0';
    if (cmd == 0) /* LOCAL: the balancer's own connection (a health check) */
        return (int)total;
    unsigned fam = buf[13];
    int af = fam == 0x11 ? AF_INET : fam == 0x21 ? AF_INET6 : -1;
    size_t need = af == AF_INET ? 12 : 36; /* two addresses and two ports */
    if (af < 0)
        return (int)total; /* UDP, unix sockets or unspecified: no address of use here */
    if (total - 16 < need)
        return -1;
    char s[INET6_ADDRSTRLEN];
    if (!inet_ntop(af, buf + 16, s, sizeof(s)) || strlen(s) >= iplen)
        return -1;
    snprintf(ip, iplen, "%s", s);
    return (int)total;
}

int gx_proxyproto_parse(const unsigned char *buf, size_t len, char *ip, size_t iplen)
{
    if (!len || !iplen)
        return 0;
    return buf[0] == v2_sig[0] ? parse_v2(buf, len, ip, iplen) : parse_v1(buf, len, ip, iplen);
}
