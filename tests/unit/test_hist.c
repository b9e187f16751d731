/* The load tester's histogram: every percentile within one bucket (1/64) of the exact
 * nearest-rank value of a sorted reference, across distributions and scales. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "hist.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t exact(const uint64_t *sorted, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    return sorted[(rank ? rank : 1) - 1];
}

static void check_against_reference(uint64_t *v, size_t n)
{
    gxlt_hist *h = malloc(sizeof(*h));
    gxlt_hist_init(h);
    for (size_t i = 0; i < n; i++)
        gxlt_hist_add(h, v[i]);
    qsort(v, n, sizeof(*v), cmp_u64);
    static const double ps[] = {1, 10, 50, 90, 99, 99.9, 100};
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        uint64_t want = exact(v, n, ps[i]), got = gxlt_hist_pct(h, ps[i]);
        assert_true(got >= want);                 /* never optimistic */
        assert_true(got <= want + want / 64 + 1); /* and at most one bucket above */
    }
    assert_int_equal(h->min_us, v[0]);
    assert_int_equal(h->max_us, v[n - 1]);
    free(h);
}

static void test_uniform_small(void **state)
{
    (void)state;
    uint64_t v[1000];
    for (size_t i = 0; i < 1000; i++)
        v[i] = (uint64_t)(random() % 200);
    check_against_reference(v, 1000);
}

static void test_long_tail(void **state)
{
    (void)state;
    size_t n = 100000;
    uint64_t *v = malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++) /* mostly ~1 ms, a tail to seconds */
        v[i] =
            500 + (uint64_t)(random() % 1000) + (i % 100 == 0 ? (uint64_t)(random() % 3000000) : 0);
    check_against_reference(v, n);
    free(v);
}

static void test_buckets_are_contiguous(void **state)
{
    (void)state;
    for (int i = 0; i + 1 < GXLT_HIST_BUCKETS; i++) {
        assert_true(gxlt_hist_low(i) < gxlt_hist_low(i + 1));
        assert_int_equal(gxlt_hist_bucket(gxlt_hist_low(i)), i);
        assert_int_equal(gxlt_hist_bucket(gxlt_hist_low(i + 1) - 1), i);
    }
    assert_int_equal(gxlt_hist_bucket(UINT64_MAX), GXLT_HIST_BUCKETS - 1);
}

static void test_empty_and_merge(void **state)
{
    (void)state;
    gxlt_hist a, b;
    gxlt_hist_init(&a);
    gxlt_hist_init(&b);
    assert_int_equal(gxlt_hist_pct(&a, 99), 0);
    gxlt_hist_add(&a, 10);
    gxlt_hist_add(&b, 1000);
    gxlt_hist_merge(&a, &b);
    assert_int_equal(a.n, 2);
    assert_int_equal(gxlt_hist_pct(&a, 50), 10);
    assert_true(gxlt_hist_pct(&a, 100) >= 1000 && gxlt_hist_pct(&a, 100) <= 1000);
    assert_true(gxlt_hist_mean(&a) == 505.0);
}

int main(void)
{
    srandom(42);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform_small),
        cmocka_unit_test(test_long_tail),
        cmocka_unit_test(test_buckets_are_contiguous),
        cmocka_unit_test(test_empty_and_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
