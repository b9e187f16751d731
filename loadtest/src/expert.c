/* Simulated experts: connect, say hello (resuming held tasks after a drop), go available,
 * take offers, claim after a think time, answer each customer message once and resolve
 * after the scenario's number of messages. They measure offer delivery, claim round trip,
 * chat latency and queue wait, and check claims and withdrawals.
 *
 * In a drain run (backlog > 0) they work like the console with a person who never pauses:
 * the open offers are kept in order (priority first, then the task's created_at, then
 * arrival), any offer.withdrawn removes one whatever its reason; each free slot claims the
 * first open offer not already being claimed (claim_pick "random": any of them; after
 * claim_think, 0 = at once); a conflict
 * drops that offer and the next is tried at once; capacity stops claiming until a slot
 * frees (or a second passed); an assigned task is resolved after handle_ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"

#define GXLT_INFLIGHT_MAX 16 /* capacity is at most 10 */

struct gxlt_expert {
    gxlt_run *run; /* borrowed */
    int idx;
    char id[64];
    char *token; /* owned */
    gxc_conn *c;
    char ip[16];
    uint64_t t_conn;
    bool welcomed, ever_welcomed, dropping, connecting;
    int held, claiming, replies_total;
    bool thinking;      /* a claim is scheduled */
    gxlt_task **offers; /* owned array: offers not yet claimed nor withdrawn */
    int noffers, capoffers;
    gxlt_task **holds; /* owned array: tasks held */
    int nholds, capholds;
    int *replies; /* per hold: messages answered */
    uint64_t seq;
    bool avail;   /* the server answered presence.set available, and the socket is up */
    int cap;      /* capacity, as the server's presence reply gave it */
    int tasks;    /* assigned over the run */
    bool blocked; /* drain: refused for capacity; no claim until a slot frees */
    struct {
        gxlt_task *t;
        uint64_t seq;
    } inflight[GXLT_INFLIGHT_MAX]; /* drain: claims sent and not answered */
    int ninflight;
    uint64_t claim_seq;
};

static void expert_connect(gxlt_expert *e);
static void handshake_over(gxlt_expert *e);
static void set_welcomed(gxlt_expert *e, bool welcomed);

static bool push(void ***arr, int *n, int *cap, void *v)
{
    if (*n == *cap) {
        int ncap = *cap ? *cap * 2 : 8;
        void **a = realloc(*arr, (size_t)ncap * sizeof(void *));
        if (!a)
            return false;
        *arr = a;
        *cap = ncap;
    }
    (*arr)[(*n)++] = v;
    return true;
}

static int find(void **arr, int n, void *v)
{
    for (int i = 0; i < n; i++)
        if (arr[i] == v)
            return i;
    return -1;
}

/* Keeps the others in order: the oldest open offer stays first. */
static void remove_offer(gxlt_expert *e, gxlt_task *t)
{
    int i = find((void **)e->offers, e->noffers, t);
    if (i >= 0)
        memmove(e->offers + i, e->offers + i + 1, (size_t)(--e->noffers - i) * sizeof(*e->offers));
}

static bool has_room(const gxlt_expert *e)
{
    return e->held + e->claiming < e->cap;
}

/* Slots as a drain counts them, of a connected, available expert: free (capacity less held
 * tasks and claims in flight) and claiming. Every change goes to gxlt_drain_slots (the
 * integrals while work waits). */
typedef struct {
    int free, claiming;
} slots_t;

static slots_t slots_of(const gxlt_expert *e)
{
    int f = e->cap - e->held - e->claiming;
    return e->avail ? (slots_t){f > 0 ? f : 0, e->claiming} : (slots_t){0, 0};
}

static void slots_changed(gxlt_expert *e, slots_t before)
{
    slots_t now = slots_of(e);
    gxlt_drain_slots(e->run, now.free - before.free, now.claiming - before.claiming);
}

static void set_avail(gxlt_expert *e, bool avail)
{
    if (e->avail != avail)
        e->run->available_now += avail ? 1 : -1;
    e->avail = avail;
}

static void claim_next(void *actor, void *arg);
static void kick(gxlt_expert *e);
static int hold_index(gxlt_expert *e, gxlt_task *t);

static void maybe_think(gxlt_expert *e)
{
    if (!e->run->sc.claim || e->thinking || !e->noffers || !has_room(e) || !e->welcomed)
        return;
    e->thinking = true;
    gxlt_at(e->run, gxlt_draw_us(e->run->sc.claim_think), claim_next, e, NULL);
}

/* The think time is over: claim the oldest offer nobody is known to have won. */
static void claim_next(void *actor, void *arg)
{
    (void)arg;
    gxlt_expert *e = actor;
    e->thinking = false;
    while (e->noffers && e->welcomed && has_room(e)) {
        gxlt_task *t = e->offers[0];
        memmove(e->offers, e->offers + 1, (size_t)--e->noffers * sizeof(*e->offers));
        if (t->winner >= 0)
            continue; /* its withdrawal is on the way */
        char ref[32];
        snprintf(ref, sizeof(ref), "c%llu", (unsigned long long)gxlt_now_us());
        json_t *m = json_pack("{s:s, s:s, s:s}", "type", "task.claim", "task", t->id, "ref", ref);
        if (gxlt_send(e->c, m)) {
            e->claiming++;
            e->run->st.claims_sent++;
        }
        json_decref(m);
        break;
    }
    maybe_think(e);
}

/* ---- drain: claiming like the console ---- */

/* Whether offer a goes before offer b: higher priority first, then older. */
static bool goes_before(const gxlt_task *a, const gxlt_task *b)
{
    if (a->prio != b->prio)
        return a->prio > b->prio;
    return a->created_ms < b->created_ms;
}

/* In order; among equal keys after those already there (the order they arrived in). */
static void insert_offer(gxlt_expert *e, gxlt_task *t)
{
    if (!push((void ***)&e->offers, &e->noffers, &e->capoffers, t))
        return;
    int i = e->noffers - 1;
    for (; i > 0 && goes_before(t, e->offers[i - 1]); i--)
        e->offers[i] = e->offers[i - 1];
    e->offers[i] = t;
}

static int inflight_index(const gxlt_expert *e, const gxlt_task *t)
{
    for (int i = 0; i < e->ninflight; i++)
        if (e->inflight[i].t == t)
            return i;
    return -1;
}

/* The claim a reply answers, by the sequence number in its ref ("c<us>.<seq>"), taken out
 * of the claims in flight; NULL when none. */
static gxlt_task *inflight_take(gxlt_expert *e, const char *ref)
{
    const char *dot = ref ? strchr(ref, '.') : NULL;
    uint64_t seq = dot ? strtoull(dot + 1, NULL, 10) : 0;
    for (int i = 0; seq && i < e->ninflight; i++) {
        if (e->inflight[i].seq != seq)
            continue;
        gxlt_task *t = e->inflight[i].t;
        e->inflight[i] = e->inflight[--e->ninflight];
        return t;
    }
    return NULL;
}

/* The open offer a free slot claims: the first not already being claimed, or with
 * claim_pick "random" any of them. NULL when none. */
static gxlt_task *pick(gxlt_expert *e)
{
    int n = 0;
    for (int i = 0; i < e->noffers; i++) {
        if (inflight_index(e, e->offers[i]) >= 0)
            continue;
        if (!e->run->sc.claim_random)
            return e->offers[i];
        n++;
    }
    int k = n ? (int)(random() % n) : 0;
    for (int i = 0; n && i < e->noffers; i++)
        if (inflight_index(e, e->offers[i]) < 0 && k-- == 0)
            return e->offers[i];
    return NULL;
}

/* Each free slot claims an open offer not already being claimed. */
static void drain_claim(gxlt_expert *e)
{
    gxlt_run *run = e->run;
    e->thinking = false;
    if (!e->welcomed || !e->avail || e->blocked)
        return;
    while (has_room(e) && e->ninflight < GXLT_INFLIGHT_MAX) {
        gxlt_task *t = pick(e);
        if (!t)
            break;
        char ref[48];
        uint64_t seq = ++e->claim_seq;
        snprintf(ref, sizeof(ref), "c%llu.%llu", (unsigned long long)gxlt_now_us(),
                 (unsigned long long)seq);
        json_t *m = json_pack("{s:s, s:s, s:s}", "type", "task.claim", "task", t->id, "ref", ref);
        bool sent = gxlt_send(e->c, m);
        json_decref(m);
        if (!sent)
            break;
        slots_t f0 = slots_of(e);
        e->inflight[e->ninflight].t = t;
        e->inflight[e->ninflight++].seq = seq;
        e->claiming++;
        run->st.claims_sent++;
        slots_changed(e, f0);
    }
}

static void drain_claim_due(void *actor, void *arg)
{
    (void)arg;
    drain_claim(actor);
}

static void drain_kick(gxlt_expert *e)
{
    gxlt_run *run = e->run;
    if (e->thinking)
        return;
    if (run->sc.claim_think.hi <= 0) {
        drain_claim(e);
        return;
    }
    if (!e->welcomed || !e->avail || e->blocked || !e->noffers || !has_room(e))
        return;
    e->thinking = true;
    gxlt_at(run, gxlt_draw_us(run->sc.claim_think), drain_claim_due, e, NULL);
}

/* A second after a capacity refusal with no slot freed since: try again (the console's
 * person would), so a server that miscounts cannot park the expert for good. */
static void drain_unblock(void *actor, void *arg)
{
    (void)arg;
    gxlt_expert *e = actor;
    if (!e->blocked)
        return;
    e->blocked = false;
    drain_kick(e);
}

/* Something changed that may let the expert claim. */
static void kick(gxlt_expert *e)
{
    if (e->run->dr.on)
        drain_kick(e);
    else
        maybe_think(e);
}

/* The handle time is over: resolve (again after a reconnect, if the socket is down). */
static void drain_resolve(void *actor, void *arg)
{
    gxlt_expert *e = actor;
    gxlt_task *t = arg;
    if (hold_index(e, t) < 0 || e->run->stopping)
        return;
    json_t *m = json_pack("{s:s, s:s, s:s}", "type", "task.resolve", "task", t->id, "ref", "r");
    bool sent = e->welcomed && gxlt_send(e->c, m);
    json_decref(m);
    if (!sent)
        gxlt_at(e->run, 100000, drain_resolve, e, t);
}

static int hold_index(gxlt_expert *e, gxlt_task *t)
{
    return find((void **)e->holds, e->nholds, t);
}

static void drop_hold(gxlt_expert *e, gxlt_task *t)
{
    int i = hold_index(e, t);
    if (i < 0)
        return;
    slots_t f0 = slots_of(e);
    e->holds[i] = e->holds[--e->nholds];
    e->replies[i] = e->replies[e->nholds];
    e->held--;
    e->blocked = false; /* a slot freed */
    slots_changed(e, f0);
    kick(e);
}

static void send_chat(gxlt_run *run, gxc_conn *c, gxlt_task *t, const char *who, uint64_t n)
{
    char text[64], cid[40];
    snprintf(text, sizeof(text), "[lt %llu] %s message %llu", (unsigned long long)gxlt_now_us(),
             who, (unsigned long long)n);
    snprintf(cid, sizeof(cid), "%s%llu", who, (unsigned long long)n);
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "chat.send", "task", t->id, "text",
                          text, "cid", cid, "ref", "m");
    if (gxlt_send(c, m))
        run->st.msgs_sent++;
    json_decref(m);
}

static void resolve(void *actor, void *arg)
{
    gxlt_expert *e = actor;
    gxlt_task *t = arg;
    if (hold_index(e, t) < 0)
        return;
    json_t *m = json_pack("{s:s, s:s, s:s}", "type", "task.resolve", "task", t->id, "ref", "r");
    gxlt_send(e->c, m);
    json_decref(m);
}

/* Answers one customer message; the last answer is followed by resolve. */
static void reply(void *actor, void *arg)
{
    gxlt_expert *e = actor;
    gxlt_task *t = arg;
    int i = hold_index(e, t);
    if (i < 0 || !e->welcomed)
        return;
    send_chat(e->run, e->c, t, "e", ++e->seq);
    if (++e->replies[i] >= e->run->sc.messages)
        resolve(e, t);
}

static void on_assigned(gxlt_expert *e, json_t *m, uint64_t now)
{
    gxlt_run *run = e->run;
    gxlt_task *t = gxlt_task_get(run, json_string_value(json_object_get(m, "task")));
    const char *ref = json_string_value(json_object_get(m, "ref"));
    slots_t f0 = slots_of(e);
    if (ref && ref[0] == 'c') {
        e->claiming--;
        inflight_take(e, ref);
        gxlt_observe(run, M_CLAIM, now - strtoull(ref + 1, NULL, 10));
    }
    if (t->winner >= 0 && t->winner != e->idx)
        run->st.v[V_DOUBLE_CLAIM]++;
    t->winner = e->idx;
    run->st.claims_won++;
    run->st.tasks_assigned++;
    e->tasks++;
    bool first = !t->assigned_us;
    if (first)
        t->assigned_us = now;
    if (t->t0_us)
        gxlt_observe(run, M_WAIT, now - t->t0_us);
    gxlt_drain_assigned(run, t, first, now);
    remove_offer(e, t);
    if (!push((void ***)&e->holds, &e->nholds, &e->capholds, t)) {
        slots_changed(e, f0);
        return;
    }
    e->replies = realloc(e->replies, (size_t)e->capholds * sizeof(int));
    e->replies[e->nholds - 1] = 0;
    e->held++;
    slots_changed(e, f0);
    /* the customer's messages sent while the task waited are in history: count them seen */
    json_t *h = json_object_get(m, "history"), *x;
    size_t k;
    json_array_foreach(h, k, x)
    {
        gx_sid id;
        const char *cid = json_string_value(json_object_get(x, "cid"));
        if (cid && strcmp(cid, "open") != 0 &&
            !gx_sid_parse(json_string_value(json_object_get(x, "id")), &id)) {
            t->received[0]++;
            t->last[0] = id;
        }
    }
    if (run->dr.on)
        gxlt_at(run, gxlt_draw_us(run->sc.handle_ms), drain_resolve, e, t);
    else if (run->sc.messages == 0 && run->sc.chat_pairs == 0)
        gxlt_at(run, gxlt_draw_us(run->sc.reply_think), resolve, e, t);
}

/* A chat.message from the customer (own echoes are ignored): order, dup, latency. */
void gxlt_receive_chat(gxlt_run *run, gxlt_task *t, int from, json_t *m, uint64_t now)
{
    gx_sid id;
    if (gx_sid_parse(json_string_value(json_object_get(m, "id")), &id))
        return;
    int c = gx_sid_cmp(id, t->last[from]);
    if (c == 0) {
        run->st.v[V_DUP]++;
        return;
    }
    if (c < 0) {
        run->st.v[V_ORDER]++;
        return;
    }
    t->last[from] = id;
    t->received[from]++;
    run->st.msgs_received++;
    uint64_t sent = gxlt_stamp_of(json_string_value(json_object_get(m, "text")));
    if (sent && now >= sent)
        gxlt_observe(run, M_CHAT, now - sent);
}

static void on_chat(gxlt_expert *e, json_t *m, uint64_t now)
{
    const char *role = json_string_value(json_object_get(json_object_get(m, "from"), "role"));
    if (!role || strcmp(role, "customer") != 0)
        return;
    gxlt_run *run = e->run;
    gxlt_task *t = gxlt_task_get(run, json_string_value(json_object_get(m, "task")));
    int before = t->received[0];
    gxlt_receive_chat(run, t, 0, m, now);
    if (t->received[0] != before && run->sc.chat_pairs == 0)
        gxlt_at(run, gxlt_draw_us(run->sc.reply_think), reply, e, t);
}

/* first: the offer's first wave. Later waves come T seconds later by the brand's design,
 * so only first waves measure how fast gigcxd delivers. */
static void on_offer(gxlt_expert *e, gxlt_task *t, bool first, uint64_t now)
{
    gxlt_run *run = e->run;
    run->st.offers++;
    if (run->dr.on) { /* a drain times the first offer of each task only: later ones are pulls */
        first = !t->offered;
        t->offered = true;
        gxlt_drain_known(run, t);
    }
    if (!first) {
        /* counted, not timed */
    } else if (t->t0_us) {
        gxlt_observe(run, M_OFFER, now - t->t0_us);
    } else {
        uint64_t *n = realloc(t->early, (size_t)(t->nearly + 1) * sizeof(*n));
        if (n) {
            t->early = n;
            t->early[t->nearly++] = now;
        }
    }
    if (find((void **)e->offers, e->noffers, t) >= 0 || hold_index(e, t) >= 0) {
        /* a repeat (offers are idempotent per task) */
    } else if (run->dr.on) {
        insert_offer(e, t);
    } else {
        push((void ***)&e->offers, &e->noffers, &e->capoffers, t);
    }
    kick(e);
}

static void on_error(gxlt_expert *e, const char *code, const char *ref, uint64_t now)
{
    bool claim = ref && ref[0] == 'c';
    bool conflict = code && strcmp(code, "conflict") == 0;
    bool capacity = code && strcmp(code, "capacity") == 0;
    if (claim) {
        slots_t f0 = slots_of(e);
        e->claiming--;
        gxlt_task *t = inflight_take(e, ref);
        gxlt_observe(e->run, M_CLAIM, now - strtoull(ref + 1, NULL, 10));
        if (conflict)
            e->run->st.claims_lost++;
        if (t && capacity) { /* the offer stays open: claimed again once a slot frees */
            e->blocked = true;
            gxlt_at(e->run, 1000000, drain_unblock, e, NULL);
        } else if (t) /* someone else holds it, or it cannot be had: gone from the list */
            remove_offer(e, t);
        slots_changed(e, f0);
    }
    /* a drain expert is refused for capacity when the server counts a slot it has not yet
     * freed: expected, and counted under errors */
    gxlt_error(e->run, code ? code : "?", claim && (conflict || (capacity && e->run->dr.on)));
    kick(e);
}

static void on_update(gxlt_expert *e, json_t *m)
{
    const char *status = json_string_value(json_object_get(m, "status"));
    gxlt_task *t = gxlt_task_get(e->run, json_string_value(json_object_get(m, "task")));
    if (!status || strcmp(status, "assigned") == 0 || strcmp(status, "queued") == 0)
        return;
    if (strcmp(status, "resolved") == 0 && hold_index(e, t) >= 0) {
        e->run->st.tasks_resolved++;
        gxlt_drain_resolved(e->run, gxlt_now_us());
    }
    drop_hold(e, t);
}

/* The server's answer to presence.set: available or not, and the capacity that applies. */
static void on_presence(gxlt_expert *e, json_t *m)
{
    const char *status = json_string_value(json_object_get(m, "status"));
    json_int_t cap = json_integer_value(json_object_get(m, "capacity"));
    slots_t f0 = slots_of(e);
    set_avail(e, e->welcomed && status && strcmp(status, "available") == 0);
    if (cap > 0)
        e->cap = (int)cap;
    slots_changed(e, f0);
    kick(e);
}

static void on_welcome(gxlt_expert *e, uint64_t now)
{
    gxlt_run *run = e->run;
    handshake_over(e);
    set_welcomed(e, true);
    gxlt_observe(run, M_CONNECT, now - e->t_conn);
    run->st.welcomed++;
    e->ever_welcomed = true;
    /* in chat mode only the pairs' experts take work; the rest stay connected, away */
    bool works = run->sc.chat_pairs == 0 || e->idx < run->sc.chat_pairs;
    if (run->dr.on && run->sc.backlog_first && !run->dr.released)
        works = false; /* away until the backlog is queued (gxlt_experts_go_available) */
    json_t *m = json_pack("{s:s, s:s, s:i}", "type", "presence.set", "status",
                          works ? "available" : "away", "capacity", run->sc.capacity);
    gxlt_send(e->c, m);
    json_decref(m);
    if (run->storm_us && gxlt_experts_welcomed(run) == run->sc.experts &&
        run->st.reconnect_all_s == 0)
        run->st.reconnect_all_s = (double)(now - run->storm_us) / 1e6;
}

/* The string value of "key" in a compact JSON object, when it has no escapes (ids never
 * do). A fan-out brings thousands of offers at once: reading two fields of them without a
 * full parse keeps the tester from measuring itself. */
static bool scan_str(const char *text, size_t len, const char *key, char *out, size_t cap)
{
    char pat[32];
    int n = snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = memmem(text, len, pat, (size_t)n);
    if (!p)
        return false;
    p += n;
    const char *end = memchr(p, '"', len - (size_t)(p - text));
    if (!end || (size_t)(end - p) >= cap || memchr(p, '\\', (size_t)(end - p)))
        return false;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return true;
}

/* The integer value of "key" in a compact JSON object. */
static bool scan_ll(const char *text, size_t len, const char *key, long long *out)
{
    char pat[32];
    int n = snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = memmem(text, len, pat, (size_t)n), *end = text + len;
    if (!p)
        return false;
    p += n;
    bool neg = p < end && *p == '-';
    p += neg;
    long long v = 0;
    int digits = 0;
    for (; p < end && *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
        v = v * 10 + (*p - '0');
    *out = neg ? -v : v;
    return digits > 0;
}

/* offer, offer.withdrawn and the error answering a claim (most of them conflict: a drain's
 * experts all claim the first open offer) without a JSON parse; false for anything else. */
static bool fast_path(gxlt_expert *e, const char *text, size_t len, uint64_t now)
{
    char type[24], task[72], code[24], ref[48];
    if (!scan_str(text, len, "type", type, sizeof(type)))
        return false;
    if (strcmp(type, "error") == 0) {
        if (!scan_str(text, len, "ref", ref, sizeof(ref)) || ref[0] != 'c' ||
            !scan_str(text, len, "code", code, sizeof(code)))
            return false;
        on_error(e, code, ref, now);
        return true;
    }
    if ((strcmp(type, "offer") != 0 && strcmp(type, "offer.withdrawn") != 0) ||
        !scan_str(text, len, "task", task, sizeof(task)))
        return false;
    gxlt_task *t = gxlt_task_get(e->run, task);
    if (type[5] == '\0' && e->run->dr.on && !t->keyed) { /* the drain's order of offers */
        long long prio = 0, created = 0;
        scan_ll(text, len, "priority", &prio);
        scan_ll(text, len, "created_at", &created);
        t->prio = (int)prio;
        t->created_ms = created;
        t->keyed = true;
    }
    if (type[5] == '\0') {
        bool first = !memmem(text, len, "\"wave\":", 7) || memmem(text, len, "\"wave\":0", 8);
        on_offer(e, t, first, now);
    } else {
        e->run->st.withdrawals++;
        remove_offer(e, t);
    }
    return true;
}

static void on_text(gxc_conn *c, const char *text, size_t len, void *user)
{
    (void)c;
    gxlt_expert *e = user;
    uint64_t now = gxlt_now_us();
    if (fast_path(e, text, len, now))
        return;
    json_t *m = json_loadb(text, len, 0, NULL);
    const char *type = json_string_value(json_object_get(m, "type"));
    if (!type) {
        gxlt_error(e->run, "invalid_frame", false);
    } else if (strcmp(type, "chat.message") == 0) {
        on_chat(e, m, now);
    } else if (strcmp(type, "chat.ack") == 0) {
        gxlt_task_get(e->run, json_string_value(json_object_get(m, "task")))->acked[1]++;
        e->run->st.msgs_acked++;
    } else if (strcmp(type, "task.assigned") == 0) {
        on_assigned(e, m, now);
    } else if (strcmp(type, "task.update") == 0) {
        on_update(e, m);
    } else if (strcmp(type, "error") == 0) {
        on_error(e, json_string_value(json_object_get(m, "code")),
                 json_string_value(json_object_get(m, "ref")), now);
    } else if (strcmp(type, "welcome") == 0) {
        on_welcome(e, now);
    } else if (strcmp(type, "presence") == 0) {
        on_presence(e, m);
    }
    json_decref(m);
}

static void on_open(gxc_conn *c, void *user)
{
    gxlt_expert *e = user;
    json_t *resume = json_object();
    for (int i = 0; i < e->nholds; i++) {
        char id[48];
        gx_sid_format(e->holds[i]->last[0], id, sizeof(id));
        json_object_set_new(resume, e->holds[i]->id, json_string(id));
    }
    json_t *h = json_pack("{s:s, s:s, s:o}", "type", "hello", "token", e->token, "resume", resume);
    gxlt_send(c, h);
    json_decref(h);
}

/* Reconnects wait in a ring and start as handshakes finish (gxlt_experts_pump): a
 * storm's thousands of simultaneous handshakes would each walk lws's sorted timer list. */
static void reconnect(void *actor, void *arg)
{
    (void)arg;
    gxlt_expert *e = actor;
    gxlt_run *run = e->run;
    run->rq[(run->rq_head + run->rq_len++) % (size_t)run->sc.experts] = e;
}

void gxlt_experts_pump(gxlt_run *run, int cap)
{
    while (run->rq_len && run->connecting < cap && !run->stopping) {
        gxlt_expert *e = run->rq[run->rq_head];
        run->rq_head = (run->rq_head + 1) % (size_t)run->sc.experts;
        run->rq_len--;
        expert_connect(e);
    }
}

static void handshake_over(gxlt_expert *e)
{
    if (e->connecting)
        e->run->connecting--;
    e->connecting = false;
}

static void on_close(gxc_conn *c, int code, void *user)
{
    (void)c;
    gxlt_expert *e = user;
    gxlt_run *run = e->run;
    handshake_over(e);
    e->c = NULL;
    slots_t f0 = slots_of(e);
    set_welcomed(e, false);
    set_avail(e, false);
    e->claiming = 0;
    e->ninflight = 0;
    e->blocked = false;
    e->noffers = 0; /* offers die with the socket; going available again resends them */
    slots_changed(e, f0);
    if (run->stopping)
        return;
    if (code == -1)
        run->st.connect_failures++;
    if (!e->dropping)
        run->st.v[V_CLOSE]++;
    e->dropping = false;
    run->st.reconnects++;
    /* a storm reconnects at once; anything else backs off a little */
    gxlt_at(run, run->storm_us ? 0 : 500000, reconnect, e, NULL);
}

static const gxc_callbacks expert_cbs = {
    .on_open = on_open, .on_text = on_text, .on_close = on_close};

static void expert_connect(gxlt_expert *e)
{
    gxc_target t = gxlt_target(e->run, e->idx, e->ip);
    e->t_conn = gxlt_now_us();
    e->connecting = true;
    e->run->connecting++;
    e->c = gxc_connect(e->run->ws, &t, &expert_cbs, e);
}

void gxlt_experts_connect(gxlt_run *run, int from, int to)
{
    for (int i = from; i < to && i < run->sc.experts; i++)
        expert_connect(&run->experts[i]);
}

/* The one place welcomed changes, so the count of welcomed experts is kept, not scanned
 * (a storm asks for it on every welcome). */
static void set_welcomed(gxlt_expert *e, bool welcomed)
{
    if (e->welcomed != welcomed)
        e->run->welcomed_now += welcomed ? 1 : -1;
    e->welcomed = welcomed;
}

int gxlt_experts_welcomed(gxlt_run *run)
{
    return run->welcomed_now;
}

int gxlt_experts_available(gxlt_run *run)
{
    return run->available_now;
}

void gxlt_experts_go_available(gxlt_run *run)
{
    run->dr.released = true;
    for (int i = 0; run->experts && i < run->sc.experts; i++) {
        gxlt_expert *e = &run->experts[i];
        if (!e->c || !e->welcomed)
            continue;
        json_t *m = json_pack("{s:s, s:s, s:i}", "type", "presence.set", "status", "available",
                              "capacity", run->sc.capacity);
        gxlt_send(e->c, m);
        json_decref(m);
    }
}

int gxlt_experts_offers_held(gxlt_run *run)
{
    int n = 0;
    for (int i = 0; run->experts && i < run->sc.experts; i++)
        n += run->experts[i].noffers;
    return n;
}

void gxlt_experts_tasks(gxlt_run *run, int *counts)
{
    for (int i = 0; i < run->sc.experts; i++)
        counts[i] = run->experts ? run->experts[i].tasks : 0;
}

void gxlt_experts_storm(gxlt_run *run)
{
    run->storm_us = gxlt_now_us();
    for (int i = 0; i < run->sc.experts; i++) {
        gxlt_expert *e = &run->experts[i];
        if (!e->c)
            continue;
        e->dropping = true;
        set_welcomed(e, false);
        gxc_drop(e->c);
    }
}

/* Offers still held for tasks someone else won were never withdrawn. */
void gxlt_experts_finish(gxlt_run *run)
{
    for (int i = 0; i < run->sc.experts; i++) {
        gxlt_expert *e = &run->experts[i];
        for (int k = 0; k < e->noffers; k++)
            if (e->offers[k]->winner >= 0 && e->offers[k]->winner != i)
                run->st.v[V_UNWITHDRAWN]++;
    }
}

/* Profiles and tokens through the admin API, before the clock starts. */
int gxlt_experts_setup(gxlt_run *run)
{
    run->experts = calloc((size_t)run->sc.experts + 1, sizeof(*run->experts));
    run->rq = calloc((size_t)run->sc.experts + 1, sizeof(*run->rq));
    if (!run->experts || !run->rq)
        return -1;
    for (int i = 0; i < run->sc.experts; i++) {
        gxlt_expert *e = &run->experts[i];
        e->run = run;
        e->idx = i;
        e->cap = run->sc.capacity;
        snprintf(e->id, sizeof(e->id), "%s-e%d", run->prefix, i);
        char path[128], body[512], *out = NULL;
        snprintf(path, sizeof(path), "/api/v1/experts/%s", e->id);
        snprintf(body, sizeof(body),
                 "{\"name\":\"Expert %d\",\"skills\":[\"billing\"],\"languages\":[\"en\"],"
                 "\"tier\":2,\"brands\":[\"%s\"],\"capacity\":%d}",
                 i, run->prefix, run->sc.capacity);
        int st = gxlt_rest_call(run->rest[0], "PUT", path, run->admin_key, body, NULL);
        if (st / 100 != 2) {
            fprintf(stderr, "gigcx-loadtest: PUT %s answered %d\n", path, st);
            return -1;
        }
        snprintf(body, sizeof(body),
                 "{\"sub\":\"%s\",\"role\":\"expert\",\"name\":\"Expert %d\",\"ttl_s\":86400}",
                 e->id, i);
        st = gxlt_rest_call(run->rest[0], "POST", "/api/v1/tokens", run->admin_key, body, &out);
        json_t *j = st == 201 ? json_loads(out, 0, NULL) : NULL;
        const char *tok = json_string_value(json_object_get(j, "token"));
        e->token = tok ? strdup(tok) : NULL;
        json_decref(j);
        free(out);
        if (!e->token) {
            fprintf(stderr, "gigcx-loadtest: no token for %s (%d)\n", e->id, st);
            return -1;
        }
    }
    return 0;
}

void gxlt_experts_free(gxlt_run *run)
{
    for (int i = 0; run->experts && i < run->sc.experts; i++) {
        gxlt_expert *e = &run->experts[i];
        free(e->token);
        free(e->offers);
        free(e->holds);
        free(e->replies);
    }
    free(run->experts);
    free(run->rq);
    run->experts = NULL;
    run->rq = NULL;
}

gxc_conn *gxlt_expert_conn(gxlt_run *run, int idx)
{
    return idx >= 0 && idx < run->sc.experts && run->experts[idx].welcomed ? run->experts[idx].c
                                                                           : NULL;
}

void gxlt_expert_say(gxlt_run *run, int idx, gxlt_task *t)
{
    gxlt_expert *e = &run->experts[idx];
    if (e->welcomed)
        send_chat(run, e->c, t, "e", ++e->seq);
}
