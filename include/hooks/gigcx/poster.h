/* One webhook POST on the server's loop through the lws HTTP client: the host is resolved off
 * the loop (libuv's thread pool), then lws connects (TLS for https), sends the headers and the
 * body, reads the status line and hangs up. It never follows a redirect and never reads the
 * response body; lws bounds the response headers. Every POST ends within its time-out. */
#ifndef GIGCX_WEBHOOK_POST_H
#define GIGCX_WEBHOOK_POST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct sockaddr;
struct lws_context;

#define GX_URL_HOST_MAX 253

/* The parts of an http(s) URL that a POST needs. */
typedef struct {
    bool tls;
    char host[GX_URL_HOST_MAX + 1]; /* a name, an IPv4 address or a bare IPv6 address */
    int port;
    char hosthdr[GX_URL_HOST_MAX + 10]; /* Host: value, with the port when not the default */
    char path[512];                     /* path and query, "/" at least */
} gx_url;

/* Parses an http:// or https:// URL (no user info, no fragment). Returns 0, or -1 for
 * anything else, including a host or path too long for the fields above. */
int gx_poster_url_parse(const char *url, gx_url *out);

/* Whether an address is one a webhook must not reach unless the operator allows it:
 * unspecified, loopback, link-local, private (RFC 1918, unique local, shared 100.64/10),
 * multicast or reserved, IPv4-mapped ones included. */
bool gx_poster_addr_private(const struct sockaddr *sa);
/* Whether a URL host names such an address without a lookup: "localhost" (and names under
 * it) or an IP literal in any form getaddrinfo reads ("127.1", "0x7f.0.0.1", "[::1]"). */
bool gx_poster_host_private(const char *host);

/* How one POST ended: the HTTP status when one came (error NULL), else status 0 and why. */
typedef struct {
    int status;
    const char *error; /* borrowed for the callback's duration */
    int64_t ms;        /* from the start to the end */
} gx_post_result;

/* Called exactly once per accepted POST, from the loop; never from inside gx_poster_send. */
typedef void (*gx_post_cb)(const gx_post_result *res, void *priv);

typedef struct gx_poster gx_poster;

/* A client on ctx (borrowed) with its own vhost, whose POSTs each end within timeout_ms.
 * NULL when lws cannot make the vhost. */
gx_poster *gx_poster_new(struct lws_context *ctx, uv_loop_t *loop, int timeout_ms);

/* Lets POSTs reach the addresses gx_poster_addr_private names (off by default: the resolved address
 * of every POST is checked, so a public name pointing at 127.0.0.1 fails the attempt). */
void gx_poster_allow_private(gx_poster *p, bool allow);

/* Starts a POST of body (copied) to url with headers, a NULL-terminated list of name, value
 * pairs (copied; names without the colon). Returns 0 (cb will be called), or -1 for a URL
 * gx_poster_url_parse refuses or no memory (cb will not). */
int gx_poster_send(gx_poster *p, const char *url, const char *const *headers, const char *body,
                   size_t len, gx_post_cb cb, void *priv);

/* POSTs started and not yet ended. */
int gx_poster_inflight(const gx_poster *p);

/* Ends every POST past its time-out ("timeout"). Call it often (every few hundred ms). */
void gx_poster_sweep(gx_poster *p);

/* Ends every POST in flight ("server shutting down"; their connections are closed) and frees
 * the client. Call before the lws context is destroyed. Accepts NULL. */
void gx_poster_free(gx_poster *p);

#endif
