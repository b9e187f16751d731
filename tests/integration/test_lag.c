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
    int64_t until = gxt_now_ms() + 5000;
    while (gxt_lag_seen(lag, "HMGET", key) == before && gxt_now_ms() < until)
        gxt_pump(&env, 2);
    assert_true(gxt_lag_seen(lag, "HMGET", key) > before); /* the backlog read is in Redis */

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claim_overtakes_backlog_read),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
