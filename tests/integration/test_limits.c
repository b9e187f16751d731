/* The abuse bounds of a customer: a flood limit over all of a user's sockets, a cap on one
 * customer's open tasks whatever the sockets, and a cap on the messages one chat holds.
 * gigcxd runs with small limits so each is reached in a few frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"

static const char *const limits[] = {
    "--ws-rate",           "5", "--user-rate", "5", "--customer-open-max", "2",
    "--chat-max-messages", "4", NULL};
GXT_FIXTURES(1, limits)

/* Sends task.open and returns "ok" (task.created) or the error code. */
static const char *open_task(gxt_conn *c, char *id, size_t cap)
{
    gxt_send(c, "{s:s, s:s, s:s, s:s}", "type", "task.open", "topic", "billing", "language", "en",
             "text", "where is my order");
    for (int64_t until = gxt_now_ms() + 3000; gxt_now_ms() < until; gxt_pump(&env, 5)) {
        json_t *m = gxt_expect(c, "task.created", 0);
        if (m) {
            snprintf(id, cap, "%s", gxt_str(m, "task"));
            json_decref(m);
            return "ok";
        }
        if (gxt_count(c, "error"))
            return gxt_error_code(c, 0);
    }
    return "(no answer)";
}

static void test_open_tasks_capped_per_customer(void **state)
{
    (void)state;
    char *tok = gxt_token(&env, "opener", "customer", "acme");
    gxt_conn *a = gxt_login(&env, 0, tok, NULL, NULL);
    char t1[65], t2[65], t3[65];
    assert_string_equal(open_task(a, t1, sizeof(t1)), "ok");
    assert_string_equal(open_task(a, t2, sizeof(t2)), "ok");
    assert_string_equal(open_task(a, t3, sizeof(t3)), "capacity");
    gxt_conn *b = gxt_login(&env, 0, tok, NULL, NULL); /* another socket counts the same */
    assert_string_equal(open_task(b, t3, sizeof(t3)), "capacity");
    gxt_send(b, "{s:s, s:s}", "type", "task.cancel", "task", t1);
    json_decref(gxt_must(b, "task.update", 3000));
    gxt_pump(&env, 300); /* the flood limit refills */
    assert_string_equal(open_task(b, t3, sizeof(t3)), "ok");
    gxt_close(a);
    gxt_close(b);
    free(tok);
}

static void test_chat_capped_per_task(void **state)
{
    (void)state;
    json_t *t = gxt_task(&env, 0, env.api_key, "talker", "first message", 0);
    const char *id = gxt_str(t, "task");
    gxt_conn *c = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    for (int i = 0; i < 3; i++) { /* the opening text is the first of four */
        char cid[8];
        snprintf(cid, sizeof(cid), "m%d", i);
        gxt_send(c, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", id, "text", "more", "cid",
                 cid);
        json_decref(gxt_must(c, "chat.ack", 3000));
    }
    gxt_send(c, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", id, "text", "one too many",
             "cid", "m9");
    assert_string_equal(gxt_error_code(c, 3000), "capacity");
    gxt_close(c);
    json_decref(t);
}

/* Five sockets of one user share one bucket (5/s, bursts of 10), not five. */
static void test_flood_limit_spans_sockets(void **state)
{
    (void)state;
    gxt_pump(&env, 2500); /* buckets full again after the tests before */
    char *tok = gxt_token(&env, "flooder", "customer", "acme");
    gxt_conn *c[5];
    for (int i = 0; i < 5; i++)
        c[i] = gxt_login(&env, 0, tok, NULL, NULL);
    for (int round = 0; round < 6; round++) /* 30 frames, 6 per socket (each within 10) */
        for (int i = 0; i < 5; i++)
            gxt_send(c[i], "{s:s, s:s}", "type", "chat.history", "task", "nosuch");
    gxt_pump(&env, 500);
    int limited = 0;
    for (int i = 0; i < 5; i++) {
        for (json_t *e; (e = gxt_expect(c[i], "error", 0)); json_decref(e))
            limited += strcmp(gxt_str(e, "code"), "rate_limited") == 0;
        gxt_close(c[i]);
    }
    print_message("%d of 30 frames limited\n", limited);
    assert_true(limited >= 10); /* the login hellos and a burst of 10 pass, then 5/s */
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_tasks_capped_per_customer),
        cmocka_unit_test(test_chat_capped_per_task),
        cmocka_unit_test(test_flood_limit_spans_sockets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
