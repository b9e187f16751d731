/* Words as bits (server/tags.c): numbered once, in order; a list's mask has exactly its
 * words; past GX_TAGS_MAX words a list spills (its owner is searched as a string). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "gigcx/tags.h"

static void test_words_get_bits_once(void **state)
{
    (void)state;
    gx_tags t = {0};
    assert_int_equal(gx_tags_bit(&t, "en", false), -1); /* looking does not number */
    assert_int_equal(gx_tags_bit(&t, "en", true), 0);
    assert_int_equal(gx_tags_bit(&t, "fr", true), 1);
    assert_int_equal(gx_tags_bit(&t, "en", true), 0);
    assert_int_equal(gx_tags_bit(&t, "fr", false), 1);
    gx_tags_free(&t);
}

static void test_mask_has_exactly_the_words(void **state)
{
    (void)state;
    gx_tags t = {0};
    bool spill = false;
    uint64_t m = gx_tags_mask(&t, ",billing,returns,", &spill);
    assert_false(spill);
    assert_int_equal(m, 3);
    assert_int_equal(gx_tags_mask(&t, ",returns,", &spill), 2);
    assert_int_equal(gx_tags_mask(&t, ",", &spill), 0);
    assert_int_equal(gx_tags_mask(&t, ",bill,", &spill), 4); /* no substring matches */
    assert_int_equal(gx_tags_bit(&t, "billing", false), 0);
    assert_false(spill);
    gx_tags_free(&t);
}

static void test_full_table_spills(void **state)
{
    (void)state;
    gx_tags t = {0};
    char word[16];
    for (int i = 0; i < GX_TAGS_MAX; i++) {
        snprintf(word, sizeof(word), "w%d", i);
        assert_int_equal(gx_tags_bit(&t, word, true), i);
    }
    bool spill = false;
    uint64_t m = gx_tags_mask(&t, ",w63,new,", &spill);
    assert_true(spill);
    assert_true(m == UINT64_C(1) << 63);
    assert_int_equal(gx_tags_bit(&t, "new", true), -1);
    gx_tags_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_get_bits_once),
        cmocka_unit_test(test_mask_has_exactly_the_words),
        cmocka_unit_test(test_full_table_spills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
