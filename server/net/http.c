/* HTTP request plumbing for the dynamic routes: collect headers and body, hand the request
 * to the router, and write the reply when it is ready (possibly after Redis answered).
 * It knows no routes; http_api.c does. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/error.h"
#include "gigcx/http.h"

#define GX_BODY_MAX (64 * 1024)

gx_http_req *gx_http_ref(gx_http_req *r)
{
    r->refs++;
    return r;
}

typedef struct {
    lws_sorted_usec_list_t sul;
    gx_http_req *r; /* borrowed: the request frees this first */
} gx_defer;

void gx_http_unref(gx_http_req *r)
{
    if (!r || --r->refs > 0)
        return;
    if (r->defer) {
        lws_sul_cancel(&((gx_defer *)r->defer)->sul);
        free(r->defer);
    }
    free(r->body);
    free(r->resp);
    json_decref(r->arg);
    free(r);
}

/* Idempotency-Key: kept only when it is 1..128 visible ASCII characters. */
static void copy_idem(struct lws *wsi, gx_http_req *r)
{
    static const char name[] = "idempotency-key:";
    int len = lws_hdr_custom_length(wsi, name, (int)sizeof(name) - 1);
    if (len < 0)
        return;
    r->idem_bad =
        len < 1 || len >= (int)sizeof(r->idem) ||
        lws_hdr_custom_copy(wsi, r->idem, (int)sizeof(r->idem), name, (int)sizeof(name) - 1) != len;
    for (int i = 0; !r->idem_bad && i < len; i++)
        r->idem_bad = r->idem[i] < 0x21 || r->idem[i] > 0x7e;
    if (r->idem_bad)
        r->idem[0] = '\0';
}

static int method_of(struct lws *wsi)
{
    static const struct {
        enum lws_token_indexes tok;
        int method;
    } methods[] = {{WSI_TOKEN_GET_URI, GX_HTTP_GET},    {WSI_TOKEN_POST_URI, GX_HTTP_POST},
                   {WSI_TOKEN_PUT_URI, GX_HTTP_PUT},    {WSI_TOKEN_OPTIONS_URI, GX_HTTP_OPTIONS},
                   {WSI_TOKEN_HEAD_URI, GX_HTTP_HEAD},  {WSI_TOKEN_DELETE_URI, GX_HTTP_DELETE},
                   {WSI_TOKEN_PATCH_URI, GX_HTTP_PATCH}};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (lws_hdr_total_length(wsi, methods[i].tok))
            return methods[i].method;
    return GX_HTTP_OTHER;
}

static void copy_path(struct lws *wsi, gx_http_req *r)
{
    static const enum lws_token_indexes toks[] = {
        WSI_TOKEN_GET_URI,    WSI_TOKEN_POST_URI,    WSI_TOKEN_PUT_URI, WSI_TOKEN_PATCH_URI,
        WSI_TOKEN_DELETE_URI, WSI_TOKEN_OPTIONS_URI, WSI_TOKEN_HEAD_URI};
    for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++)
        if (lws_hdr_total_length(wsi, toks[i]) > 0) {
            if (lws_hdr_copy(wsi, r->path, sizeof(r->path), toks[i]) < 0)
                r->path[0] = '\0';
            return;
        }
}

/* lws ends the request-line URI at a decoded CR or LF ("%0A") and reads the rest of the line
 * as a header, so "/brands/a%0Ab" would reach us as "/brands/a". Such a line has lost its
 * HTTP version: a request without one is refused instead of routed with a cut path. Other
 * decoded control characters are refused too: no route or id has them. */
static bool request_line_whole(struct lws *wsi, const gx_http_req *r)
{
    char v[16];
    if (lws_hdr_copy(wsi, v, sizeof(v), WSI_TOKEN_HTTP) <= 0 ||
        (strcmp(v, "HTTP/1.1") != 0 && strcmp(v, "HTTP/1.0") != 0))
        return false;
    for (const char *c = r->path; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

static gx_http_req *req_new(struct lws *wsi, gx_net *net)
{
    gx_http_req *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->refs = 1;
    r->wsi = wsi;
    r->net = net;
    r->method = method_of(wsi);
    copy_path(wsi, r);
    /* a value too long for bearer fails lws_hdr_copy, so it is never silently cut */
    char auth[sizeof(r->bearer) + 7];
    if (lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) > 7 &&
        strncasecmp(auth, "Bearer ", 7) == 0)
        memcpy(r->bearer, auth + 7, strlen(auth + 7) + 1);
    if (lws_hdr_copy(wsi, r->origin, sizeof(r->origin), WSI_TOKEN_ORIGIN) < 0)
        r->origin[0] = '\0';
    copy_idem(wsi, r);
    char arg[32];
    /* lws returns a pointer past "name=" inside arg */
    const char *rot = lws_get_urlarg_by_name(wsi, "rotate=", arg, sizeof(arg));
    r->rotate = rot && (strcmp(rot, "1") == 0 || strcmp(rot, "true") == 0);
    net->m->http_requests++;
    return r;
}

/* The announced body length: 0 without Content-Length, -1 when the value is not a plain
 * decimal number of at most 18 digits (lws itself would read atoll of anything). */
static long long content_length(struct lws *wsi)
{
    char cl[32];
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
        return 0;
    int n = lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (n <= 0 || n > 18)
        return -1;
    for (int i = 0; i < n; i++)
        if (cl[i] < '0' || cl[i] > '9')
            return -1;
    return atoll(cl);
}

static void append_body(gx_http_req *r, const void *in, size_t len)
{
    if (!in || !len)
        return;
    if (r->too_big || r->blen + len > GX_BODY_MAX) {
        r->too_big = true;
        return;
    }
    if (r->blen + len + 1 > r->bcap) {
        size_t ncap = r->bcap ? r->bcap * 2 : 1024;
        while (ncap < r->blen + len + 1)
            ncap *= 2;
        char *n = realloc(r->body, ncap);
        if (!n) {
            r->too_big = true;
            return;
        }
        r->body = n;
        r->bcap = ncap;
    }
    memcpy(r->body + r->blen, in, len);
    r->blen += len;
    r->body[r->blen] = '\0';
}

/* Hands a complete request to the router. The connection reads nothing more until the
 * reply is written (send_now): a pipelined request waits, unparsed, in lws's buffer. The
 * extra reference keeps r valid for the router after a reply made (and sent) at once. */
static void route(gx_http_req *r)
{
    if (r->wsi)
        lws_rx_flow_control(r->wsi, 0);
    gx_http_ref(r);
    if (r->too_big)
        gx_http_reply_json(r, 413,
                           json_pack("{s:{s:s, s:s}}", "error", "code", "bad_request", "message",
                                     "body over 65536 bytes"));
    else if (r->net->stopping)
        gx_http_error(r, GX_EUNAVAIL, "server shutting down");
    else
        r->net->ops->http_route(r);
    gx_http_unref(r);
}

/* Answers a request whose framing is broken at once, and hangs up after: what follows its
 * headers cannot be told apart from a next request. */
static void refuse_framing(gx_http_req *r, int status, const char *msg)
{
    r->close_after = true;
    if (r->wsi)
        lws_rx_flow_control(r->wsi, 0);
    gx_http_ref(r);
    gx_http_reply_json(r, status,
                       json_pack("{s:{s:s, s:s}}", "error", "code", "bad_request", "message", msg));
    gx_http_unref(r);
}

static void send_soon(gx_http_req *r);

static void set_reply(gx_http_req *r, int status, const char *ctype, char *body, size_t len)
{
    if (r->replied) {
        free(body);
        return;
    }
    r->replied = true;
    r->status = status;
    r->ctype = ctype;
    r->resp = body;
    r->resplen = len;
    send_soon(r);
}

void gx_http_reply_json(gx_http_req *r, int status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : strdup("");
    json_decref(j);
    set_reply(r, status, "application/json", text, text ? strlen(text) : 0);
}

void gx_http_reply_text(gx_http_req *r, int status, const char *ctype, const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, text, len);
        copy[len] = '\0';
    }
    set_reply(r, status, ctype, copy, copy ? len : 0);
}

void gx_http_error(gx_http_req *r, int err, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (-err > 0 && -err < 10)
        r->net->m->errors[-err]++;
    gx_http_reply_json(
        r, gx_error_http_status(err),
        json_pack("{s:{s:s, s:s}}", "error", "code", gx_error_code(err), "message", msg));
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

static int write_headers(struct lws *wsi, const gx_http_req *r, unsigned char **p,
                         unsigned char *end)
{
    if (lws_add_http_common_headers(wsi, (unsigned int)r->status, r->ctype, r->resplen, p, end) ||
        add_header(wsi, "cache-control:", "no-store", p, end))
        return -1;
    if (r->close_after && add_header(wsi, "connection:", "close", p, end))
        return -1;
    if (r->allow_origin[0] &&
        (add_header(wsi, "access-control-allow-origin:", r->allow_origin, p, end) ||
         add_header(wsi, "vary:", "Origin", p, end)))
        return -1;
    static const char *const cors[][2] = {
        {"access-control-allow-methods:", "POST, OPTIONS"},
        {"access-control-allow-headers:", "content-type"},
        {"access-control-max-age:", "600"},
    };
    for (size_t i = 0; r->preflight && i < sizeof(cors) / sizeof(cors[0]); i++)
        if (add_header(wsi, cors[i][0], cors[i][1], p, end))
            return -1;
    return 0;
}

/* Whether lws holds input read past this request: a pipelined request. lws 4.1 parses a
 * pipelined request's body from the wrong place (it reads its buffered input from the start
 * again), so such a connection gets this reply with "Connection: close" and ends. lws has no
 * call for one connection's buffered input; lws_service_adjust_timeout() answers 0 when any
 * connection free to read has some, so it is asked with this one free to read for a moment.
 * Another connection's buffered input then reads as ours: this one closes needlessly. */
static bool input_pending(struct lws *wsi)
{
    lws_rx_flow_control(wsi, 1);
    bool pending = lws_service_adjust_timeout(lws_get_context(wsi), 1, 0) == 0;
    lws_rx_flow_control(wsi, 0);
    return pending;
}

/* Writes the reply; HEAD gets the GET reply's headers only. -1: the connection must close. */
static int write_reply(struct lws *wsi, gx_http_req *r)
{
    if (!r->close_after && input_pending(wsi))
        r->close_after = true;
    unsigned char hdr[LWS_PRE + 2048], *start = hdr + LWS_PRE, *p = start,
                                       *end = hdr + sizeof(hdr) - 1;
    if (write_headers(wsi, r, &p, end) || lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    if (r->resplen && r->method != GX_HTTP_HEAD) {
        unsigned char *buf = malloc(LWS_PRE + r->resplen);
        if (!buf)
            return -1;
        memcpy(buf + LWS_PRE, r->resp, r->resplen);
        int n = lws_write(wsi, buf + LWS_PRE, r->resplen, LWS_WRITE_HTTP_FINAL);
        free(buf);
        if (n < 0)
            return -1;
    }
    if (r->close_after)
        return -1;
    /* a reply still partly in lws's hands: reading the next request now would let lws parse
     * it over this transaction, so this connection ends once the reply is out */
    if (lws_partial_buffered(wsi))
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* The connection whose lws callback is running, and one that callback must close. */
static struct lws *cb_wsi, *hangup;

/* Writes the connection's current request's reply as soon as it is made, rather than on a
 * writable callback: lws 4.1 withholds those while reading is paused, and resuming reading
 * first would let a pipelined request be parsed over the unanswered one. Then reading
 * resumes (the next request is parsed) or the connection closes: inside its own callback by
 * returning -1 (lws would cancel a time-out set there), outside any at once (lws's zero
 * time-out waits for its next timer). Reading stays paused before a close unless the reply
 * must still flush. */
static void send_now(gx_http_req *r)
{
    struct lws *wsi = r->wsi;
    gx_pss *pss = wsi ? lws_wsi_user(wsi) : NULL;
    if (!pss || pss->req != r)
        return; /* its connection is gone */
    pss->req = NULL;
    r->wsi = NULL;
    int rc = write_reply(wsi, r);
    gx_http_unref(r);
    if (!rc || lws_partial_buffered(wsi))
        lws_rx_flow_control(wsi, 1);
    if (rc && wsi == cb_wsi)
        hangup = wsi;
    else if (rc)
        lws_set_timeout(wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
                        cb_wsi ? LWS_TO_KILL_ASYNC : LWS_TO_KILL_SYNC);
}

static void on_defer(lws_sorted_usec_list_t *sul)
{
    send_now(((gx_defer *)sul)->r);
}

/* A reply made inside lws's callback for its own connection goes out just after it: until
 * lws has put aside the input it read past this request, input_pending cannot see it. */
static void send_soon(gx_http_req *r)
{
    if (!r->wsi || r->wsi != cb_wsi || r->close_after) {
        send_now(r);
        return;
    }
    gx_defer *d = r->defer ? r->defer : calloc(1, sizeof(*d));
    if (!d) {
        send_now(r);
        return;
    }
    d->r = r;
    r->defer = d;
    lws_sul_schedule(lws_get_context(r->wsi), 0, &d->sul, on_defer, 1);
}

/* Lets go of the connection's request: its reply, if one still comes, goes nowhere. */
static void drop_req(gx_pss *pss)
{
    if (!pss->req)
        return;
    pss->req->wsi = NULL;
    gx_http_unref(pss->req);
    pss->req = NULL;
}

/* A new request on the connection: refuse broken framing, else route it now or once its
 * body is in. */
static int on_request(struct lws *wsi, gx_net *net, gx_pss *pss)
{
    drop_req(pss); /* keep-alive: the previous transaction is over */
    gx_http_req *r = req_new(wsi, net);
    if (!r)
        return -1;
    pss->req = r;
    long long clen = content_length(wsi);
    if (!request_line_whole(wsi, r))
        refuse_framing(r, 400, "malformed request line");
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        refuse_framing(r, 411, "chunked bodies are not accepted: send Content-Length");
    else if (clen < 0)
        refuse_framing(r, 400, "Content-Length must be a decimal number");
    else if (clen == 0)
        route(r);
    return 0;
}

/* The WebSocket lives at /ws only: an upgrade elsewhere gets 404, and lws hangs up when
 * this returns non-zero. */
static int filter_upgrade(struct lws *wsi, gx_net *net, gx_pss *pss)
{
    char path[8];
    if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) > 0 && strcmp(path, "/ws") == 0)
        return 0;
    drop_req(pss);
    gx_http_req *r = req_new(wsi, net);
    if (!r)
        return -1;
    pss->req = r;
    r->close_after = true;
    gx_http_ref(r);
    gx_http_error(r, GX_ENOTFOUND, "WebSocket upgrades are served at /ws only");
    gx_http_unref(r);
    return -1;
}

static int dispatch(struct lws *wsi, int reason, gx_pss *pss, void *in, size_t len)
{
    gx_net *net = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_request(wsi, net, pss);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return filter_upgrade(wsi, net, pss);
    case LWS_CALLBACK_HTTP_BODY:
        if (pss->req)
            append_body(pss->req, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (pss->req && !pss->req->replied)
            route(pss->req);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE: /* replies are written by send_now */
        return 0;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        /* lws frees pss after this, without CLOSED_HTTP when a connection ends mid-request */
        drop_req(pss);
        return 0;
    case LWS_CALLBACK_CLOSED_HTTP:
        drop_req(pss);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, (enum lws_callback_reasons)reason, pss, in, len);
    }
}

int gx_http_callback(struct lws *wsi, int reason, gx_pss *pss, void *in, size_t len)
{
    struct lws *outer = cb_wsi;
    cb_wsi = wsi;
    int rc = dispatch(wsi, reason, pss, in, len);
    cb_wsi = outer;
    if (hangup == wsi) {
        hangup = NULL;
        rc = -1;
    }
    return rc;
}

bool gx_http_query(gx_http_req *r, const char *name, char *out, size_t cap)
{
    char buf[256]; /* lws copies "name=value" here and points past the '=' */
    const char *v = r->wsi ? lws_get_urlarg_by_name(r->wsi, name, buf, sizeof(buf)) : NULL;
    if (!v || strlen(v) >= cap)
        return false;
    snprintf(out, cap, "%s", v);
    return true;
}

bool gx_http_query_int(gx_http_req *r, const char *name, long min, long max, long def, long *out)
{
    char v[16];
    if (!gx_http_query(r, name, v, sizeof(v))) {
        *out = def;
        return true;
    }
    size_t n = strspn(v, "0123456789");
    if (n == 0 || n > 9 || v[n])
        return false;
    *out = atol(v);
    return *out >= min && *out <= max;
}

void gx_http_client_ip(gx_http_req *r, char *out, size_t cap)
{
    char peer[64] = "", xff[512] = "";
    if (r->wsi) {
        const char *named = gx_net_peer(r->net, lws_get_socket_fd(r->wsi));
        if (named && named[0]) /* --proxy-protocol: the balancer said who */
            snprintf(peer, sizeof(peer), "%s", named);
        else
            lws_get_peer_simple(r->wsi, peer, sizeof(peer));
        if (lws_hdr_copy(r->wsi, xff, sizeof(xff), WSI_TOKEN_X_FORWARDED_FOR) < 0)
            xff[0] = '\0'; /* too long to believe */
    }
    gx_xff_client(&r->net->cfg->trusted, peer, xff, out, cap);
}
