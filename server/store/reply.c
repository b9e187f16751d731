/* Reading Redis replies (reply.h). */
#include <stdlib.h>
#include <string.h>
#include "gigcx/error.h"
#include "gigcx/reply.h"

int gx_reply_status(const redisReply *r)
{
    if (!r)
        return GX_EUNAVAIL;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        r->element[0]->type != REDIS_REPLY_STRING)
        return GX_EINTERNAL;
    const char *w = r->element[0]->str;
    if (strcmp(w, "ok") == 0 || strcmp(w, "dup") == 0)
        return 0;
    static const struct {
        const char *word;
        int err;
    } words[] = {{"not_found", GX_ENOTFOUND},
                 {"forbidden", GX_EFORBIDDEN},
                 {"conflict", GX_ECONFLICT},
                 {"bad_request", GX_EBADREQ},
                 {"capacity", GX_ECAPACITY}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(w, words[i].word) == 0)
            return words[i].err;
    return GX_EINTERNAL;
}

const char *gx_reply_str(const redisReply *r, size_t i)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements)
        return "";
    const redisReply *e = r->element[i];
    return (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) ? e->str : "";
}

gx_task_people gx_reply_people(const redisReply *r, size_t first)
{
    return (gx_task_people){.brand = gx_reply_str(r, first),
                            .customer = gx_reply_str(r, first + 1),
                            .assignee = gx_reply_str(r, first + 2),
                            .assignee_role = gx_reply_str(r, first + 3),
                            .expert = gx_reply_str(r, first + 4),
                            .staff = gx_reply_str(r, first + 5)};
}

const char *gx_reply_field(const redisReply *r, const char *field)
{
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, field) == 0 &&
            r->element[i + 1]->type == REDIS_REPLY_STRING)
            return r->element[i + 1]->str;
    return NULL;
}

redisReply *gx_reply_steal(redisReply *r)
{
    if (!r)
        return NULL;
    redisReply *copy = calloc(1, sizeof(*copy));
    if (!copy)
        return NULL;
    *copy = *r;
    memset(r, 0, sizeof(*r));
    r->type = REDIS_REPLY_NIL;
    return copy;
}
