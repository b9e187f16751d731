/* Tasks: creation (WebSocket and REST), release, resolve, escalate, cancel, rate, expiry and
 * queue positions. */
#ifndef GIGCX_TASKS_H
#define GIGCX_TASKS_H

#include <stdbool.h>
#include <jansson.h>
#include "gigcx/session.h"

typedef struct {
    const char *brand, *topic, *language, *text, *customer_id, *customer_name;
    int priority;
    json_t *meta;         /* borrowed, may be NULL */
    const char *idem_key; /* Idempotency-Key (1..GX_IDEM_MAX visible ASCII), or NULL */
    const char *email;    /* the customer's e-mail (personal data), or NULL */
    bool offline; /* an offline message: nobody is chatting; waits config.offline_timeout_s */
} gx_task_spec;
#define GX_OFFLINE_TIMEOUT_DEFAULT_S (7 * 86400)
#define GX_IDEM_MAX 128
/* Called once with 0 and the task, or an error code (task NULL; msg_id is then the reason
 * for the caller, or "": GX_EBADREQ names the topic or language nobody of the brand covers
 * and the brand does not declare); replayed: an earlier request with the same
 * Idempotency-Key made it, and this one made nothing new. */
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
 * assignee, who went silent. why ("disconnected", "deactivated") is noted for the user's next
 * welcome (welcome.taken_back, hello.c); NULL notes nothing. Returns 0 or an error code; a task
 * no longer held is left. */
int gx_tasks_release_for(gx_server *srv, const char *task, const char *user, gx_role role,
                         const char *why);
void gx_tasks_positions(gx_server *srv);

#endif
