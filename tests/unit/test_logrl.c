/* Rate-limited log lines: one a second per call site, the next one counting the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <libwebsockets.h>
#include "gigcx/logrl.h"

static int lines;
static char last[512];

static void capture(int level, const char *line)
{
    (void)level;
    lines++;
    snprintf(last, sizeof(last), "%s", line);
}

static void test_one_line_a_second(void **state)
{
    (void)state;
    lws_set_log_level(LLL_WARN | LLL_ERR, capture);
    gx_logrl rl = {0};
    for (int i = 0; i < 1000; i++)
        gx_logrl_emit(&rl, LLL_WARN, "redis: error reply: %s\n", "READONLY");
    assert_int_equal(lines, 1);
    assert_non_null(strstr(last, "redis: error reply: READONLY"));
    assert_null(strstr(last, "more like it"));
    usleep(1050000);
    gx_logrl_emit(&rl, LLL_WARN, "redis: error reply: %s\n", "READONLY");
    assert_int_equal(lines, 2);
    assert_non_null(strstr(last, "(and 999 more like it since the last report)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_one_line_a_second)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
