/* gx_jr_flat reads the flat frames it takes exactly as jansson does, and leaves everything
 * else to jansson: a table of shapes, then random mutations of real frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/jr.h"

/* Whenever the fast path answers, jansson agrees; returns whether it answered. */
static int same_as_jansson(const char *p, size_t len)
{
    json_t *fast = gx_jr_flat(p, len);
    if (!fast)
        return 0;
    json_t *slow = json_loadb(p, len, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(slow);
    assert_true(json_equal(fast, slow));
    assert_int_equal(json_object_size(fast), json_object_size(slow));
    json_decref(fast);
    json_decref(slow);
    return 1;
}

static int takes(const char *s)
{
    return same_as_jansson(s, strlen(s));
}

static void test_shapes(void **state)
{
    (void)state;
    assert_true(takes("{\"type\":\"chat.send\",\"task\":\"t1\",\"text\":\"hi [lt 1] there\","
                      "\"cid\":\"c1\",\"ref\":\"m\"}"));
    assert_true(takes(" { \"a\" : \"b\" ,\n\"c\":\"\" }\r\n"));
    assert_true(takes("{}"));
    assert_true(takes("{\"\":\"empty key\"}"));
    /* everything else is jansson's */
    const char *theirs[] = {
        "",
        "[]",
        "{\"a\":1}",
        "{\"a\":\"b\",}",
        "{\"a\":\"b\"} x",
        "{\"a\":\"b\"",
        "{\"a\" \"b\"}",
        "{\"a\":\"b\",\"a\":\"c\"}",
        "{\"a\":\"\\n\"}",
        "{\"a\":\"caf\xc3\xa9\"}",
        "{\"a\":\"\xff\"}",
        "{\"a\":{\"b\":\"c\"}}",
        "{\"a\":null}",
        "{a:\"b\"}",
        "\"a\"",
        "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":\"long key\"}",
    };
    for (size_t i = 0; i < sizeof(theirs) / sizeof(theirs[0]); i++)
        assert_false(takes(theirs[i]));
    /* a NUL inside is not a short frame */
    assert_false(same_as_jansson("{\"a\":\"b\0\"}", 10));
}

/* Random byte changes, insertions and cuts of real frames: the fast path never disagrees. */
static void test_mutations(void **state)
{
    (void)state;
    static const char *const frames[] = {
        ("{\"type\":\"chat.send\",\"task\":\"T9x\",\"text\":\"[lt 12] expert message 3\","
         "\"cid\":\"e3\",\"ref\":\"m\"}"),
        "{\"type\":\"task.claim\",\"task\":\"abc\"}",
        "{ \"type\" : \"chat.typing\" , \"task\" : \"q\" }",
    };
    static const char alphabet[] = "{}[]:,\"\\ \t\nab01-.\x7f\xc3\xa9\x01";
    srand(7);
    int taken = 0;
    for (int i = 0; i < 200000; i++) {
        char buf[160];
        const char *f = frames[i % 3];
        size_t n = strlen(f);
        memcpy(buf, f, n);
        for (int k = rand() % 3; k >= 0; k--) {
            size_t at = (size_t)rand() % n;
            char c = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
            int how = rand() % 3;
            if (how == 0) {
                buf[at] = c;
            } else if (how == 1 && n + 1 < sizeof(buf)) {
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = c;
                n++;
            } else if (n > 1) {
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
            }
        }
        taken += same_as_jansson(buf, n);
    }
    assert_true(taken > 1000); /* the mutations that keep the shape are read fast */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
