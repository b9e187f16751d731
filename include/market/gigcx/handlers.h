/* The WebSocket request handlers other than chat, one module each. Every handler answers
 * the request itself (a reply or an error carrying ref); none closes the socket. */
#ifndef GIGCX_HANDLERS_H
#define GIGCX_HANDLERS_H

#include <jansson.h>
#include "gigcx/session.h"
#include "gigcx/waves.h"

/* hello.c: the first frame; token check, welcome, resume. */
void gx_hello_on_request(gx_session *s, json_t *msg, const char *ref);
/* A published session number for user (another hello somewhere). */
void gx_hello_on_session_event(gx_server *srv, const char *user, int64_t n);

/* presence.c */
void gx_presence_on_set(gx_session *s, json_t *msg, const char *ref);
/* Re-checks whether s should be listed for offers (available and below capacity). */
void gx_presence_refresh(gx_session *s);
/* Refreshes every local expert's heartbeat in Redis. */
void gx_presence_heartbeat(gx_server *srv);

/* offer.c */
/* Reads the task and publishes its offer: the first wave to experts, or to every staff
 * member when escalated. */
void gx_offer_publish(gx_server *srv, const char *task);
/* A task's offer, as strings (as Redis keeps them). */
typedef struct {
    const char *brand, *topic, *lang, *priority, *preview, *pay, *created_at, *expires_at, *tier,
        *wave_k, *wave_t;
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

/* queue_info.c: queue.get (why an expert's console is quiet) */
void gx_queue_info_on_get(gx_session *s, json_t *msg, const char *ref);

/* claim.c */
void gx_claim_on_request(gx_session *s, json_t *msg, const char *ref);
/* Frees the claims a task's entry still holds back (at exit). */
void gx_claim_free_all(gx_tlocal *t);

/* tasks.c: open, release, resolve, escalate, cancel, rate, expiry sweep. */
typedef struct {
    const char *brand, *topic, *language, *text, *customer_id, *customer_name;
    int priority;
    json_t *meta;         /* borrowed, may be NULL */
    const char *idem_key; /* Idempotency-Key (1..GX_IDEM_MAX visible ASCII), or NULL */
} gx_task_spec;
#define GX_IDEM_MAX 128
/* Called once with 0 and the task, or an error code (task NULL); replayed: an earlier
 * request with the same Idempotency-Key made it, and this one made nothing new. */
typedef void (*gx_task_created_cb)(int rc, const char *task, const char *msg_id, int position,
                                   bool replayed, void *priv);
/* Creates a task for spec's brand, queues it and publishes its offer. Returns 0 (cb will be
 * called) or an error code (cb will not). */
int gx_tasks_create(gx_server *srv, const gx_task_spec *spec, gx_task_created_cb cb, void *priv);
void gx_tasks_on_open(gx_session *s, json_t *msg, const char *ref);
void gx_tasks_on_transition(gx_session *s, json_t *msg, const char *ref, const char *action);
void gx_tasks_on_rate(gx_session *s, json_t *msg, const char *ref);
void gx_tasks_expire_sweep(gx_server *srv);
/* Puts task back in its queue (or, for staff, the escalated queue) on behalf of user, its
 * assignee, who went silent. Returns 0 or an error code; a task no longer held is left. */
int gx_tasks_release_for(gx_server *srv, const char *task, const char *user, gx_role role);
/* Any node, every few seconds: experts and staff whose presence went stale past the grace
 * period lose their held tasks to the queue (absent.c). */
void gx_absent_sweep(gx_server *srv);
/* Marks s present now (at welcome; the heartbeat keeps it so). */
void gx_absent_touch(gx_session *s);
void gx_tasks_positions(gx_server *srv);

#endif
