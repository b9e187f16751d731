/* Message validation: every hostile shape of a field gets a clear reason, never a pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/validate.h"

static json_t *J(const char *text)
{
    json_t *j = json_loads(text, JSON_ALLOW_NUL, NULL);
    assert_non_null(j);
    return j;
}

static void test_ids(void **state)
{
    (void)state;
    char why[160];
    const char *v;
    const char *good[] = {"{\"task\":\"a\"}", "{\"task\":\"A-z_09\"}"};
    for (size_t i = 0; i < 2; i++) {
        json_t *j = J(good[i]);
        assert_true(gx_validate_id(j, "task", &v, why, sizeof(why)));
        json_decref(j);
    }
    const char *bad[] = {
        "{}",
        "{\"task\":5}",
        "{\"task\":null}",
        "{\"task\":\"\"}",
        "{\"task\":\"a/b\"}",
        "{\"task\":\"a b\"}",
        "{\"task\":[\"a\"]}",
        "{\"task\":\"\\u00e9\"}",
        "{\"task\":\"a\\u0000b\"}",
        "{\"task\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = J(bad[i]);
        assert_false(gx_validate_id(j, "task", &v, why, sizeof(why)));
        assert_non_null(strstr(why, "'task'"));
        json_decref(j);
    }
}

static void test_strings(void **state)
{
    (void)state;
    char why[160];
    const char *v;
    json_t *j = J("{\"text\":\"h\\u00e9llo\",\"empty\":\"\",\"nul\":\"a\\u0000b\",\"num\":1}");
    assert_true(
        gx_validate_str(j, "text", 1, 5, false, &v, why, sizeof(why))); /* 5 chars, 6 bytes */
    assert_false(gx_validate_str(j, "text", 1, 4, false, &v, why, sizeof(why)));
    assert_false(gx_validate_str(j, "empty", 1, 4000, false, &v, why, sizeof(why)));
    assert_false(gx_validate_str(j, "nul", 0, 10, false, &v, why, sizeof(why)));
    assert_false(gx_validate_str(j, "num", 0, 10, true, &v, why, sizeof(why)));
    assert_true(gx_validate_str(j, "absent", 1, 10, true, &v, why, sizeof(why)));
    assert_null(v);
    assert_false(gx_validate_str(j, "absent", 1, 10, false, &v, why, sizeof(why)));
    json_decref(j);
}

static void test_ints(void **state)
{
    (void)state;
    char why[160];
    long v;
    json_t *j = J("{\"a\":1,\"b\":0,\"c\":11,\"d\":1.5,\"e\":\"3\",\"f\":true}");
    assert_true(gx_validate_int(j, "a", 1, 10, 5, true, &v, why, sizeof(why)));
    assert_int_equal(v, 1);
    const char *bad[] = {"b", "c", "d", "e", "f"};
    for (size_t i = 0; i < 5; i++)
        assert_false(gx_validate_int(j, bad[i], 1, 10, 5, true, &v, why, sizeof(why)));
    assert_true(gx_validate_int(j, "z", 1, 10, 5, true, &v, why, sizeof(why)));
    assert_int_equal(v, 5);
    assert_false(gx_validate_int(j, "z", 1, 10, 5, false, &v, why, sizeof(why)));
    json_decref(j);
}

static void test_frames(void **state)
{
    (void)state;
    char why[160];
    const char *type, *ref;
    json_t *j = J("{\"type\":\"chat.send\",\"ref\":\"r1\"}");
    assert_true(gx_validate_frame(j, &type, &ref, why, sizeof(why)));
    assert_string_equal(type, "chat.send");
    assert_string_equal(ref, "r1");
    json_decref(j);
    const char *bad[] = {
        "[]",
        "\"x\"",
        "{}",
        "{\"type\":5}",
        "{\"type\":\"x\",\"ref\":5}",
        ("{\"type\":\"x\",\"ref\":"
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}")};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        assert_false(gx_validate_frame(j, &type, &ref, why, sizeof(why)));
        json_decref(j);
    }
    j = J("{\"ref\":\"keep\"}"); /* no type: the ref is still echoed */
    assert_false(gx_validate_frame(j, &type, &ref, why, sizeof(why)));
    assert_string_equal(ref, "keep");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ids), cmocka_unit_test(test_strings),
                                       cmocka_unit_test(test_ints), cmocka_unit_test(test_frames)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
