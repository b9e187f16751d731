/* Shedding's arithmetic (shed.h): how many sockets a share is, and what a start promises,
 * on a server of fake sessions (the loop is never run, so no socket is touched). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/error.h"
#include "gigcx/session.h"
#include "gigcx/shed.h"

#define GXT_SESSIONS 64

static gx_session sessions[GXT_SESSIONS];

/* n open sessions, the first `closing` of them already closing. */
static void fill(gx_server *srv, uv_loop_t *loop, int n, int closing)
{
    memset(srv, 0, sizeof(*srv));
    memset(sessions, 0, sizeof(sessions));
    srv->loop = loop;
    for (int i = 0; i < n; i++) {
        gx_session *s = &sessions[i];
        s->c.wsi = (struct lws *)(uintptr_t)1; /* never dereferenced here */
        s->state = GX_SS_READY;
        s->who.role = i % 2 ? GX_ROLE_EXPERT : GX_ROLE_CUSTOMER;
        s->c.close_code = i < closing ? 1000 : 0;
        s->c.next = srv->net.all;
        srv->net.all = &s->c;
    }
}

static void test_share_rounds_up(void **state)
{
    (void)state;
    gx_server srv;
    fill(&srv, NULL, 40, 0);
    assert_int_equal(gx_shed_count(&srv, 0.5), 20);
    assert_int_equal(gx_shed_count(&srv, 0.25), 10);
    assert_int_equal(gx_shed_count(&srv, 0.01), 1); /* any share of a busy node: one */
    assert_int_equal(gx_shed_count(&srv, 1), 40);
    fill(&srv, NULL, 30, 0);
    assert_int_equal(gx_shed_count(&srv, 0.1), 3); /* 3.0000000000000004 in doubles */
    fill(&srv, NULL, 30, 10);                      /* closing ones are not counted */
    assert_int_equal(gx_shed_candidates(&srv), 20);
    assert_int_equal(gx_shed_count(&srv, 0.5), 10);
    fill(&srv, NULL, 0, 0);
    assert_int_equal(gx_shed_count(&srv, 0.5), 0);
}

static void test_start_promises_and_refuses(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    gx_server srv;
    fill(&srv, &loop, 10, 0);
    assert_int_equal(gx_shed_start(&srv, 25, 1000, GX_SHED_LOAD), 10); /* at most all */
    assert_int_equal(gx_shed_left(&srv), 10);
    assert_int_equal(gx_shed_start(&srv, 1, 1000, GX_SHED_LOAD), GX_ECONFLICT);
    assert_int_equal(gx_shed_start(&srv, 4, 1000, GX_SHED_DRAIN), 4); /* replaces it */
    assert_int_equal(gx_shed_left(&srv), 4);
    srv.draining = true;
    gx_shed_free(&srv);
    assert_int_equal(gx_shed_left(&srv), 0);
    assert_int_equal(gx_shed_start(&srv, 1, 1000, GX_SHED_LOAD), GX_ECONFLICT);
    uv_run(&loop, UV_RUN_DEFAULT); /* closes the timer */
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_rounds_up),
        cmocka_unit_test(test_start_promises_and_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
