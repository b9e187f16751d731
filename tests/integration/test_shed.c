/* Shedding load onto other nodes: POST /api/v1/admin/shed closes the share asked for of a
 * node's sockets with 1001, in batches over the window, spread over the roles; the rest stay
 * open and the node keeps serving. Hostile bodies and keys other than the admin's are
 * refused in the documented shapes; SIGUSR2 sheds a quarter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <cmocka.h>
#include "harness.h"

GXT_FIXTURES(1, NULL)

#define HALF 20 /* experts, and as many customers */
#define N (2 * HALF)
#define SHED_PATH "/api/v1/admin/shed"

static gxt_conn *conns[N]; /* experts first, then customers */
static int64_t closed_at[N];

static void connect_all(void)
{
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof(id), "%s%d", i < HALF ? "she" : "shc", i);
        if (i < HALF)
            gxt_expert(&env, id, "acme", 2);
        char *tok = gxt_token(&env, id, i < HALF ? "expert" : "customer", i < HALF ? NULL : "acme");
        conns[i] = gxt_login(&env, 0, tok, NULL, NULL);
        free(tok);
    }
}

/* Pumps for up to ms, noting when each open socket closes (all must close with 1001); the
 * number closed so far. */
static int watch(int64_t t0, int ms)
{
    int64_t end = gxt_now_ms() + ms;
    int n = 0;
    do {
        gxt_pump(&env, 10);
        n = 0;
        for (int i = 0; i < N; i++) {
            if (!closed_at[i] && conns[i]->closed) {
                closed_at[i] = gxt_now_ms() - t0;
                assert_int_equal(conns[i]->close_code, 1001);
            }
            n += closed_at[i] != 0;
        }
    } while (gxt_now_ms() < end);
    return n;
}

static int post_shed(const char *bearer, const char *body, json_t **out)
{
    return gxt_http(&env, 0, "POST", SHED_PATH, bearer, NULL, body, out);
}

static void test_half_of_forty_close_over_the_window(void **state)
{
    (void)state;
    connect_all();
    const char *closes = "gigcx_ws_closes_total{by=\"server\",code=\"1001\"}";
    long long shed0 = gxt_metric(&env, 0, "gigcx_shed_sockets_total");
    long long closes0 = gxt_metric(&env, 0, closes);
    json_t *out = NULL;
    int64_t t0 = gxt_now_ms();
    assert_int_equal(post_shed(GXT_ADMIN, "{\"share\": 0.5, \"over_s\": 2}", &out), 202);
    assert_int_equal(json_integer_value(json_object_get(out, "shedding")), N / 2);
    assert_int_equal(json_integer_value(json_object_get(out, "open")), N);
    json_decref(out);
    /* one at a time: a second shed while this one runs is refused */
    assert_int_equal(post_shed(GXT_ADMIN, "{\"count\": 1}", &out), 409);
    assert_string_equal(gxt_str(json_object_get(out, "error"), "code"), "conflict");
    json_decref(out);

    assert_int_equal(watch(t0, 6000), N / 2); /* a 2 s window, and slack for a loaded ASan run */
    int64_t first = 1 << 30, last = 0;
    int experts = 0;
    for (int i = 0; i < N; i++)
        if (closed_at[i]) {
            first = closed_at[i] < first ? closed_at[i] : first;
            last = closed_at[i] > last ? closed_at[i] : last;
            experts += i < HALF;
        }
    print_message("%d closed (%d experts) from %lld to %lld ms\n", N / 2, experts, (long long)first,
                  (long long)last);
    assert_int_equal(experts, HALF / 2); /* spread over the roles as they stand */
    assert_true(last - first >= 1000);   /* in batches over the 2 s, not at once */
    assert_int_equal(gxt_metric(&env, 0, "gigcx_shed_sockets_total") - shed0, N / 2);
    assert_int_equal(gxt_metric(&env, 0, closes) - closes0, N / 2);

    /* the rest are open and served */
    for (int i = 0; i < HALF; i++)
        if (!closed_at[i]) {
            gxt_send(conns[i], "{s:s, s:s}", "type", "presence.set", "status", "available");
            json_decref(gxt_must(conns[i], "presence", 3000));
            break;
        }
    assert_int_equal(gxt_http(&env, 0, "GET", "/readyz", NULL, NULL, NULL, NULL), 200);
}

static void test_sigusr2_sheds_a_quarter(void **state)
{
    (void)state;
    int before = watch(gxt_now_ms(), 0), open = N - before;
    kill(env.node_pid[0], SIGUSR2);
    int64_t t0 = gxt_now_ms();
    int n = watch(t0, 6500) - before; /* the default window: 5 s */
    print_message("SIGUSR2: %d of %d closed\n", n, open);
    assert_int_equal(n, (open + 3) / 4);
    for (int i = 0; i < N; i++)
        gxt_close(conns[i]);
}

static void expect_error(const char *bearer, const char *body, int status, const char *code)
{
    json_t *out = NULL;
    int st = post_shed(bearer, body, &out);
    if (st != status)
        fail_msg("%s: %d, not %d", body, st, status);
    assert_string_equal(gxt_str(json_object_get(out, "error"), "code"), code);
    json_decref(out);
}

static void test_hostile_requests_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "not json",
        "[0.5]",
        "{}",
        "{\"share\": 0}",
        "{\"share\": -0.5}",
        "{\"share\": 1.5}",
        "{\"share\": \"0.5\"}",
        "{\"share\": null}",
        "{\"share\": true}",
        "{\"count\": 0}",
        "{\"count\": 2.5}",
        "{\"count\": \"3\"}",
        "{\"count\": 99999999999}",
        "{\"share\": 0.5, \"count\": 3}",
        "{\"shares\": 0.5}",
        "{\"share\": 0.5, \"over_s\": 0}",
        "{\"share\": 0.5, \"over_s\": 3600}",
        "{\"share\": 0.5, \"share\": 0.25}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error(GXT_ADMIN, bad[i], 400, "bad_request");
    expect_error(NULL, "{\"share\": 0.5}", 401, "unauthenticated");
    expect_error(env.api_key, "{\"share\": 0.5}", 401, "unauthenticated"); /* a brand's key */
    expect_error("wrong-key", "{\"share\": 0.5}", 401, "unauthenticated");
    /* a node with no sockets: nothing to shed, said so */
    json_t *out = NULL;
    assert_int_equal(post_shed(GXT_ADMIN, "{\"count\": 5}", &out), 202);
    assert_int_equal(json_integer_value(json_object_get(out, "shedding")), 0);
    json_decref(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_of_forty_close_over_the_window),
        cmocka_unit_test(test_sigusr2_sheds_a_quarter),
        cmocka_unit_test(test_hostile_requests_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
