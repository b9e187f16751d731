/* Experts and staff whose presence went stale (their node died): their held tasks go back
 * to the queue after a grace period. */
#ifndef GIGCX_ABSENT_H
#define GIGCX_ABSENT_H

#include <stdbool.h>
#include <jansson.h>
#include "gigcx/session.h"

/* absent.c */
/* Any node, every few seconds: experts and staff whose presence went stale past the grace
 * period lose their held tasks to the queue (absent.c). */
void gx_absent_sweep(gx_server *srv);
/* The same at once for one user (an expert deactivated: no grace, its sessions are being
 * closed): its held tasks go back to the queue and its presence is forgotten. 0 or GX_E*. */
int gx_absent_release_now(gx_server *srv, const char *user);
/* Marks s present now (at welcome; the heartbeat keeps it so). */
void gx_absent_touch(gx_session *s);

#endif
