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
/* Marks s present now (at welcome; the heartbeat keeps it so). */
void gx_absent_touch(gx_session *s);

#endif
