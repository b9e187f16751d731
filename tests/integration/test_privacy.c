/* Tier 1 never sees personal data: the e-mail, phone and card in a customer's text reach a
 * tier-1 expert masked on every path (offer preview, task.assigned history and customer
 * name, live chat, typing, chat.history, resume), while a tier-2 expert and the stored
 * transcript keep the original. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"

GXT_FIXTURES(1, NULL)

#define SECRET "mail ann.lee@example.com, call +44 20 7946 0958, card 4111 1111 1111 1111"

static gxt_conn *expert(const char *id, int tier, char **tok)
{
    char path[64], body[256];
    snprintf(path, sizeof(path), "/api/v1/experts/%s", id);
    snprintf(body, sizeof(body),
             "{\"name\":\"%s\",\"skills\":[\"billing\"],\"languages\":[\"en\"],\"tier\":%d,"
             "\"brands\":[\"acme\"],\"capacity\":2}",
             id, tier);
    assert_true(gxt_http(&env, 0, "PUT", path, GXT_ADMIN, NULL, body, NULL) / 100 == 2);
    *tok = gxt_token(&env, id, "expert", NULL);
    gxt_conn *c = gxt_login(&env, 0, *tok, NULL, NULL);
    gxt_send(c, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(c, "presence", 3000));
    return c;
}

/* A copy without times and message ids: their digits ("...6411191677") could hold "4111"
 * by chance and read as a leak. */
static json_t *without_numbers(json_t *m)
{
    static const char *const keys[] = {"created_at", "expires_at", "ts", "id", "last_id"};
    if (json_is_object(m))
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            json_object_del(m, keys[k]);
    const char *key;
    json_t *v;
    size_t i;
    if (json_is_object(m))
        json_object_foreach(m, key, v) without_numbers(v);
    else if (json_is_array(m))
        json_array_foreach(m, i, v) without_numbers(v);
    return m;
}

/* Nothing personal in the frame: checks the whole encoded text but times and ids. */
static void clean(json_t *m)
{
    json_t *c = without_numbers(json_deep_copy(m));
    char *s = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    if (strstr(s, "ann.lee@example.com") || strstr(s, "7946") || strstr(s, "4111") ||
        strstr(s, "Ann Lee"))
        fail_msg("personal data reached a tier-1 expert: %s", s);
    free(s);
}

static void test_tier1_sees_masked_tier2_sees_all(void **state)
{
    (void)state;
    char *tok1, *tok2;
    gxt_conn *t1 = expert("p1", 1, &tok1), *t2 = expert("p2", 2, &tok2);
    json_t *t = gxt_task(&env, 0, env.api_key, "pc", SECRET, 0);
    const char *task = gxt_str(t, "task");
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);

    json_t *o1 = gxt_must(t1, "offer", 3000), *o2 = gxt_must(t2, "offer", 3000);
    clean(o1);
    assert_non_null(strstr(gxt_str(o1, "preview"), "[email]"));
    assert_string_equal(gxt_str(o2, "preview"), SECRET); /* tier 2: as written */
    json_decref(o1);
    json_decref(o2);

    gxt_send(t1, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_t *a = gxt_must(t1, "task.assigned", 3000);
    clean(a);
    assert_string_equal(gxt_str(json_object_get(a, "customer"), "name"), "Ann");
    json_decref(a);

    gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", SECRET, "cid",
             "s1");
    json_t *m = gxt_must(t1, "chat.message", 3000);
    clean(m);
    assert_non_null(strstr(gxt_str(m, "text"), "[card]"));
    json_t *mine = gxt_must(cu, "chat.message", 3000); /* the customer sees what they wrote */
    assert_string_equal(gxt_str(mine, "text"), SECRET);
    char last[64];
    snprintf(last, sizeof(last), "%s", gxt_str(m, "id"));
    json_decref(m);
    json_decref(mine);

    gxt_send(cu, "{s:s, s:s}", "type", "chat.typing", "task", task);
    json_t *ty = gxt_must(t1, "chat.typing", 3000);
    clean(ty);
    json_decref(ty);

    gxt_send(t1, "{s:s, s:s}", "type", "chat.history", "task", task);
    json_t *h = gxt_must(t1, "chat.history", 3000);
    clean(h);
    assert_int_equal(json_array_size(json_object_get(h, "messages")), 2);
    json_decref(h);

    /* a dropped tier-1 expert resumes: the missed message comes masked too */
    gxt_drop(t1);
    gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", SECRET, "cid",
             "s2");
    json_decref(gxt_must(cu, "chat.ack", 3000));
    gxt_conn *back = gxt_login(&env, 0, tok1, json_pack("{s:s}", task, last), NULL);
    json_t *r = gxt_must(back, "chat.message", 3000);
    clean(r);
    json_decref(r);

    /* the stored transcript keeps the original */
    char path[128];
    json_t *tr;
    snprintf(path, sizeof(path), "/api/v1/tasks/%s/transcript", task);
    assert_int_equal(gxt_http(&env, 0, "GET", path, env.api_key, NULL, NULL, &tr), 200);
    assert_string_equal(gxt_str(json_array_get(json_object_get(tr, "messages"), 0), "text"),
                        SECRET);
    json_decref(tr);
    json_decref(t);
    free(tok1);
    free(tok2);
    gxt_close(t1);
    gxt_close(t2);
    gxt_close(back);
    gxt_close(cu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tier1_sees_masked_tier2_sees_all),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
