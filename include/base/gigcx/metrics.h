/* Process counters for /metrics (Prometheus text). Plain integers: the loop is the only
 * writer, so no atomics. Histograms use fixed buckets in seconds. */
#ifndef GIGCX_METRICS_H
#define GIGCX_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "gigcx/accept_errno.h"
#include "gigcx/waithist.h"
#include "gigcx/wsclose.h"

#define GX_HIST_BUCKETS 14

typedef struct {
    uint64_t counts[GX_HIST_BUCKETS + 1]; /* last one is +Inf */
    double sum;
    uint64_t n;
} gx_hist;

/* The latest GX_SUMMARY_KEEP observations, for quantiles of something too fast for the
 * histogram's buckets (microseconds). */
#define GX_SUMMARY_KEEP 4096
typedef struct {
    float v[GX_SUMMARY_KEEP]; /* seconds, a ring */
    uint64_t n;               /* observations ever */
    double sum;
} gx_summary;

/* What the Redis bus (redis.c) counts, for /metrics. */
typedef struct {
    gx_hist latency;            /* command round trips, seconds */
    uint64_t errors;            /* error replies and lost replies */
    uint64_t reconnects[2];     /* command, subscriber: made again after being up */
    uint64_t waits, wait_fails; /* WAITs for replicas, and those that came back short */
    uint64_t primary_moves;     /* the sentinels named another primary */
    uint64_t failover_holds;    /* writes held while the sentinels replaced the primary */
    int up;                     /* the command connection is up */
} gx_redis_counters;

typedef struct {
    int64_t conns[4];          /* by gx_role: none (not yet hello), expert, customer, staff */
    uint64_t offers_sent;      /* offer frames queued to sockets */
    uint64_t offers_published; /* tasks this node put on the offer channel */
    uint64_t waves_sent;       /* offer waves this node put on the offer channel */
    uint64_t withdrawals_sent;
    uint64_t offers_displaced; /* offers withdrawn to make room for a higher priority */
    uint64_t offers_declined;
    uint64_t waves_given_way; /* waves sent early: nobody reached could take the task */
    uint64_t accept_pauses;   /* listener.c: out of descriptors */
    uint64_t waiting_full;    /* tasks left out of this node's copy of the queue (full) */
    int64_t waiting;          /* gauge: tasks in this node's copy of the queue */
    uint64_t claims[5];       /* won, conflict, capacity, forbidden, not_found */
    uint64_t chat_appended;   /* messages stored through this node */
    uint64_t chat_delivered;  /* chat.message frames queued to sockets */
    uint64_t tasks_created;
    uint64_t http_requests;
    uint64_t frames_in, frames_out;
    uint64_t bus_in;              /* messages from subscribed Redis channels */
    uint64_t loop_pauses;         /* waits the loop put off to coalesce events (coalesce.h) */
    uint64_t loop_pause_ns;       /* the time those pauses added */
    uint64_t errors[10];          /* by -code of gx error (index 0 unused) */
    uint64_t slow_closed;         /* sockets closed for falling behind */
    uint64_t send_batches;        /* io_uring submissions of the iteration's socket writes */
    uint64_t sends_batched;       /* socket writes made through them */
    uint64_t send_batches_shared; /* of those, batches shared with --send-threads helpers */
    uint64_t sends_short;         /* of which the kernel took less than all: lws keeps the rest */
    gx_hist queue_wait;           /* seconds from created to claimed */
    gx_waithist wait_fine;        /* the same waits, for the dashboard (waithist.h) */
    gx_hist claim_time;           /* seconds from claim request to reply */
    gx_summary route; /* seconds this node spent choosing (and queueing) one wave's offers */
    gx_summary cut;   /* seconds from reading a task to publishing its wave */
    /* webhooks */
    uint64_t hooks_emitted;   /* events this node put in the outbox */
    uint64_t hooks_delivered; /* attempts answered with a 2xx */
    uint64_t hooks_failed;    /* attempts that got no 2xx */
    uint64_t hooks_given_up;  /* events dropped after --webhook-max-age of failures */
    uint64_t hooks_lost;      /* events that could not be recorded (Redis gone at that moment) */
    int64_t hooks_inflight;   /* events this node is delivering */
    int64_t hooks_outbox;     /* events in the outbox, every node's, read once a second */
    gx_hist hook_post_time;   /* seconds per POST, whatever its outcome */
    /* operations */
    uint64_t accept_errors[GX_ACCEPT_ERRNO_SLOTS]; /* listener.c: failed accept()s by errno */
    uint64_t ws_closes[GX_WSCLOSE_BY_COUNT][GX_WSCLOSE_SLOTS]; /* ws.c: by who, close code */
    uint64_t tasks_purged; /* retention.c: finished tasks deleted past --task-retention */
    uint64_t shed_sockets; /* shed.c: sockets closed to move load to other nodes */
    double start_s;        /* unix time the process started (main.c) */
} gx_metrics;

/* Upper bounds of the buckets, in seconds (the last bucket, +Inf, has none). */
extern const double gx_metrics_hist_bounds[GX_HIST_BUCKETS];

/* Adds one observation in seconds. */
void gx_metrics_hist_observe(gx_hist *h, double v);
void gx_metrics_summary_observe(gx_summary *s, double v);

/* Renders every counter, plus process CPU and RSS, and the extra text (may be NULL), as
 * Prometheus exposition into a malloc'd string (caller frees). NULL on no memory. */
char *gx_metrics_render(const gx_metrics *m, const gx_redis_counters *rc, const char *extra);

#endif
