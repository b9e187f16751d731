/* Canned responses and staff supervision: the caps and checks of canned responses (a
 * brand's, put by the admin; personal ones over the socket), and who may watch, whisper
 * and take over a live chat: staff of the task's brand only; a whisper reaches the expert
 * and the watching staff, never the customer (live, history or transcript). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"

static const char *const extra[] = {"--ws-rate", "1000", "--user-rate", "1000", NULL};
GXT_FIXTURES(1, extra)

#define WHISPER "internal: offer the refund; her address is ann.lee@example.com"

/* PUT of brand canny with canned (NULL: without the member). */
static int put_brand_canned(const char *canned)
{
    char body[8192];
    snprintf(body, sizeof(body),
             "{\"name\":\"Canny\",\"pay\":{\"amount\":5,\"currency\":\"EUR\"},"
             "\"widget_origins\":[],\"topics\":{\"billing\":{}},\"languages\":[\"en\"]%s%s}",
             canned ? ",\"canned\":" : "", canned ? canned : "");
    return gxt_http(&env, 0, "PUT", "/api/v1/brands/canny", GXT_ADMIN, NULL, body, NULL);
}

static gxt_conn *login(const char *sub, const char *role, const char *brand)
{
    char *tok = gxt_token(&env, sub, role, brand);
    gxt_conn *c = gxt_login(&env, 0, tok, NULL, NULL);
    free(tok);
    assert_non_null(c);
    return c;
}

static void test_brand_canned_checked(void **state)
{
    (void)state;
    assert_int_equal(put_brand_canned("[{\"title\":\"Hi\",\"text\":\"Hello, how can I help?\"}]"),
                     201);
    assert_int_equal(put_brand_canned("[{\"title\":\"Hi\",\"text\":\"x\",\"extra\":1}]"), 400);
    assert_int_equal(put_brand_canned("[{\"title\":\"\",\"text\":\"x\"}]"), 400);
    assert_int_equal(put_brand_canned("{\"title\":\"Hi\"}"), 400);
    char big[8000] = "[";
    for (int i = 0; i < 201; i++)
        strcat(big, i ? ",{\"title\":\"t\",\"text\":\"x\"}" : "{\"title\":\"t\",\"text\":\"x\"}");
    strcat(big, "]");
    assert_int_equal(put_brand_canned(big), 400);
    /* what was refused changed nothing: the first one is still there */
    /* and a PUT without canned (a form that knows nothing of them) keeps them */
    assert_int_equal(put_brand_canned(NULL), 200);
    gxt_expert(&env, "cx1", "canny", 2);
    gxt_conn *e = login("cx1", "expert", NULL);
    gxt_send(e, "{s:s}", "type", "canned.list");
    json_t *l = gxt_must(e, "canned.list", 3000);
    json_t *b = json_object_get(l, "brand");
    assert_int_equal(json_array_size(b), 1);
    assert_string_equal(gxt_str(json_array_get(b, 0), "text"), "Hello, how can I help?");
    assert_int_equal(json_array_size(json_object_get(l, "mine")), 0);
    json_decref(l);
    assert_int_equal(put_brand_canned("[]"), 200); /* [] removes them */
    gxt_send(e, "{s:s}", "type", "canned.list");
    l = gxt_must(e, "canned.list", 3000);
    assert_int_equal(json_array_size(json_object_get(l, "brand")), 0);
    json_decref(l);
    gxt_close(e);
}

static void test_personal_canned_caps(void **state)
{
    (void)state;
    gxt_expert(&env, "cx2", "acme", 2);
    gxt_conn *e = login("cx2", "expert", NULL);
    char title[100];
    memset(title, 'a', 81);
    title[81] = 0;
    gxt_send(e, "{s:s, s:s, s:s}", "type", "canned.save", "title", title, "text", "x");
    assert_string_equal(gxt_error_code(e, 3000), "bad_request");
    gxt_send(e, "{s:s, s:s}", "type", "canned.save", "title", "no text");
    assert_string_equal(gxt_error_code(e, 3000), "bad_request");
    gxt_send(e, "{s:s, s:s}", "type", "canned.delete", "id", "nope");
    assert_string_equal(gxt_error_code(e, 3000), "not_found");
    char first[64] = "";
    for (int i = 0; i < 100; i++) {
        gxt_send(e, "{s:s, s:s, s:s}", "type", "canned.save", "title", "t", "text", "body");
        json_t *s = gxt_must(e, "canned.saved", 3000);
        if (!i)
            snprintf(first, sizeof(first), "%s", gxt_str(s, "id"));
        json_decref(s);
    }
    gxt_send(e, "{s:s, s:s, s:s}", "type", "canned.save", "title", "t", "text", "one too many");
    assert_string_equal(gxt_error_code(e, 3000), "capacity");
    /* an update of one already there fits; a delete makes room */
    gxt_send(e, "{s:s, s:s, s:s, s:s}", "type", "canned.save", "id", first, "title", "T", "text",
             "changed");
    json_decref(gxt_must(e, "canned.saved", 3000));
    gxt_send(e, "{s:s, s:s}", "type", "canned.delete", "id", first);
    json_decref(gxt_must(e, "canned.deleted", 3000));
    gxt_send(e, "{s:s}", "type", "canned.list");
    json_t *l = gxt_must(e, "canned.list", 3000);
    assert_int_equal(json_array_size(json_object_get(l, "mine")), 99);
    json_decref(l);
    /* personal means personal: another expert sees none of them; customers have none */
    gxt_expert(&env, "cx3", "acme", 2);
    gxt_conn *o = login("cx3", "expert", NULL);
    gxt_send(o, "{s:s}", "type", "canned.list");
    l = gxt_must(o, "canned.list", 3000);
    assert_int_equal(json_array_size(json_object_get(l, "mine")), 0);
    json_decref(l);
    json_t *t = gxt_task(&env, 0, env.api_key, "cc1", "hello", 0);
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    gxt_send(cu, "{s:s}", "type", "canned.list");
    assert_string_equal(gxt_error_code(cu, 3000), "forbidden");
    json_decref(t);
    gxt_close(cu);
    gxt_close(o);
    gxt_close(e);
}

/* The chat.message with text, skipping earlier ones (a sender gets its own too). */
static void must_text(gxt_conn *c, const char *text)
{
    for (int i = 0; i < 5; i++) {
        json_t *m = gxt_must(c, "chat.message", 3000);
        bool found = strcmp(gxt_str(m, "text"), text) == 0;
        json_decref(m);
        if (found)
            return;
    }
    fail_msg("no chat.message '%s'", text);
}

/* No frame the customer got holds the whisper, nor its history. */
static void customer_never_whispered(gxt_conn *cu, const char *task)
{
    assert_int_equal(gxt_count(cu, "chat.whisper"), 0);
    gxt_send(cu, "{s:s, s:s}", "type", "chat.history", "task", task);
    json_t *h = gxt_must(cu, "chat.history", 3000);
    char *s = json_dumps(h, JSON_COMPACT);
    assert_null(strstr(s, "refund"));
    free(s);
    json_decref(h);
}

static void test_watch_whisper_take_over(void **state)
{
    (void)state;
    char *other_key = gxt_brand(&env, "other");
    gxt_expert(&env, "sx1", "acme", 2);
    gxt_conn *e = login("sx1", "expert", NULL);
    gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(e, "presence", 3000));
    json_t *t = gxt_task(&env, 0, env.api_key, "sc1", "my invoice is wrong", 0);
    const char *task = gxt_str(t, "task");
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    gxt_claim_offered(e, task);

    /* refused: staff of another brand, an expert, a customer */
    gxt_conn *stranger = login("boss", "staff", "other");
    const char *kinds[] = {"chat.watch", "task.takeover"};
    for (int i = 0; i < 2; i++) {
        gxt_send(stranger, "{s:s, s:s}", "type", kinds[i], "task", task);
        assert_string_equal(gxt_error_code(stranger, 3000), "forbidden");
        gxt_send(e, "{s:s, s:s}", "type", kinds[i], "task", task);
        assert_string_equal(gxt_error_code(e, 3000), "forbidden");
    }
    gxt_send(stranger, "{s:s, s:s, s:s}", "type", "chat.whisper", "task", task, "text", "x");
    assert_string_equal(gxt_error_code(stranger, 3000), "forbidden");
    gxt_send(e, "{s:s, s:s, s:s}", "type", "chat.whisper", "task", task, "text", "x");
    assert_string_equal(gxt_error_code(e, 3000), "forbidden");
    gxt_send(cu, "{s:s, s:s, s:s}", "type", "chat.whisper", "task", task, "text", "x");
    assert_string_equal(gxt_error_code(cu, 3000), "forbidden");
    gxt_send(stranger, "{s:s}", "type", "live.list");
    json_t *l = gxt_must(stranger, "live.list", 3000);
    assert_int_equal(json_array_size(json_object_get(l, "chats")), 0);
    json_decref(l);

    /* staff of the brand: the list, then watching (history, then live), read-only */
    gxt_conn *st = login("lead", "staff", "acme");
    gxt_send(st, "{s:s}", "type", "live.list");
    l = gxt_must(st, "live.list", 3000);
    json_t *c0 = json_array_get(json_object_get(l, "chats"), 0);
    assert_string_equal(gxt_str(c0, "task"), task);
    assert_string_equal(gxt_str(json_object_get(c0, "assignee"), "id"), "sx1");
    json_decref(l);
    gxt_send(st, "{s:s, s:s}", "type", "chat.watch", "task", task);
    json_t *w = gxt_must(st, "chat.watching", 3000);
    assert_string_equal(gxt_str(json_object_get(w, "customer"), "name"), "Ann Lee");
    json_decref(w);
    json_t *m = gxt_must(st, "chat.message", 3000);
    assert_string_equal(gxt_str(m, "text"), "my invoice is wrong");
    json_decref(m);
    gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "still there?",
             "cid", "c1");
    m = gxt_must(st, "chat.message", 3000);
    assert_string_equal(gxt_str(m, "text"), "still there?");
    json_decref(m);
    gxt_send(st, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "hi", "cid",
             "s1");
    assert_string_equal(gxt_error_code(st, 3000), "forbidden");

    /* the whisper: to the expert and the watcher, never to the customer */
    gxt_send(st, "{s:s, s:s, s:s}", "type", "chat.whisper", "task", task, "text", WHISPER);
    json_decref(gxt_must(st, "chat.whispered", 3000));
    json_t *ew = gxt_must(e, "chat.whisper", 3000); /* a tier-1 expert: masked */
    assert_non_null(strstr(gxt_str(ew, "text"), "offer the refund"));
    assert_null(strstr(gxt_str(ew, "text"), "ann.lee@example.com"));
    assert_true(json_is_true(json_object_get(ew, "internal")));
    json_decref(ew);
    ew = gxt_must(st, "chat.whisper", 3000); /* staff: as written */
    assert_string_equal(gxt_str(ew, "text"), WHISPER);
    json_decref(ew);
    gxt_pump(&env, 300);
    customer_never_whispered(cu, task);
    /* the notes so far: for the assignee (after a reconnect), never the customer or others */
    gxt_send(e, "{s:s, s:s}", "type", "chat.notes", "task", task);
    json_t *n = gxt_must(e, "chat.notes", 3000);
    assert_int_equal(json_array_size(json_object_get(n, "whispers")), 1);
    assert_null(
        strstr(gxt_str(json_array_get(json_object_get(n, "whispers"), 0), "text"), "ann.lee"));
    json_decref(n);
    gxt_send(cu, "{s:s, s:s}", "type", "chat.notes", "task", task);
    assert_string_equal(gxt_error_code(cu, 3000), "forbidden");
    gxt_send(stranger, "{s:s, s:s}", "type", "chat.notes", "task", task);
    assert_string_equal(gxt_error_code(stranger, 3000), "forbidden");

    /* take over: the staff member holds it, the expert lets go, the customer is told */
    gxt_send(st, "{s:s, s:s}", "type", "task.takeover", "task", task);
    json_t *a = gxt_must(st, "task.assigned", 3000);
    assert_string_equal(gxt_str(a, "handover"), "taken_over");
    json_decref(a);
    json_t *u = gxt_must(e, "task.update", 3000);
    assert_string_equal(gxt_str(u, "reason"), "taken_over");
    json_decref(u);
    u = gxt_must(cu, "task.update", 3000); /* the claim's, then the take-over's */
    if (strcmp(gxt_str(u, "reason"), "taken_over") != 0) {
        json_decref(u);
        u = gxt_must(cu, "task.update", 3000);
    }
    assert_string_equal(gxt_str(u, "status"), "escalated");
    assert_string_equal(gxt_str(json_object_get(u, "expert"), "name"), "lead");
    json_decref(u);
    gxt_send(e, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "me?", "cid",
             "e9");
    assert_string_not_equal(gxt_error_code(e, 3000), "");
    gxt_send(st, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text",
             "I am taking this one", "cid", "s2");
    json_decref(gxt_must(st, "chat.ack", 3000));
    must_text(cu, "I am taking this one");
    gxt_send(st, "{s:s, s:s}", "type", "task.takeover", "task", task);
    assert_string_equal(gxt_error_code(st, 3000), "conflict");
    customer_never_whispered(cu, task);

    /* the transcript the brand reads holds no whisper either */
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/tasks/%s/transcript", task);
    json_t *tr;
    assert_int_equal(gxt_http(&env, 0, "GET", path, env.api_key, NULL, NULL, &tr), 200);
    char *s = json_dumps(tr, JSON_COMPACT);
    assert_null(strstr(s, "refund"));
    free(s);
    json_decref(tr);
    json_decref(t);
    free(other_key);
    gxt_close(st);
    gxt_close(stranger);
    gxt_close(cu);
    gxt_close(e);
}

static gxt_conn *available_expert(const char *id)
{
    gxt_expert(&env, id, "rb", 2);
    gxt_conn *c = login(id, "expert", NULL);
    gxt_send(c, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(c, "presence", 3000));
    return c;
}

/* The offer of task to c within ms, or NULL (other offers are dropped). */
static json_t *offer_of(gxt_conn *c, const char *task, int ms)
{
    int64_t end = gxt_now_ms() + ms;
    for (json_t *o; (o = gxt_expect(c, "offer", (int)(end - gxt_now_ms()))) != NULL;) {
        if (strcmp(gxt_str(o, "task"), task) == 0)
            return o;
        json_decref(o);
    }
    return NULL;
}

static void test_reassign(void **state)
{
    (void)state;
    /* a brand of its own: the experts of the tests above still rank first in acme's waves */
    char *key = gxt_brand(&env, "rb");
    gxt_conn *a = available_expert("ra1");
    json_t *t = gxt_task(&env, 0, key, "rc1", "please help", 0);
    const char *task = gxt_str(t, "task");
    gxt_claim_offered(a, task);
    gxt_conn *b = available_expert("ra2");
    gxt_conn *stranger = login("boss2", "staff", "other");
    gxt_send(stranger, "{s:s, s:s}", "type", "task.reassign", "task", task);
    assert_string_equal(gxt_error_code(stranger, 3000), "forbidden");
    gxt_send(b, "{s:s, s:s}", "type", "task.reassign", "task", task);
    assert_string_equal(gxt_error_code(b, 3000), "forbidden");

    gxt_conn *st = login("lead2", "staff", "rb");
    gxt_send(st, "{s:s, s:s}", "type", "task.reassign", "task", task);
    json_t *u = gxt_must(st, "task.update", 3000);
    assert_string_equal(gxt_str(u, "reason"), "reassigned");
    json_decref(u);
    u = gxt_must(a, "task.update", 3000);
    assert_string_equal(gxt_str(u, "status"), "queued");
    assert_string_equal(gxt_str(u, "reason"), "reassigned");
    json_decref(u);
    /* another expert gets it; the one it was taken from does not */
    json_t *o = offer_of(b, task, 5000);
    assert_non_null(o);
    json_decref(o);
    o = offer_of(a, task, 1500);
    assert_null(o);
    gxt_send(st, "{s:s, s:s}", "type", "task.reassign", "task", task);
    assert_string_equal(gxt_error_code(st, 3000), "conflict");     /* queued: nobody holds it */
    gxt_send(b, "{s:s, s:s}", "type", "task.claim", "task", task); /* offered above */
    json_decref(gxt_must(b, "task.assigned", 3000));
    json_decref(t);
    free(key);
    gxt_close(st);
    gxt_close(stranger);
    gxt_close(b);
    gxt_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brand_canned_checked),
        cmocka_unit_test(test_personal_canned_caps),
        cmocka_unit_test(test_watch_whisper_take_over),
        cmocka_unit_test(test_reassign),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
