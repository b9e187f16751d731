/* Retention of finished tasks (--task-retention): a task resolved, cancelled or expired is
 * deleted with its chat once that long has passed since it ended (or was rated), so Redis
 * holds what is open plus a window of history, not every task ever. docs/redis-keys.md. */
#ifndef GIGCX_RETENTION_H
#define GIGCX_RETENTION_H

#include "gigcx/server.h"

#define GX_PURGE_BATCH 200 /* tasks one call deletes at most */
#define GX_PURGE_LOOK 400  /* of each brand's oldest, looked at per call */
/* ticks between calls while the last one found less than a batch */
#define GX_PURGE_IDLE_TICKS 5

/* The housekeeping tick's sweep (every tick; it runs a call every GX_PURGE_IDLE_TICKS, or
 * at once again while there is a backlog). Off when --task-retention is 0. */
void gx_retention_sweep(gx_server *srv);

#endif
