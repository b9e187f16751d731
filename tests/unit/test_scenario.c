/* Scenario files: defaults, every shipped scenario parses, overrides by flag, and a bad
 * file gets an error that names the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "scenario.h"

static void test_shipped_scenarios_parse(void **state)
{
    (void)state;
    static const char *const names[] = {"smoke", "steady",          "black-friday", "fanout",
                                        "chat",  "reconnect-storm", "idle"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[512], err[300] = "";
        snprintf(path, sizeof(path), "%s/%s.json", GXLT_SCENARIO_DIR, names[i]);
        gxlt_scenario s;
        gxlt_scenario_defaults(&s);
        if (gxlt_scenario_load(&s, path, err, sizeof(err)))
            fail_msg("%s", err);
        assert_string_equal(s.name, names[i]);
        assert_true(s.nslo > 0);
    }
}

static void test_profile_and_rate(void **state)
{
    (void)state;
    gxlt_scenario s;
    char err[300];
    gxlt_scenario_defaults(&s);
    assert_int_equal(
        gxlt_scenario_parse(&s, "{\"task_rate\": [[0, 10], [10, 110]]}", err, sizeof(err)), 0);
    assert_true(gxlt_scenario_rate(&s, 0) == 10);
    assert_true(gxlt_scenario_rate(&s, 5) == 60);
    assert_true(gxlt_scenario_rate(&s, 99) == 110);
}

static void expect_error(const char *json, const char *field)
{
    gxlt_scenario s;
    char err[300] = "", want[80];
    gxlt_scenario_defaults(&s);
    assert_int_equal(gxlt_scenario_parse(&s, json, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "'%s'", field);
    if (!strstr(err, want))
        fail_msg("error for %s does not name '%s': %s", json, field, err);
}

/* Rates and times near DBL_MAX interpolate to a finite rate between the two points (found
 * by fuzz_scenario: the product of the two spans overflowed to infinity). */
static void test_rate_of_huge_profile(void **state)
{
    (void)state;
    gxlt_scenario s;
    char err[300];
    gxlt_scenario_defaults(&s);
    assert_int_equal(
        gxlt_scenario_parse(&s, "{\"task_rate\": [[0, 0], [1e10, 1e308]]}", err, sizeof(err)), 0);
    double r = gxlt_scenario_rate(&s, 1e9);
    assert_true(isfinite(r));
    assert_true(fabs(r - 1e307) < 1e293);
}

static void test_errors_name_the_field(void **state)
{
    (void)state;
    expect_error("{\"experts\": \"many\"}", "experts");
    expect_error("{\"experts\": -1}", "experts");
    expect_error("{\"capacity\": 11}", "capacity");
    expect_error("{\"claim_think\": [5, 1]}", "claim_think");
    expect_error("{\"task_rate\": [[5, 1], [1, 2]]}", "task_rate");
    expect_error("{\"open_share\": 2}", "open_share");
    expect_error("{\"slo\": {\"claim_rtt\": 5}}", "slo");
    expect_error("{\"slo\": {\"nonsense.p99_ms\": 5}}", "slo");
    expect_error("{\"expertz\": 5}", "expertz");
    expect_error("{\"claim\": 1}", "claim");
    expect_error("{\"wave_size\": 5000}", "wave_size");
    expect_error("{\"wave_interval_s\": 0}", "wave_interval_s");
    gxlt_scenario s;
    char err[300] = "";
    gxlt_scenario_defaults(&s);
    assert_int_equal(gxlt_scenario_parse(&s, "[1, 2", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "JSON"));
}

static void test_overrides(void **state)
{
    (void)state;
    gxlt_scenario s;
    char err[300];
    gxlt_scenario_defaults(&s);
    assert_int_equal(gxlt_scenario_set(&s, "experts", "2000", err, sizeof(err)), 0);
    assert_int_equal(s.experts, 2000);
    assert_int_equal(gxlt_scenario_set(&s, "duration-s", "30", err, sizeof(err)), 0);
    assert_true(s.duration_s == 30);
    assert_int_equal(gxlt_scenario_set(&s, "claim-think", "[1, 2]", err, sizeof(err)), 0);
    assert_true(s.claim_think.lo == 1 && s.claim_think.hi == 2);
    assert_int_equal(gxlt_scenario_set(&s, "brand", "peak", err, sizeof(err)), 0);
    assert_string_equal(s.brand, "peak");
    assert_int_equal(
        gxlt_scenario_set(&s, "webhook-url", "http://127.0.0.1:8532/h", err, sizeof(err)), 0);
    assert_string_equal(s.webhook_url, "http://127.0.0.1:8532/h");
    assert_int_equal(gxlt_scenario_set(&s, "webhook-url", "http://a\"b", err, sizeof(err)), -1);
    assert_int_equal(gxlt_scenario_set(&s, "webhook-url", "ftp://a", err, sizeof(err)), -1);
    assert_int_equal(gxlt_scenario_set(&s, "nonsense", "1", err, sizeof(err)), 1);
    assert_int_equal(gxlt_scenario_set(&s, "capacity", "0", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'capacity'"));
    /* fields that depend on each other are judged after every flag, in any order */
    assert_int_equal(gxlt_scenario_set(&s, "capacity", "3", err, sizeof(err)), 0);
    assert_int_equal(gxlt_scenario_set(&s, "chat-pairs", "3000", err, sizeof(err)), 0);
    assert_int_equal(gxlt_scenario_validate(&s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'chat_pairs'"));
    assert_int_equal(gxlt_scenario_set(&s, "experts", "3000", err, sizeof(err)), 0);
    assert_int_equal(gxlt_scenario_validate(&s, err, sizeof(err)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_scenarios_parse),
        cmocka_unit_test(test_profile_and_rate),
        cmocka_unit_test(test_rate_of_huge_profile),
        cmocka_unit_test(test_errors_name_the_field),
        cmocka_unit_test(test_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
