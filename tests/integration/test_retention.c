/* Retention (--task-retention): a finished task (resolved, cancelled) goes, with its chat and
 * every index entry, once the retention has passed since it ended; a task still open stays
 * however old it is; the brand's listing and the customer's task set let go of the deleted
 * ones, and /metrics counts them. The dashboard's per-node figures (gx:nodestats) forget a
 * node silent for 10 minutes (node ids of past processes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "harness.h"

static const char *const fast[] = {"--heartbeat", "1", "--task-retention", "2", NULL};
GXT_FIXTURES(1, fast)

static int task_status(const char *task)
{
    char path[96];
    snprintf(path, sizeof(path), "/api/v1/tasks/%s", task);
    return gxt_http(&env, 0, "GET", path, GXT_ADMIN, NULL, NULL, NULL);
}

/* Redis's integer reply to cmd (an EXISTS, SISMEMBER, ZSCORE... as 0 or 1). */
static long long redis_int(const char *fmt, const char *arg)
{
    char cmd[200];
    snprintf(cmd, sizeof(cmd), fmt, arg);
    char *r = gxt_redis(&env, cmd);
    long long v = r && r[0] == ':' ? atoll(r + 1) : r && r[0] == '$' && r[1] != '-' ? 1 : 0;
    free(r);
    return v;
}

static bool listed(const char *key, const char *task)
{
    json_t *out = NULL;
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/tasks?limit=100", key, NULL, NULL, &out),
                     200);
    bool found = false;
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(out, "tasks"), i, row)
    {
        found |= strcmp(gxt_str(row, "task"), task) == 0 || strcmp(gxt_str(row, "id"), task) == 0;
    }
    json_decref(out);
    return found;
}

static void test_finished_tasks_go_open_ones_stay(void **state)
{
    (void)state;
    char *key = gxt_brand(&env, "ret");
    gxt_expert(&env, "ret1", "ret", 2);
    gxt_conn *e = gxt_available(&env, 0, "ret1");

    json_t *a = gxt_task(&env, 0, key, "retc1", "resolve me", 0);
    json_t *b = gxt_task(&env, 0, key, "retc2", "cancel me", 0);
    const char *ta = gxt_str(a, "task"), *tb = gxt_str(b, "task");
    gxt_claim_offered(e, ta);
    gxt_send(e, "{s:s, s:s}", "type", "task.resolve", "task", ta);
    gxt_conn *cb = gxt_login(&env, 0, gxt_str(b, "customer_token"), NULL, NULL);
    gxt_send(cb, "{s:s, s:s}", "type", "task.cancel", "task", tb);
    gxt_pump(&env, 300);
    /* held by an expert past the retention: open, so kept */
    json_t *c = gxt_task(&env, 0, key, "retc3", "keep me", 0);
    const char *tc = gxt_str(c, "task");
    gxt_claim_offered(e, tc);
    assert_int_equal(task_status(ta), 200);
    assert_int_equal(redis_int("SISMEMBER gx:u:c:ret:retc1:tasks %s", ta), 1); /* unrated */

    int64_t end = gxt_now_ms() + 15000; /* 2 s of retention, then a sweep every 5 s */
    while ((task_status(ta) != 404 || task_status(tb) != 404) && gxt_now_ms() < end)
        gxt_pump(&env, 250);
    assert_int_equal(task_status(ta), 404);
    assert_int_equal(task_status(tb), 404);
    assert_int_equal(redis_int("EXISTS gx:{t:%s}:chat", ta), 0);
    assert_int_equal(redis_int("EXISTS gx:{t:%s}:cids", tb), 0);
    assert_int_equal(redis_int("ZSCORE gx:{b:ret}:all %s", ta), 0);
    assert_int_equal(redis_int("SISMEMBER gx:u:c:ret:retc1:tasks %s", ta), 0);
    assert_false(listed(key, ta));
    assert_false(listed(key, tb));
    /* the open one is whole: its hash, chat and listing entry */
    assert_int_equal(task_status(tc), 200);
    assert_int_equal(redis_int("EXISTS gx:{t:%s}:chat", tc), 1);
    assert_true(listed(key, tc));
    assert_true(gxt_metric(&env, 0, "gigcx_tasks_purged_total") >= 2);
    gxt_close(cb);
    gxt_close(e);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    free(key);
}

/* Wall-clock milliseconds, as nodes stamp their figures. */
static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Before the node starts: a node gone an hour ago, and one silent for a minute. */
static void stale_nodes(gxt_env *e)
{
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "HSET gx:nodestats ghost '{\"ts\":%lld}' quiet '{\"ts\":%lld}'",
             wall_ms() - 3600000, wall_ms() - 60000);
    free(gxt_redis(e, cmd));
}

static void test_gone_nodes_leave_the_stats(void **state)
{
    (void)state;
    int64_t end = gxt_now_ms() + 10000; /* the tick's first pass, 3 s after start */
    while (redis_int("HEXISTS gx:nodestats %s", "ghost") && gxt_now_ms() < end)
        gxt_pump(&env, 250);
    assert_int_equal(redis_int("HEXISTS gx:nodestats %s", "ghost"), 0);
    assert_int_equal(redis_int("HEXISTS gx:nodestats %s", "quiet"), 1);
    assert_int_equal(redis_int("HEXISTS gx:nodestats %s", "node1"), 1);
}

int main(void)
{
    gxt_prepare = stale_nodes;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gone_nodes_leave_the_stats),
        cmocka_unit_test(test_finished_tasks_go_open_ones_stay),
    };
    return GXT_RUN_CASES(tests, NULL, setup, teardown);
}
