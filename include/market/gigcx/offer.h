/* What the offer modules share (offer.c, backlog.c, pull.c): reading a task's offer
 * fields, building its frame, and handing an offer to a session. */
#ifndef GIGCX_OFFER_H
#define GIGCX_OFFER_H

#include <jansson.h>
#include "gigcx/redis.h"
#include "gigcx/waves.h"
#include "gigcx/session.h"
#include "gigcx/waiting.h"

/* Reads the task and publishes its offer: the first wave to experts, or to every staff
 * member when escalated. */
void gx_offer_publish(gx_server *srv, const char *task);
/* A task's offer, as strings (as Redis keeps them). */
typedef struct {
    const char *brand, *topic, *lang, *priority, *preview, *pay, *created_at, *expires_at, *tier,
        *wave_k, *wave_t;
    /* NULL or "" when absent: an escalation's time, reason and expert (staff offers), and
     * how a task came back to the queue ("released", "requeued") */
    const char *escalated_at, *escalation_reason, *escalated_by, *handover;
    const char *offline; /* "1" for an offline message (offline.h), else NULL or "" */
} gx_offer_spec;
/* The first wave of a task just created, from what its creator knows: no read of the task. */
void gx_offer_first_wave(gx_server *srv, const char *task, const gx_offer_spec *sp);
/* The next wave of a task still waiting (waves.c calls it when one is due). */
void gx_offer_next_wave(gx_server *srv, const char *task);
/* Publishes one wave, if the task still waits: to eligible experts scoring at least thr
 * ("-" = all); cb gets wave_pub's reply (1: published). Returns 0 or an error code. */
int gx_offer_announce(gx_server *srv, const gx_wave *w, const char *thr, gx_redis_cb cb,
                      void *priv);
/* Handlers for offer-channel events. */
void gx_offer_on_event(gx_server *srv, const char *payload, size_t len);

/* The fields gx_offer_read asks for, in this order. */
enum {
    O_BRAND,
    O_TOPIC,
    O_LANG,
    O_PRIO,
    O_PREVIEW,
    O_PAY,
    O_CREATED,
    O_EXPIRES,
    O_STATUS,
    O_TIER,
    O_ASSIGNEE,
    O_WAVE,
    O_WAVE_MIN,
    O_WAVE_K,
    O_WAVE_T,
    O_ESC_AT,
    O_ESC_REASON,
    O_ESC_BY,
    O_HANDOVER,
    O_OFFLINE,
    O_N
};
extern const char *const gx_offer_fields[O_N];

/* The 'O' event's header fields: O, brand, language, topic, tier, task, cut-off, ranking
 * version, priority, created, expires, wave size, wave number (gx_offer_announce). */

/* HMGETs the task's offer fields; cb gets the reply. 0 or an error code. */
int gx_offer_read(gx_server *srv, const char *task, gx_redis_cb cb, void *priv);
/* The spec of a task from gx_offer_read's reply (strings borrowed from r). */
gx_offer_spec gx_offer_spec_of(const redisReply *r);
/* The offer frame for a task (new reference); wave < 0 for none. */
json_t *gx_offer_json(const char *task, const gx_offer_spec *sp, int wave);

/* What an offer is ordered and declined by, for the list of offers its holder keeps. */
typedef struct {
    int prio;
    long long created, expires;
} gx_offer_key;

/* Sends s the offer b of t's task and makes s one of its holders. */
void gx_offer_give(gx_session *s, gx_tlocal *t, gx_buf *b, const gx_offer_key *k);
/* The same from this node's copy of the queue. */
void gx_offer_hand(gx_session *s, gx_waiting *w);

/* pull.c: s got room (a task ended, a claim lost, an offer withdrawn, capacity raised,
 * available again): before the loop waits, s is offered the waiting tasks whose wave
 * reached it, priority first, up to the spreading limit. Cheap when s has no room. */
void gx_pull_room(gx_session *s);
/* Sends s again the offers it still holds (going available: a client may have put them
 * away; offers are idempotent per task). */
void gx_pull_resend_held(gx_session *s);
/* Runs the pulls gx_pull_room asked for (main.c, once per loop iteration). */
void gx_pull_run(gx_server *srv);
/* The subscriber was away: the copies of the queue may miss withdrawals; read them again. */
void gx_pull_reseed(gx_server *srv);
/* True when every brand of s has its queue copied here (seeding those that have not). */
bool gx_pull_seeded(gx_session *s);

/* backlog.c: reads the first max tasks of the given queues (merged by score) and their
 * offer fields; done gets them in queue order, a state NULL for a task withdrawn since
 * (or unreadable); failed when Redis did not answer. */
typedef void (*gx_backlog_qread_done)(gx_server *srv, void *priv, bool failed, size_t n,
                                      const char *const *tasks, redisReply *const *states);
void gx_backlog_qread(gx_server *srv, const char *const *queues, int nqueues, int max,
                      gx_backlog_qread_done done, void *priv);
/* Staff: sends s up to 50 escalated, unclaimed tasks of its brands. */
void gx_backlog_staff(gx_session *s);

#endif
