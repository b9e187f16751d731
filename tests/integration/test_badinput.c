/* Hostile input gets a clear error (or the contract's close code) and the server keeps
 * serving everyone else: before hello, bad tokens, malformed JSON, wrong types, bad ids,
 * huge and binary frames, other people's tasks, floods, and bad REST requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "gigcx/jwt.h"
#include "harness.h"
#include "rawws.h"

static gxt_env env;
static char *tok;

/* The hello deadline, shortened from its 10 s default (test_no_hello_closes_4408). */
#define HELLO_MS 1000
static const char *const hello_fast[] = {"--hello-timeout", "1000", NULL};

static int setup(void **state)
{
    (void)state;
    gxt_setup(&env, 1, hello_fast);
    gxt_expert(&env, "b1", "acme", 2);
    tok = gxt_token(&env, "b1", "expert", NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(tok);
    return gxt_teardown(&env);
}

static void expect_close(gxt_conn *c, int code)
{
    assert_int_equal(gxt_wait_close(c, 3000), code);
    gxt_close(c);
}

static void test_before_hello(void **state)
{
    (void)state;
    gxt_conn *c = gxt_ws(&env, 0, "gigcx.v1");
    gxt_send(c, "{s:s}", "type", "presence.set");
    assert_string_equal(gxt_error_code(c, 3000), "unauthenticated");
    expect_close(c, 4401);
    c = gxt_ws(&env, 0, "gigcx.v1");
    gxt_send_raw(c, "{not json", 9);
    assert_string_equal(gxt_error_code(c, 3000), "unauthenticated");
    expect_close(c, 4401);
    c = gxt_ws(&env, 0, NULL); /* no subprotocol is served as gigcx.v1 */
    gxt_send(c, "{s:s, s:i}", "type", "hello", "token", 5);
    expect_close(c, 4401);
}

static char *forge(const char *secret, int64_t exp)
{
    gx_claims cl = {.role = GX_ROLE_EXPERT, .iat = exp - 100, .exp = exp};
    snprintf(cl.sub, sizeof(cl.sub), "b1");
    return gx_jwt_sign(&cl, secret, strlen(secret));
}

static void test_bad_tokens(void **state)
{
    (void)state;
    char *wrong = forge("not-the-server-secret", 4000000000LL);
    char *expired = forge(GXT_SECRET, 1000);
    /* alg none: the same claims, header {"alg":"none"}, no signature */
    char none[512], body[256];
    const char *claims = "{\"sub\":\"b1\",\"role\":\"expert\",\"exp\":4000000000}";
    size_t n = gx_b64url_encode("{\"alg\":\"none\"}", 14, none);
    none[n++] = '.';
    n += gx_b64url_encode(claims, strlen(claims), none + n);
    snprintf(none + n, sizeof(none) - n, ".");
    const char *toks[] = {wrong, expired, none, "a.b.c", ""};
    for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++) {
        gxt_conn *c = gxt_ws(&env, 0, "gigcx.v1");
        snprintf(body, sizeof(body), "{\"type\":\"hello\",\"token\":\"%s\"}", toks[i]);
        gxt_send_raw(c, body, strlen(body));
        expect_close(c, 4401);
    }
    free(wrong);
    free(expired);
}

static void test_no_hello_closes_4408(void **state)
{
    (void)state;
    int64_t t0 = gxt_now_ms();
    gxt_conn *c = gxt_ws(&env, 0, "gigcx.v1");
    /* the deadline is checked once a second: closed between HELLO_MS and a second later */
    assert_int_equal(gxt_wait_close(c, HELLO_MS + 4000), 4408);
    int64_t took = gxt_now_ms() - t0;
    assert_true(took >= HELLO_MS - 50);
    gxt_close(c);
}

static void test_bad_frames_after_hello(void **state)
{
    (void)state;
    gxt_conn *c = gxt_login(&env, 0, tok, NULL, NULL);
    gxt_send_raw(c, "{oops", 5);
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    gxt_send(c, "{s:s, s:s}", "type", "no.such.type", "ref", "r1");
    json_t *e = gxt_must(c, "error", 3000);
    assert_string_equal(json_string_value(json_object_get(e, "code")), "bad_request");
    assert_string_equal(json_string_value(json_object_get(e, "ref")), "r1");
    json_decref(e);
    gxt_send_raw(c, "[1,2]", 5);
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    gxt_send(c, "{s:s, s:i}", "type", "task.claim", "task", 5);
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    gxt_send(c, "{s:s, s:s}", "type", "task.claim", "task", "a/b");
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    char long_id[70];
    memset(long_id, 'a', 65);
    long_id[65] = '\0';
    gxt_send(c, "{s:s, s:s}", "type", "task.claim", "task", long_id);
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    gxt_send(c, "{s:s, s:s, s:i}", "type", "presence.set", "status", "available", "capacity", 0);
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    gxt_send(c, "{s:s, s:s, s:i}", "type", "presence.set", "status", "available", "capacity", 11);
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    gxt_send(c, "{s:s, s:s, s:{}}", "type", "chat.send", "task", "t1", "text");
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    gxt_send(c, "{s:s, s:s, s:s}", "type", "presence.set", "status", "available", "ref", long_id);
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    gxt_send(c, "{s:s, s:s, s:s, s:s}", "type", "task.open", "topic", "x", "language", "en", "text",
             "hi");
    assert_string_equal(gxt_error_code(c, 3000), "forbidden"); /* not a customer's request */
    gxt_send(c, "{s:s, s:s}", "type", "task.claim", "task", "unknown-task");
    assert_string_equal(gxt_error_code(c, 3000), "not_found");
    /* ids Redis refuses as a range's exclusive end are bad requests, not storage failures */
    gxt_send(c, "{s:s, s:s, s:s}", "type", "chat.history", "task", "unknown-task", "before", "0-0");
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    gxt_send(c, "{s:s, s:s, s:s}", "type", "presence.set", "status", "available", "ref", "still");
    json_t *p = gxt_must(c, "presence", 3000); /* the socket is still serving */
    json_decref(p);
    gxt_close(c);
}

/* A resume point nothing can follow is a bad hello (4401), not a storage failure (1011). */
static void test_resume_past_the_last_id(void **state)
{
    (void)state;
    gxt_conn *c = gxt_ws(&env, 0, "gigcx.v1");
    gxt_send(c, "{s:s, s:s, s:{s:s}}", "type", "hello", "token", tok, "resume", "t1",
             "18446744073709551615-18446744073709551615");
    expect_close(c, 4401);
}

/* A close payload RFC 6455 forbids (one byte, a reserved code) is answered with 1002; a
 * good one is echoed. */
static void test_bad_close_payloads(void **state)
{
    (void)state;
    static const struct {
        const char *payload;
        size_t len;
        int want;
    } cases[] = {{"\x03", 1, 1002},
                 {"\x03\xed", 2, 1002},
                 {"\x03\xf7", 2, 1002},
                 {"\x00\x10", 2, 1002},
                 {"\x03\xe8", 2, 1000},
                 {("\x0f\xa0"
                   "bye"),
                  5, 4000}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int fd = rawws_open(env.node_port[0]);
        assert_true(fd >= 0);
        assert_int_equal(rawws_send_frame(fd, 8, cases[i].payload, cases[i].len), 0);
        assert_int_equal(rawws_close_code(fd, 3000), cases[i].want);
        rawws_close(fd, 0);
    }
}

static void test_huge_and_binary_frames(void **state)
{
    (void)state;
    gxt_conn *c = gxt_login(&env, 0, tok, NULL, NULL);
    size_t n = 70 * 1024;
    char *big = malloc(n);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    gxt_send_raw(c, big, n);
    free(big);
    expect_close(c, 1009);
    c = gxt_login(&env, 0, tok, NULL, NULL);
    assert_int_equal(gxc_send_binary(c->c, "\x01\x02", 2), 0);
    expect_close(c, 1003);
}

static void test_other_peoples_tasks(void **state)
{
    (void)state;
    json_t *t = gxt_task(&env, 0, env.api_key, "victim", "my card was charged", 0);
    const char *task = json_string_value(json_object_get(t, "task"));
    char *other = gxt_token(&env, "intruder", "customer", "acme");
    gxt_conn *c = gxt_login(&env, 0, other, NULL, NULL);
    gxt_send(c, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "hi", "cid",
             "1");
    assert_string_equal(gxt_error_code(c, 3000), "forbidden");
    gxt_send(c, "{s:s, s:s}", "type", "chat.history", "task", task);
    assert_string_equal(gxt_error_code(c, 3000), "forbidden");
    gxt_send(c, "{s:s, s:s}", "type", "task.cancel", "task", task);
    assert_string_equal(gxt_error_code(c, 3000), "forbidden");
    gxt_send(c, "{s:s, s:s, s:i}", "type", "task.rate", "task", task, "score", 1);
    assert_string_equal(gxt_error_code(c, 3000), "forbidden");
    gxt_send(c, "{s:s, s:s}", "type", "chat.typing", "task", task);
    assert_string_equal(gxt_error_code(c, 3000), "forbidden");
    gxt_send(c, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "", "cid", "2");
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    char *longtext = malloc(4002);
    memset(longtext, 'x', 4001);
    longtext[4001] = '\0';
    gxt_send(c, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", longtext, "cid",
             "3");
    assert_string_equal(gxt_error_code(c, 3000), "bad_request");
    free(longtext);
    /* another brand's key cannot read it either */
    char *other_key = gxt_brand(&env, "rival");
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/tasks/%s", task);
    assert_int_equal(gxt_http(&env, 0, "GET", path, other_key, NULL, NULL, NULL), 404);
    free(other_key);
    free(other);
    json_decref(t);
    gxt_close(c);
}

static void test_flood_is_limited_then_closed(void **state)
{
    (void)state;
    gxt_conn *c = gxt_login(&env, 0, tok, NULL, NULL);
    for (int i = 0; i < 200 && !c->closed; i++) /* the server may close before the end */
        gxt_send(c, "{s:s, s:s}", "type", "presence.set", "status", "away");
    assert_int_equal(gxt_wait_close(c, 5000), 1008);
    assert_true(gxt_count(c, "error") > 0);
    gxt_close(c);
}

static void test_bad_rest(void **state)
{
    (void)state;
    json_t *out;
    assert_int_equal(gxt_http(&env, 0, "PUT", "/api/v1/brands/x", GXT_ADMIN, NULL, "{bad", &out),
                     400);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "error"), "code")),
                        "bad_request");
    json_decref(out);
    assert_int_equal(gxt_http(&env, 0, "PUT", "/api/v1/brands/x", "wrong", NULL, "{}", NULL), 401);
    assert_int_equal(gxt_http(&env, 0, "PUT", "/api/v1/brands/a%2Fb", GXT_ADMIN, NULL, "{}", NULL),
                     404);
    assert_int_equal(
        gxt_http(&env, 0, "PUT", "/api/v1/brands/x", GXT_ADMIN, NULL, "{\"name\":5}", NULL), 400);
    static const char *const bad_waves[] = {
        "{\"name\":\"x\",\"pay\":{\"amount\":1,\"currency\":\"EUR\"},\"widget_origins\":[],"
        "\"waves\":\"fast\"}",
        "{\"name\":\"x\",\"pay\":{\"amount\":1,\"currency\":\"EUR\"},\"widget_origins\":[],"
        "\"waves\":{\"size\":5000}}",
        "{\"name\":\"x\",\"pay\":{\"amount\":1,\"currency\":\"EUR\"},\"widget_origins\":[],"
        "\"waves\":{\"interval_s\":0}}",
        "{\"name\":\"x\",\"pay\":{\"amount\":1,\"currency\":\"EUR\"},\"widget_origins\":[],"
        "\"waves\":{\"size\":\"20\"}}"};
    for (size_t i = 0; i < sizeof(bad_waves) / sizeof(bad_waves[0]); i++)
        assert_int_equal(
            gxt_http(&env, 0, "PUT", "/api/v1/brands/x", GXT_ADMIN, NULL, bad_waves[i], NULL), 400);
    assert_int_equal(gxt_http(&env, 0, "PUT", "/api/v1/experts/x", GXT_ADMIN, NULL,
                              "{\"name\":\"x\",\"skills\":[1],\"languages\":[],\"brands\":[]}",
                              NULL),
                     400);
    assert_int_equal(gxt_http(&env, 0, "POST", "/api/v1/tasks", "nope", NULL, "{}", NULL), 401);
    assert_int_equal(gxt_http(&env, 0, "POST", "/api/v1/tasks", env.api_key, NULL,
                              "{\"customer\":{\"id\":\"a b\"}}", NULL),
                     400);
    assert_int_equal(
        gxt_http(&env, 0, "GET", "/api/v1/tasks/nosuch", env.api_key, NULL, NULL, NULL), 404);
    assert_int_equal(gxt_http(&env, 0, "POST", "/api/v1/tokens", env.api_key, NULL,
                              "{\"sub\":\"e\",\"role\":\"expert\"}", NULL),
                     403);
    assert_int_equal(gxt_http(&env, 0, "POST", "/api/v1/widget/session", NULL,
                              "http://evil.example", "{\"widget_key\":\"gxw_x\"}", NULL),
                     403);
    assert_int_equal(gxt_http(&env, 0, "DELETE", "/api/v1/tasks/x", env.api_key, NULL, NULL, NULL),
                     405);
    /* and everyone else is still served */
    gxt_conn *c = gxt_login(&env, 0, tok, NULL, NULL);
    gxt_close(c);
    assert_int_equal(gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, NULL), 200);
}

/* Opens a TCP connection, writes text (may be NULL), then closes it, with RST when rst. */
static void raw_and_gone(const char *text, bool rst)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)env.node_port[0]),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    if (text)
        assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    if (rst) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(fd);
}

/* Connections that vanish at every stage of the HTTP and upgrade exchange. */
static void test_vanishing_connections(void **state)
{
    (void)state;
    static const char *const stages[] = {
        NULL,
        "GET /heal",
        "GET /healthz HTTP/1.1\r\nHost: x\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":",
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n",
    };
    for (int round = 0; round < 20; round++)
        for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
            raw_and_gone(stages[i], round % 2);
    gxt_pump(&env, 200);
    assert_int_equal(gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, NULL), 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_hello),
        cmocka_unit_test(test_vanishing_connections),
        cmocka_unit_test(test_bad_tokens),
        cmocka_unit_test(test_no_hello_closes_4408),
        cmocka_unit_test(test_bad_frames_after_hello),
        cmocka_unit_test(test_resume_past_the_last_id),
        cmocka_unit_test(test_bad_close_payloads),
        cmocka_unit_test(test_huge_and_binary_frames),
        cmocka_unit_test(test_other_peoples_tasks),
        cmocka_unit_test(test_flood_is_limited_then_closed),
        cmocka_unit_test(test_bad_rest),
    };
    /* the rerun through gxclient's own framing (GXT_OWN_FRAMING=1): only these */
    static const char *const own[] = {"test_before_hello",
                                      "test_vanishing_connections",
                                      "test_bad_tokens",
                                      "test_no_hello_closes_4408",
                                      "test_bad_frames_after_hello",
                                      "test_huge_and_binary_frames",
                                      "test_flood_is_limited_then_closed",
                                      NULL};
    return GXT_RUN_CASES(tests, own, setup, teardown);
}
