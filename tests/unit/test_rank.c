/* The wave score: the prior, the rating and resolution parts, and fairness among equals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "gigcx/rank.h"

static void newcomer_sits_at_the_prior(void **state)
{
    (void)state;
    gx_rep r = {0};
    /* 0.7 * (4-1)/4 + 0.3 * 0.8 */
    assert_true(fabs(gx_rank_reputation(&r) - 0.765) < 1e-9);
}

static void one_bad_rating_does_not_sink_a_newcomer(void **state)
{
    (void)state;
    gx_rep one = {.rating_sum = 1, .rating_n = 1, .recent = "1"};
    gx_rep many = {.rating_sum = 20, .rating_n = 20, .recent = "11111111111111111111"};
    gx_rep fresh = {0};
    assert_true(gx_rank_reputation(&one) > gx_rank_reputation(&many));
    assert_true(gx_rank_reputation(&one) < gx_rank_reputation(&fresh));
}

static void ratings_order_experts(void **state)
{
    (void)state;
    double last = -1;
    for (int stars = 1; stars <= 5; stars++) {
        gx_rep r = {.rating_sum = stars * 10, .rating_n = 10, .recent = "1111111111"};
        double s = gx_rank_score(&r);
        assert_true(s > last);
        last = s;
    }
}

static void resolution_rate_counts(void **state)
{
    (void)state;
    gx_rep good = {.rating_sum = 40, .rating_n = 10, .recent = "1111111111"};
    gx_rep poor = {.rating_sum = 40, .rating_n = 10, .recent = "0000011111"};
    assert_true(gx_rank_score(&good) > gx_rank_score(&poor));
    /* only the newest 20 outcomes count */
    gx_rep old_bad = {.rating_sum = 40, .rating_n = 10, .recent = "111111111111111111110000000000"};
    gx_rep all_good = {.rating_sum = 40, .rating_n = 10, .recent = "11111111111111111111"};
    assert_true(gx_rank_score(&old_bad) == gx_rank_score(&all_good));
}

static void among_equals_the_longest_idle_first(void **state)
{
    (void)state;
    gx_rep a = {.rating_sum = 45, .rating_n = 10, .recent = "11111", .last_end_s = 1795000000};
    gx_rep b = a, never = a;
    b.last_end_s = 1795000100; /* finished a task later: waited less */
    never.last_end_s = 0;
    assert_true(gx_rank_score(&a) > gx_rank_score(&b));
    assert_true(gx_rank_score(&never) > gx_rank_score(&a));
    /* but idle time never outweighs a better reputation */
    gx_rep better = {.rating_sum = 50, .rating_n = 10, .recent = "11111", .last_end_s = 1795000100};
    assert_true(gx_rank_score(&better) > gx_rank_score(&never));
}

static void scores_are_exact_integers(void **state)
{
    (void)state;
    gx_rep r = {.rating_sum = 50, .rating_n = 3, .recent = "1", .last_end_s = 1795001234};
    double s = gx_rank_score(&r);
    assert_true(s < 9007199254740992.0); /* 2^53 */
    assert_true(s == floor(s));
    char text[32];
    snprintf(text, sizeof(text), "%.0f", s);
    assert_true(strtod(text, NULL) == s);
}

static void ids_split_a_crowd_of_equals(void **state)
{
    (void)state;
    /* 1000 newcomers: a wave's cut-off must fall between them, not take them all */
    double scores[1000];
    int distinct = 0;
    for (int i = 0; i < 1000; i++) {
        char id[16];
        snprintf(id, sizeof(id), "e%d", i);
        gx_rep r = {.id = id};
        scores[i] = gx_rank_score(&r);
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = scores[j] == scores[i];
        distinct += !seen;
    }
    assert_true(distinct > 550); /* ~632 expected for 1000 draws of 1000 values */
    gx_rep a = {.id = "e7"}, b = {.id = "e7"};
    assert_true(gx_rank_score(&a) == gx_rank_score(&b)); /* the same on every node */
    /* and the tie-break never outweighs a second of idle time */
    gx_rep early = {.last_end_s = 1795000000, .id = "x"}, late = early;
    late.last_end_s++;
    late.id = "y";
    assert_true(gx_rank_score(&early) > gx_rank_score(&late));
}

static void hostile_figures_stay_in_range(void **state)
{
    (void)state;
    gx_rep r = {.rating_sum = -500, .rating_n = 1, .recent = "xx", .last_end_s = INT64_MAX};
    double rep = gx_rank_reputation(&r);
    assert_true(rep >= 0 && rep <= 1);
    assert_true(gx_rank_score(&r) >= 0);
    gx_rep neg = {.rating_sum = 5, .rating_n = -3, .last_end_s = -7};
    assert_true(gx_rank_reputation(&neg) >= 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(newcomer_sits_at_the_prior),
        cmocka_unit_test(one_bad_rating_does_not_sink_a_newcomer),
        cmocka_unit_test(ratings_order_experts),
        cmocka_unit_test(resolution_rate_counts),
        cmocka_unit_test(among_equals_the_longest_idle_first),
        cmocka_unit_test(scores_are_exact_integers),
        cmocka_unit_test(ids_split_a_crowd_of_equals),
        cmocka_unit_test(hostile_figures_stay_in_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
