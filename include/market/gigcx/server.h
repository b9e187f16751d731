/* The state one gigcxd process shares between its modules: the loop, lws, the Redis bus,
 * and the process-local indexes of connected users, tasks and brands. Everything that
 * matters lives in Redis; these indexes only say which local sockets care about what. */
#ifndef GIGCX_SERVER_H
#define GIGCX_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include <jansson.h>
#include "gigcx/bus.h"
#include "gigcx/config.h"
#include "gigcx/map.h"
#include "gigcx/metrics.h"
#include "gigcx/net.h"
#include "gigcx/redis.h"
#include "gigcx/tags.h"

struct lws_context;
struct lws_vhost;
struct gx_session;

/* A growable array of session pointers. */
typedef struct {
    struct gx_session **v; /* owned array; the sessions are borrowed unless noted */
    int n, cap;
} gx_svec;

/* Local sessions that take part in one task, and local sessions that hold its offer. */
typedef struct {
    char id[65];
    char brand[65];           /* known once a local customer waits on it, for queue positions */
    bool queued;              /* a local customer is told its position while this is true */
    int position;             /* last position sent */
    gx_svec members;          /* borrowed: each member removes itself when it closes */
    gx_svec holders;          /* each holds a reference: dropped when the offer is withdrawn */
    int readers;              /* backlogs reading its state: they keep the entry */
    unsigned withdrawals;     /* withdrawals seen, so a backlog sees one that overtook its read */
    bool taken;               /* a claim of this node won it; its withdrawal may not be in yet */
    struct gx_claimq *claims; /* owned (claim.c): set while a claim of this node is in Redis */
} gx_tlocal;

/* Local available experts and staff of one brand, so an offer is not a scan of every socket. */
/* The states of a brand's copy of its queue (waiting.h). */
enum { GX_SEED_NONE, GX_SEED_LOADING, GX_SEED_READY };

typedef struct {
    char id[65];
    gx_svec experts; /* borrowed, each knows its position (gx_session.bpos) */
    gx_svec staff;
    struct gx_waiting **wait; /* owned (waiting.c): the brand's waiting tasks, queue order */
    int nwait, capwait;
    int seed;             /* GX_SEED_*: whether wait holds the whole queue yet */
    gx_svec seed_waiters; /* a reference each: experts to pull for once the seed is in */
} gx_blocal;

typedef struct gx_server {
    gx_net net;                  /* the transport (net.h); net.app is this */
    uv_loop_t *loop;             /* borrowed */
    gx_config *cfg;              /* borrowed */
    struct lws_context *ctx;     /* owned */
    struct lws_vhost *vh;        /* borrowed from ctx */
    gx_redis *redis;             /* owned */
    gx_map users;                /* user id -> its session here (experts and staff only) */
    gx_map limits;               /* uid -> gx_userlim (owned): flood limits over a user's sockets */
    gx_map tasks;                /* task id -> gx_tlocal (owned) */
    gx_map brands;               /* brand id -> gx_blocal (owned) */
    gx_map waiting;              /* task id -> gx_waiting (owned; waiting.h) */
    unsigned seed_gen;           /* bumped when the copies of the queues are cleared (pull.c) */
    int64_t ready_write_ms;      /* health.c: when Redis last took the probe's write */
    int64_t fds_short_ms;        /* when accepting last paused for want of descriptors */
    uint64_t seen_accept_pauses; /* m.accept_pauses at the last probe */
    char *depth_text;            /* owned (depth.c): queue depths for /metrics */
    bool depth_reading;
    gx_svec pull_q; /* experts who got room this iteration (a reference each) */
    gx_tags tags;   /* languages and skills as bits, for offer eligibility */
    gx_metrics m;
    uint64_t serial;      /* last session serial handed out */
    uint64_t wd_serial;   /* last withdrawal serial (dedups holders) */
    json_t *dev_users;    /* owned; --dev only: [{id, name, role, token}] for the pickers */
    uv_timer_t tick;      /* housekeeping every second */
    uv_timer_t wave_tick; /* offer waves that are due, GX_WAVE_TICK_MS apart */
    uint64_t ticks;
    uv_check_t flush_check;     /* writes them after the iteration's I/O callbacks */
    uv_prepare_t flush_prepare; /* and before the loop waits (timers queue frames too) */
    bool draining;              /* SIGTERM'd: unready, closing its sockets over the drain window */
    int claims_out;             /* claims in Redis: the loop does not pause for them (coalesce.h) */
    struct gx_webhook *webhook; /* owned (webhook.c); NULL when webhooks could not start */
    void (*outbox_kick)(struct gx_server *srv); /* set by webhook.c: an event was recorded */
    struct gx_rk_move *rank_q; /* owned: ranking changes waiting for gx_ranking_flush */
    struct gx_rk_move **rank_q_tail;
    struct gx_shed *shed; /* owned (shed.c): sockets closed in batches; NULL until one is */
} gx_server;

/* svec helpers: push returns 0 or -1 (no memory); del swaps the last entry into i. */
int gx_svec_push(gx_svec *v, struct gx_session *s);
void gx_svec_del(gx_svec *v, int i);
void gx_svec_free(gx_svec *v);

/* The local entry of a task, created on demand (NULL only when out of memory). */
gx_tlocal *gx_server_task(gx_server *srv, const char *task, bool create);
/* Frees the entry when no local session cares about the task any more. */
void gx_server_task_gc(gx_server *srv, gx_tlocal *t);
/* The local entry of a brand, created on demand (NULL only when out of memory). */
gx_blocal *gx_server_brand(gx_server *srv, const char *brand, bool create);

/* Frees the local indexes at exit (after every socket closed). */
void gx_server_free_indexes(gx_server *srv);

/* Dispatches a message from a subscribed channel (events.c). */
void gx_events_on_message(const char *channel, const char *payload, size_t len, void *priv);
/* After the subscriber reconnected: catch every joined session up from the stream. */
void gx_events_on_resubscribed(void *priv);

#endif
