/* Queue depths per brand for /metrics (depth.c): read from Redis by the housekeeping tick
 * and kept as text, so a scrape never waits on Redis. */
#ifndef GIGCX_DEPTH_H
#define GIGCX_DEPTH_H

#include "gigcx/server.h"

/* Starts a read of every brand's queue sizes, unless one is in flight. */
void gx_depth_refresh(gx_server *srv);
/* The gauges as of the last read that completed ("" before the first). */
const char *gx_depth_text(const gx_server *srv);
void gx_depth_free(gx_server *srv);

#endif
