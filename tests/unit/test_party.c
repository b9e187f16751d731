/* Who a user is to a task: customers and staff only inside the task's brand, the holder by
 * role, past experts and staff; a bare id, another brand's namesake or an expert's
 * namesake is nobody. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "gigcx/party.h"

static const gx_task_people held = {.brand = "acme",
                                    .customer = "c1",
                                    .assignee = "s1",
                                    .assignee_role = "staff",
                                    .expert = "e1",
                                    .staff = "s1"};

static void test_parties(void **state)
{
    (void)state;
    assert_int_equal(gx_party_of("c:acme:c1", &held), GX_PARTY_CUSTOMER);
    assert_int_equal(gx_party_of("s:acme:s1", &held), GX_PARTY_ASSIGNEE);
    assert_int_equal(gx_party_of("e1", &held), GX_PARTY_PAST);
    assert_int_equal(gx_party_of("c:beta:c1", &held), GX_PARTY_NONE); /* another brand's c1 */
    assert_int_equal(gx_party_of("s:beta:s1", &held), GX_PARTY_NONE);
    assert_int_equal(gx_party_of("s1", &held), GX_PARTY_NONE); /* an expert named s1 */
    assert_int_equal(gx_party_of("c1", &held), GX_PARTY_NONE);
    assert_int_equal(gx_party_of("s:acme:e1", &held), GX_PARTY_NONE); /* staff named like e1 */
    assert_int_equal(gx_party_of("", &held), GX_PARTY_NONE);
    assert_int_equal(gx_party_of(NULL, &held), GX_PARTY_NONE);
    gx_task_people expert_holds = {.brand = "acme", .assignee = "e1", .assignee_role = "expert"};
    assert_int_equal(gx_party_of("e1", &expert_holds), GX_PARTY_ASSIGNEE);
    assert_int_equal(gx_party_of("s:acme:e1", &expert_holds), GX_PARTY_NONE);
    gx_task_people empty = {0};
    assert_int_equal(gx_party_of("e1", &empty), GX_PARTY_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_parties)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
