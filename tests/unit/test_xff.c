/* X-Forwarded-For is believed only from trusted proxies, read from the right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "gigcx/xff.h"

static const char *client(const char *trusted, const char *peer, const char *xff)
{
    static char out[64];
    gx_cidrs c;
    assert_int_equal(gx_xff_cidrs_parse(&c, trusted), 0);
    gx_xff_client(&c, peer, xff, out, sizeof(out));
    return out;
}

static void test_parse(void **state)
{
    (void)state;
    gx_cidrs c;
    assert_int_equal(gx_xff_cidrs_parse(&c, "10.0.0.0/8,127.0.0.1,::1/128,fd00::/8"), 0);
    assert_int_equal(c.n, 4);
    assert_true(gx_xff_cidrs_has(&c, "10.200.3.4"));
    assert_true(gx_xff_cidrs_has(&c, "::ffff:127.0.0.1"));
    assert_false(gx_xff_cidrs_has(&c, "11.0.0.1"));
    assert_true(gx_xff_cidrs_has(&c, "fd12::1"));
    assert_false(gx_xff_cidrs_has(&c, "fe80::1"));
    assert_int_equal(gx_xff_cidrs_parse(&c, "10.0.0.0/33"), -1);
    assert_int_equal(gx_xff_cidrs_parse(&c, "nonsense"), -1);
    assert_int_equal(gx_xff_cidrs_parse(&c, "10.0.0.0/"), -1);
}

static void test_client(void **state)
{
    (void)state;
    /* an untrusted peer's header is ignored */
    assert_string_equal(client("127.0.0.1", "203.0.113.9", "1.2.3.4"), "203.0.113.9");
    /* a trusted proxy: the address it saw */
    assert_string_equal(client("127.0.0.1", "127.0.0.1", "198.51.100.7"), "198.51.100.7");
    /* a client's own forged entries are left of the one the proxy added */
    assert_string_equal(client("127.0.0.1", "127.0.0.1", "6.6.6.6, 198.51.100.7"), "198.51.100.7");
    /* two trusted hops */
    assert_string_equal(client("127.0.0.1,10.0.0.0/8", "127.0.0.1", "198.51.100.7 , 10.1.1.1"),
                        "198.51.100.7");
    /* garbage: the last good hop stands */
    assert_string_equal(client("127.0.0.1", "127.0.0.1", "not-an-ip"), "127.0.0.1");
    assert_string_equal(client("127.0.0.1", "127.0.0.1", ""), "127.0.0.1");
    assert_string_equal(client("", "127.0.0.1", "1.2.3.4"), "127.0.0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse), cmocka_unit_test(test_client)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
