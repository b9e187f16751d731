/* Webhook delivery: every 200 ms (and right after an event is recorded) this node leases the
 * due events of the outbox, up to GX_HOOK_INFLIGHT_MAX at a time, reads each brand's URL and
 * signing secret, POSTs the stored body signed anew, and settles the attempt: delivered, due
 * again after a backoff, or given up past --webhook-max-age. The outbox, not this process,
 * holds the truth: a lease that is never settled simply runs out and the event is taken again.
 * Recording events is market/outbox.c; the HTTP client is poster.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/keys.h"
#include "gigcx/redis.h"
#include "gigcx/request.h"
#include "gigcx/util.h"
#include "gigcx/due.h"
#include "gigcx/webhook.h"
#include "gigcx/poster.h"

#define GX_HOOK_POLL_MS 200          /* the most often a node looks for due events (due.h) */
#define GX_HOOK_LEASE_SLACK_MS 20000 /* a lease outlives the POST's time-out by this much */

struct gx_webhook {
    gx_server *srv;    /* borrowed */
    gx_poster *poster; /* owned */
    uv_timer_t timer;
    bool claiming; /* one claim in flight at a time */
    bool again;    /* a poll was asked for while claiming */
    bool closed;
    int busy;               /* events leased by this node and not yet settled */
    uint64_t last_sweep_ms; /* loop time of the last time-out sweep and gauge read */
};

/* One leased event on its way out. */
typedef struct {
    gx_webhook *wh; /* borrowed */
    char id[48], brand[65], type[40], task[65];
    char *body; /* owned */
    size_t len;
    long long created, lease_until;
    int attempt;
    int status;    /* HTTP status, 0 when none */
    char err[128]; /* why there is no 2xx, "" when there is */
    int64_t ms;
    bool no_url; /* the brand has no webhook_url any more: give up at once */
} gx_hook_ev;

static void poll_due(gx_webhook *wh);
static void on_next_due(redisReply *r, void *priv);

/* ---- pure helpers ---- */

void gx_webhook_signature(const char *secret, long long t, const char *body, size_t len,
                          char out[GX_HOOK_SIG_MAX])
{
    char ts[24];
    int tl = snprintf(ts, sizeof(ts), "%lld.", t);
    unsigned char mac[32];
    char hex[65];
    char *msg = malloc((size_t)tl + len);
    if (!msg) {
        snprintf(out, GX_HOOK_SIG_MAX,
                 "t=%lld,v1=", t); /* an unverifiable signature, never a crash */
        return;
    }
    memcpy(msg, ts, (size_t)tl);
    memcpy(msg + tl, body, len);
    gx_crypto_hmac_sha256(secret, strlen(secret), msg, (size_t)tl + len, mac);
    free(msg);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    snprintf(out, GX_HOOK_SIG_MAX, "t=%lld,v1=%s", t, hex);
}

int64_t gx_webhook_backoff_ms(int64_t min_ms, int attempt)
{
    int64_t d = min_ms > 0 ? min_ms : 1;
    for (int i = 1; i < attempt && d < GX_HOOK_RETRY_CAP_MS; i++)
        d *= 2;
    return d < GX_HOOK_RETRY_CAP_MS ? d : GX_HOOK_RETRY_CAP_MS;
}

/* ---- settling an attempt ---- */

static void ev_free(gx_hook_ev *ev)
{
    free(ev->body);
    free(ev);
}

/* The event is off this node's hands (settled, or left to its lease): room for the next. */
static void release(gx_hook_ev *ev)
{
    gx_webhook *wh = ev->wh;
    wh->busy--;
    wh->srv->m.hooks_inflight = wh->busy;
    ev_free(ev);
    poll_due(wh);
}

static void on_settled(redisReply *r, void *priv)
{
    (void)r; /* lost: the lease runs out and the event is tried again, which is allowed */
    release(priv);
}

static char *log_entry(const gx_hook_ev *ev, const char *outcome, long long at, long long next)
{
    json_t *e =
        json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:s}", "event", ev->id, "type", ev->type,
                  "task", ev->task, "attempt", ev->attempt, "status", ev->status, "at",
                  (json_int_t)at, "duration_ms", (json_int_t)ev->ms, "outcome", outcome);
    if (e && ev->err[0])
        json_object_set_new(e, "error", json_string(ev->err));
    if (e && next)
        json_object_set_new(e, "next_at", json_integer(next));
    char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    return s;
}

/* Delivered (2xx), given up (no URL, or the next try would fall past the maximum age), or
 * due again after the backoff; the attempt is logged for the brand either way. */
static void settle(gx_hook_ev *ev)
{
    gx_server *srv = ev->wh->srv;
    long long now = gx_now_ms();
    long long next = now + gx_webhook_backoff_ms(srv->cfg->webhook_retry_min_ms, ev->attempt);
    bool ok = ev->status >= 200 && ev->status < 300;
    bool give_up =
        !ok && (ev->no_url || next > ev->created + (long long)srv->cfg->webhook_max_age_s * 1000);
    if (!ok && !ev->err[0])
        snprintf(ev->err, sizeof(ev->err), "HTTP %d", ev->status);
    srv->m.hooks_delivered += ok;
    srv->m.hooks_failed += !ok;
    srv->m.hooks_given_up += give_up;
    if (give_up)
        lwsl_warn("webhook %s (%s of %s) given up after %d attempts: %s\n", ev->id, ev->type,
                  ev->brand, ev->attempt, ev->err);
    const char *outcome = ok ? "delivered" : give_up ? "failed" : "retrying";
    char *entry = log_entry(ev, outcome, now, ok || give_up ? 0 : next);
    char key[96], logkey[96], nexts[24], cap[16], lease[24];
    snprintf(key, sizeof(key), GX_HOOK_EVENT "%s", ev->id);
    snprintf(logkey, sizeof(logkey), GX_HOOK_LOG "%s", ev->brand);
    snprintf(nexts, sizeof(nexts), "%lld", next);
    snprintf(cap, sizeof(cap), "%d", GX_HOOK_LOG_MAX);
    snprintf(lease, sizeof(lease), "%lld", ev->lease_until);
    const char *argv[] = {
        key,   GX_HOOK_DUE,          logkey, ev->id, ok ? "ok" : give_up ? "giveup" : "retry",
        nexts, entry ? entry : "{}", cap,    lease};
    int rc = gx_redis_script(srv->redis, GX_SCRIPT_HOOK_DONE, on_settled, ev, 3, 9, argv, NULL);
    free(entry);
    if (rc)
        release(ev);
}

/* ---- one attempt ---- */

static void on_posted(const gx_post_result *res, void *priv)
{
    gx_hook_ev *ev = priv;
    ev->status = res->status;
    ev->ms = res->ms;
    gx_metrics_hist_observe(&ev->wh->srv->m.hook_post_time, (double)res->ms / 1000.0);
    if (res->error)
        snprintf(ev->err, sizeof(ev->err), "%s", res->error);
    if (ev->wh->closed) { /* shutting down: the lease will run out and bring it back */
        release(ev);
        return;
    }
    settle(ev);
}

static void post(gx_hook_ev *ev, const char *url, const char *secret)
{
    char sig[GX_HOOK_SIG_MAX], attempt[12];
    gx_webhook_signature(secret, (long long)(gx_now_ms() / 1000), ev->body, ev->len, sig);
    snprintf(attempt, sizeof(attempt), "%d", ev->attempt);
    const char *const headers[] = {"content-type",
                                   "application/json",
                                   "user-agent",
                                   "gigcxd",
                                   "gigcx-event-id",
                                   ev->id,
                                   "gigcx-event-type",
                                   ev->type,
                                   "gigcx-delivery-attempt",
                                   attempt,
                                   "gigcx-signature",
                                   sig,
                                   NULL,
                                   NULL};
    if (gx_poster_send(ev->wh->poster, url, headers, ev->body, ev->len, on_posted, ev) == 0)
        return;
    snprintf(ev->err, sizeof(ev->err), "webhook_url is not a usable http(s) URL");
    settle(ev);
}

/* The brand's URL and secret are read at each attempt: a changed URL or a rotated secret
 * applies to events already waiting. */
static void on_target(redisReply *r, void *priv)
{
    gx_hook_ev *ev = priv;
    const char *url = gx_reply_str(r, 0), *secret = gx_reply_str(r, 1);
    if (!r || r->type != REDIS_REPLY_ARRAY || ev->wh->closed) {
        release(ev); /* Redis went away: the lease brings the event back */
        return;
    }
    if (!url[0]) {
        ev->no_url = true;
        snprintf(ev->err, sizeof(ev->err), "the brand has no webhook_url");
        settle(ev);
    } else if (!secret[0]) {
        snprintf(ev->err, sizeof(ev->err),
                 "the brand has no signing secret: PUT it with ?rotate=1");
        settle(ev);
    } else {
        post(ev, url, secret);
    }
}

static void deliver(gx_webhook *wh, const redisReply *r, size_t i, long long lease_until)
{
    gx_hook_ev *ev = calloc(1, sizeof(*ev));
    const char *body = gx_reply_str(r, i + 4);
    if (ev)
        ev->body = strdup(body);
    if (!ev || !ev->body) {
        free(ev);
        return;
    }
    ev->wh = wh;
    snprintf(ev->id, sizeof(ev->id), "%s", gx_reply_str(r, i));
    snprintf(ev->brand, sizeof(ev->brand), "%s", gx_reply_str(r, i + 1));
    snprintf(ev->type, sizeof(ev->type), "%s", gx_reply_str(r, i + 2));
    snprintf(ev->task, sizeof(ev->task), "%s", gx_reply_str(r, i + 3));
    ev->len = strlen(body);
    ev->created = atoll(gx_reply_str(r, i + 5));
    ev->attempt = atoi(gx_reply_str(r, i + 6));
    ev->lease_until = lease_until;
    wh->busy++;
    wh->srv->m.hooks_inflight = wh->busy;
    if (!gx_id_valid(ev->brand) ||
        gx_redis_cmd(wh->srv->redis, on_target, ev,
                     "HMGET " GX_KEY_BRAND " webhook_url webhook_secret", ev->brand)) {
        wh->busy--; /* left to its lease */
        wh->srv->m.hooks_inflight = wh->busy;
        ev_free(ev);
    }
}

/* ---- leasing due events ---- */

#define GX_CLAIM_FIELDS 7 /* id, brand, type, task, body, created, attempt */

typedef struct {
    gx_webhook *wh;
    long long lease_until;
} gx_claim_ctx;

static void on_claimed(redisReply *r, void *priv)
{
    gx_claim_ctx *c = priv;
    gx_webhook *wh = c->wh;
    wh->claiming = false;
    for (size_t i = 0;
         r && r->type == REDIS_REPLY_ARRAY && !wh->closed && i + GX_CLAIM_FIELDS <= r->elements;
         i += GX_CLAIM_FIELDS)
        deliver(wh, r, i, c->lease_until);
    free(c);
    if (wh->again) {
        wh->again = false;
        poll_due(wh);
    }
}

static void poll_due(gx_webhook *wh)
{
    gx_server *srv = wh->srv;
    int room = GX_HOOK_INFLIGHT_MAX - wh->busy;
    if (wh->closed || srv->net.stopping || !gx_redis_up(srv->redis) || room <= 0)
        return;
    if (wh->claiming) {
        wh->again = true;
        return;
    }
    gx_claim_ctx *c = malloc(sizeof(*c));
    if (!c)
        return;
    long long now = gx_now_ms();
    *c = (gx_claim_ctx){.wh = wh,
                        .lease_until =
                            now + srv->cfg->webhook_timeout_s * 1000LL + GX_HOOK_LEASE_SLACK_MS};
    char nows[24], lease[24], max[12];
    snprintf(nows, sizeof(nows), "%lld", now);
    snprintf(lease, sizeof(lease), "%lld", c->lease_until);
    snprintf(max, sizeof(max), "%d", room);
    const char *argv[] = {GX_HOOK_DUE, nows, lease, max, GX_HOOK_EVENT};
    if (gx_redis_script(srv->redis, GX_SCRIPT_HOOK_CLAIM, on_claimed, c, 1, 5, argv, NULL)) {
        free(c);
        return;
    }
    wh->claiming = true;
    gx_redis_cmd(srv->redis, on_next_due, wh, "ZRANGE " GX_HOOK_DUE " 0 0 WITHSCORES");
}

/* ---- the module ---- */

static void on_depth(redisReply *r, void *priv)
{
    gx_server *srv = priv;
    if (r && r->type == REDIS_REPLY_INTEGER)
        srv->m.hooks_outbox = r->integer;
}

/* Polls when the earliest event falls due, at least once a second (due.h); each second
 * also times out slow POSTs and reads the outbox gauge. */
static void on_timer(uv_timer_t *t)
{
    gx_webhook *wh = t->data;
    uint64_t now = uv_now(wh->srv->loop);
    if (now - wh->last_sweep_ms >= GX_DUE_IDLE_MS) {
        wh->last_sweep_ms = now;
        gx_poster_sweep(wh->poster);
        if (gx_redis_up(wh->srv->redis))
            gx_redis_cmd(wh->srv->redis, on_depth, wh->srv, "ZCARD " GX_HOOK_DUE);
    }
    poll_due(wh);
}

static void on_next_due(redisReply *r, void *priv)
{
    gx_webhook *wh = priv;
    if (r && !wh->closed)
        gx_due_after_poll(&wh->timer, on_timer, r, GX_HOOK_POLL_MS);
}

int gx_webhook_start(gx_server *srv)
{
    gx_webhook *wh = calloc(1, sizeof(*wh));
    if (!wh)
        return -1;
    wh->srv = srv;
    wh->poster = gx_poster_new(srv->ctx, srv->loop, srv->cfg->webhook_timeout_s * 1000);
    if (!wh->poster) {
        free(wh);
        lwsl_err("webhooks: cannot create the client vhost; no webhooks will be sent\n");
        return -1;
    }
    gx_poster_allow_private(wh->poster, srv->cfg->webhook_allow_private);
    uv_timer_init(srv->loop, &wh->timer);
    wh->timer.data = wh;
    uv_timer_start(&wh->timer, on_timer, GX_HOOK_POLL_MS, GX_DUE_IDLE_MS);
    srv->webhook = wh;
    srv->outbox_kick = gx_webhook_kick;
    return 0;
}

void gx_webhook_kick(gx_server *srv)
{
    if (srv->webhook)
        poll_due(srv->webhook);
}

static void on_timer_closed(uv_handle_t *h)
{
    (void)h;
}

void gx_webhook_stop(gx_server *srv)
{
    gx_webhook *wh = srv->webhook;
    if (!wh || wh->closed)
        return;
    wh->closed = true;
    srv->outbox_kick = NULL;
    uv_close((uv_handle_t *)&wh->timer, on_timer_closed);
    gx_poster_free(wh->poster); /* the events in flight stay leased: they come back later */
    wh->poster = NULL;
}

void gx_webhook_free(gx_server *srv)
{
    gx_webhook_stop(srv);
    free(srv->webhook);
    srv->webhook = NULL;
}
