/* gigcxd behind a balancer that speaks the PROXY protocol (--proxy-protocol, the balancer on
 * loopback in --trusted-proxies): the client a
 * v1 or v2 header names is the one the per-address budgets count (gx:bud:wai:<ip>), a header
 * may come in pieces, and a connection without one, or with a broken one, is closed
 * unanswered while the node goes on serving. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"

static const char *const args[] = {"--proxy-protocol", "--trusted-proxies", "127.0.0.1", NULL};
static gxt_env env;

static int setup(void **state)
{
    (void)state;
    gxt_proxy_header = "PROXY TCP4 198.51.100.1 127.0.0.1 4000 80\r\n"; /* the harness's own */
    gxt_setup(&env, 1, args);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return gxt_teardown(&env);
}

/* A widget availability request: its per-address budget is taken before anything else. */
static int ask(void)
{
    return gxt_http(&env, 0, "GET",
                    "/api/v1/widget/availability?widget_key=gxw_none&topic=billing&language=en",
                    NULL, NULL, NULL, NULL);
}

/* Whether the budget of client ip was counted. */
static bool counted(const char *ip)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "KEYS gx:bud:wai:%s:*", ip);
    char *r = gxt_redis(&env, cmd);
    bool yes = r && strncmp(r, "*1\r\n", 4) == 0;
    free(r);
    return yes;
}

static void test_v1_names_the_client(void **state)
{
    (void)state;
    gxt_proxy_header = "PROXY TCP4 203.0.113.7 127.0.0.1 51000 80\r\n";
    assert_true(ask() > 0);
    assert_true(counted("203.0.113.7"));
    assert_false(counted("127.0.0.1"));
}

static void test_v2_names_the_client(void **state)
{
    (void)state;
    static const unsigned char h[16 + 36] = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x21, 0, 36,
        0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0, 9};
    gxt_proxy_header = (const char *)h;
    gxt_proxy_header_len = sizeof(h);
    assert_true(ask() > 0);
    gxt_proxy_header_len = 0;
    assert_true(counted("2001:db8::9"));
}

/* No header, or a broken one: closed with no answer; the node serves the next one. */
static void test_without_a_header_closed(void **state)
{
    (void)state;
    const char *bad[] = {NULL, "PROXY TCP4 nonsense\r\n", "GET / HTTP/1.1\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gxt_proxy_header = bad[i];
        assert_true(gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, NULL) <= 0);
    }
    gxt_proxy_header = "PROXY UNKNOWN\r\n"; /* a balancer's health check: no client named */
    assert_int_equal(gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, NULL), 200);
}

/* The header in two writes, the request right behind it in the second. */
static void test_header_in_pieces(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)env.node_port[0]),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    const char *one = "PROXY TCP4 203.0.113.8 127.0.0.1 1 2";
    const char *two = "\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_int_equal(write(fd, one, strlen(one)), (ssize_t)strlen(one));
    gxt_pump(&env, 200); /* the node reads the first piece alone */
    assert_int_equal(write(fd, two, strlen(two)), (ssize_t)strlen(two));
    char buf[256] = "";
    assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
    close(fd);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
}

/* A node whose --trusted-proxies leaves out loopback closes our sockets, header or not,
 * once it is up (its log says it listens). */
static void test_untrusted_peer_closed(void **state)
{
    (void)state;
    char listen[64], log[200], line[512];
    env.node_port[1] = gxt_free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", env.node_port[1]);
    snprintf(log, sizeof(log), "%s/untrusted.log", env.dir);
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", env.redis_port);
    char *argv[] = {
        getenv("GIGCXD"), "--listen",  listen,        "--redis",          url,
        "--secret",       GXT_SECRET,  "--admin-key", GXT_ADMIN,          "--node-id",
        "untrusted",      "--drain-s", "0",           "--proxy-protocol", "--trusted-proxies",
        "10.0.0.0/8",     NULL};
    pid_t pid = gxt_spawn(&env, "untrusted", argv);
    bool up = false;
    for (int64_t end = gxt_now_ms() + 10000; !up && gxt_now_ms() < end; usleep(50000)) {
        FILE *f = fopen(log, "r");
        while (f && !up && fgets(line, sizeof(line), f))
            up = strstr(line, "listening on") != NULL;
        if (f)
            fclose(f);
    }
    assert_true(up);
    gxt_proxy_header = "PROXY TCP4 203.0.113.9 127.0.0.1 1 2\r\n";
    for (int i = 0; i < 3; i++)
        assert_true(gxt_http(&env, 1, "GET", "/healthz", NULL, NULL, NULL, NULL) <= 0);
    assert_int_equal(gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, NULL), 200);
    kill(pid, SIGKILL);
    env.node_port[1] = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_names_the_client),     cmocka_unit_test(test_v2_names_the_client),
        cmocka_unit_test(test_without_a_header_closed), cmocka_unit_test(test_header_in_pieces),
        cmocka_unit_test(test_untrusted_peer_closed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
