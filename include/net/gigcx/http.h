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
#include "gigcx/jwt.h"
#include "gigcx/server.h"

struct lws;
struct gx_session;

/* HEAD is routed as GET; its reply has the GET reply's headers and no body. */
enum {
    GX_HTTP_GET = 1,
    GX_HTTP_POST,
    GX_HTTP_PUT,
    GX_HTTP_OPTIONS,
    GX_HTTP_HEAD,
    GX_HTTP_DELETE,
    GX_HTTP_OTHER
};

typedef struct gx_http_req {
    int refs;
    struct lws *wsi; /* borrowed; NULL once the connection closed */
    gx_server *srv;  /* borrowed */
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
} gx_http_req;

/* Per-connection lws user data of the gigcx.v1 protocol (WebSocket and HTTP share it). */
typedef struct {
    struct gx_session *s;
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

/* Helpers for route handlers (http_api.c): the admin key's check (constant time); the
 * body as a JSON object (kept in r->arg), or NULL after a 400 naming what is wrong; and
 * fn run once the bearer is known as the admin key (r->as_admin) or a brand's key
 * (r->brand), after a 401 otherwise. */
/* The client's address: the peer's, or behind a trusted proxy its X-Forwarded-For's. */
void gx_http_client_ip(gx_http_req *r, char *out, size_t cap);
bool gx_http_is_admin(const gx_http_req *r);
/* The value of query argument name ("limit=", with its '=') copied into out; false when
 * absent, too long for cap, or the connection is gone. */
bool gx_http_query(gx_http_req *r, const char *name, char *out, size_t cap);
/* A query integer: def when absent, else digits only (no sign, space or trailing text)
 * within min..max; false when present and not that. */
bool gx_http_query_int(gx_http_req *r, const char *name, long min, long max, long def, long *out);
json_t *gx_http_body(gx_http_req *r);
void gx_http_with_brand(gx_http_req *r, void (*fn)(gx_http_req *r));
/* The person a token request names ({sub, role, brand?} in o), as the caller may name
 * them: the admin anyone, a brand its own customers and staff only (its brand filled in).
 * *brand is NULL for experts. false after answering 400 or 403. */
bool gx_http_person(gx_http_req *r, json_t *o, bool admin, const char **sub, gx_role *role,
                    const char **brand);

/* The routes (http_api.c). */
void gx_http_route(gx_http_req *r);
/* Calls fn for every route the server answers: method in lower case ("get") and the path
 * with "{}" where an id goes ("/api/v1/tasks/{}/transcript"). */
void gx_http_each_route(void (*fn)(const char *method, const char *path, void *arg), void *arg);
/* GET /api/v1/tasks?status=&topic=&since=&limit=&cursor= (http_tasks.c). */
void gx_http_list_tasks(gx_http_req *r);
/* POST /api/v1/tokens/revoke, DELETE /api/v1/experts/{id} (http_revoke.c). */
void gx_http_revoke(gx_http_req *r);
void gx_http_delete_expert(gx_http_req *r);
/* GET /api/v1/audit (http_audit.c). */
void gx_http_get_audit(gx_http_req *r);
/* POST /api/v1/admin/shed (http_shed.c): admin only, checked by the router. */
void gx_http_shed(gx_http_req *r);

#endif
