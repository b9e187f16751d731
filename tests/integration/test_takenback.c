/* Chats taken back from their holder while the console was away: the next welcome says which,
 * when and why (welcome.taken_back), once. An expert whose socket vanished past the grace
 * period ("disconnected": the customer hears task.update queued, reason requeued), one whose
 * chats staff reassigned or took over ("reassigned", "taken_over"), one deactivated and
 * reactivated ("deactivated": a hello refused meanwhile does not use the notes up). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "harness.h"

static const char *const fast[] = {"--heartbeat", "1", "--expert-grace", "2", NULL};
GXT_FIXTURES(1, fast)

/* Wall-clock milliseconds, as the server stamps `at`. */
static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A fresh session's welcome (owned); the socket is closed again. */
static json_t *welcome_of(const char *token)
{
    json_t *w = NULL;
    gxt_conn *c = gxt_login(&env, 0, token, NULL, &w);
    assert_non_null(w);
    gxt_close(c);
    gxt_pump(&env, 100);
    return w;
}

/* The item of welcome.taken_back naming task, or NULL. */
static json_t *taken_item(json_t *w, const char *task)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(w, "taken_back"), i, it)
    {
        if (strcmp(gxt_str(it, "task"), task) == 0)
            return it;
    }
    return NULL;
}

static void test_disconnected_once(void **state)
{
    (void)state;
    gxt_expert(&env, "tb1", "acme", 1);
    char *tok = gxt_token(&env, "tb1", "expert", NULL);
    gxt_conn *e = gxt_available(&env, 0, "tb1");
    json_t *t = gxt_task(&env, 0, env.api_key, "tbc1", "my card was charged twice", 0);
    const char *task = gxt_str(t, "task");
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    gxt_claim_offered(e, task);
    json_decref(gxt_update(cu, "assigned", 3000));

    long long before = wall_ms();
    gxt_drop(e); /* the network died: no close frame */
    json_t *u = gxt_update(cu, "queued", 12000);
    long long after = wall_ms();
    assert_string_equal(gxt_str(u, "reason"), "requeued");
    json_decref(u);
    gxt_close(e);

    /* the console comes back: welcome says which chat went, when and why */
    json_t *w = welcome_of(tok);
    assert_int_equal(json_array_size(json_object_get(w, "tasks")), 0);
    assert_int_equal(json_array_size(json_object_get(w, "taken_back")), 1);
    json_t *it = taken_item(w, task);
    assert_non_null(it);
    assert_string_equal(gxt_str(it, "reason"), "disconnected");
    long long at = (long long)json_integer_value(json_object_get(it, "at"));
    assert_true(at >= before && at <= after + 1000);
    /* tier 1: the customer's first name only, as in task.assigned */
    assert_string_equal(gxt_str(json_object_get(it, "customer"), "name"), "Ann");
    assert_null(json_object_get(it, "by"));
    json_decref(w);

    /* read once: the next welcome does not say it again */
    w = welcome_of(tok);
    assert_null(json_object_get(w, "taken_back"));
    json_decref(w);
    gxt_close(cu);
    json_decref(t);
    free(tok);
}

static void test_reassigned_and_taken_over(void **state)
{
    (void)state;
    char *key = gxt_brand(&env, "tbb"); /* a brand of its own: nobody else is offered these */
    gxt_expert(&env, "tb2", "tbb", 2);
    char *tok = gxt_token(&env, "tb2", "expert", NULL);
    char *stok = gxt_token(&env, "tblead", "staff", "tbb");
    gxt_conn *e = gxt_available(&env, 0, "tb2");
    gxt_conn *st = gxt_login(&env, 0, stok, NULL, NULL);
    json_t *t1 = gxt_task(&env, 0, key, "tbc2", "first question", 0);
    json_t *t2 = gxt_task(&env, 0, key, "tbc3", "second question", 0);
    const char *task1 = gxt_str(t1, "task"), *task2 = gxt_str(t2, "task");
    gxt_claim_offered(e, task1);
    gxt_claim_offered(e, task2);

    gxt_send(st, "{s:s, s:s}", "type", "task.reassign", "task", task1);
    json_decref(gxt_update(st, "queued", 3000));
    json_decref(gxt_update(e, "queued", 3000));
    gxt_send(st, "{s:s, s:s}", "type", "task.takeover", "task", task2);
    json_decref(gxt_must(st, "task.assigned", 3000));
    json_decref(gxt_update(e, "escalated", 3000));
    gxt_close(e);
    gxt_pump(&env, 100);

    json_t *w = welcome_of(tok);
    json_t *list = json_object_get(w, "taken_back");
    assert_int_equal(json_array_size(list), 2);
    /* oldest first */
    assert_string_equal(gxt_str(json_array_get(list, 0), "task"), task1);
    assert_string_equal(gxt_str(json_array_get(list, 0), "reason"), "reassigned");
    assert_string_equal(gxt_str(json_array_get(list, 1), "task"), task2);
    assert_string_equal(gxt_str(json_array_get(list, 1), "reason"), "taken_over");
    assert_string_equal(gxt_str(json_object_get(json_array_get(list, 1), "by"), "name"), "tblead");
    json_decref(w);
    w = welcome_of(tok);
    assert_null(json_object_get(w, "taken_back"));
    json_decref(w);
    /* the staff member's own welcome lists nothing taken from them */
    gxt_close(st);
    w = welcome_of(stok);
    assert_null(json_object_get(w, "taken_back"));
    json_decref(w);
    json_decref(t1);
    json_decref(t2);
    free(key);
    free(tok);
    free(stok);
}

static void test_deactivated(void **state)
{
    (void)state;
    char *key = gxt_brand(&env, "tbd");
    gxt_expert(&env, "tb3", "tbd", 1);
    char *tok = gxt_token(&env, "tb3", "expert", NULL);
    gxt_conn *e = gxt_available(&env, 0, "tb3");
    json_t *t = gxt_task(&env, 0, key, "tbc4", "help please", 0);
    const char *task = gxt_str(t, "task");
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    gxt_claim_offered(e, task);
    json_decref(gxt_update(cu, "assigned", 3000));

    assert_int_equal(gxt_http(&env, 0, "PATCH", "/api/v1/experts/tb3", GXT_ADMIN, NULL,
                              "{\"active\":false}", NULL),
                     200);
    assert_int_equal(gxt_wait_close(e, 3000), 4401);
    gxt_close(e);
    json_t *u = gxt_update(cu, "queued", 5000);
    assert_string_equal(gxt_str(u, "reason"), "requeued");
    json_decref(u);

    /* a hello while inactive is refused: the notes stay for the welcome that comes */
    gxt_conn *refused = gxt_ws(&env, 0, NULL);
    gxt_send(refused, "{s:s, s:s}", "type", "hello", "token", tok);
    assert_int_equal(gxt_wait_close(refused, 3000), 4401);
    gxt_close(refused);

    assert_int_equal(gxt_http(&env, 0, "PATCH", "/api/v1/experts/tb3", GXT_ADMIN, NULL,
                              "{\"active\":true}", NULL),
                     200);
    gxt_pump(&env, 1100); /* a token minted in the second of the deactivation stays revoked */
    char *fresh = gxt_token(&env, "tb3", "expert", NULL);
    json_t *w = welcome_of(fresh);
    json_t *it = taken_item(w, task);
    assert_non_null(it);
    assert_string_equal(gxt_str(it, "reason"), "deactivated");
    json_decref(w);
    gxt_close(cu);
    json_decref(t);
    free(key);
    free(tok);
    free(fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disconnected_once),
        cmocka_unit_test(test_reassigned_and_taken_over),
        cmocka_unit_test(test_deactivated),
    };
    return GXT_RUN_CASES(tests, NULL, setup, teardown);
}
