/* The Redis bus: a command connection and a subscriber connection on the libuv loop,
 * each reconnecting with backoff. Scripts are SCRIPT LOADed before the command connection
 * is declared up. It does not queue commands while Redis is away: callers get
 * GX_EUNAVAIL and tell their user, which is what the contract asks for. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <hiredis/async.h>
#include "gigcx/redis_uv.h"
#include <libwebsockets.h>
#include "gigcx/error.h"
#include "gigcx/logrl.h"
#include "gigcx/redis.h"
#include "gigcx/resp.h"
#include "gigcx/scripts.h"
#include "gigcx/sentinel.h"

typedef struct {
    redisAsyncContext *ac; /* owned by hiredis once connected; NULL when down */
    uv_timer_t retry;
    int backoff_ms;
    bool up;
    bool was_up; /* ever: until then, the first refusals are a server still starting */
    bool is_sub;
    bool asking;          /* waits for the sentinels to name the primary before it connects */
    struct gx_redis *bus; /* borrowed */
} gx_conn;

struct gx_redis {
    uv_loop_t *loop; /* borrowed */
    char *host;      /* owned; NULL for a unix socket */
    char *path;      /* owned unix socket path, or NULL */
    char *user;      /* owned ACL user, or NULL (the default user) */
    char *pass;      /* owned password, or NULL: no AUTH */
    int db;          /* SELECTed on the command connection */
    int port;
    gx_sentinel *sentinel;       /* owned when the url is sentinel://: it names host and port */
    char *sentinels;             /* owned: "h:p,h:p" of sentinel://, until the bus starts */
    char *master;                /* owned: the monitored name of sentinel:// */
    bool hold;                   /* a failover started: no connection until the switch */
    uv_timer_t hold_timer;       /* gives up holding if the switch never comes */
    const char *const *channels; /* borrowed */
    gx_redis_hooks hooks;
    gx_conn cmd, sub;
    char sha[GX_SCRIPT_COUNT][41];
    int scripts_pending;
    bool resub_pending; /* the subscriber came back; tell the hook once both are up */
    bool closing, freeing;
    int open_handles;
    gx_redis_counters st;
    char *fmt; /* owned: where argv commands are put in RESP (resp.h) before hiredis copies */
    size_t fmt_cap;
    struct gx_call *oldest, *newest; /* commands in flight, for the time-out */
    uv_timer_t watchdog;
    uint64_t timeout_ns;        /* 0: none */
    int wait_ms, wait_replicas; /* durable calls WAIT for replicas; wait_ms 0: they do not */
    struct gx_call *waiting;    /* durable replies in, for the next WAIT (newest first) */
    bool wait_out;              /* a WAIT is in flight */
};

/* A command in flight: keeps the caller's callback and, for scripts, the command so a
 * NOSCRIPT reply can be retried with EVAL. */
typedef struct gx_call {
    struct gx_call *prev, *next; /* in flight on the command connection, oldest first */
    gx_redis *bus;
    gx_redis_cb cb;
    void *priv;
    uint64_t t0;
    int script;         /* -1 when not a script */
    char *cmd;          /* owned, scripts only: EVALSHA sha nkeys args... in RESP */
    size_t len;         /* of cmd */
    size_t head;        /* end of cmd's "*N\r\n" */
    size_t tail;        /* where nkeys begins, after the sha */
    bool durable;       /* its reply waits for the replicas (gx_redis_script_durable) */
    redisReply *kept;   /* owned: that reply, copied, until the WAIT answers */
    struct gx_call *wq; /* next in the batch of one WAIT */
} gx_call;

static void conn_start(gx_conn *c);
static void schedule_retry(gx_conn *c);
static void on_watchdog(uv_timer_t *t);

#define GX_CONNECT_TIMEOUT_MS 1000

/* The retry timer doubles as the connect time-out: hiredis 0.14's libuv adapter ignores
 * poll errors, so a refused or unanswered connect would otherwise never call back. */
static void on_retry(uv_timer_t *t)
{
    gx_conn *c = (gx_conn *)((char *)t - offsetof(gx_conn, retry));
    if (c->ac) {
        /* the socket says why: a refusal is said as one, not as a time-out */
        int err = 0;
        socklen_t len = sizeof(err);
        if (c->ac->c.fd < 0 || getsockopt(c->ac->c.fd, SOL_SOCKET, SO_ERROR, &err, &len))
            err = 0;
        GX_LOG_LIMITED(LLL_WARN, "redis: cannot connect to %s:%d: %s\n",
                       c->bus->path ? c->bus->path : c->bus->host, c->bus->path ? 0 : c->bus->port,
                       err ? strerror(err) : "timed out");
        redisAsyncContext *ac = c->ac;
        c->ac = NULL;
        ac->data = NULL;
        redisAsyncFree(ac);
        schedule_retry(c);
        return;
    }
    conn_start(c);
}

static uint64_t now_ns(void)
{
    return uv_hrtime();
}

/* Decodes %XX in place (a password may hold '@', ':' or '/'); -1 on a bad escape. */
static int unescape(char *s)
{
    char *o = s;
    for (; *s; s++, o++) {
        if (*s != '%') {
            *o = *s;
            continue;
        }
        unsigned v;
        if (!s[1] || !s[2] || sscanf(s + 1, "%2x", &v) != 1 || !v)
            return -1;
        *o = (char)v;
        s += 2;
    }
    *o = '\0';
    return 0;
}

/* user:pass@ (or :pass@, or pass@) before the host. */
static int parse_auth(gx_redis *r, const char *h, const char *at)
{
    char *cred = strndup(h, (size_t)(at - h));
    if (!cred)
        return -1;
    char *colon = strchr(cred, ':');
    if (colon) {
        *colon = '\0';
        r->user = cred[0] ? strdup(cred) : NULL;
        r->pass = strdup(colon + 1);
    } else {
        r->pass = strdup(cred);
    }
    free(cred);
    return r->pass && !unescape(r->pass) && (!r->user || !unescape(r->user)) ? 0 : -1;
}

/* /db at the end of a url, or nothing. */
static int parse_db(gx_redis *r, const char *slash)
{
    if (!slash || !slash[1])
        return 0;
    char *end;
    long db = strtol(slash + 1, &end, 10);
    if (*end || db < 0 || db > 15)
        return -1;
    r->db = (int)db;
    return 0;
}

/* sentinel://[[user]:pass@]host:port[,host:port...]/master[/db]: the credentials and the db
 * are the data nodes'. h is past the credentials. */
static int parse_sentinel(gx_redis *r, const char *h)
{
    const char *slash = strchr(h, '/');
    if (!slash || slash == h || !slash[1])
        return -1;
    const char *db = strchr(slash + 1, '/');
    r->sentinels = strndup(h, (size_t)(slash - h));
    r->master = db ? strndup(slash + 1, (size_t)(db - slash - 1)) : strdup(slash + 1);
    return r->sentinels && r->master && r->master[0] ? parse_db(r, db) : -1;
}

/* redis://[[user]:pass@]host[:port][/db], unix:///path, or sentinel://... */
static int parse_url(gx_redis *r, const char *url)
{
    if (strncmp(url, "unix://", 7) == 0) {
        r->path = strdup(url + 7);
        return r->path && r->path[0] ? 0 : -1;
    }
    bool sentinel = strncmp(url, "sentinel://", 11) == 0;
    if (!sentinel && strncmp(url, "redis://", 8) != 0)
        return -1;
    const char *h = url + (sentinel ? 11 : 8);
    const char *at = strrchr(h, '@');
    if (at) {
        if (parse_auth(r, h, at))
            return -1;
        h = at + 1;
    }
    if (sentinel)
        return parse_sentinel(r, h);
    const char *slash = strchr(h, '/');
    const char *colon = memchr(h, ':', slash ? (size_t)(slash - h) : strlen(h));
    size_t hl = colon ? (size_t)(colon - h) : (slash ? (size_t)(slash - h) : strlen(h));
    r->host = strndup(h, hl);
    r->port = colon ? atoi(colon + 1) : 6379;
    if (parse_db(r, slash))
        return -1;
    return r->host && r->host[0] && r->port > 0 && r->port < 65536 ? 0 : -1;
}

static void schedule_retry(gx_conn *c)
{
    if (c->bus->closing)
        return;
    c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : 100;
    if (c->backoff_ms > 1000) /* back within a second of Redis being ready */
        c->backoff_ms = 1000;
    uv_timer_start(&c->retry, on_retry, (uint64_t)c->backoff_ms, 0);
}

/* on_resubscribed waits until the command connection is up as well: what it triggers
 * (reading missed messages back) needs both. */
static void set_up(gx_conn *c, bool up)
{
    if (c->up == up)
        return;
    c->up = up;
    if (up && c->was_up)
        c->bus->st.reconnects[c->is_sub]++;
    c->was_up |= up;
    if (up) /* only a connection that serves resets the backoff, not one that merely opened */
        c->backoff_ms = 0;
    gx_redis *r = c->bus;
    if (!c->is_sub && r->hooks.on_state)
        r->hooks.on_state(up, r->hooks.priv);
    if (c->is_sub && up)
        r->resub_pending = true;
    if (r->resub_pending && r->cmd.up && r->sub.up) {
        r->resub_pending = false;
        if (r->hooks.on_resubscribed)
            r->hooks.on_resubscribed(r->hooks.priv);
    }
}

/* Drops a connection Redis said is not usable now (loading, a replica, not authenticated):
 * on_disconnect reconnects with backoff, and the connection is up again only once the
 * scripts are loaded on a primary. Safe inside a reply callback (hiredis disconnects after
 * the callbacks in progress). */
static void drop(gx_conn *c, const char *why)
{
    if (!c->ac)
        return;
    GX_LOG_LIMITED(LLL_WARN, "redis: %s connection not usable (%s), reconnecting\n",
                   c->is_sub ? "subscriber" : "command", why);
    set_up(c, false);
    redisAsyncDisconnect(c->ac);
}

/* An error reply that says the connection cannot serve: LOADING, READONLY (a replica),
 * MASTERDOWN, NOAUTH, WRONGPASS. */
static bool conn_error(const redisReply *rep)
{
    static const char *const words[] = {"LOADING", "READONLY", "MASTERDOWN", "NOAUTH", "WRONGPASS"};
    if (!rep || rep->type != REDIS_REPLY_ERROR)
        return false;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strncmp(rep->str, words[i], strlen(words[i])) == 0)
            return true;
    return false;
}

static void on_script_loaded(redisAsyncContext *ac, void *reply, void *priv)
{
    gx_conn *c = ac->data;
    redisReply *rep = reply;
    int idx = (int)(intptr_t)priv;
    if (!c)
        return;
    gx_redis *r = c->bus;
    if (!rep || rep->type != REDIS_REPLY_STRING) {
        if (r->scripts_pending > 0) { /* say it once per connection */
            GX_LOG_LIMITED(LLL_ERR, "redis: SCRIPT LOAD %s failed: %s\n", gx_script_names[idx],
                           rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "no reply");
            r->scripts_pending = -1;
            drop(c, "scripts not loaded");
        }
        return;
    }
    snprintf(r->sha[idx], sizeof(r->sha[idx]), "%s", rep->str);
    if (r->scripts_pending > 0 && --r->scripts_pending == 0)
        set_up(&r->cmd, true);
}

/* ROLE on connect: commands go to a primary only, never to a replica. */
static void on_role(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)priv;
    gx_conn *c = ac->data;
    redisReply *rep = reply;
    if (!c)
        return;
    gx_redis *r = c->bus;
    bool primary = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
                   rep->element[0]->type == REDIS_REPLY_STRING &&
                   strcmp(rep->element[0]->str, "master") == 0;
    if (!primary) {
        drop(c, rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "not a primary");
        return;
    }
    r->scripts_pending = GX_SCRIPT_COUNT;
    for (int i = 0; i < GX_SCRIPT_COUNT; i++)
        redisAsyncCommand(c->ac, on_script_loaded, (void *)(intptr_t)i, "SCRIPT LOAD %s",
                          gx_script_src[i]);
}

static void on_sub_message(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)priv;
    gx_conn *c = ac->data;
    redisReply *rep = reply;
    if (!c || !rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3)
        return;
    redisReply *kind = rep->element[0];
    if (strcmp(kind->str, "subscribe") == 0) {
        int n = 0;
        while (c->bus->channels[n])
            n++;
        if (rep->element[2]->integer >= n)
            set_up(c, true);
        return;
    }
    if (strcmp(kind->str, "message") == 0 && c->bus->hooks.on_message)
        c->bus->hooks.on_message(rep->element[1]->str, rep->element[2]->str, rep->element[2]->len,
                                 c->bus->hooks.priv);
}

/* AUTH and SELECT on a new connection: an error reply makes it unusable. */
static void on_ready_step(redisAsyncContext *ac, void *reply, void *priv)
{
    gx_conn *c = ac->data;
    redisReply *rep = reply;
    if (c && rep && rep->type == REDIS_REPLY_ERROR) {
        GX_LOG_LIMITED(LLL_ERR, "redis: %s refused: %s\n", (const char *)priv, rep->str);
        drop(c, priv);
    }
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    gx_conn *c = ac->data;
    if (!c)
        return;
    uv_timer_stop(&c->retry);
    if (status != REDIS_OK) {
        GX_LOG_LIMITED(LLL_WARN, "redis: connect failed: %s\n", ac->errstr);
        c->ac = NULL;
        schedule_retry(c);
        return;
    }
    gx_redis *r = c->bus;
    /* Pipelined ahead of everything: a refusal drops the connection (on_ready_step). */
    if (r->pass && r->user)
        redisAsyncCommand(c->ac, on_ready_step, "AUTH", "AUTH %s %s", r->user, r->pass);
    else if (r->pass)
        redisAsyncCommand(c->ac, on_ready_step, "AUTH", "AUTH %s", r->pass);
    if (r->db && !c->is_sub)
        redisAsyncCommand(c->ac, on_ready_step, "SELECT", "SELECT %d", r->db);
    if (c->is_sub) {
        for (int i = 0; r->channels[i]; i++)
            redisAsyncCommand(c->ac, on_sub_message, NULL, "SUBSCRIBE %s", r->channels[i]);
        return;
    }
    redisAsyncCommand(c->ac, on_role, NULL, "ROLE");
}

static void free_fields(gx_redis *r)
{
    free(r->host);
    free(r->path);
    free(r->user);
    free(r->pass);
    free(r->sentinels);
    free(r->master);
    free(r->fmt);
}

static void on_handle_closed(uv_handle_t *h)
{
    gx_redis *r = h->data;
    if (--r->open_handles > 0)
        return;
    free_fields(r);
    free(r);
}

static void maybe_free(gx_redis *r)
{
    if (!r->closing || r->cmd.ac || r->sub.ac || r->freeing)
        return;
    r->freeing = true; /* hiredis may report both disconnects before close returns */
    uv_close((uv_handle_t *)&r->cmd.retry, on_handle_closed);
    uv_close((uv_handle_t *)&r->sub.retry, on_handle_closed);
    uv_close((uv_handle_t *)&r->watchdog, on_handle_closed);
    uv_close((uv_handle_t *)&r->hold_timer, on_handle_closed);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    gx_conn *c = ac->data;
    (void)status;
    if (!c)
        return;
    c->ac = NULL;
    set_up(c, false);
    if (c->bus->closing) {
        maybe_free(c->bus);
        return;
    }
    GX_LOG_LIMITED(LLL_WARN, "redis: %s connection lost, reconnecting\n",
                   c->is_sub ? "subscriber" : "command");
    schedule_retry(c);
}

static void conn_connect(gx_conn *c)
{
    gx_redis *r = c->bus;
    redisAsyncContext *ac =
        r->path ? redisAsyncConnectUnix(r->path) : redisAsyncConnect(r->host, r->port);
    if (!ac || ac->err) {
        /* The embedded redis-server takes a moment to open its socket: the first two
         * refusals (within 0.3 s) are not worth a warning. */
        const char *why = ac ? ac->errstr : "out of memory";
        if (c->was_up || c->backoff_ms >= 200)
            GX_LOG_LIMITED(LLL_WARN, "redis: cannot connect: %s\n", why);
        else
            lwsl_info("redis: cannot connect yet: %s\n", why);
        if (ac)
            redisAsyncFree(ac);
        schedule_retry(c);
        return;
    }
    ac->data = c;
    c->ac = ac;
    uv_timer_start(&c->retry, on_retry, GX_CONNECT_TIMEOUT_MS, 0);
    gx_redis_uv_attach(ac, r->loop);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

/* With sentinel://, every (re)connect asks the sentinels first: it never goes back to a
 * primary they have replaced. While a failover is under way it waits for the switch. */
static void conn_start(gx_conn *c)
{
    if (!c->bus->sentinel) {
        conn_connect(c);
        return;
    }
    c->asking = true;
    if (!c->bus->hold)
        gx_sentinel_ask(c->bus->sentinel);
}

/* A connection to a primary being replaced: not one more command goes there (what is in
 * flight hears no reply, unavailable). It connects again at once, or, holding, when the
 * sentinels name the new primary. */
static void leave(gx_conn *c)
{
    redisAsyncContext *ac = c->ac;
    c->ac = NULL;
    ac->data = NULL;
    set_up(c, false);
    redisAsyncFree(ac);
    c->backoff_ms = 0;
    if (c->bus->hold)
        c->asking = true;
    else
        conn_connect(c);
}

#define GX_FAILOVER_HOLD_MS 10000 /* a switch later than this: ask which primary it is */

static void on_hold_over(uv_timer_t *t)
{
    gx_redis *r = t->data;
    lwsl_warn("redis: no switch %d ms after a failover began: asking the sentinels\n",
              GX_FAILOVER_HOLD_MS);
    r->hold = false;
    gx_sentinel_ask(r->sentinel);
}

/* A sentinel began replacing the primary. Until its replica is promoted the old primary
 * still takes writes, and its other replicas still acknowledge them (WAIT), but the new
 * primary will not have them: the bus stops writing now, a few sentinel ticks before the
 * promotion, and holds until the switch (or the abort) is heard. */
static void on_failover(bool starts, void *priv)
{
    gx_redis *r = priv;
    if (r->closing)
        return;
    if (!starts) {
        uv_timer_stop(&r->hold_timer);
        on_hold_over(&r->hold_timer);
        return;
    }
    lwsl_warn("redis: the sentinels began a failover: no writes until the switch\n");
    if (!r->hold)
        r->st.failover_holds++;
    r->hold = true;
    uv_timer_start(&r->hold_timer, on_hold_over, GX_FAILOVER_HOLD_MS, 0);
    gx_conn *cs[2] = {&r->cmd, &r->sub};
    for (int i = 0; i < 2; i++)
        if (cs[i]->ac) /* one waiting to retry holds when its timer fires (conn_start) */
            leave(cs[i]);
}

static void on_primary(const char *host, int port, void *priv)
{
    gx_redis *r = priv;
    if (r->closing)
        return;
    bool moved = !r->host || strcmp(r->host, host) || r->port != port;
    if (r->hold && !moved)
        return; /* the old primary, named until the switch */
    if (r->hold) {
        r->hold = false;
        uv_timer_stop(&r->hold_timer);
    }
    if (moved) {
        char *h = strdup(host);
        if (!h)
            return;
        if (r->host) {
            lwsl_warn("redis: the sentinels moved the primary to %s:%d\n", host, port);
            r->st.primary_moves++;
        }
        free(r->host);
        r->host = h;
        r->port = port;
    }
    gx_conn *cs[2] = {&r->cmd, &r->sub};
    for (int i = 0; i < 2; i++) {
        if (cs[i]->asking) {
            cs[i]->asking = false;
            conn_connect(cs[i]);
        } else if (moved && cs[i]->ac) {
            leave(cs[i]);
        }
    }
}

gx_redis *gx_redis_new(uv_loop_t *loop, const char *url, const char *const *channels,
                       const gx_redis_hooks *hooks, const char *sentinel_user,
                       const char *sentinel_pass)
{
    gx_redis *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    gx_sentinel_auth auth = {.user = sentinel_user, .pass = sentinel_pass};
    if (parse_url(r, url) ||
        (r->sentinels && !(r->sentinel = gx_sentinel_new(loop, r->sentinels, r->master, &auth,
                                                         on_primary, on_failover, r)))) {
        free_fields(r);
        free(r);
        return NULL;
    }
    r->loop = loop;
    r->channels = channels;
    r->hooks = *hooks;
    uv_timer_init(loop, &r->watchdog);
    r->watchdog.data = r;
    r->open_handles++;
    uv_timer_init(loop, &r->hold_timer);
    r->hold_timer.data = r;
    r->open_handles++;
    gx_conn *cs[2] = {&r->cmd, &r->sub};
    for (int i = 0; i < 2; i++) {
        cs[i]->bus = r;
        cs[i]->is_sub = i == 1;
        uv_timer_init(loop, &cs[i]->retry);
        cs[i]->retry.data = r;
        r->open_handles++;
        conn_start(cs[i]);
    }
    return r;
}

void gx_redis_set_timeout(gx_redis *r, int ms)
{
    r->timeout_ns = ms > 0 ? (uint64_t)ms * 1000000u : 0;
    if (ms > 0) /* checked four times per time-out, at most every 50 ms */
        uv_timer_start(&r->watchdog, on_watchdog, (uint64_t)(ms / 4 > 50 ? ms / 4 : 50),
                       (uint64_t)(ms / 4 > 50 ? ms / 4 : 50));
    else
        uv_timer_stop(&r->watchdog);
}

bool gx_redis_up(const gx_redis *r)
{
    return r && r->cmd.up && !r->closing;
}

bool gx_redis_sub_up(const gx_redis *r)
{
    return r && r->sub.up && !r->closing;
}

static void call_free(gx_call *c)
{
    if (c->kept)
        freeReplyObject(c->kept);
    free(c->cmd);
    free(c);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv);

/* The in-flight list: replies come in order, so its head is the oldest unanswered. */
static void track(gx_redis *r, gx_call *c)
{
    c->prev = r->newest;
    c->next = NULL;
    if (r->newest)
        r->newest->next = c;
    else
        r->oldest = c;
    r->newest = c;
}

static void untrack(gx_redis *r, gx_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (r->oldest == c)
        r->oldest = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else if (r->newest == c)
        r->newest = c->prev;
    c->prev = c->next = NULL;
}

static int send_call(gx_redis *r, gx_call *call, const char *cmd, size_t len)
{
    if (!r->cmd.ac || !r->cmd.up)
        return GX_EUNAVAIL;
    if (redisAsyncFormattedCommand(r->cmd.ac, on_reply, call, cmd, len) != REDIS_OK)
        return GX_EUNAVAIL;
    track(r, call);
    return 0;
}

/* A command unanswered past the time-out: the connection is dropped, and hiredis answers
 * every command in flight with no reply (unavailable) before it is made again. */
static void on_watchdog(uv_timer_t *t)
{
    gx_redis *r = t->data;
    if (!r->oldest || !r->timeout_ns || now_ns() - r->oldest->t0 <= r->timeout_ns || !r->cmd.ac)
        return;
    /* Not redisAsyncDisconnect, which waits for the replies: a free answers them now (no
     * reply), and on_disconnect makes the connection again. */
    lwsl_warn("redis: a command went unanswered for %llu ms, reconnecting\n",
              (unsigned long long)(r->timeout_ns / 1000000u));
    set_up(&r->cmd, false);
    redisAsyncFree(r->cmd.ac);
}

/* argv in RESP in r->fmt (valid until the next call); NULL when out of memory. */
static const char *format(gx_redis *r, int argc, const char *const *argv, const size_t *lens,
                          size_t *len)
{
    size_t n = gx_resp_size(argc, argv, lens);
    if (n > r->fmt_cap) {
        char *f = realloc(r->fmt, n);
        if (!f)
            return NULL;
        r->fmt = f;
        r->fmt_cap = n;
    }
    *len = gx_resp_write(r->fmt, argc, argv, lens);
    return r->fmt;
}

/* EVALSHA sha nkeys args... becomes EVAL source nkeys args... */
static void retry_with_eval(gx_call *call)
{
    gx_redis *r = call->bus;
    const char *src = gx_script_src[call->script];
    size_t sl = strlen(src);
    size_t n = call->head + gx_resp_bulk_size(4) + gx_resp_bulk_size(sl) + call->len - call->tail;
    char *cmd = malloc(n), *p = cmd;
    call->script = -1; /* never loop */
    if (cmd) {
        memcpy(p, call->cmd, call->head);
        p += call->head;
        p += gx_resp_bulk(p, "EVAL", 4);
        p += gx_resp_bulk(p, src, sl);
        memcpy(p, call->cmd + call->tail, call->len - call->tail);
    }
    if (!cmd || send_call(r, call, cmd, n)) {
        if (call->cb)
            call->cb(NULL, call->priv);
        call_free(call);
    }
    free(cmd);
}

/* A deep copy of a reply (hiredis frees its own when the callback returns), for a durable
 * call's reply kept until the WAIT answers; NULL when out of memory. */
static redisReply *reply_dup(const redisReply *r)
{
    redisReply *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->type = r->type;
    c->integer = r->integer;
    if (r->str && (c->str = malloc(r->len + 1))) {
        memcpy(c->str, r->str, r->len + 1); /* hiredis ends every string with a NUL */
        c->len = r->len;
    }
    if (r->elements && (c->element = calloc(r->elements, sizeof(*c->element))))
        c->elements = r->elements;
    bool whole = !r->str == !c->str && !r->elements == !c->elements;
    for (size_t i = 0; whole && i < r->elements; i++)
        whole = (c->element[i] = reply_dup(r->element[i])) != NULL;
    if (!whole) {
        freeReplyObject(c);
        return NULL;
    }
    return c;
}

static void send_wait(gx_redis *r);

/* The WAIT of a batch answered: its replies reach their callers, oldest first, if enough
 * replicas have them; else the callers hear no reply (unavailable). */
static void on_waited(redisReply *rep, void *priv)
{
    gx_call *c = priv;
    gx_redis *r = c->bus;
    r->wait_out = false;
    r->st.waits++;
    bool ok = rep && rep->type == REDIS_REPLY_INTEGER && rep->integer >= r->wait_replicas;
    if (!ok) {
        r->st.wait_fails++;
        GX_LOG_LIMITED(LLL_WARN, "redis: WAIT %d %d: %lld replicas; answered unavailable\n",
                       r->wait_replicas, r->wait_ms,
                       rep && rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1LL);
    }
    while (c) {
        gx_call *next = c->wq;
        if (c->cb)
            c->cb(ok ? c->kept : NULL, c->priv);
        call_free(c);
        c = next;
    }
    send_wait(r);
}

/* One WAIT at a time covers every durable reply in before it was sent: WAIT counts the
 * replicas that reached this connection's last write. The replies that come meanwhile go
 * with the next one. */
static void send_wait(gx_redis *r)
{
    if (r->wait_out || !r->waiting)
        return;
    gx_call *batch = NULL; /* r->waiting is newest first: reversed */
    while (r->waiting) {
        gx_call *c = r->waiting;
        r->waiting = c->wq;
        c->wq = batch;
        batch = c;
    }
    if (gx_redis_cmd(r, on_waited, batch, "WAIT %d %d", r->wait_replicas, r->wait_ms) == 0) {
        r->wait_out = true;
        return;
    }
    r->wait_out = true; /* on_waited fails the batch; a call within sends the next one */
    on_waited(NULL, batch);
}

/* A durable call's reply waits for a WAIT; true when it was kept for it. */
static bool hold_for_wait(gx_redis *r, gx_call *call, const redisReply *rep)
{
    if (!call->durable || !r->wait_ms || !rep || rep->type == REDIS_REPLY_ERROR)
        return false;
    call->kept = reply_dup(rep);
    if (!call->kept)
        return false;
    call->wq = r->waiting;
    r->waiting = call;
    send_wait(r);
    return true;
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    gx_call *call = priv;
    redisReply *rep = reply;
    gx_redis *r = call->bus;
    untrack(r, call);
    if (rep && rep->type == REDIS_REPLY_ERROR && call->script >= 0 &&
        strncmp(rep->str, "NOSCRIPT", 8) == 0) {
        retry_with_eval(call);
        return;
    }
    gx_metrics_hist_observe(&r->st.latency, (double)(now_ns() - call->t0) / 1e9);
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
        r->st.errors++;
        if (rep)
            GX_LOG_LIMITED(LLL_WARN, "redis: error reply: %s\n", rep->str);
    }
    /* A refusal is not an answer: the caller hears "no reply" (unavailable, try again), and
     * a connection that cannot serve is dropped and made again. */
    if (conn_error(rep)) {
        drop(&r->cmd, rep->str);
        rep = NULL;
    } else if (rep && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "OOM", 3) == 0) {
        rep = NULL;
    }
    if (hold_for_wait(r, call, rep))
        return;
    if (call->durable && r->wait_ms)
        rep = NULL; /* not kept (an error, or out of memory): never answered as replicated */
    if (call->cb)
        call->cb(rep, call->priv);
    call_free(call);
}

int gx_redis_argv(gx_redis *r, gx_redis_cb cb, void *priv, int argc, const char **argv,
                  const size_t *lens)
{
    gx_call *call = calloc(1, sizeof(*call));
    if (!call)
        return GX_EINTERNAL;
    *call = (gx_call){.bus = r, .cb = cb, .priv = priv, .t0 = now_ns(), .script = -1};
    size_t len;
    const char *cmd = format(r, argc, argv, lens, &len);
    int rc = cmd ? send_call(r, call, cmd, len) : GX_EINTERNAL;
    if (rc)
        free(call);
    return rc;
}

int gx_redis_cmd(gx_redis *r, gx_redis_cb cb, void *priv, const char *fmt, ...)
{
    if (!r->cmd.ac || !r->cmd.up)
        return GX_EUNAVAIL;
    gx_call *call = calloc(1, sizeof(*call));
    if (!call)
        return GX_EINTERNAL;
    *call = (gx_call){.bus = r, .cb = cb, .priv = priv, .t0 = now_ns(), .script = -1};
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAsyncCommand(r->cmd.ac, on_reply, call, fmt, ap);
    va_end(ap);
    if (rc != REDIS_OK) {
        free(call);
        return GX_EUNAVAIL;
    }
    track(r, call);
    return 0;
}

#define GX_SCRIPT_ARGS_STACK 32 /* more arguments than this are listed on the heap */

/* The call's EVALSHA command, kept for a NOSCRIPT retry. */
static int script_cmd(gx_call *call, const char *sha, int nkeys, int argc, const char **argv,
                      const size_t *lens)
{
    const char *avs[GX_SCRIPT_ARGS_STACK + 3], **av = avs;
    size_t lns[GX_SCRIPT_ARGS_STACK + 3], *ln = lns;
    char nk[24];
    if (argc > GX_SCRIPT_ARGS_STACK) {
        av = malloc(sizeof(*av) * (size_t)(argc + 3));
        ln = malloc(sizeof(*ln) * (size_t)(argc + 3));
    }
    if (!av || !ln || nkeys < 0)
        goto fail;
    av[0] = "EVALSHA";
    av[1] = sha;
    av[2] = nk;
    ln[0] = 7;
    ln[1] = strlen(sha);
    ln[2] = gx_resp_u64_dec(nk, (uint64_t)nkeys);
    for (int i = 0; i < argc; i++) {
        av[i + 3] = argv[i];
        ln[i + 3] = lens ? lens[i] : strlen(argv[i]);
    }
    call->len = gx_resp_size(argc + 3, av, ln);
    call->cmd = malloc(call->len);
    if (!call->cmd)
        goto fail;
    gx_resp_write(call->cmd, argc + 3, av, ln);
    call->head = (size_t)((char *)memchr(call->cmd, '\n', call->len) - call->cmd) + 1;
    call->tail = call->head + gx_resp_bulk_size(ln[0]) + gx_resp_bulk_size(ln[1]);
fail:
    if (av != avs)
        free(av);
    if (ln != lns)
        free(ln);
    return call->cmd ? 0 : -1;
}

static int script_call(gx_redis *r, gx_script s, gx_redis_cb cb, void *priv, int nkeys, int argc,
                       const char **argv, const size_t *lens, bool durable)
{
    if (!gx_redis_up(r))
        return GX_EUNAVAIL;
    gx_call *call = calloc(1, sizeof(*call));
    if (!call)
        return GX_EINTERNAL;
    *call = (gx_call){
        .bus = r, .cb = cb, .priv = priv, .t0 = now_ns(), .script = (int)s, .durable = durable};
    if (script_cmd(call, r->sha[s], nkeys, argc, argv, lens)) {
        call_free(call);
        return GX_EINTERNAL;
    }
    int rc = send_call(r, call, call->cmd, call->len);
    if (rc)
        call_free(call);
    return rc;
}

int gx_redis_script(gx_redis *r, gx_script s, gx_redis_cb cb, void *priv, int nkeys, int argc,
                    const char **argv, const size_t *lens)
{
    return script_call(r, s, cb, priv, nkeys, argc, argv, lens, false);
}

int gx_redis_script_durable(gx_redis *r, gx_script s, gx_redis_cb cb, void *priv, int nkeys,
                            int argc, const char **argv, const size_t *lens)
{
    return script_call(r, s, cb, priv, nkeys, argc, argv, lens, true);
}

void gx_redis_set_wait(gx_redis *r, int replicas, int ms)
{
    r->wait_replicas = replicas > 0 ? replicas : 1;
    r->wait_ms = ms > 0 ? ms : 0;
}

const gx_redis_counters *gx_redis_counters_get(const gx_redis *r)
{
    return &r->st;
}

void gx_redis_close(gx_redis *r)
{
    if (!r || r->closing)
        return;
    r->closing = true;
    gx_sentinel_close(r->sentinel);
    uv_timer_stop(&r->watchdog);
    uv_timer_stop(&r->hold_timer);
    uv_timer_stop(&r->cmd.retry);
    uv_timer_stop(&r->sub.retry);
    if (r->cmd.ac)
        redisAsyncDisconnect(r->cmd.ac);
    if (r->sub.ac)
        redisAsyncDisconnect(r->sub.ac);
    maybe_free(r);
}
