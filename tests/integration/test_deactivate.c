/* Deactivating an expert (PATCH /api/v1/experts/{id} {"active": false}): its live socket
 * closes 4401 at once, its chat goes back to the queue at once and another expert is offered
 * it, its old tokens fail at hello and none are minted, and reactivation lets new ones work.
 * Also PATCH's validation (as PUT's, on the merged record), 404s, other keys refused, the
 * audit entries, and the task list's ?q= search. */
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

static int patch(const char *path, const char *key, const char *body, json_t **out)
{
    return gxt_http(&env, 0, "PATCH", path, key, NULL, body, out);
}

static int mint_expert(const char *id)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"sub\":\"%s\",\"role\":\"expert\"}", id);
    return gxt_http(&env, 0, "POST", "/api/v1/tokens", GXT_ADMIN, NULL, body, NULL);
}

static gxt_conn *available(const char *id)
{
    return gxt_available(&env, 0, id);
}

static bool audited(const char *action, const char *target)
{
    json_t *out = NULL, *e;
    size_t i;
    bool found = false;
    if (gxt_http(&env, 0, "GET", "/api/v1/audit", GXT_ADMIN, NULL, NULL, &out) != 200)
        return false;
    json_array_foreach(json_object_get(out, "entries"), i, e) found =
        found ||
        (strcmp(gxt_str(e, "action"), action) == 0 && strcmp(gxt_str(e, "target"), target) == 0);
    json_decref(out);
    return found;
}

static void test_deactivate_mid_chat(void **state)
{
    (void)state;
    gxt_expert(&env, "dx1", "acme", 2);
    char *old = gxt_token(&env, "dx1", "expert", NULL);
    gxt_conn *e1 = gxt_login(&env, 0, old, NULL, NULL);
    gxt_send(e1, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(e1, "presence", 3000));
    json_t *t = gxt_task(&env, 0, env.api_key, "dcust", "help me please", 0);
    const char *task = gxt_str(t, "task");
    gxt_conn *cust = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    gxt_claim_offered(e1, task);
    gxt_expert(&env, "dx2", "acme", 2);
    gxt_conn *e2 = available("dx2");

    json_t *out = NULL;
    assert_int_equal(patch("/api/v1/experts/dx1", GXT_ADMIN, "{\"active\":false}", &out), 200);
    assert_true(json_is_false(json_object_get(out, "active")));
    assert_string_equal(gxt_str(out, "name"), "dx1"); /* the rest kept */
    json_decref(out);
    assert_int_equal(gxt_wait_close(e1, 3000), 4401); /* "expert deactivated" */
    gxt_close(e1);
    gxt_claim_offered(e2, task); /* back in the queue at once: no grace period */
    json_t *u;
    while ((u = gxt_must(cust, "task.update", 3000)) &&
           strcmp(gxt_str(u, "status"), "assigned") != 0)
        json_decref(u);
    json_decref(u);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/experts", GXT_ADMIN, NULL, NULL, &out), 200);
    size_t i;
    json_t *row, *live = NULL;
    json_array_foreach(json_object_get(out, "experts"), i,
                       row) if (strcmp(gxt_str(row, "id"), "dx2") == 0) live =
        json_object_get(row, "live");
    assert_string_equal(gxt_str(live, "state"), "online");
    assert_int_equal(json_integer_value(json_object_get(live, "held")), 1);
    assert_int_equal(json_integer_value(json_object_get(live, "capacity")), 2);
    json_decref(out);

    gxt_conn *again = gxt_ws(&env, 0, "gigcx.v1");
    gxt_send(again, "{s:s, s:s}", "type", "hello", "token", old);
    json_t *err = gxt_must(again, "error", 3000);
    assert_string_equal(gxt_str(err, "code"), "unauthenticated");
    assert_string_equal(gxt_str(err, "message"), "expert deactivated");
    json_decref(err);
    assert_int_equal(gxt_wait_close(again, 3000), 4401);
    gxt_close(again);
    assert_int_equal(mint_expert("dx1"), 409);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/experts/dx1", GXT_ADMIN, NULL, NULL, &out),
                     200);
    assert_true(json_is_false(json_object_get(out, "active")));
    json_decref(out);
    assert_true(audited("expert.deactivate", "dx1"));

    sleep(1); /* the deactivation revoked the tokens of its second */
    assert_int_equal(patch("/api/v1/experts/dx1", GXT_ADMIN, "{\"active\":true}", NULL), 200);
    assert_int_equal(mint_expert("dx1"), 201);
    gxt_close(available("dx1"));
    assert_true(audited("expert.reactivate", "dx1"));
    gxt_close(e2);
    gxt_close(cust);
    json_decref(t);
    free(old);
}

static void test_patch_validation(void **state)
{
    (void)state;
    gxt_expert(&env, "px", "acme", 2);
    json_t *out = NULL;
    assert_int_equal(patch("/api/v1/experts/px", GXT_ADMIN, "{\"capacity\":5}", &out), 200);
    assert_int_equal(json_integer_value(json_object_get(out, "capacity")), 5);
    assert_true(json_is_true(json_object_get(out, "active")));
    json_decref(out);
    assert_int_equal(patch("/api/v1/experts/px", GXT_ADMIN, "{\"capacity\":50}", NULL), 400);
    assert_int_equal(patch("/api/v1/experts/px", GXT_ADMIN, "{\"active\":\"no\"}", NULL), 400);
    assert_int_equal(patch("/api/v1/experts/px", GXT_ADMIN, "{\"name\":null}", NULL), 400);
    assert_int_equal(patch("/api/v1/experts/px", GXT_ADMIN, "{\"id\":\"other\"}", NULL), 400);
    assert_int_equal(patch("/api/v1/experts/px", GXT_ADMIN, "[1]", NULL), 400);
    assert_int_equal(patch("/api/v1/experts/nobody", GXT_ADMIN, "{\"capacity\":2}", NULL), 404);
    assert_int_equal(patch("/api/v1/brands/nobrand", GXT_ADMIN, "{\"name\":\"x\"}", NULL), 404);
    assert_int_equal(patch("/api/v1/experts/px", env.api_key, "{\"active\":false}", NULL), 401);
    assert_int_equal(patch("/api/v1/brands/acme", env.api_key, "{\"name\":\"Mine\"}", NULL), 401);
    assert_int_equal(patch("/api/v1/brands/acme", GXT_ADMIN,
                           "{\"on_timeout\":\"escalate\",\"waves\":{\"size\":2},"
                           "\"topics\":{\"billing\":{\"tier\":2,\"sla_s\":60}}}",
                           NULL),
                     200);
    assert_int_equal(patch("/api/v1/brands/acme", GXT_ADMIN, "{\"on_timeout\":\"never\"}", NULL),
                     400);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/brands/acme", GXT_ADMIN, NULL, NULL, &out),
                     200);
    assert_string_equal(gxt_str(out, "on_timeout"), "escalate");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "waves"), "size")), 2);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(out, "topics"), "billing"), "tier")),
                     2);
    json_decref(out);
    /* nulls in an object for a member that is not there yet vanish (RFC 7396) */
    assert_int_equal(patch("/api/v1/brands/acme", GXT_ADMIN,
                           "{\"topics\":{\"refunds\":{\"tier\":null,\"sla_s\":30},"
                           "\"billing\":{\"sla_s\":null}}}",
                           &out),
                     200);
    json_decref(out);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/brands/acme", GXT_ADMIN, NULL, NULL, &out),
                     200);
    json_t *topics = json_object_get(out, "topics");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(topics, "refunds"), "sla_s")), 30);
    assert_null(json_object_get(json_object_get(topics, "refunds"), "tier"));
    assert_null(json_object_get(json_object_get(topics, "billing"), "sla_s"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(topics, "billing"), "tier")), 2);
    json_decref(out);
    /* back as it was, for the other cases (null removes the topic) */
    assert_int_equal(patch("/api/v1/brands/acme", GXT_ADMIN,
                           "{\"on_timeout\":\"expire\",\"topics\":{\"billing\":null,"
                           "\"refunds\":null}}",
                           NULL),
                     200);
}

/* A PATCH is applied to what GET shows: settings GET left out were lost by the PUT it makes.
 * Business hours, the widget's pre-chat, the offline time-out and canned responses stay. */
static void test_patch_keeps_settings(void **state)
{
    (void)state;
    json_t *out = NULL;
    assert_int_equal(patch("/api/v1/brands/acme", GXT_ADMIN,
                           "{\"business_hours\":{\"utc_offset\":\"+01:00\","
                           "\"mon\":[[\"09:00\",\"17:00\"]]},\"widget\":{\"prechat\":true},"
                           "\"offline_timeout_s\":3600,\"canned\":[{\"title\":\"Hi\","
                           "\"text\":\"Hello there\"}]}",
                           NULL),
                     200);
    assert_int_equal(patch("/api/v1/brands/acme", GXT_ADMIN, "{\"name\":\"Acme 2\"}", NULL), 200);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/brands/acme", GXT_ADMIN, NULL, NULL, &out),
                     200);
    assert_string_equal(gxt_str(out, "name"), "Acme 2");
    assert_string_equal(gxt_str(json_object_get(out, "business_hours"), "utc_offset"), "+01:00");
    assert_true(json_is_true(json_object_get(json_object_get(out, "widget"), "prechat")));
    assert_int_equal(json_integer_value(json_object_get(out, "offline_timeout_s")), 3600);
    assert_string_equal(gxt_str(json_array_get(json_object_get(out, "canned"), 0), "text"),
                        "Hello there");
    json_decref(out);
    assert_int_equal(patch("/api/v1/brands/acme", GXT_ADMIN,
                           "{\"business_hours\":null,\"widget\":null,\"offline_timeout_s\":null,"
                           "\"canned\":[]}",
                           NULL),
                     200);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/brands/acme", GXT_ADMIN, NULL, NULL, &out),
                     200);
    assert_null(json_object_get(out, "business_hours"));
    assert_int_equal(json_array_size(json_object_get(out, "canned")), 0);
    json_decref(out);
}

static int put(const char *path, const char *body, json_t **out)
{
    return gxt_http(&env, 0, "PUT", path, GXT_ADMIN, NULL, body, out);
}

/* A misspelt field is refused, not stored or ignored while the default applies; an expert on
 * a brand that does not exist is refused; a lower-case currency is taken, stored upper-case. */
static void test_put_refusals(void **state)
{
    (void)state;
    json_t *out = NULL;
    assert_int_equal(put("/api/v1/brands/fresh",
                         "{\"name\":\"Fresh\",\"pay\":{\"amount\":3,\"currency\":\"eur\"},"
                         "\"webhookUrl\":\"http://127.0.0.1:9/h\"}",
                         &out),
                     400);
    assert_non_null(
        strstr(gxt_str(json_object_get(out, "error"), "message"), "unknown field 'webhookUrl'"));
    json_decref(out);
    assert_int_equal(put("/api/v1/brands/fresh",
                         "{\"name\":\"Fresh\",\"pay\":{\"amount\":3,\"currency\":\"eur\"},"
                         "\"topics\":{\"general\":{\"pay\":{\"amount\":1,\"currency\":\"usd\"}}}}",
                         NULL),
                     201);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/brands/fresh", GXT_ADMIN, NULL, NULL, &out),
                     200);
    assert_string_equal(gxt_str(json_object_get(out, "pay"), "currency"), "EUR");
    json_t *tp = json_object_get(json_object_get(json_object_get(out, "topics"), "general"), "pay");
    assert_string_equal(gxt_str(tp, "currency"), "USD");
    /* what GET shows goes back through PUT as it is */
    char *again = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    assert_int_equal(put("/api/v1/brands/fresh", again, NULL), 200);
    free(again);
    assert_int_equal(put("/api/v1/brands/fresh",
                         "{\"name\":\"F\",\"pay\":{\"amount\":3,"
                         "\"currency\":\"e1r\"}}",
                         NULL),
                     400);

    assert_int_equal(put("/api/v1/experts/nx",
                         "{\"name\":\"Nx\",\"skills\":[\"general\"],\"languages\":[\"en\"],"
                         "\"brands\":[\"fresh\",\"no-such-brand\"]}",
                         &out),
                     400);
    assert_non_null(
        strstr(gxt_str(json_object_get(out, "error"), "message"), "no brand 'no-such-brand'"));
    json_decref(out);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/experts/nx", GXT_ADMIN, NULL, NULL, NULL),
                     404); /* nothing of it stored */
    assert_int_equal(put("/api/v1/experts/nx",
                         "{\"name\":\"Nx\",\"skills\":[],\"languages\":[],\"brands\":[],"
                         "\"capcity\":2}",
                         &out),
                     400);
    assert_non_null(
        strstr(gxt_str(json_object_get(out, "error"), "message"), "unknown field 'capcity'"));
    json_decref(out);
    assert_int_equal(put("/api/v1/experts/nx",
                         "{\"name\":\"Nx\",\"skills\":[\"general\"],\"languages\":[\"en\"],"
                         "\"brands\":[\"fresh\",\"acme\"]}",
                         &out),
                     201);
    char *back = json_dumps(out, JSON_COMPACT); /* the answer, with its id, PUT back */
    json_decref(out);
    assert_int_equal(put("/api/v1/experts/nx", back, NULL), 200);
    free(back);
}

static void test_task_search(void **state)
{
    (void)state;
    json_t *t = gxt_task(&env, 0, env.api_key, "Zelda-42", "find me", 0), *out = NULL;
    char path[160];
    assert_int_equal(
        gxt_http(&env, 0, "GET", "/api/v1/tasks?q=zELDa", env.api_key, NULL, NULL, &out), 200);
    json_t *rows = json_object_get(out, "tasks");
    assert_int_equal(json_array_size(rows), 1);
    assert_string_equal(gxt_str(json_array_get(rows, 0), "task"), gxt_str(t, "task"));
    json_decref(out);
    snprintf(path, sizeof(path), "/api/v1/tasks?brand=acme&q=%s", gxt_str(t, "task"));
    assert_int_equal(gxt_http(&env, 0, "GET", path, GXT_ADMIN, NULL, NULL, &out), 200);
    assert_int_equal(json_array_size(json_object_get(out, "tasks")), 1);
    json_decref(out);
    assert_int_equal(
        gxt_http(&env, 0, "GET", "/api/v1/tasks?q=nothing-like-it", env.api_key, NULL, NULL, &out),
        200);
    assert_int_equal(json_array_size(json_object_get(out, "tasks")), 0);
    json_decref(out);
    assert_int_equal(
        gxt_http(&env, 0, "GET", "/api/v1/tasks?q=%FF%FE", env.api_key, NULL, NULL, NULL), 400);
    /* another brand's key finds nothing of acme's, whatever it names */
    char *other = gxt_brand(&env, "other");
    snprintf(path, sizeof(path), "/api/v1/tasks?brand=acme&q=%s", gxt_str(t, "task"));
    assert_int_equal(gxt_http(&env, 0, "GET", path, other, NULL, NULL, &out), 200);
    assert_int_equal(json_array_size(json_object_get(out, "tasks")), 0);
    json_decref(out);
    snprintf(path, sizeof(path), "/api/v1/tasks/%s/transcript", gxt_str(t, "task"));
    assert_int_equal(gxt_http(&env, 0, "GET", path, other, NULL, NULL, NULL), 404);
    assert_int_equal(gxt_http(&env, 0, "POST", "/api/v1/tokens", other, NULL,
                              "{\"sub\":\"px\",\"role\":\"expert\"}", NULL),
                     403);
    free(other);
    json_decref(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deactivate_mid_chat),  cmocka_unit_test(test_patch_validation),
        cmocka_unit_test(test_patch_keeps_settings), cmocka_unit_test(test_put_refusals),
        cmocka_unit_test(test_task_search),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
