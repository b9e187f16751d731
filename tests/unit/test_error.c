/* Every error code maps to its contract string and an HTTP status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "gigcx/error.h"

static void test_table(void **state)
{
    (void)state;
    const struct {
        int err, http;
        const char *code;
    } want[] = {{GX_EBADREQ, 400, "bad_request"},  {GX_EUNAUTH, 401, "unauthenticated"},
                {GX_EFORBIDDEN, 403, "forbidden"}, {GX_ENOTFOUND, 404, "not_found"},
                {GX_ECONFLICT, 409, "conflict"},   {GX_ECAPACITY, 409, "capacity"},
                {GX_ERATE, 429, "rate_limited"},   {GX_EUNAVAIL, 503, "unavailable"},
                {GX_EINTERNAL, 500, "internal"}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_string_equal(gx_error_code(want[i].err), want[i].code);
        assert_int_equal(gx_error_http_status(want[i].err), want[i].http);
    }
    assert_string_equal(gx_error_code(-99), "internal");
    assert_int_equal(gx_error_http_status(-99), 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_table)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
