/* A brand's coverage (GX_KEY_SKILLS, GX_KEY_LANGS: the topics and languages some expert of
 * the brand can take; task creation refuses the others unless the brand declares them).
 * Putting an expert adds to it at once; what no active expert covers any more leaves when
 * coverage.lua rebuilds it from the experts: a second after experts change on this node,
 * and once a minute in any case (another node's change, a write that was lost). */
#ifndef GIGCX_COVERAGE_H
#define GIGCX_COVERAGE_H

#include "gigcx/server.h"

#define GX_COVERAGE_EVERY 60 /* ticks between rebuilds when nothing changed here */

/* Experts changed (put, patched, deleted): rebuild at the next tick. */
void gx_coverage_touch(gx_server *srv);
/* The housekeeping tick's sweep (every tick). */
void gx_coverage_sweep(gx_server *srv);

#endif
