/* Who a user is to a task, read from the people a task's hash names: its customer, its
 * current assignee, a past participant, or nobody. Customers and staff match only inside
 * the task's brand (their uids carry it), so no brand's token names another brand's people
 * and no customer or staff id names an expert. The Lua scripts apply the same rule. */
#ifndef GIGCX_PARTY_H
#define GIGCX_PARTY_H

typedef struct {
    const char *brand;         /* borrowed, as the task hash has them; NULL reads as "" */
    const char *customer;      /* the brand's customer id */
    const char *assignee;      /* the holder's id, "" when none */
    const char *assignee_role; /* "expert" or "staff" */
    const char *expert;        /* the last expert who held it */
    const char *staff;         /* the last staff member who held it */
} gx_task_people;

/* The task hash's fields for gx_task_people, in its order (an HMGET reads them so, and
 * gx_reply_people in store/reply.h takes them back). */
#define GX_TASK_PEOPLE_FIELDS "brand", "customer", "assignee", "assignee_role", "expert", "staff"
enum { GX_TASK_PEOPLE_N = 6 };

typedef enum { GX_PARTY_NONE, GX_PARTY_PAST, GX_PARTY_CUSTOMER, GX_PARTY_ASSIGNEE } gx_party;

/* What the user with uid (gx_claims.uid) is to the task p describes. Never fails. */
gx_party gx_party_of(const char *uid, const gx_task_people *p);

#endif
