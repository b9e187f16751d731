/* HTTP edge cases from a security review, each against a real gigcxd: pipelined requests
 * (answered, then the connection closes; memory stays flat), broken framing (non-numeric
 * Content-Length, chunked bodies), an encoded CR/LF in a path, HEAD, WebSocket upgrades off
 * /ws, strict API inputs, private webhook addresses and the optional /metrics key. Raw
 * sockets, so that exactly the bytes under test reach the server. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"

GXT_FIXTURES(1, NULL)

typedef struct {
    char buf[65536];
    size_t len;
    bool closed; /* the server closed the connection within the time given */
} raw_reply;

static int dial(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)env.node_port[0])};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Writes req in one write and reads until the server closes or timeout_ms pass. */
static void raw(const char *req, int timeout_ms, raw_reply *out)
{
    memset(out, 0, sizeof(*out));
    int fd = dial();
    assert_true(fd >= 0);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    int64_t end = gxt_now_ms() + timeout_ms;
    for (int64_t now; (now = gxt_now_ms()) < end && out->len + 1 < sizeof(out->buf);) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(end - now)) <= 0)
            break;
        ssize_t n = read(fd, out->buf + out->len, sizeof(out->buf) - out->len - 1);
        if (n <= 0) {
            out->closed = true;
            break;
        }
        out->len += (size_t)n;
    }
    out->buf[out->len] = '\0';
    close(fd);
}

/* The status of the i-th response in the reply (0 when there is none). */
static int status_at(const raw_reply *r, int i)
{
    const char *p = r->buf;
    for (int k = 0; p && k < i; k++)
        p = strstr(p + 1, "HTTP/1.");
    int st = 0;
    if (p && strncmp(p, "HTTP/1.", 7) == 0)
        sscanf(p, "HTTP/1.%*d %d", &st);
    return st;
}

static int count_responses(const raw_reply *r)
{
    int n = 0;
    for (const char *p = strstr(r->buf, "HTTP/1."); p; p = strstr(p + 1, "HTTP/1."))
        n++;
    return n;
}

/* ---- 1. pipelining ---- */

#define PIPE2                                                                                      \
    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.1\r\nHost: "              \
    "127.0.0.1\r\n\r\n"

static void test_pipelined_get(void **state)
{
    (void)state;
    raw_reply r;
    raw(PIPE2, 3000, &r);
    assert_int_equal(status_at(&r, 0), 200);
    assert_true(r.closed); /* not held open */
    assert_true(count_responses(&r) >= 1);
    assert_non_null(strcasestr(r.buf, "connection: close"));
}

static void test_pipelined_bodies(void **state)
{
    (void)state;
    char req[2048];
    const char *body = "{\"sub\":\"p1\",\"role\":\"customer\",\"brand\":\"acme\"}";
    const char *one =
        "POST /api/v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " GXT_ADMIN
        "\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s";
    int n = snprintf(req, sizeof(req), one, strlen(body), body);
    snprintf(req + n, sizeof(req) - (size_t)n, one, strlen(body), body);
    raw_reply r;
    raw(req, 3000, &r);
    assert_int_equal(status_at(&r, 0), 201); /* the first is answered as if alone */
    assert_true(r.closed);
    /* a second answer, if any, is the right one: never a misread body */
    assert_true(count_responses(&r) == 1 || status_at(&r, 1) == 201);
}

/* Keep-alive without pipelining still serves request after request on one connection. */
static void test_keepalive_sequential(void **state)
{
    (void)state;
    int fd = dial();
    assert_true(fd >= 0);
    const char *req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < 3; i++) {
        assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
        char buf[4096];
        size_t len = 0;
        while (!strstr(buf, "\"status\"")) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            assert_int_equal(poll(&p, 1, 3000), 1);
            ssize_t n = read(fd, buf + len, sizeof(buf) - len - 1);
            assert_true(n > 0);
            len += (size_t)n;
            buf[len] = '\0';
        }
        assert_int_equal(strncmp(buf, "HTTP/1.1 200", 12), 0);
        assert_null(strcasestr(buf, "connection: close"));
        memset(buf, 0, sizeof(buf));
    }
    close(fd);
}

/* Many pipelined connections cost no memory that stays: resident size before and after
 * GXT_PIPELINE_CONNS (default 2000) of them, one after another, bounded at 120 s. Each is
 * answered and closed by the server within 3 s. */
static void test_pipelined_memory(void **state)
{
    (void)state;
    const char *env_n = getenv("GXT_PIPELINE_CONNS");
    int n = env_n ? atoi(env_n) : 2000, done = 0;
    long long before = gxt_metric(&env, 0, "process_resident_memory_bytes");
    int64_t end = gxt_now_ms() + 120000;
    raw_reply *r = malloc(sizeof(*r));
    for (; done < n && gxt_now_ms() < end; done++) {
        raw(PIPE2, 3000, r);
        if (!r->closed || status_at(r, 0) != 200)
            fail_msg("pipelined connection %d: closed %d, status %d", done, r->closed,
                     status_at(r, 0));
    }
    free(r);
    long long after = gxt_metric(&env, 0, "process_resident_memory_bytes");
    printf("pipelined connections: %d; resident %lld KiB before, %lld KiB after\n", done,
           before / 1024, after / 1024);
    assert_int_equal(done, n);
    /* the leak was ~1.5 KiB a connection (3 MiB per 2000), and each was held 30 s; under
     * ASan freed memory stays in its quarantine, and LeakSanitizer checks at exit instead */
    if (!getenv("GXT_SANITIZED"))
        assert_true(after - before < 4 * 1024 * 1024);
}

/* ---- 2, 5. framing ---- */

static void test_content_length_not_a_number(void **state)
{
    (void)state;
    static const char *const values[] = {"abc", "-1", "5abc", "0x10", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char req[512];
        snprintf(req, sizeof(req),
                 "POST /api/v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %s\r\n\r\n{}",
                 values[i]);
        raw_reply r;
        raw(req, 3000, &r);
        if (status_at(&r, 0) != 400 || !r.closed)
            fail_msg("Content-Length '%s': status %d, closed %d", values[i], status_at(&r, 0),
                     r.closed);
    }
}

static void test_chunked_refused(void **state)
{
    (void)state;
    raw_reply r;
    int64_t t0 = gxt_now_ms();
    raw("POST /api/v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "2\r\n{}\r\n0\r\n\r\n",
        5000, &r);
    assert_int_equal(status_at(&r, 0), 411);
    assert_true(r.closed);
    assert_true(gxt_now_ms() - t0 < 3000);
}

/* ---- 3. encoded CR/LF in a path ---- */

static void test_crlf_in_path(void **state)
{
    (void)state;
    static const char *const paths[] = {"/api/v1/brands/crlfa%0Ab", "/api/v1/brands/crlfa%0Db",
                                        "/api/v1/brands/crlfa%0D%0AX-Evil:%201",
                                        "/api/v1/brands/crlfa%09b", "/api/v1/brands/crlfa%20b"};
    const char *body = "{\"name\":\"x\",\"pay\":{\"amount\":1,\"currency\":\"EUR\"}}";
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char req[1024];
        snprintf(req, sizeof(req),
                 "PUT %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " GXT_ADMIN
                 "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                 paths[i], strlen(body), body);
        raw_reply r;
        raw(req, 3000, &r);
        int st = status_at(&r, 0);
        if (st != 400 && st != 404)
            fail_msg("PUT %s -> %d", paths[i], st);
    }
    /* nothing was stored under the cut id */
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/brands/crlfa", GXT_ADMIN, NULL, NULL, NULL),
                     404);
}

/* ---- 4. HEAD ---- */

static void test_head(void **state)
{
    (void)state;
    raw_reply r;
    raw("HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 3000, &r);
    assert_int_equal(status_at(&r, 0), 200);
    assert_non_null(strcasestr(r.buf, "content-length:"));
    const char *end = strstr(r.buf, "\r\n\r\n");
    assert_non_null(end);
    assert_string_equal(end + 4, ""); /* no body */
    raw("HEAD /api/v1/brands HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " GXT_ADMIN
        "\r\nConnection: close\r\n\r\n",
        3000, &r);
    assert_int_equal(status_at(&r, 0), 200);
    assert_string_equal(strstr(r.buf, "\r\n\r\n") + 4, "");
    raw("HEAD /api/v1/brands HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 3000, &r);
    assert_int_equal(status_at(&r, 0), 401);
}

/* ---- 6. the WebSocket upgrade is at /ws only ---- */

static void upgrade(const char *path, raw_reply *r)
{
    char req[512];
    snprintf(req, sizeof(req),
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
             "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Protocol: gigcx.v1\r\n\r\n",
             path);
    raw(req, 1500, r);
}

static void test_upgrade_only_at_ws(void **state)
{
    (void)state;
    static const char *const others[] = {"/", "/foo", "/api/v1/brands", "/healthz", "/wsx"};
    raw_reply r;
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        upgrade(others[i], &r);
        if (status_at(&r, 0) != 404 || !r.closed)
            fail_msg("upgrade at %s: status %d, closed %d", others[i], status_at(&r, 0), r.closed);
    }
    upgrade("/ws", &r);
    assert_int_equal(status_at(&r, 0), 101);
}

/* ---- 7. API inputs ---- */

static void test_task_with_admin_key(void **state)
{
    (void)state;
    json_t *out;
    int st = gxt_http(&env, 0, "POST", "/api/v1/tasks", GXT_ADMIN, NULL,
                      "{\"customer\":{\"id\":\"c1\",\"name\":\"A\"},\"topic\":\"billing\","
                      "\"language\":\"en\",\"text\":\"hi\"}",
                      &out);
    assert_int_equal(st, 403);
    assert_string_equal(gxt_str(json_object_get(out, "error"), "code"), "forbidden");
    json_decref(out);
}

static void test_pay_unknown_fields(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"name\":\"p\",\"pay\":{\"amount\":1,\"currency\":\"EUR\",\"x\":\"<script>\"}}",
        "{\"name\":\"p\",\"pay\":{\"amount\":1}}",
        "{\"name\":\"p\",\"pay\":{\"amount\":1,\"currency\":\"EUR\"},\"topics\":{\"t\":{\"pay\":"
        "{\"amount\":1,\"currency\":\"EUR\",\"bonus\":9}}}}"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        assert_int_equal(
            gxt_http(&env, 0, "PUT", "/api/v1/brands/payx", GXT_ADMIN, NULL, bodies[i], NULL), 400);
}

static void test_query_ints(void **state)
{
    (void)state;
    static const char *const bad[] = {"?limit=5abc", "?limit=",        "?limit=-5", "?since=-1",
                                      "?since=12x",  "?cursor=1x.abc", "?limit=+5"};
    char path[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "/api/v1/tasks%s", bad[i]);
        int st = gxt_http(&env, 0, "GET", path, env.api_key, NULL, NULL, NULL);
        if (st != 400)
            fail_msg("GET %s -> %d", path, st);
    }
    assert_int_equal(
        gxt_http(&env, 0, "GET", "/api/v1/tasks?limit=5&since=0", env.api_key, NULL, NULL, NULL),
        200);
}

/* ---- 8. webhook addresses ---- */

static int put_hook(const char *brand, const char *url)
{
    char path[96], body[512];
    snprintf(path, sizeof(path), "/api/v1/brands/%s", brand);
    snprintf(body, sizeof(body),
             "{\"name\":\"h\",\"pay\":{\"amount\":1,\"currency\":\"EUR\"},"
             "\"topics\":{\"billing\":{}},\"languages\":[\"en\"],\"webhook_url\":\"%s\"}",
             url);
    return gxt_http(&env, 0, "PUT", path, GXT_ADMIN, NULL, body, NULL);
}

static void test_webhook_private_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "http://127.0.0.1:9/h",  "http://127.1/h",       "http://2130706433/h",
        "http://0x7f.0.0.1/h",   "http://0.0.0.0/h",     "http://10.1.2.3/h",
        "http://172.16.0.1/h",   "http://192.168.1.1/h", "http://169.254.169.254/latest",
        "http://100.64.0.1/h",   "http://[::1]/h",       "http://[::ffff:127.0.0.1]/h",
        "http://[fe80::1]/h",    "http://[fd00::1]/h",   "http://localhost:8080/h",
        "https://a.localhost/h", "http://224.0.0.1/h",   "http://[::]/h"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int st = put_hook("hookpriv", bad[i]);
        if (st != 400)
            fail_msg("webhook_url %s -> %d", bad[i], st);
    }
    int st = put_hook("hookpub", "https://hooks.example.com/in");
    assert_true(st == 200 || st == 201);
    st = put_hook("hookpub", "http://8.8.8.8/in");
    assert_true(st == 200 || st == 201);
}

/* A name that resolves to loopback passes the PUT (it is not looked up there) and fails at
 * delivery. /etc/hosts names "vm" or "runsc" for 127.0.0.1 on the test machines; skipped
 * when neither resolves to loopback here. */
static void test_webhook_private_at_delivery(void **state)
{
    (void)state;
    static const char *const names[] = {"vm", "runsc"};
    const char *name = NULL;
    for (size_t i = 0; !name && i < sizeof(names) / sizeof(names[0]); i++) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
        if (getaddrinfo(names[i], "80", &hints, &res) == 0 && res &&
            (ntohl(((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr) >> 24) == 127)
            name = names[i];
        if (res)
            freeaddrinfo(res);
    }
    if (!name) {
        printf("no host name resolves to loopback here: skipped\n");
        skip();
    }
    char url[128];
    snprintf(url, sizeof(url), "http://%s:%d/h", name, gxt_free_port());
    json_t *out = NULL;
    char body[512];
    snprintf(body, sizeof(body),
             "{\"name\":\"h\",\"pay\":{\"amount\":1,\"currency\":\"EUR\"},"
             "\"topics\":{\"billing\":{}},\"languages\":[\"en\"],\"webhook_url\":\"%s\"}",
             url);
    int st =
        gxt_http(&env, 0, "PUT", "/api/v1/brands/hookdns?rotate=1", GXT_ADMIN, NULL, body, &out);
    assert_true(st == 200 || st == 201);
    char *key = strdup(gxt_str(out, "api_key"));
    json_decref(out);
    json_decref(gxt_task(&env, 0, key, "hd1", "hello", 0));
    const char *err = NULL;
    json_t *log = NULL;
    for (int i = 0; i < 100 && !err; i++) {
        json_decref(log);
        gxt_http(&env, 0, "GET", "/api/v1/webhooks/deliveries", key, NULL, NULL, &log);
        json_t *d = json_array_get(json_object_get(log, "deliveries"), 0);
        if (d)
            err = json_string_value(json_object_get(d, "error"));
        if (!err)
            usleep(100000);
    }
    assert_non_null(err);
    assert_non_null(strstr(err, "private address"));
    json_decref(log);
    free(key);
}

/* ---- 9. /metrics behind an optional key (last: it restarts the node) ---- */

static void test_metrics_key(void **state)
{
    (void)state;
    assert_int_equal(gxt_http(&env, 0, "GET", "/metrics", NULL, NULL, NULL, NULL), 200);
    assert_int_equal(gxt_stop_node(&env, 0), 0);
    static const char *const keyed[] = {"--metrics-key", "scrape-key-123", NULL};
    gxt_start_node(&env, 0, keyed);
    assert_int_equal(gxt_http(&env, 0, "GET", "/metrics", NULL, NULL, NULL, NULL), 401);
    assert_int_equal(gxt_http(&env, 0, "GET", "/metrics", "wrong", NULL, NULL, NULL), 401);
    assert_int_equal(gxt_http(&env, 0, "GET", "/metrics", GXT_ADMIN, NULL, NULL, NULL), 401);
    assert_int_equal(gxt_http(&env, 0, "GET", "/metrics", "scrape-key-123", NULL, NULL, NULL), 200);
    assert_int_equal(gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, NULL), 200);
}

/* Requests one after another on a kept-alive connection are answered at once: with Nagle
 * on an accepted socket, a reply written in two pieces waited for the client's delayed
 * ACK, 40 ms a request (the listener must set TCP_NODELAY as lws's own did). */
static void test_keepalive_requests_not_delayed(void **state)
{
    (void)state;
    int fd = dial();
    assert_true(fd >= 0);
    static const char req[] = "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n";
    int64_t t0 = gxt_now_ms();
    for (int i = 0; i < 50; i++) {
        assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
        char buf[2048] = "";
        size_t have = 0;
        while (!strstr(buf, "\"ok\"") && have + 1 < sizeof(buf)) { /* the body closes it */
            struct pollfd p = {.fd = fd, .events = POLLIN};
            assert_true(poll(&p, 1, 3000) == 1);
            ssize_t n = read(fd, buf + have, sizeof(buf) - have - 1);
            assert_true(n > 0);
            have += (size_t)n;
            buf[have] = '\0';
        }
    }
    int64_t ms = gxt_now_ms() - t0;
    close(fd);
    print_message("50 kept-alive requests in %lld ms\n", (long long)ms);
    assert_true(ms < 1000); /* 2,000 ms and more with the delay */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelined_get),
        cmocka_unit_test(test_pipelined_bodies),
        cmocka_unit_test(test_keepalive_sequential),
        cmocka_unit_test(test_content_length_not_a_number),
        cmocka_unit_test(test_chunked_refused),
        cmocka_unit_test(test_crlf_in_path),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_upgrade_only_at_ws),
        cmocka_unit_test(test_task_with_admin_key),
        cmocka_unit_test(test_pay_unknown_fields),
        cmocka_unit_test(test_query_ints),
        cmocka_unit_test(test_webhook_private_refused),
        cmocka_unit_test(test_webhook_private_at_delivery),
        cmocka_unit_test(test_pipelined_memory),
        cmocka_unit_test(test_metrics_key),
        cmocka_unit_test(test_keepalive_requests_not_delayed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
