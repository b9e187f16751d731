/* The bus format (bus.h): what is encoded decodes to the same fields and frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/bus.h"

static void test_round_trip(void **state)
{
    (void)state;
    const char *f[] = {"T1", "node-1/7", "*"};
    char *p = gx_bus_encode('U', f, 3, "{\"type\":\"task.update\"}");
    assert_string_equal(p, "U\tT1\tnode-1/7\t*\n{\"type\":\"task.update\"}");
    gx_bus_msg m;
    assert_int_equal(gx_bus_parse(p, strlen(p), &m), 0);
    assert_int_equal(m.kind, 'U');
    assert_int_equal(m.n, 4);
    assert_string_equal(m.f[1], "T1");
    assert_string_equal(m.f[3], "*");
    assert_int_equal(m.blen, strlen("{\"type\":\"task.update\"}"));
    assert_memory_equal(m.body, "{\"type\":\"task.update\"}", m.blen);
    free(p);
}

static void test_header_only(void **state)
{
    (void)state;
    const char *f[] = {"e1", "42"};
    char *p = gx_bus_encode('S', f, 2, NULL);
    assert_string_equal(p, "S\te1\t42");
    gx_bus_msg m;
    assert_int_equal(gx_bus_parse(p, strlen(p), &m), 0);
    assert_int_equal(m.kind, 'S');
    assert_int_equal(m.n, 3);
    assert_string_equal(m.f[2], "42");
    assert_int_equal(m.blen, 0);
    free(p);
}

static void test_refuses_what_would_split_wrong(void **state)
{
    (void)state;
    const char *tab[] = {"a\tb"}, *nl[] = {"a\nb"};
    assert_null(gx_bus_encode('Y', tab, 1, "{}"));
    assert_null(gx_bus_encode('Y', nl, 1, "{}"));
    gx_bus_msg m;
    assert_int_equal(gx_bus_parse("", 0, &m), -1);
    assert_int_equal(gx_bus_parse("\n{}", 3, &m), -1);
    char big[GX_BUS_HEAD_MAX + 8];
    memset(big, 'x', sizeof(big));
    assert_int_equal(gx_bus_parse(big, sizeof(big), &m), -1);
}

static void test_update_and_withdraw(void **state)
{
    (void)state;
    char *w = gx_bus_withdraw("T9", NULL, "expired");
    assert_string_equal(
        w, "W\tT9\t-\n{\"type\":\"offer.withdrawn\",\"task\":\"T9\",\"reason\":\"expired\"}");
    free(w);
    json_t *u = json_pack("{s:s}", "status", "queued");
    char *p = gx_bus_update("T9", "-", NULL, u);
    assert_string_equal(p, "U\tT9\t-\t-\n{\"status\":\"queued\"}");
    free(p);
    json_decref(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_refuses_what_would_split_wrong),
        cmocka_unit_test(test_update_and_withdraw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
