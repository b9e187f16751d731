/* One WebSocket connection's transport half: the lws socket, the outgoing queue of shared
 * frames, the close handshake, frame reassembly and liveness. The marketplace embeds a gx_conn
 * as the first member of its session. A connection outlives its socket while references are
 * held (Redis replies in flight): wsi is NULL once the socket is gone, and nothing is sent. */
#ifndef GIGCX_CONN_H
#define GIGCX_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "gigcx/buf.h"
#include "gigcx/net.h"

#define GX_EARLY_MAX 32 /* frames a connection holds back while not yet greeted */

struct gx_conn {
    int refs;
    struct lws *wsi; /* borrowed; NULL once the socket closed */
    gx_net *net;     /* borrowed */
    gx_conn *next;   /* in net->all while the socket is open */
    gx_conn *prev;
    bool greeted; /* the layer above finished the opening exchange (hello) */

    /* outgoing queue: a ring of shared frames */
    gx_buf **q; /* owned refs */
    unsigned qhead, qlen, qcap;
    bool dirty;      /* listed in net->dirty: frames wait for the end of the iteration */
    int close_code;  /* nonzero: close with it once the queue is flushed */
    bool close_now;  /* close without flushing */
    bool close_sent; /* the close frame is out; waiting for the peer's */
    char close_reason[64];
    int peer_close; /* code of the peer's close frame (1005: it had none); 0: none came first */
    bool hung_up;   /* the server dropped the socket without a close frame: silent too long */

    /* incoming frame reassembly */
    char *rx; /* owned */
    size_t rxlen, rxcap;

    /* frames held back until the layer above replays them (gx_conn_hold) */
    gx_buf **early; /* owned */
    int nearly;

    /* liveness, checked by gx_conn_sweep once a second (no per-socket lws timers: lws keeps
     * those in one sorted list, so each costs a walk of every other socket) */
    int64_t born_ms, rx_ms, ping_ms;
    bool ping_due; /* a ping waits for the writable callback */
};

/* Sets up c (zeroed by the caller) for the socket wsi, with one reference, and lists it. */
void gx_conn_init(gx_conn *c, gx_net *net, struct lws *wsi);

/* Takes and drops references; the last unref frees the transport's parts, then calls the
 * ops' conn_free. */
gx_conn *gx_conn_ref(gx_conn *c);
void gx_conn_unref(gx_conn *c);

/* True while the socket is open and may be sent to. */
static inline bool gx_conn_live(const gx_conn *c)
{
    return c->wsi && !c->close_now;
}

/* Queues a shared frame (takes its own reference). A connection that falls too far behind is
 * closed (1013) rather than let its queue grow. No-op on a dead connection. */
void gx_conn_send(gx_conn *c, gx_buf *b);
/* Encodes and queues j, adding "ref" when ref is not NULL. Does not steal j. */
void gx_conn_send_json(gx_conn *c, json_t *j, const char *ref);
/* Closes with code once queued frames are out (flush) or at once. */
void gx_conn_close(gx_conn *c, int code, const char *reason, bool flush);

/* Keeps a frame that came too early (before greeted) for gx_conn_replay: -1 when
 * GX_EARLY_MAX are held already or out of memory (the frame is not kept). */
int gx_conn_hold(gx_conn *c, const char *data, size_t len);
/* Hands the frames held back to the ops' ws_frame, in order, while the socket stays open. */
void gx_conn_replay(gx_conn *c);

/* Writes queued frames, several in one go; -1 when the write failed (flush.c). */
int gx_flush_conn(gx_conn *c);

#endif
