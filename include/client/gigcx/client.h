/* gxclient: a small WebSocket client on libwebsockets and a libuv loop, for the integration
 * tests and the load tester. One context serves many connections; each connection queues
 * outgoing frames (copied once, with LWS_PRE headroom) and writes one per writeable
 * callback. Received frames are reassembled and handed over whole. A context frames either
 * with lws's WebSocket client or by itself on lws raw sockets (cheaper to receive). */
#ifndef GIGCX_CLIENT_H
#define GIGCX_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct gxc_ctx gxc_ctx;
typedef struct gxc_conn gxc_conn;

typedef struct {
    void (*on_open)(gxc_conn *c, void *user);
    /* One whole text frame (not NUL-terminated). */
    void (*on_text)(gxc_conn *c, const char *text, size_t len, void *user);
    /* Called once when the connection ends: code is the server's close code, 1006 when the
     * TCP connection ended without one, or -1 when it never connected. c is freed after. */
    void (*on_close)(gxc_conn *c, int code, void *user);
} gxc_callbacks;

typedef struct {
    const char *host; /* "127.0.0.1" */
    int port;
    const char *path;      /* "/ws" */
    const char *protocol;  /* "gigcx.v1"; NULL offers no subprotocol */
    const char *source_ip; /* NULL, or a local address to bind (spreading over 127.0.0.x) */
    const char *origin;    /* NULL, or an Origin header */
} gxc_target;

/* A client context on loop (borrowed). own_framing: connections are lws raw sockets that
 * gxclient frames itself (RFC 6455, client side), reading a frame in one pass where lws
 * 4.1's client parser makes a call per byte; else lws's WebSocket client. Callbacks are
 * the same either way. NULL on failure. */
gxc_ctx *gxc_ctx_new(uv_loop_t *loop, bool own_framing);
/* Closes every connection (on_close is called for each) and starts tearing the context
 * down; the loop must then run until lws has closed its handles, and gxc_ctx_finalize
 * frees what is left (lws on a foreign loop finishes its destroy only on a second call).
 * Both accept NULL. */
void gxc_ctx_free(gxc_ctx *ctx);
void gxc_ctx_finalize(gxc_ctx *ctx);

/* Starts connecting; callbacks come from the loop. NULL only when out of memory or the
 * context is gone (no callback then). */
gxc_conn *gxc_connect(gxc_ctx *ctx, const gxc_target *t, const gxc_callbacks *cb, void *user);

/* Queues a text (or binary) frame of any size. 0, or -1 when the connection is not open. */
int gxc_send(gxc_conn *c, const char *text, size_t len);
int gxc_send_binary(gxc_conn *c, const void *data, size_t len);

/* Starts a normal close (1000). */
void gxc_close(gxc_conn *c);
/* Stops (or resumes) reading from the connection: a peer that hangs, as the server sees
 * it (no frames, no pongs). */
void gxc_pause(gxc_conn *c, bool paused);
/* Starts a normal close of every connection; returns how many are still open or opening.
 * Run the loop until it returns 0 before gxc_ctx_free for a clean teardown. */
int gxc_close_all(gxc_ctx *ctx);
/* Drops the TCP connection at once, with no close frame: a network loss as the server sees it. */
void gxc_drop(gxc_conn *c);

bool gxc_is_open(const gxc_conn *c);
void *gxc_user(const gxc_conn *c);

#endif
