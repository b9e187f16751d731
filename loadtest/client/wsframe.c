/* wsframe: RFC 6455 as a client sees it, on bytes alone (see gigcx/wsframe.h). What a
 * server frame may be is checked strictly: a load tester that accepted anything would
 * hide a server that sends what browsers refuse. */
#include "gigcx/wsframe.h"
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int gx_ws_head_parse(const unsigned char *p, size_t n, gx_ws_head *h)
{
    if (n < 2)
        return 0;
    if (p[0] & 0x70 || p[1] & 0x80) /* reserved bits; a masked server frame */
        return -1;
    h->fin = p[0] & 0x80;
    h->opcode = p[0] & 0x0f;
    bool control = h->opcode & 0x8;
    if ((h->opcode > GX_WS_BINARY && !control) || h->opcode > GX_WS_PONG)
        return -1;
    uint64_t len = p[1] & 0x7f;
    if (control && (len > 125 || !h->fin))
        return -1;
    size_t hl = 2;
    if (len == 126) {
        if (n < 4)
            return 0;
        len = (uint64_t)p[2] << 8 | p[3];
        hl = 4;
    } else if (len == 127) {
        if (n < 10)
            return 0;
        len = 0;
        for (int i = 2; i < 10; i++)
            len = len << 8 | p[i];
        if (len >> 63)
            return -1;
        hl = 10;
    }
    h->len = len;
    return (int)hl;
}

size_t gx_ws_head_write(unsigned char *out, int opcode, size_t len, const unsigned char mask[4])
{
    size_t hl = 2;
    out[0] = (unsigned char)(0x80 | (opcode & 0x0f));
    if (len < 126) {
        out[1] = (unsigned char)(0x80 | len);
    } else if (len <= 0xffff) {
        out[1] = 0x80 | 126;
        out[2] = (unsigned char)(len >> 8);
        out[3] = (unsigned char)len;
        hl = 4;
    } else {
        out[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
        hl = 10;
    }
    memcpy(out + hl, mask, 4);
    return hl + 4;
}

void gx_ws_mask(unsigned char *p, size_t n, const unsigned char mask[4])
{
    for (size_t i = 0; i < n; i++)
        p[i] ^= mask[i & 3];
}

void gx_ws_accept_of(const char *key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char in[128];
    int n = snprintf(in, sizeof(in), "%.64s%s", key, guid);
    unsigned char md[SHA_DIGEST_LENGTH];
    EVP_Digest(in, (size_t)n, md, NULL, EVP_sha1(), NULL);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

/* The value of header name (given with its colon) in head, or NULL; *vlen its length
 * without surrounding blanks. */
static const char *header(const char *head, size_t n, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *end = head + n;
    for (const char *l = memchr(head, '\n', n); l && l + 1 + nl < end;
         l = memchr(l + 1, '\n', (size_t)(end - l - 1))) {
        if (strncasecmp(l + 1, name, nl) != 0)
            continue;
        const char *v = l + 1 + nl, *e = memchr(v, '\r', (size_t)(end - v));
        if (!e)
            return NULL;
        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        *vlen = (size_t)(e - v);
        return v;
    }
    return NULL;
}

bool gx_ws_response_ok(const char *head, size_t n, const char *key)
{
    if (n < 12 || memcmp(head, "HTTP/1.1 101", 12) != 0)
        return false;
    size_t vl;
    const char *v = header(head, n, "Sec-WebSocket-Accept:", &vl);
    char want[29];
    gx_ws_accept_of(key, want);
    return v && vl == 28 && memcmp(v, want, 28) == 0;
}

int gx_ws_request(char *out, size_t cap, const char *host, int port, const char *path,
                  const char *protocol, const char *origin, const char *key)
{
    int n = snprintf(out, cap,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s%s%s%s%s%s\r\n",
                     path, host, port, key, protocol ? "Sec-WebSocket-Protocol: " : "",
                     protocol ? protocol : "", protocol ? "\r\n" : "", origin ? "Origin: " : "",
                     origin ? origin : "", origin ? "\r\n" : "");
    return n < 0 || (size_t)n >= cap ? -1 : n;
}
