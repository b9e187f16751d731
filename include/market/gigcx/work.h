/* "My work": the tasks an expert or staff member claimed lately (work.list), each with what
 * became of their part of it: still theirs, resolved by them (with the pay and the rating),
 * escalated, let go, or ended while theirs. Claims are indexed per user by the claim and
 * take-over scripts (gx:u:<uid>:work, lib.lua note_work); docs/protocol.md has the frame. */
#ifndef GIGCX_WORK_H
#define GIGCX_WORK_H

#include <jansson.h>
#include "gigcx/jwt.h"
#include "gigcx/session.h"

#define GX_WORK_LIMIT_MAX 200     /* tasks one work.list answers with */
#define GX_WORK_LIMIT_DEFAULT 200 /* the same when the request names no limit */
#define GX_WORK_DAY_MS 86400000LL
#define GX_WORK_SINCE_DEFAULT_MS (7 * GX_WORK_DAY_MS) /* a week back, unless since says */
#define GX_WORK_SINCE_MAX_MS (31 * GX_WORK_DAY_MS)    /* the furthest back since may be */
#define GX_WORK_KEEP 1000     /* claims the index keeps per user (note_work's trim) */
#define GX_WORK_TTL_S 3024000 /* 35 days after the latest claim (note_work's EXPIRE) */

/* What became of who's part of a task, from the fields work_list.lua read (f indexed by
 * GX_WORK_*, scripts.h): "active", "resolved", "escalated", "released", "cancelled" or
 * "expired". */
const char *gx_work_outcome(const gx_claims *who, const char *const *f);

/* work.list {since?, limit?} -> work.list {tasks}, newest claim first. */
void gx_work_on_list(gx_session *s, json_t *msg, const char *ref);

#endif
