/* Webhooks against a real HTTP receiver on loopback: every event type arrives signed with its
 * brand's secret; a receiver that is down, answers 500, garbage, a huge header or nothing at
 * all gets the same event (same id, same bytes) again until it takes it; an event still
 * undelivered when gigcxd stops is delivered by the next process, and one waiting while
 * Redis restarts is still delivered; the delivery log API; giving up after the maximum age. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "harness.h"
#include "hookrx.h"

/* Retries 100 ms apart at first, and a POST may take 1 s: the waits below stay short. The
 * receiver is on loopback, which webhooks may reach only when allowed. */
static const char *const flags[] = {
    "--webhook-allow-private", "--webhook-retry-min-ms", "100", "--webhook-timeout", "1", NULL};
static gxt_env env;
static hookrx *rx;
static char url[64];
static char *acme_secret;

/* PUT /api/v1/brands/{id}?rotate=1 with the receiver as webhook_url; returns the reply. */
static json_t *put_brand(const char *id, int queue_timeout_s, bool rotate)
{
    char path[96];
    snprintf(path, sizeof(path), "/api/v1/brands/%s%s", id, rotate ? "?rotate=1" : "");
    json_t *b = json_pack("{s:s, s:{s:f, s:s}, s:s}", "name", id, "pay", "amount", 5.0, "currency",
                          "EUR", "webhook_url", url);
    if (queue_timeout_s)
        json_object_set_new(b, "queue_timeout_s", json_integer(queue_timeout_s));
    /* the tasks' topic and language, taken before any expert covers them */
    json_object_set_new(b, "topics", json_pack("{s:{}}", "billing"));
    json_object_set_new(b, "languages", json_pack("[s]", "en"));
    char *s = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_t *out;
    int st = gxt_http(&env, 0, "PUT", path, GXT_ADMIN, NULL, s, &out);
    free(s);
    if (st != 200 && st != 201)
        fail_msg("PUT %s -> %d", path, st);
    return out;
}

static int setup(void **state)
{
    (void)state;
    gxt_setup(&env, 1, flags);
    rx = hookrx_start();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", hookrx_port(rx));
    json_t *b = put_brand("acme", 0, true);
    assert_true(strncmp(gxt_str(b, "webhook_secret"), "whsec_", 6) == 0);
    free(env.api_key);
    env.api_key = strdup(gxt_str(b, "api_key"));
    acme_secret = strdup(gxt_str(b, "webhook_secret"));
    json_decref(b);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hookrx_free(rx);
    free(acme_secret);
    return gxt_teardown(&env);
}

/* The requests the receiver read for task's event of type (parsed bodies kept in "event"). */
static json_t *received(const char *task, const char *type)
{
    json_t *all = hookrx_requests(rx), *out = json_array(), *q;
    size_t i;
    json_array_foreach(all, i, q)
    {
        json_t *ev = json_loads(gxt_str(q, "body"), 0, NULL);
        if (strcmp(gxt_str(ev, "task"), task) == 0 && strcmp(gxt_str(ev, "type"), type) == 0) {
            json_object_set_new(q, "event", ev);
            json_array_append(out, q);
        } else {
            json_decref(ev);
        }
    }
    json_decref(all);
    return out;
}

static size_t count_received(const char *task, const char *type)
{
    json_t *got = received(task, type);
    size_t n = json_array_size(got);
    json_decref(got);
    return n;
}

/* The deliveries of task's event of type, once there are copies of them; fails the test
 * after ms. */
static json_t *wait_event(const char *task, const char *type, int ms, size_t copies)
{
    int64_t end = gxt_now_ms() + ms;
    for (;;) {
        json_t *got = received(task, type);
        if (json_array_size(got) >= copies)
            return got;
        json_decref(got);
        if (gxt_now_ms() > end)
            fail_msg("no %s for task %s within %d ms", type, task, ms);
        gxt_pump(&env, 20); /* keeps the test's sockets served meanwhile */
    }
}

/* The headers and body every delivery carries, signed with secret. Returns the event. */
static json_t *check_delivery(json_t *q, const char *secret, const char *brand)
{
    json_t *ev = json_object_get(q, "event");
    assert_true(hookrx_signed(secret, gxt_str(q, "signature"), gxt_str(q, "body")));
    assert_string_equal(gxt_str(q, "id"), gxt_str(ev, "id"));
    assert_string_equal(gxt_str(q, "type"), gxt_str(ev, "type"));
    assert_string_equal(gxt_str(q, "content_type"), "application/json");
    assert_string_equal(gxt_str(q, "user_agent"), "gigcxd");
    assert_string_equal(gxt_str(q, "path"), "/hook");
    assert_string_equal(gxt_str(ev, "brand"), brand);
    assert_true(strncmp(gxt_str(ev, "id"), "evt_", 4) == 0);
    assert_true(json_integer_value(json_object_get(ev, "created_at")) > 1600000000000LL);
    assert_true(json_is_object(json_object_get(ev, "data")));
    return ev;
}

static const char *data_str(json_t *ev, const char *k)
{
    return gxt_str(json_object_get(ev, "data"), k);
}

static gxt_conn *expert(const char *id)
{
    gxt_expert(&env, id, "acme", 3);
    return gxt_available(&env, 0, id);
}

static void claim(gxt_conn *e, const char *task)
{
    json_decref(gxt_must(e, "offer", 5000));
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_decref(gxt_must(e, "task.assigned", 3000));
}

static void test_lifecycle_events_signed(void **state)
{
    (void)state;
    gxt_conn *e = expert("wh1");
    json_t *t = gxt_task(&env, 0, env.api_key, "hc1", "card 4111 1111 1111 1111 charged twice", 0);
    const char *task = gxt_str(t, "task");
    claim(e, task);
    gxt_send(e, "{s:s, s:s, s:s}", "type", "task.resolve", "task", task, "summary", "refunded");
    json_decref(gxt_must(e, "task.update", 3000));
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    gxt_send(cu, "{s:s, s:s, s:i, s:s}", "type", "task.rate", "task", task, "score", 4, "comment",
             "quick");
    json_decref(gxt_must(cu, "task.rated", 3000));

    static const char *const types[] = {"task.created", "task.assigned", "task.resolved",
                                        "task.rated"};
    json_t *ev[4];
    json_t *got[4];
    for (int i = 0; i < 4; i++) {
        got[i] = wait_event(task, types[i], 5000, 1);
        ev[i] = check_delivery(json_array_get(got[i], 0), acme_secret, "acme");
        assert_null(strstr(gxt_str(json_array_get(got[i], 0), "body"), "4111")); /* no text */
    }
    assert_string_equal(data_str(ev[0], "status"), "queued");
    assert_string_equal(data_str(ev[0], "topic"), "billing");
    assert_string_equal(gxt_str(json_object_get(json_object_get(ev[0], "data"), "customer"), "id"),
                        "hc1");
    json_t *asg = json_object_get(json_object_get(ev[1], "data"), "assignee");
    assert_string_equal(data_str(ev[1], "status"), "assigned");
    assert_string_equal(gxt_str(asg, "id"), "wh1");
    assert_string_equal(gxt_str(asg, "role"), "expert");
    assert_string_equal(data_str(ev[2], "status"), "resolved");
    assert_string_equal(data_str(ev[2], "summary"), "refunded");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ev[3], "data"), "score")),
                     4);
    assert_string_equal(data_str(ev[3], "comment"), "quick");
    for (int i = 0; i < 4; i++)
        json_decref(got[i]);
    json_decref(t);
    gxt_close(cu);
    gxt_close(e);
}

static void test_escalated(void **state)
{
    (void)state;
    gxt_conn *e = expert("wh2");
    json_t *t = gxt_task(&env, 0, env.api_key, "hc2", "I need a manager", 0);
    const char *task = gxt_str(t, "task");
    claim(e, task);
    gxt_send(e, "{s:s, s:s, s:s}", "type", "task.escalate", "task", task, "reason",
             "needs a refund approval");
    json_decref(gxt_must(e, "task.update", 3000));
    json_t *got = wait_event(task, "task.escalated", 5000, 1);
    json_t *ev = check_delivery(json_array_get(got, 0), acme_secret, "acme");
    assert_string_equal(data_str(ev, "status"), "escalated");
    assert_string_equal(data_str(ev, "reason"), "needs a refund approval");
    json_decref(got);
    json_decref(t);
    gxt_close(e);
}

/* Each brand signs with its own secret. */
static void test_expired_other_brand(void **state)
{
    (void)state;
    json_t *b = put_brand("late", 1, true);
    const char *key = gxt_str(b, "api_key"), *secret = gxt_str(b, "webhook_secret");
    assert_string_not_equal(secret, acme_secret);
    json_t *t = gxt_task(&env, 0, key, "hc3", "anyone there?", 0);
    const char *task = gxt_str(t, "task");
    json_t *got = wait_event(task, "task.expired", 8000, 1);
    json_t *q = json_array_get(got, 0);
    json_t *ev = check_delivery(q, secret, "late");
    assert_false(hookrx_signed(acme_secret, gxt_str(q, "signature"), gxt_str(q, "body")));
    assert_string_equal(data_str(ev, "status"), "expired");
    json_decref(got);
    json_decref(t);
    json_decref(b);
}

/* The delivery log of the brand whose key asks: newest first. */
static json_t *deliveries(const char *key, const char *query, int want)
{
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/webhooks/deliveries%s", query);
    json_t *out;
    int st = gxt_http(&env, 0, "GET", path, key, NULL, NULL, &out);
    if (st != want)
        fail_msg("GET %s -> %d, expected %d", path, st, want);
    return out;
}

/* The log entries of one event, newest first. */
static json_t *attempts_of(const char *event)
{
    json_t *d = deliveries(env.api_key, "?limit=200", 200), *out = json_array(), *e;
    size_t i;
    json_array_foreach(json_object_get(d, "deliveries"), i,
                       e) if (strcmp(gxt_str(e, "event"), event) == 0) json_array_append(out, e);
    json_decref(d);
    return out;
}

/* The event id of task's first event of type, from the delivery log (the receiver may not
 * have seen it yet). */
static char *logged_event(const char *task, const char *type, int ms)
{
    int64_t end = gxt_now_ms() + ms;
    while (gxt_now_ms() < end) {
        json_t *d = deliveries(env.api_key, "?limit=200", 200), *e;
        size_t i;
        json_array_foreach(json_object_get(d, "deliveries"), i,
                           e) if (strcmp(gxt_str(e, "task"), task) == 0 &&
                                  strcmp(gxt_str(e, "type"), type) == 0)
        {
            char *id = strdup(gxt_str(e, "event"));
            json_decref(d);
            return id;
        }
        json_decref(d);
        usleep(50000);
    }
    fail_msg("no logged %s for task %s", type, task);
    return NULL;
}

static void test_delivery_log_api(void **state)
{
    (void)state;
    json_t *d = deliveries(env.api_key, "", 200), *e;
    size_t i;
    assert_string_equal(gxt_str(d, "brand"), "acme");
    json_t *rows = json_object_get(d, "deliveries");
    assert_true(json_array_size(rows) >= 5);
    json_t *first = json_array_get(rows, 0);
    assert_int_equal(json_integer_value(json_object_get(first, "status")), 200);
    assert_string_equal(gxt_str(first, "outcome"), "delivered");
    long long prev = json_integer_value(json_object_get(first, "at"));
    json_array_foreach(rows, i, e)
    {
        assert_true(json_integer_value(json_object_get(e, "attempt")) >= 1);
        assert_true(json_integer_value(json_object_get(e, "at")) <= prev); /* newest first */
        prev = json_integer_value(json_object_get(e, "at"));
        assert_string_not_equal(gxt_str(e, "type"), "task.expired"); /* that was late's */
    }
    json_decref(d);
    d = deliveries(env.api_key, "?limit=1", 200);
    assert_int_equal(json_array_size(json_object_get(d, "deliveries")), 1);
    json_decref(d);
    d = deliveries(GXT_ADMIN, "?brand=late", 200);
    assert_string_equal(gxt_str(json_array_get(json_object_get(d, "deliveries"), 0), "type"),
                        "task.expired");
    json_decref(d);
    json_decref(deliveries(NULL, "", 401));
    json_decref(deliveries(GXT_ADMIN, "", 400));
    json_decref(deliveries(env.api_key, "?limit=0", 400));
    json_decref(deliveries(env.api_key, "?limit=x", 400));
    json_decref(deliveries(env.api_key, "?limit=201", 400));
    /* the secret is shown when set, never read back */
    json_t *b;
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/brands/acme", GXT_ADMIN, NULL, NULL, &b),
                     200);
    assert_string_equal(gxt_str(b, "webhook_url"), url);
    assert_null(json_object_get(b, "webhook_secret"));
    json_decref(b);
    b = put_brand("acme", 0, false);
    assert_null(json_object_get(b, "webhook_secret"));
    assert_null(json_object_get(b, "api_key"));
    json_decref(b);
    static const char *const bad[] = {"ftp://x/", "http://u:p@x/", "http://x/#f", "http://x:0/",
                                      "http://x/\u00e9"};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        char body[200];
        snprintf(body, sizeof(body),
                 "{\"name\":\"x\",\"pay\":{\"amount\":1,\"currency\":\"EUR\"},"
                 "\"webhook_url\":\"%s\"}",
                 bad[k]);
        assert_int_equal(
            gxt_http(&env, 0, "PUT", "/api/v1/brands/badhook", GXT_ADMIN, NULL, body, NULL), 400);
    }
}

static void test_receiver_down_then_back(void **state)
{
    (void)state;
    hookrx_down(rx, true);
    json_t *t = gxt_task(&env, 0, env.api_key, "hc4", "are you there", 0);
    const char *task = gxt_str(t, "task");
    char *id = logged_event(task, "task.created", 5000);
    json_t *tries = NULL;
    for (int i = 0; i < 100; i++) { /* refused twice or more, and waiting for another go */
        json_decref(tries);
        tries = attempts_of(id);
        if (json_array_size(tries) >= 2)
            break;
        usleep(50000);
    }
    assert_true(json_array_size(tries) >= 2);
    json_t *last = json_array_get(tries, 0);
    assert_int_equal(json_integer_value(json_object_get(last, "status")), 0);
    assert_string_equal(gxt_str(last, "outcome"), "retrying");
    assert_true(gxt_str(last, "error")[0] != '\0');
    assert_true(json_integer_value(json_object_get(last, "next_at")) >
                json_integer_value(json_object_get(last, "at")));
    json_decref(tries);
    assert_int_equal(count_received(task, "task.created"), 0);

    hookrx_down(rx, false);
    json_t *got = wait_event(task, "task.created", 10000, 1);
    json_t *q = json_array_get(got, 0);
    check_delivery(q, acme_secret, "acme");
    assert_string_equal(gxt_str(q, "id"), id);
    assert_true(atoi(gxt_str(q, "attempt")) >= 3);
    gxt_pump(&env, 300);
    tries = attempts_of(id);
    assert_string_equal(gxt_str(json_array_get(tries, 0), "outcome"), "delivered");
    json_decref(tries);
    json_decref(got);
    free(id);
    json_decref(t);
}

/* 500, not HTTP, a header too big to read, no answer (the 1 s time-out), then 200: five
 * deliveries of one event, the same id and bytes each time. */
static void test_bad_answers_retried(void **state)
{
    (void)state;
    hookrx_plan(rx, "egbh");
    json_t *t = gxt_task(&env, 0, env.api_key, "hc5", "hello", 0);
    const char *task = gxt_str(t, "task");
    json_t *got = wait_event(task, "task.created", 15000, 5);
    json_t *q0 = json_array_get(got, 0), *q;
    size_t i;
    json_array_foreach(got, i, q)
    {
        check_delivery(q, acme_secret, "acme");
        assert_string_equal(gxt_str(q, "id"), gxt_str(q0, "id"));
        assert_string_equal(gxt_str(q, "body"), gxt_str(q0, "body"));
        assert_int_equal(atoi(gxt_str(q, "attempt")), (int)i + 1);
    }
    gxt_pump(&env, 300);
    json_t *tries = attempts_of(gxt_str(q0, "id"));
    assert_int_equal(json_array_size(tries), 5);
    assert_string_equal(gxt_str(json_array_get(tries, 0), "outcome"), "delivered");
    assert_string_equal(gxt_str(json_array_get(tries, 1), "error"), "timeout");
    assert_string_equal(gxt_str(json_array_get(tries, 4), "error"), "HTTP 500");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(tries, 4), "status")), 500);
    json_decref(tries);
    json_decref(got);
    json_decref(t);
}

static void test_restart_delivers(void **state)
{
    (void)state;
    hookrx_down(rx, true);
    json_t *t = gxt_task(&env, 0, env.api_key, "hc6", "still there?", 0);
    const char *task = gxt_str(t, "task");
    free(logged_event(task, "task.created", 5000)); /* tried and failed at least once */
    assert_int_equal(gxt_stop_node(&env, 0), 0);
    hookrx_down(rx, false);
    usleep(500000);
    assert_int_equal(count_received(task, "task.created"), 0); /* nobody sends */
    gxt_start_node(&env, 0, flags);
    /* at most a lease (timeout + 20 s) if the old process stopped mid-attempt */
    json_t *got = wait_event(task, "task.created", 30000, 1);
    check_delivery(json_array_get(got, 0), acme_secret, "acme");
    json_decref(got);
    json_decref(t);
}

/* Redis stops and starts again (it keeps its data: AOF): the outbox is still there, and the
 * event goes out once both Redis and the receiver are back. */
static void test_redis_restart_keeps_outbox(void **state)
{
    (void)state;
    hookrx_down(rx, true);
    json_t *t = gxt_task(&env, 0, env.api_key, "hc8", "hello again", 0);
    const char *task = gxt_str(t, "task");
    free(logged_event(task, "task.created", 5000));
    gxt_redis_stop(&env);
    hookrx_down(rx, false);
    usleep(500000);
    assert_int_equal(count_received(task, "task.created"), 0); /* no outbox, no delivery */
    gxt_redis_start(&env);
    /* at most a lease (timeout + 20 s) if an attempt was cut off by the stop */
    json_t *got = wait_event(task, "task.created", 30000, 1);
    check_delivery(json_array_get(got, 0), acme_secret, "acme");
    json_decref(got);
    json_decref(t);
}

/* Last: a node with a 1 s maximum age gives an always-failing event up and logs it. */
static void test_give_up(void **state)
{
    (void)state;
    static const char *const short_life[] = {"--webhook-allow-private",
                                             "--webhook-retry-min-ms",
                                             "300",
                                             "--webhook-timeout",
                                             "1",
                                             "--webhook-max-age",
                                             "1",
                                             NULL};
    assert_int_equal(gxt_stop_node(&env, 0), 0);
    gxt_start_node(&env, 0, short_life);
    hookrx_plan(rx, "eeeeeeeeeeee");
    json_t *t = gxt_task(&env, 0, env.api_key, "hc7", "hello", 0);
    const char *task = gxt_str(t, "task");
    char *id = logged_event(task, "task.created", 5000);
    json_t *tries = NULL;
    for (int i = 0; i < 100; i++) {
        json_decref(tries);
        tries = attempts_of(id);
        if (strcmp(gxt_str(json_array_get(tries, 0), "outcome"), "failed") == 0)
            break;
        usleep(50000);
    }
    assert_string_equal(gxt_str(json_array_get(tries, 0), "outcome"), "failed");
    size_t n = json_array_size(tries);
    json_decref(tries);
    usleep(800000); /* nothing more is tried */
    tries = attempts_of(id);
    assert_int_equal(json_array_size(tries), n);
    json_decref(tries);
    assert_true(gxt_metric(&env, 0, "gigcx_webhook_given_up_total") >= 1);
    assert_true(gxt_metric(&env, 0, "gigcx_webhook_failed_attempts_total") >= (long long)n);
    const char *outbox = "gigcx_webhook_outbox_depth{scope=\"cluster\"}";
    for (int i = 0; i < 40 && gxt_metric(&env, 0, outbox) != 0; i++)
        usleep(100000); /* the gauge is read once a second */
    assert_int_equal(gxt_metric(&env, 0, outbox), 0);
    hookrx_plan(rx, "");
    free(id);
    json_decref(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifecycle_events_signed),
        cmocka_unit_test(test_escalated),
        cmocka_unit_test(test_expired_other_brand),
        cmocka_unit_test(test_delivery_log_api),
        cmocka_unit_test(test_receiver_down_then_back),
        cmocka_unit_test(test_bad_answers_retried),
        cmocka_unit_test(test_restart_delivers),
        cmocka_unit_test(test_redis_restart_keeps_outbox),
        cmocka_unit_test(test_give_up),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
