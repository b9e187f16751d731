/* Clients that reset the connection right after a request, over and over, while its reply
 * is still in Redis: a late reply must never list the dead session anywhere (the session
 * API refuses), or the next event of the task reads freed memory. Under ASan a single slip
 * fails the test at teardown; in every build the server must keep serving.
 * GXT_ROUNDS sets the rounds per role (default 150; the figure is 10,000). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"
#include "rawws.h"

GXT_FIXTURES(1, NULL)

static int rounds(void)
{
    const char *e = getenv("GXT_ROUNDS");
    int n = e ? atoi(e) : 150;
    return n > 0 && n <= 100000 ? n : 150;
}

/* 0 to 1.5 ms: the reset lands before, during or after the request's Redis round trips. */
static void pause_for(int round)
{
    usleep((useconds_t)(round % 7) * 250);
}

/* Logs in on a raw socket; the welcome's task list (owned) through *tasks, or -1. */
static int login(const char *token, json_t **tasks)
{
    int fd = rawws_open(env.node_port[0]);
    if (fd < 0)
        return -1;
    rawws_send(fd, "{s:s, s:s}", "type", "hello", "token", token);
    json_t *w = rawws_expect(fd, "welcome", 5000);
    if (!w) {
        rawws_close(fd, 1);
        return -1;
    }
    *tasks = json_incref(json_object_get(w, "tasks"));
    json_decref(w);
    return fd;
}

static void chat_on(int fd, json_t *tasks, int round)
{
    size_t i;
    json_t *t;
    char cid[32];
    snprintf(cid, sizeof(cid), "r%d", round);
    json_array_foreach(tasks, i, t)
        rawws_send(fd, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", gxt_str(t, "task"),
                   "text", "still there?", "cid", cid);
}

/* rounds() times: log in on a raw socket, chat on every listed task, send what body sends,
 * then reset the connection while the replies are still coming. Fails the test when more
 * than one login in ten did not get its welcome. */
static void each_round(const char *tok, void (*body)(int fd, json_t *tasks))
{
    int n = rounds(), logged = 0;
    for (int r = 0; r < n; r++) {
        json_t *tasks = NULL;
        int fd = login(tok, &tasks);
        if (fd < 0)
            continue;
        logged++;
        chat_on(fd, tasks, r);
        body(fd, tasks);
        pause_for(r);
        rawws_close(fd, 1);
        json_decref(tasks);
    }
    assert_true(logged > n * 9 / 10);
}

static void customer_opens(int fd, json_t *tasks)
{
    if (json_array_size(tasks) > 3) /* keep the open tasks few: cancel the oldest */
        rawws_send(fd, "{s:s, s:s}", "type", "task.cancel", "task",
                   gxt_str(json_array_get(tasks, 0), "task"));
    rawws_send(fd, "{s:s, s:s, s:s, s:s}", "type", "task.open", "topic", "billing", "language",
               "en", "text", "my parcel never came");
}

static void test_customer_resets_after_open(void **state)
{
    (void)state;
    char *tok = gxt_token(&env, "vanishing", "customer", "acme");
    each_round(tok, customer_opens);
    assert_int_equal(gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, NULL), 200);
    free(tok);
}

static void expert_claims(int fd, json_t *tasks)
{
    json_decref(gxt_task(&env, 0, env.api_key, "cv", "where is my refund", 0));
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
        rawws_send(fd, "{s:s, s:s}", "type", "task.resolve", "task", gxt_str(t, "task"));
    json_array_foreach(tasks, i, t) /* their slots are free before it asks for more */
        json_decref(rawws_expect(fd, "task.update", 2000));
    rawws_send(fd, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_t *offer = rawws_expect(fd, "offer", 2000);
    if (offer)
        rawws_send(fd, "{s:s, s:s}", "type", "task.claim", "task", gxt_str(offer, "task"));
    json_decref(offer);
}

static void test_expert_resets_after_claim(void **state)
{
    (void)state;
    gxt_expert(&env, "vanisher", "acme", 2);
    char *tok = gxt_token(&env, "vanisher", "expert", NULL);
    each_round(tok, expert_claims);
    free(tok);
}

/* After all that, a whole conversation still works (in a brand of its own: the tasks left
 * queued above are not this test's business). */
static void test_still_serving(void **state)
{
    (void)state;
    char *key = gxt_brand(&env, "calm");
    gxt_expert(&env, "steady", "calm", 2);
    char *etok = gxt_token(&env, "steady", "expert", NULL);
    gxt_conn *e = gxt_login(&env, 0, etok, NULL, NULL);
    gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(e, "presence", 3000));
    json_t *task = gxt_task(&env, 0, key, "calm", "hello there", 9);
    const char *id = gxt_str(task, "task");
    gxt_conn *c = gxt_login(&env, 0, gxt_str(task, "customer_token"), NULL, NULL);
    gxt_claim_offered(e, id);
    gxt_send(e, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", id, "text", "hi", "cid", "1");
    json_t *m = gxt_must(c, "chat.message", 3000);
    assert_string_equal(gxt_str(m, "text"), "hi");
    json_decref(m);
    gxt_close(c);
    gxt_close(e);
    json_decref(task);
    free(etok);
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_customer_resets_after_open),
        cmocka_unit_test(test_expert_resets_after_claim),
        cmocka_unit_test(test_still_serving),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
