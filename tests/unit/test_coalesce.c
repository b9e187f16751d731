/* When the loop pauses before waiting: only while events come at two or more per window,
 * only for what is left of the window, and never when it is off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "gigcx/coalesce.h"

#define MS 1000000ull

/* Runs the loop for `ms` milliseconds, waking every `step_us` with `per_wake` events, and
 * returns the pause asked for at the last wake-up. */
static uint64_t run(gx_coalesce *c, uint64_t *now, uint64_t *events, unsigned ms, unsigned step_us,
                    unsigned per_wake)
{
    uint64_t pause = 0;
    for (uint64_t end = *now + ms * MS; *now < end; *now += step_us * 1000ull) {
        *events += per_wake;
        pause = gx_coalesce_pause(c, *now, *events, false);
        gx_coalesce_waiting(c, *now + pause);
    }
    return pause;
}

static void test_quiet_server_never_pauses(void **state)
{
    (void)state;
    gx_coalesce c;
    gx_coalesce_init(&c, 2000);
    uint64_t now = 10 * MS, events = 0;
    /* one event per 2 ms window is half the rate that pauses */
    assert_int_equal(run(&c, &now, &events, 500, 2000, 1), 0);
    assert_false(c.busy);
}

static void test_busy_server_pauses_for_the_rest_of_the_window(void **state)
{
    (void)state;
    gx_coalesce c;
    gx_coalesce_init(&c, 2000);
    uint64_t now = 10 * MS, events = 0;
    run(&c, &now, &events, 300, 500, 3); /* 6,000 events/s */
    assert_true(c.busy);
    gx_coalesce_waiting(&c, now);
    assert_int_equal(gx_coalesce_pause(&c, now + 500000, events + 1, false), 1500000);
    /* unless a reply someone races for is due */
    gx_coalesce_waiting(&c, now);
    assert_int_equal(gx_coalesce_pause(&c, now + 500000, events + 1, true), 0);
    /* a pass that took longer than the window waits at once */
    gx_coalesce_waiting(&c, now);
    assert_int_equal(gx_coalesce_pause(&c, now + 2500000, events + 2, false), 0);
}

static void test_burst_then_silence(void **state)
{
    (void)state;
    gx_coalesce c;
    gx_coalesce_init(&c, 2000);
    uint64_t now = 10 * MS, events = 0;
    run(&c, &now, &events, 300, 500, 3);
    assert_true(c.busy);
    /* the loop slept for a second: the stale period does not count as busy */
    now += 1000 * MS;
    gx_coalesce_waiting(&c, now);
    assert_int_equal(gx_coalesce_pause(&c, now + 100000, events + 1, false), 0);
    assert_false(c.busy);
}

static void test_off(void **state)
{
    (void)state;
    gx_coalesce c;
    gx_coalesce_init(&c, 0);
    uint64_t now = 10 * MS, events = 0;
    assert_int_equal(run(&c, &now, &events, 300, 100, 50), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quiet_server_never_pauses),
        cmocka_unit_test(test_busy_server_pauses_for_the_rest_of_the_window),
        cmocka_unit_test(test_burst_then_silence),
        cmocka_unit_test(test_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
