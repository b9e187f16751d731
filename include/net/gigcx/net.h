/* The transport: WebSocket connections and HTTP requests on one lws context, written at the
 * end of each loop iteration. It knows frames and requests, never what they mean: the layers
 * above plug in through gx_net_ops (the marketplace opens and frees connections, the API
 * layer dispatches frames and routes requests). */
#ifndef GIGCX_NET_H
#define GIGCX_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "gigcx/config.h"
#include "gigcx/metrics.h"

struct lws;
struct gx_http_req;
typedef struct gx_net gx_net;
typedef struct gx_conn gx_conn;
typedef struct gx_flusher gx_flusher;

/* What the layers above do with connections and requests. Every hook is required. */
typedef struct {
    /* A WebSocket opened: the caller's record embedding a gx_conn set up by gx_conn_init, or
     * NULL to refuse the socket. */
    gx_conn *(*ws_open)(gx_net *net, struct lws *wsi);
    /* One whole text frame from the client. */
    void (*ws_frame)(gx_conn *c, const char *data, size_t len);
    /* The socket is gone; the transport drops its reference right after. */
    void (*ws_closed)(gx_conn *c);
    /* The last reference went: free the record (the transport freed its own parts). */
    void (*conn_free)(gx_conn *c);
    /* A complete HTTP request to answer (gx_http_reply_*), now or later. */
    void (*http_route)(struct gx_http_req *r);
} gx_net_ops;

/* A growable array of connections, each held with a reference where noted. */
typedef struct {
    gx_conn **v;
    int n, cap;
} gx_cvec;

struct gx_net {
    const gx_net_ops *ops; /* borrowed */
    void *app;             /* borrowed: the state of the layers above (gx_server) */
    const gx_config *cfg;  /* borrowed */
    gx_metrics *m;         /* borrowed */
    int64_t hello_ms;      /* a WebSocket not greeted within this is closed with 4408 */
    bool stopping;         /* no new sockets or requests */
    gx_conn *all;          /* every open connection, linked through next/prev */
    gx_cvec dirty;         /* connections with frames queued this iteration (a reference each) */
    gx_flusher *flusher;   /* owned (flush.c): the iteration's writes, staged */
    unsigned char *wbuf;   /* owned: where several frames are put together for one write */
    size_t wcap;
    char (*peer_ip)[48]; /* owned: by socket, the client a PROXY header named (peers.c) */
    int peer_cap;
};

/* With --proxy-protocol: the client's address the balancer's header named for socket fd
 * ("" = none named: the socket's own peer), kept until the next socket with that number. */
void gx_net_set_peer(gx_net *net, int fd, const char *ip);
/* That address, or NULL when none was set for fd. */
const char *gx_net_peer(const gx_net *net, int fd);

/* push returns 0 or -1 (no memory). */
int gx_conn_vec_push(gx_cvec *v, gx_conn *c);
void gx_conn_vec_free(gx_cvec *v);

/* Writes the frames connections queued during this loop iteration (the app calls it when the
 * loop is done with its callbacks and before it waits again). */
void gx_flush_all(gx_net *net);
/* Sets up the flushing above; batched: hand the sockets' writes of one iteration to the
 * kernel together through io_uring, when the kernel lets us (gx_flush_batched says),
 * with up to helpers threads sharing big batches. -1 when out of memory. */
int gx_flush_start(gx_net *net, bool batched, unsigned helpers);
bool gx_flush_batched(const gx_net *net);
/* Frees the flusher and the write buffer (at exit, after the last flush). */
void gx_flush_free(gx_net *net);

/* Once a second: closes sockets not greeted within hello_ms (4408), pings those quiet for a
 * heartbeat, and drops those silent for three. */
void gx_conn_sweep(gx_net *net);

/* The lws protocol callback of the gigcx.v1 protocol (WebSocket and HTTP); the lws context's
 * user pointer is the gx_net. */
int gx_ws_callback(struct lws *wsi, int reason, void *user, void *in, size_t len);

#endif
