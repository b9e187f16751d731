/* Health (health.c): /livez (the process and its loop answer) and /readyz, which a balancer
 * checks before sending a node work: Redis took a write in the last few seconds, the
 * subscriber is up, the node is not shutting down, and it has not run out of descriptors
 * lately. /healthz answers as /readyz (it did before /readyz existed). */
#ifndef GIGCX_HEALTH_H
#define GIGCX_HEALTH_H

#include <stdbool.h>
#include "gigcx/server.h"

/* The housekeeping tick's probe: one small write to Redis, timed. */
void gx_health_probe(gx_server *srv);
/* NULL when ready, else why not (static text). */
const char *gx_health_unready(const gx_server *srv);

#endif
