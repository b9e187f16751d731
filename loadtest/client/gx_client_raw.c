/* gxclient's own framing: the connection is an lws raw socket (lws connects, polls, reads
 * and writes on the same libuv loop) and this file speaks RFC 6455 over it with wsframe.
 * Why: lws 4.1's WebSocket client parses what it reads one byte per call, about a third of
 * the load tester's CPU when 2,000 experts each receive an offer. Here a frame that arrives
 * whole in one read is handed over from lws's read buffer without a copy. Extensions are
 * not offered, so none can be agreed. */
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/wsframe.h"
#include "gxc_private.h"

/* Biggest server frame accepted (a long chat.history is well under a MiB). */
#define GXC_RAW_FRAME_MAX (16u << 20)
/* Biggest handshake answer accepted. */
#define GXC_RAW_HEAD_MAX 8192

static uint64_t next_random(gxc_ctx *ctx)
{
    uint64_t x = ctx->rng; /* xorshift64: masks need not be secret from a load tester */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return ctx->rng = x;
}

gxc_frame *gxc__raw_frame(gxc_ctx *ctx, int opcode, const void *data, size_t len)
{
    unsigned char mask[4], head[GX_WS_HEAD_MAX];
    uint64_t r = next_random(ctx);
    memcpy(mask, &r, 4);
    size_t hl = gx_ws_head_write(head, opcode, len, mask);
    gxc_frame *f = gxc__frame_new(hl + len);
    if (!f)
        return NULL;
    unsigned char *p = f->data + LWS_PRE;
    memcpy(p, head, hl);
    memcpy(p + hl, data, len);
    gx_ws_mask(p + hl, len, mask);
    return f;
}

int gxc__raw_prepare(gxc_conn *c, const gxc_target *t)
{
    unsigned char nonce[16];
    for (int i = 0; i < 16; i += 8) {
        uint64_t r = next_random(c->ctx);
        memcpy(nonce + i, &r, 8);
    }
    lws_b64_encode_string((const char *)nonce, 16, c->key, sizeof(c->key));
    char req[1024];
    int n = gx_ws_request(req, sizeof(req), t->host, t->port, t->path ? t->path : "/ws",
                          t->protocol, t->origin, c->key);
    if (n < 0 || !(c->hs = gxc__frame_new((size_t)n)))
        return -1;
    memcpy(c->hs->data + LWS_PRE, req, (size_t)n);
    return 0;
}

static int write_raw(struct lws *wsi, gxc_frame *f)
{
    int n = lws_write(wsi, f->data + LWS_PRE, f->len, LWS_WRITE_RAW);
    free(f);
    return n < 0 ? -1 : 0;
}

static int on_writeable(gxc_conn *c, struct lws *wsi)
{
    if (c->closing && !c->open)
        return -1; /* closed before the upgrade: nothing to say */
    if (c->hs) {
        gxc_frame *hs = c->hs;
        c->hs = NULL;
        return write_raw(wsi, hs);
    }
    if (c->closing) { /* a close frame, then the TCP close: no wait for the answer */
        int code = c->close_echo ? c->close_code : 1000; /* 0: the server gave none */
        unsigned char b[2] = {(unsigned char)(code >> 8), (unsigned char)code};
        gxc_frame *f = gxc__raw_frame(c->ctx, GX_WS_CLOSE, b, code ? 2 : 0);
        if (f)
            write_raw(wsi, f);
        return -1;
    }
    gxc_frame *f = c->open ? gxc__dequeue(c) : NULL; /* nothing before the upgrade */
    if (!f)
        return 0;
    if (write_raw(wsi, f))
        return -1;
    if (c->head)
        lws_callback_on_writable(wsi);
    return 0;
}

/* One whole frame: hands over a message, answers a ping, or takes the server's close.
 * -1 on a protocol breach or when out of memory. */
static int on_frame(gxc_conn *c, const gx_ws_head *h, const unsigned char *p)
{
    size_t n = (size_t)h->len;
    switch (h->opcode) {
    case GX_WS_TEXT:
    case GX_WS_BINARY:
        if (c->fragmented)
            return -1;
        if (h->fin) {
            if (c->cb.on_text)
                c->cb.on_text(c, (const char *)p, n, c->user);
            return 0;
        }
        c->fragmented = true;
        return gxc__append(&c->rx, &c->rxlen, &c->rxcap, p, n);
    case GX_WS_CONT:
        if (!c->fragmented || gxc__append(&c->rx, &c->rxlen, &c->rxcap, p, n))
            return -1;
        if (h->fin) {
            c->fragmented = false;
            size_t len = c->rxlen;
            c->rxlen = 0;
            if (c->cb.on_text)
                c->cb.on_text(c, c->rx, len, c->user);
        }
        return 0;
    case GX_WS_PING: {
        gxc_frame *f = gxc__raw_frame(c->ctx, GX_WS_PONG, p, n);
        if (!f)
            return -1;
        gxc__queue(c, f);
        return 0;
    }
    case GX_WS_CLOSE:
        c->close_code = n >= 2 ? p[0] << 8 | p[1] : 0;
        c->close_echo = c->closing = true;
        lws_callback_on_writable(c->wsi);
        return 0;
    default: /* pong */
        return 0;
    }
}

/* Frames in the n bytes at p: returns how many bytes whole frames took, or -1. */
static long frames(gxc_conn *c, const unsigned char *p, size_t n)
{
    size_t used = 0;
    while (used < n && !c->closing) {
        gx_ws_head h;
        int hl = gx_ws_head_parse(p + used, n - used, &h);
        if (hl < 0 || h.len > GXC_RAW_FRAME_MAX)
            return -1;
        if (hl == 0 || h.len > n - used - (size_t)hl)
            break;
        if (on_frame(c, &h, p + used + hl))
            return -1;
        used += (size_t)hl + (size_t)h.len;
    }
    return (long)used;
}

/* The server's answer to the upgrade, in c->in: bytes it took, 0 while incomplete, -1. */
static long handshake(gxc_conn *c)
{
    const char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
    if (!end)
        return c->inlen > GXC_RAW_HEAD_MAX ? -1 : 0;
    size_t hl = (size_t)(end - c->in) + 4;
    if (!gx_ws_response_ok(c->in, hl, c->key))
        return -1;
    c->open = true;
    if (c->cb.on_open)
        c->cb.on_open(c, c->user);
    if (c->head || c->closing)
        lws_callback_on_writable(c->wsi);
    return (long)hl;
}

static int keep(gxc_conn *c, const void *in, size_t len)
{
    return gxc__append(&c->in, &c->inlen, &c->incap, in, len);
}

/* What lws read: parsed in its own buffer when nothing is left over from before (the
 * usual case), else added to what is. The rest of an unfinished frame is kept. */
static int on_rx(gxc_conn *c, const unsigned char *in, size_t len)
{
    if (c->closing || !len)
        return 0; /* after a close frame, nothing more counts */
    if (!c->inlen && c->open) {
        long used = frames(c, in, len);
        if (used < 0)
            return -1;
        return keep(c, in + used, len - (size_t)used);
    }
    if (keep(c, in, len))
        return -1;
    long used = 0;
    if (!c->open && (used = handshake(c)) <= 0)
        return (int)used;
    long more = frames(c, (unsigned char *)c->in + used, c->inlen - (size_t)used);
    if (more < 0)
        return -1;
    used += more;
    memmove(c->in, c->in + used, c->inlen - (size_t)used);
    c->inlen -= (size_t)used;
    return 0;
}

int gxc__raw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
    gxc_conn *c = lws_get_opaque_user_data(wsi);
    (void)user;
    switch (reason) {
    case LWS_CALLBACK_RAW_CONNECTED:
        if (!c)
            return -1;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_RAW_RX:
        return c ? on_rx(c, in, len) : -1;
    case LWS_CALLBACK_RAW_WRITEABLE:
        return c ? on_writeable(c, wsi) : -1;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_RAW_CLOSE:
        if (c) /* not upgraded: as lws's client, "never connected" */
            gxc__end_conn(c, !c->open ? -1 : c->close_code ? c->close_code : 1006);
        lws_set_opaque_user_data(wsi, NULL);
        return 0;
    default:
        return 0;
    }
}
