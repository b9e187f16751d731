/* Marketplace figures summed from node entries: counts add up, stale nodes are left out,
 * and wait percentiles use the same bucket bounds the node's histogram fills. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "gigcx/stats.h"
#include "gigcx/metrics.h"

static json_t *node(long long ts, int available, int bucket, int count)
{
    json_t *wait = json_array();
    for (int i = 0; i <= GX_WAITHIST_BUCKETS; i++)
        json_array_append_new(wait, json_integer(i == bucket ? count : 0));
    return json_pack("{s:I, s:{s:i}, s:{s:i}, s:o}", "ts", (json_int_t)ts, "experts", "available",
                     available, "counters", "messages", 10, "wait_fine", wait);
}

static void add(json_t *flat, const char *id, json_t *entry)
{
    json_array_append_new(flat, json_string(id));
    char *text = json_dumps(entry, JSON_COMPACT);
    json_array_append_new(flat, json_string(text));
    free(text);
    json_decref(entry);
}

static void test_sum(void **state)
{
    (void)state;
    long long now = 1000000;
    json_t *flat = json_array();
    add(flat, "a", node(now - 1000, 3, 13, 5)); /* waits in the 30..40 s bucket */
    add(flat, "b", node(now - 2000, 4, 13, 5));
    add(flat, "old", node(now - 60000, 100, 0, 1000)); /* silent for a minute: left out */
    int nodes;
    json_t *sum = gx_stats_sum(flat, now, &nodes);
    assert_int_equal(nodes, 2);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(sum, "experts"), "available")), 7);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(sum, "counters"), "messages")), 20);
    double p50 = json_number_value(json_object_get(json_object_get(sum, "wait_ms"), "p50"));
    assert_true(p50 == 35000.0); /* halfway through the bucket: 5 of its 10 waits */
    json_decref(sum);
    json_decref(flat);
}

/* The /metrics page from nothing: its first write starts without a buffer (found by
 * fuzz_http under clang's UBSan, which refuses NULL + 0). */
/* One 33 s wait reads as about that (the /metrics buckets would say 60 s); percentiles move
 * through a bucket with the rank; nothing observed is 0, and beyond the last bound is it. */
static void test_wait_interpolated(void **state)
{
    (void)state;
    gx_waithist h = {0};
    assert_true(gx_waithist_pct(h.counts, 50) == 0);
    gx_waithist_observe(&h, 33);
    double p50 = gx_waithist_pct(h.counts, 50), p99 = gx_waithist_pct(h.counts, 99);
    assert_true(p50 > 30 && p50 <= 40 && p99 > p50 && p99 <= 40);
    for (int i = 0; i < 99; i++)
        gx_waithist_observe(&h, 0.1);
    assert_true(gx_waithist_pct(h.counts, 50) > 0 && gx_waithist_pct(h.counts, 50) <= 0.25);
    assert_true(gx_waithist_pct(h.counts, 99.5) > 30);
    gx_waithist far = {0};
    gx_waithist_observe(&far, 5000);
    assert_true(gx_waithist_pct(far.counts, 50) == 1800);
}

static void test_render_from_empty(void **state)
{
    (void)state;
    gx_metrics m = {0};
    char *text = gx_metrics_render(&m, &(gx_redis_counters){.up = 1}, "extra_metric 1\n");
    assert_non_null(text);
    assert_non_null(strstr(text, "gigcx_connections{role=\"expert\"} 0\n"));
    assert_non_null(strstr(text, "extra_metric 1\n"));
    free(text);
}

/* Every close slot and accept errno is a series from the start, and the Redis-wide outbox
 * says it is the cluster's. */
static void test_render_operations(void **state)
{
    (void)state;
    static gx_metrics m;
    m.ws_closes[GX_WSCLOSE_BY_PEER][gx_wsclose_slot(1000)] = 3;
    m.ws_closes[GX_WSCLOSE_BY_SERVER][gx_wsclose_slot(4999)] = 2;
    m.ws_closes[GX_WSCLOSE_BY_PEER][gx_wsclose_slot(0)] = 1;
    m.accept_errors[gx_accept_errno_slot(EMFILE)] = 4;
    m.shed_sockets = 5;
    m.start_s = 1700000000.5;
    char *text = gx_metrics_render(&m, &(gx_redis_counters){.up = 1}, NULL);
    assert_non_null(text);
    static const char *const want[] = {
        "gigcx_ws_closes_total{by=\"peer\",code=\"1000\"} 3\n",
        "gigcx_ws_closes_total{by=\"server\",code=\"other\"} 2\n",
        "gigcx_ws_closes_total{by=\"peer\",code=\"none\"} 1\n",
        "gigcx_ws_closes_total{by=\"server\",code=\"4409\"} 0\n",
        "gigcx_accept_errors_total{errno=\"EMFILE\"} 4\n",
        "gigcx_accept_errors_total{errno=\"other\"} 0\n",
        "gigcx_shed_sockets_total 5\n",
        "gigcx_webhook_outbox_depth{scope=\"cluster\"} 0\n",
        "process_start_time_seconds 1700000000.500\n",
        "gigcx_build_info{version=\"",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(text, want[i]))
            fail_msg("not in /metrics: %s", want[i]);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sum), cmocka_unit_test(test_wait_interpolated),
        cmocka_unit_test(test_render_from_empty), cmocka_unit_test(test_render_operations)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
