/* Ending access before tokens expire, and the brand-facing bounds: a brand revokes its
 * customer (the socket closes 4401, the token stops working), the admin deletes an expert,
 * a key rotation ends the old keys' tokens and widget key, a brand may not name staff like
 * an expert, the audit log records it all, transcripts come in pages, and widget sessions
 * and task creation have budgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "harness.h"

static const char *const args[] = {
    "--widget-ip-rate", "3", "--brand-task-rate", "4", "--trusted-proxies", "127.0.0.1", NULL};
GXT_FIXTURES(1, args)

/* POST /api/v1/tokens with key; the token (malloc'd) or NULL, and the status in *st. */
static char *mint(const char *key, const char *body, int *st)
{
    json_t *out = NULL;
    *st = gxt_http(&env, 0, "POST", "/api/v1/tokens", key, NULL, body, &out);
    const char *t = json_string_value(json_object_get(out, "token"));
    char *tok = t ? strdup(t) : NULL;
    json_decref(out);
    return tok;
}

static int hello_close(const char *tok)
{
    gxt_conn *c = gxt_ws(&env, 0, "gigcx.v1");
    gxt_send(c, "{s:s, s:s}", "type", "hello", "token", tok);
    int code = gxt_wait_close(c, 3000);
    gxt_close(c);
    return code;
}

static void test_brand_revokes_its_customer(void **state)
{
    (void)state;
    int st;
    char *tok = mint(env.api_key, "{\"sub\":\"rc1\",\"role\":\"customer\"}", &st);
    assert_int_equal(st, 201);
    gxt_conn *c = gxt_login(&env, 0, tok, NULL, NULL);
    sleep(1); /* a revocation ends the tokens of the seconds before it */
    assert_int_equal(gxt_http(&env, 0, "POST", "/api/v1/tokens/revoke", env.api_key, NULL,
                              "{\"sub\":\"rc1\",\"role\":\"customer\"}", NULL),
                     200);
    assert_int_equal(gxt_wait_close(c, 3000), 4401); /* the live session */
    gxt_close(c);
    assert_int_equal(hello_close(tok), 4401); /* and the token */
    free(tok);
    tok = mint(env.api_key, "{\"sub\":\"rc1\",\"role\":\"customer\"}", &st);
    gxt_close(gxt_login(&env, 0, tok, NULL, NULL));
    free(tok);
    /* a brand revokes its own people only */
    assert_int_equal(gxt_http(&env, 0, "POST", "/api/v1/tokens/revoke", env.api_key, NULL,
                              "{\"sub\":\"x\",\"role\":\"customer\",\"brand\":\"other\"}", NULL),
                     403);
    assert_int_equal(gxt_http(&env, 0, "POST", "/api/v1/tokens/revoke", env.api_key, NULL,
                              "{\"sub\":\"x\",\"role\":\"expert\"}", NULL),
                     403);
}

static void test_admin_deletes_an_expert(void **state)
{
    (void)state;
    gxt_expert(&env, "leaver", "acme", 2);
    char *tok = gxt_token(&env, "leaver", "expert", NULL);
    gxt_conn *e = gxt_login(&env, 0, tok, NULL, NULL);
    assert_int_equal(
        gxt_http(&env, 0, "DELETE", "/api/v1/experts/leaver", GXT_ADMIN, NULL, NULL, NULL), 200);
    assert_int_equal(gxt_wait_close(e, 3000), 4401);
    gxt_close(e);
    assert_int_equal(hello_close(tok), 4401);
    assert_int_equal(
        gxt_http(&env, 0, "GET", "/api/v1/experts/leaver", GXT_ADMIN, NULL, NULL, NULL), 404);
    assert_int_equal(
        gxt_http(&env, 0, "DELETE", "/api/v1/experts/leaver", GXT_ADMIN, NULL, NULL, NULL), 404);
    assert_int_equal(
        gxt_http(&env, 0, "DELETE", "/api/v1/experts/leaver", env.api_key, NULL, NULL, NULL), 401);
    free(tok);
}

static void test_rotation_ends_old_keys(void **state)
{
    (void)state;
    json_t *out = NULL;
    const char *brand = "{\"name\":\"Rot\",\"pay\":{\"amount\":5,\"currency\":\"EUR\"},"
                        "\"widget_origins\":[\"http://127.0.0.1:9\"]}";
    assert_int_equal(gxt_http(&env, 0, "PUT", "/api/v1/brands/rot", GXT_ADMIN, NULL, brand, &out),
                     201);
    char *key = strdup(gxt_str(out, "api_key")), *wkey = strdup(gxt_str(out, "widget_key"));
    json_decref(out);
    int st;
    char *tok = mint(key, "{\"sub\":\"old1\",\"role\":\"customer\"}", &st);
    sleep(1); /* the rotation comes in a later second than the token */
    assert_int_equal(
        gxt_http(&env, 0, "PUT", "/api/v1/brands/rot?rotate=1", GXT_ADMIN, NULL, brand, &out), 200);
    assert_string_not_equal(gxt_str(out, "widget_key"), wkey);
    json_decref(out);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/tasks", key, NULL, NULL, NULL), 401);
    assert_int_equal(hello_close(tok), 4401);
    char body[128];
    snprintf(body, sizeof(body), "{\"widget_key\":\"%s\"}", wkey);
    assert_int_equal(
        gxt_http(&env, 0, "POST", "/api/v1/widget/session", NULL, "http://127.0.0.1:9", body, NULL),
        403);
    free(tok);
    free(key);
    free(wkey);
}

static void test_staff_not_named_like_an_expert(void **state)
{
    (void)state;
    gxt_expert(&env, "namesake", "acme", 1);
    int st;
    free(mint(env.api_key, "{\"sub\":\"namesake\",\"role\":\"staff\"}", &st));
    assert_int_equal(st, 409);
    free(mint(env.api_key, "{\"sub\":\"own-staff\",\"role\":\"staff\"}", &st));
    assert_int_equal(st, 201);
}

static bool audit_has(const char *key, const char *query, const char *action)
{
    json_t *out = NULL;
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/audit%s", query);
    if (gxt_http(&env, 0, "GET", path, key, NULL, NULL, &out) != 200)
        return false;
    size_t i;
    json_t *e;
    bool found = false;
    json_array_foreach(json_object_get(out, "entries"), i, e) found =
        found || strcmp(gxt_str(e, "action"), action) == 0;
    json_decref(out);
    return found;
}

static void test_audit_log(void **state)
{
    (void)state;
    /* a tier-2 expert's claim is an unmasked view */
    json_t *b = json_pack("{s:s, s:[s], s:[s], s:i, s:[s], s:i}", "name", "T2", "skills", "billing",
                          "languages", "en", "tier", 2, "brands", "acme", "capacity", 2);
    char *body = json_dumps(b, 0);
    json_decref(b);
    assert_int_equal(
        gxt_http(&env, 0, "PUT", "/api/v1/experts/tier2", GXT_ADMIN, NULL, body, NULL) / 100, 2);
    free(body);
    char *tok = gxt_token(&env, "tier2", "expert", NULL);
    gxt_conn *e = gxt_login(&env, 0, tok, NULL, NULL);
    json_t *t = gxt_task(&env, 0, env.api_key, "audited", "my card 4111 1111 1111 1111", 0);
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", gxt_str(t, "task"));
    json_decref(gxt_must(e, "task.assigned", 3000));
    gxt_pump(&env, 100);
    assert_true(audit_has(env.api_key, "", "task.view_unmasked"));
    assert_true(audit_has(env.api_key, "", "tokens.revoke")); /* from the first test */
    assert_true(audit_has(GXT_ADMIN, "?brand=acme", "task.view_unmasked"));
    assert_true(audit_has(GXT_ADMIN, "", "expert.delete"));
    assert_true(audit_has(GXT_ADMIN, "", "expert.create"));
    assert_false(audit_has(env.api_key, "?brand=rot", "brand.rotate_keys")); /* its own only */
    assert_int_equal(
        gxt_http(&env, 0, "GET", "/api/v1/audit?limit=5abc", GXT_ADMIN, NULL, NULL, NULL), 400);
    gxt_close(e);
    json_decref(t);
    free(tok);
}

static void test_transcript_in_pages(void **state)
{
    (void)state;
    json_t *t = gxt_task(&env, 0, env.api_key, "pager", "message 0", 0);
    const char *id = gxt_str(t, "task");
    gxt_conn *c = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    for (int i = 1; i < 5; i++) {
        char cid[8];
        snprintf(cid, sizeof(cid), "p%d", i);
        gxt_send(c, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", id, "text", cid, "cid",
                 cid);
        json_decref(gxt_must(c, "chat.ack", 3000));
    }
    gxt_close(c);
    char path[200], after[64] = "";
    int got = 0, pages = 0;
    do {
        json_t *out = NULL;
        snprintf(path, sizeof(path), "/api/v1/tasks/%s/transcript?limit=2%s%s", id,
                 after[0] ? "&after=" : "", after);
        assert_int_equal(gxt_http(&env, 0, "GET", path, env.api_key, NULL, NULL, &out), 200);
        got += (int)json_array_size(json_object_get(out, "messages"));
        snprintf(after, sizeof(after), "%s", gxt_str(out, "next"));
        pages++;
        json_decref(out);
    } while (after[0] && pages < 10);
    assert_int_equal(got, 5);
    assert_int_equal(pages, 3);
    snprintf(path, sizeof(path), "/api/v1/tasks/%s/transcript?limit=5abc", id);
    assert_int_equal(gxt_http(&env, 0, "GET", path, env.api_key, NULL, NULL, NULL), 400);
    snprintf(path, sizeof(path), "/api/v1/tasks/%s/transcript?after=nope", id);
    assert_int_equal(gxt_http(&env, 0, "GET", path, env.api_key, NULL, NULL, NULL), 400);
    json_decref(t);
}

static void test_budgets(void **state)
{
    (void)state;
    json_t *out = NULL;
    const char *brand = "{\"name\":\"Bud\",\"pay\":{\"amount\":5,\"currency\":\"EUR\"},"
                        "\"widget_origins\":[\"http://127.0.0.1:9\"],"
                        "\"topics\":{\"billing\":{}},\"languages\":[\"en\"]}";
    assert_int_equal(gxt_http(&env, 0, "PUT", "/api/v1/brands/bud", GXT_ADMIN, NULL, brand, &out),
                     201);
    char *key = strdup(gxt_str(out, "api_key")), body[128];
    snprintf(body, sizeof(body), "{\"widget_key\":\"%s\"}", gxt_str(out, "widget_key"));
    json_decref(out);
    int widget[5], tasks[6];
    for (int i = 0; i < 5; i++) /* 3 a minute from one address (and the rotation test's one) */
        widget[i] = gxt_http(&env, 0, "POST", "/api/v1/widget/session", NULL, "http://127.0.0.1:9",
                             body, NULL);
    assert_int_equal(widget[0], 201);
    assert_int_equal(widget[4], 429);
    const char *task = "{\"customer\":{\"id\":\"b1\"},\"topic\":\"billing\",\"language\":\"en\","
                       "\"text\":\"hi\"}";
    for (int i = 0; i < 6; i++)
        tasks[i] = gxt_http(&env, 0, "POST", "/api/v1/tasks", key, NULL, task, NULL);
    assert_int_equal(tasks[0], 201);
    assert_int_equal(tasks[3], 201);
    assert_int_equal(tasks[4], 429);
    free(key);
}

/* POST /api/v1/widget/session as a proxy would, with X-Forwarded-For: the status. */
static int widget_via(const char *body, const char *xff)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)env.node_port[0]),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[1024], rep[256] = "";
    int n = snprintf(req, sizeof(req),
                     "POST /api/v1/widget/session HTTP/1.1\r\nHost: x\r\nOrigin: "
                     "http://127.0.0.1:9\r\nX-Forwarded-For: %s\r\nContent-Type: "
                     "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     xff, strlen(body), body);
    assert_int_equal(write(fd, req, (size_t)n), n);
    ssize_t got = read(fd, rep, sizeof(rep) - 1);
    close(fd);
    return got > 12 ? atoi(rep + 9) : -1;
}

/* Behind a trusted proxy (loopback here) the widget budget is per forwarded address: the
 * test's own address is spent (test_budgets), another client's is not, and a client cannot
 * pick its address by sending the header itself (the proxy's entry is the rightmost). */
static void test_budget_per_forwarded_address(void **state)
{
    (void)state;
    json_t *out = NULL;
    assert_int_equal(gxt_http(&env, 0, "PUT", "/api/v1/brands/fwd", GXT_ADMIN, NULL,
                              "{\"name\":\"Fwd\",\"pay\":{\"amount\":5,\"currency\":\"EUR\"},"
                              "\"widget_origins\":[\"http://127.0.0.1:9\"]}",
                              &out),
                     201);
    char body[128];
    snprintf(body, sizeof(body), "{\"widget_key\":\"%s\"}", gxt_str(out, "widget_key"));
    json_decref(out);
    int st[4];
    for (int i = 0; i < 4; i++)
        st[i] = widget_via(body, "6.6.6.6, 198.51.100.7");
    assert_int_equal(st[0], 201);
    assert_int_equal(st[2], 201);
    assert_int_equal(st[3], 429); /* 3 a minute for 198.51.100.7 */
    assert_int_equal(widget_via(body, "198.51.100.8"), 201);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brand_revokes_its_customer),
        cmocka_unit_test(test_admin_deletes_an_expert),
        cmocka_unit_test(test_rotation_ends_old_keys),
        cmocka_unit_test(test_staff_not_named_like_an_expert),
        cmocka_unit_test(test_budget_per_forwarded_address),
        cmocka_unit_test(test_audit_log),
        cmocka_unit_test(test_transcript_in_pages),
        cmocka_unit_test(test_budgets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
