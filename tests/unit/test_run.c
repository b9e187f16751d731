/* Unit tests for the load tester's run machinery (loadtest/src/run.c): when sockets are
 * spread over source addresses, and which address socket number i gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "run.h"

static void test_loopback_hosts(void **state)
{
    (void)state;
    assert_true(gxlt_is_loopback("127.0.0.1"));
    assert_true(gxlt_is_loopback("127.1.2.3"));
    assert_true(gxlt_is_loopback("localhost"));
    assert_false(gxlt_is_loopback("10.0.0.1"));
    assert_false(gxlt_is_loopback("128.0.0.1"));
    assert_false(gxlt_is_loopback("gigcx.example"));
    assert_false(gxlt_is_loopback(""));
}

static void test_source_ips_by_count(void **state)
{
    (void)state;
    assert_int_equal(gxlt_source_ips_for(0, true), 0);
    assert_int_equal(gxlt_source_ips_for(10000, true), 0); /* one address is quick enough */
    assert_int_equal(gxlt_source_ips_for(10001, true), 2);
    assert_int_equal(gxlt_source_ips_for(19000, true), 2);
    assert_int_equal(gxlt_source_ips_for(45000, true), 5);
    assert_int_equal(gxlt_source_ips_for(1e9, true), 250); /* 127.0.0.2 .. 127.0.0.251 */
    assert_int_equal(GXLT_SOURCE_IPS_MAX, 250);
    /* 127.0.0.x cannot reach another machine: the kernel picks the address there */
    assert_int_equal(gxlt_source_ips_for(45000, false), 0);
}

static void test_targets_spread(void **state)
{
    (void)state;
    static gxlt_run run; /* large; only the urls and source_ips matter here */
    run.nurls = 2;
    strcpy(run.hosts[0], "127.0.0.1");
    strcpy(run.hosts[1], "127.0.0.1");
    run.ports[0] = 8081;
    run.ports[1] = 8082;
    char ip[16];
    gxc_target t = gxlt_target(&run, 3, ip);
    assert_int_equal(t.port, 8082);
    assert_null(t.source_ip); /* not spread: the kernel chooses */
    run.source_ips = 3;
    const char *want[] = {"127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3",
                          "127.0.0.4", "127.0.0.4", "127.0.0.2"};
    for (int i = 0; i < 7; i++) {
        t = gxlt_target(&run, i, ip);
        assert_int_equal(t.port, i % 2 ? 8082 : 8081);
        assert_string_equal(t.source_ip, want[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_hosts),
        cmocka_unit_test(test_source_ips_by_count),
        cmocka_unit_test(test_targets_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
