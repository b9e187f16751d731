/* Shared run machinery: clocks, the event heap, the task table and measurements. */
#include "run.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const gxlt_metric_names[M_COUNT] = {"connect",  "offer_delivery", "claim_rtt",
                                                "chat_rtt", "queue_wait",     "first_reply"};
const char *const gxlt_violation_names[V_COUNT] = {
    "lost_messages",          "duplicated_messages", "reordered_messages", "double_claims",
    "offers_never_withdrawn", "unexpected_errors",   "unexpected_closes",  "assignments_untold"};

uint64_t gxlt_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t gxlt_draw_us(gxlt_range r)
{
    double ms = r.lo + (r.hi - r.lo) * ((double)random() / (double)RAND_MAX);
    return (uint64_t)(ms * 1000.0);
}

/* ---- the event heap: one timer for every actor's think times ---- */

static void heap_swap(gxlt_event *h, size_t a, size_t b)
{
    gxlt_event t = h[a];
    h[a] = h[b];
    h[b] = t;
}

void gxlt_at(gxlt_run *run, uint64_t delay_us, gxlt_event_fn fn, void *actor, void *arg)
{
    if (run->nheap == run->capheap) {
        size_t ncap = run->capheap ? run->capheap * 2 : 1024;
        gxlt_event *n = realloc(run->heap, ncap * sizeof(*n));
        if (!n)
            return;
        run->heap = n;
        run->capheap = ncap;
    }
    size_t i = run->nheap++;
    run->heap[i] = (gxlt_event){gxlt_now_us() + delay_us, fn, actor, arg};
    while (i && run->heap[(i - 1) / 2].due_us > run->heap[i].due_us) {
        heap_swap(run->heap, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static gxlt_event heap_pop(gxlt_run *run)
{
    gxlt_event top = run->heap[0];
    run->heap[0] = run->heap[--run->nheap];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < run->nheap && run->heap[l].due_us < run->heap[m].due_us)
            m = l;
        if (r < run->nheap && run->heap[r].due_us < run->heap[m].due_us)
            m = r;
        if (m == i)
            break;
        heap_swap(run->heap, i, m);
        i = m;
    }
    return top;
}

void gxlt_run_due(gxlt_run *run)
{
    uint64_t now = gxlt_now_us();
    while (run->nheap && run->heap[0].due_us <= now) {
        gxlt_event e = heap_pop(run);
        e.fn(e.actor, e.arg);
    }
}

/* ---- tasks ---- */

gxlt_task *gxlt_task_get(gxlt_run *run, const char *id)
{
    gxlt_task *t = gx_map_get(&run->tasks, id);
    if (t)
        return t;
    t = calloc(1, sizeof(*t));
    if (!t)
        abort(); /* the tester cannot measure without its task table */
    snprintf(t->id, sizeof(t->id), "%s", id);
    t->winner = -1;
    gx_map_set(&run->tasks, t->id, t);
    return t;
}

void gxlt_task_born(gxlt_run *run, gxlt_task *t, uint64_t t0_us)
{
    t->t0_us = t0_us;
    for (int i = 0; i < t->nearly; i++)
        gxlt_observe(run, M_OFFER, t->early[i] > t0_us ? t->early[i] - t0_us : 0);
    free(t->early);
    t->early = NULL;
    t->nearly = 0;
    if (t->assigned_us) /* claimed before its creating request's answer reached the tester */
        gxlt_observe(run, M_WAIT, t->assigned_us > t0_us ? t->assigned_us - t0_us : 0);
}

void gxlt_observe(gxlt_run *run, enum gxlt_metric m, uint64_t us)
{
    gxlt_hist_add(&run->st.total[m], us);
    gxlt_hist_add(&run->st.window[m], us);
}

void gxlt_error(gxlt_run *run, const char *code, bool expected)
{
    json_t *n = json_object_get(run->st.errors, code);
    json_object_set_new(run->st.errors, code, json_integer(json_integer_value(n) + 1));
    if (!expected)
        run->st.v[V_ERROR]++;
}

uint64_t gxlt_stamp_of(const char *text)
{
    unsigned long long us;
    return text && sscanf(text, "[lt %llu]", &us) == 1 ? (uint64_t)us : 0;
}

bool gxlt_send(gxc_conn *c, json_t *msg)
{
    char *s = json_dumps(msg, JSON_COMPACT);
    bool ok = s && c && gxc_send(c, s, strlen(s)) == 0;
    free(s);
    return ok;
}

bool gxlt_is_loopback(const char *host)
{
    struct in_addr a;
    if (strcmp(host, "localhost") == 0)
        return true;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* One address has about 28,000 ephemeral ports, but the kernel's search for a free one
 * slows long before they run out: 19,000 sockets from one address took 7.8 s to connect,
 * from two 1.8 s. So at most 10,000 per address. A bound source port may meet a 4-tuple
 * the server still holds in TIME_WAIT from an earlier run; with TCP timestamps (Linux's
 * default) the server takes the new SYN, and nine back-to-back runs of 19,000 saw no
 * connect slower than 80 ms. */
#define GXLT_SOCKETS_PER_IP 10000

int gxlt_source_ips_for(double sockets_per_url, bool loopback)
{
    if (!loopback || sockets_per_url <= GXLT_SOCKETS_PER_IP)
        return 0;
    double n = sockets_per_url / GXLT_SOCKETS_PER_IP;
    return n >= GXLT_SOURCE_IPS_MAX ? GXLT_SOURCE_IPS_MAX : (int)n + 1;
}

gxc_target gxlt_target(gxlt_run *run, int i, char *ipbuf)
{
    int u = i % run->nurls;
    gxc_target t = {
        .host = run->hosts[u], .port = run->ports[u], .path = "/ws", .protocol = "gigcx.v1"};
    if (run->source_ips > 0) { /* 127.0.0.2 .. : each address has its own ephemeral ports */
        unsigned last =
            2u + (unsigned)(i / run->nurls) % (unsigned)run->source_ips % GXLT_SOURCE_IPS_MAX;
        snprintf(ipbuf, 16, "127.0.0.%u", last);
        t.source_ip = ipbuf;
    }
    return t;
}
