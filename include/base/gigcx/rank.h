/* Reputation: where an expert stands when a brand's offers go out in waves. Pure
 * arithmetic, so every node computes the same score from the same stored figures. */
#ifndef GIGCX_RANK_H
#define GIGCX_RANK_H

#include <stdint.h>

#define GX_RANK_RECENT 20 /* task outcomes remembered for the resolution rate */

/* The stored figures a score is made of. */
typedef struct {
    int64_t rating_sum, rating_n; /* customers' ratings, 1 to 5 each */
    const char *recent;           /* outcomes newest first: '1' resolved, '0' not; may be NULL */
    int64_t last_end_s;           /* when the expert's last task ended (unix s), 0 = never */
    const char *id;               /* the expert: breaks the remaining ties; may be NULL */
} gx_rep;

/* The reputation in [0, 1]: 70% the rating average pulled towards a prior of 4 stars by 5
 * phantom ratings, 30% the recent resolution rate pulled towards 80% by 2 phantom tasks,
 * so a newcomer starts in the middle rather than at the top or the bottom. */
double gx_rank_reputation(const gx_rep *r);

/* The wave score: higher goes first. Reputation in steps of 0.001; among equal steps
 * whoever has waited longest since their last task (to the second); among those, a fixed
 * hash of the id, so that a wave's cut-off splits a crowd of newcomers instead of taking
 * them all. An integer below 2^53, exact in a double, so it travels as text and compares
 * equal on every node. */
double gx_rank_score(const gx_rep *r);

#endif
