/* The gigcx.v1 WebSocket protocol callback: frame limits, reassembly, the send queue's
 * writer and the close handshake. Frames go to the layer above (gx_net_ops.ws_frame); HTTP
 * reasons are passed to http.c. It knows nothing of what a frame means. */
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/conn.h"
#include "gigcx/http.h"
#include "gigcx/util.h"
#include "gigcx/wsclose.h"

#define GX_FRAME_MAX (64 * 1024)

/* Counts how the socket ended: whoever sent the first close frame, with its code. Without
 * one it is the server's doing when it gave up on a silent peer or was closing the socket
 * anyway; else the peer's (EOF, a reset, a write that failed on one). */
static void count_close(gx_conn *c)
{
    int by = GX_WSCLOSE_BY_PEER, code = c->peer_close;
    if (c->close_sent || (!c->peer_close && (c->hung_up || c->close_code))) {
        by = GX_WSCLOSE_BY_SERVER;
        code = c->close_sent ? c->close_code : 0;
    }
    c->net->m->ws_closes[by][gx_wsclose_slot(code)]++;
}

/* The socket is gone: the layer above unhooks its record, then the transport lets go. */
static void conn_closed(gx_conn *c)
{
    gx_net *net = c->net;
    count_close(c);
    net->ops->ws_closed(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        net->all = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
    c->wsi = NULL;
    gx_conn_unref(c);
}

/* One complete text frame from the client, for the layer above. */
static void on_frame(gx_conn *c, const char *data, size_t len)
{
    c->net->m->frames_in++;
    c->net->ops->ws_frame(c, data, len);
}

/* lws writes this close frame (lws_close_reason, then -1): noted for count_close. */
static int refuse(gx_conn *c, struct lws *wsi, int code, const char *why)
{
    lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)why, strlen(why));
    c->close_code = code;
    c->close_sent = true;
    return -1;
}

/* Collects fragments; returns -1 to close the connection. */
static int on_receive(gx_conn *c, struct lws *wsi, const char *in, size_t len)
{
    if (c->close_sent) /* closing: what the peer still sends is not read */
        return 0;
    if (lws_frame_is_binary(wsi))
        return refuse(c, wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                      "binary frames are not accepted");
    if (c->rxlen + len > GX_FRAME_MAX)
        return refuse(c, wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "frame over 64 KiB");
    bool final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
    if (final && c->rxlen == 0) { /* the common case: one whole frame, no copy */
        on_frame(c, in, len);
        return 0;
    }
    if (c->rxlen + len > c->rxcap) {
        size_t ncap = c->rxcap ? c->rxcap : 1024;
        while (ncap < c->rxlen + len)
            ncap *= 2;
        char *n = realloc(c->rx, ncap);
        if (!n)
            return -1;
        c->rx = n;
        c->rxcap = ncap;
    }
    memcpy(c->rx + c->rxlen, in, len);
    c->rxlen += len;
    if (final) {
        on_frame(c, c->rx, c->rxlen);
        /* freed at once: most sockets sit idle after a hello bigger than lws's 256-byte
         * piece, and a buffer kept for each would cost 1 KiB per idle socket */
        free(c->rx);
        c->rx = NULL;
        c->rxlen = c->rxcap = 0;
    }
    return 0;
}

/* Writes one queued frame; returns -1 to close. */
static int on_writeable(gx_conn *c, struct lws *wsi)
{
    if (c->close_sent)
        return 0;
    if (c->close_code && (c->close_now || c->qlen == 0)) {
        /* lws 4.1 drops the TCP connection without a close frame when a writeable callback
         * returns -1 after lws_close_reason, so the frame is written here by hand. Then the
         * socket stays open (reading and discarding) until the peer answers or 3 s pass:
         * closing at once would reset a peer still sending, and lose the close code. */
        unsigned char frame[LWS_PRE + 2 + sizeof(c->close_reason)];
        size_t n = strlen(c->close_reason);
        frame[LWS_PRE] = (unsigned char)(c->close_code >> 8);
        frame[LWS_PRE + 1] = (unsigned char)(c->close_code & 0xff);
        memcpy(frame + LWS_PRE + 2, c->close_reason, n);
        if (lws_write(wsi, frame + LWS_PRE, n + 2, (enum lws_write_protocol)4 /* CLOSE */) < 0)
            return -1;
        c->close_sent = true;
        lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_ACK, 3);
        return 0;
    }
    if (c->ping_due && !lws_partial_buffered(wsi)) {
        /* a payload: lws 4.1 peers answer an empty ping with nothing the server sees */
        unsigned char frame[LWS_PRE + 4] = {0};
        c->ping_due = false;
        if (lws_write(wsi, frame + LWS_PRE, 4, LWS_WRITE_PING) < 0)
            return -1;
        if (c->qlen)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (gx_flush_conn(c) < 0)
        return -1;
    if (c->qlen || c->close_code)
        lws_callback_on_writable(wsi);
    return 0;
}

/* A peer's close payload is empty, or a code RFC 6455 lets an endpoint send (7.4), then
 * a reason: one byte, or a reserved code, is a protocol error (lws 4.1 echoes them). */
static bool close_payload_ok(const unsigned char *p, size_t len)
{
    if (len == 0)
        return true;
    if (len < 2)
        return false;
    unsigned code = (unsigned)p[0] << 8 | p[1];
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

/* The code of a valid close payload; 1005 (RFC 6455's "no status") when it has none. */
static int peer_code(const unsigned char *p, size_t len)
{
    return len >= 2 ? (int)((unsigned)p[0] << 8 | p[1]) : 1005;
}

/* Answers a bad close with 1002 (written by hand, as lws would echo the peer's) and hangs up. */
static int close_protocol_error(gx_conn *c, struct lws *wsi)
{
    if (c) {
        c->close_code = 1002;
        c->close_sent = true;
    }
    static const char why[] = "bad close payload";
    unsigned char frame[LWS_PRE + 2 + sizeof(why)];
    frame[LWS_PRE] = 1002 >> 8;
    frame[LWS_PRE + 1] = 1002 & 0xff;
    memcpy(frame + LWS_PRE + 2, why, sizeof(why) - 1);
    lws_write(wsi, frame + LWS_PRE, 2 + sizeof(why) - 1, (enum lws_write_protocol)4 /* CLOSE */);
    return -1;
}

int gx_ws_callback(struct lws *wsi, int reason, void *user, void *in, size_t len)
{
    gx_pss *pss = user;
    gx_net *net = lws_context_user(lws_get_context(wsi));
    /* lws calls without session data for connections that never got any (a CLOSED_HTTP of
     * a socket gone mid-request): nothing of ours to touch, for WebSocket or HTTP */
    if (!pss)
        return lws_callback_http_dummy(wsi, (enum lws_callback_reasons)reason, pss, in, len);
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        if (net->stopping)
            return -1;
        pss->c = net->ops->ws_open(net, wsi);
        return pss->c ? 0 : -1;
    case LWS_CALLBACK_RECEIVE_PONG:
        if (pss->c)
            pss->c->rx_ms = gx_now_ms();
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (!pss->c)
            return -1;
        pss->c->rx_ms = gx_now_ms();
        return on_receive(pss->c, wsi, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return pss->c ? on_writeable(pss->c, wsi) : 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        /* the peer acknowledges the close frame we wrote by hand: lws does not know we sent
         * one and would echo a second close, which browsers fail as 1006; just hang up */
        if (pss->c && pss->c->close_sent)
            return -1;
        if (!close_payload_ok(in, len))
            return close_protocol_error(pss->c, wsi);
        if (pss->c) /* lws echoes it and hangs up */
            pss->c->peer_close = peer_code(in, len);
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (pss->c)
            conn_closed(pss->c);
        pss->c = NULL;
        return 0;
    default:
        return gx_http_callback(wsi, reason, pss, in, len);
    }
}
