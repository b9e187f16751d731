/* The report writer: a run's figures become JSON with the right percentiles, SLOs and
 * violations decide pass/fail, and the text and HTML renderings carry them (the HTML
 * self-contained: inline SVG, no external loads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "report.h"

static gxlt_run *fake_run(void)
{
    gxlt_run *run = calloc(1, sizeof(*run));
    gxlt_scenario_defaults(&run->sc);
    snprintf(run->sc.name, sizeof(run->sc.name), "unit");
    run->nurls = 1;
    snprintf(run->hosts[0], sizeof(run->hosts[0]), "127.0.0.1");
    run->ports[0] = 8080;
    run->st.errors = json_object();
    for (int i = 0; i < 1000; i++) /* 1..1000 ms */
        gxlt_observe(run, M_CLAIM, (uint64_t)(i + 1) * 1000);
    run->st.series = calloc(2, sizeof(gxlt_sample));
    run->st.nseries = 2;
    run->st.series[0] = (gxlt_sample){
        .t_s = 1, .p50 = {[M_CLAIM] = 500000}, .p99 = {[M_CLAIM] = 990000}, .n = {[M_CLAIM] = 500}};
    run->st.series[1] = (gxlt_sample){
        .t_s = 2, .p50 = {[M_CLAIM] = 500000}, .p99 = {[M_CLAIM] = 990000}, .n = {[M_CLAIM] = 500}};
    run->before[0] = (gxlt_server_sample){.cpu_s = 1, .rss_bytes = 10 << 20, .ok = true};
    run->idle[0] = (gxlt_server_sample){.cpu_s = 1, .rss_bytes = 11 << 20, .ok = true};
    run->after[0] = (gxlt_server_sample){.cpu_s = 3, .rss_bytes = 12 << 20, .ok = true};
    run->st.claims_won = 100;
    run->st.claims_lost = 900;
    run->self_cpu_start = 4; /* the tester: 5 s of CPU over the 10 s measured */
    run->self_cpu_end = 9;
    return run;
}

static void free_run(gxlt_run *run)
{
    json_decref(run->st.errors);
    free(run->st.series);
    free(run);
}

/* o.path1[.path2].k as a number (path2 NULL: o.path1.k) */
static double num(json_t *o, const char *path1, const char *path2, const char *k)
{
    json_t *p = json_object_get(o, path1);
    return json_number_value(json_object_get(path2 ? json_object_get(p, path2) : p, k));
}

static void test_build_and_judge(void **state)
{
    (void)state;
    gxlt_run *run = fake_run();
    json_t *r = gxlt_report_build(run, 10);
    double p99 = num(r, "latency_ms", "claim_rtt", "p99");
    assert_true(p99 >= 990 && p99 <= 990 * 1.02);
    assert_true(json_number_value(
                    json_object_get(json_object_get(r, "throughput_per_s"), "claims")) == 100);
    assert_true(json_number_value(
                    json_object_get(json_object_get(r, "server"), "cpu_us_per_claim")) == 2000);
    assert_true(json_number_value(json_object_get(json_object_get(r, "server"), "cpu_s")) == 2);
    assert_true(num(r, "tester", NULL, "cpu_s") == 5 &&
                num(r, "tester", NULL, "core_share") == 0.5);
    assert_true(num(r, "tester", NULL, "cpu_us_per_claim") == 5000);

    run->sc.nslo = 1; /* a p99 of 990 ms passes at 1000 ms and fails at 500 ms */
    run->sc.slo[0] = (gxlt_slo){.metric = "claim_rtt", .pct = 99, .max_ms = 1000};
    assert_true(gxlt_report_judge(r, &run->sc));
    run->sc.slo[0].max_ms = 500;
    assert_false(gxlt_report_judge(r, &run->sc));
    assert_int_equal(json_array_size(json_object_get(r, "failures")), 1);
    json_decref(r);

    run->sc.slo[0].max_ms = 1000; /* any violation fails the run */
    run->st.v[V_LOST] = 1;
    r = gxlt_report_build(run, 10);
    assert_false(gxlt_report_judge(r, &run->sc));
    assert_non_null(strstr(json_string_value(json_array_get(json_object_get(r, "failures"), 0)),
                           "lost_messages"));
    json_decref(r);
    free_run(run);
}

static char *render(json_t *r, int (*fn)(FILE *, json_t *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(fn(f, r), 0);
    fclose(f);
    return buf;
}

static void test_text_and_html(void **state)
{
    (void)state;
    gxlt_run *run = fake_run();
    json_t *r = gxlt_report_build(run, 10);
    gxlt_report_judge(r, &run->sc);
    char *text = render(r, gxlt_report_text);
    assert_non_null(strstr(text, "claim_rtt"));
    assert_non_null(strstr(text, "PASS"));
    assert_non_null(strstr(text, "tester: cpu 5.00 s (50% of a core)"));
    char *html = render(r, gxlt_report_html);
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, "<polyline"));
    assert_non_null(strstr(html, "<h2>Load tester</h2><table><tr><td>cpu_s</td><td>5.00</td>"));
    assert_null(strstr(html, "src=")); /* nothing loaded from anywhere */
    assert_null(strstr(html, "href="));
    assert_null(strstr(html, "<script"));
    free(text);
    free(html);
    json_decref(r);
    free_run(run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_and_judge),
        cmocka_unit_test(test_text_and_html),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
