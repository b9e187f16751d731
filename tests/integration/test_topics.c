/* Tasks nobody can take are refused, and the widget can ask first.
 * - POST /api/v1/tasks and task.open on a topic or language that no expert of the brand
 *   covers and the brand does not declare (config.topics, config.languages): 400
 *   bad_request naming the field, error bad_request over the socket. Taken once an expert
 *   covers it, or once the brand declares it.
 * - GET /api/v1/widget/availability: topic_known, language_known and online (the experts
 *   available with a free slot), with the widget key; refused from a foreign Origin.
 * - Coverage shrinks too: a skill an expert drops, a deactivated or deleted expert no
 *   longer covers anything (coverage.lua, a second after the change). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"

GXT_FIXTURES(1, NULL)

#define ORIGIN "http://127.0.0.1:9"

static char *key, *wkey; /* brand tp's api key and widget key */

/* PUT brand tp with extra config members (a JSON fragment ending in ',' or ""). */
static void put_tp(const char *extra, int want)
{
    char body[512];
    json_t *out = NULL;
    snprintf(body, sizeof(body),
             "{\"name\":\"tp\",\"pay\":{\"amount\":5,\"currency\":\"EUR\"},%s"
             "\"widget_origins\":[\"" ORIGIN "\"]}",
             extra);
    assert_int_equal(gxt_http(&env, 0, "PUT", "/api/v1/brands/tp", GXT_ADMIN, NULL, body, &out),
                     want);
    if (want == 201) {
        key = strdup(gxt_str(out, "api_key"));
        wkey = strdup(gxt_str(out, "widget_key"));
    }
    json_decref(out);
}

/* POST a task on topic and language for brand tp; the status, *msg the error's message. */
static int post(const char *topic, const char *lang, char *msg, size_t cap)
{
    char body[256];
    json_t *out = NULL;
    snprintf(body, sizeof(body),
             "{\"customer\":{\"id\":\"c1\"},\"topic\":\"%s\",\"language\":\"%s\","
             "\"text\":\"where is my parcel?\"}",
             topic, lang);
    int st = gxt_http(&env, 0, "POST", "/api/v1/tasks", key, NULL, body, &out);
    json_t *err = json_object_get(out, "error");
    snprintf(msg, cap, "%s", json_string_value(json_object_get(err, "message")) ?: "");
    if (st == 400)
        assert_string_equal(gxt_str(err, "code"), "bad_request");
    json_decref(out);
    return st;
}

static void test_rest_refuses_what_nobody_covers(void **state)
{
    (void)state;
    char msg[256];
    put_tp("", 201);
    /* a brand with no experts and nothing declared takes nothing */
    assert_int_equal(post("billing", "en", msg, sizeof(msg)), 400);
    assert_non_null(strstr(msg, "'topic'"));
    assert_non_null(strstr(msg, "billing"));
    /* its expert covers billing in English */
    gxt_expert(&env, "tpx", "tp", 2);
    assert_int_equal(post("billing", "en", msg, sizeof(msg)), 201);
    assert_int_equal(post("billing", "fr", msg, sizeof(msg)), 400);
    assert_non_null(strstr(msg, "'language'"));
    assert_int_equal(post("returns", "en", msg, sizeof(msg)), 400);
    assert_non_null(strstr(msg, "'topic'"));
    /* an expert of another brand covers nothing here */
    char path[64];
    snprintf(path, sizeof(path), "/api/v1/experts/other");
    assert_int_equal(gxt_http(&env, 0, "PUT", path, GXT_ADMIN, NULL,
                              "{\"name\":\"o\",\"skills\":[\"returns\"],\"languages\":[\"fr\"],"
                              "\"brands\":[\"acme\"]}",
                              NULL),
                     201);
    assert_int_equal(post("returns", "fr", msg, sizeof(msg)), 400);
    /* declared by the brand: taken though no expert covers it */
    put_tp("\"topics\":{\"returns\":{}},\"languages\":[\"fr\"],", 200);
    assert_int_equal(post("returns", "fr", msg, sizeof(msg)), 201);
    assert_int_equal(post("returns", "en", msg, sizeof(msg)), 201);
    assert_int_equal(post("gifts", "fr", msg, sizeof(msg)), 400);
    /* config.languages is an array of ids */
    put_tp("\"languages\":\"fr\",", 400);
    put_tp("\"languages\":[\"f r\"],", 400);
    put_tp("\"languages\":[7],", 400);
    /* the brand's config says what it declares */
    json_t *b = NULL;
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/brands/tp", GXT_ADMIN, NULL, NULL, &b), 200);
    char *dump = json_dumps(b, JSON_COMPACT);
    assert_non_null(strstr(dump, "\"languages\":[\"fr\"]"));
    free(dump);
    json_decref(b);
}

static void test_socket_refuses_what_nobody_covers(void **state)
{
    (void)state;
    char *tok = gxt_token(&env, "wc1", "customer", "tp");
    gxt_conn *c = gxt_login(&env, 0, tok, NULL, NULL);
    gxt_send(c, "{s:s, s:s, s:s, s:s, s:s}", "type", "task.open", "topic", "gifts", "language",
             "en", "text", "hello", "ref", "o1");
    json_t *e = gxt_must(c, "error", 3000);
    assert_string_equal(gxt_str(e, "code"), "bad_request");
    assert_string_equal(gxt_str(e, "ref"), "o1");
    assert_non_null(strstr(gxt_str(e, "message"), "'topic'"));
    json_decref(e);
    gxt_send(c, "{s:s, s:s, s:s, s:s, s:s}", "type", "task.open", "topic", "billing", "language",
             "xx", "text", "hello", "ref", "o2");
    e = gxt_must(c, "error", 3000);
    assert_string_equal(gxt_str(e, "code"), "bad_request");
    assert_non_null(strstr(gxt_str(e, "message"), "'language'"));
    json_decref(e);
    assert_int_equal(gxt_count(c, "task.created"), 0);
    gxt_send(c, "{s:s, s:s, s:s, s:s, s:s}", "type", "task.open", "topic", "billing", "language",
             "en", "text", "hello", "ref", "o3");
    json_decref(gxt_must(c, "task.created", 3000));
    gxt_close(c);
    free(tok);
}

/* GET availability for topic and lang from origin; the status, *out the body. */
static int avail(const char *wk, const char *topic, const char *lang, const char *origin,
                 json_t **out)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/widget/availability?widget_key=%s&topic=%s&language=%s",
             wk, topic, lang);
    return gxt_http(&env, 0, "GET", path, NULL, origin, NULL, out);
}

static void test_availability(void **state)
{
    (void)state;
    json_t *o = NULL;
    assert_int_equal(avail(wkey, "billing", "en", ORIGIN, &o), 200);
    assert_true(json_is_true(json_object_get(o, "topic_known")));
    assert_true(json_is_true(json_object_get(o, "language_known")));
    assert_int_equal(json_integer_value(json_object_get(o, "online")), 0);
    json_decref(o);
    /* the expert comes online: one could take it now */
    char *tok = gxt_token(&env, "tpx", "expert", NULL);
    gxt_conn *x = gxt_login(&env, 0, tok, NULL, NULL);
    gxt_send(x, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(x, "presence", 3000));
    long long online = 0;
    for (int i = 0; i < 30 && online != 1; i++) {
        usleep(100000);
        assert_int_equal(avail(wkey, "billing", "en", ORIGIN, &o), 200);
        online = json_integer_value(json_object_get(o, "online"));
        json_decref(o);
    }
    assert_int_equal(online, 1);
    /* declared topic, declared language: known, nobody online for it */
    assert_int_equal(avail(wkey, "returns", "fr", NULL, &o), 200);
    assert_true(json_is_true(json_object_get(o, "topic_known")));
    assert_int_equal(json_integer_value(json_object_get(o, "online")), 0);
    json_decref(o);
    /* unknown topic, unknown language */
    assert_int_equal(avail(wkey, "gifts", "en", ORIGIN, &o), 200);
    assert_true(json_is_false(json_object_get(o, "topic_known")));
    assert_true(json_is_true(json_object_get(o, "language_known")));
    assert_int_equal(json_integer_value(json_object_get(o, "online")), 0);
    json_decref(o);
    assert_int_equal(avail(wkey, "billing", "xx", ORIGIN, &o), 200);
    assert_true(json_is_false(json_object_get(o, "language_known")));
    assert_int_equal(json_integer_value(json_object_get(o, "online")), 0);
    json_decref(o);
    /* hostile input */
    assert_int_equal(avail(wkey, "billing", "en", "http://evil.example", NULL), 403);
    assert_int_equal(avail("gxw_nosuchkey", "billing", "en", ORIGIN, NULL), 403);
    assert_int_equal(avail("", "billing", "en", ORIGIN, NULL), 400);
    assert_int_equal(avail(wkey, "bil%20ling", "en", ORIGIN, NULL), 400);
    assert_int_equal(avail(wkey, "", "en", ORIGIN, NULL), 400);
    assert_int_equal(avail(wkey, "billing", "e:n", ORIGIN, NULL), 400);
    assert_int_equal(
        gxt_http(&env, 0, "GET", "/api/v1/widget/availability", NULL, ORIGIN, NULL, NULL), 400);
    gxt_close(x);
    free(tok);
}

/* Polls POST until it answers want (the coverage rebuild runs at the next tick). */
static void post_until(const char *topic, int want)
{
    char msg[256];
    int64_t end = gxt_now_ms() + 5000;
    int st;
    while ((st = post(topic, "en", msg, sizeof(msg))) != want && gxt_now_ms() < end)
        gxt_pump(&env, 200);
    if (st != want)
        fail_msg("%s: %d, not %d (%s)", topic, st, want, msg);
}

static void put_tq(const char *fields)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"name\":\"Q\",\"languages\":[\"en\"],\"brands\":[\"tq\"],%s}",
             fields);
    assert_true(
        gxt_http(&env, 0, "PUT", "/api/v1/experts/tqx", GXT_ADMIN, NULL, body, NULL) / 100 == 2);
}

static void test_coverage_shrinks(void **state)
{
    (void)state;
    char *tp_key = key;
    key = gxt_brand(&env, "tq"); /* post() posts with key */
    put_tq("\"skills\":[\"gifts\",\"wraps\"]");
    post_until("gifts", 201);
    /* the expert drops gifts: wraps stays covered, gifts is refused (gxt_brand declares billing) */
    put_tq("\"skills\":[\"wraps\"]");
    post_until("gifts", 400);
    post_until("wraps", 201);
    /* deactivated: covers nothing; active again: at once */
    put_tq("\"skills\":[\"wraps\"],\"active\":false");
    post_until("wraps", 400);
    put_tq("\"skills\":[\"wraps\"],\"active\":true");
    char msg[256];
    assert_int_equal(post("wraps", "en", msg, sizeof(msg)), 201);
    /* deleted */
    assert_int_equal(
        gxt_http(&env, 0, "DELETE", "/api/v1/experts/tqx", GXT_ADMIN, NULL, NULL, NULL), 200);
    post_until("wraps", 400);
    free(key);
    key = tp_key;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rest_refuses_what_nobody_covers),
        cmocka_unit_test(test_socket_refuses_what_nobody_covers),
        cmocka_unit_test(test_availability),
        cmocka_unit_test(test_coverage_shrinks),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    free(key);
    free(wkey);
    return rc;
}
