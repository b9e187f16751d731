/* What became of a user's part of a task (gx_work_outcome, work.c), read from the task hash
 * as work_list.lua gives it: the hash keeps only the latest expert and staff member, so an
 * earlier holder's part is "released", and nobody's bare id names another role's user. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/scripts.h"
#include "gigcx/work.h"

typedef struct {
    const char *status, *assignee, *role, *expert, *staff, *resolved_by, *escalated_by;
} task;

static const char *outcome(gx_role role, const char *id, task t)
{
    gx_claims who = {0};
    who.role = role;
    snprintf(who.sub, sizeof(who.sub), "%s", id);
    snprintf(who.brand, sizeof(who.brand), "%s", role == GX_ROLE_EXPERT ? "" : "acme");
    gx_jwt_uid_make(who.uid, role, who.brand, id);
    const char *f[GX_WORK_FIELDS];
    for (int i = 0; i < GX_WORK_FIELDS; i++)
        f[i] = "";
    f[GX_WORK_BRAND] = "acme";
    f[GX_WORK_STATUS] = t.status;
    f[GX_WORK_ASSIGNEE] = t.assignee ? t.assignee : "";
    f[GX_WORK_ASSIGNEE_ROLE] = t.role ? t.role : "";
    f[GX_WORK_EXPERT] = t.expert ? t.expert : "";
    f[GX_WORK_STAFF] = t.staff ? t.staff : "";
    f[GX_WORK_RESOLVED_BY] = t.resolved_by ? t.resolved_by : "";
    f[GX_WORK_ESCALATED_BY_NAME] = t.escalated_by ? t.escalated_by : "";
    return gx_work_outcome(&who, f);
}

#define EXP GX_ROLE_EXPERT
#define STAFF GX_ROLE_STAFF

static void test_expert(void **state)
{
    (void)state;
    assert_string_equal(
        outcome(EXP, "e1",
                (task){.status = "assigned", .assignee = "e1", .role = "expert", .expert = "e1"}),
        "active");
    assert_string_equal(outcome(EXP, "e1",
                                (task){.status = "resolved",
                                       .assignee = "e1",
                                       .role = "expert",
                                       .expert = "e1",
                                       .resolved_by = "e1"}),
                        "resolved");
    /* released, then another expert resolved it */
    assert_string_equal(outcome(EXP, "e1",
                                (task){.status = "resolved",
                                       .assignee = "e2",
                                       .role = "expert",
                                       .expert = "e2",
                                       .resolved_by = "e2"}),
                        "released");
    /* released back to the queue: still waiting, or claimed by another */
    assert_string_equal(
        outcome(EXP, "e1", (task){.status = "queued", .assignee = "", .role = "", .expert = "e1"}),
        "released");
    assert_string_equal(
        outcome(EXP, "e1",
                (task){.status = "assigned", .assignee = "e2", .role = "expert", .expert = "e2"}),
        "released");
    /* escalated by them, then claimed and resolved by staff */
    assert_string_equal(outcome(EXP, "e1",
                                (task){.status = "escalated",
                                       .assignee = "",
                                       .role = "",
                                       .expert = "e1",
                                       .escalated_by = "Eve"}),
                        "escalated");
    assert_string_equal(outcome(EXP, "e1",
                                (task){.status = "resolved",
                                       .assignee = "s1",
                                       .role = "staff",
                                       .expert = "e1",
                                       .staff = "s1",
                                       .resolved_by = "s:acme:s1",
                                       .escalated_by = "Eve"}),
                        "escalated");
    /* taken over by staff: no escalation by name */
    assert_string_equal(outcome(EXP, "e1",
                                (task){.status = "escalated",
                                       .assignee = "s1",
                                       .role = "staff",
                                       .expert = "e1",
                                       .staff = "s1"}),
                        "released");
    /* the customer ended it while they held it, or after they let it go */
    assert_string_equal(
        outcome(EXP, "e1",
                (task){.status = "cancelled", .assignee = "e1", .role = "expert", .expert = "e1"}),
        "cancelled");
    assert_string_equal(
        outcome(EXP, "e1",
                (task){.status = "cancelled", .assignee = "", .role = "", .expert = "e1"}),
        "cancelled");
    assert_string_equal(
        outcome(EXP, "e1", (task){.status = "expired", .assignee = "", .role = "", .expert = "e1"}),
        "expired");
    assert_string_equal(
        outcome(EXP, "e1",
                (task){.status = "cancelled", .assignee = "e2", .role = "expert", .expert = "e2"}),
        "released");
}

static void test_staff(void **state)
{
    (void)state;
    assert_string_equal(outcome(STAFF, "s1",
                                (task){.status = "escalated",
                                       .assignee = "s1",
                                       .role = "staff",
                                       .expert = "e1",
                                       .staff = "s1",
                                       .escalated_by = "Eve"}),
                        "active");
    assert_string_equal(outcome(STAFF, "s1",
                                (task){.status = "resolved",
                                       .assignee = "s1",
                                       .role = "staff",
                                       .expert = "e1",
                                       .staff = "s1",
                                       .resolved_by = "s:acme:s1",
                                       .escalated_by = "Eve"}),
                        "resolved");
    /* a staff release leaves it escalated with nobody: never "escalated" for staff */
    assert_string_equal(outcome(STAFF, "s1",
                                (task){.status = "escalated",
                                       .assignee = "",
                                       .role = "",
                                       .expert = "e1",
                                       .staff = "s1",
                                       .escalated_by = "Eve"}),
                        "released");
    /* a staff id equal to an expert's bare id is not that expert */
    assert_string_equal(
        outcome(STAFF, "e1",
                (task){.status = "assigned", .assignee = "e1", .role = "expert", .expert = "e1"}),
        "released");
    assert_string_equal(outcome(EXP, "s1",
                                (task){.status = "escalated",
                                       .assignee = "s1",
                                       .role = "staff",
                                       .expert = "e9",
                                       .staff = "s1"}),
                        "released");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expert),
        cmocka_unit_test(test_staff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
