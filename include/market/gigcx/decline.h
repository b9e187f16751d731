/* offer.decline (decline.c): an expert says no to an offer. The task is not offered to them
 * again until it is requeued (its expires_at changes then), across reconnects: the
 * session remembers its latest declines, and Redis keeps them for the next session. */
#ifndef GIGCX_DECLINE_H
#define GIGCX_DECLINE_H

#include <jansson.h>
#include "gigcx/session.h"

void gx_decline_on_request(gx_session *s, json_t *msg, const char *ref);
/* True when s declined this task (at this expiry, i.e. since it was last queued). */
bool gx_decline_has(const gx_session *s, const char *task, long long expires);
/* An expert released task (now waiting again until expires): it goes to the others first,
 * and comes back to s only after GX_RELEASE_HOLD_MS (or once requeued). Local to the
 * session: another session of the expert may be offered it at once. */
#define GX_RELEASE_HOLD_MS 15000
void gx_decline_hold_back(gx_session *s, const char *task, long long expires);
/* Staff reassigned a task s held (task.reassign): not offered to s again until requeued.
 * The new expiry is in Redis only, so it is held back whatever the expiry at once, and
 * the declines are read again to know it. */
void gx_decline_reassigned(gx_session *s, const char *task);
/* Reads the expert's declines kept in Redis; pulls wait until they are in. */
void gx_decline_load(gx_session *s);

#endif
