/* A user's part in a task, by uid: the one comparison every membership check makes, so
 * that none compares a bare id (which another brand or role may share). */
#include <string.h>
#include "gigcx/jwt.h"
#include "gigcx/party.h"

static bool is(const char *uid, gx_role role, const char *brand, const char *id)
{
    char k[GX_UID_MAX + 1];
    gx_jwt_uid_make(k, role, brand, id);
    return k[0] && strcmp(k, uid) == 0;
}

gx_party gx_party_of(const char *uid, const gx_task_people *p)
{
    const char *brand = p->brand ? p->brand : "";
    if (!uid || !uid[0])
        return GX_PARTY_NONE;
    if (is(uid, GX_ROLE_CUSTOMER, brand, p->customer))
        return GX_PARTY_CUSTOMER;
    if (is(uid, gx_jwt_role_parse(p->assignee_role), brand, p->assignee))
        return GX_PARTY_ASSIGNEE;
    if (is(uid, GX_ROLE_EXPERT, brand, p->expert) || is(uid, GX_ROLE_STAFF, brand, p->staff))
        return GX_PARTY_PAST;
    return GX_PARTY_NONE;
}
