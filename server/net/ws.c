/* The gigcx.v1 WebSocket protocol callback: frame limits, the send queue's writer, the
 * hello deadline, flood control and dispatch to the handlers. HTTP reasons are passed to
 * http.c. It holds no business rules: those live in the handlers. */
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/jr.h"
#include "gigcx/chat.h"
#include "gigcx/decline.h"
#include "gigcx/error.h"
#include "gigcx/handlers.h"
#include "gigcx/http.h"
#include "gigcx/request.h"
#include "gigcx/session.h"
#include "gigcx/userlim.h"
#include "gigcx/util.h"
#include "gigcx/wsclose.h"

#define GX_FRAME_MAX (64 * 1024)
#define GX_STRIKES_MAX 20         /* rate-limited frames within a window before a 1008 close */
#define GX_STRIKE_WINDOW_MS 10000 /* so a client that backs off is never closed for old bursts */
#define GX_EARLY_MAX 32           /* frames kept while hello is being answered */

static gx_session *session_new(gx_server *srv, struct lws *wsi)
{
    gx_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->refs = 1;
    s->wsi = wsi;
    s->srv = srv;
    s->serial = ++srv->serial;
    snprintf(s->origin, sizeof(s->origin), "%s/%llu", srv->cfg->node_id,
             (unsigned long long)s->serial);
    s->born_ms = s->rx_ms = s->ping_ms = gx_now_ms();
    gx_bucket_init(&s->flood, 2.0 * srv->cfg->ws_rate, s->born_ms);
    s->next = srv->all;
    if (srv->all)
        srv->all->prev = s;
    srv->all = s;
    srv->m.conns[0]++;
    return s;
}

/* Counts how the socket ended: whoever sent the first close frame, with its code. Without
 * one it is the server's doing when it gave up on a silent peer or was closing the socket
 * anyway; else the peer's (EOF, a reset, a write that failed on one). */
static void count_close(gx_session *s)
{
    int by = GX_WSCLOSE_BY_PEER, code = s->peer_close;
    if (s->close_sent || (!s->peer_close && (s->hung_up || s->close_code))) {
        by = GX_WSCLOSE_BY_SERVER;
        code = s->close_sent ? s->close_code : 0;
    }
    s->srv->m.ws_closes[by][gx_wsclose_slot(code)]++;
}

/* The socket is gone: unhook the session from every index; in-flight replies keep it. */
static void session_closed(gx_session *s)
{
    gx_server *srv = s->srv;
    count_close(s);
    srv->m.conns[s->state >= GX_SS_AUTHING ? s->who.role : 0]--;
    gx_session_unlist_available(s);
    while (s->njoins)
        gx_session_leave(s, s->joins[0].task);
    if (s->user_flood)
        gx_userlim_detach(&srv->limits, s->who.uid);
    if (s->who.uid[0] && gx_map_get(&srv->users, s->who.uid) == s)
        gx_map_del(&srv->users, s->who.uid);
    if (s->prev)
        s->prev->next = s->next;
    else
        srv->all = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->wsi = NULL;
    s->state = GX_SS_CLOSED;
    gx_session_unref(s);
}

/* A user's rate over all its sockets: never below one socket's. */
static double user_rate(const gx_config *cfg)
{
    return cfg->user_rate > cfg->ws_rate ? cfg->user_rate : cfg->ws_rate;
}

/* The socket's and the user's token buckets (sustained rate, bursts of twice that): false
 * (and an error, or a close for repeat offenders) when either is empty. */
static bool rate_ok(gx_session *s, const char *ref)
{
    int64_t now = gx_now_ms();
    const gx_config *cfg = s->srv->cfg;
    double ur = user_rate(cfg);
    if (gx_bucket_take(&s->flood, cfg->ws_rate, 2.0 * cfg->ws_rate, now) &&
        (!s->user_flood || gx_bucket_take(&s->user_flood->b, ur, 2.0 * ur, now)))
        return true;
    if (now - s->strike_ms > GX_STRIKE_WINDOW_MS) {
        s->strike_ms = now;
        s->strikes = 0;
    }
    if (++s->strikes > GX_STRIKES_MAX)
        gx_session_close(s, 1008, "rate limit exceeded repeatedly", true);
    else
        gx_session_error(s, GX_ERATE, ref, "too many requests; slow down");
    return false;
}

typedef void (*gx_handler)(gx_session *s, json_t *msg, const char *ref);

static void on_release(gx_session *s, json_t *m, const char *ref)
{
    gx_on_task_transition(s, m, ref, "release");
}
static void on_resolve(gx_session *s, json_t *m, const char *ref)
{
    gx_on_task_transition(s, m, ref, "resolve");
}
static void on_escalate(gx_session *s, json_t *m, const char *ref)
{
    gx_on_task_transition(s, m, ref, "escalate");
}
static void on_cancel(gx_session *s, json_t *m, const char *ref)
{
    gx_on_task_transition(s, m, ref, "cancel");
}

#define R_EXPERT (1 << GX_ROLE_EXPERT)
#define R_CUSTOMER (1 << GX_ROLE_CUSTOMER)
#define R_STAFF (1 << GX_ROLE_STAFF)

static const struct {
    const char *type;
    gx_handler fn;
    int roles;
} routes[] = {
    {"presence.set", gx_on_presence_set, R_EXPERT | R_STAFF},
    {"task.claim", gx_on_task_claim, R_EXPERT | R_STAFF},
    {"offer.decline", gx_on_offer_decline, R_EXPERT},
    {"queue.get", gx_on_queue_get, R_EXPERT},
    {"task.release", on_release, R_EXPERT | R_STAFF},
    {"task.resolve", on_resolve, R_EXPERT | R_STAFF},
    {"task.escalate", on_escalate, R_EXPERT},
    {"task.open", gx_on_task_open, R_CUSTOMER},
    {"task.cancel", on_cancel, R_CUSTOMER | R_EXPERT | R_STAFF},
    {"task.rate", gx_on_task_rate, R_CUSTOMER},
    {"chat.send", gx_on_chat_send, R_EXPERT | R_CUSTOMER | R_STAFF},
    {"chat.typing", gx_on_chat_typing, R_EXPERT | R_CUSTOMER | R_STAFF},
    {"chat.history", gx_on_chat_history, R_EXPERT | R_CUSTOMER | R_STAFF},
};

static void reject_unauthenticated(gx_session *s, const char *why)
{
    gx_session_error(s, GX_EUNAUTH, NULL, "%s", why);
    gx_session_close(s, 4401, why, true);
}

static void dispatch_ready(gx_session *s, json_t *msg, const char *type, const char *ref)
{
    if (strcmp(type, "hello") == 0) {
        gx_session_error(s, GX_EBADREQ, ref, "already said hello");
        return;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].type, type) != 0)
            continue;
        if (!(routes[i].roles & (1 << s->who.role))) {
            gx_session_error(s, GX_EFORBIDDEN, ref, "%s is not allowed for role %s", type,
                             gx_role_name(s->who.role));
            return;
        }
        routes[i].fn(s, msg, ref);
        return;
    }
    gx_session_error(s, GX_EBADREQ, ref, "unknown type '%.64s'", type);
}

/* A client may send requests right behind hello: keep them until welcome is out. */
static void keep_early(gx_session *s, const char *data, size_t len, const char *ref)
{
    gx_buf **n =
        s->nearly < GX_EARLY_MAX ? realloc(s->early, sizeof(*n) * (size_t)(s->nearly + 1)) : NULL;
    gx_buf *b = n ? gx_buf_new(data, len) : NULL;
    if (n)
        s->early = n;
    if (!b) {
        gx_session_error(s, GX_EUNAVAIL, ref, "still authenticating; wait for welcome");
        return;
    }
    s->early[s->nearly++] = b;
}

static void on_frame(gx_session *s, const char *data, size_t len);

/* hello, then the user's flood limit over its sockets here, once its token says who it is */
static void hello(gx_session *s, json_t *msg, const char *ref)
{
    gx_on_hello(s, msg, ref);
    if (s->state != GX_SS_AUTHING || s->user_flood)
        return;
    double burst = 2.0 * user_rate(s->srv->cfg);
    s->user_flood = gx_userlim_attach(&s->srv->limits, s->who.uid, burst, gx_now_ms());
}

void gx_session_replay_early(gx_session *s)
{
    gx_buf **early = s->early;
    int n = s->nearly;
    s->early = NULL;
    s->nearly = 0;
    for (int i = 0; i < n; i++) {
        if (gx_session_live(s))
            on_frame(s, gx_buf_text(early[i]), early[i]->len);
        gx_buf_unref(early[i]);
    }
    free(early);
}

/* One complete text frame from the client. */
static void on_frame(gx_session *s, const char *data, size_t len)
{
    s->srv->m.frames_in++;
    json_error_t jerr;
    json_t *msg = gx_jr_flat(data, len); /* the usual flat frame, read fast (jr.h) */
    if (!msg)
        msg = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *type = NULL, *ref = NULL;
    char why[160];
    bool ok = msg && gx_check_frame(msg, &type, &ref, why, sizeof(why));
    if (s->state == GX_SS_NEW) {
        if (!ok || strcmp(type, "hello") != 0)
            reject_unauthenticated(s, msg ? "the first frame must be hello" : "malformed JSON");
        else if (rate_ok(s, ref))
            hello(s, msg, ref);
    } else if (s->state == GX_SS_AUTHING) {
        keep_early(s, data, len, ref);
    } else if (!msg) {
        gx_session_error(s, GX_EBADREQ, NULL, "malformed JSON at %d: %s", jerr.position, jerr.text);
    } else if (!ok) {
        /* a bad ref is not echoed back; a good one is, even when type is missing */
        gx_session_error(s, GX_EBADREQ, ref, "%s", why);
    } else if (rate_ok(s, ref)) {
        dispatch_ready(s, msg, type, ref);
    }
    json_decref(msg);
}

/* lws writes this close frame (lws_close_reason, then -1): noted for count_close. */
static int refuse(gx_session *s, struct lws *wsi, int code, const char *why)
{
    lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)why, strlen(why));
    s->close_code = code;
    s->close_sent = true;
    return -1;
}

/* Collects fragments; returns -1 to close the connection. */
static int on_receive(gx_session *s, struct lws *wsi, const char *in, size_t len)
{
    if (s->close_sent) /* closing: what the peer still sends is not read */
        return 0;
    if (lws_frame_is_binary(wsi))
        return refuse(s, wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                      "binary frames are not accepted");
    if (s->rxlen + len > GX_FRAME_MAX)
        return refuse(s, wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "frame over 64 KiB");
    bool final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
    if (final && s->rxlen == 0) { /* the common case: one whole frame, no copy */
        on_frame(s, in, len);
        return 0;
    }
    if (s->rxlen + len > s->rxcap) {
        size_t ncap = s->rxcap ? s->rxcap : 1024;
        while (ncap < s->rxlen + len)
            ncap *= 2;
        char *n = realloc(s->rx, ncap);
        if (!n)
            return -1;
        s->rx = n;
        s->rxcap = ncap;
    }
    memcpy(s->rx + s->rxlen, in, len);
    s->rxlen += len;
    if (final) {
        on_frame(s, s->rx, s->rxlen);
        /* freed at once: most sockets sit idle after a hello bigger than lws's 256-byte
         * piece, and a buffer kept for each would cost 1 KiB per idle socket */
        free(s->rx);
        s->rx = NULL;
        s->rxlen = s->rxcap = 0;
    }
    return 0;
}

/* Writes one queued frame; returns -1 to close. */
static int on_writeable(gx_session *s, struct lws *wsi)
{
    if (s->close_sent)
        return 0;
    if (s->close_code && (s->close_now || s->qlen == 0)) {
        /* lws 4.1 drops the TCP connection without a close frame when a writeable callback
         * returns -1 after lws_close_reason, so the frame is written here by hand. Then the
         * socket stays open (reading and discarding) until the peer answers or 3 s pass:
         * closing at once would reset a peer still sending, and lose the close code. */
        unsigned char frame[LWS_PRE + 2 + sizeof(s->close_reason)];
        size_t n = strlen(s->close_reason);
        frame[LWS_PRE] = (unsigned char)(s->close_code >> 8);
        frame[LWS_PRE + 1] = (unsigned char)(s->close_code & 0xff);
        memcpy(frame + LWS_PRE + 2, s->close_reason, n);
        if (lws_write(wsi, frame + LWS_PRE, n + 2, (enum lws_write_protocol)4 /* CLOSE */) < 0)
            return -1;
        s->close_sent = true;
        lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_ACK, 3);
        return 0;
    }
    if (s->ping_due && !lws_partial_buffered(wsi)) {
        /* a payload: lws 4.1 peers answer an empty ping with nothing the server sees */
        unsigned char frame[LWS_PRE + 4] = {0};
        s->ping_due = false;
        if (lws_write(wsi, frame + LWS_PRE, 4, LWS_WRITE_PING) < 0)
            return -1;
        if (s->qlen)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (gx_session_write_queue(s) < 0)
        return -1;
    if (s->qlen || s->close_code)
        lws_callback_on_writable(wsi);
    return 0;
}

/* A peer's close payload is empty, or a code RFC 6455 lets an endpoint send (7.4), then
 * a reason: one byte, or a reserved code, is a protocol error (lws 4.1 echoes them). */
static bool close_payload_ok(const unsigned char *p, size_t len)
{
    if (len == 0)
        return true;
    if (len < 2)
        return false;
    unsigned code = (unsigned)p[0] << 8 | p[1];
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

/* The code of a valid close payload; 1005 (RFC 6455's "no status") when it has none. */
static int peer_code(const unsigned char *p, size_t len)
{
    return len >= 2 ? (int)((unsigned)p[0] << 8 | p[1]) : 1005;
}

/* Answers a bad close with 1002 (written by hand, as lws would echo the peer's) and hangs up. */
static int close_protocol_error(gx_session *s, struct lws *wsi)
{
    if (s) {
        s->close_code = 1002;
        s->close_sent = true;
    }
    static const char why[] = "bad close payload";
    unsigned char frame[LWS_PRE + 2 + sizeof(why)];
    frame[LWS_PRE] = 1002 >> 8;
    frame[LWS_PRE + 1] = 1002 & 0xff;
    memcpy(frame + LWS_PRE + 2, why, sizeof(why) - 1);
    lws_write(wsi, frame + LWS_PRE, 2 + sizeof(why) - 1, (enum lws_write_protocol)4 /* CLOSE */);
    return -1;
}

int gx_ws_callback(struct lws *wsi, int reason, void *user, void *in, size_t len)
{
    gx_pss *pss = user;
    gx_server *srv = lws_context_user(lws_get_context(wsi));
    /* lws calls without session data for connections that never got any (a CLOSED_HTTP of
     * a socket gone mid-request): nothing of ours to touch, for WebSocket or HTTP */
    if (!pss)
        return lws_callback_http_dummy(wsi, (enum lws_callback_reasons)reason, pss, in, len);
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        if (srv->stopping)
            return -1;
        pss->s = session_new(srv, wsi);
        return pss->s ? 0 : -1;
    case LWS_CALLBACK_RECEIVE_PONG:
        if (pss->s)
            pss->s->rx_ms = gx_now_ms();
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (!pss->s)
            return -1;
        pss->s->rx_ms = gx_now_ms();
        return on_receive(pss->s, wsi, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return pss->s ? on_writeable(pss->s, wsi) : 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        /* the peer acknowledges the close frame we wrote by hand: lws does not know we sent
         * one and would echo a second close, which browsers fail as 1006; just hang up */
        if (pss->s && pss->s->close_sent)
            return -1;
        if (!close_payload_ok(in, len))
            return close_protocol_error(pss->s, wsi);
        if (pss->s) /* lws echoes it and hangs up */
            pss->s->peer_close = peer_code(in, len);
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (pss->s)
            session_closed(pss->s);
        pss->s = NULL;
        return 0;
    default:
        return gx_http_callback(wsi, reason, pss, in, len);
    }
}
