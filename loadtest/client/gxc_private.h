/* gxclient's insides, shared by its two framings: lws's WebSocket client (gx_client.c) and
 * its own RFC 6455 framing on lws raw sockets (gx_client_raw.c). Not for users. */
#ifndef GXC_PRIVATE_H
#define GXC_PRIVATE_H

#include <libwebsockets.h>
#include "gigcx/client.h"

/* One queued write. lws framing: a frame's payload. Own framing: bytes ready for the wire
 * (the upgrade request, or a masked frame with its header). */
typedef struct gxc_frame {
    struct gxc_frame *next;
    size_t len;
    bool binary;
    unsigned char data[]; /* LWS_PRE headroom, then len bytes */
} gxc_frame;

struct gxc_conn {
    gxc_ctx *ctx;    /* borrowed */
    struct lws *wsi; /* borrowed; NULL when closed */
    gxc_callbacks cb;
    void *user;
    gxc_frame *head, *tail; /* owned send queue */
    int queued;
    char *rx; /* owned reassembly buffer of a fragmented message */
    size_t rxlen, rxcap;
    int close_code;
    bool open, closing, ended;
    /* own framing only */
    gxc_frame *hs; /* owned: the upgrade request, until written */
    char *in;      /* owned: bytes of an unfinished handshake answer or frame */
    size_t inlen, incap;
    char key[25];          /* Sec-WebSocket-Key */
    bool fragmented;       /* a message's first fragment came, its last did not */
    bool close_echo;       /* the server closed: echo its close frame, then drop the TCP */
    gxc_conn *next, *prev; /* in ctx->all */
};

struct gxc_ctx {
    struct lws_context *lws;
    gxc_conn *all;
    bool own_framing;
    uint64_t rng; /* xorshift state for keys and masks */
};

/* Ends c once: on_close(code), then frees it. */
void gxc__end_conn(gxc_conn *c, int code);
/* Appends n bytes at in to the growable buffer *buf (*len used of *cap); -1 when out of
 * memory, the buffer then unchanged. */
int gxc__append(char **buf, size_t *len, size_t *cap, const void *in, size_t n);
/* A queue entry with room for len bytes after LWS_PRE; NULL when out of memory. */
gxc_frame *gxc__frame_new(size_t len);
/* Takes the oldest entry off c's send queue; NULL when it is empty. */
gxc_frame *gxc__dequeue(gxc_conn *c);
/* Appends f to c's send queue and asks for a write when c is open. */
void gxc__queue(gxc_conn *c, gxc_frame *f);

/* Own framing: the raw protocol's callback, what gxc_connect adds to a connection, and
 * the frame gxc_send queues (NULL when out of memory). */
int gxc__raw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len);
int gxc__raw_prepare(gxc_conn *c, const gxc_target *t);
gxc_frame *gxc__raw_frame(gxc_ctx *ctx, int opcode, const void *data, size_t len);

#endif
