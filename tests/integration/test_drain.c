/* gigcx-loadtest's drain scenario, small, against a fresh gigcxd: 20 experts with 3 slots
 * drain a backlog of 200 tasks held 200 ms each. The report's drain figures must be there
 * and agree with each other and with the scenario; the SLOs are loose enough for a server
 * that leaves tasks waiting for its next wave (waves of everyone, every second: 12-17 s
 * where the ideal is 0.8 s before the routing work of 2026-12-04, 0.84-0.93 s after it),
 * and a limit nobody can meet must fail the run with exit status 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "harness.h"

/* simulated experts claim far faster than people: the default flood limit would refuse them */
static const char *const node_args[] = {"--ws-rate", "5000", NULL};
GXT_FIXTURES(1, node_args)

/* Runs gigcx-loadtest drain with flags, writing out/NAME.{json,html,txt}; returns its exit
 * status and the JSON report in *report (NULL when none was written). */
static int run_drain(const char *name, const char *flags, json_t **report)
{
    const char *bin = getenv("GXLT");
    if (!bin)
        fail_msg("set GXLT to the gigcx-loadtest binary");
    char cmd[2048], json[200];
    snprintf(json, sizeof(json), "%s/%s.json", env.dir, name);
    unlink(json);
    snprintf(cmd, sizeof(cmd),
             "timeout 60 '%s' drain --url ws://127.0.0.1:%d --admin-key %s --quiet --json '%s' "
             "--html '%s/%s.html' %s > '%s/%s.txt' 2>&1",
             bin, env.node_port[0], GXT_ADMIN, json, env.dir, name, flags, env.dir, name);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    *report = json_load_file(json, 0, NULL);
    return WEXITSTATUS(st);
}

static double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_number(v))
        fail_msg("report: '%s' is missing or not a number", k);
    return json_number_value(v);
}

static bool file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    static char buf[1 << 20];
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

#define SMOKE                                                                                      \
    "--backlog 200 --experts 20 --capacity 3 --handle-ms '[200,200]' --wave-size 0 "               \
    "--wave-interval-s 1 --timeout-s 40 "

static void test_drain_smoke(void **state)
{
    (void)state;
    json_t *r;
    int rc = run_drain("drain",
                       SMOKE "--slo '{\"makespan_ratio_max\": 40, \"makespan_slack_s\": 5, "
                             "\"idle_share_max\": 1, \"fairness_max_over_median\": 4}'",
                       &r);
    assert_non_null(r);
    if (rc != 0)
        fail_msg("gigcx-loadtest exited %d (see %s/drain.txt)", rc, env.dir);
    assert_true(json_is_true(json_object_get(r, "pass")));
    json_t *d = json_object_get(r, "drain");
    assert_non_null(d);

    /* everything created, assigned once and resolved, within the time-out */
    assert_true(json_is_true(json_object_get(d, "complete")));
    assert_false(json_is_true(json_object_get(d, "timed_out")));
    assert_true(num(d, "backlog") == 200 && num(d, "created") == 200 && num(d, "assigned") == 200 &&
                num(d, "resolved") == 200);
    json_t *counts = json_object_get(r, "counts");
    assert_int_equal(json_integer_value(json_object_get(counts, "claims_won")), 200);
    assert_true(json_integer_value(json_object_get(counts, "claims_sent")) >= 200);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r, "violations"), "double_claims")), 0);

    /* the makespan: 60 slots for 200 tasks of 200 ms take 4 rounds, 0.8 s at the least */
    double ideal = num(d, "ideal_s"), ms_a = num(d, "makespan_assigned_s"),
           ms_r = num(d, "makespan_resolved_s");
    assert_true(num(d, "rounds") == 4 && fabs(ideal - 0.8) < 1e-9);
    assert_true(ms_r >= ideal);
    assert_true(ms_r >= ms_a + 0.2 * 0.99 && ms_r < 40); /* the last task was held 200 ms */
    assert_true(fabs(num(d, "makespan_ratio") - ms_r / ideal) < 1e-3);
    double made = num(d, "creation_s"); /* backlog_first: before the makespan starts */
    assert_true(made > 0 && made < 40);

    /* queue wait: every task, from creation to assignment, within creation and makespan */
    json_t *w = json_object_get(d, "queue_wait_ms");
    assert_true(num(w, "n") == 200);
    assert_true(num(w, "p50") > 0 && num(w, "p50") <= num(w, "p99") &&
                num(w, "p99") <= num(w, "max") * 1.02);
    assert_true(num(w, "max") <= (made + ms_a) * 1000 * 1.02 + 1);

    /* idle slot-seconds, and those with a claim in flight: shares of the makespan's 60 slots */
    double idle = num(d, "idle_slot_s"), claiming = num(d, "claiming_slot_s"),
           slot_s = num(d, "slot_s");
    assert_true(fabs(slot_s - 60 * ms_r) < 1e-3 * slot_s);
    assert_true(idle >= 0 && claiming > 0 && idle + claiming <= slot_s);
    assert_true(fabs(num(d, "idle_share") - idle / slot_s) <= 1e-4 * idle / slot_s + 1e-9);
    assert_true(fabs(num(d, "claiming_share") - claiming / slot_s) <=
                1e-4 * claiming / slot_s + 1e-9);
    assert_int_equal(json_integer_value(json_object_get(d, "waiting_at_end")), 0);

    /* tasks per expert: 200 over 20 experts */
    json_t *f = json_object_get(d, "tasks_per_expert");
    double med = num(f, "median"), mx = num(f, "max"), mn = num(f, "min"), gini = num(f, "gini");
    assert_true(mn <= med && med <= mx && med > 0 && mn * 20 <= 200 && mx * 20 >= 200);
    assert_true(fabs(num(f, "max_over_median") - mx / med) < 1e-4);
    assert_true(gini >= 0 && gini < 1);

    /* the drain limits were judged, and the renderings carry the figures */
    json_t *slo;
    size_t i;
    int judged = 0;
    json_array_foreach(json_object_get(r, "slo"), i, slo)
    {
        const char *name = json_string_value(json_object_get(slo, "slo"));
        judged += strcmp(name, "makespan_s") == 0 || strcmp(name, "idle_share") == 0 ||
                  strcmp(name, "fairness_max_over_median") == 0;
        assert_true(json_is_true(json_object_get(slo, "pass")));
    }
    assert_int_equal(judged, 3);
    char path[256];
    snprintf(path, sizeof(path), "%s/drain.txt", env.dir);
    assert_true(file_has(path, "drain: backlog 200 tasks, 20 experts x 3 slots"));
    assert_true(file_has(path, "idle slot-seconds while work waited"));
    assert_true(file_has(path, "tester: cpu"));
    snprintf(path, sizeof(path), "%s/drain.html", env.dir);
    assert_true(file_has(path, "<h2>Drain</h2>"));
    assert_true(file_has(path, "<td>makespan_ratio</td>"));
    json_decref(r);
}

/* No run resolves a task held 100 ms in under 0.1 s: a limit of half that fails the run
 * (exit 1) and says so; a slack without its ratio is a usage error (exit 2) before anything
 * connects. */
static void test_drain_slo_gate(void **state)
{
    (void)state;
    json_t *r;
    int rc = run_drain("drain-gate",
                       "--backlog 5 --experts 5 --capacity 1 --handle-ms '[100,100]' "
                       "--wave-size 0 --wave-interval-s 1 --timeout-s 20 "
                       "--slo '{\"makespan_ratio_max\": 0.5}'",
                       &r);
    assert_int_equal(rc, 1);
    assert_non_null(r);
    assert_false(json_is_true(json_object_get(r, "pass")));
    assert_true(json_is_true(json_object_get(json_object_get(r, "drain"), "complete")));
    const char *fail = json_string_value(json_array_get(json_object_get(r, "failures"), 0));
    assert_non_null(fail);
    assert_non_null(strstr(fail, "makespan_s"));
    json_decref(r);

    rc = run_drain("drain-usage", "--slo '{\"makespan_slack_s\": 1}'", &r);
    assert_int_equal(rc, 2);
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drain_smoke),
        cmocka_unit_test(test_drain_slo_gate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
