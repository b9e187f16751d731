/* Keepalive: the server pings a quiet socket every heartbeat and drops one silent for three;
 * a client that answers pings stays however long it says nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"

static const char *const fast[] = {"--heartbeat", "1", NULL};
GXT_FIXTURES(1, fast)

static void test_silent_peer_dropped_live_one_kept(void **state)
{
    (void)state;
    gxt_expert(&env, "k1", "acme", 1);
    gxt_expert(&env, "k2", "acme", 1);
    char *t1 = gxt_token(&env, "k1", "expert", NULL), *t2 = gxt_token(&env, "k2", "expert", NULL);
    gxt_conn *hung = gxt_login(&env, 0, t1, NULL, NULL);
    gxt_conn *live = gxt_login(&env, 0, t2, NULL, NULL);
    gxc_pause(hung->c, true);  /* reads nothing, so answers no ping */
    gxt_pump(&env, 6000);      /* six heartbeats */
    gxc_pause(hung->c, false); /* reading again, it finds the connection was cut */
    assert_int_equal(gxt_wait_close(hung, 2000), 1006);
    assert_false(live->closed); /* it answered every ping without sending a frame */
    gxt_send(live, "{s:s, s:s}", "type", "presence.set", "status", "away");
    json_decref(gxt_must(live, "presence", 3000));
    gxt_close(hung);
    gxt_close(live);
    free(t1);
    free(t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silent_peer_dropped_live_one_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
