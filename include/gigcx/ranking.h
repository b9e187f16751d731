/* The brands' wave rankings in Redis: for each brand, required tier, topic and language, a
 * sorted set of the experts ready for offers (available, below capacity) by wave score
 * (rank.h). A wave's cut-off is read from it; each node then offers to its own experts at
 * or above the cut-off. The node that holds an expert's session keeps its entries. */
#ifndef GIGCX_RANKING_H
#define GIGCX_RANKING_H

#include <stdbool.h>
#include <stddef.h>
#include "gigcx/session.h"

/* The rank set of experts eligible for a task of this brand, tier, topic and language. */
void gx_ranking_key(char *buf, size_t cap, const char *brand, int tier, const char *topic,
                    const char *lang);

/* Puts an expert's session in its brands' rankings with its current score (again, when the
 * score changed), or takes it out. No-ops for staff and customers. */
void gx_ranking_put(gx_session *s);
void gx_ranking_take(gx_session *s);

/* An expert's task ended (resolved, or not: released, escalated, went silent): records it
 * and, when the expert is connected here, refreshes its score. */
void gx_ranking_outcome(gx_server *srv, const char *expert, bool resolved);

/* An expert whose presence went stale (its node died): takes it out of every ranking. */
void gx_ranking_forget(gx_server *srv, const char *expert);

#endif
