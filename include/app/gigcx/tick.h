/* The housekeeping tick: once a second, the sweeps the modules registered in tick.c's table. */
#ifndef GIGCX_TICK_H
#define GIGCX_TICK_H

#include "gigcx/server.h"

/* Runs the sweeps due at this tick. Liveness runs even while Redis is down; the rest wait. */
void gx_tick(gx_server *srv);

#endif
