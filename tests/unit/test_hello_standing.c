/* hello's classification of a user's tasks (standing() in hello.c): who takes part actively,
 * who only reads, and who is a stranger, for each role and status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "../../server/market/hello.c"
#include "market_fake.h"

/* The task's fields by hello's enum; the people in GX_TASK_PEOPLE_FIELDS's order. */
static int stand(const char *uid, const char *status, const char *assignee, const char *role,
                 const char *expert, const char *staff)
{
    gx_session s = {0};
    snprintf(s.who.uid, sizeof(s.who.uid), "%s", uid);
    const char *v[F_N] = {[F_TOPIC] = "billing", [F_STATUS] = status,     [F_LAST] = "1-0",
                          [F_PEOPLE] = "acme",   [F_PEOPLE + 1] = "c1",   [F_PEOPLE + 2] = assignee,
                          [F_PEOPLE + 3] = role, [F_PEOPLE + 4] = expert, [F_PEOPLE + 5] = staff};
    gxt_fake_reply f;
    return standing(&s, gxt_fake(&f, F_N, v));
}

static void test_customer(void **state)
{
    (void)state;
    assert_int_equal(stand("c:acme:c1", "queued", "", "", "", ""), 2);
    assert_int_equal(stand("c:acme:c1", "escalated", "", "", "e1", ""), 2);
    assert_int_equal(stand("c:acme:c1", "resolved", "e1", "expert", "e1", ""), 1);
    assert_int_equal(stand("c:beta:c1", "queued", "", "", "", ""), 0); /* another brand's c1 */
}

static void test_expert_and_staff(void **state)
{
    (void)state;
    assert_int_equal(stand("e1", "assigned", "e1", "expert", "e1", ""), 2);
    /* released back to the queue: the expert only reads it now */
    assert_int_equal(stand("e1", "queued", "", "", "e1", ""), 1);
    /* escalated and taken by staff: the expert reads, the staff member holds it */
    assert_int_equal(stand("e1", "escalated", "s1", "staff", "e1", "s1"), 1);
    assert_int_equal(stand("s:acme:s1", "escalated", "s1", "staff", "e1", "s1"), 2);
    assert_int_equal(stand("s:beta:s1", "escalated", "s1", "staff", "e1", "s1"), 0);
    assert_int_equal(stand("e2", "assigned", "e1", "expert", "e1", ""), 0);
    assert_int_equal(stand("e1", "resolved", "e1", "expert", "e1", ""), 1);
}

static void test_gone(void **state)
{
    (void)state;
    assert_int_equal(stand("e1", "", "", "", "", ""), 0); /* no such task any more */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_customer),
        cmocka_unit_test(test_expert_and_staff),
        cmocka_unit_test(test_gone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
