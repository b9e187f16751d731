/* wsframe: the client side of RFC 6455 on bytes alone: the opening handshake (request and
 * the check of the server's 101 answer), frame headers in and out, and masking. No I/O and
 * no allocation: gxclient's own-framing mode feeds it what lws reads from a raw socket. */
#ifndef GIGCX_WSFRAME_H
#define GIGCX_WSFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    GX_WS_CONT = 0x0,
    GX_WS_TEXT = 0x1,
    GX_WS_BINARY = 0x2,
    GX_WS_CLOSE = 0x8,
    GX_WS_PING = 0x9,
    GX_WS_PONG = 0xA,
};

/* The longest header a frame can have: 2 bytes, 8 of length, 4 of mask key. */
#define GX_WS_HEAD_MAX 14

typedef struct {
    bool fin;
    int opcode;
    uint64_t len; /* payload bytes after the header */
} gx_ws_head;

/* Reads a server frame's header from the n bytes at p. Returns its length in bytes, 0 when
 * more bytes are needed, or -1 when it breaks RFC 6455 for a server frame: a mask (servers
 * never mask), reserved bits (no extension is negotiated), an unknown opcode, a control
 * frame that is fragmented or longer than 125 bytes, or a length with its top bit set. */
int gx_ws_head_parse(const unsigned char *p, size_t n, gx_ws_head *h);

/* Writes a client frame header (FIN set, masked with mask) for len payload bytes into out
 * (GX_WS_HEAD_MAX bytes at least); returns its length. */
size_t gx_ws_head_write(unsigned char *out, int opcode, size_t len, const unsigned char mask[4]);

/* XORs n bytes at p with mask, the first byte with mask[0]. */
void gx_ws_mask(unsigned char *p, size_t n, const unsigned char mask[4]);

/* The Sec-WebSocket-Accept value a server must answer key with (28 chars + NUL into out). */
void gx_ws_accept_of(const char *key, char out[29]);

/* Checks a whole response head (up to and including the blank line) of n bytes: status 101
 * and a Sec-WebSocket-Accept that matches key. */
bool gx_ws_response_ok(const char *head, size_t n, const char *key);

/* Writes the upgrade request for path on host:port offering protocol (NULL: none) and,
 * when not NULL, an Origin. key: 24 chars of base64. Returns the length, or -1 when it
 * does not fit in cap bytes. */
int gx_ws_request(char *out, size_t cap, const char *host, int port, const char *path,
                  const char *protocol, const char *origin, const char *key);

#endif
