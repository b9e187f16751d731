/* The string map under the local indexes: set, get, delete, growth, tombstone reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include "gigcx/map.h"

static void count(const char *k, void *v, void *arg)
{
    (void)k;
    (void)v;
    (*(int *)arg)++;
}

static void test_set_get_del(void **state)
{
    (void)state;
    gx_map m = {0};
    int a = 1, b = 2;
    assert_null(gx_map_get(&m, "x"));
    assert_int_equal(gx_map_set(&m, "x", &a), 0);
    assert_ptr_equal(gx_map_get(&m, "x"), &a);
    assert_int_equal(gx_map_set(&m, "x", &b), 0); /* replace keeps one entry */
    assert_int_equal(m.used, 1);
    assert_ptr_equal(gx_map_del(&m, "x"), &b);
    assert_null(gx_map_get(&m, "x"));
    assert_null(gx_map_del(&m, "x"));
    gx_map_free(&m);
    gx_map_free(NULL);
}

static void test_many_keys_and_churn(void **state)
{
    (void)state;
    gx_map m = {0};
    static int vals[5000];
    char k[32];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5000; i++) {
            snprintf(k, sizeof(k), "task-%d", i);
            assert_int_equal(gx_map_set(&m, k, &vals[i]), 0);
        }
        for (int i = 0; i < 5000; i += 2) {
            snprintf(k, sizeof(k), "task-%d", i);
            assert_ptr_equal(gx_map_del(&m, k), &vals[i]);
        }
        for (int i = 1; i < 5000; i += 2) {
            snprintf(k, sizeof(k), "task-%d", i);
            assert_ptr_equal(gx_map_get(&m, k), &vals[i]);
        }
        int n = 0;
        gx_map_each(&m, count, &n);
        assert_int_equal(n, 2500);
        assert_int_equal(m.used, 2500);
    }
    assert_true(m.cap <= 16384); /* tombstones are reused, not accumulated forever */
    gx_map_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_set_get_del),
                                       cmocka_unit_test(test_many_keys_and_churn)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
