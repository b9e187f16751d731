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

/* The watch set beside a rank set: waiting tasks by their current wave's cut-off there. */
void gx_ranking_watch_key(char *buf, size_t cap, const char *brand, int tier, const char *topic,
                          const char *lang);

/* The brand's owner hash: who wrote each expert's entries last, and the version. */
void gx_ranking_owner_key(char *buf, size_t cap, const char *brand);

/* True when s's entries in brand's rankings last changed (s->ranked says whether in or
 * out) after version ver (wave_cut.lua), or Redis has not said when yet. */
bool gx_ranking_moved_after(const gx_session *s, const char *brand, long long ver);

/* Offers an expert may sit on, per task they still have room for, and still get new ones
 * (offer.c passes them over, pull.c stops): so that a burst of tasks spreads over many
 * experts instead of piling onto the few best ones, who can claim only so many. */
#define GX_PENDING_PER_SLOT 2

/* s's wave score: as ranked, or as it would be (an away expert). */
double gx_ranking_score(const gx_session *s);
/* True when s sits on as many offers as it may and still be ranked. */
bool gx_ranking_saturated(const gx_session *s);
/* Brings s's place in its brands' rankings in line with its state: in, with its current
 * score, while listed for offers (available with a free slot); out otherwise. No-op for staff and
 * customers, and cheap when nothing changed. */
void gx_ranking_sync(gx_session *s);
void gx_ranking_take(gx_session *s);
/* Sends the ranking changes sync and take made during this loop iteration to Redis. Called
 * after the iteration's frames are written: bookkeeping never holds up an offer. */
void gx_ranking_flush(gx_server *srv);

/* An expert's task ended (resolved, or not: released, escalated, went silent): records it
 * and, when the expert is connected here, refreshes its score. */
void gx_ranking_outcome(gx_server *srv, const char *expert, bool resolved);

/* An expert whose presence went stale (its node died): takes it out of every ranking. */
void gx_ranking_forget(gx_server *srv, const char *expert);

#endif
