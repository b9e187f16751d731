/* A user's flood limit holds across processes: one customer with a socket on each of two
 * nodes, each socket well under the limit but the two together over it, is refused on
 * both (each node keeps its share of the user's rate once their counts meet in Redis);
 * the same rate from one socket alone is never refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"

static const char *const rates[] = {"--ws-rate", "40", "--user-rate", "40", NULL};
GXT_FIXTURES(2, rates)

/* Sends pings on every open socket of c[0..n) at per_s each for ms; returns how many were
 * refused (rate_limited) or could not be sent because the socket was closed for it. */
static int ping_for(gxt_conn **c, int n, int per_s, int ms)
{
    int refused = 0, sent = 0;
    int64_t start = gxt_now_ms(), gap = 1000 / per_s;
    for (int i = 0; i < ms / gap && gxt_now_ms() < start + ms + 5000; i++) {
        for (int k = 0; k < n; k++) {
            if (gxt_wait_close(c[k], 0))
                refused++; /* closed 1008 for repeated floods: refused too */
            else {
                gxt_send(c[k], "{s:s}", "type", "ping");
                sent++;
            }
        }
        int64_t next = start + (i + 1) * gap;
        if (next > gxt_now_ms())
            gxt_pump(&env, (int)(next - gxt_now_ms()));
    }
    gxt_pump(&env, 300);
    for (int k = 0; k < n; k++) {
        const char *code;
        while (strcmp(code = gxt_error_code(c[k], 0), "(none)") != 0)
            refused += strcmp(code, "rate_limited") == 0;
    }
    print_message("%d of %d pings refused\n", refused, sent);
    return refused;
}

static void test_one_socket_under_the_rate(void **state)
{
    (void)state;
    char *tok = gxt_token(&env, "calm", "customer", "acme");
    gxt_conn *c = gxt_login(&env, 0, tok, NULL, NULL);
    assert_int_equal(ping_for(&c, 1, 30, 4000), 0);
    gxt_close(c);
    free(tok);
}

static void test_two_processes_share_the_rate(void **state)
{
    (void)state;
    char *tok = gxt_token(&env, "split", "customer", "acme");
    gxt_conn *c[2] = {gxt_login(&env, 0, tok, NULL, NULL), gxt_login(&env, 1, tok, NULL, NULL)};
    /* 70 a second together against 40: once the counts meet (a second or two) each node keeps
     * about half the rate, and its burst allowance runs out about 3 s later */
    assert_true(ping_for(c, 2, 35, 7000) >= 15);
    gxt_close(c[0]);
    gxt_close(c[1]);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_socket_under_the_rate),
        cmocka_unit_test(test_two_processes_share_the_rate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
