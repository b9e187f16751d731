/* Lost replies: Redis ran a write, its answer never reached gigcxd (a proxy holds it back
 * past --redis-timeout), the user heard 503 or unavailable and tries again.
 * - POST /api/v1/tasks with an Idempotency-Key: the retry gets the task the first request
 *   made, never a second one; without a lost reply, the same.
 * - task.claim: the winner's retry is answered as won (task.assigned), not conflict.
 * Creation and claim are one script each, so no retry finds one half done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"
#include "lagproxy.h"

static const char *const extra[] = {"--redis-timeout", "500", NULL};
GXT_FIXTURES(1, extra)
static gxt_lag *lag;

/* The node talks to Redis through the lagging proxy. */
static void through_proxy(gxt_env *e)
{
    int port = gxt_free_port();
    lag = gxt_lag_start(port, &e->redis_port);
    assert_non_null(lag);
    snprintf(e->redis_url, sizeof(e->redis_url), "redis://127.0.0.1:%d", port);
}

/* POST a task for customer with key (NULL: no header); the status, *out the body. */
static int post(const char *apikey, const char *customer, const char *key, json_t **out)
{
    char body[256], hdr[300];
    snprintf(body, sizeof(body),
             "{\"customer\": {\"id\": \"%s\", \"name\": \"Ann\"}, \"topic\": \"billing\", "
             "\"language\": \"en\", \"text\": \"charged twice\"}",
             customer);
    snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s\r\n", key ? key : "");
    return gxt_http_ex(&env, 0, "POST", "/api/v1/tasks", apikey, key ? hdr : NULL, body, out);
}

static long long tasks_of(const char *customer)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "SCARD gx:u:c:acme:%s:tasks", customer);
    char *r = gxt_redis(&env, cmd);
    long long n = r && r[0] == ':' ? atoll(r + 1) : -1;
    free(r);
    return n;
}

static void test_retry_gets_the_same_task(void **state)
{
    (void)state;
    json_t *a, *b, *c;
    assert_int_equal(post(env.api_key, "idem1", "order-77", &a), 201);
    assert_false(json_is_true(json_object_get(a, "replayed")));
    assert_int_equal(post(env.api_key, "idem1", "order-77", &b), 201);
    assert_string_equal(gxt_str(a, "task"), gxt_str(b, "task"));
    assert_true(json_is_true(json_object_get(b, "replayed")));
    assert_int_equal(json_integer_value(json_object_get(a, "position")),
                     json_integer_value(json_object_get(b, "position")));
    assert_true(gxt_str(b, "customer_token")[0]);
    assert_int_equal(tasks_of("idem1"), 1);
    /* another key: another task; no key: a new task every time */
    assert_int_equal(post(env.api_key, "idem1", "order-78", &c), 201);
    assert_string_not_equal(gxt_str(a, "task"), gxt_str(c, "task"));
    json_decref(c);
    assert_int_equal(post(env.api_key, "idem1", NULL, &c), 201);
    json_decref(c);
    assert_int_equal(tasks_of("idem1"), 3);
    /* the same key for another customer is refused, not answered with someone else's task */
    assert_int_equal(post(env.api_key, "idem2", "order-77", &c), 409);
    json_decref(c);
    /* keys are the brand's own: another brand's same key makes its own task */
    char *other = gxt_brand(&env, "idemother");
    assert_int_equal(post(other, "idem1", "order-77", &c), 201);
    assert_string_not_equal(gxt_str(a, "task"), gxt_str(c, "task"));
    assert_false(json_is_true(json_object_get(c, "replayed")));
    json_decref(c);
    free(other);
    json_decref(a);
    json_decref(b);
}

static void test_bad_keys_are_refused(void **state)
{
    (void)state;
    char longkey[200];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    const char *bad[] = {longkey, "has space", "tab\there"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *out;
        assert_int_equal(post(env.api_key, "idem3", bad[i], &out), 400);
        assert_string_equal(gxt_str(json_object_get(out, "error"), "code"), "bad_request");
        json_decref(out);
    }
    assert_int_equal(tasks_of("idem3"), 0);
}

/* Redis runs the creation script, its reply is held back past --redis-timeout: the node
 * answers 503 although the task exists. The retry with the key gets that task. */
static void test_lost_reply_is_not_a_second_task(void **state)
{
    (void)state;
    gxt_lag_delay_after(lag, "idem4", 1500);
    json_t *out;
    assert_int_equal(post(env.api_key, "idem4", "order-99", &out), 503);
    json_decref(out);
    assert_int_equal(tasks_of("idem4"), 1); /* made, though the answer said otherwise */
    gxt_lag_delay(lag, 0);
    for (int i = 0; i < 100 && gxt_http(&env, 0, "GET", "/readyz", NULL, NULL, NULL, NULL) != 200;
         i++)
        usleep(50000);
    assert_int_equal(post(env.api_key, "idem4", "order-99", &out), 201);
    assert_true(json_is_true(json_object_get(out, "replayed")));
    json_decref(out);
    assert_int_equal(tasks_of("idem4"), 1);
}

static void test_lost_claim_reply_is_won_on_retry(void **state)
{
    (void)state;
    gxt_expert(&env, "lc1", "acme", 2);
    char *tok = gxt_token(&env, "lc1", "expert", NULL);
    gxt_conn *e = gxt_login(&env, 0, tok, NULL, NULL);
    gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(e, "presence", 3000));
    json_t *t;
    assert_int_equal(post(env.api_key, "idem5", NULL, &t), 201);
    const char *task = gxt_str(t, "task");
    json_decref(gxt_must(e, "offer", 3000));
    gxt_lag_delay_after(lag, task, 1500); /* the claim script names the task */
    gxt_send(e, "{s:s, s:s, s:s}", "type", "task.claim", "task", task, "ref", "c1");
    assert_string_equal(gxt_error_code(e, 3000), "unavailable");
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "HGET gx:{t:%s}:task assignee", task);
    char *who = gxt_redis(&env, cmd);
    assert_non_null(strstr(who ? who : "", "lc1")); /* won in Redis all the same */
    free(who);
    gxt_lag_delay(lag, 0);
    for (int i = 0; i < 100 && gxt_http(&env, 0, "GET", "/readyz", NULL, NULL, NULL, NULL) != 200;
         i++)
        usleep(50000);
    gxt_send(e, "{s:s, s:s, s:s}", "type", "task.claim", "task", task, "ref", "c2");
    json_t *a = gxt_must(e, "task.assigned", 3000);
    assert_string_equal(gxt_str(a, "task"), task);
    json_decref(a);
    /* the claim's every write is there: the claimer's tasks, out of the queue and expiry */
    snprintf(cmd, sizeof(cmd), "SISMEMBER gx:u:lc1:tasks %s", task);
    char *r = gxt_redis(&env, cmd);
    assert_string_equal(r ? r : "", ":1\r\n");
    free(r);
    snprintf(cmd, sizeof(cmd), "ZSCORE gx:{b:acme}:q %s", task);
    r = gxt_redis(&env, cmd);
    assert_string_equal(r ? r : "", "$-1\r\n");
    free(r);
    json_decref(t);
    free(tok);
    gxt_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_gets_the_same_task),
        cmocka_unit_test(test_bad_keys_are_refused),
        cmocka_unit_test(test_lost_reply_is_not_a_second_task),
        cmocka_unit_test(test_lost_claim_reply_is_won_on_retry),
    };
    gxt_prepare = through_proxy;
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    gxt_lag_stop(lag);
    return rc;
}
