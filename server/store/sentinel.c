/* Following Redis Sentinel (sentinel.h). One link asks SENTINEL get-master-addr-by-name,
 * on one sentinel at a time, moving to the next when it fails or is silent for a second.
 * One more link per sentinel listens: +switch-master names the new primary, +try-failover
 * says one is being replaced, -failover-abort-* that it is not. Every sentinel is heard,
 * because only the one leading a failover announces its start. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/async.h>
#include <libwebsockets.h>
#include "gigcx/logrl.h"
#include "gigcx/redis_uv.h"
#include "gigcx/sentinel.h"

#define GX_SENTINEL_MAX 8
#define GX_SENTINEL_SILENT_MS 1000 /* a sentinel that says nothing this long is passed over */
#define GX_SENTINEL_CHECK_MS 5000  /* asked again even without a switch: one may be missed */
#define GX_SENTINEL_REST_MS 500    /* after every sentinel failed in a row */

typedef struct {
    redisAsyncContext *ac; /* NULL when not connected */
    uv_timer_t timer;      /* the silence time-out, then the retry */
    int at;                /* the sentinel in use */
    int fails;             /* in a row, across sentinels */
    bool busy;             /* ask: a question is out; sub: subscribed */
    bool is_sub;
    struct gx_sentinel *s;
} gx_slink;

struct gx_sentinel {
    uv_loop_t *loop;
    char *host[GX_SENTINEL_MAX];
    int port[GX_SENTINEL_MAX];
    int n;
    char *master;
    char *user, *pass; /* the sentinels' credentials, or NULL */
    gx_slink ask, sub[GX_SENTINEL_MAX];
    uv_timer_t check;
    gx_sentinel_cb cb;
    gx_sentinel_failover_cb on_failover;
    void *priv;
    bool closing;
    int open_handles;
};

static void link_start(gx_slink *l);

static void on_retry(uv_timer_t *t)
{
    link_start(t->data);
}

/* The link's sentinel failed it: the next one is tried, at once unless all failed in a row. */
static void link_fail(gx_slink *l, const char *why)
{
    gx_sentinel *s = l->s;
    if (l->ac) {
        redisAsyncContext *ac = l->ac;
        l->ac = NULL;
        ac->data = NULL;
        redisAsyncFree(ac); /* safe in its own callback: hiredis frees after it returns */
    }
    if (s->closing)
        return;
    GX_LOG_LIMITED(LLL_WARN, "sentinel %s:%d: %s\n", s->host[l->at], s->port[l->at], why);
    if (l->is_sub) { /* a listener stays with its sentinel */
        l->busy = false;
        uv_timer_start(&l->timer, on_retry, GX_SENTINEL_REST_MS, 0);
        return;
    }
    l->at = (l->at + 1) % s->n;
    l->fails++;
    uv_timer_start(&l->timer, on_retry, l->fails % s->n ? 0 : GX_SENTINEL_REST_MS, 0);
}

static void on_silent(uv_timer_t *t)
{
    link_fail(t->data, "no answer");
}

static void on_answer(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)priv;
    gx_slink *l = ac->data;
    redisReply *r = reply;
    if (!l)
        return;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
        link_fail(l, r && r->type == REDIS_REPLY_ERROR ? r->str : "does not know the master");
        return;
    }
    uv_timer_stop(&l->timer);
    l->busy = false;
    l->fails = 0;
    l->s->cb(r->element[0]->str, atoi(r->element[1]->str), l->s->priv);
}

/* +switch-master "<master> <old ip> <old port> <new ip> <new port>"; +try-failover and
 * -failover-abort-* "master <master> <ip> <port>". */
static void on_event(gx_sentinel *s, const char *channel, const char *msg)
{
    char name[128], ip[64], port[8];
    if (strcmp(channel, "+switch-master") == 0) {
        if (sscanf(msg, "%127s %*s %*s %63s %7s", name, ip, port) != 3 || strcmp(name, s->master))
            return;
        lwsl_notice("sentinel: %s switched to %s:%s\n", name, ip, port);
        s->cb(ip, atoi(port), s->priv);
        return;
    }
    if (sscanf(msg, "master %127s", name) != 1 || strcmp(name, s->master))
        return;
    bool starts = strcmp(channel, "+try-failover") == 0;
    lwsl_notice("sentinel: %s: %s\n", channel, msg);
    if (s->on_failover)
        s->on_failover(starts, s->priv);
}

static void on_sub(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)priv;
    gx_slink *l = ac->data;
    redisReply *r = reply;
    if (!l || !r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
        r->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = r->element[0]->str;
    if (strcmp(kind, "subscribe") == 0 || strcmp(kind, "psubscribe") == 0) {
        uv_timer_stop(&l->timer);
        if (!l->busy)
            gx_sentinel_ask(l->s); /* a switch may have come while nobody listened */
        l->busy = true;
    } else if (strcmp(kind, "message") == 0 && r->element[1]->type == REDIS_REPLY_STRING &&
               r->element[2]->type == REDIS_REPLY_STRING) {
        on_event(l->s, r->element[1]->str, r->element[2]->str);
    }
}

/* A pattern message: ["pmessage", pattern, channel, payload]. */
static void on_psub(redisAsyncContext *ac, void *reply, void *priv)
{
    gx_slink *l = ac->data;
    redisReply *r = reply;
    if (l && r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 &&
        r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "pmessage") == 0 &&
        r->element[2]->type == REDIS_REPLY_STRING && r->element[3]->type == REDIS_REPLY_STRING) {
        on_event(l->s, r->element[2]->str, r->element[3]->str);
        return;
    }
    on_sub(ac, reply, priv);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    gx_slink *l = ac->data;
    if (l && status != REDIS_OK) {
        /* hiredis frees a context whose connect failed, answering its command with NULL */
        ((redisAsyncContext *)ac)->data = NULL;
        l->ac = NULL;
        link_fail(l, ac->errstr[0] ? ac->errstr : "connect failed");
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    gx_slink *l = ac->data;
    if (!l)
        return;
    l->ac = NULL;
    /* a subscriber's refusal (NOAUTH: no or a wrong --sentinel-password) comes as a
     * disconnect whose errstr says it */
    if (l->is_sub || l->busy) /* an idle ask link reconnects when next asked */
        link_fail(l, status != REDIS_OK && ac->errstr[0] ? ac->errstr : "connection lost");
}

/* The sentinel refused the credentials (or asks for some): said in the log, and the next
 * sentinel is tried, as for any failure. */
static void on_auth(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)priv;
    gx_slink *l = ac->data;
    redisReply *r = reply;
    if (l && r && r->type == REDIS_REPLY_ERROR)
        link_fail(l, r->str);
}

/* Connects the link to its sentinel (AUTH first when it asks a password) and puts its
 * command; the silence timer runs until the answer (or the subscription) comes. */
static void link_start(gx_slink *l)
{
    gx_sentinel *s = l->s;
    if (s->closing)
        return;
    if (!l->ac) {
        redisAsyncContext *ac = redisAsyncConnect(s->host[l->at], s->port[l->at]);
        if (!ac || ac->err) {
            if (ac)
                redisAsyncFree(ac);
            link_fail(l, "cannot connect");
            return;
        }
        ac->data = l;
        l->ac = ac;
        gx_redis_uv_attach(ac, s->loop);
        redisAsyncSetConnectCallback(ac, on_connect);
        redisAsyncSetDisconnectCallback(ac, on_disconnect);
        if (s->pass && s->user)
            redisAsyncCommand(ac, on_auth, NULL, "AUTH %s %s", s->user, s->pass);
        else if (s->pass)
            redisAsyncCommand(ac, on_auth, NULL, "AUTH %s", s->pass);
    }
    if (l->is_sub) {
        redisAsyncCommand(l->ac, on_sub, NULL, "SUBSCRIBE +switch-master +try-failover");
        redisAsyncCommand(l->ac, on_psub, NULL, "PSUBSCRIBE -failover-abort-*");
    } else
        redisAsyncCommand(l->ac, on_answer, NULL, "SENTINEL get-master-addr-by-name %s", s->master);
    uv_timer_start(&l->timer, on_silent, GX_SENTINEL_SILENT_MS, 0);
}

void gx_sentinel_ask(gx_sentinel *s)
{
    if (!s || s->closing || s->ask.busy)
        return;
    s->ask.busy = true;
    link_start(&s->ask);
}

static void on_check(uv_timer_t *t)
{
    gx_sentinel_ask(t->data);
}

/* "h:p,h:p": at most GX_SENTINEL_MAX of them. */
static int parse_list(gx_sentinel *s, const char *list)
{
    const char *p = list;
    while (*p && s->n < GX_SENTINEL_MAX) {
        size_t len = strcspn(p, ",");
        const char *colon = memchr(p, ':', len);
        if (!colon || colon == p)
            return -1;
        s->host[s->n] = strndup(p, (size_t)(colon - p));
        s->port[s->n] = atoi(colon + 1);
        if (!s->host[s->n] || s->port[s->n] <= 0 || s->port[s->n] > 65535)
            return -1;
        s->n++;
        p += len;
        if (*p == ',')
            p++;
    }
    return s->n > 0 && !*p ? 0 : -1;
}

static void release(gx_sentinel *s)
{
    if (--s->open_handles > 0)
        return;
    for (int i = 0; i < s->n; i++)
        free(s->host[i]);
    free(s->master);
    free(s->user);
    free(s->pass);
    free(s);
}

static void on_link_closed(uv_handle_t *h)
{
    release(((gx_slink *)h->data)->s);
}

static void on_check_closed(uv_handle_t *h)
{
    release(h->data);
}

static void init_timer(gx_sentinel *s, uv_timer_t *t, void *data)
{
    uv_timer_init(s->loop, t);
    t->data = data;
    s->open_handles++;
}

gx_sentinel *gx_sentinel_new(uv_loop_t *loop, const char *list, const char *master,
                             const gx_sentinel_auth *auth, gx_sentinel_cb cb,
                             gx_sentinel_failover_cb on_failover, void *priv)
{
    gx_sentinel *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    *s = (gx_sentinel){
        .loop = loop, .cb = cb, .on_failover = on_failover, .priv = priv, .master = strdup(master)};
    bool auth_ok = true;
    if (auth && auth->pass) {
        s->pass = strdup(auth->pass);
        s->user = auth->user ? strdup(auth->user) : NULL;
        auth_ok = s->pass && (!auth->user || s->user);
    }
    if (!s->master || !master[0] || !auth_ok || parse_list(s, list)) {
        for (int i = 0; i <= s->n && i < GX_SENTINEL_MAX; i++)
            free(s->host[i]);
        free(s->master);
        free(s->user);
        free(s->pass);
        free(s);
        return NULL;
    }
    s->ask = (gx_slink){.s = s};
    init_timer(s, &s->ask.timer, &s->ask);
    init_timer(s, &s->check, s);
    uv_timer_start(&s->check, on_check, GX_SENTINEL_CHECK_MS, GX_SENTINEL_CHECK_MS);
    for (int i = 0; i < s->n; i++) {
        s->sub[i] = (gx_slink){.s = s, .is_sub = true, .at = i};
        init_timer(s, &s->sub[i].timer, &s->sub[i]);
        link_start(&s->sub[i]);
    }
    return s;
}

void gx_sentinel_close(gx_sentinel *s)
{
    if (!s || s->closing)
        return;
    s->closing = true;
    for (int i = -1; i < s->n; i++) {
        gx_slink *l = i < 0 ? &s->ask : &s->sub[i];
        if (l->ac) {
            l->ac->data = NULL;
            redisAsyncFree(l->ac);
            l->ac = NULL;
        }
        uv_close((uv_handle_t *)&l->timer, on_link_closed);
    }
    uv_close((uv_handle_t *)&s->check, on_check_closed);
}
