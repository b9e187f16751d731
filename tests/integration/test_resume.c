/* Nothing acknowledged is lost, nothing is shown twice: an expert whose socket is cut
 * (RST, no close frame) while the customer keeps writing reconnects on the other node with
 * hello {resume} and gets every missed message once, in order, then live ones, including
 * those sent while the resume was being served. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"

#define MISSED 20
#define DURING 10

GXT_FIXTURES(2, NULL)

/* The customer writes one message and waits for its ack; returns the stored id. */
static char *say(gxt_conn *cu, const char *task, int i)
{
    char cid[16], text[32];
    snprintf(cid, sizeof(cid), "m%d", i);
    snprintf(text, sizeof(text), "message %d", i);
    gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", text, "cid",
             cid);
    json_t *ack = gxt_must(cu, "chat.ack", 3000);
    char *id = strdup(gxt_str(ack, "id"));
    json_decref(ack);
    return id;
}

static void keep(json_t *ids, char *id)
{
    json_array_append_new(ids, json_string(id));
    free(id);
}

/* The whole stored transcript's ids, oldest first (paging through chat.history). */
static json_t *stored_ids(gxt_conn *c, const char *task)
{
    json_t *ids = json_array();
    char before[64] = "";
    for (int page = 0; page < 20; page++) {
        json_t *req =
            json_pack("{s:s, s:s, s:i}", "type", "chat.history", "task", task, "limit", 7);
        if (before[0])
            json_object_set_new(req, "before", json_string(before));
        char *s = json_dumps(req, JSON_COMPACT);
        gxt_send_raw(c, s, strlen(s));
        free(s);
        json_decref(req);
        json_t *h = gxt_must(c, "chat.history", 3000);
        json_t *msgs = json_object_get(h, "messages");
        for (size_t i = json_array_size(msgs); i-- > 0;)
            json_array_insert_new(ids, 0, json_string(gxt_str(json_array_get(msgs, i), "id")));
        size_t n = json_array_size(msgs);
        if (n)
            snprintf(before, sizeof(before), "%s", gxt_str(json_array_get(msgs, 0), "id"));
        json_decref(h);
        if (n < 7)
            break;
    }
    return ids;
}

static void test_resume_after_drop(void **state)
{
    (void)state;
    gxt_expert(&env, "r1", "acme", 2);
    char *tok = gxt_token(&env, "r1", "expert", NULL);
    gxt_conn *e = gxt_login(&env, 0, tok, NULL, NULL);
    gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(e, "presence", 3000));
    json_t *t = gxt_task(&env, 0, env.api_key, "rc1", "where is my parcel", 0);
    const char *task = gxt_str(t, "task");
    gxt_conn *cu = gxt_login(&env, 1, gxt_str(t, "customer_token"), NULL, NULL);
    json_decref(gxt_must(e, "offer", 3000));
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_t *a = gxt_must(e, "task.assigned", 3000);
    json_t *h = json_object_get(a, "history");
    char last[64];
    snprintf(last, sizeof(last), "%s", gxt_str(json_array_get(h, json_array_size(h) - 1), "id"));
    json_decref(a);

    gxt_drop(e);
    json_t *sent = json_array(); /* ids the customer had acknowledged, in order */
    for (int i = 0; i < MISSED; i++)
        keep(sent, say(cu, task, i));

    /* reconnect on the other node; the customer keeps writing while welcome is served */
    gxt_conn *e2 = gxt_ws(&env, 1, "gigcx.v1");
    json_t *hello =
        json_pack("{s:s, s:s, s:{s:s}}", "type", "hello", "token", tok, "resume", task, last);
    char *hs = json_dumps(hello, JSON_COMPACT);
    gxt_send_raw(e2, hs, strlen(hs));
    free(hs);
    json_decref(hello);
    for (int i = MISSED; i < MISSED + DURING; i++)
        keep(sent, say(cu, task, i));

    json_t *w = gxt_must(e2, "welcome", 5000);
    json_t *held = json_array_get(json_object_get(w, "tasks"), 0);
    assert_string_equal(gxt_str(held, "task"), task); /* still held: a drop does not lose it */
    json_decref(w);
    for (size_t i = 0; i < json_array_size(sent); i++) {
        json_t *m = gxt_must(e2, "chat.message", 3000);
        assert_string_equal(gxt_str(m, "id"), json_string_value(json_array_get(sent, i)));
        json_decref(m);
    }
    gxt_pump(&env, 300);
    assert_int_equal(gxt_count(e2, "chat.message"), 0); /* no duplicate behind them */

    /* and live ones flow again, both ways */
    keep(sent, say(cu, task, 99));
    json_t *live = gxt_must(e2, "chat.message", 3000);
    assert_string_equal(gxt_str(live, "text"), "message 99");
    json_decref(live);

    /* what the expert saw is exactly what is stored after the opening text */
    json_t *ids = stored_ids(e2, task);
    assert_int_equal(json_array_size(ids), json_array_size(sent) + 1);
    for (size_t i = 0; i < json_array_size(sent); i++)
        assert_string_equal(json_string_value(json_array_get(ids, i + 1)),
                            json_string_value(json_array_get(sent, i)));
    json_decref(ids);
    json_decref(sent);
    json_decref(t);
    free(tok);
    gxt_close(e);
    gxt_close(e2);
    gxt_close(cu);
}

/* A customer's second tab resumes from the welcome's last_id and gets nothing twice;
 * both tabs then receive every new message. */
static void test_customer_second_tab(void **state)
{
    (void)state;
    json_t *t = gxt_task(&env, 0, env.api_key, "rc2", "refund please", 0);
    const char *task = gxt_str(t, "task"), *ctok = gxt_str(t, "customer_token");
    json_t *w1;
    gxt_conn *tab1 = gxt_login(&env, 0, ctok, NULL, &w1);
    char last[64];
    snprintf(last, sizeof(last), "%s",
             gxt_str(json_array_get(json_object_get(w1, "tasks"), 0), "last_id"));
    assert_true(last[0]);
    json_decref(w1);
    char *first = say(tab1, task, 1);
    json_decref(gxt_must(tab1, "chat.message", 3000));
    gxt_conn *tab2 = gxt_login(&env, 1, ctok, json_pack("{s:s}", task, last), NULL);
    json_t *m = gxt_must(tab2, "chat.message", 3000);
    assert_string_equal(gxt_str(m, "id"), first);
    json_decref(m);
    char *second = say(tab2, task, 2);
    json_t *m1 = gxt_must(tab1, "chat.message", 3000), *m2 = gxt_must(tab2, "chat.message", 3000);
    assert_string_equal(gxt_str(m1, "id"), second);
    assert_string_equal(gxt_str(m2, "id"), second);
    gxt_pump(&env, 200);
    assert_int_equal(gxt_count(tab2, "chat.message"), 0);
    json_decref(m1);
    json_decref(m2);
    free(first);
    free(second);
    json_decref(t);
    gxt_close(tab1);
    gxt_close(tab2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_after_drop),
        cmocka_unit_test(test_customer_second_tab),
    };
    /* the rerun through gxclient's own framing (GXT_OWN_FRAMING=1): only these */
    static const char *const own[] = {"test_resume_after_drop", "test_customer_second_tab", NULL};
    return GXT_RUN_CASES(tests, own, setup, teardown);
}
