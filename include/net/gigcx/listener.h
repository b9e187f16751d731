/* The listening socket (listener.c), owned here rather than by lws: each accepted socket is
 * handed to lws (lws_adopt_socket_vhost). Owning it lets gigcxd stop accepting: for a
 * moment when out of descriptors (lws 4.1's own listener spins on EMFILE, logging every
 * turn), and for good when draining. */
#ifndef GIGCX_LISTENER_H
#define GIGCX_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct lws_vhost;
struct gx_net;
typedef struct gx_listener gx_listener;

/* Binds host:port (port 0: any) and listens; NULL with a reason in err. Accepting starts
 * with gx_listener_accept. */
gx_listener *gx_listener_open(uv_loop_t *loop, const char *host, int port, char *err,
                              size_t errlen);
/* Starts handing accepted sockets to vh; each pause for want of descriptors adds one to
 * *pauses, each failed accept() one to errors[gx_accept_errno_slot(errno)] (accept_errno.h;
 * GX_ACCEPT_ERRNO_SLOTS entries). Either may be NULL. */
void gx_listener_accept(gx_listener *l, struct lws_vhost *vh, uint64_t *pauses, uint64_t *errors);
/* --proxy-protocol: each accepted socket must first send a PROXY header (v1 or v2, within
 * 5 s, from a peer in net->cfg->trusted when that lists any); the client it names is noted
 * with gx_net_set_peer, and lws gets the bytes after it. Else the socket is closed. */
void gx_listener_proxied(gx_listener *l, struct gx_net *net);
int gx_listener_port(const gx_listener *l);
/* Stops accepting and closes the socket (drain, exit); l is freed once closed. */
void gx_listener_close(gx_listener *l);

#endif
