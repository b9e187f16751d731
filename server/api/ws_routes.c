/* The WebSocket route table: what each frame type does and who may send it, the first
 * frame's hello, and flood control per socket and per user. The transport (net/ws.c) hands
 * every whole frame to gx_ws_routes_frame. */
#include <stdlib.h>
#include <string.h>
#include "gigcx/canned.h"
#include "gigcx/chat.h"
#include "gigcx/decline.h"
#include "gigcx/error.h"
#include "gigcx/claim.h"
#include "gigcx/hello.h"
#include "gigcx/presence.h"
#include "gigcx/queue_info.h"
#include "gigcx/tasks.h"
#include "gigcx/jr.h"
#include "gigcx/request.h"
#include "gigcx/session.h"
#include "gigcx/supervise.h"
#include "gigcx/userlim.h"
#include "gigcx/util.h"
#include "gigcx/work.h"
#include "gigcx/ws_routes.h"

#define GX_STRIKES_MAX 20         /* rate-limited frames within a window before a 1008 close */
#define GX_STRIKE_WINDOW_MS 10000 /* so a client that backs off is never closed for old bursts */

/* The socket's and the user's token buckets (sustained rate, bursts of twice that): false
 * (and an error, or a close for repeat offenders) when either is empty. */
static bool rate_ok(gx_session *s, const char *ref)
{
    int64_t now = gx_now_ms();
    const gx_config *cfg = s->srv->cfg;
    double ur = gx_userlim_rate(cfg->ws_rate, cfg->user_rate);
    if (gx_bucket_take(&s->flood, cfg->ws_rate, 2.0 * cfg->ws_rate, now) &&
        (!s->user_flood || gx_userlim_take(s->user_flood, ur, now)))
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
    gx_tasks_on_transition(s, m, ref, "release");
}
static void on_resolve(gx_session *s, json_t *m, const char *ref)
{
    gx_tasks_on_transition(s, m, ref, "resolve");
}
static void on_escalate(gx_session *s, json_t *m, const char *ref)
{
    gx_tasks_on_transition(s, m, ref, "escalate");
}
static void on_cancel(gx_session *s, json_t *m, const char *ref)
{
    gx_tasks_on_transition(s, m, ref, "cancel");
}

#define R_EXPERT (1 << GX_ROLE_EXPERT)
#define R_CUSTOMER (1 << GX_ROLE_CUSTOMER)
#define R_STAFF (1 << GX_ROLE_STAFF)

/* ping (an extension, docs/protocol.md): a client checking its own connection gets a pong,
 * without any storage touched. */
static void on_ping(gx_session *s, json_t *m, const char *ref)
{
    (void)m;
    json_t *j = json_pack("{s:s, s:I}", "type", "pong", "ts", (json_int_t)gx_now_ms());
    gx_session_send_json(s, j, ref);
    json_decref(j);
}

static const struct {
    const char *type;
    gx_handler fn;
    int roles;
} routes[] = {
    {"presence.set", gx_presence_on_set, R_EXPERT | R_STAFF},
    {"task.claim", gx_claim_on_request, R_EXPERT | R_STAFF},
    {"offer.decline", gx_decline_on_request, R_EXPERT},
    {"queue.get", gx_queue_info_on_get, R_EXPERT},
    {"task.release", on_release, R_EXPERT | R_STAFF},
    {"task.resolve", on_resolve, R_EXPERT | R_STAFF},
    {"task.escalate", on_escalate, R_EXPERT},
    {"task.open", gx_tasks_on_open, R_CUSTOMER},
    {"task.cancel", on_cancel, R_CUSTOMER | R_EXPERT | R_STAFF},
    {"task.rate", gx_tasks_on_rate, R_CUSTOMER},
    {"chat.send", gx_chat_on_send, R_EXPERT | R_CUSTOMER | R_STAFF},
    {"chat.typing", gx_chat_on_typing, R_EXPERT | R_CUSTOMER | R_STAFF},
    {"chat.history", gx_chat_on_history, R_EXPERT | R_CUSTOMER | R_STAFF},
    {"ping", on_ping, R_EXPERT | R_CUSTOMER | R_STAFF},
    {"canned.list", gx_canned_on_list, R_EXPERT | R_STAFF},
    {"canned.save", gx_canned_on_save, R_EXPERT | R_STAFF},
    {"canned.delete", gx_canned_on_delete, R_EXPERT | R_STAFF},
    {"live.list", gx_supervise_on_list, R_STAFF},
    {"chat.watch", gx_supervise_on_watch, R_STAFF},
    {"chat.unwatch", gx_supervise_on_unwatch, R_STAFF},
    {"chat.whisper", gx_whisper_on_request, R_STAFF},
    {"chat.notes", gx_whisper_on_notes, R_EXPERT | R_STAFF},
    {"task.takeover", gx_takeover_on_request, R_STAFF},
    {"task.reassign", gx_reassign_on_request, R_STAFF},
    {"work.list", gx_work_on_list, R_EXPERT | R_STAFF},
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
                             gx_jwt_role_name(s->who.role));
            return;
        }
        routes[i].fn(s, msg, ref);
        return;
    }
    gx_session_error(s, GX_EBADREQ, ref, "unknown type '%.64s'", type);
}

/* hello, then the user's flood limit over its sockets here, once its token says who it is */
static void hello(gx_session *s, json_t *msg, const char *ref)
{
    gx_hello_on_request(s, msg, ref);
    if (s->state != GX_SS_AUTHING || s->user_flood)
        return;
    double burst = 2.0 * gx_userlim_rate(s->srv->cfg->ws_rate, s->srv->cfg->user_rate);
    s->user_flood = gx_userlim_attach(&s->srv->limits, s->who.uid, burst, gx_now_ms());
}

void gx_ws_routes_frame(gx_conn *c, const char *data, size_t len)
{
    gx_session *s = gx_session_of(c);
    json_error_t jerr;
    json_t *msg = gx_jr_flat(data, len); /* the usual flat frame, read fast (jr.h) */
    if (!msg)
        msg = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *type = NULL, *ref = NULL;
    char why[160];
    bool ok = msg && gx_validate_frame(msg, &type, &ref, why, sizeof(why));
    if (s->state == GX_SS_NEW) {
        if (!ok || strcmp(type, "hello") != 0)
            reject_unauthenticated(s, msg ? "the first frame must be hello" : "malformed JSON");
        else if (rate_ok(s, ref))
            hello(s, msg, ref);
    } else if (s->state == GX_SS_AUTHING) {
        /* a client may send requests right behind hello: kept until welcome is out */
        if (gx_conn_hold(c, data, len))
            gx_session_error(s, GX_EUNAVAIL, ref, "still authenticating; wait for welcome");
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
