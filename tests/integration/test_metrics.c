/* /metrics for operators: WebSocket closes counted by who closed and with what code (and
 * sockets that vanished without a close), the build and the start time, and the figures
 * read from Redis labelled scope="cluster" so a sum over nodes does not count them twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "gigcx/build_info.h"
#include "harness.h"
#include "rawws.h"

GXT_FIXTURES(1, NULL)

#define CLOSES(by, code) "gigcx_ws_closes_total{by=\"" by "\",code=\"" code "\"}"

/* A series' value, missing counted as 0 (so a delta works from a fresh node). */
static long long value(const char *series)
{
    long long v = gxt_metric(&env, 0, series);
    return v < 0 ? 0 : v;
}

/* Waits up to 3 s for series to pass before; its last value. */
static long long moved_from(const char *series, long long before)
{
    long long v = value(series);
    for (int i = 0; i < 60 && v <= before; i++) {
        gxt_pump(&env, 50);
        v = value(series);
    }
    return v;
}

/* The whole /metrics page of node 0 (static buffer). */
static const char *page(void)
{
    static char buf[1 << 20];
    size_t len = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)env.node_port[0]),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        write(fd, req, strlen(req)) == (ssize_t)strlen(req))
        for (ssize_t r;
             len + 1 < sizeof(buf) && (r = read(fd, buf + len, sizeof(buf) - len - 1)) > 0;)
            len += (size_t)r;
    close(fd);
    buf[len] = '\0';
    return buf;
}

/* A peer's close frame: counted with its code, or 1005 when it has none. (gxclient's own
 * close hangs up without a frame under lws 4.1, so a raw socket sends these.) */
static void test_peer_close_counts_its_code(void **state)
{
    (void)state;
    static const struct {
        const char *payload, *series;
        size_t len;
    } cases[] = {
        {"\x03\xe8"
         "bye",
         CLOSES("peer", "1000"), 5},
        {"\x0f\xa0", CLOSES("peer", "other"), 2}, /* 4000: an application's own */
        {"", CLOSES("peer", "1005"), 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long long before = value(cases[i].series);
        int fd = rawws_open(env.node_port[0]);
        assert_true(fd >= 0);
        assert_int_equal(rawws_send_frame(fd, 8 /* close */, cases[i].payload, cases[i].len), 0);
        rawws_close_code(fd, 3000); /* the server's answer */
        rawws_close(fd, 0);
        if (moved_from(cases[i].series, before) != before + 1)
            fail_msg("%s did not move", cases[i].series);
    }
    /* and the client that hangs up without a close frame */
    long long before = value(CLOSES("peer", "none"));
    gxt_close(gxt_ws(&env, 0, "gigcx.v1"));
    assert_true(moved_from(CLOSES("peer", "none"), before) == before + 1);
}

static void test_server_close_counts_its_code(void **state)
{
    (void)state;
    long long before = value(CLOSES("server", "4401"));
    gxt_conn *c = gxt_ws(&env, 0, "gigcx.v1");
    gxt_send(c, "{s:s}", "type", "chat.send"); /* not hello: 4401 */
    assert_int_equal(gxt_wait_close(c, 3000), 4401);
    assert_true(moved_from(CLOSES("server", "4401"), before) == before + 1);
    gxt_close(c);

    before = value(CLOSES("server", "1003"));
    c = gxt_ws(&env, 0, "gigcx.v1");
    gxc_send_binary(c->c, "\x01\x02", 2); /* closed by lws for us, still counted */
    assert_int_equal(gxt_wait_close(c, 3000), 1003);
    assert_true(moved_from(CLOSES("server", "1003"), before) == before + 1);
    gxt_close(c);
}

static void test_vanished_socket_counts_as_none(void **state)
{
    (void)state;
    long long before = value(CLOSES("peer", "none"));
    gxt_conn *c = gxt_ws(&env, 0, "gigcx.v1");
    gxt_drop(c); /* a reset, no close frame */
    assert_true(moved_from(CLOSES("peer", "none"), before) == before + 1);
    gxt_close(c);
}

static void test_build_and_start_time(void **state)
{
    (void)state;
    const char *build =
        "gigcx_build_info{version=\"" GX_BUILD_VERSION "\",commit=\"" GX_BUILD_COMMIT "\"}";
    assert_int_equal(gxt_metric(&env, 0, build), 1);
    long long start = gxt_metric(&env, 0, "process_start_time_seconds");
    long long now = (long long)time(NULL);
    assert_true(start > now - 600 && start <= now);
    assert_int_equal(gxt_metric(&env, 0, "gigcx_accept_errors_total{errno=\"EMFILE\"}"), 0);
}

/* Queue depths and the webhook outbox are Redis's, the same on every node: labelled, and
 * never also given without the label. */
static void test_cluster_gauges_are_labelled(void **state)
{
    (void)state;
    json_decref(gxt_task(&env, 0, env.api_key, "mc1", "a task to count", 0));
    const char *depth = "gigcx_queue_depth{brand=\"acme\",queue=\"experts\",scope=\"cluster\"}";
    long long n = -1;
    /* read by the housekeeping tick, once a second: 10 s allows for a loaded ASan run */
    for (int i = 0; i < 200 && (n = gxt_metric(&env, 0, depth)) < 1; i++)
        gxt_pump(&env, 50);
    assert_true(n >= 1);
    const char *text = page();
    assert_non_null(strstr(text, "\ngigcx_webhook_outbox_depth{scope=\"cluster\"} "));
    assert_null(strstr(text, "\ngigcx_webhook_outbox_depth "));
    for (const char *p = text; (p = strstr(p, "\ngigcx_queue_depth{"));) {
        const char *end = strchr(p + 1, '\n');
        assert_non_null(end);
        char line[256];
        snprintf(line, sizeof(line), "%.*s", (int)(end - p - 1), p + 1);
        if (!strstr(line, "scope=\"cluster\""))
            fail_msg("unlabelled: %s", line);
        p = end;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peer_close_counts_its_code),
        cmocka_unit_test(test_server_close_counts_its_code),
        cmocka_unit_test(test_vanished_socket_counts_as_none),
        cmocka_unit_test(test_build_and_start_time),
        cmocka_unit_test(test_cluster_gauges_are_labelled),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
