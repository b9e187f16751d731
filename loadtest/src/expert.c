/* Simulated experts: connect, say hello (resuming held tasks after a drop), go available,
 * take offers, claim after a think time, answer each customer message once and resolve
 * after the scenario's number of messages. They measure offer delivery, claim round trip,
 * chat latency and queue wait, and check claims and withdrawals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"

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

static void remove_offer(gxlt_expert *e, gxlt_task *t)
{
    int i = find((void **)e->offers, e->noffers, t);
    if (i >= 0)
        e->offers[i] = e->offers[--e->noffers];
}

static bool has_room(const gxlt_expert *e)
{
    return e->held + e->claiming < e->run->sc.capacity;
}

static void claim_next(void *actor, void *arg);

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

static int hold_index(gxlt_expert *e, gxlt_task *t)
{
    return find((void **)e->holds, e->nholds, t);
}

static void drop_hold(gxlt_expert *e, gxlt_task *t)
{
    int i = hold_index(e, t);
    if (i < 0)
        return;
    e->holds[i] = e->holds[--e->nholds];
    e->replies[i] = e->replies[e->nholds];
    e->held--;
    maybe_think(e);
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
    if (ref && ref[0] == 'c') {
        e->claiming--;
        gxlt_observe(run, M_CLAIM, now - strtoull(ref + 1, NULL, 10));
    }
    if (t->winner >= 0 && t->winner != e->idx)
        run->st.v[V_DOUBLE_CLAIM]++;
    t->winner = e->idx;
    run->st.claims_won++;
    run->st.tasks_assigned++;
    if (!t->assigned_us)
        t->assigned_us = now;
    if (t->t0_us)
        gxlt_observe(run, M_WAIT, now - t->t0_us);
    remove_offer(e, t);
    if (!push((void ***)&e->holds, &e->nholds, &e->capholds, t))
        return;
    e->replies = realloc(e->replies, (size_t)e->capholds * sizeof(int));
    e->replies[e->nholds - 1] = 0;
    e->held++;
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
    if (run->sc.messages == 0 && run->sc.chat_pairs == 0)
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
    if (find((void **)e->offers, e->noffers, t) < 0 && hold_index(e, t) < 0)
        push((void ***)&e->offers, &e->noffers, &e->capoffers, t);
    maybe_think(e);
}

static void on_error(gxlt_expert *e, json_t *m, uint64_t now)
{
    const char *ref = json_string_value(json_object_get(m, "ref"));
    const char *code = json_string_value(json_object_get(m, "code"));
    bool claim = ref && ref[0] == 'c';
    if (claim) {
        e->claiming--;
        gxlt_observe(e->run, M_CLAIM, now - strtoull(ref + 1, NULL, 10));
        if (code && strcmp(code, "conflict") == 0)
            e->run->st.claims_lost++;
    }
    gxlt_error(e->run, code ? code : "?", claim && code && strcmp(code, "conflict") == 0);
    maybe_think(e);
}

static void on_update(gxlt_expert *e, json_t *m)
{
    const char *status = json_string_value(json_object_get(m, "status"));
    gxlt_task *t = gxlt_task_get(e->run, json_string_value(json_object_get(m, "task")));
    if (!status || strcmp(status, "assigned") == 0 || strcmp(status, "queued") == 0)
        return;
    if (strcmp(status, "resolved") == 0 && hold_index(e, t) >= 0)
        e->run->st.tasks_resolved++;
    drop_hold(e, t);
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

/* offer and offer.withdrawn without a JSON parse; false for anything else. */
static bool fast_path(gxlt_expert *e, const char *text, size_t len, uint64_t now)
{
    char type[24], task[72];
    if (!scan_str(text, len, "type", type, sizeof(type)) ||
        (strcmp(type, "offer") != 0 && strcmp(type, "offer.withdrawn") != 0) ||
        !scan_str(text, len, "task", task, sizeof(task)))
        return false;
    gxlt_task *t = gxlt_task_get(e->run, task);
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
        on_error(e, m, now);
    } else if (strcmp(type, "welcome") == 0) {
        on_welcome(e, now);
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
    set_welcomed(e, false);
    e->claiming = 0;
    e->noffers = 0; /* offers die with the socket; going available again resends them */
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
