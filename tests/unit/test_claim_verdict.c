/* The verdict a claim held back on this node gets once another of its claims won the task
 * (taken_verdict() in claim.c): the script's answer, conflict for the eligible and forbidden
 * for the rest, without asking Redis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "../../server/market/claim.c"
#include "market_fake.h"

static int verdict(gx_role role, const char *brands, const char *langs, const char *skills,
                   int tier)
{
    gx_session s = {0};
    s.who.role = role;
    s.prof.brands_csv = (char *)brands;
    s.prof.langs_csv = (char *)langs;
    s.prof.skills_csv = (char *)skills;
    s.prof.tier = tier;
    /* word, status, brand, topic, language, customer name, pay, reason, tier, offline,
     * e-mail */
    const char *v[GX_CLAIM_HISTORY] = {"ok", "assigned", "acme", "billing", "en", "Ann",
                                       "{}", "",         "2",    "",        ""};
    gxt_fake_reply f;
    return taken_verdict(&s, gxt_fake(&f, GX_CLAIM_HISTORY, v));
}

static void test_expert(void **state)
{
    (void)state;
    assert_int_equal(verdict(GX_ROLE_EXPERT, ",acme,", ",en,", ",billing,", 2), GX_ECONFLICT);
    assert_int_equal(verdict(GX_ROLE_EXPERT, ",beta,", ",en,", ",billing,", 2), GX_EFORBIDDEN);
    assert_int_equal(verdict(GX_ROLE_EXPERT, ",acme,", ",de,", ",billing,", 2), GX_EFORBIDDEN);
    assert_int_equal(verdict(GX_ROLE_EXPERT, ",acme,", ",en,", ",refunds,", 2), GX_EFORBIDDEN);
    assert_int_equal(verdict(GX_ROLE_EXPERT, ",acme,", ",en,", ",billing,", 1), GX_EFORBIDDEN);
}

static void test_staff(void **state)
{
    (void)state;
    /* staff of the brand may claim any of its escalations: languages and tier do not count */
    assert_int_equal(verdict(GX_ROLE_STAFF, ",acme,", "", "", 0), GX_ECONFLICT);
    assert_int_equal(verdict(GX_ROLE_STAFF, ",beta,", "", "", 0), GX_EFORBIDDEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expert),
        cmocka_unit_test(test_staff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
