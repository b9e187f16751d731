/* HTTP on the WebSocket port: request collection and replies for the dynamic routes
 * (health, metrics, REST API). Static files are served by an lws mount, not here.
 * A request object outlives its connection while Redis replies for it are in flight.
 * One request per connection is in flight at a time: reading stops when a request is
 * complete and resumes once its reply is written, so pipelined requests are answered in
 * order. */
#ifndef GIGCX_HTTP_H
#define GIGCX_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "gigcx/net.h"

struct lws;

/* HEAD is routed as GET; its reply has the GET reply's headers and no body. */
enum {
    GX_HTTP_GET = 1,
    GX_HTTP_POST,
    GX_HTTP_PUT,
    GX_HTTP_OPTIONS,
    GX_HTTP_HEAD,
    GX_HTTP_DELETE,
    GX_HTTP_PATCH,
    GX_HTTP_OTHER
};

typedef struct gx_http_req {
    int refs;
    struct lws *wsi; /* borrowed; NULL once the connection closed */
    gx_net *net;     /* borrowed */
    int method;
    char path[256];
    char bearer[512]; /* Authorization: Bearer value, "" when absent */
    char origin[256];
    char idem[129]; /* Idempotency-Key, "" when absent */
    bool idem_bad;  /* present but not 1..128 visible ASCII characters */
    bool rotate;    /* ?rotate=1 */
    char *body;     /* owned */
    size_t blen, bcap;
    bool too_big;
    bool close_after; /* framing we cannot trust (chunked, bad Content-Length): hang up after */
    void *defer;      /* owned (http.c): a reply made inside lws's callback, sent just after */
    /* the reply, once made */
    bool replied;
    int status;
    char *resp; /* owned */
    size_t resplen;
    const char *ctype;
    char allow_origin[256];
    bool preflight; /* an OPTIONS reply: add the CORS method and header allowances */
    /* handler scratch */
    char brand[65];
    bool as_admin; /* the admin key stood in for a brand key */
    char id[65];
    json_t *arg;                         /* owned parsed body */
    void (*next)(struct gx_http_req *r); /* continuation after an async auth check */
    const void *ctx;                     /* borrowed: what a handler's chain of steps shares */
} gx_http_req;

/* Per-connection lws user data of the gigcx.v1 protocol (WebSocket and HTTP share it). */
typedef struct {
    gx_conn *c;
    gx_http_req *req;
} gx_pss;

/* The HTTP part of the protocol callback; pss is never NULL (gx_ws_callback sees to it). */
int gx_http_callback(struct lws *wsi, int reason, gx_pss *pss, void *in, size_t len);

gx_http_req *gx_http_ref(gx_http_req *r);
void gx_http_unref(gx_http_req *r);

/* Replies with status and body j (stolen; NULL for no body). Only the first reply counts. */
void gx_http_reply_json(gx_http_req *r, int status, json_t *j);
/* Replies with raw text of the given content type (copied). */
void gx_http_reply_text(gx_http_req *r, int status, const char *ctype, const char *text,
                        size_t len);
/* Replies {"error":{"code","message"}} with the status that fits err. */
void gx_http_error(gx_http_req *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The client's address: the peer's, or behind a trusted proxy its X-Forwarded-For's. */
void gx_http_client_ip(gx_http_req *r, char *out, size_t cap);
/* The value of query argument name ("limit=", with its '=') copied into out; false when
 * absent, too long for cap, or the connection is gone. */
bool gx_http_query(gx_http_req *r, const char *name, char *out, size_t cap);
/* A query integer: def when absent, else digits only (no sign, space or trailing text)
 * within min..max; false when present and not that. */
bool gx_http_query_int(gx_http_req *r, const char *name, long min, long max, long def, long *out);

#endif
