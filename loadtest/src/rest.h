/* The load tester's HTTP client for gigcxd's REST API: blocking calls for setup, and calls
 * queued to a few worker threads (answers come back on the loop) during the run, so the loop
 * never waits on HTTP. Keep-alive, one connection per caller. Loopback-grade: plain HTTP. */
#ifndef GXLT_REST_H
#define GXLT_REST_H

#include <stdint.h>
#include <uv.h>

typedef struct gxlt_rest gxlt_rest;

/* status is the HTTP status (-1 when the request failed); body is the response text
 * (NUL-terminated, may be empty), valid during the call. Runs on the loop thread. */
typedef void (*gxlt_rest_cb)(int status, const char *body, void *priv);

#define GXLT_REST_WORKERS_MAX 64

/* A client for host:port whose answers run on loop, with workers (1..64) threads and
 * connections for the async calls. NULL on failure. */
gxlt_rest *gxlt_rest_new(uv_loop_t *loop, const char *host, int port, int workers);
/* Stops the worker (queued calls are answered with -1) and frees. Accepts NULL. */
void gxlt_rest_free(gxlt_rest *r);

/* A blocking call from the loop thread before the run (or any thread but the worker).
 * Returns the status (-1 on failure); *out gets a malloc'd body when out is not NULL. */
int gxlt_rest_call(gxlt_rest *r, const char *method, const char *path, const char *bearer,
                   const char *body, char **out);
/* Queues a call; cb runs on the loop once it is answered. body is copied. */
void gxlt_rest_async(gxlt_rest *r, const char *method, const char *path, const char *bearer,
                     const char *body, gxlt_rest_cb cb, void *priv);
/* The same, and *sent_us (monotonic us, as gxlt_now_us) is set when a worker sends the
 * request, before cb runs: time spent queued in the tester is not the server's. */
void gxlt_rest_async_stamped(gxlt_rest *r, const char *method, const char *path, const char *bearer,
                             const char *body, gxlt_rest_cb cb, void *priv, uint64_t *sent_us);
/* Calls queued or in flight. */
int gxlt_rest_pending(const gxlt_rest *r);

#endif
