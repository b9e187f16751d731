/* "My work" (work.list): an expert's claims of the week with what became of each from their
 * side: resolved (with the pay and the customer's rating), released, escalated, still
 * active; a staff member's take-over, never with pay. Customers are refused, since may reach
 * back 31 days at most, and nobody sees another's work. A chat's resolver still reads its
 * transcript (masked for tier 1); an expert who never held it does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "harness.h"

GXT_FIXTURES(1, NULL)

#define DAY_MS 86400000LL

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* c's work.list (owned): its tasks array is the reply's. */
static json_t *work(gxt_conn *c)
{
    gxt_send(c, "{s:s, s:s}", "type", "work.list", "ref", "w");
    json_t *w = gxt_must(c, "work.list", 3000);
    assert_string_equal(gxt_str(w, "ref"), "w");
    assert_true(json_is_array(json_object_get(w, "tasks")));
    return w;
}

static json_t *item(json_t *w, size_t i)
{
    return json_array_get(json_object_get(w, "tasks"), i);
}

static void send_text(gxt_conn *c, const char *task, const char *cid, const char *text)
{
    gxt_send(c, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", text, "cid",
             cid);
    json_decref(gxt_must(c, "chat.ack", 3000));
}

static void test_resolved_and_released(void **state)
{
    (void)state;
    char *key = gxt_brand(&env, "wkb");
    gxt_expert(&env, "wk1", "wkb", 2);
    gxt_expert(&env, "wk2", "wkb", 2);
    long long t0 = wall_ms();
    gxt_conn *e = gxt_available(&env, 0, "wk1");
    json_t *t1 = gxt_task(&env, 0, key, "wkc1", "my card was charged twice", 0);
    json_t *t2 = gxt_task(&env, 0, key, "wkc2", "where is my parcel", 0);
    const char *task1 = gxt_str(t1, "task"), *task2 = gxt_str(t2, "task");
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t1, "customer_token"), NULL, NULL);

    gxt_claim_offered(e, task1);
    send_text(cu, task1, "m1", "write to ann@example.com please");
    send_text(e, task1, "m2", "refund on its way");
    gxt_send(e, "{s:s, s:s, s:s}", "type", "task.resolve", "task", task1, "summary", "refunded");
    json_decref(gxt_update(e, "resolved", 3000));
    json_decref(gxt_update(cu, "resolved", 3000));
    gxt_send(cu, "{s:s, s:s, s:i, s:s}", "type", "task.rate", "task", task1, "score", 4, "comment",
             "great, mail me at ann@example.com");
    json_decref(gxt_must(cu, "task.rated", 3000));

    gxt_claim_offered(e, task2);
    gxt_send(e, "{s:s, s:s}", "type", "task.release", "task", task2);
    json_decref(gxt_update(e, "queued", 3000));

    json_t *w = work(e);
    assert_int_equal(json_array_size(json_object_get(w, "tasks")), 2);
    json_t *rel = item(w, 0), *res = item(w, 1); /* newest claim first */
    assert_string_equal(gxt_str(rel, "task"), task2);
    assert_string_equal(gxt_str(rel, "outcome"), "released");
    assert_null(json_object_get(rel, "pay"));
    assert_null(json_object_get(rel, "rating"));
    assert_true(json_integer_value(json_object_get(rel, "ended_at")) >= t0);

    assert_string_equal(gxt_str(res, "task"), task1);
    assert_string_equal(gxt_str(res, "outcome"), "resolved");
    assert_string_equal(gxt_str(res, "status"), "resolved");
    assert_string_equal(gxt_str(res, "brand"), "wkb");
    assert_string_equal(gxt_str(res, "topic"), "billing");
    assert_string_equal(gxt_str(res, "language"), "en");
    assert_string_equal(gxt_str(res, "summary"), "refunded");
    /* tier 1: the customer's first name, and the comment masked */
    assert_string_equal(gxt_str(json_object_get(res, "customer"), "name"), "Ann");
    assert_int_equal(json_integer_value(json_object_get(res, "rating")), 4);
    assert_null(strstr(gxt_str(res, "rating_comment"), "ann@example.com"));
    assert_non_null(strstr(gxt_str(res, "rating_comment"), "great"));
    json_t *pay = json_object_get(res, "pay");
    assert_true(json_number_value(json_object_get(pay, "amount")) == 5.0);
    assert_string_equal(gxt_str(pay, "currency"), "EUR");
    long long claimed = json_integer_value(json_object_get(res, "claimed_at"));
    long long ended = json_integer_value(json_object_get(res, "ended_at"));
    assert_true(claimed >= t0 && ended >= claimed);
    json_decref(w);

    /* limit, and since: 31 days back at most */
    gxt_send(e, "{s:s, s:i}", "type", "work.list", "limit", 1);
    w = gxt_must(e, "work.list", 3000);
    assert_int_equal(json_array_size(json_object_get(w, "tasks")), 1);
    assert_string_equal(gxt_str(item(w, 0), "task"), task2);
    json_decref(w);
    gxt_send(e, "{s:s, s:I}", "type", "work.list", "since", (json_int_t)(wall_ms() - 30 * DAY_MS));
    w = gxt_must(e, "work.list", 3000);
    assert_int_equal(json_array_size(json_object_get(w, "tasks")), 2);
    json_decref(w);
    gxt_send(e, "{s:s, s:I}", "type", "work.list", "since", (json_int_t)(wall_ms() + 1000));
    w = gxt_must(e, "work.list", 3000);
    assert_int_equal(json_array_size(json_object_get(w, "tasks")), 0);
    json_decref(w);
    gxt_send(e, "{s:s, s:I}", "type", "work.list", "since", (json_int_t)(wall_ms() - 32 * DAY_MS));
    assert_string_equal(gxt_error_code(e, 3000), "bad_request");
    gxt_send(e, "{s:s, s:i}", "type", "work.list", "limit", 201);
    assert_string_equal(gxt_error_code(e, 3000), "bad_request");

    /* the resolver still reads the transcript, masked for tier 1 */
    gxt_send(e, "{s:s, s:s}", "type", "chat.history", "task", task1);
    json_t *h = gxt_must(e, "chat.history", 3000);
    json_t *msgs = json_object_get(h, "messages");
    assert_int_equal(json_array_size(msgs), 3);
    assert_string_equal(gxt_str(json_array_get(msgs, 2), "text"), "refund on its way");
    assert_null(strstr(gxt_str(json_array_get(msgs, 1), "text"), "ann@example.com"));
    json_decref(h);

    /* a customer has no work; another expert sees neither task nor its transcript */
    gxt_send(cu, "{s:s}", "type", "work.list");
    assert_string_equal(gxt_error_code(cu, 3000), "forbidden");
    gxt_conn *other = gxt_available(&env, 0, "wk2");
    w = work(other);
    assert_int_equal(json_array_size(json_object_get(w, "tasks")), 0);
    json_decref(w);
    gxt_send(other, "{s:s, s:s}", "type", "chat.history", "task", task1);
    assert_string_equal(gxt_error_code(other, 3000), "forbidden");

    /* wk2 takes the released one over and resolves it: wk1's part stays "released" */
    gxt_claim_offered(other, task2);
    gxt_send(other, "{s:s, s:s}", "type", "task.resolve", "task", task2);
    json_decref(gxt_update(other, "resolved", 3000));
    w = work(e);
    assert_string_equal(gxt_str(item(w, 0), "outcome"), "released");
    assert_null(json_object_get(item(w, 0), "pay"));
    json_decref(w);
    gxt_send(e, "{s:s, s:s}", "type", "chat.history", "task", task2);
    assert_string_equal(gxt_error_code(e, 3000), "forbidden");
    w = work(other);
    assert_int_equal(json_array_size(json_object_get(w, "tasks")), 1);
    assert_string_equal(gxt_str(item(w, 0), "outcome"), "resolved");
    json_decref(w);

    gxt_close(other);
    gxt_close(cu);
    gxt_close(e);
    json_decref(t1);
    json_decref(t2);
    free(key);
}

static void test_escalated_active_and_staff(void **state)
{
    (void)state;
    char *key = gxt_brand(&env, "wks");
    gxt_expert(&env, "wk3", "wks", 3);
    char *stok = gxt_token(&env, "wklead", "staff", "wks");
    gxt_conn *e = gxt_available(&env, 0, "wk3");
    gxt_conn *st = gxt_login(&env, 0, stok, NULL, NULL);
    json_t *t3 = gxt_task(&env, 0, key, "wkc3", "I want a manager", 0);
    json_t *t4 = gxt_task(&env, 0, key, "wkc4", "still waiting", 0);
    json_t *t5 = gxt_task(&env, 0, key, "wkc5", "one more thing", 0);
    const char *task3 = gxt_str(t3, "task"), *task4 = gxt_str(t4, "task"),
               *task5 = gxt_str(t5, "task");
    gxt_claim_offered(e, task3);
    gxt_claim_offered(e, task4);
    gxt_claim_offered(e, task5);
    gxt_send(e, "{s:s, s:s, s:s}", "type", "task.escalate", "task", task3, "reason", "manager");
    json_decref(gxt_update(e, "escalated", 3000));
    gxt_send(st, "{s:s, s:s}", "type", "task.takeover", "task", task4);
    json_decref(gxt_must(st, "task.assigned", 3000));
    json_decref(gxt_update(e, "escalated", 3000));

    json_t *w = work(e);
    assert_int_equal(json_array_size(json_object_get(w, "tasks")), 3);
    assert_string_equal(gxt_str(item(w, 0), "task"), task5);
    assert_string_equal(gxt_str(item(w, 0), "outcome"), "active");
    assert_null(json_object_get(item(w, 0), "ended_at"));
    assert_string_equal(gxt_str(item(w, 1), "outcome"), "released"); /* taken over */
    assert_true(json_integer_value(json_object_get(item(w, 1), "ended_at")) > 0);
    assert_string_equal(gxt_str(item(w, 2), "outcome"), "escalated");
    json_decref(w);
    /* the one who escalated still reads its transcript */
    gxt_send(e, "{s:s, s:s}", "type", "chat.history", "task", task3);
    json_decref(gxt_must(e, "chat.history", 3000));

    /* staff: what they took over, resolved, never with pay; the name as written */
    gxt_send(st, "{s:s, s:s}", "type", "task.resolve", "task", task4);
    json_decref(gxt_update(st, "resolved", 3000));
    w = work(st);
    assert_int_equal(json_array_size(json_object_get(w, "tasks")), 1);
    assert_string_equal(gxt_str(item(w, 0), "task"), task4);
    assert_string_equal(gxt_str(item(w, 0), "outcome"), "resolved");
    assert_null(json_object_get(item(w, 0), "pay"));
    assert_string_equal(gxt_str(json_object_get(item(w, 0), "customer"), "name"), "Ann Lee");
    json_decref(w);

    gxt_close(st);
    gxt_close(e);
    json_decref(t3);
    json_decref(t4);
    json_decref(t5);
    free(stok);
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolved_and_released),
        cmocka_unit_test(test_escalated_active_and_staff),
    };
    return GXT_RUN_CASES(tests, NULL, setup, teardown);
}
