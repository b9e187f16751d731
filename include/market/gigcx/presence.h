/* Presence: available or away, capacity, and the heartbeat every node keeps in Redis. */
#ifndef GIGCX_PRESENCE_H
#define GIGCX_PRESENCE_H

#include <stdbool.h>
#include <jansson.h>
#include "gigcx/session.h"

/* presence.c */
void gx_presence_on_set(gx_session *s, json_t *msg, const char *ref);
/* Re-checks whether s should be listed for offers (available and below capacity). */
void gx_presence_refresh(gx_session *s);
/* s, the user's current session, closed: it no longer counts as online for its brands. */
void gx_presence_gone(gx_session *s);
/* Refreshes every local expert's heartbeat in Redis. */
void gx_presence_heartbeat(gx_server *srv);

#endif
