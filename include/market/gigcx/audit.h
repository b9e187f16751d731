/* The audit log: who did what that a brand or the operator must be able to look back on
 * (admin changes, key rotations, revocations, and every unmasked view of a task that tier 1
 * sees masked: a tier-2 expert's or a staff member's). One capped Redis list per brand
 * (gx:audit:<brand>) and one for the admin (gx:audit:-), newest first. */
#ifndef GIGCX_AUDIT_H
#define GIGCX_AUDIT_H

#include "gigcx/server.h"

#define GX_AUDIT_KEEP 1000 /* entries kept per list */

/* Appends {ts, actor, action, target, detail?} to brand's list (NULL: the admin's). The
 * entry is best effort: a Redis failure is logged and counted, never blocks the action. */
void gx_audit(gx_server *srv, const char *brand, const char *actor, const char *action,
              const char *target, const char *detail);

#endif
