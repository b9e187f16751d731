/* gigcxd with a slow command connection to Redis and a prompt subscriber connection (a
 * lagging proxy between them, lagproxy.h): what a loaded or distant Redis does. Replies
 * then arrive after events that Redis produced later; nothing may be offered and forgotten
 * because of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"
#include "lagproxy.h"

#define LAG_MS 400

static gxt_env env;
static gxt_lag *lag;

static int setup(void **state)
{
    (void)state;
    int port = gxt_free_port();
    lag = gxt_lag_start(port, &env.redis_port);
    if (!lag)
        return -1;
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
    const char *extra[] = {"--redis", url, NULL};
    gxt_setup(&env, 1, extra);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = gxt_teardown(&env);
    gxt_lag_stop(lag);
    return rc;
}

/* Waits (at most 5 s) until a command holding both a and b has reached Redis. */
static void until_seen(const char *a, const char *b, int before)
{
    int64_t until = gxt_now_ms() + 5000;
    while (gxt_lag_seen(lag, a, b) == before && gxt_now_ms() < until)
        gxt_pump(&env, 2);
    assert_true(gxt_lag_seen(lag, a, b) > before);
}

static gxt_conn *login(const char *id)
{
    gxt_expert(&env, id, "acme", 3);
    char *tok = gxt_token(&env, id, "expert", NULL);
    gxt_conn *c = gxt_login(&env, 0, tok, NULL, NULL);
    free(tok);
    return c;
}

/* An expert goes available and its backlog is read; the read's reply is slow, and another
 * expert claims the task in between. The claim's withdrawal reaches the node before the
 * backlog does: the task must not be offered, or, if it is, withdrawn after. */
static void test_claim_overtakes_backlog_read(void **state)
{
    (void)state;
    gxt_conn *a = login("lag-a"), *b = login("lag-b");
    json_t *t = gxt_task(&env, 0, env.api_key, "lag-cust", "where is my parcel", 0);
    json_t *t2 = gxt_task(&env, 0, env.api_key, "lag-cust2", "and mine?", 0);
    const char *task = gxt_str(t, "task");
    char key[96];
    snprintf(key, sizeof(key), "gx:{t:%s}:task", task);

    gxt_pump(&env, 300); /* the task's own first read (its wave) is over */
    gxt_lag_delay(lag, LAG_MS);
    int before = gxt_lag_seen(lag, "HMGET", key);
    gxt_send(a, "{s:s, s:s}", "type", "presence.set", "status", "available");
    until_seen("HMGET", key, before); /* the backlog read is in Redis */

    gxt_send(b, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_decref(gxt_must(b, "task.assigned", 5000));
    gxt_lag_delay(lag, 0);
    gxt_pump(&env, 2 * LAG_MS);
    json_t *o;
    bool other = false;
    while ((o = gxt_expect(a, "offer", 0))) {
        if (strcmp(gxt_str(o, "task"), task) == 0) /* from a stale read: withdrawn after */
            json_decref(gxt_must(a, "offer.withdrawn", 3000));
        else
            other = strcmp(gxt_str(o, "task"), gxt_str(t2, "task")) == 0;
        json_decref(o);
    }
    assert_true(other); /* the backlog's other task, which nobody claimed, is offered */
    json_decref(t);
    json_decref(t2);
    gxt_close(a);
    gxt_close(b);
}

/* Claim scripts of user for task that reached Redis (their withdrawal names the claimer). */
static int claims_seen(const char *task, const char *user)
{
    char w[160];
    snprintf(w, sizeof(w), "W\t%s\t%s\n", task, user);
    return gxt_lag_seen(lag, "EVALSHA", w);
}

/* Waits (at most 5 s) until user's claim script for task has reached Redis. */
static void until_claimed(const char *task, const char *user)
{
    char w[160];
    snprintf(w, sizeof(w), "W\t%s\t%s\n", task, user);
    until_seen("EVALSHA", w, 0);
}

/* Claims of one task that reach the node while its first claim is in Redis are held back
 * and answered from that claim's reply, as the claim script would answer each: one winner,
 * conflict for the eligible, forbidden for an expert who does not speak the language. Redis
 * never sees the held ones. */
static void test_claims_held_behind_the_one_in_redis(void **state)
{
    (void)state;
    gxt_conn *c[3] = {login("gate-a"), login("gate-b"), login("gate-c")};
    assert_int_equal(gxt_http(&env, 0, "PUT", "/api/v1/experts/gate-x", GXT_ADMIN, NULL,
                              "{\"name\":\"X\",\"skills\":[\"billing\"],\"languages\":[\"de\"],"
                              "\"tier\":1,\"brands\":[\"acme\"],\"capacity\":3}",
                              NULL),
                     201);
    char *tok = gxt_token(&env, "gate-x", "expert", NULL);
    gxt_conn *x = gxt_login(&env, 0, tok, NULL, NULL);
    free(tok);
    json_t *t = gxt_task(&env, 0, env.api_key, "gate-cust", "my order is late", 0);
    const char *task = gxt_str(t, "task");
    gxt_pump(&env, 300);

    gxt_lag_delay(lag, LAG_MS);
    gxt_send(c[0], "{s:s, s:s}", "type", "task.claim", "task", task);
    until_claimed(task, "gate-a"); /* the first claim is in Redis */
    gxt_send(c[1], "{s:s, s:s}", "type", "task.claim", "task", task);
    gxt_send(c[2], "{s:s, s:s}", "type", "task.claim", "task", task);
    gxt_send(x, "{s:s, s:s}", "type", "task.claim", "task", task);
    gxt_pump(&env, 100);
    gxt_lag_delay(lag, 0);

    json_decref(gxt_must(c[0], "task.assigned", 5000));
    assert_string_equal(gxt_error_code(c[1], 3000), "conflict");
    assert_string_equal(gxt_error_code(c[2], 3000), "conflict");
    assert_string_equal(gxt_error_code(x, 3000), "forbidden");
    assert_int_equal(claims_seen(task, "gate-b"), 0);
    assert_int_equal(claims_seen(task, "gate-c"), 0);
    assert_int_equal(claims_seen(task, "gate-x"), 0);

    /* the gate is open again: a later claim goes to Redis and hears conflict from it */
    gxt_send(c[1], "{s:s, s:s}", "type", "task.claim", "task", task);
    assert_string_equal(gxt_error_code(c[1], 3000), "conflict");
    assert_true(claims_seen(task, "gate-b") > 0);
    json_decref(t);
    for (int i = 0; i < 3; i++)
        gxt_close(c[i]);
    gxt_close(x);
}

/* A customer says hello while an expert claims their task. Hello's read of the task is in
 * Redis (queued), the claim runs after it, and the claim's task.update reaches the node
 * before the read's reply: before the customer joined the task. The customer must still
 * learn that it is assigned, and to whom. */
static void test_claim_overtakes_customer_hello(void **state)
{
    (void)state;
    gxt_conn *a = login("hello-a");
    json_t *t = gxt_task(&env, 0, env.api_key, "hello-cust", "my parcel is late", 0);
    const char *task = gxt_str(t, "task");
    char key[96];
    snprintf(key, sizeof(key), "gx:{t:%s}:task", task);
    gxt_pump(&env, 300);

    gxt_lag_delay(lag, LAG_MS);
    int before = gxt_lag_seen(lag, key, "assignee_role"); /* hello's read of the task */
    gxt_conn *cu = gxt_ws(&env, 0, NULL);
    assert_non_null(cu);
    gxt_send(cu, "{s:s, s:s}", "type", "hello", "token", gxt_str(t, "customer_token"));
    until_seen(key, "assignee_role", before);
    gxt_send(a, "{s:s, s:s}", "type", "task.claim", "task", task);
    until_claimed(task, "hello-a");
    gxt_lag_delay(lag, 0);

    json_t *w = gxt_must(cu, "welcome", 5000);
    const char *status = gxt_str(json_array_get(json_object_get(w, "tasks"), 0), "status");
    if (strcmp(status, "assigned") != 0) { /* the welcome's read came before the claim */
        assert_string_equal(status, "queued");
        json_t *u = gxt_update(cu, "assigned", 3000);
        assert_string_equal(gxt_str(json_object_get(u, "expert"), "name"), "hello-a");
        json_decref(u);
    }
    json_decref(gxt_must(a, "task.assigned", 5000));
    /* told once: the live update, arriving late, is not a second "assigned" */
    gxt_pump(&env, 300);
    assert_null(gxt_expect(cu, "task.update", 0));
    json_decref(w);
    json_decref(t);
    gxt_close(cu);
    gxt_close(a);
}

/* The customer writes while the expert's claim reply is on its way: the message is stored
 * after the claim (so not in task.assigned's history) and its event reaches the node before
 * the reply, before the expert joined. The expert must still get it. */
static void test_chat_overtakes_claim_reply(void **state)
{
    (void)state;
    gxt_conn *a = login("reply-a");
    json_t *t = gxt_task(&env, 0, env.api_key, "reply-cust", "my order is wrong", 0);
    const char *task = gxt_str(t, "task");
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    gxt_pump(&env, 300);

    gxt_lag_delay(lag, LAG_MS);
    gxt_send(a, "{s:s, s:s}", "type", "task.claim", "task", task);
    until_claimed(task, "reply-a");
    int before = gxt_lag_seen(lag, "EVALSHA", "written during the claim");
    gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text",
             "written during the claim", "cid", "c1");
    until_seen("EVALSHA", "written during the claim", before);
    gxt_lag_delay(lag, 0);

    json_t *as = gxt_must(a, "task.assigned", 5000);
    json_t *m, *h = json_object_get(as, "history");
    bool got = false;
    size_t i;
    json_array_foreach(h, i, m) got =
        got || strcmp(gxt_str(m, "text"), "written during the claim") == 0;
    while (!got && (m = gxt_expect(a, "chat.message", 3000))) {
        got = strcmp(gxt_str(m, "text"), "written during the claim") == 0;
        json_decref(m);
    }
    assert_true(got);
    json_decref(as);
    json_decref(t);
    gxt_close(cu);
    gxt_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claim_overtakes_backlog_read),
        cmocka_unit_test(test_claims_held_behind_the_one_in_redis),
        cmocka_unit_test(test_claim_overtakes_customer_hello),
        cmocka_unit_test(test_chat_overtakes_claim_reply),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
