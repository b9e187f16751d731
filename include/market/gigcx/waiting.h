/* The waiting tasks, as each node learns them from the offer channel (waiting.c): every
 * wave of a queued task is published to every node, and its withdrawal too, so a node can
 * keep the brand's queue in memory and offer an expert who gets room the tasks their wave
 * has reached at once, without asking Redis (pull.c). Each brand's list is kept in queue
 * order: higher priority first, then older. */
#ifndef GIGCX_WAITING_H
#define GIGCX_WAITING_H

#include <stdbool.h>
#include "gigcx/buf.h"
#include "gigcx/server.h"

struct gx_session;

/* At most this many tasks are kept, over all brands; past it a task reaches experts only
 * through its waves and the backlog an expert reads when going available. */
#define GX_WAITING_MAX 50000

typedef struct gx_waiting {
    char task[65], brand[65], lang[65], topic[65];
    int tier, prio, wave;
    long size;         /* the task's wave size (K), 0 = everyone at once */
    long long created; /* ms: with prio, the queue order */
    long long expires; /* ms: changes when the task is requeued (declines end then) */
    double min;        /* the current wave's cut-off score; < 0: every eligible expert */
    int lang_bit, topic_bit, tags_n; /* tags.h bits, looked up again when tags grew */
    gx_buf *body;                    /* the offer frame of the current wave */
    gx_buf *masked;                  /* its tier-1 variant, made on first need */
    bool tried;
} gx_waiting;

/* A task's routing attributes, for gx_waiting_put (strings borrowed). */
typedef struct {
    const char *task, *brand, *lang, *topic;
    int tier, prio, wave;
    long size;
    long long created, expires;
    double min;
} gx_waiting_spec;

/* Adds or updates a waiting task (takes a reference to body). NULL when full or no memory. */
gx_waiting *gx_waiting_put(gx_server *srv, const gx_waiting_spec *sp, gx_buf *body);
gx_waiting *gx_waiting_get(gx_server *srv, const char *task);
/* True when a comes before b in the queue. */
bool gx_waiting_before(const gx_waiting *a, const gx_waiting *b);
/* The task no longer waits (claimed, cancelled, expired...). */
void gx_waiting_drop(gx_server *srv, const char *task);
/* Forgets every task of every brand (the subscriber missed events: seed again). */
void gx_waiting_clear(gx_server *srv);
/* True when s speaks the task's language, has its skill and tier. */
bool gx_waiting_fits(gx_server *srv, gx_waiting *w, const struct gx_session *s);
/* True when the task's current wave has reached s's score. */
static inline bool gx_waiting_reaches(const gx_waiting *w, double rank)
{
    return w->min < 0 || rank >= w->min;
}
/* Frees a brand's list (at exit). */
void gx_waiting_free_brand(gx_blocal *b);

#endif
