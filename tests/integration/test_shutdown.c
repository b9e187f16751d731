/* SIGTERM: gigcxd stops accepting, closes every socket with 1001, flushes and exits 0.
 * The experts it served reconnect to another node and carry on with nothing lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <signal.h>
#include <cmocka.h>
#include "harness.h"

GXT_FIXTURES(2, NULL)

static void test_sigterm_closes_1001_and_nothing_is_lost(void **state)
{
    (void)state;
    const char *key = env.api_key;
    gxt_expert(&env, "s1", "acme", 2);
    char *tok = gxt_token(&env, "s1", "expert", NULL);
    gxt_conn *e = gxt_login(&env, 1, tok, NULL, NULL); /* on the node that will stop */
    gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(e, "presence", 3000));
    json_t *t = gxt_task(&env, 0, key, "sc1", "my order is late", 0);
    const char *task = gxt_str(t, "task");
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    json_decref(gxt_must(e, "offer", 3000));
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_decref(gxt_must(e, "task.assigned", 3000));
    gxt_conn *idle = gxt_ws(&env, 1, "gigcx.v1"); /* not even said hello yet */

    /* acknowledged just before the signal: stored and delivered */
    gxt_send(e, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "on it", "cid",
             "a");
    json_t *ack = gxt_must(e, "chat.ack", 3000);
    char id[64];
    snprintf(id, sizeof(id), "%s", gxt_str(ack, "id"));
    json_decref(ack);

    /* the test drives the clients while the node shuts down, so signal without waiting */
    kill(env.node_pid[1], SIGTERM);
    assert_int_equal(gxt_wait_close(e, 5000), 1001);
    assert_int_equal(gxt_wait_close(idle, 5000), 1001);
    assert_int_equal(gxt_stop_node(&env, 1), 0); /* exit status 0 */
    assert_int_equal(gxt_http(&env, 1, "GET", "/healthz", NULL, NULL, NULL, NULL), -1);

    json_t *m = gxt_must(cu, "chat.message", 3000);
    assert_string_equal(gxt_str(m, "id"), id);
    json_decref(m);

    /* the expert reconnects to the surviving node and still holds the task */
    json_t *w;
    gxt_conn *e2 = gxt_login(&env, 0, tok, json_pack("{s:s}", task, id), &w);
    assert_string_equal(gxt_str(json_array_get(json_object_get(w, "tasks"), 0), "task"), task);
    json_decref(w);
    gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "thanks", "cid",
             "b");
    json_t *m2 = gxt_must(e2, "chat.message", 3000);
    assert_string_equal(gxt_str(m2, "text"), "thanks");
    json_decref(m2);
    gxt_close(e);
    gxt_close(idle);
    gxt_close(e2);
    gxt_close(cu);
    json_decref(t);
    free(tok);
}

/* A second gigcxd on a port in use says so and exits 1, instead of running without a
 * listener; and a node listens on the address it was given, not on every interface. */
static void test_busy_port_is_a_clear_error(void **state)
{
    (void)state;
    char cmd[512], line[256] = "";
    snprintf(cmd, sizeof(cmd),
             "timeout 10 \"%s\" --listen 127.0.0.1:%d --redis redis://127.0.0.1:%d --secret %s "
             "--admin-key x 2>&1; echo \"exit=$?\"",
             getenv("GIGCXD"), env.node_port[0], env.redis_port, GXT_SECRET);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    bool said = false;
    while (fgets(line, sizeof(line), p))
        said = said || strstr(line, "cannot listen on 127.0.0.1") != NULL;
    pclose(p);
    assert_true(said);
    assert_string_equal(line, "exit=1\n");
    snprintf(cmd, sizeof(cmd), "ss -Hltn 'sport = :%d'", env.node_port[0]);
    p = popen(cmd, "r");
    assert_non_null(p);
    int n = 0;
    while (fgets(line, sizeof(line), p) && n < 10) {
        n++;
        assert_non_null(strstr(line, "127.0.0.1:")); /* not *: nor 0.0.0.0: */
    }
    pclose(p);
    assert_true(n >= 1);
}

/* With a drain window (2 s here): unready at once, still serving, then the sockets close
 * with 1001 in batches over the second half (reconnects spread over the other nodes), and
 * the process exits 0 at the end. Before, every socket closed 53 ms after the signal. */
static void test_drain_window(void **state)
{
    (void)state;
    enum { N = 20 };
    gxt_stop_node(&env, 1); /* the test before stopped it */
    const char *args[] = {"--drain-s", "2", NULL};
    gxt_start_node(&env, 1, args);
    gxt_expert(&env, "dw1", "acme", 2);
    char *tok = gxt_token(&env, "dw1", "expert", NULL);
    gxt_conn *e = gxt_login(&env, 1, tok, NULL, NULL);
    gxt_conn *c[N];
    for (int i = 0; i < N; i++)
        assert_non_null(c[i] = gxt_ws(&env, 1, "gigcx.v1"));
    int64_t t0 = gxt_now_ms(), closed_at[N] = {0};
    kill(env.node_pid[1], SIGTERM);
    gxt_pump(&env, 100);
    assert_int_equal(gxt_http(&env, 1, "GET", "/readyz", NULL, NULL, NULL, NULL), 503);
    assert_int_equal(gxt_http(&env, 1, "GET", "/livez", NULL, NULL, NULL, NULL), 200);
    gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(e, "presence", 1000)); /* still served */
    int left = N;
    while (left && gxt_now_ms() - t0 < 5000) {
        gxt_pump(&env, 10);
        for (int i = 0; i < N; i++)
            if (!closed_at[i] && c[i]->closed) {
                closed_at[i] = gxt_now_ms() - t0;
                assert_int_equal(c[i]->close_code, 1001);
                left--;
            }
    }
    assert_int_equal(left, 0);
    int64_t first = 5000, last = 0;
    for (int i = 0; i < N; i++) {
        first = closed_at[i] < first ? closed_at[i] : first;
        last = closed_at[i] > last ? closed_at[i] : last;
    }
    print_message("closes from %lld to %lld ms after SIGTERM\n", (long long)first, (long long)last);
    assert_true(first >= 800);        /* the first half serves */
    assert_true(last - first >= 400); /* in batches, not at once */
    assert_int_equal(gxt_wait_node(&env, 1, 6000), 0);
    for (int i = 0; i < N; i++)
        gxt_close(c[i]);
    gxt_close(e);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_port_is_a_clear_error),
        cmocka_unit_test(test_sigterm_closes_1001_and_nothing_is_lost),
        cmocka_unit_test(test_drain_window),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
