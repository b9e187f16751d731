/* Work-conserving routing across two nodes: a backlog drains as fast as experts free their
 * slots; a higher priority gets through an expert at the spreading limit; a wave gives
 * way when the experts it reached go away, reach capacity or decline; a slot freed on one
 * node pulls a task created on the other; a claim race of 50 experts over 200 tasks ends
 * with every task assigned, once. Each test uses its own brand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"

static const char *const extra[] = {"--ws-rate", "5000", "--user-rate", "5000", NULL};
GXT_FIXTURES(2, extra)

/* A brand with these waves (size 0 = everyone at once); returns its api key. */
static char *brand(const char *id, int size, int interval_s)
{
    char *key = gxt_brand(&env, id);
    char body[256], path[64];
    snprintf(path, sizeof(path), "/api/v1/brands/%s", id);
    snprintf(body, sizeof(body),
             "{\"name\":\"%s\",\"pay\":{\"amount\":5,\"currency\":\"EUR\"},"
             "\"widget_origins\":[],"
             "\"topics\":{\"billing\":{}},\"languages\":[\"en\"],"
             "\"waves\":{\"size\":%d,\"interval_s\":%d}}",
             id, size, interval_s);
    assert_int_equal(gxt_http(&env, 0, "PUT", path, GXT_ADMIN, NULL, body, NULL), 200);
    return key;
}

/* Expert id of brand b with capacity cap, logged in on node and available. */
static gxt_conn *expert(const char *id, const char *b, int cap, int node)
{
    gxt_expert(&env, id, b, cap);
    char *tok = gxt_token(&env, id, "expert", NULL);
    gxt_conn *c = gxt_login(&env, node, tok, NULL, NULL);
    free(tok);
    gxt_send(c, "{s:s, s:s, s:i}", "type", "presence.set", "status", "available", "capacity", cap);
    json_decref(gxt_must(c, "presence", 3000));
    return c;
}

/* The oldest message c received (new reference), or NULL. */
static json_t *take(gxt_conn *c)
{
    if (!json_array_size(c->inbox))
        return NULL;
    json_t *m = json_incref(json_array_get(c->inbox, 0));
    json_array_remove(c->inbox, 0);
    return m;
}

/* Whether an offer of task reaches c within ms: takes it (other messages stay queued). */
static bool offered(gxt_conn *c, const char *task, int ms)
{
    int64_t end = gxt_now_ms() + ms;
    do {
        for (size_t i = 0; i < json_array_size(c->inbox); i++) {
            json_t *m = json_array_get(c->inbox, i);
            if (!strcmp(gxt_str(m, "type"), "offer") && !strcmp(gxt_str(m, "task"), task)) {
                json_array_remove(c->inbox, i);
                return true;
            }
        }
        gxt_pump(&env, 10);
    } while (gxt_now_ms() < end);
    return false;
}

/* Claims a task whose offer c has seen, and waits for the assignment. */
static void claim(gxt_conn *c, const char *task)
{
    gxt_send(c, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_decref(gxt_must(c, "task.assigned", 3000));
}

/* ---- experts that behave like the console ---- */

#define AGENTS_MAX 64
#define OFFERS_MAX 512

typedef struct {
    gxt_conn *c;
    int cap, held, claiming;
    char offers[OFFERS_MAX][65]; /* open offers, in arrival order */
    int noffers;
    char holds[16][65];
    int64_t done_at[16]; /* when each hold is resolved */
    int nholds, won;
} agent;

static void forget_offer(agent *a, const char *task)
{
    for (int i = 0; i < a->noffers; i++)
        if (!strcmp(a->offers[i], task)) {
            memmove(a->offers[i], a->offers[i + 1],
                    sizeof(a->offers[0]) * (size_t)(a->noffers - i - 1));
            a->noffers--;
            return;
        }
}

/* Handles what came in; claims the first open offer while a slot is free; resolves holds
 * handle_ms after assignment. assigned[] counts assignments per task index (by name). */
static void agent_step(agent *a, int handle_ms, int *assigned_total)
{
    json_t *m;
    while ((m = take(a->c))) {
        const char *type = gxt_str(m, "type"), *task = gxt_str(m, "task");
        if (!strcmp(type, "offer") && a->noffers < OFFERS_MAX)
            snprintf(a->offers[a->noffers++], 65, "%s", task);
        else if (!strcmp(type, "offer.withdrawn"))
            forget_offer(a, task);
        else if (!strcmp(type, "task.assigned")) {
            a->claiming--;
            snprintf(a->holds[a->nholds], 65, "%s", task);
            a->done_at[a->nholds++] = gxt_now_ms() + handle_ms;
            a->won++;
            (*assigned_total)++;
        } else if (!strcmp(type, "error"))
            a->claiming--;
        json_decref(m);
    }
    for (int i = 0; i < a->nholds; i++)
        if (gxt_now_ms() >= a->done_at[i]) {
            gxt_send(a->c, "{s:s, s:s}", "type", "task.resolve", "task", a->holds[i]);
            a->nholds--;
            memcpy(a->holds[i], a->holds[a->nholds], 65);
            a->done_at[i] = a->done_at[a->nholds];
            i--;
        }
    while (a->nholds + a->claiming < a->cap && a->noffers) {
        gxt_send(a->c, "{s:s, s:s}", "type", "task.claim", "task", a->offers[0]);
        forget_offer(a, a->offers[0]);
        a->claiming++;
    }
}

/* Runs n agents until total assignments reach want or ms pass; returns the ms it took.
 * Then a while longer: no task may be assigned twice. */
static int64_t run_agents(agent *ag, int n, int handle_ms, int want, int ms)
{
    int total = 0;
    int64_t t0 = gxt_now_ms(), took;
    while (total < want && gxt_now_ms() - t0 < ms) {
        gxt_pump(&env, 2);
        for (int i = 0; i < n; i++)
            agent_step(&ag[i], handle_ms, &total);
    }
    took = gxt_now_ms() - t0;
    for (int64_t end = gxt_now_ms() + 300; gxt_now_ms() < end;) {
        gxt_pump(&env, 10);
        for (int i = 0; i < n; i++)
            agent_step(&ag[i], handle_ms, &total);
    }
    assert_int_equal(total, want);
    return took;
}

static void start_agents(agent *ag, int n, const char *b, int cap, const char *prefix)
{
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof(id), "%s%d", prefix, i);
        memset(&ag[i], 0, sizeof(ag[i]));
        ag[i].c = expert(id, b, cap, i % 2);
        ag[i].cap = cap;
    }
}

static void burst(const char *key, int node, int n)
{
    json_t *out[64];
    while (n > 0) {
        int k = n > 50 ? 50 : n;
        gxt_task_burst(&env, node, key, k, out);
        for (int i = 0; i < k; i++)
            json_decref(out[i]);
        n -= k;
    }
}

/* 5 experts x 2 slots, 40 tasks queued at once, each resolved 50 ms after it is assigned:
 * the ideal is 4 rounds of 50 ms; before, 13 of 40 were assigned after 15 s. */
static void test_backlog_drains(void **state)
{
    (void)state;
    char *key = brand("dr", 20, 10); /* the default waves */
    static agent ag[5];
    start_agents(ag, 5, "dr", 2, "dr");
    burst(key, 1, 40);
    int64_t ms = run_agents(ag, 5, 50, 40, 5000);
    print_message("40 tasks over 5 x 2 slots drained in %lld ms\n", (long long)ms);
    for (int i = 0; i < 5; i++)
        gxt_close(ag[i].c);
    free(key);
}

/* 50 experts x 10 slots, 200 tasks at once, every offer claimed at once: all assigned. */
static void test_claim_race_all_assigned(void **state)
{
    (void)state;
    char *key = brand("cr", 20, 10);
    static agent ag[50];
    start_agents(ag, 50, "cr", 10, "cr");
    burst(key, 0, 200);
    int64_t ms = run_agents(ag, 50, 60000, 200, 5000);
    print_message("200 tasks claimed by 50 experts in %lld ms\n", (long long)ms);
    for (int i = 0; i < 50; i++)
        gxt_close(ag[i].c);
    free(key);
}

/* One expert (2 slots) holding 4 offers of 12 waiting tasks: a priority-9 task displaces
 * one of them instead of staying hidden. */
static void test_priority_through_spreading_limit(void **state)
{
    (void)state;
    char *key = brand("pr", 0, 10);
    burst(key, 1, 12);
    gxt_conn *e = expert("pr1", "pr", 2, 0);
    gxt_pump(&env, 300);
    assert_int_equal(gxt_count(e, "offer"), 4); /* twice the free slots */
    json_t *t = gxt_task(&env, 1, key, "vip", "urgent", 9);
    assert_true(offered(e, gxt_str(t, "task"), 2000));
    json_t *w = gxt_must(e, "offer.withdrawn", 1000);
    assert_string_equal(gxt_str(w, "reason"), "displaced");
    json_decref(w);
    json_decref(t);
    gxt_close(e);
    free(key);
}

/* Waves of one every 30 s, two experts: who gets a task first is the better ranked. */
typedef struct {
    gxt_conn *top, *next;
} pair;

static pair two_experts(const char *b, const char *key, int cap, json_t **first)
{
    char a[16], c[16];
    snprintf(a, sizeof(a), "%s1", b);
    snprintf(c, sizeof(c), "%s2", b);
    gxt_conn *x = expert(a, b, cap, 0), *y = expert(c, b, cap, 1);
    *first = gxt_task(&env, 0, key, "c1", "help", 0);
    const char *task = gxt_str(*first, "task");
    bool to_x = offered(x, task, 2000), to_y = offered(y, task, 300);
    assert_true(to_x != to_y); /* one wave of one */
    return to_x ? (pair){x, y} : (pair){y, x};
}

static void test_waves_give_way_on_away(void **state)
{
    (void)state;
    char *key = brand("gwa", 1, 30);
    json_t *t;
    pair p = two_experts("gwa", key, 1, &t);
    gxt_send(p.top, "{s:s, s:s}", "type", "presence.set", "status", "away");
    assert_true(offered(p.next, gxt_str(t, "task"), 2000));
    json_decref(t);
    gxt_close(p.top);
    gxt_close(p.next);
    free(key);
}

static void test_waves_give_way_on_decline(void **state)
{
    (void)state;
    char *key = brand("gwd", 1, 30);
    json_t *t;
    pair p = two_experts("gwd", key, 1, &t);
    const char *task = gxt_str(t, "task");
    gxt_send(p.top, "{s:s, s:s, s:s}", "type", "offer.decline", "task", task, "ref", "d1");
    json_t *w = gxt_must(p.top, "offer.withdrawn", 2000);
    assert_string_equal(gxt_str(w, "reason"), "declined");
    assert_string_equal(gxt_str(w, "ref"), "d1");
    json_decref(w);
    assert_true(offered(p.next, task, 2000));
    /* going away and back, the one who holds it is sent it again (the contract's backlog) */
    gxt_send(p.next, "{s:s, s:s}", "type", "presence.set", "status", "away");
    gxt_send(p.next, "{s:s, s:s}", "type", "presence.set", "status", "available");
    assert_true(offered(p.next, task, 2000));
    /* not offered again to the one who declined, even after going away and back */
    gxt_send(p.top, "{s:s, s:s}", "type", "presence.set", "status", "away");
    gxt_send(p.top, "{s:s, s:s}", "type", "presence.set", "status", "available");
    assert_false(offered(p.top, task, 500));
    /* a second decline of it: no offer held */
    gxt_send(p.top, "{s:s, s:s}", "type", "offer.decline", "task", task);
    assert_string_equal(gxt_error_code(p.top, 2000), "not_found");
    json_decref(t);
    gxt_close(p.top);
    gxt_close(p.next);
    free(key);
}

static void test_waves_give_way_on_capacity(void **state)
{
    (void)state;
    char *key = brand("gwc", 1, 30);
    json_t *x;
    pair p = two_experts("gwc", key, 2, &x);
    json_t *t = gxt_task(&env, 1, key, "c2", "help", 0),
           *y = gxt_task(&env, 1, key, "c3", "help", 0);
    assert_true(offered(p.top, gxt_str(t, "task"), 2000));
    assert_true(offered(p.top, gxt_str(y, "task"), 2000));
    assert_false(offered(p.next, gxt_str(t, "task"), 200));
    claim(p.top, gxt_str(x, "task"));
    claim(p.top, gxt_str(y, "task"));
    /* top is at capacity: t's wave reached nobody else who can take it */
    assert_true(offered(p.next, gxt_str(t, "task"), 2000));
    json_decref(x);
    json_decref(y);
    json_decref(t);
    gxt_close(p.top);
    gxt_close(p.next);
    free(key);
}

/* An expert at capacity on node 0; a task created on node 1 waits; the expert resolves and
 * is offered it at once (the next wave is 30 s away). */
static void test_freed_slot_pulls_across_nodes(void **state)
{
    (void)state;
    char *key = brand("xn", 20, 30);
    gxt_conn *e = expert("xn1", "xn", 1, 0);
    json_t *a = gxt_task(&env, 1, key, "c1", "first", 0);
    assert_true(offered(e, gxt_str(a, "task"), 2000));
    claim(e, gxt_str(a, "task"));
    json_t *b = gxt_task(&env, 1, key, "c2", "second", 0);
    assert_false(offered(e, gxt_str(b, "task"), 300)); /* at capacity */
    int64_t t0 = gxt_now_ms();
    gxt_send(e, "{s:s, s:s}", "type", "task.resolve", "task", gxt_str(a, "task"));
    assert_true(offered(e, gxt_str(b, "task"), 1000));
    print_message("offered %lld ms after the resolve\n", (long long)(gxt_now_ms() - t0));
    json_decref(a);
    json_decref(b);
    gxt_close(e);
    free(key);
}

/* queue.get: why the console is quiet. */
static void test_queue_get_says_why(void **state)
{
    (void)state;
    char *key = brand("qg", 1, 30);
    json_t *t;
    pair p = two_experts("qg", key, 1, &t);
    gxt_send(p.next, "{s:s, s:s}", "type", "queue.get", "ref", "q1");
    json_t *q = gxt_must(p.next, "queue", 2000);
    assert_int_equal(json_integer_value(json_object_get(q, "waiting")), 1);
    assert_int_equal(json_integer_value(json_object_get(q, "reached")), 0);
    assert_int_equal(json_integer_value(json_object_get(q, "wave")), 1);
    json_decref(q);
    gxt_send(p.top, "{s:s}", "type", "queue.get");
    q = gxt_must(p.top, "queue", 2000);
    assert_int_equal(json_integer_value(json_object_get(q, "reached")), 1);
    assert_true(json_is_null(json_object_get(q, "wave")));
    json_decref(q);
    json_decref(t);
    gxt_close(p.top);
    gxt_close(p.next);
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backlog_drains),
        cmocka_unit_test(test_claim_race_all_assigned),
        cmocka_unit_test(test_priority_through_spreading_limit),
        cmocka_unit_test(test_waves_give_way_on_away),
        cmocka_unit_test(test_waves_give_way_on_decline),
        cmocka_unit_test(test_waves_give_way_on_capacity),
        cmocka_unit_test(test_freed_slot_pulls_across_nodes),
        cmocka_unit_test(test_queue_get_says_why),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
