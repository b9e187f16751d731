/* sendq's helper threads under ThreadSanitizer (tests/unit/CMakeLists.txt builds this with
 * -fsanitize=thread, server/sendq.c compiled into it): many shared batches, big enough that
 * the helpers take chunks of them, each send reported once, in order, with its own result;
 * and queues with helpers made and freed again and again (a helper that wakes as its queue
 * stops). A data race between the loop's thread and a helper is TSan's report, which fails
 * the test (halt_on_error). Bounded: ROUNDS batches or SECONDS, whichever comes first.
 * Skipped (77) where the kernel offers no io_uring. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "gigcx/sendq.h"

enum { N = 4 * GX_SENDQ_SHARE_MIN, LEN = 2048, ROUNDS = 300, SECONDS = 10 };

static int sv[N][2], want[N];
static char msg[N][LEN];

typedef struct {
    int calls, bad;
} order;

static void ordered(void *user, int res, void *arg)
{
    order *o = arg;
    int i = (int)(intptr_t)user;
    if (i != o->calls++ || res != want[i])
        o->bad++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void open_pairs(void)
{
    for (int i = 0; i < N; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
        if (i % 29 == 3) { /* a few peers gone, scattered over the chunks */
            close(sv[i][1]);
            sv[i][1] = -1;
        }
    }
}

static void close_pairs(void)
{
    for (int i = 0; i < N; i++) {
        close(sv[i][0]);
        if (sv[i][1] >= 0)
            close(sv[i][1]);
    }
}

/* One shared batch on q: every send reported in order with its result, every live peer
 * got exactly its bytes. */
static void one_batch(gx_sendq *q, int round)
{
    for (int i = 0; i < N; i++) {
        memset(msg[i], 'a' + (round + i) % 26, LEN);
        want[i] = sv[i][1] < 0 ? -EPIPE : LEN;
        assert_true(gx_sendq_add(q, sv[i][0], msg[i], LEN, (void *)(intptr_t)i));
    }
    order o = {0};
    gx_sendq_run(q, ordered, &o);
    assert_int_equal(o.calls, N);
    assert_int_equal(o.bad, 0);
    assert_int_equal(gx_sendq_count(q), 0);
    static char got[LEN + 1];
    for (int i = 0; i < N; i++) {
        if (sv[i][1] < 0)
            continue;
        assert_int_equal(recv(sv[i][1], got, sizeof(got), MSG_DONTWAIT), LEN);
        assert_memory_equal(got, msg[i], LEN);
    }
}

static void test_many_shared_batches(void **state)
{
    (void)state;
    gx_sendq *q = gx_sendq_new(N, 2);
    if (!q)
        skip();
    assert_int_equal(gx_sendq_helpers(q), 2);
    open_pairs();
    double end = now_s() + SECONDS;
    int rounds = 0;
    while (rounds < ROUNDS && now_s() < end)
        one_batch(q, rounds++);
    assert_true(rounds >= 10);
    close_pairs();
    gx_sendq_free(q);
}

static void test_helpers_start_and_stop(void **state)
{
    (void)state;
    open_pairs();
    double end = now_s() + SECONDS;
    for (int i = 0; i < 40 && now_s() < end; i++) {
        gx_sendq *q = gx_sendq_new(N, 1 + (unsigned)i % 3);
        if (!q) {
            close_pairs();
            skip();
        }
        if (i % 2) /* half of them stop with helpers that may never have run */
            one_batch(q, i);
        gx_sendq_free(q);
    }
    close_pairs();
}

int main(void)
{
    gx_sendq *probe = gx_sendq_new(4, 0);
    if (!probe) {
        fprintf(stderr, "no io_uring here: skipped\n");
        return 77;
    }
    gx_sendq_free(probe);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_shared_batches),
        cmocka_unit_test(test_helpers_start_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
