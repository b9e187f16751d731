/* due.c: when a node polls a due set again, and bringing a poll timer forward. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "gigcx/due.h"

static void test_wait(void **state)
{
    (void)state;
    assert_int_equal(gx_due_wait_ms(-1, 5000, 100), GX_DUE_IDLE_MS);   /* empty set */
    assert_int_equal(gx_due_wait_ms(9000, 5000, 100), GX_DUE_IDLE_MS); /* far: look anyway */
    assert_int_equal(gx_due_wait_ms(5400, 5000, 100), 400);
    assert_int_equal(gx_due_wait_ms(5050, 5000, 100), 100); /* never more often than min */
    assert_int_equal(gx_due_wait_ms(4000, 5000, 100), 100); /* overdue (left for a batch) */
    assert_int_equal(gx_due_wait_ms(5000 + GX_DUE_IDLE_MS, 5000, 100), GX_DUE_IDLE_MS);
}

static void test_first(void **state)
{
    (void)state;
    redisReply id = {.type = REDIS_REPLY_STRING, .str = "t1", .len = 2};
    redisReply score = {.type = REDIS_REPLY_STRING, .str = "1234567", .len = 7};
    redisReply *two[] = {&id, &score};
    redisReply pair = {.type = REDIS_REPLY_ARRAY, .elements = 2, .element = two};
    redisReply empty = {.type = REDIS_REPLY_ARRAY, .elements = 0};
    redisReply err = {.type = REDIS_REPLY_ERROR, .str = "ERR", .len = 3};
    assert_true(gx_due_first(&pair) == 1234567);
    assert_true(gx_due_first(&empty) == -1);
    assert_true(gx_due_first(&err) == -1);
    assert_true(gx_due_first(NULL) == -1);
}

static int fired;

static void on_fire(uv_timer_t *t)
{
    fired++;
    uv_stop(t->loop);
}

/* Only ever sooner: a later wish leaves the timer alone. */
static void test_sooner(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, on_fire, 5000, GX_DUE_IDLE_MS);
    gx_due_sooner(&t, on_fire, 10);
    assert_true(uv_timer_get_due_in(&t) <= 10);
    gx_due_sooner(&t, on_fire, 3000);
    assert_true(uv_timer_get_due_in(&t) <= 10);
    uint64_t t0 = uv_hrtime();
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(fired, 1);
    assert_true(uv_hrtime() - t0 < 2000000000ull);
    assert_int_equal(uv_timer_get_repeat(&t), GX_DUE_IDLE_MS);
    uv_close((uv_handle_t *)&t, NULL);
    gx_due_sooner(&t, on_fire, 10); /* closing: ignored */
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    uv_timer_t never = {0};
    gx_due_sooner(&never, on_fire, 10); /* never initialised: ignored */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait),
        cmocka_unit_test(test_first),
        cmocka_unit_test(test_sooner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
