/* The hand-written RESP writer produces exactly what hiredis's formatter does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>
#include "gigcx/resp.h"

static void same_as_hiredis(int argc, const char **argv, const size_t *lens)
{
    char *want = NULL;
    int wn = redisFormatCommandArgv(&want, argc, argv, lens);
    assert_true(wn > 0);
    size_t n = gx_resp_size(argc, argv, lens);
    assert_int_equal(n, (size_t)wn);
    char *got = malloc(n);
    assert_int_equal(gx_resp_write(got, argc, argv, lens), n);
    assert_memory_equal(got, want, n);
    free(got);
    free(want);
}

static void test_plain_arguments(void **state)
{
    (void)state;
    const char *a[] = {"HMGET", "gx:{t:abc}:task", "status", "", "x"};
    same_as_hiredis(5, a, NULL);
    same_as_hiredis(1, a, NULL);
}

static void test_binary_and_long_arguments(void **state)
{
    (void)state;
    char big[70000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7); /* NULs, CR, LF and high bytes included */
    const char *a[] = {"EVALSHA", big, "3", big + 5};
    size_t lens[] = {7, sizeof(big), 1, 9};
    same_as_hiredis(4, a, lens);
    /* 10, 11 and more arguments: the count has two digits */
    const char *many[12] = {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"};
    same_as_hiredis(10, many, NULL);
    same_as_hiredis(12, many, NULL);
}

static void test_decimal(void **state)
{
    (void)state;
    char out[24];
    uint64_t v[] = {0, 9, 10, 99, 100, 123456789, UINT64_MAX};
    const char *want[] = {"0", "9", "10", "99", "100", "123456789", "18446744073709551615"};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        size_t n = gx_resp_u64_dec(out, v[i]);
        assert_int_equal(n, strlen(want[i]));
        assert_memory_equal(out, want[i], n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_arguments),
        cmocka_unit_test(test_binary_and_long_arguments),
        cmocka_unit_test(test_decimal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
