/* The load tester's smoke scenario against a freshly started gigcxd must pass its SLOs
 * and zero-violation counters, and write its JSON and HTML reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "harness.h"

GXT_FIXTURES(1, NULL)

static void test_smoke_passes(void **state)
{
    (void)state;
    const char *bin = getenv("GXLT");
    if (!bin)
        fail_msg("set GXLT to the gigcx-loadtest binary");
    char cmd[1024], json[200], html[200];
    snprintf(json, sizeof(json), "%s/smoke.json", env.dir);
    snprintf(html, sizeof(html), "%s/smoke.html", env.dir);
    snprintf(cmd, sizeof(cmd),
             "timeout 120 '%s' smoke --url ws://127.0.0.1:%d --admin-key %s --quiet --json '%s' "
             "--html '%s'",
             bin, env.node_port[0], GXT_ADMIN, json, html);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    json_t *r = json_load_file(json, 0, NULL);
    assert_non_null(r);
    assert_true(json_is_true(json_object_get(r, "pass")));
    json_t *counts = json_object_get(r, "counts");
    assert_true(json_integer_value(json_object_get(counts, "tasks_rated")) > 0);
    assert_true(json_integer_value(json_object_get(counts, "messages_acked")) > 0);
    json_decref(r);
    struct stat sb;
    assert_int_equal(stat(html, &sb), 0);
    assert_true(sb.st_size > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smoke_passes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
