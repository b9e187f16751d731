/* The hand-written JSON writer (server/jw.c) gives byte for byte what jansson's compact
 * dump gives, for plain text, every control character, quotes, backslashes and UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "gigcx/jw.h"

static void same_as_jansson(const char *val, long long n)
{
    json_t *o = json_pack("{s:s, s:s, s:I}", "type", "chat.ack", "cid", val, "ts", (json_int_t)n);
    assert_non_null(o);
    char *want = json_dumps(o, JSON_COMPACT);
    gx_jw w;
    gx_jw_begin(&w, 8); /* small, so it has to grow */
    gx_jw_str(&w, "type", "chat.ack");
    gx_jw_str(&w, "cid", val);
    gx_jw_int(&w, "ts", n);
    gx_buf *b = gx_jw_end(&w);
    assert_non_null(b);
    assert_string_equal(gx_buf_text(b), want);
    assert_int_equal(b->len, strlen(want));
    gx_buf_unref(b);
    free(want);
    json_decref(o);
}

static void test_plain_and_empty(void **state)
{
    (void)state;
    same_as_jansson("hello", 1700000000123LL);
    same_as_jansson("", 0);
    same_as_jansson("/slash and \x7f delete", -42);
    same_as_jansson("x", 9);
    same_as_jansson("x", -1);
    same_as_jansson("x", LLONG_MAX);
    same_as_jansson("x", LLONG_MIN);
}

static void test_escapes(void **state)
{
    (void)state;
    same_as_jansson("quote \" backslash \\ done", 1);
    char all[40];
    for (int c = 1; c < 32; c++) {
        all[c - 1] = (char)c;
        char one[4] = {'a', (char)c, 'b', 0};
        same_as_jansson(one, c);
    }
    all[31] = '\0';
    same_as_jansson(all, 31);
}

static void test_utf8_as_is(void **state)
{
    (void)state;
    same_as_jansson("caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xe2\x80\xa8", 7);
}

static void test_long_value_grows(void **state)
{
    (void)state;
    char *big = malloc(5001);
    for (int i = 0; i < 5000; i++)
        big[i] = i % 97 == 0 ? '"' : (char)('a' + i % 26);
    big[5000] = '\0';
    same_as_jansson(big, 5);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_empty),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_utf8_as_is),
        cmocka_unit_test(test_long_value_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
