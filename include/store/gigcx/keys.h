/* Redis key patterns (docs/redis-keys.md lists every key and who writes it). */
#ifndef GIGCX_KEYS_H
#define GIGCX_KEYS_H

#include <stddef.h>

/* "gx:{t:<task>}:<kind>", the key of one of a task's records (cut short to cap). */
void gx_keys_task(char *out, size_t cap, const char *task, const char *kind);

/* The webhook outbox. Its keys share one hash tag, so each hook script stays on one Cluster
 * slot. */
#define GX_HOOK_DUE "gx:{wh}:due"   /* zset: event id -> when its next attempt is due (ms) */
#define GX_HOOK_EVENT "gx:{wh}:ev:" /* + id: hash {brand, type, task, body, created, attempts} */
#define GX_HOOK_LOG "gx:{wh}:log:"  /* + brand: list of attempts (JSON), newest first */

#endif
