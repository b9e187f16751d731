/* The state of one load run, shared by the simulated experts and customers: the scenario,
 * the connections' targets, the task table, an event scheduler, and every measurement. */
#ifndef GXLT_RUN_H
#define GXLT_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>
#include "gigcx/client.h"
#include "gigcx/map.h"
#include "gigcx/sid.h"
#include "hist.h"
#include "rest.h"
#include "scenario.h"

#define GXLT_URLS_MAX 8

enum gxlt_metric { M_CONNECT, M_OFFER, M_CLAIM, M_CHAT, M_WAIT, M_FIRST_REPLY, M_COUNT };
extern const char *const gxlt_metric_names[M_COUNT];

/* Counters that must stay zero for a run to pass. */
enum gxlt_violation {
    V_LOST,
    V_DUP,
    V_ORDER,
    V_DOUBLE_CLAIM,
    V_UNWITHDRAWN,
    V_ERROR,
    V_CLOSE,
    V_UNTOLD,
    V_COUNT
};
extern const char *const gxlt_violation_names[V_COUNT];

typedef struct gxlt_expert gxlt_expert;
typedef struct gxlt_customer gxlt_customer;

/* One task, from the tester's side. Never freed before the end of the run. */
typedef struct {
    char id[65];
    uint64_t t0_us;  /* when the creating request was sent; 0 until the task id is known */
    uint64_t *early; /* owned: offer receipt times seen before t0 was known */
    int nearly;
    int winner;          /* expert index, or -1 */
    gxlt_customer *cust; /* borrowed */
    int acked[2];        /* messages acknowledged to the sender: [0] customer, [1] expert */
    int received[2];     /* messages of that sender received by the other side */
    gx_sid last[2];      /* last id received by the other side, per sender */
    bool left[2];        /* the receiver of that sender's messages left on purpose */
    bool first_reply_seen;
    uint64_t assigned_us; /* when the tester first saw task.assigned (0: not yet) */
    /* drain: the offer's ordering key, and whether the tester knows the task exists (its
     * creating request answered, or an offer of it came) */
    int prio;
    long long created_ms;
    bool keyed, known, offered;
} gxlt_task;

typedef struct {
    double t_s;
    uint64_t p50[M_COUNT], p99[M_COUNT], n[M_COUNT];
    uint64_t tasks, claims, msgs; /* per second */
} gxlt_sample;

typedef struct {
    gxlt_hist total[M_COUNT], window[M_COUNT];
    gxlt_sample *series; /* owned: one per second of the run */
    size_t nseries, capseries;
    uint64_t welcomed, connect_failures, tasks_requested, tasks_created, tasks_assigned,
        tasks_resolved, tasks_rated, tasks_cancelled, claims_sent, claims_won, claims_lost, offers,
        withdrawals, msgs_sent, msgs_acked, msgs_received, reconnects;
    uint64_t v[V_COUNT];
    json_t *errors;         /* code -> count, for the report */
    double reconnect_all_s; /* storm: from the drop until every expert was welcomed again */
    double connect_all_s;   /* from the first connect until every expert was welcomed */
} gxlt_stats;

/* A server's figures from /metrics. */
typedef struct {
    double cpu_s, rss_bytes;
    bool ok;
} gxlt_server_sample;

/* A drain run's own figures (drain.c). Times are monotonic us; 0 = not yet. */
typedef struct gxlt_post gxlt_post;
typedef struct {
    bool on;              /* sc.backlog > 0 */
    bool released;        /* backlog_first: the experts were sent available */
    bool timed_out;       /* the run ended at timeout_s with tasks left */
    gxlt_post *posts;     /* owned: one per backlog task, for its creating request */
    int posted, answered; /* creating requests sent, and answered (201 or not) */
    uint64_t first_created_us, last_created_us, last_assigned_us, last_resolved_us;
    uint64_t start_us; /* backlog_first: when the experts were sent available */
    /* idle slots: free slots of connected, available experts (capacity - held - claims in
     * flight), integrated over the time at least one known task waits; and beside them the
     * slots with a claim in flight (a herd of claims ties slots up without holding work) */
    int free_slots, claiming_slots, waiting;
    uint64_t idle_since_us;
    double idle_slot_us, claiming_slot_us;
} gxlt_drain;

typedef void (*gxlt_event_fn)(void *actor, void *arg);

typedef struct {
    uint64_t due_us;
    gxlt_event_fn fn;
    void *actor, *arg;
} gxlt_event;

typedef struct gxlt_run {
    gxlt_scenario sc;
    uv_loop_t *loop;
    gxc_ctx *ws;
    int nurls;
    char hosts[GXLT_URLS_MAX][64];
    int ports[GXLT_URLS_MAX];
    gxlt_rest *rest[GXLT_URLS_MAX];
    int source_ips; /* spread sockets over 127.0.0.2.. when > 0 */
    char admin_key[128];
    char api_key[128];    /* the brand's, from setup */
    char prefix[48];      /* ids of this run: brand, experts and customers start with it */
    gxlt_expert *experts; /* owned array of sc.experts */
    int connecting;       /* expert handshakes in flight (connect sent, no welcome yet) */
    int welcomed_now;     /* experts welcomed and still connected */
    int available_now;    /* experts whose presence.set available was answered, connected */
    gxlt_expert **rq;     /* owned ring of sc.experts: experts waiting to reconnect */
    size_t rq_head, rq_len;
    gx_map tasks;     /* id -> gxlt_task (owned) */
    gxlt_event *heap; /* owned scheduler min-heap */
    size_t nheap, capheap;
    uv_timer_t tick;
    uint64_t t_start_us; /* start of the measured phase */
    bool measuring, stopping;
    double task_credit; /* fractional tasks owed by the arrival process */
    uint64_t ncustomers;
    gxlt_customer **custs; /* owned array of owned customers */
    size_t ncusts, capcusts;
    uint64_t storm_us; /* when the storm dropped every expert (0 = none yet) */
    gxlt_stats st;
    gxlt_drain dr;
    /* server figures: before connecting, with every socket up (idle), when the measured
     * phase starts, and at the end */
    gxlt_server_sample before[GXLT_URLS_MAX], idle[GXLT_URLS_MAX], start[GXLT_URLS_MAX],
        after[GXLT_URLS_MAX];
    /* the tester's own CPU seconds (all threads) at the start and end of the measured
     * phase: a tester near a full core is itself the bottleneck of what it measures */
    double self_cpu_start, self_cpu_end;
    bool progress_tty;
} gxlt_run;

/* Monotonic microseconds. */
uint64_t gxlt_now_us(void);
/* A uniform draw from a range, in microseconds. */
uint64_t gxlt_draw_us(gxlt_range r);

/* Runs fn(actor, arg) after delay_us (0 = on the next tick). */
void gxlt_at(gxlt_run *run, uint64_t delay_us, gxlt_event_fn fn, void *actor, void *arg);
/* Runs every event that is due. */
void gxlt_run_due(gxlt_run *run);

/* The task with id, created (t0 unknown) if absent. */
gxlt_task *gxlt_task_get(gxlt_run *run, const char *id);
/* The creating request of task id was sent at t0: offers seen early are measured now. */
void gxlt_task_born(gxlt_run *run, gxlt_task *t, uint64_t t0_us);
/* Records a latency sample in microseconds. */
void gxlt_observe(gxlt_run *run, enum gxlt_metric m, uint64_t us);
/* Counts an error by code; unexpected ones are violations. */
void gxlt_error(gxlt_run *run, const char *code, bool expected);

/* The text of a chat message carries its send time: "[lt <us>] ...". 0 if absent. */
uint64_t gxlt_stamp_of(const char *text);
/* Sends one JSON object; false when the connection is not open. */
bool gxlt_send(gxc_conn *c, json_t *msg);
/* The connection target for socket number i (spread over urls and source addresses). */
gxc_target gxlt_target(gxlt_run *run, int i, char *ipbuf);
/* Whether host names this machine's loopback (127.0.0.0/8 or "localhost"): only then can
 * sockets come from the other 127.0.0.x addresses. */
bool gxlt_is_loopback(const char *host);
/* Source addresses 127.0.0.2 .. 127.0.0.(1 + GXLT_SOURCE_IPS_MAX). */
#define GXLT_SOURCE_IPS_MAX 250
/* How many source addresses to spread sockets_per_url over (0: leave it to the kernel). */
int gxlt_source_ips_for(double sockets_per_url, bool loopback);

/* Experts (expert.c). */
int gxlt_experts_setup(gxlt_run *run);
void gxlt_experts_connect(gxlt_run *run, int from, int to);
/* Starts queued reconnects while fewer than cap handshakes are in flight. */
void gxlt_experts_pump(gxlt_run *run, int cap);
int gxlt_experts_welcomed(gxlt_run *run);
/* Experts whose presence.set available was answered, and still connected. */
int gxlt_experts_available(gxlt_run *run);
/* Every connected expert goes available (a drain's backlog_first, once it is queued). */
void gxlt_experts_go_available(gxlt_run *run);
/* Offers held (not claimed, not withdrawn) over every expert. */
int gxlt_experts_offers_held(gxlt_run *run);
/* Tasks assigned to each expert over the run, into counts[sc.experts]. */
void gxlt_experts_tasks(gxlt_run *run, int *counts);
void gxlt_experts_storm(gxlt_run *run);
void gxlt_experts_finish(gxlt_run *run);
void gxlt_experts_free(gxlt_run *run);

/* A chat.message of sender side from (0 customer, 1 expert) arrived at the other side:
 * checks order and duplicates, counts it and measures its latency. */
void gxlt_receive_chat(gxlt_run *run, gxlt_task *t, int from, json_t *m, uint64_t now);
/* Expert idx's socket when welcomed, else NULL; and a chat message from it on t. */
gxc_conn *gxlt_expert_conn(gxlt_run *run, int idx);
void gxlt_expert_say(gxlt_run *run, int idx, gxlt_task *t);

/* Customers (customer.c). */
void gxlt_customer_start(gxlt_run *run);
void gxlt_chat_tick(gxlt_run *run, double dt_s);
void gxlt_customers_finish(gxlt_run *run);
/* After the client context is gone (its close callbacks use the customers). */
void gxlt_customers_free(gxlt_run *run);

/* Drain runs (drain.c). */
/* Sends the backlog's creating requests, all at once (spread over the urls' workers). */
void gxlt_drain_start(gxlt_run *run);
/* Every creating request answered and every created task resolved. */
bool gxlt_drain_done(const gxlt_run *run);
/* An expert's free slots and claims in flight changed by these (the integrals are brought
 * up to now first). */
void gxlt_drain_slots(gxlt_run *run, int dfree, int dclaiming);
/* The tester learned that t exists / saw it assigned (first: for the first time) / saw a
 * task resolved. */
void gxlt_drain_known(gxlt_run *run, gxlt_task *t);
void gxlt_drain_assigned(gxlt_run *run, gxlt_task *t, bool first, uint64_t now);
void gxlt_drain_resolved(gxlt_run *run, uint64_t now);
/* The report's "drain" object (new reference), or NULL when the run is not a drain. */
json_t *gxlt_drain_report(gxlt_run *run);
/* Tasks per expert: median, max, min and Gini coefficient of counts[0..n) (sorted in place). */
void gxlt_fairness(int *counts, int n, double *median, int *max, int *min, double *gini);
void gxlt_drain_free(gxlt_run *run);

/* /metrics of url i; false when unreachable (server.c). */
bool gxlt_server_sample_get(gxlt_run *run, int i, gxlt_server_sample *out);

#endif
