/* Keepalive: the server pings a quiet socket every heartbeat and drops one silent for three;
 * a client that answers pings stays however long it says nothing. An expert gone past the
 * grace period loses its held task back to the queue, history and all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"

static const char *const fast[] = {"--heartbeat", "1", "--expert-grace", "2", NULL};
GXT_FIXTURES(1, fast)

static void test_silent_peer_dropped_live_one_kept(void **state)
{
    (void)state;
    gxt_expert(&env, "k1", "acme", 1);
    gxt_expert(&env, "k2", "acme", 1);
    char *t1 = gxt_token(&env, "k1", "expert", NULL), *t2 = gxt_token(&env, "k2", "expert", NULL);
    gxt_conn *hung = gxt_login(&env, 0, t1, NULL, NULL);
    gxt_conn *live = gxt_login(&env, 0, t2, NULL, NULL);
    gxc_pause(hung->c, true);  /* reads nothing, so answers no ping */
    gxt_pump(&env, 6000);      /* six heartbeats */
    gxc_pause(hung->c, false); /* reading again, it finds the connection was cut */
    assert_int_equal(gxt_wait_close(hung, 2000), 1006);
    assert_false(live->closed); /* it answered every ping without sending a frame */
    gxt_send(live, "{s:s, s:s}", "type", "presence.set", "status", "away");
    json_decref(gxt_must(live, "presence", 3000));
    gxt_close(hung);
    gxt_close(live);
    free(t1);
    free(t2);
}

static gxt_conn *available(const char *id, char **tok)
{
    gxt_expert(&env, id, "acme", 1);
    *tok = gxt_token(&env, id, "expert", NULL);
    gxt_conn *c = gxt_login(&env, 0, *tok, NULL, NULL);
    gxt_send(c, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(c, "presence", 3000));
    return c;
}

static void test_silent_expert_task_requeued(void **state)
{
    (void)state;
    char *t1, *t2;
    gxt_conn *gone = available("g1", &t1);
    json_t *t = gxt_task(&env, 0, env.api_key, "gc", "help me", 0);
    const char *task = gxt_str(t, "task");
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    json_decref(gxt_must(gone, "offer", 3000));
    gxt_send(gone, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_decref(gxt_must(gone, "task.assigned", 3000));
    gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "hello?", "cid",
             "h");
    json_decref(gxt_must(cu, "chat.ack", 3000));
    gxt_drop(gone); /* and never comes back */

    json_t *u = gxt_must(cu, "task.update", 3000); /* assigned, from the claim */
    json_decref(u);
    u = gxt_must(cu, "task.update", 10000); /* back in the queue after the grace period */
    assert_string_equal(gxt_str(u, "status"), "queued");
    json_decref(u);
    gxt_conn *next = available("g2", &t2); /* the backlog offers it again */
    json_t *o = gxt_must(next, "offer", 3000);
    assert_string_equal(gxt_str(o, "task"), task);
    json_decref(o);
    gxt_send(next, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_t *a = gxt_must(next, "task.assigned", 3000);
    json_t *h = json_object_get(a, "history");
    assert_int_equal(json_array_size(h), 2); /* the opening text and the message, kept */
    assert_string_equal(gxt_str(json_array_get(h, 1), "text"), "hello?");
    json_decref(a);
    json_decref(t);
    free(t1);
    free(t2);
    gxt_close(gone);
    gxt_close(next);
    gxt_close(cu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silent_peer_dropped_live_one_kept),
        cmocka_unit_test(test_silent_expert_task_requeued),
    };
    /* the rerun through gxclient's own framing (GXT_OWN_FRAMING=1): only these */
    static const char *const own[] = {"test_silent_peer_dropped_live_one_kept", NULL};
    return GXT_RUN_CASES(tests, own, setup, teardown);
}
