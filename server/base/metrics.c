/* Prometheus text for /metrics: the process counters, the build and start time, plus CPU
 * seconds and resident memory (read from getrusage (gx_now_cpu_s) and /proc, which never blocks
 * on a disk). Figures read from Redis are the cluster's, labelled scope="cluster". */
#include <dirent.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gigcx/build_info.h"
#include "gigcx/metrics.h"
#include "gigcx/util.h"

const double gx_metrics_hist_bounds[GX_HIST_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 300};

void gx_metrics_hist_observe(gx_hist *h, double v)
{
    int i = 0;
    while (i < GX_HIST_BUCKETS && v > gx_metrics_hist_bounds[i])
        i++;
    h->counts[i]++;
    h->sum += v;
    h->n++;
}

void gx_metrics_summary_observe(gx_summary *s, double v)
{
    s->v[s->n++ % GX_SUMMARY_KEEP] = (float)v;
    s->sum += v;
}

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} gx_text;

static void put(gx_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(gx_text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        /* the first call has no buffer yet: NULL + 0 is undefined, so measure with NULL */
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t ncap = (t->cap + (size_t)n) * 2;
        char *nb = realloc(t->buf, ncap);
        if (!nb) {
            t->oom = 1;
            return;
        }
        t->buf = nb;
        t->cap = ncap;
    }
}

static void hist(gx_text *t, const char *name, const char *help, const gx_hist *h)
{
    put(t, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (int i = 0; i < GX_HIST_BUCKETS; i++) {
        cum += h->counts[i];
        put(t, "%s_bucket{le=\"%g\"} %llu\n", name, gx_metrics_hist_bounds[i],
            (unsigned long long)cum);
    }
    cum += h->counts[GX_HIST_BUCKETS];
    put(t, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
        (unsigned long long)cum, name, h->sum, name, (unsigned long long)h->n);
}

static int by_value(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Quantiles over the kept observations (sorted at scrape time, never on the hot path). */
static void summary(gx_text *t, const char *name, const char *help, const gx_summary *s)
{
    static float sorted[GX_SUMMARY_KEEP];
    size_t k = s->n < GX_SUMMARY_KEEP ? (size_t)s->n : GX_SUMMARY_KEEP;
    memcpy(sorted, s->v, k * sizeof(float));
    qsort(sorted, k, sizeof(float), by_value);
    put(t, "# HELP %s %s\n# TYPE %s summary\n", name, help, name);
    static const double qs[] = {0.5, 0.9, 0.99};
    for (size_t i = 0; i < 3 && k; i++)
        put(t, "%s{quantile=\"%g\"} %.9f\n", name, qs[i],
            (double)sorted[(size_t)(qs[i] * (k - 1))]);
    put(t, "%s_sum %.6f\n%s_count %llu\n", name, s->sum, name, (unsigned long long)s->n);
}

static void counter(gx_text *t, const char *name, const char *help, uint64_t v)
{
    put(t, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
        (unsigned long long)v);
}

static void gauge(gx_text *t, const char *name, const char *help, int64_t v)
{
    put(t, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, (long long)v);
}

static void webhook_figures(gx_text *t, const gx_metrics *m)
{
    counter(t, "gigcx_webhook_events_total", "Webhook events this node put in the outbox.",
            m->hooks_emitted);
    counter(t, "gigcx_webhook_delivered_total", "Webhook attempts answered with a 2xx.",
            m->hooks_delivered);
    counter(t, "gigcx_webhook_failed_attempts_total", "Webhook attempts that got no 2xx.",
            m->hooks_failed);
    counter(t, "gigcx_webhook_given_up_total", "Webhook events dropped after the maximum age.",
            m->hooks_given_up);
    counter(t, "gigcx_webhook_lost_total", "Webhook events that could not be recorded.",
            m->hooks_lost);
    gauge(t, "gigcx_webhook_inflight", "Webhook events this node is delivering.",
          m->hooks_inflight);
    /* read from Redis: the same figure on every node, so labelled not to be summed */
    put(t,
        "# HELP gigcx_webhook_outbox_depth Webhook events waiting in the outbox (all nodes' "
        "events: the same on every node).\n# TYPE gigcx_webhook_outbox_depth gauge\n"
        "gigcx_webhook_outbox_depth{scope=\"cluster\"} %lld\n",
        (long long)m->hooks_outbox);
    hist(t, "gigcx_webhook_post_seconds", "Webhook POSTs, from resolving to the status line.",
         &m->hook_post_time);
}

/* Open descriptors: the entries of /proc/self/fd (read at scrape time only). */
static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

/* Closes by who sent the first close frame and its code; every slot, zeros included, so a
 * rate() over a code that has not happened yet reads 0 rather than nothing. */
static void close_figures(gx_text *t, const gx_metrics *m)
{
    put(t, "# HELP gigcx_ws_closes_total WebSocket closes by who sent the first close frame "
           "and its code (code=\"none\": no close frame; \"other\": a code not listed).\n"
           "# TYPE gigcx_ws_closes_total counter\n");
    for (int by = 0; by < GX_WSCLOSE_BY_COUNT; by++)
        for (int i = 0; i < GX_WSCLOSE_SLOTS; i++)
            put(t, "gigcx_ws_closes_total{by=\"%s\",code=\"%s\"} %llu\n", gx_wsclose_by(by),
                gx_wsclose_label(i), (unsigned long long)m->ws_closes[by][i]);
}

static void accept_figures(gx_text *t, const gx_metrics *m)
{
    counter(t, "gigcx_accept_pauses_total",
            "Times accepting paused for 100 ms because the process was out of descriptors.",
            m->accept_pauses);
    put(t, "# HELP gigcx_accept_errors_total Failed accept() calls by errno.\n"
           "# TYPE gigcx_accept_errors_total counter\n");
    for (int i = 0; i < GX_ACCEPT_ERRNO_SLOTS; i++)
        put(t, "gigcx_accept_errors_total{errno=\"%s\"} %llu\n", gx_accept_errno_label(i),
            (unsigned long long)m->accept_errors[i]);
}

static void build_figures(gx_text *t, const gx_metrics *m)
{
    put(t,
        "# HELP gigcx_build_info The version and commit of this build.\n"
        "# TYPE gigcx_build_info gauge\n"
        "gigcx_build_info{version=\"%s\",commit=\"%s\"} 1\n"
        "# HELP process_start_time_seconds When the process started, in unix seconds.\n"
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.3f\n",
        GX_BUILD_VERSION, GX_BUILD_COMMIT, m->start_s);
}

static void process_figures(gx_text *t)
{
    double cpu = gx_now_cpu_s();
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    put(t,
        "# HELP process_cpu_seconds_total User and system CPU time.\n"
        "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.3f\n",
        cpu);
    put(t,
        "# HELP process_resident_memory_bytes Resident memory.\n"
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %ld\n",
        rss * sysconf(_SC_PAGESIZE));
    struct rlimit rl;
    put(t,
        "# HELP process_open_fds Open file descriptors.\n"
        "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n"
        "# HELP process_max_fds The descriptor limit.\n"
        "# TYPE process_max_fds gauge\nprocess_max_fds %lld\n",
        open_fds(), getrlimit(RLIMIT_NOFILE, &rl) ? -1LL : (long long)rl.rlim_cur);
}

/* The Redis bus: up, round trips (a summary, as before, and a histogram), failures. */
static void redis_figures(gx_text *t, const gx_redis_counters *rc)
{
    static const char *const conn[] = {"command", "subscriber"};
    put(t,
        "# HELP gigcx_redis_up Whether the command connection to Redis is up.\n"
        "# TYPE gigcx_redis_up gauge\ngigcx_redis_up %d\n",
        rc->up);
    put(t,
        "# HELP gigcx_redis_rtt_seconds Redis command round trips.\n"
        "# TYPE gigcx_redis_rtt_seconds summary\ngigcx_redis_rtt_seconds_sum %.6f\n"
        "gigcx_redis_rtt_seconds_count %llu\n",
        rc->latency.sum, (unsigned long long)rc->latency.n);
    hist(t, "gigcx_redis_latency_seconds", "Redis command round trips.", &rc->latency);
    counter(t, "gigcx_redis_errors_total", "Redis error replies and lost replies.", rc->errors);
    put(t, "# HELP gigcx_redis_reconnects_total Redis connections made again after a loss.\n"
           "# TYPE gigcx_redis_reconnects_total counter\n");
    for (int i = 0; i < 2; i++)
        put(t, "gigcx_redis_reconnects_total{conn=\"%s\"} %llu\n", conn[i],
            (unsigned long long)rc->reconnects[i]);
    counter(t, "gigcx_redis_waits_total", "WAITs for replicas before an acknowledgement.",
            rc->waits);
    counter(t, "gigcx_redis_wait_failures_total",
            "WAITs that came back short of replicas: answered unavailable.", rc->wait_fails);
    counter(t, "gigcx_redis_primary_moves_total", "Times the sentinels named another primary.",
            rc->primary_moves);
    counter(t, "gigcx_redis_failover_holds_total",
            "Failovers begun during which writes were held until the switch.", rc->failover_holds);
}

char *gx_metrics_render(const gx_metrics *m, const gx_redis_counters *rc, const char *extra)
{
    gx_text t = {0};
    static const char *const roles[] = {"unauthenticated", "expert", "customer", "staff"};
    put(&t, "# HELP gigcx_connections Open WebSocket connections by role.\n"
            "# TYPE gigcx_connections gauge\n");
    for (int i = 0; i < 4; i++)
        put(&t, "gigcx_connections{role=\"%s\"} %lld\n", roles[i], (long long)m->conns[i]);
    counter(&t, "gigcx_offers_sent_total", "Offer frames queued to sockets.", m->offers_sent);
    counter(&t, "gigcx_offers_published_total", "Tasks this node offered to every node.",
            m->offers_published);
    counter(&t, "gigcx_offer_waves_total", "Offer waves this node sent (the first included).",
            m->waves_sent);
    counter(&t, "gigcx_offers_withdrawn_total", "offer.withdrawn frames queued to sockets.",
            m->withdrawals_sent);
    counter(&t, "gigcx_offers_displaced_total",
            "Offers withdrawn from an expert at the spreading limit for a higher priority.",
            m->offers_displaced);
    counter(&t, "gigcx_offers_declined_total", "offer.decline requests granted.",
            m->offers_declined);
    counter(&t, "gigcx_waves_given_way_total",
            "Waves sent before their interval: nobody reached so far could take the task.",
            m->waves_given_way);
    accept_figures(&t, m);
    close_figures(&t, m);
    counter(&t, "gigcx_shed_sockets_total",
            "Sockets closed (1001) to move load to other nodes: POST /api/v1/admin/shed, SIGUSR2.",
            m->shed_sockets);
    counter(&t, "gigcx_tasks_purged_total",
            "Finished tasks this node deleted past --task-retention, with their chats.",
            m->tasks_purged);
    counter(&t, "gigcx_waiting_full_total",
            "Waiting tasks left out of this node's copy of the queue because it was full.",
            m->waiting_full);
    put(&t,
        "# HELP gigcx_waiting_tasks Waiting tasks in this node's copy of the queue.\n"
        "# TYPE gigcx_waiting_tasks gauge\n"
        "gigcx_waiting_tasks %lld\n",
        (long long)m->waiting);
    static const char *const results[] = {"won", "conflict", "capacity", "forbidden", "not_found"};
    put(&t, "# HELP gigcx_claims_total Claim attempts by result.\n"
            "# TYPE gigcx_claims_total counter\n");
    for (int i = 0; i < 5; i++)
        put(&t, "gigcx_claims_total{result=\"%s\"} %llu\n", results[i],
            (unsigned long long)m->claims[i]);
    counter(&t, "gigcx_chat_messages_total", "Chat messages stored through this node.",
            m->chat_appended);
    counter(&t, "gigcx_chat_delivered_total", "chat.message frames queued to sockets.",
            m->chat_delivered);
    counter(&t, "gigcx_tasks_created_total", "Tasks created through this node.", m->tasks_created);
    counter(&t, "gigcx_http_requests_total", "HTTP API requests.", m->http_requests);
    counter(&t, "gigcx_frames_in_total", "WebSocket frames received.", m->frames_in);
    counter(&t, "gigcx_frames_out_total", "WebSocket frames queued.", m->frames_out);
    counter(&t, "gigcx_bus_messages_total", "Messages received from Redis channels.", m->bus_in);
    counter(&t, "gigcx_loop_pauses_total",
            "Waits for events the loop put off under load to handle more at once (--coalesce-us).",
            m->loop_pauses);
    put(&t,
        "# HELP gigcx_loop_pause_seconds_total Time those pauses added.\n"
        "# TYPE gigcx_loop_pause_seconds_total counter\n"
        "gigcx_loop_pause_seconds_total %.6f\n",
        (double)m->loop_pause_ns / 1e9);
    counter(&t, "gigcx_slow_consumers_closed_total", "Sockets closed for falling behind.",
            m->slow_closed);
    counter(&t, "gigcx_send_batches_total",
            "System calls that wrote several sockets at once (io_uring; 0 with --plain-send).",
            m->send_batches);
    counter(&t, "gigcx_sends_batched_total", "Socket writes made by those system calls.",
            m->sends_batched);
    counter(&t, "gigcx_send_batches_shared_total",
            "Of those system calls' batches, the ones shared with --send-threads helpers.",
            m->send_batches_shared);
    counter(&t, "gigcx_sends_short_total",
            "Batched writes the kernel took only part of (a slow reader); lws keeps the rest.",
            m->sends_short);
    static const char *const codes[] = {
        "",         "bad_request", "unauthenticated", "forbidden",   "not_found",
        "conflict", "capacity",    "rate_limited",    "unavailable", "internal"};
    put(&t, "# HELP gigcx_errors_total Errors returned to clients by code.\n"
            "# TYPE gigcx_errors_total counter\n");
    for (int i = 1; i < 10; i++)
        put(&t, "gigcx_errors_total{code=\"%s\"} %llu\n", codes[i],
            (unsigned long long)m->errors[i]);
    hist(&t, "gigcx_queue_wait_seconds", "Time from task creation to claim.", &m->queue_wait);
    hist(&t, "gigcx_claim_seconds", "Claim request to reply, inside the server.", &m->claim_time);
    summary(&t, "gigcx_offer_route_seconds",
            "Choosing the local experts of one offer wave and queueing it (last 4096 waves).",
            &m->route);
    summary(&t, "gigcx_offer_cut_seconds",
            "Reading a waiting task to publishing its wave, with the ranking read (last 4096).",
            &m->cut);
    webhook_figures(&t, m);
    redis_figures(&t, rc);
    build_figures(&t, m);
    process_figures(&t);
    if (extra)
        put(&t, "%s", extra);
    if (t.oom) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}
