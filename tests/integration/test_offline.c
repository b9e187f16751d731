/* Offline messages and business hours: the brand settings are validated strictly and the
 * widget's availability says whether the brand is open and who is online (busy or not) apart
 * from who has a free slot; an offline message sent through the widget's gate becomes a task
 * with the customer's e-mail (masked for tier 1), announced to the brand, and its replies go
 * to the brand's webhook when the expert resolves it; the gate refuses a bad body, a foreign
 * origin, another brand's key and an address over budget; a customer who ended a chat an
 * expert had may rate it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"
#include "hookrx.h"

#define ORIGIN "http://127.0.0.1:9"
/* a small address budget, so the last case can spend it */
static const char *const flags[] = {
    "--webhook-allow-private", "--webhook-retry-min-ms", "100", "--widget-ip-rate", "40", NULL};
static gxt_env env;
static hookrx *rx;
static char url[64], wkey[80], other_wkey[80];

/* PUT a brand with the receiver as webhook; extra: more members of the body ("" for none).
 * Returns the status; *out the reply. */
static int put_brand(const char *id, const char *extra, json_t **out)
{
    char path[96], body[2048];
    snprintf(path, sizeof(path), "/api/v1/brands/%s", id);
    snprintf(body, sizeof(body),
             "{\"name\":\"%s\",\"pay\":{\"amount\":5,\"currency\":\"EUR\"},\"widget_origins\":"
             "[\"%s\"],\"webhook_url\":\"%s\",\"topics\":{\"billing\":{}},\"languages\":[\"en\"]"
             "%s}",
             id, id[0] == 'o' ? "http://127.0.0.1:8" : ORIGIN, url, extra);
    return gxt_http(&env, 0, "PUT", path, GXT_ADMIN, NULL, body, out);
}

static int setup(void **state)
{
    (void)state;
    gxt_setup(&env, 1, flags);
    rx = hookrx_start();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", hookrx_port(rx));
    json_t *out;
    assert_in_range(put_brand("acme", "", &out), 200, 201);
    snprintf(wkey, sizeof(wkey), "%s", gxt_str(out, "widget_key"));
    json_decref(out);
    assert_in_range(put_brand("other", "", &out), 200, 201);
    snprintf(other_wkey, sizeof(other_wkey), "%s", gxt_str(out, "widget_key"));
    json_decref(out);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hookrx_free(rx);
    return gxt_teardown(&env);
}

static json_t *availability(void)
{
    char path[256];
    json_t *out;
    snprintf(path, sizeof(path),
             "/api/v1/widget/availability?widget_key=%s&topic=billing&language=en", wkey);
    assert_int_equal(gxt_http(&env, 0, "GET", path, NULL, ORIGIN, NULL, &out), 200);
    return out;
}

static void test_business_hours(void **state)
{
    (void)state;
    static const char *const bad[] = {
        ",\"business_hours\":{\"mon\":[[\"09:00\",\"17:00\"]]}",
        ",\"business_hours\":{\"utc_offset\":\"+15:00\"}",
        ",\"business_hours\":{\"utc_offset\":\"01:00\"}",
        ",\"business_hours\":{\"utc_offset\":\"+01:00\",\"mon\":[[\"17:00\",\"09:00\"]]}",
        ",\"business_hours\":{\"utc_offset\":\"+01:00\",\"mon\":[[\"09:00\",\"24:30\"]]}",
        ",\"business_hours\":{\"utc_offset\":\"+01:00\",\"mon\":[[\"9:00\",\"17:00\"]]}",
        ",\"business_hours\":{\"utc_offset\":\"+01:00\",\"xyz\":[]}",
        ",\"business_hours\":{\"utc_offset\":\"+01:00\",\"mon\":[[\"09:00\"]]}",
        ",\"business_hours\":[]",
        ",\"widget\":{\"prechat\":1}",
        ",\"offline_timeout_s\":5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(put_brand("acme", bad[i], NULL), 400);
    char all[512] = ",\"widget\":{\"prechat\":true},\"business_hours\":{\"utc_offset\":\"-03:30\"";
    static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (int d = 0; d < 7; d++)
        snprintf(all + strlen(all), sizeof(all) - strlen(all), ",\"%s\":[[\"00:00\",\"24:00\"]]",
                 days[d]);
    strcat(all, "}");
    assert_int_equal(put_brand("acme", all, NULL), 200);
    json_t *a = availability();
    assert_true(json_is_true(json_object_get(a, "open")));
    assert_true(json_is_true(json_object_get(a, "prechat")));
    json_decref(a);
    assert_int_equal(put_brand("acme", ",\"business_hours\":{\"utc_offset\":\"+00:00\"}", NULL),
                     200); /* no day has hours: closed */
    a = availability();
    assert_true(json_is_false(json_object_get(a, "open")));
    json_decref(a);
    assert_int_equal(put_brand("acme", "", NULL), 200); /* no hours: always open */
    a = availability();
    assert_true(json_is_true(json_object_get(a, "open")));
    assert_true(json_is_false(json_object_get(a, "prechat")));
    json_decref(a);
}

static gxt_conn *expert(const char *id, int capacity)
{
    gxt_expert(&env, id, "acme", capacity);
    return gxt_available(&env, 0, id);
}

/* Waits for task's offer and claims it; *assigned gets the task.assigned. An offer says
 * whether the task is an offline message. */
static bool offered_offline;
static void claim(gxt_conn *e, const char *task, json_t **assigned)
{
    for (;;) {
        json_t *o = gxt_must(e, "offer", 5000);
        bool mine = strcmp(gxt_str(o, "task"), task) == 0;
        offered_offline = json_is_true(json_object_get(o, "offline"));
        json_decref(o);
        if (mine)
            break;
    }
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_t *a = gxt_must(e, "task.assigned", 3000);
    if (assigned)
        *assigned = a;
    else
        json_decref(a);
}

/* A busy expert is online but has no free slot: available 1, online (free) 0. */
static void test_online_apart_from_free(void **state)
{
    (void)state;
    gxt_conn *e = expert("busy1", 1);
    gxt_pump(&env, 200);
    json_t *a = availability();
    assert_int_equal(json_integer_value(json_object_get(a, "available")), 1);
    assert_int_equal(json_integer_value(json_object_get(a, "online")), 1);
    assert_int_equal(json_integer_value(json_object_get(a, "free")), 1);
    json_decref(a);
    json_t *t = gxt_task(&env, 0, env.api_key, "busyc", "hello", 0);
    claim(e, gxt_str(t, "task"), NULL);
    json_decref(t);
    gxt_pump(&env, 200);
    a = availability();
    assert_int_equal(json_integer_value(json_object_get(a, "available")), 1);
    assert_int_equal(json_integer_value(json_object_get(a, "online")), 0);
    json_decref(a);
    gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "away");
    json_decref(gxt_must(e, "presence", 3000));
    gxt_pump(&env, 200);
    a = availability();
    assert_int_equal(json_integer_value(json_object_get(a, "available")), 0);
    json_decref(a);
    /* available again, then the console closes: not online any more */
    gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(e, "presence", 3000));
    gxt_pump(&env, 200);
    a = availability();
    assert_int_equal(json_integer_value(json_object_get(a, "available")), 1);
    json_decref(a);
    gxt_close(e);
    gxt_pump(&env, 300);
    a = availability();
    assert_int_equal(json_integer_value(json_object_get(a, "available")), 0);
    json_decref(a);
}

static int offline_post(const char *key, const char *origin, const char *email, json_t **out)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"widget_key\":\"%s\",\"topic\":\"billing\",\"language\":\"en\",\"name\":\"Ann "
             "Lee\",\"email\":\"%s\",\"text\":\"my invoice is wrong\"}",
             key, email);
    return gxt_http(&env, 0, "POST", "/api/v1/widget/offline", NULL, origin, body, out);
}

/* The requests the receiver read for task's event of type, waiting up to ms for one. */
static json_t *wait_event(const char *task, const char *type, int ms)
{
    int64_t end = gxt_now_ms() + ms;
    for (;;) {
        json_t *all = hookrx_requests(rx), *q;
        size_t i;
        json_array_foreach(all, i, q)
        {
            json_t *ev = json_loads(gxt_str(q, "body"), 0, NULL);
            if (strcmp(gxt_str(ev, "task"), task) == 0 && strcmp(gxt_str(ev, "type"), type) == 0) {
                json_decref(all);
                return ev;
            }
            json_decref(ev);
        }
        json_decref(all);
        if (gxt_now_ms() > end)
            fail_msg("no %s for task %s within %d ms", type, task, ms);
        gxt_pump(&env, 20);
    }
}

static void test_offline_message_and_reply(void **state)
{
    (void)state;
    json_t *out;
    assert_int_equal(offline_post(wkey, ORIGIN, "ann.lee@example.com", &out), 201);
    char task[80];
    snprintf(task, sizeof(task), "%s", gxt_str(out, "task"));
    json_decref(out);
    json_t *ev = wait_event(task, "task.offline_message", 5000);
    json_t *d = json_object_get(ev, "data");
    assert_true(json_is_true(json_object_get(d, "offline")));
    assert_string_equal(gxt_str(json_object_get(d, "customer"), "email"), "ann.lee@example.com");
    assert_string_equal(gxt_str(d, "message"), "my invoice is wrong");
    json_decref(ev);
    json_decref(wait_event(task, "task.created", 5000));
    /* a tier-1 expert sees it as an offline message, the e-mail masked */
    gxt_conn *e = expert("off1", 3);
    json_t *a;
    claim(e, task, &a);
    assert_true(offered_offline);
    assert_true(json_is_true(json_object_get(a, "offline")));
    const char *em = gxt_str(json_object_get(a, "customer"), "email");
    assert_null(strstr(em, "ann.lee"));
    assert_true(em[0] != '\0');
    json_decref(a);
    gxt_send(e, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text",
             "We fixed the invoice.", "cid", "r1");
    json_decref(gxt_must(e, "chat.ack", 3000));
    gxt_send(e, "{s:s, s:s}", "type", "task.resolve", "task", task);
    json_decref(gxt_must(e, "task.update", 3000));
    ev = wait_event(task, "task.offline_reply", 5000);
    d = json_object_get(ev, "data");
    assert_string_equal(gxt_str(json_object_get(d, "customer"), "email"), "ann.lee@example.com");
    assert_string_equal(gxt_str(json_object_get(d, "customer"), "name"), "Ann Lee");
    json_t *replies = json_object_get(d, "replies");
    assert_int_equal(json_array_size(replies), 1);
    assert_string_equal(json_string_value(json_array_get(replies, 0)), "We fixed the invoice.");
    json_decref(ev);
    gxt_close(e);
}

static void test_gate_refusals(void **state)
{
    (void)state;
    assert_int_equal(offline_post(wkey, ORIGIN, "not-an-address", NULL), 400);
    assert_int_equal(offline_post(wkey, ORIGIN, "a@b", NULL), 400);
    assert_int_equal(offline_post(wkey, "http://evil.example", "a@example.com", NULL), 403);
    assert_int_equal(offline_post(wkey, NULL, "a@example.com", NULL), 403);
    assert_int_equal(offline_post("gxw_nosuchkey", ORIGIN, "a@example.com", NULL), 403);
    /* another brand's key from this brand's page: that brand's origins decide */
    assert_int_equal(offline_post(other_wkey, ORIGIN, "a@example.com", NULL), 403);
    assert_int_equal(gxt_http(&env, 0, "POST", "/api/v1/widget/offline", NULL, ORIGIN,
                              "{\"widget_key\":\"x\",\"topic\":\"billing\",\"language\":\"en\","
                              "\"email\":\"a@example.com\",\"text\":\"\"}",
                              NULL),
                     400);
}

/* The customer ends (cancels) a chat an expert had: the rating is taken. */
static void test_rate_after_customer_ends(void **state)
{
    (void)state;
    gxt_conn *e = expert("rate1", 3);
    json_t *t = gxt_task(&env, 0, env.api_key, "ratec", "hello there", 0);
    char task[80];
    snprintf(task, sizeof(task), "%s", gxt_str(t, "task"));
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    claim(e, task, NULL);
    gxt_send(cu, "{s:s, s:s}", "type", "task.cancel", "task", task);
    json_decref(gxt_must(cu, "task.update", 3000));
    gxt_send(cu, "{s:s, s:s, s:i}", "type", "task.rate", "task", task, "score", 5);
    json_decref(gxt_must(cu, "task.rated", 3000));
    json_decref(t);
    gxt_close(cu);
    gxt_close(e);
}

/* The pre-chat form's name and e-mail (task.open meta) name an anonymous widget customer; the
 * e-mail reaches a tier-1 expert masked. */
static void test_prechat(void **state)
{
    (void)state;
    char body[160];
    json_t *s;
    snprintf(body, sizeof(body), "{\"widget_key\":\"%s\"}", wkey);
    assert_int_equal(gxt_http(&env, 0, "POST", "/api/v1/widget/session", NULL, ORIGIN, body, &s),
                     201);
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(s, "token"), NULL, NULL);
    json_decref(s);
    gxt_send(cu, "{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "type", "task.open", "topic", "billing",
             "language", "en", "text", "hi", "meta", "name", "Pia Pre", "email", "pia@example.com");
    json_t *c = gxt_must(cu, "task.created", 3000);
    gxt_conn *e = expert("pre1", 3);
    json_t *a;
    claim(e, gxt_str(c, "task"), &a);
    json_t *who = json_object_get(a, "customer");
    assert_string_equal(gxt_str(who, "name"), "Pia");
    assert_null(strstr(gxt_str(who, "email"), "pia@"));
    assert_true(gxt_str(who, "email")[0] != '\0');
    assert_null(json_object_get(a, "offline"));
    json_decref(a);
    json_decref(c);
    gxt_close(e);
    gxt_close(cu);
}

/* The address budget is the widget session's: spent, the offline form gets 429. */
static void test_budget(void **state)
{
    (void)state;
    int st = 0;
    for (int i = 0; i < 60 && st != 429; i++)
        st = offline_post(wkey, "http://evil.example", "a@example.com", NULL);
    assert_int_equal(st, 429);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_business_hours),
        cmocka_unit_test(test_online_apart_from_free),
        cmocka_unit_test(test_offline_message_and_reply),
        cmocka_unit_test(test_gate_refusals),
        cmocka_unit_test(test_rate_after_customer_ends),
        cmocka_unit_test(test_prechat),
        cmocka_unit_test(test_budget),
    };
    return GXT_RUN_CASES(tests, NULL, setup, teardown);
}
