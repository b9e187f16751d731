/* Recording webhook events in the durable outbox in Redis (keys.h), from which the hooks layer
 * (webhook.h) delivers them. Recording never blocks and never fails the caller's request. */
#ifndef GIGCX_OUTBOX_H
#define GIGCX_OUTBOX_H

#include <jansson.h>
#include "gigcx/server.h"

/* Records event type ("task.created", ...) of task for brand in the outbox, when the brand has
 * a webhook_url. data (stolen, may be NULL) holds fields the caller knows for certain; the rest
 * of the event's data is read from the task. type NULL records nothing. Never fails: an event
 * that cannot be recorded (Redis gone at that moment) is logged and counted as lost. Once
 * recorded, srv->outbox_kick (set by the delivery module) is told. */
void gx_outbox_emit(gx_server *srv, const char *brand, const char *type, const char *task,
                    json_t *data);
/* The event type a transition action causes ("resolve" -> "task.resolved"), NULL for none. */
const char *gx_outbox_type_of(const char *action);

#endif
