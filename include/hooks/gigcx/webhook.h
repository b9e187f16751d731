/* Webhooks: task events POSTed, signed, to each brand's webhook_url from a durable outbox in
 * Redis. At least once: an event leaves the outbox after a 2xx, or after --webhook-max-age of
 * failed attempts (then it is logged as failed). A node leases the events it delivers; if it
 * dies, any node takes them again when the lease ends. Every attempt goes to the brand's
 * delivery log. Emitting never blocks and never fails the caller's request. */
#ifndef GIGCX_WEBHOOK_H
#define GIGCX_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "gigcx/keys.h"
#include "gigcx/server.h"

typedef struct gx_webhook gx_webhook;

#define GX_HOOK_LOG_MAX 200                /* attempts kept per brand */
#define GX_HOOK_INFLIGHT_MAX 32            /* deliveries one node runs at once */
#define GX_HOOK_RETRY_CAP_MS (3600 * 1000) /* the longest wait between two attempts */
#define GX_HOOK_SIG_MAX 96                 /* "t=<secs>,v1=<64 hex>" and its NUL */

/* Starts delivering (a poll every 200 ms) on the server's lws context. Returns 0, or -1 when
 * lws cannot make the client vhost (the server then runs without webhooks). */
int gx_webhook_start(gx_server *srv);
/* Stops polling and drops deliveries in flight (their events stay leased and are delivered
 * again later). Call before the lws context is destroyed. Accepts a server never started. */
void gx_webhook_stop(gx_server *srv);
/* Frees the module once the loop has run dry. Accepts a server never started. */
void gx_webhook_free(gx_server *srv);

/* Looks for due events now instead of at the next poll (after an event was recorded). */
void gx_webhook_kick(gx_server *srv);

/* The Gigcx-Signature header value for body sent at unix time t: "t=<t>,v1=<hex of
 * HMAC-SHA256(secret, "<t>.<body>")>", written to out (GX_HOOK_SIG_MAX bytes). */
void gx_webhook_signature(const char *secret, long long t, const char *body, size_t len,
                          char out[GX_HOOK_SIG_MAX]);
/* How long to wait after failed attempt number attempt (1-based): min_ms doubled per earlier
 * attempt, at most GX_HOOK_RETRY_CAP_MS. */
int64_t gx_webhook_backoff_ms(int64_t min_ms, int attempt);

#endif
