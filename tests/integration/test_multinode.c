/* Two gigcxd processes on one Redis behave as one marketplace: offers cross nodes, chat
 * crosses nodes, one session per expert across nodes (4409), and a claim race of 60 experts
 * on 200 tasks split over both nodes has exactly one winner per task. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"

#define RACE_EXPERTS 60
#define RACE_TASKS 200

GXT_FIXTURES(2, NULL)

static gxt_conn *available(int node, const char *id, int capacity)
{
    gxt_expert(&env, id, "acme", capacity);
    char *tok = gxt_token(&env, id, "expert", NULL);
    gxt_conn *c = gxt_login(&env, node, tok, NULL, NULL);
    free(tok);
    gxt_send(c, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(c, "presence", 3000));
    return c;
}

static void test_offer_and_chat_cross_nodes(void **state)
{
    (void)state;
    gxt_conn *e = available(1, "m1", 2);
    json_t *t = gxt_task(&env, 0, env.api_key, "mc1", "order missing", 0); /* created on node 1 */
    const char *task = gxt_str(t, "task");
    json_t *o = gxt_must(e, "offer", 3000); /* received on node 2 */
    assert_string_equal(gxt_str(o, "task"), task);
    json_decref(o);
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_decref(gxt_must(e, "task.assigned", 3000));
    json_decref(gxt_must(cu, "task.update", 3000));
    gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "from n1",
             "cid", "a");
    json_t *m = gxt_must(e, "chat.message", 3000);
    assert_string_equal(gxt_str(m, "text"), "from n1");
    json_decref(m);
    gxt_send(e, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "from n2", "cid",
             "b");
    m = gxt_must(cu, "chat.message", 3000);
    if (strcmp(gxt_str(m, "text"), "from n1") == 0) { /* the customer's own message came first */
        json_decref(m);
        m = gxt_must(cu, "chat.message", 3000);
    }
    assert_string_equal(gxt_str(m, "text"), "from n2");
    json_decref(m);
    json_decref(t);
    gxt_close(e);
    gxt_close(cu);
}

static void test_second_session_replaces_first(void **state)
{
    (void)state;
    gxt_expert(&env, "twice", "acme", 1);
    char *tok = gxt_token(&env, "twice", "expert", NULL);
    gxt_conn *a = gxt_login(&env, 0, tok, NULL, NULL);
    gxt_conn *b = gxt_login(&env, 1, tok, NULL, NULL);
    assert_int_equal(gxt_wait_close(a, 3000), 4409);
    gxt_send(b, "{s:s, s:s}", "type", "presence.set", "status", "away");
    json_decref(gxt_must(b, "presence", 3000));        /* the newer one lives on */
    gxt_conn *c = gxt_login(&env, 0, tok, NULL, NULL); /* and back on node 1 again */
    assert_int_equal(gxt_wait_close(b, 3000), 4409);
    gxt_close(a);
    gxt_close(b);
    gxt_close(c);
    free(tok);
}

typedef struct {
    gxt_conn *c;
    json_t *pending; /* offered task ids not yet tried */
    json_t *offered; /* every task offered to this expert */
    json_t *settled; /* tasks this expert won, lost (conflict) or saw withdrawn */
    int inflight;
    json_t *to_resolve;  /* won tasks not yet resolved */
    int64_t pause_until; /* backing off after rate_limited, as the contract asks */
} racer;

typedef struct {
    json_t *winners; /* task -> expert index */
    json_t *gone;    /* tasks whose offer was withdrawn somewhere: not worth a claim */
    int conflicts, withdrawn, doubles, other_errors;
} race_tally;

/* One expert reads everything it has and claims what is pending, as a fast human would:
 * at most 3 claims in flight, resolving each win at once to free capacity. */
static void race_step(racer *r, int i, race_tally *t)
{
    json_t *m;
    while ((m = gxt_expect(r->c, NULL, 0))) {
        const char *type = gxt_str(m, "type"), *task = gxt_str(m, "task");
        if (strcmp(type, "offer") == 0) {
            json_array_append_new(r->pending, json_string(task));
            json_object_set_new(r->offered, task, json_true());
        } else if (strcmp(type, "task.assigned") == 0) {
            t->doubles += json_object_get(t->winners, task) != NULL;
            json_object_set_new(t->winners, task, json_integer(i));
            json_object_set_new(r->settled, task, json_true());
            r->inflight--;
            json_array_append_new(r->to_resolve, json_string(task));
        } else if (strcmp(type, "error") == 0) {
            /* a claim's ref is the task, a resolve's is "R:" + the task (':' is never in an
             * id); a request refused by flood control is tried again after a pause */
            const char *code = gxt_str(m, "code"), *ref = gxt_str(m, "ref");
            bool resolve = ref[0] == 'R' && ref[1] == ':';
            r->inflight -= !resolve;
            if (strcmp(code, "rate_limited") == 0) {
                r->pause_until = gxt_now_ms() + 200;
                json_array_append_new(resolve ? r->to_resolve : r->pending,
                                      json_string(ref + 2 * resolve));
            } else if (strcmp(code, "conflict") == 0) {
                t->conflicts++;
                json_object_set_new(r->settled, gxt_str(m, "ref"), json_true());
            } else {
                char *d = json_dumps(m, JSON_COMPACT);
                printf("unexpected: %s\n", d);
                free(d);
                t->other_errors++;
            }
        } else if (strcmp(type, "offer.withdrawn") == 0) {
            t->withdrawn++;
            json_object_set_new(t->gone, task, json_true());
            json_object_set_new(r->settled, task, json_true());
        }
        json_decref(m);
    }
    if (gxt_now_ms() < r->pause_until)
        return;
    for (size_t k = 0; k < json_array_size(r->to_resolve); k++) {
        char ref[80];
        snprintf(ref, sizeof(ref), "R:%s", json_string_value(json_array_get(r->to_resolve, k)));
        gxt_send(r->c, "{s:s, s:s, s:s}", "type", "task.resolve", "task", ref + 2, "ref", ref);
    }
    json_array_clear(r->to_resolve);
    while (r->inflight < 3 && json_array_size(r->pending)) {
        const char *task = json_string_value(json_array_get(r->pending, 0));
        if (!json_object_get(t->gone, task)) {
            gxt_send(r->c, "{s:s, s:s, s:s}", "type", "task.claim", "task", task, "ref", task);
            r->inflight++;
        }
        json_array_remove(r->pending, 0);
    }
}

static racer race_join(int i)
{
    char id[16], body[200], path[64];
    snprintf(id, sizeof(id), "r%d", i);
    snprintf(path, sizeof(path), "/api/v1/experts/%s", id);
    snprintf(body, sizeof(body),
             "{\"name\":\"%s\",\"skills\":[\"billing\"],\"languages\":[\"en\"],\"tier\":1,"
             "\"brands\":[\"race\"],\"capacity\":10}",
             id);
    assert_true(gxt_http(&env, 0, "PUT", path, GXT_ADMIN, NULL, body, NULL) / 100 == 2);
    char *tok = gxt_token(&env, id, "expert", NULL);
    racer r = {.c = gxt_login(&env, i % 2, tok, NULL, NULL),
               .pending = json_array(),
               .offered = json_object(),
               .settled = json_object(),
               .to_resolve = json_array()};
    free(tok);
    gxt_send(r.c, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(r.c, "presence", 3000));
    return r;
}

/* Redis agrees with the clients: a sample of tasks has exactly the assignee that got
 * task.assigned. */
static void race_check_store(const char *key, json_t *winners)
{
    const char *task;
    json_t *who;
    int checked = 0;
    json_object_foreach(winners, task, who)
    {
        if (checked++ >= 20)
            break;
        char path[128], want[16];
        json_t *got;
        snprintf(path, sizeof(path), "/api/v1/tasks/%s", task);
        assert_int_equal(gxt_http(&env, 0, "GET", path, key, NULL, NULL, &got), 200);
        snprintf(want, sizeof(want), "r%d", (int)json_integer_value(who));
        assert_string_equal(gxt_str(json_object_get(got, "expert"), "id"), want);
        json_decref(got);
    }
}

/* A held task counts against capacity from the first moment of every session: an expert of
 * capacity 1 who reconnects, to the same node or the other, is at capacity at once. */
static void test_capacity_holds_across_reconnect(void **state)
{
    (void)state;
    char *key = gxt_brand(&env, "capco");
    gxt_expert(&env, "cap1", "capco", 1);
    char *tok = gxt_token(&env, "cap1", "expert", NULL);
    json_t *t1 = gxt_task(&env, 0, key, "k1", "first", 0);
    json_t *t2 = gxt_task(&env, 0, key, "k2", "second", 0);
    gxt_conn *e = gxt_login(&env, 0, tok, NULL, NULL);
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", gxt_str(t1, "task"));
    json_decref(gxt_must(e, "task.assigned", 3000));
    for (int node = 0; node < 2; node++) {
        gxt_close(e);
        json_t *w;
        e = gxt_login(&env, node, tok, NULL, &w);
        assert_int_equal(json_array_size(json_object_get(w, "tasks")), 1);
        json_decref(w);
        gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "available");
        json_t *p = gxt_must(e, "presence", 3000);
        assert_int_equal(json_integer_value(json_object_get(p, "active")), 1);
        json_decref(p);
        gxt_pump(&env, 300);
        assert_int_equal(gxt_count(e, "offer"), 0); /* at capacity: offered nothing */
        gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", gxt_str(t2, "task"));
        assert_string_equal(gxt_error_code(e, 3000), "capacity");
    }
    gxt_close(e);
    json_decref(t1);
    json_decref(t2);
    free(tok);
    free(key);
}

static void test_claim_race(void **state)
{
    (void)state;
    char *key = gxt_brand(&env, "race");
    racer r[RACE_EXPERTS];
    for (int i = 0; i < RACE_EXPERTS; i++)
        r[i] = race_join(i);
    race_tally t = {.winners = json_object(), .gone = json_object()};
    int created = 0;
    for (int round = 0; round < 6000 && (int)json_object_size(t.winners) < RACE_TASKS; round++) {
        if (created < RACE_TASKS) { /* tasks arrive through both nodes while claims fly */
            json_decref(gxt_task(&env, created % 2, key, "rc", "race", 0));
            created++;
        }
        gxt_pump(&env, 1);
        for (int i = 0; i < RACE_EXPERTS; i++)
            race_step(&r[i], i, &t);
    }
    for (int round = 0; round < 300; round++) { /* let the last withdrawals arrive */
        gxt_pump(&env, 1);
        for (int i = 0; i < RACE_EXPERTS; i++)
            race_step(&r[i], i, &t);
    }
    printf("race: %d tasks, %zu claimed, %d conflicts, %d other errors, %d withdrawals, "
           "%d doubles\n",
           created, json_object_size(t.winners), t.conflicts, t.other_errors, t.withdrawn,
           t.doubles);
    assert_int_equal(t.doubles, 0);
    assert_int_equal(t.other_errors, 0);
    assert_int_equal(json_object_size(t.winners), RACE_TASKS);
    /* everyone else who held an offer was withdrawn or refused */
    for (int i = 0; i < RACE_EXPERTS; i++) {
        const char *task;
        json_t *v;
        json_object_foreach(r[i].offered, task, v) if (!json_object_get(r[i].settled, task))
            printf("unsettled r%d %s gone=%d winner=%lld inflight=%d pending=%zu\n", i, task,
                   json_object_get(t.gone, task) != NULL,
                   json_integer_value(json_object_get(t.winners, task)), r[i].inflight,
                   json_array_size(r[i].pending));
    }
    race_check_store(key, t.winners);
    for (int i = 0; i < RACE_EXPERTS; i++) {
        json_decref(r[i].pending);
        json_decref(r[i].offered);
        json_decref(r[i].settled);
        json_decref(r[i].to_resolve);
        gxt_close(r[i].c);
    }
    json_decref(t.winners);
    json_decref(t.gone);
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offer_and_chat_cross_nodes),
        cmocka_unit_test(test_second_session_replaces_first),
        cmocka_unit_test(test_capacity_holds_across_reconnect),
        cmocka_unit_test(test_claim_race),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
