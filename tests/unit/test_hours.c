/* Business hours (hours.h): what a schedule may hold, and open or closed at given instants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/hours.h"

static bool valid(const char *text)
{
    char why[256];
    json_t *h = json_loads(text, 0, NULL);
    bool ok = gx_hours_valid(h, why, sizeof(why));
    json_decref(h);
    return ok;
}

static void test_valid(void **state)
{
    (void)state;
    assert_true(valid("{\"utc_offset\":\"+01:00\",\"mon\":[[\"09:00\",\"17:30\"]]}"));
    assert_true(valid("{\"utc_offset\":\"-14:00\",\"sun\":[[\"00:00\",\"24:00\"]],\"sat\":[]}"));
    assert_false(valid("{\"mon\":[]}"));                           /* no offset */
    assert_false(valid("{\"utc_offset\":\"+14:30\"}"));            /* past 14:00 */
    assert_false(valid("{\"utc_offset\":\"+1:00\"}"));             /* not +HH:MM */
    assert_false(valid("{\"utc_offset\":\"+01:00\",\"Mon\":[]}")); /* day names */
    assert_false(valid("{\"utc_offset\":\"+01:00\",\"mon\":[[\"10:00\",\"10:00\"]]}"));
    assert_false(valid("{\"utc_offset\":\"+01:00\",\"mon\":[[\"10:00\",\"24:01\"]]}"));
    assert_false(valid("{\"utc_offset\":\"+01:00\",\"mon\":[[\"10:60\",\"11:00\"]]}"));
    assert_false(valid("{\"utc_offset\":\"+01:00\",\"mon\":[[\"10:00\",\"11:00\",\"12:00\"]]}"));
    assert_false(valid("{\"utc_offset\":\"+01:00\",\"mon\":[[1,2]]}"));
    assert_false(valid("[]"));
    char nine[600] = "{\"utc_offset\":\"+00:00\",\"mon\":[";
    for (int i = 0; i < 9; i++)
        snprintf(nine + strlen(nine), sizeof(nine) - strlen(nine), "%s[\"0%d:00\",\"0%d:30\"]",
                 i ? "," : "", i, i);
    strcat(nine, "]}");
    assert_false(valid(nine)); /* at most 8 ranges a day */
}

static void test_open(void **state)
{
    (void)state;
    /* 2026-12-07 is a Monday: 08:30 UTC is 09:30 at +01:00 */
    json_t *h = json_loads("{\"utc_offset\":\"+01:00\",\"mon\":[[\"09:00\",\"17:30\"]]}", 0, NULL);
    const int64_t mon_0830_utc = 1796632200000LL;
    assert_true(gx_hours_open(h, mon_0830_utc));
    assert_false(gx_hours_open(h, mon_0830_utc - 3600000));            /* 08:30 local */
    assert_true(gx_hours_open(h, mon_0830_utc + 8 * 3600000 - 60000)); /* 17:29 local */
    assert_false(gx_hours_open(h, mon_0830_utc + 8 * 3600000));        /* 17:30: closed */
    assert_false(gx_hours_open(h, mon_0830_utc + 86400000));           /* Tuesday */
    json_decref(h);
    /* a negative offset moves the day back: Sunday 23:30 at -01:00 is Monday 00:30 UTC */
    h = json_loads("{\"utc_offset\":\"-01:00\",\"sun\":[[\"23:00\",\"24:00\"]]}", 0, NULL);
    assert_true(gx_hours_open(h, mon_0830_utc - 8 * 3600000));
    json_decref(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_valid), cmocka_unit_test(test_open)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
