/* Stream ids compare the way Redis orders them, not as strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "gigcx/sid.h"

static void test_parse(void **state)
{
    (void)state;
    gx_sid s;
    assert_int_equal(gx_sid_parse("1700000000000-3", &s), 0);
    assert_true(s.ms == 1700000000000ULL && s.seq == 3);
    assert_int_equal(gx_sid_parse("42", &s), 0);
    assert_true(s.ms == 42 && s.seq == 0);
    const char *bad[] = {"",
                         "-",
                         "1-",
                         "-1",
                         "a-1",
                         "1-a",
                         "1-2-3",
                         " 1-2",
                         "1-2 ",
                         "+1-2",
                         "99999999999999999999999-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(gx_sid_parse(bad[i], &s), -1);
    assert_int_equal(gx_sid_parse(NULL, &s), -1);
}

static void test_order(void **state)
{
    (void)state;
    gx_sid a, b;
    gx_sid_parse("9-0", &a);
    gx_sid_parse("10-0", &b); /* as strings "9-0" > "10-0"; as ids it is before */
    assert_true(gx_sid_cmp(a, b) < 0);
    gx_sid_parse("10-2", &a);
    gx_sid_parse("10-10", &b);
    assert_true(gx_sid_cmp(a, b) < 0);
    assert_true(gx_sid_cmp(b, a) > 0);
    assert_int_equal(gx_sid_cmp(a, a), 0);
}

static void test_format_round_trip(void **state)
{
    (void)state;
    gx_sid a = {1795403913556ULL, 7}, b;
    char buf[48];
    gx_sid_format(a, buf, sizeof(buf));
    assert_string_equal(buf, "1795403913556-7");
    assert_int_equal(gx_sid_parse(buf, &b), 0);
    assert_int_equal(gx_sid_cmp(a, b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse), cmocka_unit_test(test_order),
                                       cmocka_unit_test(test_format_round_trip)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
