/* Reading Redis replies: script reply words, array elements, HGETALL fields, and keeping a
 * reply past its callback. */
#ifndef GIGCX_REPLY_H
#define GIGCX_REPLY_H

#include <stddef.h>
#include <hiredis/hiredis.h>
#include "gigcx/party.h"

/* The first word of a script reply: 0 for "ok" or "dup", else the GX_E* it names;
 * GX_EUNAVAIL for no reply; GX_EINTERNAL for anything unexpected. */
int gx_reply_status(const redisReply *r);
/* Element i of an array reply as a string, or "" when absent. */
const char *gx_reply_str(const redisReply *r, size_t i);
/* The people of a task from elements first.. of an HMGET of GX_TASK_PEOPLE_FIELDS (borrowed). */
gx_task_people gx_reply_people(const redisReply *r, size_t first);
/* The value of field in an HGETALL reply, or NULL. */
const char *gx_reply_field(const redisReply *r, const char *field);
/* Keeps a reply alive past its callback (hiredis frees replies after it): the contents
 * move to a new reply the caller frees with freeReplyObject. NULL on no memory. */
redisReply *gx_reply_steal(redisReply *r);

#endif
