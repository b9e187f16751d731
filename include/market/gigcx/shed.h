/* Shedding: closing some of this node's WebSocket sockets with 1001 in batches over a window,
 * so their clients reconnect through the balancer (leastconn) to the least loaded node, for
 * instance one that just rejoined (POST /api/v1/admin/shed, SIGUSR2). The drain's second
 * half is the same with every socket (main.c). Clients resume by protocol; nothing here
 * moves state: it only chooses and closes sockets. */
#ifndef GIGCX_SHED_H
#define GIGCX_SHED_H

#include <stdbool.h>
#include "gigcx/server.h"

#define GX_SHED_TICK_MS 100       /* one batch per tick */
#define GX_SHED_WINDOW_S 5        /* the default window: half the default drain */
#define GX_SHED_SIGNAL_SHARE 0.25 /* what SIGUSR2 sheds */

typedef enum {
    GX_SHED_LOAD, /* counted in gigcx_shed_sockets_total; refused while one runs or draining */
    GX_SHED_DRAIN /* shutting down: replaces any shed in progress */
} gx_shed_why;

/* Sockets that could be shed now: open and not already closing. */
int gx_shed_candidates(const gx_server *srv);

/* How many sockets share (in (0, 1]) of the candidates is, rounded up: any share of a
 * node that has sockets is at least one. */
int gx_shed_count(const gx_server *srv, double share);

/* Starts closing count sockets (at most every candidate) over window_ms, spread over the
 * roles in proportion to their sockets, and sparing, until the last batch, sockets with a
 * claim or a hello in flight. Returns how many it will close (0: none to close), or
 * GX_ECONFLICT for a GX_SHED_LOAD while another shed runs or the node drains, or
 * GX_EINTERNAL when out of memory. */
int gx_shed_start(gx_server *srv, int count, int window_ms, gx_shed_why why);

/* Sockets the shed in progress has yet to close (0 when none runs). */
int gx_shed_left(const gx_server *srv);

/* Stops any shed and releases its timer (shutdown: before the loop runs dry). Safe when no
 * shed ever ran. */
void gx_shed_free(gx_server *srv);

#endif
