/* Offer selection (fit() and displace() in offer.c): who a wave reaches, who waits for a
 * later one, and when a higher priority makes room at the spreading limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "../../server/market/offer.c"

static gx_server srv;

static void expert(gx_session *s, int tier, double rank, int capacity)
{
    memset(s, 0, sizeof(*s));
    s->srv = &srv;
    s->who.role = GX_ROLE_EXPERT;
    s->prof.tier = tier;
    s->prof.capacity = capacity;
    s->prof.langs_csv = ",en,";
    s->prof.skills_csv = ",billing,";
    s->prof.tags_spill = true; /* matched by the strings, no tag table needed */
    s->rank = rank;
}

static void need(gx_needles *n, int tier, double min)
{
    memset(n, 0, sizeof(*n));
    snprintf(n->lang, sizeof(n->lang), ",en,");
    snprintf(n->topic, sizeof(n->topic), ",billing,");
    n->tier = tier;
    n->min = min;
}

static void test_fit(void **state)
{
    (void)state;
    gx_session s;
    gx_needles n;
    expert(&s, 2, 0.8, 2);
    need(&n, 1, 0.5);
    assert_int_equal(fit(&s, &n), FIT_ABOVE);
    need(&n, 1, 0.9); /* below this wave's cut-off: a later wave reaches them */
    assert_int_equal(fit(&s, &n), FIT_BELOW);
    need(&n, 3, -1); /* tier too low */
    assert_int_equal(fit(&s, &n), FIT_NO);
    need(&n, 1, -1);
    snprintf(n.topic, sizeof(n.topic), ",refunds,");
    assert_int_equal(fit(&s, &n), FIT_NO);
}

static void test_busy(void **state)
{
    (void)state;
    gx_session s;
    gx_needles n;
    expert(&s, 1, 0.8, 1);
    s.noffers = GX_PENDING_PER_SLOT; /* at the spreading limit for one free slot */
    need(&n, 1, 0.5);
    assert_int_equal(fit(&s, &n), FIT_BUSY); /* above the cut-off: still in this wave */
    need(&n, 1, 0.9);
    assert_int_equal(fit(&s, &n), FIT_NO); /* below it and busy: not this wave */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_busy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
