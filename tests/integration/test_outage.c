/* Redis goes away and comes back: while it is gone, /healthz says 503 and requests get
 * `unavailable` (nothing is acknowledged that was not stored); once it is back, gigcxd
 * reconnects by itself, subscriptions work again and nothing stored before is lost. A Redis
 * that lost its scripts gets them again with the command that needed them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"

GXT_FIXTURES(1, NULL)

/* Polls /healthz until it answers want, for up to ms. */
static bool health_becomes(int want, int ms)
{
    for (int waited = 0; waited < ms; waited += 50) {
        if (gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, NULL) == want)
            return true;
        gxt_pump(&env, 50);
    }
    return false;
}

static void send_text(gxt_conn *c, const char *task, const char *text, const char *cid)
{
    gxt_send(c, "{s:s, s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", text, "cid",
             cid, "ref", cid);
}

static void test_redis_restart(void **state)
{
    (void)state;
    const char *key = env.api_key;
    gxt_expert(&env, "o1", "acme", 3);
    char *tok = gxt_token(&env, "o1", "expert", NULL);
    gxt_conn *e = gxt_login(&env, 0, tok, NULL, NULL);
    gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(e, "presence", 3000));
    json_t *t = gxt_task(&env, 0, key, "oc1", "help", 0);
    const char *task = gxt_str(t, "task");
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    json_decref(gxt_must(e, "offer", 3000));
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_decref(gxt_must(e, "task.assigned", 3000));
    send_text(cu, task, "before", "b");
    json_decref(gxt_must(cu, "chat.ack", 3000));
    json_decref(gxt_must(e, "chat.message", 3000));

    gxt_redis_stop(&env);
    assert_true(health_becomes(503, 5000));
    json_t *hz = NULL; /* the reason, in the API's error shape too */
    assert_int_equal(gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, &hz), 503);
    assert_string_equal(gxt_str(json_object_get(hz, "error"), "code"), "unavailable");
    assert_non_null(gxt_str(hz, "reason"));
    json_decref(hz);
    send_text(cu, task, "during", "d");
    json_t *err = gxt_must(cu, "error", 5000);
    assert_string_equal(gxt_str(err, "code"), "unavailable");
    assert_string_equal(gxt_str(err, "ref"), "d");
    json_decref(err);
    assert_int_equal(gxt_count(cu, "chat.ack"), 0);

    gxt_redis_start(&env);
    assert_true(health_becomes(200, 10000));
    gxt_pump(&env, 300); /* the subscription connection comes back too */
    send_text(cu, task, "after", "a");
    json_t *ack = gxt_must(cu, "chat.ack", 3000);
    assert_string_equal(gxt_str(ack, "cid"), "a");
    json_decref(ack);
    json_t *m = gxt_must(e, "chat.message", 3000);
    assert_string_equal(gxt_str(m, "text"), "after");
    json_decref(m);
    /* what was stored before the outage is still there */
    gxt_send(e, "{s:s, s:s}", "type", "chat.history", "task", task);
    json_t *h = gxt_must(e, "chat.history", 3000);
    json_t *msgs = json_object_get(h, "messages");
    assert_int_equal(json_array_size(msgs), 3); /* open, before, after */
    assert_string_equal(gxt_str(json_array_get(msgs, 1), "text"), "before");
    json_decref(h);
    /* Redis forgets its scripts (SCRIPT FLUSH, or a failover to a replica without them):
     * the append answers NOSCRIPT, and gigcxd sends the same command again as EVAL */
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "redis-cli -p %d SCRIPT FLUSH >/dev/null", env.redis_port);
    assert_int_equal(system(cmd), 0);
    send_text(cu, task, "after the flush", "f");
    ack = gxt_must(cu, "chat.ack", 3000);
    assert_string_equal(gxt_str(ack, "cid"), "f");
    json_decref(ack);
    m = gxt_must(e, "chat.message", 3000);
    assert_string_equal(gxt_str(m, "text"), "after the flush");
    json_decref(m);
    /* and offers flow again */
    json_decref(gxt_task(&env, 0, key, "oc2", "another", 0));
    json_t *o = gxt_must(e, "offer", 3000);
    json_decref(o);
    gxt_close(e);
    gxt_close(cu);
    json_decref(t);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redis_restart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
